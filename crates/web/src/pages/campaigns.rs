//! Outreach campaigns on pages: the list (search, state filter, pages, counts), the builder
//! (a plain form that becomes a `CampaignSpec`; adding or removing a step re-renders it, so
//! it works without JavaScript), and the campaign page (definition, live counts, per-step and
//! per-variant stats, enroll, start / pause / resume / stop, test send, the approval queue and
//! the messages). Also the router of every outreach page.

use super::contacts::{
    Notice, Times, flash, form_error, form_value, id_of, redirect_error, render_status, thousands,
    with_query,
};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::campaigns::{self as uc, EnrollInput, Review};
use prospector_app::outreach::spec::{
    AudienceSpec, CampaignSpec, MAX_STEPS, STOP_CONDITIONS, ScheduleSpec, StepSpec, VariantSpec,
};
use prospector_app::store::campaigns::CampaignDetail;
use prospector_app::store::messages::{Engagements, Message};
use prospector_app::{App, AppError, WsCtx};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Every outreach page: campaigns, senders, templates and messages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/campaigns", get(list).post(create))
        .route("/w/{slug}/campaigns/new", get(new_form))
        .route("/w/{slug}/campaigns/{id}", get(show))
        .route("/w/{slug}/campaigns/{id}/edit", get(edit_form).post(update))
        .route("/w/{slug}/campaigns/{id}/start", post(start))
        .route("/w/{slug}/campaigns/{id}/pause", post(pause))
        .route("/w/{slug}/campaigns/{id}/resume", post(resume))
        .route("/w/{slug}/campaigns/{id}/stop", post(stop))
        .route("/w/{slug}/campaigns/{id}/delete", post(delete))
        .route("/w/{slug}/campaigns/{id}/enroll", post(enroll))
        .route("/w/{slug}/campaigns/{id}/review", post(review))
        .route("/w/{slug}/campaigns/{id}/test", post(test_send))
        .merge(super::senders::routes())
        .merge(super::templates::routes())
        .merge(super::messages::routes())
}

/// The tabs above the outreach pages.
pub(super) const TAB_CAMPAIGNS: &str = "campaigns";
pub(super) const TAB_SENDERS: &str = "senders";
pub(super) const TAB_TEMPLATES: &str = "templates";

/// Campaign states a filter can pick.
const STATES: &[&str] = &["draft", "active", "paused", "stopped", "completed"];
/// Message statuses a filter can pick.
pub(super) const STATUSES: &[&str] = &[
    "pending_approval",
    "queued",
    "sending",
    "sent",
    "failed",
    "uncertain",
    "rejected",
    "cancelled",
];
const DAYS: &[(&str, &str)] = &[
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];
/// Zones offered in the time zone field (any IANA name may be typed).
const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Zurich",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
];
const PAGE_SIZE: i64 = 25;

fn stop_label(s: &str) -> &'static str {
    match s {
        "reply" => "a reply",
        "bounce" => "a bounce",
        "unsubscribe" => "an unsubscribe",
        "lead_stage_change" => "a lead stage change",
        _ => "other",
    }
}

pub(super) fn count(m: &BTreeMap<String, i64>, key: &str) -> i64 {
    m.get(key).copied().unwrap_or(0)
}

/// `n` of `of` as a whole percentage, or a dash when nothing was sent.
fn rate(n: i64, of: i64) -> String {
    if of <= 0 {
        "—".into()
    } else {
        format!("{}%", (n * 100 + of / 2) / of)
    }
}

/// A figure on the campaign page: label, value, a key for tests and scripts.
pub struct Stat {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

fn stat(key: &'static str, label: &'static str, n: i64) -> Stat {
    Stat {
        key,
        label,
        value: thousands(n),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub reason: String,
    pub senders: String,
    pub enrolled: String,
    pub active: String,
    pub queued: String,
    pub pending: i64,
    pub sent: String,
    pub failed: String,
    pub uncertain: i64,
    pub replied: String,
    pub opened: Option<String>,
    pub clicked: Option<String>,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    shell: Shell,
    tab: &'static str,
    /// The workspace has no campaign at all.
    empty: bool,
    has_senders: bool,
    q: String,
    state: String,
    states: &'static [&'static str],
    rows: Vec<CampaignRow>,
    next: String,
    first: String,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    q: Option<String>,
    state: Option<String>,
    before: Option<String>,
}

async fn row_of(
    app: &App,
    ctx: &WsCtx,
    s: prospector_app::store::campaigns::CampaignSummary,
) -> Result<CampaignRow, AppError> {
    let d = uc::get(app, ctx, s.campaign.id).await?;
    let e = prospector_app::store::messages::campaign_stats(app.db(), ctx.ws, s.campaign.cid())
        .await
        .map_err(AppError::from)?;
    let m = &s.messages;
    let c = s.campaign;
    Ok(CampaignRow {
        id: c.id,
        senders: d
            .senders
            .iter()
            .map(|s| s.f.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        enrolled: thousands(s.enrollments.values().sum()),
        active: thousands(count(&s.enrollments, "active")),
        queued: thousands(count(m, "queued") + count(m, "sending")),
        pending: count(m, "pending_approval"),
        sent: thousands(count(m, "sent")),
        failed: thousands(count(m, "failed")),
        uncertain: count(m, "uncertain"),
        replied: thousands(e.replied),
        opened: c.f.track_opens.then(|| thousands(e.opened)),
        clicked: c.f.track_clicks.then(|| thousands(e.clicked)),
        name: c.f.name,
        state: c.state,
        reason: c.state_reason.unwrap_or_default(),
    })
}

pub async fn list(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListParams>,
    Query(n): Query<Notice>,
) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "campaigns").await?, &n);
    let term = q.q.as_deref().unwrap_or("").trim().to_string();
    let state = q
        .state
        .as_deref()
        .map(str::trim)
        .filter(|st| STATES.contains(st))
        .map(str::to_string);
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok());
    let empty = uc::list(&s.app, &p.ctx, None, None, None, 1)
        .await?
        .is_empty();
    let has_senders = !prospector_app::outreach::senders::list(&s.app, &p.ctx)
        .await?
        .is_empty();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !term.is_empty() {
        pairs.push(("q", term.clone()));
    }
    if let Some(st) = &state {
        pairs.push(("state", st.clone()));
    }
    let base = format!("/w/{}/campaigns", p.ctx.slug);
    let search = Some(term.as_str()).filter(|t| !t.is_empty());
    let summaries = uc::list(&s.app, &p.ctx, state.as_deref(), search, before, PAGE_SIZE).await?;
    let next = (summaries.len() as i64 == PAGE_SIZE)
        .then(|| summaries.last().map(|r| r.campaign.id))
        .flatten();
    let mut rows = Vec::with_capacity(summaries.len());
    for c in summaries {
        rows.push(row_of(&s.app, &p.ctx, c).await?);
    }
    let next = match next {
        Some(b) => {
            let mut np = pairs.clone();
            np.push(("before", b.to_string()));
            with_query(&base, &np)
        }
        None => String::new(),
    };
    let first = if before.is_some() {
        with_query(&base, &pairs)
    } else {
        String::new()
    };
    Ok(render(&CampaignsPage {
        shell,
        tab: TAB_CAMPAIGNS,
        empty,
        has_senders,
        q: term,
        state: state.unwrap_or_default(),
        states: STATES,
        rows,
        next,
        first,
    }))
}

