//! E-mail addresses: the practical subset that mail servers and people actually use.
//!
//! Canonical form: trimmed, lower-cased, domain in ASCII (IDN labels converted to punycode), so
//! one mailbox has one spelling for de-duplication. Quoted local parts, comments and IP-literal
//! domains are rejected: they are valid RFC 5322 but in a prospect list they are typos or junk.

use std::fmt;

/// A syntactically valid, canonical e-mail address.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// Why a value is not an e-mail address; `Display` is the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email: empty")]
    Empty,
    #[error("email: missing @")]
    MissingAt,
    #[error("email: more than one @")]
    MultipleAt,
    #[error("email: contains a space")]
    ContainsSpace,
    #[error("email: nothing before the @")]
    EmptyLocal,
    #[error("email: nothing after the @")]
    EmptyDomain,
    #[error("email: too long")]
    TooLong,
    #[error("email: consecutive dots")]
    DoubleDot,
    #[error("email: starts or ends with a dot")]
    EdgeDot,
    #[error("email: invalid character '{0}'")]
    InvalidChar(char),
    #[error("email: domain has no top-level domain")]
    MissingTld,
    #[error("email: invalid domain '{0}'")]
    InvalidDomain(String),
}

impl Email {
    /// Parses and canonicalises an address. Accepts `mailto:` prefixes and `Name <addr>` forms.
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let mut s = raw
            .trim()
            .trim_matches(|c: char| c == '\u{FEFF}' || c == '\u{200B}');
        if super::text::is_placeholder(s) {
            return Err(EmailError::Empty);
        }
        // "Jane Doe <jane@x.com>" -> "jane@x.com"
        if let (Some(open), true) = (s.rfind('<'), s.ends_with('>')) {
            s = s[open + 1..s.len() - 1].trim();
        }
        if s.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            s = s[7..].trim();
            if let Some(q) = s.find('?') {
                s = &s[..q];
            }
        }
        // Trailing punctuation copied from prose ("jane@x.com." / "jane@x.com;").
        s = s.trim_end_matches([';', ',', '.']);
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(EmailError::ContainsSpace);
        }
        let (local, domain) = match s.split_once('@') {
            None => return Err(EmailError::MissingAt),
            Some((_, d)) if d.contains('@') => return Err(EmailError::MultipleAt),
            Some(parts) => parts,
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocal);
        }
        if domain.is_empty() {
            return Err(EmailError::EmptyDomain);
        }
        let local = local.to_lowercase();
        check_local(&local)?;
        let domain = canonical_domain(domain)?;
        if local.len() > 64 || local.len() + 1 + domain.len() > 254 {
            return Err(EmailError::TooLong);
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local(&self) -> &str {
        self.0.split_once('@').map(|(l, _)| l).unwrap_or("")
    }

    /// The (ASCII) domain after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// Consumes into the canonical string.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.starts_with('.') || local.ends_with('.') {
        return Err(EmailError::EdgeDot);
    }
    if local.contains("..") {
        return Err(EmailError::DoubleDot);
    }
    for c in local.chars() {
        let ok = c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric());
        if !ok {
            return Err(EmailError::InvalidChar(c));
        }
    }
    Ok(())
}

/// Lower-cases, converts IDN to ASCII and checks the host-name syntax of a mail domain.
pub(crate) fn canonical_domain(domain: &str) -> Result<String, EmailError> {
    if domain.starts_with('.') || domain.ends_with('.') {
        return Err(EmailError::EdgeDot);
    }
    if domain.contains("..") {
        return Err(EmailError::DoubleDot);
    }
    if domain.starts_with('[') {
        return Err(EmailError::InvalidDomain(domain.to_string()));
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).map_err(|_| EmailError::InvalidDomain(domain.to_string()))?
    };
    if ascii.len() > 253 {
        return Err(EmailError::TooLong);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err(EmailError::MissingTld);
    }
    for label in &labels {
        if label.is_empty() {
            return Err(EmailError::DoubleDot);
        }
        if label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return Err(EmailError::InvalidDomain(ascii.clone()));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(EmailError::InvalidChar(c));
        }
    }
    let tld = labels.last().copied().unwrap_or("");
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(EmailError::MissingTld);
    }
    Ok(ascii)
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        match Email::parse(s) {
            Ok(e) => e.into_string(),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match Email::parse(s) {
            Ok(e) => panic!("{s:?} accepted as {e}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn canonicalises() {
        assert_eq!(ok("  John.Doe@Example.COM "), "john.doe@example.com");
        assert_eq!(ok("mailto:info@acme.de?subject=hi"), "info@acme.de");
        assert_eq!(ok("Jane Doe <Jane+tag@Acme.co.uk>"), "jane+tag@acme.co.uk");
        assert_eq!(ok("info@müller.de"), "info@xn--mller-kva.de");
        assert_eq!(ok("info@xn--mller-kva.de"), "info@xn--mller-kva.de");
        assert_eq!(ok("o'brien@example.ie"), "o'brien@example.ie");
        assert_eq!(ok("sales@acme.com;"), "sales@acme.com");
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(err("john.example.com"), "email: missing @");
        assert_eq!(err("a@b@c.com"), "email: more than one @");
        assert_eq!(err("john doe@example.com"), "email: contains a space");
        assert_eq!(err("john..doe@example.com"), "email: consecutive dots");
        assert_eq!(err("john@example..com"), "email: consecutive dots");
        assert_eq!(
            err("john@localhost"),
            "email: domain has no top-level domain"
        );
        assert_eq!(err("john@1.2.3.4"), "email: domain has no top-level domain");
        assert_eq!(err("@example.com"), "email: nothing before the @");
        assert_eq!(err("john@"), "email: nothing after the @");
        assert_eq!(err(".john@example.com"), "email: starts or ends with a dot");
        assert_eq!(err("jo(hn)@example.com"), "email: invalid character '('");
        assert_eq!(err("john@exa_mple.com"), "email: invalid character '_'");
        assert_eq!(err("n/a"), "email: empty");
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn accessors() {
        let e = Email::parse("A@B.io").unwrap();
        assert_eq!((e.local(), e.domain()), ("a", "b.io"));
    }
}
