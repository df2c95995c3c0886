//! Errors of the scanner: one enum so callers can store a failure reason per site.

use thiserror::Error;

/// Why a site (or one of its pages) could not be scanned.
///
/// The `Display` text is what ends up in a report's `error` field, so it is written
/// for a person reading a list of failed sites.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The input was not an http(s) URL or bare domain.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The SSRF guard refused the address (private, loopback, link-local, metadata...).
    #[error("refused address {addr} for host {host}: {reason}")]
    Blocked {
        /// Host name as written in the URL.
        host: String,
        /// The resolved address that was refused.
        addr: String,
        /// Which class of address it is.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("DNS lookup failed for {0}")]
    Dns(String),
    /// robots.txt forbids our user agent to fetch the page.
    #[error("disallowed by robots.txt: {0}")]
    RobotsDisallowed(String),
    /// A redirect chain came back to a URL already visited.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// More redirects than `ScanOptions::max_redirects`.
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    /// Connect, read or overall deadline exceeded.
    #[error("timed out: {0}")]
    Timeout(String),
    /// TLS handshake or certificate failure.
    #[error("TLS error: {0}")]
    Tls(String),
    /// Any other transport error (connection refused, reset...).
    #[error("HTTP error: {0}")]
    Http(String),
    /// The server answered with an error status for the home page.
    #[error("HTTP status {status} for {url}")]
    Status {
        /// Status code.
        status: u16,
        /// URL that answered it.
        url: String,
    },
    /// The page is not HTML (PDF, image...).
    #[error("not an HTML page ({0})")]
    NotHtml(String),
}

impl ScanError {
    /// A short machine-readable code for the error, stable for storage and filters.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::InvalidUrl(_) => "invalid_url",
            ScanError::Blocked { .. } => "blocked_address",
            ScanError::Dns(_) => "dns",
            ScanError::RobotsDisallowed(_) => "robots_disallowed",
            ScanError::RedirectLoop(_) => "redirect_loop",
            ScanError::TooManyRedirects(_) => "too_many_redirects",
            ScanError::Timeout(_) => "timeout",
            ScanError::Tls(_) => "tls",
            ScanError::Http(_) => "http",
            ScanError::Status { .. } => "http_status",
            ScanError::NotHtml(_) => "not_html",
        }
    }
}
