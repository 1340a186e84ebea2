//! Cache nodes as a failing dependency: keys moved when a node leaves (consistent hashing vs
//! hash modulo), the breaker's state over time, per-node capacity under a hot key and the
//! replicas that spread it, the gutter pool, slow nodes against the app's timeout, and
//! stale-on-error.

use super::builder::ScenarioBuilder;
use cachestorm::metrics::{BucketRow, RunResult};

fn totals(run: &RunResult) -> &BucketRow {
    &run.summary.totals
}

/// 100,000 uniform keys on 4 nodes, all preloaded; node 1 dies at 2 s and is back at 4 s.
fn node_dies(placement: &str) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("nodes");
    b.duration("6s")
        .rps(2000.0)
        .set("clients.keyspace", 100_000)
        .set("cache.nodes", 4)
        .set("cache.placement", placement)
        .set("cache.failover", "rehash")
        .set("cache.rehash_after", "500ms")
        .event("0s", "preload", &[("top", 100_000.into())])
        .event("2s", "kill_node", &[("node", 1.into())])
        .event("4s", "restore_node", &[("node", 1.into())]);
    b
}

#[test]
fn a_node_leaving_moves_a_quarter_of_keys_on_a_ring_and_three_quarters_by_modulo() {
    // Consistent hashing moves exactly the dead node's keys: its share of the ring, 1/4 on
    // average (the ring's points make it 1/4 ± a few %). Hash modulo 4 → 3 moves a key unless
    // h mod 4 and h mod 3 pick the same node among the survivors: 3/4 of keys.
    for (placement, want, tolerance) in [("consistent", 0.25, 0.05), ("modulo", 0.75, 0.01)] {
        let run = node_dies(placement).simulate();
        let at = |s: usize| run.buckets[s].keys_remapped as f64 / 100_000.0;
        eprintln!(
            "{placement}: moved {:.4} when the node left, {:.4} when it came back",
            at(2),
            at(4)
        );
        assert!(
            (at(2) - want).abs() < tolerance,
            "{placement}: {:.4} of keys moved, want {want}",
            at(2)
        );
        assert_eq!(at(2), at(4), "{placement}: the same keys move back");
        // The moved keys miss: the burst of misses after the rehash is about their share of
        // reads (uniform keys, fully preloaded, nothing expires).
        let before = run.buckets[1].hit_ratio();
        let after = run.buckets[3].hit_ratio();
        assert!(before > 0.999, "{placement}: preloaded: {before}");
        assert!(
            after < 1.0 - want / 2.0,
            "{placement}: hit ratio {after} after moving {want} of keys"
        );
    }
}

#[test]
fn the_breaker_opens_on_failures_half_opens_after_its_cool_down_and_closes_on_a_good_probe() {
    // One app instance; node 1 dies at 2 s and is back at 5 s. The breaker opens after 3
    // failures within 1 s, probes once per 1 s cool-down, and closes on one good probe.
    let mut b = ScenarioBuilder::new("breaker");
    b.duration("8s")
        .set("bucket", "500ms")
        .rps(2000.0)
        .set("clients.keyspace", 10_000)
        .set("cache.nodes", 4)
        .set("cache.timeout", "20ms")
        .set("mitigations.circuit_breaker.failures", 3)
        .set("mitigations.circuit_breaker.window", "1s")
        .set("mitigations.circuit_breaker.cool_down", "1s")
        .set("mitigations.circuit_breaker.probes", 1)
        .event("0s", "preload", &[("top", 10_000.into())])
        .event("2s", "kill_node", &[("node", 1.into())])
        .event("5s", "restore_node", &[("node", 1.into())]);
    let run = b.simulate();
    let rows = &run.buckets;
    let states: Vec<(f64, u64, u64, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r.start_s,
                r.breaker_opens,
                r.breakers_open_max,
                r.breaker_rejections,
                r.cache_errors,
            )
        })
        .collect();
    eprintln!("(start, opens, open max, rejections, errors): {states:?}");
    for r in &rows[..4] {
        assert_eq!(
            (r.breaker_opens, r.breakers_open_max),
            (0, 0),
            "{}",
            r.start_s
        );
    }
    // It opens once, within the first bucket after the death, and rejects while dead.
    assert_eq!(rows[4].breaker_opens, 1);
    assert_eq!(
        totals(&run).breaker_opens,
        1,
        "probes reopen it; it never closes meanwhile"
    );
    for r in &rows[5..10] {
        assert_eq!(r.breakers_open_max, 1, "{}", r.start_s);
        assert!(r.breaker_rejections > 100, "{}", r.start_s);
    }
    // Failures that reach the node: the reads sent before the third failure was known (about
    // 500 a second to this node for the 20 ms timeout, so about 10, plus the 3) and one probe
    // per cool-down.
    assert!(
        totals(&run).cache_errors <= 13 + 3 + 4 + 10,
        "{}",
        totals(&run).cache_errors
    );
    // Back at 5 s: the next probe (within the 1 s cool-down) succeeds and it closes.
    for r in &rows[13..] {
        assert_eq!(
            (r.breakers_open_max, r.breaker_rejections),
            (0, 0),
            "{}",
            r.start_s
        );
    }
}

