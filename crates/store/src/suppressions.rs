//! Suppressions: addresses and numbers that must never be contacted again in a workspace
//! (erasure requests, unsubscribes, hard bounces, complaints).

use crate::{Db, Result, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Suppression {
    pub id: i64,
    pub workspace_id: i64,
    /// email, phone or domain.
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub created_at: i64,
}

/// Add a suppression; adding one that exists is a no-op. Returns true when it was new.
pub async fn add(db: &Db, ws: WorkspaceId, kind: &str, value: &str, reason: &str) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "INSERT INTO suppressions (workspace_id, kind, value, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, kind, value) DO NOTHING")
        .bind(ws.0).bind(kind).bind(value).bind(reason).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Which of `values` of `kind` are suppressed, with their reason.
pub async fn matching(
    db: &Db,
    ws: WorkspaceId,
    kind: &str,
    values: &[String],
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in values.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let mut s =
            crate::query::Sql::new("SELECT value, reason FROM suppressions WHERE workspace_id = ");
        let w = s.arg(ws.0);
        s.push(&w);
        let k = s.arg(kind);
        s.push(&format!(" AND kind = {k} AND value IN ("));
        let marks: Vec<String> = chunk.iter().map(|v| s.arg(v.as_str())).collect();
        s.push(&marks.join(", "));
        s.push(")");
        out.extend(on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, (String, String)>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
}

/// Whether `value` of `kind` is suppressed.
pub async fn is_suppressed(db: &Db, ws: WorkspaceId, kind: &str, value: &str) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM suppressions WHERE workspace_id = $1 AND kind = $2 AND value = $3")
        .bind(ws.0).bind(kind).bind(value).fetch_one(p).await)?;
    Ok(n > 0)
}

/// A workspace's suppressions, newest first.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Suppression>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Suppression>(
        "SELECT id, workspace_id, kind, value, reason, created_at FROM suppressions \
         WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3")
        .bind(ws.0).bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500)).fetch_all(p).await)?)
}
