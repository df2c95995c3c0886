//! Recording changes in the audit log (who, what, when, before/after).

use crate::{Actor, App, AppResult};
use prospector_core::ids::WorkspaceId;
use prospector_store::audit::{self, NewEntry};

/// Append an audit entry. Every use case that changes something calls this.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    app: &App,
    actor: &Actor,
    ws: Option<WorkspaceId>,
    action: &str,
    target_kind: &str,
    target_id: impl ToString,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AppResult<()> {
    let entry = NewEntry {
        workspace_id: ws,
        user_id: actor.user_id.map(|u| u.0),
        actor: &actor.label,
        action,
        target_kind,
        target_id: target_id.to_string(),
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
        ip: &actor.ip,
    };
    audit::record(app.db(), &entry).await?;
    tracing::info!(actor = %actor.label, workspace_id = ?ws.map(|w| w.0), action, target_kind, "audit");
    Ok(())
}
