//! Component tests, run in headless Chromium by wasm-bindgen-test-runner (`cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use api_types::CodeBlock;
use api_types::Exercise;
use frontend::components::code_block::CodeBlockView;
use frontend::components::edits::{ChapterEdits, ResetAllEdits};
use frontend::components::exercise::ExerciseView;
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
        id: "b-demo03".into(),
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
async fn without_the_editor_bundle_an_editable_block_is_a_text_area() {
    // The component tests load no CodeMirror bundle: the page must still be usable.
    let root = container();
    let mut block = code_block(true);
    block.editable = true;
    block.code = "#[test]\nfn works() {}\n".into();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=block.clone() /> }
    });
    let area = text_area(&root).await;
    assert_eq!(area.value(), "#[test]\nfn works() {}\n");
    assert!(
        find(&root, ".test-button").is_some(),
        "blocks with tests get a Test button"
    );
}

/// Mounts `block` inside a chapter's edit bookkeeping, as the chapter page does.
fn mount_in_chapter(
    root: &web_sys::HtmlElement,
    chapter: &'static str,
    block: CodeBlock,
) -> Box<dyn std::any::Any> {
    Box::new(leptos::mount::mount_to(root.clone(), move || {
        ChapterEdits::provide(chapter);
        view! {
            <ResetAllEdits />
            <CodeBlockView block=block.clone() />
        }
    }))
}

/// The fallback editor, once it shows its text.
async fn text_area(root: &web_sys::HtmlElement) -> web_sys::HtmlTextAreaElement {
    settle_until(|| {
        find(root, "textarea").is_some_and(|a| {
            !a.unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value()
                .is_empty()
        })
    })
    .await;
    find(root, "textarea.code-editor")
        .expect("a text area")
        .unchecked_into()
}

