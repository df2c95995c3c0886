//! The job queue: one `jobs` table, claimed under a lease.
//!
//! States: `queued` (waiting for `run_at`), `running` (leased by `locked_by` until
//! `locked_until`), `succeeded`, `dead` (out of attempts; shown in the UI for a manual retry),
//! `cancelled`. A running job whose lease expired is claimable again, so a killed worker's
//! job is re-run by another. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite has a
//! single writer, so the same `UPDATE ... RETURNING` is atomic there without it.

use crate::{Db, JobId, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// A job row.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Job {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub kind: String,
    pub payload: String,
    pub state: String,
    pub priority: i64,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub result: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl Job {
    pub fn jid(&self) -> JobId {
        JobId(self.id)
    }
    pub fn workspace(&self) -> Option<WorkspaceId> {
        self.workspace_id.map(WorkspaceId)
    }
}

const COLS: &str = "id, workspace_id, kind, payload, state, priority, run_at, attempts, \
    max_attempts, locked_by, locked_until, last_error, unique_key, progress_done, \
    progress_total, result, created_at, updated_at, finished_at";

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub workspace_id: Option<WorkspaceId>,
    pub kind: String,
    pub payload: String,
    pub run_at: i64,
    pub priority: i64,
    pub max_attempts: i64,
    /// When set, a second enqueue with the same key is a no-op (forever: schedulers put the
    /// time slot in the key).
    pub unique_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: impl Into<String>) -> Self {
        NewJob {
            workspace_id: None,
            kind: kind.into(),
            payload: payload.into(),
            run_at: now_ms(),
            priority: 0,
            max_attempts: 5,
            unique_key: None,
        }
    }
}

/// Enqueue; returns `None` when a job with the same unique key already exists.
pub async fn enqueue(db: &Db, j: &NewJob) -> Result<Option<JobId>> {
    let now = now_ms();
    let id: Option<i64> = on_db!(db, p => sqlx::query_scalar(
        "INSERT INTO jobs (workspace_id, kind, payload, run_at, priority, max_attempts, unique_key, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (unique_key) DO NOTHING RETURNING id")
        .bind(j.workspace_id.map(|w| w.0)).bind(&j.kind).bind(&j.payload).bind(j.run_at)
        .bind(j.priority).bind(j.max_attempts.max(1)).bind(&j.unique_key).bind(now)
        .fetch_optional(p).await)?;
    Ok(id.map(JobId))
}

/// Enqueue many jobs in one transaction (bulk work such as tests and fan-out).
pub async fn enqueue_many(db: &Db, jobs: &[NewJob]) -> Result<u64> {
    let now = now_ms();
    let mut n = 0u64;
    for chunk in jobs.chunks(500) {
        let inserted: Result<u64> = crate::in_tx!(db, tx => {
            let mut c = 0u64;
            for j in chunk {
                let r = sqlx::query(
                    "INSERT INTO jobs (workspace_id, kind, payload, run_at, priority, max_attempts, \
                     unique_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                     ON CONFLICT (unique_key) DO NOTHING")
                    .bind(j.workspace_id.map(|w| w.0)).bind(&j.kind).bind(&j.payload)
                    .bind(j.run_at).bind(j.priority).bind(j.max_attempts.max(1))
                    .bind(&j.unique_key).bind(now).execute(&mut *tx).await?;
                c += r.rows_affected();
            }
            Ok::<u64, StoreError>(c)
        });
        n += inserted?;
    }
    Ok(n)
}

/// Claim up to `limit` runnable jobs for `worker` until `now + lease_ms`.
/// Each claim counts as an attempt.
pub async fn claim(
    db: &Db,
    worker: &str,
    kinds: &[String],
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<Job>> {
    let now = now_ms();
    // Kinds are passed as one comma-joined text so the statement text stays identical on both
    // backends (no array binds on SQLite).
    let kinds_csv = format!(",{},", kinds.join(","));
    let pick = "SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $2) \
        OR (state = 'running' AND locked_until < $2)) \
        AND ($5 = ',*,' OR $5 LIKE '%,' || kind || ',%') \
        ORDER BY priority DESC, run_at, id LIMIT $4";
    let sql = match db {
        // A CTE is evaluated once, so the locked set is exactly the set updated.
        Db::Postgres(_) => format!(
            "WITH picked AS ({} FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
             locked_until = $3, updated_at = $2 FROM picked WHERE jobs.id = picked.pid \
             RETURNING {COLS}",
            pick.replacen("SELECT id FROM", "SELECT id AS pid FROM", 1)
        ),
        Db::Sqlite(_) => format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
             locked_until = $3, updated_at = $2 WHERE id IN ({pick}) RETURNING {COLS}"
        ),
    };
    let mut jobs = on_db!(db, p => sqlx::query_as::<_, Job>(&sql).bind(worker).bind(now)
        .bind(now + lease_ms).bind(limit).bind(&kinds_csv).fetch_all(p).await)?;
    jobs.sort_by_key(|j| (-j.priority, j.run_at, j.id));
    Ok(jobs)
}

