//! `cachestorm sweep` and `merge` (issue 11, items 4 and 5): the same bytes whatever the thread
//! count and however the points are split into shards (by hand or with GNU parallel), `--find`
//! giving the answer of a full sweep, bad input refused before anything is written, and the
//! capacity planner's one command from the README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cachestorm::report::sweep::parse_manifest;
use cachestorm::workflow::objective::{parse_objective, scan_smallest, Outcome};

use super::{cachestorm, scenario_path};

/// Database slots against p99 with no cache: seconds of simulated time, a few milliseconds a
/// run. Two strategies, one with a slower database.
const SLOTS: &str = r#"
name = "slots"
seed = 5
duration = "4s"
bucket = "1s"
drain = true
[clients]
rps = 700
keyspace = 1000
[cache]
enabled = false
[db]
slots = 2
service = { dist = "exponential", mean = "5ms" }
[[strategies]]
name = "plain"
[[strategies]]
name = "slow-db"
db.service = { dist = "exponential", mean = "6ms" }
"#;

/// The grid of most tests: 4 slot counts times 2 arrival rates, 8 points.
const GRID: [&str; 4] = ["--set", "db.slots=2..5:1", "--set", "clients.rps=500,700"];

fn scenario(dir: &Path) -> PathBuf {
    let file = dir.join("slots.toml");
    std::fs::write(&file, SLOTS).unwrap();
    file
}

/// Runs `cachestorm sweep FILE ARGS --out OUT` with `threads` threads.
fn sweep(file: &Path, out: &Path, threads: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    cachestorm()
        .env("RAYON_NUM_THREADS", threads)
        .arg("sweep")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Every file of a folder, by name.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn assert_same_folders(a: &Path, b: &Path, what: &str) {
    let (fa, fb) = (folder(a), folder(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "{what}: the same files"
    );
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{what}: {name} differs");
    }
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

#[test]
fn sweep_output_is_the_same_with_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let args = [&GRID[..], &["--replications", "3"]].concat();
    let one = sweep(&file, &dir.path().join("one"), "1", &args).success();
    let two = sweep(&file, &dir.path().join("two"), "2", &args).success();
    let table = |a: &assert_cmd::assert::Assert| {
        let out = stdout(a);
        out.lines()
            .filter(|l| !l.starts_with("seed 5; wrote"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(table(&one), table(&two));
    let (a, b) = (
        dir.path().join("one/slots-sweep"),
        dir.path().join("two/slots-sweep"),
    );
    assert_same_folders(&a, &b, "1 thread vs 2");
    let files: Vec<String> = folder(&a).into_keys().collect();
    assert_eq!(
        files,
        [
            "sweep.csv",
            "sweep.toml",
            "sweep_p99_latency_ms_1.png",
            "sweep_p99_latency_ms_2.png"
        ],
        "one chart per arrival rate, db.slots on the x axis"
    );
    let csv = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("point,db.slots,clients.rps,strategy,metric,replications,mean,ci95_low,ci95_high")
    );
    let p99: Vec<&str> = lines.filter(|l| l.contains(",p99_latency_ms,")).collect();
    assert_eq!(p99.len(), 8 * 2, "every point and strategy");
    assert!(
        p99[0].starts_with("0,2,500,plain,p99_latency_ms,3,"),
        "{}",
        p99[0]
    );
    assert!(
        p99[15].starts_with("7,5,700,slow-db,p99_latency_ms,3,"),
        "{}",
        p99[15]
    );
    let table = stdout(&one);
    assert!(
        table.contains("mean ± 95% confidence interval over 3 replications"),
        "{table}"
    );
    assert!(table.contains(" ± "), "{table}");
}

#[test]
fn shards_merged_are_byte_identical_to_the_single_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let args = [&GRID[..], &["--replications", "2", "--format", "svg"]].concat();
    sweep(&file, &dir.path().join("single"), "2", &args).success();
    let shards = dir.path().join("shards");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let a = sweep(
            &file,
            &shards,
            "1",
            &[&args[..], &["--shard", &shard]].concat(),
        )
        .success();
        assert!(
            stdout(&a).contains(&format!("shard {i} of 3")),
            "{}",
            stdout(&a)
        );
        let names: Vec<String> = folder(&shards.join(format!("slots-sweep-shard-{i}-of-3")))
            .into_keys()
            .collect();
        assert_eq!(names, ["sweep.csv", "sweep.toml"], "a shard draws no chart");
    }
    let merged = dir.path().join("merged");
    let a = cachestorm()
        .arg("merge")
        .args(
            (1..=3)
                .rev()
                .map(|i| shards.join(format!("slots-sweep-shard-{i}-of-3"))),
        )
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert!(
        stdout(&a).starts_with("merged 3 shards of 8 points"),
        "{}",
        stdout(&a)
    );
    assert_same_folders(
        &dir.path().join("single/slots-sweep"),
        &merged.join("slots-sweep"),
        "single sweep vs merged shards",
    );
}

#[test]
fn more_shards_than_points_still_merge() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let args = ["--set", "db.slots=3,4"];
    sweep(&file, &dir.path().join("single"), "2", &args).success();
    let shards = dir.path().join("shards");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let a = sweep(
            &file,
            &shards,
            "2",
            &[&args[..], &["--shard", &shard]].concat(),
        )
        .success();
        if i == 3 {
            assert!(
                stderr(&a).contains("shard 3/3 has no points"),
                "{}",
                stderr(&a)
            );
        }
    }
    cachestorm()
        .arg("merge")
        .args((1..=3).map(|i| shards.join(format!("slots-sweep-shard-{i}-of-3"))))
        .arg("--out")
        .arg(dir.path().join("merged"))
        .assert()
        .success();
    assert_same_folders(
        &dir.path().join("single/slots-sweep"),
        &dir.path().join("merged/slots-sweep"),
        "two points in three shards",
    );
}

