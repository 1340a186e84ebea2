//! `cachestorm sweep` and `cachestorm merge`.
//!
//! A sweep checks every point and plans its memory before anything runs, then runs the points
//! (all of them, a shard's, or those `--find`'s bisections ask for) and keeps of each run only
//! its summary values. The results become the rows of `sweep.csv` at once, and every output is
//! made from those rows ([`report::sweep::outputs`]), as `merge` does from the rows it reads
//! back from the shards: both write the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use super::{default_memory_budget, finish, CommandError, Progress};
use crate::cli::{MergeArgs, SweepArgs};
use crate::console::{self, Stdout};
use crate::experiment;
use crate::report::csv::summary_values;
use crate::report::metric_names;
use crate::workflow::objective::{
    find_smallest, monotonicity_violation, parse_objective, Objective, Outcome,
};
use crate::report::replications::{figures_of, plus_minus, Figure};
use crate::report::sweep::{self as out, FoundRecord, Manifest, Row, SettingRecord, ShardRecord};
use crate::report::write::OutputDir;
use crate::scenario::overrides;
use crate::scenario::Scenario;
use crate::sweep::{search_order, Shard, Sweep};
use crate::text;

/// The metric charted when neither `--metric` nor `--find` names one.
const DEFAULT_METRIC: &str = "p99_latency_ms";

/// Points built and run at once: enough to keep every thread busy, few enough that their
/// scenarios never hold much memory however large the grid.
const CHUNK_POINTS: usize = 64;

fn input(message: String) -> CommandError {
    CommandError::Input(message)
}

/// What every point of a checked sweep shares.
struct Checked {
    /// Point 0's scenario: name, seed, SHA-256, strategies (the same at every point).
    first: Scenario,
    /// Threads that fit the memory budget at every point.
    threads: usize,
    /// The memory budget, bytes.
    budget: u64,
    /// Estimated seconds of one core per point.
    cpu_seconds: Vec<f64>,
}

/// The output folder `parent/folder` of a sweep or merge of `scenario`; a folder another
/// scenario wrote (a run of one named `<name>-sweep`) is refused with exit 2 rather than
/// replaced. `ours` says what would write it, for the message.
fn prepare_sweep_folder(
    parent: &std::path::Path,
    folder: &str,
    scenario: &str,
    ours: &str,
) -> Result<OutputDir, CommandError> {
    let ours = format!("{ours} of `{}`", text::quote(scenario));
    OutputDir::prepare_for(parent, folder, scenario, &ours).map_err(|e| match e {
        crate::report::write::OutputError::Collision { .. } => input(e.to_string()),
        e => CommandError::Other(e.into()),
    })
}

