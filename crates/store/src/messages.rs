//! The outbox: one `messages` row per attempt to reach someone, with its append-only status
//! history in `message_events` and its click-tracking links.
//!
//! Send lifecycle (`status`), every change conditional on the current status and recorded as
//! an event in the same transaction:
//!
//! - `pending_approval` -> `queued` ([`approve`]), `rejected` ([`reject`]), `cancelled`
//!   ([`cancel`]);
//! - `queued` -> `sending` ([`claim_for_sending`]), `cancelled` ([`cancel`]);
//! - `sending` -> `sent` ([`mark_sent`]), `failed` ([`mark_failed`]), `cancelled`
//!   ([`mark_cancelled`]), `queued` again at `retry_at` ([`mark_retry`]), `uncertain` when
//!   its lease expired ([`expire_sending`]);
//! - `uncertain` -> `queued` ([`retry_uncertain`], a person's decision), or whatever its own
//!   attempt reports late through `mark_*`.
//!
//! A `sending` row whose lease expired is never queued again by itself: the provider may have
//! accepted it, so it becomes `uncertain` until a person retries it. `mark_*` apply only for
//! the attempt that holds the row (`attempt_id`), while it is `sending`, or `uncertain` after
//! that same attempt's lease expired (a late but true outcome); a superseded attempt changes
//! nothing. What happens after the send (delivered, opened, clicked, replied, bounced,
//! unsubscribed, complained) is not a status: [`record`] sets the first time of each on the
//! row and appends an event.
//!
//! [`claim_for_sending`], [`expire_sending`], [`extend_lease`] and the token lookups work
//! across workspaces (the worker and public links have no workspace); everything else is
//! scoped by workspace.

use crate::query::{Arg, Sql, in_list};
use crate::{
    CampaignId, ContactId, Db, EnrollmentId, MessageId, Result, SenderId, StepId, StoreError,
    VariantId, WorkspaceId, bind_args, on_db,
};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::collections::BTreeMap;

/// Generated for review (campaigns with approval); not sent until approved.
pub const PENDING_APPROVAL: &str = "pending_approval";
/// Waiting for `scheduled_at` and a sender worker.
pub const QUEUED: &str = "queued";
/// Claimed by a worker (`attempt_id`) until `locked_until`.
pub const SENDING: &str = "sending";
/// Accepted by the provider.
pub const SENT: &str = "sent";
/// Refused for good (5xx, invalid address, suppressed...); `error` says why.
pub const FAILED: &str = "failed";
/// The worker's lease expired before the outcome was recorded: it may have gone out.
pub const UNCERTAIN: &str = "uncertain";
/// Refused by the reviewer.
pub const REJECTED: &str = "rejected";
/// Withdrawn before it was sent (campaign stopped, contact replied...).
pub const CANCELLED: &str = "cancelled";

/// What `message_id_header` may contain to be replaced by the new row's id inside the
/// inserting transaction, e.g. `<{id}.k3j9x2@mail.example.com>`.
pub const ID_PLACEHOLDER: &str = "{id}";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Message {
    pub id: i64,
    pub workspace_id: i64,
    /// None for a test send.
    pub campaign_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub step_id: Option<i64>,
    pub variant_id: Option<i64>,
    /// None for a test send.
    pub contact_id: Option<i64>,
    pub channel: String,
    pub sender_id: Option<i64>,
    pub from_address: Option<String>,
    pub to_address: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// Our RFC 5322 Message-ID, with angle brackets, fixed before the first attempt so every
    /// attempt carries the same one.
    pub message_id_header: Option<String>,
    /// The Message-ID this one follows up (threading).
    pub in_reply_to: Option<String>,
    /// Random; resolves `/u/{token}` and the open pixel without a session.
    #[serde(skip)]
    pub unsubscribe_token: Option<String>,
    pub status: String,
    pub attempt_id: Option<String>,
    pub attempts: i64,
    pub locked_until: Option<i64>,
    /// When the last attempt was handed to a worker (the daily limit counts by it).
    pub attempted_at: Option<i64>,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    /// Not sent before this time.
    pub scheduled_at: i64,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub replied_at: Option<i64>,
    pub bounced_at: Option<i64>,
    pub unsubscribed_at: Option<i64>,
    pub complained_at: Option<i64>,
    /// Opens and clicks recorded (the first of each also set `opened_at` / `clicked_at`).
    pub opens: i64,
    pub clicks: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Message {
    pub fn mid(&self) -> MessageId {
        MessageId(self.id)
    }
    pub fn workspace(&self) -> WorkspaceId {
        WorkspaceId(self.workspace_id)
    }
}

const COLS: &str = "id, workspace_id, campaign_id, enrollment_id, step_id, variant_id, \
    contact_id, channel, sender_id, from_address, to_address, subject, body_text, body_html, \
    message_id_header, in_reply_to, unsubscribe_token, status, attempt_id, attempts, \
    locked_until, attempted_at, provider_id, error, cost_minor, currency, scheduled_at, sent_at, \
    delivered_at, opened_at, clicked_at, replied_at, bounced_at, unsubscribed_at, complained_at, \
    opens, clicks, created_at, updated_at";

/// A link of a message rewritten to `/t/c/{token}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub token: String,
    pub url: String,
}

/// A message to queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMessage {
    /// Ignored by [`queue_step_message`], which takes both from the enrollment.
    pub campaign_id: Option<CampaignId>,
    pub contact_id: Option<ContactId>,
    pub step_id: Option<StepId>,
    pub variant_id: Option<VariantId>,
    pub channel: String,
    pub sender_id: Option<SenderId>,
    pub from_address: Option<String>,
    pub to_address: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// Unique. [`ID_PLACEHOLDER`] in it is replaced by the new id in the same transaction.
    pub message_id_header: Option<String>,
    pub in_reply_to: Option<String>,
    /// Unique random token (the app draws it).
    pub unsubscribe_token: Option<String>,
    /// Queue as `pending_approval` instead of `queued`.
    pub pending_approval: bool,
    pub scheduled_at: i64,
    pub links: Vec<NewLink>,
}

/// Queue the step an enrollment is at, and move the enrollment on, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueStep {
    pub enrollment_id: Option<EnrollmentId>,
    /// The enrollment's `current_step` the decision was made on.
    pub expected_step: i64,
    /// When the following step is due (`None`: nothing more scheduled).
    pub next_at: Option<i64>,
    /// This was the last step: the enrollment becomes `completed`.
    pub complete: bool,
    pub message: NewMessage,
    /// The WhatsApp or SMS part of the message (`None` for email).
    pub part: Option<crate::messaging::NewPart>,
    /// The step is not sent to this contact (no number, consent refused...): the message is
    /// recorded as `cancelled` with this reason and the enrollment moves on.
    pub skipped: Option<String>,
}

