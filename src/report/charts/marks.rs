//! Timeline marks: when each event of a strategy's timeline starts to act, and which strategies
//! of a scenario share a mark, so a chart marks an event only on the lines and panels it
//! concerns.
//!
//! An event's effect does not always start at its `at`: a deploy's warm-up starts `lead` before
//! the cut-over and its later waves follow at their interval, so each of those is a mark of its
//! own. The first mark of every event is `(at, label)` with the event's own
//! [`label`](crate::model::TimelineEvent::label), the same pair the scenario-wide timeline lists,
//! so a chart can tell the scenario's own marks (arrivals stopping for a drain) from those of
//! strategies' timelines. Where a strategy's events start to act is the model's to say
//! ([`ModelConfig::timeline_marks`](crate::model::ModelConfig::timeline_marks)); this module
//! decides where and in whose colours a chart draws them.

use plotters::style::RGBColor;

use super::*;

use crate::metrics::ScenarioResult;

/// A timeline mark on a chart: when, what, and whose.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct EventMark {
    /// Seconds from the start.
    pub(super) t: f64,
    pub(super) label: String,
    /// Indices of the strategies the mark belongs to; empty when it belongs to every strategy
    /// (or to the scenario, as arrivals stopping for a drain).
    pub(super) owners: Vec<usize>,
}

impl EventMark {
    /// Whether the mark is drawn on a panel of strategy `strategy` (`None`: a panel of every
    /// strategy's lines, which shows every mark).
    pub(super) fn on_panel(&self, strategy: Option<usize>) -> bool {
        match strategy {
            None => true,
            Some(s) => self.owners.is_empty() || self.owners.contains(&s),
        }
    }

    /// The colour of the label, and of the line on a panel of every strategy's lines: grey for a
    /// mark of every strategy, the owner's colour for a mark of one.
    pub(super) fn color(&self) -> RGBColor {
        match self.owners.as_slice() {
            [one] => strategy_color(*one),
            _ => EVENT_COLOR,
        }
    }

    /// The colours of the line on a panel of every strategy's lines: its dashes take the
    /// owners' colours in turn (grey for a mark of every strategy).
    pub(super) fn line_colors(&self) -> Vec<RGBColor> {
        if self.owners.is_empty() {
            vec![EVENT_COLOR]
        } else {
            self.owners.iter().map(|&i| strategy_color(i)).collect()
        }
    }
}

/// The marks of a chart ending at `x_max` seconds, in time order: a mark every strategy has once
/// for all; a mark only some have once, with those strategies as owners; and the scenario's own
/// marks (those of the scenario-wide timeline that no strategy lists, as arrivals stopping for a
/// drain) for all. Results without per-strategy marks (every list empty) fall back to the
/// scenario-wide timeline, for all.
pub(super) fn chart_marks(result: &ScenarioResult, x_max: f64) -> Vec<EventMark> {
    let n = result.strategies.len();
    let mut marks: Vec<EventMark> = Vec::new();
    let mut add = |t: f64, label: &str, owner: Option<usize>| match marks
        .iter_mut()
        .find(|m| m.t == t && m.label == label)
    {
        Some(m) => {
            if let Some(i) = owner {
                if !m.owners.contains(&i) {
                    m.owners.push(i);
                }
            }
        }
        None => marks.push(EventMark {
            t,
            label: label.to_owned(),
            owners: owner.into_iter().collect(),
        }),
    };
    for (i, s) in result.strategies.iter().enumerate() {
        for (t, label) in &s.marks {
            add(*t, label, Some(i));
        }
    }
    let listed = |t: f64, label: &str| {
        result
            .strategies
            .iter()
            .any(|s| s.marks.iter().any(|(mt, ml)| *mt == t && ml == label))
    };
    for (t, label) in &result.timeline {
        if !listed(*t, label) {
            add(*t, label, None);
        }
    }
    for m in &mut marks {
        m.owners.sort_unstable();
        if m.owners.len() == n {
            m.owners.clear();
        }
    }
    marks.retain(|m| m.t.is_finite() && m.t >= 0.0 && m.t <= x_max);
    // Stable: marks at one time keep the order they were found in.
    marks.sort_by(|a, b| a.t.total_cmp(&b.t));
    marks
}

/// The legend's note on coloured event lines, when a chart of every strategy's lines has a
/// mark that only some strategies have.
pub(super) const OWN_EVENTS_NOTE: &str =
    "An event line in a strategy's colour marks that strategy's own timeline";
