//! `cachestorm merge` of `phase --shard` folders: each shard's `phase.toml` and `phase.csv`
//! read back and checked (shards 1 to N of one map, each once, every row there once), and the
//! whole map rebuilt from the counts, so the merged files are those the unsharded map writes.

use std::path::{Path, PathBuf};

use super::output::{self, Manifest, Map};
use super::{wilson, CellStats};
use crate::text;
use crate::workflow::sweep::Shard;
use crate::workflow::{input, WorkflowError};

/// Whether `dirs` are phase shards (the first holds a `phase.toml`), not sweep shards.
pub fn is_phase(dirs: &[PathBuf]) -> bool {
    dirs.first()
        .is_some_and(|d| d.join(output::MANIFEST).is_file())
}

/// Most bytes read of a shard's file.
const MAX_FILE_BYTES: u64 = 1 << 30;

fn read(path: &Path) -> Result<String, WorkflowError> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES).read_to_string(&mut text))
        .map_err(|e| {
            input(format!(
                "{}: cannot read: {e}",
                text::escape(&path.display().to_string())
            ))
        })?;
    Ok(text)
}

/// Reads the shards in `dirs` and rebuilds the whole map; also the number of shards.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(Map, usize), WorkflowError> {
    let mut shards: Vec<(Manifest, &PathBuf)> = Vec::new();
    for d in dirs {
        let path = d.join(output::MANIFEST);
        let shown = text::escape(&path.display().to_string()).into_owned();
        let m: Manifest = toml::from_str(&read(&path)?).map_err(|e| {
            input(format!(
                "{shown}: not a phase map's manifest: {}",
                text::shorten(&e.to_string(), 200)
            ))
        })?;
        if m.shard.is_none() {
            return Err(input(format!(
                "{shown}: a whole phase map, not a shard: merge the folders of `phase --shard I/N`"
            )));
        }
        shards.push((m, d));
    }
    shards.sort_by_key(|(m, _)| m.shard.map(|s| s[0]));
    let (first, _) = &shards[0];
    let count = first.shard.map_or(0, |s| s[1]);
    let same = |m: &Manifest| Manifest {
        scenario_file: String::new(),
        shard: None,
        files: Vec::new(),
        ..m.clone()
    };
    for (m, d) in &shards {
        let [index, n] = m.shard.unwrap_or([0, 0]);
        if same(m) != same(first) || n != count {
            return Err(input(format!(
                "{}: shard {index} of {n} is not of the same phase map as shard {} of {count} (version, scenario and its SHA-256, axes, strategies, seeds, horizon, format and adaptive must match)",
                text::escape(&d.display().to_string()),
                first.shard.map_or(0, |s| s[0])
            )));
        }
    }
    let indexes: Vec<u32> = shards
        .iter()
        .filter_map(|(m, _)| m.shard.map(|s| s[0]))
        .collect();
    if indexes != (1..=count).collect::<Vec<u32>>() {
        return Err(input(format!(
            "the folders hold shards {} of {count}: give each of 1 to {count} once",
            indexes
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let cells = first.load_values.len() * first.trigger_values.len();
    let strategies = first.strategies.len();
    let mut map = Map {
        scenario: first.scenario.clone(),
        scenario_file: first.scenario_file.clone(),
        scenario_sha256: first.scenario_sha256.clone(),
        seed: first.seed,
        seeds: first.seeds,
        adaptive: first.adaptive,
        format: first.format,
        horizon_s: first.horizon_s,
        load_paths: first.load.clone(),
        load_numbers: first
            .load_values
            .iter()
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .or_else(|| {
                        crate::scenario::duration::parse_duration(v)
                            .ok()
                            .map(|d| d.as_secs_f64())
                    })
                    .unwrap_or(f64::NAN)
            })
            .collect(),
        load_labels: first.load_values.clone(),
        trigger_path: first.trigger.clone(),
        trigger_labels: first.trigger_values.clone(),
        strategies: first.strategies.clone(),
        stats: Vec::new(),
    };
    let header = output::csv_header(&map);
    let mut found: Vec<Vec<Option<CellStats>>> = vec![vec![None; strategies]; cells];
    for (m, d) in &shards {
        let shard = Shard {
            index: m.shard.map_or(1, |s| s[0]),
            count,
        };
        let path = d.join(output::CSV);
        let shown = text::escape(&path.display().to_string()).into_owned();
        let text = read(&path)?;
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let got: Vec<String> = r
            .headers()
            .map_err(|e| input(format!("{shown}: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        if got != header {
            return Err(input(format!(
                "{shown}: its header is not the one this map writes"
            )));
        }
        for (n, rec) in r.records().enumerate() {
            let line = n + 2;
            let rec = rec.map_err(|e| input(format!("{shown}: line {line}: {e}")))?;
            let bad = |what: &str| input(format!("{shown}: line {line}: {what}"));
            let cell: usize = rec[0]
                .parse()
                .map_err(|_| bad("the cell is not a whole number"))?;
            if cell >= cells || !shard.runs(cell) {
                return Err(bad("a cell this shard does not run"));
            }
            let (l, t) = (
                cell / map.trigger_labels.len(),
                cell % map.trigger_labels.len(),
            );
            let mut col = 1;
            for _ in &map.load_paths {
                if rec[col] != map.load_labels[l] {
                    return Err(bad("the load value is not the cell's"));
                }
                col += 1;
            }
            if map.trigger_path.is_some() {
                if rec[col] != map.trigger_labels[t] {
                    return Err(bad("the trigger value is not the cell's"));
                }
                col += 1;
            }
            let i = map
                .strategies
                .iter()
                .position(|s| *s == rec[col])
                .ok_or_else(|| bad("an unknown strategy"))?;
            let count_at = |k: usize| {
                rec[col + k]
                    .parse::<u32>()
                    .map_err(|_| bad("a count is not a whole number"))
            };
            let (runs, judged, metastable, recovered) =
                (count_at(1)?, count_at(2)?, count_at(3)?, count_at(4)?);
            if judged > runs || metastable + recovered > judged {
                return Err(bad("the counts do not add up"));
            }
            let time = |k: usize| -> Result<Option<f64>, WorkflowError> {
                let cell = &rec[col + k];
                if cell.is_empty() {
                    return Ok(None);
                }
                cell.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(Some)
                    .ok_or_else(|| bad("a recovery time is not a finite number"))
            };
            let replay = &rec[col + 10];
            let replay_seed = if replay.is_empty() {
                None
            } else {
                Some(
                    replay
                        .parse::<u64>()
                        .map_err(|_| bad("the replay seed is not a whole number"))?,
                )
            };
            if found[cell][i].is_some() {
                return Err(bad("a cell and strategy given twice"));
            }
            found[cell][i] = Some(CellStats {
                runs,
                judged,
                metastable,
                recovered,
                p: (judged > 0).then(|| metastable as f64 / judged as f64),
                ci: wilson(metastable, judged),
                recovery_p50_s: time(8)?,
                recovery_p90_s: time(9)?,
                replay_seed,
            });
        }
    }
    for (c, row) in found.into_iter().enumerate() {
        let mut cell = Vec::with_capacity(strategies);
        for (i, s) in row.into_iter().enumerate() {
            cell.push(s.ok_or_else(|| {
                input(format!(
                    "shard {} of {count} has no row for cell {c}, strategy `{}`: it stopped short",
                    c % count as usize + 1,
                    text::quote(&map.strategies[i])
                ))
            })?);
        }
        map.stats.push(cell);
    }
    Ok((map, shards.len()))
}
