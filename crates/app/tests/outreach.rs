//! Email outreach end to end on the configured backend, with a controllable clock: a
//! two-step campaign through a real SMTP server (postfix smtp-sink) with headers, MIME,
//! personalisation and unsubscribe checked on what arrived; send windows, daily limits and
//! rotation; stop on reply; suppression at enrollment, at queue time and just before
//! sending; temporary and permanent SMTP failures; approval mode; unsubscribe.

use prospector_app::contacts::{self, ContactInput};
use prospector_app::outreach::campaigns::{self, EnrollInput, Review};
use prospector_app::outreach::senders::{self, SenderInput};
use prospector_app::outreach::{dispatch, engine, events, spec, tracking};
use prospector_app::store::messages;
use prospector_app::{App, AppError, WsCtx, testing};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Saturday 2027-01-02 12:00 UTC.
const SAT_NOON: i64 = 1_798_891_200_000;
/// Monday 2027-01-04 09:00 UTC.
const MON_9: i64 = 1_799_053_200_000;
/// Tuesday 2027-01-05 09:00 UTC.
const TUE_9: i64 = 1_799_139_600_000;
const DAY: i64 = 86_400_000;

async fn setup() -> (App, WsCtx, tempfile::TempDir) {
    testing::app_with_workspace(|c| c.public_url = "https://prospector.example".into())
        .await
        .unwrap()
}

