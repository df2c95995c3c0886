//! Senders on pages: the list (kind, From, today's sends against the limit, health with the
//! reason a sender was paused, the last error), the add and edit form, test connection,
//! pause and resume, delete, and DKIM key generation with the DNS record to publish.

use super::campaigns::TAB_SENDERS;
use super::contacts::{Notice, Times, flash, form_error, id_of, redirect_error, render_status};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Manage, Page, Perm, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::outreach::senders::{self as uc, KINDS, SenderInput, SenderOut};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/senders", get(list).post(create))
        .route("/w/{slug}/senders/{id}", get(show).post(update))
        .route("/w/{slug}/senders/{id}/test", post(test))
        .route("/w/{slug}/senders/{id}/pause", post(pause))
        .route("/w/{slug}/senders/{id}/resume", post(resume))
        .route("/w/{slug}/senders/{id}/dkim", post(dkim))
        .route("/w/{slug}/senders/{id}/delete", post(delete))
        .route("/w/{slug}/senders/{id}/mailbox", post(set_mailbox))
}

/// The sender form's values, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SenderForm {
    pub name: String,
    pub kind: String,
    pub from_email: String,
    pub from_name: String,
    pub reply_to: String,
    pub smtp_url: String,
    pub api_key: String,
    pub base_url: String,
    pub daily_limit: String,
    pub warmup_start: String,
    pub warmup_increment: String,
    pub signature: String,
}

fn number(field: &str, v: &str) -> Result<Option<i64>, AppError> {
    match v.trim() {
        "" => Ok(None),
        n => n
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "a whole number")),
    }
}

fn some(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl SenderForm {
    fn of(s: &SenderOut) -> SenderForm {
        SenderForm {
            name: s.name.clone(),
            kind: s.kind.clone(),
            from_email: s.from_email.clone(),
            from_name: s.from_name.clone().unwrap_or_default(),
            reply_to: s.reply_to.clone().unwrap_or_default(),
            // Secrets are never shown; left empty, the stored ones are kept.
            smtp_url: String::new(),
            api_key: String::new(),
            base_url: if s.kind == "sendgrid" || s.kind == "resend" {
                s.server.clone().unwrap_or_default()
            } else {
                String::new()
            },
            daily_limit: s.daily_limit.to_string(),
            warmup_start: s.warmup_start.map(|w| w.to_string()).unwrap_or_default(),
            warmup_increment: s.warmup_increment.to_string(),
            signature: s.signature.clone().unwrap_or_default(),
        }
    }

    fn input(&self) -> Result<SenderInput, AppError> {
        Ok(SenderInput {
            name: self.name.trim().to_string(),
            kind: if self.kind.trim().is_empty() {
                "smtp".into()
            } else {
                self.kind.trim().to_string()
            },
            from_email: self.from_email.trim().to_string(),
            from_name: some(&self.from_name),
            reply_to: some(&self.reply_to),
            smtp_url: some(&self.smtp_url),
            api_key: some(&self.api_key),
            base_url: some(&self.base_url),
            daily_limit: number("daily_limit", &self.daily_limit)?,
            warmup_start: number("warmup_start", &self.warmup_start)?,
            warmup_increment: number("warmup_increment", &self.warmup_increment)?,
            signature: some(&self.signature),
        })
    }
}

fn err_of<'a>(err_field: &str, err_msg: &'a str, field: &str) -> &'a str {
    if err_field == field { err_msg } else { "" }
}

const FIELDS: &[&str] = &[
    "name",
    "kind",
    "from_email",
    "from_name",
    "reply_to",
    "smtp_url",
    "api_key",
    "base_url",
    "daily_limit",
    "warmup_start",
    "warmup_increment",
    "signature",
];

#[derive(Template)]
#[template(path = "senders.html")]
struct SendersPage {
    shell: Shell,
    tab: &'static str,
    rows: Vec<SenderOut>,
    v: SenderForm,
    err_field: String,
    err_msg: String,
    kinds: &'static [&'static str],
    editing: bool,
}

#[derive(Template)]
#[template(path = "sender.html")]
struct SenderPage {
    shell: Shell,
    tab: &'static str,
    s: SenderOut,
    v: SenderForm,
    err_field: String,
    err_msg: String,
    kinds: &'static [&'static str],
    editing: bool,
    /// The IMAP mailbox where replies and bounces are read, with its last error.
    mailbox: Option<prospector_app::inbound::mailboxes::MailboxOut>,
}

impl Times for SendersPage {}
impl Times for SenderPage {}

impl SendersPage {
    fn err(&self, field: &str) -> &str {
        err_of(&self.err_field, &self.err_msg, field)
    }
    fn general_error(&self) -> &str {
        if FIELDS.contains(&self.err_field.as_str()) {
            ""
        } else {
            &self.err_msg
        }
    }
}

impl SenderPage {
    fn err(&self, field: &str) -> &str {
        err_of(&self.err_field, &self.err_msg, field)
    }
    fn general_error(&self) -> &str {
        if FIELDS.contains(&self.err_field.as_str()) {
            ""
        } else {
            &self.err_msg
        }
    }
}

async fn list_page<P: Perm>(
    s: &AppState,
    p: &Page<P>,
    shell: Shell,
    v: SenderForm,
    err: Option<(String, String)>,
) -> Result<SendersPage, AppError> {
    let (err_field, err_msg) = err.unwrap_or_default();
    Ok(SendersPage {
        shell,
        tab: TAB_SENDERS,
        rows: uc::list(&s.app, &p.ctx).await?,
        v,
        err_field,
        err_msg,
        kinds: KINDS,
        editing: false,
    })
}

