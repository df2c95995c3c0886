//! Personalisation: the variables a template may use, loaded for many contacts at once
//! (contacts, companies, facts, scores and analyses in a handful of queries per batch), and
//! the rendering of a step's subject, text and HTML for one contact.

use crate::{App, AppError, AppResult};
use prospector_core::template::{self, Context, Escaping, KnownVariables, Template, text_to_html};
use prospector_store::WorkspaceId;
use prospector_store::companies::{self, Company, CompanyFilter, CompanySort};
use prospector_store::contacts::{self, Contact, ContactFilter, ContactSort};
use prospector_store::senders::Sender;
use std::collections::HashMap;

/// Top-level names a template may use.
pub const CONTACT_VARIABLES: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "name",
    "email",
    "phone",
    "whatsapp",
    "job_title",
    "city",
    "region",
    "country",
    "unsubscribe_url",
    "company.name",
    "company.website",
    "company.domain",
    "company.phone",
    "company.category",
    "company.city",
    "company.region",
    "company.country",
    "company.address",
    "company.rating",
    "company.review_count",
    "sender.name",
    "sender.email",
    "sender.signature",
    "campaign.name",
    "score.value",
    "score.tier",
    "score.reason",
];

/// The variables every template is checked against when it is saved.
pub fn known_variables() -> KnownVariables {
    KnownVariables::new()
        .names(CONTACT_VARIABLES.iter().copied())
        .prefix("custom")
        .prefix("ai")
        .prefix("facts")
}

/// Parse a template and check its variables; the error names the field, line and column.
pub fn check(field: &str, src: &str) -> AppResult<Template> {
    let t = Template::parse(src).map_err(|e| AppError::invalid(field, e.to_string()))?;
    let unknown = template::validate(&t, &known_variables());
    if let Some(u) = unknown.first() {
        let names: Vec<String> = unknown
            .iter()
            .map(|u| format!("{{{{{}}}}}", u.name))
            .collect();
        return Err(AppError::invalid(
            field,
            format!(
                "unknown variable {} at line {}, column {} (unknown: {}); use contact fields such \
                 as {{{{first_name}}}}, company.*, custom.*, facts.*, ai.opening_line or sender.*",
                format_args!("{{{{{}}}}}", u.name),
                u.line,
                u.column,
                names.join(", ")
            ),
        ));
    }
    Ok(t)
}

/// The parsed parts of one message template.
#[derive(Debug, Clone)]
pub struct Parts {
    pub subject: Template,
    pub text: Template,
    /// Written HTML; without it the HTML part is the text turned into paragraphs.
    pub html: Option<Template>,
}

impl Parts {
    /// Every variable the subject, text and HTML name (a name may repeat).
    pub fn variables(&self) -> Vec<&str> {
        let mut names = self.subject.variables();
        names.extend(self.text.variables());
        if let Some(h) = &self.html {
            names.extend(h.variables());
        }
        names
    }

    pub fn parse(subject: &str, text: &str, html: Option<&str>) -> AppResult<Parts> {
        Ok(Parts {
            subject: check("subject", subject)?,
            text: check("body", text)?,
            html: match html.map(str::trim).filter(|h| !h.is_empty()) {
                Some(h) => Some(check("html", h)?),
                None => None,
            },
        })
    }
}

/// One rendered message.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Variables without a value and without a fallback.
    pub missing: Vec<String>,
}

/// Render the parts for one contact. `seed` picks spintax options (stable per message).
pub fn render(parts: &Parts, ctx: &Context, seed: u64) -> RenderedMessage {
    let subject = parts
        .subject
        .render(ctx, seed ^ 0x5375_626a, Escaping::None);
    let text = parts.text.render(ctx, seed ^ 0x426f_6479, Escaping::None);
    let mut missing = subject.report.missing.clone();
    missing.extend(text.report.missing.iter().cloned());
    let html = match &parts.html {
        Some(h) => {
            let r = h.render(ctx, seed ^ 0x426f_6479, Escaping::Html);
            missing.extend(r.report.missing.iter().cloned());
            r.text
        }
        None => text_to_html(&text.text),
    };
    missing.sort();
    missing.dedup();
    RenderedMessage {
        // A subject is one line whatever a value contained.
        subject: subject
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        text: text.text,
        html,
        missing,
    }
}

/// Everything about a batch of contacts that templates can use.
pub struct Contexts {
    contacts: HashMap<i64, Contact>,
    companies: HashMap<i64, Company>,
    facts: HashMap<i64, Vec<(String, String)>>,
    analyses: HashMap<i64, (String, String)>,
    scores: HashMap<i64, (i64, String, String)>,
    fallback_lines: HashMap<i64, String>,
}

