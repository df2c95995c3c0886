//! WhatsApp media by link (image, document, video, audio) on the configured backend, against
//! a small loopback stand-in of the Graph API `POST /{phone-number-id}/messages` that
//! checks the bearer token and the documented body (`type` and the object of that type with
//! `link`, optional `caption` / `filename`, `biz_opaque_callback_data`) and refuses
//! free-form messages outside the window with 131047, as Meta does. Media is free-form:
//! inside the 24-hour window it is sent, outside it the fallback template goes instead or
//! the message is skipped with the reason, and nothing reaches the stand-in.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prospector_app::messaging::connections::{self, WhatsAppInput};
use prospector_app::messaging::send::{self, MediaSendInput};
use prospector_app::messaging::{costs, hooks};
use prospector_app::store::messaging as mstore;
use prospector_app::{App, AppError, WsCtx, testing};
use prospector_channels::whatsapp::meta_signature;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "EAAGmediatoken";
const APP_SECRET: &str = "media-app-secret";
const PNID: &str = "106540352242922";
const WABA: &str = "102290129340398";
const KIM: &str = "+15551230001";

#[derive(Default)]
struct Graph {
    /// Bodies of every `POST …/messages`.
    sends: Vec<Value>,
    /// Requests that broke the documented shape (the test fails on any).
    violations: Vec<String>,
    /// Recipients (digits) who wrote to us.
    open: Vec<String>,
    next: u64,
}

type Shared = Arc<Mutex<Graph>>;

fn answer(status: u16, v: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn graph(State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut st = s.lock().unwrap();
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(format!("Bearer {TOKEN}").as_str())
    {
        return answer(
            401,
            json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}),
        );
    }
    if uri.path() != format!("/v23.0/{PNID}/messages") {
        st.violations
            .push(format!("unexpected path {}", uri.path()));
        return answer(
            404,
            json!({"error": {"message": "Unsupported", "code": 100}}),
        );
    }
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    st.sends.push(b.clone());
    let to = b["to"].as_str().unwrap_or_default().to_string();
    if b["messaging_product"] != "whatsapp" || !to.bytes().all(|c| c.is_ascii_digit()) {
        st.violations.push(format!("bad envelope: {b}"));
    }
    if b["biz_opaque_callback_data"].as_str().is_none() {
        st.violations.push(format!("no callback data: {b}"));
    }
    let kind = b["type"].as_str().unwrap_or_default().to_string();
    match kind.as_str() {
        "template" => {}
        "image" | "document" | "video" | "audio" => {
            let m = &b[kind.as_str()];
            let link = m["link"].as_str().unwrap_or_default();
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                st.violations.push(format!("media without link: {b}"));
            }
            if b["recipient_type"] != "individual" {
                st.violations
                    .push(format!("media without recipient_type: {b}"));
            }
            if kind == "audio" && m.get("caption").is_some() {
                st.violations.push(format!("audio with caption: {b}"));
            }
            if kind != "document" && m.get("filename").is_some() {
                st.violations.push(format!("filename on {kind}: {b}"));
            }
            if !st.open.contains(&to) {
                return answer(
                    400,
                    json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
                        "code": 131047, "error_data": {"messaging_product": "whatsapp", "details": "window closed"}}}),
                );
            }
        }
        other => st
            .violations
            .push(format!("unexpected type {other:?}: {b}")),
    }
    st.next += 1;
    let wamid = format!("wamid.MEDIA{:04}", st.next);
    answer(
        200,
        json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}]}),
    )
}

struct T {
    app: App,
    ctx: WsCtx,
    _dir: tempfile::TempDir,
    graph: Shared,
    wa_token: String,
}

impl T {
    fn sends(&self) -> Vec<Value> {
        self.graph.lock().unwrap().sends.clone()
    }

    fn violations(&self) -> Vec<String> {
        self.graph.lock().unwrap().violations.clone()
    }

