//! A small builder for statements whose WHERE clause depends on filters: the text grows with
//! `$n` placeholders and the values are kept beside it, then bound in order on either backend.

use crate::{Db, Result, WorkspaceId, on_db};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    OptF64(Option<f64>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::OptText(v.clone())
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        Arg::OptF64(v)
    }
}

/// SQL text with its arguments.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Append raw SQL text.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Keep `v` as the next argument and return its placeholder (`$n`).
    pub fn arg(&mut self, v: impl Into<Arg>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// Append `text` with every `?` replaced by the placeholder of the next value.
    pub fn push_args(&mut self, text: &str, values: Vec<Arg>) -> &mut Self {
        let mut values = values.into_iter();
        let mut out = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if c == '?' {
                let v = values.next().unwrap_or(Arg::OptText(None));
                out.push_str(&self.arg(v));
            } else {
                out.push(c);
            }
        }
        self.text.push_str(&out);
        self
    }
}

impl Sql {
    /// The text to run on `db`, with the arguments made to match it. On SQLite every
    /// `$n` becomes an anonymous `?` and the arguments are laid out in the order the
    /// placeholders appear (a value used twice is bound twice): SQLite looks named
    /// parameters up by name while parsing and sqlx again while binding, both linear in their
    /// number, so a statement of a thousand `$n` cost milliseconds before it ran (the outbox's
    /// batch update of 200 sent messages spent 15 ms there). Bind [`Sql::args`] after this.
    pub fn text_for(&mut self, db: &Db) -> String {
        if matches!(db, crate::Db::Postgres(_)) {
            return self.text.clone();
        }
        // Without placeholders (none, or already rewritten by an earlier call) nothing changes.
        if let Some((text, order)) =
            anonymous(&self.text, self.args.len()).filter(|(_, order)| !order.is_empty())
        {
            let in_order =
                order.len() == self.args.len() && order.iter().enumerate().all(|(i, &k)| i == k);
            if !in_order {
                self.args = order.iter().map(|&k| self.args[k].clone()).collect();
            }
            self.text.clone_from(&text);
            return text;
        }
        self.text.clone()
    }
}

/// `text` with every `$k` (1 <= k <= n) replaced by `?`, and the 0-based argument index of
/// each placeholder in text order; `None` when a `$k` names no argument (left untouched).
fn anonymous(text: &str, n: usize) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(text.len());
    let mut order = Vec::with_capacity(n);
    let b = text.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 {
                let num: usize = text[i + 1..j].parse().ok()?;
                if num == 0 || num > n {
                    return None;
                }
                order.push(num - 1);
                out.push_str(&text[start..i]);
                out.push('?');
                start = j;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.push_str(&text[start..]);
    Some((out, order))
}

/// Bind every argument of a [`Sql`] to a query built from its text.
#[macro_export]
macro_rules! bind_args {
    // One expression (no `let`), so a temporary SQL text lives as long as the statement;
    // the query is built first (`Sql::text_for` lays the arguments out), then bound.
    ($q:expr, $args:expr) => {
        match $q {
            q => $args.iter().fold(q, |q, a| match a {
                $crate::query::Arg::I64(v) => q.bind(*v),
                $crate::query::Arg::OptI64(v) => q.bind(*v),
                $crate::query::Arg::Text(v) => q.bind(v.clone()),
                $crate::query::Arg::OptText(v) => q.bind(v.clone()),
                $crate::query::Arg::OptF64(v) => q.bind(*v),
            }),
        }
    };
}

/// Escape `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The full-text condition on a table's `search_text` for prefix `terms` (already reduced to
/// letters and digits by `core::search::query_terms`).
pub fn search_condition(db: &Db, sql: &mut Sql, alias: &str, fts_table: &str, terms: &[String]) {
    match db {
        crate::Db::Sqlite(_) => {
            let p = sql.arg(fts5_match(terms));
            sql.push(&format!(
                " AND {alias}.id IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH {p})"
            ));
        }
        crate::Db::Postgres(_) => {
            let m: Vec<String> = terms
                .iter()
                .map(|t| {
                    format!(
                        "{}:*",
                        t.replace(['\'', '\\', ':', '&', '|', '!', '(', ')'], "")
                    )
                })
                .collect();
            let p = sql.arg(m.join(" & "));
            sql.push(&format!(
                " AND to_tsvector('simple', {alias}.search_text) @@ to_tsquery('simple', {p})"
            ));
        }
    }
}

/// `AND col IN (...)` over `ids` (an empty list matches nothing).
///
/// Statements that pick rows by a list of ids write their other conditions as
/// `+workspace_id = ?` and `status || '' IN (...)`: an expression keeps SQLite from driving
/// the statement with an index on those columns. Without statistics its planner takes an
/// equality on an index's first column for a handful of rows and prefers it to the id list,
/// so "these 200 messages of workspace 1" walked every message of the workspace through
/// `messages_ws_to` (the outbox's "sent" update cost 15 ms a batch at 20,000 messages, and
/// grew with the campaign). Both forms are the same values on PostgreSQL (which plans with
/// statistics).
pub(crate) fn in_list(s: &mut Sql, col: &str, ids: &[i64]) {
    if ids.is_empty() {
        s.push(" AND 1 = 0");
        return;
    }
    let marks: Vec<String> = ids.iter().map(|i| s.arg(*i)).collect();
    s.push(&format!(" AND {col} IN ({})", marks.join(", ")));
}

