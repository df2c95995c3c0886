//! WhatsApp and SMS: the per-workspace connections (secrets stored as the app encrypted
//! them), WhatsApp templates, the 24-hour window, the channel part of outbox messages, the
//! rate card, the append-only cost ledger and broadcasts. Messages themselves are `messages`
//! rows (channel `whatsapp` | `sms`) driven by [`crate::messages`]; only the insert that must
//! write the message and its channel part in one transaction, and the queries joining the
//! two, live here.
//!
//! Every tenant query takes a [`WorkspaceId`]; the lookups by webhook token and the due
//! broadcasts are the cross-workspace entry points (a provider's request names no workspace).

use crate::messages::{Message, NewMessage};
use crate::query::{Sql, like_escape};
use crate::{Db, MessageId, Result, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

// ---------------------------------------------------------------------------------------
// Connections

/// A workspace's WhatsApp Business number. `access_token` and `app_secret` are ciphertext.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct WaConnection {
    pub id: i64,
    pub workspace_id: i64,
    /// `cloud` (Meta's Graph API) or `sandbox` (in memory, for the demo).
    pub kind: String,
    pub phone_number_id: String,
    pub waba_id: String,
    #[serde(skip)]
    pub access_token: String,
    #[serde(skip)]
    pub app_secret: String,
    #[serde(skip)]
    pub verify_token: String,
    pub api_version: String,
    pub api_base: String,
    #[serde(skip)]
    pub webhook_token: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit_tier: Option<String>,
    pub daily_limit: Option<i64>,
    pub throughput_mps: i64,
    pub last_tested_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const WA_COLS: &str = "id, workspace_id, kind, phone_number_id, waba_id, access_token, \
    app_secret, verify_token, api_version, api_base, webhook_token, display_phone_number, \
    verified_name, quality_rating, messaging_limit_tier, daily_limit, throughput_mps, \
    last_tested_at, last_error, created_at, updated_at";

/// What connecting a WhatsApp number writes (secrets already encrypted).
#[derive(Debug, Clone, Default)]
pub struct WaConnectionFields {
    pub kind: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub api_version: String,
    pub api_base: String,
    /// Used only when the workspace has no connection yet: a reconnect keeps the webhook URL.
    pub webhook_token: String,
}

/// Create or replace the workspace's WhatsApp connection (one per workspace). A reconnect
/// keeps the webhook token, so the URL given to Meta stays valid, and clears the last test.
pub async fn set_wa_connection(
    db: &Db,
    ws: WorkspaceId,
    f: &WaConnectionFields,
) -> Result<WaConnection> {
    let sql = format!(
        "INSERT INTO wa_connections (workspace_id, kind, phone_number_id, waba_id, access_token, \
         app_secret, verify_token, api_version, api_base, webhook_token, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (workspace_id) DO UPDATE SET kind = excluded.kind, \
         phone_number_id = excluded.phone_number_id, waba_id = excluded.waba_id, \
         access_token = excluded.access_token, app_secret = excluded.app_secret, \
         verify_token = excluded.verify_token, api_version = excluded.api_version, \
         api_base = excluded.api_base, last_error = NULL, last_tested_at = NULL, \
         updated_at = excluded.updated_at RETURNING {WA_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WaConnection>(&sql).bind(ws.0).bind(&f.kind)
        .bind(&f.phone_number_id).bind(&f.waba_id).bind(&f.access_token).bind(&f.app_secret)
        .bind(&f.verify_token).bind(&f.api_version).bind(&f.api_base).bind(&f.webhook_token)
        .bind(now_ms()).fetch_one(p).await)?,
    )
}

pub async fn wa_connection(db: &Db, ws: WorkspaceId) -> Result<Option<WaConnection>> {
    let sql = format!("SELECT {WA_COLS} FROM wa_connections WHERE workspace_id = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WaConnection>(&sql).bind(ws.0)
        .fetch_optional(p).await)?,
    )
}

/// The connection a webhook URL names, in any workspace.
pub async fn wa_connection_by_token(db: &Db, token: &str) -> Result<Option<WaConnection>> {
    let sql = format!("SELECT {WA_COLS} FROM wa_connections WHERE webhook_token = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WaConnection>(&sql).bind(token)
        .fetch_optional(p).await)?,
    )
}

/// What the "test connection" call reported (or why it failed).
#[derive(Debug, Clone, Default)]
pub struct WaTestResult {
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit_tier: Option<String>,
    pub daily_limit: Option<i64>,
    pub throughput_mps: Option<i64>,
    pub error: Option<String>,
}

