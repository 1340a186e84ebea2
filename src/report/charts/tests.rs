//! Tests of the chart builders and renderers.

use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use super::*;
use crate::metrics::StrategyResult;
use crate::metrics::{BucketRow, CauseCounts, LatencyStats, NodeRow, RunResult};

const STEMS: [&str; 6] = [
    "latency_p99",
    "db_load",
    "hit_ratio",
    "errors",
    "latency_p99_by_strategy",
    "db_load_by_strategy",
];
const FANOUT_STEMS: [&str; 2] = ["fanout_all_hit", "fanout_latency"];

fn bucket(start_s: f64, qps: u64, queue: u64, p99_ms: f64, hits: u64, misses: u64) -> BucketRow {
    BucketRow {
        start_s,
        width_s: 1.0,
        cache_hits: hits,
        cache_misses: misses,
        db_completed: qps,
        db_by_cause: CauseCounts {
            miss: qps,
            ..CauseCounts::default()
        },
        db_queue_max: queue,
        latency: LatencyStats {
            count: u64::from(p99_ms > 0.0),
            p99_ms,
            ..LatencyStats::default()
        },
        ..BucketRow::default()
    }
}

fn strategy(name: &str, capacity: f64, buckets: Vec<BucketRow>) -> StrategyResult {
    StrategyResult {
        name: name.to_owned(),
        description: String::new(),
        db_capacity_qps: capacity,
        fanout: 1,
        marks: Vec::new(),
        client_timeout_s: None,
        result: RunResult {
            buckets,
            nodes: Vec::new(),
            summary: Default::default(),
        },
    }
}

fn scenario(strategies: Vec<StrategyResult>) -> ScenarioResult {
    ScenarioResult {
        name: "avalanche".to_owned(),
        description: String::new(),
        seed: 7,
        duration_s: 120.0,
        bucket_s: 1.0,
        timeline: vec![
            (0.0, "preload top 20000".to_owned()),
            (0.5, "rate 4000/s".to_owned()),
            (60.0, "flush".to_owned()),
        ],
        strategies,
    }
}

fn sample() -> ScenarioResult {
    let spiky = (0..120)
        .map(|i| {
            let spike = i % 60 < 3;
            let (qps, queue, p99) = if spike {
                (5000, 3000, 1000.0)
            } else {
                (300, 0, 8.0)
            };
            let hits = if spike { 200 } else { 950 };
            bucket(f64::from(i), qps, queue, p99, hits, 1000 - hits)
        })
        .collect();
    let flat = (0..120)
        .map(|i| bucket(f64::from(i), 300, 1, 10.0, 950, 50))
        .collect();
    scenario(vec![
        strategy("fixed-ttl", 1600.0, spiky),
        strategy("jittered-10", 1600.0, flat),
    ])
}

fn stems(charts: &[Chart]) -> Vec<&'static str> {
    charts.iter().map(|c| c.file_stem).collect()
}

#[test]
fn renders_every_chart_in_fixed_order() {
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let charts = render_all(&sample(), format).unwrap();
        assert_eq!(stems(&charts), STEMS);
        assert!(charts.iter().all(|c| !c.bytes.is_empty()));
    }
}

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
fn png_output_is_png() {
    for chart in render_all(&sample(), ImageFormat::Png).unwrap() {
        assert!(
            chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            chart.file_stem
        );
    }
}

#[test]
fn svg_output_is_svg_with_titles_and_labels() {
    let charts = render_all(&sample(), ImageFormat::Svg).unwrap();
    let texts: Vec<String> = charts
        .iter()
        .map(|c| String::from_utf8(c.bytes.clone()).unwrap())
        .collect();
    assert!(texts.iter().all(|t| t.contains("<svg")));
    assert!(texts[0].contains("avalanche: p99 request latency"));
    assert!(texts[0].contains("p99 latency (ms)"));
    assert!(texts[1].contains("avalanche: database load"));
    assert!(texts[1].contains("longest database queue (queries)"));
    assert!(texts[1].contains("database queries per second"));
    assert!(texts[1].contains("DB capacity 1600 q/s"));
    assert!(texts[2].contains("avalanche: cache hit ratio"));
    assert!(texts[3].contains("avalanche: failed requests"));
    assert!(texts[3].contains("failed requests per second"));
    for t in &texts {
        assert!(t.contains("time (s)"));
        assert!(t.contains("fixed-ttl") && t.contains("jittered-10"));
        assert!(t.contains("rate 4000/s") && t.contains("flush"));
    }
}

#[test]
fn rendering_is_deterministic() {
    let result = sample();
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        assert_eq!(
            render_all(&result, format).unwrap(),
            render_all(&result, format).unwrap()
        );
    }
}

#[test]
fn degenerate_results_render_without_panicking() {
    let zeros = (0..10)
        .map(|i| bucket(f64::from(i), 0, 0, 0.0, 0, 0))
        .collect();
    let mut odd = sample();
    odd.duration_s = f64::NAN;
    odd.timeline.push((f64::INFINITY, "never".to_owned()));
    odd.timeline.push((-5.0, "before".to_owned()));
    odd.strategies[0].result.buckets[5].latency.p99_ms = f64::NAN;
    odd.strategies[0].db_capacity_qps = f64::INFINITY;
    odd.strategies[1].result.buckets[2].latency.p99_ms = 5e-324;
    odd.strategies[1].result.buckets[3].width_s = f64::NAN;
    odd.strategies[1].result.buckets[4].width_s = 1e-300;
    odd.strategies[1].result.buckets[4].errors_timeout = u64::MAX;
    let mut huge = sample();
    huge.duration_s = 1e300;
    huge.timeline.push((1e299, "late".to_owned()));
    huge.strategies[0].result.buckets[3].latency.p99_ms = f64::MAX;
    huge.strategies[1].db_capacity_qps = 1e307;
    let cases = [
        scenario(Vec::new()),
        scenario(vec![strategy("idle", 0.0, zeros)]),
        scenario(vec![strategy("no-buckets", 100.0, Vec::new())]),
        ScenarioResult {
            duration_s: 0.0,
            timeline: Vec::new(),
            ..scenario(Vec::new())
        },
        odd,
        huge,
    ];
    assert!(has_errors(&cases[4]) && !has_errors(&cases[1]));
    for case in &cases {
        let mut expected = STEMS.to_vec();
        if has_errors(case) {
            expected.push("errors_by_strategy");
        }
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(case, format).unwrap();
            assert_eq!(stems(&charts), expected);
        }
    }
}

