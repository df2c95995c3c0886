//! `messaging.dispatch`: claims queued `whatsapp` and `sms` messages from the outbox and
//! hands them to the workspace's provider. Before each send it checks consent and
//! suppressions (again: they may have changed since queueing), the 24-hour window for free
//! text (outside it: the fallback template, or the message is cancelled with the reason —
//! never a failed call), and the number's rolling daily limit; sends of one number are paced
//! to its throughput. Outcomes: accepted → `sent` with the provider id and its cost (message
//! and ledger); transient → retried with backoff; outcome unknown → `uncertain`; anything
//! else → `failed` with the mapped reason.

use crate::{App, AppResult};
use prospector_channels::sms::{SmsError, SmsProvider, SmsReason};
use prospector_channels::whatsapp::{
    MessageContent, OutgoingMessage, TemplateSend, WaReason, WhatsAppError, WhatsAppProvider,
};
use prospector_core::backoff::retry_delay;
use prospector_core::messaging::{DEFAULT_DAILY_LIMIT, window_open};
use prospector_core::time::{DAY, now_ms};
use prospector_store::messages::{self, Claim, Message, Sent};
use prospector_store::messaging::{self as store, ChannelPart, SmsConnection, WaConnection};
use prospector_store::{ContactId, MessageId, WorkspaceId};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const DISPATCH_JOB: &str = "messaging.dispatch";

/// Messages claimed per round and channel.
const CLAIM: i64 = 64;
/// A round stops claiming after this long (the next one continues at once).
const ROUND_BUDGET: Duration = Duration::from_secs(20);
/// Attempts before a transient failure becomes final.
const MAX_ATTEMPTS: i64 = 6;

#[derive(Debug, Clone, Default, Serialize)]
pub struct DispatchReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub uncertain: u64,
    /// Withdrawn before sending: no consent, suppressed, outside the window without fallback.
    pub skipped: u64,
}

pub(crate) async fn job(ctx: crate::jobs::JobCtx) -> crate::jobs::JobResult {
    let r = dispatch(&ctx.app).await?;
    Ok(Some(serde_json::to_value(&r).unwrap_or_default()))
}

/// Queue a dispatch round now.
pub async fn kick(app: &App) -> AppResult<()> {
    super::kick(app, DISPATCH_JOB).await
}

/// Send what is due on both channels until nothing is left or the round's time is up.
pub async fn dispatch(app: &App) -> AppResult<DispatchReport> {
    let mut r = DispatchReport::default();
    let started = Instant::now();
    let mut pacer = Pacer::default();
    'round: for channel in ["whatsapp", "sms"] {
        loop {
            let now = now_ms();
            let attempt = format!("m{}", crate::crypto::random_token(9));
            let claimed = messages::claim_for_sending(
                app.db(),
                &Claim {
                    now,
                    lease_ms: i64::try_from(app.config().outbox_lease_secs).unwrap_or(300) * 1000,
                    limit: CLAIM,
                    attempt_id: &attempt,
                    channel: Some(channel),
                },
            )
            .await?;
            if claimed.is_empty() {
                break;
            }
            for m in claimed {
                let ws = m.workspace();
                let outcome = match channel {
                    "whatsapp" => send_whatsapp(app, ws, &m, &attempt, &mut pacer).await,
                    _ => send_sms(app, ws, &m, &attempt, &mut pacer).await,
                };
                match outcome {
                    Ok(Done::Sent) => r.sent += 1,
                    Ok(Done::Retried) => r.retried += 1,
                    Ok(Done::Failed) => r.failed += 1,
                    Ok(Done::Uncertain) => r.uncertain += 1,
                    Ok(Done::Skipped) => r.skipped += 1,
                    Err(e) => {
                        // Our own failure (database): the lease expires and the message
                        // becomes uncertain, never sent twice silently.
                        tracing::error!(message = m.id, error = %e, "messaging dispatch error");
                        return Err(e);
                    }
                }
            }
            if started.elapsed() > ROUND_BUDGET {
                kick(app).await?;
                break 'round;
            }
        }
    }
    if r.sent + r.failed + r.skipped > 0 {
        // The next step of a sequence may follow at once.
        crate::outreach::engine::follow_up(app).await?;
    }
    if r.sent + r.failed + r.retried + r.uncertain + r.skipped > 0 {
        tracing::info!(
            sent = r.sent,
            retried = r.retried,
            failed = r.failed,
            uncertain = r.uncertain,
            skipped = r.skipped,
            "messaging round"
        );
    }
    Ok(r)
}

