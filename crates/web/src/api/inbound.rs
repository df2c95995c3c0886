//! Inbound email in the API: leads, conversations (read and answer by email),
//! notifications (list, unread count, mark read), the workspace's reply webhook (set, test,
//! delivery log) and the inbound endpoints email providers post to.

use super::contacts::{ContactOut, CursorPage};
use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Manage, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::inbound::conversations as conv;
use prospector_app::inbound::webhooks as endpoints;
use prospector_app::notifications::{self as uc, NotificationOut, WebhookOut};
use prospector_app::store::conversations::{Conversation, ConversationMessage};
use prospector_app::store::notifications::Delivery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Search and paging of leads.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct LeadQuery {
    /// Words in the name, email, phone or company.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(LeadQuery),
    responses((status = 200, body = CursorPage<ContactOut>), (status = 422, body = ErrorBody)))]
pub async fn leads(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<LeadQuery>,
) -> Result<Json<CursorPage<ContactOut>>, ApiError> {
    let p = conv::leads(&s.app, &api.ctx, q.q, q.cursor).await?;
    Ok(Json(CursorPage {
        data: p.data.into_iter().map(Into::into).collect(),
        next_cursor: p.next_cursor,
    }))
}

/// A conversation with a contact.
#[derive(Serialize, ToSchema)]
pub struct ConversationOut {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub channel: String,
    pub subject: Option<String>,
    pub last_message_at: i64,
    /// Inbound messages not yet read.
    pub unread: i64,
    pub created_at: i64,
}

fn conversation_out(
    c: &Conversation,
    contact: Option<&prospector_app::store::contacts::Contact>,
) -> ConversationOut {
    ConversationOut {
        id: c.id,
        contact_id: c.contact_id,
        contact_name: contact.map(|c| c.display_name()),
        contact_email: contact.and_then(|c| c.f.email.clone()),
        channel: c.channel.clone(),
        subject: c.subject.clone(),
        last_message_at: c.last_message_at,
        unread: c.unread,
        created_at: c.created_at,
    }
}

/// The workspace's conversations, most recent first.
#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    pub data: Vec<ConversationOut>,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "leads",
    responses((status = 200, body = ConversationList)))]
pub async fn conversations(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<ConversationList>, ApiError> {
    let rows = conv::list(&s.app, &api.ctx, 200).await?;
    Ok(Json(ConversationList {
        data: rows
            .iter()
            .map(|r| conversation_out(&r.conversation, r.contact.as_ref()))
            .collect(),
    }))
}

/// One entry of a thread.
#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub id: i64,
    /// `in` (from the contact) or `out` (ours).
    pub direction: String,
    /// Our message (its timeline is `/api/v1/messages/{id}`).
    pub message_id: Option<i64>,
    pub inbound_message_id: Option<i64>,
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    pub subject: Option<String>,
    /// The new text (quoted history and signature removed for inbound messages).
    pub body_text: String,
    pub created_at: i64,
}

impl From<&ConversationMessage> for EntryOut {
    fn from(e: &ConversationMessage) -> Self {
        EntryOut {
            id: e.id,
            direction: e.direction.clone(),
            message_id: e.message_id,
            inbound_message_id: e.inbound_message_id,
            from_address: e.from_address.clone(),
            to_address: e.to_address.clone(),
            subject: e.subject.clone(),
            body_text: e.body_text.clone(),
            created_at: e.created_at,
        }
    }
}

/// A conversation and its thread, oldest first.
#[derive(Serialize, ToSchema)]
pub struct ThreadOut {
    pub conversation: ConversationOut,
    pub entries: Vec<EntryOut>,
}

#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}", tag = "leads",
    params(("conversation_id" = i64, Path)),
    responses((status = 200, body = ThreadOut), (status = 404, body = ErrorBody)))]
pub async fn conversation(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<ThreadOut>, ApiError> {
    let (c, contact, entries) = conv::thread(&s.app, &api.ctx, id).await?;
    Ok(Json(ThreadOut {
        conversation: conversation_out(&c, Some(&contact)),
        entries: entries.iter().map(EntryOut::from).collect(),
    }))
}

/// An answer to send by email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    /// Plain text, sent from the sender that wrote to the contact, in the same thread.
    #[schema(example = "Thursday at 10 works for me.")]
    pub body: String,
}

/// The queued answer.
#[derive(Serialize, ToSchema)]
pub struct ReplyQueued {
    /// Our message in the outbox (`/api/v1/messages/{id}`).
    pub message_id: i64,
}

#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/reply", tag = "leads",
    params(("conversation_id" = i64, Path)), request_body = ReplyInput,
    responses((status = 202, body = ReplyQueued), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReplyInput>,
) -> Result<(StatusCode, Json<ReplyQueued>), ApiError> {
    let message_id = conv::reply(&s.app, &api.ctx, id, &b.body).await?;
    Ok((StatusCode::ACCEPTED, Json(ReplyQueued { message_id })))
}

/// Paging of notifications.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct NotificationQuery {
    /// Return notifications with an id lower than this.
    pub before: Option<i64>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// Only unread ones.
    pub unread: Option<bool>,
}

/// A page of notifications and the unread count (the bell).
#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    pub data: Vec<NotificationOut>,
    pub unread: i64,
    pub next_before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 422, body = ErrorBody)))]
pub async fn notifications(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = uc::list(&s.app, &api.ctx, q.before, limit, q.unread.unwrap_or(false)).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|n| n.id)
    } else {
        None
    };
    Ok(Json(NotificationList {
        data: rows.iter().map(NotificationOut::from).collect(),
        unread: uc::unread_count(&s.app, &api.ctx).await?,
        next_before,
    }))
}

