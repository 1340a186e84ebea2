//! Files that validate must run to the end with honest numbers (issue 7): every arrival is
//! accounted for, a drain lets the backlog finish, and sampling keys always terminates.

use cachestorm::metrics::RunResult;

use super::builder::ScenarioBuilder;
use super::{cachestorm, run_toml, simulate};

/// One database slot of 2 ms (500 queries/s) under 1,000 requests/s for 10 s, no cache: the
/// backlog grows all run long.
fn overloaded() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("overloaded");
    b.no_cache().db(1, "2ms");
    b
}

fn assert_accounted(res: &RunResult) {
    let t = &res.summary.totals;
    assert_eq!(t.arrived, t.completed + t.errors() + t.unfinished);
    let rows: u64 = res.buckets.iter().map(|b| b.unfinished).sum();
    assert_eq!(rows, t.unfinished);
    // Only the last bucket holds unfinished requests.
    let last = res.buckets.last().unwrap();
    assert_eq!(last.unfinished, t.unfinished);
}

#[test]
fn requests_in_flight_at_the_end_are_counted_as_unfinished() {
    let res = overloaded().simulate();
    let t = &res.summary.totals;
    assert_accounted(&res);
    // Half the arrivals are still queued at 10 s: the database serves 500 of 1,000 per second.
    assert!(
        (4_700..=5_300).contains(&t.unfinished),
        "unfinished {}",
        t.unfinished
    );
    assert_eq!(res.summary.drained_s, 0.0);
    assert_eq!(res.buckets.len(), 10);
}

#[test]
fn a_drain_lets_every_request_finish_and_latency_covers_them_all() {
    let cut = overloaded().simulate();
    let res = overloaded().set("drain", true).simulate();
    let t = &res.summary.totals;
    assert_accounted(&res);
    assert_eq!(t.unfinished, 0);
    assert_eq!(t.completed, t.arrived);
    // Same arrivals as without the drain: none after `duration`.
    assert_eq!(t.arrived, cut.summary.totals.arrived);
    // The backlog of ~5,000 queries at 500/s takes ~10 s to clear; the last request waited
    // about that long, and p99 with it (4.9 s without the drain).
    assert!(
        (9.0..11.0).contains(&res.summary.drained_s),
        "{}",
        res.summary.drained_s
    );
    assert!(t.latency.p99_ms > 9_000.0, "p99 {}", t.latency.p99_ms);
    assert!(cut.summary.totals.latency.p99_ms < 5_500.0);
    // Buckets go on past `duration`, with no arrivals.
    assert!(res.buckets.len() >= 19);
    assert!(res.buckets[10..].iter().all(|b| b.arrived == 0));
    let width: f64 = res.buckets.iter().map(|b| b.width_s).sum();
    assert!((width - 10.0 - res.summary.drained_s).abs() < 1e-6);
}

#[test]
fn a_drain_stops_at_its_bound() {
    let res = overloaded().set("drain", "2s").simulate();
    assert_accounted(&res);
    assert!(res.summary.totals.unfinished > 3_000);
    assert!((res.summary.drained_s - 2.0).abs() < 1e-9);
    assert_eq!(res.buckets.len(), 12);
}

