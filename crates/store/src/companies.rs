//! Companies: the businesses being prospected. Every query is scoped by workspace.

use crate::query::{Sql, custom_pattern, in_list, search_condition};
use crate::{CompanyId, Db, Result, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::collections::HashMap;

/// The columns of a company that a person or an import writes.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct CompanyFields {
    pub name: Option<String>,
    /// Lower-cased "name|city", to match a company that has no website or phone.
    #[serde(skip)]
    pub name_key: Option<String>,
    /// Registrable domain of the website ("acme.com"); unset for shared hosts.
    pub domain: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub category: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub rating: Option<f64>,
    pub review_count: Option<i64>,
    pub source: String,
    pub source_id: Option<String>,
    /// Custom fields as a JSON object of strings.
    pub custom: String,
    pub notes: Option<String>,
    #[serde(skip)]
    pub search_text: String,
}

/// A stored company.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Company {
    pub id: i64,
    pub workspace_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: CompanyFields,
    pub import_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Contacts at this company.
    pub contact_count: i64,
    /// Current lead score 0-100 (none until scored).
    #[sqlx(default)]
    pub score_value: Option<i64>,
    /// A, B or C.
    #[sqlx(default)]
    pub score_tier: Option<String>,
    /// The score's one-line reason.
    #[sqlx(default)]
    pub score_reason: Option<String>,
    #[sqlx(skip)]
    pub tags: Vec<String>,
}

impl Company {
    pub fn cid(&self) -> CompanyId {
        CompanyId(self.id)
    }
}

/// Column list in insert order (everything in [`CompanyFields`]).
pub const FIELD_COLS: &[&str] = &[
    "name",
    "name_key",
    "domain",
    "website",
    "phone",
    "category",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "rating",
    "review_count",
    "source",
    "source_id",
    "custom",
    "notes",
    "search_text",
];

/// The values of `f` in [`FIELD_COLS`] order.
pub fn field_args(f: &CompanyFields) -> Vec<crate::query::Arg> {
    into_field_args(f.clone())
}

/// The values of `f` in [`FIELD_COLS`] order, moved rather than copied (bulk imports).
pub fn into_field_args(f: CompanyFields) -> Vec<crate::query::Arg> {
    use crate::query::Arg;
    vec![
        Arg::OptText(f.name),
        Arg::OptText(f.name_key),
        Arg::OptText(f.domain),
        Arg::OptText(f.website),
        Arg::OptText(f.phone),
        Arg::OptText(f.category),
        Arg::OptText(f.address),
        Arg::OptText(f.city),
        Arg::OptText(f.region),
        Arg::OptText(f.postal_code),
        Arg::OptText(f.country),
        Arg::OptF64(f.latitude),
        Arg::OptF64(f.longitude),
        Arg::OptF64(f.rating),
        Arg::OptI64(f.review_count),
        Arg::Text(f.source),
        Arg::OptText(f.source_id),
        Arg::Text(f.custom),
        Arg::OptText(f.notes),
        Arg::Text(f.search_text),
    ]
}

fn select_cols() -> String {
    let mut s = String::from("co.id, co.workspace_id");
    for c in FIELD_COLS {
        s.push_str(", co.");
        s.push_str(c);
    }
    s.push_str(
        ", co.import_id, co.created_at, co.updated_at, \
         (SELECT COUNT(*) FROM contacts ct WHERE ct.workspace_id = co.workspace_id \
         AND ct.company_id = co.id) AS contact_count, \
         sc.value AS score_value, sc.tier AS score_tier, sc.reason AS score_reason",
    );
    s
}

/// The join that brings a company's current score into [`list`].
const SCORE_JOIN: &str =
    " LEFT JOIN scores sc ON sc.workspace_id = co.workspace_id AND sc.company_id = co.id";

/// Filters of the companies table (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    /// Prefix terms from `core::search::query_terms`.
    pub terms: Vec<String>,
    pub tag: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub has_website: Option<bool>,
    pub has_phone: Option<bool>,
    pub custom_key: Option<String>,
    pub custom_value: Option<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub ids: Option<Vec<i64>>,
    /// Score tier A, B or C (unscored companies never match).
    pub tier: Option<String>,
}

