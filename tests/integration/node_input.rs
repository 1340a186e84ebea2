//! The scenario settings of cache-node failures (issue 10): placement, the app's cache timeout,
//! failover (rehash or a gutter pool), node capacity, hot-key replicas, the circuit breaker,
//! stale-on-error, and the timeline's `kill_node`, `restore_node`, `slow_node` and `drop_node`.
//! Bad values are refused naming the field, good ones reach the model's configuration as
//! written, a strategy can override failover and the breaker, and settings that do nothing are
//! warned about. Nothing here runs a simulation.

use cachestorm::engine::{SimDuration, SimTime};
use cachestorm::model::{
    BreakerConfig, Failover, GutterConfig, HotKeyReplicas, NodeWarmup, Placement, TimelineAction,
};
use toml::{Table, Value};

use super::builder::ScenarioBuilder;

/// A valid world of four cache nodes, where every new setting can act.
fn base() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("nodes");
    b.set("cache.nodes", 4);
    b
}

/// The base changed by `f`.
fn change(f: impl FnOnce(&mut ScenarioBuilder)) -> ScenarioBuilder {
    let mut b = base();
    f(&mut b);
    b
}

/// The base with one timeline event: `action` at 1 s with `fields`.
fn event(action: &str, fields: &[(&str, Value)]) -> ScenarioBuilder {
    change(|b| {
        b.event("1s", action, fields);
    })
}

