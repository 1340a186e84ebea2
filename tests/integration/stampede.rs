//! Stampede mechanics against their analyses: herd size, coalescing, locks, XFetch, TTL jitter,
//! LRU under Zipf (Che's approximation), fan-out, a lock holder dying, and the read path across
//! deploys (key versions reusing a range, falling back to the previous version).

use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::model::cache::HashRing;
use cachestorm::model::clients::KeyChooser;
use cachestorm::model::Popularity;
use cachestorm::theory;
use toml::Value;

use super::builder::ScenarioBuilder;

/// One hot key read as a Poisson stream at `rps` by 4 app instances, rebuilt in a constant
/// `rebuild_ms` by a database with room for every query (no queueing), cache answering
/// instantly.
fn one_key(rps: f64, rebuild_ms: f64, ttl: &str, duration: &str) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("one-key");
    b.set("seed", 3)
        .duration(duration)
        .set("bucket", "10s")
        .rps(rps)
        .set("clients.keyspace", 1)
        .set("app.instances", 4)
        .set("cache.latency", "0s")
        .set("cache.ttl", ttl)
        .db(100_000, &format!("{rebuild_ms}ms"));
    b
}

/// [`one_key`] served by a single app instance through a cache 1 ms away.
fn one_key_one_instance(rps: f64, rebuild_ms: f64, ttl: &str, duration: &str) -> ScenarioBuilder {
    let mut b = one_key(rps, rebuild_ms, ttl, duration);
    b.set("app.instances", 1).set("cache.latency", "1ms");
    b
}

#[test]
fn unprotected_herd_is_one_plus_rate_times_rebuild_time() {
    // Tolerance: 5% of the expected herd (about 1,000 expiries are averaged).
    for (rps, rebuild_ms) in [(200.0, 50.0), (1000.0, 20.0), (50.0, 10.0)] {
        let t = one_key(rps, rebuild_ms, "1s", "1000s")
            .simulate()
            .summary
            .totals;
        let want = theory::herd_size(rps, rebuild_ms / 1000.0);
        let got = t.herd_mean();
        assert!(t.herds > 500, "{} herds", t.herds);
        assert!(
            (got - want).abs() / want < 0.05,
            "rate {rps}, Δ {rebuild_ms} ms: herd {got:.2} vs {want:.2}"
        );
    }
}

#[test]
fn coalescing_allows_at_most_one_query_per_instance_per_expiry() {
    let plain = one_key(1000.0, 20.0, "1s", "200s")
        .simulate()
        .summary
        .totals;
    let t = one_key(1000.0, 20.0, "1s", "200s")
        .set("mitigations.coalescing", true)
        .simulate()
        .summary
        .totals;
    assert!(
        plain.herd_max > 4,
        "without coalescing the herd is large: {}",
        plain.herd_max
    );
    assert!(t.herds > 100);
    assert!(t.herd_max <= 4, "4 instances, herd max {}", t.herd_max);
    assert!(
        t.herd_mean() > 3.0,
        "with 20 reads per rebuild every instance joins: {}",
        t.herd_mean()
    );
    assert_eq!(t.errors(), 0);
}

#[test]
fn a_lock_allows_one_query_per_expiry() {
    let t = one_key(1000.0, 20.0, "1s", "200s")
        .lock("5s", "5ms", 100)
        .simulate()
        .summary
        .totals;
    assert!(t.herds > 100);
    assert_eq!(t.herd_max, 1, "one rebuild per expiry");
    assert!(t.lock_waits > 1000, "the others waited: {}", t.lock_waits);
    assert!(
        t.lock_wait_mean_ms > 0.0 && t.lock_wait_mean_ms < 40.0,
        "{}",
        t.lock_wait_mean_ms
    );
    assert_eq!(t.errors(), 0);
}

