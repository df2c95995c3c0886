//! The one application error, mapped to an HTTP status and error code by `web`.

use prospector_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A validation error naming the offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// Stable machine-readable code for the API error body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Validation { .. } => "validation_failed",
            AppError::Conflict { .. } => "conflict",
            AppError::BadRequest(_) => "bad_request",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { constraint } => {
                let field = constraint
                    .rsplit(['.', ' ', ','])
                    .next()
                    .map(|s| s.trim().to_string());
                AppError::Conflict {
                    message: format!(
                        "{} already exists",
                        field.clone().unwrap_or_else(|| "a record".into())
                    ),
                    field,
                }
            }
            StoreError::Sqlx(sqlx_err) if is_unavailable(&sqlx_err) => {
                AppError::Unavailable(format!("database unavailable: {sqlx_err}"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}