pub async fn save_wa_test(db: &Db, ws: WorkspaceId, t: &WaTestResult) -> Result<()> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE wa_connections SET last_tested_at = $2, last_error = $3, \
         display_phone_number = COALESCE($4, display_phone_number), \
         verified_name = COALESCE($5, verified_name), \
         quality_rating = COALESCE($6, quality_rating), \
         messaging_limit_tier = COALESCE($7, messaging_limit_tier), \
         daily_limit = COALESCE($8, daily_limit), \
         throughput_mps = COALESCE($9, throughput_mps), updated_at = $2 \
         WHERE workspace_id = $1")
        .bind(ws.0).bind(now_ms()).bind(&t.error).bind(&t.display_phone_number)
        .bind(&t.verified_name).bind(&t.quality_rating).bind(&t.messaging_limit_tier)
        .bind(t.daily_limit).bind(t.throughput_mps)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Meta reported a new quality rating or messaging tier for the number (`account_update`,
/// `phone_number_quality_update`).
pub async fn set_wa_quality(
    db: &Db,
    ws: WorkspaceId,
    quality: Option<&str>,
    tier: Option<&str>,
    daily_limit: Option<i64>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE wa_connections SET quality_rating = COALESCE($2, quality_rating), \
         messaging_limit_tier = COALESCE($3, messaging_limit_tier), \
         daily_limit = COALESCE($4, daily_limit), updated_at = $5 WHERE workspace_id = $1")
        .bind(ws.0).bind(quality).bind(tier).bind(daily_limit).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Workspaces with a WhatsApp connection (the periodic template sync visits each).
pub async fn wa_connected_workspaces(db: &Db) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT workspace_id FROM wa_connections ORDER BY workspace_id LIMIT 10000")
        .fetch_all(p).await)?)
}

pub async fn delete_wa_connection(db: &Db, ws: WorkspaceId) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM wa_connections WHERE workspace_id = $1")
        .bind(ws.0).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A workspace's Twilio account and sender. `auth_token` is ciphertext.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SmsConnection {
    pub id: i64,
    pub workspace_id: i64,
    /// `twilio` or `sandbox`.
    pub kind: String,
    pub account_sid: String,
    #[serde(skip)]
    pub auth_token: String,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub api_base: String,
    #[serde(skip)]
    pub webhook_token: String,
    /// Answer to HELP / INFO.
    pub help_text: Option<String>,
    pub last_tested_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SMS_COLS: &str = "id, workspace_id, kind, account_sid, auth_token, from_number, \
    messaging_service_sid, api_base, webhook_token, help_text, last_tested_at, last_error, \
    created_at, updated_at";

#[derive(Debug, Clone, Default)]
pub struct SmsConnectionFields {
    pub kind: String,
    pub account_sid: String,
    pub auth_token: String,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub api_base: String,
    pub help_text: Option<String>,
    /// Used only for a new connection (a reconnect keeps the callback URLs).
    pub webhook_token: String,
}

pub async fn set_sms_connection(
    db: &Db,
    ws: WorkspaceId,
    f: &SmsConnectionFields,
) -> Result<SmsConnection> {
    let sql = format!(
        "INSERT INTO sms_connections (workspace_id, kind, account_sid, auth_token, from_number, \
         messaging_service_sid, api_base, help_text, webhook_token, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (workspace_id) DO UPDATE SET kind = excluded.kind, \
         account_sid = excluded.account_sid, auth_token = excluded.auth_token, \
         from_number = excluded.from_number, messaging_service_sid = excluded.messaging_service_sid, \
         api_base = excluded.api_base, help_text = excluded.help_text, last_error = NULL, \
         last_tested_at = NULL, updated_at = excluded.updated_at RETURNING {SMS_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, SmsConnection>(&sql).bind(ws.0).bind(&f.kind)
        .bind(&f.account_sid).bind(&f.auth_token).bind(&f.from_number)
        .bind(&f.messaging_service_sid).bind(&f.api_base).bind(&f.help_text)
        .bind(&f.webhook_token).bind(now_ms()).fetch_one(p).await)?,
    )
}

pub async fn sms_connection(db: &Db, ws: WorkspaceId) -> Result<Option<SmsConnection>> {
    let sql = format!("SELECT {SMS_COLS} FROM sms_connections WHERE workspace_id = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, SmsConnection>(&sql).bind(ws.0)
        .fetch_optional(p).await)?,
    )
}

pub async fn sms_connection_by_token(db: &Db, token: &str) -> Result<Option<SmsConnection>> {
    let sql = format!("SELECT {SMS_COLS} FROM sms_connections WHERE webhook_token = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, SmsConnection>(&sql).bind(token)
        .fetch_optional(p).await)?,
    )
}

pub async fn save_sms_test(db: &Db, ws: WorkspaceId, error: Option<&str>) -> Result<()> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE sms_connections SET last_tested_at = $2, last_error = $3, updated_at = $2 \
         WHERE workspace_id = $1")
        .bind(ws.0).bind(now_ms()).bind(error).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete_sms_connection(db: &Db, ws: WorkspaceId) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM sms_connections WHERE workspace_id = $1")
        .bind(ws.0).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------
// Templates

/// A WhatsApp template as last known (created here, synced, or updated by webhook).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct WaTemplate {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
    /// The Graph API's component array, as JSON.
    pub components: String,
    /// `PENDING`, `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`…
    pub status: String,
    pub rejection_reason: Option<String>,
    pub quality_score: Option<String>,
    /// Meta's template id.
    pub provider_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const TPL_COLS: &str = "id, workspace_id, name, language, category, parameter_format, \
    components, status, rejection_reason, quality_score, provider_id, created_at, updated_at";

