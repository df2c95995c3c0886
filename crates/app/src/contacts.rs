//! Contacts and companies: list with filters and keyset cursors, create and edit by hand
//! (every value normalised as on import), tags, notes, the timeline, delete and erase (delete
//! plus a suppression, for data-protection requests), and CSV export.

use crate::imports::{company_search_text, contact_search_text};
use crate::{App, AppError, AppResult, WsCtx};
use base64::Engine;
use prospector_core::ids::{CompanyId, ContactId};
use prospector_core::normalize::{CountryCode, Email, PhoneE164, Website, normalize_name, to_iso2};
use prospector_core::role::Permission;
use prospector_core::search::query_terms;
use prospector_store::companies::{
    self, Company, CompanyFields, CompanyFilter, CompanySort, Cursor,
};
use prospector_store::contacts::{self, Contact, ContactFields, ContactFilter, ContactSort};
use prospector_store::timeline::{self, Activity, Note, Subject};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Lead stages, in pipeline order.
pub const LEAD_STAGES: &[&str] = &["new", "contacted", "qualified", "proposal", "won", "lost"];
/// Where a lead came from.
pub const LEAD_SOURCES: &[&str] = &[
    "outreach",
    "meta_ads",
    "google_ads",
    "web_form",
    "manual",
    "referral",
    "import",
];

/// Table query parameters shared by the API, the pages and the CLI. Everything is text so a
/// bad value gets a message naming the parameter instead of a generic parse failure.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search in name, email, phone, company and domain (prefix match on every word).
    pub q: Option<String>,
    pub tag: Option<String>,
    /// Record source: import, manual, api, scan...
    pub source: Option<String>,
    /// A lead stage, `any` for every lead, `none` for non-leads (contacts only).
    pub lead_stage: Option<String>,
    pub lead_source: Option<String>,
    /// `true` or `false`.
    pub has_email: Option<String>,
    pub has_phone: Option<String>,
    pub has_whatsapp: Option<String>,
    pub has_website: Option<String>,
    pub company_id: Option<String>,
    pub import_id: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    /// Custom field key; with `custom_value`, that value exactly.
    pub custom_key: Option<String>,
    pub custom_value: Option<String>,
    /// UTC milliseconds or a date `YYYY-MM-DD`.
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    /// Score tier A, B or C (companies only).
    pub tier: Option<String>,
    /// newest (default), oldest, name, updated; `score` (highest first, companies only).
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-200, default 50.
    pub limit: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn parse_bool(name: &str, v: &Option<String>) -> AppResult<Option<bool>> {
    match nonempty(v).as_deref() {
        None => Ok(None),
        Some("true" | "1" | "yes" | "on") => Ok(Some(true)),
        Some("false" | "0" | "no" | "off") => Ok(Some(false)),
        Some(o) => Err(AppError::invalid(
            name,
            format!("{name}: expected true or false, got '{o}'"),
        )),
    }
}

fn parse_id(name: &str, v: &Option<String>) -> AppResult<Option<i64>> {
    match nonempty(v) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid(name, format!("{name}: expected a number, got '{s}'"))),
    }
}

/// UTC milliseconds, or a `YYYY-MM-DD` date (midnight UTC).
fn parse_time(name: &str, v: &Option<String>) -> AppResult<Option<i64>> {
    let Some(s) = nonempty(v) else {
        return Ok(None);
    };
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Some(n));
    }
    prospector_core::time::parse_date_ms(&s)
        .map(Some)
        .ok_or_else(|| {
            AppError::invalid(
                name,
                format!("{name}: expected YYYY-MM-DD or milliseconds, got '{s}'"),
            )
        })
}

/// Page size from the query (1-200, default 50).
pub fn parse_limit(v: &Option<String>) -> AppResult<i64> {
    Ok(match parse_id("limit", v)? {
        None => 50,
        Some(n) if (1..=200).contains(&n) => n,
        Some(n) => {
            return Err(AppError::invalid(
                "limit",
                format!("limit: must be between 1 and 200, got {n}"),
            ));
        }
    })
}

