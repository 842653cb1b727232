//! Markdown to blocks: prose becomes HTML, fenced code becomes [`CodeBlock`]s.

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::highlight::highlight;
use crate::{Block, CodeBlock, CodeInfo, Heading};

/// The result of rendering a chapter body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub blocks: Vec<Block>,
    pub headings: Vec<Heading>,
}

/// Renders `body`, whose first line is line `first_line` of its file (so code blocks can report
/// where they are).
pub fn render_markdown(body: &str, first_line: usize) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut out = Rendered::default();
    let mut prose: Vec<Event> = Vec::new();
    let mut code: Option<(CodeInfo, usize, String)> = None;
    let mut heading: Option<(HeadingLevel, Vec<Event>)> = None;
    let mut used_ids: HashMap<String, usize> = HashMap::new();

    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => CodeInfo::parse(&info),
                    CodeBlockKind::Indented => CodeInfo::parse(""),
                };
                let line = first_line + body[..range.start].matches('\n').count();
                code = Some((info, line, String::new()));
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, _, source)) = code.as_mut() {
                    source.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, line, source)) = code.take() {
                    flush_prose(&mut prose, &mut out.blocks);
                    if info.language == "demo" {
                        out.blocks.push(Block::Demo {
                            name: source.trim().to_owned(),
                            line,
                        });
                        continue;
                    }
                    let index = out
                        .blocks
                        .iter()
                        .filter(|b| matches!(b, Block::Code(_)))
                        .count();
                    let highlighted = highlight(&info.language, &source);
                    out.blocks.push(Block::Code(CodeBlock {
                        index,
                        line,
                        info,
                        code: source,
                        highlighted,
                    }));
                }
            }
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, inner)) = heading.take() {
                    let text = plain_text(&inner);
                    let id = unique_id(&slugify(&text), &mut used_ids);
                    if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                        out.headings.push(Heading {
                            level: level as u8,
                            id: id.clone(),
                            text,
                        });
                    }
                    prose.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id)),
                        classes: Vec::new(),
                        attrs: Vec::new(),
                    }));
                    prose.extend(inner);
                    prose.push(Event::End(TagEnd::Heading(level)));
                }
            }
            other => match heading.as_mut() {
                Some((_, inner)) => inner.push(other),
                None => prose.push(other),
            },
        }
    }
    flush_prose(&mut prose, &mut out.blocks);
    out
}

fn flush_prose(prose: &mut Vec<Event>, blocks: &mut Vec<Block>) {
    if prose.is_empty() {
        return;
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, prose.drain(..));
    if !html.trim().is_empty() {
        blocks.push(Block::Prose(html));
    }
}

fn plain_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// `"Trait objects & vtables"` becomes `"trait-objects-vtables"`.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug.to_owned()
    }
}

fn unique_id(base: &str, used: &mut HashMap<String, usize>) -> String {
    let count = used.entry(base.to_owned()).or_insert(0);
    *count += 1;
    if *count == 1 {
        base.to_owned()
    } else {
        format!("{base}-{count}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// Renders `input` and prints each block on its own lines, so the snapshot shows the shape.
    fn check(input: &str, expected: Expect) {
        let rendered = render_markdown(input, 10);
        let mut actual = String::new();
        for block in &rendered.blocks {
            match block {
                Block::Prose(html) => actual.push_str(&format!("PROSE {html}")),
                Block::Demo { name, line } => {
                    actual.push_str(&format!("DEMO {name} line {line}\n"))
                }
                Block::Code(c) => actual.push_str(&format!(
                    "CODE #{} line {} {:?} {:?}\n{}\n",
                    c.index, c.line, c.info.language, c.info.attributes, c.code
                )),
            }
        }
        for h in &rendered.headings {
            actual.push_str(&format!("H{} #{} {}\n", h.level, h.id, h.text));
        }
        expected.assert_eq(&actual);
    }

    #[test]
    fn prose_and_code_alternate() {
        check(
            "# Title\n\nSome *text*.\n\n```rust,editable\nfn main() {}\n```\n\nAfter.\n",
            expect![[r#"
                PROSE <h1 id="title">Title</h1>
                <p>Some <em>text</em>.</p>
                CODE #0 line 14 "rust" ["editable"]
                fn main() {}

                PROSE <p>After.</p>
            "#]],
        );
    }

    #[test]
    fn headings_get_unique_ids_and_an_outline() {
        check(
            "## Why `dyn`?\n\n## Why `dyn`?\n\n### A & B\n",
            expect![[r#"
                PROSE <h2 id="why-dyn">Why <code>dyn</code>?</h2>
                <h2 id="why-dyn-2">Why <code>dyn</code>?</h2>
                <h3 id="a-b">A &amp; B</h3>
                H2 #why-dyn Why dyn?
                H2 #why-dyn-2 Why dyn?
                H3 #a-b A & B
            "#]],
        );
    }

    #[test]
    fn demo_blocks_name_a_demo() {
        check(
            "See it run:\n\n```demo\nlock-free-explorer\n```\n",
            expect![[r#"
                PROSE <p>See it run:</p>
                DEMO lock-free-explorer line 12
            "#]],
        );
    }

    #[test]
    fn code_blocks_are_numbered_and_located() {
        check(
            "Intro.\n\n```\nplain\n```\n\n```toml\n[a]\n```\n",
            expect![[r#"
                PROSE <p>Intro.</p>
                CODE #0 line 12 "text" []
                plain

                CODE #1 line 16 "toml" []
                [a]

            "#]],
        );
    }
}
