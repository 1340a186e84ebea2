//! Tests of what `mod.rs` offers: which charts `render_all` and `render_study` draw, in which
//! order and format, deterministically and with hostile names escaped. The tests of each chart
//! live beside its module; their shared fixtures are in `test_fixtures`.

use super::test_fixtures::*;

#[test]
fn renders_every_chart_in_fixed_order() {
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let charts = render_all(&sample(), format).unwrap();
        assert_eq!(stems(&charts), STEMS);
        assert!(charts.iter().all(|c| !c.bytes.is_empty()));
    }
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
