//! Members and invitations.

use super::json::ApiJson;
use crate::auth::{Api, Manage};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::core::role::Role;
use prospector_app::store::invitations::Invitation;
use prospector_app::store::memberships::Member;
use prospector_app::workspaces;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    /// owner, admin, member or viewer
    pub role: String,
    pub created_at: i64,
}

impl From<Member> for MemberOut {
    fn from(m: Member) -> Self {
        MemberOut {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            created_at: m.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    responses((status = 200, body = [MemberOut]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api,
) -> Result<Json<Vec<MemberOut>>, ApiError> {
    Ok(Json(
        workspaces::members(&s.app, &api.ctx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/members/{user_id}", tag = "members", params(("user_id" = i64, Path)),
    responses((status = 200, body = MemberOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api,
    Path(user_id): Path<i64>,
) -> Result<Json<MemberOut>, ApiError> {
    Ok(Json(
        workspaces::member(&s.app, &api.ctx, user_id).await?.into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    #[schema(value_type = String, example = "member")]
    pub role: Role,
}

#[utoipa::path(patch, path = "/api/v1/members/{user_id}", tag = "members", params(("user_id" = i64, Path)), request_body = RoleChange,
    responses((status = 200, body = MemberOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(user_id): Path<i64>,
    ApiJson(b): ApiJson<RoleChange>,
) -> Result<Json<MemberOut>, ApiError> {
    Ok(Json(
        workspaces::set_member_role(&s.app, &api.ctx, user_id, b.role)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/members/{user_id}", tag = "members", params(("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(user_id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    workspaces::remove_member(&s.app, &api.ctx, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Only in the response that creates the invitation.
    pub url: Option<String>,
}

impl From<Invitation> for InvitationOut {
    fn from(i: Invitation) -> Self {
        InvitationOut {
            id: i.id,
            email: i.email,
            role: i.role,
            created_at: i.created_at,
            expires_at: i.expires_at,
            url: None,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "members",
    responses((status = 200, body = [InvitationOut])))]
pub async fn invitations(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<Json<Vec<InvitationOut>>, ApiError> {
    Ok(Json(
        workspaces::invitations(&s.app, &api.ctx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(example = "colleague@example.com")]
    pub email: String,
    #[schema(value_type = String, example = "member")]
    pub role: Role,
}

#[utoipa::path(post, path = "/api/v1/invitations", tag = "members", request_body = NewInvitation,
    responses((status = 201, body = InvitationOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(b): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationOut>), ApiError> {
    let n = workspaces::invite(&s.app, &api.ctx, &b.email, b.role).await?;
    let mut out: InvitationOut = n.invitation.into();
    out.url = Some(n.url);
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(delete, path = "/api/v1/invitations/{invitation_id}", tag = "members", params(("invitation_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_invitation(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    workspaces::revoke_invitation(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
