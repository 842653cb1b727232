//! A chapter cut into slides for presenting it.
//!
//! An author marks where slides start with an HTML comment on a line of its own, which the
//! reading page never shows:
//!
//! ```text
//! <!-- slide minutes=4 -->
//! ## Invariance
//! <!-- slide minutes=2 title="Recap" -->
//! ```
//!
//! A slide runs to the next mark. When a chapter has marks, its front matter `minutes` must be
//! their sum (a problem at that line otherwise), and the first mark must come before any content.
//! A slide's title is its `title=`, else the text of the heading it starts with; a slide that
//! does not start with a heading needs a `title=`. Its anchor (where it starts on the reading
//! page) is that heading's id, else `slide-` and the title as a slug, on an empty element the
//! mark leaves in the page.
//!
//! A chapter without marks presents as a title slide (the chapter's title and summary, then
//! everything before the first `##`) and one slide per `##` section; the chapter's minutes are
//! shared among them by [`weight`], rounded to whole minutes that add up to the chapter's.

use std::ops::Range;

use crate::highlight::escape;
use crate::search::plain_text;
use crate::{Block, Course, FrontMatter, Problem};

/// The anchor of a title slide: the chapter page's header carries this id.
pub const TOP_ANCHOR: &str = "top";

/// One slide: a run of the chapter's blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slide {
    pub title: String,
    pub anchor: String,
    pub minutes: u32,
    /// Indexes into the chapter's blocks.
    pub blocks: Range<usize>,
    /// Whether this is the title slide of a chapter without marks, which shows the chapter's
    /// title and summary above its blocks.
    pub title_slide: bool,
}

/// A `<!-- slide ... -->` mark as the Markdown renderer found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlideMark {
    pub line: usize,
    /// The index of the first block of the slide (blocks before it belong to earlier slides).
    pub block: usize,
    pub minutes: u32,
    /// `title=`, else the heading the slide starts with; `None` is reported as a problem.
    pub title: Option<String>,
    pub anchor: String,
}

/// A `##` heading of the chapter, which starts a block of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub block: usize,
    pub anchor: String,
    pub title: String,
}

/// What a mark says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarkAttributes {
    pub minutes: u32,
    pub title: Option<String>,
}

const MARK_EXAMPLE: &str = "<!-- slide minutes=3 title=\"Recap\" -->";

/// Reads an HTML comment as a slide mark: `None` when it is not one (any other HTML or comment),
/// else the mark's attributes or what is wrong with them.
pub fn parse_mark(html: &str) -> Option<Result<MarkAttributes, String>> {
    let inner = html.trim().strip_prefix("<!--")?;
    let (inner, after) = inner.split_once("-->").unwrap_or((inner, ""));
    let inner = inner.trim();
    let word = inner.split_whitespace().next().unwrap_or_default();
    if !word.to_ascii_lowercase().starts_with("slide") {
        return None;
    }
    if word != "slide" {
        return Some(Err(format!(
            "a slide mark starts with the word `slide`, not `{word}`: write {MARK_EXAMPLE}"
        )));
    }
    if !after.trim().is_empty() {
        return Some(Err(format!(
            "a slide mark stands alone on its line, with nothing after `-->`: write {MARK_EXAMPLE}"
        )));
    }
    Some(attributes(inner["slide".len()..].trim()))
}

