//! SendGrid v3 Mail Send (`POST /v3/mail/send`).
//!
//! One personalization per message (cold outreach is one recipient at a time), text part
//! first then HTML (SendGrid requires that order), our Message-ID and unsubscribe headers in
//! `headers`, and our message id in `custom_args` so event webhooks carry it back. SendGrid
//! answers 202 with the provider id in `X-Message-Id`. It has no idempotency key, so a
//! request whose answer was lost is `Uncertain`.

use lettre::message::Mailbox;
use serde_json::{Map, Value, json};

use super::error::{Accepted, SendError};
use super::http::{self, Dedup};
use super::message::{OutgoingEmail, api_parts};

pub const DEFAULT_BASE_URL: &str = "https://api.sendgrid.com";
/// The `custom_args` key that carries our Message-ID into SendGrid events.
pub const MESSAGE_ID_ARG: &str = "prospector_message_id";

#[derive(Clone)]
pub struct SendGridSender {
    client: reqwest::Client,
    api_key: String,
    base_url: String,
}

impl std::fmt::Debug for SendGridSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendGridSender")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl SendGridSender {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`] (tests pass a loopback stand-in; EU
    /// accounts pass `https://api.eu.sendgrid.com`).
    pub fn new(api_key: &str, base_url: Option<&str>) -> Result<Self, SendError> {
        Ok(SendGridSender {
            client: http::build_client()?,
            api_key: http::check_api_key("SendGrid", api_key)?,
            base_url: http::base_url("SendGrid", base_url.unwrap_or(DEFAULT_BASE_URL))?,
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
        let mut content = vec![json!({"type": "text/plain", "value": email.text})];
        if let Some(html) = &email.html {
            content.push(json!({"type": "text/html", "value": html}));
        }
        let headers: Map<String, Value> = parts
            .headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let mut body = json!({
            "personalizations": [{ "to": [address(&parts.to)] }],
            "from": address(&parts.from),
            "subject": email.subject,
            "content": content,
            "headers": headers,
            "custom_args": { MESSAGE_ID_ARG: email.message_id },
        });
        if let (Some(reply_to), Some(obj)) = (&parts.reply_to, body.as_object_mut()) {
            obj.insert("reply_to".into(), address(reply_to));
        }
        Ok(body)
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<Accepted, SendError> {
        let body = Self::request_body(email)?;
        let resp = self
            .client
            .post(format!("{}/v3/mail/send", self.base_url))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| http::request_error("SendGrid", &e, Dedup::None))?;
        let status = resp.status().as_u16();
        let provider_id = resp
            .headers()
            .get("x-message-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if resp.status().is_success() {
            tracing::debug!(status, ?provider_id, message_id = %email.message_id, "sendgrid accepted");
            return Ok(Accepted {
                response: format!(
                    "{status} accepted by SendGrid{}",
                    provider_id
                        .as_deref()
                        .map(|id| format!(" (X-Message-Id {id})"))
                        .unwrap_or_default()
                ),
                provider_id,
            });
        }
        let text = resp.text().await.unwrap_or_default();
        let err = http::status_error("SendGrid", status, error_message(&text));
        tracing::warn!(status, message_id = %email.message_id, error = %err, "sendgrid send failed");
        Err(err)
    }

    /// `GET /v3/scopes`: checks the key and that it may send mail.
    pub async fn test_connection(&self) -> Result<String, SendError> {
        let resp = self
            .client
            .get(format!("{}/v3/scopes", self.base_url))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(|e| http::request_error("SendGrid", &e, Dedup::ReadOnly))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(http::status_error("SendGrid", status, error_message(&text)));
        }
        let scopes: Vec<String> = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("scopes").cloned())
            .and_then(|s| serde_json::from_value(s).ok())
            .ok_or_else(|| {
                SendError::transient(
                    Some(status),
                    format!(
                        "unexpected SendGrid scopes answer: {}",
                        http::snippet(&text)
                    ),
                )
            })?;
        if scopes.iter().any(|s| s == "mail.send") {
            Ok(format!(
                "SendGrid API key accepted ({} scopes, mail.send allowed)",
                scopes.len()
            ))
        } else {
            Err(SendError::config(
                "the SendGrid API key does not have the mail.send permission",
            ))
        }
    }
}

fn address(m: &Mailbox) -> Value {
    match &m.name {
        Some(name) => json!({"email": m.email.to_string(), "name": name}),
        None => json!({"email": m.email.to_string()}),
    }
}

/// `{"errors":[{"message":…,"field":…}]}` → `field: message; …`.
fn error_message(body: &str) -> String {
    let parsed = serde_json::from_str::<Value>(body).ok();
    let errors = parsed
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(Value::as_array);
    match errors {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|e| {
                let msg = e.get("message").and_then(Value::as_str).unwrap_or("error");
                match e.get("field").and_then(Value::as_str) {
                    Some(f) if !f.is_empty() => format!("{f}: {msg}"),
                    _ => msg.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => http::snippet(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_joined() {
        let body = r#"{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null},{"message":"bad","field":null}]}"#;
        assert_eq!(
            error_message(body),
            "from: The from address does not match a verified Sender Identity.; bad"
        );
        assert_eq!(error_message("<html>oops</html>"), "<html>oops</html>");
    }
}