/// Insert message `$m` on transaction `$tx` with its links and first event; yields its id.
macro_rules! insert_message {
    ($db:expr, $tx:ident, $ws:expr, $m:expr, $campaign:expr, $enrollment:expr, $contact:expr, $now:expr) => {{
        let m: &NewMessage = $m;
        let status = if m.pending_approval {
            PENDING_APPROVAL
        } else {
            QUEUED
        };
        let templated = m
            .message_id_header
            .as_deref()
            .filter(|h| h.contains(ID_PLACEHOLDER));
        let header = if templated.is_some() {
            None
        } else {
            m.message_id_header.clone()
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (workspace_id, campaign_id, enrollment_id, step_id, variant_id, \
             contact_id, channel, sender_id, from_address, to_address, subject, body_text, \
             body_html, message_id_header, in_reply_to, unsubscribe_token, status, scheduled_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
        )
        .bind($ws.0)
        .bind($campaign)
        .bind($enrollment)
        .bind(m.step_id.map(|s| s.0))
        .bind(m.variant_id.map(|v| v.0))
        .bind($contact)
        .bind(&m.channel)
        .bind(m.sender_id.map(|s| s.0))
        .bind(&m.from_address)
        .bind(&m.to_address)
        .bind(&m.subject)
        .bind(&m.body_text)
        .bind(&m.body_html)
        .bind(header)
        .bind(&m.in_reply_to)
        .bind(&m.unsubscribe_token)
        .bind(status)
        .bind(m.scheduled_at)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        if let Some(t) = templated {
            sqlx::query("UPDATE messages SET message_id_header = $2 WHERE id = $1")
                .bind(id)
                .bind(t.replace(ID_PLACEHOLDER, &id.to_string()))
                .execute(&mut *$tx)
                .await?;
        }
        for mut s in links_sql($ws, id, &m.links, $now) {
            bind_args!(sqlx::query(&s.text_for($db)), s.args)
                .persistent(false)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, created_at) \
             VALUES ($1, $2, $3, NULL, '{}', $4)",
        )
        .bind($ws.0)
        .bind(id)
        .bind(status)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        id
    }};
}

fn links_sql(ws: WorkspaceId, message: i64, links: &[NewLink], now: i64) -> Vec<Sql> {
    links
        .chunks(200)
        .map(|chunk| {
            let mut s = Sql::new(
                "INSERT INTO tracking_links (workspace_id, message_id, token, url, clicks, \
                 created_at) VALUES ",
            );
            for (i, l) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                s.push_args(
                    "(?, ?, ?, ?, 0, ?)",
                    vec![
                        ws.0.into(),
                        message.into(),
                        l.token.as_str().into(),
                        l.url.as_str().into(),
                        now.into(),
                    ],
                );
            }
            s
        })
        .collect()
}

/// Whether a statement built for `rows` rows is kept prepared: only the full batch sizes the
/// outbox uses (claims of 64, inserts of 100, tick batches of 250) repeat; any other size is a
/// one-off that would crowd the statement cache.
fn reusable(rows: usize) -> bool {
    matches!(rows, 64 | 100 | 250)
}

/// One event per `(workspace, message, detail)`, as multi-row INSERTs.
fn events_sql(rows: &[(i64, i64, Option<String>)], kind: &str, data: &str, now: i64) -> Vec<Sql> {
    rows.chunks(300)
        .map(|chunk| {
            let mut s = Sql::new(
                "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, \
                 created_at) VALUES ",
            );
            for (i, (ws, id, detail)) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                s.push_args(
                    "(?, ?, ?, ?, ?, ?)",
                    vec![
                        (*ws).into(),
                        (*id).into(),
                        kind.into(),
                        Arg::OptText(detail.clone()),
                        data.into(),
                        now.into(),
                    ],
                );
            }
            s
        })
        .collect()
}

/// Queue a message outside a sequence (a test send, a one-off), with its links and its
/// first event, in one transaction.
pub async fn queue(db: &Db, ws: WorkspaceId, m: &NewMessage) -> Result<Message> {
    let now = now_ms();
    let campaign = m.campaign_id.map(|c| c.0);
    let contact = m.contact_id.map(|c| c.0);
    let id: i64 = crate::in_tx!(db, tx => {
        let id = insert_message!(db, tx, ws, m, campaign, None::<i64>, contact, now);
        Ok::<i64, StoreError>(id)
    })?;
    get(db, ws, MessageId(id)).await
}

/// The exactly-once decision to send a step: in one transaction, move the enrollment from
/// `expected_step` to the next (with `next_at`, its sender and last message, `completed`
/// when asked), and insert the message (`queued`, or `pending_approval`) with its links and
/// first event. The message takes its campaign and contact from the enrollment.
///
/// Returns `None`, writing nothing, when the enrollment is no longer active at
/// `expected_step` (another tick queued it, or it was stopped meanwhile).
pub async fn queue_step_message(
    db: &Db,
    ws: WorkspaceId,
    q: &QueueStep,
) -> Result<Option<Message>> {
    match queue_step_messages(db, ws, std::slice::from_ref(q))
        .await?
        .pop()
        .flatten()
    {
        Some(id) => Ok(Some(get(db, ws, MessageId(id)).await?)),
        None => Ok(None),
    }
}

/// One enrollment moved on by a tick's batch (see [`advance_sql`]).
struct Advance {
    enrollment: i64,
    next_at: Option<i64>,
    complete: bool,
    sender: Option<i64>,
    message: i64,
}

/// The UPDATE that moves a batch of enrollments still active at `step` on, each to its own
/// next time, state, sender and last message, returning the ones it moved.
///
/// One row of values per enrollment, looked up by its id from a correlated row-value
/// subquery. A CASE per column made every updated row walk every WHEN; `UPDATE ... FROM
/// (VALUES ...)` was planned by SQLite 3.46 (the bundled one) as a walk of every enrollment of
/// the workspace with a Bloom filter on the values, for every batch (10 s of a
/// 100,000-message run). Here only the id list can drive (`+` and `|| ''` keep the other
/// conditions off the indexes); `plans` below checks it.
fn advance_sql(ws: WorkspaceId, step: i64, now: i64, rows: impl Iterator<Item = Advance>) -> Sql {
    let mut u = Sql::new("WITH v(id, next_at, complete, sender_id, message_id) AS (VALUES ");
    for (j, a) in rows.enumerate() {
        if j > 0 {
            u.push(", ");
        }
        u.push_args(
            "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), \
             CAST(? AS BIGINT), CAST(? AS BIGINT))",
            vec![
                a.enrollment.into(),
                Arg::OptI64(a.next_at),
                i64::from(a.complete).into(),
                Arg::OptI64(a.sender),
                a.message.into(),
            ],
        );
    }
    u.push(
        ") UPDATE enrollments SET current_step = current_step + 1, \
        (next_at, state, sender_id, last_message_id) = (SELECT v.next_at, \
        CASE WHEN v.complete = 1 THEN 'completed' ELSE enrollments.state END, \
        COALESCE(v.sender_id, enrollments.sender_id), v.message_id \
        FROM v WHERE v.id = enrollments.id), updated_at = ",
    );
    let n = u.arg(now);
    u.push(&n);
    u.push(" WHERE enrollments.id IN (SELECT id FROM v) AND +enrollments.workspace_id = ");
    let w = u.arg(ws.0);
    u.push(&w);
    let st = u.arg(step);
    u.push(&format!(
        " AND enrollments.state || '' = 'active' AND +enrollments.current_step = {st}"
    ));
    u.push(" RETURNING enrollments.id, enrollments.campaign_id, enrollments.contact_id");
    u
}