/// 1,000 keys (Zipf 1.2: key 0 takes about a fifth of reads, the top 10 half) on 4 nodes serving 3,000
/// operations a second each, 10,000 reads a second, a 50 ms cache timeout.
fn hot_key_node() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("hot");
    b.duration("5s")
        .rps(10_000.0)
        .zipf(1.2)
        .set("cache.nodes", 4)
        .set("cache.node_ops_per_s", 3000.0)
        .set("cache.timeout", "50ms")
        .event("0s", "preload", &[("top", 1000.into())]);
    b
}

#[test]
fn a_hot_key_overloads_its_node_alone_and_replicas_spread_it() {
    let run = hot_key_node().simulate();
    let node_totals = |run: &RunResult| -> Vec<(u64, u64)> {
        let n = run.nodes[0].len();
        (0..n)
            .map(|i| {
                run.nodes.iter().fold((0, 0), |(reads, timeouts), b| {
                    (reads + b[i].reads, timeouts + b[i].timeouts)
                })
            })
            .collect()
    };
    let plain = node_totals(&run);
    eprintln!("(reads, timeouts) per node: {plain:?}");
    let hot = plain.iter().enumerate().max_by_key(|(_, r)| r.0).unwrap().0;
    for (i, &(reads, timeouts)) in plain.iter().enumerate() {
        if i == hot {
            assert!(
                reads as f64 / 5.0 > 3000.0,
                "the hot node is offered more than it serves"
            );
            assert!(
                timeouts as f64 > 0.1 * reads as f64,
                "its queue grows past the timeout"
            );
        } else {
            assert!((reads as f64 / 5.0) < 3000.0);
            assert_eq!(timeouts, 0, "node {i} has room to spare");
        }
    }
    let mut b = hot_key_node();
    b.set("cache.hot_key_replicas.keys", 10)
        .set("cache.hot_key_replicas.replicas", 4);
    let spread = node_totals(&b.simulate());
    eprintln!("replicated: {spread:?}");
    let mean = spread.iter().map(|r| r.0).sum::<u64>() as f64 / 4.0;
    for (i, &(reads, timeouts)) in spread.iter().enumerate() {
        assert_eq!(timeouts, 0, "node {i}");
        assert!(
            (reads as f64 / mean - 1.0).abs() < 0.15,
            "node {i}: {reads} reads, mean {mean}"
        );
    }
}

/// 10,000 keys on 4 nodes, preloaded; node 0 dies at 2 s for the rest of the 6 s run.
fn dead_node_for_good() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("dead");
    b.duration("6s")
        .rps(5000.0)
        .set("clients.keyspace", 10_000)
        .zipf(0.9)
        .set("cache.nodes", 4)
        .set("cache.timeout", "20ms")
        .event("0s", "preload", &[("top", 10_000.into())])
        .event("2s", "kill_node", &[("node", 0.into())]);
    b
}

#[test]
fn the_gutter_pool_takes_a_dead_nodes_reads_off_the_database() {
    let plain = dead_node_for_good().simulate();
    let mut b = dead_node_for_good();
    b.set("cache.failover", "gutter")
        .set("cache.gutter.ttl", "10s");
    let gutter = b.simulate();
    let db_after = |run: &RunResult| run.buckets[3..].iter().map(|r| r.db_completed).sum::<u64>();
    let (p, g) = (totals(&plain), totals(&gutter));
    eprintln!(
        "db queries after the death: plain {}, gutter {}; gutter hits {} misses {}",
        db_after(&plain),
        db_after(&gutter),
        g.gutter_hits,
        g.gutter_misses
    );
    assert_eq!(p.gutter_hits + p.gutter_misses, 0);
    assert_eq!(g.cache_errors, p.cache_errors, "the same reads fail");
    assert_eq!(g.gutter_hits + g.gutter_misses, g.cache_errors);
    // Each dead-node key misses the gutter once, then hits for its TTL.
    assert!(g.gutter_misses <= 10_000 / 4 * 2, "{}", g.gutter_misses);
    assert!(db_after(&gutter) * 3 < db_after(&plain));
}

