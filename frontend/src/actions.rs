//! The pure side of a block's actions (Run, Test, Build, Clippy, Format, compiler views): the
//! request a block sends, where a compiler view's lines came from, and how hidden lines follow a
//! reformatted program. No DOM here, so it is unit-tested natively.

use api_types::{
    Action, CompilerView, ExecuteRequest, Mode, ProjectFile, RunSettings, ViewLines, ViewOutput,
};

/// The request that runs `files` the way a block's fence asks, with the student's `mode` and the
/// `action` chosen. One `src/main.rs` goes as `code`, the cheap common case; a project goes as
/// `files`, all of them.
pub fn request_for(
    run: &RunSettings,
    mode: Mode,
    action: Action,
    files: Vec<ProjectFile>,
) -> ExecuteRequest {
    let (code, files) = match <[ProjectFile; 1]>::try_from(files) {
        Ok([only]) if only.path == ProjectFile::MAIN => (Some(only.contents), Vec::new()),
        Ok([only]) => (None, vec![only]),
        Err(files) => (None, files),
    };
    ExecuteRequest {
        code,
        files,
        runner: run.runner.clone(),
        mode,
        edition: run.edition,
        action,
        flags: run.flags.clone(),
        miri_flags: run.miri_flags.clone(),
        loom_preemptions: run.loom_preemptions,
        ..ExecuteRequest::default()
    }
}

/// The compiler views, in the order a menu lists them.
pub const VIEWS: [CompilerView; 7] = [
    CompilerView::Mir,
    CompilerView::Hir,
    CompilerView::LlvmIr,
    CompilerView::AsmIntel,
    CompilerView::AsmAtt,
    CompilerView::Expanded,
    CompilerView::TypeLayout,
];

/// The editor language that highlights a view (see `frontend/editor/src/views.js`).
pub fn view_language(view: CompilerView) -> &'static str {
    match view {
        CompilerView::Mir => "mir",
        CompilerView::LlvmIr => "llvm-ir",
        CompilerView::AsmIntel | CompilerView::AsmAtt => "asm",
        CompilerView::Hir | CompilerView::Expanded => "rust",
        CompilerView::TypeLayout => "type-layout",
    }
}

/// The 1-based lines of the view that came from `line` of `file`, in order.
pub fn view_lines_for(map: &[ViewLines], file: &str, line: u32) -> Vec<u32> {
    map.iter()
        .filter(|m| m.file == file && m.source_line == line && m.first_line <= m.last_line)
        .flat_map(|m| m.first_line..=m.last_line)
        .collect()
}

/// The source file and line that the view's 1-based `line` came from, if the compiler said.
pub fn source_of(map: &[ViewLines], line: u32) -> Option<(&str, u32)> {
    // `map` is ordered by `first_line` and its ranges do not overlap.
    let index = map.partition_point(|m| m.last_line < line);
    map.get(index)
        .filter(|m| m.first_line <= line)
        .map(|m| (m.file.as_str(), m.source_line))
}

/// Whether a view has any mapping back to `file`, so the page can say "click a line".
pub fn maps_file(view: &ViewOutput, file: &str) -> bool {
    view.source_map.iter().any(|m| m.file == file)
}

/// Where hidden (boilerplate) lines are after a program was reformatted: each hidden line is found
/// again by its text (spaces aside), in order, so `use` lines and `fn main() {` stay hidden; a
/// line that rustfmt changed beyond spacing is shown rather than hiding the wrong line.
pub fn follow_hidden_lines(old_doc: &str, hidden: &[u32], new_doc: &str) -> Vec<u32> {
    let squash = |line: &str| line.split_whitespace().collect::<String>();
    let old: Vec<&str> = old_doc.lines().collect();
    let new: Vec<String> = new_doc.lines().map(squash).collect();
    let mut sorted = hidden.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut result = Vec::new();
    let mut from = 0usize;
    for number in sorted {
        let Some(text) = old.get((number as usize).wrapping_sub(1)) else {
            continue;
        };
        let wanted = squash(text);
        if let Some(offset) = new[from..].iter().position(|l| *l == wanted) {
            result.push((from + offset + 1) as u32);
            from += offset + 1;
        }
    }
    result
}

