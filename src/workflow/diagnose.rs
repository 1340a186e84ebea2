//! `cachestorm diagnose`: runs a scenario's base strategy over replications, diagnoses it
//! ([`crate::diagnose::diagnose_runs`]), then reruns it with each mitigation its findings suggest
//! switched on ([`crate::diagnose::advice`]), on the same seeds, and measures what each changed:
//! advice that has been tried.
//!
//! Every variant is the base strategy's own world ([`crate::scenario::strategy_world`]) with the
//! mitigation's settings applied as a strategy of a generated scenario, so it is validated as a
//! file would be. A mitigation that cannot apply (refused by validation, needing a part the
//! scenario lacks, doing nothing there, already on, or depending on the scenario) is kept with
//! the reason, never dropped. Replication `r` of the base and of every mitigation uses the same
//! seed (common random numbers), so each change is a paired difference with its 95% interval
//! ([`Interval::paired`]).

use std::path::{Path, PathBuf};

use crate::diagnose::advice::{self, Advice};
use crate::diagnose::diagnose_runs;
use crate::experiment;
use crate::metrics::columns::{summary_columns, Cell};
use crate::metrics::interval::Interval;
use crate::metrics::{StrategyResult, StudyResult};
use crate::scenario::{self, overrides, Scenario};
use crate::text;

pub use super::checked::{Effect, Outcome, Report, Trial};
use super::{input, Meters, WorkflowError};

/// Replications when neither the file (with 2 or more) nor `--replications` says: enough for a
/// paired interval (t with 4 degrees of freedom is 2.78).
pub const DEFAULT_REPLICATIONS: u32 = 5;

/// What to diagnose.
#[derive(Clone, Debug)]
pub struct Request {
    /// The scenario file.
    pub file: PathBuf,
    /// The strategy to diagnose; by default the file's `baseline`, else its first strategy.
    pub strategy: Option<String>,
    /// Replications (at least 2); by default the file's when 2 or more, else
    /// [`DEFAULT_REPLICATIONS`].
    pub replications: Option<u32>,
    /// Seed instead of the file's.
    pub seed: Option<u64>,
    /// Memory budget, bytes, and how to name it in messages.
    pub budget: (u64, String),
}

/// Writes the runs of `report` and its `report.html` (with the checked advice) into `dir`, all
/// or nothing; `file` is the scenario file as given, shown on the page with its text. Returns
/// the paths written.
pub fn write(
    report: &Report,
    file: &Path,
    dir: crate::report::write::OutputDir,
) -> Result<Vec<PathBuf>, WorkflowError> {
    use anyhow::Context;
    let text = std::fs::read_to_string(file).ok();
    let html =
        crate::report::html::diagnose_report(report, &file.to_string_lossy(), text.as_deref())
            .context("drawing the charts of report.html")?;
    let outputs = super::run::Outputs {
        format: crate::report::ImageFormat::Png,
        charts: true,
        report: None,
    };
    super::run::write_outputs(
        &report.study,
        &report.scenario,
        dir,
        outputs,
        vec![(crate::report::html::FILE.to_string(), html)],
    )
}

/// The figures compared besides the finding's own.
const ALSO: [&str; 4] = [
    "p99_latency_ms",
    "worst_p99_latency_ms",
    "error_ratio",
    "db_queries_per_s",
];

/// The value of figure `metric` for one run, if it has a number.
pub fn figure_value(s: &StrategyResult, metric: &str) -> Option<f64> {
    let t = &s.result.summary.totals;
    if metric == "db_queries_per_s" {
        return (t.width_s > 0.0).then(|| t.db_submitted() as f64 / t.width_s);
    }
    let column = summary_columns().find(|c| c.name == metric)?;
    match column.value(t, Some(s)) {
        Cell::Count(n) => Some(n as f64),
        Cell::Real(x) if x.is_finite() => Some(x),
        _ => None,
    }
}

