//! The read path alone, driven by its own events: a fixture lends it a cache tier, local
//! caches and a database built from a small scenario, and plays the workload (arrivals) and
//! the database (completions) that the world would route.

use super::*;
use crate::engine::{EventQueue, RandomStreams};
use crate::model::cache::{CacheTier, LocalCaches, LocalStreams, TierStreams};
use crate::model::clients::Workload;
use crate::model::database::{DbEvent, DbOutcome};
use crate::model::distribution::Sampler;
use crate::model::event::lane;
use crate::model::test_fixtures::{config, name, Seen};
use crate::model::tiers::TierSettings;
use crate::model::versions::KeyVersions;

/// A read path and the parts it is lent, built from a scenario.
struct Fixture {
    reads: ReadPath,
    tiers: Tiers<'static, Seen>,
}

impl Fixture {
    /// The parts of `config`; the observer lives as long as the test.
    fn new(config: &ModelConfig) -> Self {
        let s = RandomStreams::new(1);
        let keys = config.clients.keyspace;
        Fixture {
            reads: ReadPath::new(
                config,
                ReadStreams {
                    bloom: s.stream(101),
                    retry_jitter: s.stream(102),
                    throttle: s.stream(103),
                },
            ),
            tiers: Tiers {
                events: EventQueue::with_lanes(lane::COUNT),
                cache: config.cache.as_ref().map(|cc| {
                    let streams = TierStreams {
                        latency: s.stream(104),
                        lock_latency: s.stream(105),
                        ttl_jitter: s.stream(106),
                        early_expiration: s.stream(107),
                    };
                    CacheTier::new(cc, &config.mitigations, keys, streams)
                }),
                local: config.local_cache.as_ref().map(|lc| {
                    let streams = LocalStreams {
                        latency: s.stream(108),
                        pubsub: s.stream(109),
                    };
                    LocalCaches::new(lc, keys, config.app.instances, 1, streams)
                }),
                db: Database::new(
                    config.db.slots,
                    config.db.queue_limit,
                    Sampler::new(&config.db.service),
                    s.stream(110),
                )
                .with_errors(config.db.error_rate, s.stream(113)),
                versions: KeyVersions::new(keys),
                workload: Workload::new(config, 0, s.stream(111), s.stream(112)),
                observer: Box::leak(Box::default()),
                truncation: None,
                settings: TierSettings::new(config),
            },
        }
    }

    /// What the read path reported.
    fn seen(&self) -> &Seen {
        self.tiers.observer
    }

    /// A request arrives at `now` with freshly drawn keys (the workload's part).
    fn arrive(&mut self, now: SimTime) {
        self.tiers.workload.draw_keys();
        if self.reads.admits_arrival(now, &mut self.tiers) {
            self.reads.on_arrival(now, &mut self.tiers);
        }
    }

    /// Hands events to the read path (and database completions to the database, then their
    /// answers back) until `until`; the names of the events handled.
    fn step_until(&mut self, until: SimTime) -> Vec<String> {
        let mut handled = Vec::new();
        while self.tiers.events.peek_time().is_some_and(|t| t <= until) {
            let (now, event) = self.tiers.events.pop().expect("peeked");
            handled.push(name(&event));
            match event {
                Event::Client(e) => self.reads.on_client(now, e, &mut self.tiers),
                Event::Cache(e) => self.reads.on_cache(now, e, &mut self.tiers),
                Event::Local(e) => self.reads.on_local(now, e, &mut self.tiers),
                Event::App(e) => self.reads.on_app(now, e, &mut self.tiers),
                Event::Db(e) => self.on_db(now, e),
                other => panic!("the read path scheduled {other:?}"),
            }
        }
        handled
    }

    /// The database's part: a completion frees a slot, and the query's answer or failure goes
    /// to the read path.
    fn on_db(&mut self, now: SimTime, event: DbEvent) {
        let (query, kind) = match self.tiers.db.on(event) {
            DbOutcome::Finished { query, next } => {
                if let Some(next) = self.reads.skip_cancelled(now, next, &mut self.tiers) {
                    self.tiers.start_query(now, next);
                }
                (query, query.fails.then_some(ErrorKind::DbError))
            }
            DbOutcome::TimedOut(query) => (query, Some(ErrorKind::DbTimeout)),
            DbOutcome::Nothing => return,
        };
        assert!(ReadPath::owns(&query));
        match kind {
            None => self.reads.on_answer(now, &query, &mut self.tiers),
            Some(kind) => self
                .reads
                .on_query_failed(now, &query, kind, &mut self.tiers),
        }
    }
}

fn at(secs: f64) -> SimTime {
    SimTime::from_secs_f64(secs)
}

/// One key, one instance, a cache and a database whose reads take `db_service`; clients
/// wait `timeout` ("none": for ever); `extra` adds sections.
fn one_key(db_service: &str, timeout: &str, extra: &str) -> ModelConfig {
    let timeout = match timeout {
        "none" => String::new(),
        t => format!("timeout = \"{t}\"\n"),
    };
    config(&format!(
        r#"
[clients]
rps = 1
keyspace = 1
{timeout}
[app]
instances = 1
[cache]
latency = "1ms"
ttl = "60s"
[db]
slots = 4
service = "{db_service}"
{extra}
"#
    ))
}

/// [`one_key`] with 2 ms database reads, patient clients, and `extra`.
fn plain(extra: &str) -> ModelConfig {
    one_key("2ms", "none", extra)
}

