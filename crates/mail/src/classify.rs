//! The decision: reply, auto-reply, bounce, feedback or other — and the details of each.
//!
//! Order matters and is chosen so that a machine message is never taken for a person:
//! complaints first (they embed our message and look like anything), then bounces (which
//! often also carry `Auto-Submitted`), then auto-replies, then messages that cannot be a
//! lead (mail-system or no-reply senders, mailing lists, bulk mail), and only then a reply,
//! which also needs a sender, a thread marker and some new text.

use mail_parser::{Message, MessagePart, PartType};

use crate::autoreply::{
    AutoSignal, body_says_auto, extract_return_date, header_signal, subject_says_auto,
};
use crate::dsn::{original_message_id, parse_dsn};
use crate::feedback::parse_feedback;
use crate::nonstandard::{
    bounce_subject, is_daemon_address, is_daemon_name, is_delay, is_reply_or_forward_subject,
    report_section, text_recipients, vendor_marker,
};
use crate::parse::{
    bare_address, header_text, ids_of, mime_param, mime_type, parse, part_text, prepare, truncate,
};
use crate::status::{classify_status, find_enhanced, find_smtp_code};
use crate::{BounceReason, Classification, Kind, MAX_SCAN_CHARS, Recipient};

/// Classifies one raw email message (any line ending, any size) and extracts what the app
/// needs to act on it.
///
/// Never panics and never fails: input that is not an email at all comes back as
/// [`Kind::Other`] with a `reason`. Only the first [`crate::MAX_PARSE_BYTES`] bytes are parsed
/// and only [`crate::MAX_SCAN_CHARS`] characters of text are scanned, so time and memory are
/// bounded whatever the input.
pub fn classify(raw: &[u8]) -> Classification {
    let data = prepare(raw);
    if data.iter().all(u8::is_ascii_whitespace) {
        return Classification::new(Kind::Other, "empty input");
    }
    let Some(msg) = parse(&data) else {
        return Classification::new(Kind::Other, "not parseable as an email message");
    };
    classify_message(&msg)
}

/// Header names that any real email message carries at least one of.
const EMAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "received",
    "content-type",
    "return-path",
    "mime-version",
    "sender",
    "in-reply-to",
    "references",
];