#[test]
fn many_strategies_with_long_names_render() {
    let strategies = (0..12)
        .map(|i| {
            let buckets = (0..50)
                .map(|j| bucket(f64::from(j), 100 * i, i, f64::from(j), 9, 1))
                .collect();
            let name = format!("strategy-{i}-with-a-very-long-descriptive-name-indeed");
            strategy(&name, 1000.0 + f64::from(i as u32), buckets)
        })
        .collect();
    let charts = render_all(&scenario(strategies), ImageFormat::Svg).unwrap();
    let db = String::from_utf8(charts[1].bytes.clone()).unwrap();
    assert!(db.contains("capacity 1011 q/s"));
}

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
fn tick_labels_are_short() {
    let f = TickFormat::for_axis(&Axis::linear(0.0, 1.1), Y_LABELS);
    assert_eq!(f.format(0.30000000000000004), "0.3");
    let f = TickFormat::for_axis(&Axis::linear(0.0, 5500.0), Y_LABELS);
    assert_eq!(f.format(2000.0000000001), "2000");
    let f = TickFormat::for_axis(&Axis::linear(0.0, 0.0044), Y_LABELS);
    assert_eq!(f.format(0.0020000000001), "0.002");
    let f = TickFormat::for_axis(&Axis::linear(0.0, 20_000.0), X_LABELS);
    assert_eq!(f.format(12_000.0), "12,000");
    let f = TickFormat::for_axis(&Axis::integer(0.5, 10.5), X_LABELS);
    assert_eq!(f.format(3.0), "3");
    let f = TickFormat::for_axis(&Axis::log(0.01, 20_000.0), Y_LABELS);
    let labels: Vec<String> = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
        .iter()
        .map(|&v| f.format(v))
        .collect();
    assert_eq!(labels, ["0.01", "0.1", "1", "10", "100", "1000", "10,000"]);
    assert_eq!(format_log_tick(0.0001), "0.0001");
    assert_eq!(format_log_tick(2e-5), "2e-5");
    assert_eq!(format_log_tick(1e37), "1e37");
    assert_eq!(format_log_tick(0.0), "0");
    assert_eq!(format_number(-1e-12, 1, false), "0.0");
    assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
    assert_eq!(format_quantity(1600.0), "1600");
    assert_eq!(format_quantity(12.25), "12.2");
    assert_eq!(format_quantity(0.5), "0.5");
    assert_eq!(format_quantity(25_000.0), "25,000");
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
fn latency_axis_is_logarithmic_with_decade_ticks() {
    // p99 from 8 ms to 1000 ms: 1 ms up to 2000 ms, labelled at every power of ten.
    let latency = build_figure(Kind::Latency, &sample());
    let y = &latency.panels[0].y;
    assert_eq!(y.scale, Scale::Log);
    assert_eq!((y.lo, y.hi), (1.0, 2000.0));
    assert_eq!(y.ticks(Y_LABELS), [1.0, 10.0, 100.0, 1000.0]);
    // Light grid lines at 2..9 × each power of ten.
    let minor = y.minor_ticks(80);
    assert!(minor.contains(&20.0) && minor.contains(&900.0) && minor.contains(&2000.0));
    assert!(!minor.contains(&3000.0));

    // After a 1000 ms spike, a 10 ms spike over a 3 ms baseline is still plain to see.
    let height = 500;
    let px = |v: f64| y.map(&v, (0, height));
    assert!(px(10.0) - px(3.0) > height / 10, "{} {}", px(10.0), px(3.0));
    let linear = Axis::linear(0.0, 1100.0);
    assert!(linear.map(&10.0, (0, height)) - linear.map(&3.0, (0, height)) < 5);

    // Floor: a power of ten, at least 0.01 ms; room below a minimum that sits on it.
    assert_eq!(log_axis_for([0.35, 12.0].into_iter()).lo, 0.1);
    assert_eq!(log_axis_for([0.0001, 0.5].into_iter()).lo, 0.01);
    assert_eq!(log_axis_for([5.0, 8.0].into_iter()).lo, 1.0);
    let on_floor = log_axis_for([1.0, 200.0].into_iter());
    assert!(on_floor.lo < 1.0 && on_floor.lo > 0.5);
    assert_eq!(on_floor.hi, 500.0);
    // Ceiling: a round number above 1.5 × the max, at least a decade above the floor.
    assert_eq!(log_axis_for([5.0, 8.0].into_iter()).hi, 20.0);
    assert_eq!(log_axis_for([3.0, 600.0].into_iter()).hi, 1000.0);
    assert_eq!(log_axis_for(std::iter::empty()), Axis::log(1.0, 1000.0));
    assert_eq!(
        log_axis_for([f64::NAN, -1.0, 0.0, f64::INFINITY].into_iter()),
        Axis::log(1.0, 1000.0)
    );
    let huge = log_axis_for([1.0, f64::MAX].into_iter());
    assert!(huge.hi.is_finite() && huge.hi >= 1e308);
    assert!(huge.ticks(Y_LABELS).len() <= Y_LABELS);
    // Short axes get 1-2-5 ticks.
    assert_eq!(
        Axis::log(1.0, 20.0).ticks(Y_LABELS),
        [1.0, 2.0, 5.0, 10.0, 20.0]
    );
    assert_eq!(
        Axis::log(0.01, 0.1).ticks(Y_LABELS),
        [0.01, 0.02, 0.05, 0.1]
    );
}

#[test]
fn axis_ticks_stay_in_range_sorted_and_within_count() {
    let bounds = [
        5e-324,
        1e-300,
        1e-9,
        0.003,
        0.01,
        0.5,
        0.8,
        1.0,
        3.0,
        10.0,
        1234.5,
        1e20,
        1e300,
        f64::MAX,
    ];
    for &lo in &bounds {
        for &hi in &bounds {
            for max in [0, 1, 2, 8, 12] {
                for axis in [
                    Axis::log(lo, hi),
                    Axis::integer(lo, hi),
                    Axis::integer(-lo, hi),
                    // Linear axes always start at 0 here.
                    Axis::linear(0.0, hi),
                ] {
                    assert!(axis.lo < axis.hi && axis.lo.is_finite() && axis.hi.is_finite());
                    let ticks = axis.ticks(max);
                    assert!(ticks.len() <= max, "{axis:?} {max} {ticks:?}");
                    assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{axis:?} {ticks:?}");
                    assert!(
                        ticks.iter().all(|&t| axis.contains(t)),
                        "{axis:?} {ticks:?}"
                    );
                    let minor = axis.minor_ticks(max * 10);
                    assert!(minor.len() <= max * 10);
                    for v in [f64::NAN, -1.0, 0.0, lo, hi, f64::INFINITY] {
                        let _ = axis.map(&v, (0, 500));
                    }
                }
            }
        }
    }
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
fn errors_chart_shows_failed_requests_per_second() {
    let mut result = sample();
    let b = &mut result.strategies[0].result.buckets[3];
    b.width_s = 0.5;
    b.errors_timeout = 10;
    b.errors_db_rejected = 20;
    b.errors_db_timeout = 30;
    b.errors_overload = 40;
    result.strategies[0].result.buckets[4].width_s = 0.0;
    let errors = build_figure(Kind::Errors, &result);
    let panel = &errors.panels[0];
    assert_eq!(panel.y_desc, "failed requests per second");
    assert_eq!(panel.y.scale, Scale::Linear);
    assert!((panel.y.hi - 220.0).abs() < 1e-9);
    let series = &panel.series[0];
    assert_eq!(series.segments.len(), 2, "a bucket of zero width is a gap");
    assert_eq!(series.segments[0][3], (3.0, 200.0));
    assert_eq!(errors.legend.len(), 2);
    assert_eq!(errors.x_desc, "time (s)");
}

fn fanout_sample() -> FanoutChartData {
    let mut simulated = Vec::new();
    for k in [1u32, 5, 10] {
        for h in [0.5f64, 0.7, 0.9, 0.95, 0.99] {
            simulated.push((k, h, h.powf(f64::from(k)) + 0.01));
        }
    }
    simulated.push((7, 0.9, 0.5));
    FanoutChartData {
        title: "fan-out".to_owned(),
        curve_ks: vec![1, 2, 5, 10, 20],
        simulated,
        latency_by_k: (1..=10u32)
            .map(|k| {
                (
                    k,
                    f64::from(k) * 0.5,
                    f64::from(k) * 3.0,
                    f64::from(k) * 20.0,
                )
            })
            .collect(),
    }
}

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
fn pixel_paths_keep_spikes_and_split_sharp_turns() {
    let path = pixel_path([(0, 50), (0, 10), (0, 90), (0, 40), (1, 40), (1, 40)].into_iter());
    assert_eq!(path, vec![(0, 50), (0, 10), (0, 90), (0, 40), (1, 40)]);
    let spike = [(0, 100), (5, 0), (10, 100), (20, 100)];
    let pieces = split_sharp_turns(&spike);
    assert_eq!(pieces, vec![&spike[..2], &spike[1..]]);
    let gentle = [(0, 0), (10, 1), (20, 0)];
    assert_eq!(split_sharp_turns(&gentle).len(), 1);
}

#[test]
fn error_messages_name_the_chart() {
    let err = ChartError::Draw {
        chart: "latency_p99",
        message: "boom".to_owned(),
    };
    assert_eq!(err.to_string(), "could not draw chart latency_p99: boom");
}

#[test]
fn svg_with_hostile_names_is_valid_xml_and_shows_them_escaped() {
    let hostile = "<b>&\"'\u{1b}[31m\u{7}\u{202e}\u{ffff}";
    let mut result = sample();
    result.name = format!("{hostile}scenario");
    result.strategies[0].name = format!("{hostile}one");
    result.timeline[2].1 = format!("{hostile}event");
    let data = FanoutChartData {
        title: hostile.to_owned(),
        ..fanout_sample()
    };
    let charts = render_all(&result, ImageFormat::Svg)
        .unwrap()
        .into_iter()
        .chain(render_fanout(&data, ImageFormat::Svg).unwrap());
    for chart in charts {
        let text = String::from_utf8(chart.bytes).unwrap();
        if let Err(e) = roxmltree::Document::parse(&text) {
            panic!("{} is not valid XML: {e}", chart.file_stem);
        }
        assert!(!text.contains('\u{1b}'), "{}", chart.file_stem);
        assert!(text.contains("\\u{1b}[31m"), "{}", chart.file_stem);
    }
}

#[test]
fn a_million_points_are_thinned_keeping_every_spike_and_dip() {
    let mut points: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, 1.0)).collect();
    points[123_456].1 = 50.0;
    points[777_777].1 = -3.0;
    let thin = super::time_series::thin(points);
    assert!(
        thin.len() <= super::time_series::MAX_POINTS + 2,
        "{}",
        thin.len()
    );
    assert!(thin.contains(&(123_456.0, 50.0)) && thin.contains(&(777_777.0, -3.0)));
    assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
    let few: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
    assert_eq!(super::time_series::thin(few.clone()), few);
}

// Freshness charts

const FRESHNESS_STEMS: [&str; 3] = [
    "outdated_reads",
    "outdated_age_p99",
    "outdated_age_p99_by_strategy",
];

/// `sample()` with writes: strategy 0 serves half its reads outdated, by about 30 s; strategy 1
/// one read in 10,000, by 0.5 ms, and none at all in buckets 10 and 11.
fn writing_sample() -> ScenarioResult {
    let mut result = sample();
    for (i, s) in result.strategies.iter_mut().enumerate() {
        let mut outdated_total = 0;
        for (j, b) in s.result.buckets.iter_mut().enumerate() {
            b.writes_committed = 20;
            b.reads_served = 10_000;
            b.outdated_reads = match (i, j) {
                (0, _) => 5_000,
                (_, 10 | 11) => 0,
                _ => 1,
            };
            outdated_total += b.outdated_reads;
            b.outdated_age = LatencyStats {
                count: b.outdated_reads,
                p99_ms: if b.outdated_reads == 0 {
                    0.0
                } else if i == 0 {
                    30_000.0
                } else {
                    0.5
                },
                ..LatencyStats::default()
            };
        }
        s.result.summary.totals.writes_committed = 20 * s.result.buckets.len() as u64;
        s.result.summary.totals.outdated_reads = outdated_total;
        s.result.summary.totals.outdated_age = LatencyStats {
            count: outdated_total,
            p99_ms: if i == 0 { 31_000.0 } else { 0.5 },
            ..LatencyStats::default()
        };
    }
    result
}

#[test]
fn freshness_charts_only_when_a_strategy_writes() {
    // Without writes: the six charts only, byte for byte what they were.
    assert!(!has_writes(&sample()));
    let mut one_writer = sample();
    one_writer.strategies[1].result.buckets[7].writes_committed = 1;
    assert!(has_writes(&one_writer));
    let mut summary_only = sample();
    summary_only.strategies[0]
        .result
        .summary
        .totals
        .writes_committed = 3;
    assert!(has_writes(&summary_only));

    let with = writing_sample();
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let charts = render_all(&with, format).unwrap();
        let expected: Vec<&str> = STEMS.iter().chain(&FRESHNESS_STEMS).copied().collect();
        assert_eq!(stems(&charts), expected);
        // The writes and freshness columns change no other chart: the first six are the same
        // bytes as without them.
        let without = render_all(&sample(), format).unwrap();
        assert_eq!(stems(&without), STEMS);
        assert_eq!(charts[..STEMS.len()], without[..]);
    }
    for stem in FRESHNESS_STEMS {
        assert!(all_stems().any(|s| s == stem), "{stem} is an output name");
        assert!(crate::report::is_output_name(&format!("{stem}.svg")));
    }
}