/// [`queue_step_message`] for many enrollments in one transaction (a tick's batch), with
/// set-based statements: one guarded UPDATE moves every enrollment still active at its
/// `expected_step`, then the messages and their first events go in as multi-row INSERTs
/// (ids reserved up front so the Message-ID and the enrollment's `last_message_id` are
/// written at once). Returns the new message id of each, or `None` where the enrollment had
/// moved.
pub async fn queue_step_messages(
    db: &Db,
    ws: WorkspaceId,
    qs: &[QueueStep],
) -> Result<Vec<Option<i64>>> {
    let mut out: Vec<Option<i64>> = vec![None; qs.len()];
    if qs.is_empty() {
        return Ok(out);
    }
    let now = now_ms();
    crate::in_tx!(db, tx => {
        // Take the write lock first (SQLite), so the id reservation below is safe.
        sqlx::query("UPDATE enrollments SET updated_at = updated_at WHERE id = -1")
            .execute(&mut *tx).await?;
        let ids = crate::reserve_ids!(db, tx, "messages", qs.len() as i64);
        let mut steps: Vec<i64> = qs.iter().map(|q| q.expected_step).collect();
        steps.sort_unstable();
        steps.dedup();
        let mut moved: std::collections::HashMap<i64, (i64, i64)> = std::collections::HashMap::new();
        for step in steps {
            let idx: Vec<usize> = (0..qs.len())
                .filter(|&i| qs[i].expected_step == step && qs[i].enrollment_id.is_some())
                .collect();
            if idx.is_empty() {
                continue;
            }
            let mut u = advance_sql(
                ws,
                step,
                now,
                idx.iter().map(|&i| Advance {
                    enrollment: qs[i].enrollment_id.map(|e| e.0).unwrap_or_default(),
                    next_at: qs[i].next_at,
                    complete: qs[i].complete,
                    sender: qs[i].message.sender_id.map(|s| s.0),
                    message: ids[i],
                }),
            );
            let rows: Vec<(i64, i64, i64)> = bind_args!(
                sqlx::query_as::<_, (i64, i64, i64)>(&u.text_for(db)), u.args)
                .persistent(reusable(idx.len())).fetch_all(&mut *tx).await?;
            for (e, c, k) in rows {
                moved.insert(e, (c, k));
            }
        }
        let mut rows: Vec<(usize, i64, i64, i64)> = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            if let Some(e) = q.enrollment_id
                && let Some((campaign, contact)) = moved.get(&e.0)
            {
                rows.push((i, e.0, *campaign, *contact));
                out[i] = Some(ids[i]);
            }
        }
        for chunk in rows.chunks(100) {
            let mut ins = Sql::new(
                "INSERT INTO messages (id, workspace_id, campaign_id, enrollment_id, step_id, \
                 variant_id, contact_id, channel, sender_id, from_address, to_address, subject, \
                 body_text, body_html, message_id_header, in_reply_to, unsubscribe_token, status, \
                 error, scheduled_at, created_at, updated_at) VALUES ",
            );
            let mut ev = Sql::new(
                "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, \
                 created_at) VALUES ",
            );
            for (j, &(i, e, campaign, contact)) in chunk.iter().enumerate() {
                let m = &qs[i].message;
                let id = ids[i];
                let skipped = qs[i].skipped.as_deref();
                let status = if skipped.is_some() {
                    CANCELLED
                } else if m.pending_approval {
                    PENDING_APPROVAL
                } else {
                    QUEUED
                };
                let header = m
                    .message_id_header
                    .as_ref()
                    .map(|h| h.replace(ID_PLACEHOLDER, &id.to_string()));
                if j > 0 {
                    ins.push(", ");
                    ev.push(", ");
                }
                ins.push_args(
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        id.into(), ws.0.into(), campaign.into(), e.into(),
                        Arg::OptI64(m.step_id.map(|s| s.0)), Arg::OptI64(m.variant_id.map(|v| v.0)),
                        contact.into(), m.channel.as_str().into(),
                        Arg::OptI64(m.sender_id.map(|s| s.0)), Arg::OptText(m.from_address.clone()),
                        m.to_address.as_str().into(), Arg::OptText(m.subject.clone()),
                        m.body_text.as_str().into(), Arg::OptText(m.body_html.clone()),
                        Arg::OptText(header), Arg::OptText(m.in_reply_to.clone()),
                        Arg::OptText(m.unsubscribe_token.clone()), status.into(),
                        Arg::OptText(skipped.map(str::to_string)),
                        m.scheduled_at.into(), now.into(), now.into(),
                    ],
                );
                ev.push_args(
                    "(?, ?, ?, ?, '{}', ?)",
                    vec![ws.0.into(), id.into(), status.into(),
                         Arg::OptText(skipped.map(str::to_string)), now.into()],
                );
            }
            bind_args!(sqlx::query(&ins.text_for(db)), ins.args).persistent(reusable(chunk.len()))
                .execute(&mut *tx).await?;
            bind_args!(sqlx::query(&ev.text_for(db)), ev.args).persistent(reusable(chunk.len()))
                .execute(&mut *tx).await?;
        }
        for &(i, _, _, _) in &rows {
            if let Some(part) = &qs[i].part {
                sqlx::query(crate::messaging::INSERT_PART)
                    .bind(ids[i]).bind(ws.0).bind(&qs[i].message.channel).bind(&part.kind)
                    .bind(&part.template_name).bind(&part.language).bind(&part.params)
                    .bind(&part.fallback).bind(&part.category).bind(&part.country)
                    .bind(part.segments).bind(&part.encoding).bind(part.broadcast_id)
                    .bind(now).execute(&mut *tx).await?;
            }
            for mut l in links_sql(ws, ids[i], &qs[i].message.links, now) {
                bind_args!(sqlx::query(&l.text_for(db)), l.args).persistent(false)
                    .execute(&mut *tx).await?;
            }
        }
        Ok::<Vec<Option<i64>>, StoreError>(out)
    })
}

