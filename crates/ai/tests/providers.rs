//! The HTTP clients against a loopback stand-in that checks each API's documented request
//! shape (path, auth and version headers, content type, body fields) and answers with the
//! documented response and error bodies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prospector_ai::{
    AiError, AnalysisSource, BusinessFacts, FixedBudget, HttpLlmClient, JsonRequest, LlmClient,
    MemoryCache, Price, ProviderConfig, ProviderKind, Secret, analyze_business,
};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-test-123";
const ANTHROPIC_KEY: &str = "ak-test-456";

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

#[derive(Debug, Clone)]
struct Seen {
    body: Value,
}

#[derive(Clone)]
struct StandIn {
    kind: ProviderKind,
    script: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    violations: Arc<Mutex<Vec<String>>>,
}

impl StandIn {
    fn calls(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or(0)
    }
    fn bodies(&self) -> Vec<Value> {
        self.seen
            .lock()
            .map(|s| s.iter().map(|x| x.body.clone()).collect())
            .unwrap_or_default()
    }
    fn assert_clean(&self) {
        let v = self
            .violations
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default();
        assert!(v.is_empty(), "request shape violations: {v:#?}");
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Every rule of the documented request shape; returns the list of broken ones.
fn check_request(
    kind: ProviderKind,
    method: &Method,
    uri: &Uri,
    h: &HeaderMap,
    body: &Value,
) -> Vec<String> {
    let mut bad = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            bad.push(what.to_owned());
        }
    };
    need(method == Method::POST, "method must be POST");
    need(
        header(h, "content-type").is_some_and(|c| c.starts_with("application/json")),
        "content-type must be application/json",
    );
    need(
        body.get("model")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty()),
        "body.model string",
    );
    need(
        body.get("max_tokens")
            .and_then(Value::as_u64)
            .is_some_and(|m| m >= 1),
        "body.max_tokens >= 1",
    );
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    need(!messages.is_empty(), "body.messages non-empty array");
    need(
        messages.iter().all(|m| {
            m.get("content")
                .and_then(Value::as_str)
                .is_some_and(|c| !c.is_empty())
        }),
        "every message has non-empty string content",
    );
    let roles: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.get("role").and_then(Value::as_str))
        .collect();
    match kind {
        ProviderKind::OpenAiCompatible => {
            need(
                uri.path() == "/v1/chat/completions",
                "path must be /v1/chat/completions",
            );
            need(
                header(h, "authorization") == Some(&format!("Bearer {OPENAI_KEY}")),
                "Authorization: Bearer <key>",
            );
            need(h.get("x-api-key").is_none(), "no x-api-key for OpenAI");
            need(
                roles.first() == Some(&"system"),
                "first message is the system message",
            );
            need(
                roles
                    .iter()
                    .all(|r| ["system", "user", "assistant"].contains(r)),
                "roles system/user/assistant",
            );
            let rf = body.get("response_format");
            need(
                rf.and_then(|r| r.get("type")).and_then(Value::as_str) == Some("json_schema"),
                "response_format.type json_schema",
            );
            let js = rf.and_then(|r| r.get("json_schema"));
            need(
                js.and_then(|j| j.get("name"))
                    .and_then(Value::as_str)
                    .is_some_and(|n| {
                        !n.is_empty()
                            && n.len() <= 64
                            && n.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    }),
                "json_schema.name [a-zA-Z0-9_-]{1,64}",
            );
            need(
                js.and_then(|j| j.get("schema"))
                    .is_some_and(Value::is_object),
                "json_schema.schema object",
            );
            need(
                js.and_then(|j| j.get("strict")) == Some(&Value::Bool(true)),
                "json_schema.strict true",
            );
        }
        ProviderKind::Anthropic => {
            need(uri.path() == "/v1/messages", "path must be /v1/messages");
            need(
                header(h, "x-api-key") == Some(ANTHROPIC_KEY),
                "x-api-key: <key>",
            );
            need(
                header(h, "anthropic-version") == Some("2023-06-01"),
                "anthropic-version: 2023-06-01",
            );
            need(
                h.get("authorization").is_none(),
                "no Authorization header for Anthropic",
            );
            need(
                body.get("system")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "top-level system string",
            );
            need(roles.first() == Some(&"user"), "messages start with user");
            need(
                roles
                    .iter()
                    .enumerate()
                    .all(|(i, r)| *r == if i % 2 == 0 { "user" } else { "assistant" }),
                "roles alternate user/assistant, no system role",
            );
        }
    }
    bad
}

