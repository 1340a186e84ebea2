//! Writes and freshness against what can be worked out by hand: the TTL-only outdated-read
//! ratio of one key against its closed form, the in-flight window of a delete, the stale-set
//! race and the mitigations that stop it, invalidation events' lag and loss, the checks on
//! every new field, and read-only results untouched by the writes machinery.

use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::theory;
use toml::Value;

use super::builder::ScenarioBuilder;

/// Relative rounding of the HDR histograms (3 significant digits) the ages are kept in: a
/// reported age may exceed the true one by this much.
const HDR_ROUNDING: f64 = 1e-3;

fn totals(run: &RunResult) -> &BucketRow {
    &run.summary.totals
}

/// One key (keyspace 1, fan-out 1, no client timeout) read at `rps`, its cache operations
/// taking `cache_latency`, a database of plenty of slots answering reads in `db_service`.
fn one_key(rps: f64, ttl: &str, cache_latency: &str, db_service: &str) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("freshness");
    b.rps(rps)
        .set("clients.keyspace", 1)
        .set("cache.latency", cache_latency)
        .set("cache.ttl", ttl)
        .db(64, db_service);
    b
}

#[test]
fn ttl_only_outdated_ratio_matches_the_closed_form() {
    // Reads within one TTL cycle (a miss, then the TTL) see the same writes, so they are not
    // independent samples: the error shrinks with the number of cycles, not of reads. A Monte
    // Carlo of the closed form's own model (100,000 cycles per setting) puts the standard
    // deviation of one cycle's outdated share at 0.32, 0.33 and 0.36 for these settings, so
    // 25,000 cycles give a standard error under 0.0023; the tolerance, 0.01 absolute, is more
    // than 4 of them. Cache latency 0 and a 1 µs database make the fill instant, as the closed
    // form assumes (a write lands inside a miss's 1 µs read with probability μ·1 µs).
    const CYCLES: f64 = 25_000.0;
    for (lambda, mu, ttl_s) in [(20.0, 0.5, 1.0), (10.0, 2.0, 1.0), (4.0, 0.2, 5.0)] {
        let seconds = (CYCLES * (ttl_s + 1.0 / lambda)).ceil();
        let mut b = one_key(lambda, &format!("{ttl_s}s"), "0s", "1us");
        b.duration(&format!("{seconds}s"))
            .set("bucket", format!("{seconds}s"))
            .writes(mu, "ttl_only");
        let run = b.simulate();
        let t = totals(&run);
        let want = theory::ttl_outdated_read_ratio(lambda, mu, ttl_s);
        let got = t.outdated_ratio();
        eprintln!(
            "λ={lambda} μ={mu} T={ttl_s}: outdated {got:.4} vs {want:.4}, {} reads, {} writes",
            t.reads_served, t.writes_committed
        );
        assert!(
            (got - want).abs() < 0.01,
            "λ = {lambda}/s, μ = {mu}/s, T = {ttl_s} s: simulated outdated ratio {got:.4} vs \
             closed form {want:.4}"
        );
        // The cycles are the ones the closed form assumes: a TTL-only write never touches the
        // cache, so the hit ratio is still λT/(1+λT) (same tolerance).
        let hits = theory::ttl_hit_ratio(lambda, ttl_s);
        assert!(
            (t.hit_ratio() - hits).abs() < 0.01,
            "{} vs {hits}",
            t.hit_ratio()
        );
        assert_eq!(t.invalidations_sent, 0);
        assert_eq!(
            t.reads_served, t.completed,
            "fan-out 1: one read per request"
        );
    }
}

