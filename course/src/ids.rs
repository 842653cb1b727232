//! Stable block identities.
//!
//! Saved edits (and later permalinks, progress and classroom pushes) name a block by its id. A
//! position (`code-3`) shifts whenever an author inserts a block above, so an id is instead:
//! - the author's `id=<name>` on the fence, when given (unique in the chapter);
//! - else derived from the block's own source as written: a prefix for its kind (`b-` code block,
//!   `e-` exercise, `f-` files block) and the first 8 hex digits of its [`content_hash`]
//!   (for an exercise, its main starter's hash, which is what a student edits). Identical
//!   blocks get `-2`, `-3`, ... in the order they appear.
//!
//! So inserting, removing or moving *other* blocks never changes an id; editing a block's code
//! changes its derived id, and an author who wants to keep readers' edits across such a change
//! writes the old id on the fence (`id=b-1a2b3c4d`).

use std::collections::{HashMap, HashSet};

use crate::info::id_problem;
use crate::model::content_hash;
use crate::{Block, CodeBlock, Problem};

/// Gives every code block, exercise and files block of one chapter its id, and reports
/// explicit ids used twice.
pub(crate) fn assign_ids(blocks: &mut [Block], problems: &mut Vec<Problem>) {
    // Explicit ids first, so that they win over derived ones wherever they appear.
    let mut taken: HashSet<String> = HashSet::new();
    let mut first_use: HashMap<String, usize> = HashMap::new();
    for block in blocks.iter_mut() {
        let Some((info, line, id, problem)) = explicit_slot(block) else {
            continue;
        };
        let Some(wanted) = info.filter(|wanted| id_problem(wanted).is_none()) else {
            continue;
        };
        if let Some(first) = first_use.get(&wanted) {
            let message = format!(
                "`id={wanted}` is already used at line {first} of this chapter; ids must be unique"
            );
            problems.push(Problem {
                line,
                message: message.clone(),
            });
            append(problem, message);
            continue;
        }
        first_use.insert(wanted.clone(), line);
        taken.insert(wanted.clone());
        *id = wanted;
    }
    // Then derived ids, in reading order (nested blocks right after their container).
    let mut assign = |id: &mut String, prefix: &str, hash: &str| {
        if id.is_empty() {
            *id = derive(prefix, hash, &mut taken);
        }
    };
    for block in blocks.iter_mut() {
        match block {
            Block::Code(code) => assign(&mut code.id, "b", &code.hash),
            Block::Exercise(exercise) => {
                let hash = exercise
                    .starter
                    .as_ref()
                    .map(|s| s.hash.clone())
                    .unwrap_or_else(|| content_hash(&exercise.instructions));
                assign(&mut exercise.id, "e", &hash);
                let nested = [
                    &mut exercise.starter,
                    &mut exercise.tests,
                    &mut exercise.solution,
                ];
                for code in nested.into_iter().flatten() {
                    assign(&mut code.id, "b", &code.hash);
                }
                for file in &mut exercise.extra_files {
                    assign(&mut file.block.id, "b", &file.block.hash);
                }
            }
            Block::Files(set) => {
                assign(&mut set.id, "f", &set.hash);
                for file in &mut set.files {
                    assign(&mut file.id, "b", &file.hash);
                }
            }
            Block::Prose(_) | Block::Demo { .. } | Block::Notes { .. } => {}
        }
    }
}

/// The `id=` a top-level block asks for, its line, and where its id and problem go.
type Slot<'a> = (
    Option<String>,
    usize,
    &'a mut String,
    &'a mut Option<String>,
);

fn explicit_slot(block: &mut Block) -> Option<Slot<'_>> {
    match block {
        Block::Code(code) => {
            let CodeBlock {
                info,
                line,
                id,
                problem,
                ..
            } = code;
            Some((info.id().map(str::to_owned), *line, id, problem))
        }
        Block::Exercise(exercise) => Some((
            exercise.info.id().map(str::to_owned),
            exercise.line,
            &mut exercise.id,
            &mut exercise.problem,
        )),
        Block::Files(set) => Some((
            set.info.id().map(str::to_owned),
            set.line,
            &mut set.id,
            &mut set.problem,
        )),
        _ => None,
    }
}

fn append(problem: &mut Option<String>, message: String) {
    *problem = Some(match problem.take() {
        Some(earlier) => format!("{earlier}; {message}"),
        None => message,
    });
}

