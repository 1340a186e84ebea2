//! The "Distributions" section of `report.html`: each strategy's latency distribution over the
//! whole run (merged over the replications), drawn here as two small inline SVG charts on one
//! logarithmic latency axis:
//!
//! - the cumulative distribution: the share of requests answered within a latency, 0–100%, the
//!   body of the distribution (where the median and the bulk lie);
//! - the tail, as the complementary distribution on a logarithmic axis: the share of requests
//!   slower than a latency, from all of them down to 1 in 10,000 (p99.99) or as far as the
//!   run's requests reach. On a linear axis every strategy's tail squeezes into the top 1% of
//!   the first chart; on this one each "nine" (p90, p99, p99.9, p99.99) gets the same height,
//!   so the latency a user meets once in a hundred or a thousand requests (the tail users feel,
//!   since a page makes many requests) reads off directly, and where lines cross shows which
//!   strategy trades a better median for a worse tail.
//!
//! Each chart carries its values for the page's hover script ([`super::hover`]).

use std::fmt::Write as _;

use super::hover::{self, HoverData, Keys};
use crate::metrics::{LatencyHistogram, StudyResult};

/// Width and height of one chart, px.
const W: f64 = 600.0;
const H: f64 = 300.0;
/// Margins of the plot area, px: at the left, of the distribution's chart and of the tail's
/// (whose labels name the percentile).
const LEFT: f64 = 48.0;
const LEFT_TAIL: f64 = 112.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

/// Id of the tail chart's hover values, which the distribution's chart shows complemented.
const TAIL_VALUES: &str = "hv-latency_tail";

/// Lowest share the tail chart reaches down to: 1 in 100,000.
const TAIL_FLOOR: f64 = 1e-5;

/// Each strategy's latencies merged over the replications, in strategy order.
pub fn merged(study: &StudyResult) -> Vec<LatencyHistogram> {
    (0..study.first().strategies.len())
        .map(|i| {
            let mut h = LatencyHistogram::default();
            for run in &study.runs {
                h.add(&run.strategies[i].result.summary.latency_histogram);
            }
            h
        })
        .collect()
}

/// The logarithmic latency axis of both charts: powers of ten (as exponents) from at or below
/// the fastest 0.1% of latencies to at or above the slowest, at least one decade apart.
fn decades(cdfs: &[Vec<(f64, f64)>]) -> (i32, i32) {
    // From the fastest 0.1% on: a few requests near 0 (a local hit of no latency) would
    // otherwise stretch the axis over decades of nothing.
    let lo = cdfs
        .iter()
        .filter_map(|c| c.iter().find(|p| p.1 >= 1e-3))
        .map(|p| p.0.max(1e-6))
        .fold(f64::INFINITY, f64::min);
    let hi = cdfs.iter().flatten().map(|p| p.0).fold(0.0, f64::max);
    if !lo.is_finite() || hi <= 0.0 {
        return (-1, 3);
    }
    let lo = lo.log10().floor() as i32;
    let hi = (hi.log10().ceil() as i32).max(lo + 1);
    (lo, hi)
}

/// `ms` as an axis label: `10 µs`, `1 ms`, `100 ms`, `10 s`.
fn latency_label(exp: i32) -> String {
    match exp {
        e if e < -3 => format!("{} ns", 10f64.powi(e + 6).round()),
        e if e < 0 => format!("{} µs", 10f64.powi(e + 3).round()),
        e if e < 3 => format!("{} ms", 10f64.powi(e).round()),
        e => format!("{} s", crate::diagnose::grouped(10f64.powi(e - 3))),
    }
}

/// The section, after the timelines: both charts with a key, or a note when there is nothing
/// to draw.
pub fn section(h: &mut String, study: &StudyResult, charts: bool) {
    let result = study.first();
    h.push_str("<h2 id=\"distributions\">Distributions</h2>\n");
    if !charts {
        h.push_str(
            "<p class=\"note\">No charts: this run was made with <code>--no-charts</code>.</p>\n",
        );
        return;
    }
    let hists = merged(study);
    let cdfs: Vec<Vec<(f64, f64)>> = hists.iter().map(|h| h.cdf()).collect();
    if cdfs.iter().all(|c| c.is_empty()) {
        h.push_str("<p class=\"note\">No request was answered: no latency to show.</p>\n");
        return;
    }
    let total: u64 = hists.iter().map(|h| h.count()).max().unwrap_or(0);
    let floor = tail_floor(total);
    let _ = writeln!(
        h,
        "<p class=\"note\">Latency of every answered request{}, per strategy. Left: the share \
         answered within a latency. Right: the tail, the share slower than a latency on a \
         logarithmic scale, where each step down is ten times rarer: read p99 where a line \
         crosses 1%, p99.9 at 0.1%. Latencies are binned at most 3.1% wide.</p>",
        if study.replications() > 1 {
            format!(" over the {} replications together", study.replications())
        } else {
            String::new()
        }
    );
    let (lo, hi) = decades(&cdfs);
    h.push_str("<div class=\"pair\">");
    figure(h, "cdf", &cdfs, (lo, hi), None);
    figure(h, "tail", &cdfs, (lo, hi), Some(floor));
    h.push_str("</div>\n<p class=\"key\">");
    let copies = same_as(&cdfs);
    for (i, s) in result.strategies.iter().enumerate() {
        if cdfs[i].is_empty() {
            continue;
        }
        let (colour, _, _) = super::charts::strategy_style(i);
        // A line drawn on top of an identical one says so, as the PNG charts' legends do.
        let same = copies[i].map_or(String::new(), |j| {
            format!(
                " (same as {})",
                crate::text::html(&result.strategies[j].name)
            )
        });
        let _ = write!(
            h,
            "<span class=\"k\" data-s=\"{i}\"><span style=\"background:{colour}\"></span>{}{same}</span>",
            crate::text::html(&s.name)
        );
    }
    h.push_str("</p>\n");
}

