//! Which way a run failed, and why: documented rules over a strategy's measured series and the
//! causes of its database queries, each naming the evidence (a figure, the moment it was worst)
//! and the mitigations the model offers for it.
//!
//! It reads [`StrategyResult`]s only and knows nothing of files or charts, so the HTML report,
//! `cachestorm diagnose` ([`advice`] holds the mitigations it tries) and tests share it. Every rule is a plain function with its
//! thresholds as named constants; a rule fires only when the run shows its symptom strongly
//! enough to hurt, so a calm run has no finding ([`Diagnosis::is_healthy`]).
//!
//! A finding is a failure or a warning ([`Mode::severity`]). A failure is what readers felt
//! (latency, errors, outdated or inconsistent values). A warning is a risk readers did not
//! feel yet: it is listed, with its evidence and mitigations, but never makes a run unhealthy,
//! so a strategy whose failure is fixed stays fixed when a warning remains.
//!
//! The rules, in the order findings are listed (the first failure is the headline: the more
//! specific cause first, so a retry storm is not reported as the mere database overload it
//! produces):
//! 1. [`Mode::CongestiveCollapse`]: for at least [`COLLAPSE_MIN_S`] the database was asked for
//!    more than its capacity yet completed a median below [`COLLAPSE_THROUGHPUT_SHARE`] of it:
//!    throughput fell while work in service rose.
//! 2. [`Mode::RetryStorm`]: the recovery verdict says the run never came back after its trigger
//!    ended while clients made more than [`STORM_MIN_AMPLIFICATION`] attempts per request
//!    (metastable when the offered load was back at its level).
//! 3. [`Mode::AbandonedLock`]: at least [`DEPENDENCY_MIN_SHARE`] of requests failed (timed out
//!    or refused by a lock's or lease's fallback), and in the second with the most such failures
//!    readers waited on a lock or lease while the database was less than
//!    [`DEPENDENCY_DB_IDLE_BUSY`] busy: the lock's holder never released it.
//! 4. [`Mode::Dependency`]: cache reads failed or timed out for at least
//!    [`DEPENDENCY_MIN_SHARE`] of lookups and readers felt it (at least [`DEPENDENCY_MIN_SHARE`]
//!    of requests failed, or the p99 of a second with failed reads reached
//!    [`DEPENDENCY_FELT_TIMEOUT_SHARE`] of the client timeout), or requests failed (at least [`DEPENDENCY_MIN_SHARE`]
//!    of arrivals) timed out while the database was less than [`DEPENDENCY_DB_IDLE_BUSY`] busy and
//!    no reader waited on a lock: the time went in the cache (client timeouts, not refusals of a
//!    mitigation).
//! 5. [`Mode::Penetration`]: at least [`PENETRATION_MIN_SHARE`] of database queries were for
//!    keys that exist nowhere, at a rate of at least [`PENETRATION_MIN_LOAD`] of the database's
//!    capacity.
//! 6. [`Mode::Consistency`]: at least [`CONSISTENCY_MIN_SHARE`] of local-cache hits differed
//!    from the shared cache.
//! 7. [`Mode::Freshness`]: at least [`FRESHNESS_MIN_SHARE`] of reads were outdated.
//! 8. [`Mode::HotKeyHerd`]: at least [`HERD_MIN_QUERIES`] database queries for the hot key
//!    between two writes of its value, in a second without cache failures.
//! 9. [`Mode::SynchronisedExpiry`]: at least [`EXPIRY_MIN_SHARE`] of rebuilds followed an
//!    expired entry and the database was asked for more than its capacity in a bucket whose
//!    queries are mostly such rebuilds (not background refreshes) and no single-key herd
//!    explains.
//! 10. [`Mode::ColdCache`]: within [`COLD_WINDOW_S`] of a timeline event (deploy, flush, node
//!     return) the hit ratio fell at least [`COLD_MIN_DROP`] below its level before, with most
//!     misses not expired and no cache failure in that bucket.
//! 11. [`Mode::FanOut`]: with several keys per request, the share of answered requests whose
//!     every key hit is at least [`FANOUT_MIN_GAP`] below the hit ratio.
//! 12. [`Mode::HiddenOverload`] (a warning): in some bucket the database was asked for at
//!     least [`HIDDEN_MIN_LOAD`] times its capacity (queries submitted, every cause, against
//!     slots over the mean service time), at least [`HIDDEN_MIN_UNWAITED_SHARE`] of them queries
//!     no reader waits for (background refreshes, warm-up), yet readers did not feel it: from
//!     that bucket until [`EPISODE_GAP_S`] later fewer than [`DEPENDENCY_MIN_SHARE`] of
//!     requests failed and the p99 latency stayed within [`HIDDEN_MAX_P99_FACTOR`] times the
//!     median p99 of the buckets where the database was asked for no more than its capacity.
//!     Typically background refreshes that all fall due
//!     together: the queue grows and refreshes come late while every read hits, a latent risk
//!     (one more trigger, a flush or a node loss, and the readers meet that queue). An overload
//!     readers did feel is the evidence of a failure above, not this warning; a hidden one at
//!     another moment of the same run is shown beside that failure, as a risk of its own.
//!
//! Over replications ([`diagnose_runs`]) a finding holds when it holds in a strict majority of
//! them (more than half), and says in how many; its evidence is that of the first replication
//! where it held.

pub mod advice;

use crate::metrics::{ratio, BucketRow, CauseCounts, StrategyResult};

