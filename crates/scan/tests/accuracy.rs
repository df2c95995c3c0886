//! Accuracy of email, phone and social extraction over the labelled fixture pages in
//! `tests/fixtures/pages` (expected values in `tests/fixtures/expected.json`).
//! Prints precision and recall and asserts the targets of issue 9.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use prospector_scan::{ScanOptions, analyze_html};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    url: String,
    emails: Vec<String>,
    phones: Vec<String>,
    socials: Vec<String>,
}

#[derive(Default)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn add(&mut self, name: &str, page: &str, expected: &BTreeSet<String>, got: &BTreeSet<String>) {
        for g in got {
            if expected.contains(g) {
                self.tp += 1;
            } else {
                self.fp += 1;
                println!("  {page}: unexpected {name} {g}");
            }
        }
        for e in expected.difference(got) {
            self.fn_ += 1;
            println!("  {page}: missed {name} {e}");
        }
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

#[test]
fn extraction_accuracy_on_labelled_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let expected: BTreeMap<String, Expected> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json parses");
    let pages: Vec<_> = std::fs::read_dir(dir.join("pages"))
        .expect("pages dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .collect();
    assert!(
        pages.len() >= 40,
        "need at least 40 fixture pages, have {}",
        pages.len()
    );
    assert_eq!(
        pages.len(),
        expected.len(),
        "every page needs a label and every label a page"
    );

    let (mut emails, mut phones, mut socials) =
        (Tally::default(), Tally::default(), Tally::default());
    let opts = ScanOptions::default();
    for (name, exp) in &expected {
        let bytes = std::fs::read(dir.join("pages").join(name)).expect("fixture page");
        let (html, _) = prospector_scan::crawl::charset::decode(&bytes, None);
        let report = analyze_html(&exp.url, &html, &opts).expect("analysis");
        let set = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<BTreeSet<_>>();
        emails.add(
            "email",
            name,
            &set(&exp.emails),
            &report.emails.iter().map(|e| e.value.clone()).collect(),
        );
        phones.add(
            "phone",
            name,
            &set(&exp.phones),
            &report.phones.iter().map(|p| p.value.clone()).collect(),
        );
        socials.add(
            "social",
            name,
            &set(&exp.socials),
            &report
                .socials
                .iter()
                .map(|s| s.url.to_lowercase())
                .collect(),
        );
        // Every fact keeps where it came from.
        assert!(report.emails.iter().all(|e| !e.source_url.is_empty()));
        assert!(report.phones.iter().all(|p| p.value.starts_with('+')));
    }
    println!("accuracy over {} pages:", expected.len());
    for (n, t) in [
        ("emails", &emails),
        ("phones", &phones),
        ("socials", &socials),
    ] {
        println!(
            "  {n:8} precision {:.3} recall {:.3} (tp {}, fp {}, fn {})",
            t.precision(),
            t.recall(),
            t.tp,
            t.fp,
            t.fn_
        );
    }
    assert!(
        emails.precision() >= 0.97,
        "email precision {:.3}",
        emails.precision()
    );
    assert!(
        emails.recall() >= 0.90,
        "email recall {:.3}",
        emails.recall()
    );
    assert!(
        phones.precision() >= 0.90,
        "phone precision {:.3}",
        phones.precision()
    );
    assert!(
        phones.recall() >= 0.85,
        "phone recall {:.3}",
        phones.recall()
    );
    assert!(
        socials.precision() >= 0.95,
        "social precision {:.3}",
        socials.precision()
    );
    assert!(
        socials.recall() >= 0.90,
        "social recall {:.3}",
        socials.recall()
    );
}
