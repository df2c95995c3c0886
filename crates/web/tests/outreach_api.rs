//! The outreach API on the configured backend: a sandbox sender with its connection test,
//! pause and DKIM record; templates with the unknown-variable error naming the field and the
//! variable, and a preview; a campaign created from the documented JSON body, read back in
//! the same shape, enrolled, started, planned by `engine::tick` and sent by
//! `dispatch::dispatch`, with its counts, messages, timelines, replies, approval queue and
//! test send; wrong JSON types answered 4xx naming the field; and viewers who read but
//! cannot create.

mod common;

use prospector_app::core::role::Role;
use prospector_app::core::time::now_ms;
use prospector_app::outreach::{dispatch, engine};
use prospector_app::{Actor, App, accounts, workspaces};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Api {
    base: String,
    token: String,
    c: reqwest::Client,
}

impl Api {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut rb = self
            .c
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"))
        };
        (status, v)
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::POST, path, None).await
    }
    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    async fn raw(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let r = self
            .c
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The documented `campaign create --file` body, sending around the clock at full speed.
fn campaign_body(name: &str, sender: &str) -> Value {
    json!({
        "name": name,
        "senders": [sender],
        "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "23:59"},
        "steps": [
            {"channel": "email", "delay_days": 0, "subject": "Hello {{first_name|there}}", "body": "Hi {{first_name|there}}, a question about {{company.name|your shop}}."},
            {"channel": "email", "delay_days": 3, "subject": "Re: hello", "body": "Just following up."}
        ],
        "stop_on": ["reply", "bounce", "unsubscribe"],
        "track_opens": false,
        "track_clicks": false,
        "min_gap_seconds": 0
    })
}

fn assert_field(status: StatusCode, body: &Value, field: &str) {
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
        "{status} {body}"
    );
    assert_eq!(body["error"]["field"], field, "{body}");
}

/// Now, or just after midnight when now is the last minute of the UTC day (outside the
/// documented 00:00-23:59 window).
fn clock() -> i64 {
    let now = now_ms();
    let day = 86_400_000;
    if now % day >= day - 60_000 {
        now - now % day + day + 30_000
    } else {
        now
    }
}

async fn run_outreach(app: &App) -> (engine::TickReport, dispatch::DispatchReport) {
    let at = clock();
    let t = engine::tick(app, at).await.unwrap();
    let d = dispatch::dispatch(app, Some(at)).await.unwrap();
    (t, d)
}

async fn send_due(app: &App) -> dispatch::DispatchReport {
    dispatch::dispatch(app, Some(clock())).await.unwrap()
}

