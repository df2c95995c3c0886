//! End-to-end scans of sites served by a loopback axum server: robots.txt, page choice,
//! SSRF guard, redirect loops, trickling and huge bodies, invalid UTF-8 and broken JSON-LD.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use prospector_scan::{ScanError, ScanOptions, scan_many, scan_site};

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{}", addr.port())
}

fn opts() -> ScanOptions {
    ScanOptions {
        allow_private: true,
        per_host_delay: Duration::from_millis(5),
        request_timeout: Duration::from_secs(2),
        site_timeout: Duration::from_secs(20),
        ..ScanOptions::default()
    }
}

fn site() -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { "User-agent: ProspectorBot\nDisallow: /intern/\n\nUser-agent: *\nDisallow: /\n" }))
        .route("/", get(|| async {
            html(r#"<!DOCTYPE html><html lang="de"><head><title>Bäckerei Sonne</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="WordPress 6.5"></head><body>
            <nav><a href="/kontakt">Kontakt</a> <a href="/impressum">Impressum</a>
            <a href="/intern/team">Team</a> <a href="/produkte">Produkte</a>
            <a href="https://www.instagram.com/baeckerei.sonne/">Instagram</a></nav>
            <p>© 2025 Bäckerei Sonne</p></body></html>"#)
        }))
        .route("/kontakt", get(|| async {
            html(r#"<html><body><h1>Kontakt</h1><p>Telefon: 030 2345 6789</p>
            <p>E-Mail: <a href="mailto:hallo@baeckerei-sonne.de">schreiben</a></p>
            <form method="post" action="/senden"><input name="name"><input type="email" name="email"><textarea name="text"></textarea></form></body></html>"#)
        }))
        .route("/impressum", get(|| async {
            html(r#"<html><body><p>Inhaber: Max Sonne, USt-IdNr. DE123456789</p><p>chef [at] baeckerei-sonne [dot] de</p></body></html>"#)
        }))
        .route("/intern/team", get(|| async { html("<p>secret@baeckerei-sonne.de</p>") }))
        .route("/produkte", get(|| async { html("<p>Brot</p>") }))
}

#[tokio::test]
async fn scans_a_multi_page_site_and_obeys_robots() {
    let base = serve(site()).await;
    let r = scan_site(
        &format!("{base}/"),
        &ScanOptions {
            country: Some("DE".into()),
            ..opts()
        },
    )
    .await
    .expect("scan");
    let emails: Vec<&str> = r.emails.iter().map(|e| e.value.as_str()).collect();
    assert!(emails.contains(&"hallo@baeckerei-sonne.de"), "{emails:?}");
    assert!(emails.contains(&"chef@baeckerei-sonne.de"), "{emails:?}");
    assert!(
        !emails.contains(&"secret@baeckerei-sonne.de"),
        "robots.txt must keep /intern/ out"
    );
    assert_eq!(
        r.phones.first().map(|p| p.value.as_str()),
        Some("+493023456789")
    );
    assert!(r.phones[0].source_url.ends_with("/kontakt"));
    let skipped = r
        .pages
        .iter()
        .find(|p| p.url.ends_with("/intern/team"))
        .expect("team page listed");
    assert_eq!(skipped.error.as_deref(), Some("disallowed by robots.txt"));
    assert!(
        !r.pages.iter().any(|p| p.url.ends_with("/produkte")),
        "only contact-like pages are followed"
    );
    assert_eq!(r.socials.len(), 1);
    assert_eq!(r.contact_forms.len(), 1);
    assert!(r.tech.iter().any(|t| t.name == "WordPress"));
    assert!(r.mobile.mobile_ready);
    assert_eq!(r.freshness.copyright_year, Some(2025));
    assert!(r.website_score.value > 0 && r.website_score.value < 100);

    // The JSON is the CLI contract.
    let v = serde_json::to_value(&r).expect("json");
    for k in [
        "url",
        "final_url",
        "emails",
        "phones",
        "socials",
        "contact_forms",
        "structured_data",
        "tech",
        "tls",
        "performance",
        "mobile",
        "website_score",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert!(v["emails"][0].get("source_url").is_some());
    assert!(v["phones"][0].get("raw").is_some());
    assert!(v["website_score"].get("factors").is_some());
    assert!(v["tech"][0].get("evidence").is_some());
}

#[tokio::test]
async fn refuses_loopback_without_allow_private() {
    let base = serve(site()).await;
    let err = scan_site(
        &base,
        &ScanOptions {
            allow_private: false,
            ..opts()
        },
    )
    .await
    .expect_err("must refuse");
    assert!(matches!(err, ScanError::Blocked { .. }), "{err:?}");
    // In a batch the failure is a row with a reason, not an abort.
    let rows: Vec<_> = scan_many(
        vec![base.clone(), "localhost".into()],
        ScanOptions {
            allow_private: false,
            ..opts()
        },
        2,
    )
    .collect()
    .await;
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(
            r.error_code.as_deref(),
            Some("blocked_address"),
            "{:?}",
            r.error
        );
        let v = serde_json::to_value(&r).expect("json");
        assert!(v["error"].is_string());
        assert_eq!(v["website_score"]["value"], 0);
    }
}

#[tokio::test]
async fn redirect_loop_is_a_named_failure() {
    let app = Router::new()
        .route(
            "/a",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/b")]) }),
        )
        .route(
            "/b",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/a")]) }),
        );
    let base = serve(app).await;
    let err = scan_site(&format!("{base}/a"), &opts())
        .await
        .expect_err("loop");
    assert!(matches!(err, ScanError::RedirectLoop(_)), "{err:?}");
    assert_eq!(err.code(), "redirect_loop");
}

#[tokio::test]
async fn trickling_server_is_bounded_by_the_timeout() {
    let app = Router::new().route(
        "/",
        get(|| async {
            let s = futures::stream::unfold(0u32, |n| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let chunk = if n == 0 {
                    "<html><body><p>info@slow-site.de</p>".to_string()
                } else {
                    " ".to_string()
                };
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), n + 1))
            });
            ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(s))
        }),
    );
    let base = serve(app).await;
    let started = Instant::now();
    let o = ScanOptions {
        request_timeout: Duration::from_secs(1),
        ..opts()
    };
    let r = scan_site(&base, &o).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    match r {
        Ok(r) => {
            assert!(r.performance.truncated, "a cut body is marked truncated");
            assert_eq!(
                r.emails.first().map(|e| e.value.as_str()),
                Some("info@slow-site.de")
            );
        }
        Err(e) => assert_eq!(e.code(), "timeout"),
    }
}

