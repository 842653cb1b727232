//! Presenting a chapter: the projector (`/present/<slug>/<n>`) and the presenter console
//! (`/present/<slug>/console`) in two windows of one browser, which share the `rmp-present`
//! BroadcastChannel and `localStorage`, as a teacher's laptop and projector do.
//!
//! The chapter is `where-next`, whose slides are marked in its Markdown: "Where next" (no
//! heading, so the mark's title), "Predict, then run" (an editable example, notes), "The two
//! courses after this one", "Chapter by chapter", "One system, several chapters", "Closing a
//! session".
//!
//! With `RMP_E2E_SCREENSHOTS` set, the projector at 1920x1080 and 1024x768 and the console at
//! 1366x768 are saved there as `present-*.png`, to be looked at.

use std::path::PathBuf;
use std::time::Duration;

use e2e::Harness;
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;

const DECK: &str = "/present/where-next";

/// Waits until the projector shows slide `index` (0-based) and its address names it.
async fn projector_shows(h: &Harness, index: usize) {
    h.wait_until(
        &format!(
            "return !!document.querySelector('.slide-stage .slide[data-slide=\"{index}\"]') \
             && location.pathname === '{DECK}/{}';",
            index + 1
        ),
        &format!(
            "the projector shows slide {} at {DECK}/{}",
            index + 1,
            index + 1
        ),
    )
    .await;
}

async fn console_shows(h: &Harness, title: &str, next: &str) {
    h.wait_for_text(".console-current-title", title).await;
    h.wait_for_text(".console-next-title", next).await;
}

/// The session clock on the console, in seconds.
async fn session_seconds(h: &Harness) -> u64 {
    let text = h
        .eval("return document.querySelector('.console-session-time .value').textContent;")
        .await;
    let text = text.as_str().unwrap_or_default().to_owned();
    text.split(':')
        .try_fold(0u64, |total, part| {
            part.parse::<u64>().map(|n| total * 60 + n)
        })
        .unwrap_or_else(|_| panic!("the session clock reads {text:?}"))
}

async fn press_key(h: &Harness, key: Key) {
    h.press(&char::from(key).to_string()).await;
}

async fn switch(h: &Harness, window: &WindowHandle) {
    h.client.switch_to_window(window.clone()).await.unwrap();
}

