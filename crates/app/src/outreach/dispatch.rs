//! The outbox sender. It claims due `queued` messages (moving them to `sending` under an
//! attempt id and a lease), checks suppression and the sender's limit once more, hands them
//! to the provider with a few in flight per sender, and records the outcome against the
//! attempt: `sent` with the provider's id, `queued` again later for a temporary failure,
//! `failed` (and the address suppressed for a hard bounce) for a permanent one, `uncertain`
//! when the provider may have taken it. A worker killed mid-send leaves `sending` rows whose
//! lease runs out; they become `uncertain`, never resent on their own.

use super::senders::{self, PAUSE_AFTER_FAILURES, day_start, limit_today};
use crate::{App, AppResult};
use futures::StreamExt;
use prospector_channels::email::{ListUnsubscribe, OutgoingEmail, SendError};
use prospector_core::backoff::retry_delay;
use prospector_core::time::now_ms;
use prospector_store::messages::{self, Claim, Engagement, Message, Sent};
use prospector_store::senders::{self as sender_store, Sender};
use prospector_store::{ContactId, MessageId, SenderId, WorkspaceId};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The job kind of a dispatch round.
pub const DISPATCH_JOB: &str = "outreach.dispatch";
/// Messages claimed per batch on PostgreSQL: small, so a crash leaves few `uncertain`.
const CLAIM: i64 = 64;
/// Messages claimed per batch on SQLite. Each commit rewrites every index page its batch
/// touched, so batches of 64 cost twice as much per message as batches of 256 (199 against
/// 110 us of SQLite time per message for claim and record, measured on 20,000 messages);
/// a crash leaves at most this many `uncertain`, which a person retries in one action.
const CLAIM_SQLITE: i64 = 256;
/// Temporary failures retried before a message fails.
const MAX_ATTEMPTS: i64 = 6;
/// How long one dispatch job keeps claiming.
const ROUND_BUDGET: std::time::Duration = std::time::Duration::from_secs(50);

/// What one dispatch run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DispatchReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub uncertain: u64,
    pub cancelled: u64,
    /// Leases that ran out (messages of a crashed worker), now `uncertain`.
    pub expired: u64,
}

impl DispatchReport {
    /// Add a part of the round (a lane, a sender's batch) to it; `expired` is counted once
    /// per round, not per part.
    pub(crate) fn absorb(&mut self, g: &DispatchReport) {
        self.sent += g.sent;
        self.retried += g.retried;
        self.failed += g.failed;
        self.uncertain += g.uncertain;
        self.cancelled += g.cancelled;
    }

    /// Whether the round handed nothing to a provider (nothing sent, retried, failed or
    /// left uncertain).
    pub fn is_idle(&self) -> bool {
        self.sent + self.failed + self.uncertain + self.retried == 0
    }
}

/// Queue a dispatch round now (at most one per second is created).
pub async fn kick(app: &App) -> AppResult<()> {
    let mut job = prospector_store::jobs::NewJob::new(DISPATCH_JOB, "{}");
    job.unique_key = Some(format!("{DISPATCH_JOB}:kick:{}", now_ms() / 1000));
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await?;
    Ok(())
}

/// The job handler.
pub(crate) async fn job(ctx: crate::jobs::JobCtx) -> crate::jobs::JobResult {
    let r = dispatch(&ctx.app, None).await?;
    Ok(Some(serde_json::to_value(&r).unwrap_or_default()))
}

