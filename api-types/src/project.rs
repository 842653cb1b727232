//! A submission as a small project: its files and the rules they must follow.
//!
//! The layout is Cargo's, so that what students write here works in a real project:
//! - `src/main.rs` is the program (a request's `code` is shorthand for this one file);
//!   `src/lib.rs` a library beside it; any other `src/**.rs` file is a module.
//! - `Cargo.toml` is optional. When present, its `[dependencies]` may name crates the runner has
//!   precompiled and path dependencies on other crates of the project (`macros/Cargo.toml` with
//!   `[lib] proc-macro = true`, for instance).
//! - `build.rs` runs before the crate is compiled (with `cc` to compile C files).
//! - C sources and headers (`.c`, `.h`) and small data files may sit anywhere.
//!
//! These checks are pure and run at the edge, before anything is sent to a runner. The server
//! checks the manifests against the runner's precompiled crates separately.

use serde::{Deserialize, Serialize};

/// More files than this is not a classroom example.
pub const MAX_FILES: usize = 32;
/// All files together.
pub const MAX_PROJECT_BYTES: usize = 256 * 1024;
/// One path, in bytes.
pub const MAX_PATH_BYTES: usize = 100;
/// Folders deep, the file itself included (`macros/src/lib.rs` is 3).
pub const MAX_PATH_DEPTH: usize = 5;
/// File name endings a project may contain, besides `Cargo.toml`.
pub const ALLOWED_EXTENSIONS: &[&str] = &["rs", "c", "h", "md", "txt", "json", "csv"];

/// One file of a project.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectFile {
    /// Relative to the project root, with `/` between folders: `src/main.rs`, `shim.c`.
    pub path: String,
    pub contents: String,
}

impl ProjectFile {
    pub const MAIN: &str = "src/main.rs";

    pub fn new(path: impl Into<String>, contents: impl Into<String>) -> ProjectFile {
        ProjectFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    /// The one file of the common case.
    pub fn main(contents: String) -> ProjectFile {
        ProjectFile::new(ProjectFile::MAIN, contents)
    }
}

/// Why a project cannot be accepted. Each message names the file and says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectError {
    Empty,
    TooManyFiles { count: usize },
    TooLarge { bytes: usize },
    BadPath { path: String, reason: &'static str },
    Duplicate { path: String },
    NoCrateRoot,
}

impl std::fmt::Display for ProjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectError::Empty => write!(f, "there is no code to run: send `code` or `files`"),
            ProjectError::TooManyFiles { count } => {
                write!(f, "the project has {count} files; the limit is {MAX_FILES}")
            }
            ProjectError::TooLarge { bytes } => write!(
                f,
                "the code is {} KB; the limit is {} KB",
                bytes.div_ceil(1024),
                MAX_PROJECT_BYTES / 1024
            ),
            ProjectError::BadPath { path, reason } => {
                write!(f, "the file path `{}` {reason}", path.escape_debug())
            }
            ProjectError::Duplicate { path } => {
                write!(f, "the file `{path}` appears twice in the project")
            }
            ProjectError::NoCrateRoot => write!(
                f,
                "the project needs `src/main.rs` or `src/lib.rs` (or a Cargo.toml naming its crates)"
            ),
        }
    }
}

impl std::error::Error for ProjectError {}

/// Checks the files against the rules in the module documentation.
pub fn check_project(files: &[ProjectFile]) -> Result<(), ProjectError> {
    if files.is_empty() {
        return Err(ProjectError::Empty);
    }
    if files.len() > MAX_FILES {
        return Err(ProjectError::TooManyFiles { count: files.len() });
    }
    let bytes: usize = files.iter().map(|f| f.contents.len() + f.path.len()).sum();
    if bytes > MAX_PROJECT_BYTES {
        return Err(ProjectError::TooLarge { bytes });
    }
    let mut seen = std::collections::BTreeSet::new();
    for file in files {
        check_path(&file.path)?;
        if !seen.insert(file.path.as_str()) {
            return Err(ProjectError::Duplicate {
                path: file.path.clone(),
            });
        }
    }
    let has_root = |name: &str| {
        seen.iter()
            .any(|p| *p == name || p.ends_with(&format!("/{name}")))
    };
    if !has_root("src/main.rs") && !has_root("src/lib.rs") {
        return Err(ProjectError::NoCrateRoot);
    }
    Ok(())
}

