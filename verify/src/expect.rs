//! Whether what the sandbox reports is what the block promises, and if not, a sentence an author
//! can act on: the first compiler error, the panic, the failing test, with the chapter line.

use api_types::{
    Action, Diagnostic, Outcome, Phase, RunnerId, TestCase, TestStatus, parse_test_report,
};
use course::Expectation;
use sandbox::Report;

use crate::plan::{Check, LineMap};

/// What a check requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// Compiles and `main` exits with status 0.
    RunsCleanly,
    /// Compiles, and `main` panics (exit status 101).
    Panics,
    /// The compiler rejects it.
    FailsToCompile,
    /// Compiles (not run), or compiles under Clippy.
    Compiles,
    /// Compiles with `--test` and every test passes.
    TestsPass,
    /// An exercise's starter: it compiles with the tests, and they do not all pass. A compile
    /// error does not count: the author guide promises a starter the student can run, and a
    /// starter that fails to build for any reason (a typo, a sandbox fault) would pass silently.
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
    /// `should run cleanly`, as in "example should run cleanly but ...".
    pub fn describe(self) -> &'static str {
        match self {
            Expected::RunsCleanly => "should run cleanly",
            Expected::Panics => "should panic (`should_panic`)",
            Expected::FailsToCompile => "should fail to compile (`compile_fail`)",
            Expected::Compiles => "should compile (`no_run`)",
            Expected::TestsPass => "should pass its tests",
            Expected::TestsDoNotPass => "should compile with the tests and fail them",
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
    /// The sandbox has no image for this runner.
    Skipped(RunnerId),
}

/// Judges `report` against what `check` expects, with the chapter's lines in the message.
pub fn judge(check: &Check, report: &Report) -> Verdict {
    let expected = check.expected;
    let outcome = &report.result.outcome;
    if let Outcome::RunnerUnavailable { runner } = outcome {
        return Verdict::Skipped(runner.clone());
    }
    let happened = what_happened(check.job.action, report, &check.lines);
    let passed = match expected {
        Expected::RunsCleanly | Expected::Compiles | Expected::TestsPass => {
            *outcome == Outcome::Success
        }
        Expected::Panics => *outcome == Outcome::ExitFailure { exit_code: 101 },
        Expected::FailsToCompile => *outcome == Outcome::CompileError,
        Expected::TestsDoNotPass => !matches!(outcome, Outcome::Success | Outcome::CompileError),
    };
    if !passed {
        return Verdict::Failed(format!("{} but {happened}", expected.describe()));
    }
    if expected == Expected::FailsToCompile {
        return error_codes_verdict(&check.error_codes, report, &check.lines, happened);
    }
    Verdict::Passed(happened)
}

/// For `compile_fail,E0499`: every listed code must be among the errors rustc reported, so a
/// block that starts failing for another reason (a typo, a changed compiler) is caught.
fn error_codes_verdict(
    codes: &[String],
    report: &Report,
    lines: &LineMap,
    happened: String,
) -> Verdict {
    let errors: Vec<&Diagnostic> = report
        .result
        .diagnostics
        .iter()
        .filter(|d| d.level.is_error())
        .collect();
    let reported: Vec<&str> = errors.iter().filter_map(|d| d.code.as_deref()).collect();
    let missing: Vec<&str> = codes
        .iter()
        .map(String::as_str)
        .filter(|code| !reported.contains(code))
        .collect();
    if missing.is_empty() {
        return Verdict::Passed(happened);
    }
    let listed = |codes: &[&str]| codes.join(", ");
    let instead = match reported.as_slice() {
        [] => "rustc reported no error code".to_owned(),
        some => {
            let mut unique: Vec<&str> = some.to_vec();
            unique.dedup();
            format!("rustc reported {} instead", listed(&unique))
        }
    };
    let first = errors
        .first()
        .map(|error| format!(" (first: {})", describe_error(error, lines)))
        .unwrap_or_default();
    Verdict::Failed(format!(
        "should fail to compile with {} (`compile_fail,{}`) but {instead}{first}",
        listed(&missing),
        listed(&codes.iter().map(String::as_str).collect::<Vec<_>>()).replace(", ", ",")
    ))
}

/// `error[E0308]: mismatched types at line 47`.
fn describe_error(error: &Diagnostic, lines: &LineMap) -> String {
    let code = error
        .code
        .as_ref()
        .map(|c| format!("[{c}]"))
        .unwrap_or_default();
    let span = error
        .spans
        .iter()
        .find(|s| s.is_primary)
        .or(error.spans.first());
    let at = span
        .and_then(|s| lines.file_line(&s.file, s.line_start as usize))
        .map(|line| format!(" at line {line}"))
        .unwrap_or_default();
    format!("error{code}: {}{at}", error.message)
}

/// The tests the harness reported: parsed by the server when it did, else from the output.
fn test_cases(report: &Report) -> Vec<TestCase> {
    if report.result.tests.is_empty() {
        parse_test_report(&report.stdout)
    } else {
        report.result.tests.clone()
    }
}