#[test]
fn a_slow_node_fails_reads_at_the_timeout_only_while_it_is_slow() {
    let mut b = ScenarioBuilder::new("slow");
    b.duration("6s")
        .rps(2000.0)
        .set("cache.nodes", 2)
        .set("cache.latency", "1ms")
        .set("cache.timeout", "10ms")
        .event("0s", "preload", &[("top", 1000.into())])
        .event(
            "2s",
            "slow_node",
            &[("factor", 20.0.into()), ("lasting", "2s".into())],
        );
    let run = b.simulate();
    let errors: Vec<u64> = run.buckets.iter().map(|r| r.cache_timeouts).collect();
    eprintln!("timeouts per second: {errors:?}");
    assert_eq!(&errors[..2], &[0, 0]);
    assert!(
        errors[2] > 1500 && errors[3] > 1500,
        "20 ms > 10 ms: every read"
    );
    // Reads sent just before 4 s still take 20 ms and time out just after.
    assert!(errors[4] < 50 && errors[5] == 0, "{errors:?}");
    // Without the timeout nothing fails; reads just take 20 ms.
    b.unset("cache.timeout");
    let run = b.simulate();
    assert_eq!(totals(&run).cache_errors, 0);
    assert!(run.buckets[2].latency.p50_ms > 19.0);
}

#[test]
fn stale_on_error_serves_the_local_copy_when_the_cache_fails() {
    let mut b = dead_node_for_good();
    b.set("local_cache.ttl", "100ms")
        .set("mitigations.stale_on_error", true);
    let run = b.simulate();
    let t = totals(&run);
    eprintln!(
        "errors {} stale-on-error {} db {}",
        t.cache_errors, t.stale_on_error_serves, t.db_completed
    );
    assert!(t.stale_on_error_serves > t.cache_errors / 2);
    assert!(t.stale_on_error_serves <= t.cache_errors);
    let mut without = dead_node_for_good();
    without.set("local_cache.ttl", "100ms");
    let w = without.simulate();
    assert_eq!(totals(&w).stale_on_error_serves, 0);
    assert!(t.db_completed * 2 < totals(&w).db_completed);
}

/// 1,000 keys all cached, one key per request, cache reads taking an exponential 1 ms, hedged
/// after 2 ms within a budget of `max_share` of reads.
fn hedged(max_share: f64) -> RunResult {
    let mut b = ScenarioBuilder::new("hedge");
    b.duration("20s")
        .set(
            "cache.latency",
            toml::Value::Table(ScenarioBuilder::dist(&[
                ("dist", "exponential"),
                ("mean", "1ms"),
            ])),
        )
        .set("mitigations.hedge.after", "2ms")
        .set("mitigations.hedge.max_share", max_share)
        .set("mitigations.hedge.burst", 10.0)
        .event("0s", "preload", &[("top", 1000.into())]);
    b.simulate()
}

#[test]
fn hedged_reads_follow_the_exponential_race() {
    // A read slower than a = 2 ms (probability e^(−a/m) = e^(−2) = 0.135) is hedged; by
    // memorylessness the hedge answers first half the time; the answer comes after
    // min(L1, a + L2), whose p99 t solves e^(−(2t − a)/m) = 0.01: t = (m ln 100 + a) / 2 =
    // 3.30 ms, against m ln 100 = 4.61 ms unhedged. 20,000 reads: standard errors 0.0024 on the
    // hedged share, 0.0096 on the share won.
    let run = hedged(1.0);
    let t = totals(&run);
    let reads = (t.cache_hits + t.cache_misses) as f64;
    let share = t.hedges as f64 / reads;
    let won = t.hedges_won as f64 / t.hedges as f64;
    eprintln!(
        "hedged {share:.4} (0.1353), won {won:.4} (0.5), p99 {:.3} ms (3.30)",
        t.latency.p99_ms
    );
    assert!(
        (share - (-2.0f64).exp()).abs() < 0.01,
        "hedged share {share}"
    );
    assert!((won - 0.5).abs() < 0.04, "won {won}");
    assert!(
        (t.latency.p99_ms / 3.303 - 1.0).abs() < 0.05,
        "p99 {}",
        t.latency.p99_ms
    );
    // A budget of 5% of reads binds: hedges stay at it (plus the burst).
    let capped = hedged(0.05);
    let c = totals(&capped);
    let reads = (c.cache_hits + c.cache_misses) as f64;
    assert!(
        c.hedges as f64 <= 0.05 * reads + 10.0 + 1.0,
        "{} of {reads}",
        c.hedges
    );
    assert!(c.hedges as f64 >= 0.045 * reads, "{} of {reads}", c.hedges);
}

