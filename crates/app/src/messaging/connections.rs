//! One WhatsApp number and one Twilio sender per workspace: connect (secrets encrypted at
//! rest), test (Graph API `GET /{phone-number-id}`, Twilio account lookup), and the provider
//! built from a stored connection.

use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::sms::{
    SmsProvider, SmsSandbox, TwilioClient, TwilioConfig, TwilioSender, check_e164,
};
use prospector_channels::whatsapp::{
    DEFAULT_API_BASE, DEFAULT_API_VERSION, WhatsAppClient, WhatsAppConfig, WhatsAppProvider,
    WhatsAppSandbox,
};
use prospector_core::role::Permission;
use prospector_store::WorkspaceId;
use prospector_store::messaging::{
    self as store, SmsConnection, SmsConnectionFields, WaConnection, WaConnectionFields,
    WaTestResult,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What connecting a WhatsApp number takes (the CLI flags and the API body).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppInput {
    /// `cloud` (default) or `sandbox` (in memory, nothing leaves the process).
    #[serde(default)]
    pub kind: Option<String>,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    #[serde(default)]
    pub api_base: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
}

/// A connected number as shown (never the secrets).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WhatsAppOut {
    pub id: i64,
    pub kind: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub api_base: String,
    pub api_version: String,
    /// Give Meta this path under the public URL (callback URL), with the verify token.
    pub webhook_path: String,
    pub webhook_url: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit_tier: Option<String>,
    pub daily_limit: Option<i64>,
    pub throughput_mps: i64,
    pub last_tested_at: Option<i64>,
    pub last_error: Option<String>,
}

pub(crate) fn wa_out(app: &App, c: &WaConnection) -> WhatsAppOut {
    let path = format!("/hooks/whatsapp/{}", c.webhook_token);
    WhatsAppOut {
        id: c.id,
        kind: c.kind.clone(),
        phone_number_id: c.phone_number_id.clone(),
        waba_id: c.waba_id.clone(),
        api_base: c.api_base.clone(),
        api_version: c.api_version.clone(),
        webhook_url: public_url(app, &path),
        webhook_path: path,
        display_phone_number: c.display_phone_number.clone(),
        verified_name: c.verified_name.clone(),
        quality_rating: c.quality_rating.clone(),
        messaging_limit_tier: c.messaging_limit_tier.clone(),
        daily_limit: c.daily_limit,
        throughput_mps: c.throughput_mps,
        last_tested_at: c.last_tested_at,
        last_error: c.last_error.clone(),
    }
}

/// `PROSPECTOR_PUBLIC_URL` + `path`: what providers call, and what Twilio signs.
pub fn public_url(app: &App, path: &str) -> String {
    format!("{}{path}", app.config().public_url.trim_end_matches('/'))
}

fn required(field: &str, v: &str) -> AppResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Ok(v.to_string())
}

/// Connect (or reconnect) the workspace's WhatsApp number. The settings are checked the way
/// the client will use them before anything is stored; a reconnect keeps the webhook URL.
pub async fn connect_whatsapp(app: &App, ctx: &WsCtx, i: &WhatsAppInput) -> AppResult<WhatsAppOut> {
    ctx.require(Permission::Manage)?;
    let kind = i.kind.as_deref().unwrap_or("cloud").trim().to_string();
    if kind != "cloud" && kind != "sandbox" {
        return Err(AppError::invalid("kind", "expected cloud or sandbox"));
    }
    let cfg = WhatsAppConfig {
        api_base: i
            .api_base
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
            .to_string(),
        api_version: i
            .api_version
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_API_VERSION)
            .to_string(),
        phone_number_id: required("phone_number_id", &i.phone_number_id)?,
        waba_id: required("waba_id", &i.waba_id)?,
        access_token: required("access_token", &i.access_token)?,
    };
    let app_secret = required("app_secret", &i.app_secret)?;
    let verify_token = required("verify_token", &i.verify_token)?;
    if let Err(e) = WhatsAppClient::new(cfg.clone()) {
        let msg = e.message().to_string();
        let field = if msg.contains("base URL") {
            "api_base"
        } else if msg.contains("version") {
            "api_version"
        } else if msg.contains("phone number id") {
            "phone_number_id"
        } else if msg.contains("Business Account") {
            "waba_id"
        } else {
            "access_token"
        };
        return Err(AppError::invalid(field, msg));
    }
    let existing = store::wa_connection(app.db(), ctx.ws).await?;
    let c = store::set_wa_connection(
        app.db(),
        ctx.ws,
        &WaConnectionFields {
            kind,
            phone_number_id: cfg.phone_number_id.clone(),
            waba_id: cfg.waba_id.clone(),
            access_token: app.keys().encrypt(&cfg.access_token)?,
            app_secret: app.keys().encrypt(&app_secret)?,
            verify_token: app.keys().encrypt(&verify_token)?,
            api_version: cfg.api_version.clone(),
            api_base: cfg.api_base.clone(),
            webhook_token: existing
                .map(|e| e.webhook_token)
                .unwrap_or_else(|| crate::crypto::random_token(24)),
        },
    )
    .await?;
    // The webhook receiver caches connections for a few seconds: the new secret counts now.
    super::hooks::forget_connections(app);
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "whatsapp.connected",
        "wa_connection",
        c.id,
        None,
        Some(json!({"phone_number_id": c.phone_number_id, "waba_id": c.waba_id, "kind": c.kind})),
    )
    .await?;
    tracing::info!(workspace = ctx.ws.0, phone_number_id = %c.phone_number_id, "whatsapp connected");
    Ok(wa_out(app, &c))
}

