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

/// The provider kinds, for the settings forms of the web layer.
pub use prospector_ai::ProviderKind;

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
    /// Why the deterministic fallback answered although a provider is configured.
    pub fallback_reason: Option<String>,
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
            fallback_reason: a.fallback_reason.clone(),
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

/// The globally configured AI provider, if any (instance configuration, shared by every
/// workspace that has not configured its own).
pub fn provider_config(app: &App) -> Option<ProviderConfig> {
    let c = app.config();
    let model = c.ai_model.clone().filter(|m| !m.trim().is_empty())?;
    let key = c
        .ai_api_key
        .as_ref()
        .map(|k| k.0.clone())
        .unwrap_or_default();
    let base = c.ai_base_url.clone().filter(|b| !b.trim().is_empty());
    let anthropic = match c.ai_provider.as_deref().map(str::trim) {
        Some("anthropic") => true,
        Some("openai_compatible") | Some("openai") => false,
        _ => {
            base.as_deref().is_some_and(|b| b.contains("anthropic"))
                || (base.is_none() && model.starts_with("claude"))
        }
    };
    let mut cfg = if anthropic {
        ProviderConfig::anthropic(model, key)
    } else {
        ProviderConfig::openai(model, key)
    };
    if let Some(b) = base {
        cfg.base_url = b;
    }
    cfg.price = c.ai_prices.lookup(&cfg.model).unwrap_or_default();
    Some(cfg)
}

/// Which provider a workspace's AI features use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AiMode {
    /// The instance's provider (`PROSPECTOR_AI_*`), if one is configured.
    #[default]
    Global,
    /// The workspace's own provider, below.
    Workspace,
    /// No model: every analysis is the deterministic one.
    Off,
}

impl AiMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AiMode::Global => "global",
            AiMode::Workspace => "workspace",
            AiMode::Off => "off",
        }
    }
}

/// The `ai` section of the workspace settings as stored; the API key only encrypted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct StoredAi {
    mode: AiMode,
    provider: Option<ProviderKind>,
    base_url: Option<String>,
    model: Option<String>,
    /// `v1:` + AES-256-GCM ciphertext (see `crypto::Keys::encrypt`).
    api_key_enc: Option<String>,
    input_micros_per_mtok: Option<i64>,
    output_micros_per_mtok: Option<i64>,
    /// Spending limit per calendar month (UTC), in minor units of the price currency.
    monthly_budget_minor: Option<i64>,
}

/// A workspace's AI settings as shown (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AiSettingsOut {
    /// global, workspace or off.
    pub mode: AiMode,
    /// openai_compatible or anthropic (workspace mode).
    #[schema(value_type = Option<String>)]
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// Whether a workspace API key is stored (encrypted).
    pub api_key_set: bool,
    /// Price overrides in micro-units per million tokens (`None`: the configured price list).
    pub input_micros_per_mtok: Option<i64>,
    pub output_micros_per_mtok: Option<i64>,
    /// Monthly limit in minor units (cents); `None` means no limit.
    pub monthly_budget_minor: Option<i64>,
    /// The provider and model in effect now ("none" when analyses use the fallback).
    pub effective: String,
    /// Whether the instance has a global provider configured.
    pub global_available: bool,
}

/// A change of a workspace's AI settings. Omitted fields keep their value; `api_key: ""`
/// removes the stored key; `clear_budget` removes the limit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AiSettingsInput {
    pub mode: Option<AiMode>,
    #[schema(value_type = Option<String>)]
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub input_micros_per_mtok: Option<i64>,
    pub output_micros_per_mtok: Option<i64>,
    /// Drop the price overrides (use the configured price list).
    pub clear_prices: bool,
    pub monthly_budget_minor: Option<i64>,
    pub clear_budget: bool,
}

/// Minor units per currency unit (cents): budgets are entered and shown in minor units.
const MINOR_PER_UNIT: i64 = 100;
/// Micro-units per minor unit.
const MICROS_PER_MINOR: i64 = 1_000_000 / MINOR_PER_UNIT;

