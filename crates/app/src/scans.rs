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
        Ok(s) => s.scan(&scan.url).await,
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
    crate::scoring::rescore_company(&app, ws, CompanyId(scan.company_id)).await?;
    ctx.progress(1, 1).await?;
    Ok(Some(json!({
        "scan_id": scan.id, "state": "done", "pages": pages, "website_score": score,
        "facts": facts.len(), "emails": emails, "phones": phones,
    })))
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
    let c = contacts::get(app.db(), ctx.ws, id).await?;
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
        ctx.ws,
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
        ctx.ws,
        Subject::Contact(id.0),
        "contact.email_verified",
        &format!("Email verified: {status}{reasons}"),
        &json!({"fact_id": f.id, "status": status}).to_string(),
        &ctx.actor.label,
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "contact.email_verified",
        "contact",
        id.0,
        None,
        Some(json!({"fact_id": f.id, "status": status})),
    )
    .await?;
    Ok(f)
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
