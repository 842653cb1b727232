//! Searching the courses: pure functions over the index the server sends (`GET /api/search`),
//! run in the page, so a search never waits for the network (and works offline once loaded).
//!
//! A result is a place to jump to: a chapter, a section (by its heading's anchor) or a code block.
//! Every word of the query must appear in it (case-insensitively); titles rank above headings,
//! headings above prose, prose above code, and the whole query as a phrase above scattered words.

use api_types::{SearchChapter, SearchIndex, SearchSection};

/// How many results a search shows at most.
pub const MAX_RESULTS: usize = 40;

/// Where in a chapter a result was found; also its rank (earlier kinds first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitKind {
    Title,
    Heading,
    Prose,
    Code,
}

impl HitKind {
    /// The word shown beside a result.
    pub fn label(self) -> &'static str {
        match self {
            HitKind::Title => "Chapter",
            HitKind::Heading => "Section",
            HitKind::Prose => "Text",
            HitKind::Code => "Code",
        }
    }
}

/// The text around a match: `before`, the matched word as written, `after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Where the result leads: `/learn/<chapter>` with `#<anchor>` for a section or a block.
    pub href: String,
    pub kind: HitKind,
    pub course: String,
    pub chapter: String,
    /// The section's heading; empty for the chapter itself and text before its first heading.
    pub heading: String,
    pub snippet: Snippet,
    /// Whether the whole query appears as written (ranked first within its kind).
    phrase: bool,
    /// Position in teaching order, to keep ties in reading order.
    order: usize,
}

/// The query's words, lowercased (ASCII only, so byte offsets in the text stay valid).
fn words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// The results for `query`, best first, at most [`MAX_RESULTS`].
pub fn find(index: &SearchIndex, query: &str) -> Vec<Hit> {
    let terms = words(query);
    if terms.is_empty() {
        return Vec::new();
    }
    let phrase = terms.join(" ");
    let mut hits = Vec::new();
    let mut order = 0;
    for chapter in &index.chapters {
        order += 1;
        let title = format!("{} {}", chapter.title, chapter.summary);
        if let Some(snippet) = matches(&title, &terms, &phrase) {
            hits.push(hit(chapter, None, HitKind::Title, snippet, order));
        }
        for section in &chapter.sections {
            order += 1;
            if let Some(found) = section_hit(chapter, section, &terms, &phrase, order) {
                hits.push(found);
            }
        }
    }
    hits.sort_by_key(|h| (h.kind, !h.phrase, h.order));
    hits.truncate(MAX_RESULTS);
    hits
}

/// A section gives one result, its best: the heading, else the prose, else its first matching
/// code block.
fn section_hit(
    chapter: &SearchChapter,
    section: &SearchSection,
    terms: &[String],
    phrase: &str,
    order: usize,
) -> Option<Hit> {
    if !section.heading.is_empty()
        && let Some(snippet) = matches(&section.heading, terms, phrase)
    {
        return Some(hit(
            chapter,
            Some(section),
            HitKind::Heading,
            snippet,
            order,
        ));
    }
    if let Some(snippet) = matches(&section.text, terms, phrase) {
        return Some(hit(chapter, Some(section), HitKind::Prose, snippet, order));
    }
    section.code.iter().find_map(|code| {
        let snippet = matches(&code.code, terms, phrase)?;
        let mut found = hit(
            chapter,
            Some(section),
            HitKind::Code,
            code_line(snippet),
            order,
        );
        found.href = href(&chapter.slug, Some(&code.anchor));
        Some(found)
    })
}

fn hit(
    chapter: &SearchChapter,
    section: Option<&SearchSection>,
    kind: HitKind,
    (snippet, phrase): (Snippet, bool),
    order: usize,
) -> Hit {
    let anchor = section.map(|s| s.anchor.as_str()).filter(|a| !a.is_empty());
    Hit {
        href: href(&chapter.slug, anchor),
        kind,
        course: chapter.course.clone(),
        chapter: chapter.title.clone(),
        heading: section.map(|s| s.heading.clone()).unwrap_or_default(),
        snippet,
        phrase,
        order,
    }
}

fn href(slug: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(anchor) => format!("/learn/{slug}#{anchor}"),
        None => format!("/learn/{slug}"),
    }
}

/// When every term is in `text`: the snippet around the first term's first occurrence (or the
/// phrase's, when the whole query appears) and whether the phrase does.
fn matches(text: &str, terms: &[String], phrase: &str) -> Option<(Snippet, bool)> {
    let lower = text.to_ascii_lowercase();
    if !terms.iter().all(|t| lower.contains(t.as_str())) {
        return None;
    }
    let (at, len, whole) = match lower.find(phrase) {
        Some(at) => (at, phrase.len(), true),
        None => {
            let first = &terms[0];
            (lower.find(first.as_str())?, first.len(), false)
        }
    };
    Some((snippet(text, at, len), whole))
}

/// Characters of context kept before and after a match.
const BEFORE: usize = 50;
const AFTER: usize = 90;

