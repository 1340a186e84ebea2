//! `cachestorm sweep` and `cachestorm merge`: the arguments read and checked, the results
//! printed. What runs, how `--find` searches and how shards merge live in
//! [`crate::workflow::sweep`]; the files are made by [`crate::report::sweep`].

use super::{finish, CommandError, Progress};
use crate::cli::{MergeArgs, SweepArgs};
use crate::console::{self, Stdout};
use crate::experiment;
use crate::report::metric_names;
use crate::report::sweep::{self as out, Manifest, Row, SettingRecord, ShardRecord};
use crate::report::write::OutputDir;
use crate::scenario::overrides;
use crate::text;
use crate::workflow::objective::{parse_objective, Objective};
use crate::workflow::run::{self, default_memory_budget, Folder};
use crate::workflow::sweep::{files, find, list_points, merge, points, search_order, Shard, Sweep};
use crate::workflow::Meter;

/// The metric charted when neither `--metric` nor `--find` names one.
const DEFAULT_METRIC: &str = "p99_latency_ms";

fn input(message: String) -> CommandError {
    CommandError::Input(message)
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
    let folder = Folder {
        name: folder.to_string(),
        scenario: scenario.to_string(),
        what: format!("{ours} of `{}`", text::quote(scenario)),
    };
    Ok(run::claim(parent, &folder)?)
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
    let budget = args.max_memory.unwrap_or_else(default_memory_budget);
    let checked = points::check_points(&sweep, budget)?;
    let s = &checked.first;
    for w in checked.plan_warnings.iter().chain(&s.warnings) {
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
