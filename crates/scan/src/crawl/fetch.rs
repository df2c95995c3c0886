//! One HTTP GET with our own redirect handling (so every hop passes the SSRF guard and loops
//! are named), politeness, a deadline covering slow bodies, and a body cap that cuts instead
//! of failing.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, LOCATION};
use url::Url;

use super::Ctx;
use crate::error::ScanError;

/// A fetched response.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// URL after redirects.
    pub url: Url,
    /// HTTP status.
    pub status: u16,
    /// Response headers of the last hop.
    pub headers: HeaderMap,
    /// Body (at most the cap).
    pub body: Vec<u8>,
    /// Body was cut at the cap.
    pub truncated: bool,
    /// Time from the last hop's request to its headers.
    pub ttfb: Duration,
    /// Time from the last hop's request to the end of the body.
    pub load: Duration,
    /// URLs redirected through, in order.
    pub redirects: Vec<Url>,
    /// Set-Cookie names seen on any hop.
    pub cookies: Vec<String>,
}

impl Fetched {
    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Maps a reqwest error to our error, finding a guard refusal inside it.
pub fn map_err(e: &reqwest::Error, url: &Url) -> ScanError {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut text = String::new();
    while let Some(s) = src {
        if let Some(g) = s.downcast_ref::<super::guard::GuardError>() {
            return g.0.clone();
        }
        text = s.to_string();
        src = s.source();
    }
    let lower = text.to_ascii_lowercase();
    if e.is_timeout() {
        ScanError::Timeout(format!("{url}"))
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ScanError::Tls(text)
    } else if lower.contains("dns") || lower.contains("failed to lookup") {
        ScanError::Dns(url.host_str().unwrap_or("").to_string())
    } else {
        ScanError::Http(text)
    }
}

/// GETs `url`, following redirects ourselves.
pub async fn fetch(ctx: &Ctx, url: Url, lenient_tls: bool) -> Result<Fetched, ScanError> {
    let opts = &ctx.opts;
    let mut current = url;
    let mut seen: HashSet<String> = HashSet::new();
    let mut redirects = Vec::new();
    let mut cookies = Vec::new();
    loop {
        if !seen.insert(current.as_str().to_string()) {
            return Err(ScanError::RedirectLoop(current.to_string()));
        }
        if !matches!(current.scheme(), "http" | "https") {
            return Err(ScanError::InvalidUrl(current.to_string()));
        }
        let host = current.host_str().unwrap_or("").to_string();
        // IP literals never reach the resolver, so check them here.
        if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = current.host() {
            super::guard::resolve(&host, 0, opts.allow_private).await?;
        }
        let _permit = ctx.polite.acquire(&host).await;
        let client = if lenient_tls {
            &ctx.lenient
        } else {
            &ctx.client
        };
        let started = Instant::now();
        let deadline = started + opts.request_timeout;
        let send = client
            .get(current.clone())
            .header("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
            .header("Accept-Language", "*")
            .timeout(opts.request_timeout)
            .send();
        let mut resp = match tokio::time::timeout(opts.request_timeout, send).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(map_err(&e, &current)),
            Err(_) => return Err(ScanError::Timeout(current.to_string())),
        };
        let ttfb = started.elapsed();
        for v in resp.headers().get_all("set-cookie") {
            if let Some(name) = v.to_str().ok().and_then(|s| s.split('=').next())
                && cookies.len() < 50
            {
                cookies.push(name.trim().to_string());
            }
        }
        let status = resp.status();
        if status.is_redirection()
            && let Some(loc) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok())
        {
            let next = current
                .join(loc.trim())
                .map_err(|_| ScanError::InvalidUrl(loc.to_string()))?;
            if redirects.len() >= opts.max_redirects {
                return Err(ScanError::TooManyRedirects(opts.max_redirects));
            }
            redirects.push(current.clone());
            current = next;
            continue;
        }
        let headers = resp.headers().clone();
        let mut body: Vec<u8> = Vec::new();
        let mut truncated = false;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, resp.chunk()).await {
                Err(_) => {
                    // A trickling server: keep what arrived if it is something, else fail.
                    if body.is_empty() {
                        return Err(ScanError::Timeout(current.to_string()));
                    }
                    truncated = true;
                    break;
                }
                Ok(Err(e)) => {
                    if body.is_empty() {
                        return Err(map_err(&e, &current));
                    }
                    truncated = true;
                    break;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = opts.max_body_bytes.saturating_sub(body.len());
                    if chunk.len() >= room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        return Ok(Fetched {
            url: current,
            status: status.as_u16(),
            headers,
            body,
            truncated,
            ttfb,
            load: started.elapsed(),
            redirects,
            cookies,
        });
    }
}
