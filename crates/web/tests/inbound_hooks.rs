//! The inbound-email webhooks over HTTP on the configured backend: SendGrid events
//! (ECDSA-signed; the protocol notes' vector and a fresh key), Resend events (Svix-signed),
//! and the inbound-parse endpoint with a raw reply. Forged or unsigned requests get 401 and
//! change nothing; a provider's retry is a 200 no-op; stored events are applied by the job.

mod common;

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use prospector_app::contacts::{self, ContactInput};
use prospector_app::inbound::webhooks;
use prospector_app::outreach::campaigns::{self, EnrollInput};
use prospector_app::outreach::senders::{self, SenderInput};
use prospector_app::outreach::{dispatch, engine, spec};
use prospector_app::store::messages::{self, Message};
use prospector_app::store::{ContactId, suppressions};
use prospector_app::{App, WsCtx, testing};
use reqwest::StatusCode;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// From /work/shared/protocols/signature_vectors.json ("sendgrid-event-webhook").
const SG_VECTOR_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
const SG_VECTOR_SIG: &str = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
const SG_VECTOR_TS: &str = "1600112502";
const SG_VECTOR_BODY: &str = "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";

struct T {
    base: String,
    app: App,
    ctx: WsCtx,
    _dir: tempfile::TempDir,
}

