//! Delivery events from the email APIs: the SendGrid Event Webhook and Resend's webhooks
//! (signed by Svix), verified on the raw body and turned into one [`EmailEvent`] shape.
//!
//! Verification comes first and works on the bytes exactly as received (protocols doc §9):
//! - SendGrid: ECDSA P-256 / SHA-256 over `timestamp + body`, the signature base64 DER in
//!   `X-Twilio-Email-Event-Webhook-Signature`, the timestamp in
//!   `X-Twilio-Email-Event-Webhook-Timestamp`, checked with the account's verification key
//!   (base64 DER SubjectPublicKeyInfo, as the SendGrid settings page shows it; PEM works too).
//! - Svix (Resend): `base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))` with the
//!   key the base64 part of the `whsec_…` secret; `svix-signature` lists one or more
//!   `v1,<base64>` entries and one match is enough (constant-time compare). The unbranded
//!   `webhook-id` / `webhook-timestamp` / `webhook-signature` headers are accepted too.
//!
//! Both reject timestamps more than [`DEFAULT_TOLERANCE`] (5 minutes) away from now, against
//! replays. SendGrid's SDKs do not check the timestamp at all; if its retries turn out to
//! keep the first attempt's timestamp, [`SendGridVerifier::with_tolerance`]`(None)` turns the
//! check off (duplicates are harmless: events are deduplicated on their id).
//!
//! Parsing never fails a whole SendGrid batch for one odd event: an element without an
//! `event` or an `email` is skipped with a warning (the raw body is stored before parsing,
//! so nothing is lost). Unknown event names become [`EmailEventKind::Other`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::sendgrid::MESSAGE_ID_ARG;

pub const SENDGRID_SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
pub const SENDGRID_TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";
/// Header names are case-insensitive; these are the lower-case forms Svix sends.
pub const SVIX_ID_HEADERS: [&str; 2] = ["svix-id", "webhook-id"];
pub const SVIX_TIMESTAMP_HEADERS: [&str; 2] = ["svix-timestamp", "webhook-timestamp"];
pub const SVIX_SIGNATURE_HEADERS: [&str; 2] = ["svix-signature", "webhook-signature"];
/// How far a signed timestamp may be from now, either way.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Which API sent the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventProvider {
    SendGrid,
    Resend,
}

impl EventProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            EventProvider::SendGrid => "sendgrid",
            EventProvider::Resend => "resend",
        }
    }
}

/// One delivery event, whichever API reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailEvent {
    pub provider: EventProvider,
    /// Unique per event, for deduplication: SendGrid `sg_event_id`, Resend the `svix-id`.
    /// When SendGrid leaves `sg_event_id` out, `sha256:<hex of the event JSON>`.
    pub provider_event_id: String,
    /// The provider's id for the message, as the send call returned it: SendGrid's
    /// `X-Message-Id` (the `sg_message_id` before `.filter…`), Resend's `email_id`.
    pub provider_message_id: Option<String>,
    /// Our Message-ID when the event carries it back (SendGrid `custom_args`).
    pub our_message_id: Option<String>,
    pub kind: EmailEventKind,
    /// The recipient the event is about.
    pub email: String,
    /// When the event happened, UTC milliseconds.
    pub timestamp_ms: i64,
    /// The provider's JSON for this event, for the timeline and later reprocessing.
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailEventKind {
    /// Accepted by the provider for delivery (SendGrid `processed`, Resend `email.sent`).
    Processed,
    Delivered,
    /// Delivery is being retried (SendGrid `deferred`, Resend `email.delivery_delayed`).
    Deferred {
        reason: Option<String>,
    },
    /// The receiving server refused the message. `hard` is a permanent failure (suppress);
    /// a soft one (SendGrid `blocked`, Resend `Transient`) may pass later.
    Bounce {
        hard: bool,
        /// The enhanced status code (`5.1.1`) when the provider gives one.
        status: Option<String>,
        reason: Option<String>,
        /// SendGrid `bounce_classification`, Resend `subType`.
        classification: Option<String>,
    },
    /// The provider did not even try (suppressed address, invalid recipient; Resend
    /// `email.failed`).
    Dropped {
        reason: Option<String>,
    },
    Open,
    Click {
        url: Option<String>,
    },
    /// The recipient marked the message as spam (SendGrid `spamreport`, Resend
    /// `email.complained`): suppress.
    SpamReport,
    Unsubscribe,
    GroupUnsubscribe,
    GroupResubscribe,
    /// An event we do not act on, by its provider name.
    Other {
        event: String,
    },
}

