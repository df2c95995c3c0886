//! MX lookup with A/AAAA fallback (RFC 5321 §5.1), through hickory-resolver, with a timeout
//! and a process-wide cache so a list of 10,000 addresses at 50 domains asks 50 questions.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

/// What DNS says about a mail domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailDns {
    /// MX hosts, best preference first.
    Mx(Vec<String>),
    /// A "null MX" (`MX 0 .`, RFC 7505): the domain accepts no mail.
    NullMx,
    /// No MX but an address record: mail goes to the domain itself.
    Implicit(String),
    /// The domain does not exist (NXDOMAIN).
    NoDomain,
    /// The domain exists but has neither MX nor address records.
    NoMailRecords,
    /// Timeout or server failure: we do not know.
    Failed(String),
}

const CACHE_TTL: Duration = Duration::from_secs(600);
const CACHE_MAX: usize = 50_000;

static CACHE: LazyLock<Mutex<HashMap<String, (Instant, MailDns)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

static SYSTEM: LazyLock<Result<TokioResolver, String>> = LazyLock::new(|| {
    let mut b = TokioResolver::builder_tokio().map_err(|e| format!("resolver config: {e}"))?;
    let o = b.options_mut();
    o.attempts = 2;
    o.cache_size = 4096;
    b.build().map_err(|e| format!("resolver: {e}"))
});

fn custom(servers: &[SocketAddr], timeout: Duration) -> Result<TokioResolver, String> {
    let ns: Vec<NameServerConfig> = servers
        .iter()
        .map(|s| {
            let mut c = NameServerConfig::udp(s.ip());
            for conn in &mut c.connections {
                conn.port = s.port();
            }
            c
        })
        .collect();
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    Resolver::builder_with_config(
        ResolverConfig::from_name_servers(ns),
        TokioRuntimeProvider::default(),
    )
    .with_options(opts)
    .build()
    .map_err(|e| format!("resolver: {e}"))
}

/// Looks up where mail for `domain` goes. `servers` overrides the system resolver
/// (tests, or a workspace's own DNS); results from the system resolver are cached.
pub async fn lookup(domain: &str, servers: Option<&[SocketAddr]>, timeout: Duration) -> MailDns {
    let cacheable = servers.is_none();
    if cacheable
        && let Ok(c) = CACHE.lock()
        && let Some((at, v)) = c.get(domain)
        && at.elapsed() < CACHE_TTL
    {
        return v.clone();
    }
    let resolver = match servers {
        Some(s) => custom(s, timeout),
        None => SYSTEM.clone(),
    };
    let result = match resolver {
        Err(e) => MailDns::Failed(e),
        Ok(r) => match tokio::time::timeout(timeout, query(&r, domain)).await {
            Ok(v) => v,
            Err(_) => MailDns::Failed("DNS timeout".into()),
        },
    };
    if cacheable
        && !matches!(result, MailDns::Failed(_))
        && let Ok(mut c) = CACHE.lock()
    {
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(domain.to_string(), (Instant::now(), result.clone()));
    }
    result
}

async fn query(r: &TokioResolver, domain: &str) -> MailDns {
    let fqdn = format!("{}.", domain.trim_end_matches('.'));
    match r.mx_lookup(fqdn.as_str()).await {
        Ok(lookup) => {
            let mut mx: Vec<(u16, String)> = lookup
                .answers()
                .iter()
                .filter_map(|rec| match &rec.data {
                    RData::MX(m) => Some((
                        m.preference,
                        m.exchange.to_utf8().trim_end_matches('.').to_string(),
                    )),
                    _ => None,
                })
                .collect();
            mx.sort();
            if mx.len() == 1 && mx[0].1.is_empty() {
                return MailDns::NullMx;
            }
            let hosts: Vec<String> = mx
                .into_iter()
                .map(|(_, h)| h)
                .filter(|h| !h.is_empty())
                .collect();
            if hosts.is_empty() {
                fallback(r, &fqdn, domain).await
            } else {
                MailDns::Mx(hosts)
            }
        }
        Err(e) if e.is_nx_domain() => MailDns::NoDomain,
        Err(e) if e.is_no_records_found() => fallback(r, &fqdn, domain).await,
        Err(e) => MailDns::Failed(format!("MX lookup: {e}")),
    }
}

async fn fallback(r: &TokioResolver, fqdn: &str, domain: &str) -> MailDns {
    match r.lookup_ip(fqdn).await {
        Ok(ips) if ips.iter().next().is_some() => MailDns::Implicit(domain.to_string()),
        Ok(_) => MailDns::NoMailRecords,
        Err(e) if e.is_nx_domain() => MailDns::NoDomain,
        Err(e) if e.is_no_records_found() => MailDns::NoMailRecords,
        Err(e) => MailDns::Failed(format!("A lookup: {e}")),
    }
}
