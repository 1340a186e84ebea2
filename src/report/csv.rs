//! `timeseries.csv` (one row per strategy and bucket) and `summary.csv` (one row per strategy).
//!
//! The columns, their order and their values come from their one declaration
//! ([`crate::metrics::columns`]), so a column can never drift from its header. Names carry their
//! units; the README documents each. Numbers are written with a fixed
//! number of decimals so the same results always give the same bytes. A strategy name that a
//! spreadsheet would take for a formula gets a leading `'` ([`crate::text::csv_cell`]).

use crate::metrics::columns::{self, Cell, Column, Format};
use crate::metrics::BucketRow;
use crate::metrics::{ScenarioResult, StrategyResult};

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// `x` with `decimals` decimals, except that a value that is not zero but would print as zero
/// is written in scientific notation (`1.389e-4`): for figures where a tiny value is no
/// rounding detail (a database capacity of one query every two hours is not 0 q/s).
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if x != 0.0
        && text
            .trim_start_matches('-')
            .bytes()
            .all(|b| b == b'0' || b == b'.')
    {
        format!("{x:.3e}")
    } else {
        text
    }
}

/// A time in seconds with as many decimals as it needs to be exact to the nanosecond: 3 for
/// whole milliseconds, 6 for whole microseconds, else 9. So buckets under a millisecond stay
/// distinct, and whole-millisecond times keep their short form.
fn secs(x: f64) -> String {
    let ns = (x * 1e9).round();
    if ns % 1e6 == 0.0 {
        format!("{x:.3}")
    } else if ns % 1e3 == 0.0 {
        format!("{x:.6}")
    } else {
        format!("{x:.9}")
    }
}

/// A value as its column writes it.
fn write(c: &Column, cell: Cell) -> String {
    match (cell, c.format) {
        (Cell::Count(n), _) => n.to_string(),
        (Cell::Real(x), Format::Dec3) => f3(x),
        (Cell::Real(x), Format::Dec6) => f6(x),
        (Cell::Real(x), Format::Fixed3) => fixed(x, 3),
        (Cell::Real(x), Format::Secs) => secs(x),
        (Cell::Real(_), Format::Int) => {
            panic!("column {} is declared whole but gave a measurement", c.name)
        }
        (Cell::Never, _) => "never".to_string(),
        (Cell::Empty, _) => String::new(),
    }
}

/// The values of a bucket's row of `timeseries.csv` after `strategy`.
fn bucket_values(b: &BucketRow) -> impl Iterator<Item = String> + '_ {
    columns::timeseries_columns().map(move |c| write(c, c.value(b, None)))
}

/// Header of `timeseries.csv`.
pub fn timeseries_columns() -> Vec<&'static str> {
    std::iter::once("strategy")
        .chain(columns::timeseries_columns().map(|c| c.name))
        .collect()
}

/// Header of `summary.csv`.
pub fn summary_columns() -> Vec<&'static str> {
    std::iter::once("strategy")
        .chain(columns::summary_columns().map(|c| c.name))
        .collect()
}

/// The bytes of `timeseries.csv`.
pub fn timeseries(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, timeseries_columns().into_iter().map(String::from));
    for s in &result.strategies {
        for b in &s.result.buckets {
            let row = std::iter::once(crate::text::csv_cell(&s.name).into_owned())
                .chain(bucket_values(b));
            write_row(&mut w, row);
        }
    }
    finish(w)
}

/// The bytes of `summary.csv`.
pub fn summary(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, summary_columns().into_iter().map(String::from));
    for s in &result.strategies {
        let row =
            std::iter::once(crate::text::csv_cell(&s.name).into_owned()).chain(summary_values(s));
        write_row(&mut w, row);
    }
    finish(w)
}

/// The values of a strategy's `summary.csv` row after `strategy`, as written, in the order of
/// [`summary_columns`] (without its first).
pub fn summary_values(s: &StrategyResult) -> Vec<String> {
    let t = &s.result.summary.totals;
    columns::summary_columns()
        .map(|c| write(c, c.value(t, Some(s))))
        .collect()
}

/// The bytes of `timeseries.csv` for several replications: the rows of each in turn, with a
/// last column `replication` (from 0).
pub fn timeseries_replications(runs: &[ScenarioResult]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(
        &mut w,
        timeseries_columns()
            .into_iter()
            .chain(["replication"])
            .map(String::from),
    );
    for (r, result) in runs.iter().enumerate() {
        for s in &result.strategies {
            for b in &s.result.buckets {
                let row = std::iter::once(crate::text::csv_cell(&s.name).into_owned())
                    .chain(bucket_values(b))
                    .chain([r.to_string()]);
                write_row(&mut w, row);
            }
        }
    }
    finish(w)
}

/// The columns of `nodes.csv`.
const NODES_HEADER: [&str; 8] = [
    "strategy",
    "bucket_start_s",
    "node",
    "reads",
    "errors",
    "timeouts",
    "breaker_rejections",
    "wait_max_ms",
];

/// The bytes of `nodes.csv`: one row per strategy, bucket and cache node, for the strategies
/// whose reads go through node faults; `None` when none does.
pub fn nodes(result: &ScenarioResult) -> Option<Vec<u8>> {
    nodes_of(std::slice::from_ref(result), false)
}

