//! A typed scenario builder for tests: start from a small valid world, change what the test is
//! about by name, and get the TOML text, the checked scenario or a run. Every value goes through
//! the same validation as a file, and nothing is patched with string replacement.

use std::path::Path;

use cachestorm::metrics::RunResult;
use cachestorm::scenario::Scenario;
use toml::{Table, Value};

/// A scenario file under construction.
#[derive(Clone, Debug)]
pub struct ScenarioBuilder {
    top: Table,
}

/// A strategy's overrides, set with the same methods on a builder of its own.
pub type Strategy = ScenarioBuilder;

impl ScenarioBuilder {
    /// A scenario named `name`: seed 1, 10 s, 1,000 requests/s over 1,000 uniform keys, one app
    /// instance, a default cache, a database of 8 slots of 1 ms.
    pub fn new(name: &str) -> Self {
        let mut b = ScenarioBuilder { top: Table::new() };
        b.set("name", name)
            .set("seed", 1)
            .duration("10s")
            .set("clients.rps", 1000.0)
            .set("clients.keyspace", 1000)
            .set("db.slots", 8)
            .set("db.service", "1ms");
        b
    }

    /// An empty set of overrides, for [`ScenarioBuilder::strategy`].
    pub fn overrides() -> Self {
        ScenarioBuilder { top: Table::new() }
    }

    /// A builder that starts from a scenario file's text (a shipped scenario or a test's
    /// fixture), to change it by name; panics if the text is not TOML.
    pub fn from_toml(text: &str) -> Self {
        let top = text
            .parse::<Table>()
            .unwrap_or_else(|e| panic!("the starting text is TOML: {e}"));
        ScenarioBuilder { top }
    }

    /// Sets the field at dotted `path` (such as `db.slots`, `mitigations.lock.ttl`, or
    /// `timeline.2.action`: a number picks an element of a list, which must exist). Tables
    /// missing on the way are created.
    pub fn set(&mut self, path: &str, value: impl Into<Value>) -> &mut Self {
        let (parts, last) = split(path);
        let table = table_at(&mut self.top, path, &parts, true).expect("created on the way");
        table.insert(last.to_string(), value.into());
        self
    }

    /// Removes the field at dotted `path` (numbers pick list elements, as in `set`), if set.
    pub fn unset(&mut self, path: &str) -> &mut Self {
        let (parts, last) = split(path);
        if let Some(table) = table_at(&mut self.top, path, &parts, false) {
            table.remove(last);
        }
        self
    }

    /// The simulated time.
    pub fn duration(&mut self, d: &str) -> &mut Self {
        self.set("duration", d)
    }

    /// Arrival rate, requests per second.
    pub fn rps(&mut self, rps: f64) -> &mut Self {
        self.set("clients.rps", rps)
    }

    /// Zipf popularity with exponent `s`.
    pub fn zipf(&mut self, s: f64) -> &mut Self {
        let mut t = Table::new();
        t.insert("dist".into(), "zipf".into());
        t.insert("s".into(), s.into());
        self.set("clients.popularity", t)
    }

    /// Turns the cache off: every read goes to the database.
    pub fn no_cache(&mut self) -> &mut Self {
        self.set("cache.enabled", false)
    }

    /// Database slots and service time.
    pub fn db(&mut self, slots: i64, service: &str) -> &mut Self {
        self.set("db.slots", slots).set("db.service", service)
    }

    /// A lock around rebuilds: held for `ttl` (a duration, or `"none"` for a lock that is never
    /// released if its holder dies); readers that find it taken look again every
    /// `retry_interval`, at most `max_retries` times.
    pub fn lock(&mut self, ttl: &str, retry_interval: &str, max_retries: i64) -> &mut Self {
        self.set("mitigations.lock.ttl", ttl)
            .set("mitigations.lock.retry_interval", retry_interval)
            .set("mitigations.lock.max_retries", max_retries)
    }

    /// A limit on each app instance's rebuilds: `rate` a second, with a bucket of `burst`.
    pub fn rate_limit(&mut self, rate: f64, burst: i64) -> &mut Self {
        self.set("mitigations.rate_limit.rate", rate)
            .set("mitigations.rate_limit.burst", burst)
    }

    /// Writes to the database at `rate` a second, reaching the cache by write `path`
    /// (`"ttl_only"`, `"delete"`, `"delete_before_commit"`, `"write_through"` or `"events"`).
    pub fn writes(&mut self, rate: f64, path: &str) -> &mut Self {
        self.set("writes.rate", rate).set("writes.path", path)
    }

    /// A share `share` of key reads asks for keys that exist nowhere, drawn uniformly from
    /// `keys` absent ids.
    pub fn absent_keys(&mut self, share: f64, keys: i64) -> &mut Self {
        self.set("clients.absent_share", share)
            .set("clients.absent_keys", keys)
    }

    /// A local cache in each app instance whose copies live `ttl`, invalidated by TTL only.
    pub fn local_cache(&mut self, ttl: &str) -> &mut Self {
        self.set("local_cache.ttl", ttl)
    }

    /// Local caches learn of each committed write by pub/sub: a message to each instance,
    /// delivered after `lag` or lost with probability `loss`.
    pub fn pubsub(&mut self, lag: &str, loss: f64) -> &mut Self {
        self.set("local_cache.invalidation", "pubsub")
            .set("local_cache.pubsub_lag", lag)
            .set("local_cache.pubsub_loss", loss)
    }

    /// A distribution table such as `{ dist = "exponential", mean = "1ms" }` from its fields.
    pub fn dist(fields: &[(&str, &str)]) -> Table {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
            .collect()
    }

