//! Saved email templates: subject, text and optional HTML, checked for syntax and unknown
//! variables when saved, and previewed for a chosen contact.

use super::render::{self, Contexts, Parts};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::role::Permission;
use prospector_store::templates::{self as store, Template, TemplateFields};
use prospector_store::{ContactId, TemplateId};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a member writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub subject: String,
    /// Plain text body.
    pub body: String,
    /// Optional HTML body; without it the HTML part is made from the text.
    #[serde(default)]
    pub html: Option<String>,
}

/// A rendered preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Variables the contact has no value for (rendered empty or with their fallback).
    pub missing: Vec<String>,
    pub contact_id: Option<i64>,
}

fn fields(input: &TemplateInput) -> AppResult<TemplateFields> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "a name of 1 to 100 characters"));
    }
    if input.subject.trim().is_empty() {
        return Err(AppError::invalid(
            "subject",
            "an email template needs a subject",
        ));
    }
    if input.body.trim().is_empty() {
        return Err(AppError::invalid("body", "an email template needs a body"));
    }
    let parts = Parts::parse(&input.subject, &input.body, input.html.as_deref())?;
    let mut vars: Vec<String> = parts
        .subject
        .variables()
        .into_iter()
        .chain(parts.text.variables())
        .chain(parts.html.iter().flat_map(|h| h.variables()))
        .map(String::from)
        .collect();
    vars.sort();
    vars.dedup();
    let mut f = TemplateFields::email(name, input.subject.trim(), &input.body);
    f.body_html = input
        .html
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .map(String::from);
    f.variables = serde_json::to_string(&vars).unwrap_or_else(|_| "[]".into());
    Ok(f)
}

pub async fn list(
    app: &App,
    ctx: &WsCtx,
    q: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Template>> {
    Ok(store::list(app.db(), ctx.ws, q, Some("email"), before, limit).await?)
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Template> {
    Ok(store::get(app.db(), ctx.ws, TemplateId(id)).await?)
}

pub async fn create(app: &App, ctx: &WsCtx, input: &TemplateInput) -> AppResult<Template> {
    ctx.require(Permission::Write)?;
    let f = fields(input)?;
    let t = store::insert(app.db(), ctx.ws, &f).await.map_err(taken)?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "template.created",
        "template",
        t.id,
        None,
        Some(json!({"name": t.f.name})),
    )
    .await?;
    Ok(t)
}

pub async fn update(app: &App, ctx: &WsCtx, id: i64, input: &TemplateInput) -> AppResult<Template> {
    ctx.require(Permission::Write)?;
    let f = fields(input)?;
    let t = store::update(app.db(), ctx.ws, TemplateId(id), &f)
        .await
        .map_err(taken)?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "template.updated",
        "template",
        t.id,
        None,
        Some(json!({"name": t.f.name})),
    )
    .await?;
    Ok(t)
}

fn taken(e: prospector_store::StoreError) -> AppError {
    match e {
        prospector_store::StoreError::Conflict { .. } => AppError::Conflict {
            field: Some("name".into()),
            message: "a template with this name exists already".into(),
        },
        other => other.into(),
    }
}

pub async fn delete(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Write)?;
    store::delete(app.db(), ctx.ws, TemplateId(id))
        .await
        .map_err(|e| match e {
            prospector_store::StoreError::Conflict { .. } => AppError::Conflict {
                field: None,
                message: "a campaign step uses this template; change the step first".into(),
            },
            other => other.into(),
        })?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "template.deleted",
        "template",
        id,
        None,
        None,
    )
    .await
}

/// Render `input` for a contact (or with sample values when none is given).
pub async fn preview(
    app: &App,
    ctx: &WsCtx,
    input: &TemplateInput,
    contact: Option<ContactId>,
) -> AppResult<Preview> {
    let parts = Parts::parse(&input.subject, &input.body, input.html.as_deref())?;
    let url = format!(
        "{}/u/preview",
        app.config().public_url.trim_end_matches('/')
    );
    let (vars, contact_id) = match contact {
        Some(id) => {
            let cx = Contexts::load(app, ctx.ws, &[id.0]).await?;
            let c = cx.contact(id.0).ok_or(AppError::NotFound)?;
            (cx.context(c, None, None, &url), Some(id.0))
        }
        None => (
            prospector_core::template::Context::new()
                .with("first_name", "Alex")
                .with("last_name", "Example")
                .with("name", "Alex Example")
                .with("company.name", "Example Bakery")
                .with("company.city", "Berlin")
                .with("unsubscribe_url", url.as_str()),
            None,
        ),
    };
    let r = render::render(&parts, &vars, 1);
    Ok(Preview {
        subject: r.subject,
        text: r.text,
        html: r.html,
        missing: r.missing,
        contact_id,
    })
}