#[tokio::test]
async fn huge_page_is_cut_at_the_cap() {
    // 100 MB offered, generated lazily; the scanner must stop reading at its cap.
    let app = Router::new().route(
        "/",
        get(|| async {
            let s = futures::stream::iter(0..1600).map(|i| {
                let mut chunk = if i == 0 {
                    String::from("<html><body><p>Tel. 030 2345 6789</p>")
                } else {
                    String::new()
                };
                chunk.push_str(&"<p>lorem ipsum dolor sit amet</p>".repeat(2048));
                Ok::<Bytes, std::io::Error>(Bytes::from(chunk))
            });
            ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(s))
        }),
    );
    let base = serve(app).await;
    let o = ScanOptions {
        max_body_bytes: 512 * 1024,
        country: Some("DE".into()),
        ..opts()
    };
    let r = scan_site(&base, &o).await.expect("scan");
    assert!(r.performance.truncated);
    assert!(r.performance.html_bytes <= 512 * 1024);
    assert_eq!(r.phones.len(), 1);
}

#[tokio::test]
async fn invalid_utf8_and_broken_json_ld_do_not_panic() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                let mut body = b"<html><head><script type=\"application/ld+json\">{\"@type\": \"Restaurant\", \"name\": \"Caf\xe9\" ,, }}}</script></head><body><p>Caf\xe9 M\xfcller \xff\xfe\x80</p><p>info@cafe-mueller.de</p>".to_vec();
                body.extend(std::iter::repeat_n(b'<', 5000));
                body.extend(b"<div><div><div><span>".repeat(3000));
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
            }),
        )
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }));
    let base = serve(app).await;
    let r = scan_site(&base, &opts()).await.expect("scan");
    assert_eq!(r.emails.len(), 1);
    assert!(
        r.warnings.iter().any(|w| w.contains("JSON-LD")),
        "{:?}",
        r.warnings
    );
}

#[tokio::test]
async fn server_error_on_robots_means_keep_out() {
    let app = Router::new()
        .route(
            "/robots.txt",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "") }),
        )
        .route("/", get(|| async { html("<p>x@y.de</p>") }));
    let base = serve(app).await;
    let err = scan_site(&base, &opts()).await.expect_err("disallowed");
    assert_eq!(err.code(), "robots_disallowed");
}

#[tokio::test]
async fn progress_is_reported_once_per_page_in_order() {
    let base = serve(site()).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let report = move |p: prospector_scan::PageProgress| {
        if let Ok(mut v) = s2.lock() {
            v.push((p.done, p.total, p.url));
        }
    };
    let scanner = prospector_scan::Scanner::new(opts()).expect("scanner");
    let r = scanner
        .scan_with_progress(&base, Some(&report))
        .await
        .expect("scan");
    let seen = seen.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(!seen.is_empty());
    let total = seen[0].1;
    assert_eq!(seen[0].0, 1, "the home page comes first: {seen:?}");
    assert!(seen[0].2.starts_with(&base), "{seen:?}");
    let dones: Vec<u32> = seen.iter().map(|s| s.0).collect();
    assert_eq!(dones, (1..=total).collect::<Vec<_>>(), "{seen:?}");
    assert!(seen.iter().all(|s| s.1 == total));
    assert!(
        u64::from(total) >= r.performance.pages_fetched as u64,
        "every page read was reported: {seen:?} vs {}",
        r.performance.pages_fetched
    );
}
