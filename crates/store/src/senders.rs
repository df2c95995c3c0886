//! Senders: the SMTP accounts and email APIs a workspace sends from, with their daily limit,
//! warm-up ramp, signature, DKIM key and health state. `secret` and `dkim_private_key` are
//! encrypted by the app and opaque here; they are never serialised. Whether a sender should be
//! paused after failures, and how many it may send today, is decided by the app. Every query
//! is scoped by workspace.

use crate::query::Arg;
use crate::{Db, Result, SenderId, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// `state` of a sender that may send.
pub const ACTIVE: &str = "active";
/// `state` of a sender held back (by hand or after repeated failures; see `paused_reason`).
pub const PAUSED: &str = "paused";

/// The columns of a sender that a person or the app writes.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct SenderFields {
    /// Unique in the workspace; the CLI and campaign files name senders by it.
    pub name: String,
    /// smtp, sendgrid, resend or sandbox.
    pub kind: String,
    pub from_email: String,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    /// Non-secret settings as a JSON object: host, port, tls, username / base_url.
    pub config: String,
    /// Encrypted password or API key.
    #[serde(skip)]
    pub secret: Option<String>,
    pub daily_limit: i64,
    /// Messages allowed on the first warm-up day (`None`: no warm-up).
    pub warmup_start: Option<i64>,
    /// Messages added per warm-up day.
    pub warmup_increment: i64,
    pub warmup_started_at: Option<i64>,
    pub signature: Option<String>,
    pub dkim_selector: Option<String>,
    /// Encrypted PEM private key.
    #[serde(skip)]
    pub dkim_private_key: Option<String>,
    pub dkim_domain: Option<String>,
}

impl SenderFields {
    /// Fields with the defaults the database would give.
    pub fn new(name: &str, kind: &str, from_email: &str, daily_limit: i64) -> SenderFields {
        SenderFields {
            name: name.into(),
            kind: kind.into(),
            from_email: from_email.into(),
            config: "{}".into(),
            daily_limit,
            ..Default::default()
        }
    }
}

/// A stored sender.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Sender {
    pub id: i64,
    pub workspace_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: SenderFields,
    /// active or paused.
    pub state: String,
    pub paused_reason: Option<String>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Sender {
    pub fn sid(&self) -> SenderId {
        SenderId(self.id)
    }
}

/// Column list in insert order (everything in [`SenderFields`]).
const FIELD_COLS: &[&str] = &[
    "name",
    "kind",
    "from_email",
    "from_name",
    "reply_to",
    "config",
    "secret",
    "daily_limit",
    "warmup_start",
    "warmup_increment",
    "warmup_started_at",
    "signature",
    "dkim_selector",
    "dkim_private_key",
    "dkim_domain",
];

fn field_args(f: &SenderFields) -> Vec<Arg> {
    vec![
        Arg::Text(f.name.clone()),
        Arg::Text(f.kind.clone()),
        Arg::Text(f.from_email.clone()),
        Arg::from(&f.from_name),
        Arg::from(&f.reply_to),
        Arg::Text(f.config.clone()),
        Arg::from(&f.secret),
        Arg::I64(f.daily_limit),
        Arg::OptI64(f.warmup_start),
        Arg::I64(f.warmup_increment),
        Arg::OptI64(f.warmup_started_at),
        Arg::from(&f.signature),
        Arg::from(&f.dkim_selector),
        Arg::from(&f.dkim_private_key),
        Arg::from(&f.dkim_domain),
    ]
}

/// `s.`-qualified columns of a sender row (joins in `campaigns` use them too).
pub(crate) fn select_cols(alias: &str) -> String {
    let mut cols = vec!["id", "workspace_id"];
    cols.extend_from_slice(FIELD_COLS);
    cols.extend_from_slice(&[
        "state",
        "paused_reason",
        "consecutive_failures",
        "last_error",
        "last_used_at",
        "created_at",
        "updated_at",
    ]);
    cols.iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Add a sender. A taken name is a `Conflict` on "name".
pub async fn insert(db: &Db, ws: WorkspaceId, f: &SenderFields) -> Result<Sender> {
    let mut s = crate::query::insert_sql("senders", ws, FIELD_COLS, field_args(f), now_ms());
    let id: i64 = on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&s.text_for(db)), s.args)
        .fetch_one(p).await)?;
    get(db, ws, SenderId(id)).await
}