/// An inline table such as `{ nodes = 2, ttl = "5s" }`.
fn table(fields: &[(&str, Value)]) -> Table {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

/// Node 1 dies at 1 s and comes back at 2 s with more `fields` (a warm-up's).
fn warm_restore(fields: &[(&str, Value)]) -> ScenarioBuilder {
    let mut fields = fields.to_vec();
    fields.push(("node", 1.into()));
    change(move |b| {
        b.event("1s", "kill_node", &[("node", 1.into())])
            .event("2s", "restore_node", &fields);
    })
}

fn bad_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let cache = |field: &'static str, value: Value| {
        change(move |b| {
            b.set(&format!("cache.{field}"), value);
        })
    };
    let gutter = |fields: &[(&str, Value)]| {
        let t = table(fields);
        change(move |b| {
            b.set("cache.failover", "gutter").set("cache.gutter", t);
        })
    };
    let replicas = |fields: &[(&str, Value)]| cache("hot_key_replicas", table(fields).into());
    let breaker = |fields: &[(&str, Value)]| {
        let t = table(fields);
        change(move |b| {
            b.set("mitigations.circuit_breaker", t);
        })
    };
    let dur = |s: &str| Value::from(s);
    vec![
        (
            "placement-unknown",
            cache("placement", "ring".into()),
            "cache.placement",
        ),
        (
            "placement-bool",
            cache("placement", true.into()),
            "cache.placement",
        ),
        (
            "timeout-zero",
            cache("timeout", "0s".into()),
            "cache.timeout",
        ),
        (
            "timeout-no-unit",
            cache("timeout", 50.into()),
            "cache.timeout",
        ),
        (
            "failover-unknown",
            cache("failover", "replicate".into()),
            "cache.failover",
        ),
        (
            "rehash-after-no-unit",
            cache("rehash_after", 2.into()),
            "cache.rehash_after",
        ),
        (
            "rehash-after-negative",
            cache("rehash_after", "-1s".into()),
            "cache.rehash_after",
        ),
        (
            "gutter-nodes-zero",
            gutter(&[("nodes", 0.into())]),
            "cache.gutter.nodes",
        ),
        (
            "gutter-nodes-huge",
            gutter(&[("nodes", 1001.into())]),
            "cache.gutter.nodes",
        ),
        (
            "gutter-capacity-zero",
            gutter(&[("capacity", 0.into())]),
            "cache.gutter.capacity",
        ),
        (
            "gutter-capacity-huge",
            gutter(&[("capacity", (1i64 << 31).into())]),
            "cache.gutter.capacity",
        ),
        (
            "gutter-ttl-zero",
            gutter(&[("ttl", dur("0s"))]),
            "cache.gutter.ttl",
        ),
        (
            "gutter-unknown-field",
            gutter(&[("size", 5.into())]),
            "cache.gutter.size",
        ),
        (
            "gutter-not-a-table",
            cache("gutter", "yes".into()),
            "cache.gutter",
        ),
        (
            "node-ops-zero",
            cache("node_ops_per_s", 0.into()),
            "cache.node_ops_per_s",
        ),
        (
            "node-ops-negative",
            cache("node_ops_per_s", (-5.0).into()),
            "cache.node_ops_per_s",
        ),
        (
            "node-ops-huge",
            cache("node_ops_per_s", 2e9.into()),
            "cache.node_ops_per_s",
        ),
        (
            "node-ops-infinite",
            cache("node_ops_per_s", f64::INFINITY.into()),
            "cache.node_ops_per_s",
        ),
        (
            "node-ops-nan",
            cache("node_ops_per_s", f64::NAN.into()),
            "cache.node_ops_per_s",
        ),
        (
            "replicas-keys-missing",
            replicas(&[("replicas", 2.into())]),
            "cache.hot_key_replicas.keys",
        ),
        (
            "replicas-replicas-missing",
            replicas(&[("keys", 10.into())]),
            "cache.hot_key_replicas.replicas",
        ),
        (
            "replicas-keys-zero",
            replicas(&[("keys", 0.into()), ("replicas", 2.into())]),
            "cache.hot_key_replicas.keys",
        ),
        (
            "replicas-keys-above-keyspace",
            replicas(&[("keys", 1001.into()), ("replicas", 2.into())]),
            "cache.hot_key_replicas.keys",
        ),
        (
            "replicas-zero",
            replicas(&[("keys", 10.into()), ("replicas", 0.into())]),
            "cache.hot_key_replicas.replicas",
        ),
        (
            "replicas-above-nodes",
            replicas(&[("keys", 10.into()), ("replicas", 5.into())]),
            "cache.hot_key_replicas.replicas",
        ),
        (
            "replicas-unknown-field",
            replicas(&[
                ("keys", 10.into()),
                ("replicas", 2.into()),
                ("copies", 2.into()),
            ]),
            "cache.hot_key_replicas.copies",
        ),
        (
            "breaker-failures-zero",
            breaker(&[("failures", 0.into())]),
            "mitigations.circuit_breaker.failures",
        ),
        (
            "breaker-failures-huge",
            breaker(&[("failures", 1_000_001.into())]),
            "mitigations.circuit_breaker.failures",
        ),
        (
            "breaker-window-zero",
            breaker(&[("window", dur("0s"))]),
            "mitigations.circuit_breaker.window",
        ),
        (
            "breaker-cool-down-zero",
            breaker(&[("cool_down", dur("0ms"))]),
            "mitigations.circuit_breaker.cool_down",
        ),
        (
            "breaker-cool-down-no-unit",
            breaker(&[("cool_down", 5.into())]),
            "mitigations.circuit_breaker.cool_down",
        ),
        (
            "breaker-probes-zero",
            breaker(&[("probes", 0.into())]),
            "mitigations.circuit_breaker.probes",
        ),
        (
            "breaker-probes-huge",
            breaker(&[("probes", 1_000_001.into())]),
            "mitigations.circuit_breaker.probes",
        ),
        (
            "breaker-unknown-field",
            breaker(&[("threshold", 5.into())]),
            "mitigations.circuit_breaker.threshold",
        ),
        (
            "breaker-without-cache",
            change(|b| {
                b.no_cache()
                    .set("mitigations.circuit_breaker", Table::new());
            }),
            "mitigations.circuit_breaker",
        ),
        (
            "stale-on-error-not-bool",
            change(|b| {
                b.set("mitigations.stale_on_error", "yes");
            }),
            "mitigations.stale_on_error",
        ),
        (
            "stale-on-error-without-cache",
            change(|b| {
                b.no_cache().set("mitigations.stale_on_error", true);
            }),
            "mitigations.stale_on_error",
        ),
        (
            "kill-node-missing",
            event("kill_node", &[]),
            "timeline[0].node",
        ),
        (
            "kill-node-above-nodes",
            event("kill_node", &[("node", 4.into())]),
            "timeline[0].node",
        ),
        (
            "kill-node-negative",
            event("kill_node", &[("node", (-1).into())]),
            "timeline[0].node",
        ),
        (
            "kill-node-not-integer",
            event("kill_node", &[("node", 1.5.into())]),
            "timeline[0].node",
        ),
        (
            "kill-node-without-cache-above-any-cluster",
            change(|b| {
                b.no_cache()
                    .event("1s", "kill_node", &[("node", 1024.into())]);
            }),
            "timeline[0].node",
        ),
        (
            "restore-node-missing",
            event("restore_node", &[]),
            "timeline[0].node",
        ),
        (
            "restore-node-above-nodes",
            event("restore_node", &[("node", 9.into())]),
            "timeline[0].node",
        ),
        (
            "restore-warmup-rate-zero",
            warm_restore(&[("warmup_top", 10.into()), ("warmup_rate", 0.into())]),
            "timeline[1].warmup_rate",
        ),
        (
            "restore-warmup-rate-negative",
            warm_restore(&[("warmup_top", 10.into()), ("warmup_rate", (-5.0).into())]),
            "timeline[1].warmup_rate",
        ),
        (
            "restore-warmup-rate-missing",
            warm_restore(&[("warmup_top", 10.into())]),
            "timeline[1].warmup_rate",
        ),
        (
            "restore-warmup-top-missing",
            warm_restore(&[("warmup_rate", 100.into())]),
            "timeline[1].warmup_top",
        ),
        (
            "restore-warmup-top-above-keyspace",
            warm_restore(&[("warmup_top", 1001.into()), ("warmup_rate", 100.into())]),
            "timeline[1].warmup_top",
        ),
        (
            "restore-warmup-top-zero",
            warm_restore(&[("warmup_top", 0.into()), ("warmup_rate", 100.into())]),
            "timeline[1].warmup_top",
        ),
        (
            "restore-warmup-max-zero",
            warm_restore(&[
                ("warmup_top", 10.into()),
                ("warmup_rate", 100.into()),
                ("warmup_max", dur("0s")),
            ]),
            "timeline[1].warmup_max",
        ),
        (
            "restore-warmup-max-without-warmup",
            warm_restore(&[("warmup_max", dur("5s"))]),
            "timeline[1].warmup_max",
        ),
        (
            "restore-warmup-lead",
            warm_restore(&[
                ("warmup_top", 10.into()),
                ("warmup_rate", 100.into()),
                ("warmup_lead", dur("1s")),
            ]),
            "timeline[1].warmup_lead",
        ),
        (
            "kill-node-warmup",
            event(
                "kill_node",
                &[
                    ("node", 0.into()),
                    ("warmup_top", 10.into()),
                    ("warmup_rate", 100.into()),
                ],
            ),
            "timeline[0].warmup_top",
        ),
        (
            "slow-node-warmup-rate",
            event(
                "slow_node",
                &[
                    ("factor", 2.into()),
                    ("lasting", dur("1s")),
                    ("warmup_rate", 100.into()),
                ],
            ),
            "timeline[0].warmup_rate",
        ),
        (
            "deploy-warmup-max",
            event(
                "deploy",
                &[
                    ("warmup_top", 10.into()),
                    ("warmup_rate", 100.into()),
                    ("warmup_max", dur("5s")),
                ],
            ),
            "timeline[0].warmup_max",
        ),
        (
            "slow-node-factor-missing",
            event("slow_node", &[("lasting", dur("5s"))]),
            "timeline[0].factor",
        ),
        (
            "slow-node-factor-below-one",
            event(
                "slow_node",
                &[("factor", 0.5.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].factor",
        ),
        (
            "slow-node-factor-huge",
            event(
                "slow_node",
                &[("factor", 10_001.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].factor",
        ),
        (
            "slow-node-factor-infinite",
            event(
                "slow_node",
                &[("factor", f64::INFINITY.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].factor",
        ),
        (
            "slow-node-factor-nan",
            event(
                "slow_node",
                &[("factor", f64::NAN.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].factor",
        ),
        (
            "slow-node-lasting-missing",
            event("slow_node", &[("factor", 3.into())]),
            "timeline[0].lasting",
        ),
        (
            "slow-node-lasting-zero",
            event("slow_node", &[("factor", 3.into()), ("lasting", dur("0s"))]),
            "timeline[0].lasting",
        ),
        (
            "slow-node-node-above-nodes",
            event(
                "slow_node",
                &[
                    ("node", 4.into()),
                    ("factor", 3.into()),
                    ("lasting", dur("5s")),
                ],
            ),
            "timeline[0].node",
        ),
        (
            "drop-node-share-missing",
            event("drop_node", &[("lasting", dur("5s"))]),
            "timeline[0].share",
        ),
        (
            "drop-node-share-zero",
            event("drop_node", &[("share", 0.into()), ("lasting", dur("5s"))]),
            "timeline[0].share",
        ),
        (
            "drop-node-share-above-one",
            event(
                "drop_node",
                &[("share", 1.5.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].share",
        ),
        (
            "drop-node-share-nan",
            event(
                "drop_node",
                &[("share", f64::NAN.into()), ("lasting", dur("5s"))],
            ),
            "timeline[0].share",
        ),
        (
            "drop-node-lasting-missing",
            event("drop_node", &[("share", 0.5.into())]),
            "timeline[0].lasting",
        ),
        (
            "drop-node-factor",
            event(
                "drop_node",
                &[
                    ("share", 0.5.into()),
                    ("lasting", dur("5s")),
                    ("factor", 2.into()),
                ],
            ),
            "timeline[0].factor",
        ),
        (
            "kill-node-share",
            event("kill_node", &[("node", 0.into()), ("share", 0.5.into())]),
            "timeline[0].share",
        ),
        (
            "kill-node-rps",
            event("kill_node", &[("node", 0.into()), ("rps", 10.into())]),
            "timeline[0].rps",
        ),
        (
            "flush-lasting",
            event("flush", &[("lasting", dur("5s"))]),
            "timeline[0].lasting",
        ),
        (
            "timeline-unknown-field",
            event("kill_node", &[("node", 0.into()), ("nodes", 1.into())]),
            "timeline[0].nodes",
        ),
        (
            "action-unknown",
            event("crash_node", &[]),
            "timeline[0].action",
        ),
        (
            "strategy-failover-unknown",
            change(|b| {
                b.strategy("bad", |s| {
                    s.set("cache.failover", "pray");
                });
            }),
            "strategies[0] (`bad`).cache.failover",
        ),
        (
            "strategy-fewer-nodes-than-the-timeline-names",
            change(|b| {
                b.event("1s", "kill_node", &[("node", 3.into())])
                    .strategy("small", |s| {
                        s.set("cache.nodes", 2);
                    });
            }),
            "strategies[0] (`small`).timeline[0].node",
        ),
    ]
}

#[test]
fn bad_node_fields_exit_2_name_the_field_and_write_nothing() {
    super::assert_refused(bad_inputs().into_iter().map(|(n, b, f)| (n, b.toml(), f)));
    // The base they break is valid: each case fails for its own field.
    base().scenario();
}

#[test]
fn messages_say_what_is_allowed() {
    let message = |b: ScenarioBuilder| b.check().unwrap_err();
    let e = message(change(|b| {
        b.set("cache.failover", "replicate");
    }));
    for name in ["\"none\"", "\"rehash\"", "\"gutter\"", "`replicate`"] {
        assert!(e.contains(name), "{e}");
    }
    let e = message(change(|b| {
        b.set("cache.placement", "ring");
    }));
    assert!(
        e.contains("\"consistent\"") && e.contains("\"modulo\""),
        "{e}"
    );
    let e = message(event("crash_node", &[]));
    for name in [
        "kill_node",
        "restore_node",
        "slow_node",
        "drop_node",
        "flush",
    ] {
        assert!(e.contains(name), "{e}");
    }
    let e = message(event(
        "kill_node",
        &[("node", 0.into()), ("share", 0.5.into())],
    ));
    assert!(
        e.contains("does not apply to action \"kill_node\" (it takes node)"),
        "{e}"
    );
    let e = message(event("kill_node", &[("node", 4.into())]));
    assert!(e.contains("from 0 to 3"), "{e}");
    let e = message(change(|b| {
        b.set(
            "cache.hot_key_replicas",
            table(&[("keys", 10.into()), ("replicas", 5.into())]),
        );
    }));
    assert!(
        e.contains("from 1 to 4") && e.contains("cache.nodes"),
        "{e}"
    );
}

#[test]
fn cache_node_settings_default_to_a_ring_no_timeout_no_failover_unlimited_nodes() {
    let s = base().scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let c = s.base.cache.unwrap();
    assert_eq!(c.placement, Placement::Consistent);
    assert_eq!(c.timeout, None);
    assert_eq!(c.failover, Failover::None);
    assert_eq!(c.node_ops_per_s, None);
    assert_eq!(c.hot_key_replicas, None);
    let m = &s.base.mitigations;
    assert_eq!(m.circuit_breaker, None);
    assert!(!m.stale_on_error);
}

#[test]
fn cache_node_settings_parse_into_the_model_config() {
    let s = change(|b| {
        b.set("cache.placement", "modulo")
            .set("cache.timeout", "50ms")
            .set("cache.failover", "gutter")
            .set(
                "cache.gutter",
                table(&[
                    ("nodes", 2.into()),
                    ("capacity", 10_000.into()),
                    ("ttl", "5s".into()),
                ]),
            )
            .set("cache.node_ops_per_s", 50_000)
            .set(
                "cache.hot_key_replicas",
                table(&[("keys", 10.into()), ("replicas", 3.into())]),
            )
            .local_cache("10s")
            .set(
                "mitigations.circuit_breaker",
                table(&[
                    ("failures", 3.into()),
                    ("window", "2s".into()),
                    ("cool_down", "10s".into()),
                    ("probes", 2.into()),
                ]),
            )
            .set("mitigations.stale_on_error", true)
            .event("2s", "kill_node", &[("node", 1.into())]);
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let c = s.base.cache.as_ref().unwrap();
    assert_eq!(c.placement, Placement::Modulo);
    assert_eq!(c.timeout, Some(ms(50)));
    assert_eq!(
        c.failover,
        Failover::Gutter(GutterConfig {
            nodes: 2,
            capacity: Some(10_000),
            ttl: secs(5),
        })
    );
    assert_eq!(c.node_ops_per_s, Some(50_000.0));
    assert_eq!(
        c.hot_key_replicas,
        Some(HotKeyReplicas {
            keys: 10,
            replicas: 3,
        })
    );
    let m = &s.base.mitigations;
    assert_eq!(
        m.circuit_breaker,
        Some(BreakerConfig {
            failures: 3,
            window: secs(2),
            cool_down: secs(10),
            probes: 2,
        })
    );
    assert!(m.stale_on_error);
    assert_eq!(s.strategies[0].config, s.base);

    // The edges of each range are allowed.
    let c = change(|b| {
        b.set("cache.nodes", 1)
            .set("cache.node_ops_per_s", 1e9)
            .set("cache.failover", "gutter")
            .set(
                "cache.gutter",
                table(&[("nodes", 1000.into()), ("capacity", i32::MAX.into())]),
            )
            .set(
                "cache.hot_key_replicas",
                table(&[("keys", 1000.into()), ("replicas", 1.into())]),
            )
            .event("1s", "kill_node", &[("node", 0.into())]);
    })
    .scenario()
    .base
    .cache
    .unwrap();
    assert_eq!(c.node_ops_per_s, Some(1e9));
    assert_eq!(
        c.failover,
        Failover::Gutter(GutterConfig {
            nodes: 1000,
            capacity: Some(i32::MAX as u32),
            ttl: secs(10),
        })
    );
    assert_eq!(
        c.hot_key_replicas,
        Some(HotKeyReplicas {
            keys: 1000,
            replicas: 1,
        })
    );
}

#[test]
fn failover_defaults_rehash_after_a_second_and_a_gutter_of_one_node() {
    let failover = |f: fn(&mut ScenarioBuilder)| {
        let s = change(|b| {
            b.event("1s", "kill_node", &[("node", 0.into())]);
            f(b);
        })
        .scenario();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        s.base.cache.unwrap().failover
    };
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "none");
        }),
        Failover::None
    );
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "rehash");
        }),
        Failover::Rehash { after: secs(1) }
    );
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "rehash")
                .set("cache.rehash_after", "0s");
        }),
        Failover::Rehash {
            after: SimDuration::ZERO
        },
        "a dead node may be noticed at once"
    );
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "rehash")
                .set("cache.rehash_after", "2.5s");
        }),
        Failover::Rehash { after: ms(2500) }
    );
    let default_gutter = Failover::Gutter(GutterConfig {
        nodes: 1,
        capacity: None,
        ttl: secs(10),
    });
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "gutter");
        }),
        default_gutter,
        "without a cache.gutter table"
    );
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "gutter")
                .set("cache.gutter", Table::new());
        }),
        default_gutter,
        "with an empty one"
    );
    assert_eq!(
        failover(|b| {
            b.set("cache.failover", "gutter")
                .set("cache.gutter.ttl", "2s");
        }),
        Failover::Gutter(GutterConfig {
            nodes: 1,
            capacity: None,
            ttl: secs(2),
        })
    );
}

