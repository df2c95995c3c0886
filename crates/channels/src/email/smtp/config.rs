//! SMTP account settings and the `smtp://` URL the CLI and API accept.
//!
//! `smtp://[user:pass@]host[:port][?tls=none|starttls|tls&pool=N&timeout=SECS&helo=NAME]`
//! (`smtps://` means `tls=tls`). User and password are percent-decoded, so `@`, `:` and `/`
//! in a password are written `%40`, `%3A`, `%2F`.
//!
//! Default port: 587 for `smtp://`, 465 for `smtps://`.
//! Default TLS when `tls` is not given, chosen so that a password never crosses a network
//! in clear text by accident:
//! - port 465 or `smtps://` → `tls` (implicit TLS);
//! - a loopback host (`localhost`, `127.0.0.0/8`, `::1`) → `none` (local relays and test
//!   sinks such as postfix's `smtp-sink` rarely offer TLS);
//! - anything else → `starttls` (required, not opportunistic).
//!
//! Unknown query parameters are errors, so a typo such as `?tsl=none` is caught when the
//! sender is saved rather than silently ignored.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::percent_decode_str;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP; only for trusted local relays.
    None,
    /// Plain connect, then STARTTLS before anything else; fails if the server does not offer it.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

impl FromStr for TlsMode {
    type Err = SmtpUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" | "off" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::StartTls),
            "tls" | "ssl" | "implicit" => Ok(TlsMode::Tls),
            _ => Err(SmtpUrlError::InvalidTls(s.to_owned())),
        }
    }
}

/// SMTP AUTH credentials. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    username: String,
    password: String,
}

impl SmtpCredentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        SmtpCredentials {
            username: username.into(),
            password: password.into(),
        }
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Everything needed to talk to one SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<SmtpCredentials>,
    /// The EHLO name; the machine's hostname when `None`.
    pub hello_name: Option<String>,
    /// Limit for connecting and for each command/reply, including the final reply after the
    /// message content.
    pub timeout: Duration,
    /// Parallel connections kept per sender. A few connections saturate a local relay;
    /// remote providers often limit concurrent sessions per account.
    pub max_connections: usize,
    /// A connection is closed (QUIT) and replaced after this many messages, because many
    /// servers cap messages per session.
    pub max_messages_per_connection: u32,
    /// Idle pooled connections older than this are dropped instead of reused, before the
    /// server's own idle timeout (often 60–300 s) closes them under us.
    pub idle_timeout: Duration,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;
pub const DEFAULT_MAX_MESSAGES_PER_CONNECTION: u32 = 1000;
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_POOL: usize = 64;

impl SmtpConfig {
    /// A config with defaults for everything but the address.
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            tls,
            credentials: None,
            hello_name: None,
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_messages_per_connection: DEFAULT_MAX_MESSAGES_PER_CONNECTION,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }

    /// Parses the `smtp://` URL described in the module docs.
    pub fn from_url(input: &str) -> Result<Self, SmtpUrlError> {
        let url =
            url::Url::parse(input.trim()).map_err(|e| SmtpUrlError::Malformed(e.to_string()))?;
        let implicit = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(SmtpUrlError::Scheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(SmtpUrlError::MissingHost),
        };
        if url.path() != "" && url.path() != "/" {
            return Err(SmtpUrlError::Malformed(format!(
                "unexpected path {:?}",
                url.path()
            )));
        }
        let port = url.port().unwrap_or(if implicit { 465 } else { 587 });
        if port == 0 {
            return Err(SmtpUrlError::Malformed("port 0".into()));
        }
        let credentials = if url.username().is_empty() {
            if url.password().is_some() {
                return Err(SmtpUrlError::Malformed("password without a user".into()));
            }
            None
        } else {
            let user = decode(url.username())?;
            let pass = decode(url.password().unwrap_or(""))?;
            Some(SmtpCredentials::new(user, pass))
        };

        let mut tls = None;
        let mut config = SmtpConfig::new(host, port, TlsMode::None);
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" => tls = Some(value.parse::<TlsMode>()?),
                "pool" => {
                    let n: usize = value
                        .parse()
                        .map_err(|_| SmtpUrlError::InvalidParam("pool", value.to_string()))?;
                    if n == 0 || n > MAX_POOL {
                        return Err(SmtpUrlError::InvalidParam("pool", value.to_string()));
                    }
                    config.max_connections = n;
                }
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .map_err(|_| SmtpUrlError::InvalidParam("timeout", value.to_string()))?;
                    if secs == 0 || secs > 600 {
                        return Err(SmtpUrlError::InvalidParam("timeout", value.to_string()));
                    }
                    config.timeout = Duration::from_secs(secs);
                }
                "helo" | "ehlo" => {
                    let ok = !value.is_empty()
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
                    if !ok {
                        return Err(SmtpUrlError::InvalidParam("helo", value.to_string()));
                    }
                    config.hello_name = Some(value.to_string());
                }
                other => return Err(SmtpUrlError::UnknownParam(other.to_owned())),
            }
        }
        if implicit && tls.is_some_and(|t| t != TlsMode::Tls) {
            return Err(SmtpUrlError::Malformed(
                "smtps:// always uses implicit TLS; use smtp:// for tls=none or starttls".into(),
            ));
        }
        config.tls = tls.unwrap_or_else(|| default_tls(&config.host, port, implicit));
        config.credentials = credentials;
        Ok(config)
    }

    /// The URL form without the password, for logs and the UI.
    pub fn redacted_url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let user = match &self.credentials {
            Some(c) => format!(
                "{}:***@",
                percent_encoding::utf8_percent_encode(c.username(), USERINFO)
            ),
            None => String::new(),
        };
        format!(
            "smtp://{user}{host}:{}?tls={}",
            self.port,
            self.tls.as_str()
        )
    }
}

