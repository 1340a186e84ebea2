//! Same scenario and seed give the same bytes, whatever the thread count.

use std::fs;
use std::path::Path;

use super::{cachestorm, scenario_path};

fn run_into(out: &Path, threads: &str, extra: &[&str]) {
    cachestorm()
        .env("RAYON_NUM_THREADS", threads)
        .arg("run")
        .arg(scenario_path("avalanche.toml"))
        .args([
            "--strategy",
            "fixed-ttl",
            "--strategy",
            "jittered-ttl",
            "--strategy",
            "xfetch",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn read(out: &Path, file: &str) -> Vec<u8> {
    fs::read(out.join("avalanche").join(file)).unwrap()
}

#[test]
fn same_seed_same_bytes_across_runs_and_thread_counts() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    run_into(dirs[0].path(), "1", &[]);
    run_into(dirs[1].path(), "1", &[]);
    run_into(dirs[2].path(), "4", &[]);
    // Every file: the charts are drawn side by side, and with PNG files report.html's SVG
    // charts beside them.
    let mut files: Vec<String> = fs::read_dir(dirs[0].path().join("avalanche"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(files.len() > 8, "{files:?}");
    for file in &files {
        let a = read(dirs[0].path(), file);
        assert_eq!(a, read(dirs[1].path(), file), "{file}: two runs differ");
        assert_eq!(
            a,
            read(dirs[2].path(), file),
            "{file}: 1 thread vs 4 differ"
        );
    }
}

/// Runs two scenario files with `threads`: the standard output (the folder's name taken out)
/// and every file, by path under the folder.
fn two_files(threads: &str) -> (String, Vec<(String, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small.toml");
    let run = cachestorm()
        .env("RAYON_NUM_THREADS", threads)
        .arg("run")
        .arg(&golden)
        .arg(scenario_path("retry-storm-burst.toml"))
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8(run.get_output().stdout.clone())
        .unwrap()
        .replace(&dir.path().display().to_string(), "OUT");
    let mut files = Vec::new();
    for sub in ["small", "retry-storm-burst"] {
        for e in fs::read_dir(dir.path().join(sub)).unwrap() {
            let path = e.unwrap().path();
            let name = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
            files.push((name, fs::read(&path).unwrap()));
        }
    }
    files.sort();
    (stdout, files)
}

#[test]
fn several_files_give_the_same_bytes_and_printout_whatever_the_threads() {
    // Each file's outputs are made while the next one simulates: nothing may depend on that.
    let (out1, files1) = two_files("1");
    let (out4, files4) = two_files("4");
    assert_eq!(out1, out4);
    assert!(
        out1.find("small").unwrap() < out1.find("retry-storm-burst").unwrap(),
        "printed in file order:\n{out1}"
    );
    assert_eq!(files1.len(), files4.len());
    for ((a, x), (b, y)) in files1.iter().zip(&files4) {
        assert_eq!(a, b);
        assert!(x == y, "{a}: 1 thread vs 4 differ");
    }
}

#[test]
fn another_seed_gives_other_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_into(a.path(), "2", &["--seed", "1"]);
    run_into(b.path(), "2", &["--seed", "2"]);
    // Another seed than the file's writes to a folder of its own.
    let series = |dir: &Path, seed: u32| {
        fs::read(
            dir.join(format!("avalanche-seed-{seed}"))
                .join("timeseries.csv"),
        )
        .unwrap()
    };
    assert_ne!(series(a.path(), 1), series(b.path(), 2));
}

#[test]
fn every_strategy_sees_the_same_arrivals() {
    // Common random numbers: switching jitter on must not move a single arrival.
    let out = tempfile::tempdir().unwrap();
    run_into(out.path(), "2", &[]);
    let text = String::from_utf8(read(out.path(), "timeseries.csv")).unwrap();
    let mut per_strategy: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "requests_arrived")
        .unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        per_strategy
            .entry(rec[0].to_string())
            .or_default()
            .push(rec[col].to_string());
    }
    let series: Vec<&Vec<String>> = per_strategy.values().collect();
    assert_eq!(series.len(), 3);
    assert!(series.iter().all(|s| *s == series[0]));
}

#[test]
fn writes_and_their_draws_are_the_same_bytes_whatever_the_thread_count() {
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (dir, threads) in dirs.iter().zip(["1", "3"]) {
        cachestorm()
            .env("RAYON_NUM_THREADS", threads)
            .arg("run")
            .arg(scenario_path("stale-after-write.toml"))
            .args(["--strategy", "delete", "--strategy", "events-1pct-lost"])
            .args(["--strategy", "delete-lease", "--out"])
            .arg(dir.path())
            .assert()
            .success();
    }
    let read = |d: &tempfile::TempDir, file: &str| {
        fs::read(d.path().join("stale-after-write").join(file)).unwrap()
    };
    for file in ["timeseries.csv", "summary.csv"] {
        assert_eq!(
            read(&dirs[0], file),
            read(&dirs[1], file),
            "{file}: 1 thread vs 3 differ"
        );
    }
    let summary = read(&dirs[0], "summary.csv");
    let mut reader = csv::Reader::from_reader(summary.as_slice());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (writes, lost) = (
        col("writes_committed").unwrap(),
        col("invalidations_lost").unwrap(),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        assert!(r[writes].parse::<u64>().unwrap() > 1000, "{r:?} has writes");
    }
    assert!(rows[1][lost].parse::<u64>().unwrap() > 0, "events are lost");
}

#[test]
fn retries_and_node_faults_are_the_same_bytes_whatever_the_thread_count() {
    // Retry jitter, transient database errors, dropped operations, hot-key replicas and
    // hedging each draw from their own streams: one file with all of them, two thread counts.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.toml");
    fs::write(
        &file,
        r#"
name = "faults"
seed = 3
duration = "20s"
[clients]
rps = 2000
keyspace = 5000
popularity = { dist = "zipf", s = 1.1 }
fanout = 2
timeout = "200ms"
[cache]
nodes = 4
latency = { dist = "exponential", mean = "1ms" }
timeout = "20ms"
failover = "gutter"
node_ops_per_s = 3000
hot_key_replicas = { keys = 20, replicas = 3 }
[db]
slots = 8
service = { dist = "exponential", mean = "4ms" }
error_rate = 0.05
queue_timeout = "300ms"
[retries]
attempts = 3
backoff = "exponential"
base = "50ms"
jitter = "full"
[mitigations]
hedge = { after = "3ms", max_share = 0.1 }
circuit_breaker = { failures = 10 }
[[timeline]]
at = "0s"
action = "preload"
top = 5000
[[timeline]]
at = "5s"
action = "drop_node"
node = 1
share = 0.3
lasting = "5s"
[[timeline]]
at = "12s"
action = "kill_node"
node = 2
[[strategies]]
name = "a"
[[strategies]]
name = "b"
app = { cancel_abandoned = true }
"#,
    )
    .unwrap();
    let outs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (out, threads) in outs.iter().zip(["1", "3"]) {
        cachestorm()
            .env("RAYON_NUM_THREADS", threads)
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(out.path())
            .assert()
            .success();
    }
    for name in ["timeseries.csv", "summary.csv", "nodes.csv", "goodput.png"] {
        let read = |d: &tempfile::TempDir| fs::read(d.path().join("faults").join(name)).unwrap();
        assert_eq!(
            read(&outs[0]),
            read(&outs[1]),
            "{name}: 1 thread vs 3 differ"
        );
    }
    // Something of each happened.
    let summary = fs::read_to_string(outs[0].path().join("faults/summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(summary.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    for col in [
        "retries",
        "db_errors",
        "cache_errors",
        "gutter_hits",
        "hedges",
    ] {
        let i = headers.iter().position(|h| h == col).unwrap();
        assert!(row[i].parse::<u64>().unwrap() > 0, "{col} = {}", &row[i]);
    }
}
