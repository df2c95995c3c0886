//! Template source -> [`Template`]: a lexer that reads variables and escapes, a brace matcher
//! that decides which `{...}` are spintax (linear time, one line at a time), and a builder.

use std::fmt;

use serde::Serialize;

/// Deepest spintax nesting accepted; deeper templates are refused instead of recursing.
const MAX_DEPTH: u32 = 16;

/// A parsed template, ready to render any number of times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub(super) nodes: Vec<Node>,
    pub(super) vars: Vec<VariableRef>,
    groups: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Text(String),
    /// Index into `Template::vars`.
    Var(usize),
    /// A spintax group: its number (pre-order, from 0) and its options.
    Spin(u32, Vec<Vec<Node>>),
}

/// One use of a variable in the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableRef {
    /// Dotted name, e.g. `company.name`.
    pub name: String,
    pub filters: Vec<Filter>,
    /// `None`: no fallback; `Some("")`: optional variable.
    pub fallback: Option<String>,
    /// 1-based line of the opening `{{`.
    pub line: u32,
    /// 1-based column (in characters) of the opening `{{`.
    pub column: u32,
}

/// A value filter, written `{{name:filter}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    Upper,
    Lower,
    /// A capital at the start of every word (after whitespace or `-`), the rest lower-case.
    Title,
    /// The first letter upper-cased, the rest unchanged.
    Capitalize,
    Trim,
    /// The first whitespace-separated word ("Anna Maria Schulz" -> "Anna").
    FirstWord,
}

impl Filter {
    /// The filter called `name` in templates.
    pub fn from_name(name: &str) -> Option<Filter> {
        Some(match name {
            "upper" => Filter::Upper,
            "lower" => Filter::Lower,
            "title" => Filter::Title,
            "capitalize" => Filter::Capitalize,
            "trim" => Filter::Trim,
            "first_word" => Filter::FirstWord,
            _ => return None,
        })
    }

    /// The name used in templates.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Upper => "upper",
            Filter::Lower => "lower",
            Filter::Title => "title",
            Filter::Capitalize => "capitalize",
            Filter::Trim => "trim",
            Filter::FirstWord => "first_word",
        }
    }

    /// Applies the filter to a value.
    pub fn apply(self, value: &str) -> String {
        match self {
            Filter::Upper => value.to_uppercase(),
            Filter::Lower => value.to_lowercase(),
            Filter::Trim => value.trim().to_string(),
            Filter::FirstWord => value.split_whitespace().next().unwrap_or("").to_string(),
            Filter::Capitalize => {
                let mut chars = value.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                }
            }
            Filter::Title => {
                let mut out = String::with_capacity(value.len());
                let mut start = true;
                for c in value.chars() {
                    if start && c.is_alphanumeric() {
                        out.extend(c.to_uppercase());
                        start = false;
                    } else if c.is_whitespace() || c == '-' {
                        out.push(c);
                        start = true;
                    } else {
                        out.extend(c.to_lowercase());
                        if c.is_alphanumeric() {
                            start = false;
                        }
                    }
                }
                out
            }
        }
    }
}

/// Why a template does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct TemplateError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    pub kind: TemplateErrorKind,
}

/// The reason part of a [`TemplateError`]; `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum TemplateErrorKind {
    /// `{{` without a closing `}}` on the same line.
    UnclosedVariable,
    /// `{{}}` or `{{ |fallback}}`.
    EmptyVariable,
    /// A name with characters other than letters, digits, `_`, `-` and single dots.
    BadName(String),
    /// `{{name:xyz}}` with a filter we do not have.
    UnknownFilter(String),
    /// A quoted fallback without its closing `"` on the same line.
    UnclosedQuote,
    /// An unquoted fallback containing `|`, or text after a quoted fallback.
    BadFallback(String),
    /// A `{` that looks like spintax (a `|` follows on its line) but is never closed.
    UnclosedSpintax,
    /// Spintax nested deeper than the limit.
    TooDeep,
}

impl fmt::Display for TemplateErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedVariable => f.write_str("`{{` is not closed with `}}` on the same line"),
            Self::EmptyVariable => f.write_str("empty variable `{{}}`"),
            Self::BadName(n) => write!(
                f,
                "bad variable name `{n}` (letters, digits, `_`, `-`, joined by `.`)"
            ),
            Self::UnknownFilter(n) => write!(
                f,
                "unknown filter `{n}` (known: upper, lower, title, capitalize, trim, first_word)"
            ),
            Self::UnclosedQuote => {
                f.write_str("quoted fallback is not closed with `\"` on the same line")
            }
            Self::BadFallback(why) => write!(f, "bad fallback: {why}"),
            Self::UnclosedSpintax => {
                f.write_str("spintax group `{...|...}` is not closed on the same line")
            }
            Self::TooDeep => write!(f, "spintax nested more than {MAX_DEPTH} levels deep"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Var(usize),
    Open,
    Close,
    Pipe,
}

