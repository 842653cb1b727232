//! Reading the test harness's plain-text report, so a page can list each test with its result.
//!
//! Stable Rust has no machine-readable test output, so this reads the lines libtest prints:
//! `test name ... ok`, `test name ... FAILED`, and for each failure a `---- name stdout ----`
//! section holding its panic message.

use crate::{TestCase, TestStatus};

/// The tests listed in `stdout`, in the order they finished.
pub fn parse_test_report(stdout: &str) -> Vec<TestCase> {
    let mut cases: Vec<TestCase> = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, verdict)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let status = match verdict.trim() {
            "ok" => TestStatus::Passed,
            "FAILED" => TestStatus::Failed,
            v if v.starts_with("ignored") => TestStatus::Ignored,
            _ => continue,
        };
        cases.push(TestCase {
            name: name.to_owned(),
            status,
            message: String::new(),
        });
    }
    // Attach each failure section to its test.
    let mut current: Option<usize> = None;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            current = cases.iter().position(|c| c.name == name);
            continue;
        }
        if line == "failures:" || line.starts_with("test result:") {
            current = None;
            continue;
        }
        if let Some(at) = current {
            let message = &mut cases[at].message;
            if line.starts_with("note: run with `RUST_BACKTRACE") {
                continue;
            }
            message.push_str(line);
            message.push('\n');
        }
    }
    for case in &mut cases {
        case.message = case.message.trim().to_owned();
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "
running 3 tests
test tests::sums_nothing ... ok
test tests::sums_evens ... FAILED
test tests::slow ... ignored, takes a minute

failures:

---- tests::sums_evens stdout ----

thread 'tests::sums_evens' panicked at src/main.rs:14:9:
assertion `left == right` failed
  left: 3
 right: 6
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::sums_evens

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn each_test_gets_its_status_and_failure_message() {
        let cases = parse_test_report(REPORT);
        let summary: Vec<(&str, TestStatus)> =
            cases.iter().map(|c| (c.name.as_str(), c.status)).collect();
        assert_eq!(
            summary,
            [
                ("tests::sums_nothing", TestStatus::Passed),
                ("tests::sums_evens", TestStatus::Failed),
                ("tests::slow", TestStatus::Ignored),
            ]
        );
        assert_eq!(
            cases[1].message,
            "thread 'tests::sums_evens' panicked at src/main.rs:14:9:\nassertion `left == right` failed\n  left: 3\n right: 6"
        );
        assert_eq!(cases[0].message, "");
    }

    #[test]
    fn output_that_is_not_a_report_has_no_tests() {
        assert!(parse_test_report("hello\ntest of strength\n").is_empty());
        assert!(parse_test_report("").is_empty());
    }
}
