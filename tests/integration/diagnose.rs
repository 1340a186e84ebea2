//! `cachestorm diagnose` (issue 22): the base strategy diagnosed over replications, then rerun
//! with each suggested mitigation on the same seeds, and each effect reported with a paired
//! interval; mitigations that cannot apply said so; bad input refused with exit 2.

use serde_json::Value;

use super::{cachestorm, scenario_path};

/// Runs `diagnose --json` on the shipped `file` with `args`; the document it prints.
fn diagnose_json(file: &str, args: &[&str]) -> Value {
    let out = cachestorm()
        .arg("diagnose")
        .arg(scenario_path(file))
        .arg("--json")
        .args(args)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).expect("one JSON document")
}

fn trial<'v>(doc: &'v Value, name: &str) -> &'v Value {
    doc["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["mitigation"] == name)
        .unwrap_or_else(|| panic!("{name} not among the trials: {doc:#}"))
}

#[test]
fn the_herd_is_named_and_coalescing_a_lock_a_lease_and_stale_while_revalidate_are_tried() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let doc = diagnose_json(
        "thundering-herd.toml",
        &["--replications", "3", "--out", out],
    );
    let html =
        std::fs::read_to_string(dir.path().join("thundering-herd-diagnose/report.html")).unwrap();
    assert!(html.contains("<h2 id=\"advice\">Checked advice</h2>"));
    assert!(
        html.contains("<td title=\"SETNX lock"),
        "each mitigation a row"
    );
    assert!(
        html.contains("cachestorm diagnose"),
        "the command that reproduces it"
    );
    assert_eq!(doc["strategy"], "none");
    assert_eq!(doc["replications"], 3);
    assert_eq!(doc["findings"][0]["mode"], "hot-key herd", "{doc:#}");
    assert_eq!(doc["findings"][0]["held_in"], 3);
    let mut helped = 0;
    for name in ["coalescing", "lock", "lease", "stale-while-revalidate"] {
        let t = trial(&doc, name);
        let effects = t["effects"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {t:#}"));
        let names: Vec<&str> = effects
            .iter()
            .map(|e| e["metric"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "herd_max",
                "p99_latency_ms",
                "worst_p99_latency_ms",
                "error_ratio",
                "db_queries_per_s"
            ],
            "the finding's figure first"
        );
        let herd = &effects[0];
        let (low, high) = (
            herd["change"]["low"].as_f64().unwrap(),
            herd["change"]["high"].as_f64().unwrap(),
        );
        assert!(low <= high, "{name}: {herd}");
        // The mitigation's own herd is its mean; the base's less the change.
        let (base, with) = (
            herd["base"]["mean"].as_f64().unwrap(),
            herd["with"]["mean"].as_f64().unwrap(),
        );
        let change = herd["change"]["mean"].as_f64().unwrap();
        assert!(
            (with - base - change).abs() < 1e-9,
            "{name}: paired on the same runs"
        );
        if high < 0.0 {
            assert_eq!(herd["judgement"], "better", "{name}");
            helped += 1;
        }
    }
    assert!(
        helped >= 1,
        "at least one shown to help, its interval below 0: {doc:#}"
    );
}

#[test]
fn an_abandoned_lock_is_fixed_by_a_lock_ttl_and_a_lease_is_said_not_to_apply() {
    let doc = diagnose_json(
        "thundering-herd.toml",
        &["--strategy", "holder-dies-no-ttl", "--replications", "3"],
    );
    assert_eq!(doc["findings"][0]["mode"], "abandoned lock", "{doc:#}");
    let ttl = trial(&doc, "lock-ttl");
    let errors = &ttl["effects"][0];
    assert_eq!(errors["metric"], "error_ratio");
    assert!(errors["change"]["high"].as_f64().unwrap() < 0.0, "{ttl:#}");
    let lease = trial(&doc, "lease");
    assert!(lease.get("effects").is_none());
    let why = lease["not_tried"].as_str().unwrap();
    assert!(why.contains("either a lock or a lease"), "{why}");
    assert!(!why.contains("candidate"), "no generated name leaks: {why}");
}

#[test]
fn the_text_names_the_finding_the_mitigations_and_their_intervals() {
    let out = cachestorm()
        .arg("diagnose")
        .arg(scenario_path("cache-penetration.toml"))
        .args(["--replications", "2"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("cache penetration (in 2 of 2)"), "{text}");
    assert!(
        text.contains("bloom-filter (for cache penetration)"),
        "{text}"
    );
    assert!(text.contains("db_queries_absent"), "{text}");
    assert!(text.contains(" ± "), "{text}");
}

#[test]
fn bad_input_is_refused_with_exit_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let herd = scenario_path("thundering-herd.toml");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (vec![missing.clone().into()], "missing.toml"),
        (
            vec![herd.clone().into(), "--strategy".into(), "nope".into()],
            "--strategy `nope` is not in this file",
        ),
        (
            vec![herd.clone().into(), "--replications".into(), "1".into()],
            "--replications",
        ),
    ];
    for (args, needle) in cases {
        let out = cachestorm().arg("diagnose").args(&args).assert().code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.get_output().stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn the_scenario_warnings_are_said_once_before_anything_runs_as_run_says_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("warned.toml");
    std::fs::write(
        &file,
        r#"name = "warned"
seed = 3
duration = "2s"
bucket = "1s"
[clients]
rps = 500
keyspace = 100
[app]
instances = 1
[cache]
ttl = "1s"
[db]
slots = 2
service = { dist = "exponential", mean = "1ms" }
[local_cache]
enabled = false
ttl = "1s"
[[strategies]]
name = "plain"
"#,
    )
    .unwrap();
    let warnings = |args: &[&str]| -> Vec<String> {
        let out = cachestorm()
            .args(args)
            .arg(&file)
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8(out.stderr)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .map(String::from)
            .collect()
    };
    let run = warnings(&["run", "--out", "out"]);
    assert_eq!(run.len(), 1, "{run:?}");
    assert!(run[0].contains("local_cache.ttl"), "{run:?}");
    // Once, as `run` says it.
    assert_eq!(warnings(&["diagnose", "--replications", "2"]), run);
    // Before anything runs: said even when the runs are then refused (exit 2).
    let refused = cachestorm()
        .args(["diagnose", "--replications", "2", "--max-memory", "1"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.first().copied(), Some(run[0].as_str()), "{stderr}");
    assert!(lines.last().unwrap().starts_with("error:"), "{stderr}");
}
