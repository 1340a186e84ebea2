//! The charts of a scenario over time: which kinds there are, and how each is built from the
//! strategies' per-bucket results (one line per strategy, or one panel per strategy).

use plotters::style::RGBColor;

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
    ErrorsByStrategy,
    OutdatedReads,
    OutdatedAge,
    OutdatedAgeByStrategy,
    LocalDiffers,
    Goodput,
    RetryAmplification,
    NodeLoad,
}

pub(super) const KINDS: [Kind; 14] = [
    Kind::Latency,
    Kind::DbLoad,
    Kind::HitRatio,
    Kind::Errors,
    Kind::LatencyByStrategy,
    Kind::DbLoadByStrategy,
    Kind::ErrorsByStrategy,
    Kind::OutdatedReads,
    Kind::OutdatedAge,
    Kind::OutdatedAgeByStrategy,
    Kind::LocalDiffers,
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
            Kind::ErrorsByStrategy => "errors_by_strategy",
            Kind::OutdatedReads => "outdated_reads",
            Kind::OutdatedAge => "outdated_age_p99",
            Kind::OutdatedAgeByStrategy => "outdated_age_p99_by_strategy",
            Kind::LocalDiffers => "local_differs",
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
                | Kind::ErrorsByStrategy
                | Kind::OutdatedAgeByStrategy
                | Kind::Goodput
                | Kind::NodeLoad
        )
    }

    /// Whether the chart is about failed requests by kind, drawn only when a request failed.
    pub(super) fn needs_errors(self) -> bool {
        matches!(self, Kind::ErrorsByStrategy)
    }

    /// Whether the chart is about writes and freshness, drawn only when a strategy writes.
    pub(super) fn needs_writes(self) -> bool {
        matches!(
            self,
            Kind::OutdatedReads | Kind::OutdatedAge | Kind::OutdatedAgeByStrategy
        )
    }

    /// Whether the chart is about local copies differing, drawn only when one did.
    pub(super) fn needs_local_differs(self) -> bool {
        matches!(self, Kind::LocalDiffers)
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

/// Size of an overlaid chart of one panel, px.
const OVERLAID_SIZE: (u32, u32) = (1200, 700);

/// Size of the database load chart, px.
const DB_LOAD_SIZE: (u32, u32) = (1200, 900);

/// The figure of chart `kind` drawn from `runs`: a plain run's values, or with replications
/// their means with bands (see [`super::runs`]).
pub(super) fn build_figure<'a>(kind: Kind, runs: impl Into<Runs<'a>>) -> Figure {
    let runs = runs.into();
    let result = &runs;
    let x_max = x_extent(runs);
    let events = chart_marks(result, x_max);
    let legend = strategy_legend(result);

    let time_figure = |size: (u32, u32), title: &str, panels: Vec<Panel>, legend| Figure {
        size,
        title: format!("{}: {title}", result.name),
        x: Axis::linear(0.0, x_max),
        x_desc: "time (s)",
        events: events.clone(),
        panels,
        legend,
    };
    // One panel of every strategy's lines, a line each.
    let overlaid = |title: &str, y_desc, y: Axis, series: Vec<Series>| {
        time_figure(
            OVERLAID_SIZE,
            title,
            vec![Panel::overlaid(y_desc, y, series)],
            legend.clone(),
        )
    };

    let mut figure = match kind {
        Kind::Latency => {
            // Log scale: buckets without a positive latency are gaps.
            let series = collect_series(result, latency_p99_ms);
            let y = log_axis_for(values(&series));
            let mut figure = overlaid(
                "p99 request latency",
                labels::column_label("p99_latency_ms"),
                y,
                series,
            );
            let y = figure.panels[0].y.clone();
            let (refs, legend) = timeout_refs(result, &y, std::mem::take(&mut figure.legend));
            figure.panels[0].refs = refs;
            figure.legend = legend;
            figure
        }
        Kind::HitRatio => {
            let series = collect_series(result, |b| {
                (b.cache_hits + b.cache_misses > 0).then(|| b.hit_ratio())
            });
            // A ratio never exceeds 1: keep the natural 0..1 scale, with headroom above 1 so
            // a line at 100% does not sit on the frame.
            let y_max = (max_value(&series, &[]) * 1.05).max(1.05);
            overlaid(
                "cache hit ratio",
                labels::column_label("hit_ratio"),
                Axis::linear(0.0, y_max),
                series,
            )
        }
        Kind::Errors => {
            let series = collect_series(result, errors_per_s);
            let y = Axis::linear(0.0, padded_max(&series, &[]));
            overlaid(
                "failed requests",
                labels::rate_label("errors_total"),
                y,
                series,
            )
        }
        Kind::DbLoad => {
            let keep = coloured(result);
            let (panels, legend) = db_load_panels(result, legend, &keep);
            let mut figure = time_figure(DB_LOAD_SIZE, "database load", panels, legend);
            grey_marks(&mut figure.events, result.strategies.len(), &keep);
            figure
        }
        Kind::LatencyByStrategy => {
            let series = collect_series(result, latency_p99_ms);
            let y = log_axis_for(values(&series));
            let mut panels = small_multiples(
                result,
                series,
                labels::column_label("p99_latency_ms"),
                y.clone(),
                |max| format!("max {} ms", format_quantity(max)),
            );
            let legend = panel_timeouts(result, &y, &mut panels);
            let size = small_multiples_size(panels.len());
            time_figure(size, "p99 request latency by strategy", panels, legend)
        }
        Kind::DbLoadByStrategy => {
            let (panels, legend) = db_load_by_strategy_panels(result);
            let size = small_multiples_size(panels.len());
            time_figure(size, "database load by strategy", panels, legend)
        }
        Kind::ErrorsByStrategy => {
            let (panels, legend) = errors_by_kind_panels(result);
            let size = small_multiples_size(panels.len());
            time_figure(size, ERRORS_BY_KIND_TITLE, panels, legend)
        }
        Kind::OutdatedReads => {
            let (panel, legend) = outdated_reads_panel(result);
            time_figure(
                OVERLAID_SIZE,
                "outdated reads (older version than the database's)",
                vec![panel],
                legend,
            )
        }
        Kind::OutdatedAge => {
            let (panel, legend) = outdated_age_panel(result);
            time_figure(
                OVERLAID_SIZE,
                "p99 age of outdated reads (time since superseded)",
                vec![panel],
                legend,
            )
        }
        Kind::OutdatedAgeByStrategy => {
            let panels = outdated_age_by_strategy_panels(result);
            let size = small_multiples_size(panels.len());
            time_figure(
                size,
                "p99 age of outdated reads by strategy",
                panels,
                Vec::new(),
            )
        }
        Kind::LocalDiffers => {
            let (panel, legend) = local_differs_panel(result);
            time_figure(OVERLAID_SIZE, LOCAL_DIFFERS_TITLE, vec![panel], legend)
        }
        Kind::Goodput => {
            let panels = goodput_panels(result);
            let size = small_multiples_size(panels.len());
            time_figure(size, GOODPUT_TITLE, panels, goodput_legend())
        }
        Kind::RetryAmplification => {
            let (panel, legend) = retry_amplification_panel(result);
            time_figure(
                OVERLAID_SIZE,
                "retry amplification (attempts per request arrived)",
                vec![panel],
                legend,
            )
        }
        Kind::NodeLoad => {
            let (panels, legend) = node_load_panels(result);
            let size = small_multiples_size(panels.len());
            time_figure(size, NODE_LOAD_TITLE, panels, legend)
        }
    };
    if kind.has_a_line_per_strategy() {
        // A line that hides another is dashed on top of it and named so in the legend.
        let plot_px = plot_height_px(figure.size.1, &figure.panels, 0);
        let panel = &mut figure.panels[0];
        let same = coinciding(&[(&panel.series, &panel.y, plot_px)]);
        show_coinciding(&mut panel.series, &same);
        figure.legend = note_coinciding(std::mem::take(&mut figure.legend), result, &same);
        // Past four strategies, only the baseline and the best keep their colours.
        let keep = coloured(result);
        grey_others(&mut panel.series, &mut figure.legend, &keep);
        grey_marks(&mut figure.events, result.strategies.len(), &keep);
    }
    let every_strategy_on_each_panel = figure.panels.iter().all(|p| p.strategy.is_none());
    if every_strategy_on_each_panel {
        if figure.events.iter().any(|m| !m.owners.is_empty()) {
            figure.legend.push(LegendEntry::note(OWN_EVENTS_NOTE));
        }
    } else {
        // Small multiples of some strategies only (node_load): a mark of none of them is not
        // drawn.
        let panels = &figure.panels;
        figure
            .events
            .retain(|m| panels.iter().any(|p| m.on_panel(p.strategy)));
    }
    let banded = figure
        .panels
        .iter()
        .flat_map(|p| &p.series)
        .any(|s| !s.band.is_empty());
    if let Some(note) = replications_note(result, banded) {
        figure.legend.push(LegendEntry::note(&note));
    }
    figure
}

