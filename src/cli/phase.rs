//! Arguments of `cachestorm phase` (clap derive types only).

use std::path::PathBuf;

use clap::Args;

use super::{parse_size, seed_range};
use crate::report::ImageFormat;
use crate::workflow::sweep::Shard;

pub(super) const PHASE_HELP: &str = "Examples:
  cachestorm phase scenarios/metastable-retry-storm.toml --load clients.rps=400..2200:150 --seeds 10
  cachestorm phase scenarios/congestive-collapse.toml --load clients.rps,timeline.2.rps=1000..3000:250 --trigger timeline.1.rps=4000,6000,8000 --horizon 60s
  cachestorm phase FILE --load clients.rps=400..1200:100 --trigger timeline.1.factor=2,5,10 --adaptive --seeds 40
  parallel cachestorm phase FILE --load ... --trigger ... --shard {}/4 ::: 1 2 3 4 && cachestorm merge output/NAME-phase-shard-*-of-4

--load and --trigger take PATH=VALUES as sweep's --set does; a timeline entry's field is set by
its index from 0 (timeline.1.rps). Several load paths joined by commas take the same value (a
rate and the set_rate that returns to it). The load values are numbers in ascending order.

Every cell runs every strategy with the same --seeds seeds (common random numbers). Each run is
judged by the recovery verdict ([recovery] in the file) and stops once the verdict cannot change:
recovered and held for the hold, or at the horizon (the end of the run, or --horizon after the
end of the disturbance). Every cell is checked before anything runs.

Writes OUT/<scenario name>-phase/: phase.csv (per cell and strategy: runs, metastable, p with
its Wilson 95% interval, recovery p50 and p90 among the recovered, the seed of one metastable
run), phase_<strategy>.png (heat map of p with the p = 0.5 boundary), boundaries.png (every
strategy's boundary) and phase.toml. --adaptive spends seeds in rounds where the interval holds
0.5; --budget caps the runs; --shard I/N runs a share of the cells for `cachestorm merge`. Prints, per strategy, the boundary along the load
axis for each trigger value with its interval, and the command replaying a metastable run.
The files are the same whatever the number of threads.";

/// Arguments of `phase`.
#[derive(Debug, Args)]
pub struct PhaseArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The load axis: a field (or several joined by commas, set together) and its values in
    /// ascending order, such as clients.rps=400..1200:100.
    #[arg(long, value_name = "PATH=VALUES")]
    pub load: String,
    /// The trigger axis: a field and its values, such as timeline.1.rps=4000,8000 (without it,
    /// one row: the file's own trigger).
    #[arg(long, value_name = "PATH=VALUES")]
    pub trigger: Option<String>,
    /// Runs per cell and strategy, each with its own seed, the same in every cell and for
    /// every strategy.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub seeds: u32,
    /// Run only this strategy (repeat for several).
    #[arg(long = "strategy", value_name = "NAME")]
    pub strategies: Vec<String>,
    /// Seeds in rounds: 8 for every cell and strategy first, then 8 more, round after round,
    /// wherever the Wilson interval still holds 0.5, up to --seeds.
    #[arg(long)]
    pub adaptive: bool,
    /// Most runs in all (with --adaptive, the rounds stop there, the cells nearest 0.5 served
    /// first; without it, a map needing more is refused).
    #[arg(long, value_name = "RUNS", value_parser = clap::value_parser!(u64).range(1..))]
    pub budget: Option<u64>,
    /// Base seed, instead of the file's own (0 to 2^63 - 1).
    #[arg(long, value_name = "N", value_parser = seed_range())]
    pub seed: Option<u64>,
    /// Stop a run that has not recovered this long after the end of its disturbance (such as
    /// 60s), instead of at the end of the scenario.
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// Run only shard I of N: the cells whose index modulo N is I-1, into
    /// OUT/<scenario name>-phase-shard-I-of-N/ (phase.csv and phase.toml), for `cachestorm merge`.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Parent folder of the outputs.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value_t = ImageFormat::Png)]
    pub format: ImageFormat,
    /// Memory budget, such as 8GB or 512MiB (default: half the machine's memory).
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Write no charts (phase.csv and phase.toml only).
    #[arg(long = "no-charts")]
    pub no_charts: bool,
}