/// 10,000 uniform keys on 4 nodes, all preloaded; node 1 dies at 2 s, leaves the ring at
/// 2.5 s and is back at 4 s, with the warm-up `fields` (none: empty at once).
fn node_returns(fields: &[(&str, toml::Value)]) -> ScenarioBuilder {
    let mut restore = vec![("node", 1.into())];
    restore.extend(fields.iter().cloned());
    let mut b = ScenarioBuilder::new("warm-return");
    b.duration("9s")
        .set("bucket", "500ms")
        .rps(2000.0)
        .set("clients.keyspace", 10_000)
        .set("cache.nodes", 4)
        .set("cache.failover", "rehash")
        .set("cache.rehash_after", "500ms")
        .event("0s", "preload", &[("top", 10_000.into())])
        .event("2s", "kill_node", &[("node", 1.into())])
        .event("4s", "restore_node", &restore);
    b
}

#[test]
fn a_node_warmed_on_return_takes_no_reads_until_warm_then_hits_at_once() {
    // Node 1 owns the keys that moved when it left (bucket 2.5 s). Warming every one of them
    // at 1,000 keys/s sends exactly that many warm-up queries, 500 per half-second bucket,
    // and the node rejoins when the last is answered: moved / 1,000 s after 4 s.
    let run =
        node_returns(&[("warmup_top", 10_000.into()), ("warmup_rate", 1000.into())]).simulate();
    let b = &run.buckets;
    let owned = b[5].keys_remapped;
    let warm: Vec<u64> = b.iter().map(|r| r.db_by_cause.warmup).collect();
    let node1: Vec<u64> = run.nodes.iter().map(|n| n[1].reads).collect();
    let joined_s = 4.0 + owned as f64 / 1000.0;
    let join = b
        .iter()
        .position(|r| r.start_s > 4.0 && r.keys_remapped > 0);
    eprintln!(
        "owned {owned}; warm-up queries per bucket {warm:?}; node 1 reads {node1:?}; join bucket \
         {join:?} (expected at {joined_s:.3} s)"
    );
    assert!((2000..3000).contains(&owned), "about a quarter: {owned}");
    assert_eq!(warm.iter().sum::<u64>(), owned, "one query per key it owns");
    assert_eq!(&warm[..8], &[0; 8], "nothing before the return");
    for (i, &w) in warm.iter().enumerate().skip(8) {
        let end = b[i].start_s + 0.5;
        if end <= joined_s - 0.001 {
            assert!((499..=501).contains(&w), "bucket {i}: {w} at 1,000/s");
        }
    }
    let join = join.expect("the node rejoins the ring");
    assert_eq!(b[join].keys_remapped, owned, "its keys move back");
    assert!(
        (b[join].start_s..b[join].start_s + 0.5).contains(&joined_s)
            || (joined_s - b[join].start_s).abs() < 0.01,
        "rejoined in bucket {} s, expected {joined_s:.3} s",
        b[join].start_s
    );
    // Out of the ring from 2.5 s: no reads until it rejoins, then its share.
    assert!(node1[6..join].iter().all(|&r| r == 0), "{node1:?}");
    assert!(node1[join + 1..].iter().all(|&r| r > 150), "{node1:?}");
    // Warm at once: every key is cached somewhere after the join (the neighbours never lost
    // theirs), while a plain return misses on a quarter of reads at first.
    for r in &b[join + 1..] {
        assert!(r.hit_ratio() > 0.999, "{} s: {}", r.start_s, r.hit_ratio());
    }
    let plain = node_returns(&[]).simulate();
    let cold = plain.buckets[8].hit_ratio();
    eprintln!("plain return: hit ratio {cold:.4} in the half second after it");
    assert!(cold < 0.85, "a plain return misses on its keys: {cold}");
    assert!(
        plain.nodes[8][1].reads > 150,
        "a plain return takes reads at once"
    );

    // With fewer keys than it owns: exactly `top` queries, so it rejoins after top / rate.
    let run = node_returns(&[("warmup_top", 600.into()), ("warmup_rate", 1000.into())]).simulate();
    let warm: u64 = run.buckets.iter().map(|r| r.db_by_cause.warmup).sum();
    assert_eq!(warm, 600);
    let join = run
        .buckets
        .iter()
        .position(|r| r.start_s > 4.0 && r.keys_remapped > 0)
        .expect("rejoins");
    assert_eq!(run.buckets[join].start_s, 4.5, "0.6 s after 4 s");
    // `warmup_max` cuts it short: the node rejoins at 4.2 s with what it has.
    let run = node_returns(&[
        ("warmup_top", 10_000.into()),
        ("warmup_rate", 1000.into()),
        ("warmup_max", "200ms".into()),
    ])
    .simulate();
    let warm: u64 = run.buckets.iter().map(|r| r.db_by_cause.warmup).sum();
    assert_eq!(warm, 200, "sent at 1,000/s for 200 ms");
    assert!(run.buckets[8].keys_remapped > 0 && run.nodes[8][1].reads > 0);
}

