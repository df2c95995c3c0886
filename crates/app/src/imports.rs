//! CSV import, the I/O around `core::import`: a reader thread streams the file (sniffed
//! encoding and delimiter, mapped and normalised rows) in batches to an async writer that
//! matches every batch against the database, merges duplicates under the import's policy and
//! writes the batch with its counts in one transaction. Memory stays bounded by the batch size
//! whatever the file size; a re-run of the same file creates nothing new.

use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::ids::{ImportId, WorkspaceId};
use prospector_core::import::merge::field as merge_field;
use prospector_core::import::{
    CompanyDraft, ContactDraft, CsvReader, DedupeKey, Deduper, FileError, ImportRow, Mapping,
    OnDuplicate, ReadError, ReaderOptions, Record, RowError, RowMapper, Severity, dedupe_keys,
};
use prospector_core::normalize::CountryCode;
use prospector_core::search::search_text;
use prospector_core::time::now_ms;
use prospector_store::companies::{Company, CompanyFields};
use prospector_store::contacts::{Contact, ContactFields};
use prospector_store::imports::{
    self as store, Batch, BulkTx, Counts, Import, ImportError, NewImport, Ref,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rows per batch: one DB round of lookups and one write. Commits no longer follow batches
/// (`BulkTx` commits every 100,000 rows or 2 s), so a batch only needs to be large enough to
/// amortise its lookups. A row costs about 3 KB while it is read, planned and written;
/// 5,000 rows leave room under the 300 MB peak RSS for the import connection's 96 MB page
/// cache.
pub const BATCH_ROWS: usize = 5_000;

/// Files of at least this size (about 13,000 rows of a typical export) add their rows to the
/// SQLite full-text index once at the end instead of row by row (`BulkTx::defer_search`):
/// the final pass reads the import's rows again, which pays for itself only on large files.
/// Their rows are found by search when the import finishes.
pub const DEFER_SEARCH_BYTES: u64 = 2 * 1024 * 1024;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `HEADER=field` overrides of the automatic mapping.
    pub map: Vec<String>,
    /// Region for phone numbers written without a country code (else the workspace's).
    pub default_country: Option<String>,
    pub on_duplicate: OnDuplicate,
    /// Count everything, write nothing.
    pub dry_run: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            map: Vec::new(),
            default_country: None,
            on_duplicate: OnDuplicate::Skip,
            dry_run: false,
        }
    }
}

/// The result of an import run; the CLI prints it as JSON.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub import_id: Option<i64>,
    pub state: String,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub duplicates: i64,
    pub errors: i64,
    pub warnings: i64,
    pub contacts_created: i64,
    pub companies_created: i64,
    pub encoding: String,
    pub delimiter: String,
    pub dry_run: bool,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// File-level failure reason (the rows before it were imported and counted).
    pub error: Option<String>,
}

/// Live progress of a run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    pub counts: Counts,
    pub total_bytes: u64,
    pub elapsed_ms: u64,
}

impl Progress {
    pub fn rows_per_second(&self) -> f64 {
        rate(self.counts.rows_done, self.elapsed_ms)
    }
    /// Seconds left, estimated from bytes read so far.
    pub fn eta_seconds(&self) -> Option<f64> {
        eta(
            self.counts.bytes_done,
            self.total_bytes as i64,
            self.elapsed_ms,
        )
    }
}

/// Rows per second over `elapsed_ms`.
pub fn rate(rows: i64, elapsed_ms: u64) -> f64 {
    if elapsed_ms == 0 {
        return 0.0;
    }
    rows as f64 * 1000.0 / elapsed_ms as f64
}

/// Seconds left when `done` of `total` bytes took `elapsed_ms`.
pub fn eta(done: i64, total: i64, elapsed_ms: u64) -> Option<f64> {
    if done <= 0 || total <= 0 || elapsed_ms == 0 {
        return None;
    }
    let left = (total - done).max(0) as f64;
    Some(left * (elapsed_ms as f64 / 1000.0) / done as f64)
}

/// What the reader thread sends.
enum Msg {
    Start {
        encoding: String,
        delimiter: String,
    },
    Rows {
        rows: Vec<ImportRow>,
        errors: Vec<RowError>,
        records: u64,
        bytes: u64,
    },
    Fatal(String),
}

/// Check the mapping overrides and the country before anything is stored.
pub fn validate_options(path: &Path, opts: &ImportOptions) -> AppResult<()> {
    if let Some(c) = &opts.default_country {
        CountryCode::parse(c)
            .map_err(|e| AppError::invalid("default_country", format!("{c}: {e}")))?;
    }
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::BadRequest(format!("cannot open {}: {e}", path.display())))?;
    let reader = CsvReader::new(std::io::BufReader::new(file), ReaderOptions::default())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut m = Mapping::suggest(reader.headers());
    m.apply_overrides(&opts.map)
        .map_err(|e| AppError::invalid("map", e.to_string()))?;
    Ok(())
}

/// Header row, suggested mapping and the first rows, for the mapping screen.
#[derive(Debug, Clone, Serialize)]
pub struct MappingPreview {
    pub encoding: String,
    pub delimiter: String,
    pub headers: Vec<String>,
    /// Suggested target per column: a field name, "custom:KEY" or "ignore".
    pub targets: Vec<String>,
    pub confidence: Vec<f32>,
    pub rows: Vec<Vec<String>>,
    pub errors: Vec<String>,
}

