//! WhatsApp and Twilio webhooks: verified on the raw body (X-Hub-Signature-256 with the app
//! secret; X-Twilio-Signature with the auth token over `PROSPECTOR_PUBLIC_URL` + path), split
//! into one stored event per status / message / change (unique per workspace and provider
//! key, so a replay or a duplicate is a no-op), answered at once, and applied by the
//! `messaging.webhooks` job.
//!
//! Applying: statuses move the message's provider status forward only (the furthest state
//! wins when they arrive out of order; every one is kept in the message history); inbound
//! messages refresh the 24-hour window and are replies (the sequence stops, the contact
//! becomes a lead, the message lands in its conversation); template status, quality and
//! category updates keep templates current; marketing opt-out / resume and SMS STOP / START
//! suppress or lift the number and record the contact's consent.

use crate::jobs::{JobCtx, JobResult};
use crate::{App, AppError, AppResult};
use prospector_channels::sms::{
    EMPTY_TWIML, Keyword, SmsStatus, parse_form, parse_inbound, parse_status_callback, twiml_reply,
    verify_twilio_request,
};
use prospector_channels::whatsapp::{
    InboundContent, InboundMessage, MessageStatus, StatusUpdate, WaReason, WhatsAppEvent,
    parse_webhook, verify_meta_signature, verify_subscription,
};
use prospector_core::messaging::to_e164;
use prospector_core::time::now_ms;
use prospector_store::contacts::ContactFields;
use prospector_store::conversations::{self, NewEntry};
use prospector_store::messages::{self, Engagement};
use prospector_store::messaging::{self as store, WaConnection};
use prospector_store::timeline::{self, Subject};
use prospector_store::{Backend, ContactId, MessageId, WorkspaceId, contacts, suppressions};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The header names, for the web layer.
pub use prospector_channels::sms::TWILIO_SIGNATURE_HEADER;
pub use prospector_channels::whatsapp::META_SIGNATURE_HEADER;

pub const WEBHOOK_JOB: &str = "messaging.webhooks";
/// `webhook_events.provider` values.
pub const WHATSAPP: &str = "whatsapp";
pub const TWILIO: &str = "twilio";
/// Events applied per batch.
const BATCH: i64 = 500;

/// What a webhook request did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipt {
    /// Events stored now (queued for processing).
    pub stored: usize,
    /// Events already received before (no-ops).
    pub duplicates: usize,
}

/// The GET verification handshake: the challenge when mode and verify token match.
pub async fn handshake(
    app: &App,
    token: &str,
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
) -> AppResult<String> {
    let c = store::wa_connection_by_token(app.db(), token)
        .await?
        .ok_or(AppError::NotFound)?;
    let expected = app.keys().decrypt(&c.verify_token)?;
    verify_subscription(mode, verify_token, challenge, &expected).map_err(|e| {
        tracing::warn!(workspace = c.workspace_id, error = %e, "whatsapp handshake refused");
        AppError::Forbidden(e.to_string())
    })
}

/// A WhatsApp notification: verify the signature over the raw body, store each item raw.
/// The token's connection (workspace and decrypted app secret) comes from a short-lived
/// per-process cache, re-read from the database when the signature does not match what is
/// cached (a secret rotated by another process).
pub async fn receive_whatsapp(
    app: &App,
    token: &str,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<Receipt> {
    let st = state(app);
    let cached = st.cached_connection(token);
    let from_cache = cached.is_some();
    let mut c = match cached {
        Some(c) => c,
        None => load_connection(app, &st, token).await?,
    };
    let mut verified = verify_meta_signature(&c.app_secret, body, signature);
    if verified.is_err() && from_cache {
        c = load_connection(app, &st, token).await?;
        verified = verify_meta_signature(&c.app_secret, body, signature);
    }
    verified.map_err(|e| AppError::Unauthorized(format!("X-Hub-Signature-256: {e}")))?;
    let ws = WorkspaceId(c.workspace_id);
    let items = split_whatsapp(ws, body).map_err(AppError::BadRequest)?;
    store_items(app, ws, WHATSAPP, items).await
}

/// Store the items of one delivery through the webhook group commit: the request queues its
/// items and waits; one writer task at a time takes everything queued, stores it in one
/// transaction and answers each request once that transaction has committed (an event is
/// durable before its 200). Under a burst of deliveries the writer never waits on the
/// SQLite write lock for another webhook request, and one commit serves dozens of them.
async fn store_items(
    app: &App,
    ws: WorkspaceId,
    provider: &'static str,
    items: Vec<(String, String)>,
) -> AppResult<Receipt> {
    if items.is_empty() {
        return Ok(Receipt::default());
    }
    let st = state(app);
    let (tx, rx) = oneshot::channel();
    let lead = {
        let mut q = st.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.pending.push(Pending {
            ws,
            provider,
            items,
            done: tx,
        });
        !std::mem::replace(&mut q.flushing, true)
    };
    if lead {
        // A task of its own: a client that hangs up mid-request does not cancel the commit of
        // the other requests in the batch.
        tokio::spawn(flush(app.clone(), st));
    }
    match rx.await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(WriteError::Unavailable(m))) => Err(AppError::Unavailable(m)),
        Ok(Err(WriteError::Internal(m))) => Err(AppError::Internal(m)),
        Err(_) => Err(AppError::Internal("the webhook writer stopped".into())),
    }
}

