//! Compiler views as a student reads them: assembly without the assembler's bookkeeping, with
//! readable symbol names, and a map from source lines to the lines they became.

use api_types::{CompilerView, ViewLines, ViewOutput};

/// Turns what the compiler wrote into the view sent to the page. `project_files` are the paths a
/// source mapping may point at; `truncated` says the helper cut the text at the output limit.
pub fn render(
    view: CompilerView,
    raw: &[u8],
    truncated: bool,
    project_files: &[String],
) -> ViewOutput {
    let text = String::from_utf8_lossy(raw);
    let (text, source_map) = match view {
        CompilerView::AsmAtt | CompilerView::AsmIntel => clean_assembly(&text, project_files),
        CompilerView::Mir => map_mir(&text, project_files),
        CompilerView::LlvmIr => (demangle_all(&text), Vec::new()),
        _ => (text.into_owned(), Vec::new()),
    };
    ViewOutput {
        view,
        text,
        source_map,
        truncated,
    }
}

/// Labels the assembler needs and a reader does not: debug-info and call-frame bookkeeping.
const NOISE_LABELS: &[&str] = &[
    ".Ltmp",
    ".Lfunc_begin",
    ".Lfunc_end",
    ".Lcfi",
    ".Lsec",
    ".Ldebug",
    ".Linfo",
    ".Lline",
    ".Lcu",
    ".Lexception",
    ".Lset",
    ".Lnames",
    ".Lstr_offsets",
    ".Laddr_table",
];

/// Data directives worth keeping: they spell out constants such as string literals.
const DATA_DIRECTIVES: &[&str] = &[
    ".ascii", ".asciz", ".byte", ".short", ".word", ".long", ".quad", ".zero",
];

