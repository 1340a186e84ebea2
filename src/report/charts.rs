//! Charts of a scenario's results, and of the fan-out experiment, as PNG or SVG bytes.
//!
//! Four charts are drawn for every scenario ([`render_all`]), each with one line per strategy:
//! - `latency_p99`: p99 request latency over time, on a logarithmic axis so that small spikes
//!   stay visible next to a huge one;
//! - `db_load`: database queries per second (with the database capacity as a dashed reference
//!   line) above the database queue length, sharing the time axis;
//! - `hit_ratio`: cache hit ratio over time;
//! - `errors`: failed requests per second over time.
//!
//! [`render_fanout`] draws the charts of `cachestorm fanout`:
//! - `fanout_all_hit`: the probability h^k that all k dependencies of a request hit, against the
//!   per-dependency hit rate h, one curve per k, with the simulated points as markers;
//! - `fanout_latency`: request latency percentiles against k (log axis), when measured.
//!
//! Every time chart marks the scenario's timeline events as dashed vertical lines labelled in a
//! band above the plot, and every chart names its lines in a legend to the right of the plot, so
//! neither labels nor legend ever cover data. Linear y axes start at 0 and reach past the largest
//! value, so a spike is never cut off; logarithmic axes run from a power of ten at or below the
//! smallest value to a round number well above the largest, and leave out values that are not
//! positive (a gap in the line).
//!
//! Text is drawn with an embedded DejaVu Sans font (no system font library is needed), and
//! images are produced entirely in memory. The output is deterministic: the same input always
//! gives the same bytes.

use std::sync::OnceLock;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ColorType, ImageEncoder};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{
    BoldPoints, DefaultFormatting, KeyPointHint, KeyPointWeight, Ranged,
};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::experiment::ScenarioResult;
use crate::metrics::BucketRow;
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

/// Renders all charts of a scenario, in a fixed order: `latency_p99`, `db_load`, `hit_ratio`,
/// `errors`, then the small multiples `latency_p99_by_strategy` and `db_load_by_strategy` (one
/// panel per strategy on a shared scale, for when the overlaid lines hide each other).
pub fn render_all(result: &ScenarioResult, format: ImageFormat) -> Result<Vec<Chart>, ChartError> {
    ensure_font()?;
    KINDS
        .iter()
        .map(|&kind| {
            let figure = build_figure(kind, result);
            Ok(Chart {
                file_stem: kind.stem(),
                bytes: render(kind.stem(), &figure, format)?,
            })
        })
        .collect()
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
        .iter()
        .map(|(stem, figure)| {
            Ok(Chart {
                file_stem: stem,
                bytes: render(stem, figure, format)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Font

/// Name the embedded font is registered under; also the family written into SVG files.
const FONT_FAMILY: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// Registers the embedded font with plotters, once per process.
fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

// ---------------------------------------------------------------------------------------------
// Chart kinds and the backend-independent description of a figure

#[derive(Clone, Copy, Debug)]
enum Kind {
    Latency,
    DbLoad,
    HitRatio,
    Errors,
    LatencyByStrategy,
    DbLoadByStrategy,
}

const KINDS: [Kind; 6] = [
    Kind::Latency,
    Kind::DbLoad,
    Kind::HitRatio,
    Kind::Errors,
    Kind::LatencyByStrategy,
    Kind::DbLoadByStrategy,
];

impl Kind {
    fn stem(self) -> &'static str {
        match self {
            Kind::Latency => "latency_p99",
            Kind::DbLoad => "db_load",
            Kind::HitRatio => "hit_ratio",
            Kind::Errors => "errors",
            Kind::LatencyByStrategy => "latency_p99_by_strategy",
            Kind::DbLoadByStrategy => "db_load_by_strategy",
        }
    }
}

const FANOUT_ALL_HIT: &str = "fanout_all_hit";
const FANOUT_LATENCY: &str = "fanout_latency";

/// Everything needed to draw one chart, with no reference to a backend.
struct Figure {
    size: (u32, u32),
    title: String,
    /// The x axis, shared by all panels.
    x: Axis,
    x_desc: &'static str,
    /// Timeline events inside the x range, sorted by time.
    events: Vec<(f64, String)>,
    /// Panels from top to bottom; only the last shows the time axis labels.
    panels: Vec<Panel>,
    legend: Vec<LegendEntry>,
}

struct Panel {
    y_desc: &'static str,
    /// A name drawn in the top-left corner of the plot, in its colour (small multiples).
    label: Option<(String, RGBColor)>,
    y: Axis,
    /// Relative height.
    weight: f64,
    /// Whether the values are whole numbers (ticks then never fall between integers).
    integer: bool,
    /// Horizontal dashed reference lines, drawn under the data.
    refs: Vec<(f64, RGBColor)>,
    series: Vec<Series>,
}

impl Panel {
    /// How many y ticks to ask for: fewer on a short small-multiples panel (a log axis keeps a
    /// label per decade), and fewer for small
    /// whole-number axes, so steps stay whole.
    fn y_labels(&self) -> usize {
        let most = if self.label.is_some() && self.y.scale == Scale::Linear {
            SMALL_MULTIPLE_Y_LABELS
        } else {
            Y_LABELS
        };
        if self.integer && self.y.scale == Scale::Linear && self.y.hi < most as f64 {
            (self.y.hi.floor() as usize + 1).max(2)
        } else {
            most
        }
    }

    fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.segments.is_empty())
    }
}

struct Series {
    color: RGBColor,
    /// Unbroken runs of points; a gap in the data starts a new segment.
    segments: Vec<Vec<(f64, f64)>>,
    /// Whether the points of a segment are joined by a line.
    line: bool,
    /// Radius of the filled circle drawn at every point, if any.
    marker: Option<i32>,
}

impl Series {
    /// A plain line, no markers.
    fn line(color: RGBColor, segments: Vec<Vec<(f64, f64)>>) -> Series {
        Series {
            color,
            segments,
            line: true,
            marker: None,
        }
    }
}

/// What a legend entry shows before its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sample {
    Line,
    Dashed,
    Marker,
    LineMarker,
}

struct LegendEntry {
    text: String,
    color: RGBColor,
    sample: Sample,
    /// A secondary entry (smaller, indented), e.g. a strategy's own capacity.
    minor: bool,
}

impl LegendEntry {
    fn new(text: String, color: RGBColor, sample: Sample) -> LegendEntry {
        LegendEntry {
            text,
            color,
            sample,
            minor: false,
        }
    }
}

/// Colour-blind-friendly palette (Okabe–Ito, yellow replaced by olive for contrast on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(153, 136, 34),
];

fn strategy_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

const EVENT_COLOR: RGBColor = RGBColor(130, 130, 130);
const NEUTRAL_COLOR: RGBColor = RGBColor(110, 110, 110);
const CAPACITY_COLOR: RGBColor = RGBColor(90, 90, 90);
const TEXT_COLOR: RGBColor = RGBColor(20, 20, 20);

fn build_figure(kind: Kind, result: &ScenarioResult) -> Figure {
    let x_max = x_extent(result);
    let mut events: Vec<(f64, String)> = result
        .timeline
        .iter()
        .filter(|(t, _)| t.is_finite() && *t >= 0.0 && *t <= x_max)
        .cloned()
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));

    let legend: Vec<LegendEntry> = result
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| LegendEntry::new(s.name.clone(), strategy_color(i), Sample::Line))
        .collect();

    let time_figure = |size: (u32, u32), title: &str, panels: Vec<Panel>, legend| Figure {
        size,
        title: format!("{}: {title}", result.name),
        x: Axis::linear(0.0, x_max),
        x_desc: "time (s)",
        events: events.clone(),
        panels,
        legend,
    };
    let single = |y_desc, y, series| {
        vec![Panel {
            y_desc,
            label: None,
            y,
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series,
        }]
    };

    match kind {
        Kind::Latency => {
            // Log scale: buckets without a positive latency are gaps.
            let series = collect_series(result, |b| {
                (b.latency.count > 0 && b.latency.p99_ms > 0.0).then_some(b.latency.p99_ms)
            });
            let y = log_axis_for(values(&series));
            time_figure(
                (1200, 700),
                "p99 request latency",
                single("p99 latency (ms)", y, series),
                legend,
            )
        }
        Kind::HitRatio => {
            let series = collect_series(result, |b| {
                (b.cache_hits + b.cache_misses > 0).then(|| b.hit_ratio())
            });
            // A ratio never exceeds 1: keep the natural 0..1 scale, with headroom above 1 so
            // a line at 100% does not sit on the frame.
            let y_max = (max_value(&series, &[]) * 1.05).max(1.05);
            time_figure(
                (1200, 700),
                "cache hit ratio",
                single("hit ratio", Axis::linear(0.0, y_max), series),
                legend,
            )
        }
        Kind::Errors => {
            let series = collect_series(result, |b| {
                (b.width_s > 0.0).then(|| b.errors() as f64 / b.width_s)
            });
            let y = Axis::linear(0.0, padded_max(&series, &[]));
            time_figure(
                (1200, 700),
                "failed requests",
                single("errors/s", y, series),
                legend,
            )
        }
        Kind::DbLoad => {
            let (panels, legend) = db_load_panels(result, legend);
            time_figure((1200, 900), "database load", panels, legend)
        }
        Kind::LatencyByStrategy => {
            let series = collect_series(result, |b| {
                (b.latency.count > 0 && b.latency.p99_ms > 0.0).then_some(b.latency.p99_ms)
            });
            let y = log_axis_for(values(&series));
            let panels = small_multiples(result, series, "p99 (ms)", y, |max| {
                format!("max {} ms", format_quantity(max))
            });
            let size = small_multiples_size(panels.len());
            time_figure(size, "p99 request latency by strategy", panels, Vec::new())
        }
        Kind::DbLoadByStrategy => {
            let series = collect_series(result, |b| Some(b.db_qps()));
            let capacities: Vec<f64> = result
                .strategies
                .iter()
                .map(|s| s.db_capacity_qps)
                .collect();
            let caps: Vec<f64> = capacities
                .iter()
                .copied()
                .filter(|c| c.is_finite() && *c > 0.0)
                .collect();
            let y = Axis::linear(0.0, padded_max(&series, &caps));
            let mut panels = small_multiples(result, series, "queries/s", y, |max| {
                format!("peak {} q/s", format_quantity(max))
            });
            for (panel, &c) in panels.iter_mut().zip(&capacities) {
                if c.is_finite() && c > 0.0 {
                    panel.refs.push((c, CAPACITY_COLOR));
                }
            }
            let legend = if caps.is_empty() {
                Vec::new()
            } else {
                vec![LegendEntry::new(
                    "DB capacity".to_owned(),
                    CAPACITY_COLOR,
                    Sample::Dashed,
                )]
            };
            let size = small_multiples_size(panels.len());
            time_figure(size, "database load by strategy", panels, legend)
        }
    }
}

