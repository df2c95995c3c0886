//! Telling people that something happened — for now, that a prospect replied. Two ways, both
//! per workspace: an in-app notification (the bell in the page header and the notifications
//! page, read by any member, marked read by members who may write), and an optional
//! outgoing webhook that receives the same event as a signed JSON POST.
//!
//! A webhook delivery is logged first (`webhook_deliveries`) and sent by the
//! `notifications.deliver` job, so a slow or broken receiver never delays inbound
//! processing; a failed attempt (no answer, or not 2xx) is retried by the job queue with
//! exponential backoff up to [`MAX_ATTEMPTS`] times, each attempt recorded on the delivery.
//!
//! Signature: the request carries `X-Prospector-Timestamp: <unix seconds>` and
//! `X-Prospector-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` —
//! the Stripe scheme, so receivers can use a well-known check and refuse replays by the
//! timestamp.

use crate::jobs::{JobCtx, JobError, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::notifications::{self as store, Delivery, NewNotification, Notification};
use prospector_store::{ContactId, WorkspaceId};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

/// The job that sends one webhook delivery.
pub const DELIVER_JOB: &str = "notifications.deliver";
/// Attempts per delivery (the job queue's backoff spaces them from seconds to hours).
pub const MAX_ATTEMPTS: i64 = 12;
/// Header with the signing time, unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Prospector-Timestamp";
/// Header with `t=<unix>,v1=<hex hmac>`.
pub const SIGNATURE_HEADER: &str = "X-Prospector-Signature";
/// Header naming the event (`reply.received`, `test`).
pub const EVENT_HEADER: &str = "X-Prospector-Event";
/// Header with the delivery id, stable across retries (receivers deduplicate on it).
pub const DELIVERY_HEADER: &str = "X-Prospector-Delivery";
/// The receiver must answer within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// What is kept of the receiver's error answer in the log.
const MAX_ERROR_LEN: usize = 300;

/// The signature header for `body` signed at `timestamp` (unix seconds) with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    prospector_channels::webhooks::stripe_signature(secret, timestamp, body)
}

/// Check a signature header as a receiver would (tests, and documentation by example).
pub fn verify_signature(
    secret: &str,
    body: &[u8],
    header: Option<&str>,
    now_unix: i64,
) -> Result<i64, prospector_channels::webhooks::SignatureError> {
    prospector_channels::webhooks::verify_stripe_signature(secret, body, header, now_unix, 300)
}

/// A notification as the API and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where to look, relative to the workspace (`conversations/12`).
    pub link: Option<String>,
    pub contact_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub read: bool,
    pub read_at: Option<i64>,
    pub created_at: i64,
}

