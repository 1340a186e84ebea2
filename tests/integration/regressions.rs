//! Inputs that once broke the reader or the model (issue 7, the fuzzer in `fuzz/`), each named
//! after what broke. Each is parsed and run through the library with a time limit, so a hang
//! fails the test instead of stalling the suite, and the result is checked like any other run.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use cachestorm::metrics::RunResult;

use super::invariants::check_run;

/// Longest a regression run may take (they take milliseconds when the model is right).
const LIMIT: Duration = Duration::from_secs(20);

/// Parses `toml` and runs every strategy on a thread; fails if the runs take longer than
/// [`LIMIT`] (the thread is left spinning, the test binary exits when the tests are done).
fn run_bounded(toml: &str) -> Vec<RunResult> {
    let scenario = cachestorm::scenario::parse(toml, Path::new("regression.toml"))
        .expect("regression scenario is valid");
    let (tx, rx) = mpsc::channel();
    let s = scenario.clone();
    std::thread::spawn(move || {
        let results: Vec<RunResult> = s
            .strategies
            .iter()
            .map(|st| cachestorm::experiment::simulate(&st.config, s.seed, &|_| {}))
            .collect();
        let _ = tx.send(results);
    });
    let results = match rx.recv_timeout(LIMIT) {
        Ok(results) => results,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the run did not finish within {LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the run panicked (see above)"),
    };
    for (st, r) in scenario.strategies.iter().zip(&results) {
        check_run(&st.config, r);
    }
    results
}

#[test]
fn zipf_distinct_keys_hang() {
    // Zipf s = 10 over 12 keys: key 12 has probability 12^-10 / ζ ≈ 2e-11, which the alias
    // table rounds to 0, and every request needs all 12 keys.
    let results = run_bounded(
        r#"
name = "zipf-distinct"
seed = 1
duration = "1s"
[clients]
rps = 100
keyspace = 12
fanout = 12
popularity = { dist = "zipf", s = 10.0 }
[db]
slots = 1
service = "1ms"
"#,
    );
    assert!(results[0].summary.totals.arrived > 50);
}

#[test]
fn zipf_distinct_keys_crawl_when_a_needed_key_is_rare() {
    // Found by the fuzzer (mutating a generated scenario): Zipf s = 5.9 over 3,001 keys with
    // fanout 21. Key 21 has probability about 1.6e-8, not zero, so each request makes tens of
    // millions of draws: about 0.25 s of CPU per request, 100 requests per simulated second.
    let results = run_bounded(
        r#"
name = "zipf-rare"
seed = 1
duration = "1s"
[clients]
rps = 1000
keyspace = 3001
fanout = 21
popularity = { dist = "zipf", s = 5.9 }
[db]
slots = 1
service = "1ms"
"#,
    );
    assert!(results[0].summary.totals.arrived > 500);
}
