//! The clients' side of a request: arrivals admitted (or turned away) by the app, clients
//! giving up, retries after a backoff, and the end of an attempt, which frees its worker for
//! the next queued request unless that one is to be discarded or shed.

use super::ReadPath;
use crate::engine::SimTime;
use crate::model::app::Admission as AppAdmission;
use crate::model::clients::ClientEvent;
use crate::model::event::{lane, Event};
use crate::model::request::State;
use crate::model::retry::{AfterFailure, RetryLayer, NO_CALL};
use crate::model::tiers::Tiers;
use crate::observe::{ErrorKind, Observer};
use rand::Rng;

impl ReadPath {
    /// Whether an arrival at `now` may be admitted: with `limits.max_in_flight` requests in
    /// flight the run diverged, and the truncation says where the backlog is.
    #[inline]
    pub fn admits_arrival<O: Observer>(&self, now: SimTime, t: &mut Tiers<'_, O>) -> bool {
        if self.requests.in_flight() >= self.settings.max_in_flight {
            t.truncation = Some(self.divergence(now, &t.db));
            return false;
        }
        true
    }

    /// A request arrived with the keys the workload just drew ([`Tiers::workload`]): its
    /// client sends the first attempt.
    #[inline]
    pub fn on_arrival<O: Observer>(&mut self, now: SimTime, t: &mut Tiers<'_, O>) {
        t.observer.request_arrived();
        if self
            .settings
            .retries
            .is_some_and(|r| r.by == RetryLayer::Client)
        {
            let call = self.calls.open(now, t.workload.keys());
            self.start_attempt(now, call, t);
        } else {
            self.admit_attempt(now, NO_CALL, t);
        }
    }

    /// The client of `call` sends an attempt.
    #[inline(never)]
    fn start_attempt<O: Observer>(&mut self, now: SimTime, call: u32, t: &mut Tiers<'_, O>) {
        let c = self.calls.get_mut(call);
        c.attempts += 1;
        if c.attempts > 1 {
            t.observer.retry_started();
        }
        self.admit_attempt(now, call, t);
    }

    /// An attempt at `call` (or at the arrival just drawn, without retries): an app instance
    /// takes it, queues it or turns it away.
    #[inline(always)]
    fn admit_attempt<O: Observer>(&mut self, now: SimTime, call: u32, t: &mut Tiers<'_, O>) {
        if self.throttle.is_some() && !self.throttle_admits(now) {
            // Rejected by the client itself (for a retry, the call's arrival is used).
            self.attempt_failed(now, call, ErrorKind::Throttled, now, t);
            return;
        }
        let instance = self.app.route();
        let admission = self.app.admit(instance);
        if admission == AppAdmission::Reject {
            // Turned away on arrival (or, for a retry, the call's arrival is used).
            self.attempt_failed(now, call, ErrorKind::Overload, now, t);
            return;
        }
        let keys = if call == NO_CALL {
            t.workload.keys()
        } else {
            &self.calls.get(call).keys
        };
        let req = self.requests.admit(now, instance, keys);
        if call != NO_CALL {
            self.requests.get_mut(req).call = call;
        }
        if let Some(timeout) = self.settings.client_timeout {
            let gen = self.requests.get(req).gen;
            t.events.schedule_in_lane(
                lane::CLIENT_TIMEOUT,
                now + timeout,
                Event::Client(ClientEvent::GiveUp { req, gen }),
            );
        }
        if admission == AppAdmission::Start {
            self.start_request(now, req, t);
        } else {
            self.requests.get_mut(req).state = State::Queued;
            self.app.enqueue(instance, req, now);
        }
    }

    /// Adaptive throttling: whether the clients send an attempt made at `now`.
    #[inline(never)]
    fn throttle_admits(&mut self, now: SimTime) -> bool {
        let config = self
            .settings
            .adaptive_throttling
            .expect("a throttle is kept only with adaptive throttling");
        let u: f64 = self.throttle_rng.random();
        self.throttle
            .as_mut()
            .is_none_or(|t| t.admit(&config, now, u))
    }

