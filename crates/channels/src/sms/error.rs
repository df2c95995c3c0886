//! Twilio outcomes as decisions plus a stable `reason` code. The same table classifies
//! the `ErrorCode` of `undelivered`/`failed` status callbacks (30003, 30007…), so a late
//! carrier failure is recorded the same way as a refused send.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsReason {
    /// 21211: the `To` number is not a valid phone number.
    InvalidNumber,
    /// 21614: not a mobile number.
    NotMobile,
    /// 21610: the recipient replied STOP; Twilio refuses until they send START.
    Unsubscribed,
    /// 21408: the account may not send to this region (geo permissions).
    RegionNotEnabled,
    /// 21612: no route between this sender and this recipient.
    RouteUnavailable,
    /// 20003, HTTP 401: wrong account SID or auth token.
    AuthFailed,
    /// 20404 on the account path: the account SID does not exist.
    AccountNotFound,
    /// 30002, 10001: suspended or inactive account.
    AccountSuspended,
    /// 21212, 21606, 21659, 21603, 21703, 21705, 30024: our From number or Messaging
    /// Service cannot send.
    SenderInvalid,
    /// 21608, 21219: a trial account may only send to verified numbers.
    TrialRestriction,
    /// 30034, 30032: unregistered US A2P 10DLC or unverified toll-free sender.
    A2pUnregistered,
    /// 20429, 14107, 30001, 30022, 30023, HTTP 429: too many requests or messages.
    RateLimited,
    /// 30003: the handset is off or out of coverage.
    Unreachable,
    /// 30004: the recipient or carrier blocked the message.
    Blocked,
    /// 30005: the number does not exist.
    UnknownDestination,
    /// 30006: a landline or a carrier that cannot take SMS.
    Landline,
    /// 30007: the carrier's filtering flagged the message as spam.
    CarrierFiltered,
    /// 30008, 30009, 30017: a carrier-side error that may pass later.
    CarrierError,
    /// 21602, 21617, 21619: empty, too long or missing body.
    InvalidBody,
    /// 30010: the price exceeds the `MaxPrice` set.
    PriceExceeded,
    /// 20500, 20503, HTTP 5xx: Twilio's side had a problem.
    ProviderError,
    /// No connection or no answer before anything was handed over.
    Network,
    /// The request may have been processed; the answer was lost.
    Uncertain,
    /// The request could not be built from the data given; nothing was sent.
    InvalidRequest,
    /// Our own settings are unusable (base URL, SID format, empty token).
    BadConfig,
    /// A code not in the table.
    Unknown,
}

impl SmsReason {
    pub fn as_str(self) -> &'static str {
        use SmsReason::*;
        match self {
            InvalidNumber => "invalid_number",
            NotMobile => "not_mobile",
            Unsubscribed => "unsubscribed",
            RegionNotEnabled => "region_not_enabled",
            RouteUnavailable => "route_unavailable",
            AuthFailed => "auth_failed",
            AccountNotFound => "account_not_found",
            AccountSuspended => "account_suspended",
            SenderInvalid => "sender_invalid",
            TrialRestriction => "trial_restriction",
            A2pUnregistered => "a2p_unregistered",
            RateLimited => "rate_limited",
            Unreachable => "unreachable",
            Blocked => "blocked",
            UnknownDestination => "unknown_destination",
            Landline => "landline",
            CarrierFiltered => "carrier_filtered",
            CarrierError => "carrier_error",
            InvalidBody => "invalid_body",
            PriceExceeded => "price_exceeded",
            ProviderError => "provider_error",
            Network => "network",
            Uncertain => "uncertain",
            InvalidRequest => "invalid_request",
            BadConfig => "bad_config",
            Unknown => "unknown",
        }
    }
}

impl fmt::Display for SmsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do about an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsErrorClass {
    Transient,
    Permanent,
    Config,
}

/// The Twilio error-code table. `None` for codes it does not know.
pub fn classify_code(code: i64) -> Option<(SmsErrorClass, SmsReason)> {
    use SmsErrorClass::*;
    use SmsReason::*;
    Some(match code {
        21211 => (Permanent, InvalidNumber),
        21614 => (Permanent, NotMobile),
        21610 => (Permanent, Unsubscribed),
        // Only this destination country fails; pausing the whole sender would be wrong.
        21408 => (Permanent, RegionNotEnabled),
        21612 => (Permanent, RouteUnavailable),
        20003 => (Config, AuthFailed),
        20404 => (Config, AccountNotFound),
        30002 | 10001 => (Config, AccountSuspended),
        21212 | 21606 | 21659 | 21603 | 21703 | 21705 | 30024 => (Config, SenderInvalid),
        21608 | 21219 => (Config, TrialRestriction),
        30034 | 30032 => (Config, A2pUnregistered),
        20429 | 14107 | 30001 | 30022 | 30023 => (Transient, RateLimited),
        30003 => (Permanent, Unreachable),
        30004 => (Permanent, Blocked),
        30005 => (Permanent, UnknownDestination),
        30006 => (Permanent, Landline),
        30007 => (Permanent, CarrierFiltered),
        30008 | 30009 | 30017 => (Transient, CarrierError),
        21602 | 21617 | 21619 => (Permanent, InvalidBody),
        30010 => (Permanent, PriceExceeded),
        20500 | 20503 => (Transient, ProviderError),
        _ => return None,
    })
}

