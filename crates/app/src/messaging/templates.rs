//! WhatsApp templates: create and submit for review, keep current (status webhooks and a
//! periodic sync of `GET /{waba-id}/message_templates`), list, search, preview as the phone
//! shows it, delete. Only approved templates can be chosen for sending.

use crate::jobs::{JobCtx, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::whatsapp::{
    NewTemplate, ParameterFormat, Template, TemplateButton, TemplateCategory, TemplateComponent,
    TemplateHeader, TemplatePreview, TemplateStatus, preview, variables,
};
use prospector_core::role::Permission;
use prospector_store::WorkspaceId;
use prospector_store::messaging::{self as store, TemplateFields, WaTemplate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A template as the editor submits it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = WaTemplateInput)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// Lowercase letters, digits and underscores.
    pub name: String,
    /// e.g. `en_US`.
    pub language: String,
    /// `marketing`, `utility` or `authentication`.
    pub category: String,
    /// Optional text header (at most one `{{1}}`).
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub header_example: Option<String>,
    /// The body with `{{1}}`, `{{2}}`… variables.
    pub body: String,
    /// Example values for the body variables, in order (required when it has variables).
    #[serde(default)]
    pub body_examples: Vec<String>,
    #[serde(default)]
    pub footer: Option<String>,
    #[serde(default)]
    pub buttons: Vec<ButtonInput>,
}

