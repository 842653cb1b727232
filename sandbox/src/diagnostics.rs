//! rustc's `--error-format=json` lines into [`api_types::Diagnostic`]s.

use api_types::{Diagnostic, DiagnosticSpan, Level};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawDiagnostic {
    #[serde(rename = "$message_type", default)]
    message_type: Option<String>,
    message: String,
    code: Option<RawCode>,
    level: String,
    #[serde(default)]
    spans: Vec<RawSpan>,
    rendered: Option<String>,
}

#[derive(Deserialize)]
struct RawCode {
    code: String,
}

#[derive(Deserialize)]
struct RawSpan {
    file_name: String,
    line_start: u32,
    line_end: u32,
    column_start: u32,
    column_end: u32,
    is_primary: bool,
    label: Option<String>,
}

/// Parses one line of rustc's JSON output. Lines that are not diagnostics (or not JSON, e.g. a
/// linker complaint) give `None`; the caller keeps them as plain text.
/// Spans outside `project_files` (std, macro definitions) are dropped.
pub fn parse_rustc_json(line: &str, project_files: &[String]) -> Option<Diagnostic> {
    let raw: RawDiagnostic = serde_json::from_str(line).ok()?;
    if raw
        .message_type
        .as_deref()
        .is_some_and(|t| t != "diagnostic")
    {
        return None;
    }
    Some(Diagnostic {
        level: Level::parse(&raw.level),
        message: raw.message,
        code: raw.code.map(|c| c.code),
        // Only spans in the submission: the rest point into std or macro definitions.
        spans: raw
            .spans
            .into_iter()
            .filter(|s| project_files.contains(&s.file_name))
            .map(|s| DiagnosticSpan {
                file: s.file_name,
                line_start: s.line_start,
                line_end: s.line_end,
                column_start: s.column_start,
                column_end: s.column_end,
                is_primary: s.is_primary,
                label: s.label,
            })
            .collect(),
        rendered: raw.rendered.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn an_error_keeps_its_code_spans_and_rendering() {
        // Captured from rustc 1.95 for `fn main() { let x: i32 = "no"; }`.
        let line = r#"{"$message_type":"diagnostic","message":"mismatched types","code":{"code":"E0308","explanation":"..."},"level":"error","spans":[{"file_name":"src/main.rs","byte_start":25,"byte_end":29,"line_start":2,"line_end":2,"column_start":18,"column_end":22,"is_primary":true,"text":[],"label":"expected `i32`, found `&str`","suggested_replacement":null,"suggestion_applicability":null,"expansion":null},{"file_name":"/rustc/abc/library/core/src/lib.rs","byte_start":1,"byte_end":2,"line_start":9,"line_end":9,"column_start":1,"column_end":2,"is_primary":false,"text":[],"label":null,"suggested_replacement":null,"suggestion_applicability":null,"expansion":null}],"children":[],"rendered":"error[E0308]: mismatched types\n --> src/main.rs:2:18\n"}"#;
        let diagnostic = parse_rustc_json(line, &["src/main.rs".into()]).expect("a diagnostic");
        expect![[r#"
            Diagnostic {
                level: Error,
                message: "mismatched types",
                code: Some(
                    "E0308",
                ),
                spans: [
                    DiagnosticSpan {
                        file: "src/main.rs",
                        line_start: 2,
                        line_end: 2,
                        column_start: 18,
                        column_end: 22,
                        is_primary: true,
                        label: Some(
                            "expected `i32`, found `&str`",
                        ),
                    },
                ],
                rendered: "error[E0308]: mismatched types\n --> src/main.rs:2:18\n",
            }
        "#]]
        .assert_debug_eq(&diagnostic);
    }

    #[test]
    fn other_lines_are_not_diagnostics() {
        assert_eq!(
            parse_rustc_json("error: linking with `cc` failed", &[]),
            None
        );
        assert_eq!(
            parse_rustc_json(
                r#"{"$message_type":"artifact","artifact":"main","emit":"link"}"#,
                &[]
            ),
            None
        );
    }
}
