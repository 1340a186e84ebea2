//! Every counter and every column of `timeseries.csv` and `summary.csv`, declared once.
//!
//! One entry per column, in the order of the files: its name (with its unit in it), its unit in
//! words, its meaning, the group (feature) it belongs to, how it is written, whether more of it
//! is better (`[higher]`), whether a baseline check compares it by default (`baseline(N)`, its
//! place in that list), and where its value comes from: a field of [`BucketRow`] (declared
//! right there, with how the whole-run figures gather it over the buckets), a formula over a row
//! (a ratio, a rate, one count of a nested field), or a whole-run figure of the strategy's
//! result. From this one list follow the struct [`BucketRow`], its whole-run sum
//! ([`BucketRow::accumulate`]), the failed requests ([`BucketRow::errors`],
//! [`BucketRow::subtract_errors`]) and their kinds, and [`COLUMNS`], from which the reports take
//! the CSV headers and values, the JSON figures, the metric names users may type, the columns a
//! sweep may find empty and the direction a baseline check judges; a test checks the README's
//! column tables against it.
//!
//! Over the buckets: a column of a field gathers as its kind says (`sum` a count, `max` a peak,
//! `own` set by the recorder: times, means), a formula is applied to the whole-run totals, and a
//! whole-run figure has no per-bucket value. Over replications every column is the mean of the
//! replications' values (`never` when one never recovered; empty when one is empty).
//!
//! Adding a counter: one entry here (`Group name ["unit"] Int ("axis words", Count) "meaning"
//! => sum field: u64;`) at the end of its file's columns, and the code that counts it. The struct stays plain named
//! fields, so the recorder's per-event code is a field increment as before.

use super::{ratio, CauseCounts, LatencyStats, StrategyResult};

/// Which feature a column belongs to, and so in which files it appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The bucket's place in time (`timeseries.csv` only).
    Bucket,
    /// The run's configured length (`summary.csv` only).
    Run,
    /// Requests, errors, cache, database and eviction counters.
    Counters,
    /// The bucket's database rate, queue and latency (`timeseries.csv` only).
    BucketLatency,
    /// Whole-run ratios, peaks, capacity and latency (`summary.csv` only).
    RunFigures,
    /// Writes, freshness, absent keys and local caches.
    Freshness,
    /// Dependency failures, retries and overload.
    Dependency,
    /// The recovery time after the timeline's disturbances (`summary.csv` only; may be empty).
    Recovery,
    /// Cache nodes as a failing dependency: errors, breakers, gutter, hedges.
    Nodes,
    /// The worst bucket beside the whole-run figures (`summary.csv` only).
    Worst,
    /// The recovery verdict as numbers (`summary.csv` only; may be empty).
    Verdict,
}

impl Group {
    /// Whether the group's columns are in `timeseries.csv` (one value per bucket).
    pub fn in_timeseries(self) -> bool {
        matches!(
            self,
            Group::Bucket
                | Group::Counters
                | Group::BucketLatency
                | Group::Freshness
                | Group::Dependency
                | Group::Nodes
        )
    }

    /// Whether the group's columns are in `summary.csv` (one value per strategy).
    pub fn in_summary(self) -> bool {
        !matches!(self, Group::Bucket | Group::BucketLatency)
    }

    /// Whether a column of the group may have no number (empty, or `never`): a sweep has no
    /// row for it then.
    pub fn may_be_empty(self) -> bool {
        matches!(self, Group::Recovery | Group::Verdict)
    }
}

/// A column's unit as a chart's axis label shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisUnit {
    /// Milliseconds: `(ms)` after the words.
    Ms,
    /// Seconds: `(s)` after the words.
    Seconds,
    /// A rate: `per second` after the words.
    PerSecond,
    /// A share from 0 to 1, dimensionless: the words alone.
    Share,
    /// A count of what the words name (requests, queries, reads ...): the words alone.
    Count,
    /// A ratio of two counts that may exceed 1 (attempts per request, queries per herd): the
    /// words say both.
    Ratio,
}

/// What a chart's axis calls a column: its words and unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisLabel {
    /// What it is, in words, lower case: `worst p99 latency`.
    pub words: &'static str,
    /// Its unit.
    pub unit: AxisUnit,
}

impl AxisLabel {
    /// The axis label: `worst p99 latency (ms)`, `peak database queries per second`,
    /// `error ratio`.
    pub fn text(&self) -> String {
        match self.unit {
            AxisUnit::Ms => format!("{} (ms)", self.words),
            AxisUnit::Seconds => format!("{} (s)", self.words),
            AxisUnit::PerSecond => format!("{} per second", self.words),
            AxisUnit::Share | AxisUnit::Count | AxisUnit::Ratio => self.words.to_string(),
        }
    }
}

/// How a column's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A whole number.
    Int,
    /// 3 decimals (milliseconds, rates).
    Dec3,
    /// 6 decimals (ratios, fractions).
    Dec6,
    /// 3 decimals, in scientific notation when that would print a value that is not zero as 0.
    Fixed3,
    /// Seconds, with as many decimals as exact to the nanosecond (3, 6 or 9).
    Secs,
}

