//! Bounces that are not (only) RFC 3464: the human-readable formats of common servers.
//!
//! Many servers send plain text (qmail, Yahoo, old Exchange, some exim and sendmail set-ups),
//! and even those that send a proper DSN are worth reading as text when the machine part is
//! missing a diagnostic. Each vendor has fixed wording that tells us it is a bounce, and the
//! failed addresses appear in a few recognisable positions: alone on a line, as
//! `<addr>: host ... said:`, after "delivered to", in `RCPT TO:<addr>`. Everything after the
//! "copy of your message" marker is the returned original and is ignored, so the addresses
//! in it (including ours) are never taken for failed recipients.

use std::sync::LazyLock;

use regex::Regex;

use crate::parse::{re, truncate};
use crate::status::{classify_status, find_enhanced, find_smtp_code};
use crate::{MAX_SCAN_CHARS, Recipient};

/// At most this many failed recipients are read from one report (bounds the work on a
/// hostile message listing thousands of addresses).
const MAX_RECIPIENTS: usize = 100;

const ADDR: &str = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+";

static CANDIDATES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Alone on a line, maybe in <>, maybe O365's `addr<mailto:addr>`, maybe `addr:`.
        format!(
            r"(?i)^\s*<?(?:mailto:)?({ADDR})>?(?:\s*<mailto:[^>]*>)?\s*:?\s*(?:\([^)]*\))?\s*$"
        ),
        // postfix / qmail / Yahoo: `<addr>: host ... said:` or `<addr>:` then text.
        format!(r"(?i)^\s*<({ADDR})>:?\s"),
        // Old Exchange: `addr on 11/3/2026 9:14 AM`.
        format!(r"(?i)^\s*({ADDR})\s+on\s+\d"),
        // Phrases naming the recipient inside a sentence.
        format!(
            r"(?i)(?:delivered to|delivery to|deliver (?:your message |the mail |this message )?to|message to|recipient address:|recipient:|original-recipient:\s*(?:rfc822;)?|final-recipient:\s*(?:rfc822;)?|rcpt to:|failed recipient:|address(?:es)? failed:)\s*<?({ADDR})>?"
        ),
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

static ANY_ADDR: LazyLock<Regex> = LazyLock::new(|| re(ADDR));

/// Markers that start the returned original; text after them is not the report.
const ORIGINAL_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "--- below this line is a copy of the message",
    "----- original message -----",
    "----- original message follows",
    "------- returned message",
    "----- unsent message below",
    "original message headers:",
    "------ this is a copy of your message",
    "--- the header of the original message is following",
    "----- the following is a copy of the message",
    "------ original message ------",
    "\nreturn-path: ",
    "\nreceived: from",
];

/// Vendor wording that identifies a bounce, lower-case, with a label for `reason`.
const VENDOR_MARKERS: &[(&str, &str)] = &[
    ("this is the mail system at host", "postfix"),
    ("this is the qmail-send program", "qmail"),
    ("transcript of session follows", "sendmail"),
    (
        "the following addresses had permanent fatal errors",
        "sendmail",
    ),
    ("the original message was received at", "sendmail"),
    (
        "this message was created automatically by mail delivery software",
        "exim",
    ),
    ("a message that you sent could not be delivered", "exim"),
    ("a message that you sent has not yet been delivered", "exim"),
    (
        "delivery has failed to these recipients or groups",
        "Exchange/Office 365",
    ),
    (
        "diagnostic information for administrators",
        "Exchange/Office 365",
    ),
    ("remote server returned '", "Exchange/Office 365"),
    (
        "did not reach some or all of the intended recipients",
        "Exchange",
    ),
    ("the following recipient(s) cannot be reached", "Exchange"),
    ("delivery to the following recipients failed", "Exchange"),
    ("couldn't be delivered to", "Exchange/Office 365"),
    ("your message wasn't delivered to", "Gmail"),
    (
        "delivery to the following recipient failed permanently",
        "Gmail",
    ),
    ("the response from the remote server was", "Gmail"),
    (
        "there was a temporary problem delivering your message",
        "Gmail",
    ),
    ("sorry, we were unable to deliver your message", "Yahoo"),
    (
        "an error occurred while trying to deliver the mail",
        "Amazon SES",
    ),
    ("your message could not be delivered", "generic"),
    ("could not be delivered to the following", "generic"),
    ("message could not be delivered", "generic"),
    ("undeliverable message", "generic"),
    ("delivery failed", "generic"),
    ("permanent error", "generic"),
    ("failed permanently", "generic"),
    ("user unknown", "generic"),
    ("mailbox unavailable", "generic"),
    ("was not delivered", "generic"),
    ("non-delivery", "generic"),
    ("unable to deliver", "generic"),
    ("delivery status notification", "generic"),
    ("has not yet been delivered", "generic"),
];