#[test]
fn delete_after_commit_leaves_outdated_reads_only_while_the_delete_is_in_flight() {
    // Commit at c, the writer's delete lands at c + L (constant cache latency L = 5 ms): only
    // reads answered from the cache in (c, c + L] can get the old version, so no outdated read
    // is older than L. The stale-set race cannot happen here: it needs a database read that
    // started before the commit to set its value after the delete, that is a read longer than
    // L, and reads take 1 µs. (Reads are concurrent, at 200/s, but none can straddle a write
    // by more than 1 µs.)
    let latency_s = 0.005;
    let (reads, writes) = (200.0, 5.0);
    let mut b = one_key(reads, "10s", "5ms", "1us");
    b.duration("200s")
        .writes(writes, "delete")
        .strategy("delete", |_| {})
        .strategy("ttl-only", |s| {
            s.set("writes.path", "ttl_only");
        });
    let runs = b.simulate_all();
    let (delete, ttl_only) = (totals(&runs[0]), totals(&runs[1]));
    let max_ms = delete.outdated_age.max_ms;
    eprintln!(
        "delete: {} outdated of {} reads, ages p50 {} p99 {} max {max_ms} ms; ttl-only max {} ms",
        delete.outdated_reads,
        delete.reads_served,
        delete.outdated_age.p50_ms,
        delete.outdated_age.p99_ms,
        ttl_only.outdated_age.max_ms
    );
    assert!(
        max_ms <= latency_s * 1e3 * (1.0 + HDR_ROUNDING),
        "an outdated read {max_ms} ms after its commit, beyond the delete's 5 ms in flight"
    );
    assert_eq!(delete.stale_set_races, 0);
    assert_eq!(delete.invalidations_sent, delete.writes_committed);
    // The window is really there: each write leaves about λL = 1 read on the old value (fewer
    // when the cache was empty at the commit, about 5% of the time), so the outdated share is
    // about μL = 0.025. Its standard error is about 5% (some 1,000 writes, each a Poisson
    // number of reads); the bounds are 30% either side.
    let ratio = delete.outdated_ratio();
    assert!(
        (0.7 * writes * latency_s..1.3 * writes * latency_s).contains(&ratio),
        "outdated share {ratio} vs μL = {}",
        writes * latency_s
    );
    // Without the delete the same writes leave old values for up to the 10 s TTL (reported
    // ages are lower bounds for values more than 3 versions behind, 0.6 s at 5 writes/s).
    assert!(
        ttl_only.outdated_age.max_ms > 100.0 * latency_s * 1e3,
        "{}",
        ttl_only.outdated_age.max_ms
    );
}

#[test]
fn the_stale_set_race_happens_with_delete_and_not_with_a_lease_or_versioned_sets() {
    // One hot key read 200 times a second; database reads take 50 ms and writes 1 ms, so a
    // write often commits (and its delete lands 0.5 ms later) while readers that missed are
    // still reading the old version: their sets then put it back after the delete, where it
    // stays until the next write's delete or the TTL. A lease (revoked by the delete: the
    // holder's set is refused) and versioned sets (the cache remembers the deleted version and
    // refuses older ones) both stop it.
    let mut b = one_key(200.0, "5s", "500us", "50ms");
    b.duration("100s")
        .writes(5.0, "delete")
        .set("writes.service", "1ms")
        .strategy("delete", |_| {})
        .strategy("lease", |s| {
            s.set("mitigations.lease.period", "10s");
        })
        .strategy("versioned", |s| {
            s.set("mitigations.versioned_sets", true);
        });
    let runs = b.simulate_all();
    for (name, run) in ["delete", "lease", "versioned"].iter().zip(&runs) {
        let t = totals(run);
        eprintln!(
            "{name}: {} writes, {} outdated sets, {} races, {} refused; {} of {} reads outdated, \
             ages p50 {} p99 {} max {} ms",
            t.writes_committed,
            t.outdated_sets,
            t.stale_set_races,
            t.sets_refused,
            t.outdated_reads,
            t.reads_served,
            t.outdated_age.p50_ms,
            t.outdated_age.p99_ms,
            t.outdated_age.max_ms
        );
    }
    let (delete, lease, versioned) = (totals(&runs[0]), totals(&runs[1]), totals(&runs[2]));
    // Without protection, an outdated read is at most one database read plus one delete
    // (50.5 ms) after its commit unless a race put the old value back.
    let window_ms = 50.5 * (1.0 + HDR_ROUNDING);
    // Measured: about 1.6 races per write (a herd of misses straddles many commits); at
    // least one per ten writes is required.
    assert!(
        delete.stale_set_races * 10 >= delete.writes_committed,
        "{} stale-set races in {} writes",
        delete.stale_set_races,
        delete.writes_committed
    );
    assert_eq!(delete.sets_refused, 0);
    assert!(
        delete.outdated_age.max_ms > 4.0 * window_ms && delete.outdated_age.p99_ms > window_ms,
        "raced values live on: p99 {} ms, max {} ms",
        delete.outdated_age.p99_ms,
        delete.outdated_age.max_ms
    );
    for (name, t) in [("lease", lease), ("versioned sets", versioned)] {
        assert_eq!(t.stale_set_races, 0, "{name}");
        assert!(t.sets_refused > 0, "{name}: the mechanism never acted");
        assert!(
            t.outdated_age.max_ms <= window_ms,
            "{name}: an outdated read {} ms after its commit",
            t.outdated_age.max_ms
        );
    }
}