#[tokio::test]
async fn senders_templates_and_a_campaign_from_create_to_sent() {
    let o = common::signed_in_owner("outreach@owner.example.com", "Outreachers").await;
    let api = Api {
        base: o.base.clone(),
        token: o.token.clone(),
        c: reqwest::Client::new(),
    };

    // A sandbox sender: connection test, pause and resume, DKIM record.
    let (st, sender) = api
        .post(
            "/senders",
            json!({"name": "Sandbox one", "kind": "sandbox", "from_email": "anna@mail.example.com", "from_name": "Anna", "daily_limit": 100}),
        )
        .await;
    assert_eq!(st, 201, "{sender}");
    let sid = sender["id"].as_i64().unwrap();
    assert_eq!(sender["state"], "active");
    assert_eq!(sender["limit_today"], 100);
    let (st, t) = api.post_empty(&format!("/senders/{sid}/test")).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["ok"], true);
    let (st, p) = api.post_empty(&format!("/senders/{sid}/pause")).await;
    assert_eq!((st.as_u16(), p["state"].as_str()), (200, Some("paused")));
    let (st, p) = api.post_empty(&format!("/senders/{sid}/resume")).await;
    assert_eq!((st.as_u16(), p["state"].as_str()), (200, Some("active")));
    let (st, dkim) = api.post_empty(&format!("/senders/{sid}/dkim")).await;
    assert_eq!(st, 201, "{dkim}");
    assert_eq!(dkim["name"], "prospector._domainkey.mail.example.com");
    assert!(
        dkim["value"].as_str().unwrap().starts_with("v=DKIM1"),
        "{dkim}"
    );
    let (_, got) = api.get(&format!("/senders/{sid}")).await;
    assert_eq!(got["dkim"]["name"], dkim["name"]);
    let (_, list) = api.get("/senders").await;
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == sid)
    );
    let (st, e) = api
        .post(
            "/senders",
            json!({"name": "Broken", "kind": "smtp", "from_email": "x@mail.example.com"}),
        )
        .await;
    assert_field(st, &e, "smtp_url");

    // Templates: an unknown variable is refused with the field and the variable named.
    let (st, e) = api
        .post(
            "/templates",
            json!({"name": "Bad", "subject": "Hi {{frist_name|there}}", "body": "Hello"}),
        )
        .await;
    assert_field(st, &e, "subject");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("frist_name"),
        "{e}"
    );
    let (st, e) = api
        .post(
            "/templates",
            json!({"name": "Bad", "subject": "Hi", "body": "Hello {{company.nmae}}"}),
        )
        .await;
    assert_field(st, &e, "body");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("company.nmae"),
        "{e}"
    );
    let (st, tpl) = api
        .post(
            "/templates",
            json!({"name": "Intro", "subject": "Hi {{first_name|there}}", "body": "About {{company.name|your company}}: {{custom.plan|none}}"}),
        )
        .await;
    assert_eq!(st, 201, "{tpl}");
    let tid = tpl["id"].as_i64().unwrap();
    assert_eq!(
        tpl["variables"],
        json!(["company.name", "custom.plan", "first_name"])
    );
    let (st, dup) = api
        .post(
            "/templates",
            json!({"name": "Intro", "subject": "x", "body": "y"}),
        )
        .await;
    assert_eq!(st, 409, "{dup}");
    assert_eq!(dup["error"]["field"], "name");
    let (st, upd) = api
        .put(
            &format!("/templates/{tid}"),
            json!({"name": "Intro", "subject": "Hello {{first_name|there}}", "body": "Body"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), upd["subject"].as_str()),
        (200, Some("Hello {{first_name|there}}"))
    );
    let (_, page) = api.get("/templates?q=intro").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");

    // Contacts to reach, and a preview for one of them.
    let mut contacts = Vec::new();
    for (first, email) in [
        ("Ana", "ana@shop.example.com"),
        ("Ben", "ben@shop.example.com"),
        ("Cem", "cem@shop.example.com"),
    ] {
        let (st, c) = api
            .post(
                "/contacts",
                json!({"first_name": first, "email": email, "tags": ["spring"]}),
            )
            .await;
        assert_eq!(st, 201, "{c}");
        contacts.push(c["id"].as_i64().unwrap());
    }
    let (st, pv) = api
        .post(
            "/templates/preview",
            json!({"subject": "Hi {{first_name|there}}", "body": "Dear {{last_name}}", "contact_id": contacts[0]}),
        )
        .await;
    assert_eq!(st, 200, "{pv}");
    assert_eq!(pv["subject"], "Hi Ana");
    assert_eq!(pv["missing"], json!(["last_name"]));
    let (st, pv) = api
        .post(
            "/templates/preview",
            json!({"subject": "Hi {{first_name|there}}", "body": "x"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), pv["subject"].as_str()),
        (200, Some("Hi Alex"))
    );
    let (st, e) = api
        .post(
            "/templates/preview",
            json!({"subject": "Hi {{nope}}", "body": "x"}),
        )
        .await;
    assert_field(st, &e, "subject");

    // A campaign from the documented body; read back in the same shape.
    let (st, camp) = api
        .post("/campaigns", campaign_body("Spring", "Sandbox one"))
        .await;
    assert_eq!(st, 201, "{camp}");
    let cid = camp["id"].as_i64().unwrap();
    assert_eq!(camp["state"], "draft");
    assert_eq!(camp["spec"]["senders"], json!(["Sandbox one"]));
    assert_eq!(camp["spec"]["steps"].as_array().unwrap().len(), 2);
    assert_eq!(camp["spec"]["min_gap_seconds"], 0);
    let (st, again) = api.get(&format!("/campaigns/{cid}")).await;
    assert_eq!(st, 200);
    let mut spec = again["spec"].clone();
    spec["name"] = json!("Spring outreach");
    let (st, upd) = api.put(&format!("/campaigns/{cid}"), spec).await;
    assert_eq!(st, 200, "{upd}");
    assert_eq!(upd["name"], "Spring outreach");
    let (_, list) = api.get("/campaigns?state=draft").await;
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == cid),
        "{list}"
    );

    // Enroll by tag, start, plan and send.
    let (st, en) = api
        .post(
            &format!("/campaigns/{cid}/enroll"),
            json!({"tag": "spring"}),
        )
        .await;
    assert_eq!(st, 200, "{en}");
    assert_eq!(en["enrolled"], 3);
    let (st, en) = api
        .post(
            &format!("/campaigns/{cid}/enroll"),
            json!({"tag": "spring"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), en["already_enrolled"].as_u64()),
        (200, Some(3))
    );
    let (st, started) = api.post_empty(&format!("/campaigns/{cid}/start")).await;
    assert_eq!(st, 200, "{started}");
    assert_eq!(started["state"], "active");
    let (st, again) = api.post_empty(&format!("/campaigns/{cid}/start")).await;
    assert_eq!(st, 409, "{again}");
    let (tick, sent) = run_outreach(&o.app).await;
    assert_eq!(tick.queued, 3, "{tick:?}");
    assert!(sent.sent >= 3, "{sent:?}");
    assert_eq!(o.app.transports().sandbox(sid).sent_count(), 3);
    let (st, status) = api.get(&format!("/campaigns/{cid}/status")).await;
    assert_eq!(st, 200);
    assert_eq!(status["campaign_id"], cid);
    assert_eq!(status["state"], "active");
    assert_eq!(status["messages"]["sent"], 3, "{status}");
    assert_eq!(status["enrollments"]["active"], 3, "{status}");
    assert_eq!(status["engagement"]["sent"], 3, "{status}");

    // Its messages, one timeline, a reply that stops the sequence.
    let (st, msgs) = api
        .get(&format!("/campaigns/{cid}/messages?status=sent&limit=2"))
        .await;
    assert_eq!(st, 200);
    assert_eq!(msgs["data"].as_array().unwrap().len(), 2);
    let before = msgs["next_before"].as_i64().unwrap();
    let (_, rest) = api
        .get(&format!(
            "/campaigns/{cid}/messages?status=sent&limit=2&before={before}"
        ))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1, "{rest}");
    assert!(rest["next_before"].is_null());
    let m = &msgs["data"][0];
    let mid = m["id"].as_i64().unwrap();
    assert!(
        m["message_id_header"]
            .as_str()
            .unwrap()
            .ends_with("@mail.example.com>"),
        "{m}"
    );
    let (st, detail) = api.get(&format!("/messages/{mid}")).await;
    assert_eq!(st, 200);
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"queued") && kinds.contains(&"sent"),
        "{kinds:?}"
    );
    let (st, r) = api.post_empty(&format!("/messages/{mid}/replied")).await;
    assert_eq!(st, 200, "{r}");
    assert!(r["replied_at"].as_i64().is_some());
    let (_, status) = api.get(&format!("/campaigns/{cid}/status")).await;
    assert_eq!(status["enrollments"]["stopped"], 1, "{status}");
    assert_eq!(status["engagement"]["replied"], 1);
    let contact = m["contact_id"].as_i64().unwrap();
    let (st, of) = api.get(&format!("/contacts/{contact}/messages")).await;
    assert_eq!(st, 200);
    assert_eq!(of["data"][0]["id"], mid, "{of}");
    let (st, retried) = api.post("/messages/retry", json!({"ids": [mid]})).await;
    assert_eq!(
        (st.as_u16(), retried["changed"].as_u64()),
        (200, Some(0)),
        "only uncertain ones"
    );
    let (st, e) = api
        .put(
            &format!("/messages/{mid}"),
            json!({"subject": "x", "body": "y"}),
        )
        .await;
    assert_eq!(st, 409, "a sent message cannot be edited: {e}");

    // A test send to yourself goes out through the campaign's sender.
    let (st, tm) = api
        .post(
            &format!("/campaigns/{cid}/test"),
            json!({"step": 1, "to": "me@owner.example.com"}),
        )
        .await;
    assert_eq!(st, 202, "{tm}");
    assert!(
        tm["subject"]
            .as_str()
            .unwrap()
            .starts_with("[Test] Re: hello"),
        "{tm}"
    );
    send_due(&o.app).await;
    let sandbox = o.app.transports().sandbox(sid).sent();
    assert!(
        sandbox
            .iter()
            .any(|m| m.email.to_email == "me@owner.example.com")
    );
    let (st, e) = api
        .post(
            &format!("/campaigns/{cid}/test"),
            json!({"step": 9, "to": "me@owner.example.com"}),
        )
        .await;
    assert_field(st, &e, "step");

    // Pause, resume, stop; a started campaign cannot be deleted.
    let (st, p) = api.post_empty(&format!("/campaigns/{cid}/pause")).await;
    assert_eq!((st.as_u16(), p["state"].as_str()), (200, Some("paused")));
    let (st, p) = api.post_empty(&format!("/campaigns/{cid}/resume")).await;
    assert_eq!((st.as_u16(), p["state"].as_str()), (200, Some("active")));
    let (st, _) = api
        .call(Method::DELETE, &format!("/campaigns/{cid}"), None)
        .await;
    assert_eq!(st, 409);
    let (st, p) = api.post_empty(&format!("/campaigns/{cid}/stop")).await;
    assert_eq!((st.as_u16(), p["state"].as_str()), (200, Some("stopped")));

    // Approval: messages wait for review, one is edited, all are approved, then sent.
    let mut body = campaign_body("Reviewed", "Sandbox one");
    body["approval_required"] = json!(true);
    body["steps"] = json!([{"subject": "Hi {{first_name|there}}", "body": "Hello"}]);
    let (st, rc) = api.post("/campaigns", body).await;
    assert_eq!(st, 201, "{rc}");
    let rid = rc["id"].as_i64().unwrap();
    api.post(
        &format!("/campaigns/{rid}/enroll"),
        json!({"contact_ids": [contacts[1], contacts[2]]}),
    )
    .await;
    api.post_empty(&format!("/campaigns/{rid}/start")).await;
    let (tick, _) = run_outreach(&o.app).await;
    assert_eq!(tick.waiting_for_approval, 2, "{tick:?}");
    let (_, pending) = api
        .get(&format!(
            "/campaigns/{rid}/messages?status=pending_approval"
        ))
        .await;
    let pid = pending["data"][0]["id"].as_i64().unwrap();
    let (st, edited) = api
        .put(
            &format!("/messages/{pid}"),
            json!({"subject": "Edited subject", "body": "Edited body"}),
        )
        .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["subject"], "Edited subject");
    let (st, e) = api
        .put(
            &format!("/messages/{pid}"),
            json!({"subject": 5, "body": "x"}),
        )
        .await;
    assert_field(st, &e, "subject");
    let (st, e) = api
        .post(
            &format!("/campaigns/{rid}/review"),
            json!({"action": "maybe"}),
        )
        .await;
    assert_field(st, &e, "action");
    let (st, rv) = api
        .post(
            &format!("/campaigns/{rid}/review"),
            json!({"action": "approve"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), rv["changed"].as_u64()),
        (200, Some(2)),
        "{rv}"
    );
    send_due(&o.app).await;
    let (_, status) = api.get(&format!("/campaigns/{rid}/status")).await;
    assert_eq!(status["messages"]["sent"], 2, "{status}");
    assert!(
        o.app
            .transports()
            .sandbox(sid)
            .sent()
            .iter()
            .any(|m| m.email.subject == "Edited subject")
    );

    // A draft can be deleted; then it is gone.
    let (_, draft) = api
        .post("/campaigns", campaign_body("Scratch", "Sandbox one"))
        .await;
    let did = draft["id"].as_i64().unwrap();
    let (st, _) = api
        .call(Method::DELETE, &format!("/campaigns/{did}"), None)
        .await;
    assert_eq!(st, 204);
    let (st, _) = api.get(&format!("/campaigns/{did}")).await;
    assert_eq!(st, 404);
    let (st, _) = api
        .call(Method::DELETE, &format!("/templates/{tid}"), None)
        .await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_4xx_naming_the_field() {
    let o = common::signed_in_owner("types@owner.example.com", "Typists").await;
    let api = Api {
        base: o.base.clone(),
        token: o.token.clone(),
        c: reqwest::Client::new(),
    };
    let sender = "MARK mailbox";
    let cid = &o.ids["campaign_id"];
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/senders",
            json!({"name": 1, "from_email": "a@b.example.com"}),
            "name",
        ),
        (
            "/senders",
            json!({"name": "x", "from_email": "a@b.example.com", "daily_limit": "many"}),
            "daily_limit",
        ),
        (
            "/senders",
            json!({"name": "x", "from_email": "a@b.example.com", "kind": "pigeon"}),
            "kind",
        ),
        (
            "/senders",
            json!({"name": "x", "from_email": "not an address", "kind": "sandbox"}),
            "from_email",
        ),
        (
            "/templates",
            json!({"name": "t", "subject": ["x"], "body": "y"}),
            "subject",
        ),
        (
            "/templates",
            json!({"name": "t", "subject": "x", "body": "{{first_name"}),
            "body",
        ),
        ("/messages/retry", json!({"ids": "all"}), "ids"),
    ];
    for (path, body, field) in cases {
        let (st, e) = api.post(path, body.clone()).await;
        assert_field(st, &e, field);
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path} {body}: {e}"
        );
    }
    let mut b = campaign_body("Typed", sender);
    b["min_gap_seconds"] = json!("fast");
    let (st, e) = api.post("/campaigns", b).await;
    assert_field(st, &e, "min_gap_seconds");
    let mut b = campaign_body("Typed", sender);
    b["steps"][1]["delay_days"] = json!("two");
    let (st, e) = api.post("/campaigns", b).await;
    assert_field(st, &e, "steps[1].delay_days");
    let mut b = campaign_body("Typed", sender);
    b["steps"][0]["subject"] = json!("Hi {{frist_name}}");
    let (st, e) = api.post("/campaigns", b).await;
    assert_field(st, &e, "steps[0].subject");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("frist_name")
    );
    let mut b = campaign_body("Typed", sender);
    b["schedule"]["days"] = json!(["someday"]);
    let (st, e) = api.post("/campaigns", b).await;
    assert_field(st, &e, "schedule.days");
    let mut b = campaign_body("Typed", "Nobody");
    b["name"] = json!("Typed");
    let (st, e) = api.post("/campaigns", b).await;
    assert_field(st, &e, "senders");
    let mut b = campaign_body("Typed", sender);
    b.as_object_mut()
        .unwrap()
        .insert("stop_onn".into(), json!(["reply"]));
    let (st, e) = api.post("/campaigns", b).await;
    assert_eq!(st, 422, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("stop_onn"),
        "{e}"
    );
    let (st, e) = api
        .post(&format!("/campaigns/{cid}/enroll"), json!({"all": "yes"}))
        .await;
    assert_field(st, &e, "all");
    let (st, e) = api
        .post(
            &format!("/campaigns/{cid}/enroll"),
            json!({"all": true, "tag": "x"}),
        )
        .await;
    assert_field(st, &e, "all");
    let (st, e) = api
        .post(&format!("/campaigns/{cid}/test"), json!({"to": 7}))
        .await;
    assert_field(st, &e, "to");
    let (st, e) = api.raw("/campaigns", "{\"name\":").await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(e["error"]["code"], "bad_request");
    let r = api
        .c
        .post(format!("{}/api/v1/campaigns", api.base))
        .bearer_auth(&api.token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a form body is not JSON");
    let r = api
        .c
        .get(format!("{}/api/v1/campaigns/abc", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a path id that is not a number");
    let (st, e) = api.get("/campaigns?limit=lots").await;
    assert_field(st, &e, "limit");
}

#[tokio::test]
async fn viewers_read_but_cannot_create_or_change() {
    let o = common::signed_in_owner("roles@owner.example.com", "Roles").await;
    let viewer = accounts::create_user(
        &o.app,
        &Actor::cli(),
        "viewer@roles.example.com",
        "V",
        "password-123",
        false,
    )
    .await
    .unwrap();
    workspaces::add_member(&o.app, &o.ctx, &viewer.email, Role::Viewer)
        .await
        .unwrap();
    let member = accounts::create_user(
        &o.app,
        &Actor::cli(),
        "member@roles.example.com",
        "M",
        "password-123",
        false,
    )
    .await
    .unwrap();
    workspaces::add_member(&o.app, &o.ctx, &member.email, Role::Member)
        .await
        .unwrap();
    let token = |u: prospector_app::store::users::User| {
        let app = o.app.clone();
        let ctx = o.ctx.clone();
        async move {
            workspaces::create_token(&app, &ctx, u.uid(), "t")
                .await
                .unwrap()
                .token
        }
    };
    let v = Api {
        base: o.base.clone(),
        token: token(viewer).await,
        c: reqwest::Client::new(),
    };
    let m = Api {
        base: o.base.clone(),
        token: token(member).await,
        c: reqwest::Client::new(),
    };
    let cid = &o.ids["campaign_id"];
    let sid = &o.ids["sender_id"];
    let mid = &o.ids["message_id"];
    for path in [
        "/senders".to_string(),
        format!("/senders/{sid}"),
        "/templates".into(),
        "/campaigns".into(),
        format!("/campaigns/{cid}"),
        format!("/campaigns/{cid}/status"),
        format!("/campaigns/{cid}/messages"),
        format!("/messages/{mid}"),
        format!("/contacts/{}/messages", o.ids["contact_id"]),
    ] {
        let (st, body) = v.get(&path).await;
        assert_eq!(st, 200, "viewer reads {path}: {body}");
    }
    let (st, e) = v
        .post("/campaigns", campaign_body("Nope", "MARK mailbox"))
        .await;
    assert_eq!(st, 403, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    let (st, _) = v
        .post(
            "/templates",
            json!({"name": "n", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = v
        .post(
            "/senders",
            json!({"name": "n", "kind": "sandbox", "from_email": "a@b.example.com"}),
        )
        .await;
    assert_eq!(st, 403);
    for path in [
        format!("/campaigns/{cid}/start"),
        format!("/campaigns/{cid}/stop"),
        format!("/senders/{sid}/pause"),
        format!("/messages/{mid}/replied"),
    ] {
        let (st, _) = v.post_empty(&path).await;
        assert_eq!(st, 403, "viewer posts {path}");
    }
    let (st, _) = v
        .post(&format!("/campaigns/{cid}/enroll"), json!({"all": true}))
        .await;
    assert_eq!(st, 403);
    // A member runs campaigns and writes templates, but senders are for admins.
    let (st, t) = m
        .post(
            "/templates",
            json!({"name": "By a member", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let (st, _) = m
        .post(
            "/senders",
            json!({"name": "n", "kind": "sandbox", "from_email": "a@b.example.com"}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = m.post_empty(&format!("/senders/{sid}/dkim")).await;
    assert_eq!(st, 403);
    let (st, c) = m
        .post("/campaigns", campaign_body("By a member", "MARK mailbox"))
        .await;
    assert_eq!(st, 201, "{c}");
}
