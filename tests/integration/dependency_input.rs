//! The scenario settings of dependency failures (issue 10): `[retries]`, the app queue's order,
//! shedding and cancellation, database errors and degradation. Bad values are refused naming
//! the field, good ones reach the model's configuration as written, a strategy can override
//! `[retries]`, and settings that do nothing are warned about. Nothing here runs a simulation.

use cachestorm::engine::SimDuration;
use cachestorm::model::{
    Backoff, Degradation, QueueOrder, RetryBudget, RetryConfig, RetryOn, Shedding,
};
use toml::{Table, Value};

use super::builder::ScenarioBuilder;

/// A valid world where every new setting can act: clients time out and app instances have
/// a bounded number of workers (so a queue forms).
fn base() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("dependency");
    b.set("clients.timeout", "200ms").set("app.workers", 16);
    b
}

/// The base changed by `f`.
fn change(f: impl FnOnce(&mut ScenarioBuilder)) -> ScenarioBuilder {
    let mut b = base();
    f(&mut b);
    b
}

/// An inline table such as `{ capacity = 10, cost = 5 }`.
fn table(fields: &[(&str, Value)]) -> Table {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn bad_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let retries = |f: &dyn Fn(&mut ScenarioBuilder)| {
        change(|b| {
            b.set("retries.attempts", 3);
            f(b);
        })
    };
    let budget = |fields: &[(&str, Value)]| {
        let t = table(fields);
        retries(&move |b| {
            b.set("retries.budget", t.clone());
        })
    };
    let shedding = |fields: &[(&str, Value)]| {
        let t = table(fields);
        change(move |b| {
            b.set("app.shedding", t);
        })
    };
    let degradation = |fields: &[(&str, Value)]| {
        let t = table(fields);
        change(move |b| {
            b.set("db.degradation", t);
        })
    };
    vec![
        (
            "hedge-after-zero",
            change(|b| {
                b.set("mitigations.hedge.after", "0s");
            }),
            "mitigations.hedge.after",
        ),
        (
            "hedge-share-above-one",
            change(|b| {
                b.set("mitigations.hedge.after", "2ms")
                    .set("mitigations.hedge.max_share", 1.5);
            }),
            "mitigations.hedge.max_share",
        ),
        (
            "hedge-burst-below-one",
            change(|b| {
                b.set("mitigations.hedge.after", "2ms")
                    .set("mitigations.hedge.burst", 0.5);
            }),
            "mitigations.hedge.burst",
        ),
        (
            "retries-by-unknown",
            retries(&|b| {
                b.set("retries.by", "proxy");
            }),
            "retries.by",
        ),
        (
            "optional-keys-above-fanout",
            change(|b| {
                b.set("clients.fanout", 3).set("clients.optional_keys", 4);
            }),
            "clients.optional_keys",
        ),
        (
            "optional-keys-negative",
            change(|b| {
                b.set("clients.optional_keys", -1);
            }),
            "clients.optional_keys",
        ),
        (
            "attempts-missing",
            change(|b| {
                b.set("retries.backoff", "fixed")
                    .set("retries.base", "10ms");
            }),
            "retries.attempts",
        ),
        (
            "attempts-zero",
            retries(&|b| {
                b.set("retries.attempts", 0);
            }),
            "retries.attempts",
        ),
        (
            "attempts-too-many",
            retries(&|b| {
                b.set("retries.attempts", 101);
            }),
            "retries.attempts",
        ),
        (
            "attempts-not-integer",
            retries(&|b| {
                b.set("retries.attempts", 2.5);
            }),
            "retries.attempts",
        ),
        (
            "retries-unknown-field",
            retries(&|b| {
                b.set("retries.attemps", 3);
            }),
            "retries.attemps",
        ),
        (
            "backoff-unknown",
            retries(&|b| {
                b.set("retries.backoff", "linear");
            }),
            "retries.backoff",
        ),
        (
            "base-missing-fixed",
            retries(&|b| {
                b.set("retries.backoff", "fixed");
            }),
            "retries.base",
        ),
        (
            "base-missing-exponential",
            retries(&|b| {
                b.set("retries.backoff", "exponential");
            }),
            "retries.base",
        ),
        (
            "base-zero",
            retries(&|b| {
                b.set("retries.backoff", "exponential")
                    .set("retries.base", "0s");
            }),
            "retries.base",
        ),
        (
            "base-no-unit",
            retries(&|b| {
                b.set("retries.backoff", "fixed").set("retries.base", 100);
            }),
            "retries.base",
        ),
        (
            "max-below-base",
            retries(&|b| {
                b.set("retries.backoff", "exponential")
                    .set("retries.base", "1s")
                    .set("retries.max", "100ms");
            }),
            "retries.max",
        ),
        (
            "jitter-unknown",
            retries(&|b| {
                b.set("retries.jitter", "equal");
            }),
            "retries.jitter",
        ),
        (
            "jitter-bool",
            retries(&|b| {
                b.set("retries.jitter", true);
            }),
            "retries.jitter",
        ),
        (
            "on-empty",
            retries(&|b| {
                b.set("retries.on", Vec::<Value>::new());
            }),
            "retries.on",
        ),
        (
            "on-unknown",
            retries(&|b| {
                b.set("retries.on", vec!["timeout", "http_503"]);
            }),
            "retries.on",
        ),
        (
            "on-not-a-list",
            retries(&|b| {
                b.set("retries.on", "timeout");
            }),
            "retries.on",
        ),
        (
            "deadline-zero",
            retries(&|b| {
                b.set("retries.deadline", "0s");
            }),
            "retries.deadline",
        ),
        (
            "budget-capacity-zero",
            budget(&[("capacity", 0.into())]),
            "retries.budget.capacity",
        ),
        (
            "budget-capacity-huge",
            budget(&[("capacity", 2e9.into())]),
            "retries.budget.capacity",
        ),
        (
            "budget-capacity-infinite",
            budget(&[("capacity", f64::INFINITY.into())]),
            "retries.budget.capacity",
        ),
        (
            "budget-cost-zero",
            budget(&[("cost", 0.into())]),
            "retries.budget.cost",
        ),
        (
            "budget-cost-above-capacity",
            budget(&[("capacity", 10.into()), ("cost", 11.into())]),
            "retries.budget.cost",
        ),
        (
            "budget-cost-above-default-capacity",
            budget(&[("cost", 501.into())]),
            "retries.budget.cost",
        ),
        (
            "budget-refund-negative",
            budget(&[("refund", (-1).into())]),
            "retries.budget.refund",
        ),
        (
            "budget-refund-above-capacity",
            budget(&[("capacity", 10.into()), ("refund", 10.5.into())]),
            "retries.budget.refund",
        ),
        (
            "budget-refund-nan",
            budget(&[("refund", f64::NAN.into())]),
            "retries.budget.refund",
        ),
        (
            "budget-unknown-field",
            budget(&[("tokens", 5.into())]),
            "retries.budget.tokens",
        ),
        (
            "strategy-attempts-zero",
            change(|b| {
                b.strategy("bad", |s| {
                    s.set("retries.attempts", 0);
                });
            }),
            "strategies[0] (`bad`).retries.attempts",
        ),
        (
            "queue-unknown",
            change(|b| {
                b.set("app.queue", "random");
            }),
            "app.queue",
        ),
        (
            "shedding-target-missing",
            shedding(&[("interval", "100ms".into())]),
            "app.shedding.target",
        ),
        (
            "shedding-interval-missing",
            shedding(&[("target", "5ms".into())]),
            "app.shedding.interval",
        ),
        (
            "shedding-target-zero",
            shedding(&[("target", "0s".into()), ("interval", "100ms".into())]),
            "app.shedding.target",
        ),
        (
            "shedding-interval-zero",
            shedding(&[("target", "5ms".into()), ("interval", "0s".into())]),
            "app.shedding.interval",
        ),
        (
            "shedding-target-above-interval",
            shedding(&[("target", "200ms".into()), ("interval", "100ms".into())]),
            "app.shedding.target",
        ),
        (
            "shedding-unknown-field",
            shedding(&[
                ("target", "5ms".into()),
                ("interval", "100ms".into()),
                ("limit", "1s".into()),
            ]),
            "app.shedding.limit",
        ),
        (
            "cancel-abandoned-not-bool",
            change(|b| {
                b.set("app.cancel_abandoned", "yes");
            }),
            "app.cancel_abandoned",
        ),
        (
            "error-rate-one",
            change(|b| {
                b.set("db.error_rate", 1.0);
            }),
            "db.error_rate",
        ),
        (
            "error-rate-negative",
            change(|b| {
                b.set("db.error_rate", -0.1);
            }),
            "db.error_rate",
        ),
        (
            "error-rate-nan",
            change(|b| {
                b.set("db.error_rate", f64::NAN);
            }),
            "db.error_rate",
        ),
        (
            "degradation-knee-missing",
            degradation(&[("per_query", 0.1.into())]),
            "db.degradation.knee",
        ),
        (
            "degradation-knee-negative",
            degradation(&[("knee", (-1).into()), ("per_query", 0.1.into())]),
            "db.degradation.knee",
        ),
        (
            "degradation-knee-huge",
            degradation(&[("knee", 1_000_001.into()), ("per_query", 0.1.into())]),
            "db.degradation.knee",
        ),
        (
            "degradation-per-query-missing",
            degradation(&[("knee", 4.into())]),
            "db.degradation.per_query",
        ),
        (
            "degradation-per-query-zero",
            degradation(&[("knee", 4.into()), ("per_query", 0.into())]),
            "db.degradation.per_query",
        ),
        (
            "degradation-per-query-huge",
            degradation(&[("knee", 4.into()), ("per_query", 1000.5.into())]),
            "db.degradation.per_query",
        ),
        (
            "degradation-per-query-infinite",
            degradation(&[("knee", 4.into()), ("per_query", f64::INFINITY.into())]),
            "db.degradation.per_query",
        ),
    ]
}

