//! Property tests for the score model: determinism, exact factor sums, range, monotonicity
//! and valid presets.

use proptest::prelude::*;
use prospector_core::scoring::{
    CompanyFields, FACTOR_NAMES, IcpProfile, ReachChannel, ScoreInput, Targets, TierCutoffs,
    Weights, score,
};

fn opt_string(choices: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(choices).prop_map(str::to_owned))
}

fn input_strategy() -> impl Strategy<Value = ScoreInput> {
    let website = (
        any::<bool>(),
        prop::option::of(0u8..=100),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(0u16..=20),
    );
    let reputation = (
        prop::option::of(prop_oneof![0.0f32..=5.0, Just(f32::NAN), Just(7.5f32)]),
        prop::option::of(0u32..=5000),
    );
    let reach = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..=8,
        any::<bool>(),
    );
    let fit = (
        opt_string(&["Restaurant", "Dentist", "Plumber", "Bakeries", ""]),
        opt_string(&["Pune", "Berlin", "Austin"]),
        opt_string(&["Maharashtra", "Texas"]),
        opt_string(&["IN", "DE", "US"]),
        prop::option::of(0u32..=500),
    );
    let timing = (
        any::<bool>(),
        prop::option::of(0u32..=30),
        any::<bool>(),
        any::<bool>(),
    );
    (website, reputation, reach, fit, timing).prop_map(
        |(
            (has_website, website_score, tls_valid, mobile_ready, stale_years),
            (rating, review_count),
            (verified_email, any_email, mobile_phone, any_phone, socials, contact_form),
            (category, city, region, country, employees),
            (new_business, recent_reviews, hiring, ads),
        )| ScoreInput {
            has_website,
            website_score,
            tls_valid,
            mobile_ready,
            stale_years,
            last_update_year: stale_years.map(|y| 2026 - i32::from(y)),
            rating,
            review_count,
            verified_email,
            any_email,
            mobile_phone,
            any_phone,
            socials,
            contact_form,
            category,
            city,
            region,
            country,
            employees,
            locations: None,
            new_business,
            recent_reviews,
            hiring,
            ad_pixels: if ads {
                vec!["Meta Pixel".into()]
            } else {
                vec![]
            },
        },
    )
}

fn profile_strategy() -> impl Strategy<Value = IcpProfile> {
    let weights = (0u8..=100, 0u8..=100, 0u8..=100, 0u8..=100, 0u8..=100).prop_map(
        |(website_opportunity, reputation, reachability, fit, timing)| Weights {
            website_opportunity,
            reputation,
            reachability,
            fit,
            timing,
        },
    );
    let targets = (
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0.0f32..=5.0),
        prop::option::of(0u32..=100),
        prop::option::of(0u32..=50),
    )
        .prop_map(
            |(cats, cities, min_rating, min_reviews, min_employees)| Targets {
                categories: if cats {
                    vec!["restaurant".into(), "dentist".into()]
                } else {
                    vec![]
                },
                cities: if cities { vec!["Pune".into()] } else { vec![] },
                countries: if cities { vec!["DE".into()] } else { vec![] },
                min_rating,
                min_reviews,
                min_employees,
                ..Targets::default()
            },
        );
    let channel = prop::sample::select(vec![
        ReachChannel::Any,
        ReachChannel::Email,
        ReachChannel::Phone,
    ]);
    let presets = IcpProfile::presets();
    (
        weights,
        targets,
        channel,
        0usize..presets.len(),
        1u8..=100,
        1u8..=100,
    )
        .prop_map(move |(weights, targets, channel, base, a, b)| IcpProfile {
            weights,
            targets,
            channel,
            tiers: TierCutoffs {
                a: a.max(b),
                b: a.min(b),
            },
            ..presets[base].clone()
        })
}

