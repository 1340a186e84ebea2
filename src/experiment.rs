//! Runs every strategy of a scenario on rayon and gathers the results in input order; for a
//! sweep, every strategy of every point at once ([`run_each`]).
//!
//! Each simulation is single-threaded; strategies run side by side and results are collected by
//! index, so the thread count never changes a byte of output.

use rayon::prelude::*;

use crate::engine::rng::replication_seed;
use crate::engine::SimDuration;
use crate::metrics::recovery::{Disturbance, RecoveryRule};
use crate::metrics::{Recorder, RunResult};
pub use crate::metrics::{ScenarioResult, StrategyResult, StudyResult};
use crate::model::setup::Setups;
use crate::model::{self, footprint, ModelConfig, Progress};
use crate::scenario::Scenario;

/// The memory one run of `config` needs: the model's structures, and its results at the
/// metrics' sizes of a row.
pub fn footprint(config: &ModelConfig) -> footprint::Footprint {
    let rows = footprint::RowBytes {
        bucket: crate::metrics::BYTES_PER_BUCKET_ROW,
        node: crate::metrics::BYTES_PER_NODE_ROW,
    };
    footprint::footprint(config, rows)
}

/// Runs one configuration with `seed` and measures it: the model observed by a
/// [`Recorder`]. `progress` is called as the run advances.
pub fn simulate(
    config: &ModelConfig,
    seed: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> RunResult {
    simulate_after(
        config,
        seed,
        SimDuration::ZERO,
        &RecoveryRule::default(),
        progress,
    )
}

/// [`simulate`], with the whole-run figures measured from `warmup` on (a whole number of
/// buckets; the buckets' own rows are all kept) and the recovery verdict reached by `recovery`.
pub fn simulate_after(
    config: &ModelConfig,
    seed: u64,
    warmup: SimDuration,
    recovery: &RecoveryRule,
    progress: &(dyn Fn(Progress) + Sync),
) -> RunResult {
    simulate_shared(config, seed, warmup, recovery, &Setups::default(), progress)
}

/// [`simulate_after`] taking its read-only tables from `setups`; a run declared there
/// ([`Setups::expect`]) is marked done when it ends.
fn simulate_shared(
    config: &ModelConfig,
    seed: u64,
    warmup: SimDuration,
    recovery: &RecoveryRule,
    setups: &Setups,
    progress: &(dyn Fn(Progress) + Sync),
) -> RunResult {
    let warmup_buckets = (warmup.0 / config.bucket.0) as usize;
    let longest = config
        .duration
        .0
        .saturating_add(config.drain.map_or(0, |d| d.0));
    let mut recorder = Recorder::new(
        config.duration,
        config.bucket,
        config.db.slots,
        crate::engine::SimDuration(longest),
    );
    if let Some(cache) = config
        .cache
        .as_ref()
        .filter(|_| model::has_node_faults(config))
    {
        recorder = recorder.with_nodes(cache.nodes);
    }
    if warmup_buckets > 0 {
        recorder = recorder.with_warmup(warmup_buckets);
    }
    let end = model::run_shared(config, seed, setups, &mut recorder, progress);
    setups.done(config);
    let mut result = recorder.finish(end);
    let measured =
        &result.buckets[crate::metrics::measured_from(warmup_buckets, result.buckets.len())..];
    result.summary.worst = crate::metrics::WorstBucket::of(measured, config.db_capacity_qps());
    if let Some(d) = disturbance(config) {
        result.summary.recovery = crate::metrics::recovery::verdict(
            &result.buckets,
            d,
            config.duration.as_secs_f64(),
            recovery,
        );
    }
    result
}

/// The disturbances of `config`'s timeline (every event but a preload), if it has any: the
/// first, when the last one ends (a slow or lossy spell when it lasts, a rate change when its
/// ramp ends), and whether all of them are over before the run ends (every node killed is
/// restored later).
pub fn disturbance(config: &ModelConfig) -> Option<Disturbance> {
    use crate::model::TimelineAction;
    let triggers: Vec<_> = config.timeline.iter().filter(|e| e.is_trigger()).collect();
    let first_s = triggers
        .iter()
        .map(|e| e.at.as_secs_f64())
        .reduce(f64::min)?;
    let end_of = |e: &crate::model::TimelineEvent| {
        let lasting = match &e.action {
            TimelineAction::SlowNode { lasting, .. } | TimelineAction::DropNode { lasting, .. } => {
                lasting.0
            }
            TimelineAction::SetRate { ramp, .. } => ramp.0,
            _ => 0,
        };
        e.at.0.saturating_add(lasting)
    };
    let end = triggers.iter().map(|e| end_of(e)).max().unwrap_or(0);
    let restored = |node: u32, at: u64| {
        config.timeline.iter().any(|e| {
            e.at.0 >= at
                && matches!(e.action, TimelineAction::RestoreNode { node: n, .. } if n == node)
        })
    };
    let all_restored = triggers.iter().all(|e| match e.action {
        TimelineAction::KillNode { node } => restored(node, e.at.0),
        _ => true,
    });
    Some(Disturbance {
        first_s,
        end_s: end as f64 / 1e9,
        removed: all_restored && end < config.duration.0,
    })
}

/// Runs every strategy of `scenario` once, in parallel on the current rayon pool (the first
/// replication of [`run_study`]). `progress` is called as runs advance (from several threads
/// at once).
pub fn run_scenario(scenario: &Scenario, progress: &(dyn Fn(Progress) + Sync)) -> ScenarioResult {
    run_replications(scenario, 1, progress).runs.swap_remove(0)
}

/// Runs every strategy of `scenario` for each of its replications, all in parallel on the
/// current rayon pool: replication `r` of every strategy with the same seed
/// ([`replication_seed`]), so strategies are compared on the same draws. The results are
/// gathered by index, so the thread count never changes a byte.
pub fn run_study(scenario: &Scenario, progress: &(dyn Fn(Progress) + Sync)) -> StudyResult {
    run_replications(scenario, scenario.study.replications, progress)
}

fn run_replications(
    scenario: &Scenario,
    replications: u32,
    progress: &(dyn Fn(Progress) + Sync),
) -> StudyResult {
    let n = scenario.strategies.len();
    let warmup = scenario.study.warmup;
    let tasks = 0..n * replications as usize;
    let setups = Setups::for_runs(tasks.clone().map(|t| &scenario.strategies[t % n].config));
    let mut runs: Vec<RunResult> = tasks
        .into_par_iter()
        .map(|task| {
            let (r, i) = (task / n, task % n);
            let seed = replication_seed(scenario.seed, r as u32);
            simulate_shared(
                &scenario.strategies[i].config,
                seed,
                warmup,
                &scenario.study.recovery,
                &setups,
                progress,
            )
        })
        .collect();
    let mut all = Vec::with_capacity(replications as usize);
    for r in (0..replications).rev() {
        let these = runs.split_off(r as usize * n);
        all.push(assemble(
            scenario,
            replication_seed(scenario.seed, r),
            these,
        ));
    }
    all.reverse();
    StudyResult {
        runs: all,
        warmup_s: warmup.as_secs_f64(),
        baseline: scenario.study.baseline.clone(),
        objective: scenario
            .study
            .expectations
            .iter()
            .map(|e| e.metric.clone())
            .collect(),
    }
}

/// Runs every strategy of every scenario (the points of a sweep) with its replications, all
/// side by side on the current rayon pool, and keeps of each run only what `keep` takes from
/// it: the run itself is dropped at once, so many points never hold many runs' buckets. The
/// results are gathered by index, `[scenario][strategy][replication]`, so the thread count
/// never changes them. Replication `r` uses the same seed at every point and strategy.
pub fn run_each<T: Send>(
    scenarios: &[Scenario],
    keep: &(dyn Fn(StrategyResult) -> T + Sync),
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Vec<Vec<T>>> {
    let tasks: Vec<(usize, usize, u32)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(p, s)| {
            (0..s.study.replications)
                .flat_map(move |r| (0..s.strategies.len()).map(move |i| (p, i, r)))
        })
        .collect();
    let setups = Setups::for_runs(
        tasks
            .iter()
            .map(|&(p, i, _)| &scenarios[p].strategies[i].config),
    );
    let kept: Vec<T> = tasks
        .par_iter()
        .map(|&(p, i, r)| {
            let s = &scenarios[p];
            let seed = replication_seed(s.seed, r);
            let run = simulate_shared(
                &s.strategies[i].config,
                seed,
                s.study.warmup,
                &s.study.recovery,
                &setups,
                progress,
            );
            keep(strategy_result(&s.strategies[i], run))
        })
        .collect();
    let mut out: Vec<Vec<Vec<T>>> = scenarios
        .iter()
        .map(|s| {
            (0..s.strategies.len())
                .map(|_| Vec::with_capacity(s.study.replications as usize))
                .collect()
        })
        .collect();
    // Tasks run replication by replication, so each strategy's list fills in order.
    for (&(p, i, _), value) in tasks.iter().zip(kept) {
        out[p][i].push(value);
    }
    out
}

/// A strategy's run, named and scaled for the reports.
fn strategy_result(s: &crate::scenario::Strategy, result: RunResult) -> StrategyResult {
    StrategyResult {
        name: s.name.clone(),
        description: s.description.clone(),
        db_capacity_qps: s.config.db_capacity_qps(),
        fanout: s.config.clients.fanout,
        marks: s.config.timeline_marks(),
        client_timeout_s: s.config.clients.timeout.map(|t| t.as_secs_f64()),
        result,
    }
}

/// The results of one replication: every strategy's run, named and scaled for the reports.
fn assemble(scenario: &Scenario, seed: u64, runs: Vec<RunResult>) -> ScenarioResult {
    let strategies: Vec<StrategyResult> = scenario
        .strategies
        .iter()
        .zip(runs)
        .map(|(s, result)| strategy_result(s, result))
        .collect();
    let mut timeline = timeline_marks(scenario);
    // Where arrivals stopped, when some strategy went on to drain its requests.
    let duration_s = scenario.base.duration.as_secs_f64();
    if strategies.iter().any(|s| s.result.summary.drained_s > 0.0) {
        timeline.push((duration_s, "arrivals stop (drain)".to_string()));
    }
    ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        seed,
        duration_s,
        bucket_s: scenario.base.bucket.as_secs_f64(),
        timeline,
        strategies,
    }
}

