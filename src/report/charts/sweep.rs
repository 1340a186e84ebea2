//! The chart of `cachestorm sweep`: a metric against a swept parameter, one line per strategy
//! with a marker at every point, an optional shaded band per line (a confidence interval over
//! replications), an optional dashed objective line (`p99_latency_ms < 50`) and an optional
//! ringed black marker at each answer `--find` found (one per strategy), with a dashed line
//! down to its value.
//!
//! The x axis is linear unless its values are all positive and span more than a factor of
//! [`LOG_SPAN`], the y axis unless the means and the objective are all positive and span more
//! than [`Y_LOG_SPAN`]: values such as `1000..64000:*2` (or latencies from 2 ms to a 1 s timeout)
//! are then spread evenly on a log axis instead of crowding into one corner. A linear y axis
//! starts at 0 when no mean is negative, as in the other charts, and reaches past every point,
//! band and the objective; a band reaching below the axis (a symmetric interval around a small
//! positive latency reaches below zero) is cut at its bottom. As in every chart, the legend to the right of the plot names the lines,
//! and text a user typed is escaped before it is drawn.
//!
//! The figure types of the other charts have no shaded areas, so this chart is drawn here with
//! the same parts (`draw_panel`, the legend, fonts and tick formats) rather than through
//! `draw_figure`.

use plotters::coord::ranged1d::{BoldPoints, Ranged};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::DrawResult;
use super::*;
use crate::report::ImageFormat;

/// Name of the chart in error messages.
const SWEEP: &str = "sweep";

/// An axis whose values are all positive and span more than this factor is logarithmic.
pub const LOG_SPAN: f64 = 50.0;
/// The y axis (means and the objective) is logarithmic past this factor: a metric that falls
/// from a second to 20 ms as the parameter grows would otherwise crowd the values that matter,
/// those near the objective, at the bottom.
pub const Y_LOG_SPAN: f64 = 20.0;

/// Radius of a point's marker, px.
const POINT_MARKER: i32 = 4;
/// Radius of the ring around the answer, px.
const FOUND_RING: i32 = 10;
/// Colour of an answer's marker, ring and line when no line has its strategy's name (else the
/// strategy's colour).
const FOUND_COLOR: RGBColor = TEXT_COLOR;
/// Colour of the objective line.
const OBJECTIVE_COLOR: RGBColor = CAPACITY_COLOR;

/// What the sweep chart shows. Every text is drawn escaped.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepChart<'a> {
    /// Title above the plot, e.g. `capacity: p99 latency by db.slots`.
    pub title: &'a str,
    /// Name of the swept parameter under the x axis, with its unit, e.g. `db.slots`.
    pub x_label: &'a str,
    /// Name of the metric beside the y axis, with its unit, e.g. `p99 latency (ms)`.
    pub y_label: &'a str,
    /// One line per strategy, in legend order.
    pub series: Vec<SweepSeries<'a>>,
    /// What the shaded bands are, for the legend (e.g. `95% confidence interval, 5
    /// replications`); `confidence interval` when `None`. Unused without bands.
    pub band_label: Option<&'a str>,
    /// Horizontal dashed lines at these y values, each named in the legend by its text (e.g.
    /// `p99_latency_ms < 50`): the objectives on the metric charted.
    pub objectives: Vec<(f64, &'a str)>,
    /// The answers of a search: per strategy that has one, its name and the x value found,
    /// ringed on its line.
    pub found: Vec<(&'a str, f64)>,
}

/// One strategy's line.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSeries<'a> {
    /// The strategy's name.
    pub name: &'a str,
    /// Its points, in any order; points whose x is not finite are left out, and a point whose
    /// mean is not finite breaks the line.
    pub points: Vec<SweepPoint>,
}

/// One point of a line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    /// The parameter's value.
    pub x: f64,
    /// The metric's value (the mean over replications).
    pub mean: f64,
    /// The band around it, (low, high), if any; left out when not finite.
    pub band: Option<(f64, f64)>,
}

