//! Lead scores (one current row per company, upserted) and AI business analyses (history,
//! newest shown). Every query is scoped by workspace.

use crate::query::{Sql, in_list};
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

/// Insert or replace the current scores of many companies in one transaction (re-scoring a
/// workspace commits once per batch, not once per company).
pub async fn upsert_many(db: &Db, ws: WorkspaceId, rows: &[(CompanyId, NewScore)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    crate::in_tx!(db, tx => {
        for chunk in rows.chunks(100) {
            let mut s = Sql::new(
                "INSERT INTO scores (workspace_id, company_id, value, tier, reason, factors, \
                 model_version, computed_at) VALUES ",
            );
            for (i, (company, sc)) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                let v = [
                    s.arg(ws.0), s.arg(company.0), s.arg(sc.value), s.arg(sc.tier.as_str()),
                    s.arg(sc.reason.as_str()), s.arg(sc.factors.as_str()),
                    s.arg(sc.model_version.as_str()), s.arg(now),
                ];
                s.push(&format!("({})", v.join(", ")));
            }
            s.push(
                " ON CONFLICT (workspace_id, company_id) DO UPDATE SET value = excluded.value, \
                 tier = excluded.tier, reason = excluded.reason, factors = excluded.factors, \
                 model_version = excluded.model_version, computed_at = excluded.computed_at",
            );
            crate::bind_args!(sqlx::query(&s.text_for(db)), s.args).execute(&mut *tx).await?;
        }
        Ok::<(), StoreError>(())
    })
}

/// The email, phone and WhatsApp number of every contact of `companies`, as
/// `(company_id, email, phone, whatsapp)` in contact order.
pub async fn contact_channels(
    db: &Db,
    ws: WorkspaceId,
    companies: &[i64],
) -> Result<Vec<ContactChannels>> {
    let mut out = Vec::new();
    for chunk in companies.chunks(500) {
        let mut s = Sql::new(
            "SELECT company_id, email, phone, whatsapp FROM contacts WHERE workspace_id = ",
        );
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "company_id", chunk);
        s.push(" ORDER BY id");
        out.extend(on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, ContactChannels>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
}

/// The reachable channels of one contact (scoring input).
pub type ContactChannels = (i64, Option<String>, Option<String>, Option<String>);

/// The current score of a company, if it has been scored.
pub async fn get(db: &Db, ws: WorkspaceId, company: CompanyId) -> Result<Option<StoredScore>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, StoredScore>(&format!(
        "SELECT {SCORE_COLS} FROM scores WHERE workspace_id = $1 AND company_id = $2"))
        .bind(ws.0).bind(company.0).fetch_optional(p).await)?)
}

/// The current scores of `companies` (unscored ones are absent).
pub async fn get_many(db: &Db, ws: WorkspaceId, companies: &[i64]) -> Result<Vec<StoredScore>> {
    let mut out = Vec::new();
    for chunk in companies.chunks(500) {
        let mut s = Sql::new(format!(
            "SELECT {SCORE_COLS} FROM scores WHERE workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "company_id", chunk);
        out.extend(on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, StoredScore>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
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
    /// Why the fallback answered although a provider is configured (budget spent, provider
    /// error, invalid output); `None` for model answers and for workspaces without a model.
    pub fallback_reason: Option<String>,
}

const ANALYSIS_COLS: &str = "id, workspace_id, company_id, summary, pain_points, hooks, \
     opening_line, provider, created_at, fallback_reason";

/// An analysis to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnalysis {
    pub summary: String,
    pub pain_points: String,
    pub hooks: String,
    pub opening_line: String,
    pub provider: String,
    pub fallback_reason: Option<String>,
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
         provider, created_at, fallback_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {ANALYSIS_COLS}"))
        .bind(ws.0).bind(company.0).bind(&a.summary).bind(&a.pain_points).bind(&a.hooks)
        .bind(&a.opening_line).bind(&a.provider).bind(now_ms()).bind(&a.fallback_reason)
        .fetch_one(p).await)?,
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

/// The newest analysis of each of `companies`, as `(company_id, analysis)`.
pub async fn latest_analyses(
    db: &Db,
    ws: WorkspaceId,
    companies: &[i64],
) -> Result<Vec<(i64, StoredAnalysis)>> {
    let mut out = Vec::new();
    for chunk in companies.chunks(500) {
        let mut s = Sql::new(format!(
            "SELECT {ANALYSIS_COLS} FROM analyses a WHERE a.workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "a.company_id", chunk);
        s.push(
            " AND a.id = (SELECT MAX(b.id) FROM analyses b WHERE b.workspace_id = a.workspace_id \
             AND b.company_id = a.company_id)",
        );
        let rows: Vec<StoredAnalysis> = on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, StoredAnalysis>(&s.text_for(db)), s.args).fetch_all(p).await)?;
        out.extend(rows.into_iter().map(|a| (a.company_id, a)));
    }
    Ok(out)
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

/// Latest email-verification status of each contact of `companies`, as `(company_id, status)`.
pub async fn contact_verifications_of(
    db: &Db,
    ws: WorkspaceId,
    companies: &[i64],
) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in companies.chunks(500) {
        let mut s = Sql::new(
            "SELECT f.company_id, f.value FROM facts f WHERE f.kind = 'email_verification' \
             AND f.contact_id IS NOT NULL AND f.company_id IS NOT NULL AND f.workspace_id = ",
        );
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "f.company_id", chunk);
        s.push(
            " AND f.id = (SELECT MAX(g.id) FROM facts g WHERE g.workspace_id = f.workspace_id \
             AND g.contact_id = f.contact_id AND g.kind = 'email_verification') ORDER BY f.id",
        );
        let rows: Vec<(Option<i64>, String)> = on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, (Option<i64>, String)>(&s.text_for(db)), s.args).fetch_all(p).await)?;
        out.extend(rows.into_iter().filter_map(|(c, v)| c.map(|c| (c, v))));
    }
    Ok(out)
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
