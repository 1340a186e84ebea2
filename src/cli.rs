//! Command-line arguments (clap derive types only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::ImageFormat;
use crate::workflow::sweep::Shard;

mod phase;
pub use phase::PhaseArgs;

/// Deterministic discrete-event simulator of cache failure modes.
///
/// Replays a scenario file (clients, app instances, cache cluster, database) under each of its
/// strategies on the same seeded workload, and writes CSV and charts of latency, hit ratio and
/// database load side by side.
#[derive(Debug, Parser)]
#[command(
    name = "cachestorm",
    version,
    after_help = "Examples:\n  cachestorm run scenarios/avalanche.toml\n  cachestorm run scenarios/avalanche.toml --strategy fixed-ttl --format svg --out /tmp/results\n  cachestorm sweep scenarios/capacity-flush.toml --set db.slots=8..128:8 --find \"p99_latency_ms < 50\"\n  cachestorm validate scenarios/*.toml\n  cachestorm check scenarios/*.toml --junit check.xml\n\nExit codes: 0 success, 3 (check) an expectation failed, 2 bad input (file, field or argument), 1 any\nother failure, 130 Ctrl-C."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every strategy of each scenario file and write CSV and charts.
    #[command(
        after_help = "Example:\n  cachestorm run scenarios/avalanche.toml\n  cachestorm run scenarios/avalanche.toml --replications 5 --no-charts\n\nWrites OUT/<scenario name>/ (OUT/<name>-seed-N/ with another --seed than the file's,\n-rR with other --replications): timeseries.csv, summary.csv, summary.json, the charts\n(latency_p99, db_load, hit_ratio, errors, latency_p99_by_strategy, db_load_by_strategy,\nerrors_by_strategy; freshness, goodput, retry and node charts when relevant) and run.toml (version, scenario file and its\nSHA-256, seed, format, strategies, files), then prints one line per strategy with its headline\nfigures. With replications, summary.csv holds means, and replications.csv and intervals.csv\n(95% confidence intervals, paired differences from the file's baseline) join it.\nThe folder is replaced whole at the end; a folder holding other files, or being written by\nanother run, is refused before simulating."
    )]
    Run(RunArgs),
    /// Probability that all of a request's k dependencies hit: analytic, and simulated with a
    /// scenario whose strategies vary the fan-out.
    #[command(
        after_help = "Examples:\n  cachestorm fanout --deps 5 --hit-rate 0.5\n  cachestorm fanout --deps 10 --target 0.95\n  cachestorm fanout --scenario scenarios/fanout.toml\n\nWith --scenario, also writes OUT/<scenario name>/fanout.csv, fanout_all_hit.png and\nfanout_latency.png beside the usual outputs."
    )]
    Fanout(FanoutArgs),
    /// Run scenario files and judge their expectations ([[expect]]) and, with --baseline, a
    /// saved baseline: the command for CI.
    #[command(
        after_help = "Examples:\n  cachestorm check scenarios/avalanche.toml\n  cachestorm check scenarios/*.toml --junit check.xml\n  cachestorm check scenario.toml --save-baseline main\n  cachestorm check scenario.toml --baseline main\n\nAn expectation in the scenario file:\n  [[expect]]\n  strategy = \"jittered-ttl\"\n  metric = \"peak_db_queries_per_s\"   # a column of summary.csv\n  at_most = 2000                     # and/or at_least; with of = \"other\" a factor of its figure\n\nWith replications a bound must hold for the whole 95% confidence interval, and a baseline\ncomparison fails only when the worsening beyond [check].tolerance is beyond the noise. A\nbaseline saved from another version of the file is compared strategy by strategy (by name),\nwith a note; --strict-baseline refuses it instead.\n\nExit codes: 0 every expectation met, 3 an expectation failed or had no data, 2 bad input\n(file, field, argument, baseline, an output path that cannot be written), 1 any other\nfailure. --junit FILE is written for every outcome."
    )]
    Check(CheckArgs),
    /// Run a scenario over values of its fields (a grid of points), or find the smallest value
    /// meeting an objective.
    #[command(after_help = SWEEP_HELP)]
    Sweep(SweepArgs),
    /// Combine the folders of `sweep --shard` (or `phase --shard`) runs into the files one
    /// unsharded sweep (or phase map) writes.
    #[command(
        after_help = "Example:\n  cachestorm merge output/capacity-flush-sweep-shard-*-of-4 --out output\n\nChecks that the folders are shards 1 to N of one sweep (same scenario bytes, settings,\nstrategies, seed, replications, metric and cachestorm version), each exactly once, and that every row\nthe sweep implies is there, once, with finite numbers, then writes OUT/<scenario name>-sweep/ byte\nfor byte as the unsharded sweep would have; exits 2 otherwise."
    )]
    Merge(MergeArgs),
    /// Map P(metastable) over load x trigger size, with Wilson intervals, for every strategy:
    /// where each mitigation moves the boundary.
    #[command(after_help = phase::PHASE_HELP)]
    Phase(PhaseArgs),
    /// Fit a synthetic scenario to a trace (rate over time, keys, Zipf exponent, write
    /// share) and compare the two on hit ratio.
    #[command(
        after_help = "Examples:\n  cachestorm fit scenarios/traces/shop.csv.zst --format csv --columns time=t_ms,key=key,op=op --time-unit ms\n  cachestorm fit cluster52.oracleGeneral.zst --format oracle-general --out twin.toml\n\nWrites a scenario file (default: <trace name>-fit.toml here) whose clients read at the\ntrace's rate bucket by bucket (a set_rate timeline), over its keys with the fitted Zipf\nexponent, with its write share; prints the fit's goodness and the hit ratios of the trace\nand the scenario at cache sizes of 1%, 10% and 50% of the keys (one replay each).\nExits 2 on a missing or malformed trace or a bad argument."
    )]
    Fit(FitArgs),
    /// Diagnose a scenario's base strategy over replications, then rerun it with each
    /// mitigation its findings suggest and report what each changed, with 95% intervals.
    #[command(
        after_help = "Examples:\n  cachestorm diagnose scenarios/thundering-herd.toml\n  cachestorm diagnose scenarios/avalanche.toml --strategy fixed-ttl --replications 8 --json\n\nThe strategy diagnosed is --strategy, else the file's `baseline`, else its first strategy. A\nfailure mode holds when it holds in more than half of the replications (\"in k of R\"). Each\nmitigation suggested for it is switched on at one documented default setting over that\nstrategy's own settings (src/diagnose/advice.rs) and run on the same seeds; the change of\nthe finding's figure, the p99 latency (over the run and its worst second), the error ratio and the database queries per second\nis the mean of the paired differences with its 95% interval: `better` or `worse` when the\ninterval excludes 0. A mitigation that cannot apply, does nothing in the scenario, is\nalready on or needs a scenario-specific value is listed with the reason. Writes no files\nunless --out DIR: then DIR/<scenario name>-diagnose/ holds the runs' CSVs, charts and\nreport.html with a \"Checked advice\" section.\n\nExit codes: 0 success, 2 bad input (file, field or argument), 1 any other failure."
    )]
    Diagnose(DiagnoseArgs),
    /// Check scenario files without running them.
    #[command(
        after_help = "Example:\n  cachestorm validate scenarios/*.toml\n\nPrints one line per file; exits 2 if any file has an error."
    )]
    Validate(ValidateArgs),
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Parent folder of the outputs: each scenario writes to DIR/<scenario name>/.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Seed for every random stream, instead of the file's own (0 to 2^63 - 1, as in a file).
    #[arg(long, value_name = "N", value_parser = seed_range())]
    pub seed: Option<u64>,
    /// Run only this strategy (repeat for several); it must exist in every file.
    #[arg(long = "strategy", value_name = "NAME")]
    pub strategies: Vec<String>,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value_t = ImageFormat::Png)]
    pub format: ImageFormat,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory). A run that
    /// would need more is refused before it starts; fewer strategies run at once when that fits.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Independent replications per strategy, instead of the file's `replications` (1 to
    /// 10000). Replication r of every strategy sees the same draws; summary.csv then holds
    /// means, and replications.csv and intervals.csv (95% confidence intervals, paired
    /// differences from the file's `baseline`) join it; charts draw each line's mean over the
    /// replications with a band from the lowest to the highest.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Write no charts (the CSVs, summary.json, report.html without its charts and run.toml
    /// only): faster, for scripts.
    #[arg(long = "no-charts")]
    pub no_charts: bool,
    /// Write no report.html (the one page with the verdict, ranking and charts).
    #[arg(long = "no-report")]
    pub no_report: bool,
    /// Print each scenario's summary.json on one line of standard output (JSON Lines)
    /// instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write a Markdown table of every scenario's headline figures to FILE, for a design
    /// document.
    #[arg(long = "export-markdown", value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files (TOML) with [[expect]] entries (or judged against --baseline).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Seed for every random stream, instead of the file's own.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Independent replications per strategy, instead of the file's `replications`.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Save every figure of this run as baseline NAME (BASELINES/<scenario>/NAME.json).
    #[arg(long = "save-baseline", value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// Compare with baseline NAME: fail when a figure of [check].metrics worsened by more
    /// than [check].tolerance (default 10%).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// With --baseline: refuse (exit 2) a baseline saved from another version of the scenario
    /// file, or with other seeds, replications or warm-up, instead of comparing strategies by
    /// name with a note.
    #[arg(long = "strict-baseline", requires = "baseline")]
    pub strict_baseline: bool,
    /// Folder of saved baselines.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    pub baselines: PathBuf,
    /// Also write the judgements as JUnit XML, whatever the outcome (one test case per
    /// expectation and comparison; an error case when the input is refused).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory).
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

