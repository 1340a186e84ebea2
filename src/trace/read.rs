//! Streaming readers: [`TraceReader`] yields a file's records in time order, [`Replay`] a window
//! of them on a clock starting at zero with dense key ids, and [`scan`] counts what a replay
//! will bring before any run.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::intern::{Ids, Names};
use super::lines::Lines;
use super::{
    parse_count, parse_time_bytes, CsvColumns, Format, Op, Record, TraceError, Window,
    ORACLE_RECORD_BYTES, REORDER_WINDOW_NS,
};

/// The first four bytes of a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Bytes read from the file at a time.
const BUFFER_BYTES: usize = 1 << 16;

/// Reads a trace file record by record, in time order (records at most
/// [`REORDER_WINDOW_NS`] out of order are sorted; equal times keep file order).
pub struct TraceReader {
    file: PathBuf,
    source: Source,
    /// The file's bytes, split into CSV records for the text formats.
    lines: Lines,
    /// Text keys and the numbers given to them, in order of first appearance.
    names: Names,
    /// Records read and not yet given out, with their file positions. Kept sorted by (time,
    /// position): a record in order is appended, one out of order inserted where it belongs.
    pending: VecDeque<Pending>,
    /// Latest time read so far.
    latest_ns: u64,
    /// Records (or lines) read so far.
    position: u64,
    /// The line or record number of the last record given out.
    given: u64,
    ended: bool,
    /// Whether records are taken to come in time order (a scan found them so): given out as
    /// read, with no queue; one out of order is refused.
    in_order: bool,
    /// A twitter key holding commas, joined back.
    joined: Vec<u8>,
    /// The CSV columns' names as the scenario gives them (time, key, op, size, ttl).
    column_names: [String; 5],
}

/// A record read and not yet given out, and its line or record number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    record: Record,
    position: u64,
}

enum Source {
    Csv {
        /// Column indexes: time, key, op, size, ttl.
        columns: [Option<usize>; 5],
        /// The largest of them.
        widest: usize,
        time_unit_ns: u64,
    },
    Twitter,
    Oracle,
}

/// A zstd stream of one or more frames, decoded as one.
struct Zstd {
    decoder:
        Option<ruzstd::decoding::StreamingDecoder<BufReader<File>, ruzstd::decoding::FrameDecoder>>,
}

impl Read for Zstd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame is done: another may follow.
            let mut inner = self.decoder.take().expect("checked above").into_inner();
            if inner.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let next = ruzstd::decoding::StreamingDecoder::new(inner)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            self.decoder = Some(next);
        }
    }
}

