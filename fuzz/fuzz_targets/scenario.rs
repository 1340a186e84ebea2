//! Fuzz target: scenario text -> reader and validator -> a short run of every strategy.
//!
//! Any input may be refused with an error, but none may panic, hang or break an invariant of the
//! results (`tests/integration/invariants.rs`, shared with the property tests). Each strategy's
//! configuration is first shrunk by [`bounded_for_fuzzing`] so one input runs in milliseconds;
//! a file that sets the study's keys also has its study run and reported (`study.rs`);
//! `tests/integration/fuzz_corpus.rs` replays the committed corpus the same way in `cargo test`.
//! Commands: see "Fuzzing" in README.md.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

mod bounded;
use bounded::bounded_for_fuzzing;
mod study;

#[path = "../../tests/integration/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = cachestorm::scenario::parse(text, Path::new("fuzz.toml")) else {
        return;
    };
    for strategy in &scenario.strategies {
        let mut config = strategy.config.clone();
        bounded_for_fuzzing(&mut config);
        let result = cachestorm::experiment::simulate(&config, scenario.seed, &|_| {});
        invariants::check_run(&config, &result);
    }
    study::exercise_study(&scenario);
});