pub async fn whatsapp(app: &App, ctx: &WsCtx) -> AppResult<Option<WhatsAppOut>> {
    Ok(store::wa_connection(app.db(), ctx.ws)
        .await?
        .map(|c| wa_out(app, &c)))
}

/// The workspace's WhatsApp connection, or a clear 4xx when there is none.
pub(crate) async fn require_wa(app: &App, ws: WorkspaceId) -> AppResult<WaConnection> {
    store::wa_connection(app.db(), ws).await?.ok_or_else(|| {
        AppError::invalid(
            "whatsapp",
            "connect a WhatsApp number first (Settings → WhatsApp, or prospector whatsapp connect)",
        )
    })
}

pub async fn disconnect_whatsapp(app: &App, ctx: &WsCtx) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    if !store::delete_wa_connection(app.db(), ctx.ws).await? {
        return Err(AppError::NotFound);
    }
    super::hooks::forget_connections(app);
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "whatsapp.disconnected",
        "wa_connection",
        0,
        None,
        None,
    )
    .await
}

/// In-memory accounts of sandbox connections, per workspace, for this process.
fn wa_sandboxes() -> &'static Mutex<HashMap<i64, WhatsAppSandbox>> {
    static S: OnceLock<Mutex<HashMap<i64, WhatsAppSandbox>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn sms_sandboxes() -> &'static Mutex<HashMap<i64, SmsSandbox>> {
    static S: OnceLock<Mutex<HashMap<i64, SmsSandbox>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// The sandbox account of a workspace (tests and the demo read what it "sent").
pub fn wa_sandbox(ws: WorkspaceId, c: &WaConnection) -> WhatsAppSandbox {
    let mut m = wa_sandboxes().lock().unwrap_or_else(|e| e.into_inner());
    m.entry(ws.0)
        .or_insert_with(|| WhatsAppSandbox::new(c.phone_number_id.clone(), c.waba_id.clone()))
        .clone()
}

pub fn sms_sandbox(ws: WorkspaceId) -> SmsSandbox {
    let mut m = sms_sandboxes().lock().unwrap_or_else(|e| e.into_inner());
    m.entry(ws.0).or_default().clone()
}

/// The provider for a stored connection (secrets decrypted here, never stored in clear).
pub fn wa_provider(app: &App, c: &WaConnection) -> AppResult<WhatsAppProvider> {
    if c.kind == "sandbox" {
        return Ok(WhatsAppProvider::Sandbox(wa_sandbox(
            WorkspaceId(c.workspace_id),
            c,
        )));
    }
    let client = WhatsAppClient::new(WhatsAppConfig {
        api_base: c.api_base.clone(),
        api_version: c.api_version.clone(),
        phone_number_id: c.phone_number_id.clone(),
        waba_id: c.waba_id.clone(),
        access_token: app.keys().decrypt(&c.access_token)?,
    })
    .map_err(|e| AppError::invalid("whatsapp", e.to_string()))?;
    Ok(WhatsAppProvider::Cloud(client))
}

/// What the test-connection action shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ConnectionTestOut)]
pub struct TestOut {
    pub ok: bool,
    /// One line: name, number, quality, limit (or the error).
    pub summary: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit_tier: Option<String>,
    pub daily_limit: Option<i64>,
}

