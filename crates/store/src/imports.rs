//! CSV imports: the run, its counts and progress, its row errors, and the bulk write of one
//! batch of rows in one transaction (so a batch is all in or all out, never half).

use crate::companies::{self, CompanyFields};
use crate::contacts::{self, ContactFields};
use crate::query::{Arg, Sql};
use crate::{Db, ImportId, Result, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::time::{Duration, Instant};

/// An import run.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Import {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub file_name: String,
    #[serde(skip)]
    pub file_path: String,
    pub file_size: i64,
    pub file_sha256: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    /// JSON list of `HEADER=field` overrides as given.
    pub mapping: String,
    pub default_country: Option<String>,
    pub on_duplicate: String,
    pub dry_run: bool,
    /// pending, running, done, failed or cancelled.
    pub state: String,
    pub job_id: Option<i64>,
    pub rows_total: i64,
    pub rows_done: i64,
    pub bytes_done: i64,
    pub created: i64,
    pub updated: i64,
    pub duplicates: i64,
    pub errors: i64,
    pub warnings: i64,
    pub contacts_created: i64,
    pub companies_created: i64,
    /// File-level failure reason.
    pub error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
}

impl Import {
    pub fn iid(&self) -> ImportId {
        ImportId(self.id)
    }
}

const COLS: &str = "id, workspace_id, user_id, file_name, file_path, file_size, file_sha256, \
    encoding, delimiter, mapping, default_country, on_duplicate, dry_run, state, job_id, \
    rows_total, rows_done, bytes_done, created, updated, duplicates, errors, warnings, \
    contacts_created, companies_created, error, created_at, started_at, finished_at, updated_at";

/// What starts an import.
#[derive(Debug, Clone, Default)]
pub struct NewImport {
    pub user_id: Option<i64>,
    pub file_name: String,
    pub file_path: String,
    pub file_size: i64,
    pub file_sha256: String,
    pub mapping: String,
    pub default_country: Option<String>,
    pub on_duplicate: String,
    pub dry_run: bool,
}

pub async fn create(db: &Db, ws: WorkspaceId, n: &NewImport) -> Result<Import> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO imports (workspace_id, user_id, file_name, file_path, file_size, file_sha256, \
         mapping, default_country, on_duplicate, dry_run, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Import>(&sql).bind(ws.0).bind(n.user_id)
        .bind(&n.file_name).bind(&n.file_path).bind(n.file_size).bind(&n.file_sha256)
        .bind(&n.mapping).bind(&n.default_country).bind(&n.on_duplicate).bind(n.dry_run)
        .bind(now).fetch_one(p).await)?,
    )
}

