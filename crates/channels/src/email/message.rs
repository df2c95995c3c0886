//! Turns the app's plain description of an email into RFC 5322 bytes.
//!
//! The app decides *what* to say; this module owns *how* it is written: encoded words for
//! UTF-8 names and subjects, multipart/alternative when there is HTML, the RFC 8058
//! one-click unsubscribe pair, and the caller's deterministic Message-ID (the outbox relies on
//! it to recognise a message after a crash). Every outside string is checked here so a bad
//! address or a header with a line break becomes a clear per-message error, never an injected
//! header.

use std::time::SystemTime;

use lettre::Address;
use lettre::message::header::{HeaderName, HeaderValue, MessageId};
use lettre::message::{Mailbox, MultiPart, SinglePart};

/// An email to send, as the app describes it. Plain data: templates are already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from_name: String,
    pub from_email: String,
    /// An address or `Name <address>`.
    pub reply_to: Option<String>,
    pub to_name: Option<String>,
    pub to_email: String,
    pub subject: String,
    pub text: String,
    /// When present the message is multipart/alternative (text first, then HTML).
    pub html: Option<String>,
    /// Caller-provided and deterministic, e.g. `<m123.abc@sender-domain>`; written exactly as
    /// given.
    pub message_id: String,
    pub list_unsubscribe: Option<ListUnsubscribe>,
    /// More headers (e.g. `X-Campaign`); values are encoded, names are checked, and headers
    /// the builder owns cannot be overridden.
    pub extra_headers: Vec<(String, String)>,
}

/// The RFC 8058 unsubscribe targets of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe {
    /// The one-click URL (`https://…/u/{token}`); receivers POST `List-Unsubscribe=One-Click`.
    pub url: String,
    /// An optional `mailto:` alternative (with or without the `mailto:` prefix).
    pub mailto: Option<String>,
}

/// Why a message could not be built. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("invalid {field} address {value:?}: {reason}")]
    InvalidAddress {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("invalid Message-ID {0:?}: expected <local@domain> in printable ASCII without spaces")]
    InvalidMessageId(String),
    #[error("invalid List-Unsubscribe URL {0:?}: expected one http(s) URL in printable ASCII")]
    InvalidUnsubscribeUrl(String),
    #[error("invalid List-Unsubscribe mailto {0:?}: expected mailto:address")]
    InvalidUnsubscribeMailto(String),
    #[error("invalid header name {0:?}")]
    InvalidHeaderName(String),
    #[error("header {0} is written by the message builder and cannot be set as an extra header")]
    ReservedHeader(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("could not build the message: {0}")]
    Build(String),
}

/// Headers the builder writes itself (or that a signer/transport adds); letting callers set
/// them would produce duplicates or forge what DKIM covers.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "dkim-signature",
    "return-path",
    "received",
];

/// Builds the message with the current time as `Date`.
pub fn build_message(email: &OutgoingEmail) -> Result<Vec<u8>, MessageError> {
    build_message_at(email, SystemTime::now())
}

/// Builds the message with a given `Date` (tests and re-renders use a fixed one).
pub fn build_message_at(email: &OutgoingEmail, date: SystemTime) -> Result<Vec<u8>, MessageError> {
    let from = Mailbox::new(
        non_empty_name(&email.from_name),
        parse_address("From", &email.from_email)?,
    );
    let to = Mailbox::new(
        email.to_name.as_deref().and_then(non_empty_name),
        parse_address("To", &email.to_email)?,
    );
    check_message_id(&email.message_id)?;
    if email.text.is_empty() {
        return Err(MessageError::Empty("text body"));
    }

    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .date(date)
        .header(MessageId::from(email.message_id.clone()));
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(parse_mailbox("Reply-To", reply_to)?);
    }
    if let Some(unsub) = &email.list_unsubscribe {
        let value = list_unsubscribe_value(unsub)?;
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                value,
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    for (name, value) in &email.extra_headers {
        builder = builder.raw_header(extra_header(name, value)?);
    }

    let message = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(SinglePart::plain(email.text.clone())),
    }
    .map_err(|e| MessageError::Build(e.to_string()))?;
    Ok(message.formatted())
}

/// The checked pieces of an email for HTTP APIs, which take fields rather than MIME.
pub(crate) struct ApiParts {
    pub from: Mailbox,
    pub to: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// Message-ID, the List-Unsubscribe pair and the extra headers, values on one line.
    pub headers: Vec<(String, String)>,
}

