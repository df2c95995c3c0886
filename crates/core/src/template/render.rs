//! Rendering a [`Template`] for one message.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::html::escape_into;
use super::parse::{Node, Template};

/// Where variable values come from.
pub trait Lookup {
    /// The value of the dotted variable `name`, or `None` when there is none.
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>>;
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        (**self).lookup(name)
    }
}

impl Lookup for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(|v| Cow::Borrowed(v.as_str()))
    }
}

impl Lookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(|v| Cow::Borrowed(v.as_str()))
    }
}

/// Navigates objects by the name's segments (`company.name` -> `v["company"]["name"]`); a
/// top-level key spelled with the dots (`v["company.name"]`) wins. Strings are used as they
/// are, numbers and booleans printed; null, arrays and objects count as missing.
impl Lookup for serde_json::Value {
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        let found = match self.get(name) {
            Some(v) => v,
            None => {
                let mut cur = self;
                for seg in name.split('.') {
                    cur = cur.get(seg)?;
                }
                cur
            }
        };
        match found {
            serde_json::Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
            serde_json::Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            _ => None,
        }
    }
}

/// A simple set of values keyed by full dotted name, built by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, String>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder form of [`Context::set`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets one value (`"company.name"`, `"Acme"`).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// Sets `prefix.key` for every pair (custom fields, AI lines, facts).
    pub fn set_prefixed<I, K, V>(&mut self, prefix: &str, pairs: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        for (k, v) in pairs {
            self.values
                .insert(format!("{prefix}.{}", k.as_ref()), v.into());
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

impl Lookup for Context {
    fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(Cow::Borrowed)
    }
}

/// How values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Escaping {
    /// As they are (subjects, plain-text parts, SMS).
    #[default]
    None,
    /// HTML-escaped (`&`, `<`, `>`, `"`, `'`), for the HTML part.
    Html,
}

/// What rendering noticed besides the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RenderReport {
    /// Variables that were used with no value (or a blank one) and no fallback, each once, in
    /// order of appearance.
    pub missing: Vec<String>,
}

impl RenderReport {
    /// True when every variable used had a value or a fallback.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// The output of [`render`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub text: String,
    pub report: RenderReport,
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Which of `n` options spintax group `group` takes for `seed`.
fn pick(seed: u64, group: u32, n: usize) -> usize {
    let h = mix(seed ^ mix(u64::from(group).wrapping_add(0xA076_1D64_78BD_642F)));
    ((u128::from(h) * n as u128) >> 64) as usize
}

struct Renderer<'a> {
    template: &'a Template,
    lookup: &'a dyn Lookup,
    seed: u64,
    escaping: Escaping,
    out: String,
    missing: Vec<String>,
}

impl Renderer<'_> {
    fn write_value(&mut self, s: &str) {
        match self.escaping {
            Escaping::None => self.out.push_str(s),
            Escaping::Html => escape_into(s, &mut self.out),
        }
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Text(t) => self.out.push_str(t),
                Node::Var(i) => {
                    let template = self.template;
                    let var = &template.vars[*i];
                    let value = self
                        .lookup
                        .lookup(&var.name)
                        .filter(|v| !v.trim().is_empty());
                    match (value, &var.fallback) {
                        (Some(v), _) => {
                            let mut v = v.into_owned();
                            for f in &var.filters {
                                v = f.apply(&v);
                            }
                            self.write_value(&v);
                        }
                        (None, Some(fallback)) => self.write_value(fallback),
                        (None, None) => {
                            if !self.missing.contains(&var.name) {
                                self.missing.push(var.name.clone());
                            }
                        }
                    }
                }
                Node::Spin(id, options) => {
                    if !options.is_empty() {
                        let k = pick(self.seed, *id, options.len());
                        self.nodes(&options[k]);
                    }
                }
            }
        }
    }
}

/// Renders `template` with values from `lookup`; `seed` fixes the spintax choices (use a hash
/// of the message id so a re-render gives the same text).
pub fn render(template: &Template, lookup: &dyn Lookup, seed: u64, escaping: Escaping) -> Rendered {
    let mut r = Renderer {
        template,
        lookup,
        seed,
        escaping,
        out: String::new(),
        missing: Vec::new(),
    };
    r.nodes(&template.nodes);
    Rendered {
        text: r.out,
        report: RenderReport { missing: r.missing },
    }
}

impl Template {
    /// Same as [`render`].
    pub fn render(&self, lookup: &dyn Lookup, seed: u64, escaping: Escaping) -> Rendered {
        render(self, lookup, seed, escaping)
    }
}
