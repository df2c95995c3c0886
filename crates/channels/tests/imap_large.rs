//! A 30 MB message (a big attachment) from a real dovecot comes back cut at the cap, and
//! reading it costs about the cap in memory, not 30 MB. Alone in its own test binary so
//! the process's peak memory is this test's.

mod common;
mod imap_dovecot;

use imap_dovecot::{Dovecot, message};
use prospector_channels::email::ImapClient;

const MB: usize = 1024 * 1024;
const BIG: usize = 30 * MB;
const CAP: usize = MB;

/// Byte `i` of the big message: a header block, then base64-looking 76-character lines.
fn big_message_bytes(offset: usize, len: usize) -> Vec<u8> {
    let header = big_header();
    let mut out = Vec::with_capacity(len);
    let mut i = offset;
    while out.len() < len && i < BIG {
        if i < header.len() {
            out.push(header[i]);
        } else {
            let pos = (i - header.len()) % 78;
            out.push(match pos {
                76 => b'\r',
                77 => b'\n',
                p => {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [(p + i / 78) % 64]
                }
            });
        }
        i += 1;
    }
    out
}

fn big_header() -> Vec<u8> {
    b"From: Prospect <big@customer.example>\r\n\
      To: Sales <sales@sender.example>\r\n\
      Subject: Re: brochure (with the 30 MB scan)\r\n\
      Message-ID: <big@customer.example>\r\n\
      MIME-Version: 1.0\r\n\
      Content-Type: application/octet-stream\r\n\
      Content-Transfer-Encoding: base64\r\n\
      \r\n"
        .to_vec()
}

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_mb_message_is_truncated_to_the_cap_with_bounded_memory() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut raw = server.raw("large").await;
    raw.append("INBOX", &message(1, "small before")).await;
    raw.append_streamed("INBOX", BIG, |offset| big_message_bytes(offset, 64 * 1024))
        .await;
    raw.append("INBOX", &message(3, "small after")).await;
    // Exactly at the cap: whole, not truncated.
    let exact = big_message_bytes(0, CAP);
    raw.append("INBOX", &exact).await;
    drop(exact);
    raw.logout().await;

    let before = peak_rss();
    let mut client = ImapClient::new(server.config("large"));
    let got = client.fetch_new(None, 10, CAP).await.expect("poll");
    let after = peak_rss();

    assert_eq!(got.messages.len(), 4);
    let uids: Vec<u32> = got.messages.iter().map(|m| m.uid).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");

    assert_eq!(got.messages[0].raw, message(1, "small before"));
    assert!(!got.messages[0].truncated);

    let big = &got.messages[1];
    assert!(big.truncated, "{big:?}");
    assert_eq!(big.size as usize, BIG);
    assert_eq!(big.raw.len(), CAP);
    assert_eq!(
        big.raw,
        big_message_bytes(0, CAP),
        "the first CAP bytes, unchanged"
    );

    assert_eq!(got.messages[2].raw, message(3, "small after"));
    assert!(!got.messages[2].truncated);

    let at_cap = &got.messages[3];
    assert!(!at_cap.truncated, "{at_cap:?}");
    assert_eq!(at_cap.raw.len(), CAP);

    if let (Some(before), Some(after)) = (before, after) {
        let grew = after.saturating_sub(before);
        eprintln!(
            "peak RSS {} MiB before the poll, {} MiB after (+{} MiB) for a {} MiB message capped at {} MiB",
            before / MB,
            after / MB,
            grew / MB,
            BIG / MB,
            CAP / MB
        );
        assert!(
            grew < 12 * MB,
            "reading a {BIG}-byte message capped at {CAP} grew peak memory by {grew} bytes"
        );
    }

    // The next poll starts after all four.
    let next = client
        .fetch_new(Some(got.state), 10, CAP)
        .await
        .expect("next poll");
    assert!(next.messages.is_empty());
}
