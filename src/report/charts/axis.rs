//! Axes (linear or logarithmic), their ticks, and how tick and label numbers are written.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, KeyPointWeight, Ranged};
use plotters::coord::types::RangedCoordf64;

/// How values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scale {
    /// Linear, ticks at round numbers.
    Linear,
    /// Linear, ticks at whole numbers only.
    Integer,
    /// Base-10 logarithmic, ticks at powers of ten (also at 2 and 5 times them on short axes).
    Log,
}

/// One axis: its range (always finite, `lo < hi`, and `lo > 0` on a log axis) and scale.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) scale: Scale,
}

/// The smallest value a log latency axis starts at, ms.
pub(super) const LOG_FLOOR_MIN: f64 = 0.01;

impl Axis {
    pub(super) fn new(lo: f64, hi: f64, scale: Scale) -> Axis {
        let lo = if lo.is_finite() { lo } else { 0.0 };
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else if (lo + 1.0).is_finite() && lo + 1.0 > lo {
            lo + 1.0
        } else {
            return Axis {
                lo: lo - lo.abs() * 1e-6,
                hi: lo,
                scale,
            };
        };
        Axis { lo, hi, scale }
    }

    pub(super) fn linear(lo: f64, hi: f64) -> Axis {
        Axis::new(lo, hi, Scale::Linear)
    }

    pub(super) fn integer(lo: f64, hi: f64) -> Axis {
        Axis::new(lo, hi, Scale::Integer)
    }

