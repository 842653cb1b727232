//! Saved edits: what a student typed into an example, kept in localStorage so it survives
//! reloads and navigation.
//!
//! One entry per edited block, keyed by chapter and the block's stable id
//! (`rmp.edit.v1:<chapter>:<id>`, and `<id>/<path>` for a file of a project). Before blocks had
//! ids, entries were keyed by position (`code-<n>`, `exercise-<n>`); such an entry moves to the id
//! key the first time its block is shown, if it was made from the block's current original (an
//! entry of another version may belong to another block since, so it stays where it is). The
//! entry remembers the hash of the original it was made from, so when an author changes the
//! example the page can tell the student instead of silently mixing versions.
//! Unreadable entries are ignored with a console warning; they never break a page.

use serde::{Deserialize, Serialize};

use crate::prefs::storage;

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

/// The storage key of a block: `block` is its id (or, for old entries, `code-<n>`, `exercise-<n>`).
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

/// Whether an entry stored under a block's old position key should move to its id: only when
/// there is nothing under the id yet and the old entry was made from the current original.
pub fn should_migrate(under_id: Option<&str>, under_position: Option<&str>, hash: &str) -> bool {
    under_id.is_none()
        && under_position
            .and_then(|text| serde_json::from_str::<SavedEdit>(text).ok())
            .is_some_and(|edit| edit.original == hash)
}

/// Moves the saved edit of a block from its position key (`code-3`) to its id key, when
/// [`should_migrate`] says so. Returns whether it moved.
pub fn migrate(chapter: &str, id: &str, position: &str, hash: &str) -> bool {
    let Some(storage) = storage() else {
        return false;
    };
    let (new_key, old_key) = (key(chapter, id), key(chapter, position));
    let under_id = storage.get_item(&new_key).ok().flatten();
    let under_position = storage.get_item(&old_key).ok().flatten();
    if !should_migrate(under_id.as_deref(), under_position.as_deref(), hash) {
        return false;
    }
    let Some(text) = under_position else {
        return false;
    };
    if storage.set_item(&new_key, &text).is_err() {
        return false;
    }
    let _ = storage.remove_item(&old_key);
    true
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
    fn an_old_position_entry_moves_only_if_it_matches_the_current_original() {
        let edit = |original: &str| {
            serde_json::to_string(&SavedEdit {
                original: original.into(),
                code: "mine".into(),
                hidden_lines: vec![],
            })
            .unwrap()
        };
        let current = edit("h1");
        assert!(should_migrate(None, Some(&current), "h1"));
        // Made from another version: it may belong to a block that moved, so it stays.
        assert!(!should_migrate(None, Some(&edit("h0")), "h1"));
        // An entry under the id wins; nothing to move; unreadable entries do not move.
        assert!(!should_migrate(Some(&current), Some(&current), "h1"));
        assert!(!should_migrate(None, None, "h1"));
        assert!(!should_migrate(None, Some("{broken"), "h1"));
    }

    #[test]
    fn keys_name_chapter_and_block() {
        assert_eq!(key("lifetimes", "code-3"), "rmp.edit.v1:lifetimes:code-3");
        assert!(key("a", "x").starts_with(&chapter_prefix("a")));
        assert!(!key("ab", "x").starts_with(&chapter_prefix("a")));
    }
}
