//! WhatsApp and SMS on pages (`/w/{slug}/messaging`): the WhatsApp number (connect, test
//! connection showing display name, quality rating and messaging limit, webhook URL), the
//! Twilio sender, templates (search, status filter, phone-style preview, the editor, sync,
//! delete), broadcasts with their progress, the message log with filters and CSV export,
//! and the costs (ledger totals, latest debits, rate card).

use super::contacts::{Notice, Times, flash, redirect_error};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Manage, Page, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::messaging::broadcasts::{self, Audience, BroadcastInput, BroadcastOut};
use prospector_app::messaging::connections::{self, SmsInput, SmsOut, WhatsAppInput, WhatsAppOut};
use prospector_app::messaging::costs::{self, CostsOut, RateInput};
use prospector_app::messaging::templates::{self, TemplateInput, TemplateOut};
use prospector_app::store::messaging::{LogFilter, LogRow, RateRow};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/messaging", get(index))
        .route("/w/{slug}/messaging/log.csv", get(log_csv))
        .route(
            "/w/{slug}/messaging/whatsapp/connect",
            post(connect_whatsapp),
        )
        .route("/w/{slug}/messaging/whatsapp/test", post(test_whatsapp))
        .route("/w/{slug}/messaging/sms/connect", post(connect_sms))
        .route("/w/{slug}/messaging/sms/test", post(test_sms))
        .route("/w/{slug}/messaging/templates", post(create_template))
        .route("/w/{slug}/messaging/templates/sync", post(sync_templates))
        .route(
            "/w/{slug}/messaging/templates/{id}/delete",
            post(delete_template),
        )
        .route("/w/{slug}/messaging/broadcasts", post(create_broadcast))
        .route("/w/{slug}/messaging/rates", post(set_rate))
}

/// Filters of the page (templates and message log).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    pub q: String,
    pub status: String,
    pub channel: String,
    pub log_status: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn some(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Template statuses offered in the filter.
const STATUSES: &[&str] = &["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"];

#[derive(Template)]
#[template(path = "messaging.html")]
struct MessagingPage {
    shell: Shell,
    wa: Option<WhatsAppOut>,
    sms: Option<SmsOut>,
    templates: Vec<TemplateOut>,
    approved: Vec<TemplateOut>,
    statuses: &'static [&'static str],
    f: Filters,
    broadcasts: Vec<BroadcastOut>,
    log: Vec<LogRow>,
    costs: CostsOut,
    rates: Vec<RateRow>,
}

impl Times for MessagingPage {}

impl MessagingPage {
    /// Minor units as `1.23 USD`.
    fn money(
        &self,
        minor: impl std::borrow::Borrow<Option<i64>>,
        currency: impl std::borrow::Borrow<Option<String>>,
    ) -> String {
        match *minor.borrow() {
            Some(m) => format!(
                "{}.{:02} {}",
                m / 100,
                (m % 100).abs(),
                currency.borrow().as_deref().unwrap_or("")
            ),
            None => "—".into(),
        }
    }
    fn amount(
        &self,
        minor: impl std::borrow::Borrow<i64>,
        currency: impl std::borrow::Borrow<String>,
    ) -> String {
        self.money(Some(*minor.borrow()), Some(currency.borrow().clone()))
    }
}

async fn index(State(s): State<AppState>, p: Page, Query(f): Query<Filters>) -> PageResult {
    let n = Notice {
        notice: f.notice.clone(),
        error: f.error.clone(),
    };
    let shell = flash(Shell::for_page(&s.app, &p, "messaging").await?, &n);
    let templates = templates::list(
        &s.app,
        &p.ctx,
        some(&f.q).as_deref(),
        some(&f.status).as_deref(),
    )
    .await?;
    let approved = templates::list(&s.app, &p.ctx, None, Some("APPROVED")).await?;
    let filter = LogFilter {
        channel: some(&f.channel),
        status: some(&f.log_status),
        ..Default::default()
    };
    let log = costs::log(&s.app, &p.ctx, &filter, None, 50).await?;
    Ok(render(&MessagingPage {
        wa: connections::whatsapp(&s.app, &p.ctx).await?,
        sms: connections::sms(&s.app, &p.ctx).await?,
        templates,
        approved,
        statuses: STATUSES,
        broadcasts: broadcasts::list(&s.app, &p.ctx).await?,
        log,
        costs: costs::costs(&s.app, &p.ctx, None, 20).await?,
        rates: costs::list_rates(&s.app, &p.ctx).await?,
        f,
        shell,
    }))
}

