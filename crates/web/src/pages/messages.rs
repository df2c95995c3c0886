//! One outreach message on a page: its headers, text, the append-only event timeline, and
//! what a member can do with it (mark replied, retry an uncertain one, edit, approve or
//! reject one waiting for review). Also the messages section of a contact's page.

use super::campaigns::{MessageRow, StepLabels, message_row};
use super::contacts::{Notice, Times, flash, id_of, redirect_error};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::campaigns::{self as campaigns, Review};
use prospector_app::outreach::events;
use prospector_app::store::messages::{Message, MessageEvent};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/messages/{id}", get(show))
        .route("/w/{slug}/messages/{id}/replied", post(replied))
        .route("/w/{slug}/messages/{id}/retry", post(retry))
        .route("/w/{slug}/messages/{id}/edit", post(edit))
        .route("/w/{slug}/messages/{id}/review", post(review))
        .route("/w/{slug}/contacts/{id}/messages", get(of_contact))
}

/// One line of the timeline.
pub struct EventRow {
    pub kind: String,
    pub detail: String,
    pub data: String,
    pub at: i64,
}

impl EventRow {
    fn of(e: &MessageEvent) -> EventRow {
        let data = match e.data.trim() {
            "" | "{}" | "null" => String::new(),
            d => d.to_string(),
        };
        EventRow {
            kind: e.kind.clone(),
            detail: e.detail.clone().unwrap_or_default(),
            data,
            at: e.created_at,
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    shell: Shell,
    tab: &'static str,
    m: Message,
    step: String,
    campaign: Option<(i64, String)>,
    contact: Option<(i64, String)>,
    sender: String,
    unsubscribe: String,
    events: Vec<EventRow>,
}

impl Times for MessagePage {}

impl MessagePage {
    fn opt_time(&self, t: &Option<i64>) -> String {
        t.map(|t| self.when(t)).unwrap_or_default()
    }
}

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = id_of(&id)?;
    let (m, ev) = events::timeline(&s.app, &p.ctx, id).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "campaigns").await?, &n);
    let (campaign, step) = match m.campaign_id {
        Some(cid) => match campaigns::get(&s.app, &p.ctx, cid).await {
            Ok(d) => (
                Some((cid, d.campaign.f.name.clone())),
                StepLabels::of(&d).label(m.step_id, m.variant_id),
            ),
            Err(AppError::NotFound) => (None, String::new()),
            Err(e) => return Err(e.into()),
        },
        None => (None, "Test send".into()),
    };
    let contact = match m.contact_id {
        Some(c) => prospector_app::contacts::contact(&s.app, &p.ctx, ContactId(c))
            .await
            .ok()
            .map(|c| (c.id, c.display_name())),
        None => None,
    };
    let sender = match m.sender_id {
        Some(sid) => match prospector_app::outreach::senders::get(&s.app, &p.ctx, sid).await {
            Ok(x) => format!(
                "{} <{}>",
                x.name,
                m.from_address.clone().unwrap_or(x.from_email)
            ),
            Err(_) => m.from_address.clone().unwrap_or_default(),
        },
        None => m.from_address.clone().unwrap_or_default(),
    };
    let unsubscribe = m
        .unsubscribe_token
        .as_deref()
        .map(|t| format!("/u/{t}"))
        .unwrap_or_default();
    Ok(render(&MessagePage {
        shell,
        tab: super::campaigns::TAB_CAMPAIGNS,
        step,
        campaign,
        contact,
        sender,
        unsubscribe,
        events: ev.iter().map(EventRow::of).collect(),
        m,
    }))
}

fn message_path(p: &Page<Write>, id: i64) -> String {
    format!("/w/{}/messages/{id}", p.ctx.slug)
}

