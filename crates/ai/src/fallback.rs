//! The deterministic analysis used when no model is configured (or the model is unavailable):
//! the same fields as the AI analysis, built from facts and hand-written sentences. Same facts
//! in, same text out; phrasing varies with the facts present and, between equally good
//! phrasings, with a stable hash of the business name so a batch does not read copy-pasted.

use sha2::{Digest, Sha256};

use crate::analysis::{Analysis, AnalysisSource};
use crate::client::Usage;
use crate::facts::BusinessFacts;

/// At most this many pain points and hooks, strongest first.
const MAX_ITEMS: usize = 4;

/// Stable choice among `n` phrasings for this business.
fn variant(f: &BusinessFacts, salt: &str, n: usize) -> usize {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(f.name.trim().to_lowercase().as_bytes());
    let d = h.finalize();
    usize::from(d[0]) % n.max(1)
}

fn article(word: &str) -> &'static str {
    match word.trim().chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Proper adjectives that stay capitalised inside a sentence ("an Italian restaurant").
const PROPER: &[&str] = &[
    "American",
    "Chinese",
    "French",
    "German",
    "Greek",
    "Indian",
    "Italian",
    "Japanese",
    "Korean",
    "Lebanese",
    "Mexican",
    "Spanish",
    "Thai",
    "Turkish",
    "Vietnamese",
];

/// The category as it reads mid-sentence: "Dentist" becomes "dentist", "Law Firm" becomes
/// "law firm", "Italian restaurant" keeps its capital, "IT services" keeps its acronym.
fn category(f: &BusinessFacts) -> Option<String> {
    let c = f
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())?;
    let words: Vec<String> = c.split_whitespace().map(mid_sentence).collect();
    Some(words.join(" "))
}