#[test]
fn outdated_reads_are_a_percentage_on_a_log_axis_that_keeps_small_shares_visible() {
    let figure = build_figure(Kind::OutdatedReads, &writing_sample());
    let panel = &figure.panels[0];
    assert_eq!(panel.y.scale, Scale::Log);
    assert_eq!(panel.y_desc, "outdated reads (% of reads)");
    assert_eq!(
        panel.series[0].segments,
        vec![(0..120).map(|i| (f64::from(i), 50.0)).collect::<Vec<_>>()]
    );
    // 0.01% next to 50%: both inside the axis, far apart, and the top not far above 100%.
    assert!(panel.y.lo <= 0.01 && panel.y.hi > 50.0 && panel.y.hi <= SHARE_AXIS_MAX);
    let px = |v: f64| panel.y.map(&v, (0, 500));
    assert!(px(0.02) - px(0.01) > 20, "{} {}", px(0.02), px(0.01));
    // Buckets without an outdated read are gaps, not zeros at the bottom.
    assert_eq!(panel.series[1].segments.len(), 2);
    assert!(values(&panel.series).all(|v| v > 0.0));
    // Worst first, with the whole-run share; the note explains the gap.
    let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(legend, ["fixed-ttl: 50%", "jittered-10: 0.0098%", GAP_NOTE]);
    assert_eq!(figure.legend[0].color, strategy_color(0));
    assert_eq!(figure.legend[2].sample, Sample::Note);
}

#[test]
fn outdated_age_leaves_buckets_without_outdated_reads_out_instead_of_diving_to_the_axis() {
    let mut result = writing_sample();
    // No outdated read, or a p99 that is not positive: no point at all.
    result.strategies[0].result.buckets[50].outdated_age.count = 0;
    result.strategies[0].result.buckets[60].outdated_age.p99_ms = 0.0;
    for kind in [Kind::OutdatedAge, Kind::OutdatedAgeByStrategy] {
        let figure = build_figure(kind, &result);
        let series: Vec<&Series> = figure.panels.iter().flat_map(|p| &p.series).collect();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].segments.len(), 3, "{}", kind.stem());
        assert_eq!(series[1].segments.len(), 2, "{}", kind.stem());
        let times = |s: &Series| -> Vec<f64> { s.segments.iter().flatten().map(|p| p.0).collect() };
        assert!(!times(series[0]).iter().any(|&t| t == 50.0 || t == 60.0));
        assert!(!times(series[1]).iter().any(|&t| t == 10.0 || t == 11.0));
        assert_eq!(times(series[0]).len() + times(series[1]).len(), 240 - 4);
        assert!(series
            .iter()
            .flat_map(|s| s.segments.iter().flatten())
            .all(|p| p.1 > 0.0));
        let y = &figure.panels[0].y;
        assert_eq!(y.scale, Scale::Log);
        // From 0.5 ms to 30 s: a log axis from below the one to past the other.
        assert!(y.lo <= 0.5 && y.hi > 30_000.0, "{y:?}");
    }
    let figure = build_figure(Kind::OutdatedAge, &result);
    let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        legend,
        ["fixed-ttl: p99 31 s", "jittered-10: p99 0.5 ms", GAP_NOTE]
    );
    assert!(figure.panels.iter().all(|p| p.label.is_none()));
    let panels = build_figure(Kind::OutdatedAgeByStrategy, &result);
    // Labels above the plots, where the worst strategies' lines (along the top) stay visible;
    // the figure is taller by a strip per panel.
    assert_eq!(panels.size, small_multiples_size(2));
    assert_eq!(
        panels.panels[1].label.as_ref().unwrap().0,
        "jittered-10: max 0.5 ms"
    );
    assert!(panels.legend.is_empty());
}

#[test]
fn no_gap_note_without_gaps() {
    let mut result = writing_sample();
    for b in &mut result.strategies[1].result.buckets {
        b.outdated_reads = 1;
        b.outdated_age.count = 1;
        b.outdated_age.p99_ms = 0.5;
    }
    for kind in [Kind::OutdatedReads, Kind::OutdatedAge] {
        let figure = build_figure(kind, &result);
        assert!(figure.legend.iter().all(|e| e.sample != Sample::Note));
    }
}

#[test]
fn freshness_legend_stays_readable_with_many_strategies() {
    // Twelve strategies: the palette's eight colours repeat, so the second round is dashed,
    // and the legend runs from the worst share down.
    let strategies = (0..12u32)
        .map(|i| {
            let buckets = (0..30)
                .map(|j| BucketRow {
                    start_s: f64::from(j),
                    width_s: 1.0,
                    writes_committed: 5,
                    reads_served: 100_000,
                    outdated_reads: u64::from(i + 1) * 10,
                    outdated_age: LatencyStats {
                        count: 1,
                        p99_ms: f64::from(i + 1),
                        ..LatencyStats::default()
                    },
                    ..BucketRow::default()
                })
                .collect();
            strategy(&format!("strategy-{i}"), 1000.0, buckets)
        })
        .collect();
    let result = scenario(strategies);
    let figure = build_figure(Kind::OutdatedReads, &result);
    let dashed: Vec<bool> = figure.panels[0].series.iter().map(|s| s.dashed).collect();
    assert_eq!(dashed, [[false; 8].as_slice(), &[true; 4]].concat());
    assert_eq!(figure.legend.len(), 12);
    assert_eq!(figure.legend[0].text, "strategy-11: 0.12%");
    assert_eq!(figure.legend[0].sample, Sample::Dashed);
    assert_eq!(figure.legend[11].text, "strategy-0: 0.01%");
    assert_eq!(figure.legend[11].sample, Sample::Line);
    let charts = render_all(&result, ImageFormat::Svg).unwrap();
    let reads = charts
        .iter()
        .find(|c| c.file_stem == "outdated_reads")
        .unwrap();
    let text = String::from_utf8(reads.bytes.clone()).unwrap();
    // Every strategy is named: nothing is cut to "+ N more".
    assert!((0..12).all(|i| text.contains(&format!("strategy-{i}:"))));
    assert!(!text.contains("more"));
    assert!(text.contains("avalanche: outdated reads"));
    assert!(text.contains("outdated reads (% of reads)"));
}

#[test]
fn freshness_small_multiples_are_left_out_beyond_max_panels() {
    let template = writing_sample().strategies[1].clone();
    let many = scenario(
        (0..=MAX_PANELS)
            .map(|i| StrategyResult {
                name: format!("s{i}"),
                ..template.clone()
            })
            .collect(),
    );
    let charts = render_all(&many, ImageFormat::Svg).unwrap();
    let stems = stems(&charts);
    assert!(stems.contains(&"outdated_reads") && stems.contains(&"outdated_age_p99"));
    assert!(!stems.iter().any(|s| s.ends_with("_by_strategy")));
}

#[test]
fn degenerate_freshness_data_renders_without_panicking() {
    let mut odd = writing_sample();
    let b = &mut odd.strategies[0].result.buckets;
    b[1].outdated_age.p99_ms = f64::NAN;
    b[2].outdated_age.p99_ms = f64::INFINITY;
    b[3].outdated_age.p99_ms = 5e-324;
    b[4].outdated_age.p99_ms = f64::MAX;
    b[5].outdated_reads = u64::MAX;
    b[6].reads_served = 0;
    b[7].outdated_reads = 1;
    b[7].reads_served = u64::MAX;
    odd.strategies[1].result.summary.totals.outdated_age.p99_ms = f64::NAN;
    let mut no_reads = writing_sample();
    for s in &mut no_reads.strategies {
        for b in &mut s.result.buckets {
            b.reads_served = 0;
            b.outdated_reads = 0;
            b.outdated_age = LatencyStats::default();
        }
        s.result.summary.totals.outdated_age = LatencyStats::default();
    }
    for case in [odd, no_reads] {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&case, format).unwrap();
            assert_eq!(charts.len(), STEMS.len() + FRESHNESS_STEMS.len());
        }
    }
    let legend = build_figure(Kind::OutdatedReads, &writing_sample()).legend;
    assert_eq!(legend.len(), 3);
}

#[test]
fn shares_and_ages_are_written_short() {
    assert_eq!(format_share(68.484), "68%");
    assert_eq!(format_share(4.15), "4.2%");
    assert_eq!(format_share(0.457), "0.46%");
    assert_eq!(format_share(0.0098), "0.0098%");
    assert_eq!(format_share(0.4), "0.4%");
    assert_eq!(format_share(100.0), "100%");
    assert_eq!(format_share(0.0), "0%");
    assert_eq!(format_share(f64::NAN), "0%");
    assert_eq!(format_age_ms(0.42), "0.42 ms");
    assert_eq!(format_age_ms(97.3), "97 ms");
    assert_eq!(format_age_ms(611.0), "611 ms");
    assert_eq!(format_age_ms(1_792.0), "1.8 s");
    assert_eq!(format_age_ms(56_673.4), "57 s");
    assert_eq!(format_age_ms(f64::NAN), "?");
}

#[test]
fn share_axis_starts_just_under_a_minimum_that_sits_under_a_power_of_ten() {
    // One read in 10,008: not a whole empty decade below it.
    let axis = share_axis([0.00999, 50.0].into_iter());
    assert!(axis.lo > 0.005 && axis.lo < 0.00999, "{axis:?}");
    assert_eq!(axis.hi, 100.0);
    // A share never exceeds 100%: the top stops a little above it.
    assert_eq!(share_axis([0.5, 75.0].into_iter()).hi, SHARE_AXIS_MAX);
    assert_eq!(share_axis([0.5, 100.0].into_iter()).hi, SHARE_AXIS_MAX);
    // Otherwise as the latency axis: from a power of ten, to a round number above.
    let axis = share_axis([0.02, 5.0].into_iter());
    assert_eq!((axis.lo, axis.hi), (0.01, 10.0));
    // Down to one read in a million.
    assert_eq!(share_axis([1e-9, 1.0].into_iter()).lo, SHARE_FLOOR_MIN);
    assert_eq!(share_axis(std::iter::empty()), Axis::log(1.0, 150.0));
}

