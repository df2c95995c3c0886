//! Notifications (the bell in the page header and the list page, mark read) and the
//! workspace's webhook settings: the outgoing webhook that receives reply events (URL,
//! signing secret shown once, test event, delivery log) and the inbound endpoints that
//! email providers post to (SendGrid, Resend, inbound parse), whose tokens are made and
//! rotated here.

use super::contacts::{Notice, flash, id_of, redirect_error};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Manage, Page, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::inbound::webhooks::{self as endpoints, EndpointOut};
use prospector_app::notifications::{self as uc, NotificationOut, WebhookOut};
use prospector_app::store::notifications::Delivery;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/notifications", get(list))
        .route("/w/{slug}/notifications/bell", get(bell))
        .route("/w/{slug}/notifications/read-all", post(read_all))
        .route("/w/{slug}/notifications/{notification_id}/read", post(read))
        .route(
            "/w/{slug}/settings/webhooks",
            get(settings).post(set_webhook),
        )
        .route("/w/{slug}/settings/webhooks/test", post(test_webhook))
        .route("/w/{slug}/settings/webhooks/delete", post(delete_webhook))
        .route("/w/{slug}/settings/webhooks/endpoints", post(set_endpoint))
}

/// The bell icon (inline, so it needs no emoji font or asset request).
const BELL: &str = r#"<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/></svg>"#;

/// The list page size.
const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    before: Option<i64>,
    unread: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<NotificationOut>,
    unread: i64,
    unread_only: bool,
    next_before: Option<i64>,
}

pub async fn list(State(s): State<AppState>, p: Page, Query(q): Query<ListQuery>) -> PageResult {
    let shell = flash(
        Shell::for_page(&s.app, &p, "notifications").await?,
        &Notice {
            notice: q.notice.clone(),
            error: q.error.clone(),
        },
    );
    let rows = uc::list(&s.app, &p.ctx, q.before, PAGE, q.unread).await?;
    let next_before = if rows.len() as i64 == PAGE {
        rows.last().map(|n| n.id)
    } else {
        None
    };
    Ok(render(&ListPage {
        shell,
        rows: rows.iter().map(NotificationOut::from).collect(),
        unread: uc::unread_count(&s.app, &p.ctx).await?,
        unread_only: q.unread,
        next_before,
    }))
}

