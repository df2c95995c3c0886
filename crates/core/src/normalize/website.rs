//! Company websites: a canonical URL and the registrable domain used for de-duplication.
//!
//! Canonical form: `http` is kept when given, `https` is assumed when no scheme is written;
//! host lower-cased, IDN to punycode, a leading `www.` removed, default port dropped; path kept
//! (case-sensitive) without trailing slashes; fragment and tracking parameters (`utm_*`,
//! `gclid`, `fbclid`, ...) removed. The registrable domain comes from the Public Suffix List
//! (`shop.acme.co.uk` -> `acme.co.uk`).
//!
//! Many small businesses list a Facebook page, a Google Maps link or a Linktree as their
//! "website". Those URLs are kept, but [`Website::is_shared_host`] is true: their domain says
//! nothing about the business and must never be used to merge two companies.

use std::fmt;

use super::email::canonical_domain;

/// A canonical website URL with its host and registrable domain.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Website {
    url: String,
    host: String,
    domain: String,
    shared: bool,
}

/// Why a value is not a website; `Display` is the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebsiteError {
    #[error("website: empty")]
    Empty,
    #[error("website: contains a space")]
    ContainsSpace,
    #[error("website: unsupported scheme '{0}' (only http and https)")]
    UnsupportedScheme(String),
    #[error("website: looks like an e-mail address")]
    LooksLikeEmail,
    #[error("website: no host name")]
    NoHost,
    #[error("website: invalid host name '{0}'")]
    InvalidHost(String),
    #[error("website: invalid port")]
    InvalidPort,
    #[error("website: an IP address or local name has no domain")]
    NoDomain,
    #[error("website: unknown top-level domain in '{0}'")]
    UnknownTld(String),
    #[error("website: too long")]
    TooLong,
}

const MAX_URL: usize = 2048;

/// Query parameters that only track where a click came from.
fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || k.starts_with("hsa_")
        || matches!(
            k.as_str(),
            "gclid"
                | "gclsrc"
                | "dclid"
                | "gbraid"
                | "wbraid"
                | "fbclid"
                | "msclkid"
                | "yclid"
                | "twclid"
                | "ttclid"
                | "li_fat_id"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
                | "_hsenc"
                | "_hsmi"
                | "mkt_tok"
                | "ref_src"
                | "srsltid"
                | "campaignid"
                | "adgroupid"
        )
}

/// Registrable domains (or brand labels across country TLDs) that host pages of many
/// unrelated businesses.
const SHARED_DOMAINS: &[&str] = &[
    "facebook.com",
    "fb.com",
    "fb.me",
    "instagram.com",
    "linkedin.com",
    "twitter.com",
    "x.com",
    "tiktok.com",
    "youtube.com",
    "youtu.be",
    "pinterest.com",
    "threads.net",
    "google.com",
    "goo.gl",
    "g.page",
    "g.co",
    "business.site",
    "linktr.ee",
    "linkin.bio",
    "beacons.ai",
    "wa.me",
    "whatsapp.com",
    "t.me",
    "bit.ly",
    "tinyurl.com",
    "etsy.com",
    "wordpress.com",
    "wix.com",
    "squarespace.com",
    "godaddysites.com",
    "ueniweb.com",
    "xing.com",
    "gelbeseiten.de",
    "dasoertliche.de",
    "pagesjaunes.fr",
    "paginasamarillas.es",
    "paginegialle.it",
    "yellowpages.com",
    "yell.com",
    "opentable.com",
    "thefork.com",
    "ubereats.com",
    "doordash.com",
    "lieferando.de",
    "deliveroo.co.uk",
    "doctolib.fr",
    "doctolib.de",
    "jameda.de",
    "treatwell.com",
    "eventbrite.com",
    "airbnb.com",
    "github.com",
    "medium.com",
    "substack.com",
    "calendly.com",
];
const SHARED_BRANDS: &[&str] = &["yelp", "tripadvisor", "booking", "amazon", "ebay", "google"];

