//! What happens to sequences when a recipient acts: a reply, a bounce, an unsubscribe or a
//! lead-stage change stops the contact's enrollments in every campaign whose `stop_on`
//! names it (an unsubscribe and a hard bounce stop all of them, whatever the campaign says)
//! and withdraws the messages still waiting for those campaigns.

use crate::{App, AppResult, WsCtx};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::campaigns;
use prospector_store::enrollments;
use prospector_store::messages::{self, Engagement, Message, Selection};
use prospector_store::{CampaignId, ContactId, EnrollmentId, MessageId, WorkspaceId};
use serde_json::json;

/// Stop the contact's enrollments that `reason` (reply, bounce, unsubscribe,
/// lead_stage_change) applies to. Returns how many stopped.
pub async fn stop_contact(
    app: &App,
    ws: WorkspaceId,
    contact: ContactId,
    reason: &str,
) -> AppResult<u64> {
    let db = app.db();
    let always = reason == "unsubscribe" || reason == "bounce";
    let mut stopped = 0;
    for e in enrollments::of_contact(db, ws, contact).await? {
        if e.state != enrollments::ACTIVE && e.state != enrollments::PAUSED {
            continue;
        }
        let c = campaigns::get_campaign(db, ws, CampaignId(e.campaign_id)).await?;
        let stop_on: Vec<String> = serde_json::from_str(&c.f.stop_on).unwrap_or_default();
        if always || stop_on.iter().any(|s| s == reason) {
            if enrollments::stop(db, ws, EnrollmentId(e.id), reason).await? {
                stopped += 1;
            }
            // Withdraw what this enrollment still had waiting.
            let waiting = messages::list_for_campaign(
                db,
                ws,
                CampaignId(e.campaign_id),
                Some(messages::QUEUED),
                None,
                500,
            )
            .await?;
            let ids: Vec<MessageId> = waiting
                .iter()
                .chain(
                    messages::list_for_campaign(
                        db,
                        ws,
                        CampaignId(e.campaign_id),
                        Some(messages::PENDING_APPROVAL),
                        None,
                        500,
                    )
                    .await?
                    .iter(),
                )
                .filter(|m| m.contact_id == Some(contact.0))
                .map(|m| MessageId(m.id))
                .collect();
            if !ids.is_empty() {
                messages::cancel(
                    db,
                    ws,
                    Selection::Ids(&ids),
                    &format!("sequence stopped: {reason}"),
                )
                .await?;
            }
        }
    }
    if stopped > 0 {
        tracing::info!(
            workspace = ws.0,
            contact = contact.0,
            reason,
            stopped,
            "sequences stopped"
        );
    }
    Ok(stopped)
}

/// Record that a message was answered by a person (from the inbox, a webhook, or a member
/// marking it by hand) and stop the sequences that stop on a reply.
pub async fn replied(
    app: &App,
    ws: WorkspaceId,
    message: MessageId,
    detail: Option<&str>,
) -> AppResult<Message> {
    let m = messages::get(app.db(), ws, message).await?;
    messages::record(
        app.db(),
        ws,
        message,
        Engagement::Replied,
        detail,
        &json!({}).to_string(),
        now_ms(),
    )
    .await?;
    if let Some(c) = m.contact_id {
        stop_contact(app, ws, ContactId(c), "reply").await?;
    }
    Ok(messages::get(app.db(), ws, message).await?)
}

/// A member marks a message as replied (the answer came by phone, or to another inbox).
pub async fn mark_replied(
    app: &App,
    ctx: &WsCtx,
    message: i64,
    note: Option<&str>,
) -> AppResult<Message> {
    ctx.require(Permission::Write)?;
    let m = replied(
        app,
        ctx.ws,
        MessageId(message),
        note.or(Some("marked by a member")),
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "message.marked_replied",
        "message",
        message,
        None,
        None,
    )
    .await?;
    Ok(m)
}

/// The timeline of one message.
pub async fn timeline(
    app: &App,
    ctx: &WsCtx,
    message: i64,
) -> AppResult<(Message, Vec<messages::MessageEvent>)> {
    let m = messages::get(app.db(), ctx.ws, MessageId(message)).await?;
    let ev = messages::events(app.db(), ctx.ws, MessageId(message)).await?;
    Ok((m, ev))
}

/// Messages sent to a contact, newest first (the contact page).
pub async fn of_contact(
    app: &App,
    ctx: &WsCtx,
    contact: i64,
    limit: i64,
) -> AppResult<Vec<Message>> {
    Ok(messages::list_for_contact(app.db(), ctx.ws, ContactId(contact), None, limit).await?)
}
