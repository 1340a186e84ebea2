//! Replays the fuzzer's committed corpus (`fuzz/corpus/scenario/`) the way the fuzz target does,
//! so `cargo test` guards what the fuzzer covered without needing cargo-fuzz: every input is
//! parsed and, when valid, every strategy runs shrunk by the fuzz target's own
//! `bounded_for_fuzzing` and must satisfy the run invariants; a file that sets the study's keys
//! also has its study run and reported (`fuzz/fuzz_targets/study.rs`).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::invariants;
use super::invariants::check_run;

#[path = "../../fuzz/fuzz_targets/bounded.rs"]
mod bounded;
#[path = "../../fuzz/fuzz_targets/study.rs"]
mod study;

/// Longest one input may take (the fuzzer's own `-timeout`).
const PER_INPUT: Duration = Duration::from_secs(10);

#[test]
fn fuzz_corpus_replays_without_panic_hang_or_broken_invariant() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/scenario");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() > 50,
        "{} holds {} files",
        dir.display(),
        files.len()
    );
    let (tx, rx) = mpsc::channel::<(PathBuf, bool)>();
    std::thread::spawn(move || {
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let mut valid = false;
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Ok(s) = cachestorm::scenario::parse(text, Path::new("fuzz.toml")) {
                    valid = true;
                    for strategy in &s.strategies {
                        let mut config = strategy.config.clone();
                        bounded::bounded_for_fuzzing(&mut config);
                        let result = cachestorm::experiment::simulate(&config, s.seed, &|_| {});
                        check_run(&config, &result);
                    }
                    study::exercise_study(&s);
                }
            }
            if tx.send((file, valid)).is_err() {
                return;
            }
        }
    });
    let (mut done, mut valid) = (0, 0);
    loop {
        match rx.recv_timeout(PER_INPUT) {
            Ok((_, v)) => {
                done += 1;
                valid += v as u32;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "corpus input number {} (in name order) ran longer than {PER_INPUT:?}",
                    done + 1
                )
            }
        }
    }
    let total = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(done, total, "a corpus input panicked (see above)");
    println!("{valid} of {total} corpus inputs are valid scenarios");
    assert!(valid > 0, "no input of the corpus is a valid scenario");
}
