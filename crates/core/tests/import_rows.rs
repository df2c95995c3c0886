//! Mapping, row validation, de-duplication and the error report, end to end on small files.

use std::io::Cursor;

use prospector_core::import::{
    CsvReader, DedupeKey, Deduper, Mapping, ReaderOptions, RowMapper, Severity, dedupe_keys,
    write_error_report,
};
use prospector_core::normalize::CountryCode;

fn import(csv: &str, maps: &[&str]) -> (Vec<prospector_core::import::ImportRow>, Vec<String>) {
    let mut r = CsvReader::new(
        Cursor::new(csv.as_bytes().to_vec()),
        ReaderOptions::default(),
    )
    .unwrap();
    let mut mapping = Mapping::suggest(r.headers());
    mapping.apply_overrides(maps).unwrap();
    let mapper = RowMapper::new(&mapping, CountryCode::parse("DE").ok());
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for rec in r.by_ref() {
        match mapper.map(&rec.unwrap()) {
            Ok(row) => ok.push(row),
            Err(e) => errs.extend(
                e.into_iter()
                    .map(|e| format!("{}:{}:{}", e.row, e.column, e.reason)),
            ),
        }
    }
    (ok, errs)
}

#[test]
fn business_list_in_german() {
    let csv = "Firma;E-Mail;Telefon;Webseite;Ort;Land;Lieblingsfarbe\n\
               Müller GmbH; Info@Mueller.DE ;030 1234567;www.mueller.de/;Berlin;Österreich;Blau\n";
    let (rows, errs) = import(csv, &[]);
    assert!(errs.is_empty(), "{errs:?}");
    let row = &rows[0];
    let co = row.company.as_ref().unwrap();
    assert_eq!(co.name.as_deref(), Some("Müller GmbH"));
    assert_eq!(co.website.as_ref().unwrap().as_str(), "https://mueller.de");
    assert_eq!(co.location.city.as_deref(), Some("Berlin"));
    assert_eq!(co.location.country.unwrap().as_str(), "AT");
    let ct = row.contact.as_ref().unwrap();
    assert_eq!(ct.email.as_ref().unwrap().as_str(), "info@mueller.de");
    // The row's own country (Austria) decides how the national number is read.
    assert_eq!(ct.phone.as_ref().unwrap().as_str(), "+43301234567");
    assert_eq!(
        co.phone, ct.phone,
        "no person: the phone is the company's too"
    );
    assert_eq!(
        row.custom.get("lieblingsfarbe").map(String::as_str),
        Some("Blau")
    );
}

#[test]
fn invalid_optional_field_is_dropped_with_a_warning() {
    let csv = "First Name,Last Name,Email,Phone\njOHN,o'neil,john@@x.com,030 123456\n";
    let (rows, errs) = import(csv, &[]);
    assert!(errs.is_empty());
    let row = &rows[0];
    let ct = row.contact.as_ref().unwrap();
    assert_eq!(ct.full_name.as_deref(), Some("John O'Neil"));
    assert!(ct.email.is_none());
    assert_eq!(ct.phone.as_ref().unwrap().as_str(), "+4930123456");
    assert_eq!(row.warnings.len(), 1);
    assert_eq!(row.warnings[0].column, "Email");
    assert_eq!(row.warnings[0].reason, "email: more than one @");
    assert_eq!(row.warnings[0].severity, Severity::Warning);
}

#[test]
fn row_without_identity_is_rejected_with_reasons() {
    let csv = "Name,Email,Notes\nAnn Smith,not-an-email,hello\n";
    let (rows, errs) = import(csv, &[]);
    assert!(rows.is_empty());
    assert_eq!(
        errs,
        [
            "1:Email:email: missing @",
            "1::row has no usable email, phone, WhatsApp, company name or website"
        ]
    );
}

#[test]
fn overrides_tags_notes_and_multi_values() {
    let csv =
        "Mail,Handy,Labels,Kommentar\n\"a@x.com; b@x.com\",0171 1234567,\"vip, Gastro;VIP\",hi\n";
    let (rows, _) = import(csv, &["Handy=whatsapp"]);
    let row = &rows[0];
    let ct = row.contact.as_ref().unwrap();
    assert_eq!(ct.email.as_ref().unwrap().as_str(), "a@x.com");
    assert_eq!(ct.whatsapp.as_ref().unwrap().as_str(), "+491711234567");
    assert_eq!(row.tags, ["vip", "Gastro"]);
    assert_eq!(row.notes.as_deref(), Some("hi"));
    assert_eq!(row.warnings.len(), 1, "the second address is reported");
}

#[test]
fn in_file_duplicates() {
    let csv = "Company,Website,Name,Email,Phone\n\
               Acme,acme.com,Ann,ann@acme.com,\n\
               Acme,www.acme.com,Bob,bob@acme.com,\n\
               ACME Inc,acme.com,Ann B.,ANN@acme.com,\n\
               Acme,https://acme.com,,,\n\
               Pizza,facebook.com/pizza,,,\n\
               Burger,facebook.com/burger,,,\n";
    let (rows, errs) = import(csv, &[]);
    assert!(errs.is_empty(), "{errs:?}");
    let mut d = Deduper::new();
    let dups: Vec<Option<DedupeKey>> = rows.iter().map(|r| d.observe(r)).collect();
    assert_eq!(dups[0], None);
    assert_eq!(
        dups[1], None,
        "another person at the same company is not a duplicate"
    );
    assert_eq!(dups[2], Some(DedupeKey::Email("ann@acme.com".into())));
    assert_eq!(dups[3], Some(DedupeKey::Domain("acme.com".into())));
    assert_eq!(dups[4], None);
    assert_eq!(dups[5], None, "facebook.com never identifies a company");
    assert!(dedupe_keys(&rows[5]).is_empty());
}

#[test]
fn error_report_is_escaped_csv() {
    let csv = "Email,Phone\n=cmd(),+1\n";
    let (_, _) = import(csv, &[]);
    let mut r = CsvReader::new(
        Cursor::new(csv.as_bytes().to_vec()),
        ReaderOptions::default(),
    )
    .unwrap();
    let mapper = RowMapper::new(&Mapping::suggest(r.headers()), None);
    let errors = mapper.map(&r.next().unwrap().unwrap()).unwrap_err();
    let mut out = Vec::new();
    write_error_report(&mut out, &errors, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("row,line,column,value,reason,severity\n"),
        "{text}"
    );
    assert!(text.contains("'=cmd()"), "{text}");
}

#[test]
fn ratings_and_review_counts_of_map_listings() {
    let csv = "Name,Website,Rating,Reviews\n\
               Cafe A,cafe-a.com,\"4,6\",\"1,234\"\n\
               Cafe B,cafe-b.com,great,(12 reviews)\n";
    let (rows, errs) = import(csv, &["Name=company"]);
    assert!(errs.is_empty(), "{errs:?}");
    let a = rows[0].company.as_ref().unwrap();
    assert_eq!((a.rating_tenths, a.review_count), (Some(46), Some(1234)));
    let b = &rows[1];
    let bc = b.company.as_ref().unwrap();
    assert_eq!((bc.rating_tenths, bc.review_count), (None, Some(12)));
    assert_eq!(
        b.warnings.len(),
        1,
        "the bad rating is a warning: {:?}",
        b.warnings
    );
    assert!(b.warnings[0].reason.starts_with("rating:"));
    assert_eq!(
        prospector_core::import::row::parse_rating("★ 4.9/5"),
        Ok(49)
    );
    assert!(prospector_core::import::row::parse_rating("7.5").is_err());
}
