//! Errors of reading a CSV file: file-level (the import stops) and record-level (one row is
//! reported and reading goes on).

/// A problem with the file as a whole. Rows read before it are valid; the import must report
/// this error and how far it got.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("this is not a text/CSV file{}", .hint.map(|h| format!(" (looks like {h})")).unwrap_or_default())]
    Binary { hint: Option<&'static str> },
    #[error("the header row is longer than {max} bytes")]
    HeaderTooLarge { max: usize },
    #[error("the file has {found} columns; at most {max} are supported")]
    TooManyColumns { found: usize, max: usize },
    #[error("unbalanced quote: a quoted field opened in row {row} (line {line}) is never closed")]
    UnbalancedQuote { row: u64, line: u64 },
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
}

/// A problem with one record; reading continues after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row} (line {line}): {kind}")]
pub struct RecordError {
    /// 1-based data row number (the header is not counted).
    pub row: u64,
    /// 1-based physical line where the record starts (the header is line 1).
    pub line: u64,
    pub kind: RecordErrorKind,
}

/// What is wrong with a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordErrorKind {
    #[error("row is longer than {max} bytes (an unclosed quote?)")]
    TooLarge { max: usize },
    #[error("row has {found} fields but the header has {expected} (an unquoted delimiter?)")]
    TooManyFields { found: usize, expected: usize },
    #[error("row contains binary data (NUL bytes)")]
    Binary,
}

/// One item of the record stream.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// This record is skipped; the next call continues.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Reading stops; the next call returns `None`.
    #[error(transparent)]
    File(#[from] FileError),
}
