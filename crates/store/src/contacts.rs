//! Contacts: a person or a generic inbox, at a company or standing alone. A contact is a lead
//! when `lead_stage` is set. Every query is scoped by workspace.

use crate::companies::Cursor;
use crate::query::{Arg, Sql, search_condition};
use crate::query::{custom_pattern, in_list};
use crate::{ContactId, Db, Result, StoreError, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;
use std::collections::HashMap;

/// The columns of a contact that a person or an import writes.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct ContactFields {
    pub company_id: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// "company|full name" for a contact with neither email nor phone (de-duplication).
    #[serde(skip)]
    pub person_key: Option<String>,
    /// Custom fields as a JSON object of strings.
    pub custom: String,
    pub notes: Option<String>,
    pub source: String,
    pub lead_stage: Option<String>,
    pub lead_source: Option<String>,
    pub consent_email: String,
    pub consent_whatsapp: String,
    pub consent_sms: String,
    #[serde(skip)]
    pub search_text: String,
}

impl ContactFields {
    /// Empty fields with the defaults the database would give.
    pub fn new(source: &str) -> ContactFields {
        ContactFields {
            custom: "{}".into(),
            source: source.into(),
            consent_email: "unknown".into(),
            consent_whatsapp: "unknown".into(),
            consent_sms: "unknown".into(),
            ..Default::default()
        }
    }
}

/// A stored contact with its company's name and its tags.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Contact {
    pub id: i64,
    pub workspace_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: ContactFields,
    pub import_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub company_name: Option<String>,
    #[sqlx(skip)]
    pub tags: Vec<String>,
}

impl Contact {
    pub fn cid(&self) -> ContactId {
        ContactId(self.id)
    }

    /// The best name to show: full name, else first + last, else email, else phone.
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.f.full_name {
            return n.clone();
        }
        let parts: Vec<&str> = [&self.f.first_name, &self.f.last_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.f
            .email
            .clone()
            .or_else(|| self.f.phone.clone())
            .or_else(|| self.f.whatsapp.clone())
            .unwrap_or_else(|| format!("Contact #{}", self.id))
    }
}

/// Column list in insert order (everything in [`ContactFields`]).
pub const FIELD_COLS: &[&str] = &[
    "company_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "email",
    "phone",
    "whatsapp",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "person_key",
    "custom",
    "notes",
    "source",
    "lead_stage",
    "lead_source",
    "consent_email",
    "consent_whatsapp",
    "consent_sms",
    "search_text",
];

/// The values of `f` in [`FIELD_COLS`] order.
pub fn field_args(f: &ContactFields) -> Vec<Arg> {
    into_field_args(f.clone())
}

/// The values of `f` in [`FIELD_COLS`] order, moved rather than copied: bulk imports bind
/// millions of them, and every copy was an allocation.
pub fn into_field_args(f: ContactFields) -> Vec<Arg> {
    vec![
        Arg::OptI64(f.company_id),
        Arg::OptText(f.first_name),
        Arg::OptText(f.last_name),
        Arg::OptText(f.full_name),
        Arg::OptText(f.job_title),
        Arg::OptText(f.email),
        Arg::OptText(f.phone),
        Arg::OptText(f.whatsapp),
        Arg::OptText(f.address),
        Arg::OptText(f.city),
        Arg::OptText(f.region),
        Arg::OptText(f.postal_code),
        Arg::OptText(f.country),
        Arg::OptText(f.person_key),
        Arg::Text(f.custom),
        Arg::OptText(f.notes),
        Arg::Text(f.source),
        Arg::OptText(f.lead_stage),
        Arg::OptText(f.lead_source),
        Arg::Text(f.consent_email),
        Arg::Text(f.consent_whatsapp),
        Arg::Text(f.consent_sms),
        Arg::Text(f.search_text),
    ]
}

