//! WhatsApp and SMS end to end on the configured backend, against loopback stand-ins of the
//! Graph API and of Twilio that check every request against the documented shape (path,
//! bearer token or basic auth, JSON or form body) and answer like the providers; webhooks
//! are signed the way Meta and Twilio sign them and go through the same receive → store →
//! apply path as in production.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prospector_app::contacts::{self, ContactInput};
use prospector_app::messaging::broadcasts::{self, Audience, BroadcastInput};
use prospector_app::messaging::connections::{self, SmsInput, WhatsAppInput};
use prospector_app::messaging::send::{self, SmsSendInput, TemplateSendInput, TextSendInput};
use prospector_app::messaging::templates::{self, TemplateInput};
use prospector_app::messaging::{costs, dispatch, hooks, quiet_hours};
use prospector_app::outreach::campaigns::{self, EnrollInput};
use prospector_app::outreach::senders::{self, SenderInput};
use prospector_app::outreach::spec;
use prospector_app::store::messaging as mstore;
use prospector_app::store::{ContactId, conversations, enrollments, suppressions};
use prospector_app::{App, AppError, WsCtx, testing};
use prospector_channels::sms::twilio_signature;
use prospector_channels::whatsapp::meta_signature;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "EAAGtesttoken";
const APP_SECRET: &str = "meta-app-secret";
const PNID: &str = "106540352242922";
const WABA: &str = "102290129340398";
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH: &str = "twilio-auth-token";
const PUBLIC: &str = "https://prospector.example";

/// What a stand-in saw: method, path, query, body (JSON or form as JSON object).
#[derive(Debug, Clone)]
#[allow(dead_code)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    body: Value,
}

#[derive(Default)]
struct StandIn {
    seen: Vec<Seen>,
    /// Requests that broke the documented shape (the test fails on any).
    violations: Vec<String>,
    templates: Vec<Value>,
    open_windows: HashSet<String>,
    next: u64,
}

type Shared = Arc<Mutex<StandIn>>;

fn graph_error(status: u16, code: i64, msg: &str) -> Response {
    let body = json!({"error": {"message": msg, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": msg},
        "fbtrace_id": "AbCdEf"}});
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok_json(status: u16, v: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// The Graph API: `/v23.0/{phone-number-id}`, `/{phone-number-id}/messages`,
/// `/{waba-id}/message_templates`.
async fn graph(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut st = s.lock().unwrap();
    st.seen.push(Seen {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        body: json_body.clone(),
    });
    if auth != format!("Bearer {TOKEN}") {
        return graph_error(401, 190, "Invalid OAuth access token.");
    }
    let messages = format!("/v23.0/{PNID}/messages");
    let number = format!("/v23.0/{PNID}");
    let tpl = format!("/v23.0/{WABA}/message_templates");
    match (method.as_str(), path.as_str()) {
        ("GET", p) if p == number => {
            if !query.contains("quality_rating") || !query.contains("messaging_limit_tier") {
                st.violations
                    .push(format!("phone number fields missing: {query}"));
            }
            ok_json(
                200,
                json!({"id": PNID, "display_phone_number": "+1 555-010-0199",
                    "verified_name": "Acme Bakery", "quality_rating": "GREEN",
                    "messaging_limit_tier": "TIER_1K", "throughput": {"level": "STANDARD"}}),
            )
        }
        ("POST", p) if p == messages => {
            let b = &json_body;
            if b["messaging_product"] != "whatsapp" {
                st.violations
                    .push(format!("messaging_product missing: {b}"));
            }
            let to = b["to"].as_str().unwrap_or_default().to_string();
            if to.is_empty() || !to.bytes().all(|c| c.is_ascii_digit()) {
                st.violations.push(format!("to is not digits: {b}"));
            }
            match b["type"].as_str() {
                Some("template") => {
                    let name = b["template"]["name"].as_str().unwrap_or_default();
                    let lang = b["template"]["language"]["code"]
                        .as_str()
                        .unwrap_or_default();
                    let known = st
                        .templates
                        .iter()
                        .find(|t| t["name"] == name && t["language"] == lang)
                        .cloned();
                    let Some(t) = known else {
                        return graph_error(
                            404,
                            132001,
                            "Template name does not exist in the translation",
                        );
                    };
                    if t["status"] != "APPROVED" {
                        return graph_error(400, 132015, "Template is paused");
                    }
                }
                Some("text") => {
                    if b["text"]["body"].as_str().is_none_or(str::is_empty) {
                        st.violations.push(format!("text without body: {b}"));
                    }
                    if !st.open_windows.contains(&to) {
                        return graph_error(400, 131047, "(#131047) Re-engagement message");
                    }
                }
                other => st.violations.push(format!("unexpected type {other:?}")),
            }
            if b["biz_opaque_callback_data"].as_str().is_none() {
                st.violations
                    .push(format!("no biz_opaque_callback_data: {b}"));
            }
            st.next += 1;
            let wamid = format!("wamid.HBgLTEST{:04}", st.next);
            ok_json(
                200,
                json!({"messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": wamid, "message_status": "accepted"}]}),
            )
        }
        ("GET", p) if p == tpl => {
            let name = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.into_owned());
            let data: Vec<Value> = st
                .templates
                .iter()
                .filter(|t| name.as_deref().is_none_or(|n| t["name"] == n))
                .cloned()
                .collect();
            ok_json(
                200,
                json!({"data": data, "paging": {"cursors": {"before": "a", "after": "b"}}}),
            )
        }
        ("POST", p) if p == tpl => {
            let b = &json_body;
            for k in ["name", "language", "category", "components"] {
                if b.get(k).is_none() {
                    st.violations
                        .push(format!("template create without {k}: {b}"));
                }
            }
            st.next += 1;
            let id = format!("{}", 900_000 + st.next);
            let mut t = b.clone();
            t["id"] = json!(id);
            t["status"] = json!("PENDING");
            let category = b["category"].clone();
            st.templates.push(t);
            ok_json(
                200,
                json!({"id": id, "status": "PENDING", "category": category}),
            )
        }
        ("DELETE", p) if p == tpl => {
            let name = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            st.templates.retain(|t| t["name"] != name.as_str());
            ok_json(200, json!({"success": true}))
        }
        _ => {
            st.violations.push(format!("unexpected {method} {path}"));
            graph_error(404, 100, "Unsupported request")
        }
    }
}

