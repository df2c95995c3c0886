//! Lead scoring and analysis end to end on the configured backend: scores computed from a
//! scan's facts and stored with their factors, re-scored after a scan job and after a profile
//! change (with an audit entry), the tier filter and the score sort paginated by cursor over
//! many companies, and the deterministic analysis without a provider.

use prospector_app::contacts::{self, ListQuery};
use prospector_app::core::ids::CompanyId;
use prospector_app::core::scoring::IcpProfile;
use prospector_app::jobs::{Registry, WorkerOptions, run_one};
use prospector_app::scoring;
use prospector_app::store::companies::{self, CompanyFields};
use prospector_app::store::facts::{self, NewFact};
use prospector_app::{App, AppError, WsCtx, testing, workspaces};
use std::collections::HashSet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn setup() -> (App, WsCtx, tempfile::TempDir) {
    testing::app_with_workspace(|c| c.scan_allow_private = true)
        .await
        .unwrap()
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
        assert!(n < 50, "the queue does not drain");
    }
    n
}

async fn company(app: &App, ctx: &WsCtx, name: &str, f: CompanyFields) -> CompanyId {
    let f = CompanyFields {
        name: Some(name.into()),
        source: "manual".into(),
        custom: "{}".into(),
        ..f
    };
    companies::insert(app.db(), ctx.ws, &f).await.unwrap().cid()
}

fn fact(kind: &str, value: &str) -> NewFact {
    NewFact {
        kind: kind.into(),
        value: value.into(),
        data: "{}".into(),
        source_url: None,
        confidence: 1.0,
    }
}

