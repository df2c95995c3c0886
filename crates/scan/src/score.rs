//! Website score, 0-100. Direction: the value measures how GOOD the website is; for an
//! agency selling web work a LOW value is the opportunity (`opportunity = 100 - value`).
//! Each factor says how many of its points were earned and why, and the points add up to
//! the value, so the number can always be explained to a user.

use crate::report::{ScanReport, ScoreFactor, WebsiteScore};

/// Label stored with every score, so the direction survives in JSON.
pub const DIRECTION: &str = "higher_is_better_website";

fn factor(name: &str, points: u8, max: u8, reason: impl Into<String>) -> ScoreFactor {
    ScoreFactor {
        name: name.into(),
        points: points.min(max),
        max,
        reason: reason.into(),
    }
}

/// Score for a site that could not be loaded: no website to speak of is the biggest
/// opportunity.
pub fn unreachable(reason: &str) -> WebsiteScore {
    WebsiteScore {
        value: 0,
        opportunity: 100,
        direction: DIRECTION.into(),
        factors: vec![factor(
            "reachable",
            0,
            100,
            format!("site could not be loaded: {reason}"),
        )],
    }
}

/// Scores a scanned site. `current_year` is passed in to keep this pure and testable.
pub fn score(r: &ScanReport, current_year: i32) -> WebsiteScore {
    let mut f = Vec::new();
    // Security: 20.
    let tls = &r.tls;
    f.push(match (tls.https, tls.valid) {
        (true, Some(true)) => factor(
            "https",
            15,
            15,
            "served over https with a valid certificate",
        ),
        (true, Some(false)) => factor(
            "https",
            5,
            15,
            format!(
                "https, but the certificate is not valid ({})",
                tls.error.clone().unwrap_or_default()
            ),
        ),
        (true, None) => factor(
            "https",
            12,
            15,
            "served over https (certificate not checked)",
        ),
        (false, _) => factor("https", 0, 15, "no https"),
    });
    f.push(match tls.http_redirects_to_https {
        Some(true) => factor("https_redirect", 5, 5, "http redirects to https"),
        Some(false) => factor("https_redirect", 0, 5, "http does not redirect to https"),
        None if tls.https => factor("https_redirect", 3, 5, "redirect from http not checked"),
        None => factor("https_redirect", 0, 5, "no https to redirect to"),
    });
    // Mobile: 20.
    let m = &r.mobile;
    f.push(if m.mobile_ready {
        factor("mobile_viewport", 12, 12, "viewport set to device width")
    } else if m.viewport {
        factor(
            "mobile_viewport",
            5,
            12,
            "viewport present but not device-width",
        )
    } else {
        factor(
            "mobile_viewport",
            0,
            12,
            "no viewport meta: not built for phones",
        )
    });
    let responsive = u8::from(
        m.media_queries > 0
            || r.tech
                .iter()
                .any(|t| t.name == "Bootstrap" || t.name == "Tailwind CSS"),
    ) * 5
        + u8::from(m.responsive_images) * 3;
    f.push(factor(
        "responsive",
        responsive,
        8,
        format!(
            "{} media queries, responsive images: {}",
            m.media_queries, m.responsive_images
        ),
    ));
    // Speed and weight: 20.
    let p = &r.performance;
    f.push(match p.ttfb_ms {
        Some(t) if t <= 600 => factor("ttfb", 5, 5, format!("first byte after {t} ms")),
        Some(t) if t <= 1500 => factor("ttfb", 2, 5, format!("slow first byte: {t} ms")),
        Some(t) => factor("ttfb", 0, 5, format!("very slow first byte: {t} ms")),
        None => factor("ttfb", 0, 5, "not measured"),
    });
    f.push(match p.load_ms {
        Some(t) if t <= 1500 => factor("load", 5, 5, format!("HTML loaded in {t} ms")),
        Some(t) if t <= 4000 => factor("load", 2, 5, format!("HTML loaded in {t} ms")),
        Some(t) => factor("load", 0, 5, format!("HTML took {t} ms")),
        None => factor("load", 0, 5, "not measured"),
    });
    let kb = p.html_bytes / 1024;
    f.push(if p.truncated {
        factor("weight", 0, 5, "page larger than the size cap")
    } else if kb <= 300 {
        factor("weight", 5, 5, format!("HTML is {kb} KiB"))
    } else if kb <= 1024 {
        factor("weight", 2, 5, format!("heavy HTML: {kb} KiB"))
    } else {
        factor("weight", 0, 5, format!("very heavy HTML: {kb} KiB"))
    });
    f.push(match p.request_count {
        0..=50 => factor("requests", 5, 5, format!("{} requests", p.request_count)),
        51..=100 => factor("requests", 2, 5, format!("{} requests", p.request_count)),
        n => factor("requests", 0, 5, format!("{n} requests")),
    });
    // Freshness: 10.
    let fr = &r.freshness;
    f.push(match fr.copyright_year {
        Some(y) if y >= current_year - 1 => factor("freshness", 10, 10, format!("copyright {y}")),
        Some(y) if y >= current_year - 3 => factor(
            "freshness",
            5,
            10,
            format!("copyright {y}: a few years old"),
        ),
        Some(y) => factor(
            "freshness",
            0,
            10,
            format!("copyright {y}: looks abandoned"),
        ),
        None if fr.date_modified.is_some() || fr.last_modified.is_some() => factor(
            "freshness",
            5,
            10,
            "no copyright year; modification date present",
        ),
        None => factor("freshness", 3, 10, "no copyright year or date found"),
    });
    // Contact: 15.
    let contact = u8::from(!r.emails.is_empty()) * 5
        + u8::from(!r.phones.is_empty()) * 5
        + u8::from(r.contact_forms.iter().any(|c| c.kind != "newsletter")) * 5;
    f.push(factor(
        "contact",
        contact,
        15,
        format!(
            "{} emails, {} phones, {} forms",
            r.emails.len(),
            r.phones.len(),
            r.contact_forms.len()
        ),
    ));
    // Findability: 10.
    let seo = u8::from(r.meta.title.is_some()) * 2
        + u8::from(r.meta.description.is_some()) * 2
        + u8::from(!r.meta.open_graph.is_empty()) * 2
        + u8::from(r.business.is_some() || !r.structured_data.is_empty()) * 4;
    f.push(factor(
        "seo",
        seo,
        10,
        format!(
            "title: {}, description: {}, OpenGraph: {}, schema.org: {}",
            r.meta.title.is_some(),
            r.meta.description.is_some(),
            !r.meta.open_graph.is_empty(),
            !r.structured_data.is_empty()
        ),
    ));
    let socials = if r.socials.is_empty() { 0 } else { 5 };
    f.push(factor(
        "socials",
        socials,
        5,
        format!("{} social profiles linked", r.socials.len()),
    ));
    let value: u32 = f.iter().map(|x| u32::from(x.points)).sum();
    let value = value.min(100) as u8;
    WebsiteScore {
        value,
        opportunity: 100 - value,
        direction: DIRECTION.into(),
        factors: f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::*;

    #[test]
    fn poor_site_scores_low_and_points_add_up() {
        let poor = ScanReport {
            performance: Performance {
                ttfb_ms: Some(2500),
                load_ms: Some(6000),
                html_bytes: 2_000_000,
                request_count: 140,
                ..Default::default()
            },
            freshness: Freshness {
                copyright_year: Some(2012),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = score(&poor, 2025);
        assert!(s.value < 15, "{}", s.value);
        assert_eq!(s.opportunity, 100 - s.value);
        assert_eq!(
            s.factors.iter().map(|f| u32::from(f.points)).sum::<u32>(),
            u32::from(s.value)
        );
        assert_eq!(s.factors.iter().map(|f| u32::from(f.max)).sum::<u32>(), 100);

        let good = ScanReport {
            tls: TlsInfo {
                https: true,
                valid: Some(true),
                http_redirects_to_https: Some(true),
                ..Default::default()
            },
            mobile: Mobile {
                viewport: true,
                device_width: true,
                mobile_ready: true,
                media_queries: 3,
                responsive_images: true,
                ..Default::default()
            },
            performance: Performance {
                ttfb_ms: Some(100),
                load_ms: Some(300),
                html_bytes: 40_000,
                request_count: 20,
                ..Default::default()
            },
            freshness: Freshness {
                copyright_year: Some(2025),
                ..Default::default()
            },
            emails: vec![EmailFinding {
                value: "a@b.de".into(),
                source_url: "x".into(),
                confidence: 1.0,
                method: "mailto".into(),
                same_domain: true,
            }],
            ..Default::default()
        };
        assert!(score(&good, 2025).value > 70);
        assert_eq!(unreachable("timeout").opportunity, 100);
    }
}
