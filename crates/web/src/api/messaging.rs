//! WhatsApp and SMS across channels: one message with its provider status, the message log
//! with filters and its CSV export, the cost ledger with totals, and the rate card.

use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Manage};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prospector_app::messaging::costs::{self, CostsOut, RateInput};
use prospector_app::messaging::send::{self, MessageOut};
use prospector_app::store::messaging::{LogFilter, LogRow, RateRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[utoipa::path(get, path = "/api/v1/channel-messages/{channel_message_id}", tag = "messaging",
    params(("channel_message_id" = i64, Path)),
    responses((status = 200, body = MessageOut), (status = 404, body = ErrorBody)))]
pub async fn get_message(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<MessageOut>, ApiError> {
    Ok(Json(send::get(&s.app, &api.ctx, id).await?))
}

/// Filters of the message log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelLogQuery {
    /// whatsapp or sms.
    pub channel: Option<String>,
    /// A send status (sent, failed, cancelled…) or provider status (delivered, read).
    pub status: Option<String>,
    pub template: Option<String>,
    pub broadcast_id: Option<i64>,
    /// Recipient, E.164.
    pub to: Option<String>,
    pub before: Option<i64>,
    /// 1-500 (default 100).
    pub limit: Option<i64>,
}

impl ChannelLogQuery {
    pub fn filter(&self) -> LogFilter {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        LogFilter {
            channel: clean(&self.channel),
            status: clean(&self.status),
            broadcast_id: self.broadcast_id,
            template: clean(&self.template),
            to: clean(&self.to),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelLogPage {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<LogRow>,
    pub next_before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/messaging/log", tag = "messaging", params(ChannelLogQuery),
    responses((status = 200, body = ChannelLogPage), (status = 422, body = ErrorBody)))]
pub async fn log(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ChannelLogQuery>,
) -> Result<Json<ChannelLogPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let data = costs::log(&s.app, &api.ctx, &q.filter(), q.before, limit).await?;
    let next_before = (data.len() as i64 == limit)
        .then(|| data.last().map(|r| r.id))
        .flatten();
    Ok(Json(ChannelLogPage { data, next_before }))
}

#[utoipa::path(get, path = "/api/v1/messaging/log.csv", tag = "messaging", params(ChannelLogQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
pub async fn log_csv(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ChannelLogQuery>,
) -> Result<Response, ApiError> {
    let csv = costs::log_csv(&s.app, &api.ctx, &q.filter(), 100_000).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"messages.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Keyset pagination of the ledger.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CostPageQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/messaging/costs", tag = "messaging", params(CostPageQuery),
    responses((status = 200, body = CostsOut)))]
pub async fn costs_list(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<CostPageQuery>,
) -> Result<Json<CostsOut>, ApiError> {
    Ok(Json(
        costs::costs(&s.app, &api.ctx, q.before, q.limit.unwrap_or(100)).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RateLineList {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<RateRow>,
}

#[utoipa::path(get, path = "/api/v1/messaging/rates", tag = "messaging",
    responses((status = 200, body = RateLineList)))]
pub async fn rates(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<RateLineList>, ApiError> {
    Ok(Json(RateLineList {
        data: costs::list_rates(&s.app, &api.ctx).await?,
    }))
}

#[utoipa::path(put, path = "/api/v1/messaging/rates", tag = "messaging", request_body = RateInput,
    responses((status = 200, body = RateLineList), (status = 422, body = ErrorBody)))]
pub async fn set_rate(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(input): ApiJson<RateInput>,
) -> Result<Json<RateLineList>, ApiError> {
    Ok(Json(RateLineList {
        data: costs::set_rate(&s.app, &api.ctx, &input).await?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/messaging/rates/{rate_id}", tag = "messaging",
    params(("rate_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_rate(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    costs::delete_rate(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