const SWEEP_HELP: &str = "Examples:
  cachestorm sweep scenarios/capacity-flush.toml --set db.slots=16..96:8 --replications 3
  cachestorm sweep scenarios/capacity-flush.toml --set clients.rps=20000 --set db.slots=8..128:8 --find \"p99_latency_ms < 50\"
  cachestorm sweep scenarios/capacity-flush.toml --set db.slots=8..128:8 --find \"p99_latency_ms < 100\" --find \"error_ratio < 0.001\"
  cachestorm sweep scenarios/avalanche.toml --set cache.ttl_jitter=0,0.1,0.2 --set db.slots=8,16 --metric peak_db_queries_per_s
  parallel cachestorm sweep FILE --set db.slots=8..128:8 --shard {}/4 ::: 1 2 3 4 && cachestorm merge output/NAME-sweep-shard-*-of-4

VALUES is a list (0,0.1,0.2 or 30s,60s), a range START..END:STEP (8..128:8, END included when a
step lands on it) or a geometric range START..END:*FACTOR (1000..64000:*2). Several --set make a
grid: every combination of their values is a point, the first --set varying slowest. A setting
changes the base scenario; a strategy that sets the same field keeps its own value. Every point
is checked before anything runs. Replication r of every point and strategy uses the same seed.

