//! Outreach campaigns: create from a [`CampaignSpec`], enroll an audience, start, pause,
//! resume and stop, counts for the campaign page and `campaign status --json`, the approval
//! queue, explicit retry of uncertain messages, and a test send to yourself.

use super::render::{Contexts, Parts};
use super::spec::{CampaignSpec, DEFAULT_MIN_GAP_SECONDS};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::outreach::SendWindow;
use prospector_core::role::Permission;
use prospector_core::search::query_terms;
use prospector_core::time::now_ms;
use prospector_store::campaigns::{
    self as store, Campaign, CampaignDetail, CampaignFields, CampaignSummary, NewCampaign, NewStep,
    StepFields, VariantFields,
};
use prospector_store::contacts::{self, ContactFilter};
use prospector_store::enrollments;
use prospector_store::messages::{self, Message, Selection};
use prospector_store::{CampaignId, ContactId, MessageId, SenderId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// Who to enroll.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollInput {
    /// Every contact reachable on one of the campaign's channels.
    #[serde(default)]
    pub all: bool,
    /// Contacts with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// These contacts.
    #[serde(default)]
    pub contact_ids: Vec<i64>,
    /// The campaign's saved audience filter.
    #[serde(default)]
    pub audience: bool,
}

/// What an enrollment did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollOut {
    /// Newly enrolled.
    pub enrolled: u64,
    /// Matched but enrolled before.
    pub already_enrolled: u64,
    /// Matched but left out: no email, suppressed, or email consent refused.
    pub skipped: u64,
    /// Why contacts were skipped, with counts.
    pub skipped_reasons: BTreeMap<String, u64>,
}

/// Counts of one campaign, as `campaign status --json` prints them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusOut {
    pub campaign_id: i64,
    pub name: String,
    pub state: String,
    /// Messages by status (queued, sending, sent, failed, uncertain, pending_approval...).
    pub messages: BTreeMap<String, i64>,
    /// Enrollments by state.
    pub enrollments: BTreeMap<String, i64>,
    #[schema(value_type = Object)]
    pub engagement: prospector_store::messages::Engagements,
}

/// A campaign with its steps, senders, counts and per-variant stats.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub detail: CampaignDetail,
    pub status: StatusOut,
    pub steps: Vec<prospector_store::messages::StepStats>,
}

const MAX_ENROLL: i64 = 1_000_000;

