//! Email templates on pages: the list with search and pages, and the editor (name, subject,
//! text, optional HTML) with a preview rendered for a chosen contact or sample values. A
//! syntax error or an unknown variable is shown next to the field it is in.

use super::campaigns::TAB_TEMPLATES;
use super::contacts::{
    Notice, Times, flash, form_error, id_of, redirect_error, render_status, with_query,
};
use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Perm, Write};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use prospector_app::AppError;
use prospector_app::contacts::ListQuery;
use prospector_app::core::ids::ContactId;
use prospector_app::outreach::render::CONTACT_VARIABLES;
use prospector_app::outreach::templates::{self as uc, Preview, TemplateInput};
use prospector_app::store::templates::Template as Stored;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/w/{slug}/templates", get(list).post(create))
        .route("/w/{slug}/templates/new", get(new_form))
        .route("/w/{slug}/templates/{id}", get(show).post(update))
        .route("/w/{slug}/templates/{id}/delete", post(delete))
}

const PAGE_SIZE: i64 = 25;

/// Variables beyond the contact's fields, with what they hold.
const MORE_VARIABLES: &[(&str, &str)] = &[
    (
        "custom.KEY",
        "a custom field of the contact (or its company)",
    ),
    (
        "facts.website_score",
        "website quality 0-100 from the last scan",
    ),
    ("facts.tech", "technologies found on the website"),
    ("facts.socials", "social profiles found on the website"),
    (
        "ai.opening_line",
        "a first line written from the company's facts",
    ),
    ("ai.summary", "the analysis summary, when one was generated"),
];

pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub subject: String,
    pub variables: String,
    pub updated_at: i64,
}

impl TemplateRow {
    fn of(t: &Stored) -> TemplateRow {
        let vars: Vec<String> = serde_json::from_str(&t.f.variables).unwrap_or_default();
        TemplateRow {
            id: t.id,
            name: t.f.name.clone(),
            subject: t.f.subject.clone().unwrap_or_default(),
            variables: vars.join(", "),
            updated_at: t.updated_at,
        }
    }
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    shell: Shell,
    tab: &'static str,
    empty: bool,
    q: String,
    rows: Vec<TemplateRow>,
    next: String,
    first: String,
}

impl Times for TemplatesPage {}

#[derive(Deserialize, Default)]
pub struct ListParams {
    q: Option<String>,
    before: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<ListParams>,
    Query(n): Query<Notice>,
) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "templates").await?, &n);
    let term = q.q.as_deref().unwrap_or("").trim().to_string();
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok());
    let empty = uc::list(&s.app, &p.ctx, None, None, 1).await?.is_empty();
    let rows = uc::list(
        &s.app,
        &p.ctx,
        (!term.is_empty()).then_some(term.as_str()),
        before,
        PAGE_SIZE,
    )
    .await?;
    let base = format!("/w/{}/templates", p.ctx.slug);
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !term.is_empty() {
        pairs.push(("q", term.clone()));
    }
    let next = if rows.len() as i64 == PAGE_SIZE {
        let mut np = pairs.clone();
        np.push(("before", rows.last().map(|r| r.id).unwrap_or(0).to_string()));
        with_query(&base, &np)
    } else {
        String::new()
    };
    let first = if before.is_some() {
        with_query(&base, &pairs)
    } else {
        String::new()
    };
    Ok(render(&TemplatesPage {
        shell,
        tab: TAB_TEMPLATES,
        empty,
        q: term,
        rows: rows.iter().map(TemplateRow::of).collect(),
        next,
        first,
    }))
}

/// The editor's values, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TemplateForm {
    pub name: String,
    pub subject: String,
    pub body: String,
    pub html: String,
    /// Preview for this contact (empty: sample values).
    pub contact_id: String,
    /// save or preview.
    pub op: String,
}

