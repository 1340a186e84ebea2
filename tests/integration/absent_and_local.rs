//! Absent keys and local caches against what can be worked out by hand: negative caching's
//! database load against the rate of distinct absent keys per TTL, a Bloom filter's false
//! positives and the existing keys it never stops, a local cache's hit ratio against the TTL
//! closed form, pub/sub invalidation bounding the age of outdated local reads by its lag (and
//! losing messages at its rate), hot keys only, a disabled local cache, and the checks on every
//! new field.

use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::theory;

use super::builder::ScenarioBuilder;

/// Relative rounding of the HDR histograms (3 significant digits) the ages are kept in: a
/// reported age may exceed the true one by this much.
const HDR_ROUNDING: f64 = 1e-3;

fn totals(run: &RunResult) -> &BucketRow {
    &run.summary.totals
}

/// `k` standard errors of a binomial share `p` estimated from `n` trials.
fn binomial_tolerance(k: f64, p: f64, n: u64) -> f64 {
    k * (p * (1.0 - p) / n as f64).sqrt()
}

#[test]
fn negative_caching_queries_each_absent_key_about_once_per_ttl() {
    // Each of M absent ids is read as a Poisson stream at λ = share × rps / M (fan-out 1,
    // uniform absent ids). An id's reads form cycles: a miss queries the database, whose "not
    // found" is cached for T; the next read after T misses again. One query per cycle of mean
    // μ = T + 1/λ: M·λ/(1+λT) a second (theory::negative_cache_absent_query_rate), close to M/T
    // in the first setting (λT = 20). The run starts from an empty cache, so each id's first
    // miss comes after 1/λ rather than a whole cycle: theory::negative_cache_cold_start_queries
    // adds (λT/(1+λT))²/2 queries per id (45 in all in the first setting, 6.7 standard errors:
    // without it that setting fails).
    //
    // Sampling error: an id's queries are a renewal count, of variance (D/μ)·(σ/μ)² over D/μ
    // cycles whose length has standard deviation σ = 1/λ; over n = M·D/μ cycles in all, the
    // standard error is a·√n with a = σ/μ = 1/(1+λT): 0.034%, 0.15% and 0.21% of the count for
    // these settings (20,000, 50,000 and 100,000 cycles). The tolerance is 4 of them. Cache
    // latency 0 and a 1 µs database make the fill instant (a read lands within a miss's 1 µs
    // with probability λ·1 µs ≤ 2e-5).
    for (m, lambda, ttl_s, share, cycles_per_key) in [
        (100u32, 20.0, 1.0, 0.8, 200.0f64),
        (1_000, 1.0, 2.0, 0.5, 50.0),
        (2_000, 0.5, 1.0, 1.0, 50.0),
    ] {
        let seconds = (cycles_per_key * (ttl_s + 1.0 / lambda)).ceil();
        let mut b = ScenarioBuilder::new("negative");
        b.duration(&format!("{seconds}s"))
            .set("bucket", format!("{seconds}s"))
            .rps(lambda * m as f64 / share)
            .set("clients.keyspace", 1)
            .absent_keys(share, m as i64)
            .set("cache.latency", "0s")
            .db(64, "1us")
            .set("mitigations.negative_caching.ttl", format!("{ttl_s}s"));
        let run = b.simulate();
        let t = totals(&run);
        let (mf, lt) = (m as f64, lambda * ttl_s);
        let rate = theory::negative_cache_absent_query_rate(mf, lambda, ttl_s);
        let want = rate * seconds + theory::negative_cache_cold_start_queries(mf, lambda, ttl_s);
        let se = want.sqrt() / (1.0 + lt);
        let got = t.db_queries_absent as f64;
        eprintln!(
            "M={m} λ={lambda} T={ttl_s}: {got} absent-key queries vs {want:.1} ± {se:.1} \
             ({:.2}/s vs {rate:.2}/s; M/T = {:.1}/s); {} absent reads, {} negative hits",
            got / seconds,
            mf / ttl_s,
            t.absent_reads,
            t.negative_hits
        );
        assert!(
            (got - want).abs() <= 4.0 * se,
            "M = {m}, λ = {lambda}/s, T = {ttl_s} s: {got} queries for absent keys vs {want:.1} \
             (standard error {se:.1})"
        );
        // Every absent read is a negative hit or a miss, and every miss a query.
        assert_eq!(t.absent_reads, t.negative_hits + t.db_queries_absent);
        // The share of absent reads is the configured one (binomial, 4 standard errors; exact
        // when every read is absent).
        let absent = t.absent_reads as f64 / t.arrived as f64;
        assert!(
            (absent - share).abs() <= binomial_tolerance(4.0, share, t.arrived),
            "absent share {absent} vs {share}"
        );
    }
}

