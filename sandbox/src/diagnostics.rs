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
    /// Notes and helps attached to the message; Miri's "was allocated here" and "was
    /// deallocated here" come this way, each with its own span.
    #[serde(default)]
    children: Vec<RawChild>,
    rendered: Option<String>,
}

#[derive(Deserialize)]
struct RawChild {
    message: String,
    #[serde(default)]
    spans: Vec<RawSpan>,
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
        // Only spans in the submission: the rest point into std or macro definitions. A child's
        // span (a note with a place) becomes a secondary span labelled with the child's message,
        // unless it only repeats a span already there.
        spans: {
            let mut spans: Vec<DiagnosticSpan> = Vec::new();
            let children = raw.children.into_iter().flat_map(|child| {
                let message = child.message;
                child.spans.into_iter().map(move |span| RawSpan {
                    is_primary: false,
                    label: span.label.clone().or_else(|| Some(message.clone())),
                    ..span
                })
            });
            for s in raw.spans.into_iter().chain(children) {
                if !project_files.contains(&s.file_name) {
                    continue;
                }
                let span = DiagnosticSpan {
                    file: s.file_name,
                    line_start: s.line_start,
                    line_end: s.line_end,
                    column_start: s.column_start,
                    column_end: s.column_end,
                    is_primary: s.is_primary,
                    label: s.label,
                };
                let repeated = spans.iter().any(|seen| {
                    (
                        &seen.file,
                        seen.line_start,
                        seen.column_start,
                        seen.line_end,
                        seen.column_end,
                    ) == (
                        &span.file,
                        span.line_start,
                        span.column_start,
                        span.line_end,
                        span.column_end,
                    )
                });
                if !repeated {
                    spans.push(span);
                }
            }
            spans
        },
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
    fn notes_with_a_place_become_labelled_secondary_spans() {
        // Shaped like Miri's use-after-free report (nightly 1.97, `--error-format=json`).
        let span = |line: u32, c0: u32, c1: u32, primary: bool, label: &str| {
            format!(
                r#"{{"file_name":"src/main.rs","byte_start":0,"byte_end":1,"line_start":{line},"line_end":{line},"column_start":{c0},"column_end":{c1},"is_primary":{primary},"text":[],"label":{label},"suggested_replacement":null,"suggestion_applicability":null,"expansion":null}}"#
            )
        };
        let line = format!(
            r#"{{"$message_type":"diagnostic","message":"Undefined Behavior: memory access failed: alloc1 has been freed","code":null,"level":"error","spans":[{}],"children":[{{"message":"alloc1 was allocated here:","code":null,"level":"help","spans":[{}],"children":[],"rendered":null}},{{"message":"alloc1 was deallocated here:","code":null,"level":"help","spans":[{}],"children":[],"rendered":null}},{{"message":"this indicates a bug in the program","code":null,"level":"help","spans":[],"children":[],"rendered":null}}],"rendered":"error: Undefined Behavior"}}"#,
            span(18, 26, 39, true, r#""Undefined Behavior occurred here""#),
            span(9, 30, 71, true, "null"),
            span(15, 5, 17, true, "null"),
        );
        let diagnostic = parse_rustc_json(&line, &["src/main.rs".into()]).unwrap();
        let spans: Vec<(u32, bool, &str)> = diagnostic
            .spans
            .iter()
            .map(|s| (s.line_start, s.is_primary, s.label.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            spans,
            [
                (18, true, "Undefined Behavior occurred here"),
                (9, false, "alloc1 was allocated here:"),
                (15, false, "alloc1 was deallocated here:"),
            ]
        );
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
