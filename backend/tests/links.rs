//! Links that preview well: each app address gets the shell with its own title, description,
//! OpenGraph tags and canonical address, unknown addresses are 404s, and `/robots.txt` and
//! `/sitemap.xml` follow the content. The content here is hostile on purpose: titles and
//! summaries are data and must come out escaped.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use backend::config::PublicUrl;
use backend::{AppState, Store};

mod common;
use common::{send, write};

/// A chapter title that would close the `<title>` and run a script if written raw.
const HOSTILE_TITLE: &str = r#"Ends </title><script>alert("t")</script> & 'quotes'"#;
/// A summary that would leave its attribute and add an element if written raw.
const HOSTILE_SUMMARY: &str = r#"Leaves "><img src=x onerror=alert(1)> the attribute"#;

/// The shape of Trunk's `dist/index.html`: a title and a description to replace, and a body.
const SHELL: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    \
    <meta name=\"description\" content=\"The shell's own description.\" />\n    \
    <title>Rust Mastery Playground</title>\n    <script type=\"module\">/* app */</script>\n  </head>\n  \
    <body>\n    <div id=\"boot\">Loading…</div>\n  </body>\n</html>\n";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    write(
        &content.join("basics/course.toml"),
        "title = \"Basics & <more>\"\nsummary = \"First steps, \\\"quoted\\\"\"\norder = 1\n",
    );
    write(
        &content.join("advanced/course.toml"),
        "title = \"Advanced\"\nsummary = \"Further\"\norder = 2\n",
    );
    let chapters = [
        ("basics", "hostile", HOSTILE_TITLE, HOSTILE_SUMMARY),
        ("basics", "plain", "A plain chapter", "Nothing odd here"),
        ("advanced", "deeper", "Going deeper", "More of it"),
    ];
    for (order, (course, slug, title, summary)) in chapters.into_iter().enumerate() {
        let front = format!(
            "+++\ntitle = {title:?}\norder = {}\nminutes = 5\nsummary = {summary:?}\n+++\n# {slug}\n\nText.\n",
            order + 1
        );
        write(&content.join(format!("{course}/{slug}.md")), &front);
    }
    write(&dir.path().join("site/index.html"), SHELL);
    let library = course::Library::load(&content).unwrap();
    let state = AppState {
        content: backend::Content::fixed(library),
        store: Arc::new(Store::open(&dir.path().join("data")).unwrap()),
        site_dir: dir.path().join("site"),
        runner: backend::Runner::unavailable("no sandbox in these tests"),
        public_url: None,
        embed_sites: Default::default(),
        rooms: backend::room::Rooms::in_memory(Default::default()),
    };
    Fixture { _dir: dir, state }
}

/// A GET as a browser on `play.test:8080` sends it.
async fn get(state: &AppState, uri: &str) -> (StatusCode, HeaderMap, String) {
    get_with(state, uri, &[(header::HOST, "play.test:8080")]).await
}

async fn get_with(
    state: &AppState,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let (status, headers, body) = send(state, request.body(Body::empty()).unwrap()).await;
    (status, headers, String::from_utf8(body).unwrap())
}

/// The value of `<meta {key}="{name}" content="...">` in `page`, still escaped.
fn meta<'a>(page: &'a str, key: &str, name: &str) -> &'a str {
    let open = format!("<meta {key}=\"{name}\" content=\"");
    let start = page
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + open.len();
    &page[start..start + page[start..].find('"').unwrap()]
}

fn title(page: &str) -> &str {
    let start = page.find("<title>").expect("a title") + "<title>".len();
    &page[start..start + page[start..].find("</title>").unwrap()]
}

