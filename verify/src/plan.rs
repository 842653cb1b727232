//! What to verify: the library's blocks, files blocks and exercises turned into [`Check`]s,
//! plus what is not run and why.

use api_types::{Action, ProjectFile, RunSettings, RunnerId, exercise_program, exercise_project};
use course::{Block, Chapter, CodeBlock, ContentError, Exercise, FileSet, Library, Role};
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
    /// For `compile_fail,E0499`: the error codes rustc must report.
    pub error_codes: Vec<String>,
    /// Where the program's lines come from, to point at the chapter's lines in messages.
    pub lines: LineMap,
}

/// What a check verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A code block in a chapter.
    Example,
    /// A ```` ````files ```` block: a project.
    Project,
    /// An exercise's solution with its tests.
    Solution,
    /// An exercise's starter code with its tests.
    Starter,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Example => "example",
            Kind::Project => "files block",
            Kind::Solution => "exercise solution",
            Kind::Starter => "exercise starter",
        }
    }

    pub fn is_exercise(self) -> bool {
        matches!(self, Kind::Solution | Kind::Starter)
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
    /// A Rust block or files block marked `ignore`.
    Ignored,
    /// A block, files block or exercise with a format error (reported as such).
    Malformed,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Ignored => "marked `ignore`",
            Reason::Malformed => "see the format errors",
        }
    }
}

/// Maps lines of a submitted project's files back to lines of the chapter file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineMap {
    segments: Vec<Segment>,
}

/// Lines `first..first + count` of the project file `file` are chapter lines from `chapter_line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub file: String,
    pub first: usize,
    pub count: usize,
    pub chapter_line: usize,
}

impl LineMap {
    pub fn new(segments: Vec<Segment>) -> LineMap {
        LineMap { segments }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The project file `file`, whose first line follows `block`'s opening fence.
    fn add_block(&mut self, file: &str, first: usize, block: &CodeBlock) {
        self.segments.push(Segment {
            file: file.to_owned(),
            first,
            count: line_count(&block.code),
            chapter_line: block.line + 1,
        });
    }

    /// The chapter line of 1-based `line` of `file` (as rustc or a panic names it), if it comes
    /// from the chapter.
    pub fn file_line(&self, file: &str, line: usize) -> Option<usize> {
        // An exact path first: `src/lib.rs` and `macros/src/lib.rs` are different files.
        let exact = self.segments.iter().any(|s| s.file == file);
        self.segments
            .iter()
            .filter(|s| {
                if exact {
                    s.file == file
                } else {
                    same_file(file, &s.file)
                }
            })
            .find(|s| line >= s.first && line < s.first + s.count)
            .map(|s| s.chapter_line + (line - s.first))
    }
}

/// Whether `reported` (a path as rustc or a panic message prints it: `src/main.rs`,
/// `/work/src/main.rs`, or a bare `main.rs`) names the project file `path`.
fn same_file(reported: &str, path: &str) -> bool {
    reported == path
        || reported.ends_with(&format!("/{path}"))
        || (!reported.contains('/') && path.rsplit('/').next() == Some(reported))
}

fn line_count(code: &str) -> usize {
    code.lines().count().max(1)
}

/// Turns every chapter of `library` into checks, in teaching order.
pub fn plan(library: &Library) -> Plan {
    plan_chapters(library, |_| true)
}

/// Like [`plan`], for the chapters `wanted` accepts only (an author checking the chapter being
/// written: `rmp-verify --chapter <slug>`).
pub fn plan_chapters(library: &Library, wanted: impl Fn(&Chapter) -> bool) -> Plan {
    let mut plan = Plan::default();
    for (_, chapter) in library.chapters().filter(|(_, c)| wanted(c)) {
        plan.chapters += 1;
        plan.format_errors
            .extend(chapter.problems.iter().map(|problem| {
                ContentError::Syntax {
                    path: chapter.path.clone(),
                    line: problem.line,
                    message: problem.message.clone(),
                }
                .to_string()
            }));
        let at = |line: usize| format!("{}:{line}", chapter.path.display());
        for block in &chapter.blocks {
            match block {
                Block::Code(code) if code.info.is_rust() => plan.example(code, at(code.line)),
                Block::Exercise(exercise) => plan.exercise(exercise, &at),
                Block::Files(files) => plan.files(files, at(files.line)),
                // Prose, demos, speaker notes (their code is never run) and other languages.
                _ => {}
            }
        }
    }
    plan
}

impl Plan {
    fn example(&mut self, code: &CodeBlock, location: String) {
        if let Some(reason) = not_run(code.problem.is_some(), code.info.has("ignore")) {
            self.not_run.push(NotRun { location, reason });
            return;
        }
        // `noplayground` hides the button, but the code must still be right.
        let mut lines = LineMap::default();
        lines.add_block(ProjectFile::MAIN, 1, code);
        self.checks.push(Check {
            location,
            kind: Kind::Example,
            job: job(
                vec![ProjectFile::main(code.code.clone())],
                code.info.run_settings(),
                code.info.check_action(),
            ),
            expected: code.info.expectation().into(),
            error_codes: code.info.error_codes(),
            lines,
        });
    }