/// A LIKE pattern over the compact JSON of custom fields: `"key":"value"` (or `"key":`).
pub(crate) fn custom_pattern(key: Option<&str>, value: Option<&str>) -> Option<String> {
    let key = key.filter(|k| !k.is_empty())?;
    let k = serde_json::to_string(key).ok()?;
    Some(match value.filter(|v| !v.is_empty()) {
        Some(v) => {
            let v = serde_json::to_string(v).ok()?;
            format!("%{}:{}%", like_escape(&k), like_escape(&v))
        }
        None => format!("%{}:%", like_escape(&k)),
    })
}

/// Delete rows of a tenant table by id. Returns how many were deleted.
pub async fn delete_by_ids(db: &Db, ws: WorkspaceId, table: &str, ids: &[i64]) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut s = Sql::new(format!("DELETE FROM {table} WHERE workspace_id = "));
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, "id", chunk);
        n += on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
            .execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// The MATCH expression of FTS5 for prefix `terms`: every word a quoted prefix, all required.
pub fn fts5_match(terms: &[String]) -> String {
    let m: Vec<String> = terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "")))
        .collect();
    m.join(" ")
}

/// `INSERT INTO table (workspace_id, cols..., created_at, updated_at) VALUES (...) RETURNING id`
/// for one row whose values are `args` in `cols` order.
pub fn insert_sql(table: &str, ws: WorkspaceId, cols: &[&str], args: Vec<Arg>, now: i64) -> Sql {
    let mut s = Sql::new(format!(
        "INSERT INTO {table} (workspace_id, {}, created_at, updated_at) VALUES (",
        cols.join(", ")
    ));
    let mut marks = vec![s.arg(ws.0)];
    for a in args {
        marks.push(s.arg(a));
    }
    marks.push(s.arg(now));
    marks.push(s.arg(now));
    s.push(&marks.join(", "));
    s.push(") RETURNING id");
    s
}

/// `UPDATE table SET col = ..., updated_at = ... WHERE workspace_id = ? AND id = ?`, writing
/// every column of one row.
pub fn update_sql(
    table: &str,
    ws: WorkspaceId,
    id: i64,
    cols: &[&str],
    args: Vec<Arg>,
    now: i64,
) -> Sql {
    let mut s = Sql::new(format!("UPDATE {table} SET "));
    let mut sets = Vec::new();
    for (col, a) in cols.iter().zip(args) {
        let p = s.arg(a);
        sets.push(format!("{col} = {p}"));
    }
    let p = s.arg(now);
    sets.push(format!("updated_at = {p}"));
    s.push(&sets.join(", "));
    s.push_args(
        " WHERE workspace_id = ? AND id = ?",
        vec![ws.0.into(), id.into()],
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_arguments() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        let p = s.arg(5i64);
        s.push(&p);
        s.push_args(" AND b = ? AND c = ?", vec!["x".into(), Arg::OptI64(None)]);
        assert_eq!(s.text, "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        assert_eq!(s.args.len(), 3);
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn placeholders_become_anonymous_with_arguments_in_text_order() {
        let (t, o) = anonymous("a = $1 AND b IN ($2, $3)", 3).unwrap_or_default();
        assert_eq!((t.as_str(), o), ("a = ? AND b IN (?, ?)", vec![0, 1, 2]));
        let (t, o) = anonymous("a = $2 AND b = $1 AND c = $2", 2).unwrap_or_default();
        assert_eq!(
            (t.as_str(), o),
            ("a = ? AND b = ? AND c = ?", vec![1, 0, 1])
        );
        assert_eq!(anonymous("x = $3", 2), None, "no third argument");
        assert_eq!(anonymous("x = $0", 2), None);
        let (t, o) = anonymous("j ->> '$.a' = $1", 1).unwrap_or_default();
        assert_eq!(
            (t.as_str(), o),
            ("j ->> '$.a' = ?", vec![0]),
            "a JSON path is not one"
        );
    }

    #[test]
    fn sqlite_text_binds_a_reused_value_twice() {
        let mut s = Sql::new("UPDATE t SET a = ");
        let now = s.arg(7i64);
        s.push(&format!("{now}, b = "));
        let x = s.arg("x");
        s.push(&format!("{x}, c = {now}"));
        let (text, order) = anonymous(&s.text, s.args.len()).unwrap_or_default();
        assert_eq!(text, "UPDATE t SET a = ?, b = ?, c = ?");
        let laid: Vec<Arg> = order.iter().map(|&k| s.args[k].clone()).collect();
        assert_eq!(laid, vec![Arg::I64(7), Arg::Text("x".into()), Arg::I64(7)]);
        // What `text_for` does on SQLite, twice: the second call changes nothing.
        let mut once = s.clone();
        let (text, order) = anonymous(&once.text, once.args.len()).unwrap_or_default();
        once.args = order.iter().map(|&k| once.args[k].clone()).collect();
        once.text = text;
        let again = anonymous(&once.text, once.args.len()).unwrap_or_default();
        assert!(again.1.is_empty(), "no placeholders are left to rewrite");
    }
}
