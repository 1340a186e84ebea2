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
