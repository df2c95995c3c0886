//! Which links to follow: pages where small businesses put contact details, recognised by
//! URL and link text in several languages.

use url::Url;

use crate::extract::Link;

/// (reason, weight, keywords). Keywords are matched in the URL path and the link text.
const KINDS: &[(&str, u32, &[&str])] = &[
    (
        "contact",
        100,
        &[
            "contact",
            "kontakt",
            "contacto",
            "contactenos",
            "contáctenos",
            "contatti",
            "contatto",
            "contato",
            "contactez",
            "nous-contacter",
            "contact-us",
            "contactus",
            "get-in-touch",
            "reach-us",
            "anfahrt",
            "impressum-kontakt",
            "kontaktformular",
            "yhteystiedot",
            "kontakta",
            "contacteer",
            "kontaktujte",
            "reservier",
            "reservation",
            "réservation",
            "reserva",
            "prenota",
            "booking",
            "termin",
            "appointment",
            "rendez-vous",
            "cita",
        ],
    ),
    (
        "legal",
        90,
        &[
            "impressum",
            "imprint",
            "legal-notice",
            "legal",
            "mentions-legales",
            "mentions légales",
            "aviso-legal",
            "aviso legal",
            "note-legali",
            "note legali",
            "colofon",
            "disclaimer",
            "site-notice",
            "offenlegung",
            "informativa",
        ],
    ),
    (
        "about",
        70,
        &[
            "about",
            "ueber-uns",
            "uber-uns",
            "über uns",
            "über-uns",
            "ueberuns",
            "wir-ueber-uns",
            "about-us",
            "chi-siamo",
            "chi siamo",
            "quienes-somos",
            "quiénes somos",
            "nosotros",
            "qui-sommes-nous",
            "qui sommes-nous",
            "a-propos",
            "à propos",
            "apropos",
            "sobre",
            "over-ons",
            "our-story",
            "unternehmen",
            "la-maison",
            "praxis",
            "philosophie",
        ],
    ),
    (
        "team",
        60,
        &[
            "team",
            "equipe",
            "équipe",
            "equipo",
            "staff",
            "our-team",
            "mitarbeiter",
            "people",
            "squadra",
            "chi-siamo/team",
            "ärzte",
            "aerzte",
            "dentists",
            "doctors",
        ],
    ),
    (
        "locations",
        55,
        &[
            "locations",
            "location",
            "standorte",
            "standort",
            "filialen",
            "filiale",
            "store-locator",
            "find-us",
            "stores",
            "sedi",
            "sede",
            "ubicacion",
            "ubicación",
            "nos-adresses",
            "adresse",
            "directions",
            "where",
            "wo-wir",
            "magasins",
            "tiendas",
        ],
    ),
    (
        "privacy",
        20,
        &[
            "datenschutz",
            "privacy",
            "confidentialite",
            "confidentialité",
            "privacidad",
            "politica-de-privacidad",
            "protezione",
            "donnees-personnelles",
        ],
    ),
];

/// Extensions that are never HTML pages.
const SKIP_EXT: &[&str] = &[
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".zip", ".doc", ".docx", ".xls",
    ".xlsx", ".mp4", ".mp3", ".css", ".js", ".xml", ".ics", ".vcf", ".rss",
];

/// Picks up to `n` links on the same site, best first, one per URL.
pub fn choose(links: &[Link], site_domain: &str, home: &Url, n: usize) -> Vec<(Url, &'static str)> {
    let mut scored: Vec<(u32, usize, Url, &'static str)> = Vec::new();
    for (i, l) in links.iter().enumerate() {
        let u = &l.url;
        let Some(host) = u.host_str() else { continue };
        if crate::extract::registrable_domain(host) != site_domain {
            continue;
        }
        let path = u.path().to_lowercase();
        if SKIP_EXT.iter().any(|e| path.ends_with(e))
            || path.contains("/wp-admin")
            || path.contains("/login")
        {
            continue;
        }
        let mut canon = u.clone();
        canon.set_fragment(None);
        if same_page(&canon, home) {
            continue;
        }
        let decoded_path = crate::extract::emails::percent_decode(&path);
        let mut best: Option<(u32, &'static str)> = None;
        for (reason, weight, words) in KINDS {
            let in_url = words.iter().any(|w| decoded_path.contains(w));
            let in_text = words.iter().any(|w| l.text.contains(w));
            if in_url || in_text {
                let score = weight + if in_url && in_text { 5 } else { 0 };
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, reason));
                }
            }
        }
        if let Some((score, reason)) = best {
            // Short paths are section pages; deep ones are often blog posts mentioning "contact".
            let depth = path.split('/').filter(|s| !s.is_empty()).count() as u32;
            let score = score.saturating_sub(depth.saturating_sub(1) * 20);
            if !scored.iter().any(|(_, _, x, _)| same_page(x, &canon)) {
                scored.push((score, i, canon, reason));
            }
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, u, r)| (u, r))
        .collect()
}

fn same_page(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str()
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        && a.query() == b.query()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(u: &str, t: &str) -> Link {
        Link {
            url: Url::parse(u).expect("url"),
            text: t.into(),
        }
    }

    #[test]
    fn prefers_contact_pages_on_same_site() {
        let home = Url::parse("https://www.luna.de/").expect("url");
        let links = vec![
            link("https://www.luna.de/", "home"),
            link("https://www.luna.de/blog/2019/how-to-contact-santa", "blog"),
            link("https://www.luna.de/datenschutz", "Datenschutz"),
            link("https://www.luna.de/impressum", "Impressum"),
            link("https://shop.luna.de/kontakt/", "Kontakt"),
            link("https://www.other.de/kontakt", "Kontakt"),
            link("https://www.luna.de/menu.pdf", "Kontakt PDF"),
            link("https://www.luna.de/ueber-uns", "Über uns"),
            link("https://www.luna.de/impressum#top", "Impressum"),
        ];
        let got: Vec<String> = choose(&links, "luna.de", &home, 3)
            .into_iter()
            .map(|(u, _)| u.to_string())
            .collect();
        assert_eq!(
            got,
            vec![
                "https://shop.luna.de/kontakt/",
                "https://www.luna.de/impressum",
                "https://www.luna.de/ueber-uns"
            ]
        );
    }
}
