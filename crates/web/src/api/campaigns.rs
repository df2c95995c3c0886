//! Outreach campaigns: create from the same JSON the CLI's `campaign create --file` reads,
//! read it back in that shape, change it, delete a draft; start, pause, resume and stop;
//! enroll contacts; counts by status (the JSON of `campaign status --json`); its messages;
//! the approval queue; and a test send to yourself.

use super::Page;
use super::json::{ApiJson, ApiQuery};
use super::messages::{Cursor, MessageOut, page_of};
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::campaigns::{self as uc, EnrollInput, EnrollOut, Review, StatusOut};
use prospector_app::outreach::spec::{
    AudienceSpec, CampaignSpec, ChannelConfig, ScheduleSpec, StepSpec, VariantSpec,
};
use prospector_app::store::campaigns::{Campaign, CampaignDetail, CampaignSummary};
use prospector_app::{App, AppResult, WsCtx};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// A campaign's definition in the shape `POST /campaigns` takes, rebuilt from what is stored.
pub async fn definition(app: &App, ctx: &WsCtx, d: &CampaignDetail) -> AppResult<CampaignSpec> {
    let c = &d.campaign.f;
    let mut template_names: HashMap<i64, String> = HashMap::new();
    for id in d.steps.iter().filter_map(|s| s.f.template_id) {
        if let std::collections::hash_map::Entry::Vacant(e) = template_names.entry(id) {
            let t = prospector_app::outreach::templates::get(app, ctx, id).await?;
            e.insert(t.f.name);
        }
    }
    let u32_of = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    Ok(CampaignSpec {
        name: c.name.clone(),
        senders: d.senders.iter().map(|s| s.f.name.clone()).collect(),
        schedule: serde_json::from_str::<ScheduleSpec>(&c.schedule).unwrap_or_default(),
        steps: d
            .steps
            .iter()
            .map(|s| {
                let cc = ChannelConfig::parse(&s.f.channel_config);
                StepSpec {
                    channel: s.f.channel.clone(),
                    delay_days: u32_of(s.f.delay_days),
                    business_days: s.f.business_days,
                    template: s
                        .f
                        .template_id
                        .and_then(|id| template_names.get(&id).cloned())
                        .or(cc.template),
                    language: cc.language,
                    params: cc.params,
                    fallback_template: cc.fallback_template,
                    fallback_language: cc.fallback_language,
                    fallback_params: cc.fallback_params,
                    subject: s.f.subject.clone(),
                    body: s.f.body_text.clone(),
                    html: s.f.body_html.clone(),
                    variants: s
                        .variants
                        .iter()
                        .map(|v| VariantSpec {
                            label: Some(v.f.label.clone()),
                            subject: v.f.subject.clone().unwrap_or_default(),
                            body: v.f.body_text.clone().unwrap_or_default(),
                            html: v.f.body_html.clone(),
                            weight: u32_of(v.f.weight),
                        })
                        .collect(),
                }
            })
            .collect(),
        stop_on: serde_json::from_str(&c.stop_on).unwrap_or_default(),
        track_opens: c.track_opens,
        track_clicks: c.track_clicks,
        min_gap_seconds: Some(u32_of(c.min_gap_seconds)),
        approval_required: c.approval_required,
        audience: serde_json::from_str::<AudienceSpec>(&c.audience).unwrap_or_default(),
    })
}

/// A sender a campaign rotates over.
#[derive(Serialize, ToSchema)]
pub struct CampaignSender {
    pub id: i64,
    pub name: String,
    pub from_email: String,
    /// active or paused.
    pub state: String,
}

/// The stored ids of a step and its variants (per-variant stats name them).
#[derive(Serialize, ToSchema)]
pub struct StepRef {
    pub id: i64,
    /// 0-based.
    pub position: i64,
    pub variants: Vec<VariantRef>,
}

#[derive(Serialize, ToSchema)]
pub struct VariantRef {
    pub id: i64,
    pub label: String,
}

/// A campaign: its state and its definition in the shape `POST /campaigns` takes.
#[derive(Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: i64,
    pub name: String,
    /// draft, active, paused, stopped or completed.
    pub state: String,
    /// Why it was paused or stopped.
    pub state_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    /// The definition; send it back (changed) with `PUT /campaigns/{campaign_id}`.
    pub spec: CampaignSpec,
    pub senders: Vec<CampaignSender>,
    pub steps: Vec<StepRef>,
}

