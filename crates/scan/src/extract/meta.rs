//! Page-level signals: meta and OpenGraph tags, language, mobile readiness, copyright year
//! and the sub-resources a browser would load.

use regex::Regex;
use scraper::{Html, Selector};
use std::sync::LazyLock;

use crate::report::{Meta, Mobile};

macro_rules! sel {
    ($name:ident, $s:expr) => {
        static $name: LazyLock<Selector> =
            LazyLock::new(|| Selector::parse($s).expect("static selector"));
    };
}
sel!(TITLE, "title");
sel!(META, "meta");
sel!(LINK, "link[href]");
sel!(HTML_TAG, "html");
sel!(SCRIPT_SRC, "script[src]");
sel!(STYLE, "style");
sel!(IMG, "img");
sel!(IFRAME, "iframe");
sel!(PICTURE, "picture, source[srcset], img[srcset]");

static COPYRIGHT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:©|&copy;|\(c\)|copyright|urheberrecht)\s*(?:\D{0,20}?)((?:19|20)\d\d)(?:\s*[\-–/]\s*((?:19|20)\d\d))?")
        .expect("static regex")
});

/// Page-level facts of one document.
#[derive(Debug, Clone, Default)]
pub struct PageMeta {
    /// Meta and OpenGraph.
    pub meta: Meta,
    /// `<html lang>` primary tag.
    pub html_lang: Option<String>,
    /// Language guessed from the text.
    pub text_lang: Option<String>,
    /// Mobile signals.
    pub mobile: Mobile,
    /// Latest copyright year.
    pub copyright_year: Option<i32>,
    /// dateModified / article:modified_time.
    pub date_modified: Option<String>,
    /// External script URLs.
    pub scripts: Vec<String>,
    /// Stylesheet and other link hrefs.
    pub links: Vec<String>,
    /// Number of images.
    pub images: u64,
    /// Number of iframes.
    pub iframes: u64,
    /// Number of stylesheets.
    pub stylesheets: u64,
}

/// Collects meta, language, mobile and resource signals.
pub fn extract(doc: &Html, text: &str) -> PageMeta {
    let mut pm = PageMeta::default();
    pm.meta.title = doc
        .select(&TITLE)
        .next()
        .map(|t| {
            t.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|t| !t.is_empty());
    for m in doc.select(&META) {
        let v = m.value();
        let content = v.attr("content").map(|c| c.trim().to_string());
        let key = v
            .attr("name")
            .or_else(|| v.attr("property"))
            .map(|k| k.trim().to_ascii_lowercase());
        let (Some(key), Some(content)) = (key, content) else {
            continue;
        };
        match key.as_str() {
            "description" => pm.meta.description = Some(content),
            "generator" => pm.meta.generator = Some(content),
            "robots" => pm.meta.robots = Some(content),
            "viewport" => {
                let c = content.to_ascii_lowercase().replace(' ', "");
                pm.mobile.viewport = true;
                pm.mobile.device_width = c.contains("width=device-width");
                pm.mobile.zoom_disabled = c.contains("user-scalable=no")
                    || c.contains("user-scalable=0")
                    || c.contains("maximum-scale=1,")
                    || c.ends_with("maximum-scale=1")
                    || c.contains("maximum-scale=1.0");
                pm.mobile.viewport_content = Some(content);
            }
            "article:modified_time" | "og:updated_time" | "last-modified" => {
                pm.date_modified = Some(content)
            }
            k if (k.starts_with("og:") || k.starts_with("twitter:"))
                && pm.meta.open_graph.len() < 40 =>
            {
                pm.meta.open_graph.insert(k.to_string(), content);
            }
            _ => {}
        }
    }
    for l in doc.select(&LINK) {
        let v = l.value();
        let rel = v.attr("rel").unwrap_or("").to_ascii_lowercase();
        let href = v.attr("href").unwrap_or("").trim().to_string();
        if rel.split_whitespace().any(|r| r == "canonical") {
            pm.meta.canonical = Some(href.clone());
        }
        if rel.contains("icon") {
            pm.meta.favicon = true;
        }
        if rel.split_whitespace().any(|r| r == "stylesheet") {
            pm.stylesheets += 1;
            if v.attr("media").is_some_and(|m| m.contains("width")) {
                pm.mobile.media_queries += 1;
            }
        }
        if pm.links.len() < 200 {
            pm.links.push(href);
        }
    }
    for s in doc.select(&SCRIPT_SRC) {
        if let Some(src) = s.value().attr("src")
            && pm.scripts.len() < 200
        {
            pm.scripts.push(src.trim().to_string());
        }
    }
    for s in doc.select(&STYLE) {
        let css: String = s.text().collect();
        pm.mobile.media_queries += css.matches("@media").count() as u64;
    }
    pm.images = doc.select(&IMG).count() as u64;
    pm.iframes = doc.select(&IFRAME).count() as u64;
    pm.mobile.responsive_images = doc.select(&PICTURE).next().is_some();
    pm.mobile.mobile_ready = pm.mobile.viewport && pm.mobile.device_width;
    pm.html_lang = doc
        .select(&HTML_TAG)
        .next()
        .and_then(|h| {
            h.value()
                .attr("lang")
                .or_else(|| h.value().attr("xml:lang"))
        })
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| !l.is_empty());
    pm.text_lang = guess_language(text).map(str::to_string);
    pm.copyright_year = copyright_year(text);
    pm
}

