//! Shared code: `POST /api/shares` stores a snippet or project under a short content-addressed id
//! and `GET /api/shares/{id}` gives it back; `/s/<id>` is the page that opens it. Small snippets
//! can also travel in a URL fragment (`/s#<fragment>`) with no server state at all; only the SPA
//! reads and writes that form (`frontend/src/share_link.rs`).
//!
//! The checks here are pure, so the server and the SPA apply the same rules.

use serde::{Deserialize, Serialize};

use crate::project::{ProjectError, ProjectFile, check_project};
use crate::{Action, Edition, Mode, RunnerId};

/// All files of a share together, paths included. Smaller than a run's limit
/// ([`crate::project::MAX_PROJECT_BYTES`]): a share is kept for ever, a run is not.
pub const MAX_SHARE_BYTES: usize = 64 * 1024;
/// A share's title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// The length of a share id: base62, about 71 bits of a SHA-256.
pub const SHARE_ID_LEN: usize = 12;

/// What a share holds: the code and how to run it. The body of `POST /api/shares`, and what a
/// fragment link carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SharedCode {
    pub files: Vec<ProjectFile>,
    #[serde(default)]
    pub runner: RunnerId,
    #[serde(default)]
    pub edition: Edition,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub action: Action,
    /// Shown as the page's heading and in link previews: plain text, never markup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The answer to `POST /api/shares`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareCreated {
    pub id: String,
    /// The page's absolute address, `<origin>/s/<id>`.
    pub url: String,
}

/// The answer to `GET /api/shares/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    pub id: String,
    pub code: SharedCode,
}

/// Why a share cannot be stored or opened. Each message says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// The files break a project rule (paths, count, no crate root).
    Project(ProjectError),
    TooLarge {
        bytes: usize,
    },
    TitleTooLong {
        chars: usize,
    },
    /// A title with line breaks or other control characters.
    TitleNotOneLine,
}

impl ShareError {
    /// Whether the fitting answer is 413 rather than 400.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            ShareError::TooLarge { .. } | ShareError::Project(ProjectError::TooLarge { .. })
        )
    }
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::Project(error) => write!(f, "{error}"),
            ShareError::TooLarge { bytes } => write!(
                f,
                "the code is {} KB; a share holds at most {} KB",
                bytes.div_ceil(1024),
                MAX_SHARE_BYTES / 1024
            ),
            ShareError::TitleTooLong { chars } => write!(
                f,
                "the title is {chars} characters long; the limit is {MAX_TITLE_CHARS}"
            ),
            ShareError::TitleNotOneLine => {
                write!(
                    f,
                    "the title must be one line of text, without control characters"
                )
            }
        }
    }
}

impl std::error::Error for ShareError {}

impl SharedCode {
    /// The share as it is stored and hashed: a blank title is no title, and a title's
    /// surrounding spaces are dropped, so they cannot make two ids for the same share.
    pub fn normalized(mut self) -> SharedCode {
        self.title = self
            .title
            .map(|title| title.trim().to_owned())
            .filter(|title| !title.is_empty());
        self
    }

    /// Checks the share against the project rules and the share's own limits.
    pub fn check(&self) -> Result<(), ShareError> {
        let bytes: usize = self
            .files
            .iter()
            .map(|f| f.contents.len() + f.path.len())
            .sum();
        if bytes > MAX_SHARE_BYTES {
            return Err(ShareError::TooLarge { bytes });
        }
        check_project(&self.files).map_err(ShareError::Project)?;
        if let Some(title) = &self.title {
            let chars = title.chars().count();
            if chars > MAX_TITLE_CHARS {
                return Err(ShareError::TitleTooLong { chars });
            }
            if title.chars().any(char::is_control) {
                return Err(ShareError::TitleNotOneLine);
            }
        }
        Ok(())
    }

    /// The main file's code, or the first file's: what a preview quotes.
    pub fn main_code(&self) -> &str {
        self.files
            .iter()
            .find(|f| f.path == ProjectFile::MAIN || f.path == "src/lib.rs")
            .or_else(|| self.files.first())
            .map_or("", |f| f.contents.as_str())
    }
}

impl SharedCode {
    /// One `src/main.rs` with `code`, run on the defaults (stable, 2024, debug, run).
    pub fn snippet(code: impl Into<String>) -> SharedCode {
        SharedCode {
            files: vec![ProjectFile::main(code.into())],
            ..SharedCode::default()
        }
    }
}

/// Whether `id` has the shape of a share id (so a lookup of anything else is a 404 at once).
pub fn is_valid_share_id(id: &str) -> bool {
    id.len() == SHARE_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_on_size_and_title() {
        assert_eq!(SharedCode::snippet("fn main() {}").check(), Ok(()));
        let big = SharedCode::snippet("x".repeat(MAX_SHARE_BYTES));
        let error = big.check().unwrap_err();
        assert!(error.is_too_large());
        assert!(error.to_string().contains("at most 64 KB"), "{error}");

        let mut titled = SharedCode::snippet("fn main() {}");
        titled.title = Some("t".repeat(MAX_TITLE_CHARS + 1));
        assert_eq!(
            titled.check(),
            Err(ShareError::TitleTooLong {
                chars: MAX_TITLE_CHARS + 1
            })
        );
        titled.title = Some("two\nlines".into());
        assert_eq!(titled.check(), Err(ShareError::TitleNotOneLine));
        titled.title = Some("  </title><script>x</script>  ".into());
        let titled = titled.normalized();
        assert_eq!(titled.title.as_deref(), Some("</title><script>x</script>"));
        assert_eq!(titled.check(), Ok(()), "markup in a title is only text");
        assert_eq!(SharedCode::snippet("").normalized().title, None);
        let mut blank = SharedCode::snippet("");
        blank.title = Some("  ".into());
        assert_eq!(blank.normalized().title, None);
    }

    #[test]
    fn ids_are_twelve_base62_characters() {
        assert!(is_valid_share_id("aZ09aZ09aZ09"));
        assert!(!is_valid_share_id("aZ09aZ09aZ0"));
        assert!(!is_valid_share_id("aZ09aZ09aZ0-"));
        assert!(!is_valid_share_id("../../etc/pa"));
    }

    #[test]
    fn the_wire_shape_is_camel_case_with_defaults() {
        let code: SharedCode =
            serde_json::from_str(r#"{"files":[{"path":"src/main.rs","contents":"fn main() {}"}]}"#)
                .unwrap();
        assert_eq!(code, SharedCode::snippet("fn main() {}"));
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(
            json,
            r#"{"files":[{"path":"src/main.rs","contents":"fn main() {}"}],"runner":"stable","edition":"2024","mode":"debug","action":"run"}"#
        );
        assert!(serde_json::from_str::<SharedCode>(r#"{"files":[],"owner":"x"}"#).is_err());
    }
}