impl From<&Notification> for NotificationOut {
    fn from(n: &Notification) -> Self {
        NotificationOut {
            id: n.id,
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            contact_id: n.contact_id,
            conversation_id: n.conversation_id,
            read: n.read_at.is_some(),
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// The workspace's notifications, newest first.
pub async fn list(
    app: &App,
    ctx: &WsCtx,
    before: Option<i64>,
    limit: i64,
    unread_only: bool,
) -> AppResult<Vec<Notification>> {
    Ok(store::list(app.db(), ctx.ws, before, limit, unread_only).await?)
}

/// How many notifications are unread (the bell).
pub async fn unread_count(app: &App, ctx: &WsCtx) -> AppResult<i64> {
    Ok(store::unread_count(app.db(), ctx.ws).await?)
}

/// Mark one notification read.
pub async fn mark_read(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Notification> {
    ctx.require(Permission::Write)?;
    store::mark_read(app.db(), ctx.ws, id).await?;
    Ok(store::get(app.db(), ctx.ws, id).await?)
}

/// Mark every notification read. Returns how many were unread.
pub async fn mark_all_read(app: &App, ctx: &WsCtx) -> AppResult<u64> {
    ctx.require(Permission::Write)?;
    Ok(store::mark_all_read(app.db(), ctx.ws).await?)
}

/// What a reply notification says.
pub struct ReplyEvent<'a> {
    pub inbound_id: i64,
    pub contact: ContactId,
    pub conversation_id: i64,
    pub message_id: i64,
    pub from: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub text: &'a str,
    pub became_lead: bool,
}

/// A prospect replied: notify in the app and, when the workspace has a webhook, queue its
/// delivery. Notifying the same inbound message twice is a no-op.
pub async fn reply_received(app: &App, ws: WorkspaceId, e: &ReplyEvent<'_>) -> AppResult<()> {
    let db = app.db();
    let contact = prospector_store::contacts::get(db, ws, e.contact).await?;
    let who = contact.display_name();
    let title = if e.became_lead {
        format!("New lead: {who} replied")
    } else {
        format!("{who} replied")
    };
    let snippet = crate::inbound::process::snippet(e.text);
    let link = format!("conversations/{}", e.conversation_id);
    let key = format!("reply:{}", e.inbound_id);
    let Some(n) = store::create(
        db,
        ws,
        &NewNotification {
            kind: "reply",
            title: &title,
            body: &snippet,
            link: Some(&link),
            contact: Some(e.contact),
            conversation_id: Some(e.conversation_id),
            dedup_key: &key,
        },
    )
    .await?
    else {
        return Ok(());
    };
    tracing::info!(
        workspace = ws.0,
        notification = n.id,
        contact = e.contact.0,
        "reply notification"
    );
    let Some(hook) = store::webhook(db, ws).await? else {
        return Ok(());
    };
    if !hook.enabled {
        return Ok(());
    }
    let w = prospector_store::workspaces::get(db, ws).await?;
    let base = app.config().public_url.trim_end_matches('/');
    let body = json!({
        "event": "reply.received",
        "workspace": {"id": ws.0, "slug": w.slug},
        "notification_id": n.id,
        "created_at": n.created_at,
        "lead_created": e.became_lead,
        "contact": {
            "id": contact.id,
            "name": who,
            "email": contact.f.email,
            "lead_stage": contact.f.lead_stage,
            "lead_source": contact.f.lead_source,
        },
        "conversation": {
            "id": e.conversation_id,
            "url": format!("{base}/w/{}/{link}", w.slug),
        },
        "message_id": e.message_id,
        "inbound_message_id": e.inbound_id,
        "from": e.from,
        "subject": e.subject,
        "text": e.text.chars().take(20_000).collect::<String>(),
    })
    .to_string();
    if let Some(d) =
        store::queue_delivery(db, ws, hook.id, Some(n.id), "reply.received", &body).await?
    {
        enqueue_delivery(app, ws, d.id).await?;
    }
    Ok(())
}

async fn enqueue_delivery(app: &App, ws: WorkspaceId, delivery: i64) -> AppResult<()> {
    let mut job = prospector_store::jobs::NewJob::new(
        DELIVER_JOB,
        json!({"delivery_id": delivery}).to_string(),
    );
    job.workspace_id = Some(ws);
    job.max_attempts = MAX_ATTEMPTS;
    job.unique_key = Some(format!("webhook-delivery:{delivery}"));
    crate::jobs::enqueue(app, job).await?;
    Ok(())
}

/// The workspace's outgoing webhook as shown (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookOut {
    pub url: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The signing secret: only in the answer that set it, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_out(h: &store::OutgoingWebhook, secret: Option<String>) -> WebhookOut {
    WebhookOut {
        url: h.url.clone(),
        enabled: h.enabled,
        created_at: h.created_at,
        updated_at: h.updated_at,
        secret,
    }
}

/// Check a receiver URL: absolute http(s) with a host, no credentials, at most 2,000 bytes.
pub fn check_url(url: &str) -> AppResult<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(AppError::invalid(
            "url",
            "give the URL that receives the events",
        ));
    }
    if url.len() > 2000 {
        return Err(AppError::invalid(
            "url",
            "the URL is longer than 2,000 characters",
        ));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        AppError::invalid("url", "expected http:// or https:// followed by a host")
    })?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(AppError::invalid(
            "url",
            "expected an http:// or https:// URL",
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(AppError::invalid("url", "the URL has no host"));
    }
    if authority.contains('@') {
        return Err(AppError::invalid(
            "url",
            "put no credentials in the URL; the signature authenticates the requests",
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            "url",
            "the URL contains spaces or control characters",
        ));
    }
    Ok(url.to_string())
}

/// Set (or replace) the workspace's webhook. Without a `secret` a random one is made; the
/// answer carries it once. Keeping the URL and giving no secret keeps the current secret
/// (to pause and resume with `enabled`).
pub async fn set_webhook(
    app: &App,
    ctx: &WsCtx,
    url: &str,
    secret: Option<&str>,
    enabled: bool,
) -> AppResult<WebhookOut> {
    ctx.require(Permission::Manage)?;
    let url = check_url(url)?;
    let secret = secret.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = secret
        && (s.len() < 16 || s.len() > 200 || !s.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(AppError::invalid(
            "secret",
            "the secret must be 16 to 200 printable characters without spaces",
        ));
    }
    let current = store::webhook(app.db(), ctx.ws).await?;
    let (enc, shown) = match (secret, &current) {
        (Some(s), _) => (app.keys().encrypt(s)?, Some(s.to_string())),
        (None, Some(h)) if h.url == url => (h.secret.clone(), None),
        (None, _) => {
            let s = format!("pwhsec_{}", crate::crypto::random_token(24));
            (app.keys().encrypt(&s)?, Some(s))
        }
    };
    let h = store::set_webhook(app.db(), ctx.ws, &url, &enc, enabled).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "webhook.set",
        "outgoing_webhook",
        h.id,
        None,
        Some(json!({"url": h.url, "enabled": h.enabled, "secret_changed": shown.is_some()})),
    )
    .await?;
    Ok(webhook_out(&h, shown))
}