impl TraceReader {
    /// Opens `path` as a trace of `format` (zstd-compressed or not).
    pub fn open(path: &Path, format: &Format) -> Result<Self, TraceError> {
        let whole = |message: String| TraceError {
            file: path.to_path_buf(),
            at: String::new(),
            field: String::new(),
            message,
        };
        let file = File::open(path).map_err(|e| whole(format!("cannot be opened: {e}")))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(whole("is a folder; give the trace file".into()));
        }
        let mut buffered = BufReader::with_capacity(BUFFER_BYTES, file);
        let head = buffered
            .fill_buf()
            .map_err(|e| whole(format!("cannot be read: {e}")))?;
        let bytes: Box<dyn Read + Send> = if head.starts_with(&ZSTD_MAGIC) {
            let decoder = ruzstd::decoding::StreamingDecoder::new(buffered)
                .map_err(|e| whole(format!("is not a valid zstd file: {e}")))?;
            // The records' own buffer ([`Lines`]) is the only one after decoding.
            Box::new(Zstd {
                decoder: Some(decoder),
            })
        } else {
            // A plain file is read straight into the records' buffer: the bytes already
            // buffered first, then the file itself (no second copy through this buffer).
            let ahead = buffered.buffer().to_vec();
            Box::new(std::io::Cursor::new(ahead).chain(buffered.into_inner()))
        };
        let mut lines = Lines::new(bytes);
        let source = match format {
            Format::Csv(columns) => csv_source(path, &mut lines, columns)?,
            Format::Twitter => Source::Twitter,
            Format::OracleGeneral => Source::Oracle,
        };
        Ok(TraceReader {
            file: path.to_path_buf(),
            source,
            lines,
            names: Names::default(),
            pending: VecDeque::new(),
            latest_ns: 0,
            position: 0,
            given: 0,
            ended: false,
            in_order: false,
            joined: Vec::new(),
            column_names: match format {
                Format::Csv(c) => [
                    c.time.clone(),
                    c.key.clone(),
                    c.op.clone().unwrap_or_default(),
                    c.size.clone().unwrap_or_default(),
                    c.ttl.clone().unwrap_or_default(),
                ],
                _ => Default::default(),
            },
        })
    }

    /// The next record in time order, `None` at the end of the file.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if self.in_order {
            self.next_in_order()
        } else {
            self.next_sorted()
        }
    }

    /// The next record of a trace that may be out of order, sorted through `pending`.
    #[inline(never)]
    fn next_sorted(&mut self) -> Result<Option<Record>, TraceError> {
        loop {
            if let Some(front) = self.pending.front() {
                if self.ended
                    || front.record.time_ns.saturating_add(REORDER_WINDOW_NS) <= self.latest_ns
                {
                    let Pending { record, position } = self.pending.pop_front().expect("peeked");
                    self.given = position;
                    return Ok(Some(record));
                }
            }
            if self.ended {
                return Ok(None);
            }
            match self.read_raw()? {
                None => self.ended = true,
                Some(r) => self.hold(r)?,
            }
        }
    }

    /// The next record of a trace taken to be in time order ([`TraceReader::in_order`]), as
    /// read; a record before an earlier one is refused.
    #[inline]
    fn next_in_order(&mut self) -> Result<Option<Record>, TraceError> {
        if self.ended {
            return Ok(None);
        }
        match self.read_raw()? {
            None => {
                self.ended = true;
                Ok(None)
            }
            Some(r) if r.time_ns < self.latest_ns => Err(self.not_in_order(r.time_ns)),
            Some(r) => {
                self.latest_ns = r.time_ns;
                self.given = self.position;
                Ok(Some(r))
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn not_in_order(&self, time_ns: u64) -> TraceError {
        self.error(
            &self.time_field(),
            format!(
                "{} s is before an earlier record's {} s, but the trace was in time order when \
                 it was checked",
                time_ns as f64 / 1e9,
                self.latest_ns as f64 / 1e9
            ),
        )
    }

    /// Holds `r`, just read, until no later record can come before it; refused if it comes
    /// more than [`REORDER_WINDOW_NS`] before a record read earlier.
    #[inline]
    fn hold(&mut self, r: Record) -> Result<(), TraceError> {
        if r.time_ns.saturating_add(REORDER_WINDOW_NS) < self.latest_ns {
            return Err(self.out_of_order(r.time_ns));
        }
        self.latest_ns = self.latest_ns.max(r.time_ns);
        let entry = Pending {
            record: r,
            position: self.position,
        };
        // Positions only grow: a record goes after every pending one of an earlier or equal
        // time.
        if self
            .pending
            .back()
            .is_none_or(|b| b.record.time_ns <= r.time_ns)
        {
            self.pending.push_back(entry);
        } else {
            // Out of order.
            let at = self
                .pending
                .partition_point(|p| p.record.time_ns <= r.time_ns);
            self.pending.insert(at, entry);
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn out_of_order(&self, time_ns: u64) -> TraceError {
        self.error(
            &self.time_field(),
            format!(
                "{} s is more than 1 s before an earlier record's {} s; records may be out of \
                 order by at most 1 s (sort the trace by time)",
                time_ns as f64 / 1e9,
                self.latest_ns as f64 / 1e9
            ),
        )
    }

    /// Where record or line `n` is, as an error names it.
    fn at(&self, n: u64) -> String {
        match self.source {
            Source::Oracle => format!("record {n}"),
            _ => format!("line {n}"),
        }
    }

    /// The name of the time field.
    fn time_field(&self) -> String {
        match self.source {
            Source::Oracle => "time".into(),
            Source::Twitter => "timestamp".into(),
            Source::Csv { .. } => self.column_names[0].clone(),
        }
    }

    /// A problem with `field` of the last record given out.
    fn given_error(&self, field: &str, message: String) -> TraceError {
        TraceError {
            file: self.file.clone(),
            at: self.at(self.given),
            field: field.into(),
            message,
        }
    }

    fn error(&self, field: &str, message: String) -> TraceError {
        TraceError {
            file: self.file.clone(),
            at: self.at(self.position),
            field: field.into(),
            message,
        }
    }

    /// The next record in file order.
    #[inline]
    fn read_raw(&mut self) -> Result<Option<Record>, TraceError> {
        if let Source::Oracle = self.source {
            let bytes = self.lines.bytes().take::<ORACLE_RECORD_BYTES>();
            let buf = match bytes {
                Ok(Ok(buf)) => buf,
                Ok(Err(0)) => return Ok(None),
                Ok(Err(filled)) => {
                    self.position += 1;
                    return Err(self.error(
                        "",
                        format!(
                            "the file ends {filled} bytes into this record; oracleGeneral records are {ORACLE_RECORD_BYTES} bytes \
                             (u32 time, u64 object id, u32 size, i64 next access)"
                        ),
                    ));
                }
                Err(e) => {
                    self.position += 1;
                    return Err(self.error("", format!("cannot be read: {e}")));
                }
            };
            self.position += 1;
            let time_s = u32::from_le_bytes(buf[0..4].try_into().expect("4 bytes"));
            let key = u64::from_le_bytes(buf[4..12].try_into().expect("8 bytes"));
            let size = u32::from_le_bytes(buf[12..16].try_into().expect("4 bytes"));
            return Ok(Some(Record {
                time_ns: time_s as u64 * 1_000_000_000,
                key,
                op: Op::Get,
                size: size as u64,
                ttl_s: 0,
            }));
        }
        let more = self.lines.next_record();
        self.position = self.lines.line();
        let more = more.map_err(|e| self.error("", format!("cannot be read: {e}")))?;
        if !more {
            return Ok(None);
        }
        // The fields are read from the line in place; only a key seen for the first time is
        // copied (into the names table).
        let (time_ns, op, size, ttl_s, key_column) = match &self.source {
            Source::Csv {
                columns,
                widest,
                time_unit_ns,
            } => {
                let (t, op, size, ttl) = self.csv_fields(columns, *widest, *time_unit_ns)?;
                (t, op, size, ttl, columns[1])
            }
            _ => {
                let (t, op, size, ttl) = self.twitter_fields()?;
                (t, op, size, ttl, None)
            }
        };
        let row = &self.lines;
        let key = match key_column {
            Some(i) => match row.get(i) {
                Some(k) => self.names.number(k),
                None => {
                    return Err(self.error(
                        &self.column_names[1],
                        format!(
                            "is missing: the line has {} fields, the header more",
                            row.len()
                        ),
                    ))
                }
            },
            _ => {
                let n = row.len();
                if n == 7 {
                    self.names.number(row.field(1))
                } else {
                    // A key holding commas: whatever lies between the first field and the last
                    // five, joined back.
                    self.joined.clear();
                    for i in 1..n - 5 {
                        if i > 1 {
                            self.joined.push(b',');
                        }
                        self.joined.extend_from_slice(row.field(i));
                    }
                    self.names.number(&self.joined)
                }
            }
        };
        Ok(Some(Record {
            time_ns,
            key,
            op,
            size,
            ttl_s,
        }))
    }

    /// `timestamp, key, key size, value size, client id, operation, TTL` of the current line,
    /// but the key: its time, operation, size (key and value) and TTL.
    #[inline]
    fn twitter_fields(&self) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.lines;
        let n = row.len();
        if n >= 7 {
            let time = parse_time_bytes(row.field(0), 1_000_000_000);
            let key_size = parse_count(row.field(n - 5));
            let value_size = parse_count(row.field(n - 4));
            let op = Op::parse_bytes(row.field(n - 2));
            let ttl = parse_count(row.field(n - 1));
            if let (Some(t), Some(k), Some(v), Some(op), Some(ttl)) =
                (time, key_size, value_size, op, ttl)
            {
                return Ok((t, op, k.saturating_add(v), ttl.min(u32::MAX as u64) as u32));
            }
        }
        self.twitter_fields_checked()
    }

    /// [`Self::twitter_fields`] field by field, naming the first one malformed.
    #[cold]
    #[inline(never)]
    fn twitter_fields_checked(&self) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.lines;
        let n = row.len();
        if n < 7 {
            return Err(self.error(
                "",
                format!(
                    "has {n} fields; twitter records have 7: timestamp, key, key size, value size, client id, operation, TTL"
                ),
            ));
        }
        let text = |i: usize| String::from_utf8_lossy(row.field(i)).into_owned();
        let time_ns = parse_time_bytes(row.field(0), 1_000_000_000).ok_or_else(|| {
            self.error(
                "timestamp",
                format!(
                    "`{}` is not a time in seconds (a number at least 0)",
                    short(&text(0))
                ),
            )
        })?;
        let number = |i: usize, field: &str| -> Result<u64, TraceError> {
            parse_count(row.field(i)).ok_or_else(|| {
                self.error(
                    field,
                    format!("`{}` is not a whole number at least 0", short(&text(i))),
                )
            })
        };
        let key_size = number(n - 5, "key size")?;
        let value_size = number(n - 4, "value size")?;
        let op = Op::parse_bytes(row.field(n - 2))
            .ok_or_else(|| self.error("operation", bad_op(&text(n - 2))))?;
        let ttl = number(n - 1, "TTL")?;
        Ok((
            time_ns,
            op,
            key_size.saturating_add(value_size),
            ttl.min(u32::MAX as u64) as u32,
        ))
    }

    /// The current CSV line's time, operation, size and TTL (the key is read apart): straight
    /// through when every field is there and well formed, else by [`Self::csv_fields_checked`]
    /// for the error.
    #[inline]
    fn csv_fields(
        &self,
        columns: &[Option<usize>; 5],
        widest: usize,
        unit_ns: u64,
    ) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.lines;
        let fallback = || self.csv_fields_checked(columns, unit_ns);
        if row.len() <= widest {
            return fallback();
        }
        let Some(time_ns) = parse_time_bytes(row.field(columns[0].unwrap_or(0)), unit_ns) else {
            return fallback();
        };
        let op = match columns[2] {
            None => Op::Get,
            Some(i) => match Op::parse_bytes(row.field(i)) {
                Some(op) => op,
                None => return fallback(),
            },
        };
        let size = match columns[3] {
            None => 0,
            Some(i) => match count_or_blank(row.field(i)) {
                Some(v) => v,
                None => return fallback(),
            },
        };
        let ttl = match columns[4] {
            None => 0,
            Some(i) => match count_or_blank(row.field(i)) {
                Some(v) => v,
                None => return fallback(),
            },
        };
        Ok((time_ns, op, size, ttl.min(u32::MAX as u64) as u32))
    }

    /// [`Self::csv_fields`] field by field in column order, naming the first one missing or
    /// malformed.
    #[cold]
    #[inline(never)]
    fn csv_fields_checked(
        &self,
        columns: &[Option<usize>; 5],
        unit_ns: u64,
    ) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.lines;
        let get = |c: usize| -> Result<Option<&[u8]>, TraceError> {
            let Some(i) = columns[c] else {
                return Ok(None);
            };
            match row.get(i) {
                Some(v) => Ok(Some(v)),
                None => Err(self.error(
                    &self.column_names[c],
                    format!(
                        "is missing: the line has {} fields, the header more",
                        row.len()
                    ),
                )),
            }
        };
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let time = get(0)?.expect("time column is required");
        let time_ns = parse_time_bytes(time, unit_ns).ok_or_else(|| {
            self.error(
                &self.column_names[0],
                format!(
                    "`{}` is not a time (a number at least 0)",
                    short(&lossy(time))
                ),
            )
        })?;
        // The key is numbered apart, but a line without it is refused in column order.
        get(1)?;
        let op = match get(2)? {
            None => Op::Get,
            Some(t) => Op::parse_bytes(t)
                .ok_or_else(|| self.error(&self.column_names[2], bad_op(&lossy(t))))?,
        };
        let number = |c: usize| -> Result<u64, TraceError> {
            match get(c)? {
                None => Ok(0),
                Some(t) if t.trim_ascii().is_empty() => Ok(0),
                Some(t) => parse_count(t).ok_or_else(|| {
                    self.error(
                        &self.column_names[c],
                        format!("`{}` is not a whole number at least 0", short(&lossy(t))),
                    )
                }),
            }
        };
        let size = number(3)?;
        let ttl = number(4)?;
        Ok((time_ns, op, size, ttl.min(u32::MAX as u64) as u32))
    }
}

