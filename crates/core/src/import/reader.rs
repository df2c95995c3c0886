//! Streaming CSV reader: bytes in any supported encoding -> decoded records, in bounded memory.
//!
//! Rules (documented here because the error report depends on them):
//! - RFC 4180 quoting with `""` escapes; quoted fields may contain delimiters and newlines.
//!   A quote in the middle of an unquoted field is literal (`5" screen`). `"ab"cd` reads `abcd`.
//! - Line terminators `\n`, `\r\n` and lone `\r` are all accepted, mixed freely.
//! - The first record is the header. Empty header names become "Column N"; duplicate names get
//!   " (2)", " (3)", ... so no column is lost.
//! - **Row numbers**: `row` counts data records after the header, starting at 1. Empty lines
//!   are not records and are not counted; records whose fields are all blank (`,,,`) are counted
//!   but skipped silently. `line` is the physical line (header = line 1) where the record starts;
//!   it equals the spreadsheet row number unless quoted fields contain newlines.
//! - **Field counts**: short rows are padded with empty fields (exporters drop trailing empty
//!   cells). Extra trailing fields that are empty are ignored. Extra non-empty fields make a
//!   row-level error: the columns are probably shifted and importing would misplace data.
//! - **Caps**: a record over `max_record_bytes` (default 1 MiB) is a row-level error, and its
//!   bytes are discarded as they stream by, so a 50 MB line costs 1 MiB of memory. A header over
//!   the cap, or over `max_columns` (default 500) columns, is a file-level error.
//! - A quoted field still open at end of file is a file-level error naming the row where it
//!   started. A record with NUL characters is a row-level error.

use std::io::{Cursor, Read};

use super::decode::DecodingReader;
use super::error::{FileError, ReadError, RecordError, RecordErrorKind};
use super::sniff::{SNIFF_BYTES, Sniffed, sniff};

/// Limits and overrides for [`CsvReader`].
#[derive(Debug, Clone)]
pub struct ReaderOptions {
    /// Largest record, in decoded bytes, before it becomes a row-level error.
    pub max_record_bytes: usize,
    /// Most columns accepted in the header.
    pub max_columns: usize,
    /// Force an encoding label instead of sniffing ("windows-1252", "utf-8", ...).
    pub encoding: Option<String>,
    /// Force a delimiter instead of sniffing.
    pub delimiter: Option<u8>,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            max_record_bytes: 1024 * 1024,
            max_columns: 500,
            encoding: None,
            delimiter: None,
        }
    }
}

/// One data record. Fields beyond the record's own are read as "" (short rows are padded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// 1-based data row (see the module doc).
    pub row: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
    buf: String,
    ends: Vec<usize>,
}

impl Record {
    /// Field `i`, or "" when the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf.get(start..end).unwrap_or("")
    }

    /// Number of fields actually present in the file.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True for a record without fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The fields present, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|i| self.get(i))
    }

    /// Builds a record by hand (tests, API rows that did not come from a file).
    pub fn from_fields<S: AsRef<str>>(row: u64, fields: &[S]) -> Record {
        let mut r = Record {
            row,
            line: row + 1,
            ..Record::default()
        };
        for f in fields {
            r.buf.push_str(f.as_ref());
            r.ends.push(r.buf.len());
        }
        r
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
}

/// Counters useful for the import summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReaderStats {
    /// Data records seen (including blank and rejected ones).
    pub records: u64,
    /// Records whose fields were all blank, skipped.
    pub blank_records: u64,
    /// Invalid UTF-8 bytes decoded as Windows-1252 (mixed encodings).
    pub repaired_bytes: u64,
}

/// Streaming CSV reader over any `Read`. See the module doc for the rules.
pub struct CsvReader<R: Read> {
    sniffed: Sniffed,
    headers: Vec<String>,
    src: DecodingReader<std::io::Chain<Cursor<Vec<u8>>, R>>,
    opts: ReaderOptions,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    src_eof: bool,
    state: State,
    line: u64,
    prev_cr: bool,
    row: u64,
    blank: u64,
    done: bool,
    field_buf: Vec<u8>,
    ends: Vec<usize>,
}

const READ_CHUNK: usize = 64 * 1024;

struct Raw {
    line: u64,
    fields: usize,
    oversize: bool,
    unterminated_quote: bool,
}

