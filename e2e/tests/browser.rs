//! A student's path through the real product: the release SPA served by the real server binary,
//! in headless Chromium driven over WebDriver.
//!
//! `cargo xtask test` builds everything and sets the `RMP_E2E_*` variables these tests read.
use std::time::{Duration, Instant};

use e2e::Harness;
use fantoccini::Locator;

#[tokio::test]
async fn a_student_opens_a_chapter_from_the_course_list() {
    let h = Harness::start().await;
    h.goto("/").await;
    h.wait_for_text("h1", "Learn advanced Rust by running it")
        .await;
    h.client
        .find(Locator::LinkText("Advanced trait patterns"))
        .await
        .expect("the course list links the chapter")
        .click()
        .await
        .unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    assert!(
        h.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/learn/trait-patterns")
    );

    // Code is shown highlighted, and visibly runnable.
    assert!(
        h.count(".code-block.runnable .tok-kw").await > 0,
        "highlighted code"
    );
    let run = h
        .client
        .find(Locator::Css(".code-block .run-button"))
        .await
        .unwrap();
    assert_eq!(run.text().await.unwrap(), "▶ Run");
    // The sidebar outlines the course with this chapter marked.
    h.wait_for_text(".sidebar li.active a", "Advanced trait patterns")
        .await;
    h.close().await;
}

#[tokio::test]
async fn a_deep_link_loads_and_survives_a_reload() {
    // The app's own mark: the first frame with the chapter in the page, from navigation start
    // (-1 until it exists).
    const PAINTED: &str =
        "(performance.getEntriesByName('rmp:chapter-painted')[0] || {startTime: -1}).startTime";
    let h = Harness::start().await;
    let painted = || async {
        h.wait_until(
            &format!("return {PAINTED} >= 0;"),
            "the chapter marks its first paint",
        )
        .await;
        h.eval(&format!("return {PAINTED};"))
            .await
            .as_f64()
            .unwrap()
            .round()
    };
    let started = Instant::now();
    h.goto("/learn/lifetime-variance").await;
    h.wait_for_text(".chapter-header h1", "Lifetimes and variance")
        .await;
    let first_visit = started.elapsed();
    let first_paint = painted().await;

    let started = Instant::now();
    h.client.refresh().await.unwrap();
    h.wait_for_text(".chapter-header h1", "Lifetimes and variance")
        .await;
    let reload = started.elapsed();
    let reload_paint = painted().await;
    println!(
        "chapter painted {first_paint} ms after navigation on a first visit, {reload_paint} ms on a reload \
         (WebDriver saw the heading after {} ms and {} ms)",
        first_visit.as_millis(),
        reload.as_millis(),
    );
    assert!(
        h.count(".code-block").await >= 4,
        "the chapter's examples are shown"
    );

    // Neighbour navigation goes through the client-side router.
    h.click("a.previous").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    let title = h.client.title().await.unwrap();
    assert_eq!(title, "Advanced trait patterns · Rust Mastery Playground");
    h.close().await;
}