#[test]
fn a_bloom_filter_lets_absent_keys_through_at_its_false_positive_rate() {
    // 30% of 2,000 reads a second over 40 s ask for 10,000 absent ids, never cached (no
    // negative caching): each of the 24,000 or so absent reads misses and meets the filter
    // once, which lets it through with probability p. The share reaching the database is
    // binomial: standard error √(p(1−p)/n), 0.0014 for p = 0.05 and 0.0026 for p = 0.2; the
    // tolerance is 4 of them. 64 database slots of 1 ms never queue, so the existing keys'
    // reads (1,000 keys, cached 300 s) see the same cache whatever the absent ones do. The
    // drain lets the reads in flight at the end reach the filter too.
    let mut b = ScenarioBuilder::new("bloom");
    b.duration("40s")
        .set("drain", true)
        .rps(2000.0)
        .absent_keys(0.3, 10_000)
        .db(64, "1ms")
        .strategy("no-filter", |_| {})
        .strategy("fp-0.05", |s| {
            s.set("mitigations.bloom_filter.false_positive_rate", 0.05);
        })
        .strategy("fp-0.2", |s| {
            s.set("mitigations.bloom_filter.false_positive_rate", 0.2);
        });
    let runs = b.simulate_all();
    let none = totals(&runs[0]);
    assert_eq!(none.db_queries_absent, none.absent_reads);
    assert_eq!((none.bloom_rejections, none.bloom_false_positives), (0, 0));
    let existing_queries = |t: &BucketRow| t.db_by_cause.miss - t.db_queries_absent;
    for (p, run) in [(0.05, &runs[1]), (0.2, &runs[2])] {
        let t = totals(run);
        let through = t.db_queries_absent as f64 / t.absent_reads as f64;
        let tolerance = binomial_tolerance(4.0, p, t.absent_reads);
        eprintln!(
            "p = {p}: {} absent reads, {} rejected, {} false positives, {} absent-key queries \
             ({through:.4} ± {tolerance:.4})",
            t.absent_reads, t.bloom_rejections, t.bloom_false_positives, t.db_queries_absent
        );
        assert!(t.absent_reads > 20_000);
        assert!(
            (through - p).abs() <= tolerance,
            "false-positive rate {p}: {through} of absent reads reached the database"
        );
        // Every absent read missed the cache and met the filter once; the ones it let through
        // are the database's queries for absent keys.
        assert_eq!(t.bloom_rejections + t.bloom_false_positives, t.absent_reads);
        assert_eq!(t.db_queries_absent, t.bloom_false_positives);
        // The same workload (common random numbers): the existing keys' reads and queries
        // are those of the run without a filter, and every read is answered.
        assert_eq!(t.absent_reads, none.absent_reads);
        assert_eq!(existing_queries(t), existing_queries(none));
        assert_eq!(t.cache_hits, none.cache_hits);
        assert_eq!(t.errors(), 0);
        assert_eq!(t.reads_served, none.reads_served);
    }
}

