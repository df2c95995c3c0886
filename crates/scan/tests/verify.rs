//! Email verification against loopback stand-ins: an SMTP server that accepts one mailbox
//! (or everything), and a DNS server answering MX queries.

use std::net::SocketAddr;
use std::time::Duration;

use prospector_scan::verify::Status;
use prospector_scan::{VerifyOptions, verify_email};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A tiny SMTP server: accepts RCPT for `known` (or anyone when `catch_all`), never DATA.
async fn smtp_stand_in(known: &'static str, catch_all: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (rd, mut wr) = sock.into_split();
                let mut rd = BufReader::new(rd);
                let _ = wr.write_all(b"220 mx.test ESMTP stand-in\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-mx.test\r\n250 SIZE 1000000\r\n"
                    } else if cmd.starts_with("MAIL FROM") {
                        b"250 2.1.0 ok\r\n"
                    } else if cmd.starts_with("RCPT TO") {
                        if catch_all || cmd.contains(&known.to_ascii_uppercase()) {
                            b"250 2.1.5 ok\r\n"
                        } else {
                            b"550 5.1.1 no such user\r\n"
                        }
                    } else if cmd.starts_with("QUIT") {
                        let _ = wr.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if wr.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

fn probe_opts(port: u16) -> VerifyOptions {
    VerifyOptions {
        smtp_probe: true,
        smtp_port: port,
        mx_override: Some(vec!["127.0.0.1".into()]),
        allow_private: true,
        smtp_timeout: Duration::from_secs(3),
        ..VerifyOptions::default()
    }
}

#[tokio::test]
async fn smtp_probe_accepts_rejects_and_detects_catch_all() {
    let port = smtp_stand_in("anna@firma-test.de", false).await;
    let ok = verify_email("Anna@firma-test.de", &probe_opts(port)).await;
    assert_eq!(ok.status, Status::Valid, "{:?}", ok.reasons);
    assert_eq!(ok.catch_all, Some(false));
    assert_eq!(ok.smtp.as_ref().map(|s| s.code), Some(250));

    let bad = verify_email("nobody@firma-test.de", &probe_opts(port)).await;
    assert_eq!(bad.status, Status::Invalid, "{:?}", bad.reasons);
    assert!(bad.reasons.iter().any(|r| r.contains("550")));

    let port = smtp_stand_in("", true).await;
    let any = verify_email("whoever@firma-test.de", &probe_opts(port)).await;
    assert_eq!(any.status, Status::Risky);
    assert_eq!(any.catch_all, Some(true));
}

#[tokio::test]
async fn smtp_probe_refuses_loopback_without_allow_private() {
    let port = smtp_stand_in("anna@firma-test.de", false).await;
    let v = verify_email(
        "anna@firma-test.de",
        &VerifyOptions {
            allow_private: false,
            ..probe_opts(port)
        },
    )
    .await;
    assert!(v.smtp.is_none());
    assert!(
        v.reasons.iter().any(|r| r.contains("refused")),
        "{:?}",
        v.reasons
    );
}

/// Minimal DNS server: answers MX for `mx-ok.test.de`, NXDOMAIN for anything else.
async fn dns_stand_in() -> SocketAddr {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = sock.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            let q = &buf[..n];
            if n < 12 {
                continue;
            }
            // Question name starts at 12; find its end.
            let mut i = 12;
            let mut labels = Vec::new();
            while i < n && q[i] != 0 {
                let l = q[i] as usize;
                labels.push(
                    String::from_utf8_lossy(&q[i + 1..(i + 1 + l).min(n)]).to_ascii_lowercase(),
                );
                i += 1 + l;
            }
            let qend = (i + 5).min(n);
            let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
            let name = labels.join(".");
            let mut resp = Vec::new();
            resp.extend_from_slice(&q[0..2]);
            let known = name == "mx-ok.test.de";
            let rcode = if known { 0 } else { 3 };
            resp.extend_from_slice(&[0x81, 0x80 | rcode]);
            let ancount: u16 = u16::from(known && qtype == 15);
            resp.extend_from_slice(&[0, 1]);
            resp.extend_from_slice(&ancount.to_be_bytes());
            resp.extend_from_slice(&[0, 0, 0, 0]);
            resp.extend_from_slice(&q[12..qend]);
            if ancount == 1 {
                resp.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60]);
                let mut rdata = vec![0, 10];
                for l in ["mail", "mx-ok", "test"] {
                    rdata.push(l.len() as u8);
                    rdata.extend_from_slice(l.as_bytes());
                }
                rdata.push(0);
                resp.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                resp.extend_from_slice(&rdata);
            }
            let _ = sock.send_to(&resp, peer).await;
        }
    });
    addr
}

#[tokio::test]
async fn mx_lookup_through_a_real_resolver() {
    let dns = dns_stand_in().await;
    let o = VerifyOptions {
        nameservers: Some(vec![dns]),
        dns_timeout: Duration::from_secs(3),
        ..VerifyOptions::default()
    };
    let v = verify_email("sales@mx-ok.test.de", &o).await;
    assert_eq!(v.status, Status::Valid, "{:?}", v.reasons);
    assert_eq!(v.mx, vec!["mail.mx-ok.test".to_string()]);
    assert!(v.role);
    let v = verify_email("sales@nope-nope.de", &o).await;
    assert_eq!(v.status, Status::Invalid, "{:?}", v.reasons);
    assert!(
        v.reasons.iter().any(|r| r.contains("does not exist")),
        "{:?}",
        v.reasons
    );
}
