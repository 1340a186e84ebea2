//! A phase map's results as data ([`Map`]) and as bytes: `phase.csv`, `phase.toml` and the
//! terminal's text. Pure: nothing here writes a file.

use serde::{Deserialize, Serialize};

use super::boundary::{number, Boundary};
use super::{CellStats, Checked, Phase, Verdicts};
use crate::report::format::ImageFormat;
use crate::scenario::overrides;
use crate::text;

/// A phase map's results and what it was run with.
#[derive(Clone, Debug)]
pub struct Map {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given.
    pub scenario_file: String,
    /// SHA-256 of its text.
    pub scenario_sha256: String,
    /// The base seed: run `k` of every cell and strategy uses seed `k` derived from it.
    pub seed: u64,
    /// Seeds per cell and strategy (the most, with `adaptive`).
    pub seeds: u32,
    /// Whether seeds were spent in rounds, more where the interval held 0.5.
    pub adaptive: bool,
    /// The charts' format.
    pub format: ImageFormat,
    /// `--horizon`, seconds, if given.
    pub horizon_s: Option<f64>,
    /// The load fields (set together) and their values' labels and numbers.
    pub load_paths: Vec<String>,
    pub load_labels: Vec<String>,
    pub load_numbers: Vec<f64>,
    /// The trigger field (`None`: the file's own trigger, one row) and its values' labels.
    pub trigger_path: Option<String>,
    pub trigger_labels: Vec<String>,
    /// Strategies, in file order.
    pub strategies: Vec<String>,
    /// `[cell][strategy]`, cells with the load varying slowest.
    pub stats: Vec<Vec<CellStats>>,
}

impl Map {
    /// The map of `phase`, checked as `checked`, from the `verdicts` of its runs (by cell,
    /// strategy and seed); its charts drawn as `format`.
    pub fn of(phase: &Phase, checked: &Checked, verdicts: &Verdicts, format: ImageFormat) -> Map {
        let s = &checked.first;
        let base = s.seed;
        let stats = verdicts
            .iter()
            .map(|cell| {
                cell.iter()
                    .map(|v| CellStats::of(v, |k| phase.seed_of(base, k)))
                    .collect()
            })
            .collect();
        Map {
            scenario: s.name.clone(),
            scenario_file: phase.file.to_string_lossy().into_owned(),
            scenario_sha256: s.source_sha256.clone(),
            seed: base,
            seeds: phase.seeds,
            adaptive: phase.adaptive,
            format,
            horizon_s: phase.horizon.map(|h| h.as_secs_f64()),
            load_paths: phase.load_paths.clone(),
            load_labels: phase.load.iter().map(overrides::value_label).collect(),
            load_numbers: phase.load_numbers.clone(),
            trigger_path: phase.trigger.as_ref().map(|t| t.path.clone()),
            trigger_labels: (0..phase.rows()).map(|t| phase.row_label(t)).collect(),
            strategies: s.strategies.iter().map(|st| st.name.clone()).collect(),
            stats,
        }
    }

    /// The stats of load `l`, trigger `t` and strategy `i`.
    pub fn at(&self, l: usize, t: usize, i: usize) -> &CellStats {
        &self.stats[l * self.trigger_labels.len() + t][i]
    }

    /// Strategy `i`'s boundary along the load axis at trigger value `t`.
    pub fn boundary(&self, i: usize, t: usize) -> Boundary {
        let cells: Vec<&CellStats> = (0..self.load_labels.len())
            .map(|l| self.at(l, t, i))
            .collect();
        let p: Vec<Option<f64>> = cells.iter().map(|c| c.p).collect();
        let ci: Vec<Option<(f64, f64)>> = cells.iter().map(|c| c.p.map(|_| c.ci)).collect();
        Boundary::of(&self.load_numbers, &p, &ci)
    }