pub async fn get(db: &Db, ws: WorkspaceId, id: MessageId) -> Result<Message> {
    let sql = format!("SELECT {COLS} FROM messages WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Several messages of a workspace by id (missing ones are absent).
pub async fn get_many(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        // `+`: the rows are looked up by id (see [`crate::query::in_list`]).
        let mut s = Sql::new(format!(
            "SELECT {COLS} FROM messages WHERE +workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        crate::query::in_list(&mut s, "id", chunk);
        out.extend(on_db!(db, p => bind_args!(
            sqlx::query_as::<_, Message>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
}

/// Per sender: messages planned for `[from, to)` that count against its daily limit
/// (waiting, queued, sending, sent or uncertain) and the latest planned time among them.
pub async fn planned_by_sender(
    db: &Db,
    ws: WorkspaceId,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64, i64)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT sender_id, COUNT(*), MAX(scheduled_at) FROM messages WHERE workspace_id = $1 \
         AND sender_id IS NOT NULL AND scheduled_at >= $2 AND scheduled_at < $3 \
         AND status IN ('pending_approval', 'queued', 'sending', 'sent', 'uncertain') \
         GROUP BY sender_id")
        .bind(ws.0).bind(from).bind(to).fetch_all(p).await)?)
}

/// What a sender worker claims.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub now: i64,
    /// The claim holds until `now + lease_ms`; after that the row becomes `uncertain`.
    pub lease_ms: i64,
    pub limit: i64,
    /// Identifies this attempt; only it can record the outcome.
    pub attempt_id: &'a str,
    /// Only this channel (`None`: all).
    pub channel: Option<&'a str>,
}

/// Claim up to `limit` queued messages of every workspace that are due (`scheduled_at <=
/// now`), soonest first: each becomes `sending` with the attempt id, one more attempt, a
/// lease, `attempted_at = now`, and a `sending` event, in one transaction. Messages of a
/// paused or stopped campaign, or of a paused sender, are left queued. PostgreSQL claims with
/// `FOR UPDATE SKIP LOCKED`, so concurrent workers never get the same row; SQLite has one
/// writer, so the single `UPDATE ... RETURNING` is atomic there.
pub async fn claim_for_sending(db: &Db, c: &Claim<'_>) -> Result<Vec<Message>> {
    let pick = "SELECT m.id FROM messages m WHERE m.status = 'queued' AND m.scheduled_at <= $1 \
        AND ($4 = '' OR m.channel = $4) \
        AND NOT EXISTS (SELECT 1 FROM outreach_campaigns oc WHERE oc.id = m.campaign_id \
            AND oc.state IN ('paused', 'stopped')) \
        AND NOT EXISTS (SELECT 1 FROM senders s WHERE s.id = m.sender_id AND s.state = 'paused') \
        ORDER BY m.scheduled_at, m.id LIMIT $3";
    let set = "status = 'sending', attempt_id = $2, attempts = attempts + 1, locked_until = $5, \
        attempted_at = $1, updated_at = $1";
    let sql = match db {
        // A CTE is evaluated once, so the locked set is exactly the set updated; `OF m` locks
        // only the messages, not the campaign and sender rows looked at.
        Db::Postgres(_) => format!(
            "WITH picked AS ({} FOR UPDATE OF m SKIP LOCKED) UPDATE messages SET {set} \
             FROM picked WHERE messages.id = picked.pid RETURNING {COLS}",
            pick.replacen("SELECT m.id FROM", "SELECT m.id AS pid FROM", 1)
        ),
        Db::Sqlite(_) => {
            format!("UPDATE messages SET {set} WHERE id IN ({pick}) RETURNING {COLS}")
        }
    };
    let now = c.now;
    let attempt = c.attempt_id;
    let mut rows: Vec<Message> = crate::in_tx!(db, tx => {
        let rows: Vec<Message> = sqlx::query_as(&sql).bind(now).bind(attempt)
            .bind(c.limit.clamp(1, 10_000)).bind(c.channel.unwrap_or(""))
            .bind(now + c.lease_ms).fetch_all(&mut *tx).await?;
        let ev: Vec<(i64, i64, Option<String>)> = rows.iter()
            .map(|m| (m.workspace_id, m.id, Some(attempt.to_string()))).collect();
        for mut s in events_sql(&ev, SENDING, "{}", now) {
            bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(reusable(ev.len()))
                .execute(&mut *tx).await?;
        }
        Ok::<Vec<Message>, StoreError>(rows)
    })?;
    rows.sort_by_key(|m| (m.scheduled_at, m.id));
    Ok(rows)
}

/// Extend the lease of messages this attempt still holds. Returns how many.
pub async fn extend_lease(db: &Db, attempt_id: &str, ids: &[MessageId], until: i64) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut s = Sql::new("");
        s.push_args(
            "UPDATE messages SET locked_until = ? WHERE attempt_id = ? AND status = 'sending'",
            vec![until.into(), attempt_id.into()],
        );
        let raw: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        in_list(&mut s, "id", &raw);
        n += on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(false)
            .execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// The provider accepted a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sent {
    /// The provider's id (an API's message id). Unique per workspace: leave `None` when the
    /// provider's ids can repeat (an SMTP relay's queue id) and keep it in `response`.
    pub provider_id: Option<String>,
    /// The provider's answer (SMTP reply line, API status), kept in the event.
    pub response: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
}

/// Run an UPDATE of one message that must match the attempt, and append its event when it
/// applied. `$update` binds `$1` workspace, `$2` id, `$3` attempt id, `$4` now, then its own.
macro_rules! finish_attempt {
    ($db:expr, $update:expr, $ws:expr, $id:expr, $attempt:expr, $now:expr, $kind:expr,
     $detail:expr, |$q:ident| $bind:expr) => {{
        let applied: bool = crate::in_tx!($db, tx => {
            let $q = sqlx::query($update).bind($ws.0).bind($id.0).bind($attempt).bind($now);
            let n = $bind.execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query(
                    "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, \
                     created_at) VALUES ($1, $2, $3, $4, '{}', $5)")
                    .bind($ws.0).bind($id.0).bind($kind).bind($detail).bind($now)
                    .execute(&mut *tx).await?;
            }
            Ok::<bool, StoreError>(n == 1)
        })?;
        Ok(applied)
    }};
}

const HELD: &str = "workspace_id = $1 AND id = $2 AND attempt_id = $3 \
    AND status IN ('sending', 'uncertain')";

/// Record that attempt `attempt_id` was accepted: `sent` with the provider id, `sent_at`,
/// cost, and a `sent` event. False when this attempt no longer holds the message.
pub async fn mark_sent(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    attempt_id: &str,
    sent: &Sent,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE messages SET status = 'sent', provider_id = $5, cost_minor = $6, currency = $7, \
         sent_at = $4, locked_until = NULL, error = NULL, updated_at = $4 WHERE {HELD}"
    );
    finish_attempt!(
        db,
        &sql,
        ws,
        id,
        attempt_id,
        now,
        SENT,
        Some(sent.response.as_str()),
        |q| q
            .bind(&sent.provider_id)
            .bind(sent.cost_minor)
            .bind(&sent.currency)
    )
}

