//! `cachestorm merge`: the folders of a sweep's shards read back and checked (each on its own,
//! then against each other and the grid their settings make), and their rows put in the order
//! of the unsharded sweep, so the files written from them are those one sweep writes.

use std::path::{Path, PathBuf};

use super::{list_points, Shard};
use crate::report::sweep::{self as out, Manifest, Row, ShardRecord};
use crate::scenario::overrides;
use crate::text;
use crate::workflow::{input, WorkflowError};

/// One shard's folder, read and checked on its own.
struct ShardDir<'a> {
    dir: &'a Path,
    manifest: Manifest,
    shard: ShardRecord,
    rows: Vec<Row>,
}

/// A sweep merged from its shards, ready to be written as one sweep writes it.
pub struct Merged {
    /// The shards' manifest, without a shard or files.
    pub manifest: Manifest,
    /// Every point's rows, in the order of the unsharded sweep.
    pub rows: Vec<Row>,
    /// How many shards there were.
    pub count: usize,
}

/// Reads the shard folders `dirs` and merges them: each must be a shard of one sweep written
/// by this version, every shard given once, with the rows its points should have.
pub fn read_shards(dirs: &[PathBuf]) -> Result<Merged, WorkflowError> {
    let mut shards = Vec::with_capacity(dirs.len());
    for dir in dirs {
        shards.push(read_shard(dir)?);
    }
    let version = env!("CARGO_PKG_VERSION");
    for s in &shards {
        if s.manifest.cachestorm_version != version {
            return Err(input(format!(
                "{}: written by cachestorm {}, and this is {version}: merge with the version that \
                 ran the shards, so the files are those a single sweep writes",
                shown(s.dir),
                text::quote(&s.manifest.cachestorm_version)
            )));
        }
    }
    for s in &shards[1..] {
        same_sweep(&shards[0], s)?;
    }
    let count = shards[0].shard.count as usize;
    let mut by_index: Vec<Option<&ShardDir>> = vec![None; count];
    for s in &shards {
        let slot = &mut by_index[s.shard.index as usize - 1];
        if let Some(other) = slot {
            return Err(input(format!(
                "shard {}/{count} is given twice: {} and {}",
                s.shard.index,
                shown(other.dir),
                shown(s.dir)
            )));
        }
        *slot = Some(s);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| by_index[i].is_none())
        .map(|i| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "shard{} {} {} missing: merge needs every shard of the sweep, each once (the \
             folders are named <scenario>-sweep-shard-I-of-{count})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }
    let shards: Vec<&ShardDir> = by_index.into_iter().flatten().collect();
    let first = &shards[0].manifest;
    crate::scenario::validate::check_name("scenario", &first.scenario).map_err(|e| {
        input(format!(
            "{}: {}: {}",
            shown(&shards[0].dir.join(out::MANIFEST)),
            e.field,
            e.message
        ))
    })?;
    let settings = first.parsed_settings().map_err(|e| {
        input(format!(
            "{}: settings: {e}",
            shown(&shards[0].dir.join(out::MANIFEST))
        ))
    })?;
    let grid = overrides::grid(&settings).map_err(|e| {
        input(format!(
            "{}: settings: {e}",
            shown(&shards[0].dir.join(out::MANIFEST))
        ))
    })?;
    if grid.len() as u64 != first.points {
        return Err(input(format!(
            "{}: says {} points but its settings make {}",
            shown(&shards[0].dir.join(out::MANIFEST)),
            first.points,
            grid.len()
        )));
    }
    let mut rows: Vec<(usize, Row)> = Vec::new();
    for s in &shards {
        rows.extend(check_rows(s, &grid)?);
    }
    // Each shard's rows are in point order and every point is in one shard: a stable sort
    // gives the order of the unsharded sweep.
    rows.sort_by_key(|(p, _)| *p);
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    let mut manifest = first.clone();
    manifest.shard = None;
    manifest.files = Vec::new();
    Ok(Merged {
        manifest,
        rows,
        count,
    })
}

/// `path` as shown in a message, escaped.
fn shown(path: &Path) -> String {
    text::escape(&path.display().to_string()).into_owned()
}

/// Reads a shard's `sweep.toml` and `sweep.csv`.
fn read_shard(dir: &Path) -> Result<ShardDir<'_>, WorkflowError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| {
            input(format!(
                "{}: cannot read it: {e} (merge takes the folders written by `sweep --shard I/N`)",
                shown(&path)
            ))
        })
    };
    let manifest_path = dir.join(out::MANIFEST);
    let text = String::from_utf8(read(out::MANIFEST)?)
        .map_err(|_| input(format!("{}: not UTF-8 text", shown(&manifest_path))))?;
    let manifest =
        out::parse_manifest(&text).map_err(|e| input(format!("{}: {e}", shown(&manifest_path))))?;
    // The metric names the chart files, and the objective is drawn: both must be what a sweep
    // writes.
    if !out::is_metric(&manifest.metric) {
        return Err(input(format!(
            "{}: metric `{}` is not a summary metric",
            shown(&manifest_path),
            text::quote(&manifest.metric)
        )));
    }
    manifest
        .parsed_objectives()
        .map_err(|e| input(format!("{}: objective: {e}", shown(&manifest_path))))?;
    let Some(shard) = manifest.shard else {
        return Err(input(format!(
            "{}: not a shard (its sweep.toml has no [shard]); merge takes the folders written by \
             `sweep --shard I/N`",
            shown(dir)
        )));
    };
    if shard.index == 0 || shard.index > shard.count {
        return Err(input(format!(
            "{}: shard {}/{} is not from 1 to N",
            shown(&manifest_path),
            shard.index,
            shard.count
        )));
    }
    let rows = out::read_csv(&read(out::CSV)?, &manifest.header())
        .map_err(|e| input(format!("{}: {e}", shown(&dir.join(out::CSV)))))?;
    Ok(ShardDir {
        dir,
        manifest,
        shard,
        rows,
    })
}