/// Wording of a delay warning (the server is still trying): all recipients are soft.
const DELAY_MARKERS: &[&str] = &[
    "has not yet been delivered",
    "delivery status notification (delay)",
    "delivery delayed",
    "message delayed",
    "delayed mail",
    "will retry",
    "will continue to try",
    "delivery attempts will continue",
    "still trying",
    "temporary problem delivering",
    "this is only a warning",
    "no action is required on your part",
    "warning: message",
];

/// Subject wording of a bounce (checked only when the subject is not a human `Re:`/`Fwd:`).
const SUBJECT_MARKERS: &[&str] = &[
    "undeliverable",
    "undelivered",
    "delivery status notification",
    "delivery failure",
    "delivery has failed",
    "delivery failed",
    "failure notice",
    "failure delivery",
    "returned mail",
    "mail delivery failed",
    "mail delivery failure",
    "could not be delivered",
    "couldn't be delivered",
    "message not delivered",
    "not delivered",
    "non-delivery",
    "nondeliverable",
    "non remis",
    "non distribuable",
    "unzustellbar",
    "nicht zustellbar",
    "zustellung fehlgeschlagen",
    "no se puede entregar",
    "no entregado",
    "non recapitabile",
    "mancato recapito",
    "não entregue",
    "onbestelbaar",
    "niet afgeleverd",
    "delayed mail",
    "delivery delayed",
    "delivery notification",
    "mail system error",
    "warning: could not send message",
    "returned to sender",
];

/// True when the address is a mail system's own (MAILER-DAEMON, postmaster, ...).
pub(crate) fn is_daemon_address(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon" | "postmaster" | "mail-daemon" | "maildaemon" | "mailerdaemon"
    ) || local.starts_with("mailer-daemon")
}

/// True when a From display name is a mail system's ("Mail Delivery Subsystem", ...).
pub(crate) fn is_daemon_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("mail delivery") || n.contains("mailer-daemon") || n.contains("postmaster")
}

/// True when a subject reads like a bounce and is not a human reply/forward of one.
pub(crate) fn bounce_subject(subject: &str) -> bool {
    let s = subject.trim().to_lowercase();
    if is_reply_or_forward_subject(&s) {
        return false;
    }
    SUBJECT_MARKERS.iter().any(|m| s.contains(m))
}

/// `Re:`, `AW:`, `Fwd:`, ... prefixes that a person's mail client adds.
pub(crate) fn is_reply_or_forward_subject(lower: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "re:", "re :", "aw:", "antw:", "antw.:", "sv:", "vs:", "odp:", "r:", "rif:", "res:",
        "ref:", "réf:", "réf.:", "fw:", "fwd:", "wg:", "tr:", "rv:", "enc:", "i:", "doorst:",
    ];
    let l = lower.trim_start();
    PREFIXES.iter().any(|p| l.starts_with(p))
}

/// Cuts the returned original off a bounce text.
pub(crate) fn report_section(text: &str) -> &str {
    let text = truncate(text, MAX_SCAN_CHARS);
    let lower = text.to_lowercase();
    // `to_lowercase` can change byte lengths for some scripts; only use the cut when safe.
    if lower.len() != text.len() {
        return text;
    }
    let cut = ORIGINAL_MARKERS
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(text.len());
    if text.is_char_boundary(cut) {
        &text[..cut]
    } else {
        text
    }
}