impl<R: Read> CsvReader<R> {
    /// Sniffs the first bytes, then reads the header. The rest is read lazily.
    pub fn new(mut inner: R, opts: ReaderOptions) -> Result<Self, FileError> {
        let mut sample = Vec::with_capacity(SNIFF_BYTES);
        (&mut inner)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut sample)?;
        let mut sniffed = match sniff(&sample) {
            Ok(s) => s,
            // A forced encoding may make sense of what sniffing rejects (e.g. UTF-16 without
            // BOM); an empty file stays empty.
            Err(FileError::Binary { .. }) if opts.encoding.is_some() => {
                Sniffed::with("utf-8", b',').ok_or(FileError::Binary { hint: None })?
            }
            Err(e) => return Err(e),
        };
        if let Some(label) = &opts.encoding {
            let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes())
                .ok_or(FileError::Binary { hint: None })?;
            sniffed.set_encoding(enc);
        }
        if let Some(d) = opts.delimiter {
            sniffed.delimiter = d;
        }
        let skip = sniffed.bom_len.min(sample.len());
        sample.drain(..skip);
        let src = DecodingReader::new(Cursor::new(sample).chain(inner), sniffed.encoding_rs());
        let mut reader = CsvReader {
            sniffed,
            headers: Vec::new(),
            src,
            buf: vec![0; READ_CHUNK],
            pos: 0,
            len: 0,
            src_eof: false,
            state: State::StartRecord,
            line: 1,
            prev_cr: false,
            row: 0,
            blank: 0,
            done: false,
            field_buf: Vec::with_capacity(4096),
            ends: Vec::with_capacity(64),
            opts,
        };
        reader.read_header()?;
        Ok(reader)
    }

    fn read_header(&mut self) -> Result<(), FileError> {
        let Some(raw) = self.read_raw()? else {
            return Err(FileError::Empty);
        };
        if raw.unterminated_quote {
            return Err(FileError::UnbalancedQuote {
                row: 0,
                line: raw.line,
            });
        }
        if raw.oversize {
            return Err(FileError::HeaderTooLarge {
                max: self.opts.max_record_bytes,
            });
        }
        // Trailing empty header cells (a trailing delimiter) are not columns.
        if raw.fields > self.ends.len() {
            return Err(FileError::TooManyColumns {
                found: raw.fields,
                max: self.opts.max_columns,
            });
        }
        let mut n = raw.fields;
        while n > 1 && self.field(n - 1).trim().is_empty() {
            n -= 1;
        }
        if n > self.opts.max_columns {
            return Err(FileError::TooManyColumns {
                found: n,
                max: self.opts.max_columns,
            });
        }
        let raw_names: Vec<String> = (0..n).map(|i| self.field(i).to_string()).collect();
        self.headers = unique_headers(&raw_names);
        Ok(())
    }

    /// What sniffing found (or the overrides).
    pub fn sniffed(&self) -> &Sniffed {
        &self.sniffed
    }

    /// Header names, unique (see the module doc), in column order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Raw bytes consumed from the input so far, for progress and ETA.
    pub fn bytes_read(&self) -> u64 {
        self.src.bytes_read()
    }

    /// Counters so far.
    pub fn stats(&self) -> ReaderStats {
        ReaderStats {
            records: self.row,
            blank_records: self.blank,
            repaired_bytes: self.src.repaired_bytes(),
        }
    }

    fn field(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::str::from_utf8(self.field_buf.get(start..end).unwrap_or(&[])).unwrap_or("")
    }

    /// Reads the next data record into `rec`, reusing its buffers. `Ok(false)` at the end.
    /// After a `ReadError::File` every later call returns `Ok(false)`.
    pub fn read_record(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        loop {
            if self.done {
                return Ok(false);
            }
            let raw = match self.read_raw() {
                Ok(Some(raw)) => raw,
                Ok(None) => {
                    self.done = true;
                    return Ok(false);
                }
                Err(e) => {
                    self.done = true;
                    return Err(e.into());
                }
            };
            self.row += 1;
            let (row, line) = (self.row, raw.line);
            if raw.unterminated_quote {
                self.done = true;
                return Err(FileError::UnbalancedQuote { row, line }.into());
            }
            let err = |kind| Err(ReadError::Record(RecordError { row, line, kind }));
            if raw.oversize {
                return err(RecordErrorKind::TooLarge {
                    max: self.opts.max_record_bytes,
                });
            }
            let expected = self.headers.len();
            let mut n = raw.fields.min(self.ends.len());
            while n > expected && self.field(n - 1).trim().is_empty() {
                n -= 1;
            }
            if n > expected || raw.fields > self.ends.len() {
                return err(RecordErrorKind::TooManyFields {
                    found: raw.fields,
                    expected,
                });
            }
            let end = if n == 0 { 0 } else { self.ends[n - 1] };
            let bytes = &self.field_buf[..end];
            if bytes.contains(&0) {
                return err(RecordErrorKind::Binary);
            }
            if (0..n).all(|i| self.field(i).trim().is_empty()) {
                self.blank += 1;
                continue;
            }
            rec.row = row;
            rec.line = line;
            rec.buf.clear();
            rec.buf
                .push_str(std::str::from_utf8(bytes).unwrap_or_default());
            rec.ends.clear();
            rec.ends.extend_from_slice(&self.ends[..n]);
            return Ok(true);
        }
    }

    /// Parses the next raw record into `field_buf`/`ends`. `None` at end of input.
    fn read_raw(&mut self) -> Result<Option<Raw>, FileError> {
        self.field_buf.clear();
        self.ends.clear();
        let d = self.sniffed.delimiter;
        let max_bytes = self.opts.max_record_bytes;
        // Field ends are stored up to one past the column cap; beyond that only counted.
        let max_fields = self.opts.max_columns.saturating_add(1);
        let mut fields = 0usize;
        let mut oversize = false;
        let mut start_line = self.line;
        self.state = State::StartRecord;
        loop {
            if self.pos == self.len {
                if self.src_eof {
                    break;
                }
                self.len = self.src.read(&mut self.buf)?;
                self.pos = 0;
                if self.len == 0 {
                    self.src_eof = true;
                    break;
                }
            }
            while self.pos < self.len {
                let b = self.buf[self.pos];
                self.pos += 1;
                // Physical line counting: \n, \r\n and lone \r each end one line.
                let newline = b == b'\n' || b == b'\r';
                if !newline {
                    self.prev_cr = false;
                }
                match self.state {
                    State::StartRecord => {
                        if newline {
                            self.count_line(b);
                            continue;
                        }
                        start_line = self.line;
                        self.state = State::StartField;
                        self.start_field(b, d, &mut fields, max_fields, &mut oversize, max_bytes);
                        if self.state == State::StartRecord {
                            return Ok(Some(self.raw(start_line, fields, oversize, false)));
                        }
                    }
                    State::StartField => {
                        self.start_field(b, d, &mut fields, max_fields, &mut oversize, max_bytes);
                        if self.state == State::StartRecord {
                            return Ok(Some(self.raw(start_line, fields, oversize, false)));
                        }
                    }
                    State::InField => {
                        if b == d {
                            self.end_field(&mut fields, max_fields);
                            self.state = State::StartField;
                        } else if newline {
                            self.count_line(b);
                            self.end_field(&mut fields, max_fields);
                            self.state = State::StartRecord;
                            return Ok(Some(self.raw(start_line, fields, oversize, false)));
                        } else {
                            push(&mut self.field_buf, b, &mut oversize, max_bytes);
                        }
                    }
                    State::InQuoted => {
                        if b == b'"' {
                            self.state = State::QuoteInQuoted;
                        } else {
                            if newline {
                                self.count_line(b);
                            }
                            push(&mut self.field_buf, b, &mut oversize, max_bytes);
                        }
                    }
                    State::QuoteInQuoted => {
                        if b == b'"' {
                            push(&mut self.field_buf, b'"', &mut oversize, max_bytes);
                            self.state = State::InQuoted;
                        } else if b == d {
                            self.end_field(&mut fields, max_fields);
                            self.state = State::StartField;
                        } else if newline {
                            self.count_line(b);
                            self.end_field(&mut fields, max_fields);
                            self.state = State::StartRecord;
                            return Ok(Some(self.raw(start_line, fields, oversize, false)));
                        } else {
                            push(&mut self.field_buf, b, &mut oversize, max_bytes);
                            self.state = State::InField;
                        }
                    }
                }
            }
        }
        // End of input.
        match self.state {
            State::StartRecord => Ok(None),
            state => {
                self.end_field(&mut fields, max_fields);
                self.state = State::StartRecord;
                Ok(Some(self.raw(
                    start_line,
                    fields,
                    oversize,
                    state == State::InQuoted,
                )))
            }
        }
    }

    fn raw(&self, line: u64, fields: usize, oversize: bool, unterminated_quote: bool) -> Raw {
        Raw {
            line,
            fields,
            oversize,
            unterminated_quote,
        }
    }

    #[inline]
    fn count_line(&mut self, b: u8) {
        if b == b'\n' && self.prev_cr {
            self.prev_cr = false;
        } else {
            self.line += 1;
            self.prev_cr = b == b'\r';
        }
    }

    #[inline]
    fn start_field(
        &mut self,
        b: u8,
        d: u8,
        fields: &mut usize,
        max_fields: usize,
        oversize: &mut bool,
        max_bytes: usize,
    ) {
        if b == b'"' {
            self.state = State::InQuoted;
        } else if b == d {
            self.end_field(fields, max_fields);
            self.state = State::StartField;
        } else if b == b'\n' || b == b'\r' {
            self.count_line(b);
            self.end_field(fields, max_fields);
            self.state = State::StartRecord;
        } else {
            push(&mut self.field_buf, b, oversize, max_bytes);
            self.state = State::InField;
        }
    }

    #[inline]
    fn end_field(&mut self, fields: &mut usize, max_fields: usize) {
        *fields += 1;
        if self.ends.len() < max_fields {
            self.ends.push(self.field_buf.len());
        }
    }
}

#[inline]
fn push(buf: &mut Vec<u8>, b: u8, oversize: &mut bool, max: usize) {
    if buf.len() < max {
        buf.push(b);
    } else {
        *oversize = true;
    }
}

/// Makes header names unique and non-empty without changing the ones that already are.
pub fn unique_headers(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, h) in raw.iter().enumerate() {
        let base = if h.trim().is_empty() {
            format!("Column {}", i + 1)
        } else {
            h.clone()
        };
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        out.push(name);
    }
    out
}

impl<R: Read> Iterator for CsvReader<R> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = Record::default();
        match self.read_record(&mut rec) {
            Ok(true) => Some(Ok(rec)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
