//! Inputs that once broke the reader or the model (issue 7, the fuzzer in `fuzz/`), each named
//! after what broke. Each is parsed and run through the library with a time limit, so a hang
//! fails the test instead of stalling the suite, and the result is checked like any other run.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use cachestorm::metrics::RunResult;

use super::builder::ScenarioBuilder;

use super::invariants::check_run;

/// Longest a regression run may take before it counts as a hang. Most take milliseconds; the
/// diverging runs (a node loss, a million requests a second) take up to 7 s on one idle core and
/// went past 20 s on a 2-core machine running ten other jobs, so the guard is generous: it is
/// there to catch a run that never ends, not to time one.
const LIMIT: Duration = Duration::from_secs(120);

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

/// An SRE's first what-if (issue 18): a preload whose 5 min TTL ends at 300 s, then every key
/// expires at once into an 8-slot database, clients time out at 200 ms and retry at once. The
/// backlog reaches `limits.max_in_flight` at 321 s and the run stops as diverged; it used to stop
/// at a retry that was taken off the calls waiting to retry before the cap refused it, so one
/// call was neither failed nor unfinished and the accounting assertion panicked (exit 101).
pub const NODE_LOSS: &str = r#"
name = "node-loss"
seed = 1
duration = "360s"
[clients]
rps = 10000
keyspace = 500000
popularity = { dist = "zipf", s = 0.9 }
timeout = "200ms"
[app]
instances = 8
[cache]
nodes = 6
ttl = "5m"
timeout = "50ms"
[db]
slots = 8
service = "4ms"
[retries]
attempts = 4
backoff = "none"
on = ["timeout"]
[[timeline]]
at = "0s"
action = "preload"
[[timeline]]
at = "60s"
action = "kill_node"
node = 2
[[timeline]]
at = "120s"
action = "restore_node"
node = 2
"#;

#[test]
fn a_retry_refused_by_the_in_flight_cap_stays_unfinished() {
    let results = run_bounded(NODE_LOSS);
    let s = &results[0].summary;
    assert!(s.truncation.is_some(), "the run diverges past 300 s");
    let t = &s.totals;
    assert!(t.unfinished > 0 && t.errors() > 0);
    assert_eq!(t.arrived, t.completed + t.errors() + t.unfinished);
}

/// `congestive-collapse` with its first strategy (naive retries) at a million requests a
/// second: retries with a client timeout into a backlog that reaches the in-flight cap.
pub fn congestive_collapse_at_a_million_rps() -> ScenarioBuilder {
    let text = std::fs::read_to_string(super::scenario_path("congestive-collapse.toml"))
        .expect("the shipped scenario is readable");
    let mut b = ScenarioBuilder::from_toml(&text);
    // The base and its first strategy only (the expectations name other strategies).
    b.rps(1_000_000.0).keep_strategies(1).unset("expect");
    b
}

#[test]
fn retries_with_a_client_timeout_under_overload_account_for_every_arrival() {
    let results = run_bounded(&congestive_collapse_at_a_million_rps().toml());
    let t = &results[0].summary.totals;
    assert!(results[0].summary.truncation.is_some());
    assert_eq!(t.arrived, t.completed + t.errors() + t.unfinished);
}
