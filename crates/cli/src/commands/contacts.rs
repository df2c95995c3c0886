//! `prospector import FILE ...` (and `--preview N`) and `prospector export contacts|companies`.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use prospector_app::contacts::{self, ListQuery};
use prospector_app::core::import::{OnDuplicate, preview};
use prospector_app::imports::{self, ImportOptions, Progress};
use prospector_app::{App, Config, workspaces};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, UTF-16 or Windows-1252; `,` `;` tab or `|` delimited).
    pub file: PathBuf,
    /// Workspace slug to import into (not needed with --preview).
    #[arg(long)]
    pub workspace: Option<String>,
    /// Map a column: "HEADER=field" (email, phone, whatsapp, first_name, last_name, full_name,
    /// job_title, company, website, address, city, region, postal_code, country, category,
    /// tags, notes; anything else becomes a custom field; "ignore" skips the column).
    #[arg(long = "map", value_name = "HEADER=field")]
    pub map: Vec<String>,
    /// Region for phone numbers written without a country code (default: the workspace's).
    #[arg(long)]
    pub default_country: Option<String>,
    /// What to do with a row that matches an existing contact or company.
    #[arg(long, default_value = "skip")]
    pub on_duplicate: String,
    /// Count what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the encoding, delimiter, headers and the first N rows exactly as parsed.
    #[arg(long, value_name = "N")]
    pub preview: Option<usize>,
    /// Print one JSON object at the end (the only machine-readable output).
    #[arg(long)]
    pub json: bool,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Table {
    Contacts,
    Companies,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Which table.
    pub table: Table,
    #[arg(long)]
    pub workspace: String,
    /// Output format (CSV only for now).
    #[arg(long, default_value = "csv", value_parser = ["csv"])]
    pub format: String,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Start with a UTF-8 byte-order mark so Excel reads accents correctly.
    #[arg(long)]
    pub bom: bool,
    /// Search, as in the table's search box.
    #[arg(long)]
    pub q: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub lead_stage: Option<String>,
    #[arg(long)]
    pub has_email: Option<bool>,
    #[arg(long)]
    pub has_phone: Option<bool>,
}

pub async fn import(config: Config, a: ImportArgs) -> Result<ExitCode> {
    if let Some(n) = a.preview {
        let file = std::fs::File::open(&a.file)
            .with_context(|| format!("cannot open {}", a.file.display()))?;
        let p = preview(std::io::BufReader::new(file), n).map_err(|e| anyhow::anyhow!("{e}"))?;
        let out = serde_json::to_string(&p)?;
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(slug) = a.workspace.as_deref() else {
        bail!("--workspace SLUG is required (or use --preview N to look at the file)");
    };
    let on_duplicate: OnDuplicate =
        a.on_duplicate
            .parse()
            .map_err(|e: prospector_app::core::import::OnDuplicateError| {
                anyhow::anyhow!(e.to_string())
            })?;
    let opts = ImportOptions {
        map: a.map.clone(),
        default_country: a.default_country.clone(),
        on_duplicate,
        dry_run: a.dry_run,
    };
    let meta =
        std::fs::metadata(&a.file).with_context(|| format!("cannot open {}", a.file.display()))?;
    let app = App::start(config, true).await?;
    let ctx = workspaces::cli_context(&app, slug).await?;
    imports::validate_options(&a.file, &opts)?;
    let bar = progress_bar(meta.len());
    let mut on_progress = |p: &Progress| {
        if let Some(b) = &bar {
            b.set_position(p.counts.bytes_done as u64);
            b.set_message(format!(
                "{} rows, {:.0} rows/s, {} errors",
                p.counts.rows_done,
                p.rows_per_second(),
                p.counts.errors
            ));
        }
    };
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    let path = std::fs::canonicalize(&a.file).unwrap_or(a.file.clone());
    let summary = if a.dry_run {
        imports::run(&app, ctx.ws, None, &path, &opts, &mut on_progress, &never).await?
    } else {
        let name = a
            .file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "import.csv".into());
        let imp = imports::create(
            &app,
            &ctx,
            &name,
            &path,
            meta.len() as i64,
            "",
            &opts,
            false,
        )
        .await?;
        imports::run_stored(&app, ctx.ws, imp.iid(), &mut on_progress, &never).await?
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if a.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "{} rows: {} created, {} updated, {} duplicates, {} errors ({} warnings) in {:.1}s",
            summary.rows,
            summary.created,
            summary.updated,
            summary.duplicates,
            summary.errors,
            summary.warnings,
            summary.seconds
        );
    }
    if let Some(e) = &summary.error {
        eprintln!("error: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {bytes}/{total_bytes} eta {eta} {msg}",
    )
    .ok()?;
    b.set_style(style);
    Some(b)
}

pub async fn export(config: Config, a: ExportArgs) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    let ctx = workspaces::cli_context(&app, &a.workspace).await?;
    let q = ListQuery {
        q: a.q.clone(),
        tag: a.tag.clone(),
        source: a.source.clone(),
        lead_stage: a.lead_stage.clone(),
        has_email: a.has_email.map(|b| b.to_string()),
        has_phone: a.has_phone.map(|b| b.to_string()),
        ..ListQuery::default()
    };
    let companies = matches!(a.table, Table::Companies);
    let out: Box<dyn Write + Send> = match &a.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut out = contacts::export_csv(&app, &ctx, &q, companies, a.bom, out).await?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
