//! The `[recovery]` section: how the recovery verdict is reached
//! ([`crate::metrics::recovery`] defines it).

use crate::metrics::recovery::{RecoveryMetric, RecoveryRule};
use crate::scenario::duration;
use crate::text;

/// Keys of `[recovery]`.
const KEYS: [&str; 4] = ["metric", "band", "tolerance", "hold"];

/// Reads `[recovery]`: the defaults of [`RecoveryRule`] for what it leaves out. Errors name the
/// field and what is allowed.
pub fn rule(value: Option<&toml::Value>) -> Result<RecoveryRule, (String, String)> {
    let mut rule = RecoveryRule::default();
    let Some(value) = value else {
        return Ok(rule);
    };
    let toml::Value::Table(t) = value else {
        return Err((
            "recovery".into(),
            "must be a table with metric, band, tolerance and hold".into(),
        ));
    };
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    for (k, v) in t {
        let field = format!("recovery.{}", text::quote(k));
        match k.as_str() {
            "metric" => {
                let names: Vec<&str> = RecoveryMetric::ALL.iter().map(|(_, n)| *n).collect();
                rule.metric = v
                    .as_str()
                    .and_then(|s| RecoveryMetric::ALL.iter().find(|(_, n)| *n == s))
                    .map(|(m, _)| *m)
                    .ok_or_else(|| {
                        (
                            field.clone(),
                            format!("must be one of \"{}\"", names.join("\", \"")),
                        )
                    })?;
            }
            "band" => match number(v) {
                Some(x) if (0.0..=100.0).contains(&x) => rule.band = x,
                _ => {
                    return Err((
                        field,
                        "must be a number from 0 to 100: the band's half-width in standard deviations of the smoothed figure".into(),
                    ))
                }
            },
            "tolerance" => match number(v) {
                Some(x) if (0.0..=10.0).contains(&x) => rule.tolerance = x,
                _ => {
                    return Err((
                        field,
                        "must be a number from 0 to 10: added to the band's half-width, relative to the level (0.02 is 2%)".into(),
                    ))
                }
            },
            "hold" => {
                let parsed = v
                    .as_str()
                    .ok_or_else(|| "must be a duration such as \"5s\"".to_string())
                    .and_then(|s| duration::parse_duration(s).map_err(|e| e.to_string()));
                match parsed {
                    Ok(d) if d.0 > 0 => rule.hold_s = d.as_secs_f64(),
                    Ok(_) => return Err((field, "must be longer than 0".into())),
                    Err(m) => return Err((field, m)),
                }
            }
            _ => {
                return Err((
                    field,
                    format!("is not a key of [recovery]; use {}", KEYS.join(", ")),
                ))
            }
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RecoveryRule, (String, String)> {
        let v: toml::Value = toml::from_str(text).unwrap();
        rule(v.get("recovery"))
    }

    #[test]
    fn defaults_and_every_key() {
        assert_eq!(parse("x = 1").unwrap(), RecoveryRule::default());
        let r = parse(
            "[recovery]\nmetric = \"p99_latency\"\nband = 3\ntolerance = 0.1\nhold = \"10s\"",
        )
        .unwrap();
        assert_eq!(r.metric, RecoveryMetric::P99Latency);
        assert_eq!((r.band, r.tolerance, r.hold_s), (3.0, 0.1, 10.0));
    }

    #[test]
    fn bad_values_name_the_field() {
        for (text, field) in [
            ("[recovery]\nmetric = \"latency\"", "recovery.metric"),
            ("[recovery]\nband = -1", "recovery.band"),
            ("[recovery]\ntolerance = \"x\"", "recovery.tolerance"),
            ("[recovery]\nhold = \"0s\"", "recovery.hold"),
            ("[recovery]\nhold = 5", "recovery.hold"),
            ("[recovery]\nmargin = 0.1", "recovery.margin"),
            ("recovery = 3", "recovery"),
        ] {
            assert_eq!(parse(text).unwrap_err().0, field, "{text}");
        }
    }
}
