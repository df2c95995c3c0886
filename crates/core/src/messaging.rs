//! Pure rules for the WhatsApp and SMS channels: the 24-hour customer-service window, the
//! rate card (price per message by channel, country and WhatsApp category, in integer minor
//! units), where a template parameter's value comes from, and the country of a phone number.
//! The app applies them; no I/O here.

use std::fmt;

/// WhatsApp's customer-service window: free-form messages only within 24 hours of the
/// contact's last inbound message.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Business-initiated messages per rolling 24 hours when Meta did not report a tier (a new
/// number starts at 250).
pub const DEFAULT_DAILY_LIMIT: i64 = 250;

/// Whether the window is open at `now` given the last inbound time (ms).
pub fn window_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    last_inbound_at.is_some_and(|t| now - t < WINDOW_MS)
}

/// The wildcard of a rate-card line (any country, any category).
pub const ANY: &str = "*";

/// One line of a rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLine {
    /// `whatsapp` or `sms`.
    pub channel: String,
    /// ISO 3166-1 alpha-2 (upper case) or [`ANY`].
    pub country: String,
    /// WhatsApp: `marketing`, `utility`, `authentication`, `service`; SMS: `segment`; or [`ANY`].
    pub category: String,
    pub price_minor: i64,
    /// ISO 4217, e.g. `USD`.
    pub currency: String,
}

impl RateLine {
    fn new(channel: &str, country: &str, category: &str, price_minor: i64) -> RateLine {
        RateLine {
            channel: channel.into(),
            country: country.into(),
            category: category.into(),
            price_minor,
            currency: "USD".into(),
        }
    }
}

/// Sensible defaults (US cents, rounded up from Meta's and Twilio's public list prices), so
/// every message has a cost before anyone edits the card.
pub fn default_rate_card() -> Vec<RateLine> {
    let mut v = Vec::new();
    for (country, marketing, utility, auth) in [
        (ANY, 5, 2, 2),
        ("US", 3, 1, 1),
        ("GB", 6, 3, 3),
        ("DE", 14, 6, 8),
        ("FR", 9, 3, 4),
        ("ES", 7, 2, 3),
        ("IT", 7, 3, 4),
        ("BR", 7, 1, 1),
        ("IN", 1, 1, 1),
        ("MX", 5, 1, 1),
    ] {
        v.push(RateLine::new("whatsapp", country, "marketing", marketing));
        v.push(RateLine::new("whatsapp", country, "utility", utility));
        v.push(RateLine::new("whatsapp", country, "authentication", auth));
        // Replies inside the window are free.
        v.push(RateLine::new("whatsapp", country, "service", 0));
    }
    for (country, per_segment) in [(ANY, 8), ("US", 1), ("CA", 1), ("GB", 5), ("DE", 9)] {
        v.push(RateLine::new("sms", country, "segment", per_segment));
    }
    v
}

/// The price of one unit: the most specific line wins (country and category, then country,
/// then category, then the wildcard line). `None` when no line applies.
pub fn price<'a>(
    lines: &'a [RateLine],
    channel: &str,
    country: Option<&str>,
    category: &str,
) -> Option<&'a RateLine> {
    let country = country.unwrap_or(ANY);
    let category = category.to_ascii_lowercase();
    let candidates = [
        (country, category.as_str()),
        (country, ANY),
        (ANY, category.as_str()),
        (ANY, ANY),
    ];
    candidates.iter().find_map(|(co, ca)| {
        lines.iter().find(|l| {
            l.channel == channel && l.country.eq_ignore_ascii_case(co) && l.category == *ca
        })
    })
}

/// The cost of a message: `units` (SMS segments; 1 for WhatsApp) times the line's price.
pub fn cost(line: &RateLine, units: u32) -> i64 {
    line.price_minor.saturating_mul(i64::from(units.max(1)))
}

/// Where a template parameter's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamSource {
    /// A contact column: `first_name`, `last_name`, `full_name`, `company`, `city`, `email`,
    /// `phone`, `country`, `job_title`.
    Field(String),
    /// A key of the contact's custom fields.
    Custom(String),
    /// The latest fact of this kind about the contact's company (from website scans).
    Fact(String),
    /// The text itself.
    Literal(String),
}

/// The contact columns a parameter may name.
pub const PARAM_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "company",
    "city",
    "region",
    "country",
    "email",
    "phone",
    "job_title",
];

/// Why a parameter mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown contact field {0:?} (expected one of {fields})", fields = PARAM_FIELDS.join(", "))]
    UnknownField(String),
    #[error("{0}: the name after the colon is empty")]
    EmptyName(String),
}

