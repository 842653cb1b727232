//! Saved edits in a chapter: restoring them, telling the student when an original changed,
//! Reset per block and "reset all edits in this chapter".

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::editor::EditorControl;
use crate::saved::{self, Restore, SavedEdit};

/// The chapter's edit bookkeeping, provided by the chapter page.
#[derive(Clone, Copy)]
pub struct ChapterEdits {
    chapter: StoredValue<String>,
    /// Blocks with a saved edit, by their storage key (a block id, `<id>/<path>`, or an old
    /// `code-0` not yet moved to its id).
    pub edited: RwSignal<BTreeSet<String>>,
    /// Bumped by "reset all"; every block resets when it changes.
    reset_generation: RwSignal<u32>,
}

impl ChapterEdits {
    pub fn provide(chapter: &str) -> ChapterEdits {
        let edits = ChapterEdits {
            chapter: StoredValue::new(chapter.to_owned()),
            edited: RwSignal::new(saved::edited_blocks(chapter).into_iter().collect()),
            reset_generation: RwSignal::new(0),
        };
        provide_context(edits);
        edits
    }

    /// Forgets every edit in the chapter and puts every block back to its original.
    pub fn reset_all(&self) {
        saved::remove_chapter(&self.chapter.get_value());
        self.edited.set(BTreeSet::new());
        self.reset_generation.update(|g| *g += 1);
    }
}

/// One editable block's saved edit and its choices. Without a [`ChapterEdits`] (a block outside a
/// chapter) nothing is saved.
#[derive(Clone, Copy)]
pub struct BlockEdits {
    chapter: Option<ChapterEdits>,
    key: StoredValue<String>,
    /// The original code, its hidden lines and its hash.
    original: StoredValue<(String, Vec<u32>, String)>,
    pub control: EditorControl,
    /// Whether the editor holds something other than the original.
    pub edited: RwSignal<bool>,
    /// A saved edit of an earlier version of this block, until the student chooses.
    pub outdated: RwSignal<Option<SavedEdit>>,
    /// The hidden lines the editor starts with.
    pub initial_hidden: StoredValue<Vec<u32>>,
    /// Code the teacher pushed while the student had edits, until the student chooses.
    pub pushed: RwSignal<Option<api_types::room::Pushed>>,
    /// The last pushed code put in the editor: holding it is not an edit of the student's own.
    applied_push: StoredValue<Option<String>>,
}

impl BlockEdits {
    /// Loads what is saved for `block` (its stable id) and creates the editor handle with it. An
    /// edit saved under the block's old `position` key (`code-3`) moves to the id first, if it was
    /// made from this original.
    pub fn new(
        block: &str,
        position: Option<&str>,
        code: &str,
        hidden_lines: &[u32],
        hash: &str,
    ) -> BlockEdits {
        let chapter = use_context::<ChapterEdits>();
        if let (Some(chapter), Some(position)) = (chapter, position)
            && saved::migrate(&chapter.chapter.get_value(), block, position, hash)
        {
            chapter.edited.update(|set| {
                set.remove(position);
                set.insert(block.to_owned());
            });
        }
        let restore = chapter.map_or(Restore::Nothing, |c| {
            saved::load(&c.chapter.get_value(), block, hash)
        });
        let (doc, hidden, edited, outdated) = match restore {
            Restore::Nothing => (code.to_owned(), hidden_lines.to_vec(), false, None),
            Restore::Edit(edit) => (edit.code, edit.hidden_lines, true, None),
            Restore::Outdated(edit) => (code.to_owned(), hidden_lines.to_vec(), false, Some(edit)),
        };
        let edits = BlockEdits {
            chapter,
            key: StoredValue::new(block.to_owned()),
            original: StoredValue::new((code.to_owned(), hidden_lines.to_vec(), hash.to_owned())),
            control: EditorControl::new(&doc),
            edited: RwSignal::new(edited),
            outdated: RwSignal::new(outdated),
            initial_hidden: StoredValue::new(hidden),
            pushed: RwSignal::new(None),
            applied_push: StoredValue::new(None),
        };
        crate::room::student::follow_pushes(block, edits);
        if let Some(chapter) = chapter {
            let generation = chapter.reset_generation.get_untracked();
            Effect::new(move |_| {
                if chapter.reset_generation.get() != generation {
                    edits.show_original();
                }
            });
        }
        edits
    }

    fn chapter_and_key(&self) -> Option<(String, String)> {
        self.chapter
            .map(|c| (c.chapter.get_value(), self.key.get_value()))
    }

    /// Called on every keystroke, so it notifies only when something changes.
    fn mark_edited(&self, edited: bool) {
        if self.edited.get_untracked() != edited {
            self.edited.set(edited);
        }
        if let Some(chapter) = self.chapter {
            let key = self.key.get_value();
            if chapter.edited.with_untracked(|set| set.contains(&key)) != edited {
                chapter.edited.update(|set| {
                    if edited {
                        set.insert(key);
                    } else {
                        set.remove(&key);
                    }
                });
            }
        }
    }

