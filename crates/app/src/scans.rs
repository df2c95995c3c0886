//! Website scans and email verification in the app: a scan of a company's website runs as a
//! job (`companies.scan`) and stores what it found as facts, each with the page it came from;
//! facts are never overwritten, a new scan adds a new version. A found email or phone becomes
//! a contact with one call; a contact's email can be verified (syntax, MX, disposable, role).

use crate::contacts::{ContactInput, Selection};
use crate::jobs::{JobCtx, JobError, JobResult};
use crate::{Actor, App, AppError, AppResult, WsCtx};
use prospector_core::ids::{CompanyId, ContactId, WorkspaceId};
use prospector_core::normalize::{CountryCode, Email};
use prospector_core::role::Permission;
use prospector_core::time::{DAY, now_ms};
use prospector_scan::{ScanOptions, ScanReport, Scanner, VerifyOptions};
use prospector_store::companies;
use prospector_store::contacts::{self, Contact};
use prospector_store::facts::{self as store, Fact, NewFact, Scan};
use prospector_store::timeline::{self, Subject};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The job kind of a website scan.
pub const JOB_KIND: &str = "companies.scan";

/// Fact kinds a scan stores, in the order the company page shows them.
pub const SCAN_FACT_KINDS: &[&str] = &[
    "website_score",
    "email",
    "phone",
    "social",
    "contact_form",
    "tech",
    "tls",
    "performance",
    "mobile",
    "meta",
    "structured",
];

/// What a bulk scan request did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ScanSummary {
    /// Scans newly queued.
    pub queued: u64,
    /// Companies whose scan was already queued or running.
    pub already_queued: u64,
    /// Companies without a website.
    pub no_website: u64,
    /// Ids that are not companies of this workspace.
    pub not_found: u64,
    /// The queued (or already queued) scans.
    pub scan_ids: Vec<i64>,
}

/// A company's facts: one scan's facts plus every scan as a version.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyFacts {
    /// The newest scan, whatever its state (to show progress).
    pub latest: Option<Scan>,
    /// The scan whose facts these are: the requested one, else the latest done scan.
    pub shown: Option<Scan>,
    pub facts: Vec<Fact>,
    /// Every scan, newest first (versions).
    pub scans: Vec<Scan>,
}

/// Queue a scan of one company. Returns the scan and whether it is new (a scan already
/// queued or running is returned as it is, so a double click scans once).
pub async fn scan_company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<(Scan, bool)> {
    ctx.require(Permission::Write)?;
    let co = companies::get(app.db(), ctx.ws, id).await?;
    let Some(website) = co.f.website.clone() else {
        return Err(AppError::invalid(
            "website",
            "this company has no website to scan; add one first",
        ));
    };
    let (scan, created) = queue(app, ctx.ws, id, &website).await?;
    if created {
        crate::audit::record(
            app,
            &ctx.actor,
            Some(ctx.ws),
            "company.scan_queued",
            "company",
            id.0,
            None,
            Some(json!({"scan_id": scan.id, "url": scan.url})),
        )
        .await?;
    }
    Ok((scan, created))
}

