//! Settings: profile and workspace, members and invitations, API tokens, jobs, audit log.

use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Manage, Page, Write};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use prospector_app::core::role::Role;
use prospector_app::store::audit::Entry;
use prospector_app::store::invitations::Invitation;
use prospector_app::store::jobs::Job;
use prospector_app::store::memberships::Member;
use prospector_app::store::tokens::ApiToken;
use prospector_app::store::workspaces::Workspace;
use prospector_app::{AppError, accounts, workspaces};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
    error: Option<String>,
}

fn flash(shell: Shell, n: &Notice) -> Shell {
    match (&n.notice, &n.error) {
        (_, Some(e)) => shell.with_flash("error", e.clone()),
        (Some(t), None) => shell.with_flash("success", t.clone()),
        _ => shell,
    }
}

pub async fn to_profile(Path(slug): Path<String>) -> Redirect {
    Redirect::to(&format!("/w/{slug}/settings/profile"))
}

#[derive(Template)]
#[template(path = "settings_profile.html")]
struct Profile {
    shell: Shell,
    tab: &'static str,
    ws: Workspace,
}

pub async fn profile(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "settings").await?, &n);
    let ws = workspaces::get(&s.app, &p.ctx).await?;
    Ok(render(&Profile {
        shell,
        tab: "profile",
        ws,
    }))
}

/// A form error shown on the page it came from, keeping the user where they were.
fn with_error(path: &str, e: AppError) -> axum::response::Response {
    if matches!(
        e,
        AppError::Internal(_) | AppError::Unavailable(_) | AppError::NotFound
    ) {
        return super::app_error_page(e);
    }
    let status = crate::error::status_of(&e);
    let msg = crate::error::public_message(&e);
    let mut resp = Redirect::to(&format!(
        "{path}?error={}",
        form_urlencoded::byte_serialize(msg.as_bytes()).collect::<String>()
    ))
    .into_response();
    // Forbidden stays a 403 for clients that look at statuses (and for the tests).
    if status == axum::http::StatusCode::FORBIDDEN {
        *resp.status_mut() = status;
    }
    resp
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
}