#[test]
fn freshness_svgs_with_hostile_names_are_valid_xml() {
    let mut result = writing_sample();
    result.strategies[0].name = "<b>&\"'\u{1b}[31m".to_owned();
    for chart in render_all(&result, ImageFormat::Svg).unwrap() {
        let text = String::from_utf8(chart.bytes).unwrap();
        if let Err(e) = roxmltree::Document::parse(&text) {
            panic!("{} is not valid XML: {e}", chart.file_stem);
        }
        assert!(text.contains("\\u{1b}[31m"), "{}", chart.file_stem);
    }
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
    for kind in [Kind::Latency, Kind::HitRatio] {
        let figure = build_figure(kind, &result);
        let dashed: Vec<bool> = figure.panels[0].series.iter().map(|s| s.dashed).collect();
        assert_eq!(dashed, expected, "{}", kind.stem());
        let samples: Vec<bool> = figure
            .legend
            .iter()
            .map(|e| e.sample == Sample::Dashed)
            .collect();
        assert_eq!(samples, expected, "{} legend", kind.stem());
    }
    let multiples = build_figure(Kind::LatencyByStrategy, &result);
    assert!(multiples
        .panels
        .iter()
        .all(|p| p.series.iter().all(|s| !s.dashed)));
}

// Retry and dependency charts

const RETRY_STEMS: [&str; 2] = ["goodput", "retry_amplification"];

/// `sample()` with 1,000 requests arriving each second. Strategy 0 retries in its spikes: three
/// attempts per request, 400 requests answered in time and 1,800 attempts answered after their
/// client had gone; otherwise every request is answered at its first attempt. Strategy 1 never
/// retries.
fn retrying_sample() -> ScenarioResult {
    let mut result = sample();
    for (i, s) in result.strategies.iter_mut().enumerate() {
        for (j, b) in s.result.buckets.iter_mut().enumerate() {
            let storm = i == 0 && j % 60 < 3;
            b.arrived = 1_000;
            b.attempts = if storm { 3_000 } else { 1_000 };
            b.retries = b.attempts - b.arrived;
            b.completed = if storm { 400 } else { 1_000 };
            b.attempts_late = if storm { 1_800 } else { 0 };
        }
    }
    result
}

#[test]
fn retry_charts_only_when_a_strategy_retries_sheds_cancels_or_meets_db_errors() {
    // Requests and attempts alone are no retry activity.
    let mut quiet = retrying_sample();
    for b in &mut quiet.strategies[0].result.buckets {
        b.attempts = b.arrived;
        b.retries = 0;
        b.attempts_late = 0;
    }
    assert!(!has_retries_or_dependency_activity(&sample()));
    assert!(!has_retries_or_dependency_activity(&quiet));
    let activities: [fn(&mut BucketRow); 4] = [
        |b| b.retries = 1,
        |b| b.errors_shed = 1,
        |b| b.queries_cancelled = 1,
        |b| b.db_errors = 1,
    ];
    for activity in activities {
        let mut one = sample();
        activity(&mut one.strategies[1].result.buckets[7]);
        assert!(has_retries_or_dependency_activity(&one));
        let mut summary_only = sample();
        activity(&mut summary_only.strategies[0].result.summary.totals);
        assert!(has_retries_or_dependency_activity(&summary_only));
    }

    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let charts = render_all(&retrying_sample(), format).unwrap();
        let expected: Vec<&str> = STEMS.iter().chain(&RETRY_STEMS).copied().collect();
        assert_eq!(stems(&charts), expected);
        // The new columns change no other chart: the first six are the same bytes as without
        // them, and without activity no chart is added.
        let without = render_all(&sample(), format).unwrap();
        assert_eq!(charts[..STEMS.len()], without[..]);
        assert_eq!(render_all(&quiet, format).unwrap(), without);
        // With writes too: the freshness charts, then these.
        let mut both = writing_sample();
        both.strategies[0].result.buckets[3].retries = 1;
        let expected: Vec<&str> = STEMS
            .iter()
            .chain(&FRESHNESS_STEMS)
            .chain(&RETRY_STEMS)
            .copied()
            .collect();
        assert_eq!(stems(&render_all(&both, format).unwrap()), expected);
    }
    for stem in RETRY_STEMS {
        assert!(all_stems().any(|s| s == stem), "{stem} is an output name");
        assert!(crate::report::is_output_name(&format!("{stem}.png")));
        assert!(crate::report::is_output_name(&format!("{stem}.svg")));
    }
}

#[test]
fn goodput_panels_show_goodput_throughput_and_arrivals_on_one_scale_from_zero() {
    let result = retrying_sample();
    let figure = build_figure(Kind::Goodput, &result);
    assert_eq!(figure.panels.len(), 2);
    for (i, panel) in figure.panels.iter().enumerate() {
        // Arrivals behind, thin and grey; then throughput dashed and goodput solid, both in
        // the strategy's colour.
        let [arrivals, throughput, goodput] = panel.series.as_slice() else {
            panic!("three series a panel");
        };
        assert_eq!(
            (arrivals.color, arrivals.width, arrivals.dashed),
            (ARRIVALS_COLOR, THIN_LINE_WIDTH, false)
        );
        assert_eq!(
            (throughput.color, throughput.width, throughput.dashed),
            (strategy_color(i), LINE_WIDTH, true)
        );
        assert_eq!(
            (goodput.color, goodput.width, goodput.dashed),
            (strategy_color(i), LINE_WIDTH, false)
        );
        assert_eq!(arrivals.segments[0][0], (0.0, 1000.0));
        // One shared linear axis from 0, past the largest value of any line of any panel.
        assert_eq!(panel.y, figure.panels[0].y);
        assert_eq!((panel.y.scale, panel.y.lo), (Scale::Linear, 0.0));
        assert!(panel.y.hi > max_value(&panel.series, &[]));
    }
    let storm = &figure.panels[0].series;
    assert_eq!(storm[1].segments[0][0], (0.0, 2200.0));
    assert_eq!(storm[2].segments[0][0], (0.0, 400.0));
    assert_eq!(storm[2].segments[0][3], (3.0, 1000.0));
    assert!((figure.panels[0].y.hi - 2420.0).abs() < 1e-9);
    // Labels above the plots, with the whole run's unanswered requests and late answers.
    assert_eq!(figure.size, small_multiples_size(2));
    let labels: Vec<&str> = figure
        .panels
        .iter()
        .map(|p| p.label.as_ref().unwrap().0.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "fixed-ttl: 3% of requests unanswered; 8.5% of answers too late",
            "jittered-10: 0% of requests unanswered; 0% of answers too late",
        ]
    );
    // The legend names the kinds of line, not the strategies.
    let samples: Vec<Sample> = figure.legend.iter().map(|e| e.sample).collect();
    assert_eq!(samples, [Sample::Line, Sample::Dashed, Sample::ThinLine]);
    assert!(figure.title.contains("goodput"));
}

#[test]
fn retry_amplification_is_attempts_per_request_on_a_linear_axis_from_one() {
    let mut result = retrying_sample();
    // No request arrived: a gap, not a drop to 0.
    let quiet = &mut result.strategies[1].result.buckets[30];
    (quiet.arrived, quiet.attempts) = (0, 0);
    let figure = build_figure(Kind::RetryAmplification, &result);
    let panel = &figure.panels[0];
    assert_eq!(panel.y_desc, "attempts per request");
    assert_eq!(panel.y.scale, Scale::Linear);
    // From just under 1, so a line at 1 is not hidden by the frame, to past the largest value.
    assert!(panel.y.lo < 1.0 && panel.y.lo > 0.9, "{:?}", panel.y);
    assert!(panel.y.hi > 3.0);
    assert!(panel.y.ticks(Y_LABELS).contains(&1.0));
    assert_eq!(panel.series[0].segments[0][0], (0.0, 3.0));
    assert_eq!(panel.series[1].segments.len(), 2);
    assert!(values(&panel.series).all(|v| v >= 1.0));
    // From the largest whole-run amplification down, with its peak; the note explains the gap.
    let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        legend,
        [
            "fixed-ttl: 1.10× (peak 3.00×)",
            "jittered-10: 1.00× (peak 1.00×)",
            NO_ARRIVALS_NOTE
        ]
    );

    // Without retries the axis still reaches 1.5; a value below 1 stays inside it.
    let flat = amplification_axis([1.0, 1.0].into_iter());
    assert!(flat.lo < 1.0 && flat.hi == AMPLIFICATION_TOP_MIN);
    assert_eq!(amplification_axis(std::iter::empty()), flat);
    let low = amplification_axis([0.5, 2.0].into_iter());
    assert!(low.lo < 0.5 && low.lo >= 0.0 && low.hi > 2.0);
    assert_eq!(
        amplification_axis([f64::NAN, f64::INFINITY].into_iter()),
        flat
    );

    for kind in [Kind::Goodput, Kind::RetryAmplification] {
        for panel in &build_figure(kind, &result).panels {
            let min = values(&panel.series).fold(f64::INFINITY, f64::min);
            assert!(panel.y.lo <= min && panel.y.hi > max_value(&panel.series, &[]));
        }
    }
}

