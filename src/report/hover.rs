//! What `report.html`'s script needs to show values under the pointer: per chart, where its
//! plot lies across the image and what the values are, written as a `data-hover` attribute
//! (JSON, HTML-escaped) after the chart's SVG.
//!
//! The script maps the pointer's position across the plot (`x`, px of the SVG's own
//! coordinates) onto the chart's horizontal `domain` (linear, or powers of ten when `log`),
//! then shows, for each series still shown, the value at the last key at or before it. Series
//! are strategies (their names come from the page's legend) and keys are times or latencies.

use std::fmt::Write as _;

use crate::metrics::{BucketRow, StrategyResult, StudyResult};

/// The keys of a chart's values: one list for every series (times of buckets), or one list
/// per series (the latencies of a distribution).
#[derive(Clone, Debug, PartialEq)]
pub enum Keys {
    /// The same keys for every series.
    Shared(Vec<f64>),
    /// Each series' own keys, in series order.
    PerSeries(Vec<Vec<f64>>),
}

/// A chart's values for the hover script.
#[derive(Clone, Debug, PartialEq)]
pub struct HoverData {
    /// Left and right end of the plot, px of the SVG's coordinates.
    pub x: (f64, f64),
    /// The keys at the plot's left and right end (exponents of ten when `log`).
    pub domain: (f64, f64),
    /// Whether the keys are on a logarithmic axis (latencies in ms, the domain in decades).
    pub log: bool,
    /// What the key is, shown before it: `time` (seconds) or `within` (ms).
    pub x_label: &'static str,
    /// Whether the values are shares, shown as percentages.
    pub percent: bool,
    /// Unit of the values, shown after each (empty for shares and ratios).
    pub unit: &'static str,
    /// The keys of the values.
    pub keys: Keys,
    /// The strategy (index in the page's legend) of each series.
    pub series: Vec<usize>,
    /// The name of each series when they are not strategies (causes of one strategy's
    /// queries, nodes); empty for strategies.
    pub names: Vec<String>,
    /// For small multiples that show one panel's values at a time (the node load): each
    /// panel's top and bottom (px of the SVG's coordinates) and strategy, and each series'
    /// panel; `None` for a chart whose values are shown together.
    pub panels: Option<Panels>,
    /// The value shown before the first key (a distribution's 0% within, 100% slower).
    pub before: Option<f64>,
    /// The element's id, for a chart that reads these values (`None`: no id).
    pub id: Option<&'static str>,
    /// The id of another chart's values to show, complemented (1 − v), instead of its own
    /// (the share within a latency, from the share slower): its series, keys and values then
    /// stay empty here.
    pub complement_of: Option<&'static str>,
    /// Each series' values, one per key.
    pub values: Vec<Vec<f64>>,
}

/// Panels of small multiples, each with its own series (see [`HoverData::panels`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panels {
    /// Each panel's top and bottom, px of the SVG's coordinates, and its strategy.
    pub spans: Vec<(f64, f64, usize)>,
    /// The panel of each series, in series order.
    pub of_series: Vec<usize>,
}