#[tokio::test]
async fn a_chapter_link_previews_with_its_own_title_and_summary() {
    let f = fixture();
    let (status, headers, page) = get(&f.state, "/learn/plain").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(title(&page), "A plain chapter · Rust Mastery Playground");
    assert_eq!(meta(&page, "name", "description"), "Nothing odd here");
    assert_eq!(meta(&page, "property", "og:title"), "A plain chapter");
    assert_eq!(
        meta(&page, "property", "og:description"),
        "Nothing odd here"
    );
    assert_eq!(meta(&page, "property", "og:type"), "article");
    assert_eq!(
        meta(&page, "property", "og:site_name"),
        "Rust Mastery Playground"
    );
    assert_eq!(
        meta(&page, "property", "og:url"),
        "http://play.test:8080/learn/plain"
    );
    assert_eq!(meta(&page, "name", "twitter:card"), "summary");
    assert!(page.contains("<link rel=\"canonical\" href=\"http://play.test:8080/learn/plain\" />"));
    assert_eq!(page.matches("<title>").count(), 1, "{page}");
    assert_eq!(page.matches("name=\"description\"").count(), 1, "{page}");
    assert!(!page.contains("The shell's own description."));
    assert!(
        page.contains("<script type=\"module\">/* app */</script>"),
        "the app still loads"
    );
    assert!(page.contains("<div id=\"boot\">"), "the body is kept");
    assert!(!page.contains("noindex"));

    // The SPA's router takes a trailing `/` as the same page; the canonical address has none.
    let (status, _, slashed) = get(&f.state, "/learn/plain/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        meta(&slashed, "property", "og:url"),
        "http://play.test:8080/learn/plain"
    );

    let (_, _, other) = get(&f.state, "/learn/deeper").await;
    assert_eq!(title(&other), "Going deeper · Rust Mastery Playground");
}

#[tokio::test]
async fn titles_and_summaries_are_escaped_in_the_head() {
    let f = fixture();
    let (status, _, page) = get(&f.state, "/learn/hostile").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        title(&page),
        "Ends &lt;/title&gt;&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; · Rust Mastery Playground"
    );
    assert_eq!(
        meta(&page, "name", "description"),
        "Leaves &quot;&gt;&lt;img src=x onerror=alert(1)&gt; the attribute"
    );
    assert_eq!(
        meta(&page, "property", "og:title"),
        "Ends &lt;/title&gt;&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert_eq!(page.matches("</title>").count(), 1, "{page}");

    let (_, _, course) = get(&f.state, "/courses/basics").await;
    assert_eq!(
        title(&course),
        "Basics &amp; &lt;more&gt; · Rust Mastery Playground"
    );
    assert_eq!(
        meta(&course, "name", "description"),
        "First steps, &quot;quoted&quot;"
    );
}

#[tokio::test]
async fn the_index_courses_and_demos_have_their_own_heads() {
    let f = fixture();
    for (uri, expected_title, expected_description) in [
        (
            "/",
            "Rust Mastery Playground",
            "Learn advanced Rust by reading, running and changing every example.",
        ),
        (
            "/courses/advanced",
            "Advanced · Rust Mastery Playground",
            "Further",
        ),
        (
            "/demos/matching-engine",
            "Matching engine · Rust Mastery Playground",
            "A limit-order-book",
        ),
        (
            "/demos/lock-free",
            "Lock-free explorer · Rust Mastery Playground",
            "Step two threads",
        ),
    ] {
        let (status, headers, page) = get(&f.state, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "{uri}");
        assert_eq!(title(&page), expected_title, "{uri}");
        assert!(
            meta(&page, "name", "description").starts_with(expected_description),
            "{uri}: {page}"
        );
        assert_eq!(meta(&page, "property", "og:type"), "website", "{uri}");
        assert_eq!(
            meta(&page, "property", "og:url"),
            format!("http://play.test:8080{uri}"),
        );
    }
}