struct Lexed {
    toks: Vec<Tok>,
    /// (line, column) of each token.
    pos: Vec<(u32, u32)>,
    vars: Vec<VariableRef>,
    /// `{` tokens that were read as single braces after `{{` failed to parse as a variable,
    /// with that failure.
    tentative: Vec<(usize, TemplateError)>,
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split('.')
            .all(|seg| !seg.is_empty() && seg.chars().all(is_name_char))
}

/// Line and column after walking `chars[from..to]` from `(line, col)`.
fn walk(chars: &[char], from: usize, to: usize, mut line: u32, mut col: u32) -> (u32, u32) {
    for &c in &chars[from..to.min(chars.len())] {
        if c == '\n' {
            line = line.saturating_add(1);
            col = 1;
        } else {
            col = col.saturating_add(1);
        }
    }
    (line, col)
}

fn at(chars: &[char], i: usize, a: char, b: char) -> bool {
    chars.get(i) == Some(&a) && chars.get(i + 1) == Some(&b)
}

/// Parses the inside of a variable whose `{{` is at `start`; returns the variable and the
/// index just after its `}}`.
///
/// A variable sits on one line, and every scan stops at the next `{` or line break, so a
/// broken variable is reported where it is and parsing stays linear.
fn lex_var(
    chars: &[char],
    start: usize,
    line: u32,
    col: u32,
) -> Result<(VariableRef, usize), TemplateError> {
    let err_at = |i: usize, kind: TemplateErrorKind| {
        let (line, column) = walk(chars, start, i, line, col);
        TemplateError { line, column, kind }
    };
    let unclosed = || TemplateError {
        line,
        column: col,
        kind: TemplateErrorKind::UnclosedVariable,
    };
    let n = chars.len();
    let is_break = |j: usize| j >= n || matches!(chars[j], '\n' | '\r');
    let is_space = |j: usize| j < n && chars[j].is_whitespace() && !is_break(j);
    // Scans a name or filter: up to `:`, `|`, a brace or a line break (`check_stop` decides
    // whether that is an error).
    let scan_word = |mut j: usize| {
        while !is_break(j) && !matches!(chars[j], ':' | '|' | '{' | '}') {
            j += 1;
        }
        j
    };
    // After a name or filter: `:`, `|` or `}}` must follow.
    let check_stop = |j: usize, word_start: usize, kind: fn(String) -> TemplateErrorKind| {
        if is_break(j) {
            return Err(unclosed());
        }
        if matches!(chars[j], '{' | '}') && !at(chars, j, '}', '}') {
            let mut raw: String = chars[word_start..j].iter().collect();
            raw.push(chars[j]);
            return Err(err_at(word_start, kind(raw.trim().to_string())));
        }
        Ok(())
    };

    let mut j = start + 2;
    while is_space(j) {
        j += 1;
    }
    let name_start = j;
    j = scan_word(j);
    check_stop(j, name_start, TemplateErrorKind::BadName)?;
    let name: String = chars[name_start..j].iter().collect();
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(err_at(start, TemplateErrorKind::EmptyVariable));
    }
    if !valid_name(&name) {
        return Err(err_at(name_start, TemplateErrorKind::BadName(name)));
    }
    let mut filters = Vec::new();
    while j < n && chars[j] == ':' {
        j += 1;
        while is_space(j) {
            j += 1;
        }
        let f_start = j;
        j = scan_word(j);
        check_stop(j, f_start, TemplateErrorKind::UnknownFilter)?;
        let raw: String = chars[f_start..j].iter().collect();
        let raw = raw.trim();
        match Filter::from_name(raw) {
            Some(f) => filters.push(f),
            None => {
                return Err(err_at(
                    f_start,
                    TemplateErrorKind::UnknownFilter(raw.to_string()),
                ));
            }
        }
    }
    let mut fallback = None;
    if j < n && chars[j] == '|' {
        j += 1;
        while is_space(j) {
            j += 1;
        }
        if j < n && chars[j] == '"' {
            let quote = j;
            j += 1;
            let mut text = String::new();
            loop {
                if is_break(j) {
                    return Err(err_at(quote, TemplateErrorKind::UnclosedQuote));
                }
                match chars[j] {
                    '\\' if matches!(chars.get(j + 1), Some('"' | '\\')) => {
                        text.push(chars[j + 1]);
                        j += 2;
                    }
                    '"' => {
                        j += 1;
                        break;
                    }
                    c => {
                        text.push(c);
                        j += 1;
                    }
                }
            }
            while is_space(j) {
                j += 1;
            }
            if is_break(j) {
                return Err(unclosed());
            }
            if !at(chars, j, '}', '}') {
                return Err(err_at(
                    j,
                    TemplateErrorKind::BadFallback("text after the closing quote".into()),
                ));
            }
            fallback = Some(text);
        } else {
            let f_start = j;
            while !is_break(j) && !at(chars, j, '}', '}') && !matches!(chars[j], '|' | '{' | '}') {
                j += 1;
            }
            if is_break(j) {
                return Err(unclosed());
            }
            if !at(chars, j, '}', '}') {
                return Err(err_at(
                    j,
                    TemplateErrorKind::BadFallback(format!(
                        "`{}` in a fallback needs quotes: {{{{name|\"...\"}}}}",
                        chars[j]
                    )),
                ));
            }
            let text: String = chars[f_start..j].iter().collect();
            fallback = Some(text.trim().to_string());
        }
    }
    if !at(chars, j, '}', '}') {
        return Err(unclosed());
    }
    Ok((
        VariableRef {
            name,
            filters,
            fallback,
            line,
            column: col,
        },
        j + 2,
    ))
}

