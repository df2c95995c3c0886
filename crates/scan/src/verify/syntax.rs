//! Practical address syntax (RFC 5321/5322 as mail servers actually accept it, plus
//! internationalised domains via IDNA): what a mass mailer can safely send to.

/// A parsed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Local part, lower-cased.
    pub local: String,
    /// Domain in ASCII (punycode), lower-cased.
    pub domain: String,
    /// The local part has non-ASCII characters (needs SMTPUTF8).
    pub utf8_local: bool,
}

impl Parsed {
    /// `local@domain`.
    pub fn normalized(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

const ATEXT_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

/// Parses `input` or says why it is not an address.
pub fn parse(input: &str) -> Result<Parsed, String> {
    let mut s = input.trim();
    if s.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
    {
        s = &s[7..];
    }
    let s = s.trim_start_matches('<').trim_end_matches('>').trim();
    if s.is_empty() {
        return Err("empty address".into());
    }
    if s.len() > 254 {
        return Err("address longer than 254 characters".into());
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err("missing @".into());
    };
    if local.starts_with('"') {
        return Err("quoted local parts are not accepted by most mail systems".into());
    }
    if local.is_empty() {
        return Err("empty local part".into());
    }
    if local.len() > 64 {
        return Err("local part longer than 64 characters".into());
    }
    if local.contains('@') {
        return Err("more than one @".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("misplaced dot in local part".into());
    }
    let mut utf8_local = false;
    for c in local.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || ATEXT_SPECIALS.contains(c) {
            continue;
        }
        if !c.is_ascii() && c.is_alphanumeric() {
            utf8_local = true;
            continue;
        }
        return Err(format!("character {c:?} not allowed in local part"));
    }
    if domain.starts_with('[') {
        return Err("address literals are not accepted".into());
    }
    let domain = domain.trim_end_matches('.');
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| "invalid internationalised domain".to_string())?;
    if ascii.is_empty() || ascii.len() > 253 {
        return Err("invalid domain length".into());
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err("domain has no top-level domain".into());
    }
    for l in &labels {
        if l.is_empty() || l.len() > 63 {
            return Err("empty or too long domain label".into());
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Err("domain label starts or ends with a hyphen".into());
        }
        if !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("invalid character in domain".into());
        }
    }
    let tld = labels.last().copied().unwrap_or("");
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("numeric top-level domain".into());
    }
    let known = psl::suffix(ascii.as_bytes()).is_some_and(|s| s.is_known());
    if !known {
        return Err(format!("unknown top-level domain .{tld}"));
    }
    Ok(Parsed {
        local: local.to_lowercase(),
        domain: ascii,
        utf8_local,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_practical_addresses() {
        assert_eq!(
            parse(" Info@Bistro-Luna.DE ").map(|p| p.normalized()),
            Ok("info@bistro-luna.de".into())
        );
        assert_eq!(
            parse("mailto:a.b+tag@x.co.uk").map(|p| p.normalized()),
            Ok("a.b+tag@x.co.uk".into())
        );
        assert_eq!(
            parse("kontakt@bäckerei-müller.de").map(|p| p.domain),
            Ok("xn--bckerei-mller-bfb28a.de".into())
        );
        assert!(parse("josé@example.es").is_ok_and(|p| p.utf8_local));
    }

    #[test]
    fn rejects_garbage() {
        for a in [
            "",
            "plain",
            "@x.de",
            "a@",
            "a@b",
            "a..b@x.de",
            ".a@x.de",
            "a@-x.de",
            "a@x.invalidtld",
            "\"a b\"@x.de",
            "a b@x.de",
            "a@[1.2.3.4]",
            "a@x.123",
            "a@b@c.de",
        ] {
            assert!(parse(a).is_err(), "{a} should be invalid");
        }
    }
}