// ---------------------------------------------------------------------------------------------
// The builder

/// One variant beyond A and B, kept as it is (the form edits two).
#[derive(Default, Clone)]
pub struct VariantForm {
    pub label: String,
    pub subject: String,
    pub body: String,
    pub html: String,
    pub weight: String,
}

/// One step as typed.
#[derive(Default, Clone)]
pub struct StepForm {
    /// email, whatsapp or sms.
    pub channel: String,
    /// WhatsApp: the approved template as `name|language`, its parameter sources
    /// (comma-separated), and for free text the fallback template and its parameters.
    pub wa_template: String,
    pub params: String,
    pub fallback: String,
    pub fallback_params: String,
    pub delay_days: String,
    pub business_days: bool,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub html: String,
    /// Split between variant A (the fields above) and B.
    pub ab: bool,
    pub a_label: String,
    pub a_weight: String,
    pub b: VariantForm,
    /// Variants C... (from the API), carried along unchanged.
    pub more: Vec<VariantForm>,
}

/// The builder's values, as typed.
#[derive(Default, Clone)]
pub struct CampaignForm {
    pub name: String,
    pub senders: Vec<String>,
    pub timezone: String,
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
    pub recipient_timezone: bool,
    pub steps: Vec<StepForm>,
    pub stop_on: Vec<String>,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub min_gap_seconds: String,
    pub approval_required: bool,
    pub audience_tag: String,
    pub audience_tier: String,
    /// Audience conditions the form does not edit, kept as they are.
    pub audience_q: String,
    pub audience_country: String,
    pub audience_category: String,
}

fn values(f: &[(String, String)], key: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

fn ticked(f: &[(String, String)], key: &str) -> bool {
    f.iter()
        .any(|(k, v)| k == key && matches!(v.as_str(), "1" | "on" | "true" | "yes"))
}

fn text(f: &[(String, String)], key: &str) -> String {
    form_value(f, key).to_string()
}

fn blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| s.to_string())
}

fn variant_form(v: &VariantSpec) -> VariantForm {
    VariantForm {
        label: v.label.clone().unwrap_or_default(),
        subject: v.subject.clone(),
        body: v.body.clone(),
        html: v.html.clone().unwrap_or_default(),
        weight: v.weight.to_string(),
    }
}

impl StepForm {
    fn new_step(first: bool) -> StepForm {
        StepForm {
            channel: "email".into(),
            delay_days: if first { "0" } else { "3" }.into(),
            business_days: !first,
            ..Default::default()
        }
    }

    fn of(s: &StepSpec) -> StepForm {
        let pair = |t: &Option<String>, l: &Option<String>| match (t, l) {
            (Some(t), Some(l)) => format!("{t}|{l}"),
            _ => String::new(),
        };
        let whatsapp = s.channel == "whatsapp";
        let mut f = StepForm {
            channel: s.channel.clone(),
            wa_template: if whatsapp {
                pair(&s.template, &s.language)
            } else {
                String::new()
            },
            params: s.params.join(", "),
            fallback: pair(&s.fallback_template, &s.fallback_language),
            fallback_params: s.fallback_params.join(", "),
            delay_days: s.delay_days.to_string(),
            business_days: s.business_days,
            template: if whatsapp { None } else { s.template.clone() }.unwrap_or_default(),
            subject: s.subject.clone().unwrap_or_default(),
            body: s.body.clone().unwrap_or_default(),
            html: s.html.clone().unwrap_or_default(),
            ..Default::default()
        };
        if let Some(a) = s.variants.first() {
            f.ab = true;
            f.subject = a.subject.clone();
            f.body = a.body.clone();
            f.html = a.html.clone().unwrap_or_default();
            f.a_label = a.label.clone().unwrap_or_default();
            f.a_weight = a.weight.to_string();
            if let Some(b) = s.variants.get(1) {
                f.b = variant_form(b);
            }
            f.more = s.variants.iter().skip(2).map(variant_form).collect();
        }
        f
    }

    fn parse(f: &[(String, String)], i: usize) -> StepForm {
        let k = |name: &str| format!("steps[{i}].{name}");
        let v = |j: usize, name: &str| text(f, &format!("steps[{i}].variants[{j}].{name}"));
        let more_count: usize = form_value(f, &k("more_count")).parse().unwrap_or(0);
        let channel = text(f, &k("channel"));
        StepForm {
            channel: if channel.trim().is_empty() {
                "email".into()
            } else {
                channel.trim().to_string()
            },
            wa_template: text(f, &k("wa_template")),
            params: text(f, &k("params")),
            fallback: text(f, &k("fallback")),
            fallback_params: text(f, &k("fallback_params")),
            delay_days: text(f, &k("delay_days")),
            business_days: ticked(f, &k("business_days")),
            template: text(f, &k("template")),
            subject: text(f, &k("subject")),
            body: text(f, &k("body")),
            html: text(f, &k("html")),
            ab: ticked(f, &k("ab")),
            a_label: v(0, "label"),
            a_weight: v(0, "weight"),
            b: VariantForm {
                label: v(1, "label"),
                subject: v(1, "subject"),
                body: v(1, "body"),
                html: v(1, "html"),
                weight: v(1, "weight"),
            },
            more: (2..2 + more_count.min(10))
                .map(|j| VariantForm {
                    label: v(j, "label"),
                    subject: v(j, "subject"),
                    body: v(j, "body"),
                    html: v(j, "html"),
                    weight: v(j, "weight"),
                })
                .collect(),
        }
    }

