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
use crate::report::objective::{find_smallest, parse_objective, Objective, Outcome};
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

pub(super) fn sweep(args: SweepArgs) -> Result<(), CommandError> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        input(format!(
            "{}: cannot read the file: {e}",
            text::escape(&args.file.display().to_string())
        ))
    })?;
    let sweep = Sweep::new(
        &args.file,
        text,
        &args.settings,
        args.seed,
        args.replications,
        args.strategies.clone(),
    )
    .map_err(input)?;
    let objective = args
        .find
        .as_deref()
        .map(parse_objective)
        .transpose()
        .map_err(|e| input(format!("--find: {e}")))?;
    if objective.is_some() && args.shard.is_some() {
        return Err(input(
            "--find cannot be split into shards: each step of its bisection depends on the one \
             before. Run it on one machine, or run the whole sweep in shards (without --find) and \
             read the answer off the merged sweep.csv"
                .into(),
        ));
    }
    let metric = match (&objective, &args.metric) {
        (Some(o), Some(m)) if *m != o.metric => {
            return Err(input(format!(
                "--metric `{}` is not the metric of --find (`{}`); the chart shows the metric searched, so give one of them",
                text::quote(m),
                o.metric
            )))
        }
        (Some(o), _) => o.metric.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => DEFAULT_METRIC.to_string(),
    };
    if !out::is_metric(&metric) {
        return Err(input(unknown_metric(
            if objective.is_some() {
                "--find"
            } else {
                "--metric"
            },
            &metric,
        )));
    }
    // With --find: the objective, the setting searched and the points in ascending order.
    let search = match objective {
        Some(o) => {
            let (searched, order) = search_order(&sweep.settings).map_err(input)?;
            Some((o, searched, order))
        }
        None => None,
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
    let dir = OutputDir::prepare(&args.out, &folder).map_err(|e| CommandError::Other(e.into()))?;

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
        objective: search.as_ref().map(|(o, _, _)| o.to_string()),
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
        Some((objective, searched, order)) => {
            let (rows, found, report) =
                find(&sweep, &checked, objective, *searched, order, &strategies)?;
            manifest.found = found;
            let written = write(dir, &manifest, &rows)?;
            stdout.print(&out::table(&manifest, &rows).map_err(internal)?);
            stdout.print(&report);
            written
        }
        None => {
            let rows = run_points(&sweep, &checked, &runs)?;
            let written = write(dir, &manifest, &rows)?;
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

/// A message for a metric that is not a summary column, with the columns it resembles.
fn unknown_metric(flag: &str, metric: &str) -> String {
    let words: Vec<&str> = metric.split('_').filter(|w| w.len() >= 3).collect();
    let like: Vec<&str> = crate::report::csv::summary_columns()
        .into_iter()
        .skip(1)
        .filter(|c| words.iter().any(|w| c.contains(w)))
        .take(12)
        .collect();
    format!(
        "{flag}: `{}` is not a summary metric{} (a column of summary.csv, such as p99_latency_ms, \
         worst_p99_latency_ms, peak_db_queries_per_s or error_ratio){}",
        text::quote(metric),
        crate::report::metric_names::did_you_mean(metric),
        if like.is_empty() {
            String::new()
        } else {
            format!("; similar ones: {}", like.join(", "))
        }
    )
}

/// An output that cannot be made from data this command produced itself: a bug.
fn internal(e: String) -> CommandError {
    CommandError::Other(anyhow::anyhow!("internal error: {e}"))
}

/// Checks every point (all of them, whichever a shard or a search will run) and plans each
/// within the memory budget, before anything runs.
fn check_points(sweep: &Sweep, max_memory: Option<u64>) -> Result<Checked, CommandError> {
    let budget = max_memory.unwrap_or_else(default_memory_budget);
    let most = rayon::current_num_threads();
    let mut threads = most;
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
        threads = threads.min(plan.threads);
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
    if threads < most {
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
/// `objective` (on the mean over replications). A point runs every strategy at once and is
/// run at most once. Returns the rows of the points run, the answers, and the report to print.
fn find(
    sweep: &Sweep,
    checked: &Checked,
    objective: &Objective,
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
    let mut searches = Vec::with_capacity(strategies.len());
    for i in 0..strategies.len() {
        let search = find_smallest(order.len(), |k| {
            let p = order[k];
            evaluate(sweep, checked, &mut cache, p)?;
            let mean = mean_of(&cache[&p][i], &objective.metric).map(|ci| ci.0);
            Ok::<bool, CommandError>(mean.is_some_and(|m| objective.met(m)))
        })?;
        searches.push(search);
    }
    let path = &sweep.settings[searched].path;
    let value = |p: usize| text::escape(&labels[p]).into_owned();
    let figure_text = |p: usize, i: usize| match mean_of(&cache[&p][i], &objective.metric) {
        Some((mean, half)) => plus_minus(mean, half),
        None => "no data".into(),
    };
    // Whether the interval of point p reaches across the bound: the answer there may change
    // with more replications.
    let straddles = |p: usize, i: usize| {
        mean_of(&cache[&p][i], &objective.metric).is_some_and(|(mean, half)| {
            half.is_finite() && mean - half <= objective.bound && objective.bound <= mean + half
        })
    };
    let mut report = String::new();
    let mut found = Vec::with_capacity(strategies.len());
    for (i, (name, search)) in strategies.iter().zip(&searches).enumerate() {
        let name_shown = text::escape(name);
        let answer = match search.outcome {
            Outcome::Found(k) => format!(
                "smallest {path} meeting {objective}: {} ({} {}); the value below, {}, does not \
                 ({})",
                value(order[k]),
                objective.metric,
                figure_text(order[k], i),
                value(order[k - 1]),
                figure_text(order[k - 1], i)
            ),
            Outcome::SmallestMeets => format!(
                "even the smallest value, {path} = {}, meets {objective} ({} {}): the \
                 threshold may lie below the range",
                value(order[0]),
                objective.metric,
                figure_text(order[0], i)
            ),
            Outcome::NoneMeets => {
                let last = order[order.len() - 1];
                format!(
                    "none of the values meets {objective}, not even {path} = {} ({} {})",
                    value(last),
                    objective.metric,
                    figure_text(last, i)
                )
            }
        };
        let near: Vec<usize> = match search.outcome {
            Outcome::Found(k) => vec![order[k - 1], order[k]],
            Outcome::SmallestMeets => vec![order[0]],
            Outcome::NoneMeets => vec![order[order.len() - 1]],
        };
        let doubt = if near.iter().any(|&p| straddles(p, i)) {
            format!(
                " (the 95% interval there reaches across {}: more replications would settle it)",
                objective.bound
            )
        } else {
            String::new()
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
        found.push(FoundRecord::new(
            name,
            search.outcome,
            &search.evaluated,
            order,
            &labels,
        ));
    }
    report.push_str(&format!(
        "{} of {} points run (each with every strategy and {} replication{}), judged on the \
         mean over replications. The bisection assumes that a value meeting the objective means \
         every larger one does; a full sweep (without --find) shows whether it holds.\n",
        cache.len(),
        order.len(),
        checked.first.study.replications,
        if checked.first.study.replications == 1 {
            ""
        } else {
            "s"
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

/// Writes a sweep's files into `dir`, warning about charts left out; returns the paths.
fn write(
    dir: OutputDir,
    manifest: &Manifest,
    rows: &[Row],
) -> Result<Vec<std::path::PathBuf>, CommandError> {
    let outputs = out::outputs(manifest, rows).map_err(internal)?;
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
    let dir = OutputDir::prepare(&args.out, &folder).map_err(|e| CommandError::Other(e.into()))?;
    let written = write(dir, &manifest, &rows)?;
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
        .parsed_objective()
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
    Ok(rows)
}