fn encode_cursor(c: &Cursor) -> String {
    let raw = match c {
        Cursor::Id(id) => format!("i:{id}"),
        Cursor::Int(v, id) => format!("n:{id}:{v}"),
        Cursor::Text(t, id) => format!("t:{id}:{t}"),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(s: &str) -> AppResult<Cursor> {
    let bad = || AppError::invalid("cursor", "cursor: not a cursor returned by this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut it = raw.splitn(3, ':');
    let kind = it.next().ok_or_else(bad)?;
    let id: i64 = it.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    match kind {
        "i" => Ok(Cursor::Id(id)),
        "n" => Ok(Cursor::Int(
            it.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?,
            id,
        )),
        "t" => Ok(Cursor::Text(it.next().unwrap_or_default().to_string(), id)),
        _ => Err(bad()),
    }
}

/// `A`, `B` or `C` (any case).
fn parse_tier(v: &Option<String>) -> AppResult<Option<String>> {
    match nonempty(v).map(|t| t.to_uppercase()) {
        None => Ok(None),
        Some(t) if matches!(t.as_str(), "A" | "B" | "C") => Ok(Some(t)),
        Some(t) => Err(AppError::invalid(
            "tier",
            format!("tier: expected A, B or C, got '{t}'"),
        )),
    }
}

fn sort_of(v: &Option<String>) -> AppResult<(ContactSort, CompanySort)> {
    Ok(match nonempty(v).as_deref() {
        None | Some("newest") => (ContactSort::Newest, CompanySort::Newest),
        Some("oldest") => (ContactSort::Oldest, CompanySort::Oldest),
        Some("name") => (ContactSort::Name, CompanySort::Name),
        Some("updated") => (ContactSort::Updated, CompanySort::Updated),
        // Contacts have no score of their own: they keep the default order.
        Some("score") => (ContactSort::Newest, CompanySort::Score),
        Some(o) => {
            return Err(AppError::invalid(
                "sort",
                format!("sort: expected newest, oldest, name, updated or score, got '{o}'"),
            ));
        }
    })
}

impl ListQuery {
    pub fn contact_filter(&self) -> AppResult<ContactFilter> {
        if let Some(s) = nonempty(&self.lead_stage)
            && s != "any"
            && s != "none"
            && !LEAD_STAGES.contains(&s.as_str())
        {
            return Err(AppError::invalid(
                "lead_stage",
                format!(
                    "lead_stage: expected any, none or one of {}, got '{s}'",
                    LEAD_STAGES.join(", ")
                ),
            ));
        }
        Ok(ContactFilter {
            terms: self.q.as_deref().map(query_terms).unwrap_or_default(),
            tag: nonempty(&self.tag),
            source: nonempty(&self.source),
            lead_stage: nonempty(&self.lead_stage),
            lead_source: nonempty(&self.lead_source),
            has_email: parse_bool("has_email", &self.has_email)?,
            has_phone: parse_bool("has_phone", &self.has_phone)?,
            has_whatsapp: parse_bool("has_whatsapp", &self.has_whatsapp)?,
            company_id: parse_id("company_id", &self.company_id)?,
            import_id: parse_id("import_id", &self.import_id)?,
            custom_key: nonempty(&self.custom_key),
            custom_value: nonempty(&self.custom_value),
            created_after: parse_time("created_after", &self.created_after)?,
            created_before: parse_time("created_before", &self.created_before)?,
            ids: None,
            company_tier: parse_tier(&self.tier)?,
        })
    }

    pub fn company_filter(&self) -> AppResult<CompanyFilter> {
        Ok(CompanyFilter {
            terms: self.q.as_deref().map(query_terms).unwrap_or_default(),
            tag: nonempty(&self.tag),
            source: nonempty(&self.source),
            category: nonempty(&self.category),
            country: nonempty(&self.country).map(|c| c.to_uppercase()),
            has_website: parse_bool("has_website", &self.has_website)?,
            has_phone: parse_bool("has_phone", &self.has_phone)?,
            custom_key: nonempty(&self.custom_key),
            custom_value: nonempty(&self.custom_value),
            created_after: parse_time("created_after", &self.created_after)?,
            created_before: parse_time("created_before", &self.created_before)?,
            ids: None,
            tier: parse_tier(&self.tier)?,
        })
    }

    fn cursor(&self) -> AppResult<Option<Cursor>> {
        nonempty(&self.cursor)
            .map(|c| decode_cursor(&c))
            .transpose()
    }
}

/// A page of rows and the cursor of the next page (none on the last page).
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

pub async fn list_contacts(app: &App, ctx: &WsCtx, q: &ListQuery) -> AppResult<Page<Contact>> {
    let f = q.contact_filter()?;
    let (sort, _) = sort_of(&q.sort)?;
    let limit = parse_limit(&q.limit)?;
    let cursor = q.cursor()?;
    let mut rows = contacts::list(app.db(), ctx.ws, &f, sort, cursor.as_ref(), limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|c| encode_cursor(&contacts::cursor_after(c, sort)))
    } else {
        None
    };
    Ok(Page {
        data: rows,
        next_cursor: next,
    })
}

pub async fn count_contacts(app: &App, ctx: &WsCtx, q: &ListQuery, cap: i64) -> AppResult<i64> {
    Ok(contacts::count(app.db(), ctx.ws, &q.contact_filter()?, cap).await?)
}

pub async fn list_companies(app: &App, ctx: &WsCtx, q: &ListQuery) -> AppResult<Page<Company>> {
    let f = q.company_filter()?;
    let (_, sort) = sort_of(&q.sort)?;
    let limit = parse_limit(&q.limit)?;
    let cursor = q.cursor()?;
    let mut rows = companies::list(app.db(), ctx.ws, &f, sort, cursor.as_ref(), limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|c| encode_cursor(&companies::cursor_after(c, sort)))
    } else {
        None
    };
    Ok(Page {
        data: rows,
        next_cursor: next,
    })
}

pub async fn count_companies(app: &App, ctx: &WsCtx, q: &ListQuery, cap: i64) -> AppResult<i64> {
    Ok(companies::count(app.db(), ctx.ws, &q.company_filter()?, cap).await?)
}

pub async fn contact(app: &App, ctx: &WsCtx, id: ContactId) -> AppResult<Contact> {
    Ok(contacts::get(app.db(), ctx.ws, id).await?)
}

pub async fn company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<Company> {
    Ok(companies::get(app.db(), ctx.ws, id).await?)
}

/// A contact as written by a person (form or API). For updates, an absent field is left as it
/// is and an empty string clears it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
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
    /// ISO code or English name.
    pub country: Option<String>,
    pub company_id: Option<i64>,
    pub notes: Option<String>,
    pub lead_stage: Option<String>,
    pub lead_source: Option<String>,
    pub tags: Option<Vec<String>>,
    pub custom: Option<BTreeMap<String, String>>,
    /// Consent per channel: `unknown`, `granted`, `refused` or `opted_out` (refused and
    /// opted out block every send on that channel; STOP replies and WhatsApp opt-outs set
    /// `opted_out` on their own).
    #[serde(default)]
    pub consent_email: Option<String>,
    #[serde(default)]
    pub consent_whatsapp: Option<String>,
    #[serde(default)]
    pub consent_sms: Option<String>,
}