#[derive(Debug, Clone, Default)]
pub struct TemplateFields {
    pub name: String,
    pub language: String,
    pub category: String,
    pub parameter_format: String,
    pub components: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub quality_score: Option<String>,
    pub provider_id: Option<String>,
}

/// Insert or refresh a template by (name, language).
pub async fn upsert_template(db: &Db, ws: WorkspaceId, f: &TemplateFields) -> Result<WaTemplate> {
    let sql = format!(
        "INSERT INTO wa_templates (workspace_id, name, language, category, parameter_format, \
         components, status, rejection_reason, quality_score, provider_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (workspace_id, name, language) DO UPDATE SET category = excluded.category, \
         parameter_format = excluded.parameter_format, components = excluded.components, \
         status = excluded.status, rejection_reason = excluded.rejection_reason, \
         quality_score = COALESCE(excluded.quality_score, wa_templates.quality_score), \
         provider_id = COALESCE(excluded.provider_id, wa_templates.provider_id), \
         updated_at = excluded.updated_at RETURNING {TPL_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WaTemplate>(&sql).bind(ws.0).bind(&f.name)
        .bind(&f.language).bind(&f.category).bind(&f.parameter_format).bind(&f.components)
        .bind(&f.status).bind(&f.rejection_reason).bind(&f.quality_score).bind(&f.provider_id)
        .bind(now_ms()).fetch_one(p).await)?,
    )
}

pub async fn template(db: &Db, ws: WorkspaceId, id: i64) -> Result<WaTemplate> {
    let sql = format!("SELECT {TPL_COLS} FROM wa_templates WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, WaTemplate>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

pub async fn template_by_name(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    language: &str,
) -> Result<Option<WaTemplate>> {
    let sql = format!(
        "SELECT {TPL_COLS} FROM wa_templates WHERE workspace_id = $1 AND name = $2 \
         AND language = $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WaTemplate>(&sql).bind(ws.0).bind(name)
        .bind(language).fetch_optional(p).await)?,
    )
}

/// Templates, newest change first; `q` matches the name, `status` is exact.
pub async fn list_templates(
    db: &Db,
    ws: WorkspaceId,
    q: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<WaTemplate>> {
    let mut s = Sql::new(format!(
        "SELECT {TPL_COLS} FROM wa_templates WHERE workspace_id = "
    ));
    let w = s.arg(ws.0);
    s.push(&w);
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let a = s.arg(format!("%{}%", like_escape(&q.to_lowercase())));
        s.push(&format!(" AND LOWER(name) LIKE {a} ESCAPE '\\'"));
    }
    if let Some(st) = status.map(str::trim).filter(|s| !s.is_empty()) {
        let a = s.arg(st.to_uppercase());
        s.push(&format!(" AND status = {a}"));
    }
    let l = s.arg(limit.clamp(1, 500));
    s.push(&format!(" ORDER BY updated_at DESC, id DESC LIMIT {l}"));
    Ok(
        on_db!(db, p => bind_args!(sqlx::query_as::<_, WaTemplate>(&s.text_for(db)), s.args)
        .persistent(false).fetch_all(p).await)?,
    )
}

/// A template status webhook: by Meta's id when it is known here, else by name and language.
/// Returns the updated template, or `None` when no such template is stored.
pub async fn set_template_status(
    db: &Db,
    ws: WorkspaceId,
    provider_id: &str,
    name: &str,
    language: &str,
    status: &str,
    reason: Option<&str>,
) -> Result<Option<WaTemplate>> {
    let sql = format!(
        "UPDATE wa_templates SET status = $5, rejection_reason = $6, \
         provider_id = COALESCE(provider_id, NULLIF($2, '')), updated_at = $7 \
         WHERE workspace_id = $1 AND ((provider_id = $2 AND $2 <> '') \
         OR (name = $3 AND language = $4)) RETURNING {TPL_COLS}"
    );
    let rows = on_db!(db, p => sqlx::query_as::<_, WaTemplate>(&sql).bind(ws.0)
        .bind(provider_id).bind(name).bind(language).bind(status).bind(reason).bind(now_ms())
        .fetch_all(p).await)?;
    Ok(rows.into_iter().next())
}

/// A quality-score or category change for a template (by Meta's id or name + language).
pub async fn set_template_meta(
    db: &Db,
    ws: WorkspaceId,
    provider_id: &str,
    name: &str,
    language: &str,
    quality: Option<&str>,
    category: Option<&str>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE wa_templates SET quality_score = COALESCE($5, quality_score), \
         category = COALESCE($6, category), updated_at = $7 \
         WHERE workspace_id = $1 AND ((provider_id = $2 AND $2 <> '') \
         OR (name = $3 AND language = $4))")
        .bind(ws.0).bind(provider_id).bind(name).bind(language).bind(quality).bind(category)
        .bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn delete_template(db: &Db, ws: WorkspaceId, id: i64) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM wa_templates WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------
// The 24-hour window

/// Record an inbound message at `at` (a late, older delivery never moves the time back).
pub async fn touch_window(
    db: &Db,
    ws: WorkspaceId,
    phone_number_id: &str,
    wa_id: &str,
    contact_id: Option<i64>,
    at: i64,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO wa_windows (workspace_id, phone_number_id, wa_id, contact_id, last_inbound_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, phone_number_id, wa_id) DO UPDATE \
         SET contact_id = COALESCE(excluded.contact_id, wa_windows.contact_id), \
         last_inbound_at = CASE WHEN excluded.last_inbound_at > wa_windows.last_inbound_at \
         THEN excluded.last_inbound_at ELSE wa_windows.last_inbound_at END")
        .bind(ws.0).bind(phone_number_id).bind(wa_id).bind(contact_id).bind(at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// When the contact (`wa_id`, digits) last wrote to our number.
pub async fn last_inbound(
    db: &Db,
    ws: WorkspaceId,
    phone_number_id: &str,
    wa_id: &str,
) -> Result<Option<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT last_inbound_at FROM wa_windows WHERE workspace_id = $1 \
         AND phone_number_id = $2 AND wa_id = $3")
        .bind(ws.0).bind(phone_number_id).bind(wa_id).fetch_optional(p).await)?)
}

// ---------------------------------------------------------------------------------------
// Channel messages

/// The channel part of a message.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ChannelPart {
    pub message_id: i64,
    pub workspace_id: i64,
    pub channel: String,
    /// `template` or `text`.
    pub kind: String,
    pub template_name: Option<String>,
    pub language: Option<String>,
    /// Resolved parameter values, JSON array of strings.
    pub params: String,
    /// For free text: `{"template":…,"language":…,"params":[…]}` sent instead outside the
    /// window; absent means "skip with the reason recorded".
    pub fallback: Option<String>,
    /// WhatsApp pricing category (`marketing`, `utility`…; `service` inside the window).
    pub category: Option<String>,
    pub country: Option<String>,
    pub segments: Option<i64>,
    pub encoding: Option<String>,
    pub broadcast_id: Option<i64>,
    /// The furthest provider status (`sent`, `delivered`, `read`, `failed`…).
    pub provider_status: Option<String>,
    pub status_rank: i64,
    pub status_at: Option<i64>,
    pub error_code: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PART_COLS: &str = "message_id, workspace_id, channel, kind, template_name, language, \
    params, fallback, category, country, segments, encoding, broadcast_id, provider_status, \
    status_rank, status_at, error_code, created_at, updated_at";

/// What to write beside the message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewPart {
    pub kind: String,
    pub template_name: Option<String>,
    pub language: Option<String>,
    pub params: String,
    pub fallback: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub segments: Option<i64>,
    pub encoding: Option<String>,
    pub broadcast_id: Option<i64>,
}