/// Replace every writable field of a sender (state and health are left alone).
pub async fn update(db: &Db, ws: WorkspaceId, id: SenderId, f: &SenderFields) -> Result<Sender> {
    let mut s = crate::query::update_sql("senders", ws, id.0, FIELD_COLS, field_args(f), now_ms());
    let n = on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(db, ws, id).await
}

pub async fn get(db: &Db, ws: WorkspaceId, id: SenderId) -> Result<Sender> {
    let sql = format!(
        "SELECT {} FROM senders s WHERE s.workspace_id = $1 AND s.id = $2",
        select_cols("s")
    );
    on_db!(db, p => sqlx::query_as::<_, Sender>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn get_by_name(db: &Db, ws: WorkspaceId, name: &str) -> Result<Sender> {
    let sql = format!(
        "SELECT {} FROM senders s WHERE s.workspace_id = $1 AND s.name = $2",
        select_cols("s")
    );
    on_db!(db, p => sqlx::query_as::<_, Sender>(&sql).bind(ws.0).bind(name).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A workspace's senders by name.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<Sender>> {
    let sql = format!(
        "SELECT {} FROM senders s WHERE s.workspace_id = $1 ORDER BY s.name, s.id LIMIT 1000",
        select_cols("s")
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Sender>(&sql).bind(ws.0).fetch_all(p).await)?)
}

/// Delete a sender. Its campaign links go with it; its messages keep their history with no
/// sender. Returns false when there was no such sender.
pub async fn delete(db: &Db, ws: WorkspaceId, id: SenderId) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM senders WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Pause (with a reason shown to the user) or resume a sender. Resuming clears the reason
/// and the failure streak. Returns false when there was no such sender.
pub async fn set_state(
    db: &Db,
    ws: WorkspaceId,
    id: SenderId,
    state: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE senders SET state = $3, paused_reason = $4, \
         consecutive_failures = CASE WHEN $3 = 'active' THEN 0 ELSE consecutive_failures END, \
         updated_at = $5 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(state).bind(reason).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A send went through: the failure streak and last error are cleared.
pub async fn record_success(db: &Db, ws: WorkspaceId, id: SenderId, at: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE senders SET consecutive_failures = 0, last_error = NULL, last_used_at = $3, \
         updated_at = $3 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A send failed for a reason of the sender (connection, authentication, 4xx/5xx of the
/// server as a whole). Returns the new length of the failure streak.
pub async fn record_failure(
    db: &Db,
    ws: WorkspaceId,
    id: SenderId,
    error: &str,
    at: i64,
) -> Result<i64> {
    on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "UPDATE senders SET consecutive_failures = consecutive_failures + 1, last_error = $3, \
         last_used_at = $4, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
         RETURNING consecutive_failures")
        .bind(ws.0).bind(id.0).bind(error).bind(at).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// Messages a sender has handed to its provider since `since` (UTC ms): those `sent`, and
/// those `sending` or `uncertain` (they may have gone out), counted by the time of the
/// attempt. The app compares this with the daily limit and warm-up ramp.
pub async fn sent_since(db: &Db, ws: WorkspaceId, id: SenderId, since: i64) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND sender_id = $2 \
         AND attempted_at >= $3 AND status IN ('sent', 'sending', 'uncertain')")
        .bind(ws.0).bind(id.0).bind(since).fetch_one(p).await)?)
}

/// [`sent_since`] for every sender of the workspace (zero for those that sent nothing), one
/// query that counts each sender over its own index range.
pub async fn sent_since_by_sender(
    db: &Db,
    ws: WorkspaceId,
    since: i64,
) -> Result<Vec<(SenderId, i64)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT s.id, (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = s.workspace_id \
         AND m.sender_id = s.id AND m.attempted_at >= $2 \
         AND m.status IN ('sent', 'sending', 'uncertain')) FROM senders s \
         WHERE s.workspace_id = $1 ORDER BY s.id")
        .bind(ws.0).bind(since).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(s, n)| (SenderId(s), n)).collect())
}