/// Drops directives, debug sections and bookkeeping labels; follows `.file`/`.loc` to map each
/// kept instruction to its source line.
fn clean_assembly(text: &str, project_files: &[String]) -> (String, Vec<ViewLines>) {
    let mut files: Vec<(u32, Option<String>)> = Vec::new();
    let mut current: Option<(String, u32)> = None;
    let mut in_debug_section = false;
    let mut out: Vec<String> = Vec::new();
    let mut map: Vec<ViewLines> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let (word, rest) = trimmed
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((trimmed, ""));
        if word == ".section" || word == ".text" || word == ".data" {
            in_debug_section = rest.trim_start().starts_with(".debug");
            continue;
        }
        if in_debug_section || trimmed.is_empty() {
            continue;
        }
        if word == ".file" {
            if let Some((number, path)) = parse_file_directive(rest) {
                let known = project_files
                    .iter()
                    .find(|f| path == **f || path.ends_with(&format!("/{f}")))
                    .cloned();
                files.push((number, known));
            }
            continue;
        }
        if word == ".loc" {
            let mut numbers = rest.split_whitespace().map(|n| n.parse::<u32>().ok());
            let (file, source_line) = (numbers.next().flatten(), numbers.next().flatten());
            current = match (file, source_line) {
                (Some(file), Some(line)) if line > 0 => files
                    .iter()
                    .find(|(n, _)| *n == file)
                    .and_then(|(_, known)| known.clone())
                    .map(|path| (path, line)),
                _ => None,
            };
            continue;
        }
        let is_label = !line.starts_with(char::is_whitespace) && trimmed.ends_with(':');
        if is_label {
            if NOISE_LABELS.iter().any(|p| trimmed.starts_with(p)) {
                continue;
            }
            // A new function or block: what follows is not the previous line's code.
            current = None;
            out.push(demangle_all(trimmed));
            continue;
        }
        if word.starts_with('.') && !DATA_DIRECTIVES.contains(&word) {
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        out.push(format!("    {}", demangle_all(trimmed)));
        if let Some((file, source_line)) = &current {
            let number = out.len() as u32;
            match map.last_mut() {
                Some(last)
                    if last.last_line + 1 == number
                        && last.file == *file
                        && last.source_line == *source_line =>
                {
                    last.last_line = number;
                }
                _ => map.push(ViewLines {
                    first_line: number,
                    last_line: number,
                    file: file.clone(),
                    source_line: *source_line,
                }),
            }
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    (text, map)
}

/// MIR printed with `-Zmir-include-spans=on` ends statements with `// scope 0 at src/main.rs:2:5:
/// 2:10`: those comments become the source map and are dropped from the text, which reads as
/// plain MIR. Lines whose span is elsewhere (std's macros) stay unmapped.
fn map_mir(text: &str, project_files: &[String]) -> (String, Vec<ViewLines>) {
    let mut out: Vec<String> = Vec::new();
    let mut map: Vec<ViewLines> = Vec::new();
    // rustc opens with a three-line warning that the format is unstable; the panel says what
    // the view is, so those lines only push the code down.
    let body = text.lines().skip_while(|l| l.starts_with("// "));
    for line in body {
        let (code, comment) = match line.find(" // ") {
            Some(at) if line[..at].trim_start().is_empty() => (line, None),
            Some(at) => (line[..at].trim_end(), Some(&line[at + 4..])),
            None => (line, None),
        };
        out.push(code.to_owned());
        let Some((file, source_line)) = comment.and_then(|c| mir_span(c, project_files)) else {
            continue;
        };
        let number = out.len() as u32;
        match map.last_mut() {
            Some(last)
                if last.last_line + 1 == number
                    && last.file == file
                    && last.source_line == source_line =>
            {
                last.last_line = number;
            }
            _ => map.push(ViewLines {
                first_line: number,
                last_line: number,
                file,
                source_line,
            }),
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    (text, map)
}

/// `scope 0 at src/main.rs:2:5: 2:10` → (`src/main.rs`, 2), for project files only.
fn mir_span(comment: &str, project_files: &[String]) -> Option<(String, u32)> {
    let location = comment.rsplit(" at ").next()?;
    let mut parts = location.split(':');
    let file = parts.next()?;
    let line: u32 = parts.next()?.trim().parse().ok()?;
    project_files
        .iter()
        .find(|f| f.as_str() == file)
        .map(|f| (f.clone(), line))
}

/// `.file 1 "src/main.rs"` or DWARF 5's `.file 1 "/tmp/job" "src/main.rs" md5 0x...`.
fn parse_file_directive(rest: &str) -> Option<(u32, String)> {
    let (number, rest) = rest.trim().split_once(char::is_whitespace)?;
    let number: u32 = number.parse().ok()?;
    let quoted: Vec<&str> = rest.split('"').skip(1).step_by(2).collect();
    let path = match quoted.as_slice() {
        [path] => (*path).to_owned(),
        [dir, path, ..] if path.starts_with('/') => (*path).to_owned(),
        [dir, path, ..] => format!("{dir}/{path}"),
        [] => return None,
    };
    Some((number, path))
}

/// Replaces every legacy-mangled Rust symbol (`_ZN4main4main17h0123456789abcdefE`) in `text` by
/// its path (`main::main`), as Compiler Explorer does.
pub fn demangle_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_ZN") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        match demangle_legacy(candidate) {
            Some((name, used)) => {
                out.push_str(&name);
                rest = &candidate[used..];
            }
            None => {
                out.push_str("_ZN");
                rest = &candidate[3..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Demangles one legacy symbol at the start of `symbol`; returns the path and the bytes used.
fn demangle_legacy(symbol: &str) -> Option<(String, usize)> {
    let bytes = symbol.as_bytes();
    let mut at = 3; // after `_ZN`
    let mut parts: Vec<String> = Vec::new();
    loop {
        if bytes.get(at) == Some(&b'E') {
            at += 1;
            break;
        }
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let len: usize = symbol[at..at + digits].parse().ok()?;
        at += digits;
        let part = symbol.get(at..at + len)?;
        at += len;
        // The trailing hash segment, `h` and 16 hex digits, is only there to make names unique.
        let is_hash = part.len() == 17
            && part.starts_with('h')
            && part[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !is_hash {
            parts.push(unescape(part));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some((parts.join("::"), at))
}

fn unescape(part: &str) -> String {
    let part = part
        .strip_prefix("_$")
        .map_or(part.to_owned(), |p| format!("${p}"));
    let mut out = String::new();
    let mut rest = part.as_str();
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix("..") {
            out.push_str("::");
            rest = stripped;
            continue;
        }
        if rest.starts_with('$')
            && let Some(end) = rest[1..].find('$')
        {
            let code = &rest[1..=end];
            let replacement = match code {
                "SP" => Some("@".to_owned()),
                "BP" => Some("*".to_owned()),
                "RF" => Some("&".to_owned()),
                "LT" => Some("<".to_owned()),
                "GT" => Some(">".to_owned()),
                "LP" => Some("(".to_owned()),
                "RP" => Some(")".to_owned()),
                "C" => Some(",".to_owned()),
                _ => code
                    .strip_prefix('u')
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32)
                    .map(String::from),
            };
            if let Some(replacement) = replacement {
                out.push_str(&replacement);
                rest = &rest[end + 2..];
                continue;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn legacy_symbols_read_as_paths() {
        assert_eq!(
            demangle_all("call _ZN4main6answer17h0123456789abcdefE@PLT"),
            "call main::answer@PLT"
        );
        assert_eq!(
            demangle_all("_ZN4core3fmt9Arguments9new_const17h1111111111111111E"),
            "core::fmt::Arguments::new_const"
        );
        assert_eq!(
            demangle_all(
                "_ZN60_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..Drop$GT$4drop17h2222222222222222E"
            ),
            "<alloc::vec::Vec<T> as core::ops::Drop>::drop"
        );
        // Not a symbol: left alone.
        assert_eq!(demangle_all("_ZNx and _ZN"), "_ZNx and _ZN");
    }

    #[test]
    fn assembly_loses_bookkeeping_and_maps_lines() {
        // Shaped like rustc 1.95's `--emit=asm -C debuginfo=line-tables-only` output.
        let raw = r#"	.text
	.file	"main.4a2b-cgu.0"
	.section	.text._ZN4main6answer17h0123456789abcdefE,"ax",@progbits
	.globl	_ZN4main6answer17h0123456789abcdefE
	.p2align	4, 0x90
	.type	_ZN4main6answer17h0123456789abcdefE,@function
_ZN4main6answer17h0123456789abcdefE:
.Lfunc_begin0:
	.file	1 "/tmp/job" "src/main.rs" md5 0x0123
	.loc	1 2 5 prologue_end
	movl	$42, %eax
	.loc	1 2 5 epilogue_begin
	retq
.Ltmp0:
.Lfunc_end0:
	.size	_ZN4main6answer17h0123456789abcdefE, .Lfunc_end0-_ZN4main6answer17h0123456789abcdefE
	.cfi_endproc
	.section	.debug_line,"",@progbits
.Lline_table_start0:
	.byte 1
"#;
        let output = render(
            CompilerView::AsmAtt,
            raw.as_bytes(),
            false,
            &["src/main.rs".to_owned()],
        );
        expect![[r#"
            main::answer:
                movl	$42, %eax
                retq
        "#]]
        .assert_eq(&output.text);
        assert_eq!(
            output.source_map,
            [ViewLines {
                first_line: 2,
                last_line: 3,
                file: "src/main.rs".into(),
                source_line: 2,
            }]
        );
    }

    #[test]
    fn mir_spans_become_the_map_and_leave_the_text() {
        // Shaped like nightly 1.97's `--emit=mir -Zmir-include-spans=on`.
        let raw = "// WARNING: This output format is intended for human consumers only
// and is subject to change without notice. Knock yourself out.
// HINT: See also -Z dump-mir for MIR at specific points during compilation.
fn answer(_1: u32) -> u32 {
    debug x => _1;                       // in scope 0 at src/main.rs:1:11: 1:12
    let mut _0: u32;                     // return place in scope 0 at src/main.rs:1:22: 1:25

    bb0: {
        _3 = MulWithOverflow(copy _1, const 2_u32); // scope 0 at src/main.rs:2:5: 2:10
        _4 = AddWithOverflow(copy _2, const 1_u32); // scope 0 at src/main.rs:2:5: 2:14
        _5 = const 1_i32;                // scope 0 at /rustc/abc/library/std/src/macros.rs:146:9: 146:62
        return;                          // scope 0 at src/main.rs:3:2: 3:2
    }
}
";
        let output = render(
            CompilerView::Mir,
            raw.as_bytes(),
            false,
            &["src/main.rs".into()],
        );
        expect![[r#"
            fn answer(_1: u32) -> u32 {
                debug x => _1;
                let mut _0: u32;

                bb0: {
                    _3 = MulWithOverflow(copy _1, const 2_u32);
                    _4 = AddWithOverflow(copy _2, const 1_u32);
                    _5 = const 1_i32;
                    return;
                }
            }
        "#]]
        .assert_eq(&output.text);
        let map: Vec<(u32, u32, u32)> = output
            .source_map
            .iter()
            .map(|m| (m.first_line, m.last_line, m.source_line))
            .collect();
        assert_eq!(map, [(2, 3, 1), (6, 7, 2), (9, 9, 3)]);
    }

    #[test]
    fn lines_from_other_files_are_not_mapped() {
        let raw = "f:\n\t.file\t1 \"/rustc/abc\" \"library/core/src/fmt/mod.rs\"\n\t.loc\t1 300 5\n\tnop\n";
        let output = render(
            CompilerView::AsmIntel,
            raw.as_bytes(),
            true,
            &["src/main.rs".into()],
        );
        assert_eq!(output.text, "f:\n    nop\n");
        assert!(output.source_map.is_empty());
        assert!(output.truncated);
    }
}
