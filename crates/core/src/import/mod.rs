//! CSV import, the pure part: sniffing, streaming decoding and parsing, header mapping, row
//! validation into drafts, in-file de-duplication, merge rules and the error report format.
//! The store and the import job (crates `store`, `app`) do the I/O around it.
//!
//! Typical flow: [`CsvReader::new`] -> [`Mapping::suggest`] (+ [`Mapping::apply_overrides`])
//! -> [`RowMapper::map`] per record -> [`Deduper::observe`] -> match against the database
//! with [`dedupe_keys`] -> [`merge`] under the import's [`OnDuplicate`].

pub mod decode;
pub mod dedupe;
pub mod error;
pub mod export;
pub mod mapping;
pub mod merge;
pub mod preview;
pub mod reader;
pub mod row;
pub mod sniff;

pub use dedupe::{DedupeKey, Deduper, dedupe_keys};
pub use error::{FileError, ReadError, RecordError, RecordErrorKind};
pub use export::{CsvTable, ERROR_REPORT_HEADERS, csv_cell_escape, write_error_report};
pub use mapping::{Field, Mapping, MappingError, Suggestion, Target};
pub use merge::{Merge, OnDuplicate, OnDuplicateError, merge};
pub use preview::{Preview, preview, preview_with};
pub use reader::{CsvReader, ReaderOptions, ReaderStats, Record};
pub use row::{CompanyDraft, ContactDraft, ImportRow, Location, RowError, RowMapper, Severity};
pub use sniff::{LineEnding, Sniffed, sniff};
