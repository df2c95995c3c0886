//! The timeline of a contact or company: activities (imported, edited, tagged, scanned,
//! messaged...) and notes written by people. Append-only.

use crate::{Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// Whose timeline: a contact's or a company's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Contact(i64),
    Company(i64),
}

impl Subject {
    fn cols(self) -> (Option<i64>, Option<i64>) {
        match self {
            Subject::Contact(id) => (Some(id), None),
            Subject::Company(id) => (None, Some(id)),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Activity {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    /// Dotted kind, e.g. "contact.imported", "contact.updated", "note.added".
    pub kind: String,
    pub summary: String,
    /// JSON details.
    pub data: String,
    pub actor: String,
    pub created_at: i64,
}

pub async fn record(
    db: &Db,
    ws: WorkspaceId,
    who: Subject,
    kind: &str,
    summary: &str,
    data: &str,
    actor: &str,
) -> Result<()> {
    let (contact, company) = who.cols();
    on_db!(db, p => sqlx::query(
        "INSERT INTO activities (workspace_id, contact_id, company_id, kind, summary, data, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(ws.0).bind(contact).bind(company).bind(kind).bind(summary).bind(data).bind(actor)
        .bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Newest first; a company's timeline also shows its contacts' activities.
pub async fn list(db: &Db, ws: WorkspaceId, who: Subject, limit: i64) -> Result<Vec<Activity>> {
    let cols = "a.id, a.contact_id, a.company_id, a.kind, a.summary, a.data, a.actor, a.created_at";
    Ok(match who {
        Subject::Contact(id) => on_db!(db, p => sqlx::query_as::<_, Activity>(&format!(
            "SELECT {cols} FROM activities a WHERE a.workspace_id = $1 AND a.contact_id = $2 \
             ORDER BY a.id DESC LIMIT $3"))
            .bind(ws.0).bind(id).bind(limit).fetch_all(p).await)?,
        Subject::Company(id) => on_db!(db, p => sqlx::query_as::<_, Activity>(&format!(
            "SELECT {cols} FROM activities a WHERE a.workspace_id = $1 AND (a.company_id = $2 \
             OR a.contact_id IN (SELECT id FROM contacts WHERE workspace_id = $1 AND company_id = $2)) \
             ORDER BY a.id DESC LIMIT $3"))
            .bind(ws.0).bind(id).bind(limit).fetch_all(p).await)?,
    })
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Note {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    pub user_id: Option<i64>,
    pub body: String,
    pub created_at: i64,
}

pub async fn add_note(
    db: &Db,
    ws: WorkspaceId,
    who: Subject,
    user_id: Option<i64>,
    body: &str,
) -> Result<Note> {
    let (contact, company) = who.cols();
    Ok(on_db!(db, p => sqlx::query_as::<_, Note>(
        "INSERT INTO notes (workspace_id, contact_id, company_id, user_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, contact_id, company_id, user_id, body, created_at")
        .bind(ws.0).bind(contact).bind(company).bind(user_id).bind(body).bind(now_ms())
        .fetch_one(p).await)?)
}

pub async fn notes(db: &Db, ws: WorkspaceId, who: Subject, limit: i64) -> Result<Vec<Note>> {
    let (contact, company) = who.cols();
    Ok(on_db!(db, p => sqlx::query_as::<_, Note>(
        "SELECT id, contact_id, company_id, user_id, body, created_at FROM notes \
         WHERE workspace_id = $1 AND (contact_id = $2 OR company_id = $3) ORDER BY id DESC LIMIT $4")
        .bind(ws.0).bind(contact).bind(company).bind(limit).fetch_all(p).await)?)
}

/// Delete a note of the workspace.
pub async fn delete_note(db: &Db, ws: WorkspaceId, id: i64) -> Result<()> {
    let n = on_db!(db, p => sqlx::query("DELETE FROM notes WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
