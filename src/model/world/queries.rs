//! The database's completions and queue timeouts, passed to whoever made the query: the read
//! path (reads and background refreshes), the writers (commits), a deploy's warm-up (written
//! into the cache) or a returning node's warm-up.

use super::World;
use crate::engine::{SimDuration, SimTime};
use crate::model::database::{DbEvent, DbOutcome, Origin, Query};
use crate::model::reads::ReadPath;
use crate::observe::{Cause, ErrorKind, Observer};

impl<O: Observer> World<'_, O> {
    /// The database's events: a query done, a query timed out in the queue.
    #[inline]
    pub(super) fn on_db(&mut self, now: SimTime, event: DbEvent) {
        match self.tiers.db.on(event) {
            DbOutcome::Finished { query, next } => self.on_db_done(now, query, next),
            DbOutcome::TimedOut(q) => {
                self.tiers
                    .observer
                    .db_queue_changed(self.tiers.db.queue_len());
                self.query_failed(now, &q, ErrorKind::DbTimeout);
            }
            DbOutcome::Nothing => {}
        }
    }

    /// Queries the database for `ckey` on behalf of `origin` (not a read's: those go through
    /// the read path); a rejected query fails at once.
    pub(super) fn submit_query(
        &mut self,
        now: SimTime,
        origin: Origin,
        cause: Cause,
        ckey: u32,
        version: u32,
    ) {
        if let Some(rejected) = self.tiers.submit(now, origin, cause, ckey, version) {
            self.query_failed(now, &rejected, ErrorKind::DbRejected);
        }
    }

    /// Query `q` was answered (or failed) and `next` takes its database slot.
    fn on_db_done(&mut self, now: SimTime, q: Query, next: Option<Query>) {
        let t = &mut self.tiers;
        match self.reads.skip_cancelled(now, next, t) {
            Some(next) => {
                t.observer.query_completed(now, t.db.busy());
                t.observer.db_queue_changed(t.db.queue_len());
                t.start_query(now, next);
            }
            None => t.observer.query_completed(now, t.db.busy()),
        }
        if let Origin::Write {
            key,
            version,
            bypass,
            delete,
        } = q.origin
        {
            self.on_commit(now, key, version, bypass, delete);
            return;
        }
        if q.fails {
            self.tiers.observer.db_error();
            self.query_failed(now, &q, ErrorKind::DbError);
            return;
        }
        match q.origin {
            Origin::NodeWarmup { node, entry } => self.node_warmup_answered(now, node, entry, &q),
            Origin::Warmup => {
                // A deploy's warm-up writes the value under its version, if still live.
                if self.tiers.versions.is_live(q.version) {
                    let delta = now.since(q.submitted);
                    self.write_value(now, q.key, None, delta, q.data_version);
                }
            }
            _ => self.reads.on_answer(now, &q, &mut self.tiers),
        }
    }

    /// Writes `ckey`'s value at `version` into the cache (see [`crate::model::tiers::Tiers::write_value`]).
    pub(super) fn write_value(
        &mut self,
        now: SimTime,
        ckey: u32,
        ttl: Option<SimDuration>,
        delta: SimDuration,
        version: u32,
    ) {
        self.tiers.write_value(now, ckey, ttl, delta, version);
    }

    /// Query `q` failed with `kind`: whoever made it learns so.
    pub(super) fn query_failed(&mut self, now: SimTime, q: &Query, kind: ErrorKind) {
        match q.origin {
            _ if ReadPath::owns(q) => self.reads.on_query_failed(now, q, kind, &mut self.tiers),
            Origin::NodeWarmup { node, entry } => self.node_warmup_failed(now, node, entry, q.key),
            // A write that failed was never committed: nothing changes.
            _ => {}
        }
    }
}
