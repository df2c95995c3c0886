//! Email verification: syntax, MX (with A fallback), disposable domains, role accounts,
//! free-mail providers and an optional SMTP RCPT probe with catch-all detection.
//!
//! Status meaning: `valid` = deliverable as far as we can tell; `risky` = deliverable but
//! disposable, catch-all or without MX; `invalid` = will bounce; `unknown` = not checked or
//! DNS/SMTP did not answer. `reasons` always says why.

pub mod dns;
pub mod lists;
pub mod smtp;
pub mod syntax;

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Verification verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Deliverable as far as we can tell.
    Valid,
    /// Deliverable but doubtful (disposable, catch-all, no MX).
    Risky,
    /// Will bounce.
    Invalid,
    /// Not checked, or DNS/SMTP did not answer.
    Unknown,
}

/// Result of [`verify_email`]; serialises to the `verify-email --json` contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Input as given.
    pub address: String,
    /// Lower-cased, punycode domain; `null` when the syntax is invalid.
    pub normalized: Option<String>,
    /// Syntax accepted.
    pub syntax_valid: bool,
    /// valid, risky, invalid or unknown.
    pub status: Status,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// MX hosts (best first), or the domain itself for an implicit MX.
    pub mx: Vec<String>,
    /// Domain of a disposable-mail service.
    pub disposable: bool,
    /// Shared inbox (info@, sales@...).
    pub role: bool,
    /// Free webmail provider (gmail.com, gmx.de...).
    pub free_provider: bool,
    /// A random address at the domain is accepted (`null` unless probed).
    pub catch_all: Option<bool>,
    /// SMTP probe details when one ran.
    pub smtp: Option<smtp::SmtpOutcome>,
}

/// Options for [`verify_email`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Skip DNS and SMTP (`--offline`).
    pub offline: bool,
    /// Run the SMTP RCPT probe (off by default).
    pub smtp_probe: bool,
    /// DNS deadline.
    pub dns_timeout: Duration,
    /// SMTP deadline per MX host.
    pub smtp_timeout: Duration,
    /// SMTP port (25; tests use a loopback stand-in).
    pub smtp_port: u16,
    /// Name sent in EHLO.
    pub helo_name: String,
    /// Envelope sender of the probe.
    pub mail_from: String,
    /// DNS servers to ask instead of the system's.
    pub nameservers: Option<Vec<SocketAddr>>,
    /// MX hosts to probe instead of the DNS answer (tests, relays).
    pub mx_override: Option<Vec<String>>,
    /// Allow the probe to connect to private/loopback addresses.
    pub allow_private: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            offline: false,
            smtp_probe: false,
            dns_timeout: Duration::from_secs(5),
            smtp_timeout: Duration::from_secs(10),
            smtp_port: 25,
            helo_name: "prospector.localdomain".into(),
            mail_from: "verify@prospector.localdomain".into(),
            nameservers: None,
            mx_override: None,
            allow_private: false,
        }
    }
}

