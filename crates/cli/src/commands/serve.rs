//! `serve`, `worker`, `demo`, `job ...` and `healthcheck`.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use prospector_app::jobs::{Registry, Scheduler, Worker, WorkerOptions};
use prospector_app::store::jobs::NewJob;
use prospector_app::{Actor, App, Config, accounts, workspaces};
use std::process::ExitCode;
use tokio::sync::watch;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (overrides PROSPECTOR_BIND).
    #[arg(long)]
    pub bind: Option<String>,
    /// Do not run a background worker in this process.
    #[arg(long)]
    pub no_worker: bool,
    /// Do not apply migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Concurrent jobs (overrides PROSPECTOR_WORKER_CONCURRENCY).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Do not run the recurring scheduler in this worker.
    #[arg(long)]
    pub no_scheduler: bool,
    /// Do not apply migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on (overrides PROSPECTOR_BIND).
    #[arg(long)]
    pub bind: Option<String>,
    /// Set up the demo workspace and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Subcommand, Debug)]
pub enum JobCmd {
    /// Enqueue jobs (diagnostics and load tests).
    Enqueue {
        kind: String,
        #[arg(long, default_value = "{}")]
        payload: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
        #[arg(long)]
        workspace: Option<String>,
        #[arg(long, default_value_t = 5)]
        max_attempts: i64,
    },
    /// Counts by kind and state, as JSON lines.
    Stats,
    /// Run at most one ready job in this process and exit.
    RunOnce,
}

/// Resolves when SIGINT or SIGTERM arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested");
}

fn spawn_worker(
    app: &App,
    schedule: bool,
    concurrency: Option<usize>,
    rx: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut opts = WorkerOptions::from_config(app.config());
    opts.schedule = schedule;
    if let Some(c) = concurrency {
        opts.concurrency = c.max(1);
    }
    let worker = Worker::new(
        app.clone(),
        Registry::standard(),
        Scheduler::standard(),
        opts,
    );
    tokio::spawn(worker.run(rx))
}

async fn run_server(app: App, with_worker: bool) -> Result<ExitCode> {
    let bind = app.config().bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let (tx, rx) = watch::channel(false);
    let worker = with_worker.then(|| spawn_worker(&app, true, None, rx.clone()));
    tracing::info!(address = %bind, worker = with_worker, "listening");
    let mut rx_http = rx.clone();
    let server = tokio::spawn(prospector_web::serve(app.clone(), listener, async move {
        let _ = rx_http.wait_for(|v| *v).await;
    }));
    shutdown_signal().await;
    let _ = tx.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "server error"),
        Err(e) => tracing::error!(error = %e, "server task failed"),
    }
    app.db().close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(config: Config, a: ServeArgs) -> Result<ExitCode> {
    let app = App::start(config, !a.no_migrate).await?;
    run_server(app, !a.no_worker).await
}

pub async fn worker(config: Config, a: WorkerArgs) -> Result<ExitCode> {
    let app = App::start(config, !a.no_migrate).await?;
    let (tx, rx) = watch::channel(false);
    let handle = spawn_worker(&app, !a.no_scheduler, a.concurrency, rx);
    shutdown_signal().await;
    let _ = tx.send(true);
    let _ = handle.await;
    app.db().close().await;
    Ok(ExitCode::SUCCESS)
}

pub const DEMO_EMAIL: &str = "demo@prospector.local";
pub const DEMO_PASSWORD: &str = "prospector-demo";

pub async fn demo(config: Config, a: DemoArgs) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    let user = match prospector_app::store::users::by_email(app.db(), DEMO_EMAIL).await? {
        Some(u) => u,
        None => {
            accounts::create_user(
                &app,
                &Actor::system(),
                DEMO_EMAIL,
                "Demo User",
                DEMO_PASSWORD,
                true,
            )
            .await?
        }
    };
    let mine = prospector_app::store::workspaces::for_user(app.db(), user.uid()).await?;
    let slug = match mine.first() {
        Some(w) => w.slug.clone(),
        None => {
            workspaces::create(&app, &Actor::system(), "Demo Agency", &user)
                .await?
                .slug
        }
    };
    let ctx = workspaces::cli_context(&app, &slug).await?;
    if let Some(s) = prospector_app::demo::seed_contacts(&app, &ctx).await? {
        println!(
            "Imported {} demo businesses ({} contacts, {} companies).",
            s.rows, s.contacts_created, s.companies_created
        );
    }
    let url = app.config().public_url.clone();
    println!("Prospector demo is ready.");
    println!("  URL:      {url}/login");
    println!("  Email:    {DEMO_EMAIL}");
    println!("  Password: {DEMO_PASSWORD}");
    println!("  Workspace: {url}/w/{slug}/dashboard");
    if a.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    run_server(app, true).await
}

pub async fn job(config: Config, c: JobCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match c {
        JobCmd::Enqueue {
            kind,
            payload,
            count,
            workspace,
            max_attempts,
        } => {
            serde_json::from_str::<serde_json::Value>(&payload)
                .context("--payload must be JSON")?;
            if !Registry::standard().kinds().contains(&kind) {
                bail!(
                    "unknown job kind '{kind}'; known kinds: {}",
                    Registry::standard().kinds().join(", ")
                );
            }
            let ws = match workspace {
                Some(slug) => Some(workspaces::cli_context(&app, &slug).await?.ws),
                None => None,
            };
            let jobs: Vec<NewJob> = (0..count)
                .map(|_| {
                    let mut j = NewJob::new(&kind, &payload);
                    j.workspace_id = ws;
                    j.max_attempts = max_attempts;
                    j
                })
                .collect();
            let n = prospector_app::store::jobs::enqueue_many(app.db(), &jobs).await?;
            println!("{n}");
        }
        JobCmd::Stats => {
            for (kind, state, n) in prospector_app::jobs::counts(&app).await? {
                println!(
                    "{}",
                    serde_json::json!({"kind": kind, "state": state, "count": n})
                );
            }
        }
        JobCmd::RunOnce => {
            let opts = WorkerOptions::from_config(app.config());
            match prospector_app::jobs::run_one(&app, &Registry::standard(), &opts).await? {
                Some(id) => println!("{id}"),
                None => eprintln!("no job ready"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn healthcheck(config: Config, url: Option<String>) -> Result<ExitCode> {
    let base = url.unwrap_or_else(|| format!("http://{}", config.bind));
    let resp = reqwest::Client::new()
        .get(format!("{}/healthz", base.trim_end_matches('/')))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("{base} did not answer"))?;
    if resp.status().is_success() {
        println!("ok");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("unhealthy: HTTP {}", resp.status());
        Ok(ExitCode::FAILURE)
    }
}
