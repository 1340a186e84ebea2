//! The charts of a scenario over time: which kinds there are, and how each is built from the
//! strategies' per-bucket results (one line per strategy, or one panel per strategy).

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;

// Chart kinds and the backend-independent description of a figure

#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Latency,
    DbLoad,
    HitRatio,
    Errors,
    LatencyByStrategy,
    DbLoadByStrategy,
    OutdatedReads,
    OutdatedAge,
    OutdatedAgeByStrategy,
    Goodput,
    RetryAmplification,
    NodeLoad,
}

pub(super) const KINDS: [Kind; 12] = [
    Kind::Latency,
    Kind::DbLoad,
    Kind::HitRatio,
    Kind::Errors,
    Kind::LatencyByStrategy,
    Kind::DbLoadByStrategy,
    Kind::OutdatedReads,
    Kind::OutdatedAge,
    Kind::OutdatedAgeByStrategy,
    Kind::Goodput,
    Kind::RetryAmplification,
    Kind::NodeLoad,
];

impl Kind {
    pub(super) fn stem(self) -> &'static str {
        match self {
            Kind::Latency => "latency_p99",
            Kind::DbLoad => "db_load",
            Kind::HitRatio => "hit_ratio",
            Kind::Errors => "errors",
            Kind::LatencyByStrategy => "latency_p99_by_strategy",
            Kind::DbLoadByStrategy => "db_load_by_strategy",
            Kind::OutdatedReads => "outdated_reads",
            Kind::OutdatedAge => "outdated_age_p99",
            Kind::OutdatedAgeByStrategy => "outdated_age_p99_by_strategy",
            Kind::Goodput => "goodput",
            Kind::RetryAmplification => "retry_amplification",
            Kind::NodeLoad => "node_load",
        }
    }

    /// Whether the chart has one panel per strategy, left out beyond [`MAX_PANELS`].
    pub(super) fn is_small_multiples(self) -> bool {
        matches!(
            self,
            Kind::LatencyByStrategy
                | Kind::DbLoadByStrategy
                | Kind::OutdatedAgeByStrategy
                | Kind::Goodput
                | Kind::NodeLoad
        )
    }

    /// Whether the chart is about writes and freshness, drawn only when a strategy writes.
    pub(super) fn needs_writes(self) -> bool {
        matches!(
            self,
            Kind::OutdatedReads | Kind::OutdatedAge | Kind::OutdatedAgeByStrategy
        )
    }

    /// Whether the chart is about retries and dependency failures, drawn only when a strategy
    /// retried, shed, cancelled a query or met a database error.
    pub(super) fn needs_retries(self) -> bool {
        matches!(self, Kind::Goodput | Kind::RetryAmplification)
    }

    /// Whether the chart is about cache nodes, drawn only when a strategy's reads went through
    /// node faults (it has per-node rows).
    pub(super) fn needs_nodes(self) -> bool {
        matches!(self, Kind::NodeLoad)
    }
}

pub(super) fn build_figure(kind: Kind, result: &ScenarioResult) -> Figure {
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
        .map(|(i, s)| {
            let sample = if repeats_color(i) {
                Sample::Dashed
            } else {
                Sample::Line
            };
            LegendEntry::new(s.name.clone(), strategy_color(i), sample)
        })
        .collect();

    let time_figure = |size: (u32, u32), title: &str, panels: Vec<Panel>, legend| Figure {
        size,
        title: format!("{}: {title}", result.name),
        x: Axis::linear(0.0, x_max),
        x_desc: "time (s)",
        events: events.clone(),
        panels,
        legend,
        labels_above: false,
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
        Kind::OutdatedReads => {
            let (panel, legend) = outdated_reads_panel(result);
            time_figure(
                (1200, 700),
                "outdated reads (older version than the database's)",
                vec![panel],
                legend,
            )
        }
        Kind::OutdatedAge => {
            let (panel, legend) = outdated_age_panel(result);
            time_figure(
                (1200, 700),
                "p99 age of outdated reads (time since superseded)",
                vec![panel],
                legend,
            )
        }
        Kind::OutdatedAgeByStrategy => {
            let panels = outdated_age_by_strategy_panels(result);
            let size = labelled_small_multiples_size(panels.len());
            Figure {
                labels_above: true,
                ..time_figure(
                    size,
                    "p99 age of outdated reads by strategy",
                    panels,
                    Vec::new(),
                )
            }
        }
        Kind::Goodput => {
            let panels = goodput_panels(result);
            let size = labelled_small_multiples_size(panels.len());
            Figure {
                labels_above: true,
                ..time_figure(size, GOODPUT_TITLE, panels, goodput_legend())
            }
        }
        Kind::RetryAmplification => {
            let (panel, legend) = retry_amplification_panel(result);
            time_figure(
                (1200, 700),
                "retry amplification (attempts per request arrived)",
                vec![panel],
                legend,
            )
        }
        Kind::NodeLoad => {
            let (panels, legend) = node_load_panels(result);
            let size = labelled_small_multiples_size(panels.len());
            Figure {
                labels_above: true,
                ..time_figure(size, NODE_LOAD_TITLE, panels, legend)
            }
        }
    }
}