async fn stored_ai(app: &App, ws: WorkspaceId) -> AppResult<StoredAi> {
    let v = prospector_store::settings::get_section(app.db(), ws, "ai").await?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

fn ai_out(app: &App, s: &StoredAi, effective: Option<&ProviderConfig>) -> AiSettingsOut {
    AiSettingsOut {
        mode: s.mode,
        provider: s.provider,
        base_url: s.base_url.clone(),
        model: s.model.clone(),
        api_key_set: s.api_key_enc.is_some(),
        input_micros_per_mtok: s.input_micros_per_mtok,
        output_micros_per_mtok: s.output_micros_per_mtok,
        monthly_budget_minor: s.monthly_budget_minor,
        effective: effective
            .map(|c| format!("{} {} at {}", c.kind.as_str(), c.model, c.base_url))
            .unwrap_or_else(|| "none (deterministic analyses)".into()),
        global_available: provider_config(app).is_some(),
    }
}

/// The provider configuration a workspace's AI calls use now, or `None` (fallback).
async fn effective_config(
    app: &App,
    ws: WorkspaceId,
    s: &StoredAi,
) -> AppResult<Option<ProviderConfig>> {
    match s.mode {
        AiMode::Off => Ok(None),
        AiMode::Global => Ok(provider_config(app)),
        AiMode::Workspace => {
            let Some(model) = s.model.clone().filter(|m| !m.trim().is_empty()) else {
                return Ok(None);
            };
            let key = match &s.api_key_enc {
                Some(enc) => app.keys().decrypt(enc)?,
                None => String::new(),
            };
            let kind = s.provider.unwrap_or(ProviderKind::OpenAiCompatible);
            let mut cfg = match kind {
                ProviderKind::Anthropic => ProviderConfig::anthropic(model, key),
                ProviderKind::OpenAiCompatible => ProviderConfig::openai(model, key),
            };
            if let Some(b) = s.base_url.clone().filter(|b| !b.trim().is_empty()) {
                cfg.base_url = b;
            }
            let listed = app
                .config()
                .ai_prices
                .lookup(&cfg.model)
                .unwrap_or_default();
            cfg.price = prospector_ai::Price {
                input_micros_per_mtok: s
                    .input_micros_per_mtok
                    .unwrap_or(listed.input_micros_per_mtok),
                output_micros_per_mtok: s
                    .output_micros_per_mtok
                    .unwrap_or(listed.output_micros_per_mtok),
            };
            tracing::debug!(workspace_id = ws.0, provider = cfg.kind.as_str(), model = %cfg.model, "workspace AI provider");
            Ok(Some(cfg))
        }
    }
}

/// A workspace's AI settings.
pub async fn ai_settings(app: &App, ctx: &WsCtx) -> AppResult<AiSettingsOut> {
    let s = stored_ai(app, ctx.ws).await?;
    let eff = effective_config(app, ctx.ws, &s).await.ok().flatten();
    Ok(ai_out(app, &s, eff.as_ref()))
}

/// Change a workspace's AI settings (owners and admins). The key is encrypted before it is
/// stored and never returned; the audit log records that it changed, not its value.
pub async fn update_ai_settings(
    app: &App,
    ctx: &WsCtx,
    input: &AiSettingsInput,
) -> AppResult<AiSettingsOut> {
    ctx.require(Permission::Manage)?;
    let mut s = stored_ai(app, ctx.ws).await?;
    let before = ai_out(app, &s, None);
    if let Some(m) = input.mode {
        s.mode = m;
    }
    if let Some(p) = input.provider {
        s.provider = Some(p);
    }
    if let Some(b) = &input.base_url {
        let b = b.trim();
        if b.is_empty() {
            s.base_url = None;
        } else {
            let rest = b
                .strip_prefix("https://")
                .or_else(|| b.strip_prefix("http://"));
            let ok = rest.is_some_and(|r| {
                let host = r.split(['/', '?', '#']).next().unwrap_or("");
                !host.is_empty() && !r.chars().any(|c| c.is_whitespace() || c.is_control())
            });
            if !ok {
                return Err(AppError::invalid(
                    "base_url",
                    format!("base_url: expected an http:// or https:// URL, got '{b}'"),
                ));
            }
            s.base_url = Some(b.trim_end_matches('/').to_string());
        }
    }
    if let Some(m) = &input.model {
        let m = m.trim();
        if m.len() > 200 {
            return Err(AppError::invalid("model", "model: at most 200 characters"));
        }
        s.model = (!m.is_empty()).then(|| m.to_string());
    }
    let key_changed = input.api_key.is_some();
    if let Some(k) = &input.api_key {
        let k = k.trim();
        if k.is_empty() {
            s.api_key_enc = None;
        } else {
            if k.len() > 1000 || k.chars().any(|c| c.is_control()) {
                return Err(AppError::invalid(
                    "api_key",
                    "api_key: at most 1000 characters, no control characters",
                ));
            }
            s.api_key_enc = Some(app.keys().encrypt(k)?);
        }
    }
    for (field, v) in [
        ("input_micros_per_mtok", input.input_micros_per_mtok),
        ("output_micros_per_mtok", input.output_micros_per_mtok),
    ] {
        if let Some(x) = v
            && !(0..=1_000_000_000_000).contains(&x)
        {
            return Err(AppError::invalid(
                field,
                format!(
                    "{field}: expected 0 to 1000000000000 micro-units per million tokens, got {x}"
                ),
            ));
        }
    }
    if input.clear_prices {
        s.input_micros_per_mtok = None;
        s.output_micros_per_mtok = None;
    }
    if input.input_micros_per_mtok.is_some() {
        s.input_micros_per_mtok = input.input_micros_per_mtok;
    }
    if input.output_micros_per_mtok.is_some() {
        s.output_micros_per_mtok = input.output_micros_per_mtok;
    }
    if let Some(b) = input.monthly_budget_minor {
        if !(0..=i64::MAX / MICROS_PER_MINOR).contains(&b) {
            return Err(AppError::invalid(
                "monthly_budget_minor",
                format!("monthly_budget_minor: expected a non-negative amount in cents, got {b}"),
            ));
        }
        s.monthly_budget_minor = Some(b);
    }
    if input.clear_budget {
        s.monthly_budget_minor = None;
    }
    if s.mode == AiMode::Workspace && s.model.is_none() {
        return Err(AppError::invalid(
            "model",
            "model: a workspace provider needs a model name",
        ));
    }
    let value = serde_json::to_value(&s).map_err(|e| AppError::Internal(e.to_string()))?;
    prospector_store::settings::set_section(app.db(), ctx.ws, "ai", Some(value)).await?;
    let eff = effective_config(app, ctx.ws, &s).await?;
    let after = ai_out(app, &s, eff.as_ref());
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "ai.settings_updated",
        "workspace",
        ctx.ws.0,
        serde_json::to_value(&before).ok(),
        Some(json!({"settings": after, "api_key_changed": key_changed})),
    )
    .await?;
    tracing::info!(
        workspace_id = ctx.ws.0,
        mode = s.mode.as_str(),
        key_changed,
        "AI settings updated"
    );
    Ok(after)
}

