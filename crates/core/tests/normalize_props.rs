//! Property tests: the normalisers and the CSV reader never panic and keep their promises.

use std::io::Cursor;

use proptest::prelude::*;
use prospector_core::import::{CsvReader, Mapping, ReaderOptions, RowMapper, sniff};
use prospector_core::normalize::{
    CountryCode, Email, PhoneE164, Website, normalize_name, split_full_name, split_tags, to_iso2,
};

fn phoneish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+0-9 ()./-]{0,25}",
        "\\+[1-9][0-9 ]{6,16}",
        "0[0-9 /-]{5,14}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn normalisers_never_panic(s in any::<String>()) {
        let _ = Email::parse(&s);
        let _ = Website::parse(&s);
        let _ = to_iso2(&s);
        let _ = normalize_name(&s);
        let _ = split_full_name(&s);
        let _ = split_tags(&s);
        let _ = PhoneE164::parse(&s, CountryCode::parse("DE").ok());
        let _ = PhoneE164::parse(&s, None);
    }

    #[test]
    fn email_parse_is_idempotent(s in prop_oneof![
        "[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9.-]{1,20}\\.[a-zA-Z]{2,6}",
        " ?[A-Za-zäöü.]{1,10}@[a-zäöüé-]{1,12}\\.(de|com|CO\\.UK) ?",
        any::<String>(),
    ]) {
        if let Ok(e) = Email::parse(&s) {
            prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
        }
    }

    #[test]
    fn website_parse_is_idempotent(s in "(https?://)?(www\\.)?[a-zA-Z0-9-]{1,12}\\.(com|de|co\\.uk|io)(/[a-zA-Z0-9]{0,5}){0,2}/?(\\?utm_source=x&a=1)?") {
        if let Ok(w) = Website::parse(&s) {
            prop_assert_eq!(Website::parse(w.as_str()), Ok(w.clone()));
        }
    }

    #[test]
    fn phone_output_is_e164(s in phoneish(), cc in prop::sample::select(vec!["DE", "US", "FR", "GB", "IT", "ES", "BR", "IN"])) {
        if let Ok(p) = PhoneE164::parse(&s, CountryCode::parse(cc).ok()) {
            let e = p.as_str();
            prop_assert!(e.starts_with('+'), "{}", e);
            prop_assert!(e[1..].bytes().all(|b| b.is_ascii_digit()), "{}", e);
            prop_assert!((8..=16).contains(&e.len()), "{}", e);
            // Parsing the output again gives the same number.
            prop_assert_eq!(PhoneE164::parse(e, None).map(|q| q.as_str().to_string()), Ok(e.to_string()));
        }
    }

    #[test]
    fn sniff_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = sniff(&bytes);
    }

    #[test]
    fn reader_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        read_everything(bytes);
    }

    #[test]
    fn reader_never_panics_on_csvish_text(s in "[a-z,;|\t\"\r\n ]{0,400}") {
        read_everything(s.into_bytes());
    }
}

fn read_everything(bytes: Vec<u8>) {
    let opts = ReaderOptions {
        max_record_bytes: 64,
        max_columns: 8,
        ..ReaderOptions::default()
    };
    if let Ok(mut r) = CsvReader::new(Cursor::new(bytes), opts) {
        let mapper = RowMapper::new(
            &Mapping::suggest(r.headers()),
            CountryCode::parse("US").ok(),
        );
        let mut n = 0;
        for item in r.by_ref() {
            if let Ok(rec) = item {
                let _ = mapper.map(&rec);
            }
            n += 1;
            assert!(n < 100_000, "reader does not terminate");
        }
    }
}