/// A read workload under stress, without absent keys: Zipf keys, LRU, client and queue
/// timeouts, writes, and strategies with coalescing, a lock, and no cache; `each` adds to every
/// strategy's overrides.
fn existing_keys_only(each: &dyn Fn(&mut ScenarioBuilder)) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("existing");
    b.duration("6s")
        .rps(3000.0)
        .zipf(1.0)
        .set("clients.timeout", "200ms")
        .set("app.instances", 4)
        .set("cache.capacity", 200)
        .set("cache.ttl", "1s")
        .set(
            "db.service",
            ScenarioBuilder::dist(&[("dist", "lognormal"), ("median", "1ms"), ("p99", "8ms")]),
        )
        .set("db.slots", 2)
        .set("db.queue_timeout", "50ms")
        .writes(50.0, "delete")
        .strategy("plain", |s| each(s))
        .strategy("coalescing", |s| {
            s.set("mitigations.coalescing", true);
            each(s);
        })
        .strategy("lock", |s| {
            s.lock("1s", "20ms", 5);
            each(s);
        });
    b
}

#[test]
fn a_bloom_filter_and_negative_caching_never_touch_existing_keys() {
    // Without absent keys, a Bloom filter (before every database read, with or without a
    // cache) and negative caching must change nothing, bit for bit: the filter never stops a
    // key that exists.
    let no_cache = |s: &mut ScenarioBuilder| {
        s.no_cache().set("writes.path", "ttl_only");
    };
    let mut without = existing_keys_only(&|_| {});
    without.strategy("no-cache", no_cache);
    let without = without.simulate_all();
    let sum = |f: fn(&BucketRow) -> u64| without.iter().map(|r| f(totals(r))).sum::<u64>();
    for (what, n) in [
        ("errors", sum(BucketRow::errors)),
        ("queries", sum(|t| t.db_by_cause.miss)),
        ("evictions", sum(|t| t.evictions)),
        ("lock waits", sum(|t| t.lock_waits)),
        ("outdated reads", sum(|t| t.outdated_reads)),
    ] {
        eprintln!("existing keys only: {what} {n}");
        assert!(n > 0, "the strategies never saw {what}");
    }
    let mut filtered = existing_keys_only(&|_| {});
    filtered
        .set("mitigations.bloom_filter.false_positive_rate", 0.5)
        .strategy("no-cache", no_cache);
    let mut both = existing_keys_only(&|s| {
        s.set("mitigations.negative_caching.ttl", "10s");
    });
    both.set("mitigations.bloom_filter.false_positive_rate", 0.5)
        .strategy("no-cache", no_cache);
    for (name, variant) in [
        ("Bloom filter", &filtered),
        ("Bloom filter and negative caching", &both),
    ] {
        let with = variant.simulate_all();
        assert_eq!(with.len(), without.len());
        for (i, (a, b)) in without.iter().zip(&with).enumerate() {
            let t = totals(b);
            assert_eq!(
                (t.bloom_rejections, t.bloom_false_positives, t.negative_hits),
                (0, 0, 0)
            );
            assert!(
                a == b,
                "{name}: strategy {i} differs from the run without\nwithout: {:?}\nwith: {:?}",
                a.summary,
                b.summary
            );
        }
    }
}

/// One key (keyspace 1) read at `rps` by one app instance with a local cache of TTL
/// `local_ttl`, every fill instant: local and shared cache latency 0, a 1 µs database.
fn one_key_local(rps: f64, local_ttl: &str) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("local");
    b.rps(rps)
        .set("clients.keyspace", 1)
        .set("cache.latency", "0s")
        .set("cache.ttl", "1s")
        .db(64, "1us")
        .local_cache(local_ttl)
        .set("local_cache.latency", "0s");
    b
}

