//! `GET /api/search`: the text a reader can search, fetched once by the page and searched there.

use serde::{Deserialize, Serialize};

/// Every chapter of every course as plain text, split at its `##` and `###` headings.
///
/// The page downloads it once, when the reader first opens search, and searches it in memory:
/// searching never asks the server again (it keeps working offline once loaded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchIndex {
    pub chapters: Vec<SearchChapter>,
}

/// One chapter's searchable text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchChapter {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The course's title, to tell chapters of different courses apart in results.
    pub course: String,
    /// The chapter in reading order: the text before the first heading, then one per heading.
    pub sections: Vec<SearchSection>,
}

/// The stretch of a chapter under one heading (up to the next `##` or `###`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchSection {
    /// The heading's element id (a result jumps to `#anchor`); empty before the first heading.
    pub anchor: String,
    /// The heading's text; empty before the first heading.
    pub heading: String,
    /// The prose (exercise instructions included) as plain text, whitespace collapsed.
    pub text: String,
    /// The code a reader sees in this section, block by block.
    pub code: Vec<SearchCode>,
}

/// One code block (or a file of a project, or an exercise's starter) as the page shows it:
/// hidden lines, tests and solutions are left out, so search never gives an answer away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchCode {
    /// The element id of the block on the chapter's page (`block-<id>`), so a result lands on it.
    pub anchor: String,
    /// The code, each line's leading indentation removed (it matters to no search).
    pub code: String,
}

/// The element id a block with the stable id `id` carries on the chapter's page.
pub fn block_anchor(id: &str) -> String {
    format!("block-{id}")
}