/// The channel part of a message; binds: message id, workspace, channel, then the
/// [`NewPart`] fields in order, then the time.
pub(crate) const INSERT_PART: &str = "INSERT INTO channel_messages (message_id, workspace_id, \
    channel, kind, template_name, language, params, fallback, category, country, segments, \
    encoding, broadcast_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
    $10, $11, $12, $13, $14, $14)";

/// Queue a WhatsApp or SMS message with its channel part and first event in one
/// transaction, so a dispatcher never claims a message whose content is not written yet.
pub async fn queue_message(
    db: &Db,
    ws: WorkspaceId,
    m: &NewMessage,
    part: &NewPart,
) -> Result<MessageId> {
    let now = now_ms();
    let status = if m.pending_approval {
        crate::messages::PENDING_APPROVAL
    } else {
        crate::messages::QUEUED
    };
    let id: i64 = crate::in_tx!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (workspace_id, campaign_id, enrollment_id, step_id, \
             variant_id, contact_id, channel, sender_id, from_address, to_address, subject, \
             body_text, status, scheduled_at, created_at, updated_at) VALUES ($1, $2, NULL, \
             $3, $4, $5, $6, NULL, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id")
            .bind(ws.0).bind(m.campaign_id.map(|c| c.0)).bind(m.step_id.map(|s| s.0))
            .bind(m.variant_id.map(|v| v.0)).bind(m.contact_id.map(|c| c.0)).bind(&m.channel)
            .bind(&m.from_address).bind(&m.to_address).bind(&m.subject).bind(&m.body_text)
            .bind(status).bind(m.scheduled_at).bind(now)
            .fetch_one(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO message_events (workspace_id, message_id, kind, detail, data, \
             created_at) VALUES ($1, $2, $3, NULL, '{}', $4)")
            .bind(ws.0).bind(id).bind(status).bind(now).execute(&mut *tx).await?;
        sqlx::query(INSERT_PART)
            .bind(id).bind(ws.0).bind(&m.channel).bind(&part.kind).bind(&part.template_name)
            .bind(&part.language).bind(&part.params).bind(&part.fallback).bind(&part.category)
            .bind(&part.country).bind(part.segments).bind(&part.encoding).bind(part.broadcast_id)
            .bind(now).execute(&mut *tx).await?;
        Ok::<i64, StoreError>(id)
    })?;
    Ok(MessageId(id))
}

