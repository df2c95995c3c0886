//! Inbound email end to end on the configured backend: replies to campaign messages become
//! leads and conversations and stop the sequence; bounces, out-of-office notes and complaints
//! have their effects; bad input is stored as `other`; duplicates are no-ops; the store's
//! inbound tables are tenant-scoped; and mailboxes polled from a real dovecot (see
//! `crates/channels/tests/imap_dovecot`) are read once, across restarts.

// The throwaway dovecot instance and its helpers are the channels tests' own, used here as is.
#[path = "../../channels/tests/common/mod.rs"]
mod common;
#[path = "../../channels/tests/imap_dovecot/mod.rs"]
mod imap_dovecot;

use prospector_app::contacts::{self, ContactInput};
use prospector_app::inbound::{self, Source, mailboxes};
use prospector_app::outreach::campaigns::{self, EnrollInput};
use prospector_app::outreach::senders::{self, SenderInput};
use prospector_app::outreach::{dispatch, engine, spec};
use prospector_app::store::messages::{self, Message};
use prospector_app::store::{
    ContactId, EnrollmentId, WorkspaceId, conversations, enrollments, inbound as store_inbound,
    suppressions, timeline,
};
use prospector_app::{App, WsCtx, testing};

const DAY: i64 = 86_400_000;

async fn setup() -> (App, WsCtx, tempfile::TempDir) {
    testing::app_with_workspace(|c| c.public_url = "https://prospector.example".into())
        .await
        .unwrap()
}