/// Midnight UTC of the first day of the month `now` is in.
fn month_start(now: i64) -> i64 {
    let text = prospector_core::time::format_ms(now);
    prospector_core::time::parse_date_ms(&format!("{}-01", &text[..7.min(text.len())]))
        .unwrap_or(now - now.rem_euclid(prospector_core::time::DAY))
}

/// The monthly budget and `api_usage` over the database: refuses once the month's spend
/// reaches the limit (or the next call's worst case would pass it), records every call.
struct DbBudget {
    app: App,
    ws: WorkspaceId,
    limit_micros: Option<i64>,
}

impl prospector_ai::Budget for DbBudget {
    fn check<'a>(
        &'a self,
        call: &'a prospector_ai::CallEstimate,
    ) -> prospector_ai::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let Some(limit) = self.limit_micros else {
                return Ok(());
            };
            let spent = prospector_store::ai_usage::spent_since(
                self.app.db(),
                self.ws,
                month_start(now_ms()),
            )
            .await
            .map_err(|e| format!("cannot read this month's AI spend: {e}"))?;
            if spent >= limit {
                return Err(format!(
                    "the monthly AI budget of {} is spent ({} used this month)",
                    money(limit),
                    money(spent)
                ));
            }
            if spent.saturating_add(call.max_cost_micros) > limit {
                return Err(format!(
                    "the next call may cost up to {}, only {} of the monthly AI budget of {} is left",
                    money(call.max_cost_micros),
                    money(limit - spent),
                    money(limit)
                ));
            }
            Ok(())
        })
    }

    fn record<'a>(&'a self, u: &'a prospector_ai::UsageRecord) -> prospector_ai::BoxFuture<'a, ()> {
        Box::pin(async move {
            let row = prospector_store::ai_usage::NewUsage {
                provider: u.provider.as_str().to_string(),
                model: u.model.clone(),
                feature: u.feature.clone(),
                input_tokens: i64::try_from(u.input_tokens).unwrap_or(i64::MAX),
                output_tokens: i64::try_from(u.output_tokens).unwrap_or(i64::MAX),
                cost_micros: u.cost_micros,
                cached: u.cached,
            };
            if let Err(e) = prospector_store::ai_usage::record(self.app.db(), self.ws, &row).await {
                tracing::error!(workspace_id = self.ws.0, error = %e, "cannot record AI usage");
            }
        })
    }
}

/// The response cache over `ai_cache`, per workspace; failures are logged and count as misses.
struct DbCache {
    app: App,
    ws: WorkspaceId,
}

