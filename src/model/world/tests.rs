//! Routing tests: each event family reaches its part, and each part's outcome reaches the next
//! (a read goes from the clients to the local cache, the shared cache and the database and back;
//! a write from the writers to the database, the cache and the local caches; the timeline and
//! the nodes' events act on the parts they name). Small worlds, stepped event by event.

use super::*;
use crate::model::test_fixtures::{config, name, Seen};
use crate::model::writes::WriterEvent;
use crate::observe::{Cause, ErrorKind};

/// Handles events in order until `until` or none is left; the names of those handled.
fn step_until(world: &mut World<'_, Seen>, until: SimTime) -> Vec<String> {
    let mut handled = Vec::new();
    while world.tiers.events.peek_time().is_some_and(|t| t <= until) {
        let (now, event) = world.tiers.events.pop().expect("peeked");
        handled.push(name(&event));
        world.handle(now, event);
    }
    handled
}

fn at(secs: f64) -> SimTime {
    SimTime::from_secs_f64(secs)
}

/// Runs a world of `config` from `events` (time in seconds, event) until `until` seconds: the
/// names of the events handled, and what the world reported.
fn run_from(config: &ModelConfig, events: &[(f64, Event)], until: f64) -> (Vec<String>, Seen) {
    let mut seen = Seen::default();
    let mut world = World::new(config, 1, &mut seen);
    for &(t, e) in events {
        world.tiers.events.schedule(at(t), e);
    }
    let handled = step_until(&mut world, at(until));
    drop(world);
    (handled, seen)
}

const READS: &str = r#"
[clients]
rps = 1
keyspace = 100
fanout = 2
[app]
instances = 2
[cache]
latency = "1ms"
ttl = "60s"
[db]
slots = 4
service = "2ms"
"#;

#[test]
fn a_read_goes_to_the_cache_then_the_database_and_its_answer_completes_the_request() {
    let config = config(READS);
    let mut seen = Seen::default();
    let mut world = World::new(&config, 1, &mut seen);
    world
        .tiers
        .events
        .schedule(at(0.0), Event::Client(ClientEvent::Arrival));
    let handled = step_until(&mut world, at(0.5));
    // The arrival schedules the next one (after 0.5 s on this seed) and one read per key;
    // both miss the empty cache and go to the database, whose answers finish the request.
    assert_eq!(
        handled,
        [
            "Client::Arrival",
            "Cache::Reply",
            "Cache::Reply",
            "Db::Done",
            "Db::Done"
        ]
    );
    assert_eq!(world.reads.in_flight(), 0);
    drop(world);
    assert_eq!((seen.misses, seen.hits, seen.completed), (2, 0, 1));
    assert_eq!(seen.queries, [Cause::Miss, Cause::Miss]);
}

#[test]
fn a_preloaded_key_is_answered_by_the_cache_alone() {
    let config = config(&format!(
        "{READS}\n[[timeline]]\nat = \"0s\"\naction = \"preload\"\n"
    ));
    let mut seen = Seen::default();
    let mut world = World::new(&config, 1, &mut seen);
    world.schedule_timeline();
    world
        .tiers
        .events
        .schedule(at(0.001), Event::Client(ClientEvent::Arrival));
    let handled = step_until(&mut world, at(0.5));
    assert_eq!(
        handled,
        [
            "Timeline::Entry",
            "Client::Arrival",
            "Cache::Reply",
            "Cache::Reply"
        ]
    );
    drop(world);
    assert_eq!((seen.hits, seen.completed), (2, 1));
    assert!(seen.queries.is_empty());
}

#[test]
fn without_a_cache_a_read_goes_straight_to_the_database() {
    let config = config(&READS.replace("ttl = \"60s\"", "ttl = \"60s\"\nenabled = false"));
    let (handled, seen) = run_from(&config, &[(0.0, Event::Client(ClientEvent::Arrival))], 0.5);
    assert_eq!(handled, ["Client::Arrival", "Db::Done", "Db::Done"]);
    assert_eq!((seen.hits + seen.misses, seen.completed), (0, 1));
}

