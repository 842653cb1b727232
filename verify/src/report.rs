//! What the author reads: one line per failed check, and a summary per runner.

use std::fmt::{self, Write as _};
use std::time::Duration;

use api_types::RunnerId;

use crate::CheckResult;
use crate::expect::Verdict;
use crate::plan::{Check, Plan, Reason, runners_in_order};

/// `content/x.md:42: example should run cleanly but it failed to compile: ...`, or `None` when
/// the check did not fail.
pub fn failure_line(check: &Check, result: &CheckResult) -> Option<String> {
    match &result.verdict {
        Verdict::Failed(message) => Some(format!(
            "{}: {} {message}",
            check.location,
            check.kind.describe()
        )),
        _ => None,
    }
}

/// One line per check for `--verbose`: status, location, what, runner, time and what happened.
pub fn progress_line(check: &Check, result: &CheckResult) -> String {
    let (status, detail) = match &result.verdict {
        Verdict::Passed(detail) if result.cached => ("cached", detail.as_str()),
        Verdict::Passed(detail) => ("ok", detail.as_str()),
        Verdict::Failed(detail) => ("FAILED", detail.as_str()),
        Verdict::Skipped(_) => ("skipped", "runner image not installed"),
    };
    let retried = result
        .retried
        .as_ref()
        .map(|why| format!(" (run twice: the sandbox failed the first time: {why})"))
        .unwrap_or_default();
    format!(
        "{status:>7} {} {} ({}, {:.1} s): {detail}{retried}",
        check.location,
        check.kind.describe(),
        check.runner(),
        result.took.as_secs_f64()
    )
}

/// Counts for one runner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Row {
    blocks: usize,
    exercise_checks: usize,
    passed: usize,
    cached: usize,
    failed: usize,
    skipped: usize,
}

/// The end of the output: per-runner counts, what was not run, totals and wall time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    chapters: usize,
    format_errors: usize,
    /// Per runner, by registry name: the default runner first.
    rows: Vec<(RunnerId, Row)>,
    /// (reason, count), for reasons that occurred.
    not_run: Vec<(Reason, usize)>,
    /// Locations of the blocks not run, for `--verbose`.
    not_run_at: Vec<(Reason, String)>,
    wall: Duration,
    pub verbose: bool,
}

impl Summary {
    /// `results` are in the order of `plan.checks`.
    pub fn new(plan: &Plan, results: &[CheckResult], wall: Duration) -> Summary {
        let mut rows: Vec<(RunnerId, Row)> = runners_in_order()
            .into_iter()
            .map(|id| (id, Row::default()))
            .collect();
        for (check, result) in plan.checks.iter().zip(results) {
            // The course parser only accepts registry names, so every runner has a row.
            let Some((_, row)) = rows.iter_mut().find(|(id, _)| id == check.runner()) else {
                continue;
            };
            if check.kind.is_exercise() {
                row.exercise_checks += 1;
            } else {
                row.blocks += 1;
            }
            match &result.verdict {
                Verdict::Passed(_) => {
                    row.passed += 1;
                    row.cached += usize::from(result.cached);
                }
                Verdict::Failed(_) => row.failed += 1,
                Verdict::Skipped(_) => row.skipped += 1,
            }
        }
        rows.retain(|(_, row)| row.blocks + row.exercise_checks > 0);
        let mut not_run: Vec<(Reason, usize)> = Vec::new();
        for skip in &plan.not_run {
            match not_run.iter_mut().find(|(r, _)| *r == skip.reason) {
                Some((_, count)) => *count += 1,
                None => not_run.push((skip.reason, 1)),
            }
        }
        not_run.sort();
        Summary {
            chapters: plan.chapters,
            format_errors: plan.format_errors.len(),
            rows,
            not_run,
            not_run_at: plan
                .not_run
                .iter()
                .map(|n| (n.reason, n.location.clone()))
                .collect(),
            wall,
            verbose: false,
        }
    }

    fn total(&self) -> Row {
        let mut total = Row::default();
        for (_, row) in &self.rows {
            total.blocks += row.blocks;
            total.exercise_checks += row.exercise_checks;
            total.passed += row.passed;
            total.cached += row.cached;
            total.failed += row.failed;
            total.skipped += row.skipped;
        }
        total
    }

    /// Whether the stable runner, which every server has, was missing.
    fn stable_missing(&self) -> bool {
        self.rows
            .iter()
            .any(|(id, row)| *id == RunnerId::default() && row.skipped > 0)
    }

