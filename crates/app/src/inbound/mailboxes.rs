//! Sender mailboxes polled over IMAP. Each mailbox keeps its UIDVALIDITY and last UID; the
//! `inbound.poll` job fetches what is above them, processes every message, and only then
//! saves the new state — so a crash re-reads at most the last batch, and the dedup key of
//! each stored message makes that re-read a no-op. A connection error is saved on the
//! mailbox (`last_error`, state `error`) and shown; the next poll tries again.

use crate::inbound::process::{self, Source};
use crate::jobs::{JobCtx, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_channels::email::imap::{IdleOutcome, ImapClient, ImapConfig, MailboxState};
use prospector_core::role::Permission;
use prospector_core::time::now_ms;
use prospector_store::inbound::{self, Mailbox};
use prospector_store::{SenderId, WorkspaceId, senders};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

/// The job that polls every active mailbox.
pub const POLL_JOB: &str = "inbound.poll";

/// Messages read from one mailbox per poll (the rest wait for the next one).
pub const MAX_PER_POLL: usize = 200;
/// Each message is read up to this size (a 30 MB attachment is cut, not loaded).
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// A mailbox as the API and pages show it (never its password).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailboxOut {
    pub id: i64,
    pub sender_id: Option<i64>,
    /// The IMAP URL without its password.
    pub imap_url: String,
    /// active, paused or error.
    pub state: String,
    pub last_error: Option<String>,
    pub uidvalidity: Option<i64>,
    pub last_uid: Option<i64>,
    pub last_polled_at: Option<i64>,
}

impl From<&Mailbox> for MailboxOut {
    fn from(m: &Mailbox) -> Self {
        MailboxOut {
            id: m.id,
            sender_id: m.sender_id,
            imap_url: m.display.clone(),
            state: m.state.clone(),
            last_error: m.last_error.clone(),
            uidvalidity: m.uidvalidity,
            last_uid: m.last_uid,
            last_polled_at: m.last_polled_at,
        }
    }
}

/// Set (or replace) the IMAP URL of a sender's mailbox, e.g.
/// `imaps://user:pass@imap.example.com/INBOX`. The URL is checked, stored encrypted, and shown
/// without its password.
pub async fn set_for_sender(
    app: &App,
    ctx: &WsCtx,
    sender_name: &str,
    imap_url: &str,
) -> AppResult<Mailbox> {
    ctx.require(Permission::Manage)?;
    let s = senders::get_by_name(app.db(), ctx.ws, sender_name.trim())
        .await
        .map_err(|e| match e {
            prospector_store::StoreError::NotFound => AppError::invalid(
                "sender",
                format!("there is no sender named \"{sender_name}\""),
            ),
            other => other.into(),
        })?;
    set_for_sender_id(app, ctx, s.id, imap_url).await
}

/// [`set_for_sender`] by sender id (the API and the sender page).
pub async fn set_for_sender_id(
    app: &App,
    ctx: &WsCtx,
    sender_id: i64,
    imap_url: &str,
) -> AppResult<Mailbox> {
    ctx.require(Permission::Manage)?;
    let s = senders::get(app.db(), ctx.ws, SenderId(sender_id)).await?;
    let cfg = ImapConfig::from_url(imap_url.trim())
        .map_err(|e| AppError::invalid("imap_url", e.to_string()))?;
    let enc = app.keys().encrypt(imap_url.trim())?;
    let m = inbound::set_mailbox(app.db(), ctx.ws, s.id, &enc, &cfg.redacted_url()).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "mailbox.set",
        "mailbox",
        m.id,
        None,
        Some(json!({"sender": s.f.name, "imap_url": m.display})),
    )
    .await?;
    Ok(m)
}

/// The workspace's mailboxes (the Senders page shows their state and last error).
pub async fn list(app: &App, ctx: &WsCtx) -> AppResult<Vec<Mailbox>> {
    Ok(inbound::list_mailboxes(app.db(), ctx.ws).await?)
}

