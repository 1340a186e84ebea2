//! The chart of cache nodes, drawn only when a strategy's reads went through node faults (it has
//! per-node rows): how many reads each node was sent, and how many of them failed.
//!
//! `node_load` has one panel per strategy with node rows, all on one linear axis from 0, and one
//! line per node in that node's colour (the same in every panel): reads sent to it per second
//! (solid) and, where it failed reads, its failed reads per second (dashed, wider, on top). A
//! hot node stands above its neighbours; a dead node's reads drop to 0 (taken out of the ring)
//! or its dashed line climbs onto its solid one (every read fails); keys moving to its
//! neighbours lift their lines while it is gone.
//!
//! The failed reads are drawn wider than the reads so that where the two lines meet (every read
//! failing) both stay visible, as beads on the line; and only around the buckets with failures,
//! since a dashed line along 0 for every node would hide a dead node's reads dropping to 0. Past
//! eight nodes the colours repeat, so, as in the overlaid charts, the second round's reads are
//! dashed, and its failed reads dotted.

use super::*;

/// The y axis of a node panel and its solid lines: reads sent to a node, per second (no
/// column of its own: the node columns of `timeseries.csv` hold them per node).
const NODE_READS: &str = "reads per second";

use crate::metrics::NodeRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// Title of `node_load`, after the scenario's name.
pub(super) const NODE_LOAD_TITLE: &str = "reads sent to each cache node per second, by strategy";

/// Where the failed reads are drawn (a note under their legend entries).
pub(super) const FAILED_NOTE: &str = "Drawn only near failures";

/// The legend's name for the failed reads of a node of the second round of colours (whose
/// reads are dashed), drawn dotted.
pub(super) const REPEATED_FAILED_TEXT: &str = "failed reads/s of a dashed node";

/// Whether any strategy of the scenario has per-node rows; without any, `node_load` is not
/// drawn.
pub(super) fn has_node_rows(result: &ScenarioResult) -> bool {
    result.strategies.iter().any(has_rows)
}

/// Whether a strategy has per-node rows in some replication.
fn has_rows_in_any(replicas: &[&StrategyResult]) -> bool {
    replicas.iter().any(|s| has_rows(s))
}

/// How many nodes a strategy has rows for, in any replication.
fn node_count_in_any(replicas: &[&StrategyResult]) -> usize {
    replicas.iter().map(|s| node_count(s)).max().unwrap_or(0)
}

/// Whether a strategy has per-node rows (its reads went through node faults).
pub(super) fn has_rows(s: &StrategyResult) -> bool {
    s.result.nodes.iter().any(|rows| !rows.is_empty())
}

/// How many nodes a strategy has rows for.
pub(super) fn node_count(s: &StrategyResult) -> usize {
    s.result.nodes.iter().map(Vec::len).max().unwrap_or(0)
}

/// One node's `count` per second of each bucket, at the bucket's start; `None` where the bucket
/// has no width or no row for the node.
pub(super) fn node_rates(
    s: &StrategyResult,
    node: usize,
    count: impl Fn(&NodeRow) -> u64,
) -> Vec<(f64, Option<f64>)> {
    s.result
        .buckets
        .iter()
        .zip(&s.result.nodes)
        .map(|(b, rows)| {
            let per_s = rows
                .get(node)
                .filter(|_| b.width_s > 0.0)
                .map(|row| count(row) as f64 / b.width_s);
            (b.start_s, per_s)
        })
        .collect()
}

/// Leaves out the zeros that are not next to a value above zero: a run of buckets without a
/// failed read draws no line along the axis (where it would hide a node's reads dropping to 0),
/// while every rise from 0 and fall back to it is still drawn.
pub(super) fn around_nonzero(mut points: Vec<(f64, Option<f64>)>) -> Vec<(f64, Option<f64>)> {
    let positive: Vec<bool> = points
        .iter()
        .map(|(_, v)| v.is_some_and(|v| v > 0.0 && v.is_finite()))
        .collect();
    for (i, (_, v)) in points.iter_mut().enumerate() {
        let next_to_positive = (i > 0 && positive[i - 1]) || positive.get(i + 1) == Some(&true);
        if !positive[i] && !next_to_positive {
            *v = None;
        }
    }
    points
}

/// One node's mean `count` per second over the replications of a strategy, with its band.
fn mean_node_rates(
    replicas: &[&StrategyResult],
    node: usize,
    count: impl Fn(&NodeRow) -> u64,
) -> Vec<MeanPoint> {
    let lens: Vec<usize> = replicas
        .iter()
        .map(|s| s.result.buckets.len().min(s.result.nodes.len()))
        .collect();
    mean_line(&lens, |r, k| {
        let (b, rows) = (&replicas[r].result.buckets[k], &replicas[r].result.nodes[k]);
        let per_s = rows
            .get(node)
            .filter(|_| b.width_s > 0.0)
            .map(|row| count(row) as f64 / b.width_s);
        (b.start_s, per_s)
    })
}

