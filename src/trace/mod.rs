//! Cache access traces, read as a stream of records: when (integer nanoseconds), which key, what
//! operation, how large and for how long. Knows nothing of the model: [`crate::model::clients`]
//! and [`crate::model::writes`] turn the records into arrivals.
//!
//! Three formats: a CSV with a header whose columns are chosen by name ([`CsvColumns`]),
//! Twitter's twemcache CSV, and libCacheSim's `oracleGeneral` binary records. Any of them may
//! be zstd-compressed (found by its magic number), decoded by a pure-Rust decoder. Records a
//! little out of time order are sorted ([`REORDER_WINDOW_NS`]); further out of order, a trace is
//! refused, as are malformed records (with the line or record number and the field) and a trace
//! with no record.

pub mod fit;
mod intern;
mod lines;
mod read;
mod sample;

pub use read::{scan, Fingerprint, Replay, Replayed, Scan, TraceReader};
pub use sample::KeySample;

use std::fmt;
use std::path::PathBuf;

/// Records whose timestamps run backwards by at most this much (1 s) are sorted back into
/// order; further back, the trace is refused.
pub const REORDER_WINDOW_NS: u64 = 1_000_000_000;

/// Bytes of one `oracleGeneral` record: u32 time, u64 object id, u32 size, i64 next access.
pub const ORACLE_RECORD_BYTES: usize = 24;

/// Which part of a trace a replay reads, and on what clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Trace time skipped after the trace's first record, in nanoseconds.
    pub start_ns: u64,
    /// Trace time replayed from there, in nanoseconds (`None`: to the end).
    pub length_ns: Option<u64>,
    /// Time scale: 2.0 replays twice as fast.
    pub speed: f64,
    /// A set at most this long (nanoseconds of trace time) after a read of the same key is a
    /// look-aside fill and dropped (`None`: every set is kept).
    pub fill_window_ns: Option<u64>,
    /// Most distinct keys allowed in the replay.
    pub max_keys: u32,
    /// The keys kept (`None`: every key).
    pub sample: Option<KeySample>,
}

impl Window {
    /// The whole trace at its own speed, every set kept, every key.
    pub fn whole(max_keys: u32) -> Self {
        Window {
            start_ns: 0,
            length_ns: None,
            speed: 1.0,
            fill_window_ns: None,
            max_keys,
            sample: None,
        }
    }
}

/// What a record does to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A read (`get`, `gets`).
    Get,
    /// A write of a value (`set`, `add`, `replace`, `cas`, `append`, `prepend`, `incr`,
    /// `decr`).
    Set,
    /// A delete.
    Delete,
}

impl Op {
    /// The operation a trace names, if it is one of the known ones (case-insensitive).
    pub fn parse(name: &str) -> Option<Op> {
        Op::parse_bytes(name.as_bytes())
    }

    /// [`Op::parse`] on the bytes of a field (ASCII blanks around it ignored).
    #[inline]
    pub fn parse_bytes(name: &[u8]) -> Option<Op> {
        // The usual spellings first, compared whole.
        match name {
            b"get" => return Some(Op::Get),
            b"set" => return Some(Op::Set),
            b"delete" => return Some(Op::Delete),
            _ => {}
        }
        const SETS: [&[u8]; 8] = [
            b"set", b"add", b"replace", b"cas", b"append", b"prepend", b"incr", b"decr",
        ];
        let name = name.trim_ascii();
        if name.eq_ignore_ascii_case(b"get") || name.eq_ignore_ascii_case(b"gets") {
            Some(Op::Get)
        } else if name.eq_ignore_ascii_case(b"delete") {
            Some(Op::Delete)
        } else if SETS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            Some(Op::Set)
        } else {
            None
        }
    }
}

/// One access of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// When, in nanoseconds of the trace's own clock.
    pub time_ns: u64,
    /// Which key: the trace's object id, or, for text keys, a number given to each distinct
    /// key in order of first appearance.
    pub key: u64,
    /// What it does.
    pub op: Op,
    /// Bytes of the key and value (0 when the trace does not say).
    pub size: u64,
    /// The record's TTL in seconds (0: none given, or no expiry).
    pub ttl_s: u32,
}