/// Renders the sweep chart as PNG or SVG bytes.
pub fn render_sweep(chart: &SweepChart, format: ImageFormat) -> Result<Vec<u8>, ChartError> {
    ensure_font()?;
    let figure = sweep_figure(chart);
    let draw_err = |e: String| ChartError::Draw {
        chart: SWEEP,
        message: e,
    };
    let (w, h) = figure.size;
    match format {
        ImageFormat::Png => {
            let mut buffer = vec![0u8; w as usize * h as usize * 3];
            {
                let root = super::png_text::PngBackend::with_buffer(&mut buffer, (w, h))
                    .into_drawing_area();
                draw_sweep(&figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            super::draw::encode_png(SWEEP, &buffer, w, h)
        }
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                draw_sweep(&figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            Ok(super::svg_font::embed_font(svg).into_bytes())
        }
    }
}

// The figure, without a backend

/// Everything needed to draw the chart; texts already escaped.
struct SweepFigure {
    size: (u32, u32),
    title: String,
    x: Axis,
    x_desc: String,
    y_desc: String,
    /// The lines and markers, and the objective as a reference line; no label.
    panel: Panel,
    /// Per line: its colour and its bands.
    bands: Vec<(RGBColor, Vec<Band>)>,
    found: Vec<Found>,
    legend: Vec<LegendEntry>,
}

/// An unbroken run of (x, low, high): an area, or an error bar when it has one point.
type Band = Vec<(f64, f64, f64)>;

/// Where the answer is drawn: a dashed line up from the x axis at `x`, and a ringed marker at
/// `(x, y)` when the strategy's line has a point there.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Found {
    x: f64,
    y: Option<f64>,
    /// The strategy's colour (black when no line has its name).
    color: RGBColor,
}

fn sweep_figure(chart: &SweepChart) -> SweepFigure {
    let escape = |s: &str| crate::text::escape(s).into_owned();
    let mut series = Vec::with_capacity(chart.series.len());
    let mut bands = Vec::with_capacity(chart.series.len());
    let mut legend = Vec::with_capacity(chart.series.len() + 3);
    // Every drawn point, with its band, by line.
    let mut lines: Vec<Vec<SweepPoint>> = Vec::with_capacity(chart.series.len());
    for (i, s) in chart.series.iter().enumerate() {
        let color = strategy_color(i);
        let mut points: Vec<SweepPoint> = s
            .points
            .iter()
            .filter(|p| p.x.is_finite())
            .map(|p| SweepPoint {
                band: p
                    .band
                    .filter(|(lo, hi)| lo.is_finite() && hi.is_finite())
                    .map(|(lo, hi)| (lo.min(hi), lo.max(hi))),
                ..*p
            })
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        let segments = runs(&points, |p| p.mean.is_finite().then_some((p.x, p.mean)));
        let band_runs = runs(&points, |p| {
            p.band
                .filter(|_| p.mean.is_finite())
                .map(|(lo, hi)| (p.x, lo, hi))
        });
        let dashed = repeats_color(i);
        series.push(Series {
            color,
            segments,
            line: true,
            dashed,
            dotted: false,
            width: LINE_WIDTH,
            marker: Some(POINT_MARKER),
            band: Vec::new(),
        });
        bands.push((color, band_runs));
        let sample = if dashed {
            Sample::Dashed
        } else {
            Sample::LineMarker
        };
        legend.push(LegendEntry::new(escape(s.name), color, sample));
        lines.push(points);
    }

    let drawn = || lines.iter().flatten().filter(|p| p.mean.is_finite());
    let found: Vec<(&str, Found)> = chart
        .found
        .iter()
        .filter(|f| f.1.is_finite())
        .map(|&(name, x)| {
            let line = chart.series.iter().position(|s| s.name == name);
            let y = line.and_then(|i| {
                lines[i]
                    .iter()
                    .find(|p| p.x == x && p.mean.is_finite())
                    .map(|p| p.mean)
            });
            let color = line.map_or(FOUND_COLOR, strategy_color);
            (name, Found { x, y, color })
        })
        .collect();

    let xs: Vec<f64> = drawn()
        .map(|p| p.x)
        .chain(found.iter().map(|f| f.1.x))
        .collect();
    let x = x_axis(&xs);

    let objectives: Vec<(f64, &str)> = chart
        .objectives
        .iter()
        .copied()
        .filter(|o| o.0.is_finite())
        .collect();
    let core: Vec<f64> = drawn()
        .map(|p| p.mean)
        .chain(objectives.iter().map(|o| o.0))
        .collect();
    let ends: Vec<f64> = drawn()
        .filter_map(|p| p.band)
        .flat_map(|(lo, hi)| [lo, hi])
        .collect();
    let y = y_axis(&core, &ends);
    // A band reaching below the axis (below zero, say) is cut at its bottom.
    for (_, band_runs) in &mut bands {
        for run in band_runs.iter_mut() {
            for (_, lo, hi) in run.iter_mut() {
                *lo = lo.max(y.lo);
                *hi = hi.max(y.lo);
            }
        }
    }

    if bands.iter().any(|(_, runs)| !runs.is_empty()) {
        let what = chart.band_label.unwrap_or("confidence interval");
        legend.push(LegendEntry::new(escape(what), NEUTRAL_COLOR, Sample::Band));
    }
    let mut refs = Vec::new();
    for &(bound, label) in &objectives {
        refs.push((bound, OBJECTIVE_COLOR));
        legend.push(LegendEntry::new(
            escape(label),
            OBJECTIVE_COLOR,
            Sample::Dashed,
        ));
    }
    for (name, f) in &found {
        legend.push(LegendEntry::new(
            format!("found: {} ({})", shortest(f.x), escape(name)),
            f.color,
            Sample::Marker,
        ));
    }

    SweepFigure {
        size: (1200, 700),
        title: escape(chart.title),
        x,
        x_desc: escape(chart.x_label),
        y_desc: escape(chart.y_label),
        panel: Panel {
            refs,
            ..Panel::overlaid("", y, series)
        },
        bands,
        found: found.into_iter().map(|(_, f)| f).collect(),
        legend,
    }
}

/// The unbroken runs of `points` for which `value` gives something.
fn runs<T>(points: &[SweepPoint], value: impl Fn(&SweepPoint) -> Option<T>) -> Vec<Vec<T>> {
    let mut runs: Vec<Vec<T>> = Vec::new();
    let mut current = Vec::new();
    for p in points {
        match value(p) {
            Some(v) => current.push(v),
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Whether finite values are all positive and span more than [`LOG_SPAN`].
fn spans_decades(values: &[f64]) -> bool {
    spans(values, LOG_SPAN)
}

/// Whether finite values are all positive and span more than `factor`.
fn spans(values: &[f64], factor: f64) -> bool {
    let (lo, hi) = extent(values);
    lo > 0.0 && hi / lo > factor
}

/// Smallest and largest finite value; (inf, -inf) when there are none.
fn extent(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// The x axis: a little wider than the values, so the end markers stay off the frame; whole
/// numbers only on the ticks when every value is one.
fn x_axis(xs: &[f64]) -> Axis {
    let (lo, hi) = extent(xs);
    if lo > hi {
        return Axis::linear(0.0, 1.0);
    }
    if spans_decades(xs) {
        let pad = (hi / lo).powf(0.04);
        return Axis::log(lo / pad, hi * pad);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.04
    } else if lo != 0.0 {
        lo.abs() * 0.5
    } else {
        1.0
    };
    let whole = xs
        .iter()
        .filter(|v| v.is_finite())
        .all(|v| v.fract() == 0.0 && v.abs() < 1e15);
    if whole {
        Axis::integer(lo - pad.max(0.5), hi + pad.max(0.5))
    } else {
        Axis::linear(lo - pad, hi + pad)
    }
}

/// The y axis for the means and objective `core` and the bands' ends `ends`: logarithmic when
/// the core values are all positive and span more than [`Y_LOG_SPAN`] (covering the band ends
/// down to a tenth of the smallest core value), else linear from 0 (or from below the smallest
/// value when a mean or the objective is negative) to 10% above the largest. Band ends below
/// the axis (a symmetric interval around a small positive mean reaches below zero) are cut at
/// its bottom when drawn.
fn y_axis(core: &[f64], ends: &[f64]) -> Axis {
    if spans(core, Y_LOG_SPAN) {
        let (smallest, _) = extent(core);
        let shown = ends.iter().copied().filter(|&v| v >= smallest / 10.0);
        return log_axis_with_floor(core.iter().copied().chain(shown), f64::MIN_POSITIVE);
    }
    let (core_lo, _) = extent(core);
    let ys: Vec<f64> = core
        .iter()
        .copied()
        .chain(ends.iter().copied().filter(|&v| v >= 0.0 || core_lo < 0.0))
        .collect();
    let (lo, hi) = extent(&ys);
    if lo > hi {
        return Axis::linear(0.0, 1.0);
    }
    let bottom = lo.min(0.0);
    let room = (hi - bottom) * 0.1;
    let bottom = if bottom < 0.0 { bottom - room } else { 0.0 };
    let top = if hi > 0.0 || room > 0.0 {
        hi + room
    } else {
        1.0
    };
    if !(bottom.is_finite() && top.is_finite()) {
        return Axis::linear(lo, hi);
    }
    Axis::linear(bottom, top)
}

/// `x` in the shortest form that reads back as it (`92`, `0.1`, `64000`), with an exponent
/// when very large or small.
fn shortest(x: f64) -> String {
    let m = x.abs();
    if x == 0.0 || (1e-4..1e15).contains(&m) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

// Drawing

fn draw_sweep<DB: DrawingBackend>(
    figure: &SweepFigure,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (w, h) = (figure.size.0 as i32, figure.size.1 as i32);

    let title_style = font(TITLE_FONT).pos(Pos::new(HPos::Center, VPos::Top));
    let title = truncate_to_width(root, &figure.title, &title_style, w - 2 * MARGIN)?;
    root.draw(&Text::new(title, (w / 2, 14), title_style))?;

    let (legend, legend_w) = layout_legend(root, &figure.legend)?;
    let main_w = if legend_w > 0 {
        w - legend_w - MARGIN
    } else {
        w
    };

    let panel = &figure.panel;
    let tick_style = font(TICK_FONT);
    let x_format = TickFormat::for_axis(&figure.x, X_LABELS);
    let y_format = TickFormat::for_axis(&panel.y, panel.y_labels());
    let mut widest_tick = 0;
    for v in panel.y.key_points(BoldPoints(panel.y_labels())) {
        widest_tick = widest_tick.max(text_width(root, &y_format.format(v), &tick_style)?);
    }

    let (_, body) = root.split_vertically(TITLE_HEIGHT);
    let (main, _) = body.split_horizontally(main_w);
    let mut chart = ChartBuilder::on(&main)
        .margin_left(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .margin_top(12)
        .margin_bottom(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(widest_tick + 48)
        .build_cartesian_2d(figure.x.clone(), panel.y.clone())?;
    let x_fmt = move |v: &f64| x_format.format(*v);
    let y_fmt = move |v: &f64| y_format.format(*v);
    chart
        .configure_mesh()
        .x_labels(X_LABELS)
        .y_labels(panel.y_labels())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(figure.x_desc.as_str())
        .y_desc(figure.y_desc.as_str())
        .label_style(font(TICK_FONT))
        .axis_desc_style(font(DESC_FONT))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(244, 244, 244))
        .axis_style(RGBColor(90, 90, 90))
        .draw()?;
    let (px, py) = chart.plotting_area().get_pixel_range();

    // Bands under everything else: an area for a run of points, a bar for a lone one.
    for (color, band_runs) in &figure.bands {
        let fill = color.mix(BAND_ALPHA).filled();
        for run in band_runs {
            if let [(x, lo, hi)] = run.as_slice() {
                let (cx, top) = chart.backend_coord(&(*x, *hi));
                let bottom = chart.backend_coord(&(*x, *lo)).1;
                let style = color.mix(0.6).stroke_width(2);
                root.draw(&PathElement::new([(cx, top), (cx, bottom)], style))?;
                for y in [top, bottom] {
                    root.draw(&PathElement::new([(cx - 5, y), (cx + 5, y)], style))?;
                }
                continue;
            }
            let upper = run.iter().map(|&(x, _, hi)| chart.backend_coord(&(x, hi)));
            let lower = run
                .iter()
                .rev()
                .map(|&(x, lo, _)| chart.backend_coord(&(x, lo)));
            let outline: Vec<(i32, i32)> = upper.chain(lower).collect();
            root.draw(&Polygon::new(outline, fill))?;
        }
    }

    // Each answer's x, dashed up from the axis to its point (or across the plot).
    for found in &figure.found {
        let (x, top) = match found.y {
            Some(y) => chart.backend_coord(&(found.x, y)),
            None => (chart.backend_coord(&(found.x, panel.y.lo)).0, py.start),
        };
        if (px.start..px.end).contains(&x) {
            root.draw(&DashedPathElement::new(
                [(x, py.end - 1), (x, top)],
                4,
                4,
                found.color.stroke_width(1),
            ))?;
        }
    }

    draw_panel(root, &chart, panel, &[], false)?;

    // The answers: the legend's marker, ringed.
    for &Found { x, y, color } in &figure.found {
        let Some(y) = y else { continue };
        let centre = chart.backend_coord(&(x, y));
        let radius = FOUND_RING as u32;
        root.draw(&Circle::new(centre, radius + 1, WHITE.stroke_width(4)))?;
        root.draw(&Circle::new(centre, radius, color.stroke_width(2)))?;
        draw_marker(root, centre, SIMULATED_MARKER, color)?;
    }

    draw_legend(root, &legend, (main_w, py.start), legend_w, h - MARGIN)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: f64, mean: f64, half: f64) -> SweepPoint {
        SweepPoint {
            x,
            mean,
            band: Some((mean - half, mean + half)),
        }
    }

    /// p99 latency against database slots for three strategies, falling through 50 ms.
    fn slots_chart<'a>(names: [&'a str; 3]) -> SweepChart<'a> {
        let curve = |scale: f64| -> Vec<SweepPoint> {
            (1..=16)
                .map(|k| {
                    let slots = f64::from(8 * k);
                    let p99 = 20.0 + scale * 2400.0 / slots;
                    point(slots, p99, p99 * 0.12)
                })
                .collect()
        };
        SweepChart {
            title: "capacity: p99 latency by database slots",
            x_label: "db.slots",
            y_label: "p99 latency (ms)",
            series: names
                .iter()
                .zip([1.0, 0.6, 0.3])
                .map(|(name, scale)| SweepSeries {
                    name,
                    points: curve(scale),
                })
                .collect(),
            band_label: Some("95% confidence interval, 5 replications"),
            objectives: vec![(50.0, "p99_latency_ms < 50")],
            found: vec![(names[0], 88.0)],
        }
    }

    /// p99 latency against cache capacity from 1000 to 64000 keys, for two strategies.
    fn capacity_chart() -> SweepChart<'static> {
        let sizes: Vec<f64> = (0..7).map(|i| 1000.0 * f64::from(1 << i)).collect();
        let line = |miss_cost: f64| -> Vec<SweepPoint> {
            sizes
                .iter()
                .map(|&keys| {
                    let p99 = 4.0 + miss_cost * 1000.0 / keys;
                    point(keys, p99, p99 * 0.15)
                })
                .collect()
        };
        SweepChart {
            title: "hot-keys: p99 latency by cache capacity",
            x_label: "cache.capacity (keys)",
            y_label: "p99 latency (ms)",
            series: vec![
                SweepSeries {
                    name: "lru",
                    points: line(400.0),
                },
                SweepSeries {
                    name: "lru+coalescing",
                    points: line(60.0),
                },
            ],
            band_label: None,
            objectives: vec![(50.0, "p99_latency_ms < 50")],
            found: vec![("lru", 16000.0)],
        }
    }

    #[test]
    fn renders_png_and_svg_deterministically() {
        let chart = slots_chart(["fixed-ttl", "jitter-10", "xfetch"]);
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let a = render_sweep(&chart, format).unwrap();
            assert!(!a.is_empty());
            assert_eq!(a, render_sweep(&chart, format).unwrap());
        }
        let svg = String::from_utf8(render_sweep(&chart, ImageFormat::Svg).unwrap()).unwrap();
        // The same embedded font as every other chart's SVG.
        assert!(svg.contains(&format!(
            "@font-face{{font-family:\"{}\"",
            super::super::svg_font::EMBEDDED_FAMILY
        )));
        for text in [
            "capacity: p99 latency by database slots",
            "db.slots",
            "p99 latency (ms)",
            "fixed-ttl",
            "xfetch",
            "p99_latency_ms &lt; 50",
            "95% confidence interval",
            "5 replications",
            "found: 88 (fixed-ttl)",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        roxmltree::Document::parse(&svg).unwrap();
    }

    #[test]
    fn a_parameter_spanning_decades_gets_a_log_axis() {
        let figure = sweep_figure(&capacity_chart());
        assert_eq!(figure.x.scale, Scale::Log);
        assert!(figure.x.lo < 1000.0 && figure.x.hi > 64000.0);
        let ticks = figure.x.ticks(X_LABELS);
        assert!(
            ticks.contains(&1000.0) && ticks.contains(&10000.0),
            "{ticks:?}"
        );
        // db.slots from 8 to 128 spans 16 times: linear, whole numbers.
        let figure = sweep_figure(&slots_chart(["a", "b", "c"]));
        assert_eq!(figure.x.scale, Scale::Integer);
        assert!(figure.x.lo < 8.0 && figure.x.hi > 128.0);
        // A fraction from 0 to 0.5 is linear too.
        let chart = SweepChart {
            series: vec![SweepSeries {
                name: "jitter",
                points: (0..=5)
                    .map(|i| point(f64::from(i) / 10.0, 3.0, 0.5))
                    .collect(),
            }],
            ..capacity_chart()
        };
        assert_eq!(sweep_figure(&chart).x.scale, Scale::Linear);
    }

    #[test]
    fn the_y_axis_shows_every_point_band_and_the_objective() {
        // Linear from 0 (p99 from 22 to 320 ms), and logarithmic (p99 from 4 to 465 ms).
        for chart in [slots_chart(["a", "b", "c"]), capacity_chart()] {
            let figure = sweep_figure(&chart);
            let objective = chart.objectives[0].0;
            assert!(figure.panel.y.contains(objective));
            for s in &chart.series {
                for p in &s.points {
                    let (lo, hi) = p.band.unwrap();
                    for v in [p.mean, lo, hi] {
                        assert!(
                            figure.panel.y.contains(v),
                            "{v} outside {:?}",
                            figure.panel.y
                        );
                    }
                }
            }
        }
        let y = sweep_figure(&slots_chart(["a", "b", "c"])).panel.y;
        assert_eq!((y.scale, y.lo), (Scale::Linear, 0.0));
        assert_eq!(sweep_figure(&capacity_chart()).panel.y.scale, Scale::Log);
        // Non-negative values on a linear axis start at zero.
        let flat = SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![point(1.0, 10.0, 1.0), point(2.0, 12.0, 8.0)],
            }],
            objectives: vec![(25.0, "m < 25")],
            ..capacity_chart()
        };
        let y = sweep_figure(&flat).panel.y;
        assert_eq!((y.scale, y.lo), (Scale::Linear, 0.0));
        assert!(y.hi > 25.0);
        // A band reaching below zero around positive means is cut at zero...
        let positive = SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![point(1.0, 1.0, 3.0), point(2.0, 2.0, 1.0)],
            }],
            objectives: Vec::new(),
            ..capacity_chart()
        };
        let figure = sweep_figure(&positive);
        assert!(
            figure.panel.y.lo == 0.0 && figure.panel.y.hi > 4.0,
            "{:?}",
            figure.panel.y
        );
        assert_eq!(figure.bands[0].1, [vec![(1.0, 0.0, 4.0), (2.0, 1.0, 3.0)]]);
        // ... and shown whole when a mean is negative.
        let negative = SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![point(1.0, -1.0, 3.0), point(2.0, 2.0, 1.0)],
            }],
            objectives: Vec::new(),
            ..capacity_chart()
        };
        let y = sweep_figure(&negative).panel.y;
        assert!(y.lo < -4.0 && y.hi > 3.0, "{y:?}");
        // Means from 20 to 1000 ms (a 50-fold span) get a log axis; a band reaching below zero
        // is cut at its bottom.
        let falling = SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![point(1.0, 1000.0, 1100.0), point(2.0, 20.0, 2.0)],
            }],
            objectives: vec![(40.0, "p99_latency_ms < 40")],
            ..capacity_chart()
        };
        let figure = sweep_figure(&falling);
        assert_eq!(figure.panel.y.scale, Scale::Log);
        assert_eq!(figure.bands[0].1[0][0].1, figure.panel.y.lo);
    }

    #[test]
    fn points_are_sorted_and_gaps_break_lines_and_bands() {
        let chart = SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![
                    point(3.0, 3.0, 0.1),
                    point(1.0, 1.0, 0.1),
                    SweepPoint {
                        x: 2.0,
                        mean: f64::NAN,
                        band: None,
                    },
                    point(f64::NAN, 9.0, 0.1),
                    SweepPoint {
                        x: 4.0,
                        mean: 4.0,
                        band: Some((f64::INFINITY, 1.0)),
                    },
                    SweepPoint {
                        x: 5.0,
                        mean: 5.0,
                        band: Some((6.0, 4.0)),
                    },
                ],
            }],
            found: vec![("a", 4.0)],
            ..capacity_chart()
        };
        let figure = sweep_figure(&chart);
        assert_eq!(
            figure.panel.series[0].segments,
            [vec![(1.0, 1.0)], vec![(3.0, 3.0), (4.0, 4.0), (5.0, 5.0)]]
        );
        assert_eq!(
            figure.bands[0].1,
            [
                vec![(1.0, 0.9, 1.1)],
                vec![(3.0, 2.9, 3.1)],
                vec![(5.0, 4.0, 6.0)]
            ]
        );
        assert_eq!(
            figure.found,
            [Found {
                x: 4.0,
                y: Some(4.0),
                color: strategy_color(0),
            }]
        );
        assert_eq!(figure.panel.refs, [(50.0, OBJECTIVE_COLOR)]);
    }

    #[test]
    fn hostile_names_are_escaped_and_the_svg_stays_valid() {
        let hostile = "<b>&\"'\u{1b}[31m\u{7}\u{202e}\u{ffff}";
        let mut chart = slots_chart([hostile, "b", "c"]);
        chart.title = hostile;
        chart.x_label = hostile;
        chart.y_label = hostile;
        chart.band_label = Some(hostile);
        chart.objectives = vec![(50.0, hostile)];
        let svg = String::from_utf8(render_sweep(&chart, ImageFormat::Svg).unwrap()).unwrap();
        if let Err(e) = roxmltree::Document::parse(&svg) {
            panic!("not valid XML: {e}");
        }
        assert!(!svg.contains('\u{1b}') && !svg.contains('\u{7}'));
        assert!(svg.contains("\\u{1b}[31m"));
        assert!(svg.contains("&lt;b&gt;&amp;&quot;&apos;\\u{1b}[31m"));
    }

    #[test]
    fn degenerate_charts_render_without_panicking() {
        let one = |p: SweepPoint| SweepChart {
            series: vec![SweepSeries {
                name: "a",
                points: vec![p],
            }],
            ..capacity_chart()
        };
        let cases = [
            SweepChart {
                series: Vec::new(),
                objectives: Vec::new(),
                found: Vec::new(),
                ..capacity_chart()
            },
            SweepChart {
                series: vec![SweepSeries {
                    name: "empty",
                    points: Vec::new(),
                }],
                found: vec![("missing", f64::NAN)],
                objectives: vec![(f64::NAN, "nan")],
                ..capacity_chart()
            },
            one(point(5.0, 0.0, 0.0)),
            one(point(0.0, 0.0, 0.0)),
            one(point(1e-300, 1e300, 1e300)),
            one(point(f64::MAX, f64::MAX, f64::MAX)),
            one(point(-f64::MAX, -f64::MAX, 0.0)),
            one(point(1.0, f64::NAN, 1.0)),
            one(point(1.0, 5e-324, 0.0)),
            SweepChart {
                series: (0..30)
                    .map(|i| SweepSeries {
                        name: "a rather long strategy name that must wrap in the legend",
                        points: vec![point(f64::from(i), f64::from(i), 1.0)],
                    })
                    .collect(),
                found: vec![("a", 1e9)],
                ..capacity_chart()
            },
        ];
        for chart in &cases {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                render_sweep(chart, format).unwrap();
            }
        }
    }

    /// Writes the example charts to look at: `cargo test --release --lib sweep -- --ignored`.
    #[test]
    #[ignore]
    fn write_examples() {
        let chart = slots_chart(["fixed-ttl", "jitter-10", "jitter+xfetch"]);
        let png = render_sweep(&chart, ImageFormat::Png).unwrap();
        std::fs::write("/tmp/sweep-example.png", png).unwrap();
        let svg = render_sweep(&chart, ImageFormat::Svg).unwrap();
        std::fs::write("/tmp/sweep-example.svg", svg).unwrap();
        let png = render_sweep(&capacity_chart(), ImageFormat::Png).unwrap();
        std::fs::write("/tmp/sweep-example-log.png", png).unwrap();
        // Lone points (a failed run between them) get error bars; a fraction on a linear axis.
        let gappy = SweepChart {
            series: vec![SweepSeries {
                name: "jitter",
                points: [0.0, 0.1, 0.2, 0.3]
                    .iter()
                    .map(|&x| match x {
                        0.1 => point(x, f64::NAN, 1.0),
                        _ => point(x, 40.0 - 100.0 * x, 6.0),
                    })
                    .collect(),
            }],
            x_label: "cache.ttl_jitter",
            found: vec![("jitter", 0.2)],
            ..capacity_chart()
        };
        let png = render_sweep(&gappy, ImageFormat::Png).unwrap();
        std::fs::write("/tmp/sweep-example-bars.png", png).unwrap();
    }
}
