//! The Graph API client for one WhatsApp number: connection test, sends, templates.
//!
//! Everything goes to `{api_base}/{api_version}/…` with `Authorization: Bearer {token}`;
//! the base URL is configurable so tests (and `prospector demo`) point it at a loopback
//! stand-in. Sends have no idempotency key at Meta, so a request whose answer is lost is
//! `Uncertain`, never retried blindly; reads are `Transient` in the same situation.

use std::time::Duration;

use serde_json::Value;

use super::error::{ErrorClass, WaReason, WhatsAppError, map_graph_error, snippet};
use super::message::{
    Media, MessageContent, OutgoingMessage, SentMessage, TemplateSend, mark_read_body, request_body,
};
use super::template::{CreatedTemplate, NewTemplate, Template, check_template_name};

pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
/// The protocols doc names v21.0…v23.0; the newest of those is the default.
pub const DEFAULT_API_VERSION: &str = "v23.0";

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Safety net for paging: a WABA holds at most a few thousand templates.
const MAX_TEMPLATE_PAGES: usize = 100;

/// One WhatsApp Cloud API number. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppConfig {
    pub api_base: String,
    pub api_version: String,
    pub phone_number_id: String,
    /// The WhatsApp Business Account that owns the number and its templates.
    pub waba_id: String,
    /// A system-user access token.
    pub access_token: String,
}

impl WhatsAppConfig {
    /// With the default base URL and API version.
    pub fn new(
        phone_number_id: impl Into<String>,
        waba_id: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        WhatsAppConfig {
            api_base: DEFAULT_API_BASE.into(),
            api_version: DEFAULT_API_VERSION.into(),
            phone_number_id: phone_number_id.into(),
            waba_id: waba_id.into(),
            access_token: access_token.into(),
        }
    }
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// The number's state, for the "test connection" action and the daily limit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneNumberInfo {
    pub id: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality_rating: Option<String>,
    /// `TIER_250`, `TIER_1K`, `TIER_10K`, `TIER_100K`, `TIER_UNLIMITED`…
    pub messaging_limit_tier: Option<String>,
    /// `STANDARD` or `HIGH`.
    pub throughput_level: Option<String>,
    pub name_status: Option<String>,
    pub code_verification_status: Option<String>,
    pub platform_type: Option<String>,
}

impl PhoneNumberInfo {
    fn from_json(v: &Value) -> PhoneNumberInfo {
        let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        PhoneNumberInfo {
            id: s("id").unwrap_or_default(),
            display_phone_number: s("display_phone_number"),
            verified_name: s("verified_name"),
            quality_rating: s("quality_rating"),
            messaging_limit_tier: s("messaging_limit_tier"),
            throughput_level: v
                .pointer("/throughput/level")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name_status: s("name_status"),
            code_verification_status: s("code_verification_status"),
            platform_type: s("platform_type"),
        }
    }

    /// Business-initiated conversations allowed per 24 hours; `None` when unlimited or not
    /// reported (the app then applies its own cap).
    pub fn daily_limit(&self) -> Option<u64> {
        let tier = self
            .messaging_limit_tier
            .as_deref()?
            .strip_prefix("TIER_")?;
        let (digits, mult) = match tier.strip_suffix('K') {
            Some(d) => (d, 1000),
            None => (tier, 1),
        };
        digits.parse::<u64>().ok().map(|n| n * mult)
    }

    /// One line for the UI: "Acme Café (+1 555-0100), quality GREEN, limit TIER_1K".
    pub fn summary(&self) -> String {
        let name = self.verified_name.as_deref().unwrap_or("unnamed number");
        let mut s = match &self.display_phone_number {
            Some(n) => format!("{name} ({n})"),
            None => name.to_owned(),
        };
        s.push_str(&format!(
            ", quality {}, messaging limit {}",
            self.quality_rating.as_deref().unwrap_or("unknown"),
            self.messaging_limit_tier.as_deref().unwrap_or("unknown")
        ));
        s
    }
}

#[derive(Clone)]
pub struct WhatsAppClient {
    client: reqwest::Client,
    /// `{api_base}/{api_version}` without a trailing slash.
    root: String,
    config: WhatsAppConfig,
}

impl std::fmt::Debug for WhatsAppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppClient")
            .field("root", &self.root)
            .field("config", &self.config)
            .finish()
    }
}

/// Whether repeating a request could do something twice.
#[derive(Clone, Copy)]
enum Repeat {
    Harmless,
    MaySendTwice,
}

