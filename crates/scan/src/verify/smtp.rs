//! Optional SMTP RCPT probe: asks the MX whether it would accept the mailbox, then asks about
//! a random mailbox at the same domain to detect catch-all servers. Sends no message (QUIT
//! after RCPT). Off by default: many networks block port 25 and some servers penalise it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Outcome of a probe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmtpOutcome {
    /// MX host talked to.
    pub host: String,
    /// Reply code to RCPT TO for the address (0 when not reached).
    pub code: u16,
    /// Reply text.
    pub message: String,
    /// A random address at the domain was accepted too.
    pub catch_all: Option<bool>,
}

async fn read_reply<R: AsyncBufReadExt + Unpin>(r: &mut R) -> Result<(u16, String), String> {
    let mut text = String::new();
    for _ in 0..50 {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed".into());
        }
        if line.len() > 2048 {
            return Err("reply line too long".into());
        }
        let code: u16 = line
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("bad reply {line:?}"))?;
        text.push_str(line.get(4..).unwrap_or("").trim_end());
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
        text.push(' ');
    }
    Err("reply too long".into())
}

fn cmd(line: String) -> Vec<u8> {
    format!("{line}\r\n").into_bytes()
}

/// Probes `address` at one MX (`addr` already resolved and guarded).
pub async fn probe(
    addr: SocketAddr,
    host: &str,
    address: &str,
    domain: &str,
    helo: &str,
    mail_from: &str,
    timeout: Duration,
) -> Result<SmtpOutcome, String> {
    tokio::time::timeout(
        timeout,
        probe_inner(addr, host, address, domain, helo, mail_from),
    )
    .await
    .map_err(|_| "SMTP probe timed out".to_string())?
}

async fn probe_inner(
    addr: SocketAddr,
    host: &str,
    address: &str,
    domain: &str,
    helo: &str,
    mail_from: &str,
) -> Result<SmtpOutcome, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    let (code, msg) = read_reply(&mut rd).await?;
    if code != 220 {
        return Err(format!("greeting {code} {msg}"));
    }
    wr.write_all(&cmd(format!("EHLO {helo}")))
        .await
        .map_err(|e| e.to_string())?;
    let (code, _) = read_reply(&mut rd).await?;
    if code != 250 {
        wr.write_all(&cmd(format!("HELO {helo}")))
            .await
            .map_err(|e| e.to_string())?;
        let (code, msg) = read_reply(&mut rd).await?;
        if code != 250 {
            return Err(format!("HELO refused: {code} {msg}"));
        }
    }
    wr.write_all(&cmd(format!("MAIL FROM:<{mail_from}>")))
        .await
        .map_err(|e| e.to_string())?;
    let (code, msg) = read_reply(&mut rd).await?;
    if code != 250 {
        return Err(format!("MAIL FROM refused: {code} {msg}"));
    }
    wr.write_all(&cmd(format!("RCPT TO:<{address}>")))
        .await
        .map_err(|e| e.to_string())?;
    let (code, message) = read_reply(&mut rd).await?;
    let mut catch_all = None;
    if (200..300).contains(&code) {
        let random = format!(
            "pr-{:x}-no-such-user@{domain}",
            crate::time::now_ms() ^ 0x5bd1_e995
        );
        wr.write_all(&cmd(format!("RCPT TO:<{random}>")))
            .await
            .map_err(|e| e.to_string())?;
        let (c2, _) = read_reply(&mut rd).await?;
        catch_all = Some((200..300).contains(&c2));
    }
    let _ = wr.write_all(b"QUIT\r\n").await;
    Ok(SmtpOutcome {
        host: host.to_string(),
        code,
        message,
        catch_all,
    })
}
