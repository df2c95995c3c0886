//! An in-memory WhatsApp account: for `prospector demo` (offline) and for tests of
//! callers. It records sends, keeps templates (submitted ones start `PENDING` until the
//! test approves them), can enforce the 24-hour window like Meta does (131047), can fail
//! the Nth attempt, and builds the status webhooks Meta would send for what it accepted.
//!
//! It applies the same request checks as the real client, so a message the sandbox
//! accepts is one the Graph API would be given.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::client::PhoneNumberInfo;
use super::error::{ErrorClass, WaReason, WhatsAppError};
use super::message::{
    MessageContent, OutgoingMessage, SentMessage, normalize_recipient, request_body,
};
use super::template::{
    CreatedTemplate, NewTemplate, ParameterFormat, Template, TemplateStatus, check_template_name,
    variables,
};
use super::webhook::MessageStatus;

/// One message the sandbox accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxWhatsAppMessage {
    /// 1-based position among accepted messages.
    pub seq: u64,
    pub wamid: String,
    /// Recipient digits.
    pub to: String,
    pub message: OutgoingMessage,
    /// The JSON the Graph API would have received.
    pub body: Value,
}

/// Cloning shares the state, so a test keeps one handle and gives another to the code
/// under test.
#[derive(Debug, Clone)]
pub struct WhatsAppSandbox {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    phone_number_id: String,
    waba_id: String,
    attempts: u64,
    sent: Vec<SandboxWhatsAppMessage>,
    failures: BTreeMap<u64, WhatsAppError>,
    templates: Vec<Template>,
    next_template_id: u64,
    enforce_window: bool,
    open_windows: BTreeSet<String>,
}

impl Default for WhatsAppSandbox {
    fn default() -> Self {
        Self::new("100000000000001", "200000000000001")
    }
}

impl WhatsAppSandbox {
    pub fn new(phone_number_id: impl Into<String>, waba_id: impl Into<String>) -> Self {
        WhatsAppSandbox {
            state: Arc::new(Mutex::new(State {
                phone_number_id: phone_number_id.into(),
                waba_id: waba_id.into(),
                attempts: 0,
                sent: Vec::new(),
                failures: BTreeMap::new(),
                templates: Vec::new(),
                next_template_id: 1,
                enforce_window: false,
                open_windows: BTreeSet::new(),
            })),
        }
    }

    pub fn phone_number_id(&self) -> String {
        self.lock().phone_number_id.clone()
    }

    /// When on, free-form messages to a number without an open window fail with 131047,
    /// as the real API does. Off by default.
    pub fn enforce_window(&self, on: bool) {
        self.lock().enforce_window = on;
    }

    /// Records that the contact wrote to us, opening the window for free-form replies.
    pub fn open_window(&self, to: &str) {
        if let Ok(digits) = normalize_recipient(to) {
            self.lock().open_windows.insert(digits);
        }
    }

    pub fn close_window(&self, to: &str) {
        if let Ok(digits) = normalize_recipient(to) {
            self.lock().open_windows.remove(&digits);
        }
    }

    /// Makes the `n`th send attempt (1-based, failed attempts included) fail with `error`.
    pub fn fail_nth(&self, n: u64, error: WhatsAppError) {
        self.lock().failures.insert(n, error);
    }

    pub fn sent(&self) -> Vec<SandboxWhatsAppMessage> {
        self.lock().sent.clone()
    }

    pub fn sent_count(&self) -> usize {
        self.lock().sent.len()
    }

