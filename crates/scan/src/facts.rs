//! A report flattened into facts for storage: one row per thing found, each with the URL it
//! came from and a confidence, so enrichment can be versioned rather than overwritten.

use serde::{Deserialize, Serialize};

use crate::report::ScanReport;

/// One stored fact (`kind` examples: email, phone, social.instagram, tech, website_score).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// What kind of fact.
    pub kind: String,
    /// The value as text (JSON for structured values).
    pub value: String,
    /// Page it came from.
    pub source_url: String,
    /// 0..1.
    pub confidence: f32,
}

fn fact(kind: impl Into<String>, value: impl Into<String>, source: &str, confidence: f32) -> Fact {
    Fact {
        kind: kind.into(),
        value: value.into(),
        source_url: source.to_string(),
        confidence,
    }
}

/// Flattens a report. A failed scan yields one `scan_error` fact.
pub fn facts(r: &ScanReport) -> Vec<Fact> {
    let home = r.final_url.clone().unwrap_or_else(|| r.url.clone());
    let mut out = Vec::new();
    if let Some(e) = &r.error {
        out.push(fact("scan_error", e.clone(), &r.url, 1.0));
        out.push(fact(
            "website_score",
            r.website_score.value.to_string(),
            &r.url,
            1.0,
        ));
        return out;
    }
    for e in &r.emails {
        out.push(fact("email", &e.value, &e.source_url, e.confidence));
    }
    for p in &r.phones {
        out.push(fact("phone", &p.value, &p.source_url, p.confidence));
    }
    for s in &r.socials {
        out.push(fact(
            format!("social.{}", s.network),
            &s.url,
            &s.source_url,
            0.95,
        ));
    }
    for f in &r.contact_forms {
        out.push(fact(
            format!("contact_form.{}", f.kind),
            f.action
                .clone()
                .or_else(|| f.provider.clone())
                .unwrap_or_default(),
            &f.source_url,
            0.9,
        ));
    }
    for t in &r.tech {
        out.push(fact(format!("tech.{}", t.category), &t.name, &home, 0.9));
    }
    if let Some(b) = &r.business {
        let src = r
            .structured_data
            .iter()
            .find(|s| s.item_type == b.item_type)
            .map(|s| s.source_url.clone())
            .unwrap_or_else(|| home.clone());
        if let Some(n) = &b.name {
            out.push(fact("business.name", n, &src, 0.9));
        }
        if let Some(a) = &b.address {
            out.push(fact("business.address", a, &src, 0.9));
        }
        if let Some(x) = b.rating {
            out.push(fact("business.rating", x.to_string(), &src, 0.9));
        }
        if let Some(x) = b.review_count {
            out.push(fact("business.review_count", x.to_string(), &src, 0.9));
        }
        if !b.opening_hours.is_empty() {
            out.push(fact(
                "business.opening_hours",
                b.opening_hours.join("; "),
                &src,
                0.9,
            ));
        }
    }
    out.push(fact("tls.https", r.tls.https.to_string(), &home, 1.0));
    if let Some(v) = r.tls.valid {
        out.push(fact("tls.valid", v.to_string(), &home, 1.0));
    }
    if let Some(d) = &r.tls.not_after {
        out.push(fact("tls.expires", d, &home, 1.0));
    }
    out.push(fact(
        "mobile.ready",
        r.mobile.mobile_ready.to_string(),
        &home,
        0.9,
    ));
    if let Some(t) = r.performance.ttfb_ms {
        out.push(fact("performance.ttfb_ms", t.to_string(), &home, 1.0));
    }
    out.push(fact(
        "performance.html_bytes",
        r.performance.html_bytes.to_string(),
        &home,
        1.0,
    ));
    if let Some(y) = r.freshness.copyright_year {
        out.push(fact("freshness.copyright_year", y.to_string(), &home, 0.8));
    }
    if let Some(l) = &r.language {
        out.push(fact("language", l, &home, 0.8));
    }
    out.push(fact(
        "website_score",
        r.website_score.value.to_string(),
        &home,
        1.0,
    ));
    if let Ok(factors) = serde_json::to_string(&r.website_score) {
        out.push(fact("website_score.factors", factors, &home, 1.0));
    }
    out
}