#[test]
fn goodput_is_left_out_beyond_max_panels_and_retry_amplification_is_not() {
    let template = retrying_sample().strategies[0].clone();
    let many = scenario(
        (0..=MAX_PANELS)
            .map(|i| StrategyResult {
                name: format!("s{i}"),
                ..template.clone()
            })
            .collect(),
    );
    let charts = render_all(&many, ImageFormat::Svg).unwrap();
    let stems = stems(&charts);
    assert!(stems.contains(&"retry_amplification"));
    assert!(!stems.contains(&"goodput"));
}

#[test]
fn degenerate_retry_data_renders_without_panicking() {
    let mut odd = retrying_sample();
    let b = &mut odd.strategies[0].result.buckets;
    b[1].width_s = 0.0;
    b[2].width_s = f64::NAN;
    b[3].width_s = 1e-300;
    b[4].arrived = u64::MAX;
    b[5].attempts = u64::MAX;
    b[6].completed = u64::MAX / 2;
    b[6].attempts_late = u64::MAX / 2;
    b[7].arrived = 0;
    odd.strategies[1].name = "<b>&\"'\u{1b}[31m".to_owned();
    let mut idle = retrying_sample();
    for s in &mut idle.strategies {
        for b in &mut s.result.buckets {
            (b.arrived, b.attempts, b.completed, b.attempts_late) = (0, 0, 0, 0);
        }
    }
    let empty = scenario(vec![strategy("no-buckets", 100.0, Vec::new())]);
    let mut empty_active = empty.clone();
    empty_active.strategies[0].result.summary.totals.db_errors = 1;
    for case in [odd, idle, empty_active] {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&case, format).unwrap();
            assert_eq!(charts.len(), STEMS.len() + RETRY_STEMS.len());
            if format == ImageFormat::Svg {
                for chart in &charts {
                    let text = std::str::from_utf8(&chart.bytes).unwrap();
                    if let Err(e) = roxmltree::Document::parse(text) {
                        panic!("{} is not valid XML: {e}", chart.file_stem);
                    }
                }
            }
        }
    }
    assert_eq!(
        goodput_summary(&[&empty.strategies[0]]),
        "no requests".to_owned()
    );
}

// Cache node charts

/// `sample()` and a third strategy, "rehash", with per-node rows for three nodes in the first
/// and third: node 0 is sent 100 reads a second, node 1 200 and node 2 (hot) 400. In
/// `fixed-ttl` node 1 is dead from 60 s to 90 s and every read sent to it fails; in `rehash` it
/// fails its reads for two seconds, then is sent none until 90 s while nodes 0 and 2 take 100
/// more each. `jittered-10` has no node rows.
fn node_sample() -> ScenarioResult {
    let mut result = sample();
    let rehash = StrategyResult {
        name: "rehash".to_owned(),
        ..result.strategies[1].clone()
    };
    result.strategies.push(rehash);
    for i in [0, 2] {
        let s = &mut result.strategies[i];
        s.result.nodes = s
            .result
            .buckets
            .iter()
            .map(|b| {
                let down = (60.0..90.0).contains(&b.start_s);
                let moved = i == 2 && down && b.start_s >= 62.0;
                let row = |reads: u64, errors: u64| NodeRow {
                    reads,
                    errors,
                    ..NodeRow::default()
                };
                let node1 = match (down, moved) {
                    (false, _) => row(200, 0),
                    (true, false) => row(200, 200),
                    (true, true) => row(0, 0),
                };
                let extra = if moved { 100 } else { 0 };
                vec![row(100 + extra, 0), node1, row(400 + extra, 0)]
            })
            .collect();
    }
    result
}

#[test]
fn node_load_only_when_a_strategy_has_node_rows() {
    assert!(!has_node_rows(&sample()));
    // Rows without any node are no node rows.
    let mut no_nodes = sample();
    no_nodes.strategies[0].result.nodes = vec![Vec::new(); 120];
    assert!(!has_node_rows(&no_nodes));
    assert!(has_node_rows(&node_sample()));

    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let with = node_sample();
        let charts = render_all(&with, format).unwrap();
        let expected: Vec<&str> = STEMS.iter().chain(&["node_load"]).copied().collect();
        assert_eq!(stems(&charts), expected);
        // Node rows change no other chart, and without them no chart is added.
        let mut without = with.clone();
        for s in &mut without.strategies {
            s.result.nodes.clear();
        }
        let without = render_all(&without, format).unwrap();
        assert_eq!(charts[..STEMS.len()], without[..]);
        assert_eq!(
            render_all(&no_nodes, format).unwrap(),
            render_all(&sample(), format).unwrap()
        );
        // Last, after the retry charts.
        let mut both = retrying_sample();
        both.strategies[1].result.nodes = vec![vec![NodeRow::default(); 2]; 120];
        let expected: Vec<&str> = STEMS
            .iter()
            .chain(&RETRY_STEMS)
            .chain(&["node_load"])
            .copied()
            .collect();
        assert_eq!(stems(&render_all(&both, format).unwrap()), expected);
    }
    assert!(all_stems().any(|s| s == "node_load"));
    assert!(crate::report::is_output_name("node_load.png"));
    assert!(crate::report::is_output_name("node_load.svg"));
}

#[test]
fn node_load_has_a_panel_per_strategy_with_node_rows_and_a_line_per_node_from_zero() {
    let mut result = node_sample();
    // Reads per second of the bucket: a bucket twice as wide halves the rate.
    result.strategies[0].result.buckets[10].width_s = 2.0;
    let figure = build_figure(Kind::NodeLoad, &result);
    let labels: Vec<&str> = figure
        .panels
        .iter()
        .map(|p| p.label.as_ref().unwrap().0.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "fixed-ttl: busiest node 2, peak 400 reads/s",
            "rehash: busiest node 2, peak 500 reads/s",
        ]
    );
    assert!(figure.panels[1].weight > figure.panels[0].weight);
    for panel in &figure.panels {
        // One solid line of reads per node in the node's colour (the same in every panel),
        // then, wide and dashed on top, the failed reads of node 1, the only one failing.
        let colors: Vec<_> = panel.series.iter().map(|s| s.color).collect();
        assert_eq!(
            colors,
            [0, 1, 2, 1].map(strategy_color),
            "{:?}",
            panel.label
        );
        let looks: Vec<_> = panel
            .series
            .iter()
            .map(|s| (s.width, s.dashed, s.dotted))
            .collect();
        assert_eq!(
            looks,
            [
                (LINE_WIDTH, false, false),
                (LINE_WIDTH, false, false),
                (LINE_WIDTH, false, false),
                (WIDE_LINE_WIDTH, true, false),
            ]
        );
        // One shared linear axis from 0, past the largest value of any panel.
        assert_eq!(panel.y, figure.panels[0].y);
        assert_eq!((panel.y.scale, panel.y.lo), (Scale::Linear, 0.0));
        assert!(panel.y.hi > 500.0);
        assert_eq!(panel.y_desc, "reads per second");
    }
    let dead = &figure.panels[0].series;
    assert_eq!(dead[2].segments[0][10], (10.0, 200.0));
    assert_eq!(dead[1].segments[0][70], (70.0, 200.0));
    // Failed reads only around the failures: from the zero before them to the zero after.
    let failed: Vec<(f64, f64)> = dead[3].segments.concat();
    assert_eq!(dead[3].segments.len(), 1);
    assert_eq!(failed.first(), Some(&(59.0, 0.0)));
    assert_eq!(failed.last(), Some(&(90.0, 0.0)));
    assert!(failed[1..failed.len() - 1].iter().all(|p| p.1 == 200.0));
    // With rehash the dead node's reads drop to 0 and its neighbours take them.
    let moved = &figure.panels[1].series;
    assert_eq!(moved[1].segments[0][70], (70.0, 0.0));
    assert_eq!(moved[0].segments[0][70], (70.0, 200.0));
    assert_eq!(moved[3].segments.concat().len(), 4);

    // The legend: the kinds of line, the note, then the nodes by colour.
    let legend: Vec<(&str, Sample)> = figure
        .legend
        .iter()
        .map(|e| (e.text.as_str(), e.sample))
        .collect();
    assert_eq!(
        legend,
        [
            ("reads per second", Sample::Line),
            ("failed reads per second", Sample::WideDashed),
            (FAILED_NOTE, Sample::Note),
            ("node 0", Sample::Line),
            ("node 1", Sample::Line),
            ("node 2", Sample::Line),
        ]
    );
    assert!(figure.title.contains(NODE_LOAD_TITLE));
    assert_eq!(figure.events.len(), result.timeline.len());
}

#[test]
fn node_load_dashes_the_second_round_of_colours_and_dots_its_failed_reads() {
    let mut result = node_sample();
    result.strategies.truncate(1);
    for rows in &mut result.strategies[0].result.nodes {
        *rows = (0..10u64)
            .map(|node| NodeRow {
                reads: 100 * (node + 1),
                errors: 1,
                ..NodeRow::default()
            })
            .collect();
    }
    let figure = build_figure(Kind::NodeLoad, &result);
    let series = &figure.panels[0].series;
    assert_eq!(series.len(), 20);
    let expected = [[false; 8].as_slice(), &[true; 2]].concat();
    let reads_dashed: Vec<bool> = series[..10].iter().map(|s| s.dashed).collect();
    assert_eq!(reads_dashed, expected);
    assert!(series[..10].iter().all(|s| !s.dotted));
    let failed_dotted: Vec<bool> = series[10..].iter().map(|s| s.dotted).collect();
    assert_eq!(failed_dotted, expected);
    assert_eq!(series[18].color, series[0].color);
    let samples: Vec<Sample> = figure.legend.iter().map(|e| e.sample).collect();
    assert_eq!(
        samples[..4],
        [
            Sample::Line,
            Sample::WideDashed,
            Sample::WideDotted,
            Sample::Note
        ]
    );
    let nodes: Vec<bool> = figure.legend[4..]
        .iter()
        .map(|e| e.sample == Sample::Dashed)
        .collect();
    assert_eq!(nodes, expected);
    assert_eq!(
        figure.panels[0].label.as_ref().unwrap().0,
        "fixed-ttl: busiest node 9, peak 1000 reads/s"
    );
}