/// The UPDATE that records a chunk of accepted messages of one attempt as `sent`, returning
/// the ids it changed. A column whose value is the same for the whole chunk (no provider id
/// from an SMTP relay, no cost) is set once instead of through a CASE every row walks.
fn sent_sql(ws: WorkspaceId, attempt_id: &str, now: i64, chunk: &[(MessageId, Sent)]) -> Sql {
    let mut u = Sql::new("UPDATE messages SET status = 'sent'");
    per_row(&mut u, "provider_id", chunk, |s| {
        Arg::OptText(s.provider_id.clone())
    });
    per_row(&mut u, "cost_minor", chunk, |s| Arg::OptI64(s.cost_minor));
    per_row(&mut u, "currency", chunk, |s| {
        Arg::OptText(s.currency.clone())
    });
    let n = u.arg(now);
    u.push(&format!(
        ", sent_at = {n}, locked_until = NULL, error = NULL, updated_at = {n} \
         WHERE +workspace_id = "
    ));
    let w = u.arg(ws.0);
    u.push(&w);
    let a = u.arg(attempt_id);
    // By id only (see [`crate::query::in_list`]).
    u.push(&format!(
        " AND attempt_id = {a} AND status || '' IN ('sending', 'uncertain')"
    ));
    let ids: Vec<i64> = chunk.iter().map(|(id, _)| id.0).collect();
    in_list(&mut u, "id", &ids);
    u.push(" RETURNING id");
    u
}

/// `, column = value` when every row of `chunk` has the same value, else a CASE on the id.
fn per_row(u: &mut Sql, column: &str, chunk: &[(MessageId, Sent)], value: impl Fn(&Sent) -> Arg) {
    let values: Vec<Arg> = chunk.iter().map(|(_, s)| value(s)).collect();
    if let Some(first) = values.first()
        && values.iter().all(|v| v == first)
    {
        let p = u.arg(first.clone());
        u.push(&format!(", {column} = {p}"));
        return;
    }
    u.push(&format!(", {column} = CASE id"));
    for ((id, _), v) in chunk.iter().zip(values) {
        let (a, b) = (u.arg(id.0), u.arg(v));
        u.push(&format!(" WHEN {a} THEN {b}"));
    }
    u.push(" END");
}

/// [`mark_sent`] for many messages of one attempt in one transaction: one UPDATE for all
/// (provider ids by CASE) and one multi-row INSERT of their events. Returns the ids whose
/// outcome was recorded (those the attempt still held).
pub async fn mark_sent_many(
    db: &Db,
    ws: WorkspaceId,
    attempt_id: &str,
    sent: &[(MessageId, Sent)],
    now: i64,
) -> Result<Vec<MessageId>> {
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    crate::in_tx!(db, tx => {
        let mut done = Vec::with_capacity(sent.len());
        for chunk in sent.chunks(200) {
            let mut u = sent_sql(ws, attempt_id, now, chunk);
            let got: Vec<i64> = bind_args!(sqlx::query_scalar::<_, i64>(&u.text_for(db)), u.args)
                .persistent(reusable(chunk.len())).fetch_all(&mut *tx).await?;
            let got: std::collections::HashSet<i64> = got.into_iter().collect();
            let events: Vec<(i64, i64, Option<String>)> = chunk
                .iter()
                .filter(|(id, _)| got.contains(&id.0))
                .map(|(id, s)| (ws.0, id.0, Some(s.response.clone())))
                .collect();
            for mut s in events_sql(&events, SENT, "{}", now) {
                bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(reusable(events.len()))
                    .execute(&mut *tx).await?;
            }
            done.extend(chunk.iter().map(|(id, _)| *id).filter(|id| got.contains(&id.0)));
        }
        Ok::<Vec<MessageId>, StoreError>(done)
    })
}

/// Record that attempt `attempt_id` failed for good: `failed` with the reason, and a `failed`
/// event. False when this attempt no longer holds the message.
pub async fn mark_failed(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    attempt_id: &str,
    error: &str,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE messages SET status = 'failed', error = $5, locked_until = NULL, updated_at = $4 \
         WHERE {HELD}"
    );
    finish_attempt!(
        db,
        &sql,
        ws,
        id,
        attempt_id,
        now,
        FAILED,
        Some(error),
        |q| q.bind(error)
    )
}

/// Record that attempt `attempt_id` failed for now (4xx, a closed connection before DATA, a
/// sender over its limit): back to `queued` at `retry_at` with the reason, and a `deferred`
/// event. False when this attempt no longer holds the message.
pub async fn mark_retry(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    attempt_id: &str,
    error: &str,
    retry_at: i64,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE messages SET status = 'queued', error = $5, scheduled_at = $6, \
         locked_until = NULL, updated_at = $4 WHERE {HELD}"
    );
    finish_attempt!(
        db,
        &sql,
        ws,
        id,
        attempt_id,
        now,
        "deferred",
        Some(error),
        |q| q.bind(error).bind(retry_at)
    )
}

/// Withdraw a claimed message before handing it over (the address became suppressed, the
/// contact replied meanwhile): `cancelled` with the reason. False when this attempt no longer
/// holds the message.
pub async fn mark_cancelled(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    attempt_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE messages SET status = 'cancelled', error = $5, locked_until = NULL, \
         updated_at = $4 WHERE {HELD}"
    );
    finish_attempt!(
        db,
        &sql,
        ws,
        id,
        attempt_id,
        now,
        CANCELLED,
        Some(reason),
        |q| q.bind(reason)
    )
}

/// Record that attempt `attempt_id` ended without knowing whether the provider took the
/// message (the connection dropped after the content was sent): `uncertain` with the reason,
/// never resent automatically. False when this attempt no longer holds the message.
pub async fn mark_uncertain(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    attempt_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE messages SET status = 'uncertain', error = $5, locked_until = NULL, \
         updated_at = $4 WHERE {HELD}"
    );
    finish_attempt!(
        db,
        &sql,
        ws,
        id,
        attempt_id,
        now,
        UNCERTAIN,
        Some(reason),
        |q| q.bind(reason)
    )
}

/// Messages of every workspace still `sending` after their lease (`locked_until < now`)
/// become `uncertain`, with an event, never `queued`. Returns how many.
pub async fn expire_sending(db: &Db, now: i64) -> Result<u64> {
    crate::in_tx!(db, tx => {
        let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
            "UPDATE messages SET status = 'uncertain', locked_until = NULL, updated_at = $1 \
             WHERE status = 'sending' AND locked_until < $1 \
             RETURNING workspace_id, id, attempt_id")
            .bind(now).fetch_all(&mut *tx).await?;
        let ev: Vec<(i64, i64, Option<String>)> = rows.iter().map(|(w, id, a)| {
            (*w, *id, Some(format!(
                "lease of attempt {} expired before its outcome was recorded",
                a.as_deref().unwrap_or("?"))))
        }).collect();
        for mut s in events_sql(&ev, UNCERTAIN, "{}", now) {
            bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(false)
                .execute(&mut *tx).await?;
        }
        Ok::<u64, StoreError>(rows.len() as u64)
    })
}

/// Which messages of a workspace a bulk action applies to.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    Ids(&'a [MessageId]),
    Campaign(CampaignId),
    Contact(ContactId),
}