    /// Kim writes to us: a signed inbound webhook, applied, opens the window here (and the
    /// stand-in's record of it, as Meta's).
    async fn kim_writes(&self) {
        self.graph
            .lock()
            .unwrap()
            .open
            .push(KIM.trim_start_matches('+').into());
        let now = prospector_core::time::now_ms() / 1000;
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550100199", "phone_number_id": PNID},
                "contacts": [{"profile": {"name": "Kim"}, "wa_id": "15551230001"}],
                "messages": [{"from": "15551230001", "id": "wamid.IN1", "timestamp": now.to_string(),
                    "type": "text", "text": {"body": "Do you have a menu?"}}]}}]}]})
        .to_string();
        let sig = meta_signature(APP_SECRET, body.as_bytes());
        let r = hooks::receive_whatsapp(&self.app, &self.wa_token, Some(&sig), body.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.stored, 1);
        hooks::process_pending(&self.app).await.unwrap();
    }
}

async fn setup() -> T {
    let (app, ctx, dir) =
        testing::app_with_workspace(|c| c.public_url = "https://prospector.example".into())
            .await
            .unwrap();
    let shared: Shared = Arc::default();
    let router = Router::new().fallback(graph).with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let wa = connections::connect_whatsapp(
        &app,
        &ctx,
        &WhatsAppInput {
            phone_number_id: PNID.into(),
            waba_id: WABA.into(),
            access_token: TOKEN.into(),
            app_secret: APP_SECRET.into(),
            verify_token: "verify-me".into(),
            api_base: Some(format!("http://{addr}")),
            api_version: Some("v23.0".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // An approved fallback template, as a sync would store it.
    mstore::upsert_template(
        app.db(),
        ctx.ws,
        &mstore::TemplateFields {
            name: "menu_ready".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            parameter_format: "POSITIONAL".into(),
            components: json!([{"type": "BODY", "text": "Hi {{1}}, our menu is ready.",
                "example": {"body_text": [["Alex"]]}}])
            .to_string(),
            status: "APPROVED".into(),
            provider_id: Some("700000000000009".into()),
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
        app,
        ctx,
        _dir: dir,
        graph: shared,
    }
}

fn image(caption: Option<&str>) -> MediaSendInput {
    MediaSendInput {
        to: Some(KIM.into()),
        kind: "image".into(),
        link: "https://cdn.example.com/menu.jpg".into(),
        caption: caption.map(str::to_string),
        ..Default::default()
    }
}

fn field_of(e: &AppError) -> Option<&str> {
    match e {
        AppError::Validation { field, .. } => field.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn media_outside_the_window_is_skipped_or_falls_back_and_inside_it_is_sent() {
    let t = setup().await;
    // Outside the window without a fallback: skipped with the reason, no call.
    let out = send::send_media_now(&t.app, &t.ctx, &image(Some("Spring menu")))
        .await
        .unwrap();
    assert_eq!(out.status, "cancelled", "{out:?}");
    assert!(
        out.error
            .as_deref()
            .unwrap_or_default()
            .contains("24-hour window"),
        "{out:?}"
    );
    assert!(
        t.sends().is_empty(),
        "media outside the window reached the Graph API"
    );
    // With a fallback template: the template goes instead, priced as its category.
    let out = send::send_media_now(
        &t.app,
        &t.ctx,
        &MediaSendInput {
            fallback_template: Some("menu_ready".into()),
            fallback_language: Some("en_US".into()),
            fallback_params: vec!["Kim".into()],
            ..image(Some("Spring menu"))
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert_eq!(out.kind.as_deref(), Some("template"));
    assert_eq!(out.template.as_deref(), Some("menu_ready"));
    let sends = t.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["type"], "template");
    assert_eq!(sends[0]["template"]["name"], "menu_ready");
    // Kim writes: inside the window the image itself goes, with its caption.
    t.kim_writes().await;
    let out = send::send_media_now(&t.app, &t.ctx, &image(Some("Spring menu")))
        .await
        .unwrap();
    assert_eq!(out.status, "sent", "{out:?}");
    assert_eq!(out.kind.as_deref(), Some("image"));
    assert!(
        out.provider_id
            .as_deref()
            .unwrap()
            .starts_with("wamid.MEDIA")
    );
    let body = t.sends().last().cloned().unwrap();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "15551230001", "type": "image",
            "image": {"link": "https://cdn.example.com/menu.jpg", "caption": "Spring menu"},
            "biz_opaque_callback_data": out.id.to_string()})
    );
    // A document with its file name, and audio without a caption.
    let doc = send::send_media_now(
        &t.app,
        &t.ctx,
        &MediaSendInput {
            kind: "document".into(),
            link: "https://cdn.example.com/q.pdf".into(),
            filename: Some("Quote.pdf".into()),
            ..image(None)
        },
    )
    .await
    .unwrap();
    assert_eq!(doc.status, "sent", "{doc:?}");
    let body = t.sends().last().cloned().unwrap();
    assert_eq!(
        body["document"],
        json!({"link": "https://cdn.example.com/q.pdf", "filename": "Quote.pdf"})
    );
    let audio = send::send_media_now(
        &t.app,
        &t.ctx,
        &MediaSendInput {
            kind: "audio".into(),
            link: "https://cdn.example.com/hello.ogg".into(),
            ..image(None)
        },
    )
    .await
    .unwrap();
    assert_eq!(audio.status, "sent", "{audio:?}");
    assert_eq!(
        t.sends().last().cloned().unwrap()["audio"],
        json!({"link": "https://cdn.example.com/hello.ogg"})
    );
    // Free-form messages are priced as service (free on the default rate card); the log
    // shows each with its kind.
    assert_eq!(out.cost_minor, Some(0), "{out:?}");
    let log = costs::log(&t.app, &t.ctx, &Default::default(), None, 50)
        .await
        .unwrap();
    let first = log.iter().find(|r| r.id == out.id).unwrap();
    assert_eq!(first.category.as_deref(), Some("service"));
    let kinds = [
        send::get(&t.app, &t.ctx, doc.id).await.unwrap().kind,
        send::get(&t.app, &t.ctx, audio.id).await.unwrap().kind,
    ];
    assert_eq!(kinds, [Some("document".into()), Some("audio".into())]);
    // The ledger names what went.
    let c = costs::costs(&t.app, &t.ctx, None, 50).await.unwrap();
    assert!(
        c.entries.iter().any(|e| e.description.contains("image")),
        "{:?}",
        c.entries.iter().map(|e| &e.description).collect::<Vec<_>>()
    );
    assert_eq!(t.sends().len(), 4);
    assert!(t.violations().is_empty(), "{:?}", t.violations());
}

#[tokio::test]
async fn bad_media_is_a_precise_validation_error_before_anything_is_queued() {
    let t = setup().await;
    let long = "c".repeat(1025);
    let cases: Vec<(MediaSendInput, &str)> = vec![
        (
            MediaSendInput {
                kind: "sticker".into(),
                ..image(None)
            },
            "kind",
        ),
        (
            MediaSendInput {
                kind: "gif".into(),
                ..image(None)
            },
            "kind",
        ),
        (
            MediaSendInput {
                link: "ftp://cdn.example.com/menu.jpg".into(),
                ..image(None)
            },
            "link",
        ),
        (
            MediaSendInput {
                link: "javascript:alert(1)".into(),
                ..image(None)
            },
            "link",
        ),
        (
            MediaSendInput {
                link: "https://".into(),
                ..image(None)
            },
            "link",
        ),
        (
            MediaSendInput {
                link: " ".into(),
                ..image(None)
            },
            "link",
        ),
        (image(Some(&long)), "caption"),
        (
            MediaSendInput {
                kind: "audio".into(),
                ..image(Some("hello"))
            },
            "caption",
        ),
        (
            MediaSendInput {
                filename: Some("menu.jpg".into()),
                ..image(None)
            },
            "filename",
        ),
        (
            MediaSendInput {
                kind: "document".into(),
                filename: Some("../etc/passwd".into()),
                ..image(None)
            },
            "filename",
        ),
        (
            MediaSendInput {
                to: Some("5551230001".into()),
                ..image(None)
            },
            "to",
        ),
        (
            MediaSendInput {
                fallback_template: Some("menu_ready".into()),
                ..image(None)
            },
            "fallback_language",
        ),
    ];
    for (input, field) in cases {
        let e = send::queue_media(&t.app, &t.ctx, &input).await.unwrap_err();
        assert_eq!(field_of(&e), Some(field), "{input:?}: {e}");
    }
    // A caption of exactly 1,024 characters is fine.
    let ok = "c".repeat(1024);
    send::queue_media(&t.app, &t.ctx, &image(Some(&ok)))
        .await
        .unwrap();
    let log = costs::log(&t.app, &t.ctx, &Default::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "only the valid message was queued");
    assert!(t.sends().is_empty());
}