#[test]
fn local_cache_hit_ratio_matches_the_ttl_closed_form() {
    // The local copy lives T from each local miss, whatever the shared cache holds: the TTL
    // cycle of theory::ttl_hit_ratio, λT/(1+λT). Per cycle (one miss, a Poisson(λT) number of
    // hits) the ratio estimator's standard error is √(λT)/((1+λT)²·√n): 0.0018, 0.0006 and
    // 0.0002 over n = 20,000 cycles at λT = 1, 4 and 10; the tolerance, 0.01 absolute as for the
    // shared cache's check in theory.rs, is over 5 of them.
    const CYCLES: f64 = 20_000.0;
    for (lambda, ttl_s) in [(10.0, 0.1), (4.0, 1.0), (20.0, 0.5)] {
        let seconds = (CYCLES * (ttl_s + 1.0 / lambda)).ceil();
        let mut b = one_key_local(lambda, &format!("{ttl_s}s"));
        b.duration(&format!("{seconds}s"))
            .set("bucket", format!("{seconds}s"));
        let run = b.simulate();
        let t = totals(&run);
        let got = t.local_hits as f64 / (t.local_hits + t.local_misses) as f64;
        let want = theory::ttl_hit_ratio(lambda, ttl_s);
        eprintln!(
            "λ={lambda} T={ttl_s}: local hit ratio {got:.4} vs {want:.4} ({} hits, {} misses)",
            t.local_hits, t.local_misses
        );
        assert!(
            (got - want).abs() < 0.01,
            "λ = {lambda}/s, local TTL {ttl_s} s: local hit ratio {got:.4} vs {want:.4}"
        );
        // Each local miss reads the shared cache once; without writes nothing differs.
        assert_eq!(t.cache_hits + t.cache_misses, t.local_misses);
        assert_eq!(t.local_hits + t.local_misses, t.reads_served);
        assert_eq!(t.local_differs, 0);
        // One key a request: a request is a full hit when its key was a local or a shared hit.
        assert_eq!(t.requests_all_hit, t.local_hits + t.cache_hits);
    }
}

/// Ten keys read 2,000 times a second by four app instances with local caches (2 s), written
/// 10 times a second with delete after commit; shared cache operations take a constant 1 ms,
/// database reads 1 µs.
fn local_world() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("local");
    b.duration("100s")
        .rps(2000.0)
        .set("clients.keyspace", 10)
        .set("app.instances", 4)
        .set("cache.ttl", "10s")
        .set("cache.latency", "1ms")
        .db(64, "1us")
        .writes(10.0, "delete")
        .local_cache("2s");
    b
}

