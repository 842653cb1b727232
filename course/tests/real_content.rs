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

/// Every chapter presents: its slides cover its blocks once, in order, their budgets add up to
/// the chapter's minutes, and each slide's anchor is an element of the reading page.
#[test]
fn every_chapter_presents_as_slides_that_cover_it() {
    for (course, chapter) in library().chapters() {
        let name = chapter.path.display();
        let deck = chapter.presentation(course);
        assert_eq!(deck.minutes, chapter.front.minutes, "{name}");
        let mut next = 0;
        for slide in &chapter.slides {
            assert_eq!(slide.blocks.start, next, "{name}: slide `{}`", slide.title);
            next = slide.blocks.end;
        }
        assert_eq!(next, chapter.blocks.len(), "{name}");
        let page: String = chapter
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Prose(html) => Some(html.as_str()),
                _ => None,
            })
            .collect();
        for slide in &deck.slides {
            let anchor = &slide.anchor;
            assert!(
                anchor == course::slides::TOP_ANCHOR || page.contains(&format!(" id=\"{anchor}\"")),
                "{name}: slide `{}` starts at #{anchor}, which the page does not have",
                slide.title
            );
        }
    }
}

#[test]
fn the_marked_example_chapter_has_its_slides_and_budgets() {
    let library = library();
    let (course, chapter) = library.chapter("where-next").expect("where-next");
    let deck = chapter.presentation(course);
    let slides: Vec<(&str, &str, u32, usize)> = deck
        .slides
        .iter()
        .map(|s| {
            (
                s.title.as_str(),
                s.anchor.as_str(),
                s.minutes,
                s.notes.len(),
            )
        })
        .collect();
    assert_eq!(
        slides,
        [
            ("Where next", "slide-where-next", 1, 0),
            ("Predict, then run", "predict-then-run", 5, 1),
            (
                "The two courses after this one",
                "the-two-courses-after-this-one",
                3,
                1
            ),
            ("Chapter by chapter", "chapter-by-chapter", 4, 1),
            (
                "One system, several chapters",
                "one-system-several-chapters",
                4,
                1
            ),
            ("Closing a session", "closing-a-session", 3, 1),
        ]
    );
    // Notes are the console's, never the projector's.
    assert!(deck.slides.iter().all(|s| {
        s.blocks
            .iter()
            .all(|b| !matches!(b, api_types::Block::Notes { .. }))
    }));
}