    fn spec(&self, i: usize) -> Result<StepSpec, AppError> {
        let delay_days = match self.delay_days.trim() {
            "" => 0,
            d => d.parse::<u32>().map_err(|_| {
                AppError::invalid(
                    &format!("steps[{i}].delay_days"),
                    "a whole number of days (0 for the same day)",
                )
            })?,
        };
        let weight = |j: usize, w: &str| -> Result<u32, AppError> {
            match w.trim() {
                "" => Ok(1),
                w => w.parse::<u32>().map_err(|_| {
                    AppError::invalid(
                        &format!("steps[{i}].variants[{j}].weight"),
                        "a weight from 1 to 100",
                    )
                }),
            }
        };
        let variant = |j: usize, v: &VariantForm| -> Result<VariantSpec, AppError> {
            Ok(VariantSpec {
                label: blank(&v.label).map(|l| l.trim().to_string()),
                subject: v.subject.clone(),
                body: v.body.clone(),
                html: blank(&v.html),
                weight: weight(j, &v.weight)?,
            })
        };
        if self.channel != "email" {
            return Ok(self.channel_spec(delay_days));
        }
        let mut st = StepSpec {
            channel: "email".into(),
            delay_days,
            business_days: self.business_days,
            template: blank(&self.template).map(|t| t.trim().to_string()),
            subject: blank(&self.subject),
            body: blank(&self.body),
            html: blank(&self.html),
            variants: Vec::new(),
            ..Default::default()
        };
        if self.ab {
            let a = VariantForm {
                label: self.a_label.clone(),
                subject: self.subject.clone(),
                body: self.body.clone(),
                html: self.html.clone(),
                weight: self.a_weight.clone(),
            };
            st.variants.push(variant(0, &a)?);
            st.variants.push(variant(1, &self.b)?);
            for (j, v) in self.more.iter().enumerate() {
                st.variants.push(variant(j + 2, v)?);
            }
            st.subject = None;
            st.body = None;
            st.html = None;
        }
        Ok(st)
    }
}

impl StepForm {
    /// A WhatsApp or SMS step: email-only fields typed before the channel was switched are
    /// left out rather than refused.
    fn channel_spec(&self, delay_days: u32) -> StepSpec {
        let split = |v: &str| -> (Option<String>, Option<String>) {
            match v.trim().rsplit_once('|') {
                Some((n, l)) if !n.trim().is_empty() => (
                    Some(n.trim().to_string()),
                    blank(l).map(|l| l.trim().to_string()),
                ),
                _ => (None, None),
            }
        };
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut st = StepSpec {
            channel: self.channel.clone(),
            delay_days,
            business_days: self.business_days,
            body: blank(&self.body),
            ..Default::default()
        };
        if self.channel == "whatsapp" {
            let (t, l) = split(&self.wa_template);
            if t.is_some() {
                st.template = t;
                st.language = l;
                st.params = list(&self.params);
                st.body = None;
            } else {
                let (ft, fl) = split(&self.fallback);
                st.fallback_template = ft;
                st.fallback_language = fl;
                st.fallback_params = list(&self.fallback_params);
            }
        }
        st
    }
}

/// An approved WhatsApp template the builder offers, as `name|language`.
pub struct WaChoice {
    pub value: String,
    pub label: String,
    pub variables: usize,
}

impl CampaignForm {
    fn fresh(time_zone: &str) -> CampaignForm {
        let s = ScheduleSpec::default();
        CampaignForm {
            timezone: if time_zone.trim().is_empty() {
                s.timezone
            } else {
                time_zone.to_string()
            },
            days: s.days,
            start: s.start,
            end: s.end,
            recipient_timezone: s.recipient_timezone,
            steps: vec![StepForm::new_step(true)],
            stop_on: vec!["reply".into(), "bounce".into(), "unsubscribe".into()],
            ..Default::default()
        }
    }

    fn of(s: &CampaignSpec) -> CampaignForm {
        CampaignForm {
            name: s.name.clone(),
            senders: s.senders.clone(),
            timezone: s.schedule.timezone.clone(),
            days: s.schedule.days.clone(),
            start: s.schedule.start.clone(),
            end: s.schedule.end.clone(),
            recipient_timezone: s.schedule.recipient_timezone,
            steps: s.steps.iter().map(StepForm::of).collect(),
            stop_on: s.stop_on.clone(),
            track_opens: s.track_opens,
            track_clicks: s.track_clicks,
            min_gap_seconds: s.min_gap_seconds.map(|g| g.to_string()).unwrap_or_default(),
            approval_required: s.approval_required,
            audience_tag: s.audience.tag.clone().unwrap_or_default(),
            audience_tier: s.audience.tier.clone().unwrap_or_default().to_uppercase(),
            audience_q: s.audience.q.clone().unwrap_or_default(),
            audience_country: s.audience.country.clone().unwrap_or_default(),
            audience_category: s.audience.category.clone().unwrap_or_default(),
        }
    }

    fn parse(f: &[(String, String)]) -> CampaignForm {
        let n: usize = form_value(f, "step_count").parse().unwrap_or(1);
        CampaignForm {
            name: text(f, "name"),
            senders: values(f, "senders"),
            timezone: text(f, "schedule.timezone"),
            days: values(f, "schedule.days"),
            start: text(f, "schedule.start"),
            end: text(f, "schedule.end"),
            recipient_timezone: ticked(f, "schedule.recipient_timezone"),
            steps: (0..n.min(MAX_STEPS + 1))
                .map(|i| StepForm::parse(f, i))
                .collect(),
            stop_on: values(f, "stop_on"),
            track_opens: ticked(f, "track_opens"),
            track_clicks: ticked(f, "track_clicks"),
            min_gap_seconds: text(f, "min_gap_seconds"),
            approval_required: ticked(f, "approval_required"),
            audience_tag: text(f, "audience.tag"),
            audience_tier: text(f, "audience.tier"),
            audience_q: text(f, "audience.q"),
            audience_country: text(f, "audience.country"),
            audience_category: text(f, "audience.category"),
        }
    }

