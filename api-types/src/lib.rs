//! The HTTP API's wire types, shared by the server (`backend`) and the SPA (`frontend`).
//!
//! Every type here is plain data with serde derives and camelCase field names. Nothing in this
//! crate knows about HTTP, the database or the DOM, so it builds for native targets and wasm32.
#![forbid(unsafe_code)]

pub mod browser;
mod execute;
pub mod flags;
pub mod present;
pub mod project;
pub mod room;
mod search;
pub mod share;
mod test_report;

pub use execute::*;
pub use flags::CodegenFlag;
pub use project::ProjectFile;
pub use search::*;
use serde::{Deserialize, Serialize};
pub use test_report::parse_test_report;

/// The body of every error response: `{"error": "..."}`.
///
/// The message is written for a person: it says what could not be done and, where it helps, what
/// to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

/// `GET /api/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `"ok"` when the server can answer requests and reach its store.
    pub status: String,
    /// The server's package version.
    pub version: String,
    /// The store's migration level.
    pub schema_version: u32,
    /// How many chapters were loaded from the content directory.
    pub chapters: usize,
}

/// One message of `GET /api/content/events`, the stream of content reloads an author's page follows
/// while the server watches its content directory (`RMP_CONTENT_WATCH`). The first message
/// describes the content being served; each later one, a reload or a rejected edit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentEvent {
    /// Counts successful loads: 1 for the content loaded at start-up.
    pub version: u64,
    /// The chapters (slugs) whose page differs from the previous version's, including chapters
    /// added, removed, or whose neighbours changed. Empty in the first message.
    pub changed: Vec<String>,
    /// Whether the course outline (courses, chapter titles, order, minutes) changed.
    pub outline_changed: bool,
    /// Set when the files on disk do not load (`content/x/y.md:3: message`): the server keeps
    /// serving `version`, the last content that loaded.
    pub rejected: Option<String>,
    /// Malformed blocks in the content being served, as `file:line: message`; each such block is
    /// shown with its problem and cannot run.
    pub problems: Vec<String>,
}

/// `GET /api/courses`: every course with its chapters, in teaching order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseList {
    pub courses: Vec<CourseSummary>,
}

/// One course and the outline of its chapters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The course's parts (months) in order; empty when its chapters are one list. Every chapter
    /// of a course with parts names one, and each part's chapters are consecutive.
    #[serde(default)]
    pub parts: Vec<PartSummary>,
    pub chapters: Vec<ChapterSummary>,
}

/// A group of consecutive chapters in a course's outline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartSummary {
    pub id: String,
    pub title: String,
    /// May be empty.
    pub summary: String,
}

/// A chapter as listed in an outline or a sidebar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChapterSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Estimated reading and exercise time.
    pub minutes: u32,
    /// The id of its part, in a course with parts.
    #[serde(default)]
    pub part: Option<String>,
    /// What a learner's progress is counted against: the ids of the chapter's runnable examples
    /// (code and files blocks), of its exercises, and of its checklist items.
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<String>,
}

/// `GET /api/chapters/{slug}`: one chapter, ready to render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chapter {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub course: CourseRef,
    /// The chapter body in reading order.
    pub blocks: Vec<Block>,
    /// The `##` and `###` headings, for an on-page outline.
    pub headings: Vec<Heading>,
    pub previous: Option<ChapterRef>,
    pub next: Option<ChapterRef>,
}

/// A link to a course.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseRef {
    pub slug: String,
    pub title: String,
}

/// A link to a chapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChapterRef {
    pub slug: String,
    pub title: String,
}

/// A heading inside a chapter, with the `id` its HTML element carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A piece of a chapter body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Block {
    /// Prose rendered to HTML by the server from trusted course content.
    Prose { html: String },
    /// A fenced code block.
    Code(CodeBlock),
    /// An in-browser demo mounted in the page, from a ```` ```demo ```` block naming one of [`DEMOS`].
    Demo { name: String },
    /// Speaker notes for whoever presents the chapter (a ```` ```notes ```` block), as HTML.
    Notes { html: String },
    /// An exercise: instructions, starter code, hidden tests, hints and a solution.
    Exercise(Exercise),
    /// Several files that belong together (a ```` ````files ```` block), e.g. a lab with a C file.
    Files(FileSet),
}

/// The demos a chapter can mount. The content loader rejects other names; the SPA renders these.
pub const DEMOS: &[&str] = &["matching-engine", "lock-free-explorer"];

