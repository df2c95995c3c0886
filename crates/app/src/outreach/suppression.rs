//! Who must not be emailed: suppressed addresses and domains, and contacts who refused email
//! consent. Checked when contacts are enrolled, when a message is queued, and again just
//! before it is sent.

use crate::{App, AppResult};
use prospector_store::WorkspaceId;
use prospector_store::contacts::{self, Contact, ContactFilter, ContactSort};
use prospector_store::suppressions;
use std::collections::{HashMap, HashSet};

/// Consent values that forbid email.
pub const REFUSED: &[&str] = &["denied", "refused", "opted_out", "no"];

/// For each address, why it must not be emailed (absent = may be emailed).
pub async fn blocked_addresses(
    app: &App,
    ws: WorkspaceId,
    addresses: &[String],
) -> AppResult<HashMap<String, String>> {
    let mut uniq: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    uniq.sort();
    uniq.dedup();
    let mut out = HashMap::new();
    for (v, reason) in suppressions::matching(app.db(), ws, "email", &uniq).await? {
        out.insert(v, format!("suppressed: {reason}"));
    }
    let domains: HashSet<String> = uniq
        .iter()
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_string()))
        .collect();
    let domains: Vec<String> = domains.into_iter().collect();
    let blocked_domains: HashMap<String, String> =
        suppressions::matching(app.db(), ws, "domain", &domains)
            .await?
            .into_iter()
            .collect();
    if !blocked_domains.is_empty() {
        for a in &uniq {
            if let Some((_, d)) = a.rsplit_once('@')
                && let Some(reason) = blocked_domains.get(d)
            {
                out.entry(a.clone())
                    .or_insert_with(|| format!("domain suppressed: {reason}"));
            }
        }
    }
    Ok(out)
}

/// For each contact id, why it must not be emailed (absent = may be emailed).
pub async fn blocked_contacts(
    app: &App,
    ws: WorkspaceId,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(2_000) {
        let f = ContactFilter {
            ids: Some(chunk.to_vec()),
            ..Default::default()
        };
        let limit = i64::try_from(chunk.len()).unwrap_or(2_000);
        let rows = contacts::list(app.db(), ws, &f, ContactSort::Oldest, None, limit).await?;
        out.extend(blocked_among(app, ws, rows.iter()).await?);
    }
    Ok(out)
}

/// [`blocked_contacts`] for contacts already loaded.
pub async fn blocked_among<'a>(
    app: &App,
    ws: WorkspaceId,
    rows: impl Iterator<Item = &'a Contact> + Clone,
) -> AppResult<HashMap<i64, String>> {
    let emails: Vec<String> = rows.clone().filter_map(|c| c.f.email.clone()).collect();
    let blocked = blocked_addresses(app, ws, &emails).await?;
    let mut out = HashMap::new();
    for c in rows {
        if REFUSED.contains(&c.f.consent_email.as_str()) {
            out.insert(c.id, "email consent refused".to_string());
        } else if let Some(r) =
            c.f.email
                .as_ref()
                .and_then(|e| blocked.get(&e.to_lowercase()))
        {
            out.insert(c.id, r.clone());
        }
    }
    Ok(out)
}