fn attributes(mut rest: &str) -> Result<MarkAttributes, String> {
    let mut minutes = None;
    let mut title = None;
    while !rest.is_empty() {
        let Some((key, tail)) = rest.split_once('=') else {
            return Err(format!(
                "`{rest}` is not `key=value` in this slide mark: write {MARK_EXAMPLE}"
            ));
        };
        let key = key.trim();
        let tail = tail.trim_start();
        let (value, tail) = match tail.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').ok_or_else(|| {
                format!("the `{key}` value in this slide mark opens a `\"` that is never closed")
            })?,
            None => tail.split_once(char::is_whitespace).unwrap_or((tail, "")),
        };
        match key {
            "minutes" => {
                let parsed = value.parse::<u32>().ok().filter(|m| (1..=600).contains(m));
                minutes = Some(parsed.ok_or_else(|| {
                    format!("`minutes={value}` in a slide mark must be a whole number of minutes from 1 to 600")
                })?);
            }
            "title" if value.trim().is_empty() => {
                return Err(
                    "`title=\"\"` in a slide mark is empty: name the slide or leave the title out"
                        .into(),
                );
            }
            "title" => title = Some(value.trim().to_owned()),
            other => {
                return Err(format!(
                    "unknown key `{other}` in a slide mark (it takes `minutes=` and `title=`): write {MARK_EXAMPLE}"
                ));
            }
        }
        rest = tail.trim_start();
    }
    let minutes = minutes.ok_or_else(|| {
        format!("a slide mark needs its time budget, `minutes=`: write {MARK_EXAMPLE}")
    })?;
    Ok(MarkAttributes { minutes, title })
}

/// The chapter's slides: from its marks if it has any, else one per `##` section after a title
/// slide. Marks that do not add up are reported in `problems`; `minutes_line` is the line of
/// the front matter's `minutes`.
pub fn split(
    front: &FrontMatter,
    blocks: &[Block],
    marks: &[SlideMark],
    sections: &[Section],
    minutes_line: usize,
    problems: &mut Vec<Problem>,
) -> Vec<Slide> {
    if marks.is_empty() {
        return by_sections(front, blocks, sections);
    }
    if marks[0].block > 0 {
        problems.push(Problem {
            line: marks[0].line,
            message: "this chapter has slide marks, so it must start with one: move this mark (or add one) above the chapter's first paragraph, or the content before it belongs to no slide".into(),
        });
    }
    let slides: Vec<Slide> = marks
        .iter()
        .enumerate()
        .map(|(at, mark)| {
            let end = marks.get(at + 1).map_or(blocks.len(), |next| next.block);
            // The anchor a mark leaves is a block of its own when code follows; it shows nothing.
            let empty = blocks[mark.block.min(end)..end]
                .iter()
                .all(|block| matches!(block, Block::Prose(html) if plain_text(html).is_empty()));
            if empty {
                problems.push(Problem {
                    line: mark.line,
                    message: "this slide is empty: the next slide mark or the end of the chapter comes before any content".into(),
                });
            }
            Slide {
                title: mark
                    .title
                    .clone()
                    .unwrap_or_else(|| format!("Slide {}", at + 1)),
                anchor: mark.anchor.clone(),
                minutes: mark.minutes,
                blocks: mark.block..end.max(mark.block),
                title_slide: false,
            }
        })
        .collect();
    let total: u32 = slides.iter().map(|s| s.minutes).sum();
    if total != front.minutes {
        problems.push(Problem {
            line: minutes_line,
            message: format!(
                "the slides' budgets add up to {total} minutes but the front matter says minutes = {}: make them agree (the chapter's minutes are its slides' sum)",
                front.minutes
            ),
        });
    }
    slides
}

fn by_sections(front: &FrontMatter, blocks: &[Block], sections: &[Section]) -> Vec<Slide> {
    let first = sections.first().map_or(blocks.len(), |s| s.block);
    let mut slides = vec![Slide {
        title: front.title.clone(),
        anchor: TOP_ANCHOR.to_owned(),
        minutes: 0,
        blocks: 0..first,
        title_slide: true,
    }];
    for (at, section) in sections.iter().enumerate() {
        let end = sections.get(at + 1).map_or(blocks.len(), |next| next.block);
        slides.push(Slide {
            title: section.title.clone(),
            anchor: section.anchor.clone(),
            minutes: 0,
            blocks: section.block..end,
            title_slide: false,
        });
    }
    let weights: Vec<u64> = slides
        .iter()
        .map(|slide| blocks[slide.blocks.clone()].iter().map(weight).sum())
        .collect();
    for (slide, minutes) in slides.iter_mut().zip(share(front.minutes, &weights)) {
        slide.minutes = minutes;
    }
    slides
}

