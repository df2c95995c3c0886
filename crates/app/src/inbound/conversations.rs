//! Leads and conversations as members see them: the leads list (contacts with a lead stage),
//! a contact's email thread, and answering it from the dashboard through the sender that
//! wrote to them (queued in the outbox with In-Reply-To, sent by `outreach.dispatch`).

use crate::contacts::{ListQuery, Page};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::contacts::Contact;
use prospector_store::conversations::{self, Conversation, ConversationMessage, NewEntry};
use prospector_store::messages::{self, NewMessage};
use prospector_store::{ContactId, MessageId, SenderId, senders};
use serde::Serialize;

/// Leads: contacts with a lead stage, searchable and paged like contacts.
pub async fn leads(
    app: &App,
    ctx: &WsCtx,
    q: Option<String>,
    cursor: Option<String>,
) -> AppResult<Page<Contact>> {
    let query = ListQuery {
        q,
        cursor,
        lead_stage: Some("any".into()),
        limit: Some("50".into()),
        ..Default::default()
    };
    crate::contacts::list_contacts(app, ctx, &query).await
}

/// A conversation with its contact, for the list.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationRow {
    pub conversation: Conversation,
    pub contact: Option<Contact>,
}

/// The workspace's conversations, most recent first.
pub async fn list(app: &App, ctx: &WsCtx, limit: i64) -> AppResult<Vec<ConversationRow>> {
    let mut out = Vec::new();
    for c in conversations::list(app.db(), ctx.ws, None, limit).await? {
        let contact = prospector_store::contacts::get(app.db(), ctx.ws, ContactId(c.contact_id))
            .await
            .ok();
        out.push(ConversationRow {
            conversation: c,
            contact,
        });
    }
    Ok(out)
}

/// One conversation: its contact and its entries, oldest first. Reading it marks it read
/// (for members who may write).
pub async fn thread(
    app: &App,
    ctx: &WsCtx,
    id: i64,
) -> AppResult<(Conversation, Contact, Vec<ConversationMessage>)> {
    let c = conversations::get(app.db(), ctx.ws, id).await?;
    let contact =
        prospector_store::contacts::get(app.db(), ctx.ws, ContactId(c.contact_id)).await?;
    let entries = conversations::entries(app.db(), ctx.ws, id, 500).await?;
    if c.unread > 0 && ctx.require(Permission::Write).is_ok() {
        conversations::mark_read(app.db(), ctx.ws, id).await?;
    }
    Ok((c, contact, entries))
}

/// Answer a conversation by email: from the sender of our latest message in it, to the
/// contact, as a reply to their latest message (or ours). Returns the queued message id.
pub async fn reply(app: &App, ctx: &WsCtx, id: i64, body: &str) -> AppResult<i64> {
    ctx.require(Permission::Write)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "write a message first"));
    }
    if body.len() > 100_000 {
        return Err(AppError::invalid("body", "the message is too long"));
    }
    let db = app.db();
    let c = conversations::get(db, ctx.ws, id).await?;
    let contact = prospector_store::contacts::get(db, ctx.ws, ContactId(c.contact_id)).await?;
    if c.channel == "whatsapp" || c.channel == "sms" {
        return reply_on_phone(app, ctx, &c, &contact, body).await;
    }
    let entries = conversations::entries(db, ctx.ws, id, 1000).await?;
    let ours = entries
        .iter()
        .rev()
        .filter_map(|e| e.message_id)
        .next()
        .ok_or_else(|| {
            AppError::invalid(
                "body",
                "this conversation has no message of ours to answer from",
            )
        })?;
    let last = messages::get(db, ctx.ws, MessageId(ours)).await?;
    let sender_id = last
        .sender_id
        .ok_or_else(|| AppError::invalid("body", "the sender of this conversation is gone"))?;
    let sender = senders::get(db, ctx.ws, SenderId(sender_id)).await?;
    let to = contact
        .f
        .email
        .clone()
        .unwrap_or_else(|| last.to_address.clone());
    // Reply to their latest message when we have its Message-ID, else to ours.
    let mut in_reply_to = last.message_id_header.clone();
    if let Some(inb) = entries.iter().rev().find_map(|e| e.inbound_message_id)
        && let Ok(row) = prospector_store::inbound::get_inbound(db, ctx.ws, inb).await
        && let Some(mid) = row.dedup_key.strip_prefix("mid:")
    {
        in_reply_to = Some(format!("<{mid}>"));
    }
    let subject = c.subject.clone().or(last.subject.clone()).map(|s| {
        if s.to_lowercase().starts_with("re:") {
            s
        } else {
            format!("Re: {s}")
        }
    });
    let m = messages::queue(
        db,
        ctx.ws,
        &NewMessage {
            campaign_id: None,
            contact_id: Some(contact.cid()),
            channel: "email".into(),
            sender_id: Some(SenderId(sender.id)),
            from_address: Some(sender.f.from_email.clone()),
            to_address: to.clone(),
            subject: subject.clone(),
            body_text: body.to_string(),
            message_id_header: Some(crate::outreach::engine::message_id_for(
                &sender.f.from_email,
            )),
            in_reply_to,
            unsubscribe_token: Some(crate::crypto::ordered_token(16)),
            scheduled_at: now_ms(),
            ..Default::default()
        },
    )
    .await?;
    conversations::add(
        db,
        ctx.ws,
        id,
        &NewEntry {
            direction: "out",
            message_id: Some(m.id),
            from_address: Some(&sender.f.from_email),
            to_address: Some(&to),
            subject: subject.as_deref(),
            body_text: body,
            at: now_ms(),
            ..Default::default()
        },
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "conversation.replied",
        "message",
        m.id,
        None,
        None,
    )
    .await?;
    crate::outreach::dispatch::kick(app).await?;
    Ok(m.id)
}

/// A WhatsApp conversation is answered on WhatsApp (free text: it goes inside the 24-hour
/// window, else it is skipped with the reason) and an SMS conversation by SMS, to the number
/// the contact wrote from.
async fn reply_on_phone(
    app: &App,
    ctx: &WsCtx,
    c: &conversations::Conversation,
    contact: &prospector_store::contacts::Contact,
    body: &str,
) -> AppResult<i64> {
    use crate::messaging::send;
    let m = if c.channel == "whatsapp" {
        send::queue_text(
            app,
            ctx,
            &send::TextSendInput {
                contact_id: Some(contact.id),
                body: body.to_string(),
                ..Default::default()
            },
        )
        .await?
    } else {
        send::queue_sms(
            app,
            ctx,
            &send::SmsSendInput {
                contact_id: Some(contact.id),
                body: body.to_string(),
                ..Default::default()
            },
        )
        .await?
    };
    let row = messages::get(app.db(), ctx.ws, m).await?;
    conversations::add(
        app.db(),
        ctx.ws,
        c.id,
        &NewEntry {
            direction: "out",
            message_id: Some(m.0),
            from_address: row.from_address.as_deref(),
            to_address: Some(&row.to_address),
            body_text: body,
            at: now_ms(),
            ..Default::default()
        },
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "conversation.replied",
        "message",
        m.0,
        None,
        None,
    )
    .await?;
    crate::messaging::dispatch::kick(app).await?;
    Ok(m.0)
}