/// One path: relative, plain names, an allowed kind of file.
pub fn check_path(path: &str) -> Result<(), ProjectError> {
    let bad = |reason: &'static str| {
        Err(ProjectError::BadPath {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return bad("is empty");
    }
    if path.len() > MAX_PATH_BYTES {
        return bad("is too long (100 bytes at most)");
    }
    if path.starts_with('/') || path.starts_with('\\') || path.contains(':') {
        return bad("must be relative to the project, like `src/main.rs`");
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > MAX_PATH_DEPTH {
        return bad("is nested too deeply (5 levels at most)");
    }
    for part in &parts {
        if *part == ".." {
            return bad("leaves the project (`..` is not allowed)");
        }
        if part.is_empty() || *part == "." {
            return bad("has an empty or `.` folder name");
        }
        if part.starts_with('.') {
            return bad("names a hidden file or folder, which a project may not contain");
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return bad("may use only letters, digits, `_`, `-` and `.` in its names");
        }
    }
    let name = parts[parts.len() - 1];
    if name == "Cargo.toml" {
        return Ok(());
    }
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && ALLOWED_EXTENSIONS.contains(&extension) => {
            Ok(())
        }
        _ => bad(
            "is not a kind of file a project may hold (Rust, C, Cargo.toml, or .md, .txt, .json, .csv data)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(paths: &[&str]) -> Vec<ProjectFile> {
        paths.iter().map(|p| ProjectFile::new(*p, "")).collect()
    }

    #[test]
    fn ordinary_layouts_are_accepted() {
        for paths in [
            &["src/main.rs"][..],
            &[
                "Cargo.toml",
                "src/main.rs",
                "src/shapes/circle.rs",
                "build.rs",
                "shim.c",
                "shim.h",
            ],
            &[
                "Cargo.toml",
                "src/main.rs",
                "macros/Cargo.toml",
                "macros/src/lib.rs",
            ],
            &["src/lib.rs", "data/words.txt"],
        ] {
            assert_eq!(check_project(&project(paths)), Ok(()), "{paths:?}");
        }
    }

    #[test]
    fn paths_that_escape_or_hide_are_refused() {
        for (path, words) in [
            ("../etc/passwd.rs", "leaves the project"),
            ("src/../../x.rs", "leaves the project"),
            ("/etc/passwd", "must be relative"),
            ("C:/x.rs", "must be relative"),
            (".cargo/config.toml", "hidden"),
            ("src/.x.rs", "hidden"),
            ("src//main.rs", "empty"),
            ("src/ma in.rs", "only letters"),
            ("run.sh", "not a kind of file"),
            ("rust-toolchain.toml", "not a kind of file"),
            ("a/b/c/d/e/f.rs", "nested too deeply"),
        ] {
            let error = check_path(path).unwrap_err().to_string();
            assert!(error.contains(words), "{path}: {error}");
            assert!(error.contains("the file path"), "{error}");
        }
    }

    #[test]
    fn counts_sizes_duplicates_and_roots() {
        let many: Vec<ProjectFile> = (0..40)
            .map(|i| ProjectFile::new(format!("src/m{i}.rs"), ""))
            .collect();
        assert_eq!(
            check_project(&many),
            Err(ProjectError::TooManyFiles { count: 40 })
        );
        let big = vec![ProjectFile::main("x".repeat(MAX_PROJECT_BYTES))];
        assert!(matches!(
            check_project(&big),
            Err(ProjectError::TooLarge { .. })
        ));
        assert_eq!(
            check_project(&project(&["src/main.rs", "src/main.rs"])),
            Err(ProjectError::Duplicate {
                path: "src/main.rs".into()
            })
        );
        assert_eq!(
            check_project(&project(&["shim.c"])),
            Err(ProjectError::NoCrateRoot)
        );
        assert_eq!(check_project(&[]), Err(ProjectError::Empty));
    }
}