#[test]
fn bad_dependency_fields_exit_2_name_the_field_and_write_nothing() {
    super::assert_refused(bad_inputs().into_iter().map(|(n, b, f)| (n, b.toml(), f)));
    // The base they break is valid: each case fails for its own field.
    base().scenario();
}

#[test]
fn messages_say_what_is_allowed() {
    let message = |f: fn(&mut ScenarioBuilder)| change(f).check().unwrap_err();
    let e = message(|b| {
        b.set("db.error_rate", 1.0);
    });
    assert!(e.contains("below 1") && e.contains("every query"), "{e}");
    let e = message(|b| {
        b.set("retries.attempts", 3)
            .set("retries.on", vec!["timeout", "http_503"]);
    });
    for name in ["timeout", "overload", "db_error", "db_busy", "fallback"] {
        assert!(e.contains(&format!("\"{name}\"")), "{e}");
    }
    assert!(e.contains("`http_503`"), "{e}");
    let e = message(|b| {
        b.set("retries.attempts", 3)
            .set("retries.on", Vec::<Value>::new());
    });
    assert!(e.contains("attempts = 1"), "{e}");
    let e = message(|b| {
        b.set("retries.attempts", 3)
            .set("retries.backoff", "linear");
    });
    assert!(e.contains("\"exponential\""), "{e}");
    let e = message(|b| {
        b.set("app.queue", "random");
    });
    assert!(e.contains("\"fifo\"") && e.contains("\"lifo\""), "{e}");
}

