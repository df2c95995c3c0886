//! Outreach in the browser, without JavaScript, on the configured backend: the campaigns
//! list, the builder (add a step, a field error next to its field, an A/B step), the campaign
//! page with its counts, enroll, start, approval queue and messages, a message's timeline,
//! senders (add, test, DKIM), templates (preview, unknown variable), the contact's messages;
//! and the public routes reached from emails: the unsubscribe page with its RFC 8058
//! one-click POST, the open pixel and the click redirect.

mod common;

use prospector_app::core::time::now_ms;
use prospector_app::outreach::{campaigns, dispatch, engine, senders, spec, suppression};
use prospector_app::store::messages;
use prospector_app::{App, WsCtx};
use reqwest::StatusCode;

fn clock() -> i64 {
    let now = now_ms();
    let day = 86_400_000;
    if now % day >= day - 60_000 {
        now - now % day + day + 30_000
    } else {
        now
    }
}

async fn run_outreach(app: &App) {
    let at = clock();
    engine::tick(app, at).await.unwrap();
    dispatch::dispatch(app, Some(at)).await.unwrap();
}

async fn html(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().await.unwrap()
}

/// Post a form; returns the status, the Location header and the body.
async fn post(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = c.post(url).form(form).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, loc, r.text().await.unwrap())
}