pub fn mapping_preview(path: &Path, n: usize) -> AppResult<MappingPreview> {
    let file = std::fs::File::open(path).map_err(|e| AppError::Internal(e.to_string()))?;
    let reader = CsvReader::new(std::io::BufReader::new(file), ReaderOptions::default())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let m = Mapping::suggest(reader.headers());
    let p = prospector_core::import::preview_with(reader, n)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(MappingPreview {
        encoding: p.encoding,
        delimiter: p.delimiter,
        targets: m.columns.iter().map(target_name).collect(),
        confidence: m.confidence.clone(),
        headers: p.headers,
        rows: p.rows,
        errors: p.errors,
    })
}

fn target_name(t: &prospector_core::import::Target) -> String {
    use prospector_core::import::Target;
    match t {
        Target::Field(f) => f.as_str().to_string(),
        Target::Custom(k) => format!("custom:{k}"),
        Target::Ignore => "ignore".into(),
    }
}

/// Where uploaded files are kept until their import is deleted.
pub fn upload_dir(app: &App, ws: WorkspaceId) -> PathBuf {
    app.config().data_dir.join("imports").join(ws.0.to_string())
}

/// A fresh path for an upload of workspace `ws` (the directory exists).
pub async fn new_upload_path(app: &App, ws: WorkspaceId) -> AppResult<PathBuf> {
    let dir = upload_dir(app, ws);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join(format!(
        "{}-{}.csv",
        now_ms(),
        crate::crypto::random_token(6)
    )))
}

/// Create an import of a stored file; with `enqueue`, queue it as a background job (uploads),
/// else the caller runs it with [`run_stored`] (the CLI).
#[allow(clippy::too_many_arguments)]
pub async fn create(
    app: &App,
    ctx: &WsCtx,
    file_name: &str,
    path: &Path,
    size: i64,
    sha: &str,
    opts: &ImportOptions,
    enqueue: bool,
) -> AppResult<Import> {
    ctx.require(prospector_core::role::Permission::Write)?;
    validate_options(path, opts)?;
    let imp = store::create(
        app.db(),
        ctx.ws,
        &NewImport {
            user_id: ctx.actor.user_id.map(|u| u.0),
            file_name: clip(file_name, 200),
            file_path: path.display().to_string(),
            file_size: size,
            file_sha256: sha.to_string(),
            mapping: serde_json::to_string(&opts.map).unwrap_or_else(|_| "[]".into()),
            default_country: opts.default_country.clone(),
            on_duplicate: opts.on_duplicate.as_str().to_string(),
            dry_run: opts.dry_run,
        },
    )
    .await?;
    let mut job = prospector_store::jobs::NewJob::new(
        "contacts.import",
        serde_json::json!({ "workspace_id": ctx.ws.0, "import_id": imp.id }).to_string(),
    );
    job.workspace_id = Some(ctx.ws);
    job.unique_key = Some(format!("import:{}", imp.id));
    job.max_attempts = 3;
    if enqueue && let Some(jid) = crate::jobs::enqueue(app, job).await? {
        store::set_job(app.db(), ctx.ws, imp.iid(), jid.0).await?;
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "import.created",
        "import",
        imp.id,
        None,
        Some(serde_json::json!({"file_name": imp.file_name, "size": size, "on_duplicate": imp.on_duplicate})),
    )
    .await?;
    store::get(app.db(), ctx.ws, imp.iid())
        .await
        .map_err(Into::into)
}

/// Options stored on an import row.
pub fn options_of(imp: &Import) -> AppResult<ImportOptions> {
    Ok(ImportOptions {
        map: serde_json::from_str(&imp.mapping).unwrap_or_default(),
        default_country: imp.default_country.clone(),
        on_duplicate: imp.on_duplicate.parse().map_err(
            |e: prospector_core::import::OnDuplicateError| AppError::Internal(e.to_string()),
        )?,
        dry_run: imp.dry_run,
    })
}

/// Run a stored import (the job handler and the CLI). Progress goes to the import row, and to
/// `on_progress` after every batch.
pub async fn run_stored(
    app: &App,
    ws: WorkspaceId,
    id: ImportId,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
    cancelled: &(dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync),
) -> AppResult<Summary> {
    let imp = store::get(app.db(), ws, id).await?;
    let opts = options_of(&imp)?;
    run(
        app,
        ws,
        Some(id),
        Path::new(&imp.file_path),
        &opts,
        on_progress,
        cancelled,
    )
    .await
}

