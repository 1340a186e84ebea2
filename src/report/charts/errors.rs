//! The chart of failed requests by kind, drawn only when a request failed: one panel per
//! strategy on one shared scale, one line per kind of failure (in that kind's colour, the same
//! in every panel and every scenario), so a panel tells whether its strategy's requests timed
//! out, were turned away by a full database queue or gave up behind a lock. A panel without a
//! failed request says so.
//!
//! Only the kinds some strategy had are drawn and listed, each named after its column in
//! `timeseries.csv`. A line is drawn only around the buckets where its kind failed requests:
//! lines of every kind along 0 would hide each other and the one that rises.

use plotters::style::RGBColor;

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// Title of `errors_by_strategy`, after the scenario's name.
pub(super) const ERRORS_BY_KIND_TITLE: &str = "failed requests per second by kind, by strategy";

/// Where the lines are drawn (a note under the legend's entries).
pub(super) const NEAR_FAILURES_NOTE: &str = "Drawn only near failures";

/// A kind of failed request: its name (its column in `timeseries.csv` and what it means) and
/// its count in a bucket.
pub(super) struct ErrorKind {
    pub(super) text: &'static str,
    pub(super) color: RGBColor,
    pub(super) count: fn(&BucketRow) -> u64,
}

/// Every kind of failed request, in the order of `timeseries.csv`, each with its colour (the
/// same in every scenario; kinds often seen together get colours far apart).
pub(super) const ERROR_KINDS: [ErrorKind; 9] = [
    ErrorKind {
        text: "timeout: the client gave up",
        color: PALETTE[0],
        count: |b| b.errors_timeout,
    },
    ErrorKind {
        text: "db_rejected: DB queue full",
        color: PALETTE[1],
        count: |b| b.errors_db_rejected,
    },
    ErrorKind {
        text: "db_timeout: too long in DB queue",
        color: PALETTE[3],
        count: |b| b.errors_db_timeout,
    },
    ErrorKind {
        text: "overload: turned away at the door",
        color: PALETTE[7],
        count: |b| b.errors_overload,
    },
    ErrorKind {
        text: "fallback: lock, lease or limit gave up",
        color: PALETTE[2],
        count: |b| b.errors_fallback,
    },
    ErrorKind {
        text: "shed: too long waiting for a worker",
        color: PALETTE[5],
        count: |b| b.errors_shed,
    },
    ErrorKind {
        text: "db_error: the DB query failed",
        color: PALETTE[6],
        count: |b| b.errors_db_error,
    },
    ErrorKind {
        text: "throttled: the client held it back",
        color: PALETTE[4],
        count: |b| b.errors_throttled,
    },
    ErrorKind {
        text: "db_breaker: the DB breaker was open",
        color: RGBColor(117, 112, 179),
        count: |b| b.errors_db_breaker,
    },
];

/// Whether any strategy of the scenario failed a request, in a bucket or in its run's totals;
/// without any, `errors_by_strategy` is not drawn.
pub(super) fn has_errors(result: &ScenarioResult) -> bool {
    result.strategies.iter().any(|s| {
        s.result.summary.totals.errors() > 0 || s.result.buckets.iter().any(|b| b.errors() > 0)
    })
}

/// Indices in [`ERROR_KINDS`] of the kinds some strategy of the scenario had, in some run.
fn kinds_seen(result: &Runs) -> Vec<usize> {
    (0..ERROR_KINDS.len())
        .filter(|&k| {
            result
                .all()
                .iter()
                .flat_map(|run| &run.strategies)
                .flat_map(|s| &s.result.buckets)
                .any(|b| (ERROR_KINDS[k].count)(b) > 0)
        })
        .collect()
}

/// A bucket's failures of kind `k` per second; `None` for a bucket of no width.
fn kind_per_s(b: &BucketRow, k: usize) -> Option<f64> {
    (b.width_s > 0.0).then(|| (ERROR_KINDS[k].count)(b) as f64 / b.width_s)
}

/// A strategy's line of kind `k`: its failures per second (with replications, their mean and
/// band), around the buckets with some.
fn kind_line(replicas: &[&StrategyResult], k: usize) -> Series {
    let color = ERROR_KINDS[k].color;
    if let [s] = replicas {
        let points: Vec<(f64, Option<f64>)> = s
            .result
            .buckets
            .iter()
            .map(|b| (b.start_s, kind_per_s(b, k)))
            .collect();
        let segments = line_segments(around_nonzero(points).into_iter());
        return Series::line(color, segments);
    }
    let mut points = mean_of_buckets(replicas, |b| kind_per_s(b, k));
    let kept = around_nonzero(points.iter().map(|p| (p.t, p.mean)).collect());
    for (p, (_, kept)) in points.iter_mut().zip(kept) {
        if kept.is_none() {
            (p.mean, p.band) = (None, None);
        }
    }
    mean_series(color, &points)
}