fn sum_points(s: &prospector_core::scoring::Score) -> u32 {
    s.factors.iter().map(|f| u32::from(f.points)).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn same_input_same_score(input in input_strategy(), profile in profile_strategy()) {
        let a = score(&input, &profile);
        let b = score(&input.clone(), &profile.clone());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn factors_sum_to_value_within_range(input in input_strategy(), profile in profile_strategy()) {
        let s = score(&input, &profile);
        prop_assert!(s.value <= 100);
        prop_assert_eq!(sum_points(&s), u32::from(s.value));
        let names: Vec<&str> = s.factors.iter().map(|f| f.name.as_str()).collect();
        prop_assert_eq!(names, FACTOR_NAMES.to_vec());
        prop_assert!(s.reason.starts_with(s.tier.as_str()));
        prop_assert!(s.factors.iter().all(|f| !f.reason.is_empty()));
    }

    #[test]
    fn verified_email_never_lowers(input in input_strategy(), profile in profile_strategy()) {
        let mut without = input.clone();
        without.verified_email = false;
        let mut with = input;
        with.verified_email = true;
        let (a, b) = (score(&without, &profile), score(&with, &profile));
        prop_assert!(b.points("reachability") >= a.points("reachability"), "{:?} vs {:?}", a, b);
        prop_assert!(b.value >= a.value);
    }

    #[test]
    fn mobile_number_never_lowers(input in input_strategy(), profile in profile_strategy()) {
        let mut without = input.clone();
        without.mobile_phone = false;
        let mut with = input;
        with.mobile_phone = true;
        let (a, b) = (score(&without, &profile), score(&with, &profile));
        prop_assert!(b.points("reachability") >= a.points("reachability"));
        prop_assert!(b.value >= a.value);
    }

    #[test]
    fn higher_rating_never_lowers_reputation(
        input in input_strategy(),
        profile in profile_strategy(),
        r1 in 0.0f32..=5.0,
        r2 in 0.0f32..=5.0,
    ) {
        let (lo, hi) = (r1.min(r2), r1.max(r2));
        let mut a = input.clone();
        a.rating = Some(lo);
        let mut b = input;
        b.rating = Some(hi);
        let (sa, sb) = (score(&a, &profile), score(&b, &profile));
        prop_assert!(sb.points("reputation") >= sa.points("reputation"), "{:?} vs {:?}", sa, sb);
        prop_assert!(sb.value >= sa.value);
    }

    #[test]
    fn more_reviews_never_lower_reputation(
        input in input_strategy(),
        profile in profile_strategy(),
        n1 in 0u32..=3000,
        n2 in 0u32..=3000,
    ) {
        let mut a = input.clone();
        a.review_count = Some(n1.min(n2));
        let mut b = input;
        b.review_count = Some(n1.max(n2));
        let (sa, sb) = (score(&a, &profile), score(&b, &profile));
        prop_assert!(sb.points("reputation") >= sa.points("reputation"));
    }

    #[test]
    fn from_facts_never_panics(facts in prop::collection::vec((".{0,12}", ".{0,20}"), 0..20), now in any::<i64>()) {
        let company = CompanyFields { now_ms: now, ..CompanyFields::default() };
        let input = ScoreInput::from_facts(&company, &facts);
        let s = score(&input, &IcpProfile::default());
        prop_assert!(s.value <= 100);
    }
}

#[test]
fn every_preset_validates_and_round_trips() {
    let presets = IcpProfile::presets();
    assert_eq!(presets.len(), 4);
    for p in presets {
        assert_eq!(p.validate(), Ok(()), "{}", p.key);
        assert!(!p.description.is_empty());
        let json = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(IcpProfile::from_json(&json).as_ref(), Ok(&p));
        assert_eq!(IcpProfile::preset(&p.key).as_ref(), Some(&p));
    }
}

#[test]
fn validation_errors_are_specific() {
    let p = IcpProfile {
        tiers: TierCutoffs { a: 40, b: 60 },
        ..IcpProfile::default()
    };
    assert_eq!(
        p.validate().map_err(|e| e.to_string()),
        Err("tier A cut-off (40) must be higher than tier B cut-off (60)".into())
    );
    let mut p = IcpProfile::default();
    p.weights.fit = 101;
    assert!(p.validate().is_err());
    let mut p = IcpProfile::default();
    p.targets.min_rating = Some(f32::NAN);
    assert!(p.validate().is_err());
    let mut p = IcpProfile::default();
    p.targets.cities = vec!["  ".into()];
    assert!(p.validate().is_err());
    assert!(IcpProfile::from_json("{\"key\":1}").is_err());
}

#[test]
fn from_facts_reads_scanner_facts() {
    let company = CompanyFields {
        category: Some("Dentist"),
        city: Some("Austin"),
        country: Some("US"),
        website: Some("https://smile.example"),
        rating: Some(4.8),
        review_count: Some(95),
        // 2026-03-01T00:00:00Z
        now_ms: 1_772_323_200_000,
        ..CompanyFields::default()
    };
    let facts = [
        ("website_score", "31"),
        ("tls_valid", "false"),
        ("mobile_ready", "false"),
        ("copyright_year", "2019"),
        ("email", "hello@smile.example"),
        ("email_status", "valid"),
        ("phone", "+15125550100"),
        ("social", "https://instagram.com/smile"),
        ("social", "https://instagram.com/smile/"),
        ("social_facebook", "https://facebook.com/smile"),
        ("tech", "Meta Pixel"),
        ("tech", "WordPress"),
        ("hiring_page", "https://smile.example/careers"),
    ];
    let input = ScoreInput::from_facts(&company, &facts);
    assert!(input.has_website && input.verified_email && input.any_phone && !input.mobile_phone);
    assert_eq!(input.website_score, Some(31));
    assert_eq!(input.stale_years, Some(7));
    assert_eq!(input.socials, 2);
    assert_eq!(input.ad_pixels, vec!["Meta Pixel".to_owned()]);
    assert!(input.hiring);
    let s = score(&input, &IcpProfile::default());
    assert_eq!(sum_points(&s), u32::from(s.value));
    println!(
        "{}",
        serde_json::to_string(&prospector_core::scoring::ScoreLine::new(7, &s)).unwrap_or_default()
    );
}
