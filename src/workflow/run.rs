//! The workflow of `run` (and of `fanout --scenario` and `diagnose --out`): the scenarios'
//! output folders claimed, every scenario planned within the memory budget, simulated, and its
//! output folder assembled (CSVs, charts, `report.html`, `run.toml`) and written all or
//! nothing. Printing stays with the commands: warnings go through a callback, progress
//! through a [`Meter`].

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Meter, WorkflowError};
use crate::experiment::{self, Plan, StudyResult};
use crate::report::write::OutputDir;
use crate::report::{self, ImageFormat};
use crate::scenario::{self, Scenario};
use crate::text;

/// A scenario's output folder: its name under `--out`, and what writes it, for messages
/// (`scenario `x` with --seed 2`).
#[derive(Clone, Debug)]
pub struct Folder {
    /// The folder's name under the output folder.
    pub name: String,
    /// The scenario's name, recorded in the folder so another scenario's is never replaced.
    pub scenario: String,
    /// What writes it, for messages.
    pub what: String,
}

/// How much a scenario's runs have to do, for its [`Meter`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    /// Seconds of simulated time, summed over every run.
    Simulated(f64),
    /// Records of replayed traces read, summed over every run (every strategy replays one).
    Records(f64),
}

/// Starts a [`Meter`] named by its first argument (a scenario's name) over a [`Length`].
pub type RunMeters<'a> = &'a (dyn Fn(&str, Length) -> Box<dyn Meter> + Sync);

/// What a run writes besides its CSVs and `summary.json`.
#[derive(Clone, Copy, Debug)]
pub struct Outputs<'a> {
    /// The image format of the charts.
    pub format: ImageFormat,
    /// Whether the charts are drawn.
    pub charts: bool,
    /// `report.html`, with the `--strategy` names selected (empty for all); `None` for none.
    pub report: Option<&'a [String]>,
}

/// The scenario files a `run` (or `fanout --scenario`) reads, and the command line's overrides.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The scenario files, in the order given.
    pub files: &'a [PathBuf],
    /// `--seed`, if given.
    pub seed: Option<u64>,
    /// `--replications`, if given.
    pub replications: Option<u32>,
    /// `--strategy` names; empty for every strategy.
    pub strategies: &'a [String],
}

/// Loads every file and applies the request's overrides; nothing runs until all are valid.
/// Also returns each scenario's output folder: the scenario's name, with `-seed-N` when --seed
/// changes the file's seed and `-rR` when --replications changes its replications, so such a
/// run never overwrites the plain run's outputs. Two scenarios of one invocation that would
/// write the same folder are refused, naming both. A baseline left out by `--strategy` is said
/// through `warn`.
pub fn prepare(
    req: &Request,
    warn: &mut dyn FnMut(&str),
) -> Result<(Vec<Scenario>, Vec<Folder>), WorkflowError> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut folders: Vec<Folder> = Vec::new();
    for file in req.files {
        let mut s = scenario::load(file).map_err(|e| WorkflowError::Input(e.to_string()))?;
        let mut folder = s.name.clone();
        let mut what = format!("scenario `{}`", s.name);
        let mut flags = Vec::new();
        if let Some(seed) = req.seed.filter(|&n| n != s.seed) {
            s.seed = seed;
            folder.push_str(&format!("-seed-{seed}"));
            flags.push(format!("--seed {seed}"));
        }
        if let Some(r) = req.replications.filter(|&r| r != s.study.replications) {
            s.study.replications = r;
            folder.push_str(&format!("-r{r}"));
            flags.push(format!("--replications {r}"));
        }
        if !flags.is_empty() {
            what.push_str(&format!(" with {}", flags.join(" ")));
        }
        if !req.strategies.is_empty() {
            for wanted in req.strategies {
                if !s.strategies.iter().any(|st| &st.name == wanted) {
                    let known: Vec<&str> = s.strategies.iter().map(|st| st.name.as_str()).collect();
                    return Err(WorkflowError::Input(format!(
                        "{}: --strategy `{}` is not in this file; its strategies are: {}",
                        file.display(),
                        text::quote(wanted),
                        known.join(", ")
                    )));
                }
            }
            s.strategies.retain(|st| req.strategies.contains(&st.name));
            if let Some(b) = s.study.baseline.take() {
                if s.strategies.iter().any(|st| st.name == b) {
                    s.study.baseline = Some(b);
                } else {
                    warn(&format!(
                        "{}: baseline `{b}` is not among the strategies chosen with --strategy: \
                         no differences from it are reported",
                        file.display()
                    ));
                }
            }
        }
        if let Some(i) = folders.iter().position(|f| f.name == folder) {
            return Err(WorkflowError::Input(format!(
                "{}: {what} writes to the folder `{}`, as does {} ({}); one would replace the \
                 other: rename one of the scenarios or run them separately with another --out",
                text::escape(&file.display().to_string()),
                text::quote(&folder),
                text::escape(&scenarios[i].file.display().to_string()),
                folders[i].what
            )));
        }
        folders.push(Folder {
            name: folder,
            scenario: s.name.clone(),
            what,
        });
        scenarios.push(s);
    }
    Ok((scenarios, folders))
}

