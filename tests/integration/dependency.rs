//! Dependency failures against what can be worked out by hand: attempts per request under
//! transient errors, the retry budget's cap, a degrading database's throughput curve, the
//! retry storm's threshold and its fixes, load shedding and cancelled work.

use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::theory;
use toml::Value;

use super::builder::ScenarioBuilder;

fn totals(run: &RunResult) -> &BucketRow {
    &run.summary.totals
}

/// No cache, one key per request, a database with room to spare whose reads fail with a
/// transient error with probability `p`; clients retry those errors up to `attempts` times.
fn flaky_db(p: f64, attempts: i64) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("flaky");
    b.no_cache()
        .duration("20s")
        .db(64, "1ms")
        .set("db.error_rate", p)
        .set("retries.attempts", attempts)
        .set("retries.on", Value::Array(vec!["db_error".into()]));
    b
}

#[test]
fn attempts_per_request_match_the_closed_form_under_transient_errors() {
    // 20,000 requests. Attempts per request take values 1..=n; their standard deviation is at
    // most 1.2 for these settings, so the mean's standard error is under 0.009 and the
    // tolerance 0.04 is more than 4 of them. The share of requests failing every attempt,
    // p^n, is binomial: standard error under 0.0035, tolerance 0.015.
    for (p, n) in [(0.2, 3), (0.5, 3), (0.5, 6)] {
        let run = flaky_db(p, n).simulate();
        let t = totals(&run);
        let want = theory::retry_attempts_per_request(p, n as u32);
        let got = t.retry_amplification();
        let failed = t.errors_db_error as f64 / t.arrived as f64;
        eprintln!(
            "p={p} n={n}: attempts/request {got:.4} vs {want:.4}; failed {failed:.4} vs {:.4}",
            p.powi(n as i32)
        );
        assert!(
            (got - want).abs() < 0.04,
            "p = {p}, n = {n}: {got:.4} attempts per request, closed form {want:.4}"
        );
        assert!(
            (failed - p.powi(n as i32)).abs() < 0.015,
            "p = {p}, n = {n}: {failed:.4} of requests failed every attempt, want p^n"
        );
        assert_eq!(
            t.retries,
            t.attempts - t.arrived,
            "every attempt after the first"
        );
        assert_eq!(
            t.errors() + t.completed + t.unfinished,
            t.arrived,
            "every request accounted once"
        );
        assert!(
            t.db_errors >= t.errors_db_error,
            "a failed request saw its errors"
        );
    }
}

#[test]
fn a_retry_budget_caps_retries_at_its_share_of_successes() {
    // A retry costs 5 tokens, a success refunds 1, the bucket holds 20: over the run retries
    // are at most (20 + successes) / 5. Half the queries fail, so without the budget a request
    // would retry about once on average: the budget binds, and retries sit at the cap.
    let mut b = flaky_db(0.5, 10);
    b.set("retries.budget.capacity", 20.0)
        .set("retries.budget.cost", 5.0)
        .set("retries.budget.refund", 1.0);
    let run = b.simulate();
    let t = totals(&run);
    let cap = (20.0 + t.completed as f64) / 5.0;
    eprintln!(
        "retries {} of cap {cap:.0}; refused {}; completed {}",
        t.retries, t.retries_refused, t.completed
    );
    assert!(t.retries as f64 <= cap, "{} retries > cap {cap}", t.retries);
    assert!(
        t.retries as f64 >= 0.97 * cap,
        "{} retries: the budget should be spent as it refills (cap {cap})",
        t.retries
    );
    assert!(t.retries_refused > 1000, "refusals: {}", t.retries_refused);
    // Without the budget, far more retries.
    let free = flaky_db(0.5, 10).simulate();
    assert!(totals(&free).retries as f64 > 3.0 * cap);
}

/// A database of `slots` slots whose 10 ms queries slow down past 8 in service by 25% of
/// their time per extra query, offered `rps` reads with no cache.
fn degrading_db(slots: i64, rps: f64) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("degrading");
    b.no_cache()
        .duration("20s")
        .rps(rps)
        .db(slots, "10ms")
        .set("db.queue_limit", 200)
        .set("db.degradation.knee", 8)
        .set("db.degradation.per_query", 0.25);
    b
}

