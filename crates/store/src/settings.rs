//! One section of a workspace's settings document (`workspaces.settings`, a JSON object
//! whose top-level keys are owned by features: `icp`, `ai`, `scanning`...). Writing a
//! section is a compare-and-swap on the whole document, so two features saving their own
//! sections at the same moment cannot lose each other's change.

use crate::{Db, Result, StoreError, WorkspaceId, on_db};
use prospector_core::time::now_ms;
use serde_json::{Map, Value};

/// The settings document as an object (an unreadable or non-object document reads as empty).
pub fn parse(raw: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

async fn raw(db: &Db, ws: WorkspaceId) -> Result<String> {
    on_db!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT settings FROM workspaces WHERE id = $1")
        .bind(ws.0).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// One section, `None` when unset.
pub async fn get_section(db: &Db, ws: WorkspaceId, key: &str) -> Result<Option<Value>> {
    Ok(parse(&raw(db, ws).await?).remove(key))
}

/// Replace one section (or remove it with `None`), leaving the others as they are. Returns
/// the section's previous value.
pub async fn set_section(
    db: &Db,
    ws: WorkspaceId,
    key: &str,
    value: Option<Value>,
) -> Result<Option<Value>> {
    for _ in 0..20 {
        let before = raw(db, ws).await?;
        let mut doc = parse(&before);
        let previous = match &value {
            Some(v) => doc.insert(key.to_string(), v.clone()),
            None => doc.remove(key),
        };
        let after = Value::Object(doc).to_string();
        let n = on_db!(db, p => sqlx::query(
            "UPDATE workspaces SET settings = $2, updated_at = $3 WHERE id = $1 AND settings = $4")
            .bind(ws.0).bind(&after).bind(now_ms()).bind(&before)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            return Ok(previous);
        }
    }
    Err(StoreError::Conflict {
        constraint: "workspaces.settings".into(),
    })
}
