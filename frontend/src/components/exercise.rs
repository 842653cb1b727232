//! An exercise: instructions, the student's editor, Test against the hidden tests with a result
//! per test, hints one at a time, and the solution behind a confirmation.

use api_types::{
    Action, ExecutionResult, Exercise, ExerciseRole, Outcome, ProjectFile, TestCase, TestStatus,
};
use leptos::prelude::*;

use crate::actions::request_for;
use crate::components::code_block::{
    CopyButton, HiddenLinesToggle, ResetButton, focus_in_block, line_count,
};
use crate::components::edits::BlockEdits;
use crate::components::progress::Recorder;
use crate::components::run_output::{CachedNote, Stage};
use crate::components::runner::Runner;
use crate::components::share::ShareControls;
use crate::components::tools::{FileTabs, SourceEditor, ToolBar, ViewState, apply_result};
use crate::editor::{CodeEditor, EditorControl};
use crate::lazy::{self, lazy_part};

/// What the tests said, in words for the student.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub headline: String,
    pub passed: bool,
    pub cases: Vec<TestCase>,
}

/// Reads a finished test run (the server reports each test): which tests passed, or why none
/// could run.
pub fn verdict(result: &ExecutionResult) -> Verdict {
    let cases = result.tests.clone();
    let total = cases
        .iter()
        .filter(|c| c.status != TestStatus::Ignored)
        .count();
    let passed = cases
        .iter()
        .filter(|c| c.status == TestStatus::Passed)
        .count();
    let headline = match &result.outcome {
        Outcome::Success if total > 0 => match total {
            1 => "The test passes. Well done!".to_owned(),
            n => format!("All {n} tests pass. Well done!"),
        },
        Outcome::Success => "It compiled, but there were no tests to run.".to_owned(),
        Outcome::CompileError => {
            "Your code does not compile yet, so the tests could not run. The marks in the editor show where.".to_owned()
        }
        _ if total > 0 => format!("{passed} of {total} tests pass. Read the failures below."),
        _ => result.explanation.clone(),
    };
    Verdict {
        headline,
        passed: result.outcome == Outcome::Success && total > 0,
        cases,
    }
}