impl EmailEventKind {
    /// A stable short name for storage and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            EmailEventKind::Processed => "processed",
            EmailEventKind::Delivered => "delivered",
            EmailEventKind::Deferred { .. } => "deferred",
            EmailEventKind::Bounce { .. } => "bounce",
            EmailEventKind::Dropped { .. } => "dropped",
            EmailEventKind::Open => "open",
            EmailEventKind::Click { .. } => "click",
            EmailEventKind::SpamReport => "spam_report",
            EmailEventKind::Unsubscribe => "unsubscribe",
            EmailEventKind::GroupUnsubscribe => "group_unsubscribe",
            EmailEventKind::GroupResubscribe => "group_resubscribe",
            EmailEventKind::Other { .. } => "other",
        }
    }
}

/// Why a webhook was refused. [`is_authentication`](Self::is_authentication) separates
/// "answer 401/403" from "answer 400" and from our own misconfiguration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("invalid webhook timestamp {0:?}: expected Unix seconds")]
    InvalidTimestamp(String),
    #[error(
        "webhook timestamp {timestamp} is {age_secs}s away from now (more than {tolerance_secs}s): stale or replayed"
    )]
    StaleTimestamp {
        timestamp: i64,
        age_secs: i64,
        tolerance_secs: u64,
    },
    #[error("malformed webhook signature: {0}")]
    MalformedSignature(String),
    #[error("webhook signature does not match (forged, altered body, or wrong key/secret)")]
    SignatureMismatch,
    #[error("invalid webhook verification key or secret: {0}")]
    InvalidKey(String),
    #[error("invalid webhook payload: {0}")]
    InvalidPayload(String),
}

impl EventError {
    /// The request is not proven to come from the provider (answer 401/403 and log).
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            EventError::MissingHeader(_)
                | EventError::InvalidTimestamp(_)
                | EventError::StaleTimestamp { .. }
                | EventError::MalformedSignature(_)
                | EventError::SignatureMismatch
        )
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn parse_timestamp(s: &str) -> Result<i64, EventError> {
    let t = s.trim();
    if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EventError::InvalidTimestamp(s.chars().take(40).collect()));
    }
    t.parse()
        .map_err(|_| EventError::InvalidTimestamp(s.chars().take(40).collect()))
}

fn check_fresh(timestamp: i64, now: i64, tolerance: Duration) -> Result<(), EventError> {
    let age = now.saturating_sub(timestamp);
    if age.unsigned_abs() > tolerance.as_secs() {
        return Err(EventError::StaleTimestamp {
            timestamp,
            age_secs: age,
            tolerance_secs: tolerance.as_secs(),
        });
    }
    Ok(())
}

/// Base64 with the whitespace that copy-and-paste adds removed.
fn decode_b64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact)
}

// ---------------------------------------------------------------------------------------
// SendGrid

/// Checks SendGrid Event Webhook signatures with one account's verification key.
#[derive(Clone)]
pub struct SendGridVerifier {
    key: VerifyingKey,
    tolerance: Option<Duration>,
}

