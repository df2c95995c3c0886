//! Shared by the CLI tests: a fresh database with a migrated schema, an owner and the
//! workspace `acme-agency`, and the `prospector` binary run against it.
#![allow(dead_code)]

use prospector_app::testing;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn new() -> Env {
        let (url, dir) = testing::fresh_database_url().await.unwrap();
        let env = Env { url, dir };
        let out = env.run(&["migrate"], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = env.run(
            &[
                "user",
                "create",
                "--email",
                "owner@example.com",
                "--password-stdin",
            ],
            Some("a long enough password\n"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = env.run(
            &[
                "workspace",
                "create",
                "--name",
                "Acme Agency",
                "--owner",
                "owner@example.com",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "acme-agency");
        env
    }

    /// The `prospector` command with this environment, not started yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_prospector"));
        c.args(args)
            .env("DATABASE_URL", &self.url)
            .env("PROSPECTOR_DATA_DIR", self.dir.path())
            .env("PROSPECTOR_SECRET_KEY", "07".repeat(32))
            .env("PROSPECTOR_LOG", "warn");
        c
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    pub fn file(&self, name: &str, body: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args, None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "exactly one JSON line: {text}");
        serde_json::from_str(&text).unwrap()
    }
}