impl Kind {
    /// Whether the chart is one panel with a line per strategy, in the order of the strategies.
    fn has_a_line_per_strategy(self) -> bool {
        matches!(
            self,
            Kind::Latency
                | Kind::HitRatio
                | Kind::Errors
                | Kind::OutdatedReads
                | Kind::OutdatedAge
                | Kind::LocalDiffers
                | Kind::RetryAmplification
        )
    }
}

/// The legend of a chart with one line per strategy: each strategy's name in its colour (a
/// dashed sample for the second round of colours).
pub(super) fn strategy_legend(result: &ScenarioResult) -> Vec<LegendEntry> {
    result
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| LegendEntry {
            strategy: Some(i),
            ..LegendEntry::new(s.name.clone(), strategy_color(i), line_sample(i))
        })
        .collect()
}

/// A bucket's p99 latency, ms; `None` (a gap on the log axis) when nothing completed or the
/// p99 is not positive.
pub(super) fn latency_p99_ms(b: &BucketRow) -> Option<f64> {
    (b.latency.count > 0 && b.latency.p99_ms > 0.0).then_some(b.latency.p99_ms)
}

/// A bucket's failed requests per second; `None` for a bucket of no width.
pub(super) fn errors_per_s(b: &BucketRow) -> Option<f64> {
    (b.width_s > 0.0).then(|| b.errors() as f64 / b.width_s)
}

/// A bucket's database queries completed per second (throughput).
pub(super) fn db_completed_per_s(b: &BucketRow) -> Option<f64> {
    Some(b.db_qps())
}

/// A bucket's database queries submitted per second, for every cause, whether the database
/// then served, queued, rejected or timed them out (demand); `None` for a bucket of no width.
pub(super) fn db_submitted_per_s(b: &BucketRow) -> Option<f64> {
    (b.width_s > 0.0).then(|| b.db_submitted() as f64 / b.width_s)
}

/// How a strategy's lines coincide with an earlier strategy's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coincide {
    /// Every point the same (to within rounding): the earlier strategy.
    Same(usize),
    /// Every point within [`HIDING_PX`] of the earlier strategy's, so that its line hides the
    /// earlier one although the values differ.
    Near(usize),
    /// Every point 0, as every point of the earlier strategy: the legend says so of both
    /// rather than `same as`, which would read as if they had shared a non-zero figure.
    Zero(usize),
}

