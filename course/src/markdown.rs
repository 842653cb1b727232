//! Markdown to blocks: prose becomes HTML, fenced code becomes [`CodeBlock`]s, and the special
//! fences (`demo`, `notes`, `exercise`, `files`) become their own blocks.

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::hidden::{split_hidden, visible_part};
use crate::highlight::{escape, highlight};
use api_types::ProjectFile;
use api_types::project::check_project;

use crate::ids::assign_ids;
use crate::info::{Context, Role, exercise_fence_problems, files_fence_problems};
use crate::model::{ExerciseFile, content_hash};
use crate::slides::{Section, SlideMark, parse_mark};
use crate::{Block, CodeBlock, CodeInfo, Exercise, FileSet, Heading, Problem};

/// The result of rendering a chapter body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub blocks: Vec<Block>,
    pub headings: Vec<Heading>,
    /// Malformed blocks, by line. They are still rendered, but cannot run.
    pub problems: Vec<Problem>,
    /// The ids of the chapter's checklist items (Markdown task list items, `- [ ] ...`), in order.
    pub tasks: Vec<String>,
    /// `<!-- slide ... -->` marks, in order (see [`crate::slides`]).
    pub slide_marks: Vec<SlideMark>,
    /// The `##` headings, each at the start of a block, for slides of a chapter without marks.
    pub sections: Vec<Section>,
}

/// Renders `body`, whose first line is line `first_line` of its file (so code blocks can report
/// where they are).
pub fn render_markdown(body: &str, first_line: usize) -> Rendered {
    let mut rendered = render(body, first_line, Context::Chapter);
    assign_ids(&mut rendered.blocks, &mut rendered.problems);
    rendered
}

/// A fenced block as written: its info string, the line of its opening fence and its text.
struct Fence {
    info: CodeInfo,
    line: usize,
    source: String,
}