#[test]
fn merge_refuses_missing_duplicate_foreign_and_cut_shards() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let shards = dir.path().join("shards");
    let other = dir.path().join("other");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        sweep(
            &file,
            &shards,
            "2",
            &[&GRID[..], &["--shard", &shard]].concat(),
        )
        .success();
    }
    // Shard 2 of a sweep with another seed, and one with another value list.
    sweep(
        &file,
        &other.join("seed"),
        "2",
        &[&GRID[..], &["--shard", "2/3", "--seed", "9"]].concat(),
    )
    .success();
    let fewer = [
        "--set",
        "db.slots=2..4:1",
        "--set",
        "clients.rps=500,700",
        "--shard",
        "2/3",
    ];
    sweep(&file, &other.join("values"), "2", &fewer).success();
    let shard = |i: u32| shards.join(format!("slots-sweep-shard-{i}-of-3"));
    let cut = dir.path().join("cut/slots-sweep-shard-3-of-3");
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::copy(shard(3).join("sweep.toml"), cut.join("sweep.toml")).unwrap();
    let csv = std::fs::read_to_string(shard(3).join("sweep.csv")).unwrap();
    let kept: Vec<&str> = csv.lines().filter(|l| !l.starts_with("5,")).collect();
    std::fs::write(cut.join("sweep.csv"), kept.join("\n") + "\n").unwrap();
    // Shard 3 edited: a copy with `edit` applied to each data line of its sweep.csv.
    let edited = |name: &str, edit: &dyn Fn(&str) -> Option<String>| {
        let folder = dir.path().join(name).join("slots-sweep-shard-3-of-3");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(shard(3).join("sweep.toml"), folder.join("sweep.toml")).unwrap();
        let mut lines = csv.lines();
        let mut out = vec![lines.next().unwrap().to_string()];
        out.extend(lines.filter_map(edit));
        std::fs::write(folder.join("sweep.csv"), out.join("\n") + "\n").unwrap();
        folder
    };
    // Cells: point, db.slots, clients.rps, strategy, metric, replications, mean, low, high.
    let with_mean = |line: &str, target: &str, mean: &str| {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        if format!("{},{},{}", cells[0], cells[3], cells[4]) == target {
            cells[6] = mean.to_string();
        }
        cells.join(",")
    };
    let nan = edited("nan", &|l| Some(with_mean(l, "2,slow-db,hit_ratio", "NaN")));
    let inf = edited("inf", &|l| {
        Some(with_mean(l, "5,plain,p99_latency_ms", "inf"))
    });
    let missing_row = edited("missing-row", &|l| {
        (!l.starts_with("5,") || !l.contains(",slow-db,error_ratio,")).then(|| l.to_string())
    });
    let doubled = edited("doubled", &|l| {
        Some(if l.starts_with("2,") && l.contains(",plain,hit_ratio,") {
            format!("{l}\n{l}")
        } else {
            l.to_string()
        })
    });
    let shown = |folder: &Path| folder.join("sweep.csv").display().to_string();
    let nan_needle = format!("{}: line ", shown(&nan));
    let inf_needle = format!("{}: line ", shown(&inf));
    let missing_needle = format!(
        "{}: no row for point 5, strategy `slow-db`, metric error_ratio",
        shown(&missing_row)
    );
    let cases: Vec<(&str, Vec<PathBuf>, &str)> = vec![
        (
            "NaN cell",
            vec![shard(1), shard(2), nan.clone()],
            "mean `NaN` is not a finite number",
        ),
        (
            "NaN cell, where",
            vec![shard(1), shard(2), nan],
            &nan_needle,
        ),
        (
            "inf cell",
            vec![shard(1), shard(2), inf.clone()],
            "mean `inf` is not a finite number",
        ),
        (
            "inf cell, where",
            vec![shard(1), shard(2), inf],
            &inf_needle,
        ),
        (
            "missing row",
            vec![shard(1), shard(2), missing_row],
            &missing_needle,
        ),
        (
            "doubled row",
            vec![shard(1), shard(2), doubled],
            "a second row for point 2, strategy `plain`, metric hit_ratio",
        ),
        ("missing", vec![shard(1), shard(3)], "shard 2/3 is missing"),
        (
            "twice",
            vec![shard(1), shard(2), shard(2), shard(3)],
            "shard 2/3 is given twice",
        ),
        (
            "seed",
            vec![
                shard(1),
                other.join("seed/slots-sweep-shard-2-of-3"),
                shard(3),
            ],
            "not shards of one sweep: seed is 5 in the first and 9 in the second",
        ),
        (
            "values",
            vec![
                shard(1),
                other.join("values/slots-sweep-shard-2-of-3"),
                shard(3),
            ],
            "not shards of one sweep: points",
        ),
        (
            "cut",
            vec![shard(1), shard(2), cut.clone()],
            "has no rows for point 5 of shard 3/3",
        ),
        (
            "not a shard",
            vec![dir.path().join("nowhere")],
            "cannot read it",
        ),
    ];
    for (what, dirs, needle) in cases {
        let out = dir.path().join(format!("merged-{what}"));
        let a = cachestorm()
            .arg("merge")
            .args(&dirs)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr(&a);
        assert!(err.contains(needle), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            !out.exists(),
            "{what}: merge wrote output despite bad input"
        );
    }
    // A whole sweep's folder is no shard.
    sweep(&file, &dir.path().join("single"), "2", &GRID).success();
    let a = cachestorm()
        .arg("merge")
        .arg(dir.path().join("single/slots-sweep"))
        .arg("--out")
        .arg(dir.path().join("merged-single"))
        .assert()
        .code(2);
    assert!(stderr(&a).contains("not a shard"), "{}", stderr(&a));
}

