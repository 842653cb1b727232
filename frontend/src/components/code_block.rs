//! A code block in a chapter: highlighted, editable when the author allows it, runnable, with
//! its output pane and the compiler's marks in the editor.

use api_types::{Action, CodeBlock, ProjectFile, RunnerId};
use leptos::prelude::*;

use crate::actions::request_for;
use crate::components::availability::missing_signal;
use crate::components::edits::BlockEdits;
use crate::components::progress::Recorder;
use crate::components::runner::Runner;
use crate::components::tools::{SourceEditor, ToolBar, ViewState, apply_result};
use crate::editor::CodeEditor;
use crate::lazy::{self, lazy_part};

/// How many lines `code` has, for deciding which diagnostics belong in the editor.
pub fn line_count(code: &str) -> u32 {
    code.lines().count().max(1) as u32
}

/// A fenced code block. Rust blocks get the editor (read-only unless `editable`), Run (or Test,
/// as the fence says), a show/hide toggle for hidden lines, Reset for edited blocks, the tools
/// (Debug/Release, Clippy, Format, compiler views) and an output pane; Ctrl/Cmd-Enter in the
/// editor runs.
#[component]
pub fn CodeBlockView(
    /// The block as sent by the server.
    block: CodeBlock,
) -> impl IntoView {
    if block.language != "rust" {
        let code = block.code.clone();
        return view! {
            <figure class="code-block" id=api_types::block_anchor(&block.id) data-index=block.index>
                <figcaption class="code-toolbar">
                    <span class="code-language">{block.language.clone()}</span>
                    <span class="code-actions">
                        <CopyButton text=Callback::new(move |()| code.clone()) />
                    </span>
                </figcaption>
                // Reachable by Tab: a long line scrolls sideways (WCAG 2.1.1).
                <pre tabindex="0">
                    <code class=format!("language-{}", block.language) inner_html=block.highlighted></code>
                </pre>
            </figure>
        }
        .into_any();
    }
    let edits = BlockEdits::new(
        &block.id,
        Some(&format!("code-{}", block.index)),
        &block.code,
        &block.hidden_lines,
        &block.hash,
    );
    let control = edits.control;
    let source = SourceEditor::new(ProjectFile::MAIN, edits);
    let runner = Runner::owned();
    let hidden_shown = RwSignal::new(false);
    let editable = block.editable;
    let runnable = block.runnable && block.problem.is_none();
    let primary = block.run.action;
    let progress = Recorder::new(&block.id);
    let mode = RwSignal::new(block.run.mode);
    let settings = StoredValue::new(block.run.clone());
    let views = ViewState::new();
    let has_tests = primary == Action::Test || block.code.contains("#[test]");
    let hidden_count = block.hidden_lines.len();
    let active = move || runner.active();
    let label = match (runnable, editable) {
        (true, true) => "Rust · runnable · editable",
        (true, false) => "Rust · runnable",
        (false, _) => "Rust",
    };

    let start = move |action: Action| {
        if !runnable || (action == Action::Fmt && !editable) {
            return;
        }
        source.clear();
        let request = request_for(
            &settings.get_value(),
            mode.get_untracked(),
            action,
            vec![ProjectFile::main(control.doc())],
        );
        runner.start(request, move |result| {
            if action == primary {
                progress.ran();
            }
            apply_result(result, action, &[source], views)
        });
    };
    let on_run = Callback::new(move |()| start(primary));
    let on_action = Callback::new(start);
    let on_format = Callback::new(move |()| start(Action::Fmt));
    let on_clippy = Callback::new(move |()| start(Action::Clippy));
    let on_change = Callback::new(move |doc: String| edits.changed(&doc));
    let on_locate =
        Callback::new(move |(_, line, column): (String, u32, u32)| control.go_to(line, column));
    let on_cursor_line =
        Callback::new(move |line: u32| views.follow_source(ProjectFile::MAIN, line));
    let on_source = Callback::new(move |source: Option<(String, u32)>| match source {
        Some((file, line)) if file == ProjectFile::MAIN => control.highlight_lines(&[line], false),
        _ => control.highlight_lines(&[], false),
    });
    let on_refresh = Callback::new(move |()| {
        if let Some(view) = views.chosen.get_untracked() {
            start(Action::View(view));
        }
    });

    let editor_label = if editable {
        "Example code, editable (Ctrl+Enter runs it; Esc then Tab leaves the editor)"
    } else {
        "Example code"
    };
    view! {
        <figure class="code-block" class:runnable=runnable id=api_types::block_anchor(&block.id) data-index=block.index>
            <figcaption class="code-toolbar">
                <span class="code-language">
                    {label}
                    <Show when=move || edits.edited.get()>
                        <span class="edited-badge">" · edited"</span>
                    </Show>
                </span>
                <span class="code-actions">
                    <CopyButton text=Callback::new(move |()| control.doc()) />
                    <HiddenLinesToggle count=hidden_count shown=hidden_shown />
                    <ResetButton edits title="Put this example back as written" />
                    <crate::components::share::ShareControls files=Callback::new(move |()| vec![ProjectFile::main(control.doc())]) run=settings.get_value() mode subject=format!("example {}", block.index + 1) />
                    {runnable
                        .then(|| {
                            view! {
                                <RunButtons
                                    runner
                                    primary
                                    has_tests
                                    runner_id=settings.get_value().runner
                                    tests_title="Run the tests"
                                    run_title="Run this example"
                                    offers_build=false
                                    subject=format!("example {}", block.index + 1)
                                    on_action
                                />
                            }
                        })}
                </span>
            </figcaption>
            {block.problem.clone().map(|problem| {
                view! {
                    <p class="block-problem" role="note">
                        {format!("This example has a mistake in how it is written, so it can't run: {problem}")}
                    </p>
                }
            })}
            {runnable
                .then(|| {
                    view! { <ToolBar mode views on_action can_format=editable busy=Signal::derive(active) runner=settings.get_value().runner /> }
                })}
            {lazy_part(
                lazy::outdated_notice,
                move || edits.pushed.with(Option::is_some) || edits.outdated.with(Option::is_some),
                move |notice| notice(edits),
            )}
            <CodeEditor
                control
                hidden_lines=edits.initial_hidden.get_value()
                editable
                language="rust"
                label=editor_label
                fallback_html=block.highlighted.clone()
                hidden_shown
                on_change
                on_run
                on_format
                on_clippy
                on_cursor_line
            />
            // Fetched when a view is first asked for (`lazy.rs`).
            {lazy_part(
                lazy::view_panel,
                move || views.chosen.with(Option::is_some) || views.output.with(Option::is_some),
                move |panel| panel(views, on_source, on_refresh),
            )}
            <Show when=move || runner.shown.get()>
                {runner.pane(on_locate, true)}
            </Show>
        </figure>
    }
    .into_any()
}

