//! The recovery verdict: whether a figure (goodput by default) came back to its level before
//! the first disturbing event of the timeline, when, and whether the system stayed down after
//! the disturbance was over (metastable).
//!
//! The rule, with the parameters of [`RecoveryRule`] (the scenario's `[recovery]` section):
//! - **Level and spread.** The whole buckets in the second half of the time before the first
//!   disturbing event (after any cold start) give the level `L` (the mean of the figure) and
//!   its spread per bucket `σ`: the larger of their observed standard deviation and the
//!   sampling noise of one bucket (Poisson for goodput: `√(L·w)/w` for buckets of `w`
//!   seconds; binomial for the error ratio at the mean arrivals per bucket).
//! - **Band.** The figure is smoothed over `hold` (a whole number of buckets, `h`): the mean of
//!   every window of `h` consecutive whole buckets. A window is *out* when it is worse than
//!   the level (goodput below it, error ratio or latency above it) by more than
//!   `band · σ / √h + tolerance · L`; better than the level is never out (a backlog drained
//!   after the disturbance completes more than the level).
//! - **Recovered** when, from some whole bucket starting at or after the end of the last
//!   disturbance, every window up to the end of the run is in the band; `recovery_s` is the
//!   time from the end of the disturbance to the start of that bucket (0: at once).
//! - **Metastable** when not recovered although the disturbance is over (every node killed was
//!   restored, every slow or lossy spell ended, any rate change finished its ramp) and the
//!   offered load of the last `h` buckets is back at its level before the disturbance (arrivals per second not above it beyond the same band).
//! - **Not applicable** without a disturbing event, without a whole bucket before it, without
//!   goodput there, or when the run ends less than `h` whole buckets after the disturbance.

use super::BucketRow;

/// The figure whose recovery is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryMetric {
    /// Requests answered successfully per second (lower is worse).
    Goodput,
    /// Failed requests over arrivals (higher is worse).
    ErrorRatio,
    /// The bucket's p99 latency (higher is worse).
    P99Latency,
}

impl RecoveryMetric {
    /// Every metric with its name in a scenario file.
    pub const ALL: [(RecoveryMetric, &'static str); 3] = [
        (RecoveryMetric::Goodput, "goodput"),
        (RecoveryMetric::ErrorRatio, "error_ratio"),
        (RecoveryMetric::P99Latency, "p99_latency"),
    ];

    /// The name in a scenario file.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("goodput", |(_, n)| n)
    }

    fn value(self, b: &BucketRow) -> f64 {
        match self {
            RecoveryMetric::Goodput => b.goodput(),
            RecoveryMetric::ErrorRatio => {
                if b.arrived == 0 {
                    0.0
                } else {
                    b.errors() as f64 / b.arrived as f64
                }
            }
            RecoveryMetric::P99Latency => b.latency.p99_ms,
        }
    }

    /// How much worse than `level` a value is (positive: worse).
    fn worse_by(self, value: f64, level: f64) -> f64 {
        match self {
            RecoveryMetric::Goodput => level - value,
            RecoveryMetric::ErrorRatio | RecoveryMetric::P99Latency => value - level,
        }
    }
}

/// How the verdict is reached (the scenario's `[recovery]` section).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecoveryRule {
    /// The figure judged.
    pub metric: RecoveryMetric,
    /// Half-width of the band in standard deviations of the smoothed figure.
    pub band: f64,
    /// Added to the band's half-width, relative to the level (0.02: 2% more); 0 by default,
    /// the band is the noise alone.
    pub tolerance: f64,
    /// Smoothing window and hold, in seconds (rounded up to whole buckets, at least one).
    pub hold_s: f64,
}

impl Default for RecoveryRule {
    fn default() -> Self {
        RecoveryRule {
            metric: RecoveryMetric::Goodput,
            band: 4.0,
            tolerance: 0.0,
            hold_s: 5.0,
        }
    }
}

