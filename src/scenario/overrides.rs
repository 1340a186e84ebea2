//! Field overrides for sweeps: `--set PATH=VALUES` parsed into a list of TOML values, set into a
//! parsed scenario document before it is checked, and combined into a grid of sweep points.
//!
//! A setting changes the base scenario, the world every strategy starts from; a strategy that
//! sets the same field keeps its own value. VALUES is a list (`0,0.1,0.2`, `"30s","60s"`,
//! `30s,60s`, `true,false`), an arithmetic range `START..END:STEP` (`8..128:8`, `0..1:0.25`,
//! END included when a step lands on it) or a geometric range `START..END:*FACTOR`
//! (`1000..64000:*2`) for values spanning decades. Integers stay TOML integers and floats TOML
//! floats (a list or range mixing them is all floats); anything else is a string, as durations
//! are in the scenario format. Every function here is pure: errors are one sentence naming what
//! was wrong and what is allowed, with the user's text [quoted](crate::text::quote).

use crate::text;

/// Most values one setting may give (a list or a range).
pub const MAX_VALUES: usize = 10_000;
/// Most points a grid of settings may have (the product of their value counts).
pub const MAX_GRID_POINTS: usize = 100_000;
/// Most keys in a field path; the scenario format nests far less deep.
pub const MAX_PATH_KEYS: usize = 8;

/// An example of the whole syntax, for error messages.
const FORMS: &str = "a list (0,0.1,0.2 or 30s,60s), a range START..END:STEP (8..128:8) or a geometric range START..END:*FACTOR (1000..64000:*2)";

/// One `--set`: a field of the scenario and the values it takes, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// Dotted field path, such as `db.slots` or `mitigations.lock.ttl`.
    pub path: String,
    /// The values, never empty when parsed by [`parse_setting`], each at most once.
    pub values: Vec<toml::Value>,
}

/// Parses `PATH=VALUES` (see the [module documentation](self) for VALUES).
pub fn parse_setting(text: &str) -> Result<Setting, String> {
    let Some((path, values)) = text.split_once('=') else {
        return Err(format!(
            "`{}` has no `=`: write PATH=VALUES, e.g. db.slots=8..128:8",
            text::quote(text)
        ));
    };
    let path = path.trim();
    check_path(path)?;
    let values = parse_values(values.trim())?;
    Ok(Setting {
        path: path.to_string(),
        values,
    })
}

/// Sets the field at dotted `path` in a parsed scenario document to `value`, creating the tables
/// on the way when they are missing. Refuses a path through a value that is not a table, and the
/// paths [`parse_setting`] refuses.
pub fn apply(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let keys = check_path(path)?;
    let (last, parents) = keys.split_last().expect("check_path refuses empty paths");
    let mut here = table;
    let mut walk = parents.iter().enumerate();
    while let Some((depth, key)) = walk.next() {
        if depth == 0 && *key == "timeline" {
            // `timeline.N.FIELD`: a field of the entry at index N, which must exist.
            let (_, index) = walk.next().expect("check_path: timeline.N.FIELD");
            here = timeline_entry(here, path, index)?;
            continue;
        }
        let entry = here
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        here = match entry {
            toml::Value::Table(inner) => inner,
            other => {
                return Err(format!(
                    "`{}`: `{}` is {} in the scenario, not a table, so it has no field `{}`",
                    text::quote(path),
                    text::quote(&keys[..=depth].join(".")),
                    type_name(other),
                    text::quote(keys[depth + 1])
                ))
            }
        };
    }
    here.insert(last.to_string(), value);
    Ok(())
}

/// The table of timeline entry `index` (from 0) in `table`, for `path`; refuses an index past
/// the entries.
fn timeline_entry<'t>(
    table: &'t mut toml::Table,
    path: &str,
    index: &str,
) -> Result<&'t mut toml::Table, String> {
    let entries = match table.get_mut("timeline") {
        Some(toml::Value::Array(entries)) => entries,
        _ => {
            return Err(format!(
                "`{}`: the scenario has no [[timeline]] entries",
                text::quote(path)
            ))
        }
    };
    let count = entries.len();
    let i: usize = index.parse().unwrap_or(usize::MAX);
    match entries.get_mut(i) {
        Some(toml::Value::Table(entry)) => Ok(entry),
        _ => Err(format!(
            "`{}`: the timeline has {count} entr{} (indexes 0 to {}), in the order of the file",
            text::quote(path),
            if count == 1 { "y" } else { "ies" },
            count.saturating_sub(1)
        )),
    }
}

