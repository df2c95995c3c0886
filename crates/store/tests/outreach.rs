//! The outreach store (senders, templates, campaigns, enrollments, the outbox) on the backend
//! chosen by `PROSPECTOR_TEST_BACKEND` (`sqlite`, the default, or `postgres` with
//! `PROSPECTOR_TEST_PG_URL`): round trips, tenant isolation, the optimistic queue check,
//! claims under concurrency, stale attempts, lease expiry and counts. Each test gets a fresh
//! database, dropped at the end on PostgreSQL.

use prospector_store::campaigns::{
    self, CampaignFields, NewCampaign, NewStep, StepFields, VariantFields,
};
use prospector_store::contacts::{self, ContactFields};
use prospector_store::enrollments;
use prospector_store::messages::{
    self, Claim, Engagement, NewLink, NewMessage, QueueStep, Selection, Sent,
};
use prospector_store::senders::{self, SenderFields};
use prospector_store::templates::{self, TemplateFields};
use prospector_store::{
    CampaignId, ContactId, Db, EnrollmentId, SenderId, StoreError, WorkspaceId, workspaces,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

fn backend() -> String {
    std::env::var("PROSPECTOR_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "t_outreach_{:x}_{:x}_{}",
        nanos,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated database; `finish` drops it (PostgreSQL) with its temp dir.
struct TestDb {
    db: Db,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    async fn new() -> TestDb {
        Self::on(&backend()).await
    }

    async fn on(backend: &str) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = match backend {
            "postgres" => {
                let admin = std::env::var("PROSPECTOR_TEST_PG_URL")
                    .expect("PROSPECTOR_TEST_BACKEND=postgres needs PROSPECTOR_TEST_PG_URL");
                let name = unique_name();
                let a = Db::connect(&admin, 1).await.unwrap();
                if let Db::Postgres(p) = &a {
                    sqlx::query(&format!("CREATE DATABASE {name}"))
                        .execute(p)
                        .await
                        .unwrap();
                }
                a.close().await;
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin.clone());
                (format!("{base}/{name}"), Some((admin, name)))
            }
            _ => (
                format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
                None,
            ),
        };
        let db = Db::connect(&url, 12).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, _dir: dir, pg }
    }

    async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.pg {
            let a = Db::connect(&admin, 1).await.unwrap();
            if let Db::Postgres(p) = &a {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(p)
                    .await
                    .unwrap();
            }
            a.close().await;
        }
    }
}

async fn workspace(db: &Db, slug: &str) -> WorkspaceId {
    workspaces::create(db, slug, slug).await.unwrap().wid()
}

async fn contact(db: &Db, ws: WorkspaceId, email: &str) -> ContactId {
    let mut f = ContactFields::new("manual");
    f.email = Some(email.into());
    f.first_name = Some("Ada".into());
    contacts::insert(db, ws, &f).await.unwrap().cid()
}

async fn sender(db: &Db, ws: WorkspaceId, name: &str) -> SenderId {
    let mut f = SenderFields::new(name, "smtp", &format!("{name}@example.com"), 100);
    f.config = r#"{"host":"127.0.0.1","port":2525,"tls":"none"}"#.into();
    f.secret = Some("ENCRYPTED-BLOB".into());
    senders::insert(db, ws, &f).await.unwrap().sid()
}

fn two_step_campaign(name: &str, senders: Vec<SenderId>) -> NewCampaign {
    NewCampaign {
        f: CampaignFields::named(name),
        created_by: None,
        steps: vec![
            NewStep {
                f: StepFields::email(0, "Hello {{first_name}}", "First touch"),
                variants: vec![
                    VariantFields {
                        label: "A".into(),
                        subject: Some("Hi A".into()),
                        body_text: None,
                        body_html: None,
                        weight: 1,
                    },
                    VariantFields {
                        label: "B".into(),
                        subject: Some("Hi B".into()),
                        body_text: None,
                        body_html: None,
                        weight: 1,
                    },
                ],
            },
            NewStep {
                f: StepFields::email(3, "Following up", "Second touch"),
                variants: vec![],
            },
        ],
        sender_ids: senders,
    }
}

/// An active campaign with one sender and `n` enrolled contacts, due now.
struct Fixture {
    ws: WorkspaceId,
    sender: SenderId,
    campaign: campaigns::CampaignDetail,
    contacts: Vec<ContactId>,
}

async fn fixture(db: &Db, slug: &str, n: usize) -> Fixture {
    let ws = workspace(db, slug).await;
    let sender = sender(db, ws, "main").await;
    let campaign = campaigns::insert(db, ws, &two_step_campaign("Spring", vec![sender]))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(contact(db, ws, &format!("c{i}@{slug}.test")).await);
    }
    let raw: Vec<i64> = ids.iter().map(|c| c.0).collect();
    let now = prospector_core::time::now_ms();
    assert_eq!(
        enrollments::enroll(db, ws, campaign.campaign.cid(), &raw, Some(now))
            .await
            .unwrap(),
        n as u64
    );
    assert!(
        campaigns::set_state(db, ws, campaign.campaign.cid(), "active", &["draft"], None)
            .await
            .unwrap()
    );
    Fixture {
        ws,
        sender,
        campaign,
        contacts: ids,
    }
}

fn email_to(to: &str, sender: SenderId, token: &str) -> NewMessage {
    NewMessage {
        channel: "email".into(),
        sender_id: Some(sender),
        from_address: Some("main@example.com".into()),
        to_address: to.into(),
        subject: Some("Hello".into()),
        body_text: "Hi there".into(),
        message_id_header: Some(format!(
            "<{}.{token}@example.com>",
            messages::ID_PLACEHOLDER
        )),
        unsubscribe_token: Some(format!("u-{token}")),
        scheduled_at: 0,
        ..Default::default()
    }
}

