//! Byte-level preparation and small helpers over `mail-parser`.
//!
//! Inbound mail arrives with any line ending (IMAP gives CRLF, files on disk LF, some old
//! Mac tools bare CR) and sometimes enormous attachments. We cap the input first, normalise
//! the line endings to LF, then let `mail-parser` build the MIME tree. Everything the
//! classifier reads comes through the helpers here, which never panic.

use std::borrow::Cow;

use mail_parser::{
    Header, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// At most this many bytes of a message are parsed (2 MiB).
///
/// Everything the classifier needs sits at the start of a message: headers, the human text,
/// and in a bounce the status report, which RFC 3464 puts before the returned original. A
/// 30 MB attachment is therefore cut off without losing information, and parsing stays fast
/// and memory bounded whatever the input size. A cut inside a MIME part is handled by
/// `mail-parser`'s recovery of unterminated parts.
pub const MAX_PARSE_BYTES: usize = 2 * 1024 * 1024;

/// At most this many characters of decoded text are scanned by the wording rules (64 KiB).
///
/// Human replies, auto-replies and bounce explanations are short; the cap keeps the regex
/// passes linear in a small constant even on hostile input.
pub const MAX_SCAN_CHARS: usize = 64 * 1024;

/// Converts CRLF and bare CR line endings to LF.
///
/// Why LF: it is what files on disk and most tools use, and `mail-parser` accepts it, so the
/// rest of the crate only ever deals with one line ending.
pub fn normalize_line_endings(data: &[u8]) -> Cow<'_, [u8]> {
    if !data.contains(&b'\r') {
        return Cow::Borrowed(data);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'\r' {
            out.push(b'\n');
            if data.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// Caps and normalises raw input; returns owned LF-terminated bytes ready for parsing.
pub(crate) fn prepare(raw: &[u8]) -> Vec<u8> {
    let capped = &raw[..raw.len().min(MAX_PARSE_BYTES)];
    normalize_line_endings(capped).into_owned()
}

/// Parses prepared bytes into a MIME tree. `None` only for input with nothing parseable.
pub(crate) fn parse(data: &[u8]) -> Option<Message<'_>> {
    MessageParser::default().parse(data)
}

/// Compiles one of the crate's constant patterns.
///
/// The patterns are literals checked by the unit tests, so a failure here is a programming
/// error caught before release, never a reaction to input.
#[allow(clippy::expect_used)]
pub(crate) fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("constant regex must compile")
}

/// Truncates a string to at most `max` bytes on a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Renders any header value as plain text (addresses as `name <addr>` lists, lists joined).
pub(crate) fn value_text(v: &HeaderValue<'_>) -> Option<String> {
    match v {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => Some(l.join(", ")),
        HeaderValue::Address(a) => {
            let parts: Vec<String> = a
                .iter()
                .map(|ad| match (ad.name(), ad.address()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (None, Some(e)) => e.to_string(),
                    (Some(n), None) => n.to_string(),
                    (None, None) => String::new(),
                })
                .collect();
            Some(parts.join(", "))
        }
        HeaderValue::DateTime(d) => Some(d.to_rfc3339()),
        HeaderValue::ContentType(ct) => Some(match &ct.c_subtype {
            Some(s) => format!("{}/{}", ct.c_type, s),
            None => ct.c_type.to_string(),
        }),
        HeaderValue::Received(_) | HeaderValue::Empty => None,
    }
}

/// The first header called `name` (case-insensitive) as text.
pub(crate) fn header_text(headers: &[Header<'_>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .and_then(|h| value_text(h.value()))
        .map(|s| s.trim().to_string())
}

/// True when any header name satisfies `pred` (names compared lower-cased).
pub(crate) fn any_header(headers: &[Header<'_>], mut pred: impl FnMut(&str, &str) -> bool) -> bool {
    headers.iter().any(|h| {
        let name = h.name().to_ascii_lowercase();
        let value = value_text(h.value())
            .unwrap_or_default()
            .to_ascii_lowercase();
        pred(&name, &value)
    })
}

/// Lower-cased `type/subtype` of a part ("text/plain" when absent, as MIME says).
pub(crate) fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(s) => format!("{}/{}", ct.c_type, s).to_ascii_lowercase(),
            None => ct.c_type.to_ascii_lowercase(),
        },
        None => "text/plain".to_string(),
    }
}

/// A Content-Type parameter of a part, lower-cased.
pub(crate) fn mime_param(part: &MessagePart<'_>, name: &str) -> Option<String> {
    part.content_type()
        .and_then(|ct| ct.attribute(name))
        .map(|v| v.trim().to_ascii_lowercase())
}

/// The decoded content of a leaf part as text (lossy for binary), capped to `MAX_SCAN_CHARS`.
pub(crate) fn part_text<'a>(part: &'a MessagePart<'a>) -> Option<Cow<'a, str>> {
    let text: Cow<'a, str> = match &part.body {
        PartType::Text(t) => Cow::Borrowed(t.as_ref()),
        PartType::Html(h) => Cow::Owned(html_to_text(truncate(h, MAX_SCAN_CHARS * 4))),
        PartType::Binary(b) | PartType::InlineBinary(b) => {
            let b = &b[..b.len().min(MAX_SCAN_CHARS)];
            String::from_utf8_lossy(b)
        }
        PartType::Message(m) => {
            let raw = m.raw_message();
            String::from_utf8_lossy(&raw[..raw.len().min(MAX_SCAN_CHARS)])
        }
        PartType::Multipart(_) => return None,
    };
    Some(match text {
        Cow::Borrowed(s) => Cow::Borrowed(truncate(s, MAX_SCAN_CHARS)),
        Cow::Owned(s) => Cow::Owned(truncate(&s, MAX_SCAN_CHARS).to_string()),
    })
}

