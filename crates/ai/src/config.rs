//! Provider configuration: which API, where, which model, the key, limits and prices.

use std::fmt;
use std::time::Duration;

/// The two wire protocols we speak. "OpenAI-compatible" covers OpenAI, Azure-style proxies,
/// OpenRouter, Ollama, vLLM, LM Studio and others exposing `/chat/completions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    OpenAiCompatible,
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai_compatible",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// How an OpenAI-compatible server is asked for JSON. Many compatible servers only know
/// `json_object` or ignore the field; output is validated against our schema either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonMode {
    /// `response_format: {type: json_schema, json_schema: {name, schema, strict: true}}`.
    #[default]
    JsonSchema,
    /// `response_format: {type: json_object}`.
    JsonObject,
    /// No `response_format`; rely on the prompt.
    PromptOnly,
}

/// An API key. Its `Debug` prints nothing of the value and it has no `Display` or
/// `Serialize`, so it cannot leak into logs or JSON by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for the one place that builds the auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// Token prices in integer micro-units of the currency (1 USD = 1_000_000) per one million
/// tokens: gpt-4o-mini's $0.15 / $0.60 is `150_000` / `600_000`. Integers so that cost
/// accounting never drifts; micro-units so that a single cheap call does not round to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Price {
    pub input_micros_per_mtok: i64,
    pub output_micros_per_mtok: i64,
}

impl Price {
    /// Cost in micro-units, rounded up so spend is never under-counted.
    pub fn cost_micros(&self, input_tokens: u64, output_tokens: u64) -> i64 {
        let raw = i128::from(input_tokens) * i128::from(self.input_micros_per_mtok.max(0))
            + i128::from(output_tokens) * i128::from(self.output_micros_per_mtok.max(0));
        let micros = (raw + 999_999) / 1_000_000;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }
}

/// Everything needed to talk to one provider. Built by the app from workspace or global
/// settings (the key decrypted just before use).
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// OpenAI-compatible: the API root *including* the version segment, as in the official
    /// SDKs (`https://api.openai.com/v1`, `http://localhost:11434/v1`); we append
    /// `/chat/completions`. Anthropic: the host root (`https://api.anthropic.com`); we append
    /// `/v1/messages`.
    pub base_url: String,
    pub model: String,
    pub api_key: Secret,
    /// Per HTTP attempt, connect to last byte.
    pub timeout: Duration,
    /// Retries after the first attempt for 429, 5xx, timeouts and connection errors.
    pub max_retries: u32,
    /// First backoff step; doubles per retry with jitter, capped by `retry_cap`.
    pub retry_base: Duration,
    /// Longest wait between attempts, also the cap for a server's `Retry-After`.
    pub retry_cap: Duration,
    pub json_mode: JsonMode,
    pub price: Price,
}

impl ProviderConfig {
    /// OpenAI defaults: `https://api.openai.com/v1`, 60 s timeout, 2 retries.
    pub fn openai(model: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        ProviderConfig {
            kind: ProviderKind::OpenAiCompatible,
            base_url: "https://api.openai.com/v1".into(),
            model: model.into(),
            api_key: api_key.into(),
            timeout: Duration::from_secs(60),
            max_retries: 2,
            retry_base: Duration::from_millis(500),
            retry_cap: Duration::from_secs(30),
            json_mode: JsonMode::JsonSchema,
            price: Price::default(),
        }
    }

    /// Anthropic defaults: `https://api.anthropic.com`, 60 s timeout, 2 retries.
    pub fn anthropic(model: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        ProviderConfig {
            kind: ProviderKind::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            ..ProviderConfig::openai(model, api_key)
        }
    }

    /// Full endpoint URL for this provider.
    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match self.kind {
            ProviderKind::OpenAiCompatible => format!("{base}/chat/completions"),
            ProviderKind::Anthropic => format!("{base}/v1/messages"),
        }
    }
}