/// Queue scans of the selected companies (ids or a table query). Companies without a website
/// are counted and skipped.
pub async fn scan_companies(app: &App, ctx: &WsCtx, sel: &Selection) -> AppResult<ScanSummary> {
    ctx.require(Permission::Write)?;
    let ids = crate::contacts::selected(app, ctx, sel, true).await?;
    let mut out = ScanSummary::default();
    for id in &ids {
        let co = match companies::get(app.db(), ctx.ws, CompanyId(*id)).await {
            Ok(c) => c,
            Err(prospector_store::StoreError::NotFound) => {
                out.not_found += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let Some(website) = co.f.website.clone() else {
            out.no_website += 1;
            continue;
        };
        let (scan, created) = queue(app, ctx.ws, co.cid(), &website).await?;
        if created {
            out.queued += 1;
        } else {
            out.already_queued += 1;
        }
        out.scan_ids.push(scan.id);
    }
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "company.bulk_scan_queued",
        "company",
        format!("{} rows", ids.len()),
        None,
        Some(json!({
            "selected": ids.len(), "queued": out.queued, "already_queued": out.already_queued,
            "no_website": out.no_website, "not_found": out.not_found,
        })),
    )
    .await?;
    Ok(out)
}

/// Insert a queued scan and its job, unless one is already queued or running. The job's
/// unique key is per company and day (and the last finished scan), so two clicks queue one
/// scan while a finished scan can be repeated.
async fn queue(app: &App, ws: WorkspaceId, id: CompanyId, url: &str) -> AppResult<(Scan, bool)> {
    let db = app.db();
    if let Some(s) = store::scans_of(db, ws, id, 1).await?.pop()
        && s.active()
    {
        return Ok((s, false));
    }
    let last = store::last_finished_scan_id(db, ws, id).await?;
    let day = now_ms() / DAY;
    let scan = store::insert_scan(db, ws, id, url).await?;
    let mut job = prospector_store::jobs::NewJob::new(
        JOB_KIND,
        json!({"workspace_id": ws.0, "scan_id": scan.id}).to_string(),
    );
    job.workspace_id = Some(ws);
    job.unique_key = Some(format!("{JOB_KIND}:{}:{}:{day}:{last}", ws.0, id.0));
    job.max_attempts = 3;
    match crate::jobs::enqueue(app, job).await? {
        Some(jid) => {
            store::set_scan_job(db, ws, scan.id, jid.0).await?;
            Ok((store::get_scan(db, ws, scan.id).await?, true))
        }
        None => {
            // Another request queued the same scan a moment ago: keep that one.
            store::delete_queued_scan(db, ws, scan.id).await?;
            let other = store::scans_of(db, ws, id, 1)
                .await?
                .pop()
                .ok_or(AppError::NotFound)?;
            Ok((other, false))
        }
    }
}

/// The job: scan the website of the scan's company and store what was found.
pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    #[derive(Deserialize)]
    struct P {
        workspace_id: i64,
        scan_id: i64,
    }
    let p: P = ctx.payload()?;
    let ws = WorkspaceId(p.workspace_id);
    let app = ctx.app.clone();
    let db = app.db();
    let scan = match store::get_scan(db, ws, p.scan_id).await {
        Ok(s) => s,
        // The company (and its scans) was deleted meanwhile.
        Err(prospector_store::StoreError::NotFound) => {
            return Ok(Some(json!({"skipped": "scan no longer exists"})));
        }
        Err(e) => return Err(e.into()),
    };
    if !scan.active() {
        return Ok(Some(json!({"scan_id": scan.id, "state": scan.state})));
    }
    store::start_scan(db, ws, scan.id).await?;
    ctx.progress(0, 1).await?;
    let country = prospector_store::workspaces::get(db, ws)
        .await?
        .default_country;
    let opts = ScanOptions {
        allow_private: app.config().scan_allow_private,
        country: CountryCode::parse(&country)
            .ok()
            .map(|c| c.as_str().to_string()),
        ..ScanOptions::default()
    };
    let result = match Scanner::new(opts) {
        Ok(s) => scan_reporting_pages(&ctx, &s, &scan.url).await,
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let reason = e.to_string();
            store::fail_scan(db, ws, scan.id, &reason).await?;
            timeline::record(
                db,
                ws,
                Subject::Company(scan.company_id),
                "company.scan_failed",
                &format!("Website scan failed: {reason}"),
                &json!({"scan_id": scan.id, "url": scan.url}).to_string(),
                "system",
            )
            .await?;
            ctx.progress(1, 1).await?;
            return Ok(Some(
                json!({"scan_id": scan.id, "state": "failed", "error": reason}),
            ));
        }
    };
    let facts = report_facts(&report);
    let pages = report.performance.pages_fetched as i64;
    let score = i64::from(report.website_score.value);
    store::finish_scan(db, ws, &scan, pages, Some(score), &facts)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let count = |k: &str| facts.iter().filter(|f| f.kind == k).count();
    let (emails, phones) = (count("email"), count("phone"));
    timeline::record(
        db,
        ws,
        Subject::Company(scan.company_id),
        "company.scanned",
        &format!("Website scanned: {pages} pages, score {score}"),
        &json!({"scan_id": scan.id, "emails": emails, "phones": phones}).to_string(),
        "system",
    )
    .await?;
    crate::audit::record(
        &app,
        &Actor::system(),
        Some(ws),
        "company.scanned",
        "company",
        scan.company_id,
        None,
        Some(json!({"scan_id": scan.id, "facts": facts.len(), "website_score": score})),
    )
    .await?;
    let promoted = if settings_of(&app, ws).await?.auto_promote {
        auto_promote(&app, ws, scan.id).await?
    } else {
        Vec::new()
    };
    crate::scoring::rescore_company(&app, ws, CompanyId(scan.company_id)).await?;
    ctx.progress(pages.max(1), pages.max(1)).await?;
    Ok(Some(json!({
        "scan_id": scan.id, "state": "done", "pages": pages, "website_score": score,
        "facts": facts.len(), "emails": emails, "phones": phones,
        "contacts_created": promoted.len(),
    })))
}