fn higher_is_better(metric: &str) -> bool {
    crate::metrics::columns::higher_is_better(metric)
}

/// The runs of strategy `i` over every replication.
fn runs_of(study: &StudyResult, i: usize) -> Vec<&StrategyResult> {
    study.runs.iter().map(|run| &run.strategies[i]).collect()
}

/// The effect on `metric` of strategy `i` against strategy 0, over the replications where both
/// have a number; `None` when fewer than two do.
fn effect(study: &StudyResult, i: usize, metric: &'static str) -> Option<Effect> {
    let (a, b): (Vec<f64>, Vec<f64>) = study
        .runs
        .iter()
        .filter_map(|run| {
            Some((
                figure_value(&run.strategies[i], metric)?,
                figure_value(&run.strategies[0], metric)?,
            ))
        })
        .unzip();
    (a.len() >= 2).then(|| Effect {
        metric,
        higher_is_better: higher_is_better(metric),
        base: Interval::of(&b),
        with: Interval::of(&a),
        change: Interval::paired(&a, &b),
    })
}

/// A scenario document: `world` with these strategies, `baseline` the first.
fn document(world: &toml::Table, strategies: Vec<toml::Table>) -> toml::Table {
    let mut doc = world.clone();
    if let Some(first) = strategies.first().and_then(|s| s.get("name")).cloned() {
        doc.insert("baseline".into(), first);
    }
    doc.insert(
        "strategies".into(),
        toml::Value::Array(strategies.into_iter().map(toml::Value::Table).collect()),
    );
    doc
}

/// A strategy entry named `name` applying `advice`'s settings (none for the base).
fn entry(name: &str, advice: Option<&Advice>) -> Result<toml::Table, String> {
    let mut t = toml::Table::new();
    t.insert("name".into(), toml::Value::String(name.into()));
    for (path, value) in advice.map_or(&[][..], |a| a.settings) {
        overrides::apply(&mut t, path, advice::value(value))?;
    }
    Ok(t)
}

