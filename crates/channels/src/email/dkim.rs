//! DKIM keys and signatures for sender domains.
//!
//! The app generates one RSA-2048 key per sender domain (2048 bits: every receiver verifies
//! it, and 1024 is no longer accepted by some), shows the DNS record to the user, stores the
//! private key encrypted, and signs every SMTP message before it leaves. Signing uses
//! relaxed/relaxed canonicalization (survives the header re-folding that relays do) and
//! covers the List-Unsubscribe pair, as RFC 8058 requires for one-click unsubscribe.

use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner as MailAuthSigner, Done};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};

/// The headers every signature covers (those present in the message are listed in `h=`).
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Reply-To",
];

/// RSA size of generated keys.
pub const RSA_BITS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DkimError {
    #[error("invalid DKIM domain {0:?}")]
    InvalidDomain(String),
    #[error("invalid DKIM selector {0:?}: use letters, digits, '-' and '.'")]
    InvalidSelector(String),
    #[error("cannot read the DKIM private key: {0}")]
    InvalidKey(String),
    #[error("cannot generate a DKIM key: {0}")]
    Generate(String),
    #[error("cannot sign the message: {0}")]
    Sign(String),
}

/// A newly generated key with what the user must publish.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedDkimKey {
    pub domain: String,
    pub selector: String,
    /// PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`); secret, store encrypted.
    pub private_key_pem: String,
    /// Where the TXT record goes: `{selector}._domainkey.{domain}`.
    pub dns_name: String,
    /// The TXT record value: `v=DKIM1; k=rsa; p=…`.
    pub dns_value: String,
}

impl std::fmt::Debug for GeneratedDkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedDkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("private_key_pem", &"<redacted>")
            .field("dns_name", &self.dns_name)
            .field("dns_value", &self.dns_value)
            .finish()
    }
}

/// Generates an RSA-2048 key for `domain` under `selector`.
///
/// Slow in debug builds (about a second or more); tests generate one key per binary.
pub fn generate_key(domain: &str, selector: &str) -> Result<GeneratedDkimKey, DkimError> {
    let domain = check_domain(domain)?;
    let selector = check_selector(selector)?;
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
        .map_err(|e| DkimError::Generate(e.to_string()))?;
    let private_key_pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| DkimError::Generate(e.to_string()))?
        .to_string();
    let dns_value = dns_value_for(&RsaPublicKey::from(&key))?;
    Ok(GeneratedDkimKey {
        dns_name: dns_name(&selector, &domain),
        domain,
        selector,
        private_key_pem,
        dns_value,
    })
}

/// The TXT record name for a selector and domain.
pub fn dns_name(selector: &str, domain: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

/// The TXT record value for a stored private key (so the UI can show it again).
pub fn dns_value(private_key_pem: &str) -> Result<String, DkimError> {
    let key = parse_private_key(private_key_pem)?;
    dns_value_for(&RsaPublicKey::from(&key))
}

/// Splits a TXT value into the ≤255-byte strings DNS requires, for zone files.
pub fn txt_strings(value: &str) -> Vec<String> {
    value
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// Signs messages for one domain and selector. Parse once, sign many: cheap to share.
pub struct DkimSigner {
    domain: String,
    selector: String,
    signer: MailAuthSigner<RsaKey<Sha256>, Done>,
}

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl DkimSigner {
    /// Accepts PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`) PEM.
    pub fn new(domain: &str, selector: &str, private_key_pem: &str) -> Result<Self, DkimError> {
        let domain = check_domain(domain)?;
        let selector = check_selector(selector)?;
        let key = parse_private_key(private_key_pem)?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| DkimError::InvalidKey(e.to_string()))?;
        let ring_key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(
            PrivatePkcs1KeyDer::from(der.as_bytes()),
        ))
        .map_err(|e| DkimError::InvalidKey(e.to_string()))?;
        let signer = MailAuthSigner::from_key(ring_key)
            .domain(domain.clone())
            .selector(selector.clone())
            .headers(SIGNED_HEADERS.iter().copied())
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed);
        Ok(DkimSigner {
            domain,
            selector,
            signer,
        })
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// Returns the message with a `DKIM-Signature` header prepended.
    pub fn sign(&self, raw: &[u8]) -> Result<Vec<u8>, DkimError> {
        let signature = self
            .signer
            .sign(raw)
            .map_err(|e| DkimError::Sign(e.to_string()))?;
        let header = tidy_signature_header(signature.to_header());
        let mut out = Vec::with_capacity(header.len() + raw.len());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(raw);
        Ok(out)
    }
}