/// Turn a spec into storable rows, checking templates, variables and sender names.
async fn build(app: &App, ctx: &WsCtx, spec: &CampaignSpec) -> AppResult<NewCampaign> {
    spec.check_shape()?;
    let mut spec = spec.clone();
    if spec.schedule.timezone.trim().is_empty() {
        spec.schedule.timezone = prospector_store::workspaces::get(app.db(), ctx.ws)
            .await?
            .time_zone;
    }
    let spec = &spec;
    SendWindow::parse(
        &spec.schedule.timezone,
        &spec
            .schedule
            .days
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &spec.schedule.start,
        &spec.schedule.end,
    )
    .map_err(|e| AppError::invalid("schedule", e.to_string()))?;
    let mut sender_ids = Vec::new();
    for name in &spec.senders {
        let s = super::senders::by_name(app, ctx, name).await?;
        sender_ids.push(SenderId(s.id));
    }
    let mut steps = Vec::new();
    for (i, st) in spec.steps.iter().enumerate() {
        let field = |k: &str| format!("steps[{i}].{k}");
        if st.channel != "email" {
            steps.push(channel_step(app, ctx, i, st).await?);
            continue;
        }
        let template_id = match &st.template {
            Some(name) => {
                let t = prospector_store::templates::get_by_name(app.db(), ctx.ws, name.trim())
                    .await
                    .map_err(|_| {
                        AppError::invalid(
                            &field("template"),
                            format!("there is no template named \"{name}\""),
                        )
                    })?;
                Some(t.id)
            }
            None => None,
        };
        let check = |k: &str, v: &Option<String>| -> AppResult<()> {
            if let Some(v) = v {
                super::render::check(&field(k), v)?;
            }
            Ok(())
        };
        check("subject", &st.subject)?;
        check("body", &st.body)?;
        check("html", &st.html)?;
        let mut variants = Vec::new();
        for (j, v) in st.variants.iter().enumerate() {
            let vf = |k: &str| format!("steps[{i}].variants[{j}].{k}");
            super::render::check(&vf("subject"), &v.subject)?;
            super::render::check(&vf("body"), &v.body)?;
            if let Some(h) = &v.html {
                super::render::check(&vf("html"), h)?;
            }
            let label = v
                .label
                .clone()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| ((b'A' + j as u8) as char).to_string());
            variants.push(VariantFields {
                label,
                subject: Some(v.subject.clone()),
                body_text: Some(v.body.clone()),
                body_html: v.html.clone(),
                weight: i64::from(v.weight),
            });
        }
        steps.push(NewStep {
            f: StepFields {
                channel: st.channel.clone(),
                delay_days: i64::from(st.delay_days),
                business_days: st.business_days,
                template_id,
                subject: st.subject.clone(),
                body_text: st.body.clone(),
                body_html: st.html.clone(),
                conditions: "{}".into(),
                channel_config: "{}".into(),
            },
            variants,
        });
    }
    let mut f = CampaignFields::named(spec.name.trim());
    f.audience = serde_json::to_string(&spec.audience).unwrap_or_else(|_| "{}".into());
    f.schedule = serde_json::to_string(&spec.schedule).unwrap_or_else(|_| "{}".into());
    f.stop_on = serde_json::to_string(&spec.stop_on).unwrap_or_else(|_| "[]".into());
    f.track_opens = spec.track_opens;
    f.track_clicks = spec.track_clicks;
    f.min_gap_seconds = i64::from(spec.min_gap_seconds.unwrap_or(DEFAULT_MIN_GAP_SECONDS));
    f.approval_required = spec.approval_required;
    Ok(NewCampaign {
        f,
        created_by: ctx.actor.user_id,
        steps,
        sender_ids,
    })
}

/// A validation error of the messaging layer, renamed to the step field it is about.
fn at_field(field: String) -> impl Fn(AppError) -> AppError {
    move |e| match e {
        AppError::Validation { message, .. } => AppError::Validation {
            field: Some(field.clone()),
            message,
        },
        other => other,
    }
}

/// A WhatsApp or SMS step: templates must be approved and take as many parameters as given,
/// parameter sources must parse, bodies must be valid templates.
async fn channel_step(
    app: &App,
    ctx: &WsCtx,
    i: usize,
    st: &super::spec::StepSpec,
) -> AppResult<NewStep> {
    use crate::messaging::{send, templates};
    let field = |k: &str| format!("steps[{i}].{k}");
    let check_sources = |k: &str, list: &[String]| -> AppResult<()> {
        for (j, p) in list.iter().enumerate() {
            prospector_core::messaging::ParamSource::parse(p)
                .map_err(|e| AppError::invalid(&format!("steps[{i}].{k}[{j}]"), e.to_string()))?;
        }
        Ok(())
    };
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut cfg = super::spec::ChannelConfig::default();
    if let Some(body) = &st.body {
        super::render::check(&field("body"), body)?;
    }
    if st.channel == "whatsapp" {
        if let (Some(name), Some(lang)) = (trimmed(&st.template), trimmed(&st.language)) {
            let t = templates::sendable(app, ctx.ws, &name, &lang)
                .await
                .map_err(at_field(field("template")))?;
            check_sources("params", &st.params)?;
            send::check_param_count(&t, st.params.len()).map_err(at_field(field("params")))?;
            cfg.template = Some(t.name);
            cfg.language = Some(t.language);
            cfg.params = st.params.clone();
        }
        if let (Some(name), Some(lang)) = (
            trimmed(&st.fallback_template),
            trimmed(&st.fallback_language),
        ) {
            let t = templates::sendable(app, ctx.ws, &name, &lang)
                .await
                .map_err(at_field(field("fallback_template")))?;
            check_sources("fallback_params", &st.fallback_params)?;
            send::check_param_count(&t, st.fallback_params.len())
                .map_err(at_field(field("fallback_params")))?;
            cfg.fallback_template = Some(t.name);
            cfg.fallback_language = Some(t.language);
            cfg.fallback_params = st.fallback_params.clone();
        }
    }
    Ok(NewStep {
        f: StepFields {
            channel: st.channel.clone(),
            delay_days: i64::from(st.delay_days),
            business_days: st.business_days,
            template_id: None,
            subject: None,
            body_text: trimmed(&st.body),
            body_html: None,
            conditions: "{}".into(),
            channel_config: serde_json::to_string(&cfg).unwrap_or_else(|_| "{}".into()),
        },
        variants: Vec::new(),
    })
}

