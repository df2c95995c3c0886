//! Fixtures for the tenant-isolation test: one object of every kind a workspace owns, with the
//! path-parameter name the API uses for it. Routes added later that take a new kind of id add
//! it here, and the generic isolation test covers them without being edited.

use crate::{App, AppResult, WsCtx, workspaces};
use prospector_core::role::Role;
use std::collections::BTreeMap;

/// Create one of everything in `ctx`'s workspace; returns path-parameter name -> value.
/// Every value is marked with `marker` where the object has a name, so leaks are visible.
pub async fn seed_isolation(
    app: &App,
    ctx: &WsCtx,
    owner_email: &str,
    marker: &str,
) -> AppResult<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    let owner = prospector_store::users::by_email(app.db(), owner_email)
        .await?
        .ok_or(crate::AppError::NotFound)?;
    let tok = workspaces::create_token(app, ctx, owner.uid(), &format!("{marker} token")).await?;
    ids.insert("token_id".into(), tok.info.id.to_string());
    ids.insert("user_id".into(), owner.id.to_string());
    let inv = workspaces::invite(
        app,
        ctx,
        &format!("{}@invitee.example.com", marker.to_lowercase()),
        Role::Member,
    )
    .await?;
    ids.insert("invitation_id".into(), inv.invitation.id.to_string());
    let job = crate::jobs::enqueue(app, {
        let mut j = prospector_store::jobs::NewJob::new(
            "system.sleep",
            format!("{{\"ms\":0,\"marker\":\"{marker}\"}}"),
        );
        j.workspace_id = Some(ctx.ws);
        j.run_at += 3_600_000;
        j
    })
    .await?;
    if let Some(j) = job {
        ids.insert("job_id".into(), j.0.to_string());
    }
    let company = crate::contacts::create_company(
        app,
        ctx,
        &crate::contacts::CompanyInput {
            name: Some(format!("{marker} Bakery")),
            website: Some(format!(
                "https://{}-bakery.example.com",
                marker.to_lowercase()
            )),
            ..Default::default()
        },
    )
    .await?;
    ids.insert("company_id".into(), company.id.to_string());
    // A finished scan with one found email, written straight to the store (no network).
    let db = app.db();
    let scan = prospector_store::facts::insert_scan(
        db,
        ctx.ws,
        company.cid(),
        company.f.website.as_deref().unwrap_or_default(),
    )
    .await?;
    prospector_store::facts::finish_scan(
        db,
        ctx.ws,
        &scan,
        1,
        Some(42),
        &[prospector_store::facts::NewFact {
            kind: "email".into(),
            value: format!("{}-found@bakery.example.com", marker.to_lowercase()),
            data: "{}".into(),
            source_url: company.f.website.clone(),
            confidence: 0.9,
        }],
    )
    .await?;
    ids.insert("scan_id".into(), scan.id.to_string());
    let fact = prospector_store::facts::facts_of_scan(db, ctx.ws, scan.id)
        .await?
        .pop()
        .ok_or(crate::AppError::NotFound)?;
    ids.insert("fact_id".into(), fact.id.to_string());
    let contact = crate::contacts::create_contact(
        app,
        ctx,
        &crate::contacts::ContactInput {
            full_name: Some(format!("{marker} Person")),
            email: Some(format!("{}@contact.example.com", marker.to_lowercase())),
            company_id: Some(company.id),
            tags: Some(vec![marker.to_string()]),
            ..Default::default()
        },
    )
    .await?;
    crate::contacts::add_note(
        app,
        ctx,
        prospector_store::timeline::Subject::Contact(contact.id),
        &format!("{marker} note"),
    )
    .await?;
    ids.insert("contact_id".into(), contact.id.to_string());
    let path = crate::imports::new_upload_path(app, ctx.ws).await?;
    let csv = format!(
        "Company,Email\n{marker} Import Co,{}@import.example.com\n,bad\n",
        marker.to_lowercase()
    );
    tokio::fs::write(&path, &csv)
        .await
        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let imp = crate::imports::create(
        app,
        ctx,
        &format!("{marker}.csv"),
        &path,
        csv.len() as i64,
        "",
        &crate::imports::ImportOptions::default(),
        false,
    )
    .await?;
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    crate::imports::run_stored(app, ctx.ws, imp.iid(), &mut |_| {}, &never).await?;
    ids.insert("import_id".into(), imp.id.to_string());
    // Outreach: a sandbox sender, a template, a draft campaign with the contact enrolled, and
    // a (test) message of it.
    use crate::outreach::{campaigns, senders, spec, templates};
    let sender = senders::create(
        app,
        ctx,
        &senders::SenderInput {
            name: format!("{marker} mailbox"),
            kind: "sandbox".into(),
            from_email: format!("{}@sender.example.com", marker.to_lowercase()),
            ..Default::default()
        },
    )
    .await?;
    ids.insert("sender_id".into(), sender.id.to_string());
    let template = templates::create(
        app,
        ctx,
        &templates::TemplateInput {
            name: format!("{marker} template"),
            subject: "Hello {{first_name|there}}".into(),
            body: format!("{marker} body"),
            html: None,
        },
    )
    .await?;
    ids.insert("template_id".into(), template.id.to_string());
    let campaign = campaigns::create(
        app,
        ctx,
        &spec::parse(
            &serde_json::json!({
                "name": format!("{marker} campaign"),
                "senders": [sender.name],
                "steps": [{"subject": format!("{marker} subject"), "body": "Hi {{first_name|there}}"}],
            })
            .to_string(),
        )?,
    )
    .await?;
    ids.insert("campaign_id".into(), campaign.campaign.id.to_string());
    campaigns::enroll(
        app,
        ctx,
        campaign.campaign.id,
        &campaigns::EnrollInput {
            contact_ids: vec![contact.id],
            ..Default::default()
        },
    )
    .await?;
    let m = campaigns::test_send(
        app,
        ctx,
        campaign.campaign.id,
        0,
        &format!("{}-test@contact.example.com", marker.to_lowercase()),
        Some(contact.cid()),
    )
    .await?;
    ids.insert("message_id".into(), m.id.to_string());
    ids.extend(crate::messaging::seed_isolation(app, ctx, marker).await?);
    // Inbound: a conversation with the contact, a notification, and the reply webhook with
    // one (test) delivery.
    let conv = prospector_store::conversations::open(
        app.db(),
        ctx.ws,
        contact.cid(),
        "email",
        Some(&format!("{marker} thread")),
    )
    .await?;
    ids.insert("conversation_id".into(), conv.id.to_string());
    let note = prospector_store::notifications::create(
        app.db(),
        ctx.ws,
        &prospector_store::notifications::NewNotification {
            kind: "reply",
            title: &format!("{marker} replied"),
            body: marker,
            link: Some(&format!("conversations/{}", conv.id)),
            contact: Some(contact.cid()),
            conversation_id: Some(conv.id),
            dedup_key: "isolation",
        },
    )
    .await?
    .ok_or_else(|| crate::AppError::Internal("fixture notification exists".into()))?;
    ids.insert("notification_id".into(), note.id.to_string());
    crate::notifications::set_webhook(app, ctx, "http://127.0.0.1:9/isolation", None, false)
        .await?;
    let d = crate::notifications::send_test(app, ctx).await?;
    ids.insert("delivery_id".into(), d.id.to_string());
    Ok(ids)
}