    /// Saves the student's change (or forgets the edit when it matches the original again).
    pub fn changed(&self, doc: &str) {
        let (code, _, hash) = self.original.get_value();
        let Some((chapter, key)) = self.chapter_and_key() else {
            self.edited.set(doc != code);
            return;
        };
        if doc == code {
            saved::remove(&chapter, &key);
            self.mark_edited(false);
        } else {
            let edit = SavedEdit {
                original: hash,
                code: doc.to_owned(),
                hidden_lines: self.control.hidden_lines(),
            };
            saved::save(&chapter, &key, &edit);
            self.mark_edited(true);
        }
    }

    fn show_original(&self) {
        let (code, hidden, _) = self.original.get_value();
        self.control.set_doc(&code, &hidden);
        self.control.clear_diagnostics();
        self.edited.set(false);
        self.outdated.set(None);
    }

    /// Reset: back to the original, and the saved edit is gone.
    pub fn reset(&self) {
        self.show_original();
        if let Some((chapter, key)) = self.chapter_and_key() {
            saved::remove(&chapter, &key);
        }
        self.mark_edited(false);
    }

    /// The student keeps their edit of the earlier version.
    pub fn use_saved_version(&self) {
        if let Some(edit) = self.outdated.get_untracked() {
            self.control.set_doc(&edit.code, &edit.hidden_lines);
            self.outdated.set(None);
            self.changed(&edit.code);
        }
    }

    /// The student takes the new original and drops their old edit.
    pub fn use_new_version(&self) {
        self.reset();
    }

    /// Whether the editor holds the student's own work (not the original, not a push).
    pub fn has_own_edits(&self) -> bool {
        self.edited.get_untracked()
            && self
                .applied_push
                .with_value(|code| code.as_deref() != Some(self.control.doc().as_str()))
    }

    /// Puts the teacher's pushed code in the editor (Reset still brings back the original).
    pub fn apply_push(&self, push: &api_types::room::Pushed) {
        self.control.set_doc(&push.code, &[]);
        self.control.clear_diagnostics();
        self.applied_push.set_value(Some(push.code.clone()));
        self.changed(&push.code);
        self.pushed.set(None);
        crate::room::student::mark_push_handled(&self.key.get_value(), push.seq);
    }

    /// The student keeps their code; this push is not offered again.
    pub fn decline_push(&self) {
        if let Some(push) = self.pushed.get_untracked() {
            crate::room::student::mark_push_handled(&self.key.get_value(), push.seq);
        }
        self.pushed.set(None);
    }
}

/// Shown above an editor whose saved edit was made on an earlier version of the example, and
/// when the teacher pushed code to a student who has edits of their own (asked, never replaced).
#[component]
pub fn OutdatedNotice(
    /// The block whose saved edit is outdated.
    edits: BlockEdits,
) -> impl IntoView {
    view! {
        <Show when=move || edits.pushed.with(Option::is_some)>
            <div class="edit-notice push-notice" role="status">
                <span>"Your teacher sent new code for this example. You have edits of your own here."</span>
                <button class="take-push" on:click=move |_| {
                    if let Some(push) = edits.pushed.get_untracked() {
                        edits.apply_push(&push);
                    }
                }>"Use the teacher's code"</button>
                <button class="keep-mine" on:click=move |_| edits.decline_push()>"Keep my code"</button>
            </div>
        </Show>
        <Show when=move || edits.outdated.with(Option::is_some)>
            <div class="edit-notice" role="status">
                <span>
                    "This example changed since you edited it. The editor shows the new version; your edit is kept until you choose."
                </span>
                <button class="use-saved" on:click=move |_| edits.use_saved_version()>
                    "Use my edit"
                </button>
                <button class="use-new" on:click=move |_| edits.use_new_version()>
                    "Keep the new version"
                </button>
            </div>
        </Show>
    }
}

/// "Reset all edits in this chapter", with a confirmation, shown while there is something to reset.
#[component]
pub fn ResetAllEdits() -> impl IntoView {
    let Some(edits) = use_context::<ChapterEdits>() else {
        return ().into_any();
    };
    let confirming = RwSignal::new(false);
    let count = move || edits.edited.with(BTreeSet::len);
    view! {
        <Show when=move || { count() > 0 }>
            <div class="reset-all" role="group" aria-label="Your edits in this chapter">
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <span>
                                {move || match count() {
                                    1 => "You edited 1 example in this chapter.".to_owned(),
                                    n => format!("You edited {n} examples in this chapter."),
                                }}
                            </span>
                            <button class="reset-all-button" on:click=move |_| confirming.set(true)>
                                "Reset all edits in this chapter"
                            </button>
                        }
                    }
                >
                    <span>"Put every example back as written? Your edits will be lost."</span>
                    <button
                        class="confirm-reset-all danger"
                        on:click=move |_| {
                            edits.reset_all();
                            confirming.set(false);
                        }
                    >
                        "Reset all"
                    </button>
                    <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                </Show>
            </div>
        </Show>
    }
    .into_any()
}
