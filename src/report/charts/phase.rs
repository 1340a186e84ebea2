//! The charts of `cachestorm phase`:
//! - `phase_<strategy>`: a heat map of P(metastable) over load (x, one column per value) ×
//!   trigger (y, one row per value), on a diverging scale (blue 0, white 0.5, red 1) with each
//!   cell's p written in it when it fits; cells whose Wilson 95% interval holds 0.5 are
//!   outlined, and the boundary (where p first reaches 0.5 along the load axis) is drawn
//!   through the rows with its interval as a whisker;
//! - `boundaries`: every strategy's boundary on the same axes (load numbers on x, trigger
//!   rows on y), each a line through its estimates with the intervals as whiskers: how far each
//!   mitigation moves the boundary.
//!
//! Drawn directly in pixels (a heat map is no line chart), with the embedded font; the same
//! data always gives the same bytes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::DrawResult;
use super::*;
use crate::workflow::phase::output::Map;
use crate::workflow::phase::Edge;

const SIZE: (u32, u32) = (1000, 640);
const LEFT: i32 = 170;
const RIGHT_AREA: i32 = 230;
const TOP: i32 = 64;
const BOTTOM_AREA: i32 = 86;
const NO_DATA_COLOR: RGBColor = RGBColor(200, 200, 200);
const BOUNDARY_COLOR: RGBColor = RGBColor(0, 0, 0);

/// Renders the heat map of every strategy, then `boundaries`: (file stem, bytes).
pub fn render(map: &Map, format: ImageFormat) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    ensure_font()?;
    let mut out = Vec::new();
    for (i, stem) in stems(&map.strategies).into_iter().enumerate() {
        out.push((stem, draw_to(map, Some(i), format)?));
    }
    out.push(("boundaries".to_string(), draw_to(map, None, format)?));
    Ok(out)
}

/// The file stem of each strategy's heat map: `phase_<name>`, with any character but letters,
/// digits, `.`, `_`, `+` and `-` written `_` (a name may hold `/` or spaces); when two names
/// come out the same, every stem gets its strategy's number too (`phase_1_<name>`).
pub fn stems(names: &[String]) -> Vec<String> {
    let safe: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    let unique = safe.iter().enumerate().all(|(i, s)| !safe[..i].contains(s));
    safe.iter()
        .enumerate()
        .map(|(i, s)| {
            if unique {
                format!("phase_{s}")
            } else {
                format!("phase_{}_{s}", i + 1)
            }
        })
        .collect()
}

/// Strategy `heat`'s heat map, or the boundaries with `None`, on any backend.
fn draw_any<DB: DrawingBackend>(
    map: &Map,
    heat: Option<usize>,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    match heat {
        Some(i) => heat_map(map, i, root),
        None => boundaries(map, root),
    }
}