Writes OUT/<scenario name>-sweep/: sweep.csv (one row per point, strategy and summary metric:
the swept values, replications, mean and 95% confidence interval), sweep_<metric>.png (the
metric against the first swept parameter with several numeric values, one line per strategy,
with confidence bands; one chart per combination of the other parameters' values, numbered
sweep_<metric>_1.png ...) and sweep.toml (version, scenario file and its SHA-256, seed,
settings, strategies, files). --shard I/N runs only the points whose index modulo N is I-1 and
writes OUT/<scenario name>-sweep-shard-I-of-N/ for `cachestorm merge`. --no-charts writes
sweep.csv and sweep.toml only. Points run side by side as far as --max-memory allows; the
files are the same whatever the number of threads.";

/// Arguments of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A field and its values, such as db.slots=8..128:8 or cache.ttl_jitter=0,0.1,0.2
    /// (repeat for a grid).
    #[arg(long = "set", value_name = "PATH=VALUES", required = true)]
    pub settings: Vec<String>,
    /// Summary metric to chart and print (a column of summary.csv).
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// Objective such as "p99_latency_ms < 50": with one --set of several numeric values, find
    /// the smallest value meeting it for each strategy by bisection (judged on the mean over
    /// replications), running only the points the search needs. Repeat for several objectives
    /// that must all hold.
    #[arg(long, value_name = "OBJECTIVE")]
    pub find: Vec<String>,
    /// Run only this strategy (repeat for several).
    #[arg(long = "strategy", value_name = "NAME")]
    pub strategies: Vec<String>,
    /// Independent replications per strategy and point, instead of the file's `replications`.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Seed for every random stream, instead of the file's own (0 to 2^63 - 1).
    #[arg(long, value_name = "N", value_parser = seed_range())]
    pub seed: Option<u64>,
    /// Run only shard I of N: the points whose index modulo N is I-1 (1 <= I <= N), into
    /// OUT/<scenario name>-sweep-shard-I-of-N/, for `cachestorm merge`.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Parent folder of the outputs.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value_t = ImageFormat::Png)]
    pub format: ImageFormat,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory). A point that
    /// would need more is refused before anything runs; points run side by side as far as the
    /// budget allows.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Write no charts (sweep.csv and sweep.toml only): faster, for scripts.
    #[arg(long = "no-charts")]
    pub no_charts: bool,
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders written by `sweep --shard I/N`, one per shard, in any order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Parent folder of the merged outputs: DIR/<scenario name>-sweep/.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Write no charts (sweep.csv and sweep.toml only).
    #[arg(long = "no-charts")]
    pub no_charts: bool,
}

