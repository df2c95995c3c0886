//! Sign in, sign out, and accepting invitations.

use super::{PageResult, render};
use crate::AppState;
use crate::auth::{clear_session_cookie, session_cookie};
use crate::csrf::{CsrfToken, cookie_value};
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use prospector_app::{AppError, accounts, workspaces};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    heading: String,
    action: String,
    button: String,
    csrf: String,
    next: String,
    email: String,
    email_locked: bool,
    ask_name: bool,
    error: Option<String>,
    notice: Option<String>,
}

impl LoginPage {
    fn sign_in(csrf: String, next: String) -> LoginPage {
        LoginPage {
            heading: "Sign in".into(),
            action: "/login".into(),
            button: "Sign in".into(),
            csrf,
            next,
            email: String::new(),
            email_locked: false,
            ask_name: false,
            error: None,
            notice: None,
        }
    }
}

/// Only same-site relative paths are followed after sign-in (no open redirects).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".into()
    }
}

/// `/`: the first workspace's dashboard, or the sign-in page.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> PageResult {
    let token = cookie_value(&headers, crate::auth::SESSION_COOKIE).unwrap_or_default();
    let Some(me) = accounts::session_user(&s.app, &token).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let list = prospector_app::store::workspaces::for_user(s.app.db(), me.user.uid())
        .await
        .map_err(AppError::from)?;
    match list.first() {
        Some(w) => Ok(Redirect::to(&format!("/w/{}/dashboard", w.slug)).into_response()),
        None if me.user.is_admin => Ok(Redirect::to("/admin").into_response()),
        None => Err(AppError::Forbidden(
            "you are not a member of any workspace yet; ask for an invitation".into(),
        )
        .into()),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(csrf: CsrfToken, Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage::sign_in(
        csrf.0,
        safe_next(q.next.as_deref().unwrap_or("/")),
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    csrf: CsrfToken,
    Form(f): Form<LoginForm>,
) -> Response {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match accounts::login(&s.app, &f.email, &f.password, &addr.ip().to_string(), ua).await {
        Ok((_, token)) => {
            let cookie = session_cookie(
                &token,
                s.app.config().secure_cookies,
                s.app.config().session_days,
            );
            (
                [(header::SET_COOKIE, cookie)],
                Redirect::to(&safe_next(&f.next)),
            )
                .into_response()
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let mut page = LoginPage::sign_in(csrf.0, safe_next(&f.next));
            page.email = f.email.trim().to_string();
            page.error = Some(crate::error::public_message(&e));
            (status, render(&page)).into_response()
        }
    }
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie_value(&headers, crate::auth::SESSION_COOKIE)
        && let Err(e) = accounts::logout(&s.app, &token).await
    {
        tracing::warn!(error = %e, "logout failed");
    }
    (
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

pub async fn invite_form(
    State(s): State<AppState>,
    csrf: CsrfToken,
    Path(token): Path<String>,
) -> PageResult {
    let view = workspaces::open_invitation(&s.app, &token).await?;
    let page = LoginPage {
        heading: format!("Join {}", view.workspace.name),
        action: format!("/invite/{token}"),
        button: if view.existing_user {
            "Sign in and join".into()
        } else {
            "Create account and join".into()
        },
        csrf: csrf.0,
        next: String::new(),
        email: view.invitation.email.clone(),
        email_locked: true,
        ask_name: !view.existing_user,
        error: None,
        notice: Some(format!("You were invited as {}.", view.invitation.role)),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn accept_invite(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    csrf: CsrfToken,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> PageResult {
    let ip = addr.ip().to_string();
    let view = workspaces::open_invitation(&s.app, &token).await?;
    let email = view.invitation.email.clone();
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result: Result<(prospector_app::store::users::User, String), AppError> = async {
        if !view.existing_user {
            let actor = prospector_app::Actor {
                user_id: None,
                label: email.clone(),
                ip: ip.clone(),
            };
            accounts::create_user(&s.app, &actor, &email, &f.name, &f.password, false).await?;
        }
        let (user, session) = accounts::login(&s.app, &email, &f.password, &ip, ua).await?;
        workspaces::accept_invitation(&s.app, &token, &user, &ip).await?;
        Ok((user, session))
    }
    .await;
    match result {
        Ok((_, session)) => {
            let cookie = session_cookie(
                &session,
                s.app.config().secure_cookies,
                s.app.config().session_days,
            );
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to(&format!("/w/{}/dashboard", view.workspace.slug)),
            )
                .into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let page = LoginPage {
                heading: format!("Join {}", view.workspace.name),
                action: format!("/invite/{token}"),
                button: "Try again".into(),
                csrf: csrf.0,
                next: String::new(),
                email,
                email_locked: true,
                ask_name: !view.existing_user,
                error: Some(crate::error::public_message(&e)),
                notice: None,
            };
            Ok((
                if status == StatusCode::OK {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    status
                },
                render(&page),
            )
                .into_response())
        }
    }
}