#[test]
fn failed_reads_keep_only_the_zeros_next_to_failures() {
    let points = |values: &[Option<f64>]| -> Vec<(f64, Option<f64>)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as f64, v))
            .collect()
    };
    let values = |points: Vec<(f64, Option<f64>)>| -> Vec<Option<f64>> {
        points.into_iter().map(|p| p.1).collect()
    };
    let z = Some(0.0);
    let one = Some(1.0);
    assert_eq!(
        values(around_nonzero(points(&[z, z, one, z, z, z, one, one, z]))),
        [None, z, one, z, None, z, one, one, z]
    );
    assert_eq!(values(around_nonzero(points(&[z, z]))), [None, None]);
    assert_eq!(
        values(around_nonzero(points(&[one, None, z, Some(f64::NAN), z]))),
        [one, None, None, None, None]
    );
    assert!(around_nonzero(Vec::new()).is_empty());
}

#[test]
fn node_load_is_left_out_beyond_max_panels() {
    let template = node_sample().strategies[0].clone();
    let many = scenario(
        (0..=MAX_PANELS)
            .map(|i| StrategyResult {
                name: format!("s{i}"),
                ..template.clone()
            })
            .collect(),
    );
    let charts = render_all(&many, ImageFormat::Svg).unwrap();
    assert!(!stems(&charts).contains(&"node_load"));
}

#[test]
fn degenerate_node_data_renders_without_panicking() {
    let mut odd = node_sample();
    let s = &mut odd.strategies[0].result;
    s.buckets[1].width_s = 0.0;
    s.buckets[2].width_s = f64::NAN;
    s.buckets[3].width_s = 1e-300;
    s.buckets[4].start_s = f64::NAN;
    s.nodes[5][2].reads = u64::MAX;
    s.nodes[6][1].errors = u64::MAX;
    s.nodes[7].clear();
    s.nodes[8].truncate(1);
    s.nodes.truncate(100);
    odd.strategies[2].name = "<b>&\"'\u{1b}[31m".to_owned();
    let idle = node_sample_idle();
    let mut no_buckets = scenario(vec![strategy("no-buckets", 100.0, Vec::new())]);
    no_buckets.strategies[0].result.nodes = vec![vec![NodeRow::default(); 3]];
    for case in [odd, idle, no_buckets] {
        let figure = build_figure(Kind::NodeLoad, &case);
        assert!(figure.panels.iter().all(|p| p.y.lo == 0.0 && p.y.hi > 0.0));
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&case, format).unwrap();
            assert_eq!(stems(&charts).last(), Some(&"node_load"));
            if format == ImageFormat::Svg {
                let text = std::str::from_utf8(&charts.last().unwrap().bytes).unwrap();
                if let Err(e) = roxmltree::Document::parse(text) {
                    panic!("node_load is not valid XML: {e}");
                }
            }
        }
    }
    let idle = build_figure(Kind::NodeLoad, &node_sample_idle());
    assert!(idle
        .panels
        .iter()
        .all(|p| p.label.as_ref().unwrap().0.ends_with(": no reads")));
}

/// `node_sample()` with no read sent to any node.
fn node_sample_idle() -> ScenarioResult {
    let mut idle = node_sample();
    for s in &mut idle.strategies {
        for rows in &mut s.result.nodes {
            rows.iter_mut().for_each(|row| *row = NodeRow::default());
        }
    }
    idle
}

// Charts that tell the truth at a glance (issue 11, item 7).

/// `sample()` where only `jittered-10` deploys in two waves after a warm-up, only `fixed-ttl`
/// is flushed, both preload, and the scenario drains: the lists `run_scenario` gives.
fn marked_sample() -> ScenarioResult {
    let mut result = sample();
    let preload = (0.0, "preload all".to_owned());
    result.strategies[0].marks = vec![preload.clone(), (60.0, "flush".to_owned())];
    result.strategies[1].marks = vec![
        preload.clone(),
        (55.0, "warm-up starts".to_owned()),
        (60.0, "deploy (2 waves)".to_owned()),
        (70.0, "wave 2/2".to_owned()),
    ];
    result.timeline = vec![
        preload,
        (60.0, "flush".to_owned()),
        (60.0, "deploy (2 waves)".to_owned()),
        (110.0, "arrivals stop (drain)".to_owned()),
    ];
    result
}

#[test]
fn timeline_marks_start_where_each_event_acts() {
    let text = r#"
name = "marked"
seed = 1
duration = "60s"
bucket = "1s"
[clients]
rps = 100
keyspace = 100
[app]
instances = 3
[cache]
ttl = "30s"
[db]
slots = 2
service = "5ms"
[[timeline]]
at = "0s"
action = "preload"
[[timeline]]
at = "20s"
action = "deploy"
[[strategies]]
name = "at-once"
[[strategies]]
name = "waves"
timeline = [
  { at = "0s", action = "preload" },
  { at = "30s", action = "flush" },
  { at = "20s", action = "deploy", waves = 3, wave_interval = "10s", warmup_top = 10, warmup_rate = 10, warmup_lead = "5s" },
]
"#;
    let scenario = crate::scenario::parse(text, std::path::Path::new("marked.toml")).unwrap();
    let marks = |i: usize| scenario.strategies[i].config.timeline_marks();
    let owned = |marks: Vec<(f64, String)>| {
        marks
            .into_iter()
            .map(|(t, l)| (t, l.leak() as &str))
            .collect::<Vec<_>>()
    };
    assert_eq!(owned(marks(0)), [(0.0, "preload all"), (20.0, "deploy")]);
    // The warm-up starts before the cut-over, later waves follow it; the first mark of every
    // event is the one the scenario-wide timeline lists, and marks at one time keep the order
    // of their events in the (sorted) timeline.
    assert_eq!(
        owned(marks(1)),
        [
            (0.0, "preload all"),
            (15.0, "warm-up starts"),
            (20.0, "deploy (3 waves)"),
            (30.0, "wave 2/3"),
            (30.0, "flush"),
            (40.0, "wave 3/3"),
        ]
    );
}

#[test]
fn marks_are_only_on_the_strategies_that_have_them() {
    let result = marked_sample();
    let marks = chart_marks(&result, x_extent(&result));
    let owners: Vec<(&str, Vec<usize>)> = marks
        .iter()
        .map(|m| (m.label.as_str(), m.owners.clone()))
        .collect();
    // Marks of every strategy and the scenario's own (the drain) belong to all.
    assert_eq!(
        owners,
        [
            ("preload all", vec![]),
            ("warm-up starts", vec![1]),
            ("flush", vec![0]),
            ("deploy (2 waves)", vec![1]),
            ("wave 2/2", vec![1]),
            ("arrivals stop (drain)", vec![]),
        ]
    );

    // Small multiples: a panel shows its strategy's marks and those of all, in grey.
    let figure = build_figure(Kind::LatencyByStrategy, &result);
    let xs: Vec<i32> = (0..marks.len() as i32).map(|k| 100 * k).collect();
    let none = vec![None; marks.len()];
    let drawn = |panel: usize, tops: &[Option<i32>]| {
        event_lines(&figure.events, &xs, tops, &figure.panels[panel], 40)
            .into_iter()
            .filter(|l| l.bottom.is_none())
            .map(|l| (l.x / 100, l.colors))
            .collect::<Vec<_>>()
    };
    let grey = || vec![EVENT_COLOR];
    assert_eq!(drawn(0, &none), [(0, grey()), (2, grey()), (5, grey())]);
    assert_eq!(
        drawn(1, &none),
        [
            (0, grey()),
            (1, grey()),
            (3, grey()),
            (4, grey()),
            (5, grey())
        ]
    );
    // The top panel joins the label of a mark it does not have to the band only.
    let tops = vec![Some(10); marks.len()];
    let joins: Vec<i32> = event_lines(&figure.events, &xs, &tops, &figure.panels[0], 40)
        .into_iter()
        .filter(|l| l.bottom == Some(40))
        .map(|l| l.x / 100)
        .collect();
    assert_eq!(joins, [1, 3, 4]);
    assert!(figure.legend.iter().all(|e| e.text != OWN_EVENTS_NOTE));

    // Overlaid: every mark, those of one strategy in its colour, and the legend says so.
    let overlaid = build_figure(Kind::Latency, &result);
    let lines = event_lines(&overlaid.events, &xs, &none, &overlaid.panels[0], 40);
    let colors: Vec<Vec<RGBColor>> = lines.into_iter().map(|l| l.colors).collect();
    assert_eq!(
        colors,
        [
            grey(),
            vec![strategy_color(1)],
            vec![strategy_color(0)],
            vec![strategy_color(1)],
            vec![strategy_color(1)],
            grey(),
        ]
    );
    assert_eq!(overlaid.events[2].color(), strategy_color(0));
    assert!(overlaid.legend.iter().any(|e| e.text == OWN_EVENTS_NOTE));

    // A mark two strategies of three share takes both colours in turn.
    let mut three = marked_sample();
    three.strategies.push(StrategyResult {
        name: "third".to_owned(),
        ..three.strategies[1].clone()
    });
    let marks = chart_marks(&three, x_extent(&three));
    let wave = marks.iter().find(|m| m.label == "wave 2/2").unwrap();
    assert_eq!(wave.owners, [1, 2]);
    assert_eq!(wave.line_colors(), [strategy_color(1), strategy_color(2)]);
    assert_eq!(wave.color(), EVENT_COLOR);

    // Without per-strategy marks (older results), the scenario-wide list is for all.
    let plain = sample();
    assert!(chart_marks(&plain, x_extent(&plain))
        .iter()
        .all(|m| m.owners.is_empty()));
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        render_all(&result, format).unwrap();
    }
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
    assert!(texts.contains(&"submitted/s (demand)") && texts.contains(&"completed/s (throughput)"));

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
fn errors_by_strategy_shows_each_kind_of_failure_per_panel() {
    let mut result = sample();
    assert!(!has_errors(&result));
    assert!(!stems(&render_all(&result, ImageFormat::Png).unwrap()).contains(&"errors_by_strategy"));
    for b in &mut result.strategies[0].result.buckets {
        if b.start_s < 3.0 {
            b.errors_timeout = 40;
            b.errors_db_rejected = 10;
            b.arrived = 100;
        }
    }
    let figure = build_figure(Kind::ErrorsByStrategy, &result);
    assert_eq!(figure.size, small_multiples_size(2));
    // Only the kinds seen, each in its colour in every panel, named in the legend.
    let legend: Vec<(&str, RGBColor)> = figure
        .legend
        .iter()
        .map(|e| (e.text.as_str(), e.color))
        .collect();
    assert_eq!(
        legend[..2],
        [
            (ERROR_KINDS[0].text, ERROR_KINDS[0].color),
            (ERROR_KINDS[1].text, ERROR_KINDS[1].color)
        ]
    );
    for panel in &figure.panels {
        let colors: Vec<RGBColor> = panel.series.iter().map(|s| s.color).collect();
        assert_eq!(colors, [ERROR_KINDS[0].color, ERROR_KINDS[1].color]);
    }
    let timeouts = &figure.panels[0].series[0];
    assert_eq!(max_value(std::slice::from_ref(timeouts), &[]), 40.0);
    let labels: Vec<&str> = figure
        .panels
        .iter()
        .map(|p| p.label.as_ref().unwrap().0.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "fixed-ttl: 150 failed (50% of requests)",
            "jittered-10: none failed"
        ]
    );
    assert!(figure.panels[1].is_empty());
    assert_eq!(figure.panels[1].empty_text, "no failed request");
    let charts = render_all(&result, ImageFormat::Png).unwrap();
    assert!(stems(&charts).contains(&"errors_by_strategy"));
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

