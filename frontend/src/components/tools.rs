//! A runnable block's tools: the Debug/Release switch, Clippy, Format, and the compiler views
//! (MIR, HIR, LLVM IR, assembly, macro expansion, type layouts) shown in a panel under the block,
//! highlighted, searchable, copyable, and mapped line by line to the code where rustc says so.

use api_types::{Action, CompilerView, ExecutionResult, Level, Mode, RunnerId, ViewOutput};
use leptos::prelude::*;

use crate::actions::{VIEWS, follow_hidden_lines, source_of, view_language, view_lines_for};
use crate::components::availability::{Availability, missing_signal};
use crate::components::edits::BlockEdits;
use crate::editor::{CodeEditor, EditorControl};

/// One editor of a block and the project file it shows.
#[derive(Clone, Copy)]
pub struct SourceEditor {
    pub path: StoredValue<String>,
    pub edits: BlockEdits,
    /// Lines past this one are not the student's (an exercise's tests follow them).
    pub last_line: StoredValue<u32>,
    /// How many errors the last result put in this file (a tab shows a marker).
    pub errors: RwSignal<usize>,
}

impl SourceEditor {
    pub fn new(path: &str, edits: BlockEdits) -> SourceEditor {
        SourceEditor {
            path: StoredValue::new(path.to_owned()),
            edits,
            last_line: StoredValue::new(u32::MAX),
            errors: RwSignal::new(0),
        }
    }

    pub fn control(&self) -> EditorControl {
        self.edits.control
    }

    pub fn clear(&self) {
        self.control().clear_diagnostics();
        self.errors.set(0);
    }
}

/// The files of a project or exercise, one tab each, and the tab that is open.
#[derive(Clone, Copy)]
pub struct FileTabs {
    pub editors: StoredValue<Vec<SourceEditor>>,
    pub selected: RwSignal<usize>,
}

impl FileTabs {
    /// The text of the open tab's file (the reader's edits included).
    pub fn open_text(self) -> String {
        self.editors.with_value(|all| {
            all.get(self.selected.get_untracked())
                .map_or_else(String::new, |e| e.control().doc())
        })
    }

    /// Opens the tab of `file` and puts the cursor at (`line`, `column`); false when no file of
    /// the project has that path.
    pub fn go_to(self, file: &str, line: u32, column: u32) -> bool {
        let found = self.editors.with_value(|all| {
            all.iter()
                .position(|e| e.path.with_value(|p| p == file))
                .map(|i| (i, all[i]))
        });
        let Some((index, editor)) = found else {
            return false;
        };
        self.selected.set(index);
        editor.control().go_to(line, column);
        true
    }
}

/// A block's compiler view: the last one received and the panel's editor.
#[derive(Clone, Copy)]
pub struct ViewState {
    pub output: RwSignal<Option<ViewOutput>>,
    /// The view the menu shows (kept when a request fails, so Refresh can try again).
    pub chosen: RwSignal<Option<CompilerView>>,
    control: StoredValue<Option<EditorControl>, LocalStorage>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState::new()
    }
}

impl ViewState {
    pub fn new() -> ViewState {
        ViewState {
            output: RwSignal::new(None),
            chosen: RwSignal::new(None),
            control: StoredValue::new_local(None),
        }
    }

    /// The source editor's cursor moved to `line` of `file`: mark the view lines that came from
    /// it and scroll the first into view.
    pub fn follow_source(&self, file: &str, line: u32) {
        let lines = self.output.with_untracked(|view| {
            view.as_ref()
                .map(|v| view_lines_for(&v.source_map, file, line))
                .unwrap_or_default()
        });
        if let Some(control) = self.control.get_value() {
            control.highlight_lines(&lines, true);
        }
    }

    pub fn close(&self) {
        self.output.set(None);
        self.chosen.set(None);
    }
}

