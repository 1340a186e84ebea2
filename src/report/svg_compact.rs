//! A chart's SVG made small for inlining in `report.html`, drawing the same.
//!
//! plotters' SVG backend writes a line segment by segment (a `<polyline>` or `<line>` each, in
//! absolute coordinates), every element with `opacity="1"`, and every text with
//! `font-family="sans-serif"` (which the page's style sheet overrides with the embedded font)
//! and a font size of 17 digits. [`compact`] rewrites it:
//! - each run of consecutive segments of one style becomes one `<path>` (continuing a segment
//!   that starts where the last ended), and each filled `<polygon>` (a band of replications) a
//!   `<path>`; path data is relative (`l`, `h`, `v`, `m`), to a tenth of a pixel, with steps in
//!   one direction merged (exact: the same pixels);
//! - a band's edge keeps, of the points that share one pixel column, the first, the highest,
//!   the lowest and the last, as the lines are drawn ([`super::charts`]' pixel paths): a band
//!   of a run longer than the plot is wide has at most four points a column per edge, and a
//!   one-bucket spike keeps its height;
//! - a straight dashed line (a timeline mark, a capacity line), which plotters draws as a
//!   segment per dash, is one line with a `stroke-dasharray` of its dash and gap lengths;
//! - `opacity="1"` and `font-family="sans-serif"` are dropped, font sizes kept to a hundredth,
//!   and a text's content is put on the line of its element.
//!
//! Anything else passes through unchanged.

use std::fmt::Write as _;

/// A point in tenths of a pixel.
type Point = (i64, i64);

/// The fill plotters gives the charts' text (`TEXT_COLOR`): the root element gives it, and a
/// text in it inherits it instead of naming it.
const TEXT_FILL: &str = " fill=\"#141414\"";

/// `svg` (as plotters writes it, with or without `data-s` tags) made smaller, drawing the
/// same; see the module's documentation.
pub fn compact(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len() / 2);
    // The open path (its attributes and its pieces), and the texts met since it opened: a
    // segment of the open path's style continues it past a text (a tick past its label), the
    // path then drawn before the texts, which it does not overlap.
    let mut open: Option<(String, Vec<Vec<Point>>)> = None;
    let mut held = String::new();
    let mut lines = svg.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<?xml") {
            continue;
        }
        if let Some((style, points)) = segment(line) {
            match &mut open {
                Some((s, pieces)) if *s == style => match pieces.last_mut() {
                    Some(last) if last.last() == points.first() => {
                        last.extend_from_slice(&points[1..]);
                    }
                    _ => pieces.push(points),
                },
                _ => {
                    close(&mut out, open.take(), &mut held);
                    open = Some((style, vec![points]));
                }
            }
            continue;
        }
        if line.starts_with("<text ") && line.ends_with('>') && !line.contains("</text>") {
            // plotters writes a text on three lines: the element, its content, `</text>`.
            let mut rest = Vec::new();
            for next in lines.by_ref() {
                if next == "</text>" {
                    break;
                }
                rest.push(next);
            }
            let target = if open.is_some() { &mut held } else { &mut out };
            text(target, line, &rest);
            continue;
        }
        close(&mut out, open.take(), &mut held);
        if let Some(path) = polygon(line) {
            out.push_str(&path);
        } else if line.starts_with("<svg ") && line.ends_with('>') {
            out.push_str(&line[..line.len() - 1]);
            out.push_str(TEXT_FILL);
            out.push('>');
        } else {
            out.push_str(&attributes(line));
        }
        out.push('\n');
    }
    close(&mut out, open.take(), &mut held);
    out
}

/// Path data (a `<path>`'s `d`) of the closed outline through `points` (px, kept to a tenth):
/// relative steps, repeated points dropped and steps in one direction merged.
pub fn closed_path(points: &[(f64, f64)]) -> String {
    let tenths: Vec<Point> = points
        .iter()
        .map(|&(x, y)| ((x * 10.0).round() as i64, (y * 10.0).round() as i64))
        .collect();
    path_data(&[tenths], true)
}

