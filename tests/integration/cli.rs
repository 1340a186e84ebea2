//! The command line as a user types it: outputs, exit codes and error messages.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use super::builder::ScenarioBuilder;
use super::{cachestorm, scenario_path};

const GOOD: &str = r#"
name = "tiny"
seed = 7
duration = "20s"
[clients]
rps = 500
keyspace = 200
timeout = "1s"
[cache]
ttl = "5s"
[db]
slots = 2
service = "2ms"
[[timeline]]
at = "10s"
action = "flush"
[[strategies]]
name = "a"
[[strategies]]
name = "b"
cache.ttl_jitter = 0.5
"#;

/// A builder starting from `GOOD`, to break or change it by name.
fn good() -> ScenarioBuilder {
    ScenarioBuilder::from_toml(GOOD)
}

/// Files every `run` writes.
const DOCUMENTED: [&str; 10] = [
    "timeseries.csv",
    "summary.csv",
    "report.html",
    "latency_p99.png",
    "db_load.png",
    "hit_ratio.png",
    "errors.png",
    "latency_p99_by_strategy.png",
    "db_load_by_strategy.png",
    "run.toml",
];

#[test]
fn every_shipped_scenario_runs_and_writes_every_documented_file() {
    let out = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for entry in fs::read_dir(scenario_path("")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // scenarios/incidents/: tests/integration/incidents.rs
        }
        let text = fs::read_to_string(&path).unwrap();
        let scenario = cachestorm::scenario::parse(&text, &path).unwrap();
        let assert = cachestorm()
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(out.path())
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let dir = out.path().join(&scenario.name);
        for s in &scenario.strategies {
            assert!(
                stdout.contains(&s.name),
                "{}: table lacks {}",
                scenario.name,
                s.name
            );
        }
        for f in DOCUMENTED {
            let bytes =
                fs::read(dir.join(f)).unwrap_or_else(|_| panic!("{}: {f} missing", scenario.name));
            assert!(bytes.len() > 100, "{f} is suspiciously small");
        }
        let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
        assert_eq!(
            summary.lines().count(),
            1 + scenario.strategies.len(),
            "header + one row per strategy"
        );
        let files: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            files.iter().all(|n| !n.starts_with('.')),
            "temporary files left: {files:?}"
        );
        names.push(scenario.name);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "avalanche",
            "cache-node-failure",
            "cache-penetration",
            "capacity-flush",
            "cold-deploy",
            "congestive-collapse",
            "fanout",
            "hot-key-node",
            "local-cache-inconsistency",
            "metastable-retry-storm",
            "retry-storm-burst",
            "slow-cache",
            "stale-after-write",
            "thundering-herd",
            "trace-replay"
        ]
    );
}

#[test]
fn fanout_prints_the_analytic_answer_and_checks_its_arguments() {
    let assert = cachestorm()
        .args(["fanout", "--deps", "5", "--hit-rate", "0.5"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("3.125%"), "0.5^5: {stdout}");
    assert!(stdout.contains("97.915%"), "0.9^(1/5): {stdout}");
    for bad in [
        vec!["fanout"],
        vec!["fanout", "--deps", "0"],
        vec!["fanout", "--hit-rate", "1.5"],
        vec!["fanout", "--deps", "3", "--target", "0"],
    ] {
        let assert = cachestorm().args(&bad).assert().code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            !stderr.contains("panicked") && !stderr.is_empty(),
            "{bad:?}: {stderr}"
        );
    }
}