pub async fn part(db: &Db, ws: WorkspaceId, id: MessageId) -> Result<Option<ChannelPart>> {
    let sql = format!(
        "SELECT {PART_COLS} FROM channel_messages WHERE workspace_id = $1 AND message_id = $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ChannelPart>(&sql).bind(ws.0).bind(id.0)
        .fetch_optional(p).await)?,
    )
}

/// What the dispatcher decided just before sending: the template actually sent (a free-text
/// step outside the window switches to its fallback), its pricing category and SMS segments.
#[allow(clippy::too_many_arguments)]
pub async fn set_part_sent_as(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    kind: &str,
    template_name: Option<&str>,
    language: Option<&str>,
    params: &str,
    category: Option<&str>,
    segments: Option<i64>,
    encoding: Option<&str>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE channel_messages SET kind = $3, template_name = $4, language = $5, params = $6, \
         category = $7, segments = COALESCE($8, segments), encoding = COALESCE($9, encoding), \
         updated_at = $10 WHERE workspace_id = $1 AND message_id = $2")
        .bind(ws.0).bind(id.0).bind(kind).bind(template_name).bind(language).bind(params)
        .bind(category).bind(segments).bind(encoding).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Move the provider status forward: applied only when `rank` is higher than the furthest
/// status recorded, so `delivered` arriving after `read` changes nothing. Returns whether
/// it applied.
pub async fn advance_status(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    status: &str,
    rank: i64,
    at: i64,
    error_code: Option<i64>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE channel_messages SET provider_status = $3, status_rank = $4, status_at = $5, \
         error_code = COALESCE($6, error_code), updated_at = $7 \
         WHERE workspace_id = $1 AND message_id = $2 AND status_rank < $4")
        .bind(ws.0).bind(id.0).bind(status).bind(rank).bind(at).bind(error_code).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Replace a queued message's text with what is actually sent (a free-text step that
/// switched to its fallback template).
pub async fn set_message_body(db: &Db, ws: WorkspaceId, id: MessageId, body: &str) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE messages SET body_text = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(body).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Set the error of a message whose provider reported a late failure (after `sent`).
pub async fn set_message_error(db: &Db, ws: WorkspaceId, id: MessageId, error: &str) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE messages SET error = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(error).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Set the cost of a sent message (the SMS price can arrive with a later callback).
pub async fn set_message_cost(
    db: &Db,
    ws: WorkspaceId,
    id: MessageId,
    cost_minor: i64,
    currency: &str,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE messages SET cost_minor = $3, currency = $4, updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(cost_minor).bind(currency).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Messages of a channel handed to the provider since `since` (the rolling daily limit).
pub async fn attempted_since(db: &Db, ws: WorkspaceId, channel: &str, since: i64) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND channel = $2 \
         AND attempted_at >= $3 AND status IN ('sending', 'sent', 'uncertain')")
        .bind(ws.0).bind(channel).bind(since).fetch_one(p).await)?)
}

/// The message a provider id names, with its channel part.
pub async fn by_provider_id(
    db: &Db,
    ws: WorkspaceId,
    provider_id: &str,
) -> Result<Option<(Message, Option<ChannelPart>)>> {
    let Some(m) = crate::messages::find_by_provider_id(db, ws, provider_id).await? else {
        return Ok(None);
    };
    let p = part(db, ws, m.mid()).await?;
    Ok(Some((m, p)))
}

/// The contact with this E.164 number (WhatsApp column first, then phone), oldest first.
pub async fn contact_by_phone(db: &Db, ws: WorkspaceId, e164: &str) -> Result<Option<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM contacts WHERE workspace_id = $1 AND (whatsapp = $2 OR phone = $2) \
         ORDER BY CASE WHEN whatsapp = $2 THEN 0 ELSE 1 END, id LIMIT 1")
        .bind(ws.0).bind(e164).fetch_optional(p).await)?)
}

/// Our latest message on `channel` to `to_address` that reached the provider.
pub async fn latest_sent_to(
    db: &Db,
    ws: WorkspaceId,
    channel: &str,
    to_address: &str,
) -> Result<Option<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM messages WHERE workspace_id = $1 AND channel = $2 AND to_address = $3 \
         AND sent_at IS NOT NULL ORDER BY id DESC LIMIT 1")
        .bind(ws.0).bind(channel).bind(to_address).fetch_optional(p).await)?)
}

/// One line of the message log.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct LogRow {
    pub id: i64,
    pub channel: String,
    pub contact_id: Option<i64>,
    pub to_address: String,
    pub status: String,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub scheduled_at: i64,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub replied_at: Option<i64>,
    pub kind: String,
    pub template_name: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub segments: Option<i64>,
    pub broadcast_id: Option<i64>,
    pub provider_status: Option<String>,
    pub error_code: Option<i64>,
    pub created_at: i64,
}