fn type_into(area: &web_sys::HtmlTextAreaElement, text: &str) {
    area.set_value(text);
    let event = web_sys::Event::new("input").unwrap();
    area.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn edits_are_saved_restored_and_reset() {
    let key = "rmp.edit.v1:saving:b-demo03";
    storage().remove_item(key).unwrap();
    let mut block = code_block(true);
    block.editable = true;
    {
        let root = container();
        let _mounted = mount_in_chapter(&root, "saving", block.clone());
        let area = text_area(&root).await;
        type_into(&area, "fn main() { println!(\"mine\"); }");
        settle_until(|| find(&root, ".reset-button").is_some()).await;
        let saved = storage().get_item(key).unwrap().expect("the edit is saved");
        assert!(
            saved.contains("mine") && saved.contains("0123456789abcdef"),
            "{saved}"
        );
        assert!(
            find(&root, ".reset-all-button").is_some(),
            "reset all is offered"
        );
    }
    // A new page (a reload) restores it.
    let root = container();
    let _mounted = mount_in_chapter(&root, "saving", block.clone());
    let area = text_area(&root).await;
    assert_eq!(area.value(), "fn main() { println!(\"mine\"); }");
    find(&root, ".reset-button").unwrap().click();
    settle_until(|| area.value() == "fn main() {}").await;
    assert_eq!(area.value(), "fn main() {}");
    assert_eq!(storage().get_item(key).unwrap(), None);
}

#[wasm_bindgen_test]
async fn reset_all_puts_every_block_back_after_a_confirmation() {
    let key = "rmp.edit.v1:reset-all:b-demo03";
    storage().remove_item(key).unwrap();
    let mut block = code_block(true);
    block.editable = true;
    let root = container();
    let _mounted = mount_in_chapter(&root, "reset-all", block);
    let area = text_area(&root).await;
    type_into(&area, "fn main() { changed(); }");
    settle_until(|| find(&root, ".reset-all-button").is_some()).await;
    find(&root, ".reset-all-button")
        .expect("reset all is offered")
        .click();
    settle_until(|| find(&root, ".confirm-reset-all").is_some()).await;
    assert!(
        storage().get_item(key).unwrap().is_some(),
        "nothing is lost before confirming"
    );
    find(&root, ".confirm-reset-all").unwrap().click();
    settle_until(|| area.value() == "fn main() {}").await;
    assert_eq!(area.value(), "fn main() {}");
    assert_eq!(storage().get_item(key).unwrap(), None);
    settle_until(|| find(&root, ".reset-all").is_none()).await;
    assert!(find(&root, ".reset-all").is_none(), "nothing left to reset");
}

#[wasm_bindgen_test]
async fn an_outdated_edit_lets_the_student_choose() {
    let key = "rmp.edit.v1:outdated:b-demo03";
    storage()
        .set_item(
            key,
            r#"{"original":"feedfeedfeedfeed","code":"fn main() { old(); }","hiddenLines":[]}"#,
        )
        .unwrap();
    let mut block = code_block(true);
    block.editable = true;
    let root = container();
    let _mounted = mount_in_chapter(&root, "outdated", block);
    settle_until(|| find(&root, ".edit-notice").is_some()).await;
    let area = text_area(&root).await;
    assert_eq!(
        area.value(),
        "fn main() {}",
        "the new version is shown first"
    );
    find(&root, ".use-saved").unwrap().click();
    settle_until(|| area.value() == "fn main() { old(); }").await;
    assert_eq!(area.value(), "fn main() { old(); }");
    settle_until(|| find(&root, ".edit-notice").is_none()).await;
    assert!(find(&root, ".edit-notice").is_none(), "the choice is made");
    let saved = storage().get_item(key).unwrap().unwrap();
    assert!(
        saved.contains("0123456789abcdef"),
        "re-saved against the new original: {saved}"
    );
}

#[wasm_bindgen_test]
async fn corrupt_saved_edits_are_ignored() {
    storage()
        .set_item("rmp.edit.v1:corrupt:code-3", "{this is not json")
        .unwrap();
    storage()
        .set_item("rmp.edit.v1:corrupt:b-demo03", "{nor is this")
        .unwrap();
    let mut block = code_block(true);
    block.editable = true;
    let root = container();
    let _mounted = mount_in_chapter(&root, "corrupt", block);
    let area = text_area(&root).await;
    assert_eq!(area.value(), "fn main() {}");
    assert!(find(&root, ".run-button").is_some());
}

#[wasm_bindgen_test]
async fn an_edit_saved_under_the_old_position_key_moves_to_the_block_id() {
    let (old, new) = (
        "rmp.edit.v1:migrating:code-3",
        "rmp.edit.v1:migrating:b-demo03",
    );
    storage().remove_item(new).unwrap();
    storage()
        .set_item(
            old,
            r#"{"original":"0123456789abcdef","code":"fn main() { /* mine */ }","hiddenLines":[]}"#,
        )
        .unwrap();
    let mut block = code_block(true);
    block.editable = true;
    let root = container();
    let _mounted = mount_in_chapter(&root, "migrating", block.clone());
    let area = text_area(&root).await;
    assert_eq!(area.value(), "fn main() { /* mine */ }");
    assert!(
        storage().get_item(old).unwrap().is_none(),
        "the old key is gone"
    );
    assert!(
        storage().get_item(new).unwrap().unwrap().contains("mine"),
        "the edit lives under the block's id"
    );
    settle_until(|| find(&root, ".reset-all").is_some()).await;
    let summary = find(&root, ".reset-all").unwrap().text_content().unwrap();
    assert!(summary.contains("You edited 1 example"), "{summary}");

    // An old entry made from another version of the block stays where it is, unused: it may
    // belong to a block that has moved since.
    storage().remove_item(new).unwrap();
    storage()
        .set_item(
            "rmp.edit.v1:other-version:code-3",
            r#"{"original":"ffffffffffffffff","code":"fn main() { /* older */ }","hiddenLines":[]}"#,
        )
        .unwrap();
    let root = container();
    let _second = mount_in_chapter(&root, "other-version", block);
    let area = text_area(&root).await;
    assert_eq!(area.value(), "fn main() {}");
    assert!(
        storage()
            .get_item("rmp.edit.v1:other-version:code-3")
            .unwrap()
            .is_some()
    );
    assert!(
        storage()
            .get_item("rmp.edit.v1:other-version:b-demo03")
            .unwrap()
            .is_none()
    );
    storage()
        .remove_item("rmp.edit.v1:other-version:code-3")
        .unwrap();
}

#[wasm_bindgen_test]
async fn exercises_reveal_hints_one_at_a_time_and_the_solution_after_confirming() {
    let exercise = Exercise {
        index: 0,
        id: "e-double".into(),
        path: "src/main.rs".into(),
        extra_files: vec![],
        instructions: "<p>Double it.</p>".into(),
        starter: "fn double(x: i32) -> i32 { todo!() }\n".into(),
        starter_hidden_lines: vec![],
        tests: "#[test]\nfn t() { assert_eq!(double(2), 4); }\n".into(),
        hints: vec!["<p>first</p>".into(), "<p>second</p>".into()],
        solution: "fn double(x: i32) -> i32 { x * 2 }\n".into(),
        solution_hidden_lines: vec![],
        run: Default::default(),
        hash: "abcdabcdabcdabcd".into(),
        problem: None,
    };
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <ExerciseView exercise=exercise.clone() /> }
    });
    settle_until(|| find(&root, ".hint-button").is_some()).await;
    assert_eq!(root.query_selector_all(".hint").unwrap().length(), 0);
    find(&root, ".hint-button").unwrap().click();
    settle_until(|| root.query_selector_all(".hint").unwrap().length() == 1).await;
    assert!(
        find(&root, ".hint")
            .unwrap()
            .text_content()
            .unwrap()
            .contains("first")
    );
    find(&root, ".hint-button").unwrap().click();
    settle_until(|| root.query_selector_all(".hint").unwrap().length() == 2).await;
    assert_eq!(root.query_selector_all(".hint").unwrap().length(), 2);
    assert!(
        find(&root, ".hint-button").is_none(),
        "no more hints to give"
    );

    assert!(
        !root.text_content().unwrap().contains("x * 2"),
        "the solution starts hidden"
    );
    find(&root, ".solution-button").unwrap().click();
    settle_until(|| find(&root, ".confirm-solution").is_some()).await;
    assert!(
        !root.text_content().unwrap().contains("x * 2"),
        "not before confirming"
    );
    find(&root, ".confirm-solution").unwrap().click();
    settle_until(|| root.text_content().unwrap().contains("x * 2")).await;
    assert!(
        root.text_content().unwrap().contains("x * 2"),
        "shown after confirming"
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
    let larger = find(&root, "button[aria-label='A+ larger text']").unwrap();
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
    use demos_web::matching_engine::MatchingEngineDemo;
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
    use demos_web::lock_free::LockFreeExplorer;
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
    let result = demos_web::engine_bench::run(20_000, 1, || performance.now());
    assert_eq!(result.commands, 20_000);
    assert_eq!(result.batch_ns.len(), 20);
    assert!(result.per_second > 0.0 && result.per_second.is_finite());
}

