//! Costs: a per-workspace rate card (by channel, country and WhatsApp category; seeded with
//! `prospector_core::messaging::default_rate_card` the first time it is needed; editable)
//! prices each message in integer minor units; the price is stored on the message and written
//! as a debit to the append-only ledger. Also the message log and its CSV export.

use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::messaging::{ANY, RateLine, cost, default_rate_card, price};
use prospector_core::role::Permission;
use prospector_store::messaging::{self as store, LedgerEntry, LogFilter, LogRow, RateRow};
use prospector_store::{MessageId, WorkspaceId};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The workspace's rate card, seeded with the defaults when it has none.
pub async fn rate_card(app: &App, ws: WorkspaceId) -> AppResult<Vec<RateRow>> {
    let rows = store::rate_card(app.db(), ws).await?;
    if !rows.is_empty() {
        return Ok(rows);
    }
    for l in default_rate_card() {
        store::set_rate(
            app.db(),
            ws,
            &l.channel,
            &l.country,
            &l.category,
            l.price_minor,
            &l.currency,
            true,
        )
        .await?;
    }
    Ok(store::rate_card(app.db(), ws).await?)
}

fn lines(rows: &[RateRow]) -> Vec<RateLine> {
    rows.iter()
        .map(|r| RateLine {
            channel: r.channel.clone(),
            country: r.country.clone(),
            category: r.category.clone(),
            price_minor: r.price_minor,
            currency: r.currency.clone(),
        })
        .collect()
}

/// The cost of `units` of `category` on `channel` to `country`, with its currency.
pub async fn quote(
    app: &App,
    ws: WorkspaceId,
    channel: &str,
    country: Option<&str>,
    category: &str,
    units: u32,
) -> AppResult<Option<(i64, String)>> {
    let rows = rate_card(app, ws).await?;
    let l = lines(&rows);
    Ok(
        price(&l, channel, country, category)
            .map(|line| (cost(line, units), line.currency.clone())),
    )
}

/// Record a message's cost: on the message and as its (single) ledger debit.
pub async fn charge(
    app: &App,
    ws: WorkspaceId,
    message: MessageId,
    channel: &str,
    amount_minor: i64,
    currency: &str,
    description: &str,
) -> AppResult<()> {
    store::set_message_cost(app.db(), ws, message, amount_minor, currency).await?;
    if store::debit(
        app.db(),
        ws,
        message,
        channel,
        amount_minor,
        currency,
        description,
    )
    .await?
    {
        tracing::debug!(
            workspace = ws.0,
            message = message.0,
            amount_minor,
            currency,
            "debit"
        );
    }
    Ok(())
}

/// One line of the rate card as edited.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = RateLineInput)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// `whatsapp` or `sms`.
    pub channel: String,
    /// ISO alpha-2, or `*` for every other country.
    pub country: String,
    /// WhatsApp: marketing, utility, authentication, service; SMS: segment; or `*`.
    pub category: String,
    pub price_minor: i64,
    /// ISO 4217 (default USD).
    #[serde(default)]
    pub currency: Option<String>,
}

pub async fn list_rates(app: &App, ctx: &WsCtx) -> AppResult<Vec<RateRow>> {
    rate_card(app, ctx.ws).await
}

pub async fn set_rate(app: &App, ctx: &WsCtx, i: &RateInput) -> AppResult<Vec<RateRow>> {
    ctx.require(Permission::Manage)?;
    let channel = i.channel.trim().to_lowercase();
    if channel != "whatsapp" && channel != "sms" {
        return Err(AppError::invalid("channel", "expected whatsapp or sms"));
    }
    let country = i.country.trim().to_uppercase();
    if country != ANY && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(AppError::invalid(
            "country",
            "expected a two-letter country code or *",
        ));
    }
    let category = i.category.trim().to_lowercase();
    let allowed: &[&str] = if channel == "sms" {
        &["segment", ANY]
    } else {
        &["marketing", "utility", "authentication", "service", ANY]
    };
    if !allowed.contains(&category.as_str()) {
        return Err(AppError::invalid(
            "category",
            format!("expected one of {}", allowed.join(", ")),
        ));
    }
    if !(0..=1_000_000).contains(&i.price_minor) {
        return Err(AppError::invalid(
            "price_minor",
            "expected 0 to 1000000 minor units",
        ));
    }
    let currency = i.currency.as_deref().unwrap_or("USD").trim().to_uppercase();
    if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(AppError::invalid("currency", "expected a code such as USD"));
    }
    rate_card(app, ctx.ws).await?;
    store::set_rate(
        app.db(),
        ctx.ws,
        &channel,
        &country,
        &category,
        i.price_minor,
        &currency,
        false,
    )
    .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "rate_card.set",
        "rate_card",
        0,
        None,
        Some(
            json!({"channel": channel, "country": country, "category": category,
                    "price_minor": i.price_minor, "currency": currency}),
        ),
    )
    .await?;
    rate_card(app, ctx.ws).await
}

