//! Jobs the platform itself needs: housekeeping, and a diagnostic sleep used to check a
//! deployment's workers end to end (`prospector job enqueue system.sleep`).

use super::{JobCtx, JobError, JobResult, Registry};
use prospector_core::time::{DAY, now_ms};
use prospector_store::{jobs, login_attempts, sessions};
use serde::Deserialize;

pub(super) fn register(r: &mut Registry) {
    r.add("system.cleanup", cleanup);
    r.add("system.sleep", sleep);
    r.add("system.fail", fail);
    r.add("contacts.import", crate::imports::job);
    r.add(crate::scans::JOB_KIND, crate::scans::job);
    r.add(crate::scans::VERIFY_JOB, crate::scans::verify_job);
    r.add(
        crate::scans::AFTER_IMPORT_JOB,
        crate::scans::after_import_job,
    );
    r.add(crate::scoring::RESCORE_JOB, crate::scoring::job);
    crate::outreach::register(r);
    crate::inbound::register(r);
    crate::messaging::register(r);
}

/// Delete expired sessions, old login attempts and finished jobs older than 14 days; fail
/// imports whose job stopped for good.
async fn cleanup(ctx: JobCtx) -> JobResult {
    let db = ctx.app.db();
    let s = sessions::delete_expired(db).await?;
    let l = login_attempts::prune(db, now_ms() - DAY).await?;
    let j = jobs::prune_finished(db, now_ms() - 14 * DAY).await?;
    let i = crate::imports::abandon_orphans(&ctx.app, now_ms() - crate::imports::ORPHAN_IDLE_MS)
        .await?;
    Ok(Some(
        serde_json::json!({"sessions": s, "login_attempts": l, "jobs": j, "imports_abandoned": i}),
    ))
}

#[derive(Deserialize)]
struct SleepPayload {
    #[serde(default)]
    ms: u64,
}

/// Sleep for `ms` milliseconds (at most ten minutes), reporting progress each second.
async fn sleep(ctx: JobCtx) -> JobResult {
    let p: SleepPayload = ctx.payload()?;
    let total = p.ms.min(600_000);
    let mut done = 0;
    while done < total {
        let step = (total - done).min(1000);
        tokio::time::sleep(std::time::Duration::from_millis(step)).await;
        done += step;
        if total >= 2000 {
            ctx.progress(done as i64, total as i64).await?;
        }
    }
    Ok(Some(
        serde_json::json!({"slept_ms": total, "worker": ctx.worker}),
    ))
}

#[derive(Deserialize)]
struct FailPayload {
    #[serde(default)]
    permanent: bool,
    #[serde(default)]
    message: String,
}

/// Always fails: lets operators and tests see retries, backoff and the dead-letter state.
async fn fail(ctx: JobCtx) -> JobResult {
    let p: FailPayload = ctx.payload()?;
    let msg = if p.message.is_empty() {
        "requested failure".to_string()
    } else {
        p.message
    };
    if p.permanent {
        Err(JobError::Permanent(msg))
    } else {
        Err(JobError::Retry(msg))
    }
}
