//! Explainable lead scoring: a 0-100 score made of five named factors whose integer points add
//! up exactly to the score, an A/B/C tier from the workspace's cut-offs, and a one-line reason
//! ("A: no website, 4.6 stars from 210 reviews, mobile number found").
//!
//! Everything here is pure integer arithmetic on a [`ScoreInput`] and an [`IcpProfile`], so
//! the same facts and profile always give the same score on every machine, and re-scoring a
//! workspace after a profile change is just calling [`score`] again.
//!
//! How a factor gets its points: the profile's weights split 100 maximum points between the
//! five factors (largest remainder, so the maxima are integers summing to exactly 100; see
//! [`IcpProfile::max_points`]). Each factor rates the company on a 0..=1000 scale ("raw")
//! from the sub-signals documented on the factor functions below, and earns
//! `round(raw * max / 1000)` points. The score is the sum of the points, so it is exactly
//! their sum, lies in 0..=100, reaches 100 for a perfect company, and a better sub-signal can
//! only add points to its own factor and to the total (no rounding interplay between
//! factors), which is what makes "adding a verified email never lowers reachability" hold.

mod input;
mod profile;

pub use input::{CompanyFields, ScoreInput, kinds};
pub use profile::{IcpError, IcpProfile, MAX_WEIGHT, ReachChannel, Targets, TierCutoffs, Weights};

use serde::{Deserialize, Serialize};

/// Stored with every score so the app can tell which scores an algorithm change made stale.
pub const MODEL_VERSION: &str = "score-v1";

/// Factor names, in the order they appear in [`Score::factors`].
pub const FACTOR_NAMES: [&str; 5] = [
    "website_opportunity",
    "reputation",
    "reachability",
    "fit",
    "timing",
];

/// Full rating of one factor on the internal 0..=1000 scale.
const FULL: u32 = 1000;

/// Priority tier from the workspace's cut-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    A,
    B,
    C,
}

impl Tier {
    /// Tier of `value` under `cutoffs` (A when `value >= a`, B when `value >= b`).
    pub fn for_value(value: u8, cutoffs: TierCutoffs) -> Tier {
        if value >= cutoffs.a {
            Tier::A
        } else if value >= cutoffs.b {
            Tier::B
        } else {
            Tier::C
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named part of the score with its points and a human reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub points: u8,
    pub reason: String,
}

/// A computed score. Serialises (for the `scores` table) as
/// `{"value","tier","reason","factors":[{"name","points","reason"}],"model_version"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// 0..=100; always equal to the sum of `factors[*].points`.
    pub value: u8,
    pub tier: Tier,
    /// "A: no website, 4.6 stars from 210 reviews, mobile number found".
    pub reason: String,
    /// Always the five factors of [`FACTOR_NAMES`], in that order, zero-point ones included.
    pub factors: Vec<Factor>,
    pub model_version: String,
}

impl Score {
    /// Points of the named factor (0 when absent).
    pub fn points(&self, name: &str) -> u8 {
        self.factors
            .iter()
            .find(|f| f.name == name)
            .map_or(0, |f| f.points)
    }
}

/// One line of `prospector score --json`: exactly
/// `{"company_id":..,"value":..,"tier":"A|B|C","reason":"..","factors":[{"name","points","reason"}]}`.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreLine<'a> {
    pub company_id: i64,
    pub value: u8,
    pub tier: Tier,
    pub reason: &'a str,
    pub factors: &'a [Factor],
}

impl<'a> ScoreLine<'a> {
    pub fn new(company_id: i64, score: &'a Score) -> Self {
        ScoreLine {
            company_id,
            value: score.value,
            tier: score.tier,
            reason: &score.reason,
            factors: &score.factors,
        }
    }
}

/// A sub-signal that may be quoted in the one-line reason.
struct Highlight {
    /// Share of the factor's 0..=1000 rating this signal earned.
    raw: u32,
    phrase: String,
}

/// A factor before its points are apportioned.
struct Rated {
    name: &'static str,
    raw: u32,
    reason: String,
    highlights: Vec<Highlight>,
}

fn hl(raw: u32, phrase: impl Into<String>) -> Highlight {
    Highlight {
        raw,
        phrase: phrase.into(),
    }
}