#[tokio::test]
async fn scores_come_from_facts_are_stored_and_follow_the_profile() {
    let (app, ctx, _dir) = setup().await;
    let id = company(
        &app,
        &ctx,
        "Sonne Bakery",
        CompanyFields {
            website: Some("https://sonne.example".into()),
            category: Some("Bakery".into()),
            city: Some("Berlin".into()),
            rating: Some(4.6),
            review_count: Some(210),
            ..Default::default()
        },
    )
    .await;
    let bare = company(&app, &ctx, "Unknown Ltd", CompanyFields::default()).await;

    // A finished scan with a poor, insecure, not mobile-ready site and two socials.
    let scan = facts::insert_scan(app.db(), ctx.ws, id, "https://sonne.example")
        .await
        .unwrap();
    let found = vec![
        fact("website_score", "22"),
        fact("tls", "no https"),
        fact("mobile", "not mobile ready"),
        fact("email", "hallo@sonne.example"),
        fact("phone", "+493023456789"),
        fact("social", "https://instagram.com/sonne"),
        fact("social", "https://facebook.com/sonne"),
        fact("tech", "Meta Pixel"),
    ];
    facts::finish_scan(app.db(), ctx.ws, &scan, 3, Some(22), &found)
        .await
        .unwrap();

    let s = scoring::score_company(&app, &ctx, id).await.unwrap();
    assert_eq!(s.factors.len(), 5);
    assert_eq!(s.value, s.factors.iter().map(|f| f.points).sum::<i64>());
    assert!((0..=100).contains(&s.value));
    assert!(["A", "B", "C"].contains(&s.tier.as_str()));
    assert!(
        s.reason.starts_with(&format!("{}:", s.tier)),
        "{}",
        s.reason
    );
    assert!(
        s.reason.contains("4.6"),
        "the rating is quoted: {}",
        s.reason
    );
    let web = &s.factors[0];
    assert_eq!(web.name, "website_opportunity");
    assert!(web.points > 0 && !web.reason.is_empty(), "{web:?}");
    let timing = s.factors.iter().find(|f| f.name == "timing").unwrap();
    assert!(timing.reason.to_lowercase().contains("pixel") || timing.points > 0);
    let line = s.line();
    assert!(line.starts_with(r#"{"company_id":"#), "{line}");

    // Stored, and shown on the company row.
    let stored = scoring::company_score(&app, &ctx, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.value, s.value);
    assert_eq!(stored.factors, s.factors);
    assert_eq!(stored.model_version, "score-v1");
    let row = contacts::company(&app, &ctx, id).await.unwrap();
    assert_eq!(row.score_value, Some(s.value));
    assert_eq!(row.score_tier.as_deref(), Some(s.tier.as_str()));

    // An unscored company has no score until asked; GET-style reading fills it in.
    assert!(
        scoring::company_score(&app, &ctx, bare)
            .await
            .unwrap()
            .is_none()
    );
    let b = scoring::current_score(&app, &ctx, bare).await.unwrap();
    assert!(
        b.value < s.value,
        "no facts scores lower: {} vs {}",
        b.value,
        s.value
    );

    // Another workspace's company is not found.
    assert!(matches!(
        scoring::company_score(&app, &ctx, CompanyId(999_999)).await,
        Err(AppError::NotFound)
    ));

    // Changing the profile audits and queues a re-score; running it updates the scores.
    let before = scoring::icp(&app, &ctx).await.unwrap();
    let mut p = IcpProfile::preset("real_estate").unwrap();
    p.tiers.a = 95;
    p.tiers.b = 90;
    let (saved, job) = scoring::update_icp(&app, &ctx, p.clone()).await.unwrap();
    assert_ne!(saved, before);
    assert!(job.is_some());
    assert_eq!(scoring::icp(&app, &ctx).await.unwrap(), p);
    run_all(&app).await;
    let after = scoring::company_score(&app, &ctx, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.tier, "C",
        "cut-offs of 95/90 put {} in C",
        after.value
    );
    let log = workspaces::audit_log(&app, &ctx, None, 50).await.unwrap();
    assert!(log.iter().any(|e| e.action == "icp.updated"));

    // A bad profile is refused with the field named.
    let mut bad = IcpProfile::default();
    bad.tiers.a = 10;
    bad.tiers.b = 50;
    match scoring::update_icp(&app, &ctx, bad).await {
        Err(AppError::Validation { field, .. }) => assert_eq!(field.as_deref(), Some("tiers")),
        o => panic!("expected a validation error, got {o:?}"),
    }
    assert!(matches!(
        scoring::apply_preset(&app, &ctx, "nope").await,
        Err(AppError::Validation { .. })
    ));
}

#[tokio::test]
async fn tier_filter_and_score_sort_paginate_over_many_companies() {
    let (app, ctx, _dir) = setup().await;
    for i in 0..130i64 {
        let f = CompanyFields {
            website: (i % 3 == 0).then(|| format!("https://c{i}.example")),
            phone: (i % 2 == 0).then(|| format!("+4930123{i:04}")),
            rating: (i % 5 != 0).then_some(1.0 + (i % 40) as f64 / 10.0),
            review_count: Some(i * 3),
            ..Default::default()
        };
        company(&app, &ctx, &format!("Company {i}"), f).await;
    }
    // Ten stay unscored and sort last.
    let mut lines = 0;
    let n = scoring::rescore_workspace(
        &app,
        ctx.ws,
        |_| lines += 1,
        |_, _| async { Ok::<(), AppError>(()) },
    )
    .await
    .unwrap();
    assert_eq!(n, 130);
    assert_eq!(lines, 130);
    for i in 0..10 {
        company(&app, &ctx, &format!("Late {i}"), CompanyFields::default()).await;
    }

    let walk = |tier: Option<&str>| {
        let app = app.clone();
        let ctx = ctx.clone();
        let tier = tier.map(str::to_string);
        async move {
            let mut q = ListQuery {
                sort: Some("score".into()),
                limit: Some("17".into()),
                tier,
                ..Default::default()
            };
            let mut out = Vec::new();
            loop {
                let page = contacts::list_companies(&app, &ctx, &q).await.unwrap();
                out.extend(page.data);
                match page.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => break,
                }
            }
            out
        }
    };
    let all = walk(None).await;
    assert_eq!(all.len(), 140);
    let ids: HashSet<i64> = all.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 140, "no row twice");
    let keys: Vec<(i64, i64)> = all
        .iter()
        .map(|c| (c.score_value.unwrap_or(-1), c.id))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]), "highest score first");
    assert!(all[130..].iter().all(|c| c.score_value.is_none()));
    let distinct: HashSet<i64> = all.iter().filter_map(|c| c.score_value).collect();
    assert!(distinct.len() > 5, "scores vary: {distinct:?}");

    let mut total = 0;
    for t in ["A", "B", "C"] {
        let rows = walk(Some(t)).await;
        assert!(rows.iter().all(|c| c.score_tier.as_deref() == Some(t)));
        let expected = all
            .iter()
            .filter(|c| c.score_tier.as_deref() == Some(t))
            .count();
        assert_eq!(rows.len(), expected, "tier {t}");
        let q = ListQuery {
            tier: Some(t.to_lowercase()),
            ..Default::default()
        };
        let count = contacts::count_companies(&app, &ctx, &q, 10_000)
            .await
            .unwrap();
        assert_eq!(count as usize, expected);
        total += rows.len();
    }
    assert_eq!(total, 130);

    let bad = ListQuery {
        tier: Some("D".into()),
        ..Default::default()
    };
    match contacts::list_companies(&app, &ctx, &bad).await {
        Err(AppError::Validation { field, .. }) => assert_eq!(field.as_deref(), Some("tier")),
        o => panic!(
            "expected a validation error, got {:?}",
            o.map(|p| p.data.len())
        ),
    }

    // The export carries the score columns at the end.
    let (csv, _) = contacts::export_page(&app, &ctx, &ListQuery::default(), true, false, None)
        .await
        .unwrap();
    let text = String::from_utf8(csv).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",custom,score,tier,score_reason"),
        "{header}"
    );
}