/// Filters of the message log.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// `whatsapp` or `sms`; `None`: both.
    pub channel: Option<String>,
    /// The send status (`sent`, `failed`…) or a provider status (`delivered`, `read`).
    pub status: Option<String>,
    pub broadcast_id: Option<i64>,
    pub template: Option<String>,
    pub to: Option<String>,
}

/// WhatsApp and SMS messages, newest first, keyset-paginated by id.
pub async fn log(
    db: &Db,
    ws: WorkspaceId,
    f: &LogFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LogRow>> {
    let mut s = Sql::new(
        "SELECT m.id, m.channel, m.contact_id, m.to_address, m.status, m.provider_id, m.error, \
         m.cost_minor, m.currency, m.scheduled_at, m.sent_at, m.delivered_at, m.opened_at, \
         m.replied_at, c.kind, c.template_name, c.category, c.country, c.segments, \
         c.broadcast_id, c.provider_status, c.error_code, m.created_at \
         FROM channel_messages c JOIN messages m ON m.id = c.message_id \
         WHERE c.workspace_id = ",
    );
    let w = s.arg(ws.0);
    s.push(&w);
    s.push(" AND m.workspace_id = ");
    s.push(&w);
    if let Some(ch) = &f.channel {
        let a = s.arg(ch.as_str());
        s.push(&format!(" AND c.channel = {a}"));
    }
    if let Some(st) = &f.status {
        let a = s.arg(st.as_str());
        s.push(&format!(" AND (m.status = {a} OR c.provider_status = {a})"));
    }
    if let Some(b) = f.broadcast_id {
        let a = s.arg(b);
        s.push(&format!(" AND c.broadcast_id = {a}"));
    }
    if let Some(t) = &f.template {
        let a = s.arg(t.as_str());
        s.push(&format!(" AND c.template_name = {a}"));
    }
    if let Some(t) = &f.to {
        let a = s.arg(t.as_str());
        s.push(&format!(" AND m.to_address = {a}"));
    }
    let b = s.arg(before.unwrap_or(i64::MAX));
    let l = s.arg(limit.clamp(1, 1000));
    s.push(&format!(" AND m.id < {b} ORDER BY m.id DESC LIMIT {l}"));
    Ok(
        on_db!(db, p => bind_args!(sqlx::query_as::<_, LogRow>(&s.text_for(db)), s.args)
        .persistent(false).fetch_all(p).await)?,
    )
}

// ---------------------------------------------------------------------------------------
// Rate card and ledger

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct RateRow {
    pub id: i64,
    pub workspace_id: i64,
    pub channel: String,
    pub country: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
    pub updated_at: i64,
}

pub async fn rate_card(db: &Db, ws: WorkspaceId) -> Result<Vec<RateRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, RateRow>(
        "SELECT id, workspace_id, channel, country, category, price_minor, currency, updated_at \
         FROM rate_cards WHERE workspace_id = $1 ORDER BY channel, country, category")
        .bind(ws.0).fetch_all(p).await)?)
}

/// Set one line (insert or change its price). `only_new` leaves an existing line alone
/// (seeding defaults never overwrites an edit).
#[allow(clippy::too_many_arguments)]
pub async fn set_rate(
    db: &Db,
    ws: WorkspaceId,
    channel: &str,
    country: &str,
    category: &str,
    price_minor: i64,
    currency: &str,
    only_new: bool,
) -> Result<()> {
    let conflict = if only_new {
        "DO NOTHING"
    } else {
        "DO UPDATE SET price_minor = excluded.price_minor, currency = excluded.currency, \
         updated_at = excluded.updated_at"
    };
    let sql = format!(
        "INSERT INTO rate_cards (workspace_id, channel, country, category, price_minor, \
         currency, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (workspace_id, channel, country, category) {conflict}"
    );
    on_db!(db, p => sqlx::query(&sql).bind(ws.0).bind(channel).bind(country).bind(category)
        .bind(price_minor).bind(currency).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_rate(db: &Db, ws: WorkspaceId, id: i64) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM rate_cards WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub workspace_id: i64,
    pub message_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub description: String,
    pub created_at: i64,
}

/// Write the debit of a message; a second debit for the same message is a no-op. Returns
/// whether it was written.
pub async fn debit(
    db: &Db,
    ws: WorkspaceId,
    message: MessageId,
    channel: &str,
    amount_minor: i64,
    currency: &str,
    description: &str,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "INSERT INTO cost_ledger (workspace_id, message_id, channel, kind, amount_minor, \
         currency, description, created_at) \
         SELECT $1, $2, $3, 'debit', $4, $5, $6, $7 WHERE EXISTS \
         (SELECT 1 FROM messages WHERE workspace_id = $1 AND id = $2) \
         ON CONFLICT (message_id, kind) DO NOTHING")
        .bind(ws.0).bind(message.0).bind(channel).bind(amount_minor).bind(currency)
        .bind(description).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn ledger(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LedgerEntry>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, LedgerEntry>(
        "SELECT id, workspace_id, message_id, channel, kind, amount_minor, currency, description, \
         created_at FROM cost_ledger WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3")
        .bind(ws.0).bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 1000))
        .fetch_all(p).await)?)
}

