//! Background jobs of the workspace: progress, failures, manual retry of dead jobs.

use super::{Page, PageParams};
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use prospector_app::store::jobs::Job;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct JobOut {
    pub id: i64,
    pub kind: String,
    /// queued, running, succeeded, dead or cancelled
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub result: Option<serde_json::Value>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        JobOut {
            id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            progress_done: j.progress_done,
            progress_total: j.progress_total,
            result: j.result.and_then(|r| serde_json::from_str(&r).ok()),
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct JobFilter {
    /// queued, running, succeeded, dead or cancelled
    pub state: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobFilter, PageParams),
    responses((status = 200, body = Page<JobOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
    Query(f): Query<JobFilter>,
    Query(p): Query<PageParams>,
) -> Result<Json<Page<JobOut>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let rows =
        prospector_app::jobs::list(&s.app, &api.ctx, f.state.as_deref(), p.before, limit).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|j| j.id)
    } else {
        None
    };
    Ok(Json(Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", tag = "jobs", params(("job_id" = i64, Path)),
    responses((status = 200, body = JobOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        prospector_app::jobs::get(&s.app, &api.ctx, id)
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/jobs/{job_id}/retry", tag = "jobs", params(("job_id" = i64, Path)),
    responses((status = 200, body = JobOut), (status = 404, body = ErrorBody)))]
pub async fn retry(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        prospector_app::jobs::retry(&s.app, &api.ctx, id)
            .await?
            .into(),
    ))
}
