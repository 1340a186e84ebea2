//! Objectives such as `p99_latency_ms < 50`, and the search for the smallest swept value that
//! meets one (`cachestorm sweep --find`).
//!
//! Each point of a sweep costs a simulation, so [`find_smallest`] bisects: assuming that a value
//! meeting the objective implies that every larger value meets it too, it asks about
//! ⌈log2(n + 1)⌉ of n candidates at most. A full sweep can check that assumption afterwards with
//! [`monotonicity_violation`], and [`scan_smallest`] gives its answer the same way, so both can
//! be compared.

use std::fmt;

use crate::text;

/// How a metric is compared with the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// The operator as written: `<`, `<=`, `>` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A condition on one metric: `metric op bound`, the bound in the metric's unit (which the
/// metric's name carries, as in `p99_latency_ms`).
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Name of a summary metric, such as `p99_latency_ms` (not checked here).
    pub metric: String,
    /// The comparison.
    pub op: Op,
    /// The bound, finite.
    pub bound: f64,
}

impl Objective {
    /// Whether `value` meets the objective; a value that is not a number (no data) never does.
    pub fn met(&self, value: f64) -> bool {
        match self.op {
            Op::Lt => value < self.bound,
            Op::Le => value <= self.bound,
            Op::Gt => value > self.bound,
            Op::Ge => value >= self.bound,
        }
    }
}

/// Written as `p99_latency_ms < 50`: the canonical form of what [`parse_objective`] reads.
impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.bound)
    }
}

/// What an objective looks like, for error messages.
const FORM: &str =
    "write METRIC OP NUMBER with OP one of <, <=, >, >= (e.g. \"p99_latency_ms < 50\")";

/// Reads `METRIC OP NUMBER`, such as `p99_latency_ms < 50`, `hit_ratio>=0.9` or
/// `errors_total <= 0`: the metric a bare identifier (letters, digits and `_`, not starting with
/// a digit), the operator `<`, `<=`, `>` or `>=` (also `≤`, `≥`), the bound a finite number;
/// spaces between them are optional.
pub fn parse_objective(text: &str) -> Result<Objective, String> {
    let shown = || text::quote(text);
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("the objective is empty; {FORM}"));
    }
    let metric_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    let metric = &t[..metric_end];
    if metric.is_empty() || metric.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "`{}` does not start with a metric name (letters, digits and _); {FORM}",
            shown()
        ));
    }
    let rest = t[metric_end..].trim_start();
    let (op, rest) = if let Some(r) = rest.strip_prefix("<=").or(rest.strip_prefix('≤')) {
        (Op::Le, r)
    } else if let Some(r) = rest.strip_prefix(">=").or(rest.strip_prefix('≥')) {
        (Op::Ge, r)
    } else if let Some(r) = rest.strip_prefix('<') {
        (Op::Lt, r)
    } else if let Some(r) = rest.strip_prefix('>') {
        (Op::Gt, r)
    } else if rest.is_empty() {
        return Err(format!(
            "`{}` has no comparison after the metric; {FORM}",
            shown()
        ));
    } else {
        // The word or the one or two symbols standing where the operator should be.
        let word = rest.starts_with(char::is_alphanumeric);
        let found: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && c.is_alphanumeric() == word)
            .take(if word { 20 } else { 2 })
            .collect();
        return Err(format!(
            "`{}`: `{}` after the metric `{}` is not a comparison; {FORM}",
            shown(),
            text::quote(&found),
            text::quote(metric)
        ));
    };
    let number = rest.trim();
    if number.is_empty() {
        return Err(format!(
            "`{}` has no number after `{}`; {FORM}",
            shown(),
            op.symbol()
        ));
    }
    let plain = number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    let bound = number
        .parse::<f64>()
        .ok()
        .filter(|b| plain && b.is_finite());
    match bound {
        Some(bound) => Ok(Objective {
            metric: metric.to_string(),
            op,
            bound,
        }),
        None => Err(format!(
            "`{}`: `{}` is not a finite number; the bound is a plain number in the metric's unit (p99_latency_ms is in ms)",
            shown(),
            text::quote(number)
        )),
    }
}

// The search

/// The answer of a search over candidate values sorted in ascending order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The value at this index is the smallest meeting the objective, and the one below it
    /// does not (both were evaluated). Never 0: see [`Outcome::SmallestMeets`].
    Found(usize),
    /// Even the smallest value (index 0) meets it: the true threshold may lie below the range.
    SmallestMeets,
    /// None of the values meets it, not even the largest (or there are no values).
    NoneMeets,
}

impl Outcome {
    /// Index of the smallest value meeting the objective, if any.
    pub fn index(self) -> Option<usize> {
        match self {
            Outcome::Found(i) => Some(i),
            Outcome::SmallestMeets => Some(0),
            Outcome::NoneMeets => None,
        }
    }
}

/// What a search found, and the points it evaluated to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    /// The answer.
    pub outcome: Outcome,
    /// The indices evaluated, in the order they were, each with whether it met the objective.
    pub evaluated: Vec<(usize, bool)>,
}

