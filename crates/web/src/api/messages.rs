//! Outreach messages: one message with its event timeline, marking it replied (which stops
//! the sequences that stop on a reply), re-queueing messages whose outcome is unknown, editing
//! a message waiting for approval, and a contact's messages.

use super::Page;
use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::{campaigns, events};
use prospector_app::store::MessageId;
use prospector_app::store::messages::{Message, MessageEvent};
use prospector_app::{App, AppError, AppResult, WsCtx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Keyset pagination parameters of the outreach lists.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Cursor {
    /// Return items with an id lower than this.
    pub before: Option<i64>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
}

/// One attempt to reach someone.
#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    /// Absent for a test send.
    pub campaign_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub step_id: Option<i64>,
    pub variant_id: Option<i64>,
    /// Absent for a test send.
    pub contact_id: Option<i64>,
    /// email.
    pub channel: String,
    pub sender_id: Option<i64>,
    pub from_address: Option<String>,
    pub to_address: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The RFC 5322 Message-ID, the same on every attempt.
    pub message_id_header: Option<String>,
    pub in_reply_to: Option<String>,
    /// pending_approval, queued, sending, sent, failed, uncertain, rejected or cancelled.
    pub status: String,
    pub attempts: i64,
    pub provider_id: Option<String>,
    /// Why it failed, was retried or cancelled.
    pub error: Option<String>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub scheduled_at: i64,
    pub attempted_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub replied_at: Option<i64>,
    pub bounced_at: Option<i64>,
    pub unsubscribed_at: Option<i64>,
    pub complained_at: Option<i64>,
    pub opens: i64,
    pub clicks: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        MessageOut {
            id: m.id,
            campaign_id: m.campaign_id,
            enrollment_id: m.enrollment_id,
            step_id: m.step_id,
            variant_id: m.variant_id,
            contact_id: m.contact_id,
            channel: m.channel,
            sender_id: m.sender_id,
            from_address: m.from_address,
            to_address: m.to_address,
            subject: m.subject,
            body_text: m.body_text,
            body_html: m.body_html,
            message_id_header: m.message_id_header,
            in_reply_to: m.in_reply_to,
            status: m.status,
            attempts: m.attempts,
            provider_id: m.provider_id,
            error: m.error,
            cost_minor: m.cost_minor,
            currency: m.currency,
            scheduled_at: m.scheduled_at,
            attempted_at: m.attempted_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            opened_at: m.opened_at,
            clicked_at: m.clicked_at,
            replied_at: m.replied_at,
            bounced_at: m.bounced_at,
            unsubscribed_at: m.unsubscribed_at,
            complained_at: m.complained_at,
            opens: m.opens,
            clicks: m.clicks,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One entry of a message's append-only history.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    /// queued, sending, sent, opened, clicked, replied, bounced, unsubscribed, failed,
    /// uncertain, approved, rejected, cancelled...
    pub kind: String,
    /// A reason or the provider's answer.
    pub detail: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: i64,
}

impl From<MessageEvent> for EventOut {
    fn from(e: MessageEvent) -> Self {
        EventOut {
            id: e.id,
            kind: e.kind,
            detail: e.detail,
            data: serde_json::from_str(&e.data).unwrap_or_default(),
            created_at: e.created_at,
        }
    }
}

/// A message with its timeline, oldest event first.
#[derive(Serialize, ToSchema)]
pub struct MessageDetail {
    pub message: MessageOut,
    pub events: Vec<EventOut>,
}

/// The message, or `NotFound` when it is not the workspace's.
pub(crate) async fn existing(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Message> {
    Ok(prospector_app::store::messages::get(app.db(), ctx.ws, MessageId(id)).await?)
}

/// A page of messages with the cursor for the next one.
pub(crate) fn page_of(rows: Vec<Message>, limit: i64) -> Page<MessageOut> {
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|m| m.id)
    } else {
        None
    };
    Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_before,
    }
}

#[utoipa::path(get, path = "/api/v1/messages/{message_id}", tag = "messages",
    params(("message_id" = i64, Path)),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<MessageDetail>, ApiError> {
    let (m, ev) = events::timeline(&s.app, &api.ctx, id).await?;
    Ok(Json(MessageDetail {
        message: m.into(),
        events: ev.into_iter().map(Into::into).collect(),
    }))
}

/// The new subject and text of a message waiting for approval.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEdit {
    pub subject: String,
    /// Plain text; the HTML part is made from it.
    pub body: String,
}

#[utoipa::path(put, path = "/api/v1/messages/{message_id}", tag = "messages",
    params(("message_id" = i64, Path)), request_body = MessageEdit,
    responses((status = 200, body = MessageOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(e): ApiJson<MessageEdit>,
) -> Result<Json<MessageOut>, ApiError> {
    existing(&s.app, &api.ctx, id).await?;
    let m = campaigns::edit_pending(&s.app, &api.ctx, id, &e.subject, &e.body).await?;
    Ok(Json(m.into()))
}

#[utoipa::path(post, path = "/api/v1/messages/{message_id}/replied", tag = "messages",
    params(("message_id" = i64, Path)),
    responses((status = 200, body = MessageOut), (status = 404, body = ErrorBody)))]
pub async fn replied(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<MessageOut>, ApiError> {
    let m = events::mark_replied(&s.app, &api.ctx, id, None).await?;
    Ok(Json(m.into()))
}

/// Messages to act on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIds {
    pub ids: Vec<i64>,
}

/// How many messages an action changed.
#[derive(Serialize, ToSchema)]
pub struct Changed {
    pub changed: usize,
}

#[utoipa::path(post, path = "/api/v1/messages/retry", tag = "messages", request_body = MessageIds,
    responses((status = 200, body = Changed), (status = 422, body = ErrorBody)))]
pub async fn retry(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(b): ApiJson<MessageIds>,
) -> Result<Json<Changed>, ApiError> {
    if b.ids.is_empty() {
        return Err(AppError::invalid("ids", "name at least one message").into());
    }
    if b.ids.len() > 1000 {
        return Err(AppError::invalid("ids", "at most 1000 messages at a time").into());
    }
    let changed = campaigns::retry_uncertain(&s.app, &api.ctx, &b.ids).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}/messages", tag = "messages",
    params(("contact_id" = i64, Path), Cursor),
    responses((status = 200, body = Page<MessageOut>), (status = 404, body = ErrorBody)))]
pub async fn of_contact(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
    ApiQuery(p): ApiQuery<Cursor>,
) -> Result<Json<Page<MessageOut>>, ApiError> {
    prospector_app::contacts::contact(&s.app, &api.ctx, ContactId(id)).await?;
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let rows = prospector_app::store::messages::list_for_contact(
        s.app.db(),
        api.ctx.ws,
        ContactId(id),
        p.before,
        limit,
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(page_of(rows, limit)))
}
