//! Helpers shared by the integration tests: real peers (postfix `smtp-sink`, python
//! `dkimpy`), one DKIM key per test binary, and sample messages.
//!
//! With `CI=true` a missing peer fails the test; elsewhere it prints a warning and the test
//! returns early, so a developer without postfix can still run the rest.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use prospector_channels::email::dkim::{GeneratedDkimKey, generate_key};
use prospector_channels::email::{ListUnsubscribe, OutgoingEmail};

pub const DKIM_DOMAIN: &str = "sender.example";
pub const DKIM_SELECTOR: &str = "p2026";

pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Returns false (after a warning) when a peer is missing outside CI; panics in CI.
pub fn require(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if ci() {
        panic!("{what} is missing (CI=true: missing tools are errors; scripts/test installs it)");
    }
    eprintln!("warning: {what} is missing; skipping this test (set CI=true to make it an error)");
    false
}

pub fn find_program(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// A running postfix `smtp-sink`, killed on drop.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
}

impl SmtpSink {
    /// Starts `smtp-sink` on a free loopback port. With `dump_dir`, every transaction is
    /// written to its own file `dump_dir/m.<random hex>`; without, messages are discarded
    /// (the fast mode benchmarks use). Returns `None` when smtp-sink is missing outside CI.
    pub fn start(dump_dir: Option<&Path>) -> Option<SmtpSink> {
        let bin = find_program("smtp-sink", &["/usr/sbin", "/usr/lib/postfix/sbin"]);
        if !require("postfix smtp-sink (package postfix)", bin.is_some()) {
            return None;
        }
        let bin = bin?;
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            // smtp-sink refuses to run as root without -u; it only needs to write the dump dir.
            let user = std::env::var("USER").ok().filter(|u| !u.is_empty());
            let is_root = Command::new("id")
                .arg("-u")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
                .unwrap_or(false);
            if is_root {
                cmd.args(["-u", "root"]);
            } else if let Some(u) = user {
                cmd.args(["-u", &u]);
            }
            if let Some(dir) = dump_dir {
                cmd.arg("-d").arg(format!("{}/m.", dir.display()));
            }
            // -m: simultaneous connections; backlog 256.
            cmd.args(["-m", "64", &format!("127.0.0.1:{port}"), "256"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            let mut child = cmd.spawn().expect("spawn smtp-sink");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    eprintln!("smtp-sink exited early ({status}); retrying on another port");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(SmtpSink { port, child });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("smtp-sink did not start listening");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `dir` holds `count` files and returns them (smtp-sink writes as "." arrives,
/// so files can lag the client's 250 by a moment).
pub fn wait_for_files(dir: &Path, count: usize) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        if files.len() >= count || Instant::now() > deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A python interpreter that can `import dkim` (dkimpy), trying `$PROSPECTOR_DKIM_PYTHON`,
/// `python3` and Debian's `/usr/bin/python3` (which has python3-dkim).
pub fn dkim_python() -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(p) = std::env::var("PROSPECTOR_DKIM_PYTHON") {
        candidates.push(p);
    }
    candidates.push("python3".into());
    candidates.push("/usr/bin/python3".into());
    let found = candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import dkim"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if require(
        "python3 with dkimpy (pip install dkimpy, or Debian python3-dkim)",
        found.is_some(),
    ) {
        found
    } else {
        None
    }
}

const VERIFY_PY: &str = r#"
import sys, dkim
msg = open(sys.argv[1], 'rb').read()
want = sys.argv[2].rstrip('.').lower()
record = sys.argv[3].encode()
asked = []
def dnsfunc(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    asked.append(n)
    return record if n.rstrip('.').lower() == want else None
ok = dkim.verify(msg, dnsfunc=dnsfunc)
if not ok:
    sys.stderr.write('dkim.verify returned False; asked for %r\n' % asked)
    sys.exit(1)
print('dkim ok')
"#;

/// Verifies the DKIM signature of `raw` with dkimpy, serving `dns_value` for `dns_name`.
pub fn verify_with_dkimpy(
    python: &str,
    raw: &[u8],
    dns_name: &str,
    dns_value: &str,
) -> Result<(), String> {
    let mut msg = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    msg.write_all(raw).map_err(|e| e.to_string())?;
    let out = Command::new(python)
        .arg("-c")
        .arg(VERIFY_PY)
        .arg(msg.path())
        .arg(dns_name)
        .arg(dns_value)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "dkimpy rejected the signature: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// One RSA-2048 key per test binary (generation is slow in debug builds).
pub fn test_key() -> &'static GeneratedDkimKey {
    static KEY: OnceLock<GeneratedDkimKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key(DKIM_DOMAIN, DKIM_SELECTOR).expect("generate a DKIM key"))
}

pub fn sample_email(n: usize) -> OutgoingEmail {
    OutgoingEmail {
        from_name: "Ana Pérez".into(),
        from_email: "ana@sender.example".into(),
        reply_to: Some("Ana Replies <replies@sender.example>".into()),
        to_name: Some("Zoë Müller".into()),
        to_email: format!("contact{n}@example.com"),
        subject: format!("Café ideas for Zoë ☕ #{n}"),
        text: format!(
            "Hi Zoë,\n\nA short note about your café.\n.\nA line that starts with a dot.\n\nAna #{n}\n"
        ),
        html: Some(format!(
            "<p>Hi Zoë,</p><p>A short note about your café.</p><p>Ana #{n}</p>"
        )),
        message_id: format!("<m{n}.t3st@sender.example>"),
        list_unsubscribe: Some(ListUnsubscribe {
            url: format!("https://app.example/u/tok{n}"),
            mailto: Some(format!("unsub+tok{n}@app.example")),
        }),
        extra_headers: vec![("X-Prospector-Campaign".into(), "7".into())],
    }
}
