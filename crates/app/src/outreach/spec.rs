//! The campaign definition as the API's create body and the CLI's `campaign create --file`
//! read it. Unknown fields are refused (a typo such as `stop_onn` must not silently turn a
//! stop condition off); every error names the field it is about.

use crate::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// The default gap between two sends of one sender, before jitter: a human pace.
pub const DEFAULT_MIN_GAP_SECONDS: u32 = 90;
/// Steps per campaign.
pub const MAX_STEPS: usize = 20;
/// Variants per step.
pub const MAX_VARIANTS: usize = 5;

/// A whole campaign: who sends, when, what, and when to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub name: String,
    /// Sender names; messages rotate across them.
    #[serde(default)]
    pub senders: Vec<String>,
    #[serde(default)]
    pub schedule: ScheduleSpec,
    pub steps: Vec<StepSpec>,
    /// Any of `reply`, `bounce`, `unsubscribe`, `lead_stage_change`.
    #[serde(default = "default_stop_on")]
    pub stop_on: Vec<String>,
    #[serde(default)]
    pub track_opens: bool,
    #[serde(default)]
    pub track_clicks: bool,
    /// Seconds between two sends of one sender, jittered up to +50%; 0 sends at full speed.
    #[serde(default)]
    pub min_gap_seconds: Option<u32>,
    /// Messages wait for review (approve, edit or reject) before they are queued.
    #[serde(default)]
    pub approval_required: bool,
    /// Who to enroll from the audience action (`campaign enroll` can also pick by tag).
    #[serde(default)]
    pub audience: AudienceSpec,
}

/// When messages may go out, in the recipient's time zone when it is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// IANA zone used when the recipient's zone is unknown, e.g. `Europe/Berlin`; left out,
    /// the workspace's time zone.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// `mon` .. `sun`.
    #[serde(default = "default_days")]
    pub days: Vec<String>,
    /// `HH:MM`, local time.
    #[serde(default = "default_start")]
    pub start: String,
    #[serde(default = "default_end")]
    pub end: String,
    /// Use the recipient's zone (from country, region or phone) instead of `timezone`.
    #[serde(default = "yes")]
    pub recipient_timezone: bool,
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        ScheduleSpec {
            timezone: default_timezone(),
            days: default_days(),
            start: default_start(),
            end: default_end(),
            recipient_timezone: true,
        }
    }
}

/// One step of the sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// `email` (WhatsApp and SMS steps come with their channels).
    #[serde(default = "default_channel")]
    pub channel: String,
    /// Days after the previous step was sent (the first step: after enrollment).
    #[serde(default)]
    pub delay_days: u32,
    /// Count only Monday to Friday in the recipient's zone.
    #[serde(default)]
    pub business_days: bool,
    /// A saved template by name, instead of an inline subject and body.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Plain text body; the HTML part is derived from it unless `html` is given.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html: Option<String>,
    /// A/B variants; when given, they replace the step's own subject and body.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
}

/// One variant of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// `A`, `B`...; given in order when left out.
    #[serde(default)]
    pub label: Option<String>,
    pub subject: String,
    pub body: String,
    #[serde(default)]
    pub html: Option<String>,
    /// Relative share of recipients (default 1).
    #[serde(default = "one")]
    pub weight: u32,
}

/// The audience as a contacts filter (all given conditions apply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceSpec {
    #[serde(default)]
    pub tag: Option<String>,
    /// Score tier of the contact's company: A, B or C.
    #[serde(default)]
    pub tier: Option<String>,
    /// Search text, as in the contacts table.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
}

/// Stop conditions a campaign understands.
pub const STOP_CONDITIONS: &[&str] = &["reply", "bounce", "unsubscribe", "lead_stage_change"];
const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn default_stop_on() -> Vec<String> {
    vec!["reply".into(), "bounce".into(), "unsubscribe".into()]
}
/// Empty means "the workspace's time zone" (filled in when the campaign is saved).
fn default_timezone() -> String {
    String::new()
}
fn default_days() -> Vec<String> {
    DAYS[..5].iter().map(|d| d.to_string()).collect()
}
fn default_start() -> String {
    "09:00".into()
}
fn default_end() -> String {
    "17:00".into()
}
fn default_channel() -> String {
    "email".into()
}
fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

/// Parse a campaign file or body, naming the path of a wrong or unknown field.
pub fn parse(json: &str) -> AppResult<CampaignSpec> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { None } else { Some(path) };
        AppError::Validation {
            field,
            message: format!("the campaign definition is not valid: {inner}"),
        }
    })
}

/// `HH:MM` as (hour, minute).
pub fn parse_hhmm(field: &str, v: &str) -> AppResult<(u8, u8)> {
    let bad = || {
        AppError::invalid(
            field,
            format!("\"{v}\" is not a time as HH:MM (e.g. 09:30)"),
        )
    };
    let (h, m) = v.trim().split_once(':').ok_or_else(bad)?;
    let h: u8 = h.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok((h, m))
}