const HOME: &str = r#"<!DOCTYPE html><html><head><title>Sonne</title></head><body>
<p>Mail: <a href="mailto:hallo@sonne.example">hallo@sonne.example</a></p>
<p>© 2016 Sonne</p></body></html>"#;

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
                let (status, body) = match path.as_str() {
                    "/" => ("200 OK", HOME),
                    _ => ("404 Not Found", "not found"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
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

#[tokio::test]
async fn a_finished_scan_rescores_and_analysis_falls_back_without_a_provider() {
    let (app, ctx, _dir) = setup().await;
    let base = serve_site().await;
    let id = company(
        &app,
        &ctx,
        "Sonne",
        CompanyFields {
            website: Some(base.clone()),
            city: Some("Berlin".into()),
            category: Some("Bakery".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        scoring::company_score(&app, &ctx, id)
            .await
            .unwrap()
            .is_none()
    );
    prospector_app::scans::scan_company(&app, &ctx, id)
        .await
        .unwrap();
    run_all(&app).await;
    let s = scoring::company_score(&app, &ctx, id)
        .await
        .unwrap()
        .expect("the scan job scored the company");
    let web = &s.factors[0];
    assert!(web.points > 0, "{web:?}");

    assert!(scoring::provider_config(&app).is_none());
    assert!(
        scoring::company_analysis(&app, &ctx, id)
            .await
            .unwrap()
            .is_none()
    );
    let a = scoring::analyze_company(&app, &ctx, id).await.unwrap();
    assert_eq!(a.provider, "fallback");
    assert!(a.summary.contains("Sonne"), "{}", a.summary);
    assert!(!a.opening_line.is_empty());
    assert!(!a.pain_points.is_empty() && !a.hooks.is_empty());
    let again = scoring::analyze_company(&app, &ctx, id).await.unwrap();
    assert_eq!(again.summary, a.summary, "the fallback is deterministic");
    let latest = scoring::company_analysis(&app, &ctx, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest, again);
    assert!(matches!(
        scoring::analyze_company(&app, &ctx, CompanyId(424_242)).await,
        Err(AppError::NotFound)
    ));
}

/// What the OpenAI-compatible stand-in saw.
#[derive(Default)]
struct Seen {
    calls: usize,
    bad: Vec<String>,
}

/// A loopback OpenAI-compatible `/v1/chat/completions` that checks the path and the bearer
/// key and answers every call with a valid analysis costing `input`/`output` tokens.
async fn serve_openai(
    key: &'static str,
    input: u64,
    output: u64,
) -> (String, std::sync::Arc<std::sync::Mutex<Seen>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = s2.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Headers, then the body by Content-Length.
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body: serde_json::Value =
                    serde_json::from_slice(&buf[head_end..]).unwrap_or_default();
                {
                    let mut s = seen.lock().unwrap();
                    s.calls += 1;
                    if !head.starts_with("POST /v1/chat/completions ") {
                        s.bad.push(format!(
                            "request line: {}",
                            head.lines().next().unwrap_or("")
                        ));
                    }
                    let auth = format!("authorization: bearer {key}");
                    if !head
                        .to_ascii_lowercase()
                        .contains(&auth.to_ascii_lowercase())
                    {
                        s.bad.push("missing Authorization: Bearer <key>".into());
                    }
                    if body["model"] != "gpt-test" || body["messages"][0]["role"] != "system" {
                        s.bad.push(format!("body: {body}"));
                    }
                }
                let is_test = body["response_format"]["json_schema"]["name"] == "test";
                let content = if is_test {
                    serde_json::json!({"ok": true})
                } else {
                    serde_json::json!({
                    "summary": "Sonne is a bakery in Berlin.",
                    "pain_points": ["An old website"],
                    "hooks": ["Baking since 2016"],
                    "opening_line": "Your bread has fans all over Berlin."
                    })
                }
                .to_string();
                let answer = serde_json::json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
                    "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": input, "completion_tokens": output,
                        "total_tokens": input + output}
                })
                .to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://127.0.0.1:{port}/v1"), seen)
}

#[tokio::test]
async fn a_workspace_provider_is_used_cached_accounted_and_stopped_by_its_budget() {
    let (app, ctx, _dir) = setup().await;
    // 8,000 + 1,000 tokens at $1 / $2 per million = exactly 1 cent per call.
    let (base, seen) = serve_openai("sk-app-test-42", 8_000, 1_000).await;
    let input = scoring::AiSettingsInput {
        mode: Some(scoring::AiMode::Workspace),
        provider: Some(scoring::ProviderKind::OpenAiCompatible),
        base_url: Some(base.clone()),
        model: Some("gpt-test".into()),
        api_key: Some("sk-app-test-42".into()),
        input_micros_per_mtok: Some(1_000_000),
        output_micros_per_mtok: Some(2_000_000),
        monthly_budget_minor: Some(1),
        ..Default::default()
    };
    let out = scoring::update_ai_settings(&app, &ctx, &input)
        .await
        .unwrap();
    assert!(out.api_key_set);
    assert!(out.effective.contains("gpt-test"), "{}", out.effective);
    // The key is stored encrypted, never in the clear, and never shown.
    let w = prospector_app::store::workspaces::get(app.db(), ctx.ws)
        .await
        .unwrap();
    assert!(!w.settings.contains("sk-app-test-42"), "{}", w.settings);
    assert!(
        w.settings.contains("\"api_key_enc\":\"v1:"),
        "{}",
        w.settings
    );
    let shown = serde_json::to_string(&scoring::ai_settings(&app, &ctx).await.unwrap()).unwrap();
    assert!(
        !shown.contains("sk-app-test") && !shown.contains("v1:"),
        "{shown}"
    );

    let sonne = company(
        &app,
        &ctx,
        "Sonne",
        CompanyFields {
            city: Some("Berlin".into()),
            category: Some("Bakery".into()),
            ..Default::default()
        },
    )
    .await;
    let a = scoring::analyze_company(&app, &ctx, sonne).await.unwrap();
    assert_eq!(a.provider, "gpt-test");
    assert_eq!(a.summary, "Sonne is a bakery in Berlin.");
    assert_eq!(a.fallback_reason, None);
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.calls, 1);
        assert!(s.bad.is_empty(), "{:?}", s.bad);
    }
    let u = scoring::ai_usage(&app, &ctx).await.unwrap();
    assert_eq!(u.spent_micros, 10_000);
    assert_eq!(u.spent_minor, 1);
    assert!(u.exhausted);
    assert_eq!(u.lines.len(), 1);
    assert_eq!(
        (
            u.lines[0].calls,
            u.lines[0].input_tokens,
            u.lines[0].output_tokens
        ),
        (1, 8_000, 1_000)
    );

    // The same facts again: answered from the database cache, free, recorded as cached.
    let again = scoring::analyze_company(&app, &ctx, sonne).await.unwrap();
    assert_eq!(again.provider, "gpt-test");
    assert_eq!(again.summary, a.summary);
    assert_eq!(seen.lock().unwrap().calls, 1);
    let u = scoring::ai_usage(&app, &ctx).await.unwrap();
    assert_eq!(u.lines[0].cached_calls, 1);
    assert_eq!(u.spent_micros, 10_000);
    assert_eq!(
        prospector_app::store::ai_usage::cache_count(app.db(), ctx.ws)
            .await
            .unwrap(),
        1
    );

    // Another company needs a real call, but the month's budget is spent: nothing is sent
    // and the deterministic analysis answers with the reason.
    let rosa = company(
        &app,
        &ctx,
        "Rosa Trattoria",
        CompanyFields {
            city: Some("Pune".into()),
            ..Default::default()
        },
    )
    .await;
    let fb = scoring::analyze_company(&app, &ctx, rosa).await.unwrap();
    assert_eq!(fb.provider, "fallback");
    let reason = fb.fallback_reason.clone().unwrap_or_default();
    assert!(reason.contains("budget"), "{reason}");
    assert!(fb.summary.contains("Rosa"), "{}", fb.summary);
    assert_eq!(seen.lock().unwrap().calls, 1, "the budget stopped the call");
    let stored = scoring::company_analysis(&app, &ctx, rosa)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.fallback_reason, fb.fallback_reason);
    let t = scoring::test_ai(&app, &ctx).await.unwrap();
    assert!(
        !t.ok && t.error.as_deref().is_some_and(|e| e.contains("budget")),
        "{t:?}"
    );

    // A higher budget lets calls through again; the test action reaches the provider.
    scoring::update_ai_settings(
        &app,
        &ctx,
        &scoring::AiSettingsInput {
            monthly_budget_minor: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = scoring::test_ai(&app, &ctx).await.unwrap();
    assert!(t.ok, "{t:?}");
    assert_eq!(seen.lock().unwrap().calls, 2);
    let ai = scoring::analyze_company(&app, &ctx, rosa).await.unwrap();
    assert_eq!(ai.provider, "gpt-test");
    let u = scoring::ai_usage(&app, &ctx).await.unwrap();
    assert_eq!(u.spent_micros, 30_000);
    assert!(!u.exhausted);

    // Bad input is a precise validation error; "off" means the fallback without a reason.
    for bad in [
        scoring::AiSettingsInput {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        },
        scoring::AiSettingsInput {
            monthly_budget_minor: Some(-1),
            ..Default::default()
        },
        scoring::AiSettingsInput {
            mode: Some(scoring::AiMode::Workspace),
            model: Some(" ".into()),
            ..Default::default()
        },
    ] {
        let e = scoring::update_ai_settings(&app, &ctx, &bad)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Validation { .. }), "{e:?}");
    }
    scoring::update_ai_settings(
        &app,
        &ctx,
        &scoring::AiSettingsInput {
            mode: Some(scoring::AiMode::Off),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let off = scoring::analyze_company(&app, &ctx, rosa).await.unwrap();
    assert_eq!(
        (off.provider.as_str(), off.fallback_reason),
        ("fallback", None)
    );
    assert!(matches!(
        scoring::test_ai(&app, &ctx).await,
        Err(AppError::Validation { .. })
    ));
}
