//! Lead scores in the UI and the API: the companies table shows Score and Tier columns,
//! sorts by score and filters by tier; the company page shows the factors with points and
//! reasons and generates an analysis; Settings → Ideal customer profile applies a preset,
//! refuses a bad form with the field named, and the API reads and changes the profile.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn score_columns_factors_analysis_and_profile() {
    let o = common::signed_in_owner("score@owner.example.com", "Scorers").await;
    let common::Owner {
        base,
        token,
        ids,
        csrf,
        client: c,
        ..
    } = o;
    let cid = &ids["company_id"];
    let slug = &o.slug;

    // The company page scores the company on first view and explains it.
    let company_url = format!("{base}/w/{slug}/companies/{cid}");
    let html = c
        .get(&company_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-score-value"), "{html}");
    assert!(html.contains("data-factor=\"website_opportunity\""));
    assert!(html.contains("data-score-reason"));
    assert!(html.contains("Generate analysis"));
    let r = c
        .post(format!("{company_url}/analysis"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(&company_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-provider=\"fallback\""), "{html}");
    assert!(html.contains("data-opening-line"));

    // The table: score columns, sort by score, tier filter; a bad tier is a notice.
    let html = c
        .get(format!("{base}/w/{slug}/companies?sort=score"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-col=\"score\""));
    assert!(html.contains("data-tier=\""), "{html}");
    let tier = ["A", "B", "C"]
        .into_iter()
        .find(|t| html.contains(&format!("data-tier=\"{t}\"")))
        .unwrap();
    let other = if tier == "A" { "B" } else { "A" };
    let html = c
        .get(format!("{base}/w/{slug}/companies?tier={tier}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/w/{slug}/companies/{cid}\"")));
    let html = c
        .get(format!("{base}/w/{slug}/companies?tier={other}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&format!("/w/{slug}/companies/{cid}\"")));
    let html = c
        .get(format!("{base}/w/{slug}/companies?tier=Z"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("tier: expected A, B or C"), "{html}");

    // Settings → Ideal customer profile: presets, a bad form, progress of the re-score.
    let icp_url = format!("{base}/w/{slug}/settings/icp");
    let html = c.get(&icp_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Ideal customer profile"));
    assert!(html.contains("data-preset=\"real_estate\""));
    let r = c
        .post(format!("{icp_url}/preset"))
        .form(&[("_csrf", csrf.as_str()), ("preset", "real_estate")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c.get(&icp_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-rescore-state=\"queued\""), "{html}");
    let r = c
        .post(&icp_url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Mine"),
            ("website_opportunity", "10"),
            ("reputation", "10"),
            ("reachability", "10"),
            ("fit", "10"),
            ("timing", "lots"),
            ("tier_a", "70"),
            ("tier_b", "40"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.contains("error=") && loc.contains("Timing"), "{loc}");

    // The API.
    let api = reqwest::Client::new();
    let s: Value = api
        .get(format!("{base}/api/v1/companies/{cid}/score"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["factors"].as_array().map(|a| a.len()), Some(5), "{s}");
    let r = api
        .post(format!("{base}/api/v1/companies/{cid}/score"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = api
        .get(format!("{base}/api/v1/companies/{cid}/analysis"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["analysis"]["provider"], "fallback", "{a}");
    let icp: Value = api
        .get(format!("{base}/api/v1/icp"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(icp["profile"]["key"], "real_estate");
    assert_eq!(icp["presets"].as_array().map(|a| a.len()), Some(4));
    let r = api
        .put(format!("{base}/api/v1/icp"))
        .bearer_auth(&token)
        .json(&json!({"preset": "web_agency"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["profile"]["key"], "web_agency");
    assert!(b["rescore_job_id"].is_i64());
    let mut bad = icp["profile"].clone();
    bad["tiers"] = json!({"a": 10, "b": 50});
    let r = api
        .put(format!("{base}/api/v1/icp"))
        .bearer_auth(&token)
        .json(&json!({"profile": bad}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(e.to_string().contains("tiers"), "{e}");
    let r = api
        .post(format!("{base}/api/v1/scores/rescore"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let b: Value = r.json().await.unwrap();
    assert!(b["job_id"].is_i64());
    let list: Value = api
        .get(format!("{base}/api/v1/companies?sort=score&tier={tier}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["data"].as_array().is_some(), "{list}");
}

#[tokio::test]
async fn ai_provider_settings_page_api_budget_and_usage() {
    let o = common::signed_in_owner("ai@owner.example.com", "AI Users").await;
    let common::Owner {
        base,
        token,
        ids,
        csrf,
        client: c,
        ..
    } = o;
    let slug = &o.slug;
    let url = format!("{base}/w/{slug}/settings/ai");
    let html = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-ai-form"), "{html}");
    assert!(html.contains("No AI calls this month"));
    assert!(html.contains("none (deterministic analyses)"));

    // A workspace provider with a key and a budget, from the form.
    let r = c
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("mode", "workspace"),
            ("provider", "anthropic"),
            ("base_url", "https://api.anthropic.com"),
            ("model", "claude-3-5-haiku-latest"),
            ("api_key", "sk-ant-SECRET-123"),
            ("budget", "5.00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice="),
        "{:?}",
        r.headers()
    );
    let html = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("sk-ant-SECRET"), "the key is never shown");
    assert!(html.contains("stored (encrypted)"), "{html}");
    assert!(html.contains("value=\"5.00\""), "{html}");
    assert!(html.contains("anthropic claude-3-5-haiku-latest"), "{html}");

    // A bad amount names the field and keeps the user on the page.
    let r = c
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("mode", "workspace"),
            ("model", "x"),
            ("budget", "five"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.contains("error=") && loc.contains("Monthly"), "{loc}");

    // The API: read (no key), change, usage.
    let api = format!("{base}/api/v1/settings/ai");
    let v: Value = c
        .get(&api)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["mode"], "workspace");
    assert_eq!(v["provider"], "anthropic");
    assert_eq!(v["api_key_set"], true);
    assert_eq!(v["monthly_budget_minor"], 500);
    assert!(!v.to_string().contains("SECRET"), "{v}");
    let r = c
        .put(&api)
        .bearer_auth(&token)
        .json(&json!({"mode": "off", "clear_budget": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["mode"], "off");
    assert_eq!(v["monthly_budget_minor"], Value::Null);
    for bad in [
        json!({"mode": "sometimes"}),
        json!({"base_url": "not a url"}),
        json!({"monthly_budget_minor": -5}),
        json!({"apikey": "x"}),
    ] {
        let r = c
            .put(&api)
            .bearer_auth(&token)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    // Testing without a provider is a clear 422, not a 500.
    let r = c
        .post(format!("{api}/test"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let u: Value = c
        .get(format!("{base}/api/v1/ai/usage"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["spent_micros"], 0);
    assert_eq!(u["exhausted"], false);
    assert_eq!(u["lines"], json!([]));
    // With "off" the analysis is the deterministic one, without a failure reason.
    let a: Value = c
        .post(format!(
            "{base}/api/v1/companies/{}/analysis",
            ids["company_id"]
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["provider"], "fallback");
    assert_eq!(a["fallback_reason"], Value::Null);
}