#[test]
fn node_warm_up_queries_queue_behind_readers_on_a_busy_database() {
    // The same return on a database of 2 slots of 1 ms (2,000 queries/s) with a 50 ms queue
    // timeout: the readers' misses of the moved keys keep it busy, and warming at 3,000 keys/s
    // asks more than it has left. The warm-up's queries wait in its queue like any other, the
    // readers wait longer, and the queries past the timeout warm nothing: the node rejoins
    // when the last one is answered or has failed, missing the keys whose query failed.
    let build = |warm: bool| {
        let fields = [("warmup_top", 10_000.into()), ("warmup_rate", 3000.into())];
        let mut b = node_returns(if warm { &fields } else { &[] });
        b.set("db.slots", 2).set("db.queue_timeout", "50ms");
        b.simulate()
    };
    let (warm, plain) = (build(true), build(false));
    let wait = |r: &RunResult, i: usize| r.buckets[i].db_wait_mean_ms;
    eprintln!(
        "db wait during the warm-up: {:.3} ms (just before {:.3}), requests failed past the \
         queue timeout: {} (plain return {})",
        wait(&warm, 8),
        wait(&warm, 7),
        totals(&warm).errors_db_timeout,
        totals(&plain).errors_db_timeout
    );
    assert!(wait(&warm, 8) > 10.0 * wait(&warm, 7).max(0.1));
    assert!(
        totals(&warm).errors_db_timeout > 0 && totals(&plain).errors_db_timeout == 0,
        "readers' queries now wait past the queue timeout too"
    );
    let sent: u64 = warm.buckets.iter().map(|r| r.db_by_cause.warmup).sum();
    let owned = warm.buckets[5].keys_remapped;
    assert_eq!(sent, owned, "every key is tried");
    let join = warm
        .buckets
        .iter()
        .position(|r| r.start_s > 4.0 && r.keys_remapped > 0)
        .expect("rejoins even though some warm-up queries failed");
    assert!(
        warm.buckets[join + 1].hit_ratio() < 0.999,
        "keys whose query failed miss"
    );
}

/// One key read 1,000 times a second, preloaded to expire at 1 s and rebuilt in 500 ms behind
/// a lock: the readers poll every 10 ms meanwhile (up to 1,000 times, falling back to an error,
/// so only a failed lock request or poll sends a fallback query). Cache operations take about
/// 1 ms against a 20 ms timeout; 100 ms buckets.
fn hot_key_rebuilt_behind_a_lock() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("lock-faults");
    b.duration("3s")
        .set("bucket", "100ms")
        .rps(1000.0)
        .set("clients.keyspace", 1)
        .set("cache.nodes", 2)
        .set("cache.ttl", "1s")
        .set(
            "cache.latency",
            toml::Value::Table(ScenarioBuilder::dist(&[
                ("dist", "lognormal"),
                ("median", "1ms"),
                ("p99", "2ms"),
            ])),
        )
        .set("cache.timeout", "20ms")
        .set("db.service", "500ms")
        .lock("none", "10ms", 1000)
        .set("mitigations.lock.fallback", "error")
        .event("0s", "preload", &[("top", 1.into())]);
    b
}

