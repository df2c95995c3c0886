//! The worker loop: claim under a lease, run handlers concurrently, heartbeat, record the
//! outcome, and on shutdown finish or release what is in flight.

use super::{JobCtx, JobError, Registry, Scheduler};
use crate::App;
use prospector_core::backoff::retry_delay;
use prospector_core::time::now_ms;
use prospector_store::jobs::{self, Job};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Tuning for one worker.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub concurrency: usize,
    pub lease_ms: i64,
    pub poll_ms: u64,
    pub grace: Duration,
    /// Run the recurring scheduler in this worker too.
    pub schedule: bool,
    pub retry_base_ms: i64,
    pub retry_cap_ms: i64,
}

impl WorkerOptions {
    pub fn from_config(c: &crate::Config) -> WorkerOptions {
        WorkerOptions {
            concurrency: c.worker_concurrency,
            lease_ms: (c.job_lease_secs as i64) * 1000,
            poll_ms: c.job_poll_ms,
            grace: Duration::from_secs(c.shutdown_grace_secs),
            schedule: true,
            retry_base_ms: 5_000,
            retry_cap_ms: 6 * 60 * 60 * 1000,
        }
    }
}

/// A worker with a unique id (host, process and a random part).
pub struct Worker {
    pub id: String,
    app: App,
    registry: Registry,
    scheduler: Scheduler,
    opts: WorkerOptions,
}

