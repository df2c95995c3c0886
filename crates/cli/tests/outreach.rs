//! The `sender` and `campaign` command-line contract against a real SMTP server (postfix
//! smtp-sink): `sender add --smtp-url`, `campaign create --file` printing the id, `enroll`,
//! `start`, `status --json`, DKIM signatures verified by an independent verifier (dkimpy),
//! and a sender process killed with SIGKILL in the middle of a 2,000-message send: no
//! message arrives twice, and every message ends `sent` or `uncertain`.

mod common;

use common::Env;
use prospector_app::testing::SmtpSink;
use serde_json::Value;
use std::collections::HashSet;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn contacts_csv(n: usize) -> String {
    let mut s = String::from("first_name,email,company,website\n");
    for i in 0..n {
        s.push_str(&format!(
            "Owner{i},owner{i}@shop{i}.example,Shop {i},shop{i}.example\n"
        ));
    }
    s
}

const CAMPAIGN: &str = r#"{"name":"Launch","senders":["main"],"schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"},"steps":[{"channel":"email","delay_days":0,"subject":"Hello {{first_name|there}}","body":"A note for {{company.name|your team}}."}],"stop_on":["reply","bounce","unsubscribe"],"track_opens":false,"track_clicks":false,"min_gap_seconds":0}"#;

fn setup(env: &Env, sink: &SmtpSink, n: usize) -> String {
    let csv = env.file("contacts.csv", contacts_csv(n).as_bytes());
    ok(&env.run(
        &["import", &csv, "--workspace", "acme-agency", "--json"],
        None,
    ));
    let id = ok(&env.run(
        &[
            "sender",
            "add",
            "--workspace",
            "acme-agency",
            "--name",
            "main",
            "--from",
            "sales@agency.example",
            "--smtp-url",
            &sink.url(),
            "--daily-limit",
            "100000",
        ],
        None,
    ));
    assert!(
        id.trim().parse::<i64>().is_ok(),
        "sender add prints the id: {id}"
    );
    let file = env.file("campaign.json", CAMPAIGN.as_bytes());
    let id = ok(&env.run(
        &[
            "campaign",
            "create",
            "--workspace",
            "acme-agency",
            "--file",
            &file,
        ],
        None,
    ));
    let id = id.trim().to_string();
    assert!(
        id.parse::<i64>().is_ok(),
        "campaign create prints the id: {id}"
    );
    let enrolled: Value = serde_json::from_str(&ok(&env.run(
        &[
            "campaign",
            "enroll",
            &id,
            "--workspace",
            "acme-agency",
            "--all",
        ],
        None,
    )))
    .unwrap();
    assert_eq!(enrolled["enrolled"], n as i64);
    ok(&env.run(
        &["campaign", "start", &id, "--workspace", "acme-agency"],
        None,
    ));
    id
}

fn status(env: &Env, id: &str) -> Value {
    env.json(&[
        "campaign",
        "status",
        id,
        "--workspace",
        "acme-agency",
        "--json",
    ])
}

fn message_ids(raw: &[Vec<u8>]) -> Vec<String> {
    raw.iter()
        .filter_map(|m| {
            String::from_utf8_lossy(m)
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l[11..].trim().to_string())
        })
        .collect()
}

