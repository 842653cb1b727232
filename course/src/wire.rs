//! The chapter's blocks as the API sends them (`api_types`): the one place that decides what a
//! block's wire fields are (its id, whether it runs, its run settings, its files), so the server
//! and the verifier agree with the page.

use api_types::{ExerciseRole, SourceFile};

use crate::{Block, CodeBlock, Exercise, FileSet, Role};

impl From<Role> for ExerciseRole {
    fn from(role: Role) -> ExerciseRole {
        match role {
            Role::Starter => ExerciseRole::Starter,
            Role::Tests => ExerciseRole::Tests,
            Role::Solution => ExerciseRole::Solution,
        }
    }
}

impl CodeBlock {
    pub fn to_wire(&self) -> api_types::CodeBlock {
        api_types::CodeBlock {
            index: self.index,
            id: self.id.clone(),
            language: self.info.language.clone(),
            code: self.code.clone(),
            hidden_lines: self.hidden_lines.clone(),
            highlighted: self.highlighted.clone(),
            runnable: self.runnable(),
            editable: self.info.editable(),
            run: self.info.run_settings(),
            attributes: self.info.attributes.clone(),
            hash: self.hash.clone(),
            problem: self.problem.clone(),
        }
    }
}

impl Exercise {
    pub fn to_wire(&self) -> api_types::Exercise {
        let text = |block: &Option<CodeBlock>| {
            block
                .as_ref()
                .map(|b| (b.code.clone(), b.hidden_lines.clone(), b.hash.clone()))
                .unwrap_or_default()
        };
        let (starter, starter_hidden_lines, hash) = text(&self.starter);
        let (tests, _, _) = text(&self.tests);
        // A file without a solution block is part of the solution unchanged.
        let (solution, solution_hidden_lines, _) = text(
            self.solution
                .as_ref()
                .map_or(&self.starter, |_| &self.solution),
        );
        api_types::Exercise {
            index: self.index,
            id: self.id.clone(),
            instructions: self.instructions.clone(),
            starter,
            starter_hidden_lines,
            tests,
            hints: self.hints.clone(),
            solution,
            solution_hidden_lines,
            run: self.run_settings(),
            hash,
            problem: self.problem.clone(),
            path: self.path.clone(),
            extra_files: self
                .extra_files
                .iter()
                .map(|file| api_types::ExerciseFile {
                    path: file.path.clone(),
                    language: file.block.info.language.clone(),
                    role: file.role.into(),
                    code: file.block.code.clone(),
                    hidden_lines: file.block.hidden_lines.clone(),
                    hash: file.block.hash.clone(),
                })
                .collect(),
        }
    }
}

impl FileSet {
    pub fn to_wire(&self) -> api_types::FileSet {
        api_types::FileSet {
            id: self.id.clone(),
            files: self
                .files
                .iter()
                .map(|file| SourceFile {
                    path: file.info.file().unwrap_or_default().to_owned(),
                    language: file.info.language.clone(),
                    code: file.code.clone(),
                    highlighted: file.highlighted.clone(),
                })
                .collect(),
            runnable: self.runnable(),
            editable: self.info.editable(),
            run: self.info.run_settings(),
            problem: self.problem.clone(),
        }
    }
}

impl Block {
    /// The block as `GET /api/chapters/{slug}` sends it.
    pub fn to_wire(&self) -> api_types::Block {
        match self {
            Block::Prose(html) => api_types::Block::Prose { html: html.clone() },
            Block::Demo { name, .. } => api_types::Block::Demo { name: name.clone() },
            Block::Notes { html, .. } => api_types::Block::Notes { html: html.clone() },
            Block::Code(code) => api_types::Block::Code(code.to_wire()),
            Block::Exercise(exercise) => api_types::Block::Exercise(exercise.to_wire()),
            Block::Files(set) => api_types::Block::Files(set.to_wire()),
        }
    }
}

#[cfg(test)]
mod tests {
    use api_types::{Action, Mode, ProjectFile};

    use crate::{Block, Role, render_markdown};