/// Height of one small-multiples panel, px.
pub(super) const SMALL_MULTIPLE_HEIGHT: u32 = 130;

/// A figure tall enough for `panels` small multiples under the title and event band.
pub(super) fn small_multiples_size(panels: usize) -> (u32, u32) {
    let panels = u32::try_from(panels.max(1)).unwrap_or(u32::MAX);
    let height = panels
        .saturating_mul(SMALL_MULTIPLE_HEIGHT)
        .saturating_add(190)
        .min(8000);
    (1200, height)
}

/// A figure tall enough for `panels` small multiples with their labels above the plots.
pub(super) fn labelled_small_multiples_size(panels: usize) -> (u32, u32) {
    let (w, h) = small_multiples_size(panels);
    let strips = u32::try_from(panels.max(1))
        .unwrap_or(u32::MAX)
        .saturating_mul(LABEL_STRIP as u32);
    (w, h.saturating_add(strips).min(8000))
}

/// Weight of the last of small multiples labelled above their plots: it also holds the time
/// axis, so it is as much taller as that, and every plot has the same height.
pub(super) fn last_labelled_panel_weight() -> f64 {
    1.0 + f64::from(X_LABEL_AREA) / f64::from(SMALL_MULTIPLE_HEIGHT as i32 + LABEL_STRIP)
}

/// Weight of panel `i` of small multiples labelled above their plots, `last` being the index
/// of the last (see [`last_labelled_panel_weight`]).
pub(super) fn labelled_panel_weight(i: usize, last: usize) -> f64 {
    if i == last {
        last_labelled_panel_weight()
    } else {
        1.0
    }
}

/// One panel per strategy, every panel on the same `y` axis, labelled with the strategy's
/// name and `summary` of its largest value.
pub(super) fn small_multiples(
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
        .map(|(i, (s, mut series))| {
            // One line a panel, named by its label: no need to dash a repeated colour.
            series.dashed = false;
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
pub(super) fn db_load_panels(
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
pub(super) fn x_extent(result: &ScenarioResult) -> f64 {
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

/// Whether strategy `index`'s colour repeats an earlier one's (the palette has eight): its line
/// and legend sample are dashed in overlaid charts.
pub(super) fn repeats_color(index: usize) -> bool {
    (index / PALETTE.len()) % 2 == 1
}

/// One series per strategy; `value` returns `None` for buckets to leave out (breaking the line).
pub(super) fn collect_series(
    result: &ScenarioResult,
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<Series> {
    result
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let points = s.result.buckets.iter().map(|b| (b.start_s, value(b)));
            let mut series = Series::line(strategy_color(i), line_segments(points));
            // Past eight strategies the colours repeat: the second round is dashed.
            series.dashed = repeats_color(i);
            series
        })
        .collect()
}

/// The segments of a line through `points` (time, value), each thinned: a point whose value is
/// `None` or not finite, or whose time is not a finite time from 0, breaks the line; values
/// below 0 are drawn at 0.
pub(super) fn line_segments(
    points: impl Iterator<Item = (f64, Option<f64>)>,
) -> Vec<Vec<(f64, f64)>> {
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (t, value) in points {
        match value {
            Some(v) if v.is_finite() && t.is_finite() && t >= 0.0 => {
                current.push((t, v.max(0.0)));
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
    segments.into_iter().map(thin).collect()
}

/// Most points drawn per line segment: far more than a chart has pixels across.
pub(super) const MAX_POINTS: usize = 4_000;

/// Thins a segment of more than [`MAX_POINTS`] points to the lowest and highest point of each
/// run of consecutive points (in time order), so a chart of a million buckets stays small and
/// fast to draw while every spike and dip stays visible.
pub(super) fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let run = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in points.chunks(run) {
        let by_value = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
        let low = chunk.iter().min_by(by_value).expect("chunks are not empty");
        let high = chunk.iter().max_by(by_value).expect("chunks are not empty");
        let (first, second) = if low.0 <= high.0 {
            (low, high)
        } else {
            (high, low)
        };
        out.push(*first);
        if second != first {
            out.push(*second);
        }
    }
    out
}

/// Every y value of `series`.
pub(super) fn values(series: &[Series]) -> impl Iterator<Item = f64> + '_ {
    series
        .iter()
        .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
}

pub(super) fn max_value(series: &[Series], extra: &[f64]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
        .chain(extra.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// Top of a y axis: 10% above the largest value, or 1 when everything is zero.
pub(super) fn padded_max(series: &[Series], extra: &[f64]) -> f64 {
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
