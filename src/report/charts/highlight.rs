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

/// Greys every line of `series` and legend entry not in `keep`, and notes the grey in the
/// legend; nothing when every strategy is kept.
pub(super) fn grey_others(series: &mut [Series], legend: &mut Vec<LegendEntry>, keep: &[usize]) {
    if keep.len() == series.len() {
        return;
    }
    for (i, s) in series.iter_mut().enumerate() {
        if !keep.contains(&i) {
            s.color = GREYED_COLOR;
            s.width = THIN_LINE_WIDTH;
            s.band.clear();
        }
    }
    for entry in legend.iter_mut() {
        if entry.strategy.is_some_and(|i| !keep.contains(&i)) {
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
        assert_eq!(greyed, [false, true, false, true, true]);
        assert_eq!(series[1].width, THIN_LINE_WIDTH);
        assert_eq!(legend[2].color, strategy_color(2));
        assert_eq!(legend[3].color, GREYED_COLOR);
        assert_eq!(legend.last().unwrap().text, GREYED_NOTE);
    }
}
