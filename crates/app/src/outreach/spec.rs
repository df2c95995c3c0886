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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// `email`, `whatsapp` or `sms`.
    #[serde(default = "default_channel")]
    pub channel: String,
    /// Days after the previous step was sent (the first step: after enrollment).
    #[serde(default)]
    pub delay_days: u32,
    /// Count only Monday to Friday in the recipient's zone.
    #[serde(default)]
    pub business_days: bool,
    /// Email: a saved template by name, instead of an inline subject and body. WhatsApp:
    /// the approved template to send (with `language` and `params`).
    #[serde(default)]
    pub template: Option<String>,
    /// WhatsApp: the template's language code, e.g. `en_US`.
    #[serde(default)]
    pub language: Option<String>,
    /// WhatsApp: one source per template body variable, in order: `field:first_name`,
    /// `custom:plan`, `fact:email` or `literal:…`.
    #[serde(default)]
    pub params: Vec<String>,
    /// WhatsApp free text (`body`) outside the 24-hour window: this approved template is
    /// sent instead; without one the step is skipped with the reason recorded.
    #[serde(default)]
    pub fallback_template: Option<String>,
    #[serde(default)]
    pub fallback_language: Option<String>,
    #[serde(default)]
    pub fallback_params: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Plain text body (email: the HTML part is derived from it unless `html` is given;
    /// WhatsApp: free text; SMS: the message). Variables and spintax as in email.
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

/// What a WhatsApp step keeps in `sequence_steps.channel_config` (the body of free text and
/// of SMS steps is the step's `body_text`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_language: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback_params: Vec<String>,
}

impl ChannelConfig {
    /// The stored JSON; empty or unreadable means "nothing set".
    pub fn parse(json: &str) -> ChannelConfig {
        serde_json::from_str(json).unwrap_or_default()
    }
}

/// The channels a step can use.
pub const CHANNELS: &[&str] = &["email", "whatsapp", "sms"];

