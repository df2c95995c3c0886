//! `AppError` to HTTP: status, machine code and the JSON error body of the API, or a friendly
//! page for browsers. Every 500 is logged with its request id.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prospector_app::AppError;
use serde::Serialize;

/// An API error: renders `{"error":{"code","message","field"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

/// The error body every API error uses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The offending input field, when there is one.
    pub field: Option<String>,
}

/// The HTTP status for an application error.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What people may read; internal details stay in the log.
pub fn public_message(e: &AppError) -> String {
    match e {
        AppError::Internal(_) => "something went wrong on our side; it has been logged".into(),
        AppError::NotFound => "not found".into(),
        other => other.to_string(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            tracing::error!(error = %self.0, code = self.0.code(), "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_string(),
                message: public_message(&self.0),
                field: self.0.field().map(str::to_string),
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if matches!(self.0, AppError::Unauthorized(_)) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
