//! WhatsApp and SMS on pages (`/w/{slug}/messaging`): the WhatsApp number (connect, test
//! connection showing display name, quality rating and messaging limit, webhook URL), the
//! Twilio sender, templates (search, status filter, phone-style preview, the editor, sync,
//! delete), broadcasts with their progress, sending one message (WhatsApp text or media by
//! link, SMS), the message log with filters and CSV export, and the costs (ledger totals,
//! latest debits, rate card).
//!
//! Template previews are drawn as WhatsApp chat bubbles (header, body with the example or
//! typed parameters, grey footer, buttons under the bubble); app.js redraws them live while
//! a new template or a broadcast is being written, with the same markup rules as
//! [`wa_markup`].

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
use prospector_app::messaging::send::{
    self, MediaSendInput, MessageOut, SmsSendInput, TextSendInput,
};
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
        .route("/w/{slug}/messaging/send/text", post(send_text))
        .route("/w/{slug}/messaging/send/media", post(send_media))
        .route("/w/{slug}/messaging/send/sms", post(send_sms))
}

/// WhatsApp's text markup as HTML, after escaping: `*bold*`, `_italic_`, `~strike~` and
/// ```` ```mono``` ````, each within one line and not opening or closing on a space, as
/// the phone shows them. Line breaks are kept by the bubble's CSS (`pre-wrap`).
pub fn wa_markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    let mut out = wrap_markup(&escaped, "```", "code");
    for (d, tag) in [("*", "strong"), ("_", "em"), ("~", "s")] {
        out = wrap_markup(&out, d, tag);
    }
    out
}

