//! Where P(metastable) crosses 0.5 along the load axis, with its interval, and the Wilson
//! interval of a proportion.

/// The two-sided 95% normal quantile.
const Z: f64 = 1.959_963_984_540_054;

/// Wilson's 95% score interval for `k` successes in `n` trials; (0, 1) when `n` is 0. With
/// `k = 0` the low end is 0 and the high end z²/(n + z²) (about 3.84/n for large n): the most a
/// probability can be for n runs to show none.
pub fn wilson(k: u32, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let low = if k == 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

/// Where a curve along the load axis first reaches 0.5, from the lowest load up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Edge {
    /// Already at or above 0.5 at the lowest load (the value given).
    Below(f64),
    /// Crosses between two loads: the load found by linear interpolation.
    At(f64),
    /// Under 0.5 up to the highest load (the value given).
    Above(f64),
    /// No load has a value.
    Unknown,
}

impl Edge {
    /// The first load where `values` (one per load of `loads`, `None` where unknown) reaches
    /// 0.5, interpolated linearly between the last load under it and that one.
    pub fn of(loads: &[f64], values: &[Option<f64>]) -> Edge {
        let known: Vec<(f64, f64)> = loads
            .iter()
            .zip(values)
            .filter_map(|(&x, v)| v.map(|v| (x, v)))
            .collect();
        let Some(i) = known.iter().position(|&(_, v)| v >= 0.5) else {
            return known.last().map_or(Edge::Unknown, |&(x, _)| Edge::Above(x));
        };
        if i == 0 {
            return Edge::Below(known[0].0);
        }
        let ((x0, v0), (x1, v1)) = (known[i - 1], known[i]);
        Edge::At(x0 + (0.5 - v0) / (v1 - v0) * (x1 - x0))
    }

    /// The load, where it was found between two loads.
    pub fn value(self) -> Option<f64> {
        match self {
            Edge::At(x) => Some(x),
            _ => None,
        }
    }

    /// `612.5`, `≤ 400`, `> 1200` or `unknown`.
    pub fn label(self) -> String {
        match self {
            Edge::Below(x) => format!("<= {}", number(x)),
            Edge::At(x) => number(x),
            Edge::Above(x) => format!("> {}", number(x)),
            Edge::Unknown => "unknown".into(),
        }
    }
}

/// The boundary along the load axis for one trigger value: where p crosses 0.5, and the
/// interval from where the interval's high end crosses it (the lowest the boundary can be) to
/// where its low end does (the highest).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boundary {
    /// Where p reaches 0.5.
    pub estimate: Edge,
    /// Where the Wilson interval's high end reaches 0.5.
    pub low: Edge,
    /// Where the Wilson interval's low end reaches 0.5.
    pub high: Edge,
}

impl Boundary {
    /// The boundary from each load's p and Wilson interval (`None`: no judged run there).
    pub fn of(loads: &[f64], p: &[Option<f64>], ci: &[Option<(f64, f64)>]) -> Boundary {
        let high_end: Vec<Option<f64>> = ci.iter().map(|c| c.map(|c| c.1)).collect();
        let low_end: Vec<Option<f64>> = ci.iter().map(|c| c.map(|c| c.0)).collect();
        Boundary {
            estimate: Edge::of(loads, p),
            low: Edge::of(loads, &high_end),
            high: Edge::of(loads, &low_end),
        }
    }

    /// Whether `x` lies within the interval (an end beyond the grid is open that way).
    pub fn contains(&self, x: f64) -> bool {
        let above_low = match self.low {
            Edge::Below(_) => true,
            Edge::At(l) => x >= l,
            Edge::Above(l) => x > l,
            Edge::Unknown => false,
        };
        let below_high = match self.high {
            Edge::Below(h) => x <= h,
            Edge::At(h) => x <= h,
            Edge::Above(_) => true,
            Edge::Unknown => false,
        };
        above_low && below_high
    }

    /// `640 (95%: 610 to 700)`, or `> 900 (at every load, p and its interval)` when the
    /// interval lies beyond the grid.
    pub fn label(&self) -> String {
        if self.low == self.high && self.estimate == self.low {
            return match self.estimate {
                Edge::Above(_) => format!(
                    "{} (P(metastable) stays under 0.5 at every load, with its interval)",
                    self.estimate.label()
                ),
                Edge::Below(_) => format!(
                    "{} (P(metastable) is over 0.5 at every load, with its interval)",
                    self.estimate.label()
                ),
                _ => self.estimate.label(),
            };
        }
        format!(
            "{} (95%: {} to {})",
            self.estimate.label(),
            self.low.label(),
            self.high.label()
        )
    }
}

/// A number in at most 4 significant figures, without trailing zeros.
pub fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        // 0 of 30: the upper bound is z²/(n + z²).
        let (lo, hi) = wilson(0, 30);
        assert_eq!(lo, 0.0);
        assert!((hi - Z * Z / (30.0 + Z * Z)).abs() < 1e-12, "{hi}");
        // 5 of 10: symmetric about 0.5, (0.2366, 0.7634).
        let (lo, hi) = wilson(5, 10);
        assert!(
            (lo - 0.2366).abs() < 1e-4 && (hi - 0.7634).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert_eq!(wilson(7, 7).1, 1.0);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn the_boundary_is_interpolated_where_p_first_reaches_a_half() {
        let loads = [100.0, 200.0, 300.0, 400.0];
        let p = [Some(0.0), Some(0.25), Some(0.75), Some(1.0)];
        assert_eq!(Edge::of(&loads, &p), Edge::At(250.0));
        assert_eq!(
            Edge::of(&loads, &[Some(0.6), None, None, None]),
            Edge::Below(100.0)
        );
        assert_eq!(
            Edge::of(&loads, &[Some(0.1), Some(0.2), None, None]),
            Edge::Above(200.0)
        );
        assert_eq!(Edge::of(&loads, &[None; 4]), Edge::Unknown);
        let ci: Vec<Option<(f64, f64)>> = vec![
            Some((0.0, 0.2)),
            Some((0.1, 0.5)),
            Some((0.5, 0.9)),
            Some((0.8, 1.0)),
        ];
        let b = Boundary::of(&loads, &p, &ci);
        assert_eq!((b.low, b.high), (Edge::At(200.0), Edge::At(300.0)));
        assert!(b.contains(250.0) && !b.contains(310.0) && !b.contains(190.0));
        assert_eq!(b.label(), "250 (95%: 200 to 300)");
        assert_eq!(number(666.6667), "666.7");
        assert_eq!(number(0.125), "0.125");
    }
}
