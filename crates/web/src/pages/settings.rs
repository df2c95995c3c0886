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

// ---------------------------------------------------------------------------------------
// Settings → AI provider and Settings → Scanning

#[derive(Template)]
#[template(path = "settings_ai.html")]
struct AiPage {
    shell: Shell,
    tab: &'static str,
    s: prospector_app::scoring::AiSettingsOut,
    mode: &'static str,
    provider: &'static str,
    base_url: String,
    model: String,
    input_price: String,
    output_price: String,
    budget_input: String,
    spent: String,
    budget: Option<String>,
    usage: prospector_app::scoring::AiUsageOut,
    /// provider, model, calls, cached, input, output, cost
    lines: Vec<(String, String, i64, i64, i64, i64, String)>,
    test: Option<prospector_app::scoring::AiTestOut>,
}

/// "0.15" per million tokens as micro-units; empty is `None`.
fn parse_price(field: &str, label: &str, v: &str) -> Result<Option<i64>, AppError> {
    let t = v.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0 && *x <= 1_000_000.0)
        .map(|x| Some((x * 1_000_000.0).round() as i64))
        .ok_or_else(|| {
            AppError::invalid(
                field,
                format!("{label}: expected an amount like 0.15, got '{}'", v.trim()),
            )
        })
}

/// "5.00" as minor units (cents); empty is `None`.
fn parse_budget(v: &str) -> Result<Option<i64>, AppError> {
    let t = v.trim().trim_start_matches('$').replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0 && *x <= 1e12)
        .map(|x| Some((x * 100.0).round() as i64))
        .ok_or_else(|| {
            AppError::invalid(
                "monthly_budget_minor",
                format!(
                    "Monthly budget: expected an amount like 5.00, got '{}'",
                    v.trim()
                ),
            )
        })
}

fn per_mtok(micros: Option<i64>) -> String {
    micros
        .map(|m| {
            let s = format!("{:.6}", m as f64 / 1_000_000.0);
            let s = s.trim_end_matches('0');
            if s.ends_with('.') {
                format!("{s}00")
            } else {
                s.to_string()
            }
        })
        .unwrap_or_default()
}

async fn ai_page<P: crate::auth::Perm>(
    s: &AppState,
    p: &Page<P>,
    n: &Notice,
    test: Option<prospector_app::scoring::AiTestOut>,
) -> PageResult {
    use prospector_app::scoring as sc;
    let shell = flash(Shell::for_page(&s.app, p, "settings").await?, n);
    let st = sc::ai_settings(&s.app, &p.ctx).await?;
    let usage = sc::ai_usage(&s.app, &p.ctx).await?;
    let minor_money = |m: i64| sc::money(m.saturating_mul(10_000));
    Ok(render(&AiPage {
        shell,
        tab: "ai",
        mode: st.mode.as_str(),
        provider: st
            .provider
            .map(|k| k.as_str())
            .unwrap_or("openai_compatible"),
        base_url: st.base_url.clone().unwrap_or_default(),
        model: st.model.clone().unwrap_or_default(),
        input_price: per_mtok(st.input_micros_per_mtok),
        output_price: per_mtok(st.output_micros_per_mtok),
        budget_input: st
            .monthly_budget_minor
            .map(|b| format!("{}.{:02}", b / 100, b % 100))
            .unwrap_or_default(),
        spent: sc::money(usage.spent_micros),
        budget: usage.monthly_budget_minor.map(minor_money),
        lines: usage
            .lines
            .iter()
            .map(|l| {
                (
                    l.provider.clone(),
                    l.model.clone(),
                    l.calls,
                    l.cached_calls,
                    l.input_tokens,
                    l.output_tokens,
                    sc::money(l.cost_micros),
                )
            })
            .collect(),
        usage,
        s: st,
        test,
    }))
}

