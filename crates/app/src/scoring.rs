//! Lead scoring and the AI business analysis in the app: a company's [`ScoreInput`] is built
//! from its row, the facts of its latest done scan and its contacts; the score (factors,
//! tier, one-line reason, model version) is stored as the company's one current row in
//! `scores`. The workspace's ideal customer profile lives in `workspaces.settings` under
//! `"icp"`; changing it re-scores the workspace in the `scores.rescore` job. Scores are also
//! recomputed after each website scan and after an import that wrote rows.

use crate::jobs::{JobCtx, JobResult};
use crate::{App, AppError, AppResult, WsCtx};
use prospector_ai::{AnalysisSource, BusinessFacts, HttpLlmClient, LlmClient, ProviderConfig};
use prospector_core::ids::{CompanyId, JobId, WorkspaceId};
use prospector_core::role::Permission;
use prospector_core::scoring::{self, CompanyFields, IcpProfile, Score, ScoreInput, kinds};
use prospector_core::time::now_ms;
use prospector_store::companies::{self, Company, CompanyFilter, CompanySort};
use prospector_store::facts::{self as fact_store, Fact, Scan};
use prospector_store::scores::{self as store, NewAnalysis, NewScore, StoredAnalysis, StoredScore};
use prospector_store::workspaces;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The job kind that re-scores a whole workspace.
pub const RESCORE_JOB: &str = "scores.rescore";

/// One factor of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FactorOut {
    /// website_opportunity, reputation, reachability, fit or timing.
    pub name: String,
    pub points: i64,
    pub reason: String,
}

/// A company's score, as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreOut {
    pub company_id: i64,
    /// 0-100, the sum of the factors' points.
    pub value: i64,
    /// A, B or C.
    pub tier: String,
    pub reason: String,
    pub factors: Vec<FactorOut>,
    pub model_version: String,
    pub computed_at: i64,
}

impl ScoreOut {
    fn from_stored(s: &StoredScore) -> ScoreOut {
        ScoreOut {
            company_id: s.company_id,
            value: s.value,
            tier: s.tier.clone(),
            reason: s.reason.clone(),
            factors: serde_json::from_str(&s.factors).unwrap_or_default(),
            model_version: s.model_version.clone(),
            computed_at: s.computed_at,
        }
    }

    /// The `prospector score --json` line, keys in this order:
    /// `{"company_id","value","tier","reason","factors":[{"name","points","reason"}]}`.
    pub fn line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            company_id: i64,
            value: i64,
            tier: &'a str,
            reason: &'a str,
            factors: &'a [FactorOut],
        }
        serde_json::to_string(&Line {
            company_id: self.company_id,
            value: self.value,
            tier: &self.tier,
            reason: &self.reason,
            factors: &self.factors,
        })
        .unwrap_or_default()
    }
}

/// A stored business analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalysisOut {
    pub company_id: i64,
    pub summary: String,
    pub pain_points: Vec<String>,
    pub hooks: Vec<String>,
    /// Usable in templates as `{{ai.opening_line}}`.
    pub opening_line: String,
    /// `fallback` or the model name.
    pub provider: String,
    pub created_at: i64,
}

