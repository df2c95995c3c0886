//! Tag lists written in one cell.

use super::text::clean;

/// Longest tag kept; longer values are cut at a character boundary.
pub const MAX_TAG_LEN: usize = 64;

/// Splits on `,` `;` `|` (and line breaks), trims, drops empties and duplicates
/// (case-insensitive, first spelling wins), keeping the order of first appearance.
pub fn split_tags(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split([',', ';', '|', '\n', '\r']) {
        let Some(tag) = clean(part) else { continue };
        let tag: String = tag.chars().take(MAX_TAG_LEN).collect();
        if !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
    }
    out
}

/// Adds `more` to `tags` with the same de-duplication rule as [`split_tags`].
pub fn merge_tags(tags: &mut Vec<String>, more: &[String]) {
    for t in more {
        if !tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            tags.push(t.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_dedupes() {
        assert_eq!(
            split_tags(" vip, Restaurant ;lead|VIP||  "),
            ["vip", "Restaurant", "lead"]
        );
        assert!(split_tags(" ; , ").is_empty());
        let mut t = vec!["a".to_string()];
        merge_tags(&mut t, &["A".into(), "b".into()]);
        assert_eq!(t, ["a", "b"]);
    }
}