/// The bytes of `nodes.csv` for several replications: the rows of each in turn, with a last
/// column `replication` (from 0), as in `timeseries.csv`.
pub fn nodes_replications(runs: &[ScenarioResult]) -> Option<Vec<u8>> {
    nodes_of(runs, true)
}

fn nodes_of(runs: &[ScenarioResult], numbered: bool) -> Option<Vec<u8>> {
    let first = runs.first()?;
    if first.strategies.iter().all(|s| s.result.nodes.is_empty()) {
        return None;
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let extra = numbered.then_some("replication");
    write_row(
        &mut w,
        NODES_HEADER.into_iter().chain(extra).map(String::from),
    );
    for (r, result) in runs.iter().enumerate() {
        let replication = numbered.then(|| r.to_string());
        for s in &result.strategies {
            let name = crate::text::csv_cell(&s.name).into_owned();
            for (b, nodes) in s.result.buckets.iter().zip(&s.result.nodes) {
                for (i, n) in nodes.iter().enumerate() {
                    let row = [
                        name.clone(),
                        secs(b.start_s),
                        i.to_string(),
                        n.reads.to_string(),
                        n.errors.to_string(),
                        n.timeouts.to_string(),
                        n.breaker_rejections.to_string(),
                        f3(n.wait_max_ms),
                    ];
                    write_row(&mut w, row.into_iter().chain(replication.clone()));
                }
            }
        }
    }
    Some(finish(w))
}

pub(crate) fn write_row(w: &mut csv::Writer<Vec<u8>>, row: impl IntoIterator<Item = String>) {
    w.write_record(row.into_iter().collect::<Vec<_>>())
        .expect("writing CSV to memory cannot fail");
}

pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{RunResult, Summary};

    fn result() -> ScenarioResult {
        let bucket = BucketRow {
            width_s: 1.0,
            arrived: 10,
            completed: 8,
            errors_timeout: 2,
            cache_hits: 3,
            cache_misses: 1,
            ..BucketRow::default()
        };
        ScenarioResult {
            name: "t".into(),
            description: String::new(),
            seed: 1,
            duration_s: 2.0,
            bucket_s: 1.0,
            timeline: vec![],
            strategies: vec![StrategyResult {
                name: "a, b".into(),
                description: String::new(),
                db_capacity_qps: 100.0,
                fanout: 1,
                marks: Vec::new(),
                client_timeout_s: None,
                result: RunResult {
                    buckets: vec![
                        bucket.clone(),
                        BucketRow {
                            start_s: 1.0,
                            ..bucket.clone()
                        },
                    ],
                    nodes: Vec::new(),
                    summary: Summary {
                        duration_s: 2.0,
                        drained_s: 0.0,
                        totals: bucket,
                        peak_db_qps: 0.0,
                        truncation: None,
                        recovery: None,
                        worst: Default::default(),
                        latency_histogram: Default::default(),
                    },
                },
            }],
        }
    }

    #[test]
    fn small_numbers_are_never_written_as_zero() {
        assert_eq!(fixed(0.000138, 3), "1.380e-4");
        assert_eq!(fixed(-0.0001, 3), "-1.000e-4");
        assert_eq!(fixed(0.0, 3), "0.000");
        assert_eq!(fixed(0.0005, 3), "0.001");
        assert_eq!(fixed(1584.25, 3), "1584.250");
        assert_eq!(fixed(2e-9, 6), "2.000e-9");
        assert_eq!(fixed(0.5, 6), "0.500000");
    }

    #[test]
    fn times_keep_every_nanosecond_they_have() {
        assert_eq!(secs(600.0), "600.000");
        assert_eq!(secs(0.0005), "0.000500");
        assert_eq!(secs(0.00025), "0.000250");
        assert_eq!(secs(1.000_000_001), "1.000000001");
        // Buckets of 100 us: starts and widths stay distinct.
        assert_ne!(secs(0.0001), secs(0.0002));
        assert_ne!(secs(0.0001), "0.000");
    }

    #[test]
    fn every_row_has_as_many_fields_as_the_header() {
        let r = result();
        for (bytes, header) in [
            (timeseries(&r), timeseries_columns()),
            (summary(&r), summary_columns()),
        ] {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), header);
            for rec in reader.records() {
                assert_eq!(rec.unwrap().len(), header.len());
            }
        }
    }

    #[test]
    fn values_land_under_their_column() {
        let r = result();
        let bytes = timeseries(&r);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let h = reader.headers().unwrap().clone();
        let rec = reader.records().next().unwrap().unwrap();
        let get = |name: &str| rec[h.iter().position(|c| c == name).unwrap()].to_string();
        assert_eq!(
            get("strategy"),
            "a, b",
            "names with commas are quoted, not split"
        );
        assert_eq!(get("requests_arrived"), "10");
        assert_eq!(get("errors_total"), "2");
        assert_eq!(get("hit_ratio"), "0.750000");
    }

    #[test]
    fn a_name_starting_with_a_formula_character_is_defused_in_both_files() {
        let mut r = result();
        r.strategies[0].name = "=HYPERLINK(\"http://x\")".into();
        for bytes in [timeseries(&r), summary(&r)] {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let rec = reader.records().next().unwrap().unwrap();
            assert_eq!(&rec[0], "'=HYPERLINK(\"http://x\")");
        }
    }
}
