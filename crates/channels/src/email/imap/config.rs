//! IMAP mailbox settings and the `imap://` URL the CLI and API accept.
//!
//! `imap://user:pass@host[:port][/MAILBOX][?tls=none|starttls|tls&timeout=SECS]`
//! (`imaps://` means `tls=tls`). User, password and mailbox are percent-decoded, so `@`, `:`
//! and `/` in a password are written `%40`, `%3A`, `%2F`; the mailbox defaults to `INBOX` and
//! may name a folder with the server's hierarchy separator (`/INBOX/Replies`, `/INBOX.Replies`).
//!
//! Default port: 143 for `imap://`, 993 for `imaps://`.
//! Default TLS when `tls` is not given, the same rule as for SMTP, so that a password never
//! crosses a network in clear text by accident:
//! - port 993 or `imaps://` → `tls` (implicit TLS);
//! - a loopback host (`localhost`, `127.0.0.0/8`, `::1`) → `none`;
//! - anything else → `starttls` (required, not opportunistic).
//!
//! Unknown query parameters are errors, so a typo such as `?tsl=none` is caught when the
//! mailbox is saved rather than silently ignored.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::percent_decode_str;

use crate::email::smtp::TlsMode;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAILBOX: &str = "INBOX";

/// Everything needed to read one mailbox. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password: String,
    /// The folder to watch, as the user names it (UTF-8; sent as modified UTF-7).
    pub mailbox: String,
    /// Limit for connecting, for the TLS handshake, for the login and for each command. Body
    /// fetches are one command per message over the caller's `max_bytes_per_message` (read
    /// up to that cap) or per batch of smaller ones (at most 8 MiB, or one cap, together).
    pub timeout: Duration,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ImapConfig {
    /// A config for `INBOX` with the default timeout.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        tls: TlsMode,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ImapConfig {
            host: host.into(),
            port,
            tls,
            username: username.into(),
            password: password.into(),
            mailbox: DEFAULT_MAILBOX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Parses the `imap://` URL described in the module docs.
    pub fn from_url(input: &str) -> Result<Self, ImapUrlError> {
        let url =
            url::Url::parse(input.trim()).map_err(|e| ImapUrlError::Malformed(e.to_string()))?;
        let implicit = match url.scheme() {
            "imap" => false,
            "imaps" => true,
            other => return Err(ImapUrlError::Scheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(ImapUrlError::MissingHost),
        };
        let port = url.port().unwrap_or(if implicit { 993 } else { 143 });
        if port == 0 {
            return Err(ImapUrlError::Malformed("port 0".into()));
        }
        if url.username().is_empty() {
            return Err(ImapUrlError::MissingCredentials);
        }
        let username = decode(url.username(), "user")?;
        let password = decode(url.password().unwrap_or(""), "password")?;
        if password.is_empty() {
            return Err(ImapUrlError::MissingCredentials);
        }
        let mailbox = decode(url.path().trim_start_matches('/'), "mailbox")?;
        let mailbox = if mailbox.is_empty() {
            DEFAULT_MAILBOX.to_owned()
        } else {
            mailbox
        };
        if mailbox.chars().any(|c| c.is_control()) {
            return Err(ImapUrlError::Malformed(
                "the mailbox name contains control characters".into(),
            ));
        }
        if url.fragment().is_some() {
            return Err(ImapUrlError::Malformed("unexpected #fragment".into()));
        }

        let mut tls = None;
        let mut config = ImapConfig::new(host, port, TlsMode::None, username, password);
        config.mailbox = mailbox;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" => {
                    tls = Some(
                        parse_tls(&value)
                            .ok_or_else(|| ImapUrlError::InvalidTls(value.to_string()))?,
                    )
                }
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .map_err(|_| ImapUrlError::InvalidParam("timeout", value.to_string()))?;
                    if secs == 0 || secs > 600 {
                        return Err(ImapUrlError::InvalidParam("timeout", value.to_string()));
                    }
                    config.timeout = Duration::from_secs(secs);
                }
                other => return Err(ImapUrlError::UnknownParam(other.to_owned())),
            }
        }
        if implicit && tls.is_some_and(|t| t != TlsMode::Tls) {
            return Err(ImapUrlError::Malformed(
                "imaps:// always uses implicit TLS; use imap:// for tls=none or starttls".into(),
            ));
        }
        config.tls = tls.unwrap_or_else(|| default_tls(&config.host, port, implicit));
        Ok(config)
    }

    /// The URL form without the password, for logs and the UI.
    pub fn redacted_url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "imap://{}:***@{host}:{}/{}?tls={}",
            percent_encoding::utf8_percent_encode(&self.username, COMPONENT),
            self.port,
            percent_encoding::utf8_percent_encode(&self.mailbox, COMPONENT),
            self.tls.as_str()
        )
    }

    /// `host:port`, for messages.
    pub(super) fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for ImapConfig {
    type Err = ImapUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImapConfig::from_url(s)
    }
}

const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn parse_tls(s: &str) -> Option<TlsMode> {
    match s.to_ascii_lowercase().as_str() {
        "none" | "plain" | "off" => Some(TlsMode::None),
        "starttls" => Some(TlsMode::StartTls),
        "tls" | "ssl" | "implicit" => Some(TlsMode::Tls),
        _ => None,
    }
}