/// A started campaign with open and click tracking, sent to one new contact.
async fn sent_campaign(app: &App, ctx: &WsCtx, email: &str) -> messages::Message {
    senders::create(
        app,
        ctx,
        &senders::SenderInput {
            name: "Tracked".into(),
            kind: "sandbox".into(),
            from_email: "team@tracked.example.com".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let c = prospector_app::contacts::create_contact(
        app,
        ctx,
        &prospector_app::contacts::ContactInput {
            first_name: Some("Una".into()),
            email: Some(email.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let s = spec::parse(
        &serde_json::json!({
            "name": "Tracked campaign",
            "senders": ["Tracked"],
            "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "23:59"},
            "steps": [
                {"subject": "Hi {{first_name|there}}", "body": "See https://example.com/offer?a=1&b=2 for details."},
                {"delay_days": 2, "subject": "Again", "body": "Following up."}
            ],
            "track_opens": true,
            "track_clicks": true,
            "min_gap_seconds": 0
        })
        .to_string(),
    )
    .unwrap();
    let d = campaigns::create(app, ctx, &s).await.unwrap();
    campaigns::enroll(
        app,
        ctx,
        d.campaign.id,
        &campaigns::EnrollInput {
            contact_ids: vec![c.id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    campaigns::start(app, ctx, d.campaign.id).await.unwrap();
    run_outreach(app).await;
    let list = prospector_app::outreach::events::of_contact(app, ctx, c.id, 10)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, "sent", "{:?}", list[0].error);
    list.into_iter().next().unwrap()
}

#[tokio::test]
async fn unsubscribe_page_one_click_pixel_and_click_redirect() {
    let o = common::signed_in_owner("public@owner.example.com", "Bakery Friends").await;
    let m = sent_campaign(&o.app, &o.ctx, "una@reader.example.com").await;
    let token = m.unsubscribe_token.clone().unwrap();
    let link = messages::links_of(o.app.db(), o.ctx.ws, m.mid())
        .await
        .unwrap()
        .pop()
        .expect("a tracked link");
    assert_eq!(link.url, "https://example.com/offer?a=1&b=2");
    assert!(
        m.body_html
            .as_deref()
            .unwrap()
            .contains(&format!("/t/o/{token}")),
        "open pixel"
    );
    // Nobody is signed in: these come from emails.
    let anon = common::client();
    let base = &o.base;

    // The page asks first; a GET changes nothing (link scanners fetch it).
    let page = html(&anon, &format!("{base}/u/{token}")).await;
    assert!(
        page.contains("Unsubscribe una@reader.example.com from Bakery Friends?"),
        "{page}"
    );
    assert!(page.contains(&format!("action=\"/u/{token}\"")));
    assert!(
        suppression::blocked_addresses(&o.app, o.ctx.ws, &["una@reader.example.com".into()])
            .await
            .unwrap()
            .is_empty()
    );

    // RFC 8058 one-click: a form-encoded POST without cookies or CSRF token.
    let r = anon
        .post(format!("{base}/u/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done = r.text().await.unwrap();
    assert!(done.contains("You are unsubscribed"), "{done}");
    let blocked =
        suppression::blocked_addresses(&o.app, o.ctx.ws, &["una@reader.example.com".into()])
            .await
            .unwrap();
    assert!(
        blocked["una@reader.example.com"].contains("unsubscribed"),
        "{blocked:?}"
    );
    let status = campaigns::status(&o.app, &o.ctx, m.campaign_id.unwrap())
        .await
        .unwrap();
    assert_eq!(
        status.enrollments.get("stopped"),
        Some(&1),
        "the sequence stopped"
    );
    assert_eq!(status.engagement.unsubscribed, 1);
    let count_unsub = || async {
        messages::events(o.app.db(), o.ctx.ws, m.mid())
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == "unsubscribed")
            .count()
    };
    assert_eq!(count_unsub().await, 1);
    // Again, from the page's button (an empty body): the same answer, nothing doubled.
    let r = anon.post(format!("{base}/u/{token}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You are unsubscribed"));
    assert_eq!(count_unsub().await, 1, "idempotent");
    let page = html(&anon, &format!("{base}/u/{token}")).await;
    assert!(page.contains("You are unsubscribed"));

    // Unknown tokens: a friendly 404 page, never a 500.
    for url in [
        format!("{base}/u/not-a-token"),
        format!("{base}/u/{}", "x".repeat(80)),
    ] {
        let r = anon.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 404, "{url}");
        assert!(r.text().await.unwrap().contains("This link is not valid"));
        let r = anon
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "POST {url}");
    }

    // The open pixel: a GIF whatever the token, without a cookie. Scanners (and opens within
    // seconds of sending) are not counted; a person a little later is.
    let browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36";
    for t in [token.as_str(), "unknown-token", &"y".repeat(100)] {
        let r = anon
            .get(format!("{base}/t/o/{t}"))
            .header("user-agent", browser)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/gif");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "no cookie from a pixel"
        );
        let body = r.bytes().await.unwrap();
        assert!(body.starts_with(b"GIF89a"));
    }
    let fresh = messages::get(o.app.db(), o.ctx.ws, m.mid()).await.unwrap();
    assert!(
        fresh.opened_at.is_none(),
        "an open within 3 s of sending is a scanner"
    );
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    anon.get(format!("{base}/t/o/{token}"))
        .header("user-agent", "Barracuda Sentinel (EE)")
        .send()
        .await
        .unwrap();
    assert!(
        messages::get(o.app.db(), o.ctx.ws, m.mid())
            .await
            .unwrap()
            .opened_at
            .is_none()
    );
    anon.get(format!("{base}/t/o/{token}"))
        .header("user-agent", browser)
        .send()
        .await
        .unwrap();
    let fresh = messages::get(o.app.db(), o.ctx.ws, m.mid()).await.unwrap();
    assert!(fresh.opened_at.is_some(), "a person's open is recorded");

    // The click redirect: 302 to the real URL; HEAD (a scanner) redirects without counting.
    let r = anon
        .head(format!("{base}/t/c/{}", link.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(
        messages::get(o.app.db(), o.ctx.ws, m.mid())
            .await
            .unwrap()
            .clicked_at
            .is_none()
    );
    let r = anon
        .get(format!("{base}/t/c/{}", link.token))
        .header("user-agent", browser)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "https://example.com/offer?a=1&b=2");
    let fresh = messages::get(o.app.db(), o.ctx.ws, m.mid()).await.unwrap();
    assert!(fresh.clicked_at.is_some());
    assert_eq!(fresh.clicks, 1);
    let r = anon.get(format!("{base}/t/c/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("This link is not valid"));

    // The member sees it all on the message page.
    let page = html(&o.client, &format!("{base}/w/{}/messages/{}", o.slug, m.id)).await;
    for kind in ["queued", "sent", "opened", "clicked", "unsubscribed"] {
        assert!(
            page.contains(&format!("data-event=\"{kind}\"")),
            "{kind}: {page}"
        );
    }
    assert!(page.contains(&format!("href=\"/u/{token}\"")));
}

#[tokio::test]
async fn campaign_builder_page_messages_senders_and_templates_without_javascript() {
    let o = common::signed_in_owner("pages@owner.example.com", "Page Turners").await;
    let (c, base, slug, csrf) = (&o.client, o.base.as_str(), o.slug.as_str(), o.csrf.as_str());
    let w = format!("{base}/w/{slug}");

    // The list shows the seeded draft with its sender.
    let list = html(c, &format!("{w}/campaigns")).await;
    assert!(list.contains("data-table=\"campaigns\""), "{list}");
    assert!(list.contains("MARK campaign") && list.contains("MARK mailbox"));
    assert!(list.contains("data-state=\"draft\""));
    let filtered = html(c, &format!("{w}/campaigns?state=active")).await;
    assert!(!filtered.contains("MARK campaign") && filtered.contains("data-no-match"));
    let searched = html(c, &format!("{w}/campaigns?q=mark")).await;
    assert!(searched.contains("MARK campaign"));

    // The builder: one step to start with; "add step" re-renders with two.
    let form = html(c, &format!("{w}/campaigns/new")).await;
    assert!(form.contains("name=\"steps[0].subject\"") && !form.contains("steps[1].subject"));
    assert!(form.contains("value=\"MARK mailbox\""), "sender choices");
    let mut fields: Vec<(&str, &str)> = vec![
        ("_csrf", csrf),
        ("name", "Page campaign"),
        ("senders", "MARK mailbox"),
        ("schedule.timezone", "UTC"),
        ("schedule.start", "00:00"),
        ("schedule.end", "23:59"),
        ("step_count", "1"),
        ("steps[0].delay_days", "0"),
        ("steps[0].subject", "Hello {{first_name|there}}"),
        ("steps[0].body", "Hi {{frist_name}}"),
        ("stop_on", "reply"),
        ("stop_on", "unsubscribe"),
        ("min_gap_seconds", "0"),
    ];
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        fields.push(("schedule.days", d));
    }
    let mut add = fields.clone();
    add.push(("op", "add_step"));
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &add).await;
    assert_eq!(st, 200);
    assert!(body.contains("name=\"steps[1].subject\""), "a second step");
    assert!(body.contains("Hi {{frist_name}}"), "typed values are kept");
    // Saving: the unknown variable is named next to its field.
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &fields).await;
    assert_eq!(st, 422);
    assert!(
        body.contains("frist_name") && body.contains("field-error"),
        "{body}"
    );
    // An empty follow-up step: the error is on steps[1].subject.
    let mut two = fields.clone();
    two.retain(|(k, _)| *k != "steps[0].body" && *k != "step_count");
    two.extend([
        (
            "steps[0].body",
            "Hi {{first_name|there}}, see https://example.com/x",
        ),
        ("step_count", "2"),
        ("steps[1].delay_days", "2"),
        ("steps[1].subject", ""),
        ("steps[1].body", "Following up"),
    ]);
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &two).await;
    assert_eq!(st, 422);
    let at = body.find("name=\"steps[1].subject\"").unwrap();
    assert!(
        body[at..].contains("an email step needs a subject"),
        "error next to the field"
    );
    // Removing that step saves.
    let mut one = two.clone();
    one.retain(|(k, _)| *k != "step_count" && !k.starts_with("steps[1]"));
    one.push(("step_count", "1"));
    one.push(("track_opens", "1"));
    let (st, loc, body) = post(c, &format!("{w}/campaigns"), &one).await;
    assert_eq!(st, 303, "{body}");
    assert!(loc.starts_with(&format!("/w/{slug}/campaigns/")), "{loc}");
    let id: i64 = loc
        .trim_start_matches(&format!("/w/{slug}/campaigns/"))
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The campaign page: counts, enroll, start, sent messages.
    let page = html(c, &format!("{w}/campaigns/{id}")).await;
    for marker in [
        "data-stat=\"sent\"",
        "data-stat=\"opened\"",
        "Enroll contacts",
        "Send a test",
        "data-action=\"start\"",
        "data-live=\"false\"",
    ] {
        assert!(page.contains(marker), "{marker}: {page}");
    }
    let (st, loc, _) = post(
        c,
        &format!("{w}/campaigns/{id}/enroll"),
        &[("_csrf", csrf), ("mode", "all")],
    )
    .await;
    assert_eq!(st, 303);
    assert!(loc.contains("notice=Enrolled"), "{loc}");
    let (st, _, _) = post(c, &format!("{w}/campaigns/{id}/start"), &[("_csrf", csrf)]).await;
    assert_eq!(st, 303);
    run_outreach(&o.app).await;
    let page = html(c, &format!("{w}/campaigns/{id}")).await;
    assert!(page.contains("data-campaign-state=\"active\"") && page.contains("data-live=\"true\""));
    assert!(
        page.contains("hx-trigger=\"every 5s\""),
        "live counts while active"
    );
    assert!(page.contains("data-status=\"sent\""), "{page}");
    assert!(page.contains("Step 1"));
    let mid = page
        .split(&format!("/w/{slug}/messages/"))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let filtered = html(c, &format!("{w}/campaigns/{id}?status=failed")).await;
    assert!(filtered.contains("No failed messages"));

    // The message page: headers, body, timeline, mark replied.
    let msg = html(c, &format!("{w}/messages/{mid}")).await;
    for marker in [
        "data-message-id",
        "data-message-status=\"sent\"",
        "data-event=\"sent\"",
        "data-unsubscribe-link",
        "data-mark-replied",
        "data-headers",
    ] {
        assert!(msg.contains(marker), "{marker}: {msg}");
    }
    let (st, _, _) = post(
        c,
        &format!("{w}/messages/{mid}/replied"),
        &[("_csrf", csrf)],
    )
    .await;
    assert_eq!(st, 303);
    let msg = html(c, &format!("{w}/messages/{mid}")).await;
    assert!(msg.contains("data-event=\"replied\"") && !msg.contains("data-mark-replied"));
    let (st, loc, _) = post(c, &format!("{w}/messages/{mid}/retry"), &[("_csrf", csrf)]).await;
    assert_eq!(st, 303);
    assert!(
        loc.contains("error="),
        "a sent message is not retried: {loc}"
    );

    // The contact's messages: an htmx fragment on the contact page, a page without JS.
    let cid = &o.ids["contact_id"];
    let contact = html(c, &format!("{w}/contacts/{cid}")).await;
    assert!(contact.contains(&format!("hx-get=\"/w/{slug}/contacts/{cid}/messages\"")));
    let r = c
        .get(format!("{w}/contacts/{cid}/messages"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let frag = r.text().await.unwrap();
    assert!(
        !frag.contains("<html") && frag.contains("Page campaign · Step 1"),
        "{frag}"
    );
    assert!(frag.contains(&format!("/w/{slug}/messages/")) && frag.contains("status-sent"));
    let full = html(c, &format!("{w}/contacts/{cid}/messages")).await;
    assert!(full.contains("<html") && full.contains("Page campaign"));

    // Edit the running campaign: texts change, the step count cannot.
    let edit = html(c, &format!("{w}/campaigns/{id}/edit")).await;
    assert!(edit.contains("value=\"Page campaign\"") && !edit.contains("data-add-step"));
    let mut renamed = one.clone();
    renamed.retain(|(k, _)| *k != "name");
    renamed.push(("name", "Page campaign renamed"));
    let (st, _, body) = post(c, &format!("{w}/campaigns/{id}/edit"), &renamed).await;
    assert_eq!(st, 303, "{body}");
    assert!(
        html(c, &format!("{w}/campaigns/{id}"))
            .await
            .contains("Page campaign renamed")
    );

    // An A/B step with approval: per-variant rows, the approval queue, approve all.
    let mut ab = one.clone();
    ab.retain(|(k, _)| *k != "name");
    ab.extend([
        ("name", "A/B campaign"),
        ("steps[0].ab", "1"),
        ("steps[0].variants[1].subject", "Another hello"),
        ("steps[0].variants[1].body", "Variant B body"),
        ("approval_required", "1"),
    ]);
    let (st, loc, body) = post(c, &format!("{w}/campaigns"), &ab).await;
    assert_eq!(st, 303, "{body}");
    let ab_path = format!("{base}{}", loc.split('?').next().unwrap());
    let page = html(c, &ab_path).await;
    assert!(
        page.contains("Step 1 · A") && page.contains("Step 1 · B"),
        "{page}"
    );
    let mut ab_blank = ab.clone();
    ab_blank.retain(|(k, _)| *k != "steps[0].variants[1].subject" && *k != "name");
    ab_blank.extend([("steps[0].variants[1].subject", ""), ("name", "A/B blank")]);
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &ab_blank).await;
    assert_eq!(st, 422);
    let at = body.find("name=\"steps[0].variants[1].subject\"").unwrap();
    assert!(body[at..].contains("a variant needs a subject"));
    post(
        c,
        &format!("{ab_path}/enroll"),
        &[("_csrf", csrf), ("mode", "all")],
    )
    .await;
    post(c, &format!("{ab_path}/start"), &[("_csrf", csrf)]).await;
    run_outreach(&o.app).await;
    let page = html(c, &ab_path).await;
    assert!(
        page.contains("data-approval") && page.contains("Approve all"),
        "{page}"
    );
    let (st, loc, _) = post(
        c,
        &format!("{ab_path}/review"),
        &[("_csrf", csrf), ("op", "approve_all")],
    )
    .await;
    assert_eq!(st, 303);
    assert!(loc.contains("approved"), "{loc}");
    assert!(!html(c, &ab_path).await.contains("data-approval"));

    // Senders: add a sandbox one, a field error, test it, generate its DKIM key.
    let page = html(c, &format!("{w}/senders")).await;
    assert!(page.contains("MARK mailbox") && page.contains("data-table=\"senders\""));
    let (st, _, body) = post(
        c,
        &format!("{w}/senders"),
        &[
            ("_csrf", csrf),
            ("kind", "smtp"),
            ("name", "No URL"),
            ("from_email", "x@mail.example.com"),
        ],
    )
    .await;
    assert_eq!(st, 422);
    let at = body.find("name=\"smtp_url\"").unwrap();
    assert!(
        body[at..].contains("field-error"),
        "the error sits at the SMTP URL"
    );
    let (st, loc, _) = post(
        c,
        &format!("{w}/senders"),
        &[
            ("_csrf", csrf),
            ("kind", "sandbox"),
            ("name", "Page sandbox"),
            ("from_email", "page@mail.example.com"),
            ("daily_limit", "40"),
        ],
    )
    .await;
    assert_eq!(st, 303, "{loc}");
    let page = html(c, &format!("{w}/senders")).await;
    assert!(page.contains("Page sandbox") && page.contains("0 / 40"));
    let sid = page
        .split("data-sender=\"")
        .filter_map(|s| s.split('"').next())
        .find(|id| page.contains(&format!("/senders/{id}\">Page sandbox")))
        .unwrap()
        .to_string();
    let (st, loc, _) = post(c, &format!("{w}/senders/{sid}/test"), &[("_csrf", csrf)]).await;
    assert_eq!(st, 303);
    assert!(loc.contains("notice=Connection"), "{loc}");
    let (st, _, _) = post(c, &format!("{w}/senders/{sid}/dkim"), &[("_csrf", csrf)]).await;
    assert_eq!(st, 303);
    let page = html(c, &format!("{w}/senders/{sid}")).await;
    assert!(
        page.contains("prospector._domainkey.mail.example.com") && page.contains("v=DKIM1"),
        "{page}"
    );
    let (st, _, _) = post(
        c,
        &format!("{w}/senders/{sid}/pause"),
        &[("_csrf", csrf), ("back", "sender")],
    )
    .await;
    assert_eq!(st, 303);
    assert!(
        html(c, &format!("{w}/senders/{sid}"))
            .await
            .contains("data-sender-state=\"paused\"")
    );

    // Templates: the list, the variables, a preview, the unknown variable at its field.
    let page = html(c, &format!("{w}/templates")).await;
    assert!(page.contains("MARK template"));
    let page = html(c, &format!("{w}/templates/new")).await;
    assert!(page.contains("<code>company.name</code>") && page.contains("ai.opening_line"));
    let tpl = |subject: &'static str, op: &'static str| {
        vec![
            ("_csrf", csrf),
            ("name", "Page template"),
            ("subject", subject),
            ("body", "Dear {{first_name|friend}}"),
            ("contact_id", cid.as_str()),
            ("op", op),
        ]
    };
    let (st, _, body) = post(
        c,
        &format!("{w}/templates"),
        &tpl("Hi {{first_name|there}}", "preview"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        body.contains("data-preview-subject>Hi there</strong>"),
        "{body}"
    );
    assert!(body.contains("Dear friend"));
    let (st, _, body) = post(
        c,
        &format!("{w}/templates"),
        &tpl("Hi {{frist_name}}", "save"),
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("data-field-error=\"subject\"") && body.contains("frist_name"));
    let (st, loc, _) = post(
        c,
        &format!("{w}/templates"),
        &tpl("Hi {{first_name|there}}", "save"),
    )
    .await;
    assert_eq!(st, 303, "{loc}");
    assert!(
        html(c, &format!("{w}/templates?q=page"))
            .await
            .contains("Page template")
    );
}

#[tokio::test]
async fn viewers_see_outreach_pages_but_cannot_post() {
    let o = common::signed_in_owner("pv@owner.example.com", "Viewing").await;
    prospector_app::accounts::create_user(
        &o.app,
        &prospector_app::Actor::cli(),
        "pv-viewer@example.com",
        "V",
        "password-123",
        false,
    )
    .await
    .unwrap();
    prospector_app::workspaces::add_member(
        &o.app,
        &o.ctx,
        "pv-viewer@example.com",
        prospector_app::core::role::Role::Viewer,
    )
    .await
    .unwrap();
    let c = common::client();
    let page = c
        .get(format!("{}/login", o.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = c
        .post(format!("{}/login", o.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "pv-viewer@example.com"),
            ("password", "password-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let w = format!("{}/w/{}", o.base, o.slug);
    let cid = &o.ids["campaign_id"];
    for p in [
        "/campaigns".to_string(),
        format!("/campaigns/{cid}"),
        "/senders".into(),
        format!("/senders/{}", o.ids["sender_id"]),
        "/templates".into(),
        format!("/templates/{}", o.ids["template_id"]),
        format!("/messages/{}", o.ids["message_id"]),
    ] {
        let html = html(&c, &format!("{w}{p}")).await;
        assert!(
            !html.contains("data-action=\"start\""),
            "{p}: no start button for a viewer"
        );
    }
    let r = c.get(format!("{w}/campaigns/new")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let (st, _, _) = post(
        &c,
        &format!("{w}/campaigns/{cid}/start"),
        &[("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(st, 403);
    let (st, _, _) = post(
        &c,
        &format!("{w}/campaigns"),
        &[("_csrf", csrf.as_str()), ("name", "x")],
    )
    .await;
    assert_eq!(st, 403);
    let status = campaigns::status(&o.app, &o.ctx, cid.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(status.state, "draft");
}

#[tokio::test]
async fn the_builder_takes_whatsapp_and_sms_steps_and_quiet_hours_are_a_setting() {
    let o = common::signed_in_owner("channels@owner.example.com", "Channel Hoppers").await;
    let (c, base, slug, csrf) = (&o.client, o.base.as_str(), o.slug.as_str(), o.csrf.as_str());
    let w = format!("{base}/w/{slug}");
    // The seeded workspace has a (sandbox) WhatsApp number with the approved `mark_offer`.
    let form = html(c, &format!("{w}/campaigns/new")).await;
    assert!(form.contains("name=\"steps[0].channel\""), "{form}");
    assert!(
        form.contains("value=\"mark_offer|en_US\""),
        "approved templates offered"
    );
    let mut fields: Vec<(&str, &str)> = vec![
        ("_csrf", csrf),
        ("name", "Three channels"),
        ("senders", "MARK mailbox"),
        ("schedule.timezone", "UTC"),
        ("schedule.start", "09:00"),
        ("schedule.end", "17:00"),
        ("schedule.days", "mon"),
        ("step_count", "3"),
        ("steps[0].channel", "email"),
        ("steps[0].delay_days", "0"),
        ("steps[0].subject", "Hello {{first_name|there}}"),
        ("steps[0].body", "Hi there"),
        ("steps[1].channel", "whatsapp"),
        ("steps[1].delay_days", "2"),
        ("steps[1].wa_template", "mark_offer|en_US"),
        ("steps[2].channel", "sms"),
        ("steps[2].delay_days", "3"),
        ("stop_on", "reply"),
    ];
    // An SMS step needs its message; the error sits next to the field.
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &fields).await;
    assert_eq!(st, 422);
    assert!(body.contains("an SMS step needs a body"), "{body}");
    fields.push((
        "steps[2].body",
        "Hi {{first_name|there}}, reply STOP to opt out",
    ));
    // The template takes one parameter.
    let (st, _, body) = post(c, &format!("{w}/campaigns"), &fields).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("takes 1 parameter, 0 given"), "{body}");
    fields.push(("steps[1].params", "field:first_name"));
    let (st, loc, body) = post(c, &format!("{w}/campaigns"), &fields).await;
    assert_eq!(st, 303, "{body}");
    let page = html(c, &format!("{base}{loc}")).await;
    assert!(page.contains("WhatsApp template “mark_offer”"), "{page}");
    assert!(page.contains("SMS: Hi {{first_name|there}}"), "{page}");
    // The API gives the same definition back.
    let id: i64 = loc
        .split("/campaigns/")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    let def: serde_json::Value = c
        .get(format!("{base}/api/v1/campaigns/{id}"))
        .bearer_auth(&o.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steps = &def["spec"]["steps"];
    assert_eq!(steps[1]["channel"], "whatsapp", "{def}");
    assert_eq!(steps[1]["template"], "mark_offer");
    assert_eq!(steps[1]["params"][0], "field:first_name");
    assert_eq!(steps[2]["channel"], "sms");
    // Starting needs the SMS connection the third step uses.
    let (st, loc, _) = post(c, &format!("{w}/campaigns/{id}/start"), &[("_csrf", csrf)]).await;
    assert_eq!(st, 303);
    let after = html(c, &format!("{base}{loc}")).await;
    assert!(
        after.to_lowercase().contains("twilio") || after.contains("SMS"),
        "{after}"
    );
    assert_eq!(
        campaigns::get(&o.app, &o.ctx, id)
            .await
            .unwrap()
            .campaign
            .state,
        "draft"
    );

    // Quiet hours: a settings page and the API.
    let q = html(c, &format!("{w}/settings/messaging")).await;
    assert!(
        q.contains("data-quiet-hours-form") && q.contains("value=\"21:00\""),
        "{q}"
    );
    let (st, loc, _) = post(
        c,
        &format!("{w}/settings/messaging"),
        &[
            ("_csrf", csrf),
            ("enabled", "1"),
            ("start", "22:30"),
            ("end", "07:00"),
        ],
    )
    .await;
    assert_eq!(st, 303);
    assert!(
        html(c, &format!("{base}{loc}"))
            .await
            .contains("Quiet hours saved")
    );
    let api: serde_json::Value = c
        .get(format!("{base}/api/v1/settings/quiet-hours"))
        .bearer_auth(&o.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        api,
        serde_json::json!({"enabled": true, "start": "22:30", "end": "07:00"})
    );
    let r = c
        .put(format!("{base}/api/v1/settings/quiet-hours"))
        .bearer_auth(&o.token)
        .json(&serde_json::json!({"enabled": true, "start": "late", "end": "07:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let _ = spec::CHANNELS;
}