#[test]
fn pubsub_bounds_outdated_local_reads_by_its_lag_and_ttl_only_by_the_local_ttl() {
    // A commit at c publishes to every instance, which drops its copy at c + L (L = 20 ms,
    // constant, no loss). The shared cache cannot hand an old version to a local cache after
    // that: the writer's delete lands at c + 1 ms < c + L, and no read can set the old version
    // back after it (the stale-set race needs a database read longer than the delete's 1 ms;
    // they take 1 µs), so the last old copy is filled before c + 1 ms and dropped at c + L. No
    // outdated read is then older than L (the shared cache's own window, 1 ms, is inside it).
    // With TTL only, an old local copy lives its 2 s TTL (filled at most 1 ms after the commit
    // that outdates it).
    let lag_ms = 20.0;
    let mut b = local_world();
    b.strategy("pubsub", |s| {
        s.pubsub("20ms", 0.0);
    })
    .strategy("ttl-only", |_| {});
    let runs = b.simulate_all();
    for (name, run) in ["pubsub", "ttl-only"].iter().zip(&runs) {
        let t = totals(run);
        eprintln!(
            "{name}: {} writes, {} messages; {} local hits ({} differ), {} local misses; {} of {} \
             reads outdated, ages p50 {} p99 {} max {} ms; {} races",
            t.writes_committed,
            t.local_invalidations_sent,
            t.local_hits,
            t.local_differs,
            t.local_misses,
            t.outdated_reads,
            t.reads_served,
            t.outdated_age.p50_ms,
            t.outdated_age.p99_ms,
            t.outdated_age.max_ms,
            t.stale_set_races
        );
    }
    let (pubsub, ttl_only) = (totals(&runs[0]), totals(&runs[1]));
    for t in [pubsub, ttl_only] {
        assert_eq!(t.stale_set_races, 0);
        assert!(t.local_hits > 100 * t.local_misses / 10);
    }
    assert!(
        pubsub.outdated_age.max_ms <= lag_ms * (1.0 + HDR_ROUNDING),
        "an outdated read {} ms after its commit, beyond the 20 ms lag",
        pubsub.outdated_age.max_ms
    );
    // The window is the lag's, not the shared cache's 1 ms: each write leaves each instance's
    // copy for L, read about 50 times a second there, so ages are about uniform on (0, L].
    assert!(
        pubsub.outdated_age.p99_ms > 0.5 * lag_ms,
        "p99 age {} ms",
        pubsub.outdated_age.p99_ms
    );
    assert_eq!(pubsub.local_invalidations_sent, 4 * pubsub.writes_committed);
    assert_eq!(pubsub.local_invalidations_lost, 0);
    // Without pub/sub, old copies live on, up to the local TTL (plus the 1 ms delete window);
    // reported ages are lower bounds for values more than 3 versions behind, which here means
    // 3 writes of one key within the 2 s (each key is written once a second).
    assert_eq!(ttl_only.local_invalidations_sent, 0);
    let max = ttl_only.outdated_age.max_ms;
    assert!(max > 10.0 * lag_ms, "ttl-only max age {max} ms");
    assert!(
        max <= 2001.0 * (1.0 + HDR_ROUNDING),
        "ttl-only max age {max} ms"
    );
    // Instances disagree with the shared cache far more often when copies live to their TTL.
    assert!(
        ttl_only.local_differs > 10 * pubsub.local_differs,
        "local hits that differ: ttl-only {}, pubsub {}",
        ttl_only.local_differs,
        pubsub.local_differs
    );
}

#[test]
fn pubsub_messages_are_lost_at_their_rate_and_bypassing_writes_publish_none() {
    // Eight instances, 40 writes a second for 50 s, 20% of them bypassing the write path:
    // about 1,600 published writes, each a message to every instance, lost with probability
    // 0.25 independently: the lost share of some 12,800 messages has a binomial standard
    // error of 0.0038; the tolerance is 4 of them.
    let loss = 0.25;
    let mut b = local_world();
    b.duration("50s")
        .set("app.instances", 8)
        .set("writes.rate", 40.0)
        .set("writes.bypass", 0.2)
        .pubsub("20ms", loss);
    let run = b.simulate();
    let t = totals(&run);
    let lost = t.local_invalidations_lost as f64 / t.local_invalidations_sent as f64;
    let tolerance = binomial_tolerance(4.0, loss, t.local_invalidations_sent);
    eprintln!(
        "{} writes, {} deletes, {} messages, {} lost ({lost:.4} ± {tolerance:.4}); outdated \
         ages p99 {} max {} ms",
        t.writes_committed,
        t.invalidations_sent,
        t.local_invalidations_sent,
        t.local_invalidations_lost,
        t.outdated_age.p99_ms,
        t.outdated_age.max_ms
    );
    // A write that bypasses the path neither deletes nor publishes; the others publish one
    // message per instance.
    assert!(t.invalidations_sent < t.writes_committed * 9 / 10);
    assert_eq!(t.local_invalidations_sent, 8 * t.invalidations_sent);
    assert!(t.local_invalidations_sent > 11_000);
    assert!((lost - loss).abs() <= tolerance, "lost share {lost}");
    // A lost message leaves that instance's copy until its 2 s TTL (a write that bypasses
    // the path leaves the shared cache's copy too, for up to its 10 s TTL).
    assert!(
        t.outdated_age.max_ms > 200.0,
        "max age {}",
        t.outdated_age.max_ms
    );
}

