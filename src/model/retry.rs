//! Clients that retry: how many attempts a request may make, how long a client waits before
//! the next one (backoff, with or without full jitter), which failures it retries, the retry
//! budget (a token bucket in the style of the AWS SDKs: a retry costs tokens, a success refunds
//! some) and the table of requests ("calls") whose attempts are in flight or waiting to retry.
//!
//! A call is what the client wants answered; an attempt is one try at it, admitted by the app
//! like any request. The call's latency runs from its first attempt's arrival; an attempt the
//! client gave up on (its timeout) goes on working unless the app cancels abandoned work.

use crate::engine::{SimDuration, SimTime};
use crate::observe::ErrorKind;

/// Who retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryLayer {
    /// The client sends the whole request again.
    Client,
    /// The app sends a failed database query again, within the same request (the client sees
    /// one slower answer); only database failures (`db_error`, `db_busy`) are retried.
    App,
}

/// How clients (or apps) retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryConfig {
    /// Who retries.
    pub by: RetryLayer,
    /// Attempts per request, the first one included (1: no retry).
    pub attempts: u32,
    /// Wait before each retry.
    pub backoff: Backoff,
    /// Full jitter: the wait is drawn uniformly from zero to the backoff's delay.
    pub jitter: bool,
    /// Which failures are retried.
    pub on: RetryOn,
    /// No retry starts later than this after the request arrived (`None`: no deadline).
    pub deadline: Option<SimDuration>,
    /// Token bucket that retries draw from (`None`: retries are never refused).
    pub budget: Option<RetryBudget>,
}

/// Wait before a retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backoff {
    /// Retry at once.
    None,
    /// The same wait before every retry.
    Fixed(SimDuration),
    /// `base` before the first retry, doubling before each next one, at most `max`.
    Exponential {
        /// Wait before the first retry.
        base: SimDuration,
        /// Longest wait.
        max: SimDuration,
    },
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry).
    pub fn delay(&self, retry: u32) -> SimDuration {
        match *self {
            Backoff::None => SimDuration::ZERO,
            Backoff::Fixed(d) => d,
            Backoff::Exponential { base, max } => {
                let doublings = retry.saturating_sub(1).min(63);
                SimDuration(base.0.saturating_mul(1u64 << doublings).min(max.0))
            }
        }
    }
}

/// Which failures of an attempt are retried; a failure not listed fails the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryOn {
    /// The client's timeout expired.
    pub timeout: bool,
    /// The app turned the attempt away (queue full) or shed it (queue time too long).
    pub overload: bool,
    /// A transient database error.
    pub db_error: bool,
    /// A database query was rejected (queue full) or waited past the queue timeout.
    pub db_busy: bool,
    /// A mitigation would not rebuild a key and had nothing stale to serve.
    pub fallback: bool,
}

impl RetryOn {
    /// Every failure is retried.
    pub const ALL: RetryOn = RetryOn {
        timeout: true,
        overload: true,
        db_error: true,
        db_busy: true,
        fallback: true,
    };

    /// Whether a failure of `kind` is retried.
    #[inline]
    pub fn retries(&self, kind: ErrorKind) -> bool {
        match kind {
            ErrorKind::Timeout => self.timeout,
            ErrorKind::Overload | ErrorKind::Shed => self.overload,
            ErrorKind::DbError => self.db_error,
            ErrorKind::DbRejected | ErrorKind::DbTimeout | ErrorKind::DbBreakerOpen => self.db_busy,
            ErrorKind::Fallback => self.fallback,
            // The client's own decision not to send: trying again at once would defeat it.
            ErrorKind::Throttled => false,
        }
    }
}

/// A retry budget: a bucket of tokens shared by all clients; a retry takes `cost` tokens and is
/// refused when fewer are left; every successful attempt puts `refund` back, up to `capacity`.
/// Over a long run retries are at most `refund / cost` per success (plus `capacity / cost`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudget {
    /// Tokens in a full bucket (it starts full).
    pub capacity: f64,
    /// Tokens one retry takes.
    pub cost: f64,
    /// Tokens a successful attempt gives back.
    pub refund: f64,
}

/// The budget's tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetState {
    tokens: f64,
}

