//! Charts of a scenario's results, and of the fan-out experiment, as PNG or SVG bytes.
//!
//! Six charts are drawn for every scenario ([`render_all`]); the first four have one line per
//! strategy:
//! - `latency_p99`: p99 request latency over time, on a logarithmic axis so that small spikes
//!   stay visible next to a huge one, with the client timeout as a dashed line when a p99 comes
//!   near it (a plateau there is requests timing out: none is answered later);
//! - `db_load`: database queries per second above the database queue length, sharing the time
//!   axis: per strategy, queries completed (throughput, solid) and queries submitted (demand,
//!   paler and dashed in the same colour), with the database capacity as a dashed reference
//!   line. Throughput can hardly exceed capacity; demand shows how far beyond it the database
//!   was asked;
//! - `hit_ratio`: cache hit ratio over time;
//! - `errors`: failed requests per second over time.
//!
//! and the last two are small multiples of the first two, one panel per strategy on one shared
//! scale (`latency_p99_by_strategy`, `db_load_by_strategy`), for when overlaid lines hide each
//! other. One more, `errors_by_strategy`, drawn only when a request failed (`errors`), has one
//! panel per strategy with a line per kind of failure.
//!
//! Three more teach freshness, drawn only when a strategy writes (`freshness`):
//! - `outdated_reads`: the share of reads answered with a version older than the database's, one
//!   line per strategy on a logarithmic axis;
//! - `outdated_age_p99`: how long before those reads their value had been superseded (p99, log
//!   axis), one line per strategy, and `outdated_age_p99_by_strategy`, one panel per strategy.
//!
//! One more teaches consistency, drawn only when a local cache served a copy that differed from
//! the shared cache's (`consistency`): `local_differs`, the share of local hits whose version
//! differed, one line per strategy on a logarithmic axis.
//!
//! Two more teach retries and failures of dependencies, drawn only when a strategy retried, shed
//! a request, cancelled a database query or met a database error (`retries`):
//! - `goodput`: one panel per strategy on one shared scale, with the requests answered in time
//!   per second (goodput, solid), the attempts answered whether their client still waited or
//!   not (throughput, dashed) and the requests arriving (thin grey), so the work done for
//!   clients that had gone shows as the gap between the dashed and the solid line;
//! - `retry_amplification`: attempts per request arrived, one line per strategy, from 1 up.
//!
//! One more teaches cache nodes as a failing dependency, drawn only when a strategy's reads went
//! through node faults, i.e. it has per-node rows (`node_load`): one panel per such strategy on
//! one shared scale, one line per node (in the node's colour in every panel) of the reads sent
//! to it per second, and, dashed in the same colour, its failed reads per second, so a hot node,
//! a dead one and its keys moving to the neighbours show; each panel names its busiest node.
//!
//! [`render_fanout`] draws the charts of `cachestorm fanout`:
//! - `fanout_all_hit`: the probability h^k that all k dependencies of a request hit, against the
//!   per-dependency hit rate h, one curve per k, with the simulated points as markers;
//! - `fanout_latency`: request latency percentiles against k (log axis), when measured.
//!
//! Layout: `time_series` builds these figures (with `errors` for failures by kind, `freshness`
//! for the three of freshness, `consistency` for the one of local copies, `retries` for the two of retries and `node_load` for the one of
//! nodes) from the `runs` they draw (one run, or the replications whose means and bands
//! `runs` computes), and `fanout` those of `cachestorm fanout`, as backend-free descriptions
//! (`figure`) on `axis` scales; `marks` says which timeline marks belong to which strategies;
//! `draw` renders any figure to bytes, `png_text` sets the text of a PNG where the font puts each
//! glyph, and `svg_font` embeds the font in an SVG.
//!
//! Every time chart marks timeline events where their effect starts, as dashed vertical lines
//! labelled in a band above the plot: a panel of one strategy shows only the marks of that
//! strategy's timeline (and the scenario's own, as arrivals stopping for a drain), and a panel
//! of every strategy's lines draws a mark that only some strategies have in their colours, which
//! the legend explains. Every chart names its lines in a legend to the right of the plot, and
//! small multiples have their labels in a strip above each plot, so neither labels nor legend
//! ever cover data. In a chart with a line per strategy, a line with the same points as an
//! earlier strategy's (or within 2 pixels of them everywhere) is dashed on top of it and the
//! legend says which it hides. Linear y axes start at 0 and reach past the largest value, so a
//! spike is never cut off; logarithmic axes run from a power of ten at or below the smallest
//! value to a round number well above the largest, and leave out values that are not positive
//! (a gap in the line).
//!
//! With replications ([`render_study`]) the same charts are drawn from every replication: each
//! line is the mean over them, bucket by bucket, with a translucent band from the lowest to the
//! highest of them, and the legend says so (`runs`). With one replication they are the plain
//! run's charts, byte for byte.
//!
//! Text is drawn with an embedded DejaVu Sans font (no system font library is needed), and
//! images are produced entirely in memory; an SVG carries the glyphs it uses, so it looks like
//! the PNG wherever it is opened. Text a user typed (scenario and strategy names) is escaped
//! before drawing, so control characters show as `\u{1b}` and every SVG is valid XML. The
//! output is deterministic: the same input always gives the same bytes.

