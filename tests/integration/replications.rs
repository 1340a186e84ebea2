//! Replications (issue 11): confidence intervals that cover the truth at their nominal rate,
//! common random numbers that make paired comparisons sharper, a warm-up left out of the
//! whole-run figures, and the same bytes whatever the thread count.

use std::path::Path;

use cachestorm::experiment::{run_scenario, run_study};
use cachestorm::metrics::StudyResult;
use cachestorm::report::replications::{figure, intervals, paired, per_replication, summary};
use cachestorm::scenario;
use cachestorm::theory;
use toml::Value;

use super::builder::ScenarioBuilder;
use super::{cachestorm, run_toml, scenario_path};

/// M/M/1 at ρ = 0.5 with 1 ms service, no cache: the database's busy fraction is ρ and its
/// mean wait is ρ/(μ(1-ρ)) = 1 ms (Erlang C with one server).
fn mm1(seed: u64, replications: u32) -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("mm1");
    b.set("seed", seed as i64)
        .duration("21s")
        .set("bucket", "1s")
        .set("warmup", "1s")
        .set("replications", i64::from(replications))
        .rps(500.0)
        .set("clients.keyspace", 1000)
        .set("app.instances", 1)
        .no_cache()
        .set("db.slots", 1)
        .set(
            "db.service",
            ScenarioBuilder::dist(&[("dist", "exponential"), ("mean", "1ms")]),
        );
    b
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn intervals_cover_the_true_mean_at_about_their_nominal_rate() {
    // 100 studies of 5 replications. Each 95% interval covers the true value with probability
    // 0.95 if the method is right: 95 ± 2.2 of 100 (binomial), so 88 to 99 is accepted; an
    // interval built with the normal quantile instead of Student's t (too narrow at 4 degrees
    // of freedom) covers about 88%, one without the √n about 100%.
    let studies = 100;
    let want_wait_ms = theory::mmc_mean_wait(1, 500.0, 1000.0) * 1000.0;
    let (mut busy_covered, mut wait_covered) = (0, 0);
    for k in 0..studies {
        let study = run_study(&mm1(1_000 + k, 5).scenario(), &|_| {});
        let ci = |metric: &str| {
            figure(&study, "base", metric)
                .and_then(|f| f.interval())
                .expect("the figure has numbers")
        };
        busy_covered += ci("db_busy_fraction").contains(0.5) as u32;
        wait_covered += ci("db_wait_mean_ms").contains(want_wait_ms) as u32;
    }
    eprintln!("coverage: busy fraction {busy_covered}/100, mean wait {wait_covered}/100");
    for (what, covered) in [("busy fraction", busy_covered), ("mean wait", wait_covered)] {
        assert!(
            (88..=99).contains(&covered),
            "{what}: {covered} of {studies} intervals cover the true value"
        );
    }
}

#[test]
fn common_random_numbers_make_paired_intervals_narrower() {
    // The shipped avalanche scenario, shortened to its first two expiry waves, 5 replications.
    let text = std::fs::read_to_string(scenario_path("avalanche.toml")).unwrap();
    let settings = [
        ("duration".to_string(), Value::from("150s")),
        ("replications".to_string(), Value::from(5)),
    ];
    let mut s = scenario::parse_with(&text, Path::new("avalanche.toml"), &settings).unwrap();
    s.strategies
        .retain(|st| st.name == "fixed-ttl" || st.name == "xfetch");
    let study = run_study(&s, &|_| {});
    let metric = "peak_db_queries_per_s";
    let a = figure(&study, "xfetch", metric).unwrap();
    let b = figure(&study, "fixed-ttl", metric).unwrap();
    let pairs = paired(&a, &b).unwrap();
    let (ia, ib) = (a.interval().unwrap(), b.interval().unwrap());
    // Welch's interval of the difference of two independent means.
    let unpaired = cachestorm::metrics::interval::t_975(4)
        * (ia.stdev.powi(2) / 5.0 + ib.stdev.powi(2) / 5.0).sqrt();
    eprintln!("paired ±{:.2}, unpaired ±{unpaired:.2}", pairs.half_width);
    assert!(
        pairs.half_width < unpaired / 2.0,
        "paired ±{} vs unpaired ±{unpaired}",
        pairs.half_width
    );
    // The same workload in replication r of both strategies: the same arrivals.
    for run in &study.runs {
        let arrived: Vec<u64> = run
            .strategies
            .iter()
            .map(|st| st.result.summary.totals.arrived)
            .collect();
        assert_eq!(arrived[0], arrived[1]);
    }
    assert_ne!(study.runs[0].seed, study.runs[1].seed);
}

