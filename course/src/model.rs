use std::collections::HashMap;
use std::path::PathBuf;

use crate::{CodeInfo, ContentError, FrontMatter};

/// Every course found in the content directory, in teaching order.
#[derive(Clone, Debug)]
pub struct Library {
    pub courses: Vec<Course>,
    /// Chapter slug to (course index, chapter index).
    pub(crate) by_slug: HashMap<String, (usize, usize)>,
}

impl Library {
    /// The chapter called `slug` and the course it belongs to.
    pub fn chapter(&self, slug: &str) -> Option<(&Course, &Chapter)> {
        let &(course, chapter) = self.by_slug.get(slug)?;
        let course = &self.courses[course];
        Some((course, &course.chapters[chapter]))
    }

    /// All chapters of all courses, in teaching order.
    pub fn chapters(&self) -> impl Iterator<Item = (&Course, &Chapter)> {
        self.courses
            .iter()
            .flat_map(|course| course.chapters.iter().map(move |chapter| (course, chapter)))
    }

    /// Every malformed block in every chapter, as `file:line: message` errors, in teaching order.
    /// The chapters still render; these blocks cannot run, and verification fails until they are fixed.
    pub fn problems(&self) -> impl Iterator<Item = ContentError> + '_ {
        self.chapters().flat_map(|(_, chapter)| {
            chapter.problems.iter().map(|problem| ContentError::Syntax {
                path: chapter.path.clone(),
                line: problem.line,
                message: problem.message.clone(),
            })
        })
    }

    /// How many chapters there are in all.
    pub fn chapter_count(&self) -> usize {
        self.by_slug.len()
    }
}

/// A course: a directory under `content/` with a `course.toml`.
#[derive(Clone, Debug)]
pub struct Course {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub order: u32,
    /// Sorted by `order`, then slug.
    pub chapters: Vec<Chapter>,
}

impl Course {
    /// The chapters before and after `slug` in this course.
    pub fn neighbours(&self, slug: &str) -> (Option<&Chapter>, Option<&Chapter>) {
        let Some(at) = self.chapters.iter().position(|c| c.slug == slug) else {
            return (None, None);
        };
        let previous = at.checked_sub(1).map(|i| &self.chapters[i]);
        (previous, self.chapters.get(at + 1))
    }
}

/// A chapter: one Markdown file.
#[derive(Clone, Debug)]
pub struct Chapter {
    pub slug: String,
    pub path: PathBuf,
    pub front: FrontMatter,
    pub blocks: Vec<Block>,
    pub headings: Vec<Heading>,
    /// Malformed blocks. The chapter still renders; the affected blocks cannot run.
    pub problems: Vec<Problem>,
}

/// Something wrong at one line of a chapter, for the author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

/// A section heading with the anchor id its element carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A piece of a chapter body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// Rendered HTML of everything between code blocks.
    Prose(String),
    Code(CodeBlock),
    /// An in-browser demo, named by a ```` ```demo ```` block (one of `api_types::DEMOS`).
    Demo {
        name: String,
        line: usize,
    },
    /// Speaker notes (```` ```notes ````), rendered to HTML.
    Notes {
        html: String,
        line: usize,
    },
    Exercise(Box<Exercise>),
    Files(FileSet),
}

/// A fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBlock {
    /// Position among the chapter's code blocks.
    pub index: usize,
    /// 1-based line of the opening fence in the chapter file.
    pub line: usize,
    pub info: CodeInfo,
    /// The whole program: hidden lines included, their `# ` prefix removed.
    pub code: String,
    /// 1-based lines of `code` to collapse on the page.
    pub hidden_lines: Vec<u32>,
    /// The visible lines as highlighted HTML.
    pub highlighted: String,
    /// [`content_hash`] of the source as written.
    pub hash: String,
    /// Why the block cannot run, when its fence is malformed.
    pub problem: Option<String>,
}

impl CodeBlock {
    /// Whether a student can run it: a well-formed runnable Rust block.
    pub fn runnable(&self) -> bool {
        self.problem.is_none() && self.info.runnable()
    }
}

/// An ```` ````exercise ```` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exercise {
    /// Position among the chapter's exercises.
    pub index: usize,
    pub line: usize,
    /// The fence's runner and edition.
    pub info: CodeInfo,
    pub instructions: String,
    pub starter: Option<CodeBlock>,
    pub tests: Option<CodeBlock>,
    pub hints: Vec<String>,
    pub solution: Option<CodeBlock>,
    pub problem: Option<String>,
}

/// A ```` ````files ```` block: several files shown together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSet {
    pub line: usize,
    pub files: Vec<CodeBlock>,
    pub problem: Option<String>,
}

/// A short stable hash (64-bit FNV-1a, hex) of `text`: the same on every machine and release.
pub fn content_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashes_are_stable() {
        assert_eq!(content_hash(""), "cbf29ce484222325");
        assert_eq!(content_hash("a"), "af63dc4c8601ec8c");
        assert_ne!(content_hash("fn main() {}"), content_hash("fn main() { }"));
    }
}