/// The consent values a person can record.
pub const CONSENT_VALUES: &[&str] = &["unknown", "granted", "refused", "opted_out"];

/// A company as written by a person (form or API); same update rules as [`ContactInput`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub category: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub custom: Option<BTreeMap<String, String>>,
}

/// Apply `v` to `dst`: absent leaves it, blank clears it, anything else is cleaned by `f`.
fn apply<F>(dst: &mut Option<String>, v: &Option<String>, field: &str, f: F) -> AppResult<()>
where
    F: Fn(&str) -> Result<String, String>,
{
    match v.as_deref().map(str::trim) {
        None => {}
        Some("") => *dst = None,
        Some(s) => *dst = Some(f(s).map_err(|m| AppError::invalid(field, m))?),
    }
    Ok(())
}

fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |s: &str| {
        if s.chars().count() > max {
            Err(format!("at most {max} characters"))
        } else {
            Ok(s.to_string())
        }
    }
}

fn name_clean(s: &str) -> Result<String, String> {
    if s.chars().count() > 200 {
        return Err("at most 200 characters".into());
    }
    Ok(normalize_name(s).unwrap_or_else(|| s.to_string()))
}

fn country_clean(s: &str) -> Result<String, String> {
    to_iso2(s)
        .map(|c| c.as_str().to_string())
        .map_err(|_| format!("country: unknown country '{s}'"))
}

fn phone_clean(country: Option<CountryCode>) -> impl Fn(&str) -> Result<String, String> {
    move |s: &str| {
        PhoneE164::parse(s, country)
            .map(|p| p.as_str().to_string())
            .map_err(|e| e.to_string())
    }
}

fn one_of(
    list: &'static [&'static str],
    name: &'static str,
) -> impl Fn(&str) -> Result<String, String> {
    move |s: &str| {
        if list.contains(&s) {
            Ok(s.to_string())
        } else {
            Err(format!(
                "{name}: expected one of {}, got '{s}'",
                list.join(", ")
            ))
        }
    }
}

async fn workspace_country(app: &App, ctx: &WsCtx) -> AppResult<Option<CountryCode>> {
    let w = prospector_store::workspaces::get(app.db(), ctx.ws).await?;
    Ok(CountryCode::parse(&w.default_country).ok())
}

