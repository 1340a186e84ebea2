//! A phase map's output folder: its files (`phase.csv`, the charts, `phase.toml`, or a
//! shard's CSV and manifest) assembled and written all or nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::output::{self, Map};
use crate::report::charts;
use crate::report::write::OutputDir;
use crate::report::ImageFormat;
use crate::text;
use crate::workflow::run::{self, Folder};
use crate::workflow::sweep::Shard;
use crate::workflow::WorkflowError;

/// The output folder's name of a phase map of scenario `name`: `NAME-phase`, or
/// `NAME-phase-shard-I-of-N` for a shard.
pub fn folder(name: &str, shard: Option<Shard>) -> String {
    match shard {
        Some(Shard { index, count }) => format!("{name}-phase-shard-{index}-of-{count}"),
        None => format!("{name}-phase"),
    }
}

/// The output folder `parent/folder` of a phase map of `scenario`; one another scenario wrote
/// is refused with exit 2.
pub fn claim(parent: &Path, folder: &str, scenario: &str) -> Result<OutputDir, WorkflowError> {
    let folder = Folder {
        name: folder.to_string(),
        scenario: scenario.to_string(),
        what: format!("this phase map of `{}`", text::quote(scenario)),
    };
    run::claim(parent, &folder)
}

/// An output that cannot be made from data this program produced itself: a bug.
fn internal(e: String) -> WorkflowError {
    WorkflowError::Other(anyhow::anyhow!("internal error: {e}"))
}

/// Writes the whole `map` into `dir`: `phase.csv`, the charts in `format` (unless
/// `with_charts` is false) and `phase.toml`. Returns the paths written and the names of the
/// files the manifest lists.
pub fn write(
    dir: OutputDir,
    map: &Map,
    format: ImageFormat,
    with_charts: bool,
) -> Result<(Vec<PathBuf>, Vec<String>), WorkflowError> {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![(output::CSV.to_string(), output::csv(map).map_err(internal)?)];
    if with_charts {
        for chart in charts::phase::render(map, format).map_err(|e| internal(e.to_string()))? {
            files.push((format!("{}.{}", chart.0, format.extension()), chart.1));
        }
    }
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    files.push((
        output::MANIFEST.to_string(),
        output::manifest(map, &names).map_err(internal)?,
    ));
    let written = dir.commit(&files).context("writing the outputs")?;
    Ok((written, names))
}

/// Writes the cells of `map` that `shard` runs into `dir`: their `phase.csv` and a manifest
/// naming the shard, for `merge`. Returns the paths written and the names listed.
pub fn write_shard(
    dir: OutputDir,
    map: &Map,
    shard: Shard,
) -> Result<(Vec<PathBuf>, Vec<String>), WorkflowError> {
    let csv = output::csv_of(map, &|c| shard.runs(c)).map_err(internal)?;
    let names = vec![output::CSV.to_string()];
    let manifest = output::Manifest::of(map, &names, Some([shard.index, shard.count]))
        .to_bytes()
        .map_err(internal)?;
    let files = vec![
        (output::CSV.to_string(), csv),
        (output::MANIFEST.to_string(), manifest),
    ];
    let written = dir.commit(&files).context("writing the outputs")?;
    Ok((written, names))
}