/// How the whole-run value of a column comes from the buckets' values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gather {
    /// A count: the sum of the buckets'.
    Sum,
    /// A peak: the largest of the buckets'.
    Max,
    /// Set by the recorder (times, means), not from the buckets' values.
    Own,
    /// A formula over a row, applied to the whole-run totals.
    Formula,
    /// A whole-run figure, with no value per bucket.
    Run,
}

/// One value of a column, before it is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// A count.
    Count(u64),
    /// A measurement, written as the column's [`Format`] says.
    Real(f64),
    /// The run did not recover (`recovery_s`).
    Never,
    /// No value: the figure does not apply.
    Empty,
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Count(n)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Real(x)
    }
}

/// Where a column's value comes from.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// A bucket's row (in `summary.csv`, the whole-run totals).
    Row(fn(&BucketRow) -> Cell),
    /// A strategy's whole-run result.
    Run(fn(&StrategyResult) -> Cell),
}

/// A kind of failed request, as the terminal table's `failed by kind` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Place in the `failed by kind` cell (from 0).
    pub rank: u8,
    /// The word shown for it.
    pub word: &'static str,
}

/// One column of `timeseries.csv` or `summary.csv`.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The header, with its unit in it (`p99_latency_ms`).
    pub name: &'static str,
    /// The unit in words, as the README's tables give it.
    pub unit: &'static str,
    /// What it counts or measures.
    pub meaning: &'static str,
    /// The feature it belongs to, which decides the files it is in.
    pub group: Group,
    /// How it is written.
    pub format: Format,
    /// What a chart's axis calls it.
    pub label: AxisLabel,
    /// How the whole-run value comes from the buckets'.
    pub gather: Gather,
    /// Whether more is better (a baseline check then fails when it falls); for every other
    /// column less is better.
    pub higher_is_better: bool,
    /// For a kind of failed request: how the terminal names it.
    pub failure: Option<Failure>,
    /// For a figure `check --baseline` compares when the file names none: its place in that
    /// list (from 0). Declared with `baseline(N)`.
    pub baseline: Option<u8>,
    /// Where its value comes from.
    pub source: Source,
}

impl Column {
    /// The value of this column for `row` (a bucket, or the whole-run totals of `s`), or for
    /// the strategy `s` itself for a whole-run figure.
    pub fn value(&self, row: &BucketRow, s: Option<&StrategyResult>) -> Cell {
        match (self.source, s) {
            (Source::Row(f), _) => f(row),
            (Source::Run(f), Some(s)) => f(s),
            (Source::Run(_), None) => panic!(
                "column {} is a whole-run figure: it has no value per bucket",
                self.name
            ),
        }
    }
}

/// The columns of `timeseries.csv` after `strategy`, in order.
pub fn timeseries_columns() -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(|c| c.group.in_timeseries())
}

/// The columns of `summary.csv` after `strategy`, in order.
pub fn summary_columns() -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(|c| c.group.in_summary())
}

/// Whether more of summary metric `name` is better (`hit_ratio`, `goodput_per_s` ...); for
/// every other figure less is better.
pub fn higher_is_better(name: &str) -> bool {
    summary_columns().any(|c| c.name == name && c.higher_is_better)
}

/// The figures `check --baseline` compares when the scenario file names none, in their
/// declared order (`baseline(N)`).
pub fn baseline_metrics() -> Vec<&'static str> {
    let mut flagged: Vec<(u8, &str)> = summary_columns()
        .filter_map(|c| c.baseline.map(|n| (n, c.name)))
        .collect();
    flagged.sort_by_key(|&(n, _)| n);
    flagged.into_iter().map(|(_, name)| name).collect()
}

/// The kinds of failed requests, in the order the terminal shows them: (column, word).
pub fn failure_kinds() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<(Failure, &str)> = COLUMNS
        .iter()
        .filter_map(|c| c.failure.map(|f| (f, c.name)))
        .collect();
    kinds.sort_by_key(|(f, _)| f.rank);
    kinds.into_iter().map(|(f, name)| (name, f.word)).collect()
}