fn apply_contact(
    f: &mut ContactFields,
    i: &ContactInput,
    cc: Option<CountryCode>,
) -> AppResult<()> {
    apply(&mut f.first_name, &i.first_name, "first_name", name_clean)?;
    apply(&mut f.last_name, &i.last_name, "last_name", name_clean)?;
    apply(&mut f.full_name, &i.full_name, "full_name", name_clean)?;
    apply(&mut f.job_title, &i.job_title, "job_title", text(200))?;
    apply(&mut f.email, &i.email, "email", |s| {
        Email::parse(s)
            .map(|e| e.as_str().to_string())
            .map_err(|e| e.to_string())
    })?;
    let country = match &i.country {
        Some(c) if !c.trim().is_empty() => to_iso2(c.trim()).ok(),
        _ => f
            .country
            .as_deref()
            .and_then(|c| CountryCode::parse(c).ok()),
    }
    .or(cc);
    apply(&mut f.phone, &i.phone, "phone", phone_clean(country))?;
    apply(
        &mut f.whatsapp,
        &i.whatsapp,
        "whatsapp",
        phone_clean(country),
    )?;
    apply(&mut f.address, &i.address, "address", text(300))?;
    apply(&mut f.city, &i.city, "city", text(120))?;
    apply(&mut f.region, &i.region, "region", text(120))?;
    apply(&mut f.postal_code, &i.postal_code, "postal_code", text(20))?;
    apply(&mut f.country, &i.country, "country", country_clean)?;
    apply(&mut f.notes, &i.notes, "notes", text(10_000))?;
    apply(
        &mut f.lead_stage,
        &i.lead_stage,
        "lead_stage",
        one_of(LEAD_STAGES, "lead_stage"),
    )?;
    apply(
        &mut f.lead_source,
        &i.lead_source,
        "lead_source",
        one_of(LEAD_SOURCES, "lead_source"),
    )?;
    if f.lead_stage.is_some() && f.lead_source.is_none() {
        f.lead_source = Some("manual".into());
    }
    if let Some(c) = &i.custom {
        f.custom = custom_clean(c)?;
    }
    for (slot, v, name) in [
        (&mut f.consent_email, &i.consent_email, "consent_email"),
        (
            &mut f.consent_whatsapp,
            &i.consent_whatsapp,
            "consent_whatsapp",
        ),
        (&mut f.consent_sms, &i.consent_sms, "consent_sms"),
    ] {
        if let Some(v) = v {
            let v = v.trim();
            let v = if v.is_empty() { "unknown" } else { v };
            *slot = one_of(CONSENT_VALUES, name)(v).map_err(|e| AppError::invalid(name, e))?;
        }
    }
    if f.full_name.is_none() && (f.first_name.is_some() || f.last_name.is_some()) {
        let parts: Vec<&str> = [&f.first_name, &f.last_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        f.full_name = Some(parts.join(" "));
    }
    if f.email.is_none() && f.phone.is_none() && f.whatsapp.is_none() && f.full_name.is_none() {
        return Err(AppError::invalid(
            "email",
            "a contact needs at least an email, a phone, a WhatsApp number or a name",
        ));
    }
    Ok(())
}

fn custom_clean(c: &BTreeMap<String, String>) -> AppResult<String> {
    if c.len() > 200 {
        return Err(AppError::invalid("custom", "custom: at most 200 fields"));
    }
    let mut out = BTreeMap::new();
    for (k, v) in c {
        let key = prospector_core::slug::slugify(k).replace('-', "_");
        if key.is_empty() {
            return Err(AppError::invalid(
                "custom",
                format!("custom: bad key '{k}'"),
            ));
        }
        if v.chars().count() > 2_000 {
            return Err(AppError::invalid(
                "custom",
                format!("custom.{key}: at most 2000 characters"),
            ));
        }
        if !v.trim().is_empty() {
            out.insert(key, v.trim().to_string());
        }
    }
    Ok(serde_json::to_string(&out).unwrap_or_else(|_| "{}".into()))
}

fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    let joined = tags.join(",");
    let out = prospector_core::normalize::split_tags(&joined);
    if out.len() > 100 {
        return Err(AppError::invalid("tags", "tags: at most 100"));
    }
    Ok(out)
}

async fn company_for(app: &App, ctx: &WsCtx, id: Option<i64>) -> AppResult<Option<Company>> {
    match id {
        None => Ok(None),
        Some(id) => companies::get(app.db(), ctx.ws, CompanyId(id))
            .await
            .map(Some)
            .map_err(|e| match e {
                prospector_store::StoreError::NotFound => {
                    AppError::invalid("company_id", format!("company_id: no company {id}"))
                }
                o => o.into(),
            }),
    }
}

fn conflict_email(e: prospector_store::StoreError) -> AppError {
    if e.is_conflict_on("email") {
        AppError::Conflict {
            field: Some("email".into()),
            message: "another contact already has this email".into(),
        }
    } else {
        e.into()
    }
}

