//! The write paths: writes arrive, may delete the key first (the wrong order), commit in the
//! database, then delete, set or send an invalidation event, and perhaps delete again later.
//! Races between these and the readers are not scripted: they come from the timing of the
//! cache operations, the database queue and service, and the events' lag.

use super::{Event, World};
use crate::engine::{SimDuration, SimTime};
use crate::model::cache::{Delivery, LocalEvent};
use crate::model::database::Origin;
use crate::model::writes::{CacheOp, Committed, WriteStart, WriterEvent};
use crate::observe::{Cause, Observer};

impl<O: Observer> World<'_, O> {
    /// The writers' events: arrivals, flushes, and their cache operations landing.
    #[inline(never)]
    pub(super) fn on_writers(&mut self, now: SimTime, event: WriterEvent) {
        match event {
            WriterEvent::Arrival => self.on_write_arrival(now),
            WriterEvent::Flush => self.on_flush_tick(now),
            WriterEvent::Delete { key, version } => self.on_delete(key, version),
            WriterEvent::DeleteThenCommit { key, bypass } => {
                self.on_delete_then_commit(now, key, bypass)
            }
            WriterEvent::Set { key, version } => self.on_write_through(now, key, version),
            WriterEvent::WriteBack { key } => self.on_write_back(now, key),
        }
    }

    /// Schedules the first write's arrival.
    pub(super) fn schedule_next_write(&mut self) {
        if let Some(at) = self.writers.as_mut().and_then(|w| w.next_arrival()) {
            self.tiers
                .events
                .schedule(at, Event::Writers(WriterEvent::Arrival));
        }
    }

    /// A write arrives: the writers draw it and the next arrival; it commits now, or its
    /// cache operation goes first.
    pub(super) fn on_write_arrival(&mut self, now: SimTime) {
        let arrived = self
            .writers
            .as_mut()
            .expect("write arrivals only exist with writers")
            .on_arrival(now);
        if let Some(at) = arrived.next {
            self.tiers
                .events
                .schedule(at, Event::Writers(WriterEvent::Arrival));
        }
        self.tiers.observer.write_arrived();
        match arrived.start {
            WriteStart::Commit(write) => self.submit_write(now, write.key, write.bypass),
            WriteStart::Delete { key } => {
                self.tiers.observer.trace_delete();
                self.submit_commit(now, key, 0, false, true);
            }
            WriteStart::Land { at, event } => {
                if matches!(event, WriterEvent::DeleteThenCommit { .. }) {
                    self.tiers.observer.invalidation_sent(false);
                }
                self.tiers.events.schedule(at, Event::Writers(event));
            }
        }
    }

    fn submit_write(&mut self, now: SimTime, key: u32, bypass: bool) {
        self.submit_commit(now, key, 0, bypass, false);
    }

    /// Submits the database write of `key` at `version` (0: the next); `delete`: a trace's
    /// delete, which removes the value.
    fn submit_commit(&mut self, now: SimTime, key: u32, version: u32, bypass: bool, delete: bool) {
        // A write names its logical key; it is never written back, so its key version only
        // needs to be live.
        let live = self.newest_version();
        let origin = Origin::Write {
            key,
            version,
            bypass,
            delete,
        };
        self.submit_query(now, origin, Cause::Write, key, live);
    }

    /// Schedules the write-back flusher's next run after `now`.
    pub(super) fn schedule_flush(&mut self, now: SimTime) {
        if let Some(at) = self.writers.as_ref().and_then(|w| w.next_flush(now)) {
            self.tiers
                .events
                .schedule(at, Event::Writers(WriterEvent::Flush));
        }
    }

    /// The flusher commits the keys the cache took since its last run.
    pub(super) fn on_flush_tick(&mut self, now: SimTime) {
        self.schedule_flush(now);
        let writers = self
            .writers
            .as_mut()
            .expect("flushes only exist with writers");
        let mut keys = writers.take_flush_buffer();
        writers.flush(&mut keys);
        for &(key, version) in &keys {
            self.submit_commit(now, key, version, false, false);
        }
        if let Some(w) = self.writers.as_mut() {
            w.return_flush_buffer(keys);
        }
    }

    /// A write-back writer's value of `key` reaches the cache: it is the newest version,
    /// committed later by the flusher.
    pub(super) fn on_write_back(&mut self, now: SimTime, key: u32) {
        let committed = self.tiers.db.records().version(key);
        let writers = self
            .writers
            .as_mut()
            .expect("write-backs only exist with writers");
        let wb = writers
            .write_back()
            .expect("write-backs only exist on the write-back path");
        let version = wb.take(key, committed);
        self.on_write_through(now, key, version);
    }

    /// The cache lost node `node` (or all of them): the write-back writes it held and had not
    /// committed are lost.
    pub(super) fn lose_unflushed(&mut self, node: Option<u32>) {
        let newest = self.newest_version();
        let (Some(writers), Some(cache)) = (self.writers.as_mut(), self.tiers.cache.as_ref())
        else {
            return;
        };
        let Some(wb) = writers.write_back() else {
            return;
        };
        let versions = &self.tiers.versions;
        let lost =
            wb.lose(|key| node.is_none_or(|n| cache.node_of(versions.cache_key(key, newest)) == n));
        if lost > 0 {
            self.tiers.observer.writes_lost(lost);
        }
    }

    /// The newest key version any instance runs: the one writers set values under.
    pub(super) fn newest_version(&self) -> u32 {
        self.reads.newest_version()
    }

    /// A write of `key` committed at `now`: the write path acts on the cache (a trace's
    /// `delete` deletes the key, whatever the path), and the change is published to the local
    /// caches.
    pub(super) fn on_commit(
        &mut self,
        now: SimTime,
        key: u32,
        version: u32,
        bypass: bool,
        delete: bool,
    ) {
        let version = self.tiers.db.commit(key, version, now);
        self.tiers.observer.write_committed(key);
        if let Some(local) = self
            .tiers
            .local
            .as_mut()
            .filter(|l| l.has_pubsub() && !bypass)
        {
            if local.eligible(key) {
                for instance in 0..local.instances() {
                    match local.deliver() {
                        Delivery::Lost => self.tiers.observer.local_invalidation(true),
                        Delivery::After(lag) => {
                            self.tiers.observer.local_invalidation(false);
                            self.tiers.events.schedule(
                                now + lag,
                                Event::Local(LocalEvent::Delete { instance, key }),
                            );
                        }
                    }
                }
            }
        }
        let writers = self
            .writers
            .as_mut()
            .expect("writes only exist with writers");
        let committed = if delete {
            Committed {
                op: writers.on_delete_commit(now, key, version),
                again: None,
            }
        } else {
            writers.on_commit(now, key, version, bypass)
        };
        match committed.op {
            CacheOp::Nothing => {}
            CacheOp::Lost => self.tiers.observer.invalidation_sent(true),
            CacheOp::Land { at, event, lag } => {
                if matches!(event, WriterEvent::Delete { .. }) {
                    self.tiers.observer.invalidation_sent(false);
                    if lag > SimDuration::ZERO {
                        self.tiers.observer.invalidation_delayed(lag);
                    }
                }
                self.tiers.events.schedule(at, Event::Writers(event));
            }
        }
        if let Some(at) = committed.again {
            self.tiers.observer.invalidation_sent(false);
            self.tiers
                .events
                .schedule(at, Event::Writers(WriterEvent::Delete { key, version }));
        }
    }

    /// A delete of `key` (for the write that committed `version`) reaches the cache: every
    /// version range of the key is cleared.
    pub(super) fn on_delete(&mut self, key: u32, version: u32) {
        self.tiers.db.records_mut().deleted(key, version);
        let n = self.tiers.versions.keys_per_range();
        if let Some(cache) = self.tiers.cache.as_mut() {
            let mut ckey = key;
            while ckey < cache.keys() {
                cache.invalidate(ckey, version);
                ckey += n;
            }
        }
    }

    /// A write-through set of `key` at `version` reaches the cache.
    pub(super) fn on_write_through(&mut self, now: SimTime, key: u32, version: u32) {
        let ckey = self.tiers.versions.cache_key(key, self.newest_version());
        // The value was just computed by the writer: its compute time is the database's mean
        // read time, as for a preload, so early expiration has something to work with.
        let delta = self.db_mean_service;
        self.write_value(now, ckey, None, delta, version);
    }

    /// A delete made before the commit reaches the cache; the write goes to the database now.
    /// It deletes for the version the write is about to commit, so a versioned set refuses
    /// the value a reader read before the commit, and setting it counts as the race it is.
    pub(super) fn on_delete_then_commit(&mut self, now: SimTime, key: u32, bypass: bool) {
        let version = self.tiers.db.records().version(key) + 1;
        self.on_delete(key, version);
        self.submit_write(now, key, bypass);
    }
}
