//! One error type for every AI call, so the app can map each case to a stored failure reason
//! and decide whether to fall back to the deterministic analysis.

/// Why an AI call did not produce a usable answer.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The configuration cannot work (bad base URL, key with invalid header characters...).
    #[error("AI provider misconfigured: {0}")]
    Config(String),
    /// The budget hook refused the call; nothing was sent.
    #[error("AI budget exhausted: {0}")]
    BudgetExhausted(String),
    /// A non-retryable error answer (400, 401, 403, 404, 413, quota exhausted...).
    #[error("AI provider refused the request (HTTP {status}, {kind}): {message}")]
    Api {
        status: u16,
        kind: String,
        message: String,
    },
    /// Still rate limited after every retry.
    #[error("AI provider rate limit: still HTTP 429 after {attempts} attempts")]
    RateLimited { attempts: u32 },
    /// Still failing with 5xx after every retry.
    #[error("AI provider error: HTTP {status} after {attempts} attempts: {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    /// No answer within the configured timeout, on every attempt.
    #[error("AI provider timed out after {attempts} attempts")]
    Timeout { attempts: u32 },
    /// Connection-level failure on every attempt.
    #[error("AI provider unreachable after {attempts} attempts: {message}")]
    Transport { attempts: u32, message: String },
    /// A 2xx answer whose envelope is not the documented shape.
    #[error("AI provider answered with an unexpected response: {0}")]
    BadResponse(String),
    /// The model stopped at the token limit, so its JSON is cut short.
    #[error("AI output truncated at max_tokens ({max_tokens}); raise the limit")]
    Truncated { max_tokens: u32 },
    /// The model declined to answer.
    #[error("AI model refused: {0}")]
    Refused(String),
    /// The output failed JSON parsing or schema validation, also after the repair attempt.
    #[error("AI output invalid after repair attempt: {0}")]
    InvalidOutput(String),
    /// A prompt template references a placeholder that was not supplied.
    #[error("prompt {prompt}: missing value for {{{{{placeholder}}}}}")]
    Prompt { prompt: String, placeholder: String },
}

impl AiError {
    /// True for failures where the deterministic fallback is the sensible answer for the
    /// user (everything except programming/configuration mistakes).
    pub fn is_transient_or_spend(&self) -> bool {
        !matches!(self, AiError::Config(_) | AiError::Prompt { .. })
    }
}
