//! Search words: what a contact or company is found by, and how a user's query becomes
//! prefix terms. Both database engines index the same lower-cased, ASCII-folded words, so a
//! search finds the same rows on SQLite (FTS5) and PostgreSQL (tsvector).

/// Longest search text kept per row; the rest is dropped (names and addresses are short).
pub const MAX_SEARCH_TEXT: usize = 2_000;

/// Longest query term used; a longer word cannot be a prefix of anything we index.
pub const MAX_TERM: usize = 64;

/// Most query terms used; the rest of a very long query is ignored.
pub const MAX_TERMS: usize = 8;

/// The words of `parts`: lower-cased, split on anything that is not a letter or digit,
/// de-duplicated, joined by spaces. Phone numbers contribute their digits as one word.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    for part in parts {
        let digits_only = part.starts_with('+') && part[1..].chars().all(|c| c.is_ascii_digit());
        let words: Vec<String> = if digits_only {
            vec![part[1..].to_string()]
        } else {
            words(part).collect()
        };
        for w in words {
            if w.is_empty() || seen.contains(&w) {
                continue;
            }
            if out.len() + w.len() + 1 > MAX_SEARCH_TEXT {
                return out;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&w);
            seen.push(w);
        }
    }
    out
}

/// The terms of a user's query, each meant as a prefix; empty when nothing searchable is left.
/// A leading `+` on a phone number is ignored, so "+49 30" finds "+4930...".
pub fn query_terms(q: &str) -> Vec<String> {
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let phone_like = compact.len() >= 4
        && compact
            .chars()
            .all(|c| c.is_ascii_digit() || "+-().".contains(c));
    if phone_like {
        let digits: String = compact.chars().filter(char::is_ascii_digit).collect();
        return vec![digits.chars().take(MAX_TERM).collect()];
    }
    let mut out: Vec<String> = Vec::new();
    for w in words(q) {
        if !out.contains(&w) && out.len() < MAX_TERMS {
            out.push(w.chars().take(MAX_TERM).collect());
        }
    }
    out
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// Lower-case and strip common Latin diacritics, matching FTS5's `remove_diacritics 2`
/// closely enough for names ("Müller" -> "muller").
fn fold(w: &str) -> String {
    w.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
            'ý' | 'ÿ' => 'y',
            'ś' | 'š' | 'ş' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ł' => 'l',
            'ř' => 'r',
            'ť' => 't',
            'ď' => 'd',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_contact() {
        assert_eq!(
            search_text([
                "Anna Müller",
                "anna@acme-bau.de",
                "+493012345678",
                "acme-bau.de"
            ]),
            "anna muller acme bau de 493012345678"
        );
    }

    #[test]
    fn queries() {
        assert_eq!(query_terms("  Ann@ACME "), ["ann", "acme"]);
        assert_eq!(query_terms("+49 30 123"), ["4930123"]);
        assert_eq!(query_terms("(415) 555-01"), ["41555501"]);
        assert!(query_terms(" '\"*() ").is_empty());
        assert_eq!(query_terms("a b c d e f g h i j").len(), MAX_TERMS);
    }

    #[test]
    fn never_too_long() {
        let long = "word ".repeat(10_000);
        assert!(search_text([long.as_str()]).len() <= MAX_SEARCH_TEXT);
        let many: String = (0..2000).map(|i| format!("w{i} ")).collect();
        assert!(search_text([many.as_str()]).len() <= MAX_SEARCH_TEXT);
    }
}