/// Twilio: `POST /2010-04-01/Accounts/{sid}/Messages.json` (basic auth, form) and the
/// account lookup.
async fn twilio(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    use base64::Engine;
    let path = uri.path().to_string();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let obj: serde_json::Map<String, Value> =
        form.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let mut st = s.lock().unwrap();
    st.seen.push(Seen {
        method: method.clone(),
        path: path.clone(),
        query: String::new(),
        body: Value::Object(obj.clone()),
    });
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return ok_json(
            401,
            json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}),
        );
    }
    if method == Method::GET && path == format!("/2010-04-01/Accounts/{SID}.json") {
        return ok_json(
            200,
            json!({"sid": SID, "friendly_name": "Acme", "status": "active", "type": "Full"}),
        );
    }
    if method != Method::POST || path != format!("/2010-04-01/Accounts/{SID}/Messages.json") {
        st.violations.push(format!("unexpected {method} {path}"));
        return ok_json(
            404,
            json!({"code": 20404, "message": "not found", "status": 404}),
        );
    }
    for k in ["To", "From", "Body", "StatusCallback"] {
        if !obj.contains_key(k) {
            st.violations.push(format!("SMS form without {k}: {obj:?}"));
        }
    }
    st.next += 1;
    let sid = format!("SM{:032x}", st.next);
    ok_json(
        201,
        json!({"sid": sid, "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "error_code": null, "price": null, "date_created": "Tue, 01 Dec 2026 10:00:00 +0000"}),
    )
}

async fn start(
    handler: fn(
        State<Shared>,
        Method,
        Uri,
        HeaderMap,
        Bytes,
    ) -> futures::future::BoxFuture<'static, Response>,
) -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .fallback(
            move |s: State<Shared>, m: Method, u: Uri, h: HeaderMap, b: Bytes| {
                handler(s, m, u, h, b)
            },
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), shared)
}

fn graph_boxed(
    s: State<Shared>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> futures::future::BoxFuture<'static, Response> {
    Box::pin(graph(s, m, u, h, b))
}

fn twilio_boxed(
    s: State<Shared>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> futures::future::BoxFuture<'static, Response> {
    Box::pin(twilio(s, m, u, h, b))
}

struct T {
    app: App,
    ctx: WsCtx,
    _dir: tempfile::TempDir,
    graph: Shared,
    twilio: Shared,
    wa_token: String,
    sms_token: String,
}

impl T {
    fn sends(&self) -> Vec<Seen> {
        self.graph
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.path.ends_with("/messages"))
            .cloned()
            .collect()
    }

    fn violations(&self) -> Vec<String> {
        let mut v = self.graph.lock().unwrap().violations.clone();
        v.extend(self.twilio.lock().unwrap().violations.clone());
        v
    }

    async fn webhook(&self, body: &str) -> hooks::Receipt {
        let sig = meta_signature(APP_SECRET, body.as_bytes());
        hooks::receive_whatsapp(&self.app, &self.wa_token, Some(&sig), body.as_bytes())
            .await
            .unwrap()
    }

    async fn twilio_hook(&self, kind: &str, params: &[(&str, &str)]) -> (hooks::Receipt, String) {
        let path = format!("/hooks/twilio/{}/{kind}", self.sms_token);
        let sig = twilio_signature(AUTH, &format!("{PUBLIC}{path}"), params);
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            f.append_pair(k, v);
        }
        let body = f.finish();
        let hook = if kind == "status" {
            hooks::TwilioHook::Status
        } else {
            hooks::TwilioHook::Inbound
        };
        hooks::receive_twilio(
            &self.app,
            &self.sms_token,
            hook,
            &path,
            Some(&sig),
            false,
            body.as_bytes(),
        )
        .await
        .unwrap()
    }

    /// Meta approves a template (status webhook).
    async fn approve(&self, name: &str) {
        let id = {
            let mut st = self.graph.lock().unwrap();
            let t = st.templates.iter_mut().find(|t| t["name"] == name).unwrap();
            t["status"] = json!("APPROVED");
            t["id"].as_str().unwrap().to_string()
        };
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "time": 1700000000,
            "changes": [{"field": "message_template_status_update", "value": {
                "event": "APPROVED", "message_template_id": id.parse::<i64>().unwrap(),
                "message_template_name": name, "message_template_language": "en_US",
                "reason": "NONE", "message_template_category": "MARKETING"}}]}]})
        .to_string();
        assert_eq!(self.webhook(&body).await.stored, 1);
        hooks::process_pending(&self.app).await.unwrap();
    }
}

fn status_body(
    wamid: &str,
    recipient: &str,
    status: &str,
    ts: i64,
    callback: Option<&str>,
) -> String {
    let mut s = json!({"id": wamid, "status": status, "timestamp": ts.to_string(),
        "recipient_id": recipient});
    if let Some(c) = callback {
        s["biz_opaque_callback_data"] = json!(c);
    }
    if status == "failed" {
        s["errors"] = json!([{"code": 131026, "title": "Message undeliverable",
            "message": "Message undeliverable", "error_data": {"details": "unreachable"}}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100199", "phone_number_id": PNID},
            "statuses": [s]}}]}]})
    .to_string()
}

fn inbound_body(from: &str, wamid: &str, ts: i64, message: Value) -> String {
    let mut m = message;
    m["from"] = json!(from);
    m["id"] = json!(wamid);
    m["timestamp"] = json!(ts.to_string());
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100199", "phone_number_id": PNID},
            "contacts": [{"profile": {"name": "Kim"}, "wa_id": from}],
            "messages": [m]}}]}]})
    .to_string()
}

