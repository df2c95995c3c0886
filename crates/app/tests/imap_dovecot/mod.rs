//! A real IMAP server for the IMAP tests: Debian's dovecot, started per test as a throwaway
//! instance (its own temp dir, config, port, logs and mail), plus a minimal IMAP client of
//! our own for the other side (APPEND, CREATE, DELETE, FETCH FLAGS) so the tests do not
//! check the code under test with itself.
//!
//! The instance: `dovecot -F -c <dir>/dovecot.conf` listening on 127.0.0.1 and a free
//! port, `ssl = no`, any user with password `secret` (static passdb), maildir under the temp
//! dir. Run as root (CI), the login and internal processes use Debian's `dovenull` and
//! `dovecot` users and the mail files belong to `nobody`; run as a normal user, everything
//! runs as that user. With `CI=true` a missing dovecot fails the test; elsewhere the test
//! prints a warning and returns.

#![allow(dead_code)]

// Copied from crates/channels/tests/imap_dovecot (with the three helpers of its `common`).
use std::net::TcpStream as StdTcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use prospector_channels::email::{ImapConfig, TlsMode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use std::path::PathBuf;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn require(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if ci() {
        panic!("{what} is missing (CI=true: missing tools are errors; scripts/test installs it)");
    }
    eprintln!("warning: {what} is missing; skipping this test (set CI=true to make it an error)");
    false
}

fn find_program(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

pub const PASSWORD: &str = "secret";

pub struct Dovecot {
    pub port: u16,
    /// The implicit-TLS port, when started with [`Dovecot::start_tls`].
    pub tls_port: Option<u16>,
    child: Child,
    dir: tempfile::TempDir,
}

fn id(args: &[&str]) -> Option<String> {
    let out = Command::new("id").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Dovecot {
    /// Starts dovecot, or returns `None` (after a warning) when it is missing outside CI.
    pub fn start() -> Option<Dovecot> {
        Self::launch(false)
    }

    /// Like [`start`](Self::start), with TLS: STARTTLS on `port` and implicit TLS on
    /// `tls_port`, with a fresh self-signed certificate for `localhost` (made with openssl,
    /// which Debian's dovecot depends on). No client trusts it.
    pub fn start_tls() -> Option<Dovecot> {
        Self::launch(true)
    }

    fn launch(tls: bool) -> Option<Dovecot> {
        let bin = find_program("dovecot", &["/usr/sbin", "/usr/local/sbin"]);
        if !require("dovecot (package dovecot-imapd)", bin.is_some()) {
            return None;
        }
        let bin = bin?;
        let version = Command::new(&bin)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        assert!(
            version.starts_with("2.3"),
            "this test writes a dovecot 2.3 configuration; found dovecot {version:?}"
        );
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let tls_port = tls.then(free_port);
            write_config(dir.path(), port, tls_port);
            let log = dir.path().join("dovecot.log");
            let mut child = Command::new(&bin)
                .arg("-F")
                .arg("-c")
                .arg(dir.path().join("dovecot.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn dovecot");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    eprintln!(
                        "dovecot exited early ({status}); log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                let up = |p: u16| StdTcpStream::connect(("127.0.0.1", p)).is_ok();
                if up(port) && tls_port.is_none_or(up) {
                    return Some(Dovecot {
                        port,
                        tls_port,
                        child,
                        dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            stop(&mut child);
        }
        panic!("dovecot did not start listening");
    }

    pub fn config(&self, user: &str) -> ImapConfig {
        let mut c = ImapConfig::new("127.0.0.1", self.port, TlsMode::None, user, PASSWORD);
        c.timeout = Duration::from_secs(20);
        c
    }

    pub fn url(&self, user: &str, mailbox: &str) -> String {
        format!("imap://{user}:{PASSWORD}@127.0.0.1:{}/{mailbox}", self.port)
    }

    pub fn conf_path(&self) -> std::path::PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub async fn raw(&self, user: &str) -> RawImap {
        RawImap::login(self.port, user).await
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// SIGTERM lets dovecot's master stop its auth/imap/log children; SIGKILL if it hangs.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A self-signed certificate and key for `localhost` in `dir`.
fn self_signed(dir: &Path) {
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "openssl could not make a test certificate"
    );
}

fn write_config(dir: &Path, port: u16, tls_port: Option<u16>) {
    use std::os::unix::fs::PermissionsExt;

    let d = dir.display();
    let (ssl, imaps_port) = match tls_port {
        Some(p) => {
            self_signed(dir);
            let dh = Path::new("/usr/share/dovecot/dh.pem");
            let dh = if dh.exists() {
                format!("ssl_dh = <{}\n", dh.display())
            } else {
                String::new()
            };
            (
                format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n{dh}"),
                p,
            )
        }
        None => ("ssl = no\n".to_owned(), 0),
    };
    for sub in ["run", "state", "mail"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    let root = id(&["-u"]).as_deref() == Some("0");
    let (internal, login, uid, gid) = if root {
        let user_or_nobody = |u: &str| {
            if id(&["-u", u]).is_some() {
                u.to_owned()
            } else {
                "nobody".to_owned()
            }
        };
        let uid = id(&["-u", "nobody"]).expect("user nobody");
        let gid = id(&["-g", "nobody"]).expect("group of nobody");
        // The mail processes run as nobody: let them through the temp dir to their mail.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let (u, g) = (
            uid.parse::<u32>().expect("uid"),
            gid.parse::<u32>().expect("gid"),
        );
        std::os::unix::fs::chown(dir.join("mail"), Some(u), Some(g)).expect("chown mail");
        (
            user_or_nobody("dovecot"),
            user_or_nobody("dovenull"),
            uid,
            gid,
        )
    } else {
        let me = id(&["-un"]).expect("user name");
        (
            me.clone(),
            me,
            id(&["-u"]).expect("uid"),
            id(&["-g"]).expect("gid"),
        )
    };
    let conf = format!(
        r#"# Throwaway dovecot for prospector-channels tests.
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
# IDLE keep-alives ("* OK Still here") every second instead of every 2 minutes.
imap_idle_notify_interval = 1 secs
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"#
    );
    std::fs::write(dir.join("dovecot.conf"), conf).expect("write dovecot.conf");
}

/// A deliberately small IMAP client for setting up the server side of a test.
pub struct RawImap {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
    n: u32,
}

impl RawImap {
    pub async fn login(port: u16, user: &str) -> RawImap {
        let s = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let (r, w) = s.into_split();
        let mut c = RawImap {
            r: BufReader::new(r),
            w,
            n: 0,
        };
        let greeting = c.line().await;
        assert!(greeting.starts_with("* OK"), "{greeting}");
        c.cmd(&format!("LOGIN {user} {PASSWORD}")).await;
        c
    }

    async fn line(&mut self) -> String {
        let mut l = String::new();
        let n = tokio::time::timeout(Duration::from_secs(30), self.r.read_line(&mut l))
            .await
            .expect("server answers in time")
            .expect("read");
        assert!(n > 0, "server closed the connection");
        l
    }

    fn tag(&mut self) -> String {
        self.n += 1;
        format!("t{}", self.n)
    }

    async fn done(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line().await;
            if let Some(rest) = l.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "{tag} failed: {l} after {lines:?}");
                return lines;
            }
            lines.push(l);
        }
    }

    /// Runs one command; panics unless it ends in OK. Returns the untagged lines.
    pub async fn cmd(&mut self, command: &str) -> Vec<String> {
        let tag = self.tag();
        self.w
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .expect("write");
        self.done(&tag).await
    }

    /// APPEND with a LITERAL+ (no round trip for the continuation).
    pub async fn append(&mut self, mailbox: &str, message: &[u8]) {
        let tag = self.tag();
        self.w
            .write_all(format!("{tag} APPEND \"{mailbox}\" {{{}+}}\r\n", message.len()).as_bytes())
            .await
            .expect("write");
        self.w.write_all(message).await.expect("write");
        self.w.write_all(b"\r\n").await.expect("write");
        self.done(&tag).await;
    }

    /// APPEND of `len` bytes produced by `chunk(offset) -> bytes`, streamed so the test
    /// itself never holds the whole message.
    pub async fn append_streamed(
        &mut self,
        mailbox: &str,
        len: usize,
        mut chunk: impl FnMut(usize) -> Vec<u8>,
    ) {
        let tag = self.tag();
        self.w
            .write_all(format!("{tag} APPEND \"{mailbox}\" {{{len}+}}\r\n").as_bytes())
            .await
            .expect("write");
        let mut sent = 0;
        while sent < len {
            let mut c = chunk(sent);
            c.truncate(len - sent);
            assert!(!c.is_empty(), "chunk generator ran dry at {sent}");
            self.w.write_all(&c).await.expect("write");
            sent += c.len();
        }
        self.w.write_all(b"\r\n").await.expect("write");
        self.done(&tag).await;
    }

    pub async fn logout(mut self) {
        let _ = self.w.write_all(b"z LOGOUT\r\n").await;
    }
}

/// A small RFC 5322 message with CRLF line ends.
pub fn message(n: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Prospect {n} <prospect{n}@customer.example>\r\n\
         To: Sales <sales@sender.example>\r\n\
         Subject: {subject}\r\n\
         Message-ID: <reply-{n}@customer.example>\r\n\
         In-Reply-To: <out-{n}@sender.example>\r\n\
         Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         \r\n\
         Thanks, let's talk ({n}).\r\n"
    )
    .into_bytes()
}