/// Extend the lease of jobs this worker still holds, in one statement per call so a busy
/// database sees one short write, not one per job. Returns how many were extended.
pub async fn heartbeat(db: &Db, worker: &str, ids: &[i64], lease_ms: i64) -> Result<u64> {
    let now = now_ms();
    let mut n = 0;
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "UPDATE jobs SET locked_until = $2, updated_at = $3 WHERE locked_by = $1 \
             AND state = 'running' AND id IN ({})",
            marks.join(", ")
        );
        n += on_db!(db, p => {
            let mut q = sqlx::query(&sql).bind(worker).bind(now + lease_ms).bind(now);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(p).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(n)
}

/// Mark done, only if this worker still holds the lease. Returns false when the lease was
/// lost (another worker took the job over), so the caller knows its result was not recorded.
pub async fn complete(db: &Db, id: JobId, worker: &str, result: Option<&str>) -> Result<bool> {
    let now = now_ms();
    let r = on_db!(db, p => sqlx::query(
        "UPDATE jobs SET state = 'succeeded', locked_until = NULL, finished_at = $3, updated_at = $3, \
         result = $4, last_error = NULL WHERE id = $1 AND locked_by = $2 AND state = 'running'")
        .bind(id.0).bind(worker).bind(now).bind(result).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

/// Record a failure: back to `queued` at `retry_at`, or `dead` when `retry_at` is `None`.
pub async fn fail(
    db: &Db,
    id: JobId,
    worker: &str,
    error: &str,
    retry_at: Option<i64>,
) -> Result<bool> {
    let now = now_ms();
    let r = match retry_at {
        Some(at) => on_db!(db, p => sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $4, last_error = $3, locked_until = NULL, \
             updated_at = $5 WHERE id = $1 AND locked_by = $2 AND state = 'running'")
            .bind(id.0).bind(worker).bind(error).bind(at).bind(now).execute(p).await.map(|r| r.rows_affected()))?,
        None => on_db!(db, p => sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = $3, locked_until = NULL, finished_at = $4, \
             updated_at = $4 WHERE id = $1 AND locked_by = $2 AND state = 'running'")
            .bind(id.0).bind(worker).bind(error).bind(now).execute(p).await.map(|r| r.rows_affected()))?,
    };
    Ok(r == 1)
}

/// Give a job back without counting the attempt (graceful shutdown).
pub async fn release(db: &Db, id: JobId, worker: &str) -> Result<bool> {
    let now = now_ms();
    let r = on_db!(db, p => sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1, locked_by = NULL, \
         locked_until = NULL, run_at = $3, updated_at = $3 WHERE id = $1 AND locked_by = $2 \
         AND state = 'running'")
        .bind(id.0).bind(worker).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

/// Report progress of a long job (shown with rows/s and ETA).
pub async fn set_progress(db: &Db, id: JobId, done: i64, total: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE jobs SET progress_done = $2, progress_total = $3, updated_at = $4 WHERE id = $1")
        .bind(id.0).bind(done).bind(total).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, id: JobId) -> Result<Job> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE id = $1");
    on_db!(db, p => sqlx::query_as::<_, Job>(&sql).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A workspace's job, `NotFound` for other workspaces' jobs.
pub async fn get_in(db: &Db, ws: WorkspaceId, id: JobId) -> Result<Job> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Job>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A workspace's jobs, newest first, optionally by state, keyset-paginated by id.
pub async fn list_in(
    db: &Db,
    ws: WorkspaceId,
    state: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Job>> {
    let sql = format!(
        "SELECT {COLS} FROM jobs WHERE workspace_id = $1 AND ($2 = '' OR state = $2) AND id < $3 \
         ORDER BY id DESC LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Job>(&sql).bind(ws.0).bind(state.unwrap_or(""))
        .bind(before_id.unwrap_or(i64::MAX)).bind(limit).fetch_all(p).await)?,
    )
}

/// All jobs (platform admin), newest first, optionally by state.
pub async fn list_all(db: &Db, state: Option<&str>, limit: i64) -> Result<Vec<Job>> {
    let sql =
        format!("SELECT {COLS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Job>(&sql).bind(state.unwrap_or(""))
        .bind(limit).fetch_all(p).await)?,
    )
}

/// Put a dead or cancelled job back in the queue for one more round of attempts.
pub async fn retry_dead(db: &Db, ws: Option<WorkspaceId>, id: JobId) -> Result<()> {
    let now = now_ms();
    let r = on_db!(db, p => sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_by = NULL, \
         locked_until = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1 \
         AND state IN ('dead','cancelled') AND ($3 = 0 OR workspace_id = $3)")
        .bind(id.0).bind(now).bind(ws.map(|w| w.0).unwrap_or(0)).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Cancel a job that has not finished. A running job sees it through [`is_cancelled`] and
/// stops early; its worker's late completion is then refused.
pub async fn cancel(db: &Db, ws: WorkspaceId, id: JobId) -> Result<()> {
    let now = now_ms();
    let r = on_db!(db, p => sqlx::query(
        "UPDATE jobs SET state = 'cancelled', finished_at = $3, updated_at = $3 WHERE id = $2 \
         AND workspace_id = $1 AND state IN ('queued', 'running')")
        .bind(ws.0).bind(id.0).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    if r == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether a job was cancelled meanwhile (long jobs poll this to stop early).
pub async fn is_cancelled(db: &Db, id: JobId) -> Result<bool> {
    let s: Option<String> = on_db!(db, p => sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
        .bind(id.0).fetch_optional(p).await)?;
    Ok(matches!(s.as_deref(), Some("cancelled") | None))
}

/// Counts by (kind, state), for metrics and the jobs page.
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, String, i64)>(
        "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state")
        .fetch_all(p).await)?)
}

/// Delete finished jobs older than `older_than_ms` (but keep dead ones for inspection).
pub async fn prune_finished(db: &Db, older_than_ms: i64) -> Result<u64> {
    let r = on_db!(db, p => sqlx::query(
        "DELETE FROM jobs WHERE state IN ('succeeded','cancelled') AND finished_at < $1")
        .bind(older_than_ms).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r)
}
