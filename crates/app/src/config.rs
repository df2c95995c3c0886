//! Configuration, layered: defaults, then `prospector.toml`, then `PROSPECTOR_*` environment
//! variables (and `DATABASE_URL`), then command-line flags applied by the binary. Unknown
//! `PROSPECTOR_*` variables are reported, because a typo should not silently do nothing.

use crate::AppError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A secret string whose `Debug` prints nothing, so dumping the config is safe.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("<unset>")
        } else {
            f.write_str("<redacted>")
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting. `docs/configuration.md` lists them with their variables.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_max_connections: u32,
    pub public_url: String,
    pub secret_key: Secret,
    pub log_format: LogFormat,
    pub log_level: String,
    pub worker_concurrency: usize,
    pub job_lease_secs: u64,
    /// How long the outbox holds a message it is sending before its outcome counts as unknown.
    pub outbox_lease_secs: u64,
    pub job_poll_ms: u64,
    pub shutdown_grace_secs: u64,
    pub session_days: i64,
    pub secure_cookies: bool,
    pub login_max_failures_per_email: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window_secs: i64,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Let the website scanner fetch private, loopback and link-local addresses (tests and
    /// LAN demos only; off by default so a company's website cannot point the scanner at
    /// internal services).
    pub scan_allow_private: bool,
    /// AI provider root URL (OpenAI-compatible `.../v1`, or `https://api.anthropic.com`).
    pub ai_base_url: Option<String>,
    /// AI model; unset means no provider (the deterministic fallback answers).
    pub ai_model: Option<String>,
    /// AI provider API key (never printed).
    pub ai_api_key: Option<Secret>,
    /// `openai_compatible` or `anthropic`; unset guesses from the base URL and model name.
    pub ai_provider: Option<String>,
    /// Per-model prices on top of the built-in list (`model=IN/OUT,...`, currency units per
    /// million tokens), for the cost accounting and monthly budgets.
    pub ai_prices: prospector_ai::PriceTable,
    /// Which file the settings came from, if any (shown by `prospector config`).
    pub config_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    db_max_connections: Option<u32>,
    public_url: Option<String>,
    secret_key: Option<Secret>,
    log_format: Option<String>,
    log_level: Option<String>,
    worker_concurrency: Option<usize>,
    job_lease_secs: Option<u64>,
    outbox_lease_secs: Option<u64>,
    job_poll_ms: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    session_days: Option<i64>,
    secure_cookies: Option<bool>,
    login_max_failures_per_email: Option<i64>,
    login_max_failures_per_ip: Option<i64>,
    login_window_secs: Option<i64>,
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    scan_allow_private: Option<bool>,
    ai_base_url: Option<String>,
    ai_model: Option<String>,
    ai_provider: Option<String>,
    ai_prices: Option<String>,
}

/// Environment variables we read; anything else starting with `PROSPECTOR_` is a typo.
pub const KNOWN_ENV: &[&str] = &[
    "PROSPECTOR_CONFIG",
    "PROSPECTOR_BIND",
    "PROSPECTOR_DATA_DIR",
    "PROSPECTOR_DATABASE_URL",
    "PROSPECTOR_DB_MAX_CONNECTIONS",
    "PROSPECTOR_PUBLIC_URL",
    "PROSPECTOR_SECRET_KEY",
    "PROSPECTOR_LOG_FORMAT",
    "PROSPECTOR_LOG",
    "PROSPECTOR_WORKER_CONCURRENCY",
    "PROSPECTOR_JOB_LEASE_SECS",
    "PROSPECTOR_JOB_POLL_MS",
    "PROSPECTOR_SHUTDOWN_GRACE_SECS",
    "PROSPECTOR_SESSION_DAYS",
    "PROSPECTOR_SECURE_COOKIES",
    "PROSPECTOR_LOGIN_MAX_FAILURES_PER_EMAIL",
    "PROSPECTOR_LOGIN_MAX_FAILURES_PER_IP",
    "PROSPECTOR_LOGIN_WINDOW_SECS",
    "PROSPECTOR_MAX_BODY_BYTES",
    "PROSPECTOR_REQUEST_TIMEOUT_SECS",
    "PROSPECTOR_SCAN_ALLOW_PRIVATE",
    "PROSPECTOR_AI_BASE_URL",
    "PROSPECTOR_AI_MODEL",
    "PROSPECTOR_AI_API_KEY",
    "PROSPECTOR_AI_PROVIDER",
    "PROSPECTOR_AI_PRICES",
    // Used by the test suite and scripts, not by the server.
    "PROSPECTOR_TEST_PG_URL",
    "PROSPECTOR_TEST_BACKEND",
];

impl Config {
    /// Load from the environment (and the TOML file it points at, or `./prospector.toml`).
    pub fn load() -> Result<Config, AppError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(&vars)
    }

    /// Load from an explicit variable list (tests).
    pub fn load_from(vars: &[(String, String)]) -> Result<Config, AppError> {
        let get = |k: &str| {
            vars.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        for (k, _) in vars {
            if k.starts_with("PROSPECTOR_") && !KNOWN_ENV.contains(&k.as_str()) {
                tracing::warn!(variable = %k, "unknown PROSPECTOR_ environment variable ignored (typo?)");
            }
        }
        let (file, config_file) = match get("PROSPECTOR_CONFIG") {
            Some(path) => (read_file(Path::new(&path))?, Some(PathBuf::from(path))),
            None if Path::new("prospector.toml").exists() => (
                read_file(Path::new("prospector.toml"))?,
                Some(PathBuf::from("prospector.toml")),
            ),
            None => (FileConfig::default(), None),
        };

        fn parse<T: std::str::FromStr>(
            name: &str,
            v: Option<String>,
        ) -> Result<Option<T>, AppError> {
            match v {
                None => Ok(None),
                Some(s) => s
                    .trim()
                    .parse::<T>()
                    .map(Some)
                    .map_err(|_| AppError::invalid(name, format!("{name}: cannot parse '{s}'"))),
            }
        }

        let bind = get("PROSPECTOR_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let data_dir = get("PROSPECTOR_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = get("DATABASE_URL")
            .or_else(|| get("PROSPECTOR_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("prospector.db").display()
                )
            });
        let public_url = get("PROSPECTOR_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        let log_format = match get("PROSPECTOR_LOG_FORMAT")
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "json" => LogFormat::Json,
            "text" | "pretty" => LogFormat::Text,
            other => {
                return Err(AppError::invalid(
                    "log_format",
                    format!("log_format must be text or json, got '{other}'"),
                ));
            }
        };
        let secure_default = public_url.starts_with("https://");
        Ok(Config {
            bind,
            database_url,
            db_max_connections: parse(
                "PROSPECTOR_DB_MAX_CONNECTIONS",
                get("PROSPECTOR_DB_MAX_CONNECTIONS"),
            )?
            .or(file.db_max_connections)
            .unwrap_or(10),
            public_url,
            secret_key: get("PROSPECTOR_SECRET_KEY")
                .map(Secret)
                .or(file.secret_key)
                .unwrap_or_default(),
            log_format,
            log_level: get("PROSPECTOR_LOG")
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            worker_concurrency: parse(
                "PROSPECTOR_WORKER_CONCURRENCY",
                get("PROSPECTOR_WORKER_CONCURRENCY"),
            )?
            .or(file.worker_concurrency)
            .unwrap_or(4)
            .max(1),
            job_lease_secs: parse(
                "PROSPECTOR_JOB_LEASE_SECS",
                get("PROSPECTOR_JOB_LEASE_SECS"),
            )?
            .or(file.job_lease_secs)
            .unwrap_or(60)
            .max(1),
            outbox_lease_secs: parse(
                "PROSPECTOR_OUTBOX_LEASE_SECS",
                get("PROSPECTOR_OUTBOX_LEASE_SECS"),
            )?
            .or(file.outbox_lease_secs)
            .unwrap_or(300)
            .max(1),
            job_poll_ms: parse("PROSPECTOR_JOB_POLL_MS", get("PROSPECTOR_JOB_POLL_MS"))?
                .or(file.job_poll_ms)
                .unwrap_or(500)
                .max(10),
            shutdown_grace_secs: parse(
                "PROSPECTOR_SHUTDOWN_GRACE_SECS",
                get("PROSPECTOR_SHUTDOWN_GRACE_SECS"),
            )?
            .or(file.shutdown_grace_secs)
            .unwrap_or(20),
            session_days: parse("PROSPECTOR_SESSION_DAYS", get("PROSPECTOR_SESSION_DAYS"))?
                .or(file.session_days)
                .unwrap_or(14)
                .max(1),
            secure_cookies: parse(
                "PROSPECTOR_SECURE_COOKIES",
                get("PROSPECTOR_SECURE_COOKIES"),
            )?
            .or(file.secure_cookies)
            .unwrap_or(secure_default),
            login_max_failures_per_email: parse(
                "PROSPECTOR_LOGIN_MAX_FAILURES_PER_EMAIL",
                get("PROSPECTOR_LOGIN_MAX_FAILURES_PER_EMAIL"),
            )?
            .or(file.login_max_failures_per_email)
            .unwrap_or(5),
            login_max_failures_per_ip: parse(
                "PROSPECTOR_LOGIN_MAX_FAILURES_PER_IP",
                get("PROSPECTOR_LOGIN_MAX_FAILURES_PER_IP"),
            )?
            .or(file.login_max_failures_per_ip)
            .unwrap_or(30),
            login_window_secs: parse(
                "PROSPECTOR_LOGIN_WINDOW_SECS",
                get("PROSPECTOR_LOGIN_WINDOW_SECS"),
            )?
            .or(file.login_window_secs)
            .unwrap_or(900),
            max_body_bytes: parse(
                "PROSPECTOR_MAX_BODY_BYTES",
                get("PROSPECTOR_MAX_BODY_BYTES"),
            )?
            .or(file.max_body_bytes)
            .unwrap_or(64 * 1024 * 1024),
            request_timeout_secs: parse(
                "PROSPECTOR_REQUEST_TIMEOUT_SECS",
                get("PROSPECTOR_REQUEST_TIMEOUT_SECS"),
            )?
            .or(file.request_timeout_secs)
            .unwrap_or(60),
            scan_allow_private: parse(
                "PROSPECTOR_SCAN_ALLOW_PRIVATE",
                get("PROSPECTOR_SCAN_ALLOW_PRIVATE"),
            )?
            .or(file.scan_allow_private)
            .unwrap_or(false),
            ai_base_url: get("PROSPECTOR_AI_BASE_URL").or(file.ai_base_url),
            ai_model: get("PROSPECTOR_AI_MODEL").or(file.ai_model),
            ai_api_key: get("PROSPECTOR_AI_API_KEY").map(Secret),
            ai_provider: get("PROSPECTOR_AI_PROVIDER").or(file.ai_provider),
            ai_prices: prospector_ai::PriceTable::with_overrides(
                &get("PROSPECTOR_AI_PRICES")
                    .or(file.ai_prices)
                    .unwrap_or_default(),
            )
            .map_err(|m| AppError::invalid("ai_prices", format!("PROSPECTOR_AI_PRICES: {m}")))?,
            data_dir,
            config_file,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::invalid("config", format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| AppError::invalid("config", format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_use_sqlite_under_data() {
        let c = Config::load_from(&[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite://./data/"));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.secure_cookies);
    }

    #[test]
    fn env_overrides_and_bad_numbers_are_named() {
        let c = Config::load_from(&vars(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("PROSPECTOR_PUBLIC_URL", "https://p.example.com/"),
        ]))
        .unwrap();
        assert_eq!(c.database_url, "postgres://x/y");
        assert_eq!(c.public_url, "https://p.example.com");
        assert!(c.secure_cookies);
        let err = Config::load_from(&vars(&[("PROSPECTOR_JOB_LEASE_SECS", "soon")])).unwrap_err();
        assert!(err.to_string().contains("PROSPECTOR_JOB_LEASE_SECS"));
    }

    #[test]
    fn toml_file_is_read_and_unknown_keys_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nworker_concurrency = 2\n").unwrap();
        let c = Config::load_from(&vars(&[("PROSPECTOR_CONFIG", path.to_str().unwrap())])).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.worker_concurrency, 2);
        std::fs::write(&path, "bnd = \"x\"\n").unwrap();
        assert!(
            Config::load_from(&vars(&[("PROSPECTOR_CONFIG", path.to_str().unwrap())])).is_err()
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret("abc".into())), "<redacted>");
    }
}