/// Import `path` into workspace `ws`. With `import` set, counts, errors and state are written
/// to that import row; a dry run writes nothing at all.
pub async fn run(
    app: &App,
    ws: WorkspaceId,
    import: Option<ImportId>,
    path: &Path,
    opts: &ImportOptions,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
    cancelled: &(dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync),
) -> AppResult<Summary> {
    let started = Instant::now();
    let workspace = prospector_store::workspaces::get(app.db(), ws).await?;
    let (own_db, dedicated) = bulk_db(app).await;
    let db = &own_db;
    let country_code = opts
        .default_country
        .clone()
        .unwrap_or(workspace.default_country);
    let country = CountryCode::parse(&country_code).ok();
    let total_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let write = !opts.dry_run;
    let import = if write { import } else { None };

    // One batch waiting while one is written: the reader keeps ahead without holding more.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(1);
    let path_buf = path.to_path_buf();
    let map = opts.map.clone();
    let reader = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || read_file(&path_buf, &map, country, tx))
        .map_err(|e| AppError::Internal(format!("cannot start the import reader: {e}")))?;

    let mut counts = Counts::default();
    let mut summary = Summary {
        import_id: import.map(|i| i.0),
        dry_run: opts.dry_run,
        ..Summary::default()
    };
    // Dry runs write nothing, so duplicates of rows from earlier batches are found here.
    let mut prior: Option<Deduper> = (!write).then(Deduper::new);
    let mut bulk = BulkTx::new(db, import.is_some());
    let mut fatal: Option<String> = None;
    let mut state = "done";
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Start {
                encoding,
                delimiter,
            } => {
                if let Some(id) = import {
                    bulk.catch_up_stale(ws, id).await?;
                    if total_bytes >= DEFER_SEARCH_BYTES {
                        let deferred = bulk.defer_search(ws, id).await?;
                        tracing::debug!(
                            workspace_id = ws.0,
                            import_id = id.0,
                            deferred,
                            "search index deferral"
                        );
                    }
                    bulk.start(ws, id, &encoding, &delimiter, 0).await?;
                }
                summary.encoding = encoding;
                summary.delimiter = delimiter;
            }
            Msg::Rows {
                rows,
                errors,
                records,
                bytes,
            } => {
                let mut batch =
                    plan_batch(&mut bulk, ws, &rows, opts.on_duplicate, prior.as_mut()).await?;
                counts.rows_done = records as i64;
                counts.bytes_done = bytes as i64;
                counts.created += batch.counts.created;
                counts.updated += batch.counts.updated;
                counts.duplicates += batch.counts.duplicates;
                counts.contacts_created += batch.counts.contacts_created;
                counts.companies_created += batch.counts.companies_created;
                counts.warnings += errors
                    .iter()
                    .filter(|e| e.severity == Severity::Warning)
                    .count() as i64;
                // A row may carry several messages; count rows, not messages.
                counts.errors += distinct_error_rows(&errors);
                batch.errors = errors.iter().map(to_store_error).collect();
                batch.counts = counts;
                match import {
                    Some(id) => {
                        bulk.write_batch(ws, id, batch).await?;
                        bulk.commit_if_due().await?;
                    }
                    None if write => {
                        return Err(AppError::Internal("a writing import needs an id".into()));
                    }
                    None => {}
                }
                on_progress(&Progress {
                    counts,
                    total_bytes,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                });
                if cancelled().await {
                    state = "cancelled";
                    break;
                }
            }
            Msg::Fatal(e) => {
                fatal = Some(e);
                state = "failed";
            }
        }
    }
    drop(rx);
    let _ = reader.join();
    if let Some(id) = import {
        bulk.finish(ws, id, state, fatal.as_deref(), &counts)
            .await?;
    }
    bulk.commit().await?;
    if dedicated {
        own_db.close().await;
    }
    let secs = started.elapsed().as_secs_f64();
    summary.state = state.to_string();
    summary.rows = counts.rows_done;
    summary.created = counts.created;
    summary.updated = counts.updated;
    summary.duplicates = counts.duplicates;
    summary.errors = counts.errors;
    summary.warnings = counts.warnings;
    summary.contacts_created = counts.contacts_created;
    summary.companies_created = counts.companies_created;
    summary.seconds = (secs * 1000.0).round() / 1000.0;
    summary.rows_per_second = if secs > 0.0 {
        (counts.rows_done as f64 / secs).round()
    } else {
        0.0
    };
    summary.error = fatal;
    tracing::info!(workspace_id = ws.0, import_id = ?import.map(|i| i.0), rows = summary.rows,
        created = summary.created, duplicates = summary.duplicates, errors = summary.errors,
        seconds = summary.seconds, state, "import finished");
    if write && summary.created + summary.updated > 0 {
        crate::scoring::enqueue_rescore(app, ws).await?;
    }
    Ok(summary)
}

fn distinct_error_rows(errors: &[RowError]) -> i64 {
    let mut rows: Vec<u64> = errors
        .iter()
        .filter(|e| e.severity == Severity::Error)
        .map(|e| e.row)
        .collect();
    rows.dedup();
    rows.len() as i64
}

