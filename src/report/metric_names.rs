//! Metric names as users type them (`[[expect]] metric`, `[check] metrics`, `sweep --metric`
//! and `--find`): the one place that says whether a name is a summary metric and, when it is
//! not, which one the user probably meant.

use super::csv::summary_columns;

/// The summary metrics: the columns of `summary.csv` after `strategy`.
pub fn metrics() -> Vec<&'static str> {
    summary_columns().into_iter().skip(1).collect()
}

/// ` (did you mean `p99_latency_ms`?)` when `typed` is close to a summary metric, else empty:
/// to append to a message saying that `typed` is not one.
pub fn did_you_mean(typed: &str) -> String {
    match closest(typed, &metrics()) {
        Some(m) => format!(" (did you mean `{m}`?)"),
        None => String::new(),
    }
}

/// The candidate `typed` most probably meant: the nearest by edit distance (ignoring case),
/// if within a third of its length (at least 1, at most 4 edits); or else the shortest that
/// contains `typed` as whole words (`p99` → `p99_latency_ms`). Ties go to the first candidate.
pub fn closest<'a>(typed: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let t = typed.to_lowercase();
    let len = t.chars().count();
    if len == 0 {
        return None;
    }
    let allowed = (len / 3).clamp(1, 4);
    let near = candidates
        .iter()
        .map(|c| (distance(&t, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    near.or_else(|| {
        if len < 3 {
            return None;
        }
        candidates
            .iter()
            .filter(|c| {
                let c = c.to_lowercase();
                c.starts_with(&format!("{t}_"))
                    || c.ends_with(&format!("_{t}"))
                    || c.contains(&format!("_{t}_"))
            })
            .min_by_key(|c| c.len())
            .copied()
    })
}

/// Edit distance with transpositions (optimal string alignment): insertions, deletions,
/// substitutions and swaps of two neighbours each cost 1.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * w + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_summary_metrics_find_them() {
        for (typed, meant) in [
            ("p99_latency_sm", "p99_latency_ms"),
            ("p99_latncy_ms", "p99_latency_ms"),
            ("P99_Latency_MS", "p99_latency_ms"),
            ("p99_latency", "p99_latency_ms"),
            ("peak_db_query_per_s", "peak_db_queries_per_s"),
            ("hit_ratoi", "hit_ratio"),
            ("error_ration", "error_ratio"),
        ] {
            assert_eq!(closest(typed, &metrics()), Some(meant), "{typed}");
            assert_eq!(did_you_mean(typed), format!(" (did you mean `{meant}`?)"));
        }
    }

    #[test]
    fn names_far_from_every_metric_get_no_suggestion() {
        for typed in ["", "speed", "x", "banana_split_per_fortnight"] {
            assert_eq!(did_you_mean(typed), "", "{typed}");
        }
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("abc", "acb"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("é", "e"), 1);
    }

    #[test]
    fn a_whole_word_finds_the_shortest_metric_holding_it() {
        assert_eq!(
            closest("p99", &["worst_p99_latency_ms", "p99_latency_ms"]),
            Some("p99_latency_ms")
        );
        assert_eq!(closest("p9", &["p99_latency_ms"]), None);
    }
}
