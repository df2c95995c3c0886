//! Reading a mailbox over IMAP: replies, bounces and auto-replies arrive here.
//!
//! Built on async-imap (its response parser, LOGIN/AUTHENTICATE and IDLE) over our own
//! socket (plain, implicit TLS or STARTTLS with rustls), with the commands that matter for
//! exactly-once reading written here so that every tagged NO/BAD, lost connection and
//! timeout becomes an [`ImapError`] instead of an early end of a result stream.
//!
//! The position in a mailbox is a [`MailboxState`]: UIDVALIDITY and the highest UID already
//! handed to the caller. [`ImapClient::fetch_new`] returns only messages above it, in UID
//! order, and the state to save *after* the caller has stored them, so a crash between the
//! two reprocesses at most one batch (the caller deduplicates on Message-ID) and a restart
//! never reprocesses old mail. A changed UIDVALIDITY means the server renumbered the mailbox:
//! the UIDs we saved mean nothing any more, so the poll starts over from the mailbox's
//! current end (`reset: true`) rather than re-reading everything as new.
//!
//! Nothing is ever changed on the server: the mailbox is opened with EXAMINE (read-only, so
//! not even `\Recent` is consumed) and bodies are fetched with `BODY.PEEK[]`, which leaves
//! `\Seen` alone. A message larger than the caller's cap is fetched partially
//! (`BODY.PEEK[]<0.N>`), so a 30 MB attachment costs N bytes of memory, not 30 MB.

mod config;
mod net;
mod utf7;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use async_imap::error::Error as LibError;
use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{
    AttributeValue, Capability, MailboxDatum, Response, ResponseCode, Status,
};
use async_imap::types::UnsolicitedResponse;
use async_imap::{Authenticator, Client, Connection, Session};
use tokio::io::AsyncWriteExt;

pub use config::{DEFAULT_MAILBOX, DEFAULT_TIMEOUT, ImapConfig, ImapUrlError};

use crate::email::smtp::TlsMode;
use net::ImapStream;

/// RFC 2177: clients should re-issue IDLE at least every 29 minutes.
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);
/// Small messages are fetched together, up to this many bytes or UIDs per command.
const BATCH_BYTES: u64 = 8 * 1024 * 1024;
const BATCH_UIDS: usize = 100;

/// Where the reader is in one mailbox. Save both numbers together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MailboxState {
    /// The mailbox's UIDVALIDITY; UIDs are only comparable while it stays the same.
    pub uidvalidity: u32,
    /// The highest UID already handed over; the next poll returns UIDs above it.
    pub last_uid: u32,
}

/// One message as the server stores it, possibly cut at the caller's cap.
#[derive(Clone, PartialEq, Eq)]
pub struct RawInbound {
    pub uid: u32,
    /// The RFC 5322 message (headers and body), at most `max_bytes_per_message` long.
    pub raw: Vec<u8>,
    /// The message was larger than the cap and `raw` holds only its beginning.
    pub truncated: bool,
    /// The full size on the server (RFC822.SIZE).
    pub size: u32,
}

impl fmt::Debug for RawInbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawInbound")
            .field("uid", &self.uid)
            .field("size", &self.size)
            .field("raw_len", &self.raw.len())
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// The result of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Save this after the messages are stored; pass it to the next poll.
    pub state: MailboxState,
    /// New messages in UID order.
    pub messages: Vec<RawInbound>,
    /// UIDVALIDITY changed: nothing was fetched and `state` now points at the mailbox's
    /// current end. Worth a line in the sender's log.
    pub reset: bool,
    /// More new messages than `max_messages` were waiting; poll again soon.
    pub more: bool,
}

/// Why [`ImapClient::idle_wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported a new message (or the mailbox changed under a saved state).
    NewMail,
    /// Nothing arrived in time (or the server has no IDLE and we slept instead).
    Timeout,
}

/// What went wrong talking to the IMAP server. Every variant carries a sentence for the
/// sender's page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached, refused the connection, or dropped it.
    #[error("IMAP connection problem: {0}")]
    Connect(String),
    /// TLS could not be set up (no STARTTLS offered, handshake or certificate failure).
    #[error("IMAP TLS problem: {0}")]
    Tls(String),
    /// The server refused the username or password.
    #[error("IMAP login failed: {0}")]
    Auth(String),
    /// The server answered something we cannot use (NO/BAD to a command, missing
    /// UIDVALIDITY, a mailbox that does not exist).
    #[error("IMAP protocol problem: {0}")]
    Protocol(String),
    /// The server did not answer within the configured timeout.
    #[error("IMAP server timed out: {0}")]
    Timeout(String),
}

