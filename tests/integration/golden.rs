//! Golden files: the exact bytes of one small scenario's CSVs. Results change only on purpose,
//! and this test makes every change visible. After a deliberate change, re-bless with
//! `CACHESTORM_BLESS=1 cargo test --release --test integration golden` and check the diff.

use std::fs;
use std::path::{Path, PathBuf};

use cachestorm::experiment::run_scenario;
use cachestorm::report::csv::{summary, timeseries};

const BLESS: &str = "CACHESTORM_BLESS";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// The first differing lines of two texts, as `-expected` / `+actual` with a little context.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(0);
    let mut out = format!(
        "first difference at line {} ({} lines expected, {} actual)\n",
        first + 1,
        e.len(),
        a.len()
    );
    for line in &e[first.saturating_sub(2)..first.min(e.len())] {
        out += &format!("  {line}\n");
    }
    let shown = first..(first + 5);
    for i in shown.clone() {
        if let Some(line) = e.get(i) {
            out += &format!("- {line}\n");
        }
    }
    for i in shown {
        if let Some(line) = a.get(i) {
            out += &format!("+ {line}\n");
        }
    }
    out
}

#[test]
fn golden_small_scenario_csvs_are_byte_identical() {
    let dir = golden_dir();
    let file = dir.join("small.toml");
    let scenario = cachestorm::scenario::load(&file).unwrap();
    let result = run_scenario(&scenario, &|_| {});
    let bless = std::env::var_os(BLESS).is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (name, actual) in [
        ("timeseries.csv", timeseries(&result)),
        ("summary.csv", summary(&result)),
    ] {
        let path = dir.join("small").join(name);
        if bless {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = fs::read(&path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n{}",
                path.display(),
                diff(
                    &String::from_utf8_lossy(&expected),
                    &String::from_utf8_lossy(&actual)
                )
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden CSVs differ:\n{}\nIf the change of results is intended, re-bless with\n  \
         {BLESS}=1 cargo test --release --test integration golden\nand say in the commit what moved and why.",
        failures.join("\n")
    );
}
