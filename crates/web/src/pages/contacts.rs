//! Contacts: the table (search, filters, sort, keyset pages, a column chooser, bulk actions,
//! CSV export), the detail page (every field, tags, custom fields, notes, timeline, edit,
//! delete, erase) and the form for a new contact. Also the small helpers the companies and
//! imports pages share: flash notices, query strings, numbers, form errors.

use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prospector_app::AppError;
use prospector_app::contacts::{
    self as app, Bulk, ContactInput, LEAD_SOURCES, LEAD_STAGES, ListQuery, Selection,
};
use prospector_app::core::ids::{CompanyId, ContactId};
use prospector_app::store::contacts::Contact;
use prospector_app::store::timeline::{Activity, Note, Subject};
use serde::Deserialize;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// `?notice=` and `?error=` from a POST-redirect-GET.
#[derive(Deserialize, Default)]
pub struct Notice {
    pub notice: Option<String>,
    pub error: Option<String>,
}

pub(super) fn flash(shell: Shell, n: &Notice) -> Shell {
    match (&n.notice, &n.error) {
        (_, Some(e)) if !e.is_empty() => shell.with_flash("error", e.clone()),
        (Some(t), _) if !t.is_empty() => shell.with_flash("success", t.clone()),
        _ => shell,
    }
}

/// A record id from the path; anything that is not a positive number is simply not found.
pub(super) fn id_of(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

/// 12345 -> "12,345".
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Most rows the table counts exactly; beyond it the page says "10,000+".
pub(super) const COUNT_CAP: i64 = 10_000;

pub(super) fn count_label(n: i64, one: &str, many: &str) -> String {
    if n >= COUNT_CAP {
        format!("{}+ {many}", thousands(COUNT_CAP))
    } else if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(n))
    }
}

/// Every table parameter of [`ListQuery`] but the cursor, in a stable order.
const QUERY_KEYS: &[&str] = &[
    "q",
    "tag",
    "source",
    "lead_stage",
    "lead_source",
    "has_email",
    "has_phone",
    "has_whatsapp",
    "has_website",
    "company_id",
    "import_id",
    "category",
    "country",
    "custom_key",
    "custom_value",
    "created_after",
    "created_before",
    "tier",
    "sort",
    "limit",
];

fn slot<'a>(q: &'a mut ListQuery, key: &str) -> Option<&'a mut Option<String>> {
    Some(match key {
        "q" => &mut q.q,
        "tag" => &mut q.tag,
        "tier" => &mut q.tier,
        "source" => &mut q.source,
        "lead_stage" => &mut q.lead_stage,
        "lead_source" => &mut q.lead_source,
        "has_email" => &mut q.has_email,
        "has_phone" => &mut q.has_phone,
        "has_whatsapp" => &mut q.has_whatsapp,
        "has_website" => &mut q.has_website,
        "company_id" => &mut q.company_id,
        "import_id" => &mut q.import_id,
        "category" => &mut q.category,
        "country" => &mut q.country,
        "custom_key" => &mut q.custom_key,
        "custom_value" => &mut q.custom_value,
        "created_after" => &mut q.created_after,
        "created_before" => &mut q.created_before,
        "sort" => &mut q.sort,
        "limit" => &mut q.limit,
        "cursor" => &mut q.cursor,
        _ => return None,
    })
}

/// The non-empty filters of `q` (not the cursor) as query-string pairs.
pub(super) fn filter_pairs(q: &ListQuery) -> Vec<(&'static str, String)> {
    let mut q = q.clone();
    QUERY_KEYS
        .iter()
        .filter_map(|k| {
            slot(&mut q, k)
                .and_then(|v| v.as_deref().map(str::trim).map(str::to_string))
                .filter(|v| !v.is_empty())
                .map(|v| (*k, v))
        })
        .collect()
}

pub(super) fn encode(pairs: &[(&str, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
}

pub(super) fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encode(pairs))
    }
}