/// A fenced code block with its source and its syntax-highlighted HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeBlock {
    /// Position among the chapter's code blocks, starting at 0.
    pub index: usize,
    /// A name for the block that stays the same when blocks are added or moved around it (an
    /// `id=` attribute, else derived from the block's code). Saved edits, permalinks and
    /// classroom pushes refer to blocks by it.
    pub id: String,
    /// The language from the fence (`rust`, `toml`, `text`, ...).
    pub language: String,
    /// The whole program, hidden boilerplate lines included (their `# ` prefix removed).
    pub code: String,
    /// 1-based lines of `code` that are boilerplate, collapsed until the student asks to see them.
    pub hidden_lines: Vec<u32>,
    /// The visible lines of `code` as HTML with `<span class="tok-...">` highlighting.
    pub highlighted: String,
    /// Whether the block is meant to be run (a valid Rust block not marked `ignore` or `noplayground`).
    pub runnable: bool,
    /// Whether the student is invited to edit it (`editable`).
    pub editable: bool,
    /// How to run it, from the fence attributes.
    pub run: RunSettings,
    /// The fence attributes in the order written (`should_panic`, `edition2021`, ...).
    pub attributes: Vec<String>,
    /// A hash of the block's source, so saved edits can tell when the original changed.
    pub hash: String,
    /// Set when the block's fence is malformed; the block is then shown but cannot run.
    pub problem: Option<String>,
}

/// The runner, edition, action, mode and flags a block or exercise asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSettings {
    pub runner: RunnerId,
    pub edition: Edition,
    /// What the main button does: run `main` or run the tests.
    pub action: Action,
    /// Debug unless the fence says `release`; the page lets the student switch.
    #[serde(default)]
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<CodegenFlag>,
    /// Miri's flags, for a `miri` block (`-Zmiri-strict-provenance` on the fence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub miri_flags: Vec<String>,
    /// Loom's preemption bound, for a `loom` block (`preemptions=3` on the fence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loom_preemptions: Option<u8>,
}

/// An exercise block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exercise {
    /// Position among the chapter's exercises, starting at 0.
    pub index: usize,
    /// A name that stays the same when blocks move (see [`CodeBlock::id`]).
    pub id: String,
    /// What to do, as HTML.
    pub instructions: String,
    /// The code the student starts from and edits.
    pub starter: String,
    /// 1-based boilerplate lines of `starter`.
    pub starter_hidden_lines: Vec<u32>,
    /// Tests the student does not edit; [`exercise_program`] appends them to the student's code.
    pub tests: String,
    /// Hints as HTML, revealed one at a time.
    pub hints: Vec<String>,
    /// The reference solution, shown only after the student confirms.
    pub solution: String,
    pub solution_hidden_lines: Vec<u32>,
    pub run: RunSettings,
    /// A hash of the starter code, so saved edits can tell when it changed.
    pub hash: String,
    /// Set when the exercise is malformed; it is then shown but cannot be tested.
    pub problem: Option<String>,
    /// The project path of the main file, the one `starter`, `tests` and `solution` belong to:
    /// `src/main.rs` unless the author gave the first starter block another `file=`.
    #[serde(default = "main_path")]
    pub path: String,
    /// The other files of a multi-file exercise, in the order written. Empty for a single-file
    /// exercise, whose whole story is `starter`, `tests` and `solution`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_files: Vec<ExerciseFile>,
}

fn main_path() -> String {
    ProjectFile::MAIN.to_owned()
}

/// One file of a multi-file exercise beside its main file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseFile {
    /// Relative project path, e.g. `src/shapes.rs`, `tests/grade.rs`, `shim.c`.
    pub path: String,
    /// The fence's language (`rust`, `c`, `toml`, ...).
    pub language: String,
    pub role: ExerciseRole,
    /// The whole file, hidden boilerplate lines included.
    pub code: String,
    /// 1-based boilerplate lines of `code`.
    pub hidden_lines: Vec<u32>,
    /// A hash of the file's source, so a saved edit of a starter file can tell when it changed.
    pub hash: String,
}

/// What a file of an exercise is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExerciseRole {
    /// The student starts from it and edits it.
    Starter,
    /// Not edited: appended to the student's file of the same path, or a file of its own.
    Tests,
    /// The reference solution: replaces the starter file of the same path.
    Solution,
}

impl Exercise {
    /// The main file's and the extra files' code for `role`, main file first.
    fn role_files(&self, role: ExerciseRole) -> Vec<ProjectFile> {
        let main = match role {
            ExerciseRole::Starter => &self.starter,
            ExerciseRole::Tests => &self.tests,
            ExerciseRole::Solution => &self.solution,
        };
        // A multi-file exercise's main file may have no tests block of its own.
        let main = (role != ExerciseRole::Tests || !main.is_empty())
            .then(|| ProjectFile::new(self.path.clone(), main.clone()));
        main.into_iter()
            .chain(
                self.extra_files
                    .iter()
                    .filter(|f| f.role == role)
                    .map(|f| ProjectFile::new(f.path.clone(), f.code.clone())),
            )
            .collect()
    }