/// A crude but safe HTML-to-text: drops tags, scripts and styles, turns block ends into new
/// lines, decodes the common entities. Enough for wording rules and new-text extraction.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            let skip_to = if rest.starts_with("<script") {
                rest.find("</script>").map(|p| p + 9)
            } else if rest.starts_with("<style") {
                rest.find("</style>").map(|p| p + 8)
            } else if rest.starts_with("<!--") {
                rest.find("-->").map(|p| p + 3)
            } else {
                None
            };
            if let Some(n) = skip_to {
                i += n;
                continue;
            }
            let end = rest.find('>').map(|p| i + p + 1).unwrap_or(bytes.len());
            let tag = &lower[i..end];
            if tag.starts_with("<br")
                || tag.starts_with("</p")
                || tag.starts_with("</div")
                || tag.starts_with("</tr")
                || tag.starts_with("</li")
                || tag.starts_with("<hr")
                || tag.starts_with("</h")
            {
                out.push('\n');
            } else if tag.starts_with("<blockquote") {
                out.push_str("\n\u{1}QUOTE_START\n");
            } else if tag.starts_with("</blockquote") {
                out.push_str("\n\u{1}QUOTE_END\n");
            }
            i = end;
        } else {
            let next = html[i..].find('<').map(|p| i + p).unwrap_or(bytes.len());
            out.push_str(&html[i..next]);
            i = next;
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // Blockquotes become `>` quoted lines so that quote removal treats them like plain text.
    let mut result = String::with_capacity(out.len());
    let mut depth = 0usize;
    for line in out.lines() {
        match line {
            "\u{1}QUOTE_START" => depth += 1,
            "\u{1}QUOTE_END" => depth = depth.saturating_sub(1),
            _ => {
                let line = line.trim();
                if depth > 0 {
                    result.push_str("> ");
                }
                result.push_str(line);
                result.push('\n');
            }
        }
    }
    result
}

/// Normalises a Message-ID: trims whitespace and angle brackets.
pub(crate) fn norm_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if id.is_empty() || id.len() > 998 {
        None
    } else {
        Some(id.to_string())
    }
}

/// Splits a header holding one or more `<id>`s (or bare ids) into normalised ids.
pub(crate) fn split_ids(v: &str) -> Vec<String> {
    let mut ids = Vec::new();
    if v.contains('<') {
        for chunk in v.split('<').skip(1) {
            if let Some(end) = chunk.find('>')
                && let Some(id) = norm_id(&chunk[..end])
            {
                ids.push(id);
            }
        }
    } else {
        ids.extend(
            v.split(|c: char| c.is_whitespace() || c == ',')
                .filter_map(norm_id),
        );
    }
    ids
}

/// Ids from an In-Reply-To/References/Message-ID header value as `mail-parser` returns it.
pub(crate) fn ids_of(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => split_ids(t),
        HeaderValue::TextList(l) => l.iter().filter_map(|s| norm_id(s)).collect(),
        _ => Vec::new(),
    }
}

/// Extracts the bare, lower-cased address from `Name <a@b>`, `<a@b>`, `rfc822; a@b`, `a@b`.
pub(crate) fn bare_address(s: &str) -> Option<String> {
    let s = s.trim();
    let s = match s.find(';') {
        Some(p) if s[..p].trim().eq_ignore_ascii_case("rfc822") => &s[p + 1..],
        _ => s,
    };
    let s = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    let s = s
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c == ',' || c == ';' || c == ':');
    let s = s.strip_prefix("mailto:").unwrap_or(s);
    let at = s.find('@')?;
    if at == 0 || at + 1 >= s.len() || s.contains(char::is_whitespace) || s.len() > 320 {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_crlf_and_cr_all_become_lf() {
        assert_eq!(&*normalize_line_endings(b"a\nb\n"), b"a\nb\n");
        assert_eq!(&*normalize_line_endings(b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(&*normalize_line_endings(b"a\rb\r"), b"a\nb\n");
        assert_eq!(&*normalize_line_endings(b"a\r\n\rb\n\r\n"), b"a\n\nb\n\n");
        assert_eq!(&*normalize_line_endings(b""), b"");
        assert_eq!(&*normalize_line_endings(b"\r"), b"\n");
    }

    #[test]
    fn ids_and_addresses() {
        assert_eq!(split_ids("<a@b> <c@d>\n <e@f>"), vec!["a@b", "c@d", "e@f"]);
        assert_eq!(split_ids("a@b"), vec!["a@b"]);
        assert_eq!(
            bare_address("rfc822; Bob@Example.COM").as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(
            bare_address("Bob <bob@x.org>").as_deref(),
            Some("bob@x.org")
        );
        assert_eq!(bare_address("no address"), None);
    }

    #[test]
    fn html_blockquote_becomes_quote() {
        let t = html_to_text("<p>Yes please</p><blockquote><p>Old text</p></blockquote>");
        assert!(t.contains("Yes please"));
        assert!(t.contains("> Old text"));
    }
}