pub async fn delete_rate(app: &App, ctx: &WsCtx, id: i64) -> AppResult<()> {
    ctx.require(Permission::Manage)?;
    if !store::delete_rate(app.db(), ctx.ws, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Ledger totals per channel and currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CostTotal)]
pub struct Total {
    pub channel: String,
    pub currency: String,
    pub entries: i64,
    pub amount_minor: i64,
}

/// The cost summary: totals and the latest entries.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostsOut {
    pub totals: Vec<Total>,
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<LedgerEntry>,
    pub next_before: Option<i64>,
}

pub async fn costs(app: &App, ctx: &WsCtx, before: Option<i64>, limit: i64) -> AppResult<CostsOut> {
    let totals = store::ledger_totals(app.db(), ctx.ws)
        .await?
        .into_iter()
        .map(|(channel, currency, entries, amount_minor)| Total {
            channel,
            currency,
            entries,
            amount_minor,
        })
        .collect();
    let limit = limit.clamp(1, 500);
    let entries = store::ledger(app.db(), ctx.ws, before, limit).await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(CostsOut {
        totals,
        entries,
        next_before,
    })
}

/// The message log (WhatsApp and SMS), newest first.
pub async fn log(
    app: &App,
    ctx: &WsCtx,
    f: &LogFilter,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<LogRow>> {
    if let Some(c) = &f.channel
        && c != "whatsapp"
        && c != "sms"
    {
        return Err(AppError::invalid("channel", "expected whatsapp or sms"));
    }
    Ok(store::log(app.db(), ctx.ws, f, before, limit).await?)
}

/// The message log as CSV (formula-safe cells), at most `cap` rows.
pub async fn log_csv(app: &App, ctx: &WsCtx, f: &LogFilter, cap: usize) -> AppResult<String> {
    let io = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut t = prospector_core::import::CsvTable::new(
        Vec::new(),
        &[
            "id",
            "channel",
            "to",
            "template",
            "status",
            "provider_status",
            "error",
            "error_code",
            "cost_minor",
            "currency",
            "segments",
            "country",
            "created_at",
            "sent_at",
        ],
        false,
    )
    .map_err(io)?;
    let mut before = None;
    let mut n = 0;
    'pages: loop {
        let rows = store::log(app.db(), ctx.ws, f, before, 500).await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            t.row([
                r.id.to_string(),
                r.channel.clone(),
                r.to_address.clone(),
                r.template_name.clone().unwrap_or_default(),
                r.status.clone(),
                r.provider_status.clone().unwrap_or_default(),
                r.error.clone().unwrap_or_default(),
                r.error_code.map(|c| c.to_string()).unwrap_or_default(),
                r.cost_minor.map(|c| c.to_string()).unwrap_or_default(),
                r.currency.clone().unwrap_or_default(),
                r.segments.map(|c| c.to_string()).unwrap_or_default(),
                r.country.clone().unwrap_or_default(),
                prospector_core::time::format_ms(r.created_at),
                r.sent_at
                    .map(prospector_core::time::format_ms)
                    .unwrap_or_default(),
            ])
            .map_err(io)?;
            n += 1;
            if n >= cap {
                break 'pages;
            }
        }
        before = rows.last().map(|r| r.id);
    }
    let bytes = t.finish().map_err(io)?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}