/// Height of one small-multiples panel, px.
const SMALL_MULTIPLE_HEIGHT: u32 = 130;

/// A figure tall enough for `panels` small multiples under the title and event band.
fn small_multiples_size(panels: usize) -> (u32, u32) {
    let panels = u32::try_from(panels.max(1)).unwrap_or(u32::MAX);
    let height = panels
        .saturating_mul(SMALL_MULTIPLE_HEIGHT)
        .saturating_add(190)
        .min(8000);
    (1200, height)
}

/// One panel per strategy, every panel on the same `y` axis, labelled with the strategy's
/// name and `summary` of its largest value.
fn small_multiples(
    result: &ScenarioResult,
    series: Vec<Series>,
    y_desc: &'static str,
    y: Axis,
    summary: impl Fn(f64) -> String,
) -> Vec<Panel> {
    let last = result.strategies.len().saturating_sub(1);
    result
        .strategies
        .iter()
        .zip(series)
        .enumerate()
        .map(|(i, (s, series))| {
            let max = max_value(std::slice::from_ref(&series), &[]);
            Panel {
                y_desc,
                label: Some((format!("{}: {}", s.name, summary(max)), series.color)),
                y: y.clone(),
                // The last panel also holds the time axis: as tall again as that, so its plot
                // is the same height as the others'.
                weight: if i == last {
                    1.0 + f64::from(X_LABEL_AREA) / f64::from(SMALL_MULTIPLE_HEIGHT)
                } else {
                    1.0
                },
                integer: false,
                refs: Vec::new(),
                series: vec![series],
            }
        })
        .collect()
}

/// The two panels of the database load chart (queries/s above queue length), and the legend
/// with the capacity lines added.
fn db_load_panels(
    result: &ScenarioResult,
    mut legend: Vec<LegendEntry>,
) -> (Vec<Panel>, Vec<LegendEntry>) {
    let qps = collect_series(result, |b| Some(b.db_qps()));
    let queue = collect_series(result, |b| Some(b.db_queue_max as f64));

    let capacities: Vec<f64> = result
        .strategies
        .iter()
        .map(|s| s.db_capacity_qps)
        .collect();
    let valid = |c: f64| c.is_finite() && c > 0.0;
    let mut refs = Vec::new();
    let shared = capacities
        .first()
        .filter(|&&c| capacities.iter().all(|&o| o == c))
        .copied();
    match shared {
        Some(c) if valid(c) => {
            refs.push((c, CAPACITY_COLOR));
            legend.push(LegendEntry::new(
                format!("DB capacity {} q/s", format_quantity(c)),
                CAPACITY_COLOR,
                Sample::Dashed,
            ));
        }
        Some(_) => {}
        None => {
            // Capacities differ: one line per strategy, listed under the strategy's name.
            let mut with_caps = Vec::with_capacity(legend.len() * 2);
            for (entry, &c) in legend.into_iter().zip(&capacities) {
                let color = entry.color;
                with_caps.push(entry);
                if valid(c) {
                    refs.push((c, color));
                    with_caps.push(LegendEntry {
                        text: format!("capacity {} q/s", format_quantity(c)),
                        color,
                        sample: Sample::Dashed,
                        minor: true,
                    });
                }
            }
            legend = with_caps;
        }
    }
    let ref_values: Vec<f64> = refs.iter().map(|r| r.0).collect();

    let panels = vec![
        Panel {
            y_desc: "queries/s",
            label: None,
            y: Axis::linear(0.0, padded_max(&qps, &ref_values)),
            weight: 0.58,
            integer: false,
            refs,
            series: qps,
        },
        Panel {
            y_desc: "queue length",
            label: None,
            y: Axis::linear(0.0, padded_max(&queue, &[])),
            weight: 0.42,
            integer: true,
            refs: Vec::new(),
            series: queue,
        },
    ];
    (panels, legend)
}

/// End of the time axis: the run's duration, stretched to cover every bucket.
fn x_extent(result: &ScenarioResult) -> f64 {
    let mut end = if result.duration_s.is_finite() {
        result.duration_s.max(0.0)
    } else {
        0.0
    };
    for s in &result.strategies {
        for b in &s.result.buckets {
            if b.start_s.is_finite() {
                end = end.max(b.start_s);
            }
        }
    }
    if end > 0.0 {
        end
    } else {
        1.0
    }
}

/// One series per strategy; `value` returns `None` for buckets to leave out (breaking the line).
fn collect_series(
    result: &ScenarioResult,
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<Series> {
    result
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut current: Vec<(f64, f64)> = Vec::new();
            for b in &s.result.buckets {
                match value(b) {
                    Some(v) if v.is_finite() && b.start_s.is_finite() && b.start_s >= 0.0 => {
                        current.push((b.start_s, v.max(0.0)));
                    }
                    _ => {
                        if !current.is_empty() {
                            segments.push(std::mem::take(&mut current));
                        }
                    }
                }
            }
            if !current.is_empty() {
                segments.push(current);
            }
            Series::line(strategy_color(i), segments)
        })
        .collect()
}

/// Every y value of `series`.
fn values(series: &[Series]) -> impl Iterator<Item = f64> + '_ {
    series
        .iter()
        .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
}

fn max_value(series: &[Series], extra: &[f64]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
        .chain(extra.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// Top of a y axis: 10% above the largest value, or 1 when everything is zero.
fn padded_max(series: &[Series], extra: &[f64]) -> f64 {
    let max = max_value(series, extra);
    if max > 0.0 {
        let padded = max * 1.1;
        if padded.is_finite() {
            padded
        } else {
            max
        }
    } else {
        1.0
    }
}

// ---------------------------------------------------------------------------------------------
// Fan-out figures

/// Points on each curve h^k, evenly spaced in h.
const CURVE_POINTS: usize = 200;
const SIMULATED_MARKER: i32 = 5;
const LATENCY_MARKER: i32 = 4;

fn fanout_all_hit_figure(data: &FanoutChartData) -> Figure {
    // Each k once, in the order given.
    let mut curve_ks: Vec<u32> = Vec::with_capacity(data.curve_ks.len());
    for &k in &data.curve_ks {
        if !curve_ks.contains(&k) {
            curve_ks.push(k);
        }
    }
    let simulated: Vec<(u32, f64, f64)> = data
        .simulated
        .iter()
        .filter(|(_, h, p)| h.is_finite() && p.is_finite())
        .map(|&(k, h, p)| (k, h.clamp(0.0, 1.0), p.clamp(0.0, 1.0)))
        .collect();
    let mut extra_ks: Vec<u32> = simulated
        .iter()
        .map(|p| p.0)
        .filter(|k| !curve_ks.contains(k))
        .collect();
    extra_ks.sort_unstable();
    extra_ks.dedup();

    let points_of = |k: u32| -> Vec<(f64, f64)> {
        let mut points: Vec<(f64, f64)> = simulated
            .iter()
            .filter(|p| p.0 == k)
            .map(|p| (p.1, p.2))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        points
    };
    let markers = |color: RGBColor, points: Vec<(f64, f64)>| Series {
        color,
        segments: if points.is_empty() {
            Vec::new()
        } else {
            vec![points]
        },
        line: false,
        marker: Some(SIMULATED_MARKER),
    };

    let mut curves = Vec::with_capacity(curve_ks.len());
    let mut points = Vec::new();
    let mut legend = Vec::new();
    for (i, &k) in curve_ks.iter().enumerate() {
        let color = strategy_color(i);
        let curve = (0..=CURVE_POINTS)
            .map(|j| {
                let h = j as f64 / CURVE_POINTS as f64;
                (h, h.powf(f64::from(k)))
            })
            .collect();
        curves.push(Series::line(color, vec![curve]));
        points.push(markers(color, points_of(k)));
        legend.push(LegendEntry::new(format!("k = {k}"), color, Sample::Line));
    }
    for (j, &k) in extra_ks.iter().enumerate() {
        let color = strategy_color(curve_ks.len() + j);
        points.push(markers(color, points_of(k)));
        legend.push(LegendEntry::new(
            format!("k = {k} (simulated)"),
            color,
            Sample::Marker,
        ));
    }
    if !simulated.is_empty() {
        legend.push(LegendEntry::new(
            "markers: simulated".to_owned(),
            NEUTRAL_COLOR,
            Sample::Marker,
        ));
    }
    curves.extend(points);

    Figure {
        size: (1200, 700),
        title: format!("{}: probability that all k dependencies hit", data.title),
        x: Axis::linear(0.0, 1.0),
        x_desc: "per-dependency hit rate h",
        events: Vec::new(),
        panels: vec![Panel {
            y_desc: "P(all k dependencies hit)",
            label: None,
            y: Axis::linear(0.0, 1.05),
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series: curves,
        }],
        legend,
    }
}

fn fanout_latency_figure(data: &FanoutChartData) -> Figure {
    let mut rows = data.latency_by_k.clone();
    rows.sort_by_key(|r| r.0);
    let percentiles = ["p50", "p95", "p99"];
    let mut series = Vec::with_capacity(percentiles.len());
    let mut legend = Vec::with_capacity(percentiles.len());
    for (i, name) in percentiles.iter().enumerate() {
        let color = strategy_color(i);
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current = Vec::new();
        for row in &rows {
            let v = [row.1, row.2, row.3][i];
            if v.is_finite() && v > 0.0 {
                current.push((f64::from(row.0), v));
            } else if !current.is_empty() {
                segments.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            segments.push(current);
        }
        series.push(Series {
            color,
            segments,
            line: true,
            marker: Some(LATENCY_MARKER),
        });
        legend.push(LegendEntry::new(
            (*name).to_owned(),
            color,
            Sample::LineMarker,
        ));
    }
    let (k_min, k_max) = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => (f64::from(first.0), f64::from(last.0)),
        _ => (1.0, 1.0),
    };
    // Keep the end markers off the frame.
    let pad = ((k_max - k_min) * 0.03).max(0.5);
    let y = log_axis_for(values(&series));
    Figure {
        size: (1200, 700),
        title: format!("{}: request latency by fan-out", data.title),
        x: Axis::integer(k_min - pad, k_max + pad),
        x_desc: "fan-out k (dependencies per request)",
        events: Vec::new(),
        panels: vec![Panel {
            y_desc: "request latency (ms)",
            label: None,
            y,
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series,
        }],
        legend,
    }
}

// ---------------------------------------------------------------------------------------------
// Axes

/// How values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    /// Linear, ticks at round numbers.
    Linear,
    /// Linear, ticks at whole numbers only.
    Integer,
    /// Base-10 logarithmic, ticks at powers of ten (also at 2 and 5 times them on short axes).
    Log,
}

/// One axis: its range (always finite, `lo < hi`, and `lo > 0` on a log axis) and scale.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    scale: Scale,
}

