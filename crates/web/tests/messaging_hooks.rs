//! The WhatsApp and Twilio webhooks over HTTP on the configured backend: Meta's GET
//! handshake, X-Hub-Signature-256 over the raw body, X-Twilio-Signature over the public URL,
//! TwiML answers; forged or missing signatures get 401 and store nothing, malformed bodies
//! 400, unknown tokens 404, duplicates a 200 no-op.

mod common;

use prospector_app::messaging::connections::{self, SmsInput, WhatsAppInput};
use prospector_app::messaging::hooks;
use prospector_app::store::messaging as mstore;
use prospector_app::{App, testing};
use prospector_channels::sms::twilio_signature;
use prospector_channels::whatsapp::meta_signature;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "meta-app-secret";
const AUTH: &str = "twilio-auth-token";

struct T {
    base: String,
    app: App,
    wa: String,
    sms: String,
    _dir: tempfile::TempDir,
}

async fn spawn() -> T {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let public = base.clone();
    let (app, ctx, dir) = testing::app_with_workspace(move |c| c.public_url = public)
        .await
        .unwrap();
    tokio::spawn(prospector_web::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    let wa = connections::connect_whatsapp(
        &app,
        &ctx,
        &WhatsAppInput {
            kind: Some("sandbox".into()),
            phone_number_id: "106540352242922".into(),
            waba_id: "102290129340398".into(),
            access_token: "EAAG".into(),
            app_secret: SECRET.into(),
            verify_token: "meatyhamhock".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let sms = connections::connect_sms(
        &app,
        &ctx,
        &SmsInput {
            kind: Some("sandbox".into()),
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: AUTH.into(),
            from: Some("+15005550006".into()),
            help_text: Some("Acme: reply STOP to opt out".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(wa.webhook_url.starts_with(&base));
    T {
        base,
        app,
        wa: wa.webhook_path,
        sms: sms.inbound_path,
        _dir: dir,
    }
}

fn status(wamid: &str, st: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100199", "phone_number_id": "106540352242922"},
        "statuses": [{"id": wamid, "status": st, "timestamp": "1700000000", "recipient_id": "15551230001"}]}}]}]})
    .to_string()
}

#[tokio::test]
async fn whatsapp_handshake_signatures_duplicates_and_bad_bodies() {
    let t = spawn().await;
    let c = reqwest::Client::new();
    let url = format!("{}{}", t.base, t.wa);
    let r = c
        .get(format!(
            "{url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(r.text().await.unwrap(), "1158201444");
    let r = c
        .get(format!(
            "{url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .get(format!(
            "{}/hooks/whatsapp/unknown?hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhock",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let body = status("wamid.A1", "delivered");
    let post = |body: String, sig: Option<String>| {
        let mut rb = c
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = sig {
            rb = rb.header("X-Hub-Signature-256", s);
        }
        rb.send()
    };
    let r = post(body.clone(), Some("sha256=".to_string() + &"0".repeat(64)))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post(body.clone(), None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        mstore::count_pending(t.app.db(), "whatsapp").await.unwrap(),
        0
    );
    let r = post(body.clone(), Some(meta_signature(SECRET, body.as_bytes())))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["stored"], 1);
    let r = post(body.clone(), Some(meta_signature(SECRET, body.as_bytes())))
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (
            v["result"]["stored"].clone(),
            v["result"]["duplicates"].clone()
        ),
        (json!(0), json!(1))
    );
    let junk = "{\"object\": ".to_string();
    let r = post(junk.clone(), Some(meta_signature(SECRET, junk.as_bytes())))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let other = json!({"object": "page", "entry": []}).to_string();
    let r = post(
        other.clone(),
        Some(meta_signature(SECRET, other.as_bytes())),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        mstore::count_pending(t.app.db(), "whatsapp").await.unwrap(),
        1
    );
    // Applied by the job (the wamid is not ours: recorded, not an error).
    assert_eq!(hooks::process_pending(&t.app).await.unwrap(), 1);
    assert_eq!(
        mstore::count_pending(t.app.db(), "whatsapp").await.unwrap(),
        0
    );
}

#[tokio::test]
async fn twilio_inbound_is_signed_over_the_public_url_and_answers_twiml() {
    let t = spawn().await;
    let c = reqwest::Client::new();
    let url = format!("{}{}", t.base, t.sms);
    let params = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("From", "+15551230001"),
        ("To", "+15005550006"),
        ("Body", "HELP"),
    ];
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let send = |sig: &str| {
        c.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", sig)
            .body(form.clone())
            .send()
    };
    let r = send("0/KCTR6DLpKmkAf8muzZqo1nDgQ=").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        mstore::count_pending(t.app.db(), "twilio").await.unwrap(),
        0
    );
    let sig = twilio_signature(AUTH, &url, &params);
    let r = send(&sig).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/xml");
    let twiml = r.text().await.unwrap();
    assert!(
        twiml.contains("<Message>Acme: reply STOP to opt out</Message>"),
        "{twiml}"
    );
    // A status callback without MessageSid is a 400 once signed.
    let status_url = url.replace("/inbound", "/status");
    let bad = [("MessageStatus", "delivered")];
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(bad)
        .finish();
    let r = c
        .post(&status_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "X-Twilio-Signature",
            twilio_signature(AUTH, &status_url, &bad),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_messaging_page_connects_creates_templates_and_broadcasts() {
    let o = common::signed_in_owner("page@example.com", "Page Co").await;
    let page = |q: &str| {
        let url = format!("{}/w/{}/messaging{q}", o.base, o.slug);
        let c = o.client.clone();
        async move { c.get(url).send().await.unwrap() }
    };
    let r = page("").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-nav=\"messaging\""), "nav entry");
    assert!(
        html.contains("data-webhook-url"),
        "the seeded sandbox number is shown"
    );
    assert!(html.contains("data-template=\"mark_offer\""));
    assert!(
        html.contains("MARK offer for Alex"),
        "phone preview with the example"
    );
    // Submit a template through the editor (the sandbox keeps it PENDING).
    let r = o
        .client
        .post(format!("{}/w/{}/messaging/templates", o.base, o.slug))
        .form(&[
            ("_csrf", o.csrf.as_str()),
            ("name", "welcome_back"),
            ("language", "en_US"),
            ("category", "utility"),
            ("body", "Welcome back {{1}}!"),
            ("examples", "Alex"),
            ("buttons", "Book now"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let html = page("?status=PENDING").await.text().await.unwrap();
    assert!(html.contains("data-template=\"welcome_back\""), "{html}");
    assert!(
        !html.contains("data-template=\"mark_offer\""),
        "status filter"
    );
    assert!(html.contains("Book now"));
    // A bad template name comes back as an error notice, not a 500.
    let r = o
        .client
        .post(format!("{}/w/{}/messaging/templates", o.base, o.slug))
        .form(&[
            ("_csrf", o.csrf.as_str()),
            ("name", "Bad Name"),
            ("language", "en_US"),
            ("category", "utility"),
            ("body", "Hi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().contains("error="));
    // The CSV export answers.
    let r = page("/log.csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().starts_with("id,channel,to"));
}
