//! CSRF protection for every browser form: a double-submit token. A random token lives in a
//! `SameSite=Strict` cookie; every unsafe request must echo it in the `_csrf` form field or
//! the `X-CSRF-Token` header. Bearer-token API calls and provider webhooks carry no cookie
//! authority and are exempt.

use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prospector_app::crypto::{ct_eq, random_token};

pub const COOKIE: &str = "prospector_csrf";
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// The token for this request, for templates to put into forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or_else(|| CsrfToken(String::new())))
    }
}

/// Read one cookie from the request headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn exempt(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/hooks/")
        || path.starts_with("/u/")
        || path.starts_with("/t/")
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie_value(req.headers(), COOKIE).filter(|t| t.len() >= 20 && t.len() <= 100);
    let token = existing.clone().unwrap_or_else(|| random_token(24));
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method && !exempt(req.uri().path()) {
        let Some(expected) = existing.clone() else {
            return reject();
        };
        let header_token = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let ok = match header_token {
            Some(t) => ct_eq(&t, &expected),
            // A multipart upload is not buffered here to find its `_csrf` part; the form
            // carries the token in its action URL instead.
            None if is_multipart(&req) => {
                query_field(req.uri().query().unwrap_or_default(), "_csrf")
                    .is_some_and(|t| ct_eq(&t, &expected))
            }
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
                if !is_form {
                    false
                } else {
                    let (parts, body) = req.into_parts();
                    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                        Ok(b) => b,
                        Err(_) => {
                            return (StatusCode::PAYLOAD_TOO_LARGE, "form too large")
                                .into_response();
                        }
                    };
                    let found = form_urlencoded_field(&bytes, "_csrf");
                    req = Request::from_parts(parts, Body::from(bytes));
                    found.is_some_and(|t| ct_eq(&t, &expected))
                }
            }
        };
        if !ok {
            return reject();
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if existing.is_none() {
        let secure = if state.app.config().secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn query_field(q: &str, name: &str) -> Option<String> {
    form_urlencoded_field(q.as_bytes(), name)
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn reject() -> Response {
    tracing::warn!("request rejected: missing or wrong CSRF token");
    crate::pages::error_page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "The form was sent without a valid security token (it may be old, or sent from another site). Go back, reload the page and try again.",
    )
}