/// The smallest value a log latency axis starts at, ms.
const LOG_FLOOR_MIN: f64 = 0.01;

impl Axis {
    fn new(lo: f64, hi: f64, scale: Scale) -> Axis {
        let lo = if lo.is_finite() { lo } else { 0.0 };
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else if (lo + 1.0).is_finite() && lo + 1.0 > lo {
            lo + 1.0
        } else {
            return Axis {
                lo: lo - lo.abs() * 1e-6,
                hi: lo,
                scale,
            };
        };
        Axis { lo, hi, scale }
    }

    fn linear(lo: f64, hi: f64) -> Axis {
        Axis::new(lo, hi, Scale::Linear)
    }

    fn integer(lo: f64, hi: f64) -> Axis {
        Axis::new(lo, hi, Scale::Integer)
    }

    /// A log axis from `lo` to `hi`; out-of-range bounds fall back to a decade.
    fn log(lo: f64, hi: f64) -> Axis {
        let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1.0 };
        let (lo, hi) = if hi.is_finite() && hi > lo {
            (lo, hi)
        } else if (lo * 10.0).is_finite() {
            (lo, lo * 10.0)
        } else {
            (lo / 10.0, lo)
        };
        Axis {
            lo,
            hi,
            scale: Scale::Log,
        }
    }

    /// The linear coordinate values are mapped through (log10 of them on a log axis).
    fn linear_coord(&self) -> RangedCoordf64 {
        match self.scale {
            Scale::Log => (self.lo.log10()..self.hi.log10()).into(),
            Scale::Linear | Scale::Integer => (self.lo..self.hi).into(),
        }
    }

    /// Labelled ticks, at most `max` of them.
    fn ticks(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                // plotters' key_points loops for ever when asked for a single point.
                let mut ticks = self.linear_coord().key_points(max.max(2));
                ticks.truncate(max);
                ticks
            }
            Scale::Integer => integer_ticks(self.lo, self.hi, max),
            Scale::Log => log_ticks(self.lo, self.hi, max),
        }
    }

    /// Light grid lines: the 1..9 multiples of each power of ten on a log axis (none when there
    /// would be more than `max`); a linear axis draws its own through `key_points`.
    fn minor_ticks(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear | Scale::Integer => Vec::new(),
            Scale::Log => {
                let first = (self.lo.log10() - 1e-9).floor() as i32;
                let last = (self.hi.log10() + 1e-9).ceil() as i32;
                if (last - first) as usize * 9 > max + 18 {
                    return Vec::new();
                }
                let minor: Vec<f64> = (first..=last)
                    .flat_map(|n| (1..=9).map(move |m| decimal(m, n)))
                    .filter(|v| self.contains(*v))
                    .collect();
                if minor.len() > max {
                    Vec::new()
                } else {
                    minor
                }
            }
        }
    }

    /// Whether `v` is within the axis, allowing for rounding.
    fn contains(&self, v: f64) -> bool {
        let slack = match self.scale {
            Scale::Log => 1e-9 * v.abs(),
            Scale::Linear | Scale::Integer => 1e-9 * (self.hi - self.lo),
        };
        v.is_finite() && v >= self.lo - slack && v <= self.hi + slack
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// Values beyond a log axis (including those that are not positive) sit on its edge.
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match self.scale {
            Scale::Log => {
                let v = if value.is_nan() {
                    self.lo
                } else {
                    value.clamp(self.lo, self.hi)
                };
                self.linear_coord().map(&v.log10(), limit)
            }
            Scale::Linear | Scale::Integer => self.linear_coord().map(value, limit),
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if self.scale == Scale::Linear {
            return self.linear_coord().key_points(hint.max_num_points());
        }
        match hint.weight() {
            KeyPointWeight::Bold => self.ticks(hint.max_num_points()),
            KeyPointWeight::Any => {
                let mut points = self.ticks(hint.bold_points());
                points.extend(self.minor_ticks(hint.max_num_points()));
                points
            }
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `m` × 10^`n`, correctly rounded (no `1.0000000000000002e-5`).
fn decimal(m: u32, n: i32) -> f64 {
    format!("{m}e{n}").parse().unwrap_or(f64::NAN)
}

/// Largest power of ten at or below `v` (> 0, finite); 0 below the smallest one.
fn power_of_ten_below(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 0.0;
    }
    let mut n = v.log10().floor() as i32;
    while decimal(1, n) > v {
        n -= 1;
    }
    while decimal(1, n + 1) <= v {
        n += 1;
    }
    decimal(1, n)
}

/// Smallest of 1, 2, 5 × 10^n at or above `v` (> 0, finite); infinite if there is none.
fn round_number_above(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return f64::INFINITY;
    }
    let n = v.log10().floor() as i32;
    [(1, n), (2, n), (5, n), (1, n + 1), (2, n + 1)]
        .into_iter()
        .map(|(m, n)| decimal(m, n))
        .find(|&r| r >= v)
        .unwrap_or(f64::INFINITY)
}

/// A log axis for these values (those not positive and finite are ignored): from the largest
/// power of ten at or below the smallest value, but at least [`LOG_FLOOR_MIN`], to the first
/// 1, 2 or 5 × 10^n at or above 1.5 × the largest value, and at least one decade long. When the
/// smallest value lies on or just above that power of ten, the axis starts a little lower, so
/// the line does not run along the frame.
fn log_axis_for(values: impl Iterator<Item = f64>) -> Axis {
    const BOTTOM_ROOM: f64 = 1.25;
    let (min, max) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if max <= 0.0 {
        return Axis::log(1.0, 1000.0);
    }
    let floor = power_of_ten_below(min).max(LOG_FLOOR_MIN);
    let top = round_number_above(max * 1.5).max(floor * 10.0);
    let hi = if top.is_finite() { top } else { max };
    let lo = if min >= floor && min < floor * BOTTOM_ROOM {
        floor / BOTTOM_ROOM
    } else {
        floor
    };
    Axis::log(lo, hi)
}

/// Ticks of a log axis: powers of ten (every few decades on a long axis), or 1, 2 and 5 times
/// them on an axis shorter than two decades.
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if max == 0 {
        return Vec::new();
    }
    let axis = Axis::log(lo, hi);
    let first = (axis.lo.log10() - 1e-9).floor() as i32;
    let last = (axis.hi.log10() + 1e-9).ceil() as i32;
    if axis.hi / axis.lo < 100.0 {
        let ticks: Vec<f64> = (first..=last)
            .flat_map(|n| [1, 2, 5].into_iter().map(move |m| decimal(m, n)))
            .filter(|v| axis.contains(*v))
            .collect();
        if ticks.len() <= max && ticks.len() >= 2 {
            return ticks;
        }
    }
    let decades: Vec<i32> = (first..=last)
        .filter(|&n| axis.contains(decimal(1, n)))
        .collect();
    let step = decades.len().div_ceil(max).max(1);
    decades
        .iter()
        .step_by(step)
        .map(|&n| decimal(1, n))
        .collect()
}

/// Whole-number ticks from `lo` to `hi`, 1, 2 or 5 × 10^n apart, at most `max` of them.
fn integer_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (first, last) = (lo.ceil(), hi.floor());
    if max == 0 || first.is_nan() || last.is_nan() || first > last {
        return Vec::new();
    }
    let span = last - first;
    let fits = |step: f64| (span / step).floor() + 1.0 <= max as f64;
    // `fits` needs a step above span / max; the loop moves past an exact hit.
    let mut step = round_number_above((span / max as f64).max(1.0));
    while step.is_finite() && !fits(step) {
        step = round_number_above(step * 1.5);
    }
    if !step.is_finite() {
        return vec![first];
    }
    let start = (first / step).ceil() * step;
    let mut ticks: Vec<f64> = Vec::with_capacity(max);
    for i in 0..max {
        let v = start + i as f64 * step;
        if v > last {
            break;
        }
        if ticks.last().is_none_or(|&t| v > t) {
            ticks.push(v);
        }
    }
    ticks
}

// ---------------------------------------------------------------------------------------------
// Number formatting

const X_LABELS: usize = 12;
const Y_LABELS: usize = 8;
const SMALL_MULTIPLE_Y_LABELS: usize = 4;

/// Formats axis ticks: on a linear axis with as many decimals as the tick spacing needs, on a
/// log axis each tick with the decimals it needs itself.
#[derive(Clone, Copy, Debug)]
enum TickFormat {
    Fixed { decimals: usize, group: bool },
    Log,
}

impl TickFormat {
    fn for_axis(axis: &Axis, labels: usize) -> TickFormat {
        let largest = axis.lo.abs().max(axis.hi.abs());
        match axis.scale {
            Scale::Log => TickFormat::Log,
            Scale::Integer => TickFormat::Fixed {
                decimals: 0,
                group: largest >= 10_000.0,
            },
            Scale::Linear => {
                let points = axis.ticks(labels);
                let step = match points.as_slice() {
                    [a, b, ..] => b - a,
                    _ => axis.hi - axis.lo,
                };
                let decimals = if step.is_finite() && step > 0.0 {
                    (-(step.log10() + 1e-9).floor()).clamp(0.0, 9.0) as usize
                } else {
                    0
                };
                TickFormat::Fixed {
                    decimals,
                    group: decimals == 0 && largest >= 10_000.0,
                }
            }
        }
    }

