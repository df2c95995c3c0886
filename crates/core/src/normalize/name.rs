//! Person names: trimmed, whitespace collapsed and re-cased when they were typed in one case.
//!
//! Casing rules, per word (words split on spaces, hyphens and apostrophes):
//! - a word that already mixes case in a plausible way ("McDonald", "DeShawn", "MacArthur")
//!   is kept as written;
//! - otherwise the word is title-cased ("jOHN" -> "John", "o'neil" -> "O'Neil",
//!   "anne-marie" -> "Anne-Marie"), with `Mc` prefixes handled ("MCDONALD" -> "McDonald");
//! - name particles (van, der, de, von, da, di, du, la, le, del, della, dos, das, ten, ter, zu,
//!   y, e, bin, al) are lower-cased unless they are the last word ("van der Berg" stays,
//!   a first name "Van" stays capitalised).

use super::text::clean;

const PARTICLES: &[&str] = &[
    "van", "der", "den", "de", "des", "von", "vom", "zu", "zur", "da", "di", "do", "du", "la",
    "le", "del", "della", "dos", "das", "ten", "ter", "te", "y", "e", "bin", "al", "af", "av",
];

/// Cleans and re-cases a person name (first, last or full). `None` when empty.
pub fn normalize_name(raw: &str) -> Option<String> {
    let cleaned = clean(raw)?;
    let words: Vec<&str> = cleaned.split(' ').collect();
    let last = words.len().saturating_sub(1);
    let mut out = String::with_capacity(cleaned.len());
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        if i < last && PARTICLES.contains(&lower.as_str()) {
            out.push_str(&lower);
        } else {
            case_word(word, &mut out);
        }
    }
    Some(out)
}

/// Re-cases one space-free word, handling hyphen and apostrophe parts separately.
fn case_word(word: &str, out: &mut String) {
    let mut part = String::new();
    for c in word.chars() {
        if c == '-' || c == '\'' || c == '’' {
            case_part(&part, out);
            out.push(c);
            part.clear();
        } else {
            part.push(c);
        }
    }
    case_part(&part, out);
}

fn case_part(part: &str, out: &mut String) {
    if part.is_empty() {
        return;
    }
    if is_deliberate_mixed_case(part) {
        out.push_str(part);
        return;
    }
    let lower = part.to_lowercase();
    let mut chars = lower.chars();
    let Some(first) = chars.next() else { return };
    out.extend(first.to_uppercase());
    let rest: String = chars.collect();
    // Mc + capital: "mcdonald" -> "McDonald". ("Mac" is ambiguous: Mack, Macy.)
    if first == 'm' && rest.starts_with('c') && rest.chars().count() > 2 {
        out.push('c');
        let mut r = rest.chars().skip(1);
        if let Some(c) = r.next() {
            out.extend(c.to_uppercase());
        }
        out.extend(r);
    } else {
        out.push_str(&rest);
    }
}

/// "McDonald", "DeShawn": starts upper-case, has lower-case letters, and an upper-case letter
/// after a lower-case one. "jOHN", "JOHN", "john" are not.
fn is_deliberate_mixed_case(part: &str) -> bool {
    let mut chars = part.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let mut seen_lower = false;
    let mut upper_after_lower = false;
    let mut lowers = 0;
    let mut uppers = 1;
    for c in chars {
        if c.is_lowercase() {
            seen_lower = true;
            lowers += 1;
        } else if c.is_uppercase() {
            uppers += 1;
            if seen_lower {
                upper_after_lower = true;
            }
        }
    }
    upper_after_lower && lowers >= uppers
}

/// Splits a full name into (first, last). Handles "Last, First"; everything after the first
/// word is the last name, so particles stay with it ("Anna van der Berg" -> "Anna",
/// "van der Berg"). Names of one word give only a first name.
pub fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    let Some(full) = clean(full) else {
        return (None, None);
    };
    if let Some((last, first)) = full.split_once(',') {
        let first = normalize_name(first);
        let last = normalize_name(last);
        if first.is_some() && last.is_some() {
            return (first, last);
        }
    }
    let full = normalize_name(&full).unwrap_or_default();
    match full.split_once(' ') {
        Some((first, last)) => (Some(first.to_string()), Some(last.to_string())),
        None => ((!full.is_empty()).then_some(full), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_name(s).unwrap_or_default()
    }

    #[test]
    fn recases() {
        assert_eq!(n("  jOHN  o'neil "), "John O'Neil");
        assert_eq!(n("MCDONALD"), "McDonald");
        assert_eq!(n("McDonald"), "McDonald");
        assert_eq!(n("DeShawn"), "DeShawn");
        assert_eq!(n("anne-marie"), "Anne-Marie");
        assert_eq!(n("van der Berg"), "van der Berg");
        assert_eq!(n("Jan VAN DER BERG"), "Jan van der Berg");
        assert_eq!(n("van"), "Van");
        assert_eq!(n("ÉLODIE"), "Élodie");
        assert_eq!(n("müller"), "Müller");
        assert_eq!(n("mac"), "Mac");
        assert_eq!(normalize_name("   "), None);
        assert_eq!(normalize_name("n/a"), None);
    }

    #[test]
    fn splits() {
        assert_eq!(
            split_full_name("anna van der berg"),
            (Some("Anna".into()), Some("van der Berg".into()))
        );
        assert_eq!(
            split_full_name("Doe, John"),
            (Some("John".into()), Some("Doe".into()))
        );
        assert_eq!(split_full_name("Cher"), (Some("Cher".into()), None));
        assert_eq!(split_full_name(""), (None, None));
    }
}