/// A block's run buttons: Stop while something runs, then Build (for projects), Test beside Run
/// when the code has tests, and Run, or Test alone when testing is what the block does. They wait
/// while a run is under way, and stay disabled where this server lacks the block's runner (the
/// toolbar says why).
#[component]
pub fn RunButtons(
    /// The block's run state.
    runner: Runner,
    /// What the main button (and Ctrl+Enter) does.
    primary: Action,
    /// Whether Test is offered beside Run.
    has_tests: bool,
    /// The block's runner.
    runner_id: RunnerId,
    /// The Test button's title, e.g. "Run the project's tests".
    tests_title: &'static str,
    /// The Run button's title, e.g. "Run this example".
    run_title: &'static str,
    /// Whether to offer Build (compile without running).
    offers_build: bool,
    /// What the buttons act on, for their accessible names ("example 3"), so a page's many Run
    /// buttons can be told apart by a screen reader.
    #[prop(into)]
    subject: String,
    /// Starts an action.
    on_action: Callback<Action>,
) -> impl IntoView {
    let missing = missing_signal(runner_id);
    // While a run is under way the buttons are `aria-disabled`, not `disabled`: a disabled button
    // drops keyboard focus to the page, and the reader pressed it to watch the result.
    let busy = move || runner.active();
    let unavailable = move || missing.get().is_some();
    let start = move |action: Action| {
        move |_| {
            if !busy() {
                on_action.run(action);
            }
        }
    };
    let name = move |verb: &str| format!("{verb} {subject}");
    view! {
        <Show when=move || runner.active()>
            <button class="kill-button" title="Stop the program" on:click=move |event| {
                // Stop disappears when the run ends: keyboard focus moves to Run instead.
                focus_in_block(&event, ".run-button");
                runner.kill();
            }>
                "■ Stop"
            </button>
        </Show>
        {offers_build
            .then(|| {
                view! {
                    <button class="build-button" title="Compile the project without running it" aria-label=name("Build")
                        on:click=start(Action::Build) disabled=unavailable aria-disabled=move || busy().to_string()>
                        "Build"
                    </button>
                }
            })}
        {(has_tests && primary != Action::Test)
            .then(|| {
                view! {
                    <button class="test-button" title=tests_title aria-label=name("Test")
                        on:click=start(Action::Test) disabled=unavailable aria-disabled=move || busy().to_string()>
                        "✓ Test"
                    </button>
                }
            })}
        {if primary == Action::Test {
            view! {
                <button class="run-button test-button" title=format!("{tests_title} (Ctrl+Enter)") aria-label=name("Test")
                    on:click=start(Action::Test) disabled=unavailable aria-disabled=move || busy().to_string()>
                    "✓ Test"
                </button>
            }
                .into_any()
        } else {
            view! {
                <button class="run-button" title=format!("{run_title} (Ctrl+Enter)") aria-label=name("Run")
                    on:click=start(Action::Run) disabled=unavailable aria-disabled=move || busy().to_string()>
                    "▶ Run"
                </button>
            }
                .into_any()
        }}
    }
}