#[test]
fn the_cli_warns_about_unfinished_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, stderr) = run_toml(dir.path(), "overloaded", &overloaded().toml(), &[]);
    assert.success();
    assert!(
        stderr.contains("unfinished") && stderr.contains("drain"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(dir.path().join("overloaded/summary.csv")).unwrap();
    assert!(summary
        .lines()
        .next()
        .unwrap()
        .contains("requests_unfinished"));
}

#[test]
fn a_drain_must_be_a_flag_or_a_duration() {
    for value in [toml::Value::from("fast"), 3.into(), "0s".into()] {
        let err = overloaded()
            .set("drain", value.clone())
            .check()
            .unwrap_err();
        assert!(err.contains("field `drain`"), "{value}: {err}");
    }
}

#[test]
fn steep_popularity_with_a_fanout_near_the_keyspace_finishes() {
    // Looped for ever choosing distinct keys before issue 7.
    for (keyspace, fanout) in [(12, 12), (100_000, 20)] {
        let res = simulate(&format!(
            r#"
name = "steep"
seed = 3
duration = "1s"
[clients]
rps = 200
keyspace = {keyspace}
popularity = {{ dist = "zipf", s = 10 }}
fanout = {fanout}
[db]
slots = 4
service = "1ms"
"#
        ));
        assert!(res.summary.totals.arrived > 100);
        assert_accounted(&res);
    }
}

#[test]
fn a_database_that_answers_in_no_time_is_refused() {
    let uniform: toml::Table =
        toml::from_str("dist = \"uniform\"\nmin = \"0s\"\nmax = \"0s\"").unwrap();
    for service in [toml::Value::from("0s"), uniform.into()] {
        let err = overloaded().set("db.service", service).check().unwrap_err();
        assert!(err.contains("db.service"), "{err}");
    }
}

#[test]
fn settings_that_do_nothing_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("noop.toml");
    let text = r#"
name = "noop"
seed = 1
duration = "2s"
[clients]
rps = 10
keyspace = 10
[cache]
ttl_jitter = 0.2
[db]
slots = 1
service = "1ms"
[[timeline]]
at = "0s"
action = "preload"
[[timeline]]
at = "1s"
action = "kill_lock_holder"
[[strategies]]
name = "cached"
[[strategies]]
name = "no-cache"
cache.enabled = false
[[strategies]]
name = "no-cache-jittered"
cache.enabled = false
cache.ttl_jitter = 0.1
[[strategies]]
name = "locked"
mitigations.lock.ttl = "1s"
"#;
    std::fs::write(&file, text).unwrap();
    let out = cachestorm().arg("validate").arg(&file).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    // `no-cache` switches the cache off and nothing else: the [cache] fields it inherits do
    // nothing, as it says itself, so they are not warned about. `no-cache-jittered` sets a
    // field of the cache it switched off: that is warned about.
    assert!(
        stderr.contains("field `cache.ttl_jitter` (strategy `no-cache-jittered`)"),
        "{stderr}"
    );
    assert!(stderr.contains(
        "field `timeline[0]` (strategies `no-cache`, `no-cache-jittered`): `preload` does nothing"
    ));
    assert!(stderr
        .contains("field `timeline[1]` (strategies `cached`, `no-cache`, `no-cache-jittered`)"));
    assert!(!stderr.contains("`locked`"));
}

#[test]
fn small_multiples_are_left_out_for_too_many_strategies() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "name = \"many\"\nseed = 1\nduration = \"1s\"\n[clients]\nrps = 10\nkeyspace = 10\n\
         [db]\nslots = 1\nservice = \"1ms\"\n",
    );
    for i in 0..=cachestorm::report::charts::MAX_PANELS {
        text.push_str(&format!("[[strategies]]\nname = \"s{i}\"\n"));
    }
    let (assert, stderr) = run_toml(dir.path(), "many", &text, &[]);
    assert.success();
    assert!(stderr.contains("small-multiple charts"), "{stderr}");
    assert!(dir.path().join("many/latency_p99.png").exists());
    assert!(!dir.path().join("many/latency_p99_by_strategy.png").exists());
    assert!(!dir.path().join("many/db_load_by_strategy.png").exists());
}

/// A scenario of `strategies` strategies (differing in TTL) over `keyspace` Zipf keys, with
/// few requests and an in-flight cap of 1,000.
fn wide(keyspace: u32, strategies: usize) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("wide");
    b.set("seed", 5)
        .duration("2s")
        .rps(300.0)
        .set("clients.keyspace", keyspace as i64)
        .zipf(0.9)
        .db(4, "1ms")
        .set("limits.max_in_flight", 1000);
    for i in 0..strategies {
        b.strategy(&format!("s{i}"), |s| {
            s.set("cache.ttl", format!("{}s", i + 1));
        });
    }
    b
}

#[test]
fn a_run_that_cannot_fit_the_memory_budget_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let toml = wide(2_000_000, 2).toml();
    let (assert, stderr) = run_toml(dir.path(), "wide", &toml, &["--max-memory", "50MB"]);
    assert.code(2);
    assert!(
        stderr.contains("--max-memory") && stderr.contains("clients.keyspace 2000000"),
        "{stderr}"
    );
    assert!(!dir.path().join("wide").exists());
}

