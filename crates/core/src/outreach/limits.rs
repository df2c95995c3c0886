//! Sender limits: warm-up ramps, rotation across senders, and jittered gaps between sends.

use serde::{Deserialize, Serialize};

/// A warm-up ramp: `start` messages on the first day, `increment` more each following day,
/// until the sender's daily limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmupRamp {
    pub start: u32,
    pub increment: u32,
}

/// Today's limit for a sender on day `day_index` of its warm-up (0 = the first day, counted
/// in local days, see [`super::local_days_between`]): `min(daily_limit, start + increment *
/// day_index)`.
pub fn warmup_limit(day_index: u32, daily_limit: u32, ramp: WarmupRamp) -> u32 {
    ramp.increment
        .saturating_mul(day_index)
        .saturating_add(ramp.start)
        .min(daily_limit)
}

/// Whether a sender may be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderHealth {
    Active,
    /// Paused by the user or automatically after repeated failures.
    Paused,
}

/// One sender's standing for today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderState {
    /// Messages sent (or claimed for sending) since the start of the local day.
    pub sent_today: u32,
    /// Today's limit, after warm-up ([`warmup_limit`]).
    pub daily_limit: u32,
    pub health: SenderHealth,
}

impl SenderState {
    /// Messages it may still send today (0 when paused).
    pub fn remaining(&self) -> u32 {
        match self.health {
            SenderHealth::Active => self.daily_limit.saturating_sub(self.sent_today),
            SenderHealth::Paused => 0,
        }
    }

    pub fn can_send(&self) -> bool {
        self.remaining() > 0
    }
}

/// The sender to use next: among active senders with budget left, the one that has used the
/// smallest fraction of its daily limit; ties go round-robin, to the first one after
/// `last_used` (wrapping). `None` when every sender is full or paused.
pub fn choose_sender(senders: &[SenderState], last_used: Option<usize>) -> Option<usize> {
    let n = senders.len();
    if n == 0 {
        return None;
    }
    let first = last_used.map_or(0, |l| (l % n + 1) % n);
    let mut best: Option<usize> = None;
    for k in 0..n {
        let i = (first + k) % n;
        let s = &senders[i];
        if !s.can_send() {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => {
                let b = &senders[b];
                // s.sent / s.limit < b.sent / b.limit, without division.
                u64::from(s.sent_today) * u64::from(b.daily_limit)
                    < u64::from(b.sent_today) * u64::from(s.daily_limit)
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
}

/// Rotation over a batch: picks with [`choose_sender`] and counts each pick as a send, so a
/// worker can plan many messages from one load of today's counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderBudget {
    senders: Vec<SenderState>,
    last_used: Option<usize>,
}

impl SenderBudget {
    pub fn new(senders: Vec<SenderState>) -> Self {
        SenderBudget {
            senders,
            last_used: None,
        }
    }

    /// Continues the rotation after sender `last_used` (e.g. the last one used before a
    /// restart).
    pub fn with_last_used(mut self, last_used: Option<usize>) -> Self {
        self.last_used = last_used;
        self
    }

    /// The sender for the next message, counted as used; `None` when all are full or paused.
    pub fn next_sender(&mut self) -> Option<usize> {
        let i = choose_sender(&self.senders, self.last_used)?;
        self.senders[i].sent_today = self.senders[i].sent_today.saturating_add(1);
        self.last_used = Some(i);
        Some(i)
    }

    /// Count a send by sender `index` chosen by the caller (a follow-up staying with the
    /// mailbox that started); false when that sender cannot send now.
    pub fn take(&mut self, index: usize) -> bool {
        match self.senders.get_mut(index) {
            Some(s) if s.can_send() => {
                s.sent_today = s.sent_today.saturating_add(1);
                self.last_used = Some(index);
                true
            }
            _ => false,
        }
    }

    /// Gives a pick back (the message was not sent after all).
    pub fn release(&mut self, index: usize) {
        if let Some(s) = self.senders.get_mut(index) {
            s.sent_today = s.sent_today.saturating_sub(1);
        }
    }

    /// Messages all senders together may still send today.
    pub fn remaining(&self) -> u64 {
        self.senders.iter().map(|s| u64::from(s.remaining())).sum()
    }

    pub fn senders(&self) -> &[SenderState] {
        &self.senders
    }
}

/// SplitMix64: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The pause before the next send of a sender, in ms: uniform in `[min, 1.5 * min]` seconds,
/// chosen from `seed` (e.g. a hash of the message id, so a retry waits the same). 0 gives 0,
/// for tests and benchmarks at full speed.
pub fn next_gap_ms(min_gap_seconds: u64, seed: u64) -> u64 {
    let min_ms = min_gap_seconds.saturating_mul(1000);
    let spread = min_ms / 2;
    let jitter = ((u128::from(mix(seed)) * (u128::from(spread) + 1)) >> 64) as u64;
    min_ms.saturating_add(jitter)
}
