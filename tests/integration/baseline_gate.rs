//! `check --baseline` as a gate on configuration changes (issue 18): a baseline is compared with
//! an edited scenario file strategy by strategy, JUnit is written for every outcome, metric
//! typos get a suggestion, output paths and baselines are refused before anything runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::builder::ScenarioBuilder;
use super::cachestorm;
use super::check::{check_file, Checked};

/// No cache, a database of `slots` slots (1 ms exponential service) at 2,000 requests/s for
/// `good` (4 slots: utilisation 0.5); `worse` always has 3 slots of 1.4 ms, whatever the base.
/// Three replications of 5 s: a few hundred milliseconds in all.
fn scenario(slots: u32, extra: &str) -> String {
    format!(
        r#"
name = "gate"
seed = 11
duration = "5s"
bucket = "1s"
replications = 3
[clients]
rps = 2000
keyspace = 1000
timeout = "1s"
[app]
instances = 1
[cache]
enabled = false
[db]
slots = {slots}
service = {{ dist = "exponential", mean = "1ms" }}

[[strategies]]
name = "good"

[[strategies]]
name = "worse"
db.slots = 3
db.service = {{ dist = "exponential", mean = "1.4ms" }}
{extra}
[[expect]]
strategy = "good"
metric = "error_ratio"
at_most = 0
"#
    )
}

/// Writes `text` to `dir/gate.toml` and runs `cachestorm check` on it from `dir`.
fn check(dir: &Path, text: &str, args: &[&str]) -> Checked {
    check_file(dir, "gate.toml", text, args)
}

/// A folder with baseline `main` saved from `scenario(4, "")`.
fn saved() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = check(dir.path(), &scenario(4, ""), &["--save-baseline", "main"]);
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(dir.path().join("baselines/gate/main.json").is_file());
    dir
}

fn junit(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the JUnit file is written")
}

/// The test cases of a JUnit document: (name, the tag of its outcome or "passed", its
/// message, its properties).
type Case = (String, String, String, Vec<(String, String)>);

fn cases(xml: &str) -> Vec<Case> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed JUnit XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let outcome = n
                .children()
                .find(|c| ["failure", "error", "skipped"].contains(&c.tag_name().name()));
            let properties = n
                .descendants()
                .filter(|p| p.has_tag_name("property"))
                .map(|p| {
                    (
                        p.attribute("name").unwrap_or("").to_string(),
                        p.attribute("value").unwrap_or("").to_string(),
                    )
                })
                .collect();
            (
                n.attribute("name").unwrap_or("").to_string(),
                outcome
                    .map_or("passed", |o| o.tag_name().name())
                    .to_string(),
                outcome
                    .and_then(|o| o.attribute("message"))
                    .unwrap_or("")
                    .to_string(),
                properties,
            )
        })
        .collect()
}

