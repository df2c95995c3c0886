//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`,
//! form-encoded, HTTP Basic auth with the account SID and auth token.
//!
//! Twilio takes no idempotency key for messages, so an answer lost after the request was
//! sent is `Uncertain` (never retried blindly); a refused connection is `Transient`.

use std::time::Duration;

use serde_json::Value;

use super::error::{SmsError, SmsErrorClass, SmsReason, map_twilio_error};
use super::segments::segments;

pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";
/// Twilio refuses longer bodies (21617).
pub const MAX_BODY_CHARS: usize = 1600;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Who the message comes from: one of our numbers, or a Messaging Service that picks one
/// (and is required for scheduling and Advanced Opt-Out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// An E.164 number on the account.
    From(String),
    /// `MG…`.
    MessagingService(String),
}

/// One Twilio account and sender. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    pub api_base: String,
    /// `AC…`.
    pub account_sid: String,
    pub auth_token: String,
    pub sender: TwilioSender,
}

impl TwilioConfig {
    /// With the default base URL.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        sender: TwilioSender,
    ) -> Self {
        TwilioConfig {
            api_base: DEFAULT_API_BASE.into(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            sender,
        }
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("sender", &self.sender)
            .finish()
    }
}

/// What Twilio answered for an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSent {
    /// `SM…` (or `MM…` with media): the key status callbacks carry as `MessageSid`. `None`
    /// only when Twilio accepted but the answer was unreadable.
    pub sid: Option<String>,
    /// `queued`, `accepted` (Messaging Service) or `scheduled`.
    pub status: Option<String>,
    /// Twilio's own count; [`segments`] is the estimate before sending.
    pub num_segments: Option<u32>,
    /// Usually `None` until the message is final (the price is then negative, e.g. `-0.0079`).
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub error_code: Option<i64>,
    pub date_created: Option<String>,
}

impl SmsSent {
    fn from_json(v: &Value) -> SmsSent {
        let s = |key: &str| match v.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        SmsSent {
            sid: s("sid"),
            status: s("status"),
            num_segments: s("num_segments").and_then(|n| n.parse().ok()),
            price: s("price"),
            price_unit: s("price_unit"),
            error_code: s("error_code").and_then(|n| n.parse().ok()),
            date_created: s("date_created"),
        }
    }
}

/// The account's state, for the "test connection" action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    pub status: Option<String>,
    /// `Trial` or `Full`.
    pub account_type: Option<String>,
}

#[derive(Clone)]
pub struct TwilioClient {
    client: reqwest::Client,
    base: String,
    config: TwilioConfig,
}

impl std::fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioClient")
            .field("base", &self.base)
            .field("config", &self.config)
            .finish()
    }
}

/// `+` then 8 to 15 digits, the first not 0.
pub fn check_e164(number: &str) -> Result<(), SmsError> {
    let digits = number.strip_prefix('+').unwrap_or_default();
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(SmsError::invalid(format!(
            "{number:?} is not an E.164 number such as +15017250604"
        )))
    }
}

fn check_sid(what: &str, prefix: &str, sid: &str) -> Result<(), SmsError> {
    let ok = sid.len() == 34
        && sid.starts_with(prefix)
        && sid.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(SmsError::config(format!(
            "the {what} {sid:?} is not {prefix} followed by 32 letters or digits"
        )))
    }
}

impl TwilioClient {
    /// Checks the settings now rather than at the first send.
    pub fn new(config: TwilioConfig) -> Result<Self, SmsError> {
        let base = url::Url::parse(config.api_base.trim()).map_err(|e| {
            SmsError::config(format!(
                "invalid Twilio base URL {:?}: {e}",
                config.api_base
            ))
        })?;
        if !matches!(base.scheme(), "https" | "http") || base.host().is_none() {
            return Err(SmsError::config(format!(
                "invalid Twilio base URL {:?}: expected http(s)://host",
                config.api_base
            )));
        }
        // The SID becomes a path segment; its strict shape keeps the path what we mean.
        check_sid("account SID", "AC", &config.account_sid)?;
        if config.auth_token.trim().is_empty() {
            return Err(SmsError::config("the auth token is empty"));
        }
        match &config.sender {
            TwilioSender::From(n) => check_e164(n).map_err(|_| {
                SmsError::config(format!("the sender {n:?} is not an E.164 number"))
            })?,
            TwilioSender::MessagingService(s) => check_sid("Messaging Service SID", "MG", s)?,
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("prospector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SmsError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(TwilioClient {
            client,
            base: base.as_str().trim_end_matches('/').to_owned(),
            config,
        })
    }

