//! Component tests, run in headless Chromium by wasm-bindgen-test-runner (`cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use api_types::CodeBlock;
use frontend::components::code_block::CodeBlockView;
use frontend::components::header::{FontSizeControl, ThemeToggle};
use frontend::pages::not_found::NotFound;
use frontend::prefs::{Theme, provide_prefs};
use leptos::prelude::*;
use leptos::task::tick;
use leptos_router::components::Router;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element attached to the page for one test to mount into.
fn container() -> web_sys::HtmlElement {
    let element = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&element).unwrap();
    element.unchecked_into()
}

fn find(root: &web_sys::HtmlElement, css: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into())
}

/// Lets effects and reactive updates run until `done` holds (bounded, so a bug fails the test).
async fn settle_until(mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tick().await;
    }
}

fn root_style() -> String {
    document()
        .document_element()
        .unwrap()
        .get_attribute("style")
        .unwrap_or_default()
}

fn storage() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}

fn code_block(runnable: bool) -> CodeBlock {
    CodeBlock {
        index: 3,
        language: "rust".into(),
        code: "fn main() {}".into(),
        highlighted: "<span class=\"tok-kw\">fn</span> <span class=\"tok-fn\">main</span>() {}"
            .into(),
        hidden_lines: vec![],
        runnable,
        editable: false,
        run: Default::default(),
        attributes: vec![],
        hash: "0123456789abcdef".into(),
        problem: None,
    }
}

#[wasm_bindgen_test]
async fn run_without_a_server_says_so_in_words() {
    // The test page has no /api/ws behind it, so the connection fails: the pane must say that.
    let root = container();
    let block = code_block(true);
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=block.clone() /> }
    });
    tick().await;
    assert_eq!(
        find(&root, "code .tok-kw").unwrap().text_content().unwrap(),
        "fn"
    );
    assert_eq!(
        find(&root, "figure")
            .unwrap()
            .get_attribute("data-index")
            .unwrap(),
        "3"
    );
    assert!(
        find(&root, ".output").is_none(),
        "no output pane before Run"
    );

    find(&root, ".run-button").expect("a Run button").click();
    for _ in 0..100 {
        if find(&root, ".run-status.failed").is_some() {
            break;
        }
        gloo_sleep(50).await;
    }
    let status = find(&root, ".run-status")
        .expect("a status line")
        .text_content()
        .unwrap();
    assert!(status.contains("Could not run"), "{status}");
    let explanation = find(&root, ".explanation").unwrap().text_content().unwrap();
    assert!(
        explanation.contains("connection to the server was lost"),
        "{explanation}"
    );
    assert!(
        !find(&root, ".run-button")
            .unwrap()
            .has_attribute("disabled"),
        "Run is enabled again"
    );
}

/// Waits `ms` milliseconds of real time (the socket failure arrives from the network stack).
async fn gloo_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_editable_block_is_a_text_area_with_test_button_for_tests() {
    let root = container();
    let mut block = code_block(true);
    block.editable = true;
    block.code = "#[test]\nfn works() {}\n".into();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=block.clone() /> }
    });
    tick().await;
    assert!(
        find(&root, "code .tok-kw").is_some(),
        "highlighted until the student edits"
    );
    assert!(find(&root, "textarea").is_none());
    find(&root, ".edit-button").expect("an Edit button").click();
    settle_until(|| find(&root, "textarea.code-editor").is_some()).await;
    let area = find(&root, "textarea.code-editor").expect("an editor");
    let area: web_sys::HtmlTextAreaElement = area.unchecked_into();
    assert_eq!(area.value(), "#[test]\nfn works() {}\n");
    assert!(
        find(&root, ".test-button").is_some(),
        "blocks with tests get a Test button"
    );
}

#[wasm_bindgen_test]
async fn a_block_that_is_not_runnable_has_no_run_button() {
    let root = container();
    let block = code_block(false);
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=block.clone() /> }
    });
    tick().await;
    assert!(find(&root, ".run-button").is_none());
    assert!(find(&root, "code .tok-fn").is_some());
}

#[wasm_bindgen_test]
async fn the_theme_toggle_switches_the_page_and_remembers_the_choice() {
    storage().remove_item("rmp.theme").unwrap();
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        provide_prefs();
        view! { <ThemeToggle /> }
    });
    // The preferences effect has run once it has written the (removed) key back.
    settle_until(|| storage().get_item("rmp.theme").unwrap().is_some()).await;
    let html = document().document_element().unwrap();
    let before = html.get_attribute("data-theme").unwrap();
    let before = Theme::parse(&before).expect("a theme is applied on start");

    find(&root, "button").unwrap().click();
    settle_until(|| html.get_attribute("data-theme").as_deref() == Some(before.toggled().as_str()))
        .await;
    let after = html.get_attribute("data-theme").unwrap();
    assert_eq!(after, before.toggled().as_str());
    assert_eq!(
        storage().get_item("rmp.theme").unwrap().as_deref(),
        Some(after.as_str())
    );
}