/// A whole number at least 0, or 0 for a blank field.
#[inline]
fn count_or_blank(bytes: &[u8]) -> Option<u64> {
    match parse_count(bytes) {
        Some(n) => Some(n),
        None if bytes.trim_ascii().is_empty() => Some(0),
        None => None,
    }
}

fn short(s: &str) -> String {
    crate::text::shorten(&crate::text::escape(s), 40).into_owned()
}

fn bad_op(t: &str) -> String {
    format!(
        "`{}` is not an operation; allowed: get, gets (reads), set, add, replace, cas, append, prepend, incr, decr (writes), delete",
        short(t)
    )
}

fn csv_source(path: &Path, lines: &mut Lines, columns: &CsvColumns) -> Result<Source, TraceError> {
    let found = lines.next_record().map_err(|e| TraceError {
        file: path.to_path_buf(),
        at: "line 1".into(),
        field: String::new(),
        message: format!("the header cannot be read: {e}"),
    })?;
    let header: Vec<&[u8]> = if found {
        (0..lines.len()).map(|i| lines.field(i)).collect()
    } else {
        Vec::new()
    };
    let names = [
        Some(columns.time.clone()),
        Some(columns.key.clone()),
        columns.op.clone(),
        columns.size.clone(),
        columns.ttl.clone(),
    ];
    let mut index = [None; 5];
    for (c, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        let found = header
            .iter()
            .position(|h| String::from_utf8_lossy(h).trim() == name.as_str());
        match found {
            Some(i) => index[c] = Some(i),
            None => {
                let have: Vec<String> = header
                    .iter()
                    .take(12)
                    .map(|h| short(&String::from_utf8_lossy(h)))
                    .collect();
                return Err(TraceError {
                    file: path.to_path_buf(),
                    at: "line 1".into(),
                    field: short(name),
                    message: format!("no such column in the header; it has: {}", have.join(", ")),
                });
            }
        }
    }
    Ok(Source::Csv {
        columns: index,
        widest: index.iter().flatten().copied().max().unwrap_or(0),
        time_unit_ns: columns.time_unit_ns,
    })
}

