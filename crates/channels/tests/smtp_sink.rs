//! Sending to a real SMTP server on loopback: postfix's `smtp-sink`, started by each test
//! on a free port. With a dump directory it writes every transaction to its own file, which
//! the tests parse with mail-parser and check with dkimpy.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::{SmtpSink, dkim_python, sample_email, test_key, verify_with_dkimpy, wait_for_files};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use prospector_channels::email::{
    DkimSigner, EmailTransport, OutgoingEmail, SmtpConfig, SmtpSender, TlsMode,
};

fn transport(sink: &SmtpSink, pool: usize, dkim: bool) -> EmailTransport {
    let mut config = SmtpConfig::from_url(&format!("{}?pool={pool}", sink.url())).expect("url");
    assert_eq!(config.tls, TlsMode::None, "loopback defaults to plain SMTP");
    config.hello_name = Some("client.sender.example".into());
    let signer = dkim.then(|| {
        let key = test_key();
        DkimSigner::new(
            common::DKIM_DOMAIN,
            common::DKIM_SELECTOR,
            &key.private_key_pem,
        )
        .expect("signer")
    });
    EmailTransport::smtp(SmtpSender::new(config), signer)
}

/// Strips the X-* and Received lines smtp-sink writes above the message and restores CRLF
/// (the dump stores lines with LF).
fn received_message(dump: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(dump);
    let mut lines = text.split('\n').peekable();
    // smtp-sink's own headers: X-Client-Addr … then a three-line Received header.
    while let Some(l) = lines.peek() {
        if l.starts_with("X-") {
            lines.next();
        } else {
            break;
        }
    }
    if lines.peek().is_some_and(|l| l.starts_with("Received:")) {
        lines.next();
        while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
            lines.next();
        }
    }
    lines.collect::<Vec<_>>().join("\r\n").into_bytes()
}

