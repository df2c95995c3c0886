//! Phone numbers to E.164 with libphonenumber's metadata (the `phonenumber` crate).
//!
//! A number is accepted when libphonenumber calls it valid, or when its length is possible for
//! its region (fictional-looking numbers such as US 555 ones are still dialable shapes and users
//! import them). National numbers need a default country: the row's own country column if it
//! has one, otherwise the import's / workspace's default. Extensions are not part of E.164: they
//! are kept aside in [`PhoneE164::extension`] and ignored for de-duplication.

use std::fmt;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;

use super::country::CountryCode;

/// A phone number in E.164 form (`+` then 8–15 digits), plus an optional extension.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneE164 {
    e164: String,
    extension: Option<String>,
}

/// Why a value is not a phone number; `Display` is the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone: empty")]
    Empty,
    #[error("phone: invalid character '{0}'")]
    InvalidChar(char),
    #[error("phone: not a phone number")]
    NotANumber,
    #[error("phone: no country code (+..) and no default country")]
    NoCountry,
    #[error("phone: invalid country code")]
    InvalidCountryCode,
    #[error("phone: too short{}", for_region(.0))]
    TooShort(Option<String>),
    #[error("phone: too long{}", for_region(.0))]
    TooLong(Option<String>),
    #[error("phone: wrong number of digits{}", for_region(.0))]
    InvalidLength(Option<String>),
}

fn for_region(r: &Option<String>) -> String {
    match r {
        Some(r) if r != "001" => format!(" for {r}"),
        _ => String::new(),
    }
}

/// Longest input we hand to libphonenumber; anything longer is not one phone number.
const MAX_INPUT: usize = 64;