#[tokio::test]
async fn unknown_addresses_are_404s_with_the_app_shell() {
    let f = fixture();
    for (uri, expected_title) in [
        ("/nope", "Page not found · Rust Mastery Playground"),
        ("/courses/nope", "Page not found · Rust Mastery Playground"),
        (
            "/learn/plain/extra",
            "Page not found · Rust Mastery Playground",
        ),
        ("/demos", "Page not found · Rust Mastery Playground"),
        // An id the store does not hold (shares themselves: `tests/share.rs`).
        (
            "/s/abc123",
            "Shared code not found · Rust Mastery Playground",
        ),
        (
            "/s/AAAAAAAAAAAA",
            "Shared code not found · Rust Mastery Playground",
        ),
        (
            "/learn/does-not-exist",
            "Chapter not found · Rust Mastery Playground",
        ),
        (
            "/learn/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "Chapter not found · Rust Mastery Playground",
        ),
    ] {
        let (status, headers, page) = get(&f.state, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(title(&page), expected_title, "{uri}");
        assert_eq!(meta(&page, "name", "robots"), "noindex", "{uri}");
        assert!(
            page.contains("<script type=\"module\">/* app */</script>"),
            "{uri}: the app loads and shows its not-found page"
        );
        assert!(!page.contains("canonical"), "{uri}");
        assert!(!page.contains("og:url"), "{uri}");
        assert!(
            !page.contains("script%3E"),
            "{uri}: the address is not echoed"
        );
    }
    // A missing file is still a plain 404, not the app.
    let (status, _, page) = get(&f.state, "/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("<title>"));
}

#[tokio::test]
async fn the_configured_public_url_wins_over_the_host_and_a_hostile_host_is_ignored() {
    let mut f = fixture();
    let (_, _, page) = get_with(
        &f.state,
        "/learn/plain",
        &[(header::HOST, "evil.test\"><script>x</script>")],
    )
    .await;
    assert_eq!(
        meta(&page, "property", "og:url"),
        "http://localhost/learn/plain"
    );
    assert!(!page.contains("evil"), "{page}");

    f.state.public_url = Some(PublicUrl::parse("https://play.example.org/").unwrap());
    let (_, _, page) = get(&f.state, "/learn/plain").await;
    assert_eq!(
        meta(&page, "property", "og:url"),
        "https://play.example.org/learn/plain"
    );
    let (_, _, robots) = get(&f.state, "/robots.txt").await;
    assert!(robots.contains("Sitemap: https://play.example.org/sitemap.xml\n"));
}

#[tokio::test]
async fn the_rendered_shell_is_compressed_when_accepted() {
    let f = fixture();
    let (status, headers, _) = send(
        &f.state,
        Request::get("/learn/plain")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn robots_txt_allows_everything_and_names_the_sitemap() {
    let f = fixture();
    let (status, headers, robots) = get(&f.state, "/robots.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(
        robots,
        "User-agent: *\nAllow: /\n\nSitemap: http://play.test:8080/sitemap.xml\n"
    );
}

#[tokio::test]
async fn the_sitemap_lists_the_index_every_course_every_chapter_and_the_demos() {
    let f = fixture();
    let (status, headers, sitemap) = get(&f.state, "/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    assert!(sitemap.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"));
    assert!(sitemap.ends_with("</urlset>\n"));
    let locs: Vec<&str> = sitemap
        .lines()
        .filter_map(|line| line.trim().strip_prefix("<url><loc>"))
        .map(|rest| rest.strip_suffix("</loc></url>").unwrap())
        .collect();
    let library = f.state.content.library();
    let mut expected = vec!["http://play.test:8080/".to_owned()];
    expected.extend(
        library
            .courses
            .iter()
            .map(|c| format!("http://play.test:8080/courses/{}", c.slug)),
    );
    expected.extend(
        library
            .chapters()
            .map(|(_, c)| format!("http://play.test:8080/learn/{}", c.slug)),
    );
    expected.push("http://play.test:8080/demos/matching-engine".into());
    expected.push("http://play.test:8080/demos/lock-free".into());
    assert_eq!(locs, expected);
    assert_eq!(library.chapter_count(), 3, "every chapter is listed");
    assert!(locs.contains(&"http://play.test:8080/learn/hostile"));
}
