//! Memberships: user x workspace x role.

use crate::{Db, Result, StoreError, UserId, WorkspaceId, on_db};
use prospector_core::role::Role;
use prospector_core::time::now_ms;
use serde::Serialize;

/// A member of a workspace as listed on the members page and in the API.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

/// Add (or change the role of) a member.
pub async fn upsert(db: &Db, ws: WorkspaceId, user: UserId, role: Role) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role")
        .bind(ws.0).bind(user.0).bind(role.as_str()).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The user's role in the workspace, or `None` when not a member.
pub async fn role_of(db: &Db, ws: WorkspaceId, user: UserId) -> Result<Option<Role>> {
    let r: Option<String> = on_db!(db, p => sqlx::query_scalar(
        "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws.0).bind(user.0).fetch_optional(p).await)?;
    r.map(|s| {
        s.parse::<Role>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    })
    .transpose()
}

pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<Member>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Member>(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, u.id")
        .bind(ws.0).fetch_all(p).await)?)
}

/// One member of this workspace; `NotFound` for anyone outside it.
pub async fn get(db: &Db, ws: WorkspaceId, user: UserId) -> Result<Member> {
    on_db!(db, p => sqlx::query_as::<_, Member>(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2")
        .bind(ws.0).bind(user.0).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

pub async fn count_owners(db: &Db, ws: WorkspaceId) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'")
        .bind(ws.0).fetch_one(p).await)?)
}

pub async fn remove(db: &Db, ws: WorkspaceId, user: UserId) -> Result<()> {
    let r = on_db!(db, p => sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws.0).bind(user.0).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
