//! `cachestorm phase`: metastability as a measured property. Over a grid of load × trigger
//! cells, every strategy runs the same seeds (common random numbers: seed `k` of every cell and
//! strategy is the same), each run is judged by the recovery verdict and stopped as soon as
//! its verdict cannot change ([`crate::metrics::recovery::Watch`]), and each cell gets
//! P(metastable) with a Wilson 95% interval, the recovery time's median and 90th percentile
//! among the runs that recovered, and the seed of one metastable run to replay.
//!
//! Every cell is checked before anything runs (bad values, unknown fields, a strategy without
//! a trigger or without time for a verdict: one error naming the cell, exit 2). Runs then go
//! side by side on rayon and only their verdicts are kept, gathered by index, so the thread
//! count never changes a byte and memory does not grow with the runs' length.

pub mod boundary;
pub mod files;
pub mod merge;
pub mod output;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::engine::rng::replication_seed;
use crate::engine::SimDuration;
use crate::experiment;
use crate::metrics::recovery::{self, Recovery, RecoveryRule, Watch};
use crate::metrics::Recorder;
use crate::model::setup::Setups;
use crate::model::{self, ModelConfig};
use crate::scenario::overrides::{self, Setting};
use crate::scenario::{self, Scenario};
use crate::text;
use crate::workflow::sweep::Shard;
use crate::workflow::{input, Meter, WorkflowError};

pub use boundary::{wilson, Edge};

/// The label of the one trigger row without `--trigger`.
pub const AS_IN_FILE: &str = "as in the file";

/// Most cells a phase map may have.
pub const MAX_CELLS: usize = 10_000;
/// Most seeds per cell and strategy.
pub const MAX_SEEDS: u32 = 100_000;

/// A checked phase map: the scenario text, its two axes and the command line's choices.
#[derive(Clone, Debug)]
pub struct Phase {
    /// The scenario file, as given.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
    /// `--load`: the fields set together (one, or several joined by commas) and their values.
    pub load_paths: Vec<String>,
    /// The load values, in the order given (ascending numbers).
    pub load: Vec<toml::Value>,
    /// The load values as numbers (durations in seconds).
    pub load_numbers: Vec<f64>,
    /// `--trigger`: one field and its values; `None`: the file's own trigger, one row.
    pub trigger: Option<Setting>,
    /// `--seed`, if given (else the file's).
    pub seed: Option<u64>,
    /// Seeds per cell and strategy.
    pub seeds: u32,
    /// `--strategy` names; empty for every strategy.
    pub strategies: Vec<String>,
    /// `--horizon`: how long after the end of the disturbance a run may go on (else to the
    /// scenario's end).
    pub horizon: Option<SimDuration>,
    /// `--adaptive`: seeds in rounds, more where the interval holds 0.5 (`seeds` at most).
    pub adaptive: bool,
    /// `--budget`: most runs in all.
    pub budget: Option<u64>,
    /// `--shard`: run only the cells whose index modulo N is I - 1.
    pub shard: Option<Shard>,
}

/// Top-level fields that have their own flag.
const OWN_FLAGS: [(&str, &str); 2] = [
    (
        "seed",
        "give --seed; every cell and strategy uses the same seeds",
    ),
    (
        "replications",
        "give --seeds, the runs per cell and strategy",
    ),
];