    fn format(self, v: f64) -> String {
        match self {
            TickFormat::Fixed { decimals, group } => format_number(v, decimals, group),
            TickFormat::Log => format_log_tick(v),
        }
    }
}

/// A log-axis tick (a power of ten or a small multiple of one): plain from 0.0001 to below a
/// million (`0.01`, `5`, `1000`, `20,000`), `1e-5` or `2e6` beyond.
fn format_log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return "0".to_owned();
    }
    let n = (v.log10() + 1e-9).floor() as i32;
    if (-4..6).contains(&n) {
        let decimals = (-n).max(0) as usize;
        format_number(v, decimals, v >= 10_000.0)
    } else {
        let m = (v / decimal(1, n)).round();
        format!("{m}e{n}")
    }
}

fn format_number(v: f64, decimals: usize, group: bool) -> String {
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    let v = if v.abs() < half_unit { 0.0 } else { v };
    let text = format!("{v:.decimals$}");
    if group {
        group_thousands(&text)
    } else {
        text
    }
}

/// Inserts thousands separators into the integer part of a formatted number.
fn group_thousands(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{frac}")
}

/// A quantity for a label: whole numbers from 100 up, otherwise up to one decimal.
fn format_quantity(v: f64) -> String {
    if v >= 100.0 {
        format_number(v.round(), 0, v >= 10_000.0)
    } else {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering to bytes

fn render(stem: &'static str, figure: &Figure, format: ImageFormat) -> Result<Vec<u8>, ChartError> {
    let draw_err = |message: String| ChartError::Draw {
        chart: stem,
        message,
    };
    let (w, h) = figure.size;
    match format {
        ImageFormat::Png => {
            let mut buffer = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
                draw_figure(figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            let mut png = Vec::new();
            PngEncoder::new_with_quality(&mut png, CompressionType::Default, FilterType::Adaptive)
                .write_image(&buffer, w, h, ColorType::Rgb8)
                .map_err(|e| ChartError::Encode {
                    chart: stem,
                    message: e.to_string(),
                })?;
            Ok(png)
        }
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                draw_figure(figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            Ok(svg.into_bytes())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

const MARGIN: i32 = 14;
const MARGIN_RIGHT: i32 = 24;
const TITLE_FONT: f64 = 24.0;
const TITLE_HEIGHT: i32 = 48;
const DESC_FONT: f64 = 16.0;
const TICK_FONT: f64 = 14.0;
const LEGEND_FONT: f64 = 14.0;
const LEGEND_MINOR_FONT: f64 = 12.0;
const EVENT_FONT: f64 = 12.0;
const EVENT_ROW_HEIGHT: i32 = 15;
const EVENT_MAX_ROWS: usize = 4;
const EVENT_MAX_LABELS: usize = 20;
const X_LABEL_AREA: i32 = 52;
const PANEL_GAP: i32 = 12;
const LEGEND_SAMPLE: i32 = 28;
const LEGEND_PAD: i32 = 10;
const LEGEND_MIN_TEXT: i32 = 80;
const LEGEND_MAX_TEXT: i32 = 260;
const LEGEND_MAX_LINES: usize = 3;

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&TEXT_COLOR)
}

fn text_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> DrawResult<i32, DB> {
    let (w, _) = root.estimate_text_size(text, style)?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// Cuts `text` to fit `max_width` pixels, ending it with an ellipsis when shortened.
fn truncate_to_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
) -> DrawResult<String, DB> {
    if text_width(root, text, style)? <= max_width {
        return Ok(text.to_owned());
    }
    // Longest prefix that fits with the ellipsis (text width grows with the prefix).
    let chars: Vec<char> = text.chars().collect();
    let with_ellipsis = |keep: usize| chars[..keep].iter().chain(['…'].iter()).collect::<String>();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(root, &with_ellipsis(mid), style)? <= max_width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(with_ellipsis(lo))
}

/// Splits `text` into lines of at most `max_width` pixels, preferring breaks after `-`, `_`,
/// `/`, `.` or spaces; at most `max_lines` lines, the last one truncated if needed.
fn wrap_to_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
    max_lines: usize,
) -> DrawResult<Vec<String>, DB> {
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        if lines.len() + 1 == max_lines {
            let rest: String = chars[start..].iter().collect();
            lines.push(truncate_to_width(root, &rest, style, max_width)?);
            return Ok(lines);
        }
        // Longest prefix that fits, then back off to the last break character in it.
        let mut end = start + 1;
        while end < chars.len() {
            let candidate: String = chars[start..=end].iter().collect();
            if text_width(root, &candidate, style)? > max_width {
                break;
            }
            end += 1;
        }
        if end < chars.len() {
            if let Some(brk) = (start + 1..end)
                .rev()
                .find(|&i| matches!(chars[i - 1], '-' | '_' | '/' | '.' | ' '))
            {
                end = brk;
            }
        }
        lines.push(
            chars[start..end]
                .iter()
                .collect::<String>()
                .trim()
                .to_owned(),
        );
        start = end;
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    Ok(lines)
}

/// Where an event label goes: its row in the band (0 = top) and left edge in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LabelSlot {
    row: usize,
    left: i32,
}

/// Places event labels in rows above the plot so that no two labels overlap and no label crosses
/// another event's line. `events` are (line x in pixels, label width), sorted by x. Labels go to
/// the right of their line, or to its left near the right edge; at most [`EVENT_MAX_LABELS`] are
/// placed and those that fit nowhere are left out (their line is still drawn).
fn place_event_labels(
    events: &[(i32, i32)],
    plot_x: (i32, i32),
    right_limit: i32,
) -> Vec<Option<LabelSlot>> {
    const GAP: i32 = 8;
    const OFFSET: i32 = 4;
    // Lines closer than this always stagger, whatever the label widths.
    let near = ((plot_x.1 - plot_x.0) as f64 * 0.05) as i32;
    // Per row: label intervals, and lines passing through the row from labels above it.
    let mut labels: Vec<Vec<(i32, i32)>> = vec![Vec::new(); EVENT_MAX_ROWS];
    let mut lines: Vec<Vec<(i32, i32)>> = vec![Vec::new(); EVENT_MAX_ROWS];
    // Per row: x of the lines whose label sits in that row.
    let mut anchors: Vec<Vec<i32>> = vec![Vec::new(); EVENT_MAX_ROWS];
    let overlaps = |iv: &(i32, i32), (a, b): (i32, i32)| iv.0 < b && a < iv.1;
    let mut placed = 0;
    let mut slots = Vec::with_capacity(events.len());
    for &(x, width) in events {
        if placed >= EVENT_MAX_LABELS {
            slots.push(None);
            continue;
        }
        let left = if x + OFFSET + width <= right_limit {
            x + OFFSET
        } else {
            x - OFFSET - width
        };
        let text = (left, left + width);
        // Labels keep a gap between each other; lines only need to miss the text itself.
        let span = (left - GAP, left + width + GAP);
        let line = (x - 1, x + 2);
        // A row is free when the label touches no other label or line there, its line is not
        // too close to the line of another label in that row, and its line, running down
        // through the rows below, crosses no label.
        let free = |row: usize| {
            labels[row].iter().all(|iv| !overlaps(iv, span))
                && lines[row].iter().all(|iv| !overlaps(iv, text))
                && anchors[row].iter().all(|&ax| (ax - x).abs() >= near)
                && labels[row + 1..]
                    .iter()
                    .flatten()
                    .all(|iv| !overlaps(iv, line))
        };
        match (0..EVENT_MAX_ROWS).find(|&r| left >= 0 && free(r)) {
            Some(row) => {
                labels[row].push(text);
                anchors[row].push(x);
                for r in &mut lines[row + 1..] {
                    r.push(line);
                }
                placed += 1;
                slots.push(Some(LabelSlot { row, left }));
            }
            None => slots.push(None),
        }
    }
    slots
}

/// Reduces a line to the pixels that matter: consecutive points in the same pixel column are
/// cut down to the first, lowest, highest and last of them (so spikes stay visible however many
/// points share a column), and repeated pixels are dropped. Repeated points would also make the
/// bitmap backend's thick-line join computation degenerate and draw stray lines.
fn pixel_path(points: impl Iterator<Item = (i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    let push = |out: &mut Vec<(i32, i32)>, p: (i32, i32)| {
        if out.last() != Some(&p) {
            out.push(p);
        }
    };
    let mut column: Vec<(i32, i32)> = Vec::new();
    let flush = |out: &mut Vec<(i32, i32)>, column: &mut Vec<(i32, i32)>| {
        if let (Some(&first), Some(&last)) = (column.first(), column.last()) {
            let (mut lo, mut hi) = (0, 0);
            for (i, p) in column.iter().enumerate() {
                if p.1 < column[lo].1 {
                    lo = i;
                }
                if p.1 > column[hi].1 {
                    hi = i;
                }
            }
            push(out, first);
            push(out, column[lo.min(hi)]);
            push(out, column[lo.max(hi)]);
            push(out, last);
        }
        column.clear();
    };
    for p in points {
        if column.last().is_some_and(|q| q.0 != p.0) {
            flush(&mut out, &mut column);
        }
        column.push(p);
    }
    flush(&mut out, &mut column);
    out
}

/// Splits a path where it turns back sharply (less than 60 degrees between the two segments),
/// so each piece is drawn on its own. The bitmap backend outlines thick paths with mitred
/// joins, and at a sharp spike the inner corner of that outline lands far away from the line,
/// which paints a stray wedge across the chart.
fn split_sharp_turns(path: &[(i32, i32)]) -> Vec<&[(i32, i32)]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 1..path.len().saturating_sub(1) {
        let (a, b, c) = (path[i - 1], path[i], path[i + 1]);
        let u = (f64::from(a.0 - b.0), f64::from(a.1 - b.1));
        let v = (f64::from(c.0 - b.0), f64::from(c.1 - b.1));
        let norms = u.0.hypot(u.1) * v.0.hypot(v.1);
        if norms > 0.0 && (u.0 * v.0 + u.1 * v.1) / norms > 0.5 {
            pieces.push(&path[start..=i]);
            start = i;
        }
    }
    pieces.push(&path[start..]);
    pieces
}

/// A legend entry laid out in lines.
struct LegendLayout<'a> {
    entry: &'a LegendEntry,
    lines: Vec<String>,
}

fn legend_style(entry: &LegendEntry) -> TextStyle<'static> {
    font(if entry.minor {
        LEGEND_MINOR_FONT
    } else {
        LEGEND_FONT
    })
}