    fn files(&mut self, set: &FileSet, location: String) {
        if let Some(reason) = not_run(set.problem.is_some(), set.info.has("ignore")) {
            self.not_run.push(NotRun { location, reason });
            return;
        }
        let mut lines = LineMap::default();
        for file in &set.files {
            lines.add_block(file.info.file().unwrap_or_default(), 1, file);
        }
        self.checks.push(Check {
            location,
            kind: Kind::Project,
            job: job(
                set.project(),
                set.info.run_settings(),
                set.info.check_action(),
            ),
            expected: set.info.expectation().into(),
            error_codes: set.info.error_codes(),
            lines,
        });
    }

    fn exercise(&mut self, exercise: &Exercise, at: &dyn Fn(usize) -> String) {
        if exercise.problem.is_some() || exercise.starter.is_none() {
            self.not_run.push(NotRun {
                location: at(exercise.line),
                reason: Reason::Malformed,
            });
            return;
        }
        let tests = exercise.files(Role::Tests);
        for (role, kind, expected) in [
            (Role::Solution, Kind::Solution, Expected::TestsPass),
            (Role::Starter, Kind::Starter, Expected::TestsDoNotPass),
        ] {
            // Exactly what the page's Test button sends for these files.
            let student = exercise.student_files(role);
            let files = exercise_project(&student, &exercise.test_files());
            let mut lines = LineMap::default();
            for file in &student {
                let block = student_block(exercise, role, &file.path);
                lines.add_block(&file.path, 1, block);
            }
            for &(path, block) in &tests {
                let first = match student.iter().find(|f| f.path == path) {
                    // Appended: the tests start after the student's code and a blank line.
                    Some(file) => exercise_program(&file.contents, "").matches('\n').count() + 1,
                    None => 1,
                };
                lines.add_block(path, first, block);
            }
            let location_block = exercise
                .files(role)
                .first()
                .map_or(exercise.line, |(_, block)| block.line);
            self.checks.push(Check {
                location: at(location_block),
                kind,
                job: job(files, exercise.run_settings(), Action::Test),
                expected,
                error_codes: Vec::new(),
                lines,
            });
        }
    }
}

/// The block whose code is the student's file `path` in the project of `role`.
fn student_block<'a>(exercise: &'a Exercise, role: Role, path: &str) -> &'a CodeBlock {
    let of = |role: Role| {
        exercise
            .files(role)
            .into_iter()
            .find(|(p, _)| *p == path)
            .map(|(_, block)| block)
    };
    let solution = if role == Role::Solution {
        of(Role::Solution)
    } else {
        None
    };
    solution
        .or_else(|| of(Role::Starter))
        .expect("every student file comes from a starter or solution block")
}

fn not_run(malformed: bool, ignored: bool) -> Option<Reason> {
    if malformed {
        Some(Reason::Malformed)
    } else if ignored {
        Some(Reason::Ignored)
    } else {
        None
    }
}