    const MULTI_FILE: &str = "````exercise,release,id=ffi\nCall C.\n\n```rust,starter,file=src/lib.rs\n# #![allow(dead_code)]\npub fn two() -> u8 { todo!() }\n```\n\n```c,starter,file=shim.c\nint two(void) { return 2; }\n```\n\n```rust,tests\n#[test]\nfn inline() { assert_eq!(super::two(), 2); }\n```\n\n```rust,tests,file=tests/grade.rs\n#[test]\nfn graded() { assert_eq!(lab::two(), 2); }\n```\n\n```rust,solution,file=src/lib.rs\npub fn two() -> u8 { 2 }\n```\n````\n";

    #[test]
    fn a_multi_file_exercise_keeps_its_main_file_in_the_single_file_fields() {
        let rendered = render_markdown(MULTI_FILE, 1);
        assert!(rendered.problems.is_empty(), "{:?}", rendered.problems);
        let Block::Exercise(exercise) = &rendered.blocks[0] else {
            panic!("{:?}", rendered.blocks)
        };
        let wire = exercise.to_wire();
        assert_eq!(wire.id, "ffi");
        assert_eq!(wire.path, "src/lib.rs");
        assert_eq!(
            wire.starter,
            "#![allow(dead_code)]\npub fn two() -> u8 { todo!() }\n"
        );
        assert_eq!(wire.starter_hidden_lines, [1]);
        assert_eq!(
            wire.tests,
            "#[test]\nfn inline() { assert_eq!(super::two(), 2); }\n"
        );
        assert_eq!(wire.solution, "pub fn two() -> u8 { 2 }\n");
        assert_eq!(
            (wire.run.action, wire.run.mode),
            (Action::Test, Mode::Release)
        );
        let extra: Vec<(String, &str)> = wire
            .extra_files
            .iter()
            .map(|f| (format!("{:?}", f.role), f.path.as_str()))
            .collect();
        assert_eq!(
            extra,
            [
                ("Starter".to_owned(), "shim.c"),
                ("Tests".to_owned(), "tests/grade.rs")
            ]
        );
        // The page and the verifier build the same project from either side.
        let from_wire = wire.test_project(&wire.solution_files());
        let from_course = api_types::exercise_project(
            &exercise.student_files(Role::Solution),
            &exercise.test_files(),
        );
        assert_eq!(from_wire, from_course);
        let paths: Vec<&str> = from_wire.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["src/lib.rs", "shim.c", "tests/grade.rs"]);
        assert_eq!(
            from_wire[0],
            ProjectFile::new(
                "src/lib.rs",
                "pub fn two() -> u8 { 2 }\n\n#[test]\nfn inline() { assert_eq!(super::two(), 2); }\n"
            )
        );
    }

    #[test]
    fn files_blocks_are_runnable_projects() {
        let rendered = render_markdown(
            "````files,release,editable,opt-level=3\n```rust,file=src/main.rs\nmod util;\nfn main() { util::hi() }\n```\n\n```rust,file=src/util.rs\npub fn hi() {}\n```\n````\n\n````files,ignore\n```text,file=notes.toml\nx = 1\n```\n````\n\n````files\n```c,file=shim.c\nint x;\n```\n````\n",
            1,
        );
        let sets: Vec<api_types::FileSet> = rendered
            .blocks
            .iter()
            .filter_map(|b| match b.to_wire() {
                api_types::Block::Files(set) => Some(set),
                _ => None,
            })
            .collect();
        assert!(sets[0].runnable && sets[0].editable, "{:?}", sets[0]);
        assert_eq!(sets[0].run.mode, Mode::Release);
        assert_eq!(sets[0].run.flags.len(), 1);
        assert_eq!(
            sets[0].project()[1],
            ProjectFile::new("src/util.rs", "pub fn hi() {}\n")
        );
        // Shown for reading: not a project, and not meant to run.
        assert!(!sets[1].runnable && sets[1].problem.is_none());
        assert_eq!(
            sets[2].problem.as_deref(),
            Some(
                "these files are not a project the page can run: the project needs `src/main.rs` or `src/lib.rs` (or a Cargo.toml naming its crates); mark the block `ignore` to show it without running it"
            )
        );
        assert!(!sets[2].runnable);
    }
}