#[tokio::test]
async fn sender_campaign_and_status_contract_with_dkim() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let env = Env::new().await;
    let id = setup(&env, &sink, 3);
    // DKIM: the key is generated in the app, the record printed for the DNS.
    let dns = ok(&env.run(
        &[
            "sender",
            "dkim",
            "main",
            "--workspace",
            "acme-agency",
            "--selector",
            "s2026",
        ],
        None,
    ));
    assert!(
        dns.starts_with("s2026._domainkey.agency.example TXT \"v=DKIM1; k=rsa; p="),
        "{dns}"
    );
    let record = dns.split('"').nth(1).unwrap().to_string();

    let s = status(&env, &id);
    let keys: HashSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["campaign_id", "name", "state", "messages", "enrollments"] {
        assert!(keys.contains(k), "{k} in {s}");
    }
    assert_eq!(s["state"], "active");
    ok(&env.run(&["campaign", "run", "--workspace", "acme-agency"], None));
    let s = status(&env, &id);
    assert_eq!(s["messages"]["sent"], 3, "{s}");
    assert_eq!(s["enrollments"]["completed"], 3, "{s}");

    let got = sink.messages(3);
    assert_eq!(got.len(), 3);
    // An independent verifier: dkimpy, with the printed record served as DNS.
    let py = ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import dkim"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let Some(py) = py else {
        assert!(
            !prospector_app::testing::ci(),
            "dkimpy is missing (CI=true)"
        );
        eprintln!("warning: dkimpy missing; DKIM not verified");
        return;
    };
    for raw in &got {
        // smtp-sink prepends its own trace headers; a receiver would too, and they are not
        // signed. Line endings back to CRLF as on the wire.
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let start = text.find("DKIM-Signature:").expect("signed");
        let wire = text[start..].replace('\n', "\r\n");
        let f = env.file("signed.eml", wire.as_bytes());
        let out = std::process::Command::new(py)
            .args([
                "-c",
                "import sys,dkim\nm=open(sys.argv[1],'rb').read()\nrec=sys.argv[2].encode()\nok=dkim.verify(m,dnsfunc=lambda n,timeout=5: rec if n.decode().rstrip('.')=='s2026._domainkey.agency.example' else None)\nsys.exit(0 if ok else 1)",
                &f,
                &record,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dkimpy rejected: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Pause and resume are state changes with clear refusals when they do not apply.
    ok(&env.run(
        &["campaign", "pause", &id, "--workspace", "acme-agency"],
        None,
    ));
    let again = env.run(
        &["campaign", "pause", &id, "--workspace", "acme-agency"],
        None,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot be paused"));
    ok(&env.run(
        &["campaign", "resume", &id, "--workspace", "acme-agency"],
        None,
    ));
    let bad = env.run(
        &[
            "sender",
            "add",
            "--workspace",
            "acme-agency",
            "--name",
            "x",
            "--from",
            "x@y.example",
            "--smtp-url",
            "smtp://h:25?tls=sometimes",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("smtp_url"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[tokio::test]
async fn a_sigkilled_sender_never_sends_a_message_twice() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    const N: usize = 2_000;
    let env = Env::new().await;
    let id = setup(&env, &sink, N);
    // A short outbox lease, so the dead process's claims run out within the test.
    let mut child = env
        .command(&["campaign", "run", "--workspace", "acme-agency"])
        .env("PROSPECTOR_OUTBOX_LEASE_SECS", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first messages have arrived, in the middle of the send.
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_at = loop {
        let n = std::fs::read_dir(sink.dir.path())
            .map(|d| d.count())
            .unwrap_or(0);
        if n >= 150 {
            child.kill().unwrap(); // SIGKILL
            break n;
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            panic!("the sender finished or stalled before it could be killed ({n} received)");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    child.wait().unwrap();
    assert!(killed_at < N, "killed mid-send");
    let mid = status(&env, &id);
    eprintln!("after the kill: {}", mid["messages"]);

    // A new process after the lease: the dead one's in-flight messages become uncertain
    // (never resent), the rest go out.
    std::thread::sleep(Duration::from_millis(3_500));
    let out = env
        .command(&["campaign", "run", "--workspace", "acme-agency"])
        .env("PROSPECTOR_OUTBOX_LEASE_SECS", "3")
        .output()
        .unwrap();
    ok(&out);
    let s = status(&env, &id);
    let sent = s["messages"]["sent"].as_u64().unwrap_or(0) as usize;
    let uncertain = s["messages"]["uncertain"].as_u64().unwrap_or(0) as usize;
    assert_eq!(
        sent + uncertain,
        N,
        "every message is sent or uncertain: {s}"
    );

    let got = sink.messages(sent);
    let ids = message_ids(&got);
    assert_eq!(
        ids.len(),
        got.len(),
        "every received message has a Message-ID"
    );
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no message was received twice");
    assert!(
        got.len() >= sent && got.len() <= sent + uncertain,
        "received {} with {sent} sent and {uncertain} uncertain",
        got.len()
    );
    eprintln!(
        "killed after {killed_at} received; finally {sent} sent, {uncertain} uncertain, {} received, 0 duplicates",
        got.len()
    );
}
