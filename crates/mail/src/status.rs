//! From status codes and diagnostic text to "hard or soft" and a reason.
//!
//! The enhanced status class decides hard (5.x.x) versus soft (4.x.x), as RFC 3463 says; the
//! diagnostic wording then refines the reason, because servers are sloppy with subjects and
//! details (a full mailbox is often reported as 5.2.2 yet clears by itself, so it is soft).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::parse::re;

/// Why a delivery failed: a small fixed set the app can count, show and act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceReason {
    /// The mailbox does not exist or is disabled.
    UserUnknown,
    /// The mailbox is over quota (soft: it may clear).
    MailboxFull,
    /// The domain has no mail server or does not resolve.
    DomainNotFound,
    /// Rejected as spam, or the sender/IP is on a block list.
    BlockedOrSpam,
    /// Refused by a policy (relay denied, authentication, DMARC, not allowed to send here).
    Policy,
    /// Too many messages too fast; try later.
    RateLimited,
    /// The message is larger than the server accepts.
    MessageTooLarge,
    /// The server gave up retrying (delivery time expired).
    Expired,
    /// Anything not covered above.
    Other,
}

impl BounceReason {
    /// The wire name (`user_unknown`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BounceReason::UserUnknown => "user_unknown",
            BounceReason::MailboxFull => "mailbox_full",
            BounceReason::DomainNotFound => "domain_not_found",
            BounceReason::BlockedOrSpam => "blocked_or_spam",
            BounceReason::Policy => "policy",
            BounceReason::RateLimited => "rate_limited",
            BounceReason::MessageTooLarge => "message_too_large",
            BounceReason::Expired => "expired",
            BounceReason::Other => "other",
        }
    }
}