fn select_cols() -> String {
    let mut s = String::from("c.id, c.workspace_id");
    for col in FIELD_COLS {
        s.push_str(", c.");
        s.push_str(col);
    }
    s.push_str(", c.import_id, c.created_at, c.updated_at, co.name AS company_name");
    s
}

const FROM: &str = " FROM contacts c LEFT JOIN companies co ON co.id = c.company_id AND co.workspace_id = c.workspace_id";

/// Filters of the contacts table (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Prefix terms from `core::search::query_terms`.
    pub terms: Vec<String>,
    pub tag: Option<String>,
    pub source: Option<String>,
    /// A stage name; `"any"` means every lead.
    pub lead_stage: Option<String>,
    pub lead_source: Option<String>,
    pub has_email: Option<bool>,
    pub has_phone: Option<bool>,
    pub has_whatsapp: Option<bool>,
    pub company_id: Option<i64>,
    pub import_id: Option<i64>,
    pub custom_key: Option<String>,
    pub custom_value: Option<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub ids: Option<Vec<i64>>,
    /// Score tier (A, B, C) of the contact's company.
    pub company_tier: Option<String>,
}

/// Sort orders of the contacts table; each ends with the id for a stable keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSort {
    #[default]
    Newest,
    Oldest,
    Name,
    Updated,
}

fn where_clause(db: &Db, ws: WorkspaceId, f: &ContactFilter) -> Sql {
    where_clause_with(db, ws, f, false)
}

/// With `fts_driven`, the search is a MATCH on `contacts_fts` joined in the FROM clause
/// (see [`list`]) instead of an `IN` over every match.
fn where_clause_with(db: &Db, ws: WorkspaceId, f: &ContactFilter, fts_driven: bool) -> Sql {
    let mut s = Sql::new("");
    let w = s.arg(ws.0);
    s.push(&format!(" WHERE c.workspace_id = {w}"));
    if fts_driven {
        let p = s.arg(crate::query::fts5_match(&f.terms));
        s.push(&format!(" AND contacts_fts MATCH {p}"));
    } else if !f.terms.is_empty() {
        search_condition(db, &mut s, "c", "contacts_fts", &f.terms);
    }
    if let Some(tag) = &f.tag {
        s.push_args(
            " AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.workspace_id = c.workspace_id \
             AND t.contact_id = c.id AND t.tag = ?)",
            vec![tag.as_str().into()],
        );
    }
    if let Some(v) = &f.source {
        s.push_args(" AND c.source = ?", vec![v.as_str().into()]);
    }
    match f.lead_stage.as_deref() {
        Some("any") => {
            s.push(" AND c.lead_stage IS NOT NULL");
        }
        Some("none") => {
            s.push(" AND c.lead_stage IS NULL");
        }
        Some(v) => {
            s.push_args(" AND c.lead_stage = ?", vec![v.into()]);
        }
        None => {}
    }
    if let Some(v) = &f.lead_source {
        s.push_args(" AND c.lead_source = ?", vec![v.as_str().into()]);
    }
    for (flag, col) in [
        (f.has_email, "email"),
        (f.has_phone, "phone"),
        (f.has_whatsapp, "whatsapp"),
    ] {
        match flag {
            Some(true) => s.push(&format!(" AND c.{col} IS NOT NULL")),
            Some(false) => s.push(&format!(" AND c.{col} IS NULL")),
            None => &mut s,
        };
    }
    if let Some(v) = f.company_id {
        s.push_args(" AND c.company_id = ?", vec![v.into()]);
    }
    if let Some(v) = f.import_id {
        s.push_args(" AND c.import_id = ?", vec![v.into()]);
    }
    if let Some(t) = &f.company_tier {
        s.push_args(
            " AND c.company_id IN (SELECT sc.company_id FROM scores sc \
             WHERE sc.workspace_id = c.workspace_id AND sc.tier = ?)",
            vec![t.as_str().into()],
        );
    }
    if let Some(pat) = custom_pattern(f.custom_key.as_deref(), f.custom_value.as_deref()) {
        s.push_args(" AND c.custom LIKE ? ESCAPE '\\'", vec![pat.into()]);
    }
    if let Some(t) = f.created_after {
        s.push_args(" AND c.created_at >= ?", vec![t.into()]);
    }
    if let Some(t) = f.created_before {
        s.push_args(" AND c.created_at < ?", vec![t.into()]);
    }
    if let Some(ids) = &f.ids {
        in_list(&mut s, "c.id", ids);
    }
    s
}

