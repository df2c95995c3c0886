//! CSV import in the browser: upload (drag and drop or a file input), a mapping screen with
//! sample values and suggested targets, then the background job with live progress over
//! server-sent events, the report with its row errors and the error report as CSV.
//!
//! Between the upload and the mapping screen only the stored file's *name* travels (in the
//! query string and a hidden field); it is checked to be a plain name and resolved inside the
//! workspace's own upload directory, so it can never point at another file or workspace.

use super::contacts::{
    Notice, TAB_IMPORTS, Times, csv_response, flash, form_value, id_of, redirect_error,
    render_status, thousands,
};
use super::{PageError, PageResult, Shell, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures::Stream;
use prospector_app::core::ids::ImportId;
use prospector_app::core::import::OnDuplicate;
use prospector_app::core::import::mapping::Field;
use prospector_app::core::time::now_ms;
use prospector_app::imports::{self, ImportOptions, MappingPreview};
use prospector_app::store::imports::{Import, ImportError};
use prospector_app::{App, AppError, WsCtx, workspaces};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

/// Largest upload the import page accepts (the server-wide body limit may be lower).
pub const MAX_UPLOAD_BYTES: usize = 200 * 1024 * 1024;

/// Sample values shown per column on the mapping screen.
const SAMPLES: usize = 3;

fn upload_limit(app: &App) -> usize {
    MAX_UPLOAD_BYTES.min(app.config().max_body_bytes)
}

fn mb(bytes: usize) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m >= 10.0 || m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

/// A stored upload's name as made by `imports::new_upload_path`: letters, digits, `-`, `_`, one
/// `.csv` at the end; nothing that could leave the directory.
fn valid_upload_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 120
        && !name.contains("..")
        && !name.contains('/')
        && !name.contains('\\')
        && name.ends_with(".csv")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// The path of an upload of this workspace, or not found.
fn upload_path(app: &App, ctx: &WsCtx, name: &str) -> Result<PathBuf, AppError> {
    if !valid_upload_name(name) {
        return Err(AppError::NotFound);
    }
    let path = imports::upload_dir(app, ctx.ws).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(AppError::NotFound)
    }
}

/// A file name as the person's computer called it, without any directory part.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() {
        "upload.csv".into()
    } else {
        base
    }
}

async fn preview(path: PathBuf, n: usize) -> Result<MappingPreview, AppError> {
    tokio::task::spawn_blocking(move || imports::mapping_preview(&path, n))
        .await
        .map_err(|e| AppError::Internal(format!("mapping preview: {e}")))?
}

const DUPLICATE_CHOICES: &[(&str, &str)] = &[
    ("skip", "Skip it: keep what you have"),
    ("fill", "Fill in: add only the fields that are empty"),
    (
        "overwrite",
        "Overwrite: replace fields with the file's values (empty cells never erase)",
    ),
];

