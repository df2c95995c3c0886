//! `prospector leads`, `prospector notification ...` and `prospector webhook ...`: the leads
//! list, reply notifications, and the workspace's signed reply webhook, for scripts (JSON
//! lines on stdout, messages on stderr).

use anyhow::Result;
use clap::{Args, Subcommand};
use prospector_app::notifications::{self, NotificationOut};
use prospector_app::{App, AppError, Config, workspaces};
use std::process::ExitCode;

fn app_err(e: AppError) -> anyhow::Error {
    match &e {
        AppError::Validation {
            field: Some(f),
            message,
        } => anyhow::anyhow!("{f}: {message}"),
        _ => anyhow::anyhow!("{e}"),
    }
}

#[derive(Args, Debug)]
pub struct LeadsArgs {
    #[arg(long)]
    pub workspace: String,
    /// Words in the name, email, phone or company.
    #[arg(long)]
    pub q: Option<String>,
}

/// Print the workspace's leads, one JSON object per line.
pub async fn leads(config: Config, a: LeadsArgs) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    let ctx = workspaces::cli_context(&app, &a.workspace).await?;
    let mut cursor = None;
    loop {
        let page = prospector_app::inbound::conversations::leads(&app, &ctx, a.q.clone(), cursor)
            .await
            .map_err(app_err)?;
        for c in &page.data {
            println!(
                "{}",
                serde_json::json!({
                    "id": c.id, "name": c.display_name(), "email": c.f.email,
                    "company": c.company_name, "lead_stage": c.f.lead_stage,
                    "lead_source": c.f.lead_source, "updated_at": c.updated_at,
                })
            );
        }
        match page.next_cursor {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum NotificationCmd {
    /// Print notifications, newest first, one JSON object per line.
    List {
        #[arg(long)]
        workspace: String,
        /// Only unread ones.
        #[arg(long)]
        unread: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Mark a notification read (or every one with --all).
    Read {
        #[arg(long)]
        workspace: String,
        id: Option<i64>,
        #[arg(long)]
        all: bool,
    },
}

pub async fn notification(config: Config, cmd: NotificationCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        NotificationCmd::List {
            workspace,
            unread,
            limit,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            for n in notifications::list(&app, &ctx, None, limit, unread)
                .await
                .map_err(app_err)?
            {
                println!("{}", serde_json::to_string(&NotificationOut::from(&n))?);
            }
        }
        NotificationCmd::Read { workspace, id, all } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            match (id, all) {
                (_, true) => {
                    let n = notifications::mark_all_read(&app, &ctx)
                        .await
                        .map_err(app_err)?;
                    eprintln!("{n} marked read");
                }
                (Some(id), false) => {
                    notifications::mark_read(&app, &ctx, id)
                        .await
                        .map_err(app_err)?;
                }
                (None, false) => anyhow::bail!("give a notification id or --all"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Set the URL that receives signed `reply.received` events; prints the signing secret
    /// when a new one was made (it is not shown again).
    Set {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        url: String,
        /// Use this secret instead of a generated one.
        #[arg(long, env = "PROSPECTOR_WEBHOOK_SECRET")]
        secret: Option<String>,
        /// Keep it but send nothing.
        #[arg(long)]
        disabled: bool,
    },
    /// Print the webhook and its latest deliveries as JSON.
    Show {
        #[arg(long)]
        workspace: String,
    },
    /// Queue a `test` event (the worker sends it).
    Test {
        #[arg(long)]
        workspace: String,
    },
    /// Remove the webhook and its delivery log.
    Remove {
        #[arg(long)]
        workspace: String,
    },
}

pub async fn webhook(config: Config, cmd: WebhookCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        WebhookCmd::Set {
            workspace,
            url,
            secret,
            disabled,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let w = notifications::set_webhook(&app, &ctx, &url, secret.as_deref(), !disabled)
                .await
                .map_err(app_err)?;
            match w.secret {
                Some(s) => println!("{s}"),
                None => eprintln!("webhook set; the secret is unchanged"),
            }
        }
        WebhookCmd::Show { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let w = notifications::webhook(&app, &ctx).await.map_err(app_err)?;
            let d = notifications::deliveries(&app, &ctx, None, 20)
                .await
                .map_err(app_err)?;
            println!(
                "{}",
                serde_json::json!({"webhook": w, "deliveries": d.iter().map(|d| serde_json::json!({
                    "id": d.id, "event": d.event, "state": d.state, "attempts": d.attempts,
                    "last_status": d.last_status, "last_error": d.last_error, "created_at": d.created_at,
                })).collect::<Vec<_>>()})
            );
        }
        WebhookCmd::Test { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let d = notifications::send_test(&app, &ctx)
                .await
                .map_err(app_err)?;
            println!("{}", d.id);
        }
        WebhookCmd::Remove { workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            notifications::delete_webhook(&app, &ctx)
                .await
                .map_err(app_err)?;
            eprintln!("webhook removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
