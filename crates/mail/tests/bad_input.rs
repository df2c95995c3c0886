//! Hostile and broken input: no panic, bounded time and memory, never a false "reply".

use std::time::{Duration, Instant};

use proptest::prelude::*;
use prospector_mail::{Kind, classify, split_mbox, thread_keys};

const REPLY: &str = "From: Paula Green <paula@example.com>\nTo: ann@acme-agency.com\n\
Subject: Re: Quick question\nDate: Wed, 4 Nov 2026 09:00:00 +0100\n\
Message-ID: <r1@example.com>\nIn-Reply-To: <our.1@acme-agency.com>\n\
References: <our.0@acme-agency.com> <our.1@acme-agency.com>\n\
Content-Type: text/plain; charset=utf-8\n\n\
Yes, call me.\n\nOn Tue, Nov 3, 2026 at 10:14 AM Ann <ann@acme-agency.com> wrote:\n> Hi\n";

#[test]
fn empty_and_whitespace_input() {
    for input in [&b""[..], b"\n", b"\r\n\r\n", b"   "] {
        let c = classify(input);
        assert_eq!(c.kind, Kind::Other);
        assert!(!c.reason.is_empty());
    }
}

#[test]
fn line_endings_lf_crlf_cr_give_the_same_result() {
    let lf = classify(REPLY.as_bytes());
    assert_eq!(lf.kind, Kind::Reply);
    assert_eq!(lf.new_text.as_deref(), Some("Yes, call me."));
    let crlf = classify(REPLY.replace('\n', "\r\n").as_bytes());
    let cr = classify(REPLY.replace('\n', "\r").as_bytes());
    assert_eq!(lf, crlf);
    assert_eq!(lf, cr);
}

#[test]
fn thread_keys_are_normalised() {
    let c = classify(REPLY.as_bytes());
    assert_eq!(
        thread_keys(&c),
        vec!["our.1@acme-agency.com", "our.0@acme-agency.com"]
    );
}

#[test]
fn message_with_no_body() {
    let c = classify(b"From: a@example.com\nSubject: Re: hi\nIn-Reply-To: <x@y>\n");
    assert_eq!(c.kind, Kind::Other);
    assert!(c.reason.contains("no new text"), "{}", c.reason);
    let c = classify(b"From: a@example.com\nSubject: hello\n\n");
    assert_eq!(c.kind, Kind::Other);
}

#[test]
fn malformed_mime() {
    let cases: &[&[u8]] = &[
        // Boundary declared but never used, unterminated part.
        b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: <1@x>\nContent-Type: multipart/mixed; boundary=\"zzz\"\n\nYes please\n",
        // No boundary parameter at all.
        b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: <1@x>\nContent-Type: multipart/alternative\n\n--\n--\nYes\n",
        // Broken base64 and quoted-printable.
        b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: <1@x>\nContent-Transfer-Encoding: base64\n\n!!!not base64***\n",
        b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: <1@x>\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=4\n",
        // A report whose delivery-status part is garbage.
        b"From: MAILER-DAEMON@x.org\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n\x00\x01\xff:::\n\n--b--\n",
        // Header continuation without a header, lone colons, absurd lengths.
        b"  folded first\n:\n::::\nFrom:\nSubject:\n\n",
    ];
    for raw in cases {
        let c = classify(raw);
        assert!(!c.reason.is_empty());
    }
    // The garbage DSN is still a bounce (the report type says so), with no recipients.
    let c = classify(cases[4]);
    assert_eq!(c.kind, Kind::Bounce);
}

#[test]
fn eight_bit_headers_and_unknown_charset() {
    let mut raw = b"From: Ren\xe9 <rene@example.fr>\nSubject: Re: d\xe9j\xe0 vu \xff\xfe\nIn-Reply-To: <1@x>\n\
Content-Type: text/plain; charset=x-klingon-unknown\n\n"
        .to_vec();
    raw.extend_from_slice(b"Tr\xe8s bien, appelez-moi.\n");
    let c = classify(&raw);
    assert_eq!(c.kind, Kind::Reply);
    assert!(c.new_text.as_deref().unwrap_or("").contains("appelez-moi"));
}

fn big_attachment_message(prefix: &str) -> Vec<u8> {
    let mut raw = prefix.as_bytes().to_vec();
    // 30 MB of base64 text (76-char lines), built without holding a second copy.
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n";
    let lines = 30 * 1024 * 1024 / line.len();
    raw.reserve(lines * line.len() + 100);
    for _ in 0..lines {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"--B--\n");
    raw
}