#[test]
fn a_saturated_degrading_database_follows_its_throughput_curve() {
    // Saturated (3,000 requests per second offered, far above any point of the curve), every
    // slot is always busy, so the database completes n / (10 ms × (1 + 0.25 (n − 8))) queries a
    // second: 800, 533 and 480 for 8, 16 and 24 slots. Service times are constant, so the only
    // error is the start and end of the run: under 1%.
    let mut last = f64::INFINITY;
    for slots in [8, 16, 24] {
        let run = degrading_db(slots, 3000.0).simulate();
        let got = totals(&run).db_completed as f64 / 20.0;
        let want = theory::degraded_throughput(slots as u32, 0.010, 8, 0.25);
        eprintln!("{slots} slots: {got:.1} queries/s vs {want:.1}");
        assert!(
            (got / want - 1.0).abs() < 0.01,
            "{slots} slots: {got:.1} queries/s, curve {want:.1}"
        );
        assert!(got < last, "more concurrency, less throughput");
        last = got;
    }
    // Offered less than it can take, it serves what it is offered.
    let light = degrading_db(24, 200.0).simulate();
    let t = totals(&light);
    assert_eq!(t.errors(), 0);
    assert!((t.db_completed as f64 / 20.0 / 200.0 - 1.0).abs() < 0.03);
    // The reported capacity is the curve's peak, at the knee.
    let s = degrading_db(24, 200.0).scenario();
    assert!((s.strategies[0].config.db_capacity_qps() - 800.0).abs() < 1e-6);
}

/// The retry-storm model of `scenarios/metastable-retry-storm.toml` (a 1,000 queries/s
/// database behind a cache with a 50% hit ratio, 3 attempts, 1 s timeout, 3 s queue) at `rps`,
/// tipped over at 20 s by a flush and 10 s of 2,500 requests per second.
fn retry_storm(rps: f64) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("storm");
    b.duration("90s")
        .rps(rps)
        .set("clients.keyspace", 20_000)
        .set("clients.timeout", "1s")
        .set("cache.nodes", 1)
        .set("cache.capacity", 10_000)
        .set("cache.ttl", "1h")
        .set("cache.latency", "1ms")
        .db(10, "10ms")
        .set(
            "db.service",
            Value::Table(ScenarioBuilder::dist(&[
                ("dist", "exponential"),
                ("mean", "10ms"),
            ])),
        )
        .set("db.queue_limit", 3000)
        .set("retries.attempts", 3)
        .event("0s", "preload", &[("top", 10_000.into())])
        .event("20s", "flush", &[])
        .event("20s", "set_rate", &[("rps", 2500.0.into())])
        .event("30s", "set_rate", &[("rps", rps.into())]);
    b
}

#[test]
fn the_retry_storm_holds_above_its_threshold_and_passes_below() {
    // Threshold: 1,000 / (3 attempts × 0.5 miss ratio) = 667 requests per second.
    let threshold = theory::retry_storm_threshold(1000.0, 3, 0.5);
    for (factor, stays_down) in [(1.35, true), (0.75, false)] {
        let rps = (threshold * factor).round();
        let run = retry_storm(rps).simulate();
        let verdict = run
            .summary
            .recovery
            .expect("a trigger and a level before it");
        let recovery = verdict.recovery_s;
        assert_eq!(verdict.metastable, stays_down, "{rps}/s: {verdict:?}");
        let last: Vec<&BucketRow> = run.buckets.iter().rev().take(20).collect();
        let goodput = last.iter().map(|b| b.goodput()).sum::<f64>() / last.len() as f64;
        eprintln!("{rps} requests/s: recovery {recovery} s, goodput at the end {goodput:.0}");
        if stays_down {
            assert!(
                recovery.is_infinite(),
                "{rps}/s recovered after {recovery} s"
            );
            assert!(goodput < 0.8 * rps, "{rps}/s: goodput {goodput:.0}");
        } else {
            assert!(recovery < 20.0, "{rps}/s took {recovery} s to recover");
            assert!(goodput > 0.95 * rps, "{rps}/s: goodput {goodput:.0}");
        }
    }
}

