//! `cachestorm sweep` and `cachestorm merge`: the grid of points ([`grid`]), what a sweep decides
//! before it runs ([`plan`]: a shard's points, the cost warning, the folder, the manifest),
//! running them ([`points`]), `--find`'s search ([`find`]) and reading shards back ([`merge`]).
//!
//! A sweep checks every point and plans its memory before anything runs, then runs the points
//! (all of them, a shard's, or those `--find`'s bisections ask for) and keeps of each run only
//! its summary values. The results become the rows of `sweep.csv` at once, and every output is
//! made from those rows ([`crate::report::sweep::outputs`]), as `merge` does from the rows it
//! reads back from the shards: both write the same bytes.

pub mod files;
pub mod find;
pub mod grid;
pub mod merge;
pub mod plan;
pub mod points;

pub use grid::{search_order, Shard, Sweep};

/// `0, 3, 6` (or `none`); past ten points, the first ten and `…`.
pub fn list_points(points: &[usize]) -> String {
    if points.is_empty() {
        return "none".into();
    }
    let mut shown: Vec<String> = points.iter().take(10).map(usize::to_string).collect();
    if points.len() > 10 {
        shown.push("…".into());
    }
    shown.join(", ")
}
