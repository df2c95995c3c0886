//! The website scan on the company page (state, facts by kind, versions) and the email
//! verification on the contact page, plus their form handlers: scan a website, add a found
//! email or phone as a contact, verify an email.

use super::contacts::{id_of, redirect_error};
use super::{PageError, PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::{Page, Write};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use prospector_app::AppError;
use prospector_app::core::ids::{CompanyId, ContactId};
use prospector_app::scans as uc;
use prospector_app::store::facts::{Fact, Scan};
use serde::Deserialize;

/// Only http(s) links from scanned pages become hrefs.
fn safe_href(u: &str) -> String {
    let l = u.trim().to_ascii_lowercase();
    if l.starts_with("http://") || l.starts_with("https://") {
        u.trim().to_string()
    } else {
        String::new()
    }
}

/// One scan, as listed.
pub struct ScanLine {
    pub id: i64,
    pub state: String,
    pub error: String,
    pub pages: i64,
    pub score: String,
    pub created_at: i64,
    pub finished_at: i64,
    /// The scan's job (0 when none), whose progress the page follows.
    pub job_id: i64,
}

impl ScanLine {
    fn of(s: &Scan) -> ScanLine {
        ScanLine {
            id: s.id,
            state: s.state.clone(),
            error: s.error.clone().unwrap_or_default(),
            pages: s.pages,
            score: s.website_score.map(|v| v.to_string()).unwrap_or_default(),
            created_at: s.created_at,
            finished_at: s.finished_at.unwrap_or(0),
            job_id: s.job_id.unwrap_or(0),
        }
    }
}

/// One fact, as shown.
pub struct FactLine {
    pub id: i64,
    pub value: String,
    /// A link for the value (socials), when safe.
    pub href: String,
    /// A label beside the value (network, category, kind of form).
    pub label: String,
    pub source: String,
    pub source_href: String,
}

fn data_of(f: &Fact) -> serde_json::Value {
    serde_json::from_str(&f.data).unwrap_or_default()
}

fn text_at(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

impl FactLine {
    fn of(f: &Fact, label: String, link_value: bool) -> FactLine {
        let source = f.source_url.clone().unwrap_or_default();
        FactLine {
            id: f.id,
            value: f.value.clone(),
            href: if link_value {
                safe_href(&f.value)
            } else {
                String::new()
            },
            label,
            source_href: safe_href(&source),
            source,
        }
    }
}

/// A factor of the website score.
pub struct Factor {
    pub name: String,
    pub points: u64,
    pub max: u64,
    pub reason: String,
}

/// The scan section of a company page.
pub struct ScanView {
    pub has_website: bool,
    /// The newest scan, whatever its state.
    pub latest: Option<ScanLine>,
    /// Queued or running: the page reloads itself.
    pub active: bool,
    /// The scan whose facts are shown.
    pub shown: Option<ScanLine>,
    /// The shown scan is not the current (latest done) one.
    pub old_version: bool,
    pub score: String,
    pub opportunity: String,
    pub factors: Vec<Factor>,
    pub emails: Vec<FactLine>,
    pub phones: Vec<FactLine>,
    pub socials: Vec<FactLine>,
    pub forms: Vec<FactLine>,
    pub tech: Vec<FactLine>,
    pub structured: Vec<FactLine>,
    /// TLS, performance, mobile and meta summaries.
    pub summaries: Vec<FactLine>,
    pub versions: Vec<ScanLine>,
}

/// The scan section for a company; `scan_id` picks an older version.
pub async fn view(
    s: &AppState,
    ctx: &prospector_app::WsCtx,
    company: CompanyId,
    has_website: bool,
    scan_id: Option<i64>,
) -> Result<ScanView, AppError> {
    let cf = uc::company_facts(&s.app, ctx, company, scan_id).await?;
    let current = prospector_app::store::facts::latest_done_scan(s.app.db(), ctx.ws, company)
        .await
        .map_err(AppError::from)?
        .map(|c| c.id);
    let mut v = ScanView {
        has_website,
        active: cf.latest.as_ref().is_some_and(|l| l.active()),
        latest: cf.latest.as_ref().map(ScanLine::of),
        old_version: cf.shown.as_ref().map(|x| x.id) != current,
        shown: cf.shown.as_ref().map(ScanLine::of),
        score: String::new(),
        opportunity: String::new(),
        factors: vec![],
        emails: vec![],
        phones: vec![],
        socials: vec![],
        forms: vec![],
        tech: vec![],
        structured: vec![],
        summaries: vec![],
        versions: cf.scans.iter().map(ScanLine::of).collect(),
    };
    for f in &cf.facts {
        let d = data_of(f);
        match f.kind.as_str() {
            "email" => v.emails.push(FactLine::of(f, String::new(), false)),
            "phone" => v.phones.push(FactLine::of(f, text_at(&d, "raw"), false)),
            "social" => v
                .socials
                .push(FactLine::of(f, text_at(&d, "network"), true)),
            "contact_form" => v.forms.push(FactLine::of(f, text_at(&d, "kind"), false)),
            "tech" => v.tech.push(FactLine::of(f, text_at(&d, "category"), false)),
            "structured" => v
                .structured
                .push(FactLine::of(f, text_at(&d, "format"), false)),
            "website_score" => {
                v.score = f.value.clone();
                v.opportunity = d
                    .get("opportunity")
                    .and_then(|x| x.as_u64())
                    .map(|x| x.to_string())
                    .unwrap_or_default();
                v.factors = d
                    .get("factors")
                    .and_then(|x| x.as_array())
                    .map(|a| {
                        a.iter()
                            .map(|x| Factor {
                                name: text_at(x, "name"),
                                points: x.get("points").and_then(|p| p.as_u64()).unwrap_or(0),
                                max: x.get("max").and_then(|p| p.as_u64()).unwrap_or(0),
                                reason: text_at(x, "reason"),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            "tls" => v.summaries.push(FactLine::of(f, "TLS".into(), false)),
            "performance" => v
                .summaries
                .push(FactLine::of(f, "Performance".into(), false)),
            "mobile" => v.summaries.push(FactLine::of(f, "Mobile".into(), false)),
            "meta" if !f.value.is_empty() => {
                v.summaries.push(FactLine::of(f, "Title".into(), false))
            }
            _ => {}
        }
    }
    Ok(v)
}

/// A contact's latest email verification, for the contact page.
pub struct Verification {
    pub status: String,
    pub reasons: String,
    pub mx: String,
    pub flags: Vec<&'static str>,
    pub at: i64,
    /// How many earlier verifications there are.
    pub older: usize,
}

pub async fn verification(
    s: &AppState,
    ctx: &prospector_app::WsCtx,
    contact: ContactId,
) -> Result<Option<Verification>, AppError> {
    let all = uc::email_verifications(&s.app, ctx, contact).await?;
    let Some(f) = all.first() else {
        return Ok(None);
    };
    let d = data_of(f);
    let list = |k: &str| -> String {
        d.get(k)
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    let flag = |k: &str| d.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
    let mut flags = Vec::new();
    if flag("role") {
        flags.push("role account");
    }
    if flag("disposable") {
        flags.push("disposable domain");
    }
    if flag("free_provider") {
        flags.push("free mail provider");
    }
    Ok(Some(Verification {
        status: f.value.clone(),
        reasons: list("reasons"),
        mx: list("mx"),
        flags,
        at: f.seen_at,
        older: all.len() - 1,
    }))
}

/// `?scan=ID` on the company page shows an older version.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionParam {
    pub scan: Option<String>,
}

impl VersionParam {
    pub fn id(&self) -> Option<i64> {
        self.scan.as_deref().and_then(|s| s.trim().parse().ok())
    }
}

pub async fn scan(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("/w/{}/companies/{id}", p.ctx.slug);
    match uc::scan_company(&s.app, &p.ctx, CompanyId(id)).await {
        Ok((_, true)) => Ok(back_to(&path, Some("Website scan queued."))),
        Ok((_, false)) => Ok(back_to(
            &path,
            Some("A scan of this website is already on its way."),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn promote(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let f = uc::fact(&s.app, &p.ctx, id).await?;
    let path = match f.company_id {
        Some(c) => format!("/w/{}/companies/{c}", p.ctx.slug),
        None => format!("/w/{}/companies", p.ctx.slug),
    };
    match uc::promote_fact(&s.app, &p.ctx, id).await {
        Ok(r) => {
            let name = r.contact.display_name();
            let msg = if r.created {
                format!("{name} added as a contact.")
            } else {
                format!("{name} is already a contact.")
            };
            Ok(back_to(
                &format!("/w/{}/contacts/{}", p.ctx.slug, r.contact.id),
                Some(&msg),
            ))
        }
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

pub async fn verify(
    State(s): State<AppState>,
    p: Page<Write>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let id = id_of(&id)?;
    let path = format!("/w/{}/contacts/{id}", p.ctx.slug);
    match uc::verify_contact_email(&s.app, &p.ctx, ContactId(id), false).await {
        Ok(f) => Ok(back_to(
            &path,
            Some(&format!("Email checked: {}.", f.value)),
        )),
        Err(e) => Ok(redirect_error(&path, e)),
    }
}

// ---------------------------------------------------------------------------------------
// Job progress: the scan section, a bulk verification and the job page follow a job over
// server-sent events in the same shape as an import's progress (`progress` events with
// `show` texts, numbers and `final`), so the same script on the page drives them.

/// What a job progress event carries.
#[derive(serde::Serialize)]
pub struct JobSnapshot {
    pub state: String,
    pub done: i64,
    pub total: i64,
    /// 0-100, for a `<progress max="100">`.
    pub percent: i64,
    /// True once the job succeeded, died or was cancelled: the stream ends after this event.
    #[serde(rename = "final")]
    pub finished: bool,
    /// Texts by `data-k` key.
    pub show: std::collections::BTreeMap<&'static str, String>,
}

/// The line a job's progress reads as ("Page 2 of 5", "120 of 400 contacts").
fn progress_label(j: &prospector_app::store::jobs::Job) -> String {
    let (done, total) = (j.progress_done, j.progress_total);
    let unit = match j.kind.as_str() {
        uc::JOB_KIND => ("page", "pages"),
        uc::VERIFY_JOB => ("contact", "contacts"),
        uc::AFTER_IMPORT_JOB => ("scan queued", "scans queued"),
        _ => ("item", "items"),
    };
    match j.state.as_str() {
        "queued" => "Waiting for a worker…".into(),
        "succeeded" => "Finished.".into(),
        "dead" => format!(
            "Failed: {}",
            j.last_error
                .clone()
                .unwrap_or_else(|| "unknown error".into())
        ),
        "cancelled" => "Cancelled.".into(),
        _ if total > 0 && j.kind == uc::JOB_KIND => format!("Page {done} of {total}"),
        _ if total > 0 => format!("{done} of {total} {}", unit.1),
        _ if done > 0 => format!("{done} {}", if done == 1 { unit.0 } else { unit.1 }),
        _ => "Starting…".into(),
    }
}

pub fn job_snapshot(j: &prospector_app::store::jobs::Job) -> JobSnapshot {
    let finished = matches!(j.state.as_str(), "succeeded" | "dead" | "cancelled");
    let percent = if finished && j.state == "succeeded" {
        100
    } else if j.progress_total > 0 {
        (j.progress_done.clamp(0, j.progress_total) * 100) / j.progress_total
    } else {
        0
    };
    let mut show = std::collections::BTreeMap::new();
    show.insert("label", progress_label(j));
    show.insert("state", j.state.clone());
    JobSnapshot {
        state: j.state.clone(),
        done: j.progress_done,
        total: j.progress_total,
        percent,
        finished,
        show,
    }
}

/// Server-sent events of one job of this workspace: a `progress` event about every 500 ms
/// until it has finished; the stream ends after that final event.
pub async fn job_events(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
) -> Result<
    axum::response::sse::Sse<
        impl futures::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    PageError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let id = id_of(&id)?;
    prospector_app::jobs::get(&s.app, &p.ctx, id).await?;
    let app = s.app.clone();
    let ctx = p.ctx.clone();
    let stream = futures::stream::unfold((0u64, false), move |(n, done)| {
        let app = app.clone();
        let ctx = ctx.clone();
        async move {
            if done {
                return None;
            }
            if n > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            let (event, finished) = match prospector_app::jobs::get(&app, &ctx, id).await {
                Ok(j) => {
                    let snap = job_snapshot(&j);
                    let finished = snap.finished;
                    let ev = Event::default()
                        .event("progress")
                        .json_data(&snap)
                        .unwrap_or_else(|_| Event::default().event("progress").data("{}"));
                    (ev, finished)
                }
                Err(_) => (Event::default().event("gone").data("{}"), true),
            };
            Some((Ok(event), (n + 1, finished)))
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(askama::Template)]
#[template(path = "job.html")]
struct JobPage {
    shell: Shell,
    job: prospector_app::store::jobs::Job,
    title: String,
    snap: JobSnapshot,
    active: bool,
    /// `(label, value)` lines of the finished job's result.
    result: Vec<(String, String)>,
}

fn job_title(kind: &str) -> String {
    match kind {
        uc::JOB_KIND => "Website scan".into(),
        uc::VERIFY_JOB => "Email verification".into(),
        uc::AFTER_IMPORT_JOB => "Scans and verifications after an import".into(),
        o => o.to_string(),
    }
}

/// A finished job's result as label/value lines (nested objects flattened one level).
fn result_lines(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(v) = raw.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(m) = v.as_object() {
        for (k, x) in m {
            match x {
                serde_json::Value::Object(inner) => {
                    for (k2, y) in inner {
                        out.push((format!("{} {k2}", k.replace('_', " ")), y.to_string()));
                    }
                }
                serde_json::Value::Null => {}
                serde_json::Value::String(t) => out.push((k.replace('_', " "), t.clone())),
                other => out.push((k.replace('_', " "), other.to_string())),
            }
        }
    }
    out
}

#[derive(Deserialize, Default)]
pub struct JobNotice {
    notice: Option<String>,
}

/// One job of this workspace with its live progress (where a bulk verification leads).
pub async fn job_page(
    State(s): State<AppState>,
    p: Page,
    Path((_, id)): Path<(String, String)>,
    axum::extract::Query(n): axum::extract::Query<JobNotice>,
) -> PageResult {
    let id = id_of(&id)?;
    let job = prospector_app::jobs::get(&s.app, &p.ctx, id).await?;
    let mut shell = Shell::for_page(&s.app, &p, "contacts").await?;
    if let Some(t) = n.notice {
        shell = shell.with_flash("success", t);
    }
    let snap = job_snapshot(&job);
    Ok(render(&JobPage {
        shell,
        title: job_title(&job.kind),
        active: !snap.finished,
        result: result_lines(job.result.as_deref()),
        snap,
        job,
    }))
}

/// The contacts table's "Verify emails" bulk action: queue the job and show its page.
pub async fn bulk_verify(
    s: &AppState,
    ctx: &prospector_app::WsCtx,
    sel: &prospector_app::contacts::Selection,
    back: &str,
) -> axum::response::Response {
    match uc::verify_contacts(&s.app, ctx, sel, false).await {
        Ok(q) => match q.job_id {
            Some(j) => back_to(
                &format!("/w/{}/jobs/{j}", ctx.slug),
                Some(&format!(
                    "Verifying the emails of {} selected contacts.",
                    q.selected
                )),
            ),
            None => {
                let sep = if back.contains('?') { '&' } else { '?' };
                axum::response::Redirect::to(&format!(
                    "{back}{sep}notice={}",
                    form_urlencoded::byte_serialize(
                        "A verification of these contacts is already queued.".as_bytes()
                    )
                    .collect::<String>()
                ))
                .into_response()
            }
        },
        Err(e) => redirect_error(back, e),
    }
}
