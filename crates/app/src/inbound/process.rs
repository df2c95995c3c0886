//! One inbound message, start to finish: store raw (a duplicate is a no-op), classify,
//! thread to the message it answers, act, and record what was done on the inbound row, the
//! message timeline (`message_events`) and the contact timeline (`activities`).

use crate::{App, AppResult};
use prospector_core::time::{now_ms, parse_date_ms};
use prospector_mail::{Classification, Kind, classify, thread_keys};
use prospector_store::messages::{self, Engagement, Message};
use prospector_store::timeline::{self, Subject};
use prospector_store::{
    ContactId, EnrollmentId, MessageId, WorkspaceId, contacts, conversations, enrollments, inbound,
    suppressions,
};
use serde::Serialize;
use serde_json::json;

/// Soft bounces of one address after which it is suppressed.
pub const SOFT_BOUNCE_LIMIT: i64 = 3;

/// Where an inbound message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Imap,
    Sendgrid,
    Resend,
    InboundParse,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Imap => "imap",
            Source::Sendgrid => "sendgrid",
            Source::Resend => "resend",
            Source::InboundParse => "inbound_parse",
        }
    }
}

/// What processing one inbound message did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// The `inbound_messages` row.
    pub inbound_id: i64,
    /// The message was already processed: nothing was done.
    pub duplicate: bool,
    /// reply, auto_reply, bounce, feedback or other.
    pub kind: String,
    /// Our message it answers or reports on.
    pub message_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// The contact became a lead now.
    pub became_lead: bool,
    pub conversation_id: Option<i64>,
    /// What was done, in order (`replied`, `lead`, `suppressed:a@b`, ...).
    pub actions: Vec<String>,
}

/// Process a raw inbound message for a workspace. `dedup_hint` (a provider's event id, an
/// IMAP `uidvalidity:uid`) names the message when it has no Message-ID; otherwise the
/// Message-ID does, then a hash of the bytes.
pub async fn process_raw(
    app: &App,
    ws: WorkspaceId,
    source: Source,
    raw: &[u8],
    dedup_hint: Option<&str>,
) -> AppResult<Outcome> {
    process_from(app, ws, source, None, raw, dedup_hint).await
}

/// [`process_raw`] for a message read from one of the workspace's mailboxes.
pub async fn process_from(
    app: &App,
    ws: WorkspaceId,
    source: Source,
    mailbox: Option<i64>,
    raw: &[u8],
    dedup_hint: Option<&str>,
) -> AppResult<Outcome> {
    let db = app.db();
    let c = classify(raw);
    let key = match (&c.message_id, dedup_hint) {
        (Some(mid), _) if !mid.trim().is_empty() => format!("mid:{}", mid.trim()),
        (_, Some(h)) if !h.trim().is_empty() => format!("hint:{}", h.trim()),
        _ => format!(
            "sha256:{}",
            crate::crypto::sha256_hex(&String::from_utf8_lossy(raw))
        ),
    };
    // A hostile Message-ID must not overflow the unique index.
    let key = if key.len() > 200 {
        format!("sha256:{}", crate::crypto::sha256_hex(&key))
    } else {
        key
    };
    let row = match inbound::insert_raw(db, ws, mailbox, source.as_str(), &key, raw).await? {
        Some(r) => r,
        None => match inbound::find_by_dedup_key(db, ws, &key).await? {
            // Stored by an earlier attempt that failed before finishing: process it again.
            Some(r) if r.processed_at.is_none() => r,
            Some(r) => {
                return Ok(Outcome {
                    inbound_id: r.id,
                    duplicate: true,
                    kind: r.kind.unwrap_or_default(),
                    message_id: r.message_id,
                    contact_id: r.contact_id,
                    ..Default::default()
                });
            }
            None => return Err(crate::AppError::Internal("inbound row vanished".into())),
        },
    };
    let mut out = Outcome {
        inbound_id: row.id,
        kind: c.kind.as_str().to_string(),
        ..Default::default()
    };
    let mut soft: Vec<String> = Vec::new();
    let result = act(app, ws, row.id, &c, &mut out, &mut soft).await;
    let summary = json!({
        "classification": &c,
        "actions": &out.actions,
        "soft_bounced": soft,
    })
    .to_string();
    let err = result.as_ref().err().map(|e| e.to_string());
    inbound::mark_processed(
        db,
        ws,
        row.id,
        c.kind.as_str(),
        out.message_id.map(MessageId),
        out.contact_id.map(ContactId),
        &summary,
        err.as_deref(),
    )
    .await?;
    if let Err(e) = result {
        // Leave it unprocessed so the next delivery of the same message tries again.
        clear_processed(app, ws, row.id).await?;
        return Err(e);
    }
    tracing::info!(
        workspace = ws.0,
        inbound = row.id,
        kind = c.kind.as_str(),
        message = ?out.message_id,
        actions = ?out.actions,
        "inbound message processed"
    );
    Ok(out)
}