/// A table query carried in a hidden form field (the bulk actions' "every matching row").
pub(super) fn parse_query(raw: &str) -> ListQuery {
    let mut q = ListQuery::default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        if k == "cursor" {
            continue;
        }
        if let Some(s) = slot(&mut q, &k) {
            *s = Some(v.into_owned());
        }
    }
    q
}

/// A value of a repeated-key form (`Form<Vec<(String, String)>>`).
pub(super) fn form_value<'a>(f: &'a [(String, String)], key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(super) fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// A form error shown as a notice on the page it came back to.
pub(super) fn redirect_error(path: &str, e: AppError) -> Response {
    if matches!(
        e,
        AppError::Internal(_)
            | AppError::Unavailable(_)
            | AppError::NotFound
            | AppError::Forbidden(_)
    ) {
        return super::app_error_page(e);
    }
    let msg = crate::error::public_message(&e);
    let sep = if path.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!(
        "{path}{sep}error={}",
        form_urlencoded::byte_serialize(msg.as_bytes()).collect::<String>()
    ))
    .into_response()
}

/// A rendered page with a status other than 200.
pub(super) fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

/// Which field a validation error names, its message and the status to answer with.
/// `None` for errors that are not about the form's input.
pub(super) fn form_error(e: &AppError) -> Option<(String, String, StatusCode)> {
    match e {
        AppError::Validation { field, message } => Some((
            field.clone().unwrap_or_default(),
            message.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        AppError::Conflict { field, message } => Some((
            field.clone().unwrap_or_default(),
            message.clone(),
            StatusCode::CONFLICT,
        )),
        AppError::BadRequest(m) => Some((String::new(), m.clone(), StatusCode::BAD_REQUEST)),
        _ => None,
    }
}

/// Custom fields as "key: value" lines for a textarea.
pub(super) fn custom_lines(json: &str) -> String {
    custom_pairs(json)
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn custom_pairs(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<BTreeMap<String, serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

/// Parse "key: value" (or "key = value") lines; blank lines are skipped.
pub(super) fn parse_custom(text: &str) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = line.find([':', '=']).ok_or_else(|| {
            AppError::invalid(
                "custom",
                format!(
                    "custom fields, line {}: write one field per line as \"key: value\"",
                    n + 1
                ),
            )
        })?;
        let (k, v) = (line[..at].trim(), line[at + 1..].trim());
        if k.is_empty() {
            return Err(AppError::invalid(
                "custom",
                format!("custom fields, line {}: the key is empty", n + 1),
            ));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// Times as `YYYY-MM-DD HH:MM` (UTC) for pages read without JavaScript; app.js turns every
/// `<time data-ms>` into the reader's local time.
pub(super) trait Times {
    fn when(&self, ms: impl std::borrow::Borrow<i64>) -> String {
        let ms = *ms.borrow();
        if ms <= 0 {
            String::new()
        } else {
            prospector_app::core::time::format_ms(ms)
        }
    }
}

/// A label and a value of a record's detail list (optionally a link).
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub href: String,
}

pub(super) fn fact(label: &'static str, value: &Option<String>) -> Fact {
    Fact {
        label,
        value: opt(value),
        href: String::new(),
    }
}

/// "import #3", or "api (import #3)" for a record from another source touched by an import.
pub(super) fn import_label(source: &str, import_id: i64) -> String {
    if source == "import" {
        format!("import #{import_id}")
    } else {
        format!("{source} (import #{import_id})")
    }
}

/// A link target for a stored website: only plain http(s) URLs become links.
pub(super) fn web_href(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.trim().to_string()
    } else {
        String::new()
    }
}

/// The tabs above the contacts, companies and imports pages.
pub(super) const TAB_CONTACTS: &str = "contacts";
pub(super) const TAB_COMPANIES: &str = "companies";
pub(super) const TAB_IMPORTS: &str = "imports";

/// A column the chooser can hide: key, heading, shown by default.
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub default_on: bool,
}

const fn col(key: &'static str, label: &'static str, default_on: bool) -> Column {
    Column {
        key,
        label,
        default_on,
    }
}

/// The filters as plain strings for the form (empty = not set).
#[derive(Default)]
pub struct Filters {
    pub q: String,
    pub tag: String,
    pub source: String,
    pub lead_stage: String,
    pub has_email: String,
    pub has_phone: String,
    pub has_whatsapp: String,
    pub has_website: String,
    pub category: String,
    pub country: String,
    pub custom_key: String,
    pub custom_value: String,
    pub created_after: String,
    pub created_before: String,
    pub sort: String,
    pub company_id: String,
    pub import_id: String,
    /// Score tier A, B or C (companies).
    pub tier: String,
}

impl Filters {
    pub(super) fn of(q: &ListQuery) -> Filters {
        let t = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
        Filters {
            q: t(&q.q),
            tag: t(&q.tag),
            source: t(&q.source),
            lead_stage: t(&q.lead_stage),
            has_email: t(&q.has_email),
            has_phone: t(&q.has_phone),
            has_whatsapp: t(&q.has_whatsapp),
            has_website: t(&q.has_website),
            category: t(&q.category),
            country: t(&q.country),
            custom_key: t(&q.custom_key),
            custom_value: t(&q.custom_value),
            created_after: t(&q.created_after),
            created_before: t(&q.created_before),
            sort: t(&q.sort),
            company_id: t(&q.company_id),
            import_id: t(&q.import_id),
            tier: t(&q.tier).to_uppercase(),
        }
    }

    /// True when a filter behind the "Filters" toggle is set (the search box is not one).
    pub(super) fn advanced(&self) -> bool {
        [
            &self.tag,
            &self.source,
            &self.lead_stage,
            &self.has_email,
            &self.has_phone,
            &self.has_whatsapp,
            &self.has_website,
            &self.category,
            &self.country,
            &self.custom_key,
            &self.custom_value,
            &self.created_after,
            &self.created_before,
            &self.tier,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    /// True when anything narrows the table (the sort does not).
    pub(super) fn narrowing(&self) -> bool {
        [
            &self.q,
            &self.tag,
            &self.source,
            &self.lead_stage,
            &self.has_email,
            &self.has_phone,
            &self.has_whatsapp,
            &self.has_website,
            &self.category,
            &self.country,
            &self.custom_key,
            &self.custom_value,
            &self.created_after,
            &self.created_before,
            &self.company_id,
            &self.import_id,
            &self.tier,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

/// The links of a table page: next page, first page, export, and the query for bulk actions.
pub struct Links {
    pub next: String,
    pub first: String,
    pub export: String,
    pub query: String,
    pub clear: String,
}

pub(super) fn links(base: &str, q: &ListQuery, next_cursor: Option<String>) -> Links {
    let pairs = filter_pairs(q);
    let next = match next_cursor {
        Some(c) => {
            let mut p = pairs.clone();
            p.push(("cursor", c));
            with_query(base, &p)
        }
        None => String::new(),
    };
    let first = if q.cursor.as_deref().is_some_and(|c| !c.trim().is_empty()) {
        with_query(base, &pairs)
    } else {
        String::new()
    };
    let mut ex = pairs.clone();
    ex.retain(|(k, _)| *k != "limit");
    ex.push(("bom", "1".into()));
    Links {
        next,
        first,
        export: with_query(&format!("{base}/export.csv"), &ex),
        query: encode(&pairs),
        clear: base.to_string(),
    }
}

/// A CSV download.
pub(super) fn csv_response(file_name: &str, body: Vec<u8>) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Today as YYYY-MM-DD (UTC), for file names.
pub(super) fn today() -> String {
    prospector_app::core::time::format_ms(prospector_app::core::time::now_ms())
        .chars()
        .take(10)
        .collect()
}

#[derive(Deserialize, Default)]
pub struct ExportOpts {
    pub bom: Option<String>,
}

impl ExportOpts {
    pub(super) fn bom(&self) -> bool {
        matches!(self.bom.as_deref(), Some("1" | "true" | "yes" | "on"))
    }
}

/// What a bulk form sends: the action, its tag, the ticked ids or "every matching row".
pub(super) fn bulk_request(
    f: &[(String, String)],
) -> Result<(String, String, Selection), AppError> {
    let action = form_value(f, "action").to_string();
    let tag = form_value(f, "bulk_tag").trim().to_string();
    let all = form_value(f, "all") == "1";
    let selection = if all {
        Selection {
            ids: vec![],
            query: Some(parse_query(form_value(f, "query"))),
        }
    } else {
        let ids: Vec<i64> = f
            .iter()
            .filter(|(k, _)| k == "id")
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        if ids.is_empty() {
            return Err(AppError::invalid(
                "ids",
                "tick at least one row, or “all matching rows”",
            ));
        }
        Selection { ids, query: None }
    };
    if matches!(action.as_str(), "tag" | "untag") && tag.is_empty() {
        return Err(AppError::invalid("tag", "type the tag to add or remove"));
    }
    Ok((action, tag, selection))
}

pub(super) fn bulk_action<'a>(action: &str, tag: &'a str) -> Result<Bulk<'a>, AppError> {
    match action {
        "tag" => Ok(Bulk::Tag(tag)),
        "untag" => Ok(Bulk::Untag(tag)),
        "delete" => Ok(Bulk::Delete),
        o => Err(AppError::invalid(
            "action",
            format!("unknown bulk action '{o}'"),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The table

const CONTACT_COLUMNS: &[Column] = &[
    col("email", "Email", true),
    col("phone", "Phone", true),
    col("whatsapp", "WhatsApp", false),
    col("company", "Company", true),
    col("job_title", "Job title", false),
    col("city", "City", true),
    col("country", "Country", false),
    col("tags", "Tags", true),
    col("source", "Source", false),
    col("stage", "Lead stage", true),
    col("created", "Created", true),
];

/// Record sources a filter can pick.
pub(super) const SOURCES: &[&str] = &["import", "manual", "api", "scan"];

pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub whatsapp: String,
    pub company: String,
    pub company_id: i64,
    pub job_title: String,
    pub city: String,
    pub country: String,
    pub tags: Vec<String>,
    pub source: String,
    pub stage: String,
    pub created_at: i64,
}

impl ContactRow {
    fn of(c: &Contact) -> ContactRow {
        ContactRow {
            id: c.id,
            name: c.display_name(),
            email: opt(&c.f.email),
            phone: opt(&c.f.phone),
            whatsapp: opt(&c.f.whatsapp),
            company: opt(&c.company_name),
            company_id: c.f.company_id.unwrap_or(0),
            job_title: opt(&c.f.job_title),
            city: opt(&c.f.city),
            country: opt(&c.f.country),
            tags: c.tags.clone(),
            source: c.f.source.clone(),
            stage: opt(&c.f.lead_stage),
            created_at: c.created_at,
        }
    }
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    shell: Shell,
    tab: &'static str,
    empty: bool,
    f: Filters,
    rows: Vec<ContactRow>,
    count: String,
    links: Links,
    tags: Vec<String>,
    sources: &'static [&'static str],
    stages: &'static [&'static str],
    columns: &'static [Column],
}

impl Times for ContactsPage {}
impl Times for ContactPage {}

pub async fn list(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListQuery>,
    Query(n): Query<Notice>,
) -> PageResult {
    let mut shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let any = app::count_contacts(&s.app, &p.ctx, &ListQuery::default(), 1).await?;
    let base = format!("/w/{}/contacts", p.ctx.slug);
    let (rows, next, count) = if any == 0 {
        (vec![], None, 0)
    } else {
        match app::list_contacts(&s.app, &p.ctx, &q).await {
            Ok(page) => {
                let count = app::count_contacts(&s.app, &p.ctx, &q, COUNT_CAP).await?;
                (page.data, page.next_cursor, count)
            }
            Err(e @ AppError::Validation { .. }) => {
                shell = shell.with_flash("error", e.to_string());
                (vec![], None, 0)
            }
            Err(e) => return Err(e.into()),
        }
    };
    let tags = prospector_app::store::contacts::all_tags(s.app.db(), p.ctx.ws)
        .await
        .map_err(AppError::from)?;
    Ok(render(&ContactsPage {
        shell,
        tab: TAB_CONTACTS,
        empty: any == 0,
        f: Filters::of(&q),
        rows: rows.iter().map(ContactRow::of).collect(),
        count: count_label(count, "contact", "contacts"),
        links: links(&base, &q, next),
        tags,
        sources: SOURCES,
        stages: LEAD_STAGES,
        columns: CONTACT_COLUMNS,
    }))
}

pub async fn export(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListQuery>,
    Query(o): Query<ExportOpts>,
) -> PageResult {
    let file = format!("contacts-{}-{}.csv", p.ctx.slug, today());
    Ok(crate::export::csv_download(&s.app, &p.ctx, &q, false, o.bom(), &file).await?)
}

pub async fn bulk(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let back = with_query(
        &format!("/w/{}/contacts", p.ctx.slug),
        &filter_pairs(&parse_query(form_value(&f, "query"))),
    );
    let (action, tag, sel) = match bulk_request(&f) {
        Ok(r) => r,
        Err(e) => return Ok(redirect_error(&back, e)),
    };
    if action == "verify" {
        return Ok(super::scans::bulk_verify(&s, &p.ctx, &sel, &back).await);
    }
    let result = match bulk_action(&action, &tag) {
        Ok(a) => app::bulk(&s.app, &p.ctx, &sel, a, false).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => {
            let what = match action.as_str() {
                "tag" => format!("tagged “{tag}”"),
                "untag" => format!("untagged “{tag}”"),
                _ => "deleted".into(),
            };
            let msg = format!("{} {what}.", count_label(n as i64, "contact", "contacts"));
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(axum::response::Redirect::to(&format!(
                "{back}{sep}notice={}",
                form_urlencoded::byte_serialize(msg.as_bytes()).collect::<String>()
            ))
            .into_response())
        }
        Err(e) => Ok(redirect_error(&back, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// One contact

/// The edit form's values, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ContactForm {
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub whatsapp: String,
    pub address: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub company_id: String,
    pub notes: String,
    pub lead_stage: String,
    pub lead_source: String,
    pub tags: String,
    pub custom: String,
    pub consent_email: String,
    pub consent_whatsapp: String,
    pub consent_sms: String,
}

impl ContactForm {
    fn of(c: &Contact) -> ContactForm {
        let f = &c.f;
        ContactForm {
            first_name: opt(&f.first_name),
            last_name: opt(&f.last_name),
            full_name: opt(&f.full_name),
            job_title: opt(&f.job_title),
            email: opt(&f.email),
            phone: opt(&f.phone),
            whatsapp: opt(&f.whatsapp),
            address: opt(&f.address),
            city: opt(&f.city),
            region: opt(&f.region),
            postal_code: opt(&f.postal_code),
            country: opt(&f.country),
            company_id: f.company_id.map(|i| i.to_string()).unwrap_or_default(),
            notes: opt(&f.notes),
            lead_stage: opt(&f.lead_stage),
            lead_source: opt(&f.lead_source),
            tags: c.tags.join(", "),
            custom: custom_lines(&f.custom),
            consent_email: f.consent_email.clone(),
            consent_whatsapp: f.consent_whatsapp.clone(),
            consent_sms: f.consent_sms.clone(),
        }
    }

    fn input(&self) -> Result<ContactInput, AppError> {
        let s = |v: &String| Some(v.trim().to_string());
        let company_id =
            match self.company_id.trim() {
                "" => None,
                v => Some(v.parse::<i64>().map_err(|_| {
                    AppError::invalid("company_id", "choose a company from the list")
                })?),
            };
        Ok(ContactInput {
            first_name: s(&self.first_name),
            last_name: s(&self.last_name),
            full_name: s(&self.full_name),
            job_title: s(&self.job_title),
            email: s(&self.email),
            phone: s(&self.phone),
            whatsapp: s(&self.whatsapp),
            address: s(&self.address),
            city: s(&self.city),
            region: s(&self.region),
            postal_code: s(&self.postal_code),
            country: s(&self.country),
            company_id,
            notes: s(&self.notes),
            lead_stage: s(&self.lead_stage),
            lead_source: s(&self.lead_source),
            tags: Some(vec![self.tags.clone()]),
            custom: Some(parse_custom(&self.custom)?),
            // A form without the selects (an older page) leaves consent as it is.
            consent_email: blank_none(&self.consent_email),
            consent_whatsapp: blank_none(&self.consent_whatsapp),
            consent_sms: blank_none(&self.consent_sms),
        })
    }
}

impl ContactPage {
    /// Whether consent select `name` shows `value` (blank shows "unknown").
    fn consent_is(&self, name: &str, value: &str) -> bool {
        let cur = match name {
            "consent_email" => &self.v.consent_email,
            "consent_whatsapp" => &self.v.consent_whatsapp,
            _ => &self.v.consent_sms,
        };
        cur == value || (cur.is_empty() && value == "unknown")
    }
}

fn blank_none(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    shell: Shell,
    tab: &'static str,
    /// 0 for a new contact.
    id: i64,
    title: String,
    facts: Vec<Fact>,
    tags: Vec<String>,
    custom: Vec<(String, String)>,
    notes: Vec<Note>,
    timeline: Vec<Activity>,
    v: ContactForm,
    err_field: String,
    err_msg: String,
    companies: Vec<(i64, String)>,
    /// Whether the company select may offer "no company" (not once one is linked).
    can_unlink: bool,
    consents: &'static [&'static str],
    stages: &'static [&'static str],
    lead_sources: &'static [&'static str],
    import_id: i64,
    /// Whether the contact has an email address to verify.
    has_email: bool,
    /// The latest email verification.
    verification: Option<super::scans::Verification>,
}

impl ContactPage {
    /// The message for `field`, when the last submit failed on it.
    fn err(&self, field: &str) -> &str {
        if self.err_field == field {
            &self.err_msg
        } else {
            ""
        }
    }

    /// An error that names no field of the form, shown above it.
    fn general_error(&self) -> &str {
        const FIELDS: &[&str] = &[
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
            "company_id",
            "notes",
            "lead_stage",
            "lead_source",
            "tags",
            "custom",
        ];
        if FIELDS.contains(&self.err_field.as_str()) {
            ""
        } else {
            &self.err_msg
        }
    }
}

/// Companies for the form's select: the first 200 by name, plus the linked one.
pub(super) async fn company_choices(
    s: &AppState,
    ctx: &prospector_app::WsCtx,
    linked: Option<i64>,
) -> Result<Vec<(i64, String)>, AppError> {
    let q = ListQuery {
        sort: Some("name".into()),
        limit: Some("200".into()),
        ..Default::default()
    };
    let page = app::list_companies(&s.app, ctx, &q).await?;
    let name = super::companies::company_name;
    let mut out: Vec<(i64, String)> = page.data.iter().map(|c| (c.id, name(c))).collect();
    if let Some(id) = linked
        && !out.iter().any(|(i, _)| *i == id)
        && let Ok(c) = app::company(&s.app, ctx, CompanyId(id)).await
    {
        out.insert(0, (c.id, name(&c)));
    }
    Ok(out)
}

fn contact_facts(c: &Contact, slug: &str) -> Vec<Fact> {
    let f = &c.f;
    let mut company = fact("Company", &c.company_name);
    if let Some(id) = f.company_id {
        company.href = format!("/w/{slug}/companies/{id}");
        if company.value.is_empty() {
            company.value = format!("Company #{id}");
        }
    }
    let consent = format!(
        "email {}, WhatsApp {}, SMS {}",
        f.consent_email, f.consent_whatsapp, f.consent_sms
    );
    let mut source = Fact {
        label: "Source",
        value: f.source.clone(),
        href: String::new(),
    };
    if let Some(imp) = c.import_id {
        source.value = import_label(&f.source, imp);
        source.href = format!("/w/{slug}/imports/{imp}");
    }
    vec![
        fact("Full name", &f.full_name),
        fact("First name", &f.first_name),
        fact("Last name", &f.last_name),
        fact("Job title", &f.job_title),
        fact("Email", &f.email),
        fact("Phone", &f.phone),
        fact("WhatsApp", &f.whatsapp),
        company,
        fact("Address", &f.address),
        fact("City", &f.city),
        fact("Region", &f.region),
        fact("Postal code", &f.postal_code),
        fact("Country", &f.country),
        fact("Lead stage", &f.lead_stage),
        fact("Lead source", &f.lead_source),
        source,
        Fact {
            label: "Consent",
            value: consent,
            href: String::new(),
        },
        fact("Notes", &f.notes),
    ]
}

async fn contact_page(
    s: &AppState,
    p: &Page<impl crate::auth::Perm>,
    c: Option<&Contact>,
    v: ContactForm,
    err: Option<(String, String)>,
    shell: Shell,
) -> Result<ContactPage, AppError> {
    let linked = c.and_then(|c| c.f.company_id);
    let companies = if shell.can_write {
        company_choices(s, &p.ctx, linked.or_else(|| v.company_id.parse().ok())).await?
    } else {
        vec![]
    };
    let (err_field, err_msg) = err.unwrap_or_default();
    Ok(match c {
        Some(c) => {
            let who = Subject::Contact(c.id);
            ContactPage {
                title: c.display_name(),
                facts: contact_facts(c, &p.ctx.slug),
                tags: c.tags.clone(),
                custom: custom_pairs(&c.f.custom),
                notes: app::notes(&s.app, &p.ctx, who).await?,
                timeline: app::timeline_of(&s.app, &p.ctx, who).await?,
                has_email: c.f.email.is_some(),
                verification: super::scans::verification(s, &p.ctx, c.cid()).await?,
                id: c.id,
                can_unlink: linked.is_none(),
                consents: prospector_app::contacts::CONSENT_VALUES,
                import_id: c.import_id.unwrap_or(0),
                shell,
                tab: TAB_CONTACTS,
                v,
                err_field,
                err_msg,
                companies,
                stages: LEAD_STAGES,
                lead_sources: LEAD_SOURCES,
            }
        }
        None => ContactPage {
            shell,
            tab: TAB_CONTACTS,
            id: 0,
            title: "New contact".into(),
            facts: vec![],
            tags: vec![],
            custom: vec![],
            notes: vec![],
            timeline: vec![],
            v,
            err_field,
            err_msg,
            companies,
            can_unlink: true,
            consents: prospector_app::contacts::CONSENT_VALUES,
            stages: LEAD_STAGES,
            lead_sources: LEAD_SOURCES,
            import_id: 0,
            has_email: false,
            verification: None,
        },
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    company_id: Option<String>,
}

pub async fn new_form(
    State(s): State<AppState>,
    p: Page<Write>,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "contacts").await?;
    let v = ContactForm {
        company_id: q.company_id.unwrap_or_default(),
        ..Default::default()
    };
    let page = contact_page(&s, &p, None, v, None, shell).await?;
    Ok(render(&page))
}

pub async fn create(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<ContactForm>,
) -> PageResult {
    let result = match v.input() {
        Ok(i) => app::create_contact(&s.app, &p.ctx, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(back_to(
            &format!("/w/{}/contacts/{}", p.ctx.slug, c.id),
            Some("Contact created."),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let shell = Shell::for_page(&s.app, &p, "contacts").await?;
                let page = contact_page(&s, &p, None, v, Some((field, msg)), shell).await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = id_of(&id)?;
    let c = app::contact(&s.app, &p.ctx, ContactId(id)).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let page = contact_page(&s, &p, Some(&c), ContactForm::of(&c), None, shell).await?;
    Ok(render(&page))
}

pub async fn update(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(v): Form<ContactForm>,
) -> PageResult {
    let id = ContactId(id_of(&id)?);
    let result = match v.input() {
        Ok(i) => app::update_contact(&s.app, &p.ctx, id, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(back_to(
            &format!("/w/{}/contacts/{}", p.ctx.slug, c.id),
            Some("Contact saved."),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let c = app::contact(&s.app, &p.ctx, id).await?;
                let shell = Shell::for_page(&s.app, &p, "contacts").await?;
                let page = contact_page(&s, &p, Some(&c), v, Some((field, msg)), shell).await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

pub async fn delete(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = ContactId(id_of(&id)?);
    app::delete_contact(&s.app, &p.ctx, id).await?;
    Ok(back_to(
        &format!("/w/{}/contacts", p.ctx.slug),
        Some("Contact deleted."),
    ))
}

pub async fn erase(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = ContactId(id_of(&id)?);
    let suppressed = app::erase_contact(&s.app, &p.ctx, id).await?;
    let msg = match suppressed.len() {
        0 => "Person erased. They had no email or number to suppress.".to_string(),
        1 => "Person erased; their email or number is suppressed from now on.".to_string(),
        n => format!("Person erased; their {n} emails and numbers are suppressed from now on."),
    };
    Ok(back_to(&format!("/w/{}/contacts", p.ctx.slug), Some(&msg)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

pub async fn add_note(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("/w/{}/contacts/{id}", p.ctx.slug);
    match app::add_note(&s.app, &p.ctx, Subject::Contact(id), &f.body).await {
        Ok(_) => Ok(back_to(&path, Some("Note added."))),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(
            count_label(10_000, "contact", "contacts"),
            "10,000+ contacts"
        );
        assert_eq!(count_label(1, "contact", "contacts"), "1 contact");
    }

    #[test]
    fn queries_round_trip_without_the_cursor() {
        let q = ListQuery {
            q: Some("anna berlin".into()),
            has_email: Some("true".into()),
            tag: Some("".into()),
            cursor: Some("abc".into()),
            ..Default::default()
        };
        let pairs = filter_pairs(&q);
        assert_eq!(
            pairs,
            vec![("q", "anna berlin".into()), ("has_email", "true".into())]
        );
        let back = parse_query(&format!("{}&cursor=zzz", encode(&pairs)));
        assert_eq!(back.q.as_deref(), Some("anna berlin"));
        assert_eq!(back.has_email.as_deref(), Some("true"));
        assert!(back.cursor.is_none());
    }

    #[test]
    fn custom_fields_parse_from_lines() {
        let m = parse_custom("size: 12\n\n  branche = Bäckerei \nurl: https://x.de/a:b").unwrap();
        assert_eq!(m["size"], "12");
        assert_eq!(m["branche"], "Bäckerei");
        assert_eq!(m["url"], "https://x.de/a:b");
        assert!(parse_custom("no separator").is_err());
        assert!(parse_custom(": value").is_err());
        assert_eq!(custom_lines(r#"{"a":"1","b":"x y"}"#), "a: 1\nb: x y");
    }

    #[test]
    fn path_ids_are_positive_numbers() {
        assert_eq!(id_of("12").unwrap(), 12);
        assert!(id_of("0").is_err());
        assert!(id_of("-3").is_err());
        assert!(id_of("abc").is_err());
    }

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(web_href("https://acme.de/"), "https://acme.de/");
        assert_eq!(web_href("javascript:alert(1)"), "");
        assert_eq!(import_label("import", 3), "import #3");
        assert_eq!(import_label("manual", 3), "manual (import #3)");
    }
}
