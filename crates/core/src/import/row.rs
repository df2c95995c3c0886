//! One mapped CSV record -> typed drafts of a company and/or a contact, or errors.
//!
//! The rule, applied to every row:
//! - Every value is normalised (see `crate::normalize`). An invalid value in a field is
//!   **dropped** and reported as a [`Severity::Warning`] for that column; the rest of the row
//!   still imports ("email: missing @" on a row that has a good phone).
//! - A row needs an identity: a valid email, phone or WhatsApp number, a company name or a
//!   website. A row with none is **rejected** ([`Severity::Error`]), with the field warnings
//!   that explain why (e.g. the email that did not parse).
//! - A company draft exists when the row has a company name or a website; a contact draft when
//!   it has an email, phone, WhatsApp, a person's name or a job title. Address fields go to
//!   the company when there is one, else to the contact. On a row without a person's name
//!   (a business listing), the phone is also the company's phone.
//! - Phones use the row's own country column when it parses, else the import's default.
//! - A cell holding several emails or phones ("a@x.com; b@x.com") keeps the first valid one
//!   and warns about the rest.

use std::collections::BTreeMap;

use serde::Serialize;

use super::mapping::{Field, Mapping, Target};
use super::reader::Record;
use crate::normalize::text::{clean, clean_multiline};
use crate::normalize::{
    CountryCode, Email, PhoneE164, Website, normalize_name, split_full_name, split_tags, to_iso2,
};

/// Postal location of a company or contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<CountryCode>,
}

impl Location {
    /// True when no part is set.
    pub fn is_empty(&self) -> bool {
        self.address.is_none()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
    }
}

/// A company as read from one row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompanyDraft {
    pub name: Option<String>,
    pub website: Option<Website>,
    pub phone: Option<PhoneE164>,
    pub category: Option<String>,
    /// Rating out of 5 in tenths (46 = 4.6 stars), so drafts stay `Eq`.
    pub rating_tenths: Option<u8>,
    pub review_count: Option<u32>,
    pub location: Location,
}

/// "4.6", "4,6", "4.6 stars", "4.6/5", "★ 4.6" -> 46 (tenths of a star, 0-50).
pub fn parse_rating(raw: &str) -> Result<u8, String> {
    let t = raw.trim();
    let num: String = t
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let v: f64 = num
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("rating: not a number: '{t}'"))?;
    if !(0.0..=5.0).contains(&v) {
        return Err(format!("rating: expected 0 to 5 stars, got {v}"));
    }
    Ok((v * 10.0).round() as u8)
}

/// "210", "1,234", "1.234", "210 reviews", "(210)" -> 210.
pub fn parse_review_count(raw: &str) -> Result<u32, String> {
    let t = raw.trim();
    let digits: String = t
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '\'' | ' '))
        .filter(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return Err(format!("review_count: not a number: '{t}'"));
    }
    digits
        .parse()
        .map_err(|_| format!("review_count: too large: '{t}'"))
}

/// A contact (a person or a generic inbox) as read from one row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactDraft {
    pub email: Option<Email>,
    pub phone: Option<PhoneE164>,
    pub whatsapp: Option<PhoneE164>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub job_title: Option<String>,
    pub location: Location,
}

/// A valid row, ready to be matched against the database and written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportRow {
    /// Data row number (see `reader` for the numbering).
    pub row: u64,
    pub line: u64,
    pub company: Option<CompanyDraft>,
    pub contact: Option<ContactDraft>,
    /// Unmapped columns, keyed by the slug of their header; empty values are left out.
    pub custom: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// Values that were dropped (the row itself imports).
    pub warnings: Vec<RowError>,
}

/// Whether the row was imported without the value, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The value was dropped; the row was imported.
    Warning,
    /// The row was not imported.
    Error,
}

impl Severity {
    /// "warning" or "error".
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One line of the error report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: u64,
    pub line: u64,
    /// Header of the column concerned ("" for the row as a whole).
    pub column: String,
    /// The raw value (cut to 200 characters).
    pub value: String,
    pub reason: String,
    pub severity: Severity,
}

impl RowError {
    /// A row-level error not tied to a column (e.g. from the reader).
    pub fn row_level(row: u64, line: u64, reason: impl Into<String>) -> RowError {
        RowError {
            row,
            line,
            column: String::new(),
            value: String::new(),
            reason: reason.into(),
            severity: Severity::Error,
        }
    }
}