/// The mailbox of a sender, if one is set.
pub async fn of_sender(app: &App, ctx: &WsCtx, sender_id: i64) -> AppResult<Option<Mailbox>> {
    let _ = senders::get(app.db(), ctx.ws, SenderId(sender_id)).await?;
    Ok(inbound::mailbox_of_sender(app.db(), ctx.ws, sender_id).await?)
}

/// What one poll of one mailbox did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PollReport {
    pub mailbox_id: i64,
    pub fetched: usize,
    pub processed: usize,
    pub duplicates: usize,
    pub leads: usize,
    /// Times the server woke us from IDLE with new mail.
    pub idle_wakeups: usize,
    /// The server announced IDLE (`None` when the connection failed first).
    pub idle: Option<bool>,
    pub error: Option<String>,
}

/// How long one run of the poll job keeps IDLE connections open (the schedule runs it
/// every minute, so a reply reaches an IDLE-capable mailbox's poller within seconds and any
/// other within a minute). Short of the slot so two runs rarely overlap; if they do, the
/// dedup key makes the second read of a message a no-op.
pub const IDLE_WINDOW: Duration = Duration::from_secs(50);
/// At most this many mailboxes are watched with IDLE at once per worker; the others are
/// polled once per run.
pub const MAX_IDLE_MAILBOXES: usize = 32;

/// Poll one mailbox now: fetch above the saved state, process, then save the state.
pub async fn poll_mailbox(app: &App, m: &Mailbox) -> AppResult<PollReport> {
    watch_mailbox(app, m, Duration::ZERO).await
}

/// Poll one mailbox, then, when the server supports IDLE and `window` is not zero, keep the
/// connection open and fetch again each time the server announces new mail, until the
/// window ends. A failed connection is saved on the mailbox (shown on the sender's page)
/// and ends the watch; the next run tries again.
pub async fn watch_mailbox(app: &App, m: &Mailbox, window: Duration) -> AppResult<PollReport> {
    let ws = WorkspaceId(m.workspace_id);
    let mut report = PollReport {
        mailbox_id: m.id,
        ..Default::default()
    };
    let url = app.keys().decrypt(&m.imap_url)?;
    let mut client = match ImapClient::from_url(&url) {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("bad IMAP URL: {e}");
            inbound::save_poll_error(app.db(), ws, m.id, &msg, now_ms()).await?;
            report.error = Some(msg);
            return Ok(report);
        }
    };
    let deadline = tokio::time::Instant::now() + window;
    let mut state = match (m.uidvalidity, m.last_uid) {
        (Some(v), Some(u)) => Some(MailboxState {
            uidvalidity: u32::try_from(v).unwrap_or(0),
            last_uid: u32::try_from(u).unwrap_or(0),
        }),
        _ => None,
    };
    let result = async {
        loop {
            let more = match fetch_once(app, m, &mut client, state, &mut report).await? {
                Some((s, more)) => {
                    state = Some(s);
                    more
                }
                None => return Ok::<_, AppError>(()),
            };
            report.idle = client.supports_idle();
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if more && !left.is_zero() {
                continue;
            }
            if left.is_zero() || report.idle != Some(true) {
                return Ok(());
            }
            match client.idle_wait(left).await {
                Ok(IdleOutcome::NewMail) => report.idle_wakeups += 1,
                Ok(IdleOutcome::Timeout) => return Ok(()),
                Err(e) => {
                    failed(app, m, &e.to_string(), &mut report).await?;
                    return Ok(());
                }
            }
        }
    }
    .await;
    client.close().await;
    result?;
    Ok(report)
}

async fn failed(app: &App, m: &Mailbox, msg: &str, report: &mut PollReport) -> AppResult<()> {
    let ws = WorkspaceId(m.workspace_id);
    tracing::warn!(workspace = ws.0, mailbox = m.id, error = %msg, "IMAP poll failed");
    inbound::save_poll_error(app.db(), ws, m.id, msg, now_ms()).await?;
    report.error = Some(msg.to_string());
    Ok(())
}