impl fmt::Debug for SendGridVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGridVerifier")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl SendGridVerifier {
    /// `public_key`: the verification key from SendGrid's Mail Settings, base64 DER
    /// SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`), or the same in PEM.
    pub fn new(public_key: &str) -> Result<Self, EventError> {
        let body: String = public_key
            .lines()
            .filter(|l| !l.trim_start().starts_with("-----"))
            .collect();
        let der = decode_b64(&body)
            .map_err(|e| EventError::InvalidKey(format!("the SendGrid key is not base64: {e}")))?;
        let key = VerifyingKey::from_public_key_der(&der).map_err(|e| {
            EventError::InvalidKey(format!(
                "the SendGrid key is not a P-256 public key (SubjectPublicKeyInfo): {e}"
            ))
        })?;
        Ok(SendGridVerifier {
            key,
            tolerance: Some(DEFAULT_TOLERANCE),
        })
    }

    /// Changes the allowed timestamp skew; `None` turns the freshness check off.
    pub fn with_tolerance(mut self, tolerance: Option<Duration>) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies the two header values (as received, `None` when absent) against the raw
    /// body, at the current time.
    pub fn verify(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
    ) -> Result<(), EventError> {
        self.verify_at(signature, timestamp, body, now_unix())
    }

    /// [`verify`](Self::verify) with an explicit "now" (Unix seconds), for tests.
    pub fn verify_at(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), EventError> {
        let signature = signature
            .filter(|s| !s.trim().is_empty())
            .ok_or(EventError::MissingHeader(SENDGRID_SIGNATURE_HEADER))?;
        let timestamp = timestamp
            .filter(|s| !s.is_empty())
            .ok_or(EventError::MissingHeader(SENDGRID_TIMESTAMP_HEADER))?;
        let der = decode_b64(signature)
            .map_err(|e| EventError::MalformedSignature(format!("not base64: {e}")))?;
        let sig = Signature::from_der(&der)
            .map_err(|_| EventError::MalformedSignature("not a DER ECDSA signature".into()))?;
        let mut signed = Vec::with_capacity(timestamp.len() + body.len());
        signed.extend_from_slice(timestamp.as_bytes());
        signed.extend_from_slice(body);
        self.key
            .verify(&signed, &sig)
            .map_err(|_| EventError::SignatureMismatch)?;
        if let Some(tolerance) = self.tolerance {
            check_fresh(parse_timestamp(timestamp)?, now_unix, tolerance)?;
        }
        Ok(())
    }
}

/// Parses a SendGrid Event Webhook body (a JSON array of events).
pub fn parse_sendgrid(body: &[u8]) -> Result<Vec<EmailEvent>, EventError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EventError::InvalidPayload(format!("SendGrid events are not JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(EventError::InvalidPayload(
            "SendGrid events must be a JSON array".into(),
        ));
    };
    let mut events = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match sendgrid_event(item) {
            Ok(e) => events.push(e),
            Err(why) => tracing::warn!(index = i, %why, "skipping a SendGrid event"),
        }
    }
    Ok(events)
}

fn sendgrid_event(item: Value) -> Result<EmailEvent, String> {
    let Value::Object(obj) = &item else {
        return Err("not a JSON object".into());
    };
    let event = str_field(obj, "event").ok_or("no \"event\"")?;
    let email = str_field(obj, "email").ok_or("no \"email\"")?;
    let timestamp_ms = match obj.get("timestamp") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(|s| s.saturating_mul(1000)),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok().map(|s| s.saturating_mul(1000)),
        _ => None,
    }
    .ok_or("no numeric \"timestamp\"")?;
    let text = |k: &str| str_field(obj, k).map(str::to_owned);
    let kind = match event {
        "processed" => EmailEventKind::Processed,
        "delivered" => EmailEventKind::Delivered,
        "deferred" => EmailEventKind::Deferred {
            reason: text("response").or_else(|| text("reason")),
        },
        "bounce" => {
            let status = text("status");
            let hard = match str_field(obj, "type") {
                Some("blocked") => false,
                _ => !status.as_deref().is_some_and(|s| s.starts_with('4')),
            };
            EmailEventKind::Bounce {
                hard,
                status,
                reason: text("reason"),
                classification: text("bounce_classification"),
            }
        }
        "dropped" => EmailEventKind::Dropped {
            reason: text("reason"),
        },
        "open" => EmailEventKind::Open,
        "click" => EmailEventKind::Click { url: text("url") },
        "spamreport" => EmailEventKind::SpamReport,
        "unsubscribe" => EmailEventKind::Unsubscribe,
        "group_unsubscribe" => EmailEventKind::GroupUnsubscribe,
        "group_resubscribe" => EmailEventKind::GroupResubscribe,
        other => EmailEventKind::Other {
            event: other.to_owned(),
        },
    };
    let provider_event_id = match str_field(obj, "sg_event_id") {
        Some(id) => id.to_owned(),
        None => format!("sha256:{}", hex_sha256(item.to_string().as_bytes())),
    };
    // Custom args arrive as top-level fields; older integrations nest them.
    let our_message_id = text(MESSAGE_ID_ARG).or_else(|| {
        obj.get("custom_args")
            .and_then(Value::as_object)
            .and_then(|m| str_field(m, MESSAGE_ID_ARG))
            .map(str::to_owned)
    });
    Ok(EmailEvent {
        provider: EventProvider::SendGrid,
        provider_event_id,
        provider_message_id: str_field(obj, "sg_message_id").map(sendgrid_message_id),
        our_message_id,
        kind,
        email: email.to_owned(),
        timestamp_ms,
        raw: item.clone(),
    })
}