/// A window of a trace replayed on a clock starting at zero: the records from `start` after
/// the trace's first one, for `length` (of trace time), time divided by `speed`, keys numbered
/// 0.. in order of first appearance, and (with a fill window) sets dropped that follow a read
/// of the same key within that window (the look-aside fills of a trace taken at a cache).
pub struct Replay {
    reader: TraceReader,
    window: Window,
    /// Where the window begins in trace time (known from the first record).
    begin_ns: Option<u64>,
    dense: Ids,
    /// Whether the reader's own key numbers serve as dense ids: text keys, numbered in order of
    /// first appearance in the file, replayed from the first record with every key kept (a
    /// second table would only number them again).
    direct: bool,
    /// Keys replayed so far: dense ids are below it.
    keys: u32,
    /// Per dense key, the trace time of its last record if that was a read, else `u64::MAX`.
    last_read_ns: Vec<u64>,
    /// Trace time of the first record past the window, once read.
    beyond_ns: Option<u64>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("file", &self.reader.file)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// A record of a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// When, in nanoseconds from the start of the window (after `speed`).
    pub at_ns: u64,
    /// The key's dense id.
    pub key: u32,
    /// What it does.
    pub op: Op,
    /// Its TTL in seconds (0: none).
    pub ttl_s: u32,
    /// The key as the trace names it (its object id, or the number of a text key), before
    /// dense numbering.
    pub trace_key: u64,
    /// Bytes of the key and value (0: not given).
    pub size_bytes: u64,
}

