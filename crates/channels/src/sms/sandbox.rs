//! An in-memory Twilio: for `prospector demo` and tests of callers. It applies the real
//! client's checks, counts segments, refuses numbers that sent STOP (21610, as Twilio
//! does), can fail the Nth attempt, and builds the status callbacks Twilio would send.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::client::{MAX_BODY_CHARS, SmsSent, check_e164};
use super::error::{SmsError, SmsErrorClass, SmsReason};
use super::segments::{SmsEncoding, segments};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSms {
    pub seq: u64,
    /// `SM` + 32 hex digits, like a real message SID.
    pub sid: String,
    pub to: String,
    pub body: String,
    pub status_callback_url: Option<String>,
    pub encoding: SmsEncoding,
    pub segments: u32,
}

/// Cloning shares the state.
#[derive(Debug, Clone, Default)]
pub struct SmsSandbox {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    attempts: u64,
    sent: Vec<SandboxSms>,
    failures: BTreeMap<u64, SmsError>,
    stopped: BTreeSet<String>,
}

impl SmsSandbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the `n`th send attempt (1-based, failed attempts included) fail with `error`.
    pub fn fail_nth(&self, n: u64, error: SmsError) {
        self.lock().failures.insert(n, error);
    }

    /// Records that `number` replied STOP: later sends fail with 21610 until [`Self::start`].
    pub fn stop(&self, number: &str) {
        self.lock().stopped.insert(number.to_owned());
    }

    pub fn start(&self, number: &str) {
        self.lock().stopped.remove(number);
    }

    pub fn sent(&self) -> Vec<SandboxSms> {
        self.lock().sent.clone()
    }

    pub fn sent_count(&self) -> usize {
        self.lock().sent.len()
    }

    pub fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    pub async fn send(
        &self,
        to: &str,
        body: &str,
        status_callback_url: Option<&str>,
    ) -> Result<SmsSent, SmsError> {
        let mut s = self.lock();
        s.attempts += 1;
        let attempt = s.attempts;
        if let Some(err) = s.failures.remove(&attempt) {
            return Err(err);
        }
        check_e164(to)?;
        if body.trim().is_empty() {
            return Err(SmsError::invalid("the SMS body is empty"));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(SmsError::invalid(format!(
                "the SMS body is longer than {MAX_BODY_CHARS} characters"
            )));
        }
        if s.stopped.contains(to) {
            return Err(SmsError::new(
                SmsErrorClass::Permanent,
                SmsReason::Unsubscribed,
                Some(21610),
                "Attempt to send to unsubscribed recipient",
            ));
        }
        let (encoding, n) = segments(body);
        let seq = s.sent.len() as u64 + 1;
        let sid = format!("SM{seq:032x}");
        s.sent.push(SandboxSms {
            seq,
            sid: sid.clone(),
            to: to.to_owned(),
            body: body.to_owned(),
            status_callback_url: status_callback_url.map(str::to_owned),
            encoding,
            segments: n,
        });
        Ok(SmsSent {
            sid: Some(sid),
            status: Some("queued".into()),
            num_segments: Some(n),
            price: None,
            price_unit: Some("USD".into()),
            error_code: None,
            date_created: None,
        })
    }

    /// The form body of the status callback Twilio would post for `sid`
    /// (`ErrorCode` only on `undelivered`/`failed`).
    pub fn status_callback_body(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
    ) -> Option<String> {
        let s = self.lock();
        let m = s.sent.iter().find(|m| m.sid == sid)?;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        if let Some(code) = error_code {
            form.append_pair("ErrorCode", &code.to_string());
        }
        form.append_pair("SmsSid", sid)
            .append_pair("SmsStatus", status)
            .append_pair("MessageStatus", status)
            .append_pair("To", &m.to)
            .append_pair("MessageSid", sid)
            .append_pair("AccountSid", "AC00000000000000000000000000000000")
            .append_pair("From", "+15550100000")
            .append_pair("ApiVersion", "2010-04-01");
        Some(form.finish())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::webhook::{SmsStatus, parse_status_callback};

    #[tokio::test]
    async fn records_stops_and_builds_callbacks() {
        let sb = SmsSandbox::new();
        sb.fail_nth(
            1,
            SmsError::new(
                SmsErrorClass::Transient,
                SmsReason::RateLimited,
                Some(20429),
                "Too Many Requests",
            ),
        );
        assert!(
            sb.send("+15558675310", "Hi", None)
                .await
                .expect_err("first")
                .is_retryable()
        );
        let ok = sb
            .send(
                "+15558675310",
                "Hi 😀",
                Some("https://app.example/hooks/sms/status"),
            )
            .await
            .expect("sent");
        assert_eq!(ok.num_segments, Some(1));
        let sid = ok.sid.expect("sid");
        assert_eq!(sid.len(), 34);
        let body = sb
            .status_callback_body(&sid, "undelivered", Some(30003))
            .expect("known");
        let cb = parse_status_callback(body.as_bytes()).expect("parse");
        assert_eq!(cb.status, SmsStatus::Undelivered);
        assert_eq!(cb.error_code, Some(30003));
        sb.stop("+15558675310");
        assert_eq!(
            sb.send("+15558675310", "Hi", None)
                .await
                .expect_err("stopped")
                .reason(),
            SmsReason::Unsubscribed
        );
        assert!(matches!(
            sb.send("555", "Hi", None).await,
            Err(SmsError::Invalid { .. })
        ));
        assert_eq!(sb.sent()[0].encoding, SmsEncoding::Ucs2);
    }
}
