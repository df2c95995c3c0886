//! The audit log: who changed what, when, with before/after snapshots. Append-only.

use crate::{Db, Result, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// One change to record.
#[derive(Debug, Clone, Default)]
pub struct NewEntry<'a> {
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: Option<i64>,
    /// Human label of the actor: an email, "token:NAME", "cli" or "system".
    pub actor: &'a str,
    /// Dotted verb, e.g. "member.role_changed".
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub ip: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Entry {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: String,
    pub created_at: i64,
}

pub async fn record(db: &Db, e: &NewEntry<'_>) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO audit_log (workspace_id, user_id, actor, action, target_kind, target_id, \
         before_json, after_json, ip, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(e.workspace_id.map(|w| w.0)).bind(e.user_id).bind(e.actor).bind(e.action)
        .bind(e.target_kind).bind(&e.target_id).bind(&e.before).bind(&e.after).bind(e.ip)
        .bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A workspace's log, newest first, before an optional id cursor.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Entry>(
        "SELECT id, workspace_id, user_id, actor, action, target_kind, target_id, before_json, \
         after_json, ip, created_at FROM audit_log WHERE workspace_id = $1 AND id < $2 \
         ORDER BY id DESC LIMIT $3")
        .bind(ws.0).bind(before_id.unwrap_or(i64::MAX)).bind(limit).fetch_all(p).await)?)
}

/// Platform-level entries (no workspace), for the admin section.
pub async fn list_platform(db: &Db, limit: i64) -> Result<Vec<Entry>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Entry>(
        "SELECT id, workspace_id, user_id, actor, action, target_kind, target_id, before_json, \
         after_json, ip, created_at FROM audit_log ORDER BY id DESC LIMIT $1")
        .bind(limit).fetch_all(p).await)?)
}