impl AnalysisOut {
    fn from_stored(a: &StoredAnalysis) -> AnalysisOut {
        AnalysisOut {
            company_id: a.company_id,
            summary: a.summary.clone(),
            pain_points: serde_json::from_str(&a.pain_points).unwrap_or_default(),
            hooks: serde_json::from_str(&a.hooks).unwrap_or_default(),
            opening_line: a.opening_line.clone(),
            provider: a.provider.clone(),
            created_at: a.created_at,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ideal customer profile

fn settings_of(raw: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// The workspace's profile (the default one until it is changed).
pub async fn profile_of(app: &App, ws: WorkspaceId) -> AppResult<IcpProfile> {
    let w = workspaces::get(app.db(), ws).await?;
    let settings = settings_of(&w.settings);
    Ok(settings
        .get("icp")
        .and_then(|v| serde_json::from_value::<IcpProfile>(v.clone()).ok())
        .filter(|p| p.validate().is_ok())
        .unwrap_or_default())
}

/// The workspace's profile.
pub async fn icp(app: &App, ctx: &WsCtx) -> AppResult<IcpProfile> {
    profile_of(app, ctx.ws).await
}

/// The built-in presets.
pub fn presets() -> Vec<IcpProfile> {
    IcpProfile::presets()
}

/// Replace the workspace's profile, audit it and queue a re-score. Returns the stored
/// profile and the re-score job.
pub async fn update_icp(
    app: &App,
    ctx: &WsCtx,
    profile: IcpProfile,
) -> AppResult<(IcpProfile, Option<JobId>)> {
    ctx.require(Permission::Manage)?;
    profile
        .validate()
        .map_err(|e| AppError::invalid(icp_field(&e), e.to_string()))?;
    let db = app.db();
    let w = workspaces::get(db, ctx.ws).await?;
    let mut settings = settings_of(&w.settings);
    let before = settings.get("icp").cloned();
    let after = serde_json::to_value(&profile).map_err(|e| AppError::Internal(e.to_string()))?;
    settings.insert("icp".into(), after.clone());
    workspaces::set_settings(db, ctx.ws, &Value::Object(settings).to_string()).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "icp.updated",
        "workspace",
        ctx.ws.0,
        before,
        Some(after),
    )
    .await?;
    let job = enqueue_rescore(app, ctx.ws).await?;
    Ok((profile, job))
}

/// Start from a preset (`web_agency`, `marketing_agency`, `real_estate`, `local_services`).
pub async fn apply_preset(
    app: &App,
    ctx: &WsCtx,
    key: &str,
) -> AppResult<(IcpProfile, Option<JobId>)> {
    let Some(p) = IcpProfile::preset(key.trim()) else {
        let keys: Vec<String> = presets().into_iter().map(|p| p.key).collect();
        return Err(AppError::invalid(
            "preset",
            format!("preset: expected one of {}, got '{key}'", keys.join(", ")),
        ));
    };
    update_icp(app, ctx, p).await
}

fn icp_field(e: &scoring::IcpError) -> &'static str {
    use scoring::IcpError as E;
    match e {
        E::EmptyName => "name",
        E::WeightOutOfRange { .. } | E::AllWeightsZero => "weights",
        E::CutoffOutOfRange { .. } | E::CutoffOrder { .. } => "tiers",
        E::MinRating(_) => "targets.min_rating",
        E::EmptyTarget { .. } => "targets",
        E::EmployeeRange { .. } => "targets.min_employees",
        E::Json(_) => "profile",
    }
}

// ---------------------------------------------------------------------------------------
// Score input

/// Everything known about a company, as score input plus the names the analysis wants.
pub struct Known {
    pub company: Company,
    pub input: ScoreInput,
    pub socials: Vec<String>,
    pub tech: Vec<String>,
}

/// A company's current facts (latest done scan, its contacts) in score-input terms.
pub async fn known(app: &App, ws: WorkspaceId, id: CompanyId) -> AppResult<Known> {
    known_many(app, ws, &[id.0])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// [`known`] for many companies with five queries in all, in no particular order; companies
/// that do not exist (any more) are left out.
pub async fn known_many(app: &App, ws: WorkspaceId, ids: &[i64]) -> AppResult<Vec<Known>> {
    use std::collections::HashMap;
    let db = app.db();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = CompanyFilter {
        ids: Some(ids.to_vec()),
        ..Default::default()
    };
    let limit = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let found = companies::list(db, ws, &filter, CompanySort::Newest, None, limit).await?;
    let scans = fact_store::latest_done_scans(db, ws, ids).await?;
    let scan_ids: Vec<i64> = scans.iter().map(|s| s.id).collect();
    let mut facts: HashMap<i64, Vec<Fact>> = HashMap::new();
    for f in fact_store::facts_of_scans(db, ws, &scan_ids).await? {
        facts
            .entry(f.scan_id.unwrap_or_default())
            .or_default()
            .push(f);
    }
    let mut scan_of: HashMap<i64, Scan> = scans.into_iter().map(|s| (s.company_id, s)).collect();
    let mut channels: HashMap<i64, Vec<store::ContactChannels>> = HashMap::new();
    for c in store::contact_channels(db, ws, ids).await? {
        channels.entry(c.0).or_default().push(c);
    }
    let mut verified: HashMap<i64, Vec<String>> = HashMap::new();
    for (company, status) in store::contact_verifications_of(db, ws, ids).await? {
        verified.entry(company).or_default().push(status);
    }
    let now = now_ms();
    Ok(found
        .into_iter()
        .map(|company| {
            let id = company.id;
            let scan = scan_of.remove(&id);
            let scan_facts = scan
                .as_ref()
                .and_then(|s| facts.remove(&s.id))
                .unwrap_or_default();
            known_from(
                company,
                scan.as_ref(),
                &scan_facts,
                &channels.remove(&id).unwrap_or_default(),
                verified.remove(&id).unwrap_or_default(),
                now,
            )
        })
        .collect())
}

/// Score input from a company's row, latest done scan and its facts, and its contacts.
fn known_from(
    company: Company,
    scan: Option<&Scan>,
    scan_facts: &[Fact],
    contact_channels: &[store::ContactChannels],
    verifications: Vec<String>,
    now: i64,
) -> Known {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut socials = Vec::new();
    let mut tech = Vec::new();
    if let Some(scan) = scan {
        if scan.website_score.is_some() {
            pairs.push((kinds::WEBSITE.into(), scan.url.clone()));
        }
        for f in scan_facts {
            let data: Value = serde_json::from_str(&f.data).unwrap_or(Value::Null);
            match f.kind.as_str() {
                "website_score" | "email" | "phone" | "contact_form" => {
                    pairs.push((f.kind.clone(), f.value.clone()));
                }
                "social" => {
                    if let Some(n) = data.get("network").and_then(Value::as_str) {
                        socials.push(n.to_string());
                    }
                    pairs.push((kinds::SOCIAL.into(), f.value.clone()));
                }
                "tech" => {
                    tech.push(f.value.clone());
                    pairs.push((kinds::TECH.into(), f.value.clone()));
                }
                "tls" => {
                    let v = f.value.to_ascii_lowercase();
                    let valid = if v.starts_with("valid") {
                        Some(true)
                    } else if v.starts_with("no https") || v.starts_with("invalid") {
                        Some(false)
                    } else {
                        None
                    };
                    if let Some(b) = valid {
                        pairs.push((kinds::TLS_VALID.into(), b.to_string()));
                    }
                }
                "mobile" => {
                    let ready = data
                        .get("mobile_ready")
                        .and_then(Value::as_bool)
                        .unwrap_or(f.value == "mobile ready");
                    pairs.push((kinds::MOBILE_READY.into(), ready.to_string()));
                }
                "meta" => {
                    let fresh = data.get("freshness");
                    if let Some(y) = fresh
                        .and_then(|x| x.get("copyright_year"))
                        .and_then(Value::as_i64)
                    {
                        pairs.push((kinds::COPYRIGHT_YEAR.into(), y.to_string()));
                    }
                    if let Some(m) = fresh
                        .and_then(|x| x.get("last_modified"))
                        .and_then(Value::as_str)
                    {
                        pairs.push((kinds::LAST_MODIFIED.into(), m.to_string()));
                    }
                    let biz = data.get("business");
                    if let Some(r) = biz.and_then(|b| b.get("rating")).and_then(Value::as_f64) {
                        pairs.push((kinds::RATING.into(), r.to_string()));
                    }
                    if let Some(n) = biz
                        .and_then(|b| b.get("review_count"))
                        .and_then(Value::as_u64)
                    {
                        pairs.push((kinds::REVIEW_COUNT.into(), n.to_string()));
                    }
                }
                // Facts stored under the score's own kinds (imports, tests, later sources).
                k => pairs.push((k.to_string(), f.value.clone())),
            }
        }
    }
    for (_, email, phone, whatsapp) in contact_channels {
        if let Some(e) = email {
            pairs.push((kinds::EMAIL.into(), e.clone()));
        }
        if let Some(p) = phone {
            pairs.push((kinds::PHONE.into(), p.clone()));
        }
        if let Some(w) = whatsapp {
            pairs.push((kinds::WHATSAPP.into(), w.clone()));
        }
    }
    for status in verifications {
        pairs.push((kinds::EMAIL_STATUS.into(), status));
    }
    let f = &company.f;
    let fields = CompanyFields {
        category: f.category.as_deref(),
        city: f.city.as_deref(),
        region: f.region.as_deref(),
        country: f.country.as_deref(),
        website: f.website.as_deref(),
        phone: f.phone.as_deref(),
        rating: f.rating.map(|r| r as f32),
        review_count: f.review_count.and_then(|n| u32::try_from(n).ok()),
        now_ms: now,
    };
    let input = ScoreInput::from_facts(&fields, &pairs);
    socials.sort();
    socials.dedup();
    Known {
        company,
        input,
        socials,
        tech,
    }
}

// ---------------------------------------------------------------------------------------
// Scores

async fn compute_and_store(
    app: &App,
    ws: WorkspaceId,
    id: CompanyId,
    profile: &IcpProfile,
) -> AppResult<ScoreOut> {
    let k = known(app, ws, id).await?;
    let (row, out) = compute(&k, profile)?;
    store::upsert(app.db(), ws, id, &row).await?;
    Ok(out)
}

/// The score of one company: the row to store and what the API shows.
fn compute(k: &Known, profile: &IcpProfile) -> AppResult<(NewScore, ScoreOut)> {
    let s: Score = scoring::score(&k.input, profile);
    let factors: Vec<FactorOut> = s
        .factors
        .iter()
        .map(|f| FactorOut {
            name: f.name.clone(),
            points: i64::from(f.points),
            reason: f.reason.clone(),
        })
        .collect();
    let row = NewScore {
        value: i64::from(s.value),
        tier: s.tier.as_str().to_string(),
        reason: s.reason.clone(),
        factors: serde_json::to_string(&factors).map_err(|e| AppError::Internal(e.to_string()))?,
        model_version: s.model_version.clone(),
    };
    let out = ScoreOut {
        company_id: k.company.id,
        value: row.value,
        tier: row.tier.clone(),
        reason: row.reason.clone(),
        factors,
        model_version: row.model_version.clone(),
        computed_at: now_ms(),
    };
    Ok((row, out))
}

/// Compute, store and return a company's score.
pub async fn score_company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<ScoreOut> {
    ctx.require(Permission::Write)?;
    let profile = profile_of(app, ctx.ws).await?;
    compute_and_store(app, ctx.ws, id, &profile).await
}

/// Re-score one company from the system (after a scan). A company deleted meanwhile is
/// not an error.
pub async fn rescore_company(app: &App, ws: WorkspaceId, id: CompanyId) -> AppResult<()> {
    let profile = profile_of(app, ws).await?;
    match compute_and_store(app, ws, id, &profile).await {
        Ok(_) | Err(AppError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The stored score of a company (`None` until scored).
pub async fn company_score(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<Option<ScoreOut>> {
    store::ensure_company(app.db(), ctx.ws, id).await?;
    Ok(store::get(app.db(), ctx.ws, id)
        .await?
        .as_ref()
        .map(ScoreOut::from_stored))
}

/// The stored score of a company, computed (and stored) first when it has none yet. A score
/// is derived data, so reading members may fill it in.
pub async fn current_score(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<ScoreOut> {
    match company_score(app, ctx, id).await? {
        Some(s) => Ok(s),
        None => {
            let profile = profile_of(app, ctx.ws).await?;
            compute_and_store(app, ctx.ws, id, &profile).await
        }
    }
}

/// Score every company of the workspace now, calling `each` with every score and
/// `progress(done, total)` after each batch. Returns how many were scored.
pub async fn rescore_workspace<F, P, Fut>(
    app: &App,
    ws: WorkspaceId,
    mut each: F,
    mut progress: P,
) -> AppResult<u64>
where
    F: FnMut(&ScoreOut),
    P: FnMut(i64, i64) -> Fut,
    Fut: std::future::Future<Output = AppResult<()>>,
{
    let profile = profile_of(app, ws).await?;
    let total = store::company_count(app.db(), ws).await?;
    let mut after = 0;
    let mut done: u64 = 0;
    progress(0, total).await?;
    loop {
        let ids = store::company_ids_after(app.db(), ws, after, 200).await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        // One batch: five reads and one write transaction for up to 200 companies.
        let mut rows = Vec::with_capacity(ids.len());
        for k in known_many(app, ws, &ids).await? {
            let (row, out) = compute(&k, &profile)?;
            each(&out);
            rows.push((CompanyId(k.company.id), row));
        }
        store::upsert_many(app.db(), ws, &rows).await?;
        done += rows.len() as u64;
        after = last;
        progress(
            i64::try_from(done).unwrap_or(i64::MAX),
            total.max(done as i64),
        )
        .await?;
    }
    Ok(done)
}

/// Queue a re-score of the whole workspace.
pub async fn enqueue_rescore(app: &App, ws: WorkspaceId) -> AppResult<Option<JobId>> {
    let mut job =
        prospector_store::jobs::NewJob::new(RESCORE_JOB, json!({"workspace_id": ws.0}).to_string());
    job.workspace_id = Some(ws);
    job.max_attempts = 3;
    crate::jobs::enqueue(app, job).await
}

/// Queue a re-score on behalf of a member (the API's `POST /scores/rescore`).
pub async fn request_rescore(app: &App, ctx: &WsCtx) -> AppResult<Option<JobId>> {
    ctx.require(Permission::Write)?;
    let job = enqueue_rescore(app, ctx.ws).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "scores.rescore_queued",
        "workspace",
        ctx.ws.0,
        None,
        Some(json!({"job_id": job.map(|j| j.0)})),
    )
    .await?;
    Ok(job)
}

/// The newest re-score job of a workspace (for the settings page's progress).
pub async fn latest_rescore_job(
    app: &App,
    ctx: &WsCtx,
) -> AppResult<Option<prospector_store::jobs::Job>> {
    let jobs = crate::jobs::list(app, ctx, None, None, 50).await?;
    Ok(jobs.into_iter().find(|j| j.kind == RESCORE_JOB))
}

/// The job: re-score every company of the payload's workspace, with progress.
pub(crate) async fn job(ctx: JobCtx) -> JobResult {
    #[derive(Deserialize)]
    struct P {
        workspace_id: i64,
    }
    let p: P = ctx.payload()?;
    let ws = WorkspaceId(p.workspace_id);
    let app = ctx.app.clone();
    let jc = &ctx;
    let n = rescore_workspace(
        &app,
        ws,
        |_| {},
        move |done, total| async move {
            jc.progress(done, total)
                .await
                .map_err(|e| AppError::Internal(format!("{e:?}")))
        },
    )
    .await?;
    Ok(Some(json!({"scored": n})))
}

// ---------------------------------------------------------------------------------------
// Analysis

/// The globally configured AI provider, if any.
pub fn provider_config(app: &App) -> Option<ProviderConfig> {
    let c = app.config();
    let model = c.ai_model.clone().filter(|m| !m.trim().is_empty())?;
    let key = c
        .ai_api_key
        .as_ref()
        .map(|k| k.0.clone())
        .unwrap_or_default();
    let base = c.ai_base_url.clone().filter(|b| !b.trim().is_empty());
    let anthropic = base.as_deref().is_some_and(|b| b.contains("anthropic"))
        || (base.is_none() && model.starts_with("claude"));
    let mut cfg = if anthropic {
        ProviderConfig::anthropic(model, key)
    } else {
        ProviderConfig::openai(model, key)
    };
    if let Some(b) = base {
        cfg.base_url = b;
    }
    Some(cfg)
}

/// Analyse a company from its facts with the configured model, or the deterministic
/// fallback without one (or when the model fails), and store the result.
pub async fn analyze_company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<AnalysisOut> {
    ctx.require(Permission::Write)?;
    let k = known(app, ctx.ws, id).await?;
    let name = k.company.f.name.clone().unwrap_or_default();
    let mut facts =
        BusinessFacts::from_score_input(&name, k.company.f.website.as_deref(), &k.input);
    facts.socials = k.socials.clone();
    facts.tech = k.tech.clone();
    let cfg = provider_config(app);
    let model = cfg.as_ref().map(|c| c.model.clone());
    let client = match cfg {
        Some(c) => match HttpLlmClient::new(c) {
            Ok(cl) => Some(cl),
            Err(e) => {
                tracing::warn!(error = %e, "AI provider misconfigured, using the fallback");
                None
            }
        },
        None => None,
    };
    let dynclient = client.as_ref().map(|c| c as &dyn LlmClient);
    let a = prospector_ai::analyze_business_or_fallback(dynclient, &facts).await;
    let provider = match a.source {
        AnalysisSource::Ai => model.unwrap_or_else(|| "ai".into()),
        AnalysisSource::Fallback => "fallback".to_string(),
    };
    let row = NewAnalysis {
        summary: a.summary.clone(),
        pain_points: serde_json::to_string(&a.pain_points).unwrap_or_else(|_| "[]".into()),
        hooks: serde_json::to_string(&a.hooks).unwrap_or_else(|_| "[]".into()),
        opening_line: a.opening_line.clone(),
        provider,
    };
    let stored = store::insert_analysis(app.db(), ctx.ws, id, &row).await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "company.analyzed",
        "company",
        id.0,
        None,
        Some(
            json!({"analysis_id": stored.id, "provider": stored.provider,
            "fallback_reason": a.fallback_reason}),
        ),
    )
    .await?;
    Ok(AnalysisOut::from_stored(&stored))
}

/// The newest stored analysis of a company.
pub async fn company_analysis(
    app: &App,
    ctx: &WsCtx,
    id: CompanyId,
) -> AppResult<Option<AnalysisOut>> {
    store::ensure_company(app.db(), ctx.ws, id).await?;
    Ok(store::latest_analysis(app.db(), ctx.ws, id)
        .await?
        .as_ref()
        .map(AnalysisOut::from_stored))
}
