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
    assert!(!mb.imap_url.contains("pw"), "stored encrypted");
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