/// A short stable hash of `text` (FNV-1a, 64 bits, hex), for blocks the server gives no hash.
pub fn text_hash(text: &str) -> String {
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
    use api_types::{CodegenFlag, Edition, RunnerId};

    fn lines(first: u32, last: u32, file: &str, source: u32) -> ViewLines {
        ViewLines {
            first_line: first,
            last_line: last,
            file: file.into(),
            source_line: source,
        }
    }

    #[test]
    fn requests_follow_the_fence_the_mode_and_the_action() {
        let settings = RunSettings {
            runner: RunnerId::new("nightly"),
            edition: Edition::E2021,
            action: Action::Run,
            mode: Mode::Debug,
            flags: vec![CodegenFlag::parse("panic=abort").unwrap()],
            ..RunSettings::default()
        };
        let one = request_for(
            &settings,
            Mode::Release,
            Action::View(CompilerView::Mir),
            vec![ProjectFile::main("fn main() {}".into())],
        );
        let json = serde_json::to_value(&one).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "fn main() {}",
                "runner": "nightly",
                "mode": "release",
                "edition": "2021",
                "action": "mir",
                "flags": ["panic=abort"],
            })
        );
        let project = request_for(
            &RunSettings::default(),
            Mode::Debug,
            Action::Clippy,
            vec![
                ProjectFile::main("mod shapes;".into()),
                ProjectFile::new("src/shapes.rs", "pub fn x() {}"),
            ],
        );
        assert_eq!(project.code, None);
        assert_eq!(project.files.len(), 2, "every file goes");
        assert_eq!(project.action, Action::Clippy);
        let lib = request_for(
            &RunSettings::default(),
            Mode::Debug,
            Action::Test,
            vec![ProjectFile::new("src/lib.rs", "")],
        );
        assert_eq!((lib.code, lib.files.len()), (None, 1));
        let miri = RunSettings {
            runner: RunnerId::new("miri"),
            miri_flags: vec!["-Zmiri-strict-provenance".into()],
            ..RunSettings::default()
        };
        let request = request_for(&miri, Mode::Debug, Action::Run, vec![]);
        assert_eq!(request.miri_flags, ["-Zmiri-strict-provenance"]);
        let loom = RunSettings {
            loom_preemptions: Some(3),
            ..RunSettings::default()
        };
        let request = request_for(&loom, Mode::Debug, Action::Test, vec![]);
        assert_eq!(request.loom_preemptions, Some(3));
    }

    #[test]
    fn every_view_has_a_highlighting_language() {
        let languages: Vec<&str> = VIEWS.iter().map(|v| view_language(*v)).collect();
        assert_eq!(
            languages,
            [
                "mir",
                "rust",
                "llvm-ir",
                "asm",
                "asm",
                "rust",
                "type-layout"
            ]
        );
    }

    #[test]
    fn source_lines_find_their_view_lines_and_back() {
        let map = vec![
            lines(3, 5, "src/main.rs", 2),
            lines(6, 6, "src/main.rs", 3),
            lines(9, 10, "src/main.rs", 2),
            lines(12, 12, "src/shapes.rs", 2),
        ];
        assert_eq!(view_lines_for(&map, "src/main.rs", 2), [3, 4, 5, 9, 10]);
        assert_eq!(view_lines_for(&map, "src/main.rs", 3), [6]);
        assert_eq!(view_lines_for(&map, "src/shapes.rs", 2), [12]);
        assert!(view_lines_for(&map, "src/main.rs", 7).is_empty());
        assert_eq!(source_of(&map, 1), None);
        assert_eq!(source_of(&map, 3), Some(("src/main.rs", 2)));
        assert_eq!(source_of(&map, 5), Some(("src/main.rs", 2)));
        assert_eq!(source_of(&map, 6), Some(("src/main.rs", 3)));
        assert_eq!(source_of(&map, 7), None, "between ranges");
        assert_eq!(source_of(&map, 12), Some(("src/shapes.rs", 2)));
        assert_eq!(source_of(&map, 13), None);
        assert_eq!(source_of(&[], 1), None);
    }

    #[test]
    fn hidden_lines_follow_their_text_through_formatting() {
        let old = "use std::fmt;\nfn main(){\nlet x=1;println!(\"{x}\");\n}\n";
        let new = "use std::fmt;\nfn main() {\n    let x = 1;\n    println!(\"{x}\");\n}\n";
        // Line 1 and 2 hidden; `fn main(){` only gains a space, `}` moves from 4 to 5.
        assert_eq!(follow_hidden_lines(old, &[1, 2, 4], new), [1, 2, 5]);
        // A hidden line rustfmt rewrote beyond spacing is no longer hidden.
        assert_eq!(
            follow_hidden_lines("use a::{b,c};\n", &[1], "use a::{b, c};\n"),
            [1]
        );
        assert_eq!(
            follow_hidden_lines("use a::{c,b};\n", &[1], "use a::{b, c};\n"),
            Vec::<u32>::new()
        );
        assert_eq!(follow_hidden_lines("a\n", &[7], "a\n"), Vec::<u32>::new());
    }

    #[test]
    fn text_hashes_are_stable_and_differ() {
        assert_eq!(text_hash(""), "cbf29ce484222325");
        assert_ne!(text_hash("a"), text_hash("b"));
        assert_eq!(text_hash("fn main() {}"), text_hash("fn main() {}"));
    }
}
