//! WhatsApp (Business Cloud API) and SMS (Twilio): connections with encrypted secrets,
//! templates with their approval status, sends through the same outbox as email
//! (`messages` rows with channel `whatsapp` | `sms`, claimed by the `messaging.dispatch`
//! job), the 24-hour window, costs into an append-only ledger, signed webhooks stored raw and
//! applied by the `messaging.webhooks` job, and broadcasts.
//!
//! The provider layer (`prospector_channels::{whatsapp, sms, webhooks}`) does the HTTP and
//! the parsing; this module decides (window, consent, limits, retries) and records.

pub mod broadcasts;
pub mod connections;
pub mod costs;
pub mod dispatch;
pub mod hooks;
pub mod quiet_hours;
pub mod send;
pub mod templates;

use crate::jobs::{Recurring, Registry};

pub use dispatch::DISPATCH_JOB;
pub use hooks::WEBHOOK_JOB;

/// Pulls due broadcasts into the outbox.
pub const BROADCAST_JOB: &str = "messaging.broadcasts";
/// Re-reads every connected account's templates (statuses missed by webhook).
pub const SYNC_JOB: &str = "messaging.template_sync";

/// Register the messaging job handlers.
pub(crate) fn register(r: &mut Registry) {
    r.add(DISPATCH_JOB, dispatch::job);
    r.add(WEBHOOK_JOB, hooks::job);
    r.add(BROADCAST_JOB, broadcasts::job);
    r.add(SYNC_JOB, templates::sync_job);
}

/// The recurring messaging jobs; kicks make sends and webhook processing immediate, these
/// catch up whatever a kick missed.
pub fn schedules() -> Vec<Recurring> {
    vec![
        Recurring {
            name: "messaging-dispatch".into(),
            kind: DISPATCH_JOB.into(),
            payload: "{}".into(),
            every_ms: 15_000,
        },
        Recurring {
            name: "messaging-webhooks".into(),
            kind: WEBHOOK_JOB.into(),
            payload: "{}".into(),
            every_ms: 10_000,
        },
        Recurring {
            name: "messaging-broadcasts".into(),
            kind: BROADCAST_JOB.into(),
            payload: "{}".into(),
            every_ms: 30_000,
        },
        Recurring {
            name: "messaging-template-sync".into(),
            kind: SYNC_JOB.into(),
            payload: "{}".into(),
            every_ms: 60 * 60 * 1000,
        },
    ]
}

/// Queue a job of `kind` now, at most one per second (the slot is in the unique key).
pub(crate) async fn kick(app: &crate::App, kind: &str) -> crate::AppResult<()> {
    let mut job = prospector_store::jobs::NewJob::new(kind, "{}");
    job.unique_key = Some(format!(
        "{kind}:kick:{}",
        prospector_core::time::now_ms() / 1000
    ));
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await?;
    Ok(())
}

/// The tenant-isolation fixture's messaging objects (a sandbox number, an approved template,
/// a queued template message, a future broadcast and a rate line), by path-parameter name.
pub async fn seed_isolation(
    app: &crate::App,
    ctx: &crate::WsCtx,
    marker: &str,
) -> crate::AppResult<Vec<(String, String)>> {
    use prospector_store::messaging as store;
    let lower = marker.to_lowercase();
    connections::connect_whatsapp(
        app,
        ctx,
        &connections::WhatsAppInput {
            kind: Some("sandbox".into()),
            phone_number_id: "100000000000001".into(),
            waba_id: "200000000000001".into(),
            access_token: format!("{marker}-token"),
            app_secret: format!("{marker}-secret"),
            verify_token: format!("{marker}-verify"),
            ..Default::default()
        },
    )
    .await?;
    let t = store::upsert_template(
        app.db(),
        ctx.ws,
        &store::TemplateFields {
            name: format!("{lower}_offer"),
            language: "en_US".into(),
            category: "MARKETING".into(),
            parameter_format: "POSITIONAL".into(),
            components:
                serde_json::json!([{"type": "BODY", "text": format!("{marker} offer for {{{{1}}}}"),
                "example": {"body_text": [["Alex"]]}}])
                .to_string(),
            status: "APPROVED".into(),
            provider_id: Some("700000000000001".into()),
            ..Default::default()
        },
    )
    .await?;
    let m = send::queue_template(
        app,
        ctx,
        &send::TemplateSendInput {
            to: Some("+15550001111".into()),
            template: t.name.clone(),
            language: t.language.clone(),
            params: vec![format!("{marker} guest")],
            scheduled_at: Some(prospector_core::time::now_ms() + 30 * 86_400_000),
            ..Default::default()
        },
    )
    .await?;
    let b = broadcasts::create(
        app,
        ctx,
        &broadcasts::BroadcastInput {
            name: format!("{marker} broadcast"),
            template_id: t.id,
            params: vec!["field:first_name".into()],
            audience: broadcasts::Audience {
                tag: Some(marker.to_string()),
                ..Default::default()
            },
            scheduled_at: Some(prospector_core::time::now_ms() + 30 * 86_400_000),
        },
    )
    .await?;
    let rate = costs::rate_card(app, ctx.ws)
        .await?
        .first()
        .map(|r| r.id)
        .unwrap_or_default();
    Ok(vec![
        ("wa_template_id".into(), t.id.to_string()),
        ("channel_message_id".into(), m.0.to_string()),
        ("broadcast_id".into(), b.id.to_string()),
        ("rate_id".into(), rate.to_string()),
    ])
}

/// The demo's WhatsApp number and Twilio sender, both sandboxes (nothing leaves the
/// machine), with one approved template. Does nothing when the workspace has a WhatsApp
/// connection already.
pub async fn seed_demo(app: &crate::App, ctx: &crate::WsCtx) -> crate::AppResult<()> {
    use prospector_store::messaging as store;
    if store::wa_connection(app.db(), ctx.ws).await?.is_some() {
        return Ok(());
    }
    connections::connect_whatsapp(
        app,
        ctx,
        &connections::WhatsAppInput {
            kind: Some("sandbox".into()),
            phone_number_id: "100000000000001".into(),
            waba_id: "200000000000001".into(),
            access_token: "sandbox".into(),
            app_secret: crate::crypto::random_token(18),
            verify_token: crate::crypto::random_token(12),
            ..Default::default()
        },
    )
    .await?;
    connections::connect_sms(
        app,
        ctx,
        &connections::SmsInput {
            kind: Some("sandbox".into()),
            account_sid: "AC00000000000000000000000000000000".into(),
            auth_token: crate::crypto::random_token(18),
            from: Some("+15005550006".into()),
            help_text: Some("Demo agency: reply STOP to opt out.".into()),
            ..Default::default()
        },
    )
    .await?;
    store::upsert_template(
        app.db(),
        ctx.ws,
        &store::TemplateFields {
            name: "spring_offer".into(),
            language: "en_US".into(),
            category: "MARKETING".into(),
            parameter_format: "POSITIONAL".into(),
            components: serde_json::json!([
                {"type": "BODY", "text": "Hi {{1}}, we build websites for local businesses like {{2}}. Interested in a free mock-up?",
                 "example": {"body_text": [["Alex", "Acme Bakery"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Yes please"}]}
            ])
            .to_string(),
            status: "APPROVED".into(),
            provider_id: Some("700000000000001".into()),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(
        workspace = ctx.ws.0,
        "demo WhatsApp and SMS sandboxes connected"
    );
    Ok(())
}
