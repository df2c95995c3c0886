//! The minimal Leads view (contacts with a lead stage, with source and stage, search and
//! paging) and the conversation pages: the list, one thread (out and in) and the reply form
//! that answers by email through the sender that wrote to the contact.

use super::contacts::{Notice, flash, redirect_error};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::core::time::format_ms;
use prospector_app::inbound::conversations as uc;
use prospector_app::store::contacts::Contact;
use prospector_app::store::conversations::ConversationMessage;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/leads", get(leads))
        .route("/w/{slug}/conversations", get(conversations))
        .route(
            "/w/{slug}/conversations/{conversation_id}",
            get(conversation),
        )
        .route(
            "/w/{slug}/conversations/{conversation_id}/reply",
            post(reply),
        )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LeadQuery {
    q: String,
    cursor: String,
}

pub struct LeadRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: String,
    pub stage: String,
    pub source: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    shell: Shell,
    q: String,
    rows: Vec<LeadRow>,
    next: Option<String>,
}

fn lead_row(c: &Contact) -> LeadRow {
    LeadRow {
        id: c.id,
        name: c.display_name(),
        email: c.f.email.clone().unwrap_or_default(),
        company: c.company_name.clone().unwrap_or_default(),
        stage: c.f.lead_stage.clone().unwrap_or_default(),
        source: c.f.lead_source.clone().unwrap_or_default(),
        updated: format_ms(c.updated_at),
    }
}

pub async fn leads(State(s): State<AppState>, p: Page, Query(lq): Query<LeadQuery>) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "leads").await?;
    let q = lq.q.trim().to_string();
    let page = uc::leads(
        &s.app,
        &p.ctx,
        (!q.is_empty()).then(|| q.clone()),
        (!lq.cursor.is_empty()).then(|| lq.cursor.clone()),
    )
    .await?;
    Ok(render(&LeadsPage {
        shell,
        q,
        rows: page.data.iter().map(lead_row).collect(),
        next: page.next_cursor,
    }))
}

pub struct ConvRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub last: String,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct ConversationsPage {
    shell: Shell,
    rows: Vec<ConvRow>,
}

pub async fn conversations(State(s): State<AppState>, p: Page) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "conversations").await?;
    let rows = uc::list(&s.app, &p.ctx, 200)
        .await?
        .into_iter()
        .map(|r| ConvRow {
            id: r.conversation.id,
            name: r
                .contact
                .as_ref()
                .map(|c| c.display_name())
                .unwrap_or_default(),
            email: r
                .contact
                .as_ref()
                .and_then(|c| c.f.email.clone())
                .unwrap_or_default(),
            subject: r.conversation.subject.clone().unwrap_or_default(),
            last: format_ms(r.conversation.last_message_at),
            unread: r.conversation.unread,
        })
        .collect();
    Ok(render(&ConversationsPage { shell, rows }))
}

pub struct Entry {
    pub direction: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub at: String,
    pub message_id: Option<i64>,
}

fn entry(e: &ConversationMessage) -> Entry {
    Entry {
        direction: e.direction.clone(),
        from: e.from_address.clone().unwrap_or_default(),
        subject: e.subject.clone().unwrap_or_default(),
        text: e.body_text.clone(),
        at: format_ms(e.created_at),
        message_id: e.message_id,
    }
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    shell: Shell,
    id: i64,
    contact_id: i64,
    name: String,
    email: String,
    stage: String,
    subject: String,
    /// email, whatsapp or sms: how the answer goes.
    channel: String,
    entries: Vec<Entry>,
}

fn conv_id(s: &str) -> Result<i64, AppError> {
    s.parse().map_err(|_| AppError::NotFound)
}

pub async fn conversation(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = conv_id(&id)?;
    let shell = flash(Shell::for_page(&s.app, &p, "conversations").await?, &n);
    let (c, contact, entries) = uc::thread(&s.app, &p.ctx, id).await?;
    Ok(render(&ConversationPage {
        shell,
        id,
        contact_id: contact.id,
        name: contact.display_name(),
        email: contact.f.email.clone().unwrap_or_default(),
        stage: contact.f.lead_stage.clone().unwrap_or_default(),
        subject: c.subject.unwrap_or_default(),
        channel: c.channel.clone(),
        entries: entries.iter().map(entry).collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    body: String,
}

pub async fn reply(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ReplyForm>,
) -> PageResult {
    let id = conv_id(&id)?;
    let path = format!("/w/{}/conversations/{id}", p.ctx.slug);
    match uc::reply(&s.app, &p.ctx, id, &f.body).await {
        Ok(_) => Ok(back_to(&path, Some("Your answer is on its way."))),
        Err(e @ AppError::NotFound) => Err(e.into()),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}
