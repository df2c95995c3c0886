//! Everything read from one HTML page. The page is parsed once; each extractor works on the
//! parsed tree or the visible text and returns owned data (the tree itself is not `Send`).

pub mod emails;
pub mod forms;
pub mod meta;
pub mod phones;
pub mod socials;
pub mod structured;
pub mod text;

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use crate::report::ContactForm;
pub use emails::RawEmail;
pub use phones::RawPhone;

macro_rules! sel {
    ($name:ident, $s:expr) => {
        static $name: LazyLock<Selector> =
            LazyLock::new(|| Selector::parse($s).expect("static selector"));
    };
}
sel!(HREF, "a[href], area[href], link[href]");
sel!(CFEMAIL, "[data-cfemail]");
sel!(
    DATA_USER,
    "[data-user][data-domain], [data-name][data-domain]"
);
sel!(INLINE_SCRIPT, "script:not([src])");

static CONCAT_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"]\s*\+\s*['"]"#).expect("static regex"));

/// A link and the words it is labelled with.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Absolute URL without fragment.
    pub url: Url,
    /// Anchor text, title and aria-label, lower-cased.
    pub text: String,
}

/// What one page yielded.
#[derive(Debug, Clone)]
pub struct PageFindings {
    /// Page URL (after redirects).
    pub url: Url,
    /// Email candidates (already cleaned).
    pub emails: Vec<RawEmail>,
    /// Phone candidates (validated later, once the region is known).
    pub phones: Vec<RawPhone>,
    /// Social profiles.
    pub socials: Vec<socials::Social>,
    /// Forms.
    pub forms: Vec<ContactForm>,
    /// schema.org items.
    pub items: Vec<structured::Item>,
    /// JSON-LD blocks that could not be parsed even leniently.
    pub broken_json_ld: usize,
    /// Meta, language, mobile, resources.
    pub meta: meta::PageMeta,
    /// Outgoing links.
    pub links: Vec<Link>,
}

/// Registrable domain (`shop.bistro-luna.co.uk` -> `bistro-luna.co.uk`), lower-cased.
pub fn registrable_domain(host: &str) -> String {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let ascii = idna::domain_to_ascii(&h).unwrap_or(h.clone());
    match psl::domain_str(&ascii) {
        Some(d) => d.to_string(),
        None => ascii,
    }
}

