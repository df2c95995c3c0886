//! Inbound email for Prospector: parse a raw message, decide what it is (a human reply, an
//! auto-reply, a bounce, a complaint, or something else), and pull out what the app needs to act
//! on it (failed recipients with status codes, the new text of a reply, threading ids, the
//! return date of an out-of-office note, the Message-ID of our message that bounced).
//!
//! The crate is pure: no I/O, no async, no provider. IMAP polling, webhooks and the database
//! effects live elsewhere and call [`classify`] on the raw bytes. Everything here must survive
//! hostile input: it never panics, and it bounds the work it does (see [`MAX_PARSE_BYTES`] and
//! [`MAX_SCAN_CHARS`]).

mod autoreply;
mod classify;
mod dsn;
mod feedback;
mod mbox;
mod nonstandard;
mod parse;
mod quote;
mod status;

pub use autoreply::extract_return_date;
pub use classify::{classify, thread_keys};
pub use mbox::{split_mbox, unescape_from};
pub use parse::{MAX_PARSE_BYTES, MAX_SCAN_CHARS, normalize_line_endings};
pub use quote::extract_new_text;
pub use status::{BounceReason, classify_status};

use serde::Serialize;

/// What an inbound message is, as far as the outreach engine is concerned.
///
/// The variants map one to one to the effects in issue 7: a `Reply` makes a lead, an
/// `AutoReply` is recorded and the sequence goes on, a `Bounce` suppresses or retries, a
/// `Feedback` (complaint) suppresses and unsubscribes, and `Other` is only stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A person answering one of our messages.
    Reply,
    /// An out-of-office note or other automatic answer (RFC 3834 and friends).
    AutoReply,
    /// A delivery failure or delay report (RFC 3464 DSN or a vendor's own format).
    Bounce,
    /// A complaint or opt-out report (RFC 5965 ARF, or a vendor feedback loop).
    Feedback,
    /// Anything else: newsletters, notifications, garbage. See `Classification::reason`.
    Other,
}

impl Kind {
    /// The wire name used in JSON and the CLI (`reply`, `auto_reply`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::AutoReply => "auto_reply",
            Kind::Bounce => "bounce",
            Kind::Feedback => "feedback",
            Kind::Other => "other",
        }
    }
}

/// One recipient a bounce (or complaint) is about.
///
/// The JSON shape is the CLI contract of issue 7:
/// `{"address","status","smtp_code","hard","reason","diagnostic"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The failed address, lower-cased, without angle brackets or `rfc822;` prefix.
    pub address: String,
    /// Enhanced status code (RFC 3463) such as `5.1.1`, when the report gives or implies one.
    pub status: Option<String>,
    /// The 3-digit SMTP reply code (e.g. 550), when the report quotes one.
    pub smtp_code: Option<u16>,
    /// `true` when retrying is pointless and the address should be suppressed.
    pub hard: bool,
    /// Why delivery failed, from a small fixed set the app can count and act on.
    pub reason: BounceReason,
    /// The remote server's own words (Diagnostic-Code or the vendor's text), trimmed.
    pub diagnostic: Option<String>,
}

/// The outcome of [`classify`]: what the message is plus everything needed to act on it.
///
/// The first four fields are the CLI contract (`kind`, `recipients`, `in_reply_to`,
/// `new_text`); the rest are extras the app uses for threading and effects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// What the message is.
    pub kind: Kind,
    /// For a bounce: one entry per failed or delayed recipient. For a complaint: the address
    /// that complained (status null, reason `other`). Empty otherwise.
    pub recipients: Vec<Recipient>,
    /// The In-Reply-To id, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The text the sender actually wrote: quoted history and signature removed. `None` when
    /// the message has no readable text.
    pub new_text: Option<String>,
    /// This message's own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The References ids, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// The sender address (From), lower-cased.
    pub from: Option<String>,
    /// The decoded Subject.
    pub subject: Option<String>,
    /// For an auto-reply: the date the person says they are back (or absent until), as
    /// `YYYY-MM-DD`, when the text names one.
    pub return_date: Option<String>,
    /// Why the message was classified as it was (always set; essential for `other`).
    pub reason: String,
    /// For a complaint: the ARF Feedback-Type (`abuse`, `opt-out`, `fraud`, ...).
    pub feedback_type: Option<String>,
    /// For a bounce or complaint: the Message-ID of OUR original message, dug out of the
    /// attached message or headers, without angle brackets. This is how a bounce is matched
    /// to the message we sent even when the bounce itself carries no threading headers.
    pub original_message_id: Option<String>,
    /// For a bounce: `true` when every recipient is only delayed (the server keeps trying).
    pub delayed: bool,
}

impl Classification {
    pub(crate) fn new(kind: Kind, reason: impl Into<String>) -> Self {
        Classification {
            kind,
            recipients: Vec::new(),
            in_reply_to: None,
            new_text: None,
            message_id: None,
            references: Vec::new(),
            from: None,
            subject: None,
            return_date: None,
            reason: reason.into(),
            feedback_type: None,
            original_message_id: None,
            delayed: false,
        }
    }
}
