//! Lead scores, business analyses and the ideal customer profile: read or recompute a
//! company's score (factors with points and reasons), read or generate its analysis, read or
//! change the workspace's profile (with the presets), and queue a re-score of the workspace.

use super::json::ApiJson;
use crate::auth::{Api, Manage, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::AppError;
use prospector_app::core::ids::CompanyId;
use prospector_app::core::scoring::IcpProfile;
use prospector_app::scoring::{self as uc, AnalysisOut, ScoreOut};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[utoipa::path(get, path = "/api/v1/companies/{company_id}/score", tag = "scores",
    params(("company_id" = i64, Path)),
    responses((status = 200, body = ScoreOut), (status = 404, body = ErrorBody)))]
pub async fn get_score(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<ScoreOut>, ApiError> {
    Ok(Json(
        uc::current_score(&s.app, &api.ctx, CompanyId(id)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/companies/{company_id}/score", tag = "scores",
    params(("company_id" = i64, Path)),
    responses((status = 200, body = ScoreOut), (status = 404, body = ErrorBody)))]
pub async fn rescore(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<ScoreOut>, ApiError> {
    Ok(Json(
        uc::score_company(&s.app, &api.ctx, CompanyId(id)).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AnalysisEnvelope {
    /// The newest analysis; absent until one is generated.
    pub analysis: Option<AnalysisOut>,
}

#[utoipa::path(get, path = "/api/v1/companies/{company_id}/analysis", tag = "scores",
    params(("company_id" = i64, Path)),
    responses((status = 200, body = AnalysisEnvelope), (status = 404, body = ErrorBody)))]
pub async fn get_analysis(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<AnalysisEnvelope>, ApiError> {
    let analysis = uc::company_analysis(&s.app, &api.ctx, CompanyId(id)).await?;
    Ok(Json(AnalysisEnvelope { analysis }))
}

#[utoipa::path(post, path = "/api/v1/companies/{company_id}/analysis", tag = "scores",
    params(("company_id" = i64, Path)),
    responses((status = 201, body = AnalysisOut), (status = 404, body = ErrorBody)))]
pub async fn analyze(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<AnalysisOut>), ApiError> {
    let a = uc::analyze_company(&s.app, &api.ctx, CompanyId(id)).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Serialize, ToSchema)]
pub struct IcpOut {
    /// The workspace's profile: key, name, description, weights (website_opportunity,
    /// reputation, reachability, fit, timing: 0-100 each), targets, channel, tiers {a, b}.
    #[schema(value_type = Object)]
    pub profile: IcpProfile,
    /// The built-in presets (web_agency, marketing_agency, real_estate, local_services).
    #[schema(value_type = Vec<Object>)]
    pub presets: Vec<IcpProfile>,
    /// The re-score job queued by a change.
    pub rescore_job_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/icp", tag = "scores",
    responses((status = 200, body = IcpOut)))]
pub async fn get_icp(State(s): State<crate::AppState>, api: Api) -> Result<Json<IcpOut>, ApiError> {
    Ok(Json(IcpOut {
        profile: uc::icp(&s.app, &api.ctx).await?,
        presets: uc::presets(),
        rescore_job_id: None,
    }))
}

/// Either a preset key or a whole profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IcpUpdate {
    /// Start from this preset (web_agency, marketing_agency, real_estate, local_services).
    pub preset: Option<String>,
    /// A whole profile, as returned by GET.
    #[schema(value_type = Option<Object>)]
    pub profile: Option<serde_json::Value>,
}

#[utoipa::path(put, path = "/api/v1/icp", tag = "scores", request_body = IcpUpdate,
    responses((status = 200, body = IcpOut), (status = 422, body = ErrorBody)))]
pub async fn put_icp(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(u): ApiJson<IcpUpdate>,
) -> Result<Json<IcpOut>, ApiError> {
    let (profile, job) = match (u.preset, u.profile) {
        (Some(p), None) => uc::apply_preset(&s.app, &api.ctx, &p).await?,
        (None, Some(v)) => {
            let p: IcpProfile = serde_json::from_value(v)
                .map_err(|e| AppError::invalid("profile", format!("profile: {e}")))?;
            uc::update_icp(&s.app, &api.ctx, p).await?
        }
        _ => {
            return Err(AppError::invalid("preset", "send either preset or profile").into());
        }
    };
    Ok(Json(IcpOut {
        profile,
        presets: uc::presets(),
        rescore_job_id: job.map(|j| j.0),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RescoreQueued {
    pub job_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/scores/rescore", tag = "scores",
    responses((status = 202, body = RescoreQueued)))]
pub async fn rescore_all(
    State(s): State<crate::AppState>,
    api: Api<Write>,
) -> Result<(StatusCode, Json<RescoreQueued>), ApiError> {
    let job = uc::request_rescore(&s.app, &api.ctx).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RescoreQueued {
            job_id: job.map(|j| j.0),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/settings/ai", tag = "scores",
    responses((status = 200, body = uc::AiSettingsOut)))]
pub async fn get_ai_settings(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<uc::AiSettingsOut>, ApiError> {
    Ok(Json(uc::ai_settings(&s.app, &api.ctx).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/ai", tag = "scores",
    request_body = uc::AiSettingsInput,
    responses((status = 200, body = uc::AiSettingsOut), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_ai_settings(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(u): ApiJson<uc::AiSettingsInput>,
) -> Result<Json<uc::AiSettingsOut>, ApiError> {
    Ok(Json(uc::update_ai_settings(&s.app, &api.ctx, &u).await?))
}

#[utoipa::path(post, path = "/api/v1/settings/ai/test", tag = "scores",
    responses((status = 200, body = uc::AiTestOut), (status = 422, body = ErrorBody)))]
pub async fn test_ai(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<Json<uc::AiTestOut>, ApiError> {
    Ok(Json(uc::test_ai(&s.app, &api.ctx).await?))
}

#[utoipa::path(get, path = "/api/v1/ai/usage", tag = "scores",
    responses((status = 200, body = uc::AiUsageOut)))]
pub async fn ai_usage(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<uc::AiUsageOut>, ApiError> {
    Ok(Json(uc::ai_usage(&s.app, &api.ctx).await?))
}
