//! The bad cases, against a small hand-written SMTP stand-in on loopback whose behaviour is
//! chosen by the recipient address (so one server covers several cases and the tests can
//! check that a session survives a rejection).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prospector_channels::email::{SendError, SmtpConfig, SmtpSender};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Advertises STARTTLS and refuses MAIL until it is used (it never is here).
    RequireStartTls,
    /// Closes the session after each accepted message, like a server whose idle timeout
    /// fired while the session sat in the pool.
    CloseAfterMessage,
    Greeting421,
    /// Advertises AUTH PLAIN and accepts only `us@r` / `p@ss:w/rd`.
    Auth,
}

#[derive(Default)]
struct Counters {
    connections: AtomicUsize,
    accepted: AtomicUsize,
}

struct StandIn {
    port: u16,
    counters: Arc<Counters>,
}

impl StandIn {
    async fn start(mode: Mode) -> StandIn {
        Self::start_with(mode, false).await
    }

    /// `pipelining`: announce PIPELINING, so the client batches MAIL, RCPT and DATA.
    async fn start_with(mode: Mode, pipelining: bool) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(session(stream, mode, pipelining, c.clone()));
            }
        });
        StandIn { port, counters }
    }

    fn sender(&self, query: &str) -> SmtpSender {
        let mut cfg =
            SmtpConfig::from_url(&format!("smtp://127.0.0.1:{}{query}", self.port)).expect("url");
        cfg.timeout = Duration::from_secs(5);
        SmtpSender::new(cfg)
    }

    fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::SeqCst)
    }

    fn accepted(&self) -> usize {
        self.counters.accepted.load(Ordering::SeqCst)
    }
}

async fn session(stream: TcpStream, mode: Mode, pipelining: bool, counters: Arc<Counters>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let greeting: &[u8] = if mode == Mode::Greeting421 {
        b"421 4.3.2 Service not available, closing transmission channel\r\n"
    } else {
        b"220 standin.example ESMTP\r\n"
    };
    if write.write_all(greeting).await.is_err() || mode == Mode::Greeting421 {
        return;
    }
    let mut rcpt = String::new();
    let mut rcpt_ok = false;
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let mut r = String::from("250-standin.example\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n");
            if mode == Mode::RequireStartTls {
                r.push_str("250-STARTTLS\r\n");
            }
            if mode == Mode::Auth {
                r.push_str("250-AUTH PLAIN LOGIN\r\n");
            }
            if pipelining {
                r.push_str("250-PIPELINING\r\n");
            }
            r.push_str("250 ENHANCEDSTATUSCODES\r\n");
            r
        } else if upper.starts_with("AUTH PLAIN") {
            if cmd.ends_with("AHVzQHIAcEBzczp3L3Jk") {
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "535 5.7.8 Error: authentication failed: bad credentials\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            if mode == Mode::RequireStartTls {
                "530 5.7.0 Must issue a STARTTLS command first\r\n".into()
            } else {
                "250 2.1.0 Ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            rcpt = cmd.to_ascii_lowercase();
            rcpt_ok = false;
            if rcpt.contains("busy@") {
                "450 4.2.1 <busy@example.com>: Recipient address rejected: Mailbox busy, try again later\r\n".into()
            } else if rcpt.contains("unknown@") {
                "550 5.1.1 <unknown@example.com>: Recipient address rejected: User unknown in local recipient table\r\n".into()
            } else {
                rcpt_ok = true;
                "250 2.1.5 Ok\r\n".into()
            }
        } else if upper == "DATA" && !rcpt_ok {
            "554 5.5.1 Error: no valid recipients\r\n".into()
        } else if upper == "DATA" {
            rcpt_ok = false;
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            if rcpt.contains("dropdata@") {
                // Take a little of the content, then vanish.
                line.clear();
                let _ = lines.read_line(&mut line).await;
                return;
            }
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) if line == ".\r\n" => break,
                    Ok(_) => {}
                }
            }
            if rcpt.contains("dropdot@") {
                return;
            }
            if rcpt.contains("toobig@") {
                "552 5.3.4 Message size exceeds fixed limit\r\n".into()
            } else if rcpt.contains("greylist@") {
                "451 4.7.1 Greylisted, please try again later\r\n".into()
            } else {
                let n = counters.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                let r = format!("250 2.0.0 Ok: queued as STANDIN{n}\r\n");
                if mode == Mode::CloseAfterMessage {
                    let _ = write.write_all(r.as_bytes()).await;
                    return;
                }
                r
            }
        } else if upper == "RSET" || upper == "NOOP" {
            rcpt_ok = false;
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
            return;
        } else {
            "502 5.5.2 Error: command not recognized\r\n".into()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

const RAW: &[u8] = b"From: a@sender.example\r\nTo: x@example.com\r\nSubject: t\r\nMessage-ID: <t1@sender.example>\r\n\r\nHello\r\n.leading dot\r\n";

#[tokio::test]
async fn accepted_message_returns_reply_and_queue_id() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let sender = server.sender("");
        let ok = sender
            .send("a@sender.example", "ok@example.com", RAW)
            .await
            .expect("accepted");
        assert_eq!(ok.response, "250 2.0.0 Ok: queued as STANDIN1");
        assert_eq!(ok.provider_id.as_deref(), Some("STANDIN1"));
        let report = sender.test_connection().await.expect("test connection");
        assert!(report.contains("standin.example"), "{report}");
        assert_eq!(report.contains("pipelining"), pipelining, "{report}");
    }
}