/// Refuses `b` unless it is a shard of the same sweep as `a`: every field of the manifests
/// but the shard's index, the scenario file's path (the SHA-256 of its bytes must match) and
/// the files agree.
fn same_sweep(a: &ShardDir, b: &ShardDir) -> Result<(), WorkflowError> {
    let table = |s: &ShardDir| {
        let mut m = s.manifest.clone();
        m.shard = m.shard.map(|r| ShardRecord { index: 0, ..r });
        m.scenario_file = String::new();
        m.files = Vec::new();
        toml::Table::try_from(&m).expect("a manifest always converts to a table")
    };
    let (ta, tb) = (table(a), table(b));
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    for key in keys {
        let (va, vb) = (ta.get(key), tb.get(key));
        if va == vb {
            continue;
        }
        let show = |v: Option<&toml::Value>| {
            v.map_or("absent".to_string(), |v| {
                let v = if key == "shard" {
                    v.get("count").cloned().unwrap_or(v.clone())
                } else {
                    v.clone()
                };
                text::quote(&v.to_string())
            })
        };
        let what = if key == "shard" { "shard count" } else { key };
        return Err(input(format!(
            "{} and {} are not shards of one sweep: {what} is {} in the first and {} in the \
             second",
            shown(a.dir),
            shown(b.dir),
            show(va),
            show(vb)
        )));
    }
    Ok(())
}

/// The rows of shard `s` with their points, checked against the grid: each point is one of
/// the shard's, in order, with the grid's values, a known strategy and metric; every point of
/// the shard has rows.
fn check_rows(
    s: &ShardDir,
    grid: &[Vec<(String, toml::Value)>],
) -> Result<Vec<(usize, Row)>, WorkflowError> {
    let at = || shown(&s.dir.join(out::CSV));
    let shard = Shard {
        index: s.shard.index,
        count: s.shard.count,
    };
    let cells: Vec<String> = s
        .manifest
        .strategies
        .iter()
        .map(|n| text::csv_cell(n).into_owned())
        .collect();
    let k = s.manifest.settings.len();
    let mut seen: Vec<usize> = Vec::new();
    let mut present: std::collections::BTreeSet<(usize, usize, String)> = Default::default();
    let mut rows = Vec::with_capacity(s.rows.len());
    for (line, row) in s.rows.iter().enumerate() {
        let bad = |what: String| input(format!("{}: line {}: {what}", at(), line + 2));
        let p: usize = row[0]
            .parse()
            .ok()
            .filter(|&p| p < grid.len())
            .ok_or_else(|| {
                bad(format!(
                    "`{}` is not a point of the grid",
                    text::quote(&row[0])
                ))
            })?;
        if !shard.runs(p) {
            return Err(bad(format!(
                "point {p} does not belong to shard {}/{}",
                shard.index, shard.count
            )));
        }
        if seen.last().is_some_and(|&last| last > p) {
            return Err(bad(format!("point {p} comes after a later point")));
        }
        if seen.last() != Some(&p) {
            seen.push(p);
        }
        for (j, (_, v)) in grid[p].iter().enumerate() {
            let want = text::csv_cell(&overrides::value_label(v)).into_owned();
            if row[j + 1] != want {
                return Err(bad(format!(
                    "point {p} has `{}` for {}, but the settings give `{}`",
                    text::quote(&row[j + 1]),
                    s.manifest.settings[j].path,
                    text::quote(&want)
                )));
            }
        }
        if !cells.contains(&row[k + 1]) {
            return Err(bad(format!(
                "strategy `{}` is not among the manifest's",
                text::quote(&row[k + 1])
            )));
        }
        if !out::is_metric(&row[k + 2]) {
            return Err(bad(format!(
                "`{}` is not a summary metric",
                text::quote(&row[k + 2])
            )));
        }
        check_numbers(&row[k + 3..], s.manifest.replications).map_err(bad)?;
        let strategy = cells
            .iter()
            .position(|c| *c == row[k + 1])
            .expect("checked");
        if !present.insert((p, strategy, row[k + 2].clone())) {
            return Err(bad(format!(
                "a second row for point {p}, strategy `{}`, metric {}",
                text::quote(&row[k + 1]),
                row[k + 2]
            )));
        }
        rows.push((p, row.clone()));
    }
    let expected: Vec<usize> = shard.points(grid.len()).collect();
    if seen != expected {
        let missing: Vec<usize> = expected.into_iter().filter(|p| !seen.contains(p)).collect();
        return Err(input(format!(
            "{}: has no rows for point{} {} of shard {}/{}: the shard did not finish, or the \
             file was cut",
            at(),
            if missing.len() == 1 { "" } else { "s" },
            list_points(&missing),
            shard.index,
            shard.count
        )));
    }
    // Every point has a row per strategy and metric: a row missing would pass, in the merged
    // file, for a metric without a number.
    for &p in &seen {
        for (i, strategy) in s.manifest.strategies.iter().enumerate() {
            for metric in out::required_metrics() {
                if !present.contains(&(p, i, metric.to_string())) {
                    return Err(input(format!(
                        "{}: no row for point {p}, strategy `{}`, metric {metric}: a sweep \
                         writes one for every point, strategy and summary metric (only {} may \
                         be left out, when it has no number); the file was cut or edited",
                        at(),
                        text::quote(&text::shorten(strategy, 60)),
                        out::optional_metrics().join(", ")
                    )));
                }
            }
        }
    }
    Ok(rows)
}