/// Applies the same checks as [`build_message`] and returns the fields an API needs.
pub(crate) fn api_parts(email: &OutgoingEmail) -> Result<ApiParts, MessageError> {
    let from = Mailbox::new(
        non_empty_name(&email.from_name),
        parse_address("From", &email.from_email)?,
    );
    let to = Mailbox::new(
        email.to_name.as_deref().and_then(non_empty_name),
        parse_address("To", &email.to_email)?,
    );
    check_message_id(&email.message_id)?;
    if email.text.is_empty() {
        return Err(MessageError::Empty("text body"));
    }
    let reply_to = match &email.reply_to {
        Some(r) => Some(parse_mailbox("Reply-To", r)?),
        None => None,
    };
    let mut headers = vec![("Message-ID".to_owned(), email.message_id.clone())];
    if let Some(unsub) = &email.list_unsubscribe {
        headers.push(("List-Unsubscribe".into(), list_unsubscribe_value(unsub)?));
        headers.push((
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ));
    }
    for (name, value) in &email.extra_headers {
        extra_header(name, value)?;
        let one_line: String = value
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        headers.push((name.clone(), one_line));
    }
    Ok(ApiParts {
        from,
        to,
        reply_to,
        headers,
    })
}

/// The `List-Unsubscribe` value: `<https://…>, <mailto:…>` (RFC 2369 / RFC 8058).
pub fn list_unsubscribe_value(unsub: &ListUnsubscribe) -> Result<String, MessageError> {
    let url = unsub.url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    if !scheme_ok || !uri_chars_ok(url) || url.len() > 900 {
        return Err(MessageError::InvalidUnsubscribeUrl(unsub.url.clone()));
    }
    let mut value = format!("<{url}>");
    if let Some(mailto) = &unsub.mailto {
        let m = mailto.trim();
        let addr_part = m
            .strip_prefix("mailto:")
            .or_else(|| m.strip_prefix("MAILTO:"))
            .unwrap_or(m);
        let addr_only = addr_part.split('?').next().unwrap_or(addr_part);
        if !uri_chars_ok(addr_part) || addr_only.parse::<Address>().is_err() {
            return Err(MessageError::InvalidUnsubscribeMailto(mailto.clone()));
        }
        value.push_str(", <mailto:");
        value.push_str(addr_part);
        value.push('>');
    }
    Ok(value)
}

/// Parses a bare address for an envelope or header field, naming the field in the error.
pub(crate) fn parse_address(field: &'static str, value: &str) -> Result<Address, MessageError> {
    value
        .trim()
        .parse::<Address>()
        .map_err(|e| MessageError::InvalidAddress {
            field,
            value: value.to_owned(),
            reason: e.to_string(),
        })
}

/// Parses `address` or `Name <address>` (the name cleaned like any display name).
pub(crate) fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, MessageError> {
    let parsed = value
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| MessageError::InvalidAddress {
            field,
            value: value.to_owned(),
            reason: e.to_string(),
        })?;
    let name = parsed.name.as_deref().and_then(non_empty_name);
    Ok(Mailbox::new(name, parsed.email))
}

/// Display names come from contact data: control characters (line breaks included) become
/// spaces so a name can neither break a header nor make formatting fail.
pub(crate) fn non_empty_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = cleaned.trim();
    (!n.is_empty()).then(|| n.to_owned())
}

fn check_message_id(id: &str) -> Result<(), MessageError> {
    let inner = id.strip_prefix('<').and_then(|s| s.strip_suffix('>'));
    let ok = match inner {
        Some(inner) => {
            let printable = inner
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>'));
            let parts = inner.split_once('@');
            printable
                && id.len() <= 250
                && matches!(parts, Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'))
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(MessageError::InvalidMessageId(id.to_owned()))
    }
}

/// Characters allowed inside `<…>` of a List-Unsubscribe entry: printable ASCII without the
/// delimiters that would end the entry or start another one.
fn uri_chars_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b',' | b'"'))
}

