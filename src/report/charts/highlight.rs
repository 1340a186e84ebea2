//! Overlays of many strategies: with more than [`MAX_COLOURED`] strategies on one panel, eight
//! coloured lines tangle into one another, so only the baseline (the scenario's first strategy)
//! and the best (the lowest mean over the run of the plotted figure, or the highest where more
//! is better, as a hit ratio) keep their colours; the others are drawn thin and grey, and their
//! legend entries greyed. Each strategy keeps its own colour in the `_by_strategy` small
//! multiples. With up to four strategies an overlay is drawn as before.

use plotters::style::RGBColor;

use super::*;

/// The most strategies an overlay draws each in its own colour.
pub(super) const MAX_COLOURED: usize = 4;

/// The colour of a greyed line and of its legend entry.
pub(super) const GREYED_COLOR: RGBColor = RGBColor(185, 185, 185);

/// The legend's note on the greyed lines.
pub(super) const GREYED_NOTE: &str = "Grey: the other strategies";

/// The strategies an overlay of `series` (one per strategy) keeps in colour: all of them up to
/// [`MAX_COLOURED`]; beyond, the baseline (index 0) and the best, the line with the lowest
/// mean of its points (highest when `higher_is_better`; ties to the first).
pub(super) fn coloured(series: &[Series], higher_is_better: bool) -> Vec<usize> {
    if series.len() <= MAX_COLOURED {
        return (0..series.len()).collect();
    }
    let mean = |s: &Series| {
        let (sum, n) = s
            .segments
            .iter()
            .flatten()
            .filter(|p| p.1.is_finite())
            .fold((0.0, 0usize), |(sum, n), p| (sum + p.1, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let mut best: Option<(usize, f64)> = None;
    for (i, m) in series
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, mean(s)?)))
    {
        let better = match best {
            None => true,
            Some((_, b)) if higher_is_better => m > b,
            Some((_, b)) => m < b,
        };
        if better {
            best = Some((i, m));
        }
    }
    let mut keep = vec![0];
    if let Some((i, _)) = best.filter(|(i, _)| *i != 0) {
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
            grey(s);
        }
    }
    grey_first(series);
    grey_legend(legend, keep);
}

/// Greys the share of `marks` of every strategy of `n` not in `keep`, as its lines.
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

/// Makes `s` a greyed line: thin, grey, without a band; a dashed line stays dashed.
pub(super) fn grey(s: &mut Series) {
    s.color = GREYED_COLOR;
    s.width = THIN_LINE_WIDTH;
    s.band.clear();
}

/// Orders `series` so that the greyed lines are drawn first, beneath the coloured ones, each
/// group in its order.
pub(super) fn grey_first(series: &mut [Series]) {
    series.sort_by_key(|s| s.color != GREYED_COLOR);
}

/// Greys the legend entries of the strategies not in `keep`, and the minor entries under them
/// (their own reference lines), and adds [`GREYED_NOTE`].
pub(super) fn grey_legend(legend: &mut Vec<LegendEntry>, keep: &[usize]) {
    let mut greyed = false;
    for entry in legend.iter_mut() {
        greyed = match entry.strategy {
            Some(i) => !keep.contains(&i),
            None => greyed && entry.minor && entry.sample != Sample::Note,
        };
        if greyed {
            entry.color = GREYED_COLOR;
        }
    }
    legend.push(LegendEntry::note(GREYED_NOTE));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(values: &[f64]) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Series::line(strategy_color(i), vec![vec![(0.0, v), (1.0, v)]]))
            .collect()
    }

    #[test]
    fn up_to_four_strategies_keep_their_colours_beyond_only_baseline_and_best() {
        assert_eq!(coloured(&flat(&[5.0, 1.0, 3.0, 2.0]), false), [0, 1, 2, 3]);
        let five = flat(&[5.0, 4.0, 1.0, 3.0, 2.0]);
        assert_eq!(coloured(&five, false), [0, 2]);
        assert_eq!(coloured(&five, true), [0]);
        assert_eq!(coloured(&flat(&[5.0, 4.0, 6.0, 3.0, 7.0]), true), [0, 4]);

        let mut series = five;
        let mut legend: Vec<LegendEntry> = (0..5)
            .map(|i| LegendEntry {
                strategy: Some(i),
                ..LegendEntry::new(format!("s{i}"), strategy_color(i), Sample::Line)
            })
            .collect();
        grey_others(&mut series, &mut legend, &[0, 2]);
        let greyed: Vec<bool> = series.iter().map(|s| s.color == GREYED_COLOR).collect();
        // Grey lines first, beneath the coloured ones, each group in its order.
        assert_eq!(greyed, [true, true, true, false, false]);
        assert_eq!(series[3].color, strategy_color(0));
        assert_eq!(series[4].color, strategy_color(2));
        assert_eq!(series[0].width, THIN_LINE_WIDTH);
        assert_eq!(legend[2].color, strategy_color(2));
        assert_eq!(legend[3].color, GREYED_COLOR);
        assert_eq!(legend.last().unwrap().text, GREYED_NOTE);
    }

    #[test]
    fn db_load_past_four_strategies_greys_every_line_and_mark_of_the_others_beneath() {
        use crate::report::charts::test_fixtures::*;
        // Two strategies of `marked_sample` and four more loading the database more, each
        // with an own timeline mark: the baseline and the least loaded keep their colours.
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
        let figure = build_figure(Kind::DbLoad, &result);
        let colors =
            |series: &[Series]| -> Vec<RGBColor> { series.iter().map(|s| s.color).collect() };
        let grey = [GREYED_COLOR; 4];
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
        assert_eq!(entry("more-2").color, GREYED_COLOR);
        assert!(figure.legend.iter().any(|e| e.text == GREYED_NOTE));
        // A greyed strategy's own mark is grey; the baseline's keeps its colour.
        let mark = |label: &str| figure.events.iter().find(|m| m.label == label).unwrap();
        assert_eq!(mark("own 1").color(), GREYED_COLOR);
        assert_eq!(mark("flush").color(), strategy_color(0));

        // Up to four strategies, nothing is greyed.
        result.strategies.truncate(4);
        let figure = build_figure(Kind::DbLoad, &result);
        assert!(figure
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .all(|s| s.color != GREYED_COLOR));
        assert!(figure.legend.iter().all(|e| e.text != GREYED_NOTE));
    }
}
