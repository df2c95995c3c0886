//! Workspaces, members, invitations and API tokens.

use crate::crypto::{random_token, sha256_hex};
use crate::{Actor, App, AppError, AppResult, WsCtx, audit};
use prospector_core::ids::{TokenId, UserId, WorkspaceId};
use prospector_core::role::{Permission, Role};
use prospector_core::slug::slugify;
use prospector_core::time::{DAY, now_ms};
use prospector_store::invitations::{self, Invitation};
use prospector_store::memberships::{self, Member};
use prospector_store::tokens::{self, ApiToken};
use prospector_store::users::{self, User};
use prospector_store::workspaces::{self, Workspace, WorkspaceUpdate};
use prospector_store::{StoreError, audit as audit_store};
use serde_json::json;

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

fn check_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid("name", "the name must not be empty"));
    }
    if n.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "the name is too long (120 characters at most)",
        ));
    }
    Ok(n.to_string())
}

/// Create a workspace owned by `owner`, with a free slug derived from the name.
pub async fn create(app: &App, actor: &Actor, name: &str, owner: &User) -> AppResult<Workspace> {
    let name = check_name(name)?;
    let base = slugify(&name);
    let mut slug = base.clone();
    let mut n = 2;
    while workspaces::slug_exists(app.db(), &slug).await? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    let ws = workspaces::create(app.db(), &slug, &name).await?;
    memberships::upsert(app.db(), ws.wid(), owner.uid(), Role::Owner).await?;
    audit::record(
        app,
        actor,
        Some(ws.wid()),
        "workspace.created",
        "workspace",
        ws.id,
        None,
        Some(json!({"name": name, "slug": slug, "owner": owner.email})),
    )
    .await?;
    Ok(ws)
}

/// Resolve a workspace the user is a member of. Non-members get `NotFound`, exactly as if the
/// workspace did not exist, so slugs cannot be probed.
pub async fn context_for(app: &App, slug: &str, user: &User, actor: Actor) -> AppResult<WsCtx> {
    let ws = workspaces::by_slug(app.db(), slug).await?;
    let role = memberships::role_of(app.db(), ws.wid(), user.uid())
        .await?
        .ok_or(AppError::NotFound)?;
    if ws.suspended && !user.is_admin {
        return Err(AppError::Forbidden(
            "this workspace is suspended; contact the platform administrator".into(),
        ));
    }
    Ok(WsCtx {
        ws: ws.wid(),
        slug: ws.slug,
        name: ws.name,
        role,
        actor,
    })
}

/// The context for an API token (the token names its workspace and user).
pub async fn context_for_token(app: &App, raw: &str, ip: &str) -> AppResult<(WsCtx, User)> {
    let unauthorized = || AppError::Unauthorized("missing, unknown or revoked API token".into());
    if raw.is_empty() || raw.len() > 200 {
        return Err(unauthorized());
    }
    let tok = tokens::by_hash(app.db(), &sha256_hex(raw))
        .await?
        .ok_or_else(unauthorized)?;
    let user = users::get(app.db(), UserId(tok.user_id)).await?;
    if user.disabled {
        return Err(unauthorized());
    }
    let ws = workspaces::get(app.db(), WorkspaceId(tok.workspace_id)).await?;
    let role = memberships::role_of(app.db(), ws.wid(), user.uid())
        .await?
        .ok_or_else(unauthorized)?;
    if ws.suspended {
        return Err(AppError::Forbidden("this workspace is suspended".into()));
    }
    tokens::touch(app.db(), TokenId(tok.id)).await?;
    let ctx = WsCtx {
        ws: ws.wid(),
        slug: ws.slug,
        name: ws.name,
        role,
        actor: Actor {
            user_id: Some(user.uid()),
            label: format!("token:{}", tok.name),
            ip: ip.to_string(),
        },
    };
    Ok((ctx, user))
}

pub async fn get(app: &App, ctx: &WsCtx) -> AppResult<Workspace> {
    Ok(workspaces::get(app.db(), ctx.ws).await?)
}