#[test]
fn invalidation_events_age_reads_by_their_lag_and_lost_ones_by_up_to_the_ttl() {
    // 100 keys read 20 times a second each and written 0.2 times a second each; a change
    // event deletes the key a constant 200 ms after the commit, plus the 0.5 ms of the delete
    // itself: D = 200.5 ms. Every outdated read is one answered from the cache in (c, c + D]
    // (database reads take 1 µs, so no set can land after a delete), and reads are Poisson,
    // so ages are uniform on (0, D]: p99 = 0.99·D. With about 16,000 outdated reads its
    // standard error is about 0.001·D; the tolerance is 0.99·D ± 0.01·D, and the max must not
    // exceed D.
    let d_ms = 200.5;
    let mut b = ScenarioBuilder::new("events");
    b.duration("200s")
        .rps(2000.0)
        .set("clients.keyspace", 100)
        .set("cache.latency", "500us")
        .set("cache.ttl", "10s")
        .db(64, "1us")
        .writes(20.0, "events")
        .set("writes.event_lag", "200ms")
        .strategy("events", |_| {})
        .strategy("lossy", |s| {
            s.set("writes.event_loss", 0.2);
        });
    let runs = b.simulate_all();
    let (events, lossy) = (totals(&runs[0]), totals(&runs[1]));
    for (name, t) in [("events", events), ("lossy", lossy)] {
        eprintln!(
            "{name}: {} writes, {} sent, {} lost; {} of {} reads outdated, ages p50 {} p99 {} \
             max {} ms",
            t.writes_committed,
            t.invalidations_sent,
            t.invalidations_lost,
            t.outdated_reads,
            t.reads_served,
            t.outdated_age.p50_ms,
            t.outdated_age.p99_ms,
            t.outdated_age.max_ms
        );
    }
    let p99 = events.outdated_age.p99_ms;
    assert!(
        (p99 - 0.99 * d_ms).abs() <= 0.01 * d_ms,
        "p99 age {p99} ms vs 0.99 × {d_ms} ms"
    );
    assert!(events.outdated_age.max_ms <= d_ms * (1.0 + HDR_ROUNDING));
    assert_eq!(events.invalidations_lost, 0);
    assert_eq!(events.invalidations_sent, events.writes_committed);
    // Every event that is not lost arrives after the constant 200 ms lag.
    assert_eq!(events.invalidations_delayed, events.invalidations_sent);
    assert!((events.invalidation_lag_mean_ms - 200.0).abs() < 1e-6);

    // Loss 0.2: the lost share of some 4,000 events has a binomial standard error of
    // sqrt(0.2 × 0.8 / 4,000) = 0.0063; the tolerance is 4 of them, 0.025.
    let lost = lossy.invalidations_lost as f64 / lossy.invalidations_sent as f64;
    assert!(lossy.invalidations_sent > 3_500);
    assert_eq!(
        lossy.invalidations_delayed + lossy.invalidations_lost,
        lossy.invalidations_sent
    );
    assert!((lost - 0.2).abs() < 0.025, "lost share {lost}");
    // A lost event leaves the old value until the TTL or the key's next delivered event (5 s
    // away on average): ages far beyond the lag, never beyond the 10 s TTL (the value was read
    // before the commit that superseded it, and lives at most the TTL from that read).
    let max = lossy.outdated_age.max_ms;
    assert!(max > 10.0 * d_ms, "lossy max age {max} ms");
    assert!(
        max <= 10_000.0 * (1.0 + HDR_ROUNDING),
        "lossy max age {max} ms"
    );
    assert!(lossy.outdated_age.p99_ms > 5.0 * d_ms);
}

