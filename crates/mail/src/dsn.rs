//! RFC 3464 delivery status notifications (and RFC 6533's global variant).
//!
//! A DSN is `multipart/report; report-type=delivery-status` with a human text part, a
//! `message/delivery-status` part (one block of per-message fields, then one block per
//! recipient) and usually the returned original (`message/rfc822` or `text/rfc822-headers`).
//! The machine-readable part is the truth: we read every recipient block from it.

use std::sync::LazyLock;

use mail_parser::{Message, PartType};
use regex::Regex;

use crate::Recipient;
use crate::parse::{bare_address, mime_type, norm_id, part_text, re, split_ids};
use crate::status::{classify_status, find_enhanced, find_smtp_code};

/// One field block of a DSN or ARF body: lower-cased names with unfolded values.
pub(crate) type Fields = Vec<(String, String)>;

/// Splits a header-like body into blocks separated by blank lines, unfolding continuation
/// lines. Lines that are not `Name: value` are ignored. Bounded by the input size.
pub(crate) fn parse_field_blocks(text: &str) -> Vec<Fields> {
    let mut blocks = Vec::new();
    let mut current: Fields = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') && name.len() < 80 {
                current.push((name.to_ascii_lowercase(), value.trim().to_string()));
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// The first value of field `name` in a block.
pub(crate) fn field<'a>(block: &'a Fields, name: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// What the delivery-status part told us.
#[derive(Debug, Default)]
pub(crate) struct DsnReport {
    /// Failed or delayed recipients (delivered/relayed/expanded ones are left out).
    pub recipients: Vec<Recipient>,
    /// True when every listed recipient is `Action: delayed`.
    pub all_delayed: bool,
    /// True when a delivery-status part was present at all.
    pub present: bool,
}

/// Reads the `message/delivery-status` part of a message, if there is one.
pub(crate) fn parse_dsn(msg: &Message<'_>) -> DsnReport {
    let mut report = DsnReport::default();
    let mut delayed_flags = Vec::new();
    for part in &msg.parts {
        let mt = mime_type(part);
        if mt != "message/delivery-status" && mt != "message/global-delivery-status" {
            continue;
        }
        report.present = true;
        let Some(text) = part_text(part) else {
            continue;
        };
        for block in parse_field_blocks(&text) {
            let Some((recipient, delayed)) = recipient_from_block(&block) else {
                continue;
            };
            if report
                .recipients
                .iter()
                .any(|r| r.address == recipient.address)
            {
                continue;
            }
            delayed_flags.push(delayed);
            report.recipients.push(recipient);
        }
    }
    report.all_delayed = !delayed_flags.is_empty() && delayed_flags.iter().all(|d| *d);
    report
}

/// Builds one recipient from a per-recipient block; `None` for per-message blocks and for
/// recipients that were delivered, relayed or expanded. Returns the recipient and whether
/// it is only delayed.
pub(crate) fn recipient_from_block(block: &Fields) -> Option<(Recipient, bool)> {
    let final_rcpt = field(block, "final-recipient").and_then(bare_address);
    let original = field(block, "original-recipient").and_then(bare_address);
    let address = original.or(final_rcpt)?;
    let status_field = field(block, "status").unwrap_or("");
    let diagnostic = field(block, "diagnostic-code").map(strip_type);
    let mut status = find_enhanced(status_field);
    // `5.0.0` says nothing; the diagnostic often has the precise code.
    if let Some(d) = diagnostic.as_deref()
        && let Some(ds) = find_enhanced(d)
        && status
            .as_deref()
            .is_none_or(|s| s.ends_with(".0.0") && ds.starts_with(&s[..1]))
    {
        status = Some(ds);
    }
    let action = field(block, "action").unwrap_or("").to_ascii_lowercase();
    let action = action.trim();
    if matches!(action, "delivered" | "relayed" | "expanded") {
        return None;
    }
    if action.is_empty() && status.as_deref().is_some_and(|s| s.starts_with('2')) {
        return None;
    }
    let delayed = action == "delayed";
    let smtp_code = diagnostic.as_deref().and_then(find_smtp_code);
    let (hard, reason) = classify_status(
        status.as_deref(),
        smtp_code,
        diagnostic.as_deref().unwrap_or(status_field),
        delayed,
    );
    Some((
        Recipient {
            address,
            status,
            smtp_code,
            hard,
            reason,
            diagnostic: diagnostic.filter(|d| !d.is_empty()),
        },
        delayed,
    ))
}

/// Drops the `smtp;` / `X-Postfix;` type prefix of a Diagnostic-Code and squeezes spaces.
fn strip_type(v: &str) -> String {
    let v = match v.split_once(';') {
        Some((kind, rest)) if !kind.contains(' ') && kind.len() < 20 => rest,
        _ => v,
    };
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

static MESSAGE_ID_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?mi)^\s*Message-ID:\s*(<[^>\s]{1,500}>|\S{3,500})"));

/// Finds the Message-ID of the original message a report is about: from an attached
/// `message/rfc822`, a `text/rfc822-headers` part, or a `Message-ID:` line quoted in the
/// report's text (vendor formats paste the original headers into the body).
pub(crate) fn original_message_id(msg: &Message<'_>) -> Option<String> {
    for part in msg.parts.iter().skip(1) {
        if let PartType::Message(inner) = &part.body {
            if let Some(id) = inner.message_id().and_then(norm_id) {
                return Some(id);
            }
            // A truncated or header-only original may not parse as a full message.
            if let Some(id) = id_from_text(&String::from_utf8_lossy(inner.raw_message())) {
                return Some(id);
            }
        }
    }
    for part in msg.parts.iter().skip(1) {
        let mt = mime_type(part);
        if (mt == "text/rfc822-headers"
            || mt == "message/rfc822-headers"
            || mt == "message/global-headers"
            || mt == "message/rfc822")
            && let Some(text) = part_text(part)
            && let Some(id) = id_from_text(&text)
        {
            return Some(id);
        }
    }
    // Vendor formats: headers of the original quoted in the text after a marker.
    for part in msg.parts.iter() {
        if let PartType::Text(t) = &part.body
            && let Some(id) = id_from_text(crate::parse::truncate(t, crate::MAX_SCAN_CHARS))
        {
            return Some(id);
        }
    }
    None
}

/// The first `Message-ID:` header line in a text block.
pub(crate) fn id_from_text(text: &str) -> Option<String> {
    let caps = MESSAGE_ID_LINE.captures(text)?;
    split_ids(&caps[1]).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BounceReason;

    #[test]
    fn blocks_and_recipients() {
        let text = "Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 3 Nov 2025\n\n\
Final-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.0.0\n\
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address\n rejected: User unknown\n";
        let blocks = parse_field_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert!(recipient_from_block(&blocks[0]).is_none());
        let (r, delayed) = recipient_from_block(&blocks[1]).unwrap_or_else(|| panic!("recipient"));
        assert!(!delayed);
        assert_eq!(r.address, "bob@example.com");
        assert_eq!(r.status.as_deref(), Some("5.1.1"));
        assert_eq!(r.smtp_code, Some(550));
        assert!(r.hard);
        assert_eq!(r.reason, BounceReason::UserUnknown);
        assert_eq!(
            r.diagnostic.as_deref(),
            Some("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
        );
    }
}
