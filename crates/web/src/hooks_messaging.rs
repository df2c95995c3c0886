//! WhatsApp and Twilio webhooks, without a session or CSRF token:
//! `GET /hooks/whatsapp/{token}` (Meta's verification handshake: the raw `hub.challenge`
//! as text/plain, or 403), `POST /hooks/whatsapp/{token}` (notifications, checked with
//! `X-Hub-Signature-256` over the raw body), `POST /hooks/twilio/{token}/status` (status
//! callbacks) and `POST /hooks/twilio/{token}/inbound` (inbound SMS, answered with TwiML),
//! both checked with `X-Twilio-Signature` against `PROSPECTOR_PUBLIC_URL` + path. A forged
//! or missing signature gets 401 and changes nothing, a malformed body 400, an unknown
//! token 404, a duplicate 200 (a no-op). Events are stored and answered at once; the
//! `messaging.webhooks` job applies them.

use crate::AppState;
use crate::hooks::{header, refuse};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use prospector_app::messaging::hooks::{
    self, META_SIGNATURE_HEADER, TWILIO_SIGNATURE_HEADER, TwilioHook,
};
use serde_json::json;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/whatsapp/{token}", get(handshake).post(whatsapp))
        .route("/hooks/twilio/{token}/status", post(twilio_status))
        .route("/hooks/twilio/{token}/inbound", post(twilio_inbound))
}

async fn handshake(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match hooks::handshake(
        &s.app,
        &token,
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
    )
    .await
    {
        Ok(challenge) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response(),
        Err(e) => refuse(e),
    }
}

async fn whatsapp(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match hooks::receive_whatsapp(
        &s.app,
        &token,
        header(&headers, META_SIGNATURE_HEADER),
        &body,
    )
    .await
    {
        Ok(r) => (StatusCode::OK, axum::Json(json!({"ok": true, "result": r}))).into_response(),
        Err(e) => refuse(e),
    }
}

async fn twilio(
    s: AppState,
    token: String,
    hook: TwilioHook,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let json_body = header(&headers, "content-type").is_some_and(|c| c.contains("json"));
    match hooks::receive_twilio(
        &s.app,
        &token,
        hook,
        &path,
        header(&headers, TWILIO_SIGNATURE_HEADER),
        json_body,
        &body,
    )
    .await
    {
        Ok((_, twiml)) if hook == TwilioHook::Inbound => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], twiml).into_response()
        }
        Ok((r, _)) => {
            (StatusCode::OK, axum::Json(json!({"ok": true, "result": r}))).into_response()
        }
        Err(e) => refuse(e),
    }
}

async fn twilio_status(
    State(s): State<AppState>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    twilio(s, token, TwilioHook::Status, uri, headers, body).await
}

async fn twilio_inbound(
    State(s): State<AppState>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    twilio(s, token, TwilioHook::Inbound, uri, headers, body).await
}
