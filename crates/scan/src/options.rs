//! Knobs of a scan. Defaults are chosen to be polite to small-business servers and to keep a
//! batch of thousands of sites bounded in time and memory.

use std::time::Duration;

/// The product token our robots.txt rules are matched against.
pub const ROBOTS_AGENT: &str = "ProspectorBot";

/// Default User-Agent: names the bot so site owners can write robots.txt rules for it.
pub const DEFAULT_USER_AGENT: &str =
    "Mozilla/5.0 (compatible; ProspectorBot/0.1; self-hosted prospecting crawler)";

/// Options for [`crate::scan_site`] and [`crate::scan_many`].
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Pages to fetch per site, home page included (robots.txt not counted).
    pub max_pages: usize,
    /// Allow private, loopback and link-local targets (tests, demo sites on a LAN).
    pub allow_private: bool,
    /// ISO 3166 region for phone numbers written without a country code (`--country`).
    /// `None` infers it from the site (TLD, schema.org, language) and falls back to US.
    pub country: Option<String>,
    /// Full User-Agent header sent with every request.
    pub user_agent: String,
    /// Product token matched against robots.txt groups.
    pub robots_agent: String,
    /// Obey robots.txt (on by default; off only for sites you own).
    pub respect_robots: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Deadline for one request, headers and body (bounds trickling servers).
    pub request_timeout: Duration,
    /// Deadline for a whole site, all pages included.
    pub site_timeout: Duration,
    /// Bytes of body kept per page; the rest is cut (the page is still analysed).
    pub max_body_bytes: usize,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Concurrent connections to one host.
    pub per_host_connections: usize,
    /// Minimum gap between the starts of two requests to one host. robots.txt
    /// `Crawl-delay` raises it (up to `max_crawl_delay`).
    pub per_host_delay: Duration,
    /// Upper bound on a robots.txt `Crawl-delay` we honour.
    pub max_crawl_delay: Duration,
    /// Requests in flight across all sites of a batch.
    pub max_concurrent_requests: usize,
    /// Probe the TLS certificate (issuer, expiry) of https sites.
    pub tls_probe: bool,
    /// For https sites, check whether `http://host/` redirects to https.
    pub check_http_redirect: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_pages: 6,
            allow_private: false,
            country: None,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            robots_agent: ROBOTS_AGENT.to_string(),
            respect_robots: true,
            connect_timeout: Duration::from_secs(8),
            request_timeout: Duration::from_secs(15),
            site_timeout: Duration::from_secs(60),
            max_body_bytes: 2 * 1024 * 1024,
            max_redirects: 6,
            per_host_connections: 2,
            per_host_delay: Duration::from_millis(100),
            max_crawl_delay: Duration::from_secs(5),
            max_concurrent_requests: 256,
            tls_probe: true,
            check_http_redirect: true,
        }
    }
}
