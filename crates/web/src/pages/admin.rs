//! The platform admin section: every workspace (suspend/reinstate), every user, the queue.

use super::{PageResult, Shell, back_to, render};
use crate::AppState;
use crate::auth::PlatformAdmin;
use askama::Template;
use axum::extract::{Path, State};
use prospector_app::core::ids::WorkspaceId;
use prospector_app::store::users::User;
use prospector_app::store::workspaces::Workspace;
use prospector_app::{AppError, workspaces};

#[derive(Template)]
#[template(path = "admin.html")]
struct Admin {
    shell: Shell,
    workspaces: Vec<(Workspace, i64)>,
    users: Vec<User>,
    job_counts: Vec<(String, String, i64)>,
}

pub async fn index(State(s): State<AppState>, PlatformAdmin(me): PlatformAdmin) -> PageResult {
    let db = s.app.db();
    let mine = prospector_app::store::workspaces::for_user(db, me.user.uid())
        .await
        .map_err(AppError::from)?;
    let slug = mine.first().map(|w| w.slug.clone()).unwrap_or_default();
    let shell = Shell {
        user_email: me.user.email.clone(),
        user_name: me.user.name.clone(),
        is_admin: true,
        slug: slug.clone(),
        ws_name: String::new(),
        role: "platform admin".into(),
        can_manage: false,
        can_write: false,
        nav: super::nav(&slug, "admin", true),
        workspaces: mine,
        csrf: me.csrf.clone(),
        flash: None,
        unread: 0,
    };
    let workspaces = prospector_app::store::workspaces::list_all(db, 500)
        .await
        .map_err(AppError::from)?;
    let users = prospector_app::store::users::list_all(db, 500)
        .await
        .map_err(AppError::from)?;
    let job_counts = prospector_app::jobs::counts(&s.app).await?;
    Ok(render(&Admin {
        shell,
        workspaces,
        users,
        job_counts,
    }))
}

pub async fn set_suspended(
    State(s): State<AppState>,
    PlatformAdmin(me): PlatformAdmin,
    Path((id, action)): Path<(i64, String)>,
) -> PageResult {
    let suspend = match action.as_str() {
        "suspend" => true,
        "reinstate" => false,
        _ => return Err(AppError::NotFound.into()),
    };
    workspaces::set_suspended(&s.app, &me.actor, &me.user, WorkspaceId(id), suspend).await?;
    Ok(back_to("/admin", None))
}