/// Least time of overload (database asked for more than its capacity), s, to speak of collapse.
pub const COLLAPSE_MIN_S: f64 = 5.0;
/// Congestive collapse when the median completions during overload fall below this share of
/// the database's capacity.
pub const COLLAPSE_THROUGHPUT_SHARE: f64 = 0.8;
/// A retry storm needs more attempts per request than this over the run.
pub const STORM_MIN_AMPLIFICATION: f64 = 1.05;
/// Share of cache lookups failing (or of requests failing while the database idles) that
/// makes a dependency failure.
pub const DEPENDENCY_MIN_SHARE: f64 = 0.01;
/// Failed cache reads that no request failed for are felt when the p99 of a second with failed
/// reads reaches this share of the client timeout: a failover that answers them quickly (a
/// gutter pool) is no failure.
pub const DEPENDENCY_FELT_TIMEOUT_SHARE: f64 = 0.25;
/// The database counts as idle below this busy fraction in the bucket with the most failures.
pub const DEPENDENCY_DB_IDLE_BUSY: f64 = 0.5;
/// Share of database queries for absent keys that makes penetration.
pub const PENETRATION_MIN_SHARE: f64 = 0.1;
/// Least load of absent-key queries over the run, as a share of the database's capacity, for
/// penetration to matter.
pub const PENETRATION_MIN_LOAD: f64 = 0.1;
/// Share of local-cache hits differing from the shared cache that makes inconsistency.
pub const CONSISTENCY_MIN_SHARE: f64 = 0.01;
/// Share of outdated reads that makes a freshness failure.
pub const FRESHNESS_MIN_SHARE: f64 = 0.01;
/// Least queries of one hot-key herd to call it a herd.
pub const HERD_MIN_QUERIES: u64 = 20;
/// Share of rebuild queries after an expired entry that makes expiry the cause.
pub const EXPIRY_MIN_SHARE: f64 = 0.5;
/// Overloads of the database less than this apart, s, count as one episode of expiry.
pub const EPISODE_GAP_S: f64 = 10.0;
/// How long after a timeline event a cold cache is looked for, s.
pub const COLD_WINDOW_S: f64 = 30.0;
/// Least fall of the hit ratio (0–1) after a timeline event to call the cache cold.
pub const COLD_MIN_DROP: f64 = 0.15;
/// Least gap (0–1) between the hit ratio and the all-hit share of requests for fan-out.
pub const FANOUT_MIN_GAP: f64 = 0.1;
/// Least demand on the database in one bucket, as a multiple of its capacity, for a hidden
/// overload: twice what it can serve, so its queue grows by at least its capacity each second.
pub const HIDDEN_MIN_LOAD: f64 = 2.0;
/// Readers did not feel an overloaded bucket when the p99 latency of every bucket from it until
/// [`EPISODE_GAP_S`] later is at most this multiple of the median p99 of the buckets without
/// overload.
pub const HIDDEN_MAX_P99_FACTOR: f64 = 2.0;
/// Least share of an overloaded bucket's queries that no reader waits for (background
/// refreshes, warm-up) for the overload to be hidden: queries readers wait for (misses, early
/// refreshes, fallbacks) put the readers in the queue.
pub const HIDDEN_MIN_UNWAITED_SHARE: f64 = 0.5;

/// Database queries no reader waits for: background refreshes and warm-up.
fn unwaited(c: &CauseCounts) -> u64 {
    c.background_refresh + c.warmup
}

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Readers felt it: the run failed this way.
    Failure,
    /// Readers did not feel it (yet): a risk, never counted as a failure.
    Warning,
}

/// A way a cache-backed system fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// The database's throughput fell while it was asked for more than its capacity.
    CongestiveCollapse,
    /// Retries kept the load above capacity after the trigger ended.
    RetryStorm,
    /// Readers waited on a lock or lease whose holder never released it.
    AbandonedLock,
    /// A cache node failed, slowed down or saturated.
    Dependency,
    /// Reads of keys that exist nowhere went to the database.
    Penetration,
    /// Local copies disagreed with the shared cache.
    Consistency,
    /// Reads returned values older than the database's.
    Freshness,
    /// Many identical queries for one hot key at once.
    HotKeyHerd,
    /// Many keys expired together and their rebuilds overran the database.
    SynchronisedExpiry,
    /// The hit ratio fell after a deploy, flush or node return.
    ColdCache,
    /// Requests reading several keys miss far more often than keys do.
    FanOut,
    /// The database was asked for far more than its capacity while readers saw nothing (a
    /// warning).
    HiddenOverload,
}

impl Mode {
    /// Every mode, in the order findings are listed.
    pub const ALL: [Mode; 12] = [
        Mode::CongestiveCollapse,
        Mode::RetryStorm,
        Mode::AbandonedLock,
        Mode::Dependency,
        Mode::Penetration,
        Mode::Consistency,
        Mode::Freshness,
        Mode::HotKeyHerd,
        Mode::SynchronisedExpiry,
        Mode::ColdCache,
        Mode::FanOut,
        Mode::HiddenOverload,
    ];

    /// Whether readers felt it ([`Severity::Failure`]) or not yet ([`Severity::Warning`]).
    pub fn severity(self) -> Severity {
        match self {
            Mode::HiddenOverload => Severity::Warning,
            _ => Severity::Failure,
        }
    }