/// Runs the scan while forwarding each page read to the job's progress (`done` of `total`
/// pages), so the company page can show "page 2 of 5" as it happens.
async fn scan_reporting_pages(
    ctx: &JobCtx,
    scanner: &Scanner,
    url: &str,
) -> Result<ScanReport, prospector_scan::ScanError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<prospector_scan::PageProgress>();
    let report = move |p: prospector_scan::PageProgress| {
        let _ = tx.send(p);
    };
    let scan = scanner.scan_with_progress(url, Some(&report));
    tokio::pin!(scan);
    loop {
        tokio::select! {
            r = &mut scan => return r,
            Some(p) = rx.recv() => {
                tracing::debug!(job_id = ctx.id().0, done = p.done, total = p.total, url = %p.url, "scan page read");
                // Progress is for display; a failed write must not fail the scan.
                if let Err(e) = ctx.progress(i64::from(p.done), i64::from(p.total.max(1))).await {
                    tracing::warn!(job_id = ctx.id().0, error = %e, "cannot store scan progress");
                }
            }
        }
    }
}

/// A context acting for the system in `ws` (automatic follow-ups of jobs).
async fn system_ctx(app: &App, ws: WorkspaceId) -> AppResult<WsCtx> {
    let w = prospector_store::workspaces::get(app.db(), ws).await?;
    Ok(WsCtx {
        ws,
        slug: w.slug,
        name: w.name,
        role: prospector_core::role::Role::Owner,
        actor: Actor::system(),
    })
}

/// Lowest confidence a found email or phone needs to become a contact automatically (the
/// one-click promotion on the company page has no threshold: the user decides there).
const AUTO_PROMOTE_CONFIDENCE: f64 = 0.7;

/// Turn the emails and phones a scan found into contacts (the workspace's "automatically"
/// setting). Returns the contacts created; existing ones are left as they are.
async fn auto_promote(app: &App, ws: WorkspaceId, scan_id: i64) -> AppResult<Vec<i64>> {
    let ctx = system_ctx(app, ws).await?;
    let mut created = Vec::new();
    for f in store::facts_of_scan(app.db(), ws, scan_id).await? {
        if !matches!(f.kind.as_str(), "email" | "phone") || f.confidence < AUTO_PROMOTE_CONFIDENCE {
            continue;
        }
        match promote_fact(app, &ctx, f.id).await {
            Ok(p) if p.created => created.push(p.contact.id),
            Ok(_) => {}
            // One unusable value (an address the contact rules reject) must not stop the rest.
            Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
                tracing::info!(workspace_id = ws.0, fact_id = f.id, error = %e, "found value not promoted");
            }
            Err(e) => return Err(e),
        }
    }
    if !created.is_empty() {
        tracing::info!(
            workspace_id = ws.0,
            scan_id,
            created = created.len(),
            "contacts created from a scan"
        );
        if settings_of(app, ws).await?.auto_verify_after_import {
            enqueue_verify(app, ws, VerifyTarget::Contacts(created.clone()), false).await?;
        }
    }
    Ok(created)
}