/// The answer `--find` wrote in sweep.toml for each strategy: (outcome, point).
fn found(out: &Path) -> Vec<(String, Option<u64>, Vec<u64>)> {
    let text = std::fs::read_to_string(out.join("slots-sweep/sweep.toml")).unwrap();
    parse_manifest(&text)
        .unwrap()
        .found
        .into_iter()
        .map(|f| (f.outcome, f.point, f.evaluated))
        .collect()
}

/// (point, strategy) -> row of `metric` in a sweep.csv with one swept field.
fn rows(out: &Path, metric: &str) -> BTreeMap<(usize, String), String> {
    let csv = std::fs::read_to_string(out.join("slots-sweep/sweep.csv")).unwrap();
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3) == Some(metric))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (
                (cells[0].parse().unwrap(), cells[2].to_string()),
                l.to_string(),
            )
        })
        .collect()
}

#[test]
fn find_gives_the_answer_of_a_full_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let values = ["--set", "db.slots=1..12:1", "--replications", "2"];
    let full = dir.path().join("full");
    sweep(&file, &full, "2", &values).success();
    let full_rows = rows(&full, "p99_latency_ms");
    let strategies = ["plain", "slow-db"];
    // Through the knee, below every value, above every value.
    for (k, objective) in [
        "p99_latency_ms < 40",
        "p99_latency_ms <= 1e9",
        "p99_latency_ms < 1",
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("find-{k}"));
        let a = sweep(
            &file,
            &out,
            "2",
            &[&values[..], &["--find", objective]].concat(),
        )
        .success();
        let answers = found(&out);
        let o = parse_objective(objective).unwrap();
        for (i, name) in strategies.iter().enumerate() {
            let met: Vec<(usize, bool)> = (0..12)
                .map(|p| {
                    let row = &full_rows[&(p, name.to_string())];
                    let mean: f64 = row.split(',').nth(5).unwrap().parse().unwrap();
                    (p, o.met(mean))
                })
                .collect();
            let want = scan_smallest(&met);
            let (outcome, point, evaluated) = &answers[i];
            let got = match (outcome.as_str(), point) {
                ("found", Some(p)) => Outcome::Found(*p as usize),
                ("smallest_meets", Some(0)) => Outcome::SmallestMeets,
                ("none_meets", None) => Outcome::NoneMeets,
                other => panic!("{other:?}"),
            };
            assert_eq!(got, want, "{objective}, {name}: --find vs the full sweep");
            assert!(
                evaluated.len() <= 4,
                "a bisection of 12 values asks at most 4: {evaluated:?}"
            );
        }
        if k == 0 {
            assert!(
                matches!(found(&out)[0].0.as_str(), "found"),
                "the knee lies inside the range"
            );
            assert!(
                stdout(&a).contains("plain: smallest db.slots meeting p99_latency_ms < 40: "),
                "{}",
                stdout(&a)
            );
        }
        if k == 2 {
            assert!(
                stdout(&a).contains("none of the values meets"),
                "{}",
                stdout(&a)
            );
        }
        if k == 1 {
            assert!(
                stdout(&a).contains("even the smallest value, db.slots = 1, meets"),
                "{}",
                stdout(&a)
            );
        }
        // The points --find ran have the rows of the same points in the full sweep: the same
        // seeds at every point.
        let these = rows(&out, "p99_latency_ms");
        assert!(!these.is_empty());
        for (key, row) in &these {
            assert_eq!(row, &full_rows[key], "{objective}: point {key:?}");
        }
        let names: Vec<String> = folder(&out.join("slots-sweep")).into_keys().collect();
        assert_eq!(
            names,
            ["sweep.csv", "sweep.toml", "sweep_p99_latency_ms.png"]
        );
    }
}

