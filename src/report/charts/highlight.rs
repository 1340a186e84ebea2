//! Overlays of many strategies: with more than [`MAX_COLOURED`] strategies on one panel, eight
//! coloured lines tangle into one another, so only the baseline (the scenario's first strategy)
//! and the best (first on the scenario's objective, its `[[expect]]` figures, else p99 latency
//! and errors: one best for every chart, as report.html's ranking) keep their colours; the
//! others are drawn thin and grey, beneath, and their legend entries and own timeline marks
//! greyed. Each greyed strategy has its own grey ([`greyed_color`]), one or two levels of RGB
//! off [`GREYED_COLOR`], too little to see, enough for report.html to tell whose line it is. Each strategy keeps its own colour in the `_by_strategy` small
//! multiples. With up to four strategies an overlay is drawn as before.

use plotters::style::RGBColor;

use super::*;

/// The most strategies an overlay draws each in its own colour.
pub(super) const MAX_COLOURED: usize = 4;

/// The grey of the greyed lines and legend entries: each strategy's is this, one or two
/// levels of RGB off ([`greyed_color`]).
pub(super) const GREYED_COLOR: RGBColor = RGBColor(185, 185, 185);

/// How many strategies have a grey of their own; strategy `i` has the grey of `i` modulo this.
pub(super) const GREYS: usize = 120;

/// The grey of greyed strategy `index`'s lines, legend entries and marks: [`GREYED_COLOR`]
/// with each channel moved by at most one level for the first 24 strategies, two for the next
/// 96 (a distinct shade for each of [`GREYS`] strategies, then again), and never a neutral
/// grey (all three channels equal), which report.html reads as the chart's frame and text.
pub(super) fn greyed_color(index: usize) -> RGBColor {
    const STEPS: [i16; 5] = [0, 1, -1, 2, -2];
    // Round one moves channels by up to one level; round two, by two in at least one.
    let (r, g, b) = [(3, 1), (5, 2)]
        .into_iter()
        .flat_map(|(n, level): (usize, i16)| {
            (0..n * n * n)
                .map(move |k| (STEPS[k / (n * n)], STEPS[k / n % n], STEPS[k % n]))
                .filter(move |&(r, g, b)| r.abs().max(g.abs()).max(b.abs()) == level)
        })
        .filter(|&(r, g, b)| !(r == g && g == b))
        .nth(index % GREYS)
        .expect("GREYS shades");
    let c = GREYED_COLOR;
    let at = |v: u8, d: i16| (v as i16 + d) as u8;
    RGBColor(at(c.0, r), at(c.1, g), at(c.2, b))
}

/// Whether `c` is a greyed strategy's grey ([`greyed_color`]).
pub(super) fn is_greyed(c: RGBColor) -> bool {
    let near = |v: u8, g: u8| v.abs_diff(g) <= 2;
    near(c.0, GREYED_COLOR.0) && near(c.1, GREYED_COLOR.1) && near(c.2, GREYED_COLOR.2)
}

/// The legend's note on the greyed lines.
pub(super) const GREYED_NOTE: &str = "Grey: the other strategies";

/// The strategies an overlay of `runs` keeps in colour: all of them up to [`MAX_COLOURED`];
/// beyond, the baseline (index 0) and the best on the runs' objective
/// ([`crate::report::ranking::rank`]: the scenario's `[[expect]]` figures, else p99 latency
/// and errors), the same whatever the chart plots.
pub(super) fn coloured(runs: &Runs) -> Vec<usize> {
    let n = runs.strategies.len();
    if n <= MAX_COLOURED {
        return (0..n).collect();
    }
    let mut keep = vec![0];
    let best = crate::report::ranking::rank(runs.all(), runs.objective()).best();
    if let Some(i) = best.filter(|&i| i != 0) {
        keep.push(i);
    }
    keep
}

/// Greys every line of `series` and legend entry not in `keep`, draws the grey lines first
/// (beneath the coloured ones), and notes the grey in the legend; nothing when every strategy
/// is kept.
pub(super) fn grey_others(series: &mut [Series], legend: &mut Vec<LegendEntry>, keep: &[usize]) {
    if keep.len() == series.len() {
        return;
    }
    for (i, s) in series.iter_mut().enumerate() {
        if !keep.contains(&i) {
            grey(s, i);
        }
    }
    grey_first(series);
    grey_legend(legend, keep);
}

/// Greys the share of `marks` of every strategy of `n` not in `keep`, as its lines (each in
/// its strategy's grey).
pub(super) fn grey_marks(marks: &mut [EventMark], n: usize, keep: &[usize]) {
    if keep.len() == n {
        return;
    }
    for m in marks {
        m.greyed = m
            .owners
            .iter()
            .copied()
            .filter(|i| !keep.contains(i))
            .collect();
    }
}