/// Lines whose points all lie this close, px, hide each other (a line is [`LINE_WIDTH`] wide).
pub(super) const HIDING_PX: f64 = 2.0;

/// For each strategy, the first earlier strategy whose lines are the same, in each of `sets`
/// (one series per strategy, the axis it is drawn on and the height of that plot in pixels),
/// or failing that the first whose lines would be hidden by its; `None` when neither. A
/// strategy that draws nothing coincides with none.
pub(super) fn coinciding(sets: &[(&[Series], &Axis, f64)]) -> Vec<Option<Coincide>> {
    let n = sets.iter().map(|set| set.0.len()).min().unwrap_or(0);
    let draws = |i: usize| sets.iter().any(|set| !set.0[i].segments.is_empty());
    let all = |i: usize, j: usize, tolerance: &dyn Fn(&Axis, f64) -> f64| {
        sets.iter().all(|(series, axis, px)| {
            same_points(&series[i], &series[j], axis, tolerance(axis, *px))
        })
    };
    (0..n)
        .map(|i| {
            if !draws(i) {
                return None;
            }
            let same = (0..i).find(|&j| all(i, j, &|_, _| 0.0));
            let near = || (0..i).find(|&j| all(i, j, &|_, px| HIDING_PX / px.max(1.0)));
            let zero = || {
                sets.iter().all(|set| {
                    let mut points = set.0[i].segments.iter().flatten();
                    points.all(|p| p.1 == 0.0)
                })
            };
            same.map(|j| {
                if zero() {
                    Coincide::Zero(j)
                } else {
                    Coincide::Same(j)
                }
            })
            .or_else(|| near().map(Coincide::Near))
        })
        .collect()
}

/// Whether two lines have the same points, their values within `tolerance` of the axis's span
/// apart (in the axis's coordinates: decades on a log axis), or equal to within rounding when
/// `tolerance` is 0.
pub(super) fn same_points(a: &Series, b: &Series, axis: &Axis, tolerance: f64) -> bool {
    let close = |x: f64, y: f64| x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
    let coord = |v: f64| match axis.scale {
        Scale::Log => v.clamp(axis.lo, axis.hi).log10(),
        Scale::Linear | Scale::Integer => v,
    };
    let span = coord(axis.hi) - coord(axis.lo);
    let near = |x: f64, y: f64| close(x, y) || (coord(x) - coord(y)).abs() <= tolerance * span;
    a.segments.len() == b.segments.len()
        && a.segments.iter().zip(&b.segments).all(|(sa, sb)| {
            sa.len() == sb.len()
                && sa
                    .iter()
                    .zip(sb)
                    .all(|(p, q)| close(p.0, q.0) && near(p.1, q.1))
        })
}

/// The height of panel `index`'s plot, px, at most: as `draw_figure` lays out `panels` in a
/// figure `figure_h` px tall when no event label takes room above them.
pub(super) fn plot_height_px(figure_h: u32, panels: &[Panel], index: usize) -> f64 {
    let available = f64::from(figure_h) - f64::from(TITLE_HEIGHT + MARGIN);
    let total: f64 = panels.iter().map(|p| p.weight).sum();
    let Some(panel) = panels.get(index) else {
        return available;
    };
    let share = if total > 0.0 {
        panel.weight / total
    } else {
        1.0
    };
    let top = if index == 0 { 12 } else { PANEL_GAP / 2 };
    let bottom = if index + 1 == panels.len() {
        MARGIN + X_LABEL_AREA
    } else {
        PANEL_GAP / 2 + 8
    };
    (available * share - f64::from(top + bottom)).max(1.0)
}

/// Dashes a line that coincides with an earlier one (dots it when it is dashed already), so
/// the earlier line, drawn first, shows between its dashes.
pub(super) fn show_coinciding(series: &mut [Series], same: &[Option<Coincide>]) {
    for (s, same) in series.iter_mut().zip(same) {
        if same.is_some() {
            if s.dashed {
                s.dotted = true;
            } else {
                s.dashed = true;
            }
        }
    }
}

/// Names, in the legend, the strategy each coinciding line hides, e.g. `jitter-10 (same as
/// fixed-ttl)` or `both (≈ bloom-filter)`, with the sample its line is drawn with; lines that
/// are 0 throughout are called so (`delete (0 throughout)`), the first of them too, whose
/// sample is left as it is drawn.
pub(super) fn note_coinciding(
    mut legend: Vec<LegendEntry>,
    result: &ScenarioResult,
    same: &[Option<Coincide>],
) -> Vec<LegendEntry> {
    let first_zero = |i: usize| {
        same.iter()
            .any(|c| matches!(c, Some(Coincide::Zero(j)) if *j == i))
    };
    for entry in &mut legend {
        let Some(i) = entry.strategy else { continue };
        let Some(Some(coincide)) = same.get(i) else {
            if first_zero(i) {
                entry.text = format!("{} ({ZERO_THROUGHOUT})", entry.text);
            }
            continue;
        };
        entry.text = match *coincide {
            Coincide::Same(j) => format!("{} (same as {})", entry.text, result.strategies[j].name),
            Coincide::Near(j) => format!("{} (≈ {})", entry.text, result.strategies[j].name),
            Coincide::Zero(_) => format!("{} ({ZERO_THROUGHOUT})", entry.text),
        };
        entry.sample = if entry.sample == Sample::Dashed {
            Sample::Dotted
        } else {
            Sample::Dashed
        };
    }
    legend
}

/// What the legend says of a line that is 0 in every bucket, like another's.
pub(super) const ZERO_THROUGHOUT: &str = "0 throughout";