/// A Twilio failure, decided (same meaning as the email and WhatsApp error enums):
/// `Transient` retry later, `Permanent` this message will not go, `Uncertain` the answer
/// was lost after sending (Twilio has no idempotency key: never retry automatically),
/// `Config` the account or sender is the problem (pause it), `Invalid` nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("temporary failure ({reason}{}): {message}", CodeSuffix(*code))]
    Transient {
        reason: SmsReason,
        code: Option<i64>,
        message: String,
    },
    #[error("permanent failure ({reason}{}): {message}", CodeSuffix(*code))]
    Permanent {
        reason: SmsReason,
        code: Option<i64>,
        message: String,
    },
    #[error("outcome unknown, Twilio may have accepted the message: {message}")]
    Uncertain { message: String },
    #[error("Twilio account configuration problem ({reason}{}): {message}", CodeSuffix(*code))]
    Config {
        reason: SmsReason,
        code: Option<i64>,
        message: String,
    },
    #[error("message cannot be sent: {message}")]
    Invalid { message: String },
}

impl SmsError {
    pub fn kind(&self) -> &'static str {
        match self {
            SmsError::Transient { .. } => "transient",
            SmsError::Permanent { .. } => "permanent",
            SmsError::Uncertain { .. } => "uncertain",
            SmsError::Config { .. } => "config",
            SmsError::Invalid { .. } => "invalid",
        }
    }

    pub fn reason(&self) -> SmsReason {
        match self {
            SmsError::Transient { reason, .. }
            | SmsError::Permanent { reason, .. }
            | SmsError::Config { reason, .. } => *reason,
            SmsError::Uncertain { .. } => SmsReason::Uncertain,
            SmsError::Invalid { .. } => SmsReason::InvalidRequest,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, SmsError::Transient { .. })
    }

    /// The Twilio error code, when Twilio gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            SmsError::Transient { code, .. }
            | SmsError::Permanent { code, .. }
            | SmsError::Config { code, .. } => *code,
            _ => None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            SmsError::Transient { message, .. }
            | SmsError::Permanent { message, .. }
            | SmsError::Uncertain { message }
            | SmsError::Config { message, .. }
            | SmsError::Invalid { message } => message,
        }
    }

    pub(crate) fn new(
        class: SmsErrorClass,
        reason: SmsReason,
        code: Option<i64>,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        match class {
            SmsErrorClass::Transient => SmsError::Transient {
                reason,
                code,
                message,
            },
            SmsErrorClass::Permanent => SmsError::Permanent {
                reason,
                code,
                message,
            },
            SmsErrorClass::Config => SmsError::Config {
                reason,
                code,
                message,
            },
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        SmsError::Invalid {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        SmsError::new(SmsErrorClass::Config, SmsReason::BadConfig, None, message)
    }
}

/// Maps a non-2xx Twilio answer (`{"code":21211,"message":"…","more_info":"…","status":400}`)
/// to a decision: the Twilio code first, the HTTP status when the code is unknown.
pub fn map_twilio_error(status: u16, body: &str) -> SmsError {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let code = v.as_ref().and_then(|v| v.get("code")).and_then(|c| {
        c.as_i64()
            .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
    });
    let text = v
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let more = v
        .as_ref()
        .and_then(|v| v.get("more_info"))
        .and_then(Value::as_str);
    let message = match (text, more) {
        (Some(t), Some(m)) => format!("{t} ({m})"),
        (Some(t), None) => t,
        _ => format!("HTTP {status}: {}", snippet(body)),
    };
    if let Some((class, reason)) = code.and_then(classify_code) {
        return SmsError::new(class, reason, code, message);
    }
    let (class, reason) = match status {
        401 => (SmsErrorClass::Config, SmsReason::AuthFailed),
        403 => (SmsErrorClass::Config, SmsReason::AuthFailed),
        404 => (SmsErrorClass::Config, SmsReason::AccountNotFound),
        408 => (SmsErrorClass::Transient, SmsReason::Network),
        429 => (SmsErrorClass::Transient, SmsReason::RateLimited),
        500..=599 => (SmsErrorClass::Transient, SmsReason::ProviderError),
        _ => (SmsErrorClass::Permanent, SmsReason::Unknown),
    };
    SmsError::new(class, reason, code, message)
}

pub(crate) fn snippet(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        return "(empty body)".into();
    }
    let mut s: String = t.chars().take(300).collect();
    if s.len() < t.len() {
        s.push('…');
    }
    s
}

struct CodeSuffix(Option<i64>);

impl fmt::Display for CodeSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, ", code {c}"),
            None => Ok(()),
        }
    }
}