#[test]
fn fanout_with_a_scenario_compares_simulation_with_h_to_the_k() {
    let out = tempfile::tempdir().unwrap();
    cachestorm()
        .args(["fanout", "--scenario"])
        .arg(scenario_path("fanout.toml"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let dir = out.path().join("fanout");
    for f in [
        "fanout.csv",
        "fanout_all_hit.png",
        "fanout_latency.png",
        "summary.csv",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let text = fs::read_to_string(dir.join("fanout.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let h = reader.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut p99 = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let sim: f64 = rec[col("all_hit_simulated")].parse().unwrap();
        let analytic: f64 = rec[col("all_hit_analytic")].parse().unwrap();
        assert!(
            (sim - analytic).abs() < 0.01,
            "{}: simulated {sim} vs h^k {analytic}",
            &rec[0]
        );
        p99.push(rec[col("p99_latency_ms")].parse::<f64>().unwrap());
    }
    assert_eq!(p99.len(), 5);
    assert!(
        p99.windows(2).all(|w| w[1] > w[0]),
        "p99 grows with k: {p99:?}"
    );
}

#[test]
fn avalanche_shows_periodic_spikes_for_fixed_ttl_and_not_with_jitter() {
    let out = tempfile::tempdir().unwrap();
    cachestorm()
        .args(["run", "--out"])
        .arg(out.path())
        .arg(scenario_path("avalanche.toml"))
        .assert()
        .success();
    let text = fs::read_to_string(out.path().join("avalanche/timeseries.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (qps, p99, errors) = (
        col("db_queries_per_s"),
        col("p99_latency_ms"),
        col("errors_total"),
    );
    let mut by_strategy: std::collections::BTreeMap<String, Vec<(f64, f64, f64)>> =
        Default::default();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let num = |c: usize| rec[c].parse::<f64>().unwrap();
        by_strategy
            .entry(rec[0].to_string())
            .or_default()
            .push((num(qps), num(p99), num(errors)));
    }
    let summary = fs::read_to_string(out.path().join("avalanche/summary.csv")).unwrap();
    let capacity: f64 = {
        let mut r = csv::Reader::from_reader(summary.as_bytes());
        let c = r
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "db_capacity_qps")
            .unwrap();
        r.records().next().unwrap().unwrap()[c].parse().unwrap()
    };
    // A spike: a run of buckets whose database load is above half the capacity.
    let spikes = |rows: &[(f64, f64, f64)]| {
        rows.windows(2)
            .filter(|w| w[0].0 <= 0.5 * capacity && w[1].0 > 0.5 * capacity)
            .count()
    };
    let fixed = &by_strategy["fixed-ttl"];
    let jittered = &by_strategy["jittered-ttl"];
    // Fixed TTL: one spike per TTL period (60 s over a 600 s run, the first at 60 s).
    assert!(spikes(fixed) >= 8, "fixed-ttl spikes: {}", spikes(fixed));
    assert!(
        fixed.iter().map(|r| r.1).fold(0.0, f64::max) > 500.0,
        "fixed-ttl p99 should reach the timeout"
    );
    assert!(fixed.iter().map(|r| r.2).sum::<f64>() > 1000.0);
    // Jitter: refills spread out, load stays under half the capacity and nothing fails.
    assert_eq!(spikes(jittered), 0);
    assert!(jittered.iter().map(|r| r.1).fold(0.0, f64::max) < 50.0);
    assert_eq!(jittered.iter().map(|r| r.2).sum::<f64>(), 0.0);
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let mut cmd = cachestorm();
    cmd.arg("validate");
    for entry in fs::read_dir(scenario_path("")).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            cmd.arg(path);
        }
    }
    cmd.assert().success();
}

#[test]
fn strategy_filter_and_svg_format() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("tiny.toml");
    fs::write(&file, GOOD).unwrap();
    cachestorm()
        .args(["run", "--strategy", "b", "--format", "svg", "--out"])
        .arg(out.path())
        .arg(&file)
        .assert()
        .success();
    let summary = fs::read_to_string(out.path().join("tiny/summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 2);
    assert!(summary.lines().nth(1).unwrap().starts_with("b,"));
    let svg = fs::read_to_string(out.path().join("tiny/latency_p99.svg")).unwrap();
    assert!(svg.contains("<svg"));

    let assert = cachestorm()
        .args(["run", "--strategy", "nope", "--out"])
        .arg(out.path())
        .arg(&file)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("nope") && stderr.contains("a, b"),
        "{stderr}"
    );
}

/// Each broken input: how to break the good file, and what the message must name.
fn broken_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "malformed",
            "name = \"x\"\nseed = [".to_string(),
            "malformed TOML",
        ),
        (
            "unknown-field",
            good().set("db.slotz", 3).toml(),
            "db.slotz",
        ),
        (
            "negative-rate",
            good().set("clients.rps", -5).toml(),
            "clients.rps",
        ),
        ("zero-slots", good().set("db.slots", 0).toml(), "db.slots"),
        (
            "probability-above-1",
            good().set("cache.ttl_jitter", 1.5).toml(),
            "cache.ttl_jitter",
        ),
        (
            "bucket-too-long",
            good().set("bucket", "30s").toml(),
            "bucket",
        ),
        (
            "keyspace-zero",
            good().set("clients.keyspace", 0).toml(),
            "clients.keyspace",
        ),
        (
            "fanout-too-large",
            good()
                .set("clients.keyspace", 3)
                .set("clients.fanout", 4)
                .toml(),
            "clients.fanout",
        ),
        (
            "bad-duration",
            good().duration("20 parsecs").toml(),
            "duration",
        ),
        (
            "strategy-override",
            good()
                .unset("strategies.1.cache")
                .set("strategies.1.db.slots", -1)
                .toml(),
            "strategies[1] (`b`).db.slots",
        ),
        (
            "timeline-after-end",
            good().set("timeline.0.at", "30s").toml(),
            "timeline[0].at",
        ),
    ]
}