/// Height of one small-multiples panel's plot and axis, px.
pub(super) const SMALL_MULTIPLE_HEIGHT: u32 = 130;

/// A figure tall enough for `panels` small multiples, each with its label in a strip above its
/// plot, under the title and event band.
pub(super) fn small_multiples_size(panels: usize) -> (u32, u32) {
    let panels = u32::try_from(panels.max(1)).unwrap_or(u32::MAX);
    let height = panels
        .saturating_mul(SMALL_MULTIPLE_HEIGHT + LABEL_STRIP as u32)
        .saturating_add(190)
        .min(8000);
    (1200, height)
}

/// Weight of the last of small multiples: it also holds the time axis, so it is as much taller
/// as that, and every plot has the same height.
pub(super) fn last_labelled_panel_weight() -> f64 {
    1.0 + f64::from(X_LABEL_AREA) / f64::from(SMALL_MULTIPLE_HEIGHT as i32 + LABEL_STRIP)
}

/// Weight of panel `i` of small multiples, `last` being the index of the last (see
/// [`last_labelled_panel_weight`]).
pub(super) fn labelled_panel_weight(i: usize, last: usize) -> f64 {
    if i == last {
        last_labelled_panel_weight()
    } else {
        1.0
    }
}

/// One panel per strategy, every panel on the same `y` axis, labelled with the strategy's
/// name and `summary` of its largest value (with replications, of its mean line: the label says
/// so).
pub(super) fn small_multiples(
    result: &Runs,
    series: Vec<Series>,
    y_desc: &'static str,
    y: Axis,
    summary: impl Fn(f64) -> String,
) -> Vec<Panel> {
    // One line a panel, named by its label: no need to dash a repeated colour.
    let lines = series
        .into_iter()
        .map(|mut s| {
            s.dashed = false;
            vec![s]
        })
        .collect();
    small_multiples_of(result, lines, y_desc, y, |i, lines| {
        let max = line_max(lines);
        let color = lines.first().map_or(TEXT_COLOR, |s| s.color);
        (
            format!(
                "{}: {}{}",
                result.strategies[i].name,
                summary(max),
                result.of_the_mean()
            ),
            color,
        )
    })
}

/// One panel per strategy with its `lines`, every panel on the same `y` axis, labelled by
/// `label` (given the strategy's index and lines: the text and its colour).
pub(super) fn small_multiples_of(
    result: &ScenarioResult,
    lines: Vec<Vec<Series>>,
    y_desc: &'static str,
    y: Axis,
    label: impl Fn(usize, &[Series]) -> (String, RGBColor),
) -> Vec<Panel> {
    let last = result.strategies.len().saturating_sub(1);
    lines
        .into_iter()
        .take(result.strategies.len())
        .enumerate()
        .map(|(i, series)| Panel {
            y_desc,
            label: Some(label(i, &series)),
            strategy: Some(i),
            y: y.clone(),
            weight: labelled_panel_weight(i, last),
            integer: false,
            refs: Vec::new(),
            series,
            empty_text: NO_DATA,
        })
        .collect()
}

/// Reference lines of a value each strategy has (a database capacity, a client timeout),
/// `None` or not finite and positive where it has none: when every strategy has the same, one
/// grey line named by `shared` at the end of the legend; otherwise one line per strategy in its
/// colour, named by `own` in a minor entry under the strategy's.
pub(super) fn per_strategy_refs(
    values: &[Option<f64>],
    legend: Vec<LegendEntry>,
    shared: impl Fn(f64) -> String,
    own: impl Fn(f64) -> String,
) -> (Vec<(f64, RGBColor)>, Vec<LegendEntry>) {
    let valid = |v: &Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
    let mut refs = Vec::new();
    let first = values.first().copied().flatten();
    if values.iter().all(|&v| v == first) {
        let mut legend = legend;
        if let Some(v) = valid(&first) {
            refs.push((v, CAPACITY_COLOR));
            legend.push(LegendEntry::new(shared(v), CAPACITY_COLOR, Sample::Dashed));
        }
        return (refs, legend);
    }
    let mut with_refs = Vec::with_capacity(legend.len() * 2);
    for entry in legend {
        let (strategy, color) = (entry.strategy, entry.color);
        with_refs.push(entry);
        if let Some(v) = strategy.and_then(|i| values.get(i)).and_then(valid) {
            refs.push((v, color));
            with_refs.push(LegendEntry {
                minor: true,
                ..LegendEntry::new(own(v), color, Sample::Dashed)
            });
        }
    }
    (refs, with_refs)
}

/// Each strategy's database capacity, queries per second.
fn capacities(result: &ScenarioResult) -> Vec<Option<f64>> {
    result
        .strategies
        .iter()
        .map(|s| Some(s.db_capacity_qps))
        .collect()
}

/// Each strategy's client timeout, ms, where it lies on the latency axis `y` (where it does
/// not, no p99 comes near it).
fn timeouts_ms(result: &ScenarioResult, y: &Axis) -> Vec<Option<f64>> {
    result
        .strategies
        .iter()
        .map(|s| {
            s.client_timeout_s
                .map(|t| t * 1000.0)
                .filter(|&ms| ms.is_finite() && ms > 0.0 && y.contains(ms))
        })
        .collect()
}

/// What a p99 at the client timeout means: no request is answered later than the timeout
/// (its client has gone and it counts as failed), so a plateau there is requests timing out.
pub(super) const TIMEOUT_NOTE: &str = "A p99 at the timeout: requests are timing out";