/// Writes the open path, if any (a straight dashed line in it as a path of its own, see
/// [`straight_dashes`]), then the texts held while it was open.
fn close(out: &mut String, open: Option<(String, Vec<Vec<Point>>)>, held: &mut String) {
    if let Some((style, pieces)) = open {
        let mut plain: Vec<Vec<Point>> = Vec::new();
        let mut start = 0;
        while start < pieces.len() {
            match straight_dashes(&pieces[start..]) {
                Some((n, dash, gap)) => {
                    let line = vec![pieces[start][0], pieces[start + n - 1][1]];
                    let _ = write!(out, "<path {style} stroke-dasharray=\"");
                    number(out, dash, true);
                    number(out, gap, false);
                    let _ = writeln!(out, "\" d=\"{}\"/>", path_data(&[line], false));
                    start += n;
                }
                None => {
                    plain.push(pieces[start].clone());
                    start += 1;
                }
            }
        }
        if !plain.is_empty() {
            let _ = writeln!(out, "<path {style} d=\"{}\"/>", path_data(&plain, false));
        }
    }
    out.push_str(held);
    held.clear();
}

/// Fewest dashes [`straight_dashes`] draws as one dashed line.
const MIN_DASHES: usize = 8;

/// Whether `pieces` start with the dashes of a straight dashed line as plotters draws it (a
/// segment per dash, all on one line in one direction, each but the last of one length, with
/// gaps of one length between them): then how many, and the dash and gap length (tenths of a
/// pixel), which a `stroke-dasharray` draws exactly so.
fn straight_dashes(pieces: &[Vec<Point>]) -> Option<(usize, i64, i64)> {
    let two = |p: &Vec<Point>| -> Option<(Point, Point)> {
        match p.as_slice() {
            [a, b] if a != b => Some((*a, *b)),
            _ => None,
        }
    };
    let (a, b) = two(pieces.first()?)?;
    let step = (b.0 - a.0, b.1 - a.1);
    // Along the line, in steps of the one direction: a vertical or horizontal line only.
    let along = |p: Point| -> Option<i64> {
        match step {
            (0, dy) if p.0 == a.0 => Some((p.1 - a.1) * dy.signum()),
            (dx, 0) if p.1 == a.1 => Some((p.0 - a.0) * dx.signum()),
            _ => None,
        }
    };
    let dash = along(b)?;
    let mut n = 1;
    let mut gap = None;
    let mut end = dash;
    while let Some((c, d)) = pieces.get(n).and_then(two) {
        let (Some(c), Some(d)) = (along(c), along(d)) else {
            break;
        };
        let this_gap = c - end;
        let length = d - c;
        if this_gap <= 0 || gap.is_some_and(|g| g != this_gap) || length <= 0 || length > dash {
            break;
        }
        gap = Some(this_gap);
        end = d;
        n += 1;
        if length < dash {
            // Cut short: the line's end.
            break;
        }
    }
    (n >= MIN_DASHES).then_some((n, dash, gap?))
}

/// Appends a text of plotters (its element's line and the lines of its content) on one line,
/// or nothing when it has no content.
fn text(out: &mut String, element: &str, content: &[&str]) {
    if content.iter().all(|c| c.is_empty()) {
        return;
    }
    out.push_str(&attributes(element).replacen(TEXT_FILL, "", 1));
    if let [one] = content {
        out.push_str(one);
    } else {
        for c in content {
            out.push('\n');
            out.push_str(c);
        }
        out.push('\n');
    }
    out.push_str("</text>\n");
}

/// A `<polyline>` (unfilled) or `<line>` of plotters' SVG backend as (the attributes a
/// `<path>` of it takes, its points), or `None` for any other element.
fn segment(line: &str) -> Option<(String, Vec<Point>)> {
    if let Some(rest) = line.strip_prefix("<polyline ") {
        let (style, tail) = rest.split_once(" points=\"")?;
        let points = point_list(tail.strip_suffix("\"/>")?)?;
        if !style.contains("fill=\"none\"") || points.len() < 2 {
            return None;
        }
        return Some((attributes(style), points));
    }
    let rest = line.strip_prefix("<line ")?;
    let (style, tail) = rest.split_once(" x1=\"")?;
    let tail = format!("x1=\"{tail}");
    if !tail.ends_with("\"/>") {
        return None;
    }
    let attr = |name: &str| -> Option<i64> {
        let i = tail.find(&format!("{name}=\""))? + name.len() + 2;
        tenths(tail[i..].split('"').next()?)
    };
    let points = vec![(attr("x1")?, attr("y1")?), (attr("x2")?, attr("y2")?)];
    Some((attributes(&format!("fill=\"none\" {style}")), points))
}

