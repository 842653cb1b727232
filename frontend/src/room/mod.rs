//! The live classroom in the page (issue 11): a student following a teacher's room, the
//! teacher's controls, and the socket both use. The server's side is `backend/src/room/`; the
//! messages are `api_types::room`.
//!
//! - [`socket`]: one WebSocket to `/api/rooms/<code>/ws`, its first message saying who we are.
//! - [`student`]: the student's link to a room ([`student::StudentRoom`], provided by the app),
//!   and the small hooks the code blocks and exercises call.
//! - [`follow_bar`]: the bar every page shows while a student is in a room.
//! - [`teacher`]: the teacher's link and the `ClassSession` controls.
//! - [`teacher_store`]: where the teacher's browser keeps the rooms it teaches (and their
//!   secrets), shared by its tabs; how a phone takes a room from its console address.
//! - [`phone`]: the console's "Open on your phone" card (a QR code of that address).
//! - [`dashboard`]: the class dashboard's view.
//! - [`join_card`]: the room's code and QR code shown on the projector, from the console.

pub mod dashboard;
pub mod follow_bar;
pub mod join_card;
pub mod phone;
pub mod socket;
pub mod student;
pub mod teacher;
pub mod teacher_store;

/// The browser's sessionStorage: room state that belongs to this tab (the room a student joined,
/// pushes handled). Unavailable storage means the state lasts the page's life.
pub fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

pub fn session_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

pub fn session_set(key: &str, value: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(key, value);
    }
}

pub fn session_remove(key: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(key);
    }
}