impl Replay {
    /// Replays `path` of `format` through `window`; see [`Replay`]. Fails once the window holds
    /// more than `window.max_keys` distinct keys.
    pub fn open(path: &Path, format: &Format, window: Window) -> Result<Self, TraceError> {
        let direct = !matches!(format, Format::OracleGeneral)
            && window.start_ns == 0
            && window.sample.is_none();
        Ok(Replay {
            reader: TraceReader::open(path, format)?,
            window,
            begin_ns: None,
            dense: Ids::default(),
            direct,
            keys: 0,
            last_read_ns: Vec::new(),
            beyond_ns: None,
        })
    }

    /// The same replay of a trace known to be in time order (its [`Scan::in_order`]): records
    /// are given out as read, without holding them to sort them. A record out of order then
    /// fails the replay.
    pub fn in_order(mut self, in_order: bool) -> Self {
        self.reader.in_order = in_order;
        self
    }

    /// Reads on as a replay that sorts its records would have read past the end of the window
    /// (until a record [`REORDER_WINDOW_NS`] after the first one past it), so that an in-order
    /// replay checks and counts the same records.
    fn read_ahead(&mut self) -> Result<(), TraceError> {
        let Some(beyond) = self.beyond_ns.filter(|_| self.reader.in_order) else {
            return Ok(());
        };
        let until = beyond.saturating_add(REORDER_WINDOW_NS);
        while let Some(r) = self.reader.next_record()? {
            if r.time_ns >= until {
                break;
            }
        }
        Ok(())
    }

