//! Queueing WhatsApp and SMS messages into the outbox: template messages with parameters
//! mapped from contact fields, custom fields, facts or literals; free-form WhatsApp text and
//! media by link (image, document, video, audio — sent only inside the 24-hour window, else
//! the fallback template or skipped with the reason); SMS with their segment count. Everything is checked here so bad input is a
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

/// Send an image, document, video or audio by public link: free-form, so only inside the
/// 24-hour window, with an optional fallback template outside it (like free text).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaSendInput {
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    /// `image`, `document`, `video` or `audio`.
    pub kind: String,
    /// A public http(s) URL Meta fetches the file from.
    pub link: String,
    /// Shown under an image, video or document (not allowed for audio).
    #[serde(default)]
    pub caption: Option<String>,
    /// Documents only: the file name the recipient sees.
    #[serde(default)]
    pub filename: Option<String>,
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
    /// `template`, `text`, or the media kind (`image`, `document`, `video`, `audio`).
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
        kind: p.as_ref().map(|p| {
            media_of(&p.kind, &p.params)
                .map(|m| m.0.as_str().to_string())
                .unwrap_or_else(|| p.kind.clone())
        }),
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
    let fallback = fallback_of(
        app,
        ctx.ws,
        contact.as_ref(),
        i.fallback_template.as_deref(),
        i.fallback_language.as_deref(),
        &i.fallback_params,
    )
    .await?;
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

/// The fallback template of a free-form message, checked now (approved, parameters
/// resolved for this contact, count right), stored as the JSON the dispatcher reads.
async fn fallback_of(
    app: &App,
    ws: WorkspaceId,
    contact: Option<&Contact>,
    template: Option<&str>,
    language: Option<&str>,
    specs: &[String],
) -> AppResult<Option<String>> {
    let Some(name) = template.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let lang = language
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            AppError::invalid("fallback_language", "required with a fallback template")
        })?;
    let t = super::templates::sendable(app, ws, name, lang).await?;
    let params = resolve_params(app, ws, contact, specs).await?;
    check_param_count(&t, params.len())?;
    Ok(Some(
        json!({"template": t.name, "language": t.language, "params": params,
               "category": t.category.to_lowercase()})
        .to_string(),
    ))
}

/// The media kinds a member can send by link (stickers need Meta's exact WebP format and
/// are left out).
pub const MEDIA_KINDS: &[&str] = &["image", "document", "video", "audio"];

/// A media message as queued. The part's `kind` column only admits `template` and `text`
/// (a CHECK in migration 0007), so media is a free-form `text` part whose `params` are
/// `[kind, link, caption, filename]` (empty strings when absent) — still a JSON array of
/// strings, and one that survives the dispatcher's rewrite of `params` when it records
/// what was sent, so a retry sends the same file. Plain text parts have `[]`.
fn media_params(kind: &str, link: &str, caption: Option<&str>, filename: Option<&str>) -> String {
    json!([kind, link, caption.unwrap_or(""), filename.unwrap_or("")]).to_string()
}