/// Call the Graph API for the number's display name, quality rating and messaging limit,
/// and keep them (the daily limit drives the dispatcher). A failing call is reported, not
/// an error of this action.
pub async fn test_whatsapp(app: &App, ctx: &WsCtx) -> AppResult<TestOut> {
    ctx.require(Permission::Write)?;
    let c = require_wa(app, ctx.ws).await?;
    let p = wa_provider(app, &c)?;
    match p.phone_number_info().await {
        Ok(info) => {
            let daily = info.daily_limit().and_then(|n| i64::try_from(n).ok());
            let mps = match info.throughput_level.as_deref() {
                Some("HIGH") => Some(1000),
                Some(_) => Some(80),
                None => None,
            };
            store::save_wa_test(
                app.db(),
                ctx.ws,
                &WaTestResult {
                    display_phone_number: info.display_phone_number.clone(),
                    verified_name: info.verified_name.clone(),
                    quality_rating: info.quality_rating.clone(),
                    messaging_limit_tier: info.messaging_limit_tier.clone(),
                    daily_limit: daily,
                    throughput_mps: mps,
                    error: None,
                },
            )
            .await?;
            Ok(TestOut {
                ok: true,
                summary: info.summary(),
                display_phone_number: info.display_phone_number,
                verified_name: info.verified_name,
                quality_rating: info.quality_rating,
                messaging_limit_tier: info.messaging_limit_tier,
                daily_limit: daily,
            })
        }
        Err(e) => {
            let msg = e.to_string();
            store::save_wa_test(
                app.db(),
                ctx.ws,
                &WaTestResult {
                    error: Some(msg.clone()),
                    ..Default::default()
                },
            )
            .await?;
            tracing::warn!(workspace = ctx.ws.0, reason = %e.reason(), "whatsapp test failed");
            Ok(TestOut {
                ok: false,
                summary: msg,
                display_phone_number: None,
                verified_name: None,
                quality_rating: None,
                messaging_limit_tier: None,
                daily_limit: None,
            })
        }
    }
}

/// What connecting a Twilio sender takes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsInput {
    /// `twilio` (default) or `sandbox`.
    #[serde(default)]
    pub kind: Option<String>,
    pub account_sid: String,
    pub auth_token: String,
    /// The sender number (E.164); or give `messaging_service_sid`.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    #[serde(default)]
    pub api_base: Option<String>,
    /// The answer to HELP / INFO.
    #[serde(default)]
    pub help_text: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SmsOut {
    pub id: i64,
    pub kind: String,
    pub account_sid: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub api_base: String,
    /// Sent as `StatusCallback` with every message.
    pub status_callback_path: String,
    /// Configure as the number's "A message comes in" webhook.
    pub inbound_path: String,
    pub status_callback_url: String,
    pub inbound_url: String,
    pub help_text: Option<String>,
    pub last_tested_at: Option<i64>,
    pub last_error: Option<String>,
}

pub(crate) fn sms_out(app: &App, c: &SmsConnection) -> SmsOut {
    let status = format!("/hooks/twilio/{}/status", c.webhook_token);
    let inbound = format!("/hooks/twilio/{}/inbound", c.webhook_token);
    SmsOut {
        id: c.id,
        kind: c.kind.clone(),
        account_sid: c.account_sid.clone(),
        from: c.from_number.clone(),
        messaging_service_sid: c.messaging_service_sid.clone(),
        api_base: c.api_base.clone(),
        status_callback_url: public_url(app, &status),
        inbound_url: public_url(app, &inbound),
        status_callback_path: status,
        inbound_path: inbound,
        help_text: c.help_text.clone(),
        last_tested_at: c.last_tested_at,
        last_error: c.last_error.clone(),
    }
}

fn sender_of(from: Option<&str>, service: Option<&str>) -> AppResult<TwilioSender> {
    match (from, service) {
        (Some(f), None) => {
            check_e164(f).map_err(|e| AppError::invalid("from", e.to_string()))?;
            Ok(TwilioSender::From(f.to_string()))
        }
        (None, Some(s)) => Ok(TwilioSender::MessagingService(s.to_string())),
        (Some(_), Some(_)) => Err(AppError::invalid(
            "from",
            "give a sender number or a Messaging Service SID, not both",
        )),
        (None, None) => Err(AppError::invalid(
            "from",
            "give a sender number (E.164) or a Messaging Service SID",
        )),
    }
}

