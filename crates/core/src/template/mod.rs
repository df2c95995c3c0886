//! The message template language of email subjects and bodies (later WhatsApp and SMS).
//!
//! A template is parsed once ([`Template::parse`]), checked against the variables the
//! workspace knows ([`validate`]) when it is saved, and rendered per message ([`render`]) with a
//! seed so that rendering the same message again gives the same text.
//!
//! # Syntax
//!
//! **Variables** — `{{first_name}}`, `{{ company.name }}`, `{{custom.plan}}`,
//! `{{ai.opening_line}}`, `{{facts.website_score}}`. A name is one or more segments joined by
//! `.`; a segment is letters, digits, `_` or `-` (the same characters custom-field keys are
//! made of). Spaces around the name are allowed; a variable is written on one line.
//!
//! **Fallbacks** — `{{first_name|there}}`: the text after `|` is used when the value is missing
//! or blank (only whitespace). The fallback is trimmed and may contain spaces; to keep leading or
//! trailing spaces, or to use `|`, `{` or `}` in it, quote it: `{{first_name|"dear friend"}}`
//! (inside quotes `\"` is a quote and `\\` a backslash). An empty fallback `{{ai.opening_line|}}`
//! marks the variable optional: it renders as nothing and is not reported missing. A fallback
//! is literal text: it contains no variables or spintax, and no filter applies to it.
//!
//! **Filters** — written with `:` directly after the name, never with `|` (which always means
//! fallback): `{{first_name:title}}`, `{{company.name:trim:upper|"your team"}}`. Filters run
//! left to right on the value only. Known filters: `upper`, `lower`, `title` (capital letter
//! at the start of each word), `capitalize` (first letter only), `trim`, `first_word`.
//! An unknown filter is a parse error, so `{{name:uppr}}` is caught when the template is saved.
//!
//! **Spintax** — `{Hi|Hello|Hey}` picks one option, nested groups allowed
//! (`{Hi|{Hello|Hey} there}`), options may contain variables and be empty (`{Hi |}`). The choice
//! is a pure function of the caller's seed and the group's position in the template: the same
//! seed gives the same text, different seeds spread evenly over the options (groups are
//! numbered per template, so give the subject and the body different seeds, e.g. hashes of
//! the message id with "subject" and "body", when their choices should not move together).
//! Because HTML
//! bodies hold CSS (`a { color: red }`) and text may hold JSON or code, a `{` starts a spintax
//! group **only** when all of these hold, otherwise it is plain text:
//! - its matching `}` is on the same line;
//! - the group has at least one `|` at its own level (not only inside a nested group);
//! - the group contains no `;` and no `"` (CSS declarations, JSON strings), apart from
//!   inside `{{...}}` variables.
//!
//! A `{` with a `|` after it on its line but no closing `}` (and no `;` or `"` in the rest of
//! the line) is an error ("unclosed spintax group"): it is almost certainly a typo.
//!
//! **Braces and escapes** — `{{` opens a variable. In a run of three or more `{` the last two
//! open the variable and the others are single braces, so `{{{first_name}}|there}` is a
//! spintax group whose first option is a variable. When what follows `{{` is not a valid
//! variable but its first brace opens a spintax group, it is that group (`{{Hello|Hey} there|Hi}`
//! is a group whose first option starts with a nested group); otherwise the variable's error is
//! reported. A backslash before `{`, `}` or `|` makes that character literal and is removed
//! (`\{\{not a variable\}\}`); every other backslash is kept as it is.
//!
//! # Rendering
//!
//! [`render`] takes a [`Lookup`] (a [`Context`], a map, or a `serde_json::Value` navigated by
//! the dotted name), the seed and an [`Escaping`]. With [`Escaping::Html`] values and fallbacks
//! are HTML-escaped; the template's own text is never touched. A variable with no value and no
//! fallback renders as the empty string and is listed in [`RenderReport::missing`], so the
//! caller can refuse to send (strict mode). Only variables in the chosen spintax options count.
//!
//! Plain-text bodies become the HTML part with [`text_to_html`]: render the text template first
//! (with [`Escaping::None`]), then convert the result.

mod html;
mod parse;
mod render;

pub use html::{escape_html, text_to_html};
pub use parse::{Filter, Template, TemplateError, TemplateErrorKind, VariableRef};
pub use render::{Context, Escaping, Lookup, RenderReport, Rendered, render};

use std::collections::BTreeSet;

use serde::Serialize;

/// The variable names a workspace can fill, for [`validate`].
///
/// Exact names (`first_name`, `company.name`, `custom.plan`, `unsubscribe_url`) and namespace
/// prefixes whose every member is accepted (`ai` accepts `ai.opening_line`, `ai.anything.else`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownVariables {
    names: BTreeSet<String>,
    prefixes: BTreeSet<String>,
}

impl KnownVariables {
    /// An empty set: every variable is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one exact name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.names.insert(name.into());
        self
    }

    /// Adds several exact names.
    pub fn names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names.extend(names.into_iter().map(Into::into));
        self
    }

    /// Accepts every name below `prefix` (`"ai"` accepts `ai.x`, not `ai` itself).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let p: String = prefix.into();
        self.prefixes.insert(p.trim_end_matches('.').to_string());
        self
    }

    /// Adds `custom.KEY` for each custom-field key of the workspace.
    pub fn custom_fields<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.names
            .extend(keys.into_iter().map(|k| format!("custom.{}", k.as_ref())));
        self
    }

    /// Whether `name` is known.
    pub fn contains(&self, name: &str) -> bool {
        if self.names.contains(name) {
            return true;
        }
        let mut rest = name;
        while let Some(dot) = rest.rfind('.') {
            rest = &rest[..dot];
            if self.prefixes.contains(rest) {
                return true;
            }
        }
        false
    }
}

/// A variable used by a template that the workspace cannot fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownVariable {
    pub name: String,
    /// 1-based line of the `{{`.
    pub line: u32,
    /// 1-based column (in characters) of the `{{`.
    pub column: u32,
}

/// Every use of a variable not in `known`, in the order they appear (each occurrence, so the
/// editor can underline all of them).
pub fn validate(template: &Template, known: &KnownVariables) -> Vec<UnknownVariable> {
    template
        .variable_refs()
        .iter()
        .filter(|v| !known.contains(&v.name))
        .map(|v| UnknownVariable {
            name: v.name.clone(),
            line: v.line,
            column: v.column,
        })
        .collect()
}

#[cfg(test)]
mod tests;