/// Move the selected messages in one of `from` to `to` (with `extra` SET clauses whose `?`
/// take `extra_args`), appending a `kind` event to each, in one transaction. Returns the ids
/// moved.
#[allow(clippy::too_many_arguments)]
async fn transition(
    db: &Db,
    ws: WorkspaceId,
    sel: Selection<'_>,
    from: &[&str],
    to: &str,
    extra: &str,
    extra_args: Vec<Arg>,
    kind: &str,
    detail: Option<&str>,
) -> Result<Vec<MessageId>> {
    let now = now_ms();
    let build = |ids: Option<&[i64]>| {
        let mut s = Sql::new("");
        s.push_args(
            "UPDATE messages SET status = ?, updated_at = ?",
            vec![to.into(), now.into()],
        );
        s.push_args(extra, extra_args.clone());
        // Chosen by id: only the primary key may drive it (see [`crate::query::in_list`]).
        let (ws_col, status) = match ids {
            Some(_) => ("+workspace_id", "status || ''"),
            None => ("workspace_id", "status"),
        };
        s.push_args(&format!(" WHERE {ws_col} = ?"), vec![ws.0.into()]);
        let marks: Vec<String> = from.iter().map(|f| s.arg(*f)).collect();
        s.push(&format!(" AND {status} IN ({})", marks.join(", ")));
        match (sel, ids) {
            (_, Some(ids)) => in_list(&mut s, "id", ids),
            (Selection::Campaign(c), None) => {
                s.push_args(" AND campaign_id = ?", vec![c.0.into()]);
            }
            (Selection::Contact(c), None) => {
                s.push_args(" AND contact_id = ?", vec![c.0.into()]);
            }
            (Selection::Ids(_), None) => in_list(&mut s, "id", &[]),
        }
        s.push(" RETURNING id");
        s
    };
    let mut statements: Vec<Sql> = match sel {
        Selection::Ids(ids) => {
            let raw: Vec<i64> = ids.iter().map(|m| m.0).collect();
            raw.chunks(500).map(|c| build(Some(c))).collect()
        }
        _ => vec![build(None)],
    };
    let moved: Vec<i64> = crate::in_tx!(db, tx => {
        let mut moved: Vec<i64> = Vec::new();
        for s in &mut statements {
            let ids: Vec<i64> = bind_args!(sqlx::query_scalar::<_, i64>(&s.text_for(db)), s.args)
                .persistent(false).fetch_all(&mut *tx).await?;
            moved.extend(ids);
        }
        let ev: Vec<(i64, i64, Option<String>)> = moved.iter()
            .map(|id| (ws.0, *id, detail.map(str::to_string))).collect();
        for mut s in events_sql(&ev, kind, "{}", now) {
            bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(false)
                .execute(&mut *tx).await?;
        }
        Ok::<Vec<i64>, StoreError>(moved)
    })?;
    let mut out: Vec<MessageId> = moved.into_iter().map(MessageId).collect();
    out.sort();
    Ok(out)
}

/// Approve messages waiting for review: `pending_approval` -> `queued` (they keep their
/// planned `scheduled_at`). Returns the ids approved.
pub async fn approve(db: &Db, ws: WorkspaceId, sel: Selection<'_>) -> Result<Vec<MessageId>> {
    transition(
        db,
        ws,
        sel,
        &[PENDING_APPROVAL],
        QUEUED,
        "",
        vec![],
        "approved",
        None,
    )
    .await
}

/// Reject messages waiting for review: `pending_approval` -> `rejected` with the reason.
pub async fn reject(
    db: &Db,
    ws: WorkspaceId,
    sel: Selection<'_>,
    reason: &str,
) -> Result<Vec<MessageId>> {
    transition(
        db,
        ws,
        sel,
        &[PENDING_APPROVAL],
        REJECTED,
        ", error = ?",
        vec![reason.into()],
        REJECTED,
        Some(reason),
    )
    .await
}

/// Withdraw messages not yet claimed (`queued` or `pending_approval` -> `cancelled`), e.g.
/// of a stopped campaign or of a contact who replied. Returns the ids cancelled.
pub async fn cancel(
    db: &Db,
    ws: WorkspaceId,
    sel: Selection<'_>,
    reason: &str,
) -> Result<Vec<MessageId>> {
    transition(
        db,
        ws,
        sel,
        &[QUEUED, PENDING_APPROVAL],
        CANCELLED,
        ", error = ?",
        vec![reason.into()],
        CANCELLED,
        Some(reason),
    )
    .await
}

/// A person's explicit retry of messages whose outcome is unknown: `uncertain` -> `queued`,
/// due at `at` (they keep their Message-ID, so a receiving server or a reply can still tell
/// a duplicate). Returns the ids queued again.
pub async fn retry_uncertain(
    db: &Db,
    ws: WorkspaceId,
    sel: Selection<'_>,
    at: i64,
) -> Result<Vec<MessageId>> {
    transition(
        db,
        ws,
        sel,
        &[UNCERTAIN],
        QUEUED,
        ", scheduled_at = ?",
        vec![at.into()],
        "requeued",
        None,
    )
    .await
}

/// Edit a message waiting for review, with an `edited` event. False unless it is
/// `pending_approval`.
pub async fn edit_pending(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    subject: Option<&str>,
    body_text: &str,
    body_html: Option<&str>,
) -> Result<bool> {
    let now = now_ms();
    crate::in_tx!(db, tx => {
        let n = sqlx::query(
            "UPDATE messages SET subject = $3, body_text = $4, body_html = $5, updated_at = $6 \
             WHERE workspace_id = $1 AND id = $2 AND status = 'pending_approval'")
            .bind(ws.0).bind(id.0).bind(subject).bind(body_text).bind(body_html).bind(now)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            sqlx::query(
                "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, created_at) \
                 VALUES ($1, $2, 'edited', NULL, '{}', $3)")
                .bind(ws.0).bind(id.0).bind(now).execute(&mut *tx).await?;
        }
        Ok::<bool, StoreError>(n == 1)
    })
}

/// Something that happened to a message after it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engagement {
    Delivered,
    Opened,
    Clicked,
    Replied,
    Bounced,
    Unsubscribed,
    Complained,
}

impl Engagement {
    /// The event kind, and the name used in stats.
    pub fn kind(self) -> &'static str {
        match self {
            Engagement::Delivered => "delivered",
            Engagement::Opened => "opened",
            Engagement::Clicked => "clicked",
            Engagement::Replied => "replied",
            Engagement::Bounced => "bounced",
            Engagement::Unsubscribed => "unsubscribed",
            Engagement::Complained => "complained",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Engagement::Delivered => "delivered_at",
            Engagement::Opened => "opened_at",
            Engagement::Clicked => "clicked_at",
            Engagement::Replied => "replied_at",
            Engagement::Bounced => "bounced_at",
            Engagement::Unsubscribed => "unsubscribed_at",
            Engagement::Complained => "complained_at",
        }
    }

    fn counter(self) -> Option<&'static str> {
        match self {
            Engagement::Opened => Some("opens"),
            Engagement::Clicked => Some("clicks"),
            _ => None,
        }
    }
}