/// Debits minus credits per channel and currency.
pub async fn ledger_totals(db: &Db, ws: WorkspaceId) -> Result<Vec<(String, String, i64, i64)>> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, (String, String, i64, i64)>(
        "SELECT channel, currency, COUNT(*), \
         CAST(COALESCE(SUM(CASE WHEN kind = 'debit' THEN amount_minor ELSE -amount_minor END), 0) \
         AS BIGINT) \
         FROM cost_ledger WHERE workspace_id = $1 GROUP BY channel, currency \
         ORDER BY channel, currency")
        .bind(ws.0).fetch_all(p).await)?,
    )
}

// ---------------------------------------------------------------------------------------
// Broadcasts

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Broadcast {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub channel: String,
    pub template_id: Option<i64>,
    /// Parameter sources, JSON array of strings (`field:first_name`, literals…).
    pub params: String,
    /// The audience as JSON (`{"tag":…}` / `{"contact_ids":[…]}`).
    pub audience: String,
    pub scheduled_at: i64,
    /// scheduled, queueing, sending, done, failed.
    pub state: String,
    /// Messages queued.
    pub total: i64,
    /// Contacts left out (no number, no consent, suppressed).
    pub skipped: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const BC_COLS: &str = "id, workspace_id, name, channel, template_id, params, audience, \
    scheduled_at, state, total, skipped, error, created_at, updated_at";

#[allow(clippy::too_many_arguments)]
pub async fn create_broadcast(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    channel: &str,
    template_id: i64,
    params: &str,
    audience: &str,
    scheduled_at: i64,
) -> Result<Broadcast> {
    let sql = format!(
        "INSERT INTO broadcasts (workspace_id, name, channel, template_id, params, audience, \
         scheduled_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         RETURNING {BC_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Broadcast>(&sql).bind(ws.0).bind(name)
        .bind(channel).bind(template_id).bind(params).bind(audience).bind(scheduled_at)
        .bind(now_ms()).fetch_one(p).await)?,
    )
}

pub async fn broadcast(db: &Db, ws: WorkspaceId, id: i64) -> Result<Broadcast> {
    let sql = format!("SELECT {BC_COLS} FROM broadcasts WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Broadcast>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

pub async fn list_broadcasts(db: &Db, ws: WorkspaceId, limit: i64) -> Result<Vec<Broadcast>> {
    let sql = format!(
        "SELECT {BC_COLS} FROM broadcasts WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Broadcast>(&sql).bind(ws.0)
        .bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// Broadcasts of every workspace that are due (the broadcast job has no workspace).
pub async fn due_broadcasts(db: &Db, now: i64, limit: i64) -> Result<Vec<Broadcast>> {
    let sql = format!(
        "SELECT {BC_COLS} FROM broadcasts WHERE state = 'scheduled' AND scheduled_at <= $1 \
         ORDER BY scheduled_at, id LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Broadcast>(&sql).bind(now).bind(limit)
        .fetch_all(p).await)?,
    )
}

/// Move a broadcast from `from` to `to` (false when another worker got there first).
pub async fn broadcast_transition(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    from: &str,
    to: &str,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE broadcasts SET state = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2 \
         AND state = $3")
        .bind(ws.0).bind(id).bind(from).bind(to).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn finish_broadcast(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    state: &str,
    total: i64,
    skipped: i64,
    error: Option<&str>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE broadcasts SET state = $3, total = $4, skipped = $5, error = $6, updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(state).bind(total).bind(skipped).bind(error).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A broadcast's messages counted by send status and by furthest provider status.
pub async fn broadcast_counts(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
) -> Result<Vec<(String, Option<String>, i64)>> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, (String, Option<String>, i64)>(
        "SELECT m.status, c.provider_status, COUNT(*) FROM channel_messages c \
         JOIN messages m ON m.id = c.message_id WHERE c.workspace_id = $1 AND m.workspace_id = $1 \
         AND c.broadcast_id = $2 GROUP BY m.status, c.provider_status")
        .bind(ws.0).bind(id).fetch_all(p).await)?,
    )
}

// ---------------------------------------------------------------------------------------
// Webhook events

/// Claim up to `limit` unprocessed events of `provider` (any workspace), oldest first, for
/// `lease_ms`: a claimed event carries `processed_at = -claimed_at` until it is marked
/// processed, so two job runs (or two servers) never apply the same event twice, and a claim
/// whose runner died is taken again once the lease has run out.
pub async fn claim_pending_events(
    db: &Db,
    provider: &str,
    limit: i64,
    now: i64,
    lease_ms: i64,
) -> Result<Vec<crate::inbound::WebhookEvent>> {
    // Stale: claimed before `now - lease`, i.e. `-processed_at < now - lease`.
    let stale_above = lease_ms - now;
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE webhook_events SET processed_at = $3 WHERE id IN (SELECT id FROM webhook_events \
         WHERE provider = $1 AND (processed_at IS NULL OR (processed_at < 0 AND processed_at > $4)) \
         ORDER BY id LIMIT $2{lock}) RETURNING id, workspace_id, provider, event_id, raw, \
         received_at, processed_at, error"
    );
    let mut rows = crate::in_tx!(db, tx => {
        let rows: Vec<crate::inbound::WebhookEvent> = sqlx::query_as(&sql)
            .bind(provider).bind(limit.clamp(1, 5000)).bind(-now.max(1)).bind(stale_above)
            .fetch_all(&mut *tx).await?;
        Ok::<_, StoreError>(rows)
    })?;
    rows.sort_by_key(|e| e.id);
    Ok(rows)
}

/// Store many events of one delivery in one transaction; returns the ids newly stored (a
/// repeated event id is a no-op).
pub async fn insert_events(
    db: &Db,
    ws: WorkspaceId,
    provider: &str,
    events: &[(String, String)],
) -> Result<Vec<i64>> {
    let now = now_ms();
    crate::in_tx!(db, tx => {
        let mut ids = Vec::with_capacity(events.len());
        for (event_id, raw) in events {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO webhook_events (workspace_id, provider, event_id, raw, received_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING \
                 RETURNING id")
                .bind(ws.0).bind(provider).bind(event_id).bind(raw).bind(now)
                .fetch_optional(&mut *tx).await?;
            ids.extend(id);
        }
        Ok::<Vec<i64>, StoreError>(ids)
    })
}

/// Mark events processed (with an error when they could not be applied for good).
pub async fn mark_events_processed(db: &Db, done: &[(i64, Option<String>)]) -> Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    crate::in_tx!(db, tx => {
        for (id, err) in done {
            sqlx::query("UPDATE webhook_events SET processed_at = $2, error = $3 WHERE id = $1")
                .bind(id).bind(now).bind(err).execute(&mut *tx).await?;
        }
        Ok::<(), StoreError>(())
    })
}

/// Events of a provider still waiting or being applied (for the benchmark and the jobs
/// page).
pub async fn count_pending(db: &Db, provider: &str) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM webhook_events WHERE provider = $1 \
         AND (processed_at IS NULL OR processed_at < 0)")
        .bind(provider).fetch_one(p).await)?)
}

