//! Expectations written in a scenario file, for `cachestorm check`: `[[expect]]` entries and the
//! `[check]` table of comparisons with a saved baseline.
//!
//! ```toml
//! [[expect]]                       # absolute: a strategy's figure within a bound
//! strategy = "jittered-ttl"
//! metric = "peak_db_queries_per_s"
//! at_most = 2000
//!
//! [[expect]]                       # relative: at most half of another strategy's figure
//! strategy = "xfetch"
//! metric = "p99_latency_ms"
//! at_most = 0.5
//! of = "fixed-ttl"
//!
//! [check]                          # with --baseline NAME: no figure worse by more than 10%
//! tolerance = 0.10
//! metrics = ["p99_latency_ms", "peak_db_queries_per_s"]
//! ```
//!
//! Only the shape is checked here; metric names are checked by the command, which knows the
//! summary's columns.

/// One expectation: `strategy`'s `metric` at most and/or at least a bound, or (with `of`) a
/// multiple of another strategy's.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// Strategy whose figure is judged.
    pub strategy: String,
    /// A column of `summary.csv`.
    pub metric: String,
    /// Upper bound (or factor of `of`'s figure).
    pub at_most: Option<f64>,
    /// Lower bound (or factor of `of`'s figure).
    pub at_least: Option<f64>,
    /// The strategy whose figure the bounds multiply (a relative expectation).
    pub of: Option<String>,
    /// Position in the file (from 0), for messages.
    pub index: usize,
}

/// How `check --baseline` compares with a saved baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineCheck {
    /// Largest relative worsening allowed (0.1: 10%).
    pub tolerance: f64,
    /// Figures compared.
    pub metrics: Vec<String>,
}

impl Default for BaselineCheck {
    fn default() -> Self {
        BaselineCheck {
            tolerance: 0.10,
            // The figures flagged `baseline(N)` in the column declaration.
            metrics: crate::metrics::columns::baseline_metrics()
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// Reads `[[expect]]` (a list of tables) against the strategies' names.
pub fn expectations(
    value: Option<&toml::Value>,
    strategies: &[&str],
) -> Result<Vec<Expectation>, (String, String)> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(items) = value else {
        return Err((
            "expect".into(),
            "must be a list of tables: write each as [[expect]] with strategy, metric and at_most or at_least".into(),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| expectation(index, item, strategies))
        .collect()
}

/// The `[[expect]]` entry at `index`.
fn expectation(
    index: usize,
    item: &toml::Value,
    strategies: &[&str],
) -> Result<Expectation, (String, String)> {
    let names = || {
        strategies
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let at = format!("expect[{index}]");
    let toml::Value::Table(t) = item else {
        return Err((
            at,
            "must be a table with strategy, metric and a bound".into(),
        ));
    };
    let field = |k: &str| format!("{at}.{k}");
    if let Some(k) = t
        .keys()
        .find(|k| !["strategy", "metric", "at_most", "at_least", "of"].contains(&k.as_str()))
    {
        return Err((
            field(&crate::text::quote(k)),
            "unknown; an expectation has strategy, metric, at_most, at_least and of".into(),
        ));
    }
    let name = |k: &str, required: bool| -> Result<Option<String>, (String, String)> {
        match t.get(k) {
            None if required => Err((field(k), "is required".into())),
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err((field(k), "must be a string".into())),
        }
    };
    let strategy = name("strategy", true)?.expect("required");
    let metric = name("metric", true)?.expect("required");
    let of = name("of", false)?;
    for s in std::iter::once(&strategy).chain(of.as_ref()) {
        if !strategies.contains(&s.as_str()) {
            let k = if *s == strategy { "strategy" } else { "of" };
            return Err((
                field(k),
                format!(
                    "`{}` is not a strategy of this file; use one of {}",
                    crate::text::quote(s),
                    names()
                ),
            ));
        }
    }
    let bound = |k: &str| -> Result<Option<f64>, (String, String)> {
        match t.get(k) {
            None => Ok(None),
            Some(v) => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(x) if x.is_finite() && (of.is_none() || x >= 0.0) => Ok(Some(x)),
                _ => Err((
                    field(k),
                    if of.is_some() {
                        "must be a factor of `of`'s figure: a number, 0 or more".into()
                    } else {
                        "must be a number".into()
                    },
                )),
            },
        }
    };
    let (at_most, at_least) = (bound("at_most")?, bound("at_least")?);
    match (at_most, at_least) {
        (None, None) => {
            return Err((
                field("at_most"),
                "an expectation needs at_most, at_least or both".into(),
            ))
        }
        (Some(hi), Some(lo)) if lo > hi => {
            return Err((
                field("at_least"),
                format!("{lo} is above at_most ({hi}): nothing could pass"),
            ))
        }
        _ => {}
    }
    Ok(Expectation {
        strategy,
        metric,
        at_most,
        at_least,
        of,
        index,
    })
}

/// Reads the `[check]` table.
pub fn baseline_check(value: Option<&toml::Value>) -> Result<BaselineCheck, (String, String)> {
    let mut check = BaselineCheck::default();
    let Some(value) = value else {
        return Ok(check);
    };
    let toml::Value::Table(t) = value else {
        return Err((
            "check".into(),
            "must be a table with tolerance and metrics".into(),
        ));
    };
    for (k, v) in t {
        match k.as_str() {
            "tolerance" => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(x) if (0.0..=10.0).contains(&x) => check.tolerance = x,
                _ => return Err((
                    "check.tolerance".into(),
                    "must be a number from 0 to 10: the relative worsening allowed (0.1 is 10%)"
                        .into(),
                )),
            },
            "metrics" => {
                let list = v.as_array().and_then(|a| {
                    a.iter()
                        .map(|m| m.as_str().map(String::from))
                        .collect::<Option<Vec<_>>>()
                });
                match list {
                    Some(l) if !l.is_empty() => check.metrics = l,
                    _ => {
                        return Err((
                            "check.metrics".into(),
                            "must be a non-empty list of summary.csv column names".into(),
                        ))
                    }
                }
            }
            other => {
                return Err((
                    format!("check.{}", crate::text::quote(other)),
                    "unknown; [check] has tolerance and metrics".into(),
                ))
            }
        }
    }
    Ok(check)
}
