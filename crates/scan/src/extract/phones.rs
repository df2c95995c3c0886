//! Phone extraction: `tel:` links and numbers in visible text, validated with the
//! libphonenumber metadata in the site's region and returned in E.164.

use std::str::FromStr;
use std::sync::LazyLock;

use phonenumber::{Mode, country::Id};
use regex::Regex;

/// A number as written on a page, before validation in a region.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPhone {
    /// Text as written.
    pub raw: String,
    /// tel, text or json-ld.
    pub method: &'static str,
    /// A phone label (Tel., Telefon, Téléphone...) precedes it.
    pub labelled: bool,
}

static CANDIDATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\+\s?|\(\+?)?\d[\d \t().\-/–]{4,24}\d(?:\s?(?:ext\.?|x|#|Durchwahl|DW)\s?\d{1,5})?",
    )
    .expect("static regex")
});

static DATE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$").expect("static regex"));

static YEAR_RANGE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:19|20)\d\d\s*[\-–/]\s*(?:19|20)\d\d$").expect("static regex")
});

/// `1.250.000` and `10,000`: amounts with thousand separators.
static THOUSANDS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,3}(?:[.,' ]\d{3})+$").expect("static regex"));

static TIME_RANGE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{1,2}[.:]\d{2}\s*[\-–]\s*\d{1,2}[.:]\d{2}$").expect("static regex")
});

/// Words that announce a phone number, in the languages we see most.
const LABELS: &[&str] = &[
    "tel",
    "tél",
    "phone",
    "fon",
    "festnetz",
    "call",
    "mobil",
    "handy",
    "cell",
    "whatsapp",
    "móvil",
    "movil",
    "cellulare",
    "portable",
    "hotline",
    "ruf",
    "numéro",
    "numero",
    "número",
    "anrufen",
    "appelez",
    "llámanos",
    "llamar",
    "chiama",
    "telf",
    "tlf",
    "mob",
    "☎",
    "📞",
    "t:",
    "t.",
    "m:",
    "p:",
    "reservations",
    "reservierung",
    "réservation",
    "reserva",
    "prenot",
    "contact",
    "kontakt",
    "bookings",
    "booking",
    "notfall",
    "emergency",
    "urgence",
    "urgencias",
];

/// Words that announce a fax number (not something a salesperson can call).
const FAX_LABELS: &[&str] = &["fax", "telefax", "télécopie", "telecopie"];

/// Words that announce an identifier that merely looks like a phone number.
const NEGATIVE: &[&str] = &[
    "iban",
    "bic",
    "ust",
    "vat",
    "tva",
    "iva",
    "hrb",
    "hra",
    "steuer",
    "siret",
    "siren",
    "rcs",
    "cif",
    "nif",
    "partita",
    "kvk",
    "abn",
    "registr",
    "order",
    "invoice",
    "rechnung",
    "plz",
    "zip",
    "postcode",
    "konto",
    "account",
    "blz",
    "sort code",
    "routing",
    "isbn",
    "ean",
    "art.-nr",
    "artikel",
    "sku",
    "ref",
    "license",
    "licence",
    "lizenz",
    "ident",
    "codice",
    "n° tva",
    "coc",
    "reg.",
    "gln",
    "bank",
    "fiscal",
    "kundennummer",
    "mitglied",
];

/// Phone-number-like substrings of visible text.
pub fn from_text(text: &str) -> Vec<RawPhone> {
    let mut out: Vec<RawPhone> = Vec::new();
    for m in CANDIDATE_RE.find_iter(text) {
        let raw = m.as_str().trim().trim_end_matches(['(', '-', '/', '.']);
        let raw = raw.trim();
        // The number must stand alone: no letters or digits glued to it.
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(|c| {
            c.is_alphanumeric()
                || c == '@'
                || c == '/'
                || c == '='
                || c == '#'
                || c == '€'
                || c == '$'
        }) || after
            .is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '%' || c == '€' || c == '$')
        {
            continue;
        }
        let digits = raw.chars().filter(char::is_ascii_digit).count();
        if !(7..=17).contains(&digits) {
            continue;
        }
        if DATE_RE.is_match(raw) || YEAR_RANGE_RE.is_match(raw) || TIME_RANGE_RE.is_match(raw) {
            continue;
        }
        // Decimal numbers and prices: `1.234.567,89`.
        if raw.contains(',') {
            continue;
        }
        let ctx = super::text::context_before(text, m.start(), 28);
        let label_pos = last_pos(&ctx, LABELS);
        let fax_pos = last_pos(&ctx, FAX_LABELS);
        let neg_pos = last_pos(&ctx, NEGATIVE);
        if let Some(f) = fax_pos
            && label_pos.is_none_or(|l| f >= l)
        {
            continue;
        }
        if let Some(n) = neg_pos
            && label_pos.is_none_or(|l| n > l)
        {
            continue;
        }
        let labelled = label_pos.is_some();
        if !labelled && (!looks_like_phone(raw) || THOUSANDS_RE.is_match(raw)) {
            continue;
        }
        if !out.iter().any(|p| p.raw == raw) {
            out.push(RawPhone {
                raw: raw.to_string(),
                method: "text",
                labelled,
            });
        }
    }
    out
}

