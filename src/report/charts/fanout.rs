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

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn fanout_renders_two_charts_or_one_without_latency() {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let mut data = fanout_sample();
            let charts = render_fanout(&data, format).unwrap();
            assert_eq!(stems(&charts), FANOUT_STEMS);
            assert!(charts.iter().all(|c| !c.bytes.is_empty()));
            data.latency_by_k.clear();
            let charts = render_fanout(&data, format).unwrap();
            assert_eq!(stems(&charts), FANOUT_STEMS[..1]);
        }
        let svg = render_fanout(&fanout_sample(), ImageFormat::Svg).unwrap();
        let texts: Vec<String> = svg
            .iter()
            .map(|c| String::from_utf8(c.bytes.clone()).unwrap())
            .collect();
        assert!(texts[0].contains("fan-out: probability that all k dependencies hit"));
        assert!(texts[0].contains("k = 20") && texts[0].contains("k = 7 (simulated)"));
        assert!(texts[0].contains("markers: simulated"));
        assert!(texts[1].contains("fan-out: request latency by fan-out"));
        assert!(texts[1].contains("p50") && texts[1].contains("p95") && texts[1].contains("p99"));
    }

    #[test]
    fn fanout_markers_take_the_colour_of_their_curve() {
        let figure = fanout_all_hit_figure(&fanout_sample());
        let panel = &figure.panels[0];
        let curves: Vec<&Series> = panel.series.iter().filter(|s| s.line).collect();
        let markers: Vec<&Series> = panel.series.iter().filter(|s| !s.line).collect();
        assert_eq!(curves.len(), 5);
        assert!(curves.iter().all(|s| s.marker.is_none()));
        // Curve k = 5: h^5 at h = 0.5.
        let k5 = &curves[2].segments[0];
        assert_eq!(k5.first(), Some(&(0.0, 0.0)));
        assert_eq!(k5.last(), Some(&(1.0, 1.0)));
        let mid = k5.iter().find(|p| (p.0 - 0.5).abs() < 1e-12).unwrap();
        assert!((mid.1 - 0.03125).abs() < 1e-12);
        // One marker series per curve (empty for k = 2 and 20), then k = 7 on its own.
        assert_eq!(markers.len(), 6);
        for (curve, marker) in curves.iter().zip(&markers) {
            assert_eq!(curve.color, marker.color);
        }
        assert_eq!(markers[0].segments[0].len(), 5);
        assert!(markers[1].segments.is_empty());
        assert_eq!(markers[5].segments, vec![vec![(0.9, 0.5)]]);
        assert!(!curves.iter().any(|c| c.color == markers[5].color));
        assert_eq!(markers[5].marker, Some(SIMULATED_MARKER));
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "k = 1",
                "k = 2",
                "k = 5",
                "k = 10",
                "k = 20",
                "k = 7 (simulated)",
                "markers: simulated"
            ]
        );
        assert_eq!(figure.legend[5].sample, Sample::Marker);
        assert_eq!(figure.legend[5].color, markers[5].color);
    }

    #[test]
    fn fanout_latency_has_integer_k_ticks_and_a_log_axis() {
        let figure = fanout_latency_figure(&fanout_sample());
        assert_eq!(figure.x.scale, Scale::Integer);
        let ticks = figure.x.ticks(X_LABELS);
        assert_eq!(ticks, (1..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(
            integer_ticks(0.0, 60.0, 12),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
        assert_eq!(integer_ticks(0.5, 0.9, 12), Vec::<f64>::new());
        let panel = &figure.panels[0];
        assert_eq!(panel.y.scale, Scale::Log);
        assert_eq!(panel.series.len(), 3);
        assert!(panel
            .series
            .iter()
            .all(|s| s.line && s.marker == Some(LATENCY_MARKER)));
        assert!(panel.y.lo <= 0.5 && panel.y.hi > 200.0);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(legend, ["p50", "p95", "p99"]);
    }

    #[test]
    fn fanout_rendering_is_deterministic() {
        let data = fanout_sample();
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            assert_eq!(
                render_fanout(&data, format).unwrap(),
                render_fanout(&data, format).unwrap()
            );
        }
    }

    #[test]
    fn degenerate_fanout_data_renders_without_panicking() {
        let nan = f64::NAN;
        let cases = [
            FanoutChartData::default(),
            FanoutChartData {
                title: String::new(),
                curve_ks: vec![0, 0, 1, u32::MAX],
                simulated: vec![
                    (0, 0.0, 1.0),
                    (1, 1.0, 1.0),
                    (2, 0.0, 0.0),
                    (3, nan, 0.5),
                    (3, 0.5, nan),
                    (4, f64::INFINITY, -3.0),
                    (5, -1.0, 2.0),
                    (u32::MAX, 1.0, 0.0),
                ],
                latency_by_k: vec![(0, 0.0, -1.0, nan), (0, nan, nan, nan)],
            },
            FanoutChartData {
                title: "one point".to_owned(),
                curve_ks: Vec::new(),
                simulated: vec![(7, 0.5, 0.01)],
                latency_by_k: vec![(u32::MAX, 1.0, 2.0, f64::MAX)],
            },
            FanoutChartData {
                title: "many ks".to_owned(),
                curve_ks: (0..40).collect(),
                simulated: (0..40).map(|k| (k + 100, 0.5, 0.5)).collect(),
                latency_by_k: (0..1000).map(|k| (k, 1e-9, 1.0, 1e300)).collect(),
            },
        ];
        for case in &cases {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let charts = render_fanout(case, format).unwrap();
                let expected = if case.latency_by_k.is_empty() { 1 } else { 2 };
                assert_eq!(charts.len(), expected);
            }
        }
    }
}