    /// The `CampaignSpec` this form describes (the shape checks are the app's).
    fn spec(&self) -> Result<CampaignSpec, AppError> {
        let min_gap_seconds = match self.min_gap_seconds.trim() {
            "" => None,
            g => Some(g.parse::<u32>().map_err(|_| {
                AppError::invalid(
                    "min_gap_seconds",
                    "a whole number of seconds (0 sends at full speed)",
                )
            })?),
        };
        let opt = |s: &str| blank(s).map(|v| v.trim().to_string());
        Ok(CampaignSpec {
            name: self.name.trim().to_string(),
            senders: self.senders.clone(),
            schedule: ScheduleSpec {
                timezone: self.timezone.trim().to_string(),
                days: self.days.iter().map(|d| d.to_lowercase()).collect(),
                start: self.start.trim().to_string(),
                end: self.end.trim().to_string(),
                recipient_timezone: self.recipient_timezone,
            },
            steps: self
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| s.spec(i))
                .collect::<Result<_, _>>()?,
            stop_on: self.stop_on.clone(),
            track_opens: self.track_opens,
            track_clicks: self.track_clicks,
            min_gap_seconds,
            approval_required: self.approval_required,
            audience: AudienceSpec {
                tag: opt(&self.audience_tag),
                tier: opt(&self.audience_tier).map(|t| t.to_uppercase()),
                q: opt(&self.audience_q),
                country: opt(&self.audience_country),
                category: opt(&self.audience_category),
            },
        })
    }
}

/// The form field an app error names: variant A is the step's own subject and body; an
/// invalid zone is the zone field.
fn form_field(field: &str) -> String {
    if field == "schedule" {
        return "schedule.timezone".into();
    }
    field.replace(".variants[0].", ".")
}

/// A sender the builder offers.
pub struct SenderChoice {
    pub name: String,
    pub from_email: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct CampaignFormPage {
    shell: Shell,
    tab: &'static str,
    /// 0 for a new campaign.
    id: i64,
    title: String,
    /// Steps can be added and removed (a new campaign or a draft).
    can_change_steps: bool,
    v: CampaignForm,
    err_field: String,
    err_msg: String,
    senders: Vec<SenderChoice>,
    templates: Vec<String>,
    /// Approved WhatsApp templates; empty without a connection.
    wa_templates: Vec<WaChoice>,
    has_whatsapp: bool,
    has_sms: bool,
    tags: Vec<String>,
    days: &'static [(&'static str, &'static str)],
    zones: &'static [&'static str],
    stops: &'static [&'static str],
    max_steps: usize,
}

impl CampaignFormPage {
    fn err(&self, field: &str) -> &str {
        if self.err_field == field {
            &self.err_msg
        } else {
            ""
        }
    }

    fn step_err(&self, i: impl std::fmt::Display, k: &str) -> &str {
        self.err(&format!("steps[{i}].{k}"))
    }

    fn b_err(&self, i: impl std::fmt::Display, k: &str) -> &str {
        self.err(&format!("steps[{i}].variants[1].{k}"))
    }

    /// An error that names no field of the form, shown above it.
    fn general_error(&self) -> &str {
        const FIELDS: &[&str] = &[
            "name",
            "senders",
            "schedule.timezone",
            "schedule.days",
            "schedule.start",
            "schedule.end",
            "steps",
            "stop_on",
            "min_gap_seconds",
        ];
        let f = self.err_field.as_str();
        let on_step = (0..self.v.steps.len()).any(|i| {
            [
                "channel",
                "delay_days",
                "template",
                "language",
                "params",
                "fallback_template",
                "fallback_language",
                "fallback_params",
                "subject",
                "body",
            ]
            .iter()
            .any(|k| f == format!("steps[{i}].{k}"))
                || ["subject", "body"]
                    .iter()
                    .any(|k| f == format!("steps[{i}].variants[1].{k}"))
        });
        if FIELDS.contains(&f) || on_step {
            ""
        } else {
            &self.err_msg
        }
    }

    /// The error of a WhatsApp step's template or fallback field (the form shows one select
    /// for name and language, and one input for the parameters).
    fn wa_err(&self, i: impl std::fmt::Display + Copy, which: &str) -> &str {
        let keys: &[&str] = match which {
            "template" => &["template", "language"],
            "params" => &["params"],
            "fallback" => &["fallback_template", "fallback_language"],
            _ => &["fallback_params"],
        };
        keys.iter()
            .map(|k| self.step_err(i, k))
            .find(|e| !e.is_empty())
            .unwrap_or("")
    }

    fn sender_on(&self, name: &str) -> bool {
        self.v.senders.iter().any(|s| s.eq_ignore_ascii_case(name))
    }

    fn day_on(&self, d: &str) -> bool {
        self.v.days.iter().any(|x| x.eq_ignore_ascii_case(d))
    }

    fn stop_on(&self, s: &str) -> bool {
        self.v.stop_on.iter().any(|x| x == s)
    }

    fn has_template(&self, t: &str) -> bool {
        self.templates.iter().any(|x| x == t)
    }

    fn has_tag(&self, t: &str) -> bool {
        self.tags.iter().any(|x| x == t)
    }

