//! Small text helpers shared by the normalisers and the header mapper.

/// Values that spreadsheets use to mean "nothing here"; treating them as empty avoids importing
/// "N/A" as a company name or "-" as a phone number.
const PLACEHOLDERS: &[&str] = &[
    "-",
    "--",
    "---",
    "—",
    "–",
    "n/a",
    "na",
    "n.a.",
    "n.a",
    "null",
    "nil",
    "none",
    "(none)",
    "#n/a",
    "?",
    ".",
    "undefined",
    "(blank)",
    "k.a.",
    "keine angabe",
];

/// Trims, removes control characters, collapses runs of whitespace and maps placeholder values
/// (`N/A`, `-`, `null`, ...) to `None`, so every optional field shares one idea of "empty".
pub fn clean(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}' {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    if out.is_empty() || is_placeholder(&out) {
        None
    } else {
        Some(out)
    }
}

/// Like [`clean`] but keeps line breaks (for notes and addresses that span lines).
pub fn clean_multiline(raw: &str) -> Option<String> {
    let lines: Vec<String> = raw
        .split(['\n', '\r'])
        .filter_map(|l| {
            let mut s = String::new();
            let mut pending = false;
            for c in l.chars() {
                if c.is_whitespace() || c == '\u{FEFF}' {
                    pending = !s.is_empty();
                } else if !c.is_control() {
                    if pending {
                        s.push(' ');
                        pending = false;
                    }
                    s.push(c);
                }
            }
            (!s.is_empty()).then_some(s)
        })
        .collect();
    let joined = lines.join("\n");
    if joined.is_empty() || is_placeholder(&joined) {
        None
    } else {
        Some(joined)
    }
}

/// True for the "nothing here" markers listed in [`PLACEHOLDERS`] (case-insensitive).
pub fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t))
}

/// Folds a character to ASCII when it is a Latin letter with a diacritic, so that
/// "Téléphone", "Telefone" and "TELEPHONE" compare equal after lower-casing.
pub fn fold_char(c: char, out: &mut String) {
    let s: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' | 'ð' | 'Ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => {
            "i"
        }
        'ł' | 'ľ' | 'ĺ' | 'Ł' | 'Ľ' | 'Ĺ' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ř' | 'ŕ' | 'Ř' | 'Ŕ' => "r",
        'ś' | 'š' | 'ş' | 'ș' | 'Ś' | 'Š' | 'Ş' | 'Ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' | 'Ť' | 'Ţ' | 'Ț' => "t",
        'þ' | 'Þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push_str(s);
}

/// Lower-cases, folds diacritics and turns every run of non-alphanumeric characters into one
/// space: the comparison key for header names and country names.
pub fn fold_key(raw: &str) -> String {
    let mut folded = String::with_capacity(raw.len());
    for c in raw.chars() {
        fold_char(c, &mut folded);
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// ASCII snake_case slug of a header, used as the key of a custom field
/// ("Favourite Color" -> `favourite_color`, "Größe (cm)" -> `grosse_cm`).
pub fn slug(raw: &str) -> String {
    let key = fold_key(raw);
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == ' ' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        } else if c.is_alphanumeric() {
            // Non-Latin letters are kept: a Greek or Cyrillic header still gets a stable key.
            out.push(c);
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_and_drops_placeholders() {
        assert_eq!(clean("  a \t b  ").as_deref(), Some("a b"));
        assert_eq!(clean(" N/A "), None);
        assert_eq!(clean("-"), None);
        assert_eq!(clean(""), None);
        assert_eq!(clean("\u{FEFF}x"), Some("x".into()));
    }

    #[test]
    fn multiline_keeps_line_breaks() {
        assert_eq!(
            clean_multiline(" line 1 \r\n\r\n  line  2 ").as_deref(),
            Some("line 1\nline 2")
        );
    }

    #[test]
    fn fold_and_slug() {
        assert_eq!(fold_key("Téléphone"), "telephone");
        assert_eq!(fold_key("E-Mail  Adresse"), "e mail adresse");
        assert_eq!(slug("Favourite Color"), "favourite_color");
        assert_eq!(slug("Größe (cm)"), "grosse_cm");
        assert_eq!(slug("  "), "");
    }
}