    /// An attempt was answered successfully in time at `now`: with adaptive throttling, the
    /// service accepted it.
    #[inline]
    fn note_accepted(&mut self, now: SimTime) {
        if let (Some(t), Some(config)) = (self.throttle.as_mut(), self.settings.adaptive_throttling)
        {
            t.accepted(&config, now);
        }
    }

    /// The client of request `req` (generation `gen`) stops waiting for it; the work goes on
    /// unless the app cancels abandoned work.
    pub(super) fn on_give_up<O: Observer>(
        &mut self,
        now: SimTime,
        req: u32,
        gen: u32,
        t: &mut Tiers<'_, O>,
    ) {
        if self.requests.give_up(req, gen) {
            let r = self.requests.get(req);
            let (call, arrived) = (r.call, r.arrived);
            self.attempt_failed(now, call, ErrorKind::Timeout, arrived, t);
        }
    }

    /// The client of `call` tries again after its backoff.
    #[inline(never)]
    pub(super) fn on_retry<O: Observer>(&mut self, now: SimTime, call: u32, t: &mut Tiers<'_, O>) {
        if self.requests.in_flight() >= self.settings.max_in_flight {
            // The run stops here: the call still waits to retry, so it counts as unfinished.
            t.truncation = Some(self.divergence(now, &t.db));
            return;
        }
        self.retrying -= 1;
        self.start_attempt(now, call, t);
    }

    /// An attempt failed with `kind` while its client waited: the client retries after a
    /// backoff, or the request fails. `arrived` is when the request arrived (without retries;
    /// a call knows its own).
    #[inline(never)]
    fn attempt_failed<O: Observer>(
        &mut self,
        now: SimTime,
        call: u32,
        kind: ErrorKind,
        arrived: SimTime,
        t: &mut Tiers<'_, O>,
    ) {
        let Some(retries) = self.settings.retries.filter(|_| call != NO_CALL) else {
            t.observer.request_failed(kind, arrived);
            return;
        };
        let u = if retries.jitter {
            self.retry_rng.random::<f64>()
        } else {
            0.0
        };
        let budget = self.budget.as_mut();
        let c = self.calls.get(call);
        match retries.after_failure(c.arrived, c.attempts, kind, now, u, budget) {
            AfterFailure::Retry(wait) => {
                self.retrying += 1;
                t.events
                    .schedule(now + wait, Event::Client(ClientEvent::Retry { call }));
            }
            AfterFailure::GiveUp => {
                t.observer.request_failed(kind, c.arrived);
                self.calls.close(call);
            }
            AfterFailure::Refused => {
                let arrived = c.arrived;
                t.observer.retry_refused();
                t.observer.request_failed(kind, arrived);
                self.calls.close(call);
            }
        }
    }

    /// Every key of request `req` is answered: its client hears (if it still waits), its worker
    /// takes the next queued request.
    #[inline]
    pub(super) fn finish_request<O: Observer>(
        &mut self,
        now: SimTime,
        req: u32,
        t: &mut Tiers<'_, O>,
    ) {
        let r = self.requests.get(req);
        let (instance, error, arrived, call) = (r.instance, r.error, r.arrived, r.call);
        let all_hit = r.keys.iter().all(|s| s.fresh_hit);
        if call != NO_CALL {
            self.finish_attempt(now, req, call, all_hit, t);
        } else {
            if all_hit {
                t.observer.request_all_hit(arrived);
            }
            if self.requests.answer(req) {
                match error {
                    None => {
                        if self.requests.get(req).degraded {
                            t.observer.request_degraded();
                        }
                        self.note_accepted(now);
                        t.observer.request_completed(now.since(arrived))
                    }
                    Some(kind) => t.observer.request_failed(kind, arrived),
                }
            } else if error.is_none() {
                t.observer.attempt_late();
            }
        }
        self.requests.free(req);
        self.app.release(instance);
        self.take_next_queued(now, instance, t);
    }