fn order_and_cursor(s: &mut Sql, sort: ContactSort, cursor: Option<&Cursor>) -> &'static str {
    match (sort, cursor) {
        (ContactSort::Newest, Some(Cursor::Id(id))) => {
            s.push_args(" AND c.id < ?", vec![(*id).into()]);
        }
        (ContactSort::Oldest, Some(Cursor::Id(id))) => {
            s.push_args(" AND c.id > ?", vec![(*id).into()]);
        }
        (ContactSort::Name, Some(Cursor::Text(v, id))) => {
            s.push_args(
                " AND (COALESCE(c.full_name, ''), c.id) > (?, ?)",
                vec![v.as_str().into(), (*id).into()],
            );
        }
        (ContactSort::Updated, Some(Cursor::Int(v, id))) => {
            s.push_args(
                " AND (c.updated_at, c.id) < (?, ?)",
                vec![(*v).into(), (*id).into()],
            );
        }
        _ => {}
    }
    match sort {
        ContactSort::Newest => " ORDER BY c.id DESC",
        ContactSort::Oldest => " ORDER BY c.id ASC",
        ContactSort::Name => " ORDER BY COALESCE(c.full_name, '') ASC, c.id ASC",
        ContactSort::Updated => " ORDER BY c.updated_at DESC, c.id DESC",
    }
}

/// The cursor that continues after `c` under `sort`.
pub fn cursor_after(c: &Contact, sort: ContactSort) -> Cursor {
    match sort {
        ContactSort::Newest | ContactSort::Oldest => Cursor::Id(c.id),
        ContactSort::Name => Cursor::Text(c.f.full_name.clone().unwrap_or_default(), c.id),
        ContactSort::Updated => Cursor::Int(c.updated_at, c.id),
    }
}

/// One page of a workspace's contacts.
///
/// A search on SQLite, newest or oldest first, is driven by the full-text index: FTS5 hands
/// out matching rowids in order, so the first page stops after `limit` hits instead of
/// collecting every contact whose words match a common prefix ("lon" in a million rows).
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    f: &ContactFilter,
    sort: ContactSort,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Contact>> {
    let fts_driven = db.backend() == crate::Backend::Sqlite
        && !f.terms.is_empty()
        && matches!(sort, ContactSort::Newest | ContactSort::Oldest);
    let mut s = where_clause_with(db, ws, f, fts_driven);
    let (from, order) = if fts_driven {
        let desc = sort == ContactSort::Newest;
        if let Some(Cursor::Id(id)) = cursor {
            let op = if desc { "<" } else { ">" };
            s.push_args(
                &format!(" AND contacts_fts.rowid {op} ?"),
                vec![(*id).into()],
            );
        }
        (
            // CROSS JOIN keeps the full-text index as the outer loop: with a cursor, SQLite
            // would otherwise carry `rowid < ?` over to contacts, walk them, and run the
            // MATCH once per contact (seconds at a million rows).
            " FROM contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid LEFT JOIN \
             companies co ON co.id = c.company_id AND co.workspace_id = c.workspace_id"
                .to_string(),
            if desc {
                " ORDER BY contacts_fts.rowid DESC"
            } else {
                " ORDER BY contacts_fts.rowid ASC"
            },
        )
    } else {
        let order = order_and_cursor(&mut s, sort, cursor);
        (FROM.to_string(), order)
    };
    let lim = s.arg(limit.clamp(1, 10_000));
    let text = format!(
        "SELECT {}{from}{}{order} LIMIT {lim}",
        select_cols(),
        s.text
    );
    let mut rows = on_db!(db, p => bind_args!(sqlx::query_as::<_, Contact>(&text), s.args)
        .fetch_all(p).await)?;
    attach_tags(db, ws, &mut rows).await?;
    Ok(rows)
}

