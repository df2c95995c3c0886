//! `prospector classify-email FILE --json [--mbox]`

use anyhow::{Context, Result};
use clap::Args;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// The message file (RFC 5322; LF, CRLF or CR line endings), or an mbox with --mbox.
    pub file: std::path::PathBuf,
    /// Print JSON (the only output format; kept for scripts that pass it).
    #[arg(long)]
    pub json: bool,
    /// Read an mbox file and print one JSON object per message, one per line.
    #[arg(long)]
    pub mbox: bool,
}

pub fn classify(a: ClassifyArgs) -> Result<ExitCode> {
    let data =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    if a.mbox {
        for msg in prospector_mail::split_mbox(&data) {
            println!(
                "{}",
                serde_json::to_string(&prospector_mail::classify(&msg))?
            );
        }
    } else {
        let c = prospector_mail::classify(&data);
        println!("{}", serde_json::to_string(&c)?);
    }
    Ok(ExitCode::SUCCESS)
}
