//! CSV downloads of filtered tables, streamed page by page so an export of a million rows
//! never sits in memory whole.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prospector_app::contacts::{ListQuery, export_page};
use prospector_app::{App, AppError, WsCtx};

/// A streaming `text/csv` attachment named `file_name`. The first page is produced before the
/// response starts, so a bad filter is still a proper error response.
pub async fn csv_download(
    app: &App,
    ctx: &WsCtx,
    q: &ListQuery,
    companies: bool,
    bom: bool,
    file_name: &str,
) -> Result<Response, AppError> {
    let (first, next) = export_page(app, ctx, q, companies, bom, None).await?;
    let (app, ctx, q) = (app.clone(), ctx.clone(), q.clone());
    let rest = futures::stream::unfold(next, move |cursor| {
        let (app, ctx, q) = (app.clone(), ctx.clone(), q.clone());
        async move {
            let c = cursor?;
            match export_page(&app, &ctx, &q, companies, bom, Some(c)).await {
                Ok((bytes, next)) => Some((Ok::<_, std::io::Error>(bytes), next)),
                Err(e) => {
                    tracing::error!(error = %e, "export page failed; the download is cut short");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(first) });
    // Fused: a compressing layer may poll once more after the end, which `unfold` forbids.
    let stream = futures::StreamExt::fuse(futures::StreamExt::chain(body, rest));
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
