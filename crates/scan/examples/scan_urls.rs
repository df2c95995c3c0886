//! Stand-in for `prospector scan --urls FILE --json --concurrency N [--allow-private]`, so the
//! scanner and the benchmark harness can be exercised before the CLI is wired. Prints one
//! JSON report per line.

use futures::StreamExt;
use prospector_scan::{ScanOptions, scan_many};
use std::io::Write;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let file = arg("--urls").unwrap_or_else(|| "urls.txt".into());
    let concurrency: usize = arg("--concurrency")
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let opts = ScanOptions {
        allow_private: args.iter().any(|a| a == "--allow-private"),
        country: arg("--country"),
        ..ScanOptions::default()
    };
    let urls: Vec<String> = std::fs::read_to_string(&file)?
        .lines()
        .map(str::to_string)
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stream = std::pin::pin!(scan_many(urls, opts, concurrency));
    while let Some(report) = stream.next().await {
        serde_json::to_writer(&mut out, &report)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
