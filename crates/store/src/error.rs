//! Store errors, with unique-key violations told apart so callers can name the field.

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row that must be unique already exists; `constraint` names the column(s).
    #[error("already exists: {constraint}")]
    Conflict { constraint: String },
    /// The row was not found (or belongs to another workspace, which is the same to callers).
    #[error("not found")]
    NotFound,
    /// A stored value could not be understood (corrupt JSON, unknown enum).
    #[error("invalid stored data: {0}")]
    Corrupt(String),
    /// The database URL or configuration is wrong.
    #[error("database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                constraint: db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| unique_columns(db.message())),
            },
            _ => StoreError::Sqlx(e),
        }
    }
}

/// SQLite reports "UNIQUE constraint failed: users.email"; keep the column part.
fn unique_columns(message: &str) -> String {
    message
        .rsplit_once(": ")
        .map(|(_, cols)| cols.to_string())
        .unwrap_or_else(|| message.to_string())
}

impl StoreError {
    /// Whether trying again soon may work: SQLite's write lock still taken after the busy
    /// timeout (`SQLITE_BUSY`, code 5, or `SQLITE_LOCKED`, 6, with extended codes), a
    /// PostgreSQL serialization failure or deadlock, or a connection that went away.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(db)) => {
                let code = db.code().unwrap_or_default();
                let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(-1);
                matches!(primary, 5 | 6) || code == "40001" || code == "40P01"
            }
            StoreError::Sqlx(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => true,
            _ => false,
        }
    }

    /// Whether this is a unique violation touching `column` (e.g. "email" or "users.email").
    pub fn is_conflict_on(&self, column: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lock_and_connection_errors_are_transient() {
        assert!(StoreError::Sqlx(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::NotFound.is_transient());
        assert!(!StoreError::Corrupt("x".into()).is_transient());
        assert!(
            !StoreError::Conflict {
                constraint: "email".into()
            }
            .is_transient()
        );
    }
}