fn default_tls(host: &str, port: u16, implicit: bool) -> TlsMode {
    if implicit || port == 993 {
        TlsMode::Tls
    } else if is_loopback(host) {
        TlsMode::None
    } else {
        TlsMode::StartTls
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn decode(s: &str, what: &str) -> Result<String, ImapUrlError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ImapUrlError::Malformed(format!("the {what} is not UTF-8 after decoding")))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapUrlError {
    #[error(
        "not a valid IMAP URL: {0} (expected imap://user:pass@host:port/MAILBOX[?tls=none|starttls|tls])"
    )]
    Malformed(String),
    #[error("unsupported scheme {0:?}: use imap:// or imaps://")]
    Scheme(String),
    #[error("the IMAP URL has no host")]
    MissingHost,
    #[error("the IMAP URL needs a user and a password (imap://user:pass@host)")]
    MissingCredentials,
    #[error("invalid tls={0:?}: use none, starttls or tls")]
    InvalidTls(String),
    #[error("invalid {0}={1:?}")]
    InvalidParam(&'static str, String),
    #[error("unknown IMAP URL parameter {0:?} (known: tls, timeout)")]
    UnknownParam(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_url_with_encoded_parts() {
        let c = ImapConfig::from_url(
            "imaps://us%40er.example:p%3Ass%2Fw%40rd@Mail.Example.com:1993/INBOX%2FR%C3%A9ponses?timeout=10",
        )
        .expect("parses");
        assert_eq!(c.host, "mail.example.com");
        assert_eq!(c.port, 1993);
        assert_eq!(c.tls, TlsMode::Tls);
        assert_eq!(c.username, "us@er.example");
        assert_eq!(c.password, "p:ss/w@rd");
        assert_eq!(c.mailbox, "INBOX/Réponses");
        assert_eq!(c.timeout, Duration::from_secs(10));
        let debug = format!("{c:?}");
        assert!(!debug.contains("p:ss"), "{debug}");
        assert_eq!(
            c.redacted_url(),
            "imap://us%40er.example:***@mail.example.com:1993/INBOX%2FR%C3%A9ponses?tls=tls"
        );
        // A literal '@' in the user is taken as part of the user (the last '@' ends it).
        let c = ImapConfig::from_url("imap://me@example.com:secret@imap.example.com/Sent")
            .expect("parses");
        assert_eq!(c.username, "me@example.com");
        assert_eq!(c.mailbox, "Sent");
    }

    #[test]
    fn defaults_are_safe() {
        let cfg = |u: &str| ImapConfig::from_url(u).expect(u);
        assert_eq!(cfg("imap://u:p@imap.example.com").port, 143);
        assert_eq!(cfg("imap://u:p@imap.example.com").tls, TlsMode::StartTls);
        assert_eq!(cfg("imap://u:p@imap.example.com").mailbox, "INBOX");
        assert_eq!(cfg("imap://u:p@imap.example.com/").mailbox, "INBOX");
        assert_eq!(cfg("imaps://u:p@imap.example.com").port, 993);
        assert_eq!(cfg("imaps://u:p@imap.example.com").tls, TlsMode::Tls);
        assert_eq!(cfg("imap://u:p@imap.example.com:993").tls, TlsMode::Tls);
        assert_eq!(cfg("imap://u:p@127.0.0.1:1143").tls, TlsMode::None);
        assert_eq!(cfg("imap://u:p@localhost:1143").tls, TlsMode::None);
        assert_eq!(cfg("imap://u:p@[::1]:1143").host, "::1");
        assert_eq!(cfg("imap://u:p@[::1]:1143").tls, TlsMode::None);
        assert_eq!(
            cfg("imap://u:p@127.0.0.1:1143?tls=starttls").tls,
            TlsMode::StartTls
        );
        assert_eq!(
            cfg("imap://u:p@imap.example.com?tls=none").tls,
            TlsMode::None
        );
        assert_eq!(cfg("imap://u:p@imap.example.com").timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            cfg("imap://u:p@[::1]:1143").redacted_url(),
            "imap://u:***@[::1]:1143/INBOX?tls=none"
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "http://u:p@imap.example.com",
            "imap://imap.example.com",
            "imap://u@imap.example.com",
            "imap://u:@imap.example.com",
            "imap://u:p@:143",
            "imap://u:p@imap.example.com?tls=maybe",
            "imap://u:p@imap.example.com?tsl=none",
            "imap://u:p@imap.example.com?timeout=0",
            "imap://u:p@imap.example.com?timeout=abc",
            "imaps://u:p@imap.example.com?tls=none",
            "imap://u:p@imap.example.com/IN%0ABOX",
            "imap://u:p@imap.example.com/%FF",
            "imap://u:p@imap.example.com:0",
            "not a url",
        ] {
            assert!(
                ImapConfig::from_url(bad).is_err(),
                "{bad} should be rejected"
            );
        }
        assert_eq!(
            ImapConfig::from_url("imap://imap.example.com"),
            Err(ImapUrlError::MissingCredentials)
        );
    }
}