fn new_fact(
    kind: &str,
    value: impl Into<String>,
    data: serde_json::Value,
    source: Option<&str>,
    confidence: f64,
) -> NewFact {
    NewFact {
        kind: kind.to_string(),
        value: value.into(),
        data: data.to_string(),
        source_url: source.map(str::to_string),
        confidence: confidence.clamp(0.0, 1.0),
    }
}

/// A scan report as facts to store: one row per email, phone, social profile, contact form,
/// schema.org item and technology, plus one summary row each for the website score, TLS,
/// performance, mobile readiness and meta data (details in `data`).
pub fn report_facts(r: &ScanReport) -> Vec<NewFact> {
    let home = r.final_url.clone().unwrap_or_else(|| r.url.clone());
    let home = Some(home.as_str());
    let mut out = Vec::new();
    for e in &r.emails {
        out.push(new_fact(
            "email",
            &e.value,
            json!({"method": e.method, "same_domain": e.same_domain}),
            Some(&e.source_url),
            f64::from(e.confidence),
        ));
    }
    for p in &r.phones {
        out.push(new_fact(
            "phone",
            &p.value,
            json!({"raw": p.raw, "method": p.method, "country": p.country}),
            Some(&p.source_url),
            f64::from(p.confidence),
        ));
    }
    for s in &r.socials {
        out.push(new_fact(
            "social",
            &s.url,
            json!({"network": s.network, "handle": s.handle}),
            Some(&s.source_url),
            0.95,
        ));
    }
    for f in &r.contact_forms {
        let value = f
            .action
            .clone()
            .or_else(|| f.provider.clone())
            .unwrap_or_else(|| f.kind.clone());
        out.push(new_fact(
            "contact_form",
            value,
            serde_json::to_value(f).unwrap_or_default(),
            Some(&f.source_url),
            0.9,
        ));
    }
    for s in &r.structured_data {
        out.push(new_fact(
            "structured",
            &s.item_type,
            json!({"format": s.format, "type": s.item_type, "properties": s.properties}),
            Some(&s.source_url),
            0.9,
        ));
    }
    for t in &r.tech {
        out.push(new_fact(
            "tech",
            &t.name,
            json!({"category": t.category, "evidence": t.evidence}),
            home,
            0.9,
        ));
    }
    out.push(new_fact(
        "website_score",
        r.website_score.value.to_string(),
        serde_json::to_value(&r.website_score).unwrap_or_default(),
        home,
        1.0,
    ));
    let tls = if !r.tls.https {
        "no https".to_string()
    } else {
        match r.tls.valid {
            Some(true) => match r.tls.days_remaining {
                Some(d) => format!("valid, expires in {d} days"),
                None => "valid".to_string(),
            },
            Some(false) => "invalid certificate".to_string(),
            None => "https".to_string(),
        }
    };
    out.push(new_fact(
        "tls",
        tls,
        serde_json::to_value(&r.tls).unwrap_or_default(),
        home,
        1.0,
    ));
    let perf = &r.performance;
    let mut summary = Vec::new();
    if let Some(t) = perf.ttfb_ms {
        summary.push(format!("TTFB {t} ms"));
    }
    if let Some(t) = perf.load_ms {
        summary.push(format!("load {t} ms"));
    }
    summary.push(format!("{} KB HTML", perf.html_bytes.div_ceil(1024)));
    summary.push(format!("{} requests", perf.request_count));
    out.push(new_fact(
        "performance",
        summary.join(", "),
        serde_json::to_value(perf).unwrap_or_default(),
        home,
        1.0,
    ));
    out.push(new_fact(
        "mobile",
        if r.mobile.mobile_ready {
            "mobile ready"
        } else {
            "not mobile ready"
        },
        serde_json::to_value(&r.mobile).unwrap_or_default(),
        home,
        0.9,
    ));
    out.push(new_fact(
        "meta",
        r.meta.title.clone().unwrap_or_default(),
        json!({
            "meta": r.meta, "language": r.language, "freshness": r.freshness,
            "region": r.region, "business": r.business, "warnings": r.warnings,
        }),
        home,
        0.9,
    ));
    out
}

