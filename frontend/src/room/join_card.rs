//! The join card on the projector. The presenter console's "Show the join code on the projector"
//! puts the room's public parts (code, join address, QR code; never the teacher's secret, which
//! stays in `teacher_store`'s entry) in localStorage, and the projector, in the same
//! browser, shows them over the slide until the console hides them again. A projector opened or
//! reloaded later reads the same entry.

use api_types::room::RoomCreated;
use leptos::prelude::*;

use crate::prefs::storage;

const KEY: &str = "rmp.present.joinCard";

/// The card being projected, if any.
pub fn projected() -> Option<RoomCreated> {
    let text = storage()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Projects `room`'s code, address and QR code (its secret is left out).
pub fn project(room: &RoomCreated) {
    let public = RoomCreated {
        teacher_secret: String::new(),
        ..room.clone()
    };
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(&public)) {
        let _ = storage.set_item(KEY, &json);
    }
}

/// Takes the card off the projector.
pub fn withdraw() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

/// The card over the projector's slide while the console projects one.
#[component]
pub fn ProjectedJoinCard() -> impl IntoView {
    let card = RwSignal::new(projected());
    let handle = window_event_listener(leptos::ev::storage, move |event| {
        if event.key().is_none() || event.key().as_deref() == Some(KEY) {
            card.set(projected());
        }
    });
    on_cleanup(move || handle.remove());
    move || {
        card.get().map(|room| {
            view! {
                <section class="join-card" aria-label="Join the class">
                    <p class="join-card-lead">"Join the class at"</p>
                    <p class="join-card-url">{room.join_url.clone()}</p>
                    <p class="join-card-code">{room.code.clone()}</p>
                    <img class="join-card-qr" src=room.qr_url.clone()
                        alt=format!("QR code of {}", room.join_url) />
                </section>
            }
        })
    }
}
