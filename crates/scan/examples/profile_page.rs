//! Times the per-page work on a fixture-like page (developer tool for the benchmark).
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/pages/01-bistro-luna-de.html".into());
    let html = std::fs::read_to_string(&path).unwrap_or_default();
    let html = html.repeat(
        std::env::args()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(10),
    );
    let url = url::Url::parse("https://www.bistro-luna.de/").unwrap_or_else(|_| unreachable!());
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let _ = scraper::Html::parse_document(&html);
    }
    println!("parse   {:?}/page ({} bytes)", t.elapsed() / n, html.len());
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::extract::analyze(&url, &html, "bistro-luna.de");
    }
    println!("analyze {:?}/page", t.elapsed() / n);
    let doc = scraper::Html::parse_document(&html);
    let text = prospector_scan::extract::text::visible_text(&doc);
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::extract::emails::from_text(&text);
    }
    println!("emails  {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n * 20 {
        let _ = prospector_scan::extract::emails::clean("reservierung@bistro-luna.de");
    }
    println!("clean x20 {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::extract::emails::deobfuscate(&text);
    }
    println!("deobfuscate {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::extract::phones::from_text(&text);
    }
    println!("phones  {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::tech::detect(&prospector_scan::tech::TechInput {
            html: vec![&html],
            ..Default::default()
        });
    }
    println!("tech    {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = prospector_scan::analyze_html(
            "https://www.bistro-luna.de/",
            &html,
            &prospector_scan::ScanOptions::default(),
        );
    }
    println!("full    {:?}/page", t.elapsed() / n);
}
