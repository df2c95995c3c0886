//! The `Db` handle: an enum over the two native sqlx pools, and the `on_db!` macro that runs
//! the same query text on whichever is active (the vaultwarden pattern).

use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Which database engine a `Db` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pooled connection to SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run `$body` with `$pool` bound to the active native pool. The body is compiled once per
/// backend, so the same SQL text is type-checked against both drivers.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Run `$body` inside a transaction; `$tx` is a `&mut` connection usable as an executor.
/// Commits when the body returns `Ok`, rolls back otherwise.
#[macro_export]
macro_rules! in_tx {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(pool) => {
                let mut guard = pool.begin().await?;
                let $tx = &mut *guard;
                let out = $body;
                if out.is_ok() {
                    guard.commit().await?;
                }
                out
            }
            $crate::Db::Postgres(pool) => {
                let mut guard = pool.begin().await?;
                let $tx = &mut *guard;
                let out = $body;
                if out.is_ok() {
                    guard.commit().await?;
                }
                out
            }
        }
    };
}

impl Db {
    /// Connect to `url`: `sqlite://path?mode=rwc` or `postgres://...`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        Self::connect_with(url, max_connections, 32 * 1024, false).await
    }

    /// One connection of its own for a bulk job (an import): on SQLite its 64 MB page cache
    /// stays warm for the whole run instead of being spread over a pool's connections, which
    /// made imports twice as slow. Its statement journals stay in memory: every multi-row
    /// INSERT into a table with FTS triggers journals each page it changes, and with the
    /// default temp_store that meant a write to a temporary file per page.
    pub async fn connect_bulk(url: &str) -> Result<Db> {
        Self::connect_with(url, 1, 64 * 1024, true).await
    }

    async fn connect_with(
        url: &str,
        max_connections: u32,
        cache_kib: u32,
        bulk: bool,
    ) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("bad SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // sqlx's worker thread hands rows over through a channel of this size and
                // stops when it is full: at the default 50 a 500-row read (a campaign's render
                // contexts) hands over ten times, each a thread wake-up. With 1,024 a
                // 100,000-message send made 170,000 futex calls instead of 500,000.
                .row_buffer_size(1024)
                // A larger page cache than SQLite's 2 MB, and checkpoints every 40 MB of WAL
                // instead of 4 MB: bulk imports update index pages all over the file, and each
                // page is then copied back once instead of many times.
                .pragma("cache_size", format!("-{cache_kib}"))
                .pragma("wal_autocheckpoint", "10000");
            let opts = if bulk {
                opts.pragma("temp_store", "MEMORY")
            } else {
                // Pages read through a memory map instead of a read() each: every pooled
                // connection's own page cache starts cold whenever another one has written,
                // and with a planner and two outbox lanes taking turns that was 440,000 reads
                // per 100,000 messages sent (160,000 with the map). Not for a bulk import's
                // one connection, whose warm cache holds what it needs and whose memory is
                // counted against the import's budget.
                opts.pragma("mmap_size", "268435456")
            };
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::Config(format!(
                "DATABASE_URL must start with sqlite: or postgres:, got '{}'",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Apply pending migrations for the active backend.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Close all connections (used on shutdown and by tests that simulate an outage).
    pub async fn close(&self) {
        on_db!(self, p => p.close().await)
    }

    /// Table name -> sorted column names, to check both backends' schemas stay in step.
    pub async fn schema_summary(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> =
            match self {
                Db::Sqlite(p) => {
                    sqlx::query_as(
                        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                     AND m.name NOT LIKE '_sqlx%' AND m.name NOT LIKE '%_fts%' ORDER BY 1, 2",
                    )
                    .fetch_all(p)
                    .await?
                }
                Db::Postgres(p) => sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
                     ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?,
            };
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (t, c) in rows {
            match out.last_mut() {
                Some((last, cols)) if *last == t => cols.push(c),
                _ => out.push((t, vec![c])),
            }
        }
        Ok(out)
    }
}