    pub fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    pub async fn phone_number_info(&self) -> Result<PhoneNumberInfo, WhatsAppError> {
        let s = self.lock();
        Ok(PhoneNumberInfo {
            id: s.phone_number_id.clone(),
            display_phone_number: Some("+1 555-010-0000".into()),
            verified_name: Some("Sandbox number".into()),
            quality_rating: Some("GREEN".into()),
            messaging_limit_tier: Some("TIER_1K".into()),
            throughput_level: Some("STANDARD".into()),
            name_status: Some("APPROVED".into()),
            code_verification_status: Some("VERIFIED".into()),
            platform_type: Some("CLOUD_API".into()),
        })
    }

    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SentMessage, WhatsAppError> {
        let mut s = self.lock();
        s.attempts += 1;
        let attempt = s.attempts;
        if let Some(err) = s.failures.remove(&attempt) {
            return Err(err);
        }
        let body = request_body(msg)?;
        let to = normalize_recipient(&msg.to)?;
        if msg.needs_window() && s.enforce_window && !s.open_windows.contains(&to) {
            return Err(WhatsAppError::new(
                ErrorClass::Permanent,
                WaReason::OutsideWindow,
                Some(131047),
                "(#131047) Re-engagement message: more than 24 hours have passed since the customer last replied to this number.",
            ));
        }
        if let MessageContent::Template(t) = &msg.content {
            let known = s
                .templates
                .iter()
                .find(|k| k.name == t.name && k.language == t.language);
            // Templates the sandbox never heard of are accepted (callers may not have
            // created them through it); known ones must be sendable and match.
            if let Some(k) = known {
                if !k.status.is_sendable() {
                    let (reason, code) = match k.status {
                        TemplateStatus::Paused => (WaReason::TemplatePaused, 132015),
                        TemplateStatus::Disabled => (WaReason::TemplateDisabled, 132016),
                        _ => (WaReason::TemplateNotFound, 132001),
                    };
                    return Err(WhatsAppError::new(
                        ErrorClass::Permanent,
                        reason,
                        Some(code),
                        format!("template {} is {}", k.name, k.status),
                    ));
                }
                let given: usize = t
                    .components
                    .iter()
                    .map(|c| match c {
                        super::message::SendComponent::Body(p) => p.len(),
                        _ => 0,
                    })
                    .sum();
                if given != k.body_param_count() {
                    return Err(WhatsAppError::new(
                        ErrorClass::Permanent,
                        WaReason::TemplateParamMismatch,
                        Some(132000),
                        format!(
                            "(#132000) Number of parameters does not match the expected number of params: body expects {}, got {given}",
                            k.body_param_count()
                        ),
                    ));
                }
            }
        }
        let seq = s.sent.len() as u64 + 1;
        let wamid = format!("wamid.sandbox-{seq}");
        s.sent.push(SandboxWhatsAppMessage {
            seq,
            wamid: wamid.clone(),
            to: to.clone(),
            message: msg.clone(),
            body,
        });
        Ok(SentMessage {
            wamid: Some(wamid),
            wa_id: Some(to),
            message_status: matches!(msg.content, MessageContent::Template(_))
                .then(|| "accepted".to_owned()),
        })
    }

    pub async fn list_templates(&self, name: Option<&str>) -> Result<Vec<Template>, WhatsAppError> {
        Ok(self
            .lock()
            .templates
            .iter()
            .filter(|t| name.is_none_or(|n| t.name == n))
            .cloned()
            .collect())
    }

