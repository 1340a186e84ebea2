//! Turns results into bytes (CSV, charts, the terminal table) and writes them atomically.
//!
//! Everything here reads [`crate::metrics::ScenarioResult`] and never reaches back into the
//! model. Producing bytes and writing files are separate steps, so outputs can be tested without
//! touching the disk and a failure never leaves a half-written file: [`write::OutputDir`] writes a
//! whole run into a temporary folder and swaps it in at once.

pub mod cdf;
pub mod charts;
pub mod csv;
pub mod diagnosis;
pub mod fanout;
pub mod format;
pub mod hover;
pub mod html;
pub mod json;
pub mod junit;
pub mod lessons;
pub mod manifest;
pub mod metric_names;
pub mod offered;
pub mod ranking;
pub mod replications;
pub mod svg_compact;
pub mod sweep;
pub mod table;
pub mod write;

pub use format::ImageFormat;

/// Name of the manifest file that records which run wrote an output folder.
pub const MANIFEST: &str = "run.toml";

/// Whether `name` is a file some run of cachestorm writes into an output folder (in either image
/// format; `sweep` and `merge` included), so that replacing the folder loses nothing a user put there.
pub fn is_output_name(name: &str) -> bool {
    const DATA: [&str; 9] = [
        "timeseries.csv",
        "summary.csv",
        "summary.json",
        "replications.csv",
        "intervals.csv",
        "nodes.csv",
        "fanout.csv",
        html::FILE,
        MANIFEST,
    ];
    DATA.contains(&name)
        || sweep::is_output_name(name)
        || crate::workflow::phase::output::is_output_name(name)
        || charts::all_stems().any(|stem| {
            [ImageFormat::Png, ImageFormat::Svg]
                .iter()
                .any(|f| name == format!("{stem}.{}", f.extension()))
        })
}