impl PhoneE164 {
    /// Parses `raw` (international or national notation) using `default_country` for numbers
    /// written without a country code.
    pub fn parse(raw: &str, default_country: Option<CountryCode>) -> Result<PhoneE164, PhoneError> {
        ensure_regex_cache();
        let cleaned = pre_clean(raw)?;
        let id = default_country.and_then(|c| c.as_str().parse::<Id>().ok());
        if id.is_none() && !cleaned.starts_with('+') {
            return Err(PhoneError::NoCountry);
        }
        // A number in international form carries its own country; handing the library a
        // default region as well made it misread some (+33 1..., +44 113... with US).
        let parse_region = if cleaned.starts_with('+') { None } else { id };
        let number = phonenumber::parse(parse_region, &cleaned).map_err(|e| match e {
            phonenumber::ParseError::NoNumber | phonenumber::ParseError::MalformedInteger(_) => {
                PhoneError::NotANumber
            }
            phonenumber::ParseError::InvalidCountryCode => PhoneError::InvalidCountryCode,
            phonenumber::ParseError::TooShortAfterIdd | phonenumber::ParseError::TooShortNsn => {
                PhoneError::TooShort(default_country.map(|c| c.to_string()))
            }
            phonenumber::ParseError::TooLong => {
                PhoneError::TooLong(default_country.map(|c| c.to_string()))
            }
        })?;
        // Validity is the expensive part (it finds the number's region among all regions
        // sharing its calling code, then matches every number-type pattern): ask once, and
        // look the metadata up only for numbers that are not valid.
        let valid = number.is_valid();
        let mut region: Option<String> = None;
        if !valid {
            let code = number.code().value();
            let meta = number.metadata(&DATABASE).or_else(|| {
                // Numbers matching no region pattern (e.g. US 555 numbers) still have a
                // calling code; judge their length against that code's main region.
                DATABASE
                    .by_code(&code)
                    .and_then(|all| {
                        all.into_iter()
                            .find(|m| m.is_main_country_for_code())
                            .or(None)
                    })
                    .or_else(|| {
                        DATABASE
                            .by_code(&code)
                            .and_then(|all| all.into_iter().next())
                    })
            });
            region = meta.map(|m| m.id().to_string());
            let Some(meta) = meta else {
                return Err(PhoneError::InvalidCountryCode);
            };
            let national = number.national();
            let len = digit_count(national.value()) + u32::from(national.zeros());
            let possible = possible_lengths(meta);
            let (Some(&min), Some(&max)) = (possible.first(), possible.last()) else {
                return Err(PhoneError::InvalidLength(region));
            };
            let len = u16::try_from(len).unwrap_or(u16::MAX);
            if len < min {
                return Err(PhoneError::TooShort(region));
            }
            if len > max {
                return Err(PhoneError::TooLong(region));
            }
            if !possible.contains(&len) {
                return Err(PhoneError::InvalidLength(region));
            }
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        // A number accepted only on length must read back the same from its E.164 form, so
        // that parsing is idempotent whatever the default country was.
        if !valid && default_country.is_some() {
            let again = PhoneE164::parse(&e164, None)?;
            if again.e164 != e164 {
                return Err(PhoneError::InvalidLength(region));
            }
        }
        // Defensive: the formatter's output is what we promise; never hand out anything else.
        let digits = e164.len().saturating_sub(1);
        if !e164.starts_with('+')
            || !e164[1..].bytes().all(|b| b.is_ascii_digit())
            || !(7..=15).contains(&digits)
        {
            return Err(PhoneError::InvalidLength(region));
        }
        let extension = number
            .extension()
            .map(|e| e.to_string())
            .filter(|e| !e.is_empty());
        Ok(PhoneE164 { e164, extension })
    }

    /// The E.164 string, e.g. `+49301234567`.
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// The extension written after the number ("ext. 12", "x12"), if any.
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Consumes into the E.164 string (the extension is dropped).
    pub fn into_string(self) -> String {
        self.e164
    }
}

/// Regexes libphonenumber's metadata may keep compiled at once. The crate's default of 100 is
/// less than one import of numbers from a handful of countries touches (national prefixes,
/// leading digits, formats and the per-type patterns of each region), so the LRU kept
/// evicting and recompiling them: most of a parse went into regex compilation and lazy-DFA
/// rebuilds. All regions' patterns number a few thousand; only the ones in use get compiled.
const REGEX_CACHE_CAPACITY: usize = 4096;

fn ensure_regex_cache() {
    static SIZED: std::sync::Once = std::sync::Once::new();
    SIZED.call_once(|| {
        let cache = DATABASE.cache();
        // A poisoned lock only means another thread panicked mid-lookup; the cache is still
        // a valid LRU, so size it anyway.
        let mut guard = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = regex_cache::RegexCache::new(REGEX_CACHE_CAPACITY);
    });
}

/// Union of the possible national-number lengths of every number type of a region (the
/// general descriptor often lists none).
fn possible_lengths(meta: &phonenumber::Metadata) -> Vec<u16> {
    let d = meta.descriptors();
    let mut all: Vec<u16> = d.general().possible_length().to_vec();
    for desc in [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.uan(),
        d.pager(),
    ]
    .into_iter()
    .flatten()
    {
        all.extend_from_slice(desc.possible_length());
    }
    all.sort_unstable();
    all.dedup();
    all
}

fn digit_count(mut v: u64) -> u32 {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// Strips decoration and rejects input libphonenumber should never see (non-ASCII symbols,
/// absurd lengths). Converts a leading `00` international prefix to `+`.
fn pre_clean(raw: &str) -> Result<String, PhoneError> {
    let mut s = raw.trim();
    if super::text::is_placeholder(s) {
        return Err(PhoneError::Empty);
    }
    if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tel:")) {
        s = s[4..].trim_start();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c),
            '+' | '-' | '(' | ')' | '.' | '/' | '#' | ',' | ';' | '*' | ':' | ' ' => out.push(c),
            // Wide and non-breaking spaces, tabs; typographic dashes.
            c if c.is_whitespace() => out.push(' '),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{FF0B}' => out.push('+'),
            '\u{FF10}'..='\u{FF19}' => {
                out.push(char::from(b'0' + (c as u32 - 0xFF10) as u8));
            }
            '\u{200B}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}' => {}
            c => return Err(PhoneError::InvalidChar(c)),
        }
    }
    let trimmed = out.trim();
    if trimmed.len() > MAX_INPUT {
        return Err(PhoneError::TooLong(None));
    }
    let digits = trimmed.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(PhoneError::NotANumber);
    }
    if digits < 3 {
        return Err(PhoneError::TooShort(None));
    }
    // "+49 (0) 30 123" is a common German/Austrian/Swiss style: the "(0)" is a trunk prefix
    // that must not be dialled after the country code.
    let mut s = trimmed.replace("(0)", "");
    if let Some(rest) = s.strip_prefix("00").filter(|r| !r.starts_with('0')) {
        s = format!("+{rest}");
    }
    if s.starts_with('+') && s[1..].trim_start().starts_with('+') {
        return Err(PhoneError::NotANumber);
    }
    Ok(s)
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extension {
            Some(x) => write!(f, "PhoneE164({} ext {x})", self.e164),
            None => write!(f, "PhoneE164({})", self.e164),
        }
    }
}

