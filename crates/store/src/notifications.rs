//! Notifications for members (a reply that made a lead, ...), the workspace's optional
//! outgoing webhook (URL and encrypted signing secret) and the log of its deliveries. Every
//! tenant query takes a `WorkspaceId`; the delivery job, which carries only a delivery id,
//! has its own cross-tenant lookup named so.

use crate::{ContactId, Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Notification {
    pub id: i64,
    pub workspace_id: i64,
    /// `reply` for now; later issues add their kinds.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where to look, relative to the workspace (`conversations/12`).
    pub link: Option<String>,
    pub contact_id: Option<i64>,
    pub conversation_id: Option<i64>,
    #[serde(skip)]
    pub dedup_key: String,
    /// When a member marked it read; `null` while unread.
    pub read_at: Option<i64>,
    pub created_at: i64,
}

const COLS: &str = "id, workspace_id, kind, title, body, link, contact_id, conversation_id, \
    dedup_key, read_at, created_at";

/// What to notify.
#[derive(Debug, Clone, Default)]
pub struct NewNotification<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
    pub contact: Option<ContactId>,
    pub conversation_id: Option<i64>,
    /// Names the event: a second notification with the same key is a no-op.
    pub dedup_key: &'a str,
}

/// Store a notification. `None` when one with the same `dedup_key` exists (the event was
/// already notified, e.g. an inbound message processed again).
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    n: &NewNotification<'_>,
) -> Result<Option<Notification>> {
    let sql = format!(
        "INSERT INTO notifications (workspace_id, kind, title, body, link, contact_id, \
         conversation_id, dedup_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (workspace_id, dedup_key) DO NOTHING RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Notification>(&sql).bind(ws.0).bind(n.kind)
        .bind(n.title).bind(n.body).bind(n.link).bind(n.contact.map(|c| c.0))
        .bind(n.conversation_id).bind(n.dedup_key).bind(now_ms()).fetch_optional(p).await)?,
    )
}

pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Notification> {
    let sql = format!("SELECT {COLS} FROM notifications WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Notification>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A workspace's notifications, newest first, keyset-paginated by id; `unread_only` leaves
/// out those already read.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
    unread_only: bool,
) -> Result<Vec<Notification>> {
    let filter = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLS} FROM notifications WHERE workspace_id = $1 AND id < $2{filter} \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Notification>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// How many notifications of the workspace are unread (the bell).
pub async fn unread_count(db: &Db, ws: WorkspaceId) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notifications WHERE workspace_id = $1 AND read_at IS NULL")
        .bind(ws.0).fetch_one(p).await)?)
}

/// Mark one notification read (marking a read one again keeps its first time).
pub async fn mark_read(db: &Db, ws: WorkspaceId, id: i64) -> Result<()> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Mark every unread notification of the workspace read. Returns how many were unread.
pub async fn mark_all_read(db: &Db, ws: WorkspaceId) -> Result<u64> {
    Ok(on_db!(db, p => sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE workspace_id = $1 AND read_at IS NULL")
        .bind(ws.0).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutgoingWebhook {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    /// The encrypted signing secret; never shown.
    pub secret: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const HOOK_COLS: &str = "id, workspace_id, url, secret, enabled, created_at, updated_at";

/// Create or replace the workspace's outgoing webhook.
pub async fn set_webhook(
    db: &Db,
    ws: WorkspaceId,
    url: &str,
    secret_encrypted: &str,
    enabled: bool,
) -> Result<OutgoingWebhook> {
    let sql = format!(
        "INSERT INTO outgoing_webhooks (workspace_id, url, secret, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (workspace_id) DO UPDATE SET \
         url = excluded.url, secret = excluded.secret, enabled = excluded.enabled, \
         updated_at = excluded.updated_at RETURNING {HOOK_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, OutgoingWebhook>(&sql).bind(ws.0).bind(url)
        .bind(secret_encrypted).bind(enabled).bind(now_ms()).fetch_one(p).await)?,
    )
}

/// The workspace's outgoing webhook, if one is set.
pub async fn webhook(db: &Db, ws: WorkspaceId) -> Result<Option<OutgoingWebhook>> {
    let sql = format!("SELECT {HOOK_COLS} FROM outgoing_webhooks WHERE workspace_id = $1");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, OutgoingWebhook>(&sql).bind(ws.0)
        .fetch_optional(p).await)?,
    )
}

/// Remove the workspace's outgoing webhook (and its delivery log).
pub async fn delete_webhook(db: &Db, ws: WorkspaceId) -> Result<()> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM outgoing_webhooks WHERE workspace_id = $1")
        .bind(ws.0).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub workspace_id: i64,
    pub webhook_id: i64,
    pub notification_id: Option<i64>,
    /// `reply.received` or `test`.
    pub event: String,
    /// The JSON body sent (signed as is).
    pub body: String,
    /// pending, delivered or failed (gave up).
    pub state: String,
    pub attempts: i64,
    /// The HTTP status of the last attempt, when one came back.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DELIVERY_COLS: &str = "id, workspace_id, webhook_id, notification_id, event, body, state, \
    attempts, last_status, last_error, delivered_at, created_at, updated_at";

/// Log a delivery to make. `None` when this notification was already queued for the webhook.
pub async fn queue_delivery(
    db: &Db,
    ws: WorkspaceId,
    webhook_id: i64,
    notification_id: Option<i64>,
    event: &str,
    body: &str,
) -> Result<Option<Delivery>> {
    let sql = format!(
        "INSERT INTO webhook_deliveries (workspace_id, webhook_id, notification_id, event, body, \
         created_at, updated_at) SELECT w.workspace_id, w.id, $3, $4, $5, $6, $6 \
         FROM outgoing_webhooks w WHERE w.workspace_id = $1 AND w.id = $2 \
         ON CONFLICT (webhook_id, notification_id) DO NOTHING RETURNING {DELIVERY_COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Delivery>(&sql).bind(ws.0).bind(webhook_id)
        .bind(notification_id).bind(event).bind(body).bind(now_ms()).fetch_optional(p).await)?,
    )
}

pub async fn get_delivery(db: &Db, ws: WorkspaceId, id: i64) -> Result<Delivery> {
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE workspace_id = $1 AND id = $2"
    );
    on_db!(db, p => sqlx::query_as::<_, Delivery>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A delivery by id in any workspace (the delivery job carries only the id).
pub async fn get_delivery_any_workspace(db: &Db, id: i64) -> Result<Delivery> {
    let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1");
    on_db!(db, p => sqlx::query_as::<_, Delivery>(&sql).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Record one attempt: the new state (`pending` to retry, `delivered`, `failed`), the HTTP
/// status if any and the error if any.
pub async fn record_attempt(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    state: &str,
    status: Option<i64>,
    error: Option<&str>,
) -> Result<()> {
    let now = now_ms();
    on_db!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, last_status = $4, \
         last_error = $5, delivered_at = CASE WHEN $3 = 'delivered' THEN $6 ELSE delivered_at END, \
         updated_at = $6 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).bind(state).bind(status).bind(error).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A workspace's deliveries, newest first, keyset-paginated by id.
pub async fn list_deliveries(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE workspace_id = $1 AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Delivery>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}