async fn spawn() -> T {
    let (app, ctx, dir) = testing::app_with_workspace(|_| {}).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(prospector_web::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    T {
        base,
        app,
        ctx,
        _dir: dir,
    }
}

/// One sandbox message sent to `to` from a running campaign.
async fn sent(t: &T, to: &str) -> Message {
    sent_in(&t.app, &t.ctx, to).await
}

async fn sent_in(app: &App, ctx: &WsCtx, to: &str) -> Message {
    senders::create(
        app,
        ctx,
        &SenderInput {
            name: "sam".into(),
            kind: "sandbox".into(),
            from_email: "sam@agency.example".into(),
            daily_limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    contacts::create_contact(
        app,
        ctx,
        &ContactInput {
            email: Some(to.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let json = r#"{"name":"S","senders":["sam"],
        "schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"},
        "steps":[{"channel":"email","delay_days":0,"subject":"Hello","body":"Could we talk?"},
                 {"channel":"email","delay_days":2,"subject":"Re: Hello","body":"Again."}],
        "stop_on":["reply","bounce","unsubscribe"],"min_gap_seconds":0}"#;
    let id = campaigns::create(app, ctx, &spec::parse(json).unwrap())
        .await
        .unwrap()
        .campaign
        .id;
    campaigns::enroll(
        app,
        ctx,
        id,
        &EnrollInput {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    campaigns::start(app, ctx, id).await.unwrap();
    engine::tick(app, prospector_app::core::time::now_ms())
        .await
        .unwrap();
    dispatch::dispatch(app, None).await.unwrap();
    messages::list_to_address(app.db(), ctx.ws, to, 5)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.sent_at.is_some())
        .unwrap()
}

async fn run_jobs(app: &App) {
    let opts = prospector_app::jobs::WorkerOptions::from_config(app.config());
    let reg = prospector_app::jobs::Registry::standard();
    for _ in 0..50 {
        if prospector_app::jobs::run_one(app, &reg, &opts)
            .await
            .unwrap()
            .is_none()
        {
            break;
        }
    }
}

async fn webhook_rows(app: &App) -> i64 {
    prospector_app::store::inbound::count_webhook_events(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn sendgrid_events_are_verified_stored_once_and_applied() {
    let t = spawn().await;
    let c = reqwest::Client::new();
    // The documented vector: a valid signature, but from 2020 — too old to accept now.
    let ep = webhooks::set_endpoint(&t.app, &t.ctx, "sendgrid", Some(SG_VECTOR_KEY))
        .await
        .unwrap();
    let post = |path: String, sig: Option<String>, ts: Option<String>, body: String| {
        let mut rb = c.post(format!("{}{path}", t.base)).body(body);
        if let Some(s) = sig {
            rb = rb.header(webhooks::SENDGRID_SIGNATURE_HEADER, s);
        }
        if let Some(ts) = ts {
            rb = rb.header(webhooks::SENDGRID_TIMESTAMP_HEADER, ts);
        }
        rb.send()
    };
    let r = post(
        ep.path.clone(),
        Some(SG_VECTOR_SIG.into()),
        Some(SG_VECTOR_TS.into()),
        SG_VECTOR_BODY.into(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "stale timestamp");
    let r = post(ep.path.clone(), None, None, SG_VECTOR_BODY.into())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "unsigned");
    let r = post(
        format!("/hooks/sendgrid/{}", "nope"),
        Some(SG_VECTOR_SIG.into()),
        Some(SG_VECTOR_TS.into()),
        SG_VECTOR_BODY.into(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(webhook_rows(&t.app).await, 0, "nothing stored");

    // Our own key, fresh timestamps.
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    // SubjectPublicKeyInfo: the fixed P-256 prefix, then the uncompressed point.
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    spki.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    let ep = webhooks::set_endpoint(&t.app, &t.ctx, "sendgrid", Some(&B64.encode(spki)))
        .await
        .unwrap();
    let m = sent(&t, "olga@cafe.example").await;
    let body = format!(
        "[{{\"email\":\"olga@cafe.example\",\"event\":\"bounce\",\"type\":\"bounce\",\
\"status\":\"5.1.1\",\"reason\":\"550 5.1.1 user unknown\",\"sg_event_id\":\"ev-1\",\
\"sg_message_id\":\"x1.filter-1\",\"prospector_message_id\":\"{}\",\"timestamp\":{}}}]",
        m.message_id_header.clone().unwrap().replace('"', ""),
        prospector_app::core::time::now_ms() / 1000
    );
    let ts = (prospector_app::core::time::now_ms() / 1000).to_string();
    let sign = |ts: &str, body: &str| {
        let sig: Signature = key.sign(format!("{ts}{body}").as_bytes());
        B64.encode(sig.to_der().as_bytes())
    };
    // A forged body under a real signature.
    let r = post(
        ep.path.clone(),
        Some(sign(&ts, &body)),
        Some(ts.clone()),
        body.replace("bounce", "open"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(webhook_rows(&t.app).await, 0);
    for attempt in 0..2 {
        let r = post(
            ep.path.clone(),
            Some(sign(&ts, &body)),
            Some(ts.clone()),
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "attempt {attempt}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            v["result"]["stored"],
            if attempt == 0 { 1 } else { 0 },
            "{v}"
        );
    }
    assert_eq!(webhook_rows(&t.app).await, 1, "the retry was a no-op");
    run_jobs(&t.app).await;
    assert!(
        suppressions::is_suppressed(t.app.db(), t.ctx.ws, "email", "olga@cafe.example")
            .await
            .unwrap()
    );
    let got = messages::get(t.app.db(), t.ctx.ws, m.mid()).await.unwrap();
    assert!(got.bounced_at.is_some());
}

#[tokio::test]
async fn resend_events_need_a_valid_svix_signature() {
    let t = spawn().await;
    let secret = format!(
        "whsec_{}",
        B64.encode(b"a resend signing secret, 32 bytes!")
    );
    let ep = webhooks::set_endpoint(&t.app, &t.ctx, "resend", Some(&secret))
        .await
        .unwrap();
    let m = sent(&t, "liam@mail.example").await;
    let body = format!(
        "{{\"type\":\"email.complained\",\"created_at\":\"2026-12-01T10:00:00.000Z\",\
\"data\":{{\"email_id\":\"re_1\",\"to\":[\"liam@mail.example\"],\
\"headers\":[{{\"name\":\"Message-ID\",\"value\":\"{}\"}}]}}}}",
        m.message_id_header.clone().unwrap()
    );
    let v = prospector_app::inbound::webhooks::svix_verifier(&secret).unwrap();
    let ts = (prospector_app::core::time::now_ms() / 1000).to_string();
    let sig = v.sign("msg_1", &ts, body.as_bytes());
    let c = reqwest::Client::new();
    let send = |sig: Option<&str>, body: &str| {
        let mut rb = c
            .post(format!("{}{}", t.base, ep.path))
            .header("svix-id", "msg_1")
            .header("svix-timestamp", &ts)
            .body(body.to_string());
        if let Some(s) = sig {
            rb = rb.header("svix-signature", s.to_string());
        }
        rb.send()
    };
    assert_eq!(
        send(None, &body).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(Some("v1,AAAA"), &body).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(webhook_rows(&t.app).await, 0);
    assert_eq!(
        send(Some(&sig), &body).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        send(Some(&sig), &body).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(webhook_rows(&t.app).await, 1);
    run_jobs(&t.app).await;
    let list = suppressions::list(t.app.db(), t.ctx.ws, None, 10)
        .await
        .unwrap();
    assert_eq!(
        list.iter()
            .find(|s| s.value == "liam@mail.example")
            .map(|s| s.reason.as_str()),
        Some("complaint")
    );
}

#[tokio::test]
async fn the_inbound_parse_endpoint_takes_a_raw_reply() {
    let t = spawn().await;
    let ep = webhooks::set_endpoint(&t.app, &t.ctx, "inbound", None)
        .await
        .unwrap();
    let m = sent(&t, "ana@bakery.example").await;
    let raw = format!(
        "From: ana@bakery.example\r\nTo: sam@agency.example\r\nSubject: Re: Hello\r\n\
Message-ID: <hook1@bakery.example>\r\nIn-Reply-To: {}\r\n\r\nYes please, call me.\r\n",
        m.message_id_header.clone().unwrap()
    );
    let c = reqwest::Client::new();
    let bad = c
        .post(format!("{}/hooks/inbound/wrong-token", t.base))
        .header("content-type", "message/rfc822")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
    for _ in 0..2 {
        let r = c
            .post(format!("{}{}", t.base, ep.path))
            .header("content-type", "message/rfc822")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let contact = contacts::contact(&t.app, &t.ctx, ContactId(m.contact_id.unwrap()))
        .await
        .unwrap();
    assert_eq!(contact.f.lead_stage.as_deref(), Some("new"));
    let n = prospector_app::store::inbound::list_inbound(t.app.db(), t.ctx.ws, None, 10)
        .await
        .unwrap()
        .len();
    assert_eq!(n, 1, "the second post was a duplicate");
}

#[tokio::test]
async fn leads_and_conversation_pages_show_the_thread_and_send_the_answer() {
    let o = common::signed_in_owner("owner@inbound.example", "Inbound Co").await;
    let m = sent_in(&o.app, &o.ctx, "ana@bakery.example").await;
    let raw = format!(
        "From: Ana Baker <ana@bakery.example>\r\nTo: sam@agency.example\r\nSubject: Re: Hello\r\n\
Message-ID: <page1@bakery.example>\r\nIn-Reply-To: {}\r\n\r\nHappy to talk <b>soon</b>.\r\n",
        m.message_id_header.clone().unwrap()
    );
    let out = prospector_app::inbound::process_raw(
        &o.app,
        o.ctx.ws,
        prospector_app::inbound::Source::Imap,
        raw.as_bytes(),
        None,
    )
    .await
    .unwrap();
    let conv = out.conversation_id.unwrap();
    let w = format!("{}/w/{}", o.base, o.slug);
    let get = |path: String| {
        let c = o.client.clone();
        async move {
            let r = c.get(path).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (st, html) = get(format!("{w}/leads")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("ana@bakery.example"), "{html}");
    assert!(html.contains("data-source=\"outreach\""), "{html}");
    assert!(html.contains("data-stage=\"new\""));
    let (_, html) = get(format!("{w}/leads?q=nobody")).await;
    assert!(!html.contains("ana@bakery.example"));
    let (st, html) = get(format!("{w}/conversations")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!("/conversations/{conv}")), "{html}");
    let (st, html) = get(format!("{w}/conversations/{conv}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("data-direction=\"out\"") && html.contains("data-direction=\"in\""));
    assert!(
        html.contains("Happy to talk &#60;b&#62;soon&#60;/b&#62;."),
        "escaped: {html}"
    );
    let (st, _) = get(format!("{w}/conversations/999999")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // No CSRF token: refused.
    let r = o
        .client
        .post(format!("{w}/conversations/{conv}/reply"))
        .form(&[("body", "Hi")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = o
        .client
        .post(format!("{w}/conversations/{conv}/reply"))
        .form(&[("_csrf", o.csrf.as_str()), ("body", "Thursday at 10?")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    dispatch::dispatch(&o.app, None).await.unwrap();
    let sent = messages::list_to_address(o.app.db(), o.ctx.ws, "ana@bakery.example", 10)
        .await
        .unwrap();
    let answer = sent
        .iter()
        .find(|x| x.body_text.contains("Thursday at 10?"))
        .unwrap();
    assert_eq!(answer.status, "sent");
    assert_eq!(
        answer.in_reply_to.as_deref(),
        Some("<page1@bakery.example>")
    );
    let (_, html) = get(format!("{w}/conversations/{conv}")).await;
    assert!(html.contains("Thursday at 10?"));

    // The sender page sets the inbox and shows why polling fails.
    let sam = senders::by_name(&o.app, &o.ctx, "sam").await.unwrap();
    let r = o
        .client
        .post(format!("{w}/senders/{}/mailbox", sam.id))
        .form(&[
            ("_csrf", o.csrf.as_str()),
            ("imap_url", "imap://sam:secret-pw@127.0.0.1:1/INBOX"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    prospector_app::inbound::mailboxes::poll_all(&o.app)
        .await
        .unwrap();
    let (st, html) = get(format!("{w}/senders/{}", sam.id)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("data-mailbox-state=\"error\""), "{html}");
    assert!(html.contains("data-mailbox-error"));
    assert!(!html.contains("secret-pw"), "the password is never shown");
}

#[tokio::test]
async fn notifications_webhook_settings_and_the_inbound_api() {
    let o = common::signed_in_owner("owner@notify.example", "Notify Co").await;
    let m = sent_in(&o.app, &o.ctx, "ana@bakery.example").await;
    let w = format!("{}/w/{}", o.base, o.slug);
    let api = format!("{}/api/v1", o.base);
    let get = |path: String| {
        let c = o.client.clone();
        async move {
            let r = c.get(path).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let bearer = |rb: reqwest::RequestBuilder| rb.bearer_auth(&o.token);

    // The fixture's notification, read: the bell has no count.
    let r = bearer(o.client.post(format!("{api}/notifications/read-all")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (st, html) = get(format!("{w}/notifications/bell")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("data-bell") && !html.contains("data-bell-count"),
        "{html}"
    );
    let (_, html) = get(format!("{w}/dashboard")).await;
    assert!(
        html.contains("/notifications/bell"),
        "every page loads the bell"
    );

    // Settings → Webhooks: an inbound-parse endpoint made from the page...
    let r = o
        .client
        .post(format!("{w}/settings/webhooks/endpoints"))
        .form(&[("_csrf", o.csrf.as_str()), ("provider", "inbound")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let path = html
        .split("/hooks/inbound/")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .map(|t| format!("/hooks/inbound/{t}"))
        .expect("the new endpoint URL is shown");
    let r = o
        .client
        .post(format!("{w}/settings/webhooks/endpoints"))
        .form(&[
            ("_csrf", o.csrf.as_str()),
            ("provider", "sendgrid"),
            ("secret", "not a key"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a bad key is named, not a 500"
    );
    // ... and the reply webhook set over the API (the secret shown once).
    let r = bearer(o.client.put(format!("{api}/webhook")))
        .json(&serde_json::json!({"url": "not a url"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = bearer(o.client.put(format!("{api}/webhook")))
        .json(&serde_json::json!({"url": "http://127.0.0.1:9/hook", "enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set: serde_json::Value = r.json().await.unwrap();
    assert!(set["secret"].as_str().unwrap().starts_with("pwhsec_"));
    let got: serde_json::Value = bearer(o.client.get(format!("{api}/webhook")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["webhook"]["url"], "http://127.0.0.1:9/hook");
    assert!(got["webhook"].get("secret").is_none(), "{got}");
    let (st, html) = get(format!("{w}/settings/webhooks")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("http://127.0.0.1:9/hook"));
    assert!(html.contains("data-endpoint=\"inbound\""));
    assert!(
        !html.contains(set["secret"].as_str().unwrap()),
        "the secret is not shown again"
    );
    let r = bearer(o.client.post(format!("{api}/webhook/test")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let d: serde_json::Value = r.json().await.unwrap();
    let r = bearer(
        o.client
            .get(format!("{api}/webhook/deliveries/{}", d["id"])),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let eps: serde_json::Value = bearer(o.client.get(format!("{api}/inbound-endpoints")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        eps["data"][0]["url"].as_str().unwrap().ends_with(&path),
        "{eps}"
    );

    // A reply posted to the endpoint: a lead, a conversation, a notification.
    let raw = format!(
        "From: Ana <ana@bakery.example>\r\nTo: sam@agency.example\r\nSubject: Re: Hello\r\n\
Message-ID: <api1@bakery.example>\r\nIn-Reply-To: {}\r\n\r\nLet's talk.\r\n",
        m.message_id_header.clone().unwrap()
    );
    let r = o
        .client
        .post(format!("{}{path}", o.base))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, html) = get(format!("{w}/notifications/bell")).await;
    assert!(html.contains("data-bell-count>1<"), "{html}");
    // Every page carries the count itself (no request of its own at load).
    let (_, html) = get(format!("{w}/dashboard")).await;
    assert!(
        html.contains("data-bell-count>1<"),
        "the page renders the count"
    );
    let (st, html) = get(format!("{w}/notifications")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("data-read=\"false\""), "{html}");

    let leads: serde_json::Value = bearer(o.client.get(format!("{api}/leads?q=ana")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(leads["data"][0]["email"], "ana@bakery.example", "{leads}");
    let convs: serde_json::Value = bearer(o.client.get(format!("{api}/conversations")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = convs["data"][0]["id"].as_i64().unwrap();
    let thread: serde_json::Value = bearer(o.client.get(format!("{api}/conversations/{conv}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(thread["entries"].as_array().unwrap().len(), 2, "{thread}");
    let r = bearer(o.client.post(format!("{api}/conversations/{conv}/reply")))
        .json(&serde_json::json!({"body": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = bearer(o.client.post(format!("{api}/conversations/{conv}/reply")))
        .json(&serde_json::json!({"body": "Thursday?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    let notes: serde_json::Value = bearer(o.client.get(format!("{api}/notifications?unread=true")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(notes["unread"], 1, "{notes}");
    let id = notes["data"][0]["id"].as_i64().unwrap();
    assert_eq!(
        notes["data"][0]["link"],
        format!("conversations/{conv}"),
        "{notes}"
    );
    // The page's "Open" marks it read and goes to the conversation.
    let r = o
        .client
        .post(format!("{w}/notifications/{id}/read"))
        .form(&[("_csrf", o.csrf.as_str()), ("then", "open")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/w/{}/conversations/{conv}", o.slug)
    );
    let r = bearer(o.client.post(format!("{api}/notifications/{id}/read")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = bearer(o.client.post(format!("{api}/notifications/999999/read")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, html) = get(format!("{w}/notifications/bell")).await;
    assert!(!html.contains("data-bell-count"), "{html}");
    let r = bearer(o.client.delete(format!("{api}/webhook")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}