/// The default memory budget when `--max-memory` is not given, in bytes: half of the smallest
/// of the machine's memory, the cgroup limit and the ulimits (see [`crate::memory_budget`]).
pub fn default_memory_budget() -> u64 {
    crate::memory_budget::MemoryLimits::detect().budget()
}

/// The memory budget in bytes and how to name it in messages: `--max-memory` when given
/// (`max_memory` bytes), or where the default came from.
pub fn memory_budget(max_memory: Option<u64>) -> (u64, String) {
    match max_memory {
        Some(b) => (b, "--max-memory".to_string()),
        None => {
            let limits = crate::memory_budget::MemoryLimits::detect();
            (limits.budget(), limits.describe())
        }
    }
}

/// The warnings about a scenario worth reading before it runs, in the order to say them.
pub fn warnings_before_running(s: &Scenario) -> Vec<String> {
    let mut warnings = s.warnings.clone();
    if s.strategies.len() > report::charts::MAX_PANELS {
        warnings.push(format!(
            "{}: {} strategies: the small-multiple charts (*_by_strategy, goodput, node_load) have one \
             panel per strategy and are drawn for at most {}, so they are left out; choose strategies with \
             --strategy to get them",
            s.file.display(),
            s.strategies.len(),
            report::charts::MAX_PANELS
        ));
    }
    warnings
}

/// The warnings about a study worth reading after it ran: a strategy that ended with more than
/// 0.1% of its requests unfinished without diverging, and one that diverged and was stopped.
pub fn warnings_after_running(study: &StudyResult, s: &Scenario) -> Vec<String> {
    let mut warnings = Vec::new();
    for (st, config) in study.first().strategies.iter().zip(&s.strategies) {
        let totals = &st.result.summary.totals;
        if totals.unfinished * 1000 > totals.arrived && st.result.summary.truncation.is_none() {
            let advice = match config.config.drain {
                None => "add `drain = true` to let them finish after `duration`".to_string(),
                Some(d) => format!("the drain stopped at its bound ({d}); raise `drain`"),
            };
            warnings.push(format!(
                "strategy `{}` ended with {} of {} requests unfinished ({:.1}%): they are \
                 in no latency figure, so percentiles understate the truth; {advice}",
                st.name,
                totals.unfinished,
                totals.arrived,
                100.0 * totals.unfinished as f64 / totals.arrived as f64
            ));
        }
        if let Some(t) = &st.result.summary.truncation {
            warnings.push(format!(
                "strategy `{}` diverged and was stopped at {:.3} s simulated: {}; its \
                 results end there (summary.csv: truncated = 1). Bound the backlog with \
                 db.queue_limit, db.queue_timeout, app.queue_limit or clients.timeout, or give \
                 the database more capacity",
                st.name, t.at_s, t.reason
            ));
        }
    }
    warnings
}

/// How `run` would plan `s` within the memory budget (`budget` bytes, named `source` in
/// messages) on this machine's threads, for `validate`: the plan described, or why `run` would
/// refuse it.
pub fn describe_plan(s: &mut Scenario, budget: u64, source: &str) -> Result<String, String> {
    let threads = rayon::current_num_threads();
    experiment::plan_within(s, budget, source, threads).map(|p| p.describe())
}