#[test]
fn a_circuit_breaker_table_defaults_to_5_failures_in_1s_a_5s_cool_down_and_1_probe() {
    let s = change(|b| {
        b.set("mitigations.circuit_breaker", Table::new());
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        s.base.mitigations.circuit_breaker,
        Some(BreakerConfig {
            failures: 5,
            window: secs(1),
            cool_down: secs(5),
            probes: 1,
        })
    );
}

#[test]
fn a_strategy_can_change_failover_and_the_breaker() {
    let mut b = base();
    b.set("cache.failover", "rehash")
        .set("cache.rehash_after", "2s")
        .set("mitigations.circuit_breaker.failures", 10)
        .event("1s", "kill_node", &[("node", 2.into())])
        .strategy("as-base", |_| {})
        .strategy("gutter", |s| {
            s.set("cache.failover", "gutter")
                .set("cache.gutter.nodes", 2);
        })
        .strategy("faster-breaker", |s| {
            s.set("mitigations.circuit_breaker.cool_down", "1s")
                .set("cache.failover", "none");
        });
    let s = b.scenario();
    let cache = |i: usize| s.strategies[i].config.cache.as_ref().unwrap();
    let breaker = |i: usize| s.strategies[i].config.mitigations.circuit_breaker.unwrap();
    assert_eq!(s.strategies[0].config, s.base);
    assert_eq!(cache(0).failover, Failover::Rehash { after: secs(2) });
    assert_eq!(
        cache(1).failover,
        Failover::Gutter(GutterConfig {
            nodes: 2,
            capacity: None,
            ttl: secs(10),
        })
    );
    assert_eq!(breaker(1), breaker(0), "the base's breaker is kept");
    assert_eq!(cache(2).failover, Failover::None);
    assert_eq!(
        breaker(2),
        BreakerConfig {
            failures: 10,
            window: secs(1),
            cool_down: secs(1),
            probes: 1,
        },
        "tables merge key by key"
    );
    // The base's rehash_after does nothing in the strategies that leave rehashing: a warning
    // names them, not an error (a strategy cannot remove a key it inherits).
    let inert: Vec<&String> = s
        .warnings
        .iter()
        .filter(|w| w.contains("cache.rehash_after"))
        .collect();
    assert_eq!(inert.len(), 1, "{:?}", s.warnings);
    assert!(
        inert[0].contains("`gutter`, `faster-breaker`") && inert[0].contains("does nothing"),
        "{inert:?}"
    );
}

#[test]
fn node_actions_parse_with_their_defaults() {
    let s = change(|b| {
        b.event("1s", "kill_node", &[("node", 3.into())])
            .event("3s", "restore_node", &[("node", 3.into())])
            .event(
                "2s",
                "slow_node",
                &[("factor", 4.into()), ("lasting", "500ms".into())],
            )
            .event(
                "2s",
                "slow_node",
                &[
                    ("node", 1.into()),
                    ("factor", 10_000.into()),
                    ("lasting", "1s".into()),
                ],
            )
            .event(
                "4s",
                "drop_node",
                &[("share", 1.into()), ("lasting", "2s".into())],
            )
            .event(
                "5s",
                "drop_node",
                &[
                    ("node", 0.into()),
                    ("share", 0.25.into()),
                    ("lasting", "1ms".into()),
                ],
            )
            .event(
                "6s",
                "slow_node",
                &[("factor", 1.into()), ("lasting", "1s".into())],
            );
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let got: Vec<(SimTime, TimelineAction)> = s
        .base
        .timeline
        .iter()
        .map(|e| (e.at, e.action.clone()))
        .collect();
    let at = |n: u64| SimTime(secs(n).0);
    assert_eq!(
        got,
        vec![
            (at(1), TimelineAction::KillNode { node: 3 }),
            (
                at(2),
                TimelineAction::SlowNode {
                    node: None,
                    factor: 4.0,
                    lasting: ms(500),
                }
            ),
            (
                at(2),
                TimelineAction::SlowNode {
                    node: Some(1),
                    factor: 10_000.0,
                    lasting: secs(1),
                }
            ),
            (
                at(3),
                TimelineAction::RestoreNode {
                    node: 3,
                    warmup: None
                }
            ),
            (
                at(4),
                TimelineAction::DropNode {
                    node: None,
                    share: 1.0,
                    lasting: secs(2),
                }
            ),
            (
                at(5),
                TimelineAction::DropNode {
                    node: Some(0),
                    share: 0.25,
                    lasting: ms(1),
                }
            ),
            (
                at(6),
                TimelineAction::SlowNode {
                    node: None,
                    factor: 1.0,
                    lasting: secs(1),
                }
            ),
        ],
        "sorted by time, file order at equal times"
    );
}

#[test]
fn a_node_killed_twice_or_restored_after_a_kill_at_the_same_time_is_not_warned_about() {
    let s = change(|b| {
        b.event("2s", "kill_node", &[("node", 1.into())])
            .event("2s", "restore_node", &[("node", 1.into())])
            .event("3s", "kill_node", &[("node", 1.into())])
            .event("4s", "kill_node", &[("node", 1.into())])
            .event("5s", "restore_node", &[("node", 1.into())]);
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn settings_that_do_nothing_are_warned_about() {
    let killed = |f: fn(&mut ScenarioBuilder)| {
        change(|b| {
            b.event("1s", "kill_node", &[("node", 0.into())]);
            f(b);
        })
    };
    super::assert_inert(vec![
        (
            "stale-on-error-without-local-cache",
            change(|b| {
                b.set("mitigations.stale_on_error", true);
            }),
            "mitigations.stale_on_error",
        ),
        (
            "stale-on-error-with-local-cache-disabled",
            change(|b| {
                b.local_cache("10s")
                    .set("local_cache.enabled", false)
                    .set("mitigations.stale_on_error", true);
            }),
            "mitigations.stale_on_error",
        ),
        (
            "rehash-without-kill",
            change(|b| {
                b.set("cache.failover", "rehash");
            }),
            "cache.failover",
        ),
        (
            "gutter-without-any-failure",
            change(|b| {
                b.set("cache.failover", "gutter").event(
                    "1s",
                    "slow_node",
                    &[("factor", 2.0.into()), ("lasting", "1s".into())],
                );
            }),
            "cache.failover",
        ),
        (
            "rehash-after-without-rehash",
            killed(|b| {
                b.set("cache.rehash_after", "2s");
            }),
            "cache.rehash_after",
        ),
        (
            "rehash-after-with-gutter",
            killed(|b| {
                b.set("cache.failover", "gutter")
                    .set("cache.rehash_after", "2s");
            }),
            "cache.rehash_after",
        ),
        (
            "gutter-without-gutter",
            killed(|b| {
                b.set("cache.gutter.nodes", 2);
            }),
            "cache.gutter",
        ),
        (
            "gutter-with-rehash",
            killed(|b| {
                b.set("cache.failover", "rehash")
                    .set("cache.gutter.nodes", 2);
            }),
            "cache.gutter",
        ),
        (
            "restore-without-kill",
            change(|b| {
                b.event("1s", "restore_node", &[("node", 2.into())]);
            }),
            "timeline[0]",
        ),
        (
            "restore-of-another-node",
            change(|b| {
                b.event("1s", "kill_node", &[("node", 1.into())]).event(
                    "2s",
                    "restore_node",
                    &[("node", 2.into())],
                );
            }),
            "timeline[1]",
        ),
        (
            "restore-before-the-kill",
            change(|b| {
                b.event("3s", "kill_node", &[("node", 1.into())]).event(
                    "2s",
                    "restore_node",
                    &[("node", 1.into())],
                );
            }),
            "timeline[1]",
        ),
        (
            "restored-twice",
            change(|b| {
                b.event("1s", "kill_node", &[("node", 1.into())])
                    .event("2s", "restore_node", &[("node", 1.into())])
                    .event("3s", "restore_node", &[("node", 1.into())]);
            }),
            "timeline[2]",
        ),
        (
            "node-settings-without-cache",
            change(|b| {
                b.no_cache()
                    .set("cache.failover", "rehash")
                    .set("cache.timeout", "10ms");
            }),
            "cache.failover",
        ),
        (
            "kill-node-without-cache",
            change(|b| {
                b.no_cache().event("1s", "kill_node", &[("node", 7.into())]);
            }),
            "timeline[0]",
        ),
        (
            "slow-node-without-cache",
            change(|b| {
                b.no_cache().event(
                    "1s",
                    "slow_node",
                    &[("factor", 2.into()), ("lasting", "1s".into())],
                );
            }),
            "timeline[0]",
        ),
    ]);
}

#[test]
fn a_strategy_without_a_cache_keeps_the_base_node_timeline_with_a_warning() {
    let mut b = base();
    b.set("cache.failover", "rehash")
        .event("1s", "kill_node", &[("node", 3.into())])
        .event("2s", "restore_node", &[("node", 3.into())])
        .strategy("cached", |_| {})
        .strategy("no-cache", |s| {
            s.set("cache.enabled", false);
        });
    let s = b.scenario();
    assert_eq!(s.strategies[1].config.cache, None);
    assert_eq!(s.strategies[1].config.timeline, s.base.timeline);
    for field in ["timeline[0]", "timeline[1]"] {
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains(&format!("field `{field}` (strategy `no-cache`)"))),
            "{field}: {:?}",
            s.warnings
        );
    }
    // The strategy's one change is `cache.enabled = false`: the [cache] fields it inherits
    // doing nothing is what it says itself, so they are not warned about.
    assert!(
        !s.warnings.iter().any(|w| w.contains("`cache.failover`")),
        "{:?}",
        s.warnings
    );
    assert!(
        !s.warnings.iter().any(|w| w.contains("`cached`")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn a_warm_restore_parses_its_warm_up_and_names_what_restore_node_takes() {
    let got =
        |fields: &[(&str, Value)]| match warm_restore(fields).scenario().base.timeline[1].action {
            TimelineAction::RestoreNode { node: 1, warmup } => warmup,
            ref other => panic!("{other:?}"),
        };
    assert_eq!(
        got(&[("warmup_top", 1000.into()), ("warmup_rate", 250.5.into())]),
        Some(NodeWarmup {
            top: 1000,
            rate: 250.5,
            max: None
        }),
        "top may be the whole keyspace; no longest time by default"
    );
    assert_eq!(
        got(&[
            ("warmup_top", 1.into()),
            ("warmup_rate", 1e9.into()),
            ("warmup_max", "3s".into())
        ]),
        Some(NodeWarmup {
            top: 1,
            rate: 1e9,
            max: Some(secs(3))
        })
    );
    assert_eq!(got(&[]), None);
    let e = warm_restore(&[("warmup_top", 10.into()), ("warmup_rate", 0.into())])
        .check()
        .unwrap_err();
    assert!(
        e.contains("timeline[1].warmup_rate") && e.contains("greater than 0"),
        "{e}"
    );
    let e = event(
        "kill_node",
        &[("node", 0.into()), ("warmup_top", 10.into())],
    )
    .check()
    .unwrap_err();
    assert!(
        e.contains("timeline[0].warmup_top")
            && e.contains("does not apply to action \"kill_node\" (it takes node)"),
        "{e}"
    );
    let e = warm_restore(&[("warmup_lead", "1s".into())])
        .check()
        .unwrap_err();
    assert!(
        e.contains("(it takes node, warmup_top, warmup_rate, warmup_max)"),
        "{e}"
    );
}