    /// The command that replays the run of `seed` in cell (`l`, `t`) with strategy `i`.
    pub fn replay(&self, l: usize, t: usize, i: usize, seed: u64) -> String {
        let mut cmd = format!("cachestorm sweep {}", shell(&self.scenario_file));
        for p in &self.load_paths {
            cmd.push_str(&format!(
                " --set {}",
                shell(&format!("{p}={}", self.load_labels[l]))
            ));
        }
        if let Some(path) = &self.trigger_path {
            cmd.push_str(&format!(
                " --set {}",
                shell(&format!("{path}={}", self.trigger_labels[t]))
            ));
        }
        cmd.push_str(&format!(
            " --seed {seed} --strategy {} --metric metastable",
            shell(&self.strategies[i])
        ));
        cmd
    }

    /// The trigger axis in words: its field, or the file's own trigger.
    pub fn trigger_name(&self) -> String {
        self.trigger_path
            .clone()
            .unwrap_or_else(|| "the file's trigger".to_string())
    }
}

/// `s` as one shell word: as it is when it is plain, else in single quotes.
fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The name of `phase.csv`.
pub const CSV: &str = "phase.csv";
/// The name of the manifest.
pub const MANIFEST: &str = "phase.toml";

/// Whether `name` is a file `cachestorm phase` writes: `phase.csv`, `phase.toml`,
/// `boundaries.png|svg` or `phase_<strategy name>.png|svg`.
pub fn is_output_name(name: &str) -> bool {
    if name == CSV || name == MANIFEST {
        return true;
    }
    let Some(stem) = name
        .strip_suffix(".png")
        .or_else(|| name.strip_suffix(".svg"))
    else {
        return false;
    };
    stem == "boundaries"
        || stem.strip_prefix("phase_").is_some_and(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
        })
}

/// `phase.csv`: one row per cell and strategy, cells in grid order (the load varying
/// slowest), strategies in file order.
pub fn csv(map: &Map) -> Result<Vec<u8>, String> {
    csv_of(map, &|_| true)
}

/// The header of `phase.csv` for `map`.
pub fn csv_header(map: &Map) -> Vec<String> {
    let mut header: Vec<String> = vec!["cell".into()];
    header.extend(map.load_paths.iter().cloned());
    header.extend(map.trigger_path.iter().cloned());
    header.extend(CSV_COLUMNS.map(String::from));
    header
}

/// Columns of `phase.csv` after the cell's values.
pub const CSV_COLUMNS: [&str; 11] = [
    "strategy",
    "runs",
    "judged",
    "metastable",
    "recovered",
    "p_metastable",
    "ci95_low",
    "ci95_high",
    "recovery_p50_s",
    "recovery_p90_s",
    "replay_seed",
];

