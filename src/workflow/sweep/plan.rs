//! What a sweep decides before it runs: which points a shard runs, whether its cost is worth a
//! warning, the folder it writes and the manifest that describes it.

use super::points::Checked;
use super::{Shard, Sweep};
use crate::experiment;
use crate::report::sweep::{Manifest, SettingRecord, ShardRecord};
use crate::report::ImageFormat;
use crate::scenario::overrides;
use crate::workflow::objective::Objective;

/// Estimated wall-clock seconds past which a sweep says what it will cost before it runs.
const COSTLY_S: f64 = 20.0;

/// The points run: those of `shard`, or all `total` of them.
pub fn runs(shard: Option<Shard>, total: usize) -> Vec<usize> {
    match shard {
        Some(shard) => shard.points(total).collect(),
        None => (0..total).collect(),
    }
}

/// The warning a sweep of the points `runs` gives before it runs when it will take more than
/// [`COSTLY_S`] seconds on the threads it has (its CPU estimate over the threads).
pub fn cost_warning(checked: &Checked, runs: &[usize]) -> Option<String> {
    let cpu: f64 = runs.iter().map(|&p| checked.cpu_seconds[p]).sum();
    let seconds = cpu / checked.threads as f64;
    if seconds <= COSTLY_S {
        return None;
    }
    let s = &checked.first;
    Some(format!(
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
    ))
}

/// The output folder's name of a sweep of scenario `name`: `NAME-sweep`, or
/// `NAME-sweep-shard-I-of-N` for a shard.
pub fn folder(name: &str, shard: Option<Shard>) -> String {
    match shard {
        Some(Shard { index, count }) => format!("{name}-sweep-shard-{index}-of-{count}"),
        None => format!("{name}-sweep"),
    }
}

/// What the command line chose for a sweep, as its manifest records it.
pub struct Choices<'a> {
    /// The `--set` texts, in the order given.
    pub settings: &'a [String],
    /// The charts' image format.
    pub format: ImageFormat,
    /// The metric charted and printed.
    pub metric: &'a str,
    /// `--find`'s objectives (empty without `--find`).
    pub objectives: &'a [Objective],
    /// The shard run, if any.
    pub shard: Option<Shard>,
}

/// The manifest of a sweep of `sweep`, checked as `checked`, before anything runs: no files
/// and no answers yet.
pub fn manifest(sweep: &Sweep, checked: &Checked, choices: &Choices) -> Manifest {
    let s = &checked.first;
    Manifest {
        cachestorm_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.name.clone(),
        scenario_file: sweep.file.to_string_lossy().into_owned(),
        scenario_sha256: s.source_sha256.clone(),
        seed: s.seed,
        replications: s.study.replications,
        format: choices.format,
        metric: choices.metric.to_string(),
        objectives: choices.objectives.iter().map(|o| o.to_string()).collect(),
        points: sweep.points.len() as u64,
        strategies: s.strategies.iter().map(|st| st.name.clone()).collect(),
        files: Vec::new(),
        settings: sweep
            .settings
            .iter()
            .zip(choices.settings)
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
        shard: choices.shard.map(|s| ShardRecord {
            index: s.index,
            count: s.count,
        }),
        found: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_runs_its_points_and_names_its_folder() {
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(runs(None, 5), [0, 1, 2, 3, 4]);
        let mine = runs(Some(shard), 5);
        assert!(!mine.is_empty() && mine.len() < 5, "{mine:?}");
        assert!(mine.iter().all(|&p| shard.runs(p)));
        assert_eq!(folder("s", None), "s-sweep");
        assert_eq!(folder("s", Some(shard)), "s-sweep-shard-2-of-3");
    }
}
