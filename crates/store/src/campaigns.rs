//! Outreach campaigns (`outreach_campaigns`) with their sequence steps, A/B variants per step
//! and the senders they rotate over. A campaign is written with its steps, variants and
//! sender links in one transaction. State changes are conditional on the current state
//! (`UPDATE ... WHERE state IN (...)`), so two requests racing to start and stop a campaign
//! cannot both win; which transitions are allowed is the app's to say. Every query is scoped
//! by workspace.

use crate::query::{Arg, Sql, in_list};
use crate::senders::Sender;
use crate::{
    CampaignId, Db, Result, SenderId, StepId, StoreError, TemplateId, UserId, VariantId,
    WorkspaceId, bind_args, on_db,
};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::collections::BTreeMap;

/// Being built; not due, not sending (a test send carries no campaign).
pub const DRAFT: &str = "draft";
/// Enrollments are due and its messages are sent.
pub const ACTIVE: &str = "active";
/// Held: no enrollment is due and its queued messages wait (they are not claimed).
pub const PAUSED: &str = "paused";
/// Ended by a person: like paused, for good.
pub const STOPPED: &str = "stopped";
/// Every enrollment finished.
pub const COMPLETED: &str = "completed";

/// The columns of a campaign that a person writes.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct CampaignFields {
    pub name: String,
    /// JSON filter of the contacts to enroll (tag, tier, segment...).
    pub audience: String,
    /// JSON: time zone, days, start and end hours.
    pub schedule: String,
    /// JSON array: reply, bounce, unsubscribe, lead_stage...
    pub stop_on: String,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub min_gap_seconds: i64,
    /// Messages are generated as `pending_approval` and queued only once approved.
    pub approval_required: bool,
}

impl CampaignFields {
    /// A campaign named `name` with empty JSON settings.
    pub fn named(name: &str) -> CampaignFields {
        CampaignFields {
            name: name.into(),
            audience: "{}".into(),
            schedule: "{}".into(),
            stop_on: "[]".into(),
            ..Default::default()
        }
    }
}

/// A stored campaign.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub workspace_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: CampaignFields,
    /// draft, active, paused, stopped or completed.
    pub state: String,
    /// Why it was paused or stopped (by a person or automatically).
    pub state_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// First time it became active.
    pub started_at: Option<i64>,
}

impl Campaign {
    pub fn cid(&self) -> CampaignId {
        CampaignId(self.id)
    }
}

const COLS: &str = "id, workspace_id, name, audience, schedule, stop_on, track_opens, \
    track_clicks, min_gap_seconds, approval_required, state, state_reason, created_by, \
    created_at, updated_at, started_at";

/// The columns of a step that a person writes. Content comes from `template_id` or from the
/// inline subject and body (the app decides which wins when both are set).
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct StepFields {
    /// email, whatsapp or sms.
    pub channel: String,
    /// Days to wait after the previous step (after enrollment for the first).
    pub delay_days: i64,
    /// Count only Monday to Friday.
    pub business_days: bool,
    pub template_id: Option<i64>,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    /// JSON conditions for sending this step (e.g. only if not opened).
    pub conditions: String,
    /// What a WhatsApp or SMS step sends, as JSON the app writes (`{}` for email).
    pub channel_config: String,
}

impl StepFields {
    /// An email step with inline content.
    pub fn email(delay_days: i64, subject: &str, body_text: &str) -> StepFields {
        StepFields {
            channel: "email".into(),
            delay_days,
            subject: Some(subject.into()),
            body_text: Some(body_text.into()),
            conditions: "{}".into(),
            channel_config: "{}".into(),
            ..Default::default()
        }
    }
}

/// A stored step with its variants.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Step {
    pub id: i64,
    pub workspace_id: i64,
    pub campaign_id: i64,
    /// 0-based order; `enrollments.current_step` is the position of the next step to send.
    pub position: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: StepFields,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(skip)]
    pub variants: Vec<Variant>,
}

impl Step {
    pub fn sid(&self) -> StepId {
        StepId(self.id)
    }
}

