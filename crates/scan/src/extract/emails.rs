//! Email extraction: mailto links, visible text, common obfuscations, Cloudflare email
//! protection, and the rejection rules that keep image names, placeholders and
//! error-tracking DSNs out of the results.

use std::sync::LazyLock;

use regex::Regex;

/// A candidate address found on a page, before de-duplication across pages.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEmail {
    /// Cleaned, lower-cased address.
    pub value: String,
    /// mailto, text, obfuscated, cloudflare, json-ld, script, attribute.
    pub method: &'static str,
}

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@(?:[\p{L}\p{N}][\p{L}\p{N}\-]*\.)+\p{L}{2,24}")
        .expect("static regex")
});

static AT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*(?:\[\s*(?:at|@|ät|arroba|arobase|chez|chiocciola|klammeraffe|at sign)\s*\]|\(\s*(?:at|@|ät|arroba|arobase|chez|chiocciola|klammeraffe|at sign)\s*\)|\{\s*(?:at|@)\s*\}|<\s*(?:at|@)\s*>|\s+@\s+|\s+\[@\]\s+)\s*",
    )
    .expect("static regex")
});

static DOT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*(?:\[\s*(?:dot|punkt|point|punto|ponto|\.)\s*\]|\(\s*(?:dot|punkt|point|punto|ponto|\.)\s*\)|\{\s*(?:dot|punkt|point|punto|\.)\s*\}|<\s*dot\s*>)\s*",
    )
    .expect("static regex")
});

/// `name at domain dot com` written with bare words.
static WORDS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)([a-z0-9][a-z0-9._%+\-]{0,63})\s+at\s+([a-z0-9][a-z0-9\-]*(?:\s+(?:dot|punkt|point|punto)\s+[a-z0-9\-]+)+)(?-u:\b)",
    )
    .expect("static regex")
});

/// `name at domain.com` (real dots, bare "at"): only accepted after an email label.
static BARE_AT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)([a-z0-9][a-z0-9._%+\-]{0,63})\s+at\s+((?:[a-z0-9\-]+\.)+[a-z]{2,24})(?-u:\b)")
        .expect("static regex")
});

/// Footer credits of the web agency that built the site: their address is not the business's.
static CREDIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(web\s?design|design(ed)?\s+(by|von)|made\s+(by|with)|powered\s+by|realisiert\s+(von|durch)|umsetzung|r[ée]alisation|realizzat[oa]|dise[ñn]o\s+web|site\s+by|website\s+by|created\s+by|developed\s+by|hosted\s+by|template\s+by|erstellt\s+von)")
        .expect("static regex")
});

/// The line of `text` around byte range `start..end`.
fn line_of(text: &str, start: usize, end: usize) -> &str {
    let s = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let e = text[end..].find('\n').map_or(text.len(), |i| end + i);
    &text[s..e]
}

/// Cheap test for any obfuscation marker, so the rewriting passes run only when needed.
static HINT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\[({<]\s*(?:at|@|ät|arroba|arobase|chez|chiocciola|klammeraffe|at sign)\s*[\])}>]|\s@\s|\sat\s")
        .expect("static regex")
});

static DOT_WORD_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s+(?:dot|punkt|point|punto)\s+").expect("static regex"));

/// Extensions that show an `x@2x.png` match is a file name, not an address.
const FILE_TLDS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "avif", "heic", "css",
    "js", "mjs", "json", "xml", "pdf", "mp4", "mp3", "webm", "woff", "woff2", "ttf", "eot", "otf",
    "map", "php", "html", "htm", "asp", "aspx", "jsp", "zip", "gz", "txt", "scss", "less", "mov",
    "avi", "doc", "docx", "xls", "xlsx",
];

/// Domains that only ever appear in templates, documentation or vendor code.
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "example.de",
    "example.fr",
    "example.es",
    "example.it",
    "example.co.uk",
    "domain.com",
    "domain.de",
    "yourdomain.com",
    "your-domain.com",
    "mydomain.com",
    "yoursite.com",
    "mysite.com",
    "yourcompany.com",
    "company.com",
    "website.com",
    "yourwebsite.com",
    "email.com",
    "test.com",
    "test.de",
    "sample.com",
    "beispiel.de",
    "beispiel.com",
    "musterfirma.de",
    "mustermann.de",
    "muster.de",
    "ihredomain.de",
    "ihre-domain.de",
    "deinedomain.de",
    "exemple.com",
    "exemple.fr",
    "ejemplo.com",
    "ejemplo.es",
    "tudominio.com",
    "esempio.it",
    "esempio.com",
    "tuodominio.it",
    "voorbeeld.nl",
    "sentry.io",
    "wixpress.com",
    "sentry-next.wixpress.com",
    "sentry.wixpress.com",
    "localhost",
    "invalid",
    "address.com",
    "host.com",
    "server.com",
    "acme.com",
    "placeholder.com",
    "dominio.com",
    "votredomaine.fr",
    "votresite.fr",
    "mail.com.example",
];