/// Send what is due until nothing is left or the round's time is up. `clock` replaces the
/// wall clock in tests.
pub async fn dispatch(app: &App, clock: Option<i64>) -> AppResult<DispatchReport> {
    let mut r = DispatchReport {
        expired: messages::expire_sending(app.db(), clock.unwrap_or_else(now_ms)).await?,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    // Messages each sender handed over today before the current batch: counted once per run,
    // then kept up to date here, so a long run does not count the day's messages every batch.
    let before: Arc<std::sync::Mutex<HashMap<i64, i64>>> = Default::default();
    // A few lanes claim and send concurrently, so one lane's database work (claiming,
    // recording outcomes) overlaps another's time on the wire. Claims take turns under
    // `claiming`, which also makes each sender's day count exact (see count_senders).
    let claiming = Arc::new(tokio::sync::Mutex::new(()));
    let lanes = match app.db() {
        prospector_store::Db::Sqlite(_) => SQLITE_LANES,
        prospector_store::Db::Postgres(_) => LANES,
    };
    // Each lane is a task of its own, so lanes (their MIME building and SMTP I/O) run on
    // different cores instead of taking turns on the caller's thread (100,000 queued
    // messages: 15-18 s before, 11-13 s after). A lane keeps going if this round is dropped;
    // what it claimed is recorded as usual.
    let lanes: Vec<_> = (0..lanes)
        .map(|_| {
            let (app, before, claiming) = (app.clone(), before.clone(), claiming.clone());
            tokio::spawn(async move { lane(&app, clock, started, &before, &claiming).await })
        })
        .collect();
    let mut more = false;
    let mut failure = None;
    for lane in lanes {
        match lane.await {
            Ok(Ok((g, timed_out))) => {
                more |= timed_out;
                r.absorb(&g);
            }
            Ok(Err(e)) => failure = Some(e),
            Err(e) => {
                failure = Some(crate::AppError::Internal(format!(
                    "an outbox lane stopped: {e}"
                )))
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if more {
        // More may be due; the next round continues at once.
        kick(app).await?;
    }
    if r.sent > 0 {
        super::engine::follow_up(app).await?;
    }
    if !r.is_idle() {
        tracing::info!(
            sent = r.sent,
            retried = r.retried,
            failed = r.failed,
            uncertain = r.uncertain,
            cancelled = r.cancelled,
            "outbox round"
        );
    }
    Ok(r)
}

/// Count, for each sender first seen in this round, what it handed over today before this
/// batch. Runs right after the claim and before the next lane may claim: no earlier batch of
/// the round holds that sender's messages, so the count is exact however the lanes overlap.
async fn count_senders(
    app: &App,
    claimed: &[Message],
    now: i64,
    before: &std::sync::Mutex<HashMap<i64, i64>>,
) -> AppResult<()> {
    let mut in_batch: HashMap<(i64, i64), i64> = HashMap::new();
    for m in claimed {
        if let Some(s) = m.sender_id {
            *in_batch.entry((m.workspace_id, s)).or_default() += 1;
        }
    }
    for ((ws, sender), n) in in_batch {
        if lock(before).contains_key(&sender) {
            continue;
        }
        let since =
            sender_store::sent_since(app.db(), WorkspaceId(ws), SenderId(sender), day_start(now))
                .await?;
        lock(before).insert(sender, since - n);
    }
    Ok(())
}

/// Concurrent claim-and-send loops of one dispatch round on PostgreSQL.
const LANES: usize = 3;
/// SQLite has one writer, but its statements are short once they are planned by primary
/// key: two lanes let one lane's claim and record overlap the other's time on the wire.
const SQLITE_LANES: usize = 2;

/// One lane: claim a batch, send it, record it, until nothing is due or the round's time is
/// up (then `true`).
async fn lane(
    app: &App,
    clock: Option<i64>,
    started: std::time::Instant,
    before: &std::sync::Mutex<HashMap<i64, i64>>,
    claiming: &tokio::sync::Mutex<()>,
) -> AppResult<(DispatchReport, bool)> {
    let mut r = DispatchReport::default();
    loop {
        let now = clock.unwrap_or_else(now_ms);
        let attempt = format!("a{}", crate::crypto::random_token(9));
        let turn = claiming.lock().await;
        let claimed = messages::claim_for_sending(
            app.db(),
            &Claim {
                now,
                lease_ms: i64::try_from(app.config().outbox_lease_secs).unwrap_or(300) * 1000,
                limit: match app.db() {
                    prospector_store::Db::Sqlite(_) => CLAIM_SQLITE,
                    prospector_store::Db::Postgres(_) => CLAIM,
                },
                attempt_id: &attempt,
                channel: Some("email"),
            },
        )
        .await?;
        if claimed.is_empty() {
            return Ok((r, false));
        }
        count_senders(app, &claimed, now, before).await?;
        drop(turn);
        let mut by_sender: HashMap<(i64, i64), Vec<Message>> = HashMap::new();
        for m in claimed {
            by_sender
                .entry((m.workspace_id, m.sender_id.unwrap_or_default()))
                .or_default()
                .push(m);
        }
        let groups = by_sender.into_iter().map(|((ws, sid), list)| {
            let attempt = attempt.clone();
            async move {
                send_group(app, WorkspaceId(ws), sid, list, &attempt, clock, before).await
            }
        });
        let results: Vec<AppResult<DispatchReport>> = futures::stream::iter(groups)
            .buffer_unordered(8)
            .collect()
            .await;
        for g in results {
            r.absorb(&g?);
        }
        if started.elapsed() > ROUND_BUDGET {
            return Ok((r, true));
        }
    }
}

enum Outcome {
    Sent(prospector_channels::email::Accepted),
    Failed(SendError),
}

async fn send_group(
    app: &App,
    ws: WorkspaceId,
    sender_id: i64,
    list: Vec<Message>,
    attempt: &str,
    clock: Option<i64>,
    before: &std::sync::Mutex<HashMap<i64, i64>>,
) -> AppResult<DispatchReport> {
    let db = app.db();
    let mut r = DispatchReport::default();
    let now = clock.unwrap_or_else(now_ms);
    let sender = match sender_store::get(db, ws, SenderId(sender_id)).await {
        Ok(s) => s,
        Err(prospector_store::StoreError::NotFound) => {
            for m in &list {
                messages::mark_failed(
                    db,
                    ws,
                    MessageId(m.id),
                    attempt,
                    "the sender was deleted",
                    now,
                )
                .await?;
                r.failed += 1;
            }
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    // Second suppression check, just before sending.
    let addresses: Vec<String> = list.iter().map(|m| m.to_address.clone()).collect();
    let blocked = super::suppression::blocked_addresses(app, ws, &addresses).await?;
    // The daily limit, once more: what was sent today besides this batch (counted by the
    // lane that claimed it, see [`count_senders`]). Lanes share the count, so reading the
    // room and taking it happen under one lock.
    let mut to_send = Vec::new();
    let mut over = Vec::new();
    {
        let mut counts = lock(before);
        let taken = counts.entry(sender_id).or_insert(0);
        let mut room = limit_today(&sender, now) - *taken;
        for m in list {
            if let Some(why) = blocked.get(&m.to_address.to_lowercase()) {
                over.push((m, Some(why.clone())));
            } else if room <= 0 && m.campaign_id.is_some() {
                over.push((m, None));
            } else {
                room -= 1;
                to_send.push(m);
            }
        }
        *taken += to_send.len() as i64;
    }
    for (m, blocked_by) in over {
        if let Some(why) = blocked_by {
            messages::mark_cancelled(db, ws, MessageId(m.id), attempt, &why, now).await?;
            r.cancelled += 1;
        } else {
            let tomorrow = day_start(now) + 86_400_000;
            messages::mark_retry(
                db,
                ws,
                MessageId(m.id),
                attempt,
                "the sender reached its daily limit",
                tomorrow,
                now,
            )
            .await?;
            r.retried += 1;
        }
    }
    if to_send.is_empty() {
        return Ok(r);
    }
    let transport = match senders::transport(app, &sender) {
        Ok(t) => t,
        Err(e) => {
            pause(app, ws, &sender, &format!("cannot use this sender: {e}")).await?;
            for m in &to_send {
                let retry = now + 15 * 60 * 1000;
                messages::mark_retry(db, ws, MessageId(m.id), attempt, &e.to_string(), retry, now)
                    .await?;
                r.retried += 1;
            }
            return Ok(r);
        }
    };
    // The person's name for the `To:` header; a lookup failure only costs the name.
    let contact_ids: Vec<i64> = to_send.iter().filter_map(|m| m.contact_id).collect();
    let names = prospector_store::contacts::person_names(db, ws, &contact_ids)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "recipient names not loaded");
            HashMap::new()
        });
    let parallel = match &transport {
        prospector_channels::email::EmailTransport::Smtp { sender, .. } => {
            sender.config().max_connections.max(1)
        }
        _ => 4,
    };
    // Each message's outcome is recorded the moment it is known, so a crash leaves at most
    // the few in flight `sending` (later `uncertain`), not the whole batch.
    let results: Vec<AppResult<Recorded>> = futures::stream::iter(to_send.into_iter().map(|m| {
        let t = transport.clone();
        let to_name = m.contact_id.and_then(|c| names.get(&c)).cloned();
        let email = outgoing(app, &sender, &m, to_name);
        let sender = &sender;
        async move {
            let out = match email {
                Ok(e) => match t.send(&e).await {
                    Ok(a) => Outcome::Sent(a),
                    Err(err) => Outcome::Failed(err),
                },
                Err(err) => Outcome::Failed(err),
            };
            match out {
                // Successes are recorded together below (one transaction per batch).
                Outcome::Sent(a) => Ok(Recorded::Accepted(Box::new((m.id, a)))),
                failed => record_outcome(app, ws, sender, &m, failed, attempt, clock).await,
            }
        }
    }))
    .buffer_unordered(parallel)
    .collect()
    .await;
    let mut successes = 0;
    let mut last_failure: Option<String> = None;
    let mut pause_reason: Option<String> = None;
    let mut accepted: Vec<(MessageId, Sent)> = Vec::new();
    for res in results {
        match res? {
            Recorded::Accepted(b) => {
                let (id, a) = *b;
                accepted.push((
                    MessageId(id),
                    Sent {
                        // SMTP queue ids (and sandbox counters) repeat; only API ids
                        // identify a message for later webhooks.
                        provider_id: matches!(sender.f.kind.as_str(), "sendgrid" | "resend")
                            .then_some(a.provider_id)
                            .flatten(),
                        response: a.response,
                        cost_minor: None,
                        currency: None,
                    },
                ));
            }
            Recorded::Sent => {
                successes += 1;
                r.sent += 1;
            }
            Recorded::Unrecorded => r.uncertain += 1,
            Recorded::Retried(e) => {
                r.retried += 1;
                last_failure = Some(e);
            }
            Recorded::Failed(e) => {
                r.failed += 1;
                last_failure = e.or(last_failure);
            }
            Recorded::Uncertain(e) => {
                r.uncertain += 1;
                last_failure = Some(e);
            }
            Recorded::SenderBroken(e) => {
                r.retried += 1;
                pause_reason = Some(e);
            }
        }
    }
    if let Some(why) = pause_reason {
        pause(app, ws, &sender, &why).await?;
    }
    // The provider has these: a failure to record that must not lose the batch's other
    // outcomes; unrecorded rows stay `sending` and become `uncertain`, never resent.
    match messages::mark_sent_many(db, ws, attempt, &accepted, clock.unwrap_or_else(now_ms)).await {
        Ok(done) => {
            successes += done.len();
            r.sent += done.len() as u64;
            r.uncertain += (accepted.len() - done.len()) as u64;
        }
        Err(e) => {
            tracing::error!(error = %e, n = accepted.len(), "sent but not recorded");
            r.uncertain += accepted.len() as u64;
        }
    }
    let at = clock.unwrap_or_else(now_ms);
    if let Some(err) = last_failure {
        let n = sender_store::record_failure(db, ws, SenderId(sender.id), &err, at).await?;
        if successes == 0 && n >= PAUSE_AFTER_FAILURES {
            pause(
                app,
                ws,
                &sender,
                &format!("paused after {n} failed sends in a row; last: {err}"),
            )
            .await?;
        }
    }
    if successes > 0 {
        sender_store::record_success(db, ws, SenderId(sender.id), at).await?;
    }
    Ok(r)
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How one message ended, for the round's counts and the sender's health.
enum Recorded {
    /// Taken by the provider; recorded with the batch.
    Accepted(Box<(i64, prospector_channels::email::Accepted)>),
    Sent,
    /// Handed over, but the outcome could not be stored (stays `sending`, then uncertain).
    Unrecorded,
    Retried(String),
    /// The reason counts against the sender's health unless it was the recipient's fault.
    Failed(Option<String>),
    Uncertain(String),
    /// The sender itself is misconfigured; it gets paused.
    SenderBroken(String),
}

async fn record_outcome(
    app: &App,
    ws: WorkspaceId,
    sender: &Sender,
    m: &Message,
    out: Outcome,
    attempt: &str,
    clock: Option<i64>,
) -> AppResult<Recorded> {
    let db = app.db();
    let id = MessageId(m.id);
    let at = clock.unwrap_or_else(now_ms);
    Ok(match out {
        Outcome::Sent(a) => {
            let sent = Sent {
                // SMTP queue ids (and sandbox counters) repeat; only API ids identify a
                // message for later webhooks.
                provider_id: matches!(sender.f.kind.as_str(), "sendgrid" | "resend")
                    .then_some(a.provider_id)
                    .flatten(),
                response: a.response,
                cost_minor: None,
                currency: None,
            };
            // The provider has it: a failure to record that must not abort the batch.
            match messages::mark_sent(db, ws, id, attempt, &sent, at).await {
                Ok(_) => Recorded::Sent,
                Err(e) => {
                    tracing::error!(message = m.id, error = %e, "sent but not recorded");
                    Recorded::Unrecorded
                }
            }
        }
        Outcome::Failed(e) => {
            let text = e.to_string();
            match &e {
                SendError::Transient { .. } if m.attempts < MAX_ATTEMPTS => {
                    let wait = retry_delay(
                        u32::try_from(m.attempts).unwrap_or(1),
                        60_000,
                        3_600_000,
                        rand_jitter(m.id),
                    );
                    messages::mark_retry(db, ws, id, attempt, &text, at + wait, at).await?;
                    Recorded::Retried(text)
                }
                SendError::Transient { .. } => {
                    let why = format!("gave up after {} attempts: {text}", m.attempts);
                    messages::mark_failed(db, ws, id, attempt, &why, at).await?;
                    Recorded::Failed(Some(text))
                }
                SendError::Permanent { code, message } => {
                    messages::mark_failed(db, ws, id, attempt, &text, at).await?;
                    if is_hard_bounce(*code, message) {
                        hard_bounce(app, ws, m, message, at).await?;
                        Recorded::Failed(None)
                    } else {
                        Recorded::Failed(Some(text))
                    }
                }
                SendError::Uncertain { .. } => {
                    messages::mark_uncertain(db, ws, id, attempt, &text, at).await?;
                    Recorded::Uncertain(text)
                }
                SendError::Config { .. } => {
                    messages::mark_retry(db, ws, id, attempt, &text, at + 15 * 60 * 1000, at)
                        .await?;
                    Recorded::SenderBroken(text)
                }
                SendError::Invalid { .. } => {
                    messages::mark_failed(db, ws, id, attempt, &text, at).await?;
                    Recorded::Failed(None)
                }
            }
        }
    })
}

fn rand_jitter(id: i64) -> f64 {
    (super::engine::seed(&[id]) % 1000) as f64 / 1000.0
}

/// 5xx replies that mean the address does not exist (RFC 3463 5.1.x) or the mailbox is gone.
fn is_hard_bounce(code: Option<u16>, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("5.1.1")
        || m.contains("5.1.10")
        || m.contains("5.1.2")
        || m.contains("user unknown")
        || m.contains("no such user")
        || m.contains("mailbox unavailable")
        || m.contains("does not exist")
        || matches!(code, Some(550) | Some(551) | Some(553)) && m.contains("recipient")
}

async fn hard_bounce(app: &App, ws: WorkspaceId, m: &Message, why: &str, at: i64) -> AppResult<()> {
    prospector_store::suppressions::add(
        app.db(),
        ws,
        "email",
        &m.to_address.to_lowercase(),
        "hard bounce",
    )
    .await?;
    messages::record(
        app.db(),
        ws,
        MessageId(m.id),
        Engagement::Bounced,
        Some(why),
        &json!({"hard": true, "at_send": true}).to_string(),
        at,
    )
    .await?;
    if let Some(c) = m.contact_id {
        super::events::stop_contact(app, ws, ContactId(c), "bounce").await?;
    }
    Ok(())
}

async fn pause(app: &App, ws: WorkspaceId, s: &Sender, why: &str) -> AppResult<()> {
    tracing::warn!(sender = s.id, reason = why, "sender paused");
    sender_store::set_state(
        app.db(),
        ws,
        SenderId(s.id),
        sender_store::PAUSED,
        Some(why),
    )
    .await?;
    Ok(())
}

/// The email a stored message becomes.
fn outgoing(
    app: &App,
    s: &Sender,
    m: &Message,
    to_name: Option<String>,
) -> Result<OutgoingEmail, SendError> {
    let message_id = m
        .message_id_header
        .clone()
        .ok_or_else(|| SendError::Invalid {
            message: "the message has no Message-ID".into(),
        })?;
    Ok(OutgoingEmail {
        from_name: s.f.from_name.clone().unwrap_or_else(|| s.f.name.clone()),
        from_email: s.f.from_email.clone(),
        reply_to: s.f.reply_to.clone(),
        to_name,
        to_email: m.to_address.clone(),
        subject: m.subject.clone().unwrap_or_default(),
        text: m.body_text.clone(),
        html: m.body_html.clone(),
        message_id,
        list_unsubscribe: m.unsubscribe_token.as_deref().map(|t| ListUnsubscribe {
            url: super::tracking::unsubscribe_url(app, t),
            mailto: None,
        }),
        extra_headers: {
            let mut h = vec![(
                "X-Prospector-Message".into(),
                format!("{}-{}", m.workspace_id, m.id),
            )];
            if let Some(parent) = &m.in_reply_to {
                h.push(("In-Reply-To".into(), parent.clone()));
                h.push(("References".into(), parent.clone()));
            }
            h
        },
    })
}