/// `b-1a2b3c4d`, or `b-1a2b3c4d-2` when that is taken.
fn derive(prefix: &str, hash: &str, taken: &mut HashSet<String>) -> String {
    let base = format!("{prefix}-{}", &hash[..hash.len().min(8)]);
    let mut candidate = base.clone();
    let mut n = 1;
    while taken.contains(&candidate) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::{Block, render_markdown};

    /// The ids of a chapter's blocks, one per line, nested ones indented.
    fn ids(body: &str) -> String {
        let rendered = render_markdown(body, 1);
        let mut out = String::new();
        for block in &rendered.blocks {
            match block {
                Block::Code(code) => out.push_str(&format!("{} line {}\n", code.id, code.line)),
                Block::Exercise(e) => {
                    out.push_str(&format!("{} exercise line {}\n", e.id, e.line));
                    for code in [&e.starter, &e.tests, &e.solution].into_iter().flatten() {
                        out.push_str(&format!("  {}\n", code.id));
                    }
                }
                Block::Files(set) => {
                    out.push_str(&format!("{} files line {}\n", set.id, set.line));
                    for file in &set.files {
                        out.push_str(&format!("  {}\n", file.id));
                    }
                }
                _ => {}
            }
        }
        for problem in &rendered.problems {
            out.push_str(&format!(
                "PROBLEM line {}: {}\n",
                problem.line, problem.message
            ));
        }
        out
    }

    const CHAPTER: &str = "Intro.\n\n```rust\nfn main() { println!(\"one\"); }\n```\n\n````exercise\nDo it.\n\n```rust,starter\npub fn f() -> u8 { todo!() }\n```\n\n```rust,tests\n#[test]\nfn t() { assert_eq!(f(), 1); }\n```\n\n```rust,solution\npub fn f() -> u8 { 1 }\n```\n````\n\n````files\n```rust,file=src/main.rs\nfn main() {}\n```\n````\n";

    fn check(body: &str, expected: Expect) {
        expected.assert_eq(&ids(body));
    }

    #[test]
    fn ids_come_from_the_blocks_own_source() {
        check(
            CHAPTER,
            expect![[r#"
                b-4f0c176e line 3
                e-5241868f exercise line 7
                  b-5241868f
                  b-5e7765fc
                  b-c5a0dc2a
                f-d93e7f6c files line 24
                  b-355463d2
            "#]],
        );
    }

    #[test]
    fn inserting_a_block_above_leaves_every_id_unchanged() {
        let before = ids(CHAPTER);
        let inserted =
            format!("```rust,editable\nfn main() {{ println!(\"new\"); }}\n```\n\n{CHAPTER}");
        let after = ids(&inserted);
        let strip = |text: &str| -> Vec<String> {
            text.lines()
                .map(|l| l.split(" line ").next().unwrap().to_owned())
                .collect()
        };
        // The new block comes first; everything after keeps its id (only the lines moved).
        assert_eq!(strip(&after)[1..], strip(&before)[..]);
        check(
            &inserted,
            expect![[r#"
                b-75453f13 line 1
                b-4f0c176e line 7
                e-5241868f exercise line 11
                  b-5241868f
                  b-5e7765fc
                  b-c5a0dc2a
                f-d93e7f6c files line 28
                  b-355463d2
            "#]],
        );
    }

    #[test]
    fn identical_blocks_get_distinct_ids_in_reading_order() {
        check(
            "```rust\nfn main() {}\n```\n\n```rust,release\nfn main() {}\n```\n\n```rust\nfn main() {}\n```\n",
            expect![[r#"
                b-355463d2 line 1
                b-355463d2-2 line 5
                b-355463d2-3 line 9
            "#]],
        );
    }

    #[test]
    fn explicit_ids_win_and_must_be_unique() {
        // The second block asks for the id the first would derive: the author's choice wins,
        // and the first block moves aside to `-2`.
        check(
            "```rust\nfn main() {}\n```\n\n```rust,id=b-355463d2\nfn main() { 1; }\n```\n\n````files,id=lab\n```rust,file=src/main.rs\nfn main() {}\n```\n````\n\n```rust,id=lab\nfn main() { 2; }\n```\n",
            expect![[r#"
                b-355463d2-2 line 1
                b-355463d2 line 5
                lab files line 9
                  b-355463d2-3
                b-343d964a line 15
                PROBLEM line 15: `id=lab` is already used at line 9 of this chapter; ids must be unique
            "#]],
        );
    }
}
