//! Sending accounts: SMTP servers and the SendGrid and Resend APIs (plus a sandbox for demos),
//! with their daily limit, warm-up ramp, signature, DKIM key and health. Secrets (the SMTP URL
//! with its password, API keys, the DKIM private key) are encrypted at rest; the stored
//! `config` keeps only what can be shown. Transports are built once per sender and cached, so
//! an SMTP sender keeps its connection pool between batches.

use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::email::{
    self as email, DkimSigner, EmailTransport, ResendSender, SandboxSender, SendGridSender,
    SmtpConfig, SmtpSender,
};
use prospector_core::normalize::Email;
use prospector_core::outreach::{WarmupRamp, local_days_between, warmup_limit};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::SenderId;
use prospector_store::senders::{self as store, Sender, SenderFields};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// Consecutive failed sends after which a sender is paused automatically.
pub const PAUSE_AFTER_FAILURES: i64 = 5;
/// Sender kinds.
pub const KINDS: &[&str] = &["smtp", "sendgrid", "resend", "sandbox"];

/// What a member gives to create or change a sender.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderInput {
    pub name: String,
    /// smtp, sendgrid, resend or sandbox.
    #[serde(default = "default_kind")]
    pub kind: String,
    pub from_email: String,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// `smtp://[user:pass@]host:port[?tls=none|starttls|tls]` (kind smtp). Left out on an
    /// update, the stored one is kept.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The API key (kinds sendgrid and resend). Left out on an update, the stored one is kept.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Another API base URL (a regional endpoint, or a stand-in in tests).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Messages per day once warmed up (default 50).
    #[serde(default)]
    pub daily_limit: Option<i64>,
    /// Messages on the first day of the warm-up ramp; none means no ramp.
    #[serde(default)]
    pub warmup_start: Option<i64>,
    /// Extra messages per day during the ramp (default 5).
    #[serde(default)]
    pub warmup_increment: Option<i64>,
    /// Appended to every message (plain text; available as `{{sender.signature}}`).
    #[serde(default)]
    pub signature: Option<String>,
}

fn default_kind() -> String {
    "smtp".into()
}

/// A sender as the API and pages show it (no secrets).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SenderOut {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub from_email: String,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    /// SMTP server with the password hidden, or the API base URL.
    pub server: Option<String>,
    pub daily_limit: i64,
    /// Today's limit, with the warm-up ramp applied.
    pub limit_today: i64,
    pub sent_today: i64,
    pub warmup_start: Option<i64>,
    pub warmup_increment: i64,
    pub signature: Option<String>,
    /// active or paused.
    pub state: String,
    pub paused_reason: Option<String>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub last_used_at: Option<i64>,
    pub dkim: Option<DkimRecord>,
    pub created_at: i64,
}

/// The DNS record a user publishes for DKIM.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DkimRecord {
    pub domain: String,
    pub selector: String,
    /// TXT record name: `{selector}._domainkey.{domain}`.
    pub name: String,
    /// TXT record value: `v=DKIM1; k=rsa; p=...`.
    pub value: String,
}

/// Built transports by sender id, rebuilt when the sender row changes.
#[derive(Default)]
pub struct TransportCache {
    map: Mutex<HashMap<i64, (u64, EmailTransport)>>,
    /// One sandbox per sender id, kept across rebuilds so its record survives an edit.
    sandboxes: Mutex<HashMap<i64, SandboxSender>>,
}

impl TransportCache {
    /// The sandbox of a sender (tests and the demo read what was "sent").
    pub fn sandbox(&self, id: i64) -> SandboxSender {
        let mut m = self.sandboxes.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(id).or_default().clone()
    }
}