#[test]
fn svgs_embed_the_font_they_were_measured_with() {
    let charts = render_all(&sample(), ImageFormat::Svg).unwrap();
    for chart in &charts {
        let text = std::str::from_utf8(&chart.bytes).unwrap();
        assert!(
            text.contains(&format!("@font-face{{font-family:\"{EMBEDDED_FAMILY}\"")),
            "{}",
            chart.file_stem
        );
        assert!(text.contains(&format!(
            "text{{font-family:\"{EMBEDDED_FAMILY}\",sans-serif}}"
        )));
        roxmltree::Document::parse(text).unwrap();
    }
    let text = std::str::from_utf8(&charts[0].bytes).unwrap();
    let data = text
        .split("base64,")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap();
    let subset = decode_base64(data);
    assert!(subset.len() < 40_000, "a subset, not the whole font");
    // Every character of the chart's texts has its glyph.
    let font = Font::parse(&subset).unwrap();
    for c in "avalanche: p99 request latency fixed-ttl jittered-10 time (s)".chars() {
        assert_ne!(font.glyph(c), 0, "{c:?}");
    }
    assert_eq!(font.glyph('€'), 0, "not in the chart, not in the subset");

    // Drawn with the subset, text looks exactly as with the whole font (outlines, advances,
    // kerning), non-ASCII characters included.
    let words = "Wave AV To 1,234 q/s ≈ ±10% … Ω";
    let chars: std::collections::BTreeSet<char> = words.chars().collect();
    let subset = Font::parse(FONT_BYTES).unwrap().subset(&chars).unwrap();
    let subset: &'static [u8] = Box::leak(subset.into_boxed_slice());
    plotters::style::register_font("subset-test", plotters::style::FontStyle::Normal, subset)
        .map_err(|_| "the subset does not parse")
        .unwrap();
    ensure_font().unwrap();
    let draw = |family: &str| {
        let (w, h) = (400u32, 40u32);
        let mut buffer = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            let style = TextStyle::from((family, 20.0).into_font()).color(&BLACK);
            root.draw(&Text::new(words, (5, 5), style)).unwrap();
        }
        buffer
    };
    let whole = draw(FONT_FAMILY);
    assert!(whole.iter().any(|&b| b < 128), "text was drawn");
    assert!(whole == draw("subset-test"));
}

/// Decodes standard base64 (the inverse of `base64`).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_round_trips() {
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
        let text = base64(&bytes);
        assert_eq!(text.len() % 4, 0);
        assert_eq!(decode_base64(&text), bytes);
    }
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE=");
}

// Replications: the mean line with a band

fn study(runs: Vec<ScenarioResult>) -> StudyResult {
    StudyResult {
        runs,
        warmup_s: 0.0,
        baseline: None,
    }
}

/// `count` replications of `base`, each passed to `vary` with its index.
fn replicate(
    base: &ScenarioResult,
    count: usize,
    vary: impl Fn(usize, &mut ScenarioResult),
) -> Vec<ScenarioResult> {
    (0..count)
        .map(|r| {
            let mut run = base.clone();
            run.seed = base.seed + r as u64;
            vary(r, &mut run);
            run
        })
        .collect()
}

/// Three replications of `sample()` that differ only in fixed-ttl's quiet bucket 30: p99 10,
/// 20 and 60 ms; 100, 200 and 600 queries completed, twice that submitted; a queue of 0, 3
/// and 6; 900, 800 and 400 hits of 1,000 lookups; 0, 0 and 90 failed requests.
fn three_replications() -> Vec<ScenarioResult> {
    replicate(&sample(), 3, |r, run| {
        let b = &mut run.strategies[0].result.buckets[30];
        let (p99, completed, queue, hits, failed) = [
            (10.0, 100, 0, 900, 0),
            (20.0, 200, 3, 800, 0),
            (60.0, 600, 6, 400, 90),
        ][r];
        b.latency.p99_ms = p99;
        b.db_completed = completed;
        b.db_by_cause.miss = 2 * completed;
        b.db_queue_max = queue;
        (b.cache_hits, b.cache_misses) = (hits, 1_000 - hits);
        b.errors_timeout = failed;
    })
}

/// The point of `series` at time `t`, and its band there.
fn at(series: &Series, t: f64) -> (Option<f64>, Option<(f64, f64)>) {
    let point = series.segments.iter().flatten().find(|p| p.0 == t);
    let band = series.band.iter().flatten().find(|b| b.0 == t);
    (point.map(|p| p.1), band.map(|b| (b.1, b.2)))
}

fn assert_near(actual: (Option<f64>, Option<(f64, f64)>), expected: (f64, Option<(f64, f64)>)) {
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let (Some(mean), band) = actual else {
        panic!("no point where {expected:?} was expected");
    };
    assert!(near(mean, expected.0), "{actual:?} != {expected:?}");
    match (band, expected.1) {
        (Some((lo, hi)), Some((elo, ehi))) => {
            assert!(near(lo, elo) && near(hi, ehi), "{actual:?} != {expected:?}")
        }
        (None, None) => {}
        _ => panic!("{actual:?} != {expected:?}"),
    }
}

const BAND_LEGEND: &str = "Lines: mean of 3 replications; shaded: min to max";

#[test]
fn one_replication_draws_byte_for_byte_what_render_all_draws() {
    let mut failing = sample();
    failing.strategies[0].result.buckets[5].errors_timeout = 7;
    for result in [
        sample(),
        failing,
        writing_sample(),
        retrying_sample(),
        node_sample(),
    ] {
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let plain = render_all(&result, format).unwrap();
            assert_eq!(
                render_study(&study(vec![result.clone()]), format).unwrap(),
                plain
            );
        }
        let figure = build_figure(Kind::Latency, &result);
        assert!(figure.panels[0].series.iter().all(|s| s.band.is_empty()));
        assert!(!figure
            .legend
            .iter()
            .any(|e| e.text.starts_with("Lines: mean")));
    }
}

#[test]
fn replications_draw_the_mean_line_with_a_band_from_lowest_to_highest() {
    let runs = three_replications();
    let runs = Runs::of(&runs);

    let latency = build_figure(Kind::Latency, runs);
    let line = &latency.panels[0].series[0];
    assert_near(at(line, 30.0), (30.0, Some((10.0, 60.0))));
    // Where every replication has the same value the mean is that value, the band a line.
    assert_near(at(line, 31.0), (8.0, Some((8.0, 8.0))));
    assert_near(at(line, 0.0), (1000.0, Some((1000.0, 1000.0))));
    assert_eq!(line.color, strategy_color(0));
    assert_eq!(latency.legend.last().unwrap().text, BAND_LEGEND);
    assert_eq!(latency.legend.last().unwrap().sample, Sample::Note);

    let hits = build_figure(Kind::HitRatio, runs);
    assert_near(at(&hits.panels[0].series[0], 30.0), (0.7, Some((0.4, 0.9))));

    // The axis reaches past the top of a band, not only past the mean.
    let errors = build_figure(Kind::Errors, runs);
    let failed = &errors.panels[0].series[0];
    assert_near(at(failed, 30.0), (30.0, Some((0.0, 90.0))));
    assert!(errors.panels[0].y.hi > 90.0);

    // The database load: throughput with its band; demand's mean dashed, without a band (two
    // bands a strategy would bury the lines); the queue with its band.
    let db = build_figure(Kind::DbLoad, runs);
    let (submitted, completed) = (&db.panels[0].series[0], &db.panels[0].series[2]);
    assert!(submitted.dashed && !completed.dashed);
    assert_near(at(completed, 30.0), (300.0, Some((100.0, 600.0))));
    assert_near(at(submitted, 30.0), (600.0, None));
    assert!(db.panels[0].series[..2].iter().all(|s| s.band.is_empty()));
    assert_near(at(&db.panels[1].series[0], 30.0), (3.0, Some((0.0, 6.0))));

    // Each panel of the small multiples has both bands, and a label of its mean line's peak.
    let by_strategy = build_figure(Kind::DbLoadByStrategy, runs);
    let lines = &by_strategy.panels[0].series;
    assert_near(at(&lines[0], 30.0), (600.0, Some((200.0, 1200.0))));
    assert_near(at(&lines[1], 30.0), (300.0, Some((100.0, 600.0))));
    assert_eq!(
        by_strategy.panels[0].label.as_ref().unwrap().0,
        "fixed-ttl: peak 5000 q/s submitted, 5000 completed"
    );
    assert_eq!(by_strategy.legend.last().unwrap().text, BAND_LEGEND);
    let latency = build_figure(Kind::LatencyByStrategy, runs);
    assert_near(
        at(&latency.panels[0].series[0], 30.0),
        (30.0, Some((10.0, 60.0))),
    );

    // jittered-10 is the same in every replication: its band has no height anywhere.
    let flat = &build_figure(Kind::Latency, runs).panels[0].series[1];
    assert!(flat
        .band
        .iter()
        .flatten()
        .all(|b| b.1 == 10.0 && b.2 == 10.0));
    assert_eq!(flat.band.iter().flatten().count(), 120);
}

