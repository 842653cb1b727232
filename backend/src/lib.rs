//! The Rust Mastery Playground server: serves the SPA and the JSON API.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main.rs` only reads configuration, loads
//! content, opens the store and serves. Tests drive [`app`] with `tower::ServiceExt::oneshot`.
#![forbid(unsafe_code)]

pub mod admission;
pub mod cache;
pub mod config;
pub mod content;
pub mod error;
pub mod execution;
pub mod metrics;
pub mod room;
mod routes;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use content::Content;
pub use execution::Runner;
pub use store::Store;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The course content being served (reloaded on change while an author works).
    pub content: Content,
    pub store: Arc<Store>,
    /// Where the built SPA (`index.html` and its hashed assets) lives.
    pub site_dir: PathBuf,
    /// Runs code: the sandbox behind admission control.
    pub runner: Runner,
    /// The origin for absolute addresses (`RMP_PUBLIC_URL`); `None`: each request's `Host`.
    pub public_url: Option<config::PublicUrl>,
    /// Which sites may embed snippets (`RMP_EMBED_SITES`).
    pub embed_sites: config::EmbedSites,
    /// The live class sessions (issue 11).
    pub rooms: room::Rooms,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    uri = %request.uri(),
                    request_id,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(CompressionLayer::new());
    let timeout = TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(30),
    );

    // Executions are bounded by admission and the sandbox's limits instead, and a WebSocket or
    // the content events' stream lives as long as its page: none goes under the 30 s timeout.
    let metrics = Arc::clone(&state.runner.metrics);
    Router::new()
        .nest("/api", routes::api::router())
        .merge(routes::seo::router())
        .merge(routes::share::router())
        .merge(routes::embed::router())
        .route("/metrics", get(metrics::serve))
        .fallback(routes::spa::serve)
        .layer(timeout)
        .merge(routes::execute::router())
        .merge(routes::content_events::router())
        // A room's socket lives as long as its class; its HTTP doors answer at once.
        .merge(routes::room::router())
        // `Router::layer` wraps each route after it matched, so the request carries its
        // `MatchedPath`: the label is the route's template, never the raw path.
        .layer(middleware::from_fn_with_state(metrics, count_request))
        .layer(middleware)
        .with_state(state)
}

/// Counts every answered request by route template and status.
async fn count_request(
    State(metrics): State<Arc<metrics::Metrics>>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics.http_request(route.as_deref(), response.status());
    response
}
