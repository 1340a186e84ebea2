//! The outputs of `cachestorm sweep` and `cachestorm merge`: `sweep.csv`, the charts
//! `sweep_<metric>.png`, the manifest `sweep.toml` and the terminal table.
//!
//! A sweep's results are kept as the exact cells of `sweep.csv` ([`Row`]): a sweep builds them
//! from its figures ([`point_rows`]), a shard writes those of its points, and `merge` reads them
//! back from the shards' files ([`read_csv`]). Every output is then made from the rows and the
//! manifest by the same function ([`outputs`]), so merging shards gives the bytes of the
//! unsharded sweep: nothing is recomputed from numbers that went through a file.
//!
//! With several swept fields, the chart puts the first field whose values are several numbers
//! on the x axis and draws one chart per combination of the other fields' values (numbered in
//! the grid's order, the title naming the combination), each with one line per strategy: a
//! chart with a line per strategy and combination would be unreadable past a few.

use serde::{Deserialize, Serialize};

use super::charts::labels;
use super::charts::sweep::{render_sweep, SweepChart, SweepPoint, SweepSeries};
use super::charts::{ChartError, MAX_PANELS};
use super::csv::{finish, fixed, summary_columns, write_row};
use super::replications::{plus_minus, Figure};
use super::ImageFormat;
use crate::scenario::overrides::{self, Setting};
use crate::text;
use crate::workflow::objective::{Objective, Outcome};

/// Name of the data file.
pub const CSV: &str = "sweep.csv";
/// Name of the manifest.
pub const MANIFEST: &str = "sweep.toml";
/// Most charts one sweep draws (one per combination of the fields not on the x axis).
pub const MAX_CHARTS: usize = MAX_PANELS;

/// One row of `sweep.csv`, as its cells are written.
pub type Row = Vec<String>;

/// A point of the grid: (path, value) for each setting.
type Point = Vec<(String, toml::Value)>;
/// A metric's mean and its interval, (low, high), when it has one.
type Value = (f64, Option<(f64, f64)>);
/// A file to write: its name and bytes.
type File = (String, Vec<u8>);

/// Columns of `sweep.csv` after `point` and the swept fields.
const TAIL: [&str; 6] = [
    "strategy",
    "metric",
    "replications",
    "mean",
    "ci95_low",
    "ci95_high",
];

/// Whether `name` is a file a sweep writes: `sweep.csv`, `sweep.toml`, or a chart
/// `sweep_<metric>.<ext>` or `sweep_<metric>_<n>.<ext>` of a summary metric.
pub fn is_output_name(name: &str) -> bool {
    if name == CSV || name == MANIFEST {
        return true;
    }
    let Some(stem) = name.strip_prefix("sweep_").and_then(|rest| {
        [ImageFormat::Png, ImageFormat::Svg]
            .iter()
            .find_map(|f| rest.strip_suffix(&format!(".{}", f.extension())))
    }) else {
        return false;
    };
    let metric = match stem.rsplit_once('_') {
        Some((m, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => m,
        _ => stem,
    };
    is_metric(stem) || is_metric(metric)
}

/// Whether `name` is a column of `summary.csv` other than `strategy`: a metric a sweep reports.
pub fn is_metric(name: &str) -> bool {
    summary_columns().into_iter().skip(1).any(|c| c == name)
}

/// The summary metrics that may have no number, and so no row in `sweep.csv`: the recovery
/// columns are empty without an incident (and `recovery_s` is `never` when the run did not
/// recover). Every other summary column is always a number, so a sweep writes its row at every
/// point and for every strategy; `merge` refuses a shard that lacks one. Which columns may be
/// empty is declared with them ([`crate::metrics::Group::may_be_empty`]).
pub fn optional_metrics() -> Vec<&'static str> {
    crate::metrics::columns::summary_columns()
        .filter(|c| c.group.may_be_empty())
        .map(|c| c.name)
        .collect()
}

/// The summary metrics every point and strategy of a `sweep.csv` has a row for (see
/// [`optional_metrics`]), in the order of `summary.csv`.
pub fn required_metrics() -> impl Iterator<Item = &'static str> {
    crate::metrics::columns::summary_columns()
        .filter(|c| !c.group.may_be_empty())
        .map(|c| c.name)
}