/// How a trace file is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// A CSV with a header line; columns chosen by name.
    Csv(CsvColumns),
    /// Twitter's twemcache traces: `timestamp (s), key, key size, value size, client id,
    /// operation, TTL (s)`, no header.
    Twitter,
    /// libCacheSim's `oracleGeneral`: 24-byte little-endian records (u32 time in s, u64 object
    /// id, u32 size, i64 next access); every record is a read.
    OracleGeneral,
}

impl Format {
    /// The format's name as a scenario writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv(_) => "csv",
            Format::Twitter => "twitter",
            Format::OracleGeneral => "oracle-general",
        }
    }
}

/// The columns of a CSV trace, by header name; `op`, `size` and `ttl` are optional (without
/// `op`, every record is a read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvColumns {
    /// Header of the time column.
    pub time: String,
    /// Header of the key column (any text).
    pub key: String,
    /// Header of the operation column.
    pub op: Option<String>,
    /// Header of the size column (bytes).
    pub size: Option<String>,
    /// Header of the TTL column (seconds).
    pub ttl: Option<String>,
    /// Nanoseconds in one unit of the time column (1e9 for seconds).
    pub time_unit_ns: u64,
}

/// A trace that cannot be read: the file, where in it, the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The trace file.
    pub file: PathBuf,
    /// `line 12`, `record 3`, or empty when the problem is the whole file.
    pub at: String,
    /// The record's field (`time`, `op`...), or empty.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trace {}", self.file.display())?;
        if !self.at.is_empty() {
            write!(f, ": {}", self.at)?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for TraceError {}

/// Parses a non-negative decimal number of `unit_ns` nanoseconds (`12`, `3.25`) exactly into
/// nanoseconds, rounding below a nanosecond down.
pub fn parse_time_ns(text: &str, unit_ns: u64) -> Option<u64> {
    parse_time_bytes(text.as_bytes(), unit_ns)
}

/// [`parse_time_ns`] on the bytes of a field (ASCII blanks around it ignored), without
/// allocating.
#[inline(always)]
pub fn parse_time_bytes(bytes: &[u8], unit_ns: u64) -> Option<u64> {
    // Fast path: a whole number of at most 19 digits, the usual time column.
    match digits(bytes) {
        Some(n) => n.checked_mul(unit_ns),
        None => parse_time_slow(bytes, unit_ns),
    }
}

/// [`parse_time_bytes`] of a field that is not 1 to 19 digits alone: with blanks around it or
/// a fraction, or refused.
#[cold]
#[inline(never)]
fn parse_time_slow(bytes: &[u8], unit_ns: u64) -> Option<u64> {
    let text = bytes.trim_ascii();
    let (whole, frac) = match text.iter().position(|&b| b == b'.') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &text[..0]),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let mut ns = parse_count(whole)
        .or_else(|| whole.is_empty().then_some(0))?
        .checked_mul(unit_ns)?;
    if !frac.is_empty() {
        if !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Each fractional digit is worth a tenth of the one before it.
        let mut part: u128 = 0;
        let mut denom: u128 = 1;
        for &b in frac.iter().take(18) {
            part = part * 10 + (b - b'0') as u128;
            denom *= 10;
        }
        ns = ns.checked_add((unit_ns as u128 * part / denom) as u64)?;
    }
    Some(ns)
}

/// A whole number at least 0 from the bytes of a field (ASCII blanks around it ignored).
#[inline]
pub fn parse_count(bytes: &[u8]) -> Option<u64> {
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return None;
    }
    if let Some(n) = digits(text) {
        return Some(n);
    }
    let mut n: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(n)
}

/// The number written by 1 to 19 ASCII digits and nothing else (`None` otherwise): eight
/// digits at a time while eight remain (SWAR: checked and combined in a few word operations),
/// then one by one. Up to 19 digits cannot overflow.
#[inline]
fn digits(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // Every byte 0x30..=0x39: high nibble 3, and adding 6 keeps it 3.
        let high = 0xF0F0_F0F0_F0F0_F0F0u64;
        let threes = 0x3030_3030_3030_3030u64;
        if w & high != threes || w.wrapping_add(0x0606_0606_0606_0606) & high != threes {
            return None;
        }
        // The first digit is the lowest byte: combine pairs, then fours, then the eight.
        let mut v = w - threes;
        v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v * 10_000 + (v >> 32)) & 0xFFFF_FFFF;
        n = n * 100_000_000 + v;
    }
    for &b in chunks.remainder() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as u64;
    }
    Some(n)
}

#[cfg(test)]
mod tests;