/// Per-App webhook state: the group-commit queue, the connection cache and the last kick.
#[derive(Default)]
struct HookState {
    queue: Mutex<Queue>,
    connections: Mutex<HashMap<String, (Instant, Arc<Connection>)>>,
    /// The second (`now_ms() / 1000`) of the last job kick: the kick's unique key holds one
    /// per second, so a second kick in the same second would only be a refused write.
    last_kick: AtomicI64,
    /// On SQLite, taken by the webhook writer for each group commit and by the job for each
    /// event it applies. SQLite's busy handler is not fair: a waiting writer sleeps 1, 2,
    /// 5… ms while the job, writing in a tight loop, takes the lock again and again, which
    /// held webhook answers for hundreds of ms. This lock is FIFO, so a commit waits for one
    /// event at most.
    write_gate: tokio::sync::Mutex<()>,
}

impl HookState {
    /// The write gate, on SQLite only (PostgreSQL has row locks and no such starvation).
    async fn gate(&self, app: &App) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match app.db().backend() {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        }
    }
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    /// A writer task is running and will take what is queued.
    flushing: bool,
}

/// One request's items, waiting for the writer.
struct Pending {
    ws: WorkspaceId,
    provider: &'static str,
    items: Vec<(String, String)>,
    done: oneshot::Sender<Result<Receipt, WriteError>>,
}

/// A failed batch, as each of its requests sees it (`AppError` is not `Clone`).
enum WriteError {
    Unavailable(String),
    Internal(String),
}

/// What a webhook request needs of its connection.
struct Connection {
    workspace_id: i64,
    app_secret: String,
}

/// How long a token's connection is trusted without reading it again. Connecting or
/// disconnecting in this process forgets it at once ([`forget_connections`]); a change made
/// by another process (the CLI) is seen within this time, and a rotated secret at once
/// (a mismatch re-reads the connection).
const CONNECTION_TTL: Duration = Duration::from_secs(5);
/// Tokens cached at most (unknown tokens are never cached, so only real ones count).
const CONNECTIONS_MAX: usize = 10_000;
/// Events stored per group commit at most.
const FLUSH_MAX: usize = 2_000;

impl HookState {
    fn cached_connection(&self, token: &str) -> Option<Arc<Connection>> {
        let m = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        m.get(token)
            .filter(|(at, _)| at.elapsed() < CONNECTION_TTL)
            .map(|(_, c)| c.clone())
    }
}

/// Read (and cache) the connection a webhook token names; unknown is `NotFound`.
async fn load_connection(app: &App, st: &HookState, token: &str) -> AppResult<Arc<Connection>> {
    let Some(c) = store::wa_connection_by_token(app.db(), token).await? else {
        st.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
        return Err(AppError::NotFound);
    };
    let conn = Arc::new(Connection {
        workspace_id: c.workspace_id,
        app_secret: app.keys().decrypt(&c.app_secret)?,
    });
    let mut m = st.connections.lock().unwrap_or_else(|e| e.into_inner());
    if m.len() >= CONNECTIONS_MAX {
        m.clear();
    }
    m.insert(token.to_string(), (Instant::now(), conn.clone()));
    Ok(conn)
}

/// Forget the cached WhatsApp connections of this process (call after connecting or
/// disconnecting a number, so the next webhook reads the new secret or gets its 404).
pub fn forget_connections(app: &App) {
    state(app)
        .connections
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
}

/// The webhook state of `app`, created on first use. Kept beside the App (keyed by its
/// shared state, dropped entries pruned) rather than in it, so that tests running many Apps
/// in one process never share a queue or a cache.
fn state(app: &App) -> Arc<HookState> {
    type Registry = Mutex<Vec<(Weak<crate::Inner>, Arc<HookState>)>>;
    static STATES: OnceLock<Registry> = OnceLock::new();
    let mut all = STATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let me = Arc::as_ptr(&app.inner);
    if let Some((_, s)) = all
        .iter()
        .find(|(w, _)| w.strong_count() > 0 && std::ptr::eq(w.as_ptr(), me))
    {
        return s.clone();
    }
    all.retain(|(w, _)| w.strong_count() > 0);
    let s = Arc::new(HookState::default());
    all.push((Arc::downgrade(&app.inner), s.clone()));
    s
}

/// Resets `flushing` if the writer task ends without doing so (a panic, or the runtime
/// shutting down), so that the next request starts a new writer instead of waiting forever.
struct FlushGuard(Arc<HookState>);

impl Drop for FlushGuard {
    fn drop(&mut self) {
        let mut q = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.flushing = false;
    }
}

/// The writer: store everything queued in one transaction, answer, repeat until the queue
/// is empty; then kick the job (at most once per second).
async fn flush(app: App, st: Arc<HookState>) {
    let _guard = FlushGuard(st.clone());
    loop {
        let batch: Vec<Pending> = {
            let mut q = st.queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.pending.is_empty() {
                q.flushing = false;
                break;
            }
            let mut n = 0;
            let take = q
                .pending
                .iter()
                .take_while(|p| {
                    n += p.items.len();
                    n <= FLUSH_MAX || n == p.items.len()
                })
                .count()
                .max(1);
            q.pending.drain(..take).collect()
        };
        let gate = st.gate(&app).await;
        let stored = write_batch(&app, batch).await;
        if stored > 0 {
            let second = now_ms() / 1000;
            if st.last_kick.swap(second, Ordering::Relaxed) != second
                && let Err(e) = super::kick(&app, WEBHOOK_JOB).await
            {
                // The events are stored; the recurring job applies them within seconds.
                st.last_kick.store(0, Ordering::Relaxed);
                tracing::warn!(error = %e, "messaging webhooks: kicking the job failed");
            }
        }
        drop(gate);
    }
}

