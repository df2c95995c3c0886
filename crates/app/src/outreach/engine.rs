//! The sequence engine. A tick takes the enrollments that are due, decides for each whether
//! its next step goes out now (stop conditions, suppression, the previous step's outcome and
//! delay, the send window in the recipient's zone, a sender with budget left today, the gap
//! between two sends of one sender) and, when it does, renders the message and queues it in
//! the same transaction that moves the enrollment on. Only today's sends are planned; what
//! does not fit waits in its enrollment with `next_at` set, so limits are never overrun and
//! the plan is rebuilt every day.

use super::render::{self, Contexts, Needs, Parts};
use super::senders::{day_start, limit_today};
use crate::{App, AppError, AppResult};
use prospector_core::outreach::{
    SendWindow, SenderBudget, SenderHealth, SenderState, Zone, due_after, next_allowed,
    next_gap_ms, timezone_for,
};
use prospector_core::time::now_ms;
use prospector_store::campaigns::{self, CampaignDetail, Step};
use prospector_store::enrollments::{self, Enrollment};
use prospector_store::messages::{self, ID_PLACEHOLDER, NewLink, NewMessage, QueueStep};
use prospector_store::senders::{self as sender_store, Sender};
use prospector_store::{EnrollmentId, SenderId, WorkspaceId};
use serde::Serialize;
use std::collections::HashMap;

/// The job kind of a tick.
pub const TICK_JOB: &str = "outreach.tick";
/// Enrollments looked at per round.
const BATCH: i64 = 500;
const DAY_MS: i64 = 86_400_000;
/// How long to wait before looking again at an enrollment whose previous message is still
/// on its way.
const RECHECK_MS: i64 = 10 * 60 * 1000;
/// A step without delay is looked at this long after the previous step's planned send (not
/// in the same tick, when that message cannot have gone yet); the dispatchers kick a tick
/// just after this once they have sent something ([`follow_up`]).
const FOLLOW_UP_SLACK_MS: i64 = 1_000;

/// What one tick did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    pub queued: u64,
    /// Steps recorded as skipped for a contact (no number for the channel, consent...).
    pub skipped: u64,
    pub waiting_for_approval: u64,
    pub deferred: u64,
    pub completed: u64,
    pub stopped: u64,
}

/// Queue a tick now (at most one per second is created).
pub async fn kick(app: &App) -> AppResult<()> {
    let mut job = prospector_store::jobs::NewJob::new(TICK_JOB, "{}");
    job.unique_key = Some(format!("{TICK_JOB}:kick:{}", now_ms() / 1000));
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await?;
    Ok(())
}

/// The job handler.
pub(crate) async fn job(ctx: crate::jobs::JobCtx) -> crate::jobs::JobResult {
    let r = tick(&ctx.app, now_ms()).await?;
    if r.queued > 0 {
        super::dispatch::kick(&ctx.app).await?;
        crate::messaging::dispatch::kick(&ctx.app).await?;
    }
    Ok(Some(serde_json::to_value(&r).unwrap_or_default()))
}

/// After a dispatcher sent campaign messages: a tick shortly after the follow-up slack, so
/// a next step without delay (email, then WhatsApp the same day) goes out in seconds rather
/// than at the next recurring tick.
pub async fn follow_up(app: &App) -> AppResult<()> {
    let at = now_ms() + FOLLOW_UP_SLACK_MS + 500;
    let mut job = prospector_store::jobs::NewJob::new(TICK_JOB, "{}");
    job.run_at = at;
    job.unique_key = Some(format!("{TICK_JOB}:follow-up:{}", at / 1000));
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await?;
    Ok(())
}

