//! CSV imports: upload with mapping (multipart), status and counts, row errors as JSON or CSV,
//! cancel. The import itself runs as a background job.

use super::json::ApiQuery;
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prospector_app::AppError;
use prospector_app::core::ids::ImportId;
use prospector_app::imports::{self as uc, ImportOptions};
use prospector_app::store::imports::Import;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ImportOut {
    pub id: i64,
    pub file_name: String,
    pub file_size: i64,
    /// pending, running, done, failed or cancelled.
    pub state: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub on_duplicate: String,
    pub default_country: Option<String>,
    pub mapping: Vec<String>,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub duplicates: i64,
    pub errors: i64,
    pub warnings: i64,
    pub contacts_created: i64,
    pub companies_created: i64,
    /// Share of the file read, 0-100.
    pub percent: f64,
    pub rows_per_second: f64,
    pub eta_seconds: Option<f64>,
    /// File-level failure reason.
    pub error: Option<String>,
    pub job_id: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl From<Import> for ImportOut {
    fn from(i: Import) -> Self {
        let end = i.finished_at.unwrap_or(i.updated_at);
        let elapsed = i.started_at.map(|s| (end - s).max(0) as u64).unwrap_or(0);
        let percent = if i.state == "done" {
            100.0
        } else if i.file_size > 0 {
            (i.bytes_done as f64 * 100.0 / i.file_size as f64).min(100.0)
        } else {
            0.0
        };
        ImportOut {
            id: i.id,
            mapping: serde_json::from_str(&i.mapping).unwrap_or_default(),
            file_name: i.file_name,
            file_size: i.file_size,
            encoding: i.encoding,
            delimiter: i.delimiter,
            on_duplicate: i.on_duplicate,
            default_country: i.default_country,
            rows: i.rows_done,
            created: i.created,
            updated: i.updated,
            duplicates: i.duplicates,
            errors: i.errors,
            warnings: i.warnings,
            contacts_created: i.contacts_created,
            companies_created: i.companies_created,
            percent: (percent * 10.0).round() / 10.0,
            rows_per_second: uc::rate(i.rows_done, elapsed).round(),
            eta_seconds: if i.state == "running" {
                uc::eta(i.bytes_done, i.file_size, elapsed).map(|e| e.round())
            } else {
                None
            },
            state: i.state,
            error: i.error,
            job_id: i.job_id,
            created_at: i.created_at,
            started_at: i.started_at,
            finished_at: i.finished_at,
        }
    }
}

/// The multipart form of `POST /api/v1/imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The CSV file.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// `HEADER=field`, one part per override (repeatable).
    map: Option<Vec<String>>,
    /// Region for numbers without a country code (default: the workspace's).
    default_country: Option<String>,
    /// skip (default), fill or overwrite.
    on_duplicate: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportOut), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    use sha2::Digest;
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("could not read the upload: {e}"))
    };
    let mut opts = ImportOptions::default();
    let mut file: Option<(String, std::path::PathBuf, i64, String)> = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let path = uc::new_upload_path(&s.app, api.ctx.ws).await?;
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| AppError::Internal(format!("cannot store the upload: {e}")))?;
                let mut sha = sha2::Sha256::new();
                let mut size = 0i64;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    sha.update(&chunk);
                    size += chunk.len() as i64;
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::Internal(format!("cannot store the upload: {e}")))?;
                }
                out.flush()
                    .await
                    .map_err(|e| AppError::Internal(format!("cannot store the upload: {e}")))?;
                file = Some((file_name, path, size, hex::encode(sha.finalize())));
            }
            "map" => opts.map.push(field.text().await.map_err(bad)?),
            "default_country" => {
                let v = field.text().await.map_err(bad)?;
                if !v.trim().is_empty() {
                    opts.default_country = Some(v.trim().to_string());
                }
            }
            "on_duplicate" => {
                let v = field.text().await.map_err(bad)?;
                opts.on_duplicate =
                    v.parse()
                        .map_err(|e: prospector_app::core::import::OnDuplicateError| {
                            AppError::invalid("on_duplicate", e.to_string())
                        })?;
            }
            other => {
                return Err(AppError::invalid(
                    other,
                    format!("unknown form field '{other}' (expected file, map, default_country, on_duplicate)"),
                )
                .into());
            }
        }
    }
    let Some((file_name, path, size, sha)) = file else {
        return Err(AppError::invalid("file", "file: the CSV file is missing").into());
    };
    let created = uc::create(&s.app, &api.ctx, &file_name, &path, size, &sha, &opts, true).await;
    match created {
        Ok(imp) => Ok((StatusCode::ACCEPTED, Json(imp.into()))),
        Err(e) => {
            // Nothing refers to a rejected upload; do not keep it.
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportPage {
    /// Return imports with an id lower than this.
    pub before: Option<i64>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(ImportPage),
    responses((status = 200, body = [ImportOut])))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(p): ApiQuery<ImportPage>,
) -> Result<Json<Vec<ImportOut>>, ApiError> {
    let rows = uc::list(&s.app, &api.ctx, p.before, p.limit.unwrap_or(50)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/imports/{import_id}", tag = "imports",
    params(("import_id" = i64, Path)),
    responses((status = 200, body = ImportOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<ImportOut>, ApiError> {
    Ok(Json(uc::get(&s.app, &api.ctx, ImportId(id)).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/imports/{import_id}/cancel", tag = "imports",
    params(("import_id" = i64, Path)),
    responses((status = 200, body = ImportOut), (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<ImportOut>, ApiError> {
    uc::cancel(&s.app, &api.ctx, ImportId(id)).await?;
    Ok(Json(uc::get(&s.app, &api.ctx, ImportId(id)).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorOut {
    pub id: i64,
    pub row: i64,
    pub line: i64,
    pub column: String,
    pub value: String,
    pub reason: String,
    /// error (row not imported) or warning (value dropped, row imported).
    pub severity: String,
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorPage {
    pub data: Vec<RowErrorOut>,
    /// Pass as `after` for the next page.
    pub next_after: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorPageParams {
    pub after: Option<i64>,
    /// 1-1000, default 100.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/imports/{import_id}/errors", tag = "imports",
    params(("import_id" = i64, Path), ErrorPageParams),
    responses((status = 200, body = RowErrorPage), (status = 404, body = ErrorBody)))]
pub async fn errors(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
    ApiQuery(p): ApiQuery<ErrorPageParams>,
) -> Result<Json<RowErrorPage>, ApiError> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let rows = uc::errors(&s.app, &api.ctx, ImportId(id), p.after.unwrap_or(0), limit).await?;
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    Ok(Json(RowErrorPage {
        data: rows
            .into_iter()
            .map(|(id, e)| RowErrorOut {
                id,
                row: e.row_number,
                line: e.line,
                column: e.column_name,
                value: e.value,
                reason: e.reason,
                severity: e.severity,
            })
            .collect(),
        next_after,
    }))
}

#[utoipa::path(get, path = "/api/v1/imports/{import_id}/errors.csv", tag = "imports",
    params(("import_id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn errors_csv(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let body = uc::error_report_csv(&s.app, &api.ctx, ImportId(id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