fn render(body: &str, first_line: usize, context: Context) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut out = Rendered::default();
    let mut prose: Vec<Event> = Vec::new();
    let mut fence: Option<Fence> = None;
    let mut heading: Option<(HeadingLevel, Vec<Event>)> = None;
    let mut used_ids: HashMap<String, usize> = HashMap::new();
    let (mut code_count, mut exercise_count) = (0, 0);
    // A top-level HTML block of the chapter, held back until it is known whether it is a slide mark.
    let mut html_block: Option<(usize, String)> = None;
    // Lists, quotes and footnotes open around the current event: a mark inside one cannot split.
    let mut containers = 0usize;
    // The slide mark whose title and anchor the heading being read gives.
    let mut mark_awaiting_heading: Option<usize> = None;
    let line_of = |offset: usize| first_line + body[..offset].matches('\n').count();

    let mut events = Parser::new_ext(body, options).into_offset_iter().peekable();
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::HtmlBlock) if context == Context::Chapter && containers == 0 => {
                html_block = Some((line_of(range.start), String::new()));
            }
            Event::Html(text) if html_block.is_some() => {
                if let Some((_, html)) = html_block.as_mut() {
                    html.push_str(&text);
                }
            }
            Event::End(TagEnd::HtmlBlock) if html_block.is_some() => {
                let Some((line, html)) = html_block.take() else {
                    continue;
                };
                let Some(parsed) = parse_mark(&html) else {
                    prose.push(Event::Start(Tag::HtmlBlock));
                    prose.push(Event::Html(CowStr::from(html)));
                    prose.push(Event::End(TagEnd::HtmlBlock));
                    continue;
                };
                // A malformed mark still splits, so the rest of the deck keeps its shape.
                let attributes = parsed.unwrap_or_else(|message| {
                    out.problems.push(Problem { line, message });
                    Default::default()
                });
                flush_prose(&mut prose, &mut out, context);
                let starts_with_heading =
                    matches!(events.peek(), Some((Event::Start(Tag::Heading { .. }), _)));
                let anchor = if starts_with_heading {
                    mark_awaiting_heading = Some(out.slide_marks.len());
                    String::new()
                } else {
                    let title = attributes.title.clone().unwrap_or_else(|| {
                        out.problems.push(Problem {
                            line,
                            message: "this slide does not start with a heading, so its mark needs a title: <!-- slide minutes=3 title=\"Recap\" -->".into(),
                        });
                        (out.slide_marks.len() + 1).to_string()
                    });
                    let anchor = unique_id(&format!("slide-{}", slugify(&title)), &mut used_ids);
                    // Where the slide starts on the reading page; empty, so never seen.
                    prose.push(Event::Html(CowStr::from(format!(
                        "<div id=\"{anchor}\" class=\"slide-anchor\"></div>\n"
                    ))));
                    anchor
                };
                out.slide_marks.push(SlideMark {
                    line,
                    block: out.blocks.len(),
                    minutes: attributes.minutes,
                    title: attributes.title,
                    anchor,
                });
            }
            Event::Html(text) | Event::InlineHtml(text) if parse_mark(&text).is_some() => {
                let line = line_of(range.start);
                let message = if context == Context::Chapter {
                    "a slide mark must be on a line of its own between the chapter's paragraphs, not inside a paragraph, list or quote"
                } else {
                    "a slide mark goes between the chapter's blocks, not inside a notes, exercise or files block"
                };
                out.problems.push(Problem {
                    line,
                    message: message.into(),
                });
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => CodeInfo::parse(&info),
                    CodeBlockKind::Indented => CodeInfo::parse(""),
                };
                let line = first_line + body[..range.start].matches('\n').count();
                fence = Some(Fence {
                    info,
                    line,
                    source: String::new(),
                });
            }
            Event::Text(text) if fence.is_some() => {
                if let Some(fence) = fence.as_mut() {
                    fence.source.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some(fence) = fence.take() else { continue };
                flush_prose(&mut prose, &mut out, context);
                let block = match (context, fence.info.language.as_str()) {
                    (Context::Chapter, "demo") => demo(fence, &mut out.problems),
                    (Context::Chapter, "notes") => Block::Notes {
                        html: render_aside(&fence.source, fence.line + 1, &mut out.problems),
                        line: fence.line,
                    },
                    (Context::Chapter, "exercise") => {
                        exercise_count += 1;
                        Block::Exercise(Box::new(exercise(
                            fence,
                            exercise_count - 1,
                            &mut out.problems,
                        )))
                    }
                    (Context::Chapter, "files") => Block::Files(file_set(fence, &mut out.problems)),
                    _ => {
                        code_count += 1;
                        Block::Code(code_block(
                            fence,
                            code_count - 1,
                            context,
                            &mut out.problems,
                        ))
                    }
                };
                out.blocks.push(block);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                if context == Context::Chapter && containers == 0 && level == HeadingLevel::H2 {
                    // A section starts a block of its own, so it can be a slide of its own.
                    flush_prose(&mut prose, &mut out, context);
                }
                heading = Some((level, Vec::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, inner)) = heading.take() {
                    let text = plain_text(&inner);
                    let id = unique_id(&slugify(&text), &mut used_ids);
                    if let Some(mark) = mark_awaiting_heading.take() {
                        let mark = &mut out.slide_marks[mark];
                        mark.anchor = id.clone();
                        mark.title.get_or_insert_with(|| text.clone());
                    }
                    if context == Context::Chapter && containers == 0 && level == HeadingLevel::H2 {
                        out.sections.push(Section {
                            block: out.blocks.len(),
                            anchor: id.clone(),
                            title: text.clone(),
                        });
                    }
                    if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                        out.headings.push(Heading {
                            level: level as u8,
                            id: id.clone(),
                            text,
                        });
                    }
                    prose.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id.clone())),
                        classes: Vec::new(),
                        attrs: Vec::new(),
                    }));
                    prose.extend(inner);
                    if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                        // A link to the section, for readers to copy (shown on hover and focus).
                        prose.push(Event::InlineHtml(CowStr::from(format!(
                            r##" <a class="heading-anchor" href="#{id}" aria-label="Link to this section">#</a>"##
                        ))));
                    }
                    prose.push(Event::End(TagEnd::Heading(level)));
                }
            }
            other => {
                match &other {
                    Event::Start(
                        Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_),
                    ) => {
                        containers += 1;
                    }
                    Event::End(
                        TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition,
                    ) => {
                        containers = containers.saturating_sub(1);
                    }
                    _ => {}
                }
                match heading.as_mut() {
                    Some((_, inner)) => inner.push(other),
                    None => prose.push(other),
                }
            }
        }
    }
    flush_prose(&mut prose, &mut out, context);
    out
}