fn outputs(study: &StudyResult) -> [Vec<u8>; 3] {
    [summary(study), per_replication(study), intervals(study)]
}

#[test]
fn replications_are_the_same_bytes_whatever_the_thread_count() {
    let s = mm1(7, 4).scenario();
    let one = in_pool(1, || outputs(&run_study(&s, &|_| {})));
    let three = in_pool(3, || outputs(&run_study(&s, &|_| {})));
    assert_eq!(one, three);
}

#[test]
fn the_first_replication_is_the_plain_run_and_the_others_differ() {
    let s = mm1(7, 3).scenario();
    let study = run_study(&s, &|_| {});
    let plain = run_scenario(&s, &|_| {});
    assert_eq!(
        cachestorm::report::csv::summary(study.first()),
        cachestorm::report::csv::summary(&plain)
    );
    let arrived: Vec<u64> = study
        .runs
        .iter()
        .map(|r| r.strategies[0].result.summary.totals.arrived)
        .collect();
    assert!(
        arrived[0] != arrived[1] && arrived[1] != arrived[2],
        "{arrived:?}"
    );
    // summary.csv holds the mean of the replications' own rows.
    let f = figure(&study, "base", "requests_arrived").unwrap();
    let mean = arrived.iter().sum::<u64>() as f64 / 3.0;
    assert!((f.interval().unwrap().mean - mean).abs() < 1e-9);
    let text = String::from_utf8(summary(&study)).unwrap();
    assert!(text.contains(&format!(",{mean:.3},")), "{text}");
}

#[test]
fn the_warmup_is_left_out_of_the_whole_run_figures() {
    let with = mm1(3, 1).scenario();
    let without = mm1(3, 1).unset("warmup").scenario();
    let a = run_scenario(&with, &|_| {});
    let b = run_scenario(&without, &|_| {});
    let (ra, rb) = (&a.strategies[0].result, &b.strategies[0].result);
    // The same run, bucket by bucket ...
    assert_eq!(ra.buckets.len(), rb.buckets.len());
    assert_eq!(ra.buckets[0].arrived, rb.buckets[0].arrived);
    // ... whose totals leave out the first bucket.
    let after: u64 = rb.buckets[1..].iter().map(|r| r.arrived).sum();
    assert_eq!(ra.summary.totals.arrived, after);
    assert_eq!(rb.summary.totals.arrived, after + rb.buckets[0].arrived);
    assert_eq!(ra.summary.totals.start_s, 1.0);
    assert!((ra.summary.totals.width_s - 20.0).abs() < 1e-9);
    let after_latencies: u64 = rb.buckets[1..].iter().map(|r| r.latency.count).sum();
    assert_eq!(ra.summary.totals.latency.count, after_latencies);
}

#[test]
fn bad_study_settings_are_refused() {
    let cases: [(&str, Value, &str); 7] = [
        ("replications", 0.into(), "replications"),
        ("replications", 10001.into(), "replications"),
        ("replications", "five".into(), "replications"),
        ("warmup", "1500ms".into(), "warmup"),
        ("warmup", "21s".into(), "warmup"),
        ("warmup", 5.into(), "warmup"),
        ("baseline", "nope".into(), "baseline"),
    ];
    super::assert_refused(
        cases
            .into_iter()
            .enumerate()
            .map(|(i, (path, value, field))| {
                let name = format!("study-{i}");
                let text = mm1(3, 1).set(path, value).set("name", name.as_str()).toml();
                (Box::leak(name.into_boxed_str()) as &str, text, field)
            }),
    );
    // A strategy cannot set them: they are shared by all strategies.
    let err = mm1(3, 1)
        .strategy("a", |s| {
            s.set("replications", 3);
        })
        .check()
        .unwrap_err();
    assert!(err.contains("replications"), "{err}");
}