const STEP_COLS: &str = "id, workspace_id, campaign_id, position, channel, delay_days, \
    business_days, template_id, subject, body_text, body_html, conditions, channel_config, created_at, \
    updated_at";

/// The columns of an A/B variant: it replaces the step's subject and bodies where set.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct VariantFields {
    /// A, B, ... unique in the step.
    pub label: String,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    /// Relative share of sends.
    pub weight: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Variant {
    pub id: i64,
    pub workspace_id: i64,
    pub step_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: VariantFields,
}

impl Variant {
    pub fn vid(&self) -> VariantId {
        VariantId(self.id)
    }
}

const VARIANT_COLS: &str =
    "id, workspace_id, step_id, label, subject, body_text, body_html, weight";

/// A step to create, with its variants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewStep {
    pub f: StepFields,
    pub variants: Vec<VariantFields>,
}

/// A campaign to create. Steps get positions 0, 1, ... in the order given; senders are
/// rotated in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCampaign {
    pub f: CampaignFields,
    pub created_by: Option<UserId>,
    pub steps: Vec<NewStep>,
    pub sender_ids: Vec<SenderId>,
}

/// A campaign with everything it sends with.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: Campaign,
    /// By position, each with its variants by label.
    pub steps: Vec<Step>,
    /// In rotation order.
    pub senders: Vec<Sender>,
}

/// A campaign in a list, with its counts.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignSummary {
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Messages by status (send lifecycle).
    pub messages: BTreeMap<String, i64>,
    /// Enrollments by state.
    pub enrollments: BTreeMap<String, i64>,
}

