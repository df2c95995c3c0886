//! Technology fingerprinting from our own rules (`rules/tech.toml`, embedded at build time):
//! response headers, cookies, meta tags, script and link URLs and HTML patterns.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use crate::report::TechFinding;

const RULES_TOML: &str = include_str!("../rules/tech.toml");

#[derive(Debug, Deserialize)]
struct RulesFile {
    tech: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
struct RawRule {
    name: String,
    category: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    cookies: Vec<String>,
    #[serde(default)]
    meta: BTreeMap<String, String>,
    #[serde(default)]
    scripts: Vec<String>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    html: Vec<String>,
    #[serde(default)]
    implies: Vec<String>,
}

struct Rule {
    name: String,
    category: String,
    headers: Vec<(String, Regex)>,
    cookies: Vec<String>,
    meta: Vec<(String, Regex)>,
    implies: Vec<String>,
}

/// Compiled rule set: per-rule matchers plus one RegexSet per URL/HTML field so a page is
/// scanned once, not once per pattern.
pub struct Rules {
    rules: Vec<Rule>,
    html: RegexSet,
    html_owner: Vec<(usize, String)>,
    scripts: RegexSet,
    scripts_owner: Vec<(usize, String)>,
    links: RegexSet,
    links_owner: Vec<(usize, String)>,
}

/// Why the rule file could not be loaded (a bug in the shipped file; tested).
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// TOML syntax.
    #[error("tech rules: {0}")]
    Toml(#[from] toml::de::Error),
    /// A pattern.
    #[error("tech rule {0}: {1}")]
    Regex(String, regex::Error),
}

fn re(name: &str, p: &str) -> Result<Regex, RulesError> {
    RegexBuilder::new(p)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| RulesError::Regex(name.to_string(), e))
}

fn set(pats: &[(usize, String)]) -> Result<RegexSet, RulesError> {
    RegexSetBuilder::new(pats.iter().map(|(_, p)| p.as_str()))
        .case_insensitive(true)
        .size_limit(32 << 20)
        .build()
        .map_err(|e| RulesError::Regex("set".into(), e))
}

impl Rules {
    /// Parses and compiles a rule file.
    pub fn parse(toml_text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(toml_text)?;
        let mut rules = Vec::new();
        let (mut html, mut scripts, mut links) = (Vec::new(), Vec::new(), Vec::new());
        for (i, r) in file.tech.into_iter().enumerate() {
            html.extend(r.html.iter().map(|p| (i, p.clone())));
            scripts.extend(r.scripts.iter().map(|p| (i, p.clone())));
            links.extend(r.links.iter().map(|p| (i, p.clone())));
            rules.push(Rule {
                headers: r
                    .headers
                    .iter()
                    .map(|(h, p)| Ok((h.to_ascii_lowercase(), re(&r.name, p)?)))
                    .collect::<Result<_, RulesError>>()?,
                meta: r
                    .meta
                    .iter()
                    .map(|(h, p)| Ok((h.to_ascii_lowercase(), re(&r.name, p)?)))
                    .collect::<Result<_, RulesError>>()?,
                cookies: r.cookies.iter().map(|c| c.to_ascii_lowercase()).collect(),
                implies: r.implies,
                name: r.name,
                category: r.category,
            });
        }
        for (i, p) in html.iter().chain(&scripts).chain(&links) {
            re(&rules[*i].name, p)?;
        }
        Ok(Rules {
            html: set(&html)?,
            scripts: set(&scripts)?,
            links: set(&links)?,
            html_owner: html,
            scripts_owner: scripts,
            links_owner: links,
            rules,
        })
    }

