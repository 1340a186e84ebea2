//! The compact table printed when a run ends: one row per strategy with its headline figures.

use crate::experiment::ScenarioResult;
use crate::metrics::ratio;

/// The table as text, columns aligned, ending with a newline.
pub fn headline(result: &ScenarioResult) -> String {
    let header = [
        "strategy",
        "hit ratio",
        "p50 ms",
        "p99 ms",
        "peak DB q/s",
        "DB cap q/s",
        "peak DB queue",
        "errors",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for s in &result.strategies {
        let sum = &s.result.summary;
        let t = &sum.totals;
        let errors = t.errors();
        rows.push(vec![
            s.name.clone(),
            format!("{:.1}%", 100.0 * t.hit_ratio()),
            format!("{:.1}", t.latency.p50_ms),
            format!("{:.1}", t.latency.p99_ms),
            format!("{:.0}", sum.peak_db_qps),
            format!("{:.0}", s.db_capacity_qps),
            t.db_queue_max.to_string(),
            format!(
                "{errors} ({:.2}%){}",
                100.0 * ratio(errors, t.arrived),
                if sum.hit_in_flight_cap { " !" } else { "" }
            ),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
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