impl ImapError {
    /// A stable short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ImapError::Connect(_) => "connect",
            ImapError::Tls(_) => "tls",
            ImapError::Auth(_) => "auth",
            ImapError::Protocol(_) => "protocol",
            ImapError::Timeout(_) => "timeout",
        }
    }

    /// Connection trouble and timeouts usually pass; TLS, login and protocol problems need
    /// someone to fix the mailbox settings.
    pub fn is_transient(&self) -> bool {
        matches!(self, ImapError::Connect(_) | ImapError::Timeout(_))
    }
}

/// One mailbox account. Keeps its connection open between calls (a poll every minute
/// reuses it) and reconnects by itself when the server dropped it.
pub struct ImapClient {
    config: ImapConfig,
    conn: Option<Conn>,
    /// The state the last `fetch_new` returned, so `idle_wait` can tell whether mail
    /// arrived between the poll and the IDLE.
    cursor: Option<MailboxState>,
}

impl fmt::Debug for ImapClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapClient")
            .field("server", &self.config.redacted_url())
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

/// An authenticated session with the mailbox opened read-only.
struct Conn {
    session: Session<ImapStream>,
    tags: u32,
    timeout: Duration,
    idle: bool,
    encrypted: bool,
    selected: Selected,
}

#[derive(Debug, Clone, Copy)]
struct Selected {
    uidvalidity: u32,
    uid_next: Option<u32>,
    exists: u32,
}

impl ImapClient {
    pub fn new(config: ImapConfig) -> Self {
        ImapClient {
            config,
            conn: None,
            cursor: None,
        }
    }

    pub fn from_url(url: &str) -> Result<Self, ImapUrlError> {
        Ok(Self::new(ImapConfig::from_url(url)?))
    }

    pub fn config(&self) -> &ImapConfig {
        &self.config
    }

    /// Connects, negotiates TLS, logs in and opens the mailbox on a fresh connection, then
    /// logs out. Returns a one-line description for the "test connection" button.
    pub async fn test_connection(&mut self) -> Result<String, ImapError> {
        self.conn = None;
        let mut conn = connect(&self.config).await?;
        let s = conn.selected;
        let report = format!(
            "connected to {} (tls={}{}), logged in as {}; mailbox {:?}: {} messages, UIDVALIDITY {}{}; {}",
            self.config.address(),
            self.config.tls.as_str(),
            if conn.encrypted { ", encrypted" } else { "" },
            self.config.username,
            self.config.mailbox,
            s.exists,
            s.uidvalidity,
            s.uid_next
                .map(|n| format!(", UIDNEXT {n}"))
                .unwrap_or_default(),
            if conn.idle {
                "IDLE supported"
            } else {
                "no IDLE (polling only)"
            },
        );
        conn.logout().await;
        Ok(report)
    }

