//! SMS through Twilio Programmable Messaging: sending with a status callback, reading
//! status callbacks and inbound messages, STOP/START/HELP keywords, segment counting for
//! cost, and an in-memory sandbox, behind [`SmsProvider`].
//!
//! Signature checks (`X-Twilio-Signature`) live in [`crate::webhooks`] and are re-exported
//! here.

mod client;
mod error;
mod keywords;
mod sandbox;
mod segments;
mod webhook;

pub use crate::webhooks::{
    SignatureError, TWILIO_SIGNATURE_HEADER, twilio_json_url, twilio_signature, verify_twilio_form,
    verify_twilio_json, verify_twilio_request,
};
pub use client::{
    AccountInfo, DEFAULT_API_BASE, MAX_BODY_CHARS, SmsSent, TwilioClient, TwilioConfig,
    TwilioSender, check_e164,
};
pub use error::{SmsError, SmsErrorClass, SmsReason, classify_code, map_twilio_error};
pub use keywords::{HELP_KEYWORDS, Keyword, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, classify_keyword};
pub use sandbox::{SandboxSms, SmsSandbox};
pub use segments::{SmsEncoding, gsm7_septets, non_gsm_chars, segments};
pub use webhook::{
    EMPTY_TWIML, InboundMedia, InboundSms, SmsStatus, SmsStatusCallback, SmsWebhookError,
    parse_form, parse_inbound, parse_status_callback, twiml_reply,
};

/// The one thing the app holds per SMS sender, real or sandbox.
#[derive(Debug, Clone)]
pub enum SmsProvider {
    Twilio(TwilioClient),
    Sandbox(SmsSandbox),
}

impl SmsProvider {
    pub fn kind(&self) -> &'static str {
        match self {
            SmsProvider::Twilio(_) => "twilio",
            SmsProvider::Sandbox(_) => "sandbox",
        }
    }

    pub async fn send(
        &self,
        to: &str,
        body: &str,
        status_callback_url: Option<&str>,
    ) -> Result<SmsSent, SmsError> {
        match self {
            SmsProvider::Twilio(c) => c.send(to, body, status_callback_url).await,
            SmsProvider::Sandbox(s) => s.send(to, body, status_callback_url).await,
        }
    }

    /// The "test connection" action: a one-line report.
    pub async fn test_connection(&self) -> Result<String, SmsError> {
        match self {
            SmsProvider::Twilio(c) => {
                let info = c.account_info().await?;
                Ok(format!(
                    "Twilio account {} ({}, {})",
                    info.friendly_name.as_deref().unwrap_or(&info.sid),
                    info.account_type.as_deref().unwrap_or("unknown type"),
                    info.status.as_deref().unwrap_or("status unknown"),
                ))
            }
            SmsProvider::Sandbox(_) => {
                Ok("sandbox SMS: messages are kept in memory and never leave this process".into())
            }
        }
    }
}