fn job(files: Vec<ProjectFile>, settings: RunSettings, action: Action) -> Job {
    Job {
        files,
        runner: settings.runner,
        action,
        mode: settings.mode,
        edition: settings.edition,
        flags: settings.flags,
        // The content loader checked both against their allow-lists and runners.
        miri_flags: api_types::flags::MiriFlag::parse_list(&settings.miri_flags.join(" "))
            .unwrap_or_default(),
        loom_preemptions: settings.loom_preemptions.map(u32::from),
        ..Job::run("")
    }
}

/// Every runner in the order the summary lists them: the default first, then the registry's.
pub fn runners_in_order() -> Vec<RunnerId> {
    let default = RunnerId::default();
    std::iter::once(default.clone())
        .chain(
            runners::all()
                .iter()
                .map(|r| r.id.clone())
                .filter(|id| *id != default),
        )
        .collect()
}

impl Check {
    pub fn runner(&self) -> &RunnerId {
        &self.job.runner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{library, write_chapter};
    use expect_test::expect;

    fn show(plan: &Plan) -> String {
        let mut out = String::new();
        for error in &plan.format_errors {
            out.push_str(&format!("FORMAT {error}\n"));
        }
        for check in &plan.checks {
            let job = &check.job;
            let flags: Vec<String> = job.flags.iter().map(|f| f.to_string()).collect();
            let files: Vec<&str> = job.files.iter().map(|f| f.path.as_str()).collect();
            out.push_str(&format!(
                "CHECK {} {} {} {:?} {:?} {:?} {flags:?} {:?} {:?} files {files:?}\n",
                check.location,
                check.kind.describe(),
                job.runner,
                job.edition,
                job.mode,
                job.action,
                check.expected,
                check.error_codes,
            ));
            for s in check.lines.segments() {
                out.push_str(&format!(
                    "  {} lines {}..{} from chapter line {}\n",
                    s.file,
                    s.first,
                    s.first + s.count,
                    s.chapter_line
                ));
            }
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

```rust,compile_fail,E0308
fn main() { let x: i32 = ""; }
```

```rust,no_run,noplayground
fn main() { loop {} }
```

```rust,test
#[test]
fn t() {}
```

```rust,nightly,release,panic=abort
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

````files,release
```rust,file=src/main.rs
mod util;
fn main() { util::hi() }
```

```rust,file=src/util.rs
pub fn hi() {}
```
````

````files,ignore
```text,file=layout.txt
a
```
````

```rust,clippy
fn main() {}
```

````exercise
```rust,starter,file=src/lib.rs
pub fn f() -> u32 { todo!() }
```
```c,starter,file=shim.c
int x;
```
```rust,tests
#[test]
fn t() { assert_eq!(f(), 1); }
```
```rust,tests,file=tests/grade.rs
#[test]
fn g() {}
```
```c,solution,file=shim.c
int x = 1;
```
```rust,solution,file=src/lib.rs
pub fn f() -> u32 {
    1
}
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
            CHECK DIR/c/one.md:10 example stable E2024 Debug Run [] RunsCleanly [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 11
            CHECK DIR/c/one.md:14 example stable E2021 Debug Run [] Panics [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 15
            CHECK DIR/c/one.md:18 example stable E2024 Debug Build [] FailsToCompile ["E0308"] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 19
            CHECK DIR/c/one.md:22 example stable E2024 Debug Build [] Compiles [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 23
            CHECK DIR/c/one.md:26 example stable E2024 Debug Test [] TestsPass [] files ["src/main.rs"]
              src/main.rs lines 1..3 from chapter line 27
            CHECK DIR/c/one.md:31 example nightly E2024 Release Run ["panic=abort"] RunsCleanly [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 32
            CHECK DIR/c/one.md:67 exercise solution loom E2024 Debug Test [] TestsPass [] files ["src/main.rs"]
              src/main.rs lines 1..4 from chapter line 68
              src/main.rs lines 5..7 from chapter line 59
            CHECK DIR/c/one.md:55 exercise starter loom E2024 Debug Test [] TestsDoNotPass [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 56
              src/main.rs lines 3..5 from chapter line 59
            CHECK DIR/c/one.md:80 files block stable E2024 Release Run [] RunsCleanly [] files ["src/main.rs", "src/util.rs"]
              src/main.rs lines 1..3 from chapter line 82
              src/util.rs lines 1..2 from chapter line 87
            CHECK DIR/c/one.md:97 example stable E2024 Debug Clippy [] Compiles [] files ["src/main.rs"]
              src/main.rs lines 1..2 from chapter line 98
            CHECK DIR/c/one.md:119 exercise solution stable E2024 Debug Test [] TestsPass [] files ["src/lib.rs", "shim.c", "tests/grade.rs"]
              src/lib.rs lines 1..4 from chapter line 120
              shim.c lines 1..2 from chapter line 117
              src/lib.rs lines 5..7 from chapter line 109
              tests/grade.rs lines 1..3 from chapter line 113
            CHECK DIR/c/one.md:102 exercise starter stable E2024 Debug Test [] TestsDoNotPass [] files ["src/lib.rs", "shim.c", "tests/grade.rs"]
              src/lib.rs lines 1..2 from chapter line 103
              shim.c lines 1..2 from chapter line 106
              src/lib.rs lines 3..5 from chapter line 109
              tests/grade.rs lines 1..3 from chapter line 113
            NOT RUN DIR/c/one.md:35 marked `ignore`
            NOT RUN DIR/c/one.md:39 see the format errors
            NOT RUN DIR/c/one.md:74 see the format errors
            NOT RUN DIR/c/one.md:91 marked `ignore`
        "#]]
        .assert_eq(&shown);
        let solution = &plan.checks[6];
        assert_eq!(
            solution.job.code(),
            "fn f() -> u32 {\n    1\n}\n\n#[test]\nfn t() { assert_eq!(f(), 1); }\n"
        );
        assert_eq!(solution.lines.file_line("src/main.rs", 2), Some(69));
        assert_eq!(solution.lines.file_line("src/main.rs", 4), None);
        assert_eq!(solution.lines.file_line("src/main.rs", 6), Some(60));
        // rustc and panics may name the file differently; the line still maps.
        assert_eq!(solution.lines.file_line("main.rs", 6), Some(60));
        assert_eq!(solution.lines.file_line("/build/src/main.rs", 6), Some(60));
        assert_eq!(solution.lines.file_line("src/lib.rs", 6), None);

        // The multi-file exercise: each file maps to its own block.
        let multi = plan
            .checks
            .iter()
            .find(|c| c.kind == Kind::Solution && c.job.files.len() == 3)
            .expect("the multi-file solution check");
        let lib = &multi.job.files[0];
        assert_eq!(lib.path, "src/lib.rs");
        assert_eq!(
            lib.contents,
            "pub fn f() -> u32 {\n    1\n}\n\n#[test]\nfn t() { assert_eq!(f(), 1); }\n"
        );
        assert_eq!(
            multi.job.files[1],
            ProjectFile::new("shim.c", "int x = 1;\n")
        );
        assert_eq!(multi.job.files[2].path, "tests/grade.rs");
    }

    #[test]
    fn an_author_can_plan_one_chapter_alone() {
        let (dir, _) = library("```rust\nfn main() {}\n```\n");
        write_chapter(
            dir.path(),
            "two",
            "```rust,bogus\nfn main() {}\n```\n\n```rust\nfn two() {}\n```\n",
        );
        let library = Library::load(dir.path()).unwrap();
        let only_one = plan_chapters(&library, |c| c.slug == "one");
        assert_eq!((only_one.chapters, only_one.checks.len()), (1, 1));
        assert!(
            only_one.format_errors.is_empty(),
            "the other chapter's problems are not this one's"
        );
        let only_two = plan_chapters(&library, |c| c.slug == "two");
        assert_eq!((only_two.chapters, only_two.checks.len()), (1, 1));
        assert_eq!(
            only_two.format_errors.len(),
            1,
            "{:?}",
            only_two.format_errors
        );
        assert!(only_two.format_errors[0].contains("two.md:7: unknown attribute `bogus`"));
        let all = plan(&library);
        assert_eq!(
            (all.chapters, all.checks.len(), all.format_errors.len()),
            (2, 2, 1)
        );
    }
}
