//! The search index: every chapter as plain text, split at its headings (`GET /api/search`).
//!
//! Built from the chapter as it is rendered, so what search finds is what the page shows: the
//! prose (tags stripped, entities decoded) and the visible code. Hidden lines, tests, solutions,
//! hints and speaker notes are left out.

use api_types::{SearchChapter, SearchCode, SearchSection, block_anchor};

use crate::hidden::visible_part;
use crate::{Block, Chapter, CodeBlock, Library, Role};

impl Library {
    /// The whole library's search index, in teaching order.
    pub fn search_index(&self) -> api_types::SearchIndex {
        api_types::SearchIndex {
            chapters: self
                .chapters()
                .map(|(course, chapter)| search_chapter(&course.title, chapter))
                .collect(),
        }
    }
}

fn search_chapter(course: &str, chapter: &Chapter) -> SearchChapter {
    let mut sections = vec![SearchSection {
        anchor: String::new(),
        heading: String::new(),
        text: String::new(),
        code: Vec::new(),
    }];
    for block in &chapter.blocks {
        match block {
            Block::Prose(html) => prose(html, chapter, &mut sections),
            Block::Code(code) => push_code(&mut sections, &code.id, code),
            Block::Exercise(exercise) => {
                add_text(last(&mut sections), &plain_text(&exercise.instructions));
                for (_, starter) in exercise.files(Role::Starter) {
                    push_code(&mut sections, &exercise.id, starter);
                }
            }
            Block::Files(set) => {
                for file in &set.files {
                    push_code(&mut sections, &set.id, file);
                }
            }
            Block::Demo { .. } | Block::Notes { .. } => {}
        }
    }
    sections.retain(|s| !(s.heading.is_empty() && s.text.is_empty() && s.code.is_empty()));
    SearchChapter {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
        summary: chapter.front.summary.clone(),
        course: course.to_owned(),
        sections,
    }
}

fn last(sections: &mut [SearchSection]) -> &mut SearchSection {
    sections
        .last_mut()
        .expect("a chapter's sections start with the one before its first heading")
}

fn push_code(sections: &mut [SearchSection], id: &str, block: &CodeBlock) {
    let code: String = visible_part(&block.code, &block.hidden_lines)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if !code.is_empty() {
        last(sections).code.push(SearchCode {
            anchor: block_anchor(id),
            code,
        });
    }
}

fn add_text(section: &mut SearchSection, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if !section.text.is_empty() {
        section.text.push(' ');
    }
    section.text.push_str(text);
}

/// Splits a prose block at its `<h2>`/`<h3>` headings (each starts a section, named by the id
/// the renderer gave it) and adds the text between them to the current section.
fn prose(html: &str, chapter: &Chapter, sections: &mut Vec<SearchSection>) {
    let mut rest = html;
    loop {
        let next = ["<h2 id=\"", "<h3 id=\""]
            .iter()
            .filter_map(|open| rest.find(open).map(|at| (at, *open)))
            .min();
        let Some((at, open)) = next else {
            add_text(last(sections), &plain_text(rest));
            return;
        };
        add_text(last(sections), &plain_text(&rest[..at]));
        let after = &rest[at + open.len()..];
        let id = after.split('"').next().unwrap_or_default();
        let close = if open.starts_with("<h2") {
            "</h2>"
        } else {
            "</h3>"
        };
        let (inner, tail) = after.split_once(close).unwrap_or((after, ""));
        let heading = chapter
            .headings
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.text.clone())
            .unwrap_or_else(|| plain_text(inner.split_once('>').map_or("", |(_, t)| t)));
        sections.push(SearchSection {
            anchor: id.to_owned(),
            heading,
            text: String::new(),
            code: Vec::new(),
        });
        rest = tail;
    }
}

