//! The routes reached from emails, without a session or a CSRF token: the unsubscribe page
//! `/u/{token}` with its RFC 8058 one-click POST, the open pixel `/t/o/{token}` and the click
//! redirect `/t/c/{token}`. They are mounted outside the CSRF layer (a mail provider's
//! one-click POST carries no cookie) and answer unknown tokens with a friendly page, never a
//! 500; the pixel is a GIF whatever happens.

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use prospector_app::core::time::now_ms;
use prospector_app::outreach::tracking::{self, Visit};
use prospector_app::store::WorkspaceId;
use prospector_app::store::messages::Message;
use prospector_app::{App, AppError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/t/o/{token}", get(open_pixel))
        .route("/t/c/{token}", get(click))
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    token: &'a str,
    address: &'a str,
    workspace: &'a str,
    done: bool,
}

/// The page, with headers that keep it out of caches and search engines.
fn page(status: StatusCode, t: &UnsubscribePage<'_>) -> Response {
    let mut r = match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "unsubscribe page rendering failed");
            return crate::pages::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be displayed. Please try the link again later.",
            );
        }
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

fn unknown_link() -> Response {
    crate::pages::error_page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        "We could not find the message this unsubscribe link belongs to. It may be incomplete: try copying the whole link from the email.",
    )
}

fn failed(e: AppError) -> Response {
    match e {
        AppError::NotFound => unknown_link(),
        other => {
            tracing::error!(error = %other, "unsubscribe failed");
            crate::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "We could not record your request just now. Please try the link again in a few minutes.",
            )
        }
    }
}

async fn workspace_name(app: &App, m: &Message) -> String {
    prospector_app::store::workspaces::get(app.db(), WorkspaceId(m.workspace_id))
        .await
        .map(|w| w.name)
        .unwrap_or_else(|_| "this sender".into())
}

/// Whether the address of `m` is unsubscribed already (the event and the suppression).
async fn already_unsubscribed(app: &App, m: &Message) -> Result<bool, AppError> {
    if m.unsubscribed_at.is_none() {
        return Ok(false);
    }
    let blocked = prospector_app::outreach::suppression::blocked_addresses(
        app,
        WorkspaceId(m.workspace_id),
        std::slice::from_ref(&m.to_address),
    )
    .await?;
    Ok(!blocked.is_empty())
}

async fn unsubscribe_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let m = match tracking::message_for_token(&s.app, &token).await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let done = match already_unsubscribed(&s.app, &m).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let ws = workspace_name(&s.app, &m).await;
    page(
        StatusCode::OK,
        &UnsubscribePage {
            token: &token,
            address: &m.to_address,
            workspace: &ws,
            done,
        },
    )
}

/// The page's button and the RFC 8058 one-click POST (`List-Unsubscribe=One-Click`, form
/// encoded) both land here; any body is accepted and none is needed.
async fn unsubscribe(
    State(s): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let one_click = form_urlencoded::parse(&body).any(|(k, v)| {
        k.eq_ignore_ascii_case("List-Unsubscribe") && v.eq_ignore_ascii_case("One-Click")
    });
    let how = if one_click {
        "one-click (List-Unsubscribe-Post)"
    } else {
        "unsubscribe page"
    };
    let m = match tracking::message_for_token(&s.app, &token).await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let m = match already_unsubscribed(&s.app, &m).await {
        Ok(true) => m,
        Ok(false) => match tracking::unsubscribe(&s.app, &token, how).await {
            Ok(m) => m,
            Err(e) => return failed(e),
        },
        Err(e) => return failed(e),
    };
    let ws = workspace_name(&s.app, &m).await;
    page(
        StatusCode::OK,
        &UnsubscribePage {
            token: &token,
            address: &m.to_address,
            workspace: &ws,
            done: true,
        },
    )
}

/// A transparent 1x1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn user_agent(h: &HeaderMap) -> &str {
    h.get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn open_pixel(
    State(s): State<AppState>,
    Path(token): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let visit = Visit {
        user_agent: user_agent(&headers),
        method: method.as_str(),
        at: now_ms(),
    };
    if token.len() <= 64
        && let Err(e) = tracking::opened(&s.app, &token, &visit).await
    {
        tracing::warn!(error = %e, "open not recorded");
    }
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (
                header::CACHE_CONTROL,
                "no-store, no-cache, must-revalidate, private",
            ),
        ],
        PIXEL,
    )
        .into_response()
}

async fn click(
    State(s): State<AppState>,
    Path(token): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if token.len() > 64 {
        return unknown_click();
    }
    let visit = Visit {
        user_agent: user_agent(&headers),
        method: method.as_str(),
        at: now_ms(),
    };
    match tracking::clicked(&s.app, &token, &visit).await {
        Ok(url) => {
            let lower = url.to_ascii_lowercase();
            let web = lower.starts_with("https://") || lower.starts_with("http://");
            match HeaderValue::from_str(&url) {
                Ok(v) if web => (
                    StatusCode::FOUND,
                    [
                        (header::LOCATION, v),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                        (
                            header::REFERRER_POLICY,
                            HeaderValue::from_static("no-referrer"),
                        ),
                    ],
                )
                    .into_response(),
                _ => unknown_click(),
            }
        }
        Err(AppError::NotFound) => unknown_click(),
        Err(e) => {
            tracing::error!(error = %e, "click not recorded");
            crate::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "This link could not be opened just now. Please try again in a few minutes.",
            )
        }
    }
}

fn unknown_click() -> Response {
    crate::pages::error_page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        "We could not find where this link leads. It may be incomplete: try copying the whole link from the email.",
    )
}
