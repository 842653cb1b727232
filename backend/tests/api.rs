//! The HTTP surface, exercised through `oneshot` against real files: a content directory, a built
//! site directory and a SQLite database, all in a temporary directory.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use backend::{AppState, Store};

mod common;
use common::{send, write};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    write(
        &content.join("basics/course.toml"),
        "title = \"Basics\"\nsummary = \"First steps\"\norder = 1\n",
    );
    for (slug, order) in [("first", 1), ("second", 2)] {
        write(
            &content.join(format!("basics/{slug}.md")),
            &format!(
                "+++\ntitle = \"The {slug} chapter\"\norder = {order}\nminutes = 7\nsummary = \"About {slug}\"\n+++\n\
                 # The {slug} chapter\n\n## Try it\n\n```rust,editable,edition2021\n# #![allow(unused)]\nfn main() {{ println!(\"{slug}\"); }}\n```\n\n\
                 ````exercise\nDouble it.\n\n```rust,starter\nfn double(x: i32) -> i32 {{ todo!() }}\n```\n\n\
                 ```rust,tests\n#[test]\nfn t() {{ assert_eq!(double(2), 4); }}\n```\n\n```hint\nUse `*`.\n```\n\n\
                 ```rust,solution\nfn double(x: i32) -> i32 {{ x * 2 }}\n```\n````\n\n```rust,warp\nfn main() {{}}\n```\n"
            ),
        );
    }
    let site = dir.path().join("site");
    write(
        &site.join("index.html"),
        "<!doctype html><html><head><title>Shell</title></head><body>app shell</body></html>",
    );
    write(
        &site.join("frontend-0123456789abcdef_bg.wasm"),
        "wasm bytes",
    );
    write(&site.join("favicon.svg"), "<svg/>");
    // A page's module split off the app's wasm, and the loader that fetches it
    // (xtask/src/app_wasm.rs), each with its zopfli'd sibling.
    for (name, body) in [
        ("lazy-present-0123456789abcdef.wasm", "split wasm"),
        ("wasm_split-0123456789abcdef.js", "export const load = 1;"),
    ] {
        write(&site.join(name), body);
        write(&site.join(format!("{name}.gz")), &format!("GZ:{body}"));
    }
    std::fs::write(
        site.join("frontend-0123456789abcdef.js"),
        b"console.log('hi')",
    )
    .unwrap();
    // ServeDir serves a `.gz` sibling verbatim with `Content-Encoding: gzip`; the marker shows which
    // file was sent.
    std::fs::write(
        site.join("frontend-0123456789abcdef.js.gz"),
        b"GZ:console.log('hi')",
    )
    .unwrap();

    let library = course::Library::load(&content).unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    let state = AppState {
        content: backend::Content::fixed(library),
        store: Arc::new(store),
        site_dir: site,
        runner: backend::Runner::unavailable("no sandbox in these tests"),
        public_url: None,
        embed_sites: Default::default(),
        rooms: backend::room::Rooms::in_memory(Default::default()),
    };
    Fixture { _dir: dir, state }
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

#[tokio::test]
async fn health_reports_store_and_content() {
    let f = fixture();
    let (status, headers, body) = get(&f.state, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    let health: api_types::Health = serde_json::from_slice(&body).unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.schema_version, backend::store::SCHEMA_VERSION);
    assert_eq!(health.chapters, 2);
    assert!(
        headers.contains_key("x-request-id"),
        "every response carries a request id"
    );
}

#[tokio::test]
async fn courses_list_chapters_in_order() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/api/courses").await;
    assert_eq!(status, StatusCode::OK);
    let list: api_types::CourseList = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.courses.len(), 1);
    let slugs: Vec<_> = list.courses[0]
        .chapters
        .iter()
        .map(|c| c.slug.as_str())
        .collect();
    assert_eq!(slugs, ["first", "second"]);
    assert_eq!(list.courses[0].chapters[1].minutes, 7);
}

