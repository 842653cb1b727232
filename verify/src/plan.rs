//! What to verify: the library's blocks and exercises turned into [`Check`]s, plus what is not
//! run and why.

use api_types::{Channel, Edition, Mode, exercise_program};
use course::{Block, CodeBlock, Exercise, Library};
use sandbox::Job;

use crate::expect::Expected;

/// Everything verification will do for a library.
#[derive(Debug, Default)]
pub struct Plan {
    pub chapters: usize,
    /// Malformed blocks, as `file:line: message`, in teaching order.
    pub format_errors: Vec<String>,
    pub checks: Vec<Check>,
    /// Blocks that are not run, each with its reason.
    pub not_run: Vec<NotRun>,
}

/// One program to send to the sandbox and what must come of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `content/<course>/<chapter>.md:<line>`: the opening fence of the block that is checked.
    pub location: String,
    pub kind: Kind,
    pub job: Job,
    pub expected: Expected,
    /// Where the program's lines come from, to point at the chapter's lines in messages.
    pub lines: LineMap,
}

/// What a check verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A code block in a chapter.
    Example,
    /// An exercise's solution with its tests.
    Solution,
    /// An exercise's starter code with its tests.
    Starter,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Example => "example",
            Kind::Solution => "exercise solution",
            Kind::Starter => "exercise starter",
        }
    }

    pub fn is_exercise(self) -> bool {
        self != Kind::Example
    }
}

/// A block that is not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRun {
    pub location: String,
    pub reason: Reason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A Rust block marked `ignore`.
    Ignored,
    /// A ```` ````files ```` block.
    MultiFile,
    /// A Rust block or exercise with a format error (reported as such).
    Malformed,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Ignored => "marked `ignore`",
            Reason::MultiFile => "multi-file labs are not runnable yet",
            Reason::Malformed => "see the format errors",
        }
    }
}

/// Maps lines of a submitted program back to lines of the chapter file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineMap {
    /// (first program line, number of lines, chapter line of that first program line).
    segments: Vec<(usize, usize, usize)>,
}

impl LineMap {
    /// From (first program line, number of lines, chapter line of that first program line).
    pub fn new(segments: Vec<(usize, usize, usize)>) -> LineMap {
        LineMap { segments }
    }

    /// A program that is the code of `block`, whose first line follows the opening fence.
    fn block(block: &CodeBlock) -> LineMap {
        LineMap {
            segments: vec![(1, line_count(&block.code), block.line + 1)],
        }
    }

    /// The chapter line of 1-based `program_line`, if it comes from the chapter.
    pub fn file_line(&self, program_line: usize) -> Option<usize> {
        self.segments
            .iter()
            .find(|&&(first, count, _)| program_line >= first && program_line < first + count)
            .map(|&(first, _, file)| file + (program_line - first))
    }
}

fn line_count(code: &str) -> usize {
    code.lines().count().max(1)
}

/// Turns every chapter of `library` into checks, in teaching order.
pub fn plan(library: &Library) -> Plan {
    let mut plan = Plan {
        chapters: library.chapter_count(),
        format_errors: library.problems().map(|e| e.to_string()).collect(),
        ..Plan::default()
    };
    for (_, chapter) in library.chapters() {
        let at = |line: usize| format!("{}:{line}", chapter.path.display());
        for block in &chapter.blocks {
            match block {
                Block::Code(code) if code.info.is_rust() => plan.example(code, at(code.line)),
                Block::Exercise(exercise) => plan.exercise(exercise, &at),
                Block::Files(files) => plan.not_run.push(NotRun {
                    location: at(files.line),
                    reason: Reason::MultiFile,
                }),
                // Prose, demos, speaker notes (their code is never run) and other languages.
                _ => {}
            }
        }
    }
    plan
}

impl Plan {
    fn example(&mut self, code: &CodeBlock, location: String) {
        let reason = if code.problem.is_some() {
            Reason::Malformed
        } else if code.info.has("ignore") {
            Reason::Ignored
        } else {
            // `noplayground` hides the button, but the code must still be right.
            let expected = Expected::from(code.info.expectation());
            let settings = code.info.run_settings();
            self.checks.push(Check {
                location,
                kind: Kind::Example,
                job: job(
                    code.code.clone(),
                    settings.channel,
                    settings.edition,
                    expected,
                ),
                expected,
                lines: LineMap::block(code),
            });
            return;
        };
        self.not_run.push(NotRun { location, reason });
    }

    fn exercise(&mut self, exercise: &Exercise, at: &dyn Fn(usize) -> String) {
        let (Some(starter), Some(tests), Some(solution), None) = (
            &exercise.starter,
            &exercise.tests,
            &exercise.solution,
            &exercise.problem,
        ) else {
            self.not_run.push(NotRun {
                location: at(exercise.line),
                reason: Reason::Malformed,
            });
            return;
        };
        let settings = exercise.info.run_settings();
        for (student, kind, expected) in [
            (solution, Kind::Solution, Expected::TestsPass),
            (starter, Kind::Starter, Expected::TestsDoNotPass),
        ] {
            // Exactly what the page's Test button sends.
            let program = exercise_program(&student.code, &tests.code);
            let tests_start = program[..program.len() - tests.code.len()]
                .matches('\n')
                .count()
                + 1;
            let lines = LineMap {
                segments: vec![
                    (1, line_count(&student.code), student.line + 1),
                    (tests_start, line_count(&tests.code), tests.line + 1),
                ],
            };
            self.checks.push(Check {
                location: at(student.line),
                kind,
                job: job(program, settings.channel, settings.edition, expected),
                expected,
                lines,
            });
        }
    }
}

