//! Online presence scanner and email verification (PRODUCT.md capability 2, issue 9).
//!
//! [`scan_site`] visits a business website (robots.txt, home page and a few contact/about/
//! legal pages), extracts emails, phones, social profiles, contact forms, schema.org data,
//! tech stack, TLS, speed and mobile facts, and scores the website. [`scan_many`] does the
//! same for a batch with shared connection pools and politeness. [`verify_email`] checks an
//! address (syntax, MX, disposable, role, free-mail, optional SMTP probe). Every fact keeps
//! the URL it came from; [`facts`] flattens a report for storage.

mod assemble;
pub mod crawl;
pub mod error;
pub mod extract;
mod facts;
pub mod options;
pub mod region;
pub mod report;
pub mod score;
pub mod tech;
pub mod time;
pub mod tls;
pub mod verify;

use std::sync::Arc;
use std::time::Instant;

use futures::{Stream, StreamExt};

pub use crawl::PageProgress;
pub use error::ScanError;
pub use facts::{Fact, facts};
pub use options::ScanOptions;
pub use report::ScanReport;
pub use verify::{Verification, VerifyOptions, verify_email};

/// A scanner with shared HTTP pools and politeness state; reuse it for many sites.
#[derive(Clone)]
pub struct Scanner {
    ctx: Arc<crawl::Ctx>,
}

impl Scanner {
    /// Builds the HTTP clients for `opts`.
    pub fn new(opts: ScanOptions) -> Result<Self, ScanError> {
        Ok(Scanner {
            ctx: Arc::new(crawl::Ctx::new(opts)?),
        })
    }

    /// The options in use.
    pub fn options(&self) -> &ScanOptions {
        &self.ctx.opts
    }

    /// Scans one site; `Err` when the home page could not be read at all.
    pub async fn scan(&self, url: &str) -> Result<ScanReport, ScanError> {
        self.scan_with_progress(url, None).await
    }

    /// [`Scanner::scan`], reporting each page read (the app's job progress per page).
    pub async fn scan_with_progress(
        &self,
        url: &str,
        progress: Option<&crawl::ProgressFn>,
    ) -> Result<ScanReport, ScanError> {
        let started = Instant::now();
        let scanned_at = time::now_ms();
        let opts = &self.ctx.opts;
        let data = tokio::time::timeout(
            opts.site_timeout,
            crawl::crawl_with(&self.ctx, url, progress),
        )
        .await
        .map_err(|_| ScanError::Timeout(format!("site deadline of {:?}", opts.site_timeout)))??;
        let final_url = &data.home.url;
        let mut tls_info = report::TlsInfo::default();
        if final_url.scheme() == "https" {
            let host = final_url.host_str().unwrap_or("").to_string();
            let port = final_url.port_or_known_default().unwrap_or(443);
            let probe = async {
                if opts.tls_probe {
                    tls::probe(&host, port, opts.allow_private, opts.request_timeout).await
                } else {
                    report::TlsInfo {
                        https: true,
                        ..Default::default()
                    }
                }
            };
            let redirect = async {
                if opts.check_http_redirect && !data.input_http {
                    crawl::http_redirects_to_https(&self.ctx, &host).await
                } else {
                    None
                }
            };
            let (mut info, redirect) = tokio::join!(probe, redirect);
            info.http_redirects_to_https = redirect;
            if let Some(msg) = &data.tls_rejected {
                info.valid = Some(false);
                info.error.get_or_insert_with(|| msg.clone());
            }
            tls_info = info;
        }
        let mut r = assemble::build(url, opts, &data, tls_info);
        r.scanned_at_ms = scanned_at;
        r.duration_ms = started.elapsed().as_millis() as u64;
        tracing::debug!(
            url,
            emails = r.emails.len(),
            phones = r.phones.len(),
            ms = r.duration_ms,
            "scanned"
        );
        Ok(r)
    }

    /// Scans one site and turns a failure into a report with `error` set, so a batch never
    /// loses a row.
    pub async fn scan_or_report(&self, url: &str) -> ScanReport {
        let started = Instant::now();
        let scanned_at = time::now_ms();
        match self.scan(url).await {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(url, error = %e, "scan failed");
                ScanReport::failed(url, &e, scanned_at, started.elapsed().as_millis() as u64)
            }
        }
    }
}

impl ScanReport {
    /// The report of a site that could not be scanned.
    pub fn failed(url: &str, e: &ScanError, scanned_at_ms: i64, duration_ms: u64) -> ScanReport {
        ScanReport {
            url: url.to_string(),
            error: Some(e.to_string()),
            error_code: Some(e.code().to_string()),
            website_score: score::unreachable(&e.to_string()),
            scanned_at_ms,
            duration_ms,
            ..ScanReport::default()
        }
    }
}

/// Analyses one HTML page already in hand (no network): the same extraction and scoring
/// as a crawl, for stored pages, previews and the accuracy fixtures.
pub fn analyze_html(url: &str, html: &str, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let (u, _) = crawl::normalize_input(url)?;
    let site_domain = extract::registrable_domain(u.host_str().unwrap_or(""));
    let page = extract::analyze(&u, html, &site_domain);
    let data = crawl::SiteData {
        home: crawl::Fetched {
            url: u.clone(),
            status: 200,
            headers: Default::default(),
            body: Vec::new(),
            truncated: false,
            ttfb: std::time::Duration::ZERO,
            load: std::time::Duration::ZERO,
            redirects: Vec::new(),
            cookies: Vec::new(),
        },
        home_html: html.to_string(),
        pages: vec![page],
        visits: Vec::new(),
        warnings: Vec::new(),
        tls_rejected: None,
        site_domain,
        input_http: false,
        total_bytes: html.len() as u64,
    };
    let tls = report::TlsInfo {
        https: u.scheme() == "https",
        ..Default::default()
    };
    Ok(assemble::build(url, opts, &data, tls))
}

/// Scans one website (`prospector scan URL --json`).
pub async fn scan_site(url: &str, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    Scanner::new(opts.clone())?.scan(url).await
}

/// Scans many websites, `concurrency` sites at a time, yielding one report per URL in
/// completion order (`prospector scan --urls FILE --json --concurrency N`). Failed sites
/// come back as reports with `error` set. Blank lines and `#` comments are skipped.
pub fn scan_many(
    urls: Vec<String>,
    opts: ScanOptions,
    concurrency: usize,
) -> impl Stream<Item = ScanReport> {
    let scanner = Scanner::new(opts);
    let urls: Vec<String> = urls
        .into_iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty() && !u.starts_with('#'))
        .collect();
    futures::stream::iter(urls)
        .map(move |u| {
            let scanner = scanner.clone();
            async move {
                match scanner {
                    Ok(s) => {
                        // A task per site so parsing spreads over the runtime's threads.
                        let u2 = u.clone();
                        match tokio::spawn(async move { s.scan_or_report(&u2).await }).await {
                            Ok(r) => r,
                            Err(e) => ScanReport::failed(
                                &u,
                                &ScanError::Http(format!("scan task failed: {e}")),
                                time::now_ms(),
                                0,
                            ),
                        }
                    }
                    Err(e) => ScanReport::failed(&u, &e, time::now_ms(), 0),
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
}