    pub async fn create_template(&self, t: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError> {
        t.validate()?;
        let mut s = self.lock();
        if s.templates
            .iter()
            .any(|k| k.name == t.name && k.language == t.language)
        {
            return Err(WhatsAppError::new(
                ErrorClass::Permanent,
                WaReason::InvalidParameter,
                Some(100),
                format!(
                    "a template named {} already exists in {}",
                    t.name, t.language
                ),
            ));
        }
        let id = format!("{}", 900_000_000_000_000u64 + s.next_template_id);
        s.next_template_id += 1;
        s.templates.push(Template {
            id: id.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            status: TemplateStatus::Pending,
            category: t.category.clone(),
            parameter_format: t.parameter_format,
            components: t.components.clone(),
            rejected_reason: None,
            quality_score: None,
        });
        Ok(CreatedTemplate {
            id,
            status: TemplateStatus::Pending,
            category: t.category.clone(),
        })
    }

    pub async fn delete_template(&self, name: &str) -> Result<(), WhatsAppError> {
        check_template_name(name)?;
        let mut s = self.lock();
        let before = s.templates.len();
        s.templates.retain(|t| t.name != name);
        if s.templates.len() == before {
            return Err(WhatsAppError::new(
                ErrorClass::Permanent,
                WaReason::TemplateNotFound,
                Some(100),
                format!("no template named {name}"),
            ));
        }
        Ok(())
    }

    /// Moves a template to a new status, as Meta's review would, and returns the
    /// `message_template_status_update` webhook body Meta would send.
    pub fn set_template_status(
        &self,
        name: &str,
        language: &str,
        status: TemplateStatus,
        reason: Option<&str>,
    ) -> Option<String> {
        let mut s = self.lock();
        let waba_id = s.waba_id.clone();
        let t = s
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)?;
        t.status = status.clone();
        t.rejected_reason = reason.map(str::to_owned);
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": waba_id,
                "time": 0,
                "changes": [{
                    "field": "message_template_status_update",
                    "value": {
                        "event": status.as_str(),
                        "message_template_id": t.id.parse::<u64>().ok(),
                        "message_template_name": t.name,
                        "message_template_language": t.language,
                        "reason": reason.unwrap_or("NONE"),
                        "message_template_category": t.category.as_str(),
                    }
                }]
            }]
        });
        Some(body.to_string())
    }

    /// The `messages`-field status webhook body Meta would send for `wamid`.
    pub fn status_webhook(&self, wamid: &str, status: MessageStatus, timestamp: i64) -> String {
        let s = self.lock();
        let found = s.sent.iter().find(|m| m.wamid == wamid);
        let recipient = found.map(|m| m.to.clone()).unwrap_or_default();
        let callback = found.and_then(|m| m.message.callback_data.clone());
        status_webhook_body(
            &s.waba_id,
            &s.phone_number_id,
            wamid,
            &recipient,
            &status,
            timestamp,
            callback.as_deref(),
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A status webhook in Meta's shape (also used by benchmarks and stand-ins). Failed
/// statuses carry a 131026 error; billable ones carry per-message pricing.
pub fn status_webhook_body(
    waba_id: &str,
    phone_number_id: &str,
    wamid: &str,
    recipient_id: &str,
    status: &MessageStatus,
    timestamp: i64,
    callback_data: Option<&str>,
) -> String {
    let mut st = json!({
        "id": wamid,
        "status": status.as_str(),
        "timestamp": timestamp.to_string(),
        "recipient_id": recipient_id,
    });
    if let Some(obj) = st.as_object_mut() {
        if matches!(status, MessageStatus::Sent | MessageStatus::Delivered) {
            obj.insert(
                "pricing".into(),
                json!({ "billable": true, "pricing_model": "PMP", "category": "marketing", "type": "regular" }),
            );
        }
        if *status == MessageStatus::Failed {
            obj.insert(
                "errors".into(),
                json!([{ "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable", "error_data": { "details": "Message Undeliverable." } }]),
            );
        }
        if let Some(c) = callback_data {
            obj.insert("biz_opaque_callback_data".into(), json!(c));
        }
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": waba_id,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550100000", "phone_number_id": phone_number_id },
                    "statuses": [st],
                }
            }]
        }]
    })
    .to_string()
}

/// An inbound text webhook body in Meta's shape (a contact's reply).
pub fn inbound_text_webhook_body(
    waba_id: &str,
    phone_number_id: &str,
    from: &str,
    profile_name: &str,
    wamid: &str,
    body: &str,
    timestamp: i64,
) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": waba_id,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550100000", "phone_number_id": phone_number_id },
                    "contacts": [{ "profile": { "name": profile_name }, "wa_id": from }],
                    "messages": [{ "from": from, "id": wamid, "timestamp": timestamp.to_string(), "type": "text", "text": { "body": body } }],
                }
            }]
        }]
    })
    .to_string()
}

