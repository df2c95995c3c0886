//! The deterministic fallback: same facts, same text; every field filled for sparse and rich
//! facts; and the text reads like a person wrote it.

use prospector_ai::{AnalysisSource, BusinessFacts, analyze_business, fallback, opening_line};

fn sparse() -> BusinessFacts {
    BusinessFacts {
        name: "Kim's Bakery".into(),
        ..BusinessFacts::default()
    }
}

fn no_website() -> BusinessFacts {
    BusinessFacts {
        name: "Rosa's Trattoria".into(),
        category: Some("Italian restaurant".into()),
        city: Some("Pune".into()),
        country: Some("IN".into()),
        rating: Some(4.6),
        review_count: Some(210),
        has_phone: true,
        has_mobile_phone: true,
        socials: vec!["Instagram".into()],
        ..BusinessFacts::default()
    }
}

fn weak_site() -> BusinessFacts {
    BusinessFacts {
        name: "Bright Smile Dental".into(),
        category: Some("Dentist".into()),
        city: Some("Austin".into()),
        website: Some("https://www.brightsmile.example/".into()),
        website_score: Some(31),
        tls_valid: Some(false),
        mobile_ready: Some(false),
        last_update_year: Some(2019),
        stale_years: Some(7),
        rating: Some(4.8),
        review_count: Some(95),
        recent_reviews: Some(6),
        has_email: true,
        has_phone: true,
        phone_on_website: Some(false),
        tech: vec!["WordPress".into(), "Meta Pixel".into()],
        ad_pixels: vec!["Meta Pixel".into()],
        hiring: true,
        ..BusinessFacts::default()
    }
}

fn all() -> Vec<BusinessFacts> {
    vec![sparse(), no_website(), weak_site()]
}

#[test]
fn deterministic() {
    for f in all() {
        assert_eq!(fallback::analyze(&f), fallback::analyze(&f.clone()));
        assert_eq!(fallback::opening_line(&f), fallback::opening_line(&f));
    }
}

#[test]
fn every_field_filled_for_sparse_and_rich_facts() {
    for f in all() {
        let a = fallback::analyze(&f);
        assert!(!a.summary.trim().is_empty(), "{f:?}");
        assert!(!a.pain_points.is_empty() && a.pain_points.len() <= 4);
        assert!(!a.hooks.is_empty() && a.hooks.len() <= 4);
        assert!(
            a.pain_points
                .iter()
                .chain(&a.hooks)
                .all(|s| !s.trim().is_empty())
        );
        assert!(!a.opening_line.trim().is_empty());
        assert!(a.opening_line.chars().count() <= 240, "{}", a.opening_line);
        assert!(!a.opening_line.contains("{{") && !a.summary.contains("  "));
        assert_eq!(a.source, AnalysisSource::Fallback);
        assert_eq!(a.usage.cost_micros, 0);
        println!("{}\n", serde_json::to_string_pretty(&a).unwrap_or_default());
    }
}

#[test]
fn texts_follow_the_facts() {
    let a = fallback::analyze(&no_website());
    assert_eq!(
        a.summary,
        "Rosa's Trattoria is an Italian restaurant in Pune, rated 4.6 stars from 210 reviews. It has no website we could find. Reachable by mobile phone."
    );
    assert!(a.pain_points[0].starts_with("No website"));
    assert_eq!(a.hooks[0], "Congrats on 210 reviews at 4.6 stars");
    assert!(
        a.opening_line.contains("you don't seem to have a website"),
        "{}",
        a.opening_line
    );

    let b = fallback::analyze(&weak_site());
    assert!(b.summary.contains("Its website (brightsmile.example) scores 31/100 on our checks: no valid HTTPS, not mobile-friendly and unchanged since 2019."), "{}", b.summary);
    assert!(
        b.pain_points
            .iter()
            .any(|p| p.contains("doesn't show a phone number"))
    );
    assert!(
        b.hooks
            .iter()
            .any(|h| h == "6 new reviews in the last three months")
    );
    assert!(b.hooks.iter().any(|h| h.contains("Meta Pixel")));

    let c = fallback::analyze(&sparse());
    assert_eq!(
        c.summary,
        "We know little about Kim's Bakery yet. It has no website we could find. No email or phone number found yet."
    );
    assert_eq!(c.hooks, vec!["Kim's Bakery".to_owned()]);
}

#[tokio::test]
async fn no_client_means_fallback() -> anyhow::Result<()> {
    for f in all() {
        assert_eq!(analyze_business(None, &f).await?, fallback::analyze(&f));
        let line = opening_line(None, &f).await?;
        assert_eq!(line.source, AnalysisSource::Fallback);
        assert_eq!(line.text, fallback::opening_line(&f));
    }
    Ok(())
}