/// Change name, time zone and default country.
pub async fn update(
    app: &App,
    ctx: &WsCtx,
    name: &str,
    time_zone: &str,
    country: &str,
) -> AppResult<Workspace> {
    ctx.require(Permission::Manage)?;
    let before = workspaces::get(app.db(), ctx.ws).await?;
    let name = check_name(name)?;
    let tz = time_zone.trim();
    if tz.is_empty()
        || tz.len() > 64
        || !tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
    {
        return Err(AppError::invalid(
            "time_zone",
            "time_zone must be an IANA zone such as Europe/Berlin",
        ));
    }
    let cc = country.trim().to_ascii_uppercase();
    if cc.len() != 2 || !cc.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::invalid(
            "default_country",
            "default_country must be a two-letter ISO code such as DE",
        ));
    }
    let after = workspaces::update(
        app.db(),
        ctx.ws,
        &WorkspaceUpdate {
            name,
            time_zone: tz.to_string(),
            default_country: cc,
        },
    )
    .await?;
    audit::record(app, &ctx.actor, Some(ctx.ws), "workspace.updated", "workspace", ctx.ws,
        Some(json!({"name": before.name, "time_zone": before.time_zone, "default_country": before.default_country})),
        Some(json!({"name": after.name, "time_zone": after.time_zone, "default_country": after.default_country}))).await?;
    Ok(after)
}

pub async fn members(app: &App, ctx: &WsCtx) -> AppResult<Vec<Member>> {
    Ok(memberships::list(app.db(), ctx.ws).await?)
}

pub async fn member(app: &App, ctx: &WsCtx, user_id: i64) -> AppResult<Member> {
    Ok(memberships::get(app.db(), ctx.ws, UserId(user_id)).await?)
}

/// Change a member's role. Nobody grants above their own role, and the last owner stays.
pub async fn set_member_role(
    app: &App,
    ctx: &WsCtx,
    user_id: i64,
    role: Role,
) -> AppResult<Member> {
    ctx.require(Permission::Manage)?;
    let m = memberships::get(app.db(), ctx.ws, UserId(user_id)).await?;
    let current: Role = m
        .role
        .parse()
        .map_err(|e: prospector_core::role::UnknownRole| AppError::Internal(e.to_string()))?;
    if !ctx.role.can_grant(role) || !ctx.role.can_grant(current) {
        return Err(AppError::Forbidden(format!(
            "a {} cannot change an {} to {}",
            ctx.role, current, role
        )));
    }
    if current == Role::Owner
        && role != Role::Owner
        && memberships::count_owners(app.db(), ctx.ws).await? <= 1
    {
        return Err(AppError::invalid(
            "role",
            "the workspace must keep at least one owner",
        ));
    }
    memberships::upsert(app.db(), ctx.ws, UserId(user_id), role).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "member.role_changed",
        "user",
        user_id,
        Some(json!({"role": current})),
        Some(json!({"role": role})),
    )
    .await?;
    Ok(memberships::get(app.db(), ctx.ws, UserId(user_id)).await?)
}

/// Remove a member (and revoke their tokens in this workspace).
pub async fn remove_member(app: &App, ctx: &WsCtx, user_id: i64) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    let m = memberships::get(app.db(), ctx.ws, UserId(user_id)).await?;
    let current: Role = m
        .role
        .parse()
        .map_err(|e: prospector_core::role::UnknownRole| AppError::Internal(e.to_string()))?;
    if !ctx.role.can_grant(current) {
        return Err(AppError::Forbidden(format!(
            "a {} cannot remove an {}",
            ctx.role, current
        )));
    }
    if current == Role::Owner && memberships::count_owners(app.db(), ctx.ws).await? <= 1 {
        return Err(AppError::invalid(
            "user_id",
            "the workspace must keep at least one owner",
        ));
    }
    memberships::remove(app.db(), ctx.ws, UserId(user_id)).await?;
    tokens::revoke_for_member(app.db(), ctx.ws, UserId(user_id)).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "member.removed",
        "user",
        user_id,
        Some(json!({"email": m.email, "role": m.role})),
        None,
    )
    .await?;
    Ok(())
}

