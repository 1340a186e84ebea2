//! `cachestorm phase` (issue 20): the retry storm's boundary against theory, the same bytes
//! whatever the thread count, and bad axes refused before anything runs or is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cachestorm::workflow::phase::boundary::Boundary;

use super::cachestorm;

/// A retry storm with no cache: a database of C = 10 slots / 10 ms = 1,000 queries a second, a
/// queue of 3,000 (a 3 s wait, beyond the clients' 1 s timeout), n = 3 attempts retried at
/// once. At 10 s (`burst_at`) a burst (`timeline.0.rps`) fills the queue; at 13 s the rate returns to the
/// load (`timeline.1.rps`, set with `clients.rps`). In the full queue every attempt times
/// out and is retried, so the queue is offered n·λ: it stays full when n·λ > C, and drains
/// (at C − n·λ) when n·λ < C. The boundary is λ* = C/n = 333 requests a second.
fn storm_toml(burst_at: &str) -> String {
    format!(
        r#"
name = "no-cache-storm"
seed = 3
duration = "80s"
bucket = "1s"
[clients]
rps = 300
keyspace = 100000
timeout = "1s"
[cache]
enabled = false
[db]
slots = 10
service = {{ dist = "exponential", mean = "10ms" }}
queue_limit = 3000
[retries]
attempts = 3
[[timeline]]
at = "{burst_at}"
action = "set_rate"
rps = 4000
[[timeline]]
at = "13s"
action = "set_rate"
rps = 300
[[strategies]]
name = "naive"
[[strategies]]
name = "budget"
retries = {{ attempts = 3, budget = {{ capacity = 100, cost = 10, refund = 1 }} }}
"#
    )
}

const C_OVER_N: f64 = 1000.0 / 3.0;

fn storm(dir: &Path) -> PathBuf {
    let file = dir.join("storm.toml");
    std::fs::write(&file, storm_toml("10s")).unwrap();
    file
}

/// Runs `cachestorm phase FILE ARGS --out OUT` with `threads` threads.
fn phase(file: &Path, out: &Path, threads: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    cachestorm()
        .env("RAYON_NUM_THREADS", threads)
        .arg("phase")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Every file of a folder, by name.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// One row of phase.csv.
struct Row {
    load: f64,
    trigger: String,
    strategy: String,
    runs: u32,
    metastable: u32,
    p: Option<f64>,
    ci: (f64, f64),
}

fn rows(csv: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(csv).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (load, trigger, strategy) = (col("clients.rps"), col("timeline.0.rps"), col("strategy"));
    let (runs, metastable, p) = (col("runs"), col("metastable"), col("p_metastable"));
    let (lo, hi) = (col("ci95_low"), col("ci95_high"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| rec[i].parse::<f64>().unwrap();
            Row {
                load: num(load),
                trigger: rec[trigger].to_string(),
                strategy: rec[strategy].to_string(),
                runs: rec[runs].parse().unwrap(),
                metastable: rec[metastable].parse().unwrap(),
                p: rec[p].parse().ok(),
                ci: (num(lo), num(hi)),
            }
        })
        .collect()
}

#[test]
fn the_retry_storm_boundary_sits_at_capacity_over_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let file = storm(dir.path());
    // 0.7 to 1.3 times C/n; none at C/n itself, where draining takes unboundedly long.
    let loads: Vec<String> = [0.7, 0.8, 0.9, 1.1, 1.2, 1.3]
        .iter()
        .map(|f| format!("{}", (f * C_OVER_N).round()))
        .collect();
    let load_arg = format!("clients.rps,timeline.1.rps={}", loads.join(","));
    let out = dir.path().join("out");
    let assert = phase(
        &file,
        &out,
        "2",
        &[
            "--load",
            &load_arg,
            "--trigger",
            "timeline.0.rps=2500,4000",
            "--seeds",
            "8",
            "--no-charts",
        ],
    )
    .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    eprintln!("{stdout}");
    let rows = rows(&out.join("no-cache-storm-phase/phase.csv"));
    assert_eq!(rows.len(), 6 * 2 * 2);
    for trigger in ["2500", "4000"] {
        let naive: Vec<&Row> = rows
            .iter()
            .filter(|r| r.strategy == "naive" && r.trigger == trigger)
            .collect();
        for r in &naive {
            assert_eq!(r.runs, 8);
            if r.load <= 0.8 * C_OVER_N + 0.5 {
                assert_eq!(r.metastable, 0, "{} at {trigger}: below 0.8 C/n", r.load);
            }
            if r.load >= 1.2 * C_OVER_N - 0.5 {
                assert_eq!(
                    r.metastable, r.runs,
                    "{} at {trigger}: above 1.2 C/n",
                    r.load
                );
            }
        }
        let x: Vec<f64> = naive.iter().map(|r| r.load).collect();
        let p: Vec<Option<f64>> = naive.iter().map(|r| r.p).collect();
        let ci: Vec<Option<(f64, f64)>> = naive.iter().map(|r| Some(r.ci)).collect();
        let b = Boundary::of(&x, &p, &ci);
        assert!(
            b.contains(C_OVER_N) && b.estimate.value().is_some(),
            "trigger {trigger}: boundary {} should hold C/n = {C_OVER_N:.1}",
            b.label()
        );
        // The budget caps retries, so the storm cannot hold itself up at any of these loads.
        assert!(
            rows.iter()
                .filter(|r| r.strategy == "budget" && r.trigger == trigger)
                .all(|r| r.metastable == 0),
            "the retry budget keeps every load below its boundary"
        );
    }
    assert!(
        stdout.contains("naive\n") && stdout.contains("boundary along clients.rps,timeline.1.rps"),
        "{stdout}"
    );
    assert!(stdout.contains("replay a metastable run"), "{stdout}");
}

