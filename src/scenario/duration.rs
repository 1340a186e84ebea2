//! Human-readable durations in scenario files: `"300s"`, `"5ms"`, `"2m"`, `"1.5h"`, `"250us"`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::engine::SimDuration;

/// What a duration field accepts, for error messages.
pub const DURATION_FORMS: &str =
    "a string with a unit: ns, us, ms, s, m or h (for example \"300s\", \"5ms\", \"1.5m\")";

/// A duration as written in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanDuration(pub SimDuration);

/// Parses `"<number><unit>"` into a duration; `Err` says what is wrong.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let shown = crate::text::quote(text);
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim();
    let nanos_per_unit: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "" if number.is_empty() => return Err(format!("`{shown}` is not {DURATION_FORMS}")),
        "" => return Err(format!("`{shown}` has no unit; use {DURATION_FORMS}")),
        _ => {
            return Err(format!(
                "`{shown}` has an unknown unit `{}`; use {DURATION_FORMS}",
                crate::text::quote(unit)
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{shown}` is not {DURATION_FORMS}"))?;
    let nanos = value * nanos_per_unit;
    if !nanos.is_finite() || nanos > 1e18 {
        return Err(format!("`{shown}` is too long (at most about 31 years)"));
    }
    if nanos.fract() != 0.0 && nanos.fract().abs() > 1e-6 {
        return Err(format!("`{shown}` is not a whole number of nanoseconds"));
    }
    Ok(SimDuration(nanos.round() as u64))
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_FORMS)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                if v.trim_start().starts_with('-') {
                    return Err(E::custom(format!(
                        "`{v}` is negative; durations must be ≥ 0, as {DURATION_FORMS}"
                    )));
                }
                parse_duration(v).map(HumanDuration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HumanDuration, E> {
                Err(E::custom(format!(
                    "{v} has no unit; write it as {DURATION_FORMS}"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<HumanDuration, E> {
                Err(E::custom(format!(
                    "{v} has no unit; write it as {DURATION_FORMS}"
                )))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("300s").unwrap(), SimDuration::from_secs(300));
        assert_eq!(parse_duration("5ms").unwrap(), SimDuration::from_millis(5));
        assert_eq!(parse_duration("2m").unwrap(), SimDuration::from_secs(120));
        assert_eq!(parse_duration("1h").unwrap(), SimDuration::from_secs(3600));
        assert_eq!(parse_duration("250us").unwrap(), SimDuration(250_000));
        assert_eq!(parse_duration("7ns").unwrap(), SimDuration(7));
        assert_eq!(
            parse_duration("1.5s").unwrap(),
            SimDuration::from_millis(1500)
        );
        assert_eq!(parse_duration("0s").unwrap(), SimDuration::ZERO);
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in ["", "s", "10", "10 parsecs", "1.2.3s", "0.5ns", "abc"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
