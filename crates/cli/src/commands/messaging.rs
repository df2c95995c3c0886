//! `prospector whatsapp ...` and `prospector sms ...`: connect the workspace's WhatsApp
//! number and Twilio sender, manage templates, send, broadcast, and read the message log and
//! costs. Every command prints JSON on stdout (one object, or one per line for lists).
//! Sends go through the outbox exactly like the worker's: the command queues the message,
//! runs one dispatch round and prints the outcome.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use prospector_app::messaging::broadcasts::{self, Audience, BroadcastInput};
use prospector_app::messaging::connections::{self, SmsInput, WhatsAppInput};
use prospector_app::messaging::send::{
    self, MediaSendInput, SmsSendInput, TemplateSendInput, TextSendInput,
};
use prospector_app::messaging::templates::{self, TemplateInput};
use prospector_app::messaging::{costs, hooks};
use prospector_app::{App, Config, workspaces};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum WhatsAppCmd {
    /// Connect (or reconnect) the workspace's WhatsApp Business number; prints the webhook
    /// path to give Meta with the verify token.
    Connect(ConnectArgs),
    /// Call the Graph API: display name, quality rating, messaging limit.
    Test {
        #[arg(long)]
        workspace: String,
    },
    /// Send one approved template message (syncs the account's templates first when the
    /// template is not known here) and print the message.
    SendTemplate(SendTemplateArgs),
    /// Send free text (inside the 24-hour window; outside it the fallback template, or the
    /// message is skipped with the reason).
    SendText(SendTextArgs),
    /// Send an image, document, video or audio by public link (inside the 24-hour window;
    /// outside it the fallback template, or the message is skipped with the reason).
    SendMedia(SendMediaArgs),
    /// Manage templates.
    #[command(subcommand)]
    Templates(TemplatesCmd),
    /// Send an approved template to every contact with a tag.
    Broadcast(BroadcastArgs),
    /// Apply the stored WhatsApp and Twilio webhook events now (the worker does this too).
    ProcessWebhooks,
    /// The message log (WhatsApp and SMS), one JSON object per line.
    Log {
        #[arg(long)]
        workspace: String,
        /// whatsapp or sms.
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Cost totals and the latest ledger entries.
    Costs {
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub phone_number_id: String,
    #[arg(long)]
    pub waba_id: String,
    #[arg(long, env = "PROSPECTOR_WHATSAPP_TOKEN", hide_env_values = true)]
    pub access_token: String,
    #[arg(long, env = "PROSPECTOR_WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub app_secret: String,
    #[arg(long)]
    pub verify_token: String,
    /// Graph API base URL (default https://graph.facebook.com).
    #[arg(long)]
    pub api_base: Option<String>,
    #[arg(long, default_value = "v23.0")]
    pub api_version: String,
    /// An in-memory number: nothing leaves the process (demos).
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Args, Debug)]
pub struct SendTemplateArgs {
    #[arg(long)]
    pub workspace: String,
    /// E.164 recipient.
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub template: String,
    #[arg(long)]
    pub language: String,
    /// One per body variable, in order: a literal, or field:first_name, custom:KEY,
    /// fact:KIND (repeatable).
    #[arg(long = "param")]
    pub params: Vec<String>,
}

#[derive(Args, Debug)]
pub struct SendTextArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub body: String,
    #[arg(long)]
    pub fallback_template: Option<String>,
    #[arg(long)]
    pub fallback_language: Option<String>,
    #[arg(long = "fallback-param")]
    pub fallback_params: Vec<String>,
}