/// Steps, variants and sender links of campaign `$cid`, written on the transaction `$tx`.
/// A template or sender of another workspace is `NotFound` (and the transaction rolls back).
macro_rules! write_parts {
    ($tx:ident, $ws:expr, $cid:expr, $steps:expr, $senders:expr, $now:expr) => {{
        for (pos, st) in $steps.iter().enumerate() {
            if let Some(t) = st.f.template_id {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM templates WHERE workspace_id = $1 AND id = $2",
                )
                .bind($ws.0)
                .bind(t)
                .fetch_one(&mut *$tx)
                .await?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            let step_id: i64 = sqlx::query_scalar(
                "INSERT INTO sequence_steps (workspace_id, campaign_id, position, channel, \
                 delay_days, business_days, template_id, subject, body_text, body_html, \
                 conditions, channel_config, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, $12) RETURNING id",
            )
            .bind($ws.0)
            .bind($cid)
            .bind(pos as i64)
            .bind(&st.f.channel)
            .bind(st.f.delay_days)
            .bind(st.f.business_days)
            .bind(st.f.template_id)
            .bind(&st.f.subject)
            .bind(&st.f.body_text)
            .bind(&st.f.body_html)
            .bind(&st.f.conditions)
            .bind($now)
            .bind(&st.f.channel_config)
            .fetch_one(&mut *$tx)
            .await?;
            for v in &st.variants {
                sqlx::query(
                    "INSERT INTO step_variants (workspace_id, step_id, label, subject, \
                     body_text, body_html, weight) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind($ws.0)
                .bind(step_id)
                .bind(&v.label)
                .bind(&v.subject)
                .bind(&v.body_text)
                .bind(&v.body_html)
                .bind(v.weight)
                .execute(&mut *$tx)
                .await?;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (pos, sid) in $senders.iter().filter(|s| seen.insert(**s)).enumerate() {
            let n = sqlx::query(
                "INSERT INTO campaign_senders (workspace_id, campaign_id, sender_id, position) \
                 SELECT $1, $2, s.id, $4 FROM senders s WHERE s.workspace_id = $1 AND s.id = $3",
            )
            .bind($ws.0)
            .bind($cid)
            .bind(sid.0)
            .bind(pos as i64)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
    }};
}

/// Create a campaign (state `draft`) with its steps, variants and senders, all or nothing.
/// A template or sender id outside the workspace is `NotFound`.
pub async fn insert(db: &Db, ws: WorkspaceId, c: &NewCampaign) -> Result<CampaignDetail> {
    let now = now_ms();
    let f = &c.f;
    let id: i64 = crate::in_tx!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outreach_campaigns (workspace_id, name, audience, schedule, stop_on, \
             track_opens, track_clicks, min_gap_seconds, approval_required, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             RETURNING id")
            .bind(ws.0).bind(&f.name).bind(&f.audience).bind(&f.schedule).bind(&f.stop_on)
            .bind(f.track_opens).bind(f.track_clicks).bind(f.min_gap_seconds)
            .bind(f.approval_required).bind(c.created_by.map(|u| u.0)).bind(now)
            .fetch_one(&mut *tx).await?;
        write_parts!(tx, ws, id, c.steps, c.sender_ids, now);
        Ok::<i64, StoreError>(id)
    })?;
    get(db, ws, CampaignId(id)).await
}

/// The campaign row alone.
pub async fn get_campaign(db: &Db, ws: WorkspaceId, id: CampaignId) -> Result<Campaign> {
    let sql = format!("SELECT {COLS} FROM outreach_campaigns WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Campaign>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A campaign with its steps (and their variants) and senders.
pub async fn get(db: &Db, ws: WorkspaceId, id: CampaignId) -> Result<CampaignDetail> {
    let campaign = get_campaign(db, ws, id).await?;
    let steps = steps_of(db, ws, id).await?;
    let sql = format!(
        "SELECT {} FROM campaign_senders cs JOIN senders s ON s.id = cs.sender_id \
         AND s.workspace_id = cs.workspace_id WHERE cs.workspace_id = $1 AND cs.campaign_id = $2 \
         ORDER BY cs.position, s.id",
        crate::senders::select_cols("s")
    );
    let senders = on_db!(db, p => sqlx::query_as::<_, Sender>(&sql).bind(ws.0).bind(id.0)
        .fetch_all(p).await)?;
    Ok(CampaignDetail {
        campaign,
        steps,
        senders,
    })
}

/// A campaign's steps by position, each with its variants by label.
pub async fn steps_of(db: &Db, ws: WorkspaceId, id: CampaignId) -> Result<Vec<Step>> {
    let sql = format!(
        "SELECT {STEP_COLS} FROM sequence_steps WHERE workspace_id = $1 AND campaign_id = $2 \
         ORDER BY position"
    );
    let mut steps = on_db!(db, p => sqlx::query_as::<_, Step>(&sql).bind(ws.0).bind(id.0)
        .fetch_all(p).await)?;
    let vsql = format!(
        "SELECT {} FROM step_variants v JOIN sequence_steps st ON st.id = v.step_id \
         AND st.workspace_id = v.workspace_id WHERE v.workspace_id = $1 AND st.campaign_id = $2 \
         ORDER BY v.step_id, v.label",
        VARIANT_COLS
            .split(", ")
            .map(|c| format!("v.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let variants = on_db!(db, p => sqlx::query_as::<_, Variant>(&vsql).bind(ws.0).bind(id.0)
        .fetch_all(p).await)?;
    for v in variants {
        if let Some(st) = steps.iter_mut().find(|s| s.id == v.step_id) {
            st.variants.push(v);
        }
    }
    Ok(steps)
}

/// A workspace's campaigns, newest first, optionally in one state, keyset-paginated by id,
/// each with its message counts by status and enrollment counts by state (two grouped
/// queries for the whole page).
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    state: Option<&str>,
    search: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<CampaignSummary>> {
    let pattern = search
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", crate::query::like_escape(&q.to_lowercase())))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {COLS} FROM outreach_campaigns WHERE workspace_id = $1 AND id < $2 \
         AND ($3 = '' OR state = $3) AND ($5 = '' OR LOWER(name) LIKE $5 ESCAPE '\\') \
         ORDER BY id DESC LIMIT $4"
    );
    let rows = on_db!(db, p => sqlx::query_as::<_, Campaign>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(state.unwrap_or("")).bind(limit.clamp(1, 200))
        .bind(&pattern).fetch_all(p).await)?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let messages = grouped_counts(db, ws, "messages", "status", &ids).await?;
    let enrollments = grouped_counts(db, ws, "enrollments", "state", &ids).await?;
    Ok(rows
        .into_iter()
        .map(|c| CampaignSummary {
            messages: messages.get(&c.id).cloned().unwrap_or_default(),
            enrollments: enrollments.get(&c.id).cloned().unwrap_or_default(),
            campaign: c,
        })
        .collect())
}

/// `campaign_id -> (value of col -> rows)` of `table` for the given campaigns.
async fn grouped_counts(
    db: &Db,
    ws: WorkspaceId,
    table: &str,
    col: &str,
    ids: &[i64],
) -> Result<BTreeMap<i64, BTreeMap<String, i64>>> {
    let mut out: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut s = Sql::new(format!(
        "SELECT campaign_id, {col}, COUNT(*) FROM {table} WHERE workspace_id = "
    ));
    let w = s.arg(ws.0);
    s.push(&w);
    in_list(&mut s, "campaign_id", ids);
    s.push(&format!(" GROUP BY campaign_id, {col}"));
    let rows: Vec<(i64, String, i64)> = on_db!(db, p => bind_args!(
        sqlx::query_as::<_, (i64, String, i64)>(&s.text_for(db)), s.args).persistent(false)
        .fetch_all(p).await)?;
    for (cid, k, n) in rows {
        out.entry(cid).or_default().insert(k, n);
    }
    Ok(out)
}

/// Replace the fields a person edits (any state; steps and state are left alone).
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: CampaignId,
    f: &CampaignFields,
) -> Result<Campaign> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE outreach_campaigns SET name = $3, audience = $4, schedule = $5, stop_on = $6, \
         track_opens = $7, track_clicks = $8, min_gap_seconds = $9, approval_required = $10, \
         updated_at = $11 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(&f.name).bind(&f.audience).bind(&f.schedule)
        .bind(&f.stop_on).bind(f.track_opens).bind(f.track_clicks).bind(f.min_gap_seconds)
        .bind(f.approval_required).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get_campaign(db, ws, id).await
}

/// Move to `to` if the campaign is in one of `from`; returns whether it moved. `reason` is
/// kept in `state_reason` (cleared with `None`); becoming active the first time sets
/// `started_at`. An unknown campaign is `NotFound`.
pub async fn set_state(
    db: &Db,
    ws: WorkspaceId,
    id: CampaignId,
    to: &str,
    from: &[&str],
    reason: Option<&str>,
) -> Result<bool> {
    let now = now_ms();
    let mut s = Sql::new("");
    s.push_args(
        "UPDATE outreach_campaigns SET state = ?, state_reason = ?, updated_at = ?",
        vec![
            to.into(),
            Arg::OptText(reason.map(str::to_string)),
            now.into(),
        ],
    );
    if to == ACTIVE {
        s.push_args(
            ", started_at = COALESCE(started_at, ?)",
            vec![Arg::I64(now)],
        );
    }
    s.push_args(
        " WHERE workspace_id = ? AND id = ?",
        vec![ws.0.into(), id.0.into()],
    );
    if from.is_empty() {
        s.push(" AND 1 = 0");
    } else {
        let marks: Vec<String> = from.iter().map(|f| s.arg(*f)).collect();
        s.push(&format!(" AND state IN ({})", marks.join(", ")));
    }
    let n = on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args).persistent(false)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        get_campaign(db, ws, id).await?;
    }
    Ok(n == 1)
}

/// Replace all steps (and variants) of a draft campaign in one transaction. Returns false,
/// changing nothing, when the campaign is no longer a draft (its steps have sent messages
/// whose stats point at them).
pub async fn replace_steps(
    db: &Db,
    ws: WorkspaceId,
    id: CampaignId,
    steps: &[NewStep],
) -> Result<bool> {
    get_campaign(db, ws, id).await?;
    let now = now_ms();
    let none: &[SenderId] = &[];
    crate::in_tx!(db, tx => {
        // The conditional touch takes the write lock first, so the check and the rewrite
        // cannot interleave with a start.
        let n = sqlx::query(
            "UPDATE outreach_campaigns SET updated_at = $3 WHERE workspace_id = $1 AND id = $2 \
             AND state = 'draft'")
            .bind(ws.0).bind(id.0).bind(now).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sequence_steps WHERE workspace_id = $1 AND campaign_id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *tx).await?;
        write_parts!(tx, ws, id.0, steps, none, now);
        Ok::<bool, StoreError>(true)
    })
}

/// Edit one step's content and timing in place (any state: its id, and so its stats, stay).
pub async fn update_step(db: &Db, ws: WorkspaceId, step: StepId, f: &StepFields) -> Result<Step> {
    if let Some(t) = f.template_id {
        crate::templates::get(db, ws, TemplateId(t)).await?;
    }
    let now = now_ms();
    let sql = format!(
        "UPDATE sequence_steps SET channel = $3, delay_days = $4, business_days = $5, \
         template_id = $6, subject = $7, body_text = $8, body_html = $9, conditions = $10, \
         updated_at = $11, channel_config = $12 WHERE workspace_id = $1 AND id = $2 RETURNING {STEP_COLS}"
    );
    let mut st = on_db!(db, p => sqlx::query_as::<_, Step>(&sql).bind(ws.0).bind(step.0)
        .bind(&f.channel).bind(f.delay_days).bind(f.business_days).bind(f.template_id)
        .bind(&f.subject).bind(&f.body_text).bind(&f.body_html).bind(&f.conditions).bind(now)
        .bind(&f.channel_config).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)?;
    let vsql = format!(
        "SELECT {VARIANT_COLS} FROM step_variants WHERE workspace_id = $1 AND step_id = $2 \
         ORDER BY label"
    );
    st.variants = on_db!(db, p => sqlx::query_as::<_, Variant>(&vsql).bind(ws.0).bind(step.0)
        .fetch_all(p).await)?;
    Ok(st)
}

/// Edit one variant in place (its id, and so its stats, stay).
pub async fn update_variant(
    db: &Db,
    ws: WorkspaceId,
    variant: VariantId,
    f: &VariantFields,
) -> Result<Variant> {
    let sql = format!(
        "UPDATE step_variants SET label = $3, subject = $4, body_text = $5, body_html = $6, \
         weight = $7 WHERE workspace_id = $1 AND id = $2 RETURNING {VARIANT_COLS}"
    );
    on_db!(db, p => sqlx::query_as::<_, Variant>(&sql).bind(ws.0).bind(variant.0).bind(&f.label)
        .bind(&f.subject).bind(&f.body_text).bind(&f.body_html).bind(f.weight)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// Replace the senders a campaign rotates over (in the order given), in one transaction.
/// A sender outside the workspace is `NotFound`.
pub async fn set_senders(
    db: &Db,
    ws: WorkspaceId,
    id: CampaignId,
    sender_ids: &[SenderId],
) -> Result<()> {
    get_campaign(db, ws, id).await?;
    let now = now_ms();
    let no_steps: &[NewStep] = &[];
    crate::in_tx!(db, tx => {
        sqlx::query("DELETE FROM campaign_senders WHERE workspace_id = $1 AND campaign_id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *tx).await?;
        write_parts!(tx, ws, id.0, no_steps, sender_ids, now);
        sqlx::query("UPDATE outreach_campaigns SET updated_at = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(now).execute(&mut *tx).await?;
        Ok::<(), StoreError>(())
    })
}

/// Delete a draft campaign with its steps, senders and enrollments. Returns false when it is
/// not a draft (campaigns that ran are stopped, not deleted); `NotFound` when unknown.
pub async fn delete(db: &Db, ws: WorkspaceId, id: CampaignId) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "DELETE FROM outreach_campaigns WHERE workspace_id = $1 AND id = $2 AND state = 'draft'")
        .bind(ws.0).bind(id.0).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        get_campaign(db, ws, id).await?;
    }
    Ok(n == 1)
}

/// Active campaigns of every workspace, for the sequence tick.
pub async fn active_ids(db: &Db) -> Result<Vec<(WorkspaceId, CampaignId)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT workspace_id, id FROM outreach_campaigns WHERE state = 'active' ORDER BY id")
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(w, c)| (WorkspaceId(w), CampaignId(c)))
        .collect())
}
