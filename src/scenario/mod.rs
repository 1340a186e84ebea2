//! Scenario files: TOML in, a checked [`Scenario`] out.
//!
//! Two layers, as ripgrep does with its flags: [`raw`] mirrors the file with serde (unknown fields
//! are errors), [`validate`] checks values and builds the model's configuration. A strategy is a
//! table of overrides deep-merged over the base before validation, so a strategy can change any
//! part of the world ("20% TTL jitter", "8 DB slots") and is checked exactly like the base.

pub mod duration;
pub mod expect;
pub mod overrides;
pub mod raw;
pub mod recovery;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::model::ModelConfig;
use crate::text;

/// A checked scenario: a base world plus the strategies to run on it.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// File it came from.
    pub file: PathBuf,
    /// Name, also the output folder's name.
    pub name: String,
    /// What the scenario shows.
    pub description: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// SHA-256 of the file's bytes, in lowercase hex (recorded in the outputs' `run.toml`).
    pub source_sha256: String,
    /// The base world, before any strategy's overrides.
    pub base: ModelConfig,
    /// Strategies in file order (the base alone, named `base`, when the file lists none).
    pub strategies: Vec<Strategy>,
    /// Settings that validate but do nothing, one line each naming the file, the field and
    /// the strategies concerned (not errors: print them before running).
    pub warnings: Vec<String>,
    /// How the strategies are compared: replications, warm-up, baseline.
    pub study: Study,
}

/// How a scenario's strategies are measured and compared (the file's `replications`, `warmup`
/// and `baseline`, shared by every strategy).
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    /// Independent replications per strategy (1: one run). Replication `r` of every strategy
    /// uses the same seed ([`crate::engine::rng::replication_seed`]): common random numbers.
    pub replications: u32,
    /// Start of the run left out of the whole-run figures, a whole number of buckets.
    pub warmup: crate::engine::SimDuration,
    /// Strategy the others are compared with, replication by replication.
    pub baseline: Option<String>,
    /// What `cachestorm check` expects of the strategies (`[[expect]]`).
    pub expectations: Vec<expect::Expectation>,
    /// How `check --baseline` compares with a saved baseline (`[check]`).
    pub baseline_check: expect::BaselineCheck,
    /// How the recovery verdict is reached (`[recovery]`).
    pub recovery: crate::metrics::recovery::RecoveryRule,
}

/// Most replications a file or `--replications` may ask for.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// One named variant of the base world.
#[derive(Clone, Debug)]
pub struct Strategy {
    /// Name, unique within the scenario.
    pub name: String,
    /// What it changes and why (may be empty).
    pub description: String,
    /// The base with this strategy's overrides applied.
    pub config: ModelConfig,
}

/// Why a scenario file was refused. Displayed as one line naming the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {reason}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not valid TOML.
    #[error("{file}: malformed TOML: {message}")]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A field is unknown, missing or has a value that is not allowed.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: PathBuf,
        /// Dotted path of the field.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// Longest strategy name, in characters.
pub const MAX_STRATEGY_NAME_CHARS: usize = 40;
/// Longest field path an error message shows, in characters (a path can hold a user's key).
const FIELD_MAX_CHARS: usize = 120;
/// Longest message text an error shows, in characters: a backstop for messages that quote
/// a user's value (the TOML parser's and serde's) and cannot cut it themselves.
const MESSAGE_MAX_CHARS: usize = text::MESSAGE_MAX_CHARS;

/// Keys a strategy may set besides overrides of the world.
const STRATEGY_OWN_KEYS: [&str; 2] = ["name", "description"];
/// Parts of the world a strategy may override.
const OVERRIDABLE: [&str; 10] = [
    "clients",
    "app",
    "cache",
    "local_cache",
    "db",
    "writes",
    "mitigations",
    "retries",
    "timeline",
    "limits",
];

/// Largest scenario file read, in bytes (16 MiB): the largest realistic file (100,000
/// strategies) is about 5 MB, and a bound keeps `/dev/zero` or an endless pipe from being read
/// for ever.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = read_text(path)?;
    parse(&text, path)
}