/// The media of a free-form part: kind, link, caption, file name (see [`media_params`]).
fn media_of(
    kind: &str,
    params: &str,
) -> Option<(
    prospector_channels::whatsapp::MediaKind,
    String,
    Option<String>,
    Option<String>,
)> {
    use prospector_channels::whatsapp::MediaKind;
    if kind != "text" {
        return None;
    }
    let v: Vec<String> = serde_json::from_str(params).ok()?;
    let media = MediaKind::parse(v.first()?).filter(|k| MEDIA_KINDS.contains(&k.as_str()))?;
    let at = |n: usize| {
        v.get(n)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Some((media, at(1).unwrap_or_default(), at(2), at(3)))
}

/// What a queued free-form part puts on the wire inside the window: text from the
/// message body, media from the stored link, caption and file name. `None` for a template
/// part (it needs no window). The dispatcher calls this so free text and media follow one
/// window rule; the second value is the part kind to record (`text` for both).
pub(crate) fn free_form_content(
    kind: &str,
    body: &str,
    params: &str,
) -> Option<(prospector_channels::whatsapp::MessageContent, &'static str)> {
    use prospector_channels::whatsapp::{Media, MediaSource, MessageContent};
    if kind != "text" {
        return None;
    }
    Some(match media_of(kind, params) {
        Some((media, link, caption, filename)) => (
            MessageContent::Media(Media {
                kind: media,
                source: MediaSource::Link(link),
                caption,
                filename,
            }),
            "text",
        ),
        None => (
            MessageContent::Text {
                body: body.to_string(),
                preview_url: false,
            },
            "text",
        ),
    })
}

/// Queue an image, document, video or audio by link. Everything Meta would refuse (kind,
/// link scheme and host, caption on audio or over 1,024 characters, a file name on
/// anything but a document) is a 422 naming the field; the window is the dispatcher's, as
/// for free text.
pub async fn queue_media(app: &App, ctx: &WsCtx, i: &MediaSendInput) -> AppResult<MessageId> {
    use prospector_channels::whatsapp::{MAX_CAPTION_LEN, MediaKind, check_media_link};
    ctx.require(Permission::Write)?;
    let kind = i.kind.trim().to_ascii_lowercase();
    let media = MediaKind::parse(&kind)
        .filter(|k| MEDIA_KINDS.contains(&k.as_str()))
        .ok_or_else(|| {
            AppError::invalid(
                "kind",
                format!("{:?}: expected image, document, video or audio", i.kind),
            )
        })?;
    let link = i.link.trim();
    if link.is_empty() {
        return Err(AppError::invalid("link", "give the file's public URL"));
    }
    check_media_link(link).map_err(|e| AppError::invalid("link", e.message().to_string()))?;
    let caption = i
        .caption
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(c) = caption {
        if media == MediaKind::Audio {
            return Err(AppError::invalid(
                "caption",
                "audio messages cannot have a caption",
            ));
        }
        let n = c.chars().count();
        if n > MAX_CAPTION_LEN {
            return Err(AppError::invalid(
                "caption",
                format!("{n} characters, more than WhatsApp's {MAX_CAPTION_LEN}"),
            ));
        }
    }
    let filename = i
        .filename
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    if let Some(f) = filename {
        if media != MediaKind::Document {
            return Err(AppError::invalid(
                "filename",
                "only documents have a file name",
            ));
        }
        if f.chars().count() > 240 || f.contains(['/', '\\']) || f.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "filename",
                "a plain file name of at most 240 characters, without slashes",
            ));
        }
    }
    let (e164, contact) = recipient(app, ctx.ws, i.to.as_deref(), i.contact_id, true).await?;
    if let Some(why) = blocked(app, ctx.ws, "whatsapp", contact.as_ref(), &e164).await? {
        return Err(AppError::invalid(
            "to",
            format!("cannot message {e164}: {why}"),
        ));
    }
    let conn = super::connections::require_wa(app, ctx.ws).await?;
    let fallback = fallback_of(
        app,
        ctx.ws,
        contact.as_ref(),
        i.fallback_template.as_deref(),
        i.fallback_language.as_deref(),
        &i.fallback_params,
    )
    .await?;
    // What the log and the conversation show: the caption, or the kind and the file.
    let shown = match (caption, filename) {
        (Some(c), _) => format!("[{kind}] {c}"),
        (None, Some(f)) => format!("[{kind}: {f}]"),
        (None, None) => format!("[{kind}] {link}"),
    };
    let id = store::queue_message(
        app.db(),
        ctx.ws,
        &NewMessage {
            contact_id: contact.as_ref().map(Contact::cid),
            channel: "whatsapp".into(),
            from_address: Some(conn.phone_number_id.clone()),
            to_address: e164.clone(),
            body_text: shown,
            scheduled_at: now_ms(),
            ..Default::default()
        },
        &NewPart {
            kind: "text".into(),
            params: media_params(media.as_str(), link, caption, filename),
            fallback,
            category: Some("service".into()),
            country: country_of_phone(&e164),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(
        workspace = ctx.ws.0,
        message = id.0,
        kind = media.as_str(),
        "whatsapp media queued"
    );
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

/// Queue a media message and run a dispatch round (inside the window it is sent, outside
/// it the fallback template goes or it is skipped with the reason), then read it back.
pub async fn send_media_now(app: &App, ctx: &WsCtx, i: &MediaSendInput) -> AppResult<MessageOut> {
    let id = queue_media(app, ctx, i).await?;
    super::dispatch::dispatch(app).await?;
    message_out(app, ctx.ws, id).await
}