    /// Records (or lines) read from the file so far.
    pub fn records_read(&self) -> u64 {
        self.reader.position
    }

    /// The next record of the window, `None` after its end.
    pub fn next_record(&mut self) -> Result<Option<Replayed>, TraceError> {
        loop {
            let Some(r) = self.reader.next_record()? else {
                return Ok(None);
            };
            let begin = *self
                .begin_ns
                .get_or_insert_with(|| r.time_ns.saturating_add(self.window.start_ns));
            if r.time_ns < begin {
                continue;
            }
            let offset = r.time_ns - begin;
            if self.window.length_ns.is_some_and(|l| offset >= l) {
                self.beyond_ns = Some(r.time_ns);
                return Ok(None);
            }
            if self.window.sample.is_some_and(|s| !s.keeps(r.key)) {
                continue;
            }
            let (key, new) = if self.direct {
                let new = r.key >= self.keys as u64;
                (r.key.min(u32::MAX as u64) as u32, new)
            } else {
                self.dense.number(r.key)
            };
            if new {
                if key >= self.window.max_keys {
                    return Err(self.reader.given_error(
                        "key",
                        format!(
                            "the window holds more than {} distinct keys; replay a shorter `length`",
                            self.window.max_keys
                        ),
                    ));
                }
                self.keys = key + 1;
                if self.window.fill_window_ns.is_some() {
                    self.last_read_ns.resize(self.keys as usize, u64::MAX);
                }
            }
            if let Some(window) = self.window.fill_window_ns {
                let last = &mut self.last_read_ns[key as usize];
                let fill = r.op == Op::Set
                    && *last != u64::MAX
                    && r.time_ns.saturating_sub(*last) <= window;
                *last = if r.op == Op::Get { r.time_ns } else { u64::MAX };
                if fill {
                    continue;
                }
            }
            let speed = self.window.speed;
            let at_ns = if speed == 1.0 {
                offset
            } else {
                (offset as f64 / speed).round() as u64
            };
            return Ok(Some(Replayed {
                at_ns,
                key,
                op: r.op,
                ttl_s: r.ttl_s,
                trace_key: r.key,
                size_bytes: r.size,
            }));
        }
    }
}

