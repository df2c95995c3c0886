//! The region in which to read phone numbers written without a country code: the user's
//! choice, else the site's ccTLD, schema.org address or telephone, language, else US.

use crate::extract::phones::region_id;
use crate::report::{Business, Region};

/// Two-letter TLDs that are used as generic names, not as a country.
const GENERIC_CC: &[&str] = &[
    "co", "io", "me", "tv", "ai", "fm", "ly", "gg", "to", "cc", "ws", "eu", "la", "am", "im", "is",
    "it_", "vc", "sh", "ac", "gl", "so", "st", "su", "nu", "tk", "ml", "ga", "cf",
];

/// Country names seen in `addressCountry`.
const NAMES: &[(&str, &str)] = &[
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("austria", "AT"),
    ("österreich", "AT"),
    ("switzerland", "CH"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("france", "FR"),
    ("spain", "ES"),
    ("españa", "ES"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("great britain", "GB"),
    ("england", "GB"),
    ("ireland", "IE"),
    ("netherlands", "NL"),
    ("nederland", "NL"),
    ("belgium", "BE"),
    ("belgique", "BE"),
    ("portugal", "PT"),
    ("united states", "US"),
    ("usa", "US"),
    ("canada", "CA"),
    ("australia", "AU"),
    ("mexico", "MX"),
    ("méxico", "MX"),
    ("brasil", "BR"),
    ("brazil", "BR"),
    ("poland", "PL"),
    ("polska", "PL"),
];

/// Primary language tags that imply one main country.
const LANGS: &[(&str, &str)] = &[
    ("de", "DE"),
    ("fr", "FR"),
    ("it", "IT"),
    ("es", "ES"),
    ("nl", "NL"),
    ("pt", "PT"),
    ("pl", "PL"),
    ("da", "DK"),
    ("sv", "SE"),
    ("nb", "NO"),
    ("no", "NO"),
    ("fi", "FI"),
    ("cs", "CZ"),
    ("el", "GR"),
    ("hu", "HU"),
    ("ro", "RO"),
    ("ja", "JP"),
    ("tr", "TR"),
];

fn valid(code: &str) -> Option<String> {
    region_id(code).map(|id| id.as_ref().to_string())
}

/// Decides the region. `option` is `--country`.
pub fn infer(
    option: Option<&str>,
    host: &str,
    business: Option<&Business>,
    schema_phones: &[String],
    lang: Option<&str>,
) -> Region {
    let r = |code: String, source: &str| Region {
        code,
        source: source.to_string(),
    };
    if let Some(code) = option.and_then(valid) {
        return r(code, "option");
    }
    let tld = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if tld.len() == 2
        && !GENERIC_CC.contains(&tld.as_str())
        && let Some(code) = valid(&tld)
    {
        return r(code, "tld");
    }
    if let Some(country) = business.and_then(|b| b.country.as_deref()) {
        let c = country.trim().to_lowercase();
        let code = NAMES
            .iter()
            .find(|(n, _)| *n == c)
            .map(|(_, code)| code.to_string())
            .or_else(|| if c.len() == 2 { valid(&c) } else { None });
        if let Some(code) = code {
            return r(code, "schema_address");
        }
    }
    for p in schema_phones {
        let t = p.trim();
        if t.starts_with('+') || t.starts_with("00") {
            let t = t
                .strip_prefix("00")
                .map(|x| format!("+{x}"))
                .unwrap_or(t.to_string());
            if let Ok(n) = phonenumber::parse(None, &t)
                && let Some(id) = n.country().id()
            {
                return r(id.as_ref().to_string(), "schema_telephone");
            }
        }
    }
    if let Some(lang) = lang {
        let lang = lang.to_ascii_lowercase();
        let mut parts = lang.split(['-', '_']);
        let primary = parts.next().unwrap_or("");
        if let Some(code) = parts.find(|p| p.len() == 2).and_then(valid) {
            return r(code, "language");
        }
        if let Some((_, code)) = LANGS.iter().find(|(l, _)| *l == primary) {
            return r(code.to_string(), "language");
        }
    }
    r("US".into(), "default")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_sources() {
        assert_eq!(infer(Some("fr"), "x.de", None, &[], None).code, "FR");
        assert_eq!(infer(None, "www.x.co.uk", None, &[], None).code, "GB");
        assert_eq!(infer(None, "x.de", None, &[], Some("en")).source, "tld");
        let b = Business {
            country: Some("Italia".into()),
            ..Business::default()
        };
        assert_eq!(infer(None, "x.com", Some(&b), &[], None).code, "IT");
        assert_eq!(
            infer(None, "x.com", None, &["+34 912 345 678".into()], None).code,
            "ES"
        );
        assert_eq!(infer(None, "x.com", None, &[], Some("de-AT")).code, "AT");
        assert_eq!(infer(None, "x.com", None, &[], Some("fr")).code, "FR");
        let d = infer(None, "x.io", None, &[], Some("en"));
        assert_eq!((d.code.as_str(), d.source.as_str()), ("US", "default"));
    }
}
