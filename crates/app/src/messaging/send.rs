//! Queueing WhatsApp and SMS messages into the outbox: template messages with parameters
//! mapped from contact fields, custom fields, facts or literals; free-form WhatsApp text
//! (sent only inside the 24-hour window, else its fallback template or skipped with the
//! reason); SMS with their segment count. Everything is checked here so bad input is a
//! precise 4xx; `messaging.dispatch` does the sending.

use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::sms::segments;
use prospector_core::messaging::{ParamSource, country_of_phone, to_e164};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::contacts::Contact;
use prospector_store::messages::{self, NewMessage};
use prospector_store::messaging::{self as store, NewPart, WaTemplate};
use prospector_store::{CompanyId, ContactId, MessageId, WorkspaceId, facts};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Send one approved template.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSendInput {
    /// E.164 recipient; left out, the contact's WhatsApp number (else phone).
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    pub template: String,
    pub language: String,
    /// One per body variable, in order: `field:first_name`, `custom:plan`, `fact:email`,
    /// `literal:…` or plain text.
    #[serde(default)]
    pub params: Vec<String>,
    /// Not before this time (ms); now when left out.
    #[serde(default)]
    pub scheduled_at: Option<i64>,
}

/// Send free text inside the window, with an optional fallback template outside it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextSendInput {
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    pub body: String,
    #[serde(default)]
    pub fallback_template: Option<String>,
    #[serde(default)]
    pub fallback_language: Option<String>,
    #[serde(default)]
    pub fallback_params: Vec<String>,
}

/// Send one SMS.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsSendInput {
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    pub body: String,
}

/// A WhatsApp or SMS message as the CLI and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChannelMessageOut)]
pub struct MessageOut {
    pub id: i64,
    pub channel: String,
    pub to: String,
    pub contact_id: Option<i64>,
    /// The outbox status: queued, sending, sent, failed, cancelled (skipped), uncertain.
    pub status: String,
    /// The wamid or Twilio SID.
    pub provider_id: Option<String>,
    /// The furthest provider status (sent, delivered, read, failed…).
    pub provider_status: Option<String>,
    pub kind: Option<String>,
    pub template: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<i64>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub segments: Option<i64>,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
}

pub async fn message_out(app: &App, ws: WorkspaceId, id: MessageId) -> AppResult<MessageOut> {
    let m = messages::get(app.db(), ws, id).await?;
    let p = store::part(app.db(), ws, id).await?;
    Ok(MessageOut {
        id: m.id,
        channel: m.channel.clone(),
        to: m.to_address.clone(),
        contact_id: m.contact_id,
        status: m.status.clone(),
        provider_id: m.provider_id.clone(),
        provider_status: p.as_ref().and_then(|p| p.provider_status.clone()),
        kind: p.as_ref().map(|p| p.kind.clone()),
        template: p.as_ref().and_then(|p| p.template_name.clone()),
        error: m.error.clone(),
        error_code: p.as_ref().and_then(|p| p.error_code),
        cost_minor: m.cost_minor,
        currency: m.currency.clone(),
        segments: p.as_ref().and_then(|p| p.segments),
        sent_at: m.sent_at,
        delivered_at: m.delivered_at,
        read_at: m.opened_at,
    })
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<MessageOut> {
    if store::part(app.db(), ctx.ws, MessageId(id))
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    message_out(app, ctx.ws, MessageId(id)).await
}

/// Consent values that forbid a channel (the same set as email's).
fn refused(v: &str) -> bool {
    crate::outreach::suppression::REFUSED.contains(&v)
}

/// Why `contact` / `e164` must not get a message on `channel` (absent: may).
pub async fn blocked(
    app: &App,
    ws: WorkspaceId,
    channel: &str,
    contact: Option<&Contact>,
    e164: &str,
) -> AppResult<Option<String>> {
    if let Some(c) = contact {
        let consent = if channel == "sms" {
            &c.f.consent_sms
        } else {
            &c.f.consent_whatsapp
        };
        if refused(consent) {
            return Ok(Some(format!("{channel} consent refused")));
        }
    }
    let hit = prospector_store::suppressions::matching(app.db(), ws, "phone", &[e164.to_string()])
        .await?;
    Ok(hit
        .into_iter()
        .next()
        .map(|(_, reason)| format!("suppressed: {reason}")))
}

/// The recipient as E.164 and the contact, from `to` and/or `contact_id`.
async fn recipient(
    app: &App,
    ws: WorkspaceId,
    to: Option<&str>,
    contact_id: Option<i64>,
    whatsapp: bool,
) -> AppResult<(String, Option<Contact>)> {
    let contact = match contact_id {
        Some(id) => Some(prospector_store::contacts::get(app.db(), ws, ContactId(id)).await?),
        None => None,
    };
    let raw = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => contact
            .as_ref()
            .and_then(|c| {
                if whatsapp {
                    c.f.whatsapp.clone().or(c.f.phone.clone())
                } else {
                    c.f.phone.clone()
                }
            })
            .ok_or_else(|| {
                AppError::invalid("to", "give a recipient number or a contact with a phone")
            })?,
    };
    let e164 = if raw.starts_with('+') {
        to_e164(&raw)
    } else {
        None
    }
    .filter(|e| e.len() == raw.chars().filter(|c| !c.is_whitespace()).count())
    .ok_or_else(|| {
        AppError::invalid(
            "to",
            format!("{raw:?} is not an international number such as +15551234567"),
        )
    })?;
    let contact = match contact {
        Some(c) => Some(c),
        None => match store::contact_by_phone(app.db(), ws, &e164).await? {
            Some(id) => prospector_store::contacts::get(app.db(), ws, ContactId(id))
                .await
                .ok(),
            None => None,
        },
    };
    Ok((e164, contact))
}