/// Declares [`BucketRow`] and [`COLUMNS`] from one list: the fields that have no column of their
/// own, then every column in file order, each either a field (`=> kind field: type`, with
/// `, fails(rank, "word")` for a kind of failed request), a formula over a row (`= row |b|
/// expr`) or a whole-run figure (`= run |s| expr`).
macro_rules! bucket_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $fkind:ident $ffield:ident : $fty:ty, )*
        }
        columns {
            $(
                $group:ident $col:ident [$unit:literal] $format:ident
                ($words:literal, $axis:ident) $meaning:literal
                $( [$better:ident] )?
                $( baseline($brank:literal) )?
                $( => $kind:ident $field:ident : $ty:ty $(, fails($rank:literal, $word:literal))? )?
                $( = $from:ident |$arg:ident| $expr:expr )?
                ;
            )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $ffield: $fty, )*
            $( $( #[doc = $meaning] pub $field: $ty, )? )*
        }

        impl $name {
            /// Adds `row` into these whole-run figures: counts summed, peaks kept, the
            /// fields of kind `own` left as they are (the recorder sets them).
            pub fn accumulate(&mut self, row: &$name) {
                $( bucket_row!(@gather $fkind self.$ffield, row.$ffield); )*
                $( $( bucket_row!(@gather $kind self.$field, row.$field); )? )*
            }

            /// Total failed requests of every kind.
            pub fn errors(&self) -> u64 {
                0 $( $( $( + bucket_row!(@failed self.$field, $word) )? )? )*
            }

            /// Takes the failed requests of `other`, kind by kind, out of these.
            pub fn subtract_errors(&mut self, other: &$name) {
                $( $( $( bucket_row!(@subtract self.$field, other.$field, $word); )? )? )*
            }
        }

        /// Every column of `timeseries.csv` and `summary.csv` after `strategy`, in file order
        /// (each file takes those of its groups).
        pub const COLUMNS: &[Column] = &[
            $(
                Column {
                    name: stringify!($col),
                    unit: $unit,
                    meaning: $meaning,
                    group: Group::$group,
                    format: Format::$format,
                    label: AxisLabel { words: $words, unit: AxisUnit::$axis },
                    gather: bucket_row!(@how $( $kind )? $( $from )?),
                    higher_is_better: bucket_row!(@better $( $better )?),
                    failure: bucket_row!(@failure $( $( $rank $word )? )?),
                    baseline: bucket_row!(@baseline $( $brank )?),
                    source: bucket_row!(@source $( field $field )? $( $from $arg $expr )?),
                },
            )*
        ];
    };
    (@gather sum $total:expr, $row:expr) => { $total += $row; };
    (@gather max $total:expr, $row:expr) => { $total = $total.max($row); };
    (@gather add $total:expr, $row:expr) => { $total.add(&$row); };
    (@gather own $total:expr, $row:expr) => {};
    (@failed $count:expr, $word:literal) => { $count };
    (@subtract $total:expr, $part:expr, $word:literal) => { $total -= $part };
    (@how sum) => { Gather::Sum };
    (@how max) => { Gather::Max };
    (@how own) => { Gather::Own };
    (@how row) => { Gather::Formula };
    (@how run) => { Gather::Run };
    (@better) => { false };
    (@better higher) => { true };
    (@baseline) => { None };
    (@baseline $brank:literal) => { Some($brank) };
    (@failure) => { None };
    (@failure $rank:literal $word:literal) => { Some(Failure { rank: $rank, word: $word }) };
    (@source field $field:ident) => { Source::Row(|b| Cell::from(b.$field)) };
    (@source row $arg:ident $expr:expr) => { Source::Row(|$arg| Cell::from($expr)) };
    (@source run $arg:ident $expr:expr) => { Source::Run(|$arg| Cell::from($expr)) };
}