    /// Short name, as the report shows it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::CongestiveCollapse => "congestive collapse",
            Mode::RetryStorm => "retry storm",
            Mode::AbandonedLock => "abandoned lock",
            Mode::Dependency => "dependency failure",
            Mode::Penetration => "cache penetration",
            Mode::Consistency => "inconsistent local copies",
            Mode::Freshness => "outdated reads",
            Mode::HotKeyHerd => "hot-key herd",
            Mode::SynchronisedExpiry => "synchronised expiry",
            Mode::ColdCache => "cold cache",
            Mode::FanOut => "fan-out misses",
            Mode::HiddenOverload => "hidden database overload",
        }
    }

    /// The mitigations the model offers for it, as scenario settings.
    pub fn mitigations(self) -> &'static [&'static str] {
        match self {
            Mode::CongestiveCollapse => &[
                "db.queue_limit",
                "db.queue_timeout",
                "app.cancel_abandoned",
                "app.shedding",
                "mitigations.db_breaker",
                "mitigations.adaptive_throttling",
            ],
            Mode::RetryStorm => &[
                "retries.budget",
                "retries.backoff with jitter",
                "mitigations.db_breaker",
                "mitigations.adaptive_throttling",
                "app.cancel_abandoned",
            ],
            Mode::AbandonedLock => &[
                "a lock TTL (mitigations.lock.ttl)",
                "mitigations.lease (a token lapses after its period)",
                "mitigations.stale_while_revalidate",
            ],
            Mode::Dependency => &[
                "cache.timeout",
                "mitigations.circuit_breaker",
                "cache.failover (rehash, gutter)",
                "cache.hot_key_replicas",
                "mitigations.hedge",
                "mitigations.stale_on_error",
            ],
            Mode::Penetration => &["mitigations.negative_caching", "mitigations.bloom_filter"],
            Mode::Consistency => &[
                "local_cache.invalidation = \"pubsub\"",
                "a shorter local_cache.ttl",
                "mitigations.versioned_sets",
            ],
            Mode::Freshness => &[
                "writes.path (delete or update on write)",
                "mitigations.double_delete",
                "mitigations.versioned_sets",
                "a shorter cache.ttl",
            ],
            Mode::HotKeyHerd => &[
                "mitigations.coalescing",
                "mitigations.lock",
                "mitigations.lease",
                "mitigations.stale_while_revalidate",
                "mitigations.early_expiration",
            ],
            Mode::SynchronisedExpiry => &[
                "cache.ttl_jitter",
                "mitigations.early_expiration",
                "mitigations.refresh_ahead",
            ],
            Mode::ColdCache => &[
                "deploy warmup_top / warmup_rate",
                "deploy waves",
                "mitigations.rate_limit",
                "mitigations.coalescing",
            ],
            Mode::FanOut => &[
                "fewer keys per request (clients.fanout)",
                "clients.optional_keys",
                "a larger cache or longer cache.ttl",
            ],
            Mode::HiddenOverload => &[
                "cache.ttl_jitter (spreads the refreshes that fall due together)",
                "mitigations.early_expiration (refreshes each key at a random moment)",
                "more database capacity (db.slots)",
                "db.queue_timeout (drops refreshes that waited too long)",
            ],
        }
    }

    /// Stem of the chart that shows it best.
    pub fn chart(self) -> &'static str {
        match self {
            Mode::CongestiveCollapse
            | Mode::SynchronisedExpiry
            | Mode::Penetration
            | Mode::HiddenOverload => "db_load",
            Mode::RetryStorm => "goodput",
            Mode::Dependency | Mode::AbandonedLock => "errors",
            Mode::Consistency => "local_differs",
            Mode::Freshness => "outdated_reads",
            Mode::HotKeyHerd => "latency_p99",
            Mode::ColdCache | Mode::FanOut => "hit_ratio",
        }
    }
}

/// One failure mode found in a run, with its evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The failure mode.
    pub mode: Mode,
    /// When it was worst, seconds from the start.
    pub at_s: f64,
    /// What the measured figures show, in one sentence.
    pub evidence: String,
    /// In how many replications it held (1 for one run).
    pub held_in: usize,
}

/// Everything found in one strategy's run, headline first.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// The findings in [`Mode`] order: failures, the first of them the headline, then
    /// warnings.
    pub findings: Vec<Finding>,
    /// The recovery verdict: `Some(true)` recovered, `Some(false)` not, `None` without a
    /// disturbance to recover from. Over replications: recovered in a strict majority of those
    /// with a verdict.
    pub recovered: Option<bool>,
    /// Replications diagnosed (1 for one run).
    pub replications: usize,
}

impl Diagnosis {
    /// Whether no failure was found (warnings may remain: they are risks, not failures).
    pub fn is_healthy(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Whether `mode` was found.
    pub fn has(&self, mode: Mode) -> bool {
        self.findings.iter().any(|f| f.mode == mode)
    }

    /// The headline: the first failure, if any.
    pub fn headline(&self) -> Option<&Finding> {
        self.failures().next()
    }

    /// The failures, headline first.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.mode.severity() == Severity::Failure)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.mode.severity() == Severity::Warning)
    }
}

/// Diagnoses one strategy's run.
pub fn diagnose(s: &StrategyResult) -> Diagnosis {
    let rules: [fn(&StrategyResult) -> Option<Finding>; 12] = [
        congestive_collapse,
        retry_storm,
        abandoned_lock,
        dependency,
        penetration,
        consistency,
        freshness,
        hot_key_herd,
        synchronised_expiry,
        cold_cache,
        fan_out,
        hidden_overload,
    ];
    let findings = rules.iter().filter_map(|rule| rule(s)).collect();
    Diagnosis {
        findings,
        recovered: s.result.summary.recovery.map(|r| r.recovered()),
        replications: 1,
    }
}

/// Diagnoses one strategy over its replications (`runs`, replication order, at least one): a
/// finding holds when it holds in more than half of them, with the evidence of the first
/// replication where it held and [`Finding::held_in`] saying in how many.
pub fn diagnose_runs(runs: &[&StrategyResult]) -> Diagnosis {
    assert!(!runs.is_empty(), "a diagnosis needs at least one run");
    let each: Vec<Diagnosis> = runs.iter().map(|s| diagnose(s)).collect();
    let r = each.len();
    let findings = Mode::ALL
        .iter()
        .filter_map(|&mode| {
            let mut held = each
                .iter()
                .filter_map(|d| d.findings.iter().find(|f| f.mode == mode));
            let first = held.next()?.clone();
            let held_in = 1 + held.count();
            (2 * held_in > r).then_some(Finding { held_in, ..first })
        })
        .collect();
    let verdicts: Vec<bool> = each.iter().filter_map(|d| d.recovered).collect();
    Diagnosis {
        findings,
        recovered: (!verdicts.is_empty())
            .then(|| 2 * verdicts.iter().filter(|&&v| v).count() > verdicts.len()),
        replications: r,
    }
}

/// Database queries asked for per second in a bucket (every cause).
fn demand(b: &BucketRow) -> f64 {
    per_s(b.db_submitted() as f64, b.width_s)
}