/// Sort orders of the companies table; each ends with the id for a stable keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompanySort {
    #[default]
    Newest,
    Oldest,
    Name,
    Updated,
    /// Highest score first; unscored companies last.
    Score,
}

/// Where the next page starts: the sort value and id of the last row of this one.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    Id(i64),
    Text(String, i64),
    Int(i64, i64),
}

fn where_clause(db: &Db, ws: WorkspaceId, f: &CompanyFilter) -> Sql {
    where_clause_with(db, ws, f, false)
}

/// With `fts_driven`, the search is a MATCH on `companies_fts` joined first in the FROM clause
/// (see [`list`]) instead of an `IN` over every match.
fn where_clause_with(db: &Db, ws: WorkspaceId, f: &CompanyFilter, fts_driven: bool) -> Sql {
    let mut s = Sql::new("");
    let w = s.arg(ws.0);
    s.push(&format!(" WHERE co.workspace_id = {w}"));
    if fts_driven {
        let p = s.arg(crate::query::fts5_match(&f.terms));
        s.push(&format!(" AND companies_fts MATCH {p}"));
    } else if !f.terms.is_empty() {
        search_condition(db, &mut s, "co", "companies_fts", &f.terms);
    }
    if let Some(tag) = &f.tag {
        s.push_args(
            " AND EXISTS (SELECT 1 FROM company_tags t WHERE t.workspace_id = co.workspace_id \
             AND t.company_id = co.id AND t.tag = ?)",
            vec![tag.as_str().into()],
        );
    }
    if let Some(v) = &f.source {
        s.push_args(" AND co.source = ?", vec![v.as_str().into()]);
    }
    if let Some(v) = &f.category {
        s.push_args(" AND co.category = ?", vec![v.as_str().into()]);
    }
    if let Some(v) = &f.country {
        s.push_args(" AND co.country = ?", vec![v.as_str().into()]);
    }
    for (flag, col) in [(f.has_website, "website"), (f.has_phone, "phone")] {
        match flag {
            Some(true) => s.push(&format!(" AND co.{col} IS NOT NULL")),
            Some(false) => s.push(&format!(" AND co.{col} IS NULL")),
            None => &mut s,
        };
    }
    if let Some(pat) = custom_pattern(f.custom_key.as_deref(), f.custom_value.as_deref()) {
        s.push_args(" AND co.custom LIKE ? ESCAPE '\\'", vec![pat.into()]);
    }
    if let Some(t) = f.created_after {
        s.push_args(" AND co.created_at >= ?", vec![t.into()]);
    }
    if let Some(t) = f.created_before {
        s.push_args(" AND co.created_at < ?", vec![t.into()]);
    }
    if let Some(ids) = &f.ids {
        in_list(&mut s, "co.id", ids);
    }
    if let Some(t) = &f.tier {
        s.push_args(
            " AND EXISTS (SELECT 1 FROM scores st WHERE st.workspace_id = co.workspace_id \
             AND st.company_id = co.id AND st.tier = ?)",
            vec![t.as_str().into()],
        );
    }
    s
}

fn order_and_cursor(s: &mut Sql, sort: CompanySort, cursor: Option<&Cursor>) -> &'static str {
    match (sort, cursor) {
        (CompanySort::Newest, Some(Cursor::Id(id))) => {
            s.push_args(" AND co.id < ?", vec![(*id).into()]);
        }
        (CompanySort::Oldest, Some(Cursor::Id(id))) => {
            s.push_args(" AND co.id > ?", vec![(*id).into()]);
        }
        (CompanySort::Name, Some(Cursor::Text(v, id))) => {
            s.push_args(
                " AND (COALESCE(co.name, ''), co.id) > (?, ?)",
                vec![v.as_str().into(), (*id).into()],
            );
        }
        (CompanySort::Updated, Some(Cursor::Int(v, id))) => {
            s.push_args(
                " AND (co.updated_at, co.id) < (?, ?)",
                vec![(*v).into(), (*id).into()],
            );
        }
        (CompanySort::Score, Some(Cursor::Int(v, id))) => {
            s.push_args(
                " AND (COALESCE(sc.value, -1), co.id) < (?, ?)",
                vec![(*v).into(), (*id).into()],
            );
        }
        _ => {}
    }
    match sort {
        CompanySort::Newest => " ORDER BY co.id DESC",
        CompanySort::Oldest => " ORDER BY co.id ASC",
        CompanySort::Name => " ORDER BY COALESCE(co.name, '') ASC, co.id ASC",
        CompanySort::Updated => " ORDER BY co.updated_at DESC, co.id DESC",
        CompanySort::Score => " ORDER BY COALESCE(sc.value, -1) DESC, co.id DESC",
    }
}

