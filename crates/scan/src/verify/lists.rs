//! Embedded lists (see `data/README.md` for provenance and licence).

use std::collections::HashSet;
use std::sync::LazyLock;

fn load(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

static DISPOSABLE: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| load(include_str!("../../data/disposable_domains.txt")));
static FREE: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| load(include_str!("../../data/free_providers.txt")));
static ROLE: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| load(include_str!("../../data/role_accounts.txt")));

/// The domain or one of its parents is a known disposable-mail service.
pub fn is_disposable(domain: &str) -> bool {
    let mut d = domain;
    loop {
        if DISPOSABLE.contains(d) {
            return true;
        }
        match d.split_once('.') {
            Some((_, rest)) if rest.contains('.') => d = rest,
            _ => return false,
        }
    }
}

/// The domain is a free webmail provider.
pub fn is_free(domain: &str) -> bool {
    FREE.contains(domain)
}

/// The local part (without `+tag`) names a function, not a person.
pub fn is_role(local: &str) -> bool {
    let base = local.split('+').next().unwrap_or(local);
    ROLE.contains(base) || ROLE.contains(base.replace(['.', '_'], "-").as_str())
}

/// Sizes of the lists (for tests and diagnostics).
pub fn sizes() -> (usize, usize, usize) {
    (DISPOSABLE.len(), FREE.len(), ROLE.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sane() {
        let (d, f, r) = sizes();
        assert!(d >= 300 && f >= 80 && r >= 50, "{d} {f} {r}");
        for dom in DISPOSABLE.iter() {
            assert!(
                dom.contains('.') && *dom == dom.to_ascii_lowercase(),
                "{dom}"
            );
            assert!(!FREE.contains(dom), "{dom} both free and disposable");
        }
        assert!(is_disposable("mailinator.com"));
        assert!(is_disposable("x.mailinator.com"));
        assert!(!is_disposable("gmail.com"));
        assert!(is_free("gmx.de"));
        assert!(is_role("info") && is_role("sales+de") && !is_role("anna.schmidt"));
    }
}