async fn set_tags(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    have: &[String],
    want: &[String],
    company: bool,
) -> AppResult<()> {
    let db = app.db();
    for t in want.iter().filter(|t| !have.contains(t)) {
        if company {
            companies::add_tag(db, ctx.ws, &[id], t).await?;
        } else {
            contacts::add_tag(db, ctx.ws, &[id], t).await?;
        }
    }
    for t in have.iter().filter(|t| !want.contains(t)) {
        if company {
            companies::remove_tag(db, ctx.ws, &[id], t).await?;
        } else {
            contacts::remove_tag(db, ctx.ws, &[id], t).await?;
        }
    }
    Ok(())
}

pub async fn create_contact(app: &App, ctx: &WsCtx, i: &ContactInput) -> AppResult<Contact> {
    ctx.require(Permission::Write)?;
    let mut f = ContactFields::new("manual");
    apply_contact(&mut f, i, workspace_country(app, ctx).await?)?;
    let co = company_for(app, ctx, i.company_id).await?;
    f.company_id = co.as_ref().map(|c| c.id);
    f.search_text = contact_search_text(&f, co.as_ref().map(|c| &c.f));
    let c = contacts::insert(app.db(), ctx.ws, &f)
        .await
        .map_err(conflict_email)?;
    if let Some(t) = &i.tags {
        set_tags(app, ctx, c.id, &[], &clean_tags(t)?, false).await?;
    }
    record_change(app, ctx, Subject::Contact(c.id), None, &c.f).await?;
    contact(app, ctx, c.cid()).await
}

pub async fn update_contact(
    app: &App,
    ctx: &WsCtx,
    id: ContactId,
    i: &ContactInput,
) -> AppResult<Contact> {
    ctx.require(Permission::Write)?;
    let before = contacts::get(app.db(), ctx.ws, id).await?;
    let mut f = before.f.clone();
    apply_contact(&mut f, i, workspace_country(app, ctx).await?)?;
    if i.company_id.is_some() {
        f.company_id = company_for(app, ctx, i.company_id).await?.map(|c| c.id);
    }
    let co = company_for(app, ctx, f.company_id).await.ok().flatten();
    f.search_text = contact_search_text(&f, co.as_ref().map(|c| &c.f));
    contacts::update(app.db(), ctx.ws, id, &f)
        .await
        .map_err(conflict_email)?;
    if let Some(t) = &i.tags {
        set_tags(app, ctx, id.0, &before.tags, &clean_tags(t)?, false).await?;
    }
    record_change(app, ctx, Subject::Contact(id.0), Some(&before.f), &f).await?;
    contact(app, ctx, id).await
}