#[test]
fn a_lock_taken_after_a_slow_miss_does_not_rebuild_a_value_written_meanwhile() {
    // With a 1 ms cache round trip, a read can miss just before the holder writes the value
    // and reach the lock just after it is released. The lock request looks at the value
    // again, so there is still one rebuild per expiry: one cycle lasts the TTL plus the
    // rebuild (20 ms) plus two round trips (miss, lock), about 200 / 1.022 = 196 cycles.
    let t = one_key(1000.0, 20.0, "1s", "200s")
        .set("cache.latency", "1ms")
        .lock("5s", "5ms", 100)
        .simulate()
        .summary
        .totals;
    let cycles = 200.0 / 1.022;
    assert_eq!(t.herd_max, 1);
    assert!(
        (t.db_started as f64) < cycles * 1.02,
        "{} queries for about {cycles:.0} expiries",
        t.db_started
    );
    assert!(t.db_started as f64 > cycles * 0.95, "{}", t.db_started);
    assert_eq!(t.errors(), 0);
}

#[test]
fn a_rate_limit_only_spends_tokens_on_queries_made() {
    // One instance may rebuild 2 keys a second; the lock lets one read per expiry rebuild
    // (about one a second) while the others wait. Waiting reads must not use up tokens, so no
    // read is ever refused.
    let t = one_key_one_instance(1000.0, 20.0, "1s", "100s")
        .lock("5s", "5ms", 100)
        .rate_limit(2.0, 1)
        .simulate()
        .summary
        .totals;
    assert!(t.herds > 90, "{}", t.herds);
    assert_eq!(t.herd_max, 1);
    assert_eq!(t.stale_serves, 0, "no read was refused a token");
    assert_eq!(t.errors(), 0);
}

#[test]
fn stale_serves_count_every_read_coalesced_on_one() {
    // The rate limit allows a single rebuild in the whole run: after the first value expires,
    // every read is answered with it, stale, whether it asked itself or joined another's
    // lock request (1 ms round trip at 1,000 reads/s, so about half the reads join one). Only
    // the reads around the first rebuild (about 22 ms of them) are neither hits nor stale.
    let t = one_key_one_instance(1000.0, 20.0, "1s", "20s")
        .set("mitigations.coalescing", true)
        .lock("5s", "5ms", 100)
        .rate_limit(0.0001, 1)
        .simulate()
        .summary
        .totals;
    let not_stale = t.completed - t.cache_hits - t.stale_serves;
    assert!(t.stale_serves > 15_000, "{}", t.stale_serves);
    assert!(
        not_stale < 40,
        "{} served, {} fresh hits, {} stale",
        t.completed,
        t.cache_hits,
        t.stale_serves
    );
    assert_eq!(t.errors(), 0);
}

#[test]
fn xfetch_matches_the_papers_analysis() {
    // (rate, Δ in ms, β). Tolerances: 0.03 absolute on P(no early recompute) (about 2,000
    // cycles, standard error ≤ 0.011) and 5% on expected recomputes per cycle.
    for (rps, delta_ms, beta) in [
        (100.0, 10.0, 1.0),
        (500.0, 10.0, 0.5),
        (200.0, 10.0, 2.0),
        (50.0, 20.0, 1.0),
    ] {
        let t = one_key(rps, delta_ms, "1s", "2000s")
            .set("mitigations.early_expiration.beta", beta)
            .simulate()
            .summary
            .totals;
        let delta = delta_ms / 1000.0;
        let p_no_early = 1.0 - t.herds_early as f64 / t.herds as f64;
        let want_p = theory::xfetch_p_no_early(rps, delta, beta);
        let recomputes = t.herd_mean();
        let want_r = theory::xfetch_expected_recomputes(rps, delta, beta);
        assert!(t.herds > 1500, "{} cycles", t.herds);
        assert!(
            (p_no_early - want_p).abs() < 0.03,
            "r={rps} Δ={delta_ms}ms β={beta}: P(no early) {p_no_early:.4} vs {want_p:.4}"
        );
        assert!(
            (recomputes - want_r).abs() / want_r < 0.05,
            "r={rps} Δ={delta_ms}ms β={beta}: recomputes/cycle {recomputes:.3} vs {want_r:.3}"
        );
    }
}