/// "Show N hidden lines" / "Hide boilerplate", for a block with hidden lines (nothing otherwise).
#[component]
pub fn HiddenLinesToggle(
    /// How many lines are hidden.
    count: usize,
    /// Whether they are shown; the editor follows it.
    shown: RwSignal<bool>,
) -> impl IntoView {
    (count > 0).then(|| {
        view! {
            <button
                class="toggle-hidden"
                aria-pressed=move || shown.get().to_string()
                title="Show or hide the boilerplate lines this example needs"
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || {
                    if shown.get() {
                        "Hide boilerplate".to_owned()
                    } else if count == 1 {
                        "Show 1 hidden line".to_owned()
                    } else {
                        format!("Show {count} hidden lines")
                    }
                }}
            </button>
        }
    })
}

/// Reset, shown while the block holds an edit.
#[component]
pub fn ResetButton(
    /// The block's edits.
    edits: BlockEdits,
    /// What Reset does here, for the tooltip.
    title: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || edits.edited.get()>
            <button class="reset-button" title=title on:click=move |event| {
                // The button goes away with the edit: keyboard focus moves to the code instead.
                focus_in_block(&event, ".cm-content, textarea");
                edits.reset();
            }>
                "↺ Reset"
            </button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counts_ignore_a_final_newline() {
        assert_eq!(line_count("a\nb\n"), 2);
        assert_eq!(line_count(""), 1);
    }
}

/// "Copy": puts the block's whole program (hidden lines included, so it compiles where it is
/// pasted) on the clipboard, and says so. Falls back to a hidden text area and `execCommand` where
/// the Clipboard API is missing (pages served over plain HTTP to another machine).
#[component]
pub fn CopyButton(
    /// The text to copy, read when the button is pressed (the reader's edits included).
    text: Callback<(), String>,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.run(());
        leptos::task::spawn_local(async move {
            let ok = copy_text(&text).await;
            copied.set(Some(ok));
            set_timeout(move || copied.set(None), std::time::Duration::from_secs(2));
        });
    };
    view! {
        <button type="button" class="copy-button" title="Copy the whole program to the clipboard"
            aria-label="Copy code" on:click=copy>
            {move || match copied.get() {
                Some(true) => "Copied",
                Some(false) => "Copy failed",
                None => "Copy",
            }}
        </button>
        <span class="visually-hidden" role="status">
            {move || match copied.get() {
                Some(true) => "Code copied to the clipboard",
                Some(false) => "The browser did not allow copying",
                None => "",
            }}
        </span>
    }
}

async fn copy_text(text: &str) -> bool {
    let navigator = window().navigator();
    let has_api = js_sys::Reflect::has(&navigator, &"clipboard".into()).unwrap_or(false);
    if has_api {
        let promise = navigator.clipboard().write_text(text);
        if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
            return true;
        }
    }
    copy_with_text_area(text)
}

fn copy_with_text_area(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let document = document();
    let Ok(area) = document.create_element("textarea") else {
        return false;
    };
    let area: web_sys::HtmlTextAreaElement = area.unchecked_into();
    area.set_value(text);
    let _ = area.set_attribute("style", "position: fixed; top: -1000px; opacity: 0");
    let Some(body) = document.body() else {
        return false;
    };
    let _ = body.append_child(&area);
    area.select();
    let ok = document
        .unchecked_ref::<web_sys::HtmlDocument>()
        .exec_command("copy")
        .unwrap_or(false);
    area.remove();
    ok
}

/// Moves keyboard focus to the first element matching `selector` in the block (code block, files
/// block or exercise) whose button sent `event`, for buttons that disappear once pressed.
pub fn focus_in_block(event: &leptos::ev::MouseEvent, selector: &str) {
    use wasm_bindgen::JsCast;
    let target = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|button| button.closest(".code-block, .exercise").ok().flatten())
        .and_then(|block| block.query_selector(selector).ok().flatten())
        .and_then(|found| found.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = target {
        let _ = element.focus();
    }
}