fn changed_fields(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Vec::new();
    };
    b.iter()
        .filter(|(k, v)| a.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

fn apply_company(
    f: &mut CompanyFields,
    i: &CompanyInput,
    cc: Option<CountryCode>,
) -> AppResult<()> {
    apply(&mut f.name, &i.name, "name", text(200))?;
    apply(&mut f.website, &i.website, "website", |s| {
        Website::parse(s)
            .map(|w| w.as_str().to_string())
            .map_err(|e| e.to_string())
    })?;
    f.domain = f
        .website
        .as_deref()
        .and_then(|w| Website::parse(w).ok())
        .filter(|w| !w.is_shared_host())
        .map(|w| w.domain().to_string());
    let country = match &i.country {
        Some(c) if !c.trim().is_empty() => to_iso2(c.trim()).ok(),
        _ => f
            .country
            .as_deref()
            .and_then(|c| CountryCode::parse(c).ok()),
    }
    .or(cc);
    apply(&mut f.phone, &i.phone, "phone", phone_clean(country))?;
    apply(&mut f.category, &i.category, "category", text(120))?;
    apply(&mut f.address, &i.address, "address", text(300))?;
    apply(&mut f.city, &i.city, "city", text(120))?;
    apply(&mut f.region, &i.region, "region", text(120))?;
    apply(&mut f.postal_code, &i.postal_code, "postal_code", text(20))?;
    apply(&mut f.country, &i.country, "country", country_clean)?;
    apply(&mut f.notes, &i.notes, "notes", text(10_000))?;
    if let Some(c) = &i.custom {
        f.custom = custom_clean(c)?;
    }
    if f.name.is_none() && f.website.is_none() {
        return Err(AppError::invalid(
            "name",
            "a company needs a name or a website",
        ));
    }
    f.name_key = f.name.as_ref().map(|n| {
        format!(
            "{}|{}",
            n.to_lowercase(),
            f.city.as_deref().unwrap_or("").to_lowercase()
        )
    });
    f.search_text = company_search_text(f);
    Ok(())
}

pub async fn create_company(app: &App, ctx: &WsCtx, i: &CompanyInput) -> AppResult<Company> {
    ctx.require(Permission::Write)?;
    let mut f = CompanyFields {
        source: "manual".into(),
        custom: "{}".into(),
        ..Default::default()
    };
    apply_company(&mut f, i, workspace_country(app, ctx).await?)?;
    let c = companies::insert(app.db(), ctx.ws, &f).await?;
    if let Some(t) = &i.tags {
        set_tags(app, ctx, c.id, &[], &clean_tags(t)?, true).await?;
    }
    record_change(app, ctx, Subject::Company(c.id), None, &c.f).await?;
    company(app, ctx, c.cid()).await
}

pub async fn update_company(
    app: &App,
    ctx: &WsCtx,
    id: CompanyId,
    i: &CompanyInput,
) -> AppResult<Company> {
    ctx.require(Permission::Write)?;
    let before = companies::get(app.db(), ctx.ws, id).await?;
    let mut f = before.f.clone();
    apply_company(&mut f, i, workspace_country(app, ctx).await?)?;
    companies::update(app.db(), ctx.ws, id, &f).await?;
    if let Some(t) = &i.tags {
        set_tags(app, ctx, id.0, &before.tags, &clean_tags(t)?, true).await?;
    }
    record_change(app, ctx, Subject::Company(id.0), Some(&before.f), &f).await?;
    company(app, ctx, id).await
}

/// A hand-made creation (`before` is `None`) or edit of a contact or company: a timeline
/// entry ("Created by hand", "Edited: city, phone" when something changed) and the audit
/// record with before/after.
async fn record_change<T: Serialize>(
    app: &App,
    ctx: &WsCtx,
    who: Subject,
    before: Option<&T>,
    after: &T,
) -> AppResult<()> {
    let (kind, id) = match who {
        Subject::Contact(id) => ("contact", id),
        Subject::Company(id) => ("company", id),
    };
    let after = serde_json::to_value(after).unwrap_or_default();
    let before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
    let action = match &before {
        None => {
            let action = format!("{kind}.created");
            record(app, ctx, who, &action, "Created by hand").await?;
            action
        }
        Some(b) => {
            let action = format!("{kind}.updated");
            let changed = changed_fields(b, &after);
            if !changed.is_empty() {
                let summary = format!("Edited: {}", changed.join(", "));
                record(app, ctx, who, &action, &summary).await?;
            }
            action
        }
    };
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        &action,
        kind,
        id,
        before,
        Some(after),
    )
    .await
}

async fn record(app: &App, ctx: &WsCtx, who: Subject, kind: &str, summary: &str) -> AppResult<()> {
    timeline::record(app.db(), ctx.ws, who, kind, summary, "{}", &ctx.actor.label).await?;
    Ok(())
}

/// Which rows a bulk action touches: explicit ids, or every row matching a table query.
#[derive(Debug, Clone, Deserialize, Serialize, Default, utoipa::ToSchema)]
pub struct Selection {
    #[serde(default)]
    pub ids: Vec<i64>,
    /// When set (and `ids` is empty), every row matching this query, up to 100,000.
    #[serde(default)]
    pub query: Option<ListQuery>,
}

/// Most rows one bulk action may touch.
pub const BULK_CAP: i64 = 100_000;

pub(crate) async fn selected(
    app: &App,
    ctx: &WsCtx,
    s: &Selection,
    company: bool,
) -> AppResult<Vec<i64>> {
    if !s.ids.is_empty() {
        if s.ids.len() as i64 > BULK_CAP {
            return Err(AppError::invalid("ids", format!("ids: at most {BULK_CAP}")));
        }
        return Ok(s.ids.clone());
    }
    let Some(q) = &s.query else {
        return Err(AppError::invalid("ids", "select rows by ids or by a query"));
    };
    Ok(if company {
        companies::ids(app.db(), ctx.ws, &q.company_filter()?, BULK_CAP).await?
    } else {
        contacts::ids(app.db(), ctx.ws, &q.contact_filter()?, BULK_CAP).await?
    })
}

