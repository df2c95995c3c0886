//! Sending over SMTP with a small pool of reused connections.
//!
//! Built on lettre's `AsyncSmtpConnection` (its SMTP codec, EHLO parsing, STARTTLS over the
//! shared rustls stack and AUTH) rather than `AsyncSmtpTransport`, because exactly-once
//! sending needs to know *where* a transaction failed, which the transport's error hides:
//! a failure before the server answered DATA with 354 means nothing was handed over (safe to
//! retry), while a lost connection after the content started to flow means the server may
//! have queued the message (`Uncertain`, never retried automatically). The pool keeps up to
//! `max_connections` sessions open and runs one transaction per session at a time, so a
//! handful of connections carries a large campaign without a TCP and EHLO round trip per
//! message. When the server announces PIPELINING (RFC 2920), MAIL, RCPT and DATA go out in
//! one write, so a message costs two round trips instead of four.

mod config;
mod net;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Noop, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::sync::Semaphore;
use tokio::time::timeout;

pub use config::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGES_PER_CONNECTION,
    DEFAULT_TIMEOUT, SmtpConfig, SmtpCredentials, SmtpUrlError, TlsMode,
};

use super::error::{Accepted, SendError};
use super::message::parse_address;

/// An SMTP account with its connection pool. Cloning shares the pool.
#[derive(Clone)]
pub struct SmtpSender {
    inner: Arc<Inner>,
}

struct Inner {
    config: SmtpConfig,
    client_id: ClientId,
    idle: Mutex<Vec<Pooled>>,
    permits: Semaphore,
}

/// An open, authenticated session and what we know about it.
struct Session {
    conn: AsyncSmtpConnection,
    /// Messages accepted on this session so far.
    sent: u32,
    /// The server announced PIPELINING (lettre's `ServerInfo` does not keep that keyword).
    pipelining: bool,
}

struct Pooled {
    session: Session,
    since: Instant,
}

/// Where in the session something went wrong; decides what a failure means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connect,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The content was being written or its final reply awaited.
    Content,
}

/// A failure inside one step, before it is given a meaning.
enum Failure {
    /// The server answered with a negative reply.
    Reply {
        code: u16,
        text: String,
    },
    /// I/O, protocol or TLS trouble; `tls` when it happened during a TLS handshake.
    Io {
        detail: String,
        tls: bool,
    },
    TimedOut,
    /// The message cannot go through this server at all (checked before MAIL).
    Unsendable(String),
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("server", &self.inner.config.redacted_url())
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(config: SmtpConfig) -> Self {
        let client_id = match &config.hello_name {
            Some(name) => ClientId::Domain(name.clone()),
            None => ClientId::default(),
        };
        let permits = Semaphore::new(config.max_connections.max(1));
        SmtpSender {
            inner: Arc::new(Inner {
                config,
                client_id,
                idle: Mutex::new(Vec::new()),
                permits,
            }),
        }
    }

    pub fn from_url(url: &str) -> Result<Self, SmtpUrlError> {
        Ok(Self::new(SmtpConfig::from_url(url)?))
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.inner.config
    }

    /// Connects, negotiates TLS and AUTH as configured, sends NOOP and QUIT. Returns a
    /// one-line description for the "test connection" button.
    pub async fn test_connection(&self) -> Result<String, SendError> {
        let cfg = &self.inner.config;
        let Session {
            mut conn,
            pipelining,
            ..
        } = self.connect().await?;
        let name = conn.server_info().name().to_owned();
        let encrypted = conn.is_encrypted() || cfg.tls == TlsMode::Tls;
        match timeout(cfg.timeout, conn.command(Noop)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(self.classify(Stage::Mail, failure_from(e, false))),
            Err(_) => return Err(self.classify(Stage::Mail, Failure::TimedOut)),
        }
        let _ = timeout(cfg.timeout, conn.quit()).await;
        let auth = match &cfg.credentials {
            Some(c) => format!(", authenticated as {}", c.username()),
            None => String::new(),
        };
        Ok(format!(
            "connected to {}:{} ({name}), tls={}{}{}{auth}",
            cfg.host,
            cfg.port,
            cfg.tls.as_str(),
            if encrypted { ", encrypted" } else { "" },
            if pipelining { ", pipelining" } else { "" },
        ))
    }

