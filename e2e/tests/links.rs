//! Links that preview well, against the real server and the real built SPA: a chapter address
//! fetched raw (as a chat's link preview or a crawler fetches it, running no script) already
//! names the chapter, and an unknown address is an HTTP 404 that Chromium still renders as the
//! app's friendly not-found page.

use std::io::{Read, Write};
use std::net::TcpStream;

use e2e::Harness;

/// The status code and body of a plain HTTP/1.1 GET, with no compression and no script run.
fn fetch(base: &str, path: &str) -> (u16, String) {
    let authority = base.strip_prefix("http://").expect("an http base");
    let mut stream = TcpStream::connect(authority).expect("connect to the server");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: link-preview-test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn a_chapter_link_names_the_chapter_and_an_unknown_one_is_a_friendly_404() {
    let h = Harness::start().await;

    let (status, page) = fetch(&h.base, "/learn/trait-patterns");
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>Advanced trait patterns · Rust Mastery Playground</title>"),
        "{page}"
    );
    assert!(page.contains("<meta property=\"og:title\" content=\"Advanced trait patterns\" />"));
    assert!(page.contains(&format!(
        "<meta property=\"og:url\" content=\"{}/learn/trait-patterns\" />",
        h.base
    )));
    assert!(
        page.contains(
            "<meta name=\"description\" content=\"Associated types or generic parameters"
        ),
        "the chapter's summary, not the site's"
    );

    let (status, sitemap) = fetch(&h.base, "/sitemap.xml");
    assert_eq!(status, 200);
    assert!(sitemap.contains(&format!("<loc>{}/learn/trait-patterns</loc>", h.base)));

    for path in ["/nope", "/learn/does-not-exist"] {
        let (status, page) = fetch(&h.base, path);
        assert_eq!(status, 404, "{path}");
        assert!(
            page.contains("<meta name=\"robots\" content=\"noindex\" />"),
            "{path}"
        );
    }

    // The 404's body is the app, which shows its own page for the address.
    h.goto("/nope").await;
    h.wait_for_text("h1", "Page not found").await;
    assert_eq!(
        h.client.title().await.unwrap(),
        "Page not found · Rust Mastery Playground"
    );
    h.goto("/learn/does-not-exist").await;
    h.wait_for_text(".not-found h1", "Chapter not found").await;

    // The server-written title is the one the app keeps when it opens the chapter.
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    assert_eq!(
        h.client.title().await.unwrap(),
        "Advanced trait patterns · Rust Mastery Playground"
    );
    h.close().await;
}