#[test]
fn the_cli_runs_replications_and_writes_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let text = mm1(5, 1)
        .set("baseline", "slow")
        .strategy("fast", |_| {})
        .strategy("slow", |s| {
            s.set(
                "db.service",
                ScenarioBuilder::dist(&[("dist", "exponential"), ("mean", "1.5ms")]),
            );
        })
        .toml();
    let (assert, stderr) = run_toml(dir.path(), "mm1", &text, &["--replications", "4"]);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert.success();
    assert!(
        stdout.contains("4 replications") && stdout.contains('±'),
        "{stdout}{stderr}"
    );
    // --replications other than the file's: a folder of its own.
    let out = dir.path().join("mm1-r4");
    let intervals = std::fs::read_to_string(out.join("intervals.csv")).unwrap();
    let row = intervals
        .lines()
        .find(|l| l.starts_with("fast,db_wait_mean_ms,"))
        .expect("a row for the mean wait");
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[2], "4");
    assert_eq!(cells[7], "slow");
    // Faster service waits less than the baseline: the whole difference interval is below 0.
    let high: f64 = cells[10].parse().unwrap();
    assert!(high < 0.0, "{row}");
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    assert_eq!(reps.lines().count(), 1 + 2 * 4);
    let series = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(series.lines().next().unwrap().ends_with(",replication"));
    // Out of range on the command line: a usage error.
    cachestorm()
        .args(["run", "x.toml", "--replications", "0"])
        .assert()
        .code(2);
}

#[test]
fn the_charts_of_replications_draw_the_mean_with_a_band_and_one_replication_the_plain_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = mm1(5, 1).toml();
    let chart = |folder: &str| {
        std::fs::read_to_string(dir.path().join(folder).join("latency_p99.svg")).unwrap()
    };
    let (assert, stderr) = run_toml(dir.path(), "mm1", &text, &["--format", "svg"]);
    assert.success();
    let plain = chart("mm1");
    assert!(!plain.contains("mean of"), "{stderr}");
    let (assert, stderr) = run_toml(
        dir.path(),
        "mm1",
        &text,
        &["--format", "svg", "--replications", "3"],
    );
    assert.success();
    let means = chart("mm1-r3");
    // The legend's note, wrapped over a few lines of text.
    for words in ["Lines:", "mean of 3", "min to max"] {
        assert!(means.contains(words), "{words}: {stderr}");
    }
    assert!(means.contains("<polygon"), "a band is drawn");
    // `--replications 1` is the plain run, charts included.
    let (assert, _) = run_toml(
        dir.path(),
        "mm1",
        &text,
        &["--format", "svg", "--replications", "1"],
    );
    assert.success();
    assert_eq!(chart("mm1"), plain);
}

#[test]
fn nodes_csv_holds_every_replication_like_the_timeseries() {
    // A node dies halfway: reads go through node faults, so nodes.csv exists.
    let mut b = ScenarioBuilder::new("nodes");
    b.duration("4s")
        .rps(500.0)
        .set("replications", 3)
        .set("cache.nodes", 2)
        .set("cache.timeout", "5ms")
        .event("2s", "kill_node", &[("node", 1.into())]);
    let s = b.scenario();
    let study = run_study(&s, &|_| {});
    let one = String::from_utf8(cachestorm::report::csv::nodes(study.first()).unwrap()).unwrap();
    let all = String::from_utf8(
        cachestorm::report::csv::nodes_replications(&study.runs).expect("node rows"),
    )
    .unwrap();
    let mut lines = all.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{},replication", one.lines().next().unwrap())
    );
    let rows: Vec<&str> = lines.collect();
    // Replication 0 is the plain run's rows, each tagged 0; every replication has as many.
    let first: Vec<String> = one.lines().skip(1).map(|l| format!("{l},0")).collect();
    assert_eq!(rows.len(), 3 * first.len());
    assert_eq!(rows[..first.len()], first[..]);
    for r in 1..3 {
        let tag = format!(",{r}");
        let part = &rows[r * first.len()..(r + 1) * first.len()];
        assert!(part.iter().all(|l| l.ends_with(&tag)), "{part:?}");
        // Other draws: other read counts.
        let untagged: Vec<&str> = part.iter().map(|l| l.strip_suffix(&tag).unwrap()).collect();
        assert_ne!(
            untagged,
            first
                .iter()
                .map(|l| l.strip_suffix(",0").unwrap())
                .collect::<Vec<_>>()
        );
    }
}
