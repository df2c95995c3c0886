//! Use cases that tie `core`, `store` and the providers together. The web layer and the CLI
//! call only this crate. Holds configuration, the error type mapped to HTTP by `web`, and the
//! background worker with its scheduler.

pub mod accounts;
pub mod audit;
pub mod config;
pub mod contacts;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod fixtures;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod messaging;
pub mod notifications;
pub mod outreach;
pub mod scans;
pub mod scoring;
pub mod testing;
pub mod workspaces;

pub use config::Config;
pub use error::AppError;
pub use prospector_core as core;
pub use prospector_store as store;

use prospector_store::Db;
use std::sync::Arc;

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

/// The application: configuration, database and keys. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Db,
    keys: crypto::Keys,
    transports: outreach::senders::TransportCache,
}

impl App {
    /// Connect to the configured database, apply migrations unless told not to, load keys.
    pub async fn start(config: Config, migrate: bool) -> AppResult<App> {
        // The data dir holds the SQLite file, uploads and the generated key; make it first.
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            AppError::Internal(format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            ))
        })?;
        let keys = crypto::Keys::load_or_create(&config)?;
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        if migrate {
            db.migrate().await?;
        }
        tracing::info!(backend = ?db.backend(), "database ready");
        Ok(App {
            inner: Arc::new(Inner {
                config,
                db,
                keys,
                transports: Default::default(),
            }),
        })
    }

    /// Build from parts (tests that bring their own database).
    pub fn from_parts(config: Config, db: Db, keys: crypto::Keys) -> App {
        App {
            inner: Arc::new(Inner {
                config,
                db,
                keys,
                transports: Default::default(),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Built email transports per sender (SMTP connection pools live here).
    pub fn transports(&self) -> &outreach::senders::TransportCache {
        &self.inner.transports
    }

    pub fn keys(&self) -> &crypto::Keys {
        &self.inner.keys
    }
}

/// Who is doing something, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<prospector_core::ids::UserId>,
    /// An email, "token:NAME", "cli" or "system".
    pub label: String,
    pub ip: String,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            label: "system".into(),
            ip: String::new(),
        }
    }

    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            label: "cli".into(),
            ip: String::new(),
        }
    }
}

/// An authenticated member acting inside one workspace. Built only by the web extractors and
/// the CLI after checking membership, so holding one means the workspace id is trusted.
#[derive(Debug, Clone)]
pub struct WsCtx {
    pub ws: prospector_core::ids::WorkspaceId,
    pub slug: String,
    pub name: String,
    pub role: prospector_core::role::Role,
    pub actor: Actor,
}

impl WsCtx {
    /// Fail with `Forbidden` unless the member's role allows `p`.
    pub fn require(&self, p: prospector_core::role::Permission) -> AppResult<()> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "your role ({}) does not allow this; ask an owner or admin",
                self.role
            )))
        }
    }
}