#[tokio::test]
async fn rcpt_450_is_transient_with_the_server_text() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let err = server
            .sender("")
            .send("a@sender.example", "busy@example.com", RAW)
            .await
            .expect_err("450");
        match &err {
            SendError::Transient { code, message } => {
                assert_eq!(*code, Some(450));
                assert!(
                    message.contains(
                        "4.2.1 <busy@example.com>: Recipient address rejected: Mailbox busy"
                    ),
                    "{message}"
                );
            }
            other => panic!("expected Transient, got {other:?}"),
        }
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn rcpt_550_is_permanent_with_the_server_text() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let err = server
            .sender("")
            .send("a@sender.example", "unknown@example.com", RAW)
            .await
            .expect_err("550");
        assert_eq!(
            err,
            SendError::Permanent {
                code: Some(550),
                message: "5.1.1 <unknown@example.com>: Recipient address rejected: User unknown in local recipient table".into()
            }
        );
    }
}

#[tokio::test]
async fn final_reply_decides_after_the_content() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let sender = server.sender("");
        let big = sender
            .send("a@sender.example", "toobig@example.com", RAW)
            .await;
        assert!(
            matches!(
                big,
                Err(SendError::Permanent {
                    code: Some(552),
                    ..
                })
            ),
            "{big:?}"
        );
        let grey = sender
            .send("a@sender.example", "greylist@example.com", RAW)
            .await;
        assert!(
            matches!(
                grey,
                Err(SendError::Transient {
                    code: Some(451),
                    ..
                })
            ),
            "{grey:?}"
        );
    }
}

#[tokio::test]
async fn a_session_survives_rejections_and_is_reused() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let sender = server.sender("?pool=1");
        for to in [
            "busy@example.com",
            "unknown@example.com",
            "toobig@example.com",
        ] {
            assert!(sender.send("a@sender.example", to, RAW).await.is_err());
        }
        for n in 0..3 {
            sender
                .send("a@sender.example", &format!("ok{n}@example.com"), RAW)
                .await
                .expect("accepted after rejections");
        }
        assert_eq!(server.connections(), 1, "one session carried everything");
        assert_eq!(server.accepted(), 3);
        assert_eq!(sender.idle_connections(), 1);
    }
}

