//! Drawing a figure with plotters onto a PNG or SVG backend: the embedded font, layout of the
//! title, event labels, panels and legend, and encoding to bytes.

use std::sync::OnceLock;

use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{BoldPoints, Ranged};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::font::{FONT_BYTES, FONT_FAMILY};
use super::png_text::PngBackend;
use super::*;
use crate::report::ImageFormat;

/// Registers the embedded font with plotters, once per process.
pub(super) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

// Rendering to bytes

pub(super) fn render(
    stem: &'static str,
    mut figure: Figure,
    format: ImageFormat,
) -> Result<Vec<u8>, ChartError> {
    figure.escape_text();
    let figure = &figure;
    let draw_err = |message: String| ChartError::Draw {
        chart: stem,
        message,
    };
    let (w, h) = figure.size;
    match format {
        ImageFormat::Png => {
            let mut buffer = vec![0u8; w as usize * h as usize * 3];
            {
                let root = PngBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
                draw_figure(figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            encode_png(stem, &buffer, w, h)
        }
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                draw_figure(figure, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            Ok(embed_font(svg).into_bytes())
        }
    }
}

/// The PNG of an RGB `buffer` of `w` × `h` pixels (chart `stem`, for errors).
pub(super) fn encode_png(
    stem: &'static str,
    buffer: &[u8],
    w: u32,
    h: u32,
) -> Result<Vec<u8>, ChartError> {
    if buffer.len() != w as usize * h as usize * 3 {
        return Err(ChartError::Encode {
            chart: stem,
            message: format!("{} bytes for {w} x {h} RGB pixels", buffer.len()),
        });
    }
    Ok(super::png_encode::encode(buffer, w, h))
}

// Drawing

pub(super) type DrawResult<T, DB> =
    Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub(super) const MARGIN: i32 = 14;
pub(super) const MARGIN_RIGHT: i32 = 24;
pub(super) const TITLE_FONT: f64 = 24.0;
pub(super) const TITLE_HEIGHT: i32 = 48;
pub(super) const DESC_FONT: f64 = 16.0;
pub(super) const TICK_FONT: f64 = 14.0;
pub(super) const LEGEND_FONT: f64 = 14.0;
pub(super) const LEGEND_MINOR_FONT: f64 = 12.0;
pub(super) const EVENT_FONT: f64 = 12.0;
pub(super) const EVENT_ROW_HEIGHT: i32 = 15;
pub(super) const EVENT_MAX_ROWS: usize = 6;
pub(super) const EVENT_MAX_LABELS: usize = 20;
pub(super) const X_LABEL_AREA: i32 = 52;
pub(super) const PANEL_GAP: i32 = 12;
/// Height of the strip above a plot that holds its label, when labels go above.
pub(super) const LABEL_STRIP: i32 = 22;
pub(super) const LEGEND_SAMPLE: i32 = 28;
pub(super) const LEGEND_PAD: i32 = 10;
pub(super) const LEGEND_MIN_TEXT: i32 = 80;
pub(super) const LEGEND_MAX_TEXT: i32 = 260;
/// Width of the text of a legend that has only notes, px.
pub(super) const LEGEND_NOTES_TEXT: i32 = 150;
pub(super) const LEGEND_MAX_LINES: usize = 3;
/// A note may take more lines than an entry: it wraps to the entries' width.
pub(super) const LEGEND_NOTE_MAX_LINES: usize = 6;

pub(super) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&TEXT_COLOR)
}

