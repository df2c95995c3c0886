//! The database. One `Db` handle over SQLite (embedded default) and PostgreSQL (scale-out),
//! the same SQL text for both, one module per aggregate. Every query that reads or writes
//! tenant data takes a [`WorkspaceId`]. No business rules live here.

pub mod audit;
pub mod companies;
pub mod contacts;
pub mod db;
pub mod error;
pub mod facts;
pub mod imports;
pub mod invitations;
pub mod jobs;
pub mod login_attempts;
pub mod memberships;
pub mod query;
pub mod scores;
pub mod sessions;
pub mod suppressions;
pub mod tags;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod workspaces;

pub use db::{Backend, Db};
pub use error::StoreError;
pub use prospector_core::ids::{
    CompanyId, ContactId, ImportId, JobId, TokenId, UserId, WorkspaceId,
};

/// Result of a store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
