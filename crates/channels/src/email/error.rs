//! The one outcome type every email transport returns, so the outbox can decide between
//! "retry later", "fail and maybe suppress", "mark uncertain" and "pause the sender" without
//! knowing which provider it talked to.

use std::fmt;

/// What a provider said when it took a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's id for the message (SMTP queue id, SendGrid `X-Message-Id`, Resend
    /// `id`), used later to match webhooks and bounces. `None` when the provider gave none.
    pub provider_id: Option<String>,
    /// The provider's answer as text (the SMTP reply line, or a short HTTP summary), kept
    /// in the message timeline.
    pub response: String,
}

/// Why a message was not (or may not have been) delivered to the provider.
///
/// The variants are decisions, not provider details:
/// - `Transient`: nothing was accepted; retrying later is safe (4xx, 429, 5xx from an API,
///   connection refused, timeouts before the message was handed over).
/// - `Permanent`: the provider refused this message for good (SMTP 5xx on RCPT/DATA, API 4xx
///   validation errors); the server's text is kept for the timeline and for suppression.
/// - `Uncertain`: the message may have been accepted (the connection was lost after the
///   message content started to flow); never retry automatically.
/// - `Config`: the sender account itself is misconfigured (TLS mode, credentials, API key,
///   sender address refused); every message would fail the same way, so pause the sender.
///   Nothing was sent.
/// - `Invalid`: the message could not be built (malformed address or header); nothing was
///   sent and no server judged it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure{}: {message}", CodeSuffix(*code))]
    Transient { code: Option<u16>, message: String },
    #[error("permanent failure{}: {message}", CodeSuffix(*code))]
    Permanent { code: Option<u16>, message: String },
    #[error("outcome unknown, the provider may have accepted the message: {message}")]
    Uncertain { message: String },
    #[error("sender configuration problem: {message}")]
    Config { message: String },
    #[error("message cannot be sent: {message}")]
    Invalid { message: String },
}

impl SendError {
    /// A stable short name for logs, metrics and the message timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::Transient { .. } => "transient",
            SendError::Permanent { .. } => "permanent",
            SendError::Uncertain { .. } => "uncertain",
            SendError::Config { .. } => "config",
            SendError::Invalid { .. } => "invalid",
        }
    }

    /// Only transient failures may be retried automatically; everything else needs a
    /// decision (fail, mark uncertain, or fix the sender).
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    /// The SMTP reply code or HTTP status, when the provider gave one.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Transient { code, .. } | SendError::Permanent { code, .. } => *code,
            _ => None,
        }
    }

    /// The human-readable reason (the server's text where there was one).
    pub fn message(&self) -> &str {
        match self {
            SendError::Transient { message, .. }
            | SendError::Permanent { message, .. }
            | SendError::Uncertain { message }
            | SendError::Config { message }
            | SendError::Invalid { message } => message,
        }
    }

    pub(crate) fn transient(code: Option<u16>, message: impl Into<String>) -> Self {
        SendError::Transient {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn permanent(code: Option<u16>, message: impl Into<String>) -> Self {
        SendError::Permanent {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn uncertain(message: impl Into<String>) -> Self {
        SendError::Uncertain {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        SendError::Config {
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        SendError::Invalid {
            message: message.into(),
        }
    }
}

impl From<super::message::MessageError> for SendError {
    fn from(e: super::message::MessageError) -> Self {
        SendError::invalid(e.to_string())
    }
}

impl From<super::dkim::DkimError> for SendError {
    fn from(e: super::dkim::DkimError) -> Self {
        SendError::config(format!("DKIM signing failed: {e}"))
    }
}

struct CodeSuffix(Option<u16>);

impl fmt::Display for CodeSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, " ({c})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_code_and_text() {
        let e = SendError::permanent(Some(550), "5.1.1 <x@example.com>: user unknown");
        assert_eq!(
            e.to_string(),
            "permanent failure (550): 5.1.1 <x@example.com>: user unknown"
        );
        assert_eq!(e.code(), Some(550));
        assert!(!e.is_retryable());
        let t = SendError::transient(None, "connection refused");
        assert_eq!(t.to_string(), "temporary failure: connection refused");
        assert!(t.is_retryable());
        assert_eq!(t.kind(), "transient");
    }
}
