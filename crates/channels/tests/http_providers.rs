//! SendGrid and Resend against loopback stand-ins that check the documented request shape
//! (path, auth header, JSON fields) and answer with the documented responses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prospector_channels::email::{
    EmailTransport, ListUnsubscribe, OutgoingEmail, ResendSender, SendError, SendGridSender,
};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Captured {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Value,
}

/// A scripted answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

#[derive(Clone, Default)]
struct Stub {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Captured>>>,
}

impl Stub {
    fn answer(&self, status: u16, headers: Vec<(&'static str, String)>, body: impl Into<String>) {
        self.answers
            .lock()
            .expect("lock")
            .push_back((status, headers, body.into()));
    }

    fn seen(&self) -> Vec<Captured> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn handle(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("not JSON: {e}")).into_response(),
        }
    };
    stub.seen.lock().expect("lock").push(Captured {
        method,
        path: uri.path().to_owned(),
        headers,
        body: json,
    });
    let next = stub.answers.lock().expect("lock").pop_front();
    let (status, extra, body) = next.unwrap_or((500, vec![], "no answer scripted".into()));
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    for (k, v) in extra {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    resp
}

async fn start_stub() -> (String, Stub) {
    let stub = Stub::default();
    let app = Router::new().fallback(handle).with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), stub)
}

/// A server that reads the request and closes the connection without answering.
async fn start_hangup() -> String {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    format!("http://{addr}")
}

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from_name: "Ana Pérez".into(),
        from_email: "ana@sender.example".into(),
        reply_to: Some("Replies <replies@sender.example>".into()),
        to_name: Some("Bob Stone".into()),
        to_email: "bob@example.com".into(),
        subject: "Ideas for Bob's café".into(),
        text: "Hi Bob".into(),
        html: Some("<p>Hi Bob</p>".into()),
        message_id: "<m42.x1@sender.example>".into(),
        list_unsubscribe: Some(ListUnsubscribe {
            url: "https://app.example/u/tok42".into(),
            mailto: Some("unsub+tok42@app.example".into()),
        }),
        extra_headers: vec![("X-Prospector-Campaign".into(), "7".into())],
    }
}

