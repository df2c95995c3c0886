//! Inbound email: the mailboxes polled over IMAP (with their UIDVALIDITY/UID state), every
//! inbound message stored raw before it is processed (deduplicated per workspace), and
//! provider webhook events stored raw before a job processes them (deduplicated per
//! provider). Every tenant query takes a `WorkspaceId`; the poll job and the webhook
//! processor, which serve every workspace, have their own cross-tenant functions named so.

use crate::{ContactId, Db, MessageId, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// Raw messages longer than this are stored cut (the classification ran on the whole text).
pub const MAX_RAW_STORED: usize = 1024 * 1024;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Mailbox {
    pub id: i64,
    pub workspace_id: i64,
    pub sender_id: Option<i64>,
    /// The encrypted IMAP URL (with its password); never shown.
    #[serde(skip)]
    pub imap_url: String,
    /// The URL without its password, for display.
    pub display: String,
    /// active, paused or error.
    pub state: String,
    pub last_error: Option<String>,
    pub uidvalidity: Option<i64>,
    pub last_uid: Option<i64>,
    pub last_polled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const MAILBOX_COLS: &str = "id, workspace_id, sender_id, imap_url, display, state, last_error, \
    uidvalidity, last_uid, last_polled_at, created_at, updated_at";

/// Set the IMAP URL of a sender's mailbox (creating the mailbox); a new URL resets the saved
/// state, since it may be another mailbox.
pub async fn set_mailbox(
    db: &Db,
    ws: WorkspaceId,
    sender_id: i64,
    imap_url_encrypted: &str,
    display: &str,
) -> Result<Mailbox> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO mailboxes (workspace_id, sender_id, imap_url, display, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5) \
         ON CONFLICT (workspace_id, sender_id) DO UPDATE SET imap_url = excluded.imap_url, \
         display = excluded.display, state = 'active', last_error = NULL, uidvalidity = NULL, \
         last_uid = NULL, updated_at = excluded.updated_at RETURNING {MAILBOX_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Mailbox>(&sql).bind(ws.0).bind(sender_id)
        .bind(imap_url_encrypted).bind(display).bind(now).fetch_one(p).await)?,
    )
}

pub async fn get_mailbox(db: &Db, ws: WorkspaceId, id: i64) -> Result<Mailbox> {
    let sql = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Mailbox>(&sql).bind(ws.0).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// The mailbox of a sender, if one is set.
pub async fn mailbox_of_sender(
    db: &Db,
    ws: WorkspaceId,
    sender_id: i64,
) -> Result<Option<Mailbox>> {
    let sql =
        format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE workspace_id = $1 AND sender_id = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Mailbox>(&sql).bind(ws.0).bind(sender_id)
        .fetch_optional(p).await)?,
    )
}

pub async fn list_mailboxes(db: &Db, ws: WorkspaceId) -> Result<Vec<Mailbox>> {
    let sql = format!(
        "SELECT {MAILBOX_COLS} FROM mailboxes WHERE workspace_id = $1 ORDER BY id LIMIT 500"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Mailbox>(&sql).bind(ws.0).fetch_all(p).await)?)
}

/// Mailboxes of every workspace that the poll job should visit (active, or in error so a
/// fixed server recovers by itself).
pub async fn pollable_mailboxes_all_workspaces(db: &Db, limit: i64) -> Result<Vec<Mailbox>> {
    let sql = format!(
        "SELECT {MAILBOX_COLS} FROM mailboxes WHERE state IN ('active','error') ORDER BY id LIMIT $1"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Mailbox>(&sql).bind(limit).fetch_all(p).await)?)
}

