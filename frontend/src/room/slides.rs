//! A chapter cut into positions at its `##` headings, for the teacher page: each position is a
//! heading (its id is where students scroll to) and the code blocks and exercises written after
//! it, before the next one. Blocks above the first heading belong to the first position; a chapter
//! without `##` headings is one position at the top of the page. Pure, tested natively.

use api_types::{Block, Chapter};

/// One place the teacher can stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub index: u32,
    pub title: String,
    /// The heading's element id on `/learn/<slug>` (empty: the top of the page).
    pub anchor: String,
    /// Indices into `chapter.blocks` of the code blocks and exercises here.
    pub blocks: Vec<usize>,
}

pub fn stops(chapter: &Chapter) -> Vec<Stop> {
    let headings: Vec<_> = chapter.headings.iter().filter(|h| h.level == 2).collect();
    if headings.is_empty() {
        return vec![Stop {
            index: 0,
            title: chapter.title.clone(),
            anchor: String::new(),
            blocks: code_blocks(chapter.blocks.iter().enumerate()),
        }];
    }
    let mut stops: Vec<Stop> = headings
        .iter()
        .enumerate()
        .map(|(index, heading)| Stop {
            index: index as u32,
            title: heading.text.clone(),
            anchor: heading.id.clone(),
            blocks: Vec::new(),
        })
        .collect();
    let mut current = 0;
    for (at, block) in chapter.blocks.iter().enumerate() {
        match block {
            Block::Prose { html } => {
                // The last heading this prose holds, in the chapter's order.
                if let Some(found) = headings
                    .iter()
                    .enumerate()
                    .skip(current)
                    .filter(|(_, h)| html.contains(&format!("id=\"{}\"", h.id)))
                    .map(|(i, _)| i)
                    .next_back()
                {
                    current = found;
                }
            }
            Block::Code(_) | Block::Exercise(_) => stops[current].blocks.push(at),
            _ => {}
        }
    }
    stops
}

fn code_blocks<'a>(blocks: impl Iterator<Item = (usize, &'a Block)>) -> Vec<usize> {
    blocks
        .filter(|(_, b)| matches!(b, Block::Code(_) | Block::Exercise(_)))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use api_types::{CourseRef, Heading};

    use super::*;

    fn chapter(blocks: Vec<Block>, headings: &[(u8, &str)]) -> Chapter {
        Chapter {
            slug: "c".into(),
            title: "Chapter".into(),
            summary: String::new(),
            minutes: 5,
            course: CourseRef {
                slug: "k".into(),
                title: "K".into(),
            },
            blocks,
            headings: headings
                .iter()
                .map(|(level, id)| Heading {
                    level: *level,
                    id: (*id).into(),
                    text: id.to_uppercase(),
                })
                .collect(),
            previous: None,
            next: None,
        }
    }

    fn prose(html: &str) -> Block {
        Block::Prose { html: html.into() }
    }

    fn demo() -> Block {
        Block::Demo { name: "d".into() }
    }

    #[test]
    fn blocks_go_to_the_last_heading_above_them() {
        let code = || {
            Block::Code(api_types::CodeBlock {
                index: 0,
                id: "x".into(),
                language: "rust".into(),
                code: String::new(),
                hidden_lines: Vec::new(),
                highlighted: String::new(),
                runnable: true,
                editable: true,
                run: api_types::RunSettings::default(),
                attributes: Vec::new(),
                hash: String::new(),
                problem: None,
            })
        };
        let blocks = vec![
            code(),
            prose(r#"<h2 id="one">One</h2><p>text</p><h3 id="sub">Sub</h3>"#),
            code(),
            demo(),
            prose(r#"<h2 id="two">Two</h2><h2 id="three">Three</h2>"#),
            code(),
        ];
        let c = chapter(blocks, &[(2, "one"), (3, "sub"), (2, "two"), (2, "three")]);
        let stops = stops(&c);
        let summary: Vec<_> = stops
            .iter()
            .map(|s| (s.index, s.anchor.as_str(), s.blocks.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "one", vec![0, 2]),
                (1, "two", vec![]),
                (2, "three", vec![5])
            ]
        );
    }

    #[test]
    fn a_chapter_without_sections_is_one_stop_at_the_top() {
        let c = chapter(vec![prose("<p>hi</p>"), demo()], &[(3, "small")]);
        let stops = stops(&c);
        assert_eq!(stops.len(), 1);
        assert_eq!(stops[0].anchor, "");
        assert_eq!(stops[0].title, "Chapter");
    }
}