fn lex(src: &str) -> Result<Lexed, TemplateError> {
    let chars: Vec<char> = src.chars().collect();
    let n = chars.len();
    let mut out = Lexed {
        toks: Vec::with_capacity(n),
        pos: Vec::with_capacity(n),
        vars: Vec::new(),
        tentative: Vec::new(),
    };
    let (mut line, mut col) = (1u32, 1u32);
    let mut i = 0;
    while i < n {
        let c = chars[i];
        let here = (line, col);
        let next;
        match c {
            '\\' if matches!(chars.get(i + 1), Some('{' | '}' | '|')) => {
                out.toks.push(Tok::Lit(chars[i + 1]));
                out.pos.push(here);
                next = i + 2;
            }
            '{' => {
                let run = chars[i..].iter().take_while(|&&c| c == '{').count();
                if run >= 2 {
                    // The last two braces of the run open the variable.
                    let singles = run - 2;
                    for k in 0..singles {
                        out.toks.push(Tok::Open);
                        out.pos.push((line, col.saturating_add(k as u32)));
                    }
                    let v_start = i + singles;
                    let (vl, vc) = walk(&chars, i, v_start, line, col);
                    match lex_var(&chars, v_start, vl, vc) {
                        Ok((var, end)) => {
                            out.toks.push(Tok::Var(out.vars.len()));
                            out.pos.push((vl, vc));
                            out.vars.push(var);
                            next = end;
                        }
                        Err(e) => {
                            // Perhaps a spintax group that starts with a nested group
                            // (`{{Hello|Hey} there|Hi}`): read the first brace as a single
                            // one; if it does not end up opening spintax, `e` is the error.
                            out.toks.push(Tok::Open);
                            out.pos.push((vl, vc));
                            out.tentative.push((out.toks.len() - 1, e));
                            next = v_start + 1;
                        }
                    }
                } else {
                    out.toks.push(Tok::Open);
                    out.pos.push(here);
                    next = i + 1;
                }
            }
            '}' => {
                out.toks.push(Tok::Close);
                out.pos.push(here);
                next = i + 1;
            }
            '|' => {
                out.toks.push(Tok::Pipe);
                out.pos.push(here);
                next = i + 1;
            }
            _ => {
                out.toks.push(Tok::Lit(c));
                out.pos.push(here);
                next = i + 1;
            }
        }
        (line, col) = walk(&chars, i, next, line, col);
        i = next;
    }
    Ok(out)
}

fn forbidden(t: Tok) -> bool {
    matches!(t, Tok::Lit(';' | '"'))
}

fn line_break(t: Tok) -> bool {
    matches!(t, Tok::Lit('\n' | '\r'))
}

struct Frame {
    open: usize,
    pipe: bool,
    forbidden_before: usize,
}

