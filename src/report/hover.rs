//! What `report.html`'s script needs to show values under the pointer: per chart, where its
//! plot lies across the image and what the values are, written as a `data-hover` attribute
//! (JSON, HTML-escaped) after the chart's SVG.
//!
//! The script maps the pointer's position across the plot (`x`, px of the SVG's own
//! coordinates) onto the chart's horizontal `domain` (linear, or powers of ten when `log`),
//! then shows, for each series still shown, the value at the last key at or before it. Series
//! are strategies (their names come from the page's legend) and keys are times or latencies.

use std::fmt::Write as _;

use crate::metrics::{BucketRow, StudyResult};

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
    /// queries); empty for strategies.
    pub names: Vec<&'static str>,
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

/// `svg` (as plotters writes it) with `data-s="i"` on each element of strategy `i`, for the page's
/// show/hide: in small multiples (one plot per strategy, `plots` in strategy order) every
/// coloured element inside strategy `i`'s plot; in a chart of one plot, every element in
/// strategy `i`'s colour (or its paler shade) when no other strategy has it. Greys (greyed
/// lines, frame, text) and anything else stay untagged.
pub fn tag_strategies(svg: &str, plots: &[Plot], strategies: usize) -> String {
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
    let panels = plots.len() == strategies && strategies > 1;
    let mut out = String::with_capacity(svg.len() + 4096);
    for line in svg.lines() {
        let shape = ["<path ", "<polyline ", "<line ", "<polygon ", "<circle "]
            .iter()
            .find(|t| line.starts_with(*t));
        let tag = shape.and_then(|t| {
            let c = colour(line).filter(|c| !neutral(c))?;
            if panels {
                let pts = if *t == "<circle " {
                    let num = |n: &str| -> Option<f64> {
                        let i = line.find(n)? + n.len();
                        line[i..].split('"').next()?.parse().ok()
                    };
                    vec![(num(" cx=\"")?, num(" cy=\"")?)]
                } else {
                    points(line)
                };
                if pts.is_empty() {
                    return None;
                }
                plots.iter().position(|p| {
                    pts.iter().all(|&(x, y)| {
                        x >= p.x.0 - 1.0 && x <= p.x.1 + 1.0 && y >= p.y.0 - 1.0 && y <= p.y.1 + 1.0
                    })
                })
            } else {
                owner(c)
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

/// The hover values of timeline chart `stem` drawn from `study` with its time axis across
/// `plot`: per strategy, its value per span of buckets (the mean over the replications).
pub fn timeline(stem: &str, study: &StudyResult, plot: Plot) -> Option<HoverData> {
    let (value, unit, percent, low) = timeline_value(stem)?;
    let result = study.first();
    let x_max = super::charts::time_axis_end(study);
    let n = result
        .strategies
        .iter()
        .map(|s| s.result.buckets.len())
        .max()
        .unwrap_or(0);
    if n == 0 {
        return None;
    }
    let spans = n.min(SPANS);
    let keys: Vec<f64> = (0..spans)
        .map(|k| {
            result
                .strategies
                .iter()
                .find_map(|s| s.result.buckets.get(k * n / spans))
                .map_or(0.0, |b| b.start_s)
        })
        .collect();
    let mut values = Vec::with_capacity(result.strategies.len());
    for i in 0..result.strategies.len() {
        // Mean over the replications, bucket by bucket.
        let mean = |j: usize| {
            let vs: Vec<f64> = study
                .runs
                .iter()
                .filter_map(|r| r.strategies[i].result.buckets.get(j).map(value))
                .collect();
            (!vs.is_empty()).then(|| vs.iter().sum::<f64>() / vs.len() as f64)
        };
        let series: Vec<f64> = (0..spans)
            .map(|k| {
                let vs = (k * n / spans..(k + 1) * n / spans).filter_map(mean);
                if low {
                    vs.fold(f64::NAN, f64::min)
                } else {
                    vs.fold(f64::NAN, f64::max)
                }
            })
            .collect();
        values.push(series);
    }
    Some(HoverData {
        x: plot.x,
        domain: (0.0, x_max),
        log: false,
        x_label: "time",
        percent,
        unit,
        keys: Keys::Shared(keys),
        series: (0..result.strategies.len()).collect(),
        names: Vec::new(),
        before: None,
        id: None,
        complement_of: None,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{LatencyStats, RunResult, ScenarioResult, StrategyResult};
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
        let tagged = tag_strategies(&by, &panels, 2);
        for i in 0..2 {
            let own = format!("data-s=\"{i}\"");
            assert!(
                tagged.lines().any(|l| l.contains(&own)),
                "strategy {i} tagged"
            );
        }
        // Nothing grey is tagged: the frame, the grid and the text stay.
        for l in tagged.lines().filter(|l| l.contains("data-s=")) {
            assert!(!colour(l).is_some_and(neutral), "{l}");
        }
        let over = svg(&study, "latency_p99");
        let tagged = tag_strategies(&over, &plots(&over), 2);
        let (a, _, _) = charts::strategy_style(0);
        for l in tagged.lines().filter(|l| l.contains("data-s=\"0\"")) {
            assert!(l.contains(&a), "{l}");
        }
        assert!(tagged.contains("data-s=\"1\""));
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
            let tagged = tag_strategies(&over, &plots(&over), 6);
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