/// Local parts that mark a template or a no-reply sender.
const PLACEHOLDER_LOCALS: &[&str] = &[
    "email",
    "e-mail",
    "name",
    "your",
    "yourname",
    "your.name",
    "you",
    "user",
    "username",
    "john.doe",
    "jane.doe",
    "johndoe",
    "janedoe",
    "john",
    "max.mustermann",
    "mustermann",
    "vorname.nachname",
    "firstname.lastname",
    "first.last",
    "prenom.nom",
    "nombre",
    "tu",
    "tuo",
    "ihr.name",
    "votre",
    "votre.nom",
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "do_not_reply",
    "mailer-daemon",
    "nobody",
    "test",
    "xxx",
    "abc",
];

/// Finds addresses in visible text, plain and de-obfuscated.
pub fn from_text(text: &str) -> Vec<RawEmail> {
    let mut out: Vec<RawEmail> = Vec::new();
    let plain = if text.contains('@') {
        EMAIL_RE.find_iter(text).collect()
    } else {
        Vec::new()
    };
    for m in plain {
        if !CREDIT_RE.is_match(line_of(text, m.start(), m.end())) {
            push(&mut out, m.as_str(), "text");
        }
    }
    if !HINT_RE.is_match(text) {
        return out;
    }
    // Bracketed and spelled-out forms.
    let deob = deobfuscate(text);
    if deob != text {
        for m in EMAIL_RE.find_iter(&deob) {
            if !CREDIT_RE.is_match(line_of(&deob, m.start(), m.end())) {
                push(&mut out, m.as_str(), "obfuscated");
            }
        }
    }
    // `info at firma.de` only after an email label, so "visit us at www.x.com" stays out.
    for c in BARE_AT_RE.captures_iter(text) {
        let (Some(all), Some(local), Some(domain)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        let ctx = super::text::context_before(text, all.start(), 30);
        let labelled = ["mail", "courriel", "correo", "posta", "contact"]
            .iter()
            .any(|k| ctx.contains(k));
        if labelled && !domain.as_str().to_ascii_lowercase().starts_with("www.") {
            push(
                &mut out,
                &format!("{}@{}", local.as_str(), domain.as_str()),
                "obfuscated",
            );
        }
    }
    out
}

fn push(out: &mut Vec<RawEmail>, raw: &str, method: &'static str) {
    if let Some(value) = clean(raw)
        && !out.iter().any(|e| e.value == value)
    {
        out.push(RawEmail { value, method });
    }
}

/// Turns `[at]`, `(dot)`, ` at ... dot ` and friends into `@` and `.`.
pub fn deobfuscate(text: &str) -> String {
    let s = AT_RE.replace_all(text, "@");
    let s = DOT_RE.replace_all(&s, ".");
    WORDS_RE
        .replace_all(&s, |c: &regex::Captures<'_>| {
            let local = c.get(1).map_or("", |m| m.as_str());
            let domain = c.get(2).map_or("", |m| m.as_str());
            format!("{local}@{}", DOT_WORD_RE.replace_all(domain, "."))
        })
        .into_owned()
}

/// Addresses of a `mailto:` href (several may be comma-separated; query is dropped).
pub fn from_mailto(href: &str) -> Vec<String> {
    let trimmed = href.trim();
    let Some(rest) = trimmed
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map(|_| &trimmed[7..])
    else {
        return Vec::new();
    };
    let rest = rest.split('?').next().unwrap_or("");
    let decoded = percent_decode(rest);
    decoded.split([',', ';']).filter_map(clean).collect()
}