fn validate(app: &App, input: &SenderInput, existing: Option<&Sender>) -> AppResult<SenderFields> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "a name of 1 to 100 characters"));
    }
    if !KINDS.contains(&input.kind.as_str()) {
        return Err(AppError::invalid(
            "kind",
            format!(
                "\"{}\" is not a sender kind; use {}",
                input.kind,
                KINDS.join(", ")
            ),
        ));
    }
    let from = Email::parse(&input.from_email)
        .map_err(|e| AppError::invalid("from_email", e.to_string()))?;
    let reply_to = match input
        .reply_to
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(r) => Some(
            Email::parse(r)
                .map_err(|e| AppError::invalid("reply_to", e.to_string()))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let daily_limit = input.daily_limit.unwrap_or(50);
    if !(1..=100_000).contains(&daily_limit) {
        return Err(AppError::invalid(
            "daily_limit",
            "from 1 to 100000 messages a day",
        ));
    }
    if input
        .warmup_start
        .is_some_and(|w| !(1..=daily_limit).contains(&w))
    {
        return Err(AppError::invalid(
            "warmup_start",
            "from 1 to the daily limit",
        ));
    }
    let warmup_increment = input.warmup_increment.unwrap_or(5);
    if !(1..=10_000).contains(&warmup_increment) {
        return Err(AppError::invalid("warmup_increment", "from 1 to 10000"));
    }
    let mut f = SenderFields::new(name, &input.kind, from.as_str(), daily_limit);
    f.from_name = input
        .from_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    f.reply_to = reply_to;
    f.warmup_start = input.warmup_start;
    f.warmup_increment = warmup_increment;
    f.warmup_started_at = existing
        .and_then(|e| e.f.warmup_started_at)
        .or_else(|| input.warmup_start.map(|_| now_ms()));
    f.signature = input
        .signature
        .as_deref()
        .map(str::trim_end)
        .filter(|s| !s.is_empty())
        .map(String::from);
    if let Some(e) = existing {
        f.dkim_selector = e.f.dkim_selector.clone();
        f.dkim_private_key = e.f.dkim_private_key.clone();
        f.dkim_domain = e.f.dkim_domain.clone();
    }
    let keep_secret = existing
        .filter(|e| e.f.kind == input.kind)
        .and_then(|e| e.f.secret.clone());
    match input.kind.as_str() {
        "smtp" => {
            let (config, secret) = match input.smtp_url.as_deref().map(str::trim) {
                Some(url) if !url.is_empty() => {
                    let c = SmtpConfig::from_url(url)
                        .map_err(|e| AppError::invalid("smtp_url", e.to_string()))?;
                    (
                        json!({"server": c.redacted_url(), "host": c.host, "port": c.port,
                               "tls": c.tls.as_str()}),
                        Some(app.keys().encrypt(url)?),
                    )
                }
                _ => match (existing, keep_secret) {
                    (Some(e), Some(s)) => (
                        serde_json::from_str(&e.f.config).unwrap_or_else(|_| json!({})),
                        Some(s),
                    ),
                    _ => {
                        return Err(AppError::invalid(
                            "smtp_url",
                            "an SMTP sender needs smtp://[user:pass@]host:port[?tls=none|starttls|tls]",
                        ));
                    }
                },
            };
            f.config = config.to_string();
            f.secret = secret;
        }
        "sendgrid" | "resend" => {
            let secret = match input.api_key.as_deref().map(str::trim) {
                Some(k) if !k.is_empty() => Some(app.keys().encrypt(k)?),
                _ => keep_secret,
            };
            if secret.is_none() {
                return Err(AppError::invalid("api_key", "this sender needs an API key"));
            }
            let default = if input.kind == "sendgrid" {
                email::sendgrid::DEFAULT_BASE_URL
            } else {
                email::resend::DEFAULT_BASE_URL
            };
            let base = input
                .base_url
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(default);
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                return Err(AppError::invalid("base_url", "an http(s) URL"));
            }
            f.config = json!({"server": base, "base_url": base}).to_string();
            f.secret = secret;
        }
        _ => {
            f.config = json!({"server": "sandbox (nothing leaves this machine)"}).to_string();
        }
    }
    Ok(f)
}

/// Today's limit of a sender: the daily limit, or the warm-up ramp's value for today.
pub fn limit_today(s: &Sender, now: i64) -> i64 {
    match (s.f.warmup_start, s.f.warmup_started_at) {
        (Some(start), Some(since)) => {
            let day = local_days_between(since, now, &prospector_core::outreach::Zone::utc());
            let ramp = WarmupRamp {
                start: u32::try_from(start).unwrap_or(u32::MAX),
                increment: u32::try_from(s.f.warmup_increment).unwrap_or(u32::MAX),
            };
            i64::from(warmup_limit(
                u32::try_from(day.max(0)).unwrap_or(u32::MAX),
                u32::try_from(s.f.daily_limit).unwrap_or(u32::MAX),
                ramp,
            ))
        }
        _ => s.f.daily_limit,
    }
}

/// Start of the current UTC day; daily limits count from it.
pub fn day_start(now: i64) -> i64 {
    prospector_core::outreach::local_day_start_ms(now, &prospector_core::outreach::Zone::utc())
}

async fn out(app: &App, ws: prospector_store::WorkspaceId, s: Sender) -> AppResult<SenderOut> {
    let now = now_ms();
    let sent_today = store::sent_since(app.db(), ws, SenderId(s.id), day_start(now)).await?;
    Ok(to_out(app, s, sent_today, now))
}