/// An exercise block.
#[component]
pub fn ExerciseView(
    /// The exercise as sent by the server.
    exercise: Exercise,
) -> impl IntoView {
    let edits = BlockEdits::new(
        &exercise.id,
        Some(&format!("exercise-{}", exercise.index)),
        &exercise.starter,
        &exercise.starter_hidden_lines,
        &exercise.hash,
    );
    let control = edits.control;
    let main_path = StoredValue::new(exercise.path.clone());
    let source = SourceEditor::new(&exercise.path, edits);
    // A multi-file exercise's other starter files: a tab each, saved under `<id>/<path>`.
    let extra_starters: Vec<_> = exercise
        .extra_files
        .iter()
        .filter(|f| f.role == ExerciseRole::Starter)
        .cloned()
        .collect();
    let extras: Vec<SourceEditor> = extra_starters
        .iter()
        .map(|f| {
            let edits = BlockEdits::new(
                &format!("{}/{}", exercise.id, f.path),
                None,
                &f.code,
                &f.hidden_lines,
                &f.hash,
            );
            SourceEditor::new(&f.path, edits)
        })
        .collect();
    let editors = StoredValue::new(
        std::iter::once(source)
            .chain(extras.iter().copied())
            .collect::<Vec<_>>(),
    );
    let selected = RwSignal::new(0usize);
    let open_files = FileTabs { editors, selected };
    let whole = StoredValue::new(exercise.clone());
    let mode = RwSignal::new(exercise.run.mode);
    let views = ViewState::new();
    let runner = Runner::owned();
    let hidden_shown = RwSignal::new(false);
    let verdict_signal = RwSignal::new(None::<Verdict>);
    let progress = Recorder::new(&exercise.id);
    let hints_shown = RwSignal::new(0usize);
    let solution = RwSignal::new(SolutionState::Hidden);
    let runnable = exercise.problem.is_none();
    let settings = StoredValue::new(exercise.run.clone());
    let number = exercise.index + 1;
    let hint_count = exercise.hints.len();
    // The teacher can open the hints or the solution for the whole class.
    crate::room::student::on_unlock(&exercise.id, move |what| match what {
        api_types::room::Unlock::Hints => hints_shown.set(hint_count),
        api_types::room::Unlock::Solution => solution.set(SolutionState::Shown),
    });
    let hidden_count = exercise.starter_hidden_lines.len();
    let active = move || runner.active();
    // A runner this server lacks: the toolbar says why, and Run waits for nothing.
    let missing = crate::components::availability::missing_signal(settings.get_value().runner);

    // Shared with its tests, so whoever opens the link can press Test.
    let share_files = Callback::new(move |()| {
        let student: Vec<ProjectFile> = editors.with_value(|all| {
            all.iter()
                .map(|e| ProjectFile::new(e.path.get_value(), e.control().doc()))
                .collect()
        });
        whole.with_value(|e| e.test_project(&student))
    });
    let share_run = api_types::RunSettings {
        action: Action::Test,
        ..exercise.run.clone()
    };

    // How many lines the student's code had in the last run: later lines are the tests'.
    let ran_lines = StoredValue::new(0u32);
    // Test, Clippy, Build and the views compile the student's files with the tests added
    // (`Exercise::test_project`); Format formats only the student's files.
    let start = move |action: Action| {
        if !runnable {
            return;
        }
        let all = editors.get_value();
        let student: Vec<ProjectFile> = all
            .iter()
            .map(|e| ProjectFile::new(e.path.get_value(), e.control().doc()))
            .collect();
        let last_line = line_count(&control.doc());
        ran_lines.set_value(last_line);
        // Tests appended to a file come after the student's lines: marks there are not shown.
        for editor in &all {
            editor
                .last_line
                .set_value(line_count(&editor.control().doc()));
            editor.clear();
        }
        let files = if action == Action::Fmt {
            student
        } else {
            whole.with_value(|e| e.test_project(&student))
        };
        if action == Action::Test {
            verdict_signal.set(None);
        }
        let request = request_for(&settings.get_value(), mode.get_untracked(), action, files);
        runner.start(request, move |result: &ExecutionResult| {
            editors.with_value(|all| apply_result(result, action, all, views));
            if matches!(action, Action::Test | Action::Run | Action::Build) {
                progress.finished(result);
            }
            if action == Action::Test {
                let verdict = verdict(result);
                if verdict.passed {
                    progress.solved();
                }
                verdict_signal.set(Some(verdict));
            }
        });
    };
    let test = move || start(Action::Test);
    let on_run = Callback::new(move |()| test());
    let on_action = Callback::new(start);
    let on_format = Callback::new(move |()| start(Action::Fmt));
    let on_clippy = Callback::new(move |()| start(Action::Clippy));
    let on_cursor_line =
        Callback::new(move |line: u32| views.follow_source(&main_path.get_value(), line));
    let on_source = Callback::new(move |source: Option<(String, u32)>| {
        editors.with_value(|all| {
            for editor in all {
                let limit = editor.last_line.get_value();
                let line = source
                    .as_ref()
                    .filter(|(file, line)| editor.path.with_value(|p| p == file) && *line <= limit)
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
    let on_change = Callback::new(move |doc: String| edits.changed(&doc));
    let tests_control = EditorControl::new(&exercise.tests);
    let tests_open = RwSignal::new(false);
    let on_locate = Callback::new(move |(file, line, column): (String, u32, u32)| {
        if main_path.with_value(|p| *p != file) {
            open_files.go_to(&file, line, column);
            return;
        }
        selected.set(0);
        match tests_line(line, ran_lines.get_value()) {
            None => control.go_to(line, column),
            // A blank line separates the student's code from the tests (`exercise_program`).
            Some(in_tests) => {
                tests_open.set(true);
                tests_control.go_to(in_tests, column);
            }
        }
    });
    let hints = StoredValue::new(exercise.hints.clone());
    let solution_control = EditorControl::new(&exercise.solution);
    let solution_hidden = exercise.solution_hidden_lines.clone();
    let solution_shown_hidden = RwSignal::new(false);
    let solution_code = StoredValue::new(exercise.solution.clone());
    let solution_hidden_for_copy = StoredValue::new(exercise.solution_hidden_lines.clone());
    let tests_hidden = RwSignal::new(false);

    view! {
        <section class="exercise" id=api_types::block_anchor(&exercise.id) data-index=exercise.index aria-label=format!("Exercise {number}")>
            <header class="exercise-header">
                <h3>{format!("Exercise {number}")}</h3>
                <Show when=move || verdict_signal.with(|v| v.as_ref().is_some_and(|v| v.passed))>
                    <span class="solved-badge">"✔ Solved"</span>
                </Show>
            </header>
            <div class="prose exercise-instructions" inner_html=exercise.instructions.clone()></div>
            {exercise.problem.clone().map(|problem| {
                view! {
                    <p class="block-problem" role="note">
                        {format!("This exercise is not written correctly, so it can't be tested: {problem}")}
                    </p>
                }
            })}
            <figure class="code-block runnable">
                <figcaption class="code-toolbar">
                    <span class="code-language">
                        "Your code"
                        <Show when=move || edits.edited.get()>
                            <span class="edited-badge">" · edited"</span>
                        </Show>
                    </span>
                    <span class="code-actions">
                        <CopyButton text=Callback::new(move |()| open_files.open_text()) />
                        <HiddenLinesToggle count=hidden_count shown=hidden_shown />
                        <ResetButton edits title="Start again from the starter code" />
                        <ShareControls files=share_files run=share_run mode subject=format!("exercise {number}") />
                        <Show when=active>
                            <button class="kill-button" title="Stop the tests" on:click=move |event| {
                                focus_in_block(&event, ".run-button");
                                runner.kill();
                            }>
                                "■ Stop"
                            </button>
                        </Show>
                        <button
                            class="run-button test-button"
                            title="Run the tests against your code (Ctrl+Enter)"
                            aria-label=format!("Test exercise {number}")
                            // Busy: `aria-disabled`, so keyboard focus stays on the button.
                            disabled=move || missing.get().is_some() || !runnable
                            aria-disabled=move || active().to_string()
                            on:click=move |_| {
                                if !active() {
                                    test();
                                }
                            }
                        >
                            "✓ Test"
                        </button>
                    </span>
                </figcaption>
                {runnable
                    .then(|| {
                        view! { <ToolBar mode views on_action can_format=true busy=Signal::derive(active) runner=settings.get_value().runner /> }
                    })}
                {(!extras.is_empty())
                    .then(|| {
                        let paths = editors.with_value(|all| all.iter().map(|e| (e.path.get_value(), *e)).collect::<Vec<_>>());
                        view! {
                            <div class="file-tabs" role="tablist" aria-label="Files of this exercise">
                                {paths
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, (path, editor))| {
                                        let has_errors = Memo::new(move |_| editor.errors.get() > 0);
                                        view! {
                                            <button
                                                role="tab"
                                                class="file-tab"
                                                class:has-errors=has_errors
                                                aria-selected=move || (selected.get() == i).to_string()
                                                on:click=move |_| selected.set(i)
                                            >
                                                {path}
                                                <Show when=move || has_errors.get()>
                                                    <span class="tab-error" role="img" aria-label="has problems">" ⚠"</span>
                                                </Show>
                                            </button>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })}
                <div class="file-panel" role=(!extras.is_empty()).then_some("tabpanel") hidden=move || selected.get() != 0>
                    {lazy_part(
                        lazy::outdated_notice,
                        move || edits.pushed.with(Option::is_some) || edits.outdated.with(Option::is_some),
                        move |notice| notice(edits),
                    )}
                    <CodeEditor
                        control
                        hidden_lines=edits.initial_hidden.get_value()
                        editable=true
                        language="rust"
                        label="Your solution (Ctrl+Enter runs the tests; Esc then Tab leaves the editor)"
                        fallback_html=String::new()
                        hidden_shown
                        on_change
                        on_run
                        on_format
                        on_clippy
                        on_cursor_line
                    />
                </div>
                {extras
                    .iter()
                    .zip(&extra_starters)
                    .enumerate()
                    .map(|(i, (editor, file))| {
                        let editor = *editor;
                        let on_change = Callback::new(move |doc: String| editor.edits.changed(&doc));
                        let on_cursor_line = Callback::new(move |line: u32| views.follow_source(&editor.path.get_value(), line));
                        view! {
                            <div class="file-panel" role="tabpanel" hidden=move || selected.get() != i + 1>
                                {lazy_part(
                                    lazy::outdated_notice,
                                    move || editor.edits.pushed.with(Option::is_some) || editor.edits.outdated.with(Option::is_some),
                                    move |notice| notice(editor.edits),
                                )}
                                <CodeEditor
                                    control=editor.control()
                                    hidden_lines=editor.edits.initial_hidden.get_value()
                                    editable=true
                                    language=file.language.clone()
                                    label=format!("{} (Ctrl+Enter runs the tests)", file.path)
                                    fallback_html=String::new()
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
                    .collect_view()}
                // Fetched when a view is first asked for (`lazy.rs`).
                {lazy_part(
                    lazy::view_panel,
                    move || views.chosen.with(Option::is_some) || views.output.with(Option::is_some),
                    move |panel| panel(views, on_source, on_refresh),
                )}
                {move || verdict_signal.get().map(|v| view! { <TestResults verdict=v /> })}
                // Outside the collapsed output, so a cached verdict is never taken for a fresh one.
                <CachedNote view=runner.view on_run_again=Some(runner.on_run_again()) />
                <Show when=move || runner.shown.get()>
                    <details class="test-output" open=move || runner.view.with(|v| matches!(v.stage, Stage::Failed(_)))>
                        <summary>"Compiler and test output"</summary>
                        {runner.pane(on_locate, false)}
                    </details>
                    <Show when=active>
                        <p class="run-status active" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            " Testing your code…"
                        </p>
                    </Show>
                </Show>
            </figure>
            <details
                class="exercise-tests"
                prop:open=tests_open
                on:toggle=move |ev| tests_open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())
            >
                <summary>"The tests your code must pass"</summary>
                {(!exercise.tests.is_empty())
                    .then(|| {
                        view! {
                            <CodeEditor
                                control=tests_control
                                hidden_lines=vec![]
                                editable=false
                                language="rust"
                                label="The exercise's tests (read-only)"
                                fallback_html=String::new()
                                hidden_shown=tests_hidden
                            />
                        }
                    })}
                {exercise
                    .extra_files
                    .iter()
                    .filter(|f| f.role == ExerciseRole::Tests)
                    .map(|f| {
                        view! {
                            <p class="tests-file">{f.path.clone()}</p>
                            <CodeEditor
                                control=EditorControl::new(&f.code)
                                hidden_lines=vec![]
                                editable=false
                                language=f.language.clone()
                                label=format!("Tests in {} (read-only)", f.path)
                                fallback_html=String::new()
                                hidden_shown=RwSignal::new(false)
                            />
                        }
                    })
                    .collect_view()}
            </details>
            <div class="exercise-help">
                <ol class="hints">
                    {move || {
                        hints
                            .with_value(|all| all.iter().take(hints_shown.get()).cloned().collect::<Vec<_>>())
                            .into_iter()
                            .enumerate()
                            .map(|(i, html)| {
                                view! {
                                    <li class="hint">
                                        <strong>{format!("Hint {}: ", i + 1)}</strong>
                                        <div class="prose" inner_html=html></div>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
                <div class="exercise-buttons">
                    <Show when=move || { hints_shown.get() < hint_count }>
                        <button class="hint-button" on:click=move |_| hints_shown.update(|n| *n += 1)>
                            {move || {
                                let next = hints_shown.get() + 1;
                                if next == 1 {
                                    format!("Show a hint (1 of {hint_count})")
                                } else {
                                    format!("Show another hint ({next} of {hint_count})")
                                }
                            }}
                        </button>
                    </Show>
                    <Show when=move || solution.get() == SolutionState::Hidden>
                        <button class="solution-button" on:click=move |_| solution.set(SolutionState::Confirming)>
                            "Show the solution"
                        </button>
                    </Show>
                </div>
                <Show when=move || solution.get() == SolutionState::Confirming>
                    <div class="solution-confirm" role="alertdialog" aria-label="Show the solution?">
                        <p>
                            "You learn most by getting there yourself: a hint might be all you need. Show the solution anyway?"
                        </p>
                        <button class="confirm-solution danger" on:click=move |_| solution.set(SolutionState::Shown)>
                            "Yes, show the solution"
                        </button>
                        <button on:click=move |_| solution.set(SolutionState::Hidden)>"Keep trying"</button>
                    </div>
                </Show>
                <Show when=move || solution.get() == SolutionState::Shown>
                    <figure class="code-block solution">
                        <figcaption class="code-toolbar">
                            <span class="code-language">"Reference solution"</span>
                            <span class="code-actions">
                                <button
                                    class="use-solution"
                                    title="Replace your code with the solution (Reset brings back the starter)"
                                    on:click=move |_| {
                                        let code = solution_code.get_value();
                                        control.set_doc(&code, &solution_hidden_for_copy.get_value());
                                        edits.changed(&code);
                                        // The other files of a multi-file exercise, by path.
                                        let files = whole.with_value(|e| e.solution_files());
                                        for editor in editors.get_value().into_iter().skip(1) {
                                            let path = editor.path.get_value();
                                            if let Some(file) = files.iter().find(|f| f.path == path) {
                                                editor.control().set_doc(&file.contents, &[]);
                                                editor.edits.changed(&file.contents);
                                            }
                                        }
                                    }
                                >
                                    "Copy into my editor"
                                </button>
                            </span>
                        </figcaption>
                        <CodeEditor
                            control=solution_control
                            hidden_lines=solution_hidden.clone()
                            editable=false
                            language="rust"
                            label="The reference solution"
                            fallback_html=String::new()
                            hidden_shown=solution_shown_hidden
                        />
                    </figure>
                </Show>
            </div>
        </section>
    }
}

/// Where a line of the Test program falls: `None` in the student's code (`student_lines` long),
/// or the line within the tests, which follow after one blank line.
pub fn tests_line(line: u32, student_lines: u32) -> Option<u32> {
    line.checked_sub(student_lines + 1).filter(|&l| l > 0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SolutionState {
    Hidden,
    Confirming,
    Shown,
}

/// The list of tests with a mark each, and each failure's message.
#[component]
fn TestResults(
    /// What the last test run said.
    verdict: Verdict,
) -> impl IntoView {
    let class = if verdict.passed {
        "test-results passed"
    } else {
        "test-results failed"
    };
    view! {
        <div class=class role="status" aria-live="polite">
            <p class="test-headline">{verdict.headline}</p>
            <ul class="test-cases">
                {verdict
                    .cases
                    .into_iter()
                    .map(|case| {
                        let (mark, class) = match case.status {
                            TestStatus::Passed => ("✔", "test-case passed"),
                            TestStatus::Failed => ("✘", "test-case failed"),
                            TestStatus::Ignored => ("–", "test-case ignored"),
                        };
                        let name = case.name.strip_prefix("tests::").unwrap_or(&case.name).to_owned();
                        view! {
                            <li class=class>
                                <span class="test-mark" aria-hidden="true">{mark}</span>
                                <code class="test-name">{name}</code>
                                {(!case.message.is_empty()).then(|| view! { <pre class="test-message">{case.message.clone()}</pre> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::Timings;

    fn result(outcome: Outcome, tests: &[(&str, TestStatus, &str)]) -> ExecutionResult {
        ExecutionResult {
            outcome,
            explanation: "The program stopped.".into(),
            diagnostics: vec![],
            timings: Timings::default(),
            stdout_truncated: false,
            stderr_truncated: false,
            tests: tests
                .iter()
                .map(|(name, status, message)| TestCase {
                    name: (*name).into(),
                    status: *status,
                    message: (*message).into(),
                })
                .collect(),
            view: None,
            files: vec![],
        }
    }

    const TWO_OF_THREE: &[(&str, TestStatus, &str)] = &[
        ("tests::a", TestStatus::Passed, ""),
        (
            "tests::b",
            TestStatus::Failed,
            "thread 'tests::b' panicked at src/main.rs:9:5:\nexpected 4",
        ),
        ("tests::c", TestStatus::Passed, ""),
        ("tests::d", TestStatus::Ignored, ""),
    ];

    #[test]
    fn lines_past_the_students_code_are_in_the_tests() {
        assert_eq!(tests_line(3, 10), None);
        assert_eq!(tests_line(10, 10), None);
        assert_eq!(tests_line(11, 10), None, "the blank separator line");
        assert_eq!(tests_line(12, 10), Some(1));
        assert_eq!(tests_line(20, 10), Some(9));
    }

    #[test]
    fn verdicts_count_tests_and_explain() {
        let failing = verdict(&result(
            Outcome::ExitFailure { exit_code: 101 },
            TWO_OF_THREE,
        ));
        assert_eq!(
            failing.headline,
            "2 of 3 tests pass. Read the failures below."
        );
        assert!(!failing.passed);
        assert_eq!(
            failing.cases[1].message,
            "thread 'tests::b' panicked at src/main.rs:9:5:\nexpected 4"
        );

        let passing = verdict(&result(
            Outcome::Success,
            &[
                ("tests::a", TestStatus::Passed, ""),
                ("tests::b", TestStatus::Passed, ""),
            ],
        ));
        assert_eq!(passing.headline, "All 2 tests pass. Well done!");
        assert!(passing.passed);

        let broken = verdict(&result(Outcome::CompileError, &[]));
        assert!(
            broken
                .headline
                .starts_with("Your code does not compile yet")
        );
        assert!(!broken.passed);

        let timed_out = verdict(&result(Outcome::Killed, &[]));
        assert_eq!(timed_out.headline, "The program stopped.");
    }
}