/// Scores one company against one profile. Pure and total: an unvalidated profile (say, all
/// weights 0) yields a zero score rather than a panic.
pub fn score(input: &ScoreInput, profile: &IcpProfile) -> Score {
    let w = &profile.weights;
    let rated = [
        (website_opportunity(input), w.website_opportunity),
        (reputation(input), w.reputation),
        (reachability(input, profile.channel), w.reachability),
        (fit(input, &profile.targets), w.fit),
        (timing(input), w.timing),
    ];

    // Each factor's maximum is fixed by the profile alone (integers summing to 100), and its
    // points are its own rating rounded against that maximum: independent per factor, so a
    // better signal can only add points, and the total is their sum by construction.
    let max = profile.max_points();
    let points: Vec<u32> = rated
        .iter()
        .zip(max)
        .map(|((r, _), m)| (r.raw.min(FULL) * u32::from(m) + FULL / 2) / FULL)
        .collect();
    let value: u32 = points.iter().sum();
    let factors: Vec<Factor> = rated
        .iter()
        .zip(&points)
        .map(|((r, _), p)| Factor {
            name: r.name.to_owned(),
            points: u8::try_from(*p).unwrap_or(100),
            reason: r.reason.clone(),
        })
        .collect();
    let value = u8::try_from(value).unwrap_or(100);
    let tier = Tier::for_value(value, profile.tiers);
    let reason = one_line_reason(tier, &rated);
    Score {
        value,
        tier,
        reason,
        factors,
        model_version: MODEL_VERSION.to_owned(),
    }
}

/// The tier, then the two or three sub-signals that earned the most points overall.
fn one_line_reason(tier: Tier, rated: &[(Rated, u8)]) -> String {
    let mut all: Vec<(u64, usize, &str)> = Vec::new();
    for (r, weight) in rated {
        for h in &r.highlights {
            let weighted = u64::from(h.raw) * u64::from(*weight);
            if weighted > 0 {
                all.push((weighted, all.len(), h.phrase.as_str()));
            }
        }
    }
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let top: Vec<&str> = all.iter().take(3).map(|(_, _, p)| *p).collect();
    if top.is_empty() {
        format!("{tier}: no strong signals yet")
    } else {
        format!("{tier}: {}", top.join(", "))
    }
}

/// Website opportunity (a poor or missing site is what a web seller wants):
/// no website = 1000; otherwise up to 900 from a low website score (450, half of it when not
/// scanned yet), no valid TLS (150), not mobile-ready (200) and a site not updated for 2+
/// years (50) or 4+ years (100).
fn website_opportunity(i: &ScoreInput) -> Rated {
    let name = "website_opportunity";
    if !i.has_website {
        return Rated {
            name,
            raw: FULL,
            reason: "no website found".into(),
            highlights: vec![hl(FULL, "no website")],
        };
    }
    let mut raw = 0;
    let mut parts: Vec<String> = Vec::new();
    let mut highlights = Vec::new();
    match i.website_score {
        Some(s) => {
            let s = u32::from(s.min(100));
            let pts = 450 * (100 - s) / 100;
            raw += pts;
            let label = if s < 50 {
                "weak website"
            } else if s < 75 {
                "average website"
            } else {
                "good website"
            };
            let phrase = format!("{label} ({s}/100)");
            if s < 50 {
                highlights.push(hl(pts, phrase.clone()));
            }
            parts.push(phrase);
        }
        None => {
            raw += 225;
            parts.push("website not scanned yet".into());
        }
    }
    if i.tls_valid == Some(false) {
        raw += 150;
        parts.push("no valid HTTPS".into());
        highlights.push(hl(150, "no valid HTTPS"));
    }
    if i.mobile_ready == Some(false) {
        raw += 200;
        parts.push("not mobile-friendly".into());
        highlights.push(hl(200, "not mobile-friendly"));
    }
    if let Some(years) = i.stale_years
        && years >= 2
    {
        let pts = if years >= 4 { 100 } else { 50 };
        raw += pts;
        let phrase = match i.last_update_year {
            Some(y) => format!("site not updated since {y}"),
            None => format!("site not updated for {years} years"),
        };
        parts.push(phrase.clone());
        highlights.push(hl(pts, phrase));
    }
    Rated {
        name,
        raw,
        reason: parts.join(", "),
        highlights,
    }
}

