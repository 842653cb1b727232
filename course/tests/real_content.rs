//! Checks on the repository's own `content/`: it loads, and it follows the house rules that the
//! parser alone does not enforce.

use std::path::Path;

use course::{Block, Library};

fn library() -> Library {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    Library::load(&dir).unwrap_or_else(|e| panic!("content/ does not load: {e}"))
}

#[test]
fn the_content_loads_with_courses_and_chapters() {
    let library = library();
    assert!(!library.courses.is_empty());
    assert!(library.chapter_count() >= 2);
    for course in &library.courses {
        assert!(
            !course.chapters.is_empty(),
            "course `{}` has no chapters",
            course.slug
        );
    }
}

#[test]
fn no_block_is_malformed() {
    let problems: Vec<String> = library().problems().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn chapters_do_not_repeat_their_title_as_a_heading() {
    for (_, chapter) in library().chapters() {
        if let Some(Block::Prose(html)) = chapter.blocks.first() {
            assert!(
                !html.trim_start().starts_with("<h1"),
                "{}: the page shows the front-matter title; start the body with prose or `##`",
                chapter.path.display()
            );
        }
    }
}

#[test]
fn every_chapter_has_a_runnable_example() {
    for (_, chapter) in library().chapters() {
        let runnable = chapter
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Code(c) if c.info.runnable()))
            .count();
        assert!(
            runnable > 0,
            "{} has no runnable example",
            chapter.path.display()
        );
    }
}

#[test]
fn summaries_are_plain_text() {
    for (_, chapter) in library().chapters() {
        assert!(
            !chapter.front.summary.contains('`'),
            "{}: summaries are shown as plain text, so backticks would show literally",
            chapter.path.display()
        );
    }
}

/// The author guide's examples (between ````` fences in content/README.md) parse without a
/// problem, so what authors copy from it is valid.
#[test]
fn the_author_guides_examples_are_well_formed() {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/README.md"))
            .expect("content/README.md");
    let examples: Vec<&str> = guide.split("`````\n").skip(1).step_by(2).collect();
    assert!(examples.len() >= 4, "found {} examples", examples.len());
    for example in examples {
        let rendered = course::render_markdown(example, 1);
        assert!(
            rendered.problems.is_empty(),
            "{example}\n{:#?}",
            rendered.problems
        );
        assert!(!rendered.blocks.is_empty());
    }
}
