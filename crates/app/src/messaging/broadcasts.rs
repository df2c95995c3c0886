//! Broadcasts: one approved template to an audience at a time (now or later). The
//! `messaging.broadcasts` job turns a due broadcast into one outbox message per reachable
//! contact (no number, no consent, a suppressed number or a parameter without a value is
//! skipped and counted); progress is read back from those messages.

use crate::jobs::{JobCtx, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::WorkspaceId;
use prospector_store::contacts::{self, ContactFilter, ContactSort};
use prospector_store::messaging::{self as store, Broadcast};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most contacts one broadcast reaches.
pub const MAX_AUDIENCE: i64 = 50_000;

/// Who a broadcast goes to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BroadcastAudience)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub contact_ids: Vec<i64>,
    /// Every contact with a WhatsApp number or phone (others are skipped and counted).
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastInput {
    pub name: String,
    /// An approved template.
    pub template_id: i64,
    /// Parameter sources, one per body variable (`field:first_name`, literals…).
    #[serde(default)]
    pub params: Vec<String>,
    pub audience: Audience,
    /// When to send (ms); now when left out.
    #[serde(default)]
    pub scheduled_at: Option<i64>,
}

/// A broadcast with its progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BroadcastOut {
    pub id: i64,
    pub name: String,
    pub template_id: Option<i64>,
    pub template: Option<String>,
    pub state: String,
    pub scheduled_at: i64,
    /// Messages queued for it.
    pub total: i64,
    pub skipped: i64,
    pub waiting: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub error: Option<String>,
    pub created_at: i64,
}

async fn out(app: &App, ws: WorkspaceId, b: &Broadcast) -> AppResult<BroadcastOut> {
    let mut o = BroadcastOut {
        id: b.id,
        name: b.name.clone(),
        template_id: b.template_id,
        template: match b.template_id {
            Some(t) => store::template(app.db(), ws, t).await.ok().map(|t| t.name),
            None => None,
        },
        state: b.state.clone(),
        scheduled_at: b.scheduled_at,
        total: b.total,
        skipped: b.skipped,
        waiting: 0,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        cancelled: 0,
        error: b.error.clone(),
        created_at: b.created_at,
    };
    for (status, provider, n) in store::broadcast_counts(app.db(), ws, b.id).await? {
        match (status.as_str(), provider.as_deref()) {
            ("queued" | "sending" | "pending_approval", _) => o.waiting += n,
            ("failed" | "uncertain", _) | ("sent", Some("failed")) => o.failed += n,
            ("cancelled" | "rejected", _) => o.cancelled += n,
            ("sent", Some("read" | "played")) => {
                o.sent += n;
                o.delivered += n;
                o.read += n;
            }
            ("sent", Some("delivered")) => {
                o.sent += n;
                o.delivered += n;
            }
            _ => o.sent += n,
        }
    }
    if o.state == "sending" && o.waiting == 0 {
        store::finish_broadcast(app.db(), ws, b.id, "done", b.total, b.skipped, None).await?;
        o.state = "done".into();
    }
    Ok(o)
}

pub async fn create(app: &App, ctx: &WsCtx, i: &BroadcastInput) -> AppResult<BroadcastOut> {
    ctx.require(Permission::Write)?;
    let name = i.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("name", "1 to 200 characters"));
    }
    let t = store::template(app.db(), ctx.ws, i.template_id)
        .await
        .map_err(|_| AppError::invalid("template_id", "no such template"))?;
    let t = super::templates::sendable(app, ctx.ws, &t.name, &t.language).await?;
    super::send::check_param_count(&t, i.params.len())?;
    for (n, p) in i.params.iter().enumerate() {
        prospector_core::messaging::ParamSource::parse(p)
            .map_err(|e| AppError::invalid(&format!("params[{n}]"), e.to_string()))?;
    }
    let tag = i
        .audience
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if tag.is_none() && i.audience.contact_ids.is_empty() && !i.audience.all {
        return Err(AppError::invalid(
            "audience",
            "pick a tag, contacts, or all contacts with a number to send to",
        ));
    }
    super::connections::require_wa(app, ctx.ws).await?;
    let at = i.scheduled_at.unwrap_or_else(now_ms);
    let b = store::create_broadcast(
        app.db(),
        ctx.ws,
        name,
        "whatsapp",
        t.id,
        &json!(i.params).to_string(),
        &serde_json::to_string(&i.audience).unwrap_or_else(|_| "{}".into()),
        at,
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "broadcast.created",
        "broadcast",
        b.id,
        None,
        Some(json!({"name": b.name, "template": t.name, "scheduled_at": at})),
    )
    .await?;
    if at <= now_ms() {
        super::kick(app, super::BROADCAST_JOB).await?;
    }
    out(app, ctx.ws, &b).await
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<BroadcastOut> {
    let b = store::broadcast(app.db(), ctx.ws, id).await?;
    out(app, ctx.ws, &b).await
}

