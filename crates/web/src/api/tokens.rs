//! API tokens: created (secret shown once), listed, revoked.

use super::json::ApiJson;
use crate::auth::{Api, Manage};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use prospector_app::store::tokens::ApiToken;
use prospector_app::workspaces;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The secret; only in the response that creates the token.
    pub token: Option<String>,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            user_id: t.user_id,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            token: None,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = [TokenOut]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    Ok(Json(
        workspaces::tokens(&s.app, &api.ctx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(example = "zapier")]
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = TokenOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    let t = workspaces::create_token(&s.app, &api.ctx, api.user.uid(), &b.name).await?;
    let mut out: TokenOut = t.info.into();
    out.token = Some(t.token);
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/tokens/{token_id}", tag = "tokens", params(("token_id" = i64, Path)),
    responses((status = 200, body = TokenOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
) -> Result<Json<TokenOut>, ApiError> {
    Ok(Json(workspaces::token(&s.app, &api.ctx, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "tokens", params(("token_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<crate::AppState>,
    api: Api<Manage>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    workspaces::revoke_token(&s.app, &api.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