/// One scan of this workspace.
pub async fn scan(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Scan> {
    Ok(store::get_scan(app.db(), ctx.ws, id).await?)
}

/// A company's facts: those of `scan_id` when given (an older version), else of the latest
/// done scan; plus every scan.
pub async fn company_facts(
    app: &App,
    ctx: &WsCtx,
    id: CompanyId,
    scan_id: Option<i64>,
) -> AppResult<CompanyFacts> {
    let db = app.db();
    companies::get(db, ctx.ws, id).await?;
    let scans = store::scans_of(db, ctx.ws, id, 50).await?;
    let shown = match scan_id {
        Some(sid) => {
            let s = store::get_scan(db, ctx.ws, sid).await?;
            if s.company_id != id.0 {
                return Err(AppError::NotFound);
            }
            Some(s)
        }
        None => store::latest_done_scan(db, ctx.ws, id).await?,
    };
    let facts = match &shown {
        Some(s) => store::facts_of_scan(db, ctx.ws, s.id).await?,
        None => Vec::new(),
    };
    Ok(CompanyFacts {
        latest: scans.first().cloned(),
        shown,
        facts,
        scans,
    })
}

/// One fact of this workspace.
pub async fn fact(app: &App, ctx: &WsCtx, id: i64) -> AppResult<Fact> {
    Ok(store::get_fact(app.db(), ctx.ws, id).await?)
}

/// Verify a contact's email address and store the result as an `email_verification` fact
/// (a new version each time). `offline` skips DNS (tests, air-gapped installs).
pub async fn verify_contact_email(
    app: &App,
    ctx: &WsCtx,
    id: ContactId,
    offline: bool,
) -> AppResult<Fact> {
    ctx.require(Permission::Write)?;
    let f = verify_one(app, ctx.ws, id, offline, &ctx.actor.label).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "contact.email_verified",
        "contact",
        id.0,
        None,
        Some(json!({"fact_id": f.id, "status": f.value})),
    )
    .await?;
    Ok(f)
}

/// Verify one contact's address and append the result (fact and timeline entry).
async fn verify_one(
    app: &App,
    ws: WorkspaceId,
    id: ContactId,
    offline: bool,
    actor_label: &str,
) -> AppResult<Fact> {
    let c = contacts::get(app.db(), ws, id).await?;
    let Some(email) = c.f.email.clone() else {
        return Err(AppError::invalid(
            "email",
            "this contact has no email address to verify",
        ));
    };
    let opts = VerifyOptions {
        offline,
        ..VerifyOptions::default()
    };
    let v = prospector_scan::verify_email(&email, &opts).await;
    let status = serde_json::to_value(v.status)
        .ok()
        .and_then(|s| s.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let f = store::insert_contact_fact(
        app.db(),
        ws,
        id,
        c.f.company_id,
        &new_fact(
            "email_verification",
            &status,
            serde_json::to_value(&v).unwrap_or_default(),
            None,
            1.0,
        ),
    )
    .await?;
    let reasons = if v.reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", v.reasons.join("; "))
    };
    timeline::record(
        app.db(),
        ws,
        Subject::Contact(id.0),
        "contact.email_verified",
        &format!("Email verified: {status}{reasons}"),
        &json!({"fact_id": f.id, "status": status}).to_string(),
        actor_label,
    )
    .await?;
    Ok(f)
}

