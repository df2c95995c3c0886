//! Provider webhooks for inbound email, without a session or CSRF token:
//! `POST /hooks/sendgrid/{token}` (SendGrid Event Webhook, ECDSA-signed),
//! `POST /hooks/resend/{token}` (Resend events, Svix-signed) and
//! `POST /hooks/inbound/{token}` (a raw `message/rfc822` body from an inbound-parse relay).
//! A forged or unsigned request gets 401 and changes nothing; an unknown token 404; a
//! duplicate event 200 (a no-op). Events are stored and answered at once; a job applies them.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prospector_app::AppError;
use prospector_app::inbound::webhooks::{
    self, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, SvixRequestHeaders,
};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/sendgrid/{token}", post(sendgrid))
        .route("/hooks/resend/{token}", post(resend))
        .route("/hooks/inbound/{token}", post(inbound))
}

fn answer<T: serde::Serialize>(r: Result<T, AppError>) -> Response {
    match r {
        Ok(v) => (StatusCode::OK, axum::Json(json!({"ok": true, "result": v}))).into_response(),
        Err(e) => refuse(e),
    }
}

/// The answer to a webhook that was not taken, for every provider's hooks: the provider sees
/// a 4xx with the reason for its own mistakes (unknown token, bad signature, malformed body),
/// and a bare 500 for ours.
pub(crate) fn refuse(e: AppError) -> Response {
    let (status, code) = match &e {
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::BadRequest(_) | AppError::Validation { .. } => {
            (StatusCode::BAD_REQUEST, "bad_request")
        }
        _ => {
            tracing::error!(error = %e, "webhook failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    };
    if status == StatusCode::UNAUTHORIZED {
        tracing::warn!(error = %e, "webhook refused");
    }
    let msg = if status.is_server_error() {
        "internal error".to_string()
    } else {
        e.to_string()
    };
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": msg}})),
    )
        .into_response()
}

pub(crate) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn sendgrid(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        webhooks::receive_sendgrid(
            &s.app,
            &token,
            header(&headers, SENDGRID_SIGNATURE_HEADER),
            header(&headers, SENDGRID_TIMESTAMP_HEADER),
            &body,
        )
        .await,
    )
}

async fn resend(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = SvixRequestHeaders::from_lookup(|n| header(&headers, n)).map_err(|e| e.to_string());
    answer(webhooks::receive_resend(&s.app, &token, h, &body).await)
}

async fn inbound(State(s): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    answer(webhooks::receive_inbound(&s.app, &token, &body).await)
}