pub async fn save_profile(
    State(s): State<AppState>,
    p: Page,
    Form(f): Form<ProfileForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/profile", p.ctx.slug);
    match accounts::update_profile(&s.app, &p.me.actor, &p.me.user, &f.name).await {
        Ok(()) => Ok(back_to(&path, Some("Profile saved."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    p: Page,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    match accounts::change_password(
        &s.app,
        &p.me.actor,
        &p.me.user,
        &f.current_password,
        &f.new_password,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/login?next=/").into_response()),
        Err(e) => Ok(with_error(
            &format!("/w/{}/settings/profile", p.ctx.slug),
            e,
        )),
    }
}

#[derive(Deserialize)]
pub struct WorkspaceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    default_country: String,
}

pub async fn save_workspace(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<WorkspaceForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/profile", p.ctx.slug);
    match workspaces::update(&s.app, &p.ctx, &f.name, &f.time_zone, &f.default_country).await {
        Ok(_) => Ok(back_to(&path, Some("Workspace saved."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_members.html")]
struct Members {
    shell: Shell,
    tab: &'static str,
    members: Vec<Member>,
    invitations: Vec<Invitation>,
    roles: Vec<&'static str>,
    new_link: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MembersQuery {
    notice: Option<String>,
    error: Option<String>,
    link: Option<String>,
}

pub async fn members(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<MembersQuery>,
) -> PageResult {
    let shell = flash(
        Shell::for_page(&s.app, &p, "settings").await?,
        &Notice {
            notice: q.notice,
            error: q.error,
        },
    );
    let members = workspaces::members(&s.app, &p.ctx).await?;
    let invitations = if shell.can_manage {
        workspaces::invitations(&s.app, &p.ctx).await?
    } else {
        vec![]
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| p.ctx.role.can_grant(**r))
        .map(|r| r.as_str())
        .collect();
    Ok(render(&Members {
        shell,
        tab: "members",
        members,
        invitations,
        roles,
        new_link: q.link,
    }))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, user_id)): Path<(String, i64)>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/members", p.ctx.slug);
    let role: Role = match f.role.parse() {
        Ok(r) => r,
        Err(e) => return Ok(with_error(&path, AppError::invalid("role", format!("{e}")))),
    };
    match workspaces::set_member_role(&s.app, &p.ctx, user_id, role).await {
        Ok(m) => Ok(back_to(
            &path,
            Some(&format!("{} is now {}.", m.email, m.role)),
        )),
        Err(e) => Ok(with_error(&path, e)),
    }
}

pub async fn remove_member(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, user_id)): Path<(String, i64)>,
) -> PageResult {
    let path = format!("/w/{}/settings/members", p.ctx.slug);
    match workspaces::remove_member(&s.app, &p.ctx, user_id).await {
        Ok(()) => Ok(back_to(&path, Some("Member removed."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/members", p.ctx.slug);
    let role: Role = match f.role.parse() {
        Ok(r) => r,
        Err(e) => return Ok(with_error(&path, AppError::invalid("role", format!("{e}")))),
    };
    match workspaces::invite(&s.app, &p.ctx, &f.email, role).await {
        Ok(inv) => Ok(Redirect::to(&format!(
            "{path}?link={}",
            form_urlencoded::byte_serialize(inv.url.as_bytes()).collect::<String>()
        ))
        .into_response()),
        Err(e) => Ok(with_error(&path, e)),
    }
}

pub async fn revoke_invitation(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let path = format!("/w/{}/settings/members", p.ctx.slug);
    match workspaces::revoke_invitation(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(back_to(&path, Some("Invitation withdrawn."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_tokens.html")]
struct Tokens {
    shell: Shell,
    tab: &'static str,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
}

pub async fn tokens(
    State(s): State<AppState>,
    p: Page<Manage>,
    Query(n): Query<Notice>,
) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "settings").await?, &n);
    let tokens = workspaces::tokens(&s.app, &p.ctx).await?;
    Ok(render(&Tokens {
        shell,
        tab: "tokens",
        tokens,
        new_token: None,
    }))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Creating a token renders the page directly (not a redirect), so the secret never appears
/// in a URL or the browser history.
pub async fn create_token(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/tokens", p.ctx.slug);
    match workspaces::create_token(&s.app, &p.ctx, p.me.user.uid(), &f.name).await {
        Ok(t) => {
            let shell = Shell::for_page(&s.app, &p, "settings").await?;
            let tokens = workspaces::tokens(&s.app, &p.ctx).await?;
            Ok(render(&Tokens {
                shell,
                tab: "tokens",
                tokens,
                new_token: Some(t.token),
            }))
        }
        Err(e) => Ok(with_error(&path, e)),
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    p: Page<Manage>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let path = format!("/w/{}/settings/tokens", p.ctx.slug);
    match workspaces::revoke_token(&s.app, &p.ctx, id).await {
        Ok(()) => Ok(back_to(&path, Some("Token revoked."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_jobs.html")]
struct Jobs {
    shell: Shell,
    tab: &'static str,
    jobs: Vec<Job>,
    states: Vec<&'static str>,
    state: String,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct JobsQuery {
    state: Option<String>,
    before: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn jobs(State(s): State<AppState>, p: Page, Query(q): Query<JobsQuery>) -> PageResult {
    let shell = flash(
        Shell::for_page(&s.app, &p, "settings").await?,
        &Notice {
            notice: q.notice,
            error: q.error,
        },
    );
    let state = q.state.unwrap_or_default();
    let limit = 50;
    let jobs = prospector_app::jobs::list(&s.app, &p.ctx, Some(&state), q.before, limit).await?;
    let next_before = if jobs.len() as i64 == limit {
        jobs.last().map(|j| j.id)
    } else {
        None
    };
    Ok(render(&Jobs {
        shell,
        tab: "jobs",
        jobs,
        states: vec!["", "queued", "running", "succeeded", "dead", "cancelled"],
        state,
        next_before,
    }))
}

pub async fn retry_job(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let path = format!("/w/{}/settings/jobs", p.ctx.slug);
    match prospector_app::jobs::retry(&s.app, &p.ctx, id).await {
        Ok(_) => Ok(back_to(&path, Some("Job queued again."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_audit.html")]
struct Audit {
    shell: Shell,
    tab: &'static str,
    entries: Vec<Entry>,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(s): State<AppState>,
    p: Page<Manage>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let shell = Shell::for_page(&s.app, &p, "settings").await?;
    let limit = 50;
    let entries = workspaces::audit_log(&s.app, &p.ctx, q.before, limit).await?;
    let next_before = if entries.len() as i64 == limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(render(&Audit {
        shell,
        tab: "audit",
        entries,
        next_before,
    }))
}
