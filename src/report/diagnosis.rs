//! What `cachestorm diagnose` prints: the diagnosis of the base strategy over its replications,
//! then each suggested mitigation with what it changed (paired 95% intervals) or why it was not
//! tried; as text for the terminal or as one JSON document. Pure: results in, text out.

use std::fmt::Write as _;

use serde_json::json;

use crate::diagnose::Severity;
use crate::metrics::interval::Interval;
use crate::text;
use crate::workflow::checked::{Effect, Outcome, Report};

/// A number with three significant digits (whole numbers from 100, grouped from 1,000), `-`
/// when not finite; the digits chosen for the value as rounded (0.9996 reads `1.00`).
pub fn num(v: f64) -> String {
    let first = digits(v);
    match first.replace(',', "").parse::<f64>() {
        Ok(shown) if shown.abs() > v.abs() => digits(shown),
        _ => first,
    }
}

fn digits(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1000.0 {
        crate::diagnose::grouped(v)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 0.001 {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

/// `mean ± half-width`.
fn pm(i: &Interval) -> String {
    format!("{} ± {}", num(i.mean), num(i.half_width))
}

/// How the change reads: `better`, `worse` or `no clear change` (the interval holds 0).
pub fn judgement(e: &Effect) -> &'static str {
    match e.helps() {
        Some(true) => "better",
        Some(false) => "worse",
        None => "no clear change",
    }
}

/// The text `diagnose` prints.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let reps = r.study.replications();
    let base = text::escape(&r.base);
    let _ = writeln!(
        out,
        "{}: strategy `{base}`, {reps} replications from seed {}",
        text::escape(&r.scenario.name),
        r.scenario.seed
    );
    if r.diagnosis.findings.is_empty() {
        let _ = writeln!(
            out,
            "no failure found in a majority of the {reps} replications: nothing to try"
        );
        return out;
    }
    if r.diagnosis.is_healthy() {
        let _ = writeln!(
            out,
            "no failure found in a majority of the {reps} replications, but a warning:"
        );
    }
    for f in &r.diagnosis.findings {
        let _ = writeln!(
            out,
            "  {}{} (in {} of {reps}): {}",
            match f.mode.severity() {
                Severity::Failure => "",
                Severity::Warning => "warning: ",
            },
            f.mode.name(),
            f.held_in,
            f.evidence
        );
    }
    let _ = writeln!(
        out,
        "\nmitigations tried: change from `{base}`, mean and 95% interval of the {reps} paired \
         differences (same seeds)"
    );
    for t in &r.trials {
        let modes: Vec<&str> = t.modes.iter().map(|m| m.name()).collect();
        let Outcome::Tried(effects) = &t.outcome else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {} (for {}): {}",
            t.advice.name,
            modes.join(", "),
            t.advice.about
        );
        for e in effects {
            let _ = writeln!(
                out,
                "    {:<24} {:>22} -> {:<22} change {:<24} {}",
                e.metric,
                pm(&e.base),
                pm(&e.with),
                pm(&e.change),
                judgement(e)
            );
        }
    }
    let skipped: Vec<_> = r
        .trials
        .iter()
        .filter_map(|t| match &t.outcome {
            Outcome::NotTried(why) => Some((t, why)),
            Outcome::Tried(_) => None,
        })
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nnot tried:");
        for (t, why) in skipped {
            let _ = writeln!(out, "  {}: {why}", t.advice.name);
        }
    }
    out
}

fn interval_json(i: &Interval) -> serde_json::Value {
    let finite = |x: f64| if x.is_finite() { json!(x) } else { json!(null) };
    json!({ "mean": finite(i.mean), "low": finite(i.low()), "high": finite(i.high()) })
}

/// The JSON document `diagnose --json` prints.
pub fn json(r: &Report) -> serde_json::Value {
    let findings: Vec<_> = r
        .diagnosis
        .findings
        .iter()
        .map(|f| {
            json!({
                "mode": f.mode.name(),
                "severity": match f.mode.severity() {
                    Severity::Failure => "failure",
                    Severity::Warning => "warning",
                },
                "held_in": f.held_in,
                "at_s": f.at_s,
                "evidence": f.evidence,
            })
        })
        .collect();
    let trials: Vec<_> = r
        .trials
        .iter()
        .map(|t| {
            let settings: serde_json::Map<String, serde_json::Value> = t
                .advice
                .settings
                .iter()
                .map(|(p, v)| (p.to_string(), json!(v)))
                .collect();
            let mut o = json!({
                "mitigation": t.advice.name,
                "for": t.modes.iter().map(|m| m.name()).collect::<Vec<_>>(),
                "settings": settings,
            });
            match &t.outcome {
                Outcome::Tried(effects) => {
                    o["effects"] = effects
                        .iter()
                        .map(|e| {
                            json!({
                                "metric": e.metric,
                                "base": interval_json(&e.base),
                                "with": interval_json(&e.with),
                                "change": interval_json(&e.change),
                                "judgement": judgement(e),
                            })
                        })
                        .collect();
                }
                Outcome::NotTried(why) => o["not_tried"] = json!(why),
            }
            o
        })
        .collect();
    json!({
        "scenario": r.scenario.name,
        "strategy": r.base,
        "seed": r.scenario.seed,
        "replications": r.study.replications(),
        "findings": findings,
        "recovered": r.diagnosis.recovered,
        "trials": trials,
    })
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_keep_three_significant_digits_after_rounding() {
        assert_eq!(num(0.9996), "1.00");
        assert_eq!(num(0.5), "0.500");
        assert_eq!(num(99.96), "100");
        assert_eq!(num(1234.0), "1,234");
        assert_eq!(num(1.43e-4), "1.43e-4");
        assert_eq!(num(f64::NAN), "-");
    }
}
