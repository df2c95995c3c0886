//! Email templates: list with search, create and change (checked for syntax and unknown
//! variables, the error naming the field and the variable), delete, and a preview rendered for
//! a chosen contact or with sample values.

use super::Page;
use super::json::{ApiJson, ApiQuery};
use super::messages::Cursor;
use crate::auth::{Api, Write};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::templates::{self as uc, Preview, TemplateInput};
use prospector_app::store::templates::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct TemplateOut {
    pub id: i64,
    pub name: String,
    /// email.
    pub channel: String,
    pub subject: Option<String>,
    /// Plain text body.
    pub body: String,
    /// HTML body, when one was written.
    pub html: Option<String>,
    /// The variables the template uses.
    pub variables: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Template> for TemplateOut {
    fn from(t: Template) -> Self {
        TemplateOut {
            id: t.id,
            variables: serde_json::from_str(&t.f.variables).unwrap_or_default(),
            name: t.f.name,
            channel: t.f.channel,
            subject: t.f.subject,
            body: t.f.body_text,
            html: t.f.body_html,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateFilter {
    /// Search in names and subjects.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", params(TemplateFilter, Cursor),
    responses((status = 200, body = Page<TemplateOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
    ApiQuery(f): ApiQuery<TemplateFilter>,
    ApiQuery(p): ApiQuery<Cursor>,
) -> Result<Json<Page<TemplateOut>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let rows = uc::list(&s.app, &api.ctx, f.q.as_deref(), p.before, limit).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|t| t.id)
    } else {
        None
    };
    Ok(Json(Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateInput,
    responses((status = 201, body = TemplateOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    let t = uc::create(&s.app, &api.ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

#[utoipa::path(get, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)),
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(id): Path<i64>,
) -> Result<Json<TemplateOut>, ApiError> {
    Ok(Json(uc::get(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)), request_body = TemplateInput,
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<TemplateOut>, ApiError> {
    uc::get(&s.app, &api.ctx, id).await?;
    Ok(Json(uc::update(&s.app, &api.ctx, id, &input).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<crate::AppState>,
    api: Api<Write>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    uc::delete(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A template to render (it need not be saved), optionally for one contact.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// Ignored; accepted so a saved template's body can be sent as it is.
    #[serde(default)]
    pub name: Option<String>,
    pub subject: String,
    pub body: String,
    #[serde(default)]
    pub html: Option<String>,
    /// Render with this contact's values; without it, sample values are used.
    #[serde(default)]
    pub contact_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/templates/preview", tag = "templates", request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(s): State<crate::AppState>,
    api: Api,
    ApiJson(p): ApiJson<PreviewInput>,
) -> Result<Json<Preview>, ApiError> {
    let input = TemplateInput {
        name: p.name.unwrap_or_default(),
        subject: p.subject,
        body: p.body,
        html: p.html,
    };
    let out = uc::preview(&s.app, &api.ctx, &input, p.contact_id.map(ContactId)).await?;
    Ok(Json(out))
}
