//! Contact forms: real `<form>`s that let a visitor write to the business (not search or
//! login forms), and embedded form services.

use scraper::{Html, Selector};
use std::sync::LazyLock;
use url::Url;

use crate::report::ContactForm;

static FORM_SEL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("form").expect("static selector"));
static FIELD_SEL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("input, textarea, select").expect("static selector"));
static IFRAME_SEL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("iframe[src], iframe[data-src]").expect("static selector"));
static CAPTCHA_SEL: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(".g-recaptcha, .h-captcha, .cf-turnstile, [data-sitekey], .frc-captcha")
        .expect("static selector")
});

/// Form services embedded through an iframe: (URL fragment, provider).
const EMBEDDED: &[(&str, &str)] = &[
    ("typeform.com", "Typeform"),
    ("jotform.com", "JotForm"),
    ("docs.google.com/forms", "Google Forms"),
    ("forms.gle", "Google Forms"),
    ("hsforms.com", "HubSpot Forms"),
    ("share.hsforms.com", "HubSpot Forms"),
    ("forms.office.com", "Microsoft Forms"),
    ("tally.so", "Tally"),
    ("formstack.com", "Formstack"),
    ("wufoo.com", "Wufoo"),
    ("cognitoforms.com", "Cognito Forms"),
    ("calendly.com", "Calendly"),
    ("opentable.", "OpenTable"),
    ("doctolib.", "Doctolib"),
    ("thefork.", "TheFork"),
    ("resmio.", "resmio"),
    ("quandoo.", "Quandoo"),
];

/// Forms of a page worth reporting.
pub fn extract(doc: &Html, page: &Url) -> Vec<ContactForm> {
    let mut out = Vec::new();
    for form in doc.select(&FORM_SEL) {
        let v = form.value();
        let mut fields = Vec::new();
        let (mut textarea, mut email, mut password, mut search, mut tel, mut date, mut text) =
            (false, false, false, false, false, false, 0);
        let mut honeypot = false;
        for f in form.select(&FIELD_SEL) {
            let fv = f.value();
            let ty = fv.attr("type").unwrap_or("text").to_ascii_lowercase();
            if matches!(ty.as_str(), "submit" | "button" | "image" | "reset") {
                continue;
            }
            let name = fv
                .attr("name")
                .or_else(|| fv.attr("id"))
                .unwrap_or(&ty)
                .to_string();
            let lname = name.to_ascii_lowercase();
            if ty == "hidden" {
                if lname.contains("captcha") || lname.contains("honeypot") || lname.contains("hp_")
                {
                    honeypot = true;
                }
                continue;
            }
            match fv.name() {
                "textarea" => textarea = true,
                _ => match ty.as_str() {
                    "email" => email = true,
                    "password" => password = true,
                    "search" => search = true,
                    "tel" => tel = true,
                    "date" | "datetime-local" | "time" => date = true,
                    _ => {
                        if lname.contains("mail") {
                            email = true;
                        } else if ["q", "s", "search", "query", "keyword", "suche"]
                            .contains(&lname.as_str())
                        {
                            search = true;
                        } else if lname.contains("phone") || lname.contains("tel") {
                            tel = true;
                        } else if lname.contains("date")
                            || lname.contains("datum")
                            || lname.contains("fecha")
                        {
                            date = true;
                        }
                        text += 1;
                    }
                },
            }
            if fields.len() < 30 && !fields.contains(&name) {
                fields.push(name);
            }
        }
        let action_attr = v.attr("action").unwrap_or("").to_ascii_lowercase();
        if password
            || (search && !textarea)
            || v.attr("role") == Some("search")
            || action_attr.contains("search")
        {
            continue;
        }
        let kind = if date && (email || tel) {
            "booking"
        } else if textarea && (email || tel || text > 0) {
            if fields.iter().any(|f| {
                let f = f.to_ascii_lowercase();
                f.contains("quote")
                    || f.contains("angebot")
                    || f.contains("budget")
                    || f.contains("devis")
                    || f.contains("presupuesto")
            }) {
                "quote"
            } else {
                "contact"
            }
        } else if email && !textarea && text <= 2 {
            "newsletter"
        } else if tel && text >= 1 {
            "callback"
        } else {
            continue;
        };
        let action = v
            .attr("action")
            .and_then(|a| page.join(a).ok())
            .map(|u| u.to_string());
        let has_captcha = honeypot
            || form.select(&CAPTCHA_SEL).next().is_some()
            || form.html().contains("recaptcha");
        out.push(ContactForm {
            source_url: page.to_string(),
            kind: kind.to_string(),
            action,
            method: v.attr("method").unwrap_or("GET").to_ascii_uppercase(),
            fields,
            has_captcha,
            provider: None,
        });
    }
    for frame in doc.select(&IFRAME_SEL) {
        let src = frame
            .value()
            .attr("src")
            .or_else(|| frame.value().attr("data-src"))
            .unwrap_or("");
        if let Some((_, provider)) = EMBEDDED.iter().find(|(k, _)| src.contains(k)) {
            out.push(ContactForm {
                source_url: page.to_string(),
                kind: "embedded".into(),
                action: page.join(src).ok().map(|u| u.to_string()),
                method: "GET".into(),
                fields: vec![],
                has_captcha: false,
                provider: Some((*provider).to_string()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_forms() {
        let doc = Html::parse_document(
            r#"<form action="/search" role="search"><input name="q"></form>
            <form action="/login"><input name="user"><input type="password" name="pw"></form>
            <form action="/kontakt" method="post"><input name="name"><input type="email" name="email">
            <textarea name="nachricht"></textarea><div class="g-recaptcha" data-sitekey="x"></div></form>
            <form action="/nl"><input type="email" name="EMAIL"></form>
            <iframe src="https://form.jotform.com/123"></iframe>"#,
        );
        let page = Url::parse("https://x.de/kontakt").expect("url");
        let f = extract(&doc, &page);
        let kinds: Vec<&str> = f.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(kinds, vec!["contact", "newsletter", "embedded"]);
        assert!(f[0].has_captcha);
        assert_eq!(f[0].method, "POST");
        assert_eq!(f[0].action.as_deref(), Some("https://x.de/kontakt"));
        assert_eq!(f[2].provider.as_deref(), Some("JotForm"));
    }
}
