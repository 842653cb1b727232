//! Where the teacher's browser keeps the rooms it teaches, so that every tab and window of it
//! (the console, the projector, the dashboard, a second console) is the teacher's, and a phone
//! can be brought in.
//!
//! The rules:
//! - Each room is kept in `localStorage` under [`room_key`] (its code, join address, QR address
//!   and the teacher's secret) with the time it was last used; [`CURRENT_KEY`] names the room this
//!   browser teaches now. Pages that teach (`TeacherLink::new`) take the current room; the
//!   dashboard takes the room of its address.
//! - A room is forgotten when the teacher ends it here, when the server says it is gone or
//!   expired, and when it was not used for [`FORGET_AFTER_MS`] (longer than the server keeps an
//!   idle room), so a secret does not linger in a shared computer's storage for ever.
//! - A phone gets the room from the console's address for it: `#room=<code>&secret=<secret>` in
//!   the fragment, which browsers never send to a server. The page stores it as above and takes
//!   the fragment out of the address bar at once ([`take_from_address`]).

use api_types::room::{RoomCreated, parse_phone_fragment};
use serde::{Deserialize, Serialize};

use crate::prefs::storage;

/// Names the room this browser teaches now (its code).
pub const CURRENT_KEY: &str = "rmp.room.teacher.current";

/// A room unused for this long is forgotten: twelve hours, well past the server's idle expiry.
pub const FORGET_AFTER_MS: f64 = 12.0 * 3600.0 * 1000.0;

/// The `localStorage` key of room `code`.
pub fn room_key(code: &str) -> String {
    format!("rmp.room.teacher:{code}")
}

/// A room as kept: what `POST /api/rooms` answered, and when this browser last used it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedRoom {
    pub room: RoomCreated,
    /// Milliseconds since the epoch.
    pub used_at: f64,
}

impl SavedRoom {
    /// The stored text, if it is a room still worth keeping at `now`.
    pub fn parse(text: &str, now: f64) -> Option<SavedRoom> {
        serde_json::from_str::<SavedRoom>(text)
            .ok()
            .filter(|saved| now - saved.used_at <= FORGET_AFTER_MS)
            .filter(|saved| !saved.room.teacher_secret.is_empty())
    }
}

/// The room a phone console's fragment names, as if this browser had opened it: its join
/// address on `origin` and its QR code's path.
pub fn room_from_fragment(fragment: &str, origin: &str) -> Option<RoomCreated> {
    let (code, secret) = parse_phone_fragment(fragment)?;
    Some(RoomCreated {
        join_url: format!("{origin}/join/{code}"),
        qr_url: format!("/api/rooms/{code}/qr.svg"),
        code,
        teacher_secret: secret,
    })
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Room `code`, if this browser teaches it (a stale entry is removed on the way).
pub fn by_code(code: &str) -> Option<RoomCreated> {
    let text = get(&room_key(code))?;
    match SavedRoom::parse(&text, now()) {
        Some(saved) => Some(saved.room),
        None => {
            forget(code);
            None
        }
    }
}

/// The room this browser teaches now, if any.
pub fn current() -> Option<RoomCreated> {
    by_code(&get(CURRENT_KEY)?)
}

/// Keeps `room` (with its secret) and makes it the current one.
pub fn save(room: &RoomCreated) {
    let saved = SavedRoom {
        room: room.clone(),
        used_at: now(),
    };
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(&saved)) {
        let _ = storage.set_item(&room_key(&room.code), &json);
        if get(CURRENT_KEY).as_deref() != Some(room.code.as_str()) {
            let _ = storage.set_item(CURRENT_KEY, &room.code);
        }
    }
}

/// Marks room `code` used now, so it is not forgotten while in use.
pub fn touch(code: &str) {
    if let Some(room) = by_code(code)
        && let (Some(storage), Ok(json)) = (
            storage(),
            serde_json::to_string(&SavedRoom {
                room,
                used_at: now(),
            }),
        )
    {
        let _ = storage.set_item(&room_key(code), &json);
    }
}

/// Forgets room `code` in this browser (every tab hears it: their links close).
pub fn forget(code: &str) {
    let Some(storage) = storage() else { return };
    let _ = storage.remove_item(&room_key(code));
    if get(CURRENT_KEY).as_deref() == Some(code) {
        let _ = storage.remove_item(CURRENT_KEY);
    }
}

/// A phone console's address (`#room=…&secret=…`): keeps the room as this browser's current one
/// and takes the fragment out of the address bar (and so out of the history and of anything the
/// page later shares), leaving the path. Returns the room, if the address carried one.
pub fn take_from_address() -> Option<RoomCreated> {
    let window = web_sys::window()?;
    let location = window.location();
    let hash = location.hash().ok()?;
    let origin = location.origin().ok()?;
    let room = room_from_fragment(&hash, &origin)?;
    save(&room);
    let path = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
    Some(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> RoomCreated {
        RoomCreated {
            code: "K7QX3M".into(),
            join_url: "http://class.example/join/K7QX3M".into(),
            teacher_secret: "ab".repeat(32),
            qr_url: "/api/rooms/K7QX3M/qr.svg".into(),
        }
    }

    #[test]
    fn a_room_is_kept_while_used_and_forgotten_after_twelve_hours() {
        let saved = SavedRoom {
            room: room(),
            used_at: 1_000.0,
        };
        let text = serde_json::to_string(&saved).unwrap();
        assert_eq!(SavedRoom::parse(&text, 1_000.0), Some(saved.clone()));
        assert_eq!(
            SavedRoom::parse(&text, 1_000.0 + FORGET_AFTER_MS),
            Some(saved)
        );
        assert_eq!(SavedRoom::parse(&text, 1_001.0 + FORGET_AFTER_MS), None);
        assert_eq!(SavedRoom::parse("not json", 0.0), None);
    }

    #[test]
    fn a_room_without_its_secret_is_not_the_teachers() {
        // The projector's join card keeps a room with the secret blanked: never a teacher's.
        let public = SavedRoom {
            room: RoomCreated {
                teacher_secret: String::new(),
                ..room()
            },
            used_at: 0.0,
        };
        assert_eq!(
            SavedRoom::parse(&serde_json::to_string(&public).unwrap(), 0.0),
            None
        );
    }

    #[test]
    fn a_phone_address_names_the_room_on_this_origin() {
        let secret = "ab".repeat(32);
        let fragment = format!("#room=K7QX3M&secret={secret}");
        assert_eq!(
            room_from_fragment(&fragment, "http://class.example"),
            Some(room())
        );
        assert_eq!(room_from_fragment("#warm-up", "http://class.example"), None);
        assert_eq!(room_from_fragment("", "http://class.example"), None);
    }

    #[test]
    fn rooms_are_kept_apart_by_code() {
        assert_eq!(room_key("K7QX3M"), "rmp.room.teacher:K7QX3M");
        assert_ne!(room_key("K7QX3M"), room_key("ABCDEF"));
        assert_ne!(room_key("K7QX3M"), CURRENT_KEY);
    }
}