fn to_out(app: &App, s: Sender, sent_today: i64, now: i64) -> SenderOut {
    let cfg: serde_json::Value = serde_json::from_str(&s.f.config).unwrap_or_default();
    let dkim = match (&s.f.dkim_domain, &s.f.dkim_selector, &s.f.dkim_private_key) {
        (Some(d), Some(sel), Some(k)) => app
            .keys()
            .decrypt(k)
            .ok()
            .and_then(|pem| email::dkim::dns_value(&pem).ok())
            .map(|value| DkimRecord {
                domain: d.clone(),
                selector: sel.clone(),
                name: email::dkim::dns_name(sel, d),
                value,
            }),
        _ => None,
    };
    SenderOut {
        id: s.id,
        limit_today: limit_today(&s, now),
        sent_today,
        name: s.f.name,
        kind: s.f.kind,
        from_email: s.f.from_email,
        from_name: s.f.from_name,
        reply_to: s.f.reply_to,
        server: cfg.get("server").and_then(|v| v.as_str()).map(String::from),
        daily_limit: s.f.daily_limit,
        warmup_start: s.f.warmup_start,
        warmup_increment: s.f.warmup_increment,
        signature: s.f.signature,
        state: s.state,
        paused_reason: s.paused_reason,
        consecutive_failures: s.consecutive_failures,
        last_error: s.last_error,
        last_used_at: s.last_used_at,
        dkim,
        created_at: s.created_at,
    }
}

/// Every sender of the workspace with today's counts.
pub async fn list(app: &App, ctx: &WsCtx) -> AppResult<Vec<SenderOut>> {
    let now = now_ms();
    let counts: HashMap<i64, i64> = store::sent_since_by_sender(app.db(), ctx.ws, day_start(now))
        .await?
        .into_iter()
        .map(|(id, n)| (id.0, n))
        .collect();
    Ok(store::list(app.db(), ctx.ws)
        .await?
        .into_iter()
        .map(|s| {
            let n = counts.get(&s.id).copied().unwrap_or(0);
            to_out(app, s, n, now)
        })
        .collect())
}

pub async fn get(app: &App, ctx: &WsCtx, id: i64) -> AppResult<SenderOut> {
    let s = store::get(app.db(), ctx.ws, SenderId(id)).await?;
    out(app, ctx.ws, s).await
}

/// Find a sender by name (the CLI and campaign files name senders).
pub async fn by_name(app: &App, ctx: &WsCtx, name: &str) -> AppResult<Sender> {
    store::get_by_name(app.db(), ctx.ws, name.trim())
        .await
        .map_err(|e| match e {
            prospector_store::StoreError::NotFound => {
                AppError::invalid("senders", format!("there is no sender named \"{name}\""))
            }
            other => other.into(),
        })
}

pub async fn create(app: &App, ctx: &WsCtx, input: &SenderInput) -> AppResult<SenderOut> {
    ctx.require(Permission::Manage)?;
    let f = validate(app, input, None)?;
    let s = store::insert(app.db(), ctx.ws, &f).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sender.created",
        "sender",
        s.id,
        None,
        Some(json!({"name": s.f.name, "kind": s.f.kind, "from": s.f.from_email})),
    )
    .await?;
    out(app, ctx.ws, s).await
}

pub async fn update(app: &App, ctx: &WsCtx, id: i64, input: &SenderInput) -> AppResult<SenderOut> {
    ctx.require(Permission::Manage)?;
    let old = store::get(app.db(), ctx.ws, SenderId(id)).await?;
    let f = validate(app, input, Some(&old))?;
    let s = store::update(app.db(), ctx.ws, SenderId(id), &f).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sender.updated",
        "sender",
        s.id,
        None,
        Some(json!({"name": s.f.name})),
    )
    .await?;
    out(app, ctx.ws, s).await
}

pub async fn delete(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    if !store::delete(app.db(), ctx.ws, SenderId(id)).await? {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sender.deleted",
        "sender",
        id,
        None,
        None,
    )
    .await
}

/// Pause or resume by hand.
pub async fn set_paused(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    paused: bool,
    reason: Option<&str>,
) -> AppResult<SenderOut> {
    ctx.require(Permission::Write)?;
    let state = if paused { store::PAUSED } else { store::ACTIVE };
    let reason = paused.then(|| reason.unwrap_or("paused by a member"));
    store::set_state(app.db(), ctx.ws, SenderId(id), state, reason).await?;
    get(app, ctx, id).await
}