#[test]
fn a_phase_map_is_the_same_bytes_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = storm(dir.path());
    let args = [
        "--load",
        "clients.rps,timeline.1.rps=300,367",
        "--trigger",
        "timeline.0.rps=2500,4000",
        "--seeds",
        "3",
    ];
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let a = phase(&file, &one, "1", &args).success();
    let b = phase(&file, &two, "2", &args).success();
    let (x, y) = (
        folder(&one.join("no-cache-storm-phase")),
        folder(&two.join("no-cache-storm-phase")),
    );
    assert_eq!(
        x.keys().collect::<Vec<_>>(),
        [
            "boundaries.png",
            "phase.csv",
            "phase.toml",
            "phase_budget.png",
            "phase_naive.png"
        ]
    );
    assert!(x == y, "the files differ between 1 and 2 threads");
    let text = |a: &assert_cmd::assert::Assert| {
        String::from_utf8_lossy(&a.get_output().stdout)
            .replace(one.to_str().unwrap(), "OUT")
            .replace(two.to_str().unwrap(), "OUT")
    };
    assert_eq!(text(&a), text(&b));
    // A second run over the same folder replaces it.
    phase(&file, &one, "2", &args).success();
    assert!(folder(&one.join("no-cache-storm-phase")) == y);
}

#[test]
fn bad_axes_and_cells_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = storm(dir.path());
    let cases: [(&str, &str, &str); 7] = [
        ("clients.rpz=300,400", "timeline.0.rps=2500", "rpz"),
        ("clients.rps=400,300", "timeline.0.rps=2500", "ascending"),
        ("clients.rps=300,400", "timeline.7.rps=2500", "2 entries"),
        (
            "clients.rps=300,400",
            "timeline.0.rps=-5",
            "timeline[0].rps",
        ),
        ("clients.rps=300,400", "timeline.0.share=0.5", "share"),
        ("clients.rps=300,400", "timeline=1", "by its index"),
        ("seed=1,2", "timeline.0.rps=2500", "--seed"),
    ];
    for (load, trigger, needle) in cases {
        let out = dir.path().join("out");
        let assert = phase(&file, &out, "2", &["--load", load, "--trigger", trigger]).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains(needle) && !stderr.contains("panicked"),
            "{load} {trigger}: {stderr}"
        );
        assert!(
            stderr.trim().lines().count() == 1 && stderr.chars().count() <= 420,
            "{stderr}"
        );
        assert!(
            !out.join("no-cache-storm-phase").exists(),
            "{load} {trigger}: wrote output"
        );
    }
    // A file whose only timeline event is at 0 s has no level before it to recover to.
    let early = dir.path().join("early.toml");
    std::fs::write(&early, storm_toml("0s")).unwrap();
    let out = dir.path().join("out");
    let assert = phase(
        &early,
        &out,
        "2",
        &[
            "--load",
            "clients.rps=300",
            "--trigger",
            "timeline.0.rps=2500",
        ],
    )
    .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no whole bucket"), "{stderr}");
    // A horizon shorter than the recovery hold leaves no time for a verdict.
    let assert = phase(
        &file,
        &out,
        "2",
        &[
            "--load",
            "clients.rps=300",
            "--trigger",
            "timeline.0.rps=2500",
            "--horizon",
            "2s",
        ],
    )
    .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("less than the recovery hold"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn adaptive_rounds_add_seeds_only_where_the_interval_holds_a_half() {
    let dir = tempfile::tempdir().unwrap();
    let file = storm(dir.path());
    let args = [
        "--load",
        // 324, just under C/n, drains so slowly that some seeds do not recover within the
        // horizon: the first 8 seeds leave its interval around 0.5.
        "clients.rps,timeline.1.rps=267,324,400",
        "--trigger",
        "timeline.0.rps=4000",
        "--strategy",
        "naive",
        "--seeds",
        "24",
        "--adaptive",
        "--budget",
        "60",
        "--no-charts",
    ];
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let a = phase(&file, &one, "1", &args).success();
    phase(&file, &two, "2", &args).success();
    let csv = |d: &Path| std::fs::read(d.join("no-cache-storm-phase/phase.csv")).unwrap();
    assert_eq!(
        csv(&one),
        csv(&two),
        "adaptive rounds differ between 1 and 2 threads"
    );
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let rows = rows(&one.join("no-cache-storm-phase/phase.csv"));
    let total: u32 = rows.iter().map(|r| r.runs).sum();
    assert!((24..=60).contains(&total), "{total} runs: {stdout}");
    for r in &rows {
        assert!(
            r.runs >= 8 && r.runs <= 24 && r.runs % 8 == 0 || total == 60,
            "{stdout}"
        );
        let holds = r.ci.0 <= 0.5 && r.ci.1 >= 0.5;
        // A cell stopped short of 24 seeds only once its interval left 0.5 (or the budget ran out).
        assert!(
            !holds || r.runs == 24 || total == 60,
            "{}: {stdout}",
            r.load
        );
    }
    // The far cells agree at once and get no more than the first round; the near one more.
    for r in &rows {
        if r.load == 324.0 {
            assert!(r.runs > 8, "324 should get more seeds: {stdout}");
        } else {
            assert_eq!(r.runs, 8, "{}: {stdout}", r.load);
        }
    }
    // A budget below the first round is refused before anything runs.
    let out = dir.path().join("small");
    let mut small: Vec<&str> = args.to_vec();
    let at = small.iter().position(|a| *a == "60").unwrap();
    small[at] = "23";
    let assert = phase(&file, &out, "2", &small).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("--budget 23") && stderr.contains("first round"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn shards_merge_into_the_files_of_the_whole_map() {
    let dir = tempfile::tempdir().unwrap();
    let file = storm(dir.path());
    let args = [
        "--load",
        "clients.rps,timeline.1.rps=267,367,400",
        "--trigger",
        "timeline.0.rps=2500,4000",
        "--seeds",
        "2",
    ];
    let shards = dir.path().join("shards");
    for i in 1..=4 {
        let mut a = args.to_vec();
        let shard = format!("{i}/4");
        a.extend(["--shard", &shard]);
        phase(&file, &shards, "1", &a).success();
    }
    let shard_dir = |i: u32| shards.join(format!("no-cache-storm-phase-shard-{i}-of-4"));
    let merge = |dirs: &[PathBuf], out: &Path| {
        cachestorm()
            .arg("merge")
            .args(dirs)
            .arg("--out")
            .arg(out)
            .assert()
    };
    let all: Vec<PathBuf> = (1..=4).map(shard_dir).collect();
    let merged = dir.path().join("merged");
    merge(&all, &merged).success();
    let whole = dir.path().join("whole");
    phase(&file, &whole, "2", &args).success();
    assert!(
        folder(&merged.join("no-cache-storm-phase")) == folder(&whole.join("no-cache-storm-phase")),
        "merged shards differ from the whole map"
    );
    // A shard missing, or given twice, is refused with exit 2 and nothing written.
    let out = dir.path().join("bad");
    for dirs in [
        all[..3].to_vec(),
        vec![
            all[0].clone(),
            all[1].clone(),
            all[2].clone(),
            all[2].clone(),
        ],
    ] {
        let assert = merge(&dirs, &out).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains("give each of 1 to 4 once"), "{stderr}");
        assert!(!out.exists());
    }
}