/// For each `Open` token, the index of its matching `Close` and whether the pair is spintax.
fn match_braces(lx: &Lexed) -> Result<Vec<Option<(usize, bool)>>, TemplateError> {
    let toks = &lx.toks;
    let mut matched = vec![None; toks.len()];
    let mut stack: Vec<Frame> = Vec::new();
    let mut forbidden_seen = 0usize;
    let end_line = |stack: &mut Vec<Frame>, forbidden_seen: usize| -> Result<(), TemplateError> {
        // The outermost unclosed group that looks like spintax is the error.
        for f in stack.drain(..) {
            if f.pipe && f.forbidden_before == forbidden_seen {
                let (line, column) = lx.pos[f.open];
                return Err(TemplateError {
                    line,
                    column,
                    kind: TemplateErrorKind::UnclosedSpintax,
                });
            }
        }
        Ok(())
    };
    for (i, &t) in toks.iter().enumerate() {
        match t {
            Tok::Open => stack.push(Frame {
                open: i,
                pipe: false,
                forbidden_before: forbidden_seen,
            }),
            Tok::Close => {
                if let Some(f) = stack.pop() {
                    let spin = f.pipe && f.forbidden_before == forbidden_seen;
                    matched[f.open] = Some((i, spin));
                }
            }
            Tok::Pipe => {
                if let Some(top) = stack.last_mut() {
                    top.pipe = true;
                }
            }
            t if line_break(t) => end_line(&mut stack, forbidden_seen)?,
            t if forbidden(t) => forbidden_seen += 1,
            _ => {}
        }
    }
    end_line(&mut stack, forbidden_seen)?;
    Ok(matched)
}

struct Builder<'a> {
    lx: &'a Lexed,
    matched: Vec<Option<(usize, bool)>>,
    groups: u32,
}

impl Builder<'_> {
    fn build(&mut self, lo: usize, hi: usize, depth: u32) -> Result<Vec<Node>, TemplateError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        let mut i = lo;
        while i < hi {
            match self.lx.toks[i] {
                Tok::Lit(c) => text.push(c),
                Tok::Pipe => text.push('|'),
                Tok::Close => text.push('}'),
                Tok::Var(v) => {
                    if !text.is_empty() {
                        nodes.push(Node::Text(std::mem::take(&mut text)));
                    }
                    nodes.push(Node::Var(v));
                }
                Tok::Open => match self.matched[i] {
                    Some((close, true)) => {
                        if depth >= MAX_DEPTH {
                            let (line, column) = self.lx.pos[i];
                            return Err(TemplateError {
                                line,
                                column,
                                kind: TemplateErrorKind::TooDeep,
                            });
                        }
                        if !text.is_empty() {
                            nodes.push(Node::Text(std::mem::take(&mut text)));
                        }
                        let id = self.groups;
                        self.groups += 1;
                        let mut options = Vec::new();
                        let mut part = i + 1;
                        let mut k = i + 1;
                        while k < close {
                            match self.lx.toks[k] {
                                Tok::Open => match self.matched[k] {
                                    Some((c, _)) => k = c + 1,
                                    None => k += 1,
                                },
                                Tok::Pipe => {
                                    options.push(self.build(part, k, depth + 1)?);
                                    part = k + 1;
                                    k += 1;
                                }
                                _ => k += 1,
                            }
                        }
                        options.push(self.build(part, close, depth + 1)?);
                        nodes.push(Node::Spin(id, options));
                        i = close + 1;
                        continue;
                    }
                    _ => text.push('{'),
                },
            }
            i += 1;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        Ok(nodes)
    }
}

impl Template {
    /// Parses template source; see the module documentation for the syntax.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let lx = lex(src)?;
        let first_tentative = || lx.tentative.first().map(|(_, e)| e.clone());
        let matched = match match_braces(&lx) {
            Ok(m) => m,
            Err(e) => return Err(first_tentative().unwrap_or(e)),
        };
        if let Some((_, e)) = lx
            .tentative
            .iter()
            .find(|(tok, _)| !matches!(matched[*tok], Some((_, true))))
        {
            return Err(e.clone());
        }
        let mut b = Builder {
            lx: &lx,
            matched,
            groups: 0,
        };
        let nodes = b.build(0, lx.toks.len(), 0)?;
        let groups = b.groups;
        Ok(Template {
            nodes,
            vars: lx.vars,
            groups,
        })
    }

    /// Distinct variable names in order of first appearance (including those inside every
    /// spintax option).
    pub fn variables(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.vars
            .iter()
            .map(|v| v.name.as_str())
            .filter(|n| seen.insert(*n))
            .collect()
    }

    /// Every use of a variable, with its filters, fallback and position.
    pub fn variable_refs(&self) -> &[VariableRef] {
        &self.vars
    }

    /// Number of spintax groups (nested ones included).
    pub fn spintax_groups(&self) -> u32 {
        self.groups
    }
}

impl std::str::FromStr for Template {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}
