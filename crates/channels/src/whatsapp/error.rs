//! The outcome of a Graph API call as a decision (retry, fail this message, pause the
//! number, nothing was sent) plus a stable `reason` code for the timeline, the UI and
//! metrics. The same table classifies the `errors[]` of failed-status webhooks, so a
//! 131047 reported later is treated exactly like one returned by the send call.

use std::fmt;

use serde_json::Value;

/// Why a call failed, as a short stable code (`reason.as_str()`), independent of the
/// numeric Graph codes that map onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaReason {
    /// 131047: more than 24 hours since the contact last wrote; only templates may be sent.
    OutsideWindow,
    /// 130429, 80007, 4, 613: account, app or number throughput exceeded.
    RateLimited,
    /// 131056: too many messages to the same recipient in a short time.
    PairRateLimited,
    /// 132015.
    TemplatePaused,
    /// 132016.
    TemplateDisabled,
    /// 132000, 132012: parameter count or format does not match the approved template.
    TemplateParamMismatch,
    /// 132001: no approved template with that name in that language.
    TemplateNotFound,
    /// 132005, 132007, 132068, 132069: the template text or flow is not acceptable.
    TemplateInvalid,
    /// 100, 131008, 131009: a required parameter is missing or invalid.
    InvalidParameter,
    /// 190 (and 102, HTTP 401): the access token expired or is invalid.
    TokenInvalid,
    /// 3, 10, 200-299, 131005, HTTP 403: the token lacks a permission.
    PermissionDenied,
    /// 131026: the number is not on WhatsApp, has not accepted the terms, or runs an old app.
    RecipientNotOnWhatsApp,
    /// 131049: Meta held a marketing message back (per-user marketing cap).
    MarketingLimit,
    /// 131050: the recipient stopped marketing messages from this business.
    MarketingOptedOut,
    /// 131051.
    UnsupportedMessage,
    /// 131021.
    RecipientIsSender,
    /// 131031: the business account is locked.
    AccountLocked,
    /// 131042: a payment method problem on the account.
    PaymentIssue,
    /// 133010: the phone number is not registered with the Cloud API.
    NumberNotRegistered,
    /// 368, 130497: blocked for policy reasons or for the recipient's country.
    PolicyBlocked,
    /// 130472: the recipient is in a Meta experiment that holds marketing messages.
    Experiment,
    /// 131052, 131053: media could not be downloaded or uploaded.
    MediaError,
    /// 1, 2, 131000, 131016, HTTP 5xx: Meta's side had a problem.
    ProviderError,
    /// No connection or no answer before anything was handed over.
    Network,
    /// The request may have been processed; the answer was lost.
    Uncertain,
    /// The request could not be built from the given data; nothing was sent.
    InvalidRequest,
    /// Our own settings are unusable (base URL, API version, ids, empty token).
    BadConfig,
    /// A code not in the table.
    Unknown,
}

impl WaReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WaReason::OutsideWindow => "outside_window",
            WaReason::RateLimited => "rate_limited",
            WaReason::PairRateLimited => "pair_rate_limited",
            WaReason::TemplatePaused => "template_paused",
            WaReason::TemplateDisabled => "template_disabled",
            WaReason::TemplateParamMismatch => "template_param_mismatch",
            WaReason::TemplateNotFound => "template_not_found",
            WaReason::TemplateInvalid => "template_invalid",
            WaReason::InvalidParameter => "invalid_parameter",
            WaReason::TokenInvalid => "token_invalid",
            WaReason::PermissionDenied => "permission_denied",
            WaReason::RecipientNotOnWhatsApp => "recipient_not_on_whatsapp",
            WaReason::MarketingLimit => "marketing_limit",
            WaReason::MarketingOptedOut => "marketing_opted_out",
            WaReason::UnsupportedMessage => "unsupported_message",
            WaReason::RecipientIsSender => "recipient_is_sender",
            WaReason::AccountLocked => "account_locked",
            WaReason::PaymentIssue => "payment_issue",
            WaReason::NumberNotRegistered => "number_not_registered",
            WaReason::PolicyBlocked => "policy_blocked",
            WaReason::Experiment => "experiment",
            WaReason::MediaError => "media_error",
            WaReason::ProviderError => "provider_error",
            WaReason::Network => "network",
            WaReason::Uncertain => "uncertain",
            WaReason::InvalidRequest => "invalid_request",
            WaReason::BadConfig => "bad_config",
            WaReason::Unknown => "unknown",
        }
    }
}

