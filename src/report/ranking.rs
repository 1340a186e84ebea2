//! Which strategy is best: the strategies ordered on the scenario's objective, the figures its
//! `[[expect]]` tables judge (in file order, each once), or, without any, p99 latency and then
//! the share of failed requests. The first figure decides, ties are broken by the next, then
//! by the order of the file. Each figure is its mean over the replications, from the
//! whole-run columns of `summary.csv` ([`super::replications::figures_in`]); a run that never
//! recovered ranks last on `recovery_s`, and a strategy without a value last on that figure.
//!
//! One function for every place that picks "the best": report.html's ranking and the charts
//! that grey all but the baseline and the best.

use super::replications::figures_in;
use crate::metrics::{ScenarioResult, COLUMNS};

/// What the strategies are ranked on when the scenario has no `[[expect]]`.
pub const DEFAULT_OBJECTIVE: [&str; 2] = ["p99_latency_ms", "error_ratio"];

/// The strategies of some runs in order, best first, on an objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranking {
    /// The figures ranked on, deciding first.
    pub metrics: Vec<&'static str>,
    /// Whether they are the scenario's `[[expect]]` figures (else [`DEFAULT_OBJECTIVE`]).
    pub from_expect: bool,
    /// Per strategy (file order) and figure: the mean over the replications (infinite when a
    /// run never recovered, NaN without a value) and the half-width of its 95% interval (with
    /// two replications or more).
    pub values: Vec<Vec<(f64, Option<f64>)>>,
    /// Strategy indices, best first.
    pub order: Vec<usize>,
}

impl Ranking {
    /// The best strategy, if there is one.
    pub fn best(&self) -> Option<usize> {
        self.order.first().copied()
    }
}

/// Whether more of figure `metric` is better.
pub fn higher_is_better(metric: &str) -> bool {
    COLUMNS
        .iter()
        .any(|c| c.name == metric && c.higher_is_better)
}

/// Ranks the strategies of `runs` (every replication of a scenario, the first being the plain
/// run) on `objective`: the summary columns the scenario's `[[expect]]` tables judge, in file
/// order (duplicates and names that are no column are left out); empty, or none a column:
/// [`DEFAULT_OBJECTIVE`].
pub fn rank(runs: &[ScenarioResult], objective: &[String]) -> Ranking {
    let mut metrics: Vec<&'static str> = Vec::new();
    for m in objective {
        if let Some(c) = COLUMNS.iter().find(|c| c.name == m.as_str()) {
            if !metrics.contains(&c.name) {
                metrics.push(c.name);
            }
        }
    }
    let from_expect = !metrics.is_empty();
    if !from_expect {
        metrics = DEFAULT_OBJECTIVE.to_vec();
    }
    let n = runs.first().map_or(0, |r| r.strategies.len());
    let values: Vec<Vec<(f64, Option<f64>)>> = (0..n)
        .map(|i| {
            let figures = figures_in(runs, i);
            metrics
                .iter()
                .map(|m| {
                    let Some(f) = figures.iter().find(|f| f.metric == *m) else {
                        return (f64::NAN, None);
                    };
                    if f.written.iter().any(|w| w == "never") {
                        return (f64::INFINITY, None);
                    }
                    match f.interval() {
                        Some(i) => (i.mean, (i.n > 1).then_some(i.half_width)),
                        None => (f64::NAN, None),
                    }
                })
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        for (j, m) in metrics.iter().enumerate() {
            let (x, y) = (values[a][j].0, values[b][j].0);
            let (x, y) = if higher_is_better(m) {
                (-x, -y)
            } else {
                (x, y)
            };
            // NaN (no value) last.
            let c = match (x.is_nan(), y.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => x.total_cmp(&y),
            };
            if c.is_ne() {
                return c;
            }
        }
        a.cmp(&b)
    });
    Ranking {
        metrics,
        from_expect,
        values,
        order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BucketRow, LatencyStats, RunResult, StrategyResult};

    /// A run whose strategies have these p99s (ms), errors of 1,000 requests and hit ratios.
    fn run(figures: &[(f64, u64, u64)]) -> ScenarioResult {
        let strategies = figures
            .iter()
            .enumerate()
            .map(|(i, &(p99_ms, errors, hits))| {
                let mut result = RunResult::default();
                result.summary.totals = BucketRow {
                    width_s: 1.0,
                    arrived: 1_000,
                    completed: 1_000 - errors,
                    errors_timeout: errors,
                    cache_hits: hits,
                    cache_misses: 1_000 - hits,
                    latency: LatencyStats {
                        count: 1_000 - errors,
                        p99_ms,
                        ..LatencyStats::default()
                    },
                    ..BucketRow::default()
                };
                StrategyResult {
                    name: format!("s{i}"),
                    description: String::new(),
                    db_capacity_qps: 1_000.0,
                    fanout: 1,
                    marks: Vec::new(),
                    client_timeout_s: None,
                    result,
                }
            })
            .collect();
        ScenarioResult {
            name: "r".into(),
            description: String::new(),
            seed: 1,
            duration_s: 1.0,
            bucket_s: 1.0,
            timeline: Vec::new(),
            strategies,
        }
    }

    fn names(metrics: &[&str]) -> Vec<String> {
        metrics.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn without_expectations_p99_decides_then_errors() {
        // s1 and s2 tie on p99: s2 has fewer errors.
        let runs = [run(&[(50.0, 0, 900), (10.0, 20, 100), (10.0, 5, 100)])];
        let r = rank(&runs, &[]);
        assert_eq!(r.metrics, DEFAULT_OBJECTIVE);
        assert!(!r.from_expect);
        assert_eq!(r.order, [2, 1, 0]);
        assert_eq!(r.best(), Some(2));
        // Names that are no column are left out: the default again.
        assert_eq!(rank(&runs, &names(&["nonsense"])).order, [2, 1, 0]);
    }

    #[test]
    fn the_expect_objective_decides_in_file_order_higher_is_better_where_it_is() {
        let runs = [run(&[(50.0, 0, 900), (10.0, 20, 100), (10.0, 5, 950)])];
        // The hit ratio first (higher is better): s2, s0, s1.
        let r = rank(&runs, &names(&["hit_ratio", "p99_latency_ms", "hit_ratio"]));
        assert!(r.from_expect);
        assert_eq!(r.metrics, ["hit_ratio", "p99_latency_ms"]);
        assert_eq!(r.order, [2, 0, 1]);
        // On errors alone: s0 (none), s2, s1.
        let r = rank(&runs, &names(&["error_ratio"]));
        assert_eq!(r.order, [0, 2, 1]);
        assert_eq!(r.best(), Some(0));
        // No strategies: no best.
        let empty = [run(&[])];
        assert_eq!(rank(&empty, &[]).best(), None);
    }

    #[test]
    fn with_replications_the_mean_decides_and_the_interval_is_kept() {
        // s0 is better in the first replication, s1 on average.
        let runs = [
            run(&[(10.0, 0, 0), (20.0, 0, 0)]),
            run(&[(40.0, 0, 0), (20.0, 0, 0)]),
        ];
        let r = rank(&runs, &names(&["p99_latency_ms"]));
        assert_eq!(r.order, [1, 0]);
        assert_eq!(r.values[0][0].0, 25.0);
        assert!(r.values[0][0].1.is_some_and(|w| w > 0.0));
        assert_eq!(r.values[1][0], (20.0, Some(0.0)));
    }
}