pub async fn get(db: &Db, ws: WorkspaceId, id: ImportId) -> Result<Import> {
    let sql = format!("SELECT {COLS} FROM imports WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Import>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A workspace's imports, newest first, keyset-paginated by id.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Import>> {
    let sql = format!(
        "SELECT {COLS} FROM imports WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Import>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(limit.clamp(1, 200)).fetch_all(p).await)?)
}

pub async fn set_job(db: &Db, ws: WorkspaceId, id: ImportId, job_id: i64) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE imports SET job_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(job_id).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Mark the import running with what sniffing found. Counts restart from zero, so a re-run
/// after a crash reports the whole file again (writes are idempotent).
pub async fn start(
    db: &Db,
    ws: WorkspaceId,
    id: ImportId,
    encoding: &str,
    delimiter: &str,
    rows_total: i64,
) -> Result<()> {
    let now = now_ms();
    on_db!(db, p => sqlx::query(
        "UPDATE imports SET state = 'running', encoding = $3, delimiter = $4, rows_total = $5, \
         rows_done = 0, bytes_done = 0, created = 0, updated = 0, duplicates = 0, errors = 0, \
         warnings = 0, contacts_created = 0, companies_created = 0, error = NULL, \
         started_at = $6, updated_at = $6 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(encoding).bind(delimiter).bind(rows_total).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    on_db!(db, p => sqlx::query("DELETE FROM import_errors WHERE workspace_id = $1 AND import_id = $2")
        .bind(ws.0).bind(id.0).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Counts of an import so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub rows_done: i64,
    pub bytes_done: i64,
    pub created: i64,
    pub updated: i64,
    pub duplicates: i64,
    pub errors: i64,
    pub warnings: i64,
    pub contacts_created: i64,
    pub companies_created: i64,
}

/// Record progress without writing rows (dry runs).
pub async fn set_counts(db: &Db, ws: WorkspaceId, id: ImportId, c: &Counts) -> Result<()> {
    let mut s = counts_sql(ws, id, c);
    on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

fn counts_sql(ws: WorkspaceId, id: ImportId, c: &Counts) -> Sql {
    let mut s = Sql::new("");
    s.push_args(
        "UPDATE imports SET rows_done = ?, bytes_done = ?, created = ?, updated = ?, \
         duplicates = ?, errors = ?, warnings = ?, contacts_created = ?, companies_created = ?, \
         updated_at = ? WHERE workspace_id = ? AND id = ?",
        vec![
            c.rows_done.into(),
            c.bytes_done.into(),
            c.created.into(),
            c.updated.into(),
            c.duplicates.into(),
            c.errors.into(),
            c.warnings.into(),
            c.contacts_created.into(),
            c.companies_created.into(),
            now_ms().into(),
            ws.0.into(),
            id.0.into(),
        ],
    );
    s
}

/// Finish: `done`, `failed` (with a file-level reason) or `cancelled`.
pub async fn finish(
    db: &Db,
    ws: WorkspaceId,
    id: ImportId,
    state: &str,
    error: Option<&str>,
    c: &Counts,
) -> Result<()> {
    set_counts(db, ws, id, c).await?;
    let now = now_ms();
    on_db!(db, p => sqlx::query(
        "UPDATE imports SET state = $3, error = $4, finished_at = $5, updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id.0).bind(state).bind(error).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Unfinished imports (any workspace), with their job's last error, whose job will not run
/// again: dead, cancelled, finished without finishing the import, or pruned. For the
/// housekeeping sweep, which
/// abandons each through [`BulkTx::abandon`] in its own workspace. Only imports untouched
/// since `idle_before` (ms): a cancelled job's import writes its last batch after the job row
/// says `cancelled`.
pub async fn orphaned(
    db: &Db,
    idle_before: i64,
) -> Result<Vec<(WorkspaceId, ImportId, Option<String>)>> {
    let rows: Vec<(i64, i64, Option<String>)> = on_db!(db, p => sqlx::query_as(
        "SELECT i.workspace_id, i.id, j.last_error FROM imports i LEFT JOIN jobs j ON j.id = i.job_id \
         WHERE i.state IN ('pending', 'running') AND i.job_id IS NOT NULL AND i.updated_at < $1 \
         AND (j.id IS NULL OR j.state IN ('dead', 'cancelled', 'succeeded')) ORDER BY i.id")
        .bind(idle_before).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(w, i, e)| (WorkspaceId(w), ImportId(i), e))
        .collect())
}

/// One line of an import's error report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct ImportError {
    pub row_number: i64,
    pub line: i64,
    pub column_name: String,
    pub value: String,
    pub reason: String,
    /// "error" (row not imported) or "warning" (value dropped, row imported).
    pub severity: String,
}

/// An import's errors in file order, keyset-paginated by row number.
pub async fn errors(
    db: &Db,
    ws: WorkspaceId,
    id: ImportId,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, ImportError)>> {
    let rows: Vec<(i64, i64, i64, String, String, String, String)> = on_db!(db, p => sqlx::query_as(
        "SELECT id, row_number, line, column_name, value, reason, severity FROM import_errors \
         WHERE workspace_id = $1 AND import_id = $2 AND id > $3 ORDER BY id LIMIT $4")
        .bind(ws.0).bind(id.0).bind(after_id).bind(limit).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(eid, row_number, line, column_name, value, reason, severity)| {
                (
                    eid,
                    ImportError {
                        row_number,
                        line,
                        column_name,
                        value,
                        reason,
                        severity,
                    },
                )
            },
        )
        .collect())
}

/// A company in a batch: one already stored, or the n-th new one of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Existing(i64),
    New(usize),
}

/// Everything one batch of rows writes.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub new_companies: Vec<CompanyFields>,
    pub changed_companies: Vec<(i64, CompanyFields)>,
    /// New contacts with the company they belong to (overrides `company_id`).
    pub new_contacts: Vec<(ContactFields, Option<Ref>)>,
    pub changed_contacts: Vec<(i64, ContactFields, Option<Ref>)>,
    pub company_tags: Vec<(Ref, String)>,
    /// Contact tag rows; the `Ref` indexes `new_contacts` or names a stored contact.
    pub contact_tags: Vec<(Ref, String)>,
    pub errors: Vec<ImportError>,
    pub counts: Counts,
}

/// Reserve `n` ids of `table` inside a transaction. PostgreSQL draws them from the identity
/// sequence; SQLite (whose single writer we hold) continues after the highest id ever used.
/// One statement text per backend, run on whichever connection the transaction holds.
#[macro_export]
macro_rules! reserve_ids {
    ($db:expr, $tx:ident, $table:expr, $n:expr) => {{
        let n: i64 = $n;
        if n == 0 {
            Vec::<i64>::new()
        } else {
            let pg = $db.backend() == $crate::Backend::Postgres;
            let sql = if pg {
                format!(
                    "SELECT nextval(pg_get_serial_sequence('{}', 'id')) FROM generate_series(1, $1)",
                    $table
                )
            } else {
                format!(
                    "SELECT MAX(COALESCE((SELECT MAX(id) FROM {t}), 0), \
                     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{t}'), 0)) + 0 * $1",
                    t = $table
                )
            };
            let got: Vec<i64> = sqlx::query_scalar::<_, i64>(&sql)
                .bind(n)
                .fetch_all(&mut *$tx)
                .await?;
            if pg {
                got
            } else {
                let start = got.first().copied().unwrap_or(0);
                (start + 1..=start + n).collect()
            }
        }
    }};
}

/// Rows per multi-row INSERT. Only statements of exactly this size are kept prepared; the
/// smaller last chunk of each batch varies in size and would fill the statement cache with
/// huge one-off programs.
const ROWS_PER_STATEMENT: usize = 400;

/// Bind every argument, moving the values: an import binds millions of strings, and cloning
/// each (as [`bind_args!`] must for a borrowed [`Sql`]) was a large share of its time.
macro_rules! bind_owned {
    ($q:expr, $args:expr) => {
        $args.into_iter().fold($q, |q, a| match a {
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::OptF64(v) => q.bind(v),
        })
    };
}

/// The statements of one batch on connection `$tx` (a `&mut` connection of either backend).
macro_rules! write_batch_on {
    ($db:expr, $tx:ident, $ws:expr, $import:expr, $b:expr) => {{
        let db: &Db = $db;
        let ws: WorkspaceId = $ws;
        let import: ImportId = $import;
        let b: Batch = $b;
        let now = now_ms();
        let mut counts = counts_sql(ws, import, &b.counts);
        let nc = b.new_companies.len() as i64;
        let nk = b.new_contacts.len() as i64;
        let pg = db.backend() == crate::Backend::Postgres;
        let Batch {
            new_companies,
            changed_companies,
            new_contacts,
            changed_contacts,
            company_tags,
            contact_tags,
            errors,
            counts: _,
        } = b;
        // The first write takes SQLite's write lock, so the id reservation below is safe.
        bind_args!(sqlx::query(&counts.text_for(db)), counts.args)
            .execute(&mut *$tx)
            .await?;
        let company_ids = crate::reserve_ids!(db, $tx, "companies", nc);
        let contact_ids = crate::reserve_ids!(db, $tx, "contacts", nk);
        let company_of = |r: &Option<Ref>, fallback: Option<i64>| -> Option<i64> {
            match r {
                Some(Ref::Existing(id)) => Some(*id),
                Some(Ref::New(i)) => company_ids.get(*i).copied(),
                None => fallback,
            }
        };
        let extra = [
            Arg::I64(ws.0),
            Arg::OptI64(Some(import.0)),
            Arg::I64(now),
            Arg::I64(now),
        ];
        let width = 1 + extra.len() + companies::FIELD_COLS.len();
        let full = insert_text("companies", companies::FIELD_COLS, ROWS_PER_STATEMENT, pg);
        let mut rows = new_companies
            .into_iter()
            .zip(company_ids.iter().copied())
            .peekable();
        while rows.peek().is_some() {
            let mut args = Vec::with_capacity(ROWS_PER_STATEMENT * width);
            let mut n = 0;
            for (f, id) in rows.by_ref().take(ROWS_PER_STATEMENT) {
                args.push(Arg::I64(id));
                args.extend(extra.iter().cloned());
                args.extend(companies::into_field_args(f));
                n += 1;
            }
            let text = if n == ROWS_PER_STATEMENT {
                std::borrow::Cow::Borrowed(full.as_str())
            } else {
                std::borrow::Cow::Owned(insert_text("companies", companies::FIELD_COLS, n, pg))
            };
            bind_owned!(sqlx::query(&text), args)
                .persistent(n == ROWS_PER_STATEMENT)
                .execute(&mut *$tx)
                .await?;
        }
        let width = 1 + extra.len() + contacts::FIELD_COLS.len();
        let full = insert_text("contacts", contacts::FIELD_COLS, ROWS_PER_STATEMENT, pg);
        let mut rows = new_contacts
            .into_iter()
            .zip(contact_ids.iter().copied())
            .peekable();
        while rows.peek().is_some() {
            let mut args = Vec::with_capacity(ROWS_PER_STATEMENT * width);
            let mut n = 0;
            for ((mut f, r), id) in rows.by_ref().take(ROWS_PER_STATEMENT) {
                f.company_id = company_of(&r, f.company_id);
                args.push(Arg::I64(id));
                args.extend(extra.iter().cloned());
                args.extend(contacts::into_field_args(f));
                n += 1;
            }
            let text = if n == ROWS_PER_STATEMENT {
                std::borrow::Cow::Borrowed(full.as_str())
            } else {
                std::borrow::Cow::Owned(insert_text("contacts", contacts::FIELD_COLS, n, pg))
            };
            bind_owned!(sqlx::query(&text), args)
                .persistent(n == ROWS_PER_STATEMENT)
                .execute(&mut *$tx)
                .await?;
        }
        for (id, f) in &changed_companies {
            let mut s = companies::update_sql(ws, *id, f, now);
            bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .execute(&mut *$tx)
                .await?;
        }
        for (id, f, r) in changed_contacts {
            let mut f = f;
            f.company_id = company_of(&r, f.company_id);
            let mut s = contacts::update_sql(ws, id, &f, now);
            bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .execute(&mut *$tx)
                .await?;
        }
        for (table, owner, tags, ids) in [
            ("company_tags", "company_id", &company_tags, &company_ids),
            ("contact_tags", "contact_id", &contact_tags, &contact_ids),
        ] {
            for chunk in tags.chunks(ROWS_PER_STATEMENT) {
                let mut s = Sql::new(format!(
                    "INSERT INTO {table} (workspace_id, {owner}, tag) VALUES "
                ));
                let mut first = true;
                for (r, tag) in chunk {
                    let id = match r {
                        Ref::Existing(id) => *id,
                        Ref::New(i) => match ids.get(*i) {
                            Some(id) => *id,
                            None => continue,
                        },
                    };
                    if !first {
                        s.push(", ");
                    }
                    first = false;
                    s.push_args(
                        "(?, ?, ?)",
                        vec![ws.0.into(), id.into(), tag.as_str().into()],
                    );
                }
                if first {
                    continue;
                }
                s.push(" ON CONFLICT DO NOTHING");
                bind_args!(sqlx::query(&s.text_for(db)), s.args)
                    .persistent(chunk.len() == ROWS_PER_STATEMENT)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        for chunk in errors.chunks(ROWS_PER_STATEMENT) {
            let mut s = Sql::new(
                "INSERT INTO import_errors (workspace_id, import_id, row_number, line, \
                column_name, value, reason, severity) VALUES ",
            );
            for (i, e) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                s.push_args(
                    "(?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        ws.0.into(),
                        import.0.into(),
                        e.row_number.into(),
                        e.line.into(),
                        e.column_name.as_str().into(),
                        e.value.as_str().into(),
                        e.reason.as_str().into(),
                        e.severity.as_str().into(),
                    ],
                );
            }
            bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Commit an import's open transaction once it holds this many written rows...
const COMMIT_ROWS: usize = 100_000;
/// ...or once it has been open this long, so other writers (the web UI, the job worker) wait
/// on SQLite's write lock at most about this long.
const COMMIT_AFTER: Duration = Duration::from_secs(2);

/// WAL pages (4 KB) after which an import's own connection checkpoints, instead of the
/// pool's 10,000: each checkpoint copies every page of the WAL back into the database and
/// syncs it, and an import dirties the same index pages over and over, so a larger WAL
/// copies each of them back fewer times. [`BulkTx::finish`] checkpoints once at the end so
/// no web request inherits a large WAL to copy.
const BULK_WAL_PAGES: i64 = 50_000;

/// Page cache of an import's own connection, in KiB (the pool's is 32 MB, `connect_bulk`
/// starts at 64 MB): at a million rows the indexes on random keys (email, phone, domain,
/// company phone, name key) outgrow 64 MB and every insert into them missed the cache. 128 MB
/// took peak RSS to 305 MB in one run of 1M rows (271 MB in another); 96 MB keeps it under 300.
const BULK_CACHE_KIB: i64 = 96 * 1024;

/// An import's own transaction, open across batches.
enum Open {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Run `$body` with `$c` bound to the open transaction's connection (one body per backend).
macro_rules! on_open {
    ($open:expr, $c:ident => $body:expr) => {
        match $open {
            Open::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Open::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// The database side of one import run: its lookups, batch writes and bookkeeping go through
/// one transaction on the import's own connection, committed every [`COMMIT_ROWS`] rows or
/// [`COMMIT_AFTER`], not after every batch. Each SQLite commit copies every page it dirtied
/// to the WAL, and a batch of random keys dirties pages all over each index, so 50,000-row
/// commits took 40% less database time than 10,000-row ones (200k rows, 2026-12-02).
/// Lookups run inside the same transaction so they see the rows of earlier, uncommitted
/// batches. On SQLite the transaction is `BEGIN IMMEDIATE`: it reads before it writes, and a
/// deferred one could not take the write lock after another connection committed.
///
/// A failure rolls back the rows since the last commit (dropping the value rolls back); the
/// import's counts move with the data, and a re-run of the import is idempotent. A dry run
/// (`write == false`) never opens a transaction and reads through the pool.
pub struct BulkTx {
    db: Db,
    write: bool,
    tx: Option<Open>,
    opened: Instant,
    rows: usize,
    /// Whether the connection's WAL checkpoint interval was raised (SQLite).
    tuned: bool,
    /// Whether to raise it (an import's own connection, not the shared pool).
    tune: bool,
}

impl BulkTx {
    pub fn new(db: &Db, write: bool) -> BulkTx {
        BulkTx {
            db: db.clone(),
            write,
            tx: None,
            opened: Instant::now(),
            rows: 0,
            tuned: false,
            tune: true,
        }
    }

    /// For [`BulkTx::abandon`] on the shared pool: writing, and leaving the pool's
    /// connections as they are (no bulk cache size or checkpoint interval).
    pub fn on_shared_pool(db: &Db) -> BulkTx {
        BulkTx {
            tune: false,
            ..BulkTx::new(db, true)
        }
    }

    async fn open(&mut self) -> Result<&mut Open> {
        if self.tx.is_none() {
            let open = match &self.db {
                Db::Sqlite(p) => {
                    if self.tune && !self.tuned {
                        // Per connection, and this pool has exactly one.
                        sqlx::query(&format!("PRAGMA wal_autocheckpoint = {BULK_WAL_PAGES}"))
                            .execute(p)
                            .await?;
                        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                            .execute(p)
                            .await?;
                        self.tuned = true;
                    }
                    Open::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?)
                }
                Db::Postgres(p) => Open::Postgres(p.begin().await?),
            };
            self.tx = Some(open);
            self.opened = Instant::now();
            self.rows = 0;
        }
        self.tx
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("import transaction not open".into()))
    }

    /// Commit what is open (nothing when nothing is).
    pub async fn commit(&mut self) -> Result<()> {
        match self.tx.take() {
            Some(Open::Sqlite(t)) => t.commit().await?,
            Some(Open::Postgres(t)) => t.commit().await?,
            None => {}
        }
        Ok(())
    }

    /// Commit when the open transaction is big or old enough (see [`COMMIT_ROWS`]).
    pub async fn commit_if_due(&mut self) -> Result<bool> {
        if self.tx.is_some() && (self.rows >= COMMIT_ROWS || self.opened.elapsed() >= COMMIT_AFTER)
        {
            self.commit().await?;
            // SQLite: leave the write lock free for a moment, or the UI's and the job
            // worker's writes, whose busy handler retries every 50-100 ms by then, may never
            // see it free between two import transactions.
            if matches!(self.db, Db::Sqlite(_)) {
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// [`start`] inside the import's transaction.
    pub async fn start(
        &mut self,
        ws: WorkspaceId,
        id: ImportId,
        encoding: &str,
        delimiter: &str,
        rows_total: i64,
    ) -> Result<()> {
        if !self.write {
            return start(&self.db, ws, id, encoding, delimiter, rows_total).await;
        }
        let now = now_ms();
        let open = self.open().await?;
        on_open!(open, c => {
            sqlx::query(
                "UPDATE imports SET state = 'running', encoding = $3, delimiter = $4, rows_total = $5, \
                 rows_done = 0, bytes_done = 0, created = 0, updated = 0, duplicates = 0, errors = 0, \
                 warnings = 0, contacts_created = 0, companies_created = 0, error = NULL, \
                 started_at = $6, updated_at = $6 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(id.0).bind(encoding).bind(delimiter).bind(rows_total).bind(now)
                .execute(&mut *c).await?;
            sqlx::query("DELETE FROM import_errors WHERE workspace_id = $1 AND import_id = $2")
                .bind(ws.0).bind(id.0).execute(&mut *c).await?;
        });
        Ok(())
    }

    /// [`finish`] inside the import's transaction, after adding the import's rows to the
    /// search index if they were kept out of it ([`BulkTx::defer_search`]); then commit.
    pub async fn finish(
        &mut self,
        ws: WorkspaceId,
        id: ImportId,
        state: &str,
        error: Option<&str>,
        c: &Counts,
    ) -> Result<()> {
        if !self.write {
            return finish(&self.db, ws, id, state, error, c).await;
        }
        self.catch_up_search(ws, id).await?;
        let mut counts = counts_sql(ws, id, c);
        let text = counts.text_for(&self.db);
        let now = now_ms();
        let open = self.open().await?;
        on_open!(open, t => {
            bind_args!(sqlx::query(&text), counts.args).execute(&mut *t).await?;
            sqlx::query(
                "UPDATE imports SET state = $3, error = $4, finished_at = $5, updated_at = $5 \
                 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(id.0).bind(state).bind(error).bind(now)
                .execute(&mut *t).await?;
        });
        self.commit().await?;
        if let (Db::Sqlite(p), true) = (&self.db, self.tuned) {
            // Copy what the import left in the WAL back now (readers never block it), and
            // give the connection the pool's interval back.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(p)
                .await?;
            sqlx::query("PRAGMA wal_autocheckpoint = 10000")
                .execute(p)
                .await?;
            self.tuned = false;
        }
        Ok(())
    }

    /// Mark a `pending` or `running` import `failed` with `reason`, after adding whatever rows
    /// it wrote to the search index if they were kept out of it; then commit. For an import
    /// whose run will not come back (its job is dead or gone): without this it would stay
    /// `running` and its rows out of search. Returns false when the import was not unfinished.
    pub async fn abandon(&mut self, ws: WorkspaceId, id: ImportId, reason: &str) -> Result<bool> {
        if !self.write {
            return Err(StoreError::Corrupt("abandon needs a writing import".into()));
        }
        self.catch_up_search(ws, id).await?;
        let now = now_ms();
        let open = self.open().await?;
        let n = on_open!(open, c => {
            sqlx::query(
                "UPDATE imports SET state = 'failed', error = $3, finished_at = $4, updated_at = $4 \
                 WHERE workspace_id = $1 AND id = $2 AND state IN ('pending', 'running')")
                .bind(ws.0).bind(id.0).bind(reason).bind(now)
                .execute(&mut *c).await?.rows_affected()
        });
        self.commit().await?;
        Ok(n > 0)
    }

    /// Keep the rows of import `id` out of the SQLite full-text indexes until
    /// [`BulkTx::finish`] adds them in one pass (migration 0012 makes the FTS triggers skip
    /// imports listed in `search_backlog`). Per-row FTS5 maintenance was about a third of a
    /// large import's database time. Only an import that has never started is deferred, so
    /// none of its rows can already be indexed (a re-run of a deferred one stays deferred).
    /// Returns whether the import's search entries are deferred. Not on PostgreSQL.
    pub async fn defer_search(&mut self, ws: WorkspaceId, id: ImportId) -> Result<bool> {
        if !self.write || self.db.backend() != crate::Backend::Sqlite {
            return Ok(false);
        }
        let now = now_ms();
        let Open::Sqlite(t) = self.open().await? else {
            return Ok(false);
        };
        let c = &mut **t;
        let listed: Option<i64> =
            sqlx::query_scalar("SELECT import_id FROM search_backlog WHERE import_id = $1")
                .bind(id.0)
                .fetch_optional(&mut *c)
                .await?;
        if listed.is_some() {
            return Ok(true);
        }
        let started: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT started_at FROM imports WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await?;
        if !matches!(started, Some(None)) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO search_backlog (import_id, workspace_id, contacts_after, companies_after, \
             created_at) VALUES ($1, $2, (SELECT COALESCE(MAX(id), 0) FROM contacts), \
             (SELECT COALESCE(MAX(id), 0) FROM companies), $3)",
        )
        .bind(id.0)
        .bind(ws.0)
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(true)
    }

    /// Add the rows of a deferred import (if `id` is one) to the full-text indexes and take
    /// it off the backlog, in the open transaction.
    async fn catch_up_search(&mut self, ws: WorkspaceId, id: ImportId) -> Result<()> {
        if !self.write || self.db.backend() != crate::Backend::Sqlite {
            return Ok(());
        }
        let Open::Sqlite(t) = self.open().await? else {
            return Ok(());
        };
        let c = &mut **t;
        let floors: Option<(i64, i64)> = sqlx::query_as(
            "SELECT contacts_after, companies_after FROM search_backlog \
             WHERE workspace_id = $1 AND import_id = $2",
        )
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await?;
        let Some((contacts_after, companies_after)) = floors else {
            return Ok(());
        };
        // Rows of the import are exactly those above the floors with its id: ids are handed
        // out above the highest one, and the triggers left every one of them unindexed.
        sqlx::query(
            "INSERT INTO contacts_fts(rowid, search_text) SELECT id, search_text FROM contacts \
             WHERE id > $1 AND import_id = $2 AND workspace_id = $3",
        )
        .bind(contacts_after)
        .bind(id.0)
        .bind(ws.0)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO companies_fts(rowid, search_text) SELECT id, search_text FROM companies \
             WHERE id > $1 AND import_id = $2 AND workspace_id = $3",
        )
        .bind(companies_after)
        .bind(id.0)
        .bind(ws.0)
        .execute(&mut *c)
        .await?;
        sqlx::query("DELETE FROM search_backlog WHERE import_id = $1")
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// Finish the search entries of the workspace's deferred imports that are no longer
    /// running (one that failed hard or whose import row was deleted), except `current`.
    pub async fn catch_up_stale(&mut self, ws: WorkspaceId, current: ImportId) -> Result<()> {
        if !self.write || self.db.backend() != crate::Backend::Sqlite {
            return Ok(());
        }
        let Open::Sqlite(t) = self.open().await? else {
            return Ok(());
        };
        let stale: Vec<i64> = sqlx::query_scalar(
            "SELECT b.import_id FROM search_backlog b LEFT JOIN imports i ON i.id = b.import_id \
             WHERE b.workspace_id = $1 AND b.import_id <> $2 AND (i.id IS NULL OR i.state <> 'running')",
        )
        .bind(ws.0)
        .bind(current.0)
        .fetch_all(&mut **t)
        .await?;
        for id in stale {
            self.catch_up_search(ws, ImportId(id)).await?;
        }
        Ok(())
    }

    /// [`contacts::find_matches`] inside the import's transaction.
    pub async fn find_contacts(
        &mut self,
        ws: WorkspaceId,
        emails: &[String],
        phones: &[String],
        person_keys: &[String],
    ) -> Result<Vec<contacts::Contact>> {
        if !self.write {
            return contacts::find_matches(&self.db, ws, emails, phones, person_keys).await;
        }
        let db = self.db.clone();
        let open = self.open().await?;
        let mut out: Vec<contacts::Contact> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (col, vals) in [
            ("email", emails),
            ("phone", phones),
            ("whatsapp", phones),
            ("person_key", person_keys),
        ] {
            for chunk in vals.chunks(contacts::MATCH_CHUNK) {
                let mut s = contacts::match_sql(ws, col, chunk);
                let text = s.text_for(&db);
                let rows = on_open!(open, c => bind_args!(sqlx::query_as::<_, contacts::Contact>(&text), s.args)
                    .persistent(false).fetch_all(&mut *c).await)?;
                out.extend(rows.into_iter().filter(|r| seen.insert(r.id)));
            }
        }
        let ids: Vec<i64> = out.iter().map(|r| r.id).collect();
        let mut tags = tags_in(open, &db, ws, "contact_tags", "contact_id", &ids).await?;
        for r in out.iter_mut() {
            r.tags = tags.remove(&r.id).unwrap_or_default();
        }
        Ok(out)
    }

    /// [`companies::find_matches`] inside the import's transaction.
    pub async fn find_companies(
        &mut self,
        ws: WorkspaceId,
        domains: &[String],
        phones: &[String],
        name_keys: &[String],
    ) -> Result<Vec<companies::Company>> {
        if !self.write {
            return companies::find_matches(&self.db, ws, domains, phones, name_keys).await;
        }
        let db = self.db.clone();
        let open = self.open().await?;
        let mut out: Vec<companies::Company> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (col, vals) in [
            ("domain", domains),
            ("phone", phones),
            ("name_key", name_keys),
        ] {
            for chunk in vals.chunks(contacts::MATCH_CHUNK) {
                let mut s = companies::match_sql(ws, col, chunk);
                let text = s.text_for(&db);
                let rows = on_open!(open, c => bind_args!(sqlx::query_as::<_, companies::Company>(&text), s.args)
                    .persistent(false).fetch_all(&mut *c).await)?;
                out.extend(rows.into_iter().filter(|r| seen.insert(r.id)));
            }
        }
        let ids: Vec<i64> = out.iter().map(|r| r.id).collect();
        let mut tags = tags_in(open, &db, ws, "company_tags", "company_id", &ids).await?;
        for r in out.iter_mut() {
            r.tags = tags.remove(&r.id).unwrap_or_default();
        }
        Ok(out)
    }

    /// Write one batch with the import's counts, so progress and data move together. New
    /// rows get ids reserved up front so contacts can point at new companies. The batch is
    /// consumed: its values move into the statements instead of being copied.
    pub async fn write_batch(&mut self, ws: WorkspaceId, import: ImportId, b: Batch) -> Result<()> {
        let db = self.db.clone();
        let written = b.new_companies.len()
            + b.new_contacts.len()
            + b.changed_companies.len()
            + b.changed_contacts.len()
            + b.errors.len();
        let open = self.open().await?;
        on_open!(open, tx => write_batch_on!(&db, tx, ws, import, b));
        self.rows += written;
        Ok(())
    }
}

/// Tags of the given owners, sorted, read in the import's transaction.
async fn tags_in(
    open: &mut Open,
    db: &Db,
    ws: WorkspaceId,
    table: &str,
    owner: &str,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for chunk in ids.chunks(contacts::MATCH_CHUNK) {
        let mut s = Sql::new(format!(
            "SELECT {owner}, tag FROM {table} WHERE workspace_id = "
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        crate::query::in_list(&mut s, owner, chunk);
        s.push(" ORDER BY tag");
        let text = s.text_for(db);
        let rows: Vec<(i64, String)> = on_open!(open, c => bind_args!(sqlx::query_as::<_, (i64, String)>(&text), s.args)
            .persistent(false).fetch_all(&mut *c).await)?;
        for (id, tag) in rows {
            out.entry(id).or_default().push(tag);
        }
    }
    Ok(out)
}

/// Write one batch in one transaction of its own (see [`BulkTx::write_batch`]).
pub async fn write_batch(db: &Db, ws: WorkspaceId, import: ImportId, b: Batch) -> Result<()> {
    crate::in_tx!(db, tx => {
        write_batch_on!(db, tx, ws, import, b);
        Ok::<(), StoreError>(())
    })
}

/// `INSERT INTO table (id, workspace_id, import_id, created_at, updated_at, cols...) VALUES
/// (...), ...` for `rows` rows, with the placeholders of the backend written directly
/// (anonymous `?` on SQLite, `$n` on PostgreSQL).
fn insert_text(table: &str, cols: &[&str], rows: usize, pg: bool) -> String {
    use std::fmt::Write;
    let width = 5 + cols.len();
    let mut s = String::with_capacity(80 + rows * width * 7);
    let _ = write!(
        s,
        "INSERT INTO {table} (id, workspace_id, import_id, created_at, updated_at, {}) VALUES ",
        cols.join(", ")
    );
    let mut n = 0usize;
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                s.push_str(", ");
            }
            n += 1;
            if pg {
                let _ = write!(s, "${n}");
            } else {
                s.push('?');
            }
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::insert_text;

    #[test]
    fn insert_text_writes_each_backends_placeholders_in_order() {
        let s = insert_text("t", &["a", "b"], 2, false);
        assert_eq!(
            s,
            "INSERT INTO t (id, workspace_id, import_id, created_at, updated_at, a, b) VALUES \
             (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"
        );
        let p = insert_text("t", &["a"], 2, true);
        assert!(p.ends_with("VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)"));
    }
}
