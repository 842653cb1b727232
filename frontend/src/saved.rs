//! Saved edits: what a student typed into an example, kept in localStorage so it survives
//! reloads and navigation.
//!
//! One entry per edited block, keyed by chapter and block (`rmp.edit.v1:<chapter>:<block>`). The
//! entry remembers the hash of the original it was made from, so when an author changes the
//! example the page can tell the student instead of silently mixing versions.
//! Unreadable entries are ignored with a console warning; they never break a page.

use serde::{Deserialize, Serialize};

const PREFIX: &str = "rmp.edit.v1";

/// A student's version of one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedEdit {
    /// The hash of the original the edit started from.
    pub original: String,
    pub code: String,
    /// The hidden lines, as moved by the student's edits.
    #[serde(default)]
    pub hidden_lines: Vec<u32>,
}

/// What there is to restore for a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restore {
    Nothing,
    /// An edit of the current original.
    Edit(SavedEdit),
    /// An edit of an earlier version of the block: the student chooses.
    Outdated(SavedEdit),
}

/// The storage key of a block. `block` is `code-<n>` or `exercise-<n>`.
pub fn key(chapter: &str, block: &str) -> String {
    format!("{PREFIX}:{chapter}:{block}")
}

fn chapter_prefix(chapter: &str) -> String {
    format!("{PREFIX}:{chapter}:")
}

/// Decides what to restore from a stored entry (`None` when there is none).
pub fn interpret(stored: Option<&str>, current_hash: &str) -> Result<Restore, String> {
    let Some(text) = stored else {
        return Ok(Restore::Nothing);
    };
    let edit: SavedEdit = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(if edit.original == current_hash {
        Restore::Edit(edit)
    } else {
        Restore::Outdated(edit)
    })
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be missing (private modes, sandboxed embeds): edits then last a visit.
    leptos::prelude::window().local_storage().ok().flatten()
}

/// What is saved for `block` of `chapter`, given the hash of the block's current original.
pub fn load(chapter: &str, block: &str, current_hash: &str) -> Restore {
    let key = key(chapter, block);
    let stored = storage().and_then(|s| s.get_item(&key).ok().flatten());
    match interpret(stored.as_deref(), current_hash) {
        Ok(restore) => restore,
        Err(error) => {
            leptos::logging::warn!(
                "ignoring the saved edit `{key}`, which cannot be read: {error}"
            );
            Restore::Nothing
        }
    }
}

pub fn save(chapter: &str, block: &str, edit: &SavedEdit) {
    let Some(storage) = storage() else { return };
    let Ok(text) = serde_json::to_string(edit) else {
        return;
    };
    if storage.set_item(&key(chapter, block), &text).is_err() {
        leptos::logging::warn!("could not save your edit: browser storage is full or disabled");
    }
}

pub fn remove(chapter: &str, block: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(chapter, block));
    }
}

/// The blocks of `chapter` that have a saved edit (`code-0`, `exercise-1`, ...).
pub fn edited_blocks(chapter: &str) -> Vec<String> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let prefix = chapter_prefix(chapter);
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter_map(|key| key.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

/// Removes every saved edit of `chapter`.
pub fn remove_chapter(chapter: &str) {
    for block in edited_blocks(chapter) {
        remove(chapter, &block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_of_the_current_original_is_restored_and_an_older_one_is_flagged() {
        let edit = SavedEdit {
            original: "aaaa".into(),
            code: "fn main() { todo!() }".into(),
            hidden_lines: vec![1],
        };
        let text = serde_json::to_string(&edit).unwrap();
        assert_eq!(
            text,
            r#"{"original":"aaaa","code":"fn main() { todo!() }","hiddenLines":[1]}"#
        );
        assert_eq!(
            interpret(Some(&text), "aaaa"),
            Ok(Restore::Edit(edit.clone()))
        );
        assert_eq!(interpret(Some(&text), "bbbb"), Ok(Restore::Outdated(edit)));
        assert_eq!(interpret(None, "aaaa"), Ok(Restore::Nothing));
    }

    #[test]
    fn corrupt_entries_are_errors_not_panics() {
        assert!(interpret(Some("{not json"), "a").is_err());
        assert!(interpret(Some(r#"{"code":"x"}"#), "a").is_err());
        assert!(interpret(Some("null"), "a").is_err());
    }

    #[test]
    fn keys_name_chapter_and_block() {
        assert_eq!(key("lifetimes", "code-3"), "rmp.edit.v1:lifetimes:code-3");
        assert!(key("a", "x").starts_with(&chapter_prefix("a")));
        assert!(!key("ab", "x").starts_with(&chapter_prefix("a")));
    }
}
