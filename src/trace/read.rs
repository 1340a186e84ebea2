//! Streaming readers: [`TraceReader`] yields a file's records in time order, [`Replay`] a window
//! of them on a clock starting at zero with dense key ids, and [`scan`] counts what a replay
//! will bring before any run.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
    /// Text keys and the numbers given to them, in order of first appearance.
    names: HashMap<Box<[u8]>, u64, BuildHasherDefault<FastHasher>>,
    /// Records read and not yet given out: (time, file position, record).
    /// Kept sorted by (time, position): a record in order is appended, one out of order
    /// inserted where it belongs.
    pending: VecDeque<(u64, u64, Key)>,
    /// Latest time read so far.
    latest_ns: u64,
    /// Records (or lines) read so far.
    position: u64,
    /// The line or record number of the last record given out.
    given: u64,
    ended: bool,
    /// The text formats' current line.
    row: csv::ByteRecord,
    /// The CSV columns' names as the scenario gives them (time, key, op, size, ttl).
    column_names: [String; 5],
}

/// The fields of a pending record besides its time and file position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    key: u64,
    op: u8,
    size: u64,
    ttl_s: u32,
}

enum Source {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        /// Column indexes: time, key, op, size, ttl.
        columns: [Option<usize>; 5],
        time_unit_ns: u64,
    },
    Twitter {
        reader: csv::Reader<Box<dyn Read + Send>>,
    },
    Oracle {
        reader: Box<dyn Read + Send>,
    },
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

fn op_code(op: Op) -> u8 {
    match op {
        Op::Get => 0,
        Op::Set => 1,
        Op::Delete => 2,
    }
}

