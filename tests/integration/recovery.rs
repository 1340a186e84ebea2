//! The recovery verdict on whole runs (issue 18): a storm that goes on is not "recovered" even
//! when it is within 10% of the level, and Poisson noise at a low rate is not a failure.
//! (The rule itself is unit-tested in `src/metrics/recovery.rs`.)

use std::path::Path;

use cachestorm::experiment::run_scenario;
use cachestorm::metrics::recovery::Recovery;

use super::builder::ScenarioBuilder;
use super::regressions::NODE_LOSS;

fn verdicts(toml: &str) -> Vec<(String, Option<Recovery>)> {
    let scenario =
        cachestorm::scenario::parse(toml, Path::new("recovery.toml")).expect("a valid file");
    run_scenario(&scenario, &|_| {})
        .strategies
        .into_iter()
        .map(|s| (s.name, s.result.summary.recovery))
        .collect()
}

#[test]
fn a_retry_storm_that_goes_on_at_93_percent_is_not_recovered() {
    // The SRE's node loss with naive retries, to 300 s (before the preload's TTL ends): after
    // node 2 comes back at 120 s, goodput stays 4-7% below its level to the end, with retries
    // still failing. The old rule (within 10%) called that recovered after 8 s.
    let text = ScenarioBuilder::from_toml(NODE_LOSS)
        .duration("300s")
        .toml();
    let v = verdicts(&text);
    let r = v[0].1.expect("a node loss disturbs the run");
    assert!(!r.recovered(), "{r:?}");
    assert!(r.metastable, "node back and load at its level: metastable");
}

/// `metastable-retry-storm` at `rps` requests a second, its base strategy (naive retries).
fn storm_at(rps: u32) -> ScenarioBuilder {
    let text = std::fs::read_to_string(super::scenario_path("metastable-retry-storm.toml"))
        .expect("the shipped scenario is readable");
    let mut storm = ScenarioBuilder::from_toml(&text);
    storm
        .set("clients.rps", i64::from(rps))
        .unset("strategies")
        .unset("expect");
    storm
}

#[test]
fn a_flush_below_the_threshold_recovers_at_once_despite_poisson_noise() {
    // 120 requests a second in 1 s buckets: a quarter of the buckets are more than 10% off
    // the mean by chance, which the old rule read as "never".
    for seed in [7, 8, 9] {
        let text = storm_at(120).set("seed", seed).toml();
        let r = verdicts(&text)[0].1.expect("a flush disturbs the run");
        assert!(r.recovered() && r.recovery_s <= 5.0, "seed {seed}: {r:?}");
        assert!(!r.metastable);
    }
}

#[test]
fn the_recovery_section_chooses_the_figure_and_the_band() {
    // Above the threshold goodput never comes back, and neither does the error ratio.
    for metric in ["goodput", "error_ratio", "p99_latency"] {
        let text = storm_at(1500)
            .set("recovery.metric", metric)
            .set("recovery.hold", "10s")
            .toml();
        let r = verdicts(&text)[0].1.unwrap();
        assert!(!r.recovered() && r.metastable, "{metric}: {r:?}");
    }
    // A band as wide as the level itself takes any goodput above zero for a recovery.
    let text = storm_at(1500).set("recovery.tolerance", 1.0).toml();
    let r = verdicts(&text)[0].1.unwrap();
    assert_eq!(r.recovery_s, 0.0);
}

#[test]
fn a_node_never_restored_is_not_metastable() {
    // Node 2 dies at 60 s and stays dead: whatever happens after, the trigger is not over.
    let text = ScenarioBuilder::from_toml(NODE_LOSS)
        .duration("200s")
        .set("timeline.2.action", "flush")
        .toml();
    let r = verdicts(&text)[0].1.unwrap();
    assert!(!r.metastable, "{r:?}");
}