impl prospector_ai::Cache for DbCache {
    fn get<'a>(&'a self, key: &'a str) -> prospector_ai::BoxFuture<'a, Option<Value>> {
        Box::pin(async move {
            match prospector_store::ai_usage::cache_get(self.app.db(), self.ws, key).await {
                Ok(Some(text)) => serde_json::from_str(&text).ok(),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(workspace_id = self.ws.0, error = %e, "AI cache read failed");
                    None
                }
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a Value) -> prospector_ai::BoxFuture<'a, ()> {
        Box::pin(async move {
            let text = value.to_string();
            if let Err(e) =
                prospector_store::ai_usage::cache_put(self.app.db(), self.ws, key, &text).await
            {
                tracing::warn!(workspace_id = self.ws.0, error = %e, "AI cache write failed");
            }
        })
    }
}

/// Micro-units as money text ("$0.0123", "$5.00").
pub fn money(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let (units, frac) = (m / 1_000_000, m % 1_000_000);
    if frac.is_multiple_of(10_000) {
        return format!("{sign}${units}.{:02}", frac / 10_000);
    }
    // Sub-cent amounts keep their significant digits: "$0.0123", not "$0.01".
    let digits = format!("{frac:06}");
    format!("{sign}${units}.{}", digits.trim_end_matches('0'))
}

/// The workspace's AI client (its provider or the global one, with the monthly budget and
/// the database cache), or `None` when analyses use the fallback.
pub async fn client_for(app: &App, ws: WorkspaceId) -> AppResult<Option<HttpLlmClient>> {
    let s = stored_ai(app, ws).await?;
    let Some(cfg) = effective_config(app, ws, &s).await? else {
        return Ok(None);
    };
    let client = HttpLlmClient::new(cfg).map_err(|e| AppError::invalid("ai", e.to_string()))?;
    Ok(Some(
        client
            .with_budget(std::sync::Arc::new(DbBudget {
                app: app.clone(),
                ws,
                limit_micros: s
                    .monthly_budget_minor
                    .map(|b| b.saturating_mul(MICROS_PER_MINOR)),
            }))
            .with_cache(std::sync::Arc::new(DbCache {
                app: app.clone(),
                ws,
            })),
    ))
}

/// What the "test the provider" action found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AiTestOut {
    pub ok: bool,
    /// The provider and model tried ("none" when analyses use the fallback).
    pub effective: String,
    pub latency_ms: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Why it failed, in the provider's words where it gave any.
    pub error: Option<String>,
}

/// Send one tiny structured request to the workspace's provider (counted in `api_usage` and
/// against the budget like any other call; never answered from the cache).
pub async fn test_ai(app: &App, ctx: &WsCtx) -> AppResult<AiTestOut> {
    ctx.require(Permission::Manage)?;
    let s = stored_ai(app, ctx.ws).await?;
    let cfg = effective_config(app, ctx.ws, &s).await?;
    let effective = ai_out(app, &s, cfg.as_ref()).effective;
    let Some(cfg) = cfg else {
        return Err(AppError::invalid(
            "mode",
            "no AI provider is configured for this workspace; analyses use the deterministic fallback",
        ));
    };
    let client = HttpLlmClient::new(cfg)
        .map_err(|e| AppError::invalid("ai", e.to_string()))?
        .with_budget(std::sync::Arc::new(DbBudget {
            app: app.clone(),
            ws: ctx.ws,
            limit_micros: s
                .monthly_budget_minor
                .map(|b| b.saturating_mul(MICROS_PER_MINOR)),
        }));
    let req = prospector_ai::JsonRequest {
        name: "test".into(),
        system: "You check that an API connection works.".into(),
        user: format!("Reply with {{\"ok\": true}}. (check {})", now_ms()),
        schema: json!({
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
            "additionalProperties": false
        }),
        max_tokens: 20,
    };
    let started = std::time::Instant::now();
    let r = client.complete_json(req).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let out = match r {
        Ok(resp) => AiTestOut {
            ok: true,
            effective,
            latency_ms,
            input_tokens: resp.usage.input_tokens,
            output_tokens: resp.usage.output_tokens,
            error: None,
        },
        Err(e) => AiTestOut {
            ok: false,
            effective,
            latency_ms,
            input_tokens: 0,
            output_tokens: 0,
            error: Some(e.to_string()),
        },
    };
    tracing::info!(workspace_id = ctx.ws.0, ok = out.ok, latency_ms, error = ?out.error, "AI provider tested");
    Ok(out)
}

