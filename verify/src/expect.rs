//! Whether what the sandbox reports is what the block promises, and if not, a sentence an author
//! can act on: the first compiler error, the panic, the failing test, with the chapter line.

use api_types::{Action, Channel, Outcome, Phase, TestStatus, parse_test_report};
use course::Expectation;
use sandbox::Report;

use crate::plan::{LineMap, runner_name};

/// What a check requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// Compiles and `main` exits with status 0.
    RunsCleanly,
    /// Compiles, and `main` panics (exit status 101).
    Panics,
    /// The compiler rejects it.
    FailsToCompile,
    /// Compiles (not run).
    Compiles,
    /// Compiles with `--test` and every test passes.
    TestsPass,
    /// An exercise's starter: its tests must not all pass (failing to compile counts).
    TestsDoNotPass,
}

impl From<Expectation> for Expected {
    fn from(expectation: Expectation) -> Expected {
        match expectation {
            Expectation::RunsCleanly => Expected::RunsCleanly,
            Expectation::Panics => Expected::Panics,
            Expectation::FailsToCompile => Expected::FailsToCompile,
            Expectation::Compiles => Expected::Compiles,
            Expectation::TestsPass => Expected::TestsPass,
        }
    }
}

impl Expected {
    /// What the sandbox is asked to do.
    pub fn action(self) -> Action {
        match self {
            Expected::RunsCleanly | Expected::Panics => Action::Run,
            Expected::FailsToCompile | Expected::Compiles => Action::Build,
            Expected::TestsPass | Expected::TestsDoNotPass => Action::Test,
        }
    }

    /// `should run cleanly`, as in "example should run cleanly but ...".
    pub fn describe(self) -> &'static str {
        match self {
            Expected::RunsCleanly => "should run cleanly",
            Expected::Panics => "should panic (`should_panic`)",
            Expected::FailsToCompile => "should fail to compile (`compile_fail`)",
            Expected::Compiles => "should compile (`no_run`)",
            Expected::TestsPass => "should pass its tests",
            Expected::TestsDoNotPass => "should not pass the tests",
        }
    }

    /// A stable name, for the cache key.
    pub fn key(self) -> &'static str {
        match self {
            Expected::RunsCleanly => "runs-cleanly",
            Expected::Panics => "panics",
            Expected::FailsToCompile => "fails-to-compile",
            Expected::Compiles => "compiles",
            Expected::TestsPass => "tests-pass",
            Expected::TestsDoNotPass => "tests-do-not-pass",
        }
    }
}

/// How a check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As expected; `what happened` in a few words (shown with `--verbose`).
    Passed(String),
    /// Not as expected: `<what> <expected> but <this>`.
    Failed(String),
    /// The sandbox has no runner for this channel.
    Skipped(Channel),
}

/// Judges `report` against `expected`. `lines` maps program lines to chapter lines.
pub fn judge(expected: Expected, report: &Report, lines: &LineMap) -> Verdict {
    let outcome = &report.result.outcome;
    if let Outcome::RunnerUnavailable { channel } = outcome {
        return Verdict::Skipped(*channel);
    }
    let happened = what_happened(expected.action(), report, lines);
    let passed = match expected {
        Expected::RunsCleanly | Expected::Compiles | Expected::TestsPass => {
            *outcome == Outcome::Success
        }
        Expected::Panics => *outcome == Outcome::ExitFailure { exit_code: 101 },
        Expected::FailsToCompile => *outcome == Outcome::CompileError,
        Expected::TestsDoNotPass => *outcome != Outcome::Success,
    };
    if passed {
        Verdict::Passed(happened)
    } else {
        Verdict::Failed(format!("{} but {happened}", expected.describe()))
    }
}

