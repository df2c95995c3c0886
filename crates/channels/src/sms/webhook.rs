//! Typed reading of Twilio's form-encoded webhooks (after the signature check): status
//! callbacks for messages we sent, and inbound messages.
//!
//! Twilio adds parameters over time; every received pair stays in `params` so nothing is
//! lost, and only the few fields the app acts on are typed.

use super::error::{SmsErrorClass, SmsReason, classify_code};
use super::keywords::{Keyword, classify_keyword};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsWebhookError {
    #[error("the {0} parameter is missing")]
    Missing(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SmsStatus {
    Queued,
    Accepted,
    Scheduled,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Read,
    Canceled,
    Receiving,
    Received,
    Other(String),
}

impl SmsStatus {
    pub fn parse(s: &str) -> SmsStatus {
        use SmsStatus::*;
        match s {
            "queued" => Queued,
            "accepted" => Accepted,
            "scheduled" => Scheduled,
            "sending" => Sending,
            "sent" => Sent,
            "delivered" => Delivered,
            "undelivered" => Undelivered,
            "failed" => Failed,
            "read" => Read,
            "canceled" => Canceled,
            "receiving" => Receiving,
            "received" => Received,
            other => Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        use SmsStatus::*;
        match self {
            Queued => "queued",
            Accepted => "accepted",
            Scheduled => "scheduled",
            Sending => "sending",
            Sent => "sent",
            Delivered => "delivered",
            Undelivered => "undelivered",
            Failed => "failed",
            Read => "read",
            Canceled => "canceled",
            Receiving => "receiving",
            Received => "received",
            Other(s) => s,
        }
    }

    /// Progress order for "keep the furthest state" when callbacks arrive out of order.
    /// Final states (delivered, undelivered, failed, canceled, read) outrank the
    /// in-flight ones.
    pub fn rank(&self) -> u8 {
        use SmsStatus::*;
        match self {
            Accepted | Scheduled | Queued => 1,
            Sending => 2,
            Sent => 3,
            Delivered | Undelivered | Failed | Canceled => 4,
            Read => 5,
            _ => 0,
        }
    }

    pub fn is_final(&self) -> bool {
        self.rank() >= 4
    }
}

/// A status callback for a message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsStatusCallback {
    pub message_sid: String,
    pub status: SmsStatus,
    pub account_sid: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// Set on `undelivered` and `failed` (e.g. 30003).
    pub error_code: Option<i64>,
    /// Every received parameter, in order.
    pub params: Vec<(String, String)>,
}

impl SmsStatusCallback {
    /// `MessageSid:MessageStatus`: a repeated callback is a no-op.
    pub fn dedup_key(&self) -> String {
        format!("{}:{}", self.message_sid, self.status.as_str())
    }

    /// The decision for a carrier error code, `None` when there is none.
    pub fn error_class(&self) -> Option<(SmsErrorClass, SmsReason)> {
        let code = self.error_code?;
        Some(classify_code(code).unwrap_or((SmsErrorClass::Permanent, SmsReason::Unknown)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMedia {
    pub url: String,
    pub content_type: Option<String>,
}

/// An SMS/MMS a contact sent us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: String,
    pub account_sid: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// The contact.
    pub from: String,
    /// Our number.
    pub to: String,
    pub body: String,
    pub num_segments: Option<u32>,
    pub media: Vec<InboundMedia>,
    pub from_country: Option<String>,
    /// Twilio Advanced Opt-Out's own classification, when enabled.
    pub opt_out_type: Option<String>,
    pub params: Vec<(String, String)>,
}

impl InboundSms {
    /// STOP/START/HELP: Twilio's `OptOutType` when present, else our own reading of the body.
    pub fn keyword(&self) -> Option<Keyword> {
        self.opt_out_type
            .as_deref()
            .and_then(Keyword::from_opt_out_type)
            .or_else(|| classify_keyword(&self.body))
    }
}

/// Decodes an `application/x-www-form-urlencoded` body into ordered pairs (repeats kept).
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn get_owned(params: &[(String, String)], key: &str) -> Option<String> {
    get(params, key)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Reads a status callback; the legacy `SmsSid`/`SmsStatus` are used when the new names
/// are absent.
pub fn parse_status_callback(body: &[u8]) -> Result<SmsStatusCallback, SmsWebhookError> {
    let params = parse_form(body);
    let message_sid = get_owned(&params, "MessageSid")
        .or_else(|| get_owned(&params, "SmsSid"))
        .ok_or(SmsWebhookError::Missing("MessageSid"))?;
    let status = get_owned(&params, "MessageStatus")
        .or_else(|| get_owned(&params, "SmsStatus"))
        .ok_or(SmsWebhookError::Missing("MessageStatus"))?;
    Ok(SmsStatusCallback {
        message_sid,
        status: SmsStatus::parse(&status),
        account_sid: get_owned(&params, "AccountSid"),
        from: get_owned(&params, "From"),
        to: get_owned(&params, "To"),
        messaging_service_sid: get_owned(&params, "MessagingServiceSid"),
        error_code: get(&params, "ErrorCode").and_then(|c| c.trim().parse().ok()),
        params,
    })
}

/// Reads an inbound message.
pub fn parse_inbound(body: &[u8]) -> Result<InboundSms, SmsWebhookError> {
    let params = parse_form(body);
    let message_sid = get_owned(&params, "MessageSid")
        .or_else(|| get_owned(&params, "SmsMessageSid"))
        .or_else(|| get_owned(&params, "SmsSid"))
        .ok_or(SmsWebhookError::Missing("MessageSid"))?;
    let from = get_owned(&params, "From").ok_or(SmsWebhookError::Missing("From"))?;
    let to = get_owned(&params, "To").ok_or(SmsWebhookError::Missing("To"))?;
    let num_media: usize = get(&params, "NumMedia")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // Twilio allows at most 10 media per message; the cap guards against a huge NumMedia.
    let media = (0..num_media.min(10))
        .filter_map(|i| {
            Some(InboundMedia {
                url: get_owned(&params, &format!("MediaUrl{i}"))?,
                content_type: get_owned(&params, &format!("MediaContentType{i}")),
            })
        })
        .collect();
    Ok(InboundSms {
        message_sid,
        account_sid: get_owned(&params, "AccountSid"),
        messaging_service_sid: get_owned(&params, "MessagingServiceSid"),
        body: get(&params, "Body").unwrap_or_default().to_owned(),
        num_segments: get(&params, "NumSegments").and_then(|n| n.trim().parse().ok()),
        media,
        from_country: get_owned(&params, "FromCountry"),
        opt_out_type: get_owned(&params, "OptOutType"),
        from,
        to,
        params,
    })
}

/// The empty TwiML answer to an inbound message (no auto-reply); send with
/// `Content-Type: text/xml`.
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// A TwiML answer that replies with `text` (e.g. the HELP answer), XML-escaped.
pub fn twiml_reply(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{escaped}</Message></Response>"
    )
}