    /// The mailbox's current end, for starting to read a mailbox without its history.
    pub async fn current_state(&mut self) -> Result<MailboxState, ImapError> {
        let result = async {
            let conn = self.ready(true).await?;
            let last_uid = conn.last_uid().await?;
            Ok(MailboxState {
                uidvalidity: conn.selected.uidvalidity,
                last_uid,
            })
        }
        .await;
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    /// Returns the messages above `state` (all of them when `state` is `None`), at most
    /// `max_messages`, each cut at `max_bytes_per_message`. See the module docs.
    pub async fn fetch_new(
        &mut self,
        state: Option<MailboxState>,
        max_messages: usize,
        max_bytes_per_message: usize,
    ) -> Result<Fetched, ImapError> {
        let max_messages = max_messages.max(1);
        let max_bytes = max_bytes_per_message.clamp(1, u32::MAX as usize);
        let result = async {
            let conn = self.ready(true).await?;
            conn.fetch_new(state, max_messages, max_bytes).await
        }
        .await;
        match &result {
            Ok(f) => self.cursor = Some(f.state),
            Err(_) => self.conn = None,
        }
        result
    }

    /// Waits until the server reports new mail or `timeout` passes. Uses IDLE when the
    /// server announces it; otherwise sleeps for `timeout`. Either way the caller polls with
    /// [`fetch_new`](Self::fetch_new) afterwards; a spurious wake-up costs one empty poll.
    pub async fn idle_wait(&mut self, timeout: Duration) -> Result<IdleOutcome, ImapError> {
        let cursor = self.cursor;
        let conn = match self.ready(false).await {
            Ok(c) => c,
            Err(e) => {
                self.conn = None;
                return Err(e);
            }
        };
        if !conn.idle {
            tokio::time::sleep(timeout).await;
            return Ok(IdleOutcome::Timeout);
        }
        let Some(conn) = self.conn.take() else {
            return Err(ImapError::Protocol("no connection".into()));
        };
        let (conn, outcome) = conn.idle(cursor, timeout).await?;
        self.conn = Some(conn);
        Ok(outcome)
    }

    /// Whether the open connection's server announced IDLE (RFC 2177); `None` before the
    /// first successful call. The poller idles only when this is `Some(true)`: a server
    /// without IDLE is simply polled again on the next schedule.
    pub fn supports_idle(&self) -> Option<bool> {
        self.conn.as_ref().map(|c| c.idle)
    }

    /// Logs out and closes the connection (a later call reconnects).
    pub async fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.logout().await;
        }
    }

    /// The open connection, checked: an existing one is refreshed with EXAMINE (`refresh`)
    /// or probed with NOOP; when it turns out dead, one new connection is made.
    async fn ready(&mut self, refresh: bool) -> Result<&mut Conn, ImapError> {
        if let Some(mut conn) = self.conn.take() {
            let probe = if refresh {
                conn.examine(&self.config.mailbox).await
            } else {
                conn.noop().await
            };
            match probe {
                Ok(()) => return Ok(self.conn.insert(conn)),
                Err(e) if e.is_transient() => {
                    tracing::debug!(error = %e, "imap connection was dropped; reconnecting");
                }
                Err(e) => return Err(e),
            }
        }
        let conn = connect(&self.config).await?;
        Ok(self.conn.insert(conn))
    }
}

/// Runs `fut` with the configured limit, naming the step in the error.
async fn limit<T>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(ImapError::Timeout(format!(
            "{what}: no answer within {}s",
            timeout.as_secs_f32()
        ))),
    }
}