impl CampaignSpec {
    /// Checks that need no database: names, sizes, days, times, channels, stop conditions.
    /// Templates and sender names are checked by the caller, which knows them.
    pub fn check_shape(&self) -> AppResult<()> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "a campaign needs a name"));
        }
        if name.chars().count() > 200 {
            return Err(AppError::invalid("name", "at most 200 characters"));
        }
        if self.steps.is_empty() {
            return Err(AppError::invalid(
                "steps",
                "a campaign needs at least one step",
            ));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(AppError::invalid(
                "steps",
                format!("at most {MAX_STEPS} steps"),
            ));
        }
        for d in &self.schedule.days {
            if !DAYS.contains(&d.to_ascii_lowercase().as_str()) {
                return Err(AppError::invalid(
                    "schedule.days",
                    format!("\"{d}\" is not a day; use mon, tue, wed, thu, fri, sat or sun"),
                ));
            }
        }
        if self.schedule.days.is_empty() {
            return Err(AppError::invalid(
                "schedule.days",
                "pick at least one day to send on",
            ));
        }
        let start = parse_hhmm("schedule.start", &self.schedule.start)?;
        let end = parse_hhmm("schedule.end", &self.schedule.end)?;
        if start == end {
            return Err(AppError::invalid(
                "schedule.end",
                "the sending window is empty (start equals end)",
            ));
        }
        for s in &self.stop_on {
            if !STOP_CONDITIONS.contains(&s.as_str()) {
                return Err(AppError::invalid(
                    "stop_on",
                    format!(
                        "\"{s}\" is not a stop condition; use {}",
                        STOP_CONDITIONS.join(", ")
                    ),
                ));
            }
        }
        if self.min_gap_seconds.is_some_and(|g| g > 86_400) {
            return Err(AppError::invalid(
                "min_gap_seconds",
                "at most 86400 (one day)",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.senders {
            if !seen.insert(s.trim().to_lowercase()) {
                return Err(AppError::invalid(
                    "senders",
                    format!("sender \"{s}\" is listed twice"),
                ));
            }
        }
        for (i, st) in self.steps.iter().enumerate() {
            let f = |k: &str| format!("steps[{i}].{k}");
            if st.channel != "email" {
                return Err(AppError::invalid(
                    &f("channel"),
                    format!(
                        "\"{}\" steps are not available yet; use \"email\"",
                        st.channel
                    ),
                ));
            }
            if st.delay_days > 365 {
                return Err(AppError::invalid(&f("delay_days"), "at most 365 days"));
            }
            if st.variants.len() > MAX_VARIANTS {
                return Err(AppError::invalid(
                    &f("variants"),
                    format!("at most {MAX_VARIANTS} variants"),
                ));
            }
            if st.variants.is_empty() && st.template.is_none() {
                if st.subject.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    return Err(AppError::invalid(
                        &f("subject"),
                        "an email step needs a subject (or a template, or variants)",
                    ));
                }
                if st.body.as_deref().is_none_or(|s| s.trim().is_empty())
                    && st.html.as_deref().is_none_or(|s| s.trim().is_empty())
                {
                    return Err(AppError::invalid(
                        &f("body"),
                        "an email step needs a body (or a template, or variants)",
                    ));
                }
            }
            for (j, v) in st.variants.iter().enumerate() {
                if v.subject.trim().is_empty() {
                    return Err(AppError::invalid(
                        &format!("steps[{i}].variants[{j}].subject"),
                        "a variant needs a subject",
                    ));
                }
                if v.body.trim().is_empty() {
                    return Err(AppError::invalid(
                        &format!("steps[{i}].variants[{j}].body"),
                        "a variant needs a body",
                    ));
                }
                if v.weight == 0 || v.weight > 100 {
                    return Err(AppError::invalid(
                        &format!("steps[{i}].variants[{j}].weight"),
                        "a weight from 1 to 100",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"name":"Spring","senders":["main"],"schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"},"steps":[{"channel":"email","delay_days":0,"subject":"Hi {{first_name|there}}","body":"Hello"}],"stop_on":["reply","bounce","unsubscribe"],"track_opens":false,"track_clicks":false,"min_gap_seconds":0}"#;

    #[test]
    fn the_documented_file_parses() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.senders, vec!["main"]);
        assert_eq!(s.min_gap_seconds, Some(0));
        assert!(s.schedule.recipient_timezone);
        s.check_shape().unwrap();
    }

    #[test]
    fn wrong_and_unknown_fields_are_named() {
        let e = parse(&MINIMAL.replace("\"stop_on\"", "\"stop_onn\"")).unwrap_err();
        assert!(e.to_string().contains("stop_onn"), "{e}");
        let e = parse(&MINIMAL.replace("\"delay_days\":0", "\"delay_days\":\"two\"")).unwrap_err();
        match e {
            AppError::Validation { field, .. } => {
                assert_eq!(field.as_deref(), Some("steps[0].delay_days"))
            }
            other => panic!("{other:?}"),
        }
        let mut s = parse(MINIMAL).unwrap();
        s.schedule.start = "25:00".into();
        assert!(s.check_shape().unwrap_err().to_string().contains("HH:MM"));
        let mut s = parse(MINIMAL).unwrap();
        s.steps[0].subject = None;
        assert!(s.check_shape().unwrap_err().to_string().contains("subject"));
        let mut s = parse(MINIMAL).unwrap();
        s.stop_on.push("never".into());
        assert!(s.check_shape().unwrap_err().to_string().contains("never"));
        let mut s = parse(MINIMAL).unwrap();
        s.steps[0].channel = "fax".into();
        assert!(s.check_shape().is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_hhmm("x", "09:30").unwrap(), (9, 30));
        assert_eq!(parse_hhmm("x", "24:00").unwrap(), (24, 0));
        assert!(parse_hhmm("x", "9").is_err());
        assert!(parse_hhmm("x", "10:60").is_err());
    }
}