    /// The files a student starts from: the main starter, then the other starter files.
    pub fn starter_files(&self) -> Vec<ProjectFile> {
        self.role_files(ExerciseRole::Starter)
    }

    /// The reference solution as a project: the starter files, each replaced by the solution
    /// file of the same path where there is one.
    pub fn solution_files(&self) -> Vec<ProjectFile> {
        let mut files = self.starter_files();
        for solution in self.role_files(ExerciseRole::Solution) {
            match files.iter_mut().find(|f| f.path == solution.path) {
                Some(file) => file.contents = solution.contents,
                None => files.push(solution),
            }
        }
        files
    }

    /// The tests, by path (see [`exercise_project`]).
    pub fn test_files(&self) -> Vec<ProjectFile> {
        self.role_files(ExerciseRole::Tests)
    }

    /// What the Test button sends for the student's files (edited starters, same paths).
    pub fn test_project(&self, student_files: &[ProjectFile]) -> Vec<ProjectFile> {
        exercise_project(student_files, &self.test_files())
    }
}

/// The project an exercise's Test button compiles: the student's files, with each tests file
/// appended to the student's file of the same path (as [`exercise_program`] does, so the
/// student's lines keep their numbers) or added as a file of its own.
pub fn exercise_project(student_files: &[ProjectFile], tests: &[ProjectFile]) -> Vec<ProjectFile> {
    let mut files = student_files.to_vec();
    for test in tests {
        match files.iter_mut().find(|f| f.path == test.path) {
            Some(file) => file.contents = exercise_program(&file.contents, &test.contents),
            None => files.push(test.clone()),
        }
    }
    files
}

/// The program an exercise's Test button compiles: the student's code, then the tests.
///
/// The student's lines keep their numbers, so compiler diagnostics on them land in the editor.
pub fn exercise_program(student_code: &str, tests: &str) -> String {
    let mut program = String::with_capacity(student_code.len() + tests.len() + 2);
    program.push_str(student_code);
    if !program.ends_with('\n') {
        program.push('\n');
    }
    program.push('\n');
    program.push_str(tests);
    program
}

/// The files of a multi-file block, in the order written: a project the page can run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSet {
    /// A name that stays the same when blocks move (see [`CodeBlock::id`]).
    pub id: String,
    pub files: Vec<SourceFile>,
    /// Whether the project can be run (it has a crate root and no problem).
    pub runnable: bool,
    pub editable: bool,
    pub run: RunSettings,
    pub problem: Option<String>,
}

impl FileSet {
    /// The files as the project the Run button sends (the student's edits in place of `code`
    /// where there are any).
    pub fn project(&self) -> Vec<ProjectFile> {
        self.files
            .iter()
            .map(|f| ProjectFile::new(f.path.clone(), f.code.clone()))
            .collect()
    }
}

