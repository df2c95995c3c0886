//! Worker processes against one database: two `prospector worker` processes run 10,000 jobs
//! exactly once, and a worker killed with SIGKILL mid-job has its job re-run by another after
//! the lease expires. Runs on the backend chosen by PROSPECTOR_TEST_BACKEND.

use prospector_app::store::Db;
use prospector_app::store::jobs::{self, NewJob};
use prospector_app::testing;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_prospector")
}

fn worker(url: &str, dir: &std::path::Path, lease_secs: u32) -> Child {
    Command::new(bin())
        .args(["worker", "--concurrency", "4", "--no-scheduler"])
        .env("DATABASE_URL", url)
        .env("PROSPECTOR_DATA_DIR", dir)
        .env("PROSPECTOR_SECRET_KEY", "07".repeat(32))
        .env("PROSPECTOR_JOB_POLL_MS", "20")
        .env("PROSPECTOR_JOB_LEASE_SECS", lease_secs.to_string())
        .env("PROSPECTOR_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start worker")
}

fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("worker did not stop within 20 s of SIGTERM");
}

async fn open_jobs(db: &Db) -> i64 {
    jobs::counts(db)
        .await
        .unwrap()
        .iter()
        .filter(|(_, s, _)| s == "queued" || s == "running")
        .map(|(_, _, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_run_ten_thousand_jobs_exactly_once() {
    let (url, dir) = testing::fresh_database_url().await.unwrap();
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let batch: Vec<NewJob> = (0..10_000)
        .map(|i| NewJob::new("system.sleep", format!("{{\"ms\":0,\"i\":{i}}}")))
        .collect();
    assert_eq!(jobs::enqueue_many(&db, &batch).await.unwrap(), 10_000);
    let a = worker(&url, dir.path(), 30);
    let b = worker(&url, dir.path(), 30);
    let start = Instant::now();
    while open_jobs(&db).await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "jobs did not finish in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    terminate(a);
    terminate(b);
    let all = jobs::list_all(&db, None, 20_000).await.unwrap();
    assert_eq!(all.len(), 10_000);
    let mut processes = HashSet::new();
    for j in &all {
        assert_eq!(
            (j.state.as_str(), j.attempts),
            ("succeeded", 1),
            "job {} ran {} times",
            j.id,
            j.attempts
        );
        if let Some(w) = &j.locked_by {
            processes.insert(w.split(':').nth(1).unwrap_or_default().to_string());
        }
    }
    assert_eq!(
        processes.len(),
        2,
        "both processes took work: {processes:?}"
    );
    eprintln!(
        "10,000 jobs, 2 processes, {:?} on {}",
        start.elapsed(),
        testing::backend()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_a_sigkilled_worker_is_rerun_after_its_lease_expires() {
    let (url, dir) = testing::fresh_database_url().await.unwrap();
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let id = jobs::enqueue(&db, &NewJob::new("system.sleep", "{\"ms\":3000}"))
        .await
        .unwrap()
        .unwrap();
    let mut first = worker(&url, dir.path(), 2);
    let start = Instant::now();
    let first_owner = loop {
        let j = jobs::get(&db, id).await.unwrap();
        if j.state == "running" {
            break j.locked_by.unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first worker never claimed the job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill().unwrap(); // SIGKILL: no shutdown, no release.
    first.wait().unwrap();
    let second = worker(&url, dir.path(), 2);
    let start = Instant::now();
    let done = loop {
        let j = jobs::get(&db, id).await.unwrap();
        if j.state == "succeeded" {
            break j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the job was not re-run: {j:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    terminate(second);
    assert_eq!(done.attempts, 2);
    assert_ne!(done.locked_by.as_deref(), Some(first_owner.as_str()));
}