/// The workspace's webhook, if set.
pub async fn webhook(app: &App, ctx: &WsCtx) -> AppResult<Option<WebhookOut>> {
    Ok(store::webhook(app.db(), ctx.ws)
        .await?
        .map(|h| webhook_out(&h, None)))
}

/// Remove the workspace's webhook.
pub async fn delete_webhook(app: &App, ctx: &WsCtx) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    store::delete_webhook(app.db(), ctx.ws).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "webhook.deleted",
        "outgoing_webhook",
        ctx.ws.0,
        None,
        None,
    )
    .await
}

/// Queue a `test` event to the webhook (the settings page's button). Returns the delivery.
pub async fn send_test(app: &App, ctx: &WsCtx) -> AppResult<Delivery> {
    ctx.require(Permission::Manage)?;
    let hook = store::webhook(app.db(), ctx.ws)
        .await?
        .ok_or_else(|| AppError::invalid("url", "set a webhook URL first"))?;
    let body = json!({
        "event": "test",
        "workspace": {"id": ctx.ws.0, "slug": ctx.slug},
        "created_at": now_ms(),
    })
    .to_string();
    let d = store::queue_delivery(app.db(), ctx.ws, hook.id, None, "test", &body)
        .await?
        .ok_or_else(|| AppError::Internal("the test delivery was not stored".into()))?;
    enqueue_delivery(app, ctx.ws, d.id).await?;
    Ok(d)
}

/// The delivery log, newest first.
pub async fn deliveries(
    app: &App,
    ctx: &WsCtx,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    Ok(store::list_deliveries(app.db(), ctx.ws, before, limit).await?)
}