    /// Everything passed: no format error, no failed check, and the stable runner was there.
    /// Checks for other runners may be skipped (they are listed).
    pub fn ok(&self) -> bool {
        self.format_errors == 0 && self.total().failed == 0 && !self.stable_missing()
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        writeln!(
            f,
            "Content verification: {}, {}",
            plural(self.chapters, "chapter", "chapters"),
            plural(total.blocks + total.exercise_checks, "check", "checks")
        )?;
        if !self.rows.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "  {:<9}{:>7}{:>17}{:>8}{:>8}{:>8}{:>9}",
                "runner", "blocks", "exercise checks", "passed", "cached", "failed", "skipped"
            )?;
            for (id, row) in &self.rows {
                writeln!(
                    f,
                    "  {:<9}{:>7}{:>17}{:>8}{:>8}{:>8}{:>9}",
                    id.as_str(),
                    row.blocks,
                    row.exercise_checks,
                    row.passed,
                    row.cached,
                    row.failed,
                    row.skipped
                )?;
            }
            if total.exercise_checks > 0 {
                writeln!(
                    f,
                    "  (two checks per exercise: the solution must pass its tests, the starter must compile and fail them)"
                )?;
            }
        }
        let skipped: Vec<String> = self
            .rows
            .iter()
            .filter(|(_, row)| row.skipped > 0)
            .map(|(id, row)| format!("{id}: {} skipped (runner image not installed)", row.skipped))
            .collect();
        if !skipped.is_empty() {
            writeln!(f)?;
            for line in skipped {
                writeln!(f, "{line}")?;
            }
        }
        if self.stable_missing() {
            writeln!(
                f,
                "the stable runner is required: build its image with `cargo xtask images`"
            )?;
        }
        if !self.not_run.is_empty() {
            let mut parts = Vec::new();
            for (reason, count) in &self.not_run {
                parts.push(match reason {
                    Reason::Ignored => {
                        format!("{} marked `ignore`", plural(*count, "block", "blocks"))
                    }
                    Reason::Malformed => format!(
                        "{} ({})",
                        plural(*count, "malformed block", "malformed blocks"),
                        reason.describe()
                    ),
                });
            }
            writeln!(f, "not run: {}", parts.join("; "))?;
            if self.verbose {
                for (reason, location) in &self.not_run_at {
                    writeln!(f, "  {location}: {}", reason.describe())?;
                }
            }
        }
        let mut totals = String::new();
        write!(
            totals,
            "total: {} passed ({} from the cache), {} failed, {} skipped",
            total.passed, total.cached, total.failed, total.skipped
        )?;
        if self.format_errors > 0 {
            write!(
                totals,
                ", {}",
                plural(self.format_errors, "format error", "format errors")
            )?;
        }
        writeln!(f, "{totals}; {:.1} s", self.wall.as_secs_f64())?;
        write!(
            f,
            "{}",
            if self.ok() {
                "content verified"
            } else {
                "content verification FAILED"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Kind, NotRun};
    use crate::testing::check;
    use expect_test::expect;

    fn result(verdict: Verdict, cached: bool) -> CheckResult {
        CheckResult {
            verdict,
            cached,
            took: Duration::from_millis(1234),
            retried: None,
        }
    }

    #[test]
    fn the_summary_counts_per_runner_and_says_why_things_did_not_run() {
        let mut plan = Plan {
            chapters: 3,
            format_errors: vec!["c/one.md:4: unknown attribute `x`".into()],
            ..Plan::default()
        };
        let mut results = Vec::new();
        let mut add = |kind: Kind, runner: &str, verdict: Verdict, cached: bool| {
            let mut c = check("fn main() {}");
            c.kind = kind;
            c.job.runner = RunnerId::new(runner);
            plan.checks.push(c);
            results.push(result(verdict, cached));
        };
        let passed = || Verdict::Passed("it ran cleanly".into());
        add(Kind::Example, "stable", passed(), true);
        add(Kind::Example, "stable", passed(), false);
        add(
            Kind::Example,
            "stable",
            Verdict::Failed("should run cleanly but it panicked".into()),
            false,
        );
        add(Kind::Solution, "stable", passed(), false);
        add(Kind::Starter, "stable", passed(), false);
        add(
            Kind::Example,
            "nightly",
            Verdict::Skipped(RunnerId::new("nightly")),
            false,
        );
        add(
            Kind::Solution,
            "loom",
            Verdict::Skipped(RunnerId::new("loom")),
            false,
        );
        add(
            Kind::Starter,
            "loom",
            Verdict::Skipped(RunnerId::new("loom")),
            false,
        );
        add(Kind::Project, "stable", passed(), false);
        for (line, reason) in [
            (9, Reason::Ignored),
            (20, Reason::Ignored),
            (30, Reason::Malformed),
        ] {
            plan.not_run.push(NotRun {
                location: format!("c/one.md:{line}"),
                reason,
            });
        }
        let summary = Summary::new(&plan, &results, Duration::from_millis(12_345));
        assert!(!summary.ok());
        expect![[r#"
            Content verification: 3 chapters, 9 checks

              runner    blocks  exercise checks  passed  cached  failed  skipped
              stable         4                2       5       1       1        0
              loom           0                2       0       0       0        2
              nightly        1                0       0       0       0        1
              (two checks per exercise: the solution must pass its tests, the starter must compile and fail them)

            loom: 2 skipped (runner image not installed)
            nightly: 1 skipped (runner image not installed)
            not run: 2 blocks marked `ignore`; 1 malformed block (see the format errors)
            total: 5 passed (1 from the cache), 1 failed, 3 skipped, 1 format error; 12.3 s
            content verification FAILED"#]]
        .assert_eq(&summary.to_string());

        assert_eq!(
            failure_line(&plan.checks[2], &results[2]).unwrap(),
            "c/one.md:3: example should run cleanly but it panicked"
        );
        assert_eq!(failure_line(&plan.checks[0], &results[0]), None);
        assert_eq!(
            progress_line(&plan.checks[7], &results[7]),
            "skipped c/one.md:3 exercise starter (loom, 1.2 s): runner image not installed"
        );
    }

    #[test]
    fn skipped_runners_other_than_stable_still_verify() {
        let mut plan = Plan::default();
        let mut nightly = check("fn main() {}");
        nightly.job.runner = RunnerId::new("nightly");
        plan.checks = vec![check("fn main() {}"), nightly];
        let results = [
            result(Verdict::Passed("it ran cleanly".into()), false),
            result(Verdict::Skipped(RunnerId::new("nightly")), false),
        ];
        assert!(Summary::new(&plan, &results, Duration::ZERO).ok());
        let results = [
            result(Verdict::Skipped(RunnerId::default()), false),
            result(Verdict::Skipped(RunnerId::new("nightly")), false),
        ];
        let summary = Summary::new(&plan, &results, Duration::ZERO);
        assert!(!summary.ok());
        assert!(
            summary
                .to_string()
                .contains("the stable runner is required")
        );
    }
}
