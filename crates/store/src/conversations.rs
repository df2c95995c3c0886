//! Conversations: the thread with a contact on one channel, holding what we sent and what
//! came back (`conversation_messages`, direction `in` or `out`). One conversation per
//! contact and channel. Every query is scoped by workspace.

use crate::{ContactId, Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub workspace_id: i64,
    pub contact_id: i64,
    pub channel: String,
    pub subject: Option<String>,
    pub last_message_at: i64,
    /// Inbound messages not yet seen by a member.
    pub unread: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, workspace_id, contact_id, channel, subject, last_message_at, unread, \
    created_at, updated_at";

/// The conversation with a contact on a channel, opened when there is none.
pub async fn open(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    channel: &str,
    subject: Option<&str>,
) -> Result<Conversation> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO conversations (workspace_id, contact_id, channel, subject, last_message_at, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $5) \
         ON CONFLICT (workspace_id, contact_id, channel) DO UPDATE SET \
         subject = COALESCE(conversations.subject, excluded.subject) RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Conversation>(&sql).bind(ws.0).bind(contact.0)
        .bind(channel).bind(subject).bind(now).fetch_one(p).await)?,
    )
}

pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Conversation> {
    let sql = format!("SELECT {COLS} FROM conversations WHERE workspace_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as::<_, Conversation>(&sql).bind(ws.0).bind(id)
        .fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// The contact's conversation on `channel`, if any.
pub async fn of_contact(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    channel: &str,
) -> Result<Option<Conversation>> {
    let sql = format!(
        "SELECT {COLS} FROM conversations WHERE workspace_id = $1 AND contact_id = $2 AND channel = $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Conversation>(&sql).bind(ws.0).bind(contact.0)
        .bind(channel).fetch_optional(p).await)?,
    )
}

/// A workspace's conversations, most recent first, keyset-paginated by
/// (last_message_at, id).
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    before: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let (t, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let sql = format!(
        "SELECT {COLS} FROM conversations WHERE workspace_id = $1 \
         AND (last_message_at < $2 OR (last_message_at = $2 AND id < $3)) \
         ORDER BY last_message_at DESC, id DESC LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, Conversation>(&sql).bind(ws.0).bind(t).bind(id)
        .bind(limit.clamp(1, 500)).fetch_all(p).await)?,
    )
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ConversationMessage {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    /// `in` or `out`.
    pub direction: String,
    pub message_id: Option<i64>,
    pub inbound_message_id: Option<i64>,
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub created_at: i64,
}

const MSG_COLS: &str = "id, workspace_id, conversation_id, direction, message_id, \
    inbound_message_id, from_address, to_address, subject, body_text, created_at";

/// What to add to a conversation.
#[derive(Debug, Clone, Default)]
pub struct NewEntry<'a> {
    /// `in` or `out`.
    pub direction: &'a str,
    pub message_id: Option<i64>,
    pub inbound_message_id: Option<i64>,
    pub from_address: Option<&'a str>,
    pub to_address: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
    pub at: i64,
}

/// Add an entry to a conversation (an inbound one counts as unread). An outbound message
/// already in the conversation is not added twice.
pub async fn add(
    db: &Db,
    ws: WorkspaceId,
    conversation: i64,
    e: &NewEntry<'_>,
) -> Result<Option<ConversationMessage>> {
    let unread = i64::from(e.direction == "in");
    let insert = format!(
        "INSERT INTO conversation_messages (workspace_id, conversation_id, direction, message_id, \
         inbound_message_id, from_address, to_address, subject, body_text, created_at) \
         SELECT c.workspace_id, c.id, $3, $4, $5, $6, $7, $8, $9, $10 FROM conversations c \
         WHERE c.workspace_id = $1 AND c.id = $2 AND ($4 IS NULL OR NOT EXISTS (\
         SELECT 1 FROM conversation_messages x WHERE x.workspace_id = $1 \
         AND x.conversation_id = $2 AND x.message_id = $4)) RETURNING {MSG_COLS}"
    );
    crate::in_tx!(db, tx => {
        let row = sqlx::query_as::<_, ConversationMessage>(&insert).bind(ws.0).bind(conversation)
            .bind(e.direction).bind(e.message_id).bind(e.inbound_message_id).bind(e.from_address)
            .bind(e.to_address).bind(e.subject).bind(e.body_text).bind(e.at)
            .fetch_optional(&mut *tx).await?;
        if row.is_some() {
            sqlx::query(
                "UPDATE conversations SET unread = unread + $3, updated_at = $4, \
                 last_message_at = CASE WHEN last_message_at > $4 THEN last_message_at ELSE $4 END \
                 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(conversation).bind(unread).bind(e.at)
                .execute(&mut *tx).await?;
        }
        Ok::<_, StoreError>(row)
    })
}

/// A conversation's entries, oldest first.
pub async fn entries(
    db: &Db,
    ws: WorkspaceId,
    conversation: i64,
    limit: i64,
) -> Result<Vec<ConversationMessage>> {
    let sql = format!(
        "SELECT {MSG_COLS} FROM conversation_messages WHERE workspace_id = $1 \
         AND conversation_id = $2 ORDER BY created_at, id LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ConversationMessage>(&sql).bind(ws.0)
        .bind(conversation).bind(limit.clamp(1, 1000)).fetch_all(p).await)?,
    )
}

/// A member has read the conversation.
pub async fn mark_read(db: &Db, ws: WorkspaceId, conversation: i64) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE conversations SET unread = 0 WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0).bind(conversation).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}
