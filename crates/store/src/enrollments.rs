//! Enrollments: a contact in a campaign, with the position of the next step to send
//! (`current_step`), when it is due (`next_at`), its state and why it stopped. The step
//! itself is queued together with the move to the next one by
//! [`crate::messages::queue_step_message`]; the functions here change an enrollment without
//! sending. Every query is scoped by workspace except [`due`], the sequence tick's scan.

use crate::query::{Sql, in_list};
use crate::{
    CampaignId, ContactId, Db, EnrollmentId, Result, StoreError, WorkspaceId, bind_args, on_db,
};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::collections::BTreeMap;

/// Steps are sent when due.
pub const ACTIVE: &str = "active";
/// Held on its own (its campaign may still be active).
pub const PAUSED: &str = "paused";
/// Every step was sent.
pub const COMPLETED: &str = "completed";
/// Ended early; `stop_reason` says why (replied, bounced, unsubscribed, manual...).
pub const STOPPED: &str = "stopped";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Enrollment {
    pub id: i64,
    pub workspace_id: i64,
    pub campaign_id: i64,
    pub contact_id: i64,
    /// active, paused, completed or stopped.
    pub state: String,
    /// Position of the next step to send (0 before the first).
    pub current_step: i64,
    /// When the next step is due; `None` when nothing is scheduled.
    pub next_at: Option<i64>,
    /// The sender of the last message queued (follow-ups go out from the same mailbox).
    pub sender_id: Option<i64>,
    pub stop_reason: Option<String>,
    pub last_message_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Enrollment {
    pub fn eid(&self) -> EnrollmentId {
        EnrollmentId(self.id)
    }
}

pub(crate) const COLS: &str = "id, workspace_id, campaign_id, contact_id, state, current_step, \
    next_at, sender_id, stop_reason, last_message_id, created_at, updated_at";

fn qualified(alias: &str) -> String {
    COLS.split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enroll contacts in a campaign (state active, first step due at `next_at`), in one
/// transaction. Contacts already enrolled, and ids that are not contacts of the workspace,
/// are skipped. Returns how many were enrolled. An unknown campaign is `NotFound`.
pub async fn enroll(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    contact_ids: &[i64],
    next_at: Option<i64>,
) -> Result<u64> {
    crate::campaigns::get_campaign(db, ws, campaign).await?;
    let now = now_ms();
    let mut statements = Vec::new();
    for chunk in contact_ids.chunks(500) {
        let mut s = Sql::new("");
        s.push_args(
            "INSERT INTO enrollments (workspace_id, campaign_id, contact_id, state, \
             current_step, next_at, created_at, updated_at) \
             SELECT ?, ?, c.id, 'active', 0, ?, ?, ? FROM contacts c WHERE c.workspace_id = ?",
            vec![
                ws.0.into(),
                campaign.0.into(),
                next_at.into(),
                now.into(),
                now.into(),
                ws.0.into(),
            ],
        );
        in_list(&mut s, "c.id", chunk);
        s.push(" ON CONFLICT (workspace_id, campaign_id, contact_id) DO NOTHING");
        statements.push(s);
    }
    crate::in_tx!(db, tx => {
        let mut n = 0u64;
        for s in &mut statements {
            n += bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .persistent(false).execute(&mut *tx).await?.rows_affected();
        }
        Ok::<u64, StoreError>(n)
    })
}

pub async fn get(db: &Db, ws: WorkspaceId, id: EnrollmentId) -> Result<Enrollment> {
    let sql = format!("SELECT {COLS} FROM enrollments WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// The enrollment of a contact in a campaign, if any.
pub async fn find(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    contact: ContactId,
) -> Result<Option<Enrollment>> {
    let sql = format!(
        "SELECT {COLS} FROM enrollments WHERE workspace_id = $1 AND campaign_id = $2 \
         AND contact_id = $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(ws.0).bind(campaign.0)
        .bind(contact.0).fetch_optional(p).await)?,
    )
}

/// A campaign's enrollments by contact id, optionally in one state, keyset-paginated by
/// contact id (`after_contact`).
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    state: Option<&str>,
    after_contact: Option<i64>,
    limit: i64,
) -> Result<Vec<Enrollment>> {
    let sql = format!(
        "SELECT {COLS} FROM enrollments WHERE workspace_id = $1 AND campaign_id = $2 \
         AND contact_id > $3 AND ($4 = '' OR state = $4) ORDER BY contact_id LIMIT $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(ws.0).bind(campaign.0)
        .bind(after_contact.unwrap_or(i64::MIN)).bind(state.unwrap_or(""))
        .bind(limit.clamp(1, 1000)).fetch_all(p).await)?,
    )
}

/// A contact's enrollments in every campaign, newest first.
pub async fn of_contact(db: &Db, ws: WorkspaceId, contact: ContactId) -> Result<Vec<Enrollment>> {
    let sql = format!(
        "SELECT {COLS} FROM enrollments WHERE workspace_id = $1 AND contact_id = $2 \
         ORDER BY id DESC LIMIT 500"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(ws.0).bind(contact.0)
        .fetch_all(p).await)?,
    )
}