impl From<&super::error::RecordError> for RowError {
    fn from(e: &super::error::RecordError) -> Self {
        RowError::row_level(e.row, e.line, e.kind.to_string())
    }
}

/// Turns records into [`ImportRow`]s for one mapping; build once per import.
#[derive(Debug, Clone)]
pub struct RowMapper {
    headers: Vec<String>,
    fields: BTreeMap<Field, Vec<usize>>,
    custom: Vec<(usize, String)>,
    default_country: Option<CountryCode>,
}

const MAX_VALUE_IN_REPORT: usize = 200;
const MAX_TEXT: usize = 10_000;

struct Ctx<'a> {
    rec: &'a Record,
    headers: &'a [String],
    warnings: Vec<RowError>,
}

impl Ctx<'_> {
    fn warn(&mut self, col: usize, value: &str, reason: String) {
        self.warnings.push(RowError {
            row: self.rec.row,
            line: self.rec.line,
            column: self.headers.get(col).cloned().unwrap_or_default(),
            value: value.chars().take(MAX_VALUE_IN_REPORT).collect(),
            reason,
            severity: Severity::Warning,
        });
    }
}

impl RowMapper {
    /// Prepares a mapper; `default_country` parses national phone numbers.
    pub fn new(mapping: &Mapping, default_country: Option<CountryCode>) -> RowMapper {
        let mut fields: BTreeMap<Field, Vec<usize>> = BTreeMap::new();
        let mut custom = Vec::new();
        for (i, t) in mapping.columns.iter().enumerate() {
            match t {
                Target::Field(f) => fields.entry(*f).or_default().push(i),
                Target::Custom(k) => custom.push((i, k.clone())),
                Target::Ignore => {}
            }
        }
        RowMapper {
            headers: mapping.headers.clone(),
            fields,
            custom,
            default_country,
        }
    }

