//! A sweep's output folder (or a merge's): the files made from its rows
//! ([`crate::report::sweep::outputs`]) written all or nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::sweep::{self as out, Manifest, Row};
use crate::report::write::OutputDir;
use crate::text;
use crate::workflow::run::{self, Folder};
use crate::workflow::WorkflowError;

/// The output folder `parent/folder` of a sweep or merge of `scenario`; a folder another
/// scenario wrote (a run of one named `<name>-sweep`) is refused with exit 2 rather than
/// replaced. `ours` says what would write it, for the message.
pub fn claim(
    parent: &Path,
    folder: &str,
    scenario: &str,
    ours: &str,
) -> Result<OutputDir, WorkflowError> {
    let folder = Folder {
        name: folder.to_string(),
        scenario: scenario.to_string(),
        what: format!("{ours} of `{}`", text::quote(scenario)),
    };
    run::claim(parent, &folder)
}

/// Writes a sweep's files into `dir` (the charts unless `with_charts` is false), saying
/// through `warn` why charts are left out; returns the paths written.
pub fn write(
    dir: OutputDir,
    manifest: &Manifest,
    rows: &[Row],
    with_charts: bool,
    warn: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>, WorkflowError> {
    let outputs = out::outputs(manifest, rows, with_charts)
        .map_err(|e| WorkflowError::Other(anyhow::anyhow!("internal error: {e}")))?;
    if let Some(why) = &outputs.no_chart {
        warn(why);
    }
    if outputs.charts_left_out > 0 {
        warn(&format!(
            "{} more charts (one per combination of the fields not on the x axis) are left out \
             beyond {}; sweep.csv holds every point",
            outputs.charts_left_out,
            out::MAX_CHARTS
        ));
    }
    Ok(dir.commit(&outputs.files).context("writing the outputs")?)
}