#[test]
fn a_fresh_cache_answer_completes_the_request_without_a_query() {
    let mut f = Fixture::new(&plain(""));
    f.tiers.write_value(at(0.0), 0, None, SimDuration::ZERO, 0);
    f.arrive(at(0.0));
    assert_eq!(f.reads.in_flight(), 1);
    assert_eq!(f.step_until(at(1.0)), ["Cache::Reply"]);
    assert_eq!(f.reads.in_flight(), 0);
    assert_eq!((f.seen().hits, f.seen().completed), (1, 1));
    assert!(f.seen().queries.is_empty());
}

#[test]
fn a_miss_queries_the_database_and_its_answer_fills_the_cache() {
    let mut f = Fixture::new(&plain(""));
    f.arrive(at(0.0));
    assert_eq!(f.step_until(at(1.0)), ["Cache::Reply", "Db::Done"]);
    assert_eq!(f.seen().queries, [Cause::Miss]);
    assert_eq!((f.seen().misses, f.seen().completed), (1, 1));
    assert!(f.tiers.cache.as_ref().expect("a cache").holds_any(0));
    // The next read hits what the answer wrote.
    f.arrive(at(2.0));
    assert_eq!(f.step_until(at(3.0)), ["Cache::Reply"]);
    assert_eq!((f.seen().hits, f.seen().completed), (1, 2));
}

#[test]
fn coalesced_misses_on_one_instance_make_one_query_and_all_complete() {
    let mut f = Fixture::new(&plain("[mitigations]\ncoalescing = true"));
    for _ in 0..3 {
        f.arrive(at(0.0));
    }
    f.step_until(at(1.0));
    assert_eq!(f.seen().misses, 3);
    assert_eq!(f.seen().queries, [Cause::Miss]);
    assert_eq!(f.seen().completed, 3);
    assert_eq!(f.reads.in_flight(), 0);

    // Without coalescing, each miss queries.
    let mut f = Fixture::new(&plain(""));
    for _ in 0..3 {
        f.arrive(at(0.0));
    }
    f.step_until(at(1.0));
    assert_eq!(f.seen().queries.len(), 3);
}

#[test]
fn a_client_that_gives_up_retries_after_its_backoff() {
    // The database takes 5 s; clients wait 1 s and retry once after 100 ms.
    let retries = "[retries]\nattempts = 2\nbackoff = \"fixed\"\nbase = \"100ms\"";
    let mut f = Fixture::new(&one_key("5s", "1s", retries));
    f.arrive(at(0.0));
    let handled = f.step_until(at(1.2));
    assert_eq!(
        handled,
        [
            "Cache::Reply",
            "Client::GiveUp",
            "Client::Retry",
            "Cache::Reply"
        ]
    );
    assert_eq!(f.seen().retries, 1);
    assert_eq!(f.seen().queries.len(), 2);
    // The retry times out too, and the client has no retry left.
    f.step_until(at(2.2));
    assert_eq!(f.seen().failed, [ErrorKind::Timeout]);
    assert_eq!(f.reads.awaiting(), 0);
}

#[test]
fn a_fresh_local_copy_is_served_without_asking_the_shared_cache() {
    let mut f = Fixture::new(&plain(
        "[local_cache]\nttl = \"10s\"\nlatency = { dist = \"constant\", value = \"100us\" }",
    ));
    // The first read fills the local copy on its way back; the second is served by it.
    f.arrive(at(0.0));
    assert_eq!(
        f.step_until(at(1.0)),
        ["Local::Reply", "Cache::Reply", "Db::Done"]
    );
    f.arrive(at(2.0));
    assert_eq!(f.step_until(at(3.0)), ["Local::Reply"]);
    assert_eq!((f.seen().local_hits, f.seen().completed), (1, 2));
    assert_eq!(f.seen().queries.len(), 1);
}

#[test]
fn at_the_in_flight_cap_an_arrival_truncates_the_run() {
    let mut f = Fixture::new(&plain("[limits]\nmax_in_flight = 2"));
    f.arrive(at(0.0));
    f.arrive(at(0.0));
    assert!(f.tiers.truncation.is_none());
    f.arrive(at(0.0));
    let reason = f
        .tiers
        .truncation
        .as_ref()
        .expect("truncated")
        .reason
        .clone();
    assert!(reason.starts_with("2 requests were in flight"), "{reason}");
    assert_eq!(f.reads.in_flight(), 2);
}

#[test]
fn a_reader_that_finds_the_lock_taken_polls_and_is_served_what_the_holder_wrote() {
    let lock =
        "[mitigations]\nlock = { ttl = \"1s\", retry_interval = \"10ms\", max_retries = 20 }";
    let mut f = Fixture::new(&plain(lock));
    f.arrive(at(0.0));
    f.arrive(at(0.0));
    let handled = f.step_until(at(1.0));
    // Both miss and ask for the lock; one holds it and queries, the other polls once and
    // finds the value the holder wrote.
    assert_eq!(
        handled,
        [
            "Cache::Reply",
            "Cache::Reply",
            "Cache::LockReply",
            "Cache::LockReply",
            "Db::Done",
            "Cache::PollReply"
        ]
    );
    assert_eq!(f.seen().queries, [Cause::Miss]);
    assert_eq!((f.seen().misses, f.seen().completed), (2, 2));
}

#[test]
fn the_app_retries_a_failed_query_through_its_own_event_then_gives_up() {
    let failing = "error_rate = 0.999\n[retries]\nby = \"app\"\nattempts = 2";
    let mut f = Fixture::new(&plain(failing));
    f.arrive(at(0.0));
    let handled = f.step_until(at(1.0));
    assert_eq!(
        handled,
        ["Cache::Reply", "Db::Done", "App::QueryRetry", "Db::Done"]
    );
    assert_eq!(f.seen().queries, [Cause::Miss, Cause::Miss]);
    assert_eq!(f.seen().failed, [ErrorKind::DbError]);
    assert_eq!(f.reads.awaiting(), 0);
}