#[test]
fn a_bucket_some_replications_lack_is_the_mean_of_the_others() {
    let mut runs = three_replications();
    // Replication 1 stops a bucket early and replication 2 two (a drain that ended sooner):
    // bucket 118 is the mean of two, bucket 119 the one value that reached it, without a band.
    runs[1].strategies[0].result.buckets.truncate(119);
    runs[2].strategies[0].result.buckets.truncate(118);
    runs[0].strategies[0].result.buckets[118].latency.p99_ms = 4.0;
    runs[1].strategies[0].result.buckets[118].latency.p99_ms = 6.0;
    runs[0].strategies[0].result.buckets[119].latency.p99_ms = 7.0;
    // Nothing completed in bucket 40 of replication 2 (no p99): the mean of the other two.
    runs[0].strategies[0].result.buckets[40].latency.p99_ms = 2.0;
    runs[2].strategies[0].result.buckets[40].latency.count = 0;
    // Nothing completed in bucket 50 of any replication: a gap.
    for run in &mut runs {
        run.strategies[0].result.buckets[50].latency.count = 0;
    }
    let figure = build_figure(Kind::Latency, Runs::of(&runs));
    let line = &figure.panels[0].series[0];
    assert_near(at(line, 118.0), (5.0, Some((4.0, 6.0))));
    assert_near(at(line, 119.0), (7.0, None));
    assert_near(at(line, 40.0), (5.0, Some((2.0, 8.0))));
    assert_eq!(at(line, 50.0), (None, None));
    assert_eq!(line.segments.len(), 2);
    assert_eq!(
        line.band.len(),
        2,
        "the band breaks at the gap and where one value is left"
    );
    assert_eq!(
        figure.legend.last().unwrap().text,
        format!("{BAND_LEGEND}; from 118 s on, of those still running")
    );
    // The time axis covers the longest replication, whichever it is.
    runs.swap(0, 2);
    assert_eq!(x_extent(Runs::of(&runs)), 120.0);
}

#[test]
fn failures_by_kind_are_means_over_replications_and_drawn_when_any_replication_failed() {
    // fixed-ttl fails 0, 30 and 60 requests a second in buckets 0 to 2 of replications 0 to 2.
    let runs = replicate(&sample(), 3, |r, run| {
        for b in &mut run.strategies[0].result.buckets[..3] {
            b.errors_timeout = 30 * r as u64;
            b.arrived = 100;
        }
    });
    assert!(
        !stems(&render_all(&runs[0], ImageFormat::Png).unwrap()).contains(&"errors_by_strategy")
    );
    let charts = render_study(&study(runs.clone()), ImageFormat::Png).unwrap();
    assert!(stems(&charts).contains(&"errors_by_strategy"));

    let figure = build_figure(Kind::ErrorsByStrategy, Runs::of(&runs));
    let line = &figure.panels[0].series[0];
    assert_near(at(line, 0.0), (30.0, Some((0.0, 60.0))));
    // Drawn near failures only: the zero next to the last failure, then nothing.
    assert_near(at(line, 3.0), (0.0, Some((0.0, 0.0))));
    assert_eq!(at(line, 4.0), (None, None));
    assert_eq!(
        figure.panels[0].label.as_ref().unwrap().0,
        "fixed-ttl: mean 90 failed (30% of requests)"
    );
    assert_eq!(
        figure.panels[1].label.as_ref().unwrap().0,
        "jittered-10: none failed"
    );
}

#[test]
fn outdated_shares_count_a_replication_without_outdated_reads_as_zero() {
    // jittered-10 has 1 outdated read in 10,000 a bucket, none in buckets 10 and 11; in bucket
    // 20 of replications 0 to 2, none, 2 and 4.
    let runs = replicate(&writing_sample(), 3, |r, run| {
        run.strategies[1].result.buckets[20].outdated_reads = 2 * r as u64;
    });
    let figure = build_figure(Kind::OutdatedReads, Runs::of(&runs));
    let line = &figure.panels[0].series[1];
    // Mean 0.02%; no band, whose bottom (0%) is off the log axis.
    assert_near(at(line, 20.0), (0.02, None));
    assert_near(at(line, 21.0), (0.01, Some((0.01, 0.01))));
    assert_eq!(
        at(line, 10.0),
        (None, None),
        "no outdated read in any replication: a gap"
    );
    let texts: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&GAP_NOTE), "{texts:?}");
    assert_eq!(texts.last(), Some(&BAND_LEGEND));

    // The overlaid ages tangle: their bands are only in the small multiples, and the legend
    // says the lines are means without speaking of bands.
    let ages = build_figure(Kind::OutdatedAge, Runs::of(&runs));
    assert!(ages.panels[0].series.iter().all(|s| s.band.is_empty()));
    assert_eq!(
        ages.legend.last().unwrap().text,
        "Lines: mean of 3 replications"
    );
    let by_strategy = build_figure(Kind::OutdatedAgeByStrategy, Runs::of(&runs));
    assert!(!by_strategy.panels[1].series[0].band.is_empty());
    assert_eq!(by_strategy.legend.len(), 1, "a legend of the note alone");
}

#[test]
fn goodput_has_a_band_and_its_backdrops_do_not() {
    let runs = replicate(&retrying_sample(), 3, |r, run| {
        run.strategies[0].result.buckets[30].completed = 400 * r as u64;
    });
    let figure = build_figure(Kind::Goodput, Runs::of(&runs));
    let [arrivals, throughput, goodput] = &figure.panels[0].series[..] else {
        panic!("three lines a panel");
    };
    assert!(arrivals.band.is_empty() && throughput.band.is_empty());
    assert_near(at(goodput, 30.0), (400.0, Some((0.0, 800.0))));
}

#[test]
fn node_reads_are_means_with_bands_and_failed_reads_means_without() {
    let runs = replicate(&node_sample(), 3, |r, run| {
        run.strategies[0].result.nodes[5][2].reads = 400 + 300 * r as u64;
    });
    let figure = build_figure(Kind::NodeLoad, Runs::of(&runs));
    let series = &figure.panels[0].series;
    assert_near(at(&series[2], 5.0), (700.0, Some((400.0, 1000.0))));
    let failed = &series[3];
    assert_eq!(failed.width, WIDE_LINE_WIDTH);
    assert!(failed.band.is_empty());
    assert_near(at(failed, 60.0), (200.0, None));
}

#[test]
fn replicated_charts_render_every_chart_with_names_escaped() {
    let hostile = "<b>&\"'\u{1b}[31m\u{7}";
    let mut base = writing_sample();
    base.strategies[0].name = format!("{hostile}one");
    for b in &mut base.strategies[1].result.buckets[..2] {
        b.errors_timeout = 5;
    }
    let runs = replicate(&base, 3, |r, run| {
        for b in &mut run.strategies[0].result.buckets {
            b.latency.p99_ms *= 1.0 + r as f64;
            b.db_completed += 100 * r as u64;
        }
    });
    let study = study(runs);
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let charts = render_study(&study, format).unwrap();
        assert_eq!(
            stems(&charts),
            stems(&render_all(study.first(), format).unwrap())
        );
        assert_eq!(
            charts,
            render_study(&study, format).unwrap(),
            "deterministic"
        );
        for chart in charts {
            match format {
                ImageFormat::Png => assert!(chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
                ImageFormat::Svg => {
                    let text = String::from_utf8(chart.bytes).unwrap();
                    if let Err(e) = roxmltree::Document::parse(&text) {
                        panic!("{} is not valid XML: {e}", chart.file_stem);
                    }
                    assert!(!text.contains('\u{1b}'), "{}", chart.file_stem);
                    assert!(text.contains("Lines: mean of 3"), "{}", chart.file_stem);
                }
            }
        }
    }
    let svg = render_study(&study, ImageFormat::Svg).unwrap();
    let latency = String::from_utf8(svg[0].bytes.clone()).unwrap();
    assert!(latency.contains("\\u{1b}[31m"));
    // The band: a translucent area in the strategy's colour.
    assert!(latency.contains("<polygon"), "no band drawn");
}

#[test]
fn a_band_of_a_million_points_is_thinned_to_an_envelope_of_every_point() {
    let mut points: Vec<(f64, f64, f64)> = (0..1_000_000).map(|i| (i as f64, 1.0, 2.0)).collect();
    points[123_456].2 = 50.0;
    points[777_777].1 = 0.25;
    let thin = thin_band(points);
    assert!(thin.len() <= MAX_POINTS + 2, "{}", thin.len());
    assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
    let covering = |t: f64, v: f64| {
        thin.windows(2)
            .any(|w| w[0].0 <= t && t <= w[1].0 && w[0].1 <= v && v <= w[0].2)
    };
    assert!(covering(123_456.0, 50.0) && covering(777_777.0, 0.25));
    let few: Vec<(f64, f64, f64)> = (0..10).map(|i| (i as f64, 0.0, 1.0)).collect();
    assert_eq!(thin_band(few.clone()), few);
}
