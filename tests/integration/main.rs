//! The one integration test binary: the real CLI, determinism, and the model against theory.

mod absent_and_local;
mod builder;
mod cli;
mod determinism;
mod freshness;
mod fuzz_corpus;
mod golden;
mod invariants;
mod properties;
mod regressions;
mod robustness;
mod stampede;
mod theory;

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