    /// A log axis from `lo` to `hi`; out-of-range bounds fall back to a decade.
    pub(super) fn log(lo: f64, hi: f64) -> Axis {
        let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1.0 };
        let (lo, hi) = if hi.is_finite() && hi > lo {
            (lo, hi)
        } else if (lo * 10.0).is_finite() {
            (lo, lo * 10.0)
        } else {
            (lo / 10.0, lo)
        };
        Axis {
            lo,
            hi,
            scale: Scale::Log,
        }
    }

    /// The linear coordinate values are mapped through (log10 of them on a log axis).
    pub(super) fn linear_coord(&self) -> RangedCoordf64 {
        match self.scale {
            Scale::Log => (self.lo.log10()..self.hi.log10()).into(),
            Scale::Linear | Scale::Integer => (self.lo..self.hi).into(),
        }
    }

    /// Labelled ticks, at most `max` of them.
    pub(super) fn ticks(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                // plotters' key_points loops for ever when asked for a single point.
                let mut ticks = self.linear_coord().key_points(max.max(2));
                ticks.truncate(max);
                ticks
            }
            Scale::Integer => integer_ticks(self.lo, self.hi, max),
            Scale::Log => log_ticks(self.lo, self.hi, max),
        }
    }

    /// Light grid lines: the 1..9 multiples of each power of ten on a log axis (none when there
    /// would be more than `max`); a linear axis draws its own through `key_points`.
    pub(super) fn minor_ticks(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear | Scale::Integer => Vec::new(),
            Scale::Log => {
                let first = (self.lo.log10() - 1e-9).floor() as i32;
                let last = (self.hi.log10() + 1e-9).ceil() as i32;
                if (last - first) as usize * 9 > max + 18 {
                    return Vec::new();
                }
                let minor: Vec<f64> = (first..=last)
                    .flat_map(|n| (1..=9).map(move |m| decimal(m, n)))
                    .filter(|v| self.contains(*v))
                    .collect();
                if minor.len() > max {
                    Vec::new()
                } else {
                    minor
                }
            }
        }
    }

    /// Whether `v` is within the axis, allowing for rounding.
    pub(super) fn contains(&self, v: f64) -> bool {
        let slack = match self.scale {
            Scale::Log => 1e-9 * v.abs(),
            Scale::Linear | Scale::Integer => 1e-9 * (self.hi - self.lo),
        };
        v.is_finite() && v >= self.lo - slack && v <= self.hi + slack
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// Values beyond a log axis (including those that are not positive) sit on its edge.
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match self.scale {
            Scale::Log => {
                let v = if value.is_nan() {
                    self.lo
                } else {
                    value.clamp(self.lo, self.hi)
                };
                self.linear_coord().map(&v.log10(), limit)
            }
            Scale::Linear | Scale::Integer => self.linear_coord().map(value, limit),
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if self.scale == Scale::Linear {
            return self.linear_coord().key_points(hint.max_num_points());
        }
        match hint.weight() {
            KeyPointWeight::Bold => self.ticks(hint.max_num_points()),
            KeyPointWeight::Any => {
                let mut points = self.ticks(hint.bold_points());
                points.extend(self.minor_ticks(hint.max_num_points()));
                points
            }
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `m` × 10^`n`, correctly rounded (no `1.0000000000000002e-5`).
pub(super) fn decimal(m: u32, n: i32) -> f64 {
    format!("{m}e{n}").parse().unwrap_or(f64::NAN)
}

/// Largest power of ten at or below `v` (> 0, finite); 0 below the smallest one.
pub(super) fn power_of_ten_below(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 0.0;
    }
    let mut n = v.log10().floor() as i32;
    while decimal(1, n) > v {
        n -= 1;
    }
    while decimal(1, n + 1) <= v {
        n += 1;
    }
    decimal(1, n)
}

/// Smallest of 1, 2, 5 × 10^n at or above `v` (> 0, finite); infinite if there is none.
pub(super) fn round_number_above(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return f64::INFINITY;
    }
    let n = v.log10().floor() as i32;
    [(1, n), (2, n), (5, n), (1, n + 1), (2, n + 1)]
        .into_iter()
        .map(|(m, n)| decimal(m, n))
        .find(|&r| r >= v)
        .unwrap_or(f64::INFINITY)
}

/// A log axis for these values (those not positive and finite are ignored): from the largest
/// power of ten at or below the smallest value, but at least [`LOG_FLOOR_MIN`], to the first
/// 1, 2 or 5 × 10^n at or above 1.5 × the largest value, and at least one decade long. When the
/// smallest value lies on or just above that power of ten, the axis starts a little lower, so
/// the line does not run along the frame.
pub(super) fn log_axis_for(values: impl Iterator<Item = f64>) -> Axis {
    log_axis_with_floor(values, LOG_FLOOR_MIN)
}

/// [`log_axis_for`] with another lowest floor than [`LOG_FLOOR_MIN`], for values that are not
/// latencies (a share of reads in percent can be far smaller than 0.01).
pub(super) fn log_axis_with_floor(values: impl Iterator<Item = f64>, floor_min: f64) -> Axis {
    const BOTTOM_ROOM: f64 = 1.25;
    let (min, max) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if max <= 0.0 {
        return Axis::log(1.0, 1000.0);
    }
    let floor = power_of_ten_below(min).max(floor_min);
    let top = round_number_above(max * 1.5).max(floor * 10.0);
    let hi = if top.is_finite() { top } else { max };
    let lo = if min >= floor && min < floor * BOTTOM_ROOM {
        floor / BOTTOM_ROOM
    } else {
        floor
    };
    Axis::log(lo, hi)
}

/// Ticks of a log axis: powers of ten (every few decades on a long axis), or 1, 2 and 5 times
/// them on an axis shorter than two decades.
pub(super) fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if max == 0 {
        return Vec::new();
    }
    let axis = Axis::log(lo, hi);
    let first = (axis.lo.log10() - 1e-9).floor() as i32;
    let last = (axis.hi.log10() + 1e-9).ceil() as i32;
    if axis.hi / axis.lo < 100.0 {
        let ticks: Vec<f64> = (first..=last)
            .flat_map(|n| [1, 2, 5].into_iter().map(move |m| decimal(m, n)))
            .filter(|v| axis.contains(*v))
            .collect();
        if ticks.len() <= max && ticks.len() >= 2 {
            return ticks;
        }
    }
    let decades: Vec<i32> = (first..=last)
        .filter(|&n| axis.contains(decimal(1, n)))
        .collect();
    let step = decades.len().div_ceil(max).max(1);
    decades
        .iter()
        .step_by(step)
        .map(|&n| decimal(1, n))
        .collect()
}

/// Whole-number ticks from `lo` to `hi`, 1, 2 or 5 × 10^n apart, at most `max` of them.
pub(super) fn integer_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (first, last) = (lo.ceil(), hi.floor());
    if max == 0 || first.is_nan() || last.is_nan() || first > last {
        return Vec::new();
    }
    let span = last - first;
    let fits = |step: f64| (span / step).floor() + 1.0 <= max as f64;
    // `fits` needs a step above span / max; the loop moves past an exact hit.
    let mut step = round_number_above((span / max as f64).max(1.0));
    while step.is_finite() && !fits(step) {
        step = round_number_above(step * 1.5);
    }
    if !step.is_finite() {
        return vec![first];
    }
    let start = (first / step).ceil() * step;
    let mut ticks: Vec<f64> = Vec::with_capacity(max);
    for i in 0..max {
        let v = start + i as f64 * step;
        if v > last {
            break;
        }
        if ticks.last().is_none_or(|&t| v > t) {
            ticks.push(v);
        }
    }
    ticks
}