#[tokio::test]
async fn unknown_pages_and_chapters_are_explained() {
    let h = Harness::start().await;
    h.goto("/no/such/page").await;
    h.wait_for_text("h1", "Page not found").await;
    h.goto("/learn/no-such-chapter").await;
    h.wait_for_text(".not-found h1", "Chapter not found").await;
    let text = h
        .client
        .find(Locator::Css(".not-found"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("no-such-chapter"), "{text}");
    h.close().await;
}

#[tokio::test]
async fn the_theme_choice_is_remembered_across_visits() {
    let h = Harness::start().await;
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    let theme = || async {
        h.client
            .execute("return document.documentElement.dataset.theme", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = theme().await;
    h.click(".theme-toggle").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while theme().await == before {
        assert!(Instant::now() < deadline, "the theme did not change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let chosen = theme().await;
    h.client.refresh().await.unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    assert_eq!(theme().await, chosen, "the theme survives a reload");
    h.close().await;
}

#[tokio::test]
async fn a_student_runs_an_example_and_sees_its_output() {
    let h = Harness::start().await;
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    h.click(".code-block.runnable .run-button").await;
    let output = h
        .wait_for_contains(".code-block .program-output", "[3, 2, 1]")
        .await;
    assert_eq!(output.trim(), "[3, 2, 1]");
    h.wait_for_contains(".code-block .run-status.ok", "Finished")
        .await;
}

#[tokio::test]
async fn a_reader_copies_code_links_a_section_and_finds_the_chapter_first_on_a_phone() {
    let h = Harness::start().await;
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;

    // Every code block offers Copy; pressing it says it worked.
    let blocks = h.count(".code-block").await;
    assert_eq!(
        h.count(".code-block .copy-button").await,
        blocks,
        "a copy button on each of the {blocks} code blocks"
    );
    h.click(".code-block.runnable .copy-button").await;
    h.wait_for_contains(".code-block.runnable .copy-button", "Copied")
        .await;

    // Each section heading links to itself.
    let (headings, anchors) = (
        h.count(".prose h2").await,
        h.count(".prose h2 > a.heading-anchor[href^='#']").await,
    );
    assert!(
        headings > 3 && anchors == headings,
        "{anchors} anchors for {headings} headings"
    );

    // At a projector: text up to 250 %, and the outline hidden to give the chapter the width.
    for _ in 0..12 {
        h.eval("const b = document.querySelector('[aria-label=\"A+ larger text\"]'); if (!b.disabled) b.click(); return null;")
            .await;
    }
    h.wait_for_text(".font-reset", "250%").await;
    h.eval("document.querySelector('.font-reset').click(); return null;")
        .await;
    h.click(".outline-toggle").await;
    h.wait_until(
        "return document.querySelector('.sidebar').offsetParent === null;",
        "the outline is hidden",
    )
    .await;
    if let Ok(shots) = std::env::var("RMP_E2E_SCREENSHOTS") {
        h.resize(1920, 1080).await;
        h.eval("for (let i = 0; i < 12; i++) document.querySelector('[aria-label=\"A+ larger text\"]').click(); document.querySelectorAll('.prose h2')[1].scrollIntoView(); return null;")
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        h.screenshot(&std::path::Path::new(&shots).join("projector-250-outline-hidden.png"))
            .await;
        h.eval("document.querySelector('.font-reset').click(); return null;")
            .await;
        h.resize(1280, 900).await;
    }
    h.client.refresh().await.unwrap();
    h.wait_for_contains(".outline-toggle", "Show outline").await;
    h.click(".outline-toggle").await;
    h.wait_until(
        "return document.querySelector('.sidebar').offsetParent !== null;",
        "the outline is back",
    )
    .await;

    // Wide: the outline is open beside the chapter. Phone: folded, so the chapter comes first.
    assert_eq!(
        h.eval("return document.querySelector('.sidebar details.outline').open;")
            .await,
        serde_json::Value::Bool(true)
    );
    h.resize(390, 844).await;
    h.goto("/learn/lifetime-variance").await;
    h.wait_for_text(".chapter-header h1", "Lifetimes and variance")
        .await;
    assert_eq!(
        h.eval("return document.querySelector('.sidebar details.outline').open;")
            .await,
        serde_json::Value::Bool(false),
        "folded on a phone"
    );
    let title_top = h
        .eval("return document.querySelector('.chapter-header h1').getBoundingClientRect().top;")
        .await
        .as_f64()
        .unwrap();
    assert!(
        title_top < 844.0,
        "the chapter's title is on the first screen (at {title_top} px)"
    );
    h.close().await;
}

#[tokio::test]
async fn a_keyboard_reader_skips_to_the_content_runs_an_example_and_uses_the_help_dialog() {
    use fantoccini::key::Key;
    let h = Harness::start().await;
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    // "Skip to content" puts focus on the page's content, not the header.
    let body = h.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&Key::Tab.to_string()).await.unwrap();
    let skip = h.eval("return document.activeElement.textContent;").await;
    assert_eq!(
        skip, "Skip to content",
        "the first Tab reaches the skip link"
    );
    h.press(&Key::Enter.to_string()).await;
    h.wait_until(
        "return document.activeElement && document.activeElement.id === 'main';",
        "focus moved to the main content",
    )
    .await;

    // Run from the keyboard: the button keeps focus while the example runs, and has its own name.
    let name = h
        .eval(
            "const b = document.querySelector('.code-block.runnable .run-button');
             b.focus(); return b.getAttribute('aria-label');",
        )
        .await;
    assert_eq!(name, "Run example 1", "Run buttons are told apart by name");
    h.press(&Key::Enter.to_string()).await;
    h.wait_until(
        "return !!document.querySelector('.code-block.runnable .run-status.ok, .code-block.runnable .run-status.failed');",
        "the run shows its output",
    )
    .await;
    assert_eq!(
        h.eval("return document.activeElement.classList.contains('run-button');")
            .await,
        serde_json::Value::Bool(true),
        "focus is still on Run"
    );

    // `?` opens a modal dialog that takes focus; Escape closes it and focus comes back.
    h.eval("document.activeElement.blur(); return null;").await;
    h.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("?")
        .await
        .unwrap();
    h.wait_until(
        "const d = document.querySelector('dialog.dialog');
         return !!d && d.open && d.contains(document.activeElement);",
        "the dialog is open with focus inside it",
    )
    .await;
    for _ in 0..3 {
        h.press(&Key::Tab.to_string()).await;
        assert_eq!(
            h.eval("return document.querySelector('dialog.dialog').contains(document.activeElement) || document.activeElement === document.body;")
                .await,
            serde_json::Value::Bool(true),
            "Tab stays in the dialog (the page behind is inert)"
        );
    }
    h.press(&Key::Escape.to_string()).await;
    h.wait_until(
        "return !document.querySelector('dialog.dialog').open;",
        "Escape closes the dialog",
    )
    .await;

    // Reset from the keyboard: the button goes away with the edit, and focus lands in the code.
    h.tag_first_editable_example("/learn/trait-patterns", "kb-block")
        .await;
    h.eval("document.querySelector('#kb-block .cm-content').focus(); return null;")
        .await;
    h.press("// a note\n").await;
    h.wait_until(
        "return !!document.querySelector('#kb-block .reset-button');",
        "the edit offers Reset",
    )
    .await;
    h.eval("document.querySelector('#kb-block .reset-button').focus(); return null;")
        .await;
    h.press(&Key::Enter.to_string()).await;
    h.wait_until(
        "return !document.querySelector('#kb-block .reset-button')
             && document.activeElement.classList.contains('cm-content')
             && !!document.activeElement.closest('#kb-block');",
        "focus moved into the reset code",
    )
    .await;

    // On a phone the sections are behind a menu button.
    h.resize(390, 844).await;
    h.wait_until(
        "const b = document.querySelector('.menu-button'); return !!b && b.offsetParent !== null;",
        "the menu button shows on a phone",
    )
    .await;
    h.click(".menu-button").await;
    h.wait_until(
        "const nav = document.querySelector('.topbar-nav'); return nav.offsetParent !== null && nav.textContent.includes('Lock-free explorer');",
        "the menu lists the sections",
    )
    .await;
    h.close().await;
}