/// The disturbances of a timeline, as the verdict needs them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Disturbance {
    /// The first disturbing event, in seconds.
    pub first_s: f64,
    /// When the last disturbance ended (its event, or the end of its spell or ramp).
    pub end_s: f64,
    /// Whether every disturbance is over by the end of the run (no node left dead).
    pub removed: bool,
}

/// The verdict of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    /// Seconds from the end of the disturbance until the figure is back for good; infinite if
    /// it never comes back within the run.
    pub recovery_s: f64,
    /// Not recovered although the disturbance is over and the offered load is back.
    pub metastable: bool,
}

impl Recovery {
    /// Whether the figure came back within the run.
    pub fn recovered(&self) -> bool {
        self.recovery_s.is_finite()
    }
}

const EPS: f64 = 1e-9;

/// The verdict for `buckets` of a run of `duration_s` disturbed as `d` says, under `rule`.
/// `None` when it does not apply (no whole bucket before the disturbance, no goodput there, or
/// fewer than `hold` whole buckets after it).
pub fn verdict(
    buckets: &[BucketRow],
    d: Disturbance,
    duration_s: f64,
    rule: &RecoveryRule,
) -> Option<Recovery> {
    let width = buckets.first()?.width_s;
    let whole: Vec<&BucketRow> = buckets
        .iter()
        .filter(|b| (b.width_s - width).abs() < EPS && b.start_s + b.width_s <= duration_s + EPS)
        .collect();
    let base = Baseline::of(&whole, width, d, rule)?;
    let h = base.h;
    let after: Vec<&BucketRow> = whole
        .iter()
        .copied()
        .filter(|b| b.start_s + EPS >= d.end_s)
        .collect();
    if after.len() < h {
        // The run ends too soon after the disturbance for a verdict.
        return None;
    }
    // Windows of h buckets, by their first bucket; the last starts h - 1 before the end.
    let out: Vec<bool> = (0..=after.len() - h)
        .map(|i| base.out(&after[i..i + h]))
        .collect();
    // The first window of the stretch of windows in the band that lasts to the end.
    let from = out.iter().rposition(|&o| o).map_or(0, |i| i + 1);
    if from < out.len() {
        return Some(Recovery {
            recovery_s: (after[from].start_s - d.end_s).max(0.0),
            metastable: false,
        });
    }
    // Not recovered: metastable if the disturbance is over, with time to recover, and the
    // offered load is back at its level.
    Some(Recovery {
        recovery_s: f64::INFINITY,
        metastable: d.removed && base.load_back(&after[after.len() - h..]),
    })
}

/// What the figure is judged against: its level before the disturbance and the band around
/// it, and the same for the offered load.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Baseline {
    metric: RecoveryMetric,
    /// Buckets in a window (the hold).
    h: usize,
    level: f64,
    /// Half-width of the band of a window's mean.
    band: f64,
    /// Arrivals per second before the disturbance, and the band of a window's mean.
    load_level: f64,
    load_band: f64,
}

impl Baseline {
    /// The baseline from the `whole` buckets (of `width` seconds) of a run (those of the second half of the time
    /// before the disturbance are used); `None` without one of them or without goodput there.
    fn of(
        whole: &[&BucketRow],
        width: f64,
        d: Disturbance,
        rule: &RecoveryRule,
    ) -> Option<Baseline> {
        let before: Vec<&BucketRow> = whole
            .iter()
            .copied()
            .filter(|b| b.start_s + EPS >= d.first_s / 2.0)
            .filter(|b| b.start_s + b.width_s <= d.first_s + EPS)
            .collect();
        if before.is_empty() || mean(before.iter().map(|b| b.goodput())) <= 0.0 {
            return None;
        }
        let h = ((rule.hold_s / width - EPS).ceil() as usize).max(1);
        let metric = rule.metric;
        let level = mean(before.iter().map(|b| metric.value(b)));
        let noise = match metric {
            RecoveryMetric::Goodput => (level * width).sqrt() / width,
            RecoveryMetric::ErrorRatio => {
                // Laplace's estimate keeps the noise of a level of 0 above 0.
                let errors: u64 = before.iter().map(|b| b.errors()).sum();
                let arrived: u64 = before.iter().map(|b| b.arrived).sum();
                let p = (errors as f64 + 1.0) / (arrived as f64 + 2.0);
                let per_bucket = (arrived as f64 / before.len() as f64).max(1.0);
                (p * (1.0 - p) / per_bucket).sqrt()
            }
            RecoveryMetric::P99Latency => 0.0,
        };
        let sigma = stdev(before.iter().map(|b| metric.value(b))).max(noise);
        let band = rule.band * sigma / (h as f64).sqrt() + rule.tolerance * level.abs();
        let load_level = mean(before.iter().map(|b| b.arrived as f64 / b.width_s));
        let load_band = rule.band * (load_level * width).sqrt() / width / (h as f64).sqrt()
            + rule.tolerance * load_level;
        Some(Baseline {
            metric,
            h,
            level,
            band,
            load_level,
            load_band,
        })
    }

