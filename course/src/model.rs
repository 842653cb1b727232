use std::collections::HashMap;
use std::path::PathBuf;

use api_types::{ProjectFile, RunSettings};

use crate::{CodeInfo, ContentError, FrontMatter, Role};

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
    /// `[[parts]]` of `course.toml` in teaching order (empty: the chapters are one list). Each
    /// chapter names its part; a part's chapters are consecutive.
    pub parts: Vec<Part>,
    /// Sorted by `order`, then slug.
    pub chapters: Vec<Chapter>,
}

/// A group of consecutive chapters (a month of a long course).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
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
    /// Checklist item ids (task list items in the prose), in order.
    pub tasks: Vec<String>,
    /// Links to chapters (`/learn/<slug>`) with their lines, checked once every slug is known.
    pub links: Vec<(usize, String)>,
    /// The chapter as slides, in order (see [`crate::slides`]); never empty.
    pub slides: Vec<crate::slides::Slide>,
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
    /// A name that survives blocks being added or moved around this one: the fence's `id=`,
    /// else `b-` and 8 hex digits of [`content_hash`] of the source (`-2`, `-3`, ... for
    /// identical blocks later in the chapter). See [`crate::ids`].
    pub id: String,
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
///
/// Its main file is the first starter block's (`src/main.rs` unless that block says `file=`);
/// `starter`, `tests` and `solution` are that file's blocks, as in a single-file exercise, and
/// every other file is in `extra_files`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exercise {
    /// Position among the chapter's exercises.
    pub index: usize,
    /// `id=` on the fence, else `e-` and 8 hex digits of the main starter's hash.
    pub id: String,
    pub line: usize,
    /// The fence's run settings (runner, edition, `release`, flags) and `id=`.
    pub info: CodeInfo,
    pub instructions: String,
    /// The main file's path.
    pub path: String,
    pub starter: Option<CodeBlock>,
    pub tests: Option<CodeBlock>,
    pub hints: Vec<String>,
    pub solution: Option<CodeBlock>,
    /// The other files of a multi-file exercise, in the order written.
    pub extra_files: Vec<ExerciseFile>,
    pub problem: Option<String>,
}

/// A starter, tests or solution block of an exercise for a file other than the main one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExerciseFile {
    pub role: Role,
    pub path: String,
    pub block: CodeBlock,
}

impl Exercise {
    /// How the Test button runs it: the fence's settings with the action `test`.
    pub fn run_settings(&self) -> RunSettings {
        RunSettings {
            action: api_types::Action::Test,
            ..self.info.run_settings()
        }
    }

    /// Every block of `role`, with its path: the main file's first, then the others in order.
    pub fn files(&self, role: Role) -> Vec<(&str, &CodeBlock)> {
        let main = match role {
            Role::Starter => &self.starter,
            Role::Tests => &self.tests,
            Role::Solution => &self.solution,
        };
        main.iter()
            .map(|block| (self.path.as_str(), block))
            .chain(
                self.extra_files
                    .iter()
                    .filter(|f| f.role == role)
                    .map(|f| (f.path.as_str(), &f.block)),
            )
            .collect()
    }

    /// The project a student starts from (`Role::Starter`) or the reference solution
    /// (`Role::Solution`: the starter files with each solution file in place of its starter),
    /// before the tests are added. Pass it to [`api_types::exercise_project`] with
    /// [`Exercise::test_files`] to get what the Test button sends.
    pub fn student_files(&self, role: Role) -> Vec<ProjectFile> {
        let mut files: Vec<ProjectFile> = self
            .files(Role::Starter)
            .into_iter()
            .map(|(path, block)| ProjectFile::new(path, block.code.clone()))
            .collect();
        if role == Role::Solution {
            for (path, block) in self.files(Role::Solution) {
                match files.iter_mut().find(|f| f.path == path) {
                    Some(file) => file.contents = block.code.clone(),
                    None => files.push(ProjectFile::new(path, block.code.clone())),
                }
            }
        }
        files
    }

    /// The tests, by path: each is appended to the student's file of that path, or is a file of
    /// its own.
    pub fn test_files(&self) -> Vec<ProjectFile> {
        self.files(Role::Tests)
            .into_iter()
            .map(|(path, block)| ProjectFile::new(path, block.code.clone()))
            .collect()
    }
}

/// A ```` ````files ```` block: several files that make one project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSet {
    /// `id=` on the fence, else `f-` and 8 hex digits of a hash of the whole block.
    pub id: String,
    pub line: usize,
    /// The outer fence's attributes: run settings, `editable`, `ignore`, an expectation, `id=`.
    pub info: CodeInfo,
    pub files: Vec<CodeBlock>,
    /// [`content_hash`] of the block's source as written.
    pub hash: String,
    pub problem: Option<String>,
}

impl FileSet {
    /// Whether a student can run it: well formed, a valid project, not `ignore`/`noplayground`.
    pub fn runnable(&self) -> bool {
        self.problem.is_none() && !self.info.hidden_from_students()
    }

    /// The files as a project, in the order written.
    pub fn project(&self) -> Vec<ProjectFile> {
        self.files
            .iter()
            .map(|file| ProjectFile::new(file.info.file().unwrap_or_default(), file.code.clone()))
            .collect()
    }
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
