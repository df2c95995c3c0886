//! SSRF guard: a scan target chosen by a user (or found in a CSV) must not make the server
//! reach into its own network. Every host is resolved here, and private, loopback,
//! link-local, metadata and reserved addresses are refused unless explicitly allowed.
//! The same check runs inside the HTTP client's resolver, so a redirect or a DNS answer
//! that changes between checks (rebinding) is caught too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::ScanError;

/// Why an address is not a public internet address; `None` when it is.
pub fn classify_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if seg[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64: judge the embedded IPv4 address.
                let v4 = Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                classify_v4(v4)
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                Some("documentation")
            } else {
                None
            }
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if o == [169, 254, 169, 254] || o == [100, 100, 100, 200] {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 0 {
        Some("unspecified")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("carrier-grade NAT")
    } else if ip.is_broadcast() || o[0] >= 240 {
        Some("reserved")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if matches!(
        (o[0], o[1], o[2]),
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _)
    ) {
        Some("reserved")
    } else {
        None
    }
}

/// `localhost` and `*.localhost` always mean loopback (RFC 6761); we answer them ourselves
/// rather than trusting the system resolver.
pub fn is_localhost_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// Resolves `host` and keeps only the addresses the guard allows.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, ScanError> {
    let host_clean = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = if let Ok(ip) = host_clean.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else if is_localhost_name(host_clean) {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]
    } else {
        tokio::net::lookup_host((host_clean, port))
            .await
            .map_err(|_| ScanError::Dns(host_clean.to_string()))?
            .collect()
    };
    if addrs.is_empty() {
        return Err(ScanError::Dns(host_clean.to_string()));
    }
    if allow_private {
        return Ok(addrs);
    }
    let mut refused = None;
    let ok: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match classify_ip(a.ip()) {
            Some(reason) => {
                refused.get_or_insert((a.ip(), reason));
                false
            }
            None => true,
        })
        .collect();
    match (ok.is_empty(), refused) {
        // One bad address among good ones is still refused: an attacker controls the
        // order in which clients try them.
        (_, Some((ip, reason))) => Err(ScanError::Blocked {
            host: host_clean.to_string(),
            addr: ip.to_string(),
            reason: reason.to_string(),
        }),
        (true, None) => Err(ScanError::Dns(host_clean.to_string())),
        (false, None) => Ok(ok),
    }
}

/// The error a refused resolution surfaces through reqwest (found again by downcasting).
#[derive(Debug)]
pub struct GuardError(pub ScanError);

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for GuardError {}

/// reqwest resolver that applies the guard to every connection the client makes.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    /// Allow private targets.
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let allow = self.allow_private;
        Box::pin(async move {
            match resolve(&host, 0, allow).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(e) => Err(Box::new(GuardError(e)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The resolver as reqwest wants it.
pub fn resolver(allow_private: bool) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { allow_private })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        for (ip, blocked) in [
            ("127.0.0.1", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("0.0.0.0", true),
            ("::1", true),
            ("fd00:ec2::254", true),
            ("fe80::1", true),
            ("::ffff:127.0.0.1", true),
            ("64:ff9b::a00:1", true),
            ("93.184.216.34", false),
            ("2a00:1450:4001:80b::200e", false),
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(classify_ip(ip).is_some(), blocked, "{ip}");
        }
    }

    #[tokio::test]
    async fn refuses_loopback_unless_allowed() {
        assert!(matches!(
            resolve("127.0.0.1", 80, false).await,
            Err(ScanError::Blocked { .. })
        ));
        assert!(matches!(
            resolve("shop.localhost", 80, false).await,
            Err(ScanError::Blocked { .. })
        ));
        assert_eq!(resolve("127.0.0.1", 80, true).await.map(|a| a.len()), Ok(1));
    }
}