fn report(problems: &mut Vec<Problem>, line: usize, messages: &[String]) -> Option<String> {
    problems.extend(messages.iter().map(|message| Problem {
        line,
        message: message.clone(),
    }));
    (!messages.is_empty()).then(|| messages.join("; "))
}

fn code_block(
    fence: Fence,
    index: usize,
    context: Context,
    problems: &mut Vec<Problem>,
) -> CodeBlock {
    let Fence { info, line, source } = fence;
    let problem = report(problems, line, &info.problems(context));
    let (code, hidden_lines) = if info.is_rust() {
        split_hidden(&source)
    } else {
        (source.clone(), Vec::new())
    };
    let highlighted = highlight(&info.language, &visible_part(&code, &hidden_lines));
    CodeBlock {
        index,
        // Given by `assign_ids` once the whole chapter is known.
        id: String::new(),
        line,
        info,
        code,
        hidden_lines,
        highlighted,
        hash: content_hash(&source),
        problem,
    }
}

fn demo(fence: Fence, problems: &mut Vec<Problem>) -> Block {
    let name = fence.source.trim().to_owned();
    if !api_types::DEMOS.contains(&name.as_str()) {
        report(
            problems,
            fence.line,
            &[format!(
                "unknown demo `{name}` (known demos: {})",
                api_types::DEMOS.join(", ")
            )],
        );
    }
    Block::Demo {
        name,
        line: fence.line,
    }
}

/// Markdown shown but never run (speaker notes, hints) as one piece of HTML.
fn render_aside(source: &str, first_line: usize, problems: &mut Vec<Problem>) -> String {
    let inner = render(source, first_line, Context::Aside);
    problems.extend(inner.problems);
    let mut html = String::new();
    for block in inner.blocks {
        match block {
            Block::Prose(prose) => html.push_str(&prose),
            Block::Code(code) => html.push_str(&code_html(&code)),
            _ => {}
        }
    }
    html
}

/// `tabindex`: a long line scrolls sideways, and the keyboard must be able to reach the scroller.
fn code_html(code: &CodeBlock) -> String {
    format!(
        "<pre tabindex=\"0\"><code class=\"language-{}\">{}</code></pre>\n",
        css_word(&code.info.language),
        code.highlighted
    )
}

