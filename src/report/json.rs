//! `summary.json`: the figures of `summary.csv` for scripts, typed, with a schema version.
//!
//! ```json
//! {"schema": 1, "scenario": "avalanche", "seed": 20261126, "replications": 1, "warmup_s": 0.0,
//!  "baseline": null, "strategies": [{"name": "fixed-ttl", "figures": {"p99_latency_ms": 5.644,
//!  "recovery_s": null, ...}}]}
//! ```
//!
//! Each figure is a number, `"never"` (a run that did not recover) or `null` (no value). With
//! replications a figure is the mean over them, and each strategy also has `"intervals"`: per
//! figure `n`, `mean`, `stdev`, `ci95_low`, `ci95_high` and, against the baseline, `diff_mean`,
//! `diff_ci95_low`, `diff_ci95_high`. Fields are only ever added, never renamed, within a schema.

use serde_json::{json, Map, Value};

use super::replications::{figures, paired, Figure};
use crate::metrics::StudyResult;

/// Version of the layout; raised only if a field changes meaning or goes away.
pub const SCHEMA: u32 = 1;

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The figure's value: the number of a single run as written, the mean over replications,
/// `"never"`, or null.
fn value(f: &Figure) -> Value {
    if f.written.iter().any(|w| w == "never") {
        return Value::from("never");
    }
    let values = f.values();
    if values.is_empty() || values.len() < f.written.len() {
        return Value::Null;
    }
    if let [one] = f.written.as_slice() {
        // A single run's count stays a whole number.
        if let Ok(n) = one.parse::<u64>() {
            return Value::from(n);
        }
    }
    number(values.iter().sum::<f64>() / values.len() as f64)
}

/// The document for one study.
pub fn summary(study: &StudyResult) -> Value {
    let first = study.first();
    let base = study
        .baseline
        .as_deref()
        .and_then(|b| first.strategies.iter().position(|s| s.name == b));
    let base_figures = base.map(|b| figures(study, b));
    let strategies: Vec<Value> = first
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let figs = figures(study, i);
            let values: Map<String, Value> = figs
                .iter()
                .map(|f| (f.metric.to_string(), value(f)))
                .collect();
            let mut entry = json!({ "name": s.name, "figures": values });
            if study.replications() > 1 {
                let mut intervals = Map::new();
                for (j, f) in figs.iter().enumerate() {
                    let Some(ci) = f.interval() else { continue };
                    let mut o = json!({
                        "n": ci.n,
                        "mean": number(ci.mean),
                        "stdev": number(ci.stdev),
                        "ci95_low": number(ci.low()),
                        "ci95_high": number(ci.high()),
                    });
                    if let (Some(bf), Some(b)) = (&base_figures, base) {
                        if let Some(d) = (b != i).then(|| paired(f, &bf[j])).flatten() {
                            o["diff_mean"] = number(d.mean);
                            o["diff_ci95_low"] = number(d.low());
                            o["diff_ci95_high"] = number(d.high());
                        }
                    }
                    intervals.insert(f.metric.to_string(), o);
                }
                entry["intervals"] = Value::Object(intervals);
            }
            entry
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "scenario": first.name,
        "seed": first.seed,
        "replications": study.replications(),
        "warmup_s": study.warmup_s,
        "baseline": study.baseline,
        "strategies": strategies,
    })
}

/// The bytes of `summary.json` (pretty, with a final newline).
pub fn summary_bytes(study: &StudyResult) -> Vec<u8> {
    let mut bytes =
        serde_json::to_vec_pretty(&summary(study)).expect("a JSON value always serialises");
    bytes.push(b'\n');
    bytes
}

/// A Markdown report for a design document: the scenario, then one table row per strategy
/// with its headline figures and those of the features it uses (mean ± 95% interval with
/// replications).
pub fn markdown(study: &StudyResult) -> String {
    const SHOWN: [(&str, &str); 7] = [
        ("hit_ratio", "hit ratio"),
        ("p50_latency_ms", "p50 ms"),
        ("p99_latency_ms", "p99 ms"),
        ("worst_p99_latency_ms", "worst p99 ms"),
        ("peak_db_queries_per_s", "peak DB q/s"),
        ("db_capacity_qps", "DB capacity q/s"),
        ("error_ratio", "error ratio"),
    ];
    let first = study.first();
    let cell = |t: &str| {
        crate::text::escape(t)
            .replace('&', "&amp;")
            .replace('|', "\\|")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let lessons = super::lessons::lessons(study);
    let labels: Vec<&str> = SHOWN
        .iter()
        .map(|(_, l)| *l)
        .chain(lessons.iter().map(|l| l.label()))
        .collect();
    let mut out = format!(
        "## {}\n\nSeed {}, {} replication{}{}.\n\n| strategy | {} |\n|---|{}\n",
        cell(&first.name),
        first.seed,
        study.replications(),
        if study.replications() == 1 { "" } else { "s" },
        if study.warmup_s > 0.0 {
            format!(", the first {} s left out", study.warmup_s)
        } else {
            String::new()
        },
        labels.join(" | "),
        "---:|".repeat(labels.len())
    );
    for (i, s) in first.strategies.iter().enumerate() {
        let figs = figures(study, i);
        let cells: Vec<String> = SHOWN
            .iter()
            .map(|(m, _)| {
                let f = figs
                    .iter()
                    .find(|f| f.metric == *m)
                    .expect("a summary column");
                match (study.replications() > 1, f.interval()) {
                    (_, None) => "–".to_string(),
                    (false, Some(_)) => f.written[0].clone(),
                    (true, Some(ci)) => super::replications::plus_minus(ci.mean, ci.half_width),
                }
            })
            .chain(
                lessons
                    .iter()
                    .map(|&l| cell(&super::lessons::cell(study, i, l))),
            )
            .collect();
        out.push_str(&format!("| {} | {} |\n", cell(&s.name), cells.join(" | ")));
    }
    out
}
