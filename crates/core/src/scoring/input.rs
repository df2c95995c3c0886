//! What the score looks at, and how it is read from a company row plus its stored facts.
//!
//! `Option` / `None` always means "not known yet" (not scanned, not verified), which the score
//! treats more gently than a known "no": an unscanned site is not proof of a poor one.

use serde::{Deserialize, Serialize};

/// Fact kinds understood by [`ScoreInput::from_facts`]. The scanner and verifier should store
/// facts under these kinds; a few aliases are accepted so older rows still score.
pub mod kinds {
    /// Website URL (any value means the company has a site).
    pub const WEBSITE: &str = "website";
    /// Website score `0..=100`; LOW means a poor site.
    pub const WEBSITE_SCORE: &str = "website_score";
    /// `true`/`false`: certificate valid and HTTPS served.
    pub const TLS_VALID: &str = "tls_valid";
    /// `true`/`false`: viewport and responsive signals present.
    pub const MOBILE_READY: &str = "mobile_ready";
    /// Four-digit year from the footer copyright notice.
    pub const COPYRIGHT_YEAR: &str = "copyright_year";
    /// `Last-Modified` of the home page: unix milliseconds or an ISO date `YYYY-MM-DD...`.
    pub const LAST_MODIFIED: &str = "last_modified";
    /// Average rating, `0..=5` (e.g. `4.6`), from schema.org or a listing source.
    pub const RATING: &str = "rating";
    /// Number of reviews.
    pub const REVIEW_COUNT: &str = "review_count";
    /// Reviews in the last 90 days.
    pub const RECENT_REVIEW_COUNT: &str = "recent_review_count";
    /// An email address found anywhere.
    pub const EMAIL: &str = "email";
    /// An address whose verification status is `valid` (value = address).
    pub const VERIFIED_EMAIL: &str = "verified_email";
    /// Verification outcome `valid|risky|invalid|unknown`; `valid` counts as a verified email.
    pub const EMAIL_STATUS: &str = "email_status";
    /// Any phone number (E.164).
    pub const PHONE: &str = "phone";
    /// A mobile number (E.164): reachable by SMS/WhatsApp.
    pub const MOBILE_PHONE: &str = "mobile_phone";
    /// A WhatsApp number or `wa.me` link.
    pub const WHATSAPP: &str = "whatsapp";
    /// A social profile URL (one fact per profile); `social_<network>` kinds count too.
    pub const SOCIAL: &str = "social";
    /// A contact form URL.
    pub const CONTACT_FORM: &str = "contact_form";
    /// Employee count (number).
    pub const EMPLOYEES: &str = "employees";
    /// Number of locations/branches (number).
    pub const LOCATIONS: &str = "locations";
    /// Year the business was founded or first listed.
    pub const FOUNDED_YEAR: &str = "founded_year";
    /// `true` when a source flags the business as newly opened.
    pub const NEW_BUSINESS: &str = "new_business";
    /// A careers/jobs page URL.
    pub const HIRING_PAGE: &str = "hiring_page";
    /// A detected technology name (`Meta Pixel`, `Google Ads`, ...).
    pub const TECH: &str = "tech";
    /// An ad pixel name, when the scanner stores it separately from `tech`.
    pub const AD_PIXEL: &str = "ad_pixel";
}

/// Everything the score knows about one company. Build it with [`ScoreInput::from_facts`] or
/// fill it directly in tests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreInput {
    // Website opportunity.
    pub has_website: bool,
    /// 0-100 from the scanner; LOW = poor site. `None` = not scanned.
    pub website_score: Option<u8>,
    pub tls_valid: Option<bool>,
    pub mobile_ready: Option<bool>,
    /// Whole years since the site was last visibly updated (copyright year / Last-Modified).
    pub stale_years: Option<u16>,
    /// The year that staleness was measured from, for the explanation ("© 2019").
    pub last_update_year: Option<i32>,

    // Reputation.
    pub rating: Option<f32>,
    pub review_count: Option<u32>,

    // Reachability.
    pub verified_email: bool,
    pub any_email: bool,
    /// A mobile or WhatsApp number.
    pub mobile_phone: bool,
    pub any_phone: bool,
    pub socials: u8,
    pub contact_form: bool,

    // Fit.
    pub category: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub employees: Option<u32>,
    pub locations: Option<u32>,

    // Timing / intent.
    pub new_business: bool,
    pub recent_reviews: Option<u32>,
    pub hiring: bool,
    /// Names of ad pixels seen (Meta Pixel, Google Ads...). Non-empty = spends on ads.
    pub ad_pixels: Vec<String>,
}

