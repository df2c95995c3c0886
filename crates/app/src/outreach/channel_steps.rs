//! WhatsApp and SMS steps of a multi-step campaign. The engine decides *when* a step goes out
//! (delays, the campaign's window in the recipient's zone, stop conditions) for every
//! channel alike; this module decides *what* a WhatsApp or SMS step sends to one contact and
//! whether it can: the number (WhatsApp: the contact's WhatsApp, else phone; SMS: phone),
//! consent and phone suppressions per channel, template parameters resolved from the contact.
//! A step that cannot reach a contact is recorded as a skipped (`cancelled`) message with the
//! reason and the sequence goes on, so "email day 0, WhatsApp day 2, SMS day 5" still sends
//! the SMS to a contact WhatsApp could not reach. Sending, the 24-hour window, throughput and
//! the daily tier limit are `messaging.dispatch`'s.

use super::render::{self, Contexts, Parts};
use super::spec::ChannelConfig;
use crate::messaging::{connections, send, templates};
use crate::{App, AppResult};
use prospector_channels::sms::segments;
use prospector_core::messaging::{country_of_phone, to_e164};
use prospector_store::WorkspaceId;
use prospector_store::campaigns::Step;
use prospector_store::contacts::Contact;
use prospector_store::messaging::{NewPart, SmsConnection, WaConnection, WaTemplate};
use serde_json::json;

/// A campaign's WhatsApp/SMS steps, prepared once per tick: approved templates (a template
/// that is no longer approved fails the plan, which pauses the campaign with the reason)
/// and the connections to send from.
#[derive(Default)]
pub struct ChannelPlan {
    /// Per step index: its config and templates (main, fallback).
    steps: Vec<Option<PlannedStep>>,
    wa: Option<WaConnection>,
    sms: Option<SmsConnection>,
}

struct PlannedStep {
    cfg: ChannelConfig,
    template: Option<WaTemplate>,
    fallback: Option<WaTemplate>,
}

impl ChannelPlan {
    pub async fn load(app: &App, ws: WorkspaceId, steps: &[Step]) -> AppResult<ChannelPlan> {
        let mut plan = ChannelPlan::default();
        for st in steps {
            let planned = match st.f.channel.as_str() {
                "whatsapp" => {
                    if plan.wa.is_none() {
                        plan.wa = Some(connections::require_wa(app, ws).await?);
                    }
                    let cfg = ChannelConfig::parse(&st.f.channel_config);
                    let get = |name: &Option<String>, lang: &Option<String>| {
                        let (name, lang) = (name.clone(), lang.clone());
                        async move {
                            match (name, lang) {
                                (Some(n), Some(l)) => {
                                    templates::sendable(app, ws, &n, &l).await.map(Some)
                                }
                                _ => Ok(None),
                            }
                        }
                    };
                    let template = get(&cfg.template, &cfg.language).await?;
                    let fallback = get(&cfg.fallback_template, &cfg.fallback_language).await?;
                    Some(PlannedStep {
                        cfg,
                        template,
                        fallback,
                    })
                }
                "sms" => {
                    if plan.sms.is_none() {
                        plan.sms = Some(connections::require_sms(app, ws).await?);
                    }
                    Some(PlannedStep {
                        cfg: ChannelConfig::default(),
                        template: None,
                        fallback: None,
                    })
                }
                _ => None,
            };
            plan.steps.push(planned);
        }
        Ok(plan)
    }
}

/// What a WhatsApp/SMS step does for one contact.
pub enum Outcome {
    /// Queue this message (recipient, from, body, channel part).
    Send {
        to: String,
        from: Option<String>,
        body: String,
        part: Box<NewPart>,
    },
    /// Record the step as skipped for this contact, with the reason, and go on.
    Skip(String),
}

/// The recipient's number on `channel`, as E.164: WhatsApp goes to the contact's WhatsApp
/// number, else its phone; SMS to its phone.
pub(crate) fn number_of(contact: &Contact, channel: &str) -> Option<String> {
    let raw = if channel == "whatsapp" {
        contact.f.whatsapp.as_deref().or(contact.f.phone.as_deref())
    } else {
        contact.f.phone.as_deref()
    }?;
    raw.trim().starts_with('+').then(|| to_e164(raw)).flatten()
}

