//! The website scan in the UI and the API: the company page shows the latest scan's facts
//! with "Add as contact", the scan button and the bulk action queue scans (once), the contact
//! page offers email verification, and the facts API lists versions.

mod common;

use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn company_page_scan_button_promote_and_verify() {
    let o = common::signed_in_owner("scan@owner.example.com", "Scanners").await;
    let common::Owner {
        base,
        token,
        ids,
        csrf,
        client: c,
        ..
    } = o;
    let (cid, fid) = (&ids["company_id"], &ids["fact_id"]);
    let slug = &o.slug;

    let company_url = format!("{base}/w/{slug}/companies/{cid}");
    let html = c
        .get(&company_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("mark-found@bakery.example.com"), "{html}");
    assert!(html.contains("Add as contact"));
    assert!(html.contains(&format!("/w/{slug}/facts/{fid}/promote")));
    assert!(html.contains("Scan website"));
    assert!(html.contains("data-scan-state=\"done\""));

    // Without the CSRF token the scan button is refused.
    let r = c.post(format!("{company_url}/scan")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(format!("{company_url}/scan"))
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
    assert!(html.contains("data-scan-state=\"queued\""), "{html}");
    // The queued scan's job progress comes over the job's event stream.
    let events = html
        .split("data-events=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("a progress box following the scan job")
        .to_string();
    assert!(events.starts_with(&format!("/w/{slug}/jobs/")), "{events}");
    assert!(html.contains("data-scan-progress"));
    let mut r = c.get(format!("{base}{events}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let first = r.chunk().await.unwrap().unwrap_or_default();
    let first = String::from_utf8_lossy(&first);
    assert!(
        first.contains("event: progress") && first.contains("\"state\":\"queued\""),
        "{first}"
    );
    drop(r);
    assert!(
        html.contains("mark-found@bakery.example.com"),
        "current facts stay shown"
    );
    // The bulk action finds it already queued.
    let r = c
        .post(format!("{base}/w/{slug}/companies/bulk"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "scan"),
            ("id", cid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.contains("already"), "{loc}");

    // One click: the found email becomes a contact.
    let r = c
        .post(format!("{base}/w/{slug}/facts/{fid}/promote"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(&format!("/w/{slug}/contacts/")), "{loc}");
    let html = c
        .get(format!("{base}{loc}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("added as a contact"), "{html}");
    assert!(html.contains("Verify email"));
    assert!(html.contains("Not verified yet."));

    // The API: facts with versions, promote is idempotent, scans are readable.
    let api = reqwest::Client::new();
    let facts: Value = api
        .get(format!("{base}/api/v1/companies/{cid}/facts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(facts["facts"][0]["value"], "mark-found@bakery.example.com");
    assert_eq!(facts["scans"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(facts["scan"]["id"].to_string(), ids["scan_id"]);
    let r = api
        .post(format!("{base}/api/v1/facts/{fid}/promote"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["created"], false);
    let r = api
        .post(format!("{base}/api/v1/companies/{cid}/scan"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["created"], false, "already queued from the page");
    let sid = b["scan"]["id"].as_i64().unwrap();
    let s: Value = api
        .get(format!("{base}/api/v1/scans/{sid}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["state"], "queued");
    let r = api
        .post(format!("{base}/api/v1/companies/scan"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no selection");
    let r = api
        .get(format!("{base}/api/v1/companies/{cid}/facts?scan_id=abc"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn scanning_settings_bulk_verification_and_its_job_page() {
    let o = common::signed_in_owner("verify@owner.example.com", "Verifiers").await;
    let common::Owner {
        base,
        token,
        ids,
        csrf,
        client: c,
        ..
    } = o;
    let slug = &o.slug;

    // Settings → Scanning: off by default, saved from the form, same through the API.
    let url = format!("{base}/w/{slug}/settings/scanning");
    let html = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-scanning-form"), "{html}");
    assert!(!html.contains("checked"), "everything is off by default");
    let r = c
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("auto_scan_after_import", "1"),
            ("auto_promote", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let api = format!("{base}/api/v1/settings/scanning");
    let v: Value = c
        .get(&api)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v,
        serde_json::json!({"auto_scan_after_import": true, "auto_verify_after_import": false, "auto_promote": true})
    );
    let v: Value = c
        .put(&api)
        .bearer_auth(&token)
        .json(&serde_json::json!({"auto_verify_after_import": true, "auto_promote": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["auto_verify_after_import"], true);
    assert_eq!(v["auto_scan_after_import"], true, "omitted fields are kept");
    assert_eq!(v["auto_promote"], false);
    let r = c
        .put(&api)
        .bearer_auth(&token)
        .json(&serde_json::json!({"auto_scan": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are named"
    );

    // The contacts table's bulk action queues one verification job and shows its page.
    let r = c
        .post(format!("{base}/w/{slug}/contacts/bulk"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "verify"),
            ("id", ids["contact_id"].as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(&format!("/w/{slug}/jobs/")), "{loc}");
    let html = c
        .get(format!("{base}{loc}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Email verification"), "{html}");
    assert!(html.contains("data-events="), "{html}");
    assert!(html.contains("Waiting for a worker"), "{html}");
    // Nothing ticked: a precise message, no job.
    let r = c
        .post(format!("{base}/w/{slug}/contacts/bulk"))
        .form(&[("_csrf", csrf.as_str()), ("action", "verify")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"].to_str().unwrap().contains("error="),
        "{:?}",
        r.headers()
    );
    // The API does the same.
    let r = c
        .post(format!("{base}/api/v1/contacts/verify-emails"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ids": [ids["contact_id"].parse::<i64>().unwrap()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: Value = r.json().await.unwrap();
    assert!(v["job_id"].as_i64().is_some(), "{v}");
    // Another workspace's job is not found.
    let r = c
        .get(format!("{base}/w/{slug}/jobs/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .get(format!("{base}/w/{slug}/jobs/abc/events"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
}