    /// Sends one message to one recipient. `raw` is the complete RFC 5322 message (already
    /// DKIM-signed if it should be). Returns the server's final reply and queue id.
    pub async fn send(
        &self,
        envelope_from: &str,
        to: &str,
        raw: &[u8],
    ) -> Result<Accepted, SendError> {
        let from = parse_address("envelope sender", envelope_from)?;
        let rcpt = parse_address("recipient", to)?;
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::transient(None, "the SMTP sender is shut down"))?;

        let mut retried = false;
        loop {
            let (mut session, reused) = self.checkout().await?;
            match self.transaction(&mut session, &from, &rcpt, raw).await {
                Ok(reply) => {
                    session.sent += 1;
                    self.checkin(session).await;
                    let response = reply_text(&reply);
                    tracing::debug!(server = %self.inner.config.host, to, %response, "smtp accepted");
                    return Ok(Accepted {
                        provider_id: queue_id(&response),
                        response,
                    });
                }
                Err((stage, failure)) => {
                    let stale = stage == Stage::Mail
                        && matches!(
                            failure,
                            Failure::Io { .. } | Failure::Reply { code: 421, .. }
                        );
                    match (&failure, stage) {
                        // 421: the server is closing the session; let it go.
                        (Failure::Reply { code: 421, .. }, _) => {}
                        // Nothing was sent, or the server closed the transaction itself with
                        // its final reply: the session is clean.
                        (Failure::Unsendable(_), _) | (Failure::Reply { .. }, Stage::Content) => {
                            self.checkin(session).await;
                        }
                        // A refused MAIL/RCPT/DATA leaves a half-open transaction: reset it
                        // and keep the session if the server agrees.
                        (Failure::Reply { .. }, _) => {
                            let reset =
                                timeout(self.inner.config.timeout, session.conn.command(Rset));
                            if let Ok(Ok(_)) = reset.await {
                                self.checkin(session).await;
                            }
                        }
                        // Unknown state: drop the session (closing its socket).
                        _ => {}
                    }
                    if stale && reused && !retried {
                        // A pooled session the server closed while idle: nothing was handed
                        // over yet, so one retry on a fresh session is safe.
                        tracing::debug!(server = %self.inner.config.host, "pooled smtp session was closed by the server; reconnecting");
                        retried = true;
                        continue;
                    }
                    let err = self.classify(stage, failure);
                    tracing::warn!(server = %self.inner.config.host, to, ?stage, error = %err, "smtp send failed");
                    return Err(err);
                }
            }
        }
    }

    /// Closes idle sessions politely (QUIT). Sends in flight are not affected.
    pub async fn close(&self) {
        let idle: Vec<Pooled> = match self.inner.idle.lock() {
            Ok(mut g) => g.drain(..).collect(),
            Err(_) => return,
        };
        for mut p in idle {
            let _ = timeout(Duration::from_secs(2), p.session.conn.quit()).await;
        }
    }

    /// Idle sessions currently pooled (for diagnostics and tests).
    pub fn idle_connections(&self) -> usize {
        self.inner.idle.lock().map(|g| g.len()).unwrap_or(0)
    }

    async fn checkout(&self) -> Result<(Session, bool), SendError> {
        let max_idle = self.inner.config.idle_timeout;
        let pooled = self.inner.idle.lock().ok().and_then(|mut idle| {
            while let Some(p) = idle.pop() {
                if p.since.elapsed() <= max_idle {
                    return Some(p);
                }
                // Too old: drop it (closing the socket) rather than risk the server's timeout.
            }
            None
        });
        match pooled {
            Some(p) => Ok((p.session, true)),
            None => Ok((self.connect().await?, false)),
        }
    }

    async fn checkin(&self, mut session: Session) {
        if session.sent >= self.inner.config.max_messages_per_connection
            || session.conn.has_broken()
        {
            let _ = timeout(self.inner.config.timeout, session.conn.quit()).await;
            return;
        }
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.push(Pooled {
                session,
                since: Instant::now(),
            });
        }
    }

    /// Opens a session: TCP (+ TLS), greeting, EHLO, STARTTLS, AUTH.
    async fn connect(&self) -> Result<Session, SendError> {
        let cfg = &self.inner.config;
        let at = format!("{}:{}", cfg.host, cfg.port);
        let tcp = match timeout(cfg.timeout, net::connect_tcp(&cfg.host, cfg.port)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(SendError::transient(
                    None,
                    format!("could not connect to {at}: {e}"),
                ));
            }
            Err(_) => {
                return Err(SendError::transient(
                    None,
                    format!(
                        "connecting to {at} timed out after {}s",
                        cfg.timeout.as_secs()
                    ),
                ));
            }
        };
        let stream: Box<dyn AsyncTokioStream> = if cfg.tls == TlsMode::Tls {
            match timeout(cfg.timeout, net::implicit_tls(tcp, &cfg.host)).await {
                Ok(Ok(tls)) => Box::new(tls),
                Ok(Err(e)) => {
                    return Err(SendError::config(format!(
                        "TLS handshake with {at} failed: {e}. The port may not speak implicit TLS: use tls=starttls (usually port 587) or tls=none for a local relay"
                    )));
                }
                Err(_) => {
                    return Err(SendError::transient(
                        None,
                        format!(
                            "TLS handshake with {at} timed out after {}s",
                            cfg.timeout.as_secs()
                        ),
                    ));
                }
            }
        } else {
            Box::new(tcp)
        };
        let greeting = AsyncSmtpConnection::connect_with_transport(stream, &self.inner.client_id);
        let mut conn = match timeout(cfg.timeout, greeting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(self.classify(Stage::Connect, failure_from(e, false))),
            Err(_) => return Err(self.classify(Stage::Connect, Failure::TimedOut)),
        };

        if cfg.tls == TlsMode::StartTls {
            if !conn.can_starttls() {
                return Err(SendError::config(format!(
                    "{}:{} does not offer STARTTLS; use tls=tls if the port expects implicit TLS (usually 465), or tls=none only for a trusted local relay",
                    cfg.host, cfg.port
                )));
            }
            let params = self.tls_parameters()?;
            match timeout(cfg.timeout, conn.starttls(params, &self.inner.client_id)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(self.classify(Stage::StartTls, failure_from(e, true))),
                Err(_) => return Err(self.classify(Stage::StartTls, Failure::TimedOut)),
            }
        }

        if let Some(creds) = &cfg.credentials {
            let credentials =
                Credentials::new(creds.username().to_owned(), creds.password().to_owned());
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            if !mechanisms
                .iter()
                .any(|m| conn.server_info().supports_auth_mechanism(*m))
            {
                return Err(SendError::config(format!(
                    "{}:{} offers no AUTH PLAIN or LOGIN{}",
                    cfg.host,
                    cfg.port,
                    if conn.is_encrypted() || cfg.tls == TlsMode::Tls {
                        ""
                    } else {
                        " (many servers offer AUTH only after STARTTLS: try tls=starttls)"
                    }
                )));
            }
            match timeout(cfg.timeout, conn.auth(&mechanisms, &credentials)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(self.classify(Stage::Auth, failure_from(e, false))),
                Err(_) => return Err(self.classify(Stage::Auth, Failure::TimedOut)),
            }
        }
        // lettre parses EHLO but keeps only the keywords it uses; ask again to learn whether
        // PIPELINING is on offer (one extra round trip per session, not per message).
        let pipelining = match timeout(
            cfg.timeout,
            conn.command(Ehlo::new(self.inner.client_id.clone())),
        )
        .await
        {
            Ok(Ok(reply)) => reply
                .message()
                .any(|l| l.trim().eq_ignore_ascii_case("PIPELINING")),
            Ok(Err(e)) => return Err(self.classify(Stage::Connect, failure_from(e, false))),
            Err(_) => return Err(self.classify(Stage::Connect, Failure::TimedOut)),
        };
        tracing::debug!(server = %cfg.host, port = cfg.port, tls = cfg.tls.as_str(), pipelining, "smtp session opened");
        Ok(Session {
            conn,
            sent: 0,
            pipelining,
        })
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        TlsParameters::new(self.inner.config.host.clone()).map_err(|e| {
            SendError::config(format!(
                "cannot set up TLS for {}: {e}",
                self.inner.config.host
            ))
        })
    }

    /// MAIL, RCPT, DATA, content. Each step is bounded by the configured timeout.
    async fn transaction(
        &self,
        session: &mut Session,
        from: &Address,
        rcpt: &Address,
        raw: &[u8],
    ) -> Result<Response, (Stage, Failure)> {
        let t = self.inner.config.timeout;
        let conn = &mut session.conn;
        let mut params = Vec::new();
        if !raw.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err((
                    Stage::Mail,
                    Failure::Unsendable(
                        "the message has 8-bit content but the server does not announce 8BITMIME"
                            .into(),
                    ),
                ));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let ascii = |a: &Address| a.user().is_ascii() && a.domain().is_ascii();
        if !ascii(from) || !ascii(rcpt) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err((
                    Stage::Mail,
                    Failure::Unsendable(
                        "an address has non-ASCII characters but the server does not announce SMTPUTF8"
                            .into(),
                    ),
                ));
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        let mail = Mail::new(Some(from.clone()), params);
        let rcpt = Rcpt::new(rcpt.clone(), Vec::new());
        if session.pipelining {
            // One write, three replies, read in order (RFC 2920 3.1: DATA ends the group).
            let batch = Pipelined(format!("{mail}{rcpt}{Data}"));
            // A lost session, or a 421 (the server is closing it), ends the reading early.
            let mail_reply = match reply(t, conn.command(batch)).await {
                Err(f) if session_lost(&f) => return Err((Stage::Mail, f)),
                r => r,
            };
            let rcpt_reply = match reply(t, conn.read_response()).await {
                Err(f) if session_lost(&f) => return Err((Stage::Rcpt, f)),
                r => r,
            };
            let data_reply = reply(t, conn.read_response()).await;
            let refused = match (mail_reply, rcpt_reply) {
                (Err(f), _) => Some((Stage::Mail, f)),
                (Ok(_), Err(f)) => Some((Stage::Rcpt, f)),
                (Ok(_), Ok(_)) => None,
            };
            match (refused, data_reply) {
                (None, Ok(_)) => {}
                (None, Err(f)) => return Err((Stage::Data, f)),
                (Some(refused), Err(_)) => return Err(refused),
                (Some(refused), Ok(_)) => {
                    // A server that answers 354 although it refused the sender or the only
                    // recipient: end the (empty, recipient-less) data so the session stays
                    // in step, then report the refusal.
                    let _ = reply(t, conn.message(b"")).await;
                    return Err(refused);
                }
            }
        } else {
            step(Stage::Mail, t, conn.command(mail)).await?;
            step(Stage::Rcpt, t, conn.command(rcpt)).await?;
            step(Stage::Data, t, conn.command(Data)).await?;
        }
        step(Stage::Content, t, conn.message(raw)).await
    }

    /// Gives a failure its meaning for the outbox (see `SendError`).
    fn classify(&self, stage: Stage, failure: Failure) -> SendError {
        let cfg = &self.inner.config;
        let at = format!("{}:{}", cfg.host, cfg.port);
        match failure {
            Failure::Unsendable(text) => SendError::invalid(text),
            Failure::Reply { code, text } => {
                let reply = text.clone();
                let transient = (400..500).contains(&code);
                match stage {
                    _ if transient => SendError::transient(Some(code), reply),
                    Stage::Connect => {
                        SendError::config(format!("{at} refused the session: {code} {text}"))
                    }
                    Stage::StartTls => {
                        SendError::config(format!("{at} refused STARTTLS: {code} {text}"))
                    }
                    Stage::Auth => {
                        SendError::config(format!("authentication failed at {at}: {code} {text}"))
                    }
                    Stage::Mail | Stage::Rcpt if code == 530 => SendError::config(format!(
                        "{at} requires {} first: {code} {text}",
                        if cfg.tls == TlsMode::None && !text.to_ascii_lowercase().contains("auth") {
                            "STARTTLS (set tls=starttls)"
                        } else {
                            "authentication (add user:password to the SMTP URL)"
                        }
                    )),
                    Stage::Mail => {
                        SendError::config(format!("{at} refused the sender address: {code} {text}"))
                    }
                    Stage::Rcpt | Stage::Data | Stage::Content => {
                        SendError::permanent(Some(code), reply)
                    }
                }
            }
            Failure::TimedOut => match stage {
                Stage::Content => SendError::uncertain(format!(
                    "no final reply from {at} within {}s after the message content was sent; the server may have accepted it",
                    cfg.timeout.as_secs()
                )),
                Stage::Connect => SendError::transient(
                    None,
                    format!(
                        "no SMTP greeting from {at} within {}s{}",
                        cfg.timeout.as_secs(),
                        if cfg.tls == TlsMode::Tls {
                            ""
                        } else {
                            " (if this port expects implicit TLS, usually 465, set tls=tls)"
                        }
                    ),
                ),
                _ => SendError::transient(
                    None,
                    format!("{at} did not answer within {}s", cfg.timeout.as_secs()),
                ),
            },
            Failure::Io { detail, tls } => match stage {
                Stage::Content => SendError::uncertain(format!(
                    "connection to {at} lost after the message content started; the server may have accepted it: {detail}"
                )),
                Stage::StartTls if tls => SendError::config(format!(
                    "TLS handshake after STARTTLS with {at} failed: {detail}. Check that the server's certificate is valid for {}",
                    cfg.host
                )),
                Stage::Connect => {
                    SendError::transient(None, format!("could not connect to {at}: {detail}"))
                }
                _ => SendError::transient(None, format!("connection to {at} failed: {detail}")),
            },
        }
    }
}

