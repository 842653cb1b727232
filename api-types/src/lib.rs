//! The HTTP API's wire types, shared by the server (`backend`) and the SPA (`frontend`).
//!
//! Every type here is plain data with serde derives and camelCase field names. Nothing in this
//! crate knows about HTTP, the database or the DOM, so it builds for native targets and wasm32.
#![forbid(unsafe_code)]

mod execute;

pub use execute::*;
use serde::{Deserialize, Serialize};

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
}

/// The demos a chapter can mount. The content loader rejects other names; the SPA renders these.
pub const DEMOS: &[&str] = &["matching-engine", "lock-free-explorer"];

/// A fenced code block with its source and its syntax-highlighted HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeBlock {
    /// Position among the chapter's code blocks, starting at 0.
    pub index: usize,
    /// The language from the fence (`rust`, `toml`, `text`, ...).
    pub language: String,
    /// The source exactly as a student sees it.
    pub code: String,
    /// `code` as HTML with `<span class="tok-...">` highlighting.
    pub highlighted: String,
    /// Whether the block is meant to be run (a Rust block not marked `ignore` or `noplayground`).
    pub runnable: bool,
    /// Whether the student is invited to edit it (`editable`).
    pub editable: bool,
    /// The remaining fence attributes in the order written (`should_panic`, `edition2021`, ...).
    pub attributes: Vec<String>,
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
                language: "rust".into(),
                code: "fn main() {}".into(),
                highlighted: "<span class=\"tok-kw\">fn</span> main() {}".into(),
                runnable: true,
                editable: false,
                attributes: vec!["should_panic".into()],
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
                "language": "rust",
                "code": "fn main() {}",
                "highlighted": "<span class=\"tok-kw\">fn</span> main() {}",
                "runnable": true,
                "editable": false,
                "attributes": [
                  "should_panic"
                ]
              }
            ]"#]]
        .assert_eq(&json);
        let back: Vec<Block> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, blocks);
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
