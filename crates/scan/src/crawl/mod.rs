//! The crawler: robots.txt, the home page, then the few pages where businesses put their
//! contact details, all through the SSRF guard and the politeness limiter.

pub mod charset;
pub mod fetch;
pub mod guard;
pub mod links;
pub mod politeness;
pub mod robots;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use url::Url;

use crate::error::ScanError;
use crate::extract::{self, PageFindings};
use crate::options::ScanOptions;
use crate::report::PageVisit;
pub use fetch::Fetched;
use politeness::Politeness;
use robots::Robots;

/// Shared state of a batch: HTTP clients (one pool), options, politeness.
pub struct Ctx {
    /// Options.
    pub opts: Arc<ScanOptions>,
    /// Client that verifies certificates.
    pub client: reqwest::Client,
    /// Client used only after a certificate was rejected, to still read the content.
    pub lenient: reqwest::Client,
    /// Politeness limiter.
    pub polite: Politeness,
}

impl Ctx {
    /// Builds the clients.
    pub fn new(opts: ScanOptions) -> Result<Self, ScanError> {
        let build = |lenient: bool| {
            reqwest::Client::builder()
                .user_agent(opts.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(opts.connect_timeout)
                .timeout(opts.request_timeout)
                .pool_max_idle_per_host(opts.per_host_connections)
                .pool_idle_timeout(Duration::from_secs(20))
                // Proxies would resolve names themselves and bypass the guard.
                .no_proxy()
                .dns_resolver(guard::resolver(opts.allow_private))
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .danger_accept_invalid_certs(lenient)
                .build()
                .map_err(|e| ScanError::Http(format!("client: {e}")))
        };
        Ok(Ctx {
            client: build(false)?,
            lenient: build(true)?,
            polite: Politeness::new(
                opts.per_host_connections,
                opts.per_host_delay,
                opts.max_concurrent_requests,
            ),
            opts: Arc::new(opts),
        })
    }
}

/// Raw result of crawling one site, before assembly into a report.
pub struct SiteData {
    /// The home page response.
    pub home: Fetched,
    /// The home page as text.
    pub home_html: String,
    /// Findings per page, home first.
    pub pages: Vec<PageFindings>,
    /// Every page fetched or skipped.
    pub visits: Vec<PageVisit>,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
    /// The certificate was rejected and the content read without verification.
    pub tls_rejected: Option<String>,
    /// Registrable domain of the final home URL.
    pub site_domain: String,
    /// Input was http:// explicitly.
    pub input_http: bool,
    /// Bytes read over all pages.
    pub total_bytes: u64,
}

/// Parses what a user typed (`bistro-luna.de`, `https://…`) into a URL.
pub fn normalize_input(input: &str) -> Result<(Url, bool), ScanError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(ScanError::InvalidUrl(input.to_string()));
    }
    let (s, explicit) = if t.contains("://") {
        (t.to_string(), true)
    } else {
        (format!("https://{t}"), false)
    };
    let mut u = Url::parse(&s).map_err(|e| ScanError::InvalidUrl(format!("{input}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(ScanError::InvalidUrl(input.to_string()));
    }
    u.set_fragment(None);
    Ok((u, explicit))
}

fn origin_key(u: &Url) -> String {
    u.origin().ascii_serialization()
}

fn is_html(f: &Fetched) -> bool {
    match f.header("content-type") {
        None => true,
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.starts_with("text/plain") || ct.contains("xml")
        }
    }
}

fn visit(f: &Fetched, reason: &str, charset: Option<&str>, requested: &Url) -> PageVisit {
    PageVisit {
        url: requested.to_string(),
        final_url: Some(f.url.to_string()),
        status: f.status,
        bytes: f.body.len() as u64,
        truncated: f.truncated,
        ttfb_ms: Some(f.ttfb.as_millis() as u64),
        charset: charset.map(str::to_string),
        reason: reason.to_string(),
        error: None,
    }
}