#[test]
fn only_hot_keys_are_cached_locally() {
    // Fan-out = keyspace = 10: every request reads every key once, so the reads of the 3 hot
    // keys are exactly 3 per request (the drain lets every request finish). They, and only
    // they, ask the local cache; the 7 others go straight to the shared cache, which also
    // takes the hot keys' local misses. Messages go only to the hot keys' writes: about 3 in
    // 10 of some 2,000 writes (binomial, standard error 0.010; tolerance 4 of them).
    let mut b = ScenarioBuilder::new("hot");
    b.duration("100s")
        .set("drain", true)
        .rps(200.0)
        .set("clients.keyspace", 10)
        .set("clients.fanout", 10)
        .set("app.instances", 2)
        .set("cache.ttl", "2s")
        .db(64, "1ms")
        .writes(20.0, "delete")
        .local_cache("1s")
        .set("local_cache.hot_keys", 3)
        .pubsub("5ms", 0.0);
    let run = b.simulate();
    let t = totals(&run);
    eprintln!(
        "{} requests: {} local hits, {} local misses, {} shared lookups; {} messages for {} writes",
        t.arrived,
        t.local_hits,
        t.local_misses,
        t.cache_hits + t.cache_misses,
        t.local_invalidations_sent,
        t.writes_committed
    );
    assert_eq!(t.completed, t.arrived);
    assert_eq!(t.local_hits + t.local_misses, 3 * t.arrived);
    assert_eq!(
        t.cache_hits + t.cache_misses,
        7 * t.arrived + t.local_misses
    );
    assert!(t.local_hits > t.local_misses);
    let hot_writes = t.local_invalidations_sent as f64 / (2 * t.writes_committed) as f64;
    assert_eq!(t.local_invalidations_sent % 2, 0);
    assert!(
        (hot_writes - 0.3).abs() <= binomial_tolerance(4.0, 0.3, t.writes_committed),
        "{hot_writes} of writes published"
    );
}

#[test]
fn a_disabled_local_cache_is_no_local_cache() {
    // `local_cache.enabled = false` in a strategy must give the run without a [local_cache]
    // table, bit for bit, whatever the base's local cache would have done.
    let with_table = |each: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = existing_keys_only(each);
        b.local_cache("500ms")
            .set("local_cache.capacity", 20)
            .set("local_cache.hot_keys", 100)
            .set(
                "local_cache.latency",
                ScenarioBuilder::dist(&[("dist", "exponential"), ("mean", "10us")]),
            )
            .pubsub("5ms", 0.1);
        b
    };
    let without = existing_keys_only(&|_| {}).simulate_all();
    let disabled = with_table(&|s| {
        s.set("local_cache.enabled", false);
    })
    .simulate_all();
    assert_eq!(without.len(), disabled.len());
    for (i, (a, b)) in without.iter().zip(&disabled).enumerate() {
        assert!(
            a == b,
            "strategy {i}: a disabled local cache differs from none\nwithout: {:?}\ndisabled: \
             {:?}",
            a.summary,
            b.summary
        );
    }
    // The table does something when enabled, so the comparison means something.
    for run in with_table(&|_| {}).simulate_all() {
        let t = totals(&run);
        assert!(t.local_hits > 0 && t.local_invalidations_lost > 0);
        assert!(run != without[0]);
    }
}

/// A valid scenario with absent keys, a local cache and writes, for the bad-input cases to
/// break one field of.
fn with_absent_and_local() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("bad");
    b.duration("2s")
        .rps(100.0)
        .absent_keys(0.1, 50)
        .writes(10.0, "delete")
        .local_cache("1s");
    b
}