pub async fn ai(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    ai_page(&s, &p, &n, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AiForm {
    mode: String,
    provider: String,
    base_url: String,
    model: String,
    api_key: String,
    clear_key: String,
    input_price: String,
    output_price: String,
    budget: String,
}

impl AiForm {
    fn input(&self) -> Result<prospector_app::scoring::AiSettingsInput, AppError> {
        use prospector_app::scoring::{AiMode, AiSettingsInput, ProviderKind};
        let mode = match self.mode.as_str() {
            "" | "global" => AiMode::Global,
            "workspace" => AiMode::Workspace,
            "off" => AiMode::Off,
            o => {
                return Err(AppError::invalid(
                    "mode",
                    format!("Provider: expected global, workspace or off, got '{o}'"),
                ));
            }
        };
        let provider = match self.provider.as_str() {
            "" | "openai_compatible" => ProviderKind::OpenAiCompatible,
            "anthropic" => ProviderKind::Anthropic,
            o => {
                return Err(AppError::invalid(
                    "provider",
                    format!("API: expected openai_compatible or anthropic, got '{o}'"),
                ));
            }
        };
        let input = parse_price("input_micros_per_mtok", "Input price", &self.input_price)?;
        let output = parse_price("output_micros_per_mtok", "Output price", &self.output_price)?;
        let budget = parse_budget(&self.budget)?;
        let api_key = if self.clear_key == "1" {
            Some(String::new())
        } else if self.api_key.trim().is_empty() {
            None
        } else {
            Some(self.api_key.clone())
        };
        Ok(AiSettingsInput {
            mode: Some(mode),
            provider: Some(provider),
            base_url: Some(self.base_url.clone()),
            model: Some(self.model.clone()),
            api_key,
            clear_prices: input.is_none() && output.is_none(),
            input_micros_per_mtok: input,
            output_micros_per_mtok: output,
            clear_budget: budget.is_none(),
            monthly_budget_minor: budget,
        })
    }
}

pub async fn save_ai(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<AiForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/ai", p.ctx.slug);
    let r = match f.input() {
        Ok(i) => prospector_app::scoring::update_ai_settings(&s.app, &p.ctx, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(back_to(&path, Some("AI settings saved."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

pub async fn test_ai(State(s): State<AppState>, p: Page<Manage>) -> PageResult {
    let path = format!("/w/{}/settings/ai", p.ctx.slug);
    match prospector_app::scoring::test_ai(&s.app, &p.ctx).await {
        Ok(t) => ai_page(&s, &p, &Notice::default(), Some(t)).await,
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_scanning.html")]
struct ScanningPage {
    shell: Shell,
    tab: &'static str,
    s: prospector_app::scans::ScanSettings,
}

pub async fn scanning(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "settings").await?, &n);
    let st = prospector_app::scans::scan_settings(&s.app, &p.ctx).await?;
    Ok(render(&ScanningPage {
        shell,
        tab: "scanning",
        s: st,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScanningForm {
    auto_scan_after_import: String,
    auto_verify_after_import: String,
    auto_promote: String,
}

pub async fn save_scanning(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<ScanningForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/scanning", p.ctx.slug);
    let st = prospector_app::scans::ScanSettings {
        auto_scan_after_import: f.auto_scan_after_import == "1",
        auto_verify_after_import: f.auto_verify_after_import == "1",
        auto_promote: f.auto_promote == "1",
    };
    match prospector_app::scans::update_scan_settings(&s.app, &p.ctx, st).await {
        Ok(_) => Ok(back_to(&path, Some("Scanning settings saved."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}

#[derive(Template)]
#[template(path = "settings_messaging.html")]
struct MessagingSettingsPage {
    shell: Shell,
    tab: &'static str,
    q: prospector_app::messaging::quiet_hours::QuietHours,
}

/// WhatsApp and SMS settings: the quiet hours broadcasts keep.
pub async fn messaging(State(s): State<AppState>, p: Page, Query(n): Query<Notice>) -> PageResult {
    let shell = flash(Shell::for_page(&s.app, &p, "settings").await?, &n);
    let q = prospector_app::messaging::quiet_hours::get(&s.app, &p.ctx).await?;
    Ok(render(&MessagingSettingsPage {
        shell,
        tab: "messaging",
        q,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuietHoursForm {
    enabled: String,
    start: String,
    end: String,
}

pub async fn save_messaging(
    State(s): State<AppState>,
    p: Page<Manage>,
    Form(f): Form<QuietHoursForm>,
) -> PageResult {
    let path = format!("/w/{}/settings/messaging", p.ctx.slug);
    let q = prospector_app::messaging::quiet_hours::QuietHours {
        enabled: f.enabled == "1",
        start: f.start,
        end: f.end,
    };
    match prospector_app::messaging::quiet_hours::update(&s.app, &p.ctx, q).await {
        Ok(_) => Ok(back_to(&path, Some("Quiet hours saved."))),
        Err(e) => Ok(with_error(&path, e)),
    }
}
