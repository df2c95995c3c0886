//! Users, logins and sessions.

use crate::crypto::{hash_password, random_token, sha256_hex, verify_password};
use crate::{Actor, App, AppError, AppResult, audit};
use prospector_core::ids::UserId;
use prospector_core::time::{DAY, now_ms};
use prospector_store::users::{self, User};
use prospector_store::{login_attempts, sessions};

/// Minimum password length; long passphrases beat complexity rules.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Lower-case, trimmed, and plausibly an address.
pub fn normalize_login_email(email: &str) -> AppResult<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(AppError::invalid(
            "email",
            format!("'{}' is not a valid email address", email.trim()),
        ))
    }
}

fn check_password_policy(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(
            "password",
            format!("the password must have at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid(
            "password",
            "the password is too long (1024 bytes at most)",
        ));
    }
    Ok(())
}

/// Create a user. Fails with a conflict naming `email` when it is taken.
pub async fn create_user(
    app: &App,
    actor: &Actor,
    email: &str,
    name: &str,
    password: &str,
    is_admin: bool,
) -> AppResult<User> {
    let email = normalize_login_email(email)?;
    check_password_policy(password)?;
    let hash = hash_password(password)?;
    let user = users::create(app.db(), &email, name.trim(), &hash, is_admin)
        .await
        .map_err(|e| {
            if e.is_conflict_on("email") {
                AppError::Conflict {
                    field: Some("email".into()),
                    message: format!("a user with email {email} already exists"),
                }
            } else {
                e.into()
            }
        })?;
    audit::record(
        app,
        actor,
        None,
        "user.created",
        "user",
        user.id,
        None,
        Some(serde_json::json!({"email": email, "is_admin": is_admin})),
    )
    .await?;
    Ok(user)
}

/// A live session: the user behind a cookie.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub session_hash: String,
}

/// Check credentials under the login rate limit and open a session. Returns the cookie token.
pub async fn login(
    app: &App,
    email: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> AppResult<(User, String)> {
    let email_n = email.trim().to_lowercase();
    let cfg = app.config();
    let since = now_ms() - cfg.login_window_secs * 1000;
    let (by_email, by_ip) = login_attempts::recent_failures(app.db(), &email_n, ip, since).await?;
    if by_email >= cfg.login_max_failures_per_email || by_ip >= cfg.login_max_failures_per_ip {
        tracing::warn!(email = %email_n, ip, "login rate limited");
        return Err(AppError::RateLimited(format!(
            "too many failed sign-in attempts; try again in {} minutes",
            (cfg.login_window_secs / 60).max(1)
        )));
    }
    let user = users::by_email(app.db(), &email_n).await?;
    // Verify against a dummy hash when the user does not exist, so timing does not reveal it.
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash) && !u.disabled,
        None => {
            let _ = verify_password(password, DUMMY_HASH);
            false
        }
    };
    login_attempts::record(app.db(), &email_n, ip, ok).await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => return Err(AppError::Unauthorized("wrong email or password".into())),
    };
    let token = random_token(32);
    let expires = now_ms() + cfg.session_days * DAY;
    let ua: String = user_agent.chars().take(300).collect();
    sessions::create(app.db(), &sha256_hex(&token), user.uid(), expires, &ua, ip).await?;
    users::touch_login(app.db(), user.uid()).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok((user, token))
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2b1gqHSPkRPd2D+hLxX3xZOl6Q4u0Sy+3v3rP0ZV6bA";

/// Resolve a session cookie token to its user, sliding the expiry forward.
pub async fn session_user(app: &App, token: &str) -> AppResult<Option<SessionUser>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = sha256_hex(token);
    let Some(s) = sessions::get_live(app.db(), &hash).await? else {
        return Ok(None);
    };
    let user = match users::get(app.db(), UserId(s.user_id)).await {
        Ok(u) if !u.disabled => u,
        Ok(_) | Err(prospector_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let now = now_ms();
    if now - s.last_seen_at > 60_000 {
        sessions::touch(app.db(), &hash, now + app.config().session_days * DAY).await?;
    }
    Ok(Some(SessionUser {
        user,
        session_hash: hash,
    }))
}

pub async fn logout(app: &App, token: &str) -> AppResult<()> {
    sessions::delete(app.db(), &sha256_hex(token)).await?;
    Ok(())
}

/// Change one's own password, checking the current one; ends every other session.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    user: &User,
    current: &str,
    new: &str,
) -> AppResult<()> {
    if !verify_password(current, &user.password_hash) {
        return Err(AppError::invalid(
            "current_password",
            "the current password is wrong",
        ));
    }
    check_password_policy(new)?;
    users::set_password(app.db(), user.uid(), &hash_password(new)?).await?;
    sessions::delete_for_user(app.db(), user.uid()).await?;
    audit::record(
        app,
        actor,
        None,
        "user.password_changed",
        "user",
        user.id,
        None,
        None,
    )
    .await?;
    Ok(())
}

pub async fn update_profile(app: &App, actor: &Actor, user: &User, name: &str) -> AppResult<()> {
    let name = name.trim();
    if name.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "the name is too long (120 characters at most)",
        ));
    }
    users::set_name(app.db(), user.uid(), name).await?;
    audit::record(
        app,
        actor,
        None,
        "user.profile_updated",
        "user",
        user.id,
        Some(serde_json::json!({"name": user.name})),
        Some(serde_json::json!({"name": name})),
    )
    .await?;
    Ok(())
}
