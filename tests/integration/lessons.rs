//! The headline shows the lesson (issue 18, item 7): the terminal table and the Markdown
//! export add the figures of the features a scenario uses, and only those.

use super::builder::ScenarioBuilder;
use super::run_toml;

const LESSONS: [&str; 6] = [
    "outdated reads",
    "outdated age p99 ms",
    "local differs",
    "recovery",
    "attempts/request",
    "failed by kind",
];

/// The table printed and the Markdown written for `toml` (with `args`).
fn outputs(toml: &str, args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("report.md");
    let mut all = vec!["--no-charts", "--export-markdown", md.to_str().unwrap()];
    all.extend_from_slice(args);
    let (assert, _) = run_toml(dir.path(), "lesson", toml, &all);
    let out = String::from_utf8_lossy(&assert.success().get_output().stdout).into_owned();
    (out, std::fs::read_to_string(&md).unwrap())
}

fn header(table: &str) -> &str {
    table
        .lines()
        .find(|l| l.starts_with("strategy") || l.starts_with("| strategy"))
        .expect("a header")
}

#[test]
fn a_plain_read_only_run_shows_none_of_them() {
    let mut b = ScenarioBuilder::new("lesson");
    b.duration("2s");
    let (out, md) = outputs(&b.toml(), &[]);
    for l in LESSONS {
        assert!(!header(&out).contains(l), "{l}: {out}");
        assert!(!header(&md).contains(l), "{l}: {md}");
    }
}

#[test]
fn writes_local_caches_a_disturbance_and_failing_retries_each_add_theirs() {
    let mut b = ScenarioBuilder::new("lesson");
    b.duration("20s")
        .db(2, "2ms")
        .set("clients.timeout", "50ms")
        .set("retries.attempts", 3)
        .writes(50.0, "delete")
        .local_cache("2s")
        .set("local_cache.hot_keys", 10)
        .event("5s", "flush", &[])
        .event("5s", "set_rate", &[("rps", 30_000.0.into())])
        .event("7s", "set_rate", &[("rps", 1000.0.into())]);
    for args in [&[][..], &["--replications", "2"][..]] {
        let (out, md) = outputs(&b.toml(), args);
        for l in LESSONS {
            assert!(header(&out).contains(l), "{l} with {args:?}: {out}");
            assert!(header(&md).contains(l), "{l} with {args:?}: {md}");
        }
        // The verdict and the failures are spelled out in the strategy's row.
        let row = out
            .lines()
            .find(|l| l.starts_with("base"))
            .expect("the base row");
        assert!(row.contains(" s") || row.contains("never"), "{row}");
        assert!(row.contains("timeout"), "{row}");
        assert!(row.contains('%'), "{row}");
    }
}