#[test]
fn in_the_shipped_retry_storm_naive_retries_stay_down_and_every_fix_recovers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/metastable-retry-storm.toml"
    );
    let s = cachestorm::scenario::load(std::path::Path::new(path)).expect("valid");
    for st in &s.strategies {
        let run = cachestorm::experiment::simulate(&st.config, s.seed, &|_| {});
        let recovery = run
            .summary
            .recovery
            .expect("a flush to recover from")
            .recovery_s;
        eprintln!("{}: recovery {recovery} s", st.name);
        match st.name.as_str() {
            "naive-retries" | "short-backoff" => {
                assert!(recovery.is_infinite(), "{} recovered", st.name)
            }
            _ => assert!(recovery < 120.0, "{} did not recover", st.name),
        }
    }
}

#[test]
fn lifo_with_shedding_answers_quickly_where_fifo_answers_late() {
    // One instance of 4 workers, each request holding its worker for a 10 ms query: the app
    // serves 400 requests per second and is offered 600. FIFO serves requests that waited
    // nearly the whole 1 s timeout, most of which time out during their query (answered too
    // late); LIFO with shedding serves the newest and sheds what waited past 50 ms.
    let build = |lifo: bool| {
        let mut b = ScenarioBuilder::new("shed");
        b.no_cache()
            .rps(600.0)
            .db(64, "10ms")
            .set("clients.timeout", "1s")
            .set("app.workers", 4);
        if lifo {
            b.set("app.queue", "lifo")
                .set("app.shedding.target", "50ms")
                .set("app.shedding.interval", "500ms");
        }
        b.simulate()
    };
    let (fifo, lifo) = (build(false), build(true));
    let (f, l) = (totals(&fifo), totals(&lifo));
    eprintln!(
        "fifo: goodput {:.0}/s p99 {:.0} ms; lifo: goodput {:.0}/s p99 {:.0} ms, shed {}",
        f.goodput(),
        f.latency.p99_ms,
        l.goodput(),
        l.latency.p99_ms,
        l.errors_shed
    );
    assert!(l.goodput() > 0.95 * 400.0, "LIFO goodput {}", l.goodput());
    assert!(f.goodput() < 0.5 * 400.0, "FIFO goodput {}", f.goodput());
    assert!(f.attempts_late > 1000, "FIFO works for clients that left");
    assert!(f.latency.p99_ms > 500.0, "FIFO p99 {}", f.latency.p99_ms);
    assert!(l.latency.p99_ms < 80.0, "LIFO p99 {}", l.latency.p99_ms);
    assert!(l.errors_shed > 1000 && f.errors_shed == 0);
}

#[test]
fn cancelling_abandoned_queries_clears_a_backlog_at_once() {
    // A database of one 10 ms slot (100 queries/s) gets 300 requests a second for 2 s, then 50:
    // a backlog of about 400 queries whose clients (200 ms timeout) are all gone. Served
    // anyway, it keeps the next arrivals waiting past their timeout for seconds; cancelled,
    // it vanishes as the slot reaches it, and arrivals after the burst are answered.
    let build = |cancel: bool| {
        let mut b = ScenarioBuilder::new("cancel");
        b.no_cache()
            .rps(300.0)
            .db(1, "10ms")
            .set("clients.timeout", "200ms")
            .set("app.cancel_abandoned", cancel)
            .event("2s", "set_rate", &[("rps", 50.0.into())]);
        b.simulate()
    };
    let after_burst = |run: &RunResult| -> f64 {
        let rows = &run.buckets[3..8];
        rows.iter().map(|b| b.goodput()).sum::<f64>() / rows.len() as f64
    };
    let (kept, cancelled) = (build(false), build(true));
    let (k, c) = (totals(&kept), totals(&cancelled));
    eprintln!(
        "kept: goodput after {:.1}/s, late {}; cancelled: goodput after {:.1}/s, late {}, cancelled {}",
        after_burst(&kept),
        k.attempts_late,
        after_burst(&cancelled),
        c.attempts_late,
        c.queries_cancelled
    );
    assert_eq!(k.queries_cancelled, 0);
    assert!(
        c.queries_cancelled > 300,
        "cancelled {}",
        c.queries_cancelled
    );
    assert!(after_burst(&kept) < 0.5 * 50.0);
    assert!(after_burst(&cancelled) > 0.9 * 50.0);
    assert!(c.attempts_late < k.attempts_late / 4);
}