impl BudgetState {
    /// A full bucket.
    pub fn new(budget: &RetryBudget) -> Self {
        BudgetState {
            tokens: budget.capacity,
        }
    }

    /// Takes the tokens for one retry, if there are enough.
    #[inline]
    pub fn take(&mut self, budget: &RetryBudget) -> bool {
        if self.tokens >= budget.cost {
            self.tokens -= budget.cost;
            true
        } else {
            false
        }
    }

    /// A successful attempt refunds its share.
    #[inline]
    pub fn refund(&mut self, budget: &RetryBudget) {
        self.tokens = (self.tokens + budget.refund).min(budget.capacity);
    }
}

/// No call (a request of a client that does not retry).
pub const NO_CALL: u32 = u32::MAX;

/// One request as the client sees it, across its attempts.
#[derive(Clone, Debug)]
pub struct Call {
    /// When its first attempt arrived.
    pub arrived: SimTime,
    /// Attempts started so far.
    pub attempts: u32,
    /// The keys every attempt reads.
    pub keys: Vec<u32>,
}

/// Calls in flight or waiting to retry. Slots are reused, so a steady load allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Calls {
    slots: Vec<Call>,
    free: Vec<u32>,
}

impl Calls {
    /// Opens a call arriving at `now` for `keys`; returns its slot.
    #[inline]
    pub fn open(&mut self, now: SimTime, keys: &[u32]) -> u32 {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Call {
                    arrived: now,
                    attempts: 0,
                    keys: Vec::with_capacity(keys.len()),
                });
                (self.slots.len() - 1) as u32
            }
        };
        let c = &mut self.slots[idx as usize];
        c.arrived = now;
        c.attempts = 0;
        c.keys.clear();
        c.keys.extend_from_slice(keys);
        idx
    }

    /// Call `call`.
    #[inline]
    pub fn get(&self, call: u32) -> &Call {
        &self.slots[call as usize]
    }

    /// Call `call`, to change.
    #[inline]
    pub fn get_mut(&mut self, call: u32) -> &mut Call {
        &mut self.slots[call as usize]
    }

    /// The call is answered or given up: its slot is free.
    #[inline]
    pub fn close(&mut self, call: u32) {
        self.free.push(call);
    }

    /// Bytes one call of `fanout` keys takes.
    pub fn bytes(fanout: u32) -> usize {
        std::mem::size_of::<Call>() + fanout as usize * std::mem::size_of::<u32>()
    }
}

/// What happens after an attempt of a call failed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AfterFailure {
    /// Try again after this wait.
    Retry(SimDuration),
    /// The failure is not retried, the attempts are spent or the deadline is near: the call
    /// fails.
    GiveUp,
    /// A retry was due but the budget refused it: the call fails.
    Refused,
}

