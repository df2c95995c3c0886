//! Server-side sessions. The cookie holds a random token; the table holds its hash.

use crate::{Db, Result, UserId, on_db};
use prospector_core::time::now_ms;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub ip: String,
}

pub async fn create(
    db: &Db,
    id_hash: &str,
    user: UserId,
    expires_at: i64,
    user_agent: &str,
    ip: &str,
) -> Result<()> {
    let now = now_ms();
    on_db!(db, p => sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, user_agent, ip) \
         VALUES ($1, $2, $3, $4, $3, $5, $6)")
        .bind(id_hash).bind(user.0).bind(now).bind(expires_at).bind(user_agent).bind(ip)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live (unexpired) session by token hash.
pub async fn get_live(db: &Db, id_hash: &str) -> Result<Option<Session>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Session>(
        "SELECT id, user_id, created_at, expires_at, last_seen_at, user_agent, ip FROM sessions \
         WHERE id = $1 AND expires_at > $2")
        .bind(id_hash).bind(now_ms()).fetch_optional(p).await)?)
}

/// Slide the expiry forward (called at most once a minute per session).
pub async fn touch(db: &Db, id_hash: &str, expires_at: i64) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
        .bind(id_hash).bind(now_ms()).bind(expires_at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(db: &Db, id_hash: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id_hash).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Log a user out everywhere (password change).
pub async fn delete_for_user(db: &Db, user: UserId) -> Result<()> {
    on_db!(db, p => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_expired(db: &Db) -> Result<u64> {
    let r = on_db!(db, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r)
}