/// The header of `sweep.csv`: `point`, each swept field's path, then the figures' columns.
pub fn header(paths: &[&str]) -> Row {
    std::iter::once("point")
        .chain(paths.iter().copied())
        .chain(TAIL)
        .map(String::from)
        .collect()
}

/// The rows of point `point` (from 0), whose swept values are written `labels`
/// ([`overrides::value_label`]): for each strategy in order and each of its figures with a
/// number in some replication, in the order of `summary.csv`: the replications with a number,
/// their mean and 95% confidence interval (empty with one).
pub fn point_rows(point: usize, labels: &[String], strategies: &[(&str, Vec<Figure>)]) -> Vec<Row> {
    let num = |x: f64| fixed(x, 6);
    let mut rows = Vec::new();
    for (name, figures) in strategies {
        for f in figures {
            let Some(ci) = f.interval() else { continue };
            let (low, high) = if ci.n > 1 {
                (num(ci.low()), num(ci.high()))
            } else {
                (String::new(), String::new())
            };
            let row = std::iter::once(point.to_string())
                .chain(labels.iter().map(|l| text::csv_cell(l).into_owned()))
                .chain([
                    text::csv_cell(name).into_owned(),
                    f.metric.to_string(),
                    ci.n.to_string(),
                    num(ci.mean),
                    low,
                    high,
                ])
                .collect();
            rows.push(row);
        }
    }
    rows
}

/// The bytes of `sweep.csv`.
pub fn csv(header: &Row, rows: &[Row]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    write_row(&mut w, header.iter().cloned());
    for row in rows {
        write_row(&mut w, row.iter().cloned());
    }
    finish(w)
}

/// The rows of a `sweep.csv`, which must start with `header`.
pub fn read_csv(bytes: &[u8], header: &Row) -> Result<Vec<Row>, String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("not a CSV file: {e}"))?;
        let row: Row = record.iter().map(String::from).collect();
        if i == 0 {
            if &row != header {
                return Err(format!(
                    "its header is `{}`, not `{}` as the manifest's settings give",
                    text::quote(&row.join(",")),
                    text::quote(&header.join(","))
                ));
            }
            continue;
        }
        if row.len() != header.len() {
            return Err(format!(
                "line {} has {} cells, not {}",
                i + 1,
                row.len(),
                header.len()
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() && reader.position().line() == 1 {
        return Err("it is empty (not even a header)".into());
    }
    Ok(rows)
}

// The manifest

/// `sweep.toml`: what a sweep ran and which files it wrote; for a shard, also which shard, so
/// that `merge` can check that shards belong together. Like `run.toml`, it holds no time or
/// host, so the same inputs give the same bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Version of cachestorm that wrote the folder.
    pub cachestorm_version: String,
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes, in lowercase hex.
    pub scenario_sha256: String,
    /// Seed of every point (the file's, or `--seed`).
    pub seed: u64,
    /// Replications per strategy and point.
    pub replications: u32,
    /// Image format of the charts.
    pub format: ImageFormat,
    /// The metric charted and printed.
    pub metric: String,
    /// `--find`'s objectives, each in canonical form (`p99_latency_ms < 50`), in the order
    /// given: an answer meets them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objectives: Vec<String>,
    /// Points in the whole grid (a shard runs some, `--find` those the search needed).
    pub points: u64,
    /// Strategies run, in file order.
    pub strategies: Vec<String>,
    /// The other files of the folder, in the order they were produced.
    pub files: Vec<String>,
    /// The `--set` settings, in the order given.
    pub settings: Vec<SettingRecord>,
    /// Which shard wrote the folder; absent for a whole sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// `--find`'s answer for each strategy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found: Vec<FoundRecord>,
}

/// One `--set`, as given and as expanded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingRecord {
    /// Dotted field path.
    pub path: String,
    /// The values as given after `=` (a list or a range).
    pub values: String,
    /// Every value, as written in `sweep.csv`.
    pub labels: Vec<String>,
}

/// Which shard of how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRecord {
    /// This shard, from 1.
    pub index: u32,
    /// Shards in all.
    pub count: u32,
}

/// `--find`'s answer for one strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundRecord {
    /// The strategy.
    pub strategy: String,
    /// `found`, `smallest_meets` (even the smallest value meets the objective: the answer may
    /// lie below the range) or `none_meets`.
    pub outcome: String,
    /// The point of the smallest value meeting the objective, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<u64>,
    /// That value, as written in `sweep.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The points the bisection evaluated for this strategy, in order.
    pub evaluated: Vec<u64>,
}

