//! AI features: the business analysis and the personalised opening line, each with the
//! deterministic fallback behind it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::warn;

use crate::client::{JsonRequest, LlmClient, Usage};
use crate::error::AiError;
use crate::facts::BusinessFacts;
use crate::fallback;
use crate::prompts::{BUSINESS_ANALYSIS, OPENING_LINE, Prompt};

/// Where an analysis came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisSource {
    Ai,
    Fallback,
}

/// A business analysis, stored per company and shown on its page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub summary: String,
    pub pain_points: Vec<String>,
    pub hooks: Vec<String>,
    /// Usable in templates as `{{ai.opening_line}}`.
    pub opening_line: String,
    pub source: AnalysisSource,
    pub usage: Usage,
    /// Set when a configured model failed and the fallback answered instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

/// A personalised first line on its own (cheaper than a full analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeningLine {
    pub text: String,
    pub source: AnalysisSource,
    pub usage: Usage,
}

/// Longest list and text we keep from a model, whatever it sends.
const MAX_ITEMS: usize = 5;
const MAX_CHARS: usize = 500;
const MAX_TOKENS_ANALYSIS: u32 = 900;
const MAX_TOKENS_LINE: u32 = 200;

/// JSON Schema of the analysis answer (strict-mode compatible: all properties required,
/// no additional properties).
pub fn analysis_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "pain_points": {"type": "array", "items": {"type": "string"}},
            "hooks": {"type": "array", "items": {"type": "string"}},
            "opening_line": {"type": "string"}
        },
        "required": ["summary", "pain_points", "hooks", "opening_line"],
        "additionalProperties": false
    })
}

/// JSON Schema of the opening-line answer.
pub fn opening_line_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"opening_line": {"type": "string"}},
        "required": ["opening_line"],
        "additionalProperties": false
    })
}

fn request(
    prompt: Prompt,
    facts: &BusinessFacts,
    schema: Value,
    max_tokens: u32,
) -> Result<JsonRequest, AiError> {
    let name = facts.display_name();
    let list = facts.to_prompt_list();
    let language = facts.language_or_default();
    let rendered = prompt.render(&[("name", &name), ("facts", &list), ("language", &language)])?;
    Ok(JsonRequest {
        name: prompt.name.to_owned(),
        system: rendered.system,
        user: rendered.user,
        schema,
        max_tokens,
    })
}

fn text(v: &Value, key: &str) -> String {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    s.chars().take(MAX_CHARS).collect()
}

fn items(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().chars().take(MAX_CHARS).collect::<String>())
                .filter(|s| !s.is_empty())
                .take(MAX_ITEMS)
                .collect()
        })
        .unwrap_or_default()
}

/// Analyses one business. Without a client it answers from [`fallback::analyze`]; with one,
/// it returns the model's answer (any empty field filled from the fallback) or the error, so
/// the caller can record it. See [`analyze_business_or_fallback`] for "always answer".
pub async fn analyze_business(
    client: Option<&dyn LlmClient>,
    facts: &BusinessFacts,
) -> Result<Analysis, AiError> {
    let Some(client) = client else {
        return Ok(fallback::analyze(facts));
    };
    let req = request(
        BUSINESS_ANALYSIS,
        facts,
        analysis_schema(),
        MAX_TOKENS_ANALYSIS,
    )?;
    let resp = client.complete_json(req).await?;
    let v = &resp.value;
    let mut analysis = Analysis {
        summary: text(v, "summary"),
        pain_points: items(v, "pain_points"),
        hooks: items(v, "hooks"),
        opening_line: text(v, "opening_line"),
        source: AnalysisSource::Ai,
        usage: resp.usage,
        fallback_reason: None,
    };
    // A schema cannot say "non-empty" in strict mode; never show a blank field.
    if analysis.summary.is_empty()
        || analysis.pain_points.is_empty()
        || analysis.hooks.is_empty()
        || analysis.opening_line.is_empty()
    {
        let fb = fallback::analyze(facts);
        if analysis.summary.is_empty() {
            analysis.summary = fb.summary;
        }
        if analysis.pain_points.is_empty() {
            analysis.pain_points = fb.pain_points;
        }
        if analysis.hooks.is_empty() {
            analysis.hooks = fb.hooks;
        }
        if analysis.opening_line.is_empty() {
            analysis.opening_line = fb.opening_line;
        }
    }
    Ok(analysis)
}

/// Like [`analyze_business`], but a failed model call (budget, rate limit, outage, invalid
/// output) falls back to the deterministic analysis with `fallback_reason` set.
pub async fn analyze_business_or_fallback(
    client: Option<&dyn LlmClient>,
    facts: &BusinessFacts,
) -> Analysis {
    match analyze_business(client, facts).await {
        Ok(a) => a,
        Err(e) => {
            warn!(error = %e, business = %facts.display_name(), "AI analysis failed, using fallback");
            Analysis {
                fallback_reason: Some(e.to_string()),
                ..fallback::analyze(facts)
            }
        }
    }
}

/// A personalised first line (`{{ai.opening_line}}`): the model's, or the fallback's when no
/// client is configured.
pub async fn opening_line(
    client: Option<&dyn LlmClient>,
    facts: &BusinessFacts,
) -> Result<OpeningLine, AiError> {
    let Some(client) = client else {
        return Ok(OpeningLine {
            text: fallback::opening_line(facts),
            source: AnalysisSource::Fallback,
            usage: Usage::default(),
        });
    };
    let req = request(OPENING_LINE, facts, opening_line_schema(), MAX_TOKENS_LINE)?;
    let resp = client.complete_json(req).await?;
    let line = text(&resp.value, "opening_line");
    if line.is_empty() {
        return Ok(OpeningLine {
            text: fallback::opening_line(facts),
            source: AnalysisSource::Fallback,
            usage: resp.usage,
        });
    }
    Ok(OpeningLine {
        text: line,
        source: AnalysisSource::Ai,
        usage: resp.usage,
    })
}