    /// Attempt `req` at `call` finished: the call succeeds, or the client may retry.
    #[inline(never)]
    fn finish_attempt<O: Observer>(
        &mut self,
        now: SimTime,
        req: u32,
        call: u32,
        all_hit: bool,
        t: &mut Tiers<'_, O>,
    ) {
        let error = self.requests.get(req).error;
        if !self.requests.answer(req) {
            if error.is_none() {
                t.observer.attempt_late();
            }
            return;
        }
        match error {
            None => {
                if all_hit {
                    let first = self.calls.get(call).arrived;
                    t.observer.request_all_hit(first);
                }
                if self.requests.get(req).degraded {
                    t.observer.request_degraded();
                }
                if let (Some(state), Some(b)) = (
                    self.budget.as_mut(),
                    self.settings.retries.and_then(|r| r.budget),
                ) {
                    state.refund(&b);
                }
                let first = self.calls.get(call).arrived;
                self.note_accepted(now);
                t.observer.request_completed(now.since(first));
                self.calls.close(call);
            }
            Some(kind) => {
                let arrived = self.calls.get(call).arrived;
                self.attempt_failed(now, call, kind, arrived, t)
            }
        }
    }

    /// A worker of `instance` is free: it takes the next queued request whose client still
    /// waits and that has not waited past the shedding limit; the others leave the queue.
    #[inline]
    fn take_next_queued<O: Observer>(&mut self, now: SimTime, instance: u32, t: &mut Tiers<'_, O>) {
        let discard = self.settings.discard_abandoned;
        if !self.app.sheds() {
            while let Some(next) = self.app.next_queued(instance) {
                if discard && self.requests.get(next).abandoned {
                    self.requests.free(next);
                    continue;
                }
                self.start_request(now, next, t);
                break;
            }
            return;
        }
        self.take_next_queued_or_shed(now, instance, t);
    }

    /// [`Self::take_next_queued`] with LIFO order or a shedding limit.
    #[inline(never)]
    fn take_next_queued_or_shed<O: Observer>(
        &mut self,
        now: SimTime,
        instance: u32,
        t: &mut Tiers<'_, O>,
    ) {
        let discard = self.settings.discard_abandoned;
        while let Some(next) = self.app.next_queued(instance) {
            let r = self.requests.get(next);
            if discard && r.abandoned {
                self.requests.free(next);
                continue;
            }
            let waited = now.since(r.arrived);
            if self
                .app
                .queue_time_limit(instance, now)
                .is_some_and(|limit| waited > limit)
            {
                self.shed(now, next, t);
                continue;
            }
            self.start_request(now, next, t);
            break;
        }
        if self.app.is_lifo() {
            // The oldest requests are the last a worker would reach: those no one waits for,
            // or that waited past the limit, leave now rather than fill the queue.
            let limit = self.app.queue_time_limit(instance, now);
            while let Some(old) = self.app.drop_oldest_if(instance, |o| {
                let r = self.requests.get(o);
                (discard && r.abandoned) || limit.is_some_and(|l| now.since(r.arrived) > l)
            }) {
                if self.requests.get(old).abandoned {
                    self.requests.free(old);
                } else {
                    self.shed(now, old, t);
                }
            }
        }
    }

    /// Request `req` waited for a worker past the shedding limit: it fails without being served.
    fn shed<O: Observer>(&mut self, now: SimTime, req: u32, t: &mut Tiers<'_, O>) {
        let r = self.requests.get(req);
        let (call, arrived) = (r.call, r.arrived);
        let awaited = self.requests.answer(req);
        self.requests.free(req);
        if awaited {
            self.attempt_failed(now, call, ErrorKind::Shed, arrived, t);
        }
    }
}
