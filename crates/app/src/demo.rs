//! Demo data, so a first look at the product shows real tables instead of empty states.

use crate::imports::{self, ImportOptions, Summary};
use crate::{App, AppResult, WsCtx};

/// 180 small businesses in six countries, in the shape a user would export from a spreadsheet.
const DEMO_CSV: &str = include_str!("../data/demo_contacts.csv");

/// Import the demo businesses into `ctx`'s workspace unless it already has imports.
pub async fn seed_contacts(app: &App, ctx: &WsCtx) -> AppResult<Option<Summary>> {
    if !imports::list(app, ctx, None, 1).await?.is_empty() {
        return Ok(None);
    }
    let path = imports::new_upload_path(app, ctx.ws).await?;
    tokio::fs::write(&path, DEMO_CSV)
        .await
        .map_err(|e| crate::AppError::Internal(format!("cannot write the demo file: {e}")))?;
    let opts = ImportOptions::default();
    let imp = imports::create(
        app,
        ctx,
        "demo-businesses.csv",
        &path,
        DEMO_CSV.len() as i64,
        "",
        &opts,
        false,
    )
    .await?;
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    let s = imports::run_stored(app, ctx.ws, imp.iid(), &mut |_| {}, &never).await?;
    Ok(Some(s))
}