fn classify_message(msg: &Message<'_>) -> Classification {
    let headers = msg.headers();
    let mut c = Classification::new(Kind::Other, "");
    if !headers.iter().any(|h| {
        EMAIL_HEADERS
            .iter()
            .any(|n| h.name().eq_ignore_ascii_case(n))
    }) {
        c.reason = "no email headers: not an email message".to_string();
        return c;
    }

    // Common fields.
    c.message_id = msg.message_id().and_then(crate::parse::norm_id);
    c.in_reply_to = ids_of(msg.in_reply_to()).into_iter().next();
    c.references = ids_of(msg.references());
    let from_addr = msg.from().and_then(|a| a.first());
    c.from = from_addr.and_then(|a| a.address()).and_then(bare_address);
    let from_name = from_addr.and_then(|a| a.name()).unwrap_or("").to_string();
    c.subject = msg.subject().map(|s| truncate(s.trim(), 1000).to_string());
    let subject = c.subject.clone().unwrap_or_default();
    let subject_lower = subject.to_lowercase();
    let body = main_text(msg);
    let new_text = crate::extract_new_text(&body);

    // 1. Complaints.
    if let Some(fb) = parse_feedback(msg) {
        c.kind = Kind::Feedback;
        c.reason = format!(
            "complaint: {}, Feedback-Type: {}",
            fb.format, fb.feedback_type
        );
        if let Some(address) = fb.recipient {
            c.recipients.push(Recipient {
                address,
                status: None,
                smtp_code: None,
                hard: false,
                reason: BounceReason::Other,
                diagnostic: Some(format!("feedback-type: {}", fb.feedback_type)),
            });
        }
        c.feedback_type = Some(fb.feedback_type);
        c.original_message_id = original_message_id(msg).or_else(|| c.in_reply_to.clone());
        return c;
    }

    // 2. Bounces.
    let from_daemon =
        c.from.as_deref().is_some_and(is_daemon_address) || is_daemon_name(&from_name);
    let dsn = parse_dsn(msg);
    let root = msg.parts.first();
    let report_ds = root.is_some_and(|r| {
        mime_type(r) == "multipart/report"
            && mime_param(r, "report-type").is_some_and(|t| t.contains("delivery-status"))
    });
    let report = report_text(msg);
    let section = report_section(&report);
    let section_lower = section.to_lowercase();
    let vendor = vendor_marker(&section_lower);
    let subj_bounce = bounce_subject(&subject);
    let has_code = find_enhanced(section).is_some() || find_smtp_code(section).is_some();
    let is_bounce = dsn.present
        || report_ds
        || ((from_daemon || subj_bounce) && vendor.is_some())
        || (from_daemon && subj_bounce)
        || (from_daemon && has_code && vendor.is_some());
    if is_bounce {
        c.kind = Kind::Bounce;
        let delayed_text = is_delay(&section_lower, &subject_lower);
        let exclude: Vec<String> = own_addresses(msg);
        if !dsn.recipients.is_empty() {
            c.delayed = dsn.all_delayed;
            let from_text = text_recipients(section, &exclude, c.delayed);
            c.recipients = dsn.recipients;
            for r in &mut c.recipients {
                if r.diagnostic.is_none()
                    && let Some(t) = from_text.iter().find(|t| t.address == r.address)
                {
                    r.diagnostic = t.diagnostic.clone();
                    r.smtp_code = r.smtp_code.or(t.smtp_code);
                }
            }
            c.reason = "bounce: RFC 3464 delivery-status report".to_string();
        } else {
            c.delayed = delayed_text;
            c.recipients = text_recipients(section, &exclude, delayed_text);
            if c.recipients.is_empty()
                && let Some(address) = attached_recipient(msg)
            {
                let status = find_enhanced(section);
                let smtp_code = find_smtp_code(section);
                let (hard, reason) =
                    classify_status(status.as_deref(), smtp_code, section, delayed_text);
                c.recipients.push(Recipient {
                    address,
                    status,
                    smtp_code,
                    hard,
                    reason,
                    diagnostic: None,
                });
            }
            c.reason = format!(
                "bounce: {} non-delivery text{}",
                vendor.unwrap_or("unrecognised"),
                if c.recipients.is_empty() {
                    " (no recipient found)"
                } else {
                    ""
                }
            );
        }
        if c.delayed {
            c.reason.push_str(", delivery delayed (still retrying)");
        }
        c.original_message_id = original_message_id(msg)
            .filter(|id| Some(id) != c.message_id.as_ref())
            .or_else(|| c.in_reply_to.clone());
        return c;
    }

    c.new_text = (!body.trim().is_empty() || !new_text.is_empty()).then(|| new_text.clone());
    let thread_markers = c.in_reply_to.is_some() || !c.references.is_empty();
    let reply_subject = is_reply_or_forward_subject(&subject_lower)
        && !["fw:", "fwd:", "wg:", "tr:", "rv:", "enc:", "i:", "doorst:"]
            .iter()
            .any(|p| subject_lower.trim_start().starts_with(p));

    // 3. Auto-replies.
    let (signal, signal_reason) = header_signal(headers);
    let subj_auto = subject_says_auto(&subject);
    let body_auto = body_says_auto(&new_text);
    let body_auto_strong =
        body_auto && new_text.len() < 2000 && body_says_auto(truncate(&new_text, 600));
    let auto = match signal {
        AutoSignal::Strong => Some(signal_reason.clone()),
        AutoSignal::Generated if subj_auto || body_auto || thread_markers || reply_subject => {
            Some(signal_reason.clone())
        }
        AutoSignal::Weak if subj_auto || body_auto => {
            Some(format!("{signal_reason} and out-of-office wording"))
        }
        _ if subj_auto => Some("out-of-office wording in the subject".to_string()),
        _ if body_auto_strong => Some("out-of-office wording in the body".to_string()),
        _ => None,
    };
    if let Some(why) = auto {
        c.kind = Kind::AutoReply;
        c.reason = format!("auto-reply: {why}");
        let date = msg.date().map(|d| d.to_rfc3339());
        c.return_date = extract_return_date(&format!("{subject}\n{new_text}"), date.as_deref());
        return c;
    }
    if signal == AutoSignal::Generated {
        c.reason = format!("automatic notification ({signal_reason}), not an answer");
        return c;
    }

    // 4. Senders that are never a person.
    if from_daemon {
        c.reason = "sent by a mail system address, but not a recognisable bounce".to_string();
        return c;
    }
    if c.from.as_deref().is_some_and(is_noreply_address) {
        c.reason = "sent from a no-reply address".to_string();
        return c;
    }

    // 5. Lists and bulk mail.
    if header_text(headers, "List-Id").is_some() {
        c.reason = "mailing list message (List-Id)".to_string();
        return c;
    }
    let precedence = header_text(headers, "Precedence")
        .unwrap_or_default()
        .to_lowercase();
    if !thread_markers
        && (precedence.contains("bulk")
            || precedence.contains("list")
            || precedence.contains("junk"))
    {
        c.reason = format!("bulk message (Precedence: {precedence}) without reply markers");
        return c;
    }
    if !thread_markers && header_text(headers, "List-Unsubscribe").is_some() {
        c.reason =
            "newsletter or bulk message (List-Unsubscribe) without reply markers".to_string();
        return c;
    }

    // 6. A person's reply.
    if !(thread_markers || reply_subject) {
        c.reason = "not a reply: no In-Reply-To, References or Re: subject".to_string();
        return c;
    }
    if c.from.is_none() {
        c.reason = "no sender address".to_string();
        return c;
    }
    if new_text.trim().is_empty() {
        c.reason = "reply markers but no new text".to_string();
        return c;
    }
    c.kind = Kind::Reply;
    c.reason = if thread_markers {
        "reply: answers a thread (In-Reply-To/References)".to_string()
    } else {
        "reply: Re: subject".to_string()
    };
    c
}

