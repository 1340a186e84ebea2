//! Limits users run into: the memory budget taken from the real limit (cgroup, ulimit), the
//! estimates of many strategies and lock polls, validation time, the size of a scenario file,
//! interrupts while the outputs are written, the length of error messages, and output folders
//! that would replace each other.

use crate::builder::ScenarioBuilder;
use crate::cachestorm;

/// A 20-million-key Zipf scenario with 8 strategies (differing in TTL) and one simulated
/// second: its key tables, not its requests, take the memory.
fn twenty_million_keys() -> ScenarioBuilder {
    let mut b = ScenarioBuilder::new("big");
    b.duration("1s")
        .set("bucket", "1s")
        .set("clients.keyspace", 20_000_000)
        .zipf(0.9);
    for i in 0..8 {
        b.strategy(&format!("s{i}"), |s| {
            s.set("cache.ttl", format!("{}s", i + 1));
        });
    }
    b
}

/// Runs the binary through `sh -c 'ulimit -v KIB; exec cachestorm ARGS'` with 8 threads.
#[cfg(target_os = "linux")]
fn under_ulimit_v(kib: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("cachestorm");
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .env("RAYON_NUM_THREADS", "8")
        .output()
        .expect("sh runs")
}

#[cfg(target_os = "linux")]
#[test]
fn the_default_budget_follows_ulimit_v_so_fewer_strategies_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.toml");
    std::fs::write(&file, twenty_million_keys().toml()).unwrap();
    // 4 GB of address space: the plan runs fewer than the 8 strategies at once.
    let out = under_ulimit_v(4_194_304, &["validate".as_ref(), file.as_os_str()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let threads: usize = stdout
        .split(" on ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("the plan's threads are shown: {stdout}"));
    assert!((1..8).contains(&threads), "{stdout}");
    // Without the limit, all 8 fit on a machine with a few GB.
    let roomy = cachestorm()
        .env("RAYON_NUM_THREADS", "8")
        .arg("validate")
        .arg(&file)
        .assert()
        .success();
    let roomy = String::from_utf8_lossy(&roomy.get_output().stdout).into_owned();
    assert!(
        !roomy.contains(&format!(" on {threads} thread")) || threads == 8,
        "the limit changed nothing: {roomy}"
    );

    // 1 GB: not even one strategy fits; `run` refuses at once with the figures and where the
    // budget came from, exit 2, not an allocation failure (134).
    let outdir = dir.path().join("out");
    let out = under_ulimit_v(
        1_048_576,
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--out".as_ref(),
            outdir.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("clients.keyspace 20000000") && stderr.contains("ulimit -v"),
        "{stderr}"
    );
    assert!(!outdir.join("big").exists());
}

/// The whole run of the case above under 4 GB of address space: about 10 s of work, so left
/// out of the quick suite (`cargo test --release -- --ignored the_20m_key`).
#[cfg(target_os = "linux")]
#[test]
#[ignore]
fn the_20m_key_run_under_ulimit_v_runs_fewer_strategies_at_once_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.toml");
    std::fs::write(&file, twenty_million_keys().toml()).unwrap();
    let outdir = dir.path().join("out");
    let out = under_ulimit_v(
        4_194_304,
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--no-charts".as_ref(),
            "--out".as_ref(),
            outdir.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("at a time instead of 8"), "{stderr}");
    assert!(outdir.join("big/summary.csv").exists());
}