/// Enrollments of every workspace whose next step is due (`active`, `next_at <= now`) in an
/// `active` campaign, soonest first. The sequence tick queues them with
/// [`crate::messages::queue_step_message`], whose optimistic check makes a second tick
/// over the same rows harmless.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Enrollment>> {
    let sql = format!(
        "SELECT {} FROM enrollments e JOIN outreach_campaigns c ON c.id = e.campaign_id \
         AND c.workspace_id = e.workspace_id AND c.state = 'active' \
         WHERE e.state = 'active' AND e.next_at <= $1 ORDER BY e.next_at, e.id LIMIT $2",
        qualified("e")
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(now)
        .bind(limit.clamp(1, 10_000)).fetch_all(p).await)?,
    )
}

/// Active campaigns (workspace, campaign) with at least one enrollment due at `now`, so a
/// tick can take each campaign's due enrollments in turn: a campaign of 100,000 does not
/// keep a campaign of three waiting.
pub async fn campaigns_due(db: &Db, now: i64) -> Result<Vec<(i64, i64)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT c.workspace_id, c.id FROM outreach_campaigns c WHERE c.state = 'active' \
         AND EXISTS (SELECT 1 FROM enrollments e WHERE e.workspace_id = c.workspace_id \
         AND e.campaign_id = c.id AND e.state = 'active' AND e.next_at <= $1) ORDER BY c.id")
        .bind(now).fetch_all(p).await)?)
}

/// [`due`] for one campaign (whatever its state: the caller checked it).
pub async fn due_in_campaign(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    now: i64,
    limit: i64,
) -> Result<Vec<Enrollment>> {
    let sql = format!(
        "SELECT {COLS} FROM enrollments WHERE workspace_id = $1 AND campaign_id = $2 \
         AND state = 'active' AND next_at <= $3 ORDER BY next_at, id LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Enrollment>(&sql).bind(ws.0).bind(campaign.0)
        .bind(now).bind(limit.clamp(1, 10_000)).fetch_all(p).await)?,
    )
}

