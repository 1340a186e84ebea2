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