/// Checks the cells `replications, mean, ci95_low, ci95_high` of a shard's row: a whole
/// number of replications from 1 to `most`, a finite mean, and an interval of two finite
/// numbers, low <= mean <= high, with more than one replication (none with one). `merge`
/// copies the cells as they are, so a `NaN` or `inf` would reach the merged sweep.csv.
pub(crate) fn check_numbers(cells: &[String], most: u32) -> Result<(), String> {
    let [n, mean, low, high] = cells else {
        return Err(format!("{} cells after the metric, not 4", cells.len()));
    };
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| (1..=most).contains(n))
        .ok_or_else(|| {
            format!(
                "replications `{}` is not a whole number from 1 to {most} (the manifest's)",
                text::quote(&text::shorten(n, 40))
            )
        })?;
    let finite = |column: &str, cell: &str| {
        cell.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "{column} `{}` is not a finite number (merge copies the cells into the \
                     merged sweep.csv, so a shard must hold numbers)",
                    text::quote(&text::shorten(cell, 40))
                )
            })
    };
    let mean = finite("mean", mean)?;
    if n == 1 {
        if !(low.is_empty() && high.is_empty()) {
            return Err(
                "ci95_low and ci95_high are not empty with 1 replication (a sweep leaves them \
                 empty: one value has no interval)"
                    .into(),
            );
        }
        return Ok(());
    }
    let (low, high) = (finite("ci95_low", low)?, finite("ci95_high", high)?);
    if !(low <= mean && mean <= high) {
        return Err(format!(
            "the interval {low} to {high} does not hold the mean {mean}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_cells_must_be_finite_and_consistent() {
        let cells = |c: [&str; 4]| c.map(String::from).to_vec();
        assert_eq!(check_numbers(&cells(["2", "5", "4", "6"]), 2), Ok(()));
        assert_eq!(check_numbers(&cells(["1", "5", "", ""]), 2), Ok(()));
        for (bad, needle) in [
            (["2", "NaN", "4", "6"], "mean `NaN` is not a finite number"),
            (["2", "5", "-inf", "6"], "ci95_low `-inf`"),
            (["2", "5", "4", "inf"], "ci95_high `inf`"),
            (["2", "5", "", ""], "ci95_low ``"),
            (["1", "5", "4", "6"], "not empty with 1 replication"),
            (["3", "5", "4", "6"], "from 1 to 2"),
            (["0", "5", "", ""], "from 1 to 2"),
            (["2", "7", "4", "6"], "does not hold the mean"),
        ] {
            let e = check_numbers(&cells(bad), 2).unwrap_err();
            assert!(e.contains(needle), "{bad:?}: {e}");
        }
    }
}