fn per_s(n: f64, width_s: f64) -> f64 {
    if width_s > 0.0 {
        n / width_s
    } else {
        0.0
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

fn pct(x: f64) -> String {
    if x >= 0.1 || x == 0.0 {
        format!("{:.0}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

/// A rate or count rounded to a whole number, with thousands separators (`1,929`).
pub fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if x.is_sign_negative() && digits != "0" {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn n(x: f64) -> String {
    grouped(x)
}

/// A time in seconds as the report writes it.
fn at(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("{t:.0} s")
    } else {
        format!("{t:.1} s")
    }
}

fn congestive_collapse(s: &StrategyResult) -> Option<Finding> {
    let cap = s.db_capacity_qps;
    let over: Vec<&BucketRow> = s
        .result
        .buckets
        .iter()
        .filter(|b| demand(b) > cap)
        .collect();
    let over_s: f64 = over.iter().map(|b| b.width_s).sum();
    if cap <= 0.0 || over_s < COLLAPSE_MIN_S {
        return None;
    }
    let share = median(over.iter().map(|b| b.db_qps() / cap).collect())?;
    if share >= COLLAPSE_THROUGHPUT_SHARE {
        return None;
    }
    let worst = over
        .iter()
        .min_by(|a, b| a.db_qps().total_cmp(&b.db_qps()))?;
    Some(Finding {
        mode: Mode::CongestiveCollapse,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "asked for more than its capacity of {} queries/s for {}, the database completed a \
             median {} of it; at {} it completed {}/s while asked for {}/s",
            n(cap),
            at(over_s),
            pct(share),
            at(worst.start_s),
            n(worst.db_qps()),
            n(demand(worst))
        ),
    })
}

fn retry_storm(s: &StrategyResult) -> Option<Finding> {
    let r = s.result.summary.recovery?;
    let t = &s.result.summary.totals;
    let amplification = t.retry_amplification();
    if r.recovered() || amplification <= STORM_MIN_AMPLIFICATION {
        return None;
    }
    let worst = s
        .result
        .buckets
        .iter()
        .max_by(|a, b| a.retry_amplification().total_cmp(&b.retry_amplification()))?;
    Some(Finding {
        mode: Mode::RetryStorm,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "never recovered after its trigger ended{}; {:.2} attempts per request over the run, \
             {:.2} at {}; {} of requests failed",
            if r.metastable {
                " although the offered load was back at its level (metastable)"
            } else {
                ""
            },
            amplification,
            worst.retry_amplification(),
            at(worst.start_s),
            pct(ratio(t.errors(), t.arrived))
        ),
    })
}

fn dependency(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let lookups = t.cache_hits + t.cache_misses;
    let buckets = &s.result.buckets;
    // Readers felt the failed reads when requests failed, or when the p99 of a second with
    // failed reads came near the client timeout (without one, the failed reads suffice).
    let tail = buckets
        .iter()
        .filter(|b| b.cache_errors > 0)
        .map(|b| b.latency.p99_ms)
        .fold(0.0, f64::max);
    let felt = ratio(t.errors(), t.arrived) >= DEPENDENCY_MIN_SHARE
        || s.client_timeout_s
            .is_none_or(|timeout| tail >= DEPENDENCY_FELT_TIMEOUT_SHARE * 1000.0 * timeout);
    if lookups > 0 && ratio(t.cache_errors, lookups) >= DEPENDENCY_MIN_SHARE && felt {
        let worst = buckets.iter().max_by_key(|b| b.cache_errors)?;
        return Some(Finding {
            mode: Mode::Dependency,
            held_in: 1,
            at_s: worst.start_s,
            evidence: format!(
                "{} cache reads failed ({} of lookups{}), the most at {} ({}); {} of requests \
                 failed",
                n(t.cache_errors as f64),
                pct(ratio(t.cache_errors, lookups)),
                if t.cache_timeouts > 0 {
                    format!(", {} timed out", n(t.cache_timeouts as f64))
                } else {
                    String::new()
                },
                at(worst.start_s),
                n(worst.cache_errors as f64),
                pct(ratio(t.errors(), t.arrived))
            ),
        });
    }
    if ratio(t.errors_timeout, t.arrived) < DEPENDENCY_MIN_SHARE {
        return None;
    }
    let worst = buckets.iter().max_by_key(|b| b.errors_timeout)?;
    if worst.db_busy_fraction >= DEPENDENCY_DB_IDLE_BUSY || worst.lock_waits > 0 {
        // Readers waiting on a lock: an abandoned lock, not the cache.
        return None;
    }
    let pinned = s
        .client_timeout_s
        .filter(|timeout| s.result.summary.worst.p99_ms >= 900.0 * timeout)
        .map(|timeout| format!("; the p99 is pinned at the {} client timeout", at(timeout)))
        .unwrap_or_default();
    Some(Finding {
        mode: Mode::Dependency,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} of requests timed out, {} at {} while the database was {} busy: the time went in \
             the cache{pinned}",
            pct(ratio(t.errors_timeout, t.arrived)),
            n(worst.errors_timeout as f64),
            at(worst.start_s),
            pct(worst.db_busy_fraction),
        ),
    })
}

fn abandoned_lock(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let failed = |b: &BucketRow| b.errors_timeout + b.errors_fallback;
    if ratio(failed(t), t.arrived) < DEPENDENCY_MIN_SHARE {
        return None;
    }
    let worst = s.result.buckets.iter().max_by_key(|b| failed(b))?;
    if worst.lock_waits == 0 || worst.db_busy_fraction >= DEPENDENCY_DB_IDLE_BUSY {
        return None;
    }
    let since = s
        .marks
        .iter()
        .rev()
        .find(|(at_s, label)| *at_s <= worst.start_s && label.contains("lock holder"))
        .map(|(at_s, label)| format!(" since {} ({})", at(*at_s), crate::text::escape(label)))
        .unwrap_or_default();
    Some(Finding {
        mode: Mode::AbandonedLock,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} of requests failed waiting on a lock or lease that was never released{since}; {} \
             at {} while the database was {} busy",
            pct(ratio(failed(t), t.arrived)),
            n(failed(worst) as f64),
            at(worst.start_s),
            pct(worst.db_busy_fraction),
        ),
    })
}