/// A deterministic 64-bit seed from a few numbers (variant choice, spintax, gaps).
pub fn seed(parts: &[i64]) -> u64 {
    // FNV-1a over the little-endian bytes: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A Message-ID on the sender's domain; the store puts the row id in place of `{id}`.
pub fn message_id_for(from_email: &str) -> String {
    let domain = from_email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("prospector.local");
    format!(
        "<{ID_PLACEHOLDER}.{}@{domain}>",
        crate::crypto::random_token(9).replace(['-', '_'], "x")
    )
}

/// The subject, text and HTML a step sends: its variant's, else its template's, else its own.
pub async fn step_content(
    app: &App,
    ws: WorkspaceId,
    step: &Step,
    variant: Option<&prospector_store::campaigns::Variant>,
) -> AppResult<(String, String, Option<String>)> {
    let (mut subject, mut text, mut html) = (
        step.f.subject.clone().unwrap_or_default(),
        step.f.body_text.clone().unwrap_or_default(),
        step.f.body_html.clone(),
    );
    if let Some(tid) = step.f.template_id {
        let t = prospector_store::templates::get(app.db(), ws, prospector_store::TemplateId(tid))
            .await?;
        subject = t.f.subject.unwrap_or_default();
        text = t.f.body_text;
        html = t.f.body_html;
    }
    if let Some(v) = variant {
        if let Some(s) = &v.f.subject {
            subject = s.clone();
        }
        if let Some(t) = &v.f.body_text {
            text = t.clone();
            html = v.f.body_html.clone();
        }
    }
    Ok((subject, text, html))
}

/// Pick a variant by weight, stable for an enrollment and step.
fn pick_variant(step: &Step, seed: u64) -> Option<&prospector_store::campaigns::Variant> {
    let total: i64 = step.variants.iter().map(|v| v.f.weight.max(1)).sum();
    if total <= 0 {
        return None;
    }
    let mut x = (seed % total as u64) as i64;
    for v in &step.variants {
        let w = v.f.weight.max(1);
        if x < w {
            return Some(v);
        }
        x -= w;
    }
    step.variants.last()
}

/// A campaign's steps parsed once per tick.
struct Plan {
    detail: CampaignDetail,
    window: SendWindow,
    recipient_zone: bool,
    stop_on: Vec<String>,
    /// Parsed parts per (step index, variant id or 0).
    parts: HashMap<(usize, i64), Parts>,
    /// The WhatsApp and SMS steps' templates and connections.
    channels: super::channel_steps::ChannelPlan,
    /// What of each company the steps' templates use.
    needs: Needs,
}

async fn plan_of(app: &App, ws: WorkspaceId, id: i64) -> AppResult<Plan> {
    let detail = campaigns::get(app.db(), ws, prospector_store::CampaignId(id)).await?;
    let spec: super::spec::ScheduleSpec =
        serde_json::from_str(&detail.campaign.f.schedule).unwrap_or_default();
    let window = SendWindow::parse(
        &spec.timezone,
        &spec.days.iter().map(String::as_str).collect::<Vec<_>>(),
        &spec.start,
        &spec.end,
    )
    .map_err(|e| AppError::invalid("schedule", e.to_string()))?;
    let stop_on: Vec<String> = serde_json::from_str(&detail.campaign.f.stop_on).unwrap_or_default();
    let mut parts = HashMap::new();
    for (i, st) in detail.steps.iter().enumerate() {
        let (s, t, h) = step_content(app, ws, st, None).await?;
        if !s.is_empty() || !t.is_empty() {
            parts.insert((i, 0), Parts::parse(&s, &t, h.as_deref())?);
        }
        for v in &st.variants {
            let (s, t, h) = step_content(app, ws, st, Some(v)).await?;
            parts.insert((i, v.id), Parts::parse(&s, &t, h.as_deref())?);
        }
    }
    let channels = super::channel_steps::ChannelPlan::load(app, ws, &detail.steps).await?;
    // WhatsApp and SMS steps fill their template parameters from the same variables, outside
    // these parts: they get everything.
    let needs = if detail.steps.iter().all(|s| s.f.channel == "email") {
        Needs::of_parts(parts.values())
    } else {
        Needs::ALL
    };
    Ok(Plan {
        detail,
        window,
        recipient_zone: spec.recipient_timezone,
        stop_on,
        parts,
        channels,
        needs,
    })
}

/// Run the engine over every due enrollment (across workspaces) at time `now`.
pub async fn tick(app: &App, now: i64) -> AppResult<TickReport> {
    let mut report = TickReport::default();
    let started = std::time::Instant::now();
    // Per workspace and sender: messages planned today and the latest planned time, counted
    // once per tick and kept up to date as batches are queued.
    let mut planned: Planned = HashMap::new();
    // Campaigns parsed once per tick.
    let mut plans: HashMap<i64, Plan> = HashMap::new();
    loop {
        // Each round takes a batch from every campaign with due enrollments in turn, so a
        // large campaign never keeps a small one waiting.
        let due = enrollments::campaigns_due(app.db(), now).await?;
        if due.is_empty() {
            break;
        }
        let before = report.queued
            + report.skipped
            + report.deferred
            + report.completed
            + report.stopped
            + report.waiting_for_approval;
        for (ws, campaign) in due {
            let ws = WorkspaceId(ws);
            let list = enrollments::due_in_campaign(
                app.db(),
                ws,
                prospector_store::CampaignId(campaign),
                now,
                BATCH,
            )
            .await?;
            if list.is_empty() {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = plans.entry(campaign) {
                match plan_of(app, ws, campaign).await {
                    Ok(plan) => {
                        slot.insert(plan);
                    }
                    Err(e) => {
                        // A campaign that cannot be planned is paused with the reason, so it
                        // does not block the others and a person sees why.
                        tracing::warn!(campaign, error = %e, "campaign cannot be planned; pausing it");
                        campaigns::set_state(
                            app.db(),
                            ws,
                            prospector_store::CampaignId(campaign),
                            campaigns::PAUSED,
                            &[campaigns::ACTIVE],
                            Some(&format!("paused: {e}")),
                        )
                        .await?;
                        continue;
                    }
                }
            }
            if let Some(plan) = plans.get(&campaign) {
                run_group(app, ws, plan, list, now, &mut report, &mut planned).await?;
            }
        }
        let after = report.queued
            + report.skipped
            + report.deferred
            + report.completed
            + report.stopped
            + report.waiting_for_approval;
        if after == before || started.elapsed() > std::time::Duration::from_secs(50) {
            break;
        }
    }
    if report.queued + report.waiting_for_approval > 0 {
        tracing::info!(
            queued = report.queued,
            approval = report.waiting_for_approval,
            deferred = report.deferred,
            "outreach tick"
        );
    }
    Ok(report)
}

/// Workspace id → sender id → (messages planned today, latest planned time).
type Planned = HashMap<i64, HashMap<i64, (i64, i64)>>;

/// Senders of a campaign with what they may still send today and their next free slot.
struct Senders {
    list: Vec<Sender>,
    budget: SenderBudget,
    next_slot: Vec<i64>,
    /// The latest time planned for each sender in this batch.
    last_at: Vec<Option<i64>>,
}

async fn senders_of(
    app: &App,
    ws: WorkspaceId,
    plan: &Plan,
    now: i64,
    cache: &mut Planned,
) -> AppResult<Senders> {
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(ws.0) {
        let from = day_start(now);
        let counted: HashMap<i64, (i64, i64)> =
            messages::planned_by_sender(app.db(), ws, from, from + DAY_MS)
                .await?
                .into_iter()
                .map(|(s, n, max)| (s, (n, max)))
                .collect();
        slot.insert(counted);
    }
    let planned = cache.get(&ws.0).cloned().unwrap_or_default();
    let list: Vec<Sender> = plan.detail.senders.clone();
    let gap_s = u64::try_from(plan.detail.campaign.f.min_gap_seconds.max(0)).unwrap_or(0);
    let mut states = Vec::new();
    let mut next_slot = Vec::new();
    for s in &list {
        let (n, max) = planned.get(&s.id).copied().unwrap_or((0, 0));
        states.push(SenderState {
            sent_today: u32::try_from(n).unwrap_or(u32::MAX),
            daily_limit: u32::try_from(limit_today(s, now)).unwrap_or(0),
            health: if s.state == sender_store::ACTIVE {
                SenderHealth::Active
            } else {
                SenderHealth::Paused
            },
        });
        let after_last = if n > 0 {
            max + i64::try_from(next_gap_ms(gap_s, seed(&[s.id, max]))).unwrap_or(0)
        } else {
            now
        };
        next_slot.push(after_last.max(now));
    }
    let n = list.len();
    Ok(Senders {
        list,
        budget: SenderBudget::new(states),
        next_slot,
        last_at: vec![None; n],
    })
}

async fn run_group(
    app: &App,
    ws: WorkspaceId,
    plan: &Plan,
    list: Vec<Enrollment>,
    now: i64,
    report: &mut TickReport,
    cache: &mut Planned,
) -> AppResult<()> {
    let db = app.db();
    let steps = &plan.detail.steps;
    let contact_ids: Vec<i64> = list.iter().map(|e| e.contact_id).collect();
    let cx = Contexts::load_for(app, ws, &contact_ids, plan.needs).await?;
    let blocked = super::suppression::blocked_among(app, ws, cx.contacts()).await?;
    let prev_ids: Vec<i64> = list.iter().filter_map(|e| e.last_message_id).collect();
    let prev: HashMap<i64, messages::Message> = messages::get_many(db, ws, &prev_ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut senders = senders_of(app, ws, plan, now, cache).await?;
    let day_end = day_start(now) + DAY_MS;
    let gap_s = u64::try_from(plan.detail.campaign.f.min_gap_seconds.max(0)).unwrap_or(0);
    let campaign = &plan.detail.campaign;
    // Each decision with the sender it took budget from (email steps).
    let mut batch: Vec<(QueueStep, Option<usize>)> = Vec::new();
    // Enrollments that wait (enrollment id, when to look again), written together.
    let mut defer: Vec<(i64, i64)> = Vec::new();
    let mixed = steps.iter().any(|s| s.f.channel != "email");
    for e in list {
        let eid = EnrollmentId(e.id);
        let Some(contact) = cx.contact(e.contact_id) else {
            enrollments::stop(db, ws, eid, "contact deleted").await?;
            report.stopped += 1;
            continue;
        };
        let idx = usize::try_from(e.current_step).unwrap_or(usize::MAX);
        let Some(step) = steps.get(idx) else {
            enrollments::complete(db, ws, eid).await?;
            report.completed += 1;
            continue;
        };
        if let Some(reason) = blocked.get(&e.contact_id) {
            enrollments::stop(db, ws, eid, reason).await?;
            report.stopped += 1;
            continue;
        }
        if plan.stop_on.iter().any(|s| s == "lead_stage_change")
            && contact.f.lead_stage.is_some()
            && e.current_step > 0
        {
            enrollments::stop(db, ws, eid, "lead stage set").await?;
            report.stopped += 1;
            continue;
        }
        let company = cx.company_of(contact);
        let zone = if plan.recipient_zone {
            let country = contact
                .f
                .country
                .as_deref()
                .or(company.and_then(|c| c.f.country.as_deref()));
            let region = contact
                .f
                .region
                .as_deref()
                .or(company.and_then(|c| c.f.region.as_deref()));
            let phone = contact
                .f
                .phone
                .as_deref()
                .or(company.and_then(|c| c.f.phone.as_deref()));
            timezone_for(country, region, phone).and_then(|z| Zone::parse(z).ok())
        } else {
            None
        };
        let zone_ref = zone.as_ref().unwrap_or(plan.window.zone());
        // When the step is due: after the previous message was sent plus the delay.
        let base = match e.last_message_id.and_then(|id| prev.get(&id)) {
            Some(m) if e.current_step > 0 => match m.status.as_str() {
                "sent" => m.sent_at.unwrap_or(now),
                // A step skipped for this contact (no number, consent, outside the WhatsApp
                // window without a fallback), or a WhatsApp/SMS message the provider
                // refused: the sequence goes on from then.
                "cancelled" => m.updated_at,
                "failed" if m.channel != "email" => m.updated_at,
                "queued" | "sending" | "pending_approval" => {
                    // Waiting for a person: look again in a while; waiting for the sender:
                    // shortly after its planned time.
                    let again = if m.status == "pending_approval" {
                        now + RECHECK_MS
                    } else {
                        m.scheduled_at.max(now) + FOLLOW_UP_SLACK_MS
                    };
                    defer.push((e.id, again));
                    report.deferred += 1;
                    continue;
                }
                other => {
                    let why = format!(
                        "previous message {other}{}",
                        m.error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    );
                    enrollments::stop(db, ws, eid, &why).await?;
                    report.stopped += 1;
                    continue;
                }
            },
            _ => e.created_at,
        };
        let due = if step.f.delay_days > 0 {
            due_after(
                base,
                u32::try_from(step.f.delay_days).unwrap_or(0),
                step.f.business_days,
                zone_ref,
            )
        } else {
            base
        };
        let earliest = next_allowed(due.max(now), &plan.window, zone.as_ref());
        if earliest >= day_end || earliest > now + DAY_MS {
            defer.push((e.id, earliest));
            report.deferred += 1;
            continue;
        }
        let next = steps.get(idx + 1);
        let next_at_after = |at: i64| {
            next.map(|n| {
                if n.f.delay_days > 0 {
                    due_after(
                        at,
                        u32::try_from(n.f.delay_days).unwrap_or(0),
                        n.f.business_days,
                        zone_ref,
                    )
                } else {
                    at + FOLLOW_UP_SLACK_MS
                }
            })
        };
        // This step's message planned for `at`, moving the enrollment on; each channel
        // fills in what it sends (or why it is skipped).
        let step_at = |at: i64| QueueStep {
            enrollment_id: Some(eid),
            expected_step: e.current_step,
            next_at: next_at_after(at),
            complete: next.is_none(),
            message: NewMessage {
                campaign_id: Some(prospector_store::CampaignId(campaign.id)),
                contact_id: Some(prospector_store::ContactId(contact.id)),
                step_id: Some(prospector_store::StepId(step.id)),
                channel: step.f.channel.clone(),
                pending_approval: campaign.f.approval_required,
                scheduled_at: at,
                ..Default::default()
            },
            ..Default::default()
        };
        let skip = |at: i64, why: String| {
            let mut q = step_at(at);
            q.message.pending_approval = false;
            q.skipped = Some(why);
            q
        };
        if step.f.channel != "email" {
            let at = earliest;
            let outcome = super::channel_steps::prepare(
                app,
                ws,
                &plan.channels,
                step,
                idx,
                plan.parts.get(&(idx, 0)),
                &cx,
                contact,
                &campaign.f.name,
                seed(&[e.id, step.id]),
            )
            .await?;
            let q = match outcome {
                super::channel_steps::Outcome::Skip(why) => skip(at, why),
                super::channel_steps::Outcome::Send {
                    to,
                    from,
                    body,
                    part,
                } => {
                    let mut q = step_at(at);
                    q.message.from_address = from;
                    q.message.to_address = to;
                    q.message.subject = part.template_name.clone();
                    q.message.body_text = body;
                    q.part = Some(*part);
                    q
                }
            };
            batch.push((q, None));
            continue;
        }
        let Some(to) = contact.f.email.clone() else {
            if mixed {
                batch.push((skip(earliest, "no email address".into()), None));
            } else {
                enrollments::stop(db, ws, eid, "no email address").await?;
                report.stopped += 1;
            }
            continue;
        };
        // A sender with budget today; follow-ups stay with the mailbox that started.
        let preferred = e
            .sender_id
            .and_then(|id| senders.list.iter().position(|s| s.id == id))
            .filter(|i| {
                senders
                    .budget
                    .senders()
                    .get(*i)
                    .is_some_and(|s| s.can_send())
            });
        let si = match preferred {
            Some(i) => {
                senders.budget.take(i);
                Some(i)
            }
            None => senders.budget.next_sender(),
        };
        let Some(si) = si else {
            let tomorrow = next_allowed(day_end, &plan.window, zone.as_ref());
            defer.push((e.id, tomorrow));
            report.deferred += 1;
            continue;
        };
        let at = next_allowed(
            earliest.max(senders.next_slot[si]),
            &plan.window,
            zone.as_ref(),
        );
        if at >= day_end {
            senders.budget.release(si);
            let tomorrow = next_allowed(day_end, &plan.window, zone.as_ref());
            defer.push((e.id, tomorrow));
            report.deferred += 1;
            continue;
        }
        let sender = &senders.list[si];
        senders.last_at[si] = Some(senders.last_at[si].map_or(at, |l| l.max(at)));
        senders.next_slot[si] =
            at + i64::try_from(next_gap_ms(gap_s, seed(&[e.id, at]))).unwrap_or(0);
        let s = seed(&[e.id, step.id]);
        let variant = pick_variant(step, s);
        let key = (idx, variant.map(|v| v.id).unwrap_or(0));
        let Some(parts) = plan.parts.get(&key) else {
            enrollments::stop(db, ws, eid, "the step has no content").await?;
            report.stopped += 1;
            continue;
        };
        let token = crate::crypto::ordered_token(16);
        let unsub = super::tracking::unsubscribe_url(app, &token);
        let vars = cx.context(contact, Some(sender), Some(&campaign.f.name), &unsub);
        let r = render::render(parts, &vars, s);
        let body = super::tracking::finish_body(
            app,
            &r,
            &parts_uses(parts),
            sender.f.signature.as_deref(),
            &unsub,
            campaign.f.track_opens.then_some(token.as_str()),
            campaign.f.track_clicks,
        );
        let mut q = step_at(at);
        q.message = NewMessage {
            variant_id: variant.map(|v| prospector_store::VariantId(v.id)),
            sender_id: Some(SenderId(sender.id)),
            from_address: Some(sender.f.from_email.clone()),
            to_address: to,
            subject: Some(r.subject.clone()),
            body_text: body.text,
            body_html: Some(body.html),
            message_id_header: Some(message_id_for(&sender.f.from_email)),
            // Follow-ups answer the previous message, so mail clients thread them.
            in_reply_to: (e.current_step > 0)
                .then(|| e.last_message_id.and_then(|id| prev.get(&id)))
                .flatten()
                .and_then(|m| m.message_id_header.clone()),
            unsubscribe_token: Some(token),
            links: body.links,
            ..std::mem::take(&mut q.message)
        };
        batch.push((q, Some(si)));
    }
    enrollments::set_next_at_many(db, ws, &defer).await?;
    // The decisions are written in batches: each message with its enrollment's move, in one
    // transaction per batch (an enrollment another tick moved meanwhile is skipped).
    for chunk in batch.chunks(250) {
        let qs: Vec<QueueStep> = chunk.iter().map(|(q, _)| q.clone()).collect();
        let ids = messages::queue_step_messages(db, ws, &qs).await?;
        for ((q, si), id) in chunk.iter().zip(ids) {
            match id {
                Some(_) if q.skipped.is_some() => report.skipped += 1,
                Some(_) if campaign.f.approval_required => report.waiting_for_approval += 1,
                Some(_) => report.queued += 1,
                None => {
                    if let Some(si) = si {
                        senders.budget.release(*si);
                    }
                }
            }
        }
    }
    let counts = cache.entry(ws.0).or_default();
    for (i, s) in senders.list.iter().enumerate() {
        let n = senders
            .budget
            .senders()
            .get(i)
            .map_or(0, |st| i64::from(st.sent_today));
        let prev = counts.get(&s.id).map_or(0, |c| c.1);
        let max = senders.last_at[i].map_or(prev, |l| l.max(prev));
        counts.insert(s.id, (n, max));
    }
    Ok(())
}

/// Which special variables a step's parts use themselves (so nothing is appended twice).
pub struct Uses {
    pub unsubscribe_url: bool,
    pub signature: bool,
}

fn parts_uses(p: &Parts) -> Uses {
    let names = p.variables();
    Uses {
        unsubscribe_url: names.contains(&"unsubscribe_url"),
        signature: names.contains(&"sender.signature"),
    }
}

/// Links of a rendered message, for the tracking table.
pub type Links = Vec<NewLink>;