/// The columns of a `companies` row the score uses. Borrowed so the app can build it from a
/// row without cloning.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompanyFields<'a> {
    pub category: Option<&'a str>,
    pub city: Option<&'a str>,
    pub region: Option<&'a str>,
    pub country: Option<&'a str>,
    pub website: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub rating: Option<f32>,
    pub review_count: Option<u32>,
    /// "Now" in UTC unix milliseconds, passed in so scoring stays pure and reproducible.
    pub now_ms: i64,
}

/// Ad technologies that show a business already pays for advertising.
const AD_TECH: &[&str] = &[
    "meta pixel",
    "facebook pixel",
    "google ads",
    "google adwords",
    "adwords",
    "tiktok pixel",
    "linkedin insight",
    "microsoft advertising",
    "bing ads",
    "pinterest tag",
    "snap pixel",
    "twitter pixel",
    "x pixel",
];

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Some(true),
        "false" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// A present fact counts as true unless its value explicitly says false.
fn present(v: &str) -> bool {
    parse_bool(v).unwrap_or(!v.trim().is_empty())
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn parse_rating(v: &str) -> Option<f32> {
    v.trim()
        .parse::<f32>()
        .ok()
        .filter(|r| r.is_finite() && (0.0..=5.0).contains(r))
}

fn parse_count(v: &str) -> Option<u32> {
    let t = v.trim().replace([',', '_'], "");
    t.parse::<u32>().ok()
}

/// Civil year of a UTC unix-millisecond timestamp (Howard Hinnant's days-to-civil).
pub(crate) fn year_of_ms(ms: i64) -> i32 {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX })
}

/// A year from `2019`, `2019-04-01...`, an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`),
/// `© 2019`, or unix milliseconds; plausible years only.
fn parse_year(v: &str) -> Option<i32> {
    let t = v.trim();
    let y = if t.len() >= 10 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<i64>().ok().map(year_of_ms)
    } else {
        t.split(|c: char| !c.is_ascii_alphanumeric())
            .find(|tok| tok.len() == 4 && tok.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|tok| tok.parse::<i32>().ok())
    }?;
    (1990..=2200).contains(&y).then_some(y)
}