async fn handle(
    State(s): State<StandIn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let problems = check_request(s.kind, &method, &uri, &headers, &body);
    if let Ok(mut seen) = s.seen.lock() {
        seen.push(Seen { body });
    }
    if !problems.is_empty() {
        if let Ok(mut v) = s.violations.lock() {
            v.extend(problems.iter().cloned());
        }
        return (StatusCode::IM_A_TEAPOT, problems.join("; ")).into_response();
    }
    let next = s.script.lock().ok().and_then(|mut q| q.pop_front());
    let Some(r) = next else {
        return (StatusCode::IM_A_TEAPOT, "script exhausted").into_response();
    };
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        r.body,
    )
        .into_response();
    resp.headers_mut().insert(
        "content-type",
        "application/json"
            .parse()
            .unwrap_or_else(|_| unreachable!()),
    );
    for (k, v) in r.headers {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

async fn start(kind: ProviderKind, script: Vec<Reply>) -> anyhow::Result<(StandIn, String)> {
    let state = StandIn {
        kind,
        script: Arc::new(Mutex::new(script.into())),
        seen: Arc::default(),
        violations: Arc::default(),
    };
    let app = Router::new().fallback(handle).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = match kind {
        ProviderKind::OpenAiCompatible => format!("http://{addr}/v1"),
        ProviderKind::Anthropic => format!("http://{addr}"),
    };
    Ok((state, base))
}

fn config(kind: ProviderKind, base: &str) -> ProviderConfig {
    let mut c = match kind {
        ProviderKind::OpenAiCompatible => ProviderConfig::openai("gpt-test", OPENAI_KEY),
        ProviderKind::Anthropic => ProviderConfig::anthropic("claude-test", ANTHROPIC_KEY),
    };
    c.base_url = base.to_owned();
    c.timeout = Duration::from_secs(5);
    c.max_retries = 2;
    c.retry_base = Duration::from_millis(10);
    c.retry_cap = Duration::from_secs(3);
    // $0.15 / $0.60 per million tokens.
    c.price = Price {
        input_micros_per_mtok: 150_000,
        output_micros_per_mtok: 600_000,
    };
    c
}

/// The documented success envelope carrying `content` as the model's text.
fn ok(kind: ProviderKind, content: &str, input: u64, output: u64) -> Reply {
    let body = match kind {
        ProviderKind::OpenAiCompatible => json!({
            "id": "chatcmpl-abc", "object": "chat.completion", "created": 1_730_000_000, "model": "gpt-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}
        }),
        ProviderKind::Anthropic => json!({
            "id": "msg_01abc", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": content}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output}
        }),
    };
    reply(200, body)
}

fn error(kind: ProviderKind, status: u16, typ: &str, message: &str) -> Reply {
    let body = match kind {
        ProviderKind::OpenAiCompatible => {
            json!({"error": {"message": message, "type": typ, "param": null, "code": typ}})
        }
        ProviderKind::Anthropic => {
            json!({"type": "error", "error": {"type": typ, "message": message}, "request_id": "req_011"})
        }
    };
    reply(status, body)
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {"summary": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["summary", "tags"],
        "additionalProperties": false
    })
}

fn request() -> JsonRequest {
    JsonRequest {
        name: "test_summary".into(),
        system: "Summarise the business.".into(),
        user: "Business: Rosa's Trattoria".into(),
        schema: schema(),
        max_tokens: 300,
    }
}

const GOOD: &str = r#"{"summary":"An Italian restaurant.","tags":["restaurant"]}"#;
const KINDS: [ProviderKind; 2] = [ProviderKind::OpenAiCompatible, ProviderKind::Anthropic];

#[tokio::test]
async fn happy_path_checks_shape_and_accounts_usage() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(kind, vec![ok(kind, GOOD, 1200, 80)]).await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let resp = client.complete_json(request()).await?;
        stand.assert_clean();
        assert_eq!(stand.calls(), 1);
        assert_eq!(resp.value["summary"], "An Italian restaurant.");
        assert_eq!(resp.usage.input_tokens, 1200);
        assert_eq!(resp.usage.output_tokens, 80);
        // 1200 * 0.15 + 80 * 0.60 = 180 + 48 micro-dollars.
        assert_eq!(resp.usage.cost_micros, 228);
        assert!(!resp.usage.cached && !resp.repaired);
        let body = &stand.bodies()[0];
        assert_eq!(body["max_tokens"], 300);
        let system = match kind {
            ProviderKind::OpenAiCompatible => body["messages"][0]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ProviderKind::Anthropic => body["system"].as_str().unwrap_or_default().to_owned(),
        };
        assert!(system.starts_with("Summarise the business."));
        assert!(
            system.contains("\"required\":[\"summary\",\"tags\"]"),
            "schema is in the prompt too"
        );
    }
    Ok(())
}

