//! Command-line commands. Each maps to app use cases; output meant for scripts goes to stdout,
//! messages to stderr, and failures exit non-zero with a one-line reason.

mod accounts;
mod contacts;
mod inbound;
mod mail;
mod messaging;
mod outreach;
mod scan;
mod scores;
mod serve;

use anyhow::Result;
use clap::{Parser, Subcommand};
use prospector_app::config::LogFormat;
use prospector_app::{App, Config};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "prospector",
    version,
    about = "Find businesses, scan and score them, reach them by email, WhatsApp and SMS, and turn replies into leads."
)]
pub struct Cli {
    /// Log format: text or json (overrides PROSPECTOR_LOG_FORMAT).
    #[arg(long, global = true, value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// Database URL (overrides DATABASE_URL).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web UI, the REST API and a background worker in one process.
    Serve(serve::ServeArgs),
    /// Run only background workers (scale-out).
    Worker(serve::WorkerArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Create a demo user and workspace if absent, print the URL and login, and serve.
    Demo(serve::DemoArgs),
    /// Manage users.
    #[command(subcommand)]
    User(accounts::UserCmd),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(accounts::WorkspaceCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(accounts::TokenCmd),
    /// Inspect and drive the job queue.
    #[command(subcommand)]
    Job(serve::JobCmd),
    /// Check that a running server answers /healthz (for container health checks).
    Healthcheck {
        /// Base URL of the server (default: http://PROSPECTOR_BIND).
        #[arg(long)]
        url: Option<String>,
    },
    /// Classify an email message: reply, auto_reply, bounce, feedback or other.
    ClassifyEmail(mail::ClassifyArgs),
    /// Scan a website (or a file of them) for contacts, socials, tech stack and quality.
    Scan(scan::ScanArgs),
    /// Verify an email address: syntax, MX, disposable, role, free provider.
    VerifyEmail(scan::VerifyArgs),
    /// Import contacts and companies from a CSV file (or preview it with --preview N).
    Import(contacts::ImportArgs),
    /// Export contacts or companies as CSV.
    Export(contacts::ExportArgs),
    /// Compute and store lead scores (0-100, tier A/B/C, factors with reasons).
    Score(scores::ScoreArgs),
    /// Analyse a company (summary, pain points, hooks, opening line) with the configured AI
    /// provider or the deterministic fallback.
    Analyze(scores::AnalyzeArgs),
    /// Manage email senders (SMTP accounts, SendGrid, Resend, sandbox).
    #[command(subcommand)]
    Sender(outreach::SenderCmd),
    /// Create, enroll, start, pause, resume, stop and inspect outreach campaigns.
    #[command(subcommand)]
    Campaign(outreach::CampaignCmd),
    /// List leads (contacts who replied, or set as leads), one JSON object per line.
    Leads(inbound::LeadsArgs),
    /// List reply notifications and mark them read.
    #[command(subcommand)]
    Notification(inbound::NotificationCmd),
    /// Set, show, test or remove the workspace's signed reply webhook.
    #[command(subcommand)]
    Webhook(inbound::WebhookCmd),
    /// WhatsApp Business: connect a number, templates, sends, broadcasts, log and costs.
    #[command(subcommand)]
    Whatsapp(messaging::WhatsAppCmd),
    /// SMS through Twilio: connect a sender, send.
    #[command(subcommand)]
    Sms(messaging::SmsCmd),
}

impl Cli {
    /// Commands whose stdout is data keep the logs quiet unless asked.
    pub fn quiet_logs(&self) -> bool {
        !matches!(
            self.command,
            Command::Serve(_) | Command::Worker(_) | Command::Demo(_) | Command::Migrate
        )
    }
}

pub fn load_config(cli: &Cli) -> Result<Config> {
    let mut config = Config::load()?;
    if let Some(f) = &cli.log_format {
        config.log_format = if f == "json" {
            LogFormat::Json
        } else {
            LogFormat::Text
        };
    }
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    if let Command::Serve(a) = &cli.command
        && let Some(b) = &a.bind
    {
        config.bind = b.clone();
        if std::env::var("PROSPECTOR_PUBLIC_URL").is_err() {
            config.public_url = format!("http://{b}");
        }
    }
    if let Command::Demo(a) = &cli.command
        && let Some(b) = &a.bind
    {
        config.bind = b.clone();
        if std::env::var("PROSPECTOR_PUBLIC_URL").is_err() {
            config.public_url = format!("http://{b}");
        }
    }
    Ok(config)
}

pub async fn run(cli: Cli, config: Config) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(a) => serve::serve(config, a).await,
        Command::Worker(a) => serve::worker(config, a).await,
        Command::Demo(a) => serve::demo(config, a).await,
        Command::Migrate => {
            let app = App::start(config, true).await?;
            eprintln!("migrations applied ({:?})", app.db().backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::User(c) => accounts::user(config, c).await,
        Command::Workspace(c) => accounts::workspace(config, c).await,
        Command::Token(c) => accounts::token(config, c).await,
        Command::Job(c) => serve::job(config, c).await,
        Command::Healthcheck { url } => serve::healthcheck(config, url).await,
        Command::ClassifyEmail(a) => mail::classify(a),
        Command::Scan(a) => scan::scan(a).await,
        Command::VerifyEmail(a) => scan::verify(a).await,
        Command::Import(a) => contacts::import(config, a).await,
        Command::Export(a) => contacts::export(config, a).await,
        Command::Score(a) => scores::score(config, a).await,
        Command::Analyze(a) => scores::analyze(config, a).await,
        Command::Sender(c) => outreach::sender(config, c).await,
        Command::Campaign(c) => outreach::campaign(config, c).await,
        Command::Leads(a) => inbound::leads(config, a).await,
        Command::Notification(c) => inbound::notification(config, c).await,
        Command::Webhook(c) => inbound::webhook(config, c).await,
        Command::Whatsapp(c) => messaging::whatsapp(config, c).await,
        Command::Sms(c) => messaging::sms(config, c).await,
    }
}