/// Removes folding whitespace between the end of the `b=` value and the closing `;`.
///
/// RFC 6376 3.7 hashes the signature header with the `b=` value "including all surrounding
/// whitespace" removed, and mail-auth does exactly that, but some verifiers (dkimpy among
/// them) keep whitespace that follows the value. mail-auth's folding sometimes puts a lone
/// `;` on its own continuation line; joining it back makes both readings hash the same
/// bytes without changing what was signed.
fn tidy_signature_header(header: String) -> String {
    let body = header.trim_end_matches(['\r', '\n']);
    if let Some(before) = body.strip_suffix(';') {
        let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']);
        if trimmed.len() != before.len() {
            return format!("{trimmed};\r\n");
        }
    }
    header
}

fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, DkimError> {
    let pem = pem.trim();
    if pem.contains("BEGIN RSA PRIVATE KEY") {
        RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| DkimError::InvalidKey(e.to_string()))
    } else if pem.contains("BEGIN PRIVATE KEY") {
        RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| DkimError::InvalidKey(e.to_string()))
    } else {
        Err(DkimError::InvalidKey(
            "expected a PEM RSA private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)".into(),
        ))
    }
}

/// `p=` carries the SubjectPublicKeyInfo DER (what opendkim publishes and every verifier
/// reads; RFC 6376 erratum 3017).
fn dns_value_for(public: &RsaPublicKey) -> Result<String, DkimError> {
    let spki = public
        .to_public_key_der()
        .map_err(|e| DkimError::Generate(e.to_string()))?;
    Ok(format!(
        "v=DKIM1; k=rsa; p={}",
        base64_encode(spki.as_bytes())
    ))
}

fn check_domain(domain: &str) -> Result<String, DkimError> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(d)
    } else {
        Err(DkimError::InvalidDomain(domain.to_owned()))
    }
}

fn check_selector(selector: &str) -> Result<String, DkimError> {
    let s = selector.trim();
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(DkimError::InvalidSelector(selector.to_owned()))
    }
}

/// Standard base64 with padding; small enough not to need a crate here.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(char::from(ALPHABET[(n >> 18) as usize & 63]));
        out.push(char::from(ALPHABET[(n >> 12) as usize & 63]));
        out.push(if chunk.len() > 1 {
            char::from(ALPHABET[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char::from(ALPHABET[n as usize & 63])
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), want);
        }
    }

    #[test]
    fn names_and_selectors_are_checked() {
        assert_eq!(dns_name("s1", "example.com"), "s1._domainkey.example.com");
        assert!(check_domain("Example.COM.").is_ok());
        assert!(check_domain("no spaces.com").is_err());
        assert!(check_domain("localhost").is_err());
        assert!(check_selector("2024-01.mail").is_ok());
        assert!(check_selector("bad selector").is_err());
        assert!(matches!(
            DkimSigner::new("example.com", "s1", "not a key"),
            Err(DkimError::InvalidKey(_))
        ));
    }

    #[test]
    fn lone_semicolon_is_joined_back() {
        let h = "DKIM-Signature: v=1; b=abc\r\n\tdef==\r\n\t;\r\n".to_owned();
        assert_eq!(
            tidy_signature_header(h),
            "DKIM-Signature: v=1; b=abc\r\n\tdef==;\r\n"
        );
        let ok = "DKIM-Signature: v=1; b=abc==;\r\n".to_owned();
        assert_eq!(tidy_signature_header(ok.clone()), ok);
    }

    #[test]
    fn txt_strings_split_at_255() {
        let v = "a".repeat(600);
        let parts = txt_strings(&v);
        assert_eq!(
            parts.iter().map(String::len).collect::<Vec<_>>(),
            [255, 255, 90]
        );
    }
}