fn job(code: String, channel: Channel, edition: Edition, expected: Expected) -> Job {
    Job {
        code,
        channel,
        mode: Mode::Debug,
        edition,
        action: expected.action(),
        stdin: Vec::new(),
        interactive: false,
    }
}

/// The runner's name as authors write it on a fence.
pub fn runner_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Stable => "stable",
        Channel::Nightly => "nightly",
        Channel::Miri => "miri",
        Channel::Loom => "loom",
        Channel::CortexM => "cortex-m",
    }
}

/// Every runner, in the order the summary lists them.
pub const RUNNERS: [Channel; 5] = [
    Channel::Stable,
    Channel::Nightly,
    Channel::Miri,
    Channel::Loom,
    Channel::CortexM,
];

impl Check {
    pub fn runner(&self) -> Channel {
        self.job.channel
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::library;
    use expect_test::expect;

    fn show(plan: &Plan) -> String {
        let mut out = String::new();
        for error in &plan.format_errors {
            out.push_str(&format!("FORMAT {error}\n"));
        }
        for check in &plan.checks {
            out.push_str(&format!(
                "CHECK {} {} {:?} {:?} {:?} {:?} lines {:?}\n",
                check.location,
                check.kind.describe(),
                check.job.channel,
                check.job.edition,
                check.job.action,
                check.expected,
                check.lines.segments,
            ));
        }
        for skip in &plan.not_run {
            out.push_str(&format!(
                "NOT RUN {} {}\n",
                skip.location,
                skip.reason.describe()
            ));
        }
        out
    }

    #[test]
    fn blocks_and_exercises_become_checks_with_the_right_expectations() {
        let (dir, library) = library(
            r#"
Prose.

```rust
fn main() {}
```

```rust,should_panic,edition2021
fn main() { panic!() }
```

```rust,compile_fail
fn main() { let x: i32 = ""; }
```

```rust,no_run,noplayground
fn main() { loop {} }
```

```rust,test
#[test]
fn t() {}
```

```rust,nightly
fn main() {}
```

```rust,ignore
not rust at all
```

```rust,should-panic
fn main() {}
```

```toml
[package]
```

````notes
```rust
fn never_checked() {}
```
````

`````exercise,loom
Do it.
```rust,starter
fn f() -> u32 { todo!() }
```
```rust,tests
#[test]
fn t() { assert_eq!(f(), 1); }
```
````hint
```rust
fn also_never_checked() {}
```
````
```rust,solution
fn f() -> u32 {
    1
}
```
`````

````exercise
```rust,starter
fn f() {}
```
````

````files
```rust,file=src/main.rs
fn main() {}
```
````
"#,
        );
        let plan = plan(&library);
        let shown = show(&plan).replace(&dir.path().display().to_string(), "DIR");
        expect![[r#"
            FORMAT DIR/c/one.md:39: unknown attribute `should-panic`; did you mean `should_panic`?
            FORMAT DIR/c/one.md:74: an exercise needs a ```rust,tests block
            FORMAT DIR/c/one.md:74: an exercise needs a ```rust,solution block
            CHECK DIR/c/one.md:10 example Stable E2024 Run RunsCleanly lines [(1, 1, 11)]
            CHECK DIR/c/one.md:14 example Stable E2021 Run Panics lines [(1, 1, 15)]
            CHECK DIR/c/one.md:18 example Stable E2024 Build FailsToCompile lines [(1, 1, 19)]
            CHECK DIR/c/one.md:22 example Stable E2024 Build Compiles lines [(1, 1, 23)]
            CHECK DIR/c/one.md:26 example Stable E2024 Test TestsPass lines [(1, 2, 27)]
            CHECK DIR/c/one.md:31 example Nightly E2024 Run RunsCleanly lines [(1, 1, 32)]
            CHECK DIR/c/one.md:67 exercise solution Loom E2024 Test TestsPass lines [(1, 3, 68), (5, 2, 59)]
            CHECK DIR/c/one.md:55 exercise starter Loom E2024 Test TestsDoNotPass lines [(1, 1, 56), (3, 2, 59)]
            NOT RUN DIR/c/one.md:35 marked `ignore`
            NOT RUN DIR/c/one.md:39 see the format errors
            NOT RUN DIR/c/one.md:74 see the format errors
            NOT RUN DIR/c/one.md:80 multi-file labs are not runnable yet
        "#]]
        .assert_eq(&shown);
        let solution = &plan.checks[6];
        assert_eq!(
            solution.job.code,
            "fn f() -> u32 {\n    1\n}\n\n#[test]\nfn t() { assert_eq!(f(), 1); }\n"
        );
        assert_eq!(solution.lines.file_line(2), Some(69));
        assert_eq!(solution.lines.file_line(4), None);
        assert_eq!(solution.lines.file_line(6), Some(60));
    }
}