impl Phase {
    /// Parses `--load PATH[,PATH...]=VALUES` and `--trigger PATH=VALUES` and checks the grid;
    /// the cells themselves are checked by [`check`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &Path,
        text: String,
        load: &str,
        trigger: Option<&str>,
        seed: Option<u64>,
        seeds: u32,
        strategies: Vec<String>,
        horizon: Option<SimDuration>,
    ) -> Result<Phase, String> {
        let (paths, values) = load.split_once('=').ok_or_else(|| {
            format!(
                "--load: `{}` has no `=`: write PATH=VALUES, e.g. clients.rps=400..1200:100",
                text::quote(&text::shorten(load, 60))
            )
        })?;
        let load_paths: Vec<String> = paths.split(',').map(|p| p.trim().to_string()).collect();
        let mut settings = Vec::new();
        for p in &load_paths {
            let s = overrides::parse_setting(&format!("{p}={values}"))
                .map_err(|e| format!("--load: {e}"))?;
            settings.push(s);
        }
        let trigger = trigger
            .map(|t| overrides::parse_setting(t).map_err(|e| format!("--trigger: {e}")))
            .transpose()?;
        for (flag, s) in settings
            .iter()
            .map(|s| ("--load", s))
            .chain(trigger.iter().map(|t| ("--trigger", t)))
        {
            if let Some((_, why)) = OWN_FLAGS.iter().find(|(k, _)| *k == s.path) {
                return Err(format!("{flag}: `{}` cannot be an axis: {why}", s.path));
            }
        }
        let load_values = settings[0].values.clone();
        // The grid of one value per load path and every trigger value refuses a path given
        // twice or inside another.
        let mut axes: Vec<Setting> = settings
            .iter()
            .map(|s| Setting {
                path: s.path.clone(),
                values: vec![s.values[0].clone()],
            })
            .collect();
        axes.extend(trigger.iter().cloned());
        overrides::grid(&axes).map_err(|e| format!("--load/--trigger: {e}"))?;
        let rows = trigger.as_ref().map_or(1, |t| t.values.len());
        let cells = load_values.len().saturating_mul(rows);
        if cells > MAX_CELLS {
            return Err(format!(
                "--load and --trigger make {cells} cells ({} x {rows}); a phase map has at most {MAX_CELLS}",
                load_values.len(),
            ));
        }
        let mut load_numbers = Vec::with_capacity(load_values.len());
        for v in &load_values {
            let Some(x) = overrides::value_number(v) else {
                return Err(format!(
                    "--load: `{}` is not a number or a duration; the load axis is read as a number, to find where P(metastable) crosses 0.5 along it",
                    text::quote(&overrides::value_label(v))
                ));
            };
            load_numbers.push(x);
        }
        if !load_numbers.windows(2).all(|w| w[0] < w[1]) {
            return Err(format!(
                "--load: give the values of `{}` in ascending order (the boundary is looked for from the lowest load up)",
                settings[0].path
            ));
        }
        Ok(Phase {
            file: file.to_path_buf(),
            text,
            load_paths,
            load: load_values,
            load_numbers,
            trigger,
            seed,
            seeds,
            strategies,
            horizon,
            adaptive: false,
            budget: None,
            shard: None,
        })
    }

    /// The cells this process runs: all of them, or a shard's.
    pub fn cells_run(&self) -> Vec<usize> {
        match self.shard {
            Some(s) => s.points(self.cells()).collect(),
            None => (0..self.cells()).collect(),
        }
    }

    /// Seeds of the first round: all of them, or [`ADAPTIVE_BATCH`] with `--adaptive`.
    pub fn first_seeds(&self) -> u32 {
        if self.adaptive {
            self.seeds.min(ADAPTIVE_BATCH)
        } else {
            self.seeds
        }
    }

    /// The same map with `--adaptive` and `--budget`; refuses a budget smaller than the first
    /// round needs (`strategies` per cell).
    pub fn with_effort(
        mut self,
        adaptive: bool,
        budget: Option<u64>,
        shard: Option<Shard>,
        strategies: usize,
    ) -> Result<Phase, String> {
        self.adaptive = adaptive;
        self.budget = budget;
        self.shard = shard;
        if adaptive && budget.is_some() && shard.is_some() {
            return Err("--budget with --adaptive cannot be split into shards: where the runs go depends on every cell; give each shard its own map, or leave --budget out".into());
        }
        let first = self.cells_run().len() as u64 * strategies as u64 * self.first_seeds() as u64;
        if let Some(b) = budget.filter(|&b| b < first) {
            return Err(format!(
                "--budget {b} is fewer runs than {} {}: {} cells x {strategies} strateg{} x {} seeds = {first}; raise it{}",
                if adaptive { "the first round" } else { "the map" },
                if adaptive { "needs" } else { "takes" },
                self.cells(),
                if strategies == 1 { "y" } else { "ies" },
                self.first_seeds(),
                if adaptive { "" } else { ", or give --adaptive to spend more seeds only where the interval holds 0.5" }
            ));
        }
        Ok(self)
    }

    /// Cells in the map: every load value with every trigger value.
    pub fn cells(&self) -> usize {
        self.load.len() * self.rows()
    }

    /// Trigger values: one row without `--trigger`.
    pub fn rows(&self) -> usize {
        self.trigger.as_ref().map_or(1, |t| t.values.len())
    }

    /// The label of trigger row `t`: its value, or `as in the file` without `--trigger`.
    pub fn row_label(&self, t: usize) -> String {
        self.trigger.as_ref().map_or(AS_IN_FILE.to_string(), |s| {
            overrides::value_label(&s.values[t])
        })
    }

    /// Cell `c`'s load and trigger indexes: the load varies slowest.
    pub fn cell(&self, c: usize) -> (usize, usize) {
        (c / self.rows(), c % self.rows())
    }

    /// The settings of cell `c`: (path, value) for each load path, then the trigger.
    pub fn settings(&self, c: usize) -> Vec<(String, toml::Value)> {
        let (l, t) = self.cell(c);
        let mut s: Vec<(String, toml::Value)> = self
            .load_paths
            .iter()
            .map(|p| (p.clone(), self.load[l].clone()))
            .collect();
        if let Some(trigger) = &self.trigger {
            s.push((trigger.path.clone(), trigger.values[t].clone()));
        }
        s
    }

    /// Cell `c` as `clients.rps=600, timeline.1.share=0.5` (escaped).
    pub fn describe(&self, c: usize) -> String {
        let (l, t) = self.cell(c);
        let load = format!(
            "{}={}",
            self.load_paths.join(","),
            text::quote(&overrides::value_label(&self.load[l]))
        );
        match &self.trigger {
            Some(s) => format!(
                "{load}, {}={}",
                s.path,
                text::quote(&overrides::value_label(&s.values[t]))
            ),
            None => load,
        }
    }

    /// The scenario of cell `c`, with the command line's seed and strategies; an error names
    /// the cell, the field and the value.
    pub fn scenario(&self, c: usize) -> Result<Scenario, String> {
        let at = || format!("phase cell {c} of {} ({})", self.cells(), self.describe(c));
        let mut s = scenario::parse_with(&self.text, &self.file, &self.settings(c))
            .map_err(|e| format!("{}: {e}", at()))?;
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        s.study.replications = 1;
        s.study.baseline = None;
        if !self.strategies.is_empty() {
            for wanted in &self.strategies {
                if !s.strategies.iter().any(|st| &st.name == wanted) {
                    let known: Vec<&str> = s.strategies.iter().map(|st| st.name.as_str()).collect();
                    return Err(format!(
                        "{}: --strategy `{}` is not in this file; its strategies are: {}",
                        self.file.display(),
                        text::quote(wanted),
                        text::shorten(&known.join(", "), 200)
                    ));
                }
            }
            s.strategies.retain(|st| self.strategies.contains(&st.name));
        }
        Ok(s)
    }

    /// The seed of run `k` of every cell and strategy.
    pub fn seed_of(&self, base: u64, k: u32) -> u64 {
        replication_seed(base, k)
    }
}