pub(super) fn sweep(args: SweepArgs) -> Result<(), CommandError> {
    // Read as run and check read it: bounded, so /dev/zero or a huge file is refused.
    let text = crate::scenario::read_text(&args.file).map_err(|e| input(e.to_string()))?;
    let sweep = Sweep::new(
        &args.file,
        text,
        &args.settings,
        args.seed,
        args.replications,
        args.strategies.clone(),
    )
    .map_err(input)?;
    let objectives: Vec<Objective> = args
        .find
        .iter()
        .map(|f| parse_objective(f).map_err(|e| input(format!("--find: {e}"))))
        .collect::<Result<_, _>>()?;
    for o in &objectives {
        if !out::is_metric(&o.metric) {
            return Err(input(unknown_metric("--find", &o.metric)));
        }
    }
    if !objectives.is_empty() && args.shard.is_some() {
        return Err(input(
            "--find cannot be split into shards: each step of its bisection depends on the one \
             before. Run it on one machine, or run the whole sweep in shards (without --find) and \
             read the answer off the merged sweep.csv"
                .into(),
        ));
    }
    let metric = match (objectives.first(), &args.metric) {
        (Some(_), Some(m)) if !objectives.iter().any(|o| o.metric == *m) => {
            return Err(input(format!(
                "--metric `{}` is not a metric of --find ({}); the chart shows a metric searched, so give one of them or leave --metric out",
                text::quote(&text::shorten(m, 60)),
                objectives
                    .iter()
                    .take(5)
                    .map(|o| format!("`{}`", text::shorten(&o.metric, 40)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
        (_, Some(m)) => m.clone(),
        (Some(o), None) => o.metric.clone(),
        (None, None) => DEFAULT_METRIC.to_string(),
    };
    if !out::is_metric(&metric) {
        return Err(input(unknown_metric("--metric", &metric)));
    }
    // With --find: the objectives, the setting searched and the points in ascending order.
    let search = if objectives.is_empty() {
        None
    } else {
        let (searched, order) = search_order(&sweep.settings).map_err(input)?;
        Some((objectives, searched, order))
    };

    let runs: Vec<usize> = match args.shard {
        Some(shard) => shard.points(sweep.points.len()).collect(),
        None => (0..sweep.points.len()).collect(),
    };
    let checked = check_points(&sweep, args.max_memory)?;
    let s = &checked.first;
    for w in &s.warnings {
        console::warn(w);
    }
    if search.is_none() {
        let cpu: f64 = runs.iter().map(|&p| checked.cpu_seconds[p]).sum();
        let seconds = cpu / checked.threads as f64;
        if seconds > 20.0 {
            console::warn(&format!(
                "{}: {} points x {} strateg{} x {} replication{}: roughly {} on {} thread{}",
                s.name,
                runs.len(),
                s.strategies.len(),
                if s.strategies.len() == 1 { "y" } else { "ies" },
                s.study.replications,
                if s.study.replications == 1 { "" } else { "s" },
                experiment::duration(seconds),
                checked.threads,
                if checked.threads == 1 { "" } else { "s" },
            ));
        }
    }
    if let Some(shard) = args.shard {
        if runs.is_empty() {
            console::warn(&format!(
                "shard {}/{} has no points: the sweep has {} (it writes an empty sweep.csv for merge)",
                shard.index,
                shard.count,
                sweep.points.len()
            ));
        }
    }

    let folder = match args.shard {
        Some(Shard { index, count }) => format!("{}-sweep-shard-{index}-of-{count}", s.name),
        None => format!("{}-sweep", s.name),
    };
    let dir = prepare_sweep_folder(&args.out, &folder, &s.name, "this sweep")?;

    let strategies: Vec<String> = s.strategies.iter().map(|st| st.name.clone()).collect();
    let mut manifest = Manifest {
        cachestorm_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.name.clone(),
        scenario_file: args.file.to_string_lossy().into_owned(),
        scenario_sha256: s.source_sha256.clone(),
        seed: s.seed,
        replications: s.study.replications,
        format: args.format,
        metric: metric.clone(),
        objectives: search.as_ref().map_or(Vec::new(), |(o, _, _)| {
            o.iter().map(|o| o.to_string()).collect()
        }),
        points: sweep.points.len() as u64,
        strategies: strategies.clone(),
        files: Vec::new(),
        settings: sweep
            .settings
            .iter()
            .zip(&args.settings)
            .map(|(setting, given)| SettingRecord {
                path: setting.path.clone(),
                values: given
                    .split_once('=')
                    .map_or("", |(_, v)| v)
                    .trim()
                    .to_string(),
                labels: setting.values.iter().map(overrides::value_label).collect(),
            })
            .collect(),
        shard: args.shard.map(|s| ShardRecord {
            index: s.index,
            count: s.count,
        }),
        found: Vec::new(),
    };

    let mut stdout = Stdout::default();
    let written = match &search {
        Some((objectives, searched, order)) => {
            let (rows, found, report) =
                find(&sweep, &checked, objectives, *searched, order, &strategies)?;
            manifest.found = found;
            let written = write(dir, &manifest, &rows, !args.no_charts)?;
            stdout.print(&out::table(&manifest, &rows).map_err(internal)?);
            stdout.print(&report);
            written
        }
        None => {
            let rows = run_points(&sweep, &checked, &runs)?;
            let written = write(dir, &manifest, &rows, !args.no_charts)?;
            match args.shard {
                None => stdout.print(&out::table(&manifest, &rows).map_err(internal)?),
                Some(shard) => stdout.print(&format!(
                    "{}: shard {} of {}: {} of {} points ({})\n",
                    text::escape(&s.name),
                    shard.index,
                    shard.count,
                    runs.len(),
                    sweep.points.len(),
                    list_points(&runs)
                )),
            }
            written
        }
    };
    print_written(&mut stdout, s.seed, &written);
    finish(stdout)
}

/// A message for a metric that is not a summary column: the name it most probably is
/// ([`metric_names::did_you_mean`], as `check` says it), else a few common ones.
fn unknown_metric(flag: &str, metric: &str) -> String {
    let guess = metric_names::did_you_mean(metric);
    format!(
        "{flag}: `{}` is not a summary metric{guess} (the metrics are the columns of \
         summary.csv, listed in the README's Outputs section{})",
        text::quote(&text::shorten(metric, 60)),
        if guess.is_empty() {
            "; the common ones are p99_latency_ms, worst_p99_latency_ms, error_ratio, hit_ratio \
             and peak_db_queries_per_s"
        } else {
            ""
        }
    )
}

/// An output that cannot be made from data this command produced itself: a bug.
fn internal(e: String) -> CommandError {
    CommandError::Other(anyhow::anyhow!("internal error: {e}"))
}

/// Checks every point (all of them, whichever a shard or a search will run) and plans each
/// within the memory budget, before anything runs. Runs of several points go side by side
/// ([`run_figures`]), so the threads are those that fit however the runs at once are drawn
/// from the points ([`threads_across_points`]), not only those one point has runs for.
fn check_points(sweep: &Sweep, max_memory: Option<u64>) -> Result<Checked, CommandError> {
    let budget = max_memory.unwrap_or_else(default_memory_budget);
    let most = rayon::current_num_threads();
    let mut threads = most;
    // Runs there are at once at most: every strategy and replication of the points built
    // together.
    let mut runs_at_once = 0;
    let mut cpu_seconds = Vec::with_capacity(sweep.points.len());
    let mut first = None;
    let mut warnings: Vec<String> = Vec::new();
    let mut lowered: Vec<(String, u32, u32)> = Vec::new();
    for p in 0..sweep.points.len() {
        let mut s = sweep.scenario(p).map_err(input)?;
        let plan = experiment::plan(&mut s, budget, most).map_err(|e| {
            input(format!(
                "sweep point {p} of {} ({}): {e}",
                sweep.points.len(),
                sweep.describe(p)
            ))
        })?;
        threads = threads.min(threads_across_points(&s, &plan, budget, most));
        runs_at_once = (runs_at_once + s.strategies.len() * s.study.replications as usize)
            .min(most * CHUNK_POINTS);
        cpu_seconds.push(plan.seconds * plan.threads as f64);
        for l in plan.lowered {
            if !lowered.contains(&l) {
                lowered.push(l);
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
    let mut first = first.expect("a grid has at least one point");
    for (name, from, to) in &lowered {
        console::warn(&format!(
            "{}: strategy `{name}`: limits.max_in_flight lowered from its default {from} to {to} \
             at some points to fit the memory budget of {} (--max-memory); give every shard the \
             same --max-memory",
            first.name,
            experiment::bytes(budget)
        ));
    }
    // Fewer runs than threads is no memory limit: say so only when the budget is why.
    let threads = threads.min(runs_at_once.max(1));
    if threads < most.min(runs_at_once) {
        console::warn(&format!(
            "{}: simulating {threads} run{} at a time instead of {most}, to stay within the memory \
             budget of {} (--max-memory)",
            first.name,
            if threads == 1 { "" } else { "s" },
            experiment::bytes(budget)
        ));
    }
    first.warnings = warnings;
    Ok(Checked {
        first,
        threads,
        budget,
        cpu_seconds,
    })
}

/// How many runs may go at once when the runs at once are this point's `s` (already planned
/// by `plan`, which set its in-flight caps and fits its own runs): when the point has fewer
/// runs than `most` threads, the plan of a copy with the replications of as many points as
/// fill them (memory of each run and the results of all, as for a point), else the point's.
/// A sweep keeps only each run's summary, so this counts more results than it holds.
fn threads_across_points(s: &Scenario, plan: &experiment::Plan, budget: u64, most: usize) -> usize {
    let runs = (s.strategies.len() * s.study.replications as usize).max(1);
    if runs >= most {
        return plan.threads;
    }
    let mut batch = s.clone();
    batch.study.replications = s.study.replications.max(1) * most.div_ceil(runs) as u32;
    match experiment::plan(&mut batch, budget, most) {
        // A batch that fits only with lower in-flight caps than the point's does not fit as
        // the point runs.
        Ok(p) if p.lowered.is_empty() => p.threads.max(plan.threads),
        _ => plan.threads,
    }
}

/// The scenarios of `points`, planned as when they were checked (the same in-flight caps).
fn scenarios(
    sweep: &Sweep,
    checked: &Checked,
    points: &[usize],
) -> Result<Vec<Scenario>, CommandError> {
    points
        .iter()
        .map(|&p| {
            let mut s = sweep.scenario(p).map_err(input)?;
            experiment::plan(&mut s, checked.budget, checked.threads).map_err(input)?;
            Ok(s)
        })
        .collect()
}

/// Runs `points`, all strategies and replications of each side by side, and returns each
/// point's figures by strategy.
fn run_figures(
    sweep: &Sweep,
    checked: &Checked,
    points: &[usize],
    progress: &Progress,
) -> Result<Vec<Vec<Vec<Figure>>>, CommandError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(checked.threads)
        .build()
        .map_err(|e| {
            CommandError::Other(anyhow::anyhow!(
                "cannot start {} threads: {e}",
                checked.threads
            ))
        })?;
    let mut all = Vec::with_capacity(points.len() * checked.first.strategies.len());
    for chunk in points.chunks(CHUNK_POINTS) {
        let scenarios = scenarios(sweep, checked, chunk)?;
        let kept = pool.install(|| {
            experiment::run_each(&scenarios, &|st| summary_values(&st), &|p| {
                progress.advance(p)
            })
        });
        for per_strategy in kept {
            all.push(
                per_strategy
                    .iter()
                    .map(|reps| figures_of(reps))
                    .collect::<Vec<_>>(),
            );
        }
    }
    Ok(all)
}

/// Seconds of simulated time of every run of `points`.
fn simulated_seconds(checked: &Checked, points: usize) -> f64 {
    let s = &checked.first;
    s.strategies
        .iter()
        .map(|st| st.config.duration.as_secs_f64())
        .sum::<f64>()
        * s.study.replications as f64
        * points as f64
}

/// The rows of point `p` from its figures by strategy.
fn rows_of(sweep: &Sweep, p: usize, strategies: &[String], figures: Vec<Vec<Figure>>) -> Vec<Row> {
    let labels: Vec<String> = sweep.points[p]
        .iter()
        .map(|(_, v)| overrides::value_label(v))
        .collect();
    let named: Vec<(&str, Vec<Figure>)> =
        strategies.iter().map(String::as_str).zip(figures).collect();
    out::point_rows(p, &labels, &named)
}

/// Runs every point of `runs` and returns their rows, in point order.
fn run_points(sweep: &Sweep, checked: &Checked, runs: &[usize]) -> Result<Vec<Row>, CommandError> {
    let progress = Progress::new(
        &format!("{}-sweep", checked.first.name),
        simulated_seconds(checked, runs.len()),
    );
    let figures = run_figures(sweep, checked, runs, &progress);
    progress.finish();
    let strategies: Vec<String> = checked
        .first
        .strategies
        .iter()
        .map(|s| s.name.clone())
        .collect();
    Ok(runs
        .iter()
        .zip(figures?)
        .flat_map(|(&p, f)| rows_of(sweep, p, &strategies, f))
        .collect())
}

/// `--find`: for each strategy, a bisection over the searched values for the smallest meeting
/// every objective (each on the mean over replications). A point runs every strategy at once
/// and is run at most once. Returns the rows of the points run, the answers, and the report
/// to print.
fn find(
    sweep: &Sweep,
    checked: &Checked,
    objectives: &[Objective],
    searched: usize,
    order: &[usize],
    strategies: &[String],
) -> Result<(Vec<Row>, Vec<FoundRecord>, String), CommandError> {
    let mut cache: BTreeMap<usize, Vec<Vec<Figure>>> = BTreeMap::new();
    let labels: Vec<String> = sweep.settings[searched]
        .values
        .iter()
        .map(overrides::value_label)
        .collect();
    // Whether the mean of strategy i at point p meets objective o (no number never does).
    let meets = |cache: &BTreeMap<usize, Vec<Vec<Figure>>>, p: usize, i: usize, o: &Objective| {
        mean_of(&cache[&p][i], &o.metric).is_some_and(|(mean, _)| o.met(mean))
    };
    let mut searches = Vec::with_capacity(strategies.len());
    for i in 0..strategies.len() {
        let search = find_smallest(order.len(), |k| {
            let p = order[k];
            evaluate(sweep, checked, &mut cache, p)?;
            Ok::<bool, CommandError>(objectives.iter().all(|o| meets(&cache, p, i, o)))
        })?;
        searches.push(search);
    }
    let path = &sweep.settings[searched].path;
    let value = |p: usize| text::escape(&labels[p]).into_owned();
    let several = objectives.len() > 1;
    let all = objectives
        .iter()
        .map(Objective::to_string)
        .collect::<Vec<_>>()
        .join(" and ");
    // Each objective's metric at point p, `p99_latency_ms 38 ± 2`; with several objectives,
    // those missed say so. With one, `named` false leaves out the metric named just before.
    let figures = |p: usize, i: usize, named: bool| {
        objectives
            .iter()
            .map(|o| {
                let shown = match mean_of(&cache[&p][i], &o.metric) {
                    Some((mean, half)) => plus_minus(mean, half),
                    None => "no data".into(),
                };
                let missed = if several && !meets(&cache, p, i, o) {
                    format!(", missing {} {}", o.op.symbol(), o.bound)
                } else {
                    String::new()
                };
                if named || several {
                    format!("{} {shown}{missed}", o.metric)
                } else {
                    shown
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    // Whether the interval of o's metric at point p reaches across its bound: the answer
    // there may change with more replications.
    let straddles = |p: usize, i: usize, o: &Objective| {
        mean_of(&cache[&p][i], &o.metric).is_some_and(|(mean, half)| {
            half.is_finite() && mean - half <= o.bound && o.bound <= mean + half
        })
    };
    let mut report = String::new();
    let mut found = Vec::with_capacity(strategies.len());
    for (i, (name, search)) in strategies.iter().zip(&searches).enumerate() {
        let name_shown = text::escape(name);
        let answer = match search.outcome {
            Outcome::Found(k) => format!(
                "smallest {path} meeting {all}: {} ({}); the value below, {}, does not ({})",
                value(order[k]),
                figures(order[k], i, true),
                value(order[k - 1]),
                figures(order[k - 1], i, false)
            ),
            Outcome::SmallestMeets => format!(
                "even the smallest value, {path} = {}, meets {all} ({}): the threshold may lie \
                 below the range",
                value(order[0]),
                figures(order[0], i, true)
            ),
            Outcome::NoneMeets => {
                let last = order[order.len() - 1];
                format!(
                    "none of the values meets {all}, not even {path} = {} ({})",
                    value(last),
                    figures(last, i, true)
                )
            }
        };
        let near: Vec<usize> = match search.outcome {
            Outcome::Found(k) => vec![order[k - 1], order[k]],
            Outcome::SmallestMeets => vec![order[0]],
            Outcome::NoneMeets => vec![order[order.len() - 1]],
        };
        let across: Vec<String> = objectives
            .iter()
            .filter(|o| near.iter().any(|&p| straddles(p, i, o)))
            .map(|o| {
                if several {
                    format!("{} ({})", o.bound, o.metric)
                } else {
                    o.bound.to_string()
                }
            })
            .collect();
        let doubt = if across.is_empty() {
            String::new()
        } else {
            format!(
                " (the 95% interval there reaches across {}: more replications would settle it)",
                across.join(" and ")
            )
        };
        let ran: Vec<String> = search
            .evaluated
            .iter()
            .map(|&(k, met)| {
                format!(
                    "{} ({})",
                    value(order[k]),
                    if met { "meets" } else { "does not" }
                )
            })
            .collect();
        report.push_str(&format!(
            "{name_shown}: {answer}{doubt}. The bisection over {} values ran {path} = {}\n",
            order.len(),
            ran.join(", ")
        ));
        // An objective met at a value and missed at a larger one among the points run: the
        // bisection's assumption does not hold for it, so its answer may not be the smallest.
        for o in objectives {
            let results: Vec<(usize, bool)> = search
                .evaluated
                .iter()
                .map(|&(k, _)| (k, meets(&cache, order[k], i, o)))
                .collect();
            if let Some((met, missed)) = monotonicity_violation(&results) {
                report.push_str(&format!(
                    "{name_shown}: {o} holds at {path} = {} but not at the larger {}: it does not \
                     keep holding as {path} grows, so the answer above may not be the smallest \
                     value meeting {all}; run the whole sweep (without --find) to see\n",
                    value(order[met]),
                    value(order[missed]),
                ));
            }
        }
        found.push(FoundRecord::new(
            name,
            search.outcome,
            &search.evaluated,
            order,
            &labels,
        ));
    }
    let reps = checked.first.study.replications;
    report.push_str(&format!(
        "{} of {} points run (each with every strategy and {reps} replication{}), judged on the \
         mean over replications. The bisection assumes that a value meeting {} means every \
         larger one does; a full sweep (without --find) shows whether it holds.\n",
        cache.len(),
        order.len(),
        if reps == 1 { "" } else { "s" },
        if several {
            "every objective"
        } else {
            "the objective"
        }
    ));
    let rows = cache
        .into_iter()
        .flat_map(|(p, figures)| rows_of(sweep, p, strategies, figures))
        .collect();
    Ok((rows, found, report))
}

/// Runs point `p` unless `cache` holds it already, and keeps its figures by strategy there.
fn evaluate(
    sweep: &Sweep,
    checked: &Checked,
    cache: &mut BTreeMap<usize, Vec<Vec<Figure>>>,
    p: usize,
) -> Result<(), CommandError> {
    if cache.contains_key(&p) {
        return Ok(());
    }
    let progress = Progress::new(
        &format!("{} point {p} ({})", checked.first.name, sweep.describe(p)),
        simulated_seconds(checked, 1),
    );
    let figures = run_figures(sweep, checked, &[p], &progress);
    progress.finish();
    cache.insert(p, figures?.remove(0));
    Ok(())
}

/// The mean of `metric` among `figures`, and half its 95% interval (infinite with one
/// replication); `None` without a number.
fn mean_of(figures: &[Figure], metric: &str) -> Option<(f64, f64)> {
    let ci = figures.iter().find(|f| f.metric == metric)?.interval()?;
    Some((ci.mean, ci.half_width))
}

/// Writes a sweep's files into `dir` (the charts unless `with_charts` is false), warning about
/// charts left out; returns the paths.
fn write(
    dir: OutputDir,
    manifest: &Manifest,
    rows: &[Row],
    with_charts: bool,
) -> Result<Vec<std::path::PathBuf>, CommandError> {
    let outputs = out::outputs(manifest, rows, with_charts).map_err(internal)?;
    if let Some(why) = &outputs.no_chart {
        console::warn(why);
    }
    if outputs.charts_left_out > 0 {
        console::warn(&format!(
            "{} more charts (one per combination of the fields not on the x axis) are left out \
             beyond {}; sweep.csv holds every point",
            outputs.charts_left_out,
            out::MAX_CHARTS
        ));
    }
    dir.commit(&outputs.files)
        .context("writing the outputs")
        .map_err(CommandError::Other)
}

/// Prints `seed N; wrote DIR/{files}`; the manifest is not listed.
fn print_written(stdout: &mut Stdout, seed: u64, written: &[std::path::PathBuf]) {
    let Some(dir) = written.first().and_then(|p| p.parent()) else {
        return;
    };
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n != out::MANIFEST)
        .collect();
    stdout.print(&format!(
        "seed {seed}; wrote {}/{{{}}}\n",
        text::escape(&dir.display().to_string()),
        names.join(", ")
    ));
}

/// `0, 3, 6` (or `none`); past ten points, the first ten and `…`.
fn list_points(points: &[usize]) -> String {
    if points.is_empty() {
        return "none".into();
    }
    let mut shown: Vec<String> = points.iter().take(10).map(usize::to_string).collect();
    if points.len() > 10 {
        shown.push("…".into());
    }
    shown.join(", ")
}

// merge

/// One shard's folder, read and checked on its own.
struct ShardDir<'a> {
    dir: &'a Path,
    manifest: Manifest,
    shard: ShardRecord,
    rows: Vec<Row>,
}

pub(super) fn merge(args: MergeArgs) -> Result<(), CommandError> {
    let mut shards = Vec::with_capacity(args.dirs.len());
    for dir in &args.dirs {
        shards.push(read_shard(dir)?);
    }
    let version = env!("CARGO_PKG_VERSION");
    for s in &shards {
        if s.manifest.cachestorm_version != version {
            return Err(input(format!(
                "{}: written by cachestorm {}, and this is {version}: merge with the version that \
                 ran the shards, so the files are those a single sweep writes",
                shown(s.dir),
                text::quote(&s.manifest.cachestorm_version)
            )));
        }
    }
    for s in &shards[1..] {
        same_sweep(&shards[0], s)?;
    }
    let count = shards[0].shard.count as usize;
    let mut by_index: Vec<Option<&ShardDir>> = vec![None; count];
    for s in &shards {
        let slot = &mut by_index[s.shard.index as usize - 1];
        if let Some(other) = slot {
            return Err(input(format!(
                "shard {}/{count} is given twice: {} and {}",
                s.shard.index,
                shown(other.dir),
                shown(s.dir)
            )));
        }
        *slot = Some(s);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| by_index[i].is_none())
        .map(|i| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "shard{} {} {} missing: merge needs every shard of the sweep, each once (the \
             folders are named <scenario>-sweep-shard-I-of-{count})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }
    let shards: Vec<&ShardDir> = by_index.into_iter().flatten().collect();
    let first = &shards[0].manifest;
    crate::scenario::validate::check_name("scenario", &first.scenario).map_err(|e| {
        input(format!(
            "{}: {}: {}",
            shown(&shards[0].dir.join(out::MANIFEST)),
            e.field,
            e.message
        ))
    })?;
    let settings = first.parsed_settings().map_err(|e| {
        input(format!(
            "{}: settings: {e}",
            shown(&shards[0].dir.join(out::MANIFEST))
        ))
    })?;
    let grid = overrides::grid(&settings).map_err(|e| {
        input(format!(
            "{}: settings: {e}",
            shown(&shards[0].dir.join(out::MANIFEST))
        ))
    })?;
    if grid.len() as u64 != first.points {
        return Err(input(format!(
            "{}: says {} points but its settings make {}",
            shown(&shards[0].dir.join(out::MANIFEST)),
            first.points,
            grid.len()
        )));
    }
    let mut rows: Vec<(usize, Row)> = Vec::new();
    for s in &shards {
        rows.extend(check_rows(s, &grid)?);
    }
    // Each shard's rows are in point order and every point is in one shard: a stable sort
    // gives the order of the unsharded sweep.
    rows.sort_by_key(|(p, _)| *p);
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    let mut manifest = first.clone();
    manifest.shard = None;
    manifest.files = Vec::new();

    let folder = format!("{}-sweep", manifest.scenario);
    let dir = prepare_sweep_folder(&args.out, &folder, &manifest.scenario, "this merge")?;
    let written = write(dir, &manifest, &rows, !args.no_charts)?;
    let mut stdout = Stdout::default();
    stdout.print(&format!(
        "merged {count} shard{} of {} points\n",
        if count == 1 { "" } else { "s" },
        manifest.points
    ));
    stdout.print(&out::table(&manifest, &rows).map_err(internal)?);
    print_written(&mut stdout, manifest.seed, &written);
    finish(stdout)
}

fn shown(path: &Path) -> String {
    text::escape(&path.display().to_string()).into_owned()
}

/// Reads a shard's `sweep.toml` and `sweep.csv`.
fn read_shard(dir: &Path) -> Result<ShardDir<'_>, CommandError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| {
            input(format!(
                "{}: cannot read it: {e} (merge takes the folders written by `sweep --shard I/N`)",
                shown(&path)
            ))
        })
    };
    let manifest_path = dir.join(out::MANIFEST);
    let text = String::from_utf8(read(out::MANIFEST)?)
        .map_err(|_| input(format!("{}: not UTF-8 text", shown(&manifest_path))))?;
    let manifest =
        out::parse_manifest(&text).map_err(|e| input(format!("{}: {e}", shown(&manifest_path))))?;
    // The metric names the chart files, and the objective is drawn: both must be what a sweep
    // writes.
    if !out::is_metric(&manifest.metric) {
        return Err(input(format!(
            "{}: metric `{}` is not a summary metric",
            shown(&manifest_path),
            text::quote(&manifest.metric)
        )));
    }
    manifest
        .parsed_objectives()
        .map_err(|e| input(format!("{}: objective: {e}", shown(&manifest_path))))?;
    let Some(shard) = manifest.shard else {
        return Err(input(format!(
            "{}: not a shard (its sweep.toml has no [shard]); merge takes the folders written by \
             `sweep --shard I/N`",
            shown(dir)
        )));
    };
    if shard.index == 0 || shard.index > shard.count {
        return Err(input(format!(
            "{}: shard {}/{} is not from 1 to N",
            shown(&manifest_path),
            shard.index,
            shard.count
        )));
    }
    let rows = out::read_csv(&read(out::CSV)?, &manifest.header())
        .map_err(|e| input(format!("{}: {e}", shown(&dir.join(out::CSV)))))?;
    Ok(ShardDir {
        dir,
        manifest,
        shard,
        rows,
    })
}

/// Refuses `b` unless it is a shard of the same sweep as `a`: every field of the manifests
/// but the shard's index, the scenario file's path (the SHA-256 of its bytes must match) and
/// the files agree.
fn same_sweep(a: &ShardDir, b: &ShardDir) -> Result<(), CommandError> {
    let table = |s: &ShardDir| {
        let mut m = s.manifest.clone();
        m.shard = m.shard.map(|r| ShardRecord { index: 0, ..r });
        m.scenario_file = String::new();
        m.files = Vec::new();
        toml::Table::try_from(&m).expect("a manifest always converts to a table")
    };
    let (ta, tb) = (table(a), table(b));
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    for key in keys {
        let (va, vb) = (ta.get(key), tb.get(key));
        if va == vb {
            continue;
        }
        let show = |v: Option<&toml::Value>| {
            v.map_or("absent".to_string(), |v| {
                let v = if key == "shard" {
                    v.get("count").cloned().unwrap_or(v.clone())
                } else {
                    v.clone()
                };
                text::quote(&v.to_string())
            })
        };
        let what = if key == "shard" { "shard count" } else { key };
        return Err(input(format!(
            "{} and {} are not shards of one sweep: {what} is {} in the first and {} in the \
             second",
            shown(a.dir),
            shown(b.dir),
            show(va),
            show(vb)
        )));
    }
    Ok(())
}

/// The rows of shard `s` with their points, checked against the grid: each point is one of
/// the shard's, in order, with the grid's values, a known strategy and metric; every point of
/// the shard has rows.
fn check_rows(
    s: &ShardDir,
    grid: &[Vec<(String, toml::Value)>],
) -> Result<Vec<(usize, Row)>, CommandError> {
    let at = || shown(&s.dir.join(out::CSV));
    let shard = Shard {
        index: s.shard.index,
        count: s.shard.count,
    };
    let cells: Vec<String> = s
        .manifest
        .strategies
        .iter()
        .map(|n| text::csv_cell(n).into_owned())
        .collect();
    let k = s.manifest.settings.len();
    let mut seen: Vec<usize> = Vec::new();
    let mut present: std::collections::BTreeSet<(usize, usize, String)> = Default::default();
    let mut rows = Vec::with_capacity(s.rows.len());
    for (line, row) in s.rows.iter().enumerate() {
        let bad = |what: String| input(format!("{}: line {}: {what}", at(), line + 2));
        let p: usize = row[0]
            .parse()
            .ok()
            .filter(|&p| p < grid.len())
            .ok_or_else(|| {
                bad(format!(
                    "`{}` is not a point of the grid",
                    text::quote(&row[0])
                ))
            })?;
        if !shard.runs(p) {
            return Err(bad(format!(
                "point {p} does not belong to shard {}/{}",
                shard.index, shard.count
            )));
        }
        if seen.last().is_some_and(|&last| last > p) {
            return Err(bad(format!("point {p} comes after a later point")));
        }
        if seen.last() != Some(&p) {
            seen.push(p);
        }
        for (j, (_, v)) in grid[p].iter().enumerate() {
            let want = text::csv_cell(&overrides::value_label(v)).into_owned();
            if row[j + 1] != want {
                return Err(bad(format!(
                    "point {p} has `{}` for {}, but the settings give `{}`",
                    text::quote(&row[j + 1]),
                    s.manifest.settings[j].path,
                    text::quote(&want)
                )));
            }
        }
        if !cells.contains(&row[k + 1]) {
            return Err(bad(format!(
                "strategy `{}` is not among the manifest's",
                text::quote(&row[k + 1])
            )));
        }
        if !out::is_metric(&row[k + 2]) {
            return Err(bad(format!(
                "`{}` is not a summary metric",
                text::quote(&row[k + 2])
            )));
        }
        check_numbers(&row[k + 3..], s.manifest.replications).map_err(bad)?;
        let strategy = cells
            .iter()
            .position(|c| *c == row[k + 1])
            .expect("checked");
        if !present.insert((p, strategy, row[k + 2].clone())) {
            return Err(bad(format!(
                "a second row for point {p}, strategy `{}`, metric {}",
                text::quote(&row[k + 1]),
                row[k + 2]
            )));
        }
        rows.push((p, row.clone()));
    }
    let expected: Vec<usize> = shard.points(grid.len()).collect();
    if seen != expected {
        let missing: Vec<usize> = expected.into_iter().filter(|p| !seen.contains(p)).collect();
        return Err(input(format!(
            "{}: has no rows for point{} {} of shard {}/{}: the shard did not finish, or the \
             file was cut",
            at(),
            if missing.len() == 1 { "" } else { "s" },
            list_points(&missing),
            shard.index,
            shard.count
        )));
    }
    // Every point has a row per strategy and metric: a row missing would pass, in the merged
    // file, for a metric without a number.
    for &p in &seen {
        for (i, strategy) in s.manifest.strategies.iter().enumerate() {
            for metric in out::required_metrics() {
                if !present.contains(&(p, i, metric.to_string())) {
                    return Err(input(format!(
                        "{}: no row for point {p}, strategy `{}`, metric {metric}: a sweep \
                         writes one for every point, strategy and summary metric (only {} may \
                         be left out, when it has no number); the file was cut or edited",
                        at(),
                        text::quote(&text::shorten(strategy, 60)),
                        out::OPTIONAL_METRICS.join(", ")
                    )));
                }
            }
        }
    }
    Ok(rows)
}

/// Checks the cells `replications, mean, ci95_low, ci95_high` of a shard's row: a whole
/// number of replications from 1 to `most`, a finite mean, and an interval of two finite
/// numbers, low <= mean <= high, with more than one replication (none with one). `merge`
/// copies the cells as they are, so a `NaN` or `inf` would reach the merged sweep.csv.
fn check_numbers(cells: &[String], most: u32) -> Result<(), String> {
    let [n, mean, low, high] = cells else {
        return Err(format!("{} cells after the metric, not 4", cells.len()));
    };
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| (1..=most).contains(n))
        .ok_or_else(|| {
            format!(
                "replications `{}` is not a whole number from 1 to {most} (the manifest's)",
                text::quote(&text::shorten(n, 40))
            )
        })?;
    let finite = |column: &str, cell: &str| {
        cell.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "{column} `{}` is not a finite number (merge copies the cells into the \
                     merged sweep.csv, so a shard must hold numbers)",
                    text::quote(&text::shorten(cell, 40))
                )
            })
    };
    let mean = finite("mean", mean)?;
    if n == 1 {
        if !(low.is_empty() && high.is_empty()) {
            return Err(
                "ci95_low and ci95_high are not empty with 1 replication (a sweep leaves them \
                 empty: one value has no interval)"
                    .into(),
            );
        }
        return Ok(());
    }
    let (low, high) = (finite("ci95_low", low)?, finite("ci95_high", high)?);
    if !(low <= mean && mean <= high) {
        return Err(format!(
            "the interval {low} to {high} does not hold the mean {mean}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_metric_gets_the_nearest_name() {
        let m = unknown_metric("--find", "p99_latncy_ms");
        assert!(m.contains("(did you mean `p99_latency_ms`?)"), "{m}");
        let m = unknown_metric("--find", "eror_ratio");
        assert!(
            m.contains("error_ratio") && m.starts_with("--find: `eror_ratio`"),
            "{m}"
        );
        let m = unknown_metric("--metric", "zz");
        assert!(m.contains("the common ones are p99_latency_ms"), "{m}");
        let long = "x".repeat(5000);
        assert!(unknown_metric("--metric", &long).chars().count() <= 400);
    }

    #[test]
    fn merged_cells_must_be_finite_and_consistent() {
        let cells = |c: [&str; 4]| c.map(String::from).to_vec();
        assert_eq!(check_numbers(&cells(["2", "5", "4", "6"]), 2), Ok(()));
        assert_eq!(check_numbers(&cells(["1", "5", "", ""]), 2), Ok(()));
        for (bad, needle) in [
            (["2", "NaN", "4", "6"], "mean `NaN` is not a finite number"),
            (["2", "5", "-inf", "6"], "ci95_low `-inf`"),
            (["2", "5", "4", "inf"], "ci95_high `inf`"),
            (["2", "5", "", ""], "ci95_low ``"),
            (["1", "5", "4", "6"], "not empty with 1 replication"),
            (["3", "5", "4", "6"], "from 1 to 2"),
            (["0", "5", "", ""], "from 1 to 2"),
            (["2", "7", "4", "6"], "does not hold the mean"),
        ] {
            let e = check_numbers(&cells(bad), 2).unwrap_err();
            assert!(e.contains(needle), "{bad:?}: {e}");
        }
    }
}