/// Save the state after a successful poll (and clear any error).
pub async fn save_poll_state(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    uidvalidity: i64,
    last_uid: i64,
    at: i64,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE mailboxes SET uidvalidity = $3, last_uid = $4, last_polled_at = $5, \
         state = CASE WHEN state = 'error' THEN 'active' ELSE state END, last_error = NULL, \
         updated_at = $5 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(uidvalidity).bind(last_uid).bind(at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Record a failed poll: the mailbox shows the error and stays pollable.
pub async fn save_poll_error(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    error: &str,
    at: i64,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE mailboxes SET state = CASE WHEN state = 'paused' THEN state ELSE 'error' END, \
         last_error = $3, last_polled_at = $4, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(error).bind(at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Pause or resume polling of a mailbox.
pub async fn set_mailbox_paused(db: &Db, ws: WorkspaceId, id: i64, paused: bool) -> Result<()> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE mailboxes SET state = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(if paused { "paused" } else { "active" }).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct InboundMessage {
    pub id: i64,
    pub workspace_id: i64,
    pub mailbox_id: Option<i64>,
    /// imap, sendgrid, resend or inbound_parse.
    pub source: String,
    pub dedup_key: String,
    #[serde(skip)]
    pub raw: String,
    pub truncated: bool,
    /// reply, auto_reply, bounce, feedback or other, once classified.
    pub kind: Option<String>,
    pub message_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// JSON: the classification and what was done.
    pub summary: String,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub error: Option<String>,
}

const INBOUND_COLS: &str = "id, workspace_id, mailbox_id, source, dedup_key, raw, truncated, \
    kind, message_id, contact_id, summary, received_at, processed_at, error";

/// Store a raw inbound message. `None` when one with the same `dedup_key` is already stored
/// in the workspace (the duplicate is a no-op).
pub async fn insert_raw(
    db: &Db,
    ws: WorkspaceId,
    mailbox_id: Option<i64>,
    source: &str,
    dedup_key: &str,
    raw: &[u8],
) -> Result<Option<InboundMessage>> {
    let cut = raw.len() > MAX_RAW_STORED;
    let text = String::from_utf8_lossy(&raw[..raw.len().min(MAX_RAW_STORED)]).replace('\0', "");
    let sql = format!(
        "INSERT INTO inbound_messages (workspace_id, mailbox_id, source, dedup_key, raw, truncated, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, dedup_key) DO NOTHING \
         RETURNING {INBOUND_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, InboundMessage>(&sql).bind(ws.0).bind(mailbox_id)
        .bind(source).bind(dedup_key).bind(&text).bind(cut).bind(now_ms())
        .fetch_optional(p).await)?,
    )
}

/// Record the outcome of processing an inbound message.
#[allow(clippy::too_many_arguments)]
pub async fn mark_processed(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    kind: &str,
    message: Option<MessageId>,
    contact: Option<ContactId>,
    summary: &str,
    error: Option<&str>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE inbound_messages SET kind = $3, message_id = $4, contact_id = $5, summary = $6, \
         error = $7, processed_at = $8 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(kind).bind(message.map(|m| m.0)).bind(contact.map(|c| c.0))
        .bind(summary).bind(error).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forget that an inbound message was processed (its processing failed), so the next
/// delivery of the same message processes it again.
pub async fn clear_processed(db: &Db, ws: WorkspaceId, id: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE inbound_messages SET processed_at = NULL WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get_inbound(db: &Db, ws: WorkspaceId, id: i64) -> Result<InboundMessage> {
    let sql =
        format!("SELECT {INBOUND_COLS} FROM inbound_messages WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, InboundMessage>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A workspace's inbound messages, newest first, keyset-paginated by id.
pub async fn list_inbound(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboundMessage>> {
    let sql = format!(
        "SELECT {INBOUND_COLS} FROM inbound_messages WHERE workspace_id = $1 AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, InboundMessage>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// How many soft bounces of `address` the workspace has recorded (`soft_bounce` events on
/// the messages sent to it, from inbound reports and provider webhooks alike).
pub async fn count_soft_bounces(db: &Db, ws: WorkspaceId, address: &str) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM message_events e JOIN messages m ON m.id = e.message_id \
         WHERE m.workspace_id = $1 AND m.to_address = $2 AND e.workspace_id = $1 \
         AND e.kind = 'soft_bounce'")
        .bind(ws.0).bind(address).fetch_one(p).await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct WebhookEvent {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub provider: String,
    pub event_id: String,
    #[serde(skip)]
    pub raw: String,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub error: Option<String>,
}

const WEBHOOK_COLS: &str =
    "id, workspace_id, provider, event_id, raw, received_at, processed_at, error";

/// Store a provider's webhook event raw. `None` when the provider already sent this event id
/// (its retry is a no-op).
pub async fn insert_webhook_event(
    db: &Db,
    ws: Option<WorkspaceId>,
    provider: &str,
    event_id: &str,
    raw: &str,
) -> Result<Option<WebhookEvent>> {
    let sql = format!(
        "INSERT INTO webhook_events (workspace_id, provider, event_id, raw, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING \
         RETURNING {WEBHOOK_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WebhookEvent>(&sql).bind(ws.map(|w| w.0))
        .bind(provider).bind(event_id).bind(raw).bind(now_ms()).fetch_optional(p).await)?,
    )
}

/// A webhook event by id, in any workspace (the processing job carries only the id).
pub async fn get_webhook_event(db: &Db, id: i64) -> Result<WebhookEvent> {
    let sql = format!("SELECT {WEBHOOK_COLS} FROM webhook_events WHERE id = $1");
    on_db!(db, p => sqlx::query_as::<_, WebhookEvent>(&sql).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Record why applying a webhook event failed (it stays unprocessed; the job retries).
pub async fn set_webhook_error(db: &Db, id: i64, error: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE webhook_events SET error = $2 WHERE id = $1")
        .bind(id).bind(error).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn mark_webhook_processed(db: &Db, id: i64, error: Option<&str>) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE webhook_events SET processed_at = $2, error = $3 WHERE id = $1")
        .bind(id).bind(now_ms()).bind(error).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The stored inbound message with `dedup_key` in the workspace, if any.
pub async fn find_by_dedup_key(
    db: &Db,
    ws: WorkspaceId,
    dedup_key: &str,
) -> Result<Option<InboundMessage>> {
    let sql = format!(
        "SELECT {INBOUND_COLS} FROM inbound_messages WHERE workspace_id = $1 AND dedup_key = $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, InboundMessage>(&sql).bind(ws.0).bind(dedup_key)
        .fetch_optional(p).await)?,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub workspace_id: i64,
    /// sendgrid, resend or inbound.
    pub provider: String,
    pub token: String,
    /// Encrypted verification key or signing secret.
    pub secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENDPOINT_COLS: &str = "id, workspace_id, provider, token, secret, created_at, updated_at";

/// Create or replace the workspace's endpoint for `provider` (a new token each time).
pub async fn set_endpoint(
    db: &Db,
    ws: WorkspaceId,
    provider: &str,
    token: &str,
    secret_encrypted: Option<&str>,
) -> Result<WebhookEndpoint> {
    let sql = format!(
        "INSERT INTO webhook_endpoints (workspace_id, provider, token, secret, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (workspace_id, provider) DO UPDATE SET \
         token = excluded.token, secret = excluded.secret, updated_at = excluded.updated_at \
         RETURNING {ENDPOINT_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WebhookEndpoint>(&sql).bind(ws.0).bind(provider)
        .bind(token).bind(secret_encrypted).bind(now_ms()).fetch_one(p).await)?,
    )
}

/// The endpoint a provider posted to, by its URL token (any workspace: the token is the
/// only thing the request carries).
pub async fn endpoint_by_token(
    db: &Db,
    provider: &str,
    token: &str,
) -> Result<Option<WebhookEndpoint>> {
    let sql =
        format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE token = $1 AND provider = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WebhookEndpoint>(&sql).bind(token).bind(provider)
        .fetch_optional(p).await)?,
    )
}

/// The workspace's endpoints.
pub async fn endpoints(db: &Db, ws: WorkspaceId) -> Result<Vec<WebhookEndpoint>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY provider"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, WebhookEndpoint>(&sql).bind(ws.0).fetch_all(p).await)?)
}

/// How many webhook events are stored, all providers and workspaces (tests, metrics).
pub async fn count_webhook_events(db: &Db) -> Result<i64> {
    Ok(
        on_db!(db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webhook_events")
        .fetch_one(p).await)?,
    )
}
