//! URL-safe workspace slugs made from human names.

/// Lower-case ASCII letters, digits and single dashes; never empty.
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for ch in name.chars() {
        let mapped = match ch {
            'a'..='z' | '0'..='9' => Some(ch),
            'A'..='Z' => Some(ch.to_ascii_lowercase()),
            'ä' | 'Ä' | 'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ö' | 'Ö' | 'ó' | 'ò' | 'ô' | 'õ' | 'ø' => Some('o'),
            'ü' | 'Ü' | 'ú' | 'ù' | 'û' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            'ß' => Some('s'),
            _ => None,
        };
        match mapped {
            Some(c) => {
                out.push(c);
                dash = false;
            }
            None => {
                if !dash && !out.is_empty() {
                    out.push('-');
                    dash = true;
                }
            }
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(48);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("workspace");
    }
    out
}

/// Whether `s` is a well-formed slug (what `slugify` produces).
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(slugify("Acme Web Studio"), "acme-web-studio");
        assert_eq!(slugify("  Müller & Söhne GmbH "), "muller-sohne-gmbh");
        assert_eq!(slugify("!!!"), "workspace");
    }

    proptest! {
        #[test]
        fn always_valid(s in ".*") {
            prop_assert!(is_valid_slug(&slugify(&s)));
        }
    }
}
