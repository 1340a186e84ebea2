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
    /// Owners whose lines this chart greys (see `highlight`): their share of the mark is grey.
    pub(super) greyed: Vec<usize>,
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
            [one] => self.owner_color(*one),
            _ => EVENT_COLOR,
        }
    }

    /// The colour of owner `i`'s share of the mark: its strategy's, or grey where the chart
    /// greys its lines.
    fn owner_color(&self, i: usize) -> RGBColor {
        if self.greyed.contains(&i) {
            greyed_color(i)
        } else {
            strategy_color(i)
        }
    }

    /// The colours of the line on a panel of every strategy's lines: its dashes take the
    /// owners' colours in turn (grey for a mark of every strategy).
    pub(super) fn line_colors(&self) -> Vec<RGBColor> {
        if self.owners.is_empty() {
            vec![EVENT_COLOR]
        } else {
            self.owners.iter().map(|&i| self.owner_color(i)).collect()
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
            greyed: Vec::new(),
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

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn timeline_marks_start_where_each_event_acts() {
        let text = r#"
name = "marked"
seed = 1
duration = "60s"
bucket = "1s"
[clients]
rps = 100
keyspace = 100
[app]
instances = 3
[cache]
ttl = "30s"
[db]
slots = 2
service = "5ms"
[[timeline]]
at = "0s"
action = "preload"
[[timeline]]
at = "20s"
action = "deploy"
[[strategies]]
name = "at-once"
[[strategies]]
name = "waves"
timeline = [
  { at = "0s", action = "preload" },
  { at = "30s", action = "flush" },
  { at = "20s", action = "deploy", waves = 3, wave_interval = "10s", warmup_top = 10, warmup_rate = 10, warmup_lead = "5s" },
]
"#;
        let scenario = crate::scenario::parse(text, std::path::Path::new("marked.toml")).unwrap();
        let marks = |i: usize| scenario.strategies[i].config.timeline_marks();
        let owned = |marks: Vec<(f64, String)>| {
            marks
                .into_iter()
                .map(|(t, l)| (t, l.leak() as &str))
                .collect::<Vec<_>>()
        };
        assert_eq!(owned(marks(0)), [(0.0, "preload all"), (20.0, "deploy")]);
        // The warm-up starts before the cut-over, later waves follow it; the first mark of every
        // event is the one the scenario-wide timeline lists, and marks at one time keep the order
        // of their events in the (sorted) timeline.
        assert_eq!(
            owned(marks(1)),
            [
                (0.0, "preload all"),
                (15.0, "warm-up starts"),
                (20.0, "deploy (3 waves)"),
                (30.0, "wave 2/3"),
                (30.0, "flush"),
                (40.0, "wave 3/3"),
            ]
        );
    }

    #[test]
    fn marks_are_only_on_the_strategies_that_have_them() {
        let result = marked_sample();
        let marks = chart_marks(&result, x_extent(&result));
        let owners: Vec<(&str, Vec<usize>)> = marks
            .iter()
            .map(|m| (m.label.as_str(), m.owners.clone()))
            .collect();
        // Marks of every strategy and the scenario's own (the drain) belong to all.
        assert_eq!(
            owners,
            [
                ("preload all", vec![]),
                ("warm-up starts", vec![1]),
                ("flush", vec![0]),
                ("deploy (2 waves)", vec![1]),
                ("wave 2/2", vec![1]),
                ("arrivals stop (drain)", vec![]),
            ]
        );

        // Small multiples: a panel shows its strategy's marks and those of all, in grey.
        let figure = build_figure(Kind::LatencyByStrategy, &result);
        let xs: Vec<i32> = (0..marks.len() as i32).map(|k| 100 * k).collect();
        let none = vec![None; marks.len()];
        let drawn = |panel: usize, tops: &[Option<i32>]| {
            event_lines(&figure.events, &xs, tops, &figure.panels[panel], 40)
                .into_iter()
                .filter(|l| l.bottom.is_none())
                .map(|l| (l.x / 100, l.colors))
                .collect::<Vec<_>>()
        };
        let grey = || vec![EVENT_COLOR];
        assert_eq!(drawn(0, &none), [(0, grey()), (2, grey()), (5, grey())]);
        assert_eq!(
            drawn(1, &none),
            [
                (0, grey()),
                (1, grey()),
                (3, grey()),
                (4, grey()),
                (5, grey())
            ]
        );
        // The top panel joins the label of a mark it does not have to the band only.
        let tops = vec![Some(10); marks.len()];
        let joins: Vec<i32> = event_lines(&figure.events, &xs, &tops, &figure.panels[0], 40)
            .into_iter()
            .filter(|l| l.bottom == Some(40))
            .map(|l| l.x / 100)
            .collect();
        assert_eq!(joins, [1, 3, 4]);
        assert!(figure.legend.iter().all(|e| e.text != OWN_EVENTS_NOTE));

        // Overlaid: every mark, those of one strategy in its colour, and the legend says so.
        let overlaid = build_figure(Kind::Latency, &result);
        let lines = event_lines(&overlaid.events, &xs, &none, &overlaid.panels[0], 40);
        let colors: Vec<Vec<RGBColor>> = lines.into_iter().map(|l| l.colors).collect();
        assert_eq!(
            colors,
            [
                grey(),
                vec![strategy_color(1)],
                vec![strategy_color(0)],
                vec![strategy_color(1)],
                vec![strategy_color(1)],
                grey(),
            ]
        );
        assert_eq!(overlaid.events[2].color(), strategy_color(0));
        assert!(overlaid.legend.iter().any(|e| e.text == OWN_EVENTS_NOTE));

        // A mark two strategies of three share takes both colours in turn.
        let mut three = marked_sample();
        three.strategies.push(StrategyResult {
            name: "third".to_owned(),
            ..three.strategies[1].clone()
        });
        let marks = chart_marks(&three, x_extent(&three));
        let wave = marks.iter().find(|m| m.label == "wave 2/2").unwrap();
        assert_eq!(wave.owners, [1, 2]);
        assert_eq!(wave.line_colors(), [strategy_color(1), strategy_color(2)]);
        assert_eq!(wave.color(), EVENT_COLOR);

        // Without per-strategy marks (older results), the scenario-wide list is for all.
        let plain = sample();
        assert!(chart_marks(&plain, x_extent(&plain))
            .iter()
            .all(|m| m.owners.is_empty()));
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            render_all(&result, format).unwrap();
        }
    }
}
