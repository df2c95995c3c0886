//! What the HTTP email APIs have in common: one reqwest client with timeouts, base URLs that
//! tests point at loopback stand-ins, and the mapping from HTTP outcomes to `SendError`.

use std::time::Duration;

use super::error::SendError;

/// Whole-request limit; email APIs answer in well under a second when healthy.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the provider drops a repeated request by itself, which decides what an unknown
/// outcome means: with deduplication a retry is harmless (transient), without it a retry
/// could send twice (uncertain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dedup {
    /// Resend: same `Idempotency-Key` within 24 hours returns the first answer.
    ByIdempotencyKey,
    /// SendGrid v3 mail send has no idempotency key.
    None,
    /// A read-only request (connection tests): repeating it is always harmless.
    ReadOnly,
}

pub(crate) fn build_client() -> Result<reqwest::Client, SendError> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("prospector/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SendError::config(format!("cannot build the HTTP client: {e}")))
}

/// Checks and normalises a base URL (no trailing slash).
pub(crate) fn base_url(provider: &str, url: &str) -> Result<String, SendError> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| SendError::config(format!("invalid {provider} base URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(SendError::config(format!(
            "invalid {provider} base URL {url:?}: expected http(s)://host"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

pub(crate) fn check_api_key(provider: &str, key: &str) -> Result<String, SendError> {
    let key = key.trim();
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SendError::config(format!(
            "the {provider} API key is empty or has invalid characters"
        )));
    }
    Ok(key.to_owned())
}

/// A transport-level failure of a request (no HTTP status came back).
pub(crate) fn request_error(provider: &str, e: &reqwest::Error, dedup: Dedup) -> SendError {
    if e.is_builder() {
        return SendError::config(format!("cannot build the {provider} request: {e}"));
    }
    if e.is_connect() {
        // Nothing reached the provider.
        return SendError::transient(None, format!("cannot connect to {provider}: {}", chain(e)));
    }
    let what = if e.is_timeout() {
        format!(
            "{provider} did not answer within {}s",
            REQUEST_TIMEOUT.as_secs()
        )
    } else {
        format!(
            "the {provider} request failed after it was sent: {}",
            chain(e)
        )
    };
    match dedup {
        Dedup::ByIdempotencyKey => SendError::transient(
            None,
            format!("{what} (safe to retry: the provider deduplicates on the idempotency key)"),
        ),
        Dedup::None => SendError::uncertain(what),
        Dedup::ReadOnly => SendError::transient(None, what),
    }
}

/// Maps a non-2xx status. `message` is the provider's error text from the body.
pub(crate) fn status_error(provider: &str, status: u16, message: String) -> SendError {
    match status {
        401 | 403 => SendError::config(format!(
            "{provider} refused the API key ({status}): {message}"
        )),
        408 | 429 => SendError::transient(Some(status), message),
        500..=599 => SendError::transient(Some(status), message),
        _ => SendError::permanent(Some(status), message),
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

/// Shortens a response body for error messages (providers sometimes answer with HTML).
pub(crate) fn snippet(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        return "(empty body)".into();
    }
    let mut s: String = t.chars().take(300).collect();
    if s.len() < t.len() {
        s.push('…');
    }
    s
}