#[test]
fn thirty_megabyte_attachment_is_fast_and_bounded() {
    let reply = "From: Paula <paula@example.com>\nSubject: Re: Quote\nIn-Reply-To: <q@acme-agency.com>\n\
Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nHere is our floor plan.\n\n\
--B\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=plan.pdf\n\n";
    let raw = big_attachment_message(reply);
    assert!(raw.len() > 30_000_000);
    let start = Instant::now();
    let c = classify(&raw);
    let took = start.elapsed();
    assert_eq!(c.kind, Kind::Reply);
    assert_eq!(c.new_text.as_deref(), Some("Here is our floor plan."));
    assert!(took < Duration::from_secs(5), "took {took:?}");

    let bounce = "From: MAILER-DAEMON@mx.example.net\nTo: ann@acme-agency.com\nSubject: Undelivered Mail Returned to Sender\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: text/plain\n\nfailed.\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.1.1\n\n\
--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n";
    let raw = big_attachment_message(bounce);
    let start = Instant::now();
    let c = classify(&raw);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(c.kind, Kind::Bounce);
    assert_eq!(c.recipients.len(), 1);
    assert_eq!(c.recipients[0].address, "bob@example.com");
}

#[test]
fn deeply_nested_multipart_does_not_overflow() {
    let mut raw = String::from("From: a@example.com\nSubject: Re: x\nIn-Reply-To: <1@x>\n");
    for i in 0..2000 {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\n\nhello\n");
    let c = classify(raw.as_bytes());
    assert!(!c.reason.is_empty());
}

#[test]
fn auto_reply_loop_is_never_a_reply() {
    let mut subject = String::from("Re: Quick question");
    for _ in 0..50 {
        subject = format!("Automatic reply: {subject}");
    }
    let raw = format!(
        "From: bob@example.com\nSubject: {subject}\nIn-Reply-To: <x@acme-agency.com>\nAuto-Submitted: auto-replied\n\nI am out of the office.\n"
    );
    assert_eq!(classify(raw.as_bytes()).kind, Kind::AutoReply);
    // Even without the header, the wording decides.
    let raw = format!(
        "From: bob@example.com\nSubject: {subject}\nIn-Reply-To: <x@acme-agency.com>\n\nI am out of the office.\n"
    );
    assert_eq!(classify(raw.as_bytes()).kind, Kind::AutoReply);
}

#[test]
fn mbox_of_the_corpus_round_trips() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    let mut mbox = Vec::new();
    let mut expected = Vec::new();
    for p in &names {
        let raw = std::fs::read(p).unwrap_or_else(|e| panic!("{e}"));
        // Compare on LF text (an mbox reader normalises line endings).
        let text =
            String::from_utf8_lossy(&prospector_mail::normalize_line_endings(&raw)).into_owned();
        expected.push(classify(text.as_bytes()).kind);
        mbox.extend_from_slice(b"From MAILER-DAEMON Thu Nov  5 10:00:00 2026\n");
        for line in text.split_inclusive('\n') {
            // mboxrd escaping of body lines that look like separators.
            let quotes = line.bytes().take_while(|b| *b == b'>').count();
            if line[quotes..].starts_with("From ") {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line.as_bytes());
        }
        if !text.ends_with('\n') {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    let messages = split_mbox(&mbox);
    assert_eq!(messages.len(), names.len());
    let kinds: Vec<Kind> = messages.iter().map(|m| classify(m).kind).collect();
    assert_eq!(kinds, expected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic_and_are_never_a_reply(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let c = classify(&data);
        prop_assert_ne!(c.kind, Kind::Reply);
        prop_assert!(!c.reason.is_empty());
        let _ = serde_json::to_string(&c);
        let _ = split_mbox(&data);
    }

    #[test]
    fn header_shaped_garbage_never_panics(
        headers in proptest::collection::vec(("[A-Za-z-]{1,20}", "[ -~]{0,80}"), 0..12),
        body in "\\PC{0,400}",
    ) {
        let mut raw = String::new();
        for (n, v) in &headers {
            raw.push_str(&format!("{n}: {v}\n"));
        }
        raw.push('\n');
        raw.push_str(&body);
        let c = classify(raw.as_bytes());
        prop_assert!(!c.reason.is_empty());
        let _ = prospector_mail::extract_new_text(&body);
        let _ = prospector_mail::extract_return_date(&body, Some("2026-11-05"));
    }
}
