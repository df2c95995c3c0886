//! HTTP for Prospector: server-rendered pages (askama + htmx), the REST API under `/api/v1`
//! with its OpenAPI document, health, readiness and Prometheus metrics. Handlers are glue:
//! extractor (auth, workspace, role) -> one `app` use case -> response.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod export;
pub mod health;
pub mod hooks;
pub mod hooks_messaging;
pub mod metrics;
pub mod pages;
pub mod public;

use axum::Router;
use axum::http::{HeaderName, Request};
use prospector_app::App;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Shared state for every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

impl axum::extract::FromRef<AppState> for App {
    fn from_ref(s: &AppState) -> App {
        s.app.clone()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let state = AppState { app: app.clone() };
    let max_body = app.config().max_body_bytes;
    let timeout = Duration::from_secs(app.config().request_timeout_secs);
    let (api_router, _) = api::router().split_for_parts();
    Router::new()
        .merge(pages::router())
        .merge(api_router)
        .merge(health::router())
        .merge(assets::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::layer))
        // Reached from emails: no session, no CSRF token, no cookie set.
        .merge(public::router())
        // Provider webhooks: verified by signature or URL token, never by cookie.
        .merge(hooks::router())
        .merge(hooks_messaging::router())
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(max_body))
        // One limit for every body (uploads included): the layer above, not axum's 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let rid = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %rid)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Bind and serve until `shutdown` resolves. Returns the bound address through `on_bound`
/// first, so tests can bind port 0 and learn the port (one startup for main and tests).
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