bucket_row! {
/// Measurements for one time bucket of one run. Each field says how the whole-run figures
/// gather it over the buckets: `sum` (a count), `max` (a peak), `add` (counts of its own,
/// added), `own` (set apart: times, means, latency statistics).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketRow {
    /// Database queries submitted, split by cause.
    add db_by_cause: CauseCounts,
    /// Sum of the sizes of the herds that ended in the bucket (queries), for the mean.
    sum herd_queries: u64,
    /// Latency percentiles of requests completed successfully in the bucket, ms (0 if none).
    own latency: LatencyStats,
    /// How long before each outdated read its value had been superseded, ms.
    own outdated_age: LatencyStats,
}
columns {
    Bucket bucket_start_s ["s"] Secs ("bucket start", Seconds) "Start of the bucket, seconds." => own start_s: f64;
    Bucket bucket_width_s ["s"] Secs ("bucket width", Seconds) "Length of the bucket, seconds (the last bucket may be \
        shorter)." => own width_s: f64;
    Run duration_s ["s"] Secs ("duration", Seconds) "The configured length of the run (arrivals stop there)."
        = run |s| s.result.summary.duration_s;

    Counters requests_arrived ["requests"] Int ("requests arrived", Count) "Requests that arrived." => sum arrived: u64;
    Counters requests_completed ["requests"] Int ("requests answered", Count) "Requests answered successfully." [higher]
        => sum completed: u64;
    Counters errors_total ["requests"] Int ("failed requests", Count) "Failed requests of every kind." = row |b| b.errors();
    Counters errors_timeout ["requests"] Int ("requests timed out", Count) "Requests whose client gave up (client timeout)."
        => sum errors_timeout: u64, fails(0, "timeout");
    Counters errors_db_rejected ["requests"] Int ("requests failed: database queue full", Count) "Requests failed because a database query was \
        rejected (queue full)." => sum errors_db_rejected: u64, fails(3, "db rejected");
    Counters errors_db_timeout ["requests"] Int ("requests failed: database queue wait", Count) "Requests failed because a database query \
        waited longer than the queue timeout."
        => sum errors_db_timeout: u64, fails(4, "db timeout");
    Counters errors_overload ["requests"] Int ("requests shed: app queue full", Count) "Requests rejected at the door: app queue full \
        or the in-flight safety cap reached." => sum errors_overload: u64, fails(1, "overload");
    Counters errors_fallback ["requests"] Int ("requests failed: rebuild refused", Count) "Requests failed because a mitigation refused to \
        rebuild a key and had nothing stale to serve (lock or lease gave up, rate limit), or \
        because a lock holder died with them." => sum errors_fallback: u64, fails(6, "fallback");
    Counters requests_all_hit ["requests"] Int ("requests with every key a hit", Count) "Requests whose every key was a fresh cache hit."
        [higher] => sum requests_all_hit: u64;
    Counters cache_hits ["lookups"] Int ("cache hits", Count) "Cache lookups that found a fresh entry." [higher]
        => sum cache_hits: u64;
    Counters cache_misses ["lookups"] Int ("cache misses", Count) "Cache lookups that found nothing or an expired entry."
        => sum cache_misses: u64;
    Counters hit_ratio ["0–1"] Dec6 ("cache hit ratio", Share) "Hits over lookups (0 when there were no lookups)." [higher]
        baseline(5) = row |b| b.hit_ratio();
    Counters stale_serves ["reads"] Int ("stale values served", Count) "Expired values served (stale-while-revalidate, lease, \
        lock or rate-limit fallback)." => sum stale_serves: u64;
    Counters lock_waits ["reads"] Int ("reads waiting on a lock", Count) "Reads that polled another reader's lock or lease \
        (coalesced reads are not counted again)." => sum lock_waits: u64;
    Counters lock_wait_mean_ms ["ms"] Dec3 ("mean lock wait", Ms) "Mean time those reads waited, ms (counted when the \
        wait ended)." => own lock_wait_mean_ms: f64;
    Counters db_queries_miss ["queries"] Int ("database queries after a miss", Count) "Database queries submitted because a read missed \
        and rebuilt the key." = row |b| b.db_by_cause.miss;
    Counters db_queries_early_refresh ["queries"] Int ("database queries, early refresh", Count) "Database queries submitted by an XFetch \
        recompute before expiry." = row |b| b.db_by_cause.early_refresh;
    Counters db_queries_background_refresh ["queries"] Int ("database queries, background refresh", Count) "Database queries submitted by a \
        refresh-ahead or stale-while-revalidate background refresh."
        = row |b| b.db_by_cause.background_refresh;
    Counters db_queries_warmup ["queries"] Int ("database queries, warm-up", Count) "Database queries submitted to warm up (a deploy \
        or a returning cache node)." = row |b| b.db_by_cause.warmup;
    Counters db_queries_fallback ["queries"] Int ("database queries, fallback", Count) "Database queries submitted by a lock or lease \
        giving up waiting." = row |b| b.db_by_cause.fallback;
    Counters db_queries_started ["queries"] Int ("database queries started", Count) "Database queries that entered service."
        => sum db_started: u64;
    Counters db_queries_completed ["queries"] Int ("database queries completed", Count) "Database queries that finished service."
        => sum db_completed: u64;
    Counters db_busy_fraction ["0–1"] Dec6 ("database busy fraction", Share) "Fraction of database slot-time busy, 0..1."
        => own db_busy_fraction: f64;
    Counters db_wait_mean_ms ["ms"] Dec3 ("mean database queue wait", Ms) "Mean time queries that entered service in this bucket \
        waited in the queue, ms." => own db_wait_mean_ms: f64;
    Counters evictions ["entries"] Int ("cache evictions", Count) "Entries evicted by LRU to make room."
        => sum evictions: u64;
    Counters herds ["herds"] Int ("hot-key herds", Count) "Herds of the hot key (key 0) that ended in the bucket: groups \
        of database queries for it between two writes of its value." => sum herds: u64;
    Counters herds_early ["herds"] Int ("hot-key herds before expiry", Count) "Of those, herds that began before the value expired \
        (early or background refresh)." => sum herds_early: u64;
    Counters herd_max ["queries"] Int ("largest hot-key herd (queries)", Count) "Largest herd that ended in the bucket (queries)."
        => max herd_max: u64;

    BucketLatency db_queries_per_s ["queries/s"] Dec3 ("database queries", PerSecond) "Database queries completed per second."
        = row |b| b.db_qps();
    BucketLatency db_queue_max ["queries"] Int ("longest database queue (queries)", Count) "Longest database queue seen in the bucket."
        => max db_queue_max: u64;
    BucketLatency p50_latency_ms ["ms"] Dec3 ("median latency", Ms) "Median latency of the bucket's successful \
        requests." = row |b| b.latency.p50_ms;
    BucketLatency p95_latency_ms ["ms"] Dec3 ("p95 latency", Ms) "95th percentile latency of the bucket's \
        successful requests." = row |b| b.latency.p95_ms;
    BucketLatency p99_latency_ms ["ms"] Dec3 ("p99 latency", Ms) "99th percentile latency of the bucket's \
        successful requests." = row |b| b.latency.p99_ms;
    BucketLatency max_latency_ms ["ms"] Dec3 ("largest latency", Ms) "Largest latency of the bucket's successful \
        requests." = row |b| b.latency.max_ms;
    BucketLatency latency_samples ["requests"] Int ("latency samples", Count) "How many latencies the percentiles cover."
        = row |b| b.latency.count;
    BucketLatency requests_unfinished ["requests"] Int ("requests unfinished", Count) "Requests still waiting for their answer \
        when the run ended (only in the last bucket): admitted, not completed, not failed, \
        client not gone." => sum unfinished: u64;

    RunFigures error_ratio ["0–1"] Dec6 ("error ratio", Share) "Failed requests over arrivals."
        baseline(4) = run |s| ratio(s.result.summary.totals.errors(), s.result.summary.totals.arrived);
    RunFigures all_hit_ratio ["0–1"] Dec6 ("all-hit ratio", Share) "Requests whose every key was a fresh hit over \
        requests answered or failed." [higher] = run |s| {
            let t = &s.result.summary.totals;
            ratio(t.requests_all_hit, t.completed + t.errors())
        };
    RunFigures herd_mean ["queries"] Dec3 ("mean hot-key herd (queries)", Ratio) "Mean hot-key herd size."
        = run |s| s.result.summary.totals.herd_mean();
    RunFigures peak_db_queries_per_s ["queries/s"] Fixed3 ("peak database queries", PerSecond) "Highest database completions per \
        second in any bucket." baseline(3) = run |s| s.result.summary.peak_db_qps;
    RunFigures db_capacity_qps ["queries/s"] Fixed3 ("database capacity, queries", PerSecond) "Database capacity: slots over mean service \
        time." = run |s| s.db_capacity_qps;
    RunFigures peak_db_queue ["queries"] Int ("longest database queue (queries)", Count) "Longest database queue of the run."
        = run |s| s.result.summary.totals.db_queue_max;
    RunFigures mean_latency_ms ["ms"] Dec3 ("mean latency", Ms) "Mean latency of every successful request."
        baseline(1) = run |s| s.result.summary.totals.latency.mean_ms;
    RunFigures p50_latency_ms ["ms"] Dec3 ("median latency", Ms) "Median latency of every successful request."
        = run |s| s.result.summary.totals.latency.p50_ms;
    RunFigures p95_latency_ms ["ms"] Dec3 ("p95 latency", Ms) "95th percentile latency of every successful request."
        = run |s| s.result.summary.totals.latency.p95_ms;
    RunFigures p99_latency_ms ["ms"] Dec3 ("p99 latency", Ms) "99th percentile latency of every successful request."
        baseline(0) = run |s| s.result.summary.totals.latency.p99_ms;
    RunFigures p999_latency_ms ["ms"] Dec3 ("p99.9 latency", Ms) "99.9th percentile latency of every successful \
        request." = run |s| s.result.summary.totals.latency.p999_ms;
    RunFigures max_latency_ms ["ms"] Dec3 ("largest latency", Ms) "Largest latency of any successful request."
        = run |s| s.result.summary.totals.latency.max_ms;
    RunFigures requests_unfinished ["requests"] Int ("requests unfinished", Count) "Requests still waiting for their answer \
        when the run ended." = run |s| s.result.summary.totals.unfinished;
    RunFigures drain_s ["s"] Secs ("drain time", Seconds) "How long the run went on past its duration to drain \
        requests in flight." = run |s| s.result.summary.drained_s;
    RunFigures truncated ["0 or 1"] Int ("run truncated (1 = yes)", Count) "1 when the run diverged and was stopped early."
        = run |s| u64::from(s.result.summary.truncation.is_some());

    Freshness writes_committed ["writes"] Int ("writes committed", Count) "Writes committed to the database."
        => sum writes_committed: u64;
    Freshness db_queries_write ["queries"] Int ("database queries, writes", Count) "Writes submitted to the database."
        = row |b| b.db_by_cause.write;
    Freshness invalidations_sent ["deletes"] Int ("invalidations sent", Count) "Invalidations (deletes of written keys) sent \
        to the cache, lost ones included." => sum invalidations_sent: u64;
    Freshness invalidations_lost ["deletes"] Int ("invalidations lost", Count) "Invalidations lost on the way (event loss)."
        => sum invalidations_lost: u64;
    Freshness reads_served ["key reads"] Int ("key reads served", Count) "Reads of one key answered with a value (a request \
        of fan-out k makes k)." [higher] => sum reads_served: u64;
    Freshness outdated_reads ["key reads"] Int ("outdated reads", Count) "Of those, reads answered with a version older \
        than the database's committed one." => sum outdated_reads: u64;
    Freshness outdated_ratio ["0–1"] Dec6 ("outdated read ratio", Share) "Outdated reads over reads served (0 when none was \
        served)." = row |b| b.outdated_ratio();
    Freshness outdated_age_p50_ms ["ms"] Dec3 ("median age of outdated reads", Ms) "Median age of the outdated reads."
        = row |b| b.outdated_age.p50_ms;
    Freshness outdated_age_p99_ms ["ms"] Dec3 ("p99 age of outdated reads", Ms) "99th percentile age of the outdated reads."
        = row |b| b.outdated_age.p99_ms;
    Freshness outdated_age_max_ms ["ms"] Dec3 ("largest age of outdated reads", Ms) "Largest age of an outdated read."
        = row |b| b.outdated_age.max_ms;
    Freshness outdated_sets ["sets"] Int ("outdated values set in the cache", Count) "Sets that wrote a value older than the committed \
        version." => sum outdated_sets: u64;
    Freshness stale_set_races ["sets"] Int ("stale-set races", Count) "Of those, sets made after the cache had applied a \
        delete for a newer version: the stale-set race, which leaves the old value until its \
        TTL." => sum stale_set_races: u64;
    Freshness sets_refused ["sets"] Int ("cache sets refused", Count) "Sets refused: a versioned set older than the cache's \
        version, or a revoked lease." => sum sets_refused: u64;
    Freshness absent_reads ["key reads"] Int ("reads of absent keys", Count) "Key reads of keys that exist nowhere."
        => sum absent_reads: u64;
    Freshness negative_hits ["key reads"] Int ("negative-cache hits", Count) "Reads answered by a cached \"not found\" \
        (negative caching)." => sum negative_hits: u64;
    Freshness bloom_rejections ["key reads"] Int ("Bloom filter rejections", Count) "Absent keys the Bloom filter stopped before \
        the database." => sum bloom_rejections: u64;
    Freshness bloom_false_positives ["key reads"] Int ("Bloom filter false positives", Count) "Absent keys the Bloom filter let through \
        (false positives)." => sum bloom_false_positives: u64;
    Freshness db_queries_absent ["queries"] Int ("database queries for absent keys", Count) "Database queries for absent keys."
        => sum db_queries_absent: u64;
    Freshness local_hits ["key reads"] Int ("local cache hits", Count) "Reads answered by the instance's local cache."
        => sum local_hits: u64;
    Freshness local_misses ["key reads"] Int ("local cache misses", Count) "Reads the local cache could not answer (they go \
        on to the shared cache)." => sum local_misses: u64;
    Freshness local_differs ["key reads"] Int ("local hits differing from the shared cache", Count) "Local hits whose version differs from the one \
        the shared cache holds." => sum local_differs: u64;
    Freshness local_differs_ratio ["0–1"] Dec6 ("share of local hits differing", Share) "Local hits that differ over local hits."
        = row |b| ratio(b.local_differs, b.local_hits);
    Freshness local_invalidations_sent ["messages"] Int ("local invalidations sent", Count) "Pub/sub messages of changes sent to \
        local caches (one per write and instance)." => sum local_invalidations_sent: u64;
    Freshness local_invalidations_lost ["messages"] Int ("local invalidations lost", Count) "Of those, messages lost."
        => sum local_invalidations_lost: u64;
    Freshness writes_lost ["writes"] Int ("writes lost", Count) "Writes the cache took (write-back) and lost with a \
        node before they were committed." => sum writes_lost: u64;
    Freshness writes_arrived ["writes"] Int ("writes arrived", Count) "Writes that arrived." => sum writes_arrived: u64;
    Freshness created_hidden_reads ["key reads"] Int ("reads missing a created key", Count) "Reads of keys created after they were \
        absent, answered \"not found\"." => sum created_hidden_reads: u64;
    Freshness invalidations_delayed ["deletes"] Int ("invalidations delayed", Count) "Invalidations sent as events, to arrive \
        after a lag." => sum invalidations_delayed: u64;
    Freshness invalidation_lag_mean_ms ["ms"] Dec3 ("mean invalidation lag", Ms) "Mean lag of those, ms."
        => own invalidation_lag_mean_ms: f64;

    Dependency errors_shed ["requests"] Int ("requests shed: app worker wait", Count) "Requests shed by the app: they waited for a worker \
        longer than the shedding limit." => sum errors_shed: u64, fails(2, "shed");
    Dependency errors_db_error ["requests"] Int ("requests failed: database error", Count) "Requests failed by a transient database error."
        => sum errors_db_error: u64, fails(5, "db error");
    Dependency attempts ["attempts"] Int ("attempts", Count) "Attempts started (without retries, one per request \
        admitted or turned away)." => sum attempts: u64;
    Dependency retries ["attempts"] Int ("retries", Count) "Of those, retries (attempts after the first of their \
        request)." => sum retries: u64;
    Dependency retries_refused ["retries"] Int ("retries refused", Count) "Retries the retry budget refused (their request \
        failed instead)." => sum retries_refused: u64;
    Dependency attempts_late ["attempts"] Int ("attempts answered too late", Count) "Attempts answered successfully after their \
        client had given up: work done for nobody." => sum attempts_late: u64;
    Dependency db_errors ["queries"] Int ("database errors", Count) "Database queries that failed with a transient error."
        => sum db_errors: u64;
    Dependency queries_cancelled ["queries"] Int ("database queries cancelled", Count) "Queued database queries dropped because their \
        client had given up (cancelled work)." => sum queries_cancelled: u64;
    Dependency goodput_per_s ["requests/s"] Dec3 ("requests answered in time", PerSecond) "Requests answered successfully per second."
        [higher] = row |b| b.goodput();
    Dependency throughput_per_s ["attempts/s"] Dec3 ("attempts answered", PerSecond) "Attempts answered successfully per second, \
        whether or not their client still waited." [higher] = row |b| b.throughput();
    Dependency retry_amplification ["attempts/request"] Dec6 ("attempts per request", Ratio) "Attempts per request arrived (1 \
        without retries; 0 when none arrived)." = row |b| b.retry_amplification();

    Recovery recovery_s ["s, `never` or empty"] Secs ("recovery time", Seconds) "Time from the end of the last disturbance \
        until the recovery metric is back in its band for good; `never` when it does not come \
        back, empty without a disturbance." = run |s| match s.result.summary.recovery {
            None => Cell::Empty,
            Some(r) if !r.recovered() => Cell::Never,
            Some(r) => Cell::Real(r.recovery_s),
        };

    Nodes cache_errors ["operations"] Int ("cache errors", Count) "Cache reads that failed: a dead node, a dropped \
        operation or the app's timeout (open breakers are counted apart)."
        => sum cache_errors: u64;
    Nodes cache_timeouts ["operations"] Int ("cache timeouts", Count) "Of those, reads that hit the app's cache timeout."
        => sum cache_timeouts: u64;
    Nodes breaker_rejections ["calls"] Int ("circuit breaker rejections", Count) "Cache reads an open breaker rejected without making \
        the call." => sum breaker_rejections: u64;
    Nodes breaker_opens ["breakers"] Int ("circuit breakers opened", Count) "Breakers (one per app instance and node) that opened \
        from closed." => sum breaker_opens: u64;
    Nodes breakers_open_max ["breakers"] Int ("most circuit breakers open", Count) "Most breakers not closed (open or half-open) at \
        once in the bucket." => max breakers_open_max: u64;
    Nodes gutter_hits ["reads"] Int ("gutter pool hits", Count) "Reads that failed over to the gutter pool and found a \
        value there." => sum gutter_hits: u64;
    Nodes gutter_misses ["reads"] Int ("gutter pool misses", Count) "Reads that failed over to the gutter pool and did not."
        => sum gutter_misses: u64;
    Nodes stale_on_error_serves ["reads"] Int ("stale values served on error", Count) "Reads whose cache call failed answered with the \
        instance's local copy." => sum stale_on_error_serves: u64;
    Nodes keys_remapped ["keys"] Int ("keys remapped", Count) "Keys moved to another node by a change of the nodes in \
        service." => sum keys_remapped: u64;
    Nodes node_wait_max_ms ["ms"] Dec3 ("longest wait at a cache node", Ms) "Longest wait of a cache read for its turn at a node \
        (node capacity), ms." => max node_wait_max_ms: f64;
    Nodes requests_degraded ["requests"] Int ("requests answered degraded", Count) "Requests answered without an optional key whose \
        read failed (counted in `completed`)." => sum requests_degraded: u64;
    Nodes hedges ["reads"] Int ("hedged reads", Count) "Cache reads hedged (a second read sent because the first was \
        slow)." => sum hedges: u64;
    Nodes hedges_won ["reads"] Int ("hedged reads won", Count) "Of those, hedges whose outcome the app acted on (answered \
        first)." => sum hedges_won: u64;
    Nodes db_retries ["queries"] Int ("database queries retried", Count) "Failed database queries the app sent again (app \
        retries)." => sum db_retries: u64;

    Worst worst_p99_latency_ms ["ms"] Dec3 ("worst p99 latency", Ms) "Highest p99 latency of any bucket."
        baseline(2) = run |s| s.result.summary.worst.p99_ms;
    Worst worst_error_ratio ["0–1"] Dec6 ("worst error ratio", Share) "Highest share of failures among the requests that \
        ended in any bucket." = run |s| s.result.summary.worst.error_ratio;
    Worst time_above_capacity_s ["s"] Secs ("time above database capacity", Seconds) "Time in buckets where the database was asked for \
        more queries per second than its capacity."
        = run |s| s.result.summary.worst.time_above_capacity_s;

    Verdict recovered ["1, 0 or empty"] Int ("recovered (share of runs)", Share) "The recovery verdict: 1 when the run recovered, 0 \
        when it did not, empty when it does not apply." = run |s| s.result.summary.recovery
            .map_or(Cell::Empty, |r| Cell::Count(u64::from(r.recovered())));
    Verdict metastable ["1, 0 or empty"] Int ("metastable: not recovered (share of runs)", Share) "Not recovered although the disturbance is over and \
        the offered load is back at its level." = run |s| s.result.summary.recovery
            .map_or(Cell::Empty, |r| Cell::Count(u64::from(r.metastable)));

    Counters cache_misses_expired ["lookups"] Int ("cache misses on expired entries", Count) "Of the cache misses, lookups that found the \
        key's entry expired: the misses the TTL caused (the others found no entry: a key never \
        cached, evicted, deleted or flushed; or were early recomputes or failed reads)."
        => sum cache_misses_expired: u64;
    Dependency errors_throttled ["requests"] Int ("requests failed: throttled by the client", Count) "Requests failed because the client rejected \
        the attempt itself (adaptive throttling)." => sum errors_throttled: u64,
        fails(7, "throttled");
    Dependency errors_db_breaker ["requests"] Int ("requests failed: database breaker open", Count) "Requests failed because the app's circuit \
        breaker on the database was open." => sum errors_db_breaker: u64, fails(8, "db breaker");
    Dependency db_breaker_opens ["breakers"] Int ("database breakers opened", Count) "App instances' breakers on the database that \
        opened from closed." => sum db_breaker_opens: u64;
    Freshness trace_deletes ["deletes"] Int ("trace deletes", Count) "Deletes of a replayed trace: each commits the \
        key's removal to the database, then deletes the key in the cache whatever the write path \
        (also counted in writes_committed and invalidations_sent)." => sum trace_deletes: u64;
}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{recovery::Recovery, RunResult, Summary};

    fn strategy(recovery: Option<Recovery>) -> StrategyResult {
        StrategyResult {
            name: "s".into(),
            description: String::new(),
            db_capacity_qps: 1.0,
            fanout: 1,
            marks: Vec::new(),
            client_timeout_s: None,
            result: RunResult {
                summary: Summary {
                    recovery,
                    ..Summary::default()
                },
                ..RunResult::default()
            },
        }
    }

    #[test]
    fn whole_number_columns_hold_counts_and_the_others_measurements() {
        let s = strategy(None);
        for c in COLUMNS {
            match c.value(&BucketRow::default(), Some(&s)) {
                Cell::Count(_) => assert_eq!(c.format, Format::Int, "{}", c.name),
                Cell::Real(_) => assert_ne!(c.format, Format::Int, "{}", c.name),
                Cell::Never => panic!("{} never without a verdict", c.name),
                Cell::Empty => assert!(c.group.may_be_empty(), "{} empty", c.name),
            }
        }
    }

    #[test]
    fn more_is_better_for_successes_and_hits_only() {
        let higher: Vec<&str> = summary_columns()
            .filter(|c| c.higher_is_better)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            higher,
            [
                "requests_completed",
                "requests_all_hit",
                "cache_hits",
                "hit_ratio",
                "all_hit_ratio",
                "reads_served",
                "goodput_per_s",
                "throughput_per_s"
            ]
        );
        assert!(higher_is_better("hit_ratio") && !higher_is_better("p99_latency_ms"));
        assert!(!higher_is_better("no_such_metric"));
    }

    #[test]
    fn only_the_recovery_columns_may_be_empty() {
        let empty: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| c.group.may_be_empty())
            .map(|c| c.name)
            .collect();
        assert_eq!(empty, ["recovery_s", "recovered", "metastable"]);
    }

    #[test]
    fn per_bucket_columns_come_from_rows_and_whole_run_ones_from_results() {
        for c in COLUMNS {
            let from_row = matches!(c.source, Source::Row(_));
            assert_eq!(from_row, c.group.in_timeseries(), "{}", c.name);
            assert_eq!(c.gather == Gather::Run, !from_row, "{}", c.name);
            assert!(!c.unit.is_empty() && !c.meaning.is_empty(), "{}", c.name);
        }
    }

    #[test]
    fn no_file_has_a_column_twice() {
        for file in [
            timeseries_columns().collect::<Vec<_>>(),
            summary_columns().collect(),
        ] {
            let mut names: Vec<&str> = file.iter().map(|c| c.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n);
        }
    }

    /// The README's column tables give each column the unit declared here (the integration
    /// test `csv_headers_are_the_documented_columns` checks that they name every column and no
    /// other). A row naming several columns gives one unit for all or one per column.
    #[test]
    fn the_readme_gives_every_column_its_declared_unit() {
        let readme = include_str!("../../README.md");
        let mut checked = 0;
        for (title, file) in [
            (
                "### `timeseries.csv` columns",
                timeseries_columns().collect::<Vec<_>>(),
            ),
            ("### `summary.csv` columns", summary_columns().collect()),
        ] {
            let start = readme.find(title).expect("the README's column table") + title.len();
            let section = &readme[start..];
            let section = &section[..section.find("\n#").unwrap_or(section.len())];
            for line in section.lines().filter(|l| l.starts_with("| `")) {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let (names, unit) = (cells[1], cells[2]);
                if unit.is_empty() || names.contains('…') {
                    continue;
                }
                let names: Vec<&str> = names.split('`').skip(1).step_by(2).collect();
                let units: Vec<&str> = unit.split(", ").collect();
                for (i, name) in names.iter().enumerate() {
                    let c = file
                        .iter()
                        .find(|c| c.name == *name)
                        .unwrap_or_else(|| panic!("README: no column {name} in {title}"));
                    let want = if units.len() == names.len() {
                        units[i]
                    } else {
                        unit
                    };
                    assert_eq!(c.unit, want, "unit of {name} in {title}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked} units checked");
    }

    #[test]
    fn failed_requests_are_the_sum_of_the_failure_columns() {
        let row = BucketRow {
            errors_timeout: 1,
            errors_db_rejected: 2,
            errors_db_timeout: 4,
            errors_overload: 8,
            errors_fallback: 16,
            errors_shed: 32,
            errors_db_error: 64,
            errors_throttled: 128,
            errors_db_breaker: 256,
            completed: 1000,
            ..BucketRow::default()
        };
        assert_eq!(row.errors(), 511);
        let mut less = row.clone();
        less.subtract_errors(&row);
        assert_eq!((less.errors(), less.completed), (0, 1000));
        let kinds: u64 = failure_kinds()
            .iter()
            .map(|(name, _)| {
                let c = COLUMNS.iter().find(|c| c.name == *name).unwrap();
                match c.value(&row, None) {
                    Cell::Count(n) => n,
                    other => panic!("{name}: {other:?}"),
                }
            })
            .sum();
        assert_eq!(kinds, 511);
        let words: Vec<&str> = failure_kinds().iter().map(|k| k.1).collect();
        assert_eq!(
            words,
            [
                "timeout",
                "overload",
                "shed",
                "db rejected",
                "db timeout",
                "db error",
                "fallback",
                "throttled",
                "db breaker"
            ]
        );
    }
}