    fn cols(&self, f: Field) -> &[usize] {
        self.fields.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    /// First cleaned, non-empty value of a text field.
    fn text(&self, rec: &Record, f: Field) -> Option<String> {
        self.cols(f)
            .iter()
            .find_map(|&c| clean(rec.get(c)))
            .map(|s| s.chars().take(MAX_TEXT).collect())
    }

    /// The first value of a single-valued field that parses; bad ones are warnings.
    fn parse_one<T>(
        &self,
        ctx: &mut Ctx<'_>,
        f: Field,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        for &c in self.cols(f) {
            let raw = ctx.rec.get(c);
            if clean(raw).is_none() {
                continue;
            }
            match parse(raw) {
                Ok(v) => return Some(v),
                Err(e) => ctx.warn(c, raw.trim(), e),
            }
        }
        None
    }

    fn parse_multi<T, E: std::fmt::Display>(
        &self,
        ctx: &mut Ctx<'_>,
        f: Field,
        separators: &[char],
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let mut found: Option<T> = None;
        for &c in self.cols(f) {
            let raw = ctx.rec.get(c);
            if clean(raw).is_none() {
                continue;
            }
            let mut extra = 0;
            for part in raw.split(separators).filter(|p| clean(p).is_some()) {
                match parse(part) {
                    Ok(v) if found.is_none() => found = Some(v),
                    Ok(_) => extra += 1,
                    Err(e) => ctx.warn(c, part.trim(), e.to_string()),
                }
            }
            if extra > 0 {
                ctx.warn(
                    c,
                    raw,
                    format!("{f}: {extra} more value(s) in the cell ignored"),
                );
            }
        }
        found
    }

    /// Validates and normalises one record.
    pub fn map(&self, rec: &Record) -> Result<ImportRow, Vec<RowError>> {
        let mut ctx = Ctx {
            rec,
            headers: &self.headers,
            warnings: Vec::new(),
        };

        let country = self.cols(Field::Country).iter().find_map(|&c| {
            let raw = rec.get(c);
            clean(raw)?;
            match to_iso2(raw) {
                Ok(cc) => Some(cc),
                Err(e) => {
                    ctx.warn(c, raw, e.to_string());
                    None
                }
            }
        });
        let phone_country = country.or(self.default_country);

        let email = self.parse_multi(&mut ctx, Field::Email, &[',', ';', '\n', '|'], Email::parse);
        let phone_seps = [';', ',', '|', '\n'];
        let phone = self.parse_multi(&mut ctx, Field::Phone, &phone_seps, |s| {
            PhoneE164::parse(s, phone_country)
        });
        let whatsapp = self.parse_multi(&mut ctx, Field::Whatsapp, &phone_seps, |s| {
            PhoneE164::parse(s, phone_country)
        });
        let website = self.parse_multi(&mut ctx, Field::Website, &[' ', ',', ';', '\n'], |s| {
            Website::parse(s)
        });

        let mut first_name = self
            .cols(Field::FirstName)
            .iter()
            .find_map(|&c| normalize_name(rec.get(c)));
        let mut last_name = self
            .cols(Field::LastName)
            .iter()
            .find_map(|&c| normalize_name(rec.get(c)));
        let mut full_name = self
            .cols(Field::FullName)
            .iter()
            .find_map(|&c| normalize_name(rec.get(c)));
        if let Some(full) = &full_name {
            if first_name.is_none() && last_name.is_none() {
                (first_name, last_name) = split_full_name(full);
            }
        } else if first_name.is_some() || last_name.is_some() {
            let joined = [first_name.as_deref(), last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            full_name = Some(joined);
        }
        let job_title = self.text(rec, Field::JobTitle);
        let company_name = self.text(rec, Field::Company);

        let location = Location {
            address: self
                .cols(Field::Address)
                .iter()
                .find_map(|&c| clean_multiline(rec.get(c)))
                .map(|s| s.replace('\n', ", ")),
            city: self.text(rec, Field::City),
            region: self.text(rec, Field::Region),
            postal_code: self.text(rec, Field::PostalCode),
            country,
        };

        let mut tags = Vec::new();
        for &c in self.cols(Field::Tags) {
            crate::normalize::tags::merge_tags(&mut tags, &split_tags(rec.get(c)));
        }
        let notes: Vec<String> = self
            .cols(Field::Notes)
            .iter()
            .filter_map(|&c| clean_multiline(rec.get(c)))
            .collect();
        let notes = (!notes.is_empty()).then(|| {
            notes
                .join("\n\n")
                .chars()
                .take(MAX_TEXT)
                .collect::<String>()
        });

        let mut custom = BTreeMap::new();
        for (c, key) in &self.custom {
            let v = rec.get(*c).trim();
            if !v.is_empty() && !custom.contains_key(key) {
                custom.insert(key.clone(), v.chars().take(MAX_TEXT).collect());
            }
        }

        let has_person = first_name.is_some() || last_name.is_some() || full_name.is_some();
        let has_identity = email.is_some()
            || phone.is_some()
            || whatsapp.is_some()
            || company_name.is_some()
            || website.is_some();
        if !has_identity {
            let mut errors: Vec<RowError> = ctx
                .warnings
                .into_iter()
                .map(|mut w| {
                    w.severity = Severity::Error;
                    w
                })
                .collect();
            errors.push(RowError::row_level(
                rec.row,
                rec.line,
                "row has no usable email, phone, WhatsApp, company name or website",
            ));
            return Err(errors);
        }

        let company = (company_name.is_some() || website.is_some()).then(|| CompanyDraft {
            name: company_name,
            website,
            phone: if has_person { None } else { phone.clone() },
            category: self.text(rec, Field::Category),
            rating_tenths: self.parse_one(&mut ctx, Field::Rating, parse_rating),
            review_count: self.parse_one(&mut ctx, Field::ReviewCount, parse_review_count),
            location: Location::default(),
        });
        let has_contact = email.is_some()
            || phone.is_some()
            || whatsapp.is_some()
            || has_person
            || job_title.is_some();
        let mut contact = has_contact.then(|| ContactDraft {
            email,
            phone,
            whatsapp,
            first_name,
            last_name,
            full_name,
            job_title,
            location: Location::default(),
        });
        let mut company = company;
        match (&mut company, &mut contact) {
            (Some(co), _) => co.location = location,
            (None, Some(ct)) => ct.location = location,
            (None, None) => {}
        }
        Ok(ImportRow {
            row: rec.row,
            line: rec.line,
            company,
            contact,
            custom,
            tags,
            notes,
            warnings: ctx.warnings,
        })
    }
}