#[test]
fn retries_parse_into_the_model_config() {
    let s = change(|b| {
        b.set("retries.attempts", 4)
            .set("retries.backoff", "exponential")
            .set("retries.base", "100ms")
            .set("retries.max", "2s")
            .set("retries.jitter", "full")
            .set("retries.on", vec!["db_error", "timeout", "db_error"])
            .set("retries.deadline", "5s")
            .set(
                "retries.budget",
                table(&[
                    ("capacity", 100.into()),
                    ("cost", 2.5.into()),
                    ("refund", 0.into()),
                ]),
            );
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        s.base.retries,
        Some(RetryConfig {
            by: cachestorm::model::RetryLayer::Client,
            attempts: 4,
            backoff: Backoff::Exponential {
                base: ms(100),
                max: ms(2000),
            },
            jitter: true,
            on: RetryOn {
                timeout: true,
                overload: false,
                db_error: true,
                db_busy: false,
                fallback: false,
            },
            deadline: Some(SimDuration::from_secs(5)),
            budget: Some(RetryBudget {
                capacity: 100.0,
                cost: 2.5,
                refund: 0.0,
            }),
        })
    );
    assert_eq!(s.strategies[0].config, s.base);
}

#[test]
fn retries_defaults_are_no_backoff_no_jitter_every_failure_no_deadline_no_budget() {
    assert_eq!(base().scenario().base.retries, None);
    let s = change(|b| {
        b.set("retries.attempts", 3);
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        s.base.retries,
        Some(RetryConfig {
            by: cachestorm::model::RetryLayer::Client,
            attempts: 3,
            backoff: Backoff::None,
            jitter: false,
            on: RetryOn::ALL,
            deadline: None,
            budget: None,
        })
    );
    let retries = |f: fn(&mut ScenarioBuilder)| {
        change(|b| {
            b.set("retries.attempts", 3);
            f(b);
        })
        .scenario()
        .base
        .retries
        .unwrap()
    };
    let r = retries(|b| {
        b.set("retries.backoff", "exponential")
            .set("retries.base", "100ms");
    });
    assert_eq!(
        r.backoff,
        Backoff::Exponential {
            base: ms(100),
            max: SimDuration::from_secs(10)
        },
        "the cap defaults to 100 × base"
    );
    let r = retries(|b| {
        b.set("retries.backoff", "exponential")
            .set("retries.base", "2m");
    });
    assert_eq!(
        r.backoff,
        Backoff::Exponential {
            base: SimDuration::from_secs(120),
            max: SimDuration::from_secs(3600)
        },
        "the default cap is at most an hour"
    );
    let r = retries(|b| {
        b.set("retries.backoff", "exponential")
            .set("retries.base", "1s")
            .set("retries.max", "1s");
    });
    assert_eq!(
        r.backoff,
        Backoff::Exponential {
            base: SimDuration::from_secs(1),
            max: SimDuration::from_secs(1)
        },
        "max may equal base"
    );
    let r = retries(|b| {
        b.set("retries.backoff", "fixed")
            .set("retries.base", "250ms")
            .set("retries.jitter", "none");
    });
    assert_eq!(r.backoff, Backoff::Fixed(ms(250)));
    assert!(!r.jitter);
    let r = retries(|b| {
        b.set("retries.budget", Table::new());
    });
    assert_eq!(
        r.budget,
        Some(RetryBudget {
            capacity: 500.0,
            cost: 5.0,
            refund: 1.0,
        })
    );
    let r = retries(|b| {
        b.set(
            "retries.on",
            vec!["fallback", "db_busy", "overload", "db_error", "timeout"],
        );
    });
    assert_eq!(r.on, RetryOn::ALL);
}

#[test]
fn a_strategy_can_add_change_or_turn_off_retries() {
    let mut b = base();
    b.strategy("no-retries", |_| {})
        .strategy("three-attempts", |s| {
            s.set("retries.attempts", 3);
        });
    let s = b.scenario();
    assert_eq!(s.base.retries, None);
    assert_eq!(s.strategies[0].config.retries, None);
    assert_eq!(s.strategies[1].config.retries.unwrap().attempts, 3);

    let mut b = base();
    b.set("retries.attempts", 3)
        .set("retries.backoff", "fixed")
        .set("retries.base", "10ms")
        .strategy("slower", |s| {
            s.set("retries.base", "50ms");
        })
        .strategy("once", |s| {
            s.set("retries.attempts", 1);
        });
    let s = b.scenario();
    let slower = s.strategies[0].config.retries.unwrap();
    assert_eq!(slower.attempts, 3, "the base's attempts are kept");
    assert_eq!(slower.backoff, Backoff::Fixed(ms(50)));
    assert_eq!(s.strategies[1].config.retries.unwrap().attempts, 1);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("retries.backoff") && w.contains("`once`")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn app_and_db_settings_parse_into_the_model_config() {
    let c = base().scenario().base;
    assert_eq!(c.app.queue_order, QueueOrder::Fifo);
    assert_eq!(c.app.shedding, None);
    assert!(!c.app.cancel_abandoned);
    assert_eq!(c.db.error_rate, 0.0);
    assert_eq!(c.db.degradation, None);

    let s = change(|b| {
        b.set("app.queue", "lifo")
            .set(
                "app.shedding",
                table(&[("target", "5ms".into()), ("interval", "100ms".into())]),
            )
            .set("app.cancel_abandoned", true)
            .set("db.error_rate", 0.05)
            .set(
                "db.degradation",
                table(&[("knee", 4.into()), ("per_query", 1.into())]),
            );
    })
    .scenario();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let c = &s.base;
    assert_eq!(c.app.queue_order, QueueOrder::Lifo);
    assert_eq!(
        c.app.shedding,
        Some(Shedding {
            target: ms(5),
            interval: ms(100),
        })
    );
    assert!(c.app.cancel_abandoned);
    assert_eq!(c.db.error_rate, 0.05);
    assert_eq!(
        c.db.degradation,
        Some(Degradation {
            knee: 4,
            per_query: 1.0,
        })
    );

    let c = change(|b| {
        b.set("app.queue", "fifo")
            .set(
                "app.shedding",
                table(&[("target", "100ms".into()), ("interval", "100ms".into())]),
            )
            .set(
                "db.degradation",
                table(&[("knee", 0.into()), ("per_query", 1000.into())]),
            )
            .set("db.error_rate", 0.999);
    })
    .scenario()
    .base;
    assert_eq!(c.app.queue_order, QueueOrder::Fifo);
    assert_eq!(
        c.app.shedding.unwrap().target,
        ms(100),
        "target may equal interval"
    );
    assert_eq!(c.db.degradation.unwrap().knee, 0);
    assert_eq!(c.db.error_rate, 0.999);
}

#[test]
fn settings_that_do_nothing_are_warned_about() {
    let once = |f: fn(&mut ScenarioBuilder)| {
        change(|b| {
            b.set("retries.attempts", 1);
            f(b);
        })
    };
    let three = |f: fn(&mut ScenarioBuilder)| {
        change(|b| {
            b.set("retries.attempts", 3);
            f(b);
        })
    };
    super::assert_inert(vec![
        (
            "once-with-backoff",
            once(|b| {
                b.set("retries.backoff", "fixed")
                    .set("retries.base", "10ms");
            }),
            "retries.backoff",
        ),
        (
            "once-with-deadline",
            once(|b| {
                b.set("retries.deadline", "1s");
            }),
            "retries.deadline",
        ),
        (
            "once-with-budget",
            once(|b| {
                b.set("retries.budget", Table::new());
            }),
            "retries.budget",
        ),
        (
            "once-with-on",
            once(|b| {
                b.set("retries.on", vec!["db_error"]);
            }),
            "retries.on",
        ),
        (
            "once-with-jitter",
            once(|b| {
                b.set("retries.jitter", "full");
            }),
            "retries.jitter",
        ),
        (
            "no-backoff-with-base",
            three(|b| {
                b.set("retries.base", "10ms");
            }),
            "retries.base",
        ),
        (
            "no-backoff-with-max",
            three(|b| {
                b.set("retries.backoff", "none").set("retries.max", "1s");
            }),
            "retries.max",
        ),
        (
            "no-backoff-with-jitter",
            three(|b| {
                b.set("retries.jitter", "full");
            }),
            "retries.jitter",
        ),
        (
            "fixed-backoff-with-max",
            three(|b| {
                b.set("retries.backoff", "fixed")
                    .set("retries.base", "10ms")
                    .set("retries.max", "1s");
            }),
            "retries.max",
        ),
        (
            "timeout-retried-without-timeout",
            three(|b| {
                b.unset("clients.timeout")
                    .set("retries.on", vec!["timeout", "db_error"]);
            }),
            "retries.on",
        ),
        (
            "lifo-without-workers",
            change(|b| {
                b.unset("app.workers").set("app.queue", "lifo");
            }),
            "app.queue",
        ),
        (
            "lifo-without-queue",
            change(|b| {
                b.set("app.queue_limit", 0).set("app.queue", "lifo");
            }),
            "app.queue",
        ),
        (
            "shedding-without-workers",
            change(|b| {
                b.unset("app.workers").set(
                    "app.shedding",
                    table(&[("target", "5ms".into()), ("interval", "100ms".into())]),
                );
            }),
            "app.shedding",
        ),
        (
            "cancel-without-timeout",
            change(|b| {
                b.unset("clients.timeout").set("app.cancel_abandoned", true);
            }),
            "app.cancel_abandoned",
        ),
    ]);
}

#[test]
fn retries_without_a_client_timeout_warn_only_when_timeout_is_listed() {
    let s = change(|b| {
        b.unset("clients.timeout").set("retries.attempts", 3);
    })
    .scenario();
    assert!(
        s.warnings.is_empty(),
        "the default list retries other failures too: {:?}",
        s.warnings
    );
}