/// Every combination of the settings' values, each point listing (path, value) in the order of
/// `settings`; the first setting varies slowest. No settings give one point with no values.
/// Refuses a path given twice or inside another, a setting without values, and a grid of more
/// than [`MAX_GRID_POINTS`] points.
pub fn grid(settings: &[Setting]) -> Result<Vec<Vec<(String, toml::Value)>>, String> {
    let mut total: usize = 1;
    for (i, s) in settings.iter().enumerate() {
        check_path(&s.path)?;
        if s.values.is_empty() {
            return Err(format!(
                "`{}` has no values; give at least one",
                text::quote(&s.path)
            ));
        }
        if let Some(earlier) = settings[..i].iter().find(|e| overlaps(&e.path, &s.path)) {
            return Err(if earlier.path == s.path {
                format!(
                    "`{}` is set twice; give all its values in one setting",
                    text::quote(&s.path)
                )
            } else {
                format!(
                    "`{}` and `{}` overlap (one is inside the other); set each field once",
                    text::quote(&earlier.path),
                    text::quote(&s.path)
                )
            });
        }
        total = total
            .checked_mul(s.values.len())
            .filter(|&t| t <= MAX_GRID_POINTS)
            .ok_or_else(|| {
                format!(
                    "the settings make more than {MAX_GRID_POINTS} points ({}); sweep fewer values or fewer fields at once",
                    settings[..=i]
                        .iter()
                        .map(|s| s.values.len().to_string())
                        .collect::<Vec<_>>()
                        .join(" x ")
                )
            })?;
    }
    let mut points = Vec::with_capacity(total);
    for n in 0..total {
        // Point n in mixed radix: the last setting's digit varies fastest.
        let mut stride = total;
        let point = settings
            .iter()
            .map(|s| {
                stride /= s.values.len();
                let k = (n / stride) % s.values.len();
                (s.path.clone(), s.values[k].clone())
            })
            .collect();
        points.push(point);
    }
    Ok(points)
}

/// How a value is written in CSV cells and chart labels: integers as `8`, floats in the
/// shortest form that reads back as the same number (`0.1`, `1e-7`), strings without quotes,
/// anything else as inline TOML. Strings are written as they are: escape them where they go.
pub fn value_label(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => float_label(*f),
        toml::Value::String(s) => s.clone(),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A value as a number for a chart's axis or for ordering: integers and floats as they are,
/// durations (`"30s"`, `"5ms"`) in seconds; `None` for anything else and for values that are
/// not finite.
pub fn value_number(v: &toml::Value) -> Option<f64> {
    let x = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        toml::Value::String(s) => super::duration::parse_duration(s).ok()?.0 as f64 / 1e9,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

// Paths

/// The keys of a dotted path, or why it cannot be set.
fn check_path(path: &str) -> Result<Vec<&str>, String> {
    if path.is_empty() {
        return Err(
            "the field path is empty; write PATH=VALUES with a dotted path, e.g. db.slots=8..128:8"
                .into(),
        );
    }
    let keys: Vec<&str> = path.split('.').collect();
    if keys.len() > MAX_PATH_KEYS {
        return Err(format!(
            "`{}` has {} keys; a field path has at most {MAX_PATH_KEYS}",
            text::quote(path),
            keys.len()
        ));
    }
    for key in &keys {
        if key.is_empty() {
            return Err(format!(
                "`{}` has an empty key; write keys joined by single dots, e.g. mitigations.lock.ttl",
                text::quote(path)
            ));
        }
        if !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "`{}`: `{}` is not a bare key; field names use letters, digits, _ and -, joined by dots (e.g. mitigations.lock.ttl)",
                text::quote(path),
                text::quote(key)
            ));
        }
    }
    match keys[0] {
        "timeline"
            if keys.len() >= 3
                && keys[1]
                    .parse::<usize>()
                    .is_ok_and(|i| i.to_string() == keys[1]) =>
        {
            Ok(keys)
        }
        "timeline" => Err(format!(
            "`{}` cannot be set: timeline is a list; set a field of one entry by its index from 0, as timeline.1.at or timeline.1.share",
            text::quote(path)
        )),
        "strategies" => Err(format!(
            "`{}` cannot be set: {} is a list; a sweep changes the base scenario, which every strategy starts from (a strategy that sets the same field keeps its own value)",
            text::quote(path),
            keys[0]
        )),
        "name" => Err(format!(
            "`{}` cannot be set: the name names the output folder; each sweep point is named by its values",
            text::quote(path)
        )),
        _ => Ok(keys),
    }
}