/// `v` in JSON with `sig` significant digits (`null` when not finite; whole numbers keep
/// every digit).
fn num(out: &mut String, v: f64, sig: i32) {
    if !v.is_finite() {
        out.push_str("null");
    } else if v == 0.0 {
        out.push('0');
    } else {
        let digits = (sig - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
        let s = format!("{v:.digits$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        out.push_str(if s == "-0" { "0" } else { s });
    }
}

fn list(out: &mut String, vs: &[f64], sig: i32) {
    out.push('[');
    for (k, v) in vs.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        num(out, *v, sig);
    }
    out.push(']');
}

/// The chart's values as JSON.
pub fn json(d: &HoverData) -> String {
    let mut j = String::with_capacity(1024);
    j.push_str("{\"x\":");
    list(&mut j, &[d.x.0, d.x.1], 6);
    j.push_str(",\"d\":");
    list(&mut j, &[d.domain.0, d.domain.1], 6);
    let _ = write!(
        j,
        ",\"log\":{},\"xl\":\"{}\",\"pct\":{},\"u\":\"{}\",\"s\":[",
        u8::from(d.log),
        d.x_label,
        u8::from(d.percent),
        d.unit
    );
    for (k, s) in d.series.iter().enumerate() {
        if k > 0 {
            j.push(',');
        }
        let _ = write!(j, "{s}");
    }
    j.push(']');
    if !d.names.is_empty() {
        j.push_str(",\"n\":[");
        for (k, n) in d.names.iter().enumerate() {
            if k > 0 {
                j.push(',');
            }
            let _ = write!(j, "\"{n}\"");
        }
        j.push(']');
    }
    if let Some(p) = &d.panels {
        j.push_str(",\"p\":[");
        for (k, (top, bottom, _)) in p.spans.iter().enumerate() {
            if k > 0 {
                j.push(',');
            }
            list(&mut j, &[*top, *bottom], 6);
        }
        j.push_str("],\"ps\":");
        let strategies: Vec<f64> = p.spans.iter().map(|s| s.2 as f64).collect();
        list(&mut j, &strategies, 6);
        j.push_str(",\"sp\":");
        let of: Vec<f64> = p.of_series.iter().map(|&k| k as f64).collect();
        list(&mut j, &of, 6);
    }
    if let Some(b) = d.before {
        j.push_str(",\"b\":");
        num(&mut j, b, 4);
    }
    if let Some(of) = d.complement_of {
        let _ = write!(j, ",\"of\":\"{of}\"");
    }
    match &d.keys {
        Keys::Shared(k) => {
            j.push_str(",\"k\":");
            list(&mut j, k, 3);
        }
        Keys::PerSeries(ks) => {
            j.push_str(",\"ks\":[");
            for (n, k) in ks.iter().enumerate() {
                if n > 0 {
                    j.push(',');
                }
                list(&mut j, k, 3);
            }
            j.push(']');
        }
    }
    j.push_str(",\"v\":[");
    for (n, v) in d.values.iter().enumerate() {
        if n > 0 {
            j.push(',');
        }
        // Shares keep a fourth digit (99.99%); the page shows three of anything else.
        list(&mut j, v, if d.percent { 4 } else { 3 });
    }
    j.push_str("]}");
    j
}

/// Appends the chart's values as an element the script reads: a `<div class="hv">` with the
/// JSON, HTML-escaped, in its `data-hover` attribute.
pub fn attribute(h: &mut String, d: &HoverData) {
    let _ = write!(
        h,
        "<div class=\"hv\"{} data-hover=\"{}\"></div>",
        d.id.map(|id| format!(" id=\"{id}\"")).unwrap_or_default(),
        crate::text::html(&json(d))
    );
}

/// A plot area found in a chart drawn by [`super::charts`]: px of the SVG's coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    /// Left and right end (where the time axis starts and ends).
    pub x: (f64, f64),
    /// Top and bottom.
    pub y: (f64, f64),
}

