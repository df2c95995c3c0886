//! CSV imports: the run, its counts and progress, its row errors, and the bulk write of one
//! batch of rows in one transaction (so a batch is all in or all out, never half).

use crate::companies::{self, CompanyFields};
use crate::contacts::{self, ContactFields};
use crate::query::{Arg, Sql};
use crate::{Db, ImportId, Result, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

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
    let s = counts_sql(ws, id, c);
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

/// Write one batch in one transaction, with the import's counts, so progress and data move
/// together. New rows get ids reserved up front so contacts can point at new companies. The
/// batch is consumed: its values move into the statements instead of being copied.
pub async fn write_batch(db: &Db, ws: WorkspaceId, import: ImportId, b: Batch) -> Result<()> {
    let now = now_ms();
    let counts = counts_sql(ws, import, &b.counts);
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
    crate::in_tx!(db, tx => {
        // The first write takes SQLite's write lock, so the id reservation below is safe.
        bind_args!(sqlx::query(&counts.text_for(db)), counts.args).execute(&mut *tx).await?;
        let company_ids = crate::reserve_ids!(db, tx, "companies", nc);
        let contact_ids = crate::reserve_ids!(db, tx, "contacts", nk);
        let company_of = |r: &Option<Ref>, fallback: Option<i64>| -> Option<i64> {
            match r {
                Some(Ref::Existing(id)) => Some(*id),
                Some(Ref::New(i)) => company_ids.get(*i).copied(),
                None => fallback,
            }
        };
        let extra = [Arg::I64(ws.0), Arg::OptI64(Some(import.0)), Arg::I64(now), Arg::I64(now)];
        let width = 1 + extra.len() + companies::FIELD_COLS.len();
        let full = insert_text("companies", companies::FIELD_COLS, ROWS_PER_STATEMENT, pg);
        let mut rows = new_companies.into_iter().zip(company_ids.iter().copied()).peekable();
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
                .persistent(n == ROWS_PER_STATEMENT).execute(&mut *tx).await?;
        }
        let width = 1 + extra.len() + contacts::FIELD_COLS.len();
        let full = insert_text("contacts", contacts::FIELD_COLS, ROWS_PER_STATEMENT, pg);
        let mut rows = new_contacts.into_iter().zip(contact_ids.iter().copied()).peekable();
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
                .persistent(n == ROWS_PER_STATEMENT).execute(&mut *tx).await?;
        }
        for (id, f) in &changed_companies {
            let s = companies::update_sql(ws, *id, f, now);
            bind_args!(sqlx::query(&s.text_for(db)), s.args).execute(&mut *tx).await?;
        }
        for (id, f, r) in changed_contacts {
            let mut f = f;
            f.company_id = company_of(&r, f.company_id);
            let s = contacts::update_sql(ws, id, &f, now);
            bind_args!(sqlx::query(&s.text_for(db)), s.args).execute(&mut *tx).await?;
        }
        for (table, owner, tags, ids) in [
            ("company_tags", "company_id", &company_tags, &company_ids),
            ("contact_tags", "contact_id", &contact_tags, &contact_ids),
        ] {
            for chunk in tags.chunks(ROWS_PER_STATEMENT) {
                let mut s = Sql::new(format!("INSERT INTO {table} (workspace_id, {owner}, tag) VALUES "));
                let mut first = true;
                for (r, tag) in chunk {
                    let id = match r {
                        Ref::Existing(id) => *id,
                        Ref::New(i) => match ids.get(*i) { Some(id) => *id, None => continue },
                    };
                    if !first { s.push(", "); }
                    first = false;
                    s.push_args("(?, ?, ?)", vec![ws.0.into(), id.into(), tag.as_str().into()]);
                }
                if first { continue; }
                s.push(" ON CONFLICT DO NOTHING");
                bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .persistent(chunk.len() == ROWS_PER_STATEMENT).execute(&mut *tx).await?;
            }
        }
        for chunk in errors.chunks(ROWS_PER_STATEMENT) {
            let mut s = Sql::new("INSERT INTO import_errors (workspace_id, import_id, row_number, line, \
                column_name, value, reason, severity) VALUES ");
            for (i, e) in chunk.iter().enumerate() {
                if i > 0 { s.push(", "); }
                s.push_args("(?, ?, ?, ?, ?, ?, ?, ?)", vec![ws.0.into(), import.0.into(),
                    e.row_number.into(), e.line.into(), e.column_name.as_str().into(),
                    e.value.as_str().into(), e.reason.as_str().into(), e.severity.as_str().into()]);
            }
            bind_args!(sqlx::query(&s.text_for(db)), s.args)
                .persistent(chunk.len() == ROWS_PER_STATEMENT).execute(&mut *tx).await?;
        }
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
