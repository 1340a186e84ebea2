//! `cachestorm sweep` and `cachestorm merge`: the arguments read and checked, the results
//! printed. What runs, how `--find` searches and how shards merge live in
//! [`crate::workflow::sweep`]; the files are made by [`crate::report::sweep`].

use super::{finish, CommandError, Progress};
use crate::cli::{MergeArgs, SweepArgs};
use crate::console::{self, Stdout};
use crate::report::metric_names;
use crate::report::sweep::{self as out, Manifest, Row};
use crate::report::write::OutputDir;
use crate::text;
use crate::workflow::objective::{parse_objective, Objective};
use crate::workflow::run::default_memory_budget;
use crate::workflow::sweep::{files, find, list_points, merge, plan, points, search_order, Sweep};
use crate::workflow::Meter;

/// The metric charted when neither `--metric` nor `--find` names one.
const DEFAULT_METRIC: &str = "p99_latency_ms";

fn input(message: String) -> CommandError {
    CommandError::Input(message)
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

    let runs = plan::runs(args.shard, sweep.points.len());
    let budget = args.max_memory.unwrap_or_else(default_memory_budget);
    let checked = points::check_points(&sweep, budget)?;
    let s = &checked.first;
    for w in checked.plan_warnings.iter().chain(&s.warnings) {
        console::warn(w);
    }
    if search.is_none() {
        if let Some(w) = plan::cost_warning(&checked, &runs) {
            console::warn(&w);
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

    let folder = plan::folder(&s.name, args.shard);
    let dir = files::claim(&args.out, &folder, &s.name, "this sweep")?;

    let strategies: Vec<String> = s.strategies.iter().map(|st| st.name.clone()).collect();
    let mut manifest = plan::manifest(
        &sweep,
        &checked,
        &plan::Choices {
            settings: &args.settings,
            format: args.format,
            metric: &metric,
            objectives: search.as_ref().map_or(&[], |(o, _, _)| o.as_slice()),
            shard: args.shard,
        },
    );

    let mut stdout = Stdout::default();
    let written = match &search {
        Some((objectives, searched, order)) => {
            let answers = find::find(
                &sweep,
                &checked,
                objectives,
                *searched,
                order,
                &strategies,
                &meter,
            )?;
            manifest.found = answers.found;
            let written = write(dir, &manifest, &answers.rows, !args.no_charts)?;
            stdout.print(&out::table(&manifest, &answers.rows).map_err(internal)?);
            stdout.print(&answers.report);
            written
        }
        None => {
            let rows = points::run_points(&sweep, &checked, &runs, &meter)?;
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

/// A progress bar for the runs of a sweep, named `prefix`, over `total_s` seconds of
/// simulated time.
fn meter(prefix: &str, total_s: f64) -> Box<dyn Meter> {
    Box::new(Progress::new(prefix, total_s))
}

/// An output that cannot be made from data this command produced itself: a bug.
fn internal(e: String) -> CommandError {
    CommandError::Other(anyhow::anyhow!("internal error: {e}"))
}

/// Writes a sweep's files into `dir` (see [`files::write`]), its warnings said.
fn write(
    dir: OutputDir,
    manifest: &Manifest,
    rows: &[Row],
    with_charts: bool,
) -> Result<Vec<std::path::PathBuf>, CommandError> {
    Ok(files::write(dir, manifest, rows, with_charts, &mut |w| {
        console::warn(w)
    })?)
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

pub(super) fn merge(args: MergeArgs) -> Result<(), CommandError> {
    if crate::workflow::phase::merge::is_phase(&args.dirs) {
        return super::phase::merge(args);
    }
    let merge::Merged {
        manifest,
        rows,
        count,
    } = merge::read_shards(&args.dirs)?;
    let folder = format!("{}-sweep", manifest.scenario);
    let dir = files::claim(&args.out, &folder, &manifest.scenario, "this merge")?;
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
}