async fn clear_processed(app: &App, ws: WorkspaceId, id: i64) -> AppResult<()> {
    Ok(inbound::clear_processed(app.db(), ws, id).await?)
}

/// Our message the inbound one answers, by Message-ID (the original of a bounce first, then
/// In-Reply-To, then References), in this workspace only.
async fn by_headers(app: &App, ws: WorkspaceId, c: &Classification) -> AppResult<Option<Message>> {
    for k in thread_keys(c).iter().take(20) {
        if let Some(m) = messages::find_by_message_id_header(app.db(), &format!("<{k}>")).await?
            && m.workspace_id == ws.0
        {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// "Re: Aw: Fwd: Hello" -> "hello".
fn base_subject(s: &str) -> String {
    let mut s = s.trim();
    loop {
        let lower = s.to_lowercase();
        let cut = [
            "re:", "aw:", "fwd:", "fw:", "wg:", "sv:", "antw:", "r:", "tr:", "rif:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => return lower.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

/// The latest message we sent to `address`, preferring one with the same subject.
async fn by_address(
    app: &App,
    ws: WorkspaceId,
    address: &str,
    subject: Option<&str>,
) -> AppResult<Option<Message>> {
    let sent: Vec<Message> = messages::list_to_address(app.db(), ws, address, 50)
        .await?
        .into_iter()
        .filter(|m| m.sent_at.is_some())
        .collect();
    if let Some(s) = subject {
        let want = base_subject(s);
        if let Some(m) = sent
            .iter()
            .find(|m| m.subject.as_deref().map(base_subject).as_deref() == Some(want.as_str()))
        {
            return Ok(Some(m.clone()));
        }
    }
    Ok(sent.into_iter().next())
}

async fn activity(
    app: &App,
    ws: WorkspaceId,
    contact: Option<i64>,
    kind: &str,
    summary: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    if let Some(c) = contact {
        timeline::record(
            app.db(),
            ws,
            Subject::Contact(c),
            kind,
            summary,
            &data.to_string(),
            "inbound",
        )
        .await?;
    }
    Ok(())
}

pub(crate) fn snippet(s: &str) -> String {
    let t: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.char_indices().nth(140) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t,
    }
}

async fn act(
    app: &App,
    ws: WorkspaceId,
    inbound_id: i64,
    c: &Classification,
    out: &mut Outcome,
    soft: &mut Vec<String>,
) -> AppResult<()> {
    match c.kind {
        Kind::Reply => on_reply(app, ws, inbound_id, c, out).await,
        Kind::AutoReply => on_auto_reply(app, ws, c, out).await,
        Kind::Bounce => on_bounce(app, ws, c, out, soft).await,
        Kind::Feedback => on_complaint(app, ws, c, out).await,
        Kind::Other => {
            out.actions.push("stored".into());
            Ok(())
        }
    }
}

async fn threaded(app: &App, ws: WorkspaceId, c: &Classification) -> AppResult<Option<Message>> {
    if let Some(m) = by_headers(app, ws, c).await? {
        return Ok(Some(m));
    }
    match &c.from {
        Some(from) => by_address(app, ws, from, c.subject.as_deref()).await,
        None => Ok(None),
    }
}

async fn on_reply(
    app: &App,
    ws: WorkspaceId,
    inbound_id: i64,
    c: &Classification,
    out: &mut Outcome,
) -> AppResult<()> {
    let db = app.db();
    let Some(m) = threaded(app, ws, c).await? else {
        out.actions.push("unmatched".into());
        return Ok(());
    };
    out.message_id = Some(m.id);
    out.contact_id = m.contact_id;
    let text = c.new_text.clone().unwrap_or_default();
    crate::outreach::events::replied(app, ws, m.mid(), Some(&snippet(&text))).await?;
    out.actions.push("replied".into());
    let Some(contact) = m.contact_id else {
        return Ok(());
    };
    if contacts::make_lead(db, ws, ContactId(contact), "new", "outreach").await? {
        out.became_lead = true;
        out.actions.push("lead".into());
        activity(
            app,
            ws,
            Some(contact),
            "lead.created",
            "Became a lead by replying",
            json!({"message_id": m.id, "lead_source": "outreach"}),
        )
        .await?;
    }
    activity(
        app,
        ws,
        Some(contact),
        "email.replied",
        &format!("Replied: {}", snippet(&text)),
        json!({"message_id": m.id, "inbound_message_id": inbound_id}),
    )
    .await?;
    let conv =
        conversations::open(db, ws, ContactId(contact), "email", m.subject.as_deref()).await?;
    // The thread holds what we sent before the answer.
    conversations::add(
        db,
        ws,
        conv.id,
        &conversations::NewEntry {
            direction: "out",
            message_id: Some(m.id),
            from_address: m.from_address.as_deref(),
            to_address: Some(&m.to_address),
            subject: m.subject.as_deref(),
            body_text: &m.body_text,
            at: m.sent_at.unwrap_or(m.created_at),
            ..Default::default()
        },
    )
    .await?;
    conversations::add(
        db,
        ws,
        conv.id,
        &conversations::NewEntry {
            direction: "in",
            inbound_message_id: Some(inbound_id),
            from_address: c.from.as_deref(),
            to_address: m.from_address.as_deref(),
            subject: c.subject.as_deref(),
            body_text: &text,
            at: now_ms(),
            ..Default::default()
        },
    )
    .await?;
    out.conversation_id = Some(conv.id);
    out.actions.push("conversation".into());
    crate::notifications::reply_received(
        app,
        ws,
        &crate::notifications::ReplyEvent {
            inbound_id,
            contact: ContactId(contact),
            conversation_id: conv.id,
            message_id: m.id,
            from: c.from.as_deref(),
            subject: c.subject.as_deref(),
            text: &text,
            became_lead: out.became_lead,
        },
    )
    .await?;
    out.actions.push("notified".into());
    Ok(())
}

async fn on_auto_reply(
    app: &App,
    ws: WorkspaceId,
    c: &Classification,
    out: &mut Outcome,
) -> AppResult<()> {
    let db = app.db();
    let Some(m) = threaded(app, ws, c).await? else {
        out.actions.push("unmatched".into());
        return Ok(());
    };
    out.message_id = Some(m.id);
    out.contact_id = m.contact_id;
    messages::append_event(
        db,
        ws,
        m.mid(),
        "auto_reply",
        Some(&c.reason),
        &json!({"return_date": c.return_date}).to_string(),
        now_ms(),
    )
    .await?;
    out.actions.push("auto_reply".into());
    // The sequence goes on; it waits for the return date when one is given.
    if let (Some(date), Some(eid)) = (
        c.return_date.as_deref().and_then(parse_date_ms),
        m.enrollment_id,
    ) {
        let e = enrollments::get(db, ws, EnrollmentId(eid)).await?;
        if e.state == enrollments::ACTIVE && e.next_at.is_none_or(|n| n < date) {
            enrollments::set_next_at(db, ws, EnrollmentId(eid), Some(date)).await?;
            out.actions.push(format!(
                "wait_until:{}",
                c.return_date.as_deref().unwrap_or("")
            ));
        }
    }
    activity(
        app,
        ws,
        m.contact_id,
        "email.auto_reply",
        &match &c.return_date {
            Some(d) => format!("Automatic reply (back {d})"),
            None => "Automatic reply".to_string(),
        },
        json!({"message_id": m.id, "return_date": c.return_date}),
    )
    .await
}

async fn on_bounce(
    app: &App,
    ws: WorkspaceId,
    c: &Classification,
    out: &mut Outcome,
    soft: &mut Vec<String>,
) -> AppResult<()> {
    let original = by_headers(app, ws, c).await?;
    if c.recipients.is_empty() {
        out.actions.push("no_recipients".into());
    }
    for r in c.recipients.iter().take(50) {
        let addr = r.address.trim().to_lowercase();
        if addr.is_empty() {
            continue;
        }
        let m = match &original {
            Some(m) if m.to_address.eq_ignore_ascii_case(&addr) || c.recipients.len() == 1 => {
                Some(m.clone())
            }
            _ => by_address(app, ws, &addr, None).await?,
        };
        let Some(m) = m else {
            // Not ours (or long gone): nothing to act on.
            out.actions.push(format!("unmatched:{addr}"));
            continue;
        };
        out.message_id.get_or_insert(m.id);
        if out.contact_id.is_none() {
            out.contact_id = m.contact_id;
        }
        let data = json!({
            "address": addr, "status": r.status, "smtp_code": r.smtp_code, "hard": r.hard,
            "reason": r.reason.as_str(), "diagnostic": r.diagnostic,
        });
        let detail = r
            .diagnostic
            .clone()
            .unwrap_or_else(|| r.reason.as_str().to_string());
        if r.hard && !c.delayed {
            hard_bounce(
                app,
                ws,
                &m,
                &addr,
                &detail,
                r.reason.as_str(),
                data,
                &mut out.actions,
            )
            .await?;
        } else {
            soft.push(format!("soft:{addr}"));
            soft_bounce(
                app,
                ws,
                &m,
                &addr,
                &detail,
                r.reason.as_str(),
                data,
                !c.delayed,
                &mut out.actions,
            )
            .await?;
        }
    }
    Ok(())
}

/// A permanent failure for `addr`: suppress it, mark the message bounced, stop the
/// contact's sequences.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn hard_bounce(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    addr: &str,
    detail: &str,
    reason: &str,
    data: serde_json::Value,
    actions: &mut Vec<String>,
) -> AppResult<()> {
    let db = app.db();
    suppressions::add(db, ws, "email", addr, "hard bounce").await?;
    messages::record(
        db,
        ws,
        m.mid(),
        Engagement::Bounced,
        Some(detail),
        &data.to_string(),
        now_ms(),
    )
    .await?;
    if let Some(contact) = m.contact_id {
        crate::outreach::events::stop_contact(app, ws, ContactId(contact), "bounce").await?;
        mark_email_invalid(app, ws, ContactId(contact), addr, reason, detail, &data).await?;
    }
    actions.push(format!("suppressed:{addr}"));
    activity(
        app,
        ws,
        m.contact_id,
        "email.bounced",
        &format!("Hard bounce of {addr}: {reason}"),
        data,
    )
    .await
}

/// Record that the contact's address is undeliverable, as an `email_verification` fact
/// with status `invalid` — the same record an address check makes, so the contact page and
/// API show it where people look for it ("invalid: hard bounce 5.1.1 ...") and a later
/// successful check can supersede it. Only when the bounced address is the contact's
/// current one (an old address bouncing says nothing about the new one).
async fn mark_email_invalid(
    app: &App,
    ws: WorkspaceId,
    contact: ContactId,
    addr: &str,
    reason: &str,
    detail: &str,
    data: &serde_json::Value,
) -> AppResult<()> {
    let db = app.db();
    let c = contacts::get(db, ws, contact).await?;
    if !c
        .f
        .email
        .as_deref()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case(addr))
    {
        return Ok(());
    }
    let status = data.get("status").and_then(|s| s.as_str()).unwrap_or("");
    let why = format!(
        "hard bounce{}: {}",
        if status.is_empty() {
            String::new()
        } else {
            format!(" {status}")
        },
        if detail.is_empty() { reason } else { detail }
    );
    let fact = prospector_store::facts::NewFact {
        kind: "email_verification".into(),
        value: "invalid".into(),
        data: json!({
            "email": addr, "status": "invalid", "source": "bounce", "reason": reason,
            "reasons": [snippet(&why)], "bounce": data,
        })
        .to_string(),
        source_url: None,
        confidence: 1.0,
    };
    prospector_store::facts::insert_contact_fact(db, ws, contact, c.f.company_id, &fact).await?;
    Ok(())
}

/// A temporary failure: an event on the message; the address is suppressed (and the
/// sequences stopped) once it soft-bounced [`SOFT_BOUNCE_LIMIT`] times. Before that, when
/// the sending server gave up (`retry`; a "delayed" notice means it is still trying) on a
/// message of a running sequence, the same message is sent again after
/// [`SOFT_RETRY_DELAYS_MS`] (by soft bounce count) — once per bounced message.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn soft_bounce(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    addr: &str,
    detail: &str,
    reason: &str,
    data: serde_json::Value,
    retry: bool,
    actions: &mut Vec<String>,
) -> AppResult<()> {
    let db = app.db();
    messages::append_event(
        db,
        ws,
        m.mid(),
        "soft_bounce",
        Some(detail),
        &data.to_string(),
        now_ms(),
    )
    .await?;
    actions.push(format!("soft_bounce:{addr}"));
    let count = inbound::count_soft_bounces(db, ws, addr).await?;
    let mut summary = format!("Soft bounce of {addr}: {reason}");
    if count >= SOFT_BOUNCE_LIMIT {
        suppressions::add(db, ws, "email", addr, "repeated soft bounces").await?;
        if let Some(contact) = m.contact_id {
            crate::outreach::events::stop_contact(app, ws, ContactId(contact), "bounce").await?;
        }
        actions.push(format!("suppressed:{addr}"));
        summary.push_str(&format!(" ({count} soft bounces: suppressed)"));
    } else if retry && let Some(at) = resend_later(app, ws, m, count).await? {
        actions.push(format!("resend:{}", at.0));
        summary.push_str(&format!(
            " (sent again in {} h)",
            soft_retry_delay_ms(count) / 3_600_000
        ));
    }
    activity(app, ws, m.contact_id, "email.soft_bounce", &summary, data).await
}

/// How long to wait before sending a soft-bounced message again, by how many soft bounces
/// the address has had (a full mailbox or a busy server usually recovers within hours).
pub const SOFT_RETRY_DELAYS_MS: [i64; 2] = [4 * 3_600_000, 24 * 3_600_000];

fn soft_retry_delay_ms(count: i64) -> i64 {
    let i = usize::try_from(count.saturating_sub(1)).unwrap_or(0);
    SOFT_RETRY_DELAYS_MS[i.min(SOFT_RETRY_DELAYS_MS.len() - 1)]
}

/// Queue a copy of `m` (new Message-ID, same campaign, step and content) for later, when
/// its sequence is still running and it was not already resent. The copy belongs to the
/// campaign, so a reply, bounce or unsubscribe before it goes out withdraws it.
async fn resend_later(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    count: i64,
) -> AppResult<Option<MessageId>> {
    let db = app.db();
    let (Some(eid), Some(_)) = (m.enrollment_id, m.campaign_id) else {
        return Ok(None);
    };
    let e = enrollments::get(db, ws, EnrollmentId(eid)).await?;
    if e.state != enrollments::ACTIVE {
        return Ok(None);
    }
    if messages::events(db, ws, m.mid())
        .await?
        .iter()
        .any(|ev| ev.kind == "resend_queued")
    {
        return Ok(None);
    }
    let from = m.from_address.clone().unwrap_or_default();
    let copy = messages::queue(
        db,
        ws,
        &messages::NewMessage {
            campaign_id: m.campaign_id.map(prospector_store::CampaignId),
            contact_id: m.contact_id.map(ContactId),
            step_id: m.step_id.map(prospector_store::StepId),
            variant_id: m.variant_id.map(prospector_store::VariantId),
            channel: m.channel.clone(),
            sender_id: m.sender_id.map(prospector_store::SenderId),
            from_address: m.from_address.clone(),
            to_address: m.to_address.clone(),
            subject: m.subject.clone(),
            body_text: m.body_text.clone(),
            body_html: m.body_html.clone(),
            message_id_header: Some(crate::outreach::engine::message_id_for(&from)),
            in_reply_to: m.in_reply_to.clone(),
            unsubscribe_token: Some(crate::crypto::ordered_token(16)),
            scheduled_at: now_ms() + soft_retry_delay_ms(count),
            ..Default::default()
        },
    )
    .await?;
    messages::append_event(
        db,
        ws,
        m.mid(),
        "resend_queued",
        Some(&format!("sent again as message {}", copy.id)),
        &json!({"message_id": copy.id, "scheduled_at": copy.scheduled_at}).to_string(),
        now_ms(),
    )
    .await?;
    Ok(Some(MessageId(copy.id)))
}

async fn on_complaint(
    app: &App,
    ws: WorkspaceId,
    c: &Classification,
    out: &mut Outcome,
) -> AppResult<()> {
    let mut m = by_headers(app, ws, c).await?;
    if m.is_none()
        && let Some(r) = c.recipients.first()
    {
        m = by_address(app, ws, &r.address.to_lowercase(), None).await?;
    }
    let Some(m) = m else {
        out.actions.push("unmatched".into());
        return Ok(());
    };
    out.message_id = Some(m.id);
    out.contact_id = m.contact_id;
    complaint(app, ws, &m, c.feedback_type.as_deref(), &mut out.actions).await
}

/// A complaint about our message: suppress the address, record it, unsubscribe.
pub(crate) async fn complaint(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    feedback_type: Option<&str>,
    actions: &mut Vec<String>,
) -> AppResult<()> {
    let db = app.db();
    let addr = m.to_address.to_lowercase();
    suppressions::add(db, ws, "email", &addr, "complaint").await?;
    let data = json!({"feedback_type": feedback_type});
    messages::record(
        db,
        ws,
        m.mid(),
        Engagement::Complained,
        feedback_type,
        &data.to_string(),
        now_ms(),
    )
    .await?;
    match &m.unsubscribe_token {
        Some(token) => {
            crate::outreach::tracking::unsubscribe(app, token, "complaint").await?;
        }
        None => {
            if let Some(contact) = m.contact_id {
                enrollments::stop_for_contact(db, ws, ContactId(contact), "unsubscribed").await?;
            }
        }
    }
    actions.push(format!("suppressed:{addr}"));
    actions.push("unsubscribed".into());
    activity(
        app,
        ws,
        m.contact_id,
        "email.complained",
        &format!(
            "Complaint about our message ({})",
            feedback_type.unwrap_or("abuse")
        ),
        json!({"message_id": m.id, "feedback_type": feedback_type}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::base_subject;

    #[test]
    fn subjects_lose_reply_prefixes() {
        assert_eq!(base_subject("Re: AW: Fwd:  Hello   there"), "hello there");
        assert_eq!(base_subject("Hello"), "hello");
        assert_eq!(base_subject(""), "");
    }
}