pub(crate) async fn campaign_out(
    app: &App,
    ctx: &WsCtx,
    d: CampaignDetail,
) -> AppResult<CampaignOut> {
    let spec = definition(app, ctx, &d).await?;
    let c = d.campaign;
    Ok(CampaignOut {
        id: c.id,
        name: c.f.name,
        state: c.state,
        state_reason: c.state_reason,
        created_at: c.created_at,
        updated_at: c.updated_at,
        started_at: c.started_at,
        spec,
        senders: d
            .senders
            .into_iter()
            .map(|s| CampaignSender {
                id: s.id,
                name: s.f.name,
                from_email: s.f.from_email,
                state: s.state,
            })
            .collect(),
        steps: d
            .steps
            .into_iter()
            .map(|s| StepRef {
                id: s.id,
                position: s.position,
                variants: s
                    .variants
                    .into_iter()
                    .map(|v| VariantRef {
                        id: v.id,
                        label: v.f.label,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// A campaign in a list, with its counts.
#[derive(Serialize, ToSchema)]
pub struct CampaignSummaryOut {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub approval_required: bool,
    pub created_at: i64,
    pub started_at: Option<i64>,
    /// Messages by status.
    pub messages: BTreeMap<String, i64>,
    /// Enrollments by state.
    pub enrollments: BTreeMap<String, i64>,
}

impl From<CampaignSummary> for CampaignSummaryOut {
    fn from(s: CampaignSummary) -> Self {
        let c = s.campaign;
        CampaignSummaryOut {
            id: c.id,
            name: c.f.name,
            state: c.state,
            state_reason: c.state_reason,
            track_opens: c.f.track_opens,
            track_clicks: c.f.track_clicks,
            approval_required: c.f.approval_required,
            created_at: c.created_at,
            started_at: c.started_at,
            messages: s.messages,
            enrollments: s.enrollments,
        }
    }
}

/// A campaign's state after a start, pause, resume or stop.
#[derive(Serialize, ToSchema)]
pub struct CampaignState {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub started_at: Option<i64>,
}

impl From<Campaign> for CampaignState {
    fn from(c: Campaign) -> Self {
        CampaignState {
            id: c.id,
            name: c.f.name,
            state: c.state,
            state_reason: c.state_reason,
            started_at: c.started_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignFilter {
    /// draft, active, paused, stopped or completed.
    pub state: Option<String>,
    /// Part of the campaign's name (case-insensitive).
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignFilter, Cursor),
    responses((status = 200, body = Page<CampaignSummaryOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(f): ApiQuery<CampaignFilter>,
    ApiQuery(p): ApiQuery<Cursor>,
) -> Result<Json<Page<CampaignSummaryOut>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let state = f.state.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let search = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = uc::list(&s.app, &api.ctx, state, search, p.before, limit).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|c| c.campaign.id)
    } else {
        None
    };
    Ok(Json(Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignSpec,
    responses((status = 201, body = CampaignOut), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(spec): ApiJson<CampaignSpec>,
) -> Result<(StatusCode, Json<CampaignOut>), ApiError> {
    let d = uc::create(&s.app, &api.ctx, &spec).await?;
    Ok((
        StatusCode::CREATED,
        Json(campaign_out(&s.app, &api.ctx, d).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<CampaignOut>, ApiError> {
    let d = uc::get(&s.app, &api.ctx, id).await?;
    Ok(Json(campaign_out(&s.app, &api.ctx, d).await?))
}

#[utoipa::path(put, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    params(("campaign_id" = i64, Path)), request_body = CampaignSpec,
    responses((status = 200, body = CampaignOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(spec): ApiJson<CampaignSpec>,
) -> Result<Json<CampaignOut>, ApiError> {
    let d = uc::update(&s.app, &api.ctx, id, &spec).await?;
    Ok(Json(campaign_out(&s.app, &api.ctx, d).await?))
}

#[utoipa::path(delete, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    uc::get(&s.app, &api.ctx, id).await?;
    uc::delete(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/start", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignState), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignState>, ApiError> {
    Ok(Json(uc::start(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/pause", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignState), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pause(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignState>, ApiError> {
    Ok(Json(uc::pause(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/resume", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignState), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignState>, ApiError> {
    Ok(Json(uc::resume(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/stop", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignState), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignState>, ApiError> {
    Ok(Json(uc::stop(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/enroll", tag = "campaigns",
    params(("campaign_id" = i64, Path)), request_body = EnrollInput,
    responses((status = 200, body = EnrollOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enroll(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<EnrollInput>,
) -> Result<Json<EnrollOut>, ApiError> {
    Ok(Json(uc::enroll(&s.app, &api.ctx, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/status", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = StatusOut), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<StatusOut>, ApiError> {
    Ok(Json(uc::status(&s.app, &api.ctx, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageFilter {
    /// pending_approval, queued, sending, sent, failed, uncertain, rejected or cancelled.
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/messages", tag = "campaigns",
    params(("campaign_id" = i64, Path), MessageFilter, Cursor),
    responses((status = 200, body = Page<MessageOut>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn messages(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
    ApiQuery(f): ApiQuery<MessageFilter>,
    ApiQuery(p): ApiQuery<Cursor>,
) -> Result<Json<Page<MessageOut>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let status = f.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = uc::messages_of(&s.app, &api.ctx, id, status, p.before, limit).await?;
    Ok(Json(page_of(rows, limit)))
}

/// Approve or reject messages waiting for review.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub action: Review,
    /// The messages; empty or left out: every message of the campaign waiting for review.
    #[serde(default)]
    pub ids: Vec<i64>,
}

/// What a review did.
#[derive(Serialize, ToSchema)]
pub struct Reviewed {
    pub changed: usize,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/review", tag = "campaigns",
    params(("campaign_id" = i64, Path)), request_body = ReviewInput,
    responses((status = 200, body = Reviewed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ReviewInput>,
) -> Result<Json<Reviewed>, ApiError> {
    let changed = uc::review(&s.app, &api.ctx, id, r.action, &r.ids).await?;
    Ok(Json(Reviewed { changed }))
}

/// Send one step to yourself, now.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSendInput {
    /// 0-based step.
    #[serde(default)]
    pub step: usize,
    /// Where to send it.
    #[schema(example = "me@example.com")]
    pub to: String,
    /// Render for this contact; without it, sample values are used.
    #[serde(default)]
    pub contact_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/test", tag = "campaigns",
    params(("campaign_id" = i64, Path)), request_body = TestSendInput,
    responses((status = 202, body = MessageOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_send(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(t): ApiJson<TestSendInput>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    uc::get(&s.app, &api.ctx, id).await?;
    let m = uc::test_send(
        &s.app,
        &api.ctx,
        id,
        t.step,
        &t.to,
        t.contact_id.map(ContactId),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}