fn field_of(c: &Contact, name: &str) -> Option<String> {
    let f = &c.f;
    match name {
        "first_name" => f.first_name.clone(),
        "last_name" => f.last_name.clone(),
        "full_name" => f.full_name.clone().or_else(|| Some(c.display_name())),
        "company" => c.company_name.clone(),
        "city" => f.city.clone(),
        "region" => f.region.clone(),
        "country" => f.country.clone(),
        "email" => f.email.clone(),
        "phone" => f.phone.clone(),
        "job_title" => f.job_title.clone(),
        _ => None,
    }
    .filter(|v| !v.trim().is_empty())
}

/// Parameter values for one contact. A value that resolves to nothing is an error naming
/// the parameter (WhatsApp refuses empty parameters).
pub async fn resolve_params(
    app: &App,
    ws: WorkspaceId,
    contact: Option<&Contact>,
    specs: &[String],
) -> AppResult<Vec<String>> {
    let mut out = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let field = format!("params[{i}]");
        let src = ParamSource::parse(spec).map_err(|e| AppError::invalid(&field, e.to_string()))?;
        let value = match &src {
            ParamSource::Literal(t) => Some(t.clone()),
            ParamSource::Field(name) => contact.and_then(|c| field_of(c, name)),
            ParamSource::Custom(key) => contact.and_then(|c| {
                serde_json::from_str::<serde_json::Value>(&c.f.custom)
                    .ok()
                    .and_then(|v| match v.get(key) {
                        Some(serde_json::Value::String(s)) => Some(s.clone()),
                        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    })
            }),
            ParamSource::Fact(kind) => match contact.and_then(|c| c.f.company_id) {
                Some(company) => {
                    match facts::latest_done_scan(app.db(), ws, CompanyId(company)).await? {
                        Some(scan) => facts::facts_of_scan(app.db(), ws, scan.id)
                            .await?
                            .into_iter()
                            .find(|f| &f.kind == kind)
                            .map(|f| f.value),
                        None => None,
                    }
                }
                None => None,
            },
        };
        let value = value
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                AppError::invalid(
                    &field,
                    match contact {
                        Some(c) => format!("{src} has no value for {}", c.display_name()),
                        None => format!("{src} needs a contact"),
                    },
                )
            })?;
        out.push(value);
    }
    Ok(out)
}