/// A valid scenario with writes, for the bad-input cases to break one field of.
fn with_writes() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("bad");
    b.duration("2s").rps(100.0).writes(10.0, "delete");
    b
}

/// Each bad input: a name, the scenario, and what the message must name.
fn bad_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let events = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_writes();
        b.set("writes.path", "events")
            .set("writes.event_lag", "100ms");
        f(&mut b);
        b
    };
    let change = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_writes();
        f(&mut b);
        b
    };
    let lag_table = ScenarioBuilder::dist(&[("dist", "exponential"), ("mean", "0s")]);
    vec![
        (
            "rate-negative",
            change(&|b| {
                b.set("writes.rate", -1.0);
            }),
            "writes.rate",
        ),
        (
            "rate-missing",
            change(&|b| {
                b.unset("writes.rate");
            }),
            "writes.rate",
        ),
        (
            "popularity",
            change(&|b| {
                b.set("writes.popularity", "pareto");
            }),
            "writes.popularity",
        ),
        (
            "service-zero",
            change(&|b| {
                b.set("writes.service", "0s");
            }),
            "writes.service",
        ),
        (
            "path-unknown",
            change(&|b| {
                b.set("writes.path", "sideways");
            }),
            "writes.path",
        ),
        (
            "path-without-cache",
            change(&|b| {
                b.no_cache();
            }),
            "writes.path",
        ),
        (
            "event-lag-missing",
            change(&|b| {
                b.set("writes.path", "events");
            }),
            "writes.event_lag",
        ),
        (
            "event-lag-bad",
            events(&|b| {
                b.set("writes.event_lag", lag_table.clone());
            }),
            "writes.event_lag",
        ),
        (
            "event-loss-above-1",
            events(&|b| {
                b.set("writes.event_loss", 1.5);
            }),
            "writes.event_loss",
        ),
        (
            "bypass-negative",
            change(&|b| {
                b.set("writes.bypass", -0.1);
            }),
            "writes.bypass",
        ),
        (
            "writes-unknown-field",
            change(&|b| {
                b.set("writes.rat", 3.0);
            }),
            "writes.rat",
        ),
        (
            "double-delete-zero",
            change(&|b| {
                b.set("mitigations.double_delete", "0s");
            }),
            "mitigations.double_delete",
        ),
        (
            "versioned-sets-without-cache",
            change(&|b| {
                b.set("writes.path", "ttl_only")
                    .no_cache()
                    .set("mitigations.versioned_sets", true);
            }),
            "mitigations.versioned_sets",
        ),
        (
            "versioned-sets-not-a-flag",
            change(&|b| {
                b.set("mitigations.versioned_sets", "yes");
            }),
            "versioned_sets",
        ),
        (
            "set-write-rate-without-writes",
            change(&|b| {
                b.unset("writes")
                    .event("1s", "set_write_rate", &[("rate", Value::from(5.0))]);
            }),
            "timeline[0].action",
        ),
        (
            "set-write-rate-negative",
            change(&|b| {
                b.event("1s", "set_write_rate", &[("rate", Value::from(-5.0))]);
            }),
            "timeline[0].rate",
        ),
        (
            "rate-and-share",
            change(&|b| {
                b.set("writes.share", 0.1);
            }),
            "writes.share",
        ),
        (
            "share-of-one",
            change(&|b| {
                b.unset("writes.rate").set("writes.share", 1.0);
            }),
            "writes.share",
        ),
        (
            "set-write-rate-with-share",
            change(&|b| {
                b.unset("writes.rate").set("writes.share", 0.1).event(
                    "1s",
                    "set_write_rate",
                    &[("rate", Value::from(5.0))],
                );
            }),
            "timeline[0].action",
        ),
        (
            "strategy-write-path",
            change(&|b| {
                b.strategy("s", |s| {
                    s.set("writes.path", "sideways");
                });
            }),
            "strategies[0] (`s`).writes.path",
        ),
    ]
}