fn header(c: &Captured, name: &str) -> String {
    c.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------- SendGrid

fn check_sendgrid_request(c: &Captured) {
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, "/v3/mail/send");
    assert_eq!(header(c, "authorization"), "Bearer SG.test-key");
    assert!(header(c, "content-type").starts_with("application/json"));
    let b = &c.body;
    assert_eq!(
        b["personalizations"],
        json!([{ "to": [{ "email": "bob@example.com", "name": "Bob Stone" }] }])
    );
    assert_eq!(
        b["from"],
        json!({ "email": "ana@sender.example", "name": "Ana Pérez" })
    );
    assert_eq!(
        b["reply_to"],
        json!({ "email": "replies@sender.example", "name": "Replies" })
    );
    assert_eq!(b["subject"], "Ideas for Bob's café");
    assert_eq!(
        b["content"],
        json!([
            { "type": "text/plain", "value": "Hi Bob" },
            { "type": "text/html", "value": "<p>Hi Bob</p>" }
        ]),
        "text/plain must come before text/html"
    );
    assert_eq!(b["headers"]["Message-ID"], "<m42.x1@sender.example>");
    assert_eq!(
        b["headers"]["List-Unsubscribe"],
        "<https://app.example/u/tok42>, <mailto:unsub+tok42@app.example>"
    );
    assert_eq!(
        b["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(b["headers"]["X-Prospector-Campaign"], "7");
    assert_eq!(
        b["custom_args"],
        json!({ "prospector_message_id": "<m42.x1@sender.example>" })
    );
}

#[tokio::test]
async fn sendgrid_202_returns_the_x_message_id() {
    let (base, stub) = start_stub().await;
    stub.answer(202, vec![("x-message-id", "sg-abc123".into())], "");
    let t =
        EmailTransport::SendGrid(SendGridSender::new("SG.test-key", Some(&base)).expect("sender"));
    let ok = t.send(&email()).await.expect("accepted");
    assert_eq!(ok.provider_id.as_deref(), Some("sg-abc123"));
    assert!(ok.response.starts_with("202"), "{}", ok.response);
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    check_sendgrid_request(&seen[0]);
}

#[tokio::test]
async fn sendgrid_errors_map_to_outcomes() {
    let (base, stub) = start_stub().await;
    let s = SendGridSender::new("SG.test-key", Some(&base)).expect("sender");

    stub.answer(
        429,
        vec![],
        r#"{"errors":[{"message":"too many requests","field":null}]}"#,
    );
    let e = s.send(&email()).await.expect_err("429");
    assert_eq!(
        e,
        SendError::Transient {
            code: Some(429),
            message: "too many requests".into()
        }
    );

    stub.answer(
        400,
        vec![],
        r#"{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}"#,
    );
    let e = s.send(&email()).await.expect_err("400");
    assert_eq!(
        e,
        SendError::Permanent {
            code: Some(400),
            message: "from: The from address does not match a verified Sender Identity.".into()
        }
    );

    stub.answer(500, vec![], r#"{"errors":[{"message":"internal error"}]}"#);
    let e = s.send(&email()).await.expect_err("500");
    assert!(
        matches!(
            e,
            SendError::Transient {
                code: Some(500),
                ..
            }
        ),
        "{e:?}"
    );

    stub.answer(401, vec![], r#"{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked","field":null}]}"#);
    let e = s.send(&email()).await.expect_err("401");
    assert!(
        matches!(&e, SendError::Config { message } if message.contains("authorization grant is invalid")),
        "{e:?}"
    );
    for c in stub.seen() {
        check_sendgrid_request(&c);
    }
}

#[tokio::test]
async fn sendgrid_lost_answer_is_uncertain() {
    let base = start_hangup().await;
    let s = SendGridSender::new("SG.test-key", Some(&base)).expect("sender");
    let e = s.send(&email()).await.expect_err("hang up");
    assert!(matches!(e, SendError::Uncertain { .. }), "{e:?}");
}

#[tokio::test]
async fn sendgrid_test_connection_checks_the_mail_send_scope() {
    let (base, stub) = start_stub().await;
    let s = SendGridSender::new("SG.test-key", Some(&base)).expect("sender");
    stub.answer(200, vec![], r#"{"scopes":["mail.send","alerts.read"]}"#);
    let ok = s.test_connection().await.expect("ok");
    assert!(ok.contains("mail.send allowed"), "{ok}");
    stub.answer(200, vec![], r#"{"scopes":["alerts.read"]}"#);
    let e = s.test_connection().await.expect_err("no mail.send");
    assert!(matches!(e, SendError::Config { .. }), "{e:?}");
    let seen = stub.seen();
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(seen[0].path, "/v3/scopes");
    assert_eq!(header(&seen[0], "authorization"), "Bearer SG.test-key");
}

// ---------------------------------------------------------------- Resend

fn check_resend_request(c: &Captured) {
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, "/emails");
    assert_eq!(header(c, "authorization"), "Bearer re_test_key");
    assert_eq!(header(c, "idempotency-key"), "<m42.x1@sender.example>");
    assert!(header(c, "content-type").starts_with("application/json"));
    let b = &c.body;
    assert_eq!(b["from"], "Ana Pérez <ana@sender.example>");
    assert_eq!(b["to"], json!(["bob@example.com"]));
    assert_eq!(b["subject"], "Ideas for Bob's café");
    assert_eq!(b["text"], "Hi Bob");
    assert_eq!(b["html"], "<p>Hi Bob</p>");
    assert_eq!(b["reply_to"], "Replies <replies@sender.example>");
    assert_eq!(b["headers"]["Message-ID"], "<m42.x1@sender.example>");
    assert_eq!(
        b["headers"]["List-Unsubscribe"],
        "<https://app.example/u/tok42>, <mailto:unsub+tok42@app.example>"
    );
    assert_eq!(
        b["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
}

#[tokio::test]
async fn resend_200_returns_the_id() {
    let (base, stub) = start_stub().await;
    stub.answer(
        200,
        vec![],
        r#"{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#,
    );
    let t = EmailTransport::Resend(ResendSender::new("re_test_key", Some(&base)).expect("sender"));
    let ok = t.send(&email()).await.expect("accepted");
    assert_eq!(
        ok.provider_id.as_deref(),
        Some("49a3999c-0ce1-4ea6-ab68-afcd6dc2e794")
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    check_resend_request(&seen[0]);
}

#[tokio::test]
async fn resend_errors_map_to_outcomes() {
    let (base, stub) = start_stub().await;
    let s = ResendSender::new("re_test_key", Some(&base)).expect("sender");

    stub.answer(429, vec![], r#"{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests. You can only make 2 requests per second."}"#);
    let e = s.send(&email()).await.expect_err("429");
    assert!(
        matches!(&e, SendError::Transient { code: Some(429), message } if message.starts_with("rate_limit_exceeded: Too many requests")),
        "{e:?}"
    );

    stub.answer(422, vec![], r#"{"statusCode":422,"name":"validation_error","message":"Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format."}"#);
    let e = s.send(&email()).await.expect_err("422");
    assert!(
        matches!(&e, SendError::Permanent { code: Some(422), message } if message.starts_with("validation_error: Invalid `to` field")),
        "{e:?}"
    );

    stub.answer(400, vec![], r#"{"statusCode":400,"name":"validation_error","message":"The `subject` field is missing."}"#);
    let e = s.send(&email()).await.expect_err("400");
    assert!(
        matches!(
            e,
            SendError::Permanent {
                code: Some(400),
                ..
            }
        ),
        "{e:?}"
    );

    stub.answer(500, vec![], r#"{"statusCode":500,"name":"application_error","message":"An unexpected error occurred."}"#);
    let e = s.send(&email()).await.expect_err("500");
    assert!(
        matches!(
            e,
            SendError::Transient {
                code: Some(500),
                ..
            }
        ),
        "{e:?}"
    );

    stub.answer(409, vec![], r#"{"statusCode":409,"name":"concurrent_idempotent_requests","message":"Same idempotency key used while original request is still in progress."}"#);
    let e = s.send(&email()).await.expect_err("409");
    assert!(
        matches!(
            e,
            SendError::Transient {
                code: Some(409),
                ..
            }
        ),
        "{e:?}"
    );

    stub.answer(409, vec![], r#"{"statusCode":409,"name":"invalid_idempotent_request","message":"Same idempotency key used with a different request payload."}"#);
    let e = s.send(&email()).await.expect_err("409 other");
    assert!(
        matches!(
            e,
            SendError::Permanent {
                code: Some(409),
                ..
            }
        ),
        "{e:?}"
    );

    stub.answer(
        403,
        vec![],
        r#"{"statusCode":403,"name":"invalid_api_key","message":"API key is invalid"}"#,
    );
    let e = s.send(&email()).await.expect_err("403");
    assert!(
        matches!(&e, SendError::Config { message } if message.contains("API key is invalid")),
        "{e:?}"
    );

    for c in stub.seen() {
        check_resend_request(&c);
    }
}

#[tokio::test]
async fn resend_lost_answer_is_safe_to_retry_thanks_to_the_idempotency_key() {
    let base = start_hangup().await;
    let s = ResendSender::new("re_test_key", Some(&base)).expect("sender");
    let e = s.send(&email()).await.expect_err("hang up");
    assert!(
        matches!(&e, SendError::Transient { message, .. } if message.contains("idempotency key")),
        "{e:?}"
    );
}

#[tokio::test]
async fn resend_test_connection_lists_domains_and_accepts_sending_only_keys() {
    let (base, stub) = start_stub().await;
    let s = ResendSender::new("re_test_key", Some(&base)).expect("sender");
    stub.answer(
        200,
        vec![],
        r#"{"object":"list","data":[{"id":"d1","name":"sender.example","status":"verified"}]}"#,
    );
    let ok = s.test_connection().await.expect("ok");
    assert!(ok.contains("sender.example (verified)"), "{ok}");
    stub.answer(401, vec![], r#"{"statusCode":401,"name":"restricted_api_key","message":"This API key is restricted to only send emails."}"#);
    assert!(
        s.test_connection()
            .await
            .expect("sending-only key")
            .contains("sending access only")
    );
    stub.answer(401, vec![], r#"{"statusCode":401,"name":"missing_api_key","message":"Missing API key in the authorization header."}"#);
    assert!(matches!(
        s.test_connection().await,
        Err(SendError::Config { .. })
    ));
    let seen = stub.seen();
    assert_eq!(
        (seen[0].method.clone(), seen[0].path.as_str()),
        (Method::GET, "/domains")
    );
    assert_eq!(header(&seen[0], "authorization"), "Bearer re_test_key");
}

#[tokio::test]
async fn bad_messages_never_reach_the_api() {
    let (base, stub) = start_stub().await;
    let s = SendGridSender::new("SG.test-key", Some(&base)).expect("sender");
    let mut bad = email();
    bad.to_email = "bob at example".into();
    assert!(matches!(s.send(&bad).await, Err(SendError::Invalid { .. })));
    let r = ResendSender::new("re_test_key", Some(&base)).expect("sender");
    assert!(matches!(r.send(&bad).await, Err(SendError::Invalid { .. })));
    assert!(stub.seen().is_empty());
    assert!(matches!(
        SendGridSender::new("", None),
        Err(SendError::Config { .. })
    ));
    assert!(matches!(
        ResendSender::new("re_x", Some("ftp://x")),
        Err(SendError::Config { .. })
    ));
}