impl TemplateForm {
    fn of(t: &Stored) -> TemplateForm {
        TemplateForm {
            name: t.f.name.clone(),
            subject: t.f.subject.clone().unwrap_or_default(),
            body: t.f.body_text.clone(),
            html: t.f.body_html.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    fn input(&self) -> TemplateInput {
        TemplateInput {
            name: self.name.trim().to_string(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            html: (!self.html.trim().is_empty()).then(|| self.html.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "template.html")]
struct TemplatePage {
    shell: Shell,
    tab: &'static str,
    /// 0 for a new template.
    id: i64,
    title: String,
    v: TemplateForm,
    err_field: String,
    err_msg: String,
    preview: Option<Preview>,
    contacts: Vec<(i64, String)>,
    variables: &'static [&'static str],
    more_variables: &'static [(&'static str, &'static str)],
}

impl TemplatePage {
    fn err(&self, field: &str) -> &str {
        if self.err_field == field {
            &self.err_msg
        } else {
            ""
        }
    }

    fn general_error(&self) -> &str {
        if ["name", "subject", "body", "html", "contact_id"].contains(&self.err_field.as_str()) {
            ""
        } else {
            &self.err_msg
        }
    }

    fn action(&self) -> String {
        if self.id > 0 {
            format!("/w/{}/templates/{}", self.shell.slug, self.id)
        } else {
            format!("/w/{}/templates", self.shell.slug)
        }
    }
}

/// Contacts to preview with: the first 50 with an email address, by name.
async fn preview_contacts<P: Perm>(
    s: &AppState,
    p: &Page<P>,
) -> Result<Vec<(i64, String)>, AppError> {
    let q = ListQuery {
        has_email: Some("true".into()),
        sort: Some("name".into()),
        limit: Some("50".into()),
        ..Default::default()
    };
    let page = prospector_app::contacts::list_contacts(&s.app, &p.ctx, &q).await?;
    Ok(page
        .data
        .iter()
        .map(|c| {
            let name = c.display_name();
            let company = c.company_name.clone().unwrap_or_default();
            let label = if company.is_empty() || company == name {
                name
            } else {
                format!("{name} · {company}")
            };
            (c.id, label)
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn editor<P: Perm>(
    s: &AppState,
    p: &Page<P>,
    shell: Shell,
    id: i64,
    v: TemplateForm,
    err: Option<(String, String)>,
    preview: Option<Preview>,
) -> Result<TemplatePage, AppError> {
    let (err_field, err_msg) = err.unwrap_or_default();
    Ok(TemplatePage {
        shell,
        tab: TAB_TEMPLATES,
        id,
        title: if id > 0 {
            v.name.clone()
        } else {
            "New template".into()
        },
        contacts: preview_contacts(s, p).await?,
        v,
        err_field,
        err_msg,
        preview,
        variables: CONTACT_VARIABLES,
        more_variables: MORE_VARIABLES,
    })
}

pub async fn new_form(State(s): State<AppState>, p: Page<Write>) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "templates").await?;
    let v = TemplateForm {
        subject: "Quick question about {{company.name|your business}}".into(),
        body: "Hi {{first_name|there}},\n\n{{ai.opening_line}}\n\nWould a short call next week be useful?\n".into(),
        ..Default::default()
    };
    let page = editor(&s, &p, shell, 0, v, None, None).await?;
    Ok(render(&page))
}

pub async fn show(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> PageResult {
    let id = id_of(&id)?;
    let t = uc::get(&s.app, &p.ctx, id).await?;
    let shell = flash(Shell::for_page(&s.app, &p, "templates").await?, &n);
    let page = editor(&s, &p, shell, id, TemplateForm::of(&t), None, None).await?;
    Ok(render(&page))
}

/// Save or preview (`op=preview`) the editor's content.
async fn submit(s: &AppState, p: &Page<Write>, id: i64, v: TemplateForm) -> PageResult {
    let shell = Shell::for_page(&s.app, p, "templates").await?;
    if v.op == "preview" {
        let contact = match v.contact_id.trim() {
            "" => Ok(None),
            c => c
                .parse::<i64>()
                .map(|n| Some(ContactId(n)))
                .map_err(|_| AppError::invalid("contact_id", "choose a contact from the list")),
        };
        let result = match contact {
            Ok(c) => uc::preview(&s.app, &p.ctx, &v.input(), c)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        AppError::invalid("contact_id", "there is no contact with this id")
                    }
                    other => other,
                }),
            Err(e) => Err(e),
        };
        return match result {
            Ok(pv) => {
                let page = editor(s, p, shell, id, v, None, Some(pv)).await?;
                Ok(render(&page))
            }
            Err(e) => match form_error(&e) {
                Some((field, msg, status)) => {
                    let page = editor(s, p, shell, id, v, Some((field, msg)), None).await?;
                    Ok(render_status(status, &page))
                }
                None => Err(e.into()),
            },
        };
    }
    let result = if id > 0 {
        uc::update(&s.app, &p.ctx, id, &v.input()).await
    } else {
        uc::create(&s.app, &p.ctx, &v.input()).await
    };
    match result {
        Ok(t) => Ok(back_to(
            &format!("/w/{}/templates/{}", p.ctx.slug, t.id),
            Some(if id > 0 {
                "Template saved."
            } else {
                "Template created."
            }),
        )),
        Err(e) => match form_error(&e) {
            Some((field, msg, status)) => {
                let page = editor(s, p, shell, id, v, Some((field, msg)), None).await?;
                Ok(render_status(status, &page))
            }
            None => Err(e.into()),
        },
    }
}

pub async fn create(
    State(s): State<AppState>,
    p: Page<Write>,
    Form(v): Form<TemplateForm>,
) -> PageResult {
    submit(&s, &p, 0, v).await
}

pub async fn update(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
    Form(v): Form<TemplateForm>,
) -> PageResult {
    let id = id_of(&id)?;
    uc::get(&s.app, &p.ctx, id).await?;
    submit(&s, &p, id, v).await
}

pub async fn delete(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let t = uc::get(&s.app, &p.ctx, id).await?;
    match uc::delete(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(back_to(
            &format!("/w/{}/templates", p.ctx.slug),
            Some(&format!("Template “{}” deleted.", t.f.name)),
        )),
        Err(e) => Ok(redirect_error(
            &format!("/w/{}/templates/{id}", p.ctx.slug),
            e,
        )),
    }
}
