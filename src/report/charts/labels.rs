//! What a metric is called on an axis: each column's words and unit, declared with the column
//! in [`crate::metrics::columns`] and read here by every chart that plots a column (the sweep
//! chart's y axis, the time-series charts' axes).
//!
//! A label is the words, then the unit: `worst p99 latency (ms)`, `drain time (s)`,
//! `peak database queries per second`; a share (0 to 1) or a count reads as its words alone
//! (`error ratio`, `cache hits`): its words say what is counted.

use super::Series;
use crate::metrics::columns::COLUMNS;
pub use crate::metrics::columns::{AxisLabel as MetricLabel, AxisUnit as Unit};
#[cfg(test)]
use Unit::*;

/// The label of column `name` of `summary.csv` or `timeseries.csv`, if it is one.
pub fn metric_label(name: &str) -> Option<MetricLabel> {
    COLUMNS.iter().find(|c| c.name == name).map(|c| c.label)
}

/// The axis label of column `name`: its words and unit ([`MetricLabel::text`]), or the name
/// itself when it is no column (a chart never fails for a label). Static, for the charts'
/// descriptions: the labels are built once.
pub fn axis_label(name: &str) -> std::borrow::Cow<'static, str> {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| COLUMNS.iter().map(|c| c.label.text()).collect());
    match COLUMNS.iter().position(|c| c.name == name) {
        Some(i) => std::borrow::Cow::Borrowed(texts[i].as_str()),
        None => std::borrow::Cow::Owned(name.to_string()),
    }
}

/// The label of the rate of count column `name` (its count per bucket over the bucket's
/// width): `failed requests per second` for `errors_total`.
pub(super) fn rate_label(name: &'static str) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        COLUMNS
            .iter()
            .map(|c| match c.label.unit {
                Unit::Count => MetricLabel {
                    words: c.label.words,
                    unit: Unit::PerSecond,
                }
                .text(),
                _ => String::new(),
            })
            .collect()
    });
    match COLUMNS.iter().position(|c| c.name == name) {
        Some(i) if !texts[i].is_empty() => texts[i].as_str(),
        _ => panic!("internal error: `{name}` is no count column"),
    }
}

/// [`axis_label`] of a column the code names: always in the table.
pub(super) fn column_label(name: &'static str) -> &'static str {
    match axis_label(name) {
        std::borrow::Cow::Borrowed(text) => text,
        std::borrow::Cow::Owned(_) => panic!("internal error: `{name}` has no axis label"),
    }
}

/// Whether column `name` is an age of outdated reads, ms: charts draw it in the unit
/// [`AgeUnit::for_max_ms`] picks, as the run's age charts.
pub fn is_age(name: &str) -> bool {
    name.starts_with("outdated_age_") && name.ends_with("_ms")
}

/// Ages larger than this, ms, put their axis in seconds: `60` s reads at a glance where
/// `60,000` ms must be counted.
pub const AGE_SECONDS_PAST_MS: f64 = 10_000.0;

/// The unit an age axis is drawn in: milliseconds, or seconds when the largest age plotted
/// exceeds [`AGE_SECONDS_PAST_MS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeUnit {
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
}

impl AgeUnit {
    /// The unit for ages whose largest is `max_ms`, ms.
    pub fn for_max_ms(max_ms: f64) -> AgeUnit {
        if max_ms.is_finite() && max_ms > AGE_SECONDS_PAST_MS {
            AgeUnit::Seconds
        } else {
            AgeUnit::Ms
        }
    }

    /// Milliseconds in one of this unit.
    pub fn ms(self) -> f64 {
        match self {
            AgeUnit::Ms => 1.0,
            AgeUnit::Seconds => 1000.0,
        }
    }

    /// The y axis label of the p99 age of outdated reads in this unit.
    pub fn axis_label(self) -> &'static str {
        match self {
            AgeUnit::Ms => column_label("outdated_age_p99_ms"),
            AgeUnit::Seconds => {
                static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                TEXT.get_or_init(|| {
                    let words = metric_label("outdated_age_p99_ms")
                        .map_or("p99 age of outdated reads", |l| l.words);
                    MetricLabel {
                        words,
                        unit: Unit::Seconds,
                    }
                    .text()
                })
            }
        }
    }

    /// The axis label of age column `column` (words, then this unit), or the name itself when
    /// it is no column.
    pub fn label(self, column: &str) -> String {
        match (metric_label(column), self) {
            (Some(label), AgeUnit::Ms) => label.text(),
            (Some(label), AgeUnit::Seconds) => MetricLabel {
                words: label.words,
                unit: Unit::Seconds,
            }
            .text(),
            (None, _) => column.to_string(),
        }
    }

    /// Converts `series` (points and bands), ms, to this unit.
    pub(super) fn convert(self, series: &mut [Series]) {
        let per = self.ms();
        if per == 1.0 {
            return;
        }
        for s in series {
            s.segments.iter_mut().flatten().for_each(|p| p.1 /= per);
            s.band.iter_mut().flatten().for_each(|b| {
                b.1 /= per;
                b.2 /= per;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::csv::{summary_columns, timeseries_columns};

    #[test]
    fn every_column_a_chart_can_plot_has_words_and_a_unit() {
        let columns: Vec<&str> = summary_columns()
            .into_iter()
            .chain(timeseries_columns())
            .filter(|c| *c != "strategy")
            .collect();
        for c in &columns {
            let label = metric_label(c).unwrap_or_else(|| panic!("`{c}` has no label"));
            let text = label.text();
            assert!(
                !text.contains('_') && text.chars().next().unwrap().is_ascii_lowercase()
                    || text.starts_with("Bloom"),
                "{c}: `{text}` is words"
            );
            // The unit the name carries is the label's.
            let want = if c.ends_with("_ms") {
                Some(Ms)
            } else if c.ends_with("_per_s") || c.ends_with("_qps") {
                Some(PerSecond)
            } else if c.ends_with("_s") {
                Some(Seconds)
            } else if c.ends_with("_ratio") && *c != "retry_amplification"
                || c.ends_with("_fraction")
            {
                Some(Share)
            } else {
                None
            };
            if let Some(unit) = want {
                assert_eq!(label.unit, unit, "{c}");
            }
            // A name without a unit's suffix is dimensionless: a count, a ratio or a share.
            if want.is_none() {
                assert!(
                    matches!(label.unit, Count | Ratio | Share),
                    "{c}: {:?}",
                    label.unit
                );
            }
        }
        // A column in both files has one label.
        for c in COLUMNS {
            assert_eq!(metric_label(c.name), Some(c.label), "{}", c.name);
        }
    }

    #[test]
    fn labels_read_as_words_then_unit() {
        assert_eq!(axis_label("worst_p99_latency_ms"), "worst p99 latency (ms)");
        assert_eq!(axis_label("error_ratio"), "error ratio");
        assert_eq!(
            axis_label("peak_db_queries_per_s"),
            "peak database queries per second"
        );
        assert_eq!(
            axis_label("db_queries_per_s"),
            "database queries per second"
        );
        assert_eq!(axis_label("drain_s"), "drain time (s)");
        assert_eq!(axis_label("no_such_metric"), "no_such_metric");
        assert_eq!(rate_label("errors_total"), "failed requests per second");
        assert_eq!(column_label("hit_ratio"), "cache hit ratio");
    }
}
