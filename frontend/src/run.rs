//! Running code on the server over `/api/ws`: one socket per execution.
//!
//! [`RunSession::start`] opens the socket, sends the request once it is open, and hands every
//! [`ServerMessage`] to a callback. Dropping the session closes the socket, which the server
//! treats as "client gone" and kills the container.

use api_types::{ClientMessage, ExecuteRequest, ServerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The socket URL for this page's origin (`ws:` or `wss:` to match `http:` or `https:`), with
/// this browser's id for the server's fair queue.
pub fn socket_url() -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    let param = api_types::browser::BROWSER_ID_PARAM;
    format!("{scheme}//{host}/api/ws?{param}={}", browser_id())
}

/// Where [`browser_id`] keeps the id.
const BROWSER_ID_KEY: &str = "rmp.browserId";

/// This browser's random id, made once and kept in localStorage (for the page's life when
/// storage is off). The server uses it only to share its run queue fairly between students behind
/// one address (see `api_types::browser`), so it needs to differ between browsers, not be secret.
pub fn browser_id() -> String {
    thread_local! {
        static ID: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
    }
    ID.with(|id| {
        id.get_or_init(|| {
            let storage = crate::prefs::storage();
            let kept = storage
                .as_ref()
                .and_then(|s| s.get_item(BROWSER_ID_KEY).ok().flatten())
                .filter(|id| api_types::browser::is_valid_browser_id(id));
            kept.unwrap_or_else(|| {
                // 128 bits from Math.random, as hex: a URL-safe id of 32 characters.
                let fresh: String = (0..4)
                    .map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
                    .collect();
                if let Some(storage) = storage {
                    let _ = storage.set_item(BROWSER_ID_KEY, &fresh);
                }
                fresh
            })
        })
        .clone()
    })
}

/// A running execution. Keep it alive while the run lasts.
pub struct RunSession {
    socket: WebSocket,
    // The callbacks must live as long as the socket may call them.
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl RunSession {
    /// Opens a socket and starts `request`; `on_event` receives every message, and a final
    /// [`ServerMessage::Error`] if the connection fails or closes before `finished`.
    pub fn start(
        request: ExecuteRequest,
        on_event: impl Fn(ServerMessage) + 'static,
    ) -> Result<RunSession, String> {
        let socket = WebSocket::new(&socket_url())
            .map_err(|_| "the browser refused to open a connection to the server".to_owned())?;
        let on_event = std::rc::Rc::new(on_event);
        let finished = std::rc::Rc::new(std::cell::Cell::new(false));

        let opened = socket.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            send(&opened, &ClientMessage::Execute(request.clone()));
        });
        let (events, done) = (on_event.clone(), finished.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => {
                    if matches!(
                        message,
                        ServerMessage::Finished(_) | ServerMessage::Error { .. }
                    ) {
                        done.set(true);
                    }
                    events(message);
                }
                Err(err) => events(ServerMessage::Error {
                    message: format!(
                        "the server sent something this page does not understand ({err}); try reloading"
                    ),
                }),
            }
        });
        let (events, done) = (on_event, finished);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_event: CloseEvent| {
            if !done.get() {
                done.set(true);
                events(ServerMessage::Error {
                    message: "the connection to the server was lost before the run finished"
                        .to_owned(),
                });
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(RunSession {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Asks the server to stop the program now.
    pub fn kill(&self) {
        send(&self.socket, &ClientMessage::Kill);
    }

    /// Sends `line` (with a newline) to the program's standard input.
    pub fn send_line(&self, line: &str) {
        send(
            &self.socket,
            &ClientMessage::Stdin {
                data: format!("{line}\n"),
            },
        );
    }

    /// Closes the program's standard input (end of file).
    pub fn close_stdin(&self) {
        send(&self.socket, &ClientMessage::CloseStdin);
    }
}

impl Drop for RunSession {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

fn send(socket: &WebSocket, message: &ClientMessage) {
    if let Ok(text) = serde_json::to_string(message) {
        let _ = socket.send_with_str(&text);
    }
}
