//! The presentation's messages between windows of one browser.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The name of the `BroadcastChannel` every presentation window joins.
pub const CHANNEL_NAME: &str = "rmp-present";

/// "The deck of chapter `slug` now shows slide `slide` (0-based), which starts at `#anchor` on the
/// reading page; the projector is blanked or not."
///
/// Posted on the `BroadcastChannel` named [`CHANNEL_NAME`] as JSON
/// (`{"slug":…,"slide":…,"anchor":…,"blank":…}`) by whichever window moved the deck: the
/// projector (`/present/<slug>/<n>`) or the presenter console (`/present/<slug>/console`). Each
/// window ignores other chapters' messages. A window never receives its own messages. The
/// classroom's teacher controls listen to the same channel to follow the teacher's slide.
///
/// The message carries the place, not the timing: the session's clock and the time spent on each
/// slide are in the shared `localStorage` record ([`super::record::SessionRecord`]), which the
/// sender writes before posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresentMessage {
    pub slug: String,
    pub slide: usize,
    pub anchor: String,
    pub blank: bool,
}

/// This window's end of the channel; closed when dropped.
pub struct PresentChannel {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl PresentChannel {
    /// Joins the channel; `on_message` gets every well-formed message another window posts
    /// (for any chapter). `None` where the browser has no `BroadcastChannel`.
    pub fn open(on_message: impl Fn(PresentMessage) + 'static) -> Option<PresentChannel> {
        let channel = web_sys::BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                if let Ok(message) = serde_json::from_str::<PresentMessage>(&text) {
                    on_message(message);
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(PresentChannel {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, message: &PresentMessage) {
        if let Ok(text) = serde_json::to_string(message) {
            let _ = self
                .channel
                .post_message(&wasm_bindgen::JsValue::from_str(&text));
        }
    }
}

impl Drop for PresentChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_documented_json() {
        let message = PresentMessage {
            slug: "where-next".into(),
            slide: 2,
            anchor: "the-two-courses-after-this-one".into(),
            blank: false,
        };
        let json = serde_json::to_string(&message).unwrap();
        assert_eq!(
            json,
            r#"{"slug":"where-next","slide":2,"anchor":"the-two-courses-after-this-one","blank":false}"#
        );
        assert_eq!(
            serde_json::from_str::<PresentMessage>(&json).unwrap(),
            message
        );
    }
}
