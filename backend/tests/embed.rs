//! Embeddable snippets through the router: the scripts' cache headers, the snippet page's
//! `frame-ancestors` from `RMP_EMBED_SITES`, 4xx answers for malformed snippet addresses, the
//! editor's stable alias, the weight a reader downloads before touching a snippet (printed), and
//! a site's share of the queue seen from outside.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use api_types::share::SharedCode;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use backend::config::{AdmissionConfig, EmbedSites};
use backend::{AppState, Runner};
use base64::Engine;
use sandbox::fake::ScriptedSandbox;

mod common;
use common::{send, write};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture_with(runner: Runner) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    common::basics_course(&dir.path().join("content"));
    write(
        &dir.path().join("site/index.html"),
        "<!doctype html><title>Shell</title>",
    );
    let state = common::state(dir.path(), runner);
    Fixture { _dir: dir, state }
}

fn fixture() -> Fixture {
    fixture_with(Runner::unavailable("no sandbox in these tests"))
}

fn fragment(code: &str) -> String {
    let json = serde_json::to_vec(&SharedCode::snippet(code)).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn snippet_uri(code: &str, extra: &str) -> String {
    format!(
        "/embed/snippet?s={}&origin=https%3A%2F%2Fblog.example{extra}",
        fragment(code)
    )
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[tokio::test]
async fn the_scripts_are_cacheable_and_revalidate_with_their_etag() {
    let f = fixture();
    for (path, kind) in [
        ("/embed.js", "text/javascript"),
        ("/embed/snippet.js", "text/javascript"),
        ("/embed/snippet.css", "text/css"),
        ("/embed/example.js", "text/javascript"),
    ] {
        let (status, headers, body) = get(&f.state, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=3600");
        assert!(!body.is_empty());
        let etag = headers[header::ETAG].clone();
        let request = Request::get(path)
            .header(header::IF_NONE_MATCH, etag)
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = send(&f.state, request).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
    }
}

#[tokio::test]
async fn the_snippet_page_is_framed_only_by_the_configured_sites() {
    let mut f = fixture();
    let code = "fn main() {\n    println!(\"</script><img src=x onerror=alert(1)>\");\n}\n";
    let (status, headers, body) = get(&f.state, &snippet_uri(code, "&theme=dark")).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.ends_with("frame-ancestors *"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=3600");
    let page = text(&body);
    assert!(page.contains("class=\"theme-dark\""));
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("<img"),
        "markup in the code stays text: {page}"
    );
    assert_eq!(
        page.matches("</script>").count(),
        2,
        "the module's and the data's own"
    );
    assert!(page.contains("href=\"/s#"), "Open in the playground");
    assert!(
        !page.contains("editorJs\":\"/embed/editor.js"),
        "no editor in this site"
    );

    f.state.embed_sites = EmbedSites::parse("https://blog.example https://docs.example").unwrap();
    let (_, headers, _) = get(&f.state, &snippet_uri("fn main() {}", "")).await;
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .rsplit("; ")
            .next()
            .unwrap(),
        "frame-ancestors 'self' https://blog.example https://docs.example"
    );
}

#[tokio::test]
async fn malformed_snippet_addresses_are_4xx_pages_that_say_why() {
    let f = fixture();
    let two_files = {
        let mut share = SharedCode::snippet("fn main() {}");
        share.files.push(api_types::ProjectFile {
            path: "src/extra.rs".into(),
            contents: String::new(),
        });
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&share).unwrap())
    };
    let not_json = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"<b>hi</b>");
    let too_long = "A".repeat(60_001);
    let cases = [
        (
            "/embed/snippet".to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            "/embed/snippet?origin=https%3A%2F%2Fblog.example".to_owned(),
            StatusCode::BAD_REQUEST,
            "missing field `s`",
        ),
        (
            "/embed/snippet?s=%25%25%25&origin=https%3A%2F%2Fblog.example".to_owned(),
            StatusCode::BAD_REQUEST,
            "not base64url",
        ),
        (
            format!("/embed/snippet?s={not_json}&origin=https%3A%2F%2Fblog.example"),
            StatusCode::BAD_REQUEST,
            "does not describe code",
        ),
        (
            format!("/embed/snippet?s={two_files}&origin=https%3A%2F%2Fblog.example"),
            StatusCode::BAD_REQUEST,
            "holds one file",
        ),
        (
            format!(
                "/embed/snippet?s={}&origin=javascript%3Aalert(1)",
                fragment("fn main() {}")
            ),
            StatusCode::BAD_REQUEST,
            "`javascript:alert(1)` is not the embedding page",
        ),
        (
            snippet_uri("fn main() {}", "&readonly=3-1"),
            StatusCode::BAD_REQUEST,
            "not a list of lines",
        ),
        (
            snippet_uri("fn main() {}", "&theme=%3Cb%3Eneon%3C%2Fb%3E"),
            StatusCode::BAD_REQUEST,
            "unknown variant",
        ),
        (
            snippet_uri("fn main() {}", "&colour=red"),
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (
            format!("/embed/snippet?s={too_long}&origin=https%3A%2F%2Fblog.example"),
            StatusCode::URI_TOO_LONG,
            "the limit is",
        ),
    ];
    for (uri, expected, words) in cases {
        let (status, headers, body) = get(&f.state, &uri).await;
        let page = text(&body);
        assert_eq!(status, expected, "{uri}: {page}");
        assert!(page.contains(words), "{uri}: {page}");
        assert!(
            !page.contains("<b>"),
            "the error page escapes what it quotes: {page}"
        );
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; style-src 'unsafe-inline'"
        );
    }
}