#[derive(Args, Debug)]
pub struct SendMediaArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub to: String,
    /// image, document, video or audio.
    #[arg(long)]
    pub kind: String,
    /// A public http(s) URL Meta fetches the file from.
    #[arg(long)]
    pub link: String,
    /// Shown under an image, video or document.
    #[arg(long)]
    pub caption: Option<String>,
    /// Documents only: the file name the recipient sees.
    #[arg(long)]
    pub filename: Option<String>,
    #[arg(long)]
    pub fallback_template: Option<String>,
    #[arg(long)]
    pub fallback_language: Option<String>,
    #[arg(long = "fallback-param")]
    pub fallback_params: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum TemplatesCmd {
    /// List templates, one JSON object per line.
    List {
        #[arg(long)]
        workspace: String,
        /// Part of the name.
        #[arg(long)]
        q: Option<String>,
        /// PENDING, APPROVED, REJECTED, PAUSED, DISABLED…
        #[arg(long)]
        status: Option<String>,
    },
    /// Re-read the account's templates from Meta.
    Sync {
        #[arg(long)]
        workspace: String,
    },
    /// Create and submit a template from a JSON file (the API's create body).
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Delete a template (every language of its name) here and at Meta.
    Delete {
        /// Template id (from `templates list`).
        id: i64,
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Args, Debug)]
pub struct BroadcastArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub template: String,
    #[arg(long)]
    pub language: String,
    /// Contacts with this tag.
    #[arg(long)]
    pub tag: String,
    #[arg(long = "param")]
    pub params: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum SmsCmd {
    /// Connect (or reconnect) the workspace's Twilio sender; prints the status-callback and
    /// inbound paths.
    Connect(SmsConnectArgs),
    /// Check the Twilio credentials.
    Test {
        #[arg(long)]
        workspace: String,
    },
    /// Send one SMS and print the message.
    Send {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        body: String,
    },
}

#[derive(Args, Debug)]
pub struct SmsConnectArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub account_sid: String,
    #[arg(long, env = "PROSPECTOR_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: String,
    /// The sender number (E.164).
    #[arg(long, required_unless_present = "messaging_service_sid")]
    pub from: Option<String>,
    /// A Messaging Service instead of a number (`MG…`).
    #[arg(long)]
    pub messaging_service_sid: Option<String>,
    /// Twilio base URL (default https://api.twilio.com).
    #[arg(long)]
    pub api_base: Option<String>,
    /// The answer to HELP.
    #[arg(long)]
    pub help_text: Option<String>,
    #[arg(long)]
    pub sandbox: bool,
}

/// One JSON object on a line of stdout.
macro_rules! emit {
    ($v:expr) => {{
        println!("{}", serde_json::to_string($v)?);
        Ok::<(), anyhow::Error>(())
    }};
}