fn op_of(code: u8) -> Op {
    match code {
        0 => Op::Get,
        1 => Op::Set,
        _ => Op::Delete,
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
            Box::new(BufReader::with_capacity(
                BUFFER_BYTES,
                Zstd {
                    decoder: Some(decoder),
                },
            ))
        } else {
            Box::new(buffered)
        };
        let source = match format {
            Format::Csv(columns) => csv_source(path, bytes, columns)?,
            Format::Twitter => Source::Twitter {
                reader: csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(bytes),
            },
            Format::OracleGeneral => Source::Oracle { reader: bytes },
        };
        Ok(TraceReader {
            file: path.to_path_buf(),
            source,
            names: HashMap::default(),
            pending: VecDeque::new(),
            latest_ns: 0,
            position: 0,
            given: 0,
            ended: false,
            row: csv::ByteRecord::new(),
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
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        loop {
            if let Some(&(time_ns, _, _)) = self.pending.front() {
                if self.ended || time_ns.saturating_add(REORDER_WINDOW_NS) <= self.latest_ns {
                    let (time_ns, position, k) = self.pending.pop_front().expect("peeked");
                    self.given = position;
                    return Ok(Some(Record {
                        time_ns,
                        key: k.key,
                        op: op_of(k.op),
                        size: k.size,
                        ttl_s: k.ttl_s,
                    }));
                }
            }
            if self.ended {
                return Ok(None);
            }
            match self.read_raw()? {
                None => self.ended = true,
                Some(r) => {
                    if r.time_ns.saturating_add(REORDER_WINDOW_NS) < self.latest_ns {
                        return Err(self.error(
                            &self.time_field(),
                            format!(
                                "{} s is more than 1 s before an earlier record's {} s; records may be out of \
                                 order by at most 1 s (sort the trace by time)",
                                r.time_ns as f64 / 1e9,
                                self.latest_ns as f64 / 1e9
                            ),
                        ));
                    }
                    self.latest_ns = self.latest_ns.max(r.time_ns);
                    let k = Key {
                        key: r.key,
                        op: op_code(r.op),
                        size: r.size,
                        ttl_s: r.ttl_s,
                    };
                    let entry = (r.time_ns, self.position, k);
                    if self
                        .pending
                        .back()
                        .is_none_or(|b| (b.0, b.1) <= (entry.0, entry.1))
                    {
                        self.pending.push_back(entry);
                    } else {
                        // Out of order: after every record of an earlier or equal time.
                        let at = self
                            .pending
                            .partition_point(|p| (p.0, p.1) <= (entry.0, entry.1));
                        self.pending.insert(at, entry);
                    }
                }
            }
        }
    }

    /// Where record or line `n` is, as an error names it.
    fn at(&self, n: u64) -> String {
        match self.source {
            Source::Oracle { .. } => format!("record {n}"),
            _ => format!("line {n}"),
        }
    }

    /// The name of the time field.
    fn time_field(&self) -> String {
        match self.source {
            Source::Oracle { .. } => "time".into(),
            Source::Twitter { .. } => "timestamp".into(),
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
    fn read_raw(&mut self) -> Result<Option<Record>, TraceError> {
        let more = match &mut self.source {
            Source::Oracle { reader } => {
                let mut buf = [0u8; ORACLE_RECORD_BYTES];
                let mut filled = 0;
                let mut failed = None;
                while filled < buf.len() {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if filled == 0 && failed.is_none() {
                    return Ok(None);
                }
                self.position += 1;
                if let Some(e) = failed {
                    return Err(self.error("", format!("cannot be read: {e}")));
                }
                if filled < buf.len() {
                    return Err(self.error(
                        "",
                        format!(
                            "the file ends {filled} bytes into this record; oracleGeneral records are {ORACLE_RECORD_BYTES} bytes \
                             (u32 time, u64 object id, u32 size, i64 next access)"
                        ),
                    ));
                }
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
            Source::Twitter { reader } | Source::Csv { reader, .. } => {
                let more = reader.read_byte_record(&mut self.row);
                self.position = match self.row.position() {
                    Some(p) if more.as_ref().is_ok_and(|m| *m) => p.line(),
                    _ => reader.position().line(),
                };
                more
            }
        };
        let more = more.map_err(|e| self.error("", format!("cannot be read: {e}")))?;
        if !more {
            return Ok(None);
        }
        // The fields are read from the line in place; only a key seen for the first time is
        // copied (into the names table).
        let (time_ns, op, size, ttl_s) = match self.source {
            Source::Csv {
                columns,
                time_unit_ns,
                ..
            } => self.csv_fields(columns, time_unit_ns)?,
            _ => self.twitter_fields()?,
        };
        let row = &self.row;
        let key = match self.source {
            Source::Csv { columns, .. } => {
                let i = columns[1].expect("key column is required");
                match row.get(i) {
                    Some(k) => name_of(&mut self.names, k),
                    None => {
                        return Err(self.error(
                            &self.column_names[1],
                            format!(
                                "is missing: the line has {} fields, the header more",
                                row.len()
                            ),
                        ))
                    }
                }
            }
            _ => {
                let n = row.len();
                if n == 7 {
                    name_of(&mut self.names, &row[1])
                } else {
                    // A key holding commas: whatever lies between the first field and the last
                    // five, joined back.
                    let joined = (1..n - 5)
                        .map(|i| &row[i])
                        .collect::<Vec<_>>()
                        .join(&b","[..]);
                    name_of(&mut self.names, &joined)
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
    fn twitter_fields(&self) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.row;
        let n = row.len();
        if n < 7 {
            return Err(self.error(
                "",
                format!(
                    "has {n} fields; twitter records have 7: timestamp, key, key size, value size, client id, operation, TTL"
                ),
            ));
        }
        let text = |i: usize| String::from_utf8_lossy(&row[i]).into_owned();
        let time_ns = parse_time_bytes(&row[0], 1_000_000_000).ok_or_else(|| {
            self.error(
                "timestamp",
                format!(
                    "`{}` is not a time in seconds (a number at least 0)",
                    short(&text(0))
                ),
            )
        })?;
        let number = |i: usize, field: &str| -> Result<u64, TraceError> {
            parse_count(&row[i]).ok_or_else(|| {
                self.error(
                    field,
                    format!("`{}` is not a whole number at least 0", short(&text(i))),
                )
            })
        };
        let key_size = number(n - 5, "key size")?;
        let value_size = number(n - 4, "value size")?;
        let op = Op::parse_bytes(&row[n - 2])
            .ok_or_else(|| self.error("operation", bad_op(&text(n - 2))))?;
        let ttl = number(n - 1, "TTL")?;
        Ok((
            time_ns,
            op,
            key_size.saturating_add(value_size),
            ttl.min(u32::MAX as u64) as u32,
        ))
    }

    /// The current CSV line's time, operation, size and TTL (the key is read apart).
    fn csv_fields(
        &self,
        columns: [Option<usize>; 5],
        unit_ns: u64,
    ) -> Result<(u64, Op, u64, u32), TraceError> {
        let row = &self.row;
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

/// The number of text key `key` in `names`, given in order of first appearance.
#[inline]
fn name_of(names: &mut HashMap<Box<[u8]>, u64, BuildHasherDefault<FastHasher>>, key: &[u8]) -> u64 {
    if let Some(&id) = names.get(key) {
        return id;
    }
    let id = names.len() as u64;
    names.insert(key.into(), id);
    id
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

fn csv_source(
    path: &Path,
    bytes: Box<dyn Read + Send>,
    columns: &CsvColumns,
) -> Result<Source, TraceError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| TraceError {
            file: path.to_path_buf(),
            at: "line 1".into(),
            field: String::new(),
            message: format!("the header cannot be read: {e}"),
        })?
        .clone();
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
        reader,
        columns: index,
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
    dense: HashMap<u64, u32, BuildHasherDefault<FastHasher>>,
    /// Whether the reader's own key numbers serve as dense ids: text keys, numbered in order of
    /// first appearance in the file, replayed from the first record with every key kept (a
    /// second table would only number them again).
    direct: bool,
    /// Keys replayed so far: dense ids are below it.
    keys: u32,
    /// Per dense key, the trace time of its last record if that was a read, else `u64::MAX`.
    last_read_ns: Vec<u64>,
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
            dense: HashMap::default(),
            direct,
            keys: 0,
            last_read_ns: Vec::new(),
        })
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
                return Ok(None);
            }
            if self.window.sample.is_some_and(|s| !s.keeps(r.key)) {
                continue;
            }
            let (key, new) = if self.direct {
                let new = r.key >= self.keys as u64;
                (r.key.min(u32::MAX as u64) as u32, new)
            } else {
                let next_id = self.dense.len() as u32;
                let key = *self.dense.entry(r.key).or_insert(next_id);
                (key, key == next_id)
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
pub fn scan(path: &Path, format: &Format, window: Window) -> Result<Scan, TraceError> {
    let sample = window.sample;
    let fingerprint = Fingerprint::of(path).unwrap_or_default();
    let mut replay = Replay::open(
        path,
        format,
        Window {
            sample: None,
            ..window
        },
    )?;
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
    s.keys = replay.keys;
    s.records = replay.reader.position;
    s.fingerprint = fingerprint;
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

/// A fast hasher for the trace's key maps (FxHash's multiply, eight bytes at a time). The maps
/// are only looked up and counted, never iterated, so the hash reaches no output; keys come
/// from the user's trace, but a slow hash here cost more than parsing the trace (SipHash was a
/// fifth of a replay's instructions).
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, with the least entropy:
        // fold the high bits in (MurmurHash3's finaliser).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}
