//! Runs a scenario's study the way `run`, `check` and the exports do (replications, warm-up,
//! baseline strategy, expectations, and a baseline saved and compared with itself) on
//! strategies shrunk by `bounded_for_fuzzing`, and writes every report of it to memory. Used by
//! the fuzz target and, by path, by `tests/integration/fuzz_corpus.rs`, which replays the
//! corpus.

use cachestorm::engine::SimDuration;
use cachestorm::report::{csv, json, replications};
use cachestorm::scenario::Scenario;
use cachestorm::workflow::check::{self, Baseline, Verdict};

use super::bounded::bounded_for_fuzzing;

/// Most replications one input runs.
const MAX_REPLICATIONS: u32 = 3;

/// Runs the study of `scenario` when its file sets any of its keys (`replications`, `warmup`,
/// `baseline`, `[[expect]]`, `[check]`); a panic, or a baseline that fails against itself, is
/// a finding.
pub fn exercise_study(scenario: &Scenario) {
    let study = &scenario.study;
    let plain = cachestorm::scenario::Study {
        replications: 1,
        warmup: SimDuration::ZERO,
        baseline: None,
        expectations: Vec::new(),
        baseline_check: Default::default(),
        recovery: Default::default(),
    };
    if *study == plain {
        return;
    }
    let mut bounded = scenario.clone();
    for s in &mut bounded.strategies {
        bounded_for_fuzzing(&mut s.config);
    }
    bounded.study.replications = study.replications.min(MAX_REPLICATIONS);
    // The warm-up must stay whole buckets shorter than every shrunk run (validation checked it
    // against the run as written).
    let warmup = study.warmup;
    let fits = bounded
        .strategies
        .iter()
        .all(|s| warmup.0 % s.config.bucket.0 == 0 && warmup < s.config.duration);
    if !fits {
        bounded.study.warmup = SimDuration::ZERO;
    }
    let result = cachestorm::experiment::run_study(&bounded, &|_| {});
    let _ = replications::summary(&result);
    // Every run of the study, warm-up included, keeps the run invariants.
    for run in &result.runs {
        for (st, r) in bounded.strategies.iter().zip(&run.strategies) {
            super::invariants::check_run(&st.config, &r.result);
        }
    }
    let _ = cachestorm::report::table::headline(&result);
    let _ = replications::per_replication(&result);
    let _ = replications::intervals(&result);
    let _ = cachestorm::report::table::replications(&result);
    let _ = json::summary_bytes(&result);
    let _ = json::markdown(&result);
    let _ = csv::timeseries_replications(&result.runs);
    let _ = csv::nodes_replications(&result.runs);
    let judged: Vec<_> = study
        .expectations
        .iter()
        .map(|e| check::judge(&result, e))
        .collect();
    let _ = check::table(&bounded.name, result.replications(), &[], &judged);
    let saved = Baseline::of(&result, &scenario.source_sha256);
    let seeds: Vec<u64> = result.runs.iter().map(|r| r.seed).collect();
    let now = check::RunIdentity {
        sha256: &scenario.source_sha256,
        seeds: &seeds,
        warmup_s: result.warmup_s,
    };
    assert_eq!(saved.mismatch(now), None);
    assert_eq!(saved.invalid(), None);
    let compared = check::compare(
        &result,
        &scenario.source_sha256,
        &saved,
        "self",
        &study.baseline_check,
    );
    assert!(compared.notes.is_empty(), "{:?}", compared.notes);
    for j in compared.judged {
        assert!(
            j.verdict != Verdict::Fail,
            "a run compared with its own baseline failed: {j:?}"
        );
    }
}