/// Move past step `expected_step` without sending it (a step whose conditions were not met),
/// due again at `next_at`. Optimistic like queueing: false when the enrollment is no longer
/// active at that step.
pub async fn advance(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    expected_step: i64,
    next_at: Option<i64>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET current_step = current_step + 1, next_at = $4, updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2 AND state = 'active' AND current_step = $3")
        .bind(ws.0).bind(id.0).bind(expected_step).bind(next_at).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Set when the next step is due (outside the send window, an auto-reply's return date...).
/// False unless the enrollment is active.
pub async fn set_next_at(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    next_at: Option<i64>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET next_at = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
         AND state = 'active'")
        .bind(ws.0).bind(id.0).bind(next_at).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// [`set_next_at`] for many enrollments at once (id, next_at), in one statement per 300: a
/// tick that defers thousands of enrollments to tomorrow (a sender's daily limit reached)
/// must not pay one round trip each.
pub async fn set_next_at_many(db: &Db, ws: WorkspaceId, items: &[(i64, i64)]) -> Result<u64> {
    let mut n = 0;
    let now = now_ms();
    for chunk in items.chunks(300) {
        let mut u = crate::query::Sql::new("UPDATE enrollments SET next_at = CASE id");
        for (id, at) in chunk {
            let (a, b) = (u.arg(*id), u.arg(*at));
            u.push(&format!(" WHEN {a} THEN {b}"));
        }
        u.push(" ELSE next_at END, updated_at = ");
        let t = u.arg(now);
        u.push(&t);
        // By id only (see [`crate::query::in_list`]).
        u.push(" WHERE +workspace_id = ");
        let w = u.arg(ws.0);
        u.push(&w);
        u.push(" AND state || '' = 'active'");
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        crate::query::in_list(&mut u, "id", &ids);
        n += on_db!(db, p => crate::bind_args!(sqlx::query(&u.text_for(db)), u.args)
            .persistent(false).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// Mark every step sent. False unless the enrollment was active or paused.
pub async fn complete(db: &Db, ws: WorkspaceId, id: EnrollmentId) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'completed', next_at = NULL, updated_at = $3 \
         WHERE workspace_id = $1 AND id = $2 AND state IN ('active', 'paused')")
        .bind(ws.0).bind(id.0).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Hold one enrollment; `reason` is kept in `stop_reason` until [`resume`]. False unless it
/// was active.
pub async fn pause(db: &Db, ws: WorkspaceId, id: EnrollmentId, reason: &str) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'paused', stop_reason = $3, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND state = 'active'")
        .bind(ws.0).bind(id.0).bind(reason).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Resume a paused enrollment, due at `next_at`. False unless it was paused.
pub async fn resume(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    next_at: Option<i64>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'active', stop_reason = NULL, next_at = $3, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND state = 'paused'")
        .bind(ws.0).bind(id.0).bind(next_at).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Stop one enrollment with a reason. False unless it was active or paused.
pub async fn stop(db: &Db, ws: WorkspaceId, id: EnrollmentId, reason: &str) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'stopped', stop_reason = $3, next_at = NULL, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND state IN ('active', 'paused')")
        .bind(ws.0).bind(id.0).bind(reason).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Stop a contact's active or paused enrollments in every campaign (a reply, bounce or
/// unsubscribe). Returns how many stopped.
pub async fn stop_for_contact(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    reason: &str,
) -> Result<u64> {
    Ok(on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'stopped', stop_reason = $3, next_at = NULL, updated_at = $4 \
         WHERE workspace_id = $1 AND contact_id = $2 AND state IN ('active', 'paused')")
        .bind(ws.0).bind(contact.0).bind(reason).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?)
}

/// Make a campaign's waiting enrollments due at `at` (those enrolled while it was a draft).
/// Returns how many.
pub async fn activate_waiting(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    at: i64,
) -> Result<u64> {
    Ok(on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET next_at = $3, updated_at = $3 WHERE workspace_id = $1 \
         AND campaign_id = $2 AND state = 'active' AND next_at IS NULL")
        .bind(ws.0).bind(campaign.0).bind(at)
        .execute(p).await.map(|r| r.rows_affected()))?)
}

/// Stop every active or paused enrollment of a campaign (the campaign was stopped).
pub async fn stop_all_in_campaign(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
    reason: &str,
) -> Result<u64> {
    Ok(on_db!(db, p => sqlx::query(
        "UPDATE enrollments SET state = 'stopped', stop_reason = $3, next_at = NULL, updated_at = $4 \
         WHERE workspace_id = $1 AND campaign_id = $2 AND state IN ('active', 'paused')")
        .bind(ws.0).bind(campaign.0).bind(reason).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?)
}

/// A campaign's enrollments by state.
pub async fn counts_by_state(
    db: &Db,
    ws: WorkspaceId,
    campaign: CampaignId,
) -> Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT state, COUNT(*) FROM enrollments WHERE workspace_id = $1 AND campaign_id = $2 \
         GROUP BY state")
        .bind(ws.0).bind(campaign.0).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}
