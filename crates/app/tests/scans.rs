//! Website scans as jobs, end to end on the configured backend: a small site served on
//! loopback, the `companies.scan` job run through the worker, facts stored with their source
//! URLs, a second scan adding a version without touching the first, found emails and phones
//! promoted to contacts, email verification, and the SSRF guard staying on by default.

use prospector_app::contacts::{self, Selection};
use prospector_app::core::ids::{CompanyId, ContactId};
use prospector_app::jobs::{Registry, WorkerOptions, run_one};
use prospector_app::scans;
use prospector_app::store::companies::{self, CompanyFields};
use prospector_app::store::facts::Fact;
use prospector_app::store::timeline::Subject;
use prospector_app::{App, WsCtx, testing, workspaces};
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HOME: &str = r#"<!DOCTYPE html><html lang="de"><head><title>Bäckerei Sonne</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<nav><a href="/kontakt">Kontakt</a> <a href="/produkte">Produkte</a></nav>
<p>Schreiben Sie uns: <a href="mailto:hallo@baeckerei-sonne.de">hallo@baeckerei-sonne.de</a></p>
<p>Anrufen: <a href="tel:+493023456789">030 2345 6789</a></p>
<a href="https://www.instagram.com/baeckerei.sonne/">Instagram</a>
<p>© 2025 Bäckerei Sonne</p></body></html>"#;

const CONTACT: &str = r#"<html><body><h1>Kontakt</h1>
<p>Bestellungen: <a href="mailto:bestellung@baeckerei-sonne.de">bestellung@baeckerei-sonne.de</a></p>
<form method="post" action="/senden"><input name="name"><input type="email" name="email">
<textarea name="text"></textarea></form></body></html>"#;