/// Create a draft campaign.
pub async fn create(app: &App, ctx: &WsCtx, spec: &CampaignSpec) -> AppResult<CampaignDetail> {
    ctx.require(Permission::Write)?;
    let c = build(app, ctx, spec).await?;
    let d = store::insert(app.db(), ctx.ws, &c).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "campaign.created",
        "campaign",
        d.campaign.id,
        None,
        Some(json!({"name": d.campaign.f.name, "steps": d.steps.len()})),
    )
    .await?;
    Ok(d)
}

/// Replace a draft's definition.
pub async fn update(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    spec: &CampaignSpec,
) -> AppResult<CampaignDetail> {
    ctx.require(Permission::Write)?;
    let old = store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    let c = build(app, ctx, spec).await?;
    store::update(app.db(), ctx.ws, CampaignId(id), &c.f).await?;
    store::set_senders(app.db(), ctx.ws, CampaignId(id), &c.sender_ids).await?;
    if old.state == store::DRAFT {
        store::replace_steps(app.db(), ctx.ws, CampaignId(id), &c.steps).await?;
    } else {
        // Steps of a running campaign keep their ids (and stats); only content changes.
        let steps = store::steps_of(app.db(), ctx.ws, CampaignId(id)).await?;
        if steps.len() != c.steps.len() {
            return Err(AppError::invalid(
                "steps",
                "steps can be added or removed only while the campaign is a draft",
            ));
        }
        for (st, new) in steps.iter().zip(&c.steps) {
            store::update_step(app.db(), ctx.ws, prospector_store::StepId(st.id), &new.f).await?;
        }
    }
    get(app, ctx, id).await
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<CampaignDetail> {
    Ok(store::get(app.db(), ctx.ws, CampaignId(id)).await?)
}

pub async fn list(
    app: &App,
    ctx: &WsCtx,
    state: Option<&str>,
    search: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<CampaignSummary>> {
    Ok(store::list(app.db(), ctx.ws, state, search, before, limit).await?)
}

/// The campaign page: definition, counts and per-step/variant stats.
pub async fn view(app: &App, ctx: &WsCtx, id: i64) -> AppResult<CampaignView> {
    let detail = get(app, ctx, id).await?;
    let status = status(app, ctx, id).await?;
    let steps = messages::step_stats(app.db(), ctx.ws, CampaignId(id)).await?;
    Ok(CampaignView {
        detail,
        status,
        steps,
    })
}

/// Counts by message status and enrollment state.
pub async fn status(app: &App, ctx: &WsCtx, id: i64) -> AppResult<StatusOut> {
    let c = store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    let messages = messages::status_counts(app.db(), ctx.ws, CampaignId(id)).await?;
    let enrollments = enrollments::counts_by_state(app.db(), ctx.ws, CampaignId(id)).await?;
    let engagement = messages::campaign_stats(app.db(), ctx.ws, CampaignId(id)).await?;
    Ok(StatusOut {
        campaign_id: c.id,
        name: c.f.name,
        state: c.state,
        messages,
        enrollments,
        engagement,
    })
}

async fn transition(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    to: &str,
    from: &[&str],
    reason: Option<&str>,
    action: &str,
) -> AppResult<Campaign> {
    ctx.require(Permission::Write)?;
    let c = store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    if !store::set_state(app.db(), ctx.ws, CampaignId(id), to, from, reason).await? {
        return Err(AppError::Conflict {
            field: Some("state".into()),
            message: format!(
                "a {} campaign cannot be {action}d (it must be {})",
                c.state,
                from.join(" or ")
            ),
        });
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        &format!("campaign.{action}d"),
        "campaign",
        id,
        Some(json!({"state": c.state})),
        Some(json!({"state": to})),
    )
    .await?;
    Ok(store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?)
}

/// Start a draft: it needs a sender; enrolled contacts become due now.
pub async fn start(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Campaign> {
    let d = get(app, ctx, id).await?;
    let uses = |c: &str| d.steps.iter().any(|s| s.f.channel == c);
    if uses("email") && d.senders.is_empty() {
        return Err(AppError::invalid(
            "senders",
            "add at least one sender before starting the campaign",
        ));
    }
    if uses("whatsapp") {
        crate::messaging::connections::require_wa(app, ctx.ws).await?;
    }
    if uses("sms") {
        crate::messaging::connections::require_sms(app, ctx.ws).await?;
    }
    let c = transition(app, ctx, id, store::ACTIVE, &[store::DRAFT], None, "start").await?;
    enrollments::activate_waiting(app.db(), ctx.ws, CampaignId(id), now_ms()).await?;
    super::engine::kick(app).await?;
    Ok(c)
}

pub async fn pause(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Campaign> {
    transition(
        app,
        ctx,
        id,
        store::PAUSED,
        &[store::ACTIVE],
        Some("paused by a member"),
        "pause",
    )
    .await
}

pub async fn resume(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Campaign> {
    let c = transition(
        app,
        ctx,
        id,
        store::ACTIVE,
        &[store::PAUSED],
        None,
        "resume",
    )
    .await?;
    super::engine::kick(app).await?;
    Ok(c)
}

/// Stop for good: queued and unapproved messages are cancelled, enrollments stopped.
pub async fn stop(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Campaign> {
    let c = transition(
        app,
        ctx,
        id,
        store::STOPPED,
        &[store::DRAFT, store::ACTIVE, store::PAUSED],
        Some("stopped by a member"),
        "stop",
    )
    .await?;
    messages::cancel(
        app.db(),
        ctx.ws,
        Selection::Campaign(CampaignId(id)),
        "campaign stopped",
    )
    .await?;
    enrollments::stop_all_in_campaign(app.db(), ctx.ws, CampaignId(id), "campaign stopped").await?;
    Ok(c)
}

pub async fn delete(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Write)?;
    if !store::delete(app.db(), ctx.ws, CampaignId(id)).await? {
        return Err(AppError::Conflict {
            field: Some("state".into()),
            message: "only a draft can be deleted; stop the campaign instead".into(),
        });
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "campaign.deleted",
        "campaign",
        id,
        None,
        None,
    )
    .await
}

/// Enroll contacts: all, by tag, by ids or by the saved audience. Contacts without an
/// email, suppressed addresses and refused consent are skipped and counted.
pub async fn enroll(app: &App, ctx: &WsCtx, id: i64, input: &EnrollInput) -> AppResult<EnrollOut> {
    ctx.require(Permission::Write)?;
    let c = store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    if c.state == store::STOPPED || c.state == store::COMPLETED {
        return Err(AppError::Conflict {
            field: Some("state".into()),
            message: format!("a {} campaign takes no new contacts", c.state),
        });
    }
    let chosen = [
        input.all,
        input.tag.is_some(),
        !input.contact_ids.is_empty(),
        input.audience,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if chosen != 1 {
        return Err(AppError::invalid(
            "all",
            "choose exactly one of all, tag, contact_ids or audience",
        ));
    }
    let mut f = ContactFilter::default();
    if let Some(t) = &input.tag {
        f.tag = Some(t.trim().to_string());
    }
    if !input.contact_ids.is_empty() {
        f.ids = Some(input.contact_ids.clone());
    }
    if input.audience {
        let a: super::spec::AudienceSpec = serde_json::from_str(&c.f.audience).unwrap_or_default();
        f.tag = a.tag.filter(|t| !t.trim().is_empty());
        f.company_tier = a.tier.map(|t| t.trim().to_uppercase());
        f.terms = a.q.as_deref().map(query_terms).unwrap_or_default();
    }
    let matched = contacts::ids(app.db(), ctx.ws, &f, MAX_ENROLL).await?;
    // Reachable: an address on at least one of the campaign's channels (a step on a channel
    // the contact lacks is skipped with the reason when its turn comes).
    let channels: Vec<String> = store::get(app.db(), ctx.ws, CampaignId(id))
        .await?
        .steps
        .iter()
        .map(|s| s.f.channel.clone())
        .collect();
    let mut reachable = std::collections::BTreeSet::new();
    for (channel, field) in [
        ("email", "email"),
        ("whatsapp", "whatsapp"),
        ("whatsapp", "phone"),
        ("sms", "phone"),
    ] {
        if channels.iter().any(|c| c == channel) {
            let mut g = f.clone();
            match field {
                "email" => g.has_email = Some(true),
                "whatsapp" => g.has_whatsapp = Some(true),
                _ => g.has_phone = Some(true),
            }
            reachable.extend(contacts::ids(app.db(), ctx.ws, &g, MAX_ENROLL).await?);
        }
    }
    let with_email: Vec<i64> = matched
        .iter()
        .copied()
        .filter(|c| reachable.contains(c))
        .collect();
    let mut skipped_reasons = BTreeMap::new();
    let no_email = (matched.len() - with_email.len()) as u64;
    if no_email > 0 {
        let why = if channels.iter().all(|c| c == "email") {
            "no email"
        } else {
            "no email or phone"
        };
        skipped_reasons.insert(why.to_string(), no_email);
    }
    let blocked = super::suppression::blocked_contacts(app, ctx.ws, &with_email).await?;
    for reason in blocked.values() {
        *skipped_reasons.entry(reason.clone()).or_insert(0) += 1;
    }
    let take: Vec<i64> = with_email
        .into_iter()
        .filter(|id| !blocked.contains_key(id))
        .collect();
    let next_at = (c.state == store::ACTIVE).then(now_ms);
    let mut enrolled = 0;
    for chunk in take.chunks(5_000) {
        enrolled += enrollments::enroll(app.db(), ctx.ws, CampaignId(id), chunk, next_at).await?;
    }
    let already = take.len() as u64 - enrolled;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "campaign.enrolled",
        "campaign",
        id,
        None,
        Some(json!({"enrolled": enrolled, "already": already})),
    )
    .await?;
    if next_at.is_some() {
        super::engine::kick(app).await?;
    }
    Ok(EnrollOut {
        enrolled,
        already_enrolled: already,
        skipped: skipped_reasons.values().sum(),
        skipped_reasons,
    })
}

/// Messages of a campaign, newest first, optionally of one status.
pub async fn messages_of(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Message>> {
    store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    Ok(
        messages::list_for_campaign(app.db(), ctx.ws, CampaignId(id), status, before, limit)
            .await?,
    )
}

/// What to do with messages waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    Approve,
    Reject,
}

/// Approve or reject messages waiting for review: the given ids, or all of the campaign.
pub async fn review(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    action: Review,
    ids: &[i64],
) -> AppResult<usize> {
    ctx.require(Permission::Write)?;
    store::get_campaign(app.db(), ctx.ws, CampaignId(id)).await?;
    let mids: Vec<MessageId> = ids.iter().map(|i| MessageId(*i)).collect();
    let sel = if ids.is_empty() {
        Selection::Campaign(CampaignId(id))
    } else {
        Selection::Ids(&mids)
    };
    let done = match action {
        Review::Approve => messages::approve(app.db(), ctx.ws, sel).await?,
        Review::Reject => {
            let done = messages::reject(app.db(), ctx.ws, sel, "rejected in review").await?;
            // A rejected message ends that contact's sequence in this campaign.
            let raw: Vec<i64> = done.iter().map(|m| m.0).collect();
            for m in messages::get_many(app.db(), ctx.ws, &raw).await? {
                if let Some(e) = m.enrollment_id {
                    enrollments::stop(
                        app.db(),
                        ctx.ws,
                        prospector_store::EnrollmentId(e),
                        "message rejected in review",
                    )
                    .await?;
                }
            }
            done
        }
    };
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        match action {
            Review::Approve => "messages.approved",
            Review::Reject => "messages.rejected",
        },
        "campaign",
        id,
        None,
        Some(json!({"messages": done.len()})),
    )
    .await?;
    if action == Review::Approve && !done.is_empty() {
        super::dispatch::kick(app).await?;
    }
    Ok(done.len())
}

/// Edit a message waiting for approval (checked like a template, then stored as written).
pub async fn edit_pending(
    app: &App,
    ctx: &WsCtx,
    message: i64,
    subject: &str,
    body: &str,
) -> AppResult<Message> {
    ctx.require(Permission::Write)?;
    if subject.trim().is_empty() || body.trim().is_empty() {
        return Err(AppError::invalid(
            "subject",
            "a subject and a body are needed",
        ));
    }
    let html = prospector_core::template::text_to_html(body);
    if !messages::edit_pending(
        app.db(),
        ctx.ws,
        MessageId(message),
        Some(subject.trim()),
        body,
        Some(&html),
    )
    .await?
    {
        return Err(AppError::Conflict {
            field: None,
            message: "only a message waiting for approval can be edited".into(),
        });
    }
    Ok(messages::get(app.db(), ctx.ws, MessageId(message)).await?)
}

/// Re-queue messages whose outcome is unknown (the same Message-ID is used again, so a
/// receiving server that got the first attempt can tell).
pub async fn retry_uncertain(app: &App, ctx: &WsCtx, ids: &[i64]) -> AppResult<usize> {
    ctx.require(Permission::Write)?;
    let mids: Vec<MessageId> = ids.iter().map(|i| MessageId(*i)).collect();
    let done = messages::retry_uncertain(app.db(), ctx.ws, Selection::Ids(&mids), now_ms()).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "messages.retried",
        "message",
        ids.first().copied().unwrap_or_default(),
        None,
        Some(json!({"messages": done.len()})),
    )
    .await?;
    super::dispatch::kick(app).await?;
    Ok(done.len())
}

/// Send one step to yourself, rendered for a contact (or sample values), now, through the
/// campaign's first sender. Returns the queued message.
pub async fn test_send(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    step: usize,
    to: &str,
    contact: Option<ContactId>,
) -> AppResult<Message> {
    ctx.require(Permission::Write)?;
    let to = prospector_core::normalize::Email::parse(to)
        .map_err(|e| AppError::invalid("to", e.to_string()))?;
    let d = get(app, ctx, id).await?;
    let st = d.steps.get(step).ok_or_else(|| {
        AppError::invalid("step", format!("the campaign has {} steps", d.steps.len()))
    })?;
    let sender = d
        .senders
        .first()
        .ok_or_else(|| AppError::invalid("senders", "the campaign has no sender"))?;
    let (subject, text, html) = super::engine::step_content(app, ctx.ws, st, None).await?;
    let parts = Parts::parse(&subject, &text, html.as_deref())?;
    let token = crate::crypto::ordered_token(16);
    let url = super::tracking::unsubscribe_url(app, &token);
    let vars = match contact {
        Some(cid) => {
            let cx = Contexts::load(app, ctx.ws, &[cid.0]).await?;
            let c = cx.contact(cid.0).ok_or(AppError::NotFound)?;
            cx.context(c, Some(sender), Some(&d.campaign.f.name), &url)
        }
        None => prospector_core::template::Context::new()
            .with("first_name", "Alex")
            .with("name", "Alex Example")
            .with("company.name", "Example Bakery")
            .with("unsubscribe_url", url.as_str()),
    };
    let r = super::render::render(&parts, &vars, now_ms() as u64);
    let m = messages::queue(
        app.db(),
        ctx.ws,
        &messages::NewMessage {
            campaign_id: None,
            contact_id: None,
            step_id: None,
            variant_id: None,
            channel: "email".into(),
            sender_id: Some(SenderId(sender.id)),
            from_address: Some(sender.f.from_email.clone()),
            to_address: to.as_str().to_string(),
            subject: Some(format!("[Test] {}", r.subject)),
            body_text: r.text,
            body_html: Some(r.html),
            message_id_header: Some(super::engine::message_id_for(&sender.f.from_email)),
            in_reply_to: None,
            unsubscribe_token: Some(token),
            pending_approval: false,
            scheduled_at: now_ms(),
            links: Vec::new(),
        },
    )
    .await?;
    super::dispatch::kick(app).await?;
    Ok(m)
}