/// Folds a finished result into a block's editors: marks (errors and Clippy's lints) in the file
/// they point at, formatted code for Format, the compiler view for a view.
pub fn apply_result(
    result: &ExecutionResult,
    action: Action,
    editors: &[SourceEditor],
    views: ViewState,
) {
    for editor in editors {
        let path = editor.path.get_value();
        let last_line = editor.last_line.get_value();
        editor
            .control()
            .show_diagnostics_in(&result.diagnostics, &path, last_line);
        let errors = result
            .diagnostics
            .iter()
            .filter(|d| {
                d.level.is_error() || (action == Action::Clippy && d.level == Level::Warning)
            })
            .filter(|d| d.spans.iter().any(|s| s.is_primary && s.file == path))
            .count();
        editor.errors.set(errors);
    }
    if action == Action::Fmt {
        // Empty when rustfmt failed: the code stays as it is and the output pane says why.
        for file in &result.files {
            let Some(editor) = editors
                .iter()
                .find(|e| e.path.with_value(|p| *p == file.path))
            else {
                continue;
            };
            let control = editor.control();
            let old = control.doc();
            if old == file.contents {
                continue;
            }
            let hidden = follow_hidden_lines(&old, &control.hidden_lines(), &file.contents);
            // One undoable change (Ctrl-Z brings the unformatted code back), then saved.
            control.set_doc(&file.contents, &hidden);
            editor.edits.changed(&file.contents);
        }
    }
    if let Some(view) = &result.view {
        views.output.set(Some(view.clone()));
    }
}

/// The Debug/Release switch, Clippy, Format and the compiler-view menu of one block.
#[component]
pub fn ToolBar(
    /// The block's build mode; starts from its fence and lasts while the page is shown.
    mode: RwSignal<Mode>,
    /// The block's compiler view (the menu shows the one chosen).
    views: ViewState,
    /// Starts an action (Clippy, Format or a view).
    on_action: Callback<Action>,
    /// Whether Format is offered (the student may edit the code).
    can_format: bool,
    /// Whether a run is under way; the tools wait for it.
    #[prop(into)]
    busy: Signal<bool>,
    /// The block's runner: the tools it cannot reach on this server are not offered.
    runner: RunnerId,
) -> impl IntoView {
    let availability = Availability::get();
    let reachable = {
        let runner = runner.clone();
        move |action: Action| availability.is_none_or(|a| a.reachable(&runner, action))
    };
    let missing = missing_signal(runner);
    let options = VIEWS
        .iter()
        .map(|view| {
            let reachable = reachable.clone();
            let name = view.name();
            view! {
                <Show when=move || reachable(Action::View(*view))>
                    <option value=name prop:selected=move || views.chosen.get() == Some(*view)>
                        {view.title()}
                    </option>
                </Show>
            }
        })
        .collect_view();
    let can_clippy = {
        let reachable = reachable.clone();
        move || reachable(Action::Clippy)
    };
    let can_fmt = move || can_format && reachable(Action::Fmt);
    view! {
        <Show when=move || missing.get().is_some()>
            <p class="runner-missing" role="note">
                {move || missing.get().unwrap_or_default()}
            </p>
        </Show>
        <div class="block-tools" role="toolbar" aria-label="Tools for this code">
            <label class="tool-field">
                <span class="tool-label">"Build"</span>
                <select
                    class="mode-select"
                    aria-label="Build mode"
                    title="Debug compiles fast and checks overflow; Release optimises"
                    on:change=move |ev| {
                        mode.set(if event_target_value(&ev) == "release" { Mode::Release } else { Mode::Debug })
                    }
                >
                    <option value="debug" prop:selected=move || mode.get() == Mode::Debug>"Debug"</option>
                    <option value="release" prop:selected=move || mode.get() == Mode::Release>"Release"</option>
                </select>
            </label>
            <Show when=can_clippy.clone()>
                <button
                    class="clippy-button"
                    title="Check the code with Clippy's lints (Ctrl+Shift+L)"
                    disabled=busy
                    on:click=move |_| on_action.run(Action::Clippy)
                >
                    "Clippy"
                </button>
            </Show>
            <Show when=can_fmt>
                <button
                    class="format-button"
                    title="Format the code with rustfmt (Ctrl+Shift+F; Ctrl+Z undoes it)"
                    disabled=busy
                    on:click=move |_| on_action.run(Action::Fmt)
                >
                    "Format"
                </button>
            </Show>
            <label class="tool-field">
                <span class="tool-label">"Show"</span>
                <select
                    class="view-select"
                    aria-label="Show a compiler view"
                    title="What the compiler makes of this code"
                    disabled=busy
                    on:change=move |ev| {
                        let chosen = VIEWS.into_iter().find(|v| v.name() == event_target_value(&ev));
                        views.chosen.set(chosen);
                        match chosen {
                            Some(view) => on_action.run(Action::View(view)),
                            None => views.output.set(None),
                        }
                    }
                >
                    <option value="" prop:selected=move || views.chosen.get().is_none()>"Compiler view…"</option>
                    {options}
                </select>
            </label>
        </div>
    }
}