async fn connect(cfg: &ImapConfig) -> Result<Conn, ImapError> {
    let at = cfg.address();
    let t = cfg.timeout;
    let tcp = limit(t, &format!("connecting to {at}"), async {
        net::connect_tcp(&cfg.host, cfg.port)
            .await
            .map_err(|e| ImapError::Connect(format!("could not connect to {at}: {e}")))
    })
    .await?;
    let stream = if cfg.tls == TlsMode::Tls {
        limit(t, &format!("TLS handshake with {at}"), async {
            net::tls_handshake(tcp, &cfg.host).await.map_err(|e| {
                let hint = if e.contains("certificate") {
                    "the server's certificate is not trusted (self-signed, expired, or for another host name)"
                } else {
                    "the port may not speak implicit TLS: use tls=starttls (usually port 143) or tls=none only for a local server"
                };
                ImapError::Tls(format!("TLS handshake with {at} failed: {e}; {hint}"))
            })
        })
        .await?
    } else {
        ImapStream::Plain(tcp)
    };
    let mut client = Client::new(stream);
    let mut tags = 0u32;
    let mut caps = limit(
        t,
        &format!("greeting from {at}"),
        greeting(&mut client, &at),
    )
    .await?;

    if cfg.tls == TlsMode::StartTls {
        if caps.is_none() {
            caps = Some(capabilities(&mut client, &mut tags, t).await?);
        }
        if !has(caps.as_deref(), "STARTTLS") {
            return Err(ImapError::Tls(format!(
                "{at} does not offer STARTTLS; use tls=tls if the port expects implicit TLS (usually 993), or tls=none only for a local server"
            )));
        }
        tags += 1;
        let tag = format!("P{tags:04}");
        limit(
            t,
            "STARTTLS",
            exchange(&mut client, &tag, "STARTTLS", "STARTTLS", |_| {}),
        )
        .await
        .map_err(|e| ImapError::Tls(format!("{at} refused STARTTLS: {e}")))?;
        // Anything the server sent after its OK is dropped with the old client's buffer
        // (a STARTTLS response injection must not be read as coming over TLS).
        let ImapStream::Plain(tcp) = client.into_inner() else {
            return Err(ImapError::Tls("STARTTLS on an encrypted connection".into()));
        };
        let tls = limit(t, &format!("TLS handshake with {at}"), async {
            net::tls_handshake(tcp, &cfg.host).await.map_err(|e| {
                ImapError::Tls(format!(
                    "TLS handshake with {at} after STARTTLS failed: {e}{}",
                    if e.contains("certificate") {
                        "; the server's certificate is not trusted (self-signed, expired, or for another host name)"
                    } else {
                        ""
                    }
                ))
            })
        })
        .await?;
        client = Client::new(tls);
        // RFC 3501 6.2.1: capabilities learned before STARTTLS must be forgotten.
        caps = None;
    }
    let encrypted = client.get_ref().is_encrypted();
    let caps = match caps {
        Some(c) => c,
        None => capabilities(&mut client, &mut tags, t).await?,
    };

    let user = &cfg.username;
    let login = async {
        let result = if has(Some(caps.as_slice()), "AUTH=PLAIN") {
            client
                .authenticate(
                    "PLAIN",
                    PlainAuth {
                        user: &cfg.username,
                        password: &cfg.password,
                    },
                )
                .await
        } else if has(Some(caps.as_slice()), "LOGINDISABLED") {
            return Err(ImapError::Auth(format!(
                "{at} refuses LOGIN on this connection and offers no AUTH=PLAIN{}",
                if encrypted {
                    ""
                } else {
                    "; it probably requires TLS: use tls=starttls or tls=tls"
                }
            )));
        } else {
            client.login(&cfg.username, &cfg.password).await
        };
        result.map_err(|(e, _)| match e {
            LibError::No(text) | LibError::Bad(text) => ImapError::Auth(format!(
                "{at} refused the login of {user}: {}",
                server_text(&text)
            )),
            LibError::Validate(_) => ImapError::Auth(
                "the username or password contains a line break, which IMAP cannot send".into(),
            ),
            other => lib_error(&format!("login to {at}"), other),
        })
    };
    let session = limit(t, &format!("login to {at}"), login).await?;

    let mut conn = Conn {
        session,
        tags,
        timeout: t,
        idle: false,
        encrypted,
        selected: Selected {
            uidvalidity: 0,
            uid_next: None,
            exists: 0,
        },
    };
    // Servers often announce more after login.
    let tag = conn.tag();
    let caps = capabilities_tagged(&mut conn.session, &tag, t).await?;
    conn.idle = has(Some(caps.as_slice()), "IDLE");
    conn.examine(&cfg.mailbox).await?;
    tracing::debug!(server = %at, mailbox = %cfg.mailbox, idle = conn.idle, encrypted, "imap connected");
    Ok(conn)
}

struct PlainAuth<'a> {
    user: &'a str,
    password: &'a str,
}

impl Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        format!("\0{}\0{}", self.user, self.password).into_bytes()
    }
}

/// Reads the server greeting; returns the capabilities when it lists them.
async fn greeting(
    client: &mut Client<ImapStream>,
    at: &str,
) -> Result<Option<Vec<String>>, ImapError> {
    let resp = client
        .read_response()
        .await
        .map_err(|e| ImapError::Connect(format!("reading the greeting from {at}: {e}")))?
        .ok_or_else(|| ImapError::Connect(format!("{at} closed the connection before greeting")))?;
    match resp.parsed() {
        Response::Data {
            status: Status::Ok,
            outcome,
        } => Ok(match &outcome.code {
            Some(ResponseCode::Capabilities(list)) => Some(cap_names(list)),
            _ => None,
        }),
        Response::Data {
            status: Status::PreAuth,
            ..
        } => Err(ImapError::Protocol(format!(
            "{at} greeted with PREAUTH (already logged in), which is not supported"
        ))),
        Response::Data {
            status: Status::Bye,
            outcome,
        } => Err(ImapError::Connect(format!(
            "{at} refused the connection: {}",
            outcome.information.as_deref().unwrap_or("BYE")
        ))),
        other => Err(ImapError::Protocol(format!(
            "{at} sent an unexpected greeting: {other:?}"
        ))),
    }
}

