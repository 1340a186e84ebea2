//! Recovery time: how long after the last trigger event goodput (requests answered successfully
//! per second) is back to its level before the first one, and stays there.

use super::BucketRow;

/// How close to its level before the trigger goodput must come back: within 10%.
pub const RECOVERY_MARGIN: f64 = 0.10;

/// Time from `last_trigger_s` to the start of the first bucket from which every whole bucket
/// up to `duration_s` has goodput within [`RECOVERY_MARGIN`] of its level before
/// `first_trigger_s` (the mean over the whole buckets of the second half of the time before
/// it, after any cold start). `Some(f64::INFINITY)` if it never comes back within the run;
/// `None` if there is no level to come back to (no whole bucket before the trigger, or no
/// goodput there).
pub fn recovery_s(
    buckets: &[BucketRow],
    first_trigger_s: f64,
    last_trigger_s: f64,
    duration_s: f64,
) -> Option<f64> {
    const EPS: f64 = 1e-9;
    let whole = |b: &&BucketRow| {
        buckets
            .first()
            .is_some_and(|f| (b.width_s - f.width_s).abs() < EPS)
            && b.start_s + b.width_s <= duration_s + EPS
    };
    let before: Vec<&BucketRow> = buckets
        .iter()
        .filter(whole)
        .filter(|b| b.start_s + EPS >= first_trigger_s / 2.0)
        .filter(|b| b.start_s + b.width_s <= first_trigger_s + EPS)
        .collect();
    if before.is_empty() {
        return None;
    }
    let level = before.iter().map(|b| b.goodput()).sum::<f64>() / before.len() as f64;
    if level <= 0.0 {
        return None;
    }
    let after: Vec<&BucketRow> = buckets
        .iter()
        .filter(whole)
        .filter(|b| b.start_s + EPS >= last_trigger_s)
        .collect();
    let ok = |b: &BucketRow| b.goodput() >= (1.0 - RECOVERY_MARGIN) * level;
    // The first bucket of the run of good buckets that lasts to the end.
    let mut from = None;
    for b in after.iter().rev() {
        if ok(b) {
            from = Some(b.start_s);
        } else {
            break;
        }
    }
    Some(from.map_or(f64::INFINITY, |s| (s - last_trigger_s).max(0.0)))
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
                completed: g,
                ..BucketRow::default()
            })
            .collect()
    }

    #[test]
    fn recovery_starts_where_goodput_comes_back_for_good() {
        // Level 100 before the trigger at 4 s (buckets 2 and 3); down, a false start, back at 9.
        let b = rows(&[0, 50, 100, 100, 10, 10, 95, 10, 10, 92, 99, 100]);
        assert_eq!(recovery_s(&b, 4.0, 4.0, 12.0), Some(5.0));
        // Measured from the last trigger.
        assert_eq!(recovery_s(&b, 4.0, 6.0, 12.0), Some(3.0));
    }

    #[test]
    fn never_and_no_level_are_told_apart() {
        let b = rows(&[100, 100, 100, 100, 10, 10, 10, 80]);
        assert_eq!(recovery_s(&b, 4.0, 4.0, 8.0), Some(f64::INFINITY));
        assert_eq!(recovery_s(&b, 0.0, 0.0, 8.0), None, "nothing before");
        let idle = rows(&[0, 0, 0, 0, 5]);
        assert_eq!(recovery_s(&idle, 4.0, 4.0, 5.0), None, "no goodput before");
        // A run that never drops recovers at once.
        let flat = rows(&[100; 8]);
        assert_eq!(recovery_s(&flat, 4.0, 4.0, 8.0), Some(0.0));
    }
}