fn to_store_error(e: &RowError) -> ImportError {
    ImportError {
        row_number: e.row as i64,
        line: e.line as i64,
        column_name: clip(&e.column, 200),
        value: clip(&e.value, 200),
        reason: clip(&e.reason, 500),
        severity: e.severity.as_str().to_string(),
    }
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A connection of the import's own (see `Db::connect_bulk`); the shared pool when one cannot
/// be opened (an in-memory database, or no free server connection).
/// Returns the handle and whether it is the import's own (to close at the end).
async fn bulk_db(app: &App) -> (prospector_store::Db, bool) {
    let url = &app.config().database_url;
    if url.contains(":memory:") || url.contains("mode=memory") {
        return (app.db().clone(), false);
    }
    match prospector_store::Db::connect_bulk(url).await {
        Ok(db) => (db, true),
        Err(e) => {
            tracing::warn!(error = %e, "no dedicated import connection; using the shared pool");
            (app.db().clone(), false)
        }
    }
}

/// The reader thread: sniff, map, normalise, send batches; never panics on input.
fn read_file(
    path: &Path,
    map: &[String],
    country: Option<CountryCode>,
    tx: tokio::sync::mpsc::Sender<Msg>,
) {
    let send = |m: Msg| tx.blocking_send(m).is_ok();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            send(Msg::Fatal(format!("cannot open the file: {e}")));
            return;
        }
    };
    let mut reader = match CsvReader::new(
        std::io::BufReader::with_capacity(256 * 1024, file),
        ReaderOptions::default(),
    ) {
        Ok(r) => r,
        Err(e) => {
            send(Msg::Fatal(e.to_string()));
            return;
        }
    };
    let mut mapping = Mapping::suggest(reader.headers());
    if let Err(e) = mapping.apply_overrides(map) {
        send(Msg::Fatal(e.to_string()));
        return;
    }
    if !send(Msg::Start {
        encoding: reader.sniffed().encoding.to_string(),
        delimiter: reader.sniffed().delimiter_name().to_string(),
    }) {
        return;
    }
    let mapper = RowMapper::new(&mapping, country);
    let mut rec = Record::default();
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    let mut errors = Vec::new();
    let mut records = 0u64;
    loop {
        let more = match reader.read_record(&mut rec) {
            Ok(true) => {
                records = rec.row;
                match mapper.map(&rec) {
                    Ok(row) => {
                        errors.extend(row.warnings.iter().cloned());
                        rows.push(row);
                    }
                    Err(errs) => errors.extend(errs),
                }
                true
            }
            Ok(false) => false,
            Err(ReadError::Record(e)) => {
                records = e.row;
                errors.push(RowError::from(&e));
                true
            }
            Err(ReadError::File(e)) => {
                let msg = file_error(&e);
                let _ = send(Msg::Rows {
                    rows: std::mem::take(&mut rows),
                    errors: std::mem::take(&mut errors),
                    records: records.max(reader.stats().records),
                    bytes: reader.bytes_read(),
                });
                send(Msg::Fatal(msg));
                return;
            }
        };
        if !more || rows.len() + errors.len() >= BATCH_ROWS {
            let records = records.max(reader.stats().records);
            if !send(Msg::Rows {
                rows: std::mem::replace(&mut rows, Vec::with_capacity(BATCH_ROWS)),
                errors: std::mem::take(&mut errors),
                records,
                bytes: reader.bytes_read(),
            }) {
                return;
            }
        }
        if !more {
            return;
        }
    }
}

fn file_error(e: &FileError) -> String {
    e.to_string()
}

/// Keys of a company that has neither a domain nor a phone: its name and city.
fn company_name_key(c: &CompanyDraft) -> Option<String> {
    let name = c.name.as_ref()?;
    let city = c.location.city.as_deref().unwrap_or("");
    Some(format!("{}|{}", name.to_lowercase(), city.to_lowercase()))
}

fn company_fields(c: &CompanyDraft, source: &str) -> CompanyFields {
    let mut f = CompanyFields {
        name: c.name.clone(),
        name_key: company_name_key(c),
        domain: c
            .website
            .as_ref()
            .filter(|w| !w.is_shared_host())
            .map(|w| w.domain().to_string()),
        website: c.website.as_ref().map(|w| w.as_str().to_string()),
        phone: c.phone.as_ref().map(|p| p.as_str().to_string()),
        category: c.category.clone(),
        address: c.location.address.clone(),
        city: c.location.city.clone(),
        region: c.location.region.clone(),
        postal_code: c.location.postal_code.clone(),
        country: c.location.country.map(|c| c.as_str().to_string()),
        rating: c.rating_tenths.map(|r| f64::from(r) / 10.0),
        review_count: c.review_count.map(i64::from),
        source: source.to_string(),
        custom: "{}".into(),
        ..Default::default()
    };
    f.search_text = company_search_text(&f);
    f
}

