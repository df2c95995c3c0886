//! Outreach scheduling and limits, as pure functions of explicit instants (UTC ms): send
//! windows in the recipient's time zone, the recipient's zone itself, step delays, local days,
//! warm-up ramps, rotation across senders, and jittered gaps between sends.
//!
//! Nothing here reads a clock; the caller passes `now_ms`, so tests drive time by hand.
//!
//! How a send time is decided, in order:
//! 1. the step is due at [`due_after`] (previous send + delay days, optionally business days,
//!    counted in the recipient's zone);
//! 2. the recipient's zone is [`timezone_for`] (country, region, phone), else the workspace's;
//! 3. the send happens at [`next_allowed`] of the campaign's [`SendWindow`] in that zone;
//! 4. the sender is [`choose_sender`] among those with budget left today
//!    ([`local_day_start_ms`] in the sender's/workspace zone, [`warmup_limit`]), and the next
//!    send of that sender waits [`next_gap_ms`].

mod limits;
mod window;
mod zones;

pub use limits::{
    SenderBudget, SenderHealth, SenderState, WarmupRamp, choose_sender, next_gap_ms, warmup_limit,
};
pub use window::{
    ScheduleSpec, SendWindow, Weekdays, WindowError, Zone, due_after, local_day_start_ms,
    local_days_between, next_allowed, next_local_day_start_ms,
};
pub use zones::{country_for_phone, timezone_for, zone_for_country};

#[cfg(test)]
mod tests;