/// One word of a category mid-sentence: a title-cased common word is lowered; proper
/// adjectives ("Italian"), acronyms ("IT", "HVAC") and mixed case ("McDonald's") stay.
fn mid_sentence(word: &str) -> String {
    let letters: Vec<char> = word.chars().filter(|ch| ch.is_alphabetic()).collect();
    let acronym = letters.len() > 1 && letters.iter().all(|ch| ch.is_uppercase());
    let title = letters.first().is_some_and(|ch| ch.is_uppercase())
        && letters.iter().skip(1).all(|ch| ch.is_lowercase());
    if PROPER.contains(&word) || acronym || !title {
        return word.to_owned();
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(ch) => ch.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn city(f: &BusinessFacts) -> Option<&str> {
    f.city.as_deref().map(str::trim).filter(|c| !c.is_empty())
}

fn host(website: &str) -> &str {
    let w = website.trim();
    let w = w.split_once("://").map_or(w, |(_, rest)| rest);
    let w = w.split(['/', '?', '#']).next().unwrap_or(w);
    w.strip_prefix("www.").unwrap_or(w)
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn reviews(n: u32) -> String {
    if n == 1 {
        "1 review".into()
    } else {
        format!("{n} reviews")
    }
}

/// Gaps we can see, most important first, each with its short "you" form for the opening
/// line.
struct Gap {
    pain: String,
    line: String,
}

fn gaps(f: &BusinessFacts) -> Vec<Gap> {
    let name = f.display_name();
    let mut out = Vec::new();
    let site = f.has_website();
    if !site {
        out.push(Gap {
            pain: format!(
                "No website: people who search for {name} find only a map or directory listing, with nowhere to see services, prices or opening hours."
            ),
            line: "you don't seem to have a website, so people who search for you only see the map listing".into(),
        });
    }
    if let Some(s) = f.website_score.filter(|s| site && *s < 50) {
        out.push(Gap {
            pain: format!("The website scores {s}/100 on our checks: slow or dated pages lose visitors before they get in touch."),
            line: format!("your website scored {s}/100 on a quick check, mostly for things that are easy to fix"),
        });
    }
    if site && f.mobile_ready == Some(false) {
        out.push(Gap {
            pain: "The site isn't mobile-friendly, and most local searches happen on a phone."
                .into(),
            line: "your site is hard to use on a phone, which is where most of your visitors are"
                .into(),
        });
    }
    if site && f.phone_on_website == Some(false) {
        out.push(Gap {
            pain: "The site doesn't show a phone number, so mobile visitors can't tap to call."
                .into(),
            line: "your site doesn't show a phone number on mobile, so visitors can't tap to call"
                .into(),
        });
    }
    if site && f.tls_valid == Some(false) {
        out.push(Gap {
            pain: "The site has no valid HTTPS certificate, so browsers label it \"Not secure\"."
                .into(),
            line:
                "browsers mark your site \"Not secure\" because its HTTPS certificate isn't valid"
                    .into(),
        });
    }
    if let Some(y) = f
        .last_update_year
        .filter(|_| site && f.stale_years.is_some_and(|s| s >= 2))
    {
        out.push(Gap {
            pain: format!("The site looks unchanged since {y}, which makes visitors wonder whether the details are still current."),
            line: format!("your site doesn't seem to have changed since {y}"),
        });
    }
    if site && !f.has_email && !f.has_contact_form {
        out.push(Gap {
            pain: "No email address or contact form on the site: the only way in is a phone call during opening hours.".into(),
            line: "there's no email or contact form on your site, so the only way to reach you is by phone".into(),
        });
    }
    if let (Some(n), Some(_)) = (f.review_count.filter(|n| *n < 20), f.rating_text()) {
        out.push(Gap {
            pain: format!(
                "Only {}: a steady flow of new ones would help {name} stand out in local search.",
                reviews(n)
            ),
            line: format!(
                "you have only {} so far, fewer than most places people compare you with",
                reviews(n)
            ),
        });
    }
    if let Some(r) = f
        .rating
        .filter(|r| r.is_finite() && *r < 4.0 && f.review_count.unwrap_or(0) >= 5)
    {
        out.push(Gap {
            pain: format!("A {r:.1}-star average: replying to reviews and asking happy customers for one would lift it."),
            line: format!("a {r:.1}-star average is holding back how often you're chosen"),
        });
    }
    if f.socials.is_empty() && (site || f.website_score.is_some()) {
        out.push(Gap {
            pain: "No social profiles linked, so new customers see little recent activity.".into(),
            line: "your site doesn't link to any social profiles".into(),
        });
    }
    if site && f.website_score.is_some() && f.ad_pixels.is_empty() && !f.tech.is_empty() {
        out.push(Gap {
            pain: "No ad or conversion tracking on the site, so any campaign would be hard to measure.".into(),
            line: "your site has no ad tracking, so any campaign would be hard to measure".into(),
        });
    }
    out
}

/// Genuine compliments or signs of momentum, strongest first, each with the sentence that
/// opens an email.
struct Hook {
    hook: String,
    line: String,
}

fn hooks(f: &BusinessFacts) -> Vec<Hook> {
    let name = f.display_name();
    let mut out = Vec::new();
    if let (Some(r), Some(n)) = (f.rating_text(), f.review_count)
        && f.rating.is_some_and(|x| x >= 4.5)
        && n >= 20
    {
        let line = match variant(f, "rating", 2) {
            0 => format!("Congrats on {n} reviews at {r} stars"),
            _ => format!("{n} reviews averaging {r} stars is a great reputation"),
        };
        out.push(Hook {
            hook: format!("Congrats on {n} reviews at {r} stars"),
            line,
        });
    } else if let Some(n) = f.review_count.filter(|n| *n >= 50) {
        out.push(Hook {
            hook: format!("{n} reviews: customers clearly talk about {name}"),
            line: format!("With {n} reviews, customers clearly talk about {name}"),
        });
    }
    if let Some(n) = f.recent_reviews.filter(|n| *n > 0) {
        let recent = if n == 1 {
            "1 new review".to_owned()
        } else {
            format!("{n} new reviews")
        };
        out.push(Hook {
            hook: format!("{recent} in the last three months"),
            line: format!("I saw {name} picked up {recent} recently"),
        });
    }
    if f.new_business {
        out.push(Hook {
            hook: "Recently opened".into(),
            line: format!("Congratulations on opening {name}"),
        });
    }
    if f.hiring {
        out.push(Hook {
            hook: "Hiring right now, a sign the business is growing".into(),
            line: format!("I saw {name} is hiring, congrats on the growth"),
        });
    }
    if !f.ad_pixels.is_empty() {
        out.push(Hook {
            hook: format!(
                "Already invests in advertising ({})",
                join_and(&f.ad_pixels)
            ),
            line: format!("I noticed {name} is already investing in ads"),
        });
    }
    if let Some(first) = f.socials.first() {
        out.push(Hook {
            hook: format!("Active on {}", join_and(&f.socials)),
            line: format!("I came across {name} on {first}"),
        });
    }
    if let (Some(c), Some(place)) = (category(f), city(f)) {
        out.push(Hook {
            hook: format!("{} {c} serving {place}", capitalise(article(&c))),
            line: format!("I came across {name} while looking at {c} businesses in {place}"),
        });
    }
    if out.is_empty() {
        let line = match city(f) {
            Some(place) => format!("I came across {name} in {place}"),
            None => format!("I came across {name}"),
        };
        out.push(Hook {
            hook: name.clone(),
            line,
        });
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn summary(f: &BusinessFacts) -> String {
    let name = f.display_name();
    let who = match (category(f), city(f)) {
        (Some(c), Some(p)) => format!("{name} is {} {c} in {p}", article(&c)),
        (Some(c), None) => format!("{name} is {} {c}", article(&c)),
        (None, Some(p)) => format!("{name} is a business in {p}"),
        (None, None) => name.clone(),
    };
    let rep = match (f.rating_text(), f.review_count) {
        (Some(r), Some(n)) => format!(", rated {r} stars from {}", reviews(n)),
        (Some(r), None) => format!(", rated {r} stars"),
        (None, Some(n)) if n > 0 => format!(", with {}", reviews(n)),
        _ => String::new(),
    };
    let first = if who == name && rep.is_empty() {
        format!("We know little about {name} yet.")
    } else {
        format!("{who}{rep}.")
    };

    let web = match &f.website {
        None => "It has no website we could find.".to_owned(),
        Some(w) => {
            let h = host(w);
            let site = if h.is_empty() {
                "Its website".to_owned()
            } else {
                format!("Its website ({h})")
            };
            let mut issues = Vec::new();
            if f.tls_valid == Some(false) {
                issues.push("no valid HTTPS".to_owned());
            }
            if f.mobile_ready == Some(false) {
                issues.push("not mobile-friendly".to_owned());
            }
            if let Some(y) = f
                .last_update_year
                .filter(|_| f.stale_years.is_some_and(|s| s >= 2))
            {
                issues.push(format!("unchanged since {y}"));
            }
            match (f.website_score, issues.is_empty()) {
                (Some(s), true) => format!("{site} scores {s}/100 on our checks."),
                (Some(s), false) => format!(
                    "{site} scores {s}/100 on our checks: {}.",
                    join_and(&issues)
                ),
                (None, true) => format!("{site} has not been scanned yet."),
                (None, false) => format!("{site} is {}.", join_and(&issues)),
            }
        }
    };

    let mut reach = Vec::new();
    if f.has_email {
        reach.push("email".to_owned());
    }
    if f.has_mobile_phone {
        reach.push("mobile phone".to_owned());
    } else if f.has_phone {
        reach.push("phone".to_owned());
    }
    if f.has_contact_form {
        reach.push("contact form".to_owned());
    }
    let reach = if reach.is_empty() {
        "No email or phone number found yet.".to_owned()
    } else {
        format!("Reachable by {}.", join_and(&reach))
    };
    format!("{first} {web} {reach}")
}

/// The first line of a cold email: strongest hook, then the most important gap.
pub fn opening_line(f: &BusinessFacts) -> String {
    let hook = hooks(f)
        .into_iter()
        .next()
        .map(|h| h.line)
        .unwrap_or_default();
    match gaps(f).into_iter().next() {
        Some(g) => {
            let joiner = match variant(f, "joiner", 2) {
                0 => ". I noticed",
                _ => ", and I noticed",
            };
            format!("{hook}{joiner} {}.", g.line)
        }
        None => format!("{hook}, and I had a quick idea for you."),
    }
}

/// The full deterministic analysis.
pub fn analyze(f: &BusinessFacts) -> Analysis {
    let mut pain_points: Vec<String> = gaps(f)
        .into_iter()
        .map(|g| g.pain)
        .take(MAX_ITEMS)
        .collect();
    if pain_points.is_empty() {
        pain_points.push(format!(
            "No obvious gaps in what we could see: the opening is helping {} grow from a solid base.",
            f.display_name()
        ));
    }
    Analysis {
        summary: summary(f),
        pain_points,
        hooks: hooks(f)
            .into_iter()
            .map(|h| h.hook)
            .take(MAX_ITEMS)
            .collect(),
        opening_line: opening_line(f),
        source: AnalysisSource::Fallback,
        usage: Usage::default(),
        fallback_reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_strips_scheme_path_and_www() {
        assert_eq!(host("https://www.rosa.example/menu?x=1"), "rosa.example");
        assert_eq!(host("rosa.example"), "rosa.example");
    }

    #[test]
    fn join_and_reads_naturally() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join_and(&v(&["a"])), "a");
        assert_eq!(join_and(&v(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn categories_read_mid_sentence() {
        let of = |c: &str| {
            category(&BusinessFacts {
                category: Some(c.into()),
                ..Default::default()
            })
            .unwrap_or_default()
        };
        assert_eq!(of("Law Firm"), "law firm");
        assert_eq!(of("Dentist"), "dentist");
        assert_eq!(of("Italian Restaurant"), "Italian restaurant");
        assert_eq!(of("IT services"), "IT services");
        assert_eq!(of("HVAC Contractor"), "HVAC contractor");
        assert_eq!(of("McDonald's franchise"), "McDonald's franchise");
    }
}