/// The client timeouts of the latency chart as reference lines, with their legend entries
/// added to `legend` and what a p99 there means.
fn timeout_refs(
    result: &ScenarioResult,
    y: &Axis,
    legend: Vec<LegendEntry>,
) -> (Vec<(f64, RGBColor)>, Vec<LegendEntry>) {
    let (refs, mut legend) = per_strategy_refs(
        &timeouts_ms(result, y),
        legend,
        |ms| format!("client timeout {}", format_age_ms(ms)),
        |ms| format!("timeout {}", format_age_ms(ms)),
    );
    if !refs.is_empty() {
        legend.push(LegendEntry::note(TIMEOUT_NOTE));
    }
    (refs, legend)
}

/// Each panel of the latency small multiples gets its strategy's client timeout as a grey
/// reference line; returns the legend naming it (empty without any).
fn panel_timeouts(result: &ScenarioResult, y: &Axis, panels: &mut [Panel]) -> Vec<LegendEntry> {
    let timeouts = timeouts_ms(result, y);
    let mut shown = Vec::new();
    for (panel, t) in panels.iter_mut().zip(&timeouts) {
        if let Some(t) = *t {
            panel.refs.push((t, CAPACITY_COLOR));
            shown.push(t);
        }
    }
    let Some(&first) = shown.first() else {
        return Vec::new();
    };
    let text = if shown.iter().all(|&t| t == first) {
        format!("client timeout {}", format_age_ms(first))
    } else {
        "client timeout (the strategy's)".to_owned()
    };
    vec![
        LegendEntry::new(text, CAPACITY_COLOR, Sample::Dashed),
        LegendEntry::note(TIMEOUT_NOTE),
    ]
}

/// Makes `series` the paler dashed lines of demand beside the solid lines of throughput (dotted
/// for the second round of colours, whose throughput is dashed).
fn as_demand(series: &mut [Series]) {
    for s in series {
        s.color = paler(s.color);
        s.dotted = s.dashed;
        s.dashed = true;
    }
}

/// The legend entries saying which line is which in the database load charts.
fn db_line_kinds() -> [LegendEntry; 2] {
    [
        LegendEntry::new(
            "completed/s (throughput)".to_owned(),
            NEUTRAL_COLOR,
            Sample::Line,
        ),
        LegendEntry::new(
            "submitted/s (demand)".to_owned(),
            paler(NEUTRAL_COLOR),
            Sample::Dashed,
        ),
    ]
}

/// The two panels of the database load chart (queries/s above queue length), and the legend.
/// The top panel has every strategy's demand (queries submitted per second, paler and dashed,
/// drawn first) and throughput (queries completed per second, solid, on top) with the
/// database capacity: throughput can never rise far above capacity, demand can, and the gap
/// between the two is the work the database was asked for and did not do then.
///
/// Only the strategies in `keep` are drawn in their colours; past four strategies the others
/// are grey ([`grey`]), drawn beneath, with their own capacity lines.
pub(super) fn db_load_panels(
    result: &Runs,
    legend: Vec<LegendEntry>,
    keep: &[usize],
) -> (Vec<Panel>, Vec<LegendEntry>) {
    let mut completed = collect_series(result, db_completed_per_s);
    let mut submitted = collect_series(result, db_submitted_per_s);
    // Two bands a strategy would bury the lines: throughput's is enough here (the small
    // multiples have both).
    submitted.iter_mut().for_each(|s| s.band.clear());
    let mut queue = collect_series(result, |b| Some(b.db_queue_max as f64));

    let (refs, legend) = per_strategy_refs(
        &capacities(result),
        legend,
        |c| format!("DB capacity {} q/s", format_quantity(c)),
        |c| format!("capacity {} q/s", format_quantity(c)),
    );
    // What the two kinds of line are, after the strategies: cut first when the legend is long.
    let mut with_kinds = legend;
    with_kinds.extend(db_line_kinds());
    let ref_values: Vec<f64> = refs.iter().map(|r| r.0).collect();
    let top = padded_max(
        &completed,
        &[max_value(&submitted, &[])]
            .into_iter()
            .chain(ref_values)
            .collect::<Vec<_>>(),
    );

    let (qps_axis, queue_axis) = (
        Axis::linear(0.0, top),
        Axis::linear(0.0, padded_max(&queue, &[])),
    );
    let mut panels = vec![
        Panel {
            weight: 0.58,
            refs,
            ..Panel::overlaid(
                labels::column_label("db_queries_per_s"),
                qps_axis.clone(),
                Vec::new(),
            )
        },
        Panel {
            weight: 0.42,
            integer: true,
            ..Panel::overlaid(
                labels::column_label("db_queue_max"),
                queue_axis.clone(),
                Vec::new(),
            )
        },
    ];

    // A strategy whose three lines hide another's: dashed on top, named in the legend.
    let (qps_px, queue_px) = (
        plot_height_px(DB_LOAD_SIZE.1, &panels, 0),
        plot_height_px(DB_LOAD_SIZE.1, &panels, 1),
    );
    let same = coinciding(&[
        (&completed, &qps_axis, qps_px),
        (&submitted, &qps_axis, qps_px),
        (&queue, &queue_axis, queue_px),
    ]);
    show_coinciding(&mut completed, &same);
    show_coinciding(&mut queue, &same);
    as_demand(&mut submitted);
    let mut with_kinds = note_coinciding(with_kinds, result, &same);

    // The others' three lines and their own capacity lines are grey, and drawn beneath.
    if keep.len() < completed.len() {
        let kept_colors: Vec<RGBColor> = keep.iter().map(|&i| completed[i].color).collect();
        for (i, ((c, s), q)) in completed
            .iter_mut()
            .zip(&mut submitted)
            .zip(&mut queue)
            .enumerate()
        {
            if !keep.contains(&i) {
                for line in [c, s, q] {
                    grey(line, i);
                }
            }
        }
        // A greyed strategy's own capacity line: in the grey of the first greyed strategy of
        // its colour.
        for r in &mut panels[0].refs {
            if r.1 != CAPACITY_COLOR && !kept_colors.contains(&r.1) {
                if let Some(i) =
                    (0..completed.len()).find(|&i| !keep.contains(&i) && strategy_color(i) == r.1)
                {
                    r.1 = greyed_color(i);
                }
            }
        }
        grey_legend(&mut with_kinds, keep);
    }
    panels[0].series = submitted.into_iter().chain(completed).collect();
    grey_first(&mut panels[0].series);
    grey_first(&mut queue);
    panels[1].series = queue;
    (panels, with_kinds)
}