/// Decodes Cloudflare's email protection hex (`data-cfemail` or `/cdn-cgi/l/email-protection#…`).
pub fn decode_cfemail(hex: &str) -> Option<String> {
    let hex = hex.trim();
    if hex.len() < 4 || !hex.len().is_multiple_of(2) || hex.len() > 512 {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let key = bytes[0];
    let decoded: Vec<u8> = bytes[1..].iter().map(|b| b ^ key).collect();
    let s = String::from_utf8(decoded).ok()?;
    clean(&s)
}

/// Decodes `%xx` escapes; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Normalises a candidate and applies every rejection rule. `None` = not a real address.
pub fn clean(raw: &str) -> Option<String> {
    let trim: &[char] = &[
        '.', ',', ';', ':', '!', '?', '\'', '"', '(', ')', '[', ']', '<', '>', '{', '}', ' ', '*',
        '/', '\\', '|', '-', '_',
    ];
    let mut s = raw.trim_matches(trim).to_lowercase();
    if let Some(rest) = s.strip_prefix("mailto:") {
        s = rest.to_string();
    }
    // JSON/JS escapes glued to an address: `\u003einfo@x.de`.
    for p in ["u003e", "u003c", "u0022", "x3e", "x22", "2f", "3e"] {
        if let Some(rest) = s.strip_prefix(p)
            && rest.contains('@')
            && s.len() > p.len() + 3
            && raw.contains('\\')
        {
            s = rest.to_string();
        }
    }
    let (local, domain) = s.rsplit_once('@')?;
    let local = local.trim_start_matches(['.', '%', '+', '-']);
    let domain = domain.trim_end_matches('.');
    if local.is_empty() || local.len() > 64 || domain.len() > 253 || local.contains('@') {
        return None;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
    {
        return None;
    }
    let tld = labels.last().copied().unwrap_or("");
    if FILE_TLDS.contains(&tld) || tld.chars().any(|c| !c.is_alphabetic()) {
        return None;
    }
    // Retina image names like `logo@2x.png` and sizes like `icon@3x`.
    if local.len() <= 3 && domain.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if labels[0].len() <= 2
        && labels[0].ends_with('x')
        && labels[0].starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let ascii_domain = idna::domain_to_ascii(domain).ok()?;
    let known = psl::domain(ascii_domain.as_bytes()).is_some_and(|d| d.suffix().is_known());
    if !known {
        return None;
    }
    if PLACEHOLDER_DOMAINS
        .iter()
        .any(|p| ascii_domain == *p || ascii_domain.ends_with(&format!(".{p}")))
    {
        return None;
    }
    if ascii_domain.contains("sentry") || ascii_domain.starts_with("example.") {
        return None;
    }
    if PLACEHOLDER_LOCALS.contains(&local) {
        return None;
    }
    // Error-tracking DSN keys and other hashes: long hex or digit-only local parts.
    let hexish = local.len() >= 16 && local.chars().all(|c| c.is_ascii_hexdigit());
    if hexish || (local.len() >= 10 && local.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(t: &str) -> Vec<String> {
        from_text(t).into_iter().map(|e| e.value).collect()
    }

    #[test]
    fn plain_text() {
        assert_eq!(
            vals("Mail: Info@Bistro-Luna.de."),
            vec!["info@bistro-luna.de"]
        );
    }

    #[test]
    fn bracket_obfuscations() {
        assert_eq!(
            vals("info [at] zahnarzt-koch [dot] de"),
            vec!["info@zahnarzt-koch.de"]
        );
        assert_eq!(
            vals("hola(at)pizzeria-sol(punto)es"),
            vec!["hola@pizzeria-sol.es"]
        );
        assert_eq!(vals("office {at} plumb.co.uk"), vec!["office@plumb.co.uk"]);
        assert_eq!(vals("bonjour (arroba) cafe.fr"), vec!["bonjour@cafe.fr"]);
    }

    #[test]
    fn word_obfuscations() {
        assert_eq!(
            vals("write to anna at studio-k dot de"),
            vec!["anna@studio-k.de"]
        );
        assert_eq!(
            vals("E-Mail: praxis at dr-weber.de"),
            vec!["praxis@dr-weber.de"]
        );
        assert!(vals("Visit us at www.dr-weber.de").is_empty());
        assert!(vals("we meet at home dot").is_empty());
    }

    #[test]
    fn rejects_traps() {
        for t in [
            "logo@2x.png",
            "icon@3x.webp",
            "john.doe@example.com",
            "email@domain.com",
            "your@email.com",
            "0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io",
            "abc@sentry-next.wixpress.com",
            "info@firma.invalidtld",
            "noreply@shop.de",
            "name@yourdomain.com",
            "max.mustermann@beispiel.de",
        ] {
            assert!(vals(t).is_empty(), "{t} should be rejected");
        }
    }

    #[test]
    fn mailto_and_percent() {
        assert_eq!(
            from_mailto("mailto:%69nfo@cafe.it?subject=Hi"),
            vec!["info@cafe.it"]
        );
        assert_eq!(
            from_mailto("MAILTO:a@b.de,c@d.de"),
            vec!["a@b.de", "c@d.de"]
        );
        assert!(from_mailto("https://x.de").is_empty());
    }

    #[test]
    fn cloudflare() {
        // "info@firma.de" xor 0x42
        let key = 0x42u8;
        let mut hex = format!("{key:02x}");
        for b in "info@firma.de".bytes() {
            hex.push_str(&format!("{:02x}", b ^ key));
        }
        assert_eq!(decode_cfemail(&hex).as_deref(), Some("info@firma.de"));
        assert_eq!(decode_cfemail("zz"), None);
        assert_eq!(decode_cfemail("4"), None);
    }

    #[test]
    fn skips_agency_credits() {
        assert_eq!(
            vals("info@luna.de\nWebdesign by Pixelwerk – hallo@pixelwerk.de"),
            vec!["info@luna.de"]
        );
    }

    #[test]
    fn idn_domain() {
        assert_eq!(
            vals("kontakt@bäckerei-müller.de"),
            vec!["kontakt@bäckerei-müller.de"]
        );
    }
}