/// A filled `<polygon>` as a `<path>` (its edge thinned per pixel column, see the module's
/// documentation), or `None` for any other element.
fn polygon(line: &str) -> Option<String> {
    let rest = line.strip_prefix("<polygon ")?;
    let (style, tail) = rest.split_once(" points=\"")?;
    let points = point_list(tail.strip_suffix("\"/>")?)?;
    if points.len() < 3 {
        return None;
    }
    Some(format!(
        "<path {} d=\"{}\"/>",
        attributes(style),
        path_data(&[thin_columns(&points)], true)
    ))
}

/// `x,y x,y ...` as points, or `None` if a number does not read.
fn point_list(text: &str) -> Option<Vec<Point>> {
    text.split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((tenths(x)?, tenths(y)?))
        })
        .collect()
}

/// A coordinate in tenths of a pixel, or `None` if it is not a finite number.
fn tenths(s: &str) -> Option<i64> {
    let v: f64 = s.trim().parse().ok()?;
    v.is_finite().then(|| (v * 10.0).round() as i64)
}

/// Of each run of consecutive points in one pixel column, the first, the highest, the lowest
/// and the last (in their order), repeated points dropped: the same column-by-column extent.
pub fn thin_columns(points: &[Point]) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    let mut start = 0;
    while start < points.len() {
        let column = points[start].0.div_euclid(10);
        let end = points[start..]
            .iter()
            .position(|p| p.0.div_euclid(10) != column)
            .map_or(points.len(), |n| start + n);
        let run = &points[start..end];
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in run.iter().enumerate() {
            if p.1 < run[lo].1 {
                lo = i;
            }
            if p.1 > run[hi].1 {
                hi = i;
            }
        }
        let mut keep = [0, lo.min(hi), lo.max(hi), run.len() - 1];
        keep.sort_unstable();
        for i in keep {
            if out.last() != Some(&run[i]) {
                out.push(run[i]);
            }
        }
        start = end;
    }
    out
}

/// Path data of `pieces` (each drawn from its first point on; `closed`: each closed back to
/// it), in relative steps, steps in one direction merged. An open piece is drawn from its end
/// when that lies nearer the last piece's end (a stroke is the same either way): a grid's lines
/// then go up and down in turn.
fn path_data(pieces: &[Vec<Point>], closed: bool) -> String {
    let mut d = String::new();
    // The current point.
    let mut at: Option<Point> = None;
    for piece in pieces {
        let (Some(&first), Some(&end)) = (piece.first(), piece.last()) else {
            continue;
        };
        let distance = |p: Point, q: Point| (p.0 - q.0).abs() + (p.1 - q.1).abs();
        let reversed: Vec<Point>;
        let (piece, first) = match at {
            Some(p) if !closed && distance(p, end) < distance(p, first) => {
                reversed = piece.iter().rev().copied().collect();
                (&reversed, end)
            }
            _ => (piece, first),
        };
        // The command bare numbers continue: after a move, a line (absolute after `M`).
        let mut command = match at {
            None => {
                d.push('M');
                number(&mut d, first.0, true);
                number(&mut d, first.1, false);
                'L'
            }
            Some(p) => {
                d.push('m');
                number(&mut d, first.0 - p.0, true);
                number(&mut d, first.1 - p.1, false);
                'l'
            }
        };
        let mut steps: Vec<Point> = Vec::with_capacity(piece.len());
        for w in piece.windows(2) {
            let step = (w[1].0 - w[0].0, w[1].1 - w[0].1);
            if step == (0, 0) {
                continue;
            }
            match steps.last_mut() {
                // Exactly on in the same direction: one step.
                Some(last)
                    if last.0 * step.1 == last.1 * step.0
                        && last.0 * step.0 + last.1 * step.1 > 0 =>
                {
                    last.0 += step.0;
                    last.1 += step.1;
                }
                _ => steps.push(step),
            }
        }
        for (dx, dy) in steps {
            let (next, args): (char, &[i64]) = if dy == 0 {
                ('h', &[dx])
            } else if dx == 0 {
                ('v', &[dy])
            } else {
                ('l', &[dx, dy])
            };
            let fresh = next != command;
            if fresh {
                d.push(next);
                command = next;
            }
            for (k, &a) in args.iter().enumerate() {
                number(&mut d, a, fresh && k == 0);
            }
        }
        let end = piece.last().copied().unwrap_or(first);
        if closed {
            d.push('z');
            at = Some(first);
        } else {
            at = Some(end);
        }
    }
    d
}