    /// Number of technologies the rules know.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The shipped rules. An invalid shipped file is caught by the unit test below; at run time
/// it degrades to "no technologies" rather than a panic.
pub static RULES: LazyLock<Option<Rules>> = LazyLock::new(|| match Rules::parse(RULES_TOML) {
    Ok(r) => Some(r),
    Err(e) => {
        tracing::error!(error = %e, "tech rules failed to load");
        None
    }
});

/// What fingerprinting looks at.
#[derive(Debug, Default)]
pub struct TechInput<'a> {
    /// Response headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Set-Cookie names.
    pub cookies: &'a [String],
    /// Meta tags by lower-case name (`generator`).
    pub meta: Vec<(String, String)>,
    /// External script URLs.
    pub scripts: &'a [String],
    /// Link hrefs.
    pub links: &'a [String],
    /// Raw HTML pages.
    pub html: Vec<&'a str>,
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(80).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// Technologies found, with the evidence for each.
pub fn detect(input: &TechInput<'_>) -> Vec<TechFinding> {
    let Some(rules) = RULES.as_ref() else {
        return Vec::new();
    };
    detect_with(rules, input)
}

/// [`detect`] with an explicit rule set.
pub fn detect_with(rules: &Rules, input: &TechInput<'_>) -> Vec<TechFinding> {
    let mut evidence: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut add = |i: usize, e: String| {
        let v = evidence.entry(i).or_default();
        if v.len() < 3 && !v.contains(&e) {
            v.push(e);
        }
    };
    for (i, r) in rules.rules.iter().enumerate() {
        for (h, pat) in &r.headers {
            for (name, value) in &input.headers {
                if name == h && pat.is_match(value) {
                    add(i, format!("header {name}: {}", short(value)));
                }
            }
        }
        for c in &r.cookies {
            if let Some(name) = input
                .cookies
                .iter()
                .find(|n| n.to_ascii_lowercase().starts_with(c.as_str()))
            {
                add(i, format!("cookie {name}"));
            }
        }
        for (m, pat) in &r.meta {
            for (name, value) in &input.meta {
                if name == m && pat.is_match(value) {
                    add(i, format!("meta {name}: {}", short(value)));
                }
            }
        }
    }
    for src in input.scripts {
        for k in rules.scripts.matches(src).iter() {
            let (i, _) = &rules.scripts_owner[k];
            add(*i, format!("script {}", short(src)));
        }
    }
    for href in input.links {
        for k in rules.links.matches(href).iter() {
            let (i, _) = &rules.links_owner[k];
            add(*i, format!("link {}", short(href)));
        }
    }
    for html in &input.html {
        for k in rules.html.matches(html).iter() {
            let (i, p) = &rules.html_owner[k];
            add(*i, format!("html matches {}", short(p)));
        }
    }
    // Implied technologies, transitively.
    let mut changed = true;
    while changed {
        changed = false;
        let found: Vec<usize> = evidence.keys().copied().collect();
        for i in found {
            for imp in &rules.rules[i].implies {
                if let Some(j) = rules.rules.iter().position(|r| &r.name == imp)
                    && let std::collections::btree_map::Entry::Vacant(e) = evidence.entry(j)
                {
                    e.insert(vec![format!("implied by {}", rules.rules[i].name)]);
                    changed = true;
                }
            }
        }
    }
    evidence
        .into_iter()
        .map(|(i, ev)| TechFinding {
            name: rules.rules[i].name.clone(),
            category: rules.rules[i].category.clone(),
            evidence: ev.join("; "),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load_and_cover_forty() {
        let r = Rules::parse(RULES_TOML).expect("shipped rules must compile");
        assert!(r.len() >= 40, "{}", r.len());
        let cats: std::collections::BTreeSet<&str> =
            r.rules.iter().map(|r| r.category.as_str()).collect();
        for c in [
            "cms",
            "builder",
            "ecommerce",
            "analytics",
            "ads",
            "chat",
            "crm",
            "booking",
            "payments",
            "framework",
            "cdn",
            "server",
        ] {
            assert!(cats.contains(c), "missing category {c}");
        }
    }

    #[test]
    fn detects_from_each_source() {
        let cookies = vec!["PHPSESSID".to_string()];
        let scripts = vec!["https://www.googletagmanager.com/gtag/js?id=G-ABC".to_string()];
        let links = vec!["https://fonts.googleapis.com/css2?family=Inter".to_string()];
        let input = TechInput {
            headers: vec![
                ("server".into(), "nginx/1.18".into()),
                ("cf-ray".into(), "abc".into()),
            ],
            cookies: &cookies,
            meta: vec![("generator".into(), "WordPress 6.4.2".into())],
            scripts: &scripts,
            links: &links,
            html: vec![
                "<link href='/wp-content/plugins/woocommerce/x.css'><script>fbq('init', '1')</script>",
            ],
        };
        let names: Vec<String> = detect(&input).into_iter().map(|t| t.name).collect();
        for n in [
            "WordPress",
            "WooCommerce",
            "PHP",
            "Nginx",
            "Cloudflare",
            "Google Analytics",
            "Google Fonts",
            "Meta Pixel",
        ] {
            assert!(names.contains(&n.to_string()), "{n} not in {names:?}");
        }
        assert!(!names.contains(&"Shopify".to_string()));
    }

    #[test]
    fn bad_rules_are_an_error() {
        assert!(Rules::parse("[[tech]]\nname='x'\ncategory='y'\nhtml=['(']").is_err());
        assert!(Rules::parse("nonsense").is_err());
    }
}