/// Whether setting one path would change the other (the same field, or one inside the other).
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |outer: &str, inner: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    inside(a, b) || inside(b, a)
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

// Values

fn parse_values(text: &str) -> Result<Vec<toml::Value>, String> {
    if text.is_empty() {
        return Err(format!("no values after `=`; give {FORMS}"));
    }
    if text.chars().any(text::is_unsafe) {
        return Err(format!(
            "`{}` holds a control character; values are printable text",
            text::quote(text)
        ));
    }
    let items = split_items(text)?;
    let is_range = |item: &&str| item.contains("..") && !item.starts_with(['"', '\'', '[', '{']);
    if items.iter().any(is_range) {
        if items.len() > 1 {
            return Err(format!(
                "`{}` mixes a list and a range; give either a list (a,b,c) or one range (START..END:STEP)",
                text::quote(text)
            ));
        }
        return parse_range(text);
    }
    if items.len() > MAX_VALUES {
        return Err(format!(
            "{} values is too many; give at most {MAX_VALUES}",
            items.len()
        ));
    }
    let mut values = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item.is_empty() {
            return Err(format!(
                "`{}`: value {} of the list is empty; separate values with single commas",
                text::quote(text),
                i + 1
            ));
        }
        values.push(parse_item(item)?);
    }
    // One type per column: integers beside floats become floats.
    if values.iter().any(toml::Value::is_float) {
        for v in &mut values {
            if let toml::Value::Integer(i) = *v {
                *v = toml::Value::Float(i as f64);
            }
        }
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(format!(
                "`{}` appears twice in the list; give each value once",
                text::quote(&value_label(v))
            ));
        }
    }
    Ok(values)
}

/// Splits a list at the commas outside quotes, brackets and braces; items are trimmed.
fn split_items(text: &str) -> Result<Vec<&str>, String> {
    let mut items = Vec::new();
    let mut depth: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' => depth.push(']'),
            '{' => depth.push('}'),
            ']' | '}' if depth.last() != Some(&c) => {
                return Err(format!("`{}` has an unmatched `{c}`", text::quote(text)));
            }
            ']' | '}' => {
                depth.pop();
            }
            ',' if depth.is_empty() => {
                items.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err(format!(
            "`{}` has a quote that is not closed",
            text::quote(text)
        ));
    }
    if let Some(close) = depth.last() {
        return Err(format!(
            "`{}` has a bracket that is not closed (missing `{close}`)",
            text::quote(text)
        ));
    }
    items.push(text[start..].trim());
    Ok(items)
}

/// One list item: a quoted string, an inline list or table, a boolean, a number, or else a
/// bare string.
fn parse_item(item: &str) -> Result<toml::Value, String> {
    let shown = || text::quote(item);
    if item.starts_with(['"', '\'', '[', '{']) {
        let what = match item.as_bytes()[0] {
            b'[' => "an inline list",
            b'{' => "an inline table",
            _ => "a quoted string",
        };
        let ends_right = match item.as_bytes()[0] {
            b'[' => item.ends_with(']'),
            b'{' => item.ends_with('}'),
            q => item.len() > 1 && item.as_bytes()[item.len() - 1] == q,
        };
        let value = ends_right.then(|| toml_value(item)).flatten();
        return match value {
            Some(v) if !v.is_float() && !v.is_integer() && !v.is_bool() => Ok(v),
            _ => Err(format!("`{}` is not {what} in TOML syntax", shown())),
        };
    }
    match item {
        "true" => return Ok(toml::Value::Boolean(true)),
        "false" => return Ok(toml::Value::Boolean(false)),
        _ => {}
    }
    if let Some(n) = parse_number(item)? {
        return Ok(n.into());
    }
    if let Some(c) = item.chars().find(|c| matches!(c, '=' | '#' | '"' | '\'')) {
        return Err(format!(
            "`{}`: a bare value may not hold `{c}`; put it in double quotes",
            shown()
        ));
    }
    Ok(toml::Value::String(item.to_string()))
}