/// A workspace's AI spend this month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AiUsageOut {
    /// Start of the month counted (ms since epoch, UTC).
    pub since: i64,
    /// Spent this month, micro-units (1 USD = 1,000,000).
    pub spent_micros: i64,
    /// Spent this month, minor units (cents), rounded up.
    pub spent_minor: i64,
    pub monthly_budget_minor: Option<i64>,
    /// What is left of the budget, minor units (`None` without a budget).
    pub remaining_minor: Option<i64>,
    /// The budget is spent: AI calls stop until next month or a higher budget.
    pub exhausted: bool,
    pub lines: Vec<AiUsageLine>,
}

/// Usage of one provider and model this month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AiUsageLine {
    pub provider: String,
    pub model: String,
    pub calls: i64,
    pub cached_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
}

/// This month's AI usage and budget of the workspace.
pub async fn ai_usage(app: &App, ctx: &WsCtx) -> AppResult<AiUsageOut> {
    let s = stored_ai(app, ctx.ws).await?;
    let since = month_start(now_ms());
    let db = app.db();
    let spent = prospector_store::ai_usage::spent_since(db, ctx.ws, since).await?;
    let lines = prospector_store::ai_usage::summary_since(db, ctx.ws, since)
        .await?
        .into_iter()
        .map(|l| AiUsageLine {
            provider: l.provider,
            model: l.model,
            calls: l.calls,
            cached_calls: l.cached_calls,
            input_tokens: l.input_tokens,
            output_tokens: l.output_tokens,
            cost_micros: l.cost_micros,
        })
        .collect();
    let spent_minor = spent.saturating_add(MICROS_PER_MINOR - 1) / MICROS_PER_MINOR;
    let limit = s.monthly_budget_minor;
    Ok(AiUsageOut {
        since,
        spent_micros: spent,
        spent_minor,
        monthly_budget_minor: limit,
        remaining_minor: limit.map(|l| (l - spent_minor).max(0)),
        exhausted: limit.is_some_and(|l| spent >= l.saturating_mul(MICROS_PER_MINOR)),
        lines,
    })
}

/// Analyse a company from its facts with the workspace's model, or the deterministic
/// fallback without one. When the model fails (budget spent, rate limit, outage, invalid
/// output) the fallback answers and the reason is stored with the analysis and shown.
pub async fn analyze_company(app: &App, ctx: &WsCtx, id: CompanyId) -> AppResult<AnalysisOut> {
    ctx.require(Permission::Write)?;
    let k = known(app, ctx.ws, id).await?;
    let name = k.company.f.name.clone().unwrap_or_default();
    let mut facts =
        BusinessFacts::from_score_input(&name, k.company.f.website.as_deref(), &k.input);
    facts.socials = k.socials.clone();
    facts.tech = k.tech.clone();
    let (client, setup_error) = match client_for(app, ctx.ws).await {
        Ok(c) => (c, None),
        Err(e) => {
            tracing::warn!(workspace_id = ctx.ws.0, error = %e, "AI provider misconfigured, using the fallback");
            (None, Some(format!("AI provider misconfigured: {e}")))
        }
    };
    let model = client.as_ref().map(|c| c.model().to_string());
    let dynclient = client.as_ref().map(|c| c as &dyn LlmClient);
    let a = prospector_ai::analyze_business_or_fallback(dynclient, &facts).await;
    let provider = match a.source {
        AnalysisSource::Ai => model.unwrap_or_else(|| "ai".into()),
        AnalysisSource::Fallback => "fallback".to_string(),
    };
    let fallback_reason = a.fallback_reason.clone().or(setup_error);
    let row = NewAnalysis {
        summary: a.summary.clone(),
        pain_points: serde_json::to_string(&a.pain_points).unwrap_or_else(|_| "[]".into()),
        hooks: serde_json::to_string(&a.hooks).unwrap_or_else(|_| "[]".into()),
        opening_line: a.opening_line.clone(),
        provider,
        fallback_reason: fallback_reason.clone(),
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
            "fallback_reason": fallback_reason}),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_cents_and_sub_cent_amounts() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(5_000_000), "$5.00");
        assert_eq!(money(10_000), "$0.01");
        assert_eq!(money(12_300), "$0.0123");
        assert_eq!(money(228), "$0.000228");
        assert_eq!(money(-1_500_000), "-$1.50");
    }

    #[test]
    fn month_starts_at_midnight_utc_on_the_first() {
        // 2026-12-01 00:00 UTC and a moment later that day / month.
        let first = 1_796_083_200_000;
        assert_eq!(month_start(first), first);
        assert_eq!(
            month_start(first + 15 * prospector_core::time::DAY + 1234),
            first
        );
        assert_eq!(
            month_start(first - 1),
            first - 30 * prospector_core::time::DAY
        );
    }
}
