//! The model against closed forms: Erlang C for the database alone, λT/(1+λT) for a TTL cache.

use cachestorm::theory;

use super::simulate;

/// No cache, unlimited app workers: requests reach the database as a Poisson stream, so the
/// database is an M/M/c queue when service is exponential.
fn mmc_scenario(c: u32, rho: f64, mean_service_ms: f64, duration_s: u64, seed: u64) -> String {
    let lambda = rho * c as f64 / (mean_service_ms / 1000.0);
    format!(
        r#"
name = "mmc"
seed = {seed}
duration = "{duration_s}s"
bucket = "10s"
[clients]
rps = {lambda}
keyspace = 1000
[app]
instances = 1
[cache]
enabled = false
[db]
slots = {c}
service = {{ dist = "exponential", mean = "{mean_service_ms}ms" }}
"#
    )
}

#[test]
fn database_alone_matches_erlang_c_mean_wait() {
    // (slots, utilisation, run length in s). Tolerance: 5% of the theoretical mean wait; the
    // runs are long enough (1-3 million queries) that the sampling error is about a third of it.
    for (c, rho, duration_s) in [
        (1u32, 0.5, 1_000u64),
        (4, 0.8, 1_000),
        (8, 0.9, 1_500),
        (2, 0.9, 2_500),
    ] {
        let mean_ms = 1.0;
        let res = simulate(&mmc_scenario(c, rho, mean_ms, duration_s, 11));
        let mu = 1000.0 / mean_ms;
        let lambda = rho * c as f64 * mu;
        let want_ms = theory::mmc_mean_wait(c, lambda, mu) * 1000.0;
        let got_ms = res.summary.totals.db_wait_mean_ms;
        let err = (got_ms - want_ms).abs() / want_ms;
        eprintln!(
            "M/M/{c} rho={rho}: {got_ms:.4} vs {want_ms:.4} ({:.2}%)",
            err * 100.0
        );
        assert!(
            err < 0.05,
            "M/M/{c} at ρ={rho}: simulated mean wait {got_ms:.4} ms vs Erlang C {want_ms:.4} ms ({:.1}% off)",
            err * 100.0
        );
        // Utilisation is the other half of the check: busy fraction ≈ ρ.
        let busy = res.summary.totals.db_busy_fraction;
        assert!(
            (busy - rho).abs() < 0.01,
            "M/M/{c}: busy fraction {busy} vs ρ {rho}"
        );
    }
}

#[test]
fn overloaded_database_does_not_match_a_stable_queue() {
    // The check above can fail: at ρ = 1.1 the queue grows without bound and the wait is far
    // beyond any stable value.
    let res = simulate(&mmc_scenario(4, 1.1, 1.0, 100, 3));
    let stable_at_09 = theory::mmc_mean_wait(4, 0.9 * 4000.0, 1000.0) * 1000.0;
    assert!(res.summary.totals.db_wait_mean_ms > 20.0 * stable_at_09);
}

#[test]
fn ttl_cache_hit_ratio_matches_lambda_t_over_one_plus_lambda_t() {
    // 100 keys, uniform: each key is read as an independent Poisson stream at rps / 100.
    // Fill is instant (cache latency 0, 1 ns database), so theory applies exactly.
    // Tolerance: 0.01 absolute on the hit ratio (sampling error is about 0.001).
    for (rps, ttl) in [(1000.0, "1s"), (1000.0, "100ms"), (200.0, "2s")] {
        let toml = format!(
            r#"
name = "ttl"
seed = 5
duration = "600s"
bucket = "10s"
[clients]
rps = {rps}
keyspace = 100
[cache]
latency = "0s"
ttl = "{ttl}"
[db]
slots = 1000
service = "1ns"
"#
        );
        let res = simulate(&toml);
        let ttl_s = cachestorm::scenario::duration::parse_duration(ttl)
            .unwrap()
            .as_secs_f64();
        let want = theory::ttl_hit_ratio(rps / 100.0, ttl_s);
        let got = res.summary.totals.hit_ratio();
        assert!(
            (got - want).abs() < 0.01,
            "rate {} /s, TTL {ttl}: hit ratio {got:.4} vs {want:.4}",
            rps / 100.0
        );
    }
}

/// A TTL cache's misses: each key misses once cold (no entry yet) and every later miss finds
/// its entry expired; after a flush, with a TTL longer than the run, every miss finds none.
/// Fill is instant, so no two reads of a key miss together.
#[test]
fn misses_split_into_expired_entries_and_cold_keys() {
    let mut b = super::builder::ScenarioBuilder::new("expired-misses");
    b.duration("20s")
        .set("clients.keyspace", 100)
        .set("cache.latency", "0s")
        .set("cache.ttl", "100ms")
        .db(1000, "1ns");
    let t = b.simulate().summary.totals;
    assert!(t.cache_misses > 5_000, "{} misses", t.cache_misses);
    assert_eq!(
        t.cache_misses_expired,
        t.cache_misses - 100,
        "100 cold keys"
    );
    b.set("cache.ttl", "1h").event("10s", "flush", &[]);
    let t = b.simulate().summary.totals;
    assert_eq!(
        t.cache_misses, 200,
        "every key cold at the start and after the flush"
    );
    assert_eq!(t.cache_misses_expired, 0);
}