/// Parses `html` (served at `url`) and runs every extractor.
pub fn analyze(url: &Url, html: &str, site_domain: &str) -> PageFindings {
    let doc = Html::parse_document(html);
    let visible = text::visible_text(&doc);
    let mut emails: Vec<RawEmail> = Vec::new();
    let add_email = |value: String, method: &'static str, emails: &mut Vec<RawEmail>| {
        if !emails.iter().any(|e| e.value == value) {
            emails.push(RawEmail { value, method });
        }
    };
    let mut phones: Vec<RawPhone> = Vec::new();
    let mut social: Vec<socials::Social> = Vec::new();
    let mut links: Vec<Link> = Vec::new();

    for a in doc.select(&HREF) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let h = href.trim();
        if h.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            for e in emails::from_mailto(h) {
                add_email(e, "mailto", &mut emails);
            }
            continue;
        }
        if let Some(raw) = phones::from_tel(h) {
            if !phones.iter().any(|p| p.raw == raw) {
                phones.push(RawPhone {
                    raw,
                    method: "tel",
                    labelled: true,
                });
            }
            continue;
        }
        if let Some(hex) = h.split("/cdn-cgi/l/email-protection#").nth(1) {
            if let Some(e) = emails::decode_cfemail(hex) {
                add_email(e, "cloudflare", &mut emails);
            }
            continue;
        }
        if let Some(s) = socials::classify(h) {
            if !social.iter().any(|x| x.url == s.url) {
                social.push(s);
            }
            continue;
        }
        if (a.value().name() == "a" || a.value().name() == "area")
            && let Ok(mut u) = url.join(h)
            && matches!(u.scheme(), "http" | "https")
            && links.len() < 500
        {
            u.set_fragment(None);
            let mut t: String = a.text().collect::<Vec<_>>().join(" ");
            for attr in ["title", "aria-label"] {
                if let Some(v) = a.value().attr(attr) {
                    t.push(' ');
                    t.push_str(v);
                }
            }
            let t = t
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            links.push(Link { url: u, text: t });
        }
    }
    for el in doc.select(&CFEMAIL) {
        if let Some(e) = el
            .value()
            .attr("data-cfemail")
            .and_then(emails::decode_cfemail)
        {
            add_email(e, "cloudflare", &mut emails);
        }
    }
    for el in doc.select(&DATA_USER) {
        let v = el.value();
        let user = v
            .attr("data-user")
            .or_else(|| v.attr("data-name"))
            .unwrap_or("");
        let mut domain = v.attr("data-domain").unwrap_or("").to_string();
        if let Some(tld) = v.attr("data-tld") {
            domain = format!("{domain}.{tld}");
        }
        if let Some(e) = emails::clean(&format!("{user}@{domain}")) {
            add_email(e, "attribute", &mut emails);
        }
    }
    for e in emails::from_text(&visible) {
        add_email(e.value, e.method, &mut emails);
    }
    // Inline scripts: first-party `document.write('info' + '@' + ...)` tricks, but never the
    // addresses inside third-party widget code (their domain is not the site's).
    for s in doc.select(&INLINE_SCRIPT) {
        let ty = s.value().attr("type").unwrap_or("").to_ascii_lowercase();
        if ty.contains("ld+json") || ty.contains("template") {
            continue;
        }
        let code: String = s.text().collect();
        if code.len() > 200_000
            || !(code.contains('@') || code.contains("\\u0040") || code.contains("#64"))
        {
            continue;
        }
        let joined = CONCAT_RE.replace_all(&code, "");
        let joined = joined
            .replace("\\u0040", "@")
            .replace("&#64;", "@")
            .replace("\\x40", "@");
        let writes = joined.contains("document.write")
            || joined.contains("innerHTML")
            || joined.contains("mailto");
        for e in emails::from_text(&joined) {
            let same = email_domain_matches(&e.value, site_domain);
            if same || (writes && joined.contains(&format!("mailto:{}", e.value))) {
                add_email(e.value, "script", &mut emails);
            }
        }
    }

    let (ld, broken) = structured::json_ld(&doc);
    let mut items = ld;
    items.extend(structured::microdata(&doc));
    for i in &items {
        let same_as = match i.properties.get("sameAs") {
            Some(serde_json::Value::String(u)) => vec![u.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        for u in same_as {
            if let Some(s) = socials::classify(u)
                && !social.iter().any(|x| x.url == s.url)
            {
                social.push(s);
            }
        }
    }
    let (ld_phones, ld_emails) = structured::contacts(&items);
    for e in ld_emails {
        for v in emails::from_mailto(&format!("mailto:{e}")) {
            add_email(v, "json-ld", &mut emails);
        }
    }
    for p in ld_phones {
        let raw = phones::from_tel(&format!("tel:{p}")).unwrap_or(p);
        if !phones.iter().any(|x| x.raw == raw) {
            phones.push(RawPhone {
                raw,
                method: "json-ld",
                labelled: true,
            });
        }
    }
    for p in phones::from_text(&visible) {
        if !phones.iter().any(|x| x.raw == p.raw) {
            phones.push(p);
        }
    }
    let forms = forms::extract(&doc, url);
    let meta = meta::extract(&doc, &visible);
    PageFindings {
        url: url.clone(),
        emails,
        phones,
        socials: social,
        forms,
        items,
        broken_json_ld: broken,
        meta,
        links,
    }
}

/// Whether the address's domain is (a subdomain of) the site's registrable domain.
pub fn email_domain_matches(email: &str, site_domain: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, d)| registrable_domain(d) == site_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_page() {
        let url = Url::parse("https://www.bistro-luna.de/kontakt").expect("url");
        let mut cf = String::from("2a");
        for b in "office@bistro-luna.de".bytes() {
            cf.push_str(&format!("{:02x}", b ^ 0x2a));
        }
        let html = format!(
            r#"<html lang="de"><body>
            <a href="mailto:info@bistro-luna.de">Mail</a>
            <a href="tel:+49301234567">Anrufen</a>
            <p>Reservierung: 030 / 765 432 10</p>
            <a href="/cdn-cgi/l/email-protection#{cf}">x</a>
            <a href="https://www.instagram.com/bistroluna/">IG</a>
            <a href="https://www.facebook.com/sharer.php?u=x">share</a>
            <a href="/impressum">Impressum</a>
            <script>var s={{dsn:"https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/1",support:"help@widgetvendor.com"}};
            document.write('<a href="mailto:' + 'chef' + '@' + 'bistro-luna.de">x</a>');</script>
            <img src="logo@2x.png" alt="">
            </body></html>"#
        );
        let f = analyze(&url, &html, "bistro-luna.de");
        let e: Vec<&str> = f.emails.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(
            e,
            vec![
                "info@bistro-luna.de",
                "office@bistro-luna.de",
                "chef@bistro-luna.de"
            ]
        );
        assert_eq!(f.socials.len(), 1);
        assert_eq!(f.phones.len(), 2);
        assert!(
            f.links
                .iter()
                .any(|l| l.url.path() == "/impressum" && l.text == "impressum")
        );
    }
}