/// A phase map checked and planned, ready to run.
pub struct Checked {
    /// Cell 0's scenario: name, seed, SHA-256, strategies (the same in every cell).
    pub first: Scenario,
    /// Threads that fit the memory budget in every cell.
    pub threads: usize,
    /// Warnings to show before running, each once.
    pub warnings: Vec<String>,
    /// Seconds of simulated time of one run of each strategy in each cell (to its end),
    /// `[cell][strategy]`.
    pub durations_s: Vec<Vec<f64>>,
    /// The memory budget, bytes.
    pub budget: u64,
}

/// When a run of `config` stops at the latest, seconds from its start: its end, or `horizon`
/// after the end of its disturbance if that comes first.
fn horizon_end_s(
    config: &ModelConfig,
    d: recovery::Disturbance,
    horizon: Option<SimDuration>,
) -> f64 {
    let end = config.duration.as_secs_f64();
    horizon.map_or(end, |h| (d.end_s + h.as_secs_f64()).min(end))
}

/// Checks every cell and strategy before anything runs: the scenario must parse with the
/// cell's values, every strategy must have a disturbing timeline event with a whole bucket
/// before it in the second half of the time before it, and time after it for a verdict (the
/// hold, within the horizon). Plans each cell within `budget` bytes.
pub fn check(phase: &Phase, budget: u64) -> Result<Checked, WorkflowError> {
    let most = rayon::current_num_threads();
    let mut threads = most;
    let mut first = None;
    let mut warnings: Vec<String> = Vec::new();
    let mut durations_s = Vec::with_capacity(phase.cells());
    for c in 0..phase.cells() {
        let mut s = phase.scenario(c).map_err(input)?;
        let at = || {
            format!(
                "phase cell {c} of {} ({})",
                phase.cells(),
                phase.describe(c)
            )
        };
        let rule = s.study.recovery;
        durations_s.push(
            s.strategies
                .iter()
                .map(|st| st.config.duration.as_secs_f64())
                .collect(),
        );
        for st in &s.strategies {
            let config = &st.config;
            let Some(d) = experiment::disturbance(config) else {
                return Err(input(format!(
                    "{}: strategy `{}` has no disturbing timeline event (a flush, kill_node, slow_node, drop_node, set_rate, deploy ...): a phase map judges recovery after a trigger",
                    at(),
                    text::quote(&st.name)
                )));
            };
            let width = config.bucket.as_secs_f64();
            let first_whole = (d.first_s / 2.0 / width - 1e-9).ceil().max(0.0);
            if (first_whole + 1.0) * width > d.first_s + 1e-9 {
                return Err(input(format!(
                    "{}: strategy `{}`: the first disturbance at {}s leaves no whole bucket of {}s in the second half of the time before it, where the level to recover to is measured; start it later",
                    at(),
                    text::quote(&st.name),
                    d.first_s,
                    width
                )));
            }
            let hold = rule.hold_s.max(width);
            let end = horizon_end_s(config, d, phase.horizon);
            if end + 1e-9 < d.end_s + hold {
                return Err(input(format!(
                    "{}: strategy `{}`: the disturbance ends at {}s and the run at {}s{}: less than the recovery hold ({}s) for a verdict",
                    at(),
                    text::quote(&st.name),
                    d.end_s,
                    end,
                    if phase.horizon.is_some() { " (--horizon)" } else { "" },
                    hold
                )));
            }
            if !d.removed {
                let w = format!(
                    "{}: strategy `{}`: a disturbance is not over by the end of the run (a node killed and never restored), so no run of it can be metastable",
                    s.name, st.name
                );
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        // Planned with as many runs at once as threads, each keeping only its verdict.
        s.study.replications = (most as u32).min(phase.seeds).max(1);
        let plan =
            experiment::plan(&mut s, budget, most).map_err(|e| input(format!("{}: {e}", at())))?;
        threads = threads.min(plan.threads);
        for (name, from, to) in &plan.lowered {
            let w = format!(
                "{}: strategy `{name}`: limits.max_in_flight lowered from its default {from} to {to} to fit the memory budget",
                s.name
            );
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        for w in &s.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        if first.is_none() {
            first = Some(s);
        }
    }
    Ok(Checked {
        first: first.expect("a phase map has at least one cell"),
        threads: threads.max(1),
        warnings,
        durations_s,
        budget,
    })
}

/// One run's verdict: `None` when no verdict applies (no level before the trigger, or the run
/// diverged and stopped before a verdict).
pub type RunVerdict = Option<Recovery>;

/// Runs `config` with `seed`, stopping once its verdict can no longer change, and judges it.
pub fn judge(
    config: &ModelConfig,
    seed: u64,
    rule: &RecoveryRule,
    horizon: Option<SimDuration>,
    setups: &Setups,
    progress: &(dyn Fn(model::Progress) + Sync),
) -> RunVerdict {
    let d = experiment::disturbance(config)?;
    let longest = config
        .duration
        .0
        .saturating_add(config.drain.map_or(0, |d| d.0));
    let mut recorder = Recorder::new(
        config.duration,
        config.bucket,
        config.db.slots,
        SimDuration(longest),
    )
    .with_watch(Watch::new(d, *rule, horizon_end_s(config, d, horizon)));
    let end = model::run_shared(config, seed, setups, &mut recorder, progress);
    let ended_s = end.at.as_secs_f64().min(config.duration.as_secs_f64());
    let result = recorder.finish(end);
    recovery::verdict(&result.buckets, d, ended_s, rule)
}

/// Every run's verdict, `[cell][strategy][k]`.
pub type Verdicts = Vec<Vec<Vec<RunVerdict>>>;

/// One run to make: cell, strategy and seed index `k`.
type Task = (usize, usize, u32);

/// Seeds of the first round with `--adaptive`, and of each round after it for a cell and
/// strategy whose interval still holds 0.5 (at most `--seeds` in all).
pub const ADAPTIVE_BATCH: u32 = 8;

/// How the runs went: rounds made (1 without `--adaptive`) and runs in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effort {
    /// Rounds of runs.
    pub rounds: u32,
    /// Runs made.
    pub runs: u64,
}

/// Starts a meter for a round: its name and the simulated seconds of its runs.
pub type RoundMeter<'a> = &'a dyn Fn(&str, f64) -> Box<dyn Meter>;

/// Runs every cell and strategy with `--seeds` seeds, or with `--adaptive` in rounds:
/// [`ADAPTIVE_BATCH`] seeds first, then a batch more, round after round, wherever the Wilson
/// interval still holds 0.5, up to `--seeds`, within `--budget` runs (the cells nearest 0.5
/// first when the budget binds). The verdicts by cell, strategy and seed: `[cell][strategy][k]`.
/// Every round's choice depends on verdicts only, and runs are gathered by index, so the
/// thread count never changes a byte.
pub fn run(
    phase: &Phase,
    checked: &Checked,
    meter: RoundMeter,
) -> Result<(Verdicts, Effort), WorkflowError> {
    let strategies = checked.first.strategies.len();
    let mut all: Verdicts = vec![vec![Vec::new(); strategies]; phase.cells()];
    let first = phase.first_seeds();
    let mut tasks: Vec<Task> = phase
        .cells_run()
        .into_iter()
        .flat_map(|c| (0..strategies).flat_map(move |i| (0..first).map(move |k| (c, i, k))))
        .collect();
    let mut effort = Effort::default();
    while !tasks.is_empty() {
        effort.rounds += 1;
        let name = if phase.adaptive {
            format!("{} round {}", checked.first.name, effort.rounds)
        } else {
            checked.first.name.clone()
        };
        let simulated: f64 = tasks
            .iter()
            .map(|&(c, i, _)| checked.durations_s[c][i])
            .sum();
        let bar = meter(&name, simulated);
        let verdicts = execute(phase, checked, &tasks, bar.as_ref())?;
        bar.finish();
        effort.runs += tasks.len() as u64;
        for (&(c, i, _), v) in tasks.iter().zip(verdicts) {
            all[c][i].push(v);
        }
        if !phase.adaptive {
            break;
        }
        tasks = next_round(
            phase,
            &all,
            phase.budget.map(|b| b.saturating_sub(effort.runs)),
        );
    }
    Ok((all, effort))
}

/// The runs of the next adaptive round: a batch more for each cell and strategy whose
/// interval holds 0.5 and that has fewer than `--seeds`, nearest 0.5 first, as many as `left`
/// runs allow.
fn next_round(phase: &Phase, all: &[Vec<Vec<RunVerdict>>], left: Option<u64>) -> Vec<Task> {
    let seed_of = |k: u32| k as u64;
    let mut wanted: Vec<(f64, usize, usize, u32)> = Vec::new();
    for (c, cell) in all.iter().enumerate() {
        for (i, v) in cell.iter().enumerate() {
            let s = CellStats::of(v, seed_of);
            let n = v.len() as u32;
            if let Some(p) = s.p {
                if s.ci.0 <= 0.5 && s.ci.1 >= 0.5 && n < phase.seeds {
                    wanted.push(((p - 0.5).abs(), c, i, n));
                }
            }
        }
    }
    wanted.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut left = left.unwrap_or(u64::MAX);
    let mut tasks = Vec::new();
    for (_, c, i, n) in wanted {
        let more = ADAPTIVE_BATCH.min(phase.seeds - n) as u64;
        let more = more.min(left);
        if more == 0 {
            break;
        }
        left -= more;
        tasks.extend((n..n + more as u32).map(|k| (c, i, k)));
    }
    // In cell order, so each cell's scenario is built once per round.
    tasks.sort_unstable();
    tasks
}

/// Makes `tasks` (sorted by cell), a few cells at a time side by side, and returns their
/// verdicts in the same order.
fn execute(
    phase: &Phase,
    checked: &Checked,
    tasks: &[Task],
    progress: &dyn Meter,
) -> Result<Vec<RunVerdict>, WorkflowError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(checked.threads)
        .build()
        .map_err(|e| {
            WorkflowError::Other(anyhow::anyhow!(
                "cannot start {} threads: {e}",
                checked.threads
            ))
        })?;
    let base = checked.first.seed;
    // Popularity tables and placements are built once and shared by every run with the same
    // inputs: those of the first cell stay for the whole map (cells usually differ only in
    // load), those of other cells while their chunk runs.
    let setups = Setups::default();
    let pinned = || checked.first.strategies.iter().map(|s| &s.config);
    pinned().for_each(|c| setups.expect(c));
    let mut out = Vec::with_capacity(tasks.len());
    // A few cells at a time: their scenarios are all that is held besides the verdicts.
    let chunk_cells = (checked.threads * 4).max(1);
    let mut from = 0;
    while from < tasks.len() {
        let mut cells: Vec<usize> = Vec::new();
        let mut to = from;
        while to < tasks.len() {
            let c = tasks[to].0;
            if cells.last() != Some(&c) {
                if cells.len() == chunk_cells {
                    break;
                }
                cells.push(c);
            }
            to += 1;
        }
        let scenarios: Vec<Scenario> = cells
            .iter()
            .map(|&c| {
                let mut s = phase.scenario(c).map_err(input)?;
                s.study.replications = (checked.threads as u32).min(phase.seeds).max(1);
                experiment::plan(&mut s, checked.budget, checked.threads).map_err(input)?;
                Ok(s)
            })
            .collect::<Result<_, WorkflowError>>()?;
        for &(c, i, _) in &tasks[from..to] {
            let g = cells
                .iter()
                .position(|&x| x == c)
                .expect("the chunk's cell");
            setups.expect(&scenarios[g].strategies[i].config);
        }
        let verdicts: Vec<RunVerdict> = pool.install(|| {
            tasks[from..to]
                .par_iter()
                .map(|&(c, i, k)| {
                    let g = cells
                        .iter()
                        .position(|&x| x == c)
                        .expect("the chunk's cell");
                    let s = &scenarios[g];
                    let config = &s.strategies[i].config;
                    let verdict = judge(
                        config,
                        phase.seed_of(base, k),
                        &s.study.recovery,
                        phase.horizon,
                        &setups,
                        &|p| progress.advance(p),
                    );
                    setups.done(config);
                    verdict
                })
                .collect()
        });
        out.extend(verdicts);
        from = to;
    }
    pinned().for_each(|c| setups.done(c));
    Ok(out)
}

/// What the runs of one cell and strategy say.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStats {
    /// Runs made.
    pub runs: u32,
    /// Runs with a verdict.
    pub judged: u32,
    /// Runs judged metastable.
    pub metastable: u32,
    /// Runs that recovered.
    pub recovered: u32,
    /// metastable / judged (`None` without a judged run).
    pub p: Option<f64>,
    /// Wilson 95% interval of `p` (0 to 1 without a judged run).
    pub ci: (f64, f64),
    /// Median and 90th percentile of the recovery time among the runs that recovered, seconds
    /// (nearest rank).
    pub recovery_p50_s: Option<f64>,
    pub recovery_p90_s: Option<f64>,
    /// The seed of the first metastable run (in seed order), to replay it.
    pub replay_seed: Option<u64>,
}