/// `failed to compile: error[E0308]: mismatched types at line 47`, `panicked at line 12: boom`,
/// `1 of 3 tests failed: ...`: the outcome in words, with the detail that locates it.
fn what_happened(action: Action, report: &Report, lines: &LineMap) -> String {
    let at = |place: Option<(String, usize)>| match place
        .and_then(|(file, line)| lines.file_line(&file, line))
    {
        Some(line) => format!(" at line {line}"),
        None => String::new(),
    };
    match &report.result.outcome {
        Outcome::Success => match action {
            Action::Run => "it ran cleanly".to_owned(),
            Action::Test => format!("all {} tests passed", test_cases(report).len()),
            Action::Clippy => "it compiled under Clippy".to_owned(),
            _ => "it compiled".to_owned(),
        },
        Outcome::CompileError => {
            let first = report
                .result
                .diagnostics
                .iter()
                .find(|d| d.level.is_error());
            match first {
                Some(error) => format!("it failed to compile: {}", describe_error(error, lines)),
                None => format!(
                    "it failed to compile: {}",
                    first_line(&report.compiler).unwrap_or("(no compiler message)")
                ),
            }
        }
        Outcome::ExitFailure { exit_code } if action == Action::Test => {
            let cases = test_cases(report);
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
        Outcome::RunnerUnavailable { runner } => {
            format!("the `{runner}` runner is not installed")
        }
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// The file, line and message of the first panic in `text` (libtest or a program's stderr):
/// `thread 'main' (7) panicked at src/main.rs:3:5:` then the message on the next line.
fn panic_of(text: &str) -> (Option<(String, usize)>, Option<String>) {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((_, place)) = line.split_once(" panicked at ") else {
            continue;
        };
        // `src/main.rs:3:5:`; a panic inside a library names a file the chapter does not
        // have, so the line map finds no chapter line for it.
        let mut fields = place.trim_end_matches(':').rsplitn(3, ':');
        let (_column, line, file) = (fields.next(), fields.next(), fields.next());
        let place = file.zip(line.and_then(|l| l.parse().ok()));
        let message = lines.next().map(str::trim).filter(|m| !m.is_empty());
        return (
            place.map(|(file, line)| (file.to_owned(), line)),
            message.map(str::to_owned),
        );
    }
    (None, first_line(text).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::{DiagnosticSpan, ExecutionResult, Level, Timings};

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
                tests: Vec::new(),
                view: None,
                files: Vec::new(),
            },
        }
    }

    /// A block whose code starts at chapter line 11.
    fn lines() -> LineMap {
        crate::testing::line_map(&[("src/main.rs", 1, 20, 11)])
    }

    /// A check of a block that expects `expected`, sent with the action verification uses.
    fn check_for(expected: Expected) -> Check {
        let mut check = crate::testing::check("fn main() {}");
        check.expected = expected;
        check.job.action = match expected {
            Expected::RunsCleanly | Expected::Panics => Action::Run,
            Expected::FailsToCompile | Expected::Compiles => Action::Build,
            Expected::TestsPass | Expected::TestsDoNotPass => Action::Test,
        };
        check.lines = lines();
        check
    }

    fn verdict(expected: Expected, report: &Report) -> Verdict {
        judge(&check_for(expected), report)
    }

    fn failed(expected: Expected, report: &Report) -> String {
        match verdict(expected, report) {
            Verdict::Failed(message) => message,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn diagnostic(
        level: &str,
        message: &str,
        code: Option<&str>,
        file: &str,
        line: u32,
    ) -> Diagnostic {
        Diagnostic {
            level: Level::parse(level),
            message: message.into(),
            code: code.map(Into::into),
            spans: vec![DiagnosticSpan {
                file: file.into(),
                line_start: line,
                line_end: line,
                column_start: 1,
                column_end: 2,
                is_primary: true,
                label: None,
            }],
            rendered: String::new(),
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
            (
                Expected::TestsDoNotPass,
                Outcome::TimedOut {
                    phase: Phase::Run,
                    limit_ms: 10_000,
                },
            ),
        ];
        for (expected, outcome) in cases {
            let verdict = verdict(expected, &report(outcome.clone(), "", ""));
            assert!(
                matches!(verdict, Verdict::Passed(_)),
                "{expected:?} {outcome:?}: {verdict:?}"
            );
        }
        assert_eq!(
            verdict(
                Expected::Panics,
                &report(
                    Outcome::RunnerUnavailable {
                        runner: RunnerId::new("miri")
                    },
                    "",
                    ""
                ),
            ),
            Verdict::Skipped(RunnerId::new("miri"))
        );
    }

    #[test]
    fn a_compile_error_names_the_first_error_and_its_chapter_line() {
        let mut compile_error = report(Outcome::CompileError, "", "");
        compile_error.result.diagnostics = vec![
            diagnostic("warning", "unused variable", None, "src/main.rs", 1),
            diagnostic("error", "mismatched types", Some("E0308"), "src/main.rs", 3),
            diagnostic("error", "aborting", None, "src/main.rs", 5),
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
            "thread 'main' (7) panicked at src/main.rs:4:5:\nindex out of bounds: the len is 3 but the index is 7\nnote: run with `RUST_BACKTRACE=1`\n",
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
            "should compile with the tests and fail them but all 3 tests passed"
        );
        let mut broken = report(Outcome::CompileError, "", "");
        broken.result.diagnostics = vec![diagnostic(
            "error",
            "cannot find value `x` in this scope",
            Some("E0425"),
            "src/main.rs",
            2,
        )];
        assert_eq!(
            failed(Expected::TestsDoNotPass, &broken),
            "should compile with the tests and fail them but it failed to compile: error[E0425]: cannot find value `x` in this scope at line 12"
        );
        assert_eq!(
            verdict(Expected::TestsDoNotPass, &tests_failed),
            Verdict::Passed(
                "1 of 2 tests failed: `subtracts` panicked at line 17: assertion `left == right` failed".into()
            )
        );
    }

    /// A `compile_fail,E0499` check whose compiler reported `diagnostics`.
    fn compile_fail_with(codes: &[&str], diagnostics: Vec<Diagnostic>) -> Verdict {
        let mut check = check_for(Expected::FailsToCompile);
        check.error_codes = codes.iter().map(|c| c.to_string()).collect();
        let mut failed = report(Outcome::CompileError, "", "");
        failed.result.diagnostics = diagnostics;
        judge(&check, &failed)
    }

    #[test]
    fn compile_fail_blocks_must_fail_with_their_error_codes() {
        let e0499 = || {
            diagnostic(
                "error",
                "cannot borrow `v` as mutable more than once at a time",
                Some("E0499"),
                "src/main.rs",
                4,
            )
        };
        let e0502 = || {
            diagnostic(
                "error",
                "cannot borrow `v` as immutable because it is also borrowed as mutable",
                Some("E0502"),
                "src/main.rs",
                6,
            )
        };
        assert!(matches!(
            compile_fail_with(&["E0499"], vec![e0502(), e0499()]),
            Verdict::Passed(_)
        ));
        assert!(matches!(
            compile_fail_with(&["E0499", "E0502"], vec![e0499(), e0502()]),
            Verdict::Passed(_)
        ));
        // No code asked for: any compile error will do, as before.
        assert!(matches!(
            compile_fail_with(&[], vec![e0502()]),
            Verdict::Passed(_)
        ));
        assert_eq!(
            compile_fail_with(&["E0499"], vec![e0502()]),
            Verdict::Failed("should fail to compile with E0499 (`compile_fail,E0499`) but rustc reported E0502 instead (first: error[E0502]: cannot borrow `v` as immutable because it is also borrowed as mutable at line 16)".into())
        );
        assert_eq!(
            compile_fail_with(&["E0499", "E0502"], vec![e0499()]),
            Verdict::Failed("should fail to compile with E0502 (`compile_fail,E0499,E0502`) but rustc reported E0499 instead (first: error[E0499]: cannot borrow `v` as mutable more than once at a time at line 14)".into())
        );
        // A warning's code does not count, and an error without a code is named.
        let syntax = diagnostic("error", "expected `;`, found `}`", None, "src/main.rs", 2);
        let lint = diagnostic(
            "warning",
            "unused variable: `x`",
            Some("unused_variables"),
            "src/main.rs",
            1,
        );
        assert_eq!(
            compile_fail_with(&["E0499"], vec![lint, syntax]),
            Verdict::Failed("should fail to compile with E0499 (`compile_fail,E0499`) but rustc reported no error code (first: error: expected `;`, found `}` at line 12)".into())
        );
    }

    #[test]
    fn lines_in_other_files_map_to_their_own_blocks() {
        let mut check = check_for(Expected::TestsPass);
        check.lines = crate::testing::line_map(&[
            ("src/lib.rs", 1, 5, 20),
            ("src/lib.rs", 7, 4, 30),
            ("tests/grade.rs", 1, 10, 40),
        ]);
        let mut failed = report(
            Outcome::ExitFailure { exit_code: 101 },
            "test graded ... FAILED\n\nfailures:\n\n---- graded stdout ----\n\nthread 'graded' (3) panicked at tests/grade.rs:3:5:\nwrong\n",
            "",
        );
        failed.result.tests = vec![TestCase {
            name: "graded".into(),
            status: TestStatus::Failed,
            message: "thread 'graded' (3) panicked at tests/grade.rs:3:5:\nwrong".into(),
        }];
        assert_eq!(
            judge(&check, &failed),
            Verdict::Failed("should pass its tests but 1 of 1 tests failed: `graded` panicked at line 42: wrong".into())
        );
        let mut compile_error = report(Outcome::CompileError, "", "");
        compile_error.result.diagnostics = vec![diagnostic("error", "oops", None, "src/lib.rs", 8)];
        assert_eq!(
            judge(&check, &compile_error),
            Verdict::Failed(
                "should pass its tests but it failed to compile: error: oops at line 31".into()
            )
        );
    }
}