/// `text` as the value of a TOML key, when it is exactly one value.
fn toml_value(text: &str) -> Option<toml::Value> {
    let mut table: toml::Table = format!("v = {text}").parse().ok()?;
    if table.len() == 1 {
        table.remove("v")
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl From<Number> for toml::Value {
    fn from(n: Number) -> toml::Value {
        match n {
            Number::Int(i) => toml::Value::Integer(i),
            Number::Float(f) => toml::Value::Float(f),
        }
    }
}

/// A TOML integer or float (`8`, `-3`, `1_000`, `0.25`, `1e-3`); `Ok(None)` when `text` is not
/// a number at all (`30s`); an error for a number that is not finite (`nan`, `inf`, `1e999`).
fn parse_number(text: &str) -> Result<Option<Number>, String> {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'));
    if !plain {
        return Ok(None);
    }
    match toml_value(text) {
        Some(toml::Value::Integer(i)) => Ok(Some(Number::Int(i))),
        Some(toml::Value::Float(f)) if f.is_finite() => Ok(Some(Number::Float(f))),
        Some(toml::Value::Float(_)) => Err(format!(
            "`{}` is not a finite number; values are finite",
            text::quote(text)
        )),
        _ if text.starts_with(|c: char| c.is_ascii_digit()) && text.parse::<f64>().is_ok() => {
            // Rust reads `1e999` as infinity where TOML refuses it.
            Err(format!(
                "`{}` is too large or not a number TOML can hold",
                text::quote(text)
            ))
        }
        _ => Ok(None),
    }
}

/// A number in a range: it must be one.
fn range_number(text: &str, role: &str, whole: &str) -> Result<Number, String> {
    match parse_number(text.trim())? {
        Some(n) => Ok(n),
        None => Err(format!(
            "`{}`: {role} `{}` is not a number; a range is START..END:STEP or START..END:*FACTOR with numbers (durations go in a list: 30s,60s)",
            text::quote(whole),
            text::quote(text.trim())
        )),
    }
}

fn parse_range(text: &str) -> Result<Vec<toml::Value>, String> {
    let (start, rest) = text.split_once("..").expect("ranges hold `..`");
    let Some((end, step)) = rest.rsplit_once(':') else {
        return Err(format!(
            "`{}` has no step; write START..END:STEP (8..128:8) or START..END:*FACTOR (1000..64000:*2)",
            text::quote(text)
        ));
    };
    let start = range_number(start, "START", text)?;
    let end = range_number(end, "END", text)?;
    let step = step.trim();
    match step.strip_prefix('*') {
        Some(factor) => {
            let factor = range_number(factor, "FACTOR", text)?;
            geometric(text, start, end, factor)
        }
        None => {
            let step = range_number(step, "STEP", text)?;
            arithmetic(text, start, end, step)
        }
    }
}

fn too_many(text: &str) -> String {
    format!(
        "`{}` gives more than {MAX_VALUES} values; use a larger step or a narrower range",
        text::quote(text)
    )
}

fn arithmetic(
    text: &str,
    start: Number,
    end: Number,
    step: Number,
) -> Result<Vec<toml::Value>, String> {
    let (a, b, s) = (start.as_f64(), end.as_f64(), step.as_f64());
    if s == 0.0 {
        return Err(format!(
            "`{}` has a step of 0; the step must move from START towards END",
            text::quote(text)
        ));
    }
    if a != b && (b - a).signum() != s.signum() {
        return Err(format!(
            "`{}`: the step goes away from END; use a positive step when END > START and a negative one when END < START",
            text::quote(text)
        ));
    }
    if let (Number::Int(a), Number::Int(b), Number::Int(s)) = (start, end, step) {
        let (a, b, s) = (i128::from(a), i128::from(b), i128::from(s));
        let count = (b - a) / s + 1;
        if count > MAX_VALUES as i128 {
            return Err(too_many(text));
        }
        // Between START and END, so within i64.
        return Ok((0..count)
            .map(|i| toml::Value::Integer((a + i * s) as i64))
            .collect());
    }
    let q = (b - a) / s;
    // A step that lands on END within rounding (0.3 / 0.1 = 2.9999999999999996) reaches it.
    let last = (q + 1e-9).floor();
    if !last.is_finite() || last + 1.0 > MAX_VALUES as f64 {
        return Err(too_many(text));
    }
    let decimals = decimals_of(a).zip(decimals_of(s)).map(|(x, y)| x.max(y));
    let values: Vec<f64> = (0..=last as usize)
        .map(|i| {
            let v = a + i as f64 * s;
            match decimals {
                Some(d) => round_decimals(v, d),
                None => round_significant(v, 15),
            }
        })
        .collect();
    Ok(values.into_iter().map(toml::Value::Float).collect())
}

fn geometric(
    text: &str,
    start: Number,
    end: Number,
    factor: Number,
) -> Result<Vec<toml::Value>, String> {
    let (a, b, f) = (start.as_f64(), end.as_f64(), factor.as_f64());
    if f <= 1.0 {
        return Err(format!(
            "`{}`: the factor must be greater than 1 (e.g. *2)",
            text::quote(text)
        ));
    }
    if a <= 0.0 || b < a {
        return Err(format!(
            "`{}`: a geometric range runs from a positive START up to an END at least as large",
            text::quote(text)
        ));
    }
    if let (Number::Int(a), Number::Int(b), Number::Int(f)) = (start, end, factor) {
        let mut values = Vec::new();
        let mut v = Some(a);
        while let Some(x) = v.filter(|&x| x <= b) {
            values.push(toml::Value::Integer(x));
            v = x.checked_mul(f);
        }
        return Ok(values);
    }
    let last = ((b / a).ln() / f.ln() + 1e-9).floor();
    if !last.is_finite() || last + 1.0 > MAX_VALUES as f64 {
        return Err(too_many(text));
    }
    let digits = significant_digits(a).max(significant_digits(f)).max(12);
    let mut values: Vec<f64> = Vec::with_capacity(last as usize + 1);
    for i in 0..=last as i32 {
        let v = round_significant(a * f.powi(i), digits);
        // A factor barely above 1 can round two steps to one value.
        if values.last() != Some(&v) {
            values.push(v);
        }
    }
    Ok(values.into_iter().map(toml::Value::Float).collect())
}

/// The fewest decimals that write `x` exactly (0.25 -> 2), if at most 20 do.
fn decimals_of(x: f64) -> Option<usize> {
    (0..=20).find(|&d| format!("{x:.d$}").parse::<f64>() == Ok(x))
}

/// The fewest significant digits that write `x` exactly, at most 17.
fn significant_digits(x: f64) -> usize {
    (1..=17)
        .find(|&p| round_significant(x, p) == x)
        .unwrap_or(17)
}

fn round_decimals(x: f64, decimals: usize) -> f64 {
    format!("{x:.decimals$}").parse().unwrap_or(x)
}

fn round_significant(x: f64, digits: usize) -> f64 {
    let d = digits.saturating_sub(1);
    format!("{x:.d$e}").parse().unwrap_or(x)
}

/// The shortest text that reads back as `f`: plain between 1e-5 and 1e16, with an exponent
/// beyond (so 1e300 is not 301 digits long).
fn float_label(f: f64) -> String {
    let magnitude = f.abs();
    if f == 0.0 || !f.is_finite() || (1e-5..1e16).contains(&magnitude) {
        format!("{f}")
    } else {
        format!("{f:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Value;

    fn values(text: &str) -> Vec<Value> {
        parse_setting(&format!("x.y={text}"))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .values
    }

    fn labels(text: &str) -> Vec<String> {
        values(text).iter().map(value_label).collect()
    }

    fn error(text: &str) -> String {
        match parse_setting(text) {
            Ok(s) => panic!("{text} parsed as {s:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn lists_keep_their_types() {
        assert_eq!(
            values("0,0.1,0.2"),
            [Value::Float(0.0), Value::Float(0.1), Value::Float(0.2)]
        );
        assert_eq!(values("8, 16,32"), [8, 16, 32].map(Value::Integer));
        assert_eq!(values("true,false"), [true, false].map(Value::Boolean));
        let strings = ["30s", "60s"].map(|s| Value::String(s.into()));
        assert_eq!(values("\"30s\",\"60s\""), strings);
        assert_eq!(values("30s,60s"), strings);
        assert_eq!(
            values("'a,b',\"c\\\"d\""),
            [Value::String("a,b".into()), Value::String("c\"d".into())]
        );
        assert_eq!(values("1_000,-3"), [1000, -3].map(Value::Integer));
        assert_eq!(values("1e3"), [Value::Float(1000.0)]);
        // Inline tables and lists, with commas inside.
        let service = values("{ dist = \"lognormal\", median = \"5ms\", p99 = \"40ms\" },\"5ms\"");
        assert_eq!(service.len(), 2);
        assert_eq!(service[0]["p99"], Value::String("40ms".into()));
        assert_eq!(values("[1,2],[3]").len(), 2);
        // `..` inside quotes is not a range.
        assert_eq!(values("a,\"b..c\"")[1], Value::String("b..c".into()));
    }

    #[test]
    fn integer_ranges_include_end_when_a_step_lands_on_it() {
        let v = values("8..128:8");
        assert_eq!(v.len(), 16);
        assert_eq!(v[0], Value::Integer(8));
        assert_eq!(v[15], Value::Integer(128));
        assert_eq!(labels("1..10:4"), ["1", "5", "9"]);
        assert_eq!(labels("10..1:-3"), ["10", "7", "4", "1"]);
        assert_eq!(labels("5..5:1"), ["5"]);
        assert_eq!(labels("-2..2:2"), ["-2", "0", "2"]);
    }

    #[test]
    fn float_ranges_do_not_drift() {
        assert_eq!(labels("0..1:0.25"), ["0", "0.25", "0.5", "0.75", "1"]);
        assert!(values("0..1:0.25").iter().all(Value::is_float));
        let tenths = labels("0..1:0.1");
        assert_eq!(
            tenths,
            ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
        );
        assert_eq!(labels("0.1..0.3:0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(labels("1..0:-0.3"), ["1", "0.7", "0.4", "0.1"]);
        assert_eq!(
            labels("0..0.001:0.0002"),
            ["0", "0.0002", "0.0004", "0.0006", "0.0008", "0.001"]
        );
        // An integer START with a float STEP gives floats.
        assert_eq!(labels("8..9:0.5"), ["8", "8.5", "9"]);
        assert!(values("8..9:0.5").iter().all(Value::is_float));
        // Exactly the most values a setting may have, none of them drifting.
        let hundredths = values("0..99.99:0.01");
        assert_eq!(hundredths.len(), MAX_VALUES);
        for v in hundredths {
            let label = value_label(&v);
            assert!(label.len() <= 5, "{label}");
        }
    }

    #[test]
    fn geometric_ranges_span_decades() {
        assert_eq!(
            labels("1000..64000:*2"),
            ["1000", "2000", "4000", "8000", "16000", "32000", "64000"]
        );
        assert!(values("1000..64000:*2").iter().all(Value::is_integer));
        assert_eq!(labels("1..1000:*10"), ["1", "10", "100", "1000"]);
        assert_eq!(labels("0.001..1:*10"), ["0.001", "0.01", "0.1", "1"]);
        assert_eq!(labels("1..3:*1.5"), ["1", "1.5", "2.25"]);
        assert_eq!(labels("1..100:*3"), ["1", "3", "9", "27", "81"]);
        // Integer overflow ends the range rather than wrapping.
        assert_eq!(values(&format!("1..{}:*2", i64::MAX)).len(), 63);
    }

    #[test]
    fn bad_settings_are_one_clear_sentence() {
        let cases = [
            ("db.slots", "has no `=`"),
            ("=1,2", "path is empty"),
            ("db.slots=", "no values"),
            ("db..slots=1", "empty key"),
            ("db.slots x=1", "not a bare key"),
            ("db.sl\u{1b}ots=1", "not a bare key"),
            ("a.b.c.d.e.f.g.h.i=1", "at most 8"),
            ("strategies.x=1", "a sweep changes the base scenario"),
            ("timeline=1", "timeline is a list"),
            ("name=a,b", "names the output folder"),
            ("db.slots=8..128:0", "step of 0"),
            ("db.slots=8..128:-8", "goes away from END"),
            ("db.slots=128..8:8", "goes away from END"),
            ("db.slots=8..128", "has no step"),
            ("db.slots=8..x:8", "END `x` is not a number"),
            ("db.slots=nan..1:1", "not a finite number"),
            ("db.slots=0..1:nan", "not a finite number"),
            ("db.slots=inf,1", "not a finite number"),
            ("db.slots=1e999", "too large"),
            ("db.slots=1..64:*1", "greater than 1"),
            ("db.slots=1..64:*0.5", "greater than 1"),
            ("db.slots=0..64:*2", "positive START"),
            ("db.slots=64..1:*2", "positive START"),
            ("db.slots=0..1000000:1", "more than 10000 values"),
            ("db.slots=0..1:1e-9", "more than 10000 values"),
            ("db.slots=1..1e300:*1.0000001", "more than 10000 values"),
            ("db.slots=-1e308..1e308:1", "more than 10000 values"),
            ("db.slots=1,,2", "value 2 of the list is empty"),
            ("db.slots=1,2,", "value 3 of the list is empty"),
            ("db.slots=1,1.0", "appears twice"),
            ("db.slots=1,2..3:1", "mixes a list and a range"),
            ("db.slots=\"abc", "not closed"),
            ("db.slots=[1,2", "not closed"),
            ("db.slots=1]", "unmatched"),
            ("db.slots=\"a\"b", "not a quoted string"),
            ("db.slots=a=b", "may not hold `=`"),
            ("db.slots=1#2", "may not hold `#`"),
            ("db.slots=a\u{7}", "control character"),
        ];
        for (text, expected) in cases {
            let e = error(text);
            assert!(e.contains(expected), "{text}: {e}");
            assert!(!e.chars().any(text::is_unsafe), "{text}: {e:?}");
            assert!(!e.contains('\n'), "{text}: {e}");
        }
        let huge = format!(
            "db.slots={}",
            (0..20_000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(error(&huge).contains("at most 10000"));
        let long_path = format!("{}=1", "x".repeat(10_000));
        assert!(parse_setting(&long_path).is_ok());
        let long_bad = format!("{}!=1", "x".repeat(10_000));
        assert!(error(&long_bad).chars().count() < 400);
    }

    #[test]
    fn seed_and_hyphenated_paths_are_allowed() {
        assert_eq!(parse_setting("seed=1..3:1").unwrap().values.len(), 3);
        let s = parse_setting(" mitigations.lock.ttl = 1s,none ").unwrap();
        assert_eq!(s.path, "mitigations.lock.ttl");
        assert_eq!(s.values, ["1s", "none"].map(|v| Value::String(v.into())));
    }

    #[test]
    fn a_timeline_entry_is_set_by_its_index() {
        let mut doc: toml::Table = "[[timeline]]\nat = \"0s\"\naction = \"preload\"\n\
            [[timeline]]\nat = \"60s\"\naction = \"flush\"\n"
            .parse()
            .unwrap();
        apply(&mut doc, "timeline.1.share", Value::Float(0.5)).unwrap();
        let entries = doc["timeline"].as_array().unwrap();
        assert_eq!(entries[1]["share"], Value::Float(0.5));
        assert!(entries[0].get("share").is_none());
        let e = apply(&mut doc, "timeline.2.share", Value::Float(0.5)).unwrap_err();
        assert!(e.contains("2 entries (indexes 0 to 1)"), "{e}");
        let mut empty = toml::Table::new();
        let e = apply(&mut empty, "timeline.0.share", Value::Float(0.5)).unwrap_err();
        assert!(e.contains("no [[timeline]] entries"), "{e}");
        for bad in ["timeline.1=1", "timeline.x.share=1", "timeline.01.share=1"] {
            let e = parse_setting(bad).unwrap_err();
            assert!(e.contains("by its index from 0"), "{bad}: {e}");
        }
    }

    #[test]
    fn apply_sets_fields_and_creates_missing_tables() {
        let mut doc: toml::Table = "name = \"t\"\n[db]\nslots = 4\n".parse().unwrap();
        apply(&mut doc, "db.slots", Value::Integer(16)).unwrap();
        apply(&mut doc, "mitigations.lock.ttl", Value::String("2s".into())).unwrap();
        apply(&mut doc, "seed", Value::Integer(9)).unwrap();
        assert_eq!(doc["db"]["slots"], Value::Integer(16));
        assert_eq!(
            doc["mitigations"]["lock"]["ttl"],
            Value::String("2s".into())
        );
        assert_eq!(doc["seed"], Value::Integer(9));
        assert_eq!(doc["name"], Value::String("t".into()));

        let e = apply(&mut doc, "db.slots.x", Value::Integer(1)).unwrap_err();
        assert_eq!(
            e,
            "`db.slots.x`: `db.slots` is an integer in the scenario, not a table, so it has no field `x`"
        );
        assert_eq!(doc["db"]["slots"], Value::Integer(16), "left as it was");
        for path in ["strategies.cache.ttl", "timeline", "name", "", "a..b"] {
            assert!(apply(&mut doc, path, Value::Integer(1)).is_err(), "{path}");
        }
    }

    #[test]
    fn grid_is_the_product_with_the_first_setting_slowest() {
        let a = parse_setting("db.slots=8,16").unwrap();
        let b = parse_setting("cache.ttl_jitter=0,0.1,0.2").unwrap();
        let points = grid(&[a, b]).unwrap();
        let shown: Vec<String> = points
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(k, v)| format!("{k}={}", value_label(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            shown,
            [
                "db.slots=8 cache.ttl_jitter=0",
                "db.slots=8 cache.ttl_jitter=0.1",
                "db.slots=8 cache.ttl_jitter=0.2",
                "db.slots=16 cache.ttl_jitter=0",
                "db.slots=16 cache.ttl_jitter=0.1",
                "db.slots=16 cache.ttl_jitter=0.2",
            ]
        );
        assert_eq!(grid(&[]).unwrap(), vec![Vec::new()]);
    }

    #[test]
    fn grid_refuses_repeats_overlaps_and_huge_products() {
        let s = |t: &str| parse_setting(t).unwrap();
        let e = grid(&[s("db.slots=1"), s("db.slots=2")]).unwrap_err();
        assert!(e.contains("set twice"), "{e}");
        let e = grid(&[s("db.slots=1"), s("db=1")]).unwrap_err();
        assert!(e.contains("overlap"), "{e}");
        // `db.slot` is not inside `db.slots`.
        assert!(grid(&[s("db.slots=1"), s("db.slot=1")]).is_ok());
        let wide = s("a=0..9999:1");
        let e = grid(&[wide.clone(), wide.clone().with_path("b")]).unwrap_err();
        assert!(e.contains("more than 100000 points (10000 x 10000)"), "{e}");
        let many: Vec<Setting> = (0..70).map(|i| s(&format!("k{i}=1,2"))).collect();
        assert!(grid(&many).unwrap_err().contains("more than 100000"));
        let empty = Setting {
            path: "db.slots".into(),
            values: Vec::new(),
        };
        assert!(grid(&[empty]).unwrap_err().contains("no values"));
    }

    impl Setting {
        fn with_path(mut self, path: &str) -> Setting {
            self.path = path.into();
            self
        }
    }

    #[test]
    fn labels_are_short_and_unquoted() {
        assert_eq!(value_label(&Value::Integer(8)), "8");
        assert_eq!(value_label(&Value::Float(0.1)), "0.1");
        assert_eq!(value_label(&Value::Float(2.0)), "2");
        assert_eq!(value_label(&Value::Float(1e-7)), "1e-7");
        assert_eq!(value_label(&Value::Float(1e300)), "1e300");
        assert_eq!(value_label(&Value::Float(123456.5)), "123456.5");
        assert_eq!(value_label(&Value::String("30s".into())), "30s");
        assert_eq!(value_label(&Value::Boolean(true)), "true");
        assert_eq!(value_label(&values("{a=1}")[0]), "{ a = 1 }");
    }

    #[test]
    fn numbers_of_values_read_durations_in_seconds() {
        assert_eq!(value_number(&Value::Integer(8)), Some(8.0));
        assert_eq!(value_number(&Value::Float(0.5)), Some(0.5));
        assert_eq!(value_number(&Value::String("1.5m".into())), Some(90.0));
        assert_eq!(value_number(&Value::String("5ms".into())), Some(0.005));
        assert_eq!(value_number(&Value::String("none".into())), None);
        assert_eq!(value_number(&Value::Float(f64::NAN)), None);
        assert_eq!(value_number(&Value::Boolean(true)), None);
    }
}