/// How long a block takes to present, in arbitrary units: a word of prose is 1, a visible line
/// of code 4 (it is read, explained and often run), an exercise 150 plus its starter's lines
/// (the class tries it), a demo 100. Speaker notes take no time of their own.
pub fn weight(block: &Block) -> u64 {
    let lines =
        |code: &crate::CodeBlock| (code.code.lines().count() - code.hidden_lines.len()) as u64;
    match block {
        Block::Prose(html) => plain_text(html).split_whitespace().count() as u64,
        Block::Code(code) => 4 * lines(code),
        Block::Files(set) => set.files.iter().map(|file| 4 * lines(file)).sum(),
        Block::Exercise(exercise) => 150 + exercise.starter.as_ref().map_or(0, |s| 4 * lines(s)),
        Block::Demo { .. } => 100,
        Block::Notes { .. } => 0,
    }
}

/// `total` shared in proportion to `weights`, in whole numbers that add up to `total` (the
/// largest remainders round up; ties go to the earlier slide). All weights zero: equal shares.
pub fn share(total: u32, weights: &[u64]) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weights: Vec<u64> = if weights.iter().all(|w| *w == 0) {
        vec![1; weights.len()]
    } else {
        weights.to_vec()
    };
    let sum: u64 = weights.iter().sum();
    let exact: Vec<(u64, u64)> = weights
        .iter()
        .map(|w| (u64::from(total) * w / sum, u64::from(total) * w % sum))
        .collect();
    let mut shares: Vec<u32> = exact.iter().map(|(whole, _)| *whole as u32).collect();
    let left = total - shares.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Stable: equal remainders keep their order.
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i].1));
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