/// Record an engagement at `at`, in one transaction. The first one of its kind sets the
/// message's time column (`opened_at`, `replied_at`...) and appends an event; a repeated open
/// or click only counts (`opens`, `clicks`) without an event, so a mail client loading the
/// pixel fifty times writes one event; any other repeat (a second reply, a later hard bounce)
/// appends its event again, keeping its detail. Returns whether it was the first of its kind.
/// Bot opens and clicks are the app's to filter before calling this. An unknown message is
/// `NotFound`.
pub async fn record(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    what: Engagement,
    detail: Option<&str>,
    data: &str,
    at: i64,
) -> Result<bool> {
    let col = what.column();
    let first_sql = format!(
        "UPDATE messages SET {col} = $3, updated_at = $3 WHERE workspace_id = $1 AND id = $2 \
         AND {col} IS NULL"
    );
    let count_sql = match what.counter() {
        Some(c) => format!("UPDATE messages SET {c} = {c} + 1 WHERE workspace_id = $1 AND id = $2"),
        None => "UPDATE messages SET updated_at = updated_at WHERE workspace_id = $1 AND id = $2"
            .to_string(),
    };
    let kind = what.kind();
    crate::in_tx!(db, tx => {
        let first = sqlx::query(&first_sql).bind(ws.0).bind(id.0).bind(at)
            .execute(&mut *tx).await?.rows_affected() == 1;
        let exists = sqlx::query(&count_sql).bind(ws.0).bind(id.0)
            .execute(&mut *tx).await?.rows_affected() == 1;
        if !exists {
            return Err(StoreError::NotFound);
        }
        if first || what.counter().is_none() {
            sqlx::query(
                "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(ws.0).bind(id.0).bind(kind).bind(detail).bind(data).bind(at)
                .execute(&mut *tx).await?;
        }
        Ok::<bool, StoreError>(first)
    })
}

/// One entry of a message's status history.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MessageEvent {
    pub id: i64,
    pub workspace_id: i64,
    pub message_id: i64,
    /// pending_approval, queued, approved, edited, rejected, cancelled, sending, deferred,
    /// sent, failed, uncertain, requeued, delivered, opened, clicked, replied, bounced,
    /// unsubscribed, complained, or one the app appends.
    pub kind: String,
    /// A reason or a provider's answer.
    pub detail: Option<String>,
    /// JSON object.
    pub data: String,
    pub created_at: i64,
}

const EVENT_COLS: &str = "id, workspace_id, message_id, kind, detail, data, created_at";

/// Append an event to a message's history (nothing else changes). `NotFound` when the message
/// is not the workspace's.
pub async fn append_event(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    kind: &str,
    detail: Option<&str>,
    data: &str,
    at: i64,
) -> Result<MessageEvent> {
    let sql = format!(
        "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, created_at) \
         SELECT m.workspace_id, m.id, $3, $4, $5, $6 FROM messages m \
         WHERE m.workspace_id = $1 AND m.id = $2 RETURNING {EVENT_COLS}"
    );
    on_db!(db, p => sqlx::query_as::<_, MessageEvent>(&sql).bind(ws.0).bind(id.0).bind(kind)
        .bind(detail).bind(data).bind(at).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A message's history, oldest first.
pub async fn events(db: &Db, ws: WorkspaceId, id: MessageId) -> Result<Vec<MessageEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLS} FROM message_events WHERE workspace_id = $1 AND message_id = $2 \
         ORDER BY id LIMIT 1000"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, MessageEvent>(&sql).bind(ws.0).bind(id.0)
        .fetch_all(p).await)?,
    )
}

/// The histories of several messages (a contact's timeline), by message then oldest first.
pub async fn events_of(db: &Db, ws: WorkspaceId, ids: &[MessageId]) -> Result<Vec<MessageEvent>> {
    let mut out = Vec::new();
    let raw: Vec<i64> = ids.iter().map(|m| m.0).collect();
    for chunk in raw.chunks(500) {
        let mut s = Sql::new(format!(
            "SELECT {EVENT_COLS} FROM message_events WHERE workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "message_id", chunk);
        s.push(" ORDER BY message_id, id");
        out.extend(
            on_db!(db, p => bind_args!(sqlx::query_as::<_, MessageEvent>(&s.text_for(db)), s.args)
            .persistent(false).fetch_all(p).await)?,
        );
    }
    Ok(out)
}

/// A contact's messages, newest first, keyset-paginated by id.
pub async fn list_for_contact(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE workspace_id = $1 AND contact_id = $2 AND id < $3 \
         ORDER BY id DESC LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(contact.0)
        .bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// A campaign's messages, newest first, optionally in one status, keyset-paginated by id.
pub async fn list_for_campaign(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE workspace_id = $1 AND campaign_id = $2 AND id < $3 \
         AND ($4 = '' OR status = $4) ORDER BY id DESC LIMIT $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(campaign.0)
        .bind(before.unwrap_or(i64::MAX)).bind(status.unwrap_or("")).bind(limit.clamp(1, 500))
        .fetch_all(p).await)?,
    )
}

/// Messages of a workspace to an address, newest first (threading by address when the
/// headers do not match).
pub async fn list_to_address(
    db: &Db,
    ws: WorkspaceId,
    to_address: &str,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE workspace_id = $1 AND to_address = $2 \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(to_address)
        .bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// The message with our Message-ID `header` (exactly as stored, with angle brackets), in any
/// workspace: an inbound reply names it in In-Reply-To or References.
pub async fn find_by_message_id_header(db: &Db, header: &str) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE message_id_header = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(header).fetch_optional(p).await)?)
}

/// The message behind an unsubscribe link or open pixel, in any workspace.
pub async fn find_by_unsubscribe_token(db: &Db, token: &str) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE unsubscribe_token = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(token).fetch_optional(p).await)?)
}

/// The message a provider knows by `provider_id` (its webhooks name it).
pub async fn find_by_provider_id(
    db: &Db,
    ws: WorkspaceId,
    provider_id: &str,
) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE workspace_id = $1 AND provider_id = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(provider_id)
        .fetch_optional(p).await)?,
    )
}

/// A click-tracking link.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct TrackingLink {
    pub id: i64,
    pub workspace_id: i64,
    pub message_id: i64,
    pub token: String,
    pub url: String,
    pub clicks: i64,
    pub created_at: i64,
}

const LINK_COLS: &str = "id, workspace_id, message_id, token, url, clicks, created_at";

/// Add tracking links to a message (usually given with [`NewMessage::links`] instead).
/// `NotFound` when the message is not the workspace's.
pub async fn add_links(db: &Db, ws: WorkspaceId, id: MessageId, links: &[NewLink]) -> Result<()> {
    get(db, ws, id).await?;
    let mut statements = links_sql(ws, id.0, links, now_ms());
    crate::in_tx!(db, tx => {
        for s in &mut statements {
            bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(false)
                .execute(&mut *tx).await?;
        }
        Ok::<(), StoreError>(())
    })
}

/// A message's tracking links.
pub async fn links_of(db: &Db, ws: WorkspaceId, id: MessageId) -> Result<Vec<TrackingLink>> {
    let sql = format!(
        "SELECT {LINK_COLS} FROM tracking_links WHERE workspace_id = $1 AND message_id = $2 \
         ORDER BY id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TrackingLink>(&sql).bind(ws.0).bind(id.0)
        .fetch_all(p).await)?,
    )
}

