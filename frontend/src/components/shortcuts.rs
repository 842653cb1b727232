//! Keyboard shortcuts and their help overlay.
//!
//! Single-key shortcuts only fire when no modifier is held and the focus is not in a text field,
//! so they never get in the way of typing.

use leptos::ev::keydown;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::dialog::modal;
use crate::components::search::SearchOpen;
use crate::prefs::use_prefs;

/// Whether the shortcut help overlay is open.
#[derive(Clone, Copy)]
pub struct HelpOpen(pub RwSignal<bool>);

/// Every shortcut the app offers, as shown in the help overlay.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("/ or Ctrl / ⌘ + K", "Search every course"),
    ("t", "Switch between light and dark theme"),
    ("+ / -", "Larger or smaller text (for projectors)"),
    ("0", "Reset text size"),
    ("[ / ]", "Previous or next chapter"),
    (
        "g",
        "In a class session: go back to where the teacher is, and follow again",
    ),
    ("?", "Show or hide this help"),
    (
        "Ctrl / ⌘ + Enter",
        "In an editor: run the example (or its tests)",
    ),
    (
        "Ctrl / ⌘ + Shift + F",
        "In an editor: format the code with rustfmt (Ctrl / ⌘ + Z undoes it)",
    ),
    (
        "Ctrl / ⌘ + Shift + L",
        "In an editor: check the code with Clippy",
    ),
    (
        "Ctrl / ⌘ + F",
        "In a compiler view (MIR, assembly, …): search it",
    ),
    (
        "Tab / Shift + Tab",
        "Move through the page; in an editor you have typed in or clicked: indent or dedent",
    ),
    (
        "Esc, then Tab",
        "In an editor: leave it and move to the next control",
    ),
    (
        "Ctrl + M (⇧⌥M on macOS)",
        "In an editor: switch Tab between indenting and moving focus",
    ),
    ("Esc", "Close this help"),
];

/// The key of a plain key press meant for the app, or `None` when the user is typing somewhere
/// or holding Ctrl, Alt or Meta.
pub fn plain_key(event: &web_sys::KeyboardEvent) -> Option<String> {
    if event.ctrl_key() || event.alt_key() || event.meta_key() || event.default_prevented() {
        return None;
    }
    let typing = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        });
    (!typing).then(|| event.key())
}

/// Installs the app-wide shortcuts and provides [`HelpOpen`]. Call once, from the app root.
pub fn install_global_shortcuts() {
    let prefs = use_prefs();
    let help = HelpOpen(RwSignal::new(false));
    let search = use_context::<SearchOpen>();
    provide_context(help);
    // The listener lives as long as the page: the app root is never unmounted.
    let _handle = window_event_listener(keydown, move |event| {
        let Some(key) = plain_key(&event) else { return };
        let handled = match key.as_str() {
            "t" => {
                prefs.toggle_theme();
                true
            }
            "+" | "=" => {
                prefs.change_font(1);
                true
            }
            "-" => {
                prefs.change_font(-1);
                true
            }
            "0" => {
                prefs.reset_font();
                true
            }
            "?" => {
                help.0.update(|open| *open = !*open);
                true
            }
            "/" if !help.0.get_untracked() => {
                if let Some(SearchOpen(open)) = search {
                    open.set(true);
                }
                search.is_some()
            }
            "Escape" if help.0.get_untracked() => {
                help.0.set(false);
                true
            }
            _ => false,
        };
        if handled {
            event.prevent_default();
        }
    });
}

/// The help overlay listing [`SHORTCUTS`].
#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let HelpOpen(open) = expect_context::<HelpOpen>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let close_button = NodeRef::<leptos::html::Button>::new();
    // Focus goes to Close; it returns to where it was when the dialog closes.
    let (on_close, on_click) = modal(
        open,
        dialog,
        move || {
            if let Some(button) = close_button.get_untracked() {
                let _ = button.focus();
            }
        },
        || false,
    );
    view! {
        <dialog class="dialog" node_ref=dialog aria-labelledby="shortcut-title" on:close=on_close on:click=on_click>
            <h2 id="shortcut-title">"Keyboard shortcuts"</h2>
            <dl class="shortcuts">
                {SHORTCUTS
                    .iter()
                    .map(|(keys, what)| {
                        view! {
                            <dt>
                                <kbd>{*keys}</kbd>
                            </dt>
                            <dd>{*what}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
            <button node_ref=close_button on:click=move |_| open.set(false)>"Close"</button>
        </dialog>
    }
}
