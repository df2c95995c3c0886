//! `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, as stripe-python checks it.
//!
//! `v1 = hex(HMAC-SHA256(endpoint secret as UTF-8 — the whole "whsec_…" text, not
//! base64-decoded —, t + "." + raw body))`. Several `v1` appear while a secret is rolled;
//! any one matching is enough. `v0` and unknown schemes are ignored. A signature older than
//! the tolerance is refused (replay protection); like the SDK, a timestamp in the future is
//! not.

use super::{SignatureError, constant_time_eq, hmac_sha256};

pub const STRIPE_SIGNATURE_HEADER: &str = "Stripe-Signature";
/// The SDK's default: five minutes.
pub const STRIPE_DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The header Stripe would send for `body` at `timestamp` (used by stand-ins).
pub fn stripe_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mac = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex::encode(mac))
}

/// Checks the header against the raw body; `now_unix` is the current time in seconds (a
/// parameter so tests are deterministic). Returns the signed timestamp on success.
pub fn verify_stripe_signature(
    secret: &str,
    body: &[u8],
    header: Option<&str>,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<&str> = None;
    let mut candidates: Vec<&str> = Vec::new();
    for item in header.split(',') {
        let Some((k, v)) = item.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => timestamp = Some(v),
            "v1" => candidates.push(v),
            _ => {}
        }
    }
    let t_text = timestamp.ok_or(SignatureError::Malformed("no t= timestamp"))?;
    let t: i64 = t_text
        .parse()
        .map_err(|_| SignatureError::Malformed("t= is not a number"))?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed("no v1= signature"));
    }
    let expected = hmac_sha256(secret.as_bytes(), &[t_text.as_bytes(), b".", body]);
    let matched = candidates.iter().any(|c| {
        hex::decode(c)
            .map(|given| constant_time_eq(&expected, &given))
            .unwrap_or(false)
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age = now_unix.saturating_sub(t);
    if tolerance_secs > 0 && age > tolerance_secs {
        return Err(SignatureError::Expired {
            age_secs: age,
            tolerance_secs,
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_rotation_and_tolerance() {
        let body = br#"{"id":"evt_1"}"#;
        let header = stripe_signature("whsec_a", 1_000, body);
        assert_eq!(
            verify_stripe_signature("whsec_a", body, Some(&header), 1_100, 300),
            Ok(1_000)
        );
        // Rolled secret: the new and old signatures both present.
        let old = stripe_signature("whsec_old", 1_000, body);
        let old_v1 = old.split(",v1=").nth(1).unwrap_or_default();
        let both = format!("{header},v1={old_v1},v0=deadbeef");
        assert!(verify_stripe_signature("whsec_old", body, Some(&both), 1_000, 300).is_ok());
        assert!(verify_stripe_signature("whsec_a", body, Some(&both), 1_000, 300).is_ok());
        assert_eq!(
            verify_stripe_signature("whsec_a", body, Some(&header), 1_301, 300),
            Err(SignatureError::Expired {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verify_stripe_signature("whsec_a", body, Some("t=1000"), 1_000, 300),
            Err(SignatureError::Malformed("no v1= signature"))
        );
        assert_eq!(
            verify_stripe_signature("whsec_a", body, Some("v1=00"), 1_000, 300),
            Err(SignatureError::Malformed("no t= timestamp"))
        );
    }
}