/// The panels of `errors_by_strategy`: one per strategy, on one linear axis from 0, with a line
/// per kind seen, labelled above the plot with the strategy's failed requests and their share
/// of the requests that arrived; and the legend of the kinds.
pub(super) fn errors_by_kind_panels(result: &Runs) -> (Vec<Panel>, Vec<LegendEntry>) {
    let kinds = kinds_seen(result);
    let lines: Vec<Vec<Series>> = (0..result.strategies.len())
        .map(|i| {
            let replicas = result.strategy(i);
            kinds.iter().map(|&k| kind_line(&replicas, k)).collect()
        })
        .collect();
    let top = lines
        .iter()
        .map(|series| max_value(series, &[]))
        .fold(0.0, f64::max);
    let y = Axis::linear(0.0, padded_max(&[], &[top]));
    // The lines have the kinds' colours, not the strategy's.
    let mut panels = small_multiples_of(
        result,
        lines,
        labels::rate_label("errors_total"),
        y,
        |i, _| {
            let replicas = result.strategy(i);
            let text = format!("{}: {}", replicas[0].name, failed_summary(&replicas));
            (text, TEXT_COLOR)
        },
    );
    for panel in &mut panels {
        panel.empty_text = "no failed request";
    }
    let mut legend: Vec<LegendEntry> = kinds
        .iter()
        .map(|&k| {
            LegendEntry::new(
                ERROR_KINDS[k].text.to_owned(),
                ERROR_KINDS[k].color,
                Sample::Line,
            )
        })
        .collect();
    if !kinds.is_empty() {
        legend.push(LegendEntry::note(NEAR_FAILURES_NOTE));
    }
    (panels, legend)
}

/// A strategy's failed requests over its run in a few words: `1,234 failed (1.7% of
/// requests)`, or `none failed`; with replications (`replicas`, the strategy in each), the mean
/// number per replication and the share of all their requests: `mean 1,234 failed (1.7% of
/// requests)`.
pub(super) fn failed_summary(replicas: &[&StrategyResult]) -> String {
    let (failed, arrived) = replicas
        .iter()
        .flat_map(|s| &s.result.buckets)
        .fold((0u64, 0u64), |(f, a), b| {
            (f.saturating_add(b.errors()), a.saturating_add(b.arrived))
        });
    if failed == 0 {
        return "none failed".to_owned();
    }
    let count = if let [_] = replicas {
        format_number(failed as f64, 0, failed >= 10_000)
    } else {
        format!(
            "mean {}",
            format_quantity(failed as f64 / replicas.len() as f64)
        )
    };
    if arrived == 0 {
        return format!("{count} failed");
    }
    let share = 100.0 * failed as f64 / arrived as f64;
    format!("{count} failed ({} of requests)", format_share(share))
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_kind_of_failed_request_has_a_line() {
        // The kinds the column declaration lists, each drawn under its column's name.
        let kinds = crate::metrics::columns::failure_kinds();
        assert_eq!(kinds.len(), ERROR_KINDS.len());
        for (column, _) in kinds {
            let name = column.trim_start_matches("errors_");
            let kind = ERROR_KINDS
                .iter()
                .find(|k| k.text.starts_with(&format!("{name}:")))
                .unwrap_or_else(|| panic!("{column} has no line"));
            let mut b = BucketRow::default();
            let c = crate::metrics::columns::COLUMNS
                .iter()
                .find(|c| c.name == column)
                .unwrap();
            // The line counts its own column: set every failure field but this one.
            b.errors_timeout = 1;
            b.errors_db_rejected = 2;
            b.errors_db_timeout = 4;
            b.errors_overload = 8;
            b.errors_fallback = 16;
            b.errors_shed = 32;
            b.errors_db_error = 64;
            b.errors_throttled = 128;
            b.errors_db_breaker = 256;
            let want = match c.value(&b, None) {
                crate::metrics::columns::Cell::Count(n) => n,
                other => panic!("{other:?}"),
            };
            assert_eq!((kind.count)(&b), want, "{column}");
        }
    }

    use crate::report::charts::test_fixtures::*;

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

    #[test]
    fn errors_by_strategy_shows_each_kind_of_failure_per_panel() {
        let mut result = sample();
        assert!(!has_errors(&result));
        assert!(
            !stems(&render_all(&result, ImageFormat::Png).unwrap()).contains(&"errors_by_strategy")
        );
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
}
