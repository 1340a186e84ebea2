//! The consistency chart, `local_differs`, drawn only when some local cache served a copy that
//! differed from the shared cache's: of the reads each bucket's local caches answered, the
//! share whose version differed from the one the shared cache held then (`local_differs_ratio`
//! of `timeseries.csv`), one line per strategy. That is how long and how often app instances
//! disagreed with one another after a change: the lesson of a local cache without (or with a
//! lossy) invalidation.
//!
//! Shares run from a few reads in a million (pub/sub with a lag of milliseconds) to tens of
//! percent (copies kept until their TTL), so, as the outdated reads, they are drawn in percent
//! on a log axis, a bucket without a differing copy is a gap, and the legend lists the
//! strategies from the worst whole-run share down; a strategy without local hits (no local
//! cache) says so there and draws no line.

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// The chart's title.
pub(super) const LOCAL_DIFFERS_TITLE: &str =
    "local copies differing from the shared cache (% of local hits)";

/// What `local_differs` draws: local hits that differed, percent of local hits.
const LOCAL_DIFFERS_SHARE: Share = Share {
    y_desc: "local hits differing (% of local hits)",
    shown: differs_percent,
    with_zero: differs_share_percent,
    whole_run: whole_run_differs,
    none: "no local hits",
    gap_note: DIFFERS_GAP_NOTE,
};

/// What a gap in a line of `local_differs` means.
pub(super) const DIFFERS_GAP_NOTE: &str = "A gap: no local copy differed";

/// Whether some local cache of some strategy served a copy that differed from the shared
/// cache's: the chart is drawn only then (a chart of zeros teaches nothing).
pub(super) fn has_local_differs(result: &ScenarioResult) -> bool {
    result.strategies.iter().any(|s| {
        s.result.summary.totals.local_differs > 0
            || s.result.buckets.iter().any(|b| b.local_differs > 0)
    })
}

/// The panel of `local_differs` and its legend.
pub(super) fn local_differs_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    share_panel(result, &LOCAL_DIFFERS_SHARE)
}

/// A bucket's differing local hits, percent of its local hits; `None` (a gap) when none
/// differed or there was no local hit.
fn differs_percent(b: &BucketRow) -> Option<f64> {
    (b.local_differs > 0 && b.local_hits > 0).then(|| 100.0 * ratio(b.local_differs, b.local_hits))
}

/// A bucket's differing local hits, percent of its local hits, 0 when none differed; `None`
/// when there was no local hit.
fn differs_share_percent(b: &BucketRow) -> Option<f64> {
    (b.local_hits > 0).then(|| 100.0 * ratio(b.local_differs, b.local_hits))
}

/// A strategy's differing local hits over its whole run, percent of its local hits; `None`
/// without a local hit.
fn whole_run_differs(s: &StrategyResult) -> Option<f64> {
    let (differs, hits) = s.result.buckets.iter().fold((0u64, 0u64), |(d, h), b| {
        (
            d.saturating_add(b.local_differs),
            h.saturating_add(b.local_hits),
        )
    });
    (hits > 0).then(|| 100.0 * ratio(differs, hits))
}