pub(super) fn text_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> DrawResult<i32, DB> {
    let (w, _) = root.estimate_text_size(text, style)?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// Cuts `text` to fit `max_width` pixels, ending it with an ellipsis when shortened.
pub(super) fn truncate_to_width<DB: DrawingBackend>(
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
pub(super) fn wrap_to_width<DB: DrawingBackend>(
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
pub(super) struct LabelSlot {
    pub(super) row: usize,
    pub(super) left: i32,
}

/// Places event labels in rows above the plot so that no two labels overlap and no label crosses
/// another event's line. `events` are (line x in pixels, label width), sorted by x. Labels go to
/// the right of their line, or to its left near the right edge; at most [`EVENT_MAX_LABELS`] are
/// placed and those that fit nowhere are left out (their line is still drawn).
pub(super) fn place_event_labels(
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
pub(super) fn pixel_path(points: impl Iterator<Item = (i32, i32)>) -> Vec<(i32, i32)> {
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
pub(super) fn split_sharp_turns(path: &[(i32, i32)]) -> Vec<&[(i32, i32)]> {
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
pub(super) struct LegendLayout<'a> {
    pub(super) entry: &'a LegendEntry,
    pub(super) lines: Vec<String>,
}

pub(super) fn legend_style(entry: &LegendEntry) -> TextStyle<'static> {
    font(if entry.minor {
        LEGEND_MINOR_FONT
    } else {
        LEGEND_FONT
    })
}

pub(super) fn legend_indent(entry: &LegendEntry) -> i32 {
    if entry.minor {
        12
    } else {
        0
    }
}

pub(super) fn legend_line_height(entry: &LegendEntry) -> i32 {
    if entry.minor {
        15
    } else {
        18
    }
}

/// Lays out the legend; returns the entries and the legend's total width (0 when empty).
pub(super) fn layout_legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &'a [LegendEntry],
) -> DrawResult<(Vec<LegendLayout<'a>>, i32), DB> {
    if legend.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // Notes wrap to the width the entries need rather than widen the legend; a legend of notes
    // alone (small multiples drawn from replications) gets a width they read well in.
    let only_notes = legend.iter().all(|e| e.sample == Sample::Note);
    let mut natural = if only_notes {
        LEGEND_NOTES_TEXT
    } else {
        LEGEND_MIN_TEXT
    };
    for entry in legend.iter().filter(|e| e.sample != Sample::Note) {
        let w = text_width(root, &entry.text, &legend_style(entry))? + legend_indent(entry);
        natural = natural.max(w);
    }
    let text_w = natural.min(LEGEND_MAX_TEXT);
    let mut layout = Vec::with_capacity(legend.len());
    for entry in legend {
        let max = text_w - legend_indent(entry);
        let max_lines = if entry.sample == Sample::Note {
            LEGEND_NOTE_MAX_LINES
        } else {
            LEGEND_MAX_LINES
        };
        let lines = wrap_to_width(root, &entry.text, &legend_style(entry), max, max_lines)?;
        layout.push(LegendLayout { entry, lines });
    }
    Ok((layout, 2 * LEGEND_PAD + LEGEND_SAMPLE + 8 + text_w))
}

/// Draws the legend box with its top-left corner at (`left`, `top`). Entries that would reach
/// below `bottom` are left out and counted in a last "+ N more" line.
pub(super) fn draw_legend<DB: DrawingBackend>(
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
        let style = entry.color.stroke_width(LINE_WIDTH);
        let sample_end = x + LEGEND_SAMPLE - legend_indent(entry);
        let line = vec![(x, sample_y), (sample_end, sample_y)];
        match entry.sample {
            Sample::Dashed => root.draw(&DashedPathElement::new(line, 6, 4, style))?,
            Sample::Dotted => {
                let (dash, gap) = dashes(true, LINE_WIDTH);
                root.draw(&DashedPathElement::new(line, dash, gap, style))?
            }
            Sample::Line | Sample::LineMarker => root.draw(&PathElement::new(line, style))?,
            Sample::ThinLine => root.draw(&PathElement::new(
                line,
                entry.color.stroke_width(THIN_LINE_WIDTH),
            ))?,
            Sample::WideDashed | Sample::WideDotted => {
                let dotted = entry.sample == Sample::WideDotted;
                let (dash, gap) = dashes(dotted, WIDE_LINE_WIDTH);
                let style = entry.color.stroke_width(WIDE_LINE_WIDTH);
                root.draw(&DashedPathElement::new(line, dash, gap, style))?
            }
            Sample::Band => root.draw(&Rectangle::new(
                [(x, sample_y - 6), (sample_end, sample_y + 6)],
                entry.color.mix(BAND_ALPHA).filled(),
            ))?,
            Sample::Marker | Sample::Note => {}
        }
        let radius = match entry.sample {
            Sample::Marker => Some(SIMULATED_MARKER),
            Sample::LineMarker => Some(LATENCY_MARKER),
            Sample::Line
            | Sample::Dashed
            | Sample::Dotted
            | Sample::ThinLine
            | Sample::WideDashed
            | Sample::WideDotted
            | Sample::Band
            | Sample::Note => None,
        };
        if let Some(radius) = radius {
            draw_marker(root, ((x + sample_end) / 2, sample_y), radius, entry.color)?;
        }
        let mut text_style = legend_style(entry).pos(Pos::new(HPos::Left, VPos::Center));
        if entry.sample == Sample::Note {
            text_style = text_style.color(&entry.color);
        }
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

/// A timeline mark's dashed vertical line on one panel.
pub(super) struct EventLine {
    pub(super) x: i32,
    /// Where the line starts, px: `None` at the top of the plot, or above it at its label.
    pub(super) top: Option<i32>,
    /// Where it ends, px: `None` at the bottom of the plot, or above the plot for a line that
    /// only joins a label to the panels below (the mark is not this panel's).
    pub(super) bottom: Option<i32>,
    /// The colours its dashes take in turn.
    pub(super) colors: Vec<RGBColor>,
}

/// Draws a thin dashed vertical line from `y0` down to `y1` whose dashes take `colors` in turn.
fn draw_event_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    (y0, y1): (i32, i32),
    colors: &[RGBColor],
) -> DrawResult<(), DB> {
    const DASH: u32 = 5;
    const GAP: u32 = 4;
    match colors {
        [] => Ok(()),
        [color] => root.draw(&DashedPathElement::new(
            [(x, y0), (x, y1)],
            DASH,
            GAP,
            color.stroke_width(1),
        )),
        _ => {
            let mut y = y0;
            for color in colors.iter().cycle() {
                if y >= y1 {
                    break;
                }
                let end = (y + DASH as i32).min(y1);
                root.draw(&PathElement::new(
                    vec![(x, y), (x, end)],
                    color.stroke_width(1),
                ))?;
                y = end + GAP as i32;
            }
            Ok(())
        }
    }
}

/// Draws inside one panel's plot: timeline marks' lines, reference lines, then the data; and
/// the panel's label, in the plot's top-left corner or, with `label_above`, in the strip above
/// the plot.
pub(super) fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<Axis, Axis>>,
    panel: &Panel,
    event_lines: &[EventLine],
    label_above: bool,
) -> DrawResult<(), DB> {
    let (px, py) = chart.plotting_area().get_pixel_range();

    // Timeline events: dashed vertical lines.
    for line in event_lines {
        let span = (
            line.top.unwrap_or(py.start),
            line.bottom.unwrap_or(py.end - 1),
        );
        draw_event_line(root, line.x, span, &line.colors)?;
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
        root.draw(&Text::new(panel.empty_text, centre, style))?;
    }

    // Bands (the range of a mean line's replications), under every line.
    for series in &panel.series {
        draw_band(root, chart, &panel.y, series)?;
    }

    // Data, drawn as pixel paths (see `pixel_path`) in series order, then markers on top.
    for series in panel.series.iter().filter(|s| s.line) {
        let style = series.color.stroke_width(series.width);
        for segment in &series.segments {
            let path = pixel_path(segment.iter().map(|p| chart.backend_coord(p)));
            if let [point] = path.as_slice() {
                if series.marker.is_none() {
                    root.draw(&Circle::new(*point, 2, series.color.filled()))?;
                }
            } else {
                for piece in split_sharp_turns(&path) {
                    if series.dashed || series.dotted {
                        let (dash, gap) = dashes(series.dotted, series.width);
                        let piece = piece.iter().copied();
                        root.draw(&DashedPathElement::new(piece, dash, gap, style))?;
                    } else {
                        root.draw(&PathElement::new(piece, style))?;
                    }
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

    // The panel's name: on top of its data, or above the plot.
    if let Some((text, color)) = &panel.label {
        let style = font(LEGEND_FONT).color(color);
        let w = text_width(root, text, &style)?;
        let corner = if label_above {
            (px.start + 2, py.start - LABEL_STRIP - 1)
        } else {
            (px.start + 6, py.start + 4)
        };
        let box_corners = [
            corner,
            (corner.0 + w + 10, corner.1 + LEGEND_FONT as i32 + 8),
        ];
        root.draw(&Rectangle::new(box_corners, WHITE.filled()))?;
        if !label_above {
            root.draw(&Rectangle::new(
                box_corners,
                RGBColor(200, 200, 200).stroke_width(1),
            ))?;
        }
        root.draw(&Text::new(
            text.as_str(),
            (corner.0 + 5, corner.1 + 4),
            style,
        ))?;
    }
    Ok(())
}

/// Draws a series' band translucent in its colour: an area for each run of points, a narrow
/// bar for a lone point. Values beyond the axis are drawn at its edge.
fn draw_band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<Axis, Axis>>,
    y: &Axis,
    series: &Series,
) -> DrawResult<(), DB> {
    let fill = series.color.mix(BAND_ALPHA).filled();
    let at = |x: f64, v: f64| chart.backend_coord(&(x, v.clamp(y.lo, y.hi)));
    for run in &series.band {
        if let [(x, lo, hi)] = run.as_slice() {
            let ((cx, top), bottom) = (at(*x, *hi), at(*x, *lo).1);
            root.draw(&Rectangle::new([(cx - 1, top), (cx + 1, bottom)], fill))?;
            continue;
        }
        let upper = run.iter().map(|&(x, _, hi)| at(x, hi));
        let lower = run.iter().rev().map(|&(x, lo, _)| at(x, lo));
        root.draw(&Polygon::new(upper.chain(lower).collect::<Vec<_>>(), fill))?;
    }
    Ok(())
}

/// The dash and gap lengths, px, of a dashed (or `dotted`) line `width` px wide. A line wider
/// than [`LINE_WIDTH`] has longer gaps, so where it runs along a solid line of its own colour
/// (a node whose every read fails) it shows as beads on that line, not as one thicker line.
pub(super) fn dashes(dotted: bool, width: u32) -> (u32, u32) {
    match (dotted, width > LINE_WIDTH) {
        (false, false) => (7, 4),
        (false, true) => (8, 7),
        (true, false) => (2, 4),
        (true, true) => (3, 7),
    }
}

/// A filled circle with a thin white rim, so it stands out from a line of its own colour.
pub(super) fn draw_marker<DB: DrawingBackend>(
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

/// The lines of timeline marks (`events`, at `xs` px) on `panel`: a mark's line is drawn on
/// the panels it concerns, from its label (`label_tops`: the top of each label when the panel
/// is the top one) or the top of the plot down; a mark the top panel is not concerned with
/// only joins its label to the bottom of the band (`band_bottom`). On a panel of every
/// strategy's lines a mark of some strategies takes their colours; on a strategy's panel it is
/// grey.
pub(super) fn event_lines(
    events: &[EventMark],
    xs: &[i32],
    label_tops: &[Option<i32>],
    panel: &Panel,
    band_bottom: i32,
) -> Vec<EventLine> {
    events
        .iter()
        .zip(xs)
        .zip(label_tops)
        .filter_map(|((mark, &x), &top)| {
            if mark.on_panel(panel.strategy) {
                let colors = match panel.strategy {
                    None => mark.line_colors(),
                    Some(_) => vec![EVENT_COLOR],
                };
                Some(EventLine {
                    x,
                    top,
                    bottom: None,
                    colors,
                })
            } else {
                top.map(|top| EventLine {
                    x,
                    top: Some(top),
                    bottom: Some(band_bottom),
                    colors: vec![EVENT_COLOR],
                })
            }
        })
        .collect()
}

/// Draws a whole figure: title, event label band, panels and legend.
pub(super) fn draw_figure<DB: DrawingBackend>(
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
    for mark in &figure.events {
        let text = truncate_to_width(root, &mark.label, &event_style, max_label_w)?;
        event_geometry.push((to_px(mark.t), text_width(root, &text, &event_style)?));
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
    // Panels that all say the same (small multiples on one scale) share one y label, centred
    // on the stack: repeated on short panels, a label in words would run into its neighbours.
    let shared_desc = (figure.panels.len() > 1
        && figure
            .panels
            .iter()
            .all(|p| p.y_desc == figure.panels[0].y_desc))
    .then(|| figure.panels[0].y_desc);
    let mut stack_y = (i32::MAX, i32::MIN);
    for (i, (panel, area)) in figure.panels.iter().zip(&areas).enumerate() {
        let is_last = i == last;
        let y_format = y_formats[i];
        let mut chart = ChartBuilder::on(area)
            .margin_left(MARGIN)
            .margin_right(MARGIN_RIGHT)
            .margin_top(
                match (i, band_h) {
                    (0, 0) => 12,
                    (0, _) => 4,
                    _ => PANEL_GAP / 2,
                } + if panel.label.is_some() {
                    LABEL_STRIP
                } else {
                    0
                },
            )
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
            .y_desc(if shared_desc.is_some() {
                ""
            } else {
                panel.y_desc
            })
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
        let rows = chart.plotting_area().get_pixel_range().1;
        stack_y = (stack_y.0.min(rows.start), stack_y.1.max(rows.end));

        if i == 0 {
            plot_top = chart.plotting_area().get_pixel_range().1.start;
            event_x = figure
                .events
                .iter()
                .map(|mark| chart.backend_coord(&(mark.t, panel.y.lo)).0)
                .collect();
        }
        let label_tops: Vec<Option<i32>> = slots
            .iter()
            .map(|slot| {
                slot.filter(|_| i == 0)
                    .map(|slot| band_top + slot.row as i32 * EVENT_ROW_HEIGHT + 2)
            })
            .collect();
        let lines = event_lines(&figure.events, &event_x, &label_tops, panel, panels_top);
        draw_panel(root, &chart, panel, &lines, true)?;
    }

    if let Some(desc) = shared_desc.filter(|d| !d.is_empty()) {
        let style = font(DESC_FONT)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let centre = (stack_y.0 + stack_y.1) / 2;
        root.draw(&Text::new(
            desc.to_string(),
            (MARGIN + DESC_FONT as i32 / 2 + 2, centre),
            style,
        ))?;
    }

    // Event labels, in the band above the first plot; a mark of one strategy in its colour.
    let label_style = event_style.pos(Pos::new(HPos::Left, VPos::Top));
    for (k, (slot, text)) in slots.iter().zip(&event_labels).enumerate() {
        if let (Some(slot), Some(&actual)) = (slot, event_x.get(k)) {
            // Keep the side chosen by the layout, next to where the line was really drawn.
            let left = slot.left + (actual - event_geometry[k].0);
            let y = band_top + slot.row as i32 * EVENT_ROW_HEIGHT + 2;
            let color = figure.events[k].color();
            let style = match figure.events[k].owners.as_slice() {
                [_] => label_style.color(&color),
                _ => label_style.clone(),
            };
            root.draw(&Text::new(text.as_str(), (left, y), style))?;
        }
    }

    draw_legend(root, &legend, (main_w, plot_top), legend_w, h - MARGIN)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

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
    fn pixel_paths_keep_spikes_and_split_sharp_turns() {
        let path = pixel_path([(0, 50), (0, 10), (0, 90), (0, 40), (1, 40), (1, 40)].into_iter());
        assert_eq!(path, vec![(0, 50), (0, 10), (0, 90), (0, 40), (1, 40)]);
        let spike = [(0, 100), (5, 0), (10, 100), (20, 100)];
        let pieces = split_sharp_turns(&spike);
        assert_eq!(pieces, vec![&spike[..2], &spike[1..]]);
        let gentle = [(0, 0), (10, 1), (20, 0)];
        assert_eq!(split_sharp_turns(&gentle).len(), 1);
    }
}
