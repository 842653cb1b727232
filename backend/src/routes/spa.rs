//! Everything outside `/api`: the built SPA's files, and `index.html` for client-side routes,
//! its head written for the page asked for (see [`super::head`]).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::head::{Page, render_shell, share_id};
use super::seo::public_url;
use crate::AppState;

/// Serves a file from the site directory, or `index.html` for paths that look like app routes
/// (no file extension), so a deep link such as `/learn/<chapter>` loads the app. The shell's head
/// names the page; an address the app does not have gets the same shell with status 404, and the
/// app shows its not-found page.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let index = state.site_dir.join("index.html");
    if !index.is_file() {
        return not_built(&state.site_dir);
    }
    let path = request.uri().path().to_owned();
    let looks_like_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));

    let files = ServeDir::new(&state.site_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    let site = public_url(&state, &request);
    let (parts, body) = request.into_parts();
    let found = match files.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };

    let (mut response, policy) = if found.status() != StatusCode::NOT_FOUND && path != "/" {
        let policy = if is_hashed_asset(&path) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        (found.map(Body::new), policy)
    } else if looks_like_file {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    } else {
        // Read on every request, like the files, so a rebuilt site is served at once. The
        // router's compression layer compresses the page, as the precompressed copy did.
        let shell = match tokio::fs::read_to_string(&index).await {
            Ok(shell) => shell,
            Err(err) => {
                tracing::error!(path = %index.display(), %err, "cannot read the app shell");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot read the app shell",
                )
                    .into_response();
            }
        };
        let share = match share_id(&path) {
            Some(id) => super::share::lookup(&state, id)
                .await
                .unwrap_or_else(|error| {
                    // Answered as an unknown share; the SPA asks the API again and shows its error.
                    tracing::error!(%error, id, "cannot read a share for its page's head");
                    None
                }),
            None => None,
        };
        let library = state.content.library();
        let page = Page::resolve(&path, &library, share.as_ref());
        let html = render_shell(&shell, &page.head(&site));
        // The app shell must be revalidated so a new deployment is picked up at once.
        ((page.status(), Html(html)).into_response(), "no-cache")
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// Trunk names built assets `<name>-<hash>[_bg].<ext>`, the hash a 64-bit value in hex without
/// leading zeros (so usually 16 digits, sometimes fewer), and `cargo xtask build-spa` names the
/// app's own files the same way: their content never changes.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (10..=16).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn not_built(site_dir: &std::path::Path) -> Response {
    let message = format!(
        "<!doctype html><title>App not built</title><h1>The web app has not been built</h1>\
         <p>No <code>index.html</code> in <code>{}</code>. Run <code>cargo xtask run</code> from the \
         repository root, or set <code>RMP_SITE_DIR</code> to a built site.</p>",
        site_dir.display()
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(message)).into_response()
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed_asset("/frontend-0123456789abcdef_bg.wasm"));
        assert!(is_hashed_asset("/frontend-0123456789abcdef.js"));
        assert!(is_hashed_asset("/style-0123456789abcdef.css"));
        assert!(
            is_hashed_asset("/frontend-36839f9761d33c0.js"),
            "15 digits: a leading zero"
        );
        // The app's split modules and their loader (xtask/src/app_wasm.rs).
        assert!(is_hashed_asset(
            "/lazy-present_console-0123456789abcdef.wasm"
        ));
        assert!(is_hashed_asset("/lazy-chunk_12-0123456789abcdef.wasm"));
        assert!(is_hashed_asset("/wasm_split-0123456789abcdef.js"));
        assert!(!is_hashed_asset("/favicon.svg"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/my-file.js"));
    }
}
