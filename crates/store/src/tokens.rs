//! API tokens: random secrets shown once, stored as SHA-256, scoped to one workspace.

use crate::{Db, Result, StoreError, TokenId, UserId, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLS: &str =
    "id, workspace_id, user_id, name, prefix, token_hash, created_at, last_used_at, revoked_at";

pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    user: UserId,
    name: &str,
    prefix: &str,
    token_hash: &str,
) -> Result<ApiToken> {
    let sql = format!(
        "INSERT INTO api_tokens (workspace_id, user_id, name, prefix, token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ApiToken>(&sql).bind(ws.0).bind(user.0).bind(name)
        .bind(prefix).bind(token_hash).bind(now_ms()).fetch_one(p).await)?,
    )
}

/// An unrevoked token by hash. This is authentication, so it is not tenant-scoped: the
/// token row itself names its workspace.
pub async fn by_hash(db: &Db, token_hash: &str) -> Result<Option<ApiToken>> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ApiToken>(&sql).bind(token_hash).fetch_optional(p).await)?,
    )
}

pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {COLS} FROM api_tokens WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, ApiToken>(&sql).bind(ws.0).fetch_all(p).await)?)
}

pub async fn get(db: &Db, ws: WorkspaceId, id: TokenId) -> Result<ApiToken> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, ApiToken>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn revoke(db: &Db, ws: WorkspaceId, id: TokenId) -> Result<()> {
    let r = on_db!(db, p => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(ws.0).bind(id.0).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Record use, at most once a minute per token to keep writes down.
pub async fn touch(db: &Db, id: TokenId) -> Result<()> {
    let now = now_ms();
    on_db!(db, p => sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(id.0).bind(now).bind(now - 60_000).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revoke every token a user holds in a workspace (removed from the workspace).
pub async fn revoke_for_member(db: &Db, ws: WorkspaceId, user: UserId) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL")
        .bind(ws.0).bind(user.0).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}