impl crate::Chapter {
    /// `GET /api/present/{slug}`: the chapter's slides with their blocks as the API sends them.
    pub fn presentation(&self, course: &Course) -> api_types::present::Presentation {
        let slides = self
            .slides
            .iter()
            .enumerate()
            .map(|(index, slide)| {
                let mut blocks = Vec::new();
                let mut notes = Vec::new();
                if slide.title_slide {
                    blocks.push(api_types::Block::Prose {
                        html: format!(
                            "<h1 class=\"slide-title\">{}</h1>\n<p class=\"summary\">{}</p>\n",
                            escape(&self.front.title),
                            escape(&self.front.summary)
                        ),
                    });
                }
                for block in &self.blocks[slide.blocks.clone()] {
                    match block {
                        Block::Notes { html, .. } => notes.push(html.clone()),
                        other => blocks.push(other.to_wire()),
                    }
                }
                api_types::present::Slide {
                    index,
                    title: slide.title.clone(),
                    anchor: slide.anchor.clone(),
                    minutes: slide.minutes,
                    blocks,
                    notes,
                }
            })
            .collect();
        api_types::present::Presentation {
            chapter: api_types::ChapterRef {
                slug: self.slug.clone(),
                title: self.front.title.clone(),
            },
            course: api_types::CourseRef {
                slug: course.slug.clone(),
                title: course.title.clone(),
            },
            minutes: self.slides.iter().map(|s| s.minutes).sum(),
            slides,
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::render_markdown;

    /// Splits `body` (its front matter says 10 minutes, on line 3) and prints each slide: its
    /// title, anchor, minutes and blocks, then the problems.
    fn check(body: &str, expected: Expect) {
        let front = FrontMatter {
            title: "Traits & <objects>".into(),
            course: None,
            order: 1,
            minutes: 10,
            summary: "Dispatch".into(),
            part: None,
        };
        let mut rendered = render_markdown(body, 10);
        let slides = split(
            &front,
            &rendered.blocks,
            &rendered.slide_marks,
            &rendered.sections,
            3,
            &mut rendered.problems,
        );
        let mut actual = String::new();
        for slide in &slides {
            actual.push_str(&format!(
                "SLIDE {:?} #{} {} min{}\n",
                slide.title,
                slide.anchor,
                slide.minutes,
                if slide.title_slide { " (title)" } else { "" }
            ));
            for block in &rendered.blocks[slide.blocks.clone()] {
                let line = match block {
                    Block::Prose(html) => format!("prose {}", plain_text(html)),
                    Block::Code(code) => format!("code {}", code.code.trim()),
                    Block::Notes { html, .. } => format!("notes {}", plain_text(html)),
                    Block::Exercise(exercise) => format!("exercise {}", exercise.id),
                    Block::Files(set) => format!("files {}", set.id),
                    Block::Demo { name, .. } => format!("demo {name}"),
                };
                actual.push_str(&format!("  {line}\n"));
            }
        }
        for problem in &rendered.problems {
            actual.push_str(&format!(
                "PROBLEM line {}: {}\n",
                problem.line, problem.message
            ));
        }
        expected.assert_eq(&actual);
    }

    #[test]
    fn without_marks_a_title_slide_then_one_slide_per_section() {
        check(
            "Intro words here.\n\n## First part\n\nOne two three four five six.\n\n### Deeper\n\nStill first.\n\n```rust\nfn main() {}\n```\n\n```notes\nAsk why.\n```\n\n## Second\n\nShort.\n",
            expect![[r#"
                SLIDE "Traits & <objects>" #top 2 min (title)
                  prose Intro words here.
                SLIDE "First part" #first-part 7 min
                  prose First part One two three four five six. Deeper Still first.
                  code fn main() {}
                  notes Ask why.
                SLIDE "Second" #second 1 min
                  prose Second Short.
            "#]],
        );
    }

    #[test]
    fn marks_split_where_written_and_take_the_heading_after_them() {
        check(
            "<!-- slide minutes=2 title=\"Why traits\" -->\nIntro.\n\n```notes\nStart slow.\n```\n\n<!-- slide minutes=5 -->\n## Objects\n\nA vtable.\n\n<!-- slide minutes=3 title=\"Try it\" -->\n\n```rust\nfn main() {}\n```\n\nAfter the code, same slide.\n",
            expect![[r#"
                SLIDE "Why traits" #slide-why-traits 2 min
                  prose Intro.
                  notes Start slow.
                SLIDE "Objects" #objects 5 min
                  prose Objects A vtable.
                SLIDE "Try it" #slide-try-it 3 min
                  prose 
                  code fn main() {}
                  prose After the code, same slide.
            "#]],
        );
    }

    #[test]
    fn marks_never_show_on_the_reading_page() {
        let rendered = render_markdown(
            "<!-- slide minutes=2 title=\"Start\" -->\nIntro.\n\n<!-- slide minutes=1 -->\n## Next\n\n<!-- an ordinary comment -->\n",
            1,
        );
        let html: String = rendered
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Prose(html) => Some(html.as_str()),
                _ => None,
            })
            .collect();
        assert!(!html.contains("slide minutes"), "{html}");
        assert!(
            html.contains("<div id=\"slide-start\" class=\"slide-anchor\"></div>"),
            "{html}"
        );
        assert!(html.contains("<!-- an ordinary comment -->"), "{html}");
    }

    #[test]
    fn malformed_marks_are_problems_at_their_lines() {
        check(
            "<!-- slide minutes=4 -->\nNo heading here.\n\n<!-- slide minutes=four -->\n## A\n\nText <!-- slide minutes=1 --> inline.\n\n<!-- slide title=\"B\" colour=red -->\n## B\n\n<!-- slides minutes=1 -->\n## C\n\n- item\n\n  <!-- slide minutes=1 -->\n\n<!-- slide minutes=1 title=\"Empty\" -->\n",
            expect![[r#"
                SLIDE "Slide 1" #slide-1 4 min
                  prose No heading here.
                SLIDE "A" #a 0 min
                  prose A Text inline.
                SLIDE "B" #b 0 min
                  prose B
                SLIDE "C" #c 0 min
                  prose C item
                SLIDE "Empty" #slide-empty 1 min
                  prose 
                PROBLEM line 10: this slide does not start with a heading, so its mark needs a title: <!-- slide minutes=3 title="Recap" -->
                PROBLEM line 13: `minutes=four` in a slide mark must be a whole number of minutes from 1 to 600
                PROBLEM line 16: a slide mark must be on a line of its own between the chapter's paragraphs, not inside a paragraph, list or quote
                PROBLEM line 18: unknown key `colour` in a slide mark (it takes `minutes=` and `title=`): write <!-- slide minutes=3 title="Recap" -->
                PROBLEM line 21: a slide mark starts with the word `slide`, not `slides`: write <!-- slide minutes=3 title="Recap" -->
                PROBLEM line 26: a slide mark must be on a line of its own between the chapter's paragraphs, not inside a paragraph, list or quote
                PROBLEM line 28: this slide is empty: the next slide mark or the end of the chapter comes before any content
                PROBLEM line 3: the slides' budgets add up to 5 minutes but the front matter says minutes = 10: make them agree (the chapter's minutes are its slides' sum)
            "#]],
        );
    }

    #[test]
    fn content_before_the_first_mark_and_empty_slides_are_problems() {
        check(
            "Orphan intro.\n\n<!-- slide minutes=6 -->\n## One\n\nText.\n\n<!-- slide minutes=4 title=\"Two\" -->\n",
            expect![[r#"
                SLIDE "One" #one 6 min
                  prose One Text.
                SLIDE "Two" #slide-two 4 min
                  prose 
                PROBLEM line 12: this chapter has slide marks, so it must start with one: move this mark (or add one) above the chapter's first paragraph, or the content before it belongs to no slide
                PROBLEM line 17: this slide is empty: the next slide mark or the end of the chapter comes before any content
            "#]],
        );
    }

    #[test]
    fn notes_and_marks_inside_other_blocks_are_refused() {
        check(
            "<!-- slide minutes=10 title=\"All\" -->\n````notes\nSay it.\n\n<!-- slide minutes=1 -->\n````\n",
            expect![[r#"
                SLIDE "All" #slide-all 10 min
                  prose 
                  notes Say it.
                PROBLEM line 14: a slide mark goes between the chapter's blocks, not inside a notes, exercise or files block
            "#]],
        );
    }

    #[test]
    fn minutes_are_shared_by_weight_and_add_up() {
        assert_eq!(share(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(share(10, &[0, 0]), [5, 5]);
        assert_eq!(share(20, &[10, 30, 60]), [2, 6, 12]);
        assert_eq!(share(3, &[100, 1, 1, 1, 1]), [3, 0, 0, 0, 0]);
        assert_eq!(share(7, &[]), Vec::<u32>::new());
        for total in [0, 1, 13, 90] {
            assert_eq!(share(total, &[3, 7, 0, 11]).iter().sum::<u32>(), total);
        }
    }

    #[test]
    fn mark_attributes_parse_quoted_titles() {
        assert_eq!(
            parse_mark("<!--   slide   title=\"A = b\"  minutes=12-->\n"),
            Some(Ok(MarkAttributes {
                minutes: 12,
                title: Some("A = b".into())
            }))
        );
        assert_eq!(parse_mark("<!-- a comment -->"), None);
        assert_eq!(parse_mark("<div>slide</div>"), None);
        assert!(matches!(parse_mark("<!-- slide -->"), Some(Err(m)) if m.contains("minutes=")));
        assert!(matches!(
            parse_mark("<!-- slide minutes=0 -->"),
            Some(Err(_))
        ));
    }
}
