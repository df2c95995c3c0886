//! Response cache and budget hooks. Both are traits because the app backs them with the
//! database (a cache table, the per-workspace monthly budget and `api_usage`); the in-memory
//! versions here serve the CLI and tests.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::ProviderKind;

/// Boxed future so the hook traits stay object-safe (`Arc<dyn Cache>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Cache key: hex sha256 over provider, model, system prompt, user prompt and schema, each
/// length-prefixed so no two different inputs can produce the same byte stream.
pub fn cache_key(
    kind: ProviderKind,
    model: &str,
    system: &str,
    user: &str,
    schema: &Value,
) -> String {
    let mut h = Sha256::new();
    let schema = schema.to_string();
    for part in [kind.as_str(), model, system, user, schema.as_str()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Stores validated JSON outputs by [`cache_key`]. Failures inside an implementation should
/// be logged and swallowed: a cache miss is always acceptable.
pub trait Cache: Send + Sync {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Value>>;
    fn put<'a>(&'a self, key: &'a str, value: &'a Value) -> BoxFuture<'a, ()>;
}

/// Process-local cache, unbounded: for the CLI and tests, not for a long-running server.
#[derive(Debug, Default)]
pub struct MemoryCache {
    map: Mutex<HashMap<String, Value>>,
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Cache for MemoryCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Value>> {
        let hit = self.map.lock().ok().and_then(|m| m.get(key).cloned());
        Box::pin(async move { hit })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a Value) -> BoxFuture<'a, ()> {
        if let Ok(mut m) = self.map.lock() {
            m.insert(key.to_owned(), value.clone());
        }
        Box::pin(async {})
    }
}

/// What the budget hook sees before a call: enough to estimate the worst-case cost.
#[derive(Debug, Clone)]
pub struct CallEstimate {
    pub provider: ProviderKind,
    pub model: String,
    /// Rough input size (characters / 4).
    pub estimated_input_tokens: u64,
    pub max_output_tokens: u32,
    /// Worst-case cost in micro-units under the configured price.
    pub max_cost_micros: i64,
}

/// What one HTTP exchange actually consumed, reported after every successful answer
/// (including ones whose output then failed validation: those tokens were paid for), and
/// once per answer served from the cache (`cached: true`, zero tokens and cost) so the
/// accounting shows what the cache saved.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    pub provider: ProviderKind,
    pub model: String,
    /// The request's name (`business_analysis`, `opening_line`...).
    pub feature: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: i64,
    pub cached: bool,
}

/// Spending gate. `check` runs before every request that would cost money (the first call
/// and the repair call; cache hits cost nothing and skip it); refusing with a reason turns
/// into [`crate::AiError::BudgetExhausted`] without any HTTP request. `record` is where the
/// app appends to `api_usage`.
pub trait Budget: Send + Sync {
    fn check<'a>(&'a self, call: &'a CallEstimate) -> BoxFuture<'a, Result<(), String>>;
    fn record<'a>(&'a self, usage: &'a UsageRecord) -> BoxFuture<'a, ()>;
}

/// A fixed allowance in micro-units, spent in memory. Refuses once spent (or when the
/// worst case of the next call would overshoot by more than the remaining allowance).
#[derive(Debug)]
pub struct FixedBudget {
    limit_micros: i64,
    spent_micros: AtomicI64,
}

impl FixedBudget {
    pub fn new(limit_micros: i64) -> Self {
        FixedBudget {
            limit_micros,
            spent_micros: AtomicI64::new(0),
        }
    }

    pub fn spent_micros(&self) -> i64 {
        self.spent_micros.load(Ordering::Relaxed)
    }
}

impl Budget for FixedBudget {
    fn check<'a>(&'a self, call: &'a CallEstimate) -> BoxFuture<'a, Result<(), String>> {
        let spent = self.spent_micros();
        let result = if spent >= self.limit_micros {
            Err(format!(
                "spent {spent} of {} micro-units",
                self.limit_micros
            ))
        } else if spent.saturating_add(call.max_cost_micros) > self.limit_micros {
            Err(format!(
                "next call may cost up to {} micro-units, {} left",
                call.max_cost_micros,
                self.limit_micros - spent
            ))
        } else {
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn record<'a>(&'a self, usage: &'a UsageRecord) -> BoxFuture<'a, ()> {
        self.spent_micros
            .fetch_add(usage.cost_micros, Ordering::Relaxed);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_depends_on_every_part() {
        let s = json!({"type": "object"});
        let base = cache_key(ProviderKind::Anthropic, "m", "sys", "user", &s);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            cache_key(ProviderKind::Anthropic, "m", "sys", "user", &s)
        );
        assert_ne!(
            base,
            cache_key(ProviderKind::OpenAiCompatible, "m", "sys", "user", &s)
        );
        assert_ne!(
            base,
            cache_key(ProviderKind::Anthropic, "m2", "sys", "user", &s)
        );
        assert_ne!(
            base,
            cache_key(ProviderKind::Anthropic, "m", "sysu", "ser", &s)
        );
        assert_ne!(
            base,
            cache_key(ProviderKind::Anthropic, "m", "sys", "user", &json!({}))
        );
    }
}