#[wasm_bindgen_test]
async fn the_font_control_scales_the_page_for_projectors() {
    storage().remove_item("rmp.fontStep").unwrap();
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        provide_prefs();
        view! { <FontSizeControl /> }
    });
    settle_until(|| storage().get_item("rmp.fontStep").unwrap().is_some()).await;
    assert!(
        root_style().contains("--font-scale: 1;"),
        "{}",
        root_style()
    );
    let larger = find(&root, "button[aria-label='Larger text']").unwrap();
    larger.click();
    larger.click();
    settle_until(|| root_style().contains("--font-scale: 1.25")).await;
    let style = root_style();
    assert!(style.contains("--font-scale: 1.25"), "{style}");
    assert_eq!(
        storage().get_item("rmp.fontStep").unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        find(&root, ".font-reset").unwrap().text_content().unwrap(),
        "125%"
    );
}

#[wasm_bindgen_test]
async fn corrupt_stored_preferences_are_ignored() {
    storage().set_item("rmp.theme", "purple").unwrap();
    storage().set_item("rmp.fontStep", "not a number").unwrap();
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        let prefs = provide_prefs();
        let theme = prefs.theme.get_untracked();
        let step = prefs.font_step.get_untracked();
        view! { <p>{format!("{}/{}", theme.as_str(), step)}</p> }
    });
    tick().await;
    let shown = find(&root, "p").unwrap().text_content().unwrap();
    assert!(shown == "light/0" || shown == "dark/0", "{shown}");
}

#[wasm_bindgen_test]
async fn the_not_found_page_links_home() {
    let root = container();
    let _mounted =
        leptos::mount::mount_to(root.clone(), || view! { <Router><NotFound /></Router> });
    tick().await;
    assert_eq!(
        find(&root, "h1").unwrap().text_content().unwrap(),
        "Page not found"
    );
    assert_eq!(
        find(&root, "a").unwrap().get_attribute("href").unwrap(),
        "/"
    );
}

#[wasm_bindgen_test]
async fn the_engine_demo_fills_its_book_from_the_flow_generator() {
    use frontend::demos::matching_engine::MatchingEngineDemo;
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || view! { <MatchingEngineDemo /> });
    tick().await;
    assert_eq!(
        root.query_selector_all(".ladder tr.bid, .ladder tr.ask")
            .unwrap()
            .length(),
        0
    );
    let seed = root
        .query_selector_all(".order-tools button")
        .unwrap()
        .item(2)
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>();
    assert_eq!(seed.text_content().unwrap(), "Add 300 realistic orders");
    seed.click();
    settle_until(|| root.query_selector(".ladder tr.bid").unwrap().is_some()).await;
    assert!(root.query_selector_all(".ladder tr.bid").unwrap().length() > 0);
    assert!(root.query_selector_all(".event-log li").unwrap().length() > 0);
}

#[wasm_bindgen_test]
async fn the_explorer_reports_corruption_after_the_preset_schedule() {
    use frontend::demos::lock_free::LockFreeExplorer;
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || view! { <LockFreeExplorer /> });
    tick().await;
    assert!(find(&root, ".ok-box").is_some());
    find(&root, ".run-preset").unwrap().click();
    settle_until(|| find(&root, ".violation-box").is_some()).await;
    let text = find(&root, ".violation-box")
        .unwrap()
        .text_content()
        .unwrap();
    assert!(text.contains("reachable from head"), "{text}");
}

#[wasm_bindgen_test]
async fn an_unknown_embedded_demo_says_so() {
    use frontend::demos::EmbeddedDemo;
    let root = container();
    let _mounted = leptos::mount::mount_to(
        root.clone(),
        || view! { <EmbeddedDemo name="spaceship".to_owned() /> },
    );
    tick().await;
    let text = root.text_content().unwrap();
    assert!(text.contains("`spaceship`, which does not exist"), "{text}");
}

#[wasm_bindgen_test]
fn the_benchmark_runs_on_the_browser_clock() {
    let performance = window().performance().unwrap();
    let result = frontend::demos::engine_bench::run(20_000, 1, || performance.now());
    assert_eq!(result.commands, 20_000);
    assert_eq!(result.batch_ns.len(), 20);
    assert!(result.per_second > 0.0 && result.per_second.is_finite());
}
