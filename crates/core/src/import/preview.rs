//! `prospector import FILE --preview N --json`: the first rows exactly as parsed.

use std::io::Read;

use serde::ser::{SerializeMap, SerializeStruct};

use super::error::{FileError, ReadError};
use super::reader::{CsvReader, ReaderOptions, Record};

/// What the preview shows. Serialises to
/// `{"encoding":"...","delimiter":"...","headers":[...],"rows":[{"HEADER":"value",...}]}`
/// (plus `"errors":[...]` only when some of the first rows could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub encoding: String,
    pub delimiter: String,
    /// Unique header names (duplicates get " (2)"), the keys of every row.
    pub headers: Vec<String>,
    /// Values exactly as parsed (untrimmed); short rows padded with "".
    pub rows: Vec<Vec<String>>,
    /// Row-level problems met among the first rows, as human messages.
    pub errors: Vec<String>,
}

/// Reads the header and the first `n` data rows of a CSV file with default options.
pub fn preview<R: Read>(reader: R, n: usize) -> Result<Preview, FileError> {
    preview_with(CsvReader::new(reader, ReaderOptions::default())?, n)
}

/// Same as [`preview`] from an already opened reader (with the caller's options).
pub fn preview_with<R: Read>(mut reader: CsvReader<R>, n: usize) -> Result<Preview, FileError> {
    let headers = reader.headers().to_vec();
    let mut rows = Vec::with_capacity(n.min(1000));
    let mut errors = Vec::new();
    let mut rec = Record::default();
    while rows.len() < n {
        match reader.read_record(&mut rec) {
            Ok(true) => rows.push((0..headers.len()).map(|i| rec.get(i).to_string()).collect()),
            Ok(false) => break,
            Err(ReadError::Record(e)) => errors.push(e.to_string()),
            Err(ReadError::File(e)) => return Err(e),
        }
    }
    Ok(Preview {
        encoding: reader.sniffed().encoding.to_string(),
        delimiter: reader.sniffed().delimiter_name().to_string(),
        headers,
        rows,
        errors,
    })
}

struct RowMap<'a> {
    headers: &'a [String],
    values: &'a [String],
}

impl serde::Serialize for RowMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.headers.len()))?;
        for (i, h) in self.headers.iter().enumerate() {
            m.serialize_entry(h, self.values.get(i).map(String::as_str).unwrap_or(""))?;
        }
        m.end()
    }
}

impl serde::Serialize for Preview {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = if self.errors.is_empty() { 4 } else { 5 };
        let mut st = s.serialize_struct("Preview", fields)?;
        st.serialize_field("encoding", &self.encoding)?;
        st.serialize_field("delimiter", &self.delimiter)?;
        st.serialize_field("headers", &self.headers)?;
        let rows: Vec<RowMap<'_>> = self
            .rows
            .iter()
            .map(|values| RowMap {
                headers: &self.headers,
                values,
            })
            .collect();
        st.serialize_field("rows", &rows)?;
        if !self.errors.is_empty() {
            st.serialize_field("errors", &self.errors)?;
        }
        st.end()
    }
}
