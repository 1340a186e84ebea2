//! The figures a scenario is about, beside the headline ones: outdated reads and their p99 age
//! when there are writes, local disagreement with local caches, the recovery verdict when the
//! timeline disturbs the system, retry amplification with retries, and failed requests by
//! kind when there are any. The terminal tables and the Markdown export add these columns, so
//! the lesson of a freshness, consistency or dependency scenario is on the first screen.
//!
//! Columns are chosen from what the runs show (any strategy with writes, local lookups, a
//! verdict, retries, failures), and every cell is read from the figures of `summary.csv`
//! ([`super::replications::figures`]): with replications, the mean and its 95% interval.

use super::replications::{figures, plus_minus, Figure};
use crate::metrics::columns::failure_kinds;
use crate::metrics::StudyResult;

/// One column the scenario's features call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lesson {
    /// Share of reads that returned a value older than the newest committed write.
    OutdatedReads,
    /// p99 age of those outdated reads.
    OutdatedAgeP99,
    /// Share of local-cache reads whose value differed from the shared cache's.
    LocalDiffers,
    /// The recovery verdict: `recovery_s`, `never`, metastable.
    Recovery,
    /// Attempts per request.
    RetryAmplification,
    /// Failed requests by kind.
    FailuresByKind,
}

impl Lesson {
    /// The column's title.
    pub fn label(self) -> &'static str {
        match self {
            Lesson::OutdatedReads => "outdated reads",
            Lesson::OutdatedAgeP99 => "outdated age p99 ms",
            Lesson::LocalDiffers => "local differs",
            Lesson::Recovery => "recovery",
            Lesson::RetryAmplification => "attempts/request",
            Lesson::FailuresByKind => "failed by kind",
        }
    }
}

/// The lessons the study's runs call for, in the order they are shown.
pub fn lessons(study: &StudyResult) -> Vec<Lesson> {
    let any = |f: &dyn Fn(&crate::metrics::BucketRow) -> bool| {
        study
            .runs
            .iter()
            .flat_map(|r| &r.strategies)
            .any(|s| f(&s.result.summary.totals))
    };
    let mut out = Vec::new();
    if any(&|t| t.writes_committed > 0) {
        out.extend([Lesson::OutdatedReads, Lesson::OutdatedAgeP99]);
    }
    if any(&|t| t.local_hits + t.local_misses > 0) {
        out.push(Lesson::LocalDiffers);
    }
    let verdict = study
        .runs
        .iter()
        .flat_map(|r| &r.strategies)
        .any(|s| s.result.summary.recovery.is_some());
    if verdict {
        out.push(Lesson::Recovery);
    }
    if any(&|t| t.retries > 0) {
        out.push(Lesson::RetryAmplification);
    }
    if any(&|t| t.errors() > 0) {
        out.push(Lesson::FailuresByKind);
    }
    out
}

/// The cell of `lesson` for strategy `i`.
pub fn cell(study: &StudyResult, i: usize, lesson: Lesson) -> String {
    let figs = figures(study, i);
    let get = |m: &str| {
        figs.iter()
            .find(|f| f.metric == m)
            .expect("a summary column")
    };
    match lesson {
        Lesson::OutdatedReads => percent(get("outdated_ratio")),
        Lesson::OutdatedAgeP99 => number(get("outdated_age_p99_ms"), "", 1),
        Lesson::LocalDiffers => percent(get("local_differs_ratio")),
        Lesson::RetryAmplification => number(get("retry_amplification"), "x", 2),
        Lesson::Recovery => recovery(get("recovery_s"), get("metastable")),
        Lesson::FailuresByKind => {
            let parts: Vec<String> = failure_kinds()
                .iter()
                .filter_map(|(m, word)| {
                    let v = get(m).values();
                    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
                    (mean > 0.0).then(|| {
                        if v.len() == 1 {
                            format!("{word} {mean:.0}")
                        } else {
                            format!("{word} {mean:.1}")
                        }
                    })
                })
                .collect();
            if parts.is_empty() {
                "-".into()
            } else {
                parts.join(", ")
            }
        }
    }
}

/// A ratio as a percentage, with its interval over replications.
fn percent(f: &Figure) -> String {
    match f.interval() {
        None => "-".into(),
        Some(ci) if f.written.len() == 1 => format!("{:.2}%", 100.0 * ci.mean),
        Some(ci) => format!("{}%", plus_minus(100.0 * ci.mean, 100.0 * ci.half_width)),
    }
}

/// A number with `decimals` and a unit, with its interval over replications.
fn number(f: &Figure, unit: &str, decimals: usize) -> String {
    match f.interval() {
        None => "-".into(),
        Some(ci) if f.written.len() == 1 => format!("{:.decimals$}{unit}", ci.mean),
        Some(ci) => format!("{}{unit}", plus_minus(ci.mean, ci.half_width)),
    }
}

/// The verdict: `6 s`, `never (metastable)`, `never`, or `-` when it does not apply; with
/// replications the mean time when all recovered, else how many did not and how many of those
/// were metastable.
fn recovery(time: &Figure, metastable: &Figure) -> String {
    let n = time.written.len();
    let never = time.written.iter().filter(|w| *w == "never").count();
    let stuck = metastable.values().iter().filter(|&&m| m > 0.0).count();
    let recovered = time.values();
    if never == 0 {
        return match (n, time.interval()) {
            (_, None) => "-".into(),
            (1, Some(ci)) => format!("{:.0} s", ci.mean),
            (_, Some(ci)) if recovered.len() == n => {
                format!("{} s", plus_minus(ci.mean, ci.half_width))
            }
            _ => "-".into(),
        };
    }
    if n == 1 {
        return if stuck > 0 {
            "never (metastable)".into()
        } else {
            "never".into()
        };
    }
    format!("never in {never}/{n} ({stuck} metastable)")
}