fn on_duplicate_of(v: &str) -> String {
    match v.trim() {
        "fill" => "fill".into(),
        "overwrite" => "overwrite".into(),
        _ => "skip".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Step 1: upload

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    shell: Shell,
    tab: &'static str,
    default_country: String,
    on_duplicate: String,
    choices: &'static [(&'static str, &'static str)],
    max_bytes: usize,
    max_mb: String,
    error: String,
}

async fn upload_page(
    s: &AppState,
    p: &Page<Write>,
    on_duplicate: String,
    country: Option<String>,
    error: String,
) -> Result<UploadPage, AppError> {
    let shell = Shell::for_page(&s.app, p, "contacts").await?;
    let default_country = match country {
        Some(c) => c,
        None => workspaces::get(&s.app, &p.ctx).await?.default_country,
    };
    let max = upload_limit(&s.app);
    Ok(UploadPage {
        shell,
        tab: TAB_IMPORTS,
        default_country,
        on_duplicate,
        choices: DUPLICATE_CHOICES,
        max_bytes: max,
        max_mb: mb(max),
        error,
    })
}

pub async fn upload_form(
    State(s): State<AppState>,
    p: Page<Write>,
    Query(n): Query<Notice>,
) -> PageResult {
    let page = upload_page(&s, &p, "skip".into(), None, n.error.unwrap_or_default()).await?;
    Ok(render(&page))
}

pub async fn upload(State(s): State<AppState>, p: Page<Write>, mut mp: Multipart) -> PageResult {
    let max = upload_limit(&s.app);
    let too_big = format!(
        "The file is larger than the upload limit of {} MB. Split it, or import it with the command line (prospector import FILE --workspace {}).",
        mb(max),
        p.ctx.slug
    );
    let mut file_name = String::new();
    // The file streams to disk as it arrives: (path, size, sha256).
    let mut upload: Option<(std::path::PathBuf, usize, String)> = None;
    let mut on_duplicate = "skip".to_string();
    let mut country = String::new();
    let mut failure: Option<(StatusCode, String)> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    too_big.clone()
                } else {
                    format!("The upload did not arrive completely: {}", e.body_text())
                };
                failure = Some((status, msg));
                break;
            }
        };
        match field.name().unwrap_or("") {
            "file" => {
                file_name = clean_file_name(field.file_name().unwrap_or(""));
                let mut field = field;
                match stream_to_disk(&s, &p, &mut field, max).await {
                    Ok(Ok(u)) => upload = Some(u),
                    Ok(Err(e)) => {
                        let status = e.status();
                        let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                            too_big.clone()
                        } else {
                            format!("The upload did not arrive completely: {}", e.body_text())
                        };
                        failure = Some((status, msg));
                        break;
                    }
                    Err(TooBig(path)) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        failure = Some((StatusCode::PAYLOAD_TOO_LARGE, too_big.clone()));
                        break;
                    }
                }
            }
            "on_duplicate" => {
                on_duplicate = on_duplicate_of(&field.text().await.unwrap_or_default())
            }
            "default_country" => {
                country = field.text().await.unwrap_or_default().trim().to_uppercase()
            }
            _ => {}
        }
    }
    let again = |status: StatusCode, msg: String, od: String, c: String| {
        let (s, p) = (&s, &p);
        async move {
            let c = (!c.is_empty()).then_some(c);
            let page = upload_page(s, p, od, c, msg).await?;
            Ok::<Response, PageError>(render_status(status, &page))
        }
    };
    if let Some((status, msg)) = failure {
        return again(status, msg, on_duplicate, country).await;
    }
    let Some((path, size, sha)) = upload else {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a CSV file to import (none was sent).".into(),
            on_duplicate,
            country,
        )
        .await;
    };
    if size == 0 {
        let _ = tokio::fs::remove_file(&path).await;
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a CSV file to import (the one sent was empty).".into(),
            on_duplicate,
            country,
        )
        .await;
    }
    // Read the header now, so a file that is not a table is refused on this page.
    if let Err(e) = preview(path.clone(), 1).await {
        let _ = tokio::fs::remove_file(&path).await;
        let msg = match &e {
            AppError::Internal(_) => return Err(e.into()),
            other => format!(
                "This file cannot be read as a table: {}",
                crate::error::public_message(other)
            ),
        };
        return again(StatusCode::UNPROCESSABLE_ENTITY, msg, on_duplicate, country).await;
    }
    let stored = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let qs = form_urlencoded::Serializer::new(String::new())
        .append_pair("file", &stored)
        .append_pair("name", &file_name)
        .append_pair("sha", &sha)
        .append_pair("on_duplicate", &on_duplicate)
        .append_pair("default_country", &country)
        .finish();
    Ok(Redirect::to(&format!("/w/{}/contacts/import/map?{qs}", p.ctx.slug)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Step 2: mapping

/// One column on the mapping screen.
pub struct MapColumn {
    pub index: usize,
    pub header: String,
    pub samples: Vec<String>,
    pub selected: String,
    /// "70%" when the suggestion is a guess, else empty.
    pub confidence: String,
    pub custom_key: String,
}

#[derive(Template)]
#[template(path = "import_map.html")]
struct MapPage {
    shell: Shell,
    tab: &'static str,
    file: String,
    name: String,
    sha: String,
    encoding: String,
    delimiter: String,
    columns: Vec<MapColumn>,
    fields: Vec<(&'static str, &'static str)>,
    notes: Vec<String>,
    on_duplicate: String,
    choices: &'static [(&'static str, &'static str)],
    default_country: String,
    error: String,
}

fn field_label(f: Field) -> &'static str {
    match f {
        Field::Email => "Email",
        Field::Phone => "Phone",
        Field::Whatsapp => "WhatsApp",
        Field::FirstName => "First name",
        Field::LastName => "Last name",
        Field::FullName => "Full name",
        Field::JobTitle => "Job title",
        Field::Company => "Company name",
        Field::Website => "Website",
        Field::Address => "Address",
        Field::City => "City",
        Field::Region => "Region / state",
        Field::PostalCode => "Postal code",
        Field::Country => "Country",
        Field::Category => "Category",
        Field::Tags => "Tags",
        Field::Notes => "Notes",
        Field::Rating => "Rating (stars)",
        Field::ReviewCount => "Number of reviews",
    }
}

fn delimiter_label(d: &str) -> String {
    match d {
        "\t" | "\\t" => "tab".into(),
        "," => "comma (,)".into(),
        ";" => "semicolon (;)".into(),
        "|" => "pipe (|)".into(),
        o => format!("“{o}”"),
    }
}

fn custom_key_for(header: &str, index: usize) -> String {
    let k = prospector_app::core::normalize::text::slug(header);
    if k.is_empty() {
        format!("column_{}", index + 1)
    } else {
        k
    }
}

/// The mapping screen's data for a stored upload, with `chosen` overriding the suggestions.
#[allow(clippy::too_many_arguments)]
async fn map_page(
    s: &AppState,
    p: &Page<Write>,
    file: &str,
    name: &str,
    sha: &str,
    on_duplicate: &str,
    country: &str,
    chosen: Option<&[(String, String)]>,
    error: String,
) -> Result<MapPage, AppError> {
    let path = upload_path(&s.app, &p.ctx, file)?;
    let pv = preview(path, SAMPLES).await?;
    let shell = Shell::for_page(&s.app, p, "contacts").await?;
    let country = if country.trim().is_empty() {
        workspaces::get(&s.app, &p.ctx).await?.default_country
    } else {
        country.trim().to_uppercase()
    };
    let columns = pv
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let suggested = pv
                .targets
                .get(i)
                .cloned()
                .unwrap_or_else(|| "ignore".into());
            let conf = pv.confidence.get(i).copied().unwrap_or(1.0);
            let custom_key = suggested
                .strip_prefix("custom:")
                .map(str::to_string)
                .unwrap_or_else(|| custom_key_for(h, i));
            let selected = chosen
                .map(|c| form_value(c, &format!("t{i}")).to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| suggested.clone());
            let is_field = suggested.parse::<Field>().is_ok();
            MapColumn {
                index: i,
                header: h.clone(),
                samples: pv
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .take(SAMPLES)
                    .collect(),
                selected,
                confidence: if is_field && conf < 1.0 {
                    format!("{:.0}%", (conf.max(0.0) * 100.0).round())
                } else {
                    String::new()
                },
                custom_key,
            }
        })
        .collect();
    Ok(MapPage {
        shell,
        tab: TAB_IMPORTS,
        file: file.to_string(),
        name: name.to_string(),
        sha: sha.to_string(),
        encoding: pv.encoding,
        delimiter: delimiter_label(&pv.delimiter),
        columns,
        fields: Field::ALL
            .iter()
            .map(|f| (f.as_str(), field_label(*f)))
            .collect(),
        notes: pv.errors,
        on_duplicate: on_duplicate_of(on_duplicate),
        choices: DUPLICATE_CHOICES,
        default_country: country,
        error,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MapQuery {
    file: String,
    name: String,
    sha: String,
    on_duplicate: String,
    default_country: String,
}

pub async fn map_form(
    State(s): State<AppState>,
    p: Page<Write>,
    Query(q): Query<MapQuery>,
) -> PageResult {
    let page = match map_page(
        &s,
        &p,
        &q.file,
        &q.name,
        &q.sha,
        &q.on_duplicate,
        &q.default_country,
        None,
        String::new(),
    )
    .await
    {
        Ok(page) => page,
        Err(AppError::NotFound) => {
            return Ok(redirect_error(
                &format!("/w/{}/contacts/import", p.ctx.slug),
                AppError::BadRequest(
                    "That upload is no longer there; please upload the file again.".into(),
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(render(&page))
}

/// A target from the mapping form: a known field, `ignore` or `custom:key`.
fn clean_target(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    if t == "ignore" || t.parse::<Field>().is_ok() {
        return Ok(t.to_string());
    }
    if let Some(k) = t.strip_prefix("custom:") {
        let k = prospector_app::core::normalize::text::slug(k);
        if !k.is_empty() {
            return Ok(format!("custom:{k}"));
        }
    }
    Err(AppError::invalid(
        "map",
        format!("'{t}' is not a field Prospector knows"),
    ))
}

pub async fn start(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let file = form_value(&f, "file").to_string();
    let name = clean_file_name(form_value(&f, "name"));
    let sha = form_value(&f, "sha").trim().to_ascii_lowercase();
    let sha = if sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        sha
    } else {
        String::new()
    };
    let on_duplicate = on_duplicate_of(form_value(&f, "on_duplicate"));
    let country = form_value(&f, "default_country").trim().to_uppercase();
    let path = match upload_path(&s.app, &p.ctx, &file) {
        Ok(path) => path,
        Err(_) => {
            return Ok(redirect_error(
                &format!("/w/{}/contacts/import", p.ctx.slug),
                AppError::BadRequest(
                    "That upload is no longer there; please upload the file again.".into(),
                ),
            ));
        }
    };
    let result: Result<Import, AppError> = async {
        let pv = preview(path.clone(), 0).await?;
        let mut map = Vec::with_capacity(pv.headers.len());
        for (i, h) in pv.headers.iter().enumerate() {
            let raw = form_value(&f, &format!("t{i}"));
            let target = if raw.is_empty() {
                pv.targets
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| "ignore".into())
            } else {
                clean_target(raw)?
            };
            map.push(format!("{h}={target}"));
        }
        let size = tokio::fs::metadata(&path)
            .await
            .map(|m| m.len() as i64)
            .unwrap_or(0);
        let opts = ImportOptions {
            map,
            default_country: (!country.is_empty()).then(|| country.clone()),
            on_duplicate: on_duplicate
                .parse::<OnDuplicate>()
                .map_err(|e| AppError::invalid("on_duplicate", e.to_string()))?,
            dry_run: false,
        };
        imports::create(&s.app, &p.ctx, &name, &path, size, &sha, &opts, true).await
    }
    .await;
    match result {
        Ok(imp) => {
            Ok(Redirect::to(&format!("/w/{}/imports/{}", p.ctx.slug, imp.id)).into_response())
        }
        Err(e) => match super::contacts::form_error(&e) {
            Some((_, msg, status)) => {
                let page = map_page(
                    &s,
                    &p,
                    &file,
                    &name,
                    &sha,
                    &on_duplicate,
                    &country,
                    Some(&f),
                    msg,
                )
                .await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Step 3: progress and report

fn is_final(state: &str) -> bool {
    matches!(state, "done" | "failed" | "cancelled")
}

/// "0.4 s", "12 s", "3 min 5 s", "1 h 2 min".
fn human_secs(secs: f64) -> String {
    if secs < 10.0 {
        return format!("{secs:.1} s");
    }
    let s = secs.round() as i64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// What the progress page and its event stream show.
#[derive(Serialize)]
pub struct Snapshot {
    pub id: i64,
    pub state: String,
    /// True once the state is done, failed or cancelled: the stream ends after this event.
    #[serde(rename = "final")]
    pub finished: bool,
    pub percent: f64,
    pub rows_done: i64,
    pub rows_per_second: f64,
    pub eta_seconds: Option<f64>,
    pub created: i64,
    pub updated: i64,
    pub duplicates: i64,
    pub errors: i64,
    pub warnings: i64,
    pub error: Option<String>,
    /// The same figures formatted for people, keyed like the page's `data-k` elements.
    pub show: BTreeMap<&'static str, String>,
}

fn snapshot(imp: &Import) -> Snapshot {
    let finished = is_final(&imp.state);
    let end = imp.finished_at.unwrap_or_else(now_ms);
    let elapsed_ms = imp.started_at.map(|s| (end - s).max(0) as u64).unwrap_or(0);
    let percent = if imp.state == "done" {
        100.0
    } else if imp.file_size > 0 {
        (imp.bytes_done as f64 * 100.0 / imp.file_size as f64).clamp(0.0, 100.0)
    } else {
        0.0
    };
    let rate = imports::rate(imp.rows_done, elapsed_ms);
    let eta = if finished {
        None
    } else {
        imports::eta(imp.bytes_done, imp.file_size, elapsed_ms)
    };
    let mut show = BTreeMap::new();
    show.insert("state", imp.state.clone());
    show.insert("percent", format!("{percent:.0}%"));
    show.insert("rows", thousands(imp.rows_done));
    show.insert(
        "rate",
        if elapsed_ms > 0 {
            format!("{} rows/s", thousands(rate.round() as i64))
        } else {
            "–".into()
        },
    );
    show.insert(
        "eta",
        match (finished, eta, imp.state.as_str()) {
            (true, _, _) => "finished".into(),
            (false, _, "pending") => "waiting for a worker".into(),
            (false, Some(e), _) => format!("about {} left", human_secs(e)),
            (false, None, _) => "estimating…".into(),
        },
    );
    show.insert(
        "duration",
        if elapsed_ms > 0 {
            human_secs(elapsed_ms as f64 / 1000.0)
        } else {
            "–".into()
        },
    );
    for (k, v) in [
        ("created", imp.created),
        ("updated", imp.updated),
        ("duplicates", imp.duplicates),
        ("errors", imp.errors),
        ("warnings", imp.warnings),
        ("contacts_created", imp.contacts_created),
        ("companies_created", imp.companies_created),
    ] {
        show.insert(k, thousands(v));
    }
    Snapshot {
        id: imp.id,
        state: imp.state.clone(),
        finished,
        percent,
        rows_done: imp.rows_done,
        rows_per_second: rate,
        eta_seconds: eta,
        created: imp.created,
        updated: imp.updated,
        duplicates: imp.duplicates,
        errors: imp.errors,
        warnings: imp.warnings,
        error: imp.error.clone(),
        show,
    }
}

/// One import in the list.
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub state: String,
    pub rows: String,
    pub created: String,
    pub updated: String,
    pub duplicates: String,
    pub errors: String,
    pub created_at: i64,
    pub started_at: i64,
    pub duration: String,
}

fn row_of(imp: &Import) -> ImportRow {
    let duration = match (imp.started_at, imp.finished_at) {
        (Some(s), Some(f)) => human_secs((f - s).max(0) as f64 / 1000.0),
        (Some(_), None) => "running".into(),
        _ => String::new(),
    };
    ImportRow {
        id: imp.id,
        file_name: imp.file_name.clone(),
        state: imp.state.clone(),
        rows: thousands(imp.rows_done),
        created: thousands(imp.created),
        updated: thousands(imp.updated),
        duplicates: thousands(imp.duplicates),
        errors: thousands(imp.errors),
        created_at: imp.created_at,
        started_at: imp.started_at.unwrap_or(0),
        duration,
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    shell: Shell,
    tab: &'static str,
    rows: Vec<ImportRow>,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    before: Option<i64>,
}

pub async fn list(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListParams>,
    Query(n): Query<Notice>,
) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let limit = 50;
    let items = imports::list(&s.app, &p.ctx, q.before, limit).await?;
    let next_before = if items.len() as i64 == limit {
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok(render(&ImportsPage {
        shell,
        tab: TAB_IMPORTS,
        rows: items.iter().map(row_of).collect(),
        next_before,
    }))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    shell: Shell,
    tab: &'static str,
    imp: Import,
    snap: Snapshot,
    errors: Vec<ImportError>,
    next_after: Option<i64>,
    first_page: bool,
}

impl Times for ImportsPage {}
impl Times for ImportPage {}

impl ImportPage {
    fn show(&self, key: &str) -> &str {
        self.snap.show.get(key).map(String::as_str).unwrap_or("")
    }

    fn file_size(&self) -> String {
        let b = self.imp.file_size;
        if b < 1024 {
            format!("{b} bytes")
        } else if b < 1024 * 1024 {
            format!("{:.1} KB", b as f64 / 1024.0)
        } else {
            format!("{} MB", mb(b as usize))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ErrorParams {
    after: Option<i64>,
}

/// Row errors shown per page of the report.
const ERRORS_PER_PAGE: i64 = 50;

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ErrorParams>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = ImportId(id_of(&id)?);
    let imp = imports::get(&s.app, &p.ctx, id).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let snap = snapshot(&imp);
    let after = q.after.unwrap_or(0).max(0);
    let (errors, next_after) = if snap.finished || imp.errors + imp.warnings > 0 {
        let page = imports::errors(&s.app, &p.ctx, id, after, ERRORS_PER_PAGE).await?;
        let next = if page.len() as i64 == ERRORS_PER_PAGE {
            page.last().map(|(eid, _)| *eid)
        } else {
            None
        };
        (page.into_iter().map(|(_, e)| e).collect(), next)
    } else {
        (vec![], None)
    };
    Ok(render(&ImportPage {
        shell,
        tab: TAB_IMPORTS,
        imp,
        snap,
        errors,
        next_after,
        first_page: after == 0,
    }))
}

/// Server-sent events: a `progress` event with a [`Snapshot`] about every 500 ms until the
/// import is done, failed or cancelled; the stream ends after that final event.
pub async fn events(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let id = ImportId(id_of(&id)?);
    imports::get(&s.app, &p.ctx, id).await?;
    let app = s.app.clone();
    let ctx = p.ctx.clone();
    let stream = futures::stream::unfold((0u64, false), move |(n, done)| {
        let app = app.clone();
        let ctx = ctx.clone();
        async move {
            if done {
                return None;
            }
            if n > 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let (event, finished) = match imports::get(&app, &ctx, id).await {
                Ok(imp) => {
                    let snap = snapshot(&imp);
                    let finished = snap.finished;
                    let ev = Event::default()
                        .event("progress")
                        .json_data(&snap)
                        .unwrap_or_else(|_| Event::default().event("progress").data("{}"));
                    (ev, finished)
                }
                // Deleted meanwhile, or the database is away: tell the page and stop.
                Err(_) => (Event::default().event("gone").data("{}"), true),
            };
            Some((Ok(event), (n + 1, finished)))
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

pub async fn cancel(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = ImportId(id_of(&id)?);
    let path = format!("/w/{}/imports/{}", p.ctx.slug, id.0);
    match imports::cancel(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(super::back_to(
            &path,
            Some("Cancelling: the rows read so far stay imported."),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn errors_csv(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = ImportId(id_of(&id)?);
    let body = imports::error_report_csv(&s.app, &p.ctx, id).await?;
    Ok(csv_response(&format!("import-{}-errors.csv", id.0), body))
}

/// An upload over the size limit; the partial file at this path should be removed.
struct TooBig(std::path::PathBuf);

/// Write a multipart file field to a fresh upload path chunk by chunk, hashing as it goes, so
/// memory stays flat whatever the file size. The outer error is the size limit.
async fn stream_to_disk(
    s: &AppState,
    p: &Page<Write>,
    field: &mut axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<
    Result<(std::path::PathBuf, usize, String), axum::extract::multipart::MultipartError>,
    TooBig,
> {
    use sha2::Digest;
    use tokio::io::AsyncWriteExt;
    let path = match imports::new_upload_path(&s.app, p.ctx.ws).await {
        Ok(p) => p,
        Err(_) => return Err(TooBig(std::path::PathBuf::new())),
    };
    let Ok(mut out) = tokio::fs::File::create(&path).await else {
        return Err(TooBig(path));
    };
    let mut sha = sha2::Sha256::new();
    let mut size = 0usize;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len();
                if size > max {
                    return Err(TooBig(path));
                }
                sha.update(&chunk);
                if out.write_all(&chunk).await.is_err() {
                    return Err(TooBig(path));
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Ok(Err(e));
            }
        }
    }
    if out.flush().await.is_err() {
        return Err(TooBig(path));
    }
    Ok(Ok((path, size, hex::encode(sha.finalize()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_upload_names_resolve() {
        assert!(valid_upload_name("1700000000000-abcDEF_12-3.csv"));
        for bad in [
            "",
            "../x.csv",
            "a/b.csv",
            "a\\b.csv",
            "x.csv/..",
            "..csv",
            "x.txt",
            "x y.csv",
            "/etc/passwd",
        ] {
            assert!(!valid_upload_name(bad), "{bad}");
        }
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(clean_file_name("C:\\Users\\a\\Liste.csv"), "Liste.csv");
        assert_eq!(clean_file_name("/tmp/x.csv"), "x.csv");
        assert_eq!(clean_file_name(""), "upload.csv");
    }

    #[test]
    fn targets_are_fields_ignore_or_custom() {
        assert_eq!(clean_target("email").unwrap(), "email");
        assert_eq!(clean_target("ignore").unwrap(), "ignore");
        assert_eq!(
            clean_target("custom:Branche X").unwrap(),
            "custom:branche_x"
        );
        assert!(clean_target("custom:").is_err());
        assert!(clean_target("whatever").is_err());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_secs(0.42), "0.4 s");
        assert_eq!(human_secs(42.0), "42 s");
        assert_eq!(human_secs(185.0), "3 min 5 s");
        assert_eq!(human_secs(3720.0), "1 h 2 min");
    }
}