/// The cursor that continues after `c` under `sort`.
pub fn cursor_after(c: &Company, sort: CompanySort) -> Cursor {
    match sort {
        CompanySort::Newest | CompanySort::Oldest => Cursor::Id(c.id),
        CompanySort::Name => Cursor::Text(c.f.name.clone().unwrap_or_default(), c.id),
        CompanySort::Updated => Cursor::Int(c.updated_at, c.id),
        CompanySort::Score => Cursor::Int(c.score_value.unwrap_or(-1), c.id),
    }
}

/// One page of a workspace's companies.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    f: &CompanyFilter,
    sort: CompanySort,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Company>> {
    // As for contacts: on SQLite a search in id order is driven by FTS5 (CROSS JOIN keeps it
    // the outer loop), so a page stops after `limit` hits.
    let fts_driven = db.backend() == crate::Backend::Sqlite
        && !f.terms.is_empty()
        && matches!(sort, CompanySort::Newest | CompanySort::Oldest);
    let mut s = where_clause_with(db, ws, f, fts_driven);
    let (from, order) = if fts_driven {
        let desc = sort == CompanySort::Newest;
        if let Some(Cursor::Id(id)) = cursor {
            let op = if desc { "<" } else { ">" };
            s.push_args(
                &format!(" AND companies_fts.rowid {op} ?"),
                vec![(*id).into()],
            );
        }
        (
            "companies_fts CROSS JOIN companies co ON co.id = companies_fts.rowid",
            if desc {
                " ORDER BY companies_fts.rowid DESC"
            } else {
                " ORDER BY companies_fts.rowid ASC"
            },
        )
    } else {
        ("companies co", order_and_cursor(&mut s, sort, cursor))
    };
    let lim = s.arg(limit.clamp(1, 10_000));
    let text = format!(
        "SELECT {} FROM {from}{SCORE_JOIN}{}{order} LIMIT {lim}",
        select_cols(),
        s.text
    );
    let mut rows = on_db!(db, p => bind_args!(sqlx::query_as::<_, Company>(&text), s.args)
        .fetch_all(p).await)?;
    attach_tags(db, ws, &mut rows).await?;
    Ok(rows)
}

/// How many companies match, counting at most `cap` (a large table shows "10,000+").
pub async fn count(db: &Db, ws: WorkspaceId, f: &CompanyFilter, cap: i64) -> Result<i64> {
    // Driven by the full-text index on SQLite, like `list`, so a capped count stops early.
    let fts_driven = db.backend() == crate::Backend::Sqlite && !f.terms.is_empty();
    let mut s = where_clause_with(db, ws, f, fts_driven);
    let lim = s.arg(cap);
    let from = if fts_driven {
        "companies_fts CROSS JOIN companies co ON co.id = companies_fts.rowid"
    } else {
        "companies co"
    };
    let text = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from}{} LIMIT {lim}) x",
        s.text
    );
    Ok(
        on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&text), s.args)
        .fetch_one(p).await)?,
    )
}

/// Ids of every matching company (bulk actions on a filtered table), at most `cap`.
pub async fn ids(db: &Db, ws: WorkspaceId, f: &CompanyFilter, cap: i64) -> Result<Vec<i64>> {
    let mut s = where_clause(db, ws, f);
    let lim = s.arg(cap);
    let text = format!(
        "SELECT co.id FROM companies co{} ORDER BY co.id LIMIT {lim}",
        s.text
    );
    Ok(
        on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&text), s.args)
        .fetch_all(p).await)?,
    )
}

pub async fn get(db: &Db, ws: WorkspaceId, id: CompanyId) -> Result<Company> {
    let f = CompanyFilter {
        ids: Some(vec![id.0]),
        ..Default::default()
    };
    list(db, ws, &f, CompanySort::Newest, None, 1)
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Create a company by hand or from an API call.
pub async fn insert(db: &Db, ws: WorkspaceId, f: &CompanyFields) -> Result<Company> {
    let mut s = crate::query::insert_sql("companies", ws, FIELD_COLS, field_args(f), now_ms());
    let id: i64 = on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&s.text_for(db)), s.args)
        .fetch_one(p).await)?;
    get(db, ws, CompanyId(id)).await
}