#[test]
fn a_local_cache_is_asked_before_the_shared_one() {
    let config = config(&format!(
        "{READS}\n[local_cache]\nttl = \"10s\"\nlatency = \"2us\"\n"
    ));
    let (handled, _) = run_from(&config, &[(0.0, Event::Client(ClientEvent::Arrival))], 0.5);
    assert_eq!(
        handled,
        [
            "Client::Arrival",
            "Local::Reply",
            "Local::Reply",
            "Cache::Reply",
            "Cache::Reply",
            "Db::Done",
            "Db::Done"
        ]
    );
}

const WRITES: &str = r#"
[clients]
rps = 0.001
keyspace = 10
[app]
instances = 3
[cache]
latency = "1ms"
ttl = "60s"
[local_cache]
ttl = "10s"
latency = "2us"
invalidation = "pubsub"
pubsub_lag = "1ms"
[db]
slots = 4
service = "2ms"
[writes]
rate = 1
service = "5ms"
"#;

#[test]
fn a_write_commits_then_deletes_the_key_and_tells_every_local_cache() {
    let config = config(&format!("{WRITES}path = \"delete\"\n"));
    let (handled, seen) = run_from(&config, &[(0.0, Event::Writers(WriterEvent::Arrival))], 0.1);
    // The arrival schedules the next write (seconds later); the commit's delete lands after
    // the cache's latency (1 ms), the pub/sub messages after their lag (1 ms), in the order
    // they were sent.
    assert_eq!(
        handled,
        [
            "Writers::Arrival",
            "Db::Done",
            "Local::Delete",
            "Local::Delete",
            "Local::Delete",
            "Writers::Delete"
        ]
    );
    assert_eq!((seen.committed, seen.local_messages), (1, 3));
    assert_eq!(seen.queries, [Cause::Write]);
}

#[test]
fn a_delete_before_commit_lands_first_and_then_the_write_goes_to_the_database() {
    let config = config(&format!("{WRITES}path = \"delete_before_commit\"\n"));
    let (handled, _) = run_from(&config, &[(0.0, Event::Writers(WriterEvent::Arrival))], 0.1);
    assert_eq!(
        &handled[..3],
        ["Writers::Arrival", "Writers::DeleteThenCommit", "Db::Done"]
    );
}

#[test]
fn the_app_sends_a_failed_query_again_through_its_own_event() {
    let config = config(&format!(
        "{}\n[retries]\nattempts = 5\nby = \"app\"\nbackoff = \"fixed\"\nbase = \"10ms\"\n",
        READS
            .replace("service = \"2ms\"", "service = \"2ms\"\nerror_rate = 0.9")
            .replace("fanout = 2", "fanout = 1")
    ));
    let (handled, seen) = run_from(&config, &[(0.0, Event::Client(ClientEvent::Arrival))], 0.3);
    let retries = handled.iter().filter(|h| *h == "App::QueryRetry").count();
    assert!(retries >= 1, "{handled:?}");
    assert_eq!(
        handled[..3],
        ["Client::Arrival", "Cache::Reply", "Db::Done"]
    );
    assert_eq!(seen.query_retries, retries as u64);
    // Each retry is a query of its own.
    assert_eq!(seen.queries.len(), 1 + retries);
    assert_eq!(seen.completed + seen.failed.len() as u64, 1);
}

#[test]
fn a_killed_node_is_taken_out_once_the_app_notices() {
    let config = config(
        r#"
[clients]
rps = 0.001
keyspace = 1000
[app]
instances = 1
[cache]
nodes = 3
latency = "1ms"
ttl = "60s"
failover = "rehash"
rehash_after = "2s"
[db]
slots = 4
service = "2ms"
[[timeline]]
at = "1s"
action = "kill_node"
node = 1
"#,
    );
    let mut seen = Seen::default();
    let mut world = World::new(&config, 1, &mut seen);
    world.schedule_timeline();
    assert_eq!(step_until(&mut world, at(2.9)), ["Timeline::Entry"]);
    assert_eq!(step_until(&mut world, at(3.0)), ["Node::TakeOut"]);
    drop(world);
    // Node 1 owned about a third of the keys; they moved.
    assert!((200..=500).contains(&seen.remapped), "{}", seen.remapped);
}

