//! The contacts, companies and imports API on the configured backend: multipart upload run by
//! the job, progress and errors, search, filters and cursors, validation and conflict
//! errors, viewers, bulk actions, erase and CSV export.

use prospector_app::core::role::Role;
use prospector_app::jobs::{Registry, WorkerOptions, run_one};
use prospector_app::{Actor, App, accounts, testing, workspaces};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct TestApp {
    base: String,
    app: App,
    token: String,
    viewer: String,
    _dir: tempfile::TempDir,
}

async fn spawn() -> TestApp {
    let (app, dir) = testing::app().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(prospector_web::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    let user = accounts::create_user(
        &app,
        &Actor::cli(),
        "o@example.com",
        "Owner",
        "password-123",
        false,
    )
    .await
    .unwrap();
    let ws = workspaces::create(&app, &Actor::cli(), "Acme", &user)
        .await
        .unwrap();
    let ctx = workspaces::cli_context(&app, &ws.slug).await.unwrap();
    let token = workspaces::create_token(&app, &ctx, user.uid(), "t")
        .await
        .unwrap()
        .token;
    let v = accounts::create_user(
        &app,
        &Actor::cli(),
        "v@example.com",
        "Viewer",
        "password-123",
        false,
    )
    .await
    .unwrap();
    workspaces::add_member(&app, &ctx, "v@example.com", Role::Viewer)
        .await
        .unwrap();
    let viewer = workspaces::create_token(&app, &ctx, v.uid(), "v")
        .await
        .unwrap()
        .token;
    TestApp {
        base,
        app,
        token,
        viewer,
        _dir: dir,
    }
}

impl TestApp {
    fn url(&self, p: &str) -> String {
        format!("{}/api/v1{p}", self.base)
    }
    async fn get(&self, p: &str) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .get(self.url(p))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    async fn send(&self, method: reqwest::Method, p: &str, body: Value) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .request(method, self.url(p))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    async fn run_jobs(&self) {
        let opts = WorkerOptions {
            concurrency: 1,
            lease_ms: 30_000,
            poll_ms: 10,
            grace: std::time::Duration::from_secs(1),
            schedule: false,
            retry_base_ms: 10,
            retry_cap_ms: 10,
        };
        while run_one(&self.app, &Registry::standard(), &opts)
            .await
            .unwrap()
            .is_some()
        {}
    }
}

fn csv_rows(n: usize) -> String {
    let mut s = String::from("Firma;E-Mail;Telefon;Webseite;Ort;Tags\n");
    for i in 0..n {
        s.push_str(&format!(
            "Bäckerei {i};baker{i}@baeckerei{i}.de;030 {:07};baeckerei{i}.de;Berlin;{}\n",
            1_000_000 + i,
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    s.push_str(";kaputt;;;Berlin;\n");
    s
}

#[tokio::test]
async fn upload_runs_as_a_job_with_progress_and_a_report() {
    let t = spawn().await;
    let c = reqwest::Client::new();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv_rows(120).into_bytes()).file_name("leads.csv"),
        )
        .text("default_country", "DE")
        .text("on_duplicate", "fill")
        .text("map", "Ort=city");
    let r = c
        .post(t.url("/imports"))
        .bearer_auth(&t.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let imp: Value = r.json().await.unwrap();
    assert_eq!(imp["state"], "pending");
    assert_eq!(imp["file_name"], "leads.csv");
    let id = imp["id"].as_i64().unwrap();
    t.run_jobs().await;
    let (s, imp) = t.get(&format!("/imports/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(imp["state"], "done", "{imp}");
    assert_eq!(
        (
            imp["rows"].as_i64(),
            imp["created"].as_i64(),
            imp["errors"].as_i64()
        ),
        (Some(121), Some(120), Some(1))
    );
    assert_eq!(imp["percent"], 100.0);
    assert_eq!(imp["delimiter"], ";");
    let (_, errs) = t.get(&format!("/imports/{id}/errors")).await;
    let first = &errs["data"][0];
    assert_eq!(
        (first["row"].as_i64(), first["column"].as_str()),
        (Some(121), Some("E-Mail")),
        "{errs}"
    );
    let r = c
        .get(t.url(&format!("/imports/{id}/errors.csv")))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.text().await.unwrap().contains("121,122,E-Mail,kaputt"));
    let (_, list) = t.get("/imports").await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Bad uploads: a clear 4xx, nothing queued.
    let bad = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n\0\0\0\0".to_vec()).file_name("x.csv"),
    );
    let r = c
        .post(t.url("/imports"))
        .bearer_auth(&t.token)
        .multipart(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a text/CSV file"),
        "{body}"
    );
    let missing = reqwest::multipart::Form::new().text("on_duplicate", "fill");
    let r = c
        .post(t.url("/imports"))
        .bearer_auth(&t.token)
        .multipart(missing)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let wrong = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("x.csv"),
        )
        .text("on_duplicate", "merge");
    let r = c
        .post(t.url("/imports"))
        .bearer_auth(&t.token)
        .multipart(wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = c
        .post(t.url("/imports"))
        .bearer_auth(&t.token)
        .body("not multipart")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let (_, list) = t.get("/imports").await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "rejected uploads leave no import"
    );

    // Search, filters and cursors over what was imported.
    let (_, p) = t.get("/contacts?q=baker11&limit=5").await;
    let names: Vec<&str> = p["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5);
    assert!(names.iter().all(|e| e.starts_with("baker11")), "{names:?}");
    assert!(p["next_cursor"].is_string());
    let mut seen = names.len();
    let mut cursor = p["next_cursor"].as_str().map(String::from);
    while let Some(c) = cursor {
        let (_, next) = t
            .get(&format!("/contacts?q=baker11&limit=5&cursor={c}"))
            .await;
        seen += next["data"].as_array().unwrap().len();
        cursor = next["next_cursor"].as_str().map(String::from);
    }
    assert_eq!(seen, 11, "baker11 and baker110-119");
    let (_, even) = t.get("/contacts?tag=even&limit=200").await;
    assert_eq!(even["data"].as_array().unwrap().len(), 60);
    let (_, phone) = t.get("/contacts?q=%2B4930%201000042").await;
    assert_eq!(phone["data"][0]["email"], "baker42@baeckerei42.de");
    assert_eq!(phone["data"][0]["phone"], "+49301000042");
    assert_eq!(phone["data"][0]["company_name"], "Bäckerei 42");
    let (_, co) = t.get("/companies?q=baeckerei42").await;
    assert_eq!(co["data"][0]["domain"], "baeckerei42.de");
    assert_eq!(co["data"][0]["contact_count"], 1);
    for bad in [
        "has_email=maybe",
        "limit=0",
        "limit=x",
        "sort=size",
        "cursor=garbage",
        "created_after=yesterday",
        "lead_stage=hot",
    ] {
        let (s, b) = t.get(&format!("/contacts?{bad}")).await;
        assert_eq!(s, 422, "{bad}: {b}");
        let field = bad.split('=').next().unwrap();
        assert_eq!(b["error"]["field"], field, "{bad}: {b}");
    }
}

#[tokio::test]
async fn crud_validation_roles_bulk_erase_and_export() {
    let t = spawn().await;
    let (s, co) = t
        .send(
            reqwest::Method::POST,
            "/companies",
            json!({"name": "Acme", "website": "www.Acme.com/about"}),
        )
        .await;
    assert_eq!(s, 201, "{co}");
    assert_eq!(co["domain"], "acme.com");
    let (s, c) = t
        .send(reqwest::Method::POST, "/contacts", json!({
            "first_name": "ann", "last_name": "lee", "email": " Ann@Acme.COM ", "phone": "(415) 555-0134",
            "country": "United States", "company_id": co["id"], "tags": ["vip", "VIP", "new"],
            "custom": {"Favourite Colour": "blue"}
        }))
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["email"], "ann@acme.com");
    assert_eq!(c["phone"], "+14155550134");
    assert_eq!(c["full_name"], "Ann Lee");
    assert_eq!(c["country"], "US");
    assert_eq!(c["tags"], json!(["new", "vip"]));
    assert_eq!(c["custom"], json!({"favourite_colour": "blue"}));
    assert_eq!(c["company_name"], "Acme");
    let id = c["id"].as_i64().unwrap();

    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({"phone": "12"}), "phone"),
        (
            json!({"email": "a@b.com", "country": "Atlantis"}),
            "country",
        ),
        (
            json!({"email": "a@b.com", "lead_stage": "hot"}),
            "lead_stage",
        ),
        (
            json!({"email": "a@b.com", "company_id": 999999}),
            "company_id",
        ),
        (json!({"email": 5}), "email"),
        (json!({"emial": "a@b.com"}), ""),
        (json!({}), "email"),
    ] {
        let (s, b) = t
            .send(reqwest::Method::POST, "/contacts", body.clone())
            .await;
        assert_eq!(s, 422, "{body}: {b}");
        if !field.is_empty() {
            assert_eq!(b["error"]["field"], field, "{body}: {b}");
        }
    }
    let (s, b) = t
        .send(
            reqwest::Method::POST,
            "/contacts",
            json!({"email": "ANN@acme.com"}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["field"], "email");

    let (s, u) = t
        .send(
            reqwest::Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"job_title": "CEO", "phone": "", "lead_stage": "qualified"}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(
        (
            u["job_title"].as_str(),
            u["phone"].is_null(),
            u["lead_source"].as_str()
        ),
        (Some("CEO"), true, Some("manual"))
    );
    let (s, _) = t
        .send(
            reqwest::Method::POST,
            &format!("/contacts/{id}/notes"),
            json!({"body": "Met at the fair"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, tl) = t.get(&format!("/contacts/{id}/timeline")).await;
    let kinds: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["note.added", "contact.updated", "contact.created"]);
    let (_, leads) = t.get("/contacts?lead_stage=any").await;
    assert_eq!(leads["data"].as_array().unwrap().len(), 1);

    // Viewers read but do not write.
    let c2 = reqwest::Client::new();
    let r = c2
        .get(t.url(&format!("/contacts/{id}")))
        .bearer_auth(&t.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c2
        .patch(t.url(&format!("/contacts/{id}")))
        .bearer_auth(&t.viewer)
        .json(&json!({"city": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c2
        .post(t.url("/contacts/bulk"))
        .bearer_auth(&t.viewer)
        .json(&json!({"action": "delete", "ids": [id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Bulk by query, then export with formula cells escaped.
    for i in 0..3 {
        let (s, _) = t
            .send(
                reqwest::Method::POST,
                "/contacts",
                json!({"email": format!("p{i}@x.com"), "job_title": "=HYPERLINK(\"x\")"}),
            )
            .await;
        assert_eq!(s, 201);
    }
    let (s, b) = t
        .send(
            reqwest::Method::POST,
            "/contacts/bulk",
            json!({"action": "tag", "tag": "cold", "query": {"q": "x com"}}),
        )
        .await;
    assert_eq!(
        (s, b["affected"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{b}"
    );
    let (s, b) = t
        .send(
            reqwest::Method::POST,
            "/contacts/bulk",
            json!({"action": "explode", "ids": [id]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("action"))
    );
    let r = c2
        .get(t.url("/contacts/export.csv?tag=cold&bom=1"))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,full_name"));
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("'=HYPERLINK"), "{text}");

    let (s, e) = t
        .send(
            reqwest::Method::POST,
            &format!("/contacts/{id}/erase"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(e["suppressed"], json!(["ann@acme.com"]));
    let (s, _) = t.get(&format!("/contacts/{id}")).await;
    assert_eq!(s, 404);
    let (s, b) = t
        .send(
            reqwest::Method::POST,
            "/contacts/bulk",
            json!({"action": "delete", "query": {"tag": "cold"}}),
        )
        .await;
    assert_eq!((s, b["affected"].as_i64()), (StatusCode::OK, Some(3)));
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/companies/{}", co["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, all) = t.get("/contacts").await;
    assert!(all["data"].as_array().unwrap().is_empty());
}
