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