/// Per 100 ms bucket: (start, lock waits ended, fallback queries, cache errors, timeouts).
fn lock_rows(run: &RunResult) -> Vec<(f64, u64, u64, u64, u64)> {
    run.buckets
        .iter()
        .map(|r| {
            (
                r.start_s,
                r.lock_waits,
                r.db_by_cause.fallback,
                r.cache_errors,
                r.cache_timeouts,
            )
        })
        .collect()
}

#[test]
fn lock_polls_to_a_slow_node_time_out_and_the_reader_goes_to_the_database() {
    // From 1.2 s, 200 ms into the rebuild, both nodes are 30 times slower for 20 ms: every
    // operation sent then takes about 30 ms, past the 20 ms timeout. About 200 readers are
    // polling (1,000 a second since 1 s), each once per 11 ms or so, so nearly all send a
    // poll in the window; each times out and its reader goes to the database without the
    // lock. The 20 reads sent in the window time out too (and go to the database as misses).
    let mut b = hot_key_rebuilt_behind_a_lock();
    b.event(
        "1200ms",
        "slow_node",
        &[("factor", 30.0.into()), ("lasting", "20ms".into())],
    );
    let run = b.simulate();
    let rows = lock_rows(&run);
    eprintln!("(start, lock waits, fallback queries, cache errors, timeouts): {rows:?}");
    let fallback: Vec<u64> = rows.iter().map(|r| r.2).collect();
    assert_eq!(fallback.iter().sum::<u64>(), fallback[12], "only then");
    assert!((150..=220).contains(&fallback[12]), "{}", fallback[12]);
    assert_eq!(rows[12].3, rows[12].4, "every failure is a timeout");
    assert!(
        (fallback[12] + 10..=fallback[12] + 40).contains(&rows[12].4),
        "the polls' timeouts and the window's 20 reads: {}",
        rows[12].4
    );
    // The others keep polling until the holder's value arrives at about 1.5 s.
    assert!(rows[15].1 > 0, "{:?}", rows[15]);
    assert_eq!(totals(&run).errors_fallback, 0, "none polled to the end");
}

#[test]
fn lock_polls_to_a_node_that_died_fail_and_their_readers_go_to_the_database() {
    // The key's node dies at 1.2 s, 200 ms into the rebuild (both nodes die, so the key's
    // owner does whichever it is): the polls sent from then on fail at the 20 ms timeout,
    // and each of the 200 or so waiting readers goes to the database (a fallback query)
    // rather than polling a lock that no longer exists.
    let mut b = hot_key_rebuilt_behind_a_lock();
    b.event("1200ms", "kill_node", &[("node", 0.into())]).event(
        "1200ms",
        "kill_node",
        &[("node", 1.into())],
    );
    let run = b.simulate();
    let rows = lock_rows(&run);
    eprintln!("(start, lock waits, fallback queries, cache errors, timeouts): {rows:?}");
    let fallback: Vec<u64> = rows.iter().map(|r| r.2).collect();
    assert_eq!(fallback.iter().sum::<u64>(), fallback[12], "only then");
    assert!((150..=220).contains(&fallback[12]), "{}", fallback[12]);
    assert_eq!(rows[12].1, fallback[12], "every waiting reader left");
    assert_eq!(totals(&run).errors_fallback, 0, "none polled to the end");
}

#[test]
fn the_memory_estimate_counts_a_returning_nodes_warm_up() {
    // The warm-up holds its key list and the values it stages, per key it warms: the estimate
    // grows with warmup_top (validation keeps it within the keyspace).
    use cachestorm::experiment::footprint;
    let fixed = |fields: &[(&str, toml::Value)]| {
        footprint(&node_returns(fields).scenario().strategies[0].config).fixed
    };
    let cold = fixed(&[]);
    let small = fixed(&[("warmup_top", 1_000.into()), ("warmup_rate", 1000.into())]);
    let all = fixed(&[("warmup_top", 10_000.into()), ("warmup_rate", 1000.into())]);
    let per_key = cachestorm::model::cache::nodes::WARMUP_BYTES_PER_KEY;
    assert_eq!(small - cold, 1_000 * per_key);
    assert_eq!(all - cold, 10_000 * per_key);
    assert!(per_key >= 32, "{per_key}");
}
