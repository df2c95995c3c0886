//! TLS certificate facts. A separate handshake with a verifier that records the leaf
//! certificate and what the Mozilla-root (webpki) verification said about it, then always
//! lets the handshake finish — so an expired or self-signed certificate is reported with its
//! issuer and dates instead of being an opaque error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::report::TlsInfo;

type Recorded = Option<(Vec<u8>, Result<(), String>)>;

#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Recorded>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        if let Ok(mut s) = self.seen.lock() {
            *s = Some((end_entity.as_ref().to_vec(), verdict));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Handshakes with `host:port` and reports the certificate. Never fails: problems end up in
/// `error`, and fields that could not be read stay `null`.
pub async fn probe(host: &str, port: u16, allow_private: bool, timeout: Duration) -> TlsInfo {
    let mut info = TlsInfo {
        https: true,
        ..TlsInfo::default()
    };
    match tokio::time::timeout(timeout, handshake(host, port, allow_private)).await {
        Err(_) => info.error = Some("TLS probe timed out".into()),
        Ok(Err(e)) => info.error = Some(e),
        Ok(Ok((der, verdict))) => {
            info.probed = true;
            info.valid = Some(verdict.is_ok());
            if let Err(e) = verdict {
                info.error = Some(e);
            }
            fill_from_der(&mut info, &der);
        }
    }
    info
}

/// Issuer, subject and dates from a DER certificate.
pub fn fill_from_der(info: &mut TlsInfo, der: &[u8]) {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => {
            info.issuer = Some(cert.issuer().to_string());
            info.subject = Some(cert.subject().to_string());
            let nb = cert.validity().not_before.timestamp();
            let na = cert.validity().not_after.timestamp();
            info.not_before = Some(crate::time::rfc3339(nb));
            info.not_after = Some(crate::time::rfc3339(na));
            info.days_remaining = Some((na - crate::time::now_secs()).div_euclid(86_400));
        }
        Err(e) => {
            let msg = format!("certificate not readable: {e}");
            info.error = Some(match info.error.take() {
                Some(prev) => format!("{prev}; {msg}"),
                None => msg,
            });
        }
    }
}

async fn handshake(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<(Vec<u8>, Result<(), String>), String> {
    let addrs = crate::crawl::guard::resolve(host, port, allow_private)
        .await
        .map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    });
    let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| format!("verifier: {e}"))?;
    let recorder = Arc::new(Recorder {
        inner,
        seen: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls config: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|e| format!("server name: {e}"))?;
    let mut last_err = String::from("no address");
    for addr in addrs {
        let tcp = match TcpStream::connect(addr).await {
            Ok(t) => t,
            Err(e) => {
                last_err = format!("connect {addr}: {e}");
                continue;
            }
        };
        let result = TlsConnector::from(Arc::new(config.clone()))
            .connect(name.clone(), tcp)
            .await;
        let seen = recorder.seen.lock().ok().and_then(|mut s| s.take());
        return match (result, seen) {
            (_, Some(rec)) => Ok(rec),
            (Err(e), None) => Err(format!("handshake: {e}")),
            (Ok(_), None) => Err("no certificate presented".into()),
        };
    }
    Err(last_err)
}