/// Timeline events to mark on charts: those of every selected strategy, once each, in time order.
fn timeline_marks(scenario: &Scenario) -> Vec<(f64, String)> {
    let mut marks: Vec<(crate::engine::SimTime, String)> = Vec::new();
    for s in &scenario.strategies {
        for e in &s.config.timeline {
            let mark = (e.at, e.label());
            if !marks.contains(&mark) {
                marks.push(mark);
            }
        }
    }
    marks.sort_by_key(|m| m.0);
    marks
        .into_iter()
        .map(|(t, l)| (t.as_secs_f64(), l))
        .collect()
}

/// Memory a program run needs besides the simulations: charts being drawn, the binary, buffers.
const OVERHEAD_BYTES: u64 = 96 << 20;

/// Memory a strategy holds for the whole program besides its runs' rows: its configuration,
/// its results and its share of the reports being assembled. Measured as the growth of peak
/// resident memory (VmHWM) from 2,000 to 10,000 one-bucket strategies: about 33 kB each.
pub const BYTES_PER_STRATEGY: u64 = 40_000;
/// With replications, what each strategy adds to the figures, intervals and tables over the
/// replications (measured the same way: about 200 kB, whatever the number of replications).
pub const BYTES_PER_STRATEGY_STUDY: u64 = 240_000;