#[test]
fn bad_settings_objectives_and_shards_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "unknown field",
            vec!["--set", "db.slotz=1,2"],
            vec![
                "sweep point 0 of 2 (db.slotz=1)",
                "field `db.slotz`",
                "unknown field",
            ],
        ),
        (
            "bad value at the last point",
            vec!["--set", "clients.rps=500", "--set", "db.slots=2,1,0"],
            vec![
                "sweep point 2 of 3 (clients.rps=500, db.slots=0)",
                "field `db.slots`",
                "got 0",
            ],
        ),
        (
            "no values",
            vec!["--set", "db.slots="],
            vec!["--set: no values"],
        ),
        (
            "seed",
            vec!["--set", "seed=1,2"],
            vec!["`seed` cannot be swept"],
        ),
        (
            "objective without a number",
            vec!["--set", "db.slots=1,2", "--find", "p99_latency_ms <"],
            vec!["--find:", "no number"],
        ),
        (
            "objective on no metric",
            vec!["--set", "db.slots=1,2", "--find", "p99 < 50"],
            vec!["--find: `p99` is not a summary metric", "p99_latency_ms"],
        ),
        (
            "typo in the second objective",
            vec![
                "--set",
                "db.slots=1,2",
                "--find",
                "p99_latency_ms < 50",
                "--find",
                "eror_ratio < 0.001",
            ],
            vec![
                "--find: `eror_ratio` is not a summary metric",
                "(did you mean `error_ratio`?)",
            ],
        ),
        (
            "bad second objective",
            vec![
                "--set",
                "db.slots=1,2",
                "--find",
                "p99_latency_ms < 50",
                "--find",
                "error_ratio = 0",
            ],
            vec!["--find:", "`=` after the metric"],
        ),
        (
            "metric of neither objective",
            vec![
                "--set",
                "db.slots=1,2",
                "--find",
                "p99_latency_ms < 50",
                "--find",
                "error_ratio < 0.001",
                "--metric",
                "hit_ratio",
            ],
            vec!["`p99_latency_ms`, `error_ratio`"],
        ),
        (
            "two fields searched",
            vec![
                "--set",
                "db.slots=1,2",
                "--set",
                "clients.rps=1,2",
                "--find",
                "p99_latency_ms < 5",
            ],
            vec!["exactly one --set with several values"],
        ),
        (
            "values out of order",
            vec!["--set", "db.slots=2,1,3", "--find", "p99_latency_ms < 5"],
            vec!["ascending (or descending) order"],
        ),
        (
            "metric not the objective's",
            vec![
                "--set",
                "db.slots=1,2",
                "--find",
                "p99_latency_ms < 5",
                "--metric",
                "hit_ratio",
            ],
            vec!["is not a metric of --find"],
        ),
        (
            "unknown metric",
            vec!["--set", "db.slots=1,2", "--metric", "latency"],
            vec!["not a summary metric"],
        ),
        (
            "shard 0",
            vec!["--set", "db.slots=1,2", "--shard", "0/3"],
            vec!["--shard", "from 1 to N"],
        ),
        (
            "shard past N",
            vec!["--set", "db.slots=1,2", "--shard", "4/3"],
            vec!["--shard", "from 1 to N"],
        ),
        (
            "shard text",
            vec!["--set", "db.slots=1,2", "--shard", "two"],
            vec!["--shard", "no `/`"],
        ),
        (
            "find in shards",
            vec![
                "--set",
                "db.slots=1,2",
                "--find",
                "p99_latency_ms < 5",
                "--shard",
                "1/2",
            ],
            vec!["--find cannot be split into shards"],
        ),
        (
            "unknown strategy",
            vec!["--set", "db.slots=1,2", "--strategy", "nope"],
            vec!["--strategy `nope` is not in this file"],
        ),
    ];
    for (what, args, needles) in cases {
        let out = dir.path().join(format!("out-{}", what.replace(' ', "-")));
        let a = sweep(&file, &out, "2", &args).code(2);
        let err = stderr(&a);
        for needle in needles {
            assert!(err.contains(needle), "{what}: should say `{needle}`: {err}");
        }
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!out.exists(), "{what}: wrote output despite bad input");
    }
}