impl fmt::Display for WaReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do about an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retry later with backoff.
    Transient,
    /// This message will not go through; record it (and maybe suppress or fall back).
    Permanent,
    /// The account/number/token is the problem; pause the sender until someone fixes it.
    Config,
}

/// The Graph API (and webhook `errors[]`) code table. `None` for codes it does not know.
pub fn classify_code(code: i64) -> Option<(ErrorClass, WaReason)> {
    use ErrorClass::*;
    use WaReason::*;
    Some(match code {
        131047 => (Permanent, OutsideWindow),
        130429 | 80007 | 4 | 613 => (Transient, RateLimited),
        131056 => (Transient, PairRateLimited),
        132015 => (Permanent, TemplatePaused),
        132016 => (Permanent, TemplateDisabled),
        132000 | 132012 => (Permanent, TemplateParamMismatch),
        132001 => (Permanent, TemplateNotFound),
        132005 | 132007 | 132068 | 132069 => (Permanent, TemplateInvalid),
        100 | 131008 | 131009 => (Permanent, InvalidParameter),
        190 | 102 => (Config, TokenInvalid),
        3 | 10 | 131005 | 200..=299 => (Config, PermissionDenied),
        131026 => (Permanent, RecipientNotOnWhatsApp),
        // Meta asks not to retry soon; a later campaign step may try again.
        131049 => (Permanent, MarketingLimit),
        131050 => (Permanent, MarketingOptedOut),
        131051 => (Permanent, UnsupportedMessage),
        131021 => (Permanent, RecipientIsSender),
        131031 => (Config, AccountLocked),
        131042 => (Config, PaymentIssue),
        133010 => (Config, NumberNotRegistered),
        368 => (Config, PolicyBlocked),
        130497 => (Permanent, PolicyBlocked),
        130472 => (Permanent, Experiment),
        131052 | 131053 => (Permanent, MediaError),
        1 | 2 | 131000 | 131016 => (Transient, ProviderError),
        _ => return None,
    })
}

/// A Graph API failure, decided.
///
/// - `Transient`: nothing was delivered; retrying later is safe (rate limits, Meta outages,
///   connection failures before the request was handed over).
/// - `Permanent`: this message will not go through as it is (outside the window, template
///   paused, recipient not on WhatsApp…); `reason` says which, for fallback or suppression.
/// - `Uncertain`: the request was sent and the answer lost; Meta has no idempotency key for
///   messages, so never retry automatically.
/// - `Config`: the token, permissions or account are the problem; every message would fail
///   the same way, so pause the number.
/// - `Invalid`: the request could not be built from the data given; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatsAppError {
    #[error("temporary failure ({reason}{}): {message}", CodeSuffix(*code))]
    Transient {
        reason: WaReason,
        code: Option<i64>,
        message: String,
    },
    #[error("permanent failure ({reason}{}): {message}", CodeSuffix(*code))]
    Permanent {
        reason: WaReason,
        code: Option<i64>,
        message: String,
    },
    #[error("outcome unknown, WhatsApp may have accepted the message: {message}")]
    Uncertain { message: String },
    #[error("WhatsApp account configuration problem ({reason}{}): {message}", CodeSuffix(*code))]
    Config {
        reason: WaReason,
        code: Option<i64>,
        message: String,
    },
    #[error("message cannot be sent: {message}")]
    Invalid { message: String },
}

