//! The author's loop, as an author meets it: `cargo xtask run` watches the content directory
//! (`RMP_CONTENT_WATCH`), so a chapter saved in an editor shows in the open page without a restart
//! or a reload, and a save that breaks the chapter shows its `file:line` while the page keeps the
//! last version that loaded.
//!
//! The test writes its own small course, so it does not depend on the real chapters' text.
use std::path::Path;
use std::time::Instant;

use e2e::Harness;

const SLUG: &str = "watched";

fn chapter(title: &str, paragraph: &str) -> String {
    // Enough prose that the page scrolls, so the test can check the reader's place is kept.
    let filler: String = (1..=40)
        .map(|n| format!("Filler paragraph {n} keeps this page taller than the window.\n\n"))
        .collect();
    format!(
        "+++\ntitle = \"{title}\"\norder = 1\nminutes = 5\nsummary = \"A chapter being written.\"\n+++\n\n\
         {paragraph}\n\n{filler}## Try it\n\n```rust\nfn main() {{ println!(\"hi\"); }}\n```\n"
    )
}

fn save(dir: &Path, text: &str) {
    // As many editors do: write a temporary file, then rename it over the chapter.
    let temporary = dir.join("draft/.watched.md.swp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, dir.join("draft/watched.md")).unwrap();
}

#[tokio::test]
async fn a_saved_chapter_shows_in_the_open_page_and_a_broken_save_shows_where_it_broke() {
    let content = tempfile::tempdir().unwrap();
    let dir = content.path();
    std::fs::create_dir_all(dir.join("draft")).unwrap();
    std::fs::write(
        dir.join("draft/course.toml"),
        "title = \"Draft course\"\nsummary = \"Being written\"\norder = 1\n",
    )
    .unwrap();
    save(dir, &chapter("Watched chapter", "The first draft."));
    let dir_text = dir.display().to_string();
    let h = Harness::start_with_env(&[
        ("RMP_CONTENT_DIR", dir_text.as_str()),
        ("RMP_CONTENT_WATCH", "true"),
    ])
    .await;
    h.goto(&format!("/learn/{SLUG}")).await;
    h.wait_for_contains(".chapter-content", "The first draft.")
        .await;
    assert_eq!(
        h.count(".content-problems").await,
        0,
        "nothing to report yet"
    );
    h.eval("window.scrollTo(0, 600); return null;").await;

    // 1. Saved: the page shows the new text by itself, where the reader was.
    let saved = Instant::now();
    save(dir, &chapter("Watched chapter", "The second draft."));
    h.wait_for_contains(".chapter-content", "The second draft.")
        .await;
    println!(
        "authoring: a saved chapter showed in the open page {} ms after the save",
        saved.elapsed().as_millis()
    );
    let scrolled = h.eval("return window.scrollY;").await.as_f64().unwrap();
    assert!(
        (scrolled - 600.0).abs() < 50.0,
        "the reader's place is kept across a reload (scrollY {scrolled})"
    );

    // 2. A title change reaches the outline too.
    save(dir, &chapter("Renamed chapter", "The second draft."));
    h.wait_for_contains(".sidebar", "Renamed chapter").await;
    h.wait_for_contains(".chapter-header h1", "Renamed chapter")
        .await;

    // 3. A broken front matter: the problem with its file, and the last good page stays.
    save(dir, "+++\ntitle = \"Broken\"\n+++\nThe third draft.\n");
    let banner = h
        .wait_for_contains(".content-problems", "did not load")
        .await;
    assert!(
        banner.contains("watched.md"),
        "the banner names the file: {banner}"
    );
    let page = h
        .wait_for_contains(".chapter-content", "The second draft.")
        .await;
    assert!(
        !page.contains("third draft"),
        "the broken save is not shown"
    );
    assert_eq!(
        h.eval("return document.querySelector('.content-problems [role=alert]') !== null;")
            .await,
        serde_json::Value::Bool(true),
        "the rejection is announced to screen readers"
    );

    // 4. A malformed block loads, and the banner points at its line.
    let with_bad_block = chapter("Renamed chapter", "The fourth draft.")
        .replace("```rust\nfn main()", "```rust,should-panic\nfn main()");
    save(dir, &with_bad_block);
    h.wait_for_contains(".chapter-content", "The fourth draft.")
        .await;
    let line = with_bad_block
        .lines()
        .position(|l| l.starts_with("```rust,should-panic"))
        .unwrap()
        + 1;
    let banner = h
        .wait_for_contains(".content-problems", &format!("watched.md:{line}:"))
        .await;
    assert!(banner.contains("should_panic"), "a suggestion: {banner}");

    // 5. Fixed: the banner goes away.
    save(dir, &chapter("Renamed chapter", "The fifth draft."));
    h.wait_for_contains(".chapter-content", "The fifth draft.")
        .await;
    h.wait_until(
        "return document.querySelector('.content-problems') === null;",
        "the banner goes once the content is fine",
    )
    .await;
    if let Ok(shots) = std::env::var("RMP_E2E_SCREENSHOTS") {
        save(dir, "+++\ntitle = \"Broken\"\n+++\n");
        h.wait_for_contains(".content-problems", "did not load")
            .await;
        h.screenshot(&Path::new(&shots).join("authoring-rejected.png"))
            .await;
    }
    h.close().await;
}