#[test]
fn bad_write_fields_exit_2_name_the_field_and_write_nothing() {
    super::assert_refused(bad_inputs().into_iter().map(|(n, b, f)| (n, b.toml(), f)));
    // The base they break is valid: each case fails for its own field.
    with_writes().scenario();
}

/// Settings that validate but do nothing in a strategy: often inherited from the base (a base
/// on the events path, a strategy on another), so warnings naming the field, not errors.
fn inert_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let change = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_writes();
        f(&mut b);
        b
    };
    vec![
        (
            "event-lag-on-delete",
            change(&|b| {
                b.set("writes.event_lag", "100ms");
            }),
            "writes.event_lag",
        ),
        (
            "event-loss-on-ttl-only",
            change(&|b| {
                b.set("writes.path", "ttl_only")
                    .set("writes.event_loss", 0.1);
            }),
            "writes.event_loss",
        ),
        (
            "double-delete-on-ttl-only",
            change(&|b| {
                b.set("writes.path", "ttl_only")
                    .set("mitigations.double_delete", "500ms");
            }),
            "mitigations.double_delete",
        ),
        (
            "double-delete-without-writes",
            change(&|b| {
                b.unset("writes").set("mitigations.double_delete", "500ms");
            }),
            "mitigations.double_delete",
        ),
    ]
}

#[test]
fn inert_write_settings_are_warnings_naming_the_field() {
    super::assert_inert(inert_inputs());
}

/// A read-only scenario exercising most of the read path: Zipf keys, fan-out, LRU on two
/// nodes, client and queue timeouts, a preload, a flush, a deploy in waves with warm-up, a
/// lock holder's death, and strategies with every mitigation.
fn read_only() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("read-only");
    b.duration("8s")
        .rps(2000.0)
        .zipf(1.0)
        .set("clients.fanout", 3)
        .set("clients.timeout", "200ms")
        .set("app.instances", 4)
        .set("app.workers", 32)
        .set("cache.nodes", 2)
        .set("cache.capacity", 300)
        .set("cache.ttl", "1s")
        .set("cache.ttl_jitter", 0.1)
        .set(
            "cache.latency",
            ScenarioBuilder::dist(&[("dist", "exponential"), ("mean", "300us")]),
        )
        .db(4, "1ms")
        .set(
            "db.service",
            ScenarioBuilder::dist(&[("dist", "lognormal"), ("median", "1ms"), ("p99", "8ms")]),
        )
        .set("db.queue_timeout", "50ms")
        .event("0s", "preload", &[])
        .event("2s", "kill_lock_holder", &[])
        .event("3s", "flush", &[("node", Value::from(1))])
        .event(
            "5s",
            "deploy",
            &[
                ("waves", Value::from(2)),
                ("wave_interval", Value::from("1s")),
                ("warmup_top", Value::from(100)),
                ("warmup_rate", Value::from(500.0)),
            ],
        )
        .strategy("plain", |_| {})
        .strategy("coalescing-xfetch", |s| {
            s.set("mitigations.coalescing", true)
                .set("mitigations.early_expiration.beta", 1.0);
        })
        .strategy("lock", |s| {
            s.lock("1s", "20ms", 10);
        })
        .strategy("lease", |s| {
            s.set("mitigations.lease.period", "2s");
        })
        .strategy("swr-refresh-ahead-rate-limit", |s| {
            s.set("mitigations.stale_while_revalidate.max_stale", "500ms")
                .set("mitigations.refresh_ahead.fraction", 0.2)
                .rate_limit(200.0, 5);
        });
    b
}