impl FoundRecord {
    /// The record of a search's `outcome`, whose indices are positions in `order` (the grid's
    /// points in ascending order of the searched value); `labels` are the points' values.
    pub fn new(
        strategy: &str,
        outcome: Outcome,
        evaluated: &[(usize, bool)],
        order: &[usize],
        labels: &[String],
    ) -> FoundRecord {
        let point = outcome.index().map(|k| order[k]);
        FoundRecord {
            strategy: strategy.to_string(),
            outcome: match outcome {
                Outcome::Found(_) => "found",
                Outcome::SmallestMeets => "smallest_meets",
                Outcome::NoneMeets => "none_meets",
            }
            .to_string(),
            point: point.map(|p| p as u64),
            value: point.map(|p| labels[p].clone()),
            evaluated: evaluated.iter().map(|&(k, _)| order[k] as u64).collect(),
        }
    }
}

impl Manifest {
    /// The settings, parsed again from their records.
    pub fn parsed_settings(&self) -> Result<Vec<Setting>, String> {
        self.settings
            .iter()
            .map(|s| overrides::parse_setting(&format!("{}={}", s.path, s.values)))
            .collect()
    }

    /// The objectives, parsed again.
    pub fn parsed_objectives(&self) -> Result<Vec<Objective>, String> {
        self.objectives
            .iter()
            .map(|o| crate::workflow::objective::parse_objective(o))
            .collect()
    }

    /// The header of this sweep's `sweep.csv`.
    pub fn header(&self) -> Row {
        let paths: Vec<&str> = self.settings.iter().map(|s| s.path.as_str()).collect();
        header(&paths)
    }
}

/// The bytes of `sweep.toml`.
pub fn manifest_toml(m: &Manifest) -> Vec<u8> {
    let body = toml::to_string(m).expect("a manifest of strings and integers always serializes");
    format!(
        "# The sweep that wrote this folder (cachestorm sweep, or merge of its shards).\n{body}"
    )
    .into_bytes()
}

/// Reads `sweep.toml`.
pub fn parse_manifest(text: &str) -> Result<Manifest, String> {
    toml::from_str(text).map_err(|e| text::shorten(&text::escape(e.message()), 300).into_owned())
}

// Every output, from the rows

/// A sweep's files, ready to write, and what was left out of them.
#[derive(Debug)]
pub struct Outputs {
    /// (file name, bytes), the manifest last.
    pub files: Vec<File>,
    /// Charts not drawn beyond [`MAX_CHARTS`].
    pub charts_left_out: usize,
    /// Why no chart was drawn at all, if none was.
    pub no_chart: Option<String>,
}

/// Every file of a sweep's folder from `manifest` (whose `files` are filled in here) and the
/// rows of its points, in order: `sweep.csv`, the charts (unless `with_charts` is false), then
/// `sweep.toml`. A shard's folder (`manifest.shard` set) holds no chart: the merge draws them.
pub fn outputs(manifest: &Manifest, rows: &[Row], with_charts: bool) -> Result<Outputs, String> {
    let settings = manifest.parsed_settings()?;
    let mut files = vec![(CSV.to_string(), csv(&manifest.header(), rows))];
    let mut charts_left_out = 0;
    let mut no_chart = None;
    if manifest.shard.is_none() && with_charts {
        let data = Data::new(manifest, &settings, rows)?;
        match chart_axis(&settings) {
            None => {
                no_chart = Some(
                    "no swept field has numbers (or durations) for values, so no chart is drawn"
                        .to_string(),
                )
            }
            Some(x) => {
                let charts = charts(manifest, &settings, &data, x).map_err(|e| e.to_string())?;
                charts_left_out = charts.1;
                files.extend(charts.0);
            }
        }
    }
    let mut m = manifest.clone();
    m.files = files.iter().map(|(n, _)| n.clone()).collect();
    files.push((MANIFEST.to_string(), manifest_toml(&m)));
    Ok(Outputs {
        files,
        charts_left_out,
        no_chart,
    })
}

/// The rows looked up by point, strategy and metric, with the grid's values.
struct Data {
    grid: Vec<Point>,
    /// Per point, whether it has rows (was run).
    run: Vec<bool>,
    /// (point, strategy index, metric) -> (mean, band).
    values: std::collections::BTreeMap<(usize, usize, String), Value>,
}