/// One button of a template.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = WaButtonInput)]
#[serde(deny_unknown_fields)]
pub struct ButtonInput {
    /// `quick_reply`, `url` or `phone_number`.
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub url_example: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// A template as shown, with its phone preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = WaTemplateOut)]
pub struct TemplateOut {
    pub id: i64,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub quality_score: Option<String>,
    pub provider_id: Option<String>,
    /// Only sendable templates (approved, flagged, reinstated) can be chosen.
    pub sendable: bool,
    /// Body variables a send must fill, in order.
    pub variables: Vec<String>,
    pub preview_header: Option<String>,
    pub preview_body: String,
    pub preview_footer: Option<String>,
    pub preview_buttons: Vec<String>,
    /// The body as written, with its `{{1}}`… variables (for previews that fill them live).
    pub body_raw: String,
    /// The body's example values, in variable order.
    pub body_examples: Vec<String>,
    #[schema(value_type = Object)]
    pub components: Value,
    pub updated_at: i64,
}

pub(crate) fn components_of(t: &WaTemplate) -> Vec<TemplateComponent> {
    serde_json::from_str::<Value>(&t.components)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(TemplateComponent::from_json)
        .collect()
}

pub(crate) fn body_variables(t: &WaTemplate) -> Vec<String> {
    components_of(t)
        .iter()
        .find_map(|c| match c {
            TemplateComponent::Body { text, .. } => Some(variables(text)),
            _ => None,
        })
        .unwrap_or_default()
}

/// What the phone shows with `params` (or the template's examples).
pub fn render(t: &WaTemplate, params: Option<&[String]>) -> TemplatePreview {
    preview(&components_of(t), None, params)
}

pub fn out(t: &WaTemplate) -> TemplateOut {
    let p = render(t, None);
    let (body_raw, body_examples) = components_of(t)
        .into_iter()
        .find_map(|c| match c {
            TemplateComponent::Body {
                text,
                examples,
                named_examples,
            } => Some(if examples.is_empty() {
                (text, named_examples.into_iter().map(|(_, v)| v).collect())
            } else {
                (text, examples)
            }),
            _ => None,
        })
        .unwrap_or_default();
    TemplateOut {
        id: t.id,
        name: t.name.clone(),
        language: t.language.clone(),
        category: t.category.clone(),
        status: t.status.clone(),
        rejection_reason: t.rejection_reason.clone(),
        quality_score: t.quality_score.clone(),
        provider_id: t.provider_id.clone(),
        sendable: TemplateStatus::parse(&t.status).is_sendable(),
        variables: body_variables(t),
        preview_header: p.header,
        preview_body: p.body,
        preview_footer: p.footer,
        preview_buttons: p.buttons,
        body_raw,
        body_examples,
        components: serde_json::from_str(&t.components).unwrap_or(Value::Array(vec![])),
        updated_at: t.updated_at,
    }
}

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The provider's template from the editor's input (checked by the provider layer's rules).
pub fn new_template(i: &TemplateInput) -> AppResult<NewTemplate> {
    let category = TemplateCategory::parse(&i.category);
    if matches!(category, TemplateCategory::Other(_)) {
        return Err(AppError::invalid(
            "category",
            "expected marketing, utility or authentication",
        ));
    }
    let mut components = Vec::new();
    if let Some(h) = opt(&i.header) {
        components.push(TemplateComponent::Header(TemplateHeader::Text {
            text: h,
            example: opt(&i.header_example),
        }));
    }
    components.push(TemplateComponent::body(
        i.body.trim(),
        i.body_examples.iter().map(|e| e.trim().to_string()),
    ));
    if let Some(f) = opt(&i.footer) {
        components.push(TemplateComponent::Footer { text: f });
    }
    if !i.buttons.is_empty() {
        let mut buttons = Vec::new();
        for (n, b) in i.buttons.iter().enumerate() {
            let field = format!("buttons[{n}]");
            buttons.push(match b.kind.as_str() {
                "quick_reply" => TemplateButton::QuickReply {
                    text: b.text.trim().to_string(),
                },
                "url" => TemplateButton::Url {
                    text: b.text.trim().to_string(),
                    url: opt(&b.url)
                        .ok_or_else(|| AppError::invalid(&field, "a URL button needs a url"))?,
                    example: opt(&b.url_example),
                },
                "phone_number" => TemplateButton::PhoneNumber {
                    text: b.text.trim().to_string(),
                    phone_number: opt(&b.phone_number).ok_or_else(|| {
                        AppError::invalid(&field, "a phone button needs a phone_number")
                    })?,
                },
                _ => {
                    return Err(AppError::invalid(
                        &field,
                        "kind must be quick_reply, url or phone_number",
                    ));
                }
            });
        }
        components.push(TemplateComponent::Buttons(buttons));
    }
    let t = NewTemplate {
        name: i.name.trim().to_string(),
        language: i.language.trim().to_string(),
        category,
        parameter_format: ParameterFormat::Positional,
        components,
    };
    t.validate().map_err(|e| {
        let msg = e.message().to_string();
        let field = if msg.contains("name") {
            "name"
        } else if msg.contains("language") {
            "language"
        } else if msg.contains("example") {
            "body_examples"
        } else if msg.contains("button") {
            "buttons"
        } else {
            "body"
        };
        AppError::invalid(field, msg)
    })?;
    Ok(t)
}

fn components_json(components: &[TemplateComponent], f: ParameterFormat) -> String {
    Value::Array(components.iter().map(|c| c.to_json(f)).collect()).to_string()
}

/// Submit a template for review and keep it locally (usually `PENDING`; the decision comes
/// by webhook or sync).
pub async fn create(app: &App, ctx: &WsCtx, i: &TemplateInput) -> AppResult<TemplateOut> {
    ctx.require(Permission::Write)?;
    let t = new_template(i)?;
    let c = super::connections::require_wa(app, ctx.ws).await?;
    if store::template_by_name(app.db(), ctx.ws, &t.name, &t.language)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            field: Some("name".into()),
            message: format!("a template {} ({}) already exists", t.name, t.language),
        });
    }
    let p = super::connections::wa_provider(app, &c)?;
    let created = p.create_template(&t).await.map_err(|e| {
        tracing::warn!(workspace = ctx.ws.0, reason = %e.reason(), "template create refused");
        AppError::invalid("name", format!("WhatsApp refused the template: {e}"))
    })?;
    let row = store::upsert_template(
        app.db(),
        ctx.ws,
        &TemplateFields {
            name: t.name.clone(),
            language: t.language.clone(),
            category: created.category.as_str().to_string(),
            parameter_format: t.parameter_format.as_str().into(),
            components: components_json(&t.components, t.parameter_format),
            status: created.status.as_str().to_string(),
            provider_id: Some(created.id.clone()),
            ..Default::default()
        },
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "whatsapp_template.created",
        "wa_template",
        row.id,
        None,
        Some(json!({"name": row.name, "language": row.language, "status": row.status})),
    )
    .await?;
    Ok(out(&row))
}