#[test]
fn threads_are_bounded_by_the_memory_budget_without_changing_a_byte() {
    let text = wide(2_000_000, 4).toml();
    let mut s = cachestorm::scenario::parse(&text, std::path::Path::new("wide.toml")).unwrap();
    let one = cachestorm::experiment::plan(&mut s, u64::MAX, 1).unwrap();
    let four = cachestorm::experiment::plan(&mut s, u64::MAX, 4).unwrap();
    assert_eq!((one.threads, four.threads), (1, 4));
    // A budget between the needs of two and three strategies at once allows two.
    let two = cachestorm::experiment::plan(&mut s, 8, 8)
        .map(|_| ())
        .unwrap_err();
    assert!(two.contains("--max-memory"));
    let per_strategy = (four.memory_bytes - one.memory_bytes) / 3;
    let budget = one.memory_bytes + per_strategy + per_strategy / 2;
    assert_eq!(
        cachestorm::experiment::plan(&mut s, budget, 8)
            .unwrap()
            .threads,
        2
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.toml");
    std::fs::write(&file, &text).unwrap();
    let mut outputs = Vec::new();
    for (name, budget) in [("roomy", "64GB"), ("tight", &format!("{budget}B")[..])] {
        let out = dir.path().join(name);
        let assert = cachestorm()
            .env("RAYON_NUM_THREADS", "8")
            .arg("run")
            .arg(&file)
            .args(["--max-memory", budget, "--out"])
            .arg(&out)
            .assert()
            .success();
        if name == "tight" {
            let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
            assert!(stderr.contains("2 strategies at a time"), "{stderr}");
        }
        outputs.push(std::fs::read(out.join("wide/timeseries.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn the_default_in_flight_cap_bounds_the_memory_of_large_fanouts() {
    use cachestorm::model::footprint;
    for fanout in [1u32, 20, 100, 1000] {
        let text = wide(100_000, 1)
            .set("clients.fanout", fanout as i64)
            .unset("limits.max_in_flight")
            .toml();
        let s = cachestorm::scenario::parse(&text, std::path::Path::new("w.toml")).unwrap();
        let config = &s.strategies[0].config;
        let in_flight = config.limits.max_in_flight as u64 * footprint::bytes_per_request(fanout);
        assert!(in_flight <= 1 << 30, "fan-out {fanout}: {in_flight} bytes");
        assert!(cachestorm::experiment::footprint(config).in_flight >= in_flight);
        if fanout == 1 {
            assert_eq!(config.limits.max_in_flight, 1_000_000);
        } else {
            assert!(config.limits.max_in_flight < 1_000_000);
        }
    }
}

#[test]
fn progress_moves_with_events_and_adds_up_to_the_duration() {
    use std::sync::Mutex;
    // 100,000 requests/s for 5 s answered by the cache: two events each.
    let text = overloaded()
        .duration("5s")
        .rps(100_000.0)
        .unset("cache.enabled")
        .set("cache.ttl", "1h")
        .toml();
    let s = cachestorm::scenario::parse(&text, std::path::Path::new("p.toml")).unwrap();
    let seen = Mutex::new(Vec::new());
    cachestorm::experiment::simulate(&s.strategies[0].config, 1, &|p| {
        seen.lock().unwrap().push(p)
    });
    let seen = seen.into_inner().unwrap();
    // Hundreds of thousands of events: many reports, not one per bucket.
    assert!(seen.len() > 10, "{} reports", seen.len());
    let simulated: f64 = seen.iter().map(|p| p.simulated_s).sum();
    assert!((simulated - 5.0).abs() < 1e-6, "{simulated}");
    assert!(seen.iter().map(|p| p.events).sum::<u64>() > 900_000);
}

#[test]
fn background_queries_piling_up_in_the_database_stop_the_run() {
    // Stale-while-revalidate answers every read from the cache while each stale read starts a
    // background refresh the database (100 queries/s) cannot serve: no request waits, so the
    // in-flight cap never trips, but the database queue grows without bound.
    let res = simulate(
        r#"
name = "swr"
seed = 2
duration = "4s"
[clients]
rps = 400000
keyspace = 300000
[app]
instances = 8
[cache]
ttl = "100ms"
[db]
slots = 1
service = "10ms"
[mitigations]
stale_while_revalidate.max_stale = "1h"
[limits]
max_in_flight = 1000
[[timeline]]
at = "0s"
action = "preload"
"#,
    );
    let t = res.summary.truncation.as_ref().expect("the run diverged");
    assert!(t.reason.contains("database queue"), "{}", t.reason);
    assert!(t.at_s > 2.0 && t.at_s < 4.0, "{}", t.at_s);
    assert_accounted(&res);
    // Rows end with the bucket of the stop.
    let end: f64 = res.buckets.iter().map(|b| b.width_s).sum();
    assert!(end <= t.at_s + 1.0 && end > t.at_s, "{end}");
}

#[test]
fn a_small_budget_lowers_the_default_in_flight_cap_instead_of_refusing() {
    let dir = tempfile::tempdir().unwrap();
    let toml = wide(1_000, 2).unset("limits.max_in_flight").toml();
    let (assert, stderr) = run_toml(dir.path(), "wide", &toml, &["--max-memory", "300MB"]);
    assert.success();
    assert!(
        stderr.contains("limits.max_in_flight lowered from its default 1000000"),
        "{stderr}"
    );
    let small = std::fs::read(dir.path().join("wide/timeseries.csv")).unwrap();
    let (assert, stderr) = run_toml(dir.path(), "wide", &toml, &[]);
    assert.success();
    assert!(!stderr.contains("lowered"), "{stderr}");
    // The cap is never reached here, so the results are the same.
    assert_eq!(
        small,
        std::fs::read(dir.path().join("wide/timeseries.csv")).unwrap()
    );
}

#[test]
fn deploy_waves_after_the_end_and_deploys_without_a_cache_are_warned_about_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let toml = r#"
name = "late"
seed = 1
duration = "10s"
[clients]
rps = 100
keyspace = 100
[app]
instances = 4
[cache]
enabled = false
[db]
slots = 8
service = "2ms"
[[timeline]]
at = "8s"
action = "deploy"
waves = 4
wave_interval = "1s"
"#;
    let (assert, stderr) = run_toml(dir.path(), "late", toml, &[]);
    assert.success();
    assert!(
        stderr.contains("2 of the deploy's 4 waves fall at or after `duration`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`deploy` does nothing to the cache"),
        "{stderr}"
    );
}

#[test]
fn the_peak_rate_ignores_a_short_last_bucket() {
    // A drain of 1 ms after an overloaded run: the last bucket is 1 ms long and holds a
    // completion or so, which as a rate would be twice the capacity.
    let res = overloaded().set("drain", "1ms").simulate();
    let last = res.buckets.last().unwrap();
    assert!(last.width_s < 0.01 && last.db_qps() > 500.0, "{last:?}");
    assert!(
        res.summary.peak_db_qps <= 501.0,
        "{}",
        res.summary.peak_db_qps
    );
}

#[test]
fn help_and_version_to_a_full_stdout_fail() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    for args in [&["--help"][..], &["--version"], &["run", "--help"]] {
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("cachestorm"))
            .args(args)
            .stdout(full.try_clone().unwrap())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn sigterm_removes_the_temporary_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    // An hour at 100,000 requests/s: minutes of work, stopped after a moment.
    let long = overloaded()
        .duration("1h")
        .rps(100_000.0)
        .unset("cache.enabled")
        .set("cache.ttl", "1h")
        .toml();
    std::fs::write(&file, long).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cachestorm"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let partial = dir.path().join(".overloaded.partial");
    let started = std::time::Instant::now();
    while !partial.exists() && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(partial.exists(), "the run prepared its folder");
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(!partial.exists(), "temporary folder left behind");
    assert!(!dir.path().join("overloaded").exists());
}

#[test]
fn a_bucket_that_could_overflow_its_latency_counts_is_refused() {
    // 2 million requests/s for an hour: 7.2 billion requests in one bucket is too many, in
    // buckets of 10 minutes (1.2 billion) they fit.
    let wide = || {
        let mut b = overloaded();
        b.set("clients.rps", 2_000_000)
            .set("duration", "1h")
            .set("bucket", "1h");
        b
    };
    let err = wide().check().unwrap_err();
    assert!(err.contains("bucket") && err.contains("narrower"), "{err}");
    let mut fits = wide();
    fits.set("bucket", "10m");
    assert!(fits.check().is_ok());
}