/// Each bad input: a name, the scenario, and what the message must name.
fn bad_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let change = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_absent_and_local();
        f(&mut b);
        b
    };
    let pubsub = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_absent_and_local();
        b.pubsub("10ms", 0.0);
        f(&mut b);
        b
    };
    vec![
        (
            "absent-share-negative",
            change(&|b| {
                b.set("clients.absent_share", -0.1);
            }),
            "clients.absent_share",
        ),
        (
            "absent-share-above-1",
            change(&|b| {
                b.set("clients.absent_share", 1.5);
            }),
            "clients.absent_share",
        ),
        (
            "absent-share-nan",
            change(&|b| {
                b.set("clients.absent_share", f64::NAN);
            }),
            "clients.absent_share",
        ),
        (
            "absent-keys-missing",
            change(&|b| {
                b.unset("clients.absent_keys");
            }),
            "clients.absent_keys",
        ),
        (
            "absent-keys-zero",
            change(&|b| {
                b.set("clients.absent_keys", 0);
            }),
            "clients.absent_keys",
        ),
        (
            "absent-keys-beyond-the-key-limit",
            change(&|b| {
                b.set("clients.absent_keys", 20_000_000 - 1000 + 1);
            }),
            "clients.absent_keys",
        ),
        (
            "negative-ttl-zero",
            change(&|b| {
                b.set("mitigations.negative_caching.ttl", "0s");
            }),
            "mitigations.negative_caching.ttl",
        ),
        (
            "negative-ttl-not-a-duration",
            change(&|b| {
                b.set("mitigations.negative_caching.ttl", "soon");
            }),
            "mitigations.negative_caching.ttl",
        ),
        (
            "negative-ttl-missing",
            change(&|b| {
                b.set("mitigations.negative_caching", toml::Table::new());
            }),
            "mitigations.negative_caching.ttl",
        ),
        (
            "negative-caching-without-cache",
            change(&|b| {
                b.unset("writes")
                    .unset("local_cache")
                    .no_cache()
                    .set("mitigations.negative_caching.ttl", "10s");
            }),
            "mitigations.negative_caching",
        ),
        (
            "bloom-rate-zero",
            change(&|b| {
                b.set("mitigations.bloom_filter.false_positive_rate", 0.0);
            }),
            "mitigations.bloom_filter.false_positive_rate",
        ),
        (
            "bloom-rate-one",
            change(&|b| {
                b.set("mitigations.bloom_filter.false_positive_rate", 1.0);
            }),
            "mitigations.bloom_filter.false_positive_rate",
        ),
        (
            "bloom-rate-negative",
            change(&|b| {
                b.set("mitigations.bloom_filter.false_positive_rate", -0.01);
            }),
            "mitigations.bloom_filter.false_positive_rate",
        ),
        (
            "bloom-rate-missing",
            change(&|b| {
                b.set("mitigations.bloom_filter", toml::Table::new());
            }),
            "mitigations.bloom_filter.false_positive_rate",
        ),
        (
            "local-capacity-zero",
            change(&|b| {
                b.set("local_cache.capacity", 0);
            }),
            "local_cache.capacity",
        ),
        (
            "local-ttl-zero",
            change(&|b| {
                b.set("local_cache.ttl", "0s");
            }),
            "local_cache.ttl",
        ),
        (
            "local-latency-bad",
            change(&|b| {
                b.set(
                    "local_cache.latency",
                    ScenarioBuilder::dist(&[("dist", "exponential")]),
                );
            }),
            "local_cache.latency",
        ),
        (
            "hot-keys-beyond-keyspace",
            change(&|b| {
                b.set("local_cache.hot_keys", 1001);
            }),
            "local_cache.hot_keys",
        ),
        (
            "hot-keys-zero",
            change(&|b| {
                b.set("local_cache.hot_keys", 0);
            }),
            "local_cache.hot_keys",
        ),
        (
            "invalidation-unknown",
            change(&|b| {
                b.set("local_cache.invalidation", "gossip");
            }),
            "local_cache.invalidation",
        ),
        (
            "pubsub-without-lag",
            pubsub(&|b| {
                b.unset("local_cache.pubsub_lag");
            }),
            "local_cache.pubsub_lag",
        ),
        (
            "pubsub-loss-above-1",
            pubsub(&|b| {
                b.set("local_cache.pubsub_loss", 1.5);
            }),
            "local_cache.pubsub_loss",
        ),
        (
            "pubsub-loss-negative",
            pubsub(&|b| {
                b.set("local_cache.pubsub_loss", -0.1);
            }),
            "local_cache.pubsub_loss",
        ),
        (
            "local-cache-unknown-field",
            change(&|b| {
                b.set("local_cache.size", 10);
            }),
            "local_cache.size",
        ),
        (
            "local-cache-without-cache",
            change(&|b| {
                b.unset("writes").no_cache();
            }),
            "field `local_cache`:",
        ),
        (
            "strategy-hot-keys",
            change(&|b| {
                b.strategy("s", |s| {
                    s.set("clients.keyspace", 10)
                        .set("local_cache.hot_keys", 11);
                });
            }),
            "strategies[0] (`s`).local_cache.hot_keys",
        ),
    ]
}