#[test]
fn a_read_only_scenario_is_unchanged_by_writes_that_never_come() {
    // `[writes] rate = 0` switches on the writes machinery (writers, versions, the write
    // path, versioned sets, double deletes, a write-rate change) with nothing to do: every
    // figure of every strategy must be the same as without it, bit for bit.
    let without = read_only().simulate_all();
    // The comparison covers what the read path does under stress, not an idle run.
    let sum = |f: fn(&BucketRow) -> u64| without.iter().map(|r| f(totals(r))).sum::<u64>();
    for (what, n) in [
        ("errors", sum(BucketRow::errors)),
        ("evictions", sum(|t| t.evictions)),
        ("stale serves", sum(|t| t.stale_serves)),
        ("lock waits", sum(|t| t.lock_waits)),
        ("early refreshes", sum(|t| t.db_by_cause.early_refresh)),
        ("warm-up queries", sum(|t| t.db_by_cause.warmup)),
    ] {
        eprintln!("read-only: {what} {n}");
        assert!(n > 0, "the read-only strategies never saw {what}");
    }
    let mut ttl_only = read_only();
    ttl_only.set("writes.rate", 0.0);
    let mut every_path_mechanism = read_only();
    every_path_mechanism
        .writes(0.0, "delete")
        .set("mitigations.double_delete", "100ms")
        .set("mitigations.versioned_sets", true)
        .event("4s", "set_write_rate", &[("rate", Value::from(0.0))]);
    for (name, variant) in [
        ("rate 0", &ttl_only),
        (
            "rate 0, delete, double delete, versioned sets",
            &every_path_mechanism,
        ),
    ] {
        let with = variant.simulate_all();
        assert_eq!(with.len(), without.len());
        for (i, (a, b)) in without.iter().zip(&with).enumerate() {
            assert_eq!(b.summary.totals.writes_committed, 0);
            assert!(
                a == b,
                "{name}: strategy {i} differs from the read-only run\nwithout: {:?}\nwith: {:?}",
                a.summary,
                b.summary
            );
        }
    }
}

/// Write-back over many keys, so that (almost) every write dirties its own key: a flush every
/// 10 s, and the cache (all nodes, or one) flushed at 25 s, between two flushes.
fn write_back(node: Option<i64>) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("write-back");
    b.duration("40s")
        .rps(50.0)
        .set("clients.keyspace", 1_000_000)
        .set("cache.nodes", 4)
        .set("cache.latency", "0s")
        .set("cache.ttl", "1h")
        .writes(200.0, "write_back")
        .set("writes.flush_interval", "10s");
    match node {
        Some(n) => b.event("25s", "flush", &[("node", Value::from(n))]),
        None => b.event("25s", "flush", &[]),
    };
    b
}

#[test]
fn write_back_loses_exactly_the_writes_not_flushed_when_the_cache_is_flushed() {
    let run = write_back(None).simulate();
    let t = &run.summary.totals;
    // The flusher ran at 10 s and 20 s; everything that arrived in [20 s, 25 s) was lost.
    let since_last_flush: u64 = run.buckets[20..25].iter().map(|b| b.writes_arrived).sum();
    assert!(
        since_last_flush > 800,
        "about 1,000 writes: {since_last_flush}"
    );
    assert_eq!(
        run.buckets[25].writes_lost, t.writes_lost,
        "lost at the flush, only then"
    );
    // Writes to a key already dirty since the last flush coalesce, and are lost together:
    // with a million keys a repeat is rare, so lost writes are the writes since the flush.
    assert_eq!(t.writes_lost, since_last_flush);
    // Nothing lost was committed: the flushes at 10, 20 and 30 s committed the rest, each key
    // once for all its writes since the flush before, and what arrived after 30 s is still
    // pending at the end. About 2,000 writes per window over a million keys repeat a key about
    // twice a window (the birthday bound n^2 / 2N), so the commits are a few short.
    let flushed: u64 = run.buckets[..20]
        .iter()
        .chain(&run.buckets[25..30])
        .map(|b| b.writes_arrived)
        .sum();
    assert!(
        t.writes_committed <= flushed && t.writes_committed + 20 >= flushed,
        "{} commits for {flushed} writes",
        t.writes_committed
    );
}