#[utoipa::path(post, path = "/api/v1/notifications/{notification_id}/read", tag = "notifications",
    params(("notification_id" = i64, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
pub async fn read_notification(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<NotificationOut>, ApiError> {
    let n = uc::mark_read(&s.app, &api.ctx, id).await?;
    Ok(Json(NotificationOut::from(&n)))
}

/// How many notifications were marked read.
#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = MarkedRead)))]
pub async fn read_all(
    State(s): State<crate::AppState>,
    api: Api<Write>,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: uc::mark_all_read(&s.app, &api.ctx).await?,
    }))
}

/// The workspace's reply webhook, `null` when none is set.
#[derive(Serialize, ToSchema)]
pub struct WebhookState {
    pub webhook: Option<WebhookOut>,
}

#[utoipa::path(get, path = "/api/v1/webhook", tag = "notifications",
    responses((status = 200, body = WebhookState)))]
pub async fn webhook(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<WebhookState>, ApiError> {
    Ok(Json(WebhookState {
        webhook: uc::webhook(&s.app, &api.ctx).await?,
    }))
}

/// Where to POST reply events.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    #[schema(example = "https://hooks.example.com/prospector")]
    pub url: String,
    /// The signing secret (16-200 printable characters); omitted: a new one is made, or the
    /// current one kept when the URL is unchanged.
    pub secret: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

#[utoipa::path(put, path = "/api/v1/webhook", tag = "notifications", request_body = WebhookInput,
    responses((status = 200, body = WebhookOut), (status = 422, body = ErrorBody)))]
pub async fn set_webhook(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(b): ApiJson<WebhookInput>,
) -> Result<Json<WebhookOut>, ApiError> {
    Ok(Json(
        uc::set_webhook(
            &s.app,
            &api.ctx,
            &b.url,
            b.secret.as_deref(),
            b.enabled.unwrap_or(true),
        )
        .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhook", tag = "notifications",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<StatusCode, ApiError> {
    uc::delete_webhook(&s.app, &api.ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One webhook delivery and its attempts.
#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    pub event: String,
    /// pending, delivered or failed (gave up after the last attempt).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    /// The JSON body sent.
    pub body: String,
}

impl From<&Delivery> for DeliveryOut {
    fn from(d: &Delivery) -> Self {
        DeliveryOut {
            id: d.id,
            event: d.event.clone(),
            state: d.state.clone(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            body: d.body.clone(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/webhook/test", tag = "notifications",
    responses((status = 202, body = DeliveryOut), (status = 422, body = ErrorBody)))]
pub async fn test_webhook(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<(StatusCode, Json<DeliveryOut>), ApiError> {
    let d = uc::send_test(&s.app, &api.ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryOut::from(&d))))
}

/// Paging of deliveries.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DeliveryQuery {
    /// Return deliveries with an id lower than this.
    pub before: Option<i64>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
}

/// Webhook deliveries, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryOut>,
    pub next_before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/webhook/deliveries", tag = "notifications", params(DeliveryQuery),
    responses((status = 200, body = DeliveryList)))]
pub async fn deliveries(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = uc::deliveries(&s.app, &api.ctx, q.before, limit).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|d| d.id)
    } else {
        None
    };
    Ok(Json(DeliveryList {
        data: rows.iter().map(DeliveryOut::from).collect(),
        next_before,
    }))
}

#[utoipa::path(get, path = "/api/v1/webhook/deliveries/{delivery_id}", tag = "notifications",
    params(("delivery_id" = i64, Path)),
    responses((status = 200, body = DeliveryOut), (status = 404, body = ErrorBody)))]
pub async fn delivery(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<DeliveryOut>, ApiError> {
    Ok(Json(DeliveryOut::from(
        &uc::delivery(&s.app, &api.ctx, id).await?,
    )))
}

/// An inbound endpoint (the path carries its secret token).
#[derive(Serialize, ToSchema)]
pub struct EndpointOut {
    /// sendgrid, resend or inbound.
    pub provider: String,
    /// The full URL to give the provider.
    pub url: String,
    pub has_secret: bool,
}

fn endpoint_out(s: &crate::AppState, e: &endpoints::EndpointOut) -> EndpointOut {
    EndpointOut {
        provider: e.provider.clone(),
        url: format!(
            "{}{}",
            s.app.config().public_url.trim_end_matches('/'),
            e.path
        ),
        has_secret: e.has_secret,
    }
}

/// The workspace's inbound endpoints.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<EndpointOut>,
}

#[utoipa::path(get, path = "/api/v1/inbound-endpoints", tag = "notifications",
    responses((status = 200, body = EndpointList)))]
pub async fn inbound_endpoints(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<Json<EndpointList>, ApiError> {
    let rows = endpoints::endpoints(&s.app, &api.ctx).await?;
    Ok(Json(EndpointList {
        data: rows.iter().map(|e| endpoint_out(&s, e)).collect(),
    }))
}

/// An endpoint to create or rotate (a new token each time: the old URL stops working).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// sendgrid, resend or inbound.
    #[schema(example = "inbound")]
    pub provider: String,
    /// SendGrid's verification key (base64 or PEM) or Resend's `whsec_...` secret; none for
    /// `inbound`.
    pub secret: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/inbound-endpoints", tag = "notifications", request_body = EndpointInput,
    responses((status = 201, body = EndpointOut), (status = 422, body = ErrorBody)))]
pub async fn set_inbound_endpoint(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(b): ApiJson<EndpointInput>,
) -> Result<(StatusCode, Json<EndpointOut>), ApiError> {
    let e =
        endpoints::set_endpoint(&s.app, &api.ctx, b.provider.trim(), b.secret.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(endpoint_out(&s, &e))))
}
