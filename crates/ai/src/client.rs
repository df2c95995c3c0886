//! The LLM client: one HTTP implementation speaking both wire protocols, with retries,
//! schema-checked JSON output and one repair round, a cache and a budget gate.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use crate::cache::{BoxFuture, Budget, Cache, CallEstimate, UsageRecord, cache_key};
use crate::config::{JsonMode, ProviderConfig, ProviderKind};
use crate::error::AiError;
use crate::schema;

/// The `anthropic-version` header value we implement against.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// One structured-output request.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRequest {
    /// Short identifier (`business_analysis`): the OpenAI `json_schema.name` and a log field.
    pub name: String,
    pub system: String,
    pub user: String,
    /// JSON Schema of the expected object (see [`crate::schema`] for the supported subset).
    pub schema: Value,
    pub max_tokens: u32,
}

/// Tokens and money one response consumed. Cache hits report zero tokens and zero cost with
/// `cached: true`: nothing was spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Micro-units of the price currency (1 USD = 1_000_000); see [`crate::Price`].
    pub cost_micros: i64,
    pub cached: bool,
}

impl Usage {
    /// Cost in the currency's minor units (cents for `exponent` 2), rounded up.
    pub fn cost_minor_units(&self, exponent: u32) -> i64 {
        let per_minor = 10_i64.pow(6_u32.saturating_sub(exponent.min(6)));
        self.cost_micros.saturating_add(per_minor - 1) / per_minor
    }

    fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_micros = self.cost_micros.saturating_add(other.cost_micros);
    }
}

/// A validated JSON answer.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonResponse {
    pub value: Value,
    /// Summed over the first call and the repair call when there was one.
    pub usage: Usage,
    pub provider: ProviderKind,
    pub model: String,
    /// True when the first output was invalid and the repair call fixed it.
    pub repaired: bool,
}

/// Anything that turns a [`JsonRequest`] into schema-valid JSON. Object-safe (boxed future)
/// so features take `Option<&dyn LlmClient>` and tests can substitute their own.
pub trait LlmClient: Send + Sync {
    fn provider(&self) -> ProviderKind;
    fn model(&self) -> &str;
    fn complete_json<'a>(
        &'a self,
        req: JsonRequest,
    ) -> BoxFuture<'a, Result<JsonResponse, AiError>>;
}

#[derive(Debug, Clone, Serialize)]
struct Message {
    role: &'static str,
    content: String,
}

/// What one successful HTTP exchange returned.
struct Exchange {
    text: String,
    usage: Usage,
}

/// Outcome of one HTTP attempt that did not succeed.
enum Failure {
    Retry {
        err: AiError,
        wait: Option<Duration>,
    },
    Fatal(AiError),
}

/// HTTP client for an OpenAI-compatible or Anthropic endpoint.
pub struct HttpLlmClient {
    config: ProviderConfig,
    http: reqwest::Client,
    cache: Option<Arc<dyn Cache>>,
    budget: Option<Arc<dyn Budget>>,
}

impl std::fmt::Debug for HttpLlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpLlmClient")
            .field("config", &self.config)
            .field("cache", &self.cache.is_some())
            .field("budget", &self.budget.is_some())
            .finish()
    }
}