/// `sg_message_id` is the `X-Message-Id` the send call returned plus a `.filter…` (or
/// `.recvd-…`) suffix naming SendGrid's internal server; the part before it matches.
pub fn sendgrid_message_id(sg_message_id: &str) -> String {
    let cut = [".filter", ".recvd-"]
        .iter()
        .filter_map(|m| sg_message_id.find(m))
        .min()
        .unwrap_or(sg_message_id.len());
    sg_message_id[..cut].to_owned()
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Svix (Resend)

/// The three Svix header values of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SvixHeaders<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> SvixHeaders<'a> {
    /// Reads `svix-*` (or the unbranded `webhook-*`) headers through `get`, which is called
    /// with lower-case names (e.g. `|n| headers.get(n).and_then(|v| v.to_str().ok())`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, EventError> {
        let find = |names: [&'static str; 2]| {
            names
                .iter()
                .find_map(|n| get(n).filter(|v| !v.trim().is_empty()))
                .ok_or(EventError::MissingHeader(names[0]))
        };
        Ok(SvixHeaders {
            id: find(SVIX_ID_HEADERS)?,
            timestamp: find(SVIX_TIMESTAMP_HEADERS)?,
            signature: find(SVIX_SIGNATURE_HEADERS)?,
        })
    }
}

/// Checks Svix signatures (Resend webhooks, or any "Standard Webhooks" sender) with one
/// endpoint's signing secret.
#[derive(Clone)]
pub struct SvixVerifier {
    key: Vec<u8>,
    tolerance: Duration,
}

