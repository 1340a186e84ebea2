//! The charts of `cachestorm fanout`: all-hit probability against hit rate, latency against k.

use plotters::prelude::*;

use super::*;

pub(super) const FANOUT_ALL_HIT: &str = "fanout_all_hit";
pub(super) const FANOUT_LATENCY: &str = "fanout_latency";

/// Points on each curve h^k, evenly spaced in h.
pub(super) const CURVE_POINTS: usize = 200;
pub(super) const SIMULATED_MARKER: i32 = 5;
pub(super) const LATENCY_MARKER: i32 = 4;

pub(super) fn fanout_all_hit_figure(data: &FanoutChartData) -> Figure {
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
        dashed: false,
        dotted: false,
        width: LINE_WIDTH,
        marker: Some(SIMULATED_MARKER),
        band: Vec::new(),
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
            strategy: None,
            y: Axis::linear(0.0, 1.05),
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series: curves,
            empty_text: NO_DATA,
        }],
        legend,
    }
}

pub(super) fn fanout_latency_figure(data: &FanoutChartData) -> Figure {
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
            dashed: false,
            dotted: false,
            width: LINE_WIDTH,
            marker: Some(LATENCY_MARKER),
            band: Vec::new(),
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
            strategy: None,
            y,
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series,
            empty_text: NO_DATA,
        }],
        legend,
    }
}
