//! Provider webhooks for email: SendGrid's Event Webhook (ECDSA-signed), Resend's events
//! (Svix-signed) and the inbound-parse endpoint that takes a raw MIME message. Each workspace
//! has one endpoint per provider, `/hooks/{provider}/{token}`, with the provider's
//! verification key or signing secret stored encrypted.
//!
//! Events are verified, stored raw in `webhook_events` (unique per provider event id, so a
//! provider's retry is a no-op), answered, and applied by the `inbound.webhook` job.

use crate::inbound::process::{self, Source};
use crate::jobs::{JobCtx, JobError, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::email::events::{
    EmailEvent, EmailEventKind, SendGridVerifier, SvixHeaders, SvixVerifier, parse_resend,
    parse_sendgrid,
};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::WorkspaceId;
use prospector_store::inbound::{self, WebhookEndpoint};
use prospector_store::jobs::{self as store_jobs, NewJob};
use prospector_store::messages::{self, Engagement, Message};
use serde::Serialize;
use serde_json::json;

/// The header names and Svix header reader, for the web layer.
pub use prospector_channels::email::events::{
    SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, SvixHeaders as SvixRequestHeaders,
};

/// The job that applies one stored webhook event.
pub const WEBHOOK_JOB: &str = "inbound.webhook";

/// The providers with an endpoint.
pub const PROVIDERS: &[&str] = &["sendgrid", "resend", "inbound"];

/// A workspace's endpoint, as shown once it is set.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointOut {
    pub provider: String,
    /// The path to give the provider, e.g. `/hooks/sendgrid/3kf...`.
    pub path: String,
    pub has_secret: bool,
}

fn out(e: &WebhookEndpoint) -> EndpointOut {
    EndpointOut {
        provider: e.provider.clone(),
        path: format!("/hooks/{}/{}", e.provider, e.token),
        has_secret: e.secret.is_some(),
    }
}

/// Create (or rotate) the workspace's endpoint for `provider`. SendGrid needs its
/// verification key (base64 SPKI or PEM), Resend its `whsec_...` signing secret; the
/// inbound-parse endpoint is protected by its token alone.
pub async fn set_endpoint(
    app: &App,
    ctx: &WsCtx,
    provider: &str,
    secret: Option<&str>,
) -> AppResult<EndpointOut> {
    ctx.require(Permission::Manage)?;
    let secret = secret.map(str::trim).filter(|s| !s.is_empty());
    match (provider, secret) {
        ("sendgrid", Some(k)) => {
            SendGridVerifier::new(k).map_err(|e| AppError::invalid("secret", e.to_string()))?;
        }
        ("resend", Some(k)) => {
            SvixVerifier::new(k).map_err(|e| AppError::invalid("secret", e.to_string()))?;
        }
        ("sendgrid" | "resend", None) => {
            return Err(AppError::invalid(
                "secret",
                format!("{provider} webhooks need the provider's verification key"),
            ));
        }
        ("inbound", _) => {}
        _ => {
            return Err(AppError::invalid(
                "provider",
                format!("expected one of {}", PROVIDERS.join(", ")),
            ));
        }
    }
    let enc = match secret {
        Some(s) if provider != "inbound" => Some(app.keys().encrypt(s)?),
        _ => None,
    };
    let token = crate::crypto::random_token(24);
    let e = inbound::set_endpoint(app.db(), ctx.ws, provider, &token, enc.as_deref()).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "webhook_endpoint.set",
        "webhook_endpoint",
        e.id,
        None,
        Some(json!({"provider": provider})),
    )
    .await?;
    Ok(out(&e))
}

/// The workspace's endpoints.
pub async fn endpoints(app: &App, ctx: &WsCtx) -> AppResult<Vec<EndpointOut>> {
    Ok(inbound::endpoints(app.db(), ctx.ws)
        .await?
        .iter()
        .map(out)
        .collect())
}

/// What a webhook request did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipt {
    /// Events stored now (and queued for processing).
    pub stored: usize,
    /// Events the provider had sent before (no-ops).
    pub duplicates: usize,
}