fn penetration(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let share = ratio(t.db_queries_absent, t.db_submitted());
    let rate = per_s(t.db_queries_absent as f64, t.width_s);
    let load = if s.db_capacity_qps > 0.0 {
        rate / s.db_capacity_qps
    } else {
        f64::INFINITY
    };
    if share < PENETRATION_MIN_SHARE || load < PENETRATION_MIN_LOAD {
        return None;
    }
    let worst = s
        .result
        .buckets
        .iter()
        .max_by_key(|b| b.db_queries_absent)?;
    Some(Finding {
        mode: Mode::Penetration,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} of database queries ({}) were for keys that exist nowhere; {}/s at {}, against a \
             capacity of {}/s; {}",
            pct(share),
            n(t.db_queries_absent as f64),
            n(per_s(worst.db_queries_absent as f64, worst.width_s)),
            at(worst.start_s),
            n(s.db_capacity_qps),
            felt(s)
        ),
    })
}

fn consistency(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let share = ratio(t.local_differs, t.local_hits);
    if share < CONSISTENCY_MIN_SHARE {
        return None;
    }
    let worst = s.result.buckets.iter().max_by(|a, b| {
        ratio(a.local_differs, a.local_hits).total_cmp(&ratio(b.local_differs, b.local_hits))
    })?;
    Some(Finding {
        mode: Mode::Consistency,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} of local-cache hits ({}) differed from the shared cache, {} at {}",
            pct(share),
            n(t.local_differs as f64),
            pct(ratio(worst.local_differs, worst.local_hits)),
            at(worst.start_s)
        ),
    })
}

fn freshness(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let share = t.outdated_ratio();
    if share < FRESHNESS_MIN_SHARE {
        return None;
    }
    let worst = s
        .result
        .buckets
        .iter()
        .max_by(|a, b| a.outdated_ratio().total_cmp(&b.outdated_ratio()))?;
    let races = if t.stale_set_races > 0 {
        format!("; {} stale-set races", n(t.stale_set_races as f64))
    } else {
        String::new()
    };
    Some(Finding {
        mode: Mode::Freshness,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} of reads were outdated (superseded for {} at p99), {} at {}{races}",
            pct(share),
            dur(t.outdated_age.p99_ms),
            pct(worst.outdated_ratio()),
            at(worst.start_s)
        ),
    })
}

fn hot_key_herd(s: &StrategyResult) -> Option<Finding> {
    let worst = s
        .result
        .buckets
        .iter()
        .filter(|b| b.cache_errors == 0)
        .max_by_key(|b| b.herd_max)?;
    if worst.herd_max < HERD_MIN_QUERIES {
        return None;
    }
    Some(Finding {
        mode: Mode::HotKeyHerd,
        held_in: 1,
        at_s: worst.start_s,
        evidence: format!(
            "{} identical database queries for the hot key (key 0) in one herd, ended at {}; \
             worst p99 {}",
            n(worst.herd_max as f64),
            at(worst.start_s),
            dur(s.result.summary.worst.p99_ms)
        ),
    })
}

fn synchronised_expiry(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    let share = ratio(t.cache_misses_expired, t.db_by_cause.miss);
    if share < EXPIRY_MIN_SHARE {
        return None;
    }
    let buckets = &s.result.buckets;
    let cap = s.db_capacity_qps;
    let (i, peak) = buckets
        .iter()
        .enumerate()
        .max_by(|a, b| demand(a.1).total_cmp(&demand(b.1)))?;
    // The peak itself must be made of rebuilds after expiry (not of background refreshes).
    let misses = peak.db_by_cause.miss;
    if demand(peak) <= cap
        || 2 * misses < peak.db_submitted()
        || ratio(peak.cache_misses_expired.min(misses), misses) < EXPIRY_MIN_SHARE
    {
        return None;
    }
    // A herd of one key ending near the peak explains it better.
    let near = &buckets[i.saturating_sub(2)..(i + 3).min(buckets.len())];
    let herd = near.iter().map(|b| b.herd_max).max().unwrap_or(0);
    if 2 * herd >= peak.db_submitted() {
        return None;
    }
    let every = how_often(buckets.iter().filter(|b| demand(b) > cap));
    Some(Finding {
        mode: Mode::SynchronisedExpiry,
        held_in: 1,
        at_s: peak.start_s,
        evidence: format!(
            "{} of rebuilds followed an expired entry; at {} the database was asked for {}/s \
             (capacity {}/s){every}; {}",
            pct(share),
            at(peak.start_s),
            n(demand(peak)),
            n(cap),
            felt(s)
        ),
    })
}

/// `; N episodes, about every T` for the episodes among `over` (buckets in time order; a gap of
/// at least [`EPISODE_GAP_S`] starts a new one), or nothing for a single episode.
fn how_often<'a>(over: impl Iterator<Item = &'a BucketRow>) -> String {
    let mut starts: Vec<f64> = Vec::new();
    let mut last_over = f64::NEG_INFINITY;
    for b in over {
        if b.start_s - last_over >= EPISODE_GAP_S {
            starts.push(b.start_s);
        }
        last_over = b.start_s;
    }
    if starts.len() >= 2 {
        format!(
            "; {} episodes, about every {}",
            starts.len(),
            at(((starts[starts.len() - 1] - starts[0]) / (starts.len() - 1) as f64).round())
        )
    } else {
        String::new()
    }
}

