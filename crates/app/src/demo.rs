//! Demo data, so a first look at the product shows real tables instead of empty states.

use crate::contacts::ListQuery;
use crate::imports::{self, ImportOptions, Summary};
use crate::outreach::{campaigns, senders, spec, templates};
use crate::{App, AppResult, WsCtx};
use std::collections::HashSet;

/// 180 small businesses in six countries, in the shape a user would export from a spreadsheet.
const DEMO_CSV: &str = include_str!("../data/demo_contacts.csv");

/// Import the demo businesses into `ctx`'s workspace unless it already has imports, then set
/// up the demo outreach (see [`seed_outreach`]).
pub async fn seed_contacts(app: &App, ctx: &WsCtx) -> AppResult<Option<Summary>> {
    let summary = if imports::list(app, ctx, None, 1).await?.is_empty() {
        Some(import_demo_csv(app, ctx).await?)
    } else {
        None
    };
    seed_outreach(app, ctx).await?;
    Ok(summary)
}

async fn import_demo_csv(app: &App, ctx: &WsCtx) -> AppResult<Summary> {
    let path = imports::new_upload_path(app, ctx.ws).await?;
    tokio::fs::write(&path, DEMO_CSV)
        .await
        .map_err(|e| crate::AppError::Internal(format!("cannot write the demo file: {e}")))?;
    let opts = ImportOptions::default();
    let imp = imports::create(
        app,
        ctx,
        "demo-businesses.csv",
        &path,
        DEMO_CSV.len() as i64,
        "",
        &opts,
        false,
    )
    .await?;
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    imports::run_stored(app, ctx.ws, imp.iid(), &mut |_| {}, &never).await
}

/// The demo sender, template and campaign.
pub const DEMO_SENDER: &str = "Demo mailbox";
pub const DEMO_TEMPLATE: &str = "First touch";
pub const DEMO_CAMPAIGN: &str = "Bakeries spring outreach";
/// How many contacts the demo campaign enrolls.
const DEMO_ENROLLED: usize = 25;

/// A sandbox sender (nothing leaves the machine), a template and a started two-step campaign
/// with about 25 contacts (bakeries first), so the worker sends through the sandbox and the
/// campaign pages show real counts. Each part is created only when missing; a campaign of
/// that name that exists already is left as it is.
pub async fn seed_outreach(app: &App, ctx: &WsCtx) -> AppResult<()> {
    let db = app.db();
    crate::messaging::seed_demo(app, ctx).await?;
    match prospector_store::senders::get_by_name(db, ctx.ws, DEMO_SENDER).await {
        Ok(_) => {}
        Err(prospector_store::StoreError::NotFound) => {
            senders::create(
                app,
                ctx,
                &senders::SenderInput {
                    name: DEMO_SENDER.into(),
                    kind: "sandbox".into(),
                    from_email: "hello@outreach.demo".into(),
                    from_name: Some("Mia from Demo Agency".into()),
                    daily_limit: Some(500),
                    signature: Some(
                        "Mia Example\nDemo Agency · websites for local businesses".into(),
                    ),
                    ..Default::default()
                },
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    match prospector_store::templates::get_by_name(db, ctx.ws, DEMO_TEMPLATE).await {
        Ok(_) => {}
        Err(prospector_store::StoreError::NotFound) => {
            templates::create(
                app,
                ctx,
                &templates::TemplateInput {
                    name: DEMO_TEMPLATE.into(),
                    subject: "{Quick question|A question} about {{company.name|your bakery}}"
                        .into(),
                    body: "{Hi|Hello} {{first_name|there}},\n\n{{ai.opening_line}}\n\n\
                           We build websites that bring local shops more orders. Here is what we \
                           did for a bakery in {{company.city|your city}}: \
                           https://example.com/bakery-case-study\n\n\
                           Would a 15-minute call next week be useful?\n"
                        .into(),
                    html: None,
                },
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    let existing = campaigns::list(app, ctx, None, None, None, 200).await?;
    if existing.iter().any(|c| c.campaign.f.name == DEMO_CAMPAIGN) {
        return Ok(());
    }
    let definition = serde_json::json!({
        "name": DEMO_CAMPAIGN,
        "senders": [DEMO_SENDER],
        "schedule": {
            "timezone": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "00:00",
            "end": "23:59",
            "recipient_timezone": false
        },
        "steps": [
            {"channel": "email", "delay_days": 0, "template": DEMO_TEMPLATE},
            {
                "channel": "email",
                "delay_days": 3,
                "business_days": true,
                "subject": "Re: {{company.name|your bakery}}",
                "body": "Hi {{first_name|there}},\n\njust bringing this back to the top of your inbox. \
                         A short look at the example is here: https://example.com/bakery-case-study\n\n\
                         If it is not a good time, simply reply \"later\".\n"
            }
        ],
        "stop_on": ["reply", "bounce", "unsubscribe"],
        "track_opens": true,
        "track_clicks": true,
        "min_gap_seconds": 0
    });
    let d = campaigns::create(app, ctx, &spec::parse(&definition.to_string())?).await?;
    let ids = demo_audience(app, ctx).await?;
    if !ids.is_empty() {
        campaigns::enroll(
            app,
            ctx,
            d.campaign.id,
            &campaigns::EnrollInput {
                contact_ids: ids,
                ..Default::default()
            },
        )
        .await?;
    }
    campaigns::start(app, ctx, d.campaign.id).await?;
    Ok(())
}

/// About 25 contacts with an email address: those at bakeries first, then the oldest others.
async fn demo_audience(app: &App, ctx: &WsCtx) -> AppResult<Vec<i64>> {
    let bakeries: HashSet<i64> = crate::contacts::list_companies(
        app,
        ctx,
        &ListQuery {
            category: Some("Bakery".into()),
            limit: Some("200".into()),
            ..Default::default()
        },
    )
    .await?
    .data
    .into_iter()
    .map(|c| c.id)
    .collect();
    let with_email = crate::contacts::list_contacts(
        app,
        ctx,
        &ListQuery {
            has_email: Some("true".into()),
            sort: Some("oldest".into()),
            limit: Some("200".into()),
            ..Default::default()
        },
    )
    .await?
    .data;
    let at_bakery = |c: &prospector_store::contacts::Contact| {
        c.f.company_id.is_some_and(|id| bakeries.contains(&id))
    };
    let mut ids: Vec<i64> = with_email
        .iter()
        .filter(|c| at_bakery(c))
        .map(|c| c.id)
        .collect();
    ids.extend(with_email.iter().filter(|c| !at_bakery(c)).map(|c| c.id));
    ids.truncate(DEMO_ENROLLED);
    Ok(ids)
}