/// One file of a [`FileSet`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFile {
    /// Relative path, e.g. `src/lib.rs` or `shim.c`.
    pub path: String,
    pub language: String,
    pub code: String,
    pub highlighted: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn blocks_are_tagged_by_kind_in_camel_case() {
        let blocks = vec![
            Block::Prose {
                html: "<p>Hi</p>".into(),
            },
            Block::Code(CodeBlock {
                index: 0,
                id: "b-0000ff".into(),
                language: "rust".into(),
                code: "fn main() {}".into(),
                hidden_lines: vec![],
                highlighted: "<span class=\"tok-kw\">fn</span> main() {}".into(),
                runnable: true,
                editable: false,
                run: RunSettings::default(),
                attributes: vec!["should_panic".into()],
                hash: "00000000000000ff".into(),
                problem: None,
            }),
        ];
        let json = serde_json::to_string_pretty(&blocks).unwrap();
        expect![[r#"
            [
              {
                "kind": "prose",
                "html": "<p>Hi</p>"
              },
              {
                "kind": "code",
                "index": 0,
                "id": "b-0000ff",
                "language": "rust",
                "code": "fn main() {}",
                "hiddenLines": [],
                "highlighted": "<span class=\"tok-kw\">fn</span> main() {}",
                "runnable": true,
                "editable": false,
                "run": {
                  "runner": "stable",
                  "edition": "2024",
                  "action": "run",
                  "mode": "debug"
                },
                "attributes": [
                  "should_panic"
                ],
                "hash": "00000000000000ff",
                "problem": null
              }
            ]"#]]
        .assert_eq(&json);
        let back: Vec<Block> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, blocks);
    }

    #[test]
    fn exercise_programs_keep_the_students_line_numbers() {
        assert_eq!(
            exercise_program("fn a() {}", "#[test]\nfn t() {}\n"),
            "fn a() {}\n\n#[test]\nfn t() {}\n"
        );
        assert_eq!(exercise_program("fn a() {}\n", "x"), "fn a() {}\n\nx");
    }

    fn exercise() -> Exercise {
        Exercise {
            index: 0,
            id: "e-12345678".into(),
            instructions: String::new(),
            starter: "pub fn one() -> u8 { todo!() }\n".into(),
            starter_hidden_lines: vec![],
            tests: String::new(),
            hints: vec![],
            solution: "pub fn one() -> u8 { 1 }\n".into(),
            solution_hidden_lines: vec![],
            run: RunSettings::default(),
            hash: "h".into(),
            problem: None,
            path: "src/lib.rs".into(),
            extra_files: vec![
                ExerciseFile {
                    path: "shim.c".into(),
                    language: "c".into(),
                    role: ExerciseRole::Starter,
                    code: "int two(void) { return 0; }\n".into(),
                    hidden_lines: vec![],
                    hash: "c".into(),
                },
                ExerciseFile {
                    path: "tests/grade.rs".into(),
                    language: "rust".into(),
                    role: ExerciseRole::Tests,
                    code: "#[test]\nfn one() {}\n".into(),
                    hidden_lines: vec![],
                    hash: "t".into(),
                },
                ExerciseFile {
                    path: "shim.c".into(),
                    language: "c".into(),
                    role: ExerciseRole::Tests,
                    code: "/* checked */\n".into(),
                    hidden_lines: vec![],
                    hash: "t2".into(),
                },
                ExerciseFile {
                    path: "shim.c".into(),
                    language: "c".into(),
                    role: ExerciseRole::Solution,
                    code: "int two(void) { return 2; }\n".into(),
                    hidden_lines: vec![],
                    hash: "s".into(),
                },
            ],
        }
    }

    #[test]
    fn multi_file_exercises_build_their_projects_by_path() {
        let exercise = exercise();
        let paths =
            |files: &[ProjectFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&exercise.starter_files()), ["src/lib.rs", "shim.c"]);
        // The main file has no tests of its own here: only the two tests files.
        assert_eq!(paths(&exercise.test_files()), ["tests/grade.rs", "shim.c"]);
        let student = vec![
            ProjectFile::new("src/lib.rs", "pub fn one() -> u8 { 1 }"),
            ProjectFile::new("shim.c", "int two(void) { return 2; }\n"),
        ];
        assert_eq!(
            exercise.test_project(&student),
            [
                ProjectFile::new("src/lib.rs", "pub fn one() -> u8 { 1 }"),
                // Appended, so the student's lines keep their numbers.
                ProjectFile::new("shim.c", "int two(void) { return 2; }\n\n/* checked */\n"),
                ProjectFile::new("tests/grade.rs", "#[test]\nfn one() {}\n"),
            ]
        );
        assert_eq!(
            exercise.solution_files(),
            [
                ProjectFile::new("src/lib.rs", "pub fn one() -> u8 { 1 }\n"),
                ProjectFile::new("shim.c", "int two(void) { return 2; }\n"),
            ]
        );
    }

    #[test]
    fn a_single_file_exercise_is_its_main_file_and_the_old_program() {
        let mut exercise = exercise();
        exercise.extra_files.clear();
        exercise.path = ProjectFile::MAIN.into();
        exercise.tests = "#[test]\nfn t() {}\n".into();
        let student = [ProjectFile::main(exercise.starter.clone())];
        assert_eq!(
            exercise.test_project(&student),
            [ProjectFile::main(exercise_program(
                &exercise.starter,
                &exercise.tests
            ))]
        );
        // Without the new fields (an older server), the main file is src/main.rs.
        let mut json = serde_json::to_value(&exercise).unwrap();
        let object = json.as_object_mut().unwrap();
        assert!(
            !object.contains_key("extraFiles"),
            "empty lists are left out"
        );
        assert_eq!(object.remove("path").unwrap(), "src/main.rs");
        let back: Exercise = serde_json::from_value(json).unwrap();
        assert_eq!(back, exercise);
    }

    #[test]
    fn exercise_files_are_camel_case_on_the_wire() {
        let json = serde_json::to_value(exercise()).unwrap();
        assert_eq!(json["path"], "src/lib.rs");
        assert_eq!(json["extraFiles"][1]["role"], "tests");
        assert_eq!(json["extraFiles"][0]["hiddenLines"], serde_json::json!([]));
        let back: Exercise = serde_json::from_value(json).unwrap();
        assert_eq!(back, exercise());
    }

    #[test]
    fn errors_have_the_documented_shape() {
        let json = serde_json::to_string(&ApiError {
            error: "no chapter called `x`".into(),
        })
        .unwrap();
        assert_eq!(json, r#"{"error":"no chapter called `x`"}"#);
    }
}
