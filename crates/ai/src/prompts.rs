//! Prompts live as Markdown files under `crates/ai/prompts/` (reviewed like code, embedded in
//! the binary). Each file has a `## System` section and a `## User` section; `{{name}}`
//! placeholders are filled in one pass, so a value containing braces is never re-expanded.

use crate::error::AiError;

/// A prompt template embedded from `prompts/`.
#[derive(Debug, Clone, Copy)]
pub struct Prompt {
    pub name: &'static str,
    pub source: &'static str,
}

pub const BUSINESS_ANALYSIS: Prompt = Prompt {
    name: "business_analysis",
    source: include_str!("../prompts/business_analysis.md"),
};

pub const OPENING_LINE: Prompt = Prompt {
    name: "opening_line",
    source: include_str!("../prompts/opening_line.md"),
};

/// A filled prompt, ready for a [`crate::JsonRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub system: String,
    pub user: String,
}

impl Prompt {
    /// Fills every `{{placeholder}}` from `vars`; a placeholder without a value is an error
    /// (a typo in a prompt file must fail tests, not reach a model).
    pub fn render(&self, vars: &[(&str, &str)]) -> Result<Rendered, AiError> {
        let filled = fill(self.name, self.source, vars)?;
        let body = filled.strip_prefix("## System\n").unwrap_or(&filled);
        let (system, user) = body
            .split_once("\n## User\n")
            .ok_or_else(|| AiError::Prompt {
                prompt: self.name.to_owned(),
                placeholder: "## User section".to_owned(),
            })?;
        Ok(Rendered {
            system: system.trim().to_owned(),
            user: user.trim().to_owned(),
        })
    }
}

fn fill(prompt: &str, template: &str, vars: &[(&str, &str)]) -> Result<String, AiError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let key = after[..end].trim();
        let value = vars
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| AiError::Prompt {
                prompt: prompt.to_owned(),
                placeholder: key.to_owned(),
            })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_renders_with_the_standard_vars() {
        let vars = [
            ("name", "Rosa {{x}}"),
            ("facts", "- Rating: 4.6"),
            ("language", "English"),
        ];
        for p in [BUSINESS_ANALYSIS, OPENING_LINE] {
            let r = p.render(&vars).unwrap_or_else(|e| panic!("{e}"));
            assert!(!r.system.contains("{{"), "{}", p.name);
            assert!(r.user.contains("Rosa {{x}}"), "values are not re-expanded");
            assert!(r.user.contains("- Rating: 4.6"));
            assert!(!r.system.starts_with("##"));
        }
    }

    #[test]
    fn missing_placeholder_is_an_error() {
        let err = BUSINESS_ANALYSIS.render(&[("name", "x")]).err();
        assert!(matches!(err, Some(AiError::Prompt { .. })));
    }
}