/// The compiler view under a block: highlighted, searchable (Ctrl/Cmd-F, or the Search button),
/// with Copy, Refresh and Close. Hovering a line marks the source line it came from.
#[component]
pub fn ViewPanel(
    /// The view to show (nothing while it is `None`).
    views: ViewState,
    /// Called with the source file and line a hovered view line came from (`None` when none).
    on_source: Callback<Option<(String, u32)>>,
    /// Asks for the chosen view again, for the code as it is now.
    on_refresh: Callback<()>,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    move || {
        views.output.get().map(|output| {
            let control = EditorControl::new(&output.text);
            views.control.set_value(Some(control));
            copied.set(None);
            let map = StoredValue::new(output.source_map.clone());
            let on_hover = Callback::new(move |line: u32| {
                let source = map.with_value(|map| {
                    source_of(map, line).map(|(file, line)| (file.to_owned(), line))
                });
                on_source.run(source);
            });
            let hidden_shown = RwSignal::new(false);
            let title = output.view.title();
            let hint = if output.source_map.is_empty() {
                ""
            } else {
                "Click a line of the code to see what it became here; point at a line here to see where it came from."
            };
            view! {
                <section class="view-panel" aria-label=format!("{title} of this code")>
                    <header class="view-header">
                        <h4 class="view-title">{title}</h4>
                        <span class="view-actions">
                            <button class="view-search" title="Search the view (Ctrl+F in the view)" on:click=move |_| control.open_search()>
                                "Search"
                            </button>
                            <button
                                class="view-copy"
                                title="Copy the whole view to the clipboard"
                                on:click=move |_| {
                                    leptos::task::spawn_local(async move {
                                        copied.set(Some(control.copy().await));
                                    });
                                }
                            >
                                {move || match copied.get() {
                                    Some(true) => "Copied",
                                    Some(false) => "Copy failed",
                                    None => "Copy",
                                }}
                            </button>
                            <button class="view-refresh" title="Show it again for the code as it is now" on:click=move |_| on_refresh.run(())>
                                "Refresh"
                            </button>
                            <button class="view-close" title="Close this view" aria-label=format!("Close the {title}") on:click=move |_| views.close()>
                                "✕"
                            </button>
                        </span>
                    </header>
                    {(!hint.is_empty()).then(|| view! { <p class="view-hint">{hint}</p> })}
                    {output.truncated.then(|| view! { <p class="truncated">"… the view was cut at the output limit."</p> })}
                    <CodeEditor
                        control
                        hidden_lines=vec![]
                        editable=false
                        view=true
                        language=view_language(output.view)
                        label=format!("{title} (read-only; Ctrl+F searches)")
                        fallback_html=String::new()
                        hidden_shown
                        on_hover_line=on_hover
                    />
                </section>
            }
        })
    }
}