/// What a replay brings, counted by reading it once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Reads (of the sampled keys, with a key sample).
    pub reads: u64,
    /// Writes (sets and deletes, look-aside fills dropped; of the sampled keys, with a key
    /// sample).
    pub writes: u64,
    /// Distinct keys of the window, sampled or not: a bound on the keys any sample replays.
    pub keys: u32,
    /// Time of the last record, nanoseconds from the start of the window (after `speed`).
    pub last_ns: u64,
    /// Whether any record carries a TTL.
    pub has_ttl: bool,
    /// Records read from the file up to the end of the window (lines or records).
    pub records: u64,
    /// The file as it was when counted.
    pub fingerprint: Fingerprint,
    /// Whether the records read came in time order (none before an earlier one): replays then
    /// need not sort them ([`Replay::in_order`]).
    pub in_order: bool,
}

/// A trace file's size and modification time, to tell that it changed after it was counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// Bytes.
    pub bytes: u64,
    /// Modification time, nanoseconds since the Unix epoch (0: unknown).
    pub modified_ns: u64,
}

impl Fingerprint {
    /// The fingerprint of the file at `path` now (`None`: it cannot be read).
    pub fn of(path: &Path) -> Option<Fingerprint> {
        let m = std::fs::metadata(path).ok()?;
        let modified_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Some(Fingerprint {
            bytes: m.len(),
            modified_ns,
        })
    }
}

/// Reads a whole replay (see [`Replay::open`]) and counts it; refuses an empty one. With a
/// key sample in `window`, every key of the window is counted in `keys`, and only the
/// sampled ones in `reads` and `writes`.
///
/// Read first as a trace in time order, without sorting; should a record come out of order
/// (or any record be refused), read again, sorting, for the counts or the error a sorting
/// replay gives.
pub fn scan(path: &Path, format: &Format, window: Window) -> Result<Scan, TraceError> {
    scan_as(path, format, window, true).or_else(|_| scan_as(path, format, window, false))
}

/// [`scan`], reading the records as in time order or sorting them.
pub(super) fn scan_as(
    path: &Path,
    format: &Format,
    window: Window,
    in_order: bool,
) -> Result<Scan, TraceError> {
    let sample = window.sample;
    let fingerprint = Fingerprint::of(path).unwrap_or_default();
    let mut replay = Replay::open(
        path,
        format,
        Window {
            sample: None,
            ..window
        },
    )?
    .in_order(in_order);
    let mut s = Scan::default();
    while let Some(r) = replay.next_record()? {
        if sample.is_some_and(|k| !k.keeps(r.trace_key)) {
            continue;
        }
        match r.op {
            Op::Get => s.reads += 1,
            _ => s.writes += 1,
        }
        s.last_ns = r.at_ns;
        s.has_ttl |= r.ttl_s > 0;
    }
    replay.read_ahead()?;
    s.keys = replay.keys;
    s.records = replay.reader.position;
    s.fingerprint = fingerprint;
    s.in_order = in_order;
    if s.reads + s.writes == 0 {
        let what = if replay.reader.position == 0 {
            "has no record"
        } else if sample.is_some() && replay.keys > 0 {
            "has no record of the keys sampled by `keys`; sample a larger fraction"
        } else {
            "has no record in the window chosen by `start` and `length`"
        };
        return Err(TraceError {
            file: path.to_path_buf(),
            at: String::new(),
            field: String::new(),
            message: what.to_string(),
        });
    }
    Ok(s)
}
