//! Reading mailboxes from a real IMAP server on loopback: a throwaway dovecot per test
//! (see `imap_dovecot`), messages put there with APPEND from a separate connection.

mod common;
mod imap_dovecot;

use std::time::{Duration, Instant};

use imap_dovecot::{Dovecot, message};
use prospector_channels::email::{
    IdleOutcome, ImapClient, ImapConfig, ImapError, MailboxState, TlsMode,
};

const MB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_in_uid_order_once_and_survives_a_restart() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut raw = server.raw("polls").await;
    let sent: Vec<Vec<u8>> = (1..=3)
        .map(|n| message(n, &format!("Re: hello {n}")))
        .collect();
    for m in &sent {
        raw.append("INBOX", m).await;
    }

    let mut client = ImapClient::from_url(&server.url("polls", "")).expect("url");
    assert_eq!(client.config().mailbox, "INBOX");
    let report = client.test_connection().await.expect("test connection");
    assert!(report.contains("logged in as polls"), "{report}");
    assert!(report.contains("3 messages"), "{report}");
    assert!(report.contains("IDLE supported"), "{report}");

    // First poll: everything, in UID order, byte for byte.
    let first = client.fetch_new(None, 100, MB).await.expect("first poll");
    assert!(!first.reset && !first.more);
    assert_eq!(first.messages.len(), 3);
    let uids: Vec<u32> = first.messages.iter().map(|m| m.uid).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
    for (got, want) in first.messages.iter().zip(&sent) {
        assert_eq!(&got.raw, want);
        assert!(!got.truncated);
        assert_eq!(got.size as usize, want.len());
    }
    let state = first.state;
    assert_eq!(state.last_uid, *uids.last().expect("uids"));

    // Nothing new: nothing returned, same position.
    let again = client
        .fetch_new(Some(state), 100, MB)
        .await
        .expect("second poll");
    assert!(again.messages.is_empty());
    assert_eq!(again.state, state);

    // Two more: only those.
    raw.append("INBOX", &message(4, "Re: four")).await;
    raw.append("INBOX", &message(5, "Re: five")).await;
    let next = client
        .fetch_new(Some(state), 100, MB)
        .await
        .expect("third poll");
    assert_eq!(next.messages.len(), 2);
    assert_eq!(next.messages[0].raw, message(4, "Re: four"));
    assert_eq!(next.messages[1].raw, message(5, "Re: five"));
    assert!(next.messages[0].uid > state.last_uid);
    let saved = next.state;

    // A restart: a new client with the saved state sees nothing old.
    drop(client);
    let mut restarted = ImapClient::new(server.config("polls"));
    let after = restarted
        .fetch_new(Some(saved), 100, MB)
        .await
        .expect("poll after restart");
    assert!(after.messages.is_empty(), "{:?}", after.messages);
    assert_eq!(after.state, saved);

    // A small batch size: the rest comes on the next poll, nothing lost or repeated.
    for n in 6..=8 {
        raw.append("INBOX", &message(n, "Re: batch")).await;
    }
    let part = restarted
        .fetch_new(Some(saved), 2, MB)
        .await
        .expect("batch 1");
    assert_eq!(part.messages.len(), 2);
    assert!(part.more);
    let rest = restarted
        .fetch_new(Some(part.state), 2, MB)
        .await
        .expect("batch 2");
    assert_eq!(rest.messages.len(), 1);
    assert!(!rest.more);
    assert_eq!(rest.messages[0].raw, message(8, "Re: batch"));

    // Reading never marked anything: no \Seen, and \Recent is still there for others.
    let flags = raw.cmd("SELECT INBOX").await;
    assert!(
        flags.iter().any(|l| l.starts_with("* 8 RECENT")),
        "EXAMINE must not consume \\Recent: {flags:?}"
    );
    let fetched = raw.cmd("FETCH 1:* (FLAGS)").await;
    assert_eq!(fetched.len(), 8, "{fetched:?}");
    assert!(fetched.iter().all(|l| !l.contains("\\Seen")), "{fetched:?}");
    restarted.close().await;
    raw.logout().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_state_skips_history() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut raw = server.raw("history").await;
    for n in 1..=4 {
        raw.append("INBOX", &message(n, "old")).await;
    }
    let mut client = ImapClient::new(server.config("history"));
    let now = client.current_state().await.expect("current state");
    assert_eq!(now.last_uid, 4);
    let nothing = client.fetch_new(Some(now), 10, MB).await.expect("poll");
    assert!(nothing.messages.is_empty());
    raw.append("INBOX", &message(5, "new")).await;
    let one = client.fetch_new(Some(now), 10, MB).await.expect("poll");
    assert_eq!(one.messages.len(), 1);
    assert_eq!(one.messages[0].raw, message(5, "new"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_starts_over_without_reprocessing() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut raw = server.raw("renumber").await;
    // A non-ASCII folder name also checks the modified UTF-7 encoding.
    raw.cmd("CREATE \"R&AOk-ponses\"").await;
    raw.append("R&AOk-ponses", &message(1, "one")).await;
    raw.append("R&AOk-ponses", &message(2, "two")).await;

    let mut client = ImapClient::from_url(&server.url("renumber", "R%C3%A9ponses")).expect("url");
    assert_eq!(client.config().mailbox, "Réponses");
    let first = client.fetch_new(None, 10, MB).await.expect("first poll");
    assert_eq!(first.messages.len(), 2);
    let old = first.state;

    // The folder is deleted and made again: new UIDVALIDITY, UIDs start again at 1.
    raw.cmd("DELETE \"R&AOk-ponses\"").await;
    raw.cmd("CREATE \"R&AOk-ponses\"").await;
    raw.append("R&AOk-ponses", &message(3, "three")).await;
    raw.append("R&AOk-ponses", &message(4, "four")).await;

    let reset = client
        .fetch_new(Some(old), 10, MB)
        .await
        .expect("poll after reset");
    assert!(reset.reset, "UIDVALIDITY change must be reported");
    assert!(
        reset.messages.is_empty(),
        "nothing reprocessed after a reset"
    );
    assert_ne!(reset.state.uidvalidity, old.uidvalidity);
    assert_eq!(reset.state.last_uid, 2, "the new mailbox's current end");

    raw.append("R&AOk-ponses", &message(5, "five")).await;
    let next = client
        .fetch_new(Some(reset.state), 10, MB)
        .await
        .expect("poll after the reset");
    assert!(!next.reset);
    assert_eq!(next.messages.len(), 1);
    assert_eq!(next.messages[0].raw, message(5, "five"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_wakes_when_mail_arrives_from_another_connection() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut client = ImapClient::new(server.config("idler"));
    let start = client.fetch_new(None, 10, MB).await.expect("empty poll");
    assert!(start.messages.is_empty());
    assert_eq!(start.state.last_uid, 0);

    // Nothing arrives: IDLE ends at the timeout, keep-alives (one a second from this
    // server) notwithstanding.
    let t0 = Instant::now();
    let outcome = client
        .idle_wait(Duration::from_millis(2500))
        .await
        .expect("idle");
    let waited = t0.elapsed();
    assert_eq!(outcome, IdleOutcome::Timeout);
    assert!(
        waited >= Duration::from_millis(2400) && waited < Duration::from_secs(6),
        "{waited:?}"
    );

    // A message appended by another connection while we IDLE wakes us up.
    let port = server.port;
    let appender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut raw = imap_dovecot::RawImap::login(port, "idler").await;
        raw.append("INBOX", &message(1, "Re: idle")).await;
        raw.logout().await;
    });
    let t0 = Instant::now();
    let outcome = client
        .idle_wait(Duration::from_secs(30))
        .await
        .expect("idle");
    let waited = t0.elapsed();
    appender.await.expect("appender");
    assert_eq!(outcome, IdleOutcome::NewMail);
    assert!(waited < Duration::from_secs(10), "woke after {waited:?}");
    let got = client
        .fetch_new(Some(start.state), 10, MB)
        .await
        .expect("poll after idle");
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].raw, message(1, "Re: idle"));

    // Mail that arrived between the poll and the IDLE is not missed.
    let mut raw = server.raw("idler").await;
    raw.append("INBOX", &message(2, "Re: between")).await;
    let t0 = Instant::now();
    let outcome = client
        .idle_wait(Duration::from_secs(30))
        .await
        .expect("idle");
    assert_eq!(outcome, IdleOutcome::NewMail);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let got = client
        .fetch_new(Some(got.state), 10, MB)
        .await
        .expect("poll");
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].raw, message(2, "Re: between"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_replaced() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    let mut raw = server.raw("dropped").await;
    raw.append("INBOX", &message(1, "one")).await;
    let mut client = ImapClient::new(server.config("dropped"));
    let first = client.fetch_new(None, 10, MB).await.expect("poll");
    assert_eq!(first.messages.len(), 1);
    // The server kicks every session of the user (as an idle timeout would).
    raw.cmd("NOOP").await;
    drop(raw);
    kick(&server, "dropped");
    let mut raw = server.raw("dropped").await;
    raw.append("INBOX", &message(2, "two")).await;
    let second = client
        .fetch_new(Some(first.state), 10, MB)
        .await
        .expect("poll reconnects by itself");
    assert_eq!(second.messages.len(), 1);
    assert_eq!(second.messages[0].raw, message(2, "two"));
}