/// Positional parameters a template body expects (for callers that map contact fields).
pub fn expected_body_params(t: &Template) -> Vec<String> {
    match t.parameter_format {
        ParameterFormat::Named => t.body_text().map(variables).unwrap_or_default(),
        ParameterFormat::Positional => (1..=t.body_param_count()).map(|n| n.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::message::TemplateSend;
    use crate::whatsapp::template::{TemplateCategory, TemplateComponent};
    use crate::whatsapp::webhook::{WhatsAppEvent, parse_webhook};

    #[tokio::test]
    async fn window_templates_and_webhooks() {
        let sb = WhatsAppSandbox::default();
        sb.enforce_window(true);
        let text = OutgoingMessage::new(
            "+16505551234",
            MessageContent::Text {
                body: "hi".into(),
                preview_url: false,
            },
        );
        let e = sb.send(&text).await.expect_err("window closed");
        assert_eq!(e.reason(), WaReason::OutsideWindow);
        sb.open_window("16505551234");
        let ok = sb.send(&text).await.expect("window open");
        let wamid = ok.wamid.expect("wamid");

        let nt = NewTemplate {
            name: "welcome".into(),
            language: "en_US".into(),
            category: TemplateCategory::Marketing,
            parameter_format: ParameterFormat::Positional,
            components: vec![TemplateComponent::body("Hi {{1}}", ["Ana"])],
        };
        sb.create_template(&nt).await.expect("created");
        let send = OutgoingMessage::new(
            "+16505551234",
            MessageContent::Template(TemplateSend::new("welcome", "en_US").body_text(["Bo"])),
        );
        let e = sb.send(&send).await.expect_err("pending template");
        assert_eq!(e.reason(), WaReason::TemplateNotFound);
        let hook = sb
            .set_template_status("welcome", "en_US", TemplateStatus::Approved, None)
            .expect("known");
        let events = parse_webhook(hook.as_bytes()).expect("parse");
        assert!(
            matches!(&events[0], WhatsAppEvent::TemplateStatus(t) if t.event == TemplateStatus::Approved && t.template_name == "welcome")
        );
        sb.send(&send).await.expect("approved");
        let wrong = OutgoingMessage::new(
            "+16505551234",
            MessageContent::Template(TemplateSend::new("welcome", "en_US")),
        );
        assert_eq!(
            sb.send(&wrong).await.expect_err("params").reason(),
            WaReason::TemplateParamMismatch
        );

        let body = sb.status_webhook(&wamid, MessageStatus::Delivered, 1_700_000_000);
        let events = parse_webhook(body.as_bytes()).expect("parse");
        assert!(
            matches!(&events[0], WhatsAppEvent::Status(s) if s.wamid == wamid && s.status == MessageStatus::Delivered && s.recipient_id == "16505551234")
        );
        assert_eq!(sb.sent_count(), 2);
    }

    #[tokio::test]
    async fn media_needs_the_window_and_is_checked_like_the_real_api() {
        use crate::whatsapp::message::{Media, MediaKind, MediaSource};
        let sb = WhatsAppSandbox::default();
        sb.enforce_window(true);
        let image = |link: &str, caption: Option<&str>| {
            OutgoingMessage::new(
                "+16505551234",
                MessageContent::Media(Media {
                    kind: MediaKind::Image,
                    source: MediaSource::Link(link.into()),
                    caption: caption.map(str::to_owned),
                    filename: None,
                }),
            )
        };
        let menu = image("https://cdn.example.com/menu.jpg", Some("Menu"));
        let e = sb.send(&menu).await.expect_err("window closed");
        assert_eq!(e.reason(), WaReason::OutsideWindow);
        assert_eq!(e.code(), Some(131047));
        sb.open_window("+16505551234");
        sb.send(&menu).await.expect("window open");
        let sent = sb.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].body["type"], "image");
        assert_eq!(
            sent[0].body["image"],
            json!({"link": "https://cdn.example.com/menu.jpg", "caption": "Menu"})
        );
        // What the Graph API would refuse, the sandbox refuses before recording anything.
        let bad = image("file:///etc/passwd", None);
        assert!(matches!(
            sb.send(&bad).await,
            Err(WhatsAppError::Invalid { .. })
        ));
        assert_eq!(sb.sent_count(), 1);
    }
}
