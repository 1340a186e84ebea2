//! The one integration test binary: the real CLI, determinism, and the model against theory.

mod cli;
mod determinism;
mod fuzz_corpus;
mod golden;
mod invariants;
mod properties;
mod regressions;
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

/// Runs the first strategy of a scenario given as TOML text.
pub fn simulate(toml: &str) -> cachestorm::metrics::RunResult {
    let s =
        cachestorm::scenario::parse(toml, Path::new("test.toml")).expect("test scenario is valid");
    cachestorm::model::simulate(&s.strategies[0].config, s.seed, &|_| {})
}