/// `doveadm kick` needs the doveadm socket of this instance.
fn kick(server: &Dovecot, user: &str) {
    let status = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(server.conf_path())
        .args(["kick", user])
        .stdout(std::process::Stdio::null())
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "doveadm kick failed; log:\n{}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_problems_are_named() {
    let Some(server) = Dovecot::start() else {
        return;
    };
    // A mailbox that does not exist.
    let mut cfg = server.config("someone");
    cfg.mailbox = "Nope".into();
    let err = ImapClient::new(cfg)
        .fetch_new(None, 10, MB)
        .await
        .expect_err("no such mailbox");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("\"Nope\""), "{err}");

    // STARTTLS required but not offered (ssl = no).
    let mut cfg = server.config("someone");
    cfg.tls = TlsMode::StartTls;
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("no STARTTLS");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Tls(_)), "{err:?}");
    assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");

    // Implicit TLS against a plain-text port.
    let mut cfg = server.config("someone");
    cfg.tls = TlsMode::Tls;
    cfg.timeout = Duration::from_secs(5);
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("not TLS");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Tls(_)), "{err:?}");

    // Nothing listening.
    let port = common::free_port();
    let cfg = ImapConfig::new("127.0.0.1", port, TlsMode::None, "u", "p");
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("refused");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Connect(_)), "{err:?}");
    assert!(err.is_transient());

    // A server that accepts the connection and says nothing.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut cfg = ImapConfig::new(
        "127.0.0.1",
        silent.local_addr().expect("addr").port(),
        TlsMode::None,
        "u",
        "p",
    );
    cfg.timeout = Duration::from_millis(300);
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("silent server");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Timeout(_)), "{err:?}");
    drop(silent);

    // The right password works.
    let ok = ImapClient::new(server.config("someone"))
        .fetch_new(None, 10, MB)
        .await
        .expect("right password");
    assert_eq!(
        ok.state,
        MailboxState {
            uidvalidity: ok.state.uidvalidity,
            last_uid: 0
        }
    );

    // Wrong password (last: dovecot delays logins from an address after failures).
    let mut cfg = server.config("someone");
    cfg.password = "wrong".into();
    let err = ImapClient::new(cfg.clone())
        .test_connection()
        .await
        .expect_err("wrong password");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Auth(_)), "{err:?}");
    assert!(
        err.to_string().contains("refused the login of someone"),
        "{err}"
    );
    assert!(!err.is_transient());
    let err = ImapClient::new(cfg)
        .fetch_new(None, 10, MB)
        .await
        .expect_err("wrong password");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Auth(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_negotiated_and_an_untrusted_certificate_is_refused() {
    let Some(server) = Dovecot::start_tls() else {
        return;
    };
    // STARTTLS is offered and accepted; the handshake then refuses the self-signed
    // certificate, so the password is never sent.
    let mut cfg = server.config("tls");
    cfg.tls = TlsMode::StartTls;
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("untrusted certificate");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Tls(_)), "{err:?}");
    assert!(err.to_string().contains("after STARTTLS"), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");

    // Implicit TLS on the imaps port: the same refusal, at the first byte.
    let mut cfg = server.config("tls");
    cfg.port = server.tls_port.expect("imaps port");
    cfg.tls = TlsMode::Tls;
    let err = ImapClient::new(cfg)
        .test_connection()
        .await
        .expect_err("untrusted certificate");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Tls(_)), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(
        !server.log().contains("user=<tls>"),
        "no login may happen over an unverified connection:\n{}",
        server.log()
    );
}