/// Replace every field of a company.
pub async fn update(db: &Db, ws: WorkspaceId, id: CompanyId, f: &CompanyFields) -> Result<Company> {
    let mut s = update_sql(ws, id.0, f, now_ms());
    let n = on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(db, ws, id).await
}

/// The UPDATE statement writing all fields of one company.
pub(crate) fn update_sql(ws: WorkspaceId, id: i64, f: &CompanyFields, now: i64) -> Sql {
    crate::query::update_sql("companies", ws, id, FIELD_COLS, field_args(f), now)
}

/// Delete companies (their contacts stay, without a company). Returns how many were deleted.
pub async fn delete(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<u64> {
    crate::query::delete_by_ids(db, ws, "companies", ids).await
}

/// Companies matching any of the keys (import de-duplication).
pub async fn find_matches(
    db: &Db,
    ws: WorkspaceId,
    domains: &[String],
    phones: &[String],
    name_keys: &[String],
) -> Result<Vec<Company>> {
    let mut out: Vec<Company> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (col, vals) in [
        ("domain", domains),
        ("phone", phones),
        ("name_key", name_keys),
    ] {
        for chunk in vals.chunks(crate::contacts::MATCH_CHUNK) {
            let mut s = match_sql(ws, col, chunk);
            let rows = on_db!(db, p => bind_args!(sqlx::query_as::<_, Company>(&s.text_for(db)), s.args).persistent(false)
                .fetch_all(p).await)?;
            for r in rows {
                if seen.insert(r.id) {
                    out.push(r);
                }
            }
        }
    }
    attach_tags(db, ws, &mut out).await?;
    Ok(out)
}

/// The lookup of [`find_matches`] for one column (`domain`, `phone`, `name_key`) and a chunk
/// of values; imports also run it inside their own transaction.
pub(crate) fn match_sql(ws: WorkspaceId, col: &str, vals: &[String]) -> Sql {
    let mut s = Sql::new("");
    let w = s.arg(ws.0);
    let marks: Vec<String> = vals.iter().map(|v| s.arg(v.as_str())).collect();
    s.text = format!(
        "SELECT {} FROM companies co WHERE co.workspace_id = {w} AND co.{col} IN ({})",
        select_cols_light(),
        marks.join(", ")
    );
    s
}

/// Like [`select_cols`] without the contact count (cheaper, for matching).
fn select_cols_light() -> String {
    let mut s = String::from("co.id, co.workspace_id");
    for c in FIELD_COLS {
        s.push_str(", co.");
        s.push_str(c);
    }
    s.push_str(", co.import_id, co.created_at, co.updated_at, CAST(0 AS BIGINT) AS contact_count");
    s
}

async fn attach_tags(db: &Db, ws: WorkspaceId, rows: &mut [Company]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let tags = tags_of(db, ws, &ids).await?;
    for r in rows.iter_mut() {
        r.tags = tags.get(&r.id).cloned().unwrap_or_default();
    }
    Ok(())
}

/// Tags of the given companies.
pub async fn tags_of(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    crate::tags::of(db, ws, crate::tags::COMPANY_TAGS, ids).await
}

/// Add `tag` to the companies (already tagged ones are left alone). Returns rows added.
pub async fn add_tag(db: &Db, ws: WorkspaceId, ids: &[i64], tag: &str) -> Result<u64> {
    crate::tags::add(db, ws, crate::tags::COMPANY_TAGS, ids, tag).await
}

/// Remove `tag` from the companies. Returns rows removed.
pub async fn remove_tag(db: &Db, ws: WorkspaceId, ids: &[i64], tag: &str) -> Result<u64> {
    crate::tags::remove(db, ws, crate::tags::COMPANY_TAGS, ids, tag).await
}

/// Every distinct tag in use on companies, for filter menus.
pub async fn all_tags(db: &Db, ws: WorkspaceId) -> Result<Vec<String>> {
    crate::tags::all(db, ws, crate::tags::COMPANY_TAGS).await
}