/// One fetch above `state`, every message processed, then the new state saved. Returns the
/// new state and whether more messages wait, or `None` when the fetch failed (recorded).
async fn fetch_once(
    app: &App,
    m: &Mailbox,
    client: &mut ImapClient,
    state: Option<MailboxState>,
    report: &mut PollReport,
) -> AppResult<Option<(MailboxState, bool)>> {
    let ws = WorkspaceId(m.workspace_id);
    let f = match client
        .fetch_new(state, MAX_PER_POLL, MAX_MESSAGE_BYTES)
        .await
    {
        Ok(f) => f,
        Err(e) => {
            failed(app, m, &e.to_string(), report).await?;
            return Ok(None);
        }
    };
    report.fetched += f.messages.len();
    for msg in &f.messages {
        let hint = format!("imap:{}:{}:{}", m.id, f.state.uidvalidity, msg.uid);
        let o =
            process::process_from(app, ws, Source::Imap, Some(m.id), &msg.raw, Some(&hint)).await?;
        if o.duplicate {
            report.duplicates += 1;
        } else {
            report.processed += 1;
        }
        if o.became_lead {
            report.leads += 1;
        }
    }
    inbound::save_poll_state(
        app.db(),
        ws,
        m.id,
        i64::from(f.state.uidvalidity),
        i64::from(f.state.last_uid),
        now_ms(),
    )
    .await?;
    Ok(Some((f.state, f.more)))
}

/// Poll every active mailbox of every workspace once.
pub async fn poll_all(app: &App) -> AppResult<Vec<PollReport>> {
    watch_all(app, Duration::ZERO).await
}

/// Poll every active mailbox, watching up to [`MAX_IDLE_MAILBOXES`] of them with IDLE for
/// `window` (all at once: an IDLE connection costs a socket, not a thread) while the rest
/// are polled one after the other. A mailbox whose processing failed does not stop the
/// others; the first such error is returned after all are done.
pub async fn watch_all(app: &App, window: Duration) -> AppResult<Vec<PollReport>> {
    let all = inbound::pollable_mailboxes_all_workspaces(app.db(), 1000).await?;
    let split = all.len().min(MAX_IDLE_MAILBOXES);
    let (watched, rest) = all.split_at(split);
    let watchers = futures::future::join_all(watched.iter().map(|m| watch_mailbox(app, m, window)));
    let polls = async {
        let mut out = Vec::new();
        for m in rest {
            out.push(poll_mailbox(app, m).await);
        }
        out
    };
    let (a, b) = tokio::join!(watchers, polls);
    let mut out = Vec::new();
    let mut first_err = None;
    for r in a.into_iter().chain(b) {
        match r {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::error!(error = %e, "processing a polled message failed");
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// What the schedule passes: how long to keep IDLE connections open (`0`, the default for a
/// job enqueued by hand or by `prospector sender poll`, polls once).
#[derive(Debug, Default, serde::Deserialize)]
struct PollPayload {
    #[serde(default)]
    idle_ms: u64,
}

pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    let p: PollPayload = ctx.payload()?;
    // The window counts from the job's slot (its `run_at`), so a run that started late
    // ends as early and never overlaps the next minute's run.
    let idle = i64::try_from(p.idle_ms.min(IDLE_WINDOW.as_millis() as u64)).unwrap_or(0);
    let left = (ctx.job.run_at + idle - now_ms()).clamp(0, idle);
    let window = Duration::from_millis(u64::try_from(left).unwrap_or(0));
    let reports = watch_all(&ctx.app, window).await?;
    let fetched: usize = reports.iter().map(|r| r.fetched).sum();
    let wakeups: usize = reports.iter().map(|r| r.idle_wakeups).sum();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    Ok(Some(
        json!({"mailboxes": reports.len(), "fetched": fetched, "idle_wakeups": wakeups, "errors": errors}),
    ))
}