#[tokio::test]
async fn projector_and_console_follow_each_other_through_keys_buttons_and_reloads() {
    let h = Harness::start().await;
    // A fresh session: no record left from another test in this browser profile.
    h.goto("/").await;
    h.eval("localStorage.removeItem('rmp.present.where-next'); return null;")
        .await;

    // The chapter page's "Present" link enters the deck at its first slide.
    h.goto("/learn/where-next").await;
    h.wait_until(
        "return !!document.querySelector('.chapter-header .present-link');",
        "the chapter page offers Present",
    )
    .await;
    h.click(".chapter-header .present-link").await;
    projector_shows(&h, 0).await;
    h.wait_for_text(".slide-stage .slide-heading", "Where next")
        .await;
    let projector = h.client.window().await.unwrap();

    // The console in a second window of the same browser.
    let console = h.client.new_window(false).await.unwrap().handle;
    switch(&h, &console).await;
    h.goto(&format!("{DECK}/console")).await;
    console_shows(&h, "Where next", "Predict, then run").await;
    h.wait_for_text(".console-notes .no-notes", "No notes for this slide.")
        .await;

    // Advance on the projector: the console follows, notes and next slide included.
    switch(&h, &projector).await;
    press_key(&h, Key::Right).await;
    projector_shows(&h, 1).await;
    switch(&h, &console).await;
    console_shows(&h, "Predict, then run", "The two courses after this one").await;
    h.wait_for_contains(".console-notes", "Run it live").await;

    // The session clock counts; reloading the projector neither moves the deck nor restarts it.
    h.wait_until(
        "return document.querySelector('.console-session-time .value').textContent !== '0:00';",
        "the session clock counts",
    )
    .await;
    let before = session_seconds(&h).await;
    switch(&h, &projector).await;
    h.client.refresh().await.unwrap();
    projector_shows(&h, 1).await;
    switch(&h, &console).await;
    h.wait_until(
        &format!(
            "const [m, s] = document.querySelector('.console-session-time .value').textContent.split(':'); \
             return Number(m) * 60 + Number(s) > {before};"
        ),
        "the session clock keeps counting after the projector reloads",
    )
    .await;
    console_shows(&h, "Predict, then run", "The two courses after this one").await;

    // Move from the console (its button, then its keys): the projector follows.
    h.click(".console-next-button").await;
    console_shows(&h, "The two courses after this one", "Chapter by chapter").await;
    switch(&h, &projector).await;
    projector_shows(&h, 2).await;
    switch(&h, &console).await;
    h.eval("document.activeElement.blur(); return null;").await;
    press_key(&h, Key::Left).await;
    console_shows(&h, "Predict, then run", "The two courses after this one").await;
    switch(&h, &projector).await;
    projector_shows(&h, 1).await;

    // Reloading the console keeps its place too.
    switch(&h, &console).await;
    h.client.refresh().await.unwrap();
    console_shows(&h, "Predict, then run", "The two courses after this one").await;

    // Keys on the projector. In an editor, arrows are the editor's.
    switch(&h, &projector).await;
    h.wait_until(
        "return !!document.querySelector('.slide .code-block .cm-content');",
        "the slide's example has its editor",
    )
    .await;
    h.click(".slide .code-block .cm-content").await;
    press_key(&h, Key::Right).await;
    press_key(&h, Key::PageDown).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    projector_shows(&h, 1).await;
    h.eval("document.activeElement.blur(); return null;").await;
    press_key(&h, Key::End).await;
    projector_shows(&h, 5).await;
    press_key(&h, Key::Home).await;
    projector_shows(&h, 0).await;
    press_key(&h, Key::PageDown).await;
    projector_shows(&h, 1).await;
    h.press(" ").await;
    projector_shows(&h, 2).await;
    press_key(&h, Key::PageUp).await;
    projector_shows(&h, 1).await;
    press_key(&h, Key::Down).await;
    projector_shows(&h, 2).await;
    press_key(&h, Key::Up).await;
    projector_shows(&h, 1).await;

    // `b` blanks the projector, and the console says so; `b` again brings the slide back.
    h.press("b").await;
    h.wait_until(
        "return !!document.querySelector('.projector.blanked');",
        "the projector blanks",
    )
    .await;
    switch(&h, &console).await;
    h.wait_for_contains(".console-current h2", "(screen blanked)")
        .await;
    switch(&h, &projector).await;
    h.press("b").await;
    h.wait_until(
        "return !document.querySelector('.projector.blanked');",
        "the projector shows the slide again",
    )
    .await;

    // The projector's own button opens the console in a window of its own, at the same place.
    h.click(".present-bar .open-console").await;
    let mut popup = None;
    for _ in 0..200 {
        let windows = h.client.windows().await.unwrap();
        if let Some(new) = windows
            .into_iter()
            .find(|w| *w != projector && *w != console)
        {
            popup = Some(new);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let popup = popup.expect("Open presenter console opened no window");
    switch(&h, &popup).await;
    console_shows(&h, "Predict, then run", "The two courses after this one").await;
    h.client.close_window().await.unwrap();
    switch(&h, &projector).await;
    h.eval("document.activeElement.blur(); return null;").await;

    // `?` shows the deck's keys, not the app's shortcut help; Esc closes it, then leaves the deck
    // for the chapter at the slide's place.
    h.press("?").await;
    h.wait_for_contains(".present-help", "Next slide").await;
    assert_eq!(
        h.eval("return document.querySelectorAll('dialog[open]').length;")
            .await,
        0,
        "the app's own help opened over the deck"
    );
    press_key(&h, Key::Escape).await;
    h.wait_until(
        "return !document.querySelector('.present-help');",
        "Esc closes the help",
    )
    .await;
    press_key(&h, Key::Escape).await;
    h.wait_until(
        "return location.pathname === '/learn/where-next' && location.hash === '#predict-then-run';",
        "Esc goes back to the chapter, at the slide's section",
    )
    .await;
    h.close().await;
}

/// Elements past the right or bottom edge of the stage that are not inside a box that scrolls
/// on its own, and whether the page itself scrolls.
const CLIPPED: &str = r#"
const stage = document.querySelector('.slide-stage').getBoundingClientRect();
const scrollsOwnWay = el => el.closest('.cm-scroller, .output, pre, .table-scroll, .demo-scroll');
const out = [...document.querySelectorAll('.slide-stage *')]
  .filter(el => el.getClientRects().length && !scrollsOwnWay(el))
  .filter(el => el.getBoundingClientRect().right > stage.right + 1)
  .map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
const fits = stage.width <= innerWidth + 1 && stage.height <= innerHeight + 1
  && Math.abs(stage.width / stage.height - 16 / 9) < 0.02;
return { fits, pageScroll: document.documentElement.scrollWidth - innerWidth, out: [...new Set(out)].slice(0, 12) };
"#;

/// Sizes the window so that the page itself (the viewport) is `width` x `height`: the window's
/// frame is measured and added, again until the browser has applied the size.
async fn viewport(h: &Harness, width: u32, height: u32) {
    let (mut outer_width, mut outer_height) = (width, height);
    let mut inner = serde_json::Value::Null;
    for _ in 0..20 {
        h.resize(outer_width, outer_height).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        inner = h.eval("return [innerWidth, innerHeight];").await;
        if inner == serde_json::json!([width, height]) {
            return;
        }
        let got = |i: usize| inner[i].as_i64().unwrap_or(0);
        outer_width = (i64::from(outer_width) + i64::from(width) - got(0)).max(1) as u32;
        outer_height = (i64::from(outer_height) + i64::from(height) - got(1)).max(1) as u32;
    }
    panic!("the viewport never became {width}x{height}: {inner}");
}

#[tokio::test]
async fn the_projector_fills_16_by_9_at_both_sizes_and_the_console_fits_a_laptop() {
    let shots = std::env::var_os("RMP_E2E_SCREENSHOTS").map(PathBuf::from);
    let h = Harness::start().await;
    let mut problems = Vec::new();
    for (width, height) in [(1920, 1080), (1024, 768)] {
        viewport(&h, width, height).await;
        for slide in [1, 2] {
            h.goto("/").await;
            h.eval("localStorage.removeItem('rmp.present.where-next'); return null;")
                .await;
            h.goto(&format!("{DECK}/{slide}")).await;
            projector_shows(&h, slide - 1).await;
            // Editors settle their layout a frame or two after they mount.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let found = h.eval(CLIPPED).await;
            if found["fits"] != true
                || found["pageScroll"].as_i64().unwrap_or(0) > 0
                || found["out"] != serde_json::json!([])
            {
                problems.push(format!("slide {slide} at {width}x{height}: {found}"));
            }
            // Type grows with the screen: a projector's text is large.
            let size = h
                .eval("return parseFloat(getComputedStyle(document.querySelector('.slide .prose p')).fontSize);")
                .await
                .as_f64()
                .unwrap();
            let least = f64::from(width) / 60.0;
            if size < least {
                problems.push(format!(
                    "slide {slide} at {width}x{height}: text is {size}px, under {least}px"
                ));
            }
            if let Some(folder) = &shots {
                h.screenshot(&folder.join(format!("present-{slide}-{width}x{height}.png")))
                    .await;
            }
        }
    }
    // The slide's example runs on the projector, its output in the slide's large type.
    viewport(&h, 1920, 1080).await;
    h.goto(&format!("{DECK}/2")).await;
    projector_shows(&h, 1).await;
    h.click(".slide .code-block .run-button").await;
    h.wait_for_contains(".slide .program-output", "predicted correctly")
        .await;
    let output_size = h
        .eval("return parseFloat(getComputedStyle(document.querySelector('.slide .program-output')).fontSize);")
        .await
        .as_f64()
        .unwrap();
    if output_size < 24.0 {
        problems.push(format!(
            "the run's output is {output_size}px at 1920x1080, too small to read from the back"
        ));
    }
    h.eval("document.querySelector('.slide .program-output').scrollIntoView({block: 'center'}); return null;")
        .await;
    if let Some(folder) = &shots {
        h.screenshot(&folder.join("present-2-1920x1080-run.png"))
            .await;
    }

    // The dark projector theme, at the large size.
    viewport(&h, 1920, 1080).await;
    h.eval("localStorage.setItem('rmp.theme', 'dark'); return null;")
        .await;
    h.goto(&format!("{DECK}/2")).await;
    projector_shows(&h, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let colours = h
        .eval("const s = getComputedStyle(document.querySelector('.slide-stage')); return [s.backgroundColor, s.color];")
        .await;
    if colours != serde_json::json!(["rgb(0, 0, 0)", "rgb(255, 255, 255)"]) {
        problems.push(format!(
            "the dark projector is not white on black: {colours}"
        ));
    }
    if let Some(folder) = &shots {
        h.screenshot(&folder.join("present-2-1920x1080-dark.png"))
            .await;
    }
    h.eval("localStorage.removeItem('rmp.theme'); return null;")
        .await;

    viewport(&h, 1366, 768).await;
    h.goto(&format!("{DECK}/console")).await;
    console_shows(&h, "Predict, then run", "The two courses after this one").await;
    let console = h
        .eval(
            "const out = [...document.querySelectorAll('.console > *')]
               .filter(el => el.getBoundingClientRect().right > innerWidth + 1)
               .map(el => el.className);
             return { out, pageScroll: document.documentElement.scrollWidth - innerWidth };",
        )
        .await;
    if console["out"] != serde_json::json!([]) || console["pageScroll"].as_i64().unwrap_or(0) > 0 {
        problems.push(format!("console at 1366x768: {console}"));
    }
    if let Some(folder) = &shots {
        h.screenshot(&folder.join("present-console-1366x768.png"))
            .await;
    }
    h.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A chapter without slide marks presents as a title slide (its title and summary) and one slide
/// per `##` section; leaving the title slide lands at the top of the reading page.
#[tokio::test]
async fn an_unmarked_chapter_presents_by_sections() {
    let h = Harness::start().await;
    h.goto("/").await;
    h.eval("localStorage.removeItem('rmp.present.trait-patterns'); return null;")
        .await;
    h.goto("/present/trait-patterns").await;
    h.wait_for_text(".slide-stage h1.slide-title", "Advanced trait patterns")
        .await;
    h.wait_for_contains(".slide-stage .summary", "what a blanket impl costs")
        .await;
    press_key(&h, Key::End).await;
    h.wait_until(
        "return !!document.querySelector('.slide-stage h2#blanket-impls-and-what-they-cost');",
        "the last slide is the last section",
    )
    .await;
    press_key(&h, Key::Home).await;
    h.wait_for_text(".slide-stage h1.slide-title", "Advanced trait patterns")
        .await;
    press_key(&h, Key::Escape).await;
    h.wait_until(
        "return location.pathname === '/learn/trait-patterns' && location.hash === '#top' \
         && !!document.getElementById('top');",
        "Esc on the title slide goes to the top of the chapter",
    )
    .await;
    h.close().await;
}