impl Website {
    /// Parses and canonicalises a website URL or bare domain.
    pub fn parse(raw: &str) -> Result<Website, WebsiteError> {
        let s = raw
            .trim()
            .trim_matches(|c: char| c == '\u{FEFF}' || c == '\u{200B}');
        if super::text::is_placeholder(s) {
            return Err(WebsiteError::Empty);
        }
        if s.len() > MAX_URL {
            return Err(WebsiteError::TooLong);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(WebsiteError::ContainsSpace);
        }
        let (scheme, rest) = match s.find("://") {
            Some(i) => {
                let scheme = s[..i].to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(WebsiteError::UnsupportedScheme(
                        s[..i].chars().take(20).collect(),
                    ));
                }
                (scheme, &s[i + 3..])
            }
            None if s.starts_with("//") => ("https".to_string(), &s[2..]),
            None => {
                if let Some((scheme, _)) = s.split_once(':') {
                    let scheme = scheme.to_ascii_lowercase();
                    if matches!(
                        scheme.as_str(),
                        "mailto" | "tel" | "ftp" | "javascript" | "file"
                    ) {
                        return Err(WebsiteError::UnsupportedScheme(scheme));
                    }
                }
                ("https".to_string(), s)
            }
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(WebsiteError::LooksLikeEmail);
        }
        let (host_raw, port) = match authority.rsplit_once(':') {
            Some((h, p)) => {
                if p.is_empty() {
                    (h, None)
                } else {
                    let port: u16 = p.parse().map_err(|_| WebsiteError::InvalidPort)?;
                    (h, Some(port))
                }
            }
            None => (authority, None),
        };
        let host_raw = host_raw.trim_end_matches('.');
        if host_raw.is_empty() {
            return Err(WebsiteError::NoHost);
        }
        if host_raw.starts_with('[') || host_raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(WebsiteError::NoDomain);
        }
        let mut host = canonical_domain(host_raw).map_err(|e| match e {
            super::email::EmailError::MissingTld => WebsiteError::NoDomain,
            _ => WebsiteError::InvalidHost(host_raw.chars().take(80).collect()),
        })?;
        if let Some(stripped) = host.strip_prefix("www.")
            && stripped.contains('.')
        {
            host = stripped.to_string();
        }
        let domain = match psl::domain(host.as_bytes()) {
            Some(d) if d.suffix().is_known() => String::from_utf8_lossy(d.as_bytes()).into_owned(),
            _ => return Err(WebsiteError::UnknownTld(host)),
        };

        // Path, query, fragment.
        let tail = tail.split('#').next().unwrap_or("");
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (tail, None),
        };
        let path = path.trim_end_matches('/');
        let query: Vec<&str> = query
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty())
            .filter(|kv| !is_tracking_param(kv.split('=').next().unwrap_or("")))
            .collect();

        let mut url = String::with_capacity(scheme.len() + 3 + host.len() + path.len() + 16);
        url.push_str(&scheme);
        url.push_str("://");
        url.push_str(&host);
        match (scheme.as_str(), port) {
            (_, None) | ("http", Some(80)) | ("https", Some(443)) => {}
            (_, Some(p)) => {
                url.push(':');
                url.push_str(&p.to_string());
            }
        }
        url.push_str(path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        let brand = domain.split('.').next().unwrap_or("");
        let shared = SHARED_DOMAINS.contains(&domain.as_str()) || SHARED_BRANDS.contains(&brand);
        Ok(Website {
            url,
            host,
            domain,
            shared,
        })
    }

    /// The canonical URL.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host without `www.`, e.g. `shop.acme.co.uk`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The registrable domain, e.g. `acme.co.uk`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// True when the URL is a page on a platform (Facebook, Google Maps, Linktree, ...), whose
    /// domain must not identify a company.
    pub fn is_shared_host(&self) -> bool {
        self.shared
    }
}

impl fmt::Display for Website {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Debug for Website {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Website({})", self.url)
    }
}

impl serde::Serialize for Website {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, String) {
        match Website::parse(raw) {
            Ok(w) => (w.as_str().to_string(), w.domain().to_string()),
            Err(e) => panic!("{raw:?}: {e}"),
        }
    }

    fn err(raw: &str) -> String {
        match Website::parse(raw) {
            Ok(w) => panic!("{raw:?} accepted as {w}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn canonicalises() {
        assert_eq!(
            ok("www.Acme.com"),
            ("https://acme.com".into(), "acme.com".into())
        );
        assert_eq!(
            ok("http://www.acme.com/"),
            ("http://acme.com".into(), "acme.com".into())
        );
        assert_eq!(
            ok("HTTPS://Shop.Acme.co.uk/About/#team").0,
            "https://shop.acme.co.uk/About"
        );
        assert_eq!(ok("shop.acme.co.uk").1, "acme.co.uk");
        assert_eq!(
            ok("https://acme.com/?utm_source=x&id=3&gclid=abc").0,
            "https://acme.com?id=3"
        );
        assert_eq!(ok("https://acme.com:443/a/").0, "https://acme.com/a");
        assert_eq!(ok("http://acme.com:8080").0, "http://acme.com:8080");
        assert_eq!(
            ok("müller-bäckerei.de").0,
            "https://xn--mller-bckerei-hfb76a.de"
        );
        assert_eq!(ok("acme.com.").0, "https://acme.com");
        assert_eq!(ok("//acme.io/x").0, "https://acme.io/x");
    }

    #[test]
    fn idempotent_examples() {
        for raw in [
            "www.Acme.com/About/?utm_x=1#f",
            "http://a.b.example.co.uk:81/x",
        ] {
            let once = Website::parse(raw).unwrap();
            let twice = Website::parse(once.as_str()).unwrap();
            assert_eq!(once, twice);
        }
    }

    #[test]
    fn shared_hosts() {
        assert!(
            Website::parse("https://www.facebook.com/acmebakery")
                .unwrap()
                .is_shared_host()
        );
        assert!(Website::parse("yelp.de/biz/acme").unwrap().is_shared_host());
        assert!(!Website::parse("acme.com").unwrap().is_shared_host());
        // A Wix or Blogspot sub-site is its own registrable domain (private PSL section).
        let w = Website::parse("acme.blogspot.com").unwrap();
        assert_eq!(w.domain(), "acme.blogspot.com");
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(err(""), "website: empty");
        assert_eq!(err("n/a"), "website: empty");
        assert_eq!(err("acme .com"), "website: contains a space");
        assert_eq!(
            err("ftp://acme.com"),
            "website: unsupported scheme 'ftp' (only http and https)"
        );
        assert_eq!(
            err("mailto:x@acme.com"),
            "website: unsupported scheme 'mailto' (only http and https)"
        );
        assert_eq!(
            err("info@acme.com"),
            "website: looks like an e-mail address"
        );
        assert_eq!(
            err("http://192.168.0.1/"),
            "website: an IP address or local name has no domain"
        );
        assert_eq!(
            err("localhost"),
            "website: an IP address or local name has no domain"
        );
        assert_eq!(
            err("acme.notarealtld"),
            "website: unknown top-level domain in 'acme.notarealtld'"
        );
        assert_eq!(err("acme.com:99999"), "website: invalid port");
        assert!(err("ac_me.com").starts_with("website: invalid host name"));
    }
}
