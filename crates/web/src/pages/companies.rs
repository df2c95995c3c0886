//! Companies: the table (search, filters, sort, keyset pages, column chooser, bulk actions,
//! CSV export) and the detail page (every field, its contacts, tags, custom fields, notes,
//! timeline, edit, delete), plus the form for a new company.

use super::contacts::{
    COUNT_CAP, Column, ExportOpts, Fact, Filters, Links, Notice, SOURCES, TAB_COMPANIES, Times,
    bulk_action, bulk_request, count_label, custom_lines, custom_pairs, fact, filter_pairs, flash,
    form_error, form_value, id_of, import_label, links, opt, parse_custom, parse_query,
    redirect_error, render_status, today, web_href, with_query,
};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use prospector_app::AppError;
use prospector_app::contacts::{self as app, CompanyInput, ListQuery};
use prospector_app::core::ids::CompanyId;
use prospector_app::store::companies::Company;
use prospector_app::store::timeline::{Activity, Note, Subject};
use serde::Deserialize;

const COMPANY_COLUMNS: &[Column] = &[
    Column {
        key: "score",
        label: "Score",
        default_on: true,
    },
    Column {
        key: "tier",
        label: "Tier",
        default_on: true,
    },
    Column {
        key: "website",
        label: "Website",
        default_on: true,
    },
    Column {
        key: "phone",
        label: "Phone",
        default_on: true,
    },
    Column {
        key: "category",
        label: "Category",
        default_on: true,
    },
    Column {
        key: "city",
        label: "City",
        default_on: true,
    },
    Column {
        key: "country",
        label: "Country",
        default_on: true,
    },
    Column {
        key: "contacts",
        label: "Contacts",
        default_on: true,
    },
    Column {
        key: "tags",
        label: "Tags",
        default_on: true,
    },
    Column {
        key: "source",
        label: "Source",
        default_on: false,
    },
    Column {
        key: "created",
        label: "Created",
        default_on: false,
    },
];

pub struct CompanyRow {
    pub id: i64,
    pub name: String,
    pub website: String,
    pub domain: String,
    pub phone: String,
    pub category: String,
    pub city: String,
    pub country: String,
    pub contacts: i64,
    pub tags: Vec<String>,
    pub source: String,
    pub created_at: i64,
    /// Empty until scored.
    pub score: String,
    pub tier: String,
    pub score_reason: String,
}

/// The best name to show for a company.
pub(super) fn company_name(c: &Company) -> String {
    c.f.name
        .clone()
        .or_else(|| c.f.domain.clone())
        .or_else(|| c.f.website.clone())
        .unwrap_or_else(|| format!("Company #{}", c.id))
}

impl CompanyRow {
    fn of(c: &Company) -> CompanyRow {
        CompanyRow {
            id: c.id,
            name: company_name(c),
            website: web_href(&opt(&c.f.website)),
            domain: opt(&c.f.domain),
            phone: opt(&c.f.phone),
            category: opt(&c.f.category),
            city: opt(&c.f.city),
            country: opt(&c.f.country),
            contacts: c.contact_count,
            tags: c.tags.clone(),
            source: c.f.source.clone(),
            created_at: c.created_at,
            score: c.score_value.map(|v| v.to_string()).unwrap_or_default(),
            tier: opt(&c.score_tier),
            score_reason: opt(&c.score_reason),
        }
    }
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    shell: Shell,
    tab: &'static str,
    empty: bool,
    f: Filters,
    rows: Vec<CompanyRow>,
    count: String,
    links: Links,
    tags: Vec<String>,
    sources: &'static [&'static str],
    columns: &'static [Column],
    /// This table sorted by score (the Score header's link).
    sort_score: String,
}

impl Times for CompaniesPage {}
impl Times for CompanyPage {}

pub async fn list(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListQuery>,
    Query(n): Query<Notice>,
) -> PageResult {
    let mut shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let any = app::count_companies(&s.app, &p.ctx, &ListQuery::default(), 1).await?;
    let base = format!("/w/{}/companies", p.ctx.slug);
    let (rows, next, count) = if any == 0 {
        (vec![], None, 0)
    } else {
        match app::list_companies(&s.app, &p.ctx, &q).await {
            Ok(page) => {
                let count = app::count_companies(&s.app, &p.ctx, &q, COUNT_CAP).await?;
                (page.data, page.next_cursor, count)
            }
            Err(e @ AppError::Validation { .. }) => {
                shell = shell.with_flash("error", e.to_string());
                (vec![], None, 0)
            }
            Err(e) => return Err(e.into()),
        }
    };
    let tags = prospector_app::store::companies::all_tags(s.app.db(), p.ctx.ws)
        .await
        .map_err(AppError::from)?;
    Ok(render(&CompaniesPage {
        shell,
        tab: TAB_COMPANIES,
        empty: any == 0,
        f: Filters::of(&q),
        rows: rows.iter().map(CompanyRow::of).collect(),
        count: count_label(count, "company", "companies"),
        links: links(&base, &q, next),
        sort_score: {
            let mut sq = q.clone();
            sq.sort = Some("score".into());
            sq.cursor = None;
            with_query(&base, &filter_pairs(&sq))
        },
        tags,
        sources: SOURCES,
        columns: COMPANY_COLUMNS,
    }))
}

