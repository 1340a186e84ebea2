//! Stampede mechanics against their analyses: herd size, coalescing, locks, XFetch, TTL jitter,
//! LRU under Zipf (Che's approximation), fan-out, a lock holder dying, and the read path across
//! deploys (key versions reusing a range, falling back to the previous version).

use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::model::cache::HashRing;
use cachestorm::model::clients::KeyChooser;
use cachestorm::model::Popularity;
use cachestorm::theory;

use super::simulate;

/// One hot key read as a Poisson stream at `rps`, rebuilt in a constant `rebuild_ms` by a
/// database with room for every query (no queueing), cache answering instantly.
fn one_key(rps: f64, rebuild_ms: f64, ttl: &str, duration: &str, extra: &str) -> String {
    format!(
        r#"
name = "one-key"
seed = 3
duration = "{duration}"
bucket = "10s"
[clients]
rps = {rps}
keyspace = 1
[app]
instances = 4
[cache]
latency = "0s"
ttl = "{ttl}"
[db]
slots = 100000
service = "{rebuild_ms}ms"
{extra}
"#
    )
}

#[test]
fn unprotected_herd_is_one_plus_rate_times_rebuild_time() {
    // Tolerance: 5% of the expected herd (about 1,000 expiries are averaged).
    for (rps, rebuild_ms) in [(200.0, 50.0), (1000.0, 20.0), (50.0, 10.0)] {
        let t = simulate(&one_key(rps, rebuild_ms, "1s", "1000s", ""))
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
    let plain = simulate(&one_key(1000.0, 20.0, "1s", "200s", ""))
        .summary
        .totals;
    let t = simulate(&one_key(
        1000.0,
        20.0,
        "1s",
        "200s",
        "[mitigations]\ncoalescing = true",
    ))
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
    let lock =
        "[mitigations]\nlock = { ttl = \"5s\", retry_interval = \"5ms\", max_retries = 100 }";
    let t = simulate(&one_key(1000.0, 20.0, "1s", "200s", lock))
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
    let lock =
        "[mitigations]\nlock = { ttl = \"5s\", retry_interval = \"5ms\", max_retries = 100 }";
    let scenario =
        one_key(1000.0, 20.0, "1s", "200s", lock).replace("latency = \"0s\"", "latency = \"1ms\"");
    let t = simulate(&scenario).summary.totals;
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
    let extra = "[mitigations]\nlock = { ttl = \"5s\", retry_interval = \"5ms\", max_retries = 100 }\nrate_limit = { rate = 2, burst = 1 }";
    let scenario = one_key(1000.0, 20.0, "1s", "100s", extra)
        .replace("instances = 4", "instances = 1")
        .replace("latency = \"0s\"", "latency = \"1ms\"");
    let t = simulate(&scenario).summary.totals;
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
    let extra = "[mitigations]\ncoalescing = true\nlock = { ttl = \"5s\", retry_interval = \"5ms\", max_retries = 100 }\nrate_limit = { rate = 0.0001, burst = 1 }";
    let scenario = one_key(1000.0, 20.0, "1s", "20s", extra)
        .replace("instances = 4", "instances = 1")
        .replace("latency = \"0s\"", "latency = \"1ms\"");
    let t = simulate(&scenario).summary.totals;
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
        let extra = format!("[mitigations]\nearly_expiration = {{ beta = {beta} }}");
        let t = simulate(&one_key(rps, delta_ms, "1s", "2000s", &extra))
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
    simulate(&format!(
        r#"
name = "jitter"
seed = 9
duration = "130s"
[clients]
rps = 40000
keyspace = 2000
[cache]
latency = "0s"
ttl = "100s"
ttl_jitter = {jitter}
[db]
slots = 10000
service = "1ms"
[[timeline]]
at = "0s"
action = "preload"
"#
    ))
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
        let res = simulate(&format!(
            r#"
name = "che"
seed = 4
duration = "60s"
[clients]
rps = 20000
keyspace = {n}
popularity = {{ dist = "zipf", s = {s} }}
[cache]
capacity = {c}
latency = "0s"
ttl = "1h"
[db]
slots = 100000
service = "1ns"
"#
        ));
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
        let t = simulate(&format!(
            r#"
name = "fanout"
seed = 2
duration = "60s"
[clients]
rps = 10000
keyspace = 4000
fanout = {k}
[cache]
capacity = 2000
latency = "0s"
ttl = "1h"
[db]
slots = 100000
service = "1ns"
"#
        ))
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
    simulate(&format!(
        r#"
name = "dead-holder"
seed = 5
duration = "40s"
[clients]
rps = 500
keyspace = 1
timeout = "2s"
[app]
instances = 2
[cache]
latency = "200us"
ttl = "2s"
[db]
slots = 100
service = "5ms"
[mitigations]
lock = {{ ttl = "{lock_ttl}", retry_interval = "20ms", max_retries = 25, fallback = "error" }}
[[timeline]]
at = "10s"
action = "kill_lock_holder"
"#
    ))
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
fn two_deploys(extra: &str) -> RunResult {
    simulate(&format!(
        r#"
name = "two-deploys"
seed = 9
duration = "12s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1
[cache]
latency = "1ms"
ttl = "1000s"
[db]
slots = 100000
service = "5s"
{extra}
[[timeline]]
at = "1s"
action = "deploy"
[[timeline]]
at = "2s"
action = "deploy"
"#
    ))
}

#[test]
fn a_deploy_does_not_serve_values_the_version_before_last_wrote() {
    let res = two_deploys("");
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
    let res = simulate(
        r#"
name = "dead-lock-reused"
seed = 9
duration = "10s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1
[cache]
latency = "1ms"
ttl = "1000s"
[db]
slots = 100
service = "20ms"
[mitigations]
lock = { ttl = "none", retry_interval = "50ms", max_retries = 2, fallback = "error" }
[[timeline]]
at = "0s"
action = "kill_lock_holder"
[[timeline]]
at = "3s"
action = "deploy"
[[timeline]]
at = "6s"
action = "deploy"
"#,
    );
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
    let res = simulate(&format!(
        r#"
name = "rolling-flush"
seed = 3
duration = "10s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1
[app]
instances = 2
[cache]
nodes = 6
latency = "1ms"
ttl = "1000s"
[db]
slots = 100
service = "20ms"
[mitigations]
rate_limit = {{ rate = 0.0001, burst = 1 }}
[[timeline]]
at = "1s"
action = "deploy"
waves = 2
wave_interval = "20s"
warmup_top = 1
warmup_rate = 10
warmup_lead = "0.5s"
[[timeline]]
at = "3s"
action = "flush"
node = {node}
"#
    ));
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
/// 0's key range while those readers are still polling. `extra_timeline` is appended.
fn readers_outlive_two_deploys(extra_timeline: &str) -> RunResult {
    simulate(&format!(
        r#"
name = "outlived"
seed = 9
duration = "10s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1
[cache]
latency = "1ms"
ttl = "1000s"
[db]
slots = 100
service = "20ms"
[mitigations]
lock = {{ ttl = "none", retry_interval = "50ms", max_retries = 100, fallback = "db" }}
[[timeline]]
at = "0s"
action = "kill_lock_holder"
[[timeline]]
at = "1s"
action = "deploy"
[[timeline]]
at = "2s"
action = "deploy"
{extra_timeline}
"#
    ))
}

#[test]
fn a_read_that_outlives_two_deploys_does_not_fill_the_newer_versions_range() {
    // Version 2's own rebuilder dies too, so any hit before its readers' fallback queries
    // return (about 7 s) would be a value version 0's readers wrote into version 2's range.
    let res =
        readers_outlive_two_deploys("[[timeline]]\nat = \"2s\"\naction = \"kill_lock_holder\"");
    let hits: Vec<u64> = res.buckets.iter().map(|b| b.cache_hits).collect();
    assert!(hits[1] > 50, "version 1 rebuilds normally: {hits:?}");
    assert!(hits[2..7].iter().all(|&h| h == 0), "{hits:?}");
    assert!(hits[8..].iter().all(|&h| h > 50), "{hits:?}");
}

#[test]
fn a_read_that_outlives_two_deploys_never_sees_the_newer_versions_value() {
    // Version 2 rebuilds at once. Version 0's hundred or so waiting readers cannot read its
    // value or take its lock: they are answered by the database when they next poll.
    let res = readers_outlive_two_deploys("");
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
    let extra = "[mitigations]\nlock = { ttl = \"5s\", retry_interval = \"10ms\", max_retries = 2, fallback = \"db\" }\nrate_limit = { rate = 0.5, burst = 1 }";
    let scenario = one_key(1000.0, 200.0, "1s", "20s", extra)
        .replace("instances = 4", "instances = 1")
        .replace("latency = \"0s\"", "latency = \"1ms\"");
    let t = simulate(&scenario).summary.totals;
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
    let hits: Vec<u64> = two_deploys("[mitigations]\ncoalescing = true")
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
    let res = simulate(
        r#"
name = "refresh-across-deploys"
seed = 4
duration = "12s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1
[app]
instances = 1
[cache]
latency = "1ms"
ttl = "2s"
[db]
slots = 100
service = "1s"
[mitigations]
refresh_ahead = { fraction = 0.9 }
coalescing = true
[[timeline]]
at = "1.3s"
action = "deploy"
[[timeline]]
at = "1.5s"
action = "deploy"
"#,
    );
    let misses: Vec<u64> = res.buckets.iter().map(|b| b.cache_misses).collect();
    assert!(misses[..3].iter().any(|&m| m > 0), "{misses:?}");
    assert!(misses[3..].iter().all(|&m| m == 0), "{misses:?}");
}

#[test]
fn a_warm_up_stops_once_a_newer_deploy_takes_its_key_range() {
    // Deploy 1 warms 1,000 keys at 10/s from 1 s; deploys 2 (4 s) and 3 (6 s) follow without
    // warm-up. From 6 s, version 3 owns version 1's range: warming it would be wasted load.
    let res = simulate(
        r#"
name = "warm-up-overtaken"
seed = 4
duration = "10s"
bucket = "1s"
[clients]
rps = 100
keyspace = 1000
[cache]
latency = "1ms"
ttl = "1000s"
[db]
slots = 100
service = "5ms"
[[timeline]]
at = "2s"
action = "deploy"
warmup_top = 1000
warmup_rate = 10
warmup_lead = "1s"
[[timeline]]
at = "4s"
action = "deploy"
[[timeline]]
at = "6s"
action = "deploy"
"#,
    );
    let warm: Vec<u64> = res.buckets.iter().map(|b| b.db_by_cause.warmup).collect();
    assert!(warm[1..6].iter().all(|&w| w >= 9), "{warm:?}");
    assert!(warm[6..].iter().all(|&w| w == 0), "{warm:?}");
}