#[tokio::test]
async fn rate_limit_honours_retry_after_then_succeeds() -> anyhow::Result<()> {
    for kind in KINDS {
        let typ = if kind == ProviderKind::Anthropic {
            "rate_limit_error"
        } else {
            "rate_limit_exceeded"
        };
        let mut limited = error(kind, 429, typ, "Rate limit reached");
        limited.headers.push(("retry-after", "1".into()));
        let (stand, base) = start(kind, vec![limited, ok(kind, GOOD, 10, 5)]).await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let started = Instant::now();
        let resp = client.complete_json(request()).await?;
        stand.assert_clean();
        assert_eq!(stand.calls(), 2, "{kind:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "waited {:?}",
            started.elapsed()
        );
        assert_eq!(resp.usage.input_tokens, 10);
    }
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(
            kind,
            vec![
                error(kind, 500, "api_error", "Internal server error"),
                error(kind, 529, "overloaded_error", "Overloaded"),
                ok(kind, GOOD, 1, 1),
            ],
        )
        .await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        client.complete_json(request()).await?;
        stand.assert_clean();
        assert_eq!(stand.calls(), 3);
    }
    Ok(())
}

#[tokio::test]
async fn server_errors_give_up_after_max_retries() -> anyhow::Result<()> {
    let kind = ProviderKind::Anthropic;
    let fail = error(kind, 500, "api_error", "Internal server error");
    let (stand, base) = start(kind, vec![fail.clone(), fail.clone(), fail]).await?;
    let client = HttpLlmClient::new(config(kind, &base))?;
    let err = client.complete_json(request()).await.err();
    assert!(
        matches!(
            err,
            Some(AiError::Server {
                status: 500,
                attempts: 3,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(stand.calls(), 3);
    Ok(())
}

#[tokio::test]
async fn client_errors_are_not_retried() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(
            kind,
            vec![
                error(
                    kind,
                    400,
                    "invalid_request_error",
                    "max_tokens: must be greater than 0",
                ),
                ok(kind, GOOD, 1, 1),
            ],
        )
        .await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let err = client.complete_json(request()).await.err();
        stand.assert_clean();
        assert_eq!(stand.calls(), 1);
        match err {
            Some(e @ AiError::Api { status: 400, .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("HTTP 400")
                        && msg.contains("invalid_request_error")
                        && msg.contains("max_tokens"),
                    "{msg}"
                );
            }
            other => panic!("expected Api 400, got {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn insufficient_quota_is_not_retried() -> anyhow::Result<()> {
    let kind = ProviderKind::OpenAiCompatible;
    let (stand, base) = start(
        kind,
        vec![
            error(
                kind,
                429,
                "insufficient_quota",
                "You exceeded your current quota",
            ),
            ok(kind, GOOD, 1, 1),
        ],
    )
    .await?;
    let client = HttpLlmClient::new(config(kind, &base))?;
    let err = client.complete_json(request()).await.err();
    assert!(
        matches!(err, Some(AiError::Api { status: 429, .. })),
        "{err:?}"
    );
    assert_eq!(stand.calls(), 1);
    Ok(())
}

#[tokio::test]
async fn malformed_output_is_repaired_once() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(
            kind,
            vec![
                ok(
                    kind,
                    r#"{"summary": "An Italian restaurant.", "tags": "restaurant"}"#,
                    100,
                    20,
                ),
                ok(kind, GOOD, 150, 20),
            ],
        )
        .await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let resp = client.complete_json(request()).await?;
        stand.assert_clean();
        assert_eq!(stand.calls(), 2);
        assert!(resp.repaired);
        assert_eq!(resp.usage.input_tokens, 250, "usage sums both calls");
        let second = &stand.bodies()[1];
        let msgs = second["messages"].as_array().cloned().unwrap_or_default();
        let last = msgs
            .last()
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default();
        assert!(
            last.contains("$.tags: expected array, got string"),
            "repair request quotes the error: {last}"
        );
        let previous = &msgs[msgs.len() - 2];
        assert_eq!(previous["role"], "assistant");
        assert!(
            previous["content"]
                .as_str()
                .unwrap_or_default()
                .contains("\"tags\": \"restaurant\"")
        );
    }
    Ok(())
}

#[tokio::test]
async fn invalid_twice_is_a_clear_error() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(
            kind,
            vec![
                ok(kind, "Sure, here you go!", 10, 5),
                ok(kind, r#"{"summary": 1}"#, 10, 5),
            ],
        )
        .await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let err = client.complete_json(request()).await.err();
        stand.assert_clean();
        assert_eq!(stand.calls(), 2);
        match err {
            Some(e @ AiError::InvalidOutput(_)) => {
                assert!(
                    e.to_string().contains("missing required property \"tags\""),
                    "{e}"
                );
            }
            other => panic!("expected InvalidOutput, got {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn slow_provider_times_out() -> anyhow::Result<()> {
    let kind = ProviderKind::OpenAiCompatible;
    let mut slow = ok(kind, GOOD, 1, 1);
    slow.delay = Duration::from_secs(3);
    let (stand, base) = start(kind, vec![slow.clone(), slow]).await?;
    let mut cfg = config(kind, &base);
    cfg.timeout = Duration::from_millis(300);
    cfg.max_retries = 1;
    let client = HttpLlmClient::new(cfg)?;
    let started = Instant::now();
    let err = client.complete_json(request()).await.err();
    assert!(
        matches!(err, Some(AiError::Timeout { attempts: 2 })),
        "{err:?}"
    );
    assert_eq!(stand.calls(), 2);
    assert!(started.elapsed() < Duration::from_secs(3));
    Ok(())
}

#[tokio::test]
async fn cache_hit_makes_no_request() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(kind, vec![ok(kind, GOOD, 100, 10)]).await?;
        let cache = Arc::new(MemoryCache::new());
        let client = HttpLlmClient::new(config(kind, &base))?.with_cache(cache.clone());
        let first = client.complete_json(request()).await?;
        let second = client.complete_json(request()).await?;
        assert_eq!(stand.calls(), 1);
        assert_eq!(first.value, second.value);
        assert!(!first.usage.cached && second.usage.cached);
        assert_eq!(second.usage.cost_micros, 0);
        assert_eq!(cache.len(), 1);
        // A different prompt is a different key.
        let mut other = request();
        other.user.push_str(" (Berlin)");
        let err = client.complete_json(other).await.err();
        assert_eq!(stand.calls(), 2, "{err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn exhausted_budget_sends_nothing() -> anyhow::Result<()> {
    for kind in KINDS {
        let (stand, base) = start(kind, vec![ok(kind, GOOD, 1, 1)]).await?;
        let client =
            HttpLlmClient::new(config(kind, &base))?.with_budget(Arc::new(FixedBudget::new(0)));
        let err = client.complete_json(request()).await.err();
        assert!(matches!(err, Some(AiError::BudgetExhausted(_))), "{err:?}");
        assert_eq!(stand.calls(), 0);
    }
    Ok(())
}

#[tokio::test]
async fn budget_records_spend_and_then_refuses() -> anyhow::Result<()> {
    let kind = ProviderKind::Anthropic;
    let (stand, base) = start(
        kind,
        vec![ok(kind, GOOD, 2_000_000, 0), ok(kind, GOOD, 1, 1)],
    )
    .await?;
    // A 0.30 USD allowance: the first call (2M input tokens at 0.15 USD/M) spends all of it,
    // so the second is refused before any request.
    let budget = Arc::new(FixedBudget::new(300_000));
    let client = HttpLlmClient::new(config(kind, &base))?.with_budget(budget.clone());
    client.complete_json(request()).await?;
    assert_eq!(budget.spent_micros(), 300_000);
    let err = client.complete_json(request()).await.err();
    assert!(matches!(err, Some(AiError::BudgetExhausted(_))), "{err:?}");
    assert_eq!(stand.calls(), 1);
    Ok(())
}

#[tokio::test]
async fn analysis_through_a_provider() -> anyhow::Result<()> {
    let kind = ProviderKind::Anthropic;
    let answer = json!({
        "summary": "Rosa's Trattoria is a well-loved Italian restaurant in Pune without a website.",
        "pain_points": ["No website", "  "],
        "hooks": ["4.6 stars from 210 reviews"],
        "opening_line": "Congrats on 210 reviews at 4.6 stars; I noticed you don't have a website yet."
    });
    let (stand, base) = start(kind, vec![ok(kind, &answer.to_string(), 500, 120)]).await?;
    let client = HttpLlmClient::new(config(kind, &base))?;
    let facts = BusinessFacts {
        name: "Rosa's Trattoria".into(),
        category: Some("Restaurant".into()),
        city: Some("Pune".into()),
        rating: Some(4.6),
        review_count: Some(210),
        ..BusinessFacts::default()
    };
    let a = analyze_business(Some(&client as &dyn LlmClient), &facts).await?;
    stand.assert_clean();
    assert_eq!(a.source, AnalysisSource::Ai);
    assert_eq!(
        a.pain_points,
        vec!["No website".to_owned()],
        "blank items dropped"
    );
    assert!(a.opening_line.starts_with("Congrats"));
    assert_eq!(a.usage.input_tokens, 500);
    let user = stand.bodies()[0]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        user.contains("Business: Rosa's Trattoria")
            && user.contains("- Rating: 4.6 stars from 210 reviews"),
        "{user}"
    );
    Ok(())
}

#[tokio::test]
async fn malformed_json_envelope_is_a_clear_error() -> anyhow::Result<()> {
    for kind in KINDS {
        let broken = Reply {
            status: 200,
            headers: Vec::new(),
            body: r#"{"id": "x", "choices": [{"message": {"content": "#.into(),
            delay: Duration::ZERO,
        };
        // A 2xx envelope that is JSON but not the documented shape.
        let wrong_shape = reply(200, json!({"id": "x", "object": "unexpected"}));
        let (stand, base) = start(kind, vec![broken, wrong_shape]).await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let err = client.complete_json(request()).await.err();
        assert!(
            matches!(&err, Some(AiError::BadResponse(m)) if m.contains("not JSON")),
            "{kind:?}: {err:?}"
        );
        assert_eq!(stand.calls(), 1, "a malformed 2xx answer is not retried");
        let err = client.complete_json(request()).await.err();
        assert!(matches!(err, Some(AiError::BadResponse(_))), "{err:?}");
        stand.assert_clean();
    }
    Ok(())
}

#[tokio::test]
async fn non_json_server_error_is_retried_and_reported() -> anyhow::Result<()> {
    for kind in KINDS {
        let html = Reply {
            status: 502,
            headers: Vec::new(),
            body: "<html><body>Bad gateway</body></html>".into(),
            delay: Duration::ZERO,
        };
        let (stand, base) = start(kind, vec![html.clone(), html.clone(), html]).await?;
        let client = HttpLlmClient::new(config(kind, &base))?;
        let err = client.complete_json(request()).await.err();
        match err {
            Some(
                e @ AiError::Server {
                    status: 502,
                    attempts: 3,
                    ..
                },
            ) => {
                assert!(e.to_string().contains("Bad gateway"), "{e}");
            }
            other => panic!("{kind:?}: expected Server 502, got {other:?}"),
        }
        assert_eq!(stand.calls(), 3);
        stand.assert_clean();
    }
    Ok(())
}

/// Records every usage report, as the app's `api_usage` does.
#[derive(Default)]
struct Recorder {
    rows: Mutex<Vec<prospector_ai::UsageRecord>>,
}

impl prospector_ai::Budget for Recorder {
    fn check<'a>(
        &'a self,
        _call: &'a prospector_ai::CallEstimate,
    ) -> prospector_ai::BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
    fn record<'a>(
        &'a self,
        usage: &'a prospector_ai::UsageRecord,
    ) -> prospector_ai::BoxFuture<'a, ()> {
        if let Ok(mut r) = self.rows.lock() {
            r.push(usage.clone());
        }
        Box::pin(async {})
    }
}

#[tokio::test]
async fn usage_is_reported_for_calls_repairs_and_cache_hits() -> anyhow::Result<()> {
    let kind = ProviderKind::OpenAiCompatible;
    let (stand, base) = start(
        kind,
        vec![ok(kind, "not json", 100, 10), ok(kind, GOOD, 120, 12)],
    )
    .await?;
    let rec = Arc::new(Recorder::default());
    let client = HttpLlmClient::new(config(kind, &base))?
        .with_cache(Arc::new(MemoryCache::new()))
        .with_budget(rec.clone());
    client.complete_json(request()).await?;
    client.complete_json(request()).await?;
    assert_eq!(stand.calls(), 2);
    let rows = rec.rows.lock().map(|r| r.clone()).unwrap_or_default();
    let seen: Vec<(u64, bool, &str)> = rows
        .iter()
        .map(|r| (r.input_tokens, r.cached, r.feature.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (100, false, "test_summary"),
            (120, false, "test_summary"),
            (0, true, "test_summary")
        ]
    );
    assert_eq!(rows[2].cost_micros, 0);
    Ok(())
}

#[test]
fn secret_debug_prints_nothing() {
    let cfg = ProviderConfig::openai("gpt-test", Secret::new("sk-very-secret"));
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    assert!(
        HttpLlmClient::new(ProviderConfig {
            base_url: "ftp://x".into(),
            ..cfg
        })
        .is_err()
    );
}