// ---------------------------------------------------------------------------------------
// Workspace settings and the follow-ups of imports

/// The job kind that verifies many contacts' emails.
pub const VERIFY_JOB: &str = "contacts.verify";
/// The job kind that queues the scans and verifications following an import.
pub const AFTER_IMPORT_JOB: &str = "imports.follow_up";

/// What the workspace wants done automatically (`workspaces.settings` → `scanning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScanSettings {
    /// Scan the websites of the companies an import created, once it finishes.
    pub auto_scan_after_import: bool,
    /// Verify the emails of the contacts an import created (and of contacts created from a
    /// scan automatically).
    pub auto_verify_after_import: bool,
    /// Turn found emails and phones into contacts as soon as a scan finds them.
    pub auto_promote: bool,
}

/// The workspace's scan settings (all off until changed).
pub async fn settings_of(app: &App, ws: WorkspaceId) -> AppResult<ScanSettings> {
    let v = prospector_store::settings::get_section(app.db(), ws, "scanning").await?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// The workspace's scan settings, for members.
pub async fn scan_settings(app: &App, ctx: &WsCtx) -> AppResult<ScanSettings> {
    settings_of(app, ctx.ws).await
}

/// Change the scan settings (owners and admins), audited.
pub async fn update_scan_settings(
    app: &App,
    ctx: &WsCtx,
    s: ScanSettings,
) -> AppResult<ScanSettings> {
    ctx.require(Permission::Manage)?;
    let value = serde_json::to_value(s).map_err(|e| AppError::Internal(e.to_string()))?;
    let before =
        prospector_store::settings::set_section(app.db(), ctx.ws, "scanning", Some(value.clone()))
            .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "scanning.settings_updated",
        "workspace",
        ctx.ws.0,
        before,
        Some(value),
    )
    .await?;
    Ok(s)
}

/// Called once an import's job has finished: when the workspace wants scans or
/// verifications after imports, queue the follow-up job that does it. Never fails the
/// import: problems are logged.
pub async fn after_import(app: &App, ws: WorkspaceId, import_id: i64) {
    let r: AppResult<Option<prospector_core::ids::JobId>> = async {
        let s = settings_of(app, ws).await?;
        if !(s.auto_scan_after_import || s.auto_verify_after_import) {
            return Ok(None);
        }
        let mut job = prospector_store::jobs::NewJob::new(
            AFTER_IMPORT_JOB,
            json!({"workspace_id": ws.0, "import_id": import_id}).to_string(),
        );
        job.workspace_id = Some(ws);
        job.unique_key = Some(format!("{AFTER_IMPORT_JOB}:{}:{import_id}", ws.0));
        job.max_attempts = 3;
        crate::jobs::enqueue(app, job).await
    }
    .await;
    match r {
        Ok(Some(job)) => {
            tracing::info!(
                workspace_id = ws.0,
                import_id,
                job_id = job.0,
                "import follow-up queued"
            )
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(workspace_id = ws.0, import_id, error = %e, "cannot queue the import follow-up")
        }
    }
}

