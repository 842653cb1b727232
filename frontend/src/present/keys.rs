//! The presentation's keys: what each key does ([`command`], pure) and a listener that sees them
//! before the app's own shortcuts ([`KeyListener`]).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::components::shortcuts::plain_key;

/// Something a key asks the deck to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Next,
    Previous,
    First,
    Last,
    Fullscreen,
    Blank,
    Help,
    Exit,
}

/// The keys and what they do, as the help overlay lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("→ ↓ Space PageDown", "Next slide"),
    ("← ↑ PageUp", "Previous slide"),
    ("Home / End", "First / last slide"),
    ("f", "Full screen on or off"),
    ("b or .", "Blank the screen, or bring it back"),
    ("t", "Light or dark theme"),
    ("?", "Show or hide this help"),
    ("Esc", "Close the help; else back to the chapter"),
];

/// What `key` (a `KeyboardEvent.key`) does. Presentation clickers send PageUp/PageDown (and `.` or
/// `b` for their blank button).
pub fn command(key: &str) -> Option<Command> {
    Some(match key {
        "ArrowRight" | "ArrowDown" | " " | "PageDown" => Command::Next,
        "ArrowLeft" | "ArrowUp" | "PageUp" => Command::Previous,
        "Home" => Command::First,
        "End" => Command::Last,
        "f" | "F" => Command::Fullscreen,
        "b" | "B" | "." => Command::Blank,
        "?" => Command::Help,
        "Escape" => Command::Exit,
        _ => return None,
    })
}

/// The command of a key press meant for the deck: none while the focus is in an editor or a
/// field (their keys are the author's), nor for Space or Enter on a button or link, which
/// press it.
fn deck_command(event: &web_sys::KeyboardEvent) -> Option<Command> {
    let key = plain_key(event)?;
    let on_control = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY"));
    if on_control && matches!(key.as_str(), " " | "Enter") {
        return None;
    }
    command(&key)
}

/// Listens for the deck's keys on the window in the capture phase, so it sees them before the
/// app's shortcuts (whose `?` would open the app's help): a key it handles has its default
/// prevented, which the app's shortcuts skip. Removed when dropped.
pub struct KeyListener {
    callback: Closure<dyn Fn(web_sys::KeyboardEvent)>,
}

impl KeyListener {
    pub fn install(on_command: impl Fn(Command) -> bool + 'static) -> KeyListener {
        let callback =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
                if let Some(command) = deck_command(&event)
                    && on_command(command)
                {
                    event.prevent_default();
                }
            });
        let _ = leptos::prelude::window().add_event_listener_with_callback_and_bool(
            "keydown",
            callback.as_ref().unchecked_ref(),
            true,
        );
        KeyListener { callback }
    }
}

impl Drop for KeyListener {
    fn drop(&mut self) {
        let _ = leptos::prelude::window().remove_event_listener_with_callback_and_bool(
            "keydown",
            self.callback.as_ref().unchecked_ref(),
            true,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicker_and_keyboard_keys_move_the_deck() {
        for key in ["ArrowRight", "ArrowDown", " ", "PageDown"] {
            assert_eq!(command(key), Some(Command::Next), "{key}");
        }
        for key in ["ArrowLeft", "ArrowUp", "PageUp"] {
            assert_eq!(command(key), Some(Command::Previous), "{key}");
        }
        assert_eq!(command("Home"), Some(Command::First));
        assert_eq!(command("End"), Some(Command::Last));
        assert_eq!(command("."), Some(Command::Blank));
        assert_eq!(command("f"), Some(Command::Fullscreen));
        assert_eq!(command("?"), Some(Command::Help));
        assert_eq!(command("Escape"), Some(Command::Exit));
        // The app's own shortcuts keep theirs.
        assert_eq!(command("t"), None);
        assert_eq!(command("+"), None);
    }
}