// ---------------------------------------------------------------------------------------
// Opt-outs

/// Lift a phone suppression that a channel's own opt-out created (`reason` starting with
/// `prefix`, e.g. `sms:`): an opt-in undoes the opt-out, never an erasure or a complaint.
pub async fn lift_phone_suppression(
    db: &Db,
    ws: WorkspaceId,
    e164: &str,
    prefix: &str,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "DELETE FROM suppressions WHERE workspace_id = $1 AND kind = 'phone' AND value = $2 \
         AND SUBSTR(reason, 1, LENGTH($3)) = $3")
        .bind(ws.0).bind(e164).bind(prefix).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Record a contact's consent for one channel (`whatsapp` or `sms`).
pub async fn set_consent(
    db: &Db,
    ws: WorkspaceId,
    contact: i64,
    channel: &str,
    value: &str,
) -> Result<()> {
    let col = match channel {
        "whatsapp" => "consent_whatsapp",
        "sms" => "consent_sms",
        _ => return Err(StoreError::NotFound),
    };
    let sql = format!(
        "UPDATE contacts SET {col} = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2"
    );
    on_db!(db, p => sqlx::query(&sql).bind(ws.0).bind(contact).bind(value).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Webhook events, many deliveries at once

/// One event of a webhook delivery waiting to be stored by [`insert_event_batch`].
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub workspace_id: WorkspaceId,
    pub provider: &'a str,
    pub event_id: &'a str,
    pub raw: &'a str,
}

/// Store the events of many webhook deliveries in one transaction — the webhook group
/// commit: under a burst of deliveries one commit (and one wait for the SQLite write lock)
/// serves them all instead of one each. Multi-row INSERTs of 400 events; a repeated
/// `(provider, event_id)`, already stored or repeated within `events`, is stored once.
/// Returns `(provider, event_id, id)` of the rows newly stored, in no particular order.
pub async fn insert_event_batch(
    db: &Db,
    events: &[NewEvent<'_>],
) -> Result<Vec<(String, String, i64)>> {
    const ROWS: usize = 400;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    crate::in_tx!(db, tx => {
        let mut out = Vec::with_capacity(events.len());
        for chunk in events.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO webhook_events (workspace_id, provider, event_id, raw, received_at) \
                 VALUES ");
            for i in 0..chunk.len() {
                let b = 2 + i * 4;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${b}, ${}, ${}, ${}, $1)", b + 1, b + 2, b + 3));
            }
            sql.push_str(" ON CONFLICT (provider, event_id) DO NOTHING \
                RETURNING provider, event_id, id");
            let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql).bind(now);
            for e in chunk {
                q = q.bind(e.workspace_id.0).bind(e.provider).bind(e.event_id).bind(e.raw);
            }
            out.extend(q.fetch_all(&mut *tx).await?);
        }
        Ok::<Vec<(String, String, i64)>, StoreError>(out)
    })
}
