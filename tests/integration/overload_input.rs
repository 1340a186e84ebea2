//! The settings of the two overload mitigations on the clients' side of the database (issue
//! 20): `mitigations.db_breaker` and `mitigations.adaptive_throttling`. Bad values are refused
//! naming the field, good ones reach the model's configuration as written (defaults included),
//! a breaker nothing can open is warned about, and each moves a retry storm out of its
//! metastable state.

use cachestorm::engine::SimDuration;
use cachestorm::model::{BreakerConfig, DbBreakerConfig, ThrottleConfig};
use toml::{Table, Value};

use super::builder::ScenarioBuilder;

fn table(fields: &[(&str, Value)]) -> Table {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn with(field: &str, fields: &[(&str, Value)]) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("overload");
    b.set(&format!("mitigations.{field}"), table(fields));
    b
}

#[test]
fn bad_settings_exit_2_name_the_field_and_write_nothing() {
    let cases = vec![
        (
            "k-below-1",
            with("adaptive_throttling", &[("k", 0.5.into())]),
            "mitigations.adaptive_throttling.k",
        ),
        (
            "k-huge",
            with("adaptive_throttling", &[("k", 1e6.into())]),
            "mitigations.adaptive_throttling.k",
        ),
        (
            "k-text",
            with("adaptive_throttling", &[("k", "two".into())]),
            "k",
        ),
        (
            "window-zero",
            with("adaptive_throttling", &[("window", "0s".into())]),
            "mitigations.adaptive_throttling.window",
        ),
        (
            "throttle-unknown",
            with("adaptive_throttling", &[("ratio", 2.into())]),
            "ratio",
        ),
        (
            "breaker-failures-zero",
            with("db_breaker", &[("failures", 0.into())]),
            "mitigations.db_breaker.failures",
        ),
        (
            "breaker-slow-zero",
            with("db_breaker", &[("slow", "0ms".into())]),
            "mitigations.db_breaker.slow",
        ),
        (
            "breaker-cool-down-no-unit",
            with("db_breaker", &[("cool_down", 5.into())]),
            "cool_down",
        ),
        (
            "breaker-unknown",
            with("db_breaker", &[("timeout", "1s".into())]),
            "timeout",
        ),
    ];
    super::assert_refused(cases.into_iter().map(|(n, b, f)| (n, b.toml(), f)));
}

#[test]
fn settings_reach_the_model_with_their_defaults() {
    let config = |b: ScenarioBuilder| b.scenario().strategies[0].config.mitigations.clone();
    let m = config(with("adaptive_throttling", &[]));
    assert_eq!(
        m.adaptive_throttling,
        Some(ThrottleConfig {
            k: 2.0,
            window: SimDuration::from_secs(120)
        })
    );
    assert_eq!(m.db_breaker, None);
    let m = config(with(
        "db_breaker",
        &[
            ("failures", 20.into()),
            ("slow", "500ms".into()),
            ("probes", 3.into()),
        ],
    ));
    assert_eq!(
        m.db_breaker,
        Some(DbBreakerConfig {
            breaker: BreakerConfig {
                failures: 20,
                window: SimDuration::from_secs(1),
                cool_down: SimDuration::from_secs(5),
                probes: 3
            },
            slow: Some(SimDuration::from_millis(500))
        })
    );
    assert_eq!(m.adaptive_throttling, None);
}

#[test]
fn a_database_breaker_nothing_can_open_is_warned_about() {
    super::assert_inert(vec![(
        "inert-db-breaker",
        with("db_breaker", &[]),
        "mitigations.db_breaker",
    )]);
    // With a way to fail, no warning.
    let mut b = with("db_breaker", &[]);
    b.set("db.queue_limit", 100);
    assert!(
        b.scenario().warnings.is_empty(),
        "{:?}",
        b.scenario().warnings
    );
}

/// The shipped retry storm, its naive strategy with one mitigation added.
fn storm(mitigation: Option<(&str, Table)>) -> String {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/metastable-retry-storm.toml"),
    )
    .unwrap();
    let mut b = ScenarioBuilder::from_toml(&text);
    b.keep_strategies(1);
    if let Some((field, t)) = mitigation {
        b.set(&format!("mitigations.{field}"), t);
    }
    b.unset("expect");
    b.toml()
}

#[test]
fn each_brings_the_retry_storm_back_where_naive_retries_stay_down() {
    let breaker = table(&[
        ("failures", 20.into()),
        ("cool_down", "2s".into()),
        ("probes", 5.into()),
        ("slow", "500ms".into()),
    ]);
    let throttle = table(&[("k", 2.into()), ("window", "10s".into())]);
    for (name, mitigation, recovers) in [
        ("naive", None, false),
        ("db-breaker", Some(("db_breaker", breaker)), true),
        ("throttling", Some(("adaptive_throttling", throttle)), true),
    ] {
        let r = super::simulate(&storm(mitigation));
        let recovery = r.summary.recovery.expect("the flush is a disturbance");
        assert_eq!(recovery.recovered(), recovers, "{name}: {recovery:?}");
        let t = &r.summary.totals;
        match name {
            "db-breaker" => assert!(t.errors_db_breaker > 0 && t.db_breaker_opens > 0),
            "throttling" => assert!(t.errors_throttled > 0),
            _ => assert_eq!(
                t.errors_throttled + t.errors_db_breaker + t.db_breaker_opens,
                0
            ),
        }
    }
}
