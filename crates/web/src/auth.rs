//! Authentication and authorization, decided once in extractors:
//! - [`Api<P>`]: a Bearer token, its workspace, and a role allowing permission `P`;
//! - [`Page<P>`]: a session cookie, membership of the workspace in the `/w/{slug}` path, and
//!   a role allowing `P`;
//! - [`SignedIn`]: a session cookie only; [`PlatformAdmin`]: a session of a platform admin.
//!
//! Non-members get 404 (not 403), so workspace slugs and ids cannot be probed.

use crate::AppState;
use crate::csrf::{CsrfToken, cookie_value};
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use prospector_app::core::role::Permission;
use prospector_app::store::users::User;
use prospector_app::{Actor, AppError, WsCtx, accounts, workspaces};
use std::collections::HashMap;
use std::marker::PhantomData;

pub const SESSION_COOKIE: &str = "prospector_session";

/// A permission level as a type, so routes state what they need in their signature.
pub trait Perm: Send + Sync + 'static {
    const P: Permission;
}
pub struct Read;
pub struct Write;
pub struct Manage;
impl Perm for Read {
    const P: Permission = Permission::Read;
}
impl Perm for Write {
    const P: Permission = Permission::Write;
}
impl Perm for Manage {
    const P: Permission = Permission::Manage;
}

/// The client address, from the socket (a proxy's X-Forwarded-For is not trusted by default).
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// An API call authenticated by a Bearer token, allowed to do `P` in the token's workspace.
pub struct Api<P: Perm = Read> {
    pub ctx: WsCtx,
    pub user: User,
    _p: PhantomData<P>,
}

impl<P: Perm> FromRequestParts<AppState> for Api<P> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let raw = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                AppError::Unauthorized("missing Authorization: Bearer <token> header".into())
            })?;
        let ip = client_ip(parts);
        let (ctx, user) = workspaces::context_for_token(&s.app, raw, &ip).await?;
        ctx.require(P::P)?;
        Ok(Api {
            ctx,
            user,
            _p: PhantomData,
        })
    }
}

/// A signed-in browser session.
pub struct SignedIn {
    pub user: User,
    pub actor: Actor,
    pub csrf: String,
}

/// Where a browser goes when it is not signed in.
pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", urlencode(&self.0))).into_response()
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Errors while resolving a page's user: redirect to login, or an error page.
pub enum PageRejection {
    Login(ToLogin),
    Error(AppError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login(l) => l.into_response(),
            PageRejection::Error(e) => crate::pages::app_error_page(e),
        }
    }
}

impl From<AppError> for PageRejection {
    fn from(e: AppError) -> Self {
        PageRejection::Error(e)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageRejection;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let token = cookie_value(&parts.headers, SESSION_COOKIE).unwrap_or_default();
        let su = accounts::session_user(&s.app, &token).await?;
        let Some(su) = su else {
            return Err(PageRejection::Login(ToLogin(next)));
        };
        let csrf = CsrfToken::from_request_parts(parts, s)
            .await
            .map(|c| c.0)
            .unwrap_or_default();
        let actor = Actor {
            user_id: Some(su.user.uid()),
            label: su.user.email.clone(),
            ip: client_ip(parts),
        };
        Ok(SignedIn {
            user: su.user,
            actor,
            csrf,
        })
    }
}

/// A signed-in member of the workspace named by the `{slug}` path segment, allowed to do `P`.
pub struct Page<P: Perm = Read> {
    pub me: SignedIn,
    pub ctx: WsCtx,
    _p: PhantomData<P>,
}

impl<P: Perm> FromRequestParts<AppState> for Page<P> {
    type Rejection = PageRejection;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let me = SignedIn::from_request_parts(parts, s).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, s)
            .await
            .map_err(|_| AppError::NotFound)?;
        let slug = params.get("slug").ok_or(AppError::NotFound)?;
        let ctx = workspaces::context_for(&s.app, slug, &me.user, me.actor.clone()).await?;
        ctx.require(P::P)?;
        Ok(Page {
            me,
            ctx,
            _p: PhantomData,
        })
    }
}

/// A signed-in platform administrator.
pub struct PlatformAdmin(pub SignedIn);

impl FromRequestParts<AppState> for PlatformAdmin {
    type Rejection = PageRejection;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let me = SignedIn::from_request_parts(parts, s).await?;
        if !me.user.is_admin {
            return Err(PageRejection::Error(AppError::NotFound));
        }
        Ok(PlatformAdmin(me))
    }
}

/// Build the session cookie header value.
pub fn session_cookie(token: &str, secure: bool, max_age_days: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age_days * 86_400
    )
}

/// Expire the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}
