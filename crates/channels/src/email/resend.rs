//! Resend (`POST /emails`).
//!
//! `from` as `Name <address>`, our Message-ID and unsubscribe headers in `headers`, and the
//! Message-ID as `Idempotency-Key`: Resend answers a repeated key (within 24 hours) with the
//! first result instead of sending again, so a request whose answer was lost is safe to
//! retry and is reported as `Transient`. Success is 200 with `{"id": "…"}`.

use serde_json::{Map, Value, json};

use super::error::{Accepted, SendError};
use super::http::{self, Dedup};
use super::message::{OutgoingEmail, api_parts};

pub const DEFAULT_BASE_URL: &str = "https://api.resend.com";

#[derive(Clone)]
pub struct ResendSender {
    client: reqwest::Client,
    api_key: String,
    base_url: String,
}

impl std::fmt::Debug for ResendSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendSender")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl ResendSender {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`] (tests pass a loopback stand-in).
    pub fn new(api_key: &str, base_url: Option<&str>) -> Result<Self, SendError> {
        Ok(ResendSender {
            client: http::build_client()?,
            api_key: http::check_api_key("Resend", api_key)?,
            base_url: http::base_url("Resend", base_url.unwrap_or(DEFAULT_BASE_URL))?,
        })
    }

    /// Shares an existing HTTP client (connection reuse across senders).
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The JSON body for one email (public so the app can show what would be sent).
    pub fn request_body(email: &OutgoingEmail) -> Result<Value, SendError> {
        let parts = api_parts(email)?;
        let headers: Map<String, Value> = parts
            .headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let mut body = Map::new();
        body.insert("from".into(), Value::String(parts.from.to_string()));
        body.insert("to".into(), json!([parts.to.email.to_string()]));
        body.insert("subject".into(), Value::String(email.subject.clone()));
        body.insert("text".into(), Value::String(email.text.clone()));
        if let Some(html) = &email.html {
            body.insert("html".into(), Value::String(html.clone()));
        }
        if let Some(reply_to) = &parts.reply_to {
            body.insert("reply_to".into(), Value::String(reply_to.to_string()));
        }
        body.insert("headers".into(), Value::Object(headers));
        Ok(Value::Object(body))
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<Accepted, SendError> {
        let body = Self::request_body(email)?;
        let resp = self
            .client
            .post(format!("{}/emails", self.base_url))
            .bearer_auth(&self.api_key)
            .header("Idempotency-Key", &email.message_id)
            .json(&body)
            .send()
            .await
            .map_err(|e| http::request_error("Resend", &e, Dedup::ByIdempotencyKey))?;
        let status = resp.status().as_u16();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) if (200..300).contains(&status) => {
                // Accepted, but the answer with the id was cut off: the message went out;
                // only the id (for webhook matching) is missing.
                tracing::warn!(status, error = %e, "resend answer unreadable after acceptance");
                return Ok(Accepted {
                    provider_id: None,
                    response: format!(
                        "{status} accepted by Resend (response body unreadable: {e})"
                    ),
                });
            }
            Err(e) => {
                return Err(http::status_error(
                    "Resend",
                    status,
                    format!("unreadable error body: {e}"),
                ));
            }
        };
        if (200..300).contains(&status) {
            let id = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
            tracing::debug!(status, ?id, message_id = %email.message_id, "resend accepted");
            return Ok(Accepted {
                response: match &id {
                    Some(id) => format!("{status} accepted by Resend (id {id})"),
                    None => format!(
                        "{status} accepted by Resend without an id: {}",
                        http::snippet(&text)
                    ),
                },
                provider_id: id,
            });
        }
        let (name, message) = error_fields(&text);
        let err = match (status, name.as_deref()) {
            // The first request with this key is still running: try again shortly.
            (409, Some("concurrent_idempotent_requests")) => {
                SendError::transient(Some(status), message)
            }
            _ => http::status_error("Resend", status, message),
        };
        tracing::warn!(status, message_id = %email.message_id, error = %err, "resend send failed");
        Err(err)
    }

    /// `GET /domains`: checks the key. A sending-only key cannot list domains but is still
    /// a valid sender, so Resend's `restricted_api_key` answer counts as success.
    pub async fn test_connection(&self) -> Result<String, SendError> {
        let resp = self
            .client
            .get(format!("{}/domains", self.base_url))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(|e| http::request_error("Resend", &e, Dedup::ReadOnly))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let domains: Vec<String> = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("data").and_then(Value::as_array).cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|d| {
                    let name = d.get("name")?.as_str()?;
                    let st = d.get("status").and_then(Value::as_str).unwrap_or("unknown");
                    Some(format!("{name} ({st})"))
                })
                .collect();
            return Ok(if domains.is_empty() {
                "Resend API key accepted (no domains yet)".to_owned()
            } else {
                format!("Resend API key accepted; domains: {}", domains.join(", "))
            });
        }
        let (name, message) = error_fields(&text);
        if status == 401 && name.as_deref() == Some("restricted_api_key") {
            return Ok("Resend API key accepted (sending access only)".to_owned());
        }
        Err(http::status_error("Resend", status, message))
    }
}

/// `{"statusCode":422,"name":"validation_error","message":"…"}` → (name, "name: message").
fn error_fields(body: &str) -> (Option<String>, String) {
    let v = serde_json::from_str::<Value>(body).ok();
    let name = v
        .as_ref()
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let message = v
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let text = match (&name, message) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        (None, Some(m)) => m,
        _ => http::snippet(body),
    };
    (name, text)
}
