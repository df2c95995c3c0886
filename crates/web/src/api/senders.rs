//! Email senders: list, create, read, change and delete SMTP accounts and email APIs (and the
//! sandbox), test their connection, pause and resume them, and generate a DKIM key whose DNS
//! record the user publishes. Secrets go in and never come out.

use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Manage, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::inbound::mailboxes::{self, MailboxOut};
use prospector_app::outreach::senders::{self as uc, DkimRecord, SenderInput, SenderOut};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every sender of the workspace.
#[derive(Serialize, ToSchema)]
pub struct SenderList {
    pub data: Vec<SenderOut>,
}

#[utoipa::path(get, path = "/api/v1/senders", tag = "senders",
    responses((status = 200, body = SenderList)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<SenderList>, ApiError> {
    Ok(Json(SenderList {
        data: uc::list(&s.app, &api.ctx).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/senders", tag = "senders", request_body = SenderInput,
    responses((status = 201, body = SenderOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<(StatusCode, Json<SenderOut>), ApiError> {
    let out = uc::create(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/senders/{sender_id}", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 200, body = SenderOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<SenderOut>, ApiError> {
    Ok(Json(uc::get(&s.app, &api.ctx, id).await?))
}

#[utoipa::path(put, path = "/api/v1/senders/{sender_id}", tag = "senders",
    params(("sender_id" = i64, Path)), request_body = SenderInput,
    responses((status = 200, body = SenderOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Json<SenderOut>, ApiError> {
    Ok(Json(uc::update(&s.app, &api.ctx, id, &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/senders/{sender_id}", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    uc::delete(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the provider answered to a connection test.
#[derive(Serialize, ToSchema)]
pub struct ConnectionTest {
    pub ok: bool,
    /// The server's greeting or the API's answer.
    pub report: String,
}

#[utoipa::path(post, path = "/api/v1/senders/{sender_id}/test", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 200, body = ConnectionTest), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<ConnectionTest>, ApiError> {
    let report = uc::test_connection(&s.app, &api.ctx, id).await?;
    Ok(Json(ConnectionTest { ok: true, report }))
}

#[utoipa::path(post, path = "/api/v1/senders/{sender_id}/pause", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 200, body = SenderOut), (status = 404, body = ErrorBody)))]
pub async fn pause(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<SenderOut>, ApiError> {
    uc::get(&s.app, &api.ctx, id).await?;
    Ok(Json(
        uc::set_paused(&s.app, &api.ctx, id, true, None).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/senders/{sender_id}/resume", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 200, body = SenderOut), (status = 404, body = ErrorBody)))]
pub async fn resume(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<SenderOut>, ApiError> {
    uc::get(&s.app, &api.ctx, id).await?;
    Ok(Json(
        uc::set_paused(&s.app, &api.ctx, id, false, None).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DkimParams {
    /// The DKIM selector (default `prospector`).
    pub selector: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/senders/{sender_id}/dkim", tag = "senders",
    params(("sender_id" = i64, Path), DkimParams),
    responses((status = 201, body = DkimRecord), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dkim(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
    ApiQuery(p): ApiQuery<DkimParams>,
) -> Result<(StatusCode, Json<DkimRecord>), ApiError> {
    let r = uc::generate_dkim(&s.app, &api.ctx, id, p.selector.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The IMAP mailbox to set for a sender.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    /// `imaps://user:pass@host[:port]/INBOX` (`imap://` with `?tls=starttls|none`).
    pub imap_url: String,
}

/// A sender's IMAP mailbox, `null` when none is set.
#[derive(Serialize, ToSchema)]
pub struct SenderMailbox {
    pub mailbox: Option<MailboxOut>,
}

#[utoipa::path(get, path = "/api/v1/senders/{sender_id}/mailbox", tag = "senders",
    params(("sender_id" = i64, Path)),
    responses((status = 200, body = SenderMailbox), (status = 404, body = ErrorBody)))]
pub async fn mailbox(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<SenderMailbox>, ApiError> {
    let m = mailboxes::of_sender(&s.app, &api.ctx, id).await?;
    Ok(Json(SenderMailbox {
        mailbox: m.as_ref().map(MailboxOut::from),
    }))
}

#[utoipa::path(put, path = "/api/v1/senders/{sender_id}/mailbox", tag = "senders",
    params(("sender_id" = i64, Path)), request_body = MailboxInput,
    responses((status = 200, body = MailboxOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_mailbox(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<MailboxInput>,
) -> Result<Json<MailboxOut>, ApiError> {
    let m = mailboxes::set_for_sender_id(&s.app, &api.ctx, id, &input.imap_url).await?;
    Ok(Json(MailboxOut::from(&m)))
}
