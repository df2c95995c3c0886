//! The `prospector whatsapp` and `prospector sms` contract: `connect` prints the id and the
//! webhook paths; `send-template` syncs an unknown template from the account first, refuses
//! one that is not approved, sends through the outbox and prints the message. A minimal
//! loopback Graph API checks the requests.

mod common;

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PNID: &str = "106540352242922";
const WABA: &str = "102290129340398";

type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// Reads one HTTP/1.1 request (headers, then Content-Length bytes).
async fn read_request(s: &mut tokio::net::TcpStream) -> Option<(String, String, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let mut len = 0;
    let mut auth = String::new();
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            auth = l["authorization:".len()..].trim().to_string();
        }
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, target, auth, body))
}

async fn graph() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                while let Some((method, target, auth, body)) = read_request(&mut s).await {
                    let path = target.split('?').next().unwrap_or_default().to_string();
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    log.lock()
                        .unwrap()
                        .push((method.clone(), target.clone(), v.clone()));
                    let (status, out) = if auth != "Bearer EAAGcli" {
                        (
                            401,
                            json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
                        )
                    } else if method == "GET" && path == format!("/v23.0/{WABA}/message_templates")
                    {
                        (
                            200,
                            json!({"data": [
                            {"id": "1001", "name": "hello_world", "language": "en_US", "status": "APPROVED",
                             "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}}, welcome!",
                                "example": {"body_text": [["Alex"]]}}]},
                            {"id": "1002", "name": "paused_one", "language": "en_US", "status": "PAUSED",
                             "category": "MARKETING", "components": [{"type": "BODY", "text": "Sale"}]}]}),
                        )
                    } else if method == "POST" && path == format!("/v23.0/{PNID}/messages") {
                        (
                            200,
                            json!({"messaging_product": "whatsapp",
                            "contacts": [{"input": v["to"], "wa_id": v["to"]}],
                            "messages": [{"id": "wamid.CLI0001"}]}),
                        )
                    } else {
                        (
                            404,
                            json!({"error": {"message": "unknown path", "code": 100}}),
                        )
                    };
                    let text = out.to_string();
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
                        text.len()
                    );
                    if s.write_all(resp.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (base, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_connect_and_send_template_and_sms_connect() {
    let env = common::Env::new().await;
    let (base, seen) = graph().await;
    let out = env.json(&[
        "whatsapp",
        "connect",
        "--workspace",
        "acme-agency",
        "--phone-number-id",
        PNID,
        "--waba-id",
        WABA,
        "--access-token",
        "EAAGcli",
        "--app-secret",
        "s3cret",
        "--verify-token",
        "vt",
        "--api-base",
        &base,
        "--api-version",
        "v23.0",
    ]);
    assert!(out["id"].as_i64().is_some(), "{out}");
    assert!(
        out["webhook_path"]
            .as_str()
            .unwrap()
            .starts_with("/hooks/whatsapp/"),
        "{out}"
    );
    assert!(out.get("access_token").is_none() && !out.to_string().contains("s3cret"));
    // Not known locally: synced from the account first, then sent.
    let m = env.json(&[
        "whatsapp",
        "send-template",
        "--workspace",
        "acme-agency",
        "--to",
        "+15551230001",
        "--template",
        "hello_world",
        "--language",
        "en_US",
        "--param",
        "Alex",
    ]);
    assert_eq!(m["status"], "sent", "{m}");
    assert_eq!(m["provider_id"], "wamid.CLI0001");
    assert!(m["id"].as_i64().is_some());
    let log = seen.lock().unwrap().clone();
    assert!(
        log[0]
            .1
            .starts_with(&format!("/v23.0/{WABA}/message_templates?")),
        "{log:?}"
    );
    let send = log
        .iter()
        .find(|(m, p, _)| m == "POST" && p.ends_with("/messages"))
        .unwrap();
    assert_eq!(send.2["template"]["name"], "hello_world");
    assert_eq!(
        send.2["template"]["components"][0]["parameters"][0]["text"],
        "Alex"
    );
    // Not approved: refused, nothing sent.
    let before = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .count();
    let r = env.run(
        &[
            "whatsapp",
            "send-template",
            "--workspace",
            "acme-agency",
            "--to",
            "+15551230001",
            "--template",
            "paused_one",
            "--language",
            "en_US",
        ],
        None,
    );
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("PAUSED"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let after = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .count();
    assert_eq!(before, after);
    let sms = env.json(&[
        "sms",
        "connect",
        "--workspace",
        "acme-agency",
        "--account-sid",
        "AC0123456789abcdef0123456789abcdef",
        "--auth-token",
        "tok",
        "--from",
        "+15005550006",
        "--api-base",
        &base,
    ]);
    assert!(sms["id"].as_i64().is_some());
    assert!(
        sms["status_callback_path"]
            .as_str()
            .unwrap()
            .ends_with("/status")
    );
    assert!(sms["inbound_path"].as_str().unwrap().ends_with("/inbound"));
    assert!(!sms.to_string().contains("\"tok\""));
}