/// How a scenario will run, decided before it starts: how many strategies at once, and what it
/// will cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Strategies simulated at once.
    pub threads: usize,
    /// Peak memory at that many threads, bytes, should every backlog reach its bound.
    pub memory_bytes: u64,
    /// Memory at that many threads without a backlog (what a stable run holds), bytes.
    pub base_memory_bytes: u64,
    /// Requests over all strategies (expected from the arrival rates).
    pub requests: f64,
    /// Key reads over all strategies (requests times fan-out).
    pub key_reads: f64,
    /// Estimated wall-clock seconds at that many threads.
    pub seconds: f64,
    /// Default in-flight caps lowered to fit the budget: (strategy, from, to).
    pub lowered: Vec<(String, u32, u32)>,
}

impl Plan {
    /// Whether the run is big enough to say so before it starts.
    pub fn is_large(&self) -> bool {
        self.seconds > 20.0 || self.base_memory_bytes > 2 << 30
    }

    /// One line: work, threads, time and memory.
    pub fn describe(&self) -> String {
        format!(
            "about {} requests ({} key reads) on {} thread{}: roughly {}, {} of memory \
             ({} should queues fill to their limits)",
            count(self.requests),
            count(self.key_reads),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            duration(self.seconds),
            bytes(self.base_memory_bytes),
            bytes(self.memory_bytes)
        )
    }
}