impl HttpLlmClient {
    pub fn new(config: ProviderConfig) -> Result<Self, AiError> {
        if config.model.trim().is_empty() {
            return Err(AiError::Config("model is empty".into()));
        }
        let base = config.base_url.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(AiError::Config(format!(
                "base URL must start with http:// or https:// (got {base:?})"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("prospector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AiError::Config(format!("HTTP client: {e}")))?;
        Ok(HttpLlmClient {
            config,
            http,
            cache: None,
            budget: None,
        })
    }

    pub fn with_cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = Some(cache);
        self
    }

    pub fn with_budget(mut self, budget: Arc<dyn Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    fn headers(&self) -> Result<HeaderMap, AiError> {
        let bad_key =
            |_| AiError::Config("API key contains characters not allowed in a header".into());
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match self.config.kind {
            ProviderKind::OpenAiCompatible => {
                if !self.config.api_key.is_empty() {
                    let mut v =
                        HeaderValue::from_str(&format!("Bearer {}", self.config.api_key.expose()))
                            .map_err(bad_key)?;
                    v.set_sensitive(true);
                    h.insert(reqwest::header::AUTHORIZATION, v);
                }
            }
            ProviderKind::Anthropic => {
                let mut v = HeaderValue::from_str(self.config.api_key.expose()).map_err(bad_key)?;
                v.set_sensitive(true);
                h.insert("x-api-key", v);
                h.insert(
                    "anthropic-version",
                    HeaderValue::from_static(ANTHROPIC_VERSION),
                );
            }
        }
        Ok(h)
    }

    fn body(&self, req: &JsonRequest, system: &str, messages: &[Message]) -> Value {
        match self.config.kind {
            ProviderKind::OpenAiCompatible => {
                let mut all = Vec::with_capacity(messages.len() + 1);
                all.push(Message {
                    role: "system",
                    content: system.to_owned(),
                });
                all.extend_from_slice(messages);
                let mut body = json!({
                    "model": self.config.model,
                    "messages": all,
                    "max_tokens": req.max_tokens,
                    "temperature": 0,
                });
                let format = match self.config.json_mode {
                    JsonMode::JsonSchema => Some(json!({
                        "type": "json_schema",
                        "json_schema": {
                            "name": schema_name(&req.name),
                            "schema": req.schema,
                            "strict": true,
                        }
                    })),
                    JsonMode::JsonObject => Some(json!({"type": "json_object"})),
                    JsonMode::PromptOnly => None,
                };
                if let (Some(f), Some(obj)) = (format, body.as_object_mut()) {
                    obj.insert("response_format".into(), f);
                }
                body
            }
            ProviderKind::Anthropic => json!({
                "model": self.config.model,
                "max_tokens": req.max_tokens,
                "system": system,
                "messages": messages,
                "temperature": 0,
            }),
        }
    }

    /// One logical call: POST with retries, then extract the text and usage.
    async fn exchange(
        &self,
        req: &JsonRequest,
        system: &str,
        messages: &[Message],
    ) -> Result<Exchange, AiError> {
        let url = self.config.endpoint();
        let headers = self.headers()?;
        let body = self.body(req, system, messages);
        let max_attempts = self.config.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(&url, &headers, &body, attempt).await;
            let (err, wait) = match outcome {
                Ok(envelope) => return self.extract(req, &envelope),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry { err, wait }) => (err, wait),
            };
            if attempt >= max_attempts {
                warn!(provider = self.config.kind.as_str(), model = %self.config.model, attempt, error = %err, "AI call failed, no retries left");
                return Err(err);
            }
            let cap = self.config.retry_cap;
            let delay = match wait {
                Some(w) => w.min(cap),
                None => backoff(attempt, self.config.retry_base, cap),
            };
            warn!(provider = self.config.kind.as_str(), model = %self.config.model, attempt, delay_ms = delay.as_millis() as u64, error = %err, "AI call failed, retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        attempt: u32,
    ) -> Result<Value, Failure> {
        let sent = self
            .http
            .post(url)
            .headers(headers.clone())
            .json(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(transport_failure(&e, attempt)),
        };
        let status = resp.status();
        let wait = retry_after(resp.headers());
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => return Err(transport_failure(&e, attempt)),
        };
        debug!(
            provider = self.config.kind.as_str(),
            status = status.as_u16(),
            attempt,
            bytes = text.len(),
            "AI response"
        );
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                Failure::Fatal(AiError::BadResponse(format!("body is not JSON: {e}")))
            });
        }
        let (kind, message) = error_details(&text);
        let code = status.as_u16();
        if code == 429 {
            // OpenAI signals an empty account with 429 too; waiting will not refill it.
            if kind == "insufficient_quota" {
                return Err(Failure::Fatal(AiError::Api {
                    status: code,
                    kind,
                    message,
                }));
            }
            return Err(Failure::Retry {
                err: AiError::RateLimited { attempts: attempt },
                wait,
            });
        }
        if status.is_server_error() {
            return Err(Failure::Retry {
                err: AiError::Server {
                    status: code,
                    attempts: attempt,
                    message,
                },
                wait,
            });
        }
        Err(Failure::Fatal(AiError::Api {
            status: code,
            kind,
            message,
        }))
    }