/// One delivery of this workspace.
pub async fn delivery(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Delivery> {
    Ok(store::get_delivery(app.db(), ctx.ws, id).await?)
}

#[derive(serde::Deserialize)]
struct DeliverPayload {
    delivery_id: i64,
}

/// Why one attempt failed: the HTTP status if an answer came, and a sentence.
struct AttemptError {
    status: Option<i64>,
    message: String,
}

async fn attempt(url: &str, secret: &str, d: &Delivery) -> Result<i64, AttemptError> {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("prospector-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AttemptError {
            status: None,
            message: format!("cannot build the HTTP client: {e}"),
        })?;
    let t = now_ms() / 1000;
    let sig = signature(secret, t, d.body.as_bytes());
    let r = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, t.to_string())
        .header(SIGNATURE_HEADER, sig)
        .header(EVENT_HEADER, d.event.as_str())
        .header(DELIVERY_HEADER, d.id.to_string())
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| AttemptError {
            status: None,
            message: if e.is_timeout() {
                format!("no answer within {}s", REQUEST_TIMEOUT.as_secs())
            } else if e.is_connect() {
                "cannot connect to the receiver".to_string()
            } else {
                format!("the request failed: {e}")
            },
        })?;
    let status = i64::from(r.status().as_u16());
    if r.status().is_success() {
        return Ok(status);
    }
    let text: String = r
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(MAX_ERROR_LEN)
        .collect();
    Err(AttemptError {
        status: Some(status),
        message: format!("the receiver answered {status} {}", text.trim()),
    })
}

/// Send one delivery. Success and giving up are recorded and end the job; any other
/// failure is recorded and retried by the queue with backoff.
pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    let p: DeliverPayload = ctx.payload()?;
    let db = ctx.app.db();
    let d = match store::get_delivery_any_workspace(db, p.delivery_id).await {
        Ok(d) => d,
        Err(prospector_store::StoreError::NotFound) => {
            return Ok(Some(json!({"skipped": "the delivery is gone"})));
        }
        Err(e) => return Err(e.into()),
    };
    let ws = WorkspaceId(d.workspace_id);
    if d.state != "pending" {
        return Ok(Some(json!({"skipped": d.state})));
    }
    let hook = match store::webhook(db, ws).await? {
        Some(h) if h.id == d.webhook_id && h.enabled => h,
        _ => {
            store::record_attempt(
                db,
                ws,
                d.id,
                "failed",
                None,
                Some("the webhook was removed or disabled"),
            )
            .await?;
            return Ok(Some(json!({"state": "failed"})));
        }
    };
    let secret = ctx
        .app
        .keys()
        .decrypt(&hook.secret)
        .map_err(|e| JobError::Permanent(format!("cannot decrypt the webhook secret: {e}")))?;
    match attempt(&hook.url, &secret, &d).await {
        Ok(status) => {
            store::record_attempt(db, ws, d.id, "delivered", Some(status), None).await?;
            tracing::info!(
                workspace = ws.0,
                delivery = d.id,
                status,
                "webhook delivered"
            );
            Ok(Some(json!({"state": "delivered", "status": status})))
        }
        Err(e) => {
            let last = ctx.job.attempts >= ctx.job.max_attempts;
            let state = if last { "failed" } else { "pending" };
            store::record_attempt(db, ws, d.id, state, e.status, Some(&e.message)).await?;
            tracing::warn!(
                workspace = ws.0,
                delivery = d.id,
                attempt = ctx.job.attempts,
                status = ?e.status,
                error = %e.message,
                "webhook delivery failed"
            );
            if last {
                Err(JobError::Permanent(e.message))
            } else {
                Err(JobError::Retry(e.message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let body = br#"{"event":"test"}"#;
        let h = signature("pwhsec_abcdefghijklmnop", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(
            verify_signature("pwhsec_abcdefghijklmnop", body, Some(&h), 1_700_000_010),
            Ok(1_700_000_000)
        );
        assert!(
            verify_signature("pwhsec_abcdefghijklmnop", b"{}", Some(&h), 1_700_000_010).is_err()
        );
        assert!(verify_signature("other-secret-0123456", body, Some(&h), 1_700_000_010).is_err());
        assert!(
            verify_signature("pwhsec_abcdefghijklmnop", body, Some(&h), 1_700_009_999).is_err(),
            "a replay an hour later is refused"
        );
    }

    #[test]
    fn receiver_urls_are_checked() {
        assert!(check_url("https://hooks.example.com/prospector").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x?y=1").is_ok());
        for bad in [
            "",
            "ftp://x.example",
            "hooks.example.com",
            "https://",
            "https://user:pw@x.example/",
            "https://x.example/a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
    }
}