/// Reads a scenario file's text: refused when larger than [`MAX_FILE_BYTES`] (told by its size
/// before reading, and by reading at most one byte more for devices and pipes, whose size is
/// unknown) or not UTF-8.
pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let io = |reason: String| ScenarioError::Io {
        file: path.to_path_buf(),
        reason,
    };
    let too_big = || {
        io(format!(
            "larger than {} MiB, the most a scenario file may hold",
            MAX_FILE_BYTES >> 20
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let meta = file.metadata().map_err(|e| io(e.to_string()))?;
    if meta.is_dir() {
        return Err(io("is a folder, not a file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        io(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Checks scenario text; `file` is used in error messages.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    parse_with(text, file, &[])
}

/// Checks scenario text with `settings` (field path, value) applied to the base world first,
/// as `sweep --set` does; a strategy that sets the same field keeps its own value.
pub fn parse_with(
    text: &str,
    file: &Path,
    settings: &[(String, toml::Value)],
) -> Result<Scenario, ScenarioError> {
    let field_err = |field: String, message: String| ScenarioError::Field {
        file: file.to_path_buf(),
        field: text::shorten(&text::escape(&field), FIELD_MAX_CHARS).into_owned(),
        message: text::limit_message(&text::escape(&message), MESSAGE_MAX_CHARS).into_owned(),
    };
    let source = text;
    let mut top: toml::Table =
        source
            .parse()
            .map_err(|e: toml::de::Error| ScenarioError::Syntax {
                file: file.to_path_buf(),
                message: syntax_message(source, &e),
            })?;
    for (path, value) in settings {
        overrides::apply(&mut top, path, value.clone()).map_err(|m| field_err(path.clone(), m))?;
    }
    let expect_value = top.remove("expect");
    let check_value = top.remove("check");
    let recovery_value = top.remove("recovery");
    let study_keys: Vec<(&str, Option<toml::Value>)> = ["replications", "warmup", "baseline"]
        .into_iter()
        .map(|k| (k, top.remove(k)))
        .collect();
    let raw_strategies = strategy_list(&mut top).map_err(|(f, m)| field_err(f, m))?;

    let base_raw = deserialize(&top).map_err(|(f, m)| field_err(f, m))?;
    validate::check_name("name", &base_raw.name).map_err(|e| field_err(e.field, e.message))?;
    let mut traces = validate::TraceScans::new(file);
    let base = validate::model_config(&base_raw, &mut traces)
        .map_err(|e| field_err(e.field, e.message))?;

    let mut strategies = Vec::new();
    // (field, message) -> strategies it concerns, in order of first appearance.
    let mut warned: Vec<(validate::FieldError, Vec<String>)> = Vec::new();
    let mut note = |found: Vec<validate::FieldError>, strategy: &str| {
        for w in found {
            match warned.iter_mut().find(|(f, _)| *f == w) {
                Some((_, names)) => names.push(strategy.to_string()),
                None => warned.push((w, vec![strategy.to_string()])),
            }
        }
    };
    let no_strategies = raw_strategies.is_empty();
    // Names seen so far: a set, so checking 100,000 names stays linear (a scan of the list
    // made validation quadratic).
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, item) in raw_strategies.into_iter().enumerate() {
        let StrategyEntry {
            name,
            description,
            label,
            overrides,
        } = strategy_entry(i, item, &mut seen).map_err(|(f, m)| field_err(f, m))?;
        let switched_off = sections_switched_off(&overrides);
        let mut merged = top.clone();
        merge(&mut merged, overrides);
        let raw = deserialize(&merged).map_err(|(f, m)| field_err(format!("{label}.{f}"), m))?;
        let config = validate::model_config(&raw, &mut traces)
            .map_err(|e| field_err(format!("{label}.{}", e.field), e.message))?;
        let mut found = validate::warnings(&raw, &config);
        found.retain(|w| !switched_off.iter().any(|s| in_section(&w.field, s)));
        note(found, &name);
        strategies.push(Strategy {
            name,
            description,
            config,
        });
    }
    if no_strategies {
        note(validate::warnings(&base_raw, &base), "base");
        strategies.push(Strategy {
            name: "base".into(),
            description: String::new(),
            config: base.clone(),
        });
    }
    let mut study = study(&study_keys, &base, &strategies).map_err(|(f, m)| field_err(f, m))?;
    let names: Vec<&str> = strategies.iter().map(|s| s.name.as_str()).collect();
    study.expectations =
        expect::expectations(expect_value.as_ref(), &names).map_err(|(f, m)| field_err(f, m))?;
    study.baseline_check =
        expect::baseline_check(check_value.as_ref()).map_err(|(f, m)| field_err(f, m))?;
    study.recovery = recovery::rule(recovery_value.as_ref()).map_err(|(f, m)| field_err(f, m))?;
    Ok(Scenario {
        file: file.to_path_buf(),
        name: base_raw.name,
        description: base_raw.description,
        seed: base_raw.seed,
        source_sha256: sha256_hex(source.as_bytes()),
        base,
        strategies,
        study,
        warnings: warning_lines(file, warned, no_strategies),
    })
}

/// The document of scenario `text` as strategy `strategy` sees it: that strategy's overrides
/// merged over the base (the base itself when the file has no strategies and `strategy` is
/// `base`), with the strategies, expectations (`[[expect]]`, `[check]`) and `baseline` taken
/// out: the world of that one strategy, for building variants of it (`cachestorm diagnose`).
/// `text` must be a file [`parse`] accepted; an unknown `strategy` is an error naming the file.
pub fn strategy_world(
    text: &str,
    file: &Path,
    strategy: &str,
) -> Result<toml::Table, ScenarioError> {
    let field_err = |field: &str, message: String| ScenarioError::Field {
        file: file.to_path_buf(),
        field: field.to_string(),
        message: text::limit_message(&text::escape(&message), MESSAGE_MAX_CHARS).into_owned(),
    };
    let mut top: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ScenarioError::Syntax {
                file: file.to_path_buf(),
                message: syntax_message(text, &e),
            })?;
    for key in ["expect", "check", "baseline"] {
        top.remove(key);
    }
    let items = strategy_list(&mut top).map_err(|(f, m)| field_err(&f, m))?;
    if items.is_empty() && strategy == "base" {
        return Ok(top);
    }
    let mut names = Vec::new();
    for item in items {
        let toml::Value::Table(mut table) = item else {
            continue;
        };
        let name = match table.remove("name") {
            Some(toml::Value::String(n)) => n,
            _ => continue,
        };
        if name == strategy {
            table.remove("description");
            merge(&mut top, table);
            return Ok(top);
        }
        names.push(name);
    }
    Err(field_err(
        "strategies",
        format!(
            "has no strategy `{}`; its strategies are: {}",
            text::quote(strategy),
            if names.is_empty() {
                "base".to_string()
            } else {
                names.join(", ")
            }
        ),
    ))
}

/// Takes `[[strategies]]` out of the top table: a list (of tables, checked one by one later).
fn strategy_list(top: &mut toml::Table) -> Result<Vec<toml::Value>, (String, String)> {
    match top.remove("strategies") {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => Ok(items),
        Some(_) => Err((
            "strategies".into(),
            "must be a list of tables: write each as [[strategies]] with a name".into(),
        )),
    }
}

/// A `[[strategies]]` entry as read before merging: its own keys, and what it overrides.
struct StrategyEntry {
    name: String,
    description: String,
    /// `strategies[2] (`name`)`, the start of the entry's field paths in errors.
    label: String,
    overrides: toml::Table,
}

/// Reads the `[[strategies]]` entry at `i`: its name (unique among `seen`, which it joins),
/// its description, and the keys it overrides, each of them one a strategy may override.
fn strategy_entry(
    i: usize,
    item: toml::Value,
    seen: &mut std::collections::HashSet<String>,
) -> Result<StrategyEntry, (String, String)> {
    let at = format!("strategies[{i}]");
    let toml::Value::Table(mut table) = item else {
        return Err((at, "must be a table with at least a name".into()));
    };
    let name = match table.remove("name") {
        Some(toml::Value::String(s)) => s,
        Some(_) => return Err((format!("{at}.name"), "must be a string".into())),
        None => {
            return Err((
                format!("{at}.name"),
                "is required: every strategy needs a name".into(),
            ))
        }
    };
    if name.is_empty()
        || name.chars().count() > MAX_STRATEGY_NAME_CHARS
        || name.chars().any(text::is_unsafe)
    {
        return Err((
            format!("{at}.name"),
            format!(
                "`{}` is not allowed; use 1 to {MAX_STRATEGY_NAME_CHARS} characters on one line, without control characters",
                text::quote(&name)
            ),
        ));
    }
    if !seen.insert(name.clone()) {
        return Err((
            format!("{at}.name"),
            format!(
                "`{}` is used by an earlier strategy; names must be unique",
                text::quote(&name)
            ),
        ));
    }
    let description = match table.remove("description") {
        Some(toml::Value::String(s)) => s,
        Some(_) => return Err((format!("{at}.description"), "must be a string".into())),
        None => String::new(),
    };
    let label = format!("{at} (`{name}`)");
    if let Some(key) = table.keys().find(|k| !OVERRIDABLE.contains(&k.as_str())) {
        return Err((
            format!("{label}.{}", text::quote(key)),
            format!(
                "a strategy may set {} and override {}; the run's name, seed, duration and bucket are shared by all strategies",
                STRATEGY_OWN_KEYS.join(", "),
                OVERRIDABLE.join(", ")
            ),
        ));
    }
    Ok(StrategyEntry {
        name,
        description,
        label,
        overrides: table,
    })
}

/// The warnings of each strategy (or of the base without strategies), one line each naming
/// the file, the field and the strategies it concerns.
fn warning_lines(
    file: &Path,
    warned: Vec<(validate::FieldError, Vec<String>)>,
    no_strategies: bool,
) -> Vec<String> {
    warned
        .into_iter()
        .map(|(w, names)| {
            let whom = if no_strategies {
                String::new()
            } else {
                let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!(
                    " (strateg{} {})",
                    if names.len() == 1 { "y" } else { "ies" },
                    list.join(", ")
                )
            };
            format!(
                "{}: field `{}`{whom}: {}",
                file.display(),
                w.field,
                w.message
            )
        })
        .collect()
}

/// Reads `replications`, `warmup` and `baseline`.
fn study(
    keys: &[(&str, Option<toml::Value>)],
    base: &ModelConfig,
    strategies: &[Strategy],
) -> Result<Study, (String, String)> {
    let mut study = Study {
        replications: 1,
        warmup: crate::engine::SimDuration::ZERO,
        baseline: None,
        expectations: Vec::new(),
        baseline_check: expect::BaselineCheck::default(),
        recovery: Default::default(),
    };
    for (key, value) in keys {
        let Some(value) = value else { continue };
        let bad = |m: String| Err((key.to_string(), m));
        match *key {
            "replications" => match value.as_integer() {
                Some(n) if (1..=MAX_REPLICATIONS as i64).contains(&n) => {
                    study.replications = n as u32
                }
                _ => {
                    return bad(format!(
                        "must be a whole number from 1 to {MAX_REPLICATIONS}: independent runs per strategy"
                    ))
                }
            },
            "warmup" => {
                let parsed = value
                    .as_str()
                    .ok_or_else(|| "must be a duration such as \"60s\"".to_string())
                    .and_then(|t| duration::parse_duration(t).map_err(|e| e.to_string()));
                let w = match parsed {
                    Ok(w) => w,
                    Err(m) => return bad(m),
                };
                if w >= base.duration {
                    return bad(format!(
                        "{w} leaves nothing of the run ({}) to measure; use a warm-up shorter than `duration`",
                        base.duration
                    ));
                }
                if w.0 % base.bucket.0 != 0 {
                    return bad(format!(
                        "{w} is not a whole number of buckets ({}); the warm-up leaves whole buckets out",
                        base.bucket
                    ));
                }
                study.warmup = w;
            }
            "baseline" => match value.as_str() {
                Some(name) if strategies.iter().any(|s| s.name == name) => {
                    study.baseline = Some(name.to_string())
                }
                Some(name) => {
                    let names: Vec<String> =
                        strategies.iter().map(|s| format!("`{}`", s.name)).collect();
                    return bad(format!(
                        "`{}` is not a strategy of this file; use one of {}",
                        text::quote(name),
                        names.join(", ")
                    ));
                }
                None => return bad("must be the name of a strategy".into()),
            },
            _ => unreachable!("only the study's keys are read here"),
        }
    }
    Ok(study)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The TOML parser's complaint as one short line: where, what, and the offending line quoted
/// (escaped and cut, as a line can be megabytes long).
fn syntax_message(source: &str, e: &toml::de::Error) -> String {
    let what = e.message().trim().replace('\n', ", ");
    let what = text::shorten(&text::escape(&what), MESSAGE_MAX_CHARS).into_owned();
    let Some(span) = e.span() else {
        return what;
    };
    let mut at = span.start.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = source.as_bytes()[..at].iter();
    let line_no = 1 + before.filter(|&&b| b == b'\n').count();
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[at..].find('\n').map_or(source.len(), |i| at + i);
    let line = &source[line_start..line_end];
    let column = 1 + source[line_start..at].chars().count();
    let line = line.trim_end_matches('\r');
    if line.trim().is_empty() {
        format!("line {line_no}, column {column}: {what}")
    } else {
        format!(
            "line {line_no}, column {column}: {what}; the line reads `{}`",
            text::quote(line)
        )
    }
}

/// Deserializes a table into the raw scenario, reporting the path of a failing field.
fn deserialize(table: &toml::Table) -> Result<raw::RawScenario, (String, String)> {
    let value = toml::Value::Table(table.clone());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let message = inner.trim().replace('\n', " ");
        // A missing field is reported on its parent; name the field itself.
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            let field = if path == "." || path.is_empty() {
                missing.to_string()
            } else {
                format!("{path}.{missing}")
            };
            return (field, "is required".to_string());
        }
        let field = if path == "." || path.is_empty() {
            "(top level)".to_string()
        } else {
            path
        };
        (field, message)
    })
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
/// The sections (`cache`, `local_cache`) whose only field in a strategy's own overrides is
/// `enabled = false`. The fields it inherits there do nothing, as the strategy itself says, so
/// they get no "does nothing" warning (it would only repeat the strategy's one change, on
/// every run of a file such as `local-cache-inconsistency.toml`). A strategy that switches a
/// section off and also sets another of its fields keeps the section's warnings.
fn sections_switched_off(overrides: &toml::Table) -> Vec<&'static str> {
    ["cache", "local_cache"]
        .into_iter()
        .filter(|section| {
            let Some(toml::Value::Table(t)) = overrides.get(*section) else {
                return false;
            };
            t.get("enabled") == Some(&toml::Value::Boolean(false)) && t.len() == 1
        })
        .collect()
}

/// Whether warning field `field` (such as `cache.ttl_jitter`) lies in section `section`.
fn in_section(field: &str, section: &str) -> bool {
    field
        .strip_prefix(section)
        .is_some_and(|rest| rest.starts_with('.'))
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "t"
seed = 1
duration = "10s"
[clients]
rps = 100
keyspace = 10
[cache]
ttl = "5s"
[db]
slots = 4
service = "5ms"
"#;

    fn parse_str(s: &str) -> Result<Scenario, ScenarioError> {
        parse(s, Path::new("x.toml"))
    }

    fn field_of(e: ScenarioError) -> String {
        match e {
            ScenarioError::Field { field, .. } => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn base_alone_becomes_one_strategy() {
        let s = parse_str(BASE).unwrap();
        assert_eq!(s.strategies.len(), 1);
        assert_eq!(s.strategies[0].name, "base");
        assert_eq!(s.base.cache.as_ref().unwrap().ttl.0, 5_000_000_000);
    }

    #[test]
    fn strategy_overrides_merge_deeply() {
        let text = format!("{BASE}\n[[strategies]]\nname = \"a\"\n[[strategies]]\nname = \"b\"\ncache.ttl_jitter = 0.2\ndb.slots = 8\n");
        let s = parse_str(&text).unwrap();
        assert_eq!(s.strategies[0].config, s.base);
        let b = &s.strategies[1].config;
        assert_eq!(b.db.slots, 8);
        assert_eq!(b.cache.as_ref().unwrap().ttl_jitter, 0.2);
        assert_eq!(
            b.cache.as_ref().unwrap().ttl.0,
            5_000_000_000,
            "untouched fields keep the base value"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_str(&BASE.replace("slots = 4", "slotz = 4")).unwrap_err();
        assert_eq!(field_of(e), "db.slotz");
        let e = parse_str(&BASE.replace("slots = 4", "slots = 0")).unwrap_err();
        assert_eq!(field_of(e), "db.slots");
        let e = parse_str(&BASE.replace("rps = 100", "rps = -1")).unwrap_err();
        assert_eq!(field_of(e), "clients.rps");
        let e = parse_str(&BASE.replace("seed = 1\n", "")).unwrap_err();
        assert_eq!(field_of(e), "seed");
        let e = parse_str(&format!(
            "{BASE}\n[[strategies]]\nname = \"j\"\ncache.ttl_jitter = 1.5\n"
        ))
        .unwrap_err();
        assert_eq!(field_of(e), "strategies[0] (`j`).cache.ttl_jitter");
        let e =
            parse_str(&format!("{BASE}\n[[strategies]]\nname = \"j\"\nseed = 3\n")).unwrap_err();
        assert_eq!(field_of(e), "strategies[0] (`j`).seed");
    }

    #[test]
    fn mitigation_and_deploy_errors_name_the_field() {
        let cases = [
            ("[mitigations]\nlock = { ttl = \"2s\" }\nlease = {}", "mitigations.lease"),
            ("[mitigations]\nlock = { ttl = \"forever\" }", "mitigations.lock.ttl"),
            ("[mitigations]\nlock = { ttl = \"1s\", fallback = \"pray\" }", "mitigations.lock.fallback"),
            ("[mitigations]\nrefresh_ahead = { fraction = 1.0 }", "mitigations.refresh_ahead.fraction"),
            ("[mitigations]\nearly_expiration = { beta = -1 }", "mitigations.early_expiration.beta"),
            ("[mitigations]\nrate_limit = { rate = 0 }", "mitigations.rate_limit.rate"),
            ("[mitigations]\ncoalesce = true", "mitigations.coalesce"),
            ("[[timeline]]\nat = \"1s\"\naction = \"deploy\"\nwaves = 3", "timeline[0].waves"),
            ("[[timeline]]\nat = \"1s\"\naction = \"deploy\"\nwarmup_top = 5", "timeline[0].warmup_rate"),
            ("[[timeline]]\nat = \"1s\"\naction = \"deploy\"\nwarmup_top = 5\nwarmup_rate = 1\nwarmup_lead = \"2s\"", "timeline[0].warmup_lead"),
            ("[[timeline]]\nat = \"1s\"\naction = \"kill_lock_holder\"\nkey = 10", "timeline[0].key"),
            ("[[timeline]]\nat = \"1s\"\naction = \"flush\"\nrps = 10", "timeline[0].rps"),
        ];
        for (extra, field) in cases {
            let e = parse_str(&format!("{BASE}\n{extra}\n")).unwrap_err();
            assert_eq!(field_of(e), field, "{extra}");
        }
    }

    #[test]
    fn mitigations_parse() {
        let s = parse_str(&format!(
            "{BASE}\n[mitigations]\ncoalescing = true\nlock = {{ ttl = \"none\", max_retries = 3, fallback = \"db\" }}\n"
        ))
        .unwrap();
        let m = &s.base.mitigations;
        assert!(m.coalescing);
        let lock = m.lock.unwrap();
        assert_eq!(lock.ttl, None);
        assert_eq!(lock.max_retries, 3);
        assert_eq!(lock.fallback, crate::model::Fallback::Database);
        assert!(lock.release_on_fill);
    }

    #[test]
    fn strategy_names_count_characters_and_refuse_control_characters() {
        let with = |name: &str| format!("{BASE}\n[[strategies]]\nname = \"{name}\"\n");
        // 40 characters of two bytes each: allowed (the limit is in characters, not bytes).
        let s = parse_str(&with(&"é".repeat(40))).unwrap();
        assert_eq!(s.strategies[0].name.chars().count(), 40);
        assert!(parse_str(&with(&"é".repeat(41))).is_err());
        for bad in ["a\\u001b[31m", "a\\u0007", "a\\u202eb", "a\\tb", "a\\nb"] {
            let e = parse_str(&with(bad)).unwrap_err();
            let shown = e.to_string();
            assert!(shown.contains("strategies[0].name"), "{shown}");
            assert!(!shown.chars().any(crate::text::is_unsafe), "{shown:?}");
        }
        // Shipped names with `-`, `+` and `=` stay valid.
        for good in ["jitter-10", "jitter+xfetch", "k=5", "+2 slots"] {
            assert_eq!(parse_str(&with(good)).unwrap().strategies[0].name, good);
        }
    }

    #[test]
    fn errors_cut_and_escape_the_values_they_echo() {
        let huge = "x".repeat(100_000);
        let cases = [
            format!("{BASE}\n[[strategies]]\nname = \"{huge}\"\n"),
            BASE.replace("duration = \"10s\"", &format!("duration = \"{huge}\"")),
            BASE.replace("name = \"t\"", &format!("name = \"{huge}\\u001b\"")),
            format!("{BASE}\n[[strategies]]\nname = \"a\"\n{huge} = 1\n"),
            BASE.replace("slots = 4", &format!("slots = 4\n{huge} = 1")),
            BASE.replace("slots = 4", &format!("slots = \"{huge}\"")),
            format!("{BASE}\n[[timeline]]\nat = \"1s\"\naction = \"{huge}\"\n"),
            // Malformed TOML: the parser quotes the offending line.
            format!("{BASE}\nbad = \u{1b}[31m{huge}\n"),
            format!("{BASE}\n{huge}\u{1b}\n"),
        ];
        for text in cases {
            let e = parse_str(&text).unwrap_err().to_string();
            assert!(e.chars().count() < 700, "{} chars: {}", e.len(), &e[..200]);
            assert!(!e.chars().any(crate::text::is_unsafe), "{e:?}");
            assert!(e.starts_with("x.toml: "), "{e}");
        }
    }

    #[test]
    fn syntax_errors_name_line_and_column_and_quote_the_line() {
        let e = parse_str("name = \"a\"\nseed = 1 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed TOML: line 2, column 10: "), "{e}");
        assert!(e.contains("the line reads `seed = 1 2`"), "{e}");
    }

    #[test]
    fn the_file_hash_is_sha256_of_its_bytes() {
        let s = parse_str(BASE).unwrap();
        assert_eq!(s.source_sha256.len(), 64);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_toml_is_a_syntax_error() {
        let e = parse_str("name = ").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e}");
    }

    #[test]
    fn distributions_parse_in_both_forms() {
        let s = parse_str(&BASE.replace(
            "service = \"5ms\"",
            "service = { dist = \"lognormal\", median = \"5ms\", p99 = \"40ms\" }",
        ))
        .unwrap();
        assert!(matches!(
            s.base.db.service,
            crate::model::Distribution::LogNormal { .. }
        ));
        let e = parse_str(&BASE.replace(
            "service = \"5ms\"",
            "service = { dist = \"lognormal\", median = \"5ms\" }",
        ))
        .unwrap_err();
        assert_eq!(field_of(e), "db.service.p99");
    }
}