impl CellStats {
    /// The statistics of `verdicts`, run with the seeds `seed_of(k)`.
    pub fn of(verdicts: &[RunVerdict], seed_of: impl Fn(u32) -> u64) -> CellStats {
        let judged = verdicts.iter().flatten().count() as u32;
        let metastable = verdicts.iter().flatten().filter(|r| r.metastable).count() as u32;
        let mut times: Vec<f64> = verdicts
            .iter()
            .flatten()
            .filter(|r| r.recovered())
            .map(|r| r.recovery_s)
            .collect();
        times.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let n = times.len();
            (n > 0).then(|| times[((q * n as f64).ceil() as usize).clamp(1, n) - 1])
        };
        let replay_seed = verdicts
            .iter()
            .position(|v| v.is_some_and(|r| r.metastable))
            .map(|k| seed_of(k as u32));
        CellStats {
            runs: verdicts.len() as u32,
            judged,
            metastable,
            recovered: times.len() as u32,
            p: (judged > 0).then(|| metastable as f64 / judged as f64),
            ci: wilson(metastable, judged),
            recovery_p50_s: rank(0.5),
            recovery_p90_s: rank(0.9),
            replay_seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(load: &str, trigger: &str) -> Result<Phase, String> {
        Phase::new(
            Path::new("f.toml"),
            String::new(),
            load,
            Some(trigger),
            None,
            4,
            Vec::new(),
            None,
        )
    }

    #[test]
    fn axes_are_checked_before_any_cell() {
        let p = phase(
            "clients.rps,timeline.2.rps=100..300:100",
            "timeline.1.rps=1000,2000",
        )
        .unwrap();
        assert_eq!(p.cells(), 6);
        assert_eq!(p.cell(3), (1, 1));
        let s = p.settings(3);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].1, toml::Value::Integer(200));
        assert_eq!(
            s[1],
            ("timeline.2.rps".to_string(), toml::Value::Integer(200))
        );
        assert_eq!(s[2].1, toml::Value::Integer(2000));
        for (load, trigger, needle) in [
            ("clients.rps=300,200", "timeline.1.share=1", "ascending"),
            ("cache.policy=lru,lfu", "timeline.1.share=1", "not a number"),
            ("clients.rps=1,2", "clients.rps=3", "set twice"),
            ("seed=1,2", "timeline.1.share=1", "--seed"),
            ("clients.rps", "timeline.1.share=1", "no `=`"),
            (
                "clients.rps=1..200:1",
                "timeline.1.share=0..1:0.01",
                "at most 10000",
            ),
            ("clients.rps=1", "timeline=1", "by its index"),
        ] {
            let e = phase(load, trigger).unwrap_err();
            assert!(e.contains(needle), "{load} {trigger}: {e}");
        }
    }

    #[test]
    fn cell_stats_count_quantiles_and_replay_the_first_metastable_seed() {
        let rec = |s: f64| {
            Some(Recovery {
                recovery_s: s,
                metastable: false,
            })
        };
        let meta = Some(Recovery {
            recovery_s: f64::INFINITY,
            metastable: true,
        });
        let v = [rec(3.0), None, meta, rec(1.0), rec(2.0), meta];
        let s = CellStats::of(&v, |k| 100 + k as u64);
        assert_eq!((s.runs, s.judged, s.metastable, s.recovered), (6, 5, 2, 3));
        assert_eq!(s.p, Some(0.4));
        assert_eq!(s.recovery_p50_s, Some(2.0));
        assert_eq!(s.recovery_p90_s, Some(3.0));
        assert_eq!(s.replay_seed, Some(102));
        assert!(s.ci.0 < 0.4 && s.ci.1 > 0.4);
        let none = CellStats::of(&[None, None], |k| k as u64);
        assert_eq!(
            (none.p, none.ci, none.replay_seed),
            (None, (0.0, 1.0), None)
        );
    }
}
