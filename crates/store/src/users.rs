//! Users: people who log in. Platform admins carry `is_admin`.

use crate::{Db, Result, StoreError, UserId, on_db};
use prospector_core::time::now_ms;
use serde::Serialize;

/// A user row. `password_hash` never leaves the app layer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

/// What may be shown about a user.
#[derive(Debug, Clone, Serialize)]
pub struct PublicUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
}

impl User {
    pub fn uid(&self) -> UserId {
        UserId(self.id)
    }

    pub fn public(&self) -> PublicUser {
        PublicUser {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            is_admin: self.is_admin,
            created_at: self.created_at,
        }
    }
}

const COLS: &str =
    "id, email, name, password_hash, is_admin, disabled, created_at, updated_at, last_login_at";

/// Insert a user; `Conflict` when the email is taken.
pub async fn create(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: &str,
    is_admin: bool,
) -> Result<User> {
    let sql = format!(
        "INSERT INTO users (email, name, password_hash, is_admin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLS}"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, User>(&sql).bind(email).bind(name)
        .bind(password_hash).bind(is_admin).bind(now_ms()).fetch_one(p).await)?,
    )
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users WHERE email = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, User>(&sql).bind(email).fetch_optional(p).await)?)
}

pub async fn get(db: &Db, id: UserId) -> Result<User> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
    on_db!(db, p => sqlx::query_as::<_, User>(&sql).bind(id.0).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await)?)
}

pub async fn list_all(db: &Db, limit: i64) -> Result<Vec<User>> {
    let sql = format!("SELECT {COLS} FROM users ORDER BY id DESC LIMIT $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, User>(&sql).bind(limit).fetch_all(p).await)?)
}

pub async fn set_password(db: &Db, id: UserId, hash: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0).bind(hash).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_name(db: &Db, id: UserId, name: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE users SET name = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0).bind(name).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_admin(db: &Db, id: UserId, is_admin: bool) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE users SET is_admin = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0).bind(is_admin).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn touch_login(db: &Db, id: UserId) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .bind(id.0).bind(now_ms()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}