#[wasm_bindgen_test]
async fn tools_start_from_the_fence_and_format_is_offered_only_where_the_student_edits() {
    let mut block = code_block(true);
    block.run.mode = api_types::Mode::Release;
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=block.clone() /> }
    });
    settle_until(|| find(&root, ".mode-select").is_some()).await;
    let mode: web_sys::HtmlSelectElement = find(&root, ".mode-select").unwrap().unchecked_into();
    assert_eq!(mode.value(), "release", "the fence asked for release");
    assert!(find(&root, ".clippy-button").is_some());
    assert!(
        find(&root, ".format-button").is_none(),
        "a read-only block is not formatted"
    );
    let views: web_sys::HtmlSelectElement = find(&root, ".view-select").unwrap().unchecked_into();
    assert_eq!(views.length(), 8, "a prompt and seven views");
    assert_eq!(views.value(), "");

    let mut editable = code_block(true);
    editable.editable = true;
    let root = container();
    let _second = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=editable.clone() /> }
    });
    settle_until(|| find(&root, ".format-button").is_some()).await;
    let format = find(&root, ".format-button").unwrap();
    assert_eq!(format.text_content().unwrap(), "Format");
    assert!(format.title().contains("Ctrl+Shift+F"));
    let mode: web_sys::HtmlSelectElement = find(&root, ".mode-select").unwrap().unchecked_into();
    assert_eq!(mode.value(), "debug");

    let not_runnable = code_block(false);
    let root = container();
    let _third = leptos::mount::mount_to(root.clone(), move || {
        view! { <CodeBlockView block=not_runnable.clone() /> }
    });
    tick().await;
    assert!(find(&root, ".block-tools").is_none());
}

