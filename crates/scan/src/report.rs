//! The JSON shape of a scan (the CLI contract of `prospector scan --json`).
//!
//! Field names are part of the contract; extra fields may be added, none renamed.

use serde::{Deserialize, Serialize};

/// Everything found on one website. Serialises to the CLI contract shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    /// URL as given.
    pub url: String,
    /// Home page URL after redirects; `null` when the site could not be loaded.
    pub final_url: Option<String>,
    /// Email addresses, deduplicated, best confidence first.
    pub emails: Vec<EmailFinding>,
    /// Phone numbers in E.164, deduplicated.
    pub phones: Vec<PhoneFinding>,
    /// Social profiles (not share links), normalised.
    pub socials: Vec<SocialFinding>,
    /// Contact, booking and newsletter forms, and embedded form services.
    pub contact_forms: Vec<ContactForm>,
    /// schema.org items from JSON-LD and microdata.
    pub structured_data: Vec<StructuredItem>,
    /// Technologies recognised by our own fingerprint rules.
    pub tech: Vec<TechFinding>,
    /// TLS certificate and https facts.
    pub tls: TlsInfo,
    /// Weight and speed of the home page.
    pub performance: Performance,
    /// Mobile readiness of the home page.
    pub mobile: Mobile,
    /// Website quality score and its factors (low value = sales opportunity).
    pub website_score: WebsiteScore,
    /// Copyright year and last modification.
    pub freshness: Freshness,
    /// Title, description, OpenGraph, canonical, generator.
    pub meta: Meta,
    /// Main language of the site (BCP 47 primary tag, e.g. `de`).
    pub language: Option<String>,
    /// Region used to read phone numbers without a country code, and where it came from.
    pub region: Region,
    /// Organization/LocalBusiness summary from schema.org, when the site has one.
    pub business: Option<Business>,
    /// Pages fetched (or refused) during the scan.
    pub pages: Vec<PageVisit>,
    /// Non-fatal problems (a subpage that failed, robots.txt skips...).
    pub warnings: Vec<String>,
    /// Why the site could not be scanned; `null` on success.
    pub error: Option<String>,
    /// Stable code of `error` (`timeout`, `redirect_loop`, `blocked_address`...).
    pub error_code: Option<String>,
    /// When the scan started, Unix milliseconds UTC.
    pub scanned_at_ms: i64,
    /// Wall time of the whole scan.
    pub duration_ms: u64,
}

/// One email address and where it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailFinding {
    /// Lower-cased address.
    pub value: String,
    /// Page it was found on.
    pub source_url: String,
    /// 0..1: how sure we are that this is a real contact address of the business.
    pub confidence: f32,
    /// How it was found: mailto, text, obfuscated, cloudflare, json-ld, script, attribute.
    pub method: String,
    /// Whether its domain is the site's own registrable domain.
    pub same_domain: bool,
}

/// One phone number and where it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneFinding {
    /// E.164 (`+4930123456`).
    pub value: String,
    /// As written on the page.
    pub raw: String,
    /// Page it was found on.
    pub source_url: String,
    /// 0..1 confidence.
    pub confidence: f32,
    /// tel, text or json-ld.
    pub method: String,
    /// Region (ISO 3166) of the number.
    pub country: Option<String>,
}

/// A social profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialFinding {
    /// instagram, facebook, x, linkedin, youtube, tiktok, pinterest.
    pub network: String,
    /// Normalised profile URL.
    pub url: String,
    /// Handle or page id when the URL has one.
    pub handle: Option<String>,
    /// Page it was linked from.
    pub source_url: String,
}

/// A form a visitor can use to get in touch (or an embedded form service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactForm {
    /// Page the form is on.
    pub source_url: String,
    /// contact, booking, quote, newsletter or embedded.
    pub kind: String,
    /// Absolute action URL, if any.
    pub action: Option<String>,
    /// GET or POST.
    pub method: String,
    /// Field names (or types when unnamed).
    pub fields: Vec<String>,
    /// reCAPTCHA, hCaptcha, Turnstile or a honeypot was seen.
    pub has_captcha: bool,
    /// Form service for embedded forms (Typeform, JotForm, Google Forms...).
    pub provider: Option<String>,
}

/// One schema.org item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructuredItem {
    /// json-ld or microdata.
    pub format: String,
    /// schema.org type (`LocalBusiness`, `Dentist`...); several joined by `,`.
    #[serde(rename = "type")]
    pub item_type: String,
    /// The item's properties (JSON-LD as written, microdata as an object).
    pub properties: serde_json::Value,
    /// Page it was found on.
    pub source_url: String,
}

/// A recognised technology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechFinding {
    /// Product name (`WordPress`).
    pub name: String,
    /// cms, builder, ecommerce, analytics, ads, chat, crm, booking, payments, framework,
    /// cdn, server, hosting, fonts, forms, consent, language.
    pub category: String,
    /// What matched, e.g. `meta generator: WordPress 6.4`.
    pub evidence: String,
}

/// TLS facts of the site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// The final URL is https.
    pub https: bool,
    /// A TLS handshake was made to read the certificate.
    pub probed: bool,
    /// The chain verifies against the Mozilla roots for this host name, and is in date.
    /// `null` when not probed.
    pub valid: Option<bool>,
    /// Why it is not valid, or why it could not be probed.
    pub error: Option<String>,
    /// Issuer distinguished name.
    pub issuer: Option<String>,
    /// Subject distinguished name.
    pub subject: Option<String>,
    /// Start of validity, RFC 3339.
    pub not_before: Option<String>,
    /// End of validity, RFC 3339.
    pub not_after: Option<String>,
    /// Days until expiry (negative when expired).
    pub days_remaining: Option<i64>,
    /// `http://host/` redirects to https (`null` when not checked).
    pub http_redirects_to_https: Option<bool>,
    /// Strict-Transport-Security header present.
    pub hsts: bool,
}

