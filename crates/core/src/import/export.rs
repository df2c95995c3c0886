//! CSV output helpers: formula-injection escaping and the row-error report.

use std::borrow::Cow;
use std::io::Write;

use super::row::RowError;

/// Prefixes `'` to a cell that a spreadsheet would run as a formula: one starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return (OWASP "CSV injection").
pub fn csv_cell_escape(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Writes the downloadable error report: `row,line,column,value,reason,severity`, UTF-8 with
/// a BOM when `excel_bom` (so Excel opens accents correctly), every cell escaped.
pub fn write_error_report<W: Write>(
    out: W,
    errors: &[RowError],
    excel_bom: bool,
) -> Result<(), csv::Error> {
    let mut out = out;
    if excel_bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["row", "line", "column", "value", "reason", "severity"])?;
    for e in errors {
        let row = e.row.to_string();
        let line = e.line.to_string();
        w.write_record([
            row.as_str(),
            line.as_str(),
            &csv_cell_escape(&e.column),
            &csv_cell_escape(&e.value),
            &csv_cell_escape(&e.reason),
            e.severity.as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A CSV table written row by row (exports of any size): a header, then escaped cells.
pub struct CsvTable<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvTable<W> {
    /// Start a table; with `excel_bom` the output begins with a UTF-8 byte-order mark.
    pub fn new(mut out: W, headers: &[&str], excel_bom: bool) -> Result<Self, csv::Error> {
        if excel_bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(headers)?;
        Ok(CsvTable { w })
    }

    /// Continue a table whose header was written elsewhere (the next page of a stream).
    pub fn without_header(out: W) -> Result<Self, csv::Error> {
        Ok(CsvTable {
            w: csv::Writer::from_writer(out),
        })
    }

    /// Write one row; every cell is escaped against formula injection.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| csv_cell_escape(c.as_ref()).into_owned())
            .collect();
        self.w.write_record(&cells)
    }

    /// Write one line of an error report (see [`write_error_report`]).
    pub fn error_row(&mut self, e: &RowError) -> Result<(), csv::Error> {
        self.row([
            e.row.to_string().as_str(),
            e.line.to_string().as_str(),
            &e.column,
            &e.value,
            &e.reason,
            e.severity.as_str(),
        ])
    }

    /// Flush and return the output.
    pub fn finish(self) -> Result<W, csv::Error> {
        self.w
            .into_inner()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
    }
}

/// Header of the error report.
pub const ERROR_REPORT_HEADERS: &[&str] = &["row", "line", "column", "value", "reason", "severity"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_escapes_and_boms() {
        let mut t = CsvTable::new(Vec::new(), &["a", "b"], true).unwrap();
        t.row(["=1+1", "x,y"]).unwrap();
        let out = String::from_utf8(t.finish().unwrap()).unwrap();
        assert_eq!(out, "\u{feff}a,b\n'=1+1,\"x,y\"\n");
    }

    #[test]
    fn escapes_formula_starts() {
        for bad in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(csv_cell_escape(bad), format!("'{bad}"));
        }
        for good in ["", "a=b", "hello", "1+1", "'quoted"] {
            assert!(matches!(csv_cell_escape(good), Cow::Borrowed(_)));
        }
    }
}
