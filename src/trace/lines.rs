//! The bytes of a trace file read through one buffer: fixed-size records for the binary format
//! ([`Input::take`]), and CSV records split in place for the text formats ([`Lines`]), with no
//! allocation per record. A record's fields are slices of the buffer; only a record with a
//! quoted field is copied (unquoted) into a scratch buffer.
//!
//! The CSV rules are those of RFC 4180 as the `csv` crate reads them: records end at `\n`,
//! `\r\n` or `\r`; blank lines are skipped; a field that starts with `"` is quoted (it may
//! hold commas, line ends and `""` for a quote); a UTF-8 byte order mark at the start is
//! skipped. Line numbers count `\n`: a record is named by the line it starts on.

use std::io::{ErrorKind, Read};

/// Bytes read from the file at a time.
const READ_BYTES: usize = 1 << 16;

/// The longest record allowed (16 MiB): a file without line ends is not read whole into memory.
const MAX_RECORD_BYTES: usize = 16 << 20;

/// A file's bytes through a buffer that grows only for a record longer than it.
pub(super) struct Input {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Start of the bytes not yet consumed.
    pos: usize,
    /// End of the bytes read.
    end: usize,
    /// Whether the file has no more bytes.
    eof: bool,
}

impl Input {
    pub(super) fn new(reader: Box<dyn Read + Send>) -> Self {
        Input {
            reader,
            buf: vec![0; READ_BYTES],
            pos: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more bytes after those not yet consumed (moved to the front first); at the end
    /// of the file, sets `eof`.
    #[cold]
    fn fill_more(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD_BYTES {
                return Err(std::io::Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "a record is longer than {} MiB (is it the format named?)",
                        MAX_RECORD_BYTES >> 20
                    ),
                ));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next `N` bytes, consumed; `Ok(Err(n))` when the file ends `n` bytes into them
    /// (`n` = 0: it ended before them).
    #[inline]
    pub(super) fn take<const N: usize>(&mut self) -> std::io::Result<Result<[u8; N], usize>> {
        while self.end - self.pos < N {
            if self.eof {
                let n = self.end - self.pos;
                self.pos = self.end;
                return Ok(Err(n));
            }
            self.fill_more()?;
        }
        let bytes: [u8; N] = self.buf[self.pos..self.pos + N]
            .try_into()
            .expect("N bytes");
        self.pos += N;
        Ok(Ok(bytes))
    }
}

/// What a byte is to the fast splitter.
const PLAIN: u8 = 0;
const COMMA: u8 = 1;
const END: u8 = 2;
const QUOTE: u8 = 3;

const CLASS: [u8; 256] = {
    let mut c = [PLAIN; 256];
    c[b',' as usize] = COMMA;
    c[b'\n' as usize] = END;
    c[b'\r' as usize] = END;
    c[b'"' as usize] = QUOTE;
    c
};

/// The high bit of each byte of `word` that is a comma, a line end or a quote, and perhaps of
/// a few other bytes (the zero-byte test below can flag a byte just above a true match): a
/// superset, to be checked by [`CLASS`].
#[inline]
fn special_bytes(word: u64) -> u64 {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LOW) & !x & HIGH;
    zero(word ^ (LOW * b',' as u64))
        | zero(word ^ (LOW * b'\n' as u64))
        | zero(word ^ (LOW * b'\r' as u64))
        | zero(word ^ (LOW * b'"' as u64))
}

/// Splits a record (from `from` in the buffer) at its byte `i`, `byte`, the current field
/// starting `field` bytes on: a comma ends the field (its bounds pushed to `bounds`); a line
/// end (`Some(true)`) or a quote (`Some(false)`) ends the fast split.
#[inline(always)]
fn split(
    bounds: &mut Vec<(u32, u32)>,
    from: usize,
    field: &mut usize,
    i: usize,
    byte: u8,
) -> Option<bool> {
    match CLASS[byte as usize] {
        PLAIN => None,
        COMMA => {
            bounds.push(((from + *field) as u32, (from + i) as u32));
            *field = i + 1;
            None
        }
        END => Some(true),
        _ => Some(false),
    }
}

/// A CSV file's records, one at a time.
pub(super) struct Lines {
    input: Input,
    /// `\n` consumed so far.
    newlines: u64,
    /// Whether a byte order mark was looked for.
    started: bool,
    /// The line the current record starts on.
    line: u64,
    /// Bounds of the current record's fields, in the buffer or (`quoted`) in `scratch`.
    bounds: Vec<(u32, u32)>,
    quoted: bool,
    scratch: Vec<u8>,
}

impl Lines {
    pub(super) fn new(reader: Box<dyn Read + Send>) -> Self {
        Lines {
            input: Input::new(reader),
            newlines: 0,
            started: false,
            line: 0,
            bounds: Vec::with_capacity(16),
            quoted: false,
            scratch: Vec::new(),
        }
    }