impl Worker {
    pub fn new(app: App, registry: Registry, scheduler: Scheduler, opts: WorkerOptions) -> Worker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        let id = format!(
            "{}:{}:{}",
            host,
            std::process::id(),
            &crate::crypto::random_token(6)
        );
        Worker {
            id,
            app,
            registry,
            scheduler,
            opts,
        }
    }

    /// Run until `shutdown` turns true; then stop claiming, wait up to the grace period for
    /// running jobs, and release those still running so another worker picks them up at once.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let kinds = self.registry.kinds();
        let inflight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut set: JoinSet<()> = JoinSet::new();
        tracing::info!(worker = %self.id, concurrency = self.opts.concurrency, kinds = ?kinds, "worker started");

        let hb = {
            let app = self.app.clone();
            let id = self.id.clone();
            let inflight = inflight.clone();
            let lease = self.opts.lease_ms;
            tokio::spawn(async move {
                let every = Duration::from_millis((lease / 3).max(200) as u64);
                loop {
                    tokio::time::sleep(every).await;
                    let ids: Vec<i64> = match inflight.lock() {
                        Ok(g) => g.iter().copied().collect(),
                        Err(_) => continue,
                    };
                    if !ids.is_empty()
                        && let Err(e) = jobs::heartbeat(app.db(), &id, &ids, lease).await
                    {
                        tracing::warn!(error = %e, "job heartbeat failed");
                    }
                }
            })
        };

        let mut last_tick = 0i64;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if self.opts.schedule && now_ms() - last_tick > 10_000 {
                last_tick = now_ms();
                if let Err(e) = self.scheduler.tick(&self.app).await {
                    tracing::warn!(error = %e, "scheduler tick failed");
                }
            }
            while set.try_join_next().is_some() {}
            let free = self.opts.concurrency.saturating_sub(set.len());
            let mut claimed = 0;
            if free > 0 {
                match jobs::claim(
                    self.app.db(),
                    &self.id,
                    &kinds,
                    free as i64,
                    self.opts.lease_ms,
                )
                .await
                {
                    Ok(batch) => {
                        claimed = batch.len();
                        for job in batch {
                            if let Ok(mut g) = inflight.lock() {
                                g.insert(job.id);
                            }
                            let fut = execute(
                                self.app.clone(),
                                self.registry.clone(),
                                self.id.clone(),
                                job,
                                self.opts.clone(),
                            );
                            let inflight = inflight.clone();
                            set.spawn(async move {
                                let id = fut.await;
                                if let Ok(mut g) = inflight.lock() {
                                    g.remove(&id);
                                }
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
                }
            }
            if claimed == 0 || set.len() >= self.opts.concurrency {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(self.opts.poll_ms)) => {}
                    _ = set.join_next(), if !set.is_empty() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }

        tracing::info!(worker = %self.id, running = set.len(), "worker stopping; finishing in-flight jobs");
        let deadline = tokio::time::sleep(self.opts.grace);
        tokio::pin!(deadline);
        loop {
            if set.is_empty() {
                break;
            }
            tokio::select! {
                _ = &mut deadline => break,
                _ = set.join_next() => {}
            }
        }
        set.abort_all();
        while set.join_next().await.is_some() {}
        let left: Vec<i64> = inflight
            .lock()
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        for id in left {
            match jobs::release(self.app.db(), prospector_core::ids::JobId(id), &self.id).await {
                Ok(_) => tracing::info!(job_id = id, "released in-flight job at shutdown"),
                Err(e) => tracing::warn!(job_id = id, error = %e, "could not release job"),
            }
        }
        hb.abort();
        tracing::info!(worker = %self.id, "worker stopped");
    }
}

/// How many more times a job's outcome is written when the database was only busy.
const RECORD_TRIES: u64 = 5;

/// Run one claimed job to its recorded outcome. Returns the job id.
async fn execute(
    app: App,
    registry: Registry,
    worker: String,
    job: Job,
    opts: WorkerOptions,
) -> i64 {
    let id = job.jid();
    let kind = job.kind.clone();
    let started = std::time::Instant::now();
    let span = tracing::info_span!("job", job_id = id.0, kind = %kind, attempt = job.attempts);
    let _enter = span.enter();
    drop(_enter);

    if job.attempts > job.max_attempts {
        let msg = format!(
            "lease expired {} times (the worker running it stopped)",
            job.attempts - 1
        );
        let _ = jobs::fail(app.db(), id, &worker, &msg, None).await;
        metrics::counter!("prospector_jobs_finished_total", "kind" => kind, "outcome" => "dead")
            .increment(1);
        return id.0;
    }
    let Some(handler) = registry.get(&job.kind) else {
        let _ = jobs::fail(
            app.db(),
            id,
            &worker,
            &format!("no handler for job kind '{kind}'"),
            None,
        )
        .await;
        return id.0;
    };
    let attempts = job.attempts;
    let max = job.max_attempts;
    let ctx = JobCtx {
        app: app.clone(),
        job,
        worker: worker.clone(),
    };
    // Run the handler in its own task so a panic is contained and reported as a failure.
    let outcome = match tokio::spawn(handler(ctx)).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(JobError::Retry("the job handler panicked".into())),
        Err(_) => Err(JobError::Retry("the job was cancelled".into())),
    };
    let elapsed = started.elapsed().as_secs_f64();
    metrics::histogram!("prospector_job_duration_seconds", "kind" => kind.clone()).record(elapsed);
    // What to write; written below, again while the database is only busy.
    enum Record {
        Complete(Option<String>),
        Fail(String, Option<i64>),
    }
    let record = match outcome {
        Ok(result) => {
            let text = result.map(|v| v.to_string());
            metrics::counter!("prospector_jobs_finished_total", "kind" => kind.clone(), "outcome" => "succeeded").increment(1);
            Record::Complete(text)
        }
        Err(JobError::Retry(msg)) if attempts < max => {
            let jitter: f64 = rand::random();
            let at = now_ms()
                + retry_delay(
                    attempts as u32,
                    opts.retry_base_ms,
                    opts.retry_cap_ms,
                    jitter,
                );
            tracing::warn!(job_id = id.0, kind = %kind, attempts, error = %msg, "job failed; will retry");
            metrics::counter!("prospector_jobs_finished_total", "kind" => kind.clone(), "outcome" => "retry").increment(1);
            Record::Fail(msg, Some(at))
        }
        Err(e) => {
            tracing::error!(job_id = id.0, kind = %kind, attempts, error = %e, "job is dead");
            metrics::counter!("prospector_jobs_finished_total", "kind" => kind.clone(), "outcome" => "dead").increment(1);
            Record::Fail(e.to_string(), None)
        }
    };
    // The handler's work is done: an outcome lost to a busy database would make the job run
    // again once its lease ran out (the heartbeat keeps the lease meanwhile). Two worker
    // processes on one SQLite file under load saw "database is locked" after the busy timeout.
    let mut tries = 0;
    let recorded = loop {
        let r = match &record {
            Record::Complete(text) => jobs::complete(app.db(), id, &worker, text.as_deref()).await,
            Record::Fail(msg, at) => jobs::fail(app.db(), id, &worker, msg, *at).await,
        };
        match r {
            Err(e) if e.is_transient() && tries < RECORD_TRIES => {
                tries += 1;
                tracing::warn!(job_id = id.0, error = %e, tries, "job outcome not recorded yet; trying again");
                tokio::time::sleep(Duration::from_millis(250 * tries)).await;
            }
            r => break r,
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job_id = id.0,
            "lease lost before the outcome was recorded; another worker owns the job"
        ),
        Err(e) => {
            tracing::error!(job_id = id.0, error = %e, "could not record job outcome; the lease will expire and the job re-run")
        }
    }
    id.0
}

/// Claim and run at most one job now (tests and `prospector job run-once`). Returns the job id
/// that ran, or `None` when the queue had nothing ready.
pub async fn run_one(
    app: &App,
    registry: &Registry,
    opts: &WorkerOptions,
) -> crate::AppResult<Option<i64>> {
    let worker = format!("once:{}", crate::crypto::random_token(6));
    let mut batch = jobs::claim(app.db(), &worker, &registry.kinds(), 1, opts.lease_ms).await?;
    match batch.pop() {
        Some(job) => Ok(Some(
            execute(app.clone(), registry.clone(), worker, job, opts.clone()).await,
        )),
        None => Ok(None),
    }
}