#[test]
fn write_back_on_one_node_loses_only_that_nodes_writes() {
    let all = write_back(None).simulate().summary.totals.writes_lost;
    let one = write_back(Some(2)).simulate().summary.totals.writes_lost;
    // Consistent hashing gives node 2 about a quarter of the keys (160 vnodes each): a
    // binomial share of ~1,000 writes, +- 4 standard errors plus the ring's imbalance.
    let share = one as f64 / all as f64;
    assert!((0.15..=0.35).contains(&share), "{one} of {all}");
}

/// Reads of 200 absent ids, some of which writes create.
fn created_keys(path: &str) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("created");
    b.duration("30s")
        .rps(2000.0)
        .set("clients.keyspace", 1000)
        .set("clients.absent_share", 0.5)
        .set("clients.absent_keys", 200)
        .set("cache.latency", "0s")
        .set("cache.ttl", "1s")
        .writes(5.0, path)
        .set("writes.creates", 1.0);
    b
}

#[test]
fn a_created_key_hides_behind_a_cached_not_found_until_it_expires_or_is_deleted() {
    let negative = |b: &mut ScenarioBuilder| {
        b.set("mitigations.negative_caching.ttl", "3s");
    };
    let mut ttl_only = created_keys("ttl_only");
    negative(&mut ttl_only);
    let hidden = ttl_only.simulate();
    let t = &hidden.summary.totals;
    assert!(t.created_hidden_reads > 100, "{}", t.created_hidden_reads);
    // Each id is read 5 times a second. Values live 1 s, a "not found" 3 s: a "not found"
    // cached just before the key was created hides it for up to 3 s, longer than any value
    // could be outdated, and no longer.
    let max = t.outdated_age.max_ms;
    assert!((1_000.0..=3_000.0 * 1.001).contains(&max), "{max}");
    let mut delete = created_keys("delete");
    negative(&mut delete);
    assert_eq!(
        delete.simulate().summary.totals.created_hidden_reads,
        0,
        "the creating write deletes the cached \"not found\""
    );
    // A Bloom filter built before the keys existed hides them for good.
    let mut bloom = created_keys("delete");
    bloom.set("mitigations.bloom_filter.false_positive_rate", 0.01);
    let run = bloom.simulate();
    let last = run.buckets.last().unwrap();
    assert!(last.created_hidden_reads > 0, "still hidden at the end");
    assert!(run.summary.totals.outdated_age.max_ms > 20_000.0);
}

#[test]
fn a_share_of_writes_follows_the_read_rate() {
    // 20% of operations are writes: a quarter of a write per request, as the read rate steps
    // from 400/s to 1,600/s at 10 s.
    let mut b = ScenarioBuilder::new("share");
    b.duration("20s")
        .rps(400.0)
        .set("clients.keyspace", 1000)
        .set("writes.share", 0.2)
        .set("writes.path", "delete")
        .event("10s", "set_rate", &[("rps", Value::from(1600.0))]);
    let run = b.simulate();
    let half = |r: std::ops::Range<usize>| -> (u64, u64) {
        run.buckets[r]
            .iter()
            .fold((0, 0), |(a, w), x| (a + x.arrived, w + x.writes_arrived))
    };
    for (requests, writes) in [half(0..10), half(10..20)] {
        // Poisson counts: about 1,000 and 4,000 writes, so 4 standard errors are 13% and 6%.
        let expected = requests as f64 / 4.0;
        assert!(
            (writes as f64 - expected).abs() < 4.0 * expected.sqrt() + 0.01 * expected,
            "{writes} writes for {requests} requests"
        );
    }
}