/// The panels of `db_load_by_strategy`: one per strategy on one scale, each with its demand
/// (paler, dashed), its throughput (solid) and its capacity, labelled with the peaks of both;
/// and the legend of those kinds of line.
fn db_load_by_strategy_panels(result: &Runs) -> (Vec<Panel>, Vec<LegendEntry>) {
    // A strategy a panel, named by its label: no need to dash a repeated colour.
    let undashed = |mut series: Vec<Series>| {
        series.iter_mut().for_each(|s| s.dashed = false);
        series
    };
    let completed = undashed(collect_series(result, db_completed_per_s));
    let mut submitted = undashed(collect_series(result, db_submitted_per_s));
    as_demand(&mut submitted);
    let caps: Vec<f64> = capacities(result)
        .into_iter()
        .flatten()
        .filter(|c| c.is_finite() && *c > 0.0)
        .collect();
    let extra: Vec<f64> = caps
        .iter()
        .copied()
        .chain([max_value(&submitted, &[])])
        .collect();
    let y = Axis::linear(0.0, padded_max(&completed, &extra));
    let lines: Vec<Vec<Series>> = submitted
        .into_iter()
        .zip(completed)
        .map(|(s, c)| vec![s, c])
        .collect();
    let mut panels = small_multiples_of(
        result,
        lines,
        labels::column_label("db_queries_per_s"),
        y,
        |i, lines| {
            let peak = |s: &Series| line_max(std::slice::from_ref(s));
            let (submitted, completed) = (peak(&lines[0]), peak(&lines[1]));
            let name = &result.strategies[i].name;
            let text = if submitted > 0.0 || completed > 0.0 {
                format!(
                    "{name}: peak {} q/s submitted, {} completed{}",
                    format_quantity(submitted),
                    format_quantity(completed),
                    result.of_the_mean()
                )
            } else {
                format!("{name}: no query")
            };
            (text, lines[1].color)
        },
    );
    for (panel, s) in panels.iter_mut().zip(&result.strategies) {
        let c = s.db_capacity_qps;
        if c.is_finite() && c > 0.0 {
            panel.refs.push((c, CAPACITY_COLOR));
        }
    }
    let mut legend = db_line_kinds().to_vec();
    if !caps.is_empty() {
        legend.push(LegendEntry::new(
            "DB capacity".to_owned(),
            CAPACITY_COLOR,
            Sample::Dashed,
        ));
    }
    (panels, legend)
}