impl ParamSource {
    /// `field:first_name`, `custom:plan`, `fact:email`, `literal:…`; anything else is literal
    /// text (so `--param Alex` just works).
    pub fn parse(spec: &str) -> Result<ParamSource, ParamError> {
        let (kind, rest) = match spec.split_once(':') {
            Some((k, r)) if ["field", "custom", "fact", "literal"].contains(&k) => (k, r),
            _ => return Ok(ParamSource::Literal(spec.to_string())),
        };
        if kind == "literal" {
            return Ok(ParamSource::Literal(rest.to_string()));
        }
        let name = rest.trim();
        if name.is_empty() {
            return Err(ParamError::EmptyName(kind.to_string()));
        }
        Ok(match kind {
            "field" => {
                if !PARAM_FIELDS.contains(&name) {
                    return Err(ParamError::UnknownField(name.to_string()));
                }
                ParamSource::Field(name.to_string())
            }
            "custom" => ParamSource::Custom(name.to_string()),
            _ => ParamSource::Fact(name.to_string()),
        })
    }
}

impl fmt::Display for ParamSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamSource::Field(n) => write!(f, "field:{n}"),
            ParamSource::Custom(n) => write!(f, "custom:{n}"),
            ParamSource::Fact(n) => write!(f, "fact:{n}"),
            ParamSource::Literal(t) => write!(f, "literal:{t}"),
        }
    }
}

/// ISO 3166-1 alpha-2 of an E.164 number (`+4915…` -> `DE`), for the rate card and the
/// recipient's time zone.
pub fn country_of_phone(e164: &str) -> Option<String> {
    let digits = e164.trim().trim_start_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = phonenumber::parse(None, format!("+{digits}")).ok()?;
    if let Some(meta) = n.metadata(&phonenumber::metadata::DATABASE) {
        return Some(meta.id().to_string());
    }
    // Fictional-looking numbers (US 555) match no region: the calling code's main country.
    let all = phonenumber::metadata::DATABASE.by_code(&n.code().value())?;
    let main = all
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(all.first())?;
    Some(main.id().to_string())
}

/// `+16505551234` for `16505551234`, `+16505551234` or `1 650 555 1234` (WhatsApp's `wa_id`
/// has no plus; contacts store E.164 with it).
pub fn to_e164(digits: &str) -> Option<String> {
    let d: String = digits.chars().filter(|c| c.is_ascii_digit()).collect();
    if (7..=15).contains(&d.len()) && !d.starts_with('0') {
        Some(format!("+{d}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_open_for_just_under_a_day() {
        let now = 10 * WINDOW_MS;
        assert!(!window_open(None, now));
        assert!(window_open(Some(now - WINDOW_MS + 1), now));
        assert!(!window_open(Some(now - WINDOW_MS), now));
        assert!(window_open(Some(now), now));
    }

    #[test]
    fn the_most_specific_rate_line_wins() {
        let card = default_rate_card();
        let de = price(&card, "whatsapp", Some("DE"), "MARKETING").unwrap();
        assert_eq!((de.country.as_str(), de.price_minor), ("DE", 14));
        let zz = price(&card, "whatsapp", Some("ZZ"), "utility").unwrap();
        assert_eq!((zz.country.as_str(), zz.price_minor), ("*", 2));
        let none = price(&card, "whatsapp", None, "marketing").unwrap();
        assert_eq!(none.country, "*");
        let sms = price(&card, "sms", Some("US"), "segment").unwrap();
        assert_eq!(cost(sms, 3), 3);
        assert!(price(&card, "fax", Some("US"), "segment").is_none());
        let custom = vec![RateLine::new("sms", ANY, ANY, 4)];
        assert_eq!(
            price(&custom, "sms", Some("FR"), "segment")
                .unwrap()
                .price_minor,
            4
        );
    }

    #[test]
    fn parameter_sources_parse() {
        assert_eq!(
            ParamSource::parse("field:first_name").unwrap(),
            ParamSource::Field("first_name".into())
        );
        assert_eq!(
            ParamSource::parse("custom:plan").unwrap(),
            ParamSource::Custom("plan".into())
        );
        assert_eq!(
            ParamSource::parse("fact:email").unwrap(),
            ParamSource::Fact("email".into())
        );
        assert_eq!(
            ParamSource::parse("literal:field:x").unwrap(),
            ParamSource::Literal("field:x".into())
        );
        assert_eq!(
            ParamSource::parse("Alex").unwrap(),
            ParamSource::Literal("Alex".into())
        );
        assert_eq!(
            ParamSource::parse("10:30").unwrap(),
            ParamSource::Literal("10:30".into())
        );
        assert!(matches!(
            ParamSource::parse("field:shoe_size"),
            Err(ParamError::UnknownField(_))
        ));
        assert!(matches!(
            ParamSource::parse("custom: "),
            Err(ParamError::EmptyName(_))
        ));
        assert_eq!(
            ParamSource::parse("field:city").unwrap().to_string(),
            "field:city"
        );
    }

    #[test]
    fn phone_countries() {
        assert_eq!(country_of_phone("+4915112345678").as_deref(), Some("DE"));
        assert_eq!(country_of_phone("16505551234").as_deref(), Some("US"));
        assert_eq!(country_of_phone("+447700900123").as_deref(), Some("GB"));
        assert_eq!(country_of_phone("abc"), None);
        assert_eq!(to_e164("1 650 555 1234").as_deref(), Some("+16505551234"));
        assert_eq!(to_e164("+16505551234").as_deref(), Some("+16505551234"));
        assert_eq!(to_e164("0123"), None);
    }
}