async fn capabilities(
    client: &mut Client<ImapStream>,
    tags: &mut u32,
    t: Duration,
) -> Result<Vec<String>, ImapError> {
    *tags += 1;
    let tag = format!("P{tags:04}");
    capabilities_tagged(client, &tag, t).await
}

async fn capabilities_tagged(
    conn: &mut Connection<ImapStream>,
    tag: &str,
    t: Duration,
) -> Result<Vec<String>, ImapError> {
    let mut caps = Vec::new();
    limit(
        t,
        "CAPABILITY",
        exchange(conn, tag, "CAPABILITY", "CAPABILITY", |r| {
            if let Response::Capabilities(list) = r {
                caps.extend(cap_names(list));
            }
        }),
    )
    .await?;
    Ok(caps)
}

fn cap_names(list: &[Capability<'_>]) -> Vec<String> {
    list.iter()
        .map(|c| match c {
            Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
            Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect()
}

fn has(caps: Option<&[String]>, name: &str) -> bool {
    caps.is_some_and(|c| c.iter().any(|x| x == name))
}

/// Sends one tagged command and reads until its tagged answer, passing every other
/// response to `on`. A NO/BAD answer, a BYE, a lost connection or an I/O error is an error;
/// the caller adds the time limit.
async fn exchange(
    conn: &mut Connection<ImapStream>,
    tag: &str,
    what: &str,
    command: &str,
    mut on: impl FnMut(&Response<'_>),
) -> Result<(), ImapError> {
    let line = format!("{tag} {command}\r\n");
    let io = |e: std::io::Error| ImapError::Connect(format!("{what}: {e}"));
    let stream = conn.get_mut();
    stream.write_all(line.as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    loop {
        let resp = conn.read_response().await.map_err(io)?.ok_or_else(|| {
            ImapError::Connect(format!("{what}: the server closed the connection"))
        })?;
        match resp.parsed() {
            Response::Done {
                tag: done,
                status,
                outcome,
            } if done.0 == tag => {
                return match status {
                    Status::Ok => Ok(()),
                    _ => Err(ImapError::Protocol(format!(
                        "{what} was refused: {} {}",
                        if *status == Status::No { "NO" } else { "BAD" },
                        outcome_text(outcome.code.as_ref(), outcome.information.as_deref())
                    ))),
                };
            }
            Response::Data {
                status: Status::Bye,
                outcome,
            } => {
                return Err(ImapError::Connect(format!(
                    "{what}: the server ended the session: {}",
                    outcome.information.as_deref().unwrap_or("BYE")
                )));
            }
            other => on(other),
        }
    }
}

fn outcome_text(code: Option<&ResponseCode<'_>>, info: Option<&str>) -> String {
    match (code, info) {
        (Some(c), Some(i)) => format!("[{c:?}] {i}"),
        (None, Some(i)) => i.to_owned(),
        (Some(c), None) => format!("[{c:?}]"),
        (None, None) => String::new(),
    }
}

/// async-imap formats NO/BAD as `code: …, info: Some("…")`; keep the server's sentence.
fn server_text(s: &str) -> String {
    if let Some(start) = s.find("info: Some(\"") {
        let rest = &s[start + "info: Some(\"".len()..];
        if let Some(end) = rest.rfind("\")") {
            return rest[..end].replace("\\\"", "\"");
        }
    }
    s.to_owned()
}

fn lib_error(what: &str, e: LibError) -> ImapError {
    match e {
        LibError::Io(e) => ImapError::Connect(format!("{what}: {e}")),
        LibError::ConnectionLost => {
            ImapError::Connect(format!("{what}: the server closed the connection"))
        }
        LibError::No(t) | LibError::Bad(t) => {
            ImapError::Protocol(format!("{what} was refused: {}", server_text(&t)))
        }
        other => ImapError::Protocol(format!("{what}: {other}")),
    }
}

/// `5,6,7,9` → `5:7,9`.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The parts of one FETCH response we ask for.
struct FetchItem<'r> {
    uid: u32,
    size: Option<u32>,
    body: Option<&'r [u8]>,
}

/// UID, size and (for body fetches) the body of one FETCH response; `None` for other
/// responses and for FETCHes without a UID (unsolicited flag updates).
fn fetch_parts<'r>(r: &'r Response<'_>) -> Option<FetchItem<'r>> {
    let Response::Fetch(_, attrs) = r else {
        return None;
    };
    let mut uid = None;
    let mut size = None;
    let mut body = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Rfc822Size(s) => size = Some(*s),
            AttributeValue::BodySection {
                section: None,
                data: Some(d),
                ..
            }
            | AttributeValue::Rfc822(Some(d)) => body = Some(d.as_ref()),
            _ => {}
        }
    }
    Some(FetchItem {
        uid: uid?,
        size,
        body,
    })
}

impl Conn {
    fn tag(&mut self) -> String {
        self.tags = self.tags.wrapping_add(1);
        format!("P{:04}", self.tags)
    }

    async fn command(
        &mut self,
        what: &str,
        command: &str,
        on: impl FnMut(&Response<'_>),
    ) -> Result<(), ImapError> {
        let tag = self.tag();
        let t = self.timeout;
        limit(
            t,
            what,
            exchange(&mut self.session, &tag, what, command, on),
        )
        .await
    }

    async fn noop(&mut self) -> Result<(), ImapError> {
        self.command("NOOP", "NOOP", |_| {}).await
    }

    /// Opens `mailbox` read-only and records UIDVALIDITY, UIDNEXT and the message count.
    async fn examine(&mut self, mailbox: &str) -> Result<(), ImapError> {
        let command = format!("EXAMINE {}", utf7::quote(&utf7::encode_mailbox(mailbox)));
        let mut uidvalidity = None;
        let mut uid_next = None;
        let mut exists = 0;
        self.command(
            &format!("opening mailbox {mailbox:?}"),
            &command,
            |r| match r {
                Response::Data {
                    status: Status::Ok,
                    outcome,
                } => match outcome.code {
                    Some(ResponseCode::UidValidity(v)) => uidvalidity = Some(v),
                    Some(ResponseCode::UidNext(n)) => uid_next = Some(n),
                    _ => {}
                },
                Response::MailboxData(MailboxDatum::Exists(n)) => exists = *n,
                _ => {}
            },
        )
        .await?;
        let uidvalidity = uidvalidity.ok_or_else(|| {
            ImapError::Protocol(format!(
                "the server gave no UIDVALIDITY for {mailbox:?}, so messages cannot be tracked across connections"
            ))
        })?;
        self.selected = Selected {
            uidvalidity,
            uid_next,
            exists,
        };
        Ok(())
    }

    /// The highest UID in use: UIDNEXT − 1, or asked for when the server gave no UIDNEXT.
    async fn last_uid(&mut self) -> Result<u32, ImapError> {
        if let Some(n) = self.selected.uid_next {
            return Ok(n.saturating_sub(1));
        }
        if self.selected.exists == 0 {
            return Ok(0);
        }
        let mut max = 0;
        self.command("UID FETCH * (UID)", "UID FETCH * (UID)", |r| {
            if let Some(item) = fetch_parts(r) {
                max = max.max(item.uid);
            }
        })
        .await?;
        Ok(max)
    }

    /// UIDs above `after` that exist now, with their sizes, in UID order.
    async fn list_after(&mut self, after: u32) -> Result<Vec<(u32, u32)>, ImapError> {
        if self.selected.exists == 0 || after == u32::MAX {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        let command = format!("UID FETCH {}:* (UID RFC822.SIZE)", after + 1);
        self.command("listing new messages", &command, |r| {
            // `n:*` also matches the highest message when it is below n: filter.
            // A server that leaves RFC822.SIZE out gets the partial (capped) fetch.
            if let Some(item) = fetch_parts(r)
                && item.uid > after
            {
                found.push((item.uid, item.size.unwrap_or(u32::MAX)));
            }
        })
        .await?;
        found.sort_unstable();
        found.dedup_by_key(|e| e.0);
        Ok(found)
    }

    async fn fetch_new(
        &mut self,
        state: Option<MailboxState>,
        max_messages: usize,
        max_bytes: usize,
    ) -> Result<Fetched, ImapError> {
        let selected = self.selected;
        let after = match state {
            None => 0,
            Some(s) if s.uidvalidity == selected.uidvalidity => s.last_uid,
            Some(s) => {
                let last_uid = self.last_uid().await?;
                tracing::warn!(
                    old = s.uidvalidity,
                    new = selected.uidvalidity,
                    last_uid,
                    "imap UIDVALIDITY changed; continuing from the mailbox's current end"
                );
                return Ok(Fetched {
                    state: MailboxState {
                        uidvalidity: selected.uidvalidity,
                        last_uid,
                    },
                    messages: Vec::new(),
                    reset: true,
                    more: false,
                });
            }
        };
        let mut listed = self.list_after(after).await?;
        let more = listed.len() > max_messages;
        listed.truncate(max_messages);

        let mut messages = Vec::with_capacity(listed.len());
        let mut i = 0;
        while i < listed.len() {
            let (uid, size) = listed[i];
            if size as usize > max_bytes {
                let command =
                    format!("UID FETCH {uid} (UID RFC822.SIZE BODY.PEEK[]<0.{max_bytes}>)");
                self.fetch_bodies(&command, &[(uid, size)], max_bytes, &mut messages)
                    .await?;
                i += 1;
                continue;
            }
            let mut batch = vec![(uid, size)];
            let mut bytes = u64::from(size);
            while let Some(&(u, s)) = listed.get(i + batch.len()) {
                if s as usize > max_bytes
                    || batch.len() >= BATCH_UIDS
                    || bytes + u64::from(s) > BATCH_BYTES.max(max_bytes as u64)
                {
                    break;
                }
                bytes += u64::from(s);
                batch.push((u, s));
            }
            i += batch.len();
            let uids: Vec<u32> = batch.iter().map(|b| b.0).collect();
            let command = format!("UID FETCH {} (UID RFC822.SIZE BODY.PEEK[])", uid_set(&uids));
            self.fetch_bodies(&command, &batch, max_bytes, &mut messages)
                .await?;
        }

        let last_uid = if more {
            listed.last().map_or(after, |l| l.0)
        } else {
            // Everything below UIDNEXT (as of EXAMINE) that exists was listed, so the
            // position may move past UIDs whose messages were already expunged.
            let listed_max = listed.last().map_or(after, |l| l.0);
            listed_max.max(selected.uid_next.map_or(0, |n| n.saturating_sub(1)))
        };
        Ok(Fetched {
            state: MailboxState {
                uidvalidity: selected.uidvalidity,
                last_uid: last_uid.max(after),
            },
            messages,
            reset: false,
            more,
        })
    }

    /// Runs one body FETCH for `wanted` and appends what came back in UID order. A message
    /// expunged since the listing is simply absent.
    async fn fetch_bodies(
        &mut self,
        command: &str,
        wanted: &[(u32, u32)],
        max_bytes: usize,
        out: &mut Vec<RawInbound>,
    ) -> Result<(), ImapError> {
        let mut got: Vec<RawInbound> = Vec::with_capacity(wanted.len());
        self.command("fetching messages", command, |r| {
            let Some(FetchItem {
                uid,
                size,
                body: Some(body),
            }) = fetch_parts(r)
            else {
                return;
            };
            let Some(&(_, listed_size)) = wanted.iter().find(|w| w.0 == uid) else {
                return;
            };
            if got.iter().any(|g| g.uid == uid) {
                return;
            }
            let take = body.len().min(max_bytes);
            let (size, truncated) = match size.or((listed_size != u32::MAX).then_some(listed_size))
            {
                Some(size) => (size, size as usize > max_bytes || body.len() > max_bytes),
                // Size unknown: a body that fills the cap was probably cut.
                None => (
                    u32::try_from(body.len()).unwrap_or(u32::MAX),
                    body.len() >= max_bytes,
                ),
            };
            got.push(RawInbound {
                uid,
                raw: body[..take].to_vec(),
                truncated,
                size,
            });
        })
        .await?;
        for (uid, _) in wanted {
            if !got.iter().any(|g| g.uid == *uid) {
                tracing::debug!(uid, "imap message disappeared before its body was fetched");
            }
        }
        got.sort_by_key(|g| g.uid);
        out.extend(got);
        Ok(())
    }

    async fn has_new_since(&mut self, cursor: MailboxState) -> Result<bool, ImapError> {
        if cursor.uidvalidity != self.selected.uidvalidity {
            return Ok(true);
        }
        if cursor.last_uid == u32::MAX {
            return Ok(false);
        }
        let mut found = false;
        let command = format!("UID FETCH {}:* (UID)", cursor.last_uid + 1);
        self.command("checking for new messages", &command, |r| {
            if let Some(item) = fetch_parts(r)
                && item.uid > cursor.last_uid
            {
                found = true;
            }
        })
        .await?;
        Ok(found)
    }

    /// IDLE until an EXISTS/RECENT arrives or `timeout` passes. Consumes the connection and
    /// gives it back unless the connection failed.
    async fn idle(
        mut self,
        cursor: Option<MailboxState>,
        timeout: Duration,
    ) -> Result<(Conn, IdleOutcome), ImapError> {
        // Mail that arrived after the last poll but before this IDLE would not be announced
        // again: look for it first.
        if let Some(c) = cursor
            && self.has_new_since(c).await?
        {
            return Ok((self, IdleOutcome::NewMail));
        }
        let t = self.timeout;
        let deadline = Instant::now() + timeout;
        let unsolicited = self.session.unsolicited_responses.clone();
        while unsolicited.try_recv().is_ok() {}
        let mut outcome = IdleOutcome::Timeout;
        loop {
            let mut handle = self.session.idle();
            limit(t, "starting IDLE", async {
                handle.init().await.map_err(|e| lib_error("IDLE", e))
            })
            .await?;
            // Responses that came in while IDLE started were queued, not returned.
            while let Ok(r) = unsolicited.try_recv() {
                if matches!(
                    r,
                    UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
                ) {
                    outcome = IdleOutcome::NewMail;
                }
            }
            while outcome == IdleOutcome::Timeout {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let slice = (deadline - now).min(MAX_IDLE);
                let (wait, stop) = handle.wait_with_timeout(slice);
                // async-imap restarts its timer on every keep-alive (`* OK Still here`,
                // every 2 minutes on dovecot), so the deadline is enforced out here.
                let r = match tokio::time::timeout(slice, wait).await {
                    Ok(r) => r,
                    Err(_) => Ok(IdleResponse::Timeout),
                };
                drop(stop);
                match r.map_err(|e| lib_error("IDLE", e))? {
                    IdleResponse::NewData(data) => {
                        match data.parsed() {
                            Response::MailboxData(
                                MailboxDatum::Exists(_) | MailboxDatum::Recent(_),
                            ) => outcome = IdleOutcome::NewMail,
                            Response::Data {
                                status: Status::Bye,
                                outcome: o,
                            } => {
                                return Err(ImapError::Connect(format!(
                                    "the server ended the session during IDLE: {}",
                                    o.information.as_deref().unwrap_or("BYE")
                                )));
                            }
                            // Flag changes, expunges: not new mail.
                            _ => {}
                        }
                    }
                    IdleResponse::Timeout => {
                        // Re-issue IDLE (RFC 2177's 29-minute rule) until the deadline.
                        break;
                    }
                    IdleResponse::ManualInterrupt => {
                        return Err(ImapError::Connect(
                            "the server closed the connection during IDLE".into(),
                        ));
                    }
                }
            }
            self.session = limit(t, "ending IDLE", async {
                handle.done().await.map_err(|e| lib_error("ending IDLE", e))
            })
            .await?;
            if outcome == IdleOutcome::NewMail || Instant::now() >= deadline {
                return Ok((self, outcome));
            }
        }
    }

    async fn logout(&mut self) {
        let t = self.timeout.min(Duration::from_secs(5));
        let _ = tokio::time::timeout(t, self.session.logout()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[5, 6, 7, 9]), "5:7,9");
        assert_eq!(uid_set(&[1, 3, 4, 10, 11, 12, 20]), "1,3:4,10:12,20");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn server_text_keeps_the_sentence() {
        assert_eq!(
            server_text(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_text("plain"), "plain");
    }

    fn assert_send<T: Send>(_: T) {}

    #[test]
    fn futures_can_run_on_a_multi_threaded_runtime() {
        let mut c = ImapClient::new(ImapConfig::new("h", 1, TlsMode::None, "u", "p"));
        assert_send(c.test_connection());
        assert_send(c.current_state());
        assert_send(c.fetch_new(None, 1, 1));
        assert_send(c.idle_wait(Duration::from_secs(1)));
        assert_send(c.close());
        assert_send(c);
    }

    #[test]
    fn errors_read_well() {
        let e = ImapError::Auth("imap.example.com:993 refused the login of me: bad".into());
        assert_eq!(
            e.to_string(),
            "IMAP login failed: imap.example.com:993 refused the login of me: bad"
        );
        assert_eq!(e.kind(), "auth");
        assert!(!e.is_transient());
        assert!(ImapError::Timeout("x".into()).is_transient());
    }
}
