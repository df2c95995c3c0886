//! Inbound email: what comes back from the people we wrote to. Every inbound message —
//! polled from a sender's mailbox over IMAP, posted raw to the inbound-parse hook, or found in
//! a provider's event — goes through [`process::process_raw`]: stored raw first (a duplicate
//! is a no-op), classified by `prospector_mail`, threaded to the message it answers, and acted
//! on (a reply makes a lead and a conversation, a hard bounce or a complaint suppresses).

pub mod conversations;
pub mod mailboxes;
pub mod process;
pub mod webhooks;

pub use mailboxes::POLL_JOB;
pub use process::{Outcome, Source, process_raw};

/// Register the inbound job handlers.
pub(crate) fn register(r: &mut crate::jobs::Registry) {
    r.add(POLL_JOB, mailboxes::job);
    r.add(webhooks::WEBHOOK_JOB, webhooks::job);
    r.add(crate::notifications::DELIVER_JOB, crate::notifications::job);
}

/// The recurring inbound jobs: poll every mailbox each minute (and wait with IDLE in
/// between where the server supports it).
pub fn schedules() -> Vec<crate::jobs::Recurring> {
    vec![crate::jobs::Recurring {
        name: "inbound-poll".into(),
        kind: POLL_JOB.into(),
        // Each run keeps IDLE connections open for most of its minute.
        payload: serde_json::json!({"idle_ms": mailboxes::IDLE_WINDOW.as_millis() as u64})
            .to_string(),
        every_ms: 60_000,
    }]
}