/// How many contacts match, counting at most `cap`.
pub async fn count(db: &Db, ws: WorkspaceId, f: &ContactFilter, cap: i64) -> Result<i64> {
    let fts_driven = db.backend() == crate::Backend::Sqlite && !f.terms.is_empty();
    let mut s = where_clause_with(db, ws, f, fts_driven);
    let lim = s.arg(cap);
    let from = if fts_driven {
        "contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid"
    } else {
        "contacts c"
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

/// Ids of every matching contact (bulk actions on a filtered table), at most `cap`.
pub async fn ids(db: &Db, ws: WorkspaceId, f: &ContactFilter, cap: i64) -> Result<Vec<i64>> {
    let mut s = where_clause(db, ws, f);
    let lim = s.arg(cap);
    let text = format!(
        "SELECT c.id FROM contacts c{} ORDER BY c.id LIMIT {lim}",
        s.text
    );
    Ok(
        on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&text), s.args)
        .fetch_all(p).await)?,
    )
}

pub async fn get(db: &Db, ws: WorkspaceId, id: ContactId) -> Result<Contact> {
    let f = ContactFilter {
        ids: Some(vec![id.0]),
        ..Default::default()
    };
    list(db, ws, &f, ContactSort::Newest, None, 1)
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Create a contact by hand or from an API call. A taken email is a `Conflict` on "email".
pub async fn insert(db: &Db, ws: WorkspaceId, f: &ContactFields) -> Result<Contact> {
    let mut s = crate::query::insert_sql("contacts", ws, FIELD_COLS, field_args(f), now_ms());
    let id: i64 = on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&s.text_for(db)), s.args)
        .fetch_one(p).await)?;
    get(db, ws, ContactId(id)).await
}

/// Replace every field of a contact.
pub async fn update(db: &Db, ws: WorkspaceId, id: ContactId, f: &ContactFields) -> Result<Contact> {
    let mut s = update_sql(ws, id.0, f, now_ms());
    let n = on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(db, ws, id).await
}

/// The UPDATE statement writing all fields of one contact.
pub(crate) fn update_sql(ws: WorkspaceId, id: i64, f: &ContactFields, now: i64) -> Sql {
    crate::query::update_sql("contacts", ws, id, FIELD_COLS, field_args(f), now)
}

