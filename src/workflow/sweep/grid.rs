//! The points of `cachestorm sweep`: a scenario file's text checked once per combination of
//! `--set` values ([`overrides::grid`]), with the command line's seed, replications and
//! strategies applied to each; which of them a shard runs; and the order in which `--find`
//! bisects them.
//!
//! Every point keeps the file's seed, so replication `r` of every point and strategy sees the
//! same draws: differences between neighbouring points are paired, as differences between
//! strategies are.

use std::path::{Path, PathBuf};

use crate::scenario::overrides::{self, Setting};
use crate::scenario::{self, Scenario};
use crate::text;

/// Which share of the points one process runs: the points whose index modulo `count` is
/// `index - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 1.
    pub index: u32,
    /// How many shards the points are split into, at least 1.
    pub count: u32,
}

impl Shard {
    /// Parses `I/N`: two whole numbers with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        const FORM: &str = "write I/N with 1 <= I <= N, such as 2/4";
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{}` has no `/`; {FORM}", text::quote(text)))?;
        let number = |s: &str| s.trim().parse::<u32>().ok();
        match (number(i), number(n)) {
            (Some(index), Some(count)) if index >= 1 && index <= count => {
                Ok(Shard { index, count })
            }
            (Some(_), Some(_)) => Err(format!(
                "`{}`: the shard must be from 1 to N; {FORM}",
                text::quote(text)
            )),
            _ => Err(format!(
                "`{}` is not two whole numbers; {FORM}",
                text::quote(text)
            )),
        }
    }

    /// Whether this shard runs point `p` (from 0).
    pub fn runs(self, p: usize) -> bool {
        p % self.count as usize == self.index as usize - 1
    }

    /// The points of `total` this shard runs, in order.
    pub fn points(self, total: usize) -> impl Iterator<Item = usize> {
        (0..total).filter(move |&p| self.runs(p))
    }
}

/// A checked sweep: the scenario text, its settings and their grid of points, and the choices
/// of the command line that every point shares.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The scenario file, as given.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
    /// The `--set` settings, in the order given.
    pub settings: Vec<Setting>,
    /// Every point: (path, value) for each setting, the first setting varying slowest.
    pub points: Vec<Vec<(String, toml::Value)>>,
    /// `--seed`, if given.
    pub seed: Option<u64>,
    /// `--replications`, if given.
    pub replications: Option<u32>,
    /// `--strategy` names, in the order given; empty for every strategy.
    pub strategies: Vec<String>,
}

/// Top-level fields a sweep may not set: each has its own flag.
const OWN_FLAGS: [(&str, &str); 2] = [
    (
        "seed",
        "every point uses the same seed, so that neighbouring points are compared on the same draws; give --seed, or --replications for more draws",
    ),
    (
        "replications",
        "give --replications; sweep.csv counts them in its own column",
    ),
];

impl Sweep {
    /// Parses the `--set` texts and builds the grid. Checks the settings only, not the points:
    /// see [`Sweep::check_all`].
    pub fn new(
        file: &Path,
        text: String,
        settings: &[String],
        seed: Option<u64>,
        replications: Option<u32>,
        strategies: Vec<String>,
    ) -> Result<Sweep, String> {
        let mut parsed = Vec::with_capacity(settings.len());
        for s in settings {
            let setting = overrides::parse_setting(s).map_err(|e| format!("--set: {e}"))?;
            if let Some((_, why)) = OWN_FLAGS.iter().find(|(k, _)| *k == setting.path) {
                return Err(format!("--set: `{}` cannot be swept: {why}", setting.path));
            }
            parsed.push(setting);
        }
        let points = overrides::grid(&parsed).map_err(|e| format!("--set: {e}"))?;
        Ok(Sweep {
            file: file.to_path_buf(),
            text,
            settings: parsed,
            points,
            seed,
            replications,
            strategies,
        })
    }

    /// The values of point `p`, as `db.slots=8, cache.ttl=30s` (escaped).
    pub fn describe(&self, p: usize) -> String {
        self.points[p]
            .iter()
            .map(|(path, v)| format!("{path}={}", text::quote(&overrides::value_label(v))))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The scenario at point `p`, with the command line's seed, replications and strategies;
    /// an error names the point, the field and the value.
    pub fn scenario(&self, p: usize) -> Result<Scenario, String> {
        let at = || {
            format!(
                "sweep point {p} of {} ({})",
                self.points.len(),
                self.describe(p)
            )
        };
        let mut s = scenario::parse_with(&self.text, &self.file, &self.points[p])
            .map_err(|e| format!("{}: {e}", at()))?;
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        if let Some(r) = self.replications {
            s.study.replications = r;
        }
        if !self.strategies.is_empty() {
            for wanted in &self.strategies {
                if !s.strategies.iter().any(|st| &st.name == wanted) {
                    let known: Vec<&str> = s.strategies.iter().map(|st| st.name.as_str()).collect();
                    return Err(format!(
                        "{}: --strategy `{}` is not in this file; its strategies are: {}",
                        self.file.display(),
                        text::quote(wanted),
                        known.join(", ")
                    ));
                }
            }
            // In the order of the file, as `run` keeps them.
            s.strategies.retain(|st| self.strategies.contains(&st.name));
        }
        // No differences from a baseline are reported by a sweep.
        s.study.baseline = None;
        Ok(s)
    }
}

/// For `--find`: the setting searched (the only one with several values) and the indices of
/// the grid's points in ascending order of its values. Refuses a grid with no setting or
/// several of several values, values that are not numbers (durations count as their seconds),
/// and values out of order: they must be given ascending or descending.
pub fn search_order(settings: &[Setting]) -> Result<(usize, Vec<usize>), String> {
    let several: Vec<usize> = (0..settings.len())
        .filter(|&i| settings[i].values.len() > 1)
        .collect();
    let [searched] = several[..] else {
        return Err(format!(
            "--find searches one field: give exactly one --set with several values (the others may \
             fix one value each); {}",
            if several.is_empty() {
                "none has several".to_string()
            } else {
                format!(
                    "{} have several ({})",
                    several.len(),
                    several
                        .iter()
                        .map(|&i| format!("`{}`", settings[i].path))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    };
    let s = &settings[searched];
    let mut numbers = Vec::with_capacity(s.values.len());
    for v in &s.values {
        let Some(x) = overrides::value_number(v) else {
            return Err(format!(
                "--find needs numbers to search: `{}` = `{}` is not a number or a duration",
                s.path,
                text::quote(&overrides::value_label(v))
            ));
        };
        numbers.push(x);
    }
    let ascending = numbers.windows(2).all(|w| w[0] < w[1]);
    let descending = numbers.windows(2).all(|w| w[0] > w[1]);
    if !(ascending || descending) {
        return Err(format!(
            "--find needs the values of `{}` in ascending (or descending) order, as a bisection \
             assumes; they go up and down",
            s.path
        ));
    }
    // The grid's point index equals the value's index: every other setting has one value.
    let order = if ascending {
        (0..numbers.len()).collect()
    } else {
        (0..numbers.len()).rev().collect()
    };
    Ok((searched, order))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(text: &str) -> Setting {
        overrides::parse_setting(text).unwrap()
    }

    #[test]
    fn shards_split_the_points_into_disjoint_strides() {
        assert_eq!(Shard::parse("1/1"), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(Shard::parse(" 3/ 4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["0/3", "4/3", "1", "a/b", "1/0", "-1/3", "1/3/4", "", "/"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let all: Vec<Vec<usize>> = (1..=3)
            .map(|index| Shard { index, count: 3 }.points(8).collect())
            .collect();
        assert_eq!(all, [vec![0, 3, 6], vec![1, 4, 7], vec![2, 5]]);
        assert_eq!(Shard { index: 5, count: 5 }.points(3).count(), 0);
    }

    #[test]
    fn find_searches_the_one_field_with_several_values_in_ascending_order() {
        let up = [setting("clients.rps=2000"), setting("db.slots=8..32:8")];
        assert_eq!(search_order(&up), Ok((1, vec![0, 1, 2, 3])));
        let down = [setting("db.slots=32,16,8")];
        assert_eq!(search_order(&down), Ok((0, vec![2, 1, 0])));
        let durations = [setting("cache.ttl=1s,30s,2m")];
        assert_eq!(search_order(&durations), Ok((0, vec![0, 1, 2])));
        for (bad, needle) in [
            (vec![setting("db.slots=8,32,16")], "ascending"),
            (vec![setting("cache.policy=lru,lfu")], "not a number"),
            (vec![setting("db.slots=8")], "none has several"),
            (
                vec![setting("db.slots=8,16"), setting("clients.rps=1,2")],
                "2 have several",
            ),
            (vec![], "none has several"),
        ] {
            let e = search_order(&bad).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn seed_and_replications_have_their_own_flags() {
        for path in ["seed", "replications"] {
            let e = Sweep::new(
                Path::new("f.toml"),
                String::new(),
                &[format!("{path}=1,2")],
                None,
                None,
                Vec::new(),
            )
            .unwrap_err();
            assert!(e.contains("cannot be swept") && e.contains(path), "{e}");
        }
    }
}
