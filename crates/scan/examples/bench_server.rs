//! Benchmark stand-in: serves N synthetic small-business sites of 3-6 pages on one loopback
//! port, told apart by the Host header (`s0001.localhost:PORT`). Writes the site URLs to a
//! file, one per line, then serves until killed.
//!
//! Usage: bench_server --sites 2000 --urls-out /tmp/urls.txt [--port 0]

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const SUBPAGES: &[(&str, &str)] = &[
    ("kontakt", "Kontakt"),
    ("impressum", "Impressum"),
    ("ueber-uns", "Über uns"),
    ("team", "Team"),
    ("standorte", "Standorte"),
];

fn site_of(headers: &HeaderMap) -> Option<usize> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = host.split(['.', ':']).next()?;
    name.strip_prefix('s')?.parse().ok()
}

fn pages_of(site: usize) -> usize {
    // 2..=5 subpages -> 3..=6 pages per site.
    2 + site % 4
}

fn filler(site: usize, words: usize) -> String {
    let mut s = String::with_capacity(words * 8);
    let vocab = [
        "Qualität",
        "Handwerk",
        "Service",
        "Beratung",
        "regional",
        "seit",
        "Familie",
        "Termin",
        "Angebot",
        "Kunden",
    ];
    for i in 0..words {
        s.push_str(vocab[(i * 7 + site) % vocab.len()]);
        s.push(if i % 12 == 11 { '.' } else { ' ' });
    }
    s
}

fn page(site: usize, slug: &str) -> String {
    let mut h = String::with_capacity(24 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Betrieb {site} – {slug}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/wp-content/themes/t/style.css\"></head><body><nav><a href=\"/\">Start</a>"
    );
    for (s, label) in SUBPAGES.iter().take(pages_of(site)) {
        let _ = write!(h, " <a href=\"/{s}\">{label}</a>");
    }
    let _ = write!(
        h,
        " <a href=\"/blog\">Blog</a> <a href=\"/shop\">Shop</a></nav><main><h1>{slug}</h1>"
    );
    for _ in 0..6 {
        let _ = write!(h, "<p>{}</p>", filler(site, 280));
    }
    match slug {
        "kontakt" => {
            let _ = write!(
                h,
                "<p>Telefon: 030 {:04} {:04}</p><p>E-Mail: <a href=\"mailto:info@betrieb{site}.de\">info@betrieb{site}.de</a></p>",
                2000 + site % 7000,
                1000 + site % 9000
            );
        }
        "impressum" => {
            let _ = write!(
                h,
                "<p>Inhaber: Max Muster {site}</p><p>kontakt [at] betrieb{site} [dot] de</p><p>USt-IdNr. DE{:09}</p>",
                100_000_000 + site
            );
        }
        _ => {}
    }
    let _ = write!(
        h,
        "</main><footer><a href=\"https://www.instagram.com/betrieb{site}/\">Instagram</a> © 2024</footer></body></html>"
    );
    h
}

async fn home(State(n): State<usize>, headers: HeaderMap) -> Response {
    match site_of(&headers).filter(|s| *s < n) {
        Some(s) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page(s, "start"),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn sub(State(n): State<usize>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let Some(s) = site_of(&headers).filter(|s| *s < n) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if slug == "robots.txt" {
        return "User-agent: *\nDisallow: /shop\n".into_response();
    }
    let allowed = SUBPAGES.iter().take(pages_of(s)).any(|(x, _)| *x == slug) || slug == "blog";
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page(s, &slug),
    )
        .into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sites: usize = arg("--sites").and_then(|s| s.parse().ok()).unwrap_or(2000);
    let port: u16 = arg("--port").and_then(|s| s.parse().ok()).unwrap_or(0);
    let urls_out = arg("--urls-out").unwrap_or_else(|| "urls.txt".into());
    let app = Router::new()
        .route("/", get(home))
        .route("/{slug}", get(sub))
        .with_state(sites);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    let mut urls = String::new();
    for i in 0..sites {
        let _ = writeln!(urls, "http://s{i:04}.localhost:{port}/");
    }
    std::fs::write(&urls_out, urls)?;
    eprintln!("serving {sites} sites on 127.0.0.1:{port}; urls in {urls_out}");
    axum::serve(listener, app).await
}