/// Checks a generated document as a file: its text, parsed as `file` says in messages.
fn parse(doc: &toml::Table, file: &Path) -> Result<Scenario, scenario::ScenarioError> {
    let text = toml::to_string(doc).map_err(|e| scenario::ScenarioError::Syntax {
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    scenario::parse(&text, file)
}

/// Whether dotted `path` is set in `doc`.
fn is_set(doc: &toml::Table, path: &str) -> bool {
    let mut here = doc;
    let keys: Vec<&str> = path.split('.').collect();
    for (i, key) in keys.iter().enumerate() {
        match here.get(*key) {
            None => return false,
            Some(toml::Value::Table(t)) => here = t,
            Some(_) => return i + 1 == keys.len(),
        }
    }
    true
}

/// The value at dotted `path` in `doc`, if set.
fn get<'d>(doc: &'d toml::Table, path: &str) -> Option<&'d toml::Value> {
    let (parents, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let mut here = doc;
    for key in parents.into_iter().flat_map(|p| p.split('.')) {
        here = here.get(key)?.as_table()?;
    }
    here.get(last)
}

/// Why `advice` cannot be tried on `world` (the base strategy `base`'s), or `None` if it can.
/// `quiet` are the warnings the base strategy has alone, under the same strategy name.
fn why_not(
    advice: &Advice,
    world: &toml::Table,
    base: &str,
    file: &Path,
    quiet: &[String],
) -> Option<String> {
    if let Some(why) = advice.manual {
        return Some(format!("not tried automatically: {why}"));
    }
    if let Some(needs) = advice.needs.filter(|p| !is_set(world, p)) {
        return Some(format!(
            "does not apply: it needs `{needs}`, which `{}` does not set",
            text::quote(base)
        ));
    }
    if advice
        .settings
        .iter()
        .all(|(path, value)| get(world, path) == Some(&advice::value(value)))
    {
        return Some(format!("already on in `{}`", text::quote(base)));
    }
    let doc = match entry(CANDIDATE, Some(advice)) {
        Ok(e) => document(world, vec![e]),
        Err(e) => return Some(format!("does not apply: {e}")),
    };
    match parse(&doc, file) {
        Err(e) => Some(format!(
            "does not apply to `{}`: {}",
            text::quote(base),
            strip_file(&e.to_string(), file)
        )),
        Ok(s) => {
            let new: Vec<&String> = s.warnings.iter().filter(|w| !quiet.contains(w)).collect();
            (!new.is_empty()).then(|| {
                format!(
                    "does nothing in `{}`: {}",
                    text::quote(base),
                    new.iter()
                        .map(|w| strip_file(w, file))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
        }
    }
}

/// The strategy name every candidate is checked under, alone.
const CANDIDATE: &str = "candidate";

/// A message without its leading `FILE: ` and the generated strategy's name.
fn strip_file(message: &str, file: &Path) -> String {
    let prefix = format!("{}: ", file.display());
    message
        .strip_prefix(&prefix)
        .unwrap_or(message)
        .replace(&format!("strategies[0] (`{CANDIDATE}`)."), "")
        .replace(&format!(" (strategy `{CANDIDATE}`)"), "")
}

/// Loads and checks everything `diagnose` will run, runs the base strategy, diagnoses it, and
/// runs every mitigation that applies. Bad input (the file, `--strategy`, a memory budget the
/// runs cannot fit) is refused before anything runs. The scenario file's validation warnings
/// go to `warn` once the arguments are checked and before anything runs, as `run` says them.
pub fn run(
    req: &Request,
    meters: Meters,
    warn: &mut dyn FnMut(&str),
) -> Result<Report, WorkflowError> {
    let file = req.file.as_path();
    let text = scenario::read_text(file).map_err(|e| input(e.to_string()))?;
    let original = scenario::parse(&text, file).map_err(|e| input(e.to_string()))?;
    let base = match &req.strategy {
        Some(name) => {
            if !original.strategies.iter().any(|s| &s.name == name) {
                let known: Vec<&str> = original
                    .strategies
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                return Err(input(format!(
                    "{}: --strategy `{}` is not in this file; its strategies are: {}",
                    text::escape(&file.display().to_string()),
                    text::quote(name),
                    known.join(", ")
                )));
            }
            name.clone()
        }
        None => original
            .study
            .baseline
            .clone()
            .unwrap_or_else(|| original.strategies[0].name.clone()),
    };
    let replications = req
        .replications
        .unwrap_or(if original.study.replications >= 2 {
            original.study.replications
        } else {
            DEFAULT_REPLICATIONS
        });
    if replications < 2 {
        return Err(input(format!(
            "{}: diagnose needs at least 2 replications for an interval; give --replications 2 or more",
            text::escape(&file.display().to_string())
        )));
    }
    let mut world =
        scenario::strategy_world(&text, file, &base).map_err(|e| input(e.to_string()))?;
    world.insert(
        "replications".into(),
        toml::Value::Integer(replications.into()),
    );
    if let Some(seed) = req.seed {
        world.insert("seed".into(), toml::Value::Integer(seed as i64));
    }
    let parse_input = |doc: &toml::Table| parse(doc, file).map_err(|e| input(e.to_string()));
    let entry_input = |name: &str, a: Option<&Advice>| entry(name, a).map_err(input);

    // The base strategy alone: its warnings, and its diagnosis.
    let alone = parse_input(&document(&world, vec![entry_input(&base, None)?]))?;
    let quiet = parse_input(&document(&world, vec![entry_input(CANDIDATE, None)?]))?.warnings;
    for w in &original.warnings {
        warn(w);
    }
    let study = simulate(alone.clone(), &req.budget, meters)?;
    let diagnosis = diagnose_runs(&runs_of(&study, 0));

    // The mitigations of every finding, each once, in the order of the findings.
    let mut trials: Vec<Trial> = Vec::new();
    for f in &diagnosis.findings {
        for a in advice::for_mode(f.mode) {
            match trials.iter_mut().find(|t| t.advice.name == a.name) {
                Some(t) => t.modes.push(f.mode),
                None => trials.push(Trial {
                    advice: *a,
                    modes: vec![f.mode],
                    outcome: match why_not(a, &world, &base, file, &quiet) {
                        Some(why) => Outcome::NotTried(why),
                        None => Outcome::Tried(Vec::new()),
                    },
                }),
            }
        }
    }
    let tried: Vec<usize> = (0..trials.len())
        .filter(|&i| matches!(trials[i].outcome, Outcome::Tried(_)))
        .collect();
    let (scenario, study) = if tried.is_empty() {
        (alone, study)
    } else {
        let mut entries = vec![entry_input(&base, None)?];
        for &i in &tried {
            entries.push(entry_input(
                &unique_name(trials[i].advice.name, &base),
                Some(&trials[i].advice),
            )?);
        }
        let all = parse_input(&document(&world, entries))?;
        let study = simulate(all.clone(), &req.budget, meters)?;
        (all, study)
    };
    for (k, &i) in tried.iter().enumerate() {
        let figure = advice::figure(trials[i].modes[0]);
        let metrics = std::iter::once(figure).chain(ALSO.into_iter().filter(|m| *m != figure));
        trials[i].outcome =
            Outcome::Tried(metrics.filter_map(|m| effect(&study, k + 1, m)).collect());
    }
    Ok(Report {
        scenario,
        base,
        diagnosis,
        trials,
        study,
    })
}

/// `name`, or `try-name` when the base strategy is called `name` already.
fn unique_name(name: &str, base: &str) -> String {
    if name == base {
        format!("try-{name}")
    } else {
        name.to_string()
    }
}

/// Plans `s` within the memory budget and runs it with a meter.
fn simulate(
    mut s: Scenario,
    budget: &(u64, String),
    meters: Meters,
) -> Result<StudyResult, WorkflowError> {
    let threads = rayon::current_num_threads();
    let plan = experiment::plan_within(&mut s, budget.0, &budget.1, threads).map_err(input)?;
    let total: f64 = s
        .strategies
        .iter()
        .map(|st| st.config.duration.as_secs_f64())
        .sum::<f64>()
        * s.study.replications as f64;
    let meter = meters(&s.name, total);
    let study = experiment::run_planned(&s, &plan, &|p| meter.advance(p));
    meter.finish();
    study.map_err(|e| WorkflowError::Other(anyhow::anyhow!(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_set_or_not() {
        let doc: toml::Table = "a = 1\n[m]\nlock = { ttl = \"2s\" }\n".parse().unwrap();
        assert!(is_set(&doc, "a") && is_set(&doc, "m.lock") && is_set(&doc, "m.lock.ttl"));
        assert!(!is_set(&doc, "b") && !is_set(&doc, "m.lease") && !is_set(&doc, "a.b"));
        assert_eq!(
            get(&doc, "m.lock.ttl"),
            Some(&toml::Value::String("2s".into()))
        );
        assert_eq!(get(&doc, "m.x"), None);
    }

    #[test]
    fn a_change_helps_only_when_its_interval_is_on_the_better_side() {
        let e = |a: &[f64], b: &[f64], higher| Effect {
            metric: "x",
            higher_is_better: higher,
            base: Interval::of(b),
            with: Interval::of(a),
            change: Interval::paired(a, b),
        };
        assert_eq!(
            e(&[1.0, 1.1, 0.9], &[5.0, 5.2, 4.9], false).helps(),
            Some(true)
        );
        assert_eq!(
            e(&[1.0, 1.1, 0.9], &[5.0, 5.2, 4.9], true).helps(),
            Some(false)
        );
        assert_eq!(e(&[1.0, 5.0, 0.9], &[5.0, 1.2, 1.0], false).helps(), None);
    }
}
