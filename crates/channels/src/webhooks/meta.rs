//! Meta (WhatsApp Cloud API, Page leadgen, Instagram) webhooks.
//!
//! - Subscription handshake: `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`
//!   is answered with the raw challenge when the token matches, 403 otherwise.
//! - Event notifications: `X-Hub-Signature-256: sha256=<hex>` where hex is
//!   HMAC-SHA256(app secret, raw body). Meta signs its escaped-unicode JSON (`\u00e4`), so the
//!   bytes must be hashed exactly as received, never re-serialised. There is no timestamp,
//!   hence no replay window: callers deduplicate on the message/status id.

use super::{SignatureError, constant_time_eq, hmac_sha256};

pub const META_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// `sha256=<lowercase hex>` for `body`: what Meta puts in the header (used by stand-ins and
/// benchmarks that send signed webhooks).
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(app_secret.as_bytes(), &[body]))
    )
}

/// Checks `X-Hub-Signature-256` against the raw body. `header` is the header value, `None`
/// when the request had none.
pub fn verify_meta_signature(
    app_secret: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let header = header.ok_or(SignatureError::Missing)?;
    let (scheme, hex_sig) = header
        .split_once('=')
        .ok_or(SignatureError::Malformed("expected sha256=<hex>"))?;
    if !scheme.eq_ignore_ascii_case("sha256") {
        return Err(SignatureError::Malformed("the scheme is not sha256"));
    }
    // Decoding accepts upper-case hex too; the comparison is on bytes.
    let given = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed("not hex"))?;
    if given.len() != 32 {
        return Err(SignatureError::Malformed("not 32 bytes"));
    }
    let expected = hmac_sha256(app_secret.as_bytes(), &[body]);
    if constant_time_eq(&expected, &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Why a subscription handshake was refused (answer 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode is not \"subscribe\"")]
    WrongMode,
    #[error("hub.verify_token does not match")]
    WrongToken,
    #[error("hub.challenge is missing")]
    MissingChallenge,
    #[error("no verify token is configured")]
    NotConfigured,
}

/// The GET handshake as a pure function: `Ok(challenge)` is the exact text to answer with
/// (status 200, `text/plain`); any error means 403.
pub fn verify_subscription(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, HandshakeError> {
    if expected_token.is_empty() {
        return Err(HandshakeError::NotConfigured);
    }
    if mode != Some("subscribe") {
        return Err(HandshakeError::WrongMode);
    }
    let token = verify_token.unwrap_or_default();
    if !constant_time_eq(token.as_bytes(), expected_token.as_bytes()) {
        return Err(HandshakeError::WrongToken);
    }
    match challenge {
        Some(c) if !c.is_empty() => Ok(c.to_owned()),
        _ => Err(HandshakeError::MissingChallenge),
    }
}

/// [`verify_subscription`] on a raw query string (`hub.mode=subscribe&hub.challenge=…`),
/// percent-decoded the way Meta encodes it.
pub fn verify_subscription_query(
    query: &str,
    expected_token: &str,
) -> Result<String, HandshakeError> {
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    verify_subscription(
        mode.as_deref(),
        token.as_deref(),
        challenge.as_deref(),
        expected_token,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_answers_the_challenge_only_for_the_right_token() {
        let q = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
        assert_eq!(
            verify_subscription_query(q, "meatyhamhock"),
            Ok("1158201444".into())
        );
        assert_eq!(
            verify_subscription_query(q, "other"),
            Err(HandshakeError::WrongToken)
        );
        let q = "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock";
        assert_eq!(
            verify_subscription_query(q, "meatyhamhock"),
            Err(HandshakeError::WrongMode)
        );
        // PHP-style underscores are not Meta's names.
        let q = "hub_mode=subscribe&hub_challenge=1&hub_verify_token=meatyhamhock";
        assert_eq!(
            verify_subscription_query(q, "meatyhamhock"),
            Err(HandshakeError::WrongMode)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            Err(HandshakeError::NotConfigured)
        );
    }

    #[test]
    fn signature_round_trip_and_malformed_headers() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let sig = meta_signature("s3cret", body);
        assert!(verify_meta_signature("s3cret", body, Some(&sig)).is_ok());
        assert!(verify_meta_signature("s3cret", body, Some(&sig.to_uppercase())).is_ok());
        assert_eq!(
            verify_meta_signature("s3cret", body, None),
            Err(SignatureError::Missing)
        );
        assert!(matches!(
            verify_meta_signature("s3cret", body, Some("sha1=abcd")),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_meta_signature("s3cret", body, Some("sha256=zz")),
            Err(SignatureError::Malformed(_))
        ));
        assert_eq!(
            verify_meta_signature("other", body, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }
}
