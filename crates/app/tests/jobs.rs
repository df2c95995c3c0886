//! The job queue on the configured backend: exactly-once execution under concurrency, retries
//! with backoff into the dead-letter state, unique keys, scheduler slots, lease expiry
//! (a crashed worker's job is re-run), and graceful shutdown releasing in-flight jobs.

use prospector_app::jobs::{Registry, Scheduler, Worker, WorkerOptions, run_one};
use prospector_app::store::jobs::{self, NewJob};
use prospector_app::testing;
use std::time::Duration;
use tokio::sync::watch;

fn fast_opts(concurrency: usize) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        // Long enough that write contention on a slow machine (24 tasks sharing one SQLite
        // writer) never outlasts it: lease expiry is tested on its own with a short lease.
        lease_ms: 30_000,
        poll_ms: 10,
        grace: Duration::from_secs(5),
        schedule: false,
        retry_base_ms: 10,
        retry_cap_ms: 50,
    }
}

async fn wait_until_empty(app: &prospector_app::App, timeout: Duration) {
    let start = std::time::Instant::now();
    loop {
        let counts = prospector_app::jobs::counts(app).await.unwrap();
        let open: i64 = counts
            .iter()
            .filter(|(_, s, _)| s == "queued" || s == "running")
            .map(|(_, _, n)| n)
            .sum();
        if open == 0 {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "jobs still open after {timeout:?}: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_run_each_job_exactly_once() {
    let (app, _dir) = testing::app().await.unwrap();
    let n = 10_000;
    let batch: Vec<NewJob> = (0..n)
        .map(|i| NewJob::new("system.sleep", format!("{{\"ms\":0,\"i\":{i}}}")))
        .collect();
    assert_eq!(
        jobs::enqueue_many(app.db(), &batch).await.unwrap(),
        n as u64
    );
    let (tx, rx) = watch::channel(false);
    let mut handles = vec![];
    for _ in 0..3 {
        let w = Worker::new(
            app.clone(),
            Registry::standard(),
            Scheduler::standard(),
            fast_opts(8),
        );
        handles.push(tokio::spawn(w.run(rx.clone())));
    }
    wait_until_empty(&app, Duration::from_secs(120)).await;
    tx.send(true).unwrap();
    for h in handles {
        h.await.unwrap();
    }
    let all = jobs::list_all(app.db(), None, 20_000).await.unwrap();
    assert_eq!(all.len(), n);
    let workers: std::collections::HashSet<_> =
        all.iter().filter_map(|j| j.locked_by.clone()).collect();
    for j in &all {
        assert_eq!(j.state, "succeeded", "job {} ended {}", j.id, j.state);
        assert_eq!(j.attempts, 1, "job {} ran {} times", j.id, j.attempts);
    }
    assert!(
        workers.len() >= 2,
        "work should spread across workers, got {workers:?}"
    );
}

#[tokio::test]
async fn failures_retry_with_backoff_then_go_dead_and_can_be_retried() {
    let (app, _dir) = testing::app().await.unwrap();
    let mut j = NewJob::new("system.fail", "{\"message\":\"provider said no\"}");
    j.max_attempts = 3;
    let id = jobs::enqueue(app.db(), &j).await.unwrap().unwrap();
    let reg = Registry::standard();
    let opts = fast_opts(1);
    let mut runs = 0;
    for _ in 0..200 {
        if run_one(&app, &reg, &opts).await.unwrap().is_some() {
            runs += 1;
            let job = jobs::get(app.db(), id).await.unwrap();
            if job.state == "dead" {
                break;
            }
            assert_eq!(job.state, "queued");
            assert!(
                job.run_at > job.updated_at - 1,
                "retry is scheduled in the future"
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let job = jobs::get(app.db(), id).await.unwrap();
    assert_eq!(runs, 3);
    assert_eq!(job.state, "dead");
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some("provider said no"));
    jobs::retry_dead(app.db(), None, id).await.unwrap();
    assert_eq!(jobs::get(app.db(), id).await.unwrap().state, "queued");

    let mut p = NewJob::new("system.fail", "{\"permanent\":true}");
    p.max_attempts = 5;
    let pid = jobs::enqueue(app.db(), &p).await.unwrap().unwrap();
    while run_one(&app, &reg, &opts).await.unwrap() != Some(pid.0) {}
    let pj = jobs::get(app.db(), pid).await.unwrap();
    assert_eq!(
        (pj.state.as_str(), pj.attempts),
        ("dead", 1),
        "permanent errors are not retried"
    );
}

#[tokio::test]
async fn bad_payload_is_a_permanent_failure_not_a_panic() {
    let (app, _dir) = testing::app().await.unwrap();
    let id = jobs::enqueue(app.db(), &NewJob::new("system.sleep", "{\"ms\":\"soon\"}"))
        .await
        .unwrap()
        .unwrap();
    run_one(&app, &Registry::standard(), &fast_opts(1))
        .await
        .unwrap();
    let j = jobs::get(app.db(), id).await.unwrap();
    assert_eq!(j.state, "dead");
    assert!(j.last_error.unwrap_or_default().contains("bad payload"));
}

#[tokio::test]
async fn unique_keys_and_scheduler_slots_never_double_enqueue() {
    let (app, _dir) = testing::app().await.unwrap();
    let mut j = NewJob::new("system.sleep", "{}");
    j.unique_key = Some("import:42".into());
    assert!(jobs::enqueue(app.db(), &j).await.unwrap().is_some());
    assert!(jobs::enqueue(app.db(), &j).await.unwrap().is_none());
    // The hourly schedules only, so no slot boundary falls between the ticks below.
    let s = Scheduler {
        schedules: Scheduler::standard()
            .schedules
            .into_iter()
            .filter(|r| r.every_ms >= 3_600_000)
            .collect(),
    };
    let (a, b) = tokio::join!(s.tick(&app), s.tick(&app));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        s.schedules.len(),
        "two schedulers enqueue each slot once"
    );
    assert_eq!(s.tick(&app).await.unwrap(), 0);
}

#[tokio::test]
async fn expired_lease_is_reclaimed_and_job_rerun() {
    let (app, _dir) = testing::app().await.unwrap();
    let id = jobs::enqueue(app.db(), &NewJob::new("system.sleep", "{\"ms\":0}"))
        .await
        .unwrap()
        .unwrap();
    // A worker claims the job and then "dies": no heartbeat, no completion.
    let claimed = jobs::claim(
        app.db(),
        "dead-worker",
        &Registry::standard().kinds(),
        1,
        1_000,
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        jobs::claim(app.db(), "other", &Registry::standard().kinds(), 1, 1_000)
            .await
            .unwrap()
            .is_empty(),
        "a leased job is not claimable"
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let ran = run_one(&app, &Registry::standard(), &fast_opts(1))
        .await
        .unwrap();
    assert_eq!(ran, Some(id.0));
    let j = jobs::get(app.db(), id).await.unwrap();
    assert_eq!((j.state.as_str(), j.attempts), ("succeeded", 2));
    // The dead worker's late completion is refused: it no longer holds the lease.
    assert!(
        !jobs::complete(app.db(), id, "dead-worker", None)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_releases_long_jobs_without_counting_the_attempt() {
    let (app, _dir) = testing::app().await.unwrap();
    let id = jobs::enqueue(app.db(), &NewJob::new("system.sleep", "{\"ms\":60000}"))
        .await
        .unwrap()
        .unwrap();
    let mut opts = fast_opts(1);
    opts.grace = Duration::from_millis(300);
    let (tx, rx) = watch::channel(false);
    let w = Worker::new(
        app.clone(),
        Registry::standard(),
        Scheduler::standard(),
        opts,
    );
    let h = tokio::spawn(w.run(rx));
    for _ in 0..100 {
        if jobs::get(app.db(), id).await.unwrap().state == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.send(true).unwrap();
    h.await.unwrap();
    let j = jobs::get(app.db(), id).await.unwrap();
    assert_eq!(j.state, "queued");
    assert_eq!(j.attempts, 0);
    assert!(j.locked_by.is_none());
}

#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let (app, _dir) = testing::app().await.unwrap();
    let mut summary = app.db().schema_summary().await.unwrap();
    for (_, cols) in summary.iter_mut() {
        cols.sort();
    }
    summary.sort();
    let expected = include_str!("schema.snapshot").trim();
    let actual: Vec<String> = summary
        .iter()
        .map(|(t, c)| format!("{t}: {}", c.join(", ")))
        .collect();
    assert_eq!(
        actual.join("\n"),
        expected,
        "schema differs from tests/schema.snapshot on {}",
        testing::backend()
    );
}
