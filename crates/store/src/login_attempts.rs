//! Login attempts, kept in the database so rate limits hold across web processes.

use crate::{Db, Result, on_db};
use prospector_core::time::now_ms;

pub async fn record(db: &Db, email: &str, ip: &str, success: bool) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO login_attempts (email, ip, success, created_at) VALUES ($1, $2, $3, $4)")
        .bind(email).bind(ip).bind(success).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Failed attempts since `since_ms` for this email, and for this IP.
pub async fn recent_failures(db: &Db, email: &str, ip: &str, since_ms: i64) -> Result<(i64, i64)> {
    let by_email: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND success = FALSE AND created_at > $2")
        .bind(email).bind(since_ms).fetch_one(p).await)?;
    let by_ip: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND success = FALSE AND created_at > $2")
        .bind(ip).bind(since_ms).fetch_one(p).await)?;
    Ok((by_email, by_ip))
}

pub async fn prune(db: &Db, older_than_ms: i64) -> Result<u64> {
    let r = on_db!(db, p => sqlx::query("DELETE FROM login_attempts WHERE created_at < $1")
        .bind(older_than_ms).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r)
}
