//! Website scans and the facts they found (emails, phones, socials, tech, the website
//! score...), plus facts about contacts (email verification). Facts are append-only: a new
//! scan adds a new version and nothing is overwritten; a company's current facts are those of
//! its latest `done` scan. Every query is scoped by workspace.

use crate::{CompanyId, ContactId, Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// One visit of a company's website.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Scan {
    pub id: i64,
    pub workspace_id: i64,
    pub company_id: i64,
    /// The website as it was when the scan was queued.
    pub url: String,
    /// queued, running, done or failed.
    pub state: String,
    /// Why a failed scan failed.
    pub error: Option<String>,
    /// Pages fetched.
    pub pages: i64,
    /// Website quality 0-100 (higher = better website).
    pub website_score: Option<i64>,
    pub job_id: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl Scan {
    /// Still waiting or running.
    pub fn active(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }
}

const SCAN_COLS: &str = "id, workspace_id, company_id, url, state, error, pages, website_score, \
    job_id, created_at, started_at, finished_at";

/// A stored fact.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Fact {
    pub id: i64,
    pub workspace_id: i64,
    pub company_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// The scan that found it (none for an email verification).
    pub scan_id: Option<i64>,
    /// email, phone, social, tech, contact_form, structured, website_score, tls,
    /// performance, mobile, meta or email_verification.
    pub kind: String,
    /// The value as text (an address, an E.164 number, a URL, a technology name, a score).
    pub value: String,
    /// Details as a JSON object.
    pub data: String,
    /// The page it came from.
    pub source_url: Option<String>,
    /// 0..1.
    pub confidence: f64,
    pub seen_at: i64,
}

const FACT_COLS: &str = "id, workspace_id, company_id, contact_id, scan_id, kind, value, data, \
    source_url, confidence, seen_at";

/// A fact to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFact {
    pub kind: String,
    pub value: String,
    pub data: String,
    pub source_url: Option<String>,
    pub confidence: f64,
}

/// Queue a scan of `company` at `url`.
pub async fn insert_scan(db: &Db, ws: WorkspaceId, company: CompanyId, url: &str) -> Result<Scan> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Scan>(&format!(
        "INSERT INTO scans (workspace_id, company_id, url, state, created_at) \
         VALUES ($1, $2, $3, 'queued', $4) RETURNING {SCAN_COLS}"))
        .bind(ws.0).bind(company.0).bind(url).bind(now_ms()).fetch_one(p).await)?)
}

/// Remember the job that runs a scan.
pub async fn set_scan_job(db: &Db, ws: WorkspaceId, scan: i64, job: i64) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE scans SET job_id = $1 WHERE workspace_id = $2 AND id = $3")
        .bind(job).bind(ws.0).bind(scan).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Delete a scan that never ran (its job was a duplicate). Facts of a scan go with it.
pub async fn delete_queued_scan(db: &Db, ws: WorkspaceId, scan: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "DELETE FROM scans WHERE workspace_id = $1 AND id = $2 AND state = 'queued'")
        .bind(ws.0).bind(scan).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get_scan(db: &Db, ws: WorkspaceId, id: i64) -> Result<Scan> {
    on_db!(db, p => sqlx::query_as::<_, Scan>(&format!(
        "SELECT {SCAN_COLS} FROM scans WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.0).bind(id).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A company's scans, newest first.
pub async fn scans_of(
    db: &Db,
    ws: WorkspaceId,
    company: CompanyId,
    limit: i64,
) -> Result<Vec<Scan>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Scan>(&format!(
        "SELECT {SCAN_COLS} FROM scans WHERE workspace_id = $1 AND company_id = $2 \
         ORDER BY id DESC LIMIT $3"))
        .bind(ws.0).bind(company.0).bind(limit.clamp(1, 500)).fetch_all(p).await)?)
}

/// The newest scan of a company that finished with `done` (its facts are the current ones).
pub async fn latest_done_scan(
    db: &Db,
    ws: WorkspaceId,
    company: CompanyId,
) -> Result<Option<Scan>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Scan>(&format!(
        "SELECT {SCAN_COLS} FROM scans WHERE workspace_id = $1 AND company_id = $2 \
         AND state = 'done' ORDER BY id DESC LIMIT 1"))
        .bind(ws.0).bind(company.0).fetch_optional(p).await)?)
}