/// Search words of a company.
pub fn company_search_text(f: &CompanyFields) -> String {
    search_text(
        [
            &f.name,
            &f.domain,
            &f.phone,
            &f.city,
            &f.category,
            &f.postal_code,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    )
}

/// Search words of a contact (with its company's name and domain).
pub fn contact_search_text(f: &ContactFields, company: Option<&CompanyFields>) -> String {
    let co: [&Option<String>; 3] = match company {
        Some(c) => [&c.name, &c.domain, &c.city],
        None => [&None, &None, &None],
    };
    search_text(
        [
            &f.full_name,
            &f.first_name,
            &f.last_name,
            &f.email,
            &f.phone,
            &f.whatsapp,
            co[0],
            co[1],
            &f.city,
            co[2],
            &f.job_title,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    )
}

fn contact_fields(c: &ContactDraft, person_key: Option<String>) -> ContactFields {
    let mut f = ContactFields::new("import");
    f.first_name = c.first_name.clone();
    f.last_name = c.last_name.clone();
    f.full_name = c.full_name.clone();
    f.job_title = c.job_title.clone();
    f.email = c.email.as_ref().map(|e| e.as_str().to_string());
    f.phone = c.phone.as_ref().map(|p| p.as_str().to_string());
    f.whatsapp = c.whatsapp.as_ref().map(|p| p.as_str().to_string());
    f.address = c.location.address.clone();
    f.city = c.location.city.clone();
    f.region = c.location.region.clone();
    f.postal_code = c.location.postal_code.clone();
    f.country = c.location.country.map(|c| c.as_str().to_string());
    f.person_key = person_key;
    f
}

/// Merge `inc` into `cur` under `mode`; true when something changed.
pub fn merge_company(cur: &mut CompanyFields, inc: &CompanyFields, mode: OnDuplicate) -> bool {
    let mut c = false;
    for (d, s) in [
        (&mut cur.name, &inc.name),
        (&mut cur.domain, &inc.domain),
        (&mut cur.website, &inc.website),
        (&mut cur.phone, &inc.phone),
        (&mut cur.category, &inc.category),
        (&mut cur.address, &inc.address),
        (&mut cur.city, &inc.city),
        (&mut cur.region, &inc.region),
        (&mut cur.postal_code, &inc.postal_code),
        (&mut cur.country, &inc.country),
        (&mut cur.notes, &inc.notes),
    ] {
        c |= merge_field(d, s, mode);
    }
    c |= merge_field(&mut cur.rating, &inc.rating, mode);
    c |= merge_field(&mut cur.review_count, &inc.review_count, mode);
    if cur.name_key.is_none() {
        cur.name_key = inc.name_key.clone();
    }
    c |= merge_custom(&mut cur.custom, &inc.custom, mode);
    if c {
        cur.search_text = company_search_text(cur);
    }
    c
}

/// Merge `inc` into `cur` under `mode`; true when something changed. The email only moves
/// into an empty slot, since another contact may hold the incoming one.
pub fn merge_contact(cur: &mut ContactFields, inc: &ContactFields, mode: OnDuplicate) -> bool {
    let mut c = false;
    if cur.email.is_none() {
        c |= merge_field(&mut cur.email, &inc.email, mode);
    }
    for (d, s) in [
        (&mut cur.phone, &inc.phone),
        (&mut cur.whatsapp, &inc.whatsapp),
        (&mut cur.first_name, &inc.first_name),
        (&mut cur.last_name, &inc.last_name),
        (&mut cur.full_name, &inc.full_name),
        (&mut cur.job_title, &inc.job_title),
        (&mut cur.address, &inc.address),
        (&mut cur.city, &inc.city),
        (&mut cur.region, &inc.region),
        (&mut cur.postal_code, &inc.postal_code),
        (&mut cur.country, &inc.country),
        (&mut cur.notes, &inc.notes),
    ] {
        c |= merge_field(d, s, mode);
    }
    c |= merge_custom(&mut cur.custom, &inc.custom, mode);
    c
}

/// Merge two JSON objects of custom fields under `mode`.
fn merge_custom(cur: &mut String, inc: &str, mode: OnDuplicate) -> bool {
    if mode == OnDuplicate::Skip || inc == "{}" || inc.is_empty() {
        return false;
    }
    let mut a: BTreeMap<String, String> = serde_json::from_str(cur).unwrap_or_default();
    let b: BTreeMap<String, String> = serde_json::from_str(inc).unwrap_or_default();
    let mut changed = false;
    for (k, v) in b {
        let take = match a.get(&k) {
            None => true,
            Some(old) => mode == OnDuplicate::Overwrite && *old != v,
        };
        if take {
            a.insert(k, v);
            changed = true;
        }
    }
    if changed {
        *cur = serde_json::to_string(&a).unwrap_or_else(|_| "{}".into());
    }
    changed
}

fn custom_json(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        "{}".into()
    } else {
        serde_json::to_string(m).unwrap_or_else(|_| "{}".into())
    }
}

/// Where a company of the batch lives while it is planned.
#[derive(Clone, Copy)]
enum Slot {
    Stored(usize),
    New(usize),
}

/// Match a batch of rows against the database and each other, and decide what to write.
async fn plan_batch(
    db: &mut BulkTx,
    ws: WorkspaceId,
    rows: &[ImportRow],
    mode: OnDuplicate,
    prior: Option<&mut Deduper>,
) -> AppResult<Batch> {
    // 1. Every key of the batch, looked up at once.
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut persons = Vec::new();
    let mut domains = Vec::new();
    let mut co_phones = Vec::new();
    let mut names = Vec::new();
    let mut keys_of: Vec<Vec<DedupeKey>> = Vec::with_capacity(rows.len());
    for row in rows {
        let keys = dedupe_keys(row);
        for k in &keys {
            match k {
                DedupeKey::Email(v) => emails.push(v.clone()),
                DedupeKey::Phone(v) => phones.push(v.clone()),
                DedupeKey::Person(v) => persons.push(v.clone()),
                DedupeKey::Domain(v) => domains.push(v.clone()),
                DedupeKey::CompanyPhone(v) => co_phones.push(v.clone()),
            }
        }
        // A company is matched by name and city only when nothing better identifies it: two
        // "Hughes Barbers" in Phoenix with different websites are two businesses.
        let identified = keys
            .iter()
            .any(|k| matches!(k, DedupeKey::Domain(_) | DedupeKey::CompanyPhone(_)));
        if !identified && let Some(k) = row.company.as_ref().and_then(company_name_key) {
            names.push(k);
        }
        keys_of.push(keys);
    }
    for v in [
        &mut emails,
        &mut phones,
        &mut persons,
        &mut domains,
        &mut co_phones,
        &mut names,
    ] {
        v.sort();
        v.dedup();
    }
    let stored_contacts: Vec<Contact> = db.find_contacts(ws, &emails, &phones, &persons).await?;
    let stored_companies: Vec<Company> =
        db.find_companies(ws, &domains, &co_phones, &names).await?;

    // 2. Indexes: key -> stored or new record.
    let mut co_index: HashMap<String, Slot> = HashMap::new();
    for (i, c) in stored_companies.iter().enumerate() {
        if let Some(d) = &c.f.domain {
            co_index.entry(format!("d:{d}")).or_insert(Slot::Stored(i));
        }
        if let Some(p) = &c.f.phone {
            co_index.entry(format!("p:{p}")).or_insert(Slot::Stored(i));
        }
        if let Some(n) = &c.f.name_key {
            co_index.entry(format!("n:{n}")).or_insert(Slot::Stored(i));
        }
    }
    let mut ct_index: HashMap<String, Slot> = HashMap::new();
    for (i, c) in stored_contacts.iter().enumerate() {
        if let Some(e) = &c.f.email {
            ct_index.insert(format!("e:{e}"), Slot::Stored(i));
        }
        for p in [&c.f.phone, &c.f.whatsapp].into_iter().flatten() {
            ct_index.entry(format!("p:{p}")).or_insert(Slot::Stored(i));
        }
        if let Some(k) = &c.f.person_key {
            ct_index.entry(format!("k:{k}")).or_insert(Slot::Stored(i));
        }
    }

    let mut b = Batch::default();
    let mut stored_co: Vec<(CompanyFields, bool, Vec<String>)> = stored_companies
        .iter()
        .map(|c| (c.f.clone(), false, c.tags.clone()))
        .collect();
    let mut stored_ct: Vec<(ContactFields, bool, Vec<String>, Option<Ref>)> = stored_contacts
        .iter()
        .map(|c| (c.f.clone(), false, c.tags.clone(), None))
        .collect();
    let mut new_ct_tags: Vec<Vec<String>> = Vec::new();
    let mut new_co_tags: Vec<Vec<String>> = Vec::new();

    for (row, keys) in rows.iter().zip(&keys_of) {
        if let Some(p) = prior.as_deref()
            && p.duplicate_of(row).is_some()
        {
            b.counts.duplicates += 1;
            continue;
        }
        let mut created = false;
        let mut changed = false;
        let mut matched = false;
        let custom = custom_json(&row.custom);
        // Company.
        let mut co_ref: Option<Ref> = None;
        let mut co_fields: Option<CompanyFields> = None;
        if let Some(draft) = &row.company {
            let mut inc = company_fields(draft, "import");
            if row.contact.is_none() {
                inc.custom = custom.clone();
                inc.notes = row.notes.clone();
            }
            let mut lookups: Vec<String> = Vec::new();
            for k in keys {
                match k {
                    DedupeKey::Domain(v) => lookups.push(format!("d:{v}")),
                    DedupeKey::CompanyPhone(v) => lookups.push(format!("p:{v}")),
                    _ => {}
                }
            }
            let name_key = inc.name_key.as_ref().map(|n| format!("n:{n}"));
            if lookups.is_empty()
                && let Some(n) = &name_key
            {
                lookups.push(n.clone());
            }
            let found = lookups.iter().find_map(|k| co_index.get(k).copied());
            let slot = match found {
                Some(Slot::Stored(i)) => {
                    matched = true;
                    let (cur, ch, tags) = &mut stored_co[i];
                    if merge_company(cur, &inc, mode) {
                        *ch = true;
                        changed = true;
                    }
                    if row.contact.is_none()
                        && mode != OnDuplicate::Skip
                        && add_tags(
                            tags,
                            &row.tags,
                            &mut b.company_tags,
                            Ref::Existing(stored_companies[i].id),
                        )
                    {
                        changed = true;
                    }
                    co_ref = Some(Ref::Existing(stored_companies[i].id));
                    co_fields = Some(cur.clone());
                    Slot::Stored(i)
                }
                Some(Slot::New(i)) => {
                    matched = true;
                    merge_company(&mut b.new_companies[i], &inc, mode);
                    if row.contact.is_none() && mode != OnDuplicate::Skip {
                        add_tags(
                            &mut new_co_tags[i],
                            &row.tags,
                            &mut b.company_tags,
                            Ref::New(i),
                        );
                    }
                    co_ref = Some(Ref::New(i));
                    co_fields = Some(b.new_companies[i].clone());
                    Slot::New(i)
                }
                None => {
                    created = true;
                    let i = b.new_companies.len();
                    b.new_companies.push(inc.clone());
                    new_co_tags.push(Vec::new());
                    if row.contact.is_none() {
                        add_tags(
                            &mut new_co_tags[i],
                            &row.tags,
                            &mut b.company_tags,
                            Ref::New(i),
                        );
                    }
                    b.counts.companies_created += 1;
                    co_ref = Some(Ref::New(i));
                    co_fields = Some(inc);
                    Slot::New(i)
                }
            };
            for k in lookups.into_iter().chain(name_key) {
                co_index.entry(k).or_insert(slot);
            }
        }
        // Contact.
        if let Some(draft) = &row.contact {
            let person = keys.iter().find_map(|k| match k {
                DedupeKey::Person(v) => Some(v.clone()),
                _ => None,
            });
            let mut inc = contact_fields(draft, person);
            inc.custom = custom.clone();
            inc.notes = row.notes.clone();
            let lookups: Vec<String> = keys
                .iter()
                .filter_map(|k| match k {
                    DedupeKey::Email(v) => Some(format!("e:{v}")),
                    DedupeKey::Phone(v) => Some(format!("p:{v}")),
                    DedupeKey::Person(v) => Some(format!("k:{v}")),
                    _ => None,
                })
                .collect();
            let found = lookups.iter().find_map(|k| ct_index.get(k).copied());
            let slot = match found {
                Some(Slot::Stored(i)) => {
                    matched = true;
                    let id = stored_contacts[i].id;
                    let (cur, ch, tags, cref) = &mut stored_ct[i];
                    let mut c = merge_contact(cur, &inc, mode);
                    if mode != OnDuplicate::Skip && co_ref.is_some() {
                        let link = cur.company_id.is_none() || mode == OnDuplicate::Overwrite;
                        let same = matches!((co_ref, cur.company_id), (Some(Ref::Existing(a)), Some(b)) if a == b);
                        if link && !same {
                            *cref = co_ref;
                            c = true;
                        }
                    }
                    if mode != OnDuplicate::Skip
                        && add_tags(tags, &row.tags, &mut b.contact_tags, Ref::Existing(id))
                    {
                        c = true;
                    }
                    if c {
                        *ch = true;
                        changed = true;
                        cur.search_text = contact_search_text(cur, co_fields.as_ref());
                    }
                    Slot::Stored(i)
                }
                Some(Slot::New(i)) => {
                    matched = true;
                    let (cur, cref) = &mut b.new_contacts[i];
                    merge_contact(cur, &inc, mode);
                    if cref.is_none() {
                        *cref = co_ref;
                    }
                    if mode != OnDuplicate::Skip {
                        add_tags(
                            &mut new_ct_tags[i],
                            &row.tags,
                            &mut b.contact_tags,
                            Ref::New(i),
                        );
                    }
                    cur.search_text = contact_search_text(cur, co_fields.as_ref());
                    Slot::New(i)
                }
                None => {
                    created = true;
                    inc.search_text = contact_search_text(&inc, co_fields.as_ref());
                    let i = b.new_contacts.len();
                    b.new_contacts.push((inc, co_ref));
                    new_ct_tags.push(Vec::new());
                    add_tags(
                        &mut new_ct_tags[i],
                        &row.tags,
                        &mut b.contact_tags,
                        Ref::New(i),
                    );
                    b.counts.contacts_created += 1;
                    Slot::New(i)
                }
            };
            for k in lookups {
                ct_index.entry(k).or_insert(slot);
            }
        }
        if created {
            b.counts.created += 1;
        } else if changed {
            b.counts.updated += 1;
        } else if matched {
            b.counts.duplicates += 1;
        }
    }
    if let Some(p) = prior {
        for row in rows {
            p.remember(row);
        }
    }
    for (i, (f, ch, _)) in stored_co.into_iter().enumerate() {
        if ch {
            b.changed_companies.push((stored_companies[i].id, f));
        }
    }
    for (i, (f, ch, _, cref)) in stored_ct.into_iter().enumerate() {
        if ch {
            b.changed_contacts.push((stored_contacts[i].id, f, cref));
        }
    }
    Ok(b)
}

/// Add the row's tags that `have` lacks, recording tag rows to insert. True when any was new.
fn add_tags(have: &mut Vec<String>, tags: &[String], out: &mut Vec<(Ref, String)>, r: Ref) -> bool {
    let mut added = false;
    for t in tags {
        if !have.iter().any(|h| h.eq_ignore_ascii_case(t)) {
            have.push(t.clone());
            out.push((r, t.clone()));
            added = true;
        }
    }
    added
}

/// The job: run the import named in the payload, keeping the import row's counts current.
pub(crate) async fn job(ctx: crate::jobs::JobCtx) -> crate::jobs::JobResult {
    #[derive(serde::Deserialize)]
    struct P {
        workspace_id: i64,
        import_id: i64,
    }
    let p: P = ctx.payload()?;
    let ws = WorkspaceId(p.workspace_id);
    let id = ImportId(p.import_id);
    let app = ctx.app.clone();
    let job_id = ctx.id();
    let progress_ctx = ctx.clone();
    let mut last = Instant::now();
    let mut on_progress = move |pr: &Progress| {
        if last.elapsed().as_millis() > 500 {
            last = Instant::now();
            let c = progress_ctx.clone();
            let (done, total) = (pr.counts.bytes_done, pr.total_bytes as i64);
            tokio::spawn(async move {
                let _ = c.progress(done, total).await;
            });
        }
    };
    let db = app.db().clone();
    let cancelled = move || -> futures::future::BoxFuture<'static, bool> {
        let db = db.clone();
        Box::pin(async move {
            cancel_requested(id)
                || prospector_store::jobs::is_cancelled(&db, job_id)
                    .await
                    .unwrap_or(false)
        })
    };
    let s = run_stored(&app, ws, id, &mut on_progress, &cancelled).await;
    lock_cancels().remove(&id.0);
    let s = match s {
        Ok(s) => s,
        Err(e) => {
            let e = crate::jobs::JobError::from(e);
            // The worker will not run it again: say so on the import, not only on the job.
            let last = matches!(e, crate::jobs::JobError::Permanent(_))
                || ctx.job.attempts >= ctx.job.max_attempts;
            if last && let Err(a) = abandon(&app, ws, id, &e.to_string()).await {
                tracing::error!(workspace_id = ws.0, import_id = id.0, error = %a,
                    "could not mark the failed import; the hourly sweep will");
            }
            return Err(e);
        }
    };
    crate::scans::after_import(&app, ws, id.0).await;
    Ok(Some(serde_json::to_value(&s).unwrap_or_default()))
}