#[tokio::test]
async fn a_chapter_comes_with_highlighted_runnable_code_and_neighbours() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/api/chapters/second").await;
    assert_eq!(status, StatusCode::OK);
    let chapter: api_types::Chapter = serde_json::from_slice(&body).unwrap();
    assert_eq!(chapter.title, "The second chapter");
    assert_eq!(chapter.course.slug, "basics");
    assert_eq!(chapter.previous.as_ref().unwrap().slug, "first");
    assert!(chapter.next.is_none());
    assert_eq!(chapter.headings[0].id, "try-it");
    let code = chapter
        .blocks
        .iter()
        .find_map(|b| match b {
            api_types::Block::Code(c) => Some(c),
            _ => None,
        })
        .expect("a code block");
    assert!(code.runnable && code.editable);
    assert!(
        code.highlighted
            .contains("<span class=\"tok-mac\">println!</span>")
    );
    assert_eq!(code.attributes, ["editable", "edition2021"]);
    assert_eq!(code.run.edition, api_types::Edition::E2021);
    assert_eq!(code.hidden_lines, [1]);
    assert!(code.code.starts_with("#![allow(unused)]\n"));
    let exercise = chapter
        .blocks
        .iter()
        .find_map(|b| match b {
            api_types::Block::Exercise(e) => Some(e),
            _ => None,
        })
        .expect("an exercise");
    assert_eq!(exercise.run.action, api_types::Action::Test);
    assert!(exercise.starter.contains("todo!()"));
    assert!(exercise.solution.contains("x * 2"));
    assert_eq!(exercise.hints, ["<p>Use <code>*</code>.</p>\n"]);
    assert!(exercise.problem.is_none());
    // A malformed fence is served, marked, and not runnable.
    let broken = chapter
        .blocks
        .iter()
        .filter_map(|b| match b {
            api_types::Block::Code(c) => Some(c),
            _ => None,
        })
        .nth(1)
        .expect("the broken block");
    assert!(!broken.runnable);
    assert!(
        broken
            .problem
            .as_deref()
            .unwrap()
            .starts_with("unknown attribute `warp`"),
        "{broken:?}"
    );
}

#[tokio::test]
async fn an_unknown_chapter_is_a_json_404() {
    let f = fixture();
    let (status, headers, body) = get(&f.state, "/api/chapters/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(json(&body)["error"], "there is no chapter called `nope`");
}

#[tokio::test]
async fn a_chapter_presents_as_slides_with_its_block_ids() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/api/present/second").await;
    assert_eq!(status, StatusCode::OK);
    let deck: api_types::present::Presentation = serde_json::from_slice(&body).unwrap();
    assert_eq!(deck.chapter.slug, "second");
    assert_eq!(deck.course.slug, "basics");
    assert_eq!(deck.minutes, 7);
    // No marks: a title slide, then the `## Try it` section.
    let shape: Vec<(usize, &str, &str)> = deck
        .slides
        .iter()
        .map(|s| (s.index, s.title.as_str(), s.anchor.as_str()))
        .collect();
    assert_eq!(
        shape,
        [(0, "The second chapter", "top"), (1, "Try it", "try-it")]
    );
    assert_eq!(deck.slides.iter().map(|s| s.minutes).sum::<u32>(), 7);
    // The code blocks keep the ids the reading page gives them.
    let (_, _, page) = get(&f.state, "/api/chapters/second").await;
    let page: api_types::Chapter = serde_json::from_slice(&page).unwrap();
    let ids = |blocks: &[api_types::Block]| -> Vec<String> {
        blocks
            .iter()
            .filter_map(|b| match b {
                api_types::Block::Code(code) => Some(code.id.clone()),
                _ => None,
            })
            .collect()
    };
    let slide_ids: Vec<String> = deck.slides.iter().flat_map(|s| ids(&s.blocks)).collect();
    assert_eq!(slide_ids, ids(&page.blocks));

    let (status, headers, body) = get(&f.state, "/api/present/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        json(&body)["error"],
        "there is no chapter called `nope` to present"
    );
}

#[tokio::test]
async fn an_unknown_endpoint_is_a_json_404() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/api/nothing/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        json(&body)["error"],
        "there is no API endpoint at `/api/nothing/here`"
    );
}