#[tokio::test]
async fn the_editor_has_a_stable_address_that_leads_to_its_hashed_file() {
    let f = fixture();
    let (status, _, _) = get(&f.state, "/embed/editor.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no editor built");
    write(
        &f.state.site_dir.join("editor-0123abcd.js"),
        "window.RmpEditor = {};",
    );
    write(&f.state.site_dir.join("editor-0123abcd.js.gz"), "");
    write(&f.state.site_dir.join("editor-4567ef.css"), ".cm-editor {}");
    let (status, headers, _) = get(&f.state, "/embed/editor.js").await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/editor-0123abcd.js");
    let (_, headers, _) = get(&f.state, "/embed/editor.css").await;
    assert_eq!(headers[header::LOCATION], "/editor-4567ef.css");
    let (_, _, body) = get(&f.state, &snippet_uri("fn main() {}", "")).await;
    assert!(text(&body).contains("\"editorJs\":\"/embed/editor.js\""));
}

/// What a reader downloads before touching a snippet, gzip as the router compresses it: the
/// host script once, and per snippet its page, plus the frame's script and style once (they
/// are the same cached addresses for every snippet).
#[tokio::test]
async fn the_embed_weighs_far_less_than_the_limit_before_a_reader_touches_it() {
    let f = fixture();
    // A typical blog snippet: thirty lines of Rust.
    let sample: String = (0..14)
        .map(|n| format!("fn step_{n}(values: &mut Vec<u64>) {{\n    values.push({n} * 31);\n"))
        .chain(["fn main() {\n    let mut v = Vec::new();\n    step_0(&mut v);\n    println!(\"{v:?}\");\n}\n".to_owned()])
        .collect();
    let mut total = 0;
    let mut report = Vec::new();
    for uri in [
        "/embed.js".to_owned(),
        snippet_uri(&sample, ""),
        "/embed/snippet.js".to_owned(),
        "/embed/snippet.css".to_owned(),
    ] {
        let request = Request::get(&uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(&f.state, request).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip", "{uri}");
        let name = uri.split('?').next().unwrap().to_owned();
        report.push(format!("{name} {} B", body.len()));
        total += body.len();
    }
    println!(
        "embed weight before touching, gzip: {} = {total} B (limit 153600 B)",
        report.join(" + ")
    );
    assert!(
        total < 30 * 1024,
        "{total} bytes: the embed grew beyond its budget"
    );
}

fn execute(peer: [u8; 4], site: Option<&str>) -> Request<Body> {
    let mut request =
        Request::post("/api/execute").header(header::CONTENT_TYPE, "application/json");
    if let Some(site) = site {
        request = request.header("x-rmp-embed-site", site);
    }
    let mut request = request
        .body(Body::from(r#"{"code":"fn main() {}"}"#))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    request
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

#[tokio::test]
async fn an_embedding_site_is_held_to_its_share_and_must_be_an_origin() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let f = fixture_with(Runner::new(
        fake,
        AdmissionConfig {
            concurrency: 1,
            queue_capacity: 10,
            per_address_queue: 10,
            per_browser_queue: 10,
            per_site_queue: 1,
            queue_timeout: Duration::from_secs(60),
        },
    ));
    let state = &f.state;
    let (status, _, body) = send(state, execute([10, 0, 0, 9], Some("javascript:alert(1)"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text(&body).contains("the embedding site must be an origin"),
        "{}",
        text(&body)
    );

    let mut held = Vec::new();
    for (peer, site) in [
        ([10, 0, 0, 1], None),
        ([10, 0, 0, 2], Some("https://blog.example")),
    ] {
        let state = state.clone();
        held.push(tokio::spawn(async move {
            send(&state, execute(peer, site)).await
        }));
        let expected = held.len() - 1;
        wait_until(|| state_waiting(&f.state) == expected).await;
    }
    // Another reader of the same post, from another address: the site's share is full.
    let (status, headers, body) =
        send(state, execute([10, 0, 0, 3], Some("https://blog.example"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}", text(&body));
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(
        text(&body).contains("readers of this page's site"),
        "{}",
        text(&body)
    );
    // The playground's own readers and other sites still queue.
    for (peer, site) in [
        ([10, 0, 0, 4], None),
        ([10, 0, 0, 5], Some("https://other.example")),
    ] {
        let state = state.clone();
        held.push(tokio::spawn(async move {
            send(&state, execute(peer, site)).await
        }));
    }
    wait_until(|| state_waiting(&f.state) == 3).await;
    for task in held {
        task.abort();
    }
}

fn state_waiting(state: &AppState) -> usize {
    state.runner.admission.load().waiting
}
