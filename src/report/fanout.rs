//! The fan-out comparison: per strategy, the simulated all-hit fraction beside h^k.

use crate::metrics::ratio;
use crate::metrics::ScenarioResult;
use crate::report::charts::FanoutChartData;
use crate::theory;

/// One strategy's fan-out figures.
#[derive(Clone, Debug, PartialEq)]
pub struct FanoutRow {
    /// Strategy name.
    pub strategy: String,
    /// Keys per request.
    pub k: u32,
    /// Simulated per-lookup hit ratio h.
    pub hit_ratio: f64,
    /// Simulated fraction of answered requests whose k lookups all hit.
    pub all_hit_simulated: f64,
    /// h^k.
    pub all_hit_analytic: f64,
    /// Latency percentiles of successful requests, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
}

/// The fan-out rows of a scenario's results, in strategy order.
pub fn rows(result: &ScenarioResult) -> Vec<FanoutRow> {
    result
        .strategies
        .iter()
        .map(|s| {
            let t = &s.result.summary.totals;
            let h = t.hit_ratio();
            FanoutRow {
                strategy: s.name.clone(),
                k: s.fanout,
                hit_ratio: h,
                all_hit_simulated: ratio(t.requests_all_hit, t.completed + t.errors()),
                all_hit_analytic: theory::fanout_all_hit(h, s.fanout),
                p50_ms: t.latency.p50_ms,
                p95_ms: t.latency.p95_ms,
                p99_ms: t.latency.p99_ms,
            }
        })
        .collect()
}

/// Chart data: curves for the usual k and for every simulated k, with the simulated points.
pub fn chart_data(title: &str, rows: &[FanoutRow]) -> FanoutChartData {
    let mut curve_ks: Vec<u32> = vec![1, 2, 5, 10, 20];
    for r in rows {
        if !curve_ks.contains(&r.k) {
            curve_ks.push(r.k);
        }
    }
    curve_ks.sort_unstable();
    FanoutChartData {
        title: title.to_string(),
        curve_ks,
        simulated: rows
            .iter()
            .map(|r| (r.k, r.hit_ratio, r.all_hit_simulated))
            .collect(),
        latency_by_k: rows
            .iter()
            .map(|r| (r.k, r.p50_ms, r.p95_ms, r.p99_ms))
            .collect(),
    }
}

/// `fanout.csv`: one row per strategy.
pub fn csv(rows: &[FanoutRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "strategy",
        "fanout",
        "hit_ratio",
        "all_hit_simulated",
        "all_hit_analytic",
        "p50_latency_ms",
        "p95_latency_ms",
        "p99_latency_ms",
    ];
    w.write_record(header)
        .expect("writing CSV to memory cannot fail");
    for r in rows {
        w.write_record([
            crate::text::csv_cell(&r.strategy).into_owned(),
            r.k.to_string(),
            format!("{:.6}", r.hit_ratio),
            format!("{:.6}", r.all_hit_simulated),
            format!("{:.6}", r.all_hit_analytic),
            format!("{:.3}", r.p50_ms),
            format!("{:.3}", r.p95_ms),
            format!("{:.3}", r.p99_ms),
        ])
        .expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// The table printed by `cachestorm fanout --scenario`.
pub fn table(rows: &[FanoutRow]) -> String {
    // The name column is as wide as the longest name, so the figures always line up; names are
    // shown escaped, so no control character reaches the terminal.
    let names: Vec<_> = rows
        .iter()
        .map(|r| crate::text::escape(&r.strategy))
        .collect();
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .chain([8])
        .max()
        .unwrap_or(8);
    let mut out = format!(
        "{:<w$} {:>4} {:>9} {:>14} {:>9} {:>8} {:>8} {:>8}\n",
        "strategy", "k", "hit rate", "all hit (sim)", "h^k", "p50 ms", "p95 ms", "p99 ms"
    );
    for (r, name) in rows.iter().zip(&names) {
        out.push_str(&format!(
            "{:<w$} {:>4} {:>8.2}% {:>13.2}% {:>8.2}% {:>8.1} {:>8.1} {:>8.1}\n",
            name,
            r.k,
            100.0 * r.hit_ratio,
            100.0 * r.all_hit_simulated,
            100.0 * r.all_hit_analytic,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms
        ));
    }
    out
}

/// The analytic answer for `k` dependencies hitting with probability `h` each, and the
/// per-dependency hit rate needed for an all-hit probability of `target`.
pub fn analytic_report(k: Option<u32>, h: Option<f64>, target: f64) -> String {
    let mut out = String::new();
    match (k, h) {
        (Some(k), Some(h)) => {
            let p = theory::fanout_all_hit(h, k);
            out.push_str(&format!(
                "{k} dependencies, each hitting {:.3}% of the time:\n  all {k} hit:            {h}^{k} = {:.3}%\n  at least one misses:   {:.3}%\n",
                100.0 * h,
                100.0 * p,
                100.0 * (1.0 - p)
            ));
            out.push_str(&needed(k, target));
        }
        (Some(k), None) => out.push_str(&needed(k, target)),
        (None, Some(h)) => {
            out.push_str(&format!(
                "each dependency hitting {:.3}% of the time:\n",
                100.0 * h
            ));
            for k in [1u32, 2, 3, 5, 10, 20, 50] {
                out.push_str(&format!(
                    "  k = {k:>2}: all hit {:>8.3}%\n",
                    100.0 * theory::fanout_all_hit(h, k)
                ));
            }
        }
        (None, None) => {}
    }
    out
}

fn needed(k: u32, target: f64) -> String {
    format!(
        "  for all {k} to hit {:.3}% of the time, each must hit {target}^(1/{k}) = {:.3}%\n",
        100.0 * target,
        100.0 * theory::fanout_required_hit_rate(target, k)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up_whatever_the_name_lengths() {
        let row = |name: &str| FanoutRow {
            strategy: name.to_owned(),
            k: 3,
            hit_ratio: 0.9,
            all_hit_simulated: 0.72,
            all_hit_analytic: 0.729,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
        };
        let text = table(&[row("a"), row("a-much-longer-strategy-name")]);
        let ends: Vec<usize> = text.lines().map(|l| l.len()).collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|&e| e == ends[0]), "{text}");
    }

    #[test]
    fn names_are_escaped_in_the_table_and_defused_in_the_csv() {
        let row = FanoutRow {
            strategy: "=1+2\u{1b}[2J".to_owned(),
            k: 3,
            hit_ratio: 0.9,
            all_hit_simulated: 0.72,
            all_hit_analytic: 0.729,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
        };
        let text = table(std::slice::from_ref(&row));
        assert!(
            !text.contains('\u{1b}') && text.contains("\\u{1b}[2J"),
            "{text}"
        );
        let bytes = csv(&[row]);
        let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
        let rec = reader.records().next().unwrap().unwrap();
        assert!(rec[0].starts_with("'=1+2"), "{:?}", &rec[0]);
    }

    #[test]
    fn analytic_report_states_the_worked_example() {
        let text = analytic_report(Some(5), Some(0.5), 0.9);
        assert!(text.contains("3.125%"), "{text}");
        assert!(text.contains("97.915%"), "{text}");
    }
}