fn mean_qps(rows: &[BucketRow], from_s: f64, to_s: f64) -> f64 {
    let sel: Vec<&BucketRow> = rows
        .iter()
        .filter(|b| b.start_s >= from_s && b.start_s + b.width_s <= to_s)
        .collect();
    sel.iter().map(|b| b.db_qps()).sum::<f64>() / sel.len() as f64
}

fn jitter_run(jitter: f64) -> RunResult {
    // 2,000 keys loaded at 0 with TTL 100 s; each key is read 20 times a second, so it is
    // refilled within about 50 ms of expiring; the database has room for everything.
    ScenarioBuilder::new("jitter")
        .set("seed", 9)
        .duration("130s")
        .rps(40_000.0)
        .set("clients.keyspace", 2000)
        .set("cache.latency", "0s")
        .set("cache.ttl", "100s")
        .set("cache.ttl_jitter", jitter)
        .db(10_000, "1ms")
        .event("0s", "preload", &[])
        .simulate()
}

#[test]
fn jitter_spreads_refills_at_n_over_2jt() {
    let (n, t, j) = (2000.0, 100.0, 0.2);
    let spread = jitter_run(j);
    let want = n / (2.0 * j * t); // 50 refills per second over [80 s, 120 s]
    let got = mean_qps(&spread.buckets, 82.0, 118.0);
    assert!(
        (got - want).abs() / want < 0.05,
        "refill rate {got:.1}/s vs N/(2jT) = {want:.1}/s"
    );
    assert_eq!(
        mean_qps(&spread.buckets, 0.0, 79.0),
        0.0,
        "nothing expires before (1-j)T"
    );
    assert_eq!(
        mean_qps(&spread.buckets, 121.0, 130.0),
        0.0,
        "everything expired by (1+j)T"
    );

    let burst = jitter_run(0.0);
    let in_burst: u64 = burst
        .buckets
        .iter()
        .filter(|b| (100.0..102.0).contains(&b.start_s))
        .map(|b| b.db_by_cause.miss)
        .sum();
    let total: u64 = burst.buckets.iter().map(|b| b.db_by_cause.miss).sum();
    assert!(total >= 2000);
    assert!(
        in_burst as f64 >= 0.99 * total as f64,
        "without jitter the refill lands in the 2 s after T: {in_burst} of {total}"
    );
}

#[test]
fn lru_under_zipf_matches_che() {
    // One node of capacity C over N keys, Zipf(s), no expiry. Tolerance: 0.01 on the hit ratio
    // (Che's approximation is within a fraction of a percent for N in the thousands).
    for (n, c, s) in [
        (10_000u32, 1_000u32, 0.8),
        (5_000, 500, 1.1),
        (2_000, 1_000, 0.6),
    ] {
        let res = ScenarioBuilder::new("che")
            .set("seed", 4)
            .duration("60s")
            .rps(20_000.0)
            .set("clients.keyspace", n)
            .zipf(s)
            .set("cache.capacity", c)
            .set("cache.latency", "0s")
            .set("cache.ttl", "1h")
            .db(100_000, "1ns")
            .simulate();
        // Skip the first 10 s while the cache fills.
        let (hits, misses) = res.buckets[10..]
            .iter()
            .fold((0, 0), |(h, m), b| (h + b.cache_hits, m + b.cache_misses));
        let got = hits as f64 / (hits + misses) as f64;
        let want = theory::che_lru_hit_ratio(
            &KeyChooser::probabilities(n, Popularity::Zipf { s }),
            c as f64,
        );
        assert!(
            (got - want).abs() < 0.01,
            "N={n} C={c} s={s}: hit ratio {got:.4} vs Che {want:.4}"
        );
        assert!(
            res.summary.totals.evictions > 0,
            "the cache must be full and evicting"
        );
    }
}