/// What of a company the templates refer to beyond its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// `facts.*`, `score.*` or `ai.*`: the company's scan facts, score and analysis (five
    /// more queries per batch, a quarter of a campaign's planning time when unused).
    pub scoring: bool,
}

impl Needs {
    /// Everything (a preview, where the template is not known up front).
    pub const ALL: Needs = Needs { scoring: true };

    /// What templates using these variables need.
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Needs {
        Needs {
            scoring: names
                .into_iter()
                .any(|n| ["facts.", "score.", "ai."].iter().any(|p| n.starts_with(p))),
        }
    }

    /// What these parts need.
    pub fn of_parts<'a>(parts: impl IntoIterator<Item = &'a Parts>) -> Needs {
        Needs::of(parts.into_iter().flat_map(Parts::variables))
    }
}

impl Contexts {
    /// Load the contacts of `ids` with their companies, current facts, scores and analyses.
    pub async fn load(app: &App, ws: WorkspaceId, ids: &[i64]) -> AppResult<Contexts> {
        Self::load_for(app, ws, ids, Needs::ALL).await
    }

    /// [`Contexts::load`] of what `needs` says the templates use.
    pub async fn load_for(
        app: &App,
        ws: WorkspaceId,
        ids: &[i64],
        needs: Needs,
    ) -> AppResult<Contexts> {
        let db = app.db();
        let mut out = Contexts {
            contacts: HashMap::new(),
            companies: HashMap::new(),
            facts: HashMap::new(),
            analyses: HashMap::new(),
            scores: HashMap::new(),
            fallback_lines: HashMap::new(),
        };
        for chunk in ids.chunks(500) {
            let f = ContactFilter {
                ids: Some(chunk.to_vec()),
                ..Default::default()
            };
            let limit = i64::try_from(chunk.len()).unwrap_or(500);
            for c in contacts::list(db, ws, &f, ContactSort::Oldest, None, limit).await? {
                out.contacts.insert(c.id, c);
            }
        }
        let mut company_ids: Vec<i64> = out
            .contacts
            .values()
            .filter_map(|c| c.f.company_id)
            .collect();
        company_ids.sort_unstable();
        company_ids.dedup();
        if !needs.scoring {
            for chunk in company_ids.chunks(500) {
                let f = CompanyFilter {
                    ids: Some(chunk.to_vec()),
                    ..Default::default()
                };
                let limit = i64::try_from(chunk.len()).unwrap_or(500);
                for c in companies::list(db, ws, &f, CompanySort::Newest, None, limit).await? {
                    out.companies.insert(c.id, c);
                }
            }
            return Ok(out);
        }
        if !company_ids.is_empty() {
            for k in crate::scoring::known_many(app, ws, &company_ids).await? {
                let mut pairs: Vec<(String, String)> = Vec::new();
                if let Some(v) = k.input.website_score {
                    pairs.push(("website_score".into(), v.to_string()));
                }
                if !k.tech.is_empty() {
                    pairs.push(("tech".into(), k.tech.join(", ")));
                }
                if !k.socials.is_empty() {
                    pairs.push(("socials".into(), k.socials.join(", ")));
                }
                out.facts.insert(k.company.id, pairs);
                // The deterministic analysis line, so {{ai.opening_line}} works without a model.
                let mut bf = prospector_ai::BusinessFacts::from_score_input(
                    k.company.f.name.as_deref().unwrap_or_default(),
                    k.company.f.website.as_deref(),
                    &k.input,
                );
                bf.socials = k.socials.clone();
                bf.tech = k.tech.clone();
                out.fallback_lines
                    .insert(k.company.id, prospector_ai::fallback::opening_line(&bf));
                // The scoring facts come with the company itself: no second load.
                out.companies.insert(k.company.id, k.company);
            }
            for (company, a) in
                prospector_store::scores::latest_analyses(db, ws, &company_ids).await?
            {
                out.analyses.insert(company, (a.opening_line, a.summary));
            }
            for s in prospector_store::scores::get_many(db, ws, &company_ids).await? {
                out.scores.insert(s.company_id, (s.value, s.tier, s.reason));
            }
        }
        Ok(out)
    }