impl WhatsAppClient {
    /// Checks the settings (a bad base URL or id is a `Config` error now, not at the
    /// first send).
    pub fn new(config: WhatsAppConfig) -> Result<Self, WhatsAppError> {
        let base = url::Url::parse(config.api_base.trim()).map_err(|e| {
            WhatsAppError::config(format!(
                "invalid Graph API base URL {:?}: {e}",
                config.api_base
            ))
        })?;
        if !matches!(base.scheme(), "https" | "http") || base.host().is_none() {
            return Err(WhatsAppError::config(format!(
                "invalid Graph API base URL {:?}: expected http(s)://host",
                config.api_base
            )));
        }
        let version = config.api_version.trim();
        let version_ok = version
            .strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
        if !version_ok {
            return Err(WhatsAppError::config(format!(
                "API version {:?} is not like v23.0",
                config.api_version
            )));
        }
        for (what, id) in [
            ("phone number id", &config.phone_number_id),
            ("WhatsApp Business Account id", &config.waba_id),
        ] {
            // Ids become path segments: digits only keeps the path what we mean.
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(WhatsAppError::config(format!(
                    "the {what} {id:?} must be digits"
                )));
            }
        }
        let token = config.access_token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(WhatsAppError::config(
                "the access token is empty or has invalid characters",
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("prospector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WhatsAppError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(WhatsAppClient {
            client,
            root: format!("{}/{version}", base.as_str().trim_end_matches('/')),
            config,
        })
    }

    /// Shares an existing HTTP client (connection reuse across numbers).
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    pub fn phone_number_id(&self) -> &str {
        &self.config.phone_number_id
    }

    pub fn waba_id(&self) -> &str {
        &self.config.waba_id
    }

    /// `GET /{phone-number-id}?fields=…`: the "test connection" action.
    pub async fn phone_number_info(&self) -> Result<PhoneNumberInfo, WhatsAppError> {
        let url = format!("{}/{}", self.root, self.config.phone_number_id);
        let req = self.client.get(url).query(&[(
            "fields",
            "id,display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput,name_status,code_verification_status,platform_type",
        )]);
        let v = self.call(req, Repeat::Harmless).await?;
        Ok(PhoneNumberInfo::from_json(&v))
    }