async fn queue_first_step(db: &Db, f: &Fixture, i: usize) -> messages::Message {
    let e = enrollments::find(db, f.ws, f.campaign.campaign.cid(), f.contacts[i])
        .await
        .unwrap()
        .unwrap();
    let mut m = email_to(&format!("c{i}@x.test"), f.sender, &format!("{}-{i}", f.ws));
    m.step_id = Some(f.campaign.steps[0].sid());
    m.variant_id = Some(f.campaign.steps[0].variants[i % 2].vid());
    messages::queue_step_message(
        db,
        f.ws,
        &QueueStep {
            enrollment_id: Some(e.eid()),
            expected_step: 0,
            next_at: Some(prospector_core::time::now_ms() + 3 * 86_400_000),
            complete: false,
            message: m,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .expect("queued")
}

fn claim(now: i64, limit: i64, attempt: &str) -> Claim<'_> {
    Claim {
        now,
        lease_ms: 60_000,
        limit,
        attempt_id: attempt,
        channel: None,
    }
}

fn far_future() -> i64 {
    prospector_core::time::now_ms() + 365 * 86_400_000
}

const OUTREACH_TABLES: &[&str] = &[
    "campaign_senders",
    "enrollments",
    "message_events",
    "messages",
    "outreach_campaigns",
    "senders",
    "sequence_steps",
    "step_variants",
    "templates",
    "tracking_links",
];

async fn index_names(db: &Db) -> Vec<String> {
    let mut names: Vec<String> = match db {
        Db::Sqlite(p) => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    names.retain(|n| {
        OUTREACH_TABLES
            .iter()
            .any(|t| n.starts_with(&format!("{t}_")) || n.starts_with("outreach_"))
    });
    names.sort();
    names
}

#[tokio::test]
async fn both_backends_have_the_same_outreach_schema() {
    let t = TestDb::new().await;
    let summary = t.db.schema_summary().await.unwrap();
    for table in OUTREACH_TABLES {
        assert!(
            summary.iter().any(|(n, _)| n == table),
            "{table} missing on {}",
            backend()
        );
    }
    // With a PostgreSQL server at hand, compare the two backends' tables, columns and
    // outreach indexes directly.
    if std::env::var("PROSPECTOR_TEST_PG_URL").is_ok() {
        let other = TestDb::on(if backend() == "postgres" {
            "sqlite"
        } else {
            "postgres"
        })
        .await;
        let norm = |mut s: Vec<(String, Vec<String>)>| {
            for (_, c) in s.iter_mut() {
                c.sort();
            }
            s.sort();
            s
        };
        assert_eq!(
            norm(summary.clone()),
            norm(other.db.schema_summary().await.unwrap())
        );
        assert_eq!(index_names(&t.db).await, index_names(&other.db).await);
        other.finish().await;
    }
    t.finish().await;
}

#[tokio::test]
async fn senders_round_trip_and_health() {
    let t = TestDb::new().await;
    let db = &t.db;
    let ws = workspace(db, "acme").await;
    let id = sender(db, ws, "main").await;
    let s = senders::get(db, ws, id).await.unwrap();
    assert_eq!(s.f.kind, "smtp");
    assert_eq!(s.f.secret.as_deref(), Some("ENCRYPTED-BLOB"));
    assert_eq!(s.state, senders::ACTIVE);
    let json = serde_json::to_string(&s).unwrap();
    assert!(
        !json.contains("ENCRYPTED"),
        "secrets are never serialised: {json}"
    );

    let dup = senders::insert(
        db,
        ws,
        &SenderFields::new("main", "smtp", "x@example.com", 5),
    )
    .await;
    assert!(
        matches!(&dup, Err(e) if e.is_conflict_on("name")),
        "{dup:?}"
    );

    let mut f = s.f.clone();
    f.daily_limit = 250;
    f.warmup_start = Some(10);
    f.warmup_increment = 5;
    f.dkim_selector = Some("p1".into());
    f.dkim_domain = Some("example.com".into());
    f.dkim_private_key = Some("ENC-KEY".into());
    let s = senders::update(db, ws, id, &f).await.unwrap();
    assert_eq!(s.f.daily_limit, 250);
    assert_eq!(s.f.warmup_start, Some(10));
    assert_eq!(senders::get_by_name(db, ws, "main").await.unwrap().id, id.0);
    sender(db, ws, "backup").await;
    let names: Vec<String> = senders::list(db, ws)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.f.name)
        .collect();
    assert_eq!(names, vec!["backup", "main"]);

    assert_eq!(
        senders::record_failure(db, ws, id, "421 busy", 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        senders::record_failure(db, ws, id, "421 busy", 11)
            .await
            .unwrap(),
        2
    );
    assert!(
        senders::set_state(db, ws, id, senders::PAUSED, Some("2 failures in a row"))
            .await
            .unwrap()
    );
    let s = senders::get(db, ws, id).await.unwrap();
    assert_eq!(
        (s.state.as_str(), s.paused_reason.as_deref()),
        ("paused", Some("2 failures in a row"))
    );
    assert_eq!(s.last_error.as_deref(), Some("421 busy"));
    assert!(
        senders::set_state(db, ws, id, senders::ACTIVE, None)
            .await
            .unwrap()
    );
    senders::record_success(db, ws, id, 12).await.unwrap();
    let s = senders::get(db, ws, id).await.unwrap();
    assert_eq!(
        (s.consecutive_failures, s.last_used_at, s.last_error),
        (0, Some(12), None)
    );

    assert!(senders::delete(db, ws, id).await.unwrap());
    assert!(matches!(
        senders::get(db, ws, id).await,
        Err(StoreError::NotFound)
    ));
    assert!(!senders::delete(db, ws, id).await.unwrap());
    t.finish().await;
}

#[tokio::test]
async fn templates_round_trip_search_and_delete_guard() {
    let t = TestDb::new().await;
    let db = &t.db;
    let ws = workspace(db, "acme").await;
    let a = templates::insert(
        db,
        ws,
        &TemplateFields::email("Welcome", "Hi {{first_name}}", "Body"),
    )
    .await
    .unwrap();
    templates::insert(
        db,
        ws,
        &TemplateFields::email("Follow-up 100%", "Checking in", "Body"),
    )
    .await
    .unwrap();
    let mut wa = TemplateFields::email("wa hello", "", "Hola");
    wa.channel = "whatsapp".into();
    wa.subject = None;
    templates::insert(db, ws, &wa).await.unwrap();
    assert!(
        templates::insert(db, ws, &TemplateFields::email("Welcome", "x", "y"))
            .await
            .unwrap_err()
            .is_conflict_on("name")
    );

    let names = |v: Vec<templates::Template>| v.into_iter().map(|t| t.f.name).collect::<Vec<_>>();
    assert_eq!(
        names(
            templates::list(db, ws, Some("WELCOME"), None, None, 50)
                .await
                .unwrap()
        ),
        vec!["Welcome"]
    );
    assert_eq!(
        names(
            templates::list(db, ws, Some("checking"), None, None, 50)
                .await
                .unwrap()
        ),
        vec!["Follow-up 100%"]
    );
    assert_eq!(
        names(
            templates::list(db, ws, Some("100%"), None, None, 50)
                .await
                .unwrap()
        ),
        vec!["Follow-up 100%"]
    );
    assert_eq!(
        names(
            templates::list(db, ws, Some("0%%"), None, None, 50)
                .await
                .unwrap()
        )
        .len(),
        0
    );
    assert_eq!(
        names(
            templates::list(db, ws, None, Some("whatsapp"), None, 50)
                .await
                .unwrap()
        ),
        vec!["wa hello"]
    );
    let all = templates::list(db, ws, None, None, None, 2).await.unwrap();
    assert_eq!(all.len(), 2);
    let rest = templates::list(db, ws, None, None, Some(all[1].id), 2)
        .await
        .unwrap();
    assert_eq!(names(rest), vec!["Welcome"]);

    let mut f = a.f.clone();
    f.body_html = Some("<p>Body</p>".into());
    f.variables = r#"["first_name"]"#.into();
    let a2 = templates::update(db, ws, a.tid(), &f).await.unwrap();
    assert_eq!(a2.f.variables, r#"["first_name"]"#);
    assert_eq!(
        templates::get_by_name(db, ws, "Welcome").await.unwrap().id,
        a.id
    );

    // A template used by a step cannot be deleted.
    let mut c = two_step_campaign("Uses template", vec![]);
    c.steps[1].f.template_id = Some(a.id);
    campaigns::insert(db, ws, &c).await.unwrap();
    assert!(
        templates::delete(db, ws, a.tid())
            .await
            .unwrap_err()
            .is_conflict_on("template_id")
    );
    let unused = templates::get_by_name(db, ws, "wa hello").await.unwrap();
    templates::delete(db, ws, unused.tid()).await.unwrap();
    assert!(matches!(
        templates::delete(db, ws, unused.tid()).await,
        Err(StoreError::NotFound)
    ));
    t.finish().await;
}

#[tokio::test]
async fn campaigns_are_written_whole_and_change_state_conditionally() {
    let t = TestDb::new().await;
    let db = &t.db;
    let ws = workspace(db, "acme").await;
    let other = workspace(db, "other").await;
    let s1 = sender(db, ws, "one").await;
    let s2 = sender(db, ws, "two").await;
    let foreign_sender = sender(db, other, "theirs").await;

    let c = campaigns::insert(db, ws, &two_step_campaign("Spring", vec![s2, s1, s2]))
        .await
        .unwrap();
    assert_eq!(c.campaign.state, "draft");
    assert_eq!(c.steps.len(), 2);
    assert_eq!((c.steps[0].position, c.steps[1].position), (0, 1));
    assert_eq!(c.steps[1].f.delay_days, 3);
    let labels: Vec<&str> = c.steps[0]
        .variants
        .iter()
        .map(|v| v.f.label.as_str())
        .collect();
    assert_eq!(labels, vec!["A", "B"]);
    let order: Vec<i64> = c.senders.iter().map(|s| s.id).collect();
    assert_eq!(
        order,
        vec![s2.0, s1.0],
        "rotation order kept, duplicates dropped"
    );

    // A sender (or template) of another workspace fails the whole insert.
    let before = campaigns::list(db, ws, None, None, None, 100)
        .await
        .unwrap()
        .len();
    let bad = campaigns::insert(db, ws, &two_step_campaign("Bad", vec![s1, foreign_sender])).await;
    assert!(matches!(bad, Err(StoreError::NotFound)), "{bad:?}");
    let foreign_template = templates::insert(db, other, &TemplateFields::email("T", "s", "b"))
        .await
        .unwrap();
    let mut bad = two_step_campaign("Bad2", vec![s1]);
    bad.steps[0].f.template_id = Some(foreign_template.id);
    assert!(matches!(
        campaigns::insert(db, ws, &bad).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        campaigns::list(db, ws, None, None, None, 100)
            .await
            .unwrap()
            .len(),
        before
    );
    let step_rows: i64 = match db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sequence_steps")
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sequence_steps")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert_eq!(step_rows, 2, "rolled-back inserts left no steps behind");

    // Edits.
    let mut f = c.campaign.f.clone();
    f.track_opens = true;
    f.min_gap_seconds = 90;
    f.schedule = r#"{"timezone":"UTC"}"#.into();
    let u = campaigns::update(db, ws, c.campaign.cid(), &f)
        .await
        .unwrap();
    assert!(u.f.track_opens && !u.f.track_clicks);
    assert_eq!(u.f.min_gap_seconds, 90);
    let mut new_steps = vec![NewStep {
        f: StepFields::email(0, "Only", "One"),
        variants: vec![],
    }];
    assert!(
        campaigns::replace_steps(db, ws, c.campaign.cid(), &new_steps)
            .await
            .unwrap()
    );
    let steps = campaigns::steps_of(db, ws, c.campaign.cid()).await.unwrap();
    assert_eq!(steps.len(), 1);
    let mut sf = steps[0].f.clone();
    sf.subject = Some("Edited".into());
    assert_eq!(
        campaigns::update_step(db, ws, steps[0].sid(), &sf)
            .await
            .unwrap()
            .f
            .subject
            .as_deref(),
        Some("Edited")
    );
    campaigns::set_senders(db, ws, c.campaign.cid(), &[s1])
        .await
        .unwrap();
    assert_eq!(
        campaigns::get(db, ws, c.campaign.cid())
            .await
            .unwrap()
            .senders
            .len(),
        1
    );
    assert!(matches!(
        campaigns::set_senders(db, ws, c.campaign.cid(), &[foreign_sender]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        campaigns::get(db, ws, c.campaign.cid())
            .await
            .unwrap()
            .senders
            .len(),
        1
    );

    // State changes only from the allowed states.
    let id = c.campaign.cid();
    assert!(
        campaigns::set_state(db, ws, id, "active", &["draft", "paused"], None)
            .await
            .unwrap()
    );
    let started = campaigns::get_campaign(db, ws, id)
        .await
        .unwrap()
        .started_at;
    assert!(started.is_some());
    assert!(
        !campaigns::set_state(db, ws, id, "active", &["draft", "paused"], None)
            .await
            .unwrap()
    );
    assert!(
        campaigns::set_state(db, ws, id, "paused", &["active"], Some("too many errors"))
            .await
            .unwrap()
    );
    let p = campaigns::get_campaign(db, ws, id).await.unwrap();
    assert_eq!(
        (p.state.as_str(), p.state_reason.as_deref()),
        ("paused", Some("too many errors"))
    );
    assert!(
        campaigns::set_state(db, ws, id, "active", &["paused"], None)
            .await
            .unwrap()
    );
    assert_eq!(
        campaigns::get_campaign(db, ws, id)
            .await
            .unwrap()
            .started_at,
        started
    );
    assert_eq!(campaigns::active_ids(db).await.unwrap(), vec![(ws, id)]);
    new_steps[0].f.subject = Some("Too late".into());
    assert!(
        !campaigns::replace_steps(db, ws, id, &new_steps)
            .await
            .unwrap()
    );
    assert!(
        !campaigns::delete(db, ws, id).await.unwrap(),
        "only drafts are deleted"
    );
    assert!(matches!(
        campaigns::set_state(db, ws, CampaignId(id.0 + 1000), "active", &["draft"], None).await,
        Err(StoreError::NotFound)
    ));

    let draft = campaigns::insert(db, ws, &two_step_campaign("Draft", vec![s1]))
        .await
        .unwrap();
    assert!(
        campaigns::delete(db, ws, draft.campaign.cid())
            .await
            .unwrap()
    );
    assert!(matches!(
        campaigns::get(db, ws, draft.campaign.cid()).await,
        Err(StoreError::NotFound)
    ));
    let listed = campaigns::list(db, ws, Some("active"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].campaign.id, id.0);
    t.finish().await;
}

#[tokio::test]
async fn another_workspace_cannot_read_or_change_by_id() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 2).await;
    let intruder = workspace(db, "intruder").await;
    let m = queue_first_step(db, &f, 0).await;
    let cid = f.campaign.campaign.cid();
    let tpl = templates::insert(db, f.ws, &TemplateFields::email("Mine", "s", "b"))
        .await
        .unwrap();

    assert!(matches!(
        senders::get(db, intruder, f.sender).await,
        Err(StoreError::NotFound)
    ));
    let sf = SenderFields::new("stolen", "smtp", "x@example.com", 1);
    assert!(matches!(
        senders::update(db, intruder, f.sender, &sf).await,
        Err(StoreError::NotFound)
    ));
    assert!(!senders::delete(db, intruder, f.sender).await.unwrap());
    assert!(
        !senders::set_state(db, intruder, f.sender, "paused", Some("x"))
            .await
            .unwrap()
    );
    assert!(matches!(
        senders::record_failure(db, intruder, f.sender, "e", 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(senders::list(db, intruder).await.unwrap().is_empty());
    assert!(matches!(
        templates::get(db, intruder, tpl.tid()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        templates::update(db, intruder, tpl.tid(), &tpl.f).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        templates::delete(db, intruder, tpl.tid()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        campaigns::get(db, intruder, cid).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        campaigns::update(db, intruder, cid, &f.campaign.campaign.f).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        campaigns::set_state(db, intruder, cid, "stopped", &["active"], None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        campaigns::delete(db, intruder, cid).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        campaigns::update_step(
            db,
            intruder,
            f.campaign.steps[0].sid(),
            &f.campaign.steps[0].f
        )
        .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        campaigns::list(db, intruder, None, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Enrolling into another workspace's campaign, or another workspace's contacts.
    assert!(matches!(
        enrollments::enroll(db, intruder, cid, &[f.contacts[0].0], None).await,
        Err(StoreError::NotFound)
    ));
    let own = campaigns::insert(db, intruder, &two_step_campaign("Own", vec![]))
        .await
        .unwrap();
    assert_eq!(
        enrollments::enroll(db, intruder, own.campaign.cid(), &[f.contacts[0].0], None)
            .await
            .unwrap(),
        0
    );
    let e = EnrollmentId(m.enrollment_id.unwrap());
    assert!(matches!(
        enrollments::get(db, intruder, e).await,
        Err(StoreError::NotFound)
    ));
    assert!(!enrollments::stop(db, intruder, e, "x").await.unwrap());
    let q = QueueStep {
        enrollment_id: Some(EnrollmentId(
            enrollments::find(db, f.ws, cid, f.contacts[1])
                .await
                .unwrap()
                .unwrap()
                .id,
        )),
        expected_step: 0,
        message: email_to("x@x.test", f.sender, "intruder"),
        ..Default::default()
    };
    assert!(
        messages::queue_step_message(db, intruder, &q)
            .await
            .unwrap()
            .is_none()
    );

    // Messages.
    let mid = m.mid();
    assert!(matches!(
        messages::get(db, intruder, mid).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        messages::events(db, intruder, mid)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        messages::append_event(db, intruder, mid, "note", None, "{}", 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        messages::record(db, intruder, mid, Engagement::Opened, None, "{}", 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        messages::cancel(db, intruder, Selection::Ids(&[mid]), "x")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        messages::cancel(db, intruder, Selection::Campaign(cid), "x")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        messages::list_for_campaign(db, intruder, cid, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        messages::status_counts(db, intruder, cid)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = messages::claim_for_sending(db, &claim(far_future(), 10, "a1"))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        !messages::mark_sent(db, intruder, mid, "a1", &Sent::default(), 5)
            .await
            .unwrap()
    );
    assert!(
        !messages::mark_failed(db, intruder, mid, "a1", "x", 5)
            .await
            .unwrap()
    );
    assert_eq!(
        messages::get(db, f.ws, mid).await.unwrap().status,
        "sending"
    );
    t.finish().await;
}

#[tokio::test]
async fn a_step_is_queued_once_with_its_enrollment_moved_on() {
    let t = TestDb::new().await;
    let db = &t.db;
    let ws = workspace(db, "acme").await;
    let s = sender(db, ws, "main").await;
    let c = campaigns::insert(db, ws, &two_step_campaign("Spring", vec![s]))
        .await
        .unwrap();
    let cid = c.campaign.cid();
    let a = contact(db, ws, "a@x.test").await;
    let b = contact(db, ws, "b@x.test").await;
    let other_ws = workspace(db, "other").await;
    let foreign = contact(db, other_ws, "z@x.test").await;
    let now = prospector_core::time::now_ms();
    assert_eq!(
        enrollments::enroll(db, ws, cid, &[a.0, b.0, a.0, foreign.0, 999_999], Some(now))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        enrollments::enroll(db, ws, cid, &[a.0, b.0], Some(now))
            .await
            .unwrap(),
        0
    );
    assert!(
        enrollments::due(db, now, 100).await.unwrap().is_empty(),
        "draft campaigns are not due"
    );
    campaigns::set_state(db, ws, cid, "active", &["draft"], None)
        .await
        .unwrap();
    let due = enrollments::due(db, now, 100).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(
        enrollments::due_in_campaign(db, ws, cid, now, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    let page = enrollments::list(db, ws, cid, None, None, 1).await.unwrap();
    assert_eq!(page[0].contact_id, a.0);
    let page2 = enrollments::list(db, ws, cid, None, Some(a.0), 10)
        .await
        .unwrap();
    assert_eq!(
        page2.iter().map(|e| e.contact_id).collect::<Vec<_>>(),
        vec![b.0]
    );

    let e = enrollments::find(db, ws, cid, a).await.unwrap().unwrap();
    let next = now + 3 * 86_400_000;
    let q = QueueStep {
        enrollment_id: Some(e.eid()),
        expected_step: 0,
        next_at: Some(next),
        complete: false,
        message: NewMessage {
            step_id: Some(c.steps[0].sid()),
            links: vec![NewLink {
                token: "lnk-1".into(),
                url: "https://example.com/a".into(),
            }],
            ..email_to("a@x.test", s, "k1")
        },
        ..Default::default()
    };
    let m = messages::queue_step_message(db, ws, &q)
        .await
        .unwrap()
        .expect("first time");
    assert_eq!(m.status, "queued");
    assert_eq!(
        m.campaign_id,
        Some(cid.0),
        "campaign and contact come from the enrollment"
    );
    assert_eq!(m.contact_id, Some(a.0));
    assert_eq!(m.enrollment_id, Some(e.id));
    assert_eq!(
        m.message_id_header.as_deref(),
        Some(format!("<{}.k1@example.com>", m.id).as_str())
    );
    assert!(
        messages::queue_step_message(db, ws, &q)
            .await
            .unwrap()
            .is_none(),
        "moved on"
    );
    assert_eq!(
        messages::list_for_campaign(db, ws, cid, None, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let e2 = enrollments::get(db, ws, e.eid()).await.unwrap();
    assert_eq!(
        (
            e2.current_step,
            e2.next_at,
            e2.last_message_id,
            e2.sender_id
        ),
        (1, Some(next), Some(m.id), Some(s.0))
    );
    let kinds: Vec<String> = messages::events(db, ws, m.mid())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["queued"]);
    assert_eq!(messages::links_of(db, ws, m.mid()).await.unwrap().len(), 1);
    assert_eq!(enrollments::due(db, now, 100).await.unwrap().len(), 1);

    // Many ticks racing over the same enrollment queue one message.
    let eb = enrollments::find(db, ws, cid, b).await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = db.clone();
        let mut q = q.clone();
        q.enrollment_id = Some(eb.eid());
        q.message = email_to("b@x.test", s, &format!("race{i}"));
        q.message.links.clear();
        tasks.push(tokio::spawn(async move {
            messages::queue_step_message(&db, ws, &q).await
        }));
    }
    let mut queued = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().is_some() {
            queued += 1;
        }
    }
    assert_eq!(queued, 1);
    assert_eq!(
        messages::list_for_contact(db, ws, b, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // A stopped enrollment is not queued; the last step completes it.
    let mut last = q.clone();
    last.expected_step = 1;
    last.next_at = None;
    last.complete = true;
    last.message = email_to("a@x.test", s, "k2");
    let m2 = messages::queue_step_message(db, ws, &last)
        .await
        .unwrap()
        .unwrap();
    let e3 = enrollments::get(db, ws, e.eid()).await.unwrap();
    assert_eq!(
        (
            e3.state.as_str(),
            e3.current_step,
            e3.next_at,
            e3.last_message_id
        ),
        ("completed", 2, None, Some(m2.id))
    );
    assert_eq!(
        enrollments::stop_for_contact(db, ws, b, "replied")
            .await
            .unwrap(),
        1
    );
    let mut q_b = last.clone();
    q_b.enrollment_id = Some(eb.eid());
    q_b.message = email_to("b@x.test", s, "k3");
    assert!(
        messages::queue_step_message(db, ws, &q_b)
            .await
            .unwrap()
            .is_none()
    );
    let sb = enrollments::get(db, ws, eb.eid()).await.unwrap();
    assert_eq!(
        (sb.state.as_str(), sb.stop_reason.as_deref()),
        ("stopped", Some("replied"))
    );
    let counts = enrollments::counts_by_state(db, ws, cid).await.unwrap();
    assert_eq!(
        (counts.get("completed"), counts.get("stopped")),
        (Some(&1), Some(&1))
    );

    // Advancing without sending is optimistic too.
    let c2 = contact(db, ws, "c@x.test").await;
    enrollments::enroll(db, ws, cid, &[c2.0], Some(now))
        .await
        .unwrap();
    let ec = enrollments::find(db, ws, cid, c2).await.unwrap().unwrap();
    assert!(
        enrollments::advance(db, ws, ec.eid(), 0, Some(now + 1))
            .await
            .unwrap()
    );
    assert!(
        !enrollments::advance(db, ws, ec.eid(), 0, Some(now + 1))
            .await
            .unwrap()
    );
    assert!(
        enrollments::pause(db, ws, ec.eid(), "out of office")
            .await
            .unwrap()
    );
    assert!(
        !enrollments::set_next_at(db, ws, ec.eid(), Some(now))
            .await
            .unwrap()
    );
    assert!(
        enrollments::resume(db, ws, ec.eid(), Some(now + 5))
            .await
            .unwrap()
    );
    assert_eq!(
        enrollments::get(db, ws, ec.eid()).await.unwrap().next_at,
        Some(now + 5)
    );
    assert_eq!(
        enrollments::stop_all_in_campaign(db, ws, cid, "campaign stopped")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        enrollments::of_contact(db, ws, c2).await.unwrap()[0].state,
        "stopped"
    );
    t.finish().await;
}

#[tokio::test]
async fn claims_and_outcomes_follow_the_attempt() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 4).await;
    let mut ms = Vec::new();
    for i in 0..4 {
        ms.push(queue_first_step(db, &f, i).await);
    }
    let now = prospector_core::time::now_ms();
    let got = messages::claim_for_sending(db, &claim(now, 2, "w1-1"))
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ms[0].id, ms[1].id]
    );
    assert!(got.iter().all(|m| m.status == "sending"
        && m.attempts == 1
        && m.attempt_id.as_deref() == Some("w1-1")
        && m.locked_until == Some(now + 60_000)
        && m.attempted_at == Some(now)));
    let (m0, m1) = (got[0].mid(), got[1].mid());

    // Only the attempt that holds a message records its outcome.
    assert!(
        !messages::mark_sent(db, f.ws, m0, "someone-else", &Sent::default(), now)
            .await
            .unwrap()
    );
    let sent = Sent {
        provider_id: Some("prov-1".into()),
        response: "250 2.0.0 Ok: queued".into(),
        cost_minor: Some(3),
        currency: Some("EUR".into()),
    };
    assert!(
        messages::mark_sent(db, f.ws, m0, "w1-1", &sent, now + 5)
            .await
            .unwrap()
    );
    assert!(
        !messages::mark_sent(db, f.ws, m0, "w1-1", &sent, now + 6)
            .await
            .unwrap(),
        "once"
    );
    assert!(
        !messages::mark_failed(db, f.ws, m0, "w1-1", "late", now + 6)
            .await
            .unwrap()
    );
    let s0 = messages::get(db, f.ws, m0).await.unwrap();
    assert_eq!(
        (
            s0.status.as_str(),
            s0.provider_id.as_deref(),
            s0.sent_at,
            s0.cost_minor
        ),
        ("sent", Some("prov-1"), Some(now + 5), Some(3))
    );
    assert_eq!(
        messages::find_by_provider_id(db, f.ws, "prov-1")
            .await
            .unwrap()
            .unwrap()
            .id,
        m0.0
    );
    let ev = messages::events(db, f.ws, m0).await.unwrap();
    assert_eq!(
        ev.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        vec!["queued", "sending", "sent"]
    );
    assert_eq!(ev[2].detail.as_deref(), Some("250 2.0.0 Ok: queued"));

    // A temporary failure goes back to the queue for later.
    assert!(
        messages::mark_retry(db, f.ws, m1, "w1-1", "451 try later", now + 60_000, now)
            .await
            .unwrap()
    );
    let r = messages::get(db, f.ws, m1).await.unwrap();
    assert_eq!(
        (r.status.as_str(), r.scheduled_at, r.error.as_deref()),
        ("queued", now + 60_000, Some("451 try later"))
    );
    let next = messages::claim_for_sending(db, &claim(now + 1, 10, "w1-2"))
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ms[2].id, ms[3].id]
    );
    assert!(
        messages::mark_failed(db, f.ws, next[0].mid(), "w1-2", "550 no such user", now)
            .await
            .unwrap()
    );
    assert_eq!(
        messages::get(db, f.ws, next[0].mid()).await.unwrap().status,
        "failed"
    );
    assert!(
        messages::mark_cancelled(db, f.ws, next[1].mid(), "w1-2", "suppressed", now)
            .await
            .unwrap()
    );
    let later = messages::claim_for_sending(db, &claim(now + 60_000, 10, "w1-3"))
        .await
        .unwrap();
    assert_eq!(later.iter().map(|m| m.id).collect::<Vec<_>>(), vec![m1.0]);
    assert_eq!(later[0].attempts, 2);
    assert!(
        !messages::mark_sent(db, f.ws, m1, "w1-1", &Sent::default(), now)
            .await
            .unwrap(),
        "superseded attempt"
    );
    assert_eq!(
        messages::extend_lease(db, "w1-3", &[m1], now + 120_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        messages::extend_lease(db, "w1-1", &[m1], now + 120_000)
            .await
            .unwrap(),
        0
    );
    assert!(
        messages::mark_sent(
            db,
            f.ws,
            m1,
            "w1-3",
            &Sent {
                response: "250 ok".into(),
                ..Default::default()
            },
            now
        )
        .await
        .unwrap()
    );

    // Counting for the daily limit: sent, sending and uncertain attempts since a time.
    assert_eq!(
        senders::sent_since(db, f.ws, f.sender, now).await.unwrap(),
        2
    );
    assert_eq!(
        senders::sent_since(db, f.ws, f.sender, now + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        senders::sent_since_by_sender(db, f.ws, now).await.unwrap(),
        vec![(f.sender, 2)]
    );
    let counts = messages::status_counts(db, f.ws, f.campaign.campaign.cid())
        .await
        .unwrap();
    assert_eq!(
        (
            counts.get("sent"),
            counts.get("failed"),
            counts.get("cancelled")
        ),
        (Some(&2), Some(&1), Some(&1))
    );
    t.finish().await;
}

#[tokio::test]
async fn paused_campaigns_and_senders_hold_their_messages() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 2).await;
    let cid = f.campaign.campaign.cid();
    queue_first_step(db, &f, 0).await;
    let test_send = messages::queue(db, f.ws, &email_to("me@x.test", f.sender, "test"))
        .await
        .unwrap();
    assert_eq!(test_send.campaign_id, None);
    assert!(
        test_send
            .message_id_header
            .unwrap()
            .starts_with(&format!("<{}.", test_send.id))
    );
    let now = far_future();

    campaigns::set_state(db, f.ws, cid, "paused", &["active"], None)
        .await
        .unwrap();
    let got = messages::claim_for_sending(db, &claim(now, 10, "a"))
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![test_send.id],
        "only the test send"
    );
    campaigns::set_state(db, f.ws, cid, "active", &["paused"], None)
        .await
        .unwrap();
    senders::set_state(db, f.ws, f.sender, senders::PAUSED, Some("auth failed"))
        .await
        .unwrap();
    assert!(
        messages::claim_for_sending(db, &claim(now, 10, "b"))
            .await
            .unwrap()
            .is_empty()
    );
    senders::set_state(db, f.ws, f.sender, senders::ACTIVE, None)
        .await
        .unwrap();
    let mut c = claim(now, 10, "c");
    c.channel = Some("whatsapp");
    assert!(
        messages::claim_for_sending(db, &c)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        messages::claim_for_sending(db, &claim(now, 10, "d"))
            .await
            .unwrap()
            .len(),
        1
    );
    t.finish().await;
}

#[tokio::test]
async fn expired_leases_become_uncertain_never_queued() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 2).await;
    let a = queue_first_step(db, &f, 0).await;
    let b = queue_first_step(db, &f, 1).await;
    let now = prospector_core::time::now_ms();
    let got = messages::claim_for_sending(db, &claim(now, 10, "dead-worker"))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        messages::expire_sending(db, now + 59_999).await.unwrap(),
        0,
        "lease still held"
    );
    assert_eq!(messages::expire_sending(db, now + 60_001).await.unwrap(), 2);
    assert_eq!(messages::expire_sending(db, now + 60_002).await.unwrap(), 0);
    let ua = messages::get(db, f.ws, a.mid()).await.unwrap();
    assert_eq!((ua.status.as_str(), ua.locked_until), ("uncertain", None));
    let kinds: Vec<String> = messages::events(db, f.ws, a.mid())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["queued", "sending", "uncertain"]);
    assert!(
        messages::claim_for_sending(db, &claim(far_future(), 10, "w2"))
            .await
            .unwrap()
            .is_empty()
    );

    // The attempt that held it may still report its true outcome; nobody else can.
    assert!(
        !messages::mark_sent(db, f.ws, a.mid(), "other", &Sent::default(), now)
            .await
            .unwrap()
    );
    assert!(
        messages::mark_sent(db, f.ws, a.mid(), "dead-worker", &Sent::default(), now)
            .await
            .unwrap()
    );
    assert_eq!(
        messages::get(db, f.ws, a.mid()).await.unwrap().status,
        "sent"
    );

    // An explicit retry queues it again with the same Message-ID; the old attempt is stale.
    let retried = messages::retry_uncertain(db, f.ws, Selection::Ids(&[a.mid(), b.mid()]), now)
        .await
        .unwrap();
    assert_eq!(retried, vec![b.mid()], "only uncertain messages");
    let again = messages::claim_for_sending(db, &claim(now + 1, 10, "w3"))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id_header, b.message_id_header);
    assert_eq!(again[0].attempts, 2);
    assert!(
        !messages::mark_sent(db, f.ws, b.mid(), "dead-worker", &Sent::default(), now)
            .await
            .unwrap()
    );
    assert!(
        messages::mark_sent(db, f.ws, b.mid(), "w3", &Sent::default(), now)
            .await
            .unwrap()
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_take_each_message_exactly_once() {
    let t = TestDb::new().await;
    let db = &t.db;
    let ws = workspace(db, "bulk").await;
    let s = sender(db, ws, "main").await;
    let mut tasks = Vec::new();
    for chunk in 0..10 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                let n = chunk * 100 + i;
                messages::queue(
                    &db,
                    ws,
                    &email_to(&format!("r{n}@x.test"), s, &format!("bulk{n}")),
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let now = prospector_core::time::now_ms();
    let mut workers = Vec::new();
    for w in 0..8 {
        let db = db.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut round = 0;
            loop {
                let attempt = format!("w{w}-{round}");
                round += 1;
                let got = messages::claim_for_sending(&db, &claim(now, 25, &attempt))
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                for m in got {
                    assert_eq!(m.attempt_id.as_deref(), Some(attempt.as_str()));
                    assert!(
                        messages::mark_sent(
                            &db,
                            m.workspace(),
                            m.mid(),
                            &attempt,
                            &Sent::default(),
                            now
                        )
                        .await
                        .unwrap()
                    );
                    mine.push(m.id);
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    let mut busy_workers = 0;
    for w in workers {
        let mine = w.await.unwrap();
        busy_workers += usize::from(!mine.is_empty());
        all.extend(mine);
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 1000, "every message claimed");
    assert_eq!(distinct.len(), 1000, "no message claimed twice");
    if backend() == "postgres" {
        assert!(busy_workers > 1, "claims ran side by side");
    }
    let sending_events: i64 = match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM message_events WHERE kind = 'sending'")
                .fetch_one(p)
                .await
                .unwrap()
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM message_events WHERE kind = 'sending'")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(sending_events, 1000);
    assert_eq!(senders::sent_since(db, ws, s, now).await.unwrap(), 1000);
    t.finish().await;
}

#[tokio::test]
async fn approval_edit_reject_and_cancel_in_bulk() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 4).await;
    let cid = f.campaign.campaign.cid();
    let mut ids = Vec::new();
    for i in 0..4 {
        let e = enrollments::find(db, f.ws, cid, f.contacts[i])
            .await
            .unwrap()
            .unwrap();
        let mut m = email_to(&format!("c{i}@x.test"), f.sender, &format!("p{i}"));
        m.pending_approval = true;
        let q = QueueStep {
            enrollment_id: Some(e.eid()),
            expected_step: 0,
            message: m,
            ..Default::default()
        };
        let msg = messages::queue_step_message(db, f.ws, &q)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(msg.status, "pending_approval");
        ids.push(msg.mid());
    }
    assert!(
        messages::claim_for_sending(db, &claim(far_future(), 10, "x"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        messages::edit_pending(
            db,
            f.ws,
            ids[0],
            Some("Better subject"),
            "Better body",
            Some("<p>Better</p>")
        )
        .await
        .unwrap()
    );
    assert_eq!(
        messages::approve(db, f.ws, Selection::Ids(&ids[..2]))
            .await
            .unwrap(),
        ids[..2].to_vec()
    );
    assert!(
        !messages::edit_pending(db, f.ws, ids[0], None, "too late", None)
            .await
            .unwrap()
    );
    let m0 = messages::get(db, f.ws, ids[0]).await.unwrap();
    assert_eq!(
        (m0.status.as_str(), m0.subject.as_deref()),
        ("queued", Some("Better subject"))
    );
    let kinds: Vec<String> = messages::events(db, f.ws, ids[0])
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["pending_approval", "edited", "approved"]);
    assert_eq!(
        messages::reject(db, f.ws, Selection::Ids(&[ids[2]]), "off-tone")
            .await
            .unwrap(),
        vec![ids[2]]
    );
    assert_eq!(
        messages::approve(db, f.ws, Selection::Campaign(cid))
            .await
            .unwrap(),
        vec![ids[3]]
    );
    let cancelled = messages::cancel(db, f.ws, Selection::Contact(f.contacts[1]), "replied")
        .await
        .unwrap();
    assert_eq!(cancelled, vec![ids[1]]);
    let cancelled = messages::cancel(db, f.ws, Selection::Campaign(cid), "campaign stopped")
        .await
        .unwrap();
    assert_eq!(cancelled, vec![ids[0], ids[3]]);
    let c = messages::get(db, f.ws, ids[0]).await.unwrap();
    assert_eq!(
        (c.status.as_str(), c.error.as_deref()),
        ("cancelled", Some("campaign stopped"))
    );
    let counts = messages::status_counts(db, f.ws, cid).await.unwrap();
    assert_eq!(
        (counts.get("cancelled"), counts.get("rejected")),
        (Some(&3), Some(&1))
    );
    t.finish().await;
}

#[tokio::test]
async fn engagement_tokens_links_and_stats() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 3).await;
    let cid = f.campaign.campaign.cid();
    let mut ms = Vec::new();
    for i in 0..3 {
        ms.push(queue_first_step(db, &f, i).await);
    }
    let now = prospector_core::time::now_ms();
    for m in messages::claim_for_sending(db, &claim(now, 10, "a"))
        .await
        .unwrap()
    {
        messages::mark_sent(db, f.ws, m.mid(), "a", &Sent::default(), now)
            .await
            .unwrap();
    }
    let (m0, m1) = (ms[0].mid(), ms[1].mid());

    // Opens: the first sets opened_at and writes an event, repeats only count.
    assert!(
        messages::record(db, f.ws, m0, Engagement::Opened, None, "{}", now + 1)
            .await
            .unwrap()
    );
    assert!(
        !messages::record(db, f.ws, m0, Engagement::Opened, None, "{}", now + 2)
            .await
            .unwrap()
    );
    let o = messages::get(db, f.ws, m0).await.unwrap();
    assert_eq!((o.opened_at, o.opens), (Some(now + 1), 2));
    // Replies: every one is kept in the history, the first time on the row.
    assert!(
        messages::record(
            db,
            f.ws,
            m0,
            Engagement::Replied,
            Some("Sounds good"),
            "{}",
            now + 3
        )
        .await
        .unwrap()
    );
    assert!(
        !messages::record(
            db,
            f.ws,
            m0,
            Engagement::Replied,
            Some("One more"),
            "{}",
            now + 4
        )
        .await
        .unwrap()
    );
    assert!(
        messages::record(
            db,
            f.ws,
            m1,
            Engagement::Bounced,
            Some("5.1.1 user unknown"),
            r#"{"hard":true}"#,
            now
        )
        .await
        .unwrap()
    );
    messages::append_event(db, f.ws, m1, "note", Some("checked by hand"), "{}", now)
        .await
        .unwrap();
    let kinds: Vec<String> = messages::events(db, f.ws, m0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec!["queued", "sending", "sent", "opened", "replied", "replied"]
    );
    let both = messages::events_of(db, f.ws, &[m0, m1]).await.unwrap();
    assert_eq!(both.len(), 6 + 5);
    assert!(
        both.iter()
            .any(|e| e.message_id == m0.0 && e.detail.as_deref() == Some("One more"))
    );

    // Clicks through a tracking link.
    messages::add_links(
        db,
        f.ws,
        m1,
        &[NewLink {
            token: "c-1".into(),
            url: "https://example.com/".into(),
        }],
    )
    .await
    .unwrap();
    let l = messages::hit_link(db, "c-1").await.unwrap().unwrap();
    assert_eq!((l.clicks, l.message_id, l.workspace_id), (1, m1.0, f.ws.0));
    assert_eq!(
        messages::hit_link(db, "c-1").await.unwrap().unwrap().clicks,
        2
    );
    assert!(messages::hit_link(db, "nope").await.unwrap().is_none());
    assert_eq!(
        messages::find_link(db, "c-1").await.unwrap().unwrap().url,
        "https://example.com/"
    );
    messages::record(db, f.ws, m1, Engagement::Clicked, None, "{}", now)
        .await
        .unwrap();

    // Public lookups resolve without a workspace and name it.
    let u = messages::find_by_unsubscribe_token(db, ms[2].unsubscribe_token.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.id, u.workspace_id, u.contact_id),
        (ms[2].id, f.ws.0, Some(f.contacts[2].0))
    );
    assert!(
        messages::find_by_unsubscribe_token(db, "unknown")
            .await
            .unwrap()
            .is_none()
    );
    let h = messages::find_by_message_id_header(db, ms[1].message_id_header.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((h.id, h.workspace_id), (m1.0, f.ws.0));
    assert_eq!(
        messages::list_to_address(db, f.ws, "c1@x.test", 10)
            .await
            .unwrap()[0]
            .id,
        m1.0
    );
    assert_eq!(
        messages::list_for_contact(db, f.ws, f.contacts[0], None, 10)
            .await
            .unwrap()[0]
            .id,
        m0.0
    );
    let page = messages::list_for_campaign(db, f.ws, cid, Some("sent"), None, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ms[2].id, ms[1].id]
    );
    let rest = messages::list_for_campaign(db, f.ws, cid, Some("sent"), Some(ms[1].id), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ms[0].id]
    );

    // Stats per campaign, step and variant (variants alternate A, B, A).
    let s = messages::campaign_stats(db, f.ws, cid).await.unwrap();
    assert_eq!(
        (
            s.messages, s.sent, s.opened, s.clicked, s.replied, s.bounced
        ),
        (3, 3, 1, 1, 1, 1)
    );
    let per = messages::step_stats(db, f.ws, cid).await.unwrap();
    assert_eq!(per.len(), 2);
    let a = per
        .iter()
        .find(|p| p.variant_id == Some(f.campaign.steps[0].variants[0].id))
        .unwrap();
    let b = per
        .iter()
        .find(|p| p.variant_id == Some(f.campaign.steps[0].variants[1].id))
        .unwrap();
    assert_eq!(
        (a.n.sent, a.n.opened, a.n.replied, a.n.bounced),
        (2, 1, 1, 0)
    );
    assert_eq!((b.n.sent, b.n.clicked, b.n.bounced), (1, 1, 1));
    assert_eq!(a.step_id, Some(f.campaign.steps[0].id));

    let listed = campaigns::list(db, f.ws, None, None, None, 10)
        .await
        .unwrap();
    assert_eq!(listed[0].messages.get("sent"), Some(&3));
    // Name search happens in the database, case-insensitively, with LIKE wildcards literal.
    let found = campaigns::list(db, f.ws, None, Some("sPRi"), None, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    for miss in ["autumn", "%", "_pring"] {
        let none = campaigns::list(db, f.ws, None, Some(miss), None, 10)
            .await
            .unwrap();
        assert!(none.is_empty(), "{miss}");
    }
    assert_eq!(listed[0].enrollments.get("active"), Some(&3));
    t.finish().await;
}

#[tokio::test]
async fn deleting_a_contact_removes_its_outreach_rows() {
    let t = TestDb::new().await;
    let db = &t.db;
    let f = fixture(db, "acme", 2).await;
    let m = queue_first_step(db, &f, 0).await;
    messages::add_links(
        db,
        f.ws,
        m.mid(),
        &[NewLink {
            token: "d-1".into(),
            url: "https://e.x/".into(),
        }],
    )
    .await
    .unwrap();
    assert_eq!(
        contacts::delete(db, f.ws, &[f.contacts[0].0])
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        messages::get(db, f.ws, m.mid()).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        messages::events(db, f.ws, m.mid())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(messages::find_link(db, "d-1").await.unwrap().is_none());
    assert!(
        enrollments::find(db, f.ws, f.campaign.campaign.cid(), f.contacts[0])
            .await
            .unwrap()
            .is_none()
    );
    // Deleting a sender keeps the history without it.
    let other = queue_first_step(db, &f, 1).await;
    assert!(senders::delete(db, f.ws, f.sender).await.unwrap());
    assert_eq!(
        messages::get(db, f.ws, other.mid())
            .await
            .unwrap()
            .sender_id,
        None
    );
    t.finish().await;
}