    /// Every loaded contact.
    pub fn contacts(&self) -> std::collections::hash_map::Values<'_, i64, Contact> {
        self.contacts.values()
    }

    pub fn contact(&self, id: i64) -> Option<&Contact> {
        self.contacts.get(&id)
    }

    pub fn company_of(&self, c: &Contact) -> Option<&Company> {
        c.f.company_id.and_then(|id| self.companies.get(&id))
    }

    /// The template variables of one contact.
    pub fn context(
        &self,
        contact: &Contact,
        sender: Option<&Sender>,
        campaign: Option<&str>,
        unsubscribe_url: &str,
    ) -> Context {
        let mut ctx = Context::new();
        let c = &contact.f;
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                ctx.set(k, v);
            }
        };
        put("first_name", &c.first_name);
        put("last_name", &c.last_name);
        put("full_name", &c.full_name);
        put("email", &c.email);
        put("phone", &c.phone);
        put("whatsapp", &c.whatsapp);
        put("job_title", &c.job_title);
        put("city", &c.city);
        put("region", &c.region);
        put("country", &c.country);
        let name = contact.display_name();
        if !name.trim().is_empty() {
            ctx.set("name", name);
        }
        ctx.set("unsubscribe_url", unsubscribe_url);
        if let Some(campaign) = campaign {
            ctx.set("campaign.name", campaign);
        }
        let company = self.company_of(contact);
        if let Some(co) = company {
            let f = &co.f;
            let mut put = |k: &str, v: &Option<String>| {
                if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                    ctx.set(k, v);
                }
            };
            put("company.name", &f.name);
            put("company.website", &f.website);
            put("company.domain", &f.domain);
            put("company.phone", &f.phone);
            put("company.category", &f.category);
            put("company.city", &f.city);
            put("company.region", &f.region);
            put("company.country", &f.country);
            put("company.address", &f.address);
            if let Some(r) = f.rating {
                ctx.set("company.rating", format!("{r:.1}"));
            }
            if let Some(n) = f.review_count {
                ctx.set("company.review_count", n.to_string());
            }
            set_custom(&mut ctx, &f.custom);
            if let Some(facts) = self.facts.get(&co.id) {
                ctx.set_prefixed("facts", facts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
            if let Some((value, tier, reason)) = self.scores.get(&co.id) {
                ctx.set("score.value", value.to_string());
                ctx.set("score.tier", tier.as_str());
                ctx.set("score.reason", reason.as_str());
            }
            match self.analyses.get(&co.id) {
                Some((line, summary)) => {
                    ctx.set("ai.opening_line", line.as_str());
                    ctx.set("ai.summary", summary.as_str());
                }
                None => {
                    if let Some(line) = self.fallback_lines.get(&co.id) {
                        ctx.set("ai.opening_line", line.as_str());
                    }
                }
            }
        }
        // The contact's own custom fields win over the company's.
        set_custom(&mut ctx, &c.custom);
        if let Some(s) = sender {
            ctx.set(
                "sender.name",
                s.f.from_name.clone().unwrap_or_else(|| s.f.name.clone()),
            );
            ctx.set("sender.email", s.f.from_email.as_str());
            if let Some(sig) = &s.f.signature {
                ctx.set("sender.signature", sig.as_str());
            }
        }
        ctx
    }
}

fn set_custom(ctx: &mut Context, raw: &str) {
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(raw) {
        for (k, v) in m {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            if !v.trim().is_empty() {
                ctx.set(format!("custom.{k}"), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_variables_are_named_with_their_place() {
        let e = check("subject", "Hi {{frist_name|there}}").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("{{frist_name}}") && s.contains("line 1, column 4"),
            "{s}"
        );
        assert!(
            check(
                "body",
                "{{custom.plan}} {{ai.opening_line}} {{company.name}}"
            )
            .is_ok()
        );
        assert!(check("body", "Hi {{first_name").is_err());
    }

    #[test]
    fn only_templates_naming_facts_scores_or_ai_lines_need_the_scoring_load() {
        assert!(!Needs::of(["first_name", "company.name", "custom.plan"]).scoring);
        assert!(Needs::of(["ai.opening_line"]).scoring);
        assert!(Needs::of(["score.tier"]).scoring);
        assert!(Needs::of(["facts.tech"]).scoring);
        let plain = Parts::parse("Hi {{first_name}}", "About {{company.name}}", None).unwrap();
        let ai = Parts::parse("Hi", "{{ai.opening_line}}", None).unwrap();
        assert!(!Needs::of_parts([&plain]).scoring);
        assert!(Needs::of_parts([&plain, &ai]).scoring);
    }

    #[test]
    fn rendering_fills_falls_back_and_reports_missing() {
        let p = Parts::parse(
            "{Hi|Hello} {{first_name|there}}",
            "Dear {{last_name}},\nwe met.",
            None,
        )
        .unwrap();
        let ctx = Context::new().with("first_name", "Ana");
        let r = render(&p, &ctx, 7);
        assert!(r.subject.ends_with("Ana"));
        assert_eq!(r.missing, vec!["last_name".to_string()]);
        assert!(r.html.contains("<p>"));
        assert_eq!(render(&p, &ctx, 7), r, "same seed, same message");
    }
}