/// A strategy's lines: every node's reads per second, then, on top, the failed reads per second
/// of each node that failed any, around the buckets where it failed some. With replications
/// (`replicas`, the strategy in each) the lines are their means, and the reads have bands.
pub(super) fn node_series(replicas: &[&StrategyResult]) -> Vec<Series> {
    let [s] = replicas else {
        return mean_node_series(replicas);
    };
    let nodes = node_count(s);
    let mut reads = Vec::with_capacity(nodes);
    let mut failed = Vec::new();
    for node in 0..nodes {
        let color = strategy_color(node);
        let points = node_rates(s, node, |row| row.reads).into_iter();
        let mut line = Series::line(color, line_segments(points));
        line.dashed = repeats_color(node);
        reads.push(line);
        failed.extend(failed_line(node, node_rates(s, node, |row| row.errors)));
    }
    reads.extend(failed);
    reads
}

/// The wide dashed line of `node`'s failed reads per second (`points`), drawn only around
/// its buckets with failures; `None` when it has none.
fn failed_line(node: usize, points: Vec<(f64, Option<f64>)>) -> Option<Series> {
    let segments = line_segments(around_nonzero(points).into_iter());
    if segments.is_empty() {
        return None;
    }
    let mut line = Series::line(strategy_color(node), segments);
    line.width = WIDE_LINE_WIDTH;
    line.dashed = true;
    line.dotted = repeats_color(node);
    Some(line)
}

/// [`node_series`] of several replications: the mean lines, with bands around the reads.
fn mean_node_series(replicas: &[&StrategyResult]) -> Vec<Series> {
    let nodes = node_count_in_any(replicas);
    let mut reads = Vec::with_capacity(nodes);
    let mut failed = Vec::new();
    for node in 0..nodes {
        let color = strategy_color(node);
        let mut line = mean_series(color, &mean_node_rates(replicas, node, |row| row.reads));
        line.dashed = repeats_color(node);
        reads.push(line);
        let points = mean_node_rates(replicas, node, |row| row.errors);
        failed.extend(failed_line(
            node,
            points.iter().map(|p| (p.t, p.mean)).collect(),
        ));
    }
    reads.extend(failed);
    reads
}

/// The panels of `node_load`: one per strategy with node rows, on one linear axis from 0, each
/// labelled above its plot with the strategy's name and its busiest node's peak reads per
/// second; and the legend: what the solid, dashed (and dotted) lines are, then the nodes by
/// colour.
pub(super) fn node_load_panels(result: &Runs) -> (Vec<Panel>, Vec<LegendEntry>) {
    let strategies: Vec<(usize, Vec<&StrategyResult>)> = (0..result.strategies.len())
        .map(|i| (i, result.strategy(i)))
        .filter(|(_, replicas)| has_rows_in_any(replicas))
        .collect();
    let lines: Vec<Vec<Series>> = strategies.iter().map(|(_, s)| node_series(s)).collect();
    let top = lines
        .iter()
        .map(|series| max_value(series, &[]))
        .fold(0.0, f64::max);
    let y = Axis::linear(0.0, padded_max(&[], &[top]));
    let last = strategies.len().saturating_sub(1);
    let panels = strategies
        .iter()
        .zip(lines)
        .enumerate()
        .map(|(i, ((index, s), series))| Panel {
            y_desc: NODE_READS,
            // The lines have the nodes' colours, not the strategy's.
            label: Some((
                format!(
                    "{}: {}",
                    s[0].name,
                    busiest_node(&series, node_count_in_any(s))
                ),
                TEXT_COLOR,
            )),
            strategy: Some(*index),
            y: y.clone(),
            // Labels go above the plots.
            weight: labelled_panel_weight(i, last),
            integer: false,
            refs: Vec::new(),
            series,
            empty_text: NO_DATA,
        })
        .collect();

    // What the kinds of line are first, so that with many nodes the "+ N more" cuts nodes.
    let nodes = strategies
        .iter()
        .map(|(_, s)| node_count_in_any(s))
        .max()
        .unwrap_or(0);
    let mut legend = vec![
        LegendEntry::new(NODE_READS.to_owned(), NEUTRAL_COLOR, Sample::Line),
        LegendEntry::new(
            "failed reads per second".to_owned(),
            NEUTRAL_COLOR,
            Sample::WideDashed,
        ),
    ];
    if (0..nodes).any(repeats_color) {
        legend.push(LegendEntry::new(
            REPEATED_FAILED_TEXT.to_owned(),
            NEUTRAL_COLOR,
            Sample::WideDotted,
        ));
    }
    legend.push(LegendEntry::note(FAILED_NOTE));
    legend.extend((0..nodes).map(|node| {
        LegendEntry::new(
            format!("node {node}"),
            strategy_color(node),
            line_sample(node),
        )
    }));
    (panels, legend)
}

/// A panel's label after the strategy's name: the node with the highest reads per second
/// (the first of equals) and that peak, e.g. `busiest node 2, peak 17,012 reads/s`; the reads
/// lines are the first `nodes` of `series`.
pub(super) fn busiest_node(series: &[Series], nodes: usize) -> String {
    let busiest = series
        .iter()
        .take(nodes)
        .map(|s| line_max(std::slice::from_ref(s)))
        .enumerate()
        .fold(
            None,
            |best: Option<(usize, f64)>, (node, peak)| match best {
                Some((_, top)) if top >= peak => best,
                _ => Some((node, peak)),
            },
        );
    match busiest {
        Some((node, peak)) if peak > 0.0 => {
            format!(
                "busiest node {node}, peak {} reads/s",
                format_quantity(peak)
            )
        }
        _ => "no reads".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

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
        let many = beyond_max_panels(&node_sample().strategies[0]);
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
}