/// A cause of database queries: its name in the evidence (plural) and how to count it.
type Cause = (&'static str, fn(&CauseCounts) -> u64);

/// The causes of database queries.
const CAUSES: [Cause; 6] = [
    ("misses", |c| c.miss),
    ("early refreshes", |c| c.early_refresh),
    ("background refreshes", |c| c.background_refresh),
    ("warm-up queries", |c| c.warmup),
    ("lock or lease fallbacks", |c| c.fallback),
    ("writes", |c| c.write),
];

/// What readers felt over the run: `worst p99 682 ms`, and `, 0.7% of requests failed` when
/// any did.
fn felt(s: &StrategyResult) -> String {
    let t = &s.result.summary.totals;
    let mut out = format!("worst p99 {}", dur(s.result.summary.worst.p99_ms));
    if t.errors() > 0 {
        out.push_str(&format!(
            ", {} of requests failed",
            pct(ratio(t.errors(), t.arrived))
        ));
    }
    out
}

/// A duration given in ms, with its unit: whole ms below 10 s (`682 ms`, `1,000 ms`), then
/// seconds with three significant digits (`10.2 s`, `51.3 s`, `125 s`).
fn dur(x: f64) -> String {
    if x < 10_000.0 {
        format!("{} ms", n(x))
    } else if x < 99_950.0 {
        format!("{:.1} s", x / 1000.0)
    } else {
        format!("{} s", n(x / 1000.0))
    }
}

/// A latency in ms with three significant digits at most (`1.03`, `28.4`, `682`).
fn ms(x: f64) -> String {
    if x >= 100.0 {
        n(x)
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn hidden_overload(s: &StrategyResult) -> Option<Finding> {
    let cap = s.db_capacity_qps;
    if cap <= 0.0 {
        return None;
    }
    let buckets = &s.result.buckets;
    let calm_p99 = median(
        buckets
            .iter()
            .filter(|b| demand(b) <= cap && b.latency.count > 0)
            .map(|b| b.latency.p99_ms)
            .collect(),
    )?;
    // The buckets from `i` until EPISODE_GAP_S later: where readers would meet the queue.
    let window = |i: usize| {
        let end = buckets[i].start_s + EPISODE_GAP_S;
        buckets[i..].iter().take_while(move |b| b.start_s < end)
    };
    let hidden = |i: &usize| {
        let b = &buckets[*i];
        let (failed, arrived) =
            window(*i).fold((0, 0), |(f, a), w| (f + w.errors(), a + w.arrived));
        let p99 = window(*i).map(|w| w.latency.p99_ms).fold(0.0, f64::max);
        demand(b) >= HIDDEN_MIN_LOAD * cap
            && ratio(unwaited(&b.db_by_cause), b.db_submitted()) >= HIDDEN_MIN_UNWAITED_SHARE
            && ratio(failed, arrived) < DEPENDENCY_MIN_SHARE
            && p99 <= HIDDEN_MAX_P99_FACTOR * calm_p99
    };
    let i = (0..buckets.len())
        .filter(hidden)
        .max_by(|&a, &b| demand(&buckets[a]).total_cmp(&demand(&buckets[b])))?;
    let peak = &buckets[i];
    let (cause, count) = CAUSES
        .iter()
        .map(|(name, count)| (*name, count(&peak.db_by_cause)))
        .max_by_key(|(_, count)| *count)?;
    // How saturated, and what readers saw, from the peak until EPISODE_GAP_S later.
    let queue = window(i).map(|b| b.db_queue_max).max().unwrap_or(0);
    let wait = window(i).map(|b| b.db_wait_mean_ms).fold(0.0, f64::max);
    let p99 = window(i).map(|b| b.latency.p99_ms).fold(0.0, f64::max);
    let (failed, arrived) = window(i).fold((0, 0), |(f, a), w| (f + w.errors(), a + w.arrived));
    let failed = if failed == 0 {
        "no request failed".to_string()
    } else {
        format!("{} of requests failed", pct(ratio(failed, arrived)))
    };
    let over = (0..buckets.len()).filter(hidden).map(|i| &buckets[i]);
    Some(Finding {
        mode: Mode::HiddenOverload,
        held_in: 1,
        at_s: peak.start_s,
        evidence: format!(
            "at {} the database was asked for {}/s, {:.1}× its capacity of {}/s ({} {cause}); its \
             queue reached {} queries and their mean wait {} ms, yet readers did not feel it \
             (p99 up to {} ms in the next {}, against {} ms where the database kept up; {failed}){}: a latent risk, \
             one more trigger and readers meet that queue",
            at(peak.start_s),
            n(demand(peak)),
            demand(peak) / cap,
            n(cap),
            pct(ratio(count, peak.db_submitted())),
            n(queue as f64),
            ms(wait),
            ms(p99),
            at(EPISODE_GAP_S),
            ms(calm_p99),
            how_often(over),
        ),
    })
}

fn cold_cache(s: &StrategyResult) -> Option<Finding> {
    let buckets = &s.result.buckets;
    let looked = |b: &&BucketRow| b.cache_hits + b.cache_misses > 0;
    let mut best: Option<(f64, Finding)> = None;
    for (t_mark, label) in &s.marks {
        let before = median(
            buckets
                .iter()
                .filter(|b| b.start_s + b.width_s <= *t_mark)
                .filter(looked)
                .map(|b| b.hit_ratio())
                .collect(),
        );
        let Some(before) = before else { continue };
        let Some(low) = buckets
            .iter()
            .filter(|b| b.start_s + b.width_s > *t_mark && b.start_s < t_mark + COLD_WINDOW_S)
            .filter(looked)
            .min_by(|a, b| a.hit_ratio().total_cmp(&b.hit_ratio()))
        else {
            continue;
        };
        let drop = before - low.hit_ratio();
        let expired = ratio(low.cache_misses_expired, low.cache_misses);
        if drop < COLD_MIN_DROP || expired >= EXPIRY_MIN_SHARE || low.cache_errors > 0 {
            continue;
        }
        if best.as_ref().is_some_and(|(d, _)| *d >= drop) {
            continue;
        }
        best = Some((
            drop,
            Finding {
                mode: Mode::ColdCache,
                held_in: 1,
                at_s: low.start_s,
                evidence: format!(
                    "the hit ratio fell from {} to {} at {}, after {} at {}; {}",
                    pct(before),
                    pct(low.hit_ratio()),
                    at(low.start_s),
                    crate::text::escape(label),
                    at(*t_mark),
                    felt(s)
                ),
            },
        ));
    }
    best.map(|(_, f)| f)
}

fn fan_out(s: &StrategyResult) -> Option<Finding> {
    let t = &s.result.summary.totals;
    if s.fanout <= 1 {
        return None;
    }
    // Over the requests answered: a request that failed (a cache timing out) is the
    // dependency's, not a miss of one of its keys.
    let all_hit = ratio(t.requests_all_hit, t.completed).min(1.0);
    let gap = t.hit_ratio() - all_hit;
    if gap < FANOUT_MIN_GAP {
        return None;
    }
    Some(Finding {
        mode: Mode::FanOut,
        held_in: 1,
        at_s: 0.0,
        evidence: format!(
            "{} keys per request: {} of keys hit but only {} of answered requests hit on every \
             key, so the p99 is {}",
            s.fanout,
            pct(t.hit_ratio()),
            pct(all_hit),
            dur(t.latency.p99_ms)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{RunResult, Summary};

    fn strategy(buckets: Vec<BucketRow>) -> StrategyResult {
        let mut totals = BucketRow::default();
        for b in &buckets {
            totals.cache_hits += b.cache_hits;
            totals.cache_misses += b.cache_misses;
            totals.arrived += b.arrived;
            totals.completed += b.completed;
            totals.db_completed += b.db_completed;
        }
        StrategyResult {
            name: "s".into(),
            description: String::new(),
            db_capacity_qps: 100.0,
            fanout: 1,
            marks: vec![(10.0, "flush".into())],
            client_timeout_s: Some(1.0),
            result: RunResult {
                buckets,
                summary: Summary {
                    totals,
                    ..Summary::default()
                },
                ..RunResult::default()
            },
        }
    }

    fn bucket(start_s: f64, hits: u64, misses: u64) -> BucketRow {
        let mut b = BucketRow {
            start_s,
            width_s: 1.0,
            cache_hits: hits,
            cache_misses: misses,
            arrived: hits + misses,
            completed: hits + misses,
            db_completed: misses,
            ..BucketRow::default()
        };
        b.db_by_cause.miss = misses;
        b
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1929.0), "1,929");
        assert_eq!(grouped(1_234_567.0), "1,234,567");
        assert_eq!(grouped(-4321.0), "-4,321");
        assert_eq!(dur(682.4), "682 ms");
        assert_eq!(dur(9_999.0), "9,999 ms");
        assert_eq!(dur(10_192.0), "10.2 s");
        assert_eq!(dur(99_960.0), "100 s");
        assert_eq!(dur(125_400.0), "125 s");
    }

    #[test]
    fn a_calm_run_has_no_finding() {
        let s = strategy((0..30).map(|i| bucket(i as f64, 99, 1)).collect());
        let d = diagnose(&s);
        assert!(d.is_healthy(), "{d:?}");
        assert_eq!(d.recovered, None);
    }

    #[test]
    fn a_hit_ratio_step_after_a_timeline_event_is_a_cold_cache() {
        let s = strategy(
            (0..30)
                .map(|i| {
                    if i == 11 {
                        bucket(11.0, 40, 60)
                    } else {
                        bucket(i as f64, 99, 1)
                    }
                })
                .collect(),
        );
        let d = diagnose(&s);
        let f = d.headline().expect("a finding");
        assert_eq!(f.mode, Mode::ColdCache);
        assert_eq!(f.at_s, 11.0);
        assert!(f.evidence.contains("from 99% to 40%"), "{}", f.evidence);
    }

    #[test]
    fn a_drop_made_of_expired_entries_is_not_a_cold_cache() {
        let mut low = bucket(11.0, 40, 60);
        low.cache_misses_expired = 60;
        let s = strategy(
            (0..30)
                .map(|i| {
                    if i == 11 {
                        low.clone()
                    } else {
                        bucket(i as f64, 99, 1)
                    }
                })
                .collect(),
        );
        assert!(!diagnose(&s).has(Mode::ColdCache));
    }

    fn cold_at(i: usize) -> BucketRow {
        if i == 11 {
            bucket(11.0, 40, 60)
        } else {
            bucket(i as f64, 99, 1)
        }
    }

    #[test]
    fn over_replications_a_finding_holds_in_a_majority_and_says_in_how_many() {
        let cold = strategy((0..30).map(cold_at).collect());
        let calm = strategy((0..30).map(|i| bucket(i as f64, 99, 1)).collect());
        let d = diagnose_runs(&[&calm, &cold, &cold]);
        assert_eq!(d.replications, 3);
        let f = d.headline().expect("held in 2 of 3");
        assert_eq!((f.mode, f.held_in), (Mode::ColdCache, 2));
        assert_eq!(
            f.at_s, 11.0,
            "the evidence of the first replication where it held"
        );
        assert!(diagnose_runs(&[&calm, &cold, &calm]).is_healthy(), "1 of 3");
        assert!(
            diagnose_runs(&[&calm, &cold]).is_healthy(),
            "1 of 2 is no majority"
        );
        assert_eq!(
            diagnose_runs(&[&cold]).headline().map(|f| f.held_in),
            Some(1)
        );
    }

    #[test]
    fn readers_failing_on_a_lock_while_the_database_idles_are_an_abandoned_lock() {
        let mut buckets: Vec<BucketRow> = (0..30).map(|i| bucket(i as f64, 99, 1)).collect();
        for b in &mut buckets[20..] {
            b.errors_timeout = 30;
            b.lock_waits = 30;
            b.db_busy_fraction = 0.01;
        }
        let mut s = strategy(buckets.clone());
        s.result.summary.totals.errors_timeout = 300;
        s.marks = vec![(15.0, "next lock holder dies".into())];
        let d = diagnose(&s);
        assert_eq!(
            d.headline().map(|f| f.mode),
            Some(Mode::AbandonedLock),
            "{d:?}"
        );
        assert!(!d.has(Mode::Dependency), "{d:?}");
        assert!(d.findings[0].evidence.contains("since 15 s"), "{d:?}");
        // The same timeouts without lock waits are the cache's.
        for b in &mut buckets {
            b.lock_waits = 0;
        }
        let mut s = strategy(buckets);
        s.result.summary.totals.errors_timeout = 300;
        let d = diagnose(&s);
        assert_eq!(
            d.headline().map(|f| f.mode),
            Some(Mode::Dependency),
            "{d:?}"
        );
    }

    /// A bucket answered in 1 ms at p99, with `refreshes` background refreshes on top of its
    /// misses (the test database serves 100 queries/s).
    fn quick(i: usize, refreshes: u64) -> BucketRow {
        let mut b = cold_at(i);
        b.latency.count = b.completed;
        b.latency.p99_ms = 1.0;
        b.db_by_cause.background_refresh = refreshes;
        b.db_queue_max = refreshes / 2;
        b
    }

    #[test]
    fn background_demand_far_over_capacity_that_readers_do_not_feel_is_a_warning() {
        let buckets: Vec<BucketRow> = (0..30)
            .map(|i| quick(i, if i == 20 { 600 } else { 0 }))
            .collect();
        let d = diagnose(&strategy(buckets.clone()));
        // The cold cache at 11 s is a failure of its own; the overload at 20 s was hidden.
        assert_eq!(d.headline().map(|f| f.mode), Some(Mode::ColdCache), "{d:?}");
        let w: Vec<&Finding> = d.warnings().collect();
        assert_eq!(w.len(), 1, "{d:?}");
        assert_eq!((w[0].mode, w[0].at_s), (Mode::HiddenOverload, 20.0));
        for part in [
            "601/s, 6.0× its capacity of 100/s",
            "100% background",
            "queue reached 300",
        ] {
            assert!(w[0].evidence.contains(part), "{part}: {}", w[0].evidence);
        }
        assert_eq!(d.failures().count(), 1);

        // Without the cold cache: no failure, so healthy (a warning is no failure), and the
        // warning still said.
        let calm: Vec<BucketRow> = buckets
            .iter()
            .map(|b| {
                let mut b = b.clone();
                if b.start_s == 11.0 {
                    b = quick(0, 0);
                    b.start_s = 11.0;
                }
                b
            })
            .collect();
        let d = diagnose(&strategy(calm));
        assert!(d.is_healthy() && d.headline().is_none(), "{d:?}");
        assert!(d.has(Mode::HiddenOverload), "{d:?}");
    }

    #[test]
    fn demand_at_one_and_a_half_times_capacity_is_no_hidden_overload() {
        let s = strategy(
            (0..30)
                .map(|i| quick(i, if i == 20 { 149 } else { 0 }))
                .collect(),
        );
        assert!(
            !diagnose(&s).has(Mode::HiddenOverload),
            "{:?}",
            diagnose(&s)
        );
    }

    #[test]
    fn an_overload_readers_feel_or_wait_for_is_no_hidden_overload() {
        // Every key expired at 20 s: the readers' rebuilds ask for 6× the capacity and the p99
        // reaches the timeout, so the overload is synchronised expiry, not hidden.
        let mut buckets: Vec<BucketRow> = (0..30).map(|i| quick(i, 0)).collect();
        let b = &mut buckets[20];
        b.cache_misses = 600;
        b.cache_misses_expired = 600;
        b.db_by_cause.miss = 600;
        b.latency.p99_ms = 1000.0;
        let mut s = strategy(buckets.clone());
        s.result.summary.totals.cache_misses_expired = 600;
        s.result.summary.totals.db_by_cause.miss = 600;
        let d = diagnose(&s);
        assert!(d.has(Mode::SynchronisedExpiry), "{d:?}");
        assert!(!d.has(Mode::HiddenOverload), "{d:?}");
        // Misses readers wait for put them in the queue, however fast this bucket looks.
        buckets[20].latency.p99_ms = 1.0;
        assert!(!diagnose(&strategy(buckets)).has(Mode::HiddenOverload));

        // Background refreshes at 6× capacity: hidden while readers stay fast and served.
        let mut buckets: Vec<BucketRow> = (0..30)
            .map(|i| quick(i, if i == 20 { 600 } else { 0 }))
            .collect();
        assert!(diagnose(&strategy(buckets.clone())).has(Mode::HiddenOverload));
        // Readers meet the queue 3 s later: the p99 reaches the timeout.
        buckets[23].latency.p99_ms = 1000.0;
        assert!(!diagnose(&strategy(buckets.clone())).has(Mode::HiddenOverload));
        // Or 1.5% of the requests of the next 10 s fail.
        buckets[23].latency.p99_ms = 1.0;
        buckets[22].errors_timeout = 15;
        assert!(!diagnose(&strategy(buckets)).has(Mode::HiddenOverload));
    }

    #[test]
    fn failed_cache_reads_a_failover_answered_quickly_are_no_dependency_failure() {
        // A node dies at 10 s: 10% of lookups fail, no request fails.
        let mut buckets: Vec<BucketRow> = (0..30).map(|i| quick(i, 0)).collect();
        for b in &mut buckets[10..20] {
            b.cache_errors = 10;
            b.latency.p99_ms = 70.0;
        }
        let mut s = strategy(buckets);
        s.result.summary.totals.cache_errors = 100;
        assert!(!diagnose(&s).has(Mode::Dependency), "{:?}", diagnose(&s));
        // The tail of a second with failed reads at 250 ms, a quarter of the 1 s client timeout.
        s.result.buckets[15].latency.p99_ms = 250.0;
        assert!(diagnose(&s).has(Mode::Dependency), "{:?}", diagnose(&s));
        // Or 1% of requests failed.
        s.result.buckets[15].latency.p99_ms = 70.0;
        s.result.summary.totals.errors_timeout = s.result.summary.totals.arrived / 100;
        assert!(diagnose(&s).has(Mode::Dependency));
        // Without a client timeout, failed reads are enough.
        s.result.summary.totals.errors_timeout = 0;
        s.client_timeout_s = None;
        assert!(diagnose(&s).has(Mode::Dependency));
    }

    #[test]
    fn every_mode_names_mitigations_and_a_chart() {
        for m in Mode::ALL {
            assert!(!m.mitigations().is_empty(), "{m:?}");
            assert!(
                crate::report::charts::all_stems().any(|s| s == m.chart()),
                "{m:?}"
            );
        }
    }
}
