//! Who am I, my workspaces, the current workspace and its audit log.

use super::json::ApiJson;
use super::{Page, PageParams};
use crate::auth::{Api, Manage};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Query, State};
use prospector_app::workspaces;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The caller: user, workspace of the token and role there.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: UserOut,
    pub workspace: WorkspaceRef,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(api: Api) -> Json<Me> {
    Json(Me {
        user: UserOut {
            id: api.user.id,
            email: api.user.email.clone(),
            name: api.user.name.clone(),
            is_admin: api.user.is_admin,
        },
        workspace: WorkspaceRef {
            id: api.ctx.ws.0,
            slug: api.ctx.slug.clone(),
            name: api.ctx.name.clone(),
        },
        role: api.ctx.role.to_string(),
    })
}

/// A workspace the caller belongs to.
#[derive(Serialize, ToSchema)]
pub struct MyWorkspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub suspended: bool,
}

#[utoipa::path(get, path = "/api/v1/workspaces", tag = "account",
    responses((status = 200, body = [MyWorkspace]), (status = 401, body = ErrorBody)))]
pub async fn workspaces(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<Vec<MyWorkspace>>, ApiError> {
    let list = prospector_app::store::workspaces::for_user(s.app.db(), api.user.uid())
        .await
        .map_err(prospector_app::AppError::from)?;
    Ok(Json(
        list.into_iter()
            .map(|w| MyWorkspace {
                id: w.id,
                slug: w.slug,
                name: w.name,
                role: w.role,
                suspended: w.suspended,
            })
            .collect(),
    ))
}

/// The token's workspace.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceOut {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub default_country: String,
    pub created_at: i64,
}

impl From<prospector_app::store::workspaces::Workspace> for WorkspaceOut {
    fn from(w: prospector_app::store::workspaces::Workspace) -> Self {
        WorkspaceOut {
            id: w.id,
            slug: w.slug,
            name: w.name,
            time_zone: w.time_zone,
            default_country: w.default_country,
            created_at: w.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace",
    responses((status = 200, body = WorkspaceOut), (status = 401, body = ErrorBody)))]
pub async fn workspace(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<WorkspaceOut>, ApiError> {
    Ok(Json(workspaces::get(&s.app, &api.ctx).await?.into()))
}

/// Editable workspace fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    #[schema(example = "Acme Web Studio")]
    pub name: String,
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    #[schema(example = "DE")]
    pub default_country: String,
}

#[utoipa::path(patch, path = "/api/v1/workspace", tag = "workspace", request_body = WorkspacePatch,
    responses((status = 200, body = WorkspaceOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_workspace(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(b): ApiJson<WorkspacePatch>,
) -> Result<Json<WorkspaceOut>, ApiError> {
    Ok(Json(
        workspaces::update(&s.app, &api.ctx, &b.name, &b.time_zone, &b.default_country)
            .await?
            .into(),
    ))
}

/// One audit log entry.
#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: i64,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "workspace", params(PageParams),
    responses((status = 200, body = Page<AuditOut>), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Query(p): Query<PageParams>,
) -> Result<Json<Page<AuditOut>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let rows = workspaces::audit_log(&s.app, &api.ctx, p.before, limit).await?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let parse = |s: Option<String>| s.and_then(|t| serde_json::from_str(&t).ok());
    Ok(Json(Page {
        data: rows
            .into_iter()
            .map(|r| AuditOut {
                id: r.id,
                actor: r.actor,
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                before: parse(r.before_json),
                after: parse(r.after_json),
                created_at: r.created_at,
            })
            .collect(),
        next_before,
    }))
}