fn header_text<'a>(m: &'a mail_parser::Message<'a>, name: &str) -> String {
    match m.header(name) {
        Some(HeaderValue::Text(t)) => t.to_string(),
        Some(HeaderValue::TextList(l)) => l.join(", "),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_headers_mime_unsubscribe_and_dkim_to_smtp_sink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(sink) = SmtpSink::start(Some(dir.path())) else {
        return;
    };
    let Some(python) = dkim_python() else { return };
    let t = transport(&sink, 2, true);

    let report = t.test_connection().await.expect("test connection");
    assert!(report.contains("connected to 127.0.0.1"), "{report}");
    assert!(
        report.contains("DKIM signing as sender.example"),
        "{report}"
    );

    let multipart = sample_email(1);
    let mut plain = sample_email(2);
    plain.html = None;
    plain.list_unsubscribe = None;
    for email in [&multipart, &plain] {
        let accepted = t.send(email).await.expect("smtp-sink accepts");
        assert!(accepted.response.starts_with("250"), "{accepted:?}");
    }

    let files = wait_for_files(dir.path(), 2);
    assert_eq!(files.len(), 2, "one dump file per message");
    let key = test_key();
    let mut seen = HashSet::new();
    for f in files {
        let raw = received_message(&std::fs::read(&f).expect("read dump"));
        let msg = MessageParser::default()
            .parse(&raw)
            .expect("parse received message");
        let id = msg.message_id().expect("Message-ID").to_owned();
        seen.insert(id.clone());
        assert_eq!(
            msg.subject().map(str::to_owned),
            if id.starts_with("m1.") {
                Some("Café ideas for Zoë ☕ #1".to_owned())
            } else {
                Some("Café ideas for Zoë ☕ #2".to_owned())
            }
        );
        let from = msg.from().and_then(|a| a.first()).expect("From");
        assert_eq!(from.name(), Some("Ana Pérez"));
        assert_eq!(from.address(), Some("ana@sender.example"));
        let to = msg.to().and_then(|a| a.first()).expect("To");
        assert_eq!(to.name(), Some("Zoë Müller"));
        assert!(msg.date().is_some(), "Date header");
        assert!(msg.header("DKIM-Signature").is_some());
        assert_eq!(header_text(&msg, "X-Prospector-Campaign"), "7");
        let raw_text = String::from_utf8_lossy(&raw);
        // The Subject travels as an encoded word, never as raw 8-bit bytes in the header.
        assert!(raw_text.contains("Subject: =?utf-8?"), "{raw_text}");

        if id == "m1.t3st@sender.example" {
            let ct = msg.content_type().expect("Content-Type");
            assert_eq!(
                (ct.ctype(), ct.subtype()),
                ("multipart", Some("alternative"))
            );
            assert_eq!(msg.text_body_count(), 1);
            assert_eq!(msg.html_body_count(), 1);
            let body = msg.body_text(0).expect("text part");
            assert!(body.contains("A short note about your café."), "{body}");
            let body_lf = body.replace("\r\n", "\n");
            assert!(
                body_lf.contains("\n.\nA line that starts with a dot."),
                "dot-stuffing undone: {body}"
            );
            assert!(
                msg.body_html(0)
                    .expect("html part")
                    .contains("<p>Hi Zoë,</p>")
            );
            let unfolded = raw_text.replace("\r\n ", " ");
            assert!(unfolded.contains(
                "List-Unsubscribe: <https://app.example/u/tok1>, <mailto:unsub+tok1@app.example>\r\n"
            ), "{raw_text}");
            assert!(raw_text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        } else {
            let ct = msg.content_type().expect("Content-Type");
            assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
            assert!(msg.header("List-Unsubscribe").is_none());
        }
        verify_with_dkimpy(&python, &raw, &key.dns_name, &key.dns_value)
            .unwrap_or_else(|e| panic!("{e}\n--- message ---\n{}", String::from_utf8_lossy(&raw)));
    }
    assert_eq!(
        seen,
        HashSet::from([
            "m1.t3st@sender.example".to_owned(),
            "m2.t3st@sender.example".to_owned()
        ])
    );
}

/// Runs `count` sends through `workers` concurrent tasks sharing one transport.
async fn send_many(
    t: &EmailTransport,
    count: usize,
    workers: usize,
    make: fn(usize) -> OutgoingEmail,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let t = t.clone();
        let next = next.clone();
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return;
                }
                if let Err(e) = t.send(&make(n)).await {
                    panic!("message {n} failed: {e}");
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("sender task");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn small_email(n: usize) -> OutgoingEmail {
    let mut e = sample_email(n);
    e.html = None;
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_messages_over_the_pool_arrive_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(sink) = SmtpSink::start(Some(dir.path())) else {
        return;
    };
    let t = transport(&sink, 4, false);
    let count = 1000;
    let rate = send_many(&t, count, 16, small_email).await;
    let files = wait_for_files(dir.path(), count);
    assert_eq!(files.len(), count, "every message written exactly once");
    let mut ids = HashSet::new();
    for f in &files {
        let raw = received_message(&std::fs::read(f).expect("read"));
        let msg = MessageParser::default().parse(&raw).expect("parse");
        assert!(
            ids.insert(msg.message_id().expect("id").to_owned()),
            "duplicate message"
        );
    }
    assert_eq!(ids.len(), count);
    if let EmailTransport::Smtp { sender, .. } = &t {
        assert!(
            sender.idle_connections() <= 4,
            "the pool never exceeds its size"
        );
        sender.close().await;
    }
    eprintln!(
        "{count} messages to smtp-sink (writing files) over 4 pooled connections: {rate:.0} messages/s"
    );
}

/// Throughput to smtp-sink in its discard mode (as the send benchmark runs it). The count
/// is small by default to keep the suite quick; `PROSPECTOR_SMTP_BENCH_COUNT=100000` with
/// `--release` gives the benchmark figure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_to_smtp_sink_discarding() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let count: usize = std::env::var("PROSPECTOR_SMTP_BENCH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let pool: usize = std::env::var("PROSPECTOR_SMTP_BENCH_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let t = transport(&sink, pool, false);
    let rate = send_many(&t, count, pool * 4, small_email).await;
    eprintln!(
        "{count} messages to smtp-sink (discarding) over {pool} pooled connections: {rate:.0} messages/s"
    );
    assert!(rate > 50.0, "implausibly slow: {rate:.0} messages/s");
}