    /// The file's bytes as they are, for a binary format.
    #[inline]
    pub(super) fn bytes(&mut self) -> &mut Input {
        &mut self.input
    }

    /// The line the current record starts on (1 is the first); after the last record, the
    /// number of lines.
    #[inline]
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// Fields of the current record.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Field `i` of the current record.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        let &(a, b) = self.bounds.get(i)?;
        let from = if self.quoted {
            &self.scratch
        } else {
            &self.input.buf
        };
        Some(&from[a as usize..b as usize])
    }

    /// Field `i` of the current record, which must exist.
    #[inline]
    pub(super) fn field(&self, i: usize) -> &[u8] {
        self.get(i).expect("a field below len()")
    }

    /// Reads the next record; `false` at the end of the file.
    #[inline]
    pub(super) fn next_record(&mut self) -> std::io::Result<bool> {
        if !self.started {
            self.start()?;
        }
        // Line ends before the record (the previous record's, and blank lines).
        loop {
            if self.input.pos == self.input.end {
                if self.input.eof {
                    self.line = self.newlines + 1;
                    return Ok(false);
                }
                self.input.fill_more()?;
                continue;
            }
            match self.input.buf[self.input.pos] {
                b'\n' => self.newlines += 1,
                b'\r' => {}
                _ => break,
            }
            self.input.pos += 1;
        }
        self.line = self.newlines + 1;
        self.quoted = false;
        loop {
            self.bounds.clear();
            let from = self.input.pos;
            let rest = &self.input.buf[from..self.input.end];
            let mut field = 0;
            // Eight bytes at a time: a word's candidate bytes (every comma, line end and
            // quote, and perhaps a few others) are checked one by one by their class.
            let mut at = 0;
            while at + 8 <= rest.len() {
                let word = u64::from_le_bytes(rest[at..at + 8].try_into().expect("eight bytes"));
                let mut candidates = special_bytes(word);
                while candidates != 0 {
                    let i = at + (candidates.trailing_zeros() / 8) as usize;
                    candidates &= candidates - 1;
                    if let Some(end) = split(&mut self.bounds, from, &mut field, i, rest[i]) {
                        return self.record_ends(end, from, field, i);
                    }
                }
                at += 8;
            }
            for (i, &b) in rest.iter().enumerate().skip(at) {
                if let Some(end) = split(&mut self.bounds, from, &mut field, i, b) {
                    return self.record_ends(end, from, field, i);
                }
            }
            if self.input.eof {
                let end = self.input.end;
                self.bounds.push(((from + field) as u32, end as u32));
                self.input.pos = end;
                return Ok(true);
            }
            self.input.fill_more()?;
        }
    }

    /// The record (from `from` in the buffer) ends at byte `i` (on): at a line end (`end`), or
    /// at a quote, from which it is read again by the full rules.
    #[inline(always)]
    fn record_ends(
        &mut self,
        end: bool,
        from: usize,
        field: usize,
        i: usize,
    ) -> std::io::Result<bool> {
        if end {
            Ok(self.ends_at(from, field, i))
        } else {
            self.quoted_record()
        }
    }

    /// The current record (from `from` in the buffer) ends with its last field (from `field`)
    /// at the line end `i` bytes on, which is consumed (a `\r\n`'s `\n` is left to the next
    /// call's skipping of line ends).
    #[inline(always)]
    fn ends_at(&mut self, from: usize, field: usize, i: usize) -> bool {
        self.bounds.push(((from + field) as u32, (from + i) as u32));
        let at = from + i;
        self.newlines += (self.input.buf[at] == b'\n') as u64;
        self.input.pos = at + 1;
        true
    }