#[tokio::test]
async fn deep_links_get_the_app_shell_uncached() {
    let f = fixture();
    // Unknown addresses get the shell too, as a 404 (tests/links.rs).
    for (uri, expected) in [
        ("/", StatusCode::OK),
        ("/learn/first", StatusCode::OK),
        ("/learn/does-not-exist", StatusCode::NOT_FOUND),
        ("/some/deep/route", StatusCode::NOT_FOUND),
    ] {
        let (status, headers, body) = get(&f.state, uri).await;
        assert_eq!(status, expected, "{uri}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "{uri}");
        assert!(
            String::from_utf8(body).unwrap().contains("app shell"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_others_are_short_lived() {
    let f = fixture();
    let (status, headers, body) = get(&f.state, "/frontend-0123456789abcdef_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(body, b"wasm bytes");

    let (_, headers, _) = get(&f.state, "/favicon.svg").await;
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
}

#[tokio::test]
async fn precompressed_assets_are_served_when_accepted() {
    let f = fixture();
    let request = Request::get("/frontend-0123456789abcdef.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&f.state, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert!(body.starts_with(b"GZ:"), "the .gz sibling was served");
}

#[tokio::test]
async fn split_modules_and_their_loader_are_served_compressed_typed_and_immutable() {
    let f = fixture();
    for (path, content_type) in [
        ("/lazy-present-0123456789abcdef.wasm", "application/wasm"),
        ("/wasm_split-0123456789abcdef.js", "text/javascript"),
    ] {
        let request = Request::get(path)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(&f.state, request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        // `WebAssembly.instantiateStreaming` refuses any other type.
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{path}");
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip", "{path}");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert!(
            body.starts_with(b"GZ:"),
            "{path}: the .gz sibling was served"
        );
    }
}

#[tokio::test]
async fn api_responses_are_compressed_when_accepted() {
    let f = fixture();
    let request = Request::get("/api/chapters/first")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&f.state, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn missing_files_are_404_not_the_app_shell() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/missing-0123456789abcdef.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8(body).unwrap().contains("app shell"));
}

#[tokio::test]
async fn writes_to_pages_are_refused() {
    let f = fixture();
    let request = Request::post("/learn/first").body(Body::empty()).unwrap();
    let (status, _, _) = send(&f.state, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn an_unbuilt_site_explains_how_to_build_it() {
    let mut f = fixture();
    f.state.site_dir = f.state.site_dir.join("nowhere");
    let (status, _, body) = get(&f.state, "/learn/first").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8(body).unwrap().contains("cargo xtask run"));
}

#[tokio::test]
async fn runners_are_listed_with_why_they_cannot_run_here() {
    let f = fixture();
    let (status, _, body) = get(&f.state, "/api/runners").await;
    assert_eq!(status, StatusCode::OK);
    let list: api_types::RunnerList = serde_json::from_slice(&body).unwrap();
    let ids: Vec<&str> = list.runners.iter().map(|r| r.id.as_str()).collect();
    let registry: Vec<&str> = runners::all().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids, registry,
        "every registered runner, in the registry's order"
    );
    // This fixture has no sandbox: nothing is available, and each says why in words.
    for runner in &list.runners {
        assert!(!runner.available, "{runner:?}");
        assert_eq!(
            runner.reason.as_deref(),
            Some("Code cannot run on this server right now: no sandbox in these tests.")
        );
    }
    let stable = &list.runners[ids.iter().position(|id| *id == "stable").unwrap()];
    assert!(stable.actions.contains(&api_types::Action::Clippy));
    assert!(
        stable.reachable.is_empty(),
        "nothing works without a sandbox"
    );
}

/// Reads the next server-sent event's `data:` line from an SSE body.
async fn next_sse_data(body: &mut Body) -> String {
    use http_body_util::BodyExt;
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        if let Some(event) = text.split("\n\n").find(|e| e.starts_with("data:")) {
            return event.trim_start_matches("data:").trim().to_owned();
        }
    }
}

#[tokio::test]
async fn content_events_are_not_offered_when_the_content_is_not_watched() {
    let fixture = fixture();
    let (status, _, body) = send(
        &fixture.state,
        Request::get("/api/content/events")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    // 204 tells a browser's EventSource to stop, rather than reconnect every few seconds.
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
}

#[tokio::test]
async fn a_watched_content_directory_streams_each_reload_to_open_pages() {
    use tower::ServiceExt;
    let fixture = fixture();
    let content_dir = fixture._dir.path().join("content");
    let mut state = fixture.state.clone();
    state.content = backend::Content::watched(
        content_dir.clone(),
        course::Library::load(&content_dir).unwrap(),
        std::time::Duration::from_millis(20),
    )
    .await;
    let response = backend::app(state.clone())
        .oneshot(
            Request::get("/api/content/events")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream",
        "an EventSource needs this type"
    );
    let mut body = response.into_body();
    let first: api_types::ContentEvent =
        serde_json::from_str(&next_sse_data(&mut body).await).unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(
        first.problems.len(),
        2,
        "the fixture's `warp` blocks: {:?}",
        first.problems
    );

    // The author saves a broken chapter: rejected, named, and the old page still served.
    write(
        &content_dir.join("basics/second.md"),
        "+++\ntitle = \"Second\"\n+++\n",
    );
    let rejected: api_types::ContentEvent =
        serde_json::from_str(&next_sse_data(&mut body).await).unwrap();
    let reason = rejected
        .rejected
        .expect("the broken front matter is reported");
    assert!(reason.contains("second.md"), "{reason}");
    assert_eq!(rejected.version, 1);
    let (status, _, page) = send(
        &state,
        Request::get("/api/chapters/second")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the last good version is still served"
    );
    assert!(
        String::from_utf8(page)
            .unwrap()
            .contains("The second chapter")
    );

    // Fixed: the new version, naming the chapter that changed.
    write(
        &content_dir.join("basics/second.md"),
        "+++\ntitle = \"The second chapter\"\norder = 2\nminutes = 7\nsummary = \"About second\"\n+++\nRewritten.\n\n```rust\nfn main() {}\n```\n",
    );
    let reloaded: api_types::ContentEvent =
        serde_json::from_str(&next_sse_data(&mut body).await).unwrap();
    assert_eq!((reloaded.version, reloaded.rejected), (2, None));
    assert_eq!(reloaded.changed, ["second"]);
    let (_, _, page) = send(
        &state,
        Request::get("/api/chapters/second")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(String::from_utf8(page).unwrap().contains("Rewritten."));
}
