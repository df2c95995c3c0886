//! The AI provider layer: LLM clients for OpenAI-compatible chat completions and Anthropic
//! messages, with timeouts, retries on 429/5xx, JSON output checked against a schema (one
//! repair round), a cache keyed by prompt hash, usage/cost accounting and a budget gate; the
//! prompts as files; and the features built on them (business analysis, opening line), each
//! with a deterministic fallback so everything works offline and in tests.
//!
//! This crate never touches the database: the app implements [`Cache`] and [`Budget`] over
//! its tables and records [`Usage`] in `api_usage`.

pub mod analysis;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod facts;
pub mod fallback;
pub mod prompts;
pub mod schema;

pub use analysis::{
    Analysis, AnalysisSource, OpeningLine, analysis_schema, analyze_business,
    analyze_business_or_fallback, opening_line, opening_line_schema,
};
pub use cache::{
    BoxFuture, Budget, Cache, CallEstimate, FixedBudget, MemoryCache, UsageRecord, cache_key,
};
pub use client::{ANTHROPIC_VERSION, HttpLlmClient, JsonRequest, JsonResponse, LlmClient, Usage};
pub use config::{JsonMode, Price, PriceTable, ProviderConfig, ProviderKind, Secret};
pub use error::AiError;
pub use facts::BusinessFacts;
