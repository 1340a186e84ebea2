//! Distributions of durations (`cache.latency`, `db.service`).

use super::*;

pub(super) const DIST_FORMS: &str = "a duration such as \"5ms\", or a table: { dist = \"constant\", value = \"5ms\" }, \
{ dist = \"exponential\", mean = \"5ms\" }, { dist = \"lognormal\", median = \"5ms\", p99 = \"40ms\" } or \
{ dist = \"uniform\", min = \"1ms\", max = \"9ms\" }";

/// Validates a distribution written as a duration string or a table.
pub fn distribution(field: &str, raw: &StringOrTable<RawDistribution>) -> Result<Distribution> {
    let t = match raw {
        StringOrTable::Text(s) => {
            return crate::scenario::duration::parse_duration(s)
                .map(Distribution::Constant)
                .map_err(|m| FieldError {
                    field: field.to_string(),
                    message: format!("{m}; or use {DIST_FORMS}"),
                })
        }
        StringOrTable::Table(t) => t,
    };
    let given = [
        ("value", t.value),
        ("mean", t.mean),
        ("median", t.median),
        ("p99", t.p99),
        ("min", t.min),
        ("max", t.max),
    ];
    let needs: &[&str] = match t.dist.as_str() {
        "constant" => &["value"],
        "exponential" => &["mean"],
        "lognormal" => &["median", "p99"],
        "uniform" => &["min", "max"],
        other => {
            return err(
                format!("{field}.dist"),
                format!(
                    "`{}` is not allowed; use constant, exponential, lognormal or uniform",
                    crate::text::quote(other)
                ),
            )
        }
    };
    for (name, value) in given {
        let needed = needs.contains(&name);
        if needed && value.is_none() {
            return err(
                format!("{field}.{name}"),
                format!(
                    "is required for dist = \"{}\" (needs {})",
                    crate::text::quote(&t.dist),
                    needs.join(" and ")
                ),
            );
        }
        if !needed && value.is_some() {
            return err(
                format!("{field}.{name}"),
                format!(
                    "does not apply to dist = \"{}\" (it takes {})",
                    crate::text::quote(&t.dist),
                    needs.join(" and ")
                ),
            );
        }
    }
    let get = |n: &str| {
        given
            .iter()
            .find(|(k, _)| *k == n)
            .and_then(|(_, v)| v.map(|h| h.0))
            .unwrap_or_default()
    };
    match t.dist.as_str() {
        "constant" => Ok(Distribution::Constant(get("value"))),
        "exponential" => Ok(Distribution::Exponential {
            mean: positive(
                &format!("{field}.mean"),
                get("mean"),
                "mean of the exponential",
            )?,
        }),
        "lognormal" => {
            let median = positive(&format!("{field}.median"), get("median"), "median")?;
            let p99 = get("p99");
            if p99 <= median {
                return err(
                    format!("{field}.p99"),
                    format!("must be larger than the median ({median}), got {p99}"),
                );
            }
            Ok(Distribution::LogNormal { median, p99 })
        }
        _ => {
            let (min, max) = (get("min"), get("max"));
            if min > max {
                return err(
                    format!("{field}.max"),
                    format!("must be at least min ({min}), got {max}"),
                );
            }
            Ok(Distribution::Uniform { min, max })
        }
    }
}
