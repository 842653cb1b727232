//! An exercise: instructions, the student's editor, Test against the hidden tests with a result
//! per test, hints one at a time, and the solution behind a confirmation.

use api_types::{
    Action, ExecutionResult, Exercise, Outcome, TestCase, TestStatus, exercise_program,
    parse_test_report,
};
use leptos::prelude::*;

use crate::components::code_block::{HiddenLinesToggle, ResetButton, line_count, request_for};
use crate::components::edits::{BlockEdits, OutdatedNotice};
use crate::components::run_output::{RunOutput, Stage};
use crate::components::runner::Runner;
use crate::editor::{CodeEditor, EditorControl};

/// What the tests said, in words for the student.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub headline: String,
    pub passed: bool,
    pub cases: Vec<TestCase>,
}

/// Reads a finished test run: which tests passed, or why none could run.
pub fn verdict(result: &ExecutionResult, stdout: &str) -> Verdict {
    let cases = parse_test_report(stdout);
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
        &format!("exercise-{}", exercise.index),
        &exercise.starter,
        &exercise.starter_hidden_lines,
        &exercise.hash,
    );
    let control = edits.control;
    let runner = Runner::owned();
    let hidden_shown = RwSignal::new(false);
    let verdict_signal = RwSignal::new(None::<Verdict>);
    let hints_shown = RwSignal::new(0usize);
    let solution = RwSignal::new(SolutionState::Hidden);
    let runnable = exercise.problem.is_none();
    let settings = exercise.run;
    let tests = StoredValue::new(exercise.tests.clone());
    let number = exercise.index + 1;
    let hint_count = exercise.hints.len();
    let hidden_count = exercise.starter_hidden_lines.len();
    let active = move || runner.active();

    // How many lines the student's code had in the last run: later lines are the tests'.
    let ran_lines = StoredValue::new(0u32);
    let test = move || {
        if !runnable {
            return;
        }
        let code = control.doc();
        let last_line = line_count(&code);
        ran_lines.set_value(last_line);
        let program = exercise_program(&code, &tests.get_value());
        control.clear_diagnostics();
        verdict_signal.set(None);
        runner.start(
            request_for(settings, program, Action::Test),
            move |result: &ExecutionResult| {
                control.show_diagnostics(&result.diagnostics, last_line);
                let stdout = runner.view.with_untracked(|v| v.stdout());
                verdict_signal.set(Some(verdict(result, &stdout)));
            },
        );
    };
    let on_run = Callback::new(move |()| test());
    let on_change = Callback::new(move |doc: String| edits.changed(&doc));
    let tests_control = EditorControl::new(&exercise.tests);
    let tests_open = RwSignal::new(false);
    let on_locate = Callback::new(move |(line, column): (u32, u32)| {
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
        <section class="exercise" data-index=exercise.index aria-label=format!("Exercise {number}")>
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
                        <HiddenLinesToggle count=hidden_count shown=hidden_shown />
                        <ResetButton edits title="Start again from the starter code" />
                        <Show when=active>
                            <button class="kill-button" title="Stop the tests" on:click=move |_| runner.kill()>
                                "■ Stop"
                            </button>
                        </Show>
                        <button
                            class="run-button test-button"
                            title="Run the tests against your code (Ctrl+Enter)"
                            disabled=move || active() || !runnable
                            on:click=move |_| test()
                        >
                            "✓ Test"
                        </button>
                    </span>
                </figcaption>
                <OutdatedNotice edits />
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
                />
                {move || verdict_signal.get().map(|v| view! { <TestResults verdict=v /> })}
                <Show when=move || runner.shown.get()>
                    <details class="test-output" open=move || runner.view.with(|v| matches!(v.stage, Stage::Failed(_)))>
                        <summary>"Compiler and test output"</summary>
                        <RunOutput
                            view=runner.view
                            elapsed=runner.elapsed
                            on_stdin=runner.on_stdin()
                            on_close_stdin=runner.on_close_stdin()
                            on_locate
                        />
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
                <CodeEditor
                    control=tests_control
                    hidden_lines=vec![]
                    editable=false
                    language="rust"
                    label="The exercise's tests (read-only)"
                    fallback_html=String::new()
                    hidden_shown=tests_hidden
                />
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

    fn result(outcome: Outcome) -> ExecutionResult {
        ExecutionResult {
            outcome,
            explanation: "The program stopped.".into(),
            diagnostics: vec![],
            timings: Timings::default(),
            stdout_truncated: false,
            stderr_truncated: false,
        }
    }

    const TWO_OF_THREE: &str = "running 3 tests\ntest tests::a ... ok\ntest tests::b ... FAILED\ntest tests::c ... ok\n\nfailures:\n\n---- tests::b stdout ----\nthread 'tests::b' panicked at src/main.rs:9:5:\nexpected 4\n\nfailures:\n    tests::b\n\ntest result: FAILED. 2 passed; 1 failed\n";

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
        let failing = verdict(
            &result(Outcome::ExitFailure { exit_code: 101 }),
            TWO_OF_THREE,
        );
        assert_eq!(
            failing.headline,
            "2 of 3 tests pass. Read the failures below."
        );
        assert!(!failing.passed);
        assert_eq!(
            failing.cases[1].message,
            "thread 'tests::b' panicked at src/main.rs:9:5:\nexpected 4"
        );

        let passing = verdict(
            &result(Outcome::Success),
            "running 2 tests\ntest tests::a ... ok\ntest tests::b ... ok\n",
        );
        assert_eq!(passing.headline, "All 2 tests pass. Well done!");
        assert!(passing.passed);

        let broken = verdict(&result(Outcome::CompileError), "");
        assert!(
            broken
                .headline
                .starts_with("Your code does not compile yet")
        );
        assert!(!broken.passed);

        let timed_out = verdict(&result(Outcome::Killed), "");
        assert_eq!(timed_out.headline, "The program stopped.");
    }
}
