//! Background jobs: the handler registry, the worker loop and the recurring scheduler.
//!
//! A handler is an async function from a [`JobCtx`] to a result. Failures are retried with
//! exponential backoff and jitter until `max_attempts`, then the job is dead (shown in the UI
//! for a manual retry). Leases are extended by a heartbeat while a handler runs, so a job is
//! re-run by another worker only when its worker really stopped.

mod builtin;
mod scheduler;
mod worker;

pub use scheduler::{Recurring, Scheduler};
pub use worker::{Worker, WorkerOptions, run_one};

use crate::App;
use futures::future::BoxFuture;
use prospector_core::ids::JobId;
use prospector_store::jobs::{self, Job, NewJob};
use std::collections::HashMap;
use std::sync::Arc;

/// Why a job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (network, lock, provider 5xx).
    #[error("{0}")]
    Retry(String),
    /// Will never work (bad payload); goes straight to dead.
    #[error("{0}")]
    Permanent(String),
}

impl From<crate::AppError> for JobError {
    fn from(e: crate::AppError) -> Self {
        match e {
            crate::AppError::Internal(_) | crate::AppError::Unavailable(_) => {
                JobError::Retry(e.to_string())
            }
            other => JobError::Permanent(other.to_string()),
        }
    }
}

impl From<prospector_store::StoreError> for JobError {
    fn from(e: prospector_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

/// What a handler gets: the app, its job row, and a way to report progress.
#[derive(Clone)]
pub struct JobCtx {
    pub app: App,
    pub job: Job,
    pub worker: String,
}

impl JobCtx {
    pub fn id(&self) -> JobId {
        self.job.jid()
    }

    /// Parse the JSON payload; a malformed payload is permanent.
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.job.payload)
            .map_err(|e| JobError::Permanent(format!("bad payload for {}: {e}", self.job.kind)))
    }

    /// Report progress (done of total) for the UI.
    pub async fn progress(&self, done: i64, total: i64) -> Result<(), JobError> {
        jobs::set_progress(self.app.db(), self.id(), done, total).await?;
        Ok(())
    }
}

/// The output of a handler: an optional JSON result stored on the job.
pub type JobResult = Result<Option<serde_json::Value>, JobError>;

type HandlerFn = dyn Fn(JobCtx) -> BoxFuture<'static, JobResult> + Send + Sync;

/// Job kinds and their handlers.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<HandlerFn>>,
}

impl Registry {
    /// Every handler the application ships.
    pub fn standard() -> Registry {
        let mut r = Registry::default();
        builtin::register(&mut r);
        r
    }

    /// Register `kind`; later issues add their handlers here.
    pub fn add<F, Fut>(&mut self, kind: &str, f: F)
    where
        F: Fn(JobCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = JobResult> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_string(), Arc::new(move |ctx| Box::pin(f(ctx))));
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.handlers.keys().cloned().collect();
        k.sort();
        k
    }

    fn get(&self, kind: &str) -> Option<Arc<HandlerFn>> {
        self.handlers.get(kind).cloned()
    }
}

/// Enqueue a job (the app-level entry point; handlers and use cases call this).
pub async fn enqueue(app: &App, job: NewJob) -> crate::AppResult<Option<JobId>> {
    let id = jobs::enqueue(app.db(), &job).await?;
    if let Some(id) = id {
        tracing::debug!(job_id = id.0, kind = %job.kind, "job enqueued");
    }
    Ok(id)
}

/// Jobs by (kind, state), for metrics and the admin jobs page.
pub async fn counts(app: &App) -> crate::AppResult<Vec<(String, String, i64)>> {
    Ok(jobs::counts(app.db()).await?)
}

/// A workspace's jobs, newest first, optionally by state.
pub async fn list(
    app: &App,
    ctx: &crate::WsCtx,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> crate::AppResult<Vec<Job>> {
    if let Some(s) = state
        && !["", "queued", "running", "succeeded", "dead", "cancelled"].contains(&s)
    {
        return Err(crate::AppError::invalid(
            "state",
            "state must be queued, running, succeeded, dead or cancelled",
        ));
    }
    Ok(jobs::list_in(
        app.db(),
        ctx.ws,
        state.filter(|s| !s.is_empty()),
        before,
        limit.clamp(1, 200),
    )
    .await?)
}

pub async fn get(app: &App, ctx: &crate::WsCtx, id: i64) -> crate::AppResult<Job> {
    Ok(jobs::get_in(app.db(), ctx.ws, JobId(id)).await?)
}

/// Put a dead job back in the queue.
pub async fn retry(app: &App, ctx: &crate::WsCtx, id: i64) -> crate::AppResult<Job> {
    ctx.require(prospector_core::role::Permission::Write)?;
    jobs::retry_dead(app.db(), Some(ctx.ws), JobId(id)).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "job.retried",
        "job",
        id,
        None,
        None,
    )
    .await?;
    Ok(jobs::get_in(app.db(), ctx.ws, JobId(id)).await?)
}