/// Makes `s` a greyed line of strategy `index`: thin, in its grey, without a band; a dashed
/// line stays dashed.
pub(super) fn grey(s: &mut Series, index: usize) {
    s.color = greyed_color(index);
    s.width = THIN_LINE_WIDTH;
    s.band.clear();
}

/// Orders `series` so that the greyed lines are drawn first, beneath the coloured ones, each
/// group in its order.
pub(super) fn grey_first(series: &mut [Series]) {
    series.sort_by_key(|s| !is_greyed(s.color));
}

/// Greys the legend entries of the strategies not in `keep`, and the minor entries under them
/// (their own reference lines), each in its strategy's grey, and adds [`GREYED_NOTE`].
pub(super) fn grey_legend(legend: &mut Vec<LegendEntry>, keep: &[usize]) {
    let mut greyed = None;
    for entry in legend.iter_mut() {
        greyed = match entry.strategy {
            Some(i) => (!keep.contains(&i)).then_some(i),
            None => greyed.filter(|_| entry.minor && entry.sample != Sample::Note),
        };
        if let Some(i) = greyed {
            entry.color = greyed_color(i);
        }
    }
    legend.push(LegendEntry::note(GREYED_NOTE));
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::charts::test_fixtures::{sample, scenario};

    fn flat(values: &[f64]) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Series::line(strategy_color(i), vec![vec![(0.0, v), (1.0, v)]]))
            .collect()
    }

    /// Strategies whose whole-run p99s are `p99_ms` and hit ratios `hits` per thousand.
    fn ranked(p99_ms: &[f64], hits: &[u64]) -> ScenarioResult {
        let template = sample().strategies[1].clone();
        scenario(
            p99_ms
                .iter()
                .zip(hits)
                .enumerate()
                .map(|(i, (&p99, &hits))| {
                    let mut s = template.clone();
                    s.name = format!("s{i}");
                    let t = &mut s.result.summary.totals;
                    t.width_s = 1.0;
                    t.arrived = 1_000;
                    t.completed = 1_000;
                    t.latency.count = 1_000;
                    t.latency.p99_ms = p99;
                    t.cache_hits = hits;
                    t.cache_misses = 1_000 - hits;
                    s
                })
                .collect(),
        )
    }

    #[test]
    fn each_greyed_strategy_has_its_own_grey_at_most_two_levels_off_and_never_neutral() {
        let greys: Vec<RGBColor> = (0..GREYS).map(greyed_color).collect();
        for (i, c) in greys.iter().enumerate() {
            let off = [c.0, c.1, c.2].map(|v| v.abs_diff(GREYED_COLOR.0));
            let most = if i < 24 { 1 } else { 2 };
            assert!(off.iter().all(|&d| d <= most), "{i}: {c:?}");
            assert!(!(c.0 == c.1 && c.1 == c.2), "{i}: {c:?} neutral");
            assert!(is_greyed(*c));
            assert!(!greys[..i].contains(c), "{i}: {c:?} repeats");
        }
        assert_eq!(greyed_color(GREYS + 3), greys[3]);
        // No other colour of a chart passes for a greyed strategy's.
        let others = (0..PALETTE.len())
            .flat_map(|i| [strategy_color(i), paler(strategy_color(i))])
            .chain([
                GREYED_COLOR,
                EVENT_COLOR,
                NEUTRAL_COLOR,
                CAPACITY_COLOR,
                ARRIVALS_COLOR,
                TEXT_COLOR,
            ]);
        for c in others {
            assert!(!greys.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn up_to_four_strategies_keep_their_colours_beyond_only_baseline_and_best_by_objective() {
        let four = ranked(&[5.0, 1.0, 3.0, 2.0], &[1, 2, 3, 4]);
        assert_eq!(coloured(&Runs::from(&four)), [0, 1, 2, 3]);
        // Without [[expect]]: the lowest p99, whatever the chart plots.
        let five = ranked(&[5.0, 4.0, 1.0, 3.0, 2.0], &[900, 100, 200, 300, 950]);
        assert_eq!(coloured(&Runs::from(&five)), [0, 2]);
        // With [[expect]] on the hit ratio: the highest; on the baseline itself: it alone.
        let hit_ratio = ["hit_ratio".to_string()];
        let runs = std::slice::from_ref(&five);
        assert_eq!(coloured(&Runs::of(runs).with_objective(&hit_ratio)), [0, 4]);
        let p99 = ranked(&[1.0, 4.0, 2.0, 3.0, 2.0], &[1, 1, 1, 1, 1]);
        assert_eq!(coloured(&Runs::from(&p99)), [0]);
        // The charts grey by it: the latency chart keeps s0 and s4 on the hit ratio's objective.
        let figure = build_figure(Kind::Latency, Runs::of(runs).with_objective(&hit_ratio));
        let kept: Vec<&str> = figure
            .legend
            .iter()
            .filter(|e| e.strategy.is_some() && !is_greyed(e.color))
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(kept, ["s0", "s4 (same as s0)"]);

        let mut series = flat(&[5.0, 4.0, 1.0, 3.0, 2.0]);
        let mut legend: Vec<LegendEntry> = (0..5)
            .map(|i| LegendEntry {
                strategy: Some(i),
                ..LegendEntry::new(format!("s{i}"), strategy_color(i), Sample::Line)
            })
            .collect();
        grey_others(&mut series, &mut legend, &[0, 2]);
        let greyed: Vec<bool> = series.iter().map(|s| is_greyed(s.color)).collect();
        // Grey lines first, beneath the coloured ones, each group in its order.
        assert_eq!(greyed, [true, true, true, false, false]);
        assert_eq!(series[3].color, strategy_color(0));
        assert_eq!(series[4].color, strategy_color(2));
        assert_eq!(series[0].width, THIN_LINE_WIDTH);
        // Each greyed line in its strategy's grey.
        let greys: Vec<RGBColor> = series[..3].iter().map(|s| s.color).collect();
        assert_eq!(greys, [1, 3, 4].map(greyed_color));
        assert_eq!(legend[2].color, strategy_color(2));
        assert_eq!(legend[3].color, greyed_color(3));
        assert_eq!(legend.last().unwrap().text, GREYED_NOTE);
    }

    #[test]
    fn db_load_past_four_strategies_greys_every_line_and_mark_of_the_others_beneath() {
        use crate::report::charts::test_fixtures::*;
        // Two strategies of `marked_sample` and four more loading the database more, each
        // with an own timeline mark: the baseline and the best keep their colours.
        let mut result = marked_sample();
        for k in 0..4u64 {
            let mut s = result.strategies[1].clone();
            s.name = format!("more-{k}");
            s.marks = vec![(30.0, format!("own {k}"))];
            for b in &mut s.result.buckets {
                b.db_completed += 100 * (k + 1);
                b.db_by_cause.miss += 100 * (k + 1);
                b.db_queue_max += k + 1;
            }
            result.strategies.push(s);
        }
        // jittered-10 is the best on p99 (no [[expect]]).
        for (s, p99) in result
            .strategies
            .iter_mut()
            .zip([100.0, 5.0, 50.0, 50.0, 50.0, 50.0])
        {
            let t = &mut s.result.summary.totals;
            (t.arrived, t.completed, t.latency.count, t.latency.p99_ms) = (10, 10, 10, p99);
        }
        let figure = build_figure(Kind::DbLoad, &result);
        let colors =
            |series: &[Series]| -> Vec<RGBColor> { series.iter().map(|s| s.color).collect() };
        let grey = [2, 3, 4, 5].map(greyed_color);
        // Demand and throughput: the greyed lines first, then the kept ones.
        let top = colors(&figure.panels[0].series);
        assert_eq!(top[..8], [grey, grey].concat());
        assert_eq!(top[10..], [strategy_color(0), strategy_color(1)]);
        assert!(figure.panels[0].series[..8]
            .iter()
            .all(|s| s.width == THIN_LINE_WIDTH));
        let queue = colors(&figure.panels[1].series);
        assert_eq!(queue[..4], grey);
        assert_eq!(queue[4..], [strategy_color(0), strategy_color(1)]);
        // The legend greys the others and says so.
        let entry = |name: &str| figure.legend.iter().find(|e| e.text == name).unwrap();
        assert_eq!(entry("fixed-ttl").color, strategy_color(0));
        assert_eq!(entry("jittered-10").color, strategy_color(1));
        assert_eq!(entry("more-2").color, greyed_color(4));
        assert!(figure.legend.iter().any(|e| e.text == GREYED_NOTE));
        // A greyed strategy's own mark is grey; the baseline's keeps its colour.
        let mark = |label: &str| figure.events.iter().find(|m| m.label == label).unwrap();
        assert_eq!(mark("own 1").color(), greyed_color(3));
        assert_eq!(mark("flush").color(), strategy_color(0));

        // Up to four strategies, nothing is greyed.
        result.strategies.truncate(4);
        let figure = build_figure(Kind::DbLoad, &result);
        assert!(figure
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .all(|s| !is_greyed(s.color)));
        assert!(figure.legend.iter().all(|e| e.text != GREYED_NOTE));
    }
}
