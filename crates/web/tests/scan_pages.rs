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
    assert!(html.contains("data-reload-after"));
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
