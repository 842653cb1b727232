//! A native modal `<dialog>` driven by a signal: the browser moves focus in, keeps Tab inside,
//! makes the page behind it inert and closes it on Escape. Shared by the shortcut help and search.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Keeps `dialog` in step with `open` and returns the handlers for its `close` and `click`
/// events.
///
/// When `open` turns true the dialog is shown as a modal and `on_open` runs (to focus what should
/// have focus); when it turns false the dialog closes. Its `close` event (Escape included) sets
/// `open` to false and gives focus back to the element that had it before, unless
/// `keep_focus_away` says the reader has gone elsewhere. A click on the backdrop (which lands on
/// the dialog element itself) closes it.
pub fn modal(
    open: RwSignal<bool>,
    dialog: NodeRef<leptos::html::Dialog>,
    on_open: impl Fn() + 'static,
    keep_focus_away: impl Fn() -> bool + 'static,
) -> (
    impl FnMut(web_sys::Event) + 'static,
    impl FnMut(web_sys::MouseEvent) + 'static,
) {
    let returns_to = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let Some(element) = dialog.get() else { return };
        if open.get() && !element.open() {
            returns_to.set_value(
                document()
                    .active_element()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
            );
            let _ = element.show_modal();
            on_open();
        } else if !open.get() && element.open() {
            element.close();
        }
    });
    let on_close = move |_: web_sys::Event| {
        open.set(false);
        if !keep_focus_away()
            && let Some(previous) = returns_to.get_value()
        {
            let _ = previous.focus();
        }
    };
    let on_click = move |event: web_sys::MouseEvent| {
        let on_backdrop =
            event
                .target()
                .zip(dialog.get_untracked())
                .is_some_and(|(target, element)| {
                    target.dyn_ref::<web_sys::HtmlDialogElement>() == Some(&element)
                });
        if on_backdrop {
            open.set(false);
        }
    };
    (on_close, on_click)
}