/// Add an existing user directly (CLI and admin use).
pub async fn add_member(app: &App, ctx: &WsCtx, email: &str, role: Role) -> AppResult<Member> {
    ctx.require(Permission::Manage)?;
    if !ctx.role.can_grant(role) {
        return Err(AppError::Forbidden(format!(
            "a {} cannot grant {}",
            ctx.role, role
        )));
    }
    let email = crate::accounts::normalize_login_email(email)?;
    let user = users::by_email(app.db(), &email).await?.ok_or_else(|| {
        AppError::invalid(
            "email",
            format!("no user with email {email}; invite them instead"),
        )
    })?;
    memberships::upsert(app.db(), ctx.ws, user.uid(), role).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "member.added",
        "user",
        user.id,
        None,
        Some(json!({"email": email, "role": role})),
    )
    .await?;
    Ok(memberships::get(app.db(), ctx.ws, user.uid()).await?)
}

/// A freshly created invitation with its link token (shown once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewInvitation {
    pub invitation: Invitation,
    pub token: String,
    pub url: String,
}

pub async fn invite(app: &App, ctx: &WsCtx, email: &str, role: Role) -> AppResult<NewInvitation> {
    ctx.require(Permission::Manage)?;
    if !ctx.role.can_grant(role) {
        return Err(AppError::Forbidden(format!(
            "a {} cannot invite an {}",
            ctx.role, role
        )));
    }
    let email = crate::accounts::normalize_login_email(email)?;
    let token = random_token(24);
    let inv = invitations::create(
        app.db(),
        ctx.ws,
        &email,
        role.as_str(),
        &sha256_hex(&token),
        ctx.actor.user_id,
        now_ms() + INVITATION_DAYS * DAY,
    )
    .await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "invitation.created",
        "invitation",
        inv.id,
        None,
        Some(json!({"email": email, "role": role})),
    )
    .await?;
    let url = format!("{}/invite/{}", app.config().public_url, token);
    Ok(NewInvitation {
        invitation: inv,
        token,
        url,
    })
}

pub async fn invitations(app: &App, ctx: &WsCtx) -> AppResult<Vec<Invitation>> {
    Ok(invitations::list_open(app.db(), ctx.ws).await?)
}

pub async fn revoke_invitation(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    invitations::revoke(app.db(), ctx.ws, id).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "invitation.revoked",
        "invitation",
        id,
        None,
        None,
    )
    .await?;
    Ok(())
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub workspace: Workspace,
    pub existing_user: bool,
}

/// Look an invitation link up; expired, used or revoked links are `NotFound`-like errors
/// with a clear message.
pub async fn open_invitation(app: &App, token: &str) -> AppResult<InvitationView> {
    let inv = invitations::by_token_hash(app.db(), &sha256_hex(token))
        .await
        .map_err(|_| AppError::BadRequest("this invitation link is not valid".into()))?;
    if inv.accepted_at.is_some() {
        return Err(AppError::BadRequest(
            "this invitation has already been used".into(),
        ));
    }
    if inv.revoked_at.is_some() {
        return Err(AppError::BadRequest("this invitation was withdrawn".into()));
    }
    if inv.expires_at < now_ms() {
        return Err(AppError::BadRequest(
            "this invitation has expired; ask for a new one".into(),
        ));
    }
    let workspace = workspaces::get(app.db(), WorkspaceId(inv.workspace_id)).await?;
    let existing_user = users::by_email(app.db(), &inv.email).await?.is_some();
    Ok(InvitationView {
        invitation: inv,
        workspace,
        existing_user,
    })
}

