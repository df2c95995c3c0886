//! Invitations by link: a hashed one-time token that grants a role in a workspace.

use crate::{Db, Result, StoreError, UserId, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub role: String,
    #[serde(skip)]
    pub token_hash: String,
    pub invited_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLS: &str = "id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, revoked_at";

pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    email: &str,
    role: &str,
    token_hash: &str,
    invited_by: Option<UserId>,
    expires_at: i64,
) -> Result<Invitation> {
    let sql = format!(
        "INSERT INTO invitations (workspace_id, email, role, token_hash, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Invitation>(&sql).bind(ws.0).bind(email).bind(role)
        .bind(token_hash).bind(invited_by.map(|u| u.0)).bind(now_ms()).bind(expires_at).fetch_one(p).await)?,
    )
}

/// Open (not accepted, not revoked) invitations of a workspace, newest first.
pub async fn list_open(db: &Db, ws: WorkspaceId) -> Result<Vec<Invitation>> {
    let sql = format!(
        "SELECT {COLS} FROM invitations WHERE workspace_id = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL ORDER BY created_at DESC, id DESC"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Invitation>(&sql).bind(ws.0).fetch_all(p).await)?)
}

/// Look an invitation up by its token hash (the link carries the token, not the workspace).
pub async fn by_token_hash(db: &Db, token_hash: &str) -> Result<Invitation> {
    let sql = format!("SELECT {COLS} FROM invitations WHERE token_hash = $1");
    on_db!(db, p => sqlx::query_as::<_, Invitation>(&sql).bind(token_hash).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Invitation> {
    let sql = format!("SELECT {COLS} FROM invitations WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Invitation>(&sql).bind(ws.0).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Mark accepted; only once, so a link cannot be replayed.
pub async fn mark_accepted(db: &Db, ws: WorkspaceId, id: i64) -> Result<bool> {
    let r = on_db!(db, p => sqlx::query(
        "UPDATE invitations SET accepted_at = $3 WHERE workspace_id = $1 AND id = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(ws.0).bind(id).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

pub async fn revoke(db: &Db, ws: WorkspaceId, id: i64) -> Result<()> {
    let r = on_db!(db, p => sqlx::query(
        "UPDATE invitations SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(ws.0).bind(id).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
