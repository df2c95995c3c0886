//! The sidebar sections. Each capability replaces its honest empty state here as it lands.

use super::{PageResult, Shell, render};
use crate::AppState;
use crate::auth::Page;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use prospector_app::AppError;
use prospector_app::store::audit::Entry;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    stats: Vec<(&'static str, String)>,
    activity: Vec<Entry>,
}

pub async fn to_dashboard(Path(slug): Path<String>) -> Redirect {
    Redirect::to(&format!("/w/{slug}/dashboard"))
}

pub async fn dashboard(State(s): State<AppState>, p: Page) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "dashboard").await?;
    let members = prospector_app::workspaces::members(&s.app, &p.ctx)
        .await?
        .len();
    let activity = prospector_app::store::audit::list(s.app.db(), p.ctx.ws, None, 10)
        .await
        .map_err(AppError::from)?;
    // Only figures the workspace really has; pipeline figures join as their capabilities land.
    let invitations = prospector_app::workspaces::invitations(&s.app, &p.ctx)
        .await?
        .len();
    let totals = prospector_app::store::contacts::totals(s.app.db(), p.ctx.ws)
        .await
        .map_err(AppError::from)?;
    let n = super::contacts::thousands;
    let stats = vec![
        ("Contacts", n(totals.contacts)),
        ("With email", n(totals.with_email)),
        ("With phone", n(totals.with_phone)),
        ("Leads", n(totals.leads)),
        ("Members", members.to_string()),
        ("Open invitations", invitations.to_string()),
        ("Recent changes", activity.len().to_string()),
    ];
    Ok(render(&Dashboard {
        shell,
        stats,
        activity,
    }))
}

#[derive(Template)]
#[template(path = "empty.html")]
struct Empty {
    shell: Shell,
    title: &'static str,
    headline: &'static str,
    body: &'static str,
    will_hold: Vec<&'static str>,
    status: &'static str,
}

struct Section {
    key: &'static str,
    title: &'static str,
    headline: &'static str,
    body: &'static str,
    will_hold: &'static [&'static str],
}

const PLANNED: &str =
    "This section is being built; it is listed here so you can see where everything will live.";

const EMPTY: &[Section] = &[
    Section {
        key: "campaigns",
        title: "Campaigns",
        headline: "No campaigns yet",
        body: "Campaigns reach contacts in multi-step sequences over email, WhatsApp and SMS.",
        will_hold: &[
            "Sequences with delays, A/B variants and stop-on-reply",
            "Send windows, daily limits and sender rotation",
            "Live counts: sent, delivered, opened, replied",
        ],
    },
    Section {
        key: "discovery",
        title: "Discovery",
        headline: "No discovery searches yet",
        body: "Discovery finds businesses of a given type in a given place, on a schedule.",
        will_hold: &[
            "Searches over OpenStreetMap, Google Places and other sources",
            "Daily or weekly runs with N new businesses each",
        ],
    },
    Section {
        key: "templates",
        title: "Templates",
        headline: "No templates yet",
        body: "Templates are the messages your campaigns send, with variables such as {{first_name|there}}.",
        will_hold: &[
            "Email templates with preview for a chosen contact",
            "WhatsApp templates with their approval status",
        ],
    },
    Section {
        key: "analytics",
        title: "Analytics",
        headline: "Nothing to chart yet",
        body: "Analytics shows how each step of the pipeline performs once data flows in.",
        will_hold: &[
            "Contacts vs leads over time",
            "Campaign reports per step and channel",
            "Funnel and source reports with CSV and PDF export",
        ],
    },
    Section {
        key: "wallet",
        title: "Wallet",
        headline: "No wallet activity yet",
        body: "The wallet records what outreach costs, message by message, in an append-only ledger.",
        will_hold: &[
            "Top-ups and per-message costs per channel",
            "Monthly usage of paid APIs",
        ],
    },
];

pub async fn section(
    State(s): State<AppState>,
    p: Page,
    Path((_, key)): Path<(String, String)>,
) -> PageResult {
    if key == "settings" {
        return Ok(Redirect::to(&format!("/w/{}/settings/profile", p.ctx.slug)).into_response());
    }
    let sec = EMPTY
        .iter()
        .find(|s| s.key == key)
        .ok_or(AppError::NotFound)?;
    let shell = Shell::for_page(&s.app, &p, sec.key).await?;
    Ok(render(&Empty {
        shell,
        title: sec.title,
        headline: sec.headline,
        body: sec.body,
        will_hold: sec.will_hold.to_vec(),
        status: PLANNED,
    }))
}