#[test]
fn deploy_waves_switch_the_app_instances_to_the_new_version() {
    let config = config(
        r#"
[clients]
rps = 0.001
keyspace = 100
[app]
instances = 4
[cache]
latency = "1ms"
ttl = "60s"
[db]
slots = 4
service = "2ms"
[[timeline]]
at = "1s"
action = "deploy"
waves = 2
wave_interval = "5s"
"#,
    );
    let mut seen = Seen::default();
    let mut world = World::new(&config, 1, &mut seen);
    world.schedule_timeline();
    let versions = |w: &World<'_, Seen>| (0..4).map(|i| w.reads.version_of(i)).collect::<Vec<_>>();
    step_until(&mut world, at(1.0));
    assert_eq!(versions(&world), [1, 1, 0, 0]);
    step_until(&mut world, at(6.0));
    assert_eq!(versions(&world), [1, 1, 1, 1]);
}

/// A database that fails every read with a transient error, behind one app instance.
const FAILING_DB: &str = r#"
[clients]
rps = 1
keyspace = 100
[app]
instances = 1
[cache]
latency = "1ms"
ttl = "60s"
[db]
slots = 4
service = "2ms"
error_rate = 0.999
"#;

#[test]
fn an_open_breaker_on_the_database_fails_reads_without_querying() {
    let config = config(&format!(
        "{FAILING_DB}\n[mitigations]\ndb_breaker = {{ failures = 2, cool_down = \"10s\" }}\n"
    ));
    let arrivals: Vec<_> = (0..4)
        .map(|i| (i as f64 * 0.1, Event::Client(ClientEvent::Arrival)))
        .collect();
    let (handled, seen) = run_from(&config, &arrivals, 0.5);
    // Two reads query and fail; the breaker opens; the next two never reach the database.
    let queried = handled.iter().filter(|h| *h == "Db::Done").count();
    assert_eq!(queried, 2, "{handled:?}");
    assert_eq!(seen.queries.len(), 2);
    assert_eq!(
        seen.failed,
        [
            ErrorKind::DbError,
            ErrorKind::DbError,
            ErrorKind::DbBreakerOpen,
            ErrorKind::DbBreakerOpen
        ]
    );
}

#[test]
fn without_a_breaker_every_read_queries_the_failing_database() {
    let config = config(FAILING_DB);
    let arrivals: Vec<_> = (0..4)
        .map(|i| (i as f64 * 0.1, Event::Client(ClientEvent::Arrival)))
        .collect();
    let (_, seen) = run_from(&config, &arrivals, 0.5);
    assert_eq!(seen.queries.len(), 4);
    assert_eq!(seen.failed, [ErrorKind::DbError; 4]);
}

#[test]
fn throttling_clients_stop_sending_once_nothing_is_accepted() {
    let config = config(&format!(
        "{FAILING_DB}\n[mitigations]\nadaptive_throttling = {{ k = 2, window = \"100s\" }}\n"
    ));
    let arrivals: Vec<_> = (0..200)
        .map(|i| (i as f64 * 0.01, Event::Client(ClientEvent::Arrival)))
        .collect();
    let (_, seen) = run_from(&config, &arrivals, 2.5);
    let throttled = seen
        .failed
        .iter()
        .filter(|&&k| k == ErrorKind::Throttled)
        .count();
    // With nothing accepted, an attempt goes out with probability 1 / (requests + 1): about
    // ln(200) ≈ 5 of 200 reach the database, the rest fail at the client.
    assert!(seen.queries.len() < 15, "{} queried", seen.queries.len());
    assert_eq!(throttled + seen.queries.len(), seen.failed.len());
    assert!(seen.failed.len() >= 200, "{}", seen.failed.len());
}