/// The newest `done` scan of each of `companies` (those never scanned are absent).
pub async fn latest_done_scans(db: &Db, ws: WorkspaceId, companies: &[i64]) -> Result<Vec<Scan>> {
    let mut out = Vec::new();
    for chunk in companies.chunks(500) {
        let mut s = crate::query::Sql::new(format!(
            "SELECT {SCAN_COLS} FROM scans s WHERE s.state = 'done' AND s.workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        crate::query::in_list(&mut s, "s.company_id", chunk);
        s.push(
            " AND s.id = (SELECT MAX(t.id) FROM scans t WHERE t.workspace_id = s.workspace_id \
             AND t.company_id = s.company_id AND t.state = 'done')",
        );
        out.extend(on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, Scan>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
}

/// Facts of several scans, by scan, kind, then in the order found.
pub async fn facts_of_scans(db: &Db, ws: WorkspaceId, scans: &[i64]) -> Result<Vec<Fact>> {
    let mut out = Vec::new();
    for chunk in scans.chunks(500) {
        let mut s = crate::query::Sql::new(format!(
            "SELECT {FACT_COLS} FROM facts WHERE workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        crate::query::in_list(&mut s, "scan_id", chunk);
        s.push(" ORDER BY scan_id, kind, id");
        out.extend(on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, Fact>(&s.text_for(db)), s.args).fetch_all(p).await)?);
    }
    Ok(out)
}

/// The id of the newest finished (done or failed) scan of a company, 0 when none.
pub async fn last_finished_scan_id(db: &Db, ws: WorkspaceId, company: CompanyId) -> Result<i64> {
    let id: Option<i64> = on_db!(db, p => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(id) FROM scans WHERE workspace_id = $1 AND company_id = $2 \
         AND state IN ('done', 'failed')")
        .bind(ws.0).bind(company.0).fetch_one(p).await)?;
    Ok(id.unwrap_or(0))
}

/// Mark a scan as running (again, after a retried job).
pub async fn start_scan(db: &Db, ws: WorkspaceId, id: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE scans SET state = 'running', error = NULL, started_at = $1 \
         WHERE workspace_id = $2 AND id = $3")
        .bind(now_ms()).bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Record a failed scan with its reason.
pub async fn fail_scan(db: &Db, ws: WorkspaceId, id: i64, error: &str) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE scans SET state = 'failed', error = $1, finished_at = $2 \
         WHERE workspace_id = $3 AND id = $4")
        .bind(error).bind(now_ms()).bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Store the facts of a scan and mark it done, in one transaction. Facts a previous attempt
/// of the same scan left behind (a worker died half-way) are replaced; other scans' facts are
/// never touched.
pub async fn finish_scan(
    db: &Db,
    ws: WorkspaceId,
    scan: &Scan,
    pages: i64,
    website_score: Option<i64>,
    facts: &[NewFact],
) -> Result<()> {
    let now = now_ms();
    let r: Result<()> = crate::in_tx!(db, tx => {
        sqlx::query("DELETE FROM facts WHERE workspace_id = $1 AND scan_id = $2")
            .bind(ws.0).bind(scan.id).execute(&mut *tx).await?;
        for f in facts {
            sqlx::query(
                "INSERT INTO facts (workspace_id, company_id, contact_id, scan_id, kind, value, \
                 data, source_url, confidence, seen_at) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9)")
                .bind(ws.0).bind(scan.company_id).bind(scan.id).bind(&f.kind).bind(&f.value)
                .bind(&f.data).bind(&f.source_url).bind(f.confidence).bind(now)
                .execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE scans SET state = 'done', error = NULL, pages = $1, website_score = $2, \
             finished_at = $3 WHERE workspace_id = $4 AND id = $5")
            .bind(pages).bind(website_score).bind(now).bind(ws.0).bind(scan.id)
            .execute(&mut *tx).await?;
        Ok::<(), StoreError>(())
    });
    r
}

/// Facts of one scan, by kind then in the order found.
pub async fn facts_of_scan(db: &Db, ws: WorkspaceId, scan: i64) -> Result<Vec<Fact>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Fact>(&format!(
        "SELECT {FACT_COLS} FROM facts WHERE workspace_id = $1 AND scan_id = $2 ORDER BY kind, id"))
        .bind(ws.0).bind(scan).fetch_all(p).await)?)
}

pub async fn get_fact(db: &Db, ws: WorkspaceId, id: i64) -> Result<Fact> {
    on_db!(db, p => sqlx::query_as::<_, Fact>(&format!(
        "SELECT {FACT_COLS} FROM facts WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.0).bind(id).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// Append a fact about a contact (e.g. an email verification).
pub async fn insert_contact_fact(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    company: Option<i64>,
    f: &NewFact,
) -> Result<Fact> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Fact>(&format!(
        "INSERT INTO facts (workspace_id, company_id, contact_id, scan_id, kind, value, data, \
         source_url, confidence, seen_at) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9) \
         RETURNING {FACT_COLS}"))
        .bind(ws.0).bind(company).bind(contact.0).bind(&f.kind).bind(&f.value).bind(&f.data)
        .bind(&f.source_url).bind(f.confidence).bind(now_ms()).fetch_one(p).await)?)
}

/// A contact's facts of `kind`, newest first (every version).
pub async fn contact_facts(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    kind: &str,
    limit: i64,
) -> Result<Vec<Fact>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Fact>(&format!(
        "SELECT {FACT_COLS} FROM facts WHERE workspace_id = $1 AND contact_id = $2 AND kind = $3 \
         ORDER BY id DESC LIMIT $4"))
        .bind(ws.0).bind(contact.0).bind(kind).bind(limit.clamp(1, 500)).fetch_all(p).await)?)
}

/// Companies an import created that have a website, as `(id, website)` after `after_id` in
/// id order (queueing the scans that follow an import, in batches).
pub async fn import_companies_with_website(
    db: &Db,
    ws: WorkspaceId,
    import_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, website FROM companies WHERE workspace_id = $1 AND import_id = $2 \
         AND id > $3 AND website IS NOT NULL AND website <> '' ORDER BY id LIMIT $4")
        .bind(ws.0).bind(import_id).bind(after_id).bind(limit.clamp(1, 10_000))
        .fetch_all(p).await)?)
}

/// Contacts an import created that have an email address, after `after_id` in id order.
pub async fn import_contacts_with_email(
    db: &Db,
    ws: WorkspaceId,
    import_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM contacts WHERE workspace_id = $1 AND import_id = $2 AND id > $3 \
         AND email IS NOT NULL AND email <> '' ORDER BY id LIMIT $4")
        .bind(ws.0).bind(import_id).bind(after_id).bind(limit.clamp(1, 10_000))
        .fetch_all(p).await)?)
}
