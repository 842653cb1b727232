use std::collections::HashMap;
use std::path::PathBuf;

use crate::FrontMatter;

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
}

/// A fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBlock {
    /// Position among the chapter's code blocks.
    pub index: usize,
    /// 1-based line of the opening fence in the chapter file.
    pub line: usize,
    pub info: CodeInfo,
    pub code: String,
    /// `code` as highlighted HTML.
    pub highlighted: String,
}

/// What the fence's info string says, e.g. ```` ```rust,editable,should_panic ````.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeInfo {
    pub language: String,
    pub attributes: Vec<String>,
}

impl CodeInfo {
    /// Parses an info string: the language first, then attributes separated by commas or spaces.
    pub fn parse(info: &str) -> CodeInfo {
        let mut words = info
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|w| !w.is_empty());
        let language = words.next().unwrap_or("text").to_owned();
        CodeInfo {
            language,
            attributes: words.map(str::to_owned).collect(),
        }
    }

    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a == attribute)
    }

    pub fn is_rust(&self) -> bool {
        self.language == "rust"
    }

    /// A Rust block a student can run, unless the author opted out.
    pub fn runnable(&self) -> bool {
        self.is_rust() && !self.has("ignore") && !self.has("noplayground")
    }

    pub fn editable(&self) -> bool {
        self.has("editable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_strings_split_on_commas_and_spaces() {
        let info = CodeInfo::parse("rust,editable should_panic");
        assert_eq!(info.language, "rust");
        assert_eq!(info.attributes, ["editable", "should_panic"]);
        assert!(info.runnable());
        assert!(info.editable());
        assert_eq!(CodeInfo::parse("").language, "text");
        assert!(!CodeInfo::parse("rust,ignore").runnable());
        assert!(!CodeInfo::parse("rust noplayground").runnable());
        assert!(!CodeInfo::parse("toml").runnable());
    }
}
