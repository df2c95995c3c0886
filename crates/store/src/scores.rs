//! Lead scores (one current row per company, upserted) and AI business analyses (history,
//! newest shown). Every query is scoped by workspace.

use crate::{CompanyId, Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// A company's current score.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct StoredScore {
    pub id: i64,
    pub workspace_id: i64,
    pub company_id: i64,
    /// 0..=100, the sum of the factors' points.
    pub value: i64,
    /// A, B or C.
    pub tier: String,
    /// One line: "A: no website, 4.6 stars from 210 reviews, mobile number found".
    pub reason: String,
    /// JSON array of `{"name","points","reason"}`.
    pub factors: String,
    pub model_version: String,
    pub computed_at: i64,
}

const SCORE_COLS: &str =
    "id, workspace_id, company_id, value, tier, reason, factors, model_version, computed_at";

/// What to store for one company.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    pub value: i64,
    pub tier: String,
    pub reason: String,
    pub factors: String,
    pub model_version: String,
}

/// Insert or replace the current score of a company.
pub async fn upsert(db: &Db, ws: WorkspaceId, company: CompanyId, s: &NewScore) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO scores (workspace_id, company_id, value, tier, reason, factors, model_version, \
         computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (workspace_id, company_id) DO UPDATE SET value = excluded.value, \
         tier = excluded.tier, reason = excluded.reason, factors = excluded.factors, \
         model_version = excluded.model_version, computed_at = excluded.computed_at")
        .bind(ws.0).bind(company.0).bind(s.value).bind(&s.tier).bind(&s.reason)
        .bind(&s.factors).bind(&s.model_version).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The current score of a company, if it has been scored.
pub async fn get(db: &Db, ws: WorkspaceId, company: CompanyId) -> Result<Option<StoredScore>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, StoredScore>(&format!(
        "SELECT {SCORE_COLS} FROM scores WHERE workspace_id = $1 AND company_id = $2"))
        .bind(ws.0).bind(company.0).fetch_optional(p).await)?)
}

/// Companies per tier (A, B, C) and how many are not scored yet.
pub async fn tier_counts(db: &Db, ws: WorkspaceId) -> Result<Vec<(String, i64)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT tier, COUNT(*) FROM scores WHERE workspace_id = $1 GROUP BY tier ORDER BY tier")
        .bind(ws.0).fetch_all(p).await)?)
}

/// Company ids of a workspace after `after_id`, in id order (re-scoring in batches).
pub async fn company_ids_after(
    db: &Db,
    ws: WorkspaceId,
    after_id: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM companies WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(ws.0).bind(after_id).bind(limit.clamp(1, 10_000)).fetch_all(p).await)?)
}

/// How many companies a workspace has.
pub async fn company_count(db: &Db, ws: WorkspaceId) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM companies WHERE workspace_id = $1")
        .bind(ws.0).fetch_one(p).await)?)
}

/// A stored business analysis.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct StoredAnalysis {
    pub id: i64,
    pub workspace_id: i64,
    pub company_id: i64,
    pub summary: String,
    /// JSON array of strings.
    pub pain_points: String,
    /// JSON array of strings.
    pub hooks: String,
    pub opening_line: String,
    /// `fallback` or the model name.
    pub provider: String,
    pub created_at: i64,
}

const ANALYSIS_COLS: &str =
    "id, workspace_id, company_id, summary, pain_points, hooks, opening_line, provider, created_at";

/// An analysis to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnalysis {
    pub summary: String,
    pub pain_points: String,
    pub hooks: String,
    pub opening_line: String,
    pub provider: String,
}

/// Append an analysis of a company.
pub async fn insert_analysis(
    db: &Db,
    ws: WorkspaceId,
    company: CompanyId,
    a: &NewAnalysis,
) -> Result<StoredAnalysis> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, StoredAnalysis>(&format!(
        "INSERT INTO analyses (workspace_id, company_id, summary, pain_points, hooks, opening_line, \
         provider, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ANALYSIS_COLS}"))
        .bind(ws.0).bind(company.0).bind(&a.summary).bind(&a.pain_points).bind(&a.hooks)
        .bind(&a.opening_line).bind(&a.provider).bind(now_ms()).fetch_one(p).await)?,
    )
}

/// The newest analysis of a company.
pub async fn latest_analysis(
    db: &Db,
    ws: WorkspaceId,
    company: CompanyId,
) -> Result<Option<StoredAnalysis>> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, StoredAnalysis>(&format!(
        "SELECT {ANALYSIS_COLS} FROM analyses WHERE workspace_id = $1 AND company_id = $2 \
         ORDER BY id DESC LIMIT 1"))
        .bind(ws.0).bind(company.0).fetch_optional(p).await)?,
    )
}

/// Fails with `NotFound` unless `company` belongs to `ws`.
pub async fn ensure_company(db: &Db, ws: WorkspaceId, company: CompanyId) -> Result<()> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM companies WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(company.0).fetch_one(p).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Latest email-verification status (`valid`, `risky`...) of each contact of a company.
pub async fn contact_verifications(
    db: &Db,
    ws: WorkspaceId,
    company: CompanyId,
) -> Result<Vec<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT f.value FROM facts f WHERE f.workspace_id = $1 AND f.company_id = $2 \
         AND f.kind = 'email_verification' AND f.contact_id IS NOT NULL \
         AND f.id = (SELECT MAX(g.id) FROM facts g WHERE g.workspace_id = f.workspace_id \
         AND g.contact_id = f.contact_id AND g.kind = 'email_verification') LIMIT 500")
        .bind(ws.0).bind(company.0).fetch_all(p).await)?)
}
