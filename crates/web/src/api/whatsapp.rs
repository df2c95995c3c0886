//! WhatsApp: the workspace's number (connect, read, test, disconnect), templates (create and
//! submit, list with search and status filter, read with the phone preview, sync from Meta,
//! delete), sending a template, free text or media by link, and broadcasts. Secrets go in and never come
//! out.

use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Manage, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::AppError;
use prospector_app::messaging::broadcasts::{self, BroadcastInput, BroadcastOut};
use prospector_app::messaging::connections::{self, TestOut, WhatsAppInput, WhatsAppOut};
use prospector_app::messaging::send::{
    self, MediaSendInput, MessageOut, TemplateSendInput, TextSendInput,
};
use prospector_app::messaging::templates::{self, TemplateInput, TemplateOut};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[utoipa::path(get, path = "/api/v1/whatsapp/connection", tag = "whatsapp",
    responses((status = 200, body = WhatsAppOut), (status = 404, body = ErrorBody)))]
pub async fn connection(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<WhatsAppOut>, ApiError> {
    Ok(Json(
        connections::whatsapp(&s.app, &api.ctx)
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}

#[utoipa::path(put, path = "/api/v1/whatsapp/connection", tag = "whatsapp", request_body = WhatsAppInput,
    responses((status = 200, body = WhatsAppOut), (status = 422, body = ErrorBody)))]
pub async fn connect(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(input): ApiJson<WhatsAppInput>,
) -> Result<Json<WhatsAppOut>, ApiError> {
    Ok(Json(
        connections::connect_whatsapp(&s.app, &api.ctx, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/whatsapp/connection", tag = "whatsapp",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disconnect(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<StatusCode, ApiError> {
    connections::disconnect_whatsapp(&s.app, &api.ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/whatsapp/connection/test", tag = "whatsapp",
    responses((status = 200, body = TestOut), (status = 422, body = ErrorBody)))]
pub async fn test(
    State(s): State<crate::AppState>,
    api: Api<Write>,
) -> Result<Json<TestOut>, ApiError> {
    Ok(Json(connections::test_whatsapp(&s.app, &api.ctx).await?))
}

/// Filters of the template list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaTemplateQuery {
    /// Part of the name.
    pub q: Option<String>,
    /// PENDING, APPROVED, REJECTED, PAUSED, DISABLED…
    pub status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WaTemplateList {
    pub data: Vec<TemplateOut>,
}

#[utoipa::path(get, path = "/api/v1/whatsapp/templates", tag = "whatsapp", params(WaTemplateQuery),
    responses((status = 200, body = WaTemplateList)))]
pub async fn list_templates(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<WaTemplateQuery>,
) -> Result<Json<WaTemplateList>, ApiError> {
    Ok(Json(WaTemplateList {
        data: templates::list(&s.app, &api.ctx, q.q.as_deref(), q.status.as_deref()).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/whatsapp/templates", tag = "whatsapp", request_body = TemplateInput,
    responses((status = 201, body = TemplateOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_template(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    let t = templates::create(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/api/v1/whatsapp/templates/{wa_template_id}", tag = "whatsapp",
    params(("wa_template_id" = i64, Path)),
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<TemplateOut>, ApiError> {
    Ok(Json(templates::get(&s.app, &api.ctx, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/whatsapp/templates/{wa_template_id}", tag = "whatsapp",
    params(("wa_template_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    templates::delete(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct WaSyncOut {
    /// Templates read from the WhatsApp Business Account.
    pub synced: usize,
}

#[utoipa::path(post, path = "/api/v1/whatsapp/templates/sync", tag = "whatsapp",
    responses((status = 200, body = WaSyncOut), (status = 422, body = ErrorBody)))]
pub async fn sync_templates(
    State(s): State<crate::AppState>,
    api: Api<Write>,
) -> Result<Json<WaSyncOut>, ApiError> {
    Ok(Json(WaSyncOut {
        synced: templates::sync(&s.app, &api.ctx).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/whatsapp/messages", tag = "whatsapp", request_body = TemplateSendInput,
    responses((status = 201, body = MessageOut), (status = 422, body = ErrorBody)))]
pub async fn send_template(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<TemplateSendInput>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let m = send::send_template_now(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[utoipa::path(post, path = "/api/v1/whatsapp/messages/text", tag = "whatsapp", request_body = TextSendInput,
    responses((status = 201, body = MessageOut), (status = 422, body = ErrorBody)))]
pub async fn send_text(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<TextSendInput>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let m = send::send_text_now(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// An image, document, video or audio by public link: free-form, so only inside the
/// 24-hour window (outside it the fallback template is sent, or the message is skipped
/// with the reason, never sent). A bad kind, link, caption or file name is a 422 naming
/// the field.
#[utoipa::path(post, path = "/api/v1/whatsapp/messages/media", tag = "whatsapp", request_body = MediaSendInput,
    responses((status = 201, body = MessageOut), (status = 422, body = ErrorBody)))]
pub async fn send_media(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<MediaSendInput>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let m = send::send_media_now(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Serialize, ToSchema)]
pub struct WaBroadcastList {
    pub data: Vec<BroadcastOut>,
}

#[utoipa::path(get, path = "/api/v1/whatsapp/broadcasts", tag = "whatsapp",
    responses((status = 200, body = WaBroadcastList)))]
pub async fn list_broadcasts(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<WaBroadcastList>, ApiError> {
    Ok(Json(WaBroadcastList {
        data: broadcasts::list(&s.app, &api.ctx).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/whatsapp/broadcasts", tag = "whatsapp", request_body = BroadcastInput,
    responses((status = 201, body = BroadcastOut), (status = 422, body = ErrorBody)))]
pub async fn create_broadcast(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<BroadcastInput>,
) -> Result<(StatusCode, Json<BroadcastOut>), ApiError> {
    let b = broadcasts::create(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[utoipa::path(get, path = "/api/v1/whatsapp/broadcasts/{broadcast_id}", tag = "whatsapp",
    params(("broadcast_id" = i64, Path)),
    responses((status = 200, body = BroadcastOut), (status = 404, body = ErrorBody)))]
pub async fn get_broadcast(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<BroadcastOut>, ApiError> {
    Ok(Json(broadcasts::get(&s.app, &api.ctx, id).await?))
}
