//! RFC 5965 Abuse Reporting Format (ARF) complaints and similar feedback-loop reports.
//!
//! Mailbox providers (Yahoo, AOL, Comcast, Fastmail, ...) send a `multipart/report;
//! report-type=feedback-report` when a recipient presses "this is spam". Microsoft's JMRP
//! sends the complained-about message as an attachment carrying
//! `X-HmXmrOriginalRecipient`. Either way the answer is the same: suppress and unsubscribe
//! the recipient, so we need their address and the Message-ID of our message.

use mail_parser::{Message, PartType};

use crate::dsn::{field, parse_field_blocks};
use crate::parse::{bare_address, header_text, mime_param, mime_type, part_text};

/// What a complaint report told us.
#[derive(Debug, Default)]
pub(crate) struct FeedbackReport {
    /// `abuse`, `opt-out`, `fraud`, `virus`, `not-spam`, `other` (lower-cased).
    pub feedback_type: String,
    /// The address that complained, when the report (or the attached message) says.
    pub recipient: Option<String>,
    /// A short label of the format, for `Classification::reason`.
    pub format: &'static str,
}

/// Detects an ARF report (or a JMRP-style report) and reads it.
pub(crate) fn parse_feedback(msg: &Message<'_>) -> Option<FeedbackReport> {
    let root = msg.parts.first()?;
    let is_report = mime_type(root) == "multipart/report"
        && mime_param(root, "report-type").as_deref() == Some("feedback-report");
    let fb_part = msg
        .parts
        .iter()
        .find(|p| mime_type(p) == "message/feedback-report");
    if let Some(part) = fb_part {
        let text = part_text(part).unwrap_or_default();
        let blocks = parse_field_blocks(&text);
        let first = blocks.into_iter().next().unwrap_or_default();
        let feedback_type = field(&first, "feedback-type")
            .unwrap_or("other")
            .trim()
            .to_ascii_lowercase();
        let recipient = field(&first, "original-rcpt-to")
            .or_else(|| field(&first, "removal-recipient"))
            .and_then(bare_address)
            .or_else(|| attached_to(msg));
        return Some(FeedbackReport {
            feedback_type,
            recipient,
            format: "RFC 5965 feedback report (ARF)",
        });
    }
    if is_report {
        return Some(FeedbackReport {
            feedback_type: "other".to_string(),
            recipient: attached_to(msg),
            format: "feedback report without a readable feedback part",
        });
    }
    // Microsoft JMRP: an attached message stamped with the original recipient.
    for part in msg.parts.iter().skip(1) {
        if let PartType::Message(inner) = &part.body
            && let Some(rcpt) = header_text(inner.headers(), "X-HmXmrOriginalRecipient")
        {
            return Some(FeedbackReport {
                feedback_type: "abuse".to_string(),
                recipient: bare_address(&rcpt),
                format: "Microsoft JMRP complaint",
            });
        }
    }
    None
}

/// The first To address of the attached original, when there is one.
fn attached_to(msg: &Message<'_>) -> Option<String> {
    msg.parts.iter().skip(1).find_map(|part| match &part.body {
        PartType::Message(inner) => inner
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .and_then(bare_address),
        _ => None,
    })
}