    /// Pulls the model text and token usage out of the documented response envelope.
    fn extract(&self, req: &JsonRequest, envelope: &Value) -> Result<Exchange, AiError> {
        let (text, input, output) = match self.config.kind {
            ProviderKind::OpenAiCompatible => {
                let choice = envelope
                    .pointer("/choices/0")
                    .ok_or_else(|| AiError::BadResponse("no choices[0]".into()))?;
                if let Some(refusal) = choice.pointer("/message/refusal").and_then(Value::as_str) {
                    return Err(AiError::Refused(refusal.to_owned()));
                }
                if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
                    return Err(AiError::Truncated {
                        max_tokens: req.max_tokens,
                    });
                }
                let text = choice
                    .pointer("/message/content")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        AiError::BadResponse("choices[0].message.content is not a string".into())
                    })?
                    .to_owned();
                let usage = envelope.get("usage");
                let tokens = |k: &str| {
                    usage
                        .and_then(|u| u.get(k))
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                };
                (text, tokens("prompt_tokens"), tokens("completion_tokens"))
            }
            ProviderKind::Anthropic => {
                if envelope.get("stop_reason").and_then(Value::as_str) == Some("max_tokens") {
                    return Err(AiError::Truncated {
                        max_tokens: req.max_tokens,
                    });
                }
                let blocks = envelope
                    .get("content")
                    .and_then(Value::as_array)
                    .ok_or_else(|| AiError::BadResponse("no content[] array".into()))?;
                let text: String = blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect();
                let usage = envelope.get("usage");
                let tokens = |k: &str| {
                    usage
                        .and_then(|u| u.get(k))
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                };
                (text, tokens("input_tokens"), tokens("output_tokens"))
            }
        };
        let usage = Usage {
            input_tokens: input,
            output_tokens: output,
            cost_micros: self.config.price.cost_micros(input, output),
            cached: false,
        };
        Ok(Exchange { text, usage })
    }

    async fn check_budget(
        &self,
        system: &str,
        messages: &[Message],
        max_tokens: u32,
    ) -> Result<(), AiError> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        let chars = system.len() + messages.iter().map(|m| m.content.len()).sum::<usize>();
        let estimated_input_tokens = (chars as u64).div_ceil(4);
        let estimate = CallEstimate {
            provider: self.config.kind,
            model: self.config.model.clone(),
            estimated_input_tokens,
            max_output_tokens: max_tokens,
            max_cost_micros: self
                .config
                .price
                .cost_micros(estimated_input_tokens, u64::from(max_tokens)),
        };
        budget.check(&estimate).await.map_err(|reason| {
            info!(provider = self.config.kind.as_str(), model = %self.config.model, %reason, "AI call refused by budget");
            AiError::BudgetExhausted(reason)
        })
    }

    async fn record(&self, feature: &str, usage: Usage) {
        if let Some(budget) = &self.budget {
            let record = UsageRecord {
                provider: self.config.kind,
                model: self.config.model.clone(),
                feature: feature.to_owned(),
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                cost_micros: usage.cost_micros,
                cached: usage.cached,
            };
            budget.record(&record).await;
        }
    }

    async fn run(&self, req: JsonRequest) -> Result<JsonResponse, AiError> {
        let system = format!(
            "{}\n\nReply with one JSON object only: no prose, no code fences. It must match this JSON Schema:\n{}",
            req.system.trim_end(),
            req.schema
        );
        let key = cache_key(
            self.config.kind,
            &self.config.model,
            &system,
            &req.user,
            &req.schema,
        );
        if let Some(cache) = &self.cache
            && let Some(value) = cache.get(&key).await
            && schema::validate(&req.schema, &value).is_ok()
        {
            info!(provider = self.config.kind.as_str(), model = %self.config.model, request = %req.name, cached = true, "AI call served from cache");
            let usage = Usage {
                cached: true,
                ..Usage::default()
            };
            self.record(&req.name, usage).await;
            return Ok(JsonResponse {
                value,
                usage,
                provider: self.config.kind,
                model: self.config.model.clone(),
                repaired: false,
            });
        }

        let mut messages = vec![Message {
            role: "user",
            content: req.user.clone(),
        }];
        let mut usage = Usage::default();
        for round in 0..2 {
            self.check_budget(&system, &messages, req.max_tokens)
                .await?;
            let ex = self.exchange(&req, &system, &messages).await?;
            self.record(&req.name, ex.usage).await;
            usage.add(ex.usage);
            info!(
                provider = self.config.kind.as_str(),
                model = %self.config.model,
                request = %req.name,
                round,
                input_tokens = ex.usage.input_tokens,
                output_tokens = ex.usage.output_tokens,
                cost_micros = ex.usage.cost_micros,
                "AI call answered"
            );
            match parse_output(&ex.text, &req.schema) {
                Ok(value) => {
                    if let Some(cache) = &self.cache {
                        cache.put(&key, &value).await;
                    }
                    return Ok(JsonResponse {
                        value,
                        usage,
                        provider: self.config.kind,
                        model: self.config.model.clone(),
                        repaired: round > 0,
                    });
                }
                Err(problem) if round == 0 => {
                    warn!(provider = self.config.kind.as_str(), request = %req.name, %problem, "AI output invalid, asking for a repair");
                    let previous = if ex.text.trim().is_empty() {
                        "(empty reply)".to_owned()
                    } else {
                        ex.text
                    };
                    messages.push(Message {
                        role: "assistant",
                        content: previous,
                    });
                    messages.push(Message {
                        role: "user",
                        content: repair_prompt(&problem),
                    });
                }
                Err(problem) => {
                    warn!(provider = self.config.kind.as_str(), request = %req.name, %problem, "AI output still invalid after repair");
                    return Err(AiError::InvalidOutput(problem));
                }
            }
        }
        Err(AiError::InvalidOutput("no valid output".into()))
    }
}

