//! Typed reading of WhatsApp Business Account webhooks (after the signature check).
//!
//! One delivery can carry several entries, changes, messages and statuses; each becomes
//! one [`WhatsAppEvent`]. Parsing is lenient about what Meta adds over time and strict
//! about nothing: an item that lacks its key fields becomes [`WhatsAppEvent::Unparsed`]
//! (with the raw JSON) rather than failing the whole delivery, and fields this code does
//! not know become [`WhatsAppEvent::Other`]. Only a body that is not a WhatsApp Business
//! Account notification at all is an error.

use serde_json::Value;

use super::error::{ErrorClass, WaReason, as_i64_lenient, classify_code};
use super::message::MediaKind;
use super::template::{TemplateCategory, TemplateStatus, id_string};

/// Why a delivery could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the object is {0:?}, not \"whatsapp_business_account\"")]
    WrongObject(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WhatsAppEvent {
    /// sent / delivered / read / failed for a message we sent.
    Status(StatusUpdate),
    /// Something a contact sent us: a reply.
    Message(InboundMessage),
    /// `message_template_status_update`.
    TemplateStatus(TemplateStatusUpdate),
    /// `message_template_quality_update`.
    TemplateQuality(TemplateQualityUpdate),
    /// `template_category_update`.
    TemplateCategory(TemplateCategoryUpdate),
    /// `user_preferences`: marketing messages stopped or resumed.
    UserPreference(UserPreferenceUpdate),
    /// A field this code does not model (`account_update`, `phone_number_quality_update`…).
    Other {
        waba_id: String,
        field: String,
        value: Value,
    },
    /// An item of a known field that lacks its key data.
    Unparsed {
        field: String,
        error: String,
        raw: Value,
    },
}

/// Which of our numbers an event concerns (`value.metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberRef {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    Sent,
    Delivered,
    Read,
    /// Voice messages that were played.
    Played,
    Failed,
    Deleted,
    Warning,
    Other(String),
}

impl MessageStatus {
    pub fn parse(s: &str) -> MessageStatus {
        match s {
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "played" => MessageStatus::Played,
            "failed" => MessageStatus::Failed,
            "deleted" => MessageStatus::Deleted,
            "warning" => MessageStatus::Warning,
            other => MessageStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Played => "played",
            MessageStatus::Failed => "failed",
            MessageStatus::Deleted => "deleted",
            MessageStatus::Warning => "warning",
            MessageStatus::Other(s) => s,
        }
    }

    /// Progress order for "keep the furthest state" when statuses arrive out of order
    /// (`read` before `delivered`): sent 1 < delivered 2 < read 3 < played 4. Failed is
    /// terminal (5) but a later `delivered`/`read` for the same message is not expected.
    /// Informational statuses rank 0 and never move a message back.
    pub fn rank(&self) -> u8 {
        match self {
            MessageStatus::Sent => 1,
            MessageStatus::Delivered => 2,
            MessageStatus::Read => 3,
            MessageStatus::Played => 4,
            MessageStatus::Failed => 5,
            _ => 0,
        }
    }
}

/// One entry of `errors[]` in a status or an unsupported inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
    pub details: Option<String>,
}

impl EventError {
    /// The same decision table as a failed send call.
    pub fn classify(&self) -> (ErrorClass, WaReason) {
        self.code
            .and_then(classify_code)
            .unwrap_or((ErrorClass::Permanent, WaReason::Unknown))
    }

