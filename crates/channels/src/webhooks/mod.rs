//! Webhook signature checks for the providers that call us back (Meta / WhatsApp, Twilio,
//! Stripe), on the raw request bytes and in constant time.
//!
//! These are pure functions: the web layer hands over the raw body, the header value and
//! the public URL it was reached at, and gets a yes or a reason for no. Nothing here parses
//! the payload, so a forged body is rejected before any parser sees it.

mod meta;
mod stripe;
mod twilio;

pub use meta::{
    HandshakeError, META_SIGNATURE_HEADER, meta_signature, verify_meta_signature,
    verify_subscription, verify_subscription_query,
};
pub use stripe::{
    STRIPE_DEFAULT_TOLERANCE_SECS, STRIPE_SIGNATURE_HEADER, stripe_signature,
    verify_stripe_signature,
};
pub use twilio::{
    TWILIO_SIGNATURE_HEADER, twilio_json_url, twilio_signature, verify_twilio_form,
    verify_twilio_json, verify_twilio_request,
};

/// Why a signed request was refused. All of these mean "answer 401 and change nothing";
/// the variants exist for the log line, never for the response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not match")]
    Mismatch,
    #[error("the body does not match the bodySHA256 in the URL")]
    BodyHashMismatch,
    #[error("the signed timestamp is {age_secs}s old, more than the {tolerance_secs}s allowed")]
    Expired { age_secs: i64, tolerance_secs: i64 },
    #[error("the signing secret is empty")]
    EmptySecret,
}

impl SignatureError {
    /// A stable short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed(_) => "malformed",
            SignatureError::Mismatch => "mismatch",
            SignatureError::BodyHashMismatch => "body_hash_mismatch",
            SignatureError::Expired { .. } => "expired",
            SignatureError::EmptySecret => "empty_secret",
        }
    }
}

/// Constant-time equality of two byte strings. The length is not secret (every signature
/// of one scheme has the same length), only the content is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Hex of HMAC-SHA256, the primitive Meta and Stripe share.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

pub(crate) fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    // hmac's `InvalidLength` is only returned for fixed-key MACs, never for HMAC.
    unreachable!("HMAC takes keys of any length")
}
