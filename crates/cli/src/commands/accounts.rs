//! `prospector user|workspace|token ...`

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use prospector_app::core::role::Role;
use prospector_app::{Actor, App, Config, accounts, workspaces};
use std::io::Read;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from stdin (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the user a platform administrator.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCmd {
    /// Create a workspace owned by an existing user; prints the slug.
    Create {
        #[arg(long)]
        name: String,
        /// Email of the owner (an existing user).
        #[arg(long)]
        owner: String,
    },
    /// List workspaces as `slug<TAB>name`.
    List,
    /// Add an existing user to a workspace.
    AddMember {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create an API token for a member of a workspace; prints the token only.
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

pub async fn user(config: Config, c: UserCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match c {
        UserCmd::Create {
            email,
            name,
            password_stdin,
            admin,
        } => {
            if !password_stdin {
                bail!("--password-stdin is required");
            }
            let mut pw = String::new();
            std::io::stdin()
                .read_to_string(&mut pw)
                .context("reading the password from stdin")?;
            let pw = pw.trim_end_matches(['\r', '\n']);
            let user = accounts::create_user(&app, &Actor::cli(), &email, &name, pw, admin).await?;
            println!("{}", user.email);
            eprintln!(
                "created user {} (id {}){}",
                user.email,
                user.id,
                if admin { " as platform admin" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn workspace(config: Config, c: WorkspaceCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match c {
        WorkspaceCmd::Create { name, owner } => {
            let email = accounts::normalize_login_email(&owner)?;
            let user = prospector_app::store::users::by_email(app.db(), &email)
                .await?
                .with_context(|| {
                    format!(
                        "no user with email {email}; create it first with `prospector user create`"
                    )
                })?;
            let ws = workspaces::create(&app, &Actor::cli(), &name, &user).await?;
            println!("{}", ws.slug);
        }
        WorkspaceCmd::List => {
            for (w, members) in
                prospector_app::store::workspaces::list_all(app.db(), 10_000).await?
            {
                println!(
                    "{}\t{}\t{} members{}",
                    w.slug,
                    w.name,
                    members,
                    if w.suspended { "\tsuspended" } else { "" }
                );
            }
        }
        WorkspaceCmd::AddMember {
            workspace,
            email,
            role,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let role: Role = role.parse()?;
            let m = workspaces::add_member(&app, &ctx, &email, role).await?;
            println!("{}\t{}", m.email, m.role);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(config: Config, c: TokenCmd) -> Result<ExitCode> {
    let app = App::start(config, true).await?;
    match c {
        TokenCmd::Create {
            workspace,
            email,
            name,
        } => {
            let ctx = workspaces::cli_context(&app, &workspace).await?;
            let email = accounts::normalize_login_email(&email)?;
            let user = prospector_app::store::users::by_email(app.db(), &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            if prospector_app::store::memberships::role_of(app.db(), ctx.ws, user.uid())
                .await?
                .is_none()
            {
                bail!("{email} is not a member of workspace '{workspace}'");
            }
            let t = workspaces::create_token(&app, &ctx, user.uid(), &name).await?;
            println!("{}", t.token);
        }
    }
    Ok(ExitCode::SUCCESS)
}