pub async fn list(
    app: &App,
    ctx: &WsCtx,
    q: Option<&str>,
    status: Option<&str>,
) -> AppResult<Vec<TemplateOut>> {
    Ok(store::list_templates(app.db(), ctx.ws, q, status, 500)
        .await?
        .iter()
        .map(out)
        .collect())
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<TemplateOut> {
    Ok(out(&store::template(app.db(), ctx.ws, id).await?))
}

/// Delete at Meta (every language of the name) and here.
pub async fn delete(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Write)?;
    let t = store::template(app.db(), ctx.ws, id).await?;
    let c = super::connections::require_wa(app, ctx.ws).await?;
    let p = super::connections::wa_provider(app, &c)?;
    if let Err(e) = p.delete_template(&t.name).await {
        // Already gone at Meta: deleting here is what the member wants.
        if e.reason() != prospector_channels::whatsapp::WaReason::TemplateNotFound {
            return Err(AppError::Unavailable(format!(
                "WhatsApp did not delete the template: {e}"
            )));
        }
    }
    store::delete_template(app.db(), ctx.ws, id).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "whatsapp_template.deleted",
        "wa_template",
        id,
        Some(json!({"name": t.name, "language": t.language})),
        None,
    )
    .await
}

fn fields_of(t: &Template) -> TemplateFields {
    TemplateFields {
        name: t.name.clone(),
        language: t.language.clone(),
        category: t.category.as_str().to_string(),
        parameter_format: t.parameter_format.as_str().into(),
        components: components_json(&t.components, t.parameter_format),
        status: t.status.as_str().to_string(),
        rejection_reason: t.rejected_reason.clone(),
        quality_score: t.quality_score.clone(),
        provider_id: Some(t.id.clone()),
    }
}

/// Re-read the account's templates (all, or one name) and store what Meta reports.
/// Returns how many were stored.
pub async fn sync_workspace(app: &App, ws: WorkspaceId, name: Option<&str>) -> AppResult<usize> {
    let c = super::connections::require_wa(app, ws).await?;
    let p = super::connections::wa_provider(app, &c)?;
    let list = p
        .list_templates(name)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot list the WhatsApp templates: {e}")))?;
    for t in &list {
        store::upsert_template(app.db(), ws, &fields_of(t)).await?;
    }
    tracing::info!(
        workspace = ws.0,
        templates = list.len(),
        "whatsapp templates synced"
    );
    Ok(list.len())
}

pub async fn sync(app: &App, ctx: &WsCtx) -> AppResult<usize> {
    ctx.require(Permission::Write)?;
    sync_workspace(app, ctx.ws, None).await
}

/// An approved template by name and language, syncing that name from Meta first when it is
/// not known here. A template that is not sendable is refused with its status.
pub async fn sendable(
    app: &App,
    ws: WorkspaceId,
    name: &str,
    language: &str,
) -> AppResult<WaTemplate> {
    let mut t = store::template_by_name(app.db(), ws, name, language).await?;
    if t.is_none() {
        sync_workspace(app, ws, Some(name)).await?;
        t = store::template_by_name(app.db(), ws, name, language).await?;
    }
    let t = t.ok_or_else(|| {
        AppError::invalid(
            "template",
            format!("the WhatsApp account has no template {name} in {language}"),
        )
    })?;
    if !TemplateStatus::parse(&t.status).is_sendable() {
        return Err(AppError::invalid(
            "template",
            format!(
                "template {name} ({language}) is {} and cannot be sent{}",
                t.status,
                t.rejection_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(t)
}

/// The periodic sync of every workspace with a WhatsApp connection.
pub(crate) async fn sync_job(ctx: JobCtx) -> JobResult {
    let rows = store::wa_connected_workspaces(ctx.app.db()).await?;
    let mut synced = 0;
    let mut failed = 0;
    for ws in rows {
        match sync_workspace(&ctx.app, WorkspaceId(ws), None).await {
            Ok(n) => synced += n,
            Err(e) => {
                failed += 1;
                tracing::warn!(workspace = ws, error = %e, "template sync failed");
            }
        }
    }
    Ok(Some(
        json!({"templates": synced, "failed_workspaces": failed}),
    ))
}
