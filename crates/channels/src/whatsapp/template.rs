//! Message templates: the create request (`POST /{waba-id}/message_templates`), the
//! templates the list call returns, their statuses, and a preview of what the phone shows.
//!
//! Meta rejects a template whose variables lack example values or are not numbered
//! `{{1}}…{{n}}` in sequence; [`NewTemplate::validate`] says so before the round trip and
//! the days of review a rejection costs.

use std::fmt;

use serde_json::{Map, Value, json};

use super::error::{WhatsAppError, as_i64_lenient};

/// Longest template name Meta accepts.
pub const MAX_NAME_LEN: usize = 512;
const MAX_BODY_LEN: usize = 1024;
const MAX_HEADER_TEXT_LEN: usize = 60;
const MAX_FOOTER_LEN: usize = 60;
const MAX_BUTTONS: usize = 10;
const MAX_BUTTON_TEXT_LEN: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
    /// A category this code does not know yet, kept as Meta spelled it.
    Other(String),
}

impl TemplateCategory {
    pub fn as_str(&self) -> &str {
        match self {
            TemplateCategory::Marketing => "MARKETING",
            TemplateCategory::Utility => "UTILITY",
            TemplateCategory::Authentication => "AUTHENTICATION",
            TemplateCategory::Other(s) => s,
        }
    }

    /// Case-insensitive: the UI and CLI may say `marketing`.
    pub fn parse(s: &str) -> TemplateCategory {
        match s.trim().to_ascii_uppercase().as_str() {
            "MARKETING" => TemplateCategory::Marketing,
            "UTILITY" => TemplateCategory::Utility,
            "AUTHENTICATION" => TemplateCategory::Authentication,
            _ => TemplateCategory::Other(s.trim().to_owned()),
        }
    }
}

impl fmt::Display for TemplateCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A template's review/lifecycle state, from the list call or a
/// `message_template_status_update` event (which adds transitions such as `REINSTATED`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplateStatus {
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
    Flagged,
    InAppeal,
    Reinstated,
    Archived,
    Deleted,
    PendingDeletion,
    LimitExceeded,
    Locked,
    Unlocked,
    Other(String),
}