#[test]
fn bad_absent_and_local_fields_exit_2_name_the_field_and_write_nothing() {
    super::assert_refused(bad_inputs().into_iter().map(|(n, b, f)| (n, b.toml(), f)));
    // The base they break is valid, with pub/sub too: each case fails for its own field.
    with_absent_and_local().scenario();
    with_absent_and_local().pubsub("10ms", 0.0).scenario();
}

/// Settings that validate but do nothing: a strategy often inherits them from the base.
fn inert_inputs() -> Vec<(&'static str, ScenarioBuilder, &'static str)> {
    let change = |f: &dyn Fn(&mut ScenarioBuilder)| {
        let mut b = with_absent_and_local();
        f(&mut b);
        b
    };
    vec![
        (
            "negative-caching-without-absent-keys",
            change(&|b| {
                b.unset("clients.absent_share")
                    .unset("clients.absent_keys")
                    .set("mitigations.negative_caching.ttl", "10s");
            }),
            "mitigations.negative_caching",
        ),
        (
            "negative-caching-with-absent-share-0",
            change(&|b| {
                b.set("clients.absent_share", 0.0)
                    .set("mitigations.negative_caching.ttl", "10s");
            }),
            "mitigations.negative_caching",
        ),
        (
            "bloom-filter-without-absent-keys",
            change(&|b| {
                b.unset("clients.absent_share")
                    .unset("clients.absent_keys")
                    .set("mitigations.bloom_filter.false_positive_rate", 0.01);
            }),
            "mitigations.bloom_filter",
        ),
        (
            "pubsub-lag-on-ttl-only",
            change(&|b| {
                b.set("local_cache.pubsub_lag", "10ms");
            }),
            "local_cache.pubsub_lag",
        ),
        (
            "pubsub-loss-on-ttl-only",
            change(&|b| {
                b.set("local_cache.pubsub_loss", 0.1);
            }),
            "local_cache.pubsub_loss",
        ),
        (
            "absent-keys-with-absent-share-0",
            change(&|b| {
                b.set("clients.absent_share", 0.0);
            }),
            "clients.absent_keys",
        ),
        (
            "disabled-local-cache-with-settings",
            change(&|b| {
                b.set("local_cache.enabled", false);
            }),
            "local_cache.ttl",
        ),
        (
            "pubsub-without-writes",
            change(&|b| {
                b.unset("writes")
                    .set("local_cache.invalidation", "pubsub")
                    .set("local_cache.pubsub_lag", "10ms");
            }),
            "local_cache.invalidation",
        ),
    ]
}

#[test]
fn inert_absent_key_and_local_cache_settings_are_warnings_naming_the_field() {
    super::assert_inert(inert_inputs());
}