    fn stop_label(&self, s: &str) -> &'static str {
        stop_label(s)
    }

    fn action(&self) -> String {
        if self.id > 0 {
            format!("/w/{}/campaigns/{}/edit", self.shell.slug, self.id)
        } else {
            format!("/w/{}/campaigns", self.shell.slug)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page<P: crate::auth::Perm>(
    s: &AppState,
    p: &Page<P>,
    id: i64,
    state: &str,
    v: CampaignForm,
    err: Option<(String, String)>,
    notice: Option<&str>,
) -> Result<CampaignFormPage, AppError> {
    let mut shell = Shell::for_page(&s.app, p, "campaigns").await?;
    if let Some(n) = notice {
        shell = shell.with_flash("info", n);
    }
    let senders = prospector_app::outreach::senders::list(&s.app, &p.ctx)
        .await?
        .into_iter()
        .map(|s| SenderChoice {
            name: s.name,
            from_email: s.from_email,
            state: s.state,
        })
        .collect();
    let templates = prospector_app::outreach::templates::list(&s.app, &p.ctx, None, None, 500)
        .await?
        .into_iter()
        .map(|t| t.f.name)
        .collect();
    let wa_templates = prospector_app::messaging::templates::list(&s.app, &p.ctx, None, None)
        .await?
        .into_iter()
        .filter(|t| t.sendable)
        .map(|t| WaChoice {
            value: format!("{}|{}", t.name, t.language),
            label: format!("{} ({}, {})", t.name, t.language, t.category.to_lowercase()),
            variables: t.variables.len(),
        })
        .collect();
    let has_whatsapp = prospector_app::messaging::connections::whatsapp(&s.app, &p.ctx)
        .await?
        .is_some();
    let has_sms = prospector_app::messaging::connections::sms(&s.app, &p.ctx)
        .await?
        .is_some();
    let tags = prospector_app::store::contacts::all_tags(s.app.db(), p.ctx.ws)
        .await
        .map_err(AppError::from)?;
    let (err_field, err_msg) = err.map(|(f, m)| (form_field(&f), m)).unwrap_or_default();
    Ok(CampaignFormPage {
        shell,
        tab: TAB_CAMPAIGNS,
        id,
        title: if id > 0 {
            format!("Edit {}", v.name)
        } else {
            "New campaign".into()
        },
        can_change_steps: id == 0 || state == "draft",
        v,
        err_field,
        err_msg,
        senders,
        templates,
        wa_templates,
        has_whatsapp,
        has_sms,
        tags,
        days: DAYS,
        zones: ZONES,
        stops: STOP_CONDITIONS,
        max_steps: MAX_STEPS,
    })
}

pub async fn new_form(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    let ws = prospector_app::workspaces::get(&s.app, &p.ctx).await?;
    let page = form_page(
        &s,
        &p,
        0,
        "",
        CampaignForm::fresh(&ws.time_zone),
        None,
        None,
    )
    .await?;
    Ok(render(&page))
}

/// What a builder submit asks for.
enum Op {
    Save,
    AddStep,
    RemoveStep(usize),
}

fn op_of(f: &[(String, String)]) -> Op {
    match form_value(f, "op") {
        "add_step" => Op::AddStep,
        o => match o.strip_prefix("remove:").and_then(|i| i.parse().ok()) {
            Some(i) => Op::RemoveStep(i),
            None => Op::Save,
        },
    }
}

/// Handle a builder submit for a new (`id` 0) or existing campaign.
async fn submit(
    s: &AppState,
    p: &Page<Write>,
    id: i64,
    state: &str,
    f: &[(String, String)],
) -> PageResult {
    let mut v = CampaignForm::parse(f);
    let can_change = id == 0 || state == "draft";
    match op_of(f) {
        Op::AddStep if can_change => {
            if v.steps.len() < MAX_STEPS {
                v.steps.push(StepForm::new_step(v.steps.is_empty()));
            }
            let page = form_page(s, p, id, state, v, None, None).await?;
            return Ok(render(&page));
        }
        Op::RemoveStep(i) if can_change => {
            if i < v.steps.len() {
                v.steps.remove(i);
            }
            let page = form_page(s, p, id, state, v, None, None).await?;
            return Ok(render(&page));
        }
        _ => {}
    }
    let result = match v.spec() {
        Ok(spec) if id == 0 => uc::create(&s.app, &p.ctx, &spec).await,
        Ok(spec) => uc::update(&s.app, &p.ctx, id, &spec).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Ok(back_to(
            &format!("/w/{}/campaigns/{}", p.ctx.slug, d.campaign.id),
            Some(if id == 0 {
                "Campaign created as a draft. Enroll contacts, then start it."
            } else {
                "Campaign saved."
            }),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let page = form_page(s, p, id, state, v, Some((field, msg)), None).await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

pub async fn create(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    submit(&s, &p, 0, "", &f).await
}

pub async fn edit_form(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let d = uc::get(&s.app, &p.ctx, id).await?;
    let spec = crate::api::campaigns::definition(&s.app, &p.ctx, &d).await?;
    let notice = (d.campaign.state != "draft").then_some(
        "This campaign has started: its texts, schedule and settings can change, but not the number of steps.",
    );
    let page = form_page(
        &s,
        &p,
        id,
        &d.campaign.state,
        CampaignForm::of(&spec),
        None,
        notice,
    )
    .await?;
    Ok(render(&page))
}

pub async fn update(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = id_of(&id)?;
    let c = uc::get(&s.app, &p.ctx, id).await?;
    submit(&s, &p, id, &c.campaign.state, &f).await
}

// ---------------------------------------------------------------------------------------------
// The campaign page

/// One row of the per-step and per-variant table.
pub struct StepRow {
    pub label: String,
    pub subject: String,
    pub sent: String,
    pub opened: String,
    pub opened_rate: String,
    pub clicked: String,
    pub clicked_rate: String,
    pub replied: String,
    pub replied_rate: String,
    pub bounced: String,
    pub bounced_rate: String,
}

fn step_row(label: String, subject: String, n: &Engagements) -> StepRow {
    StepRow {
        label,
        subject,
        sent: thousands(n.sent),
        opened: thousands(n.opened),
        opened_rate: rate(n.opened, n.sent),
        clicked: thousands(n.clicked),
        clicked_rate: rate(n.clicked, n.sent),
        replied: thousands(n.replied),
        replied_rate: rate(n.replied, n.sent),
        bounced: thousands(n.bounced),
        bounced_rate: rate(n.bounced, n.sent),
    }
}

/// A line of the definition summary.
pub struct Line {
    pub label: &'static str,
    pub value: String,
}

/// A message in a table of the campaign page.
pub struct MessageRow {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub step: String,
    pub status: String,
    pub attempts: i64,
    /// When it was sent, or is due.
    pub at: i64,
    pub at_label: &'static str,
    pub opened: bool,
    pub clicked: bool,
    pub replied: bool,
    pub bounced: bool,
    pub error: String,
}

/// "Step 2 · B" labels by (step id, variant id).
pub(super) struct StepLabels {
    steps: HashMap<i64, (i64, HashMap<i64, String>)>,
}

impl StepLabels {
    pub(super) fn of(d: &CampaignDetail) -> StepLabels {
        StepLabels {
            steps: d
                .steps
                .iter()
                .map(|s| {
                    (
                        s.id,
                        (
                            s.position,
                            s.variants
                                .iter()
                                .map(|v| (v.id, v.f.label.clone()))
                                .collect(),
                        ),
                    )
                })
                .collect(),
        }
    }

    /// No campaign known (its messages are labelled by what they are).
    pub(super) fn empty() -> StepLabels {
        StepLabels {
            steps: HashMap::new(),
        }
    }

    pub(super) fn label(&self, step: Option<i64>, variant: Option<i64>) -> String {
        let Some(step) = step else {
            return "Test send".into();
        };
        match self.steps.get(&step) {
            Some((pos, variants)) => match variant.and_then(|v| variants.get(&v)) {
                Some(l) => format!("Step {} · {l}", pos + 1),
                None => format!("Step {}", pos + 1),
            },
            None => "Step".into(),
        }
    }
}

pub(super) fn message_row(m: &Message, labels: &StepLabels) -> MessageRow {
    let (at, at_label) = match m.sent_at {
        Some(t) => (t, "sent"),
        None => (m.scheduled_at, "due"),
    };
    // WhatsApp and SMS have no subject: their channel and what they carry stand in.
    let subject = match m.channel.as_str() {
        "email" => m.subject.clone().unwrap_or_default(),
        channel => {
            let what = m
                .subject
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| {
                    let t: String = m.body_text.chars().take(60).collect();
                    if m.body_text.chars().count() > 60 {
                        format!("{t}…")
                    } else {
                        t
                    }
                });
            let name = if channel == "sms" { "SMS" } else { "WhatsApp" };
            if what.is_empty() {
                name.to_string()
            } else {
                format!("{name}: {what}")
            }
        }
    };
    MessageRow {
        id: m.id,
        to: if m.to_address.is_empty() {
            "—".into()
        } else {
            m.to_address.clone()
        },
        subject,
        step: labels.label(m.step_id, m.variant_id),
        status: m.status.clone(),
        attempts: m.attempts,
        at,
        at_label,
        opened: m.opened_at.is_some(),
        clicked: m.clicked_at.is_some(),
        replied: m.replied_at.is_some(),
        bounced: m.bounced_at.is_some(),
        error: m.error.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    shell: Shell,
    tab: &'static str,
    id: i64,
    name: String,
    state: String,
    state_reason: String,
    /// Counts change on their own: poll them.
    live: bool,
    stats: Vec<Stat>,
    step_rows: Vec<StepRow>,
    track_opens: bool,
    track_clicks: bool,
    summary: Vec<Line>,
    senders: Vec<SenderChoice>,
    steps: Vec<String>,
    pending: Vec<MessageRow>,
    pending_total: i64,
    messages: Vec<MessageRow>,
    status_filter: String,
    statuses: &'static [&'static str],
    next: String,
    first: String,
    tags: Vec<String>,
    me: String,
    can_enroll: bool,
}

impl Times for CampaignPage {}

impl CampaignPage {
    fn pending_more(&self) -> bool {
        self.pending_total > self.pending.len() as i64
    }
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    status: Option<String>,
    before: Option<String>,
}

fn schedule_text(s: &ScheduleSpec) -> String {
    let days: Vec<&str> = DAYS
        .iter()
        .filter(|(k, _)| s.days.iter().any(|d| d.eq_ignore_ascii_case(k)))
        .map(|(_, l)| *l)
        .collect();
    format!(
        "{}, {}–{} {}{}",
        days.join(" "),
        s.start,
        s.end,
        s.timezone,
        if s.recipient_timezone {
            " (the recipient's time zone when known)"
        } else {
            ""
        }
    )
}

fn summary_of(spec: &CampaignSpec) -> Vec<Line> {
    let tracking = match (spec.track_opens, spec.track_clicks) {
        (true, true) => "opens and clicks",
        (true, false) => "opens",
        (false, true) => "clicks",
        (false, false) => "off",
    };
    let gap = match spec.min_gap_seconds.unwrap_or(0) {
        0 => "none (full speed)".to_string(),
        g => format!("{g} s between two sends of a sender, plus up to 50% jitter"),
    };
    let mut audience = Vec::new();
    if let Some(t) = &spec.audience.tag {
        audience.push(format!("tag “{t}”"));
    }
    if let Some(t) = &spec.audience.tier {
        audience.push(format!("tier {t}"));
    }
    if let Some(q) = &spec.audience.q {
        audience.push(format!("matching “{q}”"));
    }
    vec![
        Line {
            label: "Schedule",
            value: schedule_text(&spec.schedule),
        },
        Line {
            label: "Stops on",
            value: if spec.stop_on.is_empty() {
                "nothing (every step is sent)".into()
            } else {
                spec.stop_on
                    .iter()
                    .map(|s| stop_label(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        },
        Line {
            label: "Tracking",
            value: tracking.into(),
        },
        Line {
            label: "Gap",
            value: gap,
        },
        Line {
            label: "Approval",
            value: if spec.approval_required {
                "every message is reviewed before it is queued".into()
            } else {
                "not required".into()
            },
        },
        Line {
            label: "Audience",
            value: if audience.is_empty() {
                "chosen when enrolling".into()
            } else {
                audience.join(", ")
            },
        },
    ]
}

fn step_lines(spec: &CampaignSpec) -> Vec<String> {
    spec.steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let when = if i == 0 {
                if st.delay_days == 0 {
                    "on enrollment".to_string()
                } else {
                    format!("{} days after enrollment", st.delay_days)
                }
            } else {
                format!(
                    "{} {}days later",
                    st.delay_days,
                    if st.business_days { "business " } else { "" }
                )
            };
            let short = |b: &str| {
                let t: String = b.chars().take(60).collect();
                if b.chars().count() > 60 {
                    format!("{t}…")
                } else {
                    t
                }
            };
            let what = if st.channel == "whatsapp" {
                match (&st.template, &st.body) {
                    (Some(t), _) => format!(
                        "WhatsApp template “{t}” ({})",
                        st.language.as_deref().unwrap_or("?")
                    ),
                    (None, Some(b)) => format!(
                        "WhatsApp text “{}”{}",
                        short(b),
                        st.fallback_template
                            .as_deref()
                            .map(|f| format!(", outside the window template “{f}”"))
                            .unwrap_or_else(|| ", skipped outside the window".into())
                    ),
                    _ => "WhatsApp".into(),
                }
            } else if st.channel == "sms" {
                format!("SMS “{}”", short(st.body.as_deref().unwrap_or_default()))
            } else if !st.variants.is_empty() {
                st.variants
                    .iter()
                    .map(|v| format!("{}: “{}”", v.label.as_deref().unwrap_or("?"), v.subject))
                    .collect::<Vec<_>>()
                    .join(" / ")
            } else if let Some(t) = &st.template {
                format!("template “{t}”")
            } else {
                format!("“{}”", st.subject.as_deref().unwrap_or_default())
            };
            format!("Step {} · {when} · {what}", i + 1)
        })
        .collect()
}

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ShowParams>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = id_of(&id)?;
    let view = uc::view(&s.app, &p.ctx, id).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "campaigns").await?, &n);
    let spec = crate::api::campaigns::definition(&s.app, &p.ctx, &view.detail).await?;
    let labels = StepLabels::of(&view.detail);
    let c = &view.detail.campaign;
    let m = &view.status.messages;
    let e = &view.status.engagement;
    let en = &view.status.enrollments;
    let mut stats = vec![
        stat("enrolled", "Enrolled", en.values().sum()),
        stat("active", "In sequence", count(en, "active")),
        stat("queued", "Queued", count(m, "queued") + count(m, "sending")),
        stat("sent", "Sent", count(m, "sent")),
        stat("failed", "Failed", count(m, "failed")),
        stat("uncertain", "Uncertain", count(m, "uncertain")),
        stat("replied", "Replies", e.replied),
        stat("bounced", "Bounced", e.bounced),
        stat("unsubscribed", "Unsubscribed", e.unsubscribed),
    ];
    if c.f.approval_required || count(m, "pending_approval") > 0 {
        stats.insert(
            2,
            stat(
                "pending_approval",
                "To review",
                count(m, "pending_approval"),
            ),
        );
    }
    if e.auto_replied > 0 {
        stats.push(stat("auto_replied", "Auto-replies", e.auto_replied));
    }
    if e.soft_bounced > 0 {
        stats.push(stat("soft_bounced", "Soft bounces", e.soft_bounced));
    }
    if c.f.track_opens {
        stats.push(stat("opened", "Opened", e.opened));
    }
    if c.f.track_clicks {
        stats.push(stat("clicked", "Clicked", e.clicked));
    }
    // Per step and variant, every step listed even before it sent anything.
    let by_key: HashMap<(Option<i64>, Option<i64>), Engagements> = view
        .steps
        .iter()
        .map(|r| ((r.step_id, r.variant_id), r.n))
        .collect();
    let zero = Engagements::default();
    let mut step_rows = Vec::new();
    for (i, st) in view.detail.steps.iter().enumerate() {
        let spec_step = spec.steps.get(i);
        if st.variants.is_empty() {
            let subject = spec_step
                .and_then(|x| {
                    let short = |b: &String| {
                        let t: String = b.chars().take(60).collect();
                        if b.chars().count() > 60 {
                            format!("{t}…")
                        } else {
                            t
                        }
                    };
                    match x.channel.as_str() {
                        "email" => x
                            .subject
                            .clone()
                            .or_else(|| x.template.as_ref().map(|t| format!("template “{t}”"))),
                        "whatsapp" => x
                            .template
                            .as_ref()
                            .map(|t| format!("WhatsApp template “{t}”"))
                            .or_else(|| x.body.as_ref().map(|b| format!("WhatsApp: {}", short(b)))),
                        _ => x.body.as_ref().map(|b| format!("SMS: {}", short(b))),
                    }
                })
                .unwrap_or_default();
            let n = by_key.get(&(Some(st.id), None)).unwrap_or(&zero);
            step_rows.push(step_row(format!("Step {}", i + 1), subject, n));
        } else {
            for v in &st.variants {
                let n = by_key.get(&(Some(st.id), Some(v.id))).unwrap_or(&zero);
                step_rows.push(step_row(
                    format!("Step {} · {}", i + 1, v.f.label),
                    v.f.subject.clone().unwrap_or_default(),
                    n,
                ));
            }
        }
    }
    let status_filter = q
        .status
        .as_deref()
        .map(str::trim)
        .filter(|x| STATUSES.contains(x))
        .unwrap_or("")
        .to_string();
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok());
    let rows = uc::messages_of(
        &s.app,
        &p.ctx,
        id,
        (!status_filter.is_empty()).then_some(status_filter.as_str()),
        before,
        PAGE_SIZE,
    )
    .await?;
    let base = format!("/w/{}/campaigns/{id}", p.ctx.slug);
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !status_filter.is_empty() {
        pairs.push(("status", status_filter.clone()));
    }
    let next = if rows.len() as i64 == PAGE_SIZE {
        let mut np = pairs.clone();
        np.push(("before", rows.last().map(|r| r.id).unwrap_or(0).to_string()));
        format!("{}#messages", with_query(&base, &np))
    } else {
        String::new()
    };
    let first = if before.is_some() {
        format!("{}#messages", with_query(&base, &pairs))
    } else {
        String::new()
    };
    let pending_total = count(m, "pending_approval");
    let pending = if pending_total > 0 {
        uc::messages_of(&s.app, &p.ctx, id, Some("pending_approval"), None, 100)
            .await?
            .iter()
            .map(|m| message_row(m, &labels))
            .collect()
    } else {
        Vec::new()
    };
    let tags = prospector_app::store::contacts::all_tags(s.app.db(), p.ctx.ws)
        .await
        .map_err(AppError::from)?;
    let live =
        c.state == "active" || count(m, "queued") + count(m, "sending") > 0 && c.state != "stopped";
    Ok(render(&CampaignPage {
        tab: TAB_CAMPAIGNS,
        id,
        name: c.f.name.clone(),
        state: c.state.clone(),
        state_reason: c.state_reason.clone().unwrap_or_default(),
        live,
        stats,
        step_rows,
        track_opens: c.f.track_opens,
        track_clicks: c.f.track_clicks,
        summary: summary_of(&spec),
        senders: view
            .detail
            .senders
            .iter()
            .map(|s| SenderChoice {
                name: s.f.name.clone(),
                from_email: s.f.from_email.clone(),
                state: s.state.clone(),
            })
            .collect(),
        steps: step_lines(&spec),
        pending,
        pending_total,
        messages: rows.iter().map(|m| message_row(m, &labels)).collect(),
        status_filter,
        statuses: STATUSES,
        next,
        first,
        tags,
        me: shell.user_email.clone(),
        can_enroll: c.state != "stopped" && c.state != "completed",
        shell,
    }))
}

// ---------------------------------------------------------------------------------------------
// Actions

fn campaign_path(p: &Page<Write>, id: i64) -> String {
    format!("/w/{}/campaigns/{id}", p.ctx.slug)
}

async fn transition(s: &AppState, p: &Page<Write>, id: &str, what: &str) -> PageResult {
    let id = id_of(id)?;
    let path = campaign_path(p, id);
    let r = match what {
        "start" => uc::start(&s.app, &p.ctx, id).await,
        "pause" => uc::pause(&s.app, &p.ctx, id).await,
        "resume" => uc::resume(&s.app, &p.ctx, id).await,
        _ => uc::stop(&s.app, &p.ctx, id).await,
    };
    match r {
        Ok(c) => {
            let msg = match c.state.as_str() {
                "active" if what == "start" => {
                    "Campaign started: due messages are queued and sent within the schedule."
                }
                "active" => "Campaign resumed.",
                "paused" => "Campaign paused: nothing is sent until you resume it.",
                _ => "Campaign stopped: waiting messages were cancelled.",
            };
            Ok(back_to(&path, Some(msg)))
        }
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn start(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    transition(&s, &p, &id, "start").await
}

pub async fn pause(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    transition(&s, &p, &id, "pause").await
}

pub async fn resume(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    transition(&s, &p, &id, "resume").await
}

pub async fn stop(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    transition(&s, &p, &id, "stop").await
}

pub async fn delete(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    uc::get(&s.app, &p.ctx, id).await?;
    match uc::delete(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(back_to(
            &format!("/w/{}/campaigns", p.ctx.slug),
            Some("Draft campaign deleted."),
        )),
        Err(e) => Ok(redirect_error(&campaign_path(&p, id), e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrollForm {
    mode: String,
    tag: String,
}

pub async fn enroll(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<EnrollForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = campaign_path(&p, id);
    let input = match f.mode.as_str() {
        "tag" if f.tag.trim().is_empty() => {
            return Ok(redirect_error(
                &path,
                AppError::invalid("tag", "choose the tag of the contacts to enroll"),
            ));
        }
        "tag" => EnrollInput {
            tag: Some(f.tag.trim().to_string()),
            ..Default::default()
        },
        "audience" => EnrollInput {
            audience: true,
            ..Default::default()
        },
        _ => EnrollInput {
            all: true,
            ..Default::default()
        },
    };
    match uc::enroll(&s.app, &p.ctx, id, &input).await {
        Ok(r) => {
            let mut msg = format!(
                "Enrolled {} contact{}.",
                thousands(r.enrolled as i64),
                if r.enrolled == 1 { "" } else { "s" }
            );
            if r.already_enrolled > 0 {
                msg.push_str(&format!(" {} were enrolled before.", r.already_enrolled));
            }
            if r.skipped > 0 {
                let why: Vec<String> = r
                    .skipped_reasons
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                msg.push_str(&format!(" Skipped {}: {}.", r.skipped, why.join(", ")));
            }
            Ok(back_to(&path, Some(&msg)))
        }
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn review(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("{}#approval", campaign_path(&p, id));
    let op = form_value(&f, "op");
    let action = if op.starts_with("reject") {
        Review::Reject
    } else {
        Review::Approve
    };
    let ids: Vec<i64> = if op.ends_with("_all") {
        Vec::new()
    } else {
        let ids: Vec<i64> = f
            .iter()
            .filter(|(k, _)| k == "id")
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        if ids.is_empty() {
            return Ok(redirect_error(
                &campaign_path(&p, id),
                AppError::invalid("ids", "tick at least one message, or use “all”"),
            ));
        }
        ids
    };
    match uc::review(&s.app, &p.ctx, id, action, &ids).await {
        Ok(n) => {
            let verb = match action {
                Review::Approve => "approved and queued",
                Review::Reject => "rejected",
            };
            let msg = format!("{n} message{} {verb}.", if n == 1 { "" } else { "s" });
            Ok(back_to(&path, Some(&msg)))
        }
        Err(e) => Ok(redirect_error(&campaign_path(&p, id), e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    step: String,
    to: String,
    contact_id: String,
}

pub async fn test_send(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<TestForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = campaign_path(&p, id);
    uc::get(&s.app, &p.ctx, id).await?;
    let step = f.step.trim().parse::<usize>().unwrap_or(1).max(1) - 1;
    let contact = match f.contact_id.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(n) => Some(ContactId(n)),
            Err(_) => {
                return Ok(redirect_error(
                    &path,
                    AppError::invalid("contact_id", "a contact id is a number"),
                ));
            }
        },
    };
    match uc::test_send(&s.app, &p.ctx, id, step, &f.to, contact).await {
        Ok(m) => Ok(back_to(
            &format!("/w/{}/messages/{}", p.ctx.slug, m.id),
            Some(&format!(
                "Test message queued to {}; it goes out in a moment.",
                m.to_address
            )),
        )),
        Err(AppError::NotFound) => Ok(redirect_error(
            &path,
            AppError::invalid("contact_id", "there is no contact with this id"),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}
