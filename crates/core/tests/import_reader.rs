//! The CSV reader against fixture files and generated bad input.

use std::io::{self, Read};

use prospector_core::import::{
    CsvReader, FileError, ReadError, ReaderOptions, Record, RecordErrorKind, preview,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn open(bytes: Vec<u8>) -> Result<CsvReader<io::Cursor<Vec<u8>>>, FileError> {
    CsvReader::new(io::Cursor::new(bytes), ReaderOptions::default())
}

fn rows(r: &mut CsvReader<impl Read>) -> Vec<Vec<String>> {
    r.by_ref()
        .map(|x| x.unwrap_or_else(|e| panic!("{e}")))
        .map(|rec: Record| rec.iter().map(String::from).collect())
        .collect()
}

#[test]
fn utf8_bom_semicolon() {
    let mut r = open(fixture("utf8_bom_semicolon.csv")).unwrap();
    assert_eq!(r.sniffed().encoding, "UTF-8");
    assert!(r.sniffed().has_bom);
    assert_eq!(r.sniffed().delimiter_name(), ";");
    assert_eq!(
        r.headers()[0],
        "Firma",
        "BOM must not stick to the first header"
    );
    let rows = rows(&mut r);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "Bäckerei Schmidt");
    assert_eq!(rows[1][4], "München");
}

#[test]
fn utf16le_tab() {
    let mut r = open(fixture("utf16le_tab.csv")).unwrap();
    assert_eq!(r.sniffed().encoding, "UTF-16LE");
    assert_eq!(r.sniffed().delimiter_name(), "\t");
    assert_eq!(
        r.headers(),
        ["Company Name", "Email Address", "Phone Number"]
    );
    let rows = rows(&mut r);
    assert_eq!(rows[0], ["Acme Café", "jane@acme.com", "(212) 555-0123"]);
    assert_eq!(rows[1][0], "Zürich AG");
}

#[test]
fn windows1252_accents() {
    let mut r = open(fixture("windows1252_accents.csv")).unwrap();
    assert_eq!(r.sniffed().encoding, "windows-1252");
    assert_eq!(r.headers(), ["Nom", "Prénom", "Courriel", "Ville"]);
    let rows = rows(&mut r);
    assert_eq!(
        rows[0],
        ["Lefèvre", "Élodie", "elodie@exemple.fr", "Besançon"]
    );
    assert_eq!(rows[1][1], "François");
}

#[test]
fn quoted_newlines_and_line_numbers() {
    let mut r = open(fixture("quoted_newlines.csv")).unwrap();
    let mut rec = Record::default();
    assert!(r.read_record(&mut rec).unwrap());
    assert_eq!((rec.row, rec.line), (1, 2));
    assert_eq!(rec.get(0), "Acme, Inc.");
    assert_eq!(rec.get(1), "line one\nline two, with comma\n\"quoted\"");
    assert!(r.read_record(&mut rec).unwrap());
    assert_eq!((rec.row, rec.line), (2, 5));
    assert_eq!(rec.get(2), "b@beta.com");
    assert!(!r.read_record(&mut rec).unwrap());
}

#[test]
fn line_endings_and_pipe() {
    for name in ["crlf.csv", "cr_only.csv"] {
        let mut r = open(fixture(name)).unwrap();
        let rows = rows(&mut r);
        assert_eq!(
            rows,
            [["Acme", "a@acme.com"], ["Beta", "b@beta.com"]],
            "{name}"
        );
    }
    let mut r = open(fixture("cr_only.csv")).unwrap();
    let mut rec = Record::default();
    r.read_record(&mut rec).unwrap();
    r.read_record(&mut rec).unwrap();
    assert_eq!(rec.line, 3);
    let mut r = open(fixture("pipe.csv")).unwrap();
    assert_eq!(r.sniffed().delimiter_name(), "|");
    assert_eq!(rows(&mut r).len(), 2);
}

#[test]
fn empty_header_only_binary() {
    assert!(matches!(open(fixture("empty.csv")), Err(FileError::Empty)));
    let mut r = open(fixture("header_only.csv")).unwrap();
    assert_eq!(r.headers(), ["email", "phone", "company"]);
    assert!(rows(&mut r).is_empty());
    let err = open(fixture("binary.csv"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.starts_with("this is not a text/CSV file"), "{err}");
    let xlsx = b"PK\x03\x04\x14\x00\x06\x00rest-of-zip".to_vec();
    let err = open(xlsx).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("save it as CSV"), "{err}");
}