/// Draws a chart ([`draw_any`]) and encodes it.
fn draw_to(map: &Map, heat: Option<usize>, format: ImageFormat) -> Result<Vec<u8>, ChartError> {
    let draw_err = |message: String| ChartError::Draw {
        chart: "phase",
        message,
    };
    let (w, h) = SIZE;
    match format {
        ImageFormat::Png => {
            let mut buffer = vec![0u8; w as usize * h as usize * 3];
            {
                let root = super::png_text::PngBackend::with_buffer(&mut buffer, (w, h))
                    .into_drawing_area();
                draw_any(map, heat, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            encode_png("phase", &buffer, w, h)
        }
        ImageFormat::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                draw_any(map, heat, &root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            Ok(embed_font(text).into_bytes())
        }
    }
}

/// The colour of probability `p`: blue at 0, white at 0.5, red at 1.
fn p_color(p: f64) -> RGBColor {
    let (lo, mid, hi) = (
        (33.0, 102.0, 172.0),
        (247.0, 247.0, 247.0),
        (178.0, 24.0, 43.0),
    );
    let p = p.clamp(0.0, 1.0);
    let (a, b, t) = if p < 0.5 {
        (lo, mid, p / 0.5)
    } else {
        (mid, hi, (p - 0.5) / 0.5)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The plot's rectangle, pixels: (left, top, right, bottom).
fn plot_rect() -> (i32, i32, i32, i32) {
    (
        LEFT,
        TOP,
        SIZE.0 as i32 - RIGHT_AREA,
        SIZE.1 as i32 - BOTTOM_AREA,
    )
}

/// Where load `x` falls on a column axis of `loads` (column `l` centred at `l`), linearly
/// between the columns around it.
fn column_of(loads: &[f64], x: f64) -> f64 {
    for l in 1..loads.len() {
        if x <= loads[l] {
            let (a, b) = (loads[l - 1], loads[l]);
            return (l - 1) as f64 + (x - a) / (b - a);
        }
    }
    (loads.len() - 1) as f64
}

/// The column position of an edge of the boundary: the edge of the map beyond the grid.
fn edge_column(loads: &[f64], e: Edge) -> Option<f64> {
    match e {
        Edge::Below(_) => Some(-0.5),
        Edge::At(x) => Some(column_of(loads, x)),
        Edge::Above(_) => Some(loads.len() as f64 - 0.5),
        Edge::Unknown => None,
    }
}

fn title<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> DrawResult<(), DB> {
    let style = font(TITLE_FONT - 2.0).pos(Pos::new(HPos::Center, VPos::Top));
    let t = truncate_to_width(root, &crate::text::escape(text), &style, SIZE.0 as i32 - 40)?;
    root.draw(&Text::new(t, (SIZE.0 as i32 / 2, 14), style))
}

/// Row labels (trigger values, bottom up) left of the plot, and the trigger field above them;
/// the load field under the plot.
fn axis_names<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &Map,
    rows_y: &dyn Fn(usize) -> i32,
) -> DrawResult<(), DB> {
    let (left, top, right, bottom) = plot_rect();
    let tick = font(TICK_FONT).pos(Pos::new(HPos::Right, VPos::Center));
    for (t, label) in map.trigger_labels.iter().enumerate() {
        let text = truncate_to_width(root, &crate::text::escape(label), &tick, LEFT - 24)?;
        root.draw(&Text::new(text, (left - 8, rows_y(t)), tick.clone()))?;
    }
    let desc = font(DESC_FONT).pos(Pos::new(HPos::Right, VPos::Bottom));
    let name = truncate_to_width(
        root,
        &format!("trigger: {}", crate::text::escape(&map.trigger_name())),
        &desc,
        LEFT + 200,
    )?;
    root.draw(&Text::new(name, (left + 200, top - 6), desc))?;
    let desc = font(DESC_FONT).pos(Pos::new(HPos::Center, VPos::Top));
    let name = truncate_to_width(
        root,
        &format!("load: {}", crate::text::escape(&map.load_paths.join(", "))),
        &desc,
        right - left,
    )?;
    root.draw(&Text::new(name, ((left + right) / 2, bottom + 40), desc))
}

/// Column labels (load values) under the plot at `x(l)`, every k-th when they would overlap.
fn column_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    x: &dyn Fn(usize) -> i32,
    spacing: f64,
) -> DrawResult<(), DB> {
    let (_, _, _, bottom) = plot_rect();
    let tick = font(TICK_FONT).pos(Pos::new(HPos::Center, VPos::Top));
    let widest = labels
        .iter()
        .map(|l| text_width(root, &crate::text::escape(l), &tick))
        .collect::<Result<Vec<i32>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let every = ((widest as f64 + 10.0) / spacing.max(1.0)).ceil().max(1.0) as usize;
    for (l, label) in labels.iter().enumerate() {
        if l % every == 0 {
            root.draw(&Text::new(
                crate::text::escape(label).into_owned(),
                (x(l), bottom + 8),
                tick.clone(),
            ))?;
        }
    }
    Ok(())
}

fn heat_map<DB: DrawingBackend>(
    map: &Map,
    i: usize,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (nl, nt) = (map.load_labels.len(), map.trigger_labels.len());
    title(
        root,
        &format!(
            "{}: P(metastable), {} ({}{} seed{} a cell)",
            map.scenario,
            map.strategies[i],
            if map.adaptive { "up to " } else { "" },
            map.seeds,
            if map.seeds == 1 { "" } else { "s" }
        ),
    )?;
    let (left, top, right, bottom) = plot_rect();
    let cw = (right - left) as f64 / nl as f64;
    let ch = (bottom - top) as f64 / nt as f64;
    // Column l spans [l - 0.5, l + 0.5]; row t (from the bottom) likewise.
    let px = |c: f64| left + ((c + 0.5) * cw).round() as i32;
    let py = |r: f64| bottom - ((r + 0.5) * ch).round() as i32;
    let value = font(TICK_FONT).pos(Pos::new(HPos::Center, VPos::Center));
    let fits = text_width(root, "0.00", &value)? + 6 <= cw as i32 && ch >= 18.0;
    for l in 0..nl {
        for t in 0..nt {
            let s = map.at(l, t, i);
            let (x0, x1) = (px(l as f64 - 0.5), px(l as f64 + 0.5));
            let (y0, y1) = (py(t as f64 + 0.5), py(t as f64 - 0.5));
            let color = s.p.map_or(NO_DATA_COLOR, p_color);
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))?;
            if s.p.is_some() && s.ci.0 <= 0.5 && s.ci.1 >= 0.5 {
                // Thinner in small cells, where a heavy outline would hide the colour.
                let (inset, width) = if cw.min(ch) < 30.0 { (2, 1) } else { (3, 2) };
                root.draw(&Rectangle::new(
                    [(x0 + inset, y0 + inset), (x1 - inset - 1, y1 - inset - 1)],
                    BLACK.stroke_width(width),
                ))?;
            }
            if fits {
                let text = s.p.map_or("–".to_string(), |p| format!("{p:.2}"));
                let dark = s.p.is_some_and(|p| !(0.2..=0.8).contains(&p));
                let style = value.clone().color(if dark { &WHITE } else { &TEXT_COLOR });
                // Above the row's centre line when there is room, where the boundary runs.
                let lift = if ch >= 44.0 { (ch / 4.0) as i32 } else { 0 };
                root.draw(&Text::new(
                    text,
                    ((x0 + x1) / 2, (y0 + y1) / 2 - lift),
                    style,
                ))?;
            }
        }
    }
    root.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        RGBColor(60, 60, 60).stroke_width(1),
    ))?;
    // The boundary: a line through the rows where it was found (consecutive rows only), its
    // interval as a whisker, and a hollow marker at the edge where it lies beyond the grid.
    let mut points: Vec<Option<(i32, i32)>> = Vec::new();
    for t in 0..nt {
        let b = map.boundary(i, t);
        let y = py(t as f64);
        let beyond = |e: Edge| matches!(e, Edge::Below(_) | Edge::Above(_));
        let same_edge =
            std::mem::discriminant(&b.low) == std::mem::discriminant(&b.high) && beyond(b.low);
        if let (Some(lo), Some(hi), false) = (
            edge_column(&map.load_numbers, b.low),
            edge_column(&map.load_numbers, b.high),
            same_edge,
        ) {
            let (a, z) = (px(lo), px(hi));
            root.draw(&PathElement::new(
                vec![(a, y), (z, y)],
                BOUNDARY_COLOR.stroke_width(2),
            ))?;
            for end in [a, z] {
                root.draw(&PathElement::new(
                    vec![(end, y - 6), (end, y + 6)],
                    BOUNDARY_COLOR.stroke_width(2),
                ))?;
            }
        }
        match b.estimate {
            Edge::At(_) => {
                let c = edge_column(&map.load_numbers, b.estimate).unwrap_or(0.0);
                points.push(Some((px(c), y)));
            }
            e => {
                points.push(None);
                if let Some(c) = edge_column(&map.load_numbers, e) {
                    root.draw(&Circle::new((px(c), y), 6, WHITE.filled()))?;
                    root.draw(&Circle::new((px(c), y), 6, BOUNDARY_COLOR.stroke_width(2)))?;
                }
            }
        }
    }
    for pair in points.windows(2) {
        if let [Some(a), Some(b)] = pair {
            root.draw(&PathElement::new(
                vec![*a, *b],
                BOUNDARY_COLOR.stroke_width(3),
            ))?;
        }
    }
    for p in points.iter().flatten() {
        root.draw(&Circle::new(*p, 5, BOUNDARY_COLOR.filled()))?;
        root.draw(&Circle::new(*p, 5, WHITE.stroke_width(1)))?;
    }
    column_labels(root, &map.load_labels, &|l| px(l as f64), cw)?;
    axis_names(root, map, &|t| py(t as f64))?;
    scale_and_legend(root)
}