/// Generate (or replace) the sender's DKIM key for its From domain; returns the DNS record.
pub async fn generate_dkim(
    app: &App,
    ctx: &WsCtx,
    id: i64,
    selector: Option<&str>,
) -> AppResult<DkimRecord> {
    ctx.require(Permission::Manage)?;
    let s = store::get(app.db(), ctx.ws, SenderId(id)).await?;
    let domain =
        s.f.from_email
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .ok_or_else(|| AppError::invalid("from_email", "no domain"))?;
    let selector = selector
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("prospector")
        .to_string();
    let key = tokio::task::spawn_blocking({
        let domain = domain.clone();
        let selector = selector.clone();
        move || email::dkim::generate_key(&domain, &selector)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::invalid("dkim", e.to_string()))?;
    let mut f = s.f.clone();
    f.dkim_domain = Some(key.domain.clone());
    f.dkim_selector = Some(key.selector.clone());
    f.dkim_private_key = Some(app.keys().encrypt(&key.private_key_pem)?);
    store::update(app.db(), ctx.ws, SenderId(id), &f).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sender.dkim_generated",
        "sender",
        id,
        None,
        Some(json!({"domain": key.domain, "selector": key.selector})),
    )
    .await?;
    Ok(DkimRecord {
        domain: key.domain,
        selector: key.selector,
        name: key.dns_name,
        value: key.dns_value,
    })
}

/// The transport for a stored sender, built once and reused while the row is unchanged.
pub fn transport(app: &App, s: &Sender) -> AppResult<EmailTransport> {
    let cache = app.transports();
    {
        let m = cache.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((fp, t)) = m.get(&s.id)
            && *fp == fingerprint(s)
        {
            return Ok(t.clone());
        }
    }
    let t = build_transport(app, s)?;
    let mut m = cache.map.lock().unwrap_or_else(|e| e.into_inner());
    m.insert(s.id, (fingerprint(s), t.clone()));
    Ok(t)
}

/// What the transport is built from (not `updated_at`, which moves with every send).
fn fingerprint(s: &Sender) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &s.f.kind,
        &s.f.config,
        &s.f.secret,
        &s.f.dkim_domain,
        &s.f.dkim_selector,
        &s.f.dkim_private_key,
    )
        .hash(&mut h);
    h.finish()
}

fn build_transport(app: &App, s: &Sender) -> AppResult<EmailTransport> {
    let secret = || -> AppResult<String> {
        let stored =
            s.f.secret
                .as_deref()
                .ok_or_else(|| AppError::invalid("secret", "the sender has no credentials"))?;
        app.keys().decrypt(stored)
    };
    let cfg: serde_json::Value = serde_json::from_str(&s.f.config).unwrap_or_default();
    let base = cfg.get("base_url").and_then(|v| v.as_str());
    let bad = |e: email::SendError| AppError::invalid("sender", e.to_string());
    Ok(match s.f.kind.as_str() {
        "smtp" => {
            let url = secret()?;
            let config = SmtpConfig::from_url(&url)
                .map_err(|e| AppError::invalid("smtp_url", e.to_string()))?;
            let dkim = match (&s.f.dkim_domain, &s.f.dkim_selector, &s.f.dkim_private_key) {
                (Some(d), Some(sel), Some(k)) => Some(
                    DkimSigner::new(d, sel, &app.keys().decrypt(k)?)
                        .map_err(|e| AppError::invalid("dkim", e.to_string()))?,
                ),
                _ => None,
            };
            EmailTransport::smtp(SmtpSender::new(config), dkim)
        }
        "sendgrid" => EmailTransport::SendGrid(SendGridSender::new(&secret()?, base).map_err(bad)?),
        "resend" => EmailTransport::Resend(ResendSender::new(&secret()?, base).map_err(bad)?),
        _ => EmailTransport::Sandbox(app.transports().sandbox(s.id)),
    })
}

/// Connect to the provider and report what it said (the "test connection" action).
pub async fn test_connection(app: &App, ctx: &WsCtx, id: i64) -> AppResult<String> {
    ctx.require(Permission::Write)?;
    let s = store::get(app.db(), ctx.ws, SenderId(id)).await?;
    let t = transport(app, &s)?;
    match t.test_connection().await {
        Ok(report) => Ok(report),
        Err(e) => {
            store::record_failure(app.db(), ctx.ws, SenderId(id), &e.to_string(), now_ms()).await?;
            Err(AppError::BadRequest(format!(
                "the connection test failed: {e}"
            )))
        }
    }
}
