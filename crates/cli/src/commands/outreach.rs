//! `prospector sender ...` and `prospector campaign ...`: email senders and outreach
//! campaigns from the command line. The campaign file is the same JSON as the API's create
//! body. Sending itself happens in the worker (`prospector serve` or `prospector worker`);
//! `campaign run` drives the engine and the outbox in the foreground until nothing is due.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use prospector_app::outreach::{self, campaigns::EnrollInput, senders::SenderInput};
use prospector_app::{App, AppError, Config, workspaces};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SenderCmd {
    /// Add an SMTP sender (or an API / sandbox sender with --kind).
    Add(SenderAddArgs),
    /// List the senders of a workspace with today's counts.
    List {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        json: bool,
    },
    /// Connect to the sender's server or API and report what it said.
    Test {
        /// Sender name.
        name: String,
        #[arg(long)]
        workspace: String,
    },
    /// Generate a DKIM key for the sender's domain and print the DNS record to publish.
    Dkim {
        /// Sender name.
        name: String,
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "prospector")]
        selector: String,
    },
    /// Set the IMAP mailbox where the sender's replies and bounces arrive
    /// (`imaps://user:pass@host[:port]/INBOX`); it is polled every minute.
    Imap {
        /// Sender name.
        name: String,
        #[arg(long)]
        workspace: String,
        #[arg(long, env = "PROSPECTOR_IMAP_URL", hide_env_values = true)]
        imap_url: String,
    },
    /// Poll every mailbox now and print what was read (JSON lines).
    Poll,
    /// Create (or rotate) the workspace's webhook endpoint for sendgrid, resend or inbound
    /// (raw MIME); prints the path to give the provider.
    Webhook {
        /// sendgrid, resend or inbound.
        provider: String,
        #[arg(long)]
        workspace: String,
        /// SendGrid's verification key or Resend's signing secret.
        #[arg(long, env = "PROSPECTOR_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct SenderAddArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long)]
    pub name: String,
    /// The From address.
    #[arg(long)]
    pub from: String,
    /// The From display name.
    #[arg(long)]
    pub from_name: Option<String>,
    /// smtp://[user:pass@]host:port[?tls=none|starttls|tls]
    #[arg(long)]
    pub smtp_url: Option<String>,
    /// smtp (default), sendgrid, resend or sandbox.
    #[arg(long, default_value = "smtp")]
    pub kind: String,
    /// API key for sendgrid or resend.
    #[arg(long, env = "PROSPECTOR_SENDER_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Another API base URL.
    #[arg(long)]
    pub base_url: Option<String>,
    #[arg(long)]
    pub daily_limit: Option<i64>,
    /// First-day messages of a warm-up ramp.
    #[arg(long)]
    pub warmup_start: Option<i64>,
    #[arg(long)]
    pub reply_to: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CampaignCmd {
    /// Create a draft campaign from a JSON file; prints the new campaign id.
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Enroll contacts: every contact with an email (--all) or those with a tag.
    Enroll {
        id: i64,
        #[arg(long)]
        workspace: String,
        #[arg(long, conflicts_with = "tag")]
        all: bool,
        #[arg(long)]
        tag: Option<String>,
    },
    /// Start a draft campaign.
    Start {
        id: i64,
        #[arg(long)]
        workspace: String,
    },
    /// Pause an active campaign (queued messages wait).
    Pause {
        id: i64,
        #[arg(long)]
        workspace: String,
    },
    /// Resume a paused campaign.
    Resume {
        id: i64,
        #[arg(long)]
        workspace: String,
    },
    /// Stop a campaign for good (waiting messages are cancelled).
    Stop {
        id: i64,
        #[arg(long)]
        workspace: String,
    },
    /// Counts by message status and enrollment state.
    Status {
        id: i64,
        #[arg(long)]
        workspace: String,
        /// Print {"campaign_id","name","state","messages":{status:n},"enrollments":{state:n},"engagement":{...}}.
        #[arg(long)]
        json: bool,
    },
    /// Plan and send in the foreground until nothing is due now (no worker needed).
    Run {
        #[arg(long)]
        workspace: String,
        /// Print the final status of this campaign as JSON.
        #[arg(long)]
        id: Option<i64>,
    },
}

fn app_err(e: AppError) -> anyhow::Error {
    match &e {
        AppError::Validation {
            field: Some(f),
            message,
        } => anyhow::anyhow!("{f}: {message}"),
        _ => anyhow::anyhow!("{e}"),
    }
}

pub async fn sender(config: Config, cmd: SenderCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        SenderCmd::Add(a) => {
            let ctx = workspaces::cli_context(&app, &a.workspace).await?;
            if a.kind == "smtp" && a.smtp_url.is_none() {
                bail!("--smtp-url is required for an SMTP sender");
            }
            let input = SenderInput {
                name: a.name,
                kind: a.kind,
                from_email: a.from,
                from_name: a.from_name,
                reply_to: a.reply_to,
                smtp_url: a.smtp_url,
                api_key: a.api_key,
                base_url: a.base_url,
                daily_limit: a.daily_limit,
                warmup_start: a.warmup_start,
                warmup_increment: None,
                signature: None,
            };
            let s = outreach::senders::create(&app, &ctx, &input)
                .await
                .map_err(app_err)?;
            println!("{}", s.id);
            eprintln!(
                "sender \"{}\" added ({}, {}, {} a day)",
                s.name,
                s.kind,
                s.server.unwrap_or_default(),
                s.daily_limit
            );
        }
        SenderCmd::List { workspace, json } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let list = outreach::senders::list(&app, &ctx).await.map_err(app_err)?;
            for s in list {
                if json {
                    println!("{}", serde_json::to_string(&s)?);
                } else {
                    println!(
                        "{:>5}  {:<20} {:<8} {:<30} {:>5}/{:<5} {}",
                        s.id, s.name, s.kind, s.from_email, s.sent_today, s.limit_today, s.state
                    );
                }
            }
        }
        SenderCmd::Test { name, workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let s = outreach::senders::by_name(&app, &ctx, &name)
                .await
                .map_err(app_err)?;
            let report = outreach::senders::test_connection(&app, &ctx, s.id)
                .await
                .map_err(app_err)?;
            println!("{report}");
        }
        SenderCmd::Dkim {
            name,
            workspace,
            selector,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let s = outreach::senders::by_name(&app, &ctx, &name)
                .await
                .map_err(app_err)?;
            let r = outreach::senders::generate_dkim(&app, &ctx, s.id, Some(&selector))
                .await
                .map_err(app_err)?;
            println!("{} TXT \"{}\"", r.name, r.value);
        }
        SenderCmd::Imap {
            name,
            workspace,
            imap_url,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let m =
                prospector_app::inbound::mailboxes::set_for_sender(&app, &ctx, &name, &imap_url)
                    .await
                    .map_err(app_err)?;
            println!("{}", m.id);
            eprintln!("mailbox {} set for sender \"{name}\"", m.display);
        }
        SenderCmd::Webhook {
            provider,
            workspace,
            secret,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let e = prospector_app::inbound::webhooks::set_endpoint(
                &app,
                &ctx,
                &provider,
                secret.as_deref(),
            )
            .await
            .map_err(app_err)?;
            println!("{}", e.path);
        }
        SenderCmd::Poll => {
            let reports = prospector_app::inbound::mailboxes::poll_all(&app)
                .await
                .map_err(app_err)?;
            for r in reports {
                println!("{}", serde_json::to_string(&r)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn campaign(config: Config, cmd: CampaignCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match cmd {
        CampaignCmd::Create { workspace, file } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let spec = outreach::spec::parse(&text).map_err(app_err)?;
            let d = outreach::campaigns::create(&app, &ctx, &spec)
                .await
                .map_err(app_err)?;
            println!("{}", d.campaign.id);
        }
        CampaignCmd::Enroll {
            id,
            workspace,
            all,
            tag,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            if !all && tag.is_none() {
                bail!("choose --all or --tag TAG");
            }
            let r = outreach::campaigns::enroll(
                &app,
                &ctx,
                id,
                &EnrollInput {
                    all,
                    tag,
                    ..Default::default()
                },
            )
            .await
            .map_err(app_err)?;
            println!("{}", serde_json::to_string(&r)?);
        }
        CampaignCmd::Start { id, workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let c = outreach::campaigns::start(&app, &ctx, id)
                .await
                .map_err(app_err)?;
            eprintln!("campaign {} is {}", c.id, c.state);
        }
        CampaignCmd::Pause { id, workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let c = outreach::campaigns::pause(&app, &ctx, id)
                .await
                .map_err(app_err)?;
            eprintln!("campaign {} is {}", c.id, c.state);
        }
        CampaignCmd::Resume { id, workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let c = outreach::campaigns::resume(&app, &ctx, id)
                .await
                .map_err(app_err)?;
            eprintln!("campaign {} is {}", c.id, c.state);
        }
        CampaignCmd::Stop { id, workspace } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let c = outreach::campaigns::stop(&app, &ctx, id)
                .await
                .map_err(app_err)?;
            eprintln!("campaign {} is {}", c.id, c.state);
        }
        CampaignCmd::Status {
            id,
            workspace,
            json,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let s = outreach::campaigns::status(&app, &ctx, id)
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!("campaign {} \"{}\": {}", s.campaign_id, s.name, s.state);
                for (k, v) in &s.messages {
                    println!("  messages {k:<18} {v}");
                }
                for (k, v) in &s.enrollments {
                    println!("  enrollments {k:<15} {v}");
                }
            }
        }
        CampaignCmd::Run { workspace, id } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            // Planning and sending side by side (see `run_now`).
            let r = outreach::run::run_now(&app).await.map_err(app_err)?;
            eprintln!(
                "queued {} in {:.1} s; sent {}, retried {}, failed {}, uncertain {} in {:.1} s",
                r.queued,
                r.planning_seconds,
                r.sends.sent,
                r.sends.retried,
                r.sends.failed,
                r.sends.uncertain,
                r.seconds
            );
            if let Some(id) = id {
                let s = outreach::campaigns::status(&app, &ctx, id)
                    .await
                    .map_err(app_err)?;
                println!("{}", serde_json::to_string(&s)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