impl ScoreInput {
    /// Builds the input from a company row and its facts as `(kind, value)` pairs (see
    /// [`kinds`]). Facts should be in chronological order: for single-valued kinds (website
    /// score, rating, ...) the last one wins; list kinds (socials, ad pixels) are de-duplicated.
    /// Unknown kinds and unparsable values are ignored, never an error: facts come from the web.
    pub fn from_facts<K: AsRef<str>, V: AsRef<str>>(
        company: &CompanyFields<'_>,
        facts: &[(K, V)],
    ) -> ScoreInput {
        let now_year = year_of_ms(company.now_ms);
        let mut input = ScoreInput {
            has_website: company.website.is_some_and(|w| !w.trim().is_empty()),
            any_phone: company.phone.is_some_and(|p| !p.trim().is_empty()),
            rating: company
                .rating
                .filter(|r| r.is_finite() && (0.0..=5.0).contains(r)),
            review_count: company.review_count,
            category: non_empty(company.category),
            city: non_empty(company.city),
            region: non_empty(company.region),
            country: non_empty(company.country),
            ..ScoreInput::default()
        };
        let mut socials: Vec<String> = Vec::new();
        let mut last_update: Option<i32> = None;
        let mut founded: Option<i32> = None;

        for (kind, value) in facts {
            let kind = kind.as_ref().trim().to_ascii_lowercase();
            let value = value.as_ref().trim();
            match kind.as_str() {
                kinds::WEBSITE | "website_url" | "final_url" => {
                    input.has_website |= !value.is_empty();
                }
                kinds::WEBSITE_SCORE => {
                    if let Some(s) = parse_count(value).and_then(|n| u8::try_from(n).ok()) {
                        input.website_score = Some(s.min(100));
                        input.has_website = true;
                    }
                }
                kinds::TLS_VALID | "ssl_valid" => {
                    input.tls_valid = parse_bool(value).or(input.tls_valid);
                }
                kinds::MOBILE_READY | "mobile_friendly" => {
                    input.mobile_ready = parse_bool(value).or(input.mobile_ready);
                }
                kinds::COPYRIGHT_YEAR | kinds::LAST_MODIFIED => {
                    if let Some(y) = parse_year(value) {
                        last_update = Some(last_update.map_or(y, |l| l.max(y)));
                    }
                }
                kinds::RATING => input.rating = parse_rating(value).or(input.rating),
                kinds::REVIEW_COUNT => {
                    input.review_count = parse_count(value).or(input.review_count);
                }
                kinds::RECENT_REVIEW_COUNT => {
                    input.recent_reviews = parse_count(value).or(input.recent_reviews);
                }
                kinds::EMAIL => input.any_email |= value.contains('@'),
                kinds::VERIFIED_EMAIL => {
                    let ok = value.contains('@') || parse_bool(value) == Some(true);
                    input.verified_email |= ok;
                    input.any_email |= ok;
                }
                kinds::EMAIL_STATUS | "email_verification" => {
                    let ok = value.eq_ignore_ascii_case("valid");
                    input.verified_email |= ok;
                    input.any_email |= ok;
                }
                kinds::PHONE => input.any_phone |= !value.is_empty(),
                kinds::MOBILE_PHONE | kinds::WHATSAPP | "phone_mobile" => {
                    let ok = present(value);
                    input.mobile_phone |= ok;
                    input.any_phone |= ok;
                }
                kinds::CONTACT_FORM => input.contact_form |= present(value),
                kinds::EMPLOYEES => input.employees = parse_count(value).or(input.employees),
                kinds::LOCATIONS => input.locations = parse_count(value).or(input.locations),
                kinds::FOUNDED_YEAR => founded = parse_year(value).or(founded),
                kinds::NEW_BUSINESS => input.new_business |= parse_bool(value) == Some(true),
                kinds::HIRING_PAGE | "hiring" | "careers_page" => input.hiring |= present(value),
                kinds::TECH | kinds::AD_PIXEL => {
                    let lower = value.to_ascii_lowercase();
                    let is_ad = kind == kinds::AD_PIXEL || AD_TECH.iter().any(|t| lower == *t);
                    if is_ad && !value.is_empty() && !input.ad_pixels.iter().any(|p| p == value) {
                        input.ad_pixels.push(value.to_owned());
                    }
                }
                k if k == kinds::SOCIAL || k.starts_with("social_") => {
                    let key = value.trim_end_matches('/').to_ascii_lowercase();
                    if !key.is_empty() && !socials.contains(&key) {
                        socials.push(key);
                    }
                }
                _ => {}
            }
        }

        input.socials = u8::try_from(socials.len()).unwrap_or(u8::MAX);
        if let Some(y) = last_update {
            input.last_update_year = Some(y);
            input.stale_years = u16::try_from((now_year - y).max(0)).ok();
        }
        if let Some(f) = founded {
            input.new_business |= (0..=1).contains(&(now_year - f));
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_of_ms_matches_known_dates() {
        assert_eq!(year_of_ms(0), 1970);
        // 2024-02-29T12:00:00Z
        assert_eq!(year_of_ms(1_709_208_000_000), 2024);
        // 2023-12-31T23:59:59Z
        assert_eq!(year_of_ms(1_704_067_199_000), 2023);
        assert_eq!(year_of_ms(-1), 1969);
    }

    #[test]
    fn parses_years_in_several_shapes() {
        assert_eq!(parse_year("2019"), Some(2019));
        assert_eq!(parse_year("2019-04-01"), Some(2019));
        assert_eq!(parse_year("1709208000000"), Some(2024));
        assert_eq!(parse_year("© 2019"), Some(2019));
        assert_eq!(parse_year("Wed, 21 Oct 2015 07:28:00 GMT"), Some(2015));
        assert_eq!(parse_year("2019-04-01T10:00:00Z"), Some(2019));
        assert_eq!(parse_year("12"), None);
    }
}