async fn home_fetch(
    ctx: &Ctx,
    url: &Url,
    explicit: bool,
    warnings: &mut Vec<String>,
) -> Result<(Fetched, Option<String>), ScanError> {
    match fetch::fetch(ctx, url.clone(), false).await {
        Ok(f) => Ok((f, None)),
        Err(ScanError::Tls(msg)) => {
            let f = fetch::fetch(ctx, url.clone(), true).await?;
            warnings.push(format!(
                "certificate rejected ({msg}); content read without verification"
            ));
            Ok((f, Some(msg)))
        }
        Err(e @ (ScanError::Http(_) | ScanError::Timeout(_)))
            if !explicit && url.scheme() == "https" =>
        {
            // A bare domain without https: try plain http before giving up.
            let mut http = url.clone();
            if http.set_scheme("http").is_err() {
                return Err(e);
            }
            match fetch::fetch(ctx, http, false).await {
                Ok(f) => {
                    warnings.push(format!("https failed ({e}); site read over http"));
                    Ok((f, None))
                }
                Err(_) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Where a crawl is: `done` of `total` pages read (the total is known once the home page
/// has chosen the other pages), and the page just finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageProgress {
    pub done: u32,
    pub total: u32,
    pub url: String,
}

/// Called after each page; must not block (the app forwards it to the job's progress).
pub type ProgressFn = dyn Fn(PageProgress) + Send + Sync;

/// Crawls one site.
pub async fn crawl(ctx: &Ctx, input: &str) -> Result<SiteData, ScanError> {
    crawl_with(ctx, input, None).await
}

/// Crawls one site, reporting each page read to `progress`.
pub async fn crawl_with(
    ctx: &Ctx,
    input: &str,
    progress: Option<&ProgressFn>,
) -> Result<SiteData, ScanError> {
    let report = |done: usize, total: usize, url: &Url| {
        if let Some(p) = progress {
            p(PageProgress {
                done: u32::try_from(done).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
                url: url.to_string(),
            });
        }
    };
    let opts = &ctx.opts;
    let (url, explicit) = normalize_input(input)?;
    let host = url.host_str().unwrap_or("").to_string();
    guard::resolve(
        &host,
        url.port_or_known_default().unwrap_or(443),
        opts.allow_private,
    )
    .await?;
    let mut warnings = Vec::new();
    let mut robots_by_origin: HashMap<String, Robots> = HashMap::new();

    let (r, w) = robots::fetch(ctx, &url, false).await;
    warnings.extend(w);
    if !r.allowed(&url) {
        return Err(ScanError::RobotsDisallowed(url.to_string()));
    }
    if let Some(d) = r.delay() {
        ctx.polite.set_delay(&host, d.min(opts.max_crawl_delay));
    }
    robots_by_origin.insert(origin_key(&url), r);

    let (home, tls_rejected) = home_fetch(ctx, &url, explicit, &mut warnings).await?;
    if home.status >= 400 {
        return Err(ScanError::Status {
            status: home.status,
            url: home.url.to_string(),
        });
    }
    if !is_html(&home) {
        return Err(ScanError::NotHtml(
            home.header("content-type").unwrap_or("").to_string(),
        ));
    }
    let final_key = origin_key(&home.url);
    if let std::collections::hash_map::Entry::Vacant(e) = robots_by_origin.entry(final_key) {
        let (r, w) = robots::fetch(ctx, &home.url, tls_rejected.is_some()).await;
        warnings.extend(w);
        if let (Some(d), Some(h)) = (r.delay(), home.url.host_str()) {
            ctx.polite.set_delay(h, d.min(opts.max_crawl_delay));
        }
        if !r.allowed(&home.url) {
            return Err(ScanError::RobotsDisallowed(home.url.to_string()));
        }
        e.insert(r);
    }
    let site_domain = extract::registrable_domain(home.url.host_str().unwrap_or(""));
    let (home_html, enc) = charset::decode(&home.body, home.header("content-type"));
    let mut visits = vec![visit(&home, "home", Some(enc), &url)];
    let home_findings = extract::analyze(&home.url, &home_html, &site_domain);
    let mut total_bytes = home.body.len() as u64;

    let wanted = opts.max_pages.saturating_sub(1);
    let chosen = links::choose(&home_findings.links, &site_domain, &home.url, wanted);
    let mut to_fetch = Vec::new();
    for (u, reason) in chosen {
        let key = origin_key(&u);
        if !robots_by_origin.contains_key(&key) {
            let (r, w) = robots::fetch(ctx, &u, tls_rejected.is_some()).await;
            warnings.extend(w);
            robots_by_origin.insert(key.clone(), r);
        }
        let allowed = robots_by_origin.get(&key).is_none_or(|r| r.allowed(&u));
        if allowed {
            to_fetch.push((u, reason));
        } else {
            visits.push(PageVisit {
                url: u.to_string(),
                reason: reason.to_string(),
                error: Some("disallowed by robots.txt".into()),
                ..PageVisit::default()
            });
        }
    }
    let lenient = tls_rejected.is_some();
    let total = 1 + to_fetch.len();
    report(1, total, &home.url);
    let futs: Vec<_> = to_fetch
        .into_iter()
        .map(|(u, reason)| fetch_one(ctx, u, reason, lenient))
        .collect();
    let mut stream = futures::stream::iter(futs).buffered(opts.per_host_connections.max(1));
    let mut results: Vec<FetchResult> = Vec::with_capacity(total - 1);
    while let Some(r) = stream.next().await {
        report(results.len() + 2, total, &r.0);
        results.push(r);
    }
    let mut pages = vec![home_findings];
    for (u, reason, r) in results {
        match r {
            Ok(f) if f.status < 400 && is_html(&f) => {
                total_bytes += f.body.len() as u64;
                let (html, enc) = charset::decode(&f.body, f.header("content-type"));
                visits.push(visit(&f, reason, Some(enc), &u));
                if pages.iter().any(|p| p.url == f.url) {
                    continue;
                }
                pages.push(extract::analyze(&f.url, &html, &site_domain));
            }
            Ok(f) => {
                total_bytes += f.body.len() as u64;
                let mut v = visit(&f, reason, None, &u);
                v.error = Some(if f.status >= 400 {
                    format!("HTTP {}", f.status)
                } else {
                    "not HTML".into()
                });
                visits.push(v);
            }
            Err(e) => {
                warnings.push(format!("{u}: {e}"));
                visits.push(PageVisit {
                    url: u.to_string(),
                    reason: reason.to_string(),
                    error: Some(e.to_string()),
                    ..PageVisit::default()
                });
            }
        }
    }
    Ok(SiteData {
        home,
        home_html,
        pages,
        visits,
        warnings,
        tls_rejected,
        site_domain,
        input_http: explicit && url.scheme() == "http",
        total_bytes,
    })
}

type FetchResult = (Url, &'static str, Result<Fetched, ScanError>);

async fn fetch_one(ctx: &Ctx, u: Url, reason: &'static str, lenient: bool) -> FetchResult {
    let r = fetch::fetch(ctx, u.clone(), lenient).await;
    (u, reason, r)
}

/// Whether `http://host/` answers with a redirect to https (one request, not followed).
pub async fn http_redirects_to_https(ctx: &Ctx, host: &str) -> Option<bool> {
    let url = Url::parse(&format!("http://{host}/")).ok()?;
    if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() {
        guard::resolve(host, 80, ctx.opts.allow_private)
            .await
            .ok()?;
    }
    let _permit = ctx.polite.acquire(host).await;
    let resp = tokio::time::timeout(ctx.opts.request_timeout, ctx.client.get(url).send())
        .await
        .ok()?
        .ok()?;
    if !resp.status().is_redirection() {
        return Some(false);
    }
    let loc = resp.headers().get("location")?.to_str().ok()?;
    Some(loc.trim().to_ascii_lowercase().starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_input() {
        assert_eq!(
            normalize_input("luna.de").map(|u| u.0.to_string()),
            Ok("https://luna.de/".into())
        );
        assert_eq!(
            normalize_input(" http://luna.de/#x").map(|u| (u.0.to_string(), u.1)),
            Ok(("http://luna.de/".into(), true))
        );
        assert!(normalize_input("ftp://luna.de").is_err());
        assert!(normalize_input("").is_err());
        assert!(normalize_input("http://").is_err());
    }
}