/// A bulk action on contacts or companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk<'a> {
    Tag(&'a str),
    Untag(&'a str),
    Delete,
}

/// Apply a bulk action; returns how many rows changed.
pub async fn bulk(
    app: &App,
    ctx: &WsCtx,
    s: &Selection,
    action: Bulk<'_>,
    company: bool,
) -> AppResult<u64> {
    ctx.require(Permission::Write)?;
    let ids = selected(app, ctx, s, company).await?;
    let db = app.db();
    let tag_of = |t: &str| -> AppResult<String> {
        prospector_core::normalize::split_tags(t)
            .into_iter()
            .next()
            .ok_or_else(|| AppError::invalid("tag", "tag: empty"))
    };
    let (n, what) = match (action, company) {
        (Bulk::Tag(t), false) => (
            contacts::add_tag(db, ctx.ws, &ids, &tag_of(t)?).await?,
            "tagged",
        ),
        (Bulk::Tag(t), true) => (
            companies::add_tag(db, ctx.ws, &ids, &tag_of(t)?).await?,
            "tagged",
        ),
        (Bulk::Untag(t), false) => (
            contacts::remove_tag(db, ctx.ws, &ids, t.trim()).await?,
            "untagged",
        ),
        (Bulk::Untag(t), true) => (
            companies::remove_tag(db, ctx.ws, &ids, t.trim()).await?,
            "untagged",
        ),
        (Bulk::Delete, false) => (contacts::delete(db, ctx.ws, &ids).await?, "deleted"),
        (Bulk::Delete, true) => (companies::delete(db, ctx.ws, &ids).await?, "deleted"),
    };
    let kind = if company { "company" } else { "contact" };
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        &format!("{kind}.bulk_{what}"),
        kind,
        format!("{} rows", ids.len()),
        None,
        Some(
            serde_json::json!({"action": format!("{action:?}"), "rows": n, "selected": ids.len()}),
        ),
    )
    .await?;
    Ok(n)
}

/// Erase a person (a data-protection request): delete the contact and its timeline, and
/// suppress its email and numbers so no later import or campaign reaches them again.
pub async fn erase_contact(app: &App, ctx: &WsCtx, id: ContactId) -> AppResult<Vec<String>> {
    ctx.require(Permission::Write)?;
    let c = contacts::get(app.db(), ctx.ws, id).await?;
    let mut suppressed = Vec::new();
    for (kind, v) in [
        ("email", &c.f.email),
        ("phone", &c.f.phone),
        ("phone", &c.f.whatsapp),
    ] {
        if let Some(v) = v {
            prospector_store::suppressions::add(app.db(), ctx.ws, kind, v, "erased").await?;
            suppressed.push(v.clone());
        }
    }
    contacts::delete(app.db(), ctx.ws, &[id.0]).await?;
    // The audit entry keeps no personal data: only the id and how many values were suppressed.
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "contact.erased",
        "contact",
        id.0,
        None,
        Some(serde_json::json!({"suppressed": suppressed.len()})),
    )
    .await?;
    Ok(suppressed)
}

pub async fn delete_contact(app: &App, ctx: &WsCtx, id: ContactId) -> AppResult<()> {
    ctx.require(Permission::Write)?;
    let c = contacts::get(app.db(), ctx.ws, id).await?;
    contacts::delete(app.db(), ctx.ws, &[id.0]).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "contact.deleted",
        "contact",
        id.0,
        serde_json::to_value(&c.f).ok(),
        None,
    )
    .await
}

pub async fn delete_company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<()> {
    ctx.require(Permission::Write)?;
    let c = companies::get(app.db(), ctx.ws, id).await?;
    companies::delete(app.db(), ctx.ws, &[id.0]).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "company.deleted",
        "company",
        id.0,
        serde_json::to_value(&c.f).ok(),
        None,
    )
    .await
}

pub async fn add_note(app: &App, ctx: &WsCtx, who: Subject, body: &str) -> AppResult<Note> {
    ctx.require(Permission::Write)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "the note is empty"));
    }
    if body.chars().count() > 10_000 {
        return Err(AppError::invalid(
            "body",
            "a note has at most 10,000 characters",
        ));
    }
    match who {
        Subject::Contact(id) => {
            contacts::get(app.db(), ctx.ws, ContactId(id)).await?;
        }
        Subject::Company(id) => {
            companies::get(app.db(), ctx.ws, CompanyId(id)).await?;
        }
    }
    let n = timeline::add_note(app.db(), ctx.ws, who, ctx.actor.user_id.map(|u| u.0), body).await?;
    record(app, ctx, who, "note.added", "Note added").await?;
    Ok(n)
}

pub async fn notes(app: &App, ctx: &WsCtx, who: Subject) -> AppResult<Vec<Note>> {
    Ok(timeline::notes(app.db(), ctx.ws, who, 200).await?)
}

/// The timeline, newest first, with the creation of the record as its first event.
pub async fn timeline_of(app: &App, ctx: &WsCtx, who: Subject) -> AppResult<Vec<Activity>> {
    let mut items = timeline::list(app.db(), ctx.ws, who, 200).await?;
    let (created_at, import_id, contact_id, company_id) = match who {
        Subject::Contact(id) => {
            let c = contacts::get(app.db(), ctx.ws, ContactId(id)).await?;
            (c.created_at, c.import_id, Some(id), None)
        }
        Subject::Company(id) => {
            let c = companies::get(app.db(), ctx.ws, CompanyId(id)).await?;
            (c.created_at, c.import_id, None, Some(id))
        }
    };
    if let Some(imp) = import_id {
        items.push(Activity {
            id: 0,
            contact_id,
            company_id,
            kind: "imported".into(),
            summary: format!("Imported (import #{imp})"),
            data: "{}".into(),
            actor: String::new(),
            created_at,
        });
    }
    Ok(items)
}