#[test]
fn fanout_all_hit_fraction_is_h_to_the_k() {
    // Uniform keys, LRU holding half of them: each lookup hits with h ≈ 0.5.
    for k in [1u32, 3, 6] {
        let t = ScenarioBuilder::new("fanout")
            .set("seed", 2)
            .duration("60s")
            .rps(10_000.0)
            .set("clients.keyspace", 4000)
            .set("clients.fanout", k)
            .set("cache.capacity", 2000)
            .set("cache.latency", "0s")
            .set("cache.ttl", "1h")
            .db(100_000, "1ns")
            .simulate()
            .summary
            .totals;
        let h = t.hit_ratio();
        let all_hit = t.requests_all_hit as f64 / t.completed as f64;
        let want = theory::fanout_all_hit(h, k);
        assert!(
            (all_hit - want).abs() < 0.01,
            "k={k}, h={h:.3}: all-hit {all_hit:.4} vs h^k {want:.4}"
        );
    }
}

fn lock_holder_dies(lock_ttl: &str) -> RunResult {
    ScenarioBuilder::new("dead-holder")
        .set("seed", 5)
        .duration("40s")
        .rps(500.0)
        .set("clients.keyspace", 1)
        .set("clients.timeout", "2s")
        .set("app.instances", 2)
        .set("cache.latency", "200us")
        .set("cache.ttl", "2s")
        .db(100, "5ms")
        .lock(lock_ttl, "20ms", 25)
        .set("mitigations.lock.fallback", "error")
        .event("10s", "kill_lock_holder", &[])
        .simulate()
}

fn errors_from(res: &RunResult, from_s: f64) -> Vec<u64> {
    res.buckets
        .iter()
        .filter(|b| b.start_s >= from_s)
        .map(|b| b.errors())
        .collect()
}

#[test]
fn a_dead_lock_holder_without_ttl_is_an_outage_and_a_lock_ttl_recovers() {
    let no_ttl = lock_holder_dies("none");
    let with_ttl = lock_holder_dies("1s");
    // Before the death both are healthy.
    assert!(errors_from(&no_ttl, 0.0)[..10].iter().all(|&e| e == 0));
    // Without a TTL the key can never be rebuilt again: every second until the end has errors.
    let after = errors_from(&no_ttl, 14.0);
    assert!(
        after.iter().all(|&e| e > 100),
        "errors per second after the death: {after:?}"
    );
    // With a 1 s lock TTL the lock frees itself: errors only within a few seconds of the death.
    let recovered = errors_from(&with_ttl, 15.0);
    assert!(
        recovered.iter().all(|&e| e == 0),
        "errors after recovery: {recovered:?}"
    );
    let t = &with_ttl.summary.totals;
    assert!(t.errors() > 0, "the death itself is felt");
    // The holder's own request and the waiters that gave up are fallback errors; no client
    // waited out its 2 s timeout.
    assert_eq!(t.errors(), t.errors_fallback);
}

/// One key, two deploys: version 2 reuses the cache-key range of version 0. Queries take 5 s,
/// so version 0's rebuilds (made before the first deploy at 1 s) finish after version 2 is
/// live (2 s), and version 2's own first rebuilds finish at 7 s.
fn two_deploys() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("two-deploys");
    b.set("seed", 9)
        .duration("12s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "1000s")
        .db(100_000, "5s")
        .event("1s", "deploy", &[])
        .event("2s", "deploy", &[]);
    b
}

#[test]
fn a_deploy_does_not_serve_values_the_version_before_last_wrote() {
    let res = two_deploys().simulate();
    let hits: Vec<u64> = res.buckets.iter().map(|b| b.cache_hits).collect();
    // Version 0's results land at 5-6 s in the range version 2 now uses: they are garbage.
    assert!(
        hits[..7].iter().all(|&h| h == 0),
        "hits before version 2's own rebuilds: {hits:?}"
    );
    assert!(hits[8..].iter().all(|&h| h > 50), "{hits:?}");
}