#[test]
fn a_failed_optional_key_degrades_the_answer_instead_of_failing_it() {
    // Four keys per request, the last optional, each read failing with probability 0.2 (no
    // cache, no retries): a request fails when one of its 3 required keys fails,
    // 1 − 0.8³ = 0.488, and is answered degraded when only the optional one fails,
    // 0.8³ × 0.2 = 0.1024. 20,000 requests: binomial standard errors under 0.0036; tolerance
    // 0.015.
    let mut b = ScenarioBuilder::new("optional");
    b.no_cache()
        .duration("20s")
        .set("clients.fanout", 4)
        .set("clients.optional_keys", 1)
        .db(64, "1ms")
        .set("db.error_rate", 0.2);
    let run = b.simulate();
    let t = totals(&run);
    let n = t.arrived as f64;
    let (failed, degraded) = (t.errors() as f64 / n, t.requests_degraded as f64 / n);
    eprintln!("failed {failed:.4} (0.488), degraded {degraded:.4} (0.1024)");
    assert!((failed - 0.488).abs() < 0.015, "failed {failed}");
    assert!((degraded - 0.1024).abs() < 0.015, "degraded {degraded}");
    assert!(t.requests_degraded <= t.completed);
    // Without optional keys, those requests fail too.
    b.set("clients.optional_keys", 0);
    let strict = b.simulate();
    let f = totals(&strict).errors() as f64 / totals(&strict).arrived as f64;
    assert!((f - (1.0 - 0.8f64.powi(4))).abs() < 0.015, "strict {f}");
    assert_eq!(totals(&strict).requests_degraded, 0);
}

#[test]
fn app_retries_resend_failed_queries_within_the_request() {
    // The app retries a read's failed query (transient errors, p = 0.5) up to 3 times in all:
    // queries per read (1 − p³)/(1 − p) = 1.75, requests failing p³ = 0.125, and the client
    // makes one attempt per request. 20,000 requests: standard errors under 0.006 and 0.0024.
    let mut b = flaky_db(0.5, 3);
    b.set("retries.by", "app");
    let run = b.simulate();
    let t = totals(&run);
    let per_read = t.db_completed as f64 / t.arrived as f64;
    let failed = t.errors_db_error as f64 / t.arrived as f64;
    eprintln!("queries per read {per_read:.4} (1.75), failed {failed:.4} (0.125)");
    assert!((per_read - 1.75).abs() < 0.03, "{per_read}");
    assert!((failed - 0.125).abs() < 0.012, "{failed}");
    assert_eq!(t.retries, 0, "the client does not retry");
    assert_eq!(t.attempts, t.arrived);
    // Every query after a read's first is a retry (but for the few still in flight at the end).
    let extra = t.db_completed as i64 - t.arrived as i64;
    assert!(
        (t.db_retries as i64 - extra).abs() <= 10,
        "{} vs {extra}",
        t.db_retries
    );
}

#[test]
fn the_worst_bucket_shows_the_burst_the_whole_run_averages_away() {
    // 500 requests a second for 10 s against a database of 1,000 queries a second, and one
    // second at 2,000: that second (and only it) asks for more than the capacity.
    let mut b = ScenarioBuilder::new("burst");
    b.no_cache()
        .rps(500.0)
        .db(1, "1ms")
        .set("clients.timeout", "100ms")
        .event("5s", "set_rate", &[("rps", 2000.0.into())])
        .event("6s", "set_rate", &[("rps", 500.0.into())]);
    let run = b.simulate();
    let (t, w) = (totals(&run), run.summary.worst);
    eprintln!(
        "p99 {} worst {}; errors {:.4} worst {:.4}; above capacity {} s",
        t.latency.p99_ms,
        w.p99_ms,
        t.errors() as f64 / t.arrived as f64,
        w.error_ratio,
        w.time_above_capacity_s
    );
    assert_eq!(w.time_above_capacity_s, 1.0);
    assert!(
        w.p99_ms > 90.0,
        "the burst's queue reaches the timeout: {}",
        w.p99_ms
    );
    assert!(w.error_ratio > 2.0 * t.errors() as f64 / t.arrived as f64);
    assert!(
        w.error_ratio <= 1.0,
        "a share of the requests that ended: {}",
        w.error_ratio
    );
    let quiet = run.buckets[2].latency.p99_ms;
    assert!(
        w.p99_ms > 20.0 * quiet,
        "worst {} vs a quiet second {quiet}",
        w.p99_ms
    );
}