/// Appends `tenths` of a pixel as a number, after a space unless it follows a command letter
/// (`first`) or starts with a minus sign.
fn number(d: &mut String, tenths: i64, first: bool) {
    if !first && tenths >= 0 {
        d.push(' ');
    }
    if tenths % 10 == 0 {
        let _ = write!(d, "{}", tenths / 10);
    } else {
        let sign = if tenths < 0 { "-" } else { "" };
        let a = tenths.abs();
        let _ = write!(d, "{sign}{}.{}", a / 10, a % 10);
    }
}

/// An element's attributes as plotters writes them, without `opacity="1"` and
/// `font-family="sans-serif"` and with the font size to a hundredth.
fn attributes(s: &str) -> String {
    let mut out = s
        .replace(" opacity=\"1\"", "")
        .replace(" font-family=\"sans-serif\"", "");
    const SIZE: &str = " font-size=\"";
    if let Some(i) = out.find(SIZE).map(|i| i + SIZE.len()) {
        if let Some(n) = out[i..].find('"') {
            if let Ok(v) = out[i..i + n].parse::<f64>() {
                let short = format!("{v:.2}");
                let short = short.trim_end_matches('0').trim_end_matches('.');
                out.replace_range(i..i + n, short);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_segments_of_one_style_become_one_relative_path() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"9\">\n\
            <polyline fill=\"none\" opacity=\"1\" stroke=\"#000\" stroke-width=\"1\" points=\"1,2 3,4 \"/>\n\
            <polyline fill=\"none\" opacity=\"1\" stroke=\"#000\" stroke-width=\"1\" points=\"3,4 5,6 6,6 8,6 \"/>\n\
            <polyline fill=\"none\" opacity=\"1\" stroke=\"#000\" stroke-width=\"1\" points=\"7,8 9,9 \"/>\n\
            <line opacity=\"1\" stroke=\"#111\" stroke-width=\"1\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"9\"/>\n\
            <text x=\"1\" font-family=\"sans-serif\" font-size=\"12.903225806451614\" opacity=\"1\" fill=\"#141414\">\na\n</text>\n\
            <line opacity=\"1\" stroke=\"#111\" stroke-width=\"1\" x1=\"2\" y1=\"9\" x2=\"2\" y2=\"1\"/>\n\
            <text x=\"2\" font-family=\"sans-serif\" font-size=\"12\" opacity=\"1\" fill=\"#141414\">\n\n</text>\n\
            <text x=\"3\" font-family=\"sans-serif\" font-size=\"12\" opacity=\"1\" fill=\"#FF0000\">\nb\n</text>\n\
            <rect x=\"0\" opacity=\"1\" fill=\"#FFFFFF\"/>\n</svg>";
        // The tick past its label joins the first tick (drawn from its nearer end), the label
        // after them; the empty text goes, a text not in the usual colour keeps its own.
        assert_eq!(
            compact(svg),
            "<svg width=\"9\" fill=\"#141414\">\n\
             <path fill=\"none\" stroke=\"#000\" stroke-width=\"1\" d=\"M1 2l4 4h3m-1 2 2 1\"/>\n\
             <path fill=\"none\" stroke=\"#111\" stroke-width=\"1\" d=\"M0 1v8m2 0v-8\"/>\n\
             <text x=\"1\" font-size=\"12.9\">a</text>\n\
             <text x=\"3\" font-size=\"12\" fill=\"#FF0000\">b</text>\n\
             <rect x=\"0\" fill=\"#FFFFFF\"/>\n</svg>\n"
        );
    }

    fn polylines(pieces: &[[(i64, i64); 2]]) -> String {
        pieces
            .iter()
            .map(|[(a, b), (c, d)]| {
                format!(
                    "<polyline fill=\"none\" opacity=\"1\" stroke=\"#828282\" stroke-width=\"1\" points=\"{a},{b} {c},{d} \"/>\n"
                )
            })
            .collect()
    }

    #[test]
    fn a_straight_dashed_line_is_one_path_with_its_dash_pattern_and_ticks_are_not() {
        // A vertical line dashed 5 on, 4 off from 0 down to 100, as plotters draws it, then a
        // tick: one dashed path, the tick on its own.
        let mut pieces: Vec<[(i64, i64); 2]> = (0..12)
            .map(|k| [(10, 9 * k), (10, (9 * k + 5).min(100))])
            .collect();
        pieces.push([(10, 120), (15, 120)]);
        assert_eq!(
            compact(&polylines(&pieces)),
            "<path fill=\"none\" stroke=\"#828282\" stroke-width=\"1\" stroke-dasharray=\"5 4\" d=\"M10 0v100\"/>\n\
             <path fill=\"none\" stroke=\"#828282\" stroke-width=\"1\" d=\"M10 120h5\"/>\n"
        );
        // Ticks, side by side across their direction, and segments in one line with gaps
        // of different lengths: no dashed line.
        let ticks: Vec<[(i64, i64); 2]> = (0..8).map(|k| [(86, 26 * k), (91, 26 * k)]).collect();
        assert!(!compact(&polylines(&ticks)).contains("dasharray"));
        let ragged: Vec<[(i64, i64); 2]> = [0, 9, 25, 31, 50, 52]
            .iter()
            .map(|&y| [(10, y), (10, y + 5)])
            .collect();
        assert!(!compact(&polylines(&ragged)).contains("dasharray"));
    }

    /// The absolute points a path of [`path_data`] visits, in tenths (a `z` visits the
    /// start of its piece).
    fn visited(d: &str) -> Vec<Point> {
        // Commands with their numbers.
        let mut commands: Vec<(char, Vec<i64>)> = Vec::new();
        let mut token = String::new();
        for c in d.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() || c == '.' {
                token.push(c);
                continue;
            }
            if !token.is_empty() {
                commands.last_mut().unwrap().1.push(tenths(&token).unwrap());
                token.clear();
            }
            if c == '-' {
                token.push(c);
            } else if c.is_ascii_alphabetic() {
                commands.push((c, Vec::new()));
            }
        }
        let mut out = Vec::new();
        let (mut at, mut start) = ((0, 0), (0, 0));
        for (command, nums) in commands {
            if command == 'z' {
                at = start;
                out.push(at);
                continue;
            }
            let arity = if matches!(command, 'h' | 'v') { 1 } else { 2 };
            for (k, a) in nums.chunks(arity).enumerate() {
                at = match command {
                    'M' | 'L' => (a[0], a[1]),
                    'm' | 'l' => (at.0 + a[0], at.1 + a[1]),
                    'h' => (at.0 + a[0], at.1),
                    'v' => (at.0, at.1 + a[0]),
                    _ => panic!("command {command}"),
                };
                if matches!(command, 'M' | 'm') && k == 0 {
                    start = at;
                }
                out.push(at);
            }
        }
        out
    }

    #[test]
    fn a_one_bucket_spike_keeps_its_height_when_a_band_is_thinned() {
        // A band of 1,000 buckets over 100 px: 10 points a pixel column on each edge, one of
        // them a spike up to y = 5 (the rest between 150 and 160) and, on the lower edge, one
        // down to y = 290.
        let n = 1000;
        let upper = |k: usize| {
            if k == 234 {
                50
            } else {
                (1500 + 10 * (k % 11)) as i64
            }
        };
        let lower = |k: usize| {
            if k == 777 {
                2900
            } else {
                (2000 + 10 * (k % 7)) as i64
            }
        };
        let x = |k: usize| format!("{}.{}", 100 + k / 10, k % 10);
        let mut points: Vec<String> = (0..n)
            .map(|k| format!("{},{}", x(k), upper(k) / 10))
            .collect();
        points.extend((0..n).rev().map(|k| format!("{},{}", x(k), lower(k) / 10)));
        let line = format!(
            "<polygon opacity=\"0.16\" fill=\"#0072B2\" points=\"{}\"/>",
            points.join(" ")
        );
        let out = compact(&line);
        assert!(
            out.len() * 3 < line.len(),
            "{} of {} bytes",
            out.len(),
            line.len()
        );
        let d = out.split("d=\"").nth(1).unwrap().trim_end_matches("\"/>\n");
        let drawn = visited(d);
        // At most four points a column per edge (and the closing point).
        assert!(drawn.len() <= 2 * 4 * 100 + 1, "{} points", drawn.len());
        // Every column keeps its extent: the spike's column still reaches its height, and the
        // dip's its depth.
        let column = |k: usize| (100 + k / 10) as i64;
        // The outline's heights within pixel column `c`: at its corners there and where its
        // edges cross each tenth of a pixel (a corner on a straight stretch is not kept).
        let in_column = |c: i64| {
            let mut ys = Vec::new();
            for w in drawn.windows(2) {
                let (p, q) = (w[0], w[1]);
                for x in p.0.min(q.0)..=p.0.max(q.0) {
                    if x.div_euclid(10) != c {
                        continue;
                    }
                    if p.0 == q.0 {
                        ys.extend([p.1, q.1]);
                    } else {
                        let y =
                            p.1 as f64 + (q.1 - p.1) as f64 * (x - p.0) as f64 / (q.0 - p.0) as f64;
                        ys.push(y.round() as i64);
                    }
                }
            }
            ys.into_iter()
        };
        for c in 100..200 {
            let ks = (0..n).filter(|&k| column(k) == c);
            let top = ks.clone().map(upper).min();
            let bottom = ks.map(lower).max();
            assert_eq!(in_column(c).min(), top, "column {c}");
            assert_eq!(in_column(c).max(), bottom, "column {c}");
        }
        assert_eq!(in_column(column(234)).min(), Some(50));
        assert_eq!(in_column(column(777)).max(), Some(2900));
        // Closed back to its start.
        assert!(d.ends_with('z'));
        assert_eq!(drawn.last(), Some(&(1000, upper(0))));
    }

    #[test]
    fn a_closed_outline_drops_repeated_points() {
        let d = closed_path(&[
            (64.0, 96.0),
            (73.0, 96.0),
            (73.0, 96.0),
            (83.0, 96.0),
            (83.0, 94.54),
            (64.0, 94.54),
        ]);
        assert_eq!(d, "M64 96h19v-1.5h-19z");
    }

    #[test]
    fn relative_steps_visit_every_point_kept() {
        let pieces = vec![
            vec![
                (1000, 500),
                (1010, 490),
                (1020, 480),
                (1030, 480),
                (1045, 480),
                (1045, 470),
            ],
            vec![(20, -35), (25, 35)],
        ];
        let d = path_data(&pieces, false);
        // The second piece drawn from its end, the nearer.
        assert_eq!(d, "M100 50l2-2h2.5v-1m-102-43.5-0.5-7");
        // One step of a direction merged, none lost.
        assert_eq!(
            visited(&d),
            vec![
                (1000, 500),
                (1020, 480),
                (1045, 480),
                (1045, 470),
                (25, 35),
                (20, -35)
            ]
        );
        // A band (closed) is never turned round.
        assert_eq!(
            path_data(
                &[
                    vec![(0, 0), (10, 0), (10, 10)],
                    vec![(30, 30), (20, 10), (20, 20)]
                ],
                true
            ),
            "M0 0h1v1zm3 3-1-2v1z"
        );
    }
}