impl LlmClient for HttpLlmClient {
    fn provider(&self) -> ProviderKind {
        self.config.kind
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn complete_json<'a>(
        &'a self,
        req: JsonRequest,
    ) -> BoxFuture<'a, Result<JsonResponse, AiError>> {
        Box::pin(self.run(req))
    }
}

/// The follow-up message of the single repair round; quotes the validator's finding.
pub fn repair_prompt(problem: &str) -> String {
    format!(
        "Your previous reply was not valid: {problem}. Reply again with only the corrected JSON object that matches the schema."
    )
}

/// Parses model text as JSON (tolerating code fences or a sentence around the object) and
/// validates it against the schema. The error text is what the repair prompt quotes.
pub fn parse_output(text: &str, schema_value: &Value) -> Result<Value, String> {
    let trimmed = strip_fences(text.trim());
    let value: Value = match serde_json::from_str(trimmed) {
        Ok(v) => v,
        Err(first) => {
            let inner = match (trimmed.find('{'), trimmed.rfind('}')) {
                (Some(a), Some(b)) if a < b => &trimmed[a..=b],
                _ => return Err(format!("not JSON ({first})")),
            };
            serde_json::from_str(inner).map_err(|_| format!("not JSON ({first})"))?
        }
    };
    schema::validate(schema_value, &value)?;
    Ok(value)
}

fn strip_fences(t: &str) -> &str {
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

/// `json_schema.name` must match `[a-zA-Z0-9_-]{1,64}`.
fn schema_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "output".into()
    } else {
        cleaned
    }
}

fn transport_failure(e: &reqwest::Error, attempt: u32) -> Failure {
    if e.is_builder() {
        return Failure::Fatal(AiError::Config(e.to_string()));
    }
    let err = if e.is_timeout() {
        AiError::Timeout { attempts: attempt }
    } else {
        AiError::Transport {
            attempts: attempt,
            message: e.to_string(),
        }
    };
    Failure::Retry { err, wait: None }
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds; HTTP dates fall back to backoff.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms.min(86_400_000.0) as u64));
    }
    get("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_millis((s.min(86_400.0) * 1000.0) as u64))
}

/// `(kind, message)` from either provider's error body: OpenAI
/// `{"error":{"message","type","code"}}`, Anthropic `{"type":"error","error":{"type","message"}}`.
fn error_details(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = v.get("error");
    let field = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let kind = field("code")
        .or_else(|| field("type"))
        .unwrap_or_else(|| "unknown".into());
    let message = field("message").unwrap_or_else(|| {
        let snippet: String = body.chars().take(200).collect();
        if snippet.is_empty() {
            "(empty body)".into()
        } else {
            snippet
        }
    });
    (kind, message)
}

fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let to_ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let ms = prospector_core::backoff::retry_delay(
        attempt,
        to_ms(base),
        to_ms(cap),
        rand::random::<f64>(),
    );
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_code_fences_and_prose() {
        let schema = json!({"type": "object", "required": ["a"]});
        assert_eq!(
            parse_output("```json\n{\"a\":1}\n```", &schema),
            Ok(json!({"a": 1}))
        );
        assert_eq!(
            parse_output("Sure! {\"a\":1} Hope it helps", &schema),
            Ok(json!({"a": 1}))
        );
        assert!(
            parse_output("{\"a\":", &schema)
                .unwrap_err()
                .starts_with("not JSON")
        );
        assert_eq!(
            parse_output("{}", &schema),
            Err("$: missing required property \"a\"".into())
        );
    }

    #[test]
    fn schema_names_are_sanitised() {
        assert_eq!(schema_name("business analysis!"), "business_analysis_");
        assert_eq!(schema_name(""), "output");
    }

    #[test]
    fn minor_units_round_up() {
        let u = Usage {
            cost_micros: 12_345,
            ..Usage::default()
        };
        assert_eq!(u.cost_minor_units(2), 2);
        assert_eq!(u.cost_minor_units(0), 1);
        assert_eq!(Usage::default().cost_minor_units(2), 0);
    }

    #[test]
    fn error_details_read_both_shapes() {
        let (k, m) = error_details(
            r#"{"error":{"message":"bad","type":"invalid_request_error","code":null}}"#,
        );
        assert_eq!((k.as_str(), m.as_str()), ("invalid_request_error", "bad"));
        let (k, m) = error_details(
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#,
        );
        assert_eq!((k.as_str(), m.as_str()), ("rate_limit_error", "slow"));
        let (k, _) = error_details("<html>");
        assert_eq!(k, "unknown");
    }
}
