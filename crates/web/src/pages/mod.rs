//! Server-rendered pages: sign-in, the workspace shell with its sidebar sections, settings and
//! the platform admin section. Pages live under `/w/{slug}/...`.

mod admin;
mod auth;
mod campaigns;
mod companies;
mod contacts;
mod imports;
mod leads;
mod messages;
mod notifications;
mod scans;
mod scores;
mod sections;
mod senders;
mod settings;
mod templates;
mod whatsapp;

use crate::AppState;
use crate::auth::{Page, Perm};
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospector_app::core::role::Permission;
use prospector_app::store::workspaces::MemberWorkspace;
use prospector_app::{App, AppError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/favicon.ico", get(favicon))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/invite/{token}",
            get(auth::invite_form).post(auth::accept_invite),
        )
        .route("/w/{slug}", get(sections::to_dashboard))
        .route("/w/{slug}/dashboard", get(sections::dashboard))
        .route("/w/{slug}/{section}", get(sections::section))
        .merge(records())
        .merge(campaigns::router())
        .merge(leads::router())
        .merge(whatsapp::router())
        .merge(notifications::router())
        .route("/w/{slug}/settings", get(settings::to_profile))
        .route(
            "/w/{slug}/settings/profile",
            get(settings::profile).post(settings::save_profile),
        )
        .route(
            "/w/{slug}/settings/password",
            post(settings::change_password),
        )
        .route(
            "/w/{slug}/settings/workspace",
            post(settings::save_workspace),
        )
        .route("/w/{slug}/settings/members", get(settings::members))
        .route(
            "/w/{slug}/settings/members/{user_id}/role",
            post(settings::change_role),
        )
        .route(
            "/w/{slug}/settings/members/{user_id}/remove",
            post(settings::remove_member),
        )
        .route("/w/{slug}/settings/invitations", post(settings::invite))
        .route(
            "/w/{slug}/settings/invitations/{invitation_id}/revoke",
            post(settings::revoke_invitation),
        )
        .route(
            "/w/{slug}/settings/tokens",
            get(settings::tokens).post(settings::create_token),
        )
        .route(
            "/w/{slug}/settings/tokens/{token_id}/revoke",
            post(settings::revoke_token),
        )
        .route("/w/{slug}/settings/jobs", get(settings::jobs))
        .route(
            "/w/{slug}/settings/jobs/{job_id}/retry",
            post(settings::retry_job),
        )
        .route("/w/{slug}/settings/audit", get(settings::audit))
        .route(
            "/w/{slug}/settings/icp",
            get(scores::icp).post(scores::save_icp),
        )
        .route("/w/{slug}/settings/icp/preset", post(scores::apply_preset))
        .route("/w/{slug}/settings/icp/rescore", post(scores::rescore_all))
        .route(
            "/w/{slug}/settings/ai",
            get(settings::ai).post(settings::save_ai),
        )
        .route("/w/{slug}/settings/ai/test", post(settings::test_ai))
        .route(
            "/w/{slug}/settings/scanning",
            get(settings::scanning).post(settings::save_scanning),
        )
        .route(
            "/w/{slug}/settings/messaging",
            get(settings::messaging).post(settings::save_messaging),
        )
        .route("/admin", get(admin::index))
        .route(
            "/admin/workspaces/{id}/{action}",
            post(admin::set_suspended),
        )
}

/// The brand mark, for the browser's implicit `/favicon.ico` request.
async fn favicon() -> Response {
    const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"7\" fill=\"#151a2d\"/><path d=\"M16 5 27 16 16 27 5 16z\" fill=\"#5c7cfa\"/></svg>";
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        SVG,
    )
        .into_response()
}

/// Contacts, companies and imports.
fn records() -> Router<AppState> {
    Router::new()
        .route(
            "/w/{slug}/contacts",
            get(contacts::list).post(contacts::create),
        )
        .route("/w/{slug}/contacts/new", get(contacts::new_form))
        .route("/w/{slug}/contacts/export.csv", get(contacts::export))
        .route("/w/{slug}/contacts/bulk", post(contacts::bulk))
        .route(
            "/w/{slug}/contacts/import",
            get(imports::upload_form)
                .post(imports::upload)
                .layer(DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES)),
        )
        .route("/w/{slug}/contacts/import/map", get(imports::map_form))
        .route("/w/{slug}/contacts/import/start", post(imports::start))
        .route(
            "/w/{slug}/contacts/{id}",
            get(contacts::show).post(contacts::update),
        )
        .route("/w/{slug}/contacts/{id}/delete", post(contacts::delete))
        .route("/w/{slug}/contacts/{id}/erase", post(contacts::erase))
        .route("/w/{slug}/contacts/{id}/notes", post(contacts::add_note))
        .route(
            "/w/{slug}/companies",
            get(companies::list).post(companies::create),
        )
        .route("/w/{slug}/companies/new", get(companies::new_form))
        .route("/w/{slug}/companies/export.csv", get(companies::export))
        .route("/w/{slug}/companies/bulk", post(companies::bulk))
        .route(
            "/w/{slug}/companies/{id}",
            get(companies::show).post(companies::update),
        )
        .route("/w/{slug}/companies/{id}/delete", post(companies::delete))
        .route("/w/{slug}/companies/{id}/notes", post(companies::add_note))
        .route("/w/{slug}/companies/{id}/scan", post(scans::scan))
        .route("/w/{slug}/companies/{id}/score", post(scores::rescore))
        .route("/w/{slug}/companies/{id}/analysis", post(scores::analyze))
        .route("/w/{slug}/facts/{id}/promote", post(scans::promote))
        .route("/w/{slug}/contacts/{id}/verify-email", post(scans::verify))
        .route("/w/{slug}/jobs/{id}", get(scans::job_page))
        .route("/w/{slug}/jobs/{id}/events", get(scans::job_events))
        .route("/w/{slug}/imports", get(imports::list))
        .route("/w/{slug}/imports/{id}", get(imports::show))
        .route("/w/{slug}/imports/{id}/events", get(imports::events))
        .route("/w/{slug}/imports/{id}/cancel", post(imports::cancel))
        .route(
            "/w/{slug}/imports/{id}/errors.csv",
            get(imports::errors_csv),
        )
}