pub async fn whatsapp(config: Config, cmd: WhatsAppCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        WhatsAppCmd::Connect(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let out = connections::connect_whatsapp(
                &app,
                &ctx,
                &WhatsAppInput {
                    kind: Some(if a.sandbox { "sandbox" } else { "cloud" }.into()),
                    phone_number_id: a.phone_number_id,
                    waba_id: a.waba_id,
                    access_token: a.access_token,
                    app_secret: a.app_secret,
                    verify_token: a.verify_token,
                    api_base: a.api_base,
                    api_version: Some(a.api_version),
                },
            )
            .await?;
            emit!(&out)?;
        }
        WhatsAppCmd::Test { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let out = connections::test_whatsapp(&app, &ctx).await?;
            emit!(&out)?;
            if !out.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        WhatsAppCmd::SendTemplate(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let out = send::send_template_now(
                &app,
                &ctx,
                &TemplateSendInput {
                    to: Some(a.to),
                    template: a.template,
                    language: a.language,
                    params: a.params,
                    ..Default::default()
                },
            )
            .await?;
            emit!(&out)?;
            if out.status == "failed" {
                return Ok(ExitCode::FAILURE);
            }
        }
        WhatsAppCmd::SendText(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let out = send::send_text_now(
                &app,
                &ctx,
                &TextSendInput {
                    to: Some(a.to),
                    body: a.body,
                    fallback_template: a.fallback_template,
                    fallback_language: a.fallback_language,
                    fallback_params: a.fallback_params,
                    ..Default::default()
                },
            )
            .await?;
            emit!(&out)?;
            if out.status == "failed" {
                return Ok(ExitCode::FAILURE);
            }
        }
        WhatsAppCmd::SendMedia(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let out = send::send_media_now(
                &app,
                &ctx,
                &MediaSendInput {
                    to: Some(a.to),
                    kind: a.kind,
                    link: a.link,
                    caption: a.caption,
                    filename: a.filename,
                    fallback_template: a.fallback_template,
                    fallback_language: a.fallback_language,
                    fallback_params: a.fallback_params,
                    ..Default::default()
                },
            )
            .await?;
            emit!(&out)?;
            if out.status == "failed" {
                return Ok(ExitCode::FAILURE);
            }
        }
        WhatsAppCmd::Templates(t) => return templates_cmd(&app, t).await,
        WhatsAppCmd::Broadcast(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let t = templates::sendable(&app, ctx.ws, &a.template, &a.language).await?;
            let b = broadcasts::create(
                &app,
                &ctx,
                &BroadcastInput {
                    name: a.name,
                    template_id: t.id,
                    params: a.params,
                    audience: Audience {
                        tag: Some(a.tag),
                        ..Default::default()
                    },
                    scheduled_at: None,
                },
            )
            .await?;
            let due = prospector_app::store::messaging::broadcast(app.db(), ctx.ws, b.id).await?;
            broadcasts::run(&app, &due).await?;
            prospector_app::messaging::dispatch::dispatch(&app).await?;
            emit!(&broadcasts::get(&app, &ctx, b.id).await?)?;
        }
        WhatsAppCmd::ProcessWebhooks => {
            let n = hooks::process_pending(&app).await?;
            emit!(&serde_json::json!({"applied": n}))?;
        }
        WhatsAppCmd::Log {
            workspace,
            channel,
            status,
            limit,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let f = prospector_app::store::messaging::LogFilter {
                channel,
                status,
                ..Default::default()
            };
            for r in costs::log(&app, &ctx, &f, None, limit).await? {
                emit!(&r)?;
            }
        }
        WhatsAppCmd::Costs { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            emit!(&costs::costs(&app, &ctx, None, 100).await?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn templates_cmd(app: &App, cmd: TemplatesCmd) -> Result<ExitCode> {
    match cmd {
        TemplatesCmd::List {
            workspace,
            q,
            status,
        } => {
            let ctx = workspaces::cli_context(app, &workspace).await?;
            for t in templates::list(app, &ctx, q.as_deref(), status.as_deref()).await? {
                emit!(&t)?;
            }
        }
        TemplatesCmd::Sync { workspace } => {
            let ctx = workspaces::cli_context(app, &workspace).await?;
            let n = templates::sync(app, &ctx).await?;
            emit!(&serde_json::json!({"synced": n}))?;
        }
        TemplatesCmd::Create { workspace, file } => {
            let ctx = workspaces::cli_context(app, &workspace).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let input: TemplateInput = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a template definition", file.display()))?;
            emit!(&templates::create(app, &ctx, &input).await?)?;
        }
        TemplatesCmd::Delete { id, workspace } => {
            let ctx = workspaces::cli_context(app, &workspace).await?;
            templates::delete(app, &ctx, id).await?;
            emit!(&serde_json::json!({"deleted": id}))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn sms(config: Config, cmd: SmsCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        SmsCmd::Connect(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            let out = connections::connect_sms(
                &app,
                &ctx,
                &SmsInput {
                    kind: Some(if a.sandbox { "sandbox" } else { "twilio" }.into()),
                    account_sid: a.account_sid,
                    auth_token: a.auth_token,
                    from: a.from,
                    messaging_service_sid: a.messaging_service_sid,
                    api_base: a.api_base,
                    help_text: a.help_text,
                },
            )
            .await?;
            emit!(&out)?;
        }
        SmsCmd::Test { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let out = connections::test_sms(&app, &ctx).await?;
            emit!(&out)?;
            if !out.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        SmsCmd::Send {
            workspace,
            to,
            body,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let out = send::send_sms_now(
                &app,
                &ctx,
                &SmsSendInput {
                    to: Some(to),
                    body,
                    ..Default::default()
                },
            )
            .await?;
            emit!(&out)?;
            if out.status == "failed" {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