/// Pairs of `delim` on one line around non-blank text become `<tag>…</tag>`.
fn wrap_markup(s: &str, delim: &str, tag: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(delim) {
        let after = &rest[start + delim.len()..];
        // Delimiters inside a word (`snake_case_name`) are not markup.
        let prev = rest[..start].chars().last().or_else(|| out.chars().last());
        let opens = prev.is_none_or(|c| !c.is_alphanumeric());
        let closing = after.find(delim).filter(|&end| {
            let inner = &after[..end];
            let next = after[end + delim.len()..].chars().next();
            opens
                && next.is_none_or(|c| !c.is_alphanumeric())
                && !inner.is_empty()
                && !inner.contains('\n')
                && !inner.starts_with(char::is_whitespace)
                && !inner.ends_with(char::is_whitespace)
        });
        match closing {
            Some(end) => {
                out.push_str(&rest[..start]);
                out.push_str(&format!("<{tag}>{}</{tag}>", &after[..end]));
                rest = &after[end + delim.len()..];
            }
            None => {
                out.push_str(&rest[..start + delim.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One chat bubble as the phone draws it.
pub struct Bubble {
    pub header: Option<String>,
    /// Escaped HTML with the markup applied.
    pub body_html: String,
    pub footer: Option<String>,
    pub buttons: Vec<String>,
}

/// A template with its bubble and what the live preview needs to redraw it.
pub struct TemplateView {
    pub t: TemplateOut,
    pub bubble: Bubble,
    /// JSON array of the example values.
    pub examples_json: String,
    /// JSON array of the button labels.
    pub buttons_json: String,
}

impl TemplateView {
    fn of(t: TemplateOut) -> TemplateView {
        TemplateView {
            bubble: Bubble {
                header: t.preview_header.clone(),
                body_html: wa_markup(&t.preview_body),
                footer: t.preview_footer.clone(),
                buttons: t.preview_buttons.clone(),
            },
            examples_json: serde_json::to_string(&t.body_examples).unwrap_or_else(|_| "[]".into()),
            buttons_json: serde_json::to_string(&t.preview_buttons).unwrap_or_else(|_| "[]".into()),
            t,
        }
    }
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
    templates: Vec<TemplateView>,
    approved: Vec<TemplateView>,
    /// The live preview of the new-template form before anything is typed.
    blank: Bubble,
    statuses: &'static [&'static str],
    f: Filters,
    broadcasts: Vec<BroadcastOut>,
    log: Vec<LogRow>,
    /// What a free-form log row carried (`text`, or `image`, `document`…), by message id.
    log_kinds: std::collections::HashMap<i64, String>,
    costs: CostsOut,
    rates: Vec<RateRow>,
    /// The workspace's zone, in which the broadcast form's time is read.
    time_zone: String,
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
    /// The log's "Template" cell for a message without one: what it carried.
    fn kind_of(&self, r: &LogRow) -> String {
        self.log_kinds
            .get(&r.id)
            .cloned()
            .unwrap_or_else(|| r.kind.clone())
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
    .await?
    .into_iter()
    .map(TemplateView::of)
    .collect();
    let approved = templates::list(&s.app, &p.ctx, None, Some("APPROVED"))
        .await?
        .into_iter()
        .map(TemplateView::of)
        .collect();
    let filter = LogFilter {
        channel: some(&f.channel),
        status: some(&f.log_status),
        ..Default::default()
    };
    let log = costs::log(&s.app, &p.ctx, &filter, None, 50).await?;
    // Media goes as a free-form `text` part; the message says which kind it carried.
    let mut log_kinds = std::collections::HashMap::new();
    for r in log
        .iter()
        .filter(|r| r.channel == "whatsapp" && r.kind == "text")
    {
        if let Ok(m) = send::get(&s.app, &p.ctx, r.id).await
            && let Some(k) = m.kind
        {
            log_kinds.insert(r.id, k);
        }
    }
    Ok(render(&MessagingPage {
        wa: connections::whatsapp(&s.app, &p.ctx).await?,
        sms: connections::sms(&s.app, &p.ctx).await?,
        templates,
        approved,
        blank: Bubble {
            header: None,
            body_html: String::new(),
            footer: None,
            buttons: Vec::new(),
        },
        statuses: STATUSES,
        broadcasts: broadcasts::list(&s.app, &p.ctx).await?,
        log,
        log_kinds,
        costs: costs::costs(&s.app, &p.ctx, None, 20).await?,
        rates: costs::list_rates(&s.app, &p.ctx).await?,
        time_zone: prospector_app::workspaces::get(&s.app, &p.ctx)
            .await?
            .time_zone,
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
    /// `tag` (contacts with `tag`) or `all` (every contact with a number).
    pub audience: String,
    pub tag: String,
    /// `datetime-local` in the workspace's time zone; empty: now.
    pub send_at: String,
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
    let scheduled_at = match v.send_at.trim() {
        "" => None,
        local => {
            let ws = prospector_app::workspaces::get(&s.app, &p.ctx).await?;
            let zone = prospector_app::core::outreach::Zone::parse(&ws.time_zone)
                .unwrap_or_else(|_| prospector_app::core::outreach::Zone::utc());
            match zone.local_to_ms(local) {
                Ok(ms) => Some(ms),
                Err(e) => {
                    return Ok(redirect_error(
                        &home(&p.ctx.slug),
                        AppError::invalid("send_at", e.to_string()),
                    ));
                }
            }
        }
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
            tag: (v.audience != "all").then(|| some(&v.tag)).flatten(),
            all: v.audience == "all",
            ..Default::default()
        },
        scheduled_at,
    };
    Ok(match broadcasts::create(&s.app, &p.ctx, &input).await {
        Ok(b) => back_to(
            &home(&p.ctx.slug),
            Some(&format!("Broadcast “{}” started.", b.name)),
        ),
        Err(e) => redirect_error(&home(&p.ctx.slug), e),
    })
}

/// The outcome of a one-off send as the flash says it: refused (a 4xx of the send itself),
/// sent (with the provider id), skipped or failed with the reason, or queued for a retry.
fn sent_outcome(
    slug: &str,
    what: &str,
    r: Result<MessageOut, AppError>,
) -> axum::response::Response {
    let m = match r {
        Ok(m) => m,
        Err(e) => return redirect_error(&home(slug), e),
    };
    let reason = m.error.as_deref().unwrap_or("no reason recorded");
    match m.status.as_str() {
        "sent" => back_to(
            &home(slug),
            Some(&format!(
                "{what} sent to {} ({}).",
                m.to,
                m.provider_id.as_deref().unwrap_or("no id yet")
            )),
        ),
        "cancelled" => redirect_error(
            &home(slug),
            AppError::invalid("to", format!("{what} to {} skipped: {reason}", m.to)),
        ),
        "failed" | "uncertain" => redirect_error(
            &home(slug),
            AppError::invalid("to", format!("{what} to {} {}: {reason}", m.to, m.status)),
        ),
        other => back_to(
            &home(slug),
            Some(&format!(
                "{what} to {} is {other}{}.",
                m.to,
                m.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )),
        ),
    }
}

fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The optional fallback template of a free-form send: `name|language` from the picker.
fn fallback_pick(v: &str) -> (Option<String>, Option<String>) {
    match v.trim().split_once('|') {
        Some((n, l)) if !n.trim().is_empty() => {
            (Some(n.trim().to_string()), Some(l.trim().to_string()))
        }
        _ => (None, None),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    pub to: String,
    pub body: String,
    /// `name|language` of an approved template, or empty.
    pub fallback: String,
    /// Fallback parameter sources, one per line.
    pub fallback_params: String,
}

async fn send_text(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<TextForm>,
) -> PageResult {
    let (fallback_template, fallback_language) = fallback_pick(&v.fallback);
    let r = send::send_text_now(
        &s.app,
        &p.ctx,
        &TextSendInput {
            to: some(&v.to),
            body: v.body,
            fallback_template,
            fallback_language,
            fallback_params: lines(&v.fallback_params),
            ..Default::default()
        },
    )
    .await;
    Ok(sent_outcome(&p.ctx.slug, "WhatsApp message", r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MediaForm {
    pub to: String,
    pub kind: String,
    pub link: String,
    pub caption: String,
    pub filename: String,
    pub fallback: String,
    pub fallback_params: String,
}

async fn send_media(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<MediaForm>,
) -> PageResult {
    let (fallback_template, fallback_language) = fallback_pick(&v.fallback);
    let what = match v.kind.trim() {
        "document" => "Document",
        "video" => "Video",
        "audio" => "Audio",
        _ => "Image",
    };
    let r = send::send_media_now(
        &s.app,
        &p.ctx,
        &MediaSendInput {
            to: some(&v.to),
            kind: v.kind,
            link: v.link,
            caption: some(&v.caption),
            filename: some(&v.filename),
            fallback_template,
            fallback_language,
            fallback_params: lines(&v.fallback_params),
            ..Default::default()
        },
    )
    .await;
    Ok(sent_outcome(&p.ctx.slug, what, r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SmsSendForm {
    pub to: String,
    pub body: String,
}

async fn send_sms(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<SmsSendForm>,
) -> PageResult {
    let r = send::send_sms_now(
        &s.app,
        &p.ctx,
        &SmsSendInput {
            to: some(&v.to),
            body: v.body,
            ..Default::default()
        },
    )
    .await;
    Ok(sent_outcome(&p.ctx.slug, "SMS", r))
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

#[cfg(test)]
mod tests {
    use super::wa_markup;

    #[test]
    fn markup_is_escaped_then_styled_like_the_phone() {
        assert_eq!(
            wa_markup("Hi *Kim*, _today_ ~not~ ```code``` <b>&"),
            "Hi <strong>Kim</strong>, <em>today</em> <s>not</s> <code>code</code> &lt;b&gt;&amp;"
        );
        // Unpaired, spaced or multi-line delimiters stay as typed.
        assert_eq!(wa_markup("2 * 3 * 4"), "2 * 3 * 4");
        assert_eq!(wa_markup("*a\nb*"), "*a\nb*");
        assert_eq!(wa_markup("snake_case_name"), "snake_case_name");
        assert_eq!(wa_markup("\"quoted\" it's"), "&quot;quoted&quot; it&#39;s");
    }
}
