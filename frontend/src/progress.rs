//! A learner's progress: chapters read, examples run, exercises solved and checklist items
//! ticked, kept in this browser (localStorage) and portable as a file.
//!
//! Progress names chapters by slug and blocks by their stable ids (the same ids as saved edits),
//! so it survives authors adding or moving other blocks. What a chapter *has* comes from the
//! outline (`ChapterSummary::examples`, `exercises`, `tasks`); progress for an id the chapter no
//! longer has is kept (it may come back) but not counted.

use std::collections::{BTreeMap, BTreeSet};

use api_types::ChapterSummary;
use serde::{Deserialize, Serialize};

/// The localStorage key. One JSON document: a few hundred ids at most.
pub const STORAGE_KEY: &str = "rmp.progress.v1";
/// What an exported file says it is.
pub const FILE_FORMAT: &str = "rust-mastery-playground/progress";
/// The file version this app writes and the newest it reads.
pub const FILE_VERSION: u32 = 1;

/// Everything the learner has done, by chapter slug.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub chapters: BTreeMap<String, ChapterProgress>,
}

/// What the learner has done in one chapter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChapterProgress {
    /// Read to the end (or marked read).
    #[serde(default)]
    pub read: bool,
    /// Examples (code and files blocks) run to completion, by block id.
    #[serde(default)]
    pub ran: BTreeSet<String>,
    /// Exercises whose tests all passed, by exercise id.
    #[serde(default)]
    pub solved: BTreeSet<String>,
    /// Checklist items ticked, by item id.
    #[serde(default)]
    pub ticked: BTreeSet<String>,
}

/// The kinds of things done that are kept as sets of ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Ran,
    Solved,
    Ticked,
}

impl ChapterProgress {
    pub fn set(&self, kind: Done) -> &BTreeSet<String> {
        match kind {
            Done::Ran => &self.ran,
            Done::Solved => &self.solved,
            Done::Ticked => &self.ticked,
        }
    }

    pub fn set_mut(&mut self, kind: Done) -> &mut BTreeSet<String> {
        match kind {
            Done::Ran => &mut self.ran,
            Done::Solved => &mut self.solved,
            Done::Ticked => &mut self.ticked,
        }
    }
}

/// An exported progress file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressFile {
    format: String,
    version: u32,
    /// When it was exported (ISO 8601), for the person reading the file.
    #[serde(default)]
    exported_at: String,
    #[serde(default)]
    chapters: BTreeMap<String, ChapterProgress>,
}

/// One chapter's progress, counted against what the chapter has now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChapterStatus {
    pub read: bool,
    pub ran: usize,
    pub examples: usize,
    pub solved: usize,
    pub exercises: usize,
    pub ticked: usize,
    pub tasks: usize,
}

impl ChapterStatus {
    /// Read, and every exercise solved and checklist item ticked (examples are optional).
    pub fn complete(&self) -> bool {
        self.read && self.solved == self.exercises && self.ticked == self.tasks
    }

    /// Adds another chapter's counts (for a part or a course).
    pub fn add(&mut self, other: ChapterStatus) {
        self.ran += other.ran;
        self.examples += other.examples;
        self.solved += other.solved;
        self.exercises += other.exercises;
        self.ticked += other.ticked;
        self.tasks += other.tasks;
    }
}