static ENHANCED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?:[^\d.]|\.(?:\s|$)|$)"));
static SMTP_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)(?:^|[\s'(\[:#=;])([245][0-5]\d)(?:[ \-:]|$)"));

/// The first enhanced status code (`5.1.1`) in a text, if any.
pub(crate) fn find_enhanced(text: &str) -> Option<String> {
    ENHANCED
        .captures(text)
        .map(|c| format!("{}.{}.{}", &c[1], &c[2], &c[3]))
}

/// The first plausible 3-digit SMTP reply code in a text, if any.
pub(crate) fn find_smtp_code(text: &str) -> Option<u16> {
    SMTP_CODE.captures_iter(text).find_map(|c| {
        let code: u16 = c[1].parse().ok()?;
        // Only failure classes are interesting in a bounce; 2xx would be "OK".
        (400..600).contains(&code).then_some(code)
    })
}

/// Decides hard/soft and the reason for one failed recipient.
///
/// * `status`: enhanced status code such as `5.1.1` (may be absent in vendor formats);
/// * `smtp_code`: the 3-digit reply code, used when there is no enhanced status;
/// * `diagnostic`: the server's words (any case), which refine the reason;
/// * `delayed`: the report says the server is still trying (`Action: delayed`), always soft.
///
/// Returns `(hard, reason)`. Soft whatever the class: mailbox full, rate limited, expired
/// (the address was never proven bad) and delays.
pub fn classify_status(
    status: Option<&str>,
    smtp_code: Option<u16>,
    diagnostic: &str,
    delayed: bool,
) -> (bool, BounceReason) {
    let d = diagnostic.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| d.contains(w));
    let (class, subject, detail) = match status.map(|s| s.split('.').collect::<Vec<_>>()) {
        Some(p) if p.len() == 3 => (
            p[0].parse::<u16>().unwrap_or(0),
            p[1].parse::<u16>().unwrap_or(0),
            p[2].parse::<u16>().unwrap_or(0),
        ),
        _ => (0, 0, 0),
    };
    let code = (subject, detail);

    let reason = if has(&[
        "sending quota",
        "sending limit",
        "daily user sending",
        "rate limit",
        "ratelimit",
    ]) {
        BounceReason::RateLimited
    } else if code == (2, 2)
        || has(&[
            "mailbox full",
            "mailbox is full",
            "over quota",
            "overquota",
            "quota exceeded",
            "exceeded storage",
            "exceeds its quota",
            "insufficient storage",
            "out of storage",
            "mailbox size limit",
            "storage allocation",
            "inbox is full",
            "postfach voll",
            "boîte pleine",
        ])
    {
        BounceReason::MailboxFull
    } else if code == (3, 4)
        || code == (2, 3)
        || has(&[
            "too large",
            "too big",
            "message size exceeds",
            "size limit",
            "exceeds the maximum size",
            "message length exceeds",
        ])
    {
        BounceReason::MessageTooLarge
    } else if code == (7, 28)
        || (has(&[
            "rate limit",
            "ratelimit",
            "too many messages",
            "too many connections",
            "too many recipients",
            "unusual rate",
            "receiving mail at a rate",
            "throttl",
            "try again later",
            "temporarily deferred",
            "sending limit",
        ]) && class != 5)
        || has(&["rate limit", "ratelimit", "throttl", "unusual rate"])
    {
        BounceReason::RateLimited
    } else if has(&[
        "spam",
        "blocked",
        "blacklist",
        "blocklist",
        "block list",
        "black list",
        "denylist",
        "listed at",
        "listed on",
        "listed in",
        "spamhaus",
        "barracuda",
        "spamcop",
        "reputation",
        "rbl",
        "banned",
        "junk mail",
        "unsolicited",
        "bulk mail",
        "content rejected",
        "message content",
        "virus",
    ]) && !code_is_user(code)
    {
        BounceReason::BlockedOrSpam
    } else if code == (1, 2)
        || code == (4, 4) && has(&["route", "dns", "domain", "host", "mx"])
        || has(&[
            "host not found",
            "domain not found",
            "host or domain name not found",
            "no mx",
            "mx record",
            "name or service not known",
            "nxdomain",
            "unrouteable",
            "unroutable",
            "domain does not exist",
            "no such domain",
            "domain doesn't exist",
            "dns error",
            "bad destination",
            "could not be resolved",
            "unknown domain",
            "domain couldn't be found",
            "domain name not found",
        ])
    {
        BounceReason::DomainNotFound
    } else if code_is_user(code)
        || has(&[
            "user unknown",
            "unknown user",
            "no such user",
            "no such mailbox",
            "unknown recipient",
            "recipient unknown",
            "recipient not found",
            "recipientnotfound",
            "address not found",
            "does not exist",
            "doesn't exist",
            "doesn't have a",
            "does not have an account",
            "invalid recipient",
            "invalid mailbox",
            "mailbox unavailable",
            "mailbox not found",
            "user not found",
            "unknown or illegal alias",
            "account that you tried to reach",
            "account has been disabled",
            "account is disabled",
            "account disabled",
            "no mailbox here",
            "not our customer",
            "does not like recipient",
            "address rejected",
            "no longer available",
            "couldn't be found",
            "could not be found",
            "unbekannt",
            "inconnu",
            "inexistente",
            "sconosciuto",
        ])
    {
        BounceReason::UserUnknown
    } else if code == (4, 7)
        || has(&[
            "expired",
            "retry timeout exceeded",
            "retry time",
            "gave up",
            "given up",
            "could not be delivered within",
            "too long in queue",
            "message timeout",
            "delivery time",
        ])
    {
        BounceReason::Expired
    } else if subject == 7
        || has(&[
            "policy",
            "relay",
            "not authorized",
            "not permitted",
            "access denied",
            "dmarc",
            "spf",
            "dkim",
            "authentication",
            "not allowed",
            "rejected by",
        ])
    {
        BounceReason::Policy
    } else {
        BounceReason::Other
    };

    let permanent = match class {
        5 => true,
        4 => false,
        _ => match smtp_code {
            Some(c) if c >= 500 => true,
            Some(_) => false,
            None => {
                !(has(&[
                    "temporar",
                    "delayed",
                    "will retry",
                    "will be retried",
                    "try again",
                ]) || delayed)
                    && reason != BounceReason::Other
                    || has(&["permanent", "fatal"])
            }
        },
    };
    let hard = permanent
        && !delayed
        && !matches!(
            reason,
            BounceReason::MailboxFull | BounceReason::RateLimited | BounceReason::Expired
        );
    (hard, reason)
}

/// x.1.1 (bad mailbox), x.1.10 (null MX / recipient not found in O365), x.1.6 (moved),
/// x.2.1 (disabled), x.1.0 (address rejected).
fn code_is_user(code: (u16, u16)) -> bool {
    matches!(code, (1, 1) | (1, 10) | (1, 6) | (2, 1) | (1, 0) | (1, 3))
}

#[cfg(test)]
mod tests {
    use super::BounceReason::*;
    use super::*;

    #[test]
    fn codes_from_text() {
        assert_eq!(
            find_enhanced("550 5.1.1 <a@b>: nope").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(find_enhanced("host 10.1.2.3 said hi"), None);
        assert_eq!(
            find_enhanced("'550 5.1.10 RESOLVER'").as_deref(),
            Some("5.1.10")
        );
        assert_eq!(find_enhanced("Status: 4.4.7."), Some("4.4.7".to_string()));
        assert_eq!(find_smtp_code("said: 550 5.1.1 unknown"), Some(550));
        assert_eq!(find_smtp_code("smtp; 552-5.2.2 full"), Some(552));
        assert_eq!(find_smtp_code("ip 10.0.0.250 bla"), None);
    }

    #[test]
    fn reasons() {
        assert_eq!(
            classify_status(Some("5.1.1"), Some(550), "User unknown", false),
            (true, UserUnknown)
        );
        assert_eq!(
            classify_status(Some("5.2.2"), Some(552), "Mailbox full", false),
            (false, MailboxFull)
        );
        assert_eq!(
            classify_status(
                Some("5.7.1"),
                Some(554),
                "blocked using zen.spamhaus.org",
                false
            ),
            (true, BlockedOrSpam)
        );
        assert_eq!(
            classify_status(Some("4.4.7"), None, "delivery expired", false),
            (false, Expired)
        );
        assert_eq!(
            classify_status(Some("5.1.2"), None, "Host not found", false),
            (true, DomainNotFound)
        );
        assert_eq!(
            classify_status(Some("5.3.4"), Some(552), "Message too large", false),
            (true, MessageTooLarge)
        );
        assert_eq!(
            classify_status(
                Some("4.7.0"),
                Some(421),
                "Try again later, rate limited",
                false
            ),
            (false, RateLimited)
        );
        assert_eq!(
            classify_status(Some("5.7.1"), Some(554), "Relay access denied", false),
            (true, Policy)
        );
        assert_eq!(
            classify_status(Some("4.4.1"), None, "Connection timed out", true),
            (false, Other)
        );
        assert_eq!(
            classify_status(None, Some(550), "mailbox unavailable", false),
            (true, UserUnknown)
        );
    }
}