pub async fn export(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListQuery>,
    Query(o): Query<ExportOpts>,
) -> PageResult {
    let file = format!("companies-{}-{}.csv", p.ctx.slug, today());
    Ok(crate::export::csv_download(&s.app, &p.ctx, &q, true, o.bom(), &file).await?)
}

pub async fn bulk(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let back = with_query(
        &format!("/w/{}/companies", p.ctx.slug),
        &filter_pairs(&parse_query(form_value(&f, "query"))),
    );
    let (action, tag, sel) = match bulk_request(&f) {
        Ok(r) => r,
        Err(e) => return Ok(redirect_error(&back, e)),
    };
    if action == "scan" {
        return Ok(
            match prospector_app::scans::scan_companies(&s.app, &p.ctx, &sel).await {
                Ok(r) => {
                    let mut msg = format!(
                        "{} queued for a website scan.",
                        count_label(r.queued as i64, "company", "companies")
                    );
                    if r.already_queued > 0 {
                        msg.push_str(&format!(" {} already on its way.", r.already_queued));
                    }
                    if r.no_website > 0 {
                        msg.push_str(&format!(" {} without a website skipped.", r.no_website));
                    }
                    let sep = if back.contains('?') { '&' } else { '?' };
                    axum::response::Redirect::to(&format!(
                        "{back}{sep}notice={}",
                        form_urlencoded::byte_serialize(msg.as_bytes()).collect::<String>()
                    ))
                    .into_response()
                }
                Err(e) => redirect_error(&back, e),
            },
        );
    }
    let result = match bulk_action(&action, &tag) {
        Ok(a) => app::bulk(&s.app, &p.ctx, &sel, a, true).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => {
            let what = match action.as_str() {
                "tag" => format!("tagged “{tag}”"),
                "untag" => format!("untagged “{tag}”"),
                _ => "deleted (their contacts stay, without a company)".into(),
            };
            let msg = format!("{} {what}.", count_label(n as i64, "company", "companies"));
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

/// The edit form's values, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CompanyForm {
    pub name: String,
    pub website: String,
    pub phone: String,
    pub category: String,
    pub address: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub notes: String,
    pub tags: String,
    pub custom: String,
}

impl CompanyForm {
    fn of(c: &Company) -> CompanyForm {
        let f = &c.f;
        CompanyForm {
            name: opt(&f.name),
            website: opt(&f.website),
            phone: opt(&f.phone),
            category: opt(&f.category),
            address: opt(&f.address),
            city: opt(&f.city),
            region: opt(&f.region),
            postal_code: opt(&f.postal_code),
            country: opt(&f.country),
            notes: opt(&f.notes),
            tags: c.tags.join(", "),
            custom: custom_lines(&f.custom),
        }
    }

    fn input(&self) -> Result<CompanyInput, AppError> {
        let s = |v: &String| Some(v.trim().to_string());
        Ok(CompanyInput {
            name: s(&self.name),
            website: s(&self.website),
            phone: s(&self.phone),
            category: s(&self.category),
            address: s(&self.address),
            city: s(&self.city),
            region: s(&self.region),
            postal_code: s(&self.postal_code),
            country: s(&self.country),
            notes: s(&self.notes),
            tags: Some(vec![self.tags.clone()]),
            custom: Some(parse_custom(&self.custom)?),
        })
    }
}

/// A contact at the company, for its detail page.
pub struct Person {
    pub id: i64,
    pub name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    shell: Shell,
    tab: &'static str,
    /// 0 for a new company.
    id: i64,
    title: String,
    facts: Vec<Fact>,
    tags: Vec<String>,
    custom: Vec<(String, String)>,
    people: Vec<Person>,
    people_count: String,
    people_more: bool,
    notes: Vec<Note>,
    timeline: Vec<Activity>,
    v: CompanyForm,
    err_field: String,
    err_msg: String,
    /// The website scan section (absent on the new-company form).
    scan: Option<super::scans::ScanView>,
    /// The lead score and analysis (absent on the new-company form).
    scoring: Option<super::scores::ScoreView>,
}

impl CompanyPage {
    fn factor_label(&self, name: &str) -> &'static str {
        super::scores::factor_label(name)
    }
}

impl CompanyPage {
    fn err(&self, field: &str) -> &str {
        if self.err_field == field {
            &self.err_msg
        } else {
            ""
        }
    }

    fn general_error(&self) -> &str {
        const FIELDS: &[&str] = &[
            "name",
            "website",
            "phone",
            "category",
            "address",
            "city",
            "region",
            "postal_code",
            "country",
            "notes",
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

fn company_facts(c: &Company, slug: &str) -> Vec<Fact> {
    let f = &c.f;
    let mut website = fact("Website", &f.website);
    website.href = web_href(&website.value);
    let mut source = Fact {
        label: "Source",
        value: f.source.clone(),
        href: String::new(),
    };
    if let Some(imp) = c.import_id {
        source.value = import_label(&f.source, imp);
        source.href = format!("/w/{slug}/imports/{imp}");
    }
    let num = |v: Option<f64>| v.map(|x| x.to_string());
    vec![
        fact("Name", &f.name),
        website,
        fact("Domain", &f.domain),
        fact("Phone", &f.phone),
        fact("Category", &f.category),
        fact("Address", &f.address),
        fact("City", &f.city),
        fact("Region", &f.region),
        fact("Postal code", &f.postal_code),
        fact("Country", &f.country),
        fact("Rating", &num(f.rating)),
        fact("Reviews", &f.review_count.map(|n| n.to_string())),
        source,
        fact("Notes", &f.notes),
    ]
}

async fn company_page(
    s: &AppState,
    p: &Page<impl crate::auth::Perm>,
    c: Option<&Company>,
    v: CompanyForm,
    err: Option<(String, String)>,
    shell: Shell,
    version: Option<i64>,
) -> Result<CompanyPage, AppError> {
    let (err_field, err_msg) = err.unwrap_or_default();
    let Some(c) = c else {
        return Ok(CompanyPage {
            shell,
            tab: TAB_COMPANIES,
            id: 0,
            title: "New company".into(),
            facts: vec![],
            tags: vec![],
            custom: vec![],
            people: vec![],
            people_count: String::new(),
            people_more: false,
            notes: vec![],
            timeline: vec![],
            v,
            err_field,
            err_msg,
            scan: None,
            scoring: None,
        });
    };
    let who = Subject::Company(c.id);
    let q = ListQuery {
        company_id: Some(c.id.to_string()),
        sort: Some("name".into()),
        limit: Some("50".into()),
        ..Default::default()
    };
    let people = app::list_contacts(&s.app, &p.ctx, &q).await?;
    Ok(CompanyPage {
        title: company_name(c),
        facts: company_facts(c, &p.ctx.slug),
        tags: c.tags.clone(),
        custom: custom_pairs(&c.f.custom),
        people_more: people.next_cursor.is_some(),
        people: people
            .data
            .iter()
            .map(|x| Person {
                id: x.id,
                name: x.display_name(),
                job_title: opt(&x.f.job_title),
                email: opt(&x.f.email),
                phone: opt(&x.f.phone),
            })
            .collect(),
        people_count: count_label(c.contact_count, "contact", "contacts"),
        notes: app::notes(&s.app, &p.ctx, who).await?,
        timeline: app::timeline_of(&s.app, &p.ctx, who).await?,
        scan: Some(super::scans::view(s, &p.ctx, c.cid(), c.f.website.is_some(), version).await?),
        scoring: Some(super::scores::view(&s.app, &p.ctx, c.cid()).await?),
        id: c.id,
        shell,
        tab: TAB_COMPANIES,
        v,
        err_field,
        err_msg,
    })
}

pub async fn new_form(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "contacts").await?;
    let page = company_page(&s, &p, None, CompanyForm::default(), None, shell, None).await?;
    Ok(render(&page))
}

pub async fn create(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<CompanyForm>,
) -> PageResult {
    let result = match v.input() {
        Ok(i) => app::create_company(&s.app, &p.ctx, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(back_to(
            &format!("/w/{}/companies/{}", p.ctx.slug, c.id),
            Some("Company created."),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let shell = Shell::for_page(&s.app, &p, "contacts").await?;
                let page = company_page(&s, &p, None, v, Some((field, msg)), shell, None).await?;
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
    Query(version): Query<super::scans::VersionParam>,
) -> PageResult {
    let id = id_of(&id)?;
    let c = app::company(&s.app, &p.ctx, CompanyId(id)).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "contacts").await?, &n);
    let page = company_page(
        &s,
        &p,
        Some(&c),
        CompanyForm::of(&c),
        None,
        shell,
        version.id(),
    )
    .await?;
    Ok(render(&page))
}

pub async fn update(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(v): Form<CompanyForm>,
) -> PageResult {
    let id = CompanyId(id_of(&id)?);
    let result = match v.input() {
        Ok(i) => app::update_company(&s.app, &p.ctx, id, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(back_to(
            &format!("/w/{}/companies/{}", p.ctx.slug, c.id),
            Some("Company saved."),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let c = app::company(&s.app, &p.ctx, id).await?;
                let shell = Shell::for_page(&s.app, &p, "contacts").await?;
                let page =
                    company_page(&s, &p, Some(&c), v, Some((field, msg)), shell, None).await?;
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
    let id = CompanyId(id_of(&id)?);
    app::delete_company(&s.app, &p.ctx, id).await?;
    Ok(back_to(
        &format!("/w/{}/companies", p.ctx.slug),
        Some("Company deleted; its contacts stay, without a company."),
    ))
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
    let path = format!("/w/{}/companies/{id}", p.ctx.slug);
    match app::add_note(&s.app, &p.ctx, Subject::Company(id), &f.body).await {
        Ok(_) => Ok(back_to(&path, Some("Note added."))),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}