pub async fn replied(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = message_path(&p, id);
    match events::mark_replied(&s.app, &p.ctx, id, None).await {
        Ok(_) => Ok(back_to(
            &path,
            Some("Marked as replied: the contact's sequences that stop on a reply are stopped."),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn retry(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = message_path(&p, id);
    crate::api::messages::existing(&s.app, &p.ctx, id).await?;
    match campaigns::retry_uncertain(&s.app, &p.ctx, &[id]).await {
        Ok(0) => Ok(redirect_error(
            &path,
            AppError::Conflict {
                field: None,
                message: "only a message whose outcome is uncertain can be retried".into(),
            },
        )),
        Ok(_) => Ok(back_to(
            &path,
            Some("Queued again with the same Message-ID; it goes out in a moment."),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    subject: String,
    body: String,
}

pub async fn edit(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<EditForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = message_path(&p, id);
    crate::api::messages::existing(&s.app, &p.ctx, id).await?;
    match campaigns::edit_pending(&s.app, &p.ctx, id, &f.subject, &f.body).await {
        Ok(_) => Ok(back_to(
            &path,
            Some("Message changed; approve it to queue it."),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    op: String,
}

pub async fn review(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = message_path(&p, id);
    let m = crate::api::messages::existing(&s.app, &p.ctx, id).await?;
    let Some(cid) = m.campaign_id else {
        return Ok(redirect_error(
            &path,
            AppError::invalid("op", "a test message needs no review"),
        ));
    };
    let action = if f.op == "reject" {
        Review::Reject
    } else {
        Review::Approve
    };
    match campaigns::review(&s.app, &p.ctx, cid, action, &[id]).await {
        Ok(0) => Ok(redirect_error(
            &path,
            AppError::Conflict {
                field: None,
                message: "this message is not waiting for approval any more".into(),
            },
        )),
        Ok(_) => Ok(back_to(
            &path,
            Some(match action {
                Review::Approve => "Approved and queued.",
                Review::Reject => "Rejected; it will not be sent.",
            }),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// A contact's messages

#[derive(Template)]
#[template(path = "contact_messages.html")]
struct ContactMessages {
    shell: Shell,
    rows: Vec<MessageRow>,
    campaigns: HashMap<i64, String>,
    campaign_of: HashMap<i64, i64>,
}

#[derive(Template)]
#[template(path = "contact_messages_page.html")]
struct ContactMessagesPage {
    shell: Shell,
    tab: &'static str,
    contact_id: i64,
    name: String,
    rows: Vec<MessageRow>,
    campaigns: HashMap<i64, String>,
    campaign_of: HashMap<i64, i64>,
}

impl Times for ContactMessages {}
impl Times for ContactMessagesPage {}

impl ContactMessages {
    fn campaign_name(&self, message: &i64) -> String {
        campaign_name(&self.campaigns, &self.campaign_of, *message)
    }
}

impl ContactMessagesPage {
    fn campaign_name(&self, message: &i64) -> String {
        campaign_name(&self.campaigns, &self.campaign_of, *message)
    }
}

fn campaign_name(
    campaigns: &HashMap<i64, String>,
    campaign_of: &HashMap<i64, i64>,
    message: i64,
) -> String {
    campaign_of
        .get(&message)
        .and_then(|c| campaigns.get(c))
        .cloned()
        .unwrap_or_default()
}

/// The contact's messages: a fragment for the contact page (loaded by htmx), or a page of its
/// own for a browser without JavaScript.
pub async fn of_contact(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> PageResult {
    let id = id_of(&id)?;
    let c = prospector_app::contacts::contact(&s.app, &p.ctx, ContactId(id)).await?;
    let list = events::of_contact(&s.app, &p.ctx, id, 100).await?;
    let mut details = HashMap::new();
    let mut campaign_of = HashMap::new();
    for m in &list {
        if let Some(cid) = m.campaign_id {
            campaign_of.insert(m.id, cid);
            if let std::collections::hash_map::Entry::Vacant(e) = details.entry(cid)
                && let Ok(d) = campaigns::get(&s.app, &p.ctx, cid).await
            {
                e.insert(d);
            }
        }
    }
    let rows = list
        .iter()
        .map(|m| {
            let labels = m
                .campaign_id
                .and_then(|c| details.get(&c))
                .map(StepLabels::of);
            match labels {
                Some(l) => message_row(m, &l),
                None => message_row(m, &StepLabels::empty()),
            }
        })
        .collect();
    let campaigns: HashMap<i64, String> = details
        .iter()
        .map(|(k, d)| (*k, d.campaign.f.name.clone()))
        .collect();
    let shell = Shell::for_page(&s.app, &p, "contacts").await?;
    if headers.contains_key("hx-request") {
        Ok(render(&ContactMessages {
            shell,
            rows,
            campaigns,
            campaign_of,
        }))
    } else {
        Ok(render(&ContactMessagesPage {
            shell,
            tab: super::contacts::TAB_CONTACTS,
            contact_id: id,
            name: c.display_name(),
            rows,
            campaigns,
            campaign_of,
        }))
    }
}
