//! Keys and secrets: the instance key (sessions, encryption of provider secrets at rest with
//! AES-256-GCM), random tokens, password hashing with argon2id, and SHA-256 for token lookup.

use crate::{AppError, Config};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The instance's secret key material.
#[derive(Clone)]
pub struct Keys {
    master: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// From configuration, else from `DATA_DIR/secret.key`, else generate that file (with a
    /// warning: losing it makes encrypted provider secrets unreadable).
    pub fn load_or_create(config: &Config) -> Result<Keys, AppError> {
        if !config.secret_key.0.is_empty() {
            return Keys::parse(&config.secret_key.0).map_err(|m| {
                AppError::invalid("secret_key", format!("PROSPECTOR_SECRET_KEY: {m}"))
            });
        }
        let path = config.data_dir.join("secret.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Keys::parse(text.trim())
                .map_err(|m| AppError::invalid("secret_key", format!("{}: {m}", path.display())));
        }
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            AppError::Internal(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let encoded = hex::encode(key);
        write_private(&path, &encoded)
            .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))?;
        tracing::warn!(
            path = %path.display(),
            "no PROSPECTOR_SECRET_KEY given: generated one; back this file up, it encrypts provider secrets"
        );
        Ok(Keys { master: key })
    }

    /// Accept 64 hex characters or base64 of 32 bytes.
    pub fn parse(s: &str) -> Result<Keys, String> {
        let bytes = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(s).map_err(|e| e.to_string())?
        } else {
            STANDARD
                .decode(s)
                .map_err(|_| "expected 64 hex characters or base64 of 32 bytes".to_string())?
        };
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the key must be exactly 32 bytes".to_string())?;
        Ok(Keys { master })
    }

    /// A fixed key for tests.
    pub fn for_tests() -> Keys {
        Keys { master: [7u8; 32] }
    }

    fn subkey(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.master);
        h.update(purpose.as_bytes());
        h.finalize().into()
    }

    /// Encrypt a provider secret for storage: `v1:` + base64(nonce || ciphertext).
    pub fn encrypt(&self, plaintext: &str) -> Result<String, AppError> {
        let cipher = Aes256Gcm::new_from_slice(&self.subkey("secrets-at-rest"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| AppError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1:{}", STANDARD.encode(out)))
    }

    /// Decrypt what `encrypt` produced; a wrong key or tampering is an error, never garbage.
    pub fn decrypt(&self, stored: &str) -> Result<String, AppError> {
        let body = stored
            .strip_prefix("v1:")
            .ok_or_else(|| AppError::Internal("unknown secret format".into()))?;
        let raw = STANDARD
            .decode(body)
            .map_err(|_| AppError::Internal("corrupt stored secret".into()))?;
        if raw.len() < 13 {
            return Err(AppError::Internal("corrupt stored secret".into()));
        }
        let (nonce, ct) = raw.split_at(12);
        let cipher = Aes256Gcm::new_from_slice(&self.subkey("secrets-at-rest"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let pt = cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| {
            AppError::Internal(
                "stored secret cannot be decrypted (was the secret key changed?)".into(),
            )
        })?;
        String::from_utf8(pt).map_err(|_| AppError::Internal("corrupt stored secret".into()))
    }
}

fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")
}

/// A random URL-safe token with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random token that sorts by creation time: the current UTC millisecond in 12 hex digits,
/// then `bytes` random bytes. For tokens kept under a unique index and created in bulk (a
/// message's unsubscribe token): purely random keys land on a different index page each, so
/// a batch of 250 messages rewrote 250 pages of that index at every commit; these append.
/// The prefix tells only when the token was made, which its message says anyway.
pub fn ordered_token(bytes: usize) -> String {
    let ms = u64::try_from(prospector_core::time::now_ms()).unwrap_or(0);
    format!("{ms:012x}{}", random_token(bytes))
}

/// Hex SHA-256, used to store tokens so a database leak does not leak credentials.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time string equality, for CSRF tokens and signatures.
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Hash a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

/// Check a password against a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trip_and_tamper() {
        let k = Keys::for_tests();
        let s = k.encrypt("sk-live-123").unwrap();
        assert!(s.starts_with("v1:"));
        assert_eq!(k.decrypt(&s).unwrap(), "sk-live-123");
        let other = Keys::parse(&"ab".repeat(32)).unwrap();
        assert!(other.decrypt(&s).is_err());
        let mut bad = s.clone();
        bad.pop();
        bad.push('A');
        assert!(k.decrypt(&bad).is_err() || k.decrypt(&bad).ok().as_deref() != Some("sk-live-123"));
    }

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not-a-hash"));
    }

    #[test]
    fn key_parsing() {
        assert!(Keys::parse("short").is_err());
        assert!(Keys::parse(&"0f".repeat(32)).is_ok());
    }
}
