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
    for file in ["timeseries.csv", "summary.csv", "db_load.png", "run.toml"] {
        let a = read(dirs[0].path(), file);
        assert_eq!(a, read(dirs[1].path(), file), "{file}: two runs differ");
        assert_eq!(
            a,
            read(dirs[2].path(), file),
            "{file}: 1 thread vs 4 differ"
        );
    }
}

#[test]
fn another_seed_gives_other_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_into(a.path(), "2", &["--seed", "1"]);
    run_into(b.path(), "2", &["--seed", "2"]);
    assert_ne!(
        read(a.path(), "timeseries.csv"),
        read(b.path(), "timeseries.csv")
    );
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
