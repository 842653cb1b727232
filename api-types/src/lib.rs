//! The HTTP API's wire types, shared by the server (`backend`) and the SPA (`frontend`).
//!
//! Every type here is plain data with serde derives and camelCase field names. Nothing in this
//! crate knows about HTTP, the database or the DOM, so it builds for native targets and wasm32.
#![forbid(unsafe_code)]

mod execute;
pub mod flags;
pub mod project;
mod test_report;

pub use execute::*;
pub use flags::CodegenFlag;
pub use project::ProjectFile;
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
    pub chapters: Vec<ChapterSummary>,
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

    #[test]
    fn errors_have_the_documented_shape() {
        let json = serde_json::to_string(&ApiError {
            error: "no chapter called `x`".into(),
        })
        .unwrap();
        assert_eq!(json, r#"{"error":"no chapter called `x`"}"#);
    }
}