fn legend_indent(entry: &LegendEntry) -> i32 {
    if entry.minor {
        12
    } else {
        0
    }
}

fn legend_line_height(entry: &LegendEntry) -> i32 {
    if entry.minor {
        15
    } else {
        18
    }
}

/// Lays out the legend; returns the entries and the legend's total width (0 when empty).
fn layout_legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &'a [LegendEntry],
) -> DrawResult<(Vec<LegendLayout<'a>>, i32), DB> {
    if legend.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut natural = LEGEND_MIN_TEXT;
    for entry in legend {
        let w = text_width(root, &entry.text, &legend_style(entry))? + legend_indent(entry);
        natural = natural.max(w);
    }
    let text_w = natural.min(LEGEND_MAX_TEXT);
    let mut layout = Vec::with_capacity(legend.len());
    for entry in legend {
        let max = text_w - legend_indent(entry);
        let lines = wrap_to_width(
            root,
            &entry.text,
            &legend_style(entry),
            max,
            LEGEND_MAX_LINES,
        )?;
        layout.push(LegendLayout { entry, lines });
    }
    Ok((layout, 2 * LEGEND_PAD + LEGEND_SAMPLE + 8 + text_w))
}

/// Draws the legend box with its top-left corner at (`left`, `top`). Entries that would reach
/// below `bottom` are left out and counted in a last "+ N more" line.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &[LegendLayout],
    (left, top): (i32, i32),
    width: i32,
    bottom: i32,
) -> DrawResult<(), DB> {
    if layout.is_empty() {
        return Ok(());
    }
    const SPACING: i32 = 6;
    let entry_h = |l: &LegendLayout| l.lines.len() as i32 * legend_line_height(l.entry) + SPACING;
    let room = bottom - top - 2 * LEGEND_PAD + SPACING;
    let total: i32 = layout.iter().map(entry_h).sum();
    let (shown, more_h) = if total <= room {
        (layout.len(), 0)
    } else {
        let more_h = legend_line_height(layout[0].entry) + SPACING;
        let mut used = 0;
        let fits = layout
            .iter()
            .take_while(|l| {
                used += entry_h(l);
                used + more_h <= room
            })
            .count();
        (fits, more_h)
    };
    let height =
        layout[..shown].iter().map(entry_h).sum::<i32>() + more_h + 2 * LEGEND_PAD - SPACING;
    root.draw(&Rectangle::new(
        [(left, top), (left + width, top + height)],
        WHITE.filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(left, top), (left + width, top + height)],
        RGBColor(190, 190, 190).stroke_width(1),
    ))?;
    if shown < layout.len() {
        let style = font(LEGEND_FONT).pos(Pos::new(HPos::Left, VPos::Center));
        let y = top + height - LEGEND_PAD - legend_line_height(layout[0].entry) / 2;
        let text = format!("+ {} more", layout.len() - shown);
        root.draw(&Text::new(text, (left + LEGEND_PAD, y), style))?;
    }
    let mut y = top + LEGEND_PAD;
    for item in &layout[..shown] {
        let entry = item.entry;
        let line_h = legend_line_height(entry);
        let x = left + LEGEND_PAD + legend_indent(entry);
        let sample_y = y + line_h / 2;
        let style = entry.color.stroke_width(2);
        let sample_end = x + LEGEND_SAMPLE - legend_indent(entry);
        let line = vec![(x, sample_y), (sample_end, sample_y)];
        match entry.sample {
            Sample::Dashed => root.draw(&DashedPathElement::new(line, 6, 4, style))?,
            Sample::Line | Sample::LineMarker => root.draw(&PathElement::new(line, style))?,
            Sample::Marker => {}
        }
        let radius = match entry.sample {
            Sample::Marker => Some(SIMULATED_MARKER),
            Sample::LineMarker => Some(LATENCY_MARKER),
            Sample::Line | Sample::Dashed => None,
        };
        if let Some(radius) = radius {
            draw_marker(root, ((x + sample_end) / 2, sample_y), radius, entry.color)?;
        }
        let text_style = legend_style(entry).pos(Pos::new(HPos::Left, VPos::Center));
        for (i, line) in item.lines.iter().enumerate() {
            let line_y = y + i as i32 * line_h + line_h / 2;
            root.draw(&Text::new(
                line.as_str(),
                (sample_end + 8, line_y),
                text_style.clone(),
            ))?;
        }
        y += entry_h(item);
    }
    Ok(())
}

/// Draws inside one panel's plot: event lines (`(x, top)` in pixels, `top` when the line reaches
/// above the plot to its label), reference lines, then the data.
fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<Axis, Axis>>,
    panel: &Panel,
    event_lines: &[(i32, Option<i32>)],
) -> DrawResult<(), DB> {
    let (px, py) = chart.plotting_area().get_pixel_range();

    // Timeline events: dashed vertical lines.
    for &(x, top) in event_lines {
        root.draw(&DashedPathElement::new(
            [(x, top.unwrap_or(py.start)), (x, py.end - 1)],
            5,
            4,
            EVENT_COLOR.stroke_width(1),
        ))?;
    }

    // Reference lines (database capacity), under the data.
    for &(y, color) in &panel.refs {
        let y = chart.backend_coord(&(0.0, y)).1;
        root.draw(&DashedPathElement::new(
            [(px.start, y), (px.end - 1, y)],
            10,
            6,
            color.stroke_width(2),
        ))?;
    }

    if panel.is_empty() {
        let style = font(DESC_FONT)
            .color(&RGBColor(120, 120, 120))
            .pos(Pos::new(HPos::Center, VPos::Center));
        let centre = ((px.start + px.end) / 2, (py.start + py.end) / 2);
        root.draw(&Text::new("no data", centre, style))?;
    }

    // Data, drawn as pixel paths (see `pixel_path`) in series order, then markers on top.
    for series in panel.series.iter().filter(|s| s.line) {
        let style = series.color.stroke_width(2);
        for segment in &series.segments {
            let path = pixel_path(segment.iter().map(|p| chart.backend_coord(p)));
            if let [point] = path.as_slice() {
                if series.marker.is_none() {
                    root.draw(&Circle::new(*point, 2, series.color.filled()))?;
                }
            } else {
                for piece in split_sharp_turns(&path) {
                    root.draw(&PathElement::new(piece, style))?;
                }
            }
        }
    }
    for series in &panel.series {
        if let Some(radius) = series.marker {
            for point in series.segments.iter().flatten() {
                draw_marker(root, chart.backend_coord(point), radius, series.color)?;
            }
        }
    }

    // The panel's name on top of its data.
    if let Some((text, color)) = &panel.label {
        let style = font(LEGEND_FONT).color(color);
        let w = text_width(root, text, &style)?;
        let corner = (px.start + 6, py.start + 4);
        root.draw(&Rectangle::new(
            [
                corner,
                (corner.0 + w + 10, corner.1 + LEGEND_FONT as i32 + 8),
            ],
            WHITE.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [
                corner,
                (corner.0 + w + 10, corner.1 + LEGEND_FONT as i32 + 8),
            ],
            RGBColor(200, 200, 200).stroke_width(1),
        ))?;
        root.draw(&Text::new(
            text.as_str(),
            (corner.0 + 5, corner.1 + 4),
            style,
        ))?;
    }
    Ok(())
}

/// A filled circle with a thin white rim, so it stands out from a line of its own colour.
fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    centre: (i32, i32),
    radius: i32,
    color: RGBColor,
) -> DrawResult<(), DB> {
    let radius = u32::try_from(radius).unwrap_or(0);
    root.draw(&Circle::new(centre, radius + 1, WHITE.filled()))?;
    root.draw(&Circle::new(centre, radius, color.filled()))?;
    Ok(())
}