/// The README's walk-through: how many database slots keep p99 under 50 ms when the cache is
/// flushed at 20,000 requests/s. The output printed is the README's, line for line.
const PLANNER: [&str; 8] = [
    "--set",
    "clients.rps=20000",
    "--set",
    "db.slots=8..128:8",
    "--find",
    "p99_latency_ms < 50",
    "--replications",
    "3",
];

#[test]
fn the_capacity_planners_one_command_answers() {
    let dir = tempfile::tempdir().unwrap();
    let a = cachestorm()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("sweep")
        .arg("scenarios/capacity-flush.toml")
        .args(PLANNER)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let printed = stdout(&a);
    assert!(
        printed.contains("plain: smallest db.slots meeting p99_latency_ms < 50: 56 "),
        "{printed}"
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let command = "cachestorm sweep scenarios/capacity-flush.toml --set clients.rps=20000 \\\n    \
                   --set db.slots=8..128:8 --find \"p99_latency_ms < 50\" --replications 3";
    assert!(
        readme.contains(command),
        "the README shows the command:\n{command}"
    );
    for line in printed.lines().filter(|l| !l.starts_with("seed ")) {
        assert!(
            readme.contains(line),
            "the README shows this output line:\n{line}"
        );
    }
    let names: Vec<String> = folder(&dir.path().join("capacity-flush-sweep"))
        .into_keys()
        .collect();
    assert_eq!(
        names,
        ["sweep.csv", "sweep.toml", "sweep_p99_latency_ms.png"]
    );
    assert!(scenario_path("capacity-flush.toml").exists());
}

#[test]
fn shards_run_with_gnu_parallel_merge_to_the_single_sweep() {
    let has_parallel = std::process::Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_parallel {
        if std::env::var("CACHESTORM_REQUIRE_PARALLEL").as_deref() == Ok("1") {
            panic!("GNU parallel is not on PATH, and CACHESTORM_REQUIRE_PARALLEL=1 requires it");
        }
        eprintln!("skipped: GNU parallel is not on PATH (set CACHESTORM_REQUIRE_PARALLEL=1 to fail instead)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let shards = dir.path().join("shards");
    let status = std::process::Command::new("parallel")
        .args(["--will-cite", "--halt", "now,fail=1", "-q"])
        .arg(env!("CARGO_BIN_EXE_cachestorm"))
        .arg("sweep")
        .arg(&file)
        .args(GRID)
        .args(["--replications", "2", "--shard", "{}/3", "--out"])
        .arg(&shards)
        .args([":::", "1", "2", "3"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("parallel runs");
    assert!(
        status.status.success(),
        "parallel failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    cachestorm()
        .arg("merge")
        .args((1..=3).map(|i| shards.join(format!("slots-sweep-shard-{i}-of-3"))))
        .arg("--out")
        .arg(dir.path().join("merged"))
        .assert()
        .success();
    sweep(
        &file,
        &dir.path().join("single"),
        "2",
        &[&GRID[..], &["--replications", "2"]].concat(),
    )
    .success();
    assert_same_folders(
        &dir.path().join("single/slots-sweep"),
        &dir.path().join("merged/slots-sweep"),
        "single sweep vs shards run by GNU parallel",
    );
}

#[test]
fn no_charts_writes_the_csv_and_manifest_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let args = ["--set", "db.slots=3,4", "--no-charts"];
    let a = sweep(&file, &dir.path().join("bare"), "2", &args).success();
    let bare = dir.path().join("bare/slots-sweep");
    let names: Vec<String> = folder(&bare).into_keys().collect();
    assert_eq!(names, ["sweep.csv", "sweep.toml"], "no PNG or SVG");
    assert!(
        stdout(&a).contains("wrote ") && !stdout(&a).contains(".png"),
        "{}",
        stdout(&a)
    );
    let manifest = parse_manifest(&std::fs::read_to_string(bare.join("sweep.toml")).unwrap());
    assert_eq!(manifest.unwrap().files, ["sweep.csv"]);
    // The CSV is the one a sweep with charts writes.
    sweep(&file, &dir.path().join("full"), "2", &args[..2]).success();
    let full = dir.path().join("full/slots-sweep");
    assert!(folder(&full).contains_key("sweep_p99_latency_ms.png"));
    assert_eq!(folder(&bare)["sweep.csv"], folder(&full)["sweep.csv"]);
    // merge --no-charts too, in SVG as well.
    let shards = dir.path().join("shards");
    for i in 1..=2 {
        let shard = format!("{i}/2");
        sweep(
            &file,
            &shards,
            "1",
            &[&args[..2], &["--format", "svg", "--shard", &shard]].concat(),
        )
        .success();
    }
    cachestorm()
        .arg("merge")
        .args((1..=2).map(|i| shards.join(format!("slots-sweep-shard-{i}-of-2"))))
        .arg("--no-charts")
        .arg("--out")
        .arg(dir.path().join("merged"))
        .assert()
        .success();
    let merged: Vec<String> = folder(&dir.path().join("merged/slots-sweep"))
        .into_keys()
        .collect();
    assert_eq!(merged, ["sweep.csv", "sweep.toml"]);
}

/// (point, strategy, metric) -> mean, from a sweep.csv with one swept field.
fn means(out: &Path) -> BTreeMap<(usize, String, String), f64> {
    let csv = std::fs::read_to_string(out.join("slots-sweep/sweep.csv")).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                (c[0].parse().unwrap(), c[2].to_string(), c[3].to_string()),
                c[5].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn several_objectives_give_the_smallest_value_meeting_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let values = ["--set", "db.slots=1..12:1", "--replications", "2"];
    let full = dir.path().join("full");
    sweep(&file, &full, "2", &values).success();
    let all = means(&full);
    // Both improve with slots, at different values: the queue one binds.
    let objectives = ["p99_latency_ms < 30", "peak_db_queue < 6"];
    let parsed: Vec<_> = objectives
        .iter()
        .map(|o| parse_objective(o).unwrap())
        .collect();
    let out = dir.path().join("find");
    let a = sweep(
        &file,
        &out,
        "2",
        &[
            &values[..],
            &["--find", objectives[0], "--find", objectives[1]],
        ]
        .concat(),
    )
    .success();
    let printed = stdout(&a);
    let meets = |p: usize, name: &str, o: &cachestorm::workflow::objective::Objective| {
        o.met(all[&(p, name.to_string(), o.metric.clone())])
    };
    let mut binding_differs = false;
    for (i, name) in ["plain", "slow-db"].iter().enumerate() {
        let met: Vec<(usize, bool)> = (0..12)
            .map(|p| (p, parsed.iter().all(|o| meets(p, name, o))))
            .collect();
        let want = scan_smallest(&met);
        let (outcome, point, _) = &found(&out)[i];
        assert_eq!(outcome, "found", "{name}: the answer lies inside the range");
        assert_eq!(
            Outcome::Found(point.unwrap() as usize),
            want,
            "{name}: --find with two objectives vs the full sweep"
        );
        let p = point.unwrap() as usize;
        for o in &parsed {
            assert!(meets(p, name, o), "{name}: the answer meets {o}");
        }
        assert!(
            parsed.iter().any(|o| !meets(p - 1, name, o)),
            "{name}: the value below misses one"
        );
        // Each objective alone would answer lower for at least one strategy.
        binding_differs |= parsed
            .iter()
            .any(|o| (0..12).position(|q| meets(q, name, o)) < Some(p));
        let line = format!(
            "{name}: smallest db.slots meeting p99_latency_ms < 30 and peak_db_queue < 6: {} \
             (p99_latency_ms ",
            p + 1
        );
        assert!(printed.contains(&line), "{line}\n{printed}");
    }
    assert!(
        binding_differs,
        "the objectives bind at different values: {printed}"
    );
    assert!(printed.contains("missing < 6"), "{printed}");
    let text = std::fs::read_to_string(out.join("slots-sweep/sweep.toml")).unwrap();
    assert_eq!(parse_manifest(&text).unwrap().objectives, objectives);
}

#[test]
fn objectives_that_disagree_on_direction_are_reported() {
    // The p99 objective holds from some value up, the queue one up to some value: the
    // bisection's assumption fails, and the points it ran show it.
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let values = ["--set", "db.slots=1..12:1", "--replications", "2"];
    let full = dir.path().join("full");
    sweep(&file, &full, "2", &values).success();
    let all = means(&full);
    let objectives = ["p99_latency_ms < 22", "peak_db_queue > 4"];
    let out = dir.path().join("find");
    let a = sweep(
        &file,
        &out,
        "2",
        &[
            &values[..],
            &["--find", objectives[0], "--find", objectives[1]],
        ]
        .concat(),
    )
    .success();
    let printed = stdout(&a);
    let queue = parse_objective(objectives[1]).unwrap();
    let mut noted = 0;
    for (i, name) in ["plain", "slow-db"].iter().enumerate() {
        let evaluated = &found(&out)[i].2;
        let results: Vec<(usize, bool)> = evaluated
            .iter()
            .map(|&p| {
                let p = p as usize;
                (
                    p,
                    queue.met(all[&(p, name.to_string(), queue.metric.clone())]),
                )
            })
            .collect();
        let note = format!("{name}: peak_db_queue > 4 holds at db.slots = ");
        let violation = cachestorm::workflow::objective::monotonicity_violation(&results);
        assert_eq!(
            printed.contains(&note),
            violation.is_some(),
            "{name}: {results:?}\n{printed}"
        );
        noted += usize::from(violation.is_some());
    }
    assert!(noted > 0, "the case shows the disagreement: {printed}");
}

#[test]
fn one_strategy_one_replication_runs_points_side_by_side_with_the_same_bytes() {
    // Regression: with one strategy and one replication, a point has a single run, and the
    // sweep took that for a memory limit: one point at a time, with a warning.
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let args = [&GRID[..], &["--strategy", "plain"]].concat();
    let one = sweep(&file, &dir.path().join("one"), "1", &args).success();
    let two = sweep(&file, &dir.path().join("two"), "2", &args).success();
    for a in [&one, &two] {
        assert!(!stderr(a).contains("at a time"), "{}", stderr(a));
    }
    assert_same_folders(
        &dir.path().join("one/slots-sweep"),
        &dir.path().join("two/slots-sweep"),
        "one strategy, one replication: 1 thread vs 2",
    );
    let csv = std::fs::read_to_string(dir.path().join("two/slots-sweep/sweep.csv")).unwrap();
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",p99_latency_ms,"))
            .count(),
        8,
        "every point once"
    );
    // A budget that holds one run but not two: the sweep says so and the bytes stay.
    let tight = sweep(
        &file,
        &dir.path().join("tight"),
        "2",
        &[&args[..], &["--max-memory", "1GB"]].concat(),
    )
    .success();
    assert!(
        stderr(&tight).contains("simulating 1 run at a time instead of 2"),
        "{}",
        stderr(&tight)
    );
    assert_same_folders(
        &dir.path().join("one/slots-sweep"),
        &dir.path().join("tight/slots-sweep"),
        "one run at a time",
    );
}

#[test]
fn a_sweep_reads_its_file_bounded_and_never_replaces_another_scenarios_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // /dev/zero is refused at once, as run and check refuse it.
    let a = sweep(
        Path::new("/dev/zero"),
        &out,
        "1",
        &["--set", "db.slots=2,3"],
    );
    let a = a.code(2);
    assert!(stderr(&a).contains("MiB"), "{}", stderr(&a));
    // A run of a scenario named `slots-sweep` wrote out/slots-sweep: the sweep of `slots`
    // would write the same folder, and is refused before simulating.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        SLOTS.replacen("name = \"slots\"", "name = \"slots-sweep\"", 1),
    )
    .unwrap();
    cachestorm()
        .args(["run", "--no-charts", "--out"])
        .arg(&out)
        .arg(&other)
        .assert()
        .success();
    let before = folder(&out.join("slots-sweep"));
    let a = sweep(&scenario(dir.path()), &out, "1", &["--set", "db.slots=2,3"]);
    let a = a.code(2);
    assert!(stderr(&a).contains("slots-sweep"), "{}", stderr(&a));
    assert_eq!(
        folder(&out.join("slots-sweep")),
        before,
        "the run's folder is kept"
    );
}