/// The bell with the unread count, loaded by htmx into the header of every page (the bell
/// without the count is a plain link, so it works without JavaScript too).
pub async fn bell(State(s): State<AppState>, p: Page) -> Result<Response, super::PageError> {
    let n = uc::unread_count(&s.app, &p.ctx).await?;
    let label = match n {
        0 => "No unread notifications".to_string(),
        1 => "1 unread notification".to_string(),
        n => format!("{n} unread notifications"),
    };
    let count = if n > 0 {
        format!(
            "<span class=\"bell-count\" data-bell-count>{}</span>",
            if n > 99 {
                "99+".to_string()
            } else {
                n.to_string()
            }
        )
    } else {
        String::new()
    };
    Ok(Html(format!(
        "<a href=\"/w/{slug}/notifications\" class=\"bell\" data-bell aria-label=\"{label}\" title=\"{label}\" \
         hx-get=\"/w/{slug}/notifications/bell\" hx-trigger=\"every 60s\" hx-swap=\"outerHTML\">{BELL}{count}</a>",
        slug = p.ctx.slug,
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadForm {
    /// `open`: go to what the notification is about; otherwise back to the list.
    then: String,
}

pub async fn read(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ReadForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let n = uc::mark_read(&s.app, &p.ctx, id).await?;
    match (f.then.as_str(), n.link) {
        ("open", Some(link)) => {
            Ok(Redirect::to(&format!("/w/{}/{link}", p.ctx.slug)).into_response())
        }
        _ => Ok(back_to(&format!("/w/{}/notifications", p.ctx.slug), None)),
    }
}

pub async fn read_all(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    let path = format!("/w/{}/notifications", p.ctx.slug);
    match uc::mark_all_read(&s.app, &p.ctx).await {
        Ok(0) => Ok(back_to(&path, Some("Nothing was unread."))),
        Ok(n) => Ok(back_to(
            &path,
            Some(&format!(
                "{n} notification{} marked read.",
                if n == 1 { "" } else { "s" }
            )),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

/// An inbound endpoint as the settings page lists it.
pub struct EndpointRow {
    pub provider: String,
    pub label: &'static str,
    pub url: Option<String>,
    pub has_secret: bool,
    pub needs_secret: bool,
}

#[derive(Template)]
#[template(path = "settings_webhooks.html")]
struct SettingsPage {
    shell: Shell,
    tab: &'static str,
    webhook: Option<WebhookOut>,
    new_secret: Option<String>,
    deliveries: Vec<Delivery>,
    endpoints: Vec<EndpointRow>,
    new_endpoint: Option<String>,
}

fn provider_label(p: &str) -> &'static str {
    match p {
        "sendgrid" => "SendGrid Event Webhook",
        "resend" => "Resend events (Svix)",
        _ => "Inbound parse (raw MIME)",
    }
}

async fn settings_page(
    s: &AppState,
    p: &Page<impl crate::auth::Perm>,
    n: &Notice,
    new_secret: Option<String>,
    new_endpoint: Option<String>,
) -> Result<Response, AppError> {
    let shell = flash(Shell::for_page(&s.app, p, "settings").await?, n);
    let base = s.app.config().public_url.trim_end_matches('/').to_string();
    let have: Vec<EndpointOut> = endpoints::endpoints(&s.app, &p.ctx).await?;
    let rows = endpoints::PROVIDERS
        .iter()
        .map(|prov| {
            let e = have.iter().find(|e| e.provider == *prov);
            EndpointRow {
                provider: prov.to_string(),
                label: provider_label(prov),
                url: e.map(|e| format!("{base}{}", e.path)),
                has_secret: e.is_some_and(|e| e.has_secret),
                needs_secret: *prov != "inbound",
            }
        })
        .collect();
    Ok(render(&SettingsPage {
        shell,
        tab: "webhooks",
        webhook: uc::webhook(&s.app, &p.ctx).await?,
        new_secret,
        deliveries: uc::deliveries(&s.app, &p.ctx, None, 50).await?,
        endpoints: rows,
        new_endpoint,
    }))
}

pub async fn settings(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    Ok(settings_page(&s, &p, &n, None, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookForm {
    url: String,
    secret: String,
    enabled: Option<String>,
}

pub async fn set_webhook(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<WebhookForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/webhooks", p.ctx.slug);
    let secret = (!f.secret.trim().is_empty()).then_some(f.secret.as_str());
    match uc::set_webhook(&s.app, &p.ctx, &f.url, secret, f.enabled.is_some()).await {
        Ok(w) => {
            let n = Notice {
                notice: Some("Webhook saved.".into()),
                error: None,
            };
            Ok(settings_page(&s, &p, &n, w.secret, None).await?)
        }
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn test_webhook(State(s): State<AppState>, p: Page<Manage>) -> PageResult {
    let path = format!("/w/{}/settings/webhooks", p.ctx.slug);
    match uc::send_test(&s.app, &p.ctx).await {
        Ok(d) => Ok(back_to(
            &path,
            Some(&format!(
                "Test event queued (delivery #{}); its outcome shows below in a few seconds.",
                d.id
            )),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn delete_webhook(State(s): State<AppState>, p: Page<Manage>) -> PageResult {
    let path = format!("/w/{}/settings/webhooks", p.ctx.slug);
    match uc::delete_webhook(&s.app, &p.ctx).await {
        Ok(()) => Ok(back_to(&path, Some("Webhook removed."))),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndpointForm {
    provider: String,
    secret: String,
}

pub async fn set_endpoint(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<EndpointForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/webhooks", p.ctx.slug);
    let secret = (!f.secret.trim().is_empty()).then_some(f.secret.as_str());
    match endpoints::set_endpoint(&s.app, &p.ctx, f.provider.trim(), secret).await {
        Ok(e) => {
            let n = Notice {
                notice: Some(format!(
                    "{} endpoint ready; give the URL below to the provider. Any older URL stops working.",
                    provider_label(&e.provider)
                )),
                error: None,
            };
            let url = format!(
                "{}{}",
                s.app.config().public_url.trim_end_matches('/'),
                e.path
            );
            Ok(settings_page(&s, &p, &n, None, Some(url)).await?)
        }
        Err(e) => Ok(redirect_error(&path, e)),
    }
}