/// Verifies one address. Never fails: every problem becomes a status and a reason.
pub async fn verify_email(address: &str, opts: &VerifyOptions) -> Verification {
    let mut v = Verification {
        address: address.to_string(),
        normalized: None,
        syntax_valid: false,
        status: Status::Unknown,
        reasons: Vec::new(),
        mx: Vec::new(),
        disposable: false,
        role: false,
        free_provider: false,
        catch_all: None,
        smtp: None,
    };
    let parsed = match syntax::parse(address) {
        Ok(p) => p,
        Err(e) => {
            v.status = Status::Invalid;
            v.reasons.push(format!("syntax: {e}"));
            return v;
        }
    };
    v.syntax_valid = true;
    v.normalized = Some(parsed.normalized());
    v.disposable = lists::is_disposable(&parsed.domain);
    v.role = lists::is_role(&parsed.local);
    v.free_provider = lists::is_free(&parsed.domain);
    if parsed.utf8_local {
        v.reasons.push(
            "internationalised local part: the receiving server must support SMTPUTF8".into(),
        );
    }
    if v.role {
        v.reasons
            .push("role account: a shared inbox, not a person".into());
    }
    if v.free_provider {
        v.reasons.push("free webmail provider".into());
    }
    if v.disposable {
        v.reasons.push("disposable email domain".into());
    }
    if opts.offline {
        v.status = if v.disposable {
            Status::Risky
        } else {
            Status::Unknown
        };
        v.reasons.push("offline: DNS and SMTP not checked".into());
        return v;
    }

    let dns = match &opts.mx_override {
        Some(hosts) => dns::MailDns::Mx(hosts.clone()),
        None => {
            dns::lookup(
                &parsed.domain,
                opts.nameservers.as_deref(),
                opts.dns_timeout,
            )
            .await
        }
    };
    let mut status = match &dns {
        dns::MailDns::Mx(hosts) => {
            v.mx = hosts.clone();
            Status::Valid
        }
        dns::MailDns::Implicit(host) => {
            v.mx = vec![host.clone()];
            v.reasons
                .push("no MX record: mail would go to the domain's A/AAAA record".into());
            Status::Risky
        }
        dns::MailDns::NullMx => {
            v.reasons
                .push("domain declares that it accepts no mail (null MX)".into());
            Status::Invalid
        }
        dns::MailDns::NoDomain => {
            v.reasons.push("domain does not exist".into());
            Status::Invalid
        }
        dns::MailDns::NoMailRecords => {
            v.reasons.push("domain has no MX or address records".into());
            Status::Invalid
        }
        dns::MailDns::Failed(e) => {
            v.reasons.push(format!("DNS: {e}"));
            Status::Unknown
        }
    };
    if v.disposable && status == Status::Valid {
        status = Status::Risky;
    }
    if opts.smtp_probe && matches!(status, Status::Valid | Status::Risky) {
        match run_probe(&v.mx, &parsed, opts).await {
            Ok(out) => {
                match out.code {
                    200..=299 => {
                        if out.catch_all == Some(true) {
                            v.reasons.push(format!(
                                "domain accepts any address (catch-all at {})",
                                out.host
                            ));
                            status = Status::Risky;
                        } else {
                            v.reasons.push(format!("mailbox accepted by {}", out.host));
                        }
                    }
                    500..=599 => {
                        v.reasons.push(format!(
                            "mailbox rejected by {}: {} {}",
                            out.host, out.code, out.message
                        ));
                        status = Status::Invalid;
                    }
                    _ => {
                        v.reasons.push(format!(
                            "temporary answer from {}: {} {}",
                            out.host, out.code, out.message
                        ));
                        status = Status::Unknown;
                    }
                }
                v.catch_all = out.catch_all;
                v.smtp = Some(out);
            }
            Err(e) => v.reasons.push(format!("SMTP probe: {e}")),
        }
    }
    v.status = status;
    v
}

async fn run_probe(
    mx: &[String],
    parsed: &syntax::Parsed,
    opts: &VerifyOptions,
) -> Result<smtp::SmtpOutcome, String> {
    let mut last = "no MX host".to_string();
    for host in mx.iter().take(3) {
        let addrs =
            match crate::crawl::guard::resolve(host, opts.smtp_port, opts.allow_private).await {
                Ok(a) => a,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
        for addr in addrs.into_iter().take(2) {
            match smtp::probe(
                addr,
                host,
                &parsed.normalized(),
                &parsed.domain,
                &opts.helo_name,
                &opts.mail_from,
                opts.smtp_timeout,
            )
            .await
            {
                Ok(o) => return Ok(o),
                Err(e) => last = e,
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offline_verdicts() {
        let o = VerifyOptions {
            offline: true,
            ..VerifyOptions::default()
        };
        let v = verify_email("Info@Bistro-Luna.de", &o).await;
        assert_eq!(
            (v.status, v.syntax_valid, v.role),
            (Status::Unknown, true, true)
        );
        assert_eq!(v.normalized.as_deref(), Some("info@bistro-luna.de"));
        let v = verify_email("x@mailinator.com", &o).await;
        assert_eq!((v.status, v.disposable), (Status::Risky, true));
        let v = verify_email("not an address", &o).await;
        assert_eq!(
            (v.status, v.syntax_valid, v.normalized),
            (Status::Invalid, false, None)
        );
        let json = serde_json::to_value(verify_email("anna@gmail.com", &o).await).expect("json");
        for k in [
            "address",
            "normalized",
            "syntax_valid",
            "status",
            "reasons",
            "mx",
            "disposable",
            "role",
            "free_provider",
        ] {
            assert!(json.get(k).is_some(), "{k}");
        }
        assert_eq!(json["status"], "unknown");
        assert_eq!(json["free_provider"], true);
    }
}