impl Data {
    fn new(manifest: &Manifest, settings: &[Setting], rows: &[Row]) -> Result<Data, String> {
        let grid = overrides::grid(settings)?;
        let cells: Vec<String> = manifest
            .strategies
            .iter()
            .map(|s| text::csv_cell(s).into_owned())
            .collect();
        let k = settings.len();
        let mut run = vec![false; grid.len()];
        let mut values = std::collections::BTreeMap::new();
        let number = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
        for row in rows {
            let point: usize = row[0]
                .parse()
                .ok()
                .filter(|&p| p < grid.len())
                .ok_or_else(|| format!("point `{}` is not in the grid", text::quote(&row[0])))?;
            run[point] = true;
            let Some(i) = cells.iter().position(|c| *c == row[k + 1]) else {
                continue;
            };
            let mean = number(&row[k + 4]).unwrap_or(f64::NAN);
            let band = number(&row[k + 5]).zip(number(&row[k + 6]));
            values.insert((point, i, row[k + 2].clone()), (mean, band));
        }
        Ok(Data { grid, run, values })
    }

    fn get(&self, point: usize, strategy: usize, metric: &str) -> Option<Value> {
        self.values
            .get(&(point, strategy, metric.to_string()))
            .copied()
    }
}

/// The setting on the chart's x axis: the first with several values that are all numbers (or
/// durations), else the first whose values are; `None` when no setting has numbers.
fn chart_axis(settings: &[Setting]) -> Option<usize> {
    let numeric = |s: &Setting| {
        s.values
            .iter()
            .all(|v| overrides::value_number(v).is_some())
    };
    (0..settings.len())
        .find(|&i| settings[i].values.len() > 1 && numeric(&settings[i]))
        .or_else(|| (0..settings.len()).find(|&i| numeric(&settings[i])))
}

/// The charts, one per combination of the other settings' values (at most [`MAX_CHARTS`]),
/// and how many were left out.
fn charts(
    manifest: &Manifest,
    settings: &[Setting],
    data: &Data,
    x: usize,
) -> Result<(Vec<File>, usize), ChartError> {
    // Points grouped by the values of every setting but x, in the grid's order.
    let mut combos: Vec<(Point, Vec<usize>)> = Vec::new();
    for (p, values) in data.grid.iter().enumerate() {
        let others: Point = values
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != x)
            .map(|(_, v)| v.clone())
            .collect();
        match combos.iter_mut().find(|(o, _)| *o == others) {
            Some((_, points)) => points.push(p),
            None => combos.push((others, vec![p])),
        }
    }
    let left_out = combos.len().saturating_sub(MAX_CHARTS);
    combos.truncate(MAX_CHARTS);
    let objectives: Vec<(f64, String)> = manifest
        .parsed_objectives()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.metric == manifest.metric)
        .map(|o| (o.bound, o.to_string()))
        .collect();
    let seconds = settings[x].values.iter().any(|v| v.is_str());
    let x_label = if seconds {
        format!("{} (s)", settings[x].path)
    } else {
        settings[x].path.clone()
    };
    let replications = manifest.replications;
    let label = labels::metric_label(&manifest.metric);
    let words = label.map_or(manifest.metric.as_str(), |l| l.words);
    // Ages in seconds past 10 s, as the run's age charts: one unit for every chart of the sweep.
    let age = labels::is_age(&manifest.metric).then(|| {
        let values = data
            .run
            .iter()
            .enumerate()
            .filter(|r| *r.1)
            .flat_map(|(p, _)| {
                (0..manifest.strategies.len()).filter_map(move |i| data.get(p, i, &manifest.metric))
            });
        let max_ms = values
            .flat_map(|(mean, band)| [Some(mean), band.map(|b| b.1)])
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        labels::AgeUnit::for_max_ms(max_ms)
    });
    let per = age.map_or(1.0, |unit| unit.ms());
    let metric_label = match age {
        Some(unit) => unit.label(&manifest.metric),
        None => labels::axis_label(&manifest.metric).into_owned(),
    };
    let y_label = if replications > 1 {
        format!("{metric_label}, mean of {replications} replications")
    } else {
        metric_label
    };
    let band_label = format!("95% confidence interval, {replications} replications");
    let several = combos.len() > 1;
    let mut files = Vec::with_capacity(combos.len());
    for (n, (others, points)) in combos.iter().enumerate() {
        let mut title = format!("{}: {words} by {}", manifest.scenario, settings[x].path);
        for (path, v) in others {
            title.push_str(&format!(", {path}={}", overrides::value_label(v)));
        }
        let x_of = |p: usize| overrides::value_number(&data.grid[p][x].1).unwrap_or(f64::NAN);
        let series: Vec<SweepSeries> = manifest
            .strategies
            .iter()
            .enumerate()
            .map(|(i, name)| SweepSeries {
                name,
                points: points
                    .iter()
                    .filter(|&&p| data.run[p])
                    .map(|&p| {
                        let (mean, band) =
                            data.get(p, i, &manifest.metric).unwrap_or((f64::NAN, None));
                        SweepPoint {
                            x: x_of(p),
                            mean: mean / per,
                            band: band.map(|(lo, hi)| (lo / per, hi / per)),
                        }
                    })
                    .collect(),
            })
            .collect();
        let found: Vec<(&str, f64)> = manifest
            .found
            .iter()
            .filter_map(|f| {
                let p = f.point? as usize;
                points.contains(&p).then(|| (f.strategy.as_str(), x_of(p)))
            })
            .collect();
        let chart = SweepChart {
            title: &title,
            x_label: &x_label,
            y_label: &y_label,
            series,
            band_label: Some(&band_label),
            objectives: objectives
                .iter()
                .map(|(b, t)| (*b / per, t.as_str()))
                .collect(),
            found,
        };
        let bytes = render_sweep(&chart, manifest.format)?;
        let stem = if several {
            format!("sweep_{}_{}", manifest.metric, n + 1)
        } else {
            format!("sweep_{}", manifest.metric)
        };
        files.push((format!("{stem}.{}", manifest.format.extension()), bytes));
    }
    Ok((files, left_out))
}