#[wasm_bindgen_test]
async fn a_compiler_view_is_text_with_its_title_and_buttons() {
    use api_types::{CompilerView, ViewLines, ViewOutput};
    use frontend::components::tools::{ViewPanel, ViewState};
    let root = container();
    let views = ViewState::new();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <ViewPanel views on_source=Callback::new(|_| {}) on_refresh=Callback::new(|_| {}) /> }
    });
    tick().await;
    assert!(
        find(&root, ".view-panel").is_none(),
        "nothing until a view arrives"
    );
    views.output.set(Some(ViewOutput {
        view: CompilerView::Mir,
        text: "bb0: {\n    // <script>alert(1)</script>\n    return;\n}\n".into(),
        source_map: vec![ViewLines {
            first_line: 1,
            last_line: 3,
            file: "src/main.rs".into(),
            source_line: 1,
        }],
        truncated: true,
    }));
    settle_until(|| find(&root, ".view-panel pre").is_some()).await;
    assert_eq!(
        find(&root, ".view-title").unwrap().text_content().unwrap(),
        "MIR"
    );
    let text = find(&root, ".view-panel pre")
        .unwrap()
        .text_content()
        .unwrap();
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(
        root.query_selector("script").unwrap().is_none(),
        "view text is never HTML"
    );
    assert!(find(&root, ".view-hint").is_some(), "mapped views say so");
    assert!(find(&root, ".truncated").is_some());
    for (css, name) in [
        (".view-copy", "Copy"),
        (".view-search", "Search"),
        (".view-refresh", "Refresh"),
    ] {
        assert_eq!(find(&root, css).unwrap().text_content().unwrap(), name);
    }
    assert_eq!(
        find(&root, ".view-close")
            .unwrap()
            .get_attribute("aria-label")
            .unwrap(),
        "Close the MIR"
    );
    find(&root, ".view-close").unwrap().click();
    settle_until(|| find(&root, ".view-panel").is_none()).await;
    assert!(find(&root, ".view-panel").is_none());
}

#[wasm_bindgen_test]
async fn a_files_block_is_a_project_with_a_tab_per_file() {
    use api_types::{FileSet, SourceFile};
    use frontend::components::files::FileSetView;
    let file = |path: &str, code: &str| SourceFile {
        path: path.into(),
        language: "rust".into(),
        code: code.into(),
        highlighted: String::new(),
    };
    let set = FileSet {
        id: "lab".into(),
        files: vec![
            file("src/main.rs", "mod shapes;\nfn main() {}\n"),
            file("src/shapes.rs", "pub fn area() {}\n"),
        ],
        runnable: true,
        editable: true,
        run: Default::default(),
        problem: None,
    };
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <FileSetView set=set.clone() /> }
    });
    settle_until(|| root.query_selector_all("textarea").unwrap().length() == 2).await;
    let tabs = root.query_selector_all("[role=tab]").unwrap();
    assert_eq!(tabs.length(), 2);
    let panels = root.query_selector_all("[role=tabpanel]").unwrap();
    let hidden = |i: u32| {
        panels
            .item(i)
            .unwrap()
            .unchecked_into::<web_sys::HtmlElement>()
            .hidden()
    };
    assert!(!hidden(0) && hidden(1), "the first file shows");
    tabs.item(1)
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    settle_until(|| hidden(0)).await;
    assert!(hidden(0) && !hidden(1), "the second tab shows its file");
    let areas = root.query_selector_all("textarea").unwrap();
    let second: web_sys::HtmlTextAreaElement = areas.item(1).unwrap().unchecked_into();
    assert_eq!(second.value(), "pub fn area() {}\n");
    for css in [
        ".run-button",
        ".build-button",
        ".clippy-button",
        ".format-button",
        ".mode-select",
    ] {
        assert!(find(&root, css).is_some(), "{css}");
    }
}