/// `failed to compile: error[E0308]: mismatched types at line 47`, `panicked at line 12: boom`,
/// `1 of 3 tests failed: ...`: the outcome in words, with the detail that locates it.
fn what_happened(action: Action, report: &Report, lines: &LineMap) -> String {
    let at = |line: Option<usize>| match line.and_then(|l| lines.file_line(l)) {
        Some(line) => format!(" at line {line}"),
        None => String::new(),
    };
    match &report.result.outcome {
        Outcome::Success => match action {
            Action::Run => "it ran cleanly".to_owned(),
            Action::Build => "it compiled".to_owned(),
            Action::Test => {
                let cases = parse_test_report(&report.stdout);
                format!("all {} tests passed", cases.len())
            }
        },
        Outcome::CompileError => {
            let first = report
                .result
                .diagnostics
                .iter()
                .find(|d| d.level == "error");
            match first {
                Some(error) => {
                    let code = error
                        .code
                        .as_ref()
                        .map(|c| format!("[{c}]"))
                        .unwrap_or_default();
                    let line = error
                        .spans
                        .iter()
                        .find(|s| s.is_primary)
                        .or(error.spans.first())
                        .map(|s| s.line_start as usize);
                    format!(
                        "it failed to compile: error{code}: {}{}",
                        error.message,
                        at(line)
                    )
                }
                None => format!(
                    "it failed to compile: {}",
                    first_line(&report.compiler).unwrap_or("(no compiler message)")
                ),
            }
        }
        Outcome::ExitFailure { exit_code } if action == Action::Test => {
            let cases = parse_test_report(&report.stdout);
            let failed: Vec<_> = cases
                .iter()
                .filter(|c| c.status == TestStatus::Failed)
                .collect();
            match failed.first() {
                Some(case) => {
                    let (line, message) = panic_of(&case.message);
                    let message = message.map(|m| format!(": {m}")).unwrap_or_default();
                    format!(
                        "{} of {} tests failed: `{}` panicked{}{message}",
                        failed.len(),
                        cases.len(),
                        case.name,
                        at(line)
                    )
                }
                None => format!("the tests exited with status {exit_code}"),
            }
        }
        Outcome::ExitFailure { exit_code: 101 } => {
            let (line, message) = panic_of(&report.stderr);
            let message = message.map(|m| format!(": {m}")).unwrap_or_default();
            format!("it panicked{}{message}", at(line))
        }
        Outcome::ExitFailure { exit_code } => {
            let last = report.stderr.lines().rev().find(|l| !l.trim().is_empty());
            let last = last.map(|l| format!(" ({})", l.trim())).unwrap_or_default();
            format!("it exited with status {exit_code}{last}")
        }
        Outcome::Signaled { signal } => format!("it was killed by signal {signal}"),
        Outcome::TimedOut { phase, limit_ms } => {
            let phase = match phase {
                Phase::Compile => "compiling",
                Phase::Run => "running",
                Phase::Queue => "waiting for the sandbox",
            };
            format!("it timed out {phase} (limit {} s)", limit_ms / 1000)
        }
        Outcome::OutOfMemory { limit_mb } => format!("it ran out of memory ({limit_mb} MiB)"),
        Outcome::Killed => format!("it was stopped ({})", report.result.explanation),
        Outcome::RunnerUnavailable { channel } => {
            format!("the `{}` runner is not installed", runner_name(*channel))
        }
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// The program line and message of the first panic in `text` (libtest or a program's stderr):
/// `thread 'main' (7) panicked at main.rs:3:5:` then the message on the next line.
fn panic_of(text: &str) -> (Option<usize>, Option<String>) {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((_, place)) = line.split_once(" panicked at ") else {
            continue;
        };
        // `main.rs:3:5:`; a panic inside a library points elsewhere and has no chapter line.
        let mut fields = place.trim_end_matches(':').rsplitn(3, ':');
        let (_column, line, file) = (fields.next(), fields.next(), fields.next());
        let program_line = line
            .filter(|_| file.is_some_and(|f| f == "main.rs" || f.ends_with("/main.rs")))
            .and_then(|l| l.parse().ok());
        let message = lines.next().map(str::trim).filter(|m| !m.is_empty());
        return (program_line, message.map(str::to_owned));
    }
    (None, first_line(text).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::{Diagnostic, DiagnosticSpan, ExecutionResult, Timings};

    fn report(outcome: Outcome, stdout: &str, stderr: &str) -> Report {
        Report {
            stdout: stdout.into(),
            stderr: stderr.into(),
            compiler: String::new(),
            result: ExecutionResult {
                outcome,
                explanation: "Explained.".into(),
                diagnostics: Vec::new(),
                timings: Timings::default(),
                stdout_truncated: false,
                stderr_truncated: false,
            },
        }
    }

    /// A block whose code starts at chapter line 11.
    fn lines() -> LineMap {
        crate::testing::line_map(&[(1, 20, 11)])
    }

    fn failed(expected: Expected, report: &Report) -> String {
        match judge(expected, report, &lines()) {
            Verdict::Failed(message) => message,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_right_outcome_passes() {
        let cases = [
            (Expected::RunsCleanly, Outcome::Success),
            (Expected::Compiles, Outcome::Success),
            (Expected::TestsPass, Outcome::Success),
            (Expected::Panics, Outcome::ExitFailure { exit_code: 101 }),
            (Expected::FailsToCompile, Outcome::CompileError),
            (
                Expected::TestsDoNotPass,
                Outcome::ExitFailure { exit_code: 101 },
            ),
            (Expected::TestsDoNotPass, Outcome::CompileError),
            (
                Expected::TestsDoNotPass,
                Outcome::TimedOut {
                    phase: Phase::Run,
                    limit_ms: 10_000,
                },
            ),
        ];
        for (expected, outcome) in cases {
            let verdict = judge(expected, &report(outcome.clone(), "", ""), &lines());
            assert!(
                matches!(verdict, Verdict::Passed(_)),
                "{expected:?} {outcome:?}: {verdict:?}"
            );
        }
        assert_eq!(
            judge(
                Expected::Panics,
                &report(
                    Outcome::RunnerUnavailable {
                        channel: Channel::Miri
                    },
                    "",
                    ""
                ),
                &lines()
            ),
            Verdict::Skipped(Channel::Miri)
        );
    }

    #[test]
    fn a_compile_error_names_the_first_error_and_its_chapter_line() {
        let mut compile_error = report(Outcome::CompileError, "", "");
        let diagnostic = |level: &str, message: &str, code: Option<&str>, line: u32| Diagnostic {
            level: level.into(),
            message: message.into(),
            code: code.map(Into::into),
            spans: vec![DiagnosticSpan {
                line_start: line,
                line_end: line,
                column_start: 1,
                column_end: 2,
                is_primary: true,
                label: None,
            }],
            rendered: String::new(),
        };
        compile_error.result.diagnostics = vec![
            diagnostic("warning", "unused variable", None, 1),
            diagnostic("error", "mismatched types", Some("E0308"), 3),
            diagnostic("error", "aborting", None, 5),
        ];
        assert_eq!(
            failed(Expected::RunsCleanly, &compile_error),
            "should run cleanly but it failed to compile: error[E0308]: mismatched types at line 13"
        );
        let mut no_json = report(Outcome::CompileError, "", "");
        no_json.compiler = "\nerror: linking with `cc` failed\nmore\n".into();
        assert_eq!(
            failed(Expected::Compiles, &no_json),
            "should compile (`no_run`) but it failed to compile: error: linking with `cc` failed"
        );
    }

    #[test]
    fn a_panic_names_its_message_and_line() {
        let panicked = report(
            Outcome::ExitFailure { exit_code: 101 },
            "",
            "thread 'main' (7) panicked at main.rs:4:5:\nindex out of bounds: the len is 3 but the index is 7\nnote: run with `RUST_BACKTRACE=1`\n",
        );
        assert_eq!(
            failed(Expected::RunsCleanly, &panicked),
            "should run cleanly but it panicked at line 14: index out of bounds: the len is 3 but the index is 7"
        );
        assert_eq!(
            failed(Expected::Panics, &report(Outcome::Success, "", "")),
            "should panic (`should_panic`) but it ran cleanly"
        );
        assert_eq!(
            failed(
                Expected::FailsToCompile,
                &report(Outcome::ExitFailure { exit_code: 3 }, "", "oops\n\n")
            ),
            "should fail to compile (`compile_fail`) but it exited with status 3 (oops)"
        );
        assert_eq!(
            failed(Expected::FailsToCompile, &report(Outcome::Success, "", "")),
            "should fail to compile (`compile_fail`) but it compiled"
        );
    }

    #[test]
    fn failing_tests_are_named() {
        let stdout = "\nrunning 2 tests\ntest adds ... ok\ntest subtracts ... FAILED\n\nfailures:\n\n---- subtracts stdout ----\n\nthread 'subtracts' (9) panicked at main.rs:7:5:\nassertion `left == right` failed\n  left: 1\n right: 2\n\nfailures:\n    subtracts\n\ntest result: FAILED. 1 passed; 1 failed\n";
        let tests_failed = report(Outcome::ExitFailure { exit_code: 101 }, stdout, "");
        assert_eq!(
            failed(Expected::TestsPass, &tests_failed),
            "should pass its tests but 1 of 2 tests failed: `subtracts` panicked at line 17: assertion `left == right` failed"
        );
        let passed = report(
            Outcome::Success,
            "test a ... ok\ntest b ... ok\ntest c ... ok\n",
            "",
        );
        assert_eq!(
            failed(Expected::TestsDoNotPass, &passed),
            "should not pass the tests but all 3 tests passed"
        );
        assert_eq!(
            judge(Expected::TestsDoNotPass, &tests_failed, &lines()),
            Verdict::Passed(
                "1 of 2 tests failed: `subtracts` panicked at line 17: assertion `left == right` failed".into()
            )
        );
    }
}
