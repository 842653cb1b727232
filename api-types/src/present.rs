//! `GET /api/present/{slug}`: a chapter cut into slides for the presentation view and the
//! presenter console.
//!
//! A slide names where it starts on the reading page (`anchor`), so a student's page can follow
//! the presenter's slide (`/learn/<slug>#<anchor>`); its code blocks keep their chapter `id`s, so
//! saved edits and classroom pushes refer to the same blocks on either page.

use serde::{Deserialize, Serialize};

use crate::{Block, ChapterRef, CourseRef};

/// A chapter as a deck of slides, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Presentation {
    pub chapter: ChapterRef,
    pub course: CourseRef,
    /// The chapter's minutes: the sum of the slides' budgets.
    pub minutes: u32,
    /// Never empty.
    pub slides: Vec<Slide>,
}

/// One slide: a run of the chapter's blocks, with its speaker notes apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slide {
    /// Position in the deck, starting at 0 (the page's URL counts from 1).
    pub index: usize,
    pub title: String,
    /// The `id` of the element on the reading page where this slide starts: a heading's id, a
    /// marked slide's own anchor, or `top` (the chapter's header) for a title slide.
    pub anchor: String,
    /// The time budget for this slide.
    pub minutes: u32,
    /// The slide's content in reading order, speaker notes left out.
    pub blocks: Vec<Block>,
    /// The speaker notes of this slide, as HTML, in order.
    pub notes: Vec<String>,
}