/// For each distribution, the first earlier one with the same bins (drawn under it, so hidden),
/// or `None`; an empty one is never the same as another.
fn same_as(cdfs: &[Vec<(f64, f64)>]) -> Vec<Option<usize>> {
    cdfs.iter()
        .enumerate()
        .map(|(i, c)| {
            if c.is_empty() {
                return None;
            }
            cdfs[..i].iter().position(|earlier| earlier == c)
        })
        .collect()
}

/// The tail chart's lowest share: a power of ten at or below one request in `total`, not
/// below [`TAIL_FLOOR`] nor above 1 in 100.
pub fn tail_floor(total: u64) -> f64 {
    if total == 0 {
        return 1e-2;
    }
    let exp = (1.0 / total as f64).log10().floor() as i32;
    10f64.powi(exp).clamp(TAIL_FLOOR, 1e-2)
}

/// One chart: the distribution (`floor` `None`) or its tail down to `floor`.
fn figure(
    h: &mut String,
    id: &str,
    cdfs: &[Vec<(f64, f64)>],
    (lo, hi): (i32, i32),
    floor: Option<f64>,
) {
    let left = if floor.is_some() { LEFT_TAIL } else { LEFT };
    let (x0, x1, y0, y1) = (left, W - RIGHT, TOP, H - BOTTOM);
    // Latencies left of the axis (below its fastest 0.1%) are drawn at its left end.
    let x =
        |ms: f64| (x0 + (x1 - x0) * (ms.max(1e-6).log10() - lo as f64) / (hi - lo) as f64).max(x0);
    // Share (of the chart's kind) to pixel row.
    let y = |v: f64| match floor {
        None => y1 - (y1 - y0) * v,
        Some(f) => y0 + (y1 - y0) * (v.max(f).log10() / f.log10()),
    };
    let title = match floor {
        None => "Share of requests answered within a latency",
        Some(_) => "The tail: share of requests slower than a latency",
    };
    let mut data = HoverData {
        x: (x0, x1),
        domain: (lo as f64, hi as f64),
        log: true,
        x_label: if floor.is_none() {
            "within"
        } else {
            "slower than"
        },
        percent: true,
        unit: "",
        keys: Keys::PerSeries(Vec::new()),
        series: Vec::new(),
        names: Vec::new(),
        panels: None,
        before: Some(if floor.is_some() { 1.0 } else { 0.0 }),
        // One set of values for both charts, the tail's: a share slower keeps its digits
        // where a share within (0.99999) would round them away.
        id: floor.map(|_| TAIL_VALUES),
        complement_of: if floor.is_some() {
            None
        } else {
            Some(TAIL_VALUES)
        },
        values: Vec::new(),
    };
    let _ = write!(
        h,
        "<figure id=\"chart-latency_{id}\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" \
         height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-size=\"11\" font-family=\"sans-serif\">\
         <text x=\"{x0}\" y=\"14\" font-size=\"13\">{title}</text>"
    );
    // Grid and labels: decades across, shares down.
    for e in lo..=hi {
        let px = x(10f64.powi(e));
        let _ = write!(
            h,
            "<line x1=\"{px:.1}\" y1=\"{y0}\" x2=\"{px:.1}\" y2=\"{y1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            y1 + 14.0,
            latency_label(e)
        );
    }
    let rows: Vec<(f64, String)> = match floor {
        None => [0.0, 0.25, 0.5, 0.75, 0.9, 1.0]
            .iter()
            .map(|&v| (v, format!("{:.0}%", 100.0 * v)))
            .collect(),
        Some(f) => {
            let mut rows = vec![(1.0, "all".to_string())];
            let mut v = 0.1;
            let mut nines = 1;
            while v >= f * 0.999 {
                let pct = format!("{:.*}%", (nines - 2).max(0) as usize, 100.0 * v);
                let p = format!("p{}", percentile(nines));
                rows.push((v, format!("{pct} {p}")));
                v /= 10.0;
                nines += 1;
            }
            rows
        }
    };
    for (v, label) in &rows {
        let py = y(*v);
        let _ = write!(
            h,
            "<line x1=\"{x0}\" y1=\"{py:.1}\" x2=\"{x1}\" y2=\"{py:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            x0 - 4.0,
            py + 4.0
        );
    }
    let _ = write!(
        h,
        "<line x1=\"{x0}\" y1=\"{y1}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#999\"/>\
         <line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#999\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">latency (log scale)</text>",
        (x0 + x1) / 2.0,
        H - 6.0
    );
    for (i, cdf) in cdfs.iter().enumerate() {
        if cdf.is_empty() {
            continue;
        }
        let (colour, _, dashed) = super::charts::strategy_style(i);
        // The chart's value at each bin: the share within, or the share slower.
        let value = |p: &(f64, f64)| match floor {
            None => p.1,
            Some(_) => (1.0 - p.1).max(0.0),
        };
        let mut d = String::new();
        let mut last = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (k, p) in cdf.iter().enumerate() {
            let v = value(p);
            let below = floor.is_some_and(|f| v < f);
            let (px, py) = (x(p.0), y(v));
            // A point every 2 pixels along the line (the last bin's always), keeping the page small.
            let end = k + 1 == cdf.len() || below;
            if end || (px - last.0).abs() + (py - last.1).abs() >= 2.0 {
                if d.is_empty() {
                    // The line starts at the fastest latency, from the bottom (or the top).
                    let start = match floor {
                        None => y(0.0),
                        Some(_) => y(1.0),
                    };
                    let _ = write!(d, "M{px:.0} {start:.0}");
                }
                // A step where bins lie apart: the share holds until the next bin's latency.
                if px - last.0 > 3.0 && last.1.is_finite() {
                    let _ = write!(d, "L{px:.0} {:.0}", last.1);
                }
                let _ = write!(d, "L{px:.0} {py:.0}");
                last = (px, py);
            }
            if below {
                break;
            }
        }
        let _ = write!(
            h,
            "<path data-s=\"{i}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{} d=\"{d}\"/>",
            if dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            }
        );
        if floor.is_some() {
            // The hover's values: the share slower at a bin every 2 pixels across (and the
            // slowest).
            let (mut keys, mut values, mut last_x) = (Vec::new(), Vec::new(), f64::NEG_INFINITY);
            for (k, p) in cdf.iter().enumerate() {
                if k + 1 == cdf.len() || x(p.0) - last_x >= 2.0 {
                    keys.push(p.0);
                    values.push((1.0 - p.1).max(0.0));
                    last_x = x(p.0);
                }
            }
            if let Keys::PerSeries(k) = &mut data.keys {
                k.push(keys);
            }
            data.series.push(i);
            data.values.push(values);
        }
    }
    let _ = write!(h, "</svg>");
    hover::attribute(h, &data);
    h.push_str("</figure>");
}

