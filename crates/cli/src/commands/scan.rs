//! `prospector scan URL --json`, `prospector scan --urls FILE --json --concurrency N` and
//! `prospector verify-email ADDRESS --json`.

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::StreamExt;
use prospector_app::core::time::now_ms;
use prospector_scan::{ScanOptions, VerifyOptions};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The website to scan (omit with --urls).
    pub url: Option<String>,
    /// A file with one URL per line; prints one JSON object per site per line.
    #[arg(long)]
    pub urls: Option<std::path::PathBuf>,
    /// Print JSON (the only output format; kept for scripts that pass it).
    #[arg(long)]
    pub json: bool,
    /// Pages per site, the home page included.
    #[arg(long)]
    pub max_pages: Option<usize>,
    /// Allow private, loopback and link-local addresses (local test sites).
    #[arg(long)]
    pub allow_private: bool,
    /// Region for phone numbers written without a country code (default: inferred, else US).
    #[arg(long)]
    pub country: Option<String>,
    /// Sites scanned at once with --urls.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    pub address: String,
    /// Print JSON (the only output format).
    #[arg(long)]
    pub json: bool,
    /// Skip DNS and SMTP checks.
    #[arg(long)]
    pub offline: bool,
    /// Also probe the mailbox with SMTP RCPT TO (off by default; some servers block probes).
    #[arg(long)]
    pub smtp_probe: bool,
}

pub async fn scan(a: ScanArgs) -> Result<ExitCode> {
    let mut opts = ScanOptions {
        allow_private: a.allow_private,
        country: a.country.clone(),
        ..ScanOptions::default()
    };
    if let Some(n) = a.max_pages {
        opts.max_pages = n.max(1);
    }
    match (a.url, a.urls) {
        (Some(url), None) => {
            let started = std::time::Instant::now();
            match prospector_scan::scan_site(&url, &opts).await {
                Ok(report) => {
                    println!("{}", serde_json::to_string(&report)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    // Same shape as a success, with `error` set, so scripts can read either.
                    let failed = prospector_scan::ScanReport::failed(
                        &url,
                        &e,
                        now_ms(),
                        started.elapsed().as_millis() as u64,
                    );
                    println!("{}", serde_json::to_string(&failed)?);
                    eprintln!("error: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        (None, Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let urls: Vec<String> = text.lines().map(str::to_string).collect();
            let mut stream = Box::pin(prospector_scan::scan_many(urls, opts, a.concurrency));
            let stdout = std::io::stdout();
            while let Some(report) = stream.next().await {
                let mut out = stdout.lock();
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        (Some(_), Some(_)) => bail!("give either a URL or --urls FILE, not both"),
        (None, None) => bail!("give a URL to scan, or --urls FILE"),
    }
}

pub async fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let opts = VerifyOptions {
        offline: a.offline,
        smtp_probe: a.smtp_probe,
        ..VerifyOptions::default()
    };
    let v = prospector_scan::verify_email(&a.address, &opts).await;
    println!("{}", serde_json::to_string(&v)?);
    Ok(ExitCode::SUCCESS)
}