/// Latest plausible year in a copyright notice.
pub fn copyright_year(text: &str) -> Option<i32> {
    let now = crate::time::current_year();
    COPYRIGHT_RE
        .captures_iter(text)
        .flat_map(|c| [c.get(1), c.get(2)])
        .flatten()
        .filter_map(|m| m.as_str().parse::<i32>().ok())
        .filter(|y| (1995..=now + 1).contains(y))
        .max()
}

/// Stop-word vote over the visible text; `None` below a minimum of evidence.
pub fn guess_language(text: &str) -> Option<&'static str> {
    const LANGS: &[(&str, &[&str])] = &[
        (
            "en",
            &[
                "the", "and", "with", "for", "our", "you", "your", "are", "this", "from",
            ],
        ),
        (
            "de",
            &[
                "und", "der", "die", "das", "mit", "für", "ist", "wir", "sie", "nicht", "ihre",
            ],
        ),
        (
            "fr",
            &[
                "le", "la", "les", "et", "des", "pour", "nous", "vous", "est", "une", "avec",
            ],
        ),
        (
            "es",
            &[
                "el", "los", "las", "y", "del", "para", "con", "nuestro", "una", "por", "es",
            ],
        ),
        (
            "it",
            &[
                "il", "gli", "e", "della", "per", "con", "siamo", "una", "il", "di", "che",
            ],
        ),
        (
            "pt",
            &[
                "o", "os", "e", "do", "da", "para", "com", "não", "uma", "nosso", "são",
            ],
        ),
        (
            "nl",
            &[
                "de", "het", "en", "van", "een", "voor", "met", "wij", "ons", "niet", "zijn",
            ],
        ),
    ];
    let mut counts = [0usize; 7];
    let mut words = 0;
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(3000)
    {
        words += 1;
        let lw = w.to_lowercase();
        for (i, (_, stop)) in LANGS.iter().enumerate() {
            if stop.contains(&lw.as_str()) {
                counts[i] += 1;
            }
        }
    }
    let (best, n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    if *n < 3 || words < 10 {
        return None;
    }
    Some(LANGS[best].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_and_mobile() {
        let doc = Html::parse_document(
            r#"<html lang="de-DE"><head><title> Praxis  Koch </title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="WordPress 6.4"><meta property="og:title" content="Koch">
            <style>@media (max-width:600px){a{b:c}}</style><link rel="icon" href="/f.ico"></head>
            <body><img srcset="a.png 1x"></body></html>"#,
        );
        let pm = extract(
            &doc,
            "Wir sind die Praxis und wir sind für Sie da, mit der besten Behandlung",
        );
        assert_eq!(pm.meta.title.as_deref(), Some("Praxis Koch"));
        assert_eq!(pm.meta.generator.as_deref(), Some("WordPress 6.4"));
        assert!(pm.mobile.mobile_ready);
        assert_eq!(pm.mobile.media_queries, 1);
        assert!(pm.mobile.responsive_images);
        assert_eq!(pm.html_lang.as_deref(), Some("de-DE"));
        assert_eq!(pm.text_lang.as_deref(), Some("de"));
        assert_eq!(
            pm.meta.open_graph.get("og:title").map(String::as_str),
            Some("Koch")
        );
    }

    #[test]
    fn copyright() {
        assert_eq!(copyright_year("© 2009-2021 Luna GmbH"), Some(2021));
        assert_eq!(copyright_year("Copyright 2015 by Dr. Weber"), Some(2015));
        assert_eq!(copyright_year("since 1887"), None);
    }
}