    /// Appends a timeline event: `action` at `at`, with more fields from `fields`.
    pub fn event(&mut self, at: &str, action: &str, fields: &[(&str, Value)]) -> &mut Self {
        let mut e = Table::new();
        e.insert("at".into(), at.into());
        e.insert("action".into(), action.into());
        for (k, v) in fields {
            e.insert((*k).into(), v.clone());
        }
        let list = self
            .top
            .entry("timeline")
            .or_insert_with(|| Value::Array(Vec::new()));
        list.as_array_mut()
            .expect("timeline is a list")
            .push(Value::Table(e));
        self
    }

    /// Appends a strategy named `name` with the overrides `over` sets.
    pub fn strategy(&mut self, name: &str, over: impl FnOnce(&mut Strategy)) -> &mut Self {
        let mut s = ScenarioBuilder::overrides();
        over(&mut s);
        s.top.insert("name".into(), name.into());
        let list = self
            .top
            .entry("strategies")
            .or_insert_with(|| Value::Array(Vec::new()));
        list.as_array_mut()
            .expect("strategies is a list")
            .push(Value::Table(s.top));
        self
    }

    /// Keeps the first `n` strategies; panics if there are fewer.
    pub fn keep_strategies(&mut self, n: usize) -> &mut Self {
        let list = self
            .top
            .get_mut("strategies")
            .and_then(Value::as_array_mut)
            .expect("the scenario has strategies");
        assert!(list.len() >= n, "{} strategies, fewer than {n}", list.len());
        list.truncate(n);
        self
    }

    /// The scenario file's text.
    pub fn toml(&self) -> String {
        toml::to_string(&self.top).expect("a table serialises")
    }

    /// The checked scenario; panics with the validation error if the file is invalid.
    pub fn scenario(&self) -> Scenario {
        cachestorm::scenario::parse(&self.toml(), Path::new("built.toml"))
            .unwrap_or_else(|e| panic!("the built scenario is valid: {e}\n{}", self.toml()))
    }

    /// The checked scenario, or the validation error's text.
    pub fn check(&self) -> Result<Scenario, String> {
        cachestorm::scenario::parse(&self.toml(), Path::new("built.toml"))
            .map_err(|e| e.to_string())
    }

    /// Runs the first strategy (or the base).
    pub fn simulate(&self) -> RunResult {
        let s = self.scenario();
        cachestorm::experiment::simulate(&s.strategies[0].config, s.seed, &|_| {})
    }

    /// Runs every strategy (or the base alone), in file order, one after the other.
    pub fn simulate_all(&self) -> Vec<RunResult> {
        let s = self.scenario();
        s.strategies
            .iter()
            .map(|st| cachestorm::experiment::simulate(&st.config, s.seed, &|_| {}))
            .collect()
    }
}

/// The parts of a dotted `path` that lead to its field, and the field's name.
fn split(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().expect("a path names a field");
    (parts, last)
}

/// The table `parts` (of `path`) lead to from `top`: a number picks an element of a list, and
/// panics if there is none; a missing table is created when `create`, or else there is none.
fn table_at<'t>(
    top: &'t mut Table,
    path: &str,
    parts: &[&str],
    create: bool,
) -> Option<&'t mut Table> {
    let mut table = top;
    let mut parts = parts.iter().peekable();
    while let Some(&part) = parts.next() {
        let mut value = if create {
            table
                .entry(part)
                .or_insert_with(|| Value::Table(Table::new()))
        } else {
            table.get_mut(part)?
        };
        while let Some(i) = parts.peek().and_then(|p| p.parse::<usize>().ok()) {
            parts.next();
            value = value
                .as_array_mut()
                .and_then(|list| list.get_mut(i))
                .unwrap_or_else(|| panic!("{path}: {part} has no element {i}"));
        }
        table = match value.as_table_mut() {
            Some(t) => t,
            None if create => panic!("a path goes through tables: {path}"),
            None => return None,
        };
    }
    Some(table)
}

#[test]
fn the_builder_writes_what_validation_reads() {
    let mut b = ScenarioBuilder::new("built");
    b.rps(250.0)
        .zipf(1.1)
        .event("1s", "flush", &[])
        .strategy("locked", |s| {
            s.set("mitigations.lock.ttl", "2s");
        });
    let s = b.scenario();
    assert_eq!(s.strategies.len(), 1);
    let c = &s.strategies[0].config;
    assert_eq!(c.clients.rps, 250.0);
    assert!(c.mitigations.lock.is_some());
    assert_eq!(c.timeline.len(), 1);
    b.unset("db.slots");
    assert!(b.check().unwrap_err().contains("db.slots"));
    // A number in a path picks an element of a list; a builder can start from a file's text.
    let mut from = ScenarioBuilder::from_toml(&b.toml());
    from.set("timeline.0.at", "2s")
        .set("db.slots", 2)
        .unset("strategies.0.mitigations");
    let c = from.scenario();
    assert_eq!(c.strategies[0].config.timeline.len(), 1);
    assert_eq!(c.strategies[0].config.db.slots, 2);
    assert!(c.strategies[0].config.mitigations.lock.is_none());
    assert!(from.toml().contains("at = \"2s\""));
    from.strategy("second", |_| {}).keep_strategies(1);
    assert_eq!(from.scenario().strategies[0].name, "locked");
    assert_eq!(from.scenario().strategies.len(), 1);
}

#[test]
#[should_panic(expected = "timeline.1.at: timeline has no element 1")]
fn a_list_element_that_does_not_exist_breaks_loudly() {
    ScenarioBuilder::new("built")
        .event("1s", "flush", &[])
        .set("timeline.1.at", "2s");
}
