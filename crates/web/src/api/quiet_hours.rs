//! The workspace's quiet hours for WhatsApp and SMS broadcasts (see
//! `prospector_app::messaging::quiet_hours`).

use super::json::ApiJson;
use crate::auth::{Api, Manage};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::State;
use prospector_app::messaging::quiet_hours::{self as uc, QuietHours};

#[utoipa::path(get, path = "/api/v1/settings/quiet-hours", tag = "messaging",
    responses((status = 200, body = QuietHours)))]
pub async fn get_quiet_hours(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<QuietHours>, ApiError> {
    Ok(Json(uc::get(&s.app, &api.ctx).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/quiet-hours", tag = "messaging",
    request_body = QuietHours,
    responses((status = 200, body = QuietHours), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn put_quiet_hours(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(q): ApiJson<QuietHours>,
) -> Result<Json<QuietHours>, ApiError> {
    Ok(Json(uc::update(&s.app, &api.ctx, q).await?))
}