    /// `POST /{phone-number-id}/messages`.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SentMessage, WhatsAppError> {
        let body = request_body(msg)?;
        let url = format!("{}/{}/messages", self.root, self.config.phone_number_id);
        let req = self.client.post(url).json(&body);
        match self.call(req, Repeat::MaySendTwice).await {
            Ok(v) => {
                let sent = SentMessage::from_response(&v);
                tracing::debug!(wamid = ?sent.wamid, "whatsapp message accepted");
                Ok(sent)
            }
            Err(e) => {
                tracing::warn!(reason = %e.reason(), error = %e, "whatsapp send failed");
                Err(e)
            }
        }
    }

    /// Free-form text (inside the customer-service window only).
    pub async fn send_text(&self, to: &str, body: &str) -> Result<SentMessage, WhatsAppError> {
        self.send(&OutgoingMessage::new(
            to,
            MessageContent::Text {
                body: body.to_owned(),
                preview_url: false,
            },
        ))
        .await
    }

    /// An approved template, allowed any time.
    pub async fn send_template(
        &self,
        to: &str,
        template: &TemplateSend,
    ) -> Result<SentMessage, WhatsAppError> {
        self.send(&OutgoingMessage::new(
            to,
            MessageContent::Template(template.clone()),
        ))
        .await
    }

    /// Media by id or link (inside the customer-service window only).
    pub async fn send_media(&self, to: &str, media: &Media) -> Result<SentMessage, WhatsAppError> {
        self.send(&OutgoingMessage::new(
            to,
            MessageContent::Media(media.clone()),
        ))
        .await
    }

    /// Marks an inbound message as read.
    pub async fn mark_read(&self, wamid: &str) -> Result<(), WhatsAppError> {
        let url = format!("{}/{}/messages", self.root, self.config.phone_number_id);
        let req = self.client.post(url).json(&mark_read_body(wamid));
        self.call(req, Repeat::Harmless).await.map(|_| ())
    }

    /// `GET /{waba-id}/message_templates`, every page; `name` filters by template name.
    pub async fn list_templates(&self, name: Option<&str>) -> Result<Vec<Template>, WhatsAppError> {
        let url = format!("{}/{}/message_templates", self.root, self.config.waba_id);
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_TEMPLATE_PAGES {
            let mut query: Vec<(&str, &str)> = vec![
                (
                    "fields",
                    "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score",
                ),
                ("limit", "100"),
            ];
            if let Some(n) = name {
                query.push(("name", n));
            }
            if let Some(a) = &after {
                query.push(("after", a));
            }
            let v = self
                .call(self.client.get(&url).query(&query), Repeat::Harmless)
                .await?;
            for t in v
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match Template::from_json(t) {
                    Some(t) => out.push(t),
                    None => tracing::warn!(template = %t, "template without id or name skipped"),
                }
            }
            // Graph omits `paging.next` on the last page. The cursor is reused against our
            // own base URL rather than following `next`, which names Meta's host.
            let next = v.pointer("/paging/next").is_some_and(|n| !n.is_null());
            let cursor = v
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match cursor {
                Some(c) if next && after.as_deref() != Some(c.as_str()) => after = Some(c),
                _ => return Ok(out),
            }
        }
        tracing::warn!(
            pages = MAX_TEMPLATE_PAGES,
            "template listing stopped at the page limit"
        );
        Ok(out)
    }

    /// `POST /{waba-id}/message_templates`: submits for review; the answer is usually
    /// `PENDING`, the decision comes by webhook.
    pub async fn create_template(&self, t: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError> {
        t.validate()?;
        let url = format!("{}/{}/message_templates", self.root, self.config.waba_id);
        // A repeated create fails with "already exists" rather than duplicating, but the
        // outcome of a lost answer is still unknown to us.
        let v = self
            .call(
                self.client.post(url).json(&t.to_json()),
                Repeat::MaySendTwice,
            )
            .await?;
        CreatedTemplate::from_json(&v).ok_or_else(|| {
            WhatsAppError::new(
                ErrorClass::Permanent,
                WaReason::Unknown,
                None,
                format!(
                    "template created but the answer has no id: {}",
                    snippet(&v.to_string())
                ),
            )
        })
    }

    /// `DELETE /{waba-id}/message_templates?name=…`: every language of the template.
    pub async fn delete_template(&self, name: &str) -> Result<(), WhatsAppError> {
        self.delete_templates(name, None).await
    }

    /// Deletes one language version (`hsm_id` is the template id from the list call).
    pub async fn delete_template_by_id(
        &self,
        name: &str,
        template_id: &str,
    ) -> Result<(), WhatsAppError> {
        self.delete_templates(name, Some(template_id)).await
    }

    async fn delete_templates(&self, name: &str, id: Option<&str>) -> Result<(), WhatsAppError> {
        check_template_name(name)?;
        let url = format!("{}/{}/message_templates", self.root, self.config.waba_id);
        let mut query = vec![("name", name)];
        if let Some(id) = id {
            query.push(("hsm_id", id));
        }
        let v = self
            .call(self.client.delete(url).query(&query), Repeat::Harmless)
            .await?;
        if v.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(WhatsAppError::new(
                ErrorClass::Permanent,
                WaReason::Unknown,
                None,
                format!("Meta did not delete template {name:?}"),
            ));
        }
        Ok(())
    }

    /// Sends with the bearer token and turns the answer into JSON or a decided error.
    async fn call(
        &self,
        req: reqwest::RequestBuilder,
        repeat: Repeat,
    ) -> Result<Value, WhatsAppError> {
        let resp = req
            .bearer_auth(self.config.access_token.trim())
            .send()
            .await
            .map_err(|e| request_error(&e, repeat))?;
        let status = resp.status().as_u16();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) if (200..300).contains(&status) => {
                // Accepted, but the answer was cut off: the effect happened, the details
                // (the wamid) are lost.
                tracing::warn!(status, error = %e, "Graph answer unreadable after success");
                return Ok(Value::Null);
            }
            Err(e) => {
                return Err(map_graph_error(
                    status,
                    &format!("unreadable error body: {e}"),
                ));
            }
        };
        if (200..300).contains(&status) {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        Err(map_graph_error(status, &text))
    }
}

fn request_error(e: &reqwest::Error, repeat: Repeat) -> WhatsAppError {
    if e.is_builder() {
        return WhatsAppError::config(format!("cannot build the Graph API request: {e}"));
    }
    if e.is_connect() {
        return WhatsAppError::new(
            ErrorClass::Transient,
            WaReason::Network,
            None,
            format!("cannot connect to the Graph API: {}", chain(e)),
        );
    }
    let what = if e.is_timeout() {
        format!(
            "the Graph API did not answer within {}s",
            REQUEST_TIMEOUT.as_secs()
        )
    } else {
        format!(
            "the Graph API request failed after it was sent: {}",
            chain(e)
        )
    };
    match repeat {
        Repeat::Harmless => {
            WhatsAppError::new(ErrorClass::Transient, WaReason::Network, None, what)
        }
        Repeat::MaySendTwice => WhatsAppError::Uncertain { message: what },
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}