enum Done {
    Sent,
    Retried,
    Failed,
    Uncertain,
    Skipped,
}

/// Spaces the sends of one number by `1000 / mps` ms.
#[derive(Default)]
struct Pacer {
    last: HashMap<(i64, &'static str), Instant>,
}

impl Pacer {
    async fn wait(&mut self, ws: WorkspaceId, channel: &'static str, mps: i64) {
        let gap = Duration::from_micros(1_000_000 / u64::try_from(mps.max(1)).unwrap_or(1));
        if let Some(t) = self.last.get(&(ws.0, channel)) {
            let since = t.elapsed();
            if since < gap {
                tokio::time::sleep(gap - since).await;
            }
        }
        self.last.insert((ws.0, channel), Instant::now());
    }
}

async fn skip(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    why: &str,
) -> AppResult<Done> {
    messages::mark_cancelled(app.db(), ws, m.mid(), attempt, why, now_ms()).await?;
    tracing::info!(
        workspace = ws.0,
        message = m.id,
        reason = why,
        "message skipped"
    );
    Ok(Done::Skipped)
}

async fn fail(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    why: &str,
) -> AppResult<Done> {
    messages::mark_failed(app.db(), ws, m.mid(), attempt, why, now_ms()).await?;
    tracing::warn!(
        workspace = ws.0,
        message = m.id,
        reason = why,
        "message failed"
    );
    Ok(Done::Failed)
}

async fn retry(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    why: &str,
) -> AppResult<Done> {
    if m.attempts >= MAX_ATTEMPTS {
        return fail(
            app,
            ws,
            m,
            attempt,
            &format!("gave up after {} attempts: {why}", m.attempts),
        )
        .await;
    }
    let now = now_ms();
    let wait = retry_delay(
        u32::try_from(m.attempts).unwrap_or(1),
        30_000,
        3_600_000,
        0.2,
    );
    messages::mark_retry(app.db(), ws, m.mid(), attempt, why, now + wait, now).await?;
    Ok(Done::Retried)
}

/// Consent and suppression, checked just before the send.
async fn blocked(
    app: &App,
    ws: WorkspaceId,
    channel: &str,
    m: &Message,
) -> AppResult<Option<String>> {
    let contact = match m.contact_id {
        Some(c) => prospector_store::contacts::get(app.db(), ws, ContactId(c))
            .await
            .ok(),
        None => None,
    };
    super::send::blocked(app, ws, channel, contact.as_ref(), &m.to_address).await
}

/// What the WhatsApp send decided to put on the wire, and how it is priced.
struct Plan {
    content: MessageContent,
    kind: &'static str,
    template: Option<(String, String)>,
    params: Vec<String>,
    category: String,
    /// What the phone shows (stored on the message when it differs from the queued text).
    rendered: Option<String>,
}

fn params_of(part: &ChannelPart) -> Vec<String> {
    serde_json::from_str(&part.params).unwrap_or_default()
}

async fn plan_whatsapp(
    app: &App,
    ws: WorkspaceId,
    conn: &WaConnection,
    m: &Message,
    part: &ChannelPart,
) -> AppResult<Result<Plan, String>> {
    // Free text and media (`send::free_form_content`) need the window; templates do not.
    if let Some((content, kind)) =
        super::send::free_form_content(&part.kind, &m.body_text, &part.params)
    {
        let wa_id = m.to_address.trim_start_matches('+');
        let last = store::last_inbound(app.db(), ws, &conn.phone_number_id, wa_id).await?;
        if window_open(last, now_ms()) {
            return Ok(Ok(Plan {
                content,
                kind,
                template: None,
                params: params_of(part),
                category: "service".into(),
                rendered: None,
            }));
        }
        let Some(fb) = part
            .fallback
            .as_deref()
            .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
        else {
            return Ok(Err(
                "outside the 24-hour window and no fallback template: skipped".into(),
            ));
        };
        let name = fb["template"].as_str().unwrap_or_default().to_string();
        let lang = fb["language"].as_str().unwrap_or_default().to_string();
        let params: Vec<String> = fb["params"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return template_plan(app, ws, &name, &lang, params).await;
    }
    let name = part.template_name.clone().unwrap_or_default();
    let lang = part.language.clone().unwrap_or_default();
    template_plan(app, ws, &name, &lang, params_of(part)).await
}

async fn template_plan(
    app: &App,
    ws: WorkspaceId,
    name: &str,
    lang: &str,
    params: Vec<String>,
) -> AppResult<Result<Plan, String>> {
    let t = match store::template_by_name(app.db(), ws, name, lang).await? {
        Some(t) => t,
        None => {
            return Ok(Err(format!(
                "template {name} ({lang}) is not known any more"
            )));
        }
    };
    if !prospector_channels::whatsapp::TemplateStatus::parse(&t.status).is_sendable() {
        return Ok(Err(format!(
            "template {name} ({lang}) is {}: not sent",
            t.status
        )));
    }
    Ok(Ok(Plan {
        content: MessageContent::Template(TemplateSend::new(name, lang).body_text(params.clone())),
        kind: "template",
        template: Some((name.to_string(), lang.to_string())),
        rendered: Some(super::templates::render(&t, Some(&params)).to_string()),
        params,
        category: t.category.to_lowercase(),
    }))
}

/// How a free-form message is named in the ledger: `text`, or its media kind.
fn media_label(c: &MessageContent) -> &'static str {
    match c {
        MessageContent::Media(m) => m.kind.as_str(),
        _ => "text",
    }
}

async fn send_whatsapp(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    pacer: &mut Pacer,
) -> AppResult<Done> {
    let Some(part) = store::part(app.db(), ws, m.mid()).await? else {
        return fail(
            app,
            ws,
            m,
            attempt,
            "no WhatsApp content stored for this message",
        )
        .await;
    };
    let Some(conn) = store::wa_connection(app.db(), ws).await? else {
        return retry(app, ws, m, attempt, "no WhatsApp number is connected").await;
    };
    if let Some(why) = blocked(app, ws, "whatsapp", m).await? {
        return skip(app, ws, m, attempt, &why).await;
    }
    let limit = conn.daily_limit.unwrap_or(DEFAULT_DAILY_LIMIT);
    let now = now_ms();
    // This message is already counted (it is `sending`).
    let used = store::attempted_since(app.db(), ws, "whatsapp", now - DAY).await?;
    if used > limit {
        let wait = DAY / 24;
        messages::mark_retry(
            app.db(),
            ws,
            m.mid(),
            attempt,
            &format!("the number reached its messaging limit ({limit} per 24 hours)"),
            now + wait,
            now,
        )
        .await?;
        return Ok(Done::Retried);
    }
    let plan = match plan_whatsapp(app, ws, &conn, m, &part).await? {
        Ok(p) => p,
        Err(why) => return skip(app, ws, m, attempt, &why).await,
    };
    let provider = match super::connections::wa_provider(app, &conn) {
        Ok(p) => p,
        Err(e) => return retry(app, ws, m, attempt, &e.to_string()).await,
    };
    store::set_part_sent_as(
        app.db(),
        ws,
        m.mid(),
        plan.kind,
        plan.template.as_ref().map(|t| t.0.as_str()),
        plan.template.as_ref().map(|t| t.1.as_str()),
        &serde_json::json!(plan.params).to_string(),
        Some(&plan.category),
        None,
        None,
    )
    .await?;
    if part.kind == "text"
        && let Some(r) = &plan.rendered
    {
        store::set_message_body(app.db(), ws, m.mid(), r).await?;
    }
    let label = media_label(&plan.content);
    let out = OutgoingMessage::new(m.to_address.clone(), plan.content)
        .with_callback_data(m.id.to_string());
    pacer.wait(ws, "whatsapp", conn.throughput_mps).await;
    let result = provider.send(&out).await;
    match result {
        Ok(sent) => {
            let quote = super::costs::quote(
                app,
                ws,
                "whatsapp",
                part.country.as_deref(),
                &plan.category,
                1,
            )
            .await?;
            let accepted = messages::mark_sent(
                app.db(),
                ws,
                m.mid(),
                attempt,
                &Sent {
                    provider_id: sent.wamid.clone(),
                    response: sent
                        .message_status
                        .clone()
                        .unwrap_or_else(|| "accepted".into()),
                    cost_minor: quote.as_ref().map(|q| q.0),
                    currency: quote.as_ref().map(|q| q.1.clone()),
                },
                now_ms(),
            )
            .await?;
            if accepted && let Some((amount, currency)) = quote {
                super::costs::charge(
                    app,
                    ws,
                    m.mid(),
                    "whatsapp",
                    amount,
                    &currency,
                    &format!(
                        "WhatsApp {} {} to {}",
                        plan.category,
                        plan.template
                            .as_ref()
                            .map(|t| t.0.as_str())
                            .unwrap_or(label),
                        m.to_address
                    ),
                )
                .await?;
            }
            tracing::info!(workspace = ws.0, message = m.id, wamid = ?sent.wamid, "whatsapp sent");
            Ok(Done::Sent)
        }
        Err(e) => whatsapp_error(app, ws, m, attempt, &provider, e).await,
    }
}

async fn whatsapp_error(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    provider: &WhatsAppProvider,
    e: WhatsAppError,
) -> AppResult<Done> {
    let why = format!("{}: {e}", e.reason());
    if let Some(code) = e.code() {
        store::advance_status(app.db(), ws, m.mid(), "failed", 5, now_ms(), Some(code)).await?;
    }
    match &e {
        WhatsAppError::Transient { .. } => retry(app, ws, m, attempt, &why).await,
        WhatsAppError::Uncertain { .. } => {
            messages::mark_uncertain(app.db(), ws, m.mid(), attempt, &why, now_ms()).await?;
            Ok(Done::Uncertain)
        }
        // Meta says the window is closed (our record missed an expiry): skipped, not failed.
        _ if e.reason() == WaReason::OutsideWindow => skip(app, ws, m, attempt, &why).await,
        WhatsAppError::Config { .. } => {
            store::save_wa_test(
                app.db(),
                ws,
                &store::WaTestResult {
                    error: Some(why.clone()),
                    ..Default::default()
                },
            )
            .await?;
            tracing::warn!(workspace = ws.0, kind = provider.kind(), reason = %e.reason(),
                "whatsapp account problem");
            fail(app, ws, m, attempt, &why).await
        }
        _ => {
            if e.reason() == WaReason::MarketingOptedOut {
                prospector_store::suppressions::add(
                    app.db(),
                    ws,
                    "phone",
                    &m.to_address,
                    "whatsapp: stopped marketing messages (131050)",
                )
                .await?;
            }
            fail(app, ws, m, attempt, &why).await
        }
    }
}

async fn send_sms(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    pacer: &mut Pacer,
) -> AppResult<Done> {
    let part = store::part(app.db(), ws, m.mid()).await?;
    let Some(conn) = store::sms_connection(app.db(), ws).await? else {
        return retry(app, ws, m, attempt, "no SMS sender is connected").await;
    };
    if let Some(why) = blocked(app, ws, "sms", m).await? {
        return skip(app, ws, m, attempt, &why).await;
    }
    let provider = match super::connections::sms_provider(app, &conn) {
        Ok(p) => p,
        Err(e) => return retry(app, ws, m, attempt, &e.to_string()).await,
    };
    let callback = super::connections::public_url(
        app,
        &format!("/hooks/twilio/{}/status", conn.webhook_token),
    );
    pacer.wait(ws, "sms", 10).await;
    match provider
        .send(&m.to_address, &m.body_text, Some(&callback))
        .await
    {
        Ok(sent) => {
            let (_, estimate) = prospector_channels::sms::segments(&m.body_text);
            let n = sent.num_segments.unwrap_or(estimate);
            let country = part.as_ref().and_then(|p| p.country.clone());
            let quote =
                super::costs::quote(app, ws, "sms", country.as_deref(), "segment", n).await?;
            let accepted = messages::mark_sent(
                app.db(),
                ws,
                m.mid(),
                attempt,
                &Sent {
                    provider_id: sent.sid.clone(),
                    response: sent.status.clone().unwrap_or_else(|| "queued".into()),
                    cost_minor: quote.as_ref().map(|q| q.0),
                    currency: quote.as_ref().map(|q| q.1.clone()),
                },
                now_ms(),
            )
            .await?;
            if part.is_some() {
                store::set_part_sent_as(
                    app.db(),
                    ws,
                    m.mid(),
                    "text",
                    None,
                    None,
                    "[]",
                    Some("segment"),
                    Some(i64::from(n)),
                    None,
                )
                .await?;
            }
            if accepted && let Some((amount, currency)) = quote {
                super::costs::charge(
                    app,
                    ws,
                    m.mid(),
                    "sms",
                    amount,
                    &currency,
                    &format!("SMS, {n} segment(s) to {}", m.to_address),
                )
                .await?;
            }
            tracing::info!(workspace = ws.0, message = m.id, sid = ?sent.sid, segments = n, "sms sent");
            Ok(Done::Sent)
        }
        Err(e) => sms_error(app, ws, m, attempt, &provider, &conn, e).await,
    }
}

async fn sms_error(
    app: &App,
    ws: WorkspaceId,
    m: &Message,
    attempt: &str,
    provider: &SmsProvider,
    conn: &SmsConnection,
    e: SmsError,
) -> AppResult<Done> {
    let why = format!("{}: {e}", e.reason().as_str());
    if let Some(code) = e.code() {
        store::advance_status(app.db(), ws, m.mid(), "failed", 4, now_ms(), Some(code)).await?;
    }
    match &e {
        SmsError::Transient { .. } => retry(app, ws, m, attempt, &why).await,
        SmsError::Uncertain { .. } => {
            messages::mark_uncertain(app.db(), ws, m.mid(), attempt, &why, now_ms()).await?;
            Ok(Done::Uncertain)
        }
        SmsError::Config { .. } => {
            store::save_sms_test(app.db(), ws, Some(&why)).await?;
            tracing::warn!(workspace = ws.0, kind = provider.kind(), account = %conn.account_sid,
                reason = e.reason().as_str(), "twilio account problem");
            fail(app, ws, m, attempt, &why).await
        }
        _ => {
            if e.reason() == SmsReason::Unsubscribed {
                prospector_store::suppressions::add(
                    app.db(),
                    ws,
                    "phone",
                    &m.to_address,
                    "sms: replied STOP (21610)",
                )
                .await?;
            }
            fail(app, ws, m, attempt, &why).await
        }
    }
}

/// The id of a message a provider's callback names through our callback data.
pub(crate) fn callback_message(data: Option<&str>) -> Option<MessageId> {
    data.and_then(|d| d.trim().parse::<i64>().ok())
        .map(MessageId)
}