fn snippet(text: &str, at: usize, len: usize) -> Snippet {
    let start = floor_boundary(text, at.saturating_sub(BEFORE));
    let end = floor_boundary(text, (at + len + AFTER).min(text.len()));
    let mut before = text[start..at].to_owned();
    if start > 0 {
        // Start at a word, not inside one.
        before = match before.find(char::is_whitespace) {
            Some(space) => format!("…{}", &before[space..]),
            None => format!("…{before}"),
        };
    }
    let mut after = text[at + len..end].to_owned();
    if end < text.len() {
        after.push('…');
    }
    Snippet {
        before,
        matched: text[at..at + len].to_owned(),
        after,
    }
}

/// A code result shows only the line it was found on.
fn code_line((snippet, phrase): (Snippet, bool)) -> (Snippet, bool) {
    let before = snippet
        .before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .to_owned();
    let after = snippet
        .after
        .split('\n')
        .next()
        .unwrap_or_default()
        .to_owned();
    (
        Snippet {
            before,
            matched: snippet.matched,
            after,
        },
        phrase,
    )
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use api_types::{SearchChapter, SearchCode, SearchIndex, SearchSection};

    use super::*;

    fn index() -> SearchIndex {
        let section =
            |anchor: &str, heading: &str, text: &str, code: &[(&str, &str)]| SearchSection {
                anchor: anchor.into(),
                heading: heading.into(),
                text: text.into(),
                code: code
                    .iter()
                    .map(|(anchor, code)| SearchCode {
                        anchor: (*anchor).into(),
                        code: (*code).into(),
                    })
                    .collect(),
            };
        SearchIndex {
            chapters: vec![
                SearchChapter {
                    slug: "traits".into(),
                    title: "Trait patterns".into(),
                    summary: "Dispatch, objects and more.".into(),
                    course: "Intermediate".into(),
                    sections: vec![
                        section("", "", "Traits are how Rust shares behaviour.", &[]),
                        section(
                            "dyn-compatibility",
                            "Dyn compatibility",
                            "A trait object needs a vtable.",
                            &[(
                                "block-b-1",
                                "fn main() {\nlet shape: Box<dyn Shape> = Box::new(Circle);\n}",
                            )],
                        ),
                    ],
                },
                SearchChapter {
                    slug: "w10-lock-free".into(),
                    title: "Lock-free structures".into(),
                    summary: "Treiber stacks and the ABA problem.".into(),
                    course: "Rust Mastery".into(),
                    sections: vec![section(
                        "aba",
                        "The ABA problem",
                        "A pointer compared equal though the node behind it changed: the dyn of memory reuse.",
                        &[],
                    )],
                },
            ],
        }
    }

    fn summary(hits: &[Hit]) -> Vec<(HitKind, &str)> {
        hits.iter().map(|h| (h.kind, h.href.as_str())).collect()
    }

    #[test]
    fn an_empty_query_finds_nothing() {
        assert!(find(&index(), "   ").is_empty());
    }

    #[test]
    fn titles_rank_above_headings_above_prose_above_code() {
        let hits = find(&index(), "ABA");
        assert_eq!(
            summary(&hits),
            [
                (HitKind::Title, "/learn/w10-lock-free"),
                (HitKind::Heading, "/learn/w10-lock-free#aba"),
            ]
        );
        let hits = find(&index(), "dyn");
        assert_eq!(
            summary(&hits),
            [
                (HitKind::Heading, "/learn/traits#dyn-compatibility"),
                (HitKind::Prose, "/learn/w10-lock-free#aba"),
            ]
        );
    }

    #[test]
    fn code_results_land_on_their_block_and_show_their_line() {
        let hits = find(&index(), "box::new");
        assert_eq!(summary(&hits), [(HitKind::Code, "/learn/traits#block-b-1")]);
        let snippet = &hits[0].snippet;
        assert_eq!(snippet.before, "let shape: Box<dyn Shape> = ");
        assert_eq!(snippet.matched, "Box::new");
        assert_eq!(snippet.after, "(Circle);");
    }

    #[test]
    fn every_word_must_appear_and_the_phrase_ranks_first() {
        assert!(find(&index(), "vtable treiber").is_empty());
        let hits = find(&index(), "trait object");
        assert_eq!(
            summary(&hits),
            [
                (HitKind::Title, "/learn/traits"),
                (HitKind::Prose, "/learn/traits#dyn-compatibility")
            ]
        );
        assert_eq!(
            hits[0].snippet.matched, "Trait",
            "scattered words: the first is marked"
        );
        assert_eq!(
            hits[1].snippet.matched, "trait object",
            "the phrase is marked"
        );
        let hits = find(&index(), "rust behaviour");
        assert_eq!(
            hits[0].href, "/learn/traits",
            "text before the first heading"
        );
        assert_eq!(
            hits[0].snippet.matched, "Rust",
            "the first word, as written"
        );
    }

    #[test]
    fn snippets_cut_long_text_at_words_and_keep_char_boundaries() {
        let long = format!("{} needle {}", "é word ".repeat(20), "tail ".repeat(40));
        let s = snippet(&long, long.find("needle").unwrap(), 6);
        assert!(s.before.starts_with('…'), "{}", s.before);
        assert!(s.after.ends_with('…'));
        assert_eq!(s.matched, "needle");
    }
}