/// Accept an invitation as `user` (who must have the invited email address).
pub async fn accept_invitation(
    app: &App,
    token: &str,
    user: &User,
    ip: &str,
) -> AppResult<Workspace> {
    let view = open_invitation(app, token).await?;
    if view.invitation.email != user.email {
        return Err(AppError::Forbidden(format!(
            "this invitation is for {}; sign in with that address",
            view.invitation.email
        )));
    }
    let role: Role = view
        .invitation
        .role
        .parse()
        .map_err(|e: prospector_core::role::UnknownRole| AppError::Internal(e.to_string()))?;
    if !invitations::mark_accepted(app.db(), view.workspace.wid(), view.invitation.id).await? {
        return Err(AppError::BadRequest(
            "this invitation has already been used".into(),
        ));
    }
    memberships::upsert(app.db(), view.workspace.wid(), user.uid(), role).await?;
    let actor = Actor {
        user_id: Some(user.uid()),
        label: user.email.clone(),
        ip: ip.to_string(),
    };
    audit::record(
        app,
        &actor,
        Some(view.workspace.wid()),
        "invitation.accepted",
        "invitation",
        view.invitation.id,
        None,
        Some(json!({"email": user.email, "role": role})),
    )
    .await?;
    Ok(view.workspace)
}

/// A new API token; `token` is the secret, shown once and never stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}

/// Create an API token for `user` in this workspace.
pub async fn create_token(app: &App, ctx: &WsCtx, user: UserId, name: &str) -> AppResult<NewToken> {
    ctx.require(Permission::Manage)?;
    let name = check_name(name)?;
    let secret = format!("pk_{}", random_token(32));
    let prefix: String = secret.chars().take(10).collect();
    let info = tokens::create(app.db(), ctx.ws, user, &name, &prefix, &sha256_hex(&secret)).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "token.created",
        "api_token",
        info.id,
        None,
        Some(json!({"name": name, "prefix": prefix, "user_id": user.0})),
    )
    .await?;
    Ok(NewToken {
        info,
        token: secret,
    })
}

pub async fn tokens(app: &App, ctx: &WsCtx) -> AppResult<Vec<ApiToken>> {
    ctx.require(Permission::Manage)?;
    Ok(tokens::list(app.db(), ctx.ws).await?)
}

pub async fn token(app: &App, ctx: &WsCtx, id: i64) -> AppResult<ApiToken> {
    ctx.require(Permission::Manage)?;
    Ok(tokens::get(app.db(), ctx.ws, TokenId(id)).await?)
}

pub async fn revoke_token(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    tokens::revoke(app.db(), ctx.ws, TokenId(id)).await?;
    audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "token.revoked",
        "api_token",
        id,
        None,
        None,
    )
    .await?;
    Ok(())
}

pub async fn audit_log(
    app: &App,
    ctx: &WsCtx,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<audit_store::Entry>> {
    ctx.require(Permission::Manage)?;
    Ok(audit_store::list(app.db(), ctx.ws, before, limit.clamp(1, 200)).await?)
}

/// Platform admin: suspend or reinstate a workspace.
pub async fn set_suspended(
    app: &App,
    actor: &Actor,
    admin: &User,
    ws: WorkspaceId,
    suspended: bool,
) -> AppResult<()> {
    if !admin.is_admin {
        return Err(AppError::Forbidden("platform administrators only".into()));
    }
    workspaces::set_suspended(app.db(), ws, suspended).await?;
    audit::record(
        app,
        actor,
        Some(ws),
        if suspended {
            "workspace.suspended"
        } else {
            "workspace.reinstated"
        },
        "workspace",
        ws,
        None,
        None,
    )
    .await?;
    Ok(())
}

/// Trusted lookup for the CLI, which runs with the machine owner's authority.
pub async fn cli_context(app: &App, slug: &str) -> AppResult<WsCtx> {
    let ws = workspaces::by_slug(app.db(), slug)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::invalid("workspace", format!("no workspace with slug '{slug}'"))
            }
            other => other.into(),
        })?;
    Ok(WsCtx {
        ws: ws.wid(),
        slug: ws.slug,
        name: ws.name,
        role: Role::Owner,
        actor: Actor::cli(),
    })
}