/// `phase.csv` with the rows of the cells `keep` takes (a shard's).
pub fn csv_of(map: &Map, keep: &dyn Fn(usize) -> bool) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = csv_header(map);
    w.write_record(&header).map_err(|e| e.to_string())?;
    let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.6}"));
    for l in 0..map.load_labels.len() {
        for t in 0..map.trigger_labels.len() {
            let cell = l * map.trigger_labels.len() + t;
            if !keep(cell) {
                continue;
            }
            for (i, name) in map.strategies.iter().enumerate() {
                let s = map.at(l, t, i);
                let mut row: Vec<String> = vec![cell.to_string()];
                row.extend(map.load_paths.iter().map(|_| map.load_labels[l].clone()));
                if map.trigger_path.is_some() {
                    row.push(map.trigger_labels[t].clone());
                }
                row.push(name.clone());
                row.extend([s.runs, s.judged, s.metastable, s.recovered].map(|n| n.to_string()));
                row.push(f(s.p));
                row.push(format!("{:.6}", s.ci.0));
                row.push(format!("{:.6}", s.ci.1));
                row.push(f(s.recovery_p50_s));
                row.push(f(s.recovery_p90_s));
                row.push(s.replay_seed.map_or(String::new(), |s| s.to_string()));
                w.write_record(&row).map_err(|e| e.to_string())?;
            }
        }
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `phase.toml`: what the map was run with (and, for a shard, which one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub cachestorm_version: String,
    pub scenario: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub seeds: u32,
    pub adaptive: bool,
    pub format: ImageFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon_s: Option<f64>,
    pub load: Vec<String>,
    pub load_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    pub trigger_values: Vec<String>,
    pub strategies: Vec<String>,
    pub files: Vec<String>,
    /// `[index, count]` of a shard's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
}

impl Manifest {
    /// The manifest of `map`, listing `files`, for `shard` (`None`: the whole map).
    pub fn of(map: &Map, files: &[String], shard: Option<[u32; 2]>) -> Manifest {
        Manifest {
            cachestorm_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: map.scenario.clone(),
            scenario_file: map.scenario_file.clone(),
            scenario_sha256: map.scenario_sha256.clone(),
            seed: map.seed,
            seeds: map.seeds,
            adaptive: map.adaptive,
            format: map.format,
            horizon_s: map.horizon_s,
            load: map.load_paths.clone(),
            load_values: map.load_labels.clone(),
            trigger: map.trigger_path.clone(),
            trigger_values: map.trigger_labels.clone(),
            strategies: map.strategies.clone(),
            files: files.to_vec(),
            shard,
        }
    }

    /// As `phase.toml` text.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        toml::to_string(self)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    }
}

/// `phase.toml` of `map`, listing `files`.
pub fn manifest(map: &Map, files: &[String]) -> Result<Vec<u8>, String> {
    Manifest::of(map, files, None).to_bytes()
}

/// Most loads drawn as columns of the terminal's map of p.
const MAX_TEXT_COLUMNS: usize = 16;

/// What the terminal shows: per strategy, a map of p (when narrow enough), the boundary along
/// the load axis for each trigger value with its interval, what cells with no metastable run
/// can still hide, and the command replaying one metastable run.
pub fn report(map: &Map) -> String {
    let mut out = String::new();
    let loads = map.load_paths.join(",");
    out.push_str(&format!(
        "{}: P(metastable) over {} x {}, {}{} seed{} per cell and strategy (base seed {})\n",
        text::escape(&map.scenario),
        text::escape(&loads),
        text::escape(&map.trigger_name()),
        if map.adaptive { "up to " } else { "" },
        map.seeds,
        if map.seeds == 1 { "" } else { "s" },
        map.seed
    ));
    if map.adaptive {
        out.push_str(
            "adaptive: more seeds where the 95% interval held 0.5; runs per cell in phase.csv\n",
        );
    }
    let width = map
        .trigger_labels
        .iter()
        .map(|l| text::escape(l).chars().count())
        .max()
        .unwrap_or(0)
        .max(map.trigger_name().len().min(24));
    for (i, name) in map.strategies.iter().enumerate() {
        out.push_str(&format!("\n{}\n", text::escape(name)));
        if map.load_labels.len() <= MAX_TEXT_COLUMNS {
            out.push_str(&format!(
                "  {:>width$} | {}  (p; * where the 95% interval holds 0.5)\n",
                text::shorten(&text::escape(&map.trigger_name()), width),
                map.load_labels
                    .iter()
                    .map(|l| format!("{:>6}", text::shorten(&text::escape(l), 6)))
                    .collect::<Vec<_>>()
                    .join("")
            ));
            for t in (0..map.trigger_labels.len()).rev() {
                let cells: String = (0..map.load_labels.len())
                    .map(|l| {
                        let s = map.at(l, t, i);
                        match s.p {
                            None => format!("{:>6}", "-"),
                            Some(p) => {
                                let mark = if s.ci.0 <= 0.5 && s.ci.1 >= 0.5 {
                                    "*"
                                } else {
                                    " "
                                };
                                format!("{:>5}{mark}", format!("{p:.2}"))
                            }
                        }
                    })
                    .collect();
                out.push_str(&format!(
                    "  {:>width$} | {cells}\n",
                    text::escape(&map.trigger_labels[t])
                ));
            }
        }
        out.push_str(&format!(
            "  boundary along {} where P(metastable) = 0.5:\n",
            text::escape(&loads)
        ));
        for t in 0..map.trigger_labels.len() {
            let row = match &map.trigger_path {
                Some(p) => format!(
                    "{}={}",
                    text::escape(p),
                    text::escape(&map.trigger_labels[t])
                ),
                None => map.trigger_labels[t].clone(),
            };
            out.push_str(&format!("    {row}: {}\n", map.boundary(i, t).label()));
        }
        // Cells where no run of N was metastable: the most p can be there.
        let zeros: Vec<&CellStats> = map
            .stats
            .iter()
            .map(|c| &c[i])
            .filter(|s| s.judged > 0 && s.metastable == 0)
            .collect();
        if let Some(worst) = zeros.iter().map(|s| s.ci.1).reduce(f64::max) {
            let least = zeros.iter().map(|s| s.judged).min().unwrap_or(0);
            out.push_str(&format!(
                "  {} of {} cells had no metastable run: there P(metastable) is below {} (Wilson 95% upper bound at {} runs); more seeds see rarer failures\n",
                zeros.len(),
                map.stats.len(),
                number(worst),
                least
            ));
        }
        // One metastable run to replay: the one in the cell where it was least likely.
        let mut best: Option<(f64, usize, usize, u64)> = None;
        for l in 0..map.load_labels.len() {
            for t in 0..map.trigger_labels.len() {
                let s = map.at(l, t, i);
                if let (Some(p), Some(seed)) = (s.p, s.replay_seed) {
                    if best.is_none_or(|b| p < b.0) {
                        best = Some((p, l, t, seed));
                    }
                }
            }
        }
        match best {
            Some((p, l, t, seed)) => out.push_str(&format!(
                "  replay a metastable run (p = {p:.2} there): {}\n",
                text::escape(&map.replay(l, t, i, seed))
            )),
            None => out.push_str("  no run was metastable\n"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::phase::wilson;

    fn stats(metastable: u32, n: u32) -> CellStats {
        CellStats {
            runs: n,
            judged: n,
            metastable,
            recovered: n - metastable,
            p: Some(metastable as f64 / n as f64),
            ci: wilson(metastable, n),
            recovery_p50_s: (metastable < n).then_some(4.0),
            recovery_p90_s: (metastable < n).then_some(9.0),
            replay_seed: (metastable > 0).then_some(77),
        }
    }

    fn map() -> Map {
        Map {
            scenario: "storm".into(),
            scenario_file: "my storm.toml".into(),
            scenario_sha256: "ab".into(),
            seed: 7,
            seeds: 10,
            adaptive: false,
            format: ImageFormat::Png,
            horizon_s: None,
            load_paths: vec!["clients.rps".into()],
            load_labels: vec!["100".into(), "200".into(), "300".into()],
            load_numbers: vec![100.0, 200.0, 300.0],
            trigger_path: Some("timeline.1.share".into()),
            trigger_labels: vec!["0.5".into()],
            strategies: vec!["plain".into()],
            stats: vec![vec![stats(0, 10)], vec![stats(2, 10)], vec![stats(8, 10)]],
        }
    }

    #[test]
    fn csv_has_a_row_per_cell_and_strategy() {
        let text = String::from_utf8(csv(&map()).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            "cell,clients.rps,timeline.1.share,strategy,runs,judged,metastable,recovered,p_metastable,ci95_low,ci95_high,recovery_p50_s,recovery_p90_s,replay_seed"
        );
        assert!(
            lines[1].starts_with("0,100,0.5,plain,10,10,0,10,0.000000,0.000000,0.27"),
            "{}",
            lines[1]
        );
        assert!(lines[3].ends_with(",77"), "{}", lines[3]);
    }

    #[test]
    fn report_gives_the_boundary_the_zero_cells_and_a_replay() {
        let r = report(&map());
        // p 0.2 at 200, 0.8 at 300: crosses 0.5 at 250.
        assert!(r.contains("timeline.1.share=0.5: 250 (95%:"), "{r}");
        assert!(
            r.contains("1 of 3 cells had no metastable run: there P(metastable) is below 0.2775"),
            "{r}"
        );
        assert!(
            r.contains("cachestorm sweep 'my storm.toml' --set clients.rps=200 --set timeline.1.share=0.5 --seed 77 --strategy plain --metric metastable"),
            "{r}"
        );
    }
}