pub(crate) fn check_param_count(t: &WaTemplate, n: usize) -> AppResult<()> {
    let want = super::templates::body_variables(t).len();
    if want != n {
        return Err(AppError::invalid(
            "params",
            format!(
                "template {} takes {want} parameter{}, {n} given",
                t.name,
                if want == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(())
}

/// Queue a template message for one recipient (`broadcast`: the broadcast it belongs to).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue_template_for(
    app: &App,
    ws: WorkspaceId,
    t: &WaTemplate,
    e164: &str,
    contact: Option<&Contact>,
    params: &[String],
    scheduled_at: i64,
    broadcast: Option<i64>,
) -> AppResult<MessageId> {
    let conn = super::connections::require_wa(app, ws).await?;
    let body = super::templates::render(t, Some(params)).to_string();
    let id = store::queue_message(
        app.db(),
        ws,
        &NewMessage {
            contact_id: contact.map(Contact::cid),
            channel: "whatsapp".into(),
            from_address: Some(conn.phone_number_id.clone()),
            to_address: e164.to_string(),
            subject: Some(t.name.clone()),
            body_text: body,
            scheduled_at,
            ..Default::default()
        },
        &NewPart {
            kind: "template".into(),
            template_name: Some(t.name.clone()),
            language: Some(t.language.clone()),
            params: json!(params).to_string(),
            category: Some(t.category.to_lowercase()),
            country: country_of_phone(e164),
            broadcast_id: broadcast,
            ..Default::default()
        },
    )
    .await?;
    Ok(id)
}

/// Queue one approved template message. Returns its id.
pub async fn queue_template(app: &App, ctx: &WsCtx, i: &TemplateSendInput) -> AppResult<MessageId> {
    ctx.require(Permission::Write)?;
    let (e164, contact) = recipient(app, ctx.ws, i.to.as_deref(), i.contact_id, true).await?;
    if let Some(why) = blocked(app, ctx.ws, "whatsapp", contact.as_ref(), &e164).await? {
        return Err(AppError::invalid(
            "to",
            format!("cannot message {e164}: {why}"),
        ));
    }
    let t = super::templates::sendable(app, ctx.ws, i.template.trim(), i.language.trim()).await?;
    let params = resolve_params(app, ctx.ws, contact.as_ref(), &i.params).await?;
    check_param_count(&t, params.len())?;
    let id = queue_template_for(
        app,
        ctx.ws,
        &t,
        &e164,
        contact.as_ref(),
        &params,
        i.scheduled_at.unwrap_or_else(now_ms),
        None,
    )
    .await?;
    tracing::info!(workspace = ctx.ws.0, message = id.0, template = %t.name, "whatsapp template queued");
    Ok(id)
}

/// Queue free text; outside the window the dispatcher sends the fallback template instead,
/// or skips the message with the reason recorded.
pub async fn queue_text(app: &App, ctx: &WsCtx, i: &TextSendInput) -> AppResult<MessageId> {
    ctx.require(Permission::Write)?;
    let body = i.body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "write a message first"));
    }
    let n = body.chars().count();
    if n > prospector_channels::whatsapp::MAX_TEXT_LEN {
        return Err(AppError::invalid(
            "body",
            format!(
                "{n} characters, more than WhatsApp's {}",
                prospector_channels::whatsapp::MAX_TEXT_LEN
            ),
        ));
    }
    let (e164, contact) = recipient(app, ctx.ws, i.to.as_deref(), i.contact_id, true).await?;
    if let Some(why) = blocked(app, ctx.ws, "whatsapp", contact.as_ref(), &e164).await? {
        return Err(AppError::invalid(
            "to",
            format!("cannot message {e164}: {why}"),
        ));
    }
    let conn = super::connections::require_wa(app, ctx.ws).await?;
    let fallback = match i.fallback_template.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => {
            let lang = i
                .fallback_language
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    AppError::invalid("fallback_language", "required with a fallback template")
                })?;
            let t = super::templates::sendable(app, ctx.ws, name, lang).await?;
            let params = resolve_params(app, ctx.ws, contact.as_ref(), &i.fallback_params).await?;
            check_param_count(&t, params.len())?;
            Some(
                json!({"template": t.name, "language": t.language, "params": params,
                       "category": t.category.to_lowercase()})
                .to_string(),
            )
        }
        _ => None,
    };
    let id = store::queue_message(
        app.db(),
        ctx.ws,
        &NewMessage {
            contact_id: contact.as_ref().map(Contact::cid),
            channel: "whatsapp".into(),
            from_address: Some(conn.phone_number_id.clone()),
            to_address: e164.clone(),
            body_text: body.to_string(),
            scheduled_at: now_ms(),
            ..Default::default()
        },
        &NewPart {
            kind: "text".into(),
            params: "[]".into(),
            fallback,
            category: Some("service".into()),
            country: country_of_phone(&e164),
            ..Default::default()
        },
    )
    .await?;
    Ok(id)
}