async fn contact(app: &App, ctx: &WsCtx, first: &str, email: &str, tags: &[&str]) -> i64 {
    contacts::create_contact(
        app,
        ctx,
        &ContactInput {
            first_name: Some(first.into()),
            email: Some(email.into()),
            country: Some("DE".into()),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn sender(app: &App, ctx: &WsCtx, name: &str, kind: &str, url: Option<String>, limit: i64) {
    senders::create(
        app,
        ctx,
        &SenderInput {
            name: name.into(),
            kind: kind.into(),
            from_email: format!("{name}@agency.example"),
            from_name: Some("Sam from Acme".into()),
            smtp_url: url,
            daily_limit: Some(limit),
            signature: Some("Sam Seller\nAcme Agency".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

fn campaign_json(senders: &[&str], extra: &str) -> String {
    let s: Vec<String> = senders.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"{{"name":"Spring","senders":[{}],
        "schedule":{{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"}},
        "steps":[{{"channel":"email","delay_days":0,"subject":"{{Hi|Hello}} {{{{first_name|there}}}}","body":"Dear {{{{first_name|friend}}}},\nwe build websites. {{{{custom.plan|}}}}"}},
                 {{"channel":"email","delay_days":2,"subject":"Re: websites","body":"Following up, {{{{first_name}}}}."}}],
        "stop_on":["reply","bounce","unsubscribe"],"track_opens":false,"track_clicks":false,"min_gap_seconds":0{extra}}}"#,
        s.join(",")
    )
}

async fn start_campaign(app: &App, ctx: &WsCtx, json: &str) -> i64 {
    let spec = spec::parse(json).unwrap();
    let id = campaigns::create(app, ctx, &spec)
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
    id
}

async fn status(app: &App, ctx: &WsCtx, id: i64) -> BTreeMap<String, i64> {
    campaigns::status(app, ctx, id).await.unwrap().messages
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .find(|l| {
            l.len() > name.len()
                && l[..name.len()].eq_ignore_ascii_case(name)
                && l.as_bytes()[name.len()] == b':'
        })
        .map(|l| l[name.len() + 1..].trim())
}

#[tokio::test]
async fn two_steps_through_a_real_smtp_server() {
    let Some(sink) = testing::SmtpSink::start() else {
        return;
    };
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "sam", "smtp", Some(sink.url()), 100).await;
    let ana = contact(&app, &ctx, "Ana", "ana@bakery.example", &[]).await;
    contact(&app, &ctx, "Bruno", "bruno@cafe.example", &[]).await;
    contact(&app, &ctx, "Chloé", "chloe@salon.example", &[]).await;
    let id = start_campaign(&app, &ctx, &campaign_json(&["sam"], "")).await;

    let now = prospector_app::core::time::now_ms();
    let t = engine::tick(&app, now).await.unwrap();
    assert_eq!(t.queued, 3, "{t:?}");
    // A second tick at the same moment queues nothing more: each step is queued once.
    assert_eq!(engine::tick(&app, now).await.unwrap().queued, 0);
    let d = dispatch::dispatch(&app, None).await.unwrap();
    assert_eq!(d.sent, 3, "{d:?}");
    assert_eq!(status(&app, &ctx, id).await.get("sent"), Some(&3));

    let got = sink.messages(3);
    assert_eq!(got.len(), 3);
    let mut ids = HashSet::new();
    for raw in &got {
        let text = String::from_utf8_lossy(raw);
        let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
        let subject = parsed.subject().unwrap_or_default().to_string();
        assert!(
            subject.starts_with("Hi ") || subject.starts_with("Hello "),
            "spintax resolved: {subject}"
        );
        assert!(!subject.contains("{{"), "{subject}");
        assert_eq!(
            header(&text, "From"),
            Some("\"Sam from Acme\" <sam@agency.example>")
        );
        // The person's name goes with the address.
        let to = header(&text, "To").unwrap();
        if to.contains("ana@bakery.example") {
            assert_eq!(to.replace('"', ""), "Ana <ana@bakery.example>");
        }
        let unsub = header(&text, "List-Unsubscribe").unwrap();
        assert!(
            unsub.starts_with("<https://prospector.example/u/"),
            "{unsub}"
        );
        assert_eq!(
            header(&text, "List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        let mid = header(&text, "Message-ID").unwrap();
        assert!(mid.ends_with("@agency.example>"), "{mid}");
        assert!(ids.insert(mid.to_string()), "Message-IDs are unique");
        assert!(
            header(&text, "Content-Type")
                .unwrap()
                .starts_with("multipart/alternative"),
            "text and HTML parts"
        );
        let body = parsed.body_text(0).unwrap_or_default().to_string();
        assert!(body.starts_with("Dear "), "{body}");
        assert!(
            body.contains("Sam Seller\nAcme Agency"),
            "signature: {body}"
        );
        assert!(body.contains("Unsubscribe: https://prospector.example/u/"));
        assert!(
            !body.contains("custom.plan"),
            "an optional variable renders empty"
        );
        let html = parsed.body_html(0).unwrap_or_default().to_string();
        assert!(html.contains("<p>Dear "), "{html}");
    }
    // Personalisation: each contact got their own name, the UTF-8 one intact.
    let subjects: HashSet<String> = got
        .iter()
        .map(|r| {
            mail_parser::MessageParser::default()
                .parse(r)
                .and_then(|m| m.subject().map(String::from))
                .unwrap_or_default()
        })
        .map(|s| {
            s.split_once(' ')
                .map(|(_, n)| n.to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        subjects,
        ["Ana", "Bruno", "Chloé"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    // The second step waits two days after the first was sent.
    assert_eq!(engine::tick(&app, now + DAY).await.unwrap().queued, 0);
    // Ana replies meanwhile: her sequence stops.
    let ana_msg = messages::list_for_contact(
        app.db(),
        ctx.ws,
        prospector_app::store::ContactId(ana),
        None,
        10,
    )
    .await
    .unwrap();
    events::replied(
        &app,
        ctx.ws,
        prospector_app::store::MessageId(ana_msg[0].id),
        Some("sounds good"),
    )
    .await
    .unwrap();
    let later = now + 2 * DAY + 60_000;
    let t = engine::tick(&app, later).await.unwrap();
    assert_eq!(
        t.queued, 2,
        "Bruno and Chloé get step 2, Ana does not: {t:?}"
    );
    let d = dispatch::dispatch(&app, Some(later)).await.unwrap();
    assert_eq!(d.sent, 2);
    let all = sink.messages(5);
    assert_eq!(all.len(), 5);
    // Follow-ups thread under the first message of each contact.
    let follow_ups: Vec<String> = all
        .iter()
        .map(|r| String::from_utf8_lossy(r).to_string())
        .filter(|t| header(t, "Subject") == Some("Re: websites"))
        .collect();
    assert_eq!(follow_ups.len(), 2);
    for t in &follow_ups {
        let parent = header(t, "In-Reply-To").expect("In-Reply-To on a follow-up");
        assert!(
            ids.contains(parent),
            "{parent} is one of the first messages"
        );
        assert_eq!(header(t, "References"), Some(parent));
    }
    let st = campaigns::status(&app, &ctx, id).await.unwrap();
    assert_eq!(st.messages.get("sent"), Some(&5));
    assert_eq!(
        st.enrollments.get("completed"),
        Some(&2),
        "{:?}",
        st.enrollments
    );
    assert_eq!(st.enrollments.get("stopped"), Some(&1));
    assert_eq!(st.engagement.replied, 1);
    // The timeline of a message holds its lifecycle.
    let (_, ev) = events::timeline(&app, &ctx, ana_msg[0].id).await.unwrap();
    let kinds: Vec<&str> = ev.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["queued", "sending", "sent", "replied"],
        "{kinds:?}"
    );
}

#[tokio::test]
async fn windows_limits_and_rotation_with_a_controlled_clock() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 3).await;
    sender(&app, &ctx, "two", "sandbox", None, 2).await;
    for i in 0..8 {
        contact(
            &app,
            &ctx,
            &format!("P{i}"),
            &format!("p{i}@shop{i}.example"),
            &[],
        )
        .await;
    }
    let json = campaign_json(&["one", "two"], "").replace(
        r#""days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59""#,
        r#""days":["mon","tue","wed","thu","fri"],"start":"09:00","end":"17:00""#,
    );
    let json = json.replace(
        r#""timezone":"UTC""#,
        r#""timezone":"UTC","recipient_timezone":false"#,
    );
    let id = start_campaign(&app, &ctx, &json).await;

    // Saturday: outside the window, nothing is queued and everyone waits for Monday 09:00.
    let t = engine::tick(&app, SAT_NOON).await.unwrap();
    assert_eq!((t.queued, t.deferred), (0, 8), "{t:?}");
    assert_eq!(
        engine::tick(&app, SAT_NOON + 3_600_000)
            .await
            .unwrap()
            .deferred,
        0,
        "they wait, not re-planned"
    );

    // Monday 09:00: today's budget is 3 + 2 across the two senders, the rest waits.
    let t = engine::tick(&app, MON_9).await.unwrap();
    assert_eq!(t.queued, 5, "{t:?}");
    assert_eq!(t.deferred, 3);
    let d = dispatch::dispatch(&app, Some(MON_9)).await.unwrap();
    assert_eq!(d.sent, 5, "{d:?}");
    let sent = campaigns::messages_of(&app, &ctx, id, Some("sent"), None, 100)
        .await
        .unwrap();
    let mut per: HashMap<i64, usize> = HashMap::new();
    for m in &sent {
        *per.entry(m.sender_id.unwrap()).or_default() += 1;
        assert!(m.scheduled_at >= MON_9);
    }
    let mut counts: Vec<usize> = per.values().copied().collect();
    counts.sort();
    assert_eq!(counts, vec![2, 3], "rotation respects each limit");
    assert_eq!(
        engine::tick(&app, MON_9 + 3_600_000).await.unwrap().queued,
        0,
        "limits hold all day"
    );

    // Tuesday: the remaining three go out.
    let t = engine::tick(&app, TUE_9).await.unwrap();
    assert_eq!(t.queued, 3, "{t:?}");
    assert_eq!(dispatch::dispatch(&app, Some(TUE_9)).await.unwrap().sent, 3);
    // The sandbox transports saw every message exactly once.
    let list = senders::list(&app, &ctx).await.unwrap();
    let seen: usize = list
        .iter()
        .map(|s| app.transports().sandbox(s.id).sent_count())
        .sum();
    assert_eq!(seen, 8);
}

#[tokio::test]
async fn gaps_between_sends_of_one_sender() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 100).await;
    for i in 0..4 {
        contact(
            &app,
            &ctx,
            &format!("P{i}"),
            &format!("p{i}@shop{i}.example"),
            &[],
        )
        .await;
    }
    let json =
        campaign_json(&["one"], "").replace(r#""min_gap_seconds":0"#, r#""min_gap_seconds":120"#);
    let id = start_campaign(&app, &ctx, &json).await;
    engine::tick(&app, MON_9).await.unwrap();
    let mut at: Vec<i64> = campaigns::messages_of(&app, &ctx, id, Some("queued"), None, 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.scheduled_at)
        .collect();
    at.sort();
    assert_eq!(at.len(), 4);
    for w in at.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (120_000..=180_000).contains(&gap),
            "gap {gap} ms is 120-180 s"
        );
    }
    // Only the first is due now.
    assert_eq!(dispatch::dispatch(&app, Some(MON_9)).await.unwrap().sent, 1);
}

#[tokio::test]
async fn suppression_is_checked_at_enrollment_queue_and_send() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 100).await;
    contact(&app, &ctx, "Early", "early@a.example", &[]).await;
    contact(&app, &ctx, "Late", "late@b.example", &[]).await;
    contact(&app, &ctx, "Fine", "fine@c.example", &[]).await;
    contact(&app, &ctx, "Domain", "x@blocked.example", &[]).await;
    prospector_app::store::suppressions::add(
        app.db(),
        ctx.ws,
        "email",
        "early@a.example",
        "manual",
    )
    .await
    .unwrap();
    prospector_app::store::suppressions::add(
        app.db(),
        ctx.ws,
        "domain",
        "blocked.example",
        "manual",
    )
    .await
    .unwrap();
    let spec = spec::parse(&campaign_json(&["one"], "")).unwrap();
    let id = campaigns::create(&app, &ctx, &spec)
        .await
        .unwrap()
        .campaign
        .id;
    let r = campaigns::enroll(
        &app,
        &ctx,
        id,
        &EnrollInput {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((r.enrolled, r.skipped), (2, 2), "{r:?}");
    campaigns::start(&app, &ctx, id).await.unwrap();
    assert_eq!(engine::tick(&app, MON_9).await.unwrap().queued, 2);
    // Suppressed after queueing: cancelled just before sending.
    prospector_app::store::suppressions::add(
        app.db(),
        ctx.ws,
        "email",
        "late@b.example",
        "unsubscribed",
    )
    .await
    .unwrap();
    let d = dispatch::dispatch(&app, Some(MON_9)).await.unwrap();
    assert_eq!((d.sent, d.cancelled), (1, 1), "{d:?}");
    let st = status(&app, &ctx, id).await;
    assert_eq!(st.get("cancelled"), Some(&1));
}

#[tokio::test]
async fn smtp_failures_retry_fail_suppress_and_pause() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    // A stand-in SMTP server: 450 for tempfail@, 550 5.1.1 for gone@, 250 otherwise.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 standin ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(l)) = lines.next_line().await {
                    let up = l.to_ascii_uppercase();
                    let reply: &[u8] = if in_data {
                        if l == "." {
                            in_data = false;
                            b"250 2.0.0 queued as X1\r\n"
                        } else {
                            continue;
                        }
                    } else if up.starts_with("EHLO") {
                        b"250-standin\r\n250 PIPELINING\r\n"
                    } else if up.starts_with("RCPT") && up.contains("TEMPFAIL@") {
                        b"450 4.2.0 mailbox busy, try later\r\n"
                    } else if up.starts_with("RCPT") && up.contains("GONE@") {
                        b"550 5.1.1 <gone@x.example>: Recipient address rejected: User unknown\r\n"
                    } else if up.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if up.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let (app, ctx, _dir) = setup().await;
    sender(
        &app,
        &ctx,
        "one",
        "smtp",
        Some(format!("smtp://127.0.0.1:{port}?tls=none")),
        100,
    )
    .await;
    let temp = contact(&app, &ctx, "Temp", "tempfail@x.example", &[]).await;
    let gone = contact(&app, &ctx, "Gone", "gone@x.example", &[]).await;
    contact(&app, &ctx, "Ok", "ok@x.example", &[]).await;
    let id = start_campaign(&app, &ctx, &campaign_json(&["one"], "")).await;
    assert_eq!(engine::tick(&app, MON_9).await.unwrap().queued, 3);
    let d = dispatch::dispatch(&app, Some(MON_9)).await.unwrap();
    assert_eq!((d.sent, d.retried, d.failed), (1, 1, 1), "{d:?}");

    let of = |c: i64| {
        let app = app.clone();
        let ws = ctx.ws;
        async move {
            messages::list_for_contact(app.db(), ws, prospector_app::store::ContactId(c), None, 5)
                .await
                .unwrap()
                .remove(0)
        }
    };
    let m = of(gone).await;
    assert_eq!(m.status, "failed");
    assert!(
        m.error.as_deref().unwrap().contains("5.1.1"),
        "{:?}",
        m.error
    );
    assert!(
        prospector_app::store::suppressions::is_suppressed(
            app.db(),
            ctx.ws,
            "email",
            "gone@x.example"
        )
        .await
        .unwrap(),
        "a hard bounce is suppressed"
    );
    let m = of(temp).await;
    assert_eq!(m.status, "queued", "a 4xx is retried later");
    assert!(m.scheduled_at > MON_9);
    assert!(m.error.as_deref().unwrap().contains("mailbox busy"));
    // Not yet due: nothing happens; after the backoff it is tried again.
    assert_eq!(
        dispatch::dispatch(&app, Some(MON_9 + 1_000))
            .await
            .unwrap()
            .retried,
        0
    );
    let d = dispatch::dispatch(&app, Some(m.scheduled_at))
        .await
        .unwrap();
    assert_eq!(d.retried, 1);
    assert_eq!(of(temp).await.attempts, 2);
    let st = campaigns::status(&app, &ctx, id).await.unwrap();
    assert_eq!(st.engagement.bounced, 1);
}

#[tokio::test]
async fn approval_mode_and_unsubscribe() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 100).await;
    let a = contact(&app, &ctx, "Ann", "ann@a.example", &["vip"]).await;
    contact(&app, &ctx, "Ben", "ben@b.example", &["vip"]).await;
    contact(&app, &ctx, "Cid", "cid@c.example", &[]).await;
    let spec = spec::parse(&campaign_json(&["one"], r#","approval_required":true"#)).unwrap();
    let id = campaigns::create(&app, &ctx, &spec)
        .await
        .unwrap()
        .campaign
        .id;
    let r = campaigns::enroll(
        &app,
        &ctx,
        id,
        &EnrollInput {
            tag: Some("vip".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.enrolled, 2);
    campaigns::start(&app, &ctx, id).await.unwrap();
    let t = engine::tick(&app, MON_9).await.unwrap();
    assert_eq!(t.waiting_for_approval, 2);
    assert_eq!(
        dispatch::dispatch(&app, Some(MON_9)).await.unwrap().sent,
        0,
        "nothing before approval"
    );
    let pending = campaigns::messages_of(&app, &ctx, id, Some("pending_approval"), None, 10)
        .await
        .unwrap();
    let ann = pending.iter().find(|m| m.contact_id == Some(a)).unwrap();
    let ben = pending.iter().find(|m| m.contact_id != Some(a)).unwrap();
    campaigns::edit_pending(
        &app,
        &ctx,
        ann.id,
        "Hello Ann, a personal note",
        "Edited by hand.",
    )
    .await
    .unwrap();
    assert_eq!(
        campaigns::review(&app, &ctx, id, Review::Reject, &[ben.id])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        campaigns::review(&app, &ctx, id, Review::Approve, &[])
            .await
            .unwrap(),
        1
    );
    assert_eq!(dispatch::dispatch(&app, Some(MON_9)).await.unwrap().sent, 1);
    let sent = messages::get(app.db(), ctx.ws, prospector_app::store::MessageId(ann.id))
        .await
        .unwrap();
    assert_eq!(sent.subject.as_deref(), Some("Hello Ann, a personal note"));

    // One-click unsubscribe: suppressed, sequence stopped, idempotent.
    let token = sent.unsubscribe_token.clone().unwrap();
    tracking::unsubscribe(&app, &token, "one-click")
        .await
        .unwrap();
    tracking::unsubscribe(&app, &token, "one-click")
        .await
        .unwrap();
    assert!(
        prospector_app::store::suppressions::is_suppressed(
            app.db(),
            ctx.ws,
            "email",
            "ann@a.example"
        )
        .await
        .unwrap()
    );
    let st = campaigns::status(&app, &ctx, id).await.unwrap();
    assert_eq!(st.engagement.unsubscribed, 1);
    assert_eq!(
        st.enrollments.get("stopped"),
        Some(&2),
        "Ann unsubscribed, Ben was rejected"
    );
    assert!(matches!(
        tracking::unsubscribe(&app, "no-such-token", "page").await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn bad_definitions_are_refused_with_the_field() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 100).await;
    let bad = campaign_json(&["one"], "").replace("{{first_name|there}}", "{{frist_name}}");
    let e = campaigns::create(&app, &ctx, &spec::parse(&bad).unwrap())
        .await
        .unwrap_err();
    match e {
        AppError::Validation { field, message } => {
            assert_eq!(field.as_deref(), Some("steps[0].subject"));
            assert!(message.contains("{{frist_name}}"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let e = campaigns::create(
        &app,
        &ctx,
        &spec::parse(&campaign_json(&["nobody"], "")).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("nobody"), "{e}");
    let e = spec::parse(r#"{"name":"x","steps":[{"subject":"a","body":"b","delay_days":-1}]}"#)
        .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { field: Some(ref f), .. } if f == "steps[0].delay_days"),
        "{e:?}"
    );
    let e = senders::create(
        &app,
        &ctx,
        &SenderInput {
            name: "bad".into(),
            kind: "smtp".into(),
            from_email: "not an address".into(),
            smtp_url: Some("smtp://h:25".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::Validation { field: Some(ref f), .. } if f == "from_email"));
    let e = senders::create(
        &app,
        &ctx,
        &SenderInput {
            name: "bad".into(),
            kind: "smtp".into(),
            from_email: "a@b.example".into(),
            smtp_url: Some("smtp://h:25?tls=maybe".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { field: Some(ref f), .. } if f == "smtp_url"),
        "{e:?}"
    );
    // A campaign that is not a draft cannot be started again.
    let id = start_campaign(&app, &ctx, &campaign_json(&["one"], "")).await;
    assert!(matches!(
        campaigns::start(&app, &ctx, id).await,
        Err(AppError::Conflict { .. })
    ));
}

#[tokio::test]
async fn a_campaign_without_a_zone_uses_the_workspace_zone() {
    let (app, ctx, _dir) = setup().await;
    sender(&app, &ctx, "one", "sandbox", None, 100).await;
    prospector_app::store::workspaces::update(
        app.db(),
        ctx.ws,
        &prospector_app::store::workspaces::WorkspaceUpdate {
            name: "Acme Agency".into(),
            time_zone: "Europe/Berlin".into(),
            default_country: "DE".into(),
        },
    )
    .await
    .unwrap();
    let json = r#"{"name":"No zone","senders":["one"],"steps":[{"subject":"Hi","body":"Hello"}]}"#;
    let d = campaigns::create(&app, &ctx, &spec::parse(json).unwrap())
        .await
        .unwrap();
    let sched: serde_json::Value = serde_json::from_str(&d.campaign.f.schedule).unwrap();
    assert_eq!(sched["timezone"], "Europe/Berlin");
    assert_eq!(
        sched["days"],
        serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
    );
    assert_eq!(
        (sched["start"].as_str(), sched["end"].as_str()),
        (Some("09:00"), Some("17:00"))
    );
}
