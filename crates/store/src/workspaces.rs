//! Workspaces: one per customer business.

use crate::{Db, Result, StoreError, UserId, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// A workspace row.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub default_country: String,
    pub settings: String,
    pub suspended: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Workspace {
    /// The typed id; only obtainable from a loaded row.
    pub fn wid(&self) -> WorkspaceId {
        WorkspaceId(self.id)
    }
}

/// A workspace as seen by one of its members.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MemberWorkspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub suspended: bool,
}

const COLS: &str =
    "id, slug, name, time_zone, default_country, settings, suspended, created_at, updated_at";

/// Insert a workspace; fails with `Conflict` on a taken slug.
pub async fn create(db: &Db, slug: &str, name: &str) -> Result<Workspace> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO workspaces (slug, name, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         RETURNING {COLS}"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Workspace>(&sql)
        .bind(slug).bind(name).bind(now).fetch_one(p).await)?)
}

/// Whether a slug is taken (to pick a free one before inserting).
pub async fn slug_exists(db: &Db, slug: &str) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE slug = $1")
        .bind(slug).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Resolve a slug. Callers must still check membership before using the id.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Workspace> {
    let sql = format!("SELECT {COLS} FROM workspaces WHERE slug = $1");
    on_db!(db, p => sqlx::query_as::<_, Workspace>(&sql).bind(slug).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Load a workspace by its typed id.
pub async fn get(db: &Db, ws: WorkspaceId) -> Result<Workspace> {
    let sql = format!("SELECT {COLS} FROM workspaces WHERE id = $1");
    on_db!(db, p => sqlx::query_as::<_, Workspace>(&sql).bind(ws.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Workspaces a user belongs to, with their role, by name.
pub async fn for_user(db: &Db, user: UserId) -> Result<Vec<MemberWorkspace>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, MemberWorkspace>(
        "SELECT w.id, w.slug, w.name, m.role, w.suspended FROM workspaces w \
         JOIN memberships m ON m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY w.name, w.id")
        .bind(user.0).fetch_all(p).await)?)
}

/// Every workspace (platform admin only), with member counts.
pub async fn list_all(db: &Db, limit: i64) -> Result<Vec<(Workspace, i64)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        w: Workspace,
        members: i64,
    }
    let sql = format!(
        "SELECT {COLS}, (SELECT COUNT(*) FROM memberships m WHERE m.workspace_id = workspaces.id) \
         AS members FROM workspaces ORDER BY created_at DESC, id DESC LIMIT $1"
    );
    let rows = on_db!(db, p => sqlx::query_as::<_, Row>(&sql).bind(limit).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| (r.w, r.members)).collect())
}

/// Editable workspace fields.
#[derive(Debug, Clone)]
pub struct WorkspaceUpdate {
    pub name: String,
    pub time_zone: String,
    pub default_country: String,
}

/// Change a workspace's own fields.
pub async fn update(db: &Db, ws: WorkspaceId, u: &WorkspaceUpdate) -> Result<Workspace> {
    let sql = format!(
        "UPDATE workspaces SET name = $2, time_zone = $3, default_country = $4, updated_at = $5 \
         WHERE id = $1 RETURNING {COLS}"
    );
    on_db!(db, p => sqlx::query_as::<_, Workspace>(&sql).bind(ws.0).bind(&u.name)
        .bind(&u.time_zone).bind(&u.default_country).bind(now_ms()).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// Replace the settings JSON document.
pub async fn set_settings(db: &Db, ws: WorkspaceId, settings_json: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE workspaces SET settings = $2, updated_at = $3 WHERE id = $1")
        .bind(ws.0).bind(settings_json).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Suspend or reinstate a workspace (platform admin).
pub async fn set_suspended(db: &Db, ws: WorkspaceId, suspended: bool) -> Result<()> {
    let r = on_db!(db, p => sqlx::query("UPDATE workspaces SET suspended = $2, updated_at = $3 WHERE id = $1")
        .bind(ws.0).bind(suspended).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