/// Decides how to run `scenario` within `max_memory` bytes and at most `max_threads` threads:
/// as many strategies at once as fit. A strategy that does not fit even alone because of its
/// default in-flight cap gets a lower cap (down to [`MIN_LOWERED_CAP`]); one set in the file is
/// kept. Refuses (with the numbers and what to change) when even one strategy at a time does
/// not fit.
pub fn plan(scenario: &mut Scenario, max_memory: u64, max_threads: usize) -> Result<Plan, String> {
    plan_within(scenario, max_memory, "--max-memory", max_threads)
}

/// [`plan`], with `source` saying where the budget comes from in the refusal (`--max-memory`,
/// `half of ulimit -v, 4.3 GB`).
pub fn plan_within(
    scenario: &mut Scenario,
    max_memory: u64,
    source: &str,
    max_threads: usize,
) -> Result<Plan, String> {
    let lowered = lower_default_caps(scenario, max_memory);
    let prints: Vec<(&str, footprint::Footprint)> = scenario
        .strategies
        .iter()
        .map(|s| (s.name.as_str(), footprint(&s.config)))
        .collect();
    // Every replication runs each strategy once more and keeps its results.
    let reps = scenario.study.replications.max(1) as usize;
    let results: u64 = (prints.iter().map(|(_, f)| f.results).sum::<u64>() * reps as u64)
        .saturating_add(strategies_bytes(scenario));
    // Memory with `threads` runs at once, each holding `part` of its footprint while it
    // runs: the largest ones, plus every run's results.
    let at = |threads: usize, part: fn(&footprint::Footprint) -> u64| -> u64 {
        let mut running: Vec<u64> = prints
            .iter()
            .flat_map(|(_, f)| std::iter::repeat_n(part(f), reps.min(threads)))
            .collect();
        running.sort_unstable_by(|a, b| b.cmp(a));
        OVERHEAD_BYTES
            .saturating_add(results)
            .saturating_add(running.iter().take(threads).sum::<u64>())
    };
    let memory_at = |threads: usize| at(threads, |f| f.fixed + f.in_flight);
    let base_memory_at = |threads: usize| at(threads, |f| f.fixed);
    let most = max_threads.clamp(1, (scenario.strategies.len() * reps).max(1));
    let Some(threads) = (1..=most).rev().find(|&t| memory_at(t) <= max_memory) else {
        let (name, big) = prints
            .iter()
            .rev()
            .max_by_key(|(_, f)| f.fixed + f.in_flight + f.results)
            .expect("a scenario has at least one strategy");
        let config = &scenario
            .strategies
            .iter()
            .find(|s| s.name == *name)
            .expect("named above")
            .config;
        return Err(format!(
            "{}: needs {} even one strategy at a time, over the memory budget of {} ({source}). \
             Largest, `{}`: {} of key tables (clients.keyspace {}), {} in flight \
             (limits.max_in_flight {}, clients.fanout {}); results of all {} strategies {} ({} \
             buckets each). Lower these, widen the bucket, use --strategy or raise --max-memory",
            crate::text::shorten(
                &crate::text::escape(&scenario.file.display().to_string()),
                80
            ),
            bytes(memory_at(1)),
            bytes(max_memory),
            crate::text::quote(name),
            bytes(big.fixed),
            config.clients.keyspace,
            bytes(big.in_flight),
            config.limits.max_in_flight,
            config.clients.fanout,
            scenario.strategies.len(),
            bytes(results),
            footprint::max_buckets(config),
        ));
    };
    let mut requests = 0.0;
    let mut key_reads = 0.0;
    let mut cpu_seconds = 0.0;
    for s in &scenario.strategies {
        let c = &s.config;
        let r = footprint::expected_requests(c);
        let k = r * c.clients.fanout as f64;
        requests += r;
        key_reads += k;
        cpu_seconds += footprint::cpu_seconds(c);
    }
    Ok(Plan {
        threads,
        memory_bytes: memory_at(threads),
        base_memory_bytes: base_memory_at(threads),
        requests: requests * reps as f64,
        key_reads: key_reads * reps as f64,
        seconds: cpu_seconds * reps as f64 / threads as f64,
        lowered,
    })
}

