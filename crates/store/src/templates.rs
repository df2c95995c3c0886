//! Templates: a named subject and body (plain text, optional HTML) for one channel, with the
//! variables it uses as JSON. Rendering and validation live in `core`; this stores them.
//! Every query is scoped by workspace.

use crate::query::{Arg, like_escape};
use crate::{Db, Result, StoreError, TemplateId, WorkspaceId, bind_args, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// The columns of a template that a person writes.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, Serialize)]
pub struct TemplateFields {
    /// Unique in the workspace.
    pub name: String,
    /// email, whatsapp or sms.
    pub channel: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// JSON array of the variable names the body uses.
    pub variables: String,
}

impl TemplateFields {
    /// An email template with no variables.
    pub fn email(name: &str, subject: &str, body_text: &str) -> TemplateFields {
        TemplateFields {
            name: name.into(),
            channel: "email".into(),
            subject: Some(subject.into()),
            body_text: body_text.into(),
            body_html: None,
            variables: "[]".into(),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Template {
    pub id: i64,
    pub workspace_id: i64,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub f: TemplateFields,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Template {
    pub fn tid(&self) -> TemplateId {
        TemplateId(self.id)
    }
}

const FIELD_COLS: &[&str] = &[
    "name",
    "channel",
    "subject",
    "body_text",
    "body_html",
    "variables",
];

const COLS: &str = "id, workspace_id, name, channel, subject, body_text, body_html, variables, created_at, updated_at";

fn field_args(f: &TemplateFields) -> Vec<Arg> {
    vec![
        Arg::Text(f.name.clone()),
        Arg::Text(f.channel.clone()),
        Arg::from(&f.subject),
        Arg::Text(f.body_text.clone()),
        Arg::from(&f.body_html),
        Arg::Text(f.variables.clone()),
    ]
}

/// Add a template. A taken name is a `Conflict` on "name".
pub async fn insert(db: &Db, ws: WorkspaceId, f: &TemplateFields) -> Result<Template> {
    let mut s = crate::query::insert_sql("templates", ws, FIELD_COLS, field_args(f), now_ms());
    let id: i64 = on_db!(db, p => bind_args!(sqlx::query_scalar::<_, i64>(&s.text_for(db)), s.args)
        .fetch_one(p).await)?;
    get(db, ws, TemplateId(id)).await
}

/// Replace every field of a template.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: TemplateId,
    f: &TemplateFields,
) -> Result<Template> {
    let mut s =
        crate::query::update_sql("templates", ws, id.0, FIELD_COLS, field_args(f), now_ms());
    let n = on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
        .execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(db, ws, id).await
}

pub async fn get(db: &Db, ws: WorkspaceId, id: TemplateId) -> Result<Template> {
    let sql = format!("SELECT {COLS} FROM templates WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Template>(&sql).bind(ws.0).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn get_by_name(db: &Db, ws: WorkspaceId, name: &str) -> Result<Template> {
    let sql = format!("SELECT {COLS} FROM templates WHERE workspace_id = $1 AND name = $2");
    on_db!(db, p => sqlx::query_as::<_, Template>(&sql).bind(ws.0).bind(name).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// A workspace's templates, newest first, keyset-paginated by id. `search` matches the name
/// or the subject anywhere, ignoring case; `channel` keeps one channel.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    search: Option<&str>,
    channel: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Template>> {
    let pattern = search
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", like_escape(&q.to_lowercase())))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {COLS} FROM templates WHERE workspace_id = $1 AND id < $2 \
         AND ($3 = '' OR LOWER(name) LIKE $3 ESCAPE '\\' OR LOWER(COALESCE(subject, '')) LIKE $3 ESCAPE '\\') \
         AND ($4 = '' OR channel = $4) ORDER BY id DESC LIMIT $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Template>(&sql).bind(ws.0)
        .bind(before.unwrap_or(i64::MAX)).bind(&pattern).bind(channel.unwrap_or(""))
        .bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

/// Delete a template. One still used by a campaign step is a `Conflict` on
/// "sequence_steps.template_id"; an unknown one is `NotFound`.
pub async fn delete(db: &Db, ws: WorkspaceId, id: TemplateId) -> Result<()> {
    let n = on_db!(db, p => sqlx::query(
        "DELETE FROM templates WHERE workspace_id = $1 AND id = $2 AND NOT EXISTS \
         (SELECT 1 FROM sequence_steps st WHERE st.workspace_id = $1 AND st.template_id = $2)")
        .bind(ws.0).bind(id.0).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        return Ok(());
    }
    get(db, ws, id).await?;
    Err(StoreError::Conflict {
        constraint: "sequence_steps.template_id".into(),
    })
}