/// A tiny HTTP/1.1 server on loopback (one request per connection). Returns the base URL.
async fn serve_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, ctype, body) = match path.as_str() {
                    "/" => ("200 OK", "text/html; charset=utf-8", HOME),
                    "/kontakt" => ("200 OK", "text/html; charset=utf-8", CONTACT),
                    "/robots.txt" => ("200 OK", "text/plain", "User-agent: *\nAllow: /\n"),
                    _ => ("404 Not Found", "text/plain", "not found"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/")
}

async fn setup(allow_private: bool) -> (App, WsCtx, tempfile::TempDir) {
    testing::app_with_workspace(|c| c.scan_allow_private = allow_private)
        .await
        .unwrap()
}

/// A company whose website is the loopback site. Written through the store because the
/// website normaliser (rightly) refuses bare IP addresses from people and imports.
async fn company_at(app: &App, ctx: &WsCtx, url: &str) -> CompanyId {
    let f = CompanyFields {
        name: Some("Bäckerei Sonne".into()),
        website: Some(url.to_string()),
        source: "manual".into(),
        custom: "{}".into(),
        ..Default::default()
    };
    companies::insert(app.db(), ctx.ws, &f).await.unwrap().cid()
}

fn opts() -> WorkerOptions {
    let mut o = WorkerOptions::from_config(&testing::config("sqlite::memory:", "/tmp".as_ref()));
    o.lease_ms = 120_000;
    o
}

async fn run_all(app: &App) -> usize {
    let reg = Registry::standard();
    let mut n = 0;
    while run_one(app, &reg, &opts()).await.unwrap().is_some() {
        n += 1;
        assert!(n < 20, "the queue does not drain");
    }
    n
}

fn by_kind(facts: &[Fact]) -> HashMap<&str, Vec<&Fact>> {
    let mut m: HashMap<&str, Vec<&Fact>> = HashMap::new();
    for f in facts {
        m.entry(f.kind.as_str()).or_default().push(f);
    }
    m
}

#[tokio::test]
async fn a_scan_job_stores_versioned_facts_that_become_contacts() {
    let (app, ctx, _dir) = setup(true).await;
    let base = serve_site().await;
    let co = company_at(&app, &ctx, &base).await;

    // Queue it twice (a double click): one scan, one job.
    let (first, created) = scans::scan_company(&app, &ctx, co).await.unwrap();
    assert!(created);
    assert_eq!(first.state, "queued");
    assert!(first.job_id.is_some());
    let (again, created) = scans::scan_company(&app, &ctx, co).await.unwrap();
    assert!(!created, "a queued scan is not queued twice");
    assert_eq!(again.id, first.id);
    assert_eq!(run_all(&app).await, 1);

    let done = scans::scan(&app, &ctx, first.id).await.unwrap();
    assert_eq!(done.state, "done", "{:?}", done.error);
    assert!(done.pages >= 2, "home and contact page: {}", done.pages);
    let score = done.website_score.expect("score stored");
    assert!((0..=100).contains(&score));

    let cf = scans::company_facts(&app, &ctx, co, None).await.unwrap();
    assert_eq!(cf.shown.as_ref().map(|s| s.id), Some(first.id));
    let kinds = by_kind(&cf.facts);
    let emails: Vec<(&str, &str)> = kinds["email"]
        .iter()
        .map(|f| (f.value.as_str(), f.source_url.as_deref().unwrap_or("")))
        .collect();
    assert!(
        emails.contains(&("hallo@baeckerei-sonne.de", base.as_str())),
        "{emails:?}"
    );
    assert!(
        emails
            .iter()
            .any(|(v, src)| *v == "bestellung@baeckerei-sonne.de" && src.ends_with("/kontakt")),
        "{emails:?}"
    );
    let phone = kinds["phone"][0];
    assert_eq!(phone.value, "+493023456789");
    assert_eq!(phone.source_url.as_deref(), Some(base.as_str()));
    assert!(
        kinds["social"]
            .iter()
            .any(|f| f.value.contains("instagram.com/baeckerei.sonne")
                && f.data.contains("instagram")),
        "{:?}",
        kinds["social"]
    );
    assert!(kinds.contains_key("contact_form"));
    let ws_fact = kinds["website_score"][0];
    assert_eq!(ws_fact.value, score.to_string());
    assert!(ws_fact.data.contains("factors"));
    for k in ["tls", "performance", "mobile", "meta"] {
        assert!(kinds.contains_key(k), "missing {k} fact");
    }
    assert!(cf.facts.iter().all(|f| f.source_url.is_some()));
    let first_count = cf.facts.len();

    let tl = contacts::timeline_of(&app, &ctx, Subject::Company(co.0))
        .await
        .unwrap();
    assert!(
        tl.iter().any(|a| a.summary.starts_with("Website scanned: ")
            && a.summary.ends_with(&format!("score {score}"))),
        "{:?}",
        tl.iter().map(|a| &a.summary).collect::<Vec<_>>()
    );

    // A second scan adds a version; the first one's facts stay.
    let (second, created) = scans::scan_company(&app, &ctx, co).await.unwrap();
    assert!(created, "a finished scan can be repeated");
    assert_ne!(second.id, first.id);
    assert_eq!(run_all(&app).await, 1);
    let cf2 = scans::company_facts(&app, &ctx, co, None).await.unwrap();
    assert_eq!(cf2.shown.as_ref().map(|s| s.id), Some(second.id));
    assert_eq!(cf2.scans.len(), 2);
    assert!(cf2.facts.iter().all(|f| f.scan_id == Some(second.id)));
    let old = scans::company_facts(&app, &ctx, co, Some(first.id))
        .await
        .unwrap();
    assert_eq!(
        old.facts.len(),
        first_count,
        "the first version is untouched"
    );
    assert_eq!(
        old.facts.iter().map(|f| f.id).collect::<Vec<_>>(),
        cf.facts.iter().map(|f| f.id).collect::<Vec<_>>()
    );

    // One click: a found email becomes a contact at the company; twice creates nothing.
    let email = by_kind(&cf2.facts)["email"]
        .iter()
        .find(|f| f.value == "hallo@baeckerei-sonne.de")
        .map(|f| f.id)
        .unwrap();
    let p = scans::promote_fact(&app, &ctx, email).await.unwrap();
    assert!(p.created);
    assert_eq!(
        p.contact.f.email.as_deref(),
        Some("hallo@baeckerei-sonne.de")
    );
    assert_eq!(p.contact.f.company_id, Some(co.0));
    let again = scans::promote_fact(&app, &ctx, email).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.contact.id, p.contact.id);
    // The same address from the first version is the same person too.
    let old_email = old
        .facts
        .iter()
        .find(|f| f.kind == "email" && f.value == "hallo@baeckerei-sonne.de")
        .unwrap();
    assert!(
        !scans::promote_fact(&app, &ctx, old_email.id)
            .await
            .unwrap()
            .created
    );
    let phone = by_kind(&cf2.facts)["phone"][0].id;
    let pp = scans::promote_fact(&app, &ctx, phone).await.unwrap();
    assert!(pp.created);
    assert_eq!(pp.contact.f.phone.as_deref(), Some("+493023456789"));
    assert!(
        !scans::promote_fact(&app, &ctx, phone)
            .await
            .unwrap()
            .created
    );
    let tl = contacts::timeline_of(&app, &ctx, Subject::Contact(p.contact.id))
        .await
        .unwrap();
    assert!(
        tl.iter()
            .any(|a| a.summary.starts_with("Added from the website scan"))
    );
    // A technology is not a person.
    let tech = by_kind(&cf2.facts)["website_score"][0].id;
    let err = scans::promote_fact(&app, &ctx, tech).await.unwrap_err();
    assert!(err.to_string().contains("email or phone"), "{err}");

    // Email verification is a versioned fact of the contact.
    let v = scans::verify_contact_email(&app, &ctx, ContactId(p.contact.id), true)
        .await
        .unwrap();
    assert_eq!(v.kind, "email_verification");
    assert_eq!(v.contact_id, Some(p.contact.id));
    assert!(["valid", "risky", "invalid", "unknown"].contains(&v.value.as_str()));
    assert!(v.data.contains("\"syntax_valid\":true"), "{}", v.data);
    scans::verify_contact_email(&app, &ctx, ContactId(p.contact.id), true)
        .await
        .unwrap();
    let all = scans::email_verifications(&app, &ctx, ContactId(p.contact.id))
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let no_email = scans::verify_contact_email(&app, &ctx, ContactId(pp.contact.id), true)
        .await
        .unwrap_err();
    assert!(no_email.to_string().contains("no email"), "{no_email}");

    // Another workspace sees none of it.
    let other_user = prospector_app::accounts::create_user(
        &app,
        &prospector_app::Actor::cli(),
        "other@example.com",
        "Other",
        "a long enough password",
        false,
    )
    .await
    .unwrap();
    let ows = workspaces::create(&app, &prospector_app::Actor::cli(), "Other", &other_user)
        .await
        .unwrap();
    let octx = workspaces::cli_context(&app, &ows.slug).await.unwrap();
    assert!(scans::scan(&app, &octx, first.id).await.is_err());
    assert!(scans::fact(&app, &octx, email).await.is_err());
    assert!(scans::promote_fact(&app, &octx, email).await.is_err());
    assert!(scans::company_facts(&app, &octx, co, None).await.is_err());
    assert!(scans::scan_company(&app, &octx, co).await.is_err());
    let s = scans::scan_companies(
        &app,
        &octx,
        &Selection {
            ids: vec![co.0],
            query: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((s.queued, s.not_found), (0, 1));
}

#[tokio::test]
async fn bulk_scans_skip_companies_without_a_website() {
    let (app, ctx, _dir) = setup(true).await;
    let base = serve_site().await;
    let a = company_at(&app, &ctx, &base).await;
    let b = company_at(&app, &ctx, &base).await;
    let none = contacts::create_company(
        &app,
        &ctx,
        &contacts::CompanyInput {
            name: Some("No Site Ltd".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let sel = Selection {
        ids: vec![a.0, b.0, none.id, 999_999],
        query: None,
    };
    let s = scans::scan_companies(&app, &ctx, &sel).await.unwrap();
    assert_eq!(
        (s.queued, s.already_queued, s.no_website, s.not_found),
        (2, 0, 1, 1)
    );
    // Clicking again while they wait queues nothing new.
    let s2 = scans::scan_companies(&app, &ctx, &sel).await.unwrap();
    assert_eq!((s2.queued, s2.already_queued), (0, 2));
    assert_eq!(s2.scan_ids, s.scan_ids);
    assert_eq!(run_all(&app).await, 2);
    for id in &s.scan_ids {
        assert_eq!(scans::scan(&app, &ctx, *id).await.unwrap().state, "done");
    }
    let err = scans::scan_company(&app, &ctx, none.cid())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no website"), "{err}");
}

#[tokio::test]
async fn the_ssrf_guard_stays_on_by_default() {
    let (app, ctx, _dir) = setup(false).await;
    assert!(!app.config().scan_allow_private);
    let base = serve_site().await;
    let co = company_at(&app, &ctx, &base).await;
    let (scan, _) = scans::scan_company(&app, &ctx, co).await.unwrap();
    assert_eq!(run_all(&app).await, 1);
    let s = scans::scan(&app, &ctx, scan.id).await.unwrap();
    assert_eq!(s.state, "failed");
    let reason = s.error.unwrap_or_default();
    assert!(!reason.is_empty());
    let cf = scans::company_facts(&app, &ctx, co, None).await.unwrap();
    assert!(cf.facts.is_empty() && cf.shown.is_none());
    assert_eq!(cf.latest.map(|l| l.state), Some("failed".to_string()));
    let tl = contacts::timeline_of(&app, &ctx, Subject::Company(co.0))
        .await
        .unwrap();
    assert!(
        tl.iter()
            .any(|a| a.summary.starts_with("Website scan failed"))
    );
}

/// Runs every queued job (more than `run_all` allows: an import fans out into many).
async fn drain(app: &App) -> Vec<String> {
    let reg = Registry::standard();
    let mut kinds = Vec::new();
    while let Some(j) = run_one(app, &reg, &opts()).await.unwrap() {
        let job = prospector_app::store::jobs::get(app.db(), prospector_app::core::ids::JobId(j))
            .await
            .unwrap();
        kinds.push(job.kind);
        assert!(kinds.len() < 60, "the queue does not drain: {kinds:?}");
    }
    kinds
}

#[tokio::test]
async fn an_import_is_followed_by_scans_and_verifications_when_the_workspace_wants_it() {
    let (app, ctx, dir) = setup(false).await;
    let csv = "Company,Website,Email\n\
               Hughes Barbers,hughes-barbers-1.com,a@hughes-barbers-1.com\n\
               Rosa Trattoria,rosa-trattoria-pune.com,ciao@rosa-trattoria-pune.com\n\
               Solo Person,,solo@gmail.com\n";
    let import = |name: &'static str| {
        let app = app.clone();
        let ctx = ctx.clone();
        let path = dir.path().join(name);
        async move {
            std::fs::write(&path, csv).unwrap();
            prospector_app::imports::create(
                &app,
                &ctx,
                name,
                &path,
                csv.len() as i64,
                "",
                &prospector_app::imports::ImportOptions::default(),
                true,
            )
            .await
            .unwrap()
        }
    };
    // Off by default: an import runs alone.
    assert_eq!(
        scans::scan_settings(&app, &ctx).await.unwrap(),
        scans::ScanSettings::default()
    );
    import("first.csv").await;
    let kinds = drain(&app).await;
    assert!(
        !kinds
            .iter()
            .any(|k| k == scans::AFTER_IMPORT_JOB || k == scans::JOB_KIND),
        "{kinds:?}"
    );

    // On: the import's companies with a website are scanned and its contacts verified.
    let on = scans::ScanSettings {
        auto_scan_after_import: true,
        auto_verify_after_import: true,
        auto_promote: false,
    };
    scans::update_scan_settings(&app, &ctx, on).await.unwrap();
    assert_eq!(scans::scan_settings(&app, &ctx).await.unwrap(), on);
    // The ICP section of the same settings document is left alone.
    let w = prospector_app::store::workspaces::get(app.db(), ctx.ws)
        .await
        .unwrap();
    assert!(w.settings.contains("\"scanning\""), "{}", w.settings);

    let csv2 = "Company,Website,Email\n\
                Bäckerei Sonne,baeckerei-sonne-berlin.com,hallo@baeckerei-sonne-berlin.com\n\
                Zahnarzt Weiss,zahnarzt-weiss-koeln.com,praxis@zahnarzt-weiss-koeln.com\n";
    let path = dir.path().join("second.csv");
    std::fs::write(&path, csv2).unwrap();
    let imp = prospector_app::imports::create(
        &app,
        &ctx,
        "second.csv",
        &path,
        csv2.len() as i64,
        "",
        &prospector_app::imports::ImportOptions::default(),
        true,
    )
    .await
    .unwrap();
    let kinds = drain(&app).await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("contacts.import"), 1, "{kinds:?}");
    assert_eq!(count(scans::AFTER_IMPORT_JOB), 1, "{kinds:?}");
    assert_eq!(
        count(scans::JOB_KIND),
        2,
        "one scan per imported website: {kinds:?}"
    );
    assert_eq!(count(scans::VERIFY_JOB), 1, "{kinds:?}");

    // Only this import's companies were scanned (their made-up domains do not resolve, so
    // each scan failed with its reason stored), and only its contacts verified.
    let imported = prospector_app::store::facts::import_companies_with_website(
        app.db(),
        ctx.ws,
        imp.id,
        0,
        100,
    )
    .await
    .unwrap();
    assert_eq!(imported.len(), 2);
    for (id, _) in &imported {
        let f = scans::company_facts(&app, &ctx, CompanyId(*id), None)
            .await
            .unwrap();
        let latest = f.latest.expect("a scan after the import");
        assert!(!latest.active(), "{latest:?}");
        if latest.state == "failed" {
            assert!(latest.error.as_deref().is_some_and(|e| !e.is_empty()));
        }
    }
    let contacts_of_import =
        prospector_app::store::facts::import_contacts_with_email(app.db(), ctx.ws, imp.id, 0, 100)
            .await
            .unwrap();
    assert_eq!(contacts_of_import.len(), 2);
    for c in &contacts_of_import {
        let v = scans::email_verifications(&app, &ctx, ContactId(*c))
            .await
            .unwrap();
        assert_eq!(v.len(), 1, "verified once: {v:?}");
    }
    let first_import_contact = contacts::list_contacts(
        &app,
        &ctx,
        &prospector_app::contacts::ListQuery {
            q: Some("solo".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .data;
    assert_eq!(first_import_contact.len(), 1);
    assert!(
        scans::email_verifications(&app, &ctx, ContactId(first_import_contact[0].id))
            .await
            .unwrap()
            .is_empty(),
        "contacts of the earlier import are not verified"
    );
}

#[tokio::test]
async fn verification_of_selected_contacts_runs_as_one_job_with_progress() {
    let (app, ctx, _dir) = setup(false).await;
    let mut ids = Vec::new();
    for e in ["info@example.com", "not-an-address@", "x@mailinator.com"] {
        let input = contacts::ContactInput {
            email: Some(e.into()),
            ..Default::default()
        };
        if let Ok(c) = contacts::create_contact(&app, &ctx, &input).await {
            ids.push(c.id);
        }
    }
    // A contact without an email is skipped, not an error.
    let nomail = contacts::create_contact(
        &app,
        &ctx,
        &contacts::ContactInput {
            full_name: Some("No Mail".into()),
            phone: Some("+4930123456".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ids.push(nomail.id);
    let sel = Selection {
        ids: ids.clone(),
        query: None,
    };
    let q = scans::verify_contacts(&app, &ctx, &sel, true)
        .await
        .unwrap();
    assert_eq!(q.selected, ids.len() as u64);
    let job_id = q.job_id.expect("a job");
    assert_eq!(run_all(&app).await, 1);
    let job = prospector_app::jobs::get(&app, &ctx, job_id).await.unwrap();
    assert_eq!(job.state, "succeeded", "{:?}", job.last_error);
    assert_eq!(job.progress_done, ids.len() as i64);
    assert_eq!(job.progress_total, ids.len() as i64);
    let result: serde_json::Value =
        serde_json::from_str(job.result.as_deref().unwrap_or("{}")).unwrap();
    assert_eq!(result["skipped"], 1, "{result}");
    assert_eq!(result["verified"], (ids.len() - 1) as i64, "{result}");
    for id in &ids[..ids.len() - 1] {
        let v = scans::email_verifications(&app, &ctx, ContactId(*id))
            .await
            .unwrap();
        assert_eq!(v.len(), 1);
    }
    // A second run adds a version, it does not overwrite the first.
    scans::verify_contacts(&app, &ctx, &sel, true)
        .await
        .unwrap();
    run_all(&app).await;
    let v = scans::email_verifications(&app, &ctx, ContactId(ids[0]))
        .await
        .unwrap();
    assert_eq!(v.len(), 2);
    assert!(v[0].id > v[1].id);
    // Empty selections and foreign ids are refused or skipped, never a 500.
    let none = scans::verify_contacts(&app, &ctx, &Selection::default(), true)
        .await
        .unwrap_err();
    assert!(
        matches!(none, prospector_app::AppError::Validation { .. }),
        "{none:?}"
    );
}

#[tokio::test]
async fn found_emails_and_phones_become_contacts_automatically_when_wanted() {
    let (app, ctx, _dir) = setup(true).await;
    let base = serve_site().await;
    scans::update_scan_settings(
        &app,
        &ctx,
        scans::ScanSettings {
            auto_promote: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let co = company_at(&app, &ctx, &base).await;
    let (scan, _) = scans::scan_company(&app, &ctx, co).await.unwrap();
    run_all(&app).await;
    let scan = scans::scan(&app, &ctx, scan.id).await.unwrap();
    assert_eq!(scan.state, "done", "{:?}", scan.error);
    // The job's progress counted the pages read.
    let job = prospector_app::jobs::get(&app, &ctx, scan.job_id.unwrap())
        .await
        .unwrap();
    assert_eq!(job.progress_total, scan.pages, "{job:?}");
    assert_eq!(job.progress_done, scan.pages);
    let result: serde_json::Value =
        serde_json::from_str(job.result.as_deref().unwrap_or("{}")).unwrap();
    let people =
        contacts::list_contacts(&app, &ctx, &prospector_app::contacts::ListQuery::default())
            .await
            .unwrap()
            .data;
    let emails: Vec<&str> = people.iter().filter_map(|c| c.f.email.as_deref()).collect();
    assert!(emails.contains(&"hallo@baeckerei-sonne.de"), "{emails:?}");
    assert!(
        emails.contains(&"bestellung@baeckerei-sonne.de"),
        "{emails:?}"
    );
    assert!(
        people
            .iter()
            .any(|c| c.f.phone.as_deref() == Some("+493023456789")),
        "the phone became a contact too"
    );
    assert!(people.iter().all(|c| c.f.company_id == Some(co.0)));
    assert_eq!(result["contacts_created"], people.len() as i64, "{result}");
    // A second scan finds the same values and creates nobody twice.
    let n = people.len();
    sqlx_free_rescan(&app, &ctx, co).await;
    let again = contacts::list_contacts(&app, &ctx, &Default::default())
        .await
        .unwrap()
        .data;
    assert_eq!(again.len(), n);
}

/// Queue and run another scan of `co` (the unique key allows it once the first finished).
async fn sqlx_free_rescan(app: &App, ctx: &WsCtx, co: CompanyId) {
    let (s, created) = scans::scan_company(app, ctx, co).await.unwrap();
    assert!(created, "{s:?}");
    run_all(app).await;
}