mod axis;
mod consistency;
mod draw;
mod errors;
mod fanout;
mod figure;
mod font;
mod freshness;
mod highlight;
pub mod labels;
mod marks;
mod node_load;
pub mod phase;
mod png_encode;
mod png_text;
mod retries;
mod runs;
mod svg_font;
pub mod sweep;
#[cfg(test)]
mod test_fixtures;
#[cfg(test)]
mod tests;
mod time_series;

use rayon::prelude::*;

use axis::*;
use consistency::*;
use draw::*;
use errors::*;
use fanout::*;
use figure::*;
use font::*;
use freshness::*;
use highlight::*;
use labels::AgeUnit;
use marks::*;
use node_load::*;
use retries::*;
use runs::*;
use svg_font::*;
use time_series::*;

use crate::metrics::{ScenarioResult, StudyResult};
use crate::report::ImageFormat;

/// One chart: its file stem (e.g. `"latency_p99"`) and its encoded bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// File name without extension; add [`ImageFormat::extension`] to name the file.
    pub file_stem: &'static str,
    /// The encoded image (PNG or SVG).
    pub bytes: Vec<u8>,
}

/// Why a chart could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be parsed.
    #[error("could not load the embedded chart font")]
    Font,
    /// The plotting library reported an error while drawing.
    #[error("could not draw chart {chart}: {message}")]
    Draw {
        /// Stem of the chart being drawn.
        chart: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The drawn image could not be encoded as PNG.
    #[error("could not encode chart {chart} as PNG: {message}")]
    Encode {
        /// Stem of the chart being encoded.
        chart: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// Most strategies drawn as small multiples: beyond it, panels are too small to read and the
/// `_by_strategy` charts and `goodput` are left out.
pub const MAX_PANELS: usize = 24;

/// Stems of every chart either command can draw: [`render_all`]'s, then [`render_fanout`]'s.
pub fn all_stems() -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .map(|k| k.stem())
        .chain([FANOUT_ALL_HIT, FANOUT_LATENCY])
}

/// Renders all charts of a scenario, in a fixed order: `latency_p99`, `db_load`, `hit_ratio`,
/// `errors`, then the small multiples `latency_p99_by_strategy` and `db_load_by_strategy` (one
/// panel per strategy on a shared scale, for when the overlaid lines hide each other), which are
/// left out with more than [`MAX_PANELS`] strategies; then, when a request failed,
/// `errors_by_strategy` (small multiples too); then, when a strategy committed a write,
/// `outdated_reads`, `outdated_age_p99` and `outdated_age_p99_by_strategy` (the last left out
/// with more than [`MAX_PANELS`] strategies too); then, when a local copy differed from the
/// shared cache's, `local_differs`; then, when a strategy retried, shed a request,
/// cancelled a database query or met a database error, `goodput` (small multiples, left out with
/// more than [`MAX_PANELS`] strategies too) and `retry_amplification`; then, when a strategy has
/// per-node rows, `node_load` (small multiples, left out with more than [`MAX_PANELS`]
/// strategies too).
pub fn render_all(result: &ScenarioResult, format: ImageFormat) -> Result<Vec<Chart>, ChartError> {
    render_runs(result.into(), format)
}

/// Renders the charts of a study: with one replication exactly those of [`render_all`] (the
/// same bytes); with several, the same charts, each line the mean over the replications with a
/// shaded band from the lowest to the highest of them, and the legend saying so (see `runs`),
/// a few lines without a band where it would bury the others. Past four strategies, overlays
/// keep the colours of the baseline and of the best on the study's objective. A chart
/// that depends on what happened (`errors_by_strategy`, the freshness, retry and node charts)
/// is drawn when it happened in any replication.
pub fn render_study(study: &StudyResult, format: ImageFormat) -> Result<Vec<Chart>, ChartError> {
    render_runs(
        Runs::of(&study.runs).with_objective(&study.objective),
        format,
    )
}

fn render_runs(runs: Runs, format: ImageFormat) -> Result<Vec<Chart>, ChartError> {
    ensure_font()?;
    let small_multiples = runs.strategies.len() <= MAX_PANELS;
    let any = |happened: fn(&ScenarioResult) -> bool| runs.all().iter().any(happened);
    let errors = any(has_errors);
    let writes = any(has_writes);
    let retries = any(has_retries_or_dependency_activity);
    let nodes = any(has_node_rows);
    let differs = any(has_local_differs);
    let kinds: Vec<Kind> = KINDS
        .iter()
        .copied()
        .filter(|kind| small_multiples || !kind.is_small_multiples())
        .filter(|kind| errors || !kind.needs_errors())
        .filter(|kind| writes || !kind.needs_writes())
        .filter(|kind| retries || !kind.needs_retries())
        .filter(|kind| nodes || !kind.needs_nodes())
        .filter(|kind| differs || !kind.needs_local_differs())
        .collect();
    // Each chart is drawn alone, side by side on rayon; collected in `KINDS` order.
    kinds
        .into_par_iter()
        .map(|kind| {
            let figure = build_figure(kind, runs);
            Ok(Chart {
                file_stem: kind.stem(),
                bytes: render(kind.stem(), figure, format)?,
            })
        })
        .collect()
}

/// For a page that inlines several SVG charts (`report.html`): each chart's SVG without the
/// font it embeds, and one style sheet (CSS) embedding the glyphs of all of them once, or
/// `None` when there is no chart (or the font could not be subset).
pub fn share_font(svgs: &[String]) -> (Vec<String>, Option<String>) {
    svg_font::share_font(svgs)
}

/// The colours of strategy `index`'s lines in every chart, as `#RRGGBB` (as an SVG writes
/// them): its own, and the paler shade drawn beside it (its database demand); with whether
/// its lines are dashed in overlaid charts (the palette's second round).
pub fn strategy_style(index: usize) -> (String, String, bool) {
    let hex = |c: plotters::style::RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    let c = strategy_color(index);
    (hex(c), hex(paler(c)), repeats_color(index))
}

/// The grey strategy `index`'s lines take where an overlay greys them (past four strategies),
/// as `#RRGGBB`: its own, one or two levels of RGB off every other's.
pub fn greyed_style(index: usize) -> String {
    let c = highlight::greyed_color(index);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Where the time axis of `study`'s timeline charts ends, seconds (it starts at 0).
pub fn time_axis_end(study: &StudyResult) -> f64 {
    x_extent(Runs::of(&study.runs))
}

/// Data for the fan-out charts of `cachestorm fanout`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FanoutChartData {
    /// Title prefix, e.g. the scenario name or "fan-out".
    pub title: String,
    /// Curves of all-hit probability h^k are drawn for these k.
    pub curve_ks: Vec<u32>,
    /// Simulated points: (k, per-dependency hit rate, fraction of requests whose k lookups all
    /// hit).
    pub simulated: Vec<(u32, f64, f64)>,
    /// Request latency percentiles by k: (k, p50_ms, p95_ms, p99_ms). May be empty.
    pub latency_by_k: Vec<(u32, f64, f64, f64)>,
}

/// Renders the fan-out charts, in a fixed order: `fanout_all_hit`, then `fanout_latency` when
/// `data.latency_by_k` is not empty.
///
/// Points that are not finite are left out; hit rates and probabilities are clamped to 0..1.
pub fn render_fanout(
    data: &FanoutChartData,
    format: ImageFormat,
) -> Result<Vec<Chart>, ChartError> {
    ensure_font()?;
    let mut figures = vec![(FANOUT_ALL_HIT, fanout_all_hit_figure(data))];
    if !data.latency_by_k.is_empty() {
        figures.push((FANOUT_LATENCY, fanout_latency_figure(data)));
    }
    figures
        .into_iter()
        .map(|(stem, figure)| {
            Ok(Chart {
                file_stem: stem,
                bytes: render(stem, figure, format)?,
            })
        })
        .collect()
}