// Number formatting

pub(super) const X_LABELS: usize = 12;
pub(super) const Y_LABELS: usize = 8;
pub(super) const SMALL_MULTIPLE_Y_LABELS: usize = 4;

/// Formats axis ticks: on a linear axis with as many decimals as the tick spacing needs, on a
/// log axis each tick with the decimals it needs itself.
#[derive(Clone, Copy, Debug)]
pub(super) enum TickFormat {
    Fixed { decimals: usize, group: bool },
    Log,
}

impl TickFormat {
    pub(super) fn for_axis(axis: &Axis, labels: usize) -> TickFormat {
        let largest = axis.lo.abs().max(axis.hi.abs());
        match axis.scale {
            Scale::Log => TickFormat::Log,
            Scale::Integer => TickFormat::Fixed {
                decimals: 0,
                group: largest >= 10_000.0,
            },
            Scale::Linear => {
                let points = axis.ticks(labels);
                let step = match points.as_slice() {
                    [a, b, ..] => b - a,
                    _ => axis.hi - axis.lo,
                };
                let decimals = if step.is_finite() && step > 0.0 {
                    (-(step.log10() + 1e-9).floor()).clamp(0.0, 9.0) as usize
                } else {
                    0
                };
                TickFormat::Fixed {
                    decimals,
                    group: decimals == 0 && largest >= 10_000.0,
                }
            }
        }
    }

    pub(super) fn format(self, v: f64) -> String {
        match self {
            TickFormat::Fixed { decimals, group } => format_number(v, decimals, group),
            TickFormat::Log => format_log_tick(v),
        }
    }
}

/// A log-axis tick (a power of ten or a small multiple of one): plain from 0.0001 to below a
/// million (`0.01`, `5`, `1000`, `20,000`), `1e-5` or `2e6` beyond.
pub(super) fn format_log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return "0".to_owned();
    }
    let n = (v.log10() + 1e-9).floor() as i32;
    if (-4..6).contains(&n) {
        let decimals = (-n).max(0) as usize;
        format_number(v, decimals, v >= 10_000.0)
    } else {
        let m = (v / decimal(1, n)).round();
        format!("{m}e{n}")
    }
}

pub(super) fn format_number(v: f64, decimals: usize, group: bool) -> String {
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    let v = if v.abs() < half_unit { 0.0 } else { v };
    let text = format!("{v:.decimals$}");
    if group {
        group_thousands(&text)
    } else {
        text
    }
}

/// Inserts thousands separators into the integer part of a formatted number.
pub(super) fn group_thousands(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{frac}")
}