/// The follow-up job of an import: queue a scan of every company it created that has a
/// website, and one verification job over the contacts it created with an email address.
pub(crate) async fn after_import_job(ctx: JobCtx) -> JobResult {
    #[derive(Deserialize)]
    struct P {
        workspace_id: i64,
        import_id: i64,
    }
    let p: P = ctx.payload()?;
    let ws = WorkspaceId(p.workspace_id);
    let app = ctx.app.clone();
    let s = settings_of(&app, ws).await?;
    let (mut queued, mut already) = (0u64, 0u64);
    if s.auto_scan_after_import {
        let mut after = 0;
        loop {
            let batch =
                store::import_companies_with_website(app.db(), ws, p.import_id, after, 500).await?;
            let Some(last) = batch.last().map(|b| b.0) else {
                break;
            };
            for (id, website) in &batch {
                let (_, created) = queue(&app, ws, CompanyId(*id), website).await?;
                if created {
                    queued += 1;
                } else {
                    already += 1;
                }
            }
            after = last;
            ctx.progress(i64::try_from(queued + already).unwrap_or(i64::MAX), 0)
                .await?;
        }
    }
    let verify_job = if s.auto_verify_after_import {
        enqueue_verify(&app, ws, VerifyTarget::Import(p.import_id), false).await?
    } else {
        None
    };
    tracing::info!(workspace_id = ws.0, import_id = p.import_id, scans_queued = queued, verify_job = ?verify_job.map(|j| j.0), "import follow-up done");
    Ok(Some(json!({
        "scans_queued": queued, "scans_already_queued": already,
        "verify_job_id": verify_job.map(|j| j.0),
    })))
}

/// Which contacts a verification job covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum VerifyTarget {
    Contacts(Vec<i64>),
    Import(i64),
}

async fn enqueue_verify(
    app: &App,
    ws: WorkspaceId,
    target: VerifyTarget,
    offline: bool,
) -> AppResult<Option<prospector_core::ids::JobId>> {
    let mut job = prospector_store::jobs::NewJob::new(
        VERIFY_JOB,
        json!({"workspace_id": ws.0, "target": target, "offline": offline}).to_string(),
    );
    job.workspace_id = Some(ws);
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await
}

/// What a bulk verification request did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct VerifyQueued {
    /// The verification job (`GET /api/v1/jobs/{id}` for its progress).
    pub job_id: Option<i64>,
    /// Contacts selected.
    pub selected: u64,
}

/// Queue a verification of the selected contacts' emails (ids or a table query), as one job
/// with progress. Contacts without an email are skipped by the job.
pub async fn verify_contacts(
    app: &App,
    ctx: &WsCtx,
    sel: &Selection,
    offline: bool,
) -> AppResult<VerifyQueued> {
    ctx.require(Permission::Write)?;
    let ids = crate::contacts::selected(app, ctx, sel, false).await?;
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "no contacts selected"));
    }
    let n = ids.len() as u64;
    let job = enqueue_verify(app, ctx.ws, VerifyTarget::Contacts(ids), offline).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "contact.bulk_verify_queued",
        "contact",
        format!("{n} rows"),
        None,
        Some(json!({"selected": n, "job_id": job.map(|j| j.0)})),
    )
    .await?;
    Ok(VerifyQueued {
        job_id: job.map(|j| j.0),
        selected: n,
    })
}

/// How many verifications run at once (each is a few DNS lookups).
const VERIFY_CONCURRENCY: usize = 8;

/// The job: verify every covered contact's email, with progress; results are facts on the
/// contacts (shown on their pages) and a count per status on the job.
pub(crate) async fn verify_job(ctx: JobCtx) -> JobResult {
    use futures::StreamExt;
    #[derive(Deserialize)]
    struct P {
        workspace_id: i64,
        target: VerifyTarget,
        #[serde(default)]
        offline: bool,
    }
    let p: P = ctx.payload()?;
    let ws = WorkspaceId(p.workspace_id);
    let app = ctx.app.clone();
    let ids: Vec<i64> = match p.target {
        VerifyTarget::Contacts(ids) => ids,
        VerifyTarget::Import(import_id) => {
            let mut all = Vec::new();
            let mut after = 0;
            loop {
                let batch =
                    store::import_contacts_with_email(app.db(), ws, import_id, after, 5_000)
                        .await?;
                let Some(last) = batch.last().copied() else {
                    break;
                };
                all.extend(batch);
                after = last;
            }
            all
        }
    };
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    ctx.progress(0, total).await?;
    let mut by_status: std::collections::BTreeMap<String, u64> = Default::default();
    let (mut done, mut skipped) = (0i64, 0u64);
    let mut results = futures::stream::iter(ids)
        .map(|id| {
            let app = app.clone();
            async move { verify_one(&app, ws, ContactId(id), p.offline, "system").await }
        })
        .buffer_unordered(VERIFY_CONCURRENCY);
    while let Some(r) = results.next().await {
        done += 1;
        match r {
            Ok(f) => *by_status.entry(f.value).or_default() += 1,
            // Deleted meanwhile, or no email (any more): nothing to verify.
            Err(AppError::NotFound | AppError::Validation { .. }) => skipped += 1,
            Err(e) => return Err(e.into()),
        }
        if done % 25 == 0 || done == total {
            ctx.progress(done, total).await?;
        }
    }
    tracing::info!(
        workspace_id = ws.0,
        verified = done - skipped as i64,
        skipped,
        "emails verified"
    );
    Ok(Some(
        json!({"verified": done - skipped as i64, "skipped": skipped, "by_status": by_status}),
    ))
}