/// End of the time axis: the run's duration, stretched to cover every bucket of every run.
pub(super) fn x_extent<'a>(runs: impl Into<Runs<'a>>) -> f64 {
    let runs = runs.into();
    let mut end = if runs.duration_s.is_finite() {
        runs.duration_s.max(0.0)
    } else {
        0.0
    };
    for s in runs.all().iter().flat_map(|run| &run.strategies) {
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

/// The legend sample of line `index`: dashed for the second round of colours, as the line.
pub(super) fn line_sample(index: usize) -> Sample {
    if repeats_color(index) {
        Sample::Dashed
    } else {
        Sample::Line
    }
}

/// One series per strategy; `value` returns `None` for buckets to leave out (breaking the line).
/// With replications, each strategy's line is the mean of `value` over them, with its band.
pub(super) fn collect_series(
    result: &Runs,
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<Series> {
    if result.is_replicated() {
        return collect_mean_series(result, value, |_| {});
    }
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

/// One series per strategy: the mean of `value` over the replications, with its band, each
/// point first passed to `adjust` (which may leave out a mean or band a log axis cannot show).
pub(super) fn collect_mean_series(
    result: &Runs,
    value: impl Fn(&BucketRow) -> Option<f64>,
    adjust: impl Fn(&mut MeanPoint),
) -> Vec<Series> {
    (0..result.strategies.len())
        .map(|i| {
            let mut points = mean_of_buckets(&result.strategy(i), &value);
            points.iter_mut().for_each(&adjust);
            let mut series = mean_series(strategy_color(i), &points);
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

/// Every y value of `series` an axis must show: each point, and the top of each band (a band's
/// bottom below the axis is drawn at its edge).
pub(super) fn values(series: &[Series]) -> impl Iterator<Item = f64> + '_ {
    series.iter().flat_map(|s| {
        let points = s.segments.iter().flatten().map(|p| p.1);
        points.chain(s.band.iter().flatten().map(|b| b.2))
    })
}

/// The largest of `values(series)` and `extra`, at least 0.
pub(super) fn max_value(series: &[Series], extra: &[f64]) -> f64 {
    values(series)
        .chain(extra.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// The largest point of the lines of `series`, bands left out, at least 0: the peak a label
/// names.
pub(super) fn line_max(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
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

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

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
            [
                "fixed-ttl: peak 5000 q/s submitted, 5000 completed",
                "jittered-10: peak 300 q/s submitted, 300 completed"
            ]
        );
        // One shared y axis reaching past the largest value of any strategy, so the flat
        // strategy looks flat next to the spiky one; each panel shows its own capacity.
        assert!(db.panels.iter().all(|p| p.y == db.panels[0].y));
        assert!(db.panels[0].y.hi > 5000.0);
        // Demand (paler, dashed, under) and throughput (solid, on top) in the strategy's colour.
        let lines = &db.panels[1].series;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].color, paler(strategy_color(1)));
        assert!(lines[0].dashed && !lines[1].dashed);
        assert_eq!(lines[1].color, strategy_color(1));
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
                .filter(|e| e.sample == Sample::Dashed && e.text.starts_with("capacity"))
                .count(),
            2
        );
        let shared = build_figure(Kind::DbLoad, &sample());
        assert_eq!(shared.panels[0].refs, vec![(1600.0, CAPACITY_COLOR)]);
    }

    #[test]
    fn a_million_points_are_thinned_keeping_every_spike_and_dip() {
        let mut points: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, 1.0)).collect();
        points[123_456].1 = 50.0;
        points[777_777].1 = -3.0;
        let thin = super::thin(points);
        assert!(thin.len() <= super::MAX_POINTS + 2, "{}", thin.len());
        assert!(thin.contains(&(123_456.0, 50.0)) && thin.contains(&(777_777.0, -3.0)));
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
        let few: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(super::thin(few.clone()), few);
    }

    #[test]
    fn overlaid_charts_dash_repeated_colours_and_small_multiples_do_not() {
        let strategies = (0..10u32)
            .map(|i| {
                let buckets = (0..5)
                    .map(|j| BucketRow {
                        start_s: f64::from(j),
                        width_s: 1.0,
                        arrived: 10,
                        completed: 10,
                        cache_hits: u64::from(i),
                        cache_misses: 1,
                        latency: LatencyStats {
                            count: 10,
                            p99_ms: f64::from(i + 1),
                            ..LatencyStats::default()
                        },
                        ..BucketRow::default()
                    })
                    .collect();
                strategy(&format!("s{i}"), 1000.0, buckets)
            })
            .collect();
        let result = scenario(strategies);
        let expected = [[false; 8].as_slice(), &[true; 2]].concat();
        // Past four strategies the greyed lines are drawn first: s1 to s9 (s8 and s9 dashed),
        // then s0, the baseline (and the best: the summaries tie, so the first).
        let drawn = [[false; 7].as_slice(), &[true, true, false]].concat();
        for kind in [Kind::Latency, Kind::HitRatio] {
            let figure = build_figure(kind, &result);
            let dashed: Vec<bool> = figure.panels[0].series.iter().map(|s| s.dashed).collect();
            assert_eq!(dashed, drawn, "{}", kind.stem());
            let samples: Vec<bool> = figure
                .legend
                .iter()
                .filter(|e| e.strategy.is_some())
                .map(|e| e.sample == Sample::Dashed)
                .collect();
            assert_eq!(samples, expected, "{} legend", kind.stem());
            // Ten strategies: the last entry notes the greyed lines.
            assert_eq!(figure.legend.last().unwrap().text, GREYED_NOTE);
        }
        let multiples = build_figure(Kind::LatencyByStrategy, &result);
        assert!(multiples
            .panels
            .iter()
            .all(|p| p.series.iter().all(|s| !s.dashed)));
    }

    #[test]
    fn lines_that_are_zero_throughout_are_called_so_not_same_as() {
        let mut result = sample();
        result.strategies[1].result = result.strategies[0].result.clone();
        for s in &mut result.strategies {
            s.result.buckets.iter_mut().for_each(|b| b.cache_hits = 0);
        }
        let mut third = result.strategies[0].clone();
        third.name = "third".to_owned();
        result.strategies.push(third);
        let figure = build_figure(Kind::HitRatio, &result);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "fixed-ttl (0 throughout)",
                "jittered-10 (0 throughout)",
                "third (0 throughout)"
            ]
        );
        // The first is drawn solid, as before; the others dashed on top of it.
        let series = &figure.panels[0].series;
        assert!(!series[0].dashed && series[1].dashed && series[2].dashed);
        assert_eq!(figure.legend[0].sample, Sample::Line);
        assert_eq!(figure.legend[1].sample, Sample::Dashed);

        // One bucket off zero: the copies are `same as` again, the first named plainly.
        result.strategies[0].result.buckets[3].cache_hits = 5;
        result.strategies[2].result.buckets[3].cache_hits = 5;
        let figure = build_figure(Kind::HitRatio, &result);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            ["fixed-ttl", "jittered-10", "third (same as fixed-ttl)"]
        );
    }

    #[test]
    fn identical_lines_are_noticed_in_the_legend_and_dashed_on_top() {
        let mut result = sample();
        let copy = StrategyResult {
            name: "copy".to_owned(),
            ..result.strategies[0].clone()
        };
        let mut close = result.strategies[1].clone();
        close.name = "close".to_owned();
        for b in &mut close.result.buckets {
            b.latency.p99_ms *= 1.0001;
        }
        result.strategies.push(copy);
        result.strategies.push(close);

        let latency = build_figure(Kind::Latency, &result);
        let legend: Vec<&str> = latency.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "fixed-ttl",
                "jittered-10",
                "copy (same as fixed-ttl)",
                "close (≈ jittered-10)"
            ]
        );
        let series = &latency.panels[0].series;
        assert!(!series[0].dashed && !series[1].dashed);
        assert!(series[2].dashed && series[3].dashed);
        assert_eq!(latency.legend[2].sample, Sample::Dashed);

        // The database load compares demand, throughput and queue together: `close` has the same
        // database lines as `jittered-10`, `copy` as `fixed-ttl`.
        let db = build_figure(Kind::DbLoad, &result);
        assert!(db
            .legend
            .iter()
            .any(|e| e.text == "copy (same as fixed-ttl)"));
        assert!(db
            .legend
            .iter()
            .any(|e| e.text == "close (same as jittered-10)"));

        // A line far from every other is left alone, and so is a strategy that draws nothing.
        let mut apart = sample();
        apart.strategies[1].result.buckets[7].latency.p99_ms = 500.0;
        let figure = build_figure(Kind::Latency, &apart);
        assert!(figure.legend.iter().all(|e| !e.text.contains('(')));
        assert!(figure.panels[0].series.iter().all(|s| !s.dashed));
        let empty = scenario(vec![
            strategy("a", 1.0, Vec::new()),
            strategy("b", 1.0, Vec::new()),
        ]);
        let figure = build_figure(Kind::Latency, &empty);
        assert!(figure.legend.iter().all(|e| !e.text.contains('(')));

        // A dashed line (second round of colours) that coincides is dotted.
        let mut lines: Vec<Series> = (0..2)
            .map(|_| Series::line(PALETTE[0], vec![vec![(0.0, 1.0)]]))
            .collect();
        lines[1].dashed = true;
        show_coinciding(&mut lines, &[None, Some(Coincide::Same(0))]);
        assert!(lines[1].dotted);
    }

    #[test]
    fn demand_is_drawn_above_capacity_when_the_database_is_asked_for_more() {
        let mut result = sample();
        for b in &mut result.strategies[0].result.buckets {
            if b.db_completed == 5000 {
                // Asked for 9,000 a second, served at its capacity.
                b.db_by_cause.miss = 9000;
                b.db_completed = 1600;
            }
        }
        let db = build_figure(Kind::DbLoad, &result);
        let top = &db.panels[0];
        assert_eq!(top.refs, [(1600.0, CAPACITY_COLOR)]);
        // Demand first (under), paler and dashed, then throughput on top.
        assert_eq!(top.series.len(), 4);
        let demand = &top.series[0];
        assert_eq!(demand.color, paler(strategy_color(0)));
        assert!(demand.dashed);
        let throughput = &top.series[2];
        assert_eq!(throughput.color, strategy_color(0));
        assert!(!throughput.dashed);
        let peak = |s: &Series| max_value(std::slice::from_ref(s), &[]);
        assert_eq!(peak(demand), 9000.0);
        assert_eq!(peak(throughput), 1600.0);
        assert!(top.y.hi > 9000.0, "the axis shows the whole demand");
        let texts: Vec<&str> = db.legend.iter().map(|e| e.text.as_str()).collect();
        assert!(
            texts.contains(&"submitted/s (demand)") && texts.contains(&"completed/s (throughput)")
        );

        let panels = build_figure(Kind::DbLoadByStrategy, &result);
        assert_eq!(
            panels.panels[0].label.as_ref().unwrap().0,
            "fixed-ttl: peak 9000 q/s submitted, 1600 completed"
        );
        assert!(panels.panels[0].y.hi > 9000.0);
        assert_eq!(peak(&panels.panels[0].series[0]), 9000.0);
    }

    #[test]
    fn the_latency_chart_marks_the_client_timeout_a_plateau_sits_at() {
        let mut result = sample();
        for s in &mut result.strategies {
            s.client_timeout_s = Some(1.0);
        }
        let figure = build_figure(Kind::Latency, &result);
        assert_eq!(figure.panels[0].refs, [(1000.0, CAPACITY_COLOR)]);
        let texts: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert!(texts.contains(&"client timeout 1 s") && texts.contains(&TIMEOUT_NOTE));
        let panels = build_figure(Kind::LatencyByStrategy, &result);
        assert!(panels
            .panels
            .iter()
            .all(|p| p.refs == [(1000.0, CAPACITY_COLOR)]));
        assert_eq!(panels.legend[0].text, "client timeout 1 s");

        // Timeouts that differ: each strategy's in its colour, named under it.
        result.strategies[1].client_timeout_s = Some(0.5);
        let figure = build_figure(Kind::Latency, &result);
        assert_eq!(
            figure.panels[0].refs,
            [(1000.0, strategy_color(0)), (500.0, strategy_color(1))]
        );
        assert!(figure
            .legend
            .iter()
            .any(|e| e.minor && e.text == "timeout 500 ms"));

        // A timeout far above every p99 is not drawn (no plateau can be it), nor is none.
        let mut far = sample();
        far.strategies[1].client_timeout_s = Some(60.0);
        for b in &mut far.strategies[0].result.buckets {
            b.latency.p99_ms = b.latency.p99_ms.min(20.0);
        }
        let figure = build_figure(Kind::Latency, &far);
        assert!(figure.panels[0].refs.is_empty());
        assert!(figure.legend.iter().all(|e| e.text != TIMEOUT_NOTE));
    }

    #[test]
    fn every_small_multiple_has_its_label_above_its_plot() {
        let kinds = [
            Kind::LatencyByStrategy,
            Kind::DbLoadByStrategy,
            Kind::ErrorsByStrategy,
            Kind::OutdatedAgeByStrategy,
            Kind::Goodput,
        ];
        let result = writing_sample();
        for kind in kinds {
            let figure = build_figure(kind, &result);
            assert_eq!(figure.size, small_multiples_size(2), "{kind:?}");
            assert!(figure.panels.iter().all(|p| p.label.is_some()), "{kind:?}");
            // The last panel is taller by the time axis, so every plot has the same height.
            assert_eq!(figure.panels[1].weight, last_labelled_panel_weight());
        }
    }
}