#[test]
fn broken_files_exit_2_name_the_field_and_write_nothing() {
    super::assert_refused(broken_cases());
}

#[test]
fn missing_file_exits_2_and_a_good_file_is_not_run_when_another_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tiny.toml");
    fs::write(&good, GOOD).unwrap();
    let out = dir.path().join("out");
    let assert = cachestorm()
        .arg("run")
        .arg(&good)
        .arg(dir.path().join("does-not-exist.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("does-not-exist.toml"), "{stderr}");
    assert!(
        !out.exists(),
        "nothing may be written when any input is bad"
    );
}

#[test]
fn help_explains_itself_with_examples() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
    ] {
        let assert = cachestorm().args(&args).assert().success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(stdout.contains("Example"), "{args:?}: {stdout}");
        if args[0] == "run" {
            let stems = DOCUMENTED.map(|f| f.trim_end_matches(".png"));
            let missing: Vec<&str> = stems.into_iter().filter(|f| !stdout.contains(f)).collect();
            assert!(missing.is_empty(), "run --help lacks {missing:?}");
        }
    }
}

#[test]
fn an_unstable_run_is_bounded_and_reported() {
    // The database gets twice what it can serve, with no queue limit, no queue timeout and no
    // client timeout: queues would grow for ever. The in-flight cap must bound them and say so.
    let text = good()
        .unset("clients.timeout")
        .set("clients.rps", 2000)
        .unset("cache.ttl")
        .set("cache.enabled", false)
        .set("limits.max_in_flight", 2000)
        .toml();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unstable.toml");
    fs::write(&file, text).unwrap();
    let assert = cachestorm()
        .args(["run", "--strategy", "a", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    // The message names the strategy, the limit, the component holding the backlog and when.
    assert!(
        stderr.contains("max_in_flight")
            && stderr.contains("`a`")
            && stderr.contains("database queue held")
            && stderr.contains("stopped at 2.0"),
        "{stderr}"
    );
    let summary = fs::read_to_string(dir.path().join("tiny/summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(summary.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let field = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(field("truncated"), "1");
    // 2,000 requests/s against 1,000/s of capacity: 2,000 in flight after about 2 s. What was
    // measured until then is kept, every arrival accounted for.
    let arrived: u64 = field("requests_arrived").parse().unwrap();
    let unfinished: u64 = field("requests_unfinished").parse().unwrap();
    assert!(
        unfinished == 2000 && arrived > 3000,
        "{arrived} {unfinished}"
    );
    assert_eq!(field("errors_overload"), "0");
    let timeseries = fs::read_to_string(dir.path().join("tiny/timeseries.csv")).unwrap();
    assert_eq!(timeseries.lines().count(), 1 + 3, "{timeseries}");
}

/// Writes `GOOD` into `dir` under another scenario name, its first strategy named `strategy_a`
/// (the name itself: the builder writes it as TOML).
fn scenario_file(dir: &Path, name: &str, strategy_a: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.toml"));
    let text = good()
        .set("name", name)
        .set("strategies.0.name", strategy_a)
        .toml();
    fs::write(&file, text).unwrap();
    file
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cachestorm"))
}

#[test]
fn a_closed_stdout_stops_the_printing_not_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        scenario_file(dir.path(), "one", "a"),
        scenario_file(dir.path(), "two", "a"),
    );
    let mut child = bin()
        .arg("run")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is printed
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for name in ["one", "two"] {
        assert!(dir
            .path()
            .join("out")
            .join(name)
            .join("summary.csv")
            .exists());
    }
}

#[test]
fn a_full_stdout_is_an_error_after_the_outputs_are_written() {
    let Ok(full) = fs::File::create("/dev/full") else {
        return; // not Linux
    };
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "a");
    let output = bin()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("standard output") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(dir.path().join("one/summary.csv").exists());
}

#[test]
fn a_name_with_control_characters_is_refused_without_reaching_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "red\u{1b}[31m");
    for sub in ["validate", "run"] {
        let mut cmd = cachestorm();
        cmd.arg(sub).arg(&file);
        if sub == "run" {
            cmd.arg("--out").arg(dir.path().join("out"));
        }
        let assert = cmd.assert().code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains("strategies[0].name"), "{stderr}");
        assert!(
            stderr.contains("red\\u{1b}[31m") && !stderr.contains('\u{1b}'),
            "{stderr:?}"
        );
    }
    // A value typed on the command line is cut and escaped too.
    let good = scenario_file(dir.path(), "two", "a");
    let wanted = format!("\u{1b}[2J{}", "x".repeat(10_000));
    let assert = cachestorm()
        .args(["run", "--strategy", &wanted, "--out"])
        .arg(dir.path().join("out"))
        .arg(&good)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        !stderr.contains('\u{1b}') && stderr.len() < 400,
        "{stderr:?}"
    );
}