impl WhatsAppError {
    /// `transient`, `permanent`, `uncertain`, `config` or `invalid`.
    pub fn kind(&self) -> &'static str {
        match self {
            WhatsAppError::Transient { .. } => "transient",
            WhatsAppError::Permanent { .. } => "permanent",
            WhatsAppError::Uncertain { .. } => "uncertain",
            WhatsAppError::Config { .. } => "config",
            WhatsAppError::Invalid { .. } => "invalid",
        }
    }

    /// The stable reason code.
    pub fn reason(&self) -> WaReason {
        match self {
            WhatsAppError::Transient { reason, .. }
            | WhatsAppError::Permanent { reason, .. }
            | WhatsAppError::Config { reason, .. } => *reason,
            WhatsAppError::Uncertain { .. } => WaReason::Uncertain,
            WhatsAppError::Invalid { .. } => WaReason::InvalidRequest,
        }
    }

    /// Only transient failures may be retried automatically.
    pub fn is_retryable(&self) -> bool {
        matches!(self, WhatsAppError::Transient { .. })
    }

    /// The Graph error code, when Meta gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            WhatsAppError::Transient { code, .. }
            | WhatsAppError::Permanent { code, .. }
            | WhatsAppError::Config { code, .. } => *code,
            _ => None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            WhatsAppError::Transient { message, .. }
            | WhatsAppError::Permanent { message, .. }
            | WhatsAppError::Uncertain { message }
            | WhatsAppError::Config { message, .. }
            | WhatsAppError::Invalid { message } => message,
        }
    }

    pub(crate) fn new(
        class: ErrorClass,
        reason: WaReason,
        code: Option<i64>,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        match class {
            ErrorClass::Transient => WhatsAppError::Transient {
                reason,
                code,
                message,
            },
            ErrorClass::Permanent => WhatsAppError::Permanent {
                reason,
                code,
                message,
            },
            ErrorClass::Config => WhatsAppError::Config {
                reason,
                code,
                message,
            },
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        WhatsAppError::Invalid {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        WhatsAppError::new(ErrorClass::Config, WaReason::BadConfig, None, message)
    }
}

/// The `error` object of a Graph API error response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphError {
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub kind: Option<String>,
    pub message: Option<String>,
    /// `error_data.details`: the useful sentence for WhatsApp errors.
    pub details: Option<String>,
    pub user_title: Option<String>,
    pub user_message: Option<String>,
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// Reads `{"error":{…}}`; `None` when the body is not a Graph error.
    pub fn parse(body: &str) -> Option<GraphError> {
        let v: Value = serde_json::from_str(body).ok()?;
        let e = v.get("error")?;
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        Some(GraphError {
            code: e.get("code").and_then(as_i64_lenient),
            subcode: e.get("error_subcode").and_then(as_i64_lenient),
            kind: s(e.get("type")),
            message: s(e.get("message")),
            details: s(e.get("error_data").and_then(|d| d.get("details"))),
            user_title: s(e.get("error_user_title")),
            user_message: s(e.get("error_user_msg")),
            fbtrace_id: s(e.get("fbtrace_id")),
        })
    }

    /// One readable line: the message, the details, and the trace id support asks for.
    pub fn describe(&self) -> String {
        let mut out = self
            .message
            .clone()
            .or_else(|| self.user_title.clone())
            .unwrap_or_else(|| "Graph API error".into());
        for extra in [&self.details, &self.user_message].into_iter().flatten() {
            if !extra.is_empty() && !out.contains(extra.as_str()) {
                out.push_str(": ");
                out.push_str(extra);
            }
        }
        if let Some(sub) = self.subcode {
            out.push_str(&format!(" (subcode {sub})"));
        }
        if let Some(t) = &self.fbtrace_id {
            out.push_str(&format!(" [fbtrace_id {t}]"));
        }
        out
    }
}

/// Maps a non-2xx Graph answer to a decision: the error code first, the HTTP status when
/// the code is unknown or missing.
pub fn map_graph_error(status: u16, body: &str) -> WhatsAppError {
    let parsed = GraphError::parse(body);
    let message = match &parsed {
        Some(g) => g.describe(),
        None => format!("HTTP {status}: {}", snippet(body)),
    };
    let code = parsed.as_ref().and_then(|g| g.code);
    if let Some((class, reason)) = code.and_then(classify_code) {
        return WhatsAppError::new(class, reason, code, message);
    }
    let (class, reason) = match status {
        401 => (ErrorClass::Config, WaReason::TokenInvalid),
        403 => (ErrorClass::Config, WaReason::PermissionDenied),
        408 => (ErrorClass::Transient, WaReason::Network),
        429 => (ErrorClass::Transient, WaReason::RateLimited),
        500..=599 => (ErrorClass::Transient, WaReason::ProviderError),
        _ => (ErrorClass::Permanent, WaReason::Unknown),
    };
    WhatsAppError::new(class, reason, code, message)
}

/// Numbers that Meta sometimes sends as strings.
pub(crate) fn as_i64_lenient(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Shortens a body for error messages (proxies sometimes answer with HTML).
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