    /// A readable line for the timeline.
    pub fn describe(&self) -> String {
        let mut s = self
            .title
            .clone()
            .or_else(|| self.message.clone())
            .unwrap_or_else(|| "error".into());
        if let Some(d) = &self.details
            && !s.contains(d.as_str())
        {
            s.push_str(": ");
            s.push_str(d);
        }
        if let Some(c) = self.code {
            s = format!("({c}) {s}");
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: Option<String>,
    pub expiration_timestamp: Option<i64>,
    /// `marketing`, `utility`, `authentication`, `service`, `referral_conversion`…
    pub origin_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    pub billable: Option<bool>,
    /// `CBP` (conversation-based) or `PMP` (per-message, since July 2025).
    pub pricing_model: Option<String>,
    /// `marketing`, `utility`, `authentication`, `service`…: picks the rate card line.
    pub category: Option<String>,
    /// Per-message pricing: `regular`, `free_customer_service`, `free_entry_point`.
    pub pricing_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub number: NumberRef,
    pub wamid: String,
    pub status: MessageStatus,
    /// Unix seconds.
    pub timestamp: i64,
    pub recipient_id: String,
    pub conversation: Option<Conversation>,
    pub pricing: Option<Pricing>,
    pub errors: Vec<EventError>,
    /// What we put in `biz_opaque_callback_data` when sending (our message id).
    pub callback_data: Option<String>,
}

impl StatusUpdate {
    /// `wamid:status`: a repeated delivery of the same status is a no-op.
    pub fn dedup_key(&self) -> String {
        format!("{}:{}", self.wamid, self.status.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContext {
    /// Our wamid the contact replied to (or the sender of a forwarded message).
    pub id: Option<String>,
    pub from: Option<String>,
    pub forwarded: bool,
}

/// A click-to-WhatsApp ad or post that opened the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Referral {
    pub source_url: Option<String>,
    pub source_id: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    pub media_type: Option<String>,
    pub ctwa_clid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedContact {
    pub formatted_name: Option<String>,
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InboundContent {
    Text {
        body: String,
    },
    Media {
        kind: MediaKind,
        /// Fetch with `GET /{media-id}` to get a short-lived download URL.
        id: String,
        mime_type: Option<String>,
        sha256: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
        /// Audio recorded as a voice note.
        voice: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Contacts(Vec<SharedContact>),
    /// Tap on a reply button of an interactive message.
    ButtonReply {
        id: String,
        title: String,
    },
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// A WhatsApp Flow answer (`nfm_reply`); `response_json` is the flow's JSON text.
    FlowReply {
        response_json: Option<String>,
        body: Option<String>,
    },
    /// Tap on a quick-reply button of a template.
    TemplateButton {
        payload: Option<String>,
        text: String,
    },
    Reaction {
        /// The wamid reacted to.
        message_id: String,
        /// `None` when the reaction was removed.
        emoji: Option<String>,
    },
    Order(Value),
    /// e.g. the contact changed number (`new_wa_id`).
    System {
        body: Option<String>,
        kind: Option<String>,
        new_wa_id: Option<String>,
    },
    Unsupported {
        errors: Vec<EventError>,
    },
    /// A type this code does not model, kept as JSON.
    Other {
        kind: String,
        raw: Value,
    },
}

impl InboundContent {
    /// Text for the conversation view and reply classification, when there is some.
    pub fn text(&self) -> Option<&str> {
        match self {
            InboundContent::Text { body } => Some(body),
            InboundContent::Media { caption, .. } => caption.as_deref(),
            InboundContent::ButtonReply { title, .. } | InboundContent::ListReply { title, .. } => {
                Some(title)
            }
            InboundContent::TemplateButton { text, .. } => Some(text),
            InboundContent::FlowReply { body, .. } | InboundContent::System { body, .. } => {
                body.as_deref()
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub number: NumberRef,
    /// The contact's WhatsApp id (phone digits).
    pub from: String,
    /// The inbound wamid: the dedup key.
    pub id: String,
    /// Unix seconds; opens or refreshes the 24-hour window.
    pub timestamp: i64,
    /// The profile name from `contacts[]`.
    pub profile_name: Option<String>,
    pub context: Option<MessageContext>,
    pub referral: Option<Referral>,
    pub content: InboundContent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStatusUpdate {
    pub waba_id: String,
    /// `entry.time`, unix seconds.
    pub time: Option<i64>,
    pub event: TemplateStatus,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    /// `None` for Meta's `NONE` (and null).
    pub reason: Option<String>,
    pub category: Option<TemplateCategory>,
    /// `rejection_info.reason` / `.recommendation`.
    pub rejection_detail: Option<String>,
    pub recommendation: Option<String>,
    /// `other_info.title` (FIRST_PAUSE, SECOND_PAUSE, UNPAUSE…) and description.
    pub other_title: Option<String>,
    pub other_description: Option<String>,
    pub disable_date: Option<i64>,
}

impl TemplateStatusUpdate {
    /// The reason to show next to the status: the detailed one when there is one.
    pub fn display_reason(&self) -> Option<String> {
        match (
            &self.reason,
            &self.rejection_detail,
            &self.other_description,
        ) {
            (_, Some(d), _) => Some(match &self.recommendation {
                Some(r) => format!("{d} {r}"),
                None => d.clone(),
            }),
            (Some(r), None, _) => Some(r.clone()),
            (None, None, Some(o)) => Some(o.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateQualityUpdate {
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub previous_quality_score: Option<String>,
    pub new_quality_score: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCategoryUpdate {
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub previous_category: Option<TemplateCategory>,
    pub new_category: Option<TemplateCategory>,
    /// Set on the advance notice: the category it will become at `update_timestamp`.
    pub correct_category: Option<TemplateCategory>,
    pub update_timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPreferenceUpdate {
    pub number: NumberRef,
    pub wa_id: String,
    /// `marketing_messages`.
    pub category: String,
    /// `true` for `stop`, `false` for `resume`.
    pub stopped: bool,
    pub detail: Option<String>,
    pub timestamp: Option<i64>,
}

/// Reads one webhook delivery (the raw POST body).
pub fn parse_webhook(body: &[u8]) -> Result<Vec<WhatsAppEvent>, WebhookError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::NotJson(e.to_string()))?;
    let object = root
        .get("object")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if object != "whatsapp_business_account" {
        return Err(WebhookError::WrongObject(object.to_owned()));
    }
    let mut events = Vec::new();
    for entry in arr(root.get("entry")) {
        let waba_id = entry.get("id").and_then(id_string).unwrap_or_default();
        let time = entry.get("time").and_then(as_i64_lenient);
        for change in arr(entry.get("changes")) {
            let field = str_of(change.get("field")).unwrap_or_default();
            let value = change.get("value").cloned().unwrap_or(Value::Null);
            parse_change(&waba_id, time, &field, &value, &mut events);
        }
    }
    Ok(events)
}

fn parse_change(
    waba_id: &str,
    time: Option<i64>,
    field: &str,
    value: &Value,
    out: &mut Vec<WhatsAppEvent>,
) {
    let unparsed = |error: &str, raw: &Value| WhatsAppEvent::Unparsed {
        field: field.to_owned(),
        error: error.to_owned(),
        raw: raw.clone(),
    };
    match field {
        "messages" => {
            let number = NumberRef {
                waba_id: waba_id.to_owned(),
                phone_number_id: str_of(value.pointer("/metadata/phone_number_id"))
                    .unwrap_or_default(),
                display_phone_number: str_of(value.pointer("/metadata/display_phone_number"))
                    .unwrap_or_default(),
            };
            for s in arr(value.get("statuses")) {
                out.push(match parse_status(&number, s) {
                    Some(st) => WhatsAppEvent::Status(st),
                    None => unparsed("a status without id, status or timestamp", s),
                });
            }
            let contacts = arr(value.get("contacts"));
            for m in arr(value.get("messages")) {
                out.push(match parse_message(&number, contacts, m) {
                    Some(msg) => WhatsAppEvent::Message(msg),
                    None => unparsed("a message without from, id or timestamp", m),
                });
            }
        }
        "message_template_status_update" => {
            // Meta documents quality updates under this field name too; tell them apart by
            // their keys.
            if value.get("new_quality_score").is_some() {
                out.push(
                    template_quality(waba_id, value)
                        .unwrap_or_else(|| unparsed("a quality update without template id", value)),
                );
                return;
            }
            out.push(match template_status(waba_id, time, value) {
                Some(t) => WhatsAppEvent::TemplateStatus(t),
                None => unparsed("a template update without event or template id", value),
            });
        }
        "message_template_quality_update" => {
            out.push(
                template_quality(waba_id, value)
                    .unwrap_or_else(|| unparsed("a quality update without template id", value)),
            );
        }
        "template_category_update" => {
            out.push(match template_category(waba_id, value) {
                Some(t) => WhatsAppEvent::TemplateCategory(t),
                None => unparsed("a category update without template id", value),
            });
        }
        "user_preferences" => {
            let number = NumberRef {
                waba_id: waba_id.to_owned(),
                phone_number_id: str_of(value.pointer("/metadata/phone_number_id"))
                    .unwrap_or_default(),
                display_phone_number: str_of(value.pointer("/metadata/display_phone_number"))
                    .unwrap_or_default(),
            };
            for p in arr(value.get("user_preferences")) {
                let parsed = (|| {
                    Some(UserPreferenceUpdate {
                        number: number.clone(),
                        wa_id: str_of(p.get("wa_id"))?,
                        category: str_of(p.get("category")).unwrap_or_default(),
                        stopped: match str_of(p.get("value"))?.as_str() {
                            "stop" => true,
                            "resume" => false,
                            _ => return None,
                        },
                        detail: str_of(p.get("detail")),
                        timestamp: p.get("timestamp").and_then(as_i64_lenient),
                    })
                })();
                out.push(match parsed {
                    Some(u) => WhatsAppEvent::UserPreference(u),
                    None => unparsed("a preference without wa_id or stop/resume value", p),
                });
            }
        }
        _ => out.push(WhatsAppEvent::Other {
            waba_id: waba_id.to_owned(),
            field: field.to_owned(),
            value: value.clone(),
        }),
    }
}

fn parse_status(number: &NumberRef, s: &Value) -> Option<StatusUpdate> {
    Some(StatusUpdate {
        number: number.clone(),
        wamid: str_of(s.get("id"))?,
        status: MessageStatus::parse(&str_of(s.get("status"))?),
        timestamp: s.get("timestamp").and_then(as_i64_lenient)?,
        recipient_id: str_of(s.get("recipient_id")).unwrap_or_default(),
        conversation: s.get("conversation").map(|c| Conversation {
            id: str_of(c.get("id")),
            expiration_timestamp: c.get("expiration_timestamp").and_then(as_i64_lenient),
            origin_type: str_of(c.pointer("/origin/type")),
        }),
        pricing: s.get("pricing").map(|p| Pricing {
            billable: p.get("billable").and_then(Value::as_bool),
            pricing_model: str_of(p.get("pricing_model")),
            category: str_of(p.get("category")),
            pricing_type: str_of(p.get("type")),
        }),
        errors: errors_of(s.get("errors")),
        callback_data: str_of(s.get("biz_opaque_callback_data")),
    })
}

fn errors_of(v: Option<&Value>) -> Vec<EventError> {
    arr(v)
        .iter()
        .map(|e| EventError {
            code: e.get("code").and_then(as_i64_lenient),
            title: str_of(e.get("title")),
            message: str_of(e.get("message")),
            details: str_of(e.pointer("/error_data/details")),
        })
        .collect()
}

fn parse_message(number: &NumberRef, contacts: &[Value], m: &Value) -> Option<InboundMessage> {
    let from = str_of(m.get("from"))?;
    let profile_name = contacts
        .iter()
        .find(|c| str_of(c.get("wa_id")).as_deref() == Some(from.as_str()))
        .or(contacts.first())
        .and_then(|c| str_of(c.pointer("/profile/name")));
    let kind = str_of(m.get("type")).unwrap_or_else(|| "unknown".into());
    Some(InboundMessage {
        number: number.clone(),
        id: str_of(m.get("id"))?,
        timestamp: m.get("timestamp").and_then(as_i64_lenient)?,
        profile_name,
        context: m.get("context").map(|c| MessageContext {
            id: str_of(c.get("id")),
            from: str_of(c.get("from")),
            forwarded: c.get("forwarded").and_then(Value::as_bool).unwrap_or(false)
                || c.get("frequently_forwarded")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
        }),
        referral: m.get("referral").map(|r| Referral {
            source_url: str_of(r.get("source_url")),
            source_id: str_of(r.get("source_id")),
            source_type: str_of(r.get("source_type")),
            headline: str_of(r.get("headline")),
            body: str_of(r.get("body")),
            media_type: str_of(r.get("media_type")),
            ctwa_clid: str_of(r.get("ctwa_clid")),
        }),
        content: parse_content(&kind, m),
        from,
    })
}

fn parse_content(kind: &str, m: &Value) -> InboundContent {
    let other = || InboundContent::Other {
        kind: kind.to_owned(),
        raw: m.clone(),
    };
    let part = m.get(kind);
    let field = |key: &str| part.and_then(|p| str_of(p.get(key)));
    if let Some(media) = MediaKind::parse(kind) {
        let Some(id) = field("id") else {
            return other();
        };
        return InboundContent::Media {
            kind: media,
            id,
            mime_type: field("mime_type"),
            sha256: field("sha256"),
            caption: field("caption"),
            filename: field("filename"),
            voice: part
                .and_then(|p| p.get("voice"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
    }
    match kind {
        "text" => match field("body") {
            Some(body) => InboundContent::Text { body },
            None => other(),
        },
        "location" => {
            let lat = part
                .and_then(|p| p.get("latitude"))
                .and_then(as_f64_lenient);
            let lon = part
                .and_then(|p| p.get("longitude"))
                .and_then(as_f64_lenient);
            match (lat, lon) {
                (Some(latitude), Some(longitude)) => InboundContent::Location {
                    latitude,
                    longitude,
                    name: field("name"),
                    address: field("address"),
                },
                _ => other(),
            }
        }
        "contacts" => InboundContent::Contacts(
            arr(m.get("contacts"))
                .iter()
                .map(|c| SharedContact {
                    formatted_name: str_of(c.pointer("/name/formatted_name")),
                    phones: arr(c.get("phones"))
                        .iter()
                        .filter_map(|p| str_of(p.get("wa_id")).or_else(|| str_of(p.get("phone"))))
                        .collect(),
                })
                .collect(),
        ),
        "interactive" => {
            let sub = part.and_then(|p| str_of(p.get("type"))).unwrap_or_default();
            let reply = part.and_then(|p| p.get(sub.as_str()));
            let rf = |key: &str| reply.and_then(|r| str_of(r.get(key)));
            match (sub.as_str(), rf("id"), rf("title")) {
                ("button_reply", Some(id), Some(title)) => {
                    InboundContent::ButtonReply { id, title }
                }
                ("list_reply", Some(id), Some(title)) => InboundContent::ListReply {
                    id,
                    title,
                    description: rf("description"),
                },
                ("nfm_reply", _, _) => InboundContent::FlowReply {
                    response_json: rf("response_json"),
                    body: rf("body"),
                },
                _ => other(),
            }
        }
        "button" => match field("text") {
            Some(text) => InboundContent::TemplateButton {
                payload: field("payload"),
                text,
            },
            None => other(),
        },
        "reaction" => match field("message_id") {
            Some(message_id) => InboundContent::Reaction {
                message_id,
                emoji: field("emoji").filter(|e| !e.is_empty()),
            },
            None => other(),
        },
        "order" => InboundContent::Order(part.cloned().unwrap_or(Value::Null)),
        "system" => InboundContent::System {
            body: field("body"),
            kind: field("type"),
            new_wa_id: field("wa_id").or_else(|| field("new_wa_id")),
        },
        "unsupported" | "unknown" => InboundContent::Unsupported {
            errors: errors_of(m.get("errors")),
        },
        _ => other(),
    }
}

fn template_status(waba_id: &str, time: Option<i64>, v: &Value) -> Option<TemplateStatusUpdate> {
    Some(TemplateStatusUpdate {
        waba_id: waba_id.to_owned(),
        time,
        event: TemplateStatus::parse(&str_of(v.get("event"))?),
        template_id: v.get("message_template_id").and_then(id_string)?,
        template_name: str_of(v.get("message_template_name")).unwrap_or_default(),
        language: str_of(v.get("message_template_language")).unwrap_or_default(),
        reason: str_of(v.get("reason")).filter(|r| r != "NONE" && !r.is_empty()),
        category: str_of(v.get("message_template_category")).map(|c| TemplateCategory::parse(&c)),
        rejection_detail: str_of(v.pointer("/rejection_info/reason")),
        recommendation: str_of(v.pointer("/rejection_info/recommendation")),
        other_title: str_of(v.pointer("/other_info/title")),
        other_description: str_of(v.pointer("/other_info/description")),
        disable_date: v
            .pointer("/disable_info/disable_date")
            .and_then(as_i64_lenient),
    })
}

fn template_quality(waba_id: &str, v: &Value) -> Option<WhatsAppEvent> {
    Some(WhatsAppEvent::TemplateQuality(TemplateQualityUpdate {
        waba_id: waba_id.to_owned(),
        template_id: v.get("message_template_id").and_then(id_string)?,
        template_name: str_of(v.get("message_template_name")).unwrap_or_default(),
        language: str_of(v.get("message_template_language")).unwrap_or_default(),
        previous_quality_score: str_of(v.get("previous_quality_score")),
        new_quality_score: str_of(v.get("new_quality_score")),
    }))
}

fn template_category(waba_id: &str, v: &Value) -> Option<TemplateCategoryUpdate> {
    let cat = |key: &str| str_of(v.get(key)).map(|c| TemplateCategory::parse(&c));
    Some(TemplateCategoryUpdate {
        waba_id: waba_id.to_owned(),
        template_id: v.get("message_template_id").and_then(id_string)?,
        template_name: str_of(v.get("message_template_name")).unwrap_or_default(),
        language: str_of(v.get("message_template_language")).unwrap_or_default(),
        previous_category: cat("previous_category"),
        new_category: cat("new_category"),
        correct_category: cat("correct_category"),
        update_timestamp: v.get("category_update_timestamp").and_then(as_i64_lenient),
    })
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_f64_lenient(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|f: &f64| f.is_finite())
}
