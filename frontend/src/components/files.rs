//! A multi-file block (a ```` ````files ```` lab): a small project with a tab per file. Each file is
//! editable when the block says so, and the project runs as a whole: Run, Test, Build, Clippy,
//! Format and the compiler views send every file, and each diagnostic goes to its file's tab.

use api_types::{Action, FileSet, ProjectFile};
use leptos::prelude::*;

use crate::actions::{request_for, text_hash};
use crate::components::code_block::{CopyButton, RunButtons, focus_in_block};
use crate::components::edits::BlockEdits;
use crate::components::progress::Recorder;
use crate::components::runner::Runner;
use crate::components::share::ShareControls;
use crate::components::tools::{FileTabs, SourceEditor, ToolBar, ViewState, apply_result};
use crate::editor::CodeEditor;
use crate::lazy::{self, lazy_part};

/// The files of a lab, as tabs, and the project's buttons when it can run.
#[component]
pub fn FileSetView(
    /// The files as sent by the server.
    set: FileSet,
) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let runnable = set.runnable && set.problem.is_none();
    let editable = set.editable;
    let runner = Runner::owned();
    let views = ViewState::new();
    let mode = RwSignal::new(set.run.mode);
    let settings = StoredValue::new(set.run.clone());
    let primary = set.run.action;
    let progress = Recorder::new(&set.id);
    let has_tests = primary == Action::Test || set.files.iter().any(|f| f.code.contains("#[test]"));
    let active = move || runner.active();
    // One editor per file; saved edits are kept per file, under `<id>/<path>`.
    let editors: Vec<SourceEditor> = set
        .files
        .iter()
        .map(|file| {
            let edits = BlockEdits::new(
                &format!("{}/{}", set.id, file.path),
                None,
                &file.code,
                &[],
                &text_hash(&file.code),
            );
            SourceEditor::new(&file.path, edits)
        })
        .collect();
    let editors = StoredValue::new(editors);
    let edited = move || editors.with_value(|all| all.iter().any(|e| e.edits.edited.get()));

    let start = move |action: Action| {
        if !runnable || (action == Action::Fmt && !editable) {
            return;
        }
        let all = editors.get_value();
        let files = all
            .iter()
            .map(|e| ProjectFile::new(e.path.get_value(), e.control().doc()))
            .collect();
        for editor in &all {
            editor.clear();
        }
        let request = request_for(&settings.get_value(), mode.get_untracked(), action, files);
        runner.start(request, move |result| {
            if action == primary {
                progress.ran();
            }
            editors.with_value(|all| apply_result(result, action, all, views));
        });
    };
    let on_run = Callback::new(move |()| start(primary));
    let on_action = Callback::new(start);
    let on_format = Callback::new(move |()| start(Action::Fmt));
    let on_clippy = Callback::new(move |()| start(Action::Clippy));
    let open_files = FileTabs { editors, selected };
    let on_locate = Callback::new(move |(file, line, column): (String, u32, u32)| {
        open_files.go_to(&file, line, column);
    });
    let on_source = Callback::new(move |source: Option<(String, u32)>| {
        editors.with_value(|all| {
            for editor in all {
                let line = source
                    .as_ref()
                    .filter(|(file, _)| editor.path.with_value(|p| p == file))
                    .map(|(_, line)| *line);
                editor.control().highlight_lines(line.as_slice(), false);
            }
        })
    });
    let on_refresh = Callback::new(move |()| {
        if let Some(view) = views.chosen.get_untracked() {
            start(Action::View(view));
        }
    });
    let reset_all = move |event: leptos::ev::MouseEvent| {
        // The button goes away with the edits: keyboard focus moves to the code instead.
        focus_in_block(&event, ".cm-content, textarea");
        editors.with_value(|all| {
            for editor in all {
                if editor.edits.edited.get_untracked() {
                    editor.edits.reset();
                }
            }
        })
    };

    let share_files = Callback::new(move |()| {
        editors.with_value(|all| {
            all.iter()
                .map(|e| ProjectFile::new(e.path.get_value(), e.control().doc()))
                .collect()
        })
    });

    let tab_id = |id: &str, i: usize| format!("files-{id}-{i}");
    let tabs = set
        .files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let editor = editors.with_value(|all| all[i]);
            let panel = format!("{}-panel", tab_id(&set.id, i));
            let has_errors = Memo::new(move |_| editor.errors.get() > 0);
            view! {
                <button
                    role="tab"
                    class="file-tab"
                    id=tab_id(&set.id, i)
                    aria-controls=panel
                    aria-selected=move || (selected.get() == i).to_string()
                    class:has-errors=has_errors
                    on:click=move |_| selected.set(i)
                >
                    {file.path.clone()}
                    <Show when=move || editor.edits.edited.get()>
                        <span class="tab-edited" title="edited">" •"</span>
                    </Show>
                    <Show when=move || { editor.errors.get() > 0 }>
                        <span class="tab-error" role="img" aria-label=move || match editor.errors.get() {
                            1 => "1 problem".to_owned(),
                            n => format!("{n} problems"),
                        }>
                            " ⚠"
                        </span>
                    </Show>
                </button>
            }
        })
        .collect_view();
    let panels = set
        .files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let editor = editors.with_value(|all| all[i]);
            let path = file.path.clone();
            let on_change = Callback::new(move |doc: String| editor.edits.changed(&doc));
            let on_cursor_line =
                Callback::new(move |line: u32| views.follow_source(&editor.path.get_value(), line));
            let label = if editable {
                format!(
                    "{path}, editable (Ctrl+Enter runs the project; Esc then Tab leaves the editor)"
                )
            } else {
                path.clone()
            };
            view! {
                <div
                    role="tabpanel"
                    class="file-panel"
                    id=format!("{}-panel", tab_id(&set.id, i))
                    aria-labelledby=tab_id(&set.id, i)
                    hidden=move || selected.get() != i
                >
                    {lazy_part(
                        lazy::outdated_notice,
                        move || editor.edits.pushed.with(Option::is_some) || editor.edits.outdated.with(Option::is_some),
                        move |notice| notice(editor.edits),
                    )}
                    <CodeEditor
                        control=editor.control()
                        hidden_lines=vec![]
                        editable
                        language=file.language.clone()
                        label
                        fallback_html=file.highlighted.clone()
                        hidden_shown=RwSignal::new(false)
                        on_change
                        on_run
                        on_format
                        on_clippy
                        on_cursor_line
                    />
                </div>
            }
        })
        .collect_view();

    let label = match (runnable, editable) {
        (true, true) => "Project · runnable · editable",
        (true, false) => "Project · runnable",
        (false, _) => "Project",
    };
    view! {
        <figure class="code-block file-set" class:runnable=runnable id=api_types::block_anchor(&set.id)>
            <figcaption class="code-toolbar">
                <span class="code-language">
                    {label}
                    <Show when=edited>
                        <span class="edited-badge">" · edited"</span>
                    </Show>
                </span>
                <span class="code-actions">
                    <CopyButton text=Callback::new(move |()| open_files.open_text()) />
                    <ShareControls files=share_files run=settings.get_value() mode subject=format!("project {}", set.id) />
                    <Show when=edited>
                        <button class="reset-button" title="Put every file of this project back as written" on:click=reset_all>
                            "↺ Reset"
                        </button>
                    </Show>
                    {runnable
                        .then(|| {
                            view! {
                                <RunButtons
                                    runner
                                    primary
                                    has_tests
                                    runner_id=settings.get_value().runner
                                    tests_title="Run the project's tests"
                                    run_title="Run the project"
                                    subject=format!("project {}", set.id)
                                    offers_build=true
                                    on_action
                                />
                            }
                        })}
                </span>
            </figcaption>
            {runnable
                .then(|| {
                    view! { <ToolBar mode views on_action can_format=editable busy=Signal::derive(active) runner=settings.get_value().runner /> }
                })}
            <div class="file-tabs" role="tablist" aria-label="Files in this project">{tabs}</div>
            {panels}
            // Fetched when a view is first asked for (`lazy.rs`).
            {lazy_part(
                lazy::view_panel,
                move || views.chosen.with(Option::is_some) || views.output.with(Option::is_some),
                move |panel| panel(views, on_source, on_refresh),
            )}
            {set.problem.clone().map(|problem| view! { <p class="block-problem" role="note">{problem}</p> })}
            <Show when=move || runner.shown.get()>
                {runner.pane(on_locate, true)}
            </Show>
        </figure>
    }
}
