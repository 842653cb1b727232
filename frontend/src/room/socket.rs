//! One participant's WebSocket to a room: opened with the first message (who we are), every
//! server message handed to a callback, and the end reported once with the room's reason if it
//! gave one. Dropping it closes the socket.

use std::cell::RefCell;
use std::rc::Rc;

use api_types::room::{Closing, RoomClientMessage, RoomServerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// How a socket ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The room said why (and the sentence to show).
    Room { why: Closing, message: String },
    /// The connection dropped without a word (network, server restart).
    Lost,
}

impl Ended {
    /// Whether trying again can help: a lost connection or a follower that fell behind, not a
    /// room that is gone, full or refused us.
    pub fn worth_retrying(&self) -> bool {
        matches!(
            self,
            Ended::Lost
                | Ended::Room {
                    why: Closing::FellBehind,
                    ..
                }
        )
    }
}

/// The socket address of room `code` on this page's origin.
pub fn room_url(code: &str) -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}/api/rooms/{code}/ws")
}

/// An open (or opening) room socket.
pub struct RoomSocket {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl RoomSocket {
    pub fn open(
        code: &str,
        first: RoomClientMessage,
        on_message: impl Fn(RoomServerMessage) + 'static,
        on_end: impl Fn(Ended) + 'static,
    ) -> Result<RoomSocket, String> {
        let socket = WebSocket::new(&room_url(code))
            .map_err(|_| "the browser refused to open a connection to the server".to_owned())?;
        let said: Rc<RefCell<Option<(Closing, String)>>> = Rc::new(RefCell::new(None));
        let opened = socket.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || send_on(&opened, &first));
        let last_word = said.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<RoomServerMessage>(&text) {
                Ok(RoomServerMessage::Closed { why, message }) => {
                    *last_word.borrow_mut() = Some((why, message));
                }
                Ok(message) => on_message(message),
                Err(error) => leptos::logging::warn!("ignoring a room message: {error}"),
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_event: CloseEvent| {
            let ended = match said.borrow_mut().take() {
                Some((why, message)) => Ended::Room { why, message },
                None => Ended::Lost,
            };
            on_end(ended);
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(RoomSocket {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    pub fn send(&self, message: &RoomClientMessage) {
        send_on(&self.socket, message);
    }
}

impl Drop for RoomSocket {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

fn send_on(socket: &WebSocket, message: &RoomClientMessage) {
    if socket.ready_state() != WebSocket::OPEN {
        return;
    }
    if let Ok(text) = serde_json::to_string(message) {
        let _ = socket.send_with_str(&text);
    }
}