fn extra_header(name: &str, value: &str) -> Result<HeaderValue, MessageError> {
    let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if !valid_name {
        return Err(MessageError::InvalidHeaderName(name.to_owned()));
    }
    if RESERVED_HEADERS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(MessageError::ReservedHeader(name.to_owned()));
    }
    let header_name = HeaderName::new_from_ascii(name.to_owned())
        .map_err(|_| MessageError::InvalidHeaderName(name.to_owned()))?;
    // HeaderValue::new encodes anything outside printable ASCII (CR and LF included) as an
    // RFC 2047 encoded word, so a value can never start a new header.
    Ok(HeaderValue::new(header_name, value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutgoingEmail {
        OutgoingEmail {
            from_name: "Ana Pérez".into(),
            from_email: "ana@sender.example".into(),
            reply_to: Some("Replies <replies@sender.example>".into()),
            to_name: Some("Bob".into()),
            to_email: "bob@example.com".into(),
            subject: "Hello".into(),
            text: "Hi Bob".into(),
            html: None,
            message_id: "<m1.abc@sender.example>".into(),
            list_unsubscribe: Some(ListUnsubscribe {
                url: "https://app.example/u/tok123".into(),
                mailto: Some("unsub+tok123@app.example".into()),
            }),
            extra_headers: vec![("X-Campaign".into(), "42".into())],
        }
    }

    fn text(e: &OutgoingEmail) -> String {
        String::from_utf8(build_message(e).expect("builds")).expect("utf8")
    }

    #[test]
    fn writes_headers_exactly() {
        // Long headers are folded at spaces (RFC 5322 2.2.3); compare the unfolded form.
        let raw = text(&sample()).replace("\r\n ", " ");
        assert!(
            raw.contains("Message-ID: <m1.abc@sender.example>\r\n"),
            "{raw}"
        );
        assert!(raw.contains(
            "List-Unsubscribe: <https://app.example/u/tok123>, <mailto:unsub+tok123@app.example>\r\n"
        ));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(raw.contains("X-Campaign: 42\r\n"));
        assert!(raw.contains("MIME-Version: 1.0\r\n"));
        assert!(raw.contains("Date: "));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        assert!(raw.contains("Reply-To: Replies <replies@sender.example>\r\n"));
        // The non-ASCII display name is an encoded word, never raw UTF-8 in the header.
        assert!(raw.contains("From: =?utf-8?"), "{raw}");
    }

    #[test]
    fn html_makes_multipart_alternative() {
        let mut e = sample();
        e.html = Some("<p>Hi Bob</p>".into());
        let raw = text(&e);
        assert!(
            raw.contains("Content-Type: multipart/alternative;"),
            "{raw}"
        );
        let plain = raw.find("text/plain").expect("plain part");
        let html = raw.find("text/html").expect("html part");
        assert!(plain < html, "text part must come first");
    }

    #[test]
    fn header_injection_is_encoded_not_split() {
        let mut e = sample();
        e.extra_headers = vec![("X-Note".into(), "a\r\nBcc: evil@example.com".into())];
        let raw = text(&e);
        assert!(!raw.contains("\r\nBcc: evil"), "{raw}");
        e.subject = "Hi\r\nBcc: evil@example.com".into();
        let raw = text(&e);
        assert!(!raw.contains("\r\nBcc: evil"), "{raw}");
    }

    #[test]
    fn control_characters_in_names_cannot_break_headers() {
        let mut e = sample();
        e.from_name = "Ana\r\nBcc: evil@example.com".into();
        e.to_name = Some("\u{0}Bob\u{7}".into());
        let raw = String::from_utf8(build_message(&e).expect("builds")).expect("utf8");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(!raw.contains('\u{0}'), "{raw}");
        let parts = api_parts(&e).expect("api parts");
        assert_eq!(
            parts.from.to_string(),
            "\"Ana  Bcc: evil@example.com\" <ana@sender.example>"
        );
        // A reply-to with a line break is refused, not repaired.
        e.reply_to = Some("\"Re\r\nplies\" <replies@sender.example>".into());
        assert!(matches!(
            build_message(&e),
            Err(MessageError::InvalidAddress {
                field: "Reply-To",
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_input_with_clear_reasons() {
        let mut e = sample();
        e.to_email = "not an address".into();
        let err = build_message(&e).unwrap_err();
        assert!(err.to_string().contains("invalid To address"), "{err}");

        let mut e = sample();
        e.message_id = "m1@x".into();
        assert!(matches!(
            build_message(&e),
            Err(MessageError::InvalidMessageId(_))
        ));

        let mut e = sample();
        e.extra_headers = vec![("Message-ID".into(), "<x@y>".into())];
        assert!(matches!(
            build_message(&e),
            Err(MessageError::ReservedHeader(_))
        ));

        let mut e = sample();
        e.extra_headers = vec![("Bad Name".into(), "v".into())];
        assert!(matches!(
            build_message(&e),
            Err(MessageError::InvalidHeaderName(_))
        ));

        let mut e = sample();
        e.list_unsubscribe = Some(ListUnsubscribe {
            url: "javascript:alert(1)".into(),
            mailto: None,
        });
        assert!(matches!(
            build_message(&e),
            Err(MessageError::InvalidUnsubscribeUrl(_))
        ));

        let mut e = sample();
        e.list_unsubscribe = Some(ListUnsubscribe {
            url: "https://a.example/u/x>, <https://evil".into(),
            mailto: None,
        });
        assert!(build_message(&e).is_err());
    }
}
