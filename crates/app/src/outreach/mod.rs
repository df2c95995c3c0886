//! Email outreach: senders, templates, campaigns with multi-step sequences, the engine that
//! plans each day's sends within windows and limits, the exactly-once outbox that sends them,
//! and what comes back (unsubscribes, opens, clicks, replies, bounces).
//!
//! The flow: contacts are *enrolled* in a campaign; the `outreach.tick` job queues each due
//! step as a message in the same transaction that moves the enrollment on; the
//! `outreach.dispatch` job claims queued messages and hands them to the sender's provider.

pub mod campaigns;
pub mod channel_steps;
pub mod dispatch;
pub mod engine;
pub mod events;
pub mod render;
pub mod run;
pub mod senders;
pub mod spec;
pub mod suppression;
pub mod templates;
pub mod tracking;

pub use dispatch::DISPATCH_JOB;
pub use engine::TICK_JOB;

/// Register the outreach job handlers.
pub(crate) fn register(r: &mut crate::jobs::Registry) {
    r.add(TICK_JOB, engine::job);
    r.add(DISPATCH_JOB, dispatch::job);
}

/// The recurring outreach jobs: plan and send every few seconds (kicks make it immediate).
pub fn schedules() -> Vec<crate::jobs::Recurring> {
    vec![
        crate::jobs::Recurring {
            name: "outreach-tick".into(),
            kind: TICK_JOB.into(),
            payload: "{}".into(),
            every_ms: 30_000,
        },
        crate::jobs::Recurring {
            name: "outreach-dispatch".into(),
            kind: DISPATCH_JOB.into(),
            payload: "{}".into(),
            every_ms: 15_000,
        },
    ]
}
