//! robots.txt for our own user agent (RFC 9309): 4xx means no rules, 5xx means keep out.

use std::time::Duration;

use texting_robots::Robot;
use url::Url;

use super::Ctx;

/// The rules for one origin.
pub enum Robots {
    /// No robots.txt (or unreadable in a way that allows crawling).
    AllowAll,
    /// Server error: RFC 9309 says assume complete disallow.
    DisallowAll(String),
    /// Parsed rules.
    Rules(Box<Robot>),
}

impl Robots {
    /// Whether our agent may fetch `url`.
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::DisallowAll(_) => false,
            Robots::Rules(r) => r.allowed(url.as_str()),
        }
    }

    /// Crawl-delay for our agent, if any.
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Robots::Rules(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(3600.0))),
            _ => None,
        }
    }
}

/// Fetches and parses `origin/robots.txt`. Network failures allow crawling: if the site
/// is down, the page fetch reports it.
pub async fn fetch(ctx: &Ctx, origin: &Url, lenient_tls: bool) -> (Robots, Option<String>) {
    if !ctx.opts.respect_robots {
        return (Robots::AllowAll, None);
    }
    let Ok(url) = origin.join("/robots.txt") else {
        return (Robots::AllowAll, None);
    };
    match super::fetch::fetch(ctx, url.clone(), lenient_tls).await {
        Ok(f) if (200..300).contains(&f.status) => {
            let body = &f.body[..f.body.len().min(500 * 1024)];
            match Robot::new(&ctx.opts.robots_agent, body) {
                Ok(r) => (Robots::Rules(Box::new(r)), None),
                Err(e) => (
                    Robots::AllowAll,
                    Some(format!("robots.txt unparsable: {e}")),
                ),
            }
        }
        Ok(f) if f.status >= 500 => (
            Robots::DisallowAll(format!("robots.txt answered {}", f.status)),
            Some(format!(
                "robots.txt answered {}: treated as disallow (RFC 9309)",
                f.status
            )),
        ),
        Ok(_) => (Robots::AllowAll, None),
        Err(e) => (Robots::AllowAll, Some(format!("robots.txt: {e}"))),
    }
}