/// A two-step campaign (second step two days later) from the sandbox sender `sam` to the
/// given addresses, with the first step sent. Returns the campaign id.
async fn campaign_sent(app: &App, ctx: &WsCtx, to: &[&str]) -> i64 {
    if senders::by_name(app, ctx, "sam").await.is_err() {
        senders::create(
            app,
            ctx,
            &SenderInput {
                name: "sam".into(),
                kind: "sandbox".into(),
                from_email: "sam@agency.example".into(),
                from_name: Some("Sam".into()),
                daily_limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    for (i, email) in to.iter().enumerate() {
        contacts::create_contact(
            app,
            ctx,
            &ContactInput {
                first_name: Some(format!("P{i}")),
                email: Some(email.to_string()),
                country: Some("DE".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let json = r#"{"name":"Spring","senders":["sam"],
        "schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"},
        "steps":[{"channel":"email","delay_days":0,"subject":"Quick question","body":"Could we talk?"},
                 {"channel":"email","delay_days":2,"subject":"Re: Quick question","body":"Following up."}],
        "stop_on":["reply","bounce","unsubscribe"],"min_gap_seconds":0}"#;
    let id = campaigns::create(app, ctx, &spec::parse(json).unwrap())
        .await
        .unwrap()
        .campaign
        .id;
    campaigns::enroll(
        app,
        ctx,
        id,
        &EnrollInput {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    campaigns::start(app, ctx, id).await.unwrap();
    let now = prospector_app::core::time::now_ms();
    engine::tick(app, now).await.unwrap();
    let d = dispatch::dispatch(app, None).await.unwrap();
    assert!(d.sent >= to.len() as u64, "{d:?}");
    id
}

async fn sent_to(app: &App, ctx: &WsCtx, addr: &str) -> Message {
    messages::list_to_address(app.db(), ctx.ws, addr, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.sent_at.is_some())
        .unwrap_or_else(|| panic!("no sent message to {addr}"))
}

async fn enrollment_of(app: &App, ctx: &WsCtx, m: &Message) -> enrollments::Enrollment {
    enrollments::get(app.db(), ctx.ws, EnrollmentId(m.enrollment_id.unwrap()))
        .await
        .unwrap()
}

async fn event_kinds(app: &App, ctx: &WsCtx, m: &Message) -> Vec<String> {
    messages::events(app.db(), ctx.ws, m.mid())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn activity_kinds(app: &App, ctx: &WsCtx, contact: i64) -> Vec<String> {
    timeline::list(app.db(), ctx.ws, timeline::Subject::Contact(contact), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

fn reply_to(m: &Message, from: &str, mid: &str) -> String {
    let ours = m.message_id_header.clone().unwrap();
    format!(
        "From: Ana <{from}>\r\nTo: {to}\r\nSubject: Re: {subj}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{mid}>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nYes, let's talk on Thursday.\r\n\r\n\
         On Mon, Nov 30, 2026 at 9:00 AM Sam <sam@agency.example> wrote:\r\n> Could we talk?\r\n",
        to = m.from_address.clone().unwrap_or_default(),
        subj = m.subject.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_reply_to_a_campaign_message_makes_a_lead_and_a_conversation_and_stops_the_sequence() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example", "bob@cafe.example"]).await;
    let m = sent_to(&app, &ctx, "ana@bakery.example").await;
    let raw = reply_to(&m, "ana@bakery.example", "r1@bakery.example");
    let o = inbound::process_raw(&app, ctx.ws, Source::InboundParse, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(o.kind, "reply", "{o:?}");
    assert_eq!(o.message_id, Some(m.id));
    assert!(o.became_lead && !o.duplicate, "{o:?}");

    let contact = contacts::contact(&app, &ctx, ContactId(m.contact_id.unwrap()))
        .await
        .unwrap();
    assert_eq!(contact.f.lead_stage.as_deref(), Some("new"));
    assert_eq!(contact.f.lead_source.as_deref(), Some("outreach"));
    let e = enrollment_of(&app, &ctx, &m).await;
    assert_eq!(e.state, "stopped");
    assert_eq!(e.stop_reason.as_deref(), Some("reply"));
    // Bob's sequence goes on.
    let bob = sent_to(&app, &ctx, "bob@cafe.example").await;
    assert_eq!(enrollment_of(&app, &ctx, &bob).await.state, "active");
    assert!(
        event_kinds(&app, &ctx, &m)
            .await
            .contains(&"replied".to_string())
    );
    let acts = activity_kinds(&app, &ctx, contact.id).await;
    assert!(acts.contains(&"lead.created".to_string()), "{acts:?}");
    assert!(acts.contains(&"email.replied".to_string()), "{acts:?}");

    // The conversation holds our message and the answer without its quoted history.
    let conv = conversations::of_contact(app.db(), ctx.ws, contact.cid(), "email")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(conv.id), o.conversation_id);
    assert_eq!(conv.unread, 1);
    let entries = conversations::entries(app.db(), ctx.ws, conv.id, 100)
        .await
        .unwrap();
    let dirs: Vec<&str> = entries.iter().map(|e| e.direction.as_str()).collect();
    assert_eq!(dirs, vec!["out", "in"]);
    assert_eq!(entries[0].message_id, Some(m.id));
    assert!(
        entries[1].body_text.contains("Thursday"),
        "{:?}",
        entries[1]
    );
    assert!(
        !entries[1].body_text.contains("Could we talk"),
        "{:?}",
        entries[1]
    );

    // The same message again (a second poll, a webhook retry) changes nothing.
    let again = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert!(again.duplicate, "{again:?}");
    assert_eq!(again.inbound_id, o.inbound_id);
    assert_eq!(
        conversations::entries(app.db(), ctx.ws, conv.id, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    let replied = event_kinds(&app, &ctx, &m)
        .await
        .iter()
        .filter(|k| *k == "replied")
        .count();
    assert_eq!(replied, 1);
    let row = store_inbound::get_inbound(app.db(), ctx.ws, o.inbound_id)
        .await
        .unwrap();
    assert_eq!(row.kind.as_deref(), Some("reply"));
    assert!(row.processed_at.is_some() && row.error.is_none());
    assert!(row.raw.contains("Thursday"));
}

#[tokio::test]
async fn a_reply_without_threading_headers_is_matched_by_address_and_subject() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["carla@salon.example"]).await;
    let m = sent_to(&app, &ctx, "carla@salon.example").await;
    let raw = "From: carla@salon.example\nTo: sam@agency.example\nSubject: RE: Quick question\n\
               Message-ID: <x9@salon.example>\n\nSounds interesting, call me.\n";
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(
        (o.kind.as_str(), o.message_id),
        ("reply", Some(m.id)),
        "{o:?}"
    );
    assert!(o.became_lead);
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_address_and_stops_the_sequence() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["olga@cafe.example"]).await;
    let m = sent_to(&app, &ctx, "olga@cafe.example").await;
    let ours = m.message_id_header.clone().unwrap();
    let raw = format!(
        "Return-Path: <>\nFrom: MAILER-DAEMON@mail.agency.example (Mail Delivery System)\n\
To: sam@agency.example\nSubject: Undelivered Mail Returned to Sender\n\
Message-ID: <dsn1@mail.agency.example>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"RPT\"\n\n\
--RPT\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
<olga@cafe.example>: host mx.cafe.example said: 550 5.1.1 User unknown\n\n\
--RPT\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.agency.example\n\n\
Final-Recipient: rfc822; olga@cafe.example\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 <olga@cafe.example>: User unknown\n\n\
--RPT\nContent-Type: message/rfc822\n\nFrom: sam@agency.example\nTo: olga@cafe.example\n\
Subject: Quick question\nMessage-ID: {ours}\n\nCould we talk?\n\n--RPT--\n"
    );
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(o.kind, "bounce", "{o:?}");
    assert_eq!(o.message_id, Some(m.id));
    assert!(!o.became_lead);
    assert!(
        suppressions::is_suppressed(app.db(), ctx.ws, "email", "olga@cafe.example")
            .await
            .unwrap()
    );
    let got = messages::get(app.db(), ctx.ws, m.mid()).await.unwrap();
    assert!(got.bounced_at.is_some());
    assert!(
        event_kinds(&app, &ctx, &m)
            .await
            .contains(&"bounced".to_string())
    );
    assert_eq!(enrollment_of(&app, &ctx, &m).await.state, "stopped");
    let acts = activity_kinds(&app, &ctx, m.contact_id.unwrap()).await;
    assert!(acts.contains(&"email.bounced".to_string()), "{acts:?}");
    let c = contacts::contact(&app, &ctx, ContactId(m.contact_id.unwrap()))
        .await
        .unwrap();
    assert!(c.f.lead_stage.is_none(), "a bounce is never a lead");
    // The contact's address is marked invalid where address checks are shown.
    let v = email_verifications(&app, &ctx, m.contact_id.unwrap()).await;
    assert_eq!(
        v.first().map(|f| f.value.as_str()),
        Some("invalid"),
        "{v:?}"
    );
    assert!(v[0].data.contains("5.1.1"), "{}", v[0].data);
}

async fn email_verifications(
    app: &App,
    ctx: &WsCtx,
    contact: i64,
) -> Vec<prospector_app::store::facts::Fact> {
    prospector_app::store::facts::contact_facts(
        app.db(),
        ctx.ws,
        ContactId(contact),
        "email_verification",
        10,
    )
    .await
    .unwrap()
}

fn soft_bounce(n: usize, to: &str, ours: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mail.agency.example\nTo: sam@agency.example\n\
Subject: Delivery Status Notification (Delay)\nMessage-ID: <soft{n}@mail.agency.example>\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nMailbox full.\n\n--B\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mail.agency.example\n\nFinal-Recipient: rfc822; {to}\nAction: failed\n\
Status: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox full\n\n\
--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {ours}\nTo: {to}\n\n--B--\n"
    )
}

#[tokio::test]
async fn soft_bounces_are_events_until_the_third_suppresses() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["full@cafe.example"]).await;
    let m = sent_to(&app, &ctx, "full@cafe.example").await;
    let ours = m.message_id_header.clone().unwrap();
    let mut resent = Vec::new();
    for n in 1..=3 {
        let o = inbound::process_raw(
            &app,
            ctx.ws,
            Source::Imap,
            soft_bounce(n, "full@cafe.example", &ours).as_bytes(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(o.kind, "bounce", "{o:?}");
        resent.extend(
            o.actions
                .iter()
                .filter_map(|a| a.strip_prefix("resend:"))
                .map(|id| prospector_app::store::MessageId(id.parse::<i64>().unwrap())),
        );
        let suppressed =
            suppressions::is_suppressed(app.db(), ctx.ws, "email", "full@cafe.example")
                .await
                .unwrap();
        assert_eq!(suppressed, n == 3, "after {n} soft bounces: {o:?}");
        if n < 3 {
            assert_eq!(enrollment_of(&app, &ctx, &m).await.state, "active");
        }
    }
    let kinds = event_kinds(&app, &ctx, &m).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "soft_bounce").count(),
        3,
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"bounced".to_string()));
    // The retry policy: the first soft bounce queued the message again (once, hours later);
    // the suppression after the third withdrew that copy.
    assert_eq!(resent.len(), 1, "{kinds:?}");
    let copy = messages::get(app.db(), ctx.ws, resent[0]).await.unwrap();
    assert_eq!(
        (copy.subject.clone(), copy.to_address.clone()),
        (m.subject.clone(), m.to_address.clone())
    );
    assert_ne!(copy.message_id_header, m.message_id_header);
    assert!(
        copy.scheduled_at >= m.sent_at.unwrap() + 3 * 3_600_000,
        "{copy:?}"
    );
    assert_eq!(copy.status, "cancelled", "{copy:?}");
    // The campaign counts the message once as soft-bounced, never as bounced.
    let e = campaigns::status(&app, &ctx, m.campaign_id.unwrap())
        .await
        .unwrap()
        .engagement;
    assert_eq!((e.soft_bounced, e.bounced), (1, 0), "{e:?}");
}

#[tokio::test]
async fn a_soft_bounce_resends_the_message_later_and_the_resend_is_delivered() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["busy@cafe.example"]).await;
    let m = sent_to(&app, &ctx, "busy@cafe.example").await;
    let ours = m.message_id_header.clone().unwrap();
    let o = inbound::process_raw(
        &app,
        ctx.ws,
        Source::Imap,
        soft_bounce(9, "busy@cafe.example", &ours).as_bytes(),
        None,
    )
    .await
    .unwrap();
    let id = o
        .actions
        .iter()
        .find_map(|a| a.strip_prefix("resend:"))
        .expect("a resend was queued");
    let copy = prospector_app::store::MessageId(id.parse().unwrap());
    // Not before its time...
    dispatch::dispatch(&app, None).await.unwrap();
    assert_eq!(
        messages::get(app.db(), ctx.ws, copy).await.unwrap().status,
        "queued"
    );
    // ... and sent once due.
    prospector_app::store::on_db!(app.db(), p => sqlx::query(
        "UPDATE messages SET scheduled_at = 0 WHERE id = $1")
        .bind(copy.0).execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
    dispatch::dispatch(&app, None).await.unwrap();
    assert_eq!(
        messages::get(app.db(), ctx.ws, copy).await.unwrap().status,
        "sent"
    );
    assert!(
        event_kinds(&app, &ctx, &m)
            .await
            .contains(&"resend_queued".to_string())
    );
}

#[tokio::test]
async fn an_out_of_office_note_keeps_the_sequence_and_waits_for_the_return_date() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["bob@bakery.example"]).await;
    let m = sent_to(&app, &ctx, "bob@bakery.example").await;
    let before = enrollment_of(&app, &ctx, &m).await;
    let back_ms = before.next_at.unwrap() + 20 * DAY;
    let back = prospector_app::core::time::format_ms(back_ms)[..10].to_string();
    let raw = format!(
        "From: Bob <bob@bakery.example>\nTo: sam@agency.example\n\
Subject: Automatic reply: Quick question\nMessage-ID: <ooo1@bakery.example>\n\
In-Reply-To: {ours}\nAuto-Submitted: auto-replied\nX-Autoreply: yes\n\
Content-Type: text/plain; charset=utf-8\n\n\
Thank you for your email. I am out of the office until {back} with limited access to email.\n",
        ours = m.message_id_header.clone().unwrap()
    );
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(o.kind, "auto_reply", "{o:?}");
    assert!(!o.became_lead);
    let after = enrollment_of(&app, &ctx, &m).await;
    assert_eq!(after.state, "active", "the sequence continues");
    let want = prospector_app::core::time::parse_date_ms(&back).unwrap();
    assert_eq!(after.next_at, Some(want), "waits until the return date");
    assert!(
        event_kinds(&app, &ctx, &m)
            .await
            .contains(&"auto_reply".to_string())
    );
    let c = contacts::contact(&app, &ctx, ContactId(m.contact_id.unwrap()))
        .await
        .unwrap();
    assert!(c.f.lead_stage.is_none(), "an auto-reply is not a lead");
    let acts = activity_kinds(&app, &ctx, c.id).await;
    assert!(acts.contains(&"email.auto_reply".to_string()), "{acts:?}");
    let e = campaigns::status(&app, &ctx, m.campaign_id.unwrap())
        .await
        .unwrap()
        .engagement;
    assert_eq!((e.auto_replied, e.replied), (1, 0), "{e:?}");
}

#[tokio::test]
async fn a_complaint_suppresses_and_unsubscribes() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["liam@mail.example"]).await;
    let m = sent_to(&app, &ctx, "liam@mail.example").await;
    let raw = format!(
        "From: feedbackloop@isp.example\nTo: fbl@agency.example\nSubject: FW: Quick question\n\
Message-ID: <arf1@isp.example>\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"ARF\"\n\n\
--ARF\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n\
--ARF\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: FBL/1.0\n\
Version: 1\nOriginal-Rcpt-To: liam@mail.example\n\n\
--ARF\nContent-Type: message/rfc822\n\nFrom: sam@agency.example\nTo: liam@mail.example\n\
Subject: Quick question\nMessage-ID: {ours}\n\nCould we talk?\n\n--ARF--\n",
        ours = m.message_id_header.clone().unwrap()
    );
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(o.kind, "feedback", "{o:?}");
    assert_eq!(o.message_id, Some(m.id));
    let list = suppressions::list(app.db(), ctx.ws, None, 10)
        .await
        .unwrap();
    let s = list
        .iter()
        .find(|s| s.value == "liam@mail.example")
        .unwrap();
    assert_eq!(s.reason, "complaint");
    let kinds = event_kinds(&app, &ctx, &m).await;
    assert!(kinds.contains(&"complained".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"unsubscribed".to_string()), "{kinds:?}");
    assert_eq!(enrollment_of(&app, &ctx, &m).await.state, "stopped");
}

#[tokio::test]
async fn malformed_and_unrelated_mail_is_other_and_never_a_lead() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example"]).await;
    let samples: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\xff\xfe\x00garbage\r\n\r\n\r\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain; charset=klingon\n\n\xe9\xe9\n".to_vec(),
        format!("Message-ID: <{}@x.example>\nFrom: a@b.example\n\nhi\n", "x".repeat(5000)).into_bytes(),
        b"From: news@shop.example\nTo: sam@agency.example\nSubject: Our weekly deals\nList-Unsubscribe: <https://shop.example/u>\nPrecedence: bulk\nMessage-ID: <n1@shop.example>\n\nBig sale!\n".to_vec(),
    ];
    for (i, raw) in samples.iter().enumerate() {
        let o = inbound::process_raw(
            &app,
            ctx.ws,
            Source::InboundParse,
            raw,
            Some(&format!("s{i}")),
        )
        .await
        .unwrap();
        assert!(
            o.kind == "other" || o.message_id.is_none(),
            "sample {i}: {o:?}"
        );
        assert!(!o.became_lead, "sample {i}: {o:?}");
        let row = store_inbound::get_inbound(app.db(), ctx.ws, o.inbound_id)
            .await
            .unwrap();
        assert!(row.processed_at.is_some());
        assert!(row.summary.contains("\"reason\""), "{}", row.summary);
    }
    let leads = contacts::list_contacts(
        &app,
        &ctx,
        &contacts::ListQuery {
            lead_stage: Some("any".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(leads.data.is_empty());
}

#[tokio::test]
async fn inbound_rows_conversations_and_mailboxes_are_tenant_scoped() {
    let (app, ctx, _dir) = setup().await;
    let actor = prospector_app::Actor::cli();
    let other_user = prospector_app::accounts::create_user(
        &app,
        &actor,
        "other@example.com",
        "Other",
        "a long enough password",
        false,
    )
    .await
    .unwrap();
    let other = prospector_app::workspaces::create(&app, &actor, "Other Co", &other_user)
        .await
        .unwrap();
    let other_ws = WorkspaceId(other.id);
    campaign_sent(&app, &ctx, &["ana@bakery.example"]).await;
    let m = sent_to(&app, &ctx, "ana@bakery.example").await;
    let raw = reply_to(&m, "ana@bakery.example", "iso1@bakery.example");
    // Delivered to the wrong workspace, the reply matches nothing there.
    let o = inbound::process_raw(&app, other_ws, Source::InboundParse, raw.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!((o.message_id, o.became_lead), (None, false), "{o:?}");
    // The same Message-ID is a separate message in each workspace.
    let mine = inbound::process_raw(&app, ctx.ws, Source::InboundParse, raw.as_bytes(), None)
        .await
        .unwrap();
    assert!(!mine.duplicate && mine.became_lead, "{mine:?}");
    assert!(
        store_inbound::get_inbound(app.db(), other_ws, mine.inbound_id)
            .await
            .is_err()
    );
    assert_eq!(
        store_inbound::list_inbound(app.db(), other_ws, None, 50)
            .await
            .unwrap()
            .len(),
        1
    );
    let conv = mine.conversation_id.unwrap();
    assert!(conversations::get(app.db(), other_ws, conv).await.is_err());
    assert!(
        conversations::entries(app.db(), other_ws, conv, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        conversations::list(app.db(), other_ws, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        conversations::list(app.db(), ctx.ws, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let mb = mailboxes::set_for_sender(&app, &ctx, "sam", "imap://u:pw@127.0.0.1:1/INBOX")
        .await
        .unwrap();
    assert!(!mb.display.contains("pw"), "{}", mb.display);
    // Ciphertext is random base64, which may contain "pw" by chance: look for the secret
    // as it was written.
    assert!(!mb.imap_url.contains("u:pw@"), "stored encrypted");
    assert!(
        store_inbound::get_mailbox(app.db(), other_ws, mb.id)
            .await
            .is_err()
    );
    assert!(
        store_inbound::list_mailboxes(app.db(), other_ws)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_reply_in_a_real_imap_mailbox_is_polled_once_across_restarts() {
    let Some(dovecot) = imap_dovecot::Dovecot::start() else {
        return;
    };
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example", "olga@cafe.example"]).await;
    let ana = sent_to(&app, &ctx, "ana@bakery.example").await;
    let olga = sent_to(&app, &ctx, "olga@cafe.example").await;
    let mb = mailboxes::set_for_sender(&app, &ctx, "sam", &dovecot.url("sam", "INBOX"))
        .await
        .unwrap();

    let mut imap = dovecot.raw("sam").await;
    imap.append(
        "INBOX",
        reply_to(&ana, "ana@bakery.example", "imap1@bakery.example").as_bytes(),
    )
    .await;
    // Something unrelated in the same mailbox.
    imap.append(
        "INBOX",
        b"From: news@shop.example\r\nTo: sam@agency.example\r\nSubject: Deals\r\nMessage-ID: <n@shop.example>\r\nPrecedence: bulk\r\n\r\nSale!\r\n",
    )
    .await;

    // The poll job, as the worker runs it.
    let job = prospector_app::store::jobs::enqueue(
        app.db(),
        &prospector_app::store::jobs::NewJob::new(inbound::POLL_JOB, "{}"),
    )
    .await
    .unwrap()
    .unwrap();
    let opts = prospector_app::jobs::WorkerOptions::from_config(app.config());
    let registry = prospector_app::jobs::Registry::standard();
    for _ in 0..20 {
        let ran = prospector_app::jobs::run_one(&app, &registry, &opts)
            .await
            .unwrap();
        if ran.is_none() || ran == Some(job.0) {
            break;
        }
    }
    let j = prospector_app::store::jobs::get(app.db(), job)
        .await
        .unwrap();
    assert_eq!(j.state, "succeeded", "{:?}", j.last_error);

    let c = contacts::contact(&app, &ctx, ContactId(ana.contact_id.unwrap()))
        .await
        .unwrap();
    assert_eq!(c.f.lead_stage.as_deref(), Some("new"));
    assert_eq!(enrollment_of(&app, &ctx, &ana).await.state, "stopped");
    assert_eq!(enrollment_of(&app, &ctx, &olga).await.state, "active");
    let saved = store_inbound::get_mailbox(app.db(), ctx.ws, mb.id)
        .await
        .unwrap();
    assert!(
        saved.uidvalidity.is_some() && saved.last_uid == Some(2),
        "{saved:?}"
    );
    assert!(saved.last_error.is_none());
    assert_eq!(
        store_inbound::list_inbound(app.db(), ctx.ws, None, 50)
            .await
            .unwrap()
            .len(),
        2
    );

    // Polling again finds nothing new.
    let r = mailboxes::poll_all(&app).await.unwrap();
    assert_eq!((r[0].fetched, r[0].processed), (0, 0), "{r:?}");

    // A hard bounce arrives mid-sequence; a "restarted" app (a new client, the saved state)
    // reads only that one.
    let ours = olga.message_id_header.clone().unwrap();
    let dsn = format!(
        "From: MAILER-DAEMON@mail.agency.example\r\nTo: sam@agency.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-imap@mail.agency.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
--R\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mail.agency.example\r\n\r\nFinal-Recipient: rfc822; olga@cafe.example\r\n\
Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours}\r\nTo: olga@cafe.example\r\n\r\n--R--\r\n"
    );
    imap.append("INBOX", dsn.as_bytes()).await;
    imap.logout().await;
    let restarted = App::from_parts(app.config().clone(), app.db().clone(), app.keys().clone());
    let r = mailboxes::poll_all(&restarted).await.unwrap();
    assert_eq!(
        (r[0].fetched, r[0].processed, r[0].duplicates),
        (1, 1, 0),
        "{r:?}"
    );
    assert!(
        suppressions::is_suppressed(app.db(), ctx.ws, "email", "olga@cafe.example")
            .await
            .unwrap()
    );
    assert_eq!(enrollment_of(&app, &ctx, &olga).await.state, "stopped");

    // Even with the state lost, re-reading the mailbox processes nothing twice.
    prospector_app::store::on_db!(app.db(), p => sqlx::query(
        "UPDATE mailboxes SET uidvalidity = NULL, last_uid = NULL")
        .execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
    let r = mailboxes::poll_all(&app).await.unwrap();
    assert_eq!(
        (r[0].fetched, r[0].processed, r[0].duplicates),
        (3, 0, 3),
        "{r:?}"
    );

    // A server that refuses the login shows on the mailbox.
    mailboxes::set_for_sender(
        &app,
        &ctx,
        "sam",
        &format!("imap://sam:wrong@127.0.0.1:{}/INBOX", dovecot.port),
    )
    .await
    .unwrap();
    let r = mailboxes::poll_all(&app).await.unwrap();
    assert!(r[0].error.is_some(), "{r:?}");
    let m = store_inbound::get_mailbox(app.db(), ctx.ws, mb.id)
        .await
        .unwrap();
    assert_eq!(m.state, "error");
    assert!(m.last_error.is_some());
}

#[tokio::test]
async fn a_member_answers_a_conversation_through_the_campaign_sender() {
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example"]).await;
    let m = sent_to(&app, &ctx, "ana@bakery.example").await;
    let raw = reply_to(&m, "ana@bakery.example", "ans1@bakery.example");
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    let conv = o.conversation_id.unwrap();
    let leads = inbound::conversations::leads(&app, &ctx, Some("ana".into()), None)
        .await
        .unwrap();
    assert_eq!(leads.data.len(), 1);
    let rows = inbound::conversations::list(&app, &ctx, 50).await.unwrap();
    assert_eq!(rows.len(), 1);
    let (c, _, entries) = inbound::conversations::thread(&app, &ctx, conv)
        .await
        .unwrap();
    assert_eq!((c.unread, entries.len()), (1, 2));
    assert!(
        inbound::conversations::reply(&app, &ctx, conv, "   ")
            .await
            .is_err()
    );
    let id = inbound::conversations::reply(&app, &ctx, conv, "Thursday at 10 works.")
        .await
        .unwrap();
    let d = dispatch::dispatch(&app, None).await.unwrap();
    assert_eq!(d.sent, 1, "{d:?}");
    let sent = messages::get(app.db(), ctx.ws, prospector_app::store::MessageId(id))
        .await
        .unwrap();
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.sender_id, m.sender_id);
    assert_eq!(sent.to_address, "ana@bakery.example");
    assert_eq!(sent.in_reply_to.as_deref(), Some("<ans1@bakery.example>"));
    assert_eq!(sent.subject.as_deref(), Some("Re: Quick question"));
    let (c, _, entries) = inbound::conversations::thread(&app, &ctx, conv)
        .await
        .unwrap();
    let dirs: Vec<&str> = entries.iter().map(|e| e.direction.as_str()).collect();
    assert_eq!(dirs, vec!["out", "in", "out"]);
    assert_eq!(c.unread, 0, "read once opened");
}

/// A loopback HTTP receiver for the reply webhook: answers each request with the next status
/// of `statuses` (200 once they run out) and keeps what it got.
struct Receiver {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

#[derive(Debug, Clone)]
struct Received {
    headers: std::collections::HashMap<String, String>,
    body: String,
    answered: u16,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/prospector", l.local_addr().unwrap());
    let got: std::sync::Arc<std::sync::Mutex<Vec<Received>>> = Default::default();
    let g = got.clone();
    tokio::spawn(async move {
        let mut statuses = statuses.into_iter();
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let headers: std::collections::HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
            let status = statuses.next().unwrap_or(200);
            g.lock().unwrap().push(Received {
                headers,
                body,
                answered: status,
            });
            let answer =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            let _ = sock.write_all(answer.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    Receiver { url, got }
}

/// Run queued jobs (retries due at once) until `done` holds or 200 rounds pass.
async fn run_jobs_until<F, Fut>(app: &App, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut opts = prospector_app::jobs::WorkerOptions::from_config(app.config());
    opts.retry_base_ms = 1;
    opts.retry_cap_ms = 1;
    let registry = prospector_app::jobs::Registry::standard();
    for _ in 0..200 {
        if done().await {
            return;
        }
        prospector_app::jobs::run_one(app, &registry, &opts)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(done().await, "jobs did not get there");
}

#[tokio::test]
async fn a_reply_notifies_in_the_app_and_at_the_signed_webhook_with_retries() {
    use prospector_app::notifications;
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example"]).await;
    let m = sent_to(&app, &ctx, "ana@bakery.example").await;
    // The receiver fails the first attempt.
    let r = receiver(vec![503]).await;
    assert!(
        notifications::set_webhook(&app, &ctx, "ftp://nope.example", None, true)
            .await
            .is_err()
    );
    let hook = notifications::set_webhook(&app, &ctx, &r.url, None, true)
        .await
        .unwrap();
    let secret = hook.secret.clone().expect("a new secret is shown once");
    assert!(
        notifications::webhook(&app, &ctx)
            .await
            .unwrap()
            .unwrap()
            .secret
            .is_none()
    );

    let raw = reply_to(&m, "ana@bakery.example", "notify1@bakery.example");
    let o = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert!(o.actions.contains(&"notified".to_string()), "{o:?}");
    // Processing the same message again notifies nobody twice.
    let again = inbound::process_raw(&app, ctx.ws, Source::Imap, raw.as_bytes(), None)
        .await
        .unwrap();
    assert!(again.duplicate);
    let list = notifications::list(&app, &ctx, None, 50, false)
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(list[0].title.starts_with("New lead:"), "{}", list[0].title);
    assert_eq!(
        list[0].link.as_deref(),
        Some(format!("conversations/{}", o.conversation_id.unwrap()).as_str())
    );
    assert_eq!(notifications::unread_count(&app, &ctx).await.unwrap(), 1);

    // The delivery: 503, retried with backoff, then 200.
    let ws = ctx.ws;
    run_jobs_until(&app, || async {
        prospector_app::store::notifications::list_deliveries(app.db(), ws, None, 10)
            .await
            .unwrap()
            .first()
            .is_some_and(|d| d.state == "delivered")
    })
    .await;
    let d = notifications::deliveries(&app, &ctx, None, 10)
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].attempts, d[0].last_status, d[0].event.as_str()),
        (2, Some(200), "reply.received")
    );
    let got = r.got.lock().unwrap().clone();
    assert_eq!(
        got.iter().map(|g| g.answered).collect::<Vec<_>>(),
        vec![503, 200]
    );
    let now = prospector_app::core::time::now_ms() / 1000;
    for g in &got {
        assert_eq!(
            g.headers.get("x-prospector-delivery").map(String::as_str),
            Some(d[0].id.to_string().as_str()),
            "the same delivery id on every attempt"
        );
        assert_eq!(
            g.headers.get("x-prospector-event").map(String::as_str),
            Some("reply.received")
        );
        let sig = g.headers.get("x-prospector-signature").map(String::as_str);
        let t = notifications::verify_signature(&secret, g.body.as_bytes(), sig, now)
            .expect("a valid signature");
        assert_eq!(
            g.headers.get("x-prospector-timestamp").map(String::as_str),
            Some(t.to_string().as_str())
        );
        assert!(
            notifications::verify_signature("a-different-secret-123", g.body.as_bytes(), sig, now)
                .is_err()
        );
    }
    let body: serde_json::Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["event"], "reply.received");
    assert_eq!(body["contact"]["email"], "ana@bakery.example");
    assert_eq!(body["lead_created"], true);
    assert!(body["text"].as_str().unwrap().contains("Thursday"));
    assert!(
        body["conversation"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://prospector.example/w/")
    );

    // Marking read.
    let n = notifications::mark_read(&app, &ctx, list[0].id)
        .await
        .unwrap();
    assert!(n.read_at.is_some());
    assert_eq!(notifications::unread_count(&app, &ctx).await.unwrap(), 0);
    assert_eq!(notifications::mark_all_read(&app, &ctx).await.unwrap(), 0);
    assert!(notifications::mark_read(&app, &ctx, 999_999).await.is_err());

    // A receiver that is gone: every attempt fails, the delivery gives up after the last.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    notifications::set_webhook(&app, &ctx, &gone, Some("a-secret-of-16-chars"), true)
        .await
        .unwrap();
    let t = notifications::send_test(&app, &ctx).await.unwrap();
    run_jobs_until(&app, || async {
        notifications::delivery(&app, &ctx, t.id)
            .await
            .unwrap()
            .state
            == "failed"
    })
    .await;
    let t = notifications::delivery(&app, &ctx, t.id).await.unwrap();
    assert_eq!(t.attempts, notifications::MAX_ATTEMPTS);
    assert!(t.last_error.is_some(), "{t:?}");
}

#[tokio::test]
async fn a_reply_reaches_an_idle_mailbox_within_seconds_and_a_bounce_suppresses() {
    let Some(dovecot) = imap_dovecot::Dovecot::start() else {
        return;
    };
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example", "olga@cafe.example"]).await;
    let ana = sent_to(&app, &ctx, "ana@bakery.example").await;
    let olga = sent_to(&app, &ctx, "olga@cafe.example").await;
    let mb = mailboxes::set_for_sender(&app, &ctx, "sam", &dovecot.url("sam", "INBOX"))
        .await
        .unwrap();
    let watch = {
        let (app, mb) = (app.clone(), mb.clone());
        tokio::spawn(async move {
            mailboxes::watch_mailbox(&app, &mb, std::time::Duration::from_secs(20)).await
        })
    };
    // Wait for the first (empty) poll, so what follows can only arrive through IDLE.
    let t0 = std::time::Instant::now();
    while store_inbound::get_mailbox(app.db(), ctx.ws, mb.id)
        .await
        .unwrap()
        .last_polled_at
        .is_none()
    {
        assert!(t0.elapsed().as_secs() < 10, "the first poll did not happen");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut imap = dovecot.raw("sam").await;
    imap.append(
        "INBOX",
        reply_to(&ana, "ana@bakery.example", "idle1@bakery.example").as_bytes(),
    )
    .await;
    let appended = std::time::Instant::now();
    let contact = ContactId(ana.contact_id.unwrap());
    loop {
        let c = contacts::contact(&app, &ctx, contact).await.unwrap();
        // The lead stage is set a moment before the conversation is opened (separate
        // statements): wait for both, so the checks below see the whole reply handled.
        if c.f.lead_stage.as_deref() == Some("new")
            && conversations::of_contact(app.db(), ctx.ws, contact, "email")
                .await
                .unwrap()
                .is_some()
        {
            break;
        }
        assert!(
            appended.elapsed().as_secs() < 10,
            "the reply was not picked up through IDLE"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let caught = appended.elapsed();
    println!(
        "reply picked up through IDLE {} ms after it arrived",
        caught.as_millis()
    );
    assert!(
        conversations::of_contact(app.db(), ctx.ws, contact, "email")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(enrollment_of(&app, &ctx, &ana).await.state, "stopped");
    assert_eq!(enrollment_of(&app, &ctx, &olga).await.state, "active");

    let ours = olga.message_id_header.clone().unwrap();
    let dsn = format!(
        "From: MAILER-DAEMON@mail.agency.example\r\nTo: sam@agency.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-idle@mail.agency.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
--R\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mail.agency.example\r\n\r\nFinal-Recipient: rfc822; olga@cafe.example\r\n\
Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours}\r\nTo: olga@cafe.example\r\n\r\n--R--\r\n"
    );
    imap.append("INBOX", dsn.as_bytes()).await;
    imap.logout().await;
    let appended = std::time::Instant::now();
    while !suppressions::is_suppressed(app.db(), ctx.ws, "email", "olga@cafe.example")
        .await
        .unwrap()
    {
        assert!(
            appended.elapsed().as_secs() < 10,
            "the bounce was not picked up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The rest of the bounce's effects follow the suppression in the same processing.
    while email_verifications(&app, &ctx, olga.contact_id.unwrap())
        .await
        .is_empty()
    {
        assert!(
            appended.elapsed().as_secs() < 10,
            "the address was not marked invalid"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(enrollment_of(&app, &ctx, &olga).await.state, "stopped");
    let v = email_verifications(&app, &ctx, olga.contact_id.unwrap()).await;
    assert_eq!(v.first().map(|f| f.value.as_str()), Some("invalid"));

    let report = watch.await.unwrap().unwrap();
    assert_eq!(report.idle, Some(true), "{report:?}");
    assert!(report.idle_wakeups >= 2, "{report:?}");
    assert_eq!((report.processed, report.duplicates), (2, 0), "{report:?}");
    assert!(report.error.is_none(), "{report:?}");
}

/// The issue's "done when", with the worker as `prospector serve` runs it: the scheduler
/// enqueues the minute's poll, the poll idles, a reply to a campaign message is a lead with
/// a conversation well within one polling interval, its sequence stops, and a hard bounce
/// suppresses the address.
#[tokio::test]
async fn with_the_worker_running_a_reply_is_a_lead_within_one_polling_interval() {
    let Some(dovecot) = imap_dovecot::Dovecot::start() else {
        return;
    };
    let (app, ctx, _dir) = setup().await;
    campaign_sent(&app, &ctx, &["ana@bakery.example", "olga@cafe.example"]).await;
    let ana = sent_to(&app, &ctx, "ana@bakery.example").await;
    let olga = sent_to(&app, &ctx, "olga@cafe.example").await;
    let mb = mailboxes::set_for_sender(&app, &ctx, "sam", &dovecot.url("sam", "INBOX"))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = prospector_app::jobs::Worker::new(
        app.clone(),
        prospector_app::jobs::Registry::standard(),
        prospector_app::jobs::Scheduler::standard(),
        prospector_app::jobs::WorkerOptions::from_config(app.config()),
    );
    let running = tokio::spawn(worker.run(stopped));
    let started = std::time::Instant::now();
    let mut imap = dovecot.raw("sam").await;
    imap.append(
        "INBOX",
        reply_to(&ana, "ana@bakery.example", "worker1@bakery.example").as_bytes(),
    )
    .await;
    let contact = ContactId(ana.contact_id.unwrap());
    loop {
        let c = contacts::contact(&app, &ctx, contact).await.unwrap();
        let conv = conversations::of_contact(app.db(), ctx.ws, contact, "email")
            .await
            .unwrap();
        if c.f.lead_stage.as_deref() == Some("new") && conv.is_some() {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "no lead within one polling interval (60 s)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!(
        "with the worker running: lead and conversation {} ms after the reply arrived",
        started.elapsed().as_millis()
    );
    assert_eq!(enrollment_of(&app, &ctx, &ana).await.state, "stopped");
    assert_eq!(enrollment_of(&app, &ctx, &olga).await.state, "active");
    let ours = olga.message_id_header.clone().unwrap();
    let dsn = format!(
        "From: MAILER-DAEMON@mail.agency.example\r\nTo: sam@agency.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-worker@mail.agency.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
--R\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mail.agency.example\r\n\r\nFinal-Recipient: rfc822; olga@cafe.example\r\n\
Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours}\r\nTo: olga@cafe.example\r\n\r\n--R--\r\n"
    );
    imap.append("INBOX", dsn.as_bytes()).await;
    imap.logout().await;
    let appended = std::time::Instant::now();
    while !suppressions::is_suppressed(app.db(), ctx.ws, "email", "olga@cafe.example")
        .await
        .unwrap()
    {
        assert!(
            appended.elapsed().as_secs() < 60,
            "the bounce was not picked up within one polling interval"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!(
        "with the worker running: hard bounce suppressed {} ms after it arrived",
        appended.elapsed().as_millis()
    );
    // Stopping the sequence follows the suppression in the same processing.
    while enrollment_of(&app, &ctx, &olga).await.state != "stopped" {
        assert!(
            appended.elapsed().as_secs() < 60,
            "the sequence did not stop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let saved = store_inbound::get_mailbox(app.db(), ctx.ws, mb.id)
        .await
        .unwrap();
    assert!(saved.last_error.is_none(), "{saved:?}");
    let _ = stop.send(true);
    running.abort();
}