/// Delete contacts. Returns how many were deleted.
pub async fn delete(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<u64> {
    crate::query::delete_by_ids(db, ws, "contacts", ids).await
}

/// Contacts matching any of the keys (import de-duplication). Phones match the phone or the
/// WhatsApp column.
pub async fn find_matches(
    db: &Db,
    ws: WorkspaceId,
    emails: &[String],
    phones: &[String],
    person_keys: &[String],
) -> Result<Vec<Contact>> {
    let mut out: Vec<Contact> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (col, vals) in [
        ("email", emails),
        ("phone", phones),
        ("whatsapp", phones),
        ("person_key", person_keys),
    ] {
        for chunk in vals.chunks(MATCH_CHUNK) {
            let mut s = match_sql(ws, col, chunk);
            let rows = on_db!(db, p => bind_args!(sqlx::query_as::<_, Contact>(&s.text_for(db)), s.args).persistent(false)
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

/// Values per lookup statement of [`find_matches`].
pub(crate) const MATCH_CHUNK: usize = 500;

/// The lookup of [`find_matches`] for one column (`email`, `phone`, `whatsapp`, `person_key`)
/// and up to [`MATCH_CHUNK`] values; imports also run it inside their own transaction.
pub(crate) fn match_sql(ws: WorkspaceId, col: &str, vals: &[String]) -> Sql {
    let mut s = Sql::new("");
    let w = s.arg(ws.0);
    let marks: Vec<String> = vals.iter().map(|v| s.arg(v.as_str())).collect();
    s.text = format!(
        "SELECT {}{FROM} WHERE c.workspace_id = {w} AND c.{col} IN ({})",
        select_cols(),
        marks.join(", ")
    );
    s
}

async fn attach_tags(db: &Db, ws: WorkspaceId, rows: &mut [Contact]) -> Result<()> {
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

/// Tags of the given contacts.
pub async fn tags_of(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    crate::tags::of(db, ws, crate::tags::CONTACT_TAGS, ids).await
}

/// Add `tag` to the contacts (already tagged ones are left alone). Returns rows added.
pub async fn add_tag(db: &Db, ws: WorkspaceId, ids: &[i64], tag: &str) -> Result<u64> {
    crate::tags::add(db, ws, crate::tags::CONTACT_TAGS, ids, tag).await
}

/// Remove `tag` from the contacts. Returns rows removed.
pub async fn remove_tag(db: &Db, ws: WorkspaceId, ids: &[i64], tag: &str) -> Result<u64> {
    crate::tags::remove(db, ws, crate::tags::CONTACT_TAGS, ids, tag).await
}

/// Every distinct tag in use on contacts, for filter menus.
pub async fn all_tags(db: &Db, ws: WorkspaceId) -> Result<Vec<String>> {
    crate::tags::all(db, ws, crate::tags::CONTACT_TAGS).await
}

/// Totals for the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContactTotals {
    pub contacts: i64,
    pub with_email: i64,
    pub with_phone: i64,
    pub leads: i64,
}

pub async fn totals(db: &Db, ws: WorkspaceId) -> Result<ContactTotals> {
    let (contacts, with_email, with_phone, leads): (i64, i64, i64, i64) = on_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*), COUNT(email), COUNT(COALESCE(phone, whatsapp)), COUNT(lead_stage) \
         FROM contacts WHERE workspace_id = $1")
        .bind(ws.0).fetch_one(p).await)?;
    Ok(ContactTotals {
        contacts,
        with_email,
        with_phone,
        leads,
    })
}

/// Make a contact a lead: set `lead_stage` and `lead_source` where they are not set yet (a
/// lead that already moved on keeps its stage). Returns true when the contact became a lead.
pub async fn make_lead(
    db: &Db,
    ws: WorkspaceId,
    id: ContactId,
    stage: &str,
    source: &str,
) -> Result<bool> {
    let n = on_db!(db, p => sqlx::query(
        "UPDATE contacts SET lead_stage = $3, lead_source = COALESCE(lead_source, $4), \
         updated_at = $5 WHERE workspace_id = $1 AND id = $2 AND lead_stage IS NULL")
        .bind(ws.0).bind(id.0).bind(stage).bind(source).bind(now_ms())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The person's name of each contact that has one (full name, else first + last), for the
/// display name of a `To:` header. Contacts without a name are left out.
pub async fn person_names(
    db: &Db,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut s = crate::query::Sql::new("");
        s.push_args(
            "SELECT id, full_name, first_name, last_name FROM contacts WHERE workspace_id = ?",
            vec![ws.0.into()],
        );
        crate::query::in_list(&mut s, "id", chunk);
        type Row = (i64, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = on_db!(db, p => crate::bind_args!(
            sqlx::query_as::<_, Row>(&s.text_for(db)), s.args).persistent(false).fetch_all(p).await)?;
        for (id, full, first, last) in rows {
            let name = full.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| {
                [first, last]
                    .into_iter()
                    .flatten()
                    .filter(|p| !p.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            if !name.trim().is_empty() {
                out.insert(id, name.trim().to_string());
            }
        }
    }
    Ok(out)
}