/// What the strategies of `scenario` hold for the whole program, besides their runs' rows
/// ([`BYTES_PER_STRATEGY`], [`BYTES_PER_STRATEGY_STUDY`]).
fn strategies_bytes(scenario: &Scenario) -> u64 {
    let each = if scenario.study.replications > 1 {
        BYTES_PER_STRATEGY + BYTES_PER_STRATEGY_STUDY
    } else {
        BYTES_PER_STRATEGY
    };
    scenario.strategies.len() as u64 * each
}

/// Lowest in-flight cap a memory budget may impose in place of the default.
pub const MIN_LOWERED_CAP: u32 = 1_000;

/// Lowers the default in-flight cap of every strategy that does not fit `max_memory` alone
/// (with every strategy's results) because of it; returns what it changed.
fn lower_default_caps(scenario: &mut Scenario, max_memory: u64) -> Vec<(String, u32, u32)> {
    let results: u64 = scenario
        .strategies
        .iter()
        .map(|s| footprint(&s.config).results)
        .sum::<u64>()
        * scenario.study.replications.max(1) as u64
        + strategies_bytes(scenario);
    let allowance = max_memory.saturating_sub(OVERHEAD_BYTES + results);
    let mut lowered = Vec::new();
    for s in &mut scenario.strategies {
        let limits = &s.config.limits;
        let f = footprint(&s.config);
        if !limits.max_in_flight_is_default || f.fixed + f.in_flight <= allowance {
            continue;
        }
        let per_request = footprint::bytes_per_request(s.config.clients.fanout);
        let background = f.in_flight - limits.max_in_flight as u64 * per_request;
        let room = allowance.saturating_sub(f.fixed + background);
        let cap = (room / per_request).min(limits.max_in_flight as u64) as u32;
        if cap >= MIN_LOWERED_CAP {
            lowered.push((s.name.clone(), limits.max_in_flight, cap));
            s.config.limits.max_in_flight = cap;
        }
    }
    lowered
}

/// Runs `scenario` with its replications as `plan` says: on a pool of `plan.threads` threads.
pub fn run_planned(
    scenario: &Scenario,
    plan: &Plan,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<StudyResult, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| format!("cannot start {} threads: {e}", plan.threads))?;
    Ok(pool.install(|| run_study(scenario, progress)))
}

/// A byte count for people: `512 MB`, `3.4 GB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e12 {
        format!("{:.1} TB", n / 1e12)
    } else if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.0} MB", n / 1e6)
    } else {
        format!("{:.0} kB", n / 1e3)
    }
}

/// A count for people: `43.2 million`.
pub fn count(n: f64) -> String {
    if n >= 1e9 {
        format!("{:.1} billion", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} million", n / 1e6)
    } else {
        format!("{n:.0}")
    }
}

/// A wall-clock time for people: `11 s`, `3 minutes`.
pub fn duration(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.1} days", secs / 86_400.0)
    } else if secs >= 3_600.0 {
        format!("{:.1} hours", secs / 3_600.0)
    } else if secs >= 90.0 {
        format!("{:.0} minutes", secs / 60.0)
    } else {
        format!("{:.0} s", secs.max(1.0))
    }
}