impl RetryConfig {
    /// What follows a failure of `kind` at `now` of the `attempts`-th try at something that
    /// arrived at `arrived` (a client's call, or an app's query); `u` is a uniform draw in
    /// [0, 1) for jitter (drawn by the caller whatever the answer, so streams stay aligned), and
    /// the budget is charged if a retry follows.
    pub fn after_failure(
        &self,
        arrived: SimTime,
        attempts: u32,
        kind: ErrorKind,
        now: SimTime,
        u: f64,
        budget: Option<&mut BudgetState>,
    ) -> AfterFailure {
        if !self.on.retries(kind) || attempts >= self.attempts {
            return AfterFailure::GiveUp;
        }
        let full = self.backoff.delay(attempts);
        let wait = if self.jitter {
            SimDuration((full.0 as f64 * u) as u64)
        } else {
            full
        };
        if let Some(deadline) = self.deadline {
            if (now + wait).since(arrived) > deadline {
                return AfterFailure::GiveUp;
            }
        }
        if let (Some(b), Some(state)) = (self.budget.as_ref(), budget) {
            if !state.take(b) {
                return AfterFailure::Refused;
            }
        }
        AfterFailure::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn config(backoff: Backoff) -> RetryConfig {
        RetryConfig {
            by: RetryLayer::Client,
            attempts: 3,
            backoff,
            jitter: false,
            on: RetryOn::ALL,
            deadline: None,
            budget: None,
        }
    }

    #[test]
    fn exponential_backoff_doubles_up_to_its_cap() {
        let b = Backoff::Exponential {
            base: ms(100),
            max: ms(500),
        };
        let delays: Vec<u64> = (1..=5).map(|r| b.delay(r).0 / 1_000_000).collect();
        assert_eq!(delays, vec![100, 200, 400, 500, 500]);
        assert_eq!(
            b.delay(200),
            ms(500),
            "no overflow on a long run of retries"
        );
        assert_eq!(Backoff::Fixed(ms(7)).delay(9), ms(7));
        assert_eq!(Backoff::None.delay(1), SimDuration::ZERO);
    }

    #[test]
    fn attempts_kinds_jitter_and_deadline_bound_retries() {
        let c = config(Backoff::Fixed(ms(100)));
        let now = SimTime::ZERO;
        assert_eq!(
            c.after_failure(SimTime::ZERO, 1, ErrorKind::Timeout, now, 0.5, None),
            AfterFailure::Retry(ms(100))
        );
        assert_eq!(
            c.after_failure(SimTime::ZERO, 3, ErrorKind::Timeout, now, 0.5, None),
            AfterFailure::GiveUp,
            "three attempts made: spent"
        );
        let only_errors = RetryConfig {
            on: RetryOn {
                timeout: false,
                ..RetryOn::ALL
            },
            ..c
        };
        assert_eq!(
            only_errors.after_failure(SimTime::ZERO, 1, ErrorKind::Timeout, now, 0.5, None),
            AfterFailure::GiveUp
        );
        let jittered = RetryConfig { jitter: true, ..c };
        assert_eq!(
            jittered.after_failure(SimTime::ZERO, 1, ErrorKind::DbError, now, 0.25, None),
            AfterFailure::Retry(ms(25))
        );
        let deadline = RetryConfig {
            deadline: Some(ms(150)),
            ..c
        };
        assert_eq!(
            deadline.after_failure(
                SimTime::ZERO,
                1,
                ErrorKind::DbError,
                SimTime(ms(40).0),
                0.0,
                None
            ),
            AfterFailure::Retry(ms(100))
        );
        assert_eq!(
            deadline.after_failure(
                SimTime::ZERO,
                1,
                ErrorKind::DbError,
                SimTime(ms(60).0),
                0.0,
                None
            ),
            AfterFailure::GiveUp,
            "the retry would start past the deadline"
        );
    }

    #[test]
    fn the_budget_refuses_retries_once_spent_and_refills_with_successes() {
        let budget = RetryBudget {
            capacity: 10.0,
            cost: 5.0,
            refund: 1.0,
        };
        let c = RetryConfig {
            budget: Some(budget),
            ..config(Backoff::None)
        };
        let mut state = BudgetState::new(&budget);
        let now = SimTime::ZERO;
        for _ in 0..2 {
            assert_eq!(
                c.after_failure(
                    SimTime::ZERO,
                    1,
                    ErrorKind::Timeout,
                    now,
                    0.0,
                    Some(&mut state)
                ),
                AfterFailure::Retry(SimDuration::ZERO)
            );
        }
        assert_eq!(
            c.after_failure(
                SimTime::ZERO,
                1,
                ErrorKind::Timeout,
                now,
                0.0,
                Some(&mut state)
            ),
            AfterFailure::Refused
        );
        for _ in 0..4 {
            state.refund(&budget);
        }
        assert_eq!(
            c.after_failure(
                SimTime::ZERO,
                1,
                ErrorKind::Timeout,
                now,
                0.0,
                Some(&mut state)
            ),
            AfterFailure::Refused,
            "four refunds are not enough for a retry of cost 5"
        );
        state.refund(&budget);
        assert!(state.take(&budget));
        for _ in 0..100 {
            state.refund(&budget);
        }
        assert!(state.take(&budget) && state.take(&budget) && !state.take(&budget));
    }

    #[test]
    fn call_slots_are_reused() {
        let mut calls = Calls::default();
        let a = calls.open(SimTime(5), &[1, 2]);
        calls.get_mut(a).attempts = 2;
        calls.close(a);
        let b = calls.open(SimTime(9), &[3]);
        assert_eq!(a, b);
        assert_eq!(calls.get(b).keys, vec![3]);
        assert_eq!(calls.get(b).attempts, 0);
        assert_eq!(calls.get(b).arrived, SimTime(9));
    }
}
