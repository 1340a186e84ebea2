//! What `cachestorm diagnose` found and tried ([`super::diagnose::run`]): the result types of
//! checked advice, apart from the workflow that makes them so the reports that render them
//! ([`crate::report::html`], [`crate::report::diagnosis`]) need not import the workflow that
//! writes those reports.

use crate::diagnose::advice::Advice;
use crate::diagnose::{Diagnosis, Mode};
use crate::metrics::interval::Interval;
use crate::metrics::StudyResult;
use crate::scenario::Scenario;

/// A figure compared between the base and a mitigation over the replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    /// What it is: a column of `summary.csv`, or `db_queries_per_s`.
    pub metric: &'static str,
    /// Whether more of it is better.
    pub higher_is_better: bool,
    /// The base strategy's mean and interval.
    pub base: Interval,
    /// The mitigation's mean and interval.
    pub with: Interval,
    /// The paired difference, mitigation minus base.
    pub change: Interval,
}

impl Effect {
    /// `Some(true)` when the interval of the change lies wholly on the better side of 0,
    /// `Some(false)` wholly on the worse side, `None` when it holds 0.
    pub fn helps(&self) -> Option<bool> {
        if self.change.low() > 0.0 {
            Some(self.higher_is_better)
        } else if self.change.high() < 0.0 {
            Some(!self.higher_is_better)
        } else {
            None
        }
    }
}

/// What became of one suggested mitigation.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Tried: the effects on the finding's figure, then p99 (over the run and in the worst
    /// bucket), errors and database load.
    Tried(Vec<Effect>),
    /// Not tried, and why.
    NotTried(String),
}

/// One suggested mitigation and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// The mitigation and its default setting.
    pub advice: Advice,
    /// The findings it was suggested for (the first decides the figure).
    pub modes: Vec<Mode>,
    /// Tried with its effects, or why not.
    pub outcome: Outcome,
}

/// Everything `diagnose` found and tried.
#[derive(Clone, Debug)]
pub struct Report {
    /// The generated scenario that ran: the base strategy, then each mitigation tried.
    pub scenario: Scenario,
    /// The strategy diagnosed.
    pub base: String,
    /// Its diagnosis over the replications.
    pub diagnosis: Diagnosis,
    /// Every suggested mitigation, in the order of the findings.
    pub trials: Vec<Trial>,
    /// The runs: the base and every mitigation tried, each replication.
    pub study: StudyResult,
}