/// Last position of any of `words` in `ctx` that starts a word (so "hotel" is no "tel").
fn last_pos(ctx: &str, words: &[&str]) -> Option<usize> {
    words
        .iter()
        .filter_map(|w| {
            ctx.match_indices(w)
                .filter(|(i, _)| {
                    !ctx[..*i]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphabetic)
                })
                .map(|(i, _)| i)
                .last()
        })
        .max()
}

/// Without a label, accept only numbers formatted the way phones are written.
fn looks_like_phone(raw: &str) -> bool {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('+') || trimmed.starts_with("(+") || trimmed.starts_with("00") {
        return true;
    }
    let groups = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .count();
    // `(555) 123-4567`, `030 / 123 45 67`, `06 12 34 56 78`.
    groups >= 2 && (trimmed.starts_with('0') || trimmed.starts_with('(')) || groups >= 3
}

/// Number of a `tel:` href (`tel:+49-30-1234`, `tel://...`, percent-encoded).
pub fn from_tel(href: &str) -> Option<String> {
    let h = href.trim();
    let rest = h
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("tel:"))
        .map(|_| &h[4..])
        .or_else(|| {
            h.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("callto:"))
                .map(|_| &h[7..])
        })?;
    let rest = super::emails::percent_decode(rest.trim_start_matches('/'));
    let rest = rest
        .split([';', '?'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if rest.chars().filter(char::is_ascii_digit).count() < 5 {
        return None;
    }
    Some(rest)
}

/// Parses a region code (`de`, `GB`, `uk`); `None` when unknown.
pub fn region_id(code: &str) -> Option<Id> {
    let up = code.trim().to_ascii_uppercase();
    let up = if up == "UK" { "GB".to_string() } else { up };
    Id::from_str(&up).ok()
}

/// Validates `raw` in `region`; returns (E.164, region of the number).
pub fn validate(raw: &str, region: Id) -> Option<(String, Option<String>)> {
    let cleaned: String = raw.replace(['–', '/'], " ").replace("(0)", " ");
    // `0049 30…` international prefix.
    let cleaned = match cleaned.trim_start().strip_prefix("00") {
        Some(rest) if !rest.starts_with('0') => format!("+{rest}"),
        _ => cleaned,
    };
    let number = phonenumber::parse(Some(region), &cleaned).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    let country = number.country().id().map(|id| id.as_ref().to_string());
    Some((e164, country))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, region: &str) -> Option<String> {
        validate(raw, region_id(region)?).map(|v| v.0)
    }

    #[test]
    fn validates_in_region() {
        assert_eq!(e164("030 12345678", "DE").as_deref(), Some("+493012345678"));
        assert_eq!(
            e164("+49 (0)30 12345678", "US").as_deref(),
            Some("+493012345678")
        );
        assert_eq!(
            e164("0049 30 12345678", "FR").as_deref(),
            Some("+493012345678")
        );
        assert_eq!(
            e164("01 42 68 53 00", "FR").as_deref(),
            Some("+33142685300")
        );
        assert_eq!(
            e164("(212) 736-5000", "US").as_deref(),
            Some("+12127365000")
        );
        assert_eq!(e164("12", "US"), None);
    }

    #[test]
    fn text_candidates_skip_traps() {
        let t = "Tel.: 030 / 1234 5678\nFax: 030 / 1234 5679\nUSt-IdNr: DE 123456789\n\
                 IBAN DE89 3704 0044 0532 0130 00\n© 2012-2024\nOpen 09:00-18:00, 12.05.2023\nPrice 1.234,00";
        let raws: Vec<String> = from_text(t).into_iter().map(|p| p.raw).collect();
        assert_eq!(raws, vec!["030 / 1234 5678"]);
    }

    #[test]
    fn unlabelled_needs_phone_format() {
        let raws: Vec<String> = from_text("Call center hours\n(212) 736-5000\nOrder 4711 0815 33")
            .into_iter()
            .map(|p| p.raw)
            .collect();
        assert_eq!(raws, vec!["(212) 736-5000"]);
    }

    #[test]
    fn tel_links() {
        assert_eq!(
            from_tel("tel:+49-30-1234567").as_deref(),
            Some("+49-30-1234567")
        );
        assert_eq!(
            from_tel("tel:%2B33142685300").as_deref(),
            Some("+33142685300")
        );
        assert_eq!(from_tel("mailto:x@y.de"), None);
        assert_eq!(from_tel("tel:"), None);
    }
}