/// Rating tenths (0..=50) when the rating is a usable number.
fn rating_tenths(r: Option<f32>) -> Option<u32> {
    let r = r.filter(|r| r.is_finite())?;
    // Clamped to 0..=50 first, so the cast cannot truncate.
    Some((r * 10.0).round().clamp(0.0, 50.0) as u32)
}

/// Piecewise-linear review-count curve: many reviews matter, but the 500th less than the 5th.
fn review_points(n: u32) -> u32 {
    const ANCHORS: [(u32, u32); 6] = [
        (0, 0),
        (5, 120),
        (20, 220),
        (50, 300),
        (100, 360),
        (200, 400),
    ];
    for pair in ANCHORS.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if n <= x1 {
            return y0 + (y1 - y0) * (n - x0) / (x1 - x0);
        }
    }
    400
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Reputation: up to 600 from the rating above 3.0 stars (scaled linearly to 5.0, weighed by
/// confidence = min(reviews, 10)/10, or 1/2 when the count is unknown) plus up to 400 from the
/// review count. Monotone in both rating and review count.
fn reputation(i: &ScoreInput) -> Rated {
    let tenths = rating_tenths(i.rating);
    let reviews = i.review_count.unwrap_or(0);
    let confidence = match i.review_count {
        Some(n) => n.min(10),
        None if tenths.is_some() => 5,
        None => 0,
    };
    let rating_pts = tenths.map_or(0, |t| 600 * t.saturating_sub(30) * confidence / 200);
    let raw = rating_pts + review_points(reviews);
    let stars = tenths.map(|t| format!("{}.{} stars", t / 10, t % 10));
    let reason = match (stars, i.review_count) {
        (Some(s), Some(n)) => format!("{s} from {}", plural(n, "review", "reviews")),
        (Some(s), None) => s,
        (None, Some(0)) | (None, None) => "no rating or reviews found".into(),
        (None, Some(n)) => plural(n, "review", "reviews"),
    };
    // Only a solid reputation is a reason to call; a weak one is not quoted.
    let highlights = if raw >= 400 {
        vec![hl(raw, reason.clone())]
    } else {
        Vec::new()
    };
    Rated {
        name: "reputation",
        raw,
        reason,
        highlights,
    }
}

/// Reachability: points for a verified (or at least some) email, a mobile/WhatsApp (or any)
/// number, a contact form and social profiles. The split follows the workspace's channel;
/// each split sums to 1000 and a verified email always earns at least an unverified one.
fn reachability(i: &ScoreInput, channel: ReachChannel) -> Rated {
    // (verified email, any email, mobile, any phone, contact form, per social, social cap)
    let (ev, ea, pm, pa, form, social, cap) = match channel {
        ReachChannel::Any => (400, 250, 300, 180, 120, 60, 3),
        ReachChannel::Email => (550, 350, 150, 100, 150, 50, 3),
        ReachChannel::Phone => (150, 100, 550, 250, 100, 50, 4),
    };
    let mut raw = 0;
    let mut highlights = Vec::new();
    if i.verified_email {
        raw += ev;
        highlights.push(hl(ev, "verified email"));
    } else if i.any_email {
        raw += ea;
        highlights.push(hl(ea, "email found"));
    }
    if i.mobile_phone {
        raw += pm;
        highlights.push(hl(pm, "mobile number found"));
    } else if i.any_phone {
        raw += pa;
        highlights.push(hl(pa, "phone number found"));
    }
    if i.contact_form {
        raw += form;
        highlights.push(hl(form, "contact form"));
    }
    let socials = u32::from(i.socials).min(cap);
    if socials > 0 {
        let pts = social * socials;
        raw += pts;
        highlights.push(hl(
            pts,
            plural(u32::from(i.socials), "social profile", "social profiles"),
        ));
    }
    let reason = if highlights.is_empty() {
        "no email, phone, form or social profile found".to_owned()
    } else {
        highlights
            .iter()
            .map(|h| h.phrase.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Rated {
        name: "reachability",
        raw,
        reason,
        highlights,
    }
}

/// Lower-cased, trimmed, with a plural `s` dropped, so "Restaurants" matches "restaurant".
fn norm(s: &str) -> String {
    let l = s.trim().to_lowercase();
    match l.strip_suffix('s') {
        Some(stem) if stem.chars().count() >= 3 => stem.to_owned(),
        _ => l,
    }
}

fn matches_any(value: &str, targets: &[String]) -> bool {
    let v = norm(value);
    !v.is_empty()
        && targets.iter().any(|t| {
            let t = norm(t);
            !t.is_empty() && (v.contains(&t) || t.contains(&v))
        })
}

fn eq_any(value: Option<&str>, targets: &[String]) -> bool {
    value.is_some_and(|v| {
        targets
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case(v.trim()))
    })
}

/// Fit with the profile's targets: the mean over the targets that are set (category,
/// location, size, minimum rating, minimum reviews) of 1000 for a match, 0 for a miss and a
/// partial amount when the company's value is unknown. No targets at all = everyone fits.
fn fit(i: &ScoreInput, t: &Targets) -> Rated {
    let name = "fit";
    if t.is_empty() {
        return Rated {
            name,
            raw: FULL,
            reason: "no targets set: every company fits".into(),
            highlights: Vec::new(),
        };
    }
    let mut dims: Vec<u32> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut matched: Vec<String> = Vec::new();

    if !t.categories.is_empty() {
        match i.category.as_deref() {
            None => {
                dims.push(400);
                parts.push("category unknown".into());
            }
            Some(c) if matches_any(c, &t.categories) => {
                dims.push(FULL);
                parts.push(format!("target category ({c})"));
                matched.push(c.to_lowercase());
            }
            Some(c) => {
                dims.push(0);
                parts.push(format!("category {c} not targeted"));
            }
        }
    }

    let (has_city, has_region, has_country) = (
        !t.cities.is_empty(),
        !t.regions.is_empty(),
        !t.countries.is_empty(),
    );
    if has_city || has_region || has_country {
        let place = i
            .city
            .as_deref()
            .or(i.region.as_deref())
            .or(i.country.as_deref());
        let (raw, label) = if has_city && eq_any(i.city.as_deref(), &t.cities) {
            (FULL, "in target city")
        } else if has_region && eq_any(i.region.as_deref(), &t.regions) {
            (if has_city { 700 } else { FULL }, "in target region")
        } else if has_country && eq_any(i.country.as_deref(), &t.countries) {
            (
                if has_city || has_region { 400 } else { FULL },
                "in target country",
            )
        } else if place.is_none() {
            (300, "location unknown")
        } else {
            (0, "outside target area")
        };
        dims.push(raw);
        match place {
            Some(p) if raw > 300 => {
                parts.push(format!("{label} ({p})"));
                if raw == FULL {
                    matched.push(format!("in {p}"));
                }
            }
            Some(p) => parts.push(format!("{label} ({p})")),
            None => parts.push(label.into()),
        }
    }

    if t.min_employees.is_some() || t.max_employees.is_some() {
        let min = t.min_employees.unwrap_or(0);
        let max = t.max_employees.unwrap_or(u32::MAX);
        match i.employees {
            None => {
                dims.push(500);
                parts.push("size unknown".into());
            }
            Some(n) if (min..=max).contains(&n) => {
                dims.push(FULL);
                parts.push(format!("{n} employees, in range"));
            }
            Some(n) => {
                dims.push(0);
                parts.push(format!("{n} employees, out of range"));
            }
        }
    }

    if let Some(min) = t.min_rating {
        match rating_tenths(i.rating) {
            None => {
                dims.push(400);
                parts.push("rating unknown".into());
            }
            Some(tenths) if f64::from(tenths) + 1e-6 >= f64::from(min) * 10.0 => {
                dims.push(FULL);
            }
            Some(_) => {
                dims.push(0);
                parts.push(format!("rating below {min:.1}"));
            }
        }
    }

    if let Some(min) = t.min_reviews {
        match i.review_count {
            None => {
                dims.push(400);
                parts.push("review count unknown".into());
            }
            Some(n) if n >= min => dims.push(FULL),
            Some(n) => {
                dims.push(0);
                parts.push(format!(
                    "{} (minimum {min})",
                    plural(n, "review", "reviews")
                ));
            }
        }
    }

    let count = u32::try_from(dims.len()).unwrap_or(1).max(1);
    let raw = dims.iter().sum::<u32>() / count;
    if parts.is_empty() {
        parts.push("meets your minimums".into());
    }
    let highlights = if matched.is_empty() || raw < 500 {
        Vec::new()
    } else {
        vec![hl(
            raw,
            format!("fits your profile ({})", matched.join(", ")),
        )]
    };
    Rated {
        name,
        raw,
        reason: parts.join(", "),
        highlights,
    }
}

/// Timing and intent: new business (300), recent reviews (150 for one, 250 for five or more),
/// a hiring page (250) and ad pixels (200): signs the business is spending or changing now.
fn timing(i: &ScoreInput) -> Rated {
    let mut raw = 0;
    let mut highlights = Vec::new();
    if i.new_business {
        raw += 300;
        highlights.push(hl(300, "new business"));
    }
    if let Some(n) = i.recent_reviews.filter(|n| *n > 0) {
        let pts = if n >= 5 { 250 } else { 150 };
        raw += pts;
        highlights.push(hl(pts, plural(n, "recent review", "recent reviews")));
    }
    if i.hiring {
        raw += 250;
        highlights.push(hl(250, "hiring"));
    }
    if !i.ad_pixels.is_empty() {
        raw += 200;
        highlights.push(hl(200, format!("runs ads ({})", i.ad_pixels.join(", "))));
    }
    let reason = if highlights.is_empty() {
        "no timing signals".to_owned()
    } else {
        highlights
            .iter()
            .map(|h| h.phrase.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Rated {
        name: "timing",
        raw,
        reason,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restaurant() -> ScoreInput {
        ScoreInput {
            has_website: false,
            rating: Some(4.6),
            review_count: Some(210),
            mobile_phone: true,
            any_phone: true,
            socials: 1,
            category: Some("Restaurant".into()),
            city: Some("Pune".into()),
            country: Some("IN".into()),
            ..ScoreInput::default()
        }
    }

    #[test]
    fn sample_restaurant_is_tier_a_with_readable_reason() {
        let s = score(&restaurant(), &IcpProfile::default());
        assert_eq!(s.tier, Tier::A, "{s:?}");
        assert_eq!(
            s.reason,
            "A: no website, 4.6 stars from 210 reviews, mobile number found"
        );
        let sum: u32 = s.factors.iter().map(|f| u32::from(f.points)).sum();
        assert_eq!(sum, u32::from(s.value));
        assert_eq!(s.value, 75);
        println!(
            "{}",
            serde_json::to_string(&ScoreLine::new(1042, &s)).unwrap_or_default()
        );
    }

    #[test]
    fn score_line_json_matches_cli_contract() {
        let s = score(&restaurant(), &IcpProfile::default());
        let line = serde_json::to_value(ScoreLine::new(42, &s)).unwrap_or_default();
        let keys: Vec<&String> = line
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 5);
        assert_eq!(line["company_id"], 42);
        assert_eq!(line["tier"], "A");
        assert_eq!(line["factors"][0]["name"], "website_opportunity");
        assert!(line["factors"][0]["points"].is_u64());
    }

    #[test]
    fn zero_weights_do_not_panic() {
        let p = IcpProfile {
            weights: Weights {
                website_opportunity: 0,
                reputation: 0,
                reachability: 0,
                fit: 0,
                timing: 0,
            },
            ..IcpProfile::default()
        };
        let s = score(&restaurant(), &p);
        assert_eq!(s.value, 0);
        assert!(p.validate().is_err());
    }

    #[test]
    fn nan_rating_is_ignored() {
        let mut i = restaurant();
        i.rating = Some(f32::NAN);
        let s = score(&i, &IcpProfile::default());
        assert!(s.value <= 100);
    }

    #[test]
    fn fit_uses_targets() {
        let mut p = IcpProfile::default();
        p.targets.categories = vec!["restaurants".into()];
        p.targets.cities = vec!["pune".into()];
        let s = score(&restaurant(), &p);
        assert_eq!(s.points("fit"), 10);
        p.targets.cities = vec!["Mumbai".into()];
        let s = score(&restaurant(), &p);
        assert_eq!(s.points("fit"), 5, "{s:?}");
    }
}