    /// Whether the window of buckets `w` is out of the band (worse than the level by more
    /// than its half-width).
    fn out(&self, w: &[&BucketRow]) -> bool {
        let m = mean(w.iter().map(|b| self.metric.value(b)));
        self.metric.worse_by(m, self.level) > self.band
    }

    /// Whether the offered load of the buckets `w` is back at its level.
    fn load_back(&self, w: &[&BucketRow]) -> bool {
        mean(w.iter().map(|b| b.arrived as f64 / b.width_s)) <= self.load_level + self.load_band
    }
}

/// Follows a run's recovery bucket by bucket and says when its verdict (reached on the run cut
/// there) can no longer change, so that a phase map's run can stop: once the figure has been
/// back in the band for `hold` (`h` consecutive windows in the band, every one of whole
/// buckets after the end of the disturbance), or once the horizon is reached.
///
/// Cut there, [`verdict`] says recovered at the start of that stretch; a run that would dip
/// again later is counted recovered, which is what a phase map asks (did it come back and
/// hold), not what a whole run's verdict says (back to the end of the run).
#[derive(Clone, Debug)]
pub struct Watch {
    d: Disturbance,
    rule: RecoveryRule,
    /// End of the last bucket a run goes to, seconds.
    horizon_s: f64,
    /// Known once the buckets before the disturbance are closed; `Some(None)`: no verdict
    /// applies, the run goes to its horizon.
    base: Option<Option<Baseline>>,
    /// Whole buckets closed after the end of the disturbance.
    after: usize,
    /// Consecutive windows in the band, up to the last bucket closed.
    held: usize,
    done: bool,
}

impl Watch {
    /// Follows a run disturbed as `d` says, judged by `rule`, to stop at `horizon_s` at the
    /// latest (seconds from the start of the run).
    pub fn new(d: Disturbance, rule: RecoveryRule, horizon_s: f64) -> Watch {
        Watch {
            d,
            rule,
            horizon_s,
            base: None,
            after: 0,
            held: 0,
            done: false,
        }
    }