fn home(p_slug: &str) -> String {
    format!("/w/{p_slug}/messaging")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WaForm {
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub api_base: String,
    pub api_version: String,
    pub sandbox: String,
}

async fn connect_whatsapp(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(v): Form<WaForm>,
) -> PageResult {
    let r = connections::connect_whatsapp(
        &s.app,
        &p.ctx,
        &WhatsAppInput {
            kind: Some(
                if v.sandbox.is_empty() {
                    "cloud"
                } else {
                    "sandbox"
                }
                .into(),
            ),
            phone_number_id: v.phone_number_id,
            waba_id: v.waba_id,
            access_token: v.access_token,
            app_secret: v.app_secret,
            verify_token: v.verify_token,
            api_base: some(&v.api_base),
            api_version: some(&v.api_version),
        },
    )
    .await;
    Ok(match r {
        Ok(c) => back_to(
            &home(&p.ctx.slug),
            Some(&format!(
                "WhatsApp number connected. Give Meta the callback URL {} with your verify token, then test the connection.",
                c.webhook_url
            )),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

async fn test_whatsapp(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    Ok(match connections::test_whatsapp(&s.app, &p.ctx).await {
        Ok(t) if t.ok => back_to(
            &home(&p.ctx.slug),
            Some(&format!("Connected: {}", t.summary)),
        ),
        Ok(t) => redirect_error(
            &home(&p.ctx.slug),
            AppError::invalid("whatsapp", format!("The Graph API refused: {}", t.summary)),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SmsForm {
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
    pub messaging_service_sid: String,
    pub api_base: String,
    pub help_text: String,
    pub sandbox: String,
}

async fn connect_sms(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(v): Form<SmsForm>,
) -> PageResult {
    let r = connections::connect_sms(
        &s.app,
        &p.ctx,
        &SmsInput {
            kind: Some(
                if v.sandbox.is_empty() {
                    "twilio"
                } else {
                    "sandbox"
                }
                .into(),
            ),
            account_sid: v.account_sid,
            auth_token: v.auth_token,
            from: some(&v.from),
            messaging_service_sid: some(&v.messaging_service_sid),
            api_base: some(&v.api_base),
            help_text: some(&v.help_text),
        },
    )
    .await;
    Ok(match r {
        Ok(c) => back_to(
            &home(&p.ctx.slug),
            Some(&format!(
                "Twilio sender connected. Set the number's inbound webhook to {}.",
                c.inbound_url
            )),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

async fn test_sms(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    Ok(match connections::test_sms(&s.app, &p.ctx).await {
        Ok(t) if t.ok => back_to(&home(&p.ctx.slug), Some(&t.summary)),
        Ok(t) => redirect_error(&home(&p.ctx.slug), AppError::invalid("sms", t.summary)),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateForm {
    pub name: String,
    pub language: String,
    pub category: String,
    pub header: String,
    pub body: String,
    /// Example values, one per line.
    pub examples: String,
    pub footer: String,
    /// Quick-reply button labels, one per line.
    pub buttons: String,
}

async fn create_template(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<TemplateForm>,
) -> PageResult {
    let input = TemplateInput {
        name: v.name.trim().to_string(),
        language: v.language.trim().to_string(),
        category: v.category,
        header: some(&v.header),
        body: v.body,
        body_examples: v
            .examples
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        footer: some(&v.footer),
        buttons: v
            .buttons
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|t| templates::ButtonInput {
                kind: "quick_reply".into(),
                text: t.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    Ok(match templates::create(&s.app, &p.ctx, &input).await {
        Ok(t) => back_to(
            &home(&p.ctx.slug),
            Some(&format!(
                "Template “{}” submitted ({}). Its approval arrives by webhook.",
                t.name, t.status
            )),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

async fn sync_templates(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    Ok(match templates::sync(&s.app, &p.ctx).await {
        Ok(n) => back_to(&home(&p.ctx.slug), Some(&format!("{n} templates synced."))),
        Err(AppError::Unavailable(m)) => {
            redirect_error(&home(&p.ctx.slug), AppError::invalid("templates", m))
        }
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

async fn delete_template(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = super::contacts::id_of(&id)?;
    Ok(match templates::delete(&s.app, &p.ctx, id).await {
        Ok(()) => back_to(&home(&p.ctx.slug), Some("Template deleted.")),
        Err(AppError::Unavailable(m)) => {
            redirect_error(&home(&p.ctx.slug), AppError::invalid("templates", m))
        }
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BroadcastForm {
    pub name: String,
    pub template_id: String,
    /// Parameter sources, one per line.
    pub params: String,
    pub tag: String,
}

async fn create_broadcast(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<BroadcastForm>,
) -> PageResult {
    let Ok(template_id) = v.template_id.trim().parse::<i64>() else {
        return Ok(redirect_error(
            &home(&p.ctx.slug),
            AppError::invalid("template_id", "pick an approved template"),
        ));
    };
    let input = BroadcastInput {
        name: v.name,
        template_id,
        params: v
            .params
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        audience: Audience {
            tag: some(&v.tag),
            ..Default::default()
        },
        scheduled_at: None,
    };
    Ok(match broadcasts::create(&s.app, &p.ctx, &input).await {
        Ok(b) => back_to(
            &home(&p.ctx.slug),
            Some(&format!("Broadcast “{}” started.", b.name)),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RateForm {
    pub channel: String,
    pub country: String,
    pub category: String,
    pub price_minor: String,
    pub currency: String,
}

async fn set_rate(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(v): Form<RateForm>,
) -> PageResult {
    let Ok(price_minor) = v.price_minor.trim().parse::<i64>() else {
        return Ok(redirect_error(
            &home(&p.ctx.slug),
            AppError::invalid("price_minor", "a whole number of minor units (cents)"),
        ));
    };
    let input = RateInput {
        channel: v.channel,
        country: v.country,
        category: v.category,
        price_minor,
        currency: some(&v.currency),
    };
    Ok(match costs::set_rate(&s.app, &p.ctx, &input).await {
        Ok(_) => back_to(&home(&p.ctx.slug), Some("Rate saved.")),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

async fn log_csv(State(s): State<AppState>, p: Page, Query(f): Query<Filters>) -> PageResult {
    let filter = LogFilter {
        channel: some(&f.channel),
        status: some(&f.log_status),
        ..Default::default()
    };
    let csv = costs::log_csv(&s.app, &p.ctx, &filter, 100_000).await?;
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