/// `part / whole`, at most 1 (a count of differing hits above the hits is an inconsistent row,
/// drawn as 100%).
fn ratio(part: u64, whole: u64) -> f64 {
    (crate::metrics::ratio(part, whole)).min(1.0)
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    /// `sample()` with local caches: 1,000 local hits a bucket; in `fixed-ttl` 100 of them
    /// differ (10%) except from 30 s to 39 s (none), in `jittered-10` 1 (0.1%); a third
    /// strategy, `no-local`, has no local cache.
    fn local_sample() -> ScenarioResult {
        let mut result = sample();
        let no_local = StrategyResult {
            name: "no-local".to_owned(),
            ..result.strategies[1].clone()
        };
        result.strategies.push(no_local);
        for (i, s) in result.strategies.iter_mut().enumerate().take(2) {
            for b in &mut s.result.buckets {
                b.local_hits = 1_000;
                b.local_differs = match i {
                    0 if (30.0..40.0).contains(&b.start_s) => 0,
                    0 => 100,
                    _ => 1,
                };
            }
        }
        result
    }

    #[test]
    fn the_consistency_chart_is_drawn_only_when_a_local_copy_differed() {
        let without = sample();
        assert!(!has_local_differs(&without));
        let mut hits_only = sample();
        hits_only.strategies[0].result.buckets[3].local_hits = 500;
        assert!(!has_local_differs(&hits_only));
        let with = local_sample();
        assert!(has_local_differs(&with));
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&with, format).unwrap();
            let mut expected: Vec<&str> = STEMS.to_vec();
            expected.push("local_differs");
            assert_eq!(stems(&charts), expected);
            // No other chart changes: the local hit counts are in none of them.
            let plain = render_all(&hits_only, format).unwrap();
            assert_eq!(stems(&plain), STEMS);
        }
        assert!(all_stems().any(|s| s == "local_differs"));
        assert!(crate::report::is_output_name("local_differs.png"));
    }

    #[test]
    fn local_differs_is_a_share_of_local_hits_on_a_log_axis_with_gaps_where_none_differed() {
        let figure = build_figure(Kind::LocalDiffers, &local_sample());
        assert_eq!(figure.title, format!("avalanche: {LOCAL_DIFFERS_TITLE}"));
        let panel = &figure.panels[0];
        assert_eq!(panel.y.scale, Scale::Log);
        assert_eq!(panel.y_desc, "local hits differing (% of local hits)");
        // 10% with a gap from 30 s to 39 s; 0.1% throughout; no line without local hits.
        let s = &panel.series;
        assert_eq!(s[0].segments.len(), 2);
        assert!(s[0].segments.iter().flatten().all(|p| p.1 == 10.0));
        assert!(!s[0]
            .segments
            .iter()
            .flatten()
            .any(|p| (30.0..40.0).contains(&p.0)));
        assert_eq!(s[1].segments.len(), 1);
        assert!(s[1].segments[0].iter().all(|p| p.1 == 0.1));
        assert!(s[2].segments.is_empty());
        assert!(panel.y.lo <= 0.1 && panel.y.hi >= 10.0 && panel.y.hi <= SHARE_AXIS_MAX);
        // Worst first with its whole-run share (10% over 110 of 120 buckets); the gap explained.
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "fixed-ttl: 9.2%",
                "jittered-10: 0.1%",
                "no-local: no local hits",
                DIFFERS_GAP_NOTE
            ]
        );
        // Timeline events are marked as on every time chart.
        assert_eq!(figure.events.len(), 3);
        // Without the gap, no note: the strategy without local hits draws no line, and its
        // legend entry says why.
        let mut no_gap = local_sample();
        for b in &mut no_gap.strategies[0].result.buckets {
            b.local_differs = 100;
        }
        let figure = build_figure(Kind::LocalDiffers, &no_gap);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "fixed-ttl: 10%",
                "jittered-10: 0.1%",
                "no-local: no local hits"
            ]
        );
    }

    #[test]
    fn local_differs_with_replications_is_the_mean_share_and_renders() {
        let mut second = local_sample();
        second.seed = 8;
        for b in &mut second.strategies[0].result.buckets {
            b.local_differs = 300;
        }
        let runs = [local_sample(), second];
        let figure = build_figure(Kind::LocalDiffers, Runs::of(&runs));
        let first = &figure.panels[0].series[0];
        // Mean of 10% and 30%, and of 0% and 30% where the first had none (no band there: its
        // bottom is off the log axis).
        assert_eq!(at(first, 5.0).0, Some(20.0));
        assert_eq!(at(first, 5.0).1, Some((10.0, 30.0)));
        assert_eq!(at(first, 35.0), (Some(15.0), None));
        let charts = render_study(&study(runs.to_vec()), ImageFormat::Svg).unwrap();
        assert!(stems(&charts).contains(&"local_differs"));
    }

    #[test]
    fn degenerate_local_counts_render_without_panicking() {
        let mut odd = local_sample();
        let b = &mut odd.strategies[0].result.buckets;
        b[1].local_differs = u64::MAX;
        b[2].local_hits = 0;
        b[3].local_hits = u64::MAX;
        b[4].width_s = 0.0;
        b[5].start_s = f64::NAN;
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&odd, format).unwrap();
            assert_eq!(charts.last().unwrap().file_stem, "local_differs");
        }
        let figure = build_figure(Kind::LocalDiffers, &odd);
        assert!(values(&figure.panels[0].series).all(|v| v > 0.0 && v <= 100.0));
    }
}