    /// Shares an existing HTTP client.
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    pub fn account_sid(&self) -> &str {
        &self.config.account_sid
    }

    pub fn sender(&self) -> &TwilioSender {
        &self.config.sender
    }

    /// The form fields for one message, in Twilio's names (public for logs and tests).
    pub fn form_fields(
        &self,
        to: &str,
        body: &str,
        status_callback_url: Option<&str>,
    ) -> Result<Vec<(&'static str, String)>, SmsError> {
        check_e164(to)?;
        if body.trim().is_empty() {
            return Err(SmsError::invalid("the SMS body is empty"));
        }
        let n = body.chars().count();
        if n > MAX_BODY_CHARS {
            return Err(SmsError::invalid(format!(
                "the SMS body has {n} characters, more than Twilio's {MAX_BODY_CHARS}"
            )));
        }
        let mut fields = vec![("To", to.to_owned())];
        match &self.config.sender {
            TwilioSender::From(f) => fields.push(("From", f.clone())),
            TwilioSender::MessagingService(s) => fields.push(("MessagingServiceSid", s.clone())),
        }
        fields.push(("Body", body.to_owned()));
        if let Some(cb) = status_callback_url {
            if !(cb.starts_with("https://") || cb.starts_with("http://")) {
                return Err(SmsError::invalid(format!(
                    "status callback {cb:?} is not an http(s) URL"
                )));
            }
            fields.push(("StatusCallback", cb.to_owned()));
        }
        Ok(fields)
    }

    /// Sends one SMS. `status_callback_url` is the public URL Twilio posts status changes to.
    pub async fn send(
        &self,
        to: &str,
        body: &str,
        status_callback_url: Option<&str>,
    ) -> Result<SmsSent, SmsError> {
        let fields = self.form_fields(to, body, status_callback_url)?;
        let (encoding, estimate) = segments(body);
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base, self.config.account_sid
        );
        let resp = self
            .client
            .post(url)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.trim()),
            )
            .form(&fields)
            .send()
            .await
            .map_err(|e| request_error(&e, true))?;
        let status = resp.status().as_u16();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) if (200..300).contains(&status) => {
                tracing::warn!(status, error = %e, "Twilio answer unreadable after acceptance");
                String::new()
            }
            Err(e) => {
                return Err(map_twilio_error(
                    status,
                    &format!("unreadable error body: {e}"),
                ));
            }
        };
        if (200..300).contains(&status) {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let sent = SmsSent::from_json(&v);
            tracing::debug!(sid = ?sent.sid, encoding = encoding.as_str(), estimate, "twilio accepted");
            return Ok(sent);
        }
        let err = map_twilio_error(status, &text);
        tracing::warn!(status, reason = %err.reason(), error = %err, "twilio send failed");
        Err(err)
    }

    /// `GET /2010-04-01/Accounts/{sid}.json`: the "test connection" action.
    pub async fn account_info(&self) -> Result<AccountInfo, SmsError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}.json",
            self.base, self.config.account_sid
        );
        let resp = self
            .client
            .get(url)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.trim()),
            )
            .send()
            .await
            .map_err(|e| request_error(&e, false))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(map_twilio_error(status, &text));
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let info = AccountInfo {
            sid: s("sid").unwrap_or_else(|| self.config.account_sid.clone()),
            friendly_name: s("friendly_name"),
            status: s("status"),
            account_type: s("type"),
        };
        if let Some(st) = info.status.as_deref().filter(|st| *st != "active") {
            return Err(SmsError::new(
                SmsErrorClass::Config,
                SmsReason::AccountSuspended,
                None,
                format!("the Twilio account is {st}"),
            ));
        }
        Ok(info)
    }
}

fn request_error(e: &reqwest::Error, may_send_twice: bool) -> SmsError {
    if e.is_builder() {
        return SmsError::config(format!("cannot build the Twilio request: {e}"));
    }
    if e.is_connect() {
        return SmsError::new(
            SmsErrorClass::Transient,
            SmsReason::Network,
            None,
            format!("cannot connect to Twilio: {e}"),
        );
    }
    let what = if e.is_timeout() {
        format!(
            "Twilio did not answer within {}s",
            REQUEST_TIMEOUT.as_secs()
        )
    } else {
        format!("the Twilio request failed after it was sent: {e}")
    };
    if may_send_twice {
        SmsError::Uncertain { message: what }
    } else {
        SmsError::new(SmsErrorClass::Transient, SmsReason::Network, None, what)
    }
}
