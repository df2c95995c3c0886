//! A sender that keeps messages in memory: for `prospector demo` (works offline) and for
//! tests of callers, which can inspect what was sent and make the Nth attempt fail.
//!
//! It applies the same checks as the real senders (the message is fully built), so a
//! message that works in the sandbox is one a real provider would be given.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::error::{Accepted, SendError};
use super::message::{OutgoingEmail, build_message};

/// One message the sandbox accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxMessage {
    /// 1-based position among accepted messages.
    pub seq: u64,
    /// `sandbox-{seq}`, as returned in [`Accepted::provider_id`].
    pub provider_id: String,
    pub email: OutgoingEmail,
    /// The RFC 5322 bytes, as an SMTP server would have received them.
    pub raw: Vec<u8>,
}

/// Cloning shares the recorded messages, so a test keeps one handle and gives another to
/// the code under test.
#[derive(Debug, Clone, Default)]
pub struct SandboxSender {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    attempts: u64,
    sent: Vec<SandboxMessage>,
    failures: BTreeMap<u64, SendError>,
}

impl SandboxSender {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the `n`th send attempt (1-based, counted from creation, failed attempts
    /// included) fail with `error` instead of being recorded.
    pub fn fail_nth(&self, n: u64, error: SendError) {
        self.lock().failures.insert(n, error);
    }

    /// Everything accepted so far, in order.
    pub fn sent(&self) -> Vec<SandboxMessage> {
        self.lock().sent.clone()
    }

    pub fn sent_count(&self) -> usize {
        self.lock().sent.len()
    }

    /// Send attempts so far, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    /// How many accepted messages carry this Message-ID (duplicate detection in tests).
    pub fn count_message_id(&self, message_id: &str) -> usize {
        self.lock()
            .sent
            .iter()
            .filter(|m| m.email.message_id == message_id)
            .count()
    }

    /// Forgets recorded messages and pending failures; the attempt counter keeps counting.
    pub fn clear(&self) {
        let mut s = self.lock();
        s.sent.clear();
        s.failures.clear();
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<Accepted, SendError> {
        let mut s = self.lock();
        s.attempts += 1;
        let attempt = s.attempts;
        if let Some(err) = s.failures.remove(&attempt) {
            tracing::debug!(attempt, error = %err, "sandbox failing this attempt as told");
            return Err(err);
        }
        let raw = build_message(email)?;
        let seq = s.sent.len() as u64 + 1;
        let provider_id = format!("sandbox-{seq}");
        s.sent.push(SandboxMessage {
            seq,
            provider_id: provider_id.clone(),
            email: email.clone(),
            raw,
        });
        Ok(Accepted {
            response: format!("250 accepted by the sandbox as {provider_id}"),
            provider_id: Some(provider_id),
        })
    }

    pub async fn test_connection(&self) -> Result<String, SendError> {
        Ok("sandbox sender: messages are kept in memory and never leave this process".into())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(n: u32) -> OutgoingEmail {
        OutgoingEmail {
            from_name: "Ana".into(),
            from_email: "ana@sender.example".into(),
            reply_to: None,
            to_name: None,
            to_email: format!("c{n}@example.com"),
            subject: "Hi".into(),
            text: "Hello".into(),
            html: None,
            message_id: format!("<m{n}@sender.example>"),
            list_unsubscribe: None,
            extra_headers: vec![],
        }
    }

    #[tokio::test]
    async fn records_and_fails_on_request() {
        let sandbox = SandboxSender::new();
        let handle = sandbox.clone();
        sandbox.fail_nth(2, SendError::transient(Some(421), "try later"));
        let a = sandbox.send(&email(1)).await.expect("first accepted");
        assert_eq!(a.provider_id.as_deref(), Some("sandbox-1"));
        let err = sandbox.send(&email(2)).await.expect_err("second fails");
        assert_eq!(err.code(), Some(421));
        let b = sandbox.send(&email(2)).await.expect("retry accepted");
        assert_eq!(b.provider_id.as_deref(), Some("sandbox-2"));
        assert_eq!(handle.sent_count(), 2);
        assert_eq!(handle.attempts(), 3);
        assert_eq!(handle.count_message_id("<m2@sender.example>"), 1);
        let raw = String::from_utf8(handle.sent()[0].raw.clone()).expect("utf8");
        assert!(raw.contains("Message-ID: <m1@sender.example>"));

        let mut bad = email(3);
        bad.to_email = "nope".into();
        assert!(matches!(
            sandbox.send(&bad).await,
            Err(SendError::Invalid { .. })
        ));
    }
}