impl TemplateStatus {
    pub fn parse(s: &str) -> TemplateStatus {
        use TemplateStatus::*;
        match s.trim().to_ascii_uppercase().as_str() {
            "PENDING" => Pending,
            "APPROVED" => Approved,
            "REJECTED" => Rejected,
            "PAUSED" => Paused,
            "DISABLED" => Disabled,
            "FLAGGED" => Flagged,
            "IN_APPEAL" => InAppeal,
            "REINSTATED" => Reinstated,
            "ARCHIVED" => Archived,
            "DELETED" => Deleted,
            "PENDING_DELETION" => PendingDeletion,
            "LIMIT_EXCEEDED" => LimitExceeded,
            "LOCKED" => Locked,
            "UNLOCKED" => Unlocked,
            _ => Other(s.trim().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        use TemplateStatus::*;
        match self {
            Pending => "PENDING",
            Approved => "APPROVED",
            Rejected => "REJECTED",
            Paused => "PAUSED",
            Disabled => "DISABLED",
            Flagged => "FLAGGED",
            InAppeal => "IN_APPEAL",
            Reinstated => "REINSTATED",
            Archived => "ARCHIVED",
            Deleted => "DELETED",
            PendingDeletion => "PENDING_DELETION",
            LimitExceeded => "LIMIT_EXCEEDED",
            Locked => "LOCKED",
            Unlocked => "UNLOCKED",
            Other(s) => s,
        }
    }

    /// Whether messages may be sent with a template in this state. A flagged template is
    /// still approved (at risk); a reinstated one is approved again.
    pub fn is_sendable(&self) -> bool {
        matches!(
            self,
            TemplateStatus::Approved | TemplateStatus::Flagged | TemplateStatus::Reinstated
        )
    }
}

impl fmt::Display for TemplateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{{1}}` (positional) or `{{first_name}}` (named) variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParameterFormat {
    #[default]
    Positional,
    Named,
}

impl ParameterFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterFormat::Positional => "POSITIONAL",
            ParameterFormat::Named => "NAMED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateHeader {
    /// Text with at most one variable; `example` is its sample value.
    Text {
        text: String,
        example: Option<String>,
    },
    /// An image, video or document; `example_handle` is the upload handle Meta reviews.
    Media {
        format: HeaderMediaFormat,
        example_handle: Option<String>,
    },
    Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderMediaFormat {
    Image,
    Video,
    Document,
}

impl HeaderMediaFormat {
    fn as_str(self) -> &'static str {
        match self {
            HeaderMediaFormat::Image => "IMAGE",
            HeaderMediaFormat::Video => "VIDEO",
            HeaderMediaFormat::Document => "DOCUMENT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateButton {
    QuickReply {
        text: String,
    },
    /// `url` may end in one variable (`https://x.example/o/{{1}}`); `example` is a full URL.
    Url {
        text: String,
        url: String,
        example: Option<String>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        example: String,
    },
    /// A button type this code does not model (OTP, flow, catalog…), kept as JSON.
    Other(Value),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateComponent {
    Header(TemplateHeader),
    Body {
        text: String,
        /// Sample values for `{{1}}…{{n}}` (positional format), in order.
        examples: Vec<String>,
        /// Sample values by variable name (named format).
        named_examples: Vec<(String, String)>,
    },
    Footer {
        text: String,
    },
    Buttons(Vec<TemplateButton>),
    /// A component this code does not model (carousel, limited-time offer, authentication
    /// extras…), sent and kept as JSON.
    Other(Value),
}

impl TemplateComponent {
    /// A body with positional examples.
    pub fn body<S: Into<String>>(
        text: impl Into<String>,
        examples: impl IntoIterator<Item = S>,
    ) -> Self {
        TemplateComponent::Body {
            text: text.into(),
            examples: examples.into_iter().map(Into::into).collect(),
            named_examples: Vec::new(),
        }
    }

    /// The create-request JSON of this component.
    pub fn to_json(&self, format: ParameterFormat) -> Value {
        match self {
            TemplateComponent::Header(TemplateHeader::Text { text, example }) => {
                let mut m = Map::new();
                m.insert("type".into(), json!("HEADER"));
                m.insert("format".into(), json!("TEXT"));
                m.insert("text".into(), json!(text));
                if let Some(ex) = example {
                    let example = match (format, variables(text).first()) {
                        (ParameterFormat::Named, Some(name)) => {
                            json!({ "header_text_named_params": [{ "param_name": name, "example": ex }] })
                        }
                        _ => json!({ "header_text": [ex] }),
                    };
                    m.insert("example".into(), example);
                }
                Value::Object(m)
            }
            TemplateComponent::Header(TemplateHeader::Media {
                format: f,
                example_handle,
            }) => {
                let mut m = Map::new();
                m.insert("type".into(), json!("HEADER"));
                m.insert("format".into(), json!(f.as_str()));
                if let Some(h) = example_handle {
                    m.insert("example".into(), json!({ "header_handle": [h] }));
                }
                Value::Object(m)
            }
            TemplateComponent::Header(TemplateHeader::Location) => {
                json!({ "type": "HEADER", "format": "LOCATION" })
            }
            TemplateComponent::Body {
                text,
                examples,
                named_examples,
            } => {
                let mut m = Map::new();
                m.insert("type".into(), json!("BODY"));
                m.insert("text".into(), json!(text));
                if format == ParameterFormat::Named && !named_examples.is_empty() {
                    let named: Vec<Value> = named_examples
                        .iter()
                        .map(|(n, e)| json!({ "param_name": n, "example": e }))
                        .collect();
                    m.insert("example".into(), json!({ "body_text_named_params": named }));
                } else if !examples.is_empty() {
                    m.insert("example".into(), json!({ "body_text": [examples] }));
                }
                Value::Object(m)
            }
            TemplateComponent::Footer { text } => json!({ "type": "FOOTER", "text": text }),
            TemplateComponent::Buttons(buttons) => {
                let list: Vec<Value> = buttons.iter().map(button_json).collect();
                json!({ "type": "BUTTONS", "buttons": list })
            }
            TemplateComponent::Other(v) => v.clone(),
        }
    }

    /// Reads a component from the list call (same shape as the create request).
    pub fn from_json(v: &Value) -> TemplateComponent {
        let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = s("type").unwrap_or_default().to_ascii_uppercase();
        let example = v.get("example");
        match kind.as_str() {
            "HEADER" => {
                let format = s("format").unwrap_or_default().to_ascii_uppercase();
                let media = match format.as_str() {
                    "IMAGE" => Some(HeaderMediaFormat::Image),
                    "VIDEO" => Some(HeaderMediaFormat::Video),
                    "DOCUMENT" => Some(HeaderMediaFormat::Document),
                    _ => None,
                };
                match (format.as_str(), media) {
                    (_, Some(f)) => TemplateComponent::Header(TemplateHeader::Media {
                        format: f,
                        example_handle: example
                            .and_then(|e| e.get("header_handle"))
                            .and_then(|h| h.get(0))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    }),
                    ("LOCATION", None) => TemplateComponent::Header(TemplateHeader::Location),
                    ("TEXT", None) | ("", None) => {
                        let Some(text) = s("text") else {
                            return TemplateComponent::Other(v.clone());
                        };
                        let ex = example.and_then(|e| {
                            e.get("header_text")
                                .and_then(|h| h.get(0))
                                .or_else(|| {
                                    e.get("header_text_named_params")
                                        .and_then(|h| h.get(0))
                                        .and_then(|p| p.get("example"))
                                })
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        });
                        TemplateComponent::Header(TemplateHeader::Text { text, example: ex })
                    }
                    _ => TemplateComponent::Other(v.clone()),
                }
            }
            "BODY" => {
                let Some(text) = s("text") else {
                    return TemplateComponent::Other(v.clone());
                };
                let examples = example
                    .and_then(|e| e.get("body_text"))
                    .and_then(|b| b.get(0))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let named_examples = example
                    .and_then(|e| e.get("body_text_named_params"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| {
                                Some((
                                    p.get("param_name")?.as_str()?.to_owned(),
                                    p.get("example")?.as_str()?.to_owned(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                TemplateComponent::Body {
                    text,
                    examples,
                    named_examples,
                }
            }
            "FOOTER" => match s("text") {
                Some(text) => TemplateComponent::Footer { text },
                None => TemplateComponent::Other(v.clone()),
            },
            "BUTTONS" => match v.get("buttons").and_then(Value::as_array) {
                Some(list) => TemplateComponent::Buttons(list.iter().map(parse_button).collect()),
                None => TemplateComponent::Other(v.clone()),
            },
            _ => TemplateComponent::Other(v.clone()),
        }
    }
}

fn button_json(b: &TemplateButton) -> Value {
    match b {
        TemplateButton::QuickReply { text } => json!({ "type": "QUICK_REPLY", "text": text }),
        TemplateButton::Url { text, url, example } => {
            let mut m = Map::new();
            m.insert("type".into(), json!("URL"));
            m.insert("text".into(), json!(text));
            m.insert("url".into(), json!(url));
            if let Some(ex) = example {
                m.insert("example".into(), json!([ex]));
            }
            Value::Object(m)
        }
        TemplateButton::PhoneNumber { text, phone_number } => {
            json!({ "type": "PHONE_NUMBER", "text": text, "phone_number": phone_number })
        }
        TemplateButton::CopyCode { example } => json!({ "type": "COPY_CODE", "example": example }),
        TemplateButton::Other(v) => v.clone(),
    }
}

fn parse_button(v: &Value) -> TemplateButton {
    let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = s("type").unwrap_or_default().to_ascii_uppercase();
    match (kind.as_str(), s("text")) {
        ("QUICK_REPLY", Some(text)) => TemplateButton::QuickReply { text },
        ("URL", Some(text)) => match s("url") {
            Some(url) => TemplateButton::Url {
                text,
                url,
                example: v
                    .get("example")
                    .and_then(|e| e.get(0).or(Some(e)))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            None => TemplateButton::Other(v.clone()),
        },
        ("PHONE_NUMBER", Some(text)) => match s("phone_number") {
            Some(phone_number) => TemplateButton::PhoneNumber { text, phone_number },
            None => TemplateButton::Other(v.clone()),
        },
        ("COPY_CODE", _) => {
            let example = v
                .get("example")
                .and_then(|e| e.as_str().or_else(|| e.get(0).and_then(Value::as_str)));
            match example {
                Some(e) => TemplateButton::CopyCode {
                    example: e.to_owned(),
                },
                None => TemplateButton::Other(v.clone()),
            }
        }
        _ => TemplateButton::Other(v.clone()),
    }
}

/// A template to submit for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTemplate {
    /// Lowercase letters, digits and underscores.
    pub name: String,
    /// e.g. `en_US`.
    pub language: String,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    pub components: Vec<TemplateComponent>,
}

impl NewTemplate {
    /// Checks what Meta's review would reject for form rather than content.
    pub fn validate(&self) -> Result<(), WhatsAppError> {
        check_template_name(&self.name)?;
        if self.language.trim().is_empty() {
            return Err(WhatsAppError::invalid("the template language is empty"));
        }
        if let TemplateCategory::Other(c) = &self.category {
            return Err(WhatsAppError::invalid(format!(
                "category {c:?} is not MARKETING, UTILITY or AUTHENTICATION"
            )));
        }
        let bodies = self
            .components
            .iter()
            .filter(|c| matches!(c, TemplateComponent::Body { .. }))
            .count();
        // Authentication templates carry Meta's fixed body as an `Other` component.
        if bodies != 1 && self.category != TemplateCategory::Authentication {
            return Err(WhatsAppError::invalid(format!(
                "a template needs exactly one body, this one has {bodies}"
            )));
        }
        for c in &self.components {
            match c {
                TemplateComponent::Body {
                    text,
                    examples,
                    named_examples,
                } => {
                    if text.trim().is_empty() {
                        return Err(WhatsAppError::invalid("the template body is empty"));
                    }
                    check_len("body", text, MAX_BODY_LEN)?;
                    self.check_variables("body", text, examples, named_examples)?;
                }
                TemplateComponent::Header(TemplateHeader::Text { text, example }) => {
                    check_len("header", text, MAX_HEADER_TEXT_LEN)?;
                    let vars = variables(text);
                    if vars.len() > 1 {
                        return Err(WhatsAppError::invalid(
                            "a text header may have at most one variable",
                        ));
                    }
                    if !vars.is_empty() && example.as_deref().is_none_or(|e| e.trim().is_empty()) {
                        return Err(WhatsAppError::invalid(
                            "the header variable needs an example value",
                        ));
                    }
                    if let (ParameterFormat::Positional, Some(v)) =
                        (self.parameter_format, vars.first())
                        && v != "1"
                    {
                        return Err(WhatsAppError::invalid("the header variable must be {{1}}"));
                    }
                }
                TemplateComponent::Footer { text } => {
                    check_len("footer", text, MAX_FOOTER_LEN)?;
                    if !variables(text).is_empty() {
                        return Err(WhatsAppError::invalid("a footer cannot have variables"));
                    }
                }
                TemplateComponent::Buttons(buttons) => {
                    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
                        return Err(WhatsAppError::invalid(format!(
                            "a template has 1 to {MAX_BUTTONS} buttons, this one has {}",
                            buttons.len()
                        )));
                    }
                    for b in buttons {
                        check_button(b)?;
                    }
                }
                TemplateComponent::Header(_) | TemplateComponent::Other(_) => {}
            }
        }
        Ok(())
    }

    fn check_variables(
        &self,
        part: &str,
        text: &str,
        examples: &[String],
        named: &[(String, String)],
    ) -> Result<(), WhatsAppError> {
        let vars = variables(text);
        if vars.is_empty() {
            return Ok(());
        }
        match self.parameter_format {
            ParameterFormat::Positional => {
                let mut nums = Vec::with_capacity(vars.len());
                for v in &vars {
                    match v.parse::<usize>() {
                        Ok(n) if n >= 1 => nums.push(n),
                        _ => {
                            return Err(WhatsAppError::invalid(format!(
                                "the {part} variable {{{{{v}}}}} is not a number; use {{{{1}}}}, {{{{2}}}}… or the NAMED format"
                            )));
                        }
                    }
                }
                nums.sort_unstable();
                if nums.iter().enumerate().any(|(i, n)| *n != i + 1) {
                    return Err(WhatsAppError::invalid(format!(
                        "the {part} variables must be numbered {{{{1}}}} to {{{{{}}}}} without gaps",
                        vars.len()
                    )));
                }
                if examples.len() != vars.len() || examples.iter().any(|e| e.trim().is_empty()) {
                    return Err(WhatsAppError::invalid(format!(
                        "the {part} has {} variables and needs as many non-empty examples (got {})",
                        vars.len(),
                        examples.len()
                    )));
                }
            }
            ParameterFormat::Named => {
                for v in &vars {
                    let ok = v
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                    if !ok {
                        return Err(WhatsAppError::invalid(format!(
                            "the {part} variable {{{{{v}}}}} must be lowercase letters, digits and underscores"
                        )));
                    }
                    if !named.iter().any(|(n, e)| n == v && !e.trim().is_empty()) {
                        return Err(WhatsAppError::invalid(format!(
                            "the {part} variable {{{{{v}}}}} needs an example value"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The create-request JSON (public so the UI can show what will be submitted).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("language".into(), json!(self.language));
        m.insert("category".into(), json!(self.category.as_str()));
        if self.parameter_format == ParameterFormat::Named {
            m.insert("parameter_format".into(), json!("NAMED"));
        }
        let comps: Vec<Value> = self
            .components
            .iter()
            .map(|c| c.to_json(self.parameter_format))
            .collect();
        m.insert("components".into(), Value::Array(comps));
        Value::Object(m)
    }

    /// What the phone will show, filled with the example values.
    pub fn preview(&self) -> TemplatePreview {
        preview(&self.components, None, None)
    }
}

fn check_button(b: &TemplateButton) -> Result<(), WhatsAppError> {
    let text = match b {
        TemplateButton::QuickReply { text }
        | TemplateButton::Url { text, .. }
        | TemplateButton::PhoneNumber { text, .. } => text,
        TemplateButton::CopyCode { example } => {
            if example.trim().is_empty() {
                return Err(WhatsAppError::invalid(
                    "a copy-code button needs an example code",
                ));
            }
            return Ok(());
        }
        TemplateButton::Other(_) => return Ok(()),
    };
    if text.trim().is_empty() {
        return Err(WhatsAppError::invalid("a button has no text"));
    }
    check_len("button text", text, MAX_BUTTON_TEXT_LEN)?;
    if let TemplateButton::Url { url, example, .. } = b {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(WhatsAppError::invalid(format!(
                "button URL {url:?} is not an http(s) URL"
            )));
        }
        let vars = variables(url);
        if vars.len() > 1 || (vars.len() == 1 && !url.trim_end().ends_with("}}")) {
            return Err(WhatsAppError::invalid(
                "a button URL may have one variable, at its end",
            ));
        }
        if !vars.is_empty() && example.is_none() {
            return Err(WhatsAppError::invalid(
                "a button URL with a variable needs an example URL",
            ));
        }
    }
    Ok(())
}

fn check_len(part: &str, text: &str, max: usize) -> Result<(), WhatsAppError> {
    let n = text.chars().count();
    if n > max {
        return Err(WhatsAppError::invalid(format!(
            "the {part} has {n} characters, more than the {max} allowed"
        )));
    }
    Ok(())
}

pub(crate) fn check_template_name(name: &str) -> Result<(), WhatsAppError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(WhatsAppError::invalid(format!(
            "template name {name:?} must be 1-{MAX_NAME_LEN} lowercase letters, digits or underscores"
        )))
    }
}

/// What the create call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTemplate {
    pub id: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
}

impl CreatedTemplate {
    pub(crate) fn from_json(v: &Value) -> Option<CreatedTemplate> {
        Some(CreatedTemplate {
            id: id_string(v.get("id")?)?,
            status: TemplateStatus::parse(
                v.get("status").and_then(Value::as_str).unwrap_or("PENDING"),
            ),
            category: TemplateCategory::parse(
                v.get("category")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
        })
    }
}

/// A template as the account has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    pub components: Vec<TemplateComponent>,
    /// `NONE` from Meta is reported as `None`.
    pub rejected_reason: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality_score: Option<String>,
}

impl Template {
    /// Reads one entry of the list call's `data`; `None` when id or name is missing.
    pub fn from_json(v: &Value) -> Option<Template> {
        let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Template {
            id: id_string(v.get("id")?)?,
            name: s("name")?,
            language: s("language").unwrap_or_default(),
            status: TemplateStatus::parse(&s("status").unwrap_or_default()),
            category: TemplateCategory::parse(&s("category").unwrap_or_default()),
            parameter_format: match s("parameter_format").as_deref() {
                Some(f) if f.eq_ignore_ascii_case("NAMED") => ParameterFormat::Named,
                _ => ParameterFormat::Positional,
            },
            components: v
                .get("components")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(TemplateComponent::from_json).collect())
                .unwrap_or_default(),
            rejected_reason: s("rejected_reason").filter(|r| r != "NONE" && !r.is_empty()),
            quality_score: v
                .get("quality_score")
                .and_then(|q| q.get("score").or(Some(q)))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The body text, if the template has one.
    pub fn body_text(&self) -> Option<&str> {
        self.components.iter().find_map(|c| match c {
            TemplateComponent::Body { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }

    /// How many body parameters a send must carry.
    pub fn body_param_count(&self) -> usize {
        self.body_text().map_or(0, |t| variables(t).len())
    }

    /// What the phone will show with the example values.
    pub fn preview(&self) -> TemplatePreview {
        preview(&self.components, None, None)
    }
}

/// Template ids come as strings in API answers and as numbers in webhooks.
pub(crate) fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(_) => as_i64_lenient(v).map(|n| n.to_string()),
        _ => None,
    }
}

/// The distinct variable names in `text` (`{{1}}` → `1`, `{{ name }}` → `name`), in order of
/// first appearance.
pub fn variables(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !name.is_empty() && !name.contains('{') && !out.iter().any(|v| v == name) {
            out.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    out
}

/// Replaces each `{{var}}` with `lookup(var)`; a variable without a value stays as typed, so
/// a preview shows what is missing.
pub fn render_with(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        out.push_str(&rest[..start]);
        match lookup(name).filter(|_| !name.is_empty() && !name.contains('{')) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Fills `{{1}}`, `{{2}}`… from `params` (1-based); named variables take the values in
/// the order they first appear.
pub fn render_placeholders(text: &str, params: &[String]) -> String {
    let order = variables(text);
    render_with(text, |var| {
        let idx = match var.parse::<usize>() {
            Ok(n) => n.checked_sub(1)?,
            Err(_) => order.iter().position(|v| v == var)?,
        };
        params.get(idx).cloned()
    })
}

/// A template as the phone shows it. WhatsApp's markup (`*bold*`, `_italic_`,
/// `~strike~`, ```` ```mono``` ````) is kept as typed for the UI to style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplatePreview {
    /// Header text, or `[IMAGE]`/`[VIDEO]`/`[DOCUMENT]`/`[LOCATION]` for media headers.
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    /// Button labels in order.
    pub buttons: Vec<String>,
}

impl fmt::Display for TemplatePreview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = &self.header {
            writeln!(f, "{h}")?;
        }
        write!(f, "{}", self.body)?;
        if let Some(ft) = &self.footer {
            write!(f, "\n{ft}")?;
        }
        for b in &self.buttons {
            write!(f, "\n[ {b} ]")?;
        }
        Ok(())
    }
}

/// Renders components with the given parameters, or with the template's own example values
/// where `None` is passed.
pub fn preview(
    components: &[TemplateComponent],
    header_params: Option<&[String]>,
    body_params: Option<&[String]>,
) -> TemplatePreview {
    let mut p = TemplatePreview::default();
    for c in components {
        match c {
            TemplateComponent::Header(TemplateHeader::Text { text, example }) => {
                let ex: Vec<String> = example.iter().cloned().collect();
                p.header = Some(render_placeholders(text, header_params.unwrap_or(&ex)));
            }
            TemplateComponent::Header(TemplateHeader::Media { format, .. }) => {
                p.header = Some(format!("[{}]", format.as_str()));
            }
            TemplateComponent::Header(TemplateHeader::Location) => {
                p.header = Some("[LOCATION]".into());
            }
            TemplateComponent::Body {
                text,
                examples,
                named_examples,
            } => {
                p.body = match body_params {
                    Some(params) => render_placeholders(text, params),
                    None if !named_examples.is_empty() => render_with(text, |var| {
                        named_examples
                            .iter()
                            .find(|(n, _)| n == var)
                            .map(|(_, e)| e.clone())
                    }),
                    None => render_placeholders(text, examples),
                };
            }
            TemplateComponent::Footer { text } => p.footer = Some(text.clone()),
            TemplateComponent::Buttons(buttons) => {
                for b in buttons {
                    match b {
                        TemplateButton::QuickReply { text }
                        | TemplateButton::Url { text, .. }
                        | TemplateButton::PhoneNumber { text, .. } => p.buttons.push(text.clone()),
                        TemplateButton::CopyCode { .. } => p.buttons.push("Copy code".into()),
                        TemplateButton::Other(v) => {
                            if let Some(t) = v.get("text").and_then(Value::as_str) {
                                p.buttons.push(t.to_owned());
                            }
                        }
                    }
                }
            }
            TemplateComponent::Other(_) => {}
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_rendering() {
        assert_eq!(variables("Hi {{1}}, order {{2}} {{1}}"), vec!["1", "2"]);
        assert_eq!(variables("Hi {{ name }}!"), vec!["name"]);
        assert_eq!(variables("no vars {{}} {{"), Vec::<String>::new());
        let params = vec!["Pablo".to_owned(), "860198".to_owned()];
        assert_eq!(
            render_placeholders("Hi {{1}}, your order {{2}} is confirmed.", &params),
            "Hi Pablo, your order 860198 is confirmed."
        );
        assert_eq!(
            render_placeholders("Hi {{1}}, {{3}}", &params),
            "Hi Pablo, {{3}}"
        );
        assert_eq!(render_placeholders("{{0}} {{", &params), "{{0}} {{");
        assert_eq!(
            render_placeholders("Hi {{first_name}}", &params),
            "Hi Pablo"
        );
    }

    #[test]
    fn validation_catches_what_review_would_reject() {
        let ok = NewTemplate {
            name: "order_confirmation".into(),
            language: "en_US".into(),
            category: TemplateCategory::Utility,
            parameter_format: ParameterFormat::Positional,
            components: vec![TemplateComponent::body(
                "Hi {{1}}, your order {{2}} is confirmed.",
                ["Pablo", "860198-230332"],
            )],
        };
        assert!(ok.validate().is_ok());
        let mut gap = ok.clone();
        gap.components = vec![TemplateComponent::body("Hi {{1}} {{3}}", ["a", "b"])];
        assert!(gap.validate().is_err());
        let mut missing = ok.clone();
        missing.components = vec![TemplateComponent::body("Hi {{1}} {{2}}", ["a"])];
        assert!(missing.validate().is_err());
        let mut bad_name = ok.clone();
        bad_name.name = "Order Confirmation".into();
        assert!(bad_name.validate().is_err());
        let mut no_body = ok.clone();
        no_body.components = vec![TemplateComponent::Footer { text: "x".into() }];
        assert!(no_body.validate().is_err());
        let mut named = ok.clone();
        named.parameter_format = ParameterFormat::Named;
        named.components = vec![TemplateComponent::Body {
            text: "Hi {{first_name}}".into(),
            examples: vec![],
            named_examples: vec![("first_name".into(), "Pablo".into())],
        }];
        assert!(named.validate().is_ok());
        assert_eq!(named.preview().body, "Hi Pablo");
        assert_eq!(
            named.to_json()["components"][0]["example"],
            json!({ "body_text_named_params": [{ "param_name": "first_name", "example": "Pablo" }] })
        );
    }
}
