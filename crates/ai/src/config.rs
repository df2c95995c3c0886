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

/// Prices per model: the built-in list of well-known public list prices, overridden and
/// extended by configuration (`PROSPECTOR_AI_PRICES`). A model matches the longest entry
/// that is a prefix of its name, so `gpt-4o-mini-2024-07-18` finds `gpt-4o-mini`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceTable {
    entries: Vec<(String, Price)>,
}

/// List prices in USD per million tokens (input, output) when this table was written; an
/// operator whose contract differs sets `PROSPECTOR_AI_PRICES`.
const BUILT_IN: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-haiku-4", 1.00, 5.00),
];

fn micros(usd_per_mtok: f64) -> i64 {
    (usd_per_mtok * 1_000_000.0).round() as i64
}

impl PriceTable {
    /// The built-in list only.
    pub fn built_in() -> Self {
        PriceTable {
            entries: BUILT_IN
                .iter()
                .map(|(m, i, o)| {
                    (
                        (*m).to_owned(),
                        Price {
                            input_micros_per_mtok: micros(*i),
                            output_micros_per_mtok: micros(*o),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The built-in list with `spec` on top: `model=INPUT/OUTPUT` entries separated by `,` or
    /// `;`, prices in currency units per million tokens (`gpt-4o-mini=0.15/0.60`).
    pub fn with_overrides(spec: &str) -> Result<Self, String> {
        let mut t = PriceTable::built_in();
        for entry in spec
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (model, prices) = entry
                .split_once('=')
                .ok_or_else(|| format!("'{entry}': expected model=INPUT/OUTPUT"))?;
            let (i, o) = prices
                .split_once('/')
                .ok_or_else(|| format!("'{entry}': expected model=INPUT/OUTPUT"))?;
            let num = |v: &str| -> Result<f64, String> {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1_000_000.0)
                    .ok_or_else(|| format!("'{entry}': '{}' is not a price", v.trim()))
            };
            let model = model.trim();
            if model.is_empty() {
                return Err(format!("'{entry}': the model name is empty"));
            }
            let price = Price {
                input_micros_per_mtok: micros(num(i)?),
                output_micros_per_mtok: micros(num(o)?),
            };
            t.entries.retain(|(m, _)| m != model);
            t.entries.push((model.to_owned(), price));
        }
        Ok(t)
    }

    /// The price of `model`, `None` when no entry matches.
    pub fn lookup(&self, model: &str) -> Option<Price> {
        self.entries
            .iter()
            .filter(|(m, _)| model.starts_with(m.as_str()))
            .max_by_key(|(m, _)| m.len())
            .map(|(_, p)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_overrides_replace() -> Result<(), String> {
        let t = PriceTable::built_in();
        assert_eq!(
            t.lookup("gpt-4o-mini-2024-07-18"),
            Some(Price {
                input_micros_per_mtok: 150_000,
                output_micros_per_mtok: 600_000
            })
        );
        assert_eq!(
            t.lookup("gpt-4o-2024-08-06")
                .map(|p| p.input_micros_per_mtok),
            Some(2_500_000)
        );
        assert_eq!(t.lookup("llama3.1:8b"), None);
        let t = PriceTable::with_overrides("gpt-4o-mini=0.2/0.8; llama3=0/0")?;
        assert_eq!(
            t.lookup("gpt-4o-mini").map(|p| p.output_micros_per_mtok),
            Some(800_000)
        );
        assert_eq!(t.lookup("llama3.1:8b"), Some(Price::default()));
        assert!(PriceTable::with_overrides("gpt=abc/1").is_err());
        assert!(PriceTable::with_overrides("gpt").is_err());
        assert!(PriceTable::with_overrides("=1/1").is_err());
        Ok(())
    }
}