/// The vendor whose wording appears in the text, if any.
pub(crate) fn vendor_marker(section_lower: &str) -> Option<&'static str> {
    VENDOR_MARKERS
        .iter()
        .find(|(m, _)| section_lower.contains(m))
        .map(|(_, v)| *v)
}

/// True when the text says delivery is only delayed.
pub(crate) fn is_delay(section_lower: &str, subject_lower: &str) -> bool {
    DELAY_MARKERS.iter().any(|m| section_lower.contains(m))
        || subject_lower.contains("delay")
        || subject_lower.contains("warning")
}

/// Recipients read from a bounce's text. `exclude` holds our own addresses (the bounce's
/// To, From) which must never be reported as failed.
pub(crate) fn text_recipients(section: &str, exclude: &[String], delayed: bool) -> Vec<Recipient> {
    let lines: Vec<&str> = section.lines().take(2000).collect();
    let mut cands: Vec<String> = Vec::new();
    for line in &lines {
        if line.len() > 2000 {
            continue;
        }
        for pat in CANDIDATES.iter() {
            for caps in pat.captures_iter(line) {
                let addr = caps[1].trim_end_matches('.').to_ascii_lowercase();
                if exclude.contains(&addr)
                    || is_daemon_address(&addr)
                    || cands.contains(&addr)
                    || cands.len() >= MAX_RECIPIENTS
                {
                    continue;
                }
                cands.push(addr);
            }
        }
    }
    if cands.is_empty() {
        return Vec::new();
    }
    // Which candidates each line mentions.
    let lower_lines: Vec<String> = lines.iter().map(|l| l.to_ascii_lowercase()).collect();
    let mentions: Vec<Vec<usize>> = lower_lines
        .iter()
        .map(|l| {
            if !l.contains('@') {
                return Vec::new();
            }
            ANY_ADDR
                .find_iter(l)
                .filter_map(|m| {
                    let a = m.as_str().trim_end_matches('.');
                    cands.iter().position(|c| c == a)
                })
                .collect()
        })
        .collect();
    let first_mention = mentions.iter().position(|m| !m.is_empty()).unwrap_or(0);
    let intro: String = lines[..first_mention].join(" ");
    let single = cands.len() == 1;

    let mut out = Vec::new();
    for (ci, addr) in cands.iter().enumerate() {
        let mut segment_text = String::new();
        let mut found: Option<(usize, usize)> = None; // (line, byte offset of the code)
        let mut i = 0;
        while i < lines.len() {
            if !mentions[i].contains(&ci) {
                i += 1;
                continue;
            }
            // The segment runs until a line that mentions another candidate only.
            let mut j = i;
            while j < lines.len() {
                if j > i && !mentions[j].is_empty() && !mentions[j].contains(&ci) {
                    break;
                }
                if segment_text.len() < 4000 {
                    segment_text.push_str(lines[j].trim());
                    segment_text.push(' ');
                }
                if found.is_none()
                    && let Some(off) = code_offset(lines[j])
                {
                    found = Some((j, off));
                }
                j += 1;
            }
            i = j.max(i + 1);
        }
        if found.is_none() && single {
            found = lines
                .iter()
                .enumerate()
                .find_map(|(j, l)| code_offset(l).map(|off| (j, off)));
        }
        let diagnostic = match found {
            Some((j, off)) => Some(diagnostic_from(&lines, j, off)),
            None => explanation_after_mention(&lines, &mentions, ci),
        };
        let diag_str = diagnostic.clone().unwrap_or_default();
        let status = find_enhanced(&diag_str);
        let smtp_code = find_smtp_code(&diag_str);
        let context = format!("{diag_str} {segment_text} {intro}");
        let (hard, reason) = classify_status(status.as_deref(), smtp_code, &context, delayed);
        out.push(Recipient {
            address: addr.clone(),
            status,
            smtp_code,
            hard,
            reason,
            diagnostic,
        });
    }
    out
}

