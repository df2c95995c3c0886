//! A loopback HTTP stand-in for a provider API: it checks the credentials the way the
//! provider does (answering the provider's own 401 body when they are wrong), records
//! every request (method, path, query, headers, raw body) for the test to check against
//! the documented shape, and answers with scripted responses in order.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    pub fn form_value(&self, key: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn query_value(&self, key: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

/// What credentials the stand-in accepts.
#[derive(Debug, Clone)]
pub enum Auth {
    Bearer(String),
    Basic { user: String, password: String },
}

impl Auth {
    fn accepts(&self, headers: &HeaderMap) -> bool {
        let got = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match self {
            Auth::Bearer(t) => got == format!("Bearer {t}"),
            Auth::Basic { user, password } => {
                let Some(b64) = got.strip_prefix("Basic ") else {
                    return false;
                };
                let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                    return false;
                };
                raw == format!("{user}:{password}").into_bytes()
            }
        }
    }
}

#[derive(Clone)]
pub struct Stub {
    auth: Auth,
    /// Status and body answered when the credentials are wrong.
    unauthorized: (u16, String),
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
    seen: Arc<Mutex<Vec<Captured>>>,
}

impl Stub {
    pub fn answer(&self, status: u16, body: impl Into<String>) {
        self.answers
            .lock()
            .expect("lock")
            .push_back((status, body.into()));
    }

    pub fn seen(&self) -> Vec<Captured> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn last(&self) -> Captured {
        self.seen()
            .pop()
            .expect("at least one request reached the stand-in")
    }

    pub fn clear(&self) {
        self.seen.lock().expect("lock").clear();
    }
}

async fn handle(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let authorized = stub.auth.accepts(&headers);
    stub.seen.lock().expect("lock").push(Captured {
        method,
        path: uri.path().to_owned(),
        query,
        headers,
        body,
    });
    let (status, body) = if authorized {
        let next = stub.answers.lock().expect("lock").pop_front();
        next.unwrap_or((500, r#"{"error":"no answer scripted"}"#.into()))
    } else {
        stub.unauthorized.clone()
    };
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    resp
}

pub async fn start_stub(auth: Auth, unauthorized: (u16, String)) -> (String, Stub) {
    let stub = Stub {
        auth,
        unauthorized,
        answers: Arc::default(),
        seen: Arc::default(),
    };
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
pub async fn start_hangup() -> String {
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

/// A loopback address where nothing listens (connection refused).
pub fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}