pub async fn connect_sms(app: &App, ctx: &WsCtx, i: &SmsInput) -> AppResult<SmsOut> {
    ctx.require(Permission::Manage)?;
    let kind = i.kind.as_deref().unwrap_or("twilio").trim().to_string();
    if kind != "twilio" && kind != "sandbox" {
        return Err(AppError::invalid("kind", "expected twilio or sandbox"));
    }
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let from = clean(&i.from);
    let service = clean(&i.messaging_service_sid);
    let sender = sender_of(from.as_deref(), service.as_deref())?;
    let api_base = clean(&i.api_base)
        .unwrap_or_else(|| prospector_channels::sms::DEFAULT_API_BASE.to_string())
        .trim_end_matches('/')
        .to_string();
    let account_sid = required("account_sid", &i.account_sid)?;
    let auth_token = required("auth_token", &i.auth_token)?;
    let mut cfg = TwilioConfig::new(account_sid.clone(), auth_token.clone(), sender);
    cfg.api_base = api_base.clone();
    if let Err(e) = TwilioClient::new(cfg) {
        let msg = e.message().to_string();
        let field = if msg.contains("base URL") {
            "api_base"
        } else if msg.contains("account SID") {
            "account_sid"
        } else if msg.contains("Messaging Service") {
            "messaging_service_sid"
        } else if msg.contains("sender") {
            "from"
        } else {
            "auth_token"
        };
        return Err(AppError::invalid(field, msg));
    }
    let existing = store::sms_connection(app.db(), ctx.ws).await?;
    let c = store::set_sms_connection(
        app.db(),
        ctx.ws,
        &SmsConnectionFields {
            kind,
            account_sid,
            auth_token: app.keys().encrypt(&auth_token)?,
            from_number: from,
            messaging_service_sid: service,
            api_base,
            help_text: clean(&i.help_text),
            webhook_token: existing
                .map(|e| e.webhook_token)
                .unwrap_or_else(|| crate::crypto::random_token(24)),
        },
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sms.connected",
        "sms_connection",
        c.id,
        None,
        Some(json!({"account_sid": c.account_sid, "from": c.from_number, "kind": c.kind})),
    )
    .await?;
    tracing::info!(workspace = ctx.ws.0, account_sid = %c.account_sid, "sms connected");
    Ok(sms_out(app, &c))
}

pub async fn sms(app: &App, ctx: &WsCtx) -> AppResult<Option<SmsOut>> {
    Ok(store::sms_connection(app.db(), ctx.ws)
        .await?
        .map(|c| sms_out(app, &c)))
}

pub(crate) async fn require_sms(app: &App, ws: WorkspaceId) -> AppResult<SmsConnection> {
    store::sms_connection(app.db(), ws).await?.ok_or_else(|| {
        AppError::invalid(
            "sms",
            "connect a Twilio sender first (Settings → SMS, or prospector sms connect)",
        )
    })
}

pub async fn disconnect_sms(app: &App, ctx: &WsCtx) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    if !store::delete_sms_connection(app.db(), ctx.ws).await? {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "sms.disconnected",
        "sms_connection",
        0,
        None,
        None,
    )
    .await
}

pub fn sms_provider(app: &App, c: &SmsConnection) -> AppResult<SmsProvider> {
    if c.kind == "sandbox" {
        return Ok(SmsProvider::Sandbox(sms_sandbox(WorkspaceId(
            c.workspace_id,
        ))));
    }
    let sender = sender_of(c.from_number.as_deref(), c.messaging_service_sid.as_deref())?;
    let mut cfg = TwilioConfig::new(
        c.account_sid.clone(),
        app.keys().decrypt(&c.auth_token)?,
        sender,
    );
    cfg.api_base = c.api_base.clone();
    let client = TwilioClient::new(cfg).map_err(|e| AppError::invalid("sms", e.to_string()))?;
    Ok(SmsProvider::Twilio(client))
}

/// Check the Twilio credentials (account lookup).
pub async fn test_sms(app: &App, ctx: &WsCtx) -> AppResult<TestOut> {
    ctx.require(Permission::Write)?;
    let c = require_sms(app, ctx.ws).await?;
    let p = sms_provider(app, &c)?;
    let (ok, summary) = match p.test_connection().await {
        Ok(s) => (true, s),
        Err(e) => (false, e.to_string()),
    };
    store::save_sms_test(app.db(), ctx.ws, (!ok).then_some(summary.as_str())).await?;
    Ok(TestOut {
        ok,
        summary,
        display_phone_number: c.from_number.clone(),
        verified_name: None,
        quality_rating: None,
        messaging_limit_tier: None,
        daily_limit: None,
    })
}