#[test]
fn unbalanced_quote_is_a_file_error_naming_the_row() {
    let mut r = open(fixture("unbalanced_quote.csv")).unwrap();
    let first = r.next().unwrap().unwrap();
    assert_eq!(first.get(0), "Acme");
    match r.next() {
        Some(Err(ReadError::File(FileError::UnbalancedQuote { row, line }))) => {
            assert_eq!((row, line), (2, 3));
        }
        other => panic!("{other:?}"),
    }
    assert!(r.next().is_none());
}

#[test]
fn too_many_columns_is_a_file_error() {
    let header: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
    let file = format!("{}\n{}\n", header.join(","), vec!["x"; 1000].join(","));
    match open(file.into_bytes()) {
        Err(FileError::TooManyColumns {
            found: 1000,
            max: 500,
        }) => {}
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn field_count_rules() {
    let file = "a,b,c\n1,2\n1,2,3,,\n1,2,3,4\n,,\n5,6,7\n";
    let mut r = open(file.as_bytes().to_vec()).unwrap();
    let short = r.next().unwrap().unwrap();
    assert_eq!((short.get(0), short.get(2), short.len()), ("1", "", 2));
    let trailing_empty = r.next().unwrap().unwrap();
    assert_eq!(trailing_empty.len(), 3);
    match r.next() {
        Some(Err(ReadError::Record(e))) => {
            assert_eq!(e.row, 3);
            assert_eq!(
                e.kind,
                RecordErrorKind::TooManyFields {
                    found: 4,
                    expected: 3
                }
            );
        }
        other => panic!("{other:?}"),
    }
    // ",," is skipped but counted.
    let last = r.next().unwrap().unwrap();
    assert_eq!((last.row, last.get(0)), (5, "5"));
    assert_eq!(r.stats().blank_records, 1);
}

/// A reader producing a huge single line without ever holding it in memory.
struct HugeLine {
    remaining: usize,
    tail: &'static [u8],
}

impl Read for HugeLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining > 0 {
            let n = buf.len().min(self.remaining);
            buf[..n].fill(b'x');
            self.remaining -= n;
            return Ok(n);
        }
        let n = buf.len().min(self.tail.len());
        buf[..n].copy_from_slice(&self.tail[..n]);
        self.tail = &self.tail[n..];
        Ok(n)
    }
}

#[test]
fn fifty_megabyte_line_is_a_row_error_and_reading_continues() {
    let mut head = b"company,email\n".to_vec();
    head.extend(std::iter::repeat_n(b'y', 10));
    let src = io::Cursor::new(head).chain(HugeLine {
        remaining: 50 * 1024 * 1024,
        tail: b",big@x.com\nAfter,after@x.com\n",
    });
    let mut r = CsvReader::new(src, ReaderOptions::default()).unwrap();
    match r.next() {
        Some(Err(ReadError::Record(e))) => {
            assert_eq!(e.row, 1);
            assert_eq!(e.kind, RecordErrorKind::TooLarge { max: 1024 * 1024 });
        }
        other => panic!("{other:?}"),
    }
    let next = r.next().unwrap().unwrap();
    assert_eq!(
        (next.row, next.get(0), next.get(1)),
        (2, "After", "after@x.com")
    );
    assert!(r.bytes_read() > 50 * 1024 * 1024);
}

#[test]
fn mixed_encodings_are_repaired_not_lost() {
    let file = b"name,city\nJos\xc3\xa9,M\xc3\xbcnchen\nRen\xe9,Z\xfcrich\n".to_vec();
    let mut r = open(file).unwrap();
    let rows = rows(&mut r);
    assert_eq!(rows[1], ["René", "Zürich"]);
    assert_eq!(r.stats().repaired_bytes, 2);
}

#[test]
fn preview_json_contract() {
    let file = "Name, Email ,Name\n  Ann  ,a@x.com,dup\nBob\n".as_bytes();
    let p = preview(file, 10).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(
        json,
        r#"{"encoding":"UTF-8","delimiter":",","headers":["Name"," Email ","Name (2)"],"rows":[{"Name":"  Ann  "," Email ":"a@x.com","Name (2)":"dup"},{"Name":"Bob"," Email ":"","Name (2)":""}]}"#
    );
    let p = preview(fixture("utf8_bom_semicolon.csv").as_slice(), 1).unwrap();
    assert_eq!(p.rows.len(), 1);
    let v: serde_json::Value = serde_json::to_value(&p).unwrap();
    assert_eq!(v["delimiter"], ";");
    assert_eq!(v["rows"][0]["Firma"], "Müller GmbH");
}