/// A quantity for a label: whole numbers from 100 up, otherwise up to one decimal.
pub(super) fn format_quantity(v: f64) -> String {
    if v >= 100.0 {
        format_number(v.round(), 0, v >= 10_000.0)
    } else {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
    }
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn tick_labels_are_short() {
        let f = TickFormat::for_axis(&Axis::linear(0.0, 1.1), Y_LABELS);
        assert_eq!(f.format(0.30000000000000004), "0.3");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 5500.0), Y_LABELS);
        assert_eq!(f.format(2000.0000000001), "2000");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 0.0044), Y_LABELS);
        assert_eq!(f.format(0.0020000000001), "0.002");
        let f = TickFormat::for_axis(&Axis::linear(0.0, 20_000.0), X_LABELS);
        assert_eq!(f.format(12_000.0), "12,000");
        let f = TickFormat::for_axis(&Axis::integer(0.5, 10.5), X_LABELS);
        assert_eq!(f.format(3.0), "3");
        let f = TickFormat::for_axis(&Axis::log(0.01, 20_000.0), Y_LABELS);
        let labels: Vec<String> = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
            .iter()
            .map(|&v| f.format(v))
            .collect();
        assert_eq!(labels, ["0.01", "0.1", "1", "10", "100", "1000", "10,000"]);
        assert_eq!(format_log_tick(0.0001), "0.0001");
        assert_eq!(format_log_tick(2e-5), "2e-5");
        assert_eq!(format_log_tick(1e37), "1e37");
        assert_eq!(format_log_tick(0.0), "0");
        assert_eq!(format_number(-1e-12, 1, false), "0.0");
        assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(format_quantity(1600.0), "1600");
        assert_eq!(format_quantity(12.25), "12.2");
        assert_eq!(format_quantity(0.5), "0.5");
        assert_eq!(format_quantity(25_000.0), "25,000");
    }

    #[test]
    fn latency_axis_is_logarithmic_with_decade_ticks() {
        // p99 from 8 ms to 1000 ms: 1 ms up to 2000 ms, labelled at every power of ten.
        let latency = build_figure(Kind::Latency, &sample());
        let y = &latency.panels[0].y;
        assert_eq!(y.scale, Scale::Log);
        assert_eq!((y.lo, y.hi), (1.0, 2000.0));
        assert_eq!(y.ticks(Y_LABELS), [1.0, 10.0, 100.0, 1000.0]);
        // Light grid lines at 2..9 × each power of ten.
        let minor = y.minor_ticks(80);
        assert!(minor.contains(&20.0) && minor.contains(&900.0) && minor.contains(&2000.0));
        assert!(!minor.contains(&3000.0));

        // After a 1000 ms spike, a 10 ms spike over a 3 ms baseline is still plain to see.
        let height = 500;
        let px = |v: f64| y.map(&v, (0, height));
        assert!(px(10.0) - px(3.0) > height / 10, "{} {}", px(10.0), px(3.0));
        let linear = Axis::linear(0.0, 1100.0);
        assert!(linear.map(&10.0, (0, height)) - linear.map(&3.0, (0, height)) < 5);

        // Floor: a power of ten, at least 0.01 ms; room below a minimum that sits on it.
        assert_eq!(log_axis_for([0.35, 12.0].into_iter()).lo, 0.1);
        assert_eq!(log_axis_for([0.0001, 0.5].into_iter()).lo, 0.01);
        assert_eq!(log_axis_for([5.0, 8.0].into_iter()).lo, 1.0);
        let on_floor = log_axis_for([1.0, 200.0].into_iter());
        assert!(on_floor.lo < 1.0 && on_floor.lo > 0.5);
        assert_eq!(on_floor.hi, 500.0);
        // Ceiling: a round number above 1.5 × the max, at least a decade above the floor.
        assert_eq!(log_axis_for([5.0, 8.0].into_iter()).hi, 20.0);
        assert_eq!(log_axis_for([3.0, 600.0].into_iter()).hi, 1000.0);
        assert_eq!(log_axis_for(std::iter::empty()), Axis::log(1.0, 1000.0));
        assert_eq!(
            log_axis_for([f64::NAN, -1.0, 0.0, f64::INFINITY].into_iter()),
            Axis::log(1.0, 1000.0)
        );
        let huge = log_axis_for([1.0, f64::MAX].into_iter());
        assert!(huge.hi.is_finite() && huge.hi >= 1e308);
        assert!(huge.ticks(Y_LABELS).len() <= Y_LABELS);
        // Short axes get 1-2-5 ticks.
        assert_eq!(
            Axis::log(1.0, 20.0).ticks(Y_LABELS),
            [1.0, 2.0, 5.0, 10.0, 20.0]
        );
        assert_eq!(
            Axis::log(0.01, 0.1).ticks(Y_LABELS),
            [0.01, 0.02, 0.05, 0.1]
        );
    }

    #[test]
    fn axis_ticks_stay_in_range_sorted_and_within_count() {
        let bounds = [
            5e-324,
            1e-300,
            1e-9,
            0.003,
            0.01,
            0.5,
            0.8,
            1.0,
            3.0,
            10.0,
            1234.5,
            1e20,
            1e300,
            f64::MAX,
        ];
        for &lo in &bounds {
            for &hi in &bounds {
                for max in [0, 1, 2, 8, 12] {
                    for axis in [
                        Axis::log(lo, hi),
                        Axis::integer(lo, hi),
                        Axis::integer(-lo, hi),
                        // Linear axes always start at 0 here.
                        Axis::linear(0.0, hi),
                    ] {
                        assert!(axis.lo < axis.hi && axis.lo.is_finite() && axis.hi.is_finite());
                        let ticks = axis.ticks(max);
                        assert!(ticks.len() <= max, "{axis:?} {max} {ticks:?}");
                        assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{axis:?} {ticks:?}");
                        assert!(
                            ticks.iter().all(|&t| axis.contains(t)),
                            "{axis:?} {ticks:?}"
                        );
                        let minor = axis.minor_ticks(max * 10);
                        assert!(minor.len() <= max * 10);
                        for v in [f64::NAN, -1.0, 0.0, lo, hi, f64::INFINITY] {
                            let _ = axis.map(&v, (0, 500));
                        }
                    }
                }
            }
        }
    }
}