impl FromStr for SmtpConfig {
    type Err = SmtpUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SmtpConfig::from_url(s)
    }
}

const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn default_tls(host: &str, port: u16, implicit: bool) -> TlsMode {
    if implicit || port == 465 {
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

fn decode(s: &str) -> Result<String, SmtpUrlError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| SmtpUrlError::Malformed("user or password is not UTF-8 after decoding".into()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error(
        "not a valid SMTP URL: {0} (expected smtp://[user:pass@]host:port[?tls=none|starttls|tls])"
    )]
    Malformed(String),
    #[error("unsupported scheme {0:?}: use smtp:// or smtps://")]
    Scheme(String),
    #[error("the SMTP URL has no host")]
    MissingHost,
    #[error("invalid tls={0:?}: use none, starttls or tls")]
    InvalidTls(String),
    #[error("invalid {0}={1:?}")]
    InvalidParam(&'static str, String),
    #[error("unknown SMTP URL parameter {0:?} (known: tls, pool, timeout, helo)")]
    UnknownParam(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_url_with_encoded_credentials() {
        let c = SmtpConfig::from_url("smtp://us%40er:p%3Ass%2Fw%40rd@mail.example.com:2525?tls=starttls&pool=8&timeout=10&helo=out.example.com")
            .expect("parses");
        assert_eq!(c.host, "mail.example.com");
        assert_eq!(c.port, 2525);
        assert_eq!(c.tls, TlsMode::StartTls);
        let creds = c.credentials.clone().expect("creds");
        assert_eq!(creds.username(), "us@er");
        assert_eq!(creds.password(), "p:ss/w@rd");
        assert_eq!(c.max_connections, 8);
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.hello_name.as_deref(), Some("out.example.com"));
        assert!(!format!("{c:?}").contains("p:ss"));
        assert_eq!(
            c.redacted_url(),
            "smtp://us%40er:***@mail.example.com:2525?tls=starttls"
        );
    }

    #[test]
    fn defaults_are_safe() {
        let tls = |u: &str| SmtpConfig::from_url(u).expect(u).tls;
        assert_eq!(tls("smtp://mail.example.com:465"), TlsMode::Tls);
        assert_eq!(tls("smtps://mail.example.com"), TlsMode::Tls);
        assert_eq!(tls("smtp://mail.example.com:587"), TlsMode::StartTls);
        assert_eq!(tls("smtp://mail.example.com:25"), TlsMode::StartTls);
        assert_eq!(tls("smtp://mail.example.com:2525"), TlsMode::StartTls);
        assert_eq!(tls("smtp://127.0.0.1:2525"), TlsMode::None);
        assert_eq!(tls("smtp://localhost:2525"), TlsMode::None);
        assert_eq!(tls("smtp://[::1]:2525"), TlsMode::None);
        assert_eq!(tls("smtp://127.0.0.1:2525?tls=tls"), TlsMode::Tls);
        assert_eq!(
            SmtpConfig::from_url("smtp://h.example").expect("ok").port,
            587
        );
        assert_eq!(
            SmtpConfig::from_url("smtps://h.example").expect("ok").port,
            465
        );
        assert_eq!(
            SmtpConfig::from_url("smtp://[::1]:25").expect("ok").host,
            "::1"
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "http://mail.example.com:25",
            "smtp://:25",
            "smtp://mail.example.com:25?tls=maybe",
            "smtp://mail.example.com:25?tsl=none",
            "smtp://mail.example.com:25?pool=0",
            "smtp://mail.example.com:25/path",
            "smtps://mail.example.com?tls=none",
            "not a url",
        ] {
            assert!(
                SmtpConfig::from_url(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
