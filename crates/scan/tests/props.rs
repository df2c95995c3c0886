//! Property tests: extractors never panic on arbitrary input, and what they return is
//! always well-formed.

use proptest::prelude::*;
use prospector_scan::extract::{self, emails, phones};
use url::Url;

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn email_extraction_never_panics(s in "\\PC{0,300}") {
        for e in emails::from_text(&s) {
            prop_assert!(e.value.contains('@'));
            prop_assert_eq!(e.value.clone(), e.value.to_lowercase());
        }
        let _ = emails::from_mailto(&s);
        let _ = emails::decode_cfemail(&s);
        let _ = emails::deobfuscate(&s);
    }

    #[test]
    fn email_extraction_on_emailish_text(local in "[a-z0-9._%+-]{0,20}", dom in "[a-z0-9.-]{0,20}", tld in "[a-z]{0,6}", noise in "[ \\[\\]()@.atdo]{0,12}") {
        let s = format!("{noise}{local}{noise}@{dom}.{tld}{noise} {local} [at] {dom} [dot] {tld}");
        for e in emails::from_text(&s) {
            prop_assert!(!e.value.starts_with('.') && !e.value.contains(".."));
        }
    }

    #[test]
    fn phone_extraction_never_panics(s in "\\PC{0,300}") {
        for p in phones::from_text(&s) {
            let id = phones::region_id("DE").expect("DE");
            if let Some((e164, _)) = phones::validate(&p.raw, id) {
                prop_assert!(e164.starts_with('+'));
                prop_assert!(e164[1..].chars().all(|c| c.is_ascii_digit()));
            }
        }
        let _ = phones::from_tel(&s);
    }

    #[test]
    fn phone_extraction_on_digit_soup(s in "[0-9 +()./-]{0,40}", label in "(Tel\\.|Fax|IBAN|)") {
        let t = format!("{label} {s}");
        for p in phones::from_text(&t) {
            for region in ["US", "DE", "FR", "GB"] {
                let _ = phones::validate(&p.raw, phones::region_id(region).expect("region"));
            }
        }
    }

    #[test]
    fn page_analysis_never_panics(body in "\\PC{0,400}") {
        let url = Url::parse("https://example.org/").expect("url");
        let html = format!("<html><body><a href=\"{body}\">{body}</a><script type=\"application/ld+json\">{body}</script><p>{body}</p></body></html>");
        let _ = extract::analyze(&url, &html, "example.org");
    }
}
