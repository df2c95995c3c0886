//! A JSON body extractor whose errors use the API error body and name the bad field.

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use prospector_app::AppError;
use serde::de::DeserializeOwned;

/// Like `axum::Json`, but a wrong type or missing field is a 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !is_json {
            return Err(AppError::BadRequest(
                "expected a JSON body with Content-Type: application/json".into(),
            )
            .into());
        }
        let bytes = bytes::Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(AppError::BadRequest(format!("malformed JSON: {inner}")).into())
                } else {
                    let field = if path == "." { None } else { Some(path) };
                    Err(AppError::Validation {
                        field,
                        message: inner.to_string(),
                    }
                    .into())
                }
            }
        }
    }
}

/// Like `axum::extract::Query`, but a bad query string is a 422 in the API error body.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(e) => {
                let path = e.path().to_string();
                Err(AppError::Validation {
                    field: (path != ".").then_some(path),
                    message: format!("bad query string: {}", e.into_inner()),
                }
                .into())
            }
        }
    }
}