/// Byte offset in a line where an SMTP reply code or enhanced status starts, if any.
fn code_offset(line: &str) -> Option<usize> {
    static CODE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?:^|[\s'(\[:#=;])((?:[245][0-5]\d(?:[ \-:]|$))|(?:[245]\.\d{1,3}\.\d{1,3}(?:[^\d.]|$)))",
        )
    });
    let caps = CODE.captures(line)?;
    let m = caps.get(1)?;
    // Skip IPv4 addresses like 250.1.2.3 or 4.4.4.4.
    let rest = &line[m.start()..];
    if rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .is_some_and(|t| t.matches('.').count() >= 3)
    {
        return None;
    }
    Some(m.start())
}

/// The diagnostic text starting at the code, plus indented continuation lines.
fn diagnostic_from(lines: &[&str], j: usize, off: usize) -> String {
    let mut d = lines[j][off..].trim().to_string();
    for next in lines.iter().skip(j + 1).take(3) {
        if next.trim().is_empty() || !next.starts_with([' ', '\t']) || code_offset(next) == Some(0)
        {
            break;
        }
        // exim/postfix indent every line of a block the same; only join wrapped text.
        if lines[j].starts_with([' ', '\t']) && leading_ws(next) <= leading_ws(lines[j]) {
            break;
        }
        d.push(' ');
        d.push_str(next.trim());
    }
    clean_diag(&d)
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// The first non-empty line after the candidate's first mention, as an explanation when the
/// report quotes no code (e.g. "The email address you entered couldn't be found.").
fn explanation_after_mention(lines: &[&str], mentions: &[Vec<usize>], ci: usize) -> Option<String> {
    let start = mentions.iter().position(|m| m.contains(&ci))?;
    // A sentence naming the recipient is itself the explanation.
    let own = lines[start].trim();
    if own.split_whitespace().count() > 3 {
        return Some(clean_diag(own));
    }
    lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .take(4)
        .find(|(k, l)| !l.trim().is_empty() && mentions[*k].is_empty())
        .map(|(_, l)| clean_diag(l.trim()))
}

fn clean_diag(d: &str) -> String {
    let d = d
        .trim()
        .trim_start_matches("<<<")
        .trim_start_matches("(reason:")
        .trim()
        .trim_end_matches(')')
        .trim_end_matches('\'')
        .trim();
    let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&d, 500).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BounceReason;

    #[test]
    fn postfix_text() {
        let t = "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<bob@example.com>: host mx.example.com[192.0.2.10] said: 550 5.1.1\n    <bob@example.com>: Recipient address rejected: User unknown (in reply to\n    RCPT TO command)\n";
        let r = text_recipients(t, &[], false);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].address, "bob@example.com");
        assert_eq!(r[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(r[0].smtp_code, Some(550));
        assert_eq!(r[0].reason, BounceReason::UserUnknown);
        assert!(r[0].hard);
        assert!(
            r[0].diagnostic
                .as_deref()
                .unwrap_or("")
                .contains("User unknown")
        );
    }

    #[test]
    fn o365_two_recipients() {
        let t = "Delivery has failed to these recipients or groups:\n\nann@example.com<mailto:ann@example.com>\nThe email address you entered couldn't be found.\n\nbob@example.org<mailto:bob@example.org>\nThe recipient's mailbox is full.\n\nDiagnostic information for administrators:\n\nGenerating server: AM0PR01MB.eurprd01.prod.outlook.com\n\nann@example.com\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\n\nbob@example.org\nRemote Server returned '552 5.2.2 mailbox full'\n";
        let r = text_recipients(t, &["me@us.com".into()], false);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].status.as_deref(), Some("5.1.10"));
        assert_eq!(r[0].reason, BounceReason::UserUnknown);
        assert_eq!(r[1].status.as_deref(), Some("5.2.2"));
        assert_eq!(r[1].reason, BounceReason::MailboxFull);
        assert!(!r[1].hard);
    }

    #[test]
    fn ip_is_not_a_code() {
        assert_eq!(code_offset("host 250.1.2.3 said"), None);
        assert_eq!(code_offset("said: 550 5.1.1 x"), Some(6));
    }
}