#[wasm_bindgen_test]
async fn a_multi_file_exercise_has_a_tab_per_starter_file_and_copies_each_solution_file() {
    use api_types::{ExerciseFile, ExerciseRole};
    let extra = |path: &str, role: ExerciseRole, code: &str| ExerciseFile {
        path: path.into(),
        language: "rust".into(),
        role,
        code: code.into(),
        hidden_lines: vec![],
        hash: format!("{path}-{role:?}"),
    };
    let exercise = Exercise {
        index: 1,
        id: "e-shapes".into(),
        path: "src/main.rs".into(),
        extra_files: vec![
            extra(
                "src/shapes.rs",
                ExerciseRole::Starter,
                "pub fn area() -> u32 { todo!() }\n",
            ),
            extra(
                "tests/grade.rs",
                ExerciseRole::Tests,
                "#[test]\nfn area() {}\n",
            ),
            extra(
                "src/shapes.rs",
                ExerciseRole::Solution,
                "pub fn area() -> u32 { 6 }\n",
            ),
        ],
        instructions: "<p>Shapes.</p>".into(),
        starter: "mod shapes;\nfn main() {}\n".into(),
        starter_hidden_lines: vec![],
        tests: String::new(),
        hints: vec![],
        solution: "mod shapes;\nfn main() { shapes::area(); }\n".into(),
        solution_hidden_lines: vec![],
        run: Default::default(),
        hash: "ffffeeeeddddcccc".into(),
        problem: None,
    };
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <ExerciseView exercise=exercise.clone() /> }
    });
    settle_until(|| root.query_selector_all("textarea").unwrap().length() == 2).await;
    let tabs: Vec<String> = (0..root.query_selector_all("[role=tab]").unwrap().length())
        .map(|i| {
            root.query_selector_all("[role=tab]")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(tabs, ["src/main.rs", "src/shapes.rs"]);
    let tests = find(&root, ".tests-file").unwrap().text_content().unwrap();
    assert_eq!(tests, "tests/grade.rs", "the tests file is listed by path");

    find(&root, ".solution-button").unwrap().click();
    settle_until(|| find(&root, ".confirm-solution").is_some()).await;
    find(&root, ".confirm-solution").unwrap().click();
    settle_until(|| find(&root, ".use-solution").is_some()).await;
    find(&root, ".use-solution").unwrap().click();
    let areas = root.query_selector_all("textarea.code-editor").unwrap();
    let value = |i: u32| {
        areas
            .item(i)
            .unwrap()
            .unchecked_into::<web_sys::HtmlTextAreaElement>()
            .value()
    };
    settle_until(|| value(1).contains("{ 6 }")).await;
    assert_eq!(value(0), "mod shapes;\nfn main() { shapes::area(); }\n");
    assert_eq!(value(1), "pub fn area() -> u32 { 6 }\n");
}

#[wasm_bindgen_test]
fn the_browser_id_is_made_once_kept_and_sent_on_the_socket() {
    let id = frontend::run::browser_id();
    assert!(api_types::browser::is_valid_browser_id(&id), "{id}");
    assert_eq!(frontend::run::browser_id(), id, "the same id every time");
    let kept = frontend::prefs::storage()
        .unwrap()
        .get_item("rmp.browserId")
        .unwrap();
    assert_eq!(kept.as_deref(), Some(id.as_str()), "kept in localStorage");
    let url = frontend::run::socket_url();
    assert!(url.ends_with(&format!("/api/ws?browser={id}")), "{url}");
}