    /// Skips a UTF-8 byte order mark at the start of the file.
    #[cold]
    fn start(&mut self) -> std::io::Result<()> {
        self.started = true;
        while self.input.end < 3 && !self.input.eof {
            self.input.fill_more()?;
        }
        if self.input.buf[..self.input.end].starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.input.pos = 3;
        }
        Ok(())
    }

    /// The current record, which holds a quote, read by the full rules into `scratch`.
    #[cold]
    fn quoted_record(&mut self) -> std::io::Result<bool> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            StartField,
            InField,
            InQuoted,
            /// A quote inside a quoted field: its end, or the first of `""`.
            QuoteInQuoted,
        }
        self.quoted = true;
        loop {
            self.bounds.clear();
            self.scratch.clear();
            let buf = &self.input.buf[..self.input.end];
            let mut state = State::StartField;
            let mut field = 0usize;
            let mut newlines = 0u64;
            let mut i = self.input.pos;
            let mut done = false;
            while i < buf.len() {
                let b = buf[i];
                let end = b == b'\n' || b == b'\r';
                match state {
                    State::StartField | State::InField | State::QuoteInQuoted
                        if end || b == b',' =>
                    {
                        self.bounds.push((field as u32, self.scratch.len() as u32));
                        field = self.scratch.len();
                        if end {
                            done = true;
                            break;
                        }
                        state = State::StartField;
                    }
                    State::StartField if b == b'"' => state = State::InQuoted,
                    State::StartField | State::InField => {
                        self.scratch.push(b);
                        state = State::InField;
                    }
                    State::InQuoted if b == b'"' => state = State::QuoteInQuoted,
                    State::InQuoted => {
                        newlines += (b == b'\n') as u64;
                        self.scratch.push(b);
                    }
                    State::QuoteInQuoted if b == b'"' => {
                        self.scratch.push(b);
                        state = State::InQuoted;
                    }
                    State::QuoteInQuoted => {
                        self.scratch.push(b);
                        state = State::InField;
                    }
                }
                i += 1;
            }
            if done || self.input.eof {
                if !done {
                    self.bounds.push((field as u32, self.scratch.len() as u32));
                }
                self.input.pos = i;
                self.newlines += newlines;
                return Ok(true);
            }
            self.input.fill_more()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8]) -> Vec<(u64, Vec<String>)> {
        // A one-byte reader: every record crosses refills.
        struct Slow(Vec<u8>, usize);
        impl Read for Slow {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.1 == self.0.len() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut out = Vec::new();
        for slow in [false, true] {
            let reader: Box<dyn Read + Send> = if slow {
                Box::new(Slow(bytes.to_vec(), 0))
            } else {
                Box::new(std::io::Cursor::new(bytes.to_vec()))
            };
            let mut lines = Lines::new(reader);
            let mut got = Vec::new();
            while lines.next_record().unwrap() {
                let fields = (0..lines.len())
                    .map(|i| String::from_utf8_lossy(lines.field(i)).into_owned())
                    .collect();
                got.push((lines.line(), fields));
            }
            if slow {
                assert_eq!(got, out, "the same records whatever the reads");
            } else {
                out = got;
            }
        }
        out
    }

    fn row(line: u64, fields: &[&str]) -> (u64, Vec<String>) {
        (line, fields.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn records_split_as_rfc_4180_with_the_line_they_start_on() {
        let text = b"\xEF\xBB\xBFts,key\r\n1,a\r\n\r\n\n2,,\n\"3\",\"x,y\"\n4,\"q\"\"r\nz\",s\"t\n5,\"a\"b\r6,end";
        assert_eq!(
            records(text),
            [
                row(1, &["ts", "key"]),
                row(2, &["1", "a"]),
                row(5, &["2", "", ""]),
                row(6, &["3", "x,y"]),
                row(7, &["4", "q\"r\nz", "s\"t"]),
                row(9, &["5", "ab"]),
                row(9, &["6", "end"]),
            ]
        );
        assert_eq!(records(b""), []);
        assert_eq!(records(b"\n\n"), []);
        assert_eq!(records(b"a"), [row(1, &["a"])]);
        // A quoted field the file ends in.
        assert_eq!(records(b"1,\"ab"), [row(1, &["1", "ab"])]);
    }

    #[test]
    fn fixed_records_are_taken_whole_or_the_bytes_left_are_told() {
        let mut input = Input::new(Box::new(std::io::Cursor::new(
            (0u8..30).collect::<Vec<_>>(),
        )));
        assert_eq!(
            input.take::<24>().unwrap(),
            Ok(std::array::from_fn(|i| i as u8))
        );
        assert_eq!(input.take::<24>().unwrap(), Err(6));
        assert_eq!(input.take::<24>().unwrap(), Err(0));
    }

    #[test]
    fn a_file_without_line_ends_is_refused_past_the_longest_record() {
        let mut lines = Lines::new(Box::new(std::io::repeat(b'x')));
        let e = lines.next_record().unwrap_err();
        assert!(e.to_string().contains("longer than 16 MiB"), "{e}");
    }
}