fn suite_properties(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .flat_map(|s| s.children().filter(|c| c.has_tag_name("properties")))
        .flat_map(|p| p.children().filter(|c| c.has_tag_name("property")))
        .map(|p| {
            (
                p.attribute("name").unwrap().to_string(),
                p.attribute("value").unwrap().to_string(),
            )
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

#[test]
fn an_edit_that_worsens_p99_fails_with_value_bound_and_interval() {
    let dir = saved();
    let xml = dir.path().join("check.xml");
    // One database slot fewer for `good` (utilisation 0.5 to 0.67): its p99 latency rises
    // well beyond 10%. `worse` sets its own slots: unchanged.
    let c = check(
        dir.path(),
        &scenario(3, ""),
        &["--baseline", "main", "--junit", xml.to_str().unwrap()],
    );
    assert_eq!(c.code, 3, "{}", c.all());
    assert!(
        c.stdout.contains("note: the scenario file differs"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout
            .contains("FAIL  good p99_latency_ms higher than baseline by at most 10%"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout
            .contains("pass  worse p99_latency_ms higher than baseline by at most 10%"),
        "{}",
        c.stdout
    );
    let cases = cases(&junit(&xml));
    let (_, outcome, message, properties) = cases
        .iter()
        .find(|c| c.0 == "good p99_latency_ms higher than baseline by at most 10%")
        .expect("a test case for good's p99");
    assert_eq!(outcome, "failure");
    // Value, bound and interval, the bound a number other than the value.
    let prop = |name: &str| {
        properties
            .iter()
            .find(|p| p.0 == name)
            .unwrap_or_else(|| panic!("property {name}: {properties:?}"))
            .1
            .clone()
    };
    let value = prop("value");
    let baseline: f64 = prop("baseline_value").parse().unwrap();
    assert!(
        message.starts_with(&format!("p99_latency_ms is {value} ± ")),
        "{message}"
    );
    assert!(message.contains("(95% interval "), "{message}");
    let bound = format!("bound <= 1.1 × baseline = {}", fmt4(1.1 * baseline));
    assert!(message.contains(&bound), "{bound}: {message}");
    assert!(message.contains("paired by replication"), "{message}");
    assert!(value.parse::<f64>().unwrap() > 1.1 * baseline);
    assert!(prop("excess_ci95_low").parse::<f64>().unwrap() > 0.0);
    // `worse` did not change: its every figure passes, with its value.
    for (name, outcome, _, properties) in cases.iter().filter(|c| c.0.starts_with("worse ")) {
        assert_eq!(outcome, "passed", "{name}");
        assert!(properties.iter().any(|p| p.0 == "value"), "{name}");
    }
}

/// `x` as the report writes it: 4 significant figures, no trailing zeros.
fn fmt4(x: f64) -> String {
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[test]
fn an_edit_that_changes_no_result_passes_with_a_note() {
    let dir = saved();
    let xml = dir.path().join("check.xml");
    let commented = format!("# tuned on 2026-12-07\n{}", scenario(4, ""));
    let c = check(
        dir.path(),
        &commented,
        &["--baseline", "main", "--junit", xml.to_str().unwrap()],
    );
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(
        c.stdout.contains(
            "note: the scenario file differs from the one baseline `main` was saved from"
        ),
        "{}",
        c.stdout
    );
    let text = junit(&xml);
    let suite = suite_properties(&text);
    assert!(
        suite.contains(&("baseline".into(), "main".into())),
        "{suite:?}"
    );
    assert!(
        suite.contains(&("baseline_file_changed".into(), "true".into())),
        "{suite:?}"
    );
    assert!(suite.iter().any(|p| p.0 == "note"), "{suite:?}");
    let cases = cases(&text);
    // 1 expectation + 2 strategies × 6 figures.
    assert_eq!(cases.len(), 13);
    for (name, outcome, _, properties) in &cases {
        assert_eq!(outcome, "passed", "{name}");
        assert!(properties.iter().any(|p| p.0 == "value"), "{name}");
    }
    // The very file the baseline was saved from: no note.
    let c = check(dir.path(), &scenario(4, ""), &["--baseline", "main"]);
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(!c.stdout.contains("note:"), "{}", c.stdout);
}

#[test]
fn the_strict_flag_still_refuses_a_changed_file() {
    let dir = saved();
    let xml = dir.path().join("check.xml");
    let commented = format!("# a comment\n{}", scenario(4, ""));
    let c = check(
        dir.path(),
        &commented,
        &[
            "--baseline",
            "main",
            "--strict-baseline",
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(c.code, 2, "{}", c.all());
    assert!(c.stderr.contains("scenario file changed"), "{}", c.stderr);
    assert!(c.stderr.contains("--strict-baseline"), "{}", c.stderr);
    assert!(c.stdout.is_empty(), "refused before running: {}", c.stdout);
    let cases = cases(&junit(&xml));
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].1, "error");
    // Other replications than the baseline's: refused when strict, compared unpaired if not.
    let same = scenario(4, "");
    let strict = [
        "--baseline",
        "main",
        "--strict-baseline",
        "--replications",
        "2",
    ];
    let c = check(dir.path(), &same, &strict);
    assert_eq!(c.code, 2, "{}", c.all());
    let c = check(dir.path(), &same, &strict[..2]);
    assert_eq!(c.code, 0, "{}", c.all());
    let c = check(
        dir.path(),
        &same,
        &["--baseline", "main", "--replications", "2"],
    );
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(c.stdout.contains("compared unpaired"), "{}", c.stdout);
    // The unchanged file passes with the flag.
    let c = check(dir.path(), &same, &strict[..3]);
    assert_eq!(c.code, 0, "{}", c.all());
}

#[test]
fn a_strategy_on_one_side_only_is_reported_not_fatal() {
    let dir = saved();
    let xml = dir.path().join("check.xml");
    let added = scenario(4, "\n[[strategies]]\nname = \"more-slots\"\ndb.slots = 6\n");
    let c = check(
        dir.path(),
        &added,
        &["--baseline", "main", "--junit", xml.to_str().unwrap()],
    );
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(
        c.stdout.contains("skip  more-slots not in baseline"),
        "{}",
        c.stdout
    );
    assert!(c.stdout.contains("13 expectations judged"), "{}", c.stdout);
    assert!(c.stdout.contains("1 skipped"), "{}", c.stdout);
    let cases = cases(&junit(&xml));
    let skipped: Vec<&Case> = cases.iter().filter(|c| c.1 == "skipped").collect();
    assert_eq!(skipped.len(), 1, "{cases:?}");
    assert!(
        skipped[0].2.contains("not in baseline `main`"),
        "{:?}",
        skipped[0]
    );
    // A strategy of the baseline left out of the file.
    let removed = ScenarioBuilder::from_toml(&scenario(4, ""))
        .set("strategies.1.name", "renamed")
        .toml();
    assert_ne!(removed, scenario(4, ""));
    let c = check(dir.path(), &removed, &["--baseline", "main"]);
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(
        c.stdout.contains("skip  renamed not in baseline"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout.contains("skip  worse (baseline) not in this file"),
        "{}",
        c.stdout
    );
    // A figure the baseline lacks (saved by an older version, say): skipped, not fatal.
    let path = dir.path().join("baselines/gate/main.json");
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for s in b["strategies"].as_array_mut().unwrap() {
        s["figures"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f[0] != "hit_ratio");
    }
    std::fs::write(&path, serde_json::to_vec(&b).unwrap()).unwrap();
    let c = check(dir.path(), &scenario(4, ""), &["--baseline", "main"]);
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(
        c.stdout
            .contains("skip  good hit_ratio lower than baseline by at most 10%"),
        "{}",
        c.stdout
    );
}

#[test]
fn a_refused_file_exits_2_with_a_junit_error_case() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("check.xml");
    for (text, field) in [
        (scenario(0, ""), "db.slots"),
        (
            ScenarioBuilder::from_toml(&scenario(4, ""))
                .set("expect.0.metric", "eror_ratio")
                .toml(),
            "expect[0].metric",
        ),
        (
            scenario(4, "\n[check]\nmetrics = [\"p99_latncy_ms\"]\n"),
            "check.metrics[0]",
        ),
    ] {
        let _ = std::fs::remove_file(&xml);
        let c = check(dir.path(), &text, &["--junit", xml.to_str().unwrap()]);
        assert_eq!(c.code, 2, "{field}: {}", c.all());
        assert!(c.stderr.contains(field), "{field}: {}", c.stderr);
        assert!(!c.stderr.contains("panicked"), "{}", c.stderr);
        let text = junit(&xml);
        let cases = cases(&text);
        assert_eq!(cases.len(), 1, "{text}");
        let (name, outcome, message, properties) = &cases[0];
        assert_eq!(outcome, "error");
        assert!(name.contains("gate.toml"), "{name}");
        assert!(
            message.contains("gate.toml") && message.contains(field),
            "{message}"
        );
        assert!(
            properties.contains(&("field".into(), field.into())),
            "{properties:?}"
        );
        assert!(properties
            .iter()
            .any(|p| p.0 == "file" && p.1.ends_with("gate.toml")));
    }
    // Every refused file is an error case of its own.
    let other = dir.path().join("other.toml");
    let negative = ScenarioBuilder::from_toml(&scenario(4, ""))
        .set("clients.rps", -1)
        .toml();
    std::fs::write(&other, negative).unwrap();
    let out = cachestorm()
        .current_dir(dir.path())
        .arg("check")
        .arg(&other)
        .arg("gate.toml")
        .arg("missing.toml")
        .args(["--junit", xml.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other.toml: field `clients.rps`"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.toml"), "{stderr}");
    let errors: Vec<Case> = cases(&junit(&xml));
    let names: Vec<&str> = errors.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(errors.len(), 2, "{names:?}");
    assert!(errors.iter().all(|c| c.1 == "error"), "{names:?}");
    assert!(names[0].ends_with("other.toml") && names[1].ends_with("missing.toml"));
    assert!(errors[0]
        .3
        .contains(&("field".into(), "clients.rps".into())));
    // Typos get a suggestion.
    let typo = ScenarioBuilder::from_toml(&scenario(4, ""))
        .set("expect.0.metric", "eror_ratio")
        .toml();
    let c = check(dir.path(), &typo, &[]);
    assert!(
        c.stderr.contains("(did you mean `error_ratio`?)"),
        "{}",
        c.stderr
    );
    let c = check(
        dir.path(),
        &scenario(4, "\n[check]\nmetrics = [\"p99_latncy_ms\"]\n"),
        &["--baseline", "main"],
    );
    assert!(
        c.stderr.contains("(did you mean `p99_latency_ms`?)"),
        "{}",
        c.stderr
    );
    // So do those of `sweep --find` and `--metric`, which share the lookup.
    for args in [
        ["--find", "p99_latncy_ms < 5"],
        ["--metric", "peak_db_querys_per_s"],
    ] {
        let out = cachestorm()
            .current_dir(dir.path())
            .args(["sweep", "gate.toml", "--set", "db.slots=3,4"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("(did you mean `"), "{args:?}: {stderr}");
    }
    // And a missing baseline is an error case too.
    let c = check(
        dir.path(),
        &scenario(4, ""),
        &["--baseline", "nope", "--junit", xml.to_str().unwrap()],
    );
    assert_eq!(c.code, 2, "{}", c.all());
    assert_eq!(cases(&junit(&xml))[0].1, "error");
}

#[test]
fn a_baseline_with_a_strategy_twice_is_refused() {
    let dir = saved();
    let path = dir.path().join("baselines/gate/main.json");
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let strategies = b["strategies"].as_array_mut().unwrap();
    let mut twice = strategies[0].clone();
    for f in twice["figures"].as_array_mut().unwrap() {
        for v in f[1].as_array_mut().unwrap() {
            *v = serde_json::Value::from("1000");
        }
    }
    strategies.push(twice);
    std::fs::write(&path, serde_json::to_vec(&b).unwrap()).unwrap();
    let c = check(dir.path(), &scenario(4, ""), &["--baseline", "main"]);
    assert_eq!(c.code, 2, "{}", c.all());
    assert!(
        c.stderr.contains("field `strategies[2].name`")
            && c.stderr.contains("`good` appears twice"),
        "{}",
        c.stderr
    );
    assert!(c.stdout.is_empty(), "{}", c.stdout);
}

#[test]
fn unwritable_output_paths_are_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    // An hour at 20,000 requests/s for each of two strategies and three replications: minutes
    // of simulation, so a refusal that comes back at once came before it.
    let slow = ScenarioBuilder::from_toml(&scenario(4, ""))
        .duration("3600s")
        .set("clients.rps", 20000)
        .toml();
    std::fs::create_dir(dir.path().join("a-folder.xml")).unwrap();
    std::fs::write(dir.path().join("plain"), "").unwrap();
    std::fs::write(dir.path().join("gate.toml"), &slow).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--junit", "missing-dir/x.xml"], "--junit"),
        (vec!["--junit", "a-folder.xml"], "--junit"),
        (
            vec!["--save-baseline", "main", "--baselines", "plain/sub"],
            "--save-baseline",
        ),
    ];
    let before = files_in(dir.path());
    for (args, flag) in cases {
        let started = Instant::now();
        let c = check(dir.path(), &slow, &args);
        let took = started.elapsed();
        assert_eq!(c.code, 2, "{args:?}: {}", c.all());
        assert!(c.stderr.contains(flag), "{args:?}: {}", c.stderr);
        assert!(c.stdout.is_empty(), "{args:?}: {}", c.stdout);
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
        assert_eq!(files_in(dir.path()), before, "{args:?} wrote something");
    }
    // A folder nobody may write in, even root: /proc.
    if Path::new("/proc/self").is_dir() {
        for args in [
            vec!["--junit", "/proc/cachestorm-check.xml"],
            vec!["--save-baseline", "main", "--baselines", "/proc/cachestorm"],
        ] {
            let c = check(dir.path(), &slow, &args);
            assert_eq!(c.code, 2, "{args:?}: {}", c.all());
            assert!(c.stderr.contains("not writable"), "{args:?}: {}", c.stderr);
        }
        let out = cachestorm()
            .current_dir(dir.path())
            .args(["run", "gate.toml", "--export-markdown", "/proc/x.md"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--export-markdown"));
    }
    assert_eq!(files_in(dir.path()), before);
}