/// The link behind a click token, in any workspace, without counting.
pub async fn find_link(db: &Db, token: &str) -> Result<Option<TrackingLink>> {
    let sql = format!("SELECT {LINK_COLS} FROM tracking_links WHERE token = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TrackingLink>(&sql).bind(token).fetch_optional(p).await)?,
    )
}

/// Count a click on a link and return it (with the new count), in any workspace. The click
/// on the message is recorded separately with [`record`] (after bot filtering).
pub async fn hit_link(db: &Db, token: &str) -> Result<Option<TrackingLink>> {
    let sql = format!(
        "UPDATE tracking_links SET clicks = clicks + 1 WHERE token = $1 RETURNING {LINK_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TrackingLink>(&sql).bind(token).fetch_optional(p).await)?,
    )
}

/// A campaign's messages by status.
pub async fn status_counts(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
) -> Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM messages WHERE workspace_id = $1 AND campaign_id = $2 \
         GROUP BY status")
        .bind(ws.0).bind(campaign.0).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}

/// How many messages reached each stage (a message counts once per stage however often it
/// was opened or clicked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Engagements {
    /// Every message, whatever its status.
    pub messages: i64,
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    pub bounced: i64,
    pub unsubscribed: i64,
    pub complained: i64,
    /// Messages answered by an auto-reply (out of office...): the sequence went on or waited.
    #[sqlx(default)]
    pub auto_replied: i64,
    /// Messages that soft-bounced at least once (mailbox full, greylisted...).
    #[sqlx(default)]
    pub soft_bounced: i64,
}

const ENGAGEMENT_COLS: &str = "COUNT(*) AS messages, COUNT(sent_at) AS sent, \
    COUNT(delivered_at) AS delivered, COUNT(opened_at) AS opened, COUNT(clicked_at) AS clicked, \
    COUNT(replied_at) AS replied, COUNT(bounced_at) AS bounced, \
    COUNT(unsubscribed_at) AS unsubscribed, COUNT(complained_at) AS complained";

/// A campaign's totals per stage.
pub async fn campaign_stats(db: &Db, ws: WorkspaceId, campaign: CampaignId) -> Result<Engagements> {
    let sql = format!(
        "SELECT {ENGAGEMENT_COLS} FROM messages WHERE workspace_id = $1 AND campaign_id = $2"
    );
    let mut e = on_db!(db, p => sqlx::query_as::<_, Engagements>(&sql).bind(ws.0).bind(campaign.0)
        .fetch_one(p).await)?;
    // Inbound effects that leave no column on the message, only an event.
    let kinds: Vec<(String, i64)> = on_db!(db, p => sqlx::query_as(
        "SELECT ev.kind, COUNT(DISTINCT ev.message_id) FROM message_events ev \
         JOIN messages m ON m.id = ev.message_id AND m.workspace_id = ev.workspace_id \
         WHERE m.workspace_id = $1 AND m.campaign_id = $2 \
         AND ev.kind IN ('auto_reply', 'soft_bounce') GROUP BY ev.kind")
        .bind(ws.0).bind(campaign.0).fetch_all(p).await)?;
    for (kind, n) in kinds {
        match kind.as_str() {
            "auto_reply" => e.auto_replied = n,
            _ => e.soft_bounced = n,
        }
    }
    Ok(e)
}

/// Totals of one step and variant (variant `None`: the step's own content).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct StepStats {
    pub step_id: Option<i64>,
    pub variant_id: Option<i64>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub n: Engagements,
}

/// A campaign's totals per step and variant, in one grouped query.
pub async fn step_stats(db: &Db, ws: WorkspaceId, campaign: CampaignId) -> Result<Vec<StepStats>> {
    let sql = format!(
        "SELECT step_id, variant_id, {ENGAGEMENT_COLS} FROM messages WHERE workspace_id = $1 \
         AND campaign_id = $2 GROUP BY step_id, variant_id ORDER BY step_id, variant_id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, StepStats>(&sql).bind(ws.0).bind(campaign.0)
        .fetch_all(p).await)?,
    )
}

/// The plans the bundled SQLite picks for the batch statements, on a migrated database:
/// without statistics it prefers an equality on an index's first column (`workspace_id`) to
/// an id list, which turned a batch into a walk of the whole workspace (see `query::in_list`).
#[cfg(test)]
mod plans {
    use super::*;
    use sqlx::Row;

    async fn plan_of(db: &Db, mut sql: Sql) -> Vec<String> {
        let Db::Sqlite(p) = db else {
            panic!("SQLite only");
        };
        let text = format!("EXPLAIN QUERY PLAN {}", sql.text_for(db));
        let rows = bind_args!(sqlx::query(&text), sql.args)
            .fetch_all(p)
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect()
    }

    /// Every step that reads `table` goes through its primary key.
    fn by_primary_key(plan: &[String], table: &str) {
        let on_table: Vec<&String> = plan
            .iter()
            .filter(|l| l.contains(&format!(" {table} ")) || l.ends_with(&format!(" {table}")))
            .collect();
        assert!(!on_table.is_empty(), "{table} not in {plan:#?}");
        for l in on_table {
            assert!(l.contains("INTEGER PRIMARY KEY"), "{l} in {plan:#?}");
        }
    }

    #[tokio::test]
    async fn batch_statements_are_driven_by_the_primary_key() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let db = Db::connect(&url, 1).await.unwrap();
        db.migrate().await.unwrap();
        let ws = WorkspaceId(1);
        let advance = advance_sql(
            ws,
            0,
            1,
            (1..=250).map(|i| Advance {
                enrollment: i,
                next_at: Some(i),
                complete: i % 2 == 0,
                sender: None,
                message: i,
            }),
        );
        by_primary_key(&plan_of(&db, advance).await, "enrollments");
        let sent: Vec<(MessageId, Sent)> =
            (1..=200).map(|i| (MessageId(i), Sent::default())).collect();
        let plan = plan_of(&db, sent_sql(ws, "a1", 1, &sent)).await;
        by_primary_key(&plan, "messages");
        let mut mixed = sent.clone();
        mixed[7].1.provider_id = Some("p-7".into());
        by_primary_key(
            &plan_of(&db, sent_sql(ws, "a1", 1, &mixed)).await,
            "messages",
        );
    }

    #[test]
    fn uniform_columns_are_set_once() {
        let sent: Vec<(MessageId, Sent)> =
            (1..=3).map(|i| (MessageId(i), Sent::default())).collect();
        let s = sent_sql(WorkspaceId(1), "a1", 5, &sent);
        assert!(!s.text.contains("CASE"), "{}", s.text);
        let mut mixed = sent.clone();
        mixed[1].1.cost_minor = Some(4);
        let s = sent_sql(WorkspaceId(1), "a1", 5, &mixed);
        assert_eq!(s.text.matches("CASE id").count(), 1, "{}", s.text);
        assert!(s.text.contains("cost_minor = CASE id"), "{}", s.text);
    }
}
