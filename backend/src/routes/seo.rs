//! `/robots.txt` and `/sitemap.xml`, generated from the content being served, and the public
//! origin both they and the page heads use for absolute addresses.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::head::{Demo, Page, escape};
use crate::AppState;
use crate::config::PublicUrl;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap))
}

/// The origin to write into absolute addresses: `RMP_PUBLIC_URL` when set, otherwise the one the
/// request was sent to (its `Host` header, or the authority of an HTTP/2 request), over `http`.
/// A missing or malformed host falls back to `http://localhost` rather than echoing it.
pub fn public_url(state: &AppState, request: &Request) -> PublicUrl {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    host.and_then(PublicUrl::from_host)
        .unwrap_or_else(|| PublicUrl::from_host("localhost").expect("a valid host"))
}

/// Everything may be crawled, `/api/` included: a crawler that runs the app (as Google's does)
/// needs the API to see a chapter's text.
async fn robots(State(state): State<AppState>, request: Request) -> Response {
    let sitemap = public_url(&state, &request).join("/sitemap.xml");
    let body = format!("User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n");
    text_response("text/plain; charset=utf-8", body)
}

/// The course index, every course, every chapter in teaching order and the demos.
async fn sitemap(State(state): State<AppState>, request: Request) -> Response {
    let site = public_url(&state, &request);
    let library = state.content.library();
    // The same addresses the pages call canonical.
    let pages = std::iter::once(Page::Index)
        .chain(library.courses.iter().map(Page::Course))
        .chain(
            library
                .chapters()
                .map(|(_, chapter)| Page::Chapter(chapter)),
        )
        .chain(Demo::ALL.into_iter().map(Page::Demo));
    let paths = pages.filter_map(|page| page.path());
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in paths {
        body.push_str("  <url><loc>");
        body.push_str(&escape(&site.join(&path)));
        body.push_str("</loc></url>\n");
    }
    body.push_str("</urlset>\n");
    text_response("application/xml; charset=utf-8", body)
}

/// Both follow the content, which an author may reload: short-lived like the site's other
/// unhashed files.
fn text_response(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}
