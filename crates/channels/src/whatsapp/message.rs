//! Outgoing messages and their exact `POST /{phone-number-id}/messages` JSON.
//!
//! Checks that Meta would otherwise answer with an error code after a round trip (a
//! non-digit recipient, an empty or multi-line template parameter, a body over 4096
//! characters) are made here, so the caller gets `Invalid` before anything is sent.

use serde_json::{Map, Value, json};

use super::error::WhatsAppError;

/// Longest free-form text body Meta accepts.
pub const MAX_TEXT_LEN: usize = 4096;
/// Longest `biz_opaque_callback_data`.
pub const MAX_CALLBACK_DATA_LEN: usize = 512;
/// Longest caption of an image, video or document (Meta's media-message limit).
pub const MAX_CAPTION_LEN: usize = 1024;
/// Longest media link we pass on (Meta fetches it; longer URLs are refused there anyway).
pub const MAX_LINK_LEN: usize = 2048;

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// E.164 with or without `+` (sent as digits only).
    pub to: String,
    pub content: MessageContent,
    /// Echoed back in status webhooks as `biz_opaque_callback_data`: carries our message id,
    /// so a status can be matched even before the wamid was stored.
    pub callback_data: Option<String>,
    /// The wamid of an inbound message this one quotes (`context.message_id`).
    pub reply_to: Option<String>,
}

impl OutgoingMessage {
    pub fn new(to: impl Into<String>, content: MessageContent) -> Self {
        OutgoingMessage {
            to: to.into(),
            content,
            callback_data: None,
            reply_to: None,
        }
    }

    pub fn with_callback_data(mut self, data: impl Into<String>) -> Self {
        self.callback_data = Some(data.into());
        self
    }