impl Progress {
    /// Reads the stored document; anything unreadable is reported and treated as no progress,
    /// so a damaged entry never breaks a page.
    pub fn parse_stored(text: Option<&str>) -> Result<Progress, String> {
        match text {
            None => Ok(Progress::default()),
            Some(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
        }
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("progress serialises")
    }

    pub fn chapter(&self, slug: &str) -> Option<&ChapterProgress> {
        self.chapters.get(slug)
    }

    pub fn chapter_mut(&mut self, slug: &str) -> &mut ChapterProgress {
        self.chapters.entry(slug.to_owned()).or_default()
    }

    /// `chapter`'s progress counted against the ids it has now.
    pub fn status(&self, chapter: &ChapterSummary) -> ChapterStatus {
        let done = self.chapter(&chapter.slug);
        let count = |ids: &[String], kind: Done| {
            done.map_or(0, |d| {
                ids.iter().filter(|id| d.set(kind).contains(*id)).count()
            })
        };
        ChapterStatus {
            read: done.is_some_and(|d| d.read),
            ran: count(&chapter.examples, Done::Ran),
            examples: chapter.examples.len(),
            solved: count(&chapter.exercises, Done::Solved),
            exercises: chapter.exercises.len(),
            ticked: count(&chapter.tasks, Done::Ticked),
            tasks: chapter.tasks.len(),
        }
    }

    /// The file a learner downloads: this progress, labelled so that an import can recognise it.
    pub fn export(&self, exported_at: &str) -> String {
        serde_json::to_string_pretty(&ProgressFile {
            format: FILE_FORMAT.to_owned(),
            version: FILE_VERSION,
            exported_at: exported_at.to_owned(),
            chapters: self.chapters.clone(),
        })
        .expect("progress serialises")
    }

    /// Reads an exported file, with a sentence for each way it can be wrong.
    pub fn import(text: &str) -> Result<Progress, String> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|_| "This file is not a progress file: it is not JSON.".to_owned())?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FILE_FORMAT) {
            return Err(
                "This file is not a progress file from Rust Mastery Playground (use the file that “Export progress” saved)."
                    .to_owned(),
            );
        }
        let file: ProgressFile = serde_json::from_value(value)
            .map_err(|e| format!("This progress file is damaged ({e}); nothing was imported."))?;
        if file.version > FILE_VERSION {
            return Err(format!(
                "This progress file was written by a newer version of the app (version {}); reload the page and try again.",
                file.version
            ));
        }
        Ok(Progress {
            chapters: file.chapters,
        })
    }

    /// Adds `other` to this progress (nothing is ever un-done by an import); returns how many
    /// chapters gained something.
    pub fn merge(&mut self, other: Progress) -> usize {
        let mut gained = 0;
        for (slug, theirs) in other.chapters {
            let mine = self.chapter_mut(&slug);
            let before = mine.clone();
            mine.read |= theirs.read;
            for kind in [Done::Ran, Done::Solved, Done::Ticked] {
                mine.set_mut(kind).extend(theirs.set(kind).iter().cloned());
            }
            if *mine != before {
                gained += 1;
            }
        }
        gained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        slug: &str,
        examples: &[&str],
        exercises: &[&str],
        tasks: &[&str],
    ) -> ChapterSummary {
        let ids = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect();
        ChapterSummary {
            slug: slug.into(),
            title: slug.into(),
            summary: String::new(),
            minutes: 10,
            part: None,
            examples: ids(examples),
            exercises: ids(exercises),
            tasks: ids(tasks),
        }
    }

    #[test]
    fn status_counts_only_what_the_chapter_has_now() {
        let mut progress = Progress::default();
        let w3 = progress.chapter_mut("w03");
        w3.read = true;
        w3.ran.extend(["b-1".to_owned(), "b-gone".to_owned()]);
        w3.solved.insert("e-1".into());
        w3.ticked.insert("t-1".into());
        let status = progress.status(&summary("w03", &["b-1", "b-2"], &["e-1"], &["t-1", "t-2"]));
        assert_eq!(
            status,
            ChapterStatus {
                read: true,
                ran: 1,
                examples: 2,
                solved: 1,
                exercises: 1,
                ticked: 1,
                tasks: 2
            },
            "`b-gone` no longer exists in the chapter and is not counted"
        );
        assert!(!status.complete(), "one checklist item is left");
        let untouched = progress.status(&summary("w04", &["b-9"], &[], &[]));
        assert!(!untouched.read && untouched.ran == 0 && untouched.examples == 1);
        assert!(!untouched.complete(), "not read yet");
    }

    #[test]
    fn an_export_imports_back_and_merging_never_undoes_anything() {
        let mut mine = Progress::default();
        mine.chapter_mut("w01").read = true;
        mine.chapter_mut("w02").ticked.insert("t-a".into());
        let file = mine.export("2026-11-30T12:00:00Z");
        assert!(
            file.contains("\"format\": \"rust-mastery-playground/progress\""),
            "{file}"
        );
        assert!(
            file.contains("\"exportedAt\": \"2026-11-30T12:00:00Z\""),
            "{file}"
        );
        let imported = Progress::import(&file).unwrap();
        assert_eq!(imported, mine);

        let mut other = Progress::default();
        other.chapter_mut("w02").ticked.insert("t-b".into());
        other.chapter_mut("w03").solved.insert("e-1".into());
        let gained = mine.merge(other);
        assert_eq!(gained, 2);
        let w02 = mine.chapter("w02").unwrap();
        assert_eq!(w02.ticked.len(), 2, "both ticks are kept");
        assert!(
            mine.chapter("w01").unwrap().read,
            "an import never un-reads a chapter"
        );
        assert_eq!(
            mine.clone().merge(mine.clone()),
            0,
            "merging the same progress adds nothing"
        );
    }

    #[test]
    fn a_wrong_file_is_refused_with_a_sentence() {
        assert!(
            Progress::import("not json")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            Progress::import(r#"{"chapters": {}}"#)
                .unwrap_err()
                .contains("not a progress file")
        );
        let newer = format!(r#"{{"format": "{FILE_FORMAT}", "version": 99, "chapters": {{}}}}"#);
        assert!(
            Progress::import(&newer)
                .unwrap_err()
                .contains("newer version")
        );
        let damaged = format!(r#"{{"format": "{FILE_FORMAT}", "version": 1, "chapters": 7}}"#);
        assert!(Progress::import(&damaged).unwrap_err().contains("damaged"));
        assert!(
            Progress::parse_stored(Some("{")).is_err(),
            "a damaged stored entry is reported (and ignored by the store)"
        );
    }
}
