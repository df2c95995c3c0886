//! AI accounting (`api_usage`) and the response cache (`ai_cache`). Every query is scoped by
//! workspace: spend, budgets and cached answers are per tenant.

use crate::{Db, Result, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// One AI request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUsage {
    /// `openai_compatible` or `anthropic`.
    pub provider: String,
    pub model: String,
    /// What the call was for (`business_analysis`, `opening_line`, `test`...).
    pub feature: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Micro-units of the price currency (1 USD = 1,000,000).
    pub cost_micros: i64,
    /// Served from the cache: nothing was sent or spent.
    pub cached: bool,
}

/// Append one usage row.
pub async fn record(db: &Db, ws: WorkspaceId, u: &NewUsage) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO api_usage (workspace_id, provider, model, feature, input_tokens, \
         output_tokens, cost_micros, cached, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(ws.0).bind(&u.provider).bind(&u.model).bind(&u.feature).bind(u.input_tokens)
        .bind(u.output_tokens).bind(u.cost_micros).bind(i64::from(u.cached)).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Micro-units spent by the workspace since `since_ms` (cache hits cost nothing).
pub async fn spent_since(db: &Db, ws: WorkspaceId, since_ms: i64) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM api_usage \
         WHERE workspace_id = $1 AND created_at >= $2")
        .bind(ws.0).bind(since_ms).fetch_one(p).await)?)
}

/// Usage of one provider and model over a period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct UsageLine {
    pub provider: String,
    pub model: String,
    /// Requests sent to the provider.
    pub calls: i64,
    /// Answers served from the cache.
    pub cached_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
}

/// Usage since `since_ms` per provider and model, most expensive first.
pub async fn summary_since(db: &Db, ws: WorkspaceId, since_ms: i64) -> Result<Vec<UsageLine>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, UsageLine>(
        "SELECT provider, model, \
         CAST(COALESCE(SUM(1 - cached), 0) AS BIGINT) AS calls, \
         CAST(COALESCE(SUM(cached), 0) AS BIGINT) AS cached_calls, \
         CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
         CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
         CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros \
         FROM api_usage WHERE workspace_id = $1 AND created_at >= $2 \
         GROUP BY provider, model ORDER BY cost_micros DESC, provider, model")
        .bind(ws.0).bind(since_ms).fetch_all(p).await)?)
}

/// A cached answer (validated JSON text) by prompt hash.
pub async fn cache_get(db: &Db, ws: WorkspaceId, prompt_hash: &str) -> Result<Option<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT response FROM ai_cache WHERE workspace_id = $1 AND prompt_hash = $2")
        .bind(ws.0).bind(prompt_hash).fetch_optional(p).await)?)
}

/// Store (or refresh) a cached answer.
pub async fn cache_put(db: &Db, ws: WorkspaceId, prompt_hash: &str, response: &str) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO ai_cache (workspace_id, prompt_hash, response, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, prompt_hash) \
         DO UPDATE SET response = excluded.response, created_at = excluded.created_at")
        .bind(ws.0).bind(prompt_hash).bind(response).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many answers the workspace has cached.
pub async fn cache_count(db: &Db, ws: WorkspaceId) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM ai_cache WHERE workspace_id = $1")
        .bind(ws.0).fetch_one(p).await)?)
}
