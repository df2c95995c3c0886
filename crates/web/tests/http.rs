//! The real app on a random port, on the backend chosen by PROSPECTOR_TEST_BACKEND: health,
//! metrics, OpenAPI, API auth and roles, CSRF, login, and the generic tenant-isolation walk
//! over every route in the OpenAPI document.

use prospector_app::core::role::Role;
use prospector_app::{Actor, App, accounts, testing, workspaces};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

struct TestApp {
    base: String,
    app: App,
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
    TestApp {
        base,
        app,
        _dir: dir,
    }
}

/// A user who owns a workspace, and an API token for it.
async fn owner(t: &TestApp, email: &str, ws_name: &str) -> (String, String) {
    let user = accounts::create_user(&t.app, &Actor::cli(), email, "Owner", "password-123", false)
        .await
        .unwrap();
    let ws = workspaces::create(&t.app, &Actor::cli(), ws_name, &user)
        .await
        .unwrap();
    let ctx = workspaces::cli_context(&t.app, &ws.slug).await.unwrap();
    let tok = workspaces::create_token(&t.app, &ctx, user.uid(), "test")
        .await
        .unwrap();
    (ws.slug, tok.token)
}

/// Load the sign-in page (which sets the CSRF cookie) and return the form's token.
async fn login_csrf(c: &reqwest::Client, base: &str) -> String {
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap_or_default();
    token.split('"').next().unwrap_or_default().to_string()
}