/// Queue one SMS.
pub async fn queue_sms(app: &App, ctx: &WsCtx, i: &SmsSendInput) -> AppResult<MessageId> {
    ctx.require(Permission::Write)?;
    let body = i.body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "write a message first"));
    }
    let n = body.chars().count();
    if n > prospector_channels::sms::MAX_BODY_CHARS {
        return Err(AppError::invalid(
            "body",
            format!(
                "{n} characters, more than Twilio's {}",
                prospector_channels::sms::MAX_BODY_CHARS
            ),
        ));
    }
    let (e164, contact) = recipient(app, ctx.ws, i.to.as_deref(), i.contact_id, false).await?;
    if let Some(why) = blocked(app, ctx.ws, "sms", contact.as_ref(), &e164).await? {
        return Err(AppError::invalid(
            "to",
            format!("cannot message {e164}: {why}"),
        ));
    }
    let conn = super::connections::require_sms(app, ctx.ws).await?;
    queue_sms_for(
        app,
        ctx.ws,
        &conn,
        &e164,
        contact.as_ref(),
        body,
        now_ms(),
        None,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue_sms_for(
    app: &App,
    ws: WorkspaceId,
    conn: &store::SmsConnection,
    e164: &str,
    contact: Option<&Contact>,
    body: &str,
    scheduled_at: i64,
    campaign: Option<(prospector_store::CampaignId, prospector_store::StepId)>,
    broadcast: Option<i64>,
) -> AppResult<MessageId> {
    let (encoding, n) = segments(body);
    let id = store::queue_message(
        app.db(),
        ws,
        &NewMessage {
            campaign_id: campaign.map(|c| c.0),
            step_id: campaign.map(|c| c.1),
            contact_id: contact.map(Contact::cid),
            channel: "sms".into(),
            from_address: conn
                .from_number
                .clone()
                .or(conn.messaging_service_sid.clone()),
            to_address: e164.to_string(),
            body_text: body.to_string(),
            scheduled_at,
            ..Default::default()
        },
        &NewPart {
            kind: "text".into(),
            params: "[]".into(),
            category: Some("segment".into()),
            country: country_of_phone(e164),
            segments: Some(i64::from(n)),
            encoding: Some(encoding.as_str().into()),
            broadcast_id: broadcast,
            ..Default::default()
        },
    )
    .await?;
    Ok(id)
}

/// Queue and send now (the CLI's `send-template`, the API's send): the message goes
/// through the outbox like every other, then its outcome is read back.
pub async fn send_template_now(
    app: &App,
    ctx: &WsCtx,
    i: &TemplateSendInput,
) -> AppResult<MessageOut> {
    let id = queue_template(app, ctx, i).await?;
    super::dispatch::dispatch(app).await?;
    message_out(app, ctx.ws, id).await
}

pub async fn send_text_now(app: &App, ctx: &WsCtx, i: &TextSendInput) -> AppResult<MessageOut> {
    let id = queue_text(app, ctx, i).await?;
    super::dispatch::dispatch(app).await?;
    message_out(app, ctx.ws, id).await
}

pub async fn send_sms_now(app: &App, ctx: &WsCtx, i: &SmsSendInput) -> AppResult<MessageOut> {
    let id = queue_sms(app, ctx, i).await?;
    super::dispatch::dispatch(app).await?;
    message_out(app, ctx.ws, id).await
}