/// Arguments of `diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The strategy to diagnose (default: the file's `baseline`, else its first strategy).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,
    /// Replications, at least 2 (default: the file's when 2 or more, else 5).
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub replications: Option<u32>,
    /// Seed instead of the file's own (0 to 2^63 - 1).
    #[arg(long, value_name = "N", value_parser = seed_range())]
    pub seed: Option<u64>,
    /// Print one JSON document instead of the text.
    #[arg(long)]
    pub json: bool,
    /// Also write the runs (the base and every mitigation tried) to DIR/<scenario name>-diagnose/:
    /// the CSVs, PNG charts and report.html with a "Checked advice" section.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory).
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// The trace file (zstd-compressed or not).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// Its layout: csv (with --columns), twitter or oracle-general.
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// A CSV trace's columns by header name: time=NAME,key=NAME[,op=NAME][,size=NAME][,ttl=NAME].
    #[arg(long, value_name = "MAP")]
    pub columns: Option<String>,
    /// Unit of a CSV trace's time column: s, ms, us or ns.
    #[arg(long = "time-unit", value_name = "UNIT", default_value = "s")]
    pub time_unit: String,
    /// The scenario file written (default: <trace name>-fit.toml in the current folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Width of the rate profile's buckets in whole seconds (default: the trace in at most
    /// 60 buckets).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub bucket: Option<u64>,
    /// Skip the hit-ratio comparison (the replays).
    #[arg(long = "no-compare")]
    pub no_compare: bool,
}

/// Arguments of `fanout`.
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Dependencies per request (k).
    #[arg(long, value_name = "K")]
    pub deps: Option<u32>,
    /// Probability that one dependency hits (h, 0 to 1).
    #[arg(long = "hit-rate", value_name = "H")]
    pub hit_rate: Option<f64>,
    /// All-hit probability to reach; prints the per-dependency hit rate it needs.
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub target: f64,
    /// Scenario to simulate; each strategy's `clients.fanout` is its k.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Parent folder of the outputs (with --scenario).
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Seed instead of the scenario's own (0 to 2^63 - 1).
    #[arg(long, value_name = "N", value_parser = seed_range())]
    pub seed: Option<u64>,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value_t = ImageFormat::Png)]
    pub format: ImageFormat,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory). A run that
    /// would need more is refused before it starts; fewer strategies run at once when that fits.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// Seeds the command line accepts: those a scenario file can hold (a TOML integer), which the
/// manifests (`run.toml`, `sweep.toml`) can record.
fn seed_range() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(..=i64::MAX as u64)
}

/// Parses a memory size: a number with an optional unit, `B`, `kB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`,
/// `TB`/`TiB` (`K`, `M`, `G`, `T` alone are the binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a size such as 8GB, 512MiB or 2G".to_string())?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err("unknown unit; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB".into()),
    };
    let bytes = value * scale;
    if !(1.0..1e18).contains(&bytes) {
        return Err("must be at least 1 byte and below 1 EB".into());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn a_seed_a_manifest_cannot_record_is_refused() {
        // Regression: `run --seed 18446744073709551615` panicked writing run.toml.
        use clap::Parser;
        for sub in ["run", "sweep", "fanout"] {
            let mut args = vec!["cachestorm", sub];
            match sub {
                "run" => args.push("f.toml"),
                "sweep" => args.extend(["f.toml", "--set", "db.slots=1"]),
                _ => args.extend(["--deps", "2"]),
            }
            let with = |seed: &'static str| {
                let mut all = args.clone();
                all.extend(["--seed", seed]);
                super::Cli::try_parse_from(all)
            };
            assert!(with("9223372036854775807").is_ok(), "{sub}");
            let err = with("9223372036854775808").unwrap_err();
            assert_eq!(err.exit_code(), 2, "{sub}");
        }
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("8GB"), Ok(8_000_000_000));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "GB", "8XB", "-1GB", "0", "1e30"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
