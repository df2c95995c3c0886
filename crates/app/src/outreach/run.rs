//! Plan and send everything due now, in the foreground (`prospector campaign run`): what the
//! worker's tick and dispatch jobs do, without waiting for their schedule.

use super::dispatch::{self, DispatchReport};
use super::engine::{self, TickReport};
use crate::{App, AppResult};
use prospector_core::time::now_ms;
use std::time::{Duration, Instant};

/// What one [`run_now`] did, and how long it took.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunReport {
    pub queued: u64,
    /// The outbox rounds' totals.
    pub sends: DispatchReport,
    /// Seconds until the last message was planned.
    pub planning_seconds: f64,
    pub seconds: f64,
}

/// Plan every due step and send every due message, until a round finds nothing to do.
///
/// The planner runs in its own task while the outbox sends what it has already queued, so
/// rendering and SMTP work overlap each other and the database work (the planner commits
/// each batch, and the outbox picks it up at once). On SQLite the two take turns on the
/// one write lock.
pub async fn run_now(app: &App) -> AppResult<RunReport> {
    let started = Instant::now();
    let mut r = RunReport::default();
    loop {
        let planner = {
            let app = app.clone();
            tokio::spawn(async move {
                let t = engine::tick(&app, now_ms()).await;
                (t, started.elapsed())
            })
        };
        let mut sent_any = false;
        loop {
            // Looked at before the round, so the round after the planner finished sees all
            // it queued.
            let planned = planner.is_finished();
            let d = dispatch::dispatch(app, None).await?;
            r.sends.absorb(&d);
            sent_any |= !d.is_idle();
            if d.is_idle() {
                if planned {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let (t, at) = planner
            .await
            .map_err(|e| crate::AppError::Internal(format!("the planner stopped: {e}")))?;
        let t: TickReport = t?;
        r.queued += t.queued;
        if t.queued > 0 {
            r.planning_seconds = at.as_secs_f64();
        }
        tracing::debug!(queued = t.queued, sent = r.sends.sent, "campaign run round");
        if t.queued == 0 && !sent_any {
            break;
        }
    }
    r.seconds = started.elapsed().as_secs_f64();
    Ok(r)
}