/// Mark an unfinished import `failed` with `reason`, its rows so far kept and searchable.
async fn abandon(app: &App, ws: WorkspaceId, id: ImportId, reason: &str) -> AppResult<bool> {
    let mut bulk = prospector_store::imports::BulkTx::on_shared_pool(app.db());
    let done = bulk.abandon(ws, id, reason).await?;
    if done {
        tracing::warn!(
            workspace_id = ws.0,
            import_id = id.0,
            reason,
            "import abandoned"
        );
    }
    Ok(done)
}

/// Housekeeping: fail the imports whose job will not run again (dead after its retries, a
/// worker that kept losing its lease, cancelled or pruned), so none stays `running` with its
/// rows out of search. Only imports untouched since `idle_before` (ms; the sweep passes
/// [`ORPHAN_IDLE_MS`] ago). Returns how many were marked.
pub async fn abandon_orphans(app: &App, idle_before: i64) -> AppResult<usize> {
    let mut n = 0;
    for (ws, id, last_error) in prospector_store::imports::orphaned(app.db(), idle_before).await? {
        let reason = match last_error {
            Some(e) => format!("the import's job stopped before the import finished: {e}"),
            None => "the import's job stopped before the import finished".to_string(),
        };
        if abandon(app, ws, id, &reason).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// How long an unfinished import with a stopped job must have been quiet before the sweep
/// fails it.
pub const ORPHAN_IDLE_MS: i64 = 10 * 60 * 1000;

/// Imports a person cancelled in this process. A large SQLite import holds the write lock
/// for seconds at a time, so the job's `cancelled` row may only land once it is over; the
/// import also looks here before each batch and stops at once.
fn lock_cancels() -> std::sync::MutexGuard<'static, std::collections::HashSet<i64>> {
    static C: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<i64>>> =
        std::sync::OnceLock::new();
    C.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn cancel_requested(id: ImportId) -> bool {
    lock_cancels().contains(&id.0)
}

/// Cancel a running or queued import.
pub async fn cancel(app: &App, ctx: &WsCtx, id: ImportId) -> AppResult<()> {
    ctx.require(prospector_core::role::Permission::Write)?;
    let imp = store::get(app.db(), ctx.ws, id).await?;
    if imp.state == "running" || imp.state == "pending" {
        lock_cancels().insert(id.0);
    }
    if let Some(j) = imp.job_id {
        // A job that already finished cannot be cancelled; that is fine here.
        let _ =
            prospector_store::jobs::cancel(app.db(), ctx.ws, prospector_core::ids::JobId(j)).await;
    }
    if imp.state == "pending" {
        store::finish(app.db(), ctx.ws, id, "cancelled", None, &Counts::default()).await?;
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "import.cancelled",
        "import",
        id.0,
        None,
        None,
    )
    .await
}

pub async fn get(app: &App, ctx: &WsCtx, id: ImportId) -> AppResult<Import> {
    Ok(store::get(app.db(), ctx.ws, id).await?)
}

pub async fn list(
    app: &App,
    ctx: &WsCtx,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Import>> {
    Ok(store::list(app.db(), ctx.ws, before, limit).await?)
}

/// An import's error report as CSV (row, line, column, value, reason, severity), UTF-8 with a
/// BOM for Excel, read from the database in pages.
pub async fn error_report_csv(app: &App, ctx: &WsCtx, id: ImportId) -> AppResult<Vec<u8>> {
    use prospector_core::import::{CsvTable, ERROR_REPORT_HEADERS};
    store::get(app.db(), ctx.ws, id).await?;
    let csv_err = |e: csv::Error| AppError::Internal(e.to_string());
    let mut t = CsvTable::new(Vec::new(), ERROR_REPORT_HEADERS, true).map_err(csv_err)?;
    let mut after = 0;
    loop {
        let page = store::errors(app.db(), ctx.ws, id, after, 5_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, e) in page {
            t.error_row(&RowError {
                row: e.row_number as u64,
                line: e.line as u64,
                column: e.column_name,
                value: e.value,
                reason: e.reason,
                severity: if e.severity == "error" {
                    Severity::Error
                } else {
                    Severity::Warning
                },
            })
            .map_err(csv_err)?;
        }
    }
    t.finish().map_err(csv_err)
}

/// An import's errors as JSON pages.
pub async fn errors(
    app: &App,
    ctx: &WsCtx,
    id: ImportId,
    after: i64,
    limit: i64,
) -> AppResult<Vec<(i64, ImportError)>> {
    store::get(app.db(), ctx.ws, id).await?;
    Ok(store::errors(app.db(), ctx.ws, id, after, limit.clamp(1, 1000)).await?)
}