#[tokio::test]
async fn disconnect_in_the_middle_of_data_is_uncertain() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let err = server
            .sender("")
            .send("a@sender.example", "dropdata@example.com", RAW)
            .await
            .expect_err("dropped");
        assert!(matches!(err, SendError::Uncertain { .. }), "{err:?}");
        assert!(err.message().contains("may have accepted"), "{err}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn disconnect_after_the_final_dot_is_uncertain() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::Normal, pipelining).await;
        let err = server
            .sender("")
            .send("a@sender.example", "dropdot@example.com", RAW)
            .await
            .expect_err("dropped");
        assert!(matches!(err, SendError::Uncertain { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn a_pooled_session_closed_by_the_server_is_replaced_transparently() {
    // Both without and with PIPELINING (MAIL, RCPT and DATA in one write).
    for pipelining in [false, true] {
        let server = StandIn::start_with(Mode::CloseAfterMessage, pipelining).await;
        let sender = server.sender("?pool=1");
        for n in 0..3 {
            sender
                .send("a@sender.example", &format!("ok{n}@example.com"), RAW)
                .await
                .unwrap_or_else(|e| panic!("message {n}: {e}"));
        }
        assert_eq!(server.accepted(), 3, "each message delivered once");
        assert_eq!(server.connections(), 3);
    }
}

#[tokio::test]
async fn tls_required_server_with_tls_none_is_a_config_error() {
    let server = StandIn::start(Mode::RequireStartTls).await;
    let err = server
        .sender("?tls=none")
        .send("a@sender.example", "ok@example.com", RAW)
        .await
        .expect_err("530");
    match &err {
        SendError::Config { message } => {
            assert!(
                message.contains("requires STARTTLS (set tls=starttls)"),
                "{message}"
            );
            assert!(
                message.contains("530 5.7.0 Must issue a STARTTLS command first"),
                "{message}"
            );
        }
        other => panic!("expected Config, got {other:?}"),
    }
}

#[tokio::test]
async fn plain_server_with_tls_tls_is_a_config_error() {
    let server = StandIn::start(Mode::Normal).await;
    let err = server
        .sender("?tls=tls")
        .send("a@sender.example", "ok@example.com", RAW)
        .await
        .expect_err("handshake fails");
    match &err {
        SendError::Config { message } => {
            assert!(
                message.contains("TLS handshake with 127.0.0.1:"),
                "{message}"
            );
            assert!(message.contains("use tls=starttls"), "{message}");
        }
        other => panic!("expected Config, got {other:?}"),
    }
    let err = server
        .sender("?tls=tls")
        .test_connection()
        .await
        .expect_err("same for the test");
    assert!(matches!(err, SendError::Config { .. }), "{err:?}");
}

#[tokio::test]
async fn starttls_against_a_server_without_it_is_a_config_error() {
    let server = StandIn::start(Mode::Normal).await;
    let err = server
        .sender("?tls=starttls")
        .test_connection()
        .await
        .expect_err("no STARTTLS");
    assert!(
        matches!(&err, SendError::Config { message } if message.contains("does not offer STARTTLS")),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_refused_and_421_greeting_are_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let sender = SmtpSender::from_url(&format!("smtp://127.0.0.1:{port}")).expect("url");
    let err = sender
        .send("a@sender.example", "ok@example.com", RAW)
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, SendError::Transient { code: None, message } if message.contains("could not connect")),
        "{err:?}"
    );

    let server = StandIn::start(Mode::Greeting421).await;
    let err = server
        .sender("")
        .send("a@sender.example", "ok@example.com", RAW)
        .await
        .expect_err("421");
    assert!(
        matches!(
            err,
            SendError::Transient {
                code: Some(421),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn authentication_is_used_and_bad_credentials_are_a_config_error() {
    let server = StandIn::start(Mode::Auth).await;
    let good = server.sender("").config().clone();
    let good = SmtpSender::new(SmtpConfig {
        credentials: SmtpConfig::from_url(&format!(
            "smtp://us%40r:p%40ss%3Aw%2Frd@127.0.0.1:{}",
            server.port
        ))
        .expect("url")
        .credentials,
        ..good
    });
    good.send("a@sender.example", "ok@example.com", RAW)
        .await
        .expect("authenticated send");
    let report = good.test_connection().await.expect("test");
    assert!(report.contains("authenticated as us@r"), "{report}");

    let bad = SmtpSender::from_url(&format!("smtp://us%40r:wrong@127.0.0.1:{}", server.port))
        .expect("url");
    let err = bad.test_connection().await.expect_err("bad creds");
    assert!(
        matches!(&err, SendError::Config { message } if message.contains("authentication failed") && message.contains("535 5.7.8")),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_addresses_are_invalid_before_any_connection() {
    let server = StandIn::start(Mode::Normal).await;
    let sender = server.sender("");
    let err = sender
        .send("a@sender.example", "not an address", RAW)
        .await
        .expect_err("invalid");
    assert!(matches!(err, SendError::Invalid { .. }), "{err:?}");
    assert!(err.message().contains("invalid recipient address"), "{err}");
    assert_eq!(server.connections(), 0);
}
