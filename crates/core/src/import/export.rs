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

#[cfg(test)]
mod tests {
    use super::*;

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