/// A contact's email verifications, newest first.
pub async fn email_verifications(app: &App, ctx: &WsCtx, id: ContactId) -> AppResult<Vec<Fact>> {
    Ok(store::contact_facts(app.db(), ctx.ws, id, "email_verification", 20).await?)
}

/// What promoting a fact did.
#[derive(Debug, Clone)]
pub struct Promoted {
    pub contact: Contact,
    /// False when a contact with this email (or this phone at the company) already existed.
    pub created: bool,
}

/// Turn a found email or phone into a contact at the fact's company. An email that already
/// belongs to a contact of the workspace (or a phone already at the company) creates nothing
/// and returns that contact.
pub async fn promote_fact(app: &App, ctx: &WsCtx, fact_id: i64) -> AppResult<Promoted> {
    ctx.require(Permission::Write)?;
    let db = app.db();
    let f = store::get_fact(db, ctx.ws, fact_id).await?;
    let Some(company_id) = f.company_id else {
        return Err(AppError::invalid(
            "fact_id",
            "this fact belongs to no company",
        ));
    };
    companies::get(db, ctx.ws, CompanyId(company_id)).await?;
    let mut input = ContactInput {
        company_id: Some(company_id),
        ..Default::default()
    };
    let existing = match f.kind.as_str() {
        "email" => {
            let e = Email::parse(&f.value)
                .map_err(|e| AppError::invalid("fact_id", format!("not an email address: {e}")))?;
            input.email = Some(e.as_str().to_string());
            contacts::find_matches(db, ctx.ws, &[e.as_str().to_string()], &[], &[])
                .await?
                .into_iter()
                .find(|c| c.f.email.as_deref() == Some(e.as_str()))
        }
        "phone" => {
            input.phone = Some(f.value.clone());
            contacts::find_matches(db, ctx.ws, &[], std::slice::from_ref(&f.value), &[])
                .await?
                .into_iter()
                .find(|c| c.f.company_id == Some(company_id))
        }
        _ => {
            return Err(AppError::invalid(
                "fact_id",
                "only a found email or phone can become a contact",
            ));
        }
    };
    if let Some(c) = existing {
        return Ok(Promoted {
            contact: c,
            created: false,
        });
    }
    let c = crate::contacts::create_contact(app, ctx, &input).await?;
    let source = f.source_url.clone().unwrap_or_default();
    timeline::record(
        db,
        ctx.ws,
        Subject::Contact(c.id),
        "contact.from_scan",
        &format!("Added from the website scan ({source})"),
        &json!({"fact_id": f.id, "scan_id": f.scan_id, "source_url": source}).to_string(),
        &ctx.actor.label,
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "fact.promoted",
        "fact",
        f.id,
        None,
        Some(json!({"contact_id": c.id, "kind": f.kind})),
    )
    .await?;
    Ok(Promoted {
        contact: c,
        created: true,
    })
}