    /// The last of `rows` (every bucket of the run so far) was closed.
    pub fn bucket_closed(&mut self, rows: &[BucketRow]) {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return;
        };
        let width = first.width_s;
        let end_s = last.start_s + last.width_s;
        if end_s + EPS >= self.horizon_s {
            self.done = true;
        }
        if (last.width_s - width).abs() >= EPS {
            return;
        }
        if self.base.is_none() && end_s + EPS >= self.d.first_s {
            let whole: Vec<&BucketRow> = rows
                .iter()
                .filter(|b| (b.width_s - width).abs() < EPS)
                .collect();
            self.base = Some(Baseline::of(&whole, width, self.d, &self.rule));
        }
        let Some(Some(base)) = self.base else {
            return;
        };
        if last.start_s + EPS < self.d.end_s {
            return;
        }
        self.after += 1;
        if self.after < base.h {
            return;
        }
        let window: Vec<&BucketRow> = rows[rows.len() - base.h..].iter().collect();
        if base.out(&window) {
            self.held = 0;
        } else {
            self.held += 1;
        }
        if self.held >= base.h {
            self.done = true;
        }
    }

    /// Whether the verdict can no longer change: the run may stop.
    pub fn done(&self) -> bool {
        self.done
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Sample standard deviation (0 for fewer than two values).
fn stdev(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count();
    if n < 2 {
        return 0.0;
    }
    let m = mean(values.clone());
    (values.map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(goodput: &[u64]) -> Vec<BucketRow> {
        goodput
            .iter()
            .enumerate()
            .map(|(i, &g)| BucketRow {
                start_s: i as f64,
                width_s: 1.0,
                arrived: 100,
                completed: g,
                ..BucketRow::default()
            })
            .collect()
    }

    fn at(first_s: f64, end_s: f64) -> Disturbance {
        Disturbance {
            first_s,
            end_s,
            removed: true,
        }
    }

    /// Goodput only, held one bucket, no noise band: the old rule without its 10% margin.
    fn strict(tolerance: f64, hold_s: f64) -> RecoveryRule {
        RecoveryRule {
            band: 0.0,
            tolerance,
            hold_s,
            ..RecoveryRule::default()
        }
    }

    #[test]
    fn recovery_starts_where_goodput_comes_back_for_good() {
        // Level 100 before the disturbance at 4 s (buckets 2 and 3); down, a false start,
        // back at 9.
        let b = rows(&[0, 50, 100, 100, 10, 10, 95, 10, 10, 92, 99, 100]);
        let r = verdict(&b, at(4.0, 4.0), 12.0, &strict(0.1, 1.0)).unwrap();
        assert_eq!(r.recovery_s, 5.0);
        // Measured from the end of the disturbance.
        let r = verdict(&b, at(4.0, 6.0), 12.0, &strict(0.1, 1.0)).unwrap();
        assert_eq!(r.recovery_s, 3.0);
        // Smoothed over 3 buckets the false start at 6 s is a dip, and so is the window
        // holding the two buckets of 10 that follow it.
        let r = verdict(&b, at(4.0, 4.0), 12.0, &strict(0.1, 3.0)).unwrap();
        assert_eq!(r.recovery_s, 5.0);
    }

    #[test]
    fn never_not_applicable_and_metastable_are_told_apart() {
        let b = rows(&[100, 100, 100, 100, 10, 10, 10, 80]);
        let r = verdict(&b, at(4.0, 4.0), 8.0, &strict(0.1, 1.0)).unwrap();
        assert!(!r.recovered() && r.metastable, "{r:?}");
        let kept = Disturbance {
            removed: false,
            ..at(4.0, 4.0)
        };
        let r = verdict(&b, kept, 8.0, &strict(0.1, 1.0)).unwrap();
        assert!(
            !r.recovered() && !r.metastable,
            "a node still dead: not metastable"
        );
        assert_eq!(verdict(&b, at(0.0, 0.0), 8.0, &strict(0.1, 1.0)), None);
        let idle = rows(&[0, 0, 0, 0, 5]);
        assert_eq!(verdict(&idle, at(4.0, 4.0), 5.0, &strict(0.1, 1.0)), None);
        // A run that never drops recovers at once.
        let flat = rows(&[100; 8]);
        let r = verdict(&flat, at(4.0, 4.0), 8.0, &strict(0.1, 1.0)).unwrap();
        assert_eq!(r.recovery_s, 0.0);
        // Less than a window after the disturbance: too soon for a verdict.
        let short = rows(&[100, 100, 100, 100, 100]);
        assert_eq!(verdict(&short, at(4.0, 4.0), 5.0, &strict(0.1, 3.0)), None);
    }

    /// Feeds `b` to a watch bucket by bucket; the number of buckets closed when it said done.
    fn watched(
        b: &[BucketRow],
        d: Disturbance,
        rule: RecoveryRule,
        horizon_s: f64,
    ) -> Option<usize> {
        let mut w = Watch::new(d, rule, horizon_s);
        (1..=b.len()).find(|&n| {
            w.bucket_closed(&b[..n]);
            w.done()
        })
    }

    #[test]
    fn the_watch_stops_once_recovered_and_held_and_agrees_with_the_verdict() {
        // Level 100; down from 4 s; back at 7 s for good.
        let b = rows(&[
            100, 100, 100, 100, 10, 10, 10, 100, 100, 100, 100, 100, 100, 100,
        ]);
        let rule = strict(0.1, 2.0);
        // Windows of 2 from 4 s: in the band from the one starting at 7 s; held for 2 windows
        // once the one starting at 8 s closes with bucket 9 (10 buckets).
        let n = watched(&b, at(4.0, 4.0), rule, 14.0).unwrap();
        assert_eq!(n, 10);
        let cut = verdict(&b[..n], at(4.0, 4.0), n as f64, &rule).unwrap();
        let whole = verdict(&b, at(4.0, 4.0), 14.0, &rule).unwrap();
        assert_eq!(cut, whole);
        assert_eq!(cut.recovery_s, 3.0);
        // Never back: the watch waits for the horizon, and the cut run is metastable.
        let down = rows(&[100, 100, 100, 100, 10, 10, 10, 10, 10, 10, 10, 10]);
        assert_eq!(watched(&down, at(4.0, 4.0), rule, 9.0), Some(9));
        let cut = verdict(&down[..9], at(4.0, 4.0), 9.0, &rule).unwrap();
        assert!(cut.metastable && !cut.recovered());
        // No level before the trigger: only the horizon stops it.
        let idle = rows(&[0, 0, 0, 0, 100, 100, 100, 100]);
        assert_eq!(watched(&idle, at(4.0, 4.0), rule, 7.0), Some(7));
    }

    #[test]
    fn offered_load_still_high_at_the_end_is_not_metastable() {
        let mut b = rows(&[100, 100, 100, 100, 10, 10, 10, 10]);
        for r in &mut b[4..] {
            r.arrived = 300;
        }
        let r = verdict(&b, at(4.0, 4.0), 8.0, &strict(0.1, 1.0)).unwrap();
        assert!(!r.recovered() && !r.metastable);
    }

    #[test]
    fn the_band_covers_poisson_noise_and_not_a_lasting_deficit() {
        // 120 requests a second with 1 s buckets: a quarter of the buckets are more than 10%
        // from the mean by noise alone. Deterministic draws of a Poisson(120) sequence.
        let noisy: [u64; 30] = [
            118, 131, 104, 122, 139, 109, 120, 101, 127, 115, 133, 119, 106, 124, 112, 140, 117,
            99, 128, 121, 110, 136, 114, 125, 103, 130, 118, 108, 126, 122,
        ];
        let b = rows(&noisy);
        let r = verdict(&b, at(10.0, 10.0), 30.0, &RecoveryRule::default()).unwrap();
        assert_eq!(r.recovery_s, 0.0, "noise is not a failure");
        // 10,000 a second, then 9,300 for good: 7% below, far beyond the noise of 100 a
        // second: not recovered.
        let mut b = rows(&[10_000; 40]);
        for r in &mut b[20..] {
            r.completed = 9_300;
        }
        let r = verdict(&b, at(10.0, 12.0), 40.0, &RecoveryRule::default()).unwrap();
        assert!(!r.recovered());
    }

    #[test]
    fn error_ratio_and_latency_are_worse_upwards() {
        let mut b = rows(&[100; 20]);
        for r in &mut b[10..14] {
            r.errors_timeout = 50;
            r.latency.p99_ms = 900.0;
        }
        for r in &mut b {
            if r.latency.p99_ms == 0.0 {
                r.latency.p99_ms = 10.0;
            }
        }
        for metric in [RecoveryMetric::ErrorRatio, RecoveryMetric::P99Latency] {
            let rule = RecoveryRule {
                metric,
                hold_s: 2.0,
                ..RecoveryRule::default()
            };
            let r = verdict(&b, at(10.0, 10.0), 20.0, &rule).unwrap();
            assert_eq!(r.recovery_s, 4.0, "{metric:?}");
        }
        // Goodput did not move (errors are counted beside completions here).
        let r = verdict(&b, at(10.0, 10.0), 20.0, &RecoveryRule::default()).unwrap();
        assert_eq!(r.recovery_s, 0.0);
    }
}
