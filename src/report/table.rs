//! The compact table printed when a run ends: one row per strategy with its headline figures
//! ([`headline`]; with replications, their means and intervals: [`replications`]).
//! Columns about mitigations (hot-key herd, stale serves, lock waits) appear only when some
//! strategy has something to show in them. Strategy names are shown escaped
//! ([`crate::text::escape`]), so no control character reaches the terminal.

use super::lessons;
use super::replications::{figure, figures, paired, plus_minus};
use crate::metrics::ratio;
use crate::metrics::{ScenarioResult, StrategyResult, StudyResult};
use crate::text;

type Column = (
    &'static str,
    fn(&StrategyResult) -> String,
    fn(&StrategyResult) -> bool,
);

const COLUMNS: &[Column] = &[
    (
        "hit ratio",
        |s| format!("{:.1}%", 100.0 * s.result.summary.totals.hit_ratio()),
        |_| true,
    ),
    (
        "p50 ms",
        |s| format!("{:.1}", s.result.summary.totals.latency.p50_ms),
        |_| true,
    ),
    (
        "p99 ms",
        |s| format!("{:.1}", s.result.summary.totals.latency.p99_ms),
        |_| true,
    ),
    (
        "worst p99 ms",
        |s| format!("{:.1}", s.result.summary.worst.p99_ms),
        |_| true,
    ),
    (
        "peak DB q/s",
        |s| per_second(s.result.summary.peak_db_qps),
        |_| true,
    ),
    ("DB cap q/s", |s| per_second(s.db_capacity_qps), |_| true),
    (
        "peak DB queue",
        |s| s.result.summary.totals.db_queue_max.to_string(),
        |_| true,
    ),
    (
        "s over DB cap",
        |s| format!("{:.0}", s.result.summary.worst.time_above_capacity_s),
        |s| s.result.summary.worst.time_above_capacity_s > 0.0,
    ),
    (
        "hot-key herd mean/max",
        |s| {
            let t = &s.result.summary.totals;
            format!("{:.1}/{}", t.herd_mean(), t.herd_max)
        },
        |s| s.result.summary.totals.herd_max > 1,
    ),
    (
        "stale serves",
        |s| s.result.summary.totals.stale_serves.to_string(),
        |s| s.result.summary.totals.stale_serves > 0,
    ),
    (
        "lock waits",
        |s| s.result.summary.totals.lock_waits.to_string(),
        |s| s.result.summary.totals.lock_waits > 0,
    ),
    (
        "errors",
        |s| {
            let t = &s.result.summary.totals;
            let cap = if s.result.summary.truncation.is_some() {
                " !"
            } else {
                ""
            };
            format!(
                "{} ({:.2}%){cap}",
                t.errors(),
                100.0 * ratio(t.errors(), t.arrived)
            )
        },
        |_| true,
    ),
];

/// The table of a single run as text, columns aligned, ending with a newline: the headline
/// figures, then those of the features the scenario uses ([`lessons`]).
pub fn headline(study: &StudyResult) -> String {
    let result = study.first();
    let shown: Vec<&Column> = COLUMNS
        .iter()
        .filter(|c| result.strategies.iter().any(|s| (c.2)(s)))
        .collect();
    let lessons = lessons::lessons(study);
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("strategy")
        .chain(shown.iter().map(|c| c.0))
        .chain(lessons.iter().map(|l| l.label()))
        .map(String::from)
        .collect()];
    for (i, s) in result.strategies.iter().enumerate() {
        rows.push(
            std::iter::once(crate::text::escape(&s.name).into_owned())
                .chain(shown.iter().map(|c| (c.1)(s)))
                .chain(lessons.iter().map(|&l| lessons::cell(study, i, l)))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}
/// A rate in whole units, or with three significant digits below one (a database that serves
/// a query every two hours has a capacity of 1.39e-4 q/s, not 0).
fn per_second(x: f64) -> String {
    if x == 0.0 || x >= 0.5 {
        format!("{x:.0}")
    } else {
        format!("{x:.2e}")
    }
}

/// The table printed after a run with replications: per strategy, the mean and 95% interval
/// of its headline figures, and the paired difference of p99 from the baseline.
pub fn replications(study: &StudyResult) -> String {
    const SHOWN: [(&str, &str); 5] = [
        ("hit_ratio", "hit ratio"),
        ("p99_latency_ms", "p99 ms"),
        ("worst_p99_latency_ms", "worst p99 ms"),
        ("peak_db_queries_per_s", "peak DB q/s"),
        ("error_ratio", "error ratio"),
    ];
    let first: &ScenarioResult = study.first();
    let base = study.baseline.as_deref();
    let lessons = lessons::lessons(study);
    let mut header: Vec<String> = vec!["strategy".into()];
    header.extend(SHOWN.iter().map(|(_, label)| label.to_string()));
    if let Some(b) = base {
        header.push(format!("p99 vs {} ms", text::escape(b)));
    }
    header.extend(lessons.iter().map(|l| l.label().to_string()));
    let mut rows = vec![header];
    for (i, s) in first.strategies.iter().enumerate() {
        let figs = figures(study, i);
        let get = |m: &str| {
            figs.iter()
                .find(|f| f.metric == m)
                .expect("a summary column")
        };
        let mut row = vec![text::escape(&s.name).into_owned()];
        for (metric, _) in SHOWN {
            row.push(match get(metric).interval() {
                Some(ci) => plus_minus(ci.mean, ci.half_width),
                None => "-".into(),
            });
        }
        if let Some(b) = base {
            let cell = if b == s.name {
                "baseline".to_string()
            } else {
                figure(study, b, "p99_latency_ms")
                    .and_then(|bf| paired(get("p99_latency_ms"), &bf))
                    .map_or("-".into(), |d| plus_minus(d.mean, d.half_width))
            };
            row.push(cell);
        }
        row.extend(lessons.iter().map(|&l| lessons::cell(study, i, l)));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "{}: {} replications{} (mean ± 95% confidence interval)\n",
        text::escape(&first.name),
        study.replications(),
        if study.warmup_s > 0.0 {
            format!(", first {} s left out", study.warmup_s)
        } else {
            String::new()
        }
    );
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = w - cell.chars().count();
                if c == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