    /// Whether this message needs an open 24-hour customer-service window (everything but
    /// templates does).
    pub fn needs_window(&self) -> bool {
        !matches!(self.content, MessageContent::Template(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageContent {
    /// Free-form text; only inside the customer-service window.
    Text { body: String, preview_url: bool },
    /// An approved template; allowed any time.
    Template(TemplateSend),
    /// Image, video, audio, document or sticker; only inside the window.
    Media(Media),
}

/// Which approved template to send, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSend {
    pub name: String,
    /// The template's language code, e.g. `en_US`.
    pub language: String,
    pub components: Vec<SendComponent>,
}

impl TemplateSend {
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        TemplateSend {
            name: name.into(),
            language: language.into(),
            components: Vec::new(),
        }
    }

    /// Adds a body component with positional text parameters `{{1}}`, `{{2}}`… in order.
    pub fn body_text<S: Into<String>>(mut self, params: impl IntoIterator<Item = S>) -> Self {
        let params: Vec<Parameter> = params.into_iter().map(Parameter::text).collect();
        if !params.is_empty() {
            self.components.push(SendComponent::Body(params));
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendComponent {
    Header(Vec<Parameter>),
    Body(Vec<Parameter>),
    /// Parameters of one button (`index` is its position in the template, from 0).
    Button {
        sub_type: ButtonSubType,
        index: u32,
        parameters: Vec<Parameter>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonSubType {
    QuickReply,
    Url,
    CopyCode,
}

impl ButtonSubType {
    pub fn as_str(self) -> &'static str {
        match self {
            ButtonSubType::QuickReply => "quick_reply",
            ButtonSubType::Url => "url",
            ButtonSubType::CopyCode => "copy_code",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parameter {
    /// A text value; `name` is set for templates created with `parameter_format: NAMED`.
    Text { text: String, name: Option<String> },
    /// The payload of a quick-reply button (comes back in the button-reply webhook).
    Payload(String),
    /// The code of a copy-code button.
    CouponCode(String),
    /// An amount shown in the recipient's locale; `fallback` is shown where it cannot be.
    Currency {
        fallback: String,
        code: String,
        amount_1000: i64,
    },
    /// A media header.
    Media {
        kind: MediaKind,
        source: MediaSource,
        filename: Option<String>,
    },
}

impl Parameter {
    pub fn text(text: impl Into<String>) -> Self {
        Parameter::Text {
            text: text.into(),
            name: None,
        }
    }

    pub fn named(name: impl Into<String>, text: impl Into<String>) -> Self {
        Parameter::Text {
            text: text.into(),
            name: Some(name.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        Some(match s {
            "image" => MediaKind::Image,
            "video" => MediaKind::Video,
            "audio" => MediaKind::Audio,
            "document" => MediaKind::Document,
            "sticker" => MediaKind::Sticker,
            _ => return None,
        })
    }
}

/// An uploaded media id, or a public HTTPS link Meta fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    Id(String),
    Link(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    pub source: MediaSource,
    /// Not allowed for audio and stickers.
    pub caption: Option<String>,
    /// Documents only: the name shown to the recipient.
    pub filename: Option<String>,
}

/// What the Graph API answered for an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The `wamid` that status webhooks carry in `statuses[].id`. `None` only when Meta
    /// accepted the message but the answer was unreadable.
    pub wamid: Option<String>,
    /// The recipient's WhatsApp id as Meta resolved it.
    pub wa_id: Option<String>,
    /// For templates: `accepted`, `held_for_quality_assessment` or `paused`.
    pub message_status: Option<String>,
}

impl SentMessage {
    pub(crate) fn from_response(v: &Value) -> SentMessage {
        let msg = v.get("messages").and_then(|m| m.get(0));
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        SentMessage {
            wamid: s(msg.and_then(|m| m.get("id"))),
            wa_id: s(v
                .get("contacts")
                .and_then(|c| c.get(0))
                .and_then(|c| c.get("wa_id"))),
            message_status: s(msg.and_then(|m| m.get("message_status"))),
        }
    }
}

/// `+16505551234` or `16505551234` → `16505551234`; anything else is refused.
pub fn normalize_recipient(to: &str) -> Result<String, WhatsAppError> {
    let t = to.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WhatsAppError::invalid(format!(
            "recipient {to:?} is not an international phone number (E.164, 7-15 digits)"
        )));
    }
    if digits.starts_with('0') {
        return Err(WhatsAppError::invalid(format!(
            "recipient {to:?} must start with the country code, not 0"
        )));
    }
    Ok(digits.to_owned())
}

/// The JSON body for one message (public so the app can show or log what would be sent).
pub fn request_body(msg: &OutgoingMessage) -> Result<Value, WhatsAppError> {
    let to = normalize_recipient(&msg.to)?;
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    match &msg.content {
        MessageContent::Text {
            body: text,
            preview_url,
        } => {
            check_text_body(text)?;
            body.insert("recipient_type".into(), json!("individual"));
            body.insert("to".into(), json!(to));
            body.insert("type".into(), json!("text"));
            body.insert(
                "text".into(),
                json!({ "preview_url": preview_url, "body": text }),
            );
        }
        MessageContent::Template(t) => {
            body.insert("to".into(), json!(to));
            body.insert("type".into(), json!("template"));
            body.insert("template".into(), template_json(t)?);
        }
        MessageContent::Media(m) => {
            body.insert("recipient_type".into(), json!("individual"));
            body.insert("to".into(), json!(to));
            body.insert("type".into(), json!(m.kind.as_str()));
            body.insert(m.kind.as_str().into(), media_json(m)?);
        }
    }
    if let Some(reply_to) = &msg.reply_to {
        body.insert("context".into(), json!({ "message_id": reply_to }));
    }
    if let Some(data) = &msg.callback_data {
        if data.chars().count() > MAX_CALLBACK_DATA_LEN {
            return Err(WhatsAppError::invalid(format!(
                "callback data longer than {MAX_CALLBACK_DATA_LEN} characters"
            )));
        }
        body.insert("biz_opaque_callback_data".into(), json!(data));
    }
    Ok(Value::Object(body))
}

fn check_text_body(text: &str) -> Result<(), WhatsAppError> {
    if text.trim().is_empty() {
        return Err(WhatsAppError::invalid("the text body is empty"));
    }
    let n = text.chars().count();
    if n > MAX_TEXT_LEN {
        return Err(WhatsAppError::invalid(format!(
            "the text body has {n} characters, more than WhatsApp's {MAX_TEXT_LEN}"
        )));
    }
    Ok(())
}

fn template_json(t: &TemplateSend) -> Result<Value, WhatsAppError> {
    super::template::check_template_name(&t.name)?;
    let lang = t.language.trim();
    if lang.is_empty()
        || !lang
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'-')
    {
        return Err(WhatsAppError::invalid(format!(
            "template language {:?} is not a language code such as en_US",
            t.language
        )));
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(t.name));
    out.insert("language".into(), json!({ "code": lang }));
    if !t.components.is_empty() {
        let comps = t
            .components
            .iter()
            .map(component_json)
            .collect::<Result<Vec<_>, _>>()?;
        out.insert("components".into(), Value::Array(comps));
    }
    Ok(Value::Object(out))
}

fn component_json(c: &SendComponent) -> Result<Value, WhatsAppError> {
    Ok(match c {
        SendComponent::Header(p) => {
            json!({ "type": "header", "parameters": params_json(p, true)? })
        }
        SendComponent::Body(p) => json!({ "type": "body", "parameters": params_json(p, true)? }),
        SendComponent::Button {
            sub_type,
            index,
            parameters,
        } => json!({
            "type": "button",
            "sub_type": sub_type.as_str(),
            // Meta documents the index as a string.
            "index": index.to_string(),
            "parameters": params_json(parameters, false)?,
        }),
    })
}

fn params_json(params: &[Parameter], strict_text: bool) -> Result<Vec<Value>, WhatsAppError> {
    params.iter().map(|p| param_json(p, strict_text)).collect()
}

fn param_json(p: &Parameter, strict_text: bool) -> Result<Value, WhatsAppError> {
    Ok(match p {
        Parameter::Text { text, name } => {
            if text.trim().is_empty() {
                return Err(WhatsAppError::invalid(
                    "a template parameter is empty (WhatsApp refuses empty parameters)",
                ));
            }
            // Meta refuses body/header parameters with new lines, tabs or more than four
            // consecutive spaces (error 132000-range) — catch it before sending.
            if strict_text && (text.contains(['\n', '\r', '\t']) || text.contains("     ")) {
                return Err(WhatsAppError::invalid(format!(
                    "template parameter {text:?} has a new line, a tab or more than four consecutive spaces"
                )));
            }
            let mut m = Map::new();
            m.insert("type".into(), json!("text"));
            if let Some(n) = name {
                m.insert("parameter_name".into(), json!(n));
            }
            m.insert("text".into(), json!(text));
            Value::Object(m)
        }
        Parameter::Payload(p) => json!({ "type": "payload", "payload": p }),
        Parameter::CouponCode(c) => json!({ "type": "coupon_code", "coupon_code": c }),
        Parameter::Currency {
            fallback,
            code,
            amount_1000,
        } => json!({
            "type": "currency",
            "currency": { "fallback_value": fallback, "code": code, "amount_1000": amount_1000 },
        }),
        Parameter::Media {
            kind,
            source,
            filename,
        } => {
            let mut inner = source_json(source)?;
            if let (Some(f), MediaKind::Document) = (filename, kind) {
                inner.insert("filename".into(), json!(f));
            }
            json!({ "type": kind.as_str(), kind.as_str(): Value::Object(inner) })
        }
    })
}

fn source_json(source: &MediaSource) -> Result<Map<String, Value>, WhatsAppError> {
    let mut m = Map::new();
    match source {
        MediaSource::Id(id) if !id.trim().is_empty() => {
            m.insert("id".into(), json!(id));
        }
        MediaSource::Id(_) => return Err(WhatsAppError::invalid("the media id is empty")),
        MediaSource::Link(link) => {
            check_media_link(link)?;
            m.insert("link".into(), json!(link));
        }
    }
    Ok(m)
}

/// A link Meta can fetch: `http(s)://host/…`, no spaces or control characters, at most
/// [`MAX_LINK_LEN`] characters. Meta only reports a bad link later, in a failed status
/// (131053), so it is refused here instead.
pub fn check_media_link(link: &str) -> Result<(), WhatsAppError> {
    let rest = link
        .strip_prefix("https://")
        .or_else(|| link.strip_prefix("http://"));
    let host = rest
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
        .unwrap_or_default();
    if rest.is_none() || host.is_empty() || host.starts_with(':') {
        return Err(WhatsAppError::invalid(format!(
            "media link {link:?} is not an http(s) URL with a host"
        )));
    }
    if link.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WhatsAppError::invalid(format!(
            "media link {link:?} contains spaces or control characters"
        )));
    }
    let n = link.chars().count();
    if n > MAX_LINK_LEN {
        return Err(WhatsAppError::invalid(format!(
            "the media link has {n} characters, more than {MAX_LINK_LEN}"
        )));
    }
    Ok(())
}

fn media_json(m: &Media) -> Result<Value, WhatsAppError> {
    let mut inner = source_json(&m.source)?;
    if let Some(c) = &m.caption {
        if matches!(m.kind, MediaKind::Audio | MediaKind::Sticker) {
            return Err(WhatsAppError::invalid(format!(
                "{} messages cannot have a caption",
                m.kind.as_str()
            )));
        }
        let n = c.chars().count();
        if n > MAX_CAPTION_LEN {
            return Err(WhatsAppError::invalid(format!(
                "the caption has {n} characters, more than WhatsApp's {MAX_CAPTION_LEN}"
            )));
        }
        inner.insert("caption".into(), json!(c));
    }
    if let Some(f) = &m.filename {
        if m.kind != MediaKind::Document {
            return Err(WhatsAppError::invalid("only documents have a filename"));
        }
        inner.insert("filename".into(), json!(f));
    }
    Ok(Value::Object(inner))
}

/// The body that marks an inbound message as read (blue ticks for the contact).
pub fn mark_read_body(wamid: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_digits_with_country_code() {
        assert_eq!(
            normalize_recipient("+16505551234").ok(),
            Some("16505551234".into())
        );
        assert_eq!(
            normalize_recipient(" 16505551234 ").ok(),
            Some("16505551234".into())
        );
        for bad in [
            "",
            "+",
            "+1 650 555",
            "06505551234",
            "+1650555123456789",
            "abc",
        ] {
            assert!(normalize_recipient(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn template_parameters_are_checked_before_sending() {
        let t = TemplateSend::new("hello", "en_US").body_text(["line\nbreak"]);
        let m = OutgoingMessage::new("+16505551234", MessageContent::Template(t));
        assert!(matches!(
            request_body(&m),
            Err(WhatsAppError::Invalid { .. })
        ));
        let t = TemplateSend::new("hello", "en_US").body_text([" "]);
        let m = OutgoingMessage::new("+16505551234", MessageContent::Template(t));
        assert!(matches!(
            request_body(&m),
            Err(WhatsAppError::Invalid { .. })
        ));
        let t = TemplateSend::new("Hello World", "en_US");
        let m = OutgoingMessage::new("+16505551234", MessageContent::Template(t));
        assert!(matches!(
            request_body(&m),
            Err(WhatsAppError::Invalid { .. })
        ));
    }

    #[test]
    fn text_length_limit() {
        let long = "a".repeat(MAX_TEXT_LEN + 1);
        let m = OutgoingMessage::new(
            "16505551234",
            MessageContent::Text {
                body: long,
                preview_url: false,
            },
        );
        assert!(matches!(
            request_body(&m),
            Err(WhatsAppError::Invalid { .. })
        ));
        assert!(m.needs_window());
    }

    fn media(
        kind: MediaKind,
        link: &str,
        caption: Option<&str>,
        filename: Option<&str>,
    ) -> OutgoingMessage {
        OutgoingMessage::new(
            "+16505551234",
            MessageContent::Media(Media {
                kind,
                source: MediaSource::Link(link.into()),
                caption: caption.map(str::to_owned),
                filename: filename.map(str::to_owned),
            }),
        )
        .with_callback_data("42")
    }

    #[test]
    fn media_by_link_has_the_documented_shape() {
        let m = media(
            MediaKind::Image,
            "https://cdn.example.com/menu.jpg",
            Some("Our spring menu"),
            None,
        );
        assert!(m.needs_window());
        assert_eq!(
            request_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": "16505551234", "type": "image",
                "image": {"link": "https://cdn.example.com/menu.jpg", "caption": "Our spring menu"},
                "biz_opaque_callback_data": "42"
            }))
        );
        let d = media(
            MediaKind::Document,
            "https://cdn.example.com/q.pdf",
            None,
            Some("Quote.pdf"),
        );
        let b = request_body(&d).ok().unwrap_or_default();
        assert_eq!(b["type"], "document");
        assert_eq!(
            b["document"],
            json!({"link": "https://cdn.example.com/q.pdf", "filename": "Quote.pdf"})
        );
        let a = media(MediaKind::Audio, "http://cdn.example.com/v.ogg", None, None);
        let b = request_body(&a).ok().unwrap_or_default();
        assert_eq!(b["audio"], json!({"link": "http://cdn.example.com/v.ogg"}));
    }

    #[test]
    fn media_checks_before_sending() {
        let long = "c".repeat(MAX_CAPTION_LEN + 1);
        let ok_caption = "c".repeat(MAX_CAPTION_LEN);
        assert!(
            request_body(&media(
                MediaKind::Image,
                "https://x.example/a.png",
                Some(&ok_caption),
                None
            ))
            .is_ok()
        );
        for m in [
            media(
                MediaKind::Image,
                "https://x.example/a.png",
                Some(&long),
                None,
            ),
            media(
                MediaKind::Audio,
                "https://x.example/a.ogg",
                Some("hi"),
                None,
            ),
            media(
                MediaKind::Video,
                "https://x.example/a.mp4",
                None,
                Some("a.mp4"),
            ),
            media(MediaKind::Image, "ftp://x.example/a.png", None, None),
            media(MediaKind::Image, "https:///a.png", None, None),
            media(MediaKind::Image, "https://x.example/a b.png", None, None),
            media(MediaKind::Image, "/a.png", None, None),
        ] {
            assert!(
                matches!(request_body(&m), Err(WhatsAppError::Invalid { .. })),
                "{m:?}"
            );
        }
    }
}
