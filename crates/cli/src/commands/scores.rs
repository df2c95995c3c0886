//! `prospector score` and `prospector analyze`: lead scores and business analyses from the
//! command line (computed, stored, printed).

use anyhow::{Result, bail};
use clap::Args;
use prospector_app::core::ids::CompanyId;
use prospector_app::scoring::{self, ScoreOut};
use prospector_app::{App, AppError, AppResult, Config, workspaces};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Workspace slug.
    #[arg(long)]
    pub workspace: String,
    /// Score every company of the workspace (the default without --company).
    #[arg(long, conflicts_with = "company")]
    pub all: bool,
    /// Score one company by id.
    #[arg(long)]
    pub company: Option<i64>,
    /// One JSON object per company per line:
    /// {"company_id","value","tier","reason","factors":[{"name","points","reason"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Workspace slug.
    #[arg(long)]
    pub workspace: String,
    /// Company id.
    #[arg(long)]
    pub company: i64,
    /// Print the analysis as JSON (summary, pain_points, hooks, opening_line, provider).
    #[arg(long)]
    pub json: bool,
}

fn print_score(out: &mut impl Write, s: &ScoreOut, json: bool) -> std::io::Result<()> {
    if json {
        writeln!(out, "{}", s.line())
    } else {
        writeln!(
            out,
            "{:>8}  {:>3}  {}  {}",
            s.company_id, s.value, s.tier, s.reason
        )?;
        for f in &s.factors {
            writeln!(
                out,
                "          {:<20} {:>3}  {}",
                f.name, f.points, f.reason
            )?;
        }
        Ok(())
    }
}

pub async fn score(config: Config, a: ScoreArgs) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    let ctx = workspaces::cli_context(&app, &a.workspace).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(id) = a.company {
        let s = match scoring::score_company(&app, &ctx, CompanyId(id)).await {
            Err(AppError::NotFound) => {
                bail!("company {id} not found in workspace {}", a.workspace)
            }
            r => r?,
        };
        print_score(&mut out, &s, a.json)?;
    } else {
        let mut lines: Vec<ScoreOut> = Vec::new();
        let n = scoring::rescore_workspace(
            &app,
            ctx.ws,
            |s| lines.push(s.clone()),
            |_, _| async { AppResult::Ok(()) },
        )
        .await?;
        for s in &lines {
            print_score(&mut out, s, a.json)?;
        }
        if !a.json {
            eprintln!("{n} companies scored");
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub async fn analyze(config: Config, a: AnalyzeArgs) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    let ctx = workspaces::cli_context(&app, &a.workspace).await?;
    let r = match scoring::analyze_company(&app, &ctx, CompanyId(a.company)).await {
        Err(AppError::NotFound) => bail!(
            "company {} not found in workspace {}",
            a.company,
            a.workspace
        ),
        r => r?,
    };
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "company_id": r.company_id, "summary": r.summary, "pain_points": r.pain_points,
                "hooks": r.hooks, "opening_line": r.opening_line, "provider": r.provider,
            })
        );
    } else {
        println!("{}\n", r.summary);
        println!("Pain points:");
        for p in &r.pain_points {
            println!("  - {p}");
        }
        println!("Hooks:");
        for h in &r.hooks {
            println!("  - {h}");
        }
        println!("\nOpening line: {}", r.opening_line);
        println!("Provider: {}", r.provider);
    }
    Ok(ExitCode::SUCCESS)
}