/// Finds the smallest of `count` candidate values (sorted in ascending order) that meets an
/// objective, by bisection, assuming that the objective is monotone in the value: if index `i`
/// meets it, so does `i + 1`. `meets(i)` evaluates index `i` (a simulation, so it is costly);
/// each index is evaluated at most once and at most ⌈log2(count + 1)⌉ are. The first error
/// `meets` returns ends the search and is returned.
///
/// When the objective is not monotone the answer is some index that meets it whose neighbour
/// below does not, not necessarily the smallest; run every point and use
/// [`monotonicity_violation`] to know.
pub fn find_smallest<E>(
    count: usize,
    mut meets: impl FnMut(usize) -> Result<bool, E>,
) -> Result<Search, E> {
    // The answer is in lo..=hi, where hi == count stands for "none meets it".
    let (mut lo, mut hi) = (0, count);
    let mut evaluated = Vec::new();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let met = meets(mid)?;
        evaluated.push((mid, met));
        if met {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let outcome = match lo {
        i if i == count => Outcome::NoneMeets,
        0 => Outcome::SmallestMeets,
        i => Outcome::Found(i),
    };
    Ok(Search { outcome, evaluated })
}

/// The answer of a full sweep, from every index's result: the smallest index that met the
/// objective. Equal to [`find_smallest`]'s answer when the results are monotone.
pub fn scan_smallest(results: &[(usize, bool)]) -> Outcome {
    match results.iter().filter(|r| r.1).map(|r| r.0).min() {
        None => Outcome::NoneMeets,
        Some(0) => Outcome::SmallestMeets,
        Some(i) => Outcome::Found(i),
    }
}

/// Whether results over candidate values are monotone, as [`find_smallest`] assumes: `None`
/// when every index that met the objective is above every index that did not; otherwise
/// `Some((met, missed))`, the smallest index that met it and the smallest index above it
/// that did not (equal when one index has both results). `results` may be in any order.
pub fn monotonicity_violation(results: &[(usize, bool)]) -> Option<(usize, usize)> {
    let first_met = results.iter().filter(|r| r.1).map(|r| r.0).min()?;
    results
        .iter()
        .filter(|r| !r.1 && r.0 >= first_met)
        .map(|r| r.0)
        .min()
        .map(|missed| (first_met, missed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_parse_with_or_without_spaces() {
        let o = parse_objective("p99_latency_ms < 50").unwrap();
        assert_eq!(
            o,
            Objective {
                metric: "p99_latency_ms".into(),
                op: Op::Lt,
                bound: 50.0
            }
        );
        assert_eq!(o.to_string(), "p99_latency_ms < 50");
        let cases = [
            ("hit_ratio>=0.9", "hit_ratio >= 0.9"),
            ("  errors_total <= 0 ", "errors_total <= 0"),
            ("peak_db_queries_per_s>1e3", "peak_db_queries_per_s > 1000"),
            ("x2 < -0.5", "x2 < -0.5"),
            ("_m ≤ 3", "_m <= 3"),
            ("m≥.5", "m >= 0.5"),
        ];
        for (text, canonical) in cases {
            let o = parse_objective(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(o.to_string(), canonical);
            assert_eq!(parse_objective(canonical).unwrap(), o);
        }
    }

    #[test]
    fn bad_objectives_say_what_is_allowed() {
        let cases = [
            ("", "is empty"),
            ("   ", "is empty"),
            ("< 50", "does not start with a metric name"),
            ("9lives < 1", "does not start with a metric name"),
            ("p99_latency_ms", "no comparison"),
            ("p99_latency_ms 50", "`50` after the metric"),
            ("p99_latency_ms == 50", "`==` after the metric"),
            ("p99_latency_ms = 50", "`=` after the metric"),
            ("p99_latency_ms != 50", "`!=` after the metric"),
            ("summary.p99 < 5", "`.` after the metric `summary`"),
            ("p99_latency_ms <", "no number after `<`"),
            ("p99_latency_ms < 50ms", "`50ms` is not a finite number"),
            ("p99_latency_ms < nan", "not a finite number"),
            ("p99_latency_ms < inf", "not a finite number"),
            ("p99_latency_ms < 1e999", "not a finite number"),
            ("p99_latency_ms < 5 0", "not a finite number"),
            ("p99_latency_ms < \u{1b}[31m", "\\u{1b}"),
        ];
        for (text, expected) in cases {
            let e = parse_objective(text).unwrap_err();
            assert!(e.contains(expected), "{text:?}: {e}");
            assert!(!e.chars().any(text::is_unsafe), "{e:?}");
        }
    }

    #[test]
    fn met_compares_and_never_passes_without_data() {
        let at = |text: &str, v: f64| parse_objective(text).unwrap().met(v);
        assert!(at("m < 50", 49.9) && !at("m < 50", 50.0));
        assert!(at("m <= 50", 50.0) && !at("m <= 50", 50.1));
        assert!(at("m > 0.9", 0.91) && !at("m > 0.9", 0.9));
        assert!(at("m >= 0.9", 0.9) && !at("m >= 0.9", 0.89));
        for text in ["m < 50", "m <= 50", "m > 50", "m >= 50"] {
            assert!(!at(text, f64::NAN), "{text}");
        }
    }

    /// Every monotone pattern over n candidates: the first `k` fail, the rest meet.
    fn patterns(n: usize) -> impl Iterator<Item = Vec<bool>> {
        (0..=n).map(move |k| (0..n).map(|i| i >= k).collect())
    }

    #[test]
    fn bisection_agrees_with_a_linear_scan_on_every_monotone_pattern() {
        for n in 0..=20usize {
            let bound = if n == 0 {
                0
            } else {
                (n as f64).log2().ceil() as usize + 1
            };
            for pattern in patterns(n) {
                let mut calls = Vec::new();
                let search = find_smallest(n, |i| {
                    calls.push(i);
                    Ok::<bool, ()>(pattern[i])
                })
                .unwrap();
                let full: Vec<(usize, bool)> = pattern.iter().copied().enumerate().collect();
                assert_eq!(search.outcome, scan_smallest(&full), "{pattern:?}");
                assert_eq!(monotonicity_violation(&full), None);
                assert!(search.evaluated.len() <= bound, "{n}: {search:?}");
                assert!(
                    search.evaluated.len() <= (n as f64 + 1.0).log2().ceil() as usize,
                    "{n}: {search:?}"
                );
                let order: Vec<usize> = search.evaluated.iter().map(|e| e.0).collect();
                assert_eq!(order, calls, "evaluated lists every call in order");
                assert!(search.evaluated.iter().all(|&(i, met)| pattern[i] == met));
                let mut unique = order.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), order.len(), "no index evaluated twice");
                // The answer is proven: the index found met it, the one below it did not.
                match search.outcome {
                    Outcome::Found(i) => {
                        assert!(search.evaluated.contains(&(i, true)));
                        assert!(search.evaluated.contains(&(i - 1, false)));
                    }
                    Outcome::SmallestMeets => assert!(search.evaluated.contains(&(0, true))),
                    Outcome::NoneMeets if n > 0 => {
                        assert!(search.evaluated.contains(&(n - 1, false)))
                    }
                    Outcome::NoneMeets => assert!(search.evaluated.is_empty()),
                }
            }
        }
    }

    #[test]
    fn none_and_all_are_reported() {
        let none = find_smallest(10, |_| Ok::<_, ()>(false)).unwrap();
        assert_eq!(none.outcome, Outcome::NoneMeets);
        assert_eq!(none.outcome.index(), None);
        let all = find_smallest(10, |_| Ok::<_, ()>(true)).unwrap();
        assert_eq!(all.outcome, Outcome::SmallestMeets);
        assert_eq!(all.outcome.index(), Some(0));
        let found = find_smallest(16, |i| Ok::<_, ()>(i >= 11)).unwrap();
        assert_eq!(found.outcome, Outcome::Found(11));
        assert_eq!(found.outcome.index(), Some(11));
        let empty = find_smallest(0, |_| -> Result<bool, ()> { panic!("no candidates") });
        assert_eq!(empty.unwrap().outcome, Outcome::NoneMeets);
    }

    #[test]
    fn an_oracle_error_stops_the_search() {
        let mut calls = 0;
        let e = find_smallest(16, |i| {
            calls += 1;
            if calls == 2 {
                Err(format!("run {i} failed"))
            } else {
                Ok(false)
            }
        })
        .unwrap_err();
        assert_eq!(e, "run 12 failed");
        assert_eq!(calls, 2);
    }

    #[test]
    fn violations_of_monotonicity_are_named() {
        let table =
            |bits: &[bool]| -> Vec<(usize, bool)> { bits.iter().copied().enumerate().collect() };
        assert_eq!(
            monotonicity_violation(&table(&[false, true, false, true])),
            Some((1, 2))
        );
        assert_eq!(
            monotonicity_violation(&table(&[true, true, true, false])),
            Some((0, 3))
        );
        assert_eq!(monotonicity_violation(&table(&[false, false])), None);
        assert_eq!(monotonicity_violation(&[]), None);
        // Any order; one index with two results is a violation at that index.
        assert_eq!(
            monotonicity_violation(&[(3, true), (1, false), (2, true)]),
            None
        );
        assert_eq!(
            monotonicity_violation(&[(2, true), (2, false), (1, false)]),
            Some((2, 2))
        );
        // Every non-monotone pattern of up to 10 candidates is caught.
        for n in 1..=10usize {
            for bits in 0u32..(1 << n) {
                let pattern: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
                let monotone = pattern.windows(2).all(|w| !w[0] || w[1]);
                assert_eq!(
                    monotonicity_violation(&table(&pattern)).is_none(),
                    monotone,
                    "{pattern:?}"
                );
            }
        }
    }
}