/// The ids to look up our sent messages by, most specific first, without angle brackets.
///
/// For a bounce or complaint the Message-ID of our original comes first (it is the only
/// reliable link); then In-Reply-To; then References from newest to oldest. Duplicates are
/// removed.
pub fn thread_keys(c: &Classification) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut push = |k: &str| {
        if let Some(k) = crate::parse::norm_id(k)
            && !keys.contains(&k)
        {
            keys.push(k);
        }
    };
    if let Some(id) = &c.original_message_id {
        push(id);
    }
    if let Some(id) = &c.in_reply_to {
        push(id);
    }
    for id in c.references.iter().rev() {
        push(id);
    }
    keys
}

/// `noreply@`, `no-reply@`, `donotreply@`, `bounce@`... addresses.
fn is_noreply_address(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
    let squashed: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    squashed.contains("noreply")
        || squashed.contains("donotreply")
        || squashed.starts_with("bounce")
        || squashed == "notifications"
        || squashed == "notification"
}

/// The main text of a message (plain text preferred, HTML converted), capped.
fn main_text(msg: &Message<'_>) -> String {
    let part = msg
        .text_body
        .first()
        .or_else(|| msg.html_body.first())
        .and_then(|id| msg.parts.get(*id as usize));
    match part {
        Some(p) if matches!(p.body, PartType::Text(_) | PartType::Html(_)) => {
            part_text(p).map(|t| t.into_owned()).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The human-readable text of a report: every top-level text/plain or text/html part (the
/// attached original and machine parts excluded), capped.
fn report_text(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for part in &msg.parts {
        if !is_readable_text(part) {
            continue;
        }
        if let Some(t) = part_text(part) {
            out.push_str(&t);
            out.push('\n');
        }
        if out.len() >= MAX_SCAN_CHARS {
            break;
        }
    }
    truncate(&out, MAX_SCAN_CHARS).to_string()
}

fn is_readable_text(part: &MessagePart<'_>) -> bool {
    let mt = mime_type(part);
    matches!(part.body, PartType::Text(_) | PartType::Html(_))
        && (mt == "text/plain" || mt == "text/html")
}

/// Our own addresses as the bounce shows them (its To and From): never a failed recipient.
fn own_addresses(msg: &Message<'_>) -> Vec<String> {
    let mut v = Vec::new();
    for a in [msg.to(), msg.from(), msg.reply_to()].into_iter().flatten() {
        for addr in a.iter() {
            if let Some(e) = addr.address().and_then(bare_address) {
                v.push(e);
            }
        }
    }
    if let Some(rp) = msg.return_address().and_then(bare_address) {
        v.push(rp);
    }
    v
}

/// The single To address of the attached original, as a last resort for reports that name
/// no recipient in their text.
fn attached_recipient(msg: &Message<'_>) -> Option<String> {
    msg.parts.iter().skip(1).find_map(|part| match &part.body {
        PartType::Message(inner) => {
            let to = inner.to()?;
            let mut it = to.iter();
            let first = it.next()?.address().and_then(bare_address);
            if it.next().is_some() { None } else { first }
        }
        _ => None,
    })
}