impl StepSpec {
    /// Email, WhatsApp and SMS steps take different fields; a field of another channel is
    /// refused rather than ignored.
    fn check_channel_step(&self, i: usize) -> AppResult<()> {
        let f = |k: &str| format!("steps[{i}].{k}");
        let nonblank = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !self.variants.is_empty() {
            return Err(AppError::invalid(
                &f("variants"),
                format!("A/B variants are for email steps, not {}", self.channel),
            ));
        }
        if self.subject.is_some() || self.html.is_some() {
            return Err(AppError::invalid(
                &f("subject"),
                format!(
                    "{} steps have no subject or HTML; write a body",
                    self.channel
                ),
            ));
        }
        let body_len = self.body.as_deref().map_or(0, |b| b.trim().chars().count());
        if self.channel == "sms" {
            if self.template.is_some()
                || !self.params.is_empty()
                || self.fallback_template.is_some()
            {
                return Err(AppError::invalid(
                    &f("template"),
                    "SMS steps send their body; templates are for WhatsApp",
                ));
            }
            if body_len == 0 {
                return Err(AppError::invalid(&f("body"), "an SMS step needs a body"));
            }
            if body_len > prospector_channels::sms::MAX_BODY_CHARS {
                return Err(AppError::invalid(
                    &f("body"),
                    format!(
                        "{body_len} characters, more than Twilio's {}",
                        prospector_channels::sms::MAX_BODY_CHARS
                    ),
                ));
            }
            return Ok(());
        }
        // WhatsApp: a template, or free text with an optional fallback template.
        match (nonblank(&self.template), body_len > 0) {
            (true, true) => Err(AppError::invalid(
                &f("body"),
                "a WhatsApp step sends either a template or free text (body), not both",
            )),
            (false, false) => Err(AppError::invalid(
                &f("template"),
                "a WhatsApp step needs an approved template (template, language, params) or \
                 free text (body)",
            )),
            (true, false) => {
                if !nonblank(&self.language) {
                    return Err(AppError::invalid(
                        &f("language"),
                        "the template's language code, e.g. en_US",
                    ));
                }
                if self.fallback_template.is_some() || !self.fallback_params.is_empty() {
                    return Err(AppError::invalid(
                        &f("fallback_template"),
                        "a fallback is for free-text steps; a template needs no window",
                    ));
                }
                Ok(())
            }
            (false, true) => {
                if body_len > prospector_channels::whatsapp::MAX_TEXT_LEN {
                    return Err(AppError::invalid(
                        &f("body"),
                        format!(
                            "{body_len} characters, more than WhatsApp's {}",
                            prospector_channels::whatsapp::MAX_TEXT_LEN
                        ),
                    ));
                }
                if !self.params.is_empty() || self.language.is_some() {
                    return Err(AppError::invalid(
                        &f("params"),
                        "params and language belong to a template; for free text use \
                         fallback_params and fallback_language",
                    ));
                }
                if nonblank(&self.fallback_template) && !nonblank(&self.fallback_language) {
                    return Err(AppError::invalid(
                        &f("fallback_language"),
                        "required with a fallback template",
                    ));
                }
                Ok(())
            }
        }
    }
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
            if !CHANNELS.contains(&st.channel.as_str()) {
                return Err(AppError::invalid(
                    &f("channel"),
                    format!(
                        "\"{}\" is not a channel; use {}",
                        st.channel,
                        CHANNELS.join(", ")
                    ),
                ));
            }
            if st.delay_days > 365 {
                return Err(AppError::invalid(&f("delay_days"), "at most 365 days"));
            }
            if st.channel != "email" {
                st.check_channel_step(i)?;
                continue;
            }
            if !st.params.is_empty()
                || st.language.is_some()
                || st.fallback_template.is_some()
                || !st.fallback_params.is_empty()
            {
                return Err(AppError::invalid(
                    &f("params"),
                    "language, params and fallbacks are for WhatsApp steps",
                ));
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
    fn whatsapp_and_sms_steps_take_their_own_fields() {
        let mixed = MINIMAL.replace(
            r#"}],"stop_on""#,
            r#"},{"channel":"whatsapp","delay_days":2,"template":"spring_offer","language":"en_US","params":["field:first_name"]},{"channel":"sms","delay_days":3,"body":"Hi {{first_name|there}}"}],"stop_on""#,
        );
        let s = parse(&mixed).unwrap();
        s.check_shape().unwrap();
        let field_of = |s: &CampaignSpec| match s.check_shape().unwrap_err() {
            AppError::Validation { field, .. } => field.unwrap_or_default(),
            other => panic!("{other:?}"),
        };
        let mut bad = s.clone();
        bad.steps[1].language = None;
        assert_eq!(field_of(&bad), "steps[1].language");
        let mut bad = s.clone();
        bad.steps[1].body = Some("and text".into());
        assert_eq!(field_of(&bad), "steps[1].body");
        let mut bad = s.clone();
        bad.steps[2].body = Some("x".repeat(1601));
        assert_eq!(field_of(&bad), "steps[2].body");
        let mut bad = s.clone();
        bad.steps[2].subject = Some("Hi".into());
        assert_eq!(field_of(&bad), "steps[2].subject");
        let mut bad = s.clone();
        bad.steps[2].template = Some("spring_offer".into());
        assert_eq!(field_of(&bad), "steps[2].template");
        let mut bad = s.clone();
        bad.steps[0].params = vec!["field:first_name".into()];
        assert_eq!(field_of(&bad), "steps[0].params");
        // Free text with a fallback needs the fallback's language.
        let mut text = s.clone();
        text.steps[1].template = None;
        text.steps[1].language = None;
        text.steps[1].params = vec![];
        text.steps[1].body = Some("Thanks {{first_name}}!".into());
        text.check_shape().unwrap();
        text.steps[1].fallback_template = Some("spring_offer".into());
        assert_eq!(field_of(&text), "steps[1].fallback_language");
        text.steps[1].fallback_language = Some("en_US".into());
        text.check_shape().unwrap();
    }

    #[test]
    fn times() {
        assert_eq!(parse_hhmm("x", "09:30").unwrap(), (9, 30));
        assert_eq!(parse_hhmm("x", "24:00").unwrap(), (24, 0));
        assert!(parse_hhmm("x", "9").is_err());
        assert!(parse_hhmm("x", "10:60").is_err());
    }
}