// The terminal

/// The table printed after a sweep: one row per point that ran, its swept values, then per
/// strategy the metric's mean ± half its 95% confidence interval (the mean alone with one
/// replication; `-` without a number).
pub fn table(manifest: &Manifest, rows: &[Row]) -> Result<String, String> {
    let settings = manifest.parsed_settings()?;
    let data = Data::new(manifest, &settings, rows)?;
    let mut out = format!(
        "{}: {}{}\n",
        text::escape(&manifest.scenario),
        manifest.metric,
        if manifest.replications > 1 {
            format!(
                ", mean ± 95% confidence interval over {} replications",
                manifest.replications
            )
        } else {
            String::new()
        }
    );
    let mut lines: Vec<Vec<String>> = vec![std::iter::once("point".to_string())
        .chain(settings.iter().map(|s| text::escape(&s.path).into_owned()))
        .chain(
            manifest
                .strategies
                .iter()
                .map(|s| text::escape(s).into_owned()),
        )
        .collect()];
    for (p, values) in data.grid.iter().enumerate() {
        if !data.run[p] {
            continue;
        }
        let mut line = vec![p.to_string()];
        line.extend(
            values
                .iter()
                .map(|(_, v)| text::escape(&overrides::value_label(v)).into_owned()),
        );
        for i in 0..manifest.strategies.len() {
            line.push(match data.get(p, i, &manifest.metric) {
                Some((mean, _)) if !mean.is_finite() => "-".into(),
                Some((mean, Some((lo, hi)))) => plus_minus(mean, (hi - lo) / 2.0),
                Some((mean, None)) => plus_minus(mean, f64::INFINITY),
                None => "-".into(),
            });
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{}{cell}", " ".repeat(w - cell.chars().count())))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(metric: &'static str, written: &[&str]) -> Figure {
        Figure {
            metric,
            written: written.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            cachestorm_version: "0.1.0".into(),
            scenario: "s".into(),
            scenario_file: "s.toml".into(),
            scenario_sha256: "ab".into(),
            seed: 1,
            replications: 2,
            format: ImageFormat::Svg,
            metric: "p99_latency_ms".into(),
            objectives: vec!["p99_latency_ms < 50".into()],
            points: 3,
            strategies: vec!["plain".into(), "=cmd".into()],
            files: Vec::new(),
            settings: vec![SettingRecord {
                path: "db.slots".into(),
                values: "8..24:8".into(),
                labels: vec!["8".into(), "16".into(), "24".into()],
            }],
            shard: None,
            found: Vec::new(),
        }
    }

    fn rows() -> Vec<Row> {
        let mut rows = Vec::new();
        for (p, label) in ["8", "16", "24"].iter().enumerate() {
            let a = 100.0 / (p as f64 + 1.0);
            let text = |x: f64| format!("{x}");
            rows.extend(point_rows(
                p,
                &[label.to_string()],
                &[
                    (
                        "plain",
                        vec![
                            figure("p99_latency_ms", &[&text(a), &text(a + 2.0)]),
                            figure("recovery_s", &["", ""]),
                        ],
                    ),
                    (
                        "=cmd",
                        vec![figure("p99_latency_ms", &[&text(a / 2.0), &text(a / 2.0)])],
                    ),
                ],
            ));
        }
        rows
    }

    #[test]
    fn rows_hold_the_mean_and_interval_of_every_figure_with_a_number() {
        let rows = rows();
        assert_eq!(rows.len(), 6, "recovery_s has no number: no row");
        assert_eq!(
            rows[0],
            [
                "0",
                "8",
                "plain",
                "p99_latency_ms",
                "2",
                "101.000000",
                "88.294000",
                "113.706000"
            ]
        );
        assert_eq!(rows[1][2], "'=cmd", "a formula is defused");
        assert_eq!(
            rows[1][6], "50.000000",
            "no spread: an empty-width interval"
        );
        let one = point_rows(
            0,
            &["8".into()],
            &[("a", vec![figure("hit_ratio", &["0.5"])])],
        );
        assert_eq!(
            one[0][5..],
            ["0.500000", "", ""],
            "one replication: no interval"
        );
    }

    #[test]
    fn the_csv_reads_back_to_the_same_rows_and_bytes() {
        let m = manifest();
        let rows = rows();
        let bytes = csv(&m.header(), &rows);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text
            .starts_with("point,db.slots,strategy,metric,replications,mean,ci95_low,ci95_high\n"));
        let back = read_csv(&bytes, &m.header()).unwrap();
        assert_eq!(back, rows);
        assert_eq!(csv(&m.header(), &back), bytes);
        let other = header(&["cache.ttl"]);
        assert!(read_csv(&bytes, &other).unwrap_err().contains("header"));
        assert!(read_csv(b"", &m.header()).is_err());
        assert!(read_csv(
            b"point,db.slots,strategy,metric,replications,mean,ci95_low,ci95_high\n1,2\n",
            &m.header()
        )
        .is_err());
    }

    #[test]
    fn the_manifest_reads_back_and_refuses_unknown_fields() {
        let mut m = manifest();
        m.shard = Some(ShardRecord { index: 2, count: 3 });
        m.found = vec![FoundRecord {
            strategy: "plain".into(),
            outcome: "found".into(),
            point: Some(1),
            value: Some("16".into()),
            evaluated: vec![1, 0],
        }];
        let text = String::from_utf8(manifest_toml(&m)).unwrap();
        assert_eq!(parse_manifest(&text).unwrap(), m);
        assert!(parse_manifest(&format!("{text}\nextra = 1")).is_err());
        assert_eq!(
            m.parsed_settings().unwrap()[0].values,
            [8, 16, 24].map(toml::Value::from)
        );
    }

    #[test]
    fn outputs_are_the_csv_a_chart_and_the_manifest_listing_them() {
        let m = manifest();
        let out = outputs(&m, &rows(), true).unwrap();
        let names: Vec<&str> = out.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            ["sweep.csv", "sweep_p99_latency_ms.svg", "sweep.toml"]
        );
        let svg = String::from_utf8(out.files[1].1.clone()).unwrap();
        assert!(
            svg.contains("p99_latency_ms &lt; 50")
                && svg.contains("=cmd")
                && !svg.contains("&apos;=cmd")
        );
        // The axis says the metric in words with its unit, from the table of labels.
        let y = format!(
            "{}, mean of 2 replications",
            labels::axis_label("p99_latency_ms")
        );
        assert!(y.starts_with("p99 latency (ms)") && svg.contains(&y), "{y}");
        assert!(svg.contains("s: p99 latency by db.slots"));
        let manifest = parse_manifest(std::str::from_utf8(&out.files[2].1).unwrap()).unwrap();
        assert_eq!(manifest.files, ["sweep.csv", "sweep_p99_latency_ms.svg"]);
        // Without charts: the CSV and the manifest, which lists the CSV only.
        let bare = outputs(&m, &rows(), false).unwrap();
        let names: Vec<&str> = bare.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["sweep.csv", "sweep.toml"]);
        assert_eq!(bare.files[0].1, out.files[0].1);
        // A shard writes no chart.
        let mut shard = m.clone();
        shard.shard = Some(ShardRecord { index: 1, count: 2 });
        let names: Vec<String> = outputs(&shard, &rows(), true)
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(names, ["sweep.csv", "sweep.toml"]);
        for name in [
            "sweep.csv",
            "sweep.toml",
            "sweep_p99_latency_ms.png",
            "sweep_hit_ratio_12.svg",
        ] {
            assert!(is_output_name(name), "{name}");
        }
        for name in [
            "sweep_nothing.png",
            "sweep_p99_latency_ms_.png",
            "sweep_p99_latency_ms.txt",
            "sweep.csv.bak",
        ] {
            assert!(!is_output_name(name), "{name}");
        }
    }

    #[test]
    fn ages_are_charted_in_seconds_past_ten_seconds_as_in_the_run_charts() {
        let chart = |largest_ms: f64| {
            let mut m = manifest();
            m.metric = "outdated_age_p99_ms".into();
            m.objectives = vec!["outdated_age_p99_ms < 5000".into()];
            let mut rows = Vec::new();
            for (p, label) in ["8", "16", "24"].iter().enumerate() {
                let age = largest_ms / (p as f64 + 1.0);
                rows.extend(point_rows(
                    p,
                    &[label.to_string()],
                    &[(
                        "plain",
                        vec![figure(
                            "outdated_age_p99_ms",
                            &[&format!("{age}"), &format!("{age}")],
                        )],
                    )],
                ));
            }
            let out = outputs(&m, &rows, true).unwrap();
            String::from_utf8(out.files[1].1.clone()).unwrap()
        };
        // Up to 60 s: the axis in seconds, its ticks too (60, not 60,000), the objective as
        // written.
        let long = chart(60_000.0);
        assert!(
            long.contains("p99 age of outdated reads (s), mean of 2 replications"),
            "{long}"
        );
        assert!(!long.contains("60,000") && !long.contains("(ms)"));
        assert!(long.contains("outdated_age_p99_ms &lt; 5000"));
        // Up to 9 s: milliseconds, as before.
        let short = chart(9_000.0);
        assert!(short.contains("p99 age of outdated reads (ms), mean of 2 replications"));
        assert!(!short.contains("(s)"));
        assert!(labels::is_age("outdated_age_max_ms") && !labels::is_age("p99_latency_ms"));
    }

    #[test]
    fn a_grid_draws_one_chart_per_combination_of_the_other_fields() {
        let mut m = manifest();
        m.settings.insert(
            0,
            SettingRecord {
                path: "cache.policy".into(),
                values: "lru,lfu".into(),
                labels: vec!["lru".into(), "lfu".into()],
            },
        );
        m.points = 6;
        let mut rows = Vec::new();
        for p in 0..6 {
            let policy = if p < 3 { "lru" } else { "lfu" };
            let slots = ["8", "16", "24"][p % 3];
            rows.extend(point_rows(
                p,
                &[policy.into(), slots.into()],
                &[("plain", vec![figure("p99_latency_ms", &["1", "2"])])],
            ));
        }
        let out = outputs(&m, &rows, true).unwrap();
        let names: Vec<&str> = out.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "sweep.csv",
                "sweep_p99_latency_ms_1.svg",
                "sweep_p99_latency_ms_2.svg",
                "sweep.toml"
            ]
        );
        let second = String::from_utf8(out.files[2].1.clone()).unwrap();
        assert!(
            second.contains("cache.policy=lfu"),
            "the title names the combination"
        );
        let table = table(&m, &rows).unwrap();
        assert!(
            table.contains("cache.policy") && table.lines().count() == 8,
            "{table}"
        );
    }

    #[test]
    fn the_table_shows_mean_and_interval_per_point_and_strategy() {
        let t = table(&manifest(), &rows()).unwrap();
        assert_eq!(
            t,
            "s: p99_latency_ms, mean ± 95% confidence interval over 2 replications\n\
             point  db.slots     plain            =cmd\n    \
                 0         8  101 ± 13  50.000 ± 0.000\n    \
                 1        16   51 ± 13  25.000 ± 0.000\n    \
                 2        24   34 ± 13  16.667 ± 0.000\n"
        );
    }
}