/// Decide step `idx` (a WhatsApp or SMS step) for `contact`. `parts` is the step's parsed
/// body, when it has one.
#[allow(clippy::too_many_arguments)]
pub async fn prepare(
    app: &App,
    ws: WorkspaceId,
    plan: &ChannelPlan,
    step: &Step,
    idx: usize,
    parts: Option<&Parts>,
    cx: &Contexts,
    contact: &Contact,
    campaign_name: &str,
    seed: u64,
) -> AppResult<Outcome> {
    let channel = step.f.channel.as_str();
    let Some(Some(planned)) = plan.steps.get(idx) else {
        return Ok(Outcome::Skip(format!("the {channel} step is not set up")));
    };
    let Some(to) = number_of(contact, channel) else {
        return Ok(Outcome::Skip(format!(
            "no international phone number for {}",
            if channel == "sms" { "SMS" } else { "WhatsApp" }
        )));
    };
    if let Some(why) = send::blocked(app, ws, channel, Some(contact), &to).await? {
        return Ok(Outcome::Skip(why));
    }
    // Free text (WhatsApp outside a template, every SMS) is the step's body, rendered with
    // the contact's variables; a variable without a value or fallback skips the step rather
    // than sending "Hi ,".
    let text = match parts {
        Some(p) => {
            let vars = cx.context(contact, None, Some(campaign_name), "");
            let r = render::render(p, &vars, seed);
            if !r.missing.is_empty() {
                return Ok(Outcome::Skip(format!(
                    "no value for {}",
                    r.missing
                        .iter()
                        .map(|m| format!("{{{{{m}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Some(r.text.trim().to_string())
        }
        None => None,
    };
    let country = country_of_phone(&to);
    if channel == "sms" {
        let body = text.unwrap_or_default();
        if body.is_empty() {
            return Ok(Outcome::Skip("the SMS body rendered empty".into()));
        }
        let (encoding, n) = segments(&body);
        let from = plan
            .sms
            .as_ref()
            .and_then(|c| c.from_number.clone().or(c.messaging_service_sid.clone()));
        return Ok(Outcome::Send {
            to,
            from,
            body,
            part: Box::new(NewPart {
                kind: "text".into(),
                params: "[]".into(),
                category: Some("segment".into()),
                country,
                segments: Some(i64::from(n)),
                encoding: Some(encoding.as_str().into()),
                ..Default::default()
            }),
        });
    }
    let from = plan.wa.as_ref().map(|c| c.phone_number_id.clone());
    let resolve = |specs: Vec<String>| async move {
        send::resolve_params(app, ws, Some(contact), &specs).await
    };
    if let Some(t) = &planned.template {
        let params = match resolve(planned.cfg.params.clone()).await {
            Ok(p) => p,
            Err(e) => return Ok(Outcome::Skip(e.to_string())),
        };
        return Ok(Outcome::Send {
            to: to.clone(),
            from,
            body: templates::render(t, Some(&params)).to_string(),
            part: Box::new(NewPart {
                kind: "template".into(),
                template_name: Some(t.name.clone()),
                language: Some(t.language.clone()),
                params: json!(params).to_string(),
                category: Some(t.category.to_lowercase()),
                country,
                ..Default::default()
            }),
        });
    }
    let body = text.unwrap_or_default();
    if body.is_empty() {
        return Ok(Outcome::Skip("the WhatsApp text rendered empty".into()));
    }
    let fallback = match &planned.fallback {
        Some(t) => match resolve(planned.cfg.fallback_params.clone()).await {
            Ok(params) => Some(
                json!({"template": t.name, "language": t.language, "params": params,
                       "category": t.category.to_lowercase()})
                .to_string(),
            ),
            // Without parameters for the fallback the text still goes inside the window.
            Err(e) => {
                tracing::debug!(contact = contact.id, error = %e, "fallback parameters missing");
                None
            }
        },
        None => None,
    };
    Ok(Outcome::Send {
        to,
        from,
        body,
        part: Box::new(NewPart {
            kind: "text".into(),
            params: "[]".into(),
            fallback,
            category: Some("service".into()),
            country,
            ..Default::default()
        }),
    })
}