/// The text of rendered HTML: tags dropped (a heading's `#` link with its text), entities
/// decoded, runs of whitespace made one space.
pub(crate) fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = &rest[..end];
            rest = &rest[end..];
            if tag.contains("class=\"heading-anchor\"") {
                rest = rest.split_once("</a>").map_or("", |(_, after)| after);
            }
            // Tags between words (`</p><p>`, `<br>`) separate them; inline ones add a harmless space.
            text.push(' ');
        } else {
            let end = rest.find(';').filter(|e| *e <= 10);
            let decoded = end.and_then(|e| entity(&rest[1..e]));
            match (end, decoded) {
                (Some(e), Some(c)) => {
                    text.push(c);
                    rest = &rest[e + 1..];
                }
                _ => {
                    text.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    text.push_str(rest);
    let words: Vec<&str> = text.split_whitespace().collect();
    // Punctuation after an inline tag (`<code>x</code>.`) keeps to its word.
    let mut out = words.join(" ");
    for punctuation in [" .", " ,", " :", " ;", " )", " ?", " !"] {
        out = out.replace(punctuation, &punctuation[1..]);
    }
    out.replace("( ", "(")
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" | "#39" => '\'',
        "nbsp" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_markdown;

    fn chapter(body: &str) -> Chapter {
        let rendered = render_markdown(body, 1);
        Chapter {
            slug: "c".into(),
            path: "c.md".into(),
            front: crate::FrontMatter {
                title: "Title".into(),
                course: None,
                order: 1,
                minutes: 1,
                summary: "Sum".into(),
                part: None,
            },
            blocks: rendered.blocks,
            headings: rendered.headings,
            problems: rendered.problems,
            tasks: rendered.tasks,
            links: Vec::new(),
            slides: Vec::new(),
        }
    }

    #[test]
    fn sections_follow_headings_and_keep_prose_and_visible_code() {
        let index = search_chapter(
            "Course",
            &chapter(
                "Intro with `Box<T>` &amp; more.\n\n## Why *dyn*?\n\nBecause.\n\n```rust\n# use std::fmt;\nfn main() {\n    let x = 1;\n}\n```\n\n### Deeper\n\nText &lt;here&gt;.\n",
            ),
        );
        let sections: Vec<(&str, &str, &str)> = index
            .sections
            .iter()
            .map(|s| (s.anchor.as_str(), s.heading.as_str(), s.text.as_str()))
            .collect();
        assert_eq!(
            sections,
            [
                ("", "", "Intro with Box<T> & more."),
                ("why-dyn", "Why dyn?", "Because."),
                ("deeper", "Deeper", "Text <here>."),
            ]
        );
        let code = &index.sections[1].code;
        assert_eq!(code.len(), 1);
        assert!(code[0].anchor.starts_with("block-b-"), "{}", code[0].anchor);
        assert_eq!(
            code[0].code, "fn main() {\nlet x = 1;\n}",
            "hidden lines are left out"
        );
    }

    #[test]
    fn exercises_give_instructions_and_starters_never_tests_or_solutions() {
        let index = search_chapter(
            "Course",
            &chapter(
                "## Try\n\n````exercise,id=sum\nAdd the numbers.\n\n```rust,starter\nfn add() {}\n```\n\n```rust,tests\n#[test]\nfn secret_test() {}\n```\n\n```rust,solution\nfn add_solution() {}\n```\n\n```hint\nhint_text\n```\n````\n",
            ),
        );
        let section = &index.sections[0];
        assert_eq!(section.text, "Add the numbers.");
        assert_eq!(section.code.len(), 1);
        assert_eq!(section.code[0].anchor, "block-sum");
        assert_eq!(section.code[0].code, "fn add() {}");
        let everything = format!("{index:?}");
        for secret in ["secret_test", "add_solution", "hint_text"] {
            assert!(
                !everything.contains(secret),
                "{secret} leaked into the index"
            );
        }
    }

    #[test]
    fn plain_text_drops_tags_and_heading_links_and_decodes_entities() {
        assert_eq!(
            plain_text(
                r##"<h2 id="a">A &amp; B <a class="heading-anchor" href="#a">#</a></h2><p>x&#39;s &#x3C;T&#x3E; &bogus; &</p>"##
            ),
            "A & B x's <T> &bogus; &"
        );
    }
}
