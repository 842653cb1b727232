//! `+++`-delimited TOML front matter at the top of a chapter file.

use std::path::Path;

use serde::Deserialize;

use crate::ContentError;

/// What a chapter says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    /// The course's slug. Optional because the directory already says it; when given it must match.
    pub course: Option<String>,
    /// Position within the course, ascending.
    pub order: u32,
    /// Estimated minutes to read and try the examples.
    pub minutes: u32,
    pub summary: String,
    /// The `id` of one of the course's `[[parts]]` (required when the course has parts).
    pub part: Option<String>,
}

/// Splits `source` into front matter and body, returning the parsed front matter, the body and the
/// 1-based line on which the body starts.
pub(crate) fn split_front_matter<'a>(
    path: &Path,
    source: &'a str,
) -> Result<(FrontMatter, &'a str, usize), ContentError> {
    let syntax = |line: usize, message: String| ContentError::Syntax {
        path: path.to_owned(),
        line,
        message,
    };
    let Some(rest) = source
        .strip_prefix("+++\n")
        .or_else(|| source.strip_prefix("+++\r\n"))
    else {
        return Err(syntax(
            1,
            "a chapter must start with a `+++` line opening its TOML front matter".into(),
        ));
    };
    let Some(end) = find_closing_fence(rest) else {
        return Err(syntax(
            1,
            "the front matter opened here is never closed by a `+++` line".into(),
        ));
    };
    let toml_text = &rest[..end];
    let after_fence = &rest[end..];
    let body = after_fence
        .split_once('\n')
        .map_or("", |(_fence, body)| body);
    // Line 1 is the opening fence, so the TOML starts on line 2.
    let body_line = 2 + toml_text.matches('\n').count() + 1;

    let front: FrontMatter = toml::from_str(toml_text).map_err(|err| {
        let line = err
            .span()
            .map_or(0, |span| toml_text[..span.start].matches('\n').count())
            + 2;
        syntax(line, format!("front matter: {}", err.message()))
    })?;
    Ok((front, body, body_line))
}

/// Byte offset in `rest` of the `+++` line that closes the front matter.
fn find_closing_fence(rest: &str) -> Option<usize> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(source: &str) -> Result<(FrontMatter, &str, usize), String> {
        split_front_matter(Path::new("c/x.md"), source).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_fields_and_finds_the_body() {
        let (front, body, line) =
            split("+++\ntitle = \"T\"\norder = 2\nminutes = 15\nsummary = \"S\"\n+++\n# Body\n")
                .unwrap();
        assert_eq!(front.title, "T");
        assert_eq!(front.order, 2);
        assert_eq!(front.minutes, 15);
        assert_eq!(front.course, None);
        assert_eq!(body, "# Body\n");
        assert_eq!(line, 7);
    }

    #[test]
    fn a_missing_field_names_the_file() {
        let err = split("+++\ntitle = \"T\"\norder = 1\nminutes = 3\n+++\n").unwrap_err();
        assert!(err.starts_with("c/x.md:"), "{err}");
        assert!(err.contains("summary"), "{err}");
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let err = split("+++\ntitle = \"T\"\norder = = 1\nminutes = 3\nsummary = \"\"\n+++\n")
            .unwrap_err();
        assert!(err.starts_with("c/x.md:3: front matter:"), "{err}");
    }

    #[test]
    fn an_unknown_field_is_an_error_on_its_line() {
        let err = split(
            "+++\ntitle = \"T\"\norder = 1\nminutes = 3\nsummary = \"\"\nauthr = \"me\"\n+++\n",
        )
        .unwrap_err();
        assert!(err.starts_with("c/x.md:6:"), "{err}");
        assert!(err.contains("authr"), "{err}");
    }

    #[test]
    fn missing_or_unclosed_fences_are_reported_at_line_one() {
        assert!(
            split("# no front matter\n")
                .unwrap_err()
                .starts_with("c/x.md:1:")
        );
        let err = split("+++\ntitle = \"T\"\n").unwrap_err();
        assert!(err.contains("never closed"), "{err}");
    }
}