pub async fn list(app: &App, ctx: &WsCtx) -> AppResult<Vec<BroadcastOut>> {
    let mut v = Vec::new();
    for b in store::list_broadcasts(app.db(), ctx.ws, 100).await? {
        v.push(out(app, ctx.ws, &b).await?);
    }
    Ok(v)
}

/// Queue the messages of one due broadcast. Returns (queued, skipped).
pub async fn run(app: &App, b: &Broadcast) -> AppResult<(i64, i64)> {
    let ws = WorkspaceId(b.workspace_id);
    if !store::broadcast_transition(app.db(), ws, b.id, "scheduled", "queueing").await? {
        return Ok((0, 0));
    }
    let result = queue_all(app, ws, b).await;
    match &result {
        Ok((total, skipped)) => {
            store::finish_broadcast(app.db(), ws, b.id, "sending", *total, *skipped, None).await?;
            super::dispatch::kick(app).await?;
            tracing::info!(
                workspace = ws.0,
                broadcast = b.id,
                total,
                skipped,
                "broadcast queued"
            );
        }
        Err(e) => {
            store::finish_broadcast(app.db(), ws, b.id, "failed", 0, 0, Some(&e.to_string()))
                .await?;
        }
    }
    result
}

async fn queue_all(app: &App, ws: WorkspaceId, b: &Broadcast) -> AppResult<(i64, i64)> {
    let template_id = b
        .template_id
        .ok_or_else(|| AppError::invalid("template_id", "the template was deleted"))?;
    let t = store::template(app.db(), ws, template_id).await?;
    let t = super::templates::sendable(app, ws, &t.name, &t.language).await?;
    let audience: Audience = serde_json::from_str(&b.audience).unwrap_or_default();
    let specs: Vec<String> = serde_json::from_str(&b.params).unwrap_or_default();
    let mut f = ContactFilter {
        tag: audience.tag.clone().filter(|t| !t.trim().is_empty()),
        ..Default::default()
    };

    if !audience.contact_ids.is_empty() {
        f.ids = Some(audience.contact_ids.clone());
    }
    let ids = contacts::ids(app.db(), ws, &f, MAX_AUDIENCE).await?;
    let quiet = super::quiet_hours::Planner::load(app, ws).await?;
    let now = now_ms();
    let (mut total, mut skipped) = (0i64, 0i64);
    for chunk in ids.chunks(500) {
        let rows = contacts::list(
            app.db(),
            ws,
            &ContactFilter {
                ids: Some(chunk.to_vec()),
                ..Default::default()
            },
            ContactSort::Oldest,
            None,
            500,
        )
        .await?;
        for c in &rows {
            let Some(e164) = crate::outreach::channel_steps::number_of(c, "whatsapp") else {
                skipped += 1;
                continue;
            };
            if super::send::blocked(app, ws, "whatsapp", Some(c), &e164)
                .await?
                .is_some()
            {
                skipped += 1;
                continue;
            }
            let params = match super::send::resolve_params(app, ws, Some(c), &specs).await {
                Ok(p) => p,
                Err(AppError::Validation { .. }) => {
                    skipped += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            super::send::queue_template_for(
                app,
                ws,
                &t,
                &e164,
                Some(c),
                &params,
                quiet.send_at(now, Some(c), &e164),
                Some(b.id),
            )
            .await?;
            total += 1;
        }
    }
    Ok((total, skipped))
}

pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    let mut done = Vec::new();
    for b in store::due_broadcasts(ctx.app.db(), now_ms(), 20).await? {
        let (total, skipped) = run(&ctx.app, &b).await?;
        done.push(json!({"id": b.id, "queued": total, "skipped": skipped}));
    }
    Ok(Some(json!({"broadcasts": done})))
}