/// The colour scale and what the marks mean, right of the plot.
fn scale_and_legend<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    let (_, top, right, _) = plot_rect();
    let x = right + 36;
    let (y0, y1) = (top + 24, top + 224);
    root.draw(&Text::new(
        "P(metastable)",
        (x - 10, top),
        font(DESC_FONT).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    for y in y0..y1 {
        let p = (y1 - y) as f64 / (y1 - y0) as f64;
        root.draw(&PathElement::new(vec![(x, y), (x + 22, y)], p_color(p)))?;
    }
    root.draw(&Rectangle::new(
        [(x, y0), (x + 22, y1)],
        RGBColor(60, 60, 60),
    ))?;
    let tick = font(TICK_FONT).pos(Pos::new(HPos::Left, VPos::Center));
    for (p, label) in [(1.0, "1"), (0.5, "0.5"), (0.0, "0")] {
        let y = y1 - ((y1 - y0) as f64 * p).round() as i32;
        root.draw(&PathElement::new(vec![(x + 22, y), (x + 28, y)], BLACK))?;
        root.draw(&Text::new(label, (x + 32, y), tick.clone()))?;
    }
    let note = font(LEGEND_FONT).pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = y1 + 36;
    root.draw(&PathElement::new(
        vec![(x - 10, y), (x + 18, y)],
        BOUNDARY_COLOR.stroke_width(3),
    ))?;
    root.draw(&Circle::new((x + 4, y), 5, BOUNDARY_COLOR.filled()))?;
    root.draw(&Text::new("p = 0.5 boundary", (x + 26, y), note.clone()))?;
    y += 26;
    root.draw(&PathElement::new(
        vec![(x - 10, y), (x + 18, y)],
        BOUNDARY_COLOR.stroke_width(2),
    ))?;
    for end in [x - 10, x + 18] {
        root.draw(&PathElement::new(
            vec![(end, y - 6), (end, y + 6)],
            BOUNDARY_COLOR.stroke_width(2),
        ))?;
    }
    root.draw(&Text::new("its 95% interval", (x + 26, y), note.clone()))?;
    y += 26;
    root.draw(&Rectangle::new(
        [(x - 8, y - 9), (x + 16, y + 9)],
        BLACK.stroke_width(2),
    ))?;
    root.draw(&Text::new("interval holds 0.5", (x + 26, y), note.clone()))?;
    y += 26;
    root.draw(&Rectangle::new(
        [(x - 8, y - 9), (x + 16, y + 9)],
        NO_DATA_COLOR.filled(),
    ))?;
    root.draw(&Text::new("no verdict", (x + 26, y), note.clone()))?;
    y += 26;
    root.draw(&Circle::new((x + 4, y), 6, BOUNDARY_COLOR.stroke_width(2)))?;
    root.draw(&Text::new("beyond the loads run", (x + 26, y), note))?;
    Ok(())
}

/// Every strategy's boundary: load (numbers) on x, trigger rows on y.
fn boundaries<DB: DrawingBackend>(map: &Map, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (nl, nt, ns) = (
        map.load_labels.len(),
        map.trigger_labels.len(),
        map.strategies.len(),
    );
    title(
        root,
        &format!(
            "{}: where P(metastable) = 0.5, by strategy ({}{} seed{} a cell)",
            map.scenario,
            if map.adaptive { "up to " } else { "" },
            map.seeds,
            if map.seeds == 1 { "" } else { "s" }
        ),
    )?;
    let (left, top, right, bottom) = plot_rect();
    let (lo, hi) = (map.load_numbers[0], map.load_numbers[nl - 1]);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let pad = span * 0.04;
    let px = |x: f64| {
        left + ((x - lo + pad) / (span + 2.0 * pad) * (right - left) as f64).round() as i32
    };
    let ch = (bottom - top) as f64 / nt as f64;
    // Each strategy a little off the row's centre, so whiskers do not hide each other.
    let py = |t: usize, i: usize| {
        let off = if ns > 1 {
            (i as f64 / (ns - 1) as f64 - 0.5) * ch * 0.5
        } else {
            0.0
        };
        bottom - ((t as f64 + 0.5) * ch + off).round() as i32
    };
    let grid = RGBColor(225, 225, 225);
    for t in 0..nt {
        let y = bottom - ((t as f64 + 0.5) * ch).round() as i32;
        root.draw(&PathElement::new(vec![(left, y), (right, y)], grid))?;
    }
    for &x in &map.load_numbers {
        root.draw(&PathElement::new(vec![(px(x), top), (px(x), bottom)], grid))?;
    }
    root.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        RGBColor(60, 60, 60).stroke_width(1),
    ))?;
    let at = |e: Edge| match e {
        Edge::Below(_) => Some(lo - pad),
        Edge::At(x) => Some(x),
        Edge::Above(_) => Some(hi + pad),
        Edge::Unknown => None,
    };
    for i in 0..ns {
        let color = strategy_color(i);
        let mut line = Vec::new();
        for t in 0..nt {
            let b = map.boundary(i, t);
            let y = py(t, i);
            let beyond = |e: Edge| matches!(e, Edge::Below(_) | Edge::Above(_));
            let same_edge =
                std::mem::discriminant(&b.low) == std::mem::discriminant(&b.high) && beyond(b.low);
            if let (Some(a), Some(z), false) = (at(b.low), at(b.high), same_edge) {
                root.draw(&PathElement::new(
                    vec![(px(a), y), (px(z), y)],
                    color.stroke_width(2),
                ))?;
                for end in [px(a), px(z)] {
                    root.draw(&PathElement::new(
                        vec![(end, y - 5), (end, y + 5)],
                        color.stroke_width(2),
                    ))?;
                }
            }
            if let Some(x) = at(b.estimate) {
                line.push(((px(x), y), matches!(b.estimate, Edge::At(_))));
            }
        }
        // Joined between consecutive rows where it was found between two loads.
        for pair in line.windows(2) {
            if pair[0].1 && pair[1].1 {
                root.draw(&PathElement::new(
                    vec![pair[0].0, pair[1].0],
                    color.stroke_width(2),
                ))?;
            }
        }
        for (p, found) in line {
            if found {
                root.draw(&Circle::new(p, 5, color.filled()))?;
            } else {
                root.draw(&Circle::new(p, 5, color.stroke_width(2)))?;
            }
        }
    }
    let labels: Vec<String> = map.load_labels.clone();
    let spacing = if nl > 1 {
        (px(map.load_numbers[1]) - px(map.load_numbers[0])) as f64
    } else {
        (right - left) as f64
    };
    column_labels(root, &labels, &|l| px(map.load_numbers[l]), spacing)?;
    axis_names(root, map, &|t| {
        bottom - ((t as f64 + 0.5) * ch).round() as i32
    })?;
    // Legend: one entry per strategy, and what a hollow marker means.
    let x = right + 26;
    let note = font(LEGEND_FONT).pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = top + 10;
    for (i, name) in map.strategies.iter().enumerate().take(16) {
        let color = strategy_color(i);
        root.draw(&PathElement::new(
            vec![(x, y), (x + 24, y)],
            color.stroke_width(2),
        ))?;
        root.draw(&Circle::new((x + 12, y), 5, color.filled()))?;
        let text = truncate_to_width(root, &crate::text::escape(name), &note, RIGHT_AREA - 50)?;
        root.draw(&Text::new(text, (x + 32, y), note.clone()))?;
        y += 24;
    }
    let small = font(LEGEND_MINOR_FONT).pos(Pos::new(HPos::Left, VPos::Top));
    y += 10;
    for line in [
        "whiskers: 95% interval",
        "hollow marker at an edge:",
        "p crosses 0.5 beyond",
        "the loads run",
    ] {
        root.draw(&Text::new(line, (x, y), small.clone()))?;
        y += 16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::phase::{wilson, CellStats};

    fn tiny() -> Map {
        let stats = |k: u32| CellStats {
            runs: 4,
            judged: 4,
            metastable: k,
            recovered: 4 - k,
            p: Some(k as f64 / 4.0),
            ci: wilson(k, 4),
            recovery_p50_s: None,
            recovery_p90_s: None,
            replay_seed: None,
        };
        Map {
            scenario: "st<o>rm".into(),
            scenario_file: "f.toml".into(),
            scenario_sha256: String::new(),
            seed: 1,
            seeds: 4,
            adaptive: false,
            format: ImageFormat::Svg,
            horizon_s: None,
            load_paths: vec!["clients.rps".into()],
            load_labels: vec!["1".into(), "2".into(), "3".into()],
            load_numbers: vec![1.0, 2.0, 3.0],
            trigger_path: Some("timeline.0.rps".into()),
            trigger_labels: vec!["10".into(), "20".into()],
            strategies: vec!["a\u{1b}b".into(), "c".into()],
            stats: (0..6)
                .map(|c| vec![stats((c / 2) as u32 * 2), stats(0)])
                .collect(),
        }
    }

    #[test]
    fn charts_are_one_per_strategy_and_the_boundaries_and_the_same_bytes_each_time() {
        let map = tiny();
        let png = render(&map, ImageFormat::Png).unwrap();
        let stems: Vec<&str> = png.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(stems, ["phase_a_b", "phase_c", "boundaries"]);
        assert!(png.iter().all(|(_, b)| b.starts_with(b"\x89PNG")));
        assert_eq!(png, render(&map, ImageFormat::Png).unwrap());
        let svg = render(&map, ImageFormat::Svg).unwrap();
        let text = String::from_utf8(svg[0].1.clone()).unwrap();
        // A name a user typed is escaped: no raw control character, no raw `<`.
        assert!(!text.contains('\u{1b}') && !text.contains("st<o>rm"));
    }

    #[test]
    fn stems_are_safe_file_names_and_distinct() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            stems(&names(&["naive", "pool+queue-timeout"])),
            ["phase_naive", "phase_pool+queue-timeout"]
        );
        assert_eq!(
            stems(&names(&["a/b", "a b", "c"])),
            ["phase_1_a_b", "phase_2_a_b", "phase_3_c"]
        );
        for s in stems(&names(&["../x", "é"])) {
            assert!(
                crate::workflow::phase::output::is_output_name(&format!("{s}.png")),
                "{s}"
            );
        }
    }
}
