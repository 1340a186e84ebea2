//! Shrinks a scenario's configuration so a fuzz input runs in milliseconds. Used by the fuzz
//! target and, by path, by `tests/integration/fuzz_corpus.rs`, which replays the corpus.

use cachestorm::engine::SimDuration;
use cachestorm::model::{Failover, KeySet, ModelConfig, TimelineAction};

/// Longest simulated run.
const MAX_DURATION: SimDuration = SimDuration::from_millis(500);
/// Most cache lookups (requests × fanout) one run may make at the rates it is given.
const MAX_LOOKUPS: f64 = 20_000.0;
/// Largest keyspace (the model keeps per-key arrays and a Zipf alias table).
const MAX_KEYSPACE: u32 = 100_000;
/// Most metrics buckets.
const MAX_BUCKETS: u64 = 1_000;
/// Most points on the consistent-hash ring (nodes × vnodes).
const MAX_RING_POINTS: u32 = 65_536;
/// Shortest lock or lease poll interval, and most polls per wait.
const MIN_RETRY_INTERVAL: SimDuration = SimDuration::from_millis(1);
const MAX_RETRIES: u32 = 100;
/// Most local-cache entries over all instances.
const MAX_LOCAL_ENTRIES: u64 = 1_000_000;
/// Most timeline events (each preload may touch every key).
const MAX_TIMELINE: usize = 32;
/// Most attempts per request when clients retry (each attempt is a request's worth of work).
const MAX_ATTEMPTS: u32 = 5;
/// Most gutter nodes (a pool of its own beside the cluster).
const MAX_GUTTER_NODES: u32 = 16;
/// Most copies of a replicated hot key (each fill writes every copy).
const MAX_REPLICAS: u32 = 8;
/// Largest `slow_node` factor (slow operations keep requests in flight longer).
const MAX_SLOW_FACTOR: f64 = 100.0;

/// Shrinks a validated configuration so one run takes milliseconds, keeping what validation
/// promises (bucket ≤ duration, fanout ≤ keyspace, keys named in the timeline < keyspace).
pub fn bounded_for_fuzzing(c: &mut ModelConfig) {
    c.duration = c.duration.min(MAX_DURATION);
    let min_bucket = SimDuration(c.duration.0.div_ceil(MAX_BUCKETS));
    c.bucket = c.bucket.min(c.duration).max(min_bucket);

    let keyspace = c.clients.keyspace.min(MAX_KEYSPACE);
    c.clients.keyspace = keyspace;
    c.clients.absent_keys = c.clients.absent_keys.min(MAX_KEYSPACE - keyspace);
    if c.clients.absent_keys == 0 {
        c.clients.absent_share = 0.0;
    }
    let instances = c.app.instances as u64;
    if let Some(l) = &mut c.local_cache {
        let per_instance = (MAX_LOCAL_ENTRIES / instances).max(1) as u32;
        l.hot_keys = Some(
            l.hot_keys
                .unwrap_or(keyspace)
                .min(keyspace)
                .min(per_instance),
        );
    }
    c.clients.fanout = c.clients.fanout.min(keyspace);
    c.clients.optional_keys = c.clients.optional_keys.min(c.clients.fanout);
    let attempts = match &mut c.retries {
        Some(r) => {
            r.attempts = r.attempts.min(MAX_ATTEMPTS);
            r.attempts
        }
        None => 1,
    };
    let max_rps =
        MAX_LOOKUPS / (c.clients.fanout as f64 * attempts as f64 * c.duration.as_secs_f64());
    c.clients.rps = c.clients.rps.min(max_rps);

    let max_writes = MAX_LOOKUPS / c.duration.as_secs_f64();
    if let Some(w) = &mut c.writes {
        w.rate = w.rate.min(max_writes);
    }
    if let Some(cache) = &mut c.cache {
        cache.vnodes = cache.vnodes.min((MAX_RING_POINTS / cache.nodes).max(1));
        if let Failover::Gutter(g) = &mut cache.failover {
            g.nodes = g.nodes.min(MAX_GUTTER_NODES);
        }
        if let Some(h) = &mut cache.hot_key_replicas {
            h.keys = h.keys.min(keyspace);
            h.replicas = h.replicas.min(MAX_REPLICAS);
        }
    }
    if let Some(lock) = &mut c.mitigations.lock {
        lock.retry_interval = lock.retry_interval.max(MIN_RETRY_INTERVAL);
        lock.max_retries = lock.max_retries.min(MAX_RETRIES);
    }

    c.timeline.truncate(MAX_TIMELINE);
    for e in &mut c.timeline {
        match &mut e.action {
            TimelineAction::SetRate { rps, .. } => *rps = rps.min(max_rps),
            TimelineAction::SetWriteRate { rate, .. } => *rate = rate.min(max_writes),
            TimelineAction::Preload {
                keys: KeySet::Top(n),
                ..
            } => *n = (*n).min(keyspace),
            TimelineAction::KillLockHolder { key } => *key = (*key).min(keyspace - 1),
            TimelineAction::Deploy(d) => {
                if let Some(w) = &mut d.warmup {
                    w.top = w.top.min(keyspace);
                }
            }
            TimelineAction::SlowNode { factor, .. } => *factor = factor.min(MAX_SLOW_FACTOR),
            TimelineAction::Flush { .. }
            | TimelineAction::Preload { .. }
            | TimelineAction::KillNode { .. }
            | TimelineAction::RestoreNode { .. }
            | TimelineAction::DropNode { .. } => {}
        }
    }
}
