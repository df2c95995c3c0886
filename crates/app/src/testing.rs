//! Support for integration tests across crates: a fresh database on the backend chosen by
//! `PROSPECTOR_TEST_BACKEND` (`sqlite`, the default, or `postgres` with
//! `PROSPECTOR_TEST_PG_URL` pointing at a server where databases may be created). Each call
//! makes a new, empty, migrated database, so tests never see each other's rows.

use crate::config::{Config, Secret};
use crate::crypto::Keys;
use crate::{App, AppError};
use prospector_store::Db;

/// Which backend the test run targets.
pub fn backend() -> String {
    std::env::var("PROSPECTOR_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// A database URL for a brand-new database, plus the temp dir that holds SQLite files.
pub async fn fresh_database_url() -> Result<(String, tempfile::TempDir), AppError> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.to_string()))?;
    match backend().as_str() {
        "postgres" => {
            let admin = std::env::var("PROSPECTOR_TEST_PG_URL").map_err(|_| {
                AppError::Internal(
                    "PROSPECTOR_TEST_BACKEND=postgres needs PROSPECTOR_TEST_PG_URL".into(),
                )
            })?;
            let name = format!(
                "t_{}",
                crate::crypto::random_token(9)
                    .to_lowercase()
                    .replace(['-', '_'], "x")
            );
            let db = Db::connect(&admin, 1).await?;
            if let Db::Postgres(p) = &db {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(p)
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
            }
            db.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin);
            Ok((format!("{base}/{name}"), dir))
        }
        _ => {
            let path = dir.path().join("test.db");
            Ok((format!("sqlite://{}?mode=rwc", path.display()), dir))
        }
    }
}

/// A config for tests: temp data dir, fixed secret key, fast job timings.
pub fn config(database_url: &str, data_dir: &std::path::Path) -> Config {
    let mut c = Config::load_from(&[]).unwrap_or_else(|_| unreachable_config());
    c.database_url = database_url.to_string();
    c.data_dir = data_dir.to_path_buf();
    c.secret_key = Secret("07".repeat(32));
    c.job_poll_ms = 20;
    c.job_lease_secs = 5;
    c.shutdown_grace_secs = 5;
    c
}

fn unreachable_config() -> Config {
    // Defaults never fail to load from an empty variable list; this keeps the signature simple.
    Config::load_from(&[("PROSPECTOR_LOG".to_string(), "info".to_string())])
        .unwrap_or_else(|e| panic!("default config failed: {e}"))
}

/// A started, migrated app on a fresh database. Keep the returned dir alive for the test.
pub async fn app() -> Result<(App, tempfile::TempDir), AppError> {
    let (url, dir) = fresh_database_url().await?;
    let cfg = config(&url, dir.path());
    let app = App::start(cfg, true).await?;
    Ok((app, dir))
}

/// Keys for tests.
pub fn keys() -> Keys {
    Keys::for_tests()
}

/// Whether missing peers are errors (`CI=true`).
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A running postfix `smtp-sink` on a free loopback port writing each message to its own
/// file in a temp dir; killed on drop. `None` (after a warning) when smtp-sink is missing
/// outside CI; with `CI=true` a missing smtp-sink panics.
pub struct SmtpSink {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

impl SmtpSink {
    pub fn start() -> Option<SmtpSink> {
        use std::process::{Command, Stdio};
        let bin = ["/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink"]
            .into_iter()
            .map(std::path::PathBuf::from)
            .find(|p| p.is_file());
        let Some(bin) = bin else {
            if ci() {
                panic!("postfix smtp-sink is missing (CI=true: missing tools are errors)");
            }
            eprintln!("warning: postfix smtp-sink is missing; skipping this test");
            return None;
        };
        let dir = tempfile::tempdir().ok()?;
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .ok()?;
            let mut cmd = Command::new(&bin);
            let root = Command::new("id")
                .arg("-u")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
                .unwrap_or(false);
            if root {
                cmd.args(["-u", "root"]);
            } else if let Ok(u) = std::env::var("USER") {
                cmd.args(["-u", &u]);
            }
            cmd.arg("-d")
                .arg(format!("{}/m.", dir.path().display()))
                .args(["-m", "64", &format!("127.0.0.1:{port}"), "256"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            let mut child = cmd.spawn().ok()?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(SmtpSink { port, dir, child });
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("smtp-sink did not start listening");
    }

    /// The sender URL for this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The received messages (raw bytes), waiting up to 10 s for at least `count`.
    pub fn messages(&self, count: usize) -> Vec<Vec<u8>> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let files: Vec<std::path::PathBuf> = std::fs::read_dir(self.dir.path())
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if files.len() >= count || std::time::Instant::now() > deadline {
                let mut out: Vec<Vec<u8>> =
                    files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
                out.sort();
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A started app on a fresh database (configured by `adjust`) with the owner
/// `owner@example.com` and the workspace "Acme Agency" (`acme-agency`), and that workspace's
/// context as the CLI would get it.
pub async fn app_with_workspace(
    adjust: impl FnOnce(&mut Config),
) -> Result<(App, crate::WsCtx, tempfile::TempDir), AppError> {
    let (url, dir) = fresh_database_url().await?;
    let mut cfg = config(&url, dir.path());
    adjust(&mut cfg);
    let app = App::start(cfg, true).await?;
    let actor = crate::Actor::cli();
    let user = crate::accounts::create_user(
        &app,
        &actor,
        "owner@example.com",
        "Owner",
        "a long enough password",
        false,
    )
    .await?;
    let ws = crate::workspaces::create(&app, &actor, "Acme Agency", &user).await?;
    let ctx = crate::workspaces::cli_context(&app, &ws.slug).await?;
    Ok((app, ctx, dir))
}
