use std::path::PathBuf;

/// Why the content could not be loaded. Each message names the file (and line, where there is one)
/// so an author can go straight to the problem.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error(
        "content directory `{}` does not exist: set RMP_CONTENT_DIR or run from the repository root",
        path.display()
    )]
    MissingDir { path: PathBuf },

    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error(
        "course directory `{}` has no course.toml (it needs a title, a summary and an order)",
        dir.display()
    )]
    MissingCourseFile { dir: PathBuf },

    #[error(
        "chapter slug `{slug}` is used twice: `{}` and `{}` (slugs name pages, so they must be unique)",
        first.display(),
        second.display()
    )]
    DuplicateSlug {
        slug: String,
        first: PathBuf,
        second: PathBuf,
    },

    #[error(
        "`{}`: `{name}` is not a valid slug (use lowercase letters, digits and dashes)",
        path.display()
    )]
    InvalidSlug { path: PathBuf, name: String },
}