/// One sidebar entry.
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

/// A message shown once at the top of a page.
pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

/// What every page of the shell needs: who, which workspace, the sidebar, the CSRF token.
pub struct Shell {
    pub user_email: String,
    pub user_name: String,
    pub is_admin: bool,
    pub slug: String,
    pub ws_name: String,
    pub role: String,
    pub can_manage: bool,
    pub can_write: bool,
    pub workspaces: Vec<MemberWorkspace>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Unread notifications of the workspace, for the bell (rendered with the page, so no
    /// request of its own is in flight when the user clicks away; htmx refreshes it).
    pub unread: i64,
}

/// The sidebar sections, in the order of the seeds' layout.
pub const SECTIONS: &[(&str, &str)] = &[
    ("dashboard", "Dashboard"),
    ("contacts", "Contacts"),
    ("leads", "Leads"),
    ("conversations", "Conversations"),
    ("campaigns", "Campaigns"),
    ("messaging", "WhatsApp & SMS"),
    ("discovery", "Discovery"),
    ("templates", "Templates"),
    ("analytics", "Analytics"),
    ("wallet", "Wallet"),
    ("settings", "Settings"),
];

fn nav(slug: &str, active: &str, is_admin: bool) -> Vec<NavItem> {
    let mut items: Vec<NavItem> = SECTIONS
        .iter()
        .map(|(key, label)| NavItem {
            key,
            label,
            href: if *key == "settings" {
                format!("/w/{slug}/settings/profile")
            } else {
                format!("/w/{slug}/{key}")
            },
            active: *key == active,
        })
        .collect();
    if is_admin {
        items.push(NavItem {
            key: "admin",
            label: "Admin",
            href: "/admin".into(),
            active: active == "admin",
        });
    }
    items
}

impl Shell {
    /// Build the shell for a workspace page.
    pub async fn for_page<P: Perm>(
        app: &App,
        p: &Page<P>,
        active: &str,
    ) -> Result<Shell, AppError> {
        let workspaces =
            prospector_app::store::workspaces::for_user(app.db(), p.me.user.uid()).await?;
        Ok(Shell {
            user_email: p.me.user.email.clone(),
            user_name: p.me.user.name.clone(),
            is_admin: p.me.user.is_admin,
            slug: p.ctx.slug.clone(),
            ws_name: p.ctx.name.clone(),
            role: p.ctx.role.to_string(),
            can_manage: p.ctx.role.allows(Permission::Manage),
            can_write: p.ctx.role.allows(Permission::Write),
            workspaces,
            nav: nav(&p.ctx.slug, active, p.me.user.is_admin),
            csrf: p.me.csrf.clone(),
            flash: None,
            unread: prospector_app::notifications::unread_count(app, &p.ctx).await?,
        })
    }

    pub fn with_flash(mut self, kind: &'static str, text: impl Into<String>) -> Shell {
        self.flash = Some(Flash {
            kind,
            text: text.into(),
        });
        self
    }
}

/// Render a template, or a friendly error page if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be displayed. The problem has been logged.",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// A full-page error for browsers.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    }
    .render()
    .unwrap_or_else(|_| format!("<h1>{title}</h1><p>{message}</p>"));
    (status, Html(html)).into_response()
}

/// An `AppError` as a page.
pub fn app_error_page(e: AppError) -> Response {
    let status = crate::error::status_of(&e);
    if status.is_server_error() {
        tracing::error!(error = %e, "page failed");
    }
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    let message = match &e {
        AppError::NotFound => "There is nothing here, or you do not have access to it.".to_string(),
        other => crate::error::public_message(other),
    };
    error_page(status, title, &message)
}

/// Page handler result: errors become pages.
pub type PageResult = Result<Response, PageError>;

/// Wraps `AppError` for page handlers.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        app_error_page(self.0)
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError(AppError::NotFound).into_response();
    }
    app_error_page(AppError::NotFound)
}

/// Redirect after a successful form post (POST-redirect-GET), with an optional notice.
pub fn back_to(path: &str, notice: Option<&str>) -> Response {
    match notice {
        Some(n) => Redirect::to(&format!(
            "{path}?notice={}",
            form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ))
        .into_response(),
        None => Redirect::to(path).into_response(),
    }
}
