//! Scenario files: TOML in, a checked [`Scenario`] out.
//!
//! Two layers, as ripgrep does with its flags: [`raw`] mirrors the file with serde (unknown fields
//! are errors), [`validate`] checks values and builds the model's configuration. A strategy is a
//! table of overrides deep-merged over the base before validation, so a strategy can change any
//! part of the world ("20% TTL jitter", "8 DB slots") and is checked exactly like the base.

pub mod duration;
pub mod raw;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::model::ModelConfig;

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
    /// The base world, before any strategy's overrides.
    pub base: ModelConfig,
    /// Strategies in file order (the base alone, named `base`, when the file lists none).
    pub strategies: Vec<Strategy>,
    /// Settings that validate but do nothing, one line each naming the file, the field and
    /// the strategies concerned (not errors: print them before running).
    pub warnings: Vec<String>,
}

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

/// Keys a strategy may set besides overrides of the world.
const STRATEGY_OWN_KEYS: [&str; 2] = ["name", "description"];
/// Parts of the world a strategy may override.
const OVERRIDABLE: [&str; 7] = [
    "clients",
    "app",
    "cache",
    "db",
    "mitigations",
    "timeline",
    "limits",
];

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse(&text, path)
}

/// Checks scenario text; `file` is used in error messages.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let field_err = |field: String, message: String| ScenarioError::Field {
        file: file.to_path_buf(),
        field,
        message,
    };
    let mut top: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ScenarioError::Syntax {
                file: file.to_path_buf(),
                message: e.to_string().trim().replace('\n', " "),
            })?;
    let raw_strategies = match top.remove("strategies") {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items,
        Some(_) => {
            return Err(field_err(
                "strategies".into(),
                "must be a list of tables: write each as [[strategies]] with a name".into(),
            ))
        }
    };

    let base_raw = deserialize(&top).map_err(|(f, m)| field_err(f, m))?;
    validate::check_name("name", &base_raw.name).map_err(|e| field_err(e.field, e.message))?;
    let base = validate::model_config(&base_raw).map_err(|e| field_err(e.field, e.message))?;

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
    for (i, item) in raw_strategies.into_iter().enumerate() {
        let at = format!("strategies[{i}]");
        let toml::Value::Table(mut table) = item else {
            return Err(field_err(at, "must be a table with at least a name".into()));
        };
        let name = match table.remove("name") {
            Some(toml::Value::String(s)) => s,
            Some(_) => return Err(field_err(format!("{at}.name"), "must be a string".into())),
            None => {
                return Err(field_err(
                    format!("{at}.name"),
                    "is required: every strategy needs a name".into(),
                ))
            }
        };
        if name.is_empty() || name.len() > 40 || name.contains(['\n', '\r']) {
            return Err(field_err(
                format!("{at}.name"),
                format!("`{name}` is not allowed; use 1 to 40 characters on one line"),
            ));
        }
        if strategies.iter().any(|s: &Strategy| s.name == name) {
            return Err(field_err(
                format!("{at}.name"),
                format!("`{name}` is used by an earlier strategy; names must be unique"),
            ));
        }
        let description = match table.remove("description") {
            Some(toml::Value::String(s)) => s,
            Some(_) => {
                return Err(field_err(
                    format!("{at}.description"),
                    "must be a string".into(),
                ))
            }
            None => String::new(),
        };
        let label = format!("{at} (`{name}`)");
        if let Some(key) = table.keys().find(|k| !OVERRIDABLE.contains(&k.as_str())) {
            return Err(field_err(
                format!("{label}.{key}"),
                format!(
                    "a strategy may set {} and override {}; the run's name, seed, duration and bucket are shared by all strategies",
                    STRATEGY_OWN_KEYS.join(", "),
                    OVERRIDABLE.join(", ")
                ),
            ));
        }
        let mut merged = top.clone();
        merge(&mut merged, table);
        let raw = deserialize(&merged).map_err(|(f, m)| field_err(format!("{label}.{f}"), m))?;
        let config = validate::model_config(&raw)
            .map_err(|e| field_err(format!("{label}.{}", e.field), e.message))?;
        note(validate::warnings(&raw, &config), &name);
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
    Ok(Scenario {
        file: file.to_path_buf(),
        name: base_raw.name,
        description: base_raw.description,
        seed: base_raw.seed,
        base,
        strategies,
        warnings: warned
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
            .collect(),
    })
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