fn session_lost(f: &Failure) -> bool {
    matches!(
        f,
        Failure::Io { .. } | Failure::TimedOut | Failure::Reply { code: 421, .. }
    )
}

/// Several commands written at once; lettre's `command` sends any `Display` in one write.
struct Pipelined(String);

impl std::fmt::Display for Pipelined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn reply<F>(t: Duration, fut: F) -> Result<Response, Failure>
where
    F: std::future::Future<Output = Result<Response, lettre::transport::smtp::Error>>,
{
    match timeout(t, fut).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(failure_from(e, false)),
        Err(_) => Err(Failure::TimedOut),
    }
}

async fn step<F>(stage: Stage, t: Duration, fut: F) -> Result<Response, (Stage, Failure)>
where
    F: std::future::Future<Output = Result<Response, lettre::transport::smtp::Error>>,
{
    reply(t, fut).await.map_err(|f| (stage, f))
}

/// Sorts a lettre error into reply / I/O. `during_tls` marks a STARTTLS call, where lettre
/// reports a failed handshake as a connection error.
fn failure_from(e: lettre::transport::smtp::Error, during_tls: bool) -> Failure {
    if let Some(code) = e.status() {
        let text = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        return Failure::Reply {
            code: u16::from(code),
            text,
        };
    }
    let tls = during_tls && e.to_string().starts_with("Connection error");
    Failure::Io {
        detail: error_chain(&e),
        tls,
    }
}