/// The percentile of `nines` nines: 90, 99, 99.9, ...
fn percentile(nines: i32) -> String {
    if nines <= 2 {
        format!("{}", 100 - 10i32.pow(2 - nines as u32))
    } else {
        format!("99.{}", "9".repeat(nines as usize - 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_name_the_earlier_one_they_hide() {
        let a = vec![(1.0, 0.5), (2.0, 1.0)];
        let b = vec![(1.0, 0.4), (2.0, 1.0)];
        // One bin's share off: not the same.
        let close = vec![(1.0, 0.5), (2.0, 0.999), (3.0, 1.0)];
        let cdfs = [a.clone(), b.clone(), Vec::new(), Vec::new(), b, close, a];
        assert_eq!(
            same_as(&cdfs),
            [None, None, None, None, Some(1), None, Some(0)]
        );
    }

    #[test]
    fn axes_span_whole_decades_and_label_them_in_their_unit() {
        let cdfs = vec![
            vec![(1e-7, 1e-4), (0.0042, 0.5), (3.1, 1.0)],
            vec![(250.0, 1.0)],
        ];
        assert_eq!(decades(&cdfs), (-3, 3));
        assert_eq!(decades(&[vec![(1.0, 1.0)]]), (0, 1));
        let labels: Vec<String> = (-4..=4).map(latency_label).collect();
        assert_eq!(
            labels,
            ["100 ns", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s"]
        );
        assert_eq!(percentile(1), "90");
        assert_eq!(percentile(2), "99");
        assert_eq!(percentile(4), "99.99");
    }

    #[test]
    fn the_tail_reaches_one_request_in_the_run_within_bounds() {
        assert_eq!(tail_floor(0), 1e-2);
        assert_eq!(tail_floor(50), 1e-2);
        assert_eq!(tail_floor(2_000), 1e-4);
        assert_eq!(tail_floor(10_000), 1e-4);
        assert_eq!(tail_floor(10_000_000), 1e-5);
    }
}