impl serde::Serialize for PhoneE164 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164)
    }
}

#[cfg(test)]
mod regression_international {
    use super::*;

    #[test]
    fn international_numbers_ignore_the_default_region() {
        for (raw, want) in [
            ("+33 1 62 05 68 67", "+33162056867"),
            ("+44 113 428 0678", "+441134280678"),
            ("+49 30 1234567", "+49301234567"),
        ] {
            for cc in ["US", "DE", "FR", "GB"] {
                let got = PhoneE164::parse(raw, CountryCode::parse(cc).ok());
                assert_eq!(
                    got.as_ref().map(|p| p.as_str()),
                    Ok(want),
                    "{raw} with {cc}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(s: &str) -> Option<CountryCode> {
        Some(CountryCode::parse(s).unwrap())
    }

    fn ok(raw: &str, country: Option<&str>) -> String {
        match PhoneE164::parse(raw, country.and_then(cc)) {
            Ok(p) => p.into_string(),
            Err(e) => panic!("{raw:?}: {e}"),
        }
    }

    fn err(raw: &str, country: Option<&str>) -> String {
        match PhoneE164::parse(raw, country.and_then(cc)) {
            Ok(p) => panic!("{raw:?} accepted as {p}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn international_and_national_forms() {
        assert_eq!(ok("+49 30 1234567", None), "+49301234567");
        assert_eq!(ok("+49 30 1234567", Some("US")), "+49301234567");
        assert_eq!(ok("030/1234567", Some("DE")), "+49301234567");
        assert_eq!(ok("030 123456", Some("DE")), "+4930123456");
        assert_eq!(ok("+49 (0)30 1234567", None), "+49301234567");
        assert_eq!(ok("0049 30 1234567", None), "+49301234567");
        assert_eq!(ok("0044 20 7946 0958", Some("DE")), "+442079460958");
        assert_eq!(ok("(555) 123-4567", Some("US")), "+15551234567");
        assert_eq!(ok("(212) 555-0123", Some("US")), "+12125550123");
        assert_eq!(ok("1-212-555-0123", Some("US")), "+12125550123");
        assert_eq!(ok("tel:+33 1 42 68 53 00", None), "+33142685300");
        assert_eq!(ok("0171 1234567", Some("DE")), "+491711234567");
        assert_eq!(ok("06 12 34 56 78", Some("FR")), "+33612345678");
        assert_eq!(ok("+39 06 1234 5678", None), "+390612345678");
        assert_eq!(ok("＋４９ ３０ １２３４５６７", None), "+49301234567");
    }

    #[test]
    fn extensions_are_kept_aside() {
        let p = PhoneE164::parse("+1 212-555-0123 ext. 42", None).unwrap();
        assert_eq!(p.as_str(), "+12125550123");
        assert_eq!(p.extension(), Some("42"));
        let q = PhoneE164::parse("+1 212 555 0123", None).unwrap();
        assert_eq!(q.extension(), None);
        assert_eq!(p.as_str(), q.as_str());
    }

    #[test]
    fn errors_have_reasons() {
        assert_eq!(err("", Some("DE")), "phone: empty");
        assert_eq!(err("N/A", Some("DE")), "phone: empty");
        assert_eq!(
            err("030 1234567", None),
            "phone: no country code (+..) and no default country"
        );
        assert_eq!(err("12", Some("DE")), "phone: too short");
        assert!(err("0301", Some("DE")).ends_with("for DE"));
        assert_eq!(err("call me", Some("DE")), "phone: not a phone number");
        assert_eq!(err("☎ 030 123", Some("DE")), "phone: invalid character '☎'");
        assert!(err("+1 212 555 0123 4567 8901", None).starts_with("phone: "));
        assert!(err(&"1".repeat(80), Some("DE")).starts_with("phone: too long"));
    }
}