/// Store one batch of requests and answer each; returns how many events were new.
async fn write_batch(app: &App, batch: Vec<Pending>) -> usize {
    // The first occurrence of a (provider, event id) owns it; a repeat in the same batch is
    // a duplicate like one already stored.
    let mut owner: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    let mut rows = Vec::new();
    for (pi, p) in batch.iter().enumerate() {
        for (ii, (k, raw)) in p.items.iter().enumerate() {
            if let std::collections::hash_map::Entry::Vacant(e) = owner.entry((p.provider, k)) {
                e.insert((pi, ii));
                rows.push(store::NewEvent {
                    workspace_id: p.ws,
                    provider: p.provider,
                    event_id: k,
                    raw,
                });
            }
        }
    }
    let result = store::insert_event_batch(app.db(), &rows).await;
    drop(rows);
    let new: std::collections::HashSet<(String, String)> = match result {
        Ok(ids) => ids.into_iter().map(|(p, k, _)| (p, k)).collect(),
        Err(e) => {
            let e = AppError::from(e);
            tracing::warn!(error = %e, requests = batch.len(), "storing webhook events failed");
            let unavailable = matches!(e, AppError::Unavailable(_));
            let msg = e.to_string();
            for p in batch {
                let err = if unavailable {
                    WriteError::Unavailable(msg.clone())
                } else {
                    WriteError::Internal(msg.clone())
                };
                let _ = p.done.send(Err(err));
            }
            return 0;
        }
    };
    let mut total = 0;
    let mut receipts = Vec::with_capacity(batch.len());
    for (pi, p) in batch.iter().enumerate() {
        let stored = p
            .items
            .iter()
            .enumerate()
            .filter(|(ii, (k, _))| {
                owner.get(&(p.provider, k.as_str())) == Some(&(pi, *ii))
                    && new.contains(&(p.provider.to_string(), k.clone()))
            })
            .count();
        total += stored;
        receipts.push(Receipt {
            stored,
            duplicates: p.items.len() - stored,
        });
    }
    drop(owner);
    for (p, r) in batch.into_iter().zip(receipts) {
        // A request whose client hung up no longer listens; its events are stored anyway.
        let _ = p.done.send(Ok(r));
    }
    total
}

fn key(ws: WorkspaceId, parts: &[&str]) -> String {
    let k = format!("ws{}:{}", ws.0, parts.join(":"));
    // A hostile id must not overflow the unique index.
    if k.len() > 200 {
        format!("ws{}:sha256:{}", ws.0, crate::crypto::sha256_hex(&k))
    } else {
        k
    }
}

/// One stored event per status, message and other change of a delivery, each as a
/// one-item notification in Meta's own envelope (so the job reads it with the same parser),
/// keyed `wamid:status`, `msg:wamid` or a hash of the change.
pub fn split_whatsapp(ws: WorkspaceId, body: &[u8]) -> Result<Vec<(String, String)>, String> {
    // Validates the whole delivery first: not JSON or not a WABA notification is a 400.
    parse_webhook(body).map_err(|e| e.to_string())?;
    let root: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let empty = Vec::new();
    for entry in root["entry"].as_array().unwrap_or(&empty) {
        for change in entry["changes"].as_array().unwrap_or(&empty) {
            let value = &change["value"];
            let field = change["field"].as_str().unwrap_or_default();
            let wrap = |v: Value| {
                json!({"object": "whatsapp_business_account", "entry": [{
                    "id": entry["id"], "time": entry["time"],
                    "changes": [{"field": field, "value": v}]}]})
                .to_string()
            };
            let statuses = value["statuses"].as_array();
            let msgs = value["messages"].as_array();
            if field == "messages" && (statuses.is_some() || msgs.is_some()) {
                for s in statuses.unwrap_or(&empty) {
                    let mut v = value.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("messages");
                        o.insert("statuses".into(), json!([s]));
                    }
                    let id = s["id"].as_str().unwrap_or_default();
                    let st = s["status"].as_str().unwrap_or_default();
                    let k = if id.is_empty() {
                        key(ws, &["change", &crate::crypto::sha256_hex(&s.to_string())])
                    } else {
                        key(ws, &["status", id, st])
                    };
                    out.push((k, wrap(v)));
                }
                for m in msgs.unwrap_or(&empty) {
                    let mut v = value.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("statuses");
                        o.insert("messages".into(), json!([m]));
                    }
                    let id = m["id"].as_str().unwrap_or_default();
                    let k = if id.is_empty() {
                        key(ws, &["change", &crate::crypto::sha256_hex(&m.to_string())])
                    } else {
                        key(ws, &["msg", id])
                    };
                    out.push((k, wrap(v)));
                }
            } else {
                let raw = wrap(value.clone());
                out.push((key(ws, &[field, &crate::crypto::sha256_hex(&raw)]), raw));
            }
        }
    }
    Ok(out)
}

