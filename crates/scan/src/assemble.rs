//! Turns crawled pages into one report: de-duplication across pages, confidence, phone
//! validation in the inferred region, tech detection, TLS, performance and the score.

use std::collections::HashSet;

use crate::crawl::SiteData;
use crate::extract::{self, structured};
use crate::options::ScanOptions;
use crate::report::*;

fn email_confidence(method: &str, same_domain: bool) -> f32 {
    let base: f32 = match method {
        "mailto" => 0.95,
        "json-ld" | "cloudflare" => 0.9,
        "text" | "attribute" => 0.85,
        "obfuscated" => 0.8,
        _ => 0.65,
    };
    if same_domain {
        (base + 0.04).min(0.99)
    } else {
        base - 0.05
    }
}

fn phone_confidence(method: &str, labelled: bool) -> f32 {
    match (method, labelled) {
        ("tel", _) => 0.95,
        ("json-ld", _) => 0.9,
        (_, true) => 0.85,
        _ => 0.6,
    }
}

/// Builds the report from crawled data (TLS info already probed by the caller).
pub fn build(url: &str, opts: &ScanOptions, data: &SiteData, tls: TlsInfo) -> ScanReport {
    let home = &data.home;
    let home_page = data.pages.first();
    let mut r = ScanReport {
        url: url.to_string(),
        final_url: Some(home.url.to_string()),
        tls,
        ..ScanReport::default()
    };

    // Business and region.
    let all_items: Vec<&structured::Item> =
        data.pages.iter().flat_map(|p| p.items.iter()).collect();
    let owned: Vec<structured::Item> = all_items.iter().map(|i| (*i).clone()).collect();
    r.business = structured::business(&owned);
    let (schema_phones, _) = structured::contacts(&owned);
    let lang = home_page.and_then(|p| {
        p.meta
            .html_lang
            .clone()
            .or_else(|| p.meta.text_lang.clone())
    });
    r.language = lang
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase());
    let host = home.url.host_str().unwrap_or("");
    r.region = crate::region::infer(
        opts.country.as_deref(),
        host,
        r.business.as_ref(),
        &schema_phones,
        lang.as_deref(),
    );
    let region_id =
        crate::extract::phones::region_id(&r.region.code).unwrap_or(phonenumber::country::Id::US);

    for page in &data.pages {
        let src = page.url.to_string();
        for e in &page.emails {
            let same = extract::email_domain_matches(&e.value, &data.site_domain);
            let conf = email_confidence(e.method, same);
            match r.emails.iter_mut().find(|x| x.value == e.value) {
                Some(x) if x.confidence < conf => {
                    x.confidence = conf;
                    x.method = e.method.to_string();
                }
                Some(_) => {}
                None => r.emails.push(EmailFinding {
                    value: e.value.clone(),
                    source_url: src.clone(),
                    confidence: conf,
                    method: e.method.to_string(),
                    same_domain: same,
                }),
            }
        }
        for p in &page.phones {
            let Some((e164, country)) = extract::phones::validate(&p.raw, region_id) else {
                continue;
            };
            let conf = phone_confidence(p.method, p.labelled);
            match r.phones.iter_mut().find(|x| x.value == e164) {
                Some(x) if x.confidence < conf => {
                    x.confidence = conf;
                    x.method = p.method.to_string();
                }
                Some(_) => {}
                None => r.phones.push(PhoneFinding {
                    value: e164,
                    raw: p.raw.clone(),
                    source_url: src.clone(),
                    confidence: conf,
                    method: p.method.to_string(),
                    country,
                }),
            }
        }
        for s in &page.socials {
            if !r.socials.iter().any(|x| x.url == s.url) {
                r.socials.push(SocialFinding {
                    network: s.network.to_string(),
                    url: s.url.clone(),
                    handle: s.handle.clone(),
                    source_url: src.clone(),
                });
            }
        }
        for f in &page.forms {
            if !r
                .contact_forms
                .iter()
                .any(|x| x.action == f.action && x.kind == f.kind && x.fields == f.fields)
            {
                r.contact_forms.push(f.clone());
            }
        }
        for i in &page.items {
            let dup = r
                .structured_data
                .iter()
                .any(|x| x.item_type == i.item_type && x.properties == i.properties);
            if !dup && r.structured_data.len() < 100 {
                r.structured_data.push(StructuredItem {
                    format: i.format.to_string(),
                    item_type: i.item_type.clone(),
                    properties: i.properties.clone(),
                    source_url: src.clone(),
                });
            }
        }
        if page.broken_json_ld > 0 {
            r.warnings.push(format!(
                "{src}: {} JSON-LD block(s) could not be parsed",
                page.broken_json_ld
            ));
        }
    }
    r.emails
        .sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    r.phones
        .sort_by(|a, b| b.confidence.total_cmp(&a.confidence));

    // Tech: headers and cookies of the home page, meta, scripts and links of every page.
    let headers: Vec<(String, String)> = home
        .headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let mut scripts: Vec<String> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for p in &data.pages {
        for s in &p.meta.scripts {
            if seen.insert(s.clone()) {
                scripts.push(s.clone());
            }
        }
        for l in &p.meta.links {
            if seen.insert(l.clone()) {
                links.push(l.clone());
            }
        }
    }
    let mut meta_tags = Vec::new();
    if let Some(g) = home_page.and_then(|p| p.meta.meta.generator.clone()) {
        meta_tags.push(("generator".to_string(), g));
    }
    r.tech = crate::tech::detect(&crate::tech::TechInput {
        headers: headers.clone(),
        cookies: &home.cookies,
        meta: meta_tags,
        scripts: &scripts,
        links: &links,
        html: vec![data.home_html.as_str()],
    });

    r.tls.hsts = home.header("strict-transport-security").is_some();
    if data.input_http {
        r.tls.http_redirects_to_https = Some(home.url.scheme() == "https");
    }

    if let Some(hp) = home_page {
        let pm = &hp.meta;
        r.performance = Performance {
            ttfb_ms: Some(home.ttfb.as_millis() as u64),
            load_ms: Some(home.load.as_millis() as u64),
            html_bytes: data.home_html.len() as u64,
            transfer_bytes: home
                .header("content-length")
                .and_then(|v| v.trim().parse().ok()),
            compressed: home.header("content-encoding").is_some(),
            request_count: 1 + pm.scripts.len() as u64 + pm.stylesheets + pm.images + pm.iframes,
            scripts: pm.scripts.len() as u64,
            stylesheets: pm.stylesheets,
            images: pm.images,
            iframes: pm.iframes,
            redirects: home.redirects.len() as u64,
            truncated: home.truncated,
            pages_fetched: data.visits.iter().filter(|v| v.status > 0).count() as u64,
            total_bytes: data.total_bytes,
        };
        r.mobile = pm.mobile.clone();
        r.meta = pm.meta.clone();
        r.freshness = Freshness {
            copyright_year: data
                .pages
                .iter()
                .filter_map(|p| p.meta.copyright_year)
                .max(),
            last_modified: home.header("last-modified").map(str::to_string),
            date_modified: pm.date_modified.clone().or_else(|| {
                owned.iter().find_map(|i| {
                    i.properties
                        .get("dateModified")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
            }),
        };
    }
    r.pages = data.visits.clone();
    r.warnings.extend(data.warnings.iter().cloned());
    r.website_score = crate::score::score(&r, crate::time::current_year());
    r
}