#[test]
fn formula_and_markup_names_are_defused_in_csv_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "=1+2 <b>&\"'");
    let assert = cachestorm()
        .args(["run", "--format", "svg", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("=1+2 <b>&\"'"),
        "the terminal shows the name as typed: {stdout}"
    );
    let summary = fs::read_to_string(dir.path().join("one/summary.csv")).unwrap();
    assert!(
        summary.lines().nth(1).unwrap().starts_with("\"'=1+2"),
        "{summary}"
    );
    let timeseries = fs::read_to_string(dir.path().join("one/timeseries.csv")).unwrap();
    assert!(timeseries.lines().nth(1).unwrap().starts_with("\"'=1+2"));
    for entry in fs::read_dir(dir.path().join("one")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let text = fs::read_to_string(&path).unwrap();
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn a_busy_output_folder_fails_at_once_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "a");
    let held = cachestorm::report::write::OutputDir::prepare(dir.path(), "one").unwrap();
    let assert = cachestorm()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("another cachestorm run") && stderr.contains("one"),
        "{stderr}"
    );
    drop(held);
    cachestorm()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
}

#[test]
fn each_run_replaces_the_folder_whole_and_records_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "a");
    let run = |extra: &[&str]| {
        cachestorm()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(dir.path())
            .args(extra)
            .assert()
            .success();
    };
    run(&[]);
    run(&["--format", "svg"]);
    let out = dir.path().join("one");
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".png")), "{names:?}");
    let manifest: toml::Table = fs::read_to_string(out.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let scenario = cachestorm::scenario::load(&file).unwrap();
    assert_eq!(manifest["seed"].as_integer(), Some(scenario.seed as i64));
    assert_eq!(manifest["format"].as_str(), Some("svg"));
    assert_eq!(
        manifest["cachestorm_version"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        manifest["scenario_sha256"].as_str(),
        Some(scenario.source_sha256.as_str())
    );
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len() + 1, names.len(), "every other file is listed");
    // Nothing but the folder and its lock file beside it.
    let beside: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(beside, [".one.lock"]);
}

#[test]
fn a_users_file_in_the_folder_or_an_unwritable_out_fails_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "one", "a");
    fs::create_dir(dir.path().join("one")).unwrap();
    fs::write(dir.path().join("one/notes.txt"), "mine").unwrap();
    let assert = cachestorm()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(
        fs::read_to_string(dir.path().join("one/notes.txt")).unwrap(),
        "mine"
    );

    let not_a_folder = dir.path().join("plain-file");
    fs::write(&not_a_folder, "x").unwrap();
    let assert = cachestorm()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&not_a_folder)
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("plain-file"), "{stderr}");
}