#[test]
fn a_deploy_clears_locks_the_version_before_last_left_behind() {
    // The first rebuilder under version 0 dies holding a lock without TTL: an outage. Version 1
    // (3 s) has its own lock; version 2 (6 s) reuses version 0's range and must not inherit
    // the dead lock.
    let res = ScenarioBuilder::new("dead-lock-reused")
        .set("seed", 9)
        .duration("10s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "1000s")
        .db(100, "20ms")
        .lock("none", "50ms", 2)
        .set("mitigations.lock.fallback", "error")
        .event("0s", "kill_lock_holder", &[])
        .event("3s", "deploy", &[])
        .event("6s", "deploy", &[])
        .simulate();
    let errors: Vec<u64> = res.buckets.iter().map(|b| b.errors()).collect();
    assert!(
        errors[..3].iter().all(|&e| e > 50),
        "version 0 is dead: {errors:?}"
    );
    assert!(
        errors[4..].iter().all(|&e| e == 0),
        "versions 1 and 2 have locks of their own: {errors:?}"
    );
}

/// Half-way through a rolling deploy (instance 0 on version 1, instance 1 still on version 0),
/// with every rebuild token spent, the cache node holding one version of key 0 is flushed at
/// 3 s: with 6 nodes of 160 points, cache key 0 (version 0) and 1 (version 1) sit on
/// different nodes.
fn rolling_deploy_flush(version: u32) -> Vec<(u64, u64)> {
    let ring = HashRing::new(6, 160);
    assert_ne!(
        ring.node_for(0),
        ring.node_for(1),
        "the test needs two nodes"
    );
    let node = ring.node_for(version);
    let res = ScenarioBuilder::new("rolling-flush")
        .set("seed", 3)
        .duration("10s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1)
        .set("app.instances", 2)
        .set("cache.nodes", 6)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "1000s")
        .db(100, "20ms")
        .rate_limit(0.0001, 1)
        .event(
            "1s",
            "deploy",
            &[
                ("waves", 2.into()),
                ("wave_interval", "20s".into()),
                ("warmup_top", 1.into()),
                ("warmup_rate", 10.into()),
                ("warmup_lead", "0.5s".into()),
            ],
        )
        .event("3s", "flush", &[("node", Value::from(i64::from(node)))])
        .simulate();
    res.buckets[4..]
        .iter()
        .map(|b| (b.errors_fallback, b.stale_serves))
        .collect()
}

#[test]
fn a_refused_rebuild_falls_back_to_the_previous_version_never_the_next() {
    // The new version's value is gone: instance 0 may serve the old version's value.
    for (errors, stale) in rolling_deploy_flush(1) {
        assert_eq!(errors, 0);
        assert!(stale > 30, "{stale}");
    }
    // The old version's value is gone: instance 1 must not serve the new version's value (an
    // old binary cannot read it), so its reads fail.
    for (errors, stale) in rolling_deploy_flush(0) {
        assert_eq!(stale, 0);
        assert!(errors > 30, "{errors}");
    }
}

/// Version 0's first rebuilder dies holding a lock without TTL, so version 0's readers poll it
/// (for up to 5 s, then go to the database). Deploys at 1 s and 2 s: version 2 reuses version
/// 0's key range while those readers are still polling.
fn readers_outlive_two_deploys() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("outlived");
    b.set("seed", 9)
        .duration("10s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "1000s")
        .db(100, "20ms")
        .lock("none", "50ms", 100)
        .set("mitigations.lock.fallback", "db")
        .event("0s", "kill_lock_holder", &[])
        .event("1s", "deploy", &[])
        .event("2s", "deploy", &[]);
    b
}

#[test]
fn a_read_that_outlives_two_deploys_does_not_fill_the_newer_versions_range() {
    // Version 2's own rebuilder dies too, so any hit before its readers' fallback queries
    // return (about 7 s) would be a value version 0's readers wrote into version 2's range.
    let res = readers_outlive_two_deploys()
        .event("2s", "kill_lock_holder", &[])
        .simulate();
    let hits: Vec<u64> = res.buckets.iter().map(|b| b.cache_hits).collect();
    assert!(hits[1] > 50, "version 1 rebuilds normally: {hits:?}");
    assert!(hits[2..7].iter().all(|&h| h == 0), "{hits:?}");
    assert!(hits[8..].iter().all(|&h| h > 50), "{hits:?}");
}

#[test]
fn a_read_that_outlives_two_deploys_never_sees_the_newer_versions_value() {
    // Version 2 rebuilds at once. Version 0's hundred or so waiting readers cannot read its
    // value or take its lock: they are answered by the database when they next poll.
    let res = readers_outlive_two_deploys().simulate();
    let b = &res.buckets[2];
    assert!(
        b.db_by_cause.miss >= 90,
        "{} miss queries",
        b.db_by_cause.miss
    );
    assert_eq!(res.summary.totals.errors(), res.buckets[0].errors());
}

#[test]
fn falling_back_to_the_database_still_obeys_the_rate_limit() {
    // Readers give up on the lock after 20 ms while a rebuild takes 200 ms: without the rate
    // limit each would query. One instance may rebuild once every 2 s (plus a burst of 1).
    let t = one_key_one_instance(1000.0, 200.0, "1s", "20s")
        .lock("5s", "10ms", 2)
        .set("mitigations.lock.fallback", "db")
        .rate_limit(0.5, 1)
        .simulate()
        .summary
        .totals;
    assert!(t.db_started <= 11, "{} queries", t.db_started);
    assert!(
        t.stale_serves > 1000,
        "the refused readers get the old value"
    );
}

#[test]
fn a_deploy_does_not_let_new_reads_join_an_old_versions_fetch() {
    // Coalescing: version 0's fetch (5 s) is still in flight when version 2 (2 s) reuses its
    // range. Version 2's reads must lead their own fetch, answered at 7 s and written, rather
    // than join version 0's, whose result (5 s) is dropped and would leave them cold until 10 s.
    let hits: Vec<u64> = two_deploys()
        .set("mitigations.coalescing", true)
        .simulate()
        .buckets
        .iter()
        .map(|b| b.cache_hits)
        .collect();
    assert!(hits[..7].iter().all(|&h| h == 0), "{hits:?}");
    assert!(hits[8..].iter().all(|&h| h > 50), "{hits:?}");
}

#[test]
fn a_deploy_does_not_inherit_an_old_versions_background_refresh() {
    // Refresh-ahead (below 90% of a 2 s TTL left) with 1 s rebuilds, coalesced so that one
    // write sets the TTL: version 0's value, written at 1 s, is refreshed from 1.2 s until 2.2 s, so the refresh is still running when version
    // 2 takes the range over (1.5 s). Version 2's value (written at 2.5 s) must be refreshed
    // ahead of its expiry like any other: no misses once it is in place.
    let res = ScenarioBuilder::new("refresh-across-deploys")
        .set("seed", 4)
        .duration("12s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1)
        .set("app.instances", 1)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "2s")
        .db(100, "1s")
        .set("mitigations.refresh_ahead.fraction", 0.9)
        .set("mitigations.coalescing", true)
        .event("1.3s", "deploy", &[])
        .event("1.5s", "deploy", &[])
        .simulate();
    let misses: Vec<u64> = res.buckets.iter().map(|b| b.cache_misses).collect();
    assert!(misses[..3].iter().any(|&m| m > 0), "{misses:?}");
    assert!(misses[3..].iter().all(|&m| m == 0), "{misses:?}");
}

#[test]
fn a_warm_up_stops_once_a_newer_deploy_takes_its_key_range() {
    // Deploy 1 warms 1,000 keys at 10/s from 1 s; deploys 2 (4 s) and 3 (6 s) follow without
    // warm-up. From 6 s, version 3 owns version 1's range: warming it would be wasted load.
    let res = ScenarioBuilder::new("warm-up-overtaken")
        .set("seed", 4)
        .duration("10s")
        .set("bucket", "1s")
        .rps(100.0)
        .set("clients.keyspace", 1000)
        .set("cache.latency", "1ms")
        .set("cache.ttl", "1000s")
        .db(100, "5ms")
        .event(
            "2s",
            "deploy",
            &[
                ("warmup_top", 1000.into()),
                ("warmup_rate", 10.into()),
                ("warmup_lead", "1s".into()),
            ],
        )
        .event("4s", "deploy", &[])
        .event("6s", "deploy", &[])
        .simulate();
    let warm: Vec<u64> = res.buckets.iter().map(|b| b.db_by_cause.warmup).collect();
    assert!(warm[1..6].iter().all(|&w| w >= 9), "{warm:?}");
    assert!(warm[6..].iter().all(|&w| w == 0), "{warm:?}");
}