/// What the Twilio endpoints are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioHook {
    Status,
    Inbound,
}

/// A Twilio status callback or inbound message: verify `X-Twilio-Signature` against the
/// public URL of `path_and_query`, store it. Returns the receipt and, for inbound messages,
/// the TwiML to answer (the HELP text, or empty).
pub async fn receive_twilio(
    app: &App,
    token: &str,
    hook: TwilioHook,
    path_and_query: &str,
    signature: Option<&str>,
    json_body: bool,
    body: &[u8],
) -> AppResult<(Receipt, String)> {
    let c = store::sms_connection_by_token(app.db(), token)
        .await?
        .ok_or(AppError::NotFound)?;
    let auth = app.keys().decrypt(&c.auth_token)?;
    let url = super::connections::public_url(app, path_and_query);
    verify_twilio_request(&auth, &url, body, signature)
        .map_err(|e| AppError::Unauthorized(format!("X-Twilio-Signature: {e}")))?;
    // A JSON body carries the same parameters; store them as the form Twilio posts.
    let form: Vec<u8> = if json_body {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| AppError::BadRequest(format!("the body is not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| AppError::BadRequest("the JSON body is not an object".into()))?;
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in obj {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            f.append_pair(k, &s);
        }
        f.finish().into_bytes()
    } else {
        body.to_vec()
    };
    let ws = WorkspaceId(c.workspace_id);
    let raw = String::from_utf8_lossy(&form).into_owned();
    match hook {
        TwilioHook::Status => {
            let cb =
                parse_status_callback(&form).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let k = key(ws, &["status", &cb.message_sid, cb.status.as_str()]);
            let r = store_items(app, ws, TWILIO, vec![(k, format!("status\n{raw}"))]).await?;
            Ok((r, String::new()))
        }
        TwilioHook::Inbound => {
            let m = parse_inbound(&form).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let k = key(ws, &["inbound", &m.message_sid]);
            let r = store_items(app, ws, TWILIO, vec![(k, format!("inbound\n{raw}"))]).await?;
            let twiml = match m.keyword() {
                Some(Keyword::Help) => twiml_reply(c.help_text.as_deref().unwrap_or(
                    "Reply STOP to stop receiving messages, START to receive them again.",
                )),
                _ => EMPTY_TWIML.to_string(),
            };
            Ok((r, twiml))
        }
    }
}

/// Apply every pending event of both providers, in batches. Returns how many were applied.
/// How long a claimed batch of webhook events is reserved for the run applying it.
const CLAIM_LEASE_MS: i64 = 5 * 60 * 1000;

pub async fn process_pending(app: &App) -> AppResult<usize> {
    let st = state(app);
    let mut total = 0;
    for provider in [WHATSAPP, TWILIO] {
        loop {
            // Claimed for a while: another run (a kick beside the recurring job, or another
            // server) takes other events, never these.
            // A write like the job's others: it takes its turn with the receiving writer.
            let gate = st.gate(app).await;
            let batch =
                store::claim_pending_events(app.db(), provider, BATCH, now_ms(), CLAIM_LEASE_MS)
                    .await;
            drop(gate);
            let batch = batch?;
            if batch.is_empty() {
                break;
            }
            let mut done = Vec::with_capacity(batch.len());
            for ev in &batch {
                let Some(ws) = ev.workspace_id.map(WorkspaceId) else {
                    done.push((ev.id, Some("no workspace".to_string())));
                    continue;
                };
                let gate = st.gate(app).await;
                let r = if provider == WHATSAPP {
                    apply_whatsapp(app, ws, &ev.raw).await
                } else {
                    apply_twilio(app, ws, &ev.raw).await
                };
                drop(gate);
                match r {
                    Ok(note) => done.push((ev.id, note)),
                    // A database hiccup: leave the rest for the next run, record what is done.
                    Err(e @ (AppError::Unavailable(_) | AppError::Internal(_))) => {
                        store::mark_events_processed(app.db(), &done).await?;
                        return Err(e);
                    }
                    Err(e) => done.push((ev.id, Some(e.to_string()))),
                }
            }
            total += done.len();
            let gate = st.gate(app).await;
            store::mark_events_processed(app.db(), &done).await?;
            drop(gate);
        }
    }
    if total > 0 {
        tracing::info!(events = total, "messaging webhooks applied");
    }
    Ok(total)
}

pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    let n = process_pending(&ctx.app).await?;
    Ok(Some(json!({"applied": n})))
}

/// Apply one stored WhatsApp item. `Ok(Some(note))` when it was read but not applicable.
async fn apply_whatsapp(app: &App, ws: WorkspaceId, raw: &str) -> AppResult<Option<String>> {
    let events = parse_webhook(raw.as_bytes()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    // Only an inbound message needs the connection (its number); a status does not.
    let conn = if events
        .iter()
        .any(|e| matches!(e, WhatsAppEvent::Message(_)))
    {
        store::wa_connection(app.db(), ws).await?
    } else {
        None
    };
    let mut notes = Vec::new();
    for ev in events {
        let note = match ev {
            WhatsAppEvent::Status(s) => on_status(app, ws, &s).await?,
            WhatsAppEvent::Message(m) => on_inbound(app, ws, conn.as_ref(), &m).await?,
            WhatsAppEvent::TemplateStatus(u) => {
                let reason = u.display_reason().filter(|r| r != "NONE");
                match store::set_template_status(
                    app.db(),
                    ws,
                    &u.template_id,
                    &u.template_name,
                    &u.language,
                    u.event.as_str(),
                    reason.as_deref(),
                )
                .await?
                {
                    Some(t) => {
                        tracing::info!(workspace = ws.0, template = %t.name, status = %t.status,
                            "template status");
                        None
                    }
                    None => Some(format!("unknown template {}", u.template_name)),
                }
            }
            WhatsAppEvent::TemplateQuality(q) => {
                store::set_template_meta(
                    app.db(),
                    ws,
                    &q.template_id,
                    &q.template_name,
                    &q.language,
                    q.new_quality_score.as_deref(),
                    None,
                )
                .await?;
                None
            }
            WhatsAppEvent::TemplateCategory(c) => {
                store::set_template_meta(
                    app.db(),
                    ws,
                    &c.template_id,
                    &c.template_name,
                    &c.language,
                    None,
                    c.new_category.as_ref().map(|c| c.as_str()),
                )
                .await?;
                None
            }
            WhatsAppEvent::UserPreference(p) => {
                let Some(e164) = to_e164(&p.wa_id) else {
                    notes.push(format!("bad wa_id {}", p.wa_id));
                    continue;
                };
                opt_out(
                    app,
                    ws,
                    "whatsapp",
                    &e164,
                    p.stopped,
                    "marketing preference",
                )
                .await?;
                None
            }
            WhatsAppEvent::Other { field, value, .. } => {
                if field == "phone_number_quality_update" || field == "account_update" {
                    let tier = value["current_limit"].as_str();
                    let quality = value["event"].as_str();
                    let daily = tier.and_then(tier_limit);
                    store::set_wa_quality(app.db(), ws, quality, tier, daily).await?;
                    None
                } else {
                    Some(format!("field {field} not handled"))
                }
            }
            WhatsAppEvent::Unparsed { field, error, .. } => Some(format!("{field}: {error}")),
        };
        notes.extend(note);
    }
    Ok((!notes.is_empty()).then(|| notes.join("; ")))
}

fn tier_limit(tier: &str) -> Option<i64> {
    let t = tier.strip_prefix("TIER_")?;
    let (d, mult) = match t.strip_suffix('K') {
        Some(d) => (d, 1000),
        None => (t, 1),
    };
    d.parse::<i64>().ok().map(|n| n * mult)
}

async fn on_status(app: &App, ws: WorkspaceId, s: &StatusUpdate) -> AppResult<Option<String>> {
    let db = app.db();
    // Our message id rides in biz_opaque_callback_data; the wamid is the fallback key.
    let mut m = None;
    if let Some(id) = super::dispatch::callback_message(s.callback_data.as_deref())
        && let Ok(found) = messages::get(db, ws, id).await
        && found.provider_id.as_deref().is_none_or(|p| p == s.wamid)
    {
        m = Some(found);
    }
    if m.is_none() {
        m = messages::find_by_provider_id(db, ws, &s.wamid).await?;
    }
    let Some(m) = m else {
        return Ok(Some(format!("no message with wamid {}", s.wamid)));
    };
    let at = if s.timestamp > 0 {
        s.timestamp * 1000
    } else {
        now_ms()
    };
    let err = s.errors.first();
    let code = err.and_then(|e| e.code);
    let rank = i64::from(s.status.rank());
    let applied = rank > 0
        && store::advance_status(db, ws, m.mid(), s.status.as_str(), rank, at, code).await?;
    let data = json!({"wamid": s.wamid, "status": s.status.as_str(),
        "pricing": s.pricing.as_ref().map(|p| json!({"billable": p.billable,
            "model": p.pricing_model, "category": p.category})),
        "conversation": s.conversation.as_ref().map(|c| json!({"id": c.id,
            "origin": c.origin_type}))})
    .to_string();
    match (&s.status, applied) {
        (MessageStatus::Delivered, true) => {
            messages::record(db, ws, m.mid(), Engagement::Delivered, None, &data, at).await?;
        }
        (MessageStatus::Read | MessageStatus::Played, true) => {
            if m.delivered_at.is_none() {
                messages::record(db, ws, m.mid(), Engagement::Delivered, None, &data, at).await?;
            }
            messages::record(db, ws, m.mid(), Engagement::Opened, Some("read"), &data, at).await?;
        }
        (MessageStatus::Failed, true) => {
            let why = err.map(|e| {
                let (_, reason) = e.classify();
                format!("{reason}: {}", e.describe())
            });
            let why = why.unwrap_or_else(|| "failed".to_string());
            store::set_message_error(db, ws, m.mid(), &why).await?;
            messages::append_event(db, ws, m.mid(), "delivery_failed", Some(&why), &data, at)
                .await?;
            if err.is_some_and(|e| e.classify().1 == WaReason::MarketingOptedOut) {
                suppressions::add(
                    db,
                    ws,
                    "phone",
                    &m.to_address,
                    "whatsapp: stopped marketing messages (131050)",
                )
                .await?;
            }
        }
        _ => {
            // Out of order (delivered after read), a repeat, or informational: kept in the
            // history, the furthest state stays.
            let detail = if applied {
                None
            } else {
                Some("not applied: an earlier status is further")
            };
            messages::append_event(
                db,
                ws,
                m.mid(),
                &format!("whatsapp_{}", s.status.as_str()),
                detail.filter(|_| rank > 0),
                &data,
                at,
            )
            .await?;
        }
    }
    Ok(None)
}

/// The text shown in the conversation for an inbound message of any type.
fn describe(c: &InboundContent) -> String {
    if let Some(t) = c.text() {
        return t.to_string();
    }
    match c {
        InboundContent::Media { kind, filename, .. } => match filename {
            Some(f) => format!("[{}: {f}]", kind.as_str()),
            None => format!("[{}]", kind.as_str()),
        },
        InboundContent::Location {
            latitude,
            longitude,
            name,
            ..
        } => format!(
            "[location {latitude:.5},{longitude:.5}{}]",
            name.as_deref().map(|n| format!(" {n}")).unwrap_or_default()
        ),
        InboundContent::Contacts(list) => format!(
            "[contact card: {}]",
            list.iter()
                .map(|c| c.formatted_name.clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        InboundContent::Reaction { emoji, .. } => match emoji {
            Some(e) => format!("[reaction {e}]"),
            None => "[reaction removed]".into(),
        },
        InboundContent::Order(_) => "[order]".into(),
        InboundContent::Unsupported { .. } => "[unsupported message]".into(),
        InboundContent::Other { kind, .. } => format!("[{kind}]"),
        _ => "[message]".into(),
    }
}

async fn on_inbound(
    app: &App,
    ws: WorkspaceId,
    conn: Option<&WaConnection>,
    m: &InboundMessage,
) -> AppResult<Option<String>> {
    let Some(e164) = to_e164(&m.from) else {
        return Ok(Some(format!("bad sender {}", m.from)));
    };
    if let InboundContent::System { .. } = m.content {
        return Ok(Some("system message".into()));
    }
    let at = if m.timestamp > 0 {
        m.timestamp * 1000
    } else {
        now_ms()
    };
    let source = if m.referral.is_some() {
        "whatsapp_ad"
    } else {
        "whatsapp"
    };
    let contact = contact_for(app, ws, &e164, m.profile_name.as_deref(), source).await?;
    let pnid = if m.number.phone_number_id.is_empty() {
        conn.map(|c| c.phone_number_id.clone()).unwrap_or_default()
    } else {
        m.number.phone_number_id.clone()
    };
    store::touch_window(app.db(), ws, &pnid, &m.from, Some(contact), at).await?;
    let text = describe(&m.content);
    let our = match m.context.as_ref().and_then(|c| c.id.as_deref()) {
        Some(wamid) => messages::find_by_provider_id(app.db(), ws, wamid)
            .await?
            .map(|m| m.id),
        None => None,
    };
    let our = match our {
        Some(id) => Some(id),
        None => store::latest_sent_to(app.db(), ws, "whatsapp", &e164).await?,
    };
    let mut data = json!({"wamid": m.id, "from": e164, "type": kind_of(&m.content)});
    if let Some(r) = &m.referral {
        data["referral"] = json!({"source_url": r.source_url, "source_id": r.source_id,
            "source_type": r.source_type, "headline": r.headline, "ctwa_clid": r.ctwa_clid});
    }
    reply(
        app,
        ws,
        "whatsapp",
        contact,
        our,
        &e164,
        m.number.display_phone_number.as_str(),
        &text,
        at,
        data,
    )
    .await?;
    Ok(None)
}

fn kind_of(c: &InboundContent) -> &'static str {
    match c {
        InboundContent::Text { .. } => "text",
        InboundContent::Media { .. } => "media",
        InboundContent::Location { .. } => "location",
        InboundContent::Contacts(_) => "contacts",
        InboundContent::ButtonReply { .. } => "button_reply",
        InboundContent::ListReply { .. } => "list_reply",
        InboundContent::FlowReply { .. } => "flow_reply",
        InboundContent::TemplateButton { .. } => "button",
        InboundContent::Reaction { .. } => "reaction",
        InboundContent::Order(_) => "order",
        InboundContent::System { .. } => "system",
        InboundContent::Unsupported { .. } => "unsupported",
        InboundContent::Other { .. } => "other",
    }
}

/// The contact with this number, created (with the profile name) when there is none.
async fn contact_for(
    app: &App,
    ws: WorkspaceId,
    e164: &str,
    name: Option<&str>,
    source: &str,
) -> AppResult<i64> {
    if let Some(id) = store::contact_by_phone(app.db(), ws, e164).await? {
        return Ok(id);
    }
    let mut f = ContactFields::new(source);
    f.phone = Some(e164.to_string());
    if source != "sms" {
        f.whatsapp = Some(e164.to_string());
    }
    f.full_name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    f.search_text = crate::imports::contact_search_text(&f, None);
    let c = contacts::insert(app.db(), ws, &f).await?;
    tracing::info!(
        workspace = ws.0,
        contact = c.id,
        source,
        "contact created from an inbound message"
    );
    Ok(c.id)
}

/// An inbound message is a reply, exactly like an email reply: the answered message is
/// marked replied and the sequences that stop on a reply stop, the contact becomes a lead,
/// and both sides land in the channel's conversation.
#[allow(clippy::too_many_arguments)]
async fn reply(
    app: &App,
    ws: WorkspaceId,
    channel: &str,
    contact: i64,
    our: Option<i64>,
    from: &str,
    to: &str,
    text: &str,
    at: i64,
    data: Value,
) -> AppResult<()> {
    let db = app.db();
    let snippet: String = text.chars().take(140).collect();
    let ours = match our {
        Some(id) => {
            Some(crate::outreach::events::replied(app, ws, MessageId(id), Some(&snippet)).await?)
        }
        None => {
            crate::outreach::events::stop_contact(app, ws, ContactId(contact), "reply").await?;
            None
        }
    };
    let lead_source = data
        .get("referral")
        .map(|_| "whatsapp_ad")
        .unwrap_or(channel);
    if contacts::make_lead(db, ws, ContactId(contact), "new", lead_source).await? {
        timeline::record(
            db,
            ws,
            Subject::Contact(contact),
            "lead.created",
            &format!("Became a lead by replying on {channel}"),
            &json!({"message_id": our, "lead_source": lead_source}).to_string(),
            "inbound",
        )
        .await?;
    }
    timeline::record(
        db,
        ws,
        Subject::Contact(contact),
        &format!("{channel}.replied"),
        &format!("Replied: {snippet}"),
        &json!({"message_id": our, "data": data}).to_string(),
        "inbound",
    )
    .await?;
    let conv = conversations::open(db, ws, ContactId(contact), channel, None).await?;
    if let Some(m) = &ours {
        conversations::add(
            db,
            ws,
            conv.id,
            &NewEntry {
                direction: "out",
                message_id: Some(m.id),
                from_address: m.from_address.as_deref(),
                to_address: Some(&m.to_address),
                subject: m.subject.as_deref(),
                body_text: &m.body_text,
                at: m.sent_at.unwrap_or(m.created_at),
                ..Default::default()
            },
        )
        .await?;
    }
    conversations::add(
        db,
        ws,
        conv.id,
        &NewEntry {
            direction: "in",
            from_address: Some(from),
            to_address: Some(to).filter(|t| !t.is_empty()),
            body_text: text,
            at,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Opt-out (suppress the number on every channel, consent recorded, sequences stopped) or
/// opt-in (lift what this channel's opt-out did).
async fn opt_out(
    app: &App,
    ws: WorkspaceId,
    channel: &str,
    e164: &str,
    stopped: bool,
    why: &str,
) -> AppResult<()> {
    let db = app.db();
    let contact = store::contact_by_phone(db, ws, e164).await?;
    if stopped {
        suppressions::add(db, ws, "phone", e164, &format!("{channel}: {why}")).await?;
        if let Some(c) = contact {
            store::set_consent(db, ws, c, channel, "opted_out").await?;
            crate::outreach::events::stop_contact(app, ws, ContactId(c), "unsubscribe").await?;
            timeline::record(
                db,
                ws,
                Subject::Contact(c),
                &format!("{channel}.opted_out"),
                &format!("Opted out of {channel} messages ({why})"),
                "{}",
                "inbound",
            )
            .await?;
        }
        tracing::info!(workspace = ws.0, channel, "number opted out");
    } else {
        store::lift_phone_suppression(db, ws, e164, &format!("{channel}:")).await?;
        if let Some(c) = contact {
            store::set_consent(db, ws, c, channel, "granted").await?;
            timeline::record(
                db,
                ws,
                Subject::Contact(c),
                &format!("{channel}.opted_in"),
                &format!("Opted in to {channel} messages again ({why})"),
                "{}",
                "inbound",
            )
            .await?;
        }
        tracing::info!(workspace = ws.0, channel, "number opted in");
    }
    Ok(())
}

/// Apply one stored Twilio item (`status\n<form>` or `inbound\n<form>`).
async fn apply_twilio(app: &App, ws: WorkspaceId, raw: &str) -> AppResult<Option<String>> {
    let (kind, form) = raw
        .split_once('\n')
        .ok_or_else(|| AppError::BadRequest("unreadable stored event".into()))?;
    let db = app.db();
    if kind == "status" {
        let cb = parse_status_callback(form.as_bytes())
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let Some(m) = messages::find_by_provider_id(db, ws, &cb.message_sid).await? else {
            return Ok(Some(format!("no message with sid {}", cb.message_sid)));
        };
        let rank = i64::from(cb.status.rank());
        let applied = rank > 0
            && store::advance_status(
                db,
                ws,
                m.mid(),
                cb.status.as_str(),
                rank,
                now_ms(),
                cb.error_code,
            )
            .await?;
        let data = json!({"sid": cb.message_sid, "status": cb.status.as_str(),
            "error_code": cb.error_code})
        .to_string();
        let at = now_ms();
        match (&cb.status, applied) {
            (SmsStatus::Delivered | SmsStatus::Read, true) => {
                messages::record(db, ws, m.mid(), Engagement::Delivered, None, &data, at).await?;
            }
            (SmsStatus::Undelivered | SmsStatus::Failed, true) => {
                let why = match cb.error_class() {
                    Some((_, reason)) => format!(
                        "{}: {} (error {})",
                        reason.as_str(),
                        cb.status.as_str(),
                        cb.error_code.unwrap_or_default()
                    ),
                    None => cb.status.as_str().to_string(),
                };
                store::set_message_error(db, ws, m.mid(), &why).await?;
                messages::append_event(db, ws, m.mid(), "delivery_failed", Some(&why), &data, at)
                    .await?;
                if cb
                    .error_class()
                    .is_some_and(|(_, r)| r == prospector_channels::sms::SmsReason::Unsubscribed)
                {
                    suppressions::add(db, ws, "phone", &m.to_address, "sms: replied STOP (21610)")
                        .await?;
                }
            }
            _ => {
                messages::append_event(
                    db,
                    ws,
                    m.mid(),
                    &format!("sms_{}", cb.status.as_str()),
                    (!applied && rank > 0).then_some("not applied: an earlier status is further"),
                    &data,
                    at,
                )
                .await?;
            }
        }
        return Ok(None);
    }
    let params = parse_form(form.as_bytes());
    let m = parse_inbound(form.as_bytes()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let Some(e164) = to_e164(&m.from).filter(|_| m.from.starts_with('+')) else {
        return Ok(Some(format!("sender {} is not E.164", m.from)));
    };
    match m.keyword() {
        Some(Keyword::OptOut) => {
            opt_out(
                app,
                ws,
                "sms",
                &e164,
                true,
                &format!("replied {}", m.body.trim()),
            )
            .await?;
        }
        Some(Keyword::OptIn) => {
            opt_out(
                app,
                ws,
                "sms",
                &e164,
                false,
                &format!("replied {}", m.body.trim()),
            )
            .await?;
        }
        Some(Keyword::Help) => {}
        None => {
            let contact = contact_for(app, ws, &e164, None, "sms").await?;
            let our = store::latest_sent_to(db, ws, "sms", &e164).await?;
            let mut text = m.body.clone();
            for media in &m.media {
                text.push_str(&format!(" [media {}]", media.url));
            }
            reply(
                app,
                ws,
                "sms",
                contact,
                our,
                &e164,
                &m.to,
                text.trim(),
                now_ms(),
                json!({"sid": m.message_sid, "params": params.len()}),
            )
            .await?;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::connections::{WhatsAppInput, connect_whatsapp};
    use prospector_channels::whatsapp::meta_signature;

    fn status(wamid: &str, st: &str) -> String {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "2001", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550100199", "phone_number_id": "1001"},
                "statuses": [{"id": wamid, "status": st, "timestamp": "1700000000",
                    "recipient_id": "15550100100"}]}}]}]})
        .to_string()
    }

    async fn connect(app: &App, ctx: &crate::WsCtx, secret: &str) -> String {
        let out = connect_whatsapp(
            app,
            ctx,
            &WhatsAppInput {
                kind: Some("sandbox".into()),
                phone_number_id: "1001".into(),
                waba_id: "2001".into(),
                access_token: "token".into(),
                app_secret: secret.into(),
                verify_token: "verify".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        out.webhook_path.rsplit('/').next().unwrap().to_string()
    }

    /// Concurrent deliveries share group commits: every distinct status is stored once,
    /// whether its duplicate arrives in the same batch or a later one, and each request's
    /// receipt says which of its events were new.
    #[tokio::test]
    async fn concurrent_deliveries_are_stored_once_each() {
        let (app, ctx, _dir) = crate::testing::app_with_workspace(|_| {}).await.unwrap();
        let token = connect(&app, &ctx, "first-secret").await;
        let mut tasks = Vec::new();
        for round in 0..2 {
            for i in 0..30 {
                let (app, token) = (app.clone(), token.clone());
                tasks.push(tokio::spawn(async move {
                    let body = status(&format!("wamid.{i}"), "delivered");
                    let sig = meta_signature("first-secret", body.as_bytes());
                    let r = receive_whatsapp(&app, &token, Some(&sig), body.as_bytes()).await;
                    (round, r.unwrap())
                }));
            }
        }
        let (mut stored, mut dups) = (0, 0);
        for t in tasks {
            let (_, r) = t.await.unwrap();
            assert_eq!(r.stored + r.duplicates, 1);
            stored += r.stored;
            dups += r.duplicates;
        }
        assert_eq!((stored, dups), (30, 30));
        assert_eq!(store::count_pending(app.db(), WHATSAPP).await.unwrap(), 30);

        // A forged signature stores nothing, even with the connection cached.
        let body = status("wamid.forged", "read");
        let bad = meta_signature("not-the-secret", body.as_bytes());
        let e = receive_whatsapp(&app, &token, Some(&bad), body.as_bytes()).await;
        assert!(matches!(e, Err(AppError::Unauthorized(_))));
        assert_eq!(store::count_pending(app.db(), WHATSAPP).await.unwrap(), 30);

        // A rotated secret is used at once although the old connection is cached.
        connect(&app, &ctx, "second-secret").await;
        let sig = meta_signature("second-secret", body.as_bytes());
        let r = receive_whatsapp(&app, &token, Some(&sig), body.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.stored, 1);
        let e = receive_whatsapp(&app, "no-such-token", Some(&sig), body.as_bytes()).await;
        assert!(matches!(e, Err(AppError::NotFound)));

        let applied = process_pending(&app).await.unwrap();
        assert_eq!(applied, 31);
        assert_eq!(store::count_pending(app.db(), WHATSAPP).await.unwrap(), 0);
    }
}