pub async fn list(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "campaigns").await?, &n);
    let v = SenderForm {
        kind: "smtp".into(),
        daily_limit: "50".into(),
        ..Default::default()
    };
    let page = list_page(&s, &p, shell, v, None).await?;
    Ok(render(&page))
}

pub async fn create(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(v): Form<SenderForm>,
) -> PageResult {
    let result = match v.input() {
        Ok(i) => uc::create(&s.app, &p.ctx, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(back_to(
            &format!("/w/{}/senders", p.ctx.slug),
            Some(&format!(
                "Sender “{}” added. Test its connection before a campaign uses it.",
                out.name
            )),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let shell = Shell::for_page(&s.app, &p, "campaigns").await?;
                let page = list_page(&s, &p, shell, v, Some((field, msg))).await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = id_of(&id)?;
    let out = uc::get(&s.app, &p.ctx, id).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "campaigns").await?, &n);
    let mailbox = prospector_app::inbound::mailboxes::of_sender(&s.app, &p.ctx, id)
        .await?
        .as_ref()
        .map(prospector_app::inbound::mailboxes::MailboxOut::from);
    Ok(render(&SenderPage {
        shell,
        tab: TAB_SENDERS,
        v: SenderForm::of(&out),
        s: out,
        err_field: String::new(),
        err_msg: String::new(),
        kinds: KINDS,
        editing: true,
        mailbox,
    }))
}

pub async fn update(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, String)>,
    Form(v): Form<SenderForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let old = uc::get(&s.app, &p.ctx, id).await?;
    let result = match v.input() {
        Ok(i) => uc::update(&s.app, &p.ctx, id, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(back_to(
            &format!("/w/{}/senders/{}", p.ctx.slug, out.id),
            Some("Sender saved."),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let shell = Shell::for_page(&s.app, &p, "campaigns").await?;
                let mailbox = prospector_app::inbound::mailboxes::of_sender(&s.app, &p.ctx, id)
                    .await?
                    .as_ref()
                    .map(prospector_app::inbound::mailboxes::MailboxOut::from);
                let page = SenderPage {
                    shell,
                    tab: TAB_SENDERS,
                    s: old,
                    v,
                    err_field: field,
                    err_msg: msg,
                    kinds: KINDS,
                    editing: true,
                    mailbox,
                };
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

/// Where a row action returns: the sender's page when it came from there, else the list.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BackForm {
    back: String,
}

fn back_path(p: &Page<impl Perm>, id: i64, f: &BackForm) -> String {
    if f.back == "sender" {
        format!("/w/{}/senders/{id}", p.ctx.slug)
    } else {
        format!("/w/{}/senders", p.ctx.slug)
    }
}

pub async fn test(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<BackForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = back_path(&p, id, &f);
    let name = uc::get(&s.app, &p.ctx, id).await?.name;
    match uc::test_connection(&s.app, &p.ctx, id).await {
        Ok(report) => Ok(back_to(
            &path,
            Some(&format!("Connection to “{name}” works: {report}")),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

async fn set_paused(
    s: &AppState,
    p: &Page<Write>,
    id: &str,
    f: &BackForm,
    paused: bool,
) -> PageResult {
    let id = id_of(id)?;
    let path = back_path(p, id, f);
    uc::get(&s.app, &p.ctx, id).await?;
    match uc::set_paused(&s.app, &p.ctx, id, paused, None).await {
        Ok(out) => Ok(back_to(
            &path,
            Some(&if paused {
                format!(
                    "“{}” is paused: campaigns skip it until it is resumed.",
                    out.name
                )
            } else {
                format!("“{}” is active again.", out.name)
            }),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn pause(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<BackForm>,
) -> PageResult {
    set_paused(&s, &p, &id, &f, true).await
}

pub async fn resume(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<BackForm>,
) -> PageResult {
    set_paused(&s, &p, &id, &f, false).await
}

pub async fn dkim(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("/w/{}/senders/{id}", p.ctx.slug);
    match uc::generate_dkim(&s.app, &p.ctx, id, None).await {
        Ok(r) => Ok(back_to(
            &format!("{path}#dkim"),
            Some(&format!(
                "DKIM key generated for {}. Publish the TXT record below, then messages are signed.",
                r.domain
            )),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn delete(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let name = uc::get(&s.app, &p.ctx, id).await?.name;
    match uc::delete(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(back_to(
            &format!("/w/{}/senders", p.ctx.slug),
            Some(&format!("Sender “{name}” deleted.")),
        )),
        Err(e) => Ok(redirect_error(
            &format!("/w/{}/senders/{id}", p.ctx.slug),
            e,
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MailboxForm {
    imap_url: String,
}

/// Set the IMAP mailbox where the sender's replies and bounces are read.
pub async fn set_mailbox(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<MailboxForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("/w/{}/senders/{id}", p.ctx.slug);
    uc::get(&s.app, &p.ctx, id).await?;
    match prospector_app::inbound::mailboxes::set_for_sender_id(&s.app, &p.ctx, id, &f.imap_url)
        .await
    {
        Ok(m) => Ok(back_to(
            &path,
            Some(&format!(
                "Mailbox {} set: replies and bounces are read every minute.",
                m.display
            )),
        )),
        Err(e) => Ok(super::contacts::redirect_error(&path, e)),
    }
}