/// Weight and speed of the home page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Time to first byte of the home page (after redirects), milliseconds.
    pub ttfb_ms: Option<u64>,
    /// Time to read the whole home page HTML, milliseconds.
    pub load_ms: Option<u64>,
    /// Decoded size of the home page HTML.
    pub html_bytes: u64,
    /// Content-Length on the wire when the server sent one.
    pub transfer_bytes: Option<u64>,
    /// The response was compressed (gzip, br, deflate).
    pub compressed: bool,
    /// Requests a browser would make: the document plus the sub-resources it references
    /// (scripts, stylesheets, images, iframes). Sub-resources are counted, not downloaded.
    pub request_count: u64,
    /// External scripts referenced.
    pub scripts: u64,
    /// Stylesheets referenced.
    pub stylesheets: u64,
    /// Images referenced.
    pub images: u64,
    /// Iframes.
    pub iframes: u64,
    /// Redirects before the home page.
    pub redirects: u64,
    /// The home page body was cut at the size cap.
    pub truncated: bool,
    /// Pages fetched for the whole scan.
    pub pages_fetched: u64,
    /// Bytes read for the whole scan.
    pub total_bytes: u64,
}

/// Mobile readiness signals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mobile {
    /// A viewport meta tag is present.
    pub viewport: bool,
    /// Its content.
    pub viewport_content: Option<String>,
    /// It sets `width=device-width`.
    pub device_width: bool,
    /// It disables zoom (`user-scalable=no` or `maximum-scale=1`), an accessibility problem.
    pub zoom_disabled: bool,
    /// `@media` rules in inline CSS plus `media` attributes on stylesheets.
    pub media_queries: u64,
    /// `srcset` or `<picture>` used.
    pub responsive_images: bool,
    /// Overall verdict: viewport with device-width.
    pub mobile_ready: bool,
}

/// How fresh the site looks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Freshness {
    /// Latest year in a copyright notice.
    pub copyright_year: Option<i32>,
    /// Last-Modified header of the home page.
    pub last_modified: Option<String>,
    /// dateModified / article:modified_time when present.
    pub date_modified: Option<String>,
}

/// Meta and OpenGraph tags of the home page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// `<title>`.
    pub title: Option<String>,
    /// meta description.
    pub description: Option<String>,
    /// `<link rel=canonical>`.
    pub canonical: Option<String>,
    /// meta generator.
    pub generator: Option<String>,
    /// meta robots.
    pub robots: Option<String>,
    /// og:* and twitter:* properties.
    pub open_graph: std::collections::BTreeMap<String, String>,
    /// Favicon present.
    pub favicon: bool,
}

/// The phone region in use and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// ISO 3166 alpha-2.
    pub code: String,
    /// option, tld, schema_address, schema_telephone, language or default.
    pub source: String,
}

/// Business summary from schema.org Organization/LocalBusiness.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Business {
    /// schema.org type.
    #[serde(rename = "type")]
    pub item_type: String,
    /// Name.
    pub name: Option<String>,
    /// Address as one line.
    pub address: Option<String>,
    /// addressCountry.
    pub country: Option<String>,
    /// telephone as written.
    pub telephone: Option<String>,
    /// email as written.
    pub email: Option<String>,
    /// openingHours / openingHoursSpecification, as text lines.
    pub opening_hours: Vec<String>,
    /// aggregateRating.ratingValue.
    pub rating: Option<f64>,
    /// aggregateRating.reviewCount (or ratingCount).
    pub review_count: Option<u64>,
    /// priceRange.
    pub price_range: Option<String>,
}

/// A page the crawler fetched or skipped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageVisit {
    /// Requested URL.
    pub url: String,
    /// URL after redirects.
    pub final_url: Option<String>,
    /// HTTP status (0 when no response).
    pub status: u16,
    /// Bytes read.
    pub bytes: u64,
    /// Body cut at the cap.
    pub truncated: bool,
    /// Milliseconds to first byte.
    pub ttfb_ms: Option<u64>,
    /// Detected character encoding.
    pub charset: Option<String>,
    /// Why it was chosen: home, contact, about, legal, team, locations, privacy.
    pub reason: String,
    /// Failure or skip reason.
    pub error: Option<String>,
}

/// Website quality score, 0-100.
///
/// Direction: `value` measures how good the website is (100 = modern, fast, secure,
/// mobile-ready, easy to contact). For an agency selling web work a LOW value is a HIGH
/// opportunity; `opportunity` is `100 - value` so callers need not invert it themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebsiteScore {
    /// Quality 0-100 (higher = better website).
    pub value: u8,
    /// `100 - value`: higher = more to sell.
    pub opportunity: u8,
    /// Always `"higher_is_better_website"`, to make the direction explicit in stored JSON.
    pub direction: String,
    /// Points earned per factor; they add up to `value`.
    pub factors: Vec<ScoreFactor>,
}

/// One factor of the website score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreFactor {
    /// Factor name (`https`, `mobile`, `speed`...).
    pub name: String,
    /// Points earned.
    pub points: u8,
    /// Points possible.
    pub max: u8,
    /// Why, in words.
    pub reason: String,
}
