//! Website scans and their facts: queue a scan (one company or a selection), read a scan's
//! state, read a company's facts (current or an older version), turn a found email or phone
//! into a contact, and verify a contact's email address.

use super::contacts::ContactOut;
use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::contacts::Selection;
use prospector_app::core::ids::{CompanyId, ContactId};
use prospector_app::scans::{self as uc, ScanSummary};
use prospector_app::store::facts::{Fact, Scan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ScanOut {
    pub id: i64,
    pub company_id: i64,
    pub url: String,
    /// queued, running, done or failed.
    pub state: String,
    pub error: Option<String>,
    pub pages: i64,
    /// Website quality 0-100 (higher = better website).
    pub website_score: Option<i64>,
    pub job_id: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl From<Scan> for ScanOut {
    fn from(s: Scan) -> Self {
        ScanOut {
            id: s.id,
            company_id: s.company_id,
            url: s.url,
            state: s.state,
            error: s.error,
            pages: s.pages,
            website_score: s.website_score,
            job_id: s.job_id,
            created_at: s.created_at,
            started_at: s.started_at,
            finished_at: s.finished_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FactOut {
    pub id: i64,
    pub company_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub scan_id: Option<i64>,
    /// email, phone, social, tech, contact_form, structured, website_score, tls,
    /// performance, mobile, meta or email_verification.
    pub kind: String,
    pub value: String,
    /// Details (JSON object).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The page it came from.
    pub source_url: Option<String>,
    pub confidence: f64,
    pub seen_at: i64,
}

impl From<Fact> for FactOut {
    fn from(f: Fact) -> Self {
        FactOut {
            id: f.id,
            company_id: f.company_id,
            contact_id: f.contact_id,
            scan_id: f.scan_id,
            kind: f.kind,
            value: f.value,
            data: serde_json::from_str(&f.data).unwrap_or_default(),
            source_url: f.source_url,
            confidence: f.confidence,
            seen_at: f.seen_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ScanQueued {
    pub scan: ScanOut,
    /// False when a scan of this company was already queued or running (that one is returned).
    pub created: bool,
}

#[utoipa::path(post, path = "/api/v1/companies/{company_id}/scan", tag = "scans",
    params(("company_id" = i64, Path)),
    responses((status = 202, body = ScanQueued), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn scan_company(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<ScanQueued>), ApiError> {
    let (scan, created) = uc::scan_company(&s.app, &api.ctx, CompanyId(id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ScanQueued {
            scan: scan.into(),
            created,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/companies/scan", tag = "scans", request_body = Selection,
    responses((status = 202, body = ScanSummary), (status = 422, body = ErrorBody)))]
pub async fn scan_companies(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(sel): ApiJson<Selection>,
) -> Result<(StatusCode, Json<ScanSummary>), ApiError> {
    let out = uc::scan_companies(&s.app, &api.ctx, &sel).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/scans/{scan_id}", tag = "scans",
    params(("scan_id" = i64, Path)),
    responses((status = 200, body = ScanOut), (status = 404, body = ErrorBody)))]
pub async fn get_scan(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<ScanOut>, ApiError> {
    Ok(Json(uc::scan(&s.app, &api.ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FactsParams {
    /// An older scan of this company (a version); default: the latest done scan.
    pub scan_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyFactsOut {
    /// The scan these facts come from; absent before the first successful scan.
    pub scan: Option<ScanOut>,
    pub facts: Vec<FactOut>,
    /// Every scan of the company, newest first (the versions).
    pub scans: Vec<ScanOut>,
}

#[utoipa::path(get, path = "/api/v1/companies/{company_id}/facts", tag = "scans",
    params(("company_id" = i64, Path), FactsParams),
    responses((status = 200, body = CompanyFactsOut), (status = 404, body = ErrorBody)))]
pub async fn company_facts(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
    ApiQuery(p): ApiQuery<FactsParams>,
) -> Result<Json<CompanyFactsOut>, ApiError> {
    let f = uc::company_facts(&s.app, &api.ctx, CompanyId(id), p.scan_id).await?;
    Ok(Json(CompanyFactsOut {
        scan: f.shown.map(Into::into),
        facts: f.facts.into_iter().map(Into::into).collect(),
        scans: f.scans.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PromotedOut {
    pub contact: ContactOut,
    /// False when a contact with this email (or this phone at the company) already existed.
    pub created: bool,
}

#[utoipa::path(post, path = "/api/v1/facts/{fact_id}/promote", tag = "scans",
    params(("fact_id" = i64, Path)),
    responses((status = 201, body = PromotedOut), (status = 200, body = PromotedOut),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn promote(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<PromotedOut>), ApiError> {
    let p = uc::promote_fact(&s.app, &api.ctx, id).await?;
    let status = if p.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(PromotedOut {
            contact: p.contact.into(),
            created: p.created,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/contacts/{contact_id}/verify-email", tag = "scans",
    params(("contact_id" = i64, Path)),
    responses((status = 201, body = FactOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify_email(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<FactOut>), ApiError> {
    let f = uc::verify_contact_email(&s.app, &api.ctx, ContactId(id), false).await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

#[utoipa::path(post, path = "/api/v1/contacts/verify-emails", tag = "scans", request_body = Selection,
    responses((status = 202, body = uc::VerifyQueued), (status = 422, body = ErrorBody)))]
pub async fn verify_emails(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(sel): ApiJson<Selection>,
) -> Result<(StatusCode, Json<uc::VerifyQueued>), ApiError> {
    let out = uc::verify_contacts(&s.app, &api.ctx, &sel, false).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/settings/scanning", tag = "scans",
    responses((status = 200, body = uc::ScanSettings)))]
pub async fn get_scan_settings(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<uc::ScanSettings>, ApiError> {
    Ok(Json(uc::scan_settings(&s.app, &api.ctx).await?))
}

/// The scan settings; omitted fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanSettingsUpdate {
    pub auto_scan_after_import: Option<bool>,
    pub auto_verify_after_import: Option<bool>,
    pub auto_promote: Option<bool>,
}

#[utoipa::path(put, path = "/api/v1/settings/scanning", tag = "scans",
    request_body = ScanSettingsUpdate,
    responses((status = 200, body = uc::ScanSettings), (status = 403, body = ErrorBody)))]
pub async fn put_scan_settings(
    State(s): State<crate::AppState>,
    api: Api<crate::auth::Manage>,
    ApiJson(u): ApiJson<ScanSettingsUpdate>,
) -> Result<Json<uc::ScanSettings>, ApiError> {
    let mut cur = uc::scan_settings(&s.app, &api.ctx).await?;
    if let Some(v) = u.auto_scan_after_import {
        cur.auto_scan_after_import = v;
    }
    if let Some(v) = u.auto_verify_after_import {
        cur.auto_verify_after_import = v;
    }
    if let Some(v) = u.auto_promote {
        cur.auto_promote = v;
    }
    Ok(Json(uc::update_scan_settings(&s.app, &api.ctx, cur).await?))
}
