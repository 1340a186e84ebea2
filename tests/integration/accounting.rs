//! Request accounting as users read it (issue 18): every request that arrived is completed,
//! failed or unfinished in `summary.csv` and `replications.csv`, with and without a warm-up,
//! on the files that once panicked; and the whole-run figures of a warm-up count the requests
//! that arrived after it, wherever they ended.

use std::collections::HashMap;
use std::path::Path;

use super::builder::ScenarioBuilder;
use super::regressions::{congestive_collapse_at_a_million_rps, NODE_LOSS};
use super::run_toml;

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("the CSV exists");
    let header = r.headers().expect("a header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("a row");
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {} is a number", row[column]))
}

/// Checks the identity and the error ratio's range in every row of `file`; returns the rows.
fn check_identity(file: &Path) -> Vec<HashMap<String, String>> {
    let rows = rows(file);
    assert!(!rows.is_empty());
    for row in &rows {
        let arrived = num(row, "requests_arrived");
        let ended = num(row, "requests_completed")
            + num(row, "errors_total")
            + num(row, "requests_unfinished");
        assert_eq!(arrived, ended, "{}: {row:?}", file.display());
        let ratio = num(row, "error_ratio");
        assert!((0.0..=1.0).contains(&ratio), "error_ratio {ratio}");
    }
    rows
}

#[test]
fn the_files_that_panicked_run_and_account_for_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let node_loss = || ScenarioBuilder::from_toml(NODE_LOSS);
    let collapse = congestive_collapse_at_a_million_rps;
    let cases = [
        ("node-loss", node_loss()),
        // Past the 300 s preload TTL, and a warm-up ending before the run diverges.
        ("node-loss-warm", node_loss().set("warmup", "120s").clone()),
        ("collapse", collapse()),
        ("collapse-warm", collapse().set("warmup", "30s").clone()),
    ];
    for (name, mut b) in cases {
        // Each under its own name.
        b.set("name", name);
        let (assert, stderr) = run_toml(dir.path(), name, &b.toml(), &["--no-charts"]);
        assert.code(0);
        assert!(stderr.contains("diverged"), "{name}: {stderr}");
        check_identity(&dir.path().join(name).join("summary.csv"));
    }
}

/// A database that cannot keep up during a warm-up: requests that arrived in it end after it.
const SLOW_START: &str = r#"
name = "slow-start"
seed = 3
duration = "20s"
warmup = "5s"
bucket = "1s"
[clients]
rps = 300
keyspace = 1000
timeout = "2s"
[cache]
enabled = false
[db]
slots = 1
service = "2ms"
[retries]
attempts = 2
on = ["timeout"]
[[timeline]]
at = "0s"
action = "set_rate"
rps = 600
[[timeline]]
at = "5s"
action = "set_rate"
rps = 300
"#;

#[test]
fn a_warm_up_counts_the_requests_that_arrived_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = run_toml(
        dir.path(),
        "slow-start",
        SLOW_START,
        &["--no-charts", "--replications", "3"],
    );
    assert.code(0);
    let out = dir.path().join("slow-start-r3");
    let summary = check_identity(&out.join("replications.csv"));
    check_identity(&out.join("summary.csv"));
    let series = rows(&out.join("timeseries.csv"));
    for (r, row) in summary.iter().enumerate() {
        let buckets: Vec<_> = series
            .iter()
            .filter(|b| num(b, "replication") == r as f64)
            .collect();
        let after = |col: &str| -> f64 {
            buckets
                .iter()
                .filter(|b| num(b, "bucket_start_s") >= 5.0)
                .map(|b| num(b, col))
                .sum()
        };
        // Arrivals are counted where they arrive: the buckets after the warm-up.
        assert_eq!(num(row, "requests_arrived"), after("requests_arrived"));
        // Completions there include requests of the warm-up's backlog, which the whole-run
        // figures leave out: strictly fewer here, since the backlog drains after 5 s.
        assert!(
            num(row, "requests_completed") < after("requests_completed"),
            "replication {r}: {} vs {}",
            num(row, "requests_completed"),
            after("requests_completed")
        );
    }
}