/// Draws a whole figure: title, event label band, panels and legend.
fn draw_figure<DB: DrawingBackend>(
    figure: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (w, h) = (figure.size.0 as i32, figure.size.1 as i32);

    // Title.
    let title_style = font(TITLE_FONT).pos(Pos::new(HPos::Center, VPos::Top));
    let title = truncate_to_width(root, &figure.title, &title_style, w - 2 * MARGIN)?;
    root.draw(&Text::new(title, (w / 2, 14), title_style))?;

    // Legend to the right of the plots.
    let (legend, legend_w) = layout_legend(root, &figure.legend)?;
    let main_w = if legend_w > 0 {
        w - legend_w - MARGIN
    } else {
        w
    };

    // Tick formats and the width of the y label area, shared by all panels so they line up.
    let tick_style = font(TICK_FONT);
    let x_format = TickFormat::for_axis(&figure.x, X_LABELS);
    let mut y_formats = Vec::with_capacity(figure.panels.len());
    let mut widest_tick = 0;
    for panel in &figure.panels {
        let format = TickFormat::for_axis(&panel.y, panel.y_labels());
        for v in panel.y.key_points(BoldPoints(panel.y_labels())) {
            widest_tick = widest_tick.max(text_width(root, &format.format(v), &tick_style)?);
        }
        y_formats.push(format);
    }
    let y_label_area = widest_tick + 48;

    // Event labels: laid out against the plot's predicted horizontal extent.
    let plot_x = (MARGIN + y_label_area, main_w - MARGIN_RIGHT);
    let event_style = font(EVENT_FONT).color(&RGBColor(70, 70, 70));
    let (x_lo, x_hi) = (figure.x.lo, figure.x.hi);
    let to_px = |t: f64| {
        plot_x.0 + (((t - x_lo) / (x_hi - x_lo)) * f64::from(plot_x.1 - plot_x.0)).round() as i32
    };
    let max_label_w = ((plot_x.1 - plot_x.0) as f64 * 0.4) as i32;
    let mut event_labels = Vec::with_capacity(figure.events.len());
    let mut event_geometry = Vec::with_capacity(figure.events.len());
    for (t, label) in &figure.events {
        let text = truncate_to_width(root, label, &event_style, max_label_w)?;
        event_geometry.push((to_px(*t), text_width(root, &text, &event_style)?));
        event_labels.push(text);
    }
    let slots = place_event_labels(&event_geometry, plot_x, main_w - 4);
    let rows_used = slots.iter().flatten().map(|s| s.row + 1).max().unwrap_or(0);
    let band_top = TITLE_HEIGHT;
    let band_h = if rows_used > 0 {
        rows_used as i32 * EVENT_ROW_HEIGHT + 6
    } else {
        0
    };

    // Panels, stacked below the band.
    let panels_top = band_top + band_h;
    let (_, body) = root.split_vertically(panels_top);
    let (main, _) = body.split_horizontally(main_w);
    let available = (h - panels_top - MARGIN).max(1);
    let total_weight: f64 = figure.panels.iter().map(|p| p.weight).sum();
    let mut areas = Vec::with_capacity(figure.panels.len());
    let mut rest = main;
    for (i, panel) in figure.panels.iter().enumerate() {
        if i + 1 == figure.panels.len() {
            areas.push(rest.clone());
        } else {
            let height = (f64::from(available) * panel.weight / total_weight).round() as i32;
            let (top, bottom) = rest.split_vertically(height);
            areas.push(top);
            rest = bottom;
        }
    }

    let mut plot_top = panels_top;
    let mut event_x: Vec<i32> = Vec::new();
    let last = figure.panels.len().saturating_sub(1);
    for (i, (panel, area)) in figure.panels.iter().zip(&areas).enumerate() {
        let is_last = i == last;
        let y_format = y_formats[i];
        let mut chart = ChartBuilder::on(area)
            .margin_left(MARGIN)
            .margin_right(MARGIN_RIGHT)
            .margin_top(match (i, band_h) {
                (0, 0) => 12,
                (0, _) => 4,
                _ => PANEL_GAP / 2,
            })
            .margin_bottom(if is_last { MARGIN } else { PANEL_GAP / 2 })
            .x_label_area_size(if is_last { X_LABEL_AREA } else { 8 })
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(figure.x.clone(), panel.y.clone())?;

        let x_fmt = move |v: &f64| x_format.format(*v);
        let hide = |_: &f64| String::new();
        let y_fmt = move |v: &f64| y_format.format(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(X_LABELS)
            .y_labels(panel.y_labels())
            .y_label_formatter(&y_fmt)
            .y_desc(panel.y_desc)
            .label_style(font(TICK_FONT))
            .axis_desc_style(font(DESC_FONT))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(RGBColor(244, 244, 244))
            .axis_style(RGBColor(90, 90, 90));
        if is_last {
            mesh.x_label_formatter(&x_fmt).x_desc(figure.x_desc);
        } else {
            mesh.x_label_formatter(&hide);
        }
        mesh.draw()?;

        if i == 0 {
            plot_top = chart.plotting_area().get_pixel_range().1.start;
            event_x = figure
                .events
                .iter()
                .map(|(t, _)| chart.backend_coord(&(*t, panel.y.lo)).0)
                .collect();
        }
        // Event lines reach up to their label in the top panel.
        let event_lines: Vec<(i32, Option<i32>)> = event_x
            .iter()
            .zip(&slots)
            .map(|(&x, slot)| {
                let top = slot
                    .filter(|_| i == 0)
                    .map(|slot| band_top + slot.row as i32 * EVENT_ROW_HEIGHT + 2);
                (x, top)
            })
            .collect();
        draw_panel(root, &chart, panel, &event_lines)?;
    }

    // Event labels, in the band above the first plot.
    let label_style = event_style.pos(Pos::new(HPos::Left, VPos::Top));
    for (k, (slot, text)) in slots.iter().zip(&event_labels).enumerate() {
        if let (Some(slot), Some(&actual)) = (slot, event_x.get(k)) {
            // Keep the side chosen by the layout, next to where the line was really drawn.
            let left = slot.left + (actual - event_geometry[k].0);
            let y = band_top + slot.row as i32 * EVENT_ROW_HEIGHT + 2;
            root.draw(&Text::new(text.as_str(), (left, y), label_style.clone()))?;
        }
    }

    draw_legend(root, &legend, (main_w, plot_top), legend_w, h - MARGIN)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::StrategyResult;
    use crate::metrics::{LatencyStats, RunResult};

    const STEMS: [&str; 6] = [
        "latency_p99",
        "db_load",
        "hit_ratio",
        "errors",
        "latency_p99_by_strategy",
        "db_load_by_strategy",
    ];
    const FANOUT_STEMS: [&str; 2] = ["fanout_all_hit", "fanout_latency"];

    fn bucket(
        start_s: f64,
        qps: u64,
        queue: u64,
        p99_ms: f64,
        hits: u64,
        misses: u64,
    ) -> BucketRow {
        BucketRow {
            start_s,
            width_s: 1.0,
            cache_hits: hits,
            cache_misses: misses,
            db_completed: qps,
            db_queue_max: queue,
            latency: LatencyStats {
                count: u64::from(p99_ms > 0.0),
                p99_ms,
                ..LatencyStats::default()
            },
            ..BucketRow::default()
        }
    }

    fn strategy(name: &str, capacity: f64, buckets: Vec<BucketRow>) -> StrategyResult {
        StrategyResult {
            name: name.to_owned(),
            description: String::new(),
            db_capacity_qps: capacity,
            fanout: 1,
            result: RunResult {
                buckets,
                summary: Default::default(),
            },
        }
    }

    fn scenario(strategies: Vec<StrategyResult>) -> ScenarioResult {
        ScenarioResult {
            name: "avalanche".to_owned(),
            description: String::new(),
            seed: 7,
            duration_s: 120.0,
            bucket_s: 1.0,
            timeline: vec![
                (0.0, "preload top 20000".to_owned()),
                (0.5, "rate 4000/s".to_owned()),
                (60.0, "flush".to_owned()),
            ],
            strategies,
        }
    }

    fn sample() -> ScenarioResult {
        let spiky = (0..120)
            .map(|i| {
                let spike = i % 60 < 3;
                let (qps, queue, p99) = if spike {
                    (5000, 3000, 1000.0)
                } else {
                    (300, 0, 8.0)
                };
                let hits = if spike { 200 } else { 950 };
                bucket(f64::from(i), qps, queue, p99, hits, 1000 - hits)
            })
            .collect();
        let flat = (0..120)
            .map(|i| bucket(f64::from(i), 300, 1, 10.0, 950, 50))
            .collect();
        scenario(vec![
            strategy("fixed-ttl", 1600.0, spiky),
            strategy("jittered-10", 1600.0, flat),
        ])
    }

    fn stems(charts: &[Chart]) -> Vec<&'static str> {
        charts.iter().map(|c| c.file_stem).collect()
    }

    #[test]
    fn renders_every_chart_in_fixed_order() {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&sample(), format).unwrap();
            assert_eq!(stems(&charts), STEMS);
            assert!(charts.iter().all(|c| !c.bytes.is_empty()));
        }
    }

    #[test]
    fn small_multiples_give_each_strategy_a_named_panel_on_one_scale() {
        let result = sample();
        let db = build_figure(Kind::DbLoadByStrategy, &result);
        assert_eq!(db.panels.len(), 2);
        let labels: Vec<&str> = db
            .panels
            .iter()
            .map(|p| p.label.as_ref().unwrap().0.as_str())
            .collect();
        assert_eq!(
            labels,
            ["fixed-ttl: peak 5000 q/s", "jittered-10: peak 300 q/s"]
        );
        // One shared y axis reaching past the largest value of any strategy, so the flat
        // strategy looks flat next to the spiky one; each panel shows its own capacity.
        assert!(db.panels.iter().all(|p| p.y == db.panels[0].y));
        assert!(db.panels[0].y.hi > 5000.0);
        assert_eq!(db.panels[1].series.len(), 1);
        assert_eq!(db.panels[1].refs, [(1600.0, CAPACITY_COLOR)]);
        // The last panel carries the time axis and is taller by that much.
        assert!(db.panels[1].weight > db.panels[0].weight);
        assert!(db.size.1 > 2 * SMALL_MULTIPLE_HEIGHT);

        let latency = build_figure(Kind::LatencyByStrategy, &result);
        assert_eq!(latency.panels[0].y.scale, Scale::Log);
        assert_eq!(
            latency.panels[1].label.as_ref().unwrap().0,
            "jittered-10: max 10 ms"
        );
        assert!(latency.legend.is_empty());
    }

    #[test]
    fn png_output_is_png() {
        for chart in render_all(&sample(), ImageFormat::Png).unwrap() {
            assert!(
                chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{} is not a PNG",
                chart.file_stem
            );
        }
    }

    #[test]
    fn svg_output_is_svg_with_titles_and_labels() {
        let charts = render_all(&sample(), ImageFormat::Svg).unwrap();
        let texts: Vec<String> = charts
            .iter()
            .map(|c| String::from_utf8(c.bytes.clone()).unwrap())
            .collect();
        assert!(texts.iter().all(|t| t.contains("<svg")));
        assert!(texts[0].contains("avalanche: p99 request latency"));
        assert!(texts[0].contains("p99 latency (ms)"));
        assert!(texts[1].contains("avalanche: database load"));
        assert!(texts[1].contains("queue length"));
        assert!(texts[1].contains("DB capacity 1600 q/s"));
        assert!(texts[2].contains("avalanche: cache hit ratio"));
        assert!(texts[3].contains("avalanche: failed requests"));
        assert!(texts[3].contains("errors/s"));
        for t in &texts {
            assert!(t.contains("time (s)"));
            assert!(t.contains("fixed-ttl") && t.contains("jittered-10"));
            assert!(t.contains("rate 4000/s") && t.contains("flush"));
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        let result = sample();
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            assert_eq!(
                render_all(&result, format).unwrap(),
                render_all(&result, format).unwrap()
            );
        }
    }

    #[test]
    fn degenerate_results_render_without_panicking() {
        let zeros = (0..10)
            .map(|i| bucket(f64::from(i), 0, 0, 0.0, 0, 0))
            .collect();
        let mut odd = sample();
        odd.duration_s = f64::NAN;
        odd.timeline.push((f64::INFINITY, "never".to_owned()));
        odd.timeline.push((-5.0, "before".to_owned()));
        odd.strategies[0].result.buckets[5].latency.p99_ms = f64::NAN;
        odd.strategies[0].db_capacity_qps = f64::INFINITY;
        odd.strategies[1].result.buckets[2].latency.p99_ms = 5e-324;
        odd.strategies[1].result.buckets[3].width_s = f64::NAN;
        odd.strategies[1].result.buckets[4].width_s = 1e-300;
        odd.strategies[1].result.buckets[4].errors_timeout = u64::MAX;
        let mut huge = sample();
        huge.duration_s = 1e300;
        huge.timeline.push((1e299, "late".to_owned()));
        huge.strategies[0].result.buckets[3].latency.p99_ms = f64::MAX;
        huge.strategies[1].db_capacity_qps = 1e307;
        let cases = [
            scenario(Vec::new()),
            scenario(vec![strategy("idle", 0.0, zeros)]),
            scenario(vec![strategy("no-buckets", 100.0, Vec::new())]),
            ScenarioResult {
                duration_s: 0.0,
                timeline: Vec::new(),
                ..scenario(Vec::new())
            },
            odd,
            huge,
        ];
        for case in &cases {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let charts = render_all(case, format).unwrap();
                assert_eq!(stems(&charts), STEMS);
            }
        }
    }

    #[test]
    fn many_strategies_with_long_names_render() {
        let strategies = (0..12)
            .map(|i| {
                let buckets = (0..50)
                    .map(|j| bucket(f64::from(j), 100 * i, i, f64::from(j), 9, 1))
                    .collect();
                let name = format!("strategy-{i}-with-a-very-long-descriptive-name-indeed");
                strategy(&name, 1000.0 + f64::from(i as u32), buckets)
            })
            .collect();
        let charts = render_all(&scenario(strategies), ImageFormat::Svg).unwrap();
        let db = String::from_utf8(charts[1].bytes.clone()).unwrap();
        assert!(db.contains("capacity 1011 q/s"));
    }

    #[test]
    fn close_events_are_staggered_and_labels_never_overlap() {
        let events = [(100, 120), (101, 80), (400, 40), (402, 40), (405, 40)];
        let slots = place_event_labels(&events, (100, 1000), 1100);
        let placed: Vec<LabelSlot> = slots.iter().flatten().copied().collect();
        assert_eq!(placed.len(), events.len());
        assert_ne!(placed[0].row, placed[1].row);
        for (i, a) in slots.iter().enumerate() {
            for (j, b) in slots.iter().enumerate().skip(i + 1) {
                if let (Some(a), Some(b)) = (a, b) {
                    if a.row == b.row {
                        let (wa, wb) = (events[i].1, events[j].1);
                        assert!(a.left + wa <= b.left || b.left + wb <= a.left);
                    }
                }
            }
        }
    }

    #[test]
    fn at_most_twenty_event_labels() {
        let events: Vec<(i32, i32)> = (0..40).map(|i| (i * 100, 30)).collect();
        let slots = place_event_labels(&events, (0, 4000), 4100);
        assert_eq!(slots.iter().flatten().count(), EVENT_MAX_LABELS);
        assert!(slots[..EVENT_MAX_LABELS].iter().all(Option::is_some));
    }

    #[test]
    fn labels_near_the_right_edge_go_left_of_their_line() {
        let slots = place_event_labels(&[(990, 60)], (100, 1000), 1000);
        let slot = slots[0].unwrap();
        assert!(slot.left + 60 < 990);
    }

    #[test]
    fn tick_labels_are_short() {
        let f = TickFormat::for_axis(&Axis::linear(0.0, 1.1), Y_LABELS);
        assert_eq!(f.format(0.30000000000000004), "0.3");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 5500.0), Y_LABELS);
        assert_eq!(f.format(2000.0000000001), "2000");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 0.0044), Y_LABELS);
        assert_eq!(f.format(0.0020000000001), "0.002");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 20_000.0), X_LABELS);
        assert_eq!(f.format(12_000.0), "12,000");
        let f = TickFormat::for_axis(&Axis::integer(0.5, 10.5), X_LABELS);
        assert_eq!(f.format(3.0), "3");
        let f = TickFormat::for_axis(&Axis::log(0.01, 20_000.0), Y_LABELS);
        let labels: Vec<String> = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
            .iter()
            .map(|&v| f.format(v))
            .collect();
        assert_eq!(labels, ["0.01", "0.1", "1", "10", "100", "1000", "10,000"]);
        assert_eq!(format_log_tick(0.0001), "0.0001");
        assert_eq!(format_log_tick(2e-5), "2e-5");
        assert_eq!(format_log_tick(1e37), "1e37");
        assert_eq!(format_log_tick(0.0), "0");
        assert_eq!(format_number(-1e-12, 1, false), "0.0");
        assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(format_quantity(1600.0), "1600");
        assert_eq!(format_quantity(12.25), "12.2");
        assert_eq!(format_quantity(0.5), "0.5");
        assert_eq!(format_quantity(25_000.0), "25,000");
    }

    #[test]
    fn y_axis_always_reaches_past_the_maximum() {
        let result = sample();
        for kind in KINDS {
            let figure = build_figure(kind, &result);
            for panel in &figure.panels {
                let max = max_value(&panel.series, &[]);
                assert!(panel.y.hi > max, "{} {}", kind.stem(), panel.y_desc);
                let min = values(&panel.series).fold(f64::INFINITY, f64::min);
                assert!(panel.y.lo <= min, "{} {}", kind.stem(), panel.y_desc);
            }
        }
        let db = build_figure(Kind::DbLoad, &result);
        assert_eq!(db.panels[0].y.scale, Scale::Linear);
        assert_eq!(db.panels[0].y.lo, 0.0);
        assert!((db.panels[0].y.hi - 5500.0).abs() < 1e-6);
        assert!((db.panels[1].y.hi - 3300.0).abs() < 1e-6);
        let zeros = scenario(vec![strategy(
            "idle",
            0.0,
            vec![bucket(0.0, 0, 0, 0.0, 0, 0)],
        )]);
        assert_eq!(build_figure(Kind::DbLoad, &zeros).panels[0].y.hi, 1.0);
        assert_eq!(build_figure(Kind::Errors, &zeros).panels[0].y.hi, 1.0);
    }

    #[test]
    fn latency_axis_is_logarithmic_with_decade_ticks() {
        // p99 from 8 ms to 1000 ms: 1 ms up to 2000 ms, labelled at every power of ten.
        let latency = build_figure(Kind::Latency, &sample());
        let y = &latency.panels[0].y;
        assert_eq!(y.scale, Scale::Log);
        assert_eq!((y.lo, y.hi), (1.0, 2000.0));
        assert_eq!(y.ticks(Y_LABELS), [1.0, 10.0, 100.0, 1000.0]);
        // Light grid lines at 2..9 × each power of ten.
        let minor = y.minor_ticks(80);
        assert!(minor.contains(&20.0) && minor.contains(&900.0) && minor.contains(&2000.0));
        assert!(!minor.contains(&3000.0));

        // After a 1000 ms spike, a 10 ms spike over a 3 ms baseline is still plain to see.
        let height = 500;
        let px = |v: f64| y.map(&v, (0, height));
        assert!(px(10.0) - px(3.0) > height / 10, "{} {}", px(10.0), px(3.0));
        let linear = Axis::linear(0.0, 1100.0);
        assert!(linear.map(&10.0, (0, height)) - linear.map(&3.0, (0, height)) < 5);

        // Floor: a power of ten, at least 0.01 ms; room below a minimum that sits on it.
        assert_eq!(log_axis_for([0.35, 12.0].into_iter()).lo, 0.1);
        assert_eq!(log_axis_for([0.0001, 0.5].into_iter()).lo, 0.01);
        assert_eq!(log_axis_for([5.0, 8.0].into_iter()).lo, 1.0);
        let on_floor = log_axis_for([1.0, 200.0].into_iter());
        assert!(on_floor.lo < 1.0 && on_floor.lo > 0.5);
        assert_eq!(on_floor.hi, 500.0);
        // Ceiling: a round number above 1.5 × the max, at least a decade above the floor.
        assert_eq!(log_axis_for([5.0, 8.0].into_iter()).hi, 20.0);
        assert_eq!(log_axis_for([3.0, 600.0].into_iter()).hi, 1000.0);
        assert_eq!(log_axis_for(std::iter::empty()), Axis::log(1.0, 1000.0));
        assert_eq!(
            log_axis_for([f64::NAN, -1.0, 0.0, f64::INFINITY].into_iter()),
            Axis::log(1.0, 1000.0)
        );
        let huge = log_axis_for([1.0, f64::MAX].into_iter());
        assert!(huge.hi.is_finite() && huge.hi >= 1e308);
        assert!(huge.ticks(Y_LABELS).len() <= Y_LABELS);
        // Short axes get 1-2-5 ticks.
        assert_eq!(
            Axis::log(1.0, 20.0).ticks(Y_LABELS),
            [1.0, 2.0, 5.0, 10.0, 20.0]
        );
        assert_eq!(
            Axis::log(0.01, 0.1).ticks(Y_LABELS),
            [0.01, 0.02, 0.05, 0.1]
        );
    }

    #[test]
    fn axis_ticks_stay_in_range_sorted_and_within_count() {
        let bounds = [
            5e-324,
            1e-300,
            1e-9,
            0.003,
            0.01,
            0.5,
            0.8,
            1.0,
            3.0,
            10.0,
            1234.5,
            1e20,
            1e300,
            f64::MAX,
        ];
        for &lo in &bounds {
            for &hi in &bounds {
                for max in [0, 1, 2, 8, 12] {
                    for axis in [
                        Axis::log(lo, hi),
                        Axis::integer(lo, hi),
                        Axis::integer(-lo, hi),
                        // Linear axes always start at 0 here.
                        Axis::linear(0.0, hi),
                    ] {
                        assert!(axis.lo < axis.hi && axis.lo.is_finite() && axis.hi.is_finite());
                        let ticks = axis.ticks(max);
                        assert!(ticks.len() <= max, "{axis:?} {max} {ticks:?}");
                        assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{axis:?} {ticks:?}");
                        assert!(
                            ticks.iter().all(|&t| axis.contains(t)),
                            "{axis:?} {ticks:?}"
                        );
                        let minor = axis.minor_ticks(max * 10);
                        assert!(minor.len() <= max * 10);
                        for v in [f64::NAN, -1.0, 0.0, lo, hi, f64::INFINITY] {
                            let _ = axis.map(&v, (0, 500));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn latency_gaps_where_nothing_completed_or_p99_is_not_positive() {
        let mut result = sample();
        result.strategies[1].result.buckets[10].latency.count = 0;
        result.strategies[1].result.buckets[20].latency.p99_ms = 0.0;
        result.strategies[1].result.buckets[30].latency.p99_ms = -1.0;
        let latency = build_figure(Kind::Latency, &result);
        assert_eq!(latency.panels[0].series[1].segments.len(), 4);
        assert!(values(&latency.panels[0].series).all(|v| v > 0.0));
    }

    #[test]
    fn errors_chart_shows_failed_requests_per_second() {
        let mut result = sample();
        let b = &mut result.strategies[0].result.buckets[3];
        b.width_s = 0.5;
        b.errors_timeout = 10;
        b.errors_db_rejected = 20;
        b.errors_db_timeout = 30;
        b.errors_overload = 40;
        result.strategies[0].result.buckets[4].width_s = 0.0;
        let errors = build_figure(Kind::Errors, &result);
        let panel = &errors.panels[0];
        assert_eq!(panel.y_desc, "errors/s");
        assert_eq!(panel.y.scale, Scale::Linear);
        assert!((panel.y.hi - 220.0).abs() < 1e-9);
        let series = &panel.series[0];
        assert_eq!(series.segments.len(), 2, "a bucket of zero width is a gap");
        assert_eq!(series.segments[0][3], (3.0, 200.0));
        assert_eq!(errors.legend.len(), 2);
        assert_eq!(errors.x_desc, "time (s)");
    }

    fn fanout_sample() -> FanoutChartData {
        let mut simulated = Vec::new();
        for k in [1u32, 5, 10] {
            for h in [0.5f64, 0.7, 0.9, 0.95, 0.99] {
                simulated.push((k, h, h.powf(f64::from(k)) + 0.01));
            }
        }
        simulated.push((7, 0.9, 0.5));
        FanoutChartData {
            title: "fan-out".to_owned(),
            curve_ks: vec![1, 2, 5, 10, 20],
            simulated,
            latency_by_k: (1..=10u32)
                .map(|k| {
                    (
                        k,
                        f64::from(k) * 0.5,
                        f64::from(k) * 3.0,
                        f64::from(k) * 20.0,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn fanout_renders_two_charts_or_one_without_latency() {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let mut data = fanout_sample();
            let charts = render_fanout(&data, format).unwrap();
            assert_eq!(stems(&charts), FANOUT_STEMS);
            assert!(charts.iter().all(|c| !c.bytes.is_empty()));
            data.latency_by_k.clear();
            let charts = render_fanout(&data, format).unwrap();
            assert_eq!(stems(&charts), FANOUT_STEMS[..1]);
        }
        let svg = render_fanout(&fanout_sample(), ImageFormat::Svg).unwrap();
        let texts: Vec<String> = svg
            .iter()
            .map(|c| String::from_utf8(c.bytes.clone()).unwrap())
            .collect();
        assert!(texts[0].contains("fan-out: probability that all k dependencies hit"));
        assert!(texts[0].contains("k = 20") && texts[0].contains("k = 7 (simulated)"));
        assert!(texts[0].contains("markers: simulated"));
        assert!(texts[1].contains("fan-out: request latency by fan-out"));
        assert!(texts[1].contains("p50") && texts[1].contains("p95") && texts[1].contains("p99"));
    }

    #[test]
    fn fanout_markers_take_the_colour_of_their_curve() {
        let figure = fanout_all_hit_figure(&fanout_sample());
        let panel = &figure.panels[0];
        let curves: Vec<&Series> = panel.series.iter().filter(|s| s.line).collect();
        let markers: Vec<&Series> = panel.series.iter().filter(|s| !s.line).collect();
        assert_eq!(curves.len(), 5);
        assert!(curves.iter().all(|s| s.marker.is_none()));
        // Curve k = 5: h^5 at h = 0.5.
        let k5 = &curves[2].segments[0];
        assert_eq!(k5.first(), Some(&(0.0, 0.0)));
        assert_eq!(k5.last(), Some(&(1.0, 1.0)));
        let mid = k5.iter().find(|p| (p.0 - 0.5).abs() < 1e-12).unwrap();
        assert!((mid.1 - 0.03125).abs() < 1e-12);
        // One marker series per curve (empty for k = 2 and 20), then k = 7 on its own.
        assert_eq!(markers.len(), 6);
        for (curve, marker) in curves.iter().zip(&markers) {
            assert_eq!(curve.color, marker.color);
        }
        assert_eq!(markers[0].segments[0].len(), 5);
        assert!(markers[1].segments.is_empty());
        assert_eq!(markers[5].segments, vec![vec![(0.9, 0.5)]]);
        assert!(!curves.iter().any(|c| c.color == markers[5].color));
        assert_eq!(markers[5].marker, Some(SIMULATED_MARKER));
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "k = 1",
                "k = 2",
                "k = 5",
                "k = 10",
                "k = 20",
                "k = 7 (simulated)",
                "markers: simulated"
            ]
        );
        assert_eq!(figure.legend[5].sample, Sample::Marker);
        assert_eq!(figure.legend[5].color, markers[5].color);
    }

    #[test]
    fn fanout_latency_has_integer_k_ticks_and_a_log_axis() {
        let figure = fanout_latency_figure(&fanout_sample());
        assert_eq!(figure.x.scale, Scale::Integer);
        let ticks = figure.x.ticks(X_LABELS);
        assert_eq!(ticks, (1..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(
            integer_ticks(0.0, 60.0, 12),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
        assert_eq!(integer_ticks(0.5, 0.9, 12), Vec::<f64>::new());
        let panel = &figure.panels[0];
        assert_eq!(panel.y.scale, Scale::Log);
        assert_eq!(panel.series.len(), 3);
        assert!(panel
            .series
            .iter()
            .all(|s| s.line && s.marker == Some(LATENCY_MARKER)));
        assert!(panel.y.lo <= 0.5 && panel.y.hi > 200.0);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(legend, ["p50", "p95", "p99"]);
    }

    #[test]
    fn fanout_rendering_is_deterministic() {
        let data = fanout_sample();
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            assert_eq!(
                render_fanout(&data, format).unwrap(),
                render_fanout(&data, format).unwrap()
            );
        }
    }

    #[test]
    fn degenerate_fanout_data_renders_without_panicking() {
        let nan = f64::NAN;
        let cases = [
            FanoutChartData::default(),
            FanoutChartData {
                title: String::new(),
                curve_ks: vec![0, 0, 1, u32::MAX],
                simulated: vec![
                    (0, 0.0, 1.0),
                    (1, 1.0, 1.0),
                    (2, 0.0, 0.0),
                    (3, nan, 0.5),
                    (3, 0.5, nan),
                    (4, f64::INFINITY, -3.0),
                    (5, -1.0, 2.0),
                    (u32::MAX, 1.0, 0.0),
                ],
                latency_by_k: vec![(0, 0.0, -1.0, nan), (0, nan, nan, nan)],
            },
            FanoutChartData {
                title: "one point".to_owned(),
                curve_ks: Vec::new(),
                simulated: vec![(7, 0.5, 0.01)],
                latency_by_k: vec![(u32::MAX, 1.0, 2.0, f64::MAX)],
            },
            FanoutChartData {
                title: "many ks".to_owned(),
                curve_ks: (0..40).collect(),
                simulated: (0..40).map(|k| (k + 100, 0.5, 0.5)).collect(),
                latency_by_k: (0..1000).map(|k| (k, 1e-9, 1.0, 1e300)).collect(),
            },
        ];
        for case in &cases {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let charts = render_fanout(case, format).unwrap();
                let expected = if case.latency_by_k.is_empty() { 1 } else { 2 };
                assert_eq!(charts.len(), expected);
            }
        }
    }

    #[test]
    fn gaps_break_lines() {
        let mut result = sample();
        result.strategies[1].result.buckets[10].latency.count = 0;
        result.strategies[1].result.buckets[20].cache_hits = 0;
        result.strategies[1].result.buckets[20].cache_misses = 0;
        let latency = build_figure(Kind::Latency, &result);
        assert_eq!(latency.panels[0].series[1].segments.len(), 2);
        let hits = build_figure(Kind::HitRatio, &result);
        assert_eq!(hits.panels[0].series[1].segments.len(), 2);
    }

    #[test]
    fn per_strategy_capacity_lines_when_capacities_differ() {
        let mut result = sample();
        result.strategies[1].db_capacity_qps = 800.0;
        let db = build_figure(Kind::DbLoad, &result);
        assert_eq!(db.panels[0].refs.len(), 2);
        assert_eq!(db.panels[0].refs[1].1, strategy_color(1));
        assert_eq!(
            db.legend
                .iter()
                .filter(|e| e.sample == Sample::Dashed)
                .count(),
            2
        );
        let shared = build_figure(Kind::DbLoad, &sample());
        assert_eq!(shared.panels[0].refs, vec![(1600.0, CAPACITY_COLOR)]);
    }

    #[test]
    fn pixel_paths_keep_spikes_and_split_sharp_turns() {
        let path = pixel_path([(0, 50), (0, 10), (0, 90), (0, 40), (1, 40), (1, 40)].into_iter());
        assert_eq!(path, vec![(0, 50), (0, 10), (0, 90), (0, 40), (1, 40)]);
        let spike = [(0, 100), (5, 0), (10, 100), (20, 100)];
        let pieces = split_sharp_turns(&spike);
        assert_eq!(pieces, vec![&spike[..2], &spike[1..]]);
        let gentle = [(0, 0), (10, 1), (20, 0)];
        assert_eq!(split_sharp_turns(&gentle).len(), 1);
    }

    #[test]
    fn error_messages_name_the_chart() {
        let err = ChartError::Draw {
            chart: "latency_p99",
            message: "boom".to_owned(),
        };
        assert_eq!(err.to_string(), "could not draw chart latency_p99: boom");
    }
}
