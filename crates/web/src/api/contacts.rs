//! Contacts and companies: list with filters and cursors, CRUD, notes, timeline, bulk actions,
//! erase, and CSV export.

use super::json::{ApiJson, ApiQuery};
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use prospector_app::contacts::{
    self as uc, Bulk, CompanyInput, ContactInput, ListQuery, Selection,
};
use prospector_app::core::ids::{CompanyId, ContactId};
use prospector_app::store::companies::Company;
use prospector_app::store::contacts::Contact;
use prospector_app::store::timeline::{Activity, Note, Subject};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn custom_map(s: &str) -> BTreeMap<String, String> {
    serde_json::from_str(s).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: i64,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub job_title: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub tags: Vec<String>,
    pub custom: BTreeMap<String, String>,
    pub notes: Option<String>,
    /// import, manual, api...
    pub source: String,
    pub lead_stage: Option<String>,
    pub lead_source: Option<String>,
    pub consent_email: String,
    pub consent_whatsapp: String,
    pub consent_sms: String,
    pub import_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        let f = c.f;
        ContactOut {
            id: c.id,
            company_id: f.company_id,
            company_name: c.company_name,
            first_name: f.first_name,
            last_name: f.last_name,
            full_name: f.full_name,
            job_title: f.job_title,
            email: f.email,
            phone: f.phone,
            whatsapp: f.whatsapp,
            address: f.address,
            city: f.city,
            region: f.region,
            postal_code: f.postal_code,
            country: f.country,
            tags: c.tags,
            custom: custom_map(&f.custom),
            notes: f.notes,
            source: f.source,
            lead_stage: f.lead_stage,
            lead_source: f.lead_source,
            consent_email: f.consent_email,
            consent_whatsapp: f.consent_whatsapp,
            consent_sms: f.consent_sms,
            import_id: c.import_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CompanyOut {
    pub id: i64,
    pub name: Option<String>,
    pub website: Option<String>,
    /// Registrable domain of the website (absent for shared hosts such as facebook.com).
    pub domain: Option<String>,
    pub phone: Option<String>,
    pub category: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub rating: Option<f64>,
    pub review_count: Option<i64>,
    pub source: String,
    pub source_id: Option<String>,
    pub tags: Vec<String>,
    pub custom: BTreeMap<String, String>,
    pub notes: Option<String>,
    pub contact_count: i64,
    pub import_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Lead score 0-100 (absent until scored).
    pub score_value: Option<i64>,
    /// Score tier A, B or C.
    pub score_tier: Option<String>,
    /// The score's one-line reason.
    pub score_reason: Option<String>,
}

impl From<Company> for CompanyOut {
    fn from(c: Company) -> Self {
        let f = c.f;
        CompanyOut {
            id: c.id,
            name: f.name,
            website: f.website,
            domain: f.domain,
            phone: f.phone,
            category: f.category,
            address: f.address,
            city: f.city,
            region: f.region,
            postal_code: f.postal_code,
            country: f.country,
            latitude: f.latitude,
            longitude: f.longitude,
            rating: f.rating,
            review_count: f.review_count,
            source: f.source,
            source_id: f.source_id,
            tags: c.tags,
            custom: custom_map(&f.custom),
            notes: f.notes,
            contact_count: c.contact_count,
            import_id: c.import_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            score_value: c.score_value,
            score_tier: c.score_tier,
            score_reason: c.score_reason,
        }
    }
}

/// A page of results; pass `next_cursor` as `cursor` for the next one.
#[derive(Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ListQuery),
    responses((status = 200, body = CursorPage<ContactOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<CursorPage<ContactOut>>, ApiError> {
    let p = uc::list_contacts(&s.app, &api.ctx, &q).await?;
    Ok(Json(CursorPage {
        data: p.data.into_iter().map(Into::into).collect(),
        next_cursor: p.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, body = ContactOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(i): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let c = uc::create_contact(&s.app, &api.ctx, &i).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = i64, Path)),
    responses((status = 200, body = ContactOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<ContactOut>, ApiError> {
    Ok(Json(
        uc::contact(&s.app, &api.ctx, ContactId(id)).await?.into(),
    ))
}

#[utoipa::path(patch, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = i64, Path)), request_body = ContactInput,
    responses((status = 200, body = ContactOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(i): ApiJson<ContactInput>,
) -> Result<Json<ContactOut>, ApiError> {
    Ok(Json(
        uc::update_contact(&s.app, &api.ctx, ContactId(id), &i)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    params(("contact_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    uc::delete_contact(&s.app, &api.ctx, ContactId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Erased {
    /// Email addresses and numbers now on the suppression list.
    pub suppressed: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/contacts/{contact_id}/erase", tag = "contacts",
    params(("contact_id" = i64, Path)),
    responses((status = 200, body = Erased), (status = 404, body = ErrorBody)))]
pub async fn erase(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<Json<Erased>, ApiError> {
    let suppressed = uc::erase_contact(&s.app, &api.ctx, ContactId(id)).await?;
    Ok(Json(Erased { suppressed }))
}

#[derive(Serialize, ToSchema)]
pub struct NoteOut {
    pub id: i64,
    pub body: String,
    pub user_id: Option<i64>,
    pub created_at: i64,
}

impl From<Note> for NoteOut {
    fn from(n: Note) -> Self {
        NoteOut {
            id: n.id,
            body: n.body,
            user_id: n.user_id,
            created_at: n.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    #[schema(example = "Called, asked to send the offer on Monday")]
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityOut {
    pub kind: String,
    pub summary: String,
    pub actor: String,
    pub created_at: i64,
}

impl From<Activity> for ActivityOut {
    fn from(a: Activity) -> Self {
        ActivityOut {
            kind: a.kind,
            summary: a.summary,
            actor: a.actor,
            created_at: a.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}/notes", tag = "contacts",
    params(("contact_id" = i64, Path)),
    responses((status = 200, body = [NoteOut]), (status = 404, body = ErrorBody)))]
pub async fn notes(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<Vec<NoteOut>>, ApiError> {
    uc::contact(&s.app, &api.ctx, ContactId(id)).await?;
    let n = uc::notes(&s.app, &api.ctx, Subject::Contact(id)).await?;
    Ok(Json(n.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/contacts/{contact_id}/notes", tag = "contacts",
    params(("contact_id" = i64, Path)), request_body = NewNote,
    responses((status = 201, body = NoteOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<NoteOut>), ApiError> {
    let n = uc::add_note(&s.app, &api.ctx, Subject::Contact(id), &b.body).await?;
    Ok((StatusCode::CREATED, Json(n.into())))
}

#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}/timeline", tag = "contacts",
    params(("contact_id" = i64, Path)),
    responses((status = 200, body = [ActivityOut]), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ActivityOut>>, ApiError> {
    let t = uc::timeline_of(&s.app, &api.ctx, Subject::Contact(id)).await?;
    Ok(Json(t.into_iter().map(Into::into).collect()))
}

/// A bulk action on the selected rows.
#[derive(Deserialize, ToSchema)]
pub struct BulkRequest {
    /// tag, untag or delete.
    #[schema(example = "tag")]
    pub action: String,
    /// The tag, for tag and untag.
    pub tag: Option<String>,
    #[serde(flatten)]
    pub selection: Selection,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// Rows changed.
    pub affected: u64,
}

fn bulk_action(b: &BulkRequest) -> Result<Bulk<'_>, ApiError> {
    let tag = || {
        b.tag.as_deref().ok_or_else(|| {
            prospector_app::AppError::invalid("tag", "tag: required for this action")
        })
    };
    Ok(match b.action.as_str() {
        "tag" => Bulk::Tag(tag()?),
        "untag" => Bulk::Untag(tag()?),
        "delete" => Bulk::Delete,
        o => {
            return Err(prospector_app::AppError::invalid(
                "action",
                format!("action: expected tag, untag or delete, got '{o}'"),
            )
            .into());
        }
    })
}

#[utoipa::path(post, path = "/api/v1/contacts/bulk", tag = "contacts", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(b): ApiJson<BulkRequest>,
) -> Result<Json<BulkResult>, ApiError> {
    let action = bulk_action(&b)?;
    let affected = uc::bulk(&s.app, &api.ctx, &b.selection, action, false).await?;
    Ok(Json(BulkResult { affected }))
}

/// CSV of the rows matching the query; `bom=true` starts it with a UTF-8 BOM for Excel.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `true` or `1` for a byte-order mark.
    pub bom: Option<String>,
}

fn wants_bom(e: &ExportParams) -> bool {
    matches!(e.bom.as_deref(), Some("1" | "true" | "yes"))
}

async fn csv_response(
    s: &crate::AppState,
    api: &Api,
    q: &ListQuery,
    companies: bool,
    bom: bool,
) -> Result<Response, ApiError> {
    let name = if companies {
        "companies.csv"
    } else {
        "contacts.csv"
    };
    Ok(crate::export::csv_download(&s.app, &api.ctx, q, companies, bom, name).await?)
}

#[utoipa::path(get, path = "/api/v1/contacts/export.csv", tag = "contacts", params(ListQuery, ExportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(e): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    csv_response(&s, &api, &q, false, wants_bom(&e)).await
}

#[utoipa::path(get, path = "/api/v1/companies", tag = "companies", params(ListQuery),
    responses((status = 200, body = CursorPage<CompanyOut>), (status = 422, body = ErrorBody)))]
pub async fn list_companies(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<CursorPage<CompanyOut>>, ApiError> {
    let p = uc::list_companies(&s.app, &api.ctx, &q).await?;
    Ok(Json(CursorPage {
        data: p.data.into_iter().map(Into::into).collect(),
        next_cursor: p.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/companies", tag = "companies", request_body = CompanyInput,
    responses((status = 201, body = CompanyOut), (status = 422, body = ErrorBody)))]
pub async fn create_company(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(i): ApiJson<CompanyInput>,
) -> Result<(StatusCode, Json<CompanyOut>), ApiError> {
    let c = uc::create_company(&s.app, &api.ctx, &i).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/companies/{company_id}", tag = "companies",
    params(("company_id" = i64, Path)),
    responses((status = 200, body = CompanyOut), (status = 404, body = ErrorBody)))]
pub async fn get_company(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<CompanyOut>, ApiError> {
    Ok(Json(
        uc::company(&s.app, &api.ctx, CompanyId(id)).await?.into(),
    ))
}

#[utoipa::path(patch, path = "/api/v1/companies/{company_id}", tag = "companies",
    params(("company_id" = i64, Path)), request_body = CompanyInput,
    responses((status = 200, body = CompanyOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_company(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(i): ApiJson<CompanyInput>,
) -> Result<Json<CompanyOut>, ApiError> {
    Ok(Json(
        uc::update_company(&s.app, &api.ctx, CompanyId(id), &i)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/companies/{company_id}", tag = "companies",
    params(("company_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_company(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    uc::delete_company(&s.app, &api.ctx, CompanyId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/companies/{company_id}/timeline", tag = "companies",
    params(("company_id" = i64, Path)),
    responses((status = 200, body = [ActivityOut]), (status = 404, body = ErrorBody)))]
pub async fn company_timeline(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ActivityOut>>, ApiError> {
    let t = uc::timeline_of(&s.app, &api.ctx, Subject::Company(id)).await?;
    Ok(Json(t.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/companies/bulk", tag = "companies", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_companies(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(b): ApiJson<BulkRequest>,
) -> Result<Json<BulkResult>, ApiError> {
    let action = bulk_action(&b)?;
    let affected = uc::bulk(&s.app, &api.ctx, &b.selection, action, true).await?;
    Ok(Json(BulkResult { affected }))
}

#[utoipa::path(get, path = "/api/v1/companies/export.csv", tag = "companies", params(ListQuery, ExportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
pub async fn export_companies(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(e): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    csv_response(&s, &api, &q, true, wants_bom(&e)).await
}