/// Columns of the contacts export, in order.
pub const CONTACT_EXPORT_COLUMNS: &[&str] = &[
    "id",
    "full_name",
    "first_name",
    "last_name",
    "job_title",
    "email",
    "phone",
    "whatsapp",
    "company",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "tags",
    "source",
    "lead_stage",
    "lead_source",
    "created_at",
    "custom",
];

/// Columns of the companies export, in order.
pub const COMPANY_EXPORT_COLUMNS: &[&str] = &[
    "id",
    "name",
    "website",
    "domain",
    "phone",
    "category",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "rating",
    "review_count",
    "contacts",
    "tags",
    "source",
    "created_at",
    "custom",
    "score",
    "tier",
    "score_reason",
];

/// One page (200 rows) of the CSV export of the rows matching `q`, starting at `cursor`;
/// the first page carries the header (and the BOM when asked). Returns the bytes and the
/// cursor of the next page, so a response can stream a table of any size.
pub async fn export_page(
    app: &App,
    ctx: &WsCtx,
    q: &ListQuery,
    companies_table: bool,
    excel_bom: bool,
    cursor: Option<String>,
) -> AppResult<(Vec<u8>, Option<String>)> {
    use prospector_core::import::CsvTable;
    let csv_err = |e: csv::Error| AppError::Internal(e.to_string());
    let first = cursor.is_none();
    let cols = if companies_table {
        COMPANY_EXPORT_COLUMNS
    } else {
        CONTACT_EXPORT_COLUMNS
    };
    let mut t = if first {
        CsvTable::new(Vec::new(), cols, excel_bom)
    } else {
        CsvTable::without_header(Vec::new())
    }
    .map_err(csv_err)?;
    let mut q = q.clone();
    q.limit = Some("200".into());
    q.cursor = cursor;
    let next = if companies_table {
        let page = list_companies(app, ctx, &q).await?;
        for c in &page.data {
            let f = &c.f;
            t.row([
                c.id.to_string(),
                o(&f.name),
                o(&f.website),
                o(&f.domain),
                o(&f.phone),
                o(&f.category),
                o(&f.address),
                o(&f.city),
                o(&f.region),
                o(&f.postal_code),
                o(&f.country),
                f.rating.map(|r| r.to_string()).unwrap_or_default(),
                f.review_count.map(|r| r.to_string()).unwrap_or_default(),
                c.contact_count.to_string(),
                c.tags.join(", "),
                f.source.clone(),
                prospector_core::time::format_ms(c.created_at),
                custom_cell(&f.custom),
                c.score_value.map(|v| v.to_string()).unwrap_or_default(),
                o(&c.score_tier),
                o(&c.score_reason),
            ])
            .map_err(csv_err)?;
        }
        page.next_cursor
    } else {
        let page = list_contacts(app, ctx, &q).await?;
        for c in &page.data {
            let f = &c.f;
            t.row([
                c.id.to_string(),
                o(&f.full_name),
                o(&f.first_name),
                o(&f.last_name),
                o(&f.job_title),
                o(&f.email),
                o(&f.phone),
                o(&f.whatsapp),
                o(&c.company_name),
                o(&f.address),
                o(&f.city),
                o(&f.region),
                o(&f.postal_code),
                o(&f.country),
                c.tags.join(", "),
                f.source.clone(),
                o(&f.lead_stage),
                o(&f.lead_source),
                prospector_core::time::format_ms(c.created_at),
                custom_cell(&f.custom),
            ])
            .map_err(csv_err)?;
        }
        page.next_cursor
    };
    Ok((t.finish().map_err(csv_err)?, next))
}

/// Export every row matching `q` as CSV (UTF-8, optional BOM for Excel, cells escaped
/// against formula injection), page by page into `out`.
pub async fn export_csv<W: std::io::Write + Send>(
    app: &App,
    ctx: &WsCtx,
    q: &ListQuery,
    companies_table: bool,
    excel_bom: bool,
    mut out: W,
) -> AppResult<W> {
    let mut cursor = None;
    loop {
        let (bytes, next) = export_page(app, ctx, q, companies_table, excel_bom, cursor).await?;
        out.write_all(&bytes)
            .map_err(|e| AppError::Internal(format!("export write failed: {e}")))?;
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn o(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn custom_cell(c: &str) -> String {
    if c == "{}" {
        String::new()
    } else {
        c.to_string()
    }
}