/// `text` reduced to characters safe inside a class attribute.
fn css_word(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

fn exercise(fence: Fence, index: usize, problems: &mut Vec<Problem>) -> Exercise {
    let Fence { info, line, source } = fence;
    let mut messages = exercise_fence_problems(&info);
    let inner = render(&source, line + 1, Context::Exercise);
    let mut inner_problem = !inner.problems.is_empty();
    problems.extend(inner.problems);
    let (mut instructions, mut hints) = (String::new(), Vec::new());
    // (role, `file=` if given, block), in the order written.
    let mut parts: Vec<(Role, Option<String>, CodeBlock)> = Vec::new();
    for block in inner.blocks {
        match block {
            Block::Prose(html) => instructions.push_str(&html),
            Block::Code(code) if code.info.language == "hint" => {
                hints.push(render_aside(&code.code, code.line + 1, problems));
            }
            Block::Code(code) => {
                let Some(role) = code.info.role() else {
                    instructions.push_str(&code_html(&code));
                    continue;
                };
                let path = code.info.file().map(str::to_owned);
                if path.is_none() && !code.info.is_rust() {
                    inner_problem = true;
                    report(
                        problems,
                        code.line,
                        &[format!(
                            "exercise code without `file=` belongs to the main Rust file, so it must be ```rust, not ```{lang}; give another file its path (```{lang},{},file=shim.c)",
                            role.name(),
                            lang = code.info.language
                        )],
                    );
                    continue;
                }
                parts.push((role, path, code));
            }
            _ => {}
        }
    }
    // The main file is the first starter's: the one the page opens, and the one the
    // single-file fields (`starter`, `tests`, `solution`) describe.
    let first_starter = parts.iter().find(|(role, _, _)| *role == Role::Starter);
    let path = first_starter
        .and_then(|(_, path, _)| path.clone())
        .unwrap_or_else(|| ProjectFile::MAIN.to_owned());
    if let Some((_, _, code)) = first_starter.filter(|(_, _, code)| !code.info.is_rust()) {
        inner_problem = true;
        report(
            problems,
            code.line,
            &["the first starter block is the main file, which the page opens first; make it a ```rust block and put other files after it".to_owned()],
        );
    }
    let (mut starter, mut tests, mut solution) = (None, None, None);
    let mut extra_files: Vec<ExerciseFile> = Vec::new();
    let mut seen: Vec<(Role, String)> = Vec::new();
    for (role, file, code) in parts {
        let file = file.unwrap_or_else(|| path.clone());
        if seen.contains(&(role, file.clone())) {
            inner_problem = true;
            report(
                problems,
                code.line,
                &[format!(
                    "a second {} block for `{file}`; an exercise takes one starter, one tests and one solution block per file",
                    role.name()
                )],
            );
            continue;
        }
        seen.push((role, file.clone()));
        if file == path {
            let slot = match role {
                Role::Starter => &mut starter,
                Role::Tests => &mut tests,
                Role::Solution => &mut solution,
            };
            *slot = Some(code);
        } else {
            extra_files.push(ExerciseFile {
                role,
                path: file,
                block: code,
            });
        }
    }
    let has = |role: Role| seen.iter().any(|(r, _)| *r == role);
    for role in [Role::Starter, Role::Tests, Role::Solution] {
        if !has(role) {
            messages.push(format!("an exercise needs a ```rust,{} block", role.name()));
        }
    }
    for (role, file) in &seen {
        if *role == Role::Solution && !seen.contains(&(Role::Starter, file.clone())) {
            messages.push(format!(
                "`{file}` has a solution block but no starter block; a solution replaces the starter with the same path"
            ));
        }
    }
    let mut exercise = Exercise {
        index,
        // Given by `assign_ids` once the whole chapter is known.
        id: String::new(),
        line,
        info,
        instructions,
        path,
        starter,
        tests,
        hints,
        solution,
        extra_files,
        problem: None,
    };
    if messages.is_empty() && !inner_problem {
        let project = api_types::exercise_project(
            &exercise.student_files(Role::Starter),
            &exercise.test_files(),
        );
        if let Err(error) = check_project(&project) {
            messages.push(format!(
                "the exercise's files do not make a project: {error}"
            ));
        }
    }
    exercise.problem = report(problems, line, &messages);
    if inner_problem && exercise.problem.is_none() {
        exercise.problem = Some("a block inside this exercise is malformed".to_owned());
    }
    exercise
}

fn file_set(fence: Fence, problems: &mut Vec<Problem>) -> FileSet {
    let Fence { info, line, source } = fence;
    let mut messages = files_fence_problems(&info);
    let inner = render(&source, line + 1, Context::Files);
    let mut inner_problem = !inner.problems.is_empty();
    problems.extend(inner.problems);
    let mut files: Vec<CodeBlock> = Vec::new();
    for block in inner.blocks {
        match block {
            Block::Code(code) => {
                let path = code.info.file().unwrap_or_default();
                if files.iter().any(|f| f.info.file() == Some(path)) {
                    inner_problem = true;
                    report(problems, code.line, &[format!("`{path}` appears twice in this files block")]);
                }
                files.push(code);
            }
            _ => messages.push(
                "a files block holds only code blocks, each with `file=<path>`; put explanations outside it"
                    .to_owned(),
            ),
        }
    }
    if files.is_empty() {
        messages.push("a files block needs at least one ```lang,file=<path> block".to_owned());
    }
    messages.dedup();
    let mut set = FileSet {
        // Given by `assign_ids` once the whole chapter is known.
        id: String::new(),
        line,
        info,
        files,
        hash: content_hash(&source),
        problem: None,
    };
    // A block that runs must be a project the sandbox accepts; one marked `ignore` may show
    // any layout (a workspace, a config file) for reading.
    if messages.is_empty()
        && !inner_problem
        && !set.info.has("ignore")
        && let Err(error) = check_project(&set.project())
    {
        messages.push(format!(
            "these files are not a project the page can run: {error}; mark the block `ignore` to show it without running it"
        ));
    }
    set.problem = report(problems, line, &messages);
    if inner_problem && set.problem.is_none() {
        set.problem = Some("a file in this block is malformed".to_owned());
    }
    set
}

fn flush_prose(prose: &mut Vec<Event>, out: &mut Rendered, context: Context) {
    if prose.is_empty() {
        return;
    }
    let mut events = std::mem::take(prose);
    if context == Context::Chapter {
        mark_tasks(&mut events, &mut out.tasks);
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    if !html.trim().is_empty() {
        out.blocks.push(Block::Prose(html));
    }
}

/// Turns each task list item's marker into a checkbox the learner ticks (kept with their progress),
/// named `t-` and 8 hex digits of the hash of the item's text, so that editing other items keeps
/// a learner's ticks (`-2`, `-3`, ... for items with the same text). The box is labelled by the
/// item's text. An `[x]` in the source is ignored: every learner starts unticked.
fn mark_tasks(events: &mut [Event], tasks: &mut Vec<String>) {
    for at in 0..events.len() {
        if !matches!(events[at], Event::TaskListMarker(_)) {
            continue;
        }
        let text: String = events[at + 1..]
            .iter()
            .take_while(|e| !matches!(e, Event::End(TagEnd::Item) | Event::Start(Tag::List(_))))
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                Event::SoftBreak | Event::HardBreak => Some(" "),
                _ => None,
            })
            .collect();
        let text = text.trim();
        let base = format!("t-{}", &content_hash(text)[..8]);
        let mut id = base.clone();
        let mut n = 1;
        while tasks.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        tasks.push(id.clone());
        events[at] = Event::InlineHtml(CowStr::from(format!(
            r#"<input type="checkbox" class="task" data-task="{id}" aria-label="{}">"#,
            escape(text)
        )));
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
            print_block(block, &mut actual);
        }
        for h in &rendered.headings {
            actual.push_str(&format!("H{} #{} {}\n", h.level, h.id, h.text));
        }
        for p in &rendered.problems {
            actual.push_str(&format!("PROBLEM line {}: {}\n", p.line, p.message));
        }
        expected.assert_eq(&actual);
    }

    fn print_code(label: &str, c: &CodeBlock, out: &mut String) {
        out.push_str(&format!(
            "{label} #{} line {} {:?} {:?}",
            c.index, c.line, c.info.language, c.info.attributes
        ));
        if !c.hidden_lines.is_empty() {
            out.push_str(&format!(" hidden {:?}", c.hidden_lines));
        }
        if let Some(problem) = &c.problem {
            out.push_str(&format!(" PROBLEM {problem}"));
        }
        out.push_str(&format!("\n{}\n", c.code));
    }

    fn print_block(block: &Block, out: &mut String) {
        match block {
            Block::Prose(html) => out.push_str(&format!("PROSE {html}")),
            Block::Demo { name, line } => out.push_str(&format!("DEMO {name} line {line}\n")),
            Block::Notes { html, line } => out.push_str(&format!("NOTES line {line} {html}")),
            Block::Code(c) => print_code("CODE", c, out),
            Block::Exercise(e) => {
                out.push_str(&format!(
                    "EXERCISE #{} line {} {:?} problem {:?}\nINSTRUCTIONS {}",
                    e.index, e.line, e.info.attributes, e.problem, e.instructions
                ));
                for (label, code) in [
                    ("STARTER", &e.starter),
                    ("TESTS", &e.tests),
                    ("SOLUTION", &e.solution),
                ] {
                    if let Some(code) = code {
                        print_code(label, code, out);
                    }
                }
                for file in &e.extra_files {
                    print_code(
                        &format!("{} {}", file.role.name().to_uppercase(), file.path),
                        &file.block,
                        out,
                    );
                }
                for hint in &e.hints {
                    out.push_str(&format!("HINT {hint}"));
                }
            }
            Block::Files(set) => {
                out.push_str(&format!(
                    "FILES line {} {:?} problem {:?}\n",
                    set.line, set.info.attributes, set.problem
                ));
                for file in &set.files {
                    print_code("FILE", file, out);
                }
            }
        }
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
    fn task_list_items_become_checkboxes_named_by_their_text() {
        let rendered = render_markdown(
            "- [ ] Ship the lab\n- [x] Read `Pin`'s docs\n- [ ] Ship the lab\n- plain item\n",
            1,
        );
        let id = format!("t-{}", &content_hash("Ship the lab")[..8]);
        assert_eq!(
            rendered.tasks,
            [
                id.clone(),
                format!("t-{}", &content_hash("Read Pin's docs")[..8]),
                format!("{id}-2")
            ]
        );
        let Block::Prose(html) = &rendered.blocks[0] else {
            panic!("{:?}", rendered.blocks)
        };
        assert!(
            html.contains(&format!(
                r#"<input type="checkbox" class="task" data-task="{id}" aria-label="Ship the lab">"#
            )),
            "{html}"
        );
        assert!(
            !html.contains("disabled"),
            "the learner can tick them: {html}"
        );
        assert!(
            !html.contains("checked"),
            "everyone starts unticked: {html}"
        );
        assert!(html.contains("<li>plain item</li>"), "{html}");
    }

    #[test]
    fn headings_get_unique_ids_and_an_outline() {
        check(
            "## Why `dyn`?\n\n## Why `dyn`?\n\n### A & B\n",
            expect![[r##"
                PROSE <h2 id="why-dyn">Why <code>dyn</code>? <a class="heading-anchor" href="#why-dyn" aria-label="Link to this section">#</a></h2>
                PROSE <h2 id="why-dyn-2">Why <code>dyn</code>? <a class="heading-anchor" href="#why-dyn-2" aria-label="Link to this section">#</a></h2>
                <h3 id="a-b">A &amp; B <a class="heading-anchor" href="#a-b" aria-label="Link to this section">#</a></h3>
                H2 #why-dyn Why dyn?
                H2 #why-dyn-2 Why dyn?
                H3 #a-b A & B
            "##]],
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

    #[test]
    fn hidden_lines_are_part_of_the_program_but_not_the_highlight() {
        let rendered = render_markdown(
            "```rust\n# fn helper() {}\nfn main() { helper(); }\n```\n",
            1,
        );
        let Block::Code(code) = &rendered.blocks[0] else {
            panic!()
        };
        assert_eq!(code.code, "fn helper() {}\nfn main() { helper(); }\n");
        assert_eq!(code.hidden_lines, [1]);
        assert!(
            !code.highlighted.contains("helper() {}"),
            "{}",
            code.highlighted
        );
        assert_eq!(
            code.hash,
            crate::content_hash("# fn helper() {}\nfn main() { helper(); }\n")
        );
        assert!(code.runnable());
    }

    #[test]
    fn malformed_attributes_are_problems_and_the_rest_renders() {
        check(
            "Before.\n\n```rust,should-panic,beta\nfn main() {}\n```\n\nAfter.\n\n```rust,miri\nfn main() {}\n```\n",
            expect![[r#"
                PROSE <p>Before.</p>
                CODE #0 line 12 "rust" ["should-panic", "beta"] PROBLEM unknown attribute `should-panic`; did you mean `should_panic`?; unknown attribute `beta` on a rust block (runners: cortex-m, loom, miri, nightly, stable; editions: edition2015, edition2018, edition2021, edition2024; actions: run, test, clippy; mode: release; flags: panic=abort|unwind, opt-level=0|1|2|3|s|z, lto=off|thin|fat, codegen-units=1..256, target-cpu=native|generic|x86-64-v2|x86-64-v3, overflow-checks=on|off, debug-assertions=on|off; others: editable, noplayground, ignore, no_run, should_panic, compile_fail)
                fn main() {}

                PROSE <p>After.</p>
                CODE #1 line 18 "rust" ["miri"]
                fn main() {}

                PROBLEM line 12: unknown attribute `should-panic`; did you mean `should_panic`?
                PROBLEM line 12: unknown attribute `beta` on a rust block (runners: cortex-m, loom, miri, nightly, stable; editions: edition2015, edition2018, edition2021, edition2024; actions: run, test, clippy; mode: release; flags: panic=abort|unwind, opt-level=0|1|2|3|s|z, lto=off|thin|fat, codegen-units=1..256, target-cpu=native|generic|x86-64-v2|x86-64-v3, overflow-checks=on|off, debug-assertions=on|off; others: editable, noplayground, ignore, no_run, should_panic, compile_fail)
            "#]],
        );
    }

    #[test]
    fn notes_are_rendered_markdown() {
        check(
            "Text.\n\n````notes\nAsk the class *why*.\n\n```rust\nlet x = 1;\n```\n````\n",
            expect![[r#"
                PROSE <p>Text.</p>
                NOTES line 12 <p>Ask the class <em>why</em>.</p>
                <pre tabindex="0"><code class="language-rust"><span class="tok-kw">let</span> x = <span class="tok-num">1</span>;
                </code></pre>
            "#]],
        );
    }

    #[test]
    fn exercises_collect_starter_tests_hints_and_solution() {
        check(
            "````exercise,edition2021\nWrite `double`.\n\n```rust,starter\n# #![allow(unused)]\npub fn double(x: i32) -> i32 { todo!() }\n```\n\n```rust,tests\n#[test]\nfn doubles() { assert_eq!(double(2), 4); }\n```\n\n```hint\nMultiply by **two**.\n```\n\n```hint\nOr add it to itself.\n```\n\n```rust,solution\npub fn double(x: i32) -> i32 { x * 2 }\n```\n````\n",
            expect![[r#"
                EXERCISE #0 line 10 ["edition2021"] problem None
                INSTRUCTIONS <p>Write <code>double</code>.</p>
                STARTER #0 line 13 "rust" ["starter"] hidden [1]
                #![allow(unused)]
                pub fn double(x: i32) -> i32 { todo!() }

                TESTS #1 line 18 "rust" ["tests"]
                #[test]
                fn doubles() { assert_eq!(double(2), 4); }

                SOLUTION #4 line 31 "rust" ["solution"]
                pub fn double(x: i32) -> i32 { x * 2 }

                HINT <p>Multiply by <strong>two</strong>.</p>
                HINT <p>Or add it to itself.</p>
            "#]],
        );
    }

    #[test]
    fn an_incomplete_exercise_is_a_problem() {
        check(
            "````exercise,editable\nDo it.\n\n```rust,starter\nfn f() {}\n```\n\n```rust,starter\nfn g() {}\n```\n````\n",
            expect![[r#"
                EXERCISE #0 line 10 ["editable"] problem Some("an exercise fence takes only a runner (cortex-m, loom, miri, nightly, stable), an edition, `release`, flags and `id=`, not `editable`; an exercise needs a ```rust,tests block; an exercise needs a ```rust,solution block")
                INSTRUCTIONS <p>Do it.</p>
                STARTER #0 line 13 "rust" ["starter"]
                fn f() {}

                PROBLEM line 17: a second starter block for `src/main.rs`; an exercise takes one starter, one tests and one solution block per file
                PROBLEM line 10: an exercise fence takes only a runner (cortex-m, loom, miri, nightly, stable), an edition, `release`, flags and `id=`, not `editable`
                PROBLEM line 10: an exercise needs a ```rust,tests block
                PROBLEM line 10: an exercise needs a ```rust,solution block
            "#]],
        );
    }

    #[test]
    fn files_blocks_need_a_path_on_every_file() {
        check(
            "````files\n```rust,file=src/main.rs\nfn main() {}\n```\n\n```c,file=shim.c\nint one(void) { return 1; }\n```\n\n```toml\n[package]\n```\n````\n",
            expect![[r#"
                FILES line 10 [] problem Some("a file in this block is malformed")
                FILE #0 line 11 "rust" ["file=src/main.rs"]
                fn main() {}

                FILE #1 line 15 "c" ["file=shim.c"]
                int one(void) { return 1; }

                FILE #2 line 19 "toml" [] PROBLEM a block in a files block needs `file=<path>` after its language (e.g. ```toml,file=src/lib.rs)
                [package]

                PROBLEM line 19: a block in a files block needs `file=<path>` after its language (e.g. ```toml,file=src/lib.rs)
            "#]],
        );
    }

    #[test]
    fn exercise_files_are_checked_by_path() {
        check(
            "````exercise\n```c,starter,file=shim.c\nint x;\n```\n\n```rust,starter,file=src/lib.rs\npub fn f() {}\n```\n\n```c,tests\nint y;\n```\n\n```rust,tests,file=src/lib.rs\n#[test]\nfn t() {}\n```\n\n```rust,solution,file=src/other.rs\npub fn g() {}\n```\n````\n",
            expect![[r#"
                EXERCISE #0 line 10 [] problem Some("`src/other.rs` has a solution block but no starter block; a solution replaces the starter with the same path")
                INSTRUCTIONS STARTER #0 line 11 "c" ["starter", "file=shim.c"]
                int x;

                STARTER src/lib.rs #1 line 15 "rust" ["starter", "file=src/lib.rs"]
                pub fn f() {}

                TESTS src/lib.rs #3 line 23 "rust" ["tests", "file=src/lib.rs"]
                #[test]
                fn t() {}

                SOLUTION src/other.rs #4 line 28 "rust" ["solution", "file=src/other.rs"]
                pub fn g() {}

                PROBLEM line 19: exercise code without `file=` belongs to the main Rust file, so it must be ```rust, not ```c; give another file its path (```c,tests,file=shim.c)
                PROBLEM line 11: the first starter block is the main file, which the page opens first; make it a ```rust block and put other files after it
                PROBLEM line 10: `src/other.rs` has a solution block but no starter block; a solution replaces the starter with the same path
            "#]],
        );
    }

    #[test]
    fn a_multi_file_exercise_must_make_a_project() {
        check(
            "````exercise\n```rust,starter,file=src/util.rs\npub fn f() {}\n```\n\n```rust,tests\n#[test]\nfn t() {}\n```\n\n```rust,solution\npub fn f() {}\n```\n````\n",
            expect![[r#"
                EXERCISE #0 line 10 [] problem Some("the exercise's files do not make a project: the project needs `src/main.rs` or `src/lib.rs` (or a Cargo.toml naming its crates)")
                INSTRUCTIONS STARTER #0 line 11 "rust" ["starter", "file=src/util.rs"]
                pub fn f() {}

                TESTS #1 line 15 "rust" ["tests"]
                #[test]
                fn t() {}

                SOLUTION #2 line 20 "rust" ["solution"]
                pub fn f() {}

                PROBLEM line 10: the exercise's files do not make a project: the project needs `src/main.rs` or `src/lib.rs` (or a Cargo.toml naming its crates)
            "#]],
        );
    }
}
