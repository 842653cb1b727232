//! The bar every page shows while this tab is in a class session: whether the page follows the
//! teacher, a way back when the student browsed elsewhere (the `g` key, listed in the shortcut
//! help), and Leave. While following, each move of the teacher navigates the page to
//! `/learn/<chapter>#<anchor>`, which the chapter page scrolls to.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

use super::student::LinkState;
use crate::components::shortcuts::plain_key;

/// The key that goes back to the teacher's place.
pub const SNAP_BACK_KEY: &str = "g";

/// The page address of the teacher's place.
pub fn place_url(position: &api_types::room::Position) -> String {
    if position.anchor.is_empty() {
        format!("/learn/{}", position.chapter)
    } else {
        format!("/learn/{}#{}", position.chapter, position.anchor)
    }
}

#[component]
pub fn FollowBar() -> impl IntoView {
    let Some(room) = super::student::current() else {
        return ().into_any();
    };
    let navigate = use_navigate();
    let location = use_location();
    let go = {
        let navigate = navigate.clone();
        move || {
            if let Some((position, _)) = room.position.get_untracked() {
                navigate(&place_url(&position), NavigateOptions::default());
            }
        }
    };
    // Follow each move while following.
    {
        let go = go.clone();
        Effect::new(move |_| {
            let moved = room.position.with(|p| p.as_ref().map(|(_, seq)| *seq));
            if moved.is_some() && room.following.get_untracked() {
                go();
            }
        });
    }
    // Browsing to another page stops following (the teacher's next move does not pull the
    // student back until they ask).
    Effect::new(move |_| {
        let path = location.pathname.get();
        let teacher = room
            .position
            .with_untracked(|p| p.as_ref().map(|(p, _)| format!("/learn/{}", p.chapter)));
        if let Some(teacher) = teacher
            && path != teacher
            && !path.starts_with("/join")
        {
            room.following.set(false);
        }
    });
    let snap_back = {
        let go = go.clone();
        move || {
            room.following.set(true);
            go();
        }
    };
    {
        let snap_back = snap_back.clone();
        let handle = window_event_listener(leptos::ev::keydown, move |event| {
            if room.code.get_untracked().is_some()
                && plain_key(&event).as_deref() == Some(SNAP_BACK_KEY)
            {
                event.prevent_default();
                snap_back();
            }
        });
        on_cleanup(move || handle.remove());
    }
    let status = move || match room.state.get() {
        LinkState::Connecting => "Joining the class session…".to_owned(),
        LinkState::Reconnecting(_) => "Connection lost; reconnecting…".to_owned(),
        // The room's own sentence: gone, full, or why it closed.
        LinkState::Ended(message) => format!("Not connected: {message}."),
        LinkState::Connected => match (room.position.with(Option::is_some), room.following.get()) {
            (false, _) => "Joined. Waiting for your teacher to start…".to_owned(),
            (true, true) => "Following your teacher.".to_owned(),
            (true, false) => "You are browsing on your own.".to_owned(),
        },
    };
    let snap = StoredValue::new_local(snap_back);
    let away = move || {
        room.state.get() == LinkState::Connected
            && room.position.with(Option::is_some)
            && !room.following.get()
    };
    view! {
        <Show when=move || room.code.with(Option::is_some)>
            <aside class="follow-bar" aria-label="Class session">
                <span class="follow-code">
                    "Class " <strong>{move || room.code.get().unwrap_or_default()}</strong>
                </span>
                <span class="follow-status" role="status">{status}</span>
                <Show when=away>
                    <button class="follow-back" on:click=move |_| snap.with_value(|f| f())>
                        "Back to the teacher " <kbd>{SNAP_BACK_KEY}</kbd>
                    </button>
                </Show>
                <button class="follow-leave" on:click=move |_| room.leave()>"Leave"</button>
            </aside>
        </Show>
    }
    .into_any()
}