/// The points of an SVG element's line as written by plotters: a `points="x,y x,y"` list or
/// a `<line>`'s ends.
fn points(line: &str) -> Vec<(f64, f64)> {
    let attr = |name: &str| -> Option<&str> {
        let i = line.find(name)? + name.len();
        line[i..].split('"').next()
    };
    if line.starts_with("<line ") {
        let ends = [" x1=\"", " y1=\"", " x2=\"", " y2=\""].map(|n| attr(n)?.parse().ok());
        return match ends {
            [Some(a), Some(b), Some(c), Some(d)] => vec![(a, b), (c, d)],
            _ => Vec::new(),
        };
    }
    let text = attr(" points=\"").or_else(|| attr(" d=\"")).unwrap_or("");
    let nums: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    nums.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// The colour an element is drawn in: its stroke, else its fill (`#RRGGBB`).
fn colour(line: &str) -> Option<&str> {
    ["stroke=\"#", "fill=\"#"].iter().find_map(|a| {
        let i = line.find(a)? + a.len() - 1;
        line.get(i..i + 7)
    })
}

/// The plot areas of a chart drawn by [`super::charts`] (before [`super::svg_compact::compact`]),
/// top to bottom: each is framed by its axes, drawn in the axis colour one pixel wide, the
/// vertical one first (its left edge, top and bottom), then the horizontal one (left to right).
pub fn plots(svg: &str) -> Vec<Plot> {
    let mut out = Vec::new();
    let mut y_axis: Option<(f64, f64)> = None;
    for line in svg.lines() {
        if !line.starts_with("<polyline ")
            || !line.contains("stroke=\"#5A5A5A\" stroke-width=\"1\"")
        {
            continue;
        }
        let p = points(line);
        let [(ax, ay), (bx, by)] = p[..] else {
            continue;
        };
        if ax == bx && (by - ay).abs() >= 30.0 {
            y_axis = Some((ay.min(by), ay.max(by)));
        } else if ay == by && (bx - ax).abs() >= 200.0 {
            if let Some(y) = y_axis.take() {
                out.push(Plot {
                    x: (ax.min(bx), ax.max(bx)),
                    y,
                });
            }
        }
    }
    out
}

/// Whether `c` (`#RRGGBB`) is a grey of the chart's frame or text (black is a strategy's
/// colour; a greyed strategy's grey is never neutral, see [`super::charts::greyed_style`]).
fn neutral(c: &str) -> bool {
    let b = c.as_bytes();
    c != "#000000" && b.len() == 7 && b[1..3] == b[3..5] && b[3..5] == b[5..7]
}

/// The strategy of each plot of small multiples drawn from `study` (`plots` of them, top to
/// bottom) for chart `stem`: the node load's panels are the strategies with node rows, other
/// small multiples have a panel per strategy. Empty for a chart of one plot for every
/// strategy.
pub fn panel_strategies(stem: &str, study: &StudyResult, plots: usize) -> Vec<usize> {
    let strategies = study.first().strategies.len();
    let owners: Vec<usize> = if stem == "node_load" {
        (0..strategies)
            .filter(|&i| {
                study.runs.iter().any(|r| {
                    r.strategies[i]
                        .result
                        .nodes
                        .iter()
                        .any(|rows| !rows.is_empty())
                })
            })
            .collect()
    } else if strategies > 1 {
        (0..strategies).collect()
    } else {
        Vec::new()
    };
    if owners.len() == plots {
        owners
    } else {
        Vec::new()
    }
}

/// The points an element of plotters' SVG stands on: a line's points, a circle's centre, a
/// rectangle's corners, a text's anchor.
fn element_points(line: &str) -> Vec<(f64, f64)> {
    let num = |n: &str| -> Option<f64> {
        let i = line.find(n)? + n.len();
        line[i..].split('"').next()?.parse().ok()
    };
    let at = |x: &str, y: &str| Some((num(x)?, num(y)?));
    if line.starts_with("<circle ") {
        at(" cx=\"", " cy=\"").into_iter().collect()
    } else if line.starts_with("<rect ") {
        match (at(" x=\"", " y=\""), at(" width=\"", " height=\"")) {
            (Some((x, y)), Some((w, h))) => vec![(x, y), (x + w, y + h)],
            _ => Vec::new(),
        }
    } else if line.starts_with("<text ") {
        at(" x=\"", " y=\"").into_iter().collect()
    } else {
        points(line)
    }
}

/// How far a panel's own marks reach beyond its plot, px: its tick labels to the left, its
/// label's strip above, its ticks below.
const PANEL_LEFT: f64 = 40.0;
const PANEL_ABOVE: f64 = 24.0;
const PANEL_BELOW: f64 = 6.0;

/// `svg` (as plotters writes it) with `data-s="i"` on each element of strategy `i`, for the
/// page's show/hide. In small multiples (`owners`: the strategy of each of `plots`, see
/// [`panel_strategies`]) every element of strategy `i`'s panel: its lines and band, its
/// frame, grid, ticks and their labels, and its label, so a hidden strategy's panel goes
/// whole (the others keep their places). In a chart of one plot (`owners` empty), every
/// element in strategy `i`'s colour (or its paler shade) when no other strategy has it.
/// Greys outside a panel (greyed lines of an overlay, title, legend, the time axis's labels)
/// stay untagged.
pub fn tag_strategies(svg: &str, plots: &[Plot], owners: &[usize], strategies: usize) -> String {
    let styles: Vec<[String; 3]> = (0..strategies)
        .map(|i| {
            let (c, p, _) = super::charts::strategy_style(i);
            [c, p, super::charts::greyed_style(i)]
        })
        .collect();
    let owner = |c: &str| {
        let mut found = styles
            .iter()
            .enumerate()
            .filter(|(_, s)| s.iter().any(|a| a == c))
            .map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(i), None) => Some(i),
            _ => None,
        }
    };
    let panels = !owners.is_empty() && owners.len() == plots.len();
    let shapes: &[&str] = if panels {
        &[
            "<path ",
            "<polyline ",
            "<line ",
            "<polygon ",
            "<circle ",
            "<rect ",
            "<text ",
        ]
    } else {
        &["<path ", "<polyline ", "<line ", "<polygon ", "<circle "]
    };
    let mut out = String::with_capacity(svg.len() + 4096);
    for line in svg.lines() {
        let shape = shapes.iter().find(|t| line.starts_with(**t));
        let tag = shape.and_then(|t| {
            if panels {
                let pts = element_points(line);
                if pts.is_empty() {
                    return None;
                }
                plots
                    .iter()
                    .position(|p| {
                        pts.iter().all(|&(x, y)| {
                            x >= p.x.0 - PANEL_LEFT
                                && x <= p.x.1 + 1.0
                                && y >= p.y.0 - PANEL_ABOVE
                                && y <= p.y.1 + PANEL_BELOW
                        })
                    })
                    .map(|k| owners[k])
            } else {
                owner(colour(line).filter(|c| !neutral(c))?)
            }
            .map(|i| (t.len(), i))
        });
        match tag {
            Some((n, i)) => {
                let _ = writeln!(out, "{}data-s=\"{i}\" {}", &line[..n], &line[n..]);
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Most values per series the page carries for a timeline: longer runs are thinned to this
/// many spans of whole buckets, each showing its most extreme bucket (as the charts keep
/// spikes).
const SPANS: usize = 160;

/// Most values per series the page carries for the node load, whose series are every node of
/// every panel: half as many as a timeline's.
const NODE_SPANS: usize = SPANS / 2;

/// A timeline's value per bucket, its unit, whether it is a share, whether its extreme is low.
type TimelineValue = (fn(&BucketRow) -> f64, &'static str, bool, bool);

/// What a timeline chart shows per bucket, for the hover: its value, unit, whether shares, and
/// whether its extreme is low (a dip in hit ratio or goodput) rather than high. `None` for a
/// chart without one value per strategy (node load).
fn timeline_value(stem: &str) -> Option<TimelineValue> {
    Some(match stem.strip_suffix("_by_strategy").unwrap_or(stem) {
        "latency_p99" => (|b| b.latency.p99_ms, "ms", false, false),
        "db_load" => (
            |b| crate::metrics::per_s(b.db_submitted(), b.width_s),
            "queries/s asked",
            false,
            false,
        ),
        "hit_ratio" => (|b| b.hit_ratio(), "", true, true),
        "errors" => (
            |b| crate::metrics::per_s(b.errors(), b.width_s),
            "failed/s",
            false,
            false,
        ),
        "outdated_reads" => (|b| b.outdated_ratio(), "", true, false),
        "outdated_age_p99" => (|b| b.outdated_age.p99_ms, "ms", false, false),
        "goodput" => (|b| b.goodput(), "answered/s", false, true),
        "retry_amplification" => (
            |b| b.retry_amplification(),
            "attempts per request",
            false,
            false,
        ),
        _ => return None,
    })
}

/// The number of buckets of the longest strategy of `study`'s first run, the number of spans
/// of whole buckets (at most `most`) its values are thinned to, and each span's start (s).
fn span_keys(study: &StudyResult, most: usize) -> Option<(usize, usize, Vec<f64>)> {
    let result = study.first();
    let n = result
        .strategies
        .iter()
        .map(|s| s.result.buckets.len())
        .max()
        .filter(|&n| n > 0)?;
    let spans = n.min(most);
    let keys = (0..spans)
        .map(|k| {
            result
                .strategies
                .iter()
                .find_map(|s| s.result.buckets.get(k * n / spans))
                .map_or(0.0, |b| b.start_s)
        })
        .collect();
    Some((n, spans, keys))
}

/// Strategy `i`'s `value` (of a run's strategy and a bucket index; `None`: no value) per span
/// of buckets: the mean over the replications bucket by bucket, and of a span's buckets the
/// most extreme (the lowest when `low`).
fn thinned(
    study: &StudyResult,
    i: usize,
    (n, spans): (usize, usize),
    low: bool,
    value: impl Fn(&StrategyResult, usize) -> Option<f64>,
) -> Vec<f64> {
    let mean = |j: usize| {
        let vs: Vec<f64> = study
            .runs
            .iter()
            .filter_map(|r| value(&r.strategies[i], j))
            .collect();
        (!vs.is_empty()).then(|| vs.iter().sum::<f64>() / vs.len() as f64)
    };
    (0..spans)
        .map(|k| {
            let vs = (k * n / spans..(k + 1) * n / spans).filter_map(mean);
            if low {
                vs.fold(f64::NAN, f64::min)
            } else {
                vs.fold(f64::NAN, f64::max)
            }
        })
        .collect()
}

/// The hover values of timeline chart `stem` drawn from `study` with its time axis across
/// `plot`: per strategy, its value per span of buckets (the mean over the replications).
pub fn timeline(stem: &str, study: &StudyResult, plot: Plot) -> Option<HoverData> {
    let (value, unit, percent, low) = timeline_value(stem)?;
    let (n, spans, keys) = span_keys(study, SPANS)?;
    let strategies = study.first().strategies.len();
    let values = (0..strategies)
        .map(|i| {
            thinned(study, i, (n, spans), low, |s, j| {
                s.result.buckets.get(j).map(value)
            })
        })
        .collect();
    Some(HoverData {
        x: plot.x,
        domain: (0.0, super::charts::time_axis_end(study)),
        log: false,
        x_label: "time",
        percent,
        unit,
        keys: Keys::Shared(keys),
        series: (0..strategies).collect(),
        names: Vec::new(),
        panels: None,
        before: None,
        id: None,
        complement_of: None,
        values,
    })
}

/// The hover values of the node-load chart drawn from `study` (`plots`: its panels, top to
/// bottom; `owners`: their strategies, see [`panel_strategies`]): under the pointer, the
/// panel's strategy and each of its nodes' reads per second, and the failed reads per second
/// of each node that failed any, per span of buckets (at most [`NODE_SPANS`]; means over the
/// replications, the highest bucket of a span).
pub fn node_load(study: &StudyResult, plots: &[Plot], owners: &[usize]) -> Option<HoverData> {
    if owners.is_empty() || owners.len() != plots.len() {
        return None;
    }
    let (n, spans, keys) = span_keys(study, NODE_SPANS)?;
    let per_s = |count: fn(&crate::metrics::NodeRow) -> u64, node: usize| {
        move |s: &StrategyResult, j: usize| {
            let b = s.result.buckets.get(j)?;
            let row = s.result.nodes.get(j)?.get(node)?;
            (b.width_s > 0.0).then(|| count(row) as f64 / b.width_s)
        }
    };
    let (mut names, mut values, mut of_series) = (Vec::new(), Vec::new(), Vec::new());
    for (panel, &i) in owners.iter().enumerate() {
        let nodes = study
            .runs
            .iter()
            .flat_map(|r| r.strategies[i].result.nodes.iter().map(Vec::len))
            .max()
            .unwrap_or(0);
        let mut failed = Vec::new();
        for node in 0..nodes {
            names.push(format!("node {node}"));
            values.push(thinned(
                study,
                i,
                (n, spans),
                false,
                per_s(|r| r.reads, node),
            ));
            of_series.push(panel);
            let errors = thinned(study, i, (n, spans), false, per_s(|r| r.errors, node));
            if errors.iter().any(|&v| v > 0.0) {
                failed.push((format!("node {node} failed"), errors));
            }
        }
        for (name, errors) in failed {
            names.push(name);
            values.push(errors);
            of_series.push(panel);
        }
    }
    Some(HoverData {
        x: plots[0].x,
        domain: (0.0, super::charts::time_axis_end(study)),
        log: false,
        x_label: "time",
        percent: false,
        unit: "reads/s",
        keys: Keys::Shared(keys),
        series: Vec::new(),
        names,
        panels: Some(Panels {
            spans: plots
                .iter()
                .zip(owners)
                .map(|(p, &i)| (p.y.0 - PANEL_ABOVE, p.y.1, i))
                .collect(),
            of_series,
        }),
        before: None,
        id: None,
        complement_of: None,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{LatencyStats, RunResult, ScenarioResult};
    use crate::report::{charts, ImageFormat};

    /// Two strategies over 60 one-second buckets: p99 1 ms, with a spike of 500 ms for the
    /// first at 30 s.
    fn study() -> StudyResult {
        let strategy = |name: &str, spike: f64| StrategyResult {
            name: name.into(),
            description: String::new(),
            db_capacity_qps: 100.0,
            fanout: 1,
            marks: Vec::new(),
            client_timeout_s: None,
            result: RunResult {
                buckets: (0..60)
                    .map(|t| BucketRow {
                        start_s: t as f64,
                        width_s: 1.0,
                        arrived: 100,
                        completed: 100,
                        cache_hits: 90,
                        cache_misses: 10,
                        latency: LatencyStats {
                            count: 100,
                            p99_ms: if t == 30 { spike } else { 1.0 },
                            ..LatencyStats::default()
                        },
                        ..BucketRow::default()
                    })
                    .collect(),
                ..RunResult::default()
            },
        };
        StudyResult {
            runs: vec![ScenarioResult {
                name: "t".into(),
                description: String::new(),
                seed: 1,
                duration_s: 60.0,
                bucket_s: 1.0,
                timeline: Vec::new(),
                strategies: vec![strategy("a", 500.0), strategy("b", 1.0)],
            }],
            warmup_s: 0.0,
            baseline: None,
            objective: Vec::new(),
        }
    }

    fn svg(study: &StudyResult, stem: &str) -> String {
        let charts = charts::render_study(study, ImageFormat::Svg).unwrap();
        let c = charts.iter().find(|c| c.file_stem == stem).unwrap();
        String::from_utf8(c.bytes.clone()).unwrap()
    }

    #[test]
    fn the_plots_found_put_the_time_axis_labels_where_the_chart_drew_them() {
        let study = study();
        let svg = svg(&study, "latency_p99");
        let found = plots(&svg);
        assert_eq!(found.len(), 1, "one plot");
        let d = timeline("latency_p99", &study, found[0]).unwrap();
        // Every label of the time axis (a number below the plot) sits where the hover's
        // mapping puts its time.
        let mut checked = 0;
        let lines: Vec<&str> = svg.lines().collect();
        for w in lines.windows(2) {
            let Some(t) = w[1].trim().parse::<f64>().ok() else {
                continue;
            };
            let num = |n: &str| -> Option<f64> {
                let i = w[0].find(n)? + n.len();
                w[0][i..].split('"').next()?.parse().ok()
            };
            let (Some(x), Some(y)) = (num(" x=\""), num(" y=\"")) else {
                continue;
            };
            if !w[0].starts_with("<text") || y <= found[0].y.1 {
                continue;
            }
            let at = d.x.0 + (d.x.1 - d.x.0) * (t - d.domain.0) / (d.domain.1 - d.domain.0);
            assert!(
                (at - x).abs() <= 2.0,
                "label {t} s drawn at {x}, mapped to {at}"
            );
            checked += 1;
        }
        assert!(checked >= 3, "{checked} labels checked");
        // The values under the pointer: the spike at 30 s, the first strategy's only.
        let Keys::Shared(keys) = &d.keys else {
            panic!("shared keys")
        };
        let k = keys.iter().position(|&t| t == 30.0).unwrap();
        assert_eq!((d.values[0][k], d.values[1][k]), (500.0, 1.0));
    }

    #[test]
    fn small_multiples_tag_each_panel_with_its_strategy_and_overlays_by_colour() {
        let study = study();
        let by = svg(&study, "latency_p99_by_strategy");
        let panels = plots(&by);
        assert_eq!(panels.len(), 2);
        assert!(panels[0].y.1 < panels[1].y.0, "top to bottom");
        let owners = panel_strategies("latency_p99_by_strategy", &study, panels.len());
        assert_eq!(owners, [0, 1]);
        let tagged = tag_strategies(&by, &panels, &owners, 2);
        // Each panel goes whole with its strategy: its line, its frame (the axis), its label
        // and its tick labels; the title, the legend and the time axis's labels stay.
        for (i, name) in ["a", "b"].iter().enumerate() {
            let own = format!("data-s=\"{i}\"");
            let (c, _, _) = charts::strategy_style(i);
            let lines: Vec<&str> = tagged.lines().filter(|l| l.contains(&own)).collect();
            assert!(lines.iter().any(|l| l.contains(&c)), "strategy {i}'s line");
            assert!(
                lines.iter().any(|l| l.contains("stroke=\"#5A5A5A\"")),
                "strategy {i}'s frame"
            );
            assert!(
                lines.iter().filter(|l| l.starts_with("<text ")).count() >= 3,
                "strategy {i}'s label and tick labels"
            );
            let label = tagged
                .lines()
                .position(|l| l.starts_with(&format!("{name}: ")))
                .unwrap();
            let element = tagged.lines().nth(label - 1).unwrap();
            assert!(element.contains(&own), "{name}: {element}");
        }
        let mut texts = tagged.lines().filter(|l| l.starts_with("<text "));
        assert!(!texts.next().unwrap().contains("data-s="), "the title");
        let last = tagged.lines().rfind(|l| l.starts_with("<text "));
        assert!(!last.unwrap().contains("data-s="), "the time axis's label");
        let over = svg(&study, "latency_p99");
        assert!(panel_strategies("latency_p99", &study, 1).is_empty());
        let tagged = tag_strategies(&over, &plots(&over), &[], 2);
        let (a, _, _) = charts::strategy_style(0);
        for l in tagged.lines().filter(|l| l.contains("data-s=\"0\"")) {
            assert!(l.contains(&a), "{l}");
        }
        assert!(tagged.contains("data-s=\"1\""));
    }

    #[test]
    fn node_load_shows_the_nodes_of_the_panel_under_the_pointer_and_hides_with_its_strategy() {
        // The second strategy alone went through node faults: two nodes, 10 and 20 reads a
        // second, the second failing 5 reads in the bucket at 30 s.
        let mut study = study();
        let rows: Vec<Vec<crate::metrics::NodeRow>> = (0..60)
            .map(|k| {
                let row = |reads, errors| crate::metrics::NodeRow {
                    reads,
                    errors,
                    ..Default::default()
                };
                vec![row(10, 0), row(20, if k == 30 { 5 } else { 0 })]
            })
            .collect();
        study.runs[0].strategies[1].result.nodes = rows;
        let chart = svg(&study, "node_load");
        let found = plots(&chart);
        let owners = panel_strategies("node_load", &study, found.len());
        assert_eq!(owners, [1], "one panel, the second strategy's");
        let d = node_load(&study, &found, &owners).unwrap();
        assert_eq!(d.names, ["node 0", "node 1", "node 1 failed"]);
        let panels = d.panels.as_ref().unwrap();
        assert_eq!(panels.of_series, [0, 0, 0]);
        assert_eq!(panels.spans[0].2, 1);
        assert!(panels.spans[0].0 < found[0].y.0 && panels.spans[0].1 == found[0].y.1);
        let Keys::Shared(keys) = &d.keys else {
            panic!("shared keys")
        };
        let k = keys.iter().position(|&t| t == 30.0).unwrap();
        assert_eq!(
            (d.values[0][k], d.values[1][k], d.values[2][k]),
            (10.0, 20.0, 5.0)
        );
        assert_eq!(d.values[2][k + 1], 0.0);
        assert!(json(&d).contains("\"ps\":[1],\"sp\":[0,0,0]"));
        // The panel, frame and label included, goes with the second strategy; the first has
        // none of it.
        let tagged = tag_strategies(&chart, &found, &owners, 2);
        assert!(!tagged.contains("data-s=\"0\""));
        assert!(tagged.lines().any(|l| l.starts_with("<text data-s=\"1\"")));
        assert!(tagged
            .lines()
            .any(|l| l.contains("data-s=\"1\"") && l.contains("stroke=\"#5A5A5A\"")));
    }

    #[test]
    fn an_overlay_tags_each_greyed_strategys_lines_with_it() {
        // Six strategies, each with its own spike: past four, the overlays grey all but the
        // baseline and the best (the lowest p99), each in its own grey.
        let mut study = study();
        let template = study.runs[0].strategies[0].clone();
        study.runs[0].strategies = (0..6)
            .map(|i| {
                let mut s = template.clone();
                s.name = format!("s{i}");
                let spike = 100.0 * (6 - i) as f64;
                s.result.buckets[30 + i].latency.p99_ms = spike;
                s.result.buckets[10 + i].db_completed = 50 * (i as u64 + 1);
                s.result.summary.totals.latency.p99_ms = spike;
                s
            })
            .collect();
        for stem in ["latency_p99", "db_load"] {
            let over = svg(&study, stem);
            let tagged = tag_strategies(&over, &plots(&over), &[], 6);
            for i in 0..6 {
                let own = format!("data-s=\"{i}\"");
                let grey = charts::greyed_style(i);
                let lines: Vec<&str> = tagged.lines().filter(|l| l.contains(&own)).collect();
                assert!(!lines.is_empty(), "{stem}: strategy {i} tagged");
                // Hiding a greyed strategy hides every line drawn in its grey, and only those.
                let greyed = tagged.lines().filter(|l| l.contains(&grey)).count();
                if (1..5).contains(&i) {
                    assert!(greyed > 0, "{stem}: strategy {i} greyed");
                    assert!(lines.iter().all(|l| l.contains(&grey)), "{stem}: {i}");
                } else {
                    assert_eq!(greyed, 0, "{stem}: strategy {i} keeps its colour");
                }
                for l in tagged.lines().filter(|l| l.contains(&grey)) {
                    assert!(l.contains(&own), "{stem}: untagged grey of {i}: {l}");
                }
            }
        }
    }

    #[test]
    fn values_are_written_with_the_significant_digits_asked() {
        let mut s = String::new();
        list(
            &mut s,
            &[0.0, 1234.567, 0.012345, 5.0, -2.5, f64::NAN, 1e-9],
            4,
        );
        assert_eq!(s, "[0,1235,0.01235,5,-2.5,null,0.000000001]");
    }

    #[test]
    fn the_json_holds_the_mapping_and_the_series() {
        let d = HoverData {
            x: (10.0, 110.0),
            domain: (0.0, 60.0),
            log: false,
            x_label: "time",
            percent: false,
            unit: "ms",
            keys: Keys::Shared(vec![0.0, 30.0]),
            series: vec![0, 2],
            names: Vec::new(),
            panels: None,
            before: None,
            id: None,
            complement_of: None,
            values: vec![vec![1.5, 2.0], vec![3.0, 4.0]],
        };
        assert_eq!(
            json(&d),
            "{\"x\":[10,110],\"d\":[0,60],\"log\":0,\"xl\":\"time\",\"pct\":0,\"u\":\"ms\",\
             \"s\":[0,2],\"k\":[0,30],\"v\":[[1.5,2],[3,4]]}"
        );
    }
}
