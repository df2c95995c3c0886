//! SMS through Twilio: the workspace's sender (connect, read, test, disconnect) and sending
//! one SMS. The auth token goes in and never comes out.

use super::json::ApiJson;
use crate::auth::{Api, Manage, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use prospector_app::AppError;
use prospector_app::messaging::connections::{self, SmsInput, SmsOut, TestOut};
use prospector_app::messaging::send::{self, MessageOut, SmsSendInput};

#[utoipa::path(get, path = "/api/v1/sms/connection", tag = "sms",
    responses((status = 200, body = SmsOut), (status = 404, body = ErrorBody)))]
pub async fn connection(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<SmsOut>, ApiError> {
    Ok(Json(
        connections::sms(&s.app, &api.ctx)
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}

#[utoipa::path(put, path = "/api/v1/sms/connection", tag = "sms", request_body = SmsInput,
    responses((status = 200, body = SmsOut), (status = 422, body = ErrorBody)))]
pub async fn connect(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(input): ApiJson<SmsInput>,
) -> Result<Json<SmsOut>, ApiError> {
    Ok(Json(
        connections::connect_sms(&s.app, &api.ctx, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/sms/connection", tag = "sms",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disconnect(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<StatusCode, ApiError> {
    connections::disconnect_sms(&s.app, &api.ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/sms/connection/test", tag = "sms",
    responses((status = 200, body = TestOut), (status = 422, body = ErrorBody)))]
pub async fn test(
    State(s): State<crate::AppState>,
    api: Api<Write>,
) -> Result<Json<TestOut>, ApiError> {
    Ok(Json(connections::test_sms(&s.app, &api.ctx).await?))
}

#[utoipa::path(post, path = "/api/v1/sms/messages", tag = "sms", request_body = SmsSendInput,
    responses((status = 201, body = MessageOut), (status = 422, body = ErrorBody)))]
pub async fn send(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<SmsSendInput>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let m = send::send_sms_now(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(m)))
}