impl fmt::Debug for SvixVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SvixVerifier")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl SvixVerifier {
    /// `secret`: the endpoint's signing secret, `whsec_<base64>` (the prefix is optional).
    pub fn new(secret: &str) -> Result<Self, EventError> {
        let b64 = secret.trim();
        let b64 = b64.strip_prefix("whsec_").unwrap_or(b64);
        let key = decode_b64(b64).map_err(|e| {
            EventError::InvalidKey(format!("the signing secret is not whsec_<base64>: {e}"))
        })?;
        if key.is_empty() {
            return Err(EventError::InvalidKey("the signing secret is empty".into()));
        }
        Ok(SvixVerifier {
            key,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// `v1,<base64>` for `id`, `timestamp` and `body` (what Svix would send; for stand-ins
    /// and tests).
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn verify(&self, headers: &SvixHeaders<'_>, body: &[u8]) -> Result<(), EventError> {
        self.verify_at(headers, body, now_unix())
    }

    /// [`verify`](Self::verify) with an explicit "now" (Unix seconds), for tests.
    pub fn verify_at(
        &self,
        headers: &SvixHeaders<'_>,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), EventError> {
        let timestamp = parse_timestamp(headers.timestamp)?;
        check_fresh(timestamp, now_unix, self.tolerance)?;
        let expected = self.mac(headers.id, headers.timestamp, body);
        let mut saw_v1 = false;
        let mut matched = false;
        for entry in headers.signature.split_whitespace() {
            let Some((version, sig)) = entry.split_once(',') else {
                continue;
            };
            if version != "v1" {
                continue;
            }
            saw_v1 = true;
            if let Ok(sig) = STANDARD.decode(sig)
                && !expected.is_empty()
                && bool::from(sig.ct_eq(&expected))
            {
                // Keep going: the time spent must not depend on which entry matched.
                matched = true;
            }
        }
        if matched {
            Ok(())
        } else if saw_v1 {
            Err(EventError::SignatureMismatch)
        } else {
            Err(EventError::MalformedSignature(
                "no v1,<base64> entry in the signature header".into(),
            ))
        }
    }
}

/// Parses one Resend webhook body. `headers` gives the event id (`svix-id`) and the time
/// when the body has no `created_at`.
pub fn parse_resend(headers: &SvixHeaders<'_>, body: &[u8]) -> Result<EmailEvent, EventError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EventError::InvalidPayload(format!("Resend event is not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| EventError::InvalidPayload("Resend event is not a JSON object".into()))?;
    let event = str_field(obj, "type")
        .ok_or_else(|| EventError::InvalidPayload("Resend event has no \"type\"".into()))?;
    let empty = Map::new();
    let data = obj.get("data").and_then(Value::as_object).unwrap_or(&empty);
    let sub = |k: &str| data.get(k).and_then(Value::as_object).unwrap_or(&empty);
    let text = |m: &Map<String, Value>, k: &str| str_field(m, k).map(str::to_owned);

    let kind = match event {
        "email.sent" => EmailEventKind::Processed,
        "email.delivered" => EmailEventKind::Delivered,
        "email.delivery_delayed" => EmailEventKind::Deferred {
            reason: text(sub("delivery_delayed"), "message")
                .or_else(|| text(data, "reason"))
                .or_else(|| text(data, "message")),
        },
        "email.bounced" => {
            let b = sub("bounce");
            EmailEventKind::Bounce {
                // Permanent / Transient / Undetermined: only Permanent is a hard bounce.
                hard: str_field(b, "type").is_some_and(|t| t.eq_ignore_ascii_case("permanent")),
                status: None,
                reason: text(b, "message"),
                classification: text(b, "subType"),
            }
        }
        "email.failed" => EmailEventKind::Dropped {
            reason: text(sub("failed"), "reason").or_else(|| text(data, "reason")),
        },
        "email.complained" => EmailEventKind::SpamReport,
        "email.opened" => EmailEventKind::Open,
        "email.clicked" => EmailEventKind::Click {
            url: text(sub("click"), "link"),
        },
        other => EmailEventKind::Other {
            event: other.to_owned(),
        },
    };
    let email = match data.get("to") {
        Some(Value::Array(list)) => list.iter().find_map(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    }
    .map(bare_address)
    .unwrap_or_default();
    let timestamp_ms = str_field(obj, "created_at")
        .or_else(|| str_field(data, "created_at"))
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
        .or_else(|| {
            parse_timestamp(headers.timestamp)
                .ok()
                .map(|s| s.saturating_mul(1000))
        })
        .ok_or_else(|| EventError::InvalidPayload("Resend event has no usable time".into()))?;

    Ok(EmailEvent {
        provider: EventProvider::Resend,
        provider_event_id: headers.id.trim().to_owned(),
        provider_message_id: text(data, "email_id"),
        our_message_id: resend_message_id(data),
        kind,
        email,
        timestamp_ms,
        raw: value.clone(),
    })
}

/// Our Message-ID, when the event echoes the headers or tags we sent.
fn resend_message_id(data: &Map<String, Value>) -> Option<String> {
    let named = |v: &Value, wanted: &str| -> Option<String> {
        let m = v.as_object()?;
        let name = m.get("name").and_then(Value::as_str)?;
        if name.eq_ignore_ascii_case(wanted) {
            m.get("value").and_then(Value::as_str).map(str::to_owned)
        } else {
            None
        }
    };
    let lookup = |field: &str, wanted: &str| -> Option<String> {
        match data.get(field)? {
            Value::Array(list) => list.iter().find_map(|v| named(v, wanted)),
            Value::Object(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned),
            _ => None,
        }
    };
    lookup("tags", MESSAGE_ID_ARG).or_else(|| lookup("headers", "Message-ID"))
}

/// `Name <a@b>` → `a@b`.
fn bare_address(s: &str) -> String {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(l), Some(r)) if l < r => s[l + 1..r].trim().to_owned(),
        _ => s.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::EncodePublicKey;

    fn test_signer() -> (SigningKey, String) {
        let sk = SigningKey::from_slice(&[7u8; 32]).expect("fixed test key");
        let spki = p256::PublicKey::from(sk.verifying_key())
            .to_public_key_der()
            .expect("spki")
            .into_vec();
        (sk, STANDARD.encode(spki))
    }

    fn sign(sk: &SigningKey, ts: &str, body: &[u8]) -> String {
        let mut m = ts.as_bytes().to_vec();
        m.extend_from_slice(body);
        let sig: Signature = sk.sign(&m);
        STANDARD.encode(sig.to_der().as_bytes())
    }

    #[test]
    fn sendgrid_signatures_round_trip_and_fail_clearly() {
        let (sk, public) = test_signer();
        let v = SendGridVerifier::new(&public).expect("key");
        let body = br#"[{"email":"a@example.com","event":"open","timestamp":1700000000,"sg_event_id":"e1"}]"#;
        let sig = sign(&sk, "1700000000", body);
        v.verify_at(Some(&sig), Some("1700000000"), body, 1_700_000_010)
            .expect("valid");
        // PEM form of the key works too.
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{public}\n-----END PUBLIC KEY-----\n");
        SendGridVerifier::new(&pem)
            .expect("pem")
            .verify_at(Some(&sig), Some("1700000000"), body, 1_700_000_010)
            .expect("valid with pem key");

        let err = v
            .verify_at(Some(&sig), Some("1700000000"), b"[]", 1_700_000_010)
            .expect_err("altered body");
        assert_eq!(err, EventError::SignatureMismatch);
        assert!(err.is_authentication());
        assert_eq!(
            v.verify_at(None, Some("1700000000"), body, 1_700_000_010),
            Err(EventError::MissingHeader(SENDGRID_SIGNATURE_HEADER))
        );
        assert_eq!(
            v.verify_at(Some(&sig), None, body, 1_700_000_010),
            Err(EventError::MissingHeader(SENDGRID_TIMESTAMP_HEADER))
        );
        let stale = v
            .verify_at(Some(&sig), Some("1700000000"), body, 1_700_000_000 + 301)
            .expect_err("stale");
        assert!(
            matches!(stale, EventError::StaleTimestamp { .. }),
            "{stale}"
        );
        assert!(stale.to_string().contains("stale"), "{stale}");
        v.clone()
            .with_tolerance(None)
            .verify_at(Some(&sig), Some("1700000000"), body, 1_900_000_000)
            .expect("no tolerance");
        assert!(matches!(
            v.verify_at(Some("!!!"), Some("1700000000"), body, 1_700_000_010),
            Err(EventError::MalformedSignature(_))
        ));
        assert!(matches!(
            v.verify_at(Some("AAAA"), Some("1700000000"), body, 1_700_000_010),
            Err(EventError::MalformedSignature(_))
        ));
        assert!(matches!(
            SendGridVerifier::new("not a key"),
            Err(EventError::InvalidKey(_))
        ));
        assert!(matches!(
            SendGridVerifier::new("AAAA"),
            Err(EventError::InvalidKey(_))
        ));
        // Another account's key.
        let other = SigningKey::from_slice(&[9u8; 32]).expect("key");
        let forged = sign(&other, "1700000000", body);
        assert_eq!(
            v.verify_at(Some(&forged), Some("1700000000"), body, 1_700_000_010),
            Err(EventError::SignatureMismatch)
        );
    }

    #[test]
    fn svix_signatures_round_trip_and_fail_clearly() {
        let v = SvixVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"type":"email.opened"}"#;
        let sig = v.sign("msg_1", "1700000000", body);
        let h = SvixHeaders {
            id: "msg_1",
            timestamp: "1700000000",
            signature: &sig,
        };
        v.verify_at(&h, body, 1_700_000_100).expect("valid");
        // Several entries, one of them ours; other versions are ignored.
        let many = format!("v1a,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {sig}");
        v.verify_at(
            &SvixHeaders {
                signature: &many,
                ..h
            },
            body,
            1_700_000_100,
        )
        .expect("one of several");
        assert_eq!(
            v.verify_at(&h, b"{}", 1_700_000_100),
            Err(EventError::SignatureMismatch)
        );
        assert!(matches!(
            v.verify_at(&h, body, 1_700_000_000 - 301),
            Err(EventError::StaleTimestamp { .. })
        ));
        assert!(matches!(
            v.verify_at(&h, body, 1_700_000_000 + 301),
            Err(EventError::StaleTimestamp { .. })
        ));
        assert!(matches!(
            v.verify_at(
                &SvixHeaders {
                    timestamp: "soon",
                    ..h
                },
                body,
                1_700_000_000
            ),
            Err(EventError::InvalidTimestamp(_))
        ));
        assert!(matches!(
            v.verify_at(
                &SvixHeaders {
                    signature: "garbage",
                    ..h
                },
                body,
                1_700_000_000
            ),
            Err(EventError::MalformedSignature(_))
        ));
        let wrong = SvixVerifier::new("whsec_dGhlIHdyb25nIHNlY3JldA==").expect("secret");
        assert_eq!(
            wrong.verify_at(&h, body, 1_700_000_100),
            Err(EventError::SignatureMismatch)
        );
        assert!(matches!(
            SvixVerifier::new("whsec_***"),
            Err(EventError::InvalidKey(_))
        ));
        assert!(matches!(
            SvixVerifier::new(""),
            Err(EventError::InvalidKey(_))
        ));
    }

    #[test]
    fn svix_headers_from_lookup() {
        let h = SvixHeaders::from_lookup(|n| match n {
            "webhook-id" => Some("msg_2"),
            "webhook-timestamp" => Some("1"),
            "webhook-signature" => Some("v1,x"),
            _ => None,
        })
        .expect("unbranded headers");
        assert_eq!(h.id, "msg_2");
        assert_eq!(
            SvixHeaders::from_lookup(|n| (n == "svix-id").then_some("x")),
            Err(EventError::MissingHeader("svix-timestamp"))
        );
    }

    #[test]
    fn sendgrid_message_ids_lose_the_filter_suffix() {
        assert_eq!(
            sendgrid_message_id("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"),
            "14c5d75ce93.dfd.64b469"
        );
        assert_eq!(
            sendgrid_message_id(
                "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"
            ),
            "LRzXl_NHStOGhQ4kofSm_A"
        );
        assert_eq!(
            sendgrid_message_id("abc.recvd-5f54b5c6b-rmg5g-1-63BE0D32-17.0"),
            "abc"
        );
        assert_eq!(sendgrid_message_id("plain-id"), "plain-id");
    }

    #[test]
    fn sendgrid_parsing_covers_every_event() {
        let body = br#"[
          {"email":"a@x.example","timestamp":1,"event":"processed","sg_event_id":"p","sg_message_id":"m1.filter1","prospector_message_id":"<id1@sender.example>"},
          {"email":"a@x.example","timestamp":2,"event":"delivered","sg_event_id":"d","response":"250 OK"},
          {"email":"a@x.example","timestamp":3,"event":"deferred","sg_event_id":"f","response":"451 try later","attempt":"1"},
          {"email":"a@x.example","timestamp":4,"event":"bounce","sg_event_id":"b","type":"bounce","status":"5.1.1","reason":"550 no such user","bounce_classification":"Invalid Address"},
          {"email":"a@x.example","timestamp":5,"event":"bounce","sg_event_id":"k","type":"blocked","status":"5.7.1","reason":"blocked"},
          {"email":"a@x.example","timestamp":6,"event":"open","sg_event_id":"o"},
          {"email":"a@x.example","timestamp":7,"event":"click","sg_event_id":"c","url":"https://example.com/x"},
          {"email":"a@x.example","timestamp":8,"event":"unsubscribe","sg_event_id":"u"},
          {"email":"a@x.example","timestamp":9,"event":"group_unsubscribe","sg_event_id":"g","asm_group_id":1},
          {"email":"a@x.example","timestamp":10,"event":"group_resubscribe","sg_event_id":"r","asm_group_id":1},
          {"email":"a@x.example","timestamp":11,"event":"spamreport","sg_event_id":"s"},
          {"email":"a@x.example","timestamp":12,"event":"machine_opened"},
          {"timestamp":13,"event":"open"},
          "not an object",
          {"email":"a@x.example","event":"open"}
        ]"#;
        let events = parse_sendgrid(body).expect("parses");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "processed",
                "delivered",
                "deferred",
                "bounce",
                "bounce",
                "open",
                "click",
                "unsubscribe",
                "group_unsubscribe",
                "group_resubscribe",
                "spam_report",
                "other"
            ]
        );
        assert_eq!(events[0].provider_message_id.as_deref(), Some("m1"));
        assert_eq!(
            events[0].our_message_id.as_deref(),
            Some("<id1@sender.example>")
        );
        assert_eq!(events[0].timestamp_ms, 1000);
        assert_eq!(
            events[2].kind,
            EmailEventKind::Deferred {
                reason: Some("451 try later".into())
            }
        );
        assert_eq!(
            events[3].kind,
            EmailEventKind::Bounce {
                hard: true,
                status: Some("5.1.1".into()),
                reason: Some("550 no such user".into()),
                classification: Some("Invalid Address".into()),
            }
        );
        assert!(matches!(
            events[4].kind,
            EmailEventKind::Bounce { hard: false, .. }
        ));
        assert_eq!(
            events[6].kind,
            EmailEventKind::Click {
                url: Some("https://example.com/x".into())
            }
        );
        // No sg_event_id: a stable id from the content.
        assert!(events[11].provider_event_id.starts_with("sha256:"));
        assert_eq!(
            parse_sendgrid(body).expect("again")[11].provider_event_id,
            events[11].provider_event_id
        );
        assert_eq!(
            events[11].kind,
            EmailEventKind::Other {
                event: "machine_opened".into()
            }
        );
        assert!(matches!(
            parse_sendgrid(b"{}"),
            Err(EventError::InvalidPayload(_))
        ));
        assert!(matches!(
            parse_sendgrid(b"\xff"),
            Err(EventError::InvalidPayload(_))
        ));
        assert_eq!(parse_sendgrid(b"[]").expect("empty"), vec![]);
    }

    #[test]
    fn resend_parsing_covers_every_event() {
        let h = SvixHeaders {
            id: "msg_x",
            timestamp: "1732318872",
            signature: "",
        };
        let ev = |t: &str, data: &str| {
            let body = format!(
                r#"{{"type":"{t}","created_at":"2024-11-22T23:41:12.126Z","data":{data}}}"#
            );
            parse_resend(&h, body.as_bytes()).expect(t)
        };
        let base = r#"{"email_id":"e-1","to":["Bob <bob@x.example>"],"from":"a@b"}"#;
        assert_eq!(ev("email.sent", base).kind, EmailEventKind::Processed);
        assert_eq!(ev("email.delivered", base).kind, EmailEventKind::Delivered);
        assert!(matches!(
            ev("email.delivery_delayed", base).kind,
            EmailEventKind::Deferred { .. }
        ));
        assert_eq!(
            ev("email.complained", base).kind,
            EmailEventKind::SpamReport
        );
        assert_eq!(ev("email.opened", base).kind, EmailEventKind::Open);
        assert_eq!(
            ev(
                "email.clicked",
                r#"{"email_id":"e-1","to":["bob@x.example"],"click":{"link":"https://example.com/p","ipAddress":"1.2.3.4"}}"#
            )
            .kind,
            EmailEventKind::Click {
                url: Some("https://example.com/p".into())
            }
        );
        assert_eq!(
            ev(
                "email.bounced",
                r#"{"email_id":"e-1","to":["bob@x.example"],"bounce":{"type":"Transient","subType":"MailboxFull","message":"full"}}"#
            )
            .kind,
            EmailEventKind::Bounce {
                hard: false,
                status: None,
                reason: Some("full".into()),
                classification: Some("MailboxFull".into()),
            }
        );
        assert_eq!(
            ev(
                "email.failed",
                r#"{"email_id":"e-1","to":["bob@x.example"],"failed":{"reason":"reached_daily_quota"}}"#
            )
            .kind,
            EmailEventKind::Dropped {
                reason: Some("reached_daily_quota".into())
            }
        );
        assert_eq!(
            ev("email.received", base).kind,
            EmailEventKind::Other {
                event: "email.received".into()
            }
        );
        let e = ev("email.sent", base);
        assert_eq!(e.email, "bob@x.example");
        assert_eq!(e.provider_event_id, "msg_x");
        assert_eq!(e.provider_message_id.as_deref(), Some("e-1"));
        assert_eq!(e.timestamp_ms, 1_732_318_872_126);
        let tagged = ev(
            "email.sent",
            r#"{"email_id":"e-1","to":["bob@x.example"],"headers":[{"name":"Message-ID","value":"<m@s.example>"}]}"#,
        );
        assert_eq!(tagged.our_message_id.as_deref(), Some("<m@s.example>"));
        // No created_at: the signed timestamp.
        let e = parse_resend(
            &h,
            br#"{"type":"email.opened","data":{"to":"bob@x.example"}}"#,
        )
        .expect("no time");
        assert_eq!(e.timestamp_ms, 1_732_318_872_000);
        for bad in [&b"[]"[..], b"{}", b"nope", br#"{"type":1}"#] {
            assert!(matches!(
                parse_resend(&h, bad),
                Err(EventError::InvalidPayload(_))
            ));
        }
    }
}