async fn setup() -> T {
    let (app, ctx, dir) = testing::app_with_workspace(|c| c.public_url = PUBLIC.into())
        .await
        .unwrap();
    let (graph_url, graph) = start(graph_boxed).await;
    let (twilio_url, twilio) = start(twilio_boxed).await;
    let wa = connections::connect_whatsapp(
        &app,
        &ctx,
        &WhatsAppInput {
            phone_number_id: PNID.into(),
            waba_id: WABA.into(),
            access_token: TOKEN.into(),
            app_secret: APP_SECRET.into(),
            verify_token: "meatyhamhock".into(),
            api_base: Some(graph_url),
            api_version: Some("v23.0".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let sms = connections::connect_sms(
        &app,
        &ctx,
        &SmsInput {
            account_sid: SID.into(),
            auth_token: AUTH.into(),
            from: Some("+15005550006".into()),
            api_base: Some(twilio_url),
            help_text: Some("Acme Bakery: reply STOP to opt out.".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    T {
        wa_token: wa
            .webhook_path
            .trim_start_matches("/hooks/whatsapp/")
            .to_string(),
        sms_token: sms
            .status_callback_path
            .trim_start_matches("/hooks/twilio/")
            .trim_end_matches("/status")
            .to_string(),
        app,
        ctx,
        _dir: dir,
        graph,
        twilio,
    }
}

async fn contact(t: &T, name: &str, number: &str) -> i64 {
    contacts::create_contact(
        &t.app,
        &t.ctx,
        &ContactInput {
            first_name: Some(name.into()),
            whatsapp: Some(number.into()),
            phone: Some(number.into()),
            email: Some(format!("{}@example.com", name.to_lowercase())),
            tags: Some(vec!["vip".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn approved_template(t: &T, name: &str) {
    let out = templates::create(
        &t.app,
        &t.ctx,
        &TemplateInput {
            name: name.into(),
            language: "en_US".into(),
            category: "marketing".into(),
            body: "Hi {{1}}, your table at {{2}} is ready.".into(),
            body_examples: vec!["Alex".into(), "Acme".into()],
            footer: Some("Reply STOP to opt out".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "PENDING");
    assert!(!out.sendable);
    t.approve(name).await;
    let list = templates::list(&t.app, &t.ctx, Some(name), Some("approved"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "approval arrived by webhook");
    assert!(list[0].sendable);
}

#[tokio::test]
async fn connect_test_template_approval_send_statuses_and_costs() {
    let t = setup().await;
    let test = connections::test_whatsapp(&t.app, &t.ctx).await.unwrap();
    assert!(test.ok, "{}", test.summary);
    assert_eq!(test.quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(test.daily_limit, Some(1000));
    assert!(test.summary.contains("Acme Bakery"));
    // Sending a template before approval is refused with its status.
    templates::create(
        &t.app,
        &t.ctx,
        &TemplateInput {
            name: "pending_one".into(),
            language: "en_US".into(),
            category: "utility".into(),
            body: "Hello".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let err = send::queue_template(
        &t.app,
        &t.ctx,
        &TemplateSendInput {
            to: Some("+15551230001".into()),
            template: "pending_one".into(),
            language: "en_US".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("PENDING"), "{err}");
    approved_template(&t, "table_ready").await;
    let kim = contact(&t, "Kim", "+15551230001").await;
    // A parameter count mismatch is a precise 4xx.
    let err = send::queue_template(
        &t.app,
        &t.ctx,
        &TemplateSendInput {
            contact_id: Some(kim),
            template: "table_ready".into(),
            language: "en_US".into(),
            params: vec!["field:first_name".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }), "{err}");
    let out = send::send_template_now(
        &t.app,
        &t.ctx,
        &TemplateSendInput {
            contact_id: Some(kim),
            template: "table_ready".into(),
            language: "en_US".into(),
            params: vec!["field:first_name".into(), "Luigi's".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    let wamid = out.provider_id.clone().unwrap();
    assert!(wamid.starts_with("wamid."));
    let sends = t.sends();
    assert_eq!(sends.len(), 1);
    let body = &sends[0].body;
    assert_eq!(body["to"], "15551230001");
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], "table_ready");
    assert_eq!(body["template"]["language"]["code"], "en_US");
    assert_eq!(
        body["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "Kim"}, {"type": "text", "text": "Luigi's"}])
    );
    assert_eq!(body["biz_opaque_callback_data"], out.id.to_string());
    // Cost: US marketing from the seeded rate card, on the message and in the ledger.
    assert_eq!(out.cost_minor, Some(3));
    assert_eq!(out.currency.as_deref(), Some("USD"));
    let c = costs::costs(&t.app, &t.ctx, None, 50).await.unwrap();
    assert_eq!(c.entries.len(), 1);
    assert_eq!(c.entries[0].amount_minor, 3);
    assert_eq!(c.totals[0].amount_minor, 3);
    // Statuses out of order: read before delivered keeps read; duplicates are no-ops.
    let id = out.id.to_string();
    let read = status_body(&wamid, "15551230001", "read", 1_700_000_200, Some(&id));
    assert_eq!(t.webhook(&read).await.stored, 1);
    let again = t.webhook(&read).await;
    assert_eq!((again.stored, again.duplicates), (0, 1));
    let delivered = status_body(&wamid, "15551230001", "delivered", 1_700_000_100, Some(&id));
    assert_eq!(t.webhook(&delivered).await.stored, 1);
    assert_eq!(hooks::process_pending(&t.app).await.unwrap(), 2);
    let m = send::get(&t.app, &t.ctx, out.id).await.unwrap();
    assert_eq!(m.provider_status.as_deref(), Some("read"));
    assert!(m.delivered_at.is_some() && m.read_at.is_some());
    // Replaying everything applies nothing more.
    t.webhook(&read).await;
    t.webhook(&delivered).await;
    assert_eq!(hooks::process_pending(&t.app).await.unwrap(), 0);
    // The message log shows it with its template, status and cost; CSV too.
    let log = costs::log(&t.app, &t.ctx, &Default::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].template_name.as_deref(), Some("table_ready"));
    let csv = costs::log_csv(&t.app, &t.ctx, &Default::default(), 100)
        .await
        .unwrap();
    assert!(csv.lines().nth(1).unwrap().contains("table_ready"), "{csv}");
    assert!(t.violations().is_empty(), "{:?}", t.violations());
}

#[tokio::test]
async fn hostile_webhooks_change_nothing() {
    let t = setup().await;
    let body = status_body("wamid.X", "15551230001", "delivered", 1, None);
    let forged = hooks::receive_whatsapp(&t.app, &t.wa_token, Some("sha256=00"), body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(forged, AppError::Unauthorized(_)), "{forged}");
    let wrong = meta_signature("not-the-secret", body.as_bytes());
    let forged = hooks::receive_whatsapp(&t.app, &t.wa_token, Some(&wrong), body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(forged, AppError::Unauthorized(_)));
    let missing = hooks::receive_whatsapp(&t.app, &t.wa_token, None, body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(missing, AppError::Unauthorized(_)));
    let junk = b"{not json";
    let sig = meta_signature(APP_SECRET, junk);
    let bad = hooks::receive_whatsapp(&t.app, &t.wa_token, Some(&sig), junk)
        .await
        .unwrap_err();
    assert!(matches!(bad, AppError::BadRequest(_)), "{bad}");
    let unknown = hooks::receive_whatsapp(&t.app, "nope", Some(&sig), junk)
        .await
        .unwrap_err();
    assert!(matches!(unknown, AppError::NotFound));
    // Twilio: a forged signature is refused.
    let path = format!("/hooks/twilio/{}/inbound", t.sms_token);
    let forged = hooks::receive_twilio(
        &t.app,
        &t.sms_token,
        hooks::TwilioHook::Inbound,
        &path,
        Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
        false,
        b"From=%2B15551230001&Body=STOP&MessageSid=SM1",
    )
    .await
    .unwrap_err();
    assert!(matches!(forged, AppError::Unauthorized(_)));
    assert_eq!(
        mstore::count_pending(t.app.db(), "whatsapp").await.unwrap(),
        0
    );
    assert_eq!(
        mstore::count_pending(t.app.db(), "twilio").await.unwrap(),
        0
    );
    assert_eq!(hooks::process_pending(&t.app).await.unwrap(), 0);
    // The handshake answers the challenge only with the right verify token.
    let ok = hooks::handshake(
        &t.app,
        &t.wa_token,
        Some("subscribe"),
        Some("meatyhamhock"),
        Some("1158201444"),
    )
    .await
    .unwrap();
    assert_eq!(ok, "1158201444");
    let no = hooks::handshake(
        &t.app,
        &t.wa_token,
        Some("subscribe"),
        Some("wrong"),
        Some("1"),
    )
    .await
    .unwrap_err();
    assert!(matches!(no, AppError::Forbidden(_)));
}

#[tokio::test]
async fn free_text_needs_the_window_and_replies_make_leads_and_stop_sequences() {
    let t = setup().await;
    approved_template(&t, "follow_up").await;
    let kim = contact(&t, "Kim", "+15551230001").await;
    // An email campaign with Kim enrolled (stop on reply).
    senders::create(
        &t.app,
        &t.ctx,
        &SenderInput {
            name: "sam".into(),
            kind: "sandbox".into(),
            from_email: "sam@agency.example".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let camp = campaigns::create(
        &t.app,
        &t.ctx,
        &spec::parse(
            &json!({"name": "Spring", "senders": ["sam"],
                "steps": [{"subject": "Hi", "body": "Hello"}, {"delay_days": 2, "subject": "Again", "body": "Hi again"}]})
            .to_string(),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    campaigns::enroll(
        &t.app,
        &t.ctx,
        camp.campaign.id,
        &EnrollInput {
            contact_ids: vec![kim],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    campaigns::start(&t.app, &t.ctx, camp.campaign.id)
        .await
        .unwrap();
    // Outside the window, without fallback: skipped with the reason, never sent.
    let out = send::send_text_now(
        &t.app,
        &t.ctx,
        &TextSendInput {
            contact_id: Some(kim),
            body: "Are you free tomorrow?".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "cancelled", "{out:?}");
    assert!(
        out.error.as_deref().unwrap().contains("24-hour window"),
        "{out:?}"
    );
    assert!(
        t.sends().is_empty(),
        "a free-form message outside the window reached the stand-in"
    );
    // With a fallback template: the template goes instead.
    let out = send::send_text_now(
        &t.app,
        &t.ctx,
        &TextSendInput {
            contact_id: Some(kim),
            body: "Are you free tomorrow?".into(),
            fallback_template: Some("follow_up".into()),
            fallback_language: Some("en_US".into()),
            fallback_params: vec!["field:first_name".into(), "literal:Acme".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert_eq!(out.kind.as_deref(), Some("template"));
    assert_eq!(t.sends()[0].body["type"], "template");
    // Kim answers (a button reply to the template): the window opens, it is a reply.
    t.graph
        .lock()
        .unwrap()
        .open_windows
        .insert("15551230001".into());
    let now_s = prospector_app::core::time::now_ms() / 1000;
    let wamid = out.provider_id.clone().unwrap();
    let mut msg = json!({"type": "button", "button": {"payload": "YES", "text": "Yes please"},
        "context": {"from": "15550100199", "id": wamid}});
    let body = inbound_body("15551230001", "wamid.IN1", now_s, msg.take());
    assert_eq!(t.webhook(&body).await.stored, 1);
    assert_eq!(hooks::process_pending(&t.app).await.unwrap(), 1);
    let c = prospector_app::store::contacts::get(t.app.db(), t.ctx.ws, ContactId(kim))
        .await
        .unwrap();
    assert_eq!(
        c.f.lead_stage.as_deref(),
        Some("new"),
        "the reply made Kim a lead"
    );
    let e = enrollments::of_contact(t.app.db(), t.ctx.ws, ContactId(kim))
        .await
        .unwrap();
    assert_eq!(e[0].state, "stopped", "the reply stopped the sequence");
    let conv = conversations::of_contact(t.app.db(), t.ctx.ws, ContactId(kim), "whatsapp")
        .await
        .unwrap()
        .expect("a WhatsApp conversation");
    let entries = conversations::entries(t.app.db(), t.ctx.ws, conv.id, 50)
        .await
        .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let inbound: Vec<_> = entries.iter().filter(|e| e.direction == "in").collect();
    assert_eq!(inbound[0].body_text, "Yes please");
    let ours = entries.iter().find(|e| e.direction == "out").unwrap();
    assert!(
        ours.body_text.starts_with("Hi Kim, your table at Acme"),
        "{ours:?}"
    );
    let replied = send::get(&t.app, &t.ctx, out.id).await.unwrap();
    assert!(
        prospector_app::store::messages::get(
            t.app.db(),
            t.ctx.ws,
            prospector_app::store::MessageId(replied.id)
        )
        .await
        .unwrap()
        .replied_at
        .is_some()
    );
    // Inside the window now: free text goes out as text.
    let out = send::send_text_now(
        &t.app,
        &t.ctx,
        &TextSendInput {
            contact_id: Some(kim),
            body: "Great, see you at 8!".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert_eq!(
        out.cost_minor,
        Some(0),
        "service messages in the window are free"
    );
    let last = t.sends().pop().unwrap();
    assert_eq!(last.body["type"], "text");
    assert_eq!(last.body["text"]["body"], "Great, see you at 8!");
    // Every inbound type is read: a location from an unknown number makes a new lead.
    let loc = inbound_body(
        "4915112345678",
        "wamid.IN2",
        now_s,
        json!({"type": "location", "location": {"latitude": 52.52, "longitude": 13.405, "name": "Office"},
            "referral": {"source_url": "https://fb.me/ad", "source_id": "123", "source_type": "ad",
                "headline": "Fresh bread", "ctwa_clid": "abc"}}),
    );
    t.webhook(&loc).await;
    hooks::process_pending(&t.app).await.unwrap();
    let id = mstore::contact_by_phone(t.app.db(), t.ctx.ws, "+4915112345678")
        .await
        .unwrap()
        .expect("contact created");
    let c = prospector_app::store::contacts::get(t.app.db(), t.ctx.ws, ContactId(id))
        .await
        .unwrap();
    assert_eq!(c.f.lead_source.as_deref(), Some("whatsapp_ad"));
    assert_eq!(c.f.full_name.as_deref(), Some("Kim"));
    // Marketing opt-out: suppressed, further sends refused; resume lifts it.
    let stop = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
        "field": "user_preferences", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100199", "phone_number_id": PNID},
        "contacts": [{"wa_id": "15551230001"}],
        "user_preferences": [{"wa_id": "15551230001", "detail": "User requested to stop marketing messages",
            "category": "marketing_messages", "value": "stop", "timestamp": now_s}]}}]}]})
    .to_string();
    t.webhook(&stop).await;
    hooks::process_pending(&t.app).await.unwrap();
    assert!(
        suppressions::is_suppressed(t.app.db(), t.ctx.ws, "phone", "+15551230001")
            .await
            .unwrap()
    );
    let err = send::queue_template(
        &t.app,
        &t.ctx,
        &TemplateSendInput {
            contact_id: Some(kim),
            template: "follow_up".into(),
            language: "en_US".into(),
            params: vec!["a".into(), "b".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("consent") || err.to_string().contains("suppressed"),
        "{err}"
    );
    let resume = stop.replace("\"stop\"", "\"resume\"");
    t.webhook(&resume).await;
    hooks::process_pending(&t.app).await.unwrap();
    assert!(
        !suppressions::is_suppressed(t.app.db(), t.ctx.ws, "phone", "+15551230001")
            .await
            .unwrap()
    );
    assert!(t.violations().is_empty(), "{:?}", t.violations());
}

#[tokio::test]
async fn sms_send_status_stop_start_help() {
    let t = setup().await;
    let test = connections::test_sms(&t.app, &t.ctx).await.unwrap();
    assert!(test.ok, "{}", test.summary);
    let ana = contact(&t, "Ana", "+15551239999").await;
    let out = send::send_sms_now(
        &t.app,
        &t.ctx,
        &SmsSendInput {
            contact_id: Some(ana),
            body: "Your table is ready 🍝".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert_eq!(out.cost_minor, Some(1));
    let seen = t.twilio.lock().unwrap().seen.clone();
    let form = &seen.last().unwrap().body;
    assert_eq!(form["To"], "+15551239999");
    assert_eq!(form["From"], "+15005550006");
    assert_eq!(
        form["StatusCallback"],
        format!("{PUBLIC}/hooks/twilio/{}/status", t.sms_token)
    );
    let sid = out.provider_id.clone().unwrap();
    // Status callbacks, out of order and repeated.
    t.twilio_hook(
        "status",
        &[
            ("MessageSid", &sid),
            ("MessageStatus", "delivered"),
            ("AccountSid", SID),
        ],
    )
    .await;
    t.twilio_hook(
        "status",
        &[
            ("MessageSid", &sid),
            ("MessageStatus", "sent"),
            ("AccountSid", SID),
        ],
    )
    .await;
    let (dup, _) = t
        .twilio_hook(
            "status",
            &[
                ("MessageSid", &sid),
                ("MessageStatus", "sent"),
                ("AccountSid", SID),
            ],
        )
        .await;
    assert_eq!(dup.duplicates, 1);
    hooks::process_pending(&t.app).await.unwrap();
    let m = send::get(&t.app, &t.ctx, out.id).await.unwrap();
    assert_eq!(m.provider_status.as_deref(), Some("delivered"));
    assert_eq!(m.segments, Some(1));
    // HELP answers with the help text; STOP suppresses; START lifts.
    let (_, twiml) = t
        .twilio_hook(
            "inbound",
            &[
                ("MessageSid", "SMin1"),
                ("From", "+15551239999"),
                ("To", "+15005550006"),
                ("Body", "help"),
            ],
        )
        .await;
    assert!(twiml.contains("reply STOP"), "{twiml}");
    t.twilio_hook(
        "inbound",
        &[
            ("MessageSid", "SMin2"),
            ("From", "+15551239999"),
            ("To", "+15005550006"),
            ("Body", "Stop."),
        ],
    )
    .await;
    hooks::process_pending(&t.app).await.unwrap();
    assert!(
        suppressions::is_suppressed(t.app.db(), t.ctx.ws, "phone", "+15551239999")
            .await
            .unwrap()
    );
    let c = prospector_app::store::contacts::get(t.app.db(), t.ctx.ws, ContactId(ana))
        .await
        .unwrap();
    assert_eq!(c.f.consent_sms, "opted_out");
    let err = send::queue_sms(
        &t.app,
        &t.ctx,
        &SmsSendInput {
            contact_id: Some(ana),
            body: "hello?".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }), "{err}");
    t.twilio_hook(
        "inbound",
        &[
            ("MessageSid", "SMin3"),
            ("From", "+15551239999"),
            ("To", "+15005550006"),
            ("Body", "START"),
        ],
    )
    .await;
    hooks::process_pending(&t.app).await.unwrap();
    assert!(
        !suppressions::is_suppressed(t.app.db(), t.ctx.ws, "phone", "+15551239999")
            .await
            .unwrap()
    );
    // An ordinary SMS answer is a reply: lead + conversation.
    t.twilio_hook(
        "inbound",
        &[
            ("MessageSid", "SMin4"),
            ("From", "+15551239999"),
            ("To", "+15005550006"),
            ("Body", "Yes, 8pm works"),
        ],
    )
    .await;
    hooks::process_pending(&t.app).await.unwrap();
    let c = prospector_app::store::contacts::get(t.app.db(), t.ctx.ws, ContactId(ana))
        .await
        .unwrap();
    assert_eq!(c.f.lead_stage.as_deref(), Some("new"));
    assert!(
        conversations::of_contact(t.app.db(), t.ctx.ws, ContactId(ana), "sms")
            .await
            .unwrap()
            .is_some()
    );
    assert!(t.violations().is_empty(), "{:?}", t.violations());
}

#[tokio::test]
async fn broadcast_sends_an_approved_template_to_an_audience() {
    let t = setup().await;
    approved_template(&t, "spring_offer").await;
    // Quiet hours (on by default) would hold the messages back at night in New York.
    quiet_hours::update(
        &t.app,
        &t.ctx,
        quiet_hours::QuietHours {
            enabled: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    contact(&t, "Kim", "+15551230001").await;
    contact(&t, "Lee", "+15551230002").await;
    // No number: skipped.
    contacts::create_contact(
        &t.app,
        &t.ctx,
        &ContactInput {
            first_name: Some("Nobody".into()),
            email: Some("nobody@example.com".into()),
            tags: Some(vec!["vip".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let tpl = templates::list(&t.app, &t.ctx, Some("spring_offer"), None)
        .await
        .unwrap();
    let b = broadcasts::create(
        &t.app,
        &t.ctx,
        &BroadcastInput {
            name: "Spring".into(),
            template_id: tpl[0].id,
            params: vec!["field:first_name".into(), "Acme".into()],
            audience: Audience {
                tag: Some("vip".into()),
                ..Default::default()
            },
            scheduled_at: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(b.state, "scheduled");
    let due = mstore::due_broadcasts(t.app.db(), i64::MAX, 10)
        .await
        .unwrap();
    let (queued, skipped) = broadcasts::run(&t.app, &due[0]).await.unwrap();
    assert_eq!((queued, skipped), (2, 1));
    dispatch::dispatch(&t.app).await.unwrap();
    let b = broadcasts::get(&t.app, &t.ctx, b.id).await.unwrap();
    assert_eq!(
        (b.sent, b.waiting, b.skipped, b.state.as_str()),
        (2, 0, 1, "done"),
        "{b:?}"
    );
    let names: Vec<String> = t
        .sends()
        .iter()
        .map(|s| {
            s.body["template"]["components"][0]["parameters"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Kim".to_string()) && names.contains(&"Lee".to_string()));
    assert!(t.violations().is_empty(), "{:?}", t.violations());
}

#[tokio::test]
async fn the_demo_sandboxes_send_without_any_network() {
    let (app, ctx, _dir) = testing::app_with_workspace(|c| c.public_url = PUBLIC.into())
        .await
        .unwrap();
    prospector_app::messaging::seed_demo(&app, &ctx)
        .await
        .unwrap();
    prospector_app::messaging::seed_demo(&app, &ctx)
        .await
        .unwrap();
    let out = send::send_template_now(
        &app,
        &ctx,
        &TemplateSendInput {
            to: Some("+15551230001".into()),
            template: "spring_offer".into(),
            language: "en_US".into(),
            params: vec!["Alex".into(), "Acme Bakery".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert!(out.provider_id.unwrap().starts_with("wamid.sandbox-"));
    let sms = send::send_sms_now(
        &app,
        &ctx,
        &SmsSendInput {
            to: Some("+15551230001".into()),
            body: "Hello from the demo".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sms.status, "sent", "{sms:?}");
    let sandbox = connections::sms_sandbox(ctx.ws);
    assert_eq!(sandbox.sent_count(), 1);
}

/// Runs the engine and both dispatchers until nothing moves (a step goes out once the one
/// before it was sent).
async fn run_sequences(t: &T) {
    for _ in 0..6 {
        let r =
            prospector_app::outreach::engine::tick(&t.app, prospector_app::core::time::now_ms())
                .await
                .unwrap();
        let d = prospector_app::outreach::dispatch::dispatch(&t.app, None)
            .await
            .unwrap();
        let m = dispatch::dispatch(&t.app).await.unwrap();
        tracing::debug!(?r, ?d, ?m, "round");
        // A follow-up without delay is looked at a second after the step before it: let
        // that second pass for the engine (the messages themselves go at the real time).
        let now = prospector_app::core::time::now_ms();
        for c in campaigns::list(&t.app, &t.ctx, None, None, None, 100)
            .await
            .unwrap()
        {
            for e in enrollments::list(
                t.app.db(),
                t.ctx.ws,
                c.campaign.cid(),
                Some("active"),
                None,
                100,
            )
            .await
            .unwrap()
            {
                if e.next_at.is_some_and(|n| n <= now + 2_000) {
                    enrollments::set_next_at(t.app.db(), t.ctx.ws, e.eid(), Some(now))
                        .await
                        .unwrap();
                }
            }
        }
        if r.queued + r.skipped + d.sent + m.sent == 0 {
            break;
        }
    }
}

#[tokio::test]
async fn a_mixed_email_whatsapp_sms_sequence_sends_each_step_on_its_channel() {
    let t = setup().await;
    approved_template(&t, "spring_offer").await;
    senders::create(
        &t.app,
        &t.ctx,
        &SenderInput {
            name: "sam".into(),
            kind: "sandbox".into(),
            from_email: "sam@agency.example".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Ana has everything; Bo has no email; Cy has no phone.
    let ana = contact(&t, "Ana", "+15551230001").await;
    let bo = contacts::create_contact(
        &t.app,
        &t.ctx,
        &ContactInput {
            first_name: Some("Bo".into()),
            phone: Some("+15551230002".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let cy = contacts::create_contact(
        &t.app,
        &t.ctx,
        &ContactInput {
            first_name: Some("Cy".into()),
            email: Some("cy@example.com".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    // Consent is recorded per channel: Bo refused SMS by hand; a made-up value is refused.
    let e = contacts::update_contact(
        &t.app,
        &t.ctx,
        ContactId(bo),
        &ContactInput {
            consent_sms: Some("maybe".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation { field: Some(f), .. } if f == "consent_sms"),
        "{e:?}"
    );
    contacts::update_contact(
        &t.app,
        &t.ctx,
        ContactId(bo),
        &ContactInput {
            consent_sms: Some("refused".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let definition = json!({"name": "Mixed", "senders": ["sam"],
    "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                 "start": "00:00", "end": "23:59"},
    "min_gap_seconds": 0,
    "steps": [
        {"channel": "email", "subject": "Hi {{first_name}}", "body": "Hello"},
        {"channel": "whatsapp", "template": "spring_offer", "language": "en_US",
         "params": ["field:first_name", "literal:Acme"]},
        {"channel": "sms", "body": "{Hi|Hello} {{first_name|there}}, reply STOP to opt out"}
    ]});
    // Wrong definitions name their field.
    let mut bad = definition.clone();
    bad["steps"][1]["params"] = json!(["field:first_name"]);
    let e = campaigns::create(&t.app, &t.ctx, &spec::parse(&bad.to_string()).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation { field: Some(f), .. } if f == "steps[1].params"),
        "{e:?}"
    );
    let mut bad = definition.clone();
    bad["steps"][1]["template"] = json!("never_heard_of");
    let e = campaigns::create(&t.app, &t.ctx, &spec::parse(&bad.to_string()).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation { field: Some(f), .. } if f == "steps[1].template"),
        "{e:?}"
    );
    let camp = campaigns::create(
        &t.app,
        &t.ctx,
        &spec::parse(&definition.to_string()).unwrap(),
    )
    .await
    .unwrap();
    let id = camp.campaign.id;
    let out = campaigns::enroll(
        &t.app,
        &t.ctx,
        id,
        &EnrollInput {
            contact_ids: vec![ana, bo, cy],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.enrolled, 3, "{out:?}");
    campaigns::start(&t.app, &t.ctx, id).await.unwrap();
    run_sequences(&t).await;

    // The stand-ins saw one template per number that has one, with the contact's parameters.
    let wa: Vec<Seen> = t.sends();
    let mut wa_to: Vec<(String, Value)> = wa
        .iter()
        .map(|s| {
            (
                s.body["to"].as_str().unwrap_or_default().to_string(),
                s.body["template"]["components"][0]["parameters"].clone(),
            )
        })
        .collect();
    wa_to.sort_by(|a, b| a.0.cmp(&b.0));
    let msgs = campaigns::messages_of(&t.app, &t.ctx, id, None, None, 100)
        .await
        .unwrap();
    assert_eq!(wa_to.len(), 2, "{wa_to:?} {msgs:#?}");
    assert_eq!(wa_to[0].0, "15551230001");
    assert_eq!(wa_to[0].1[0]["text"], "Ana");
    assert_eq!(wa_to[0].1[1]["text"], "Acme");
    assert_eq!(wa_to[1].0, "15551230002");
    assert_eq!(wa_to[1].1[0]["text"], "Bo");
    let sms: Vec<Value> = t
        .twilio
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|s| s.path.ends_with("/Messages.json"))
        .map(|s| s.body.clone())
        .collect();
    assert_eq!(sms.len(), 1, "{sms:?}");
    let mut bodies: Vec<String> = sms
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["To"].as_str().unwrap(),
                b["Body"].as_str().unwrap()
            )
        })
        .collect();
    bodies.sort();
    assert!(
        bodies[0].starts_with("+15551230001 ") && bodies[0].contains(" Ana, reply STOP"),
        "{bodies:?}"
    );
    assert!(t.violations().is_empty(), "{:?}", t.violations());

    // Every step is on the campaign's messages, skipped ones with their reason.
    let msgs = campaigns::messages_of(&t.app, &t.ctx, id, None, None, 100)
        .await
        .unwrap();
    let of = |contact: i64, channel: &str| {
        msgs.iter()
            .find(|m| m.contact_id == Some(contact) && m.channel == channel)
            .map(|m| (m.status.clone(), m.error.clone().unwrap_or_default()))
            .unwrap_or_else(|| panic!("no {channel} message for {contact}: {msgs:?}"))
    };
    assert_eq!(of(ana, "email").0, "sent");
    assert_eq!(of(ana, "whatsapp").0, "sent");
    assert_eq!(of(ana, "sms").0, "sent");
    assert_eq!(
        of(bo, "email"),
        ("cancelled".into(), "no email address".into())
    );
    assert_eq!(of(bo, "whatsapp").0, "sent");
    assert_eq!(
        of(bo, "sms"),
        ("cancelled".into(), "sms consent refused".into())
    );
    assert_eq!(of(cy, "email").0, "sent");
    let (st, why) = of(cy, "whatsapp");
    assert_eq!(st, "cancelled");
    assert!(why.contains("no international phone number"), "{why}");
    assert_eq!(of(cy, "sms").0, "cancelled");
    // Costs were charged for the WhatsApp and SMS messages that went out.
    let ana_wa = msgs
        .iter()
        .find(|m| m.contact_id == Some(ana) && m.channel == "whatsapp")
        .unwrap();
    assert!(ana_wa.cost_minor.unwrap_or(0) > 0, "{ana_wa:?}");
    // Everyone went through the whole sequence.
    let e = enrollments::list(
        t.app.db(),
        t.ctx.ws,
        prospector_app::store::CampaignId(id),
        None,
        None,
        10,
    )
    .await
    .unwrap();
    assert!(e.iter().all(|e| e.state == "completed"), "{e:?}");
}

#[tokio::test]
async fn a_whatsapp_step_waits_for_its_delay_and_a_paused_template_pauses_the_campaign() {
    let t = setup().await;
    approved_template(&t, "later_offer").await;
    let ana = contact(&t, "Ana", "+15551230001").await;
    let camp = campaigns::create(
        &t.app,
        &t.ctx,
        &spec::parse(
            &json!({"name": "WhatsApp only",
            "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                         "start": "00:00", "end": "23:59"},
            "steps": [
                {"channel": "sms", "body": "Hi {{first_name}}"},
                {"channel": "whatsapp", "delay_days": 2, "template": "later_offer",
                 "language": "en_US", "params": ["field:first_name", "literal:Acme"]}
            ]})
            .to_string(),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let id = camp.campaign.id;
    // No email step: no sender needed.
    campaigns::enroll(
        &t.app,
        &t.ctx,
        id,
        &EnrollInput {
            contact_ids: vec![ana],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    campaigns::start(&t.app, &t.ctx, id).await.unwrap();
    run_sequences(&t).await;
    assert!(
        t.sends().is_empty(),
        "the WhatsApp step went before its delay"
    );
    let now = prospector_app::core::time::now_ms();
    let r = prospector_app::outreach::engine::tick(&t.app, now)
        .await
        .unwrap();
    assert_eq!(r.queued, 0, "{r:?}");
    // Two days later the template has been paused by Meta: the campaign pauses with why.
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "time": 1,
        "changes": [{"field": "message_template_status_update", "value": {
            "event": "PAUSED", "message_template_id": 0, "message_template_name": "later_offer",
            "message_template_language": "en_US", "reason": "Low quality"}}]}]})
    .to_string();
    t.webhook(&body).await;
    hooks::process_pending(&t.app).await.unwrap();
    prospector_app::outreach::engine::tick(&t.app, now + 2 * 86_400_000 + 3_600_000)
        .await
        .unwrap();
    let c = campaigns::get(&t.app, &t.ctx, id).await.unwrap();
    assert_eq!(c.campaign.state, "paused", "{:?}", c.campaign);
    assert!(
        c.campaign
            .state_reason
            .as_deref()
            .unwrap_or_default()
            .contains("later_offer"),
        "{:?}",
        c.campaign.state_reason
    );
    assert!(t.sends().is_empty());
}

#[tokio::test]
async fn broadcasts_keep_quiet_hours_in_the_recipients_zone() {
    let t = setup().await;
    approved_template(&t, "night_offer").await;
    contact(&t, "Kim", "+15551230001").await;
    // Bad hours are refused with the field.
    let e = quiet_hours::update(
        &t.app,
        &t.ctx,
        quiet_hours::QuietHours {
            enabled: true,
            start: "7pm".into(),
            end: "08:00".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation { field: Some(f), .. } if f == "start"),
        "{e:?}"
    );
    // Quiet all day but one minute after midnight (New York, from the +1 number).
    quiet_hours::update(
        &t.app,
        &t.ctx,
        quiet_hours::QuietHours {
            enabled: true,
            start: "00:01".into(),
            end: "00:00".into(),
        },
    )
    .await
    .unwrap();
    let tpl = templates::list(&t.app, &t.ctx, Some("night_offer"), None)
        .await
        .unwrap();
    let b = broadcasts::create(
        &t.app,
        &t.ctx,
        &BroadcastInput {
            name: "Night".into(),
            template_id: tpl[0].id,
            params: vec!["field:first_name".into(), "Acme".into()],
            audience: Audience {
                tag: Some("vip".into()),
                ..Default::default()
            },
            scheduled_at: None,
        },
    )
    .await
    .unwrap();
    let due = mstore::due_broadcasts(t.app.db(), i64::MAX, 10)
        .await
        .unwrap();
    let now = prospector_app::core::time::now_ms();
    assert_eq!(broadcasts::run(&t.app, &due[0]).await.unwrap(), (1, 0));
    dispatch::dispatch(&t.app).await.unwrap();
    let got = broadcasts::get(&t.app, &t.ctx, b.id).await.unwrap();
    let ny_minute = {
        let z = prospector_app::core::outreach::Zone::parse("America/New_York").unwrap();
        let w = prospector_app::core::outreach::SendWindow::parse(
            "America/New_York",
            &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "00:00",
            "00:01",
        )
        .unwrap();
        w.is_open(now, Some(&z))
    };
    if !ny_minute {
        assert_eq!((got.sent, got.waiting), (0, 1), "{got:?}");
        assert!(
            t.sends().is_empty(),
            "a message went out in the quiet hours"
        );
    }
}

#[tokio::test]
async fn two_webhook_runs_at_once_apply_each_event_once() {
    let t = setup().await;
    let kim = contact(&t, "Kim", "+15551230001").await;
    let now_s = prospector_app::core::time::now_ms() / 1000;
    for i in 0..60 {
        let body = inbound_body(
            "15551230001",
            &format!("wamid.RACE{i}"),
            now_s,
            json!({"type": "text", "text": {"body": format!("message {i}")}}),
        );
        assert_eq!(t.webhook(&body).await.stored, 1);
    }
    // The recurring job and a kick running side by side claim different events.
    let (a, b, c) = tokio::join!(
        hooks::process_pending(&t.app),
        hooks::process_pending(&t.app),
        hooks::process_pending(&t.app)
    );
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 60);
    assert_eq!(
        mstore::count_pending(t.app.db(), "whatsapp").await.unwrap(),
        0
    );
    let conv = conversations::of_contact(t.app.db(), t.ctx.ws, ContactId(kim), "whatsapp")
        .await
        .unwrap()
        .expect("a WhatsApp conversation");
    let entries = conversations::entries(t.app.db(), t.ctx.ws, conv.id, 1000)
        .await
        .unwrap();
    let inbound = entries.iter().filter(|e| e.direction == "in").count();
    assert_eq!(inbound, 60, "each inbound message once");
}
