//! Outputs for scripts and documents (issue 11, item 6): summary.json, --json, --no-charts,
//! --export-markdown, and an output folder per seed or replication count.

use super::run_toml;

fn small(name: &str) -> String {
    format!(
        r#"
name = "{name}"
seed = 9
duration = "5s"
[clients]
rps = 500
keyspace = 100
[cache]
ttl = "2s"
[db]
slots = 4
service = "2ms"

[[strategies]]
name = "plain"

[[strategies]]
name = "a|b <c> &amp;"
db.slots = 8
"#
    )
}

#[test]
fn summary_json_holds_the_summary_figures_typed() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = run_toml(dir.path(), "small", &small("small"), &["--no-charts"]);
    assert.success();
    let out = dir.path().join("small");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".png")), "{names:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["seed"], 9);
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let plain = &json["strategies"][0];
    assert_eq!(plain["name"], "plain");
    for metric in [
        "requests_arrived",
        "p99_latency_ms",
        "hit_ratio",
        "peak_db_queries_per_s",
    ] {
        let j = header.iter().position(|h| *h == metric).unwrap();
        let want: f64 = row[j].parse().unwrap();
        assert_eq!(plain["figures"][metric].as_f64(), Some(want), "{metric}");
    }
    assert!(plain["figures"]["requests_arrived"].is_u64());
    // No trigger in the timeline: no recovery figure, null rather than a number.
    assert!(plain["figures"]["recovery_s"].is_null());
}

#[test]
fn json_lines_replace_the_table_and_replications_add_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = run_toml(
        dir.path(),
        "small",
        &small("small"),
        &["--json", "--no-charts", "--replications", "3"],
    );
    let stdout = String::from_utf8(assert.success().get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(doc["replications"], 3);
    let ci = &doc["strategies"][1]["intervals"]["p99_latency_ms"];
    assert_eq!(ci["n"], 3);
    assert!(ci["ci95_low"].as_f64().unwrap() <= ci["mean"].as_f64().unwrap());
    // --replications other than the file's: a folder of its own.
    assert!(dir.path().join("small-r3").join("intervals.csv").exists());
    assert!(!dir.path().join("small").exists());
}

#[test]
fn another_seed_writes_beside_the_plain_run_instead_of_over_it() {
    let dir = tempfile::tempdir().unwrap();
    run_toml(dir.path(), "small", &small("small"), &["--no-charts"])
        .0
        .success();
    let plain = std::fs::read(dir.path().join("small/summary.csv")).unwrap();
    run_toml(
        dir.path(),
        "small",
        &small("small"),
        &["--no-charts", "--seed", "10"],
    )
    .0
    .success();
    assert_eq!(
        std::fs::read(dir.path().join("small/summary.csv")).unwrap(),
        plain
    );
    let other = std::fs::read(dir.path().join("small-seed-10/summary.csv")).unwrap();
    assert_ne!(other, plain);
    // The file's own seed given again is the plain run.
    run_toml(
        dir.path(),
        "small",
        &small("small"),
        &["--no-charts", "--seed", "9"],
    )
    .0
    .success();
    assert!(!dir.path().join("small-seed-9").exists());
}

#[test]
fn markdown_export_is_a_table_with_names_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("report.md");
    let (assert, _) = run_toml(
        dir.path(),
        "small",
        &small("small"),
        &["--no-charts", "--export-markdown", md.to_str().unwrap()],
    );
    assert.success();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("## small\n"), "{text}");
    assert!(text.contains("| strategy | hit ratio |"), "{text}");
    assert!(text.contains("| a\\|b &lt;c&gt; &amp;amp; |"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("| ")).count(), 3);
    // A path in a folder that does not exist: refused before running.
    let bad = dir.path().join("nowhere/report.md");
    let (assert, stderr) = run_toml(
        dir.path(),
        "other",
        &small("other"),
        &["--export-markdown", bad.to_str().unwrap()],
    );
    assert.code(2);
    assert!(stderr.contains("--export-markdown"), "{stderr}");
    assert!(!dir.path().join("other").exists());
}