/// Plans every scenario within the memory budget (`max_memory` bytes, or the default) before
/// anything runs: refused (bad input, with the numbers) if one cannot fit; what was lowered,
/// a large plan and fewer threads than strategies said through `warn`.
pub fn plan_all(
    scenarios: &mut [Scenario],
    max_memory: Option<u64>,
    warn: &mut dyn FnMut(&str),
) -> Result<Vec<Plan>, WorkflowError> {
    let (budget, source) = memory_budget(max_memory);
    let threads = rayon::current_num_threads();
    let mut plans = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        let plan =
            experiment::plan_within(s, budget, &source, threads).map_err(WorkflowError::Input)?;
        for (name, from, to) in &plan.lowered {
            warn(&format!(
                "{}: strategy `{name}`: limits.max_in_flight lowered from its default {from} to \
                 {to} to fit the memory budget of {} ({source}); a run that reaches it stops \
                 as diverged",
                s.name,
                experiment::bytes(budget)
            ));
        }
        if plan.is_large() {
            warn(&format!("{}: {}", s.name, plan.describe()));
        }
        let could = threads.min(s.strategies.len());
        if plan.threads < could {
            warn(&format!(
                "{}: simulating {} strateg{} at a time instead of {could}, to stay within the memory \
                 budget of {} ({source})",
                s.name,
                plan.threads,
                if plan.threads == 1 { "y" } else { "ies" },
                experiment::bytes(budget)
            ));
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// Locks and prepares the output folder of every scenario under `parent` before any
/// simulation, so a busy or unwritable folder fails at once rather than after a long run, and
/// a folder another scenario wrote (through a suffix: `x-seed-2` and `x --seed 2`) is refused
/// (bad input) instead of replaced.
pub fn prepare_outputs(parent: &Path, folders: &[Folder]) -> Result<Vec<OutputDir>, WorkflowError> {
    folders.iter().map(|f| claim(parent, f)).collect()
}

/// Locks and prepares the output folder `folder` under `parent` (see [`prepare_outputs`]):
/// one another scenario wrote is refused (bad input) instead of replaced.
pub fn claim(parent: &Path, folder: &Folder) -> Result<OutputDir, WorkflowError> {
    OutputDir::prepare_for(parent, &folder.name, &folder.scenario, &folder.what).map_err(
        |e| match e {
            report::write::OutputError::Collision { .. } => WorkflowError::Input(e.to_string()),
            e => WorkflowError::Other(e.into()),
        },
    )
}

/// Simulates `s` as `plan` says, its progress shown by a meter from `meters`. Refused (bad
/// input) if a trace the runs would read again changed since the file was checked.
pub fn simulate(
    s: &Scenario,
    plan: &Plan,
    meters: RunMeters,
) -> Result<StudyResult, WorkflowError> {
    // A trace read again by the runs must be the one counted when the file was checked.
    for st in &s.strategies {
        if let Some(why) = st.config.clients.trace.as_ref().and_then(|t| {
            t.changed()
                .map(|why| format!("trace {}: {why}", t.path.display()))
        }) {
            return Err(WorkflowError::Input(format!(
                "{}: strategy `{}`: clients.trace.path: {}; run again to check it anew",
                text::escape(&s.file.display().to_string()),
                text::escape(&st.name),
                text::escape(&why)
            )));
        }
    }
    let reps = s.study.replications as f64;
    let traces: Option<Vec<u64>> = s
        .strategies
        .iter()
        .map(|st| st.config.clients.trace.as_ref().map(|t| t.scan.records))
        .collect();
    let length = match traces {
        // Every strategy replays a trace: the meter follows the records read.
        Some(records) => Length::Records(records.iter().sum::<u64>() as f64 * reps),
        None => Length::Simulated(
            s.strategies
                .iter()
                .map(|st| st.config.duration.as_secs_f64())
                .sum::<f64>()
                * reps,
        ),
    };
    let meter = meters(&s.name, length);
    let result = experiment::run_planned(s, plan, &|p| meter.advance(p));
    meter.finish();
    result.map_err(|e| WorkflowError::Other(anyhow::anyhow!(e)))
}

/// A study written: the study, its scenario and the files written.
pub type Written<'a> = (StudyResult, &'a Scenario, Vec<PathBuf>);

/// Simulates `scenarios` in file order as `plans` say, each written into its folder of `dirs`
/// with `outputs`: each scenario's outputs (charts above all) are made while the next one
/// simulates. `done` is handed every written study in file order, so what it prints is the
/// same whatever the threads; the first error stops everything.
pub fn simulate_and_write<'a, E>(
    scenarios: &'a [Scenario],
    dirs: Vec<OutputDir>,
    plans: &[Plan],
    outputs: Outputs,
    meters: RunMeters,
    done: &mut dyn FnMut(Written<'a>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<WorkflowError>,
{
    let write = |(study, s, dir): (StudyResult, &'a Scenario, OutputDir)| {
        write_outputs(&study, s, dir, outputs, Vec::new()).map(|written| (study, s, written))
    };
    let mut previous: Option<(StudyResult, &Scenario, OutputDir)> = None;
    for ((s, dir), plan) in scenarios.iter().zip(dirs).zip(plans) {
        let before = previous.take();
        let (study, written) = rayon::join(
            || simulate(s, plan, meters),
            || before.map(&write).transpose(),
        );
        if let Some(w) = written? {
            done(w)?;
        }
        previous = Some((study?, s, dir));
    }
    if let Some(w) = previous.map(&write).transpose()? {
        done(w)?;
    }
    Ok(())
}

/// The extra files of `fanout --scenario`: `fanout.csv` of `rows` and the fan-out charts of
/// the run `name`, in `format`.
pub fn fanout_files(
    name: &str,
    rows: &[report::fanout::FanoutRow],
    format: ImageFormat,
) -> Result<Vec<(String, Vec<u8>)>, WorkflowError> {
    let mut extra = vec![("fanout.csv".to_string(), report::fanout::csv(rows))];
    let data = report::fanout::chart_data(name, rows);
    for chart in
        report::charts::render_fanout(&data, format).context("drawing the fan-out charts")?
    {
        extra.push((
            format!("{}.{}", chart.file_stem, format.extension()),
            chart.bytes,
        ));
    }
    Ok(extra)
}

/// Writes the CSVs and charts of `study`, plus `extra` files, then the manifest `run.toml`,
/// into `dir`, all or nothing. With replications, `summary.csv` holds means and
/// `replications.csv` and `intervals.csv` join it, and the charts draw each line as the mean
/// over the replications, shaded from the lowest to the highest of them. With a report in
/// `outputs`, `report.html` joins them. Returns the paths written.
pub fn write_outputs(
    study: &StudyResult,
    scenario: &Scenario,
    dir: OutputDir,
    outputs: Outputs,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<Vec<PathBuf>, WorkflowError> {
    let Outputs {
        format,
        charts,
        report,
    } = outputs;
    let result = study.first();
    let mut files = if study.replications() > 1 {
        vec![
            (
                "timeseries.csv".to_string(),
                report::csv::timeseries_replications(&study.runs),
            ),
            (
                "summary.csv".to_string(),
                report::replications::summary(study),
            ),
            (
                "replications.csv".to_string(),
                report::replications::per_replication(study),
            ),
            (
                "intervals.csv".to_string(),
                report::replications::intervals(study),
            ),
        ]
    } else {
        vec![
            (
                "timeseries.csv".to_string(),
                report::csv::timeseries(result),
            ),
            ("summary.csv".to_string(), report::csv::summary(result)),
        ]
    };
    let nodes = if study.replications() > 1 {
        report::csv::nodes_replications(&study.runs)
    } else {
        report::csv::nodes(result)
    };
    if let Some(nodes) = nodes {
        files.push(("nodes.csv".to_string(), nodes));
    }
    files.push((
        "summary.json".to_string(),
        report::json::summary_bytes(study),
    ));
    // report.html inlines SVG charts: with PNG files they are drawn beside them, at once.
    let report_svg = charts && report.is_some() && format == ImageFormat::Png;
    let (drawn, svg) = rayon::join(
        || charts.then(|| report::charts::render_study(study, format)),
        || report_svg.then(|| report::charts::render_study(study, ImageFormat::Svg)),
    );
    let drawn = drawn
        .transpose()
        .context("drawing the charts")?
        .unwrap_or_default();
    if let Some(selected) = report {
        let svg = match svg {
            Some(svg) => svg.context("drawing the charts of report.html")?,
            None if format == ImageFormat::Svg => drawn.to_vec(),
            None => Vec::new(),
        };
        files.push((
            report::html::FILE.to_string(),
            html_report(study, scenario, selected, &svg),
        ));
    }
    for chart in drawn {
        files.push((
            format!("{}.{}", chart.file_stem, format.extension()),
            chart.bytes,
        ));
    }
    files.extend(extra);
    let manifest = report::manifest::Manifest {
        cachestorm_version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name,
        scenario_file: scenario.file.to_string_lossy().into_owned(),
        scenario_sha256: &scenario.source_sha256,
        seed: result.seed,
        format,
        strategies: result.strategies.iter().map(|s| s.name.as_str()).collect(),
        files: files.iter().map(|(name, _)| name.as_str()).collect(),
    };
    let manifest = report::manifest::run_toml(&manifest);
    files.push((report::MANIFEST.to_string(), manifest));
    let written = dir.commit(&files).context("writing the outputs")?;
    Ok(written)
}

/// The bytes of `report.html`: with the SVG charts `svg` (none when the run draws none), and
/// the scenario file shown if it is still the one run (its SHA-256 unchanged).
fn html_report(
    study: &StudyResult,
    scenario: &Scenario,
    selected: &[String],
    svg: &[report::charts::Chart],
) -> Vec<u8> {
    let text = std::fs::read_to_string(&scenario.file).ok().filter(|t| {
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        hex == scenario.source_sha256
    });
    let file = scenario.file.to_string_lossy();
    let command =
        report::html::reproduce(&file, study.first().seed, study.replications(), selected);
    let page = report::html::Page {
        scenario_file: &file,
        scenario_text: text.as_deref(),
        command: &command,
        svg_charts: svg,
        advice: None,
        strategies: &scenario.strategies,
    };
    report::html::report(study, &page)
}
