//! Course content: loading `content/`, parsing front matter and Markdown, highlighting code.
//!
//! This is the one crate that parses content. The server, the verification command and any other
//! tool call [`Library::load`] and work with the types here; none of them reads `content/` itself.
//!
//! Layout on disk:
//!
//! ```text
//! content/
//!   <course-slug>/
//!     course.toml          title, summary, order
//!     <chapter-slug>.md    +++ TOML front matter +++ then Markdown
//! ```
#![forbid(unsafe_code)]

mod error;
mod front_matter;
mod hidden;
pub mod highlight;
mod ids;
mod info;
mod load;
mod markdown;
mod model;
mod search;
pub mod slides;
mod wire;

pub use error::ContentError;
pub use front_matter::FrontMatter;
pub use hidden::{split_hidden, visible_part};
pub use info::{CodeInfo, Context, Expectation, Role};
pub use markdown::render_markdown;
pub use model::{
    Block, Chapter, CodeBlock, Course, Exercise, ExerciseFile, FileSet, Heading, Library, Part,
    Problem, content_hash,
};