/// Post the sign-in form with the given fields.
async fn post_login(c: &reqwest::Client, base: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    c.post(format!("{base}/login"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn health_ready_metrics_and_openapi() {
    let t = spawn().await;
    let c = client();
    assert_eq!(
        c.get(format!("{}/healthz", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = c.get(format!("{}/readyz", t.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let doc: Value = c
        .get(format!("{}/api/v1/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/me"].is_object());
    let m = c
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("prospector_http_requests_total"), "{m}");
    assert!(m.contains("route=\"/readyz\""));
    // Readiness turns 503 when the database goes away, while liveness stays 200.
    t.app.db().close().await;
    assert_eq!(
        c.get(format!("{}/readyz", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        c.get(format!("{}/healthz", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn api_tokens_roles_and_error_bodies() {
    let t = spawn().await;
    let (slug, token) = owner(&t, "owner@a.example.com", "Alpha").await;
    let c = client();
    let me: Value = c
        .get(format!("{}/api/v1/me", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["workspace"]["slug"], slug);
    assert_eq!(me["role"], "owner");

    let r = c.get(format!("{}/api/v1/me", t.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(
        c.get(format!("{}/api/v1/me", t.base))
            .bearer_auth("pk_nope")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Wrong types get a 422 naming the field; malformed JSON a 400.
    let r = c
        .post(format!("{}/api/v1/invitations", t.base))
        .bearer_auth(&token)
        .json(&json!({"email": 5, "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "email");
    let r = c
        .post(format!("{}/api/v1/tokens", t.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(format!("{}/api/v1/invitations", t.base))
        .bearer_auth(&token)
        .json(&json!({"email": "x@y.example.com", "role": "emperor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // A viewer may read but not change settings.
    let viewer = accounts::create_user(
        &t.app,
        &Actor::cli(),
        "viewer@a.example.com",
        "V",
        "password-123",
        false,
    )
    .await
    .unwrap();
    let ctx = workspaces::cli_context(&t.app, &slug).await.unwrap();
    workspaces::add_member(&t.app, &ctx, &viewer.email, Role::Viewer)
        .await
        .unwrap();
    let vtok = workspaces::create_token(&t.app, &ctx, viewer.uid(), "viewer")
        .await
        .unwrap()
        .token;
    assert_eq!(
        c.get(format!("{}/api/v1/members", t.base))
            .bearer_auth(&vtok)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = c
        .patch(format!("{}/api/v1/workspace", t.base))
        .bearer_auth(&vtok)
        .json(&json!({"name": "Hacked", "time_zone": "UTC", "default_country": "US"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");

    // Revoked tokens stop working at once.
    let created: Value = c
        .post(format!("{}/api/v1/tokens", t.base))
        .bearer_auth(&token)
        .json(&json!({"name": "temp"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let temp = created["token"].as_str().unwrap().to_string();
    assert_eq!(
        c.get(format!("{}/api/v1/me", t.base))
            .bearer_auth(&temp)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let del = c
        .delete(format!("{}/api/v1/tokens/{}", t.base, created["id"]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(
        c.get(format!("{}/api/v1/me", t.base))
            .bearer_auth(&temp)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // The secret is never listed again.
    let list: Value = c
        .get(format!("{}/api/v1/tokens", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["token"].is_null())
    );
    // Every change is in the audit log.
    let audit: Value = c
        .get(format!("{}/api/v1/audit", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"token.revoked") && actions.contains(&"member.added"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn login_csrf_and_rate_limit() {
    let t = spawn().await;
    let (slug, _) = owner(&t, "owner@b.example.com", "Beta").await;
    let c = client();
    // The login page sets the CSRF cookie; a post without the token is refused.
    let csrf = login_csrf(&c, &t.base).await;
    let r = post_login(
        &c,
        &t.base,
        &[
            ("email", "owner@b.example.com"),
            ("password", "password-123"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post_login(
        &c,
        &t.base,
        &[
            ("_csrf", csrf.as_str()),
            ("email", "owner@b.example.com"),
            ("password", "wrong-password"),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("wrong email or password"));
    let r = post_login(
        &c,
        &t.base,
        &[
            ("_csrf", csrf.as_str()),
            ("email", "owner@b.example.com"),
            ("password", "password-123"),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let dash = c
        .get(format!("{}/w/{slug}/dashboard", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(dash.status(), 200);
    let html = dash.text().await.unwrap();
    for section in [
        "Contacts",
        "Leads",
        "Conversations",
        "Campaigns",
        "Discovery",
        "Templates",
        "Analytics",
        "Wallet",
        "Settings",
    ] {
        assert!(html.contains(section), "sidebar lacks {section}");
    }
    // Another workspace's pages are 404 for this user.
    let (other, _) = owner(&t, "owner@c.example.com", "Gamma").await;
    assert_eq!(
        c.get(format!("{}/w/{other}/dashboard", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Five failures lock the address out for a while.
    let c2 = client();
    c2.get(format!("{}/login", t.base)).send().await.unwrap();
    let mut last = StatusCode::OK;
    for _ in 0..7 {
        last = c2
            .post(format!("{}/login", t.base))
            .header("x-csrf-token", "x".repeat(32))
            .form(&[
                ("email", "owner@c.example.com"),
                ("password", "nope-nope-nope"),
            ])
            .send()
            .await
            .unwrap()
            .status();
    }
    assert_eq!(
        last, 403,
        "header token that does not match the cookie is refused"
    );
    let csrf2 = login_csrf(&c2, &t.base).await;
    for _ in 0..6 {
        last = post_login(
            &c2,
            &t.base,
            &[
                ("_csrf", csrf2.as_str()),
                ("email", "owner@c.example.com"),
                ("password", "nope-nope-nope"),
            ],
        )
        .await
        .status();
    }
    assert_eq!(last, 429);
}

/// Build a request body from the OpenAPI schema: examples where given, else a value of the
/// right type. Routes added later are covered as long as their bodies are in the document.
fn sample(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        return sample(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(v) = schema.get("enum").and_then(|e| e.get(0)) {
        return v.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(a) => a
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str() {
        Some("object") | None => {
            let mut m = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    m.insert(k.clone(), sample(doc, v));
                }
            }
            Value::Object(m)
        }
        Some("string") => json!("isolation"),
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([sample(doc, &schema["items"])]),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn tenant_isolation_every_route_in_the_openapi_document() {
    let t = spawn().await;
    let (slug_a, token_a) = owner(&t, "alice@alpha.example.com", "Alpha Corp").await;
    let (_, token_b) = owner(&t, "bob@beta.example.com", "Beta Corp").await;
    let ctx_a = workspaces::cli_context(&t.app, &slug_a).await.unwrap();
    let ids: BTreeMap<String, String> = prospector_app::fixtures::seed_isolation(
        &t.app,
        &ctx_a,
        "alice@alpha.example.com",
        "ALPHASECRET",
    )
    .await
    .unwrap();
    let c = client();
    let doc: Value = c
        .get(format!("{}/api/v1/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let mut url = path.clone();
            let mut has_id = false;
            for p in op["parameters"].as_array().cloned().unwrap_or_default() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    let v = ids.get(name).unwrap_or_else(|| panic!(
                        "{method} {path}: the isolation fixture has no '{name}'; add one in app::fixtures::seed_isolation"));
                    url = url.replace(&format!("{{{name}}}"), v);
                    has_id = true;
                }
            }
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let build = |tok: &str| {
                let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let mut rb = c.request(m, format!("{}{}", t.base, url)).bearer_auth(tok);
                if !body.is_null() {
                    rb = rb.json(&sample(&doc, &body));
                }
                rb
            };
            let r = build(&token_b).send().await.unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            if has_id {
                assert_eq!(
                    status, 404,
                    "{method} {url} with another workspace's token: {status} {text}"
                );
            }
            assert!(
                !text.to_lowercase().contains("alphasecret") && !text.contains("alice@alpha"),
                "{method} {url} leaked workspace A's data: {text}"
            );
            if has_id && method == "get" {
                let own = build(&token_a).send().await.unwrap().status();
                assert_eq!(
                    own, 200,
                    "{method} {url} must work for its own workspace (the fixture ids are real)"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "walked only {checked} operations");
    // Workspace B called every write route with workspace A's ids (bulk deletes and tags
    // included): A's objects are all still there, unchanged.
    for (path, key) in [
        ("contacts", "contact_id"),
        ("companies", "company_id"),
        ("imports", "import_id"),
    ] {
        let r = c
            .get(format!("{}/api/v1/{path}/{}", t.base, ids[key]))
            .bearer_auth(&token_a)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} of workspace A survived the walk");
    }
    let contact: Value = c
        .get(format!("{}/api/v1/contacts/{}", t.base, ids["contact_id"]))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        contact["tags"],
        json!(["ALPHASECRET"]),
        "B could not untag A's contact"
    );
    assert_eq!(contact["full_name"], "Alphasecret Person");
}

#[tokio::test]
async fn multipart_upload_form_needs_the_csrf_token_in_its_url() {
    let t = spawn().await;
    let (slug, _) = owner(&t, "up@b.example.com", "Uploads").await;
    let c = client();
    let csrf = login_csrf(&c, &t.base).await;
    let r = post_login(
        &c,
        &t.base,
        &[
            ("_csrf", csrf.as_str()),
            ("email", "up@b.example.com"),
            ("password", "password-123"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"Email\na@b.com\n".to_vec()).file_name("a.csv"),
        )
    };
    let url = format!("{}/w/{slug}/contacts/import", t.base);
    let r = c.post(&url).multipart(form()).send().await.unwrap();
    assert_eq!(r.status(), 403, "no token: refused");
    let r = c
        .post(format!("{url}?_csrf=wrong-token-wrong-token"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "wrong token: refused");
    let r = c
        .post(format!("{url}?_csrf={csrf}"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "the right token in the URL is accepted: {}",
        r.status()
    );
}