async fn endpoint(app: &App, provider: &str, token: &str) -> AppResult<(WebhookEndpoint, String)> {
    let e = inbound::endpoint_by_token(app.db(), provider, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let secret = match &e.secret {
        Some(s) => app.keys().decrypt(s)?,
        None => String::new(),
    };
    Ok((e, secret))
}

async fn store_event(
    app: &App,
    ws: WorkspaceId,
    provider: &str,
    event_id: &str,
    raw: &str,
    r: &mut Receipt,
) -> AppResult<()> {
    match inbound::insert_webhook_event(app.db(), Some(ws), provider, event_id, raw).await? {
        Some(ev) => {
            let mut job = NewJob::new(WEBHOOK_JOB, json!({"id": ev.id}).to_string());
            job.unique_key = Some(format!("webhook:{}", ev.id));
            store_jobs::enqueue(app.db(), &job).await?;
            r.stored += 1;
        }
        None => r.duplicates += 1,
    }
    Ok(())
}

/// A SendGrid Event Webhook request: verify, then store each event. A forged or unsigned
/// request is `Unauthorized` and changes nothing; an unknown token is `NotFound`.
pub async fn receive_sendgrid(
    app: &App,
    token: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
) -> AppResult<Receipt> {
    let (e, key) = endpoint(app, "sendgrid", token).await?;
    let v = SendGridVerifier::new(&key).map_err(|e| AppError::Internal(e.to_string()))?;
    v.verify(signature, timestamp, body)
        .map_err(|e| AppError::Unauthorized(format!("SendGrid signature: {e}")))?;
    let events = parse_sendgrid(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut r = Receipt::default();
    for ev in events {
        let raw = ev.raw.to_string();
        store_event(
            app,
            WorkspaceId(e.workspace_id),
            "sendgrid",
            &ev.provider_event_id,
            &raw,
            &mut r,
        )
        .await?;
    }
    Ok(r)
}

/// A Resend (Svix) webhook request: verify, then store the event.
pub async fn receive_resend(
    app: &App,
    token: &str,
    headers: Result<SvixHeaders<'_>, String>,
    body: &[u8],
) -> AppResult<Receipt> {
    let (e, secret) = endpoint(app, "resend", token).await?;
    let h = headers.map_err(|m| AppError::Unauthorized(format!("Svix signature: {m}")))?;
    let v = SvixVerifier::new(&secret).map_err(|e| AppError::Internal(e.to_string()))?;
    v.verify(&h, body)
        .map_err(|e| AppError::Unauthorized(format!("Svix signature: {e}")))?;
    let ev = parse_resend(&h, body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut r = Receipt::default();
    let raw = String::from_utf8_lossy(body);
    store_event(
        app,
        WorkspaceId(e.workspace_id),
        "resend",
        &ev.provider_event_id,
        &raw,
        &mut r,
    )
    .await?;
    Ok(r)
}

/// A raw MIME message posted to the inbound-parse endpoint: processed like a polled one.
pub async fn receive_inbound(app: &App, token: &str, body: &[u8]) -> AppResult<process::Outcome> {
    let (e, _) = endpoint(app, "inbound", token).await?;
    process::process_raw(
        app,
        WorkspaceId(e.workspace_id),
        Source::InboundParse,
        body,
        None,
    )
    .await
}

/// The message an event is about: by the provider's id, then by our Message-ID.
async fn message_of(app: &App, ws: WorkspaceId, ev: &EmailEvent) -> AppResult<Option<Message>> {
    if let Some(pid) = &ev.provider_message_id
        && let Some(m) = messages::find_by_provider_id(app.db(), ws, pid).await?
    {
        return Ok(Some(m));
    }
    if let Some(mid) = &ev.our_message_id {
        let h = if mid.starts_with('<') {
            mid.clone()
        } else {
            format!("<{mid}>")
        };
        if let Some(m) = messages::find_by_message_id_header(app.db(), &h).await?
            && m.workspace_id == ws.0
        {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// Apply one stored event. Returns what was done.
pub async fn apply(app: &App, id: i64) -> AppResult<Vec<String>> {
    let stored = inbound::get_webhook_event(app.db(), id).await?;
    if stored.processed_at.is_some() {
        return Ok(vec!["already processed".into()]);
    }
    let Some(ws) = stored.workspace_id.map(WorkspaceId) else {
        return Ok(vec!["no workspace".into()]);
    };
    let ev = match stored.provider.as_str() {
        "sendgrid" => parse_sendgrid(format!("[{}]", stored.raw).as_bytes())
            .ok()
            .and_then(|v| v.into_iter().next()),
        "resend" => {
            let h = SvixHeaders {
                id: &stored.event_id,
                timestamp: "0",
                signature: "",
            };
            parse_resend(&h, stored.raw.as_bytes()).ok()
        }
        _ => None,
    };
    let mut actions = Vec::new();
    let Some(ev) = ev else {
        inbound::mark_webhook_processed(app.db(), id, Some("unreadable event")).await?;
        return Ok(vec!["unreadable".into()]);
    };
    let Some(m) = message_of(app, ws, &ev).await? else {
        inbound::mark_webhook_processed(app.db(), id, Some("no matching message")).await?;
        return Ok(vec!["unmatched".into()]);
    };
    let addr = if ev.email.is_empty() {
        m.to_address.to_lowercase()
    } else {
        ev.email.to_lowercase()
    };
    let data = json!({"provider": stored.provider, "event": ev.kind.as_str(), "raw": ev.raw});
    let at = if ev.timestamp_ms > 0 {
        ev.timestamp_ms
    } else {
        now_ms()
    };
    match &ev.kind {
        EmailEventKind::Bounce {
            hard,
            status,
            reason,
            classification,
        } => {
            let detail = reason
                .clone()
                .or_else(|| status.clone())
                .unwrap_or_else(|| "bounce".into());
            let why = classification.clone().unwrap_or_else(|| "bounce".into());
            if *hard {
                process::hard_bounce(app, ws, &m, &addr, &detail, &why, data, &mut actions).await?;
            } else {
                process::soft_bounce(app, ws, &m, &addr, &detail, &why, data, true, &mut actions)
                    .await?;
            }
        }
        EmailEventKind::SpamReport => {
            process::complaint(app, ws, &m, Some("abuse"), &mut actions).await?;
        }
        EmailEventKind::Unsubscribe | EmailEventKind::GroupUnsubscribe => {
            if let Some(t) = &m.unsubscribe_token {
                crate::outreach::tracking::unsubscribe(app, t, &stored.provider).await?;
                actions.push("unsubscribed".into());
            }
        }
        EmailEventKind::Delivered | EmailEventKind::Open | EmailEventKind::Click { .. } => {
            let what = match ev.kind {
                EmailEventKind::Delivered => Engagement::Delivered,
                EmailEventKind::Open => Engagement::Opened,
                _ => Engagement::Clicked,
            };
            messages::record(app.db(), ws, m.mid(), what, None, &data.to_string(), at).await?;
            actions.push(what.kind().to_string());
        }
        other => {
            messages::append_event(
                app.db(),
                ws,
                m.mid(),
                &format!("provider_{}", other.as_str()),
                None,
                &data.to_string(),
                at,
            )
            .await?;
            actions.push(other.as_str().to_string());
        }
    }
    inbound::mark_webhook_processed(app.db(), id, None).await?;
    Ok(actions)
}

pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    #[derive(serde::Deserialize)]
    struct P {
        id: i64,
    }
    let p: P = ctx.payload()?;
    match apply(&ctx.app, p.id).await {
        Ok(actions) => Ok(Some(json!({"actions": actions}))),
        Err(AppError::NotFound) => Err(JobError::Permanent("webhook event not found".into())),
        Err(e) => {
            if let Err(se) = inbound::set_webhook_error(ctx.app.db(), p.id, &e.to_string()).await {
                tracing::warn!(event = p.id, error = %se, "could not record the webhook error");
            }
            Err(e.into())
        }
    }
}

/// A Svix verifier for `secret` (tests sign with it).
pub fn svix_verifier(secret: &str) -> AppResult<SvixVerifier> {
    SvixVerifier::new(secret).map_err(|e| AppError::invalid("secret", e.to_string()))
}