/// The error and its causes on one line (lettre's Display already includes the first cause).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source().and_then(|s| s.source());
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

fn reply_text(r: &Response) -> String {
    let mut out = u16::from(r.code()).to_string();
    for line in r.message() {
        out.push(' ');
        out.push_str(line);
    }
    out
}

/// Extracts the queue id from common final replies: postfix `queued as ABC123`, Exim
/// `id=1abc-000`, or a bare `<id>` as some providers answer.
fn queue_id(reply: &str) -> Option<String> {
    let clean = |s: &str| {
        let s = s.trim_matches(|c: char| {
            c == '<' || c == '>' || c == '.' || c == ',' || c == ')' || c == '('
        });
        (!s.is_empty()).then(|| s.to_owned())
    };
    if let Some(pos) = reply.find("queued as ") {
        return reply[pos + "queued as ".len()..]
            .split_whitespace()
            .next()
            .and_then(clean);
    }
    if let Some(pos) = reply.find("id=") {
        return reply[pos + 3..].split_whitespace().next().and_then(clean);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_queue_ids() {
        assert_eq!(
            queue_id("250 2.0.0 Ok: queued as 4XyZ12"),
            Some("4XyZ12".into())
        );
        assert_eq!(
            queue_id("250 OK id=1tA2bC-000Def-7g"),
            Some("1tA2bC-000Def-7g".into())
        );
        assert_eq!(queue_id("250 Ok"), None);
    }
}
