//! The CodeMirror bundle's API (`frontend/editor`), checked in Chromium on its own test page:
//! hidden lines, diagnostics at the right UTF-16 offsets, Mod-Enter, read-only blocks, and more.
use std::path::Path;
use std::time::{Duration, Instant};

use e2e::Harness;
use fantoccini::Locator;

#[tokio::test]
async fn the_editor_bundle_keeps_its_promises() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/editor/test/api.html");
    let page = page.canonicalize().expect("the editor's test page");
    assert!(
        page.with_file_name("../dist/editor.js").exists(),
        "build the bundle first (cargo xtask build-spa)"
    );
    let h = Harness::start().await;
    h.client
        .goto(&format!("file://{}", page.display()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let title = loop {
        let title = h.client.title().await.unwrap();
        if title == "ALL PASS" || title == "SOME FAIL" {
            break title;
        }
        assert!(Instant::now() < deadline, "the test page never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let log = h
        .client
        .find(Locator::Css("#log"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let checks = log.lines().filter(|l| l.starts_with("PASS")).count();
    println!("editor API: {checks} checks passed");
    assert_eq!(title, "ALL PASS", "{log}");
    assert!(checks >= 40, "the page ran its checks: {log}");
    h.close().await;
}
