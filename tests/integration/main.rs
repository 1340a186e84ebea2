//! The one integration test binary: the real CLI, determinism, and the model against theory.

mod absent_and_local;
mod accounting;
mod baseline_gate;
mod builder;
pub mod check;
mod cli;
mod dependency;
mod dependency_input;
mod determinism;
mod diagnose;
mod exports;
mod fit;
mod freshness;
mod fuzz_corpus;
mod golden;
mod incidents;
mod invariants;
mod lessons;
mod limits;
mod node_input;
mod nodes;
mod overload_input;
mod phase;
mod properties;
mod recovery;
pub mod regressions;
mod replications;
mod report;
mod robustness;
mod stampede;
mod structure;
mod sweep;
mod theory;
mod trace;

use std::path::{Path, PathBuf};

/// Path of a shipped scenario.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// The cachestorm binary built for these tests.
pub fn cachestorm() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("cachestorm").expect("the binary is built with the tests")
}

/// Writes `toml` to `dir/<name>.toml` and runs `cachestorm run` on it with `--out dir` and
/// `args`; returns the finished command and its standard error.
pub fn run_toml(
    dir: &Path,
    name: &str,
    toml: &str,
    args: &[&str],
) -> (assert_cmd::assert::Assert, String) {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, toml).expect("the test folder is writable");
    let assert = cachestorm()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir)
        .args(args)
        .assert();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    (assert, stderr)
}

/// Runs the first strategy of a scenario given as TOML text.
pub fn simulate(toml: &str) -> cachestorm::metrics::RunResult {
    let s =
        cachestorm::scenario::parse(toml, Path::new("test.toml")).expect("test scenario is valid");
    cachestorm::experiment::simulate(&s.strategies[0].config, s.seed, &|_| {})
}

/// Checks that each `(name, scenario file text, field)` case is refused by `validate` and by
/// `run` with exit code 2 and one message naming the file and `field`, with no panic and no
/// output.
pub fn assert_refused<'a>(cases: impl IntoIterator<Item = (&'a str, String, &'a str)>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, needle) in cases {
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        for sub in ["validate", "run"] {
            let out = dir.path().join(format!("out-{name}-{sub}"));
            let mut cmd = cachestorm();
            cmd.arg(sub).arg(&file);
            if sub == "run" {
                cmd.arg("--out").arg(&out);
            }
            let assert = cmd.assert().code(2);
            let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
            assert!(
                stderr.contains(needle),
                "{name} ({sub}): message should name `{needle}`: {stderr}"
            );
            assert!(
                stderr.contains(&format!("{name}.toml")),
                "{name}: message should name the file: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            assert!(!out.exists(), "{name}: run wrote output despite bad input");
        }
    }
}

/// Checks that each `(name, scenario, field)` case validates with a warning naming `field`
/// and saying it does nothing.
pub fn assert_inert(cases: Vec<(&'static str, builder::ScenarioBuilder, &'static str)>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, builder, needle) in cases {
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, builder.toml()).unwrap();
        let assert = cachestorm().arg("validate").arg(&file).assert().success();
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains("warning")
                && stderr.contains(needle)
                && stderr.contains("does nothing"),
            "{name}: a warning should name `{needle}`: {stderr}"
        );
    }
}
