//! `/join` (type a room code) and `/join/<code>` (the address on the projector and in its QR
//! code): a student joins a class session, with an optional display name that only the teacher
//! sees. A wrong or expired code gets a friendly page.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::ApiFailure;
use crate::room::student::{LinkState, StudentRoom};

/// `/join`: a box for the code.
#[component]
pub fn JoinPage() -> impl IntoView {
    document().set_title("Join a class · Rust Mastery Playground");
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match api_types::room::normalize_room_code(&typed.get_untracked()) {
            Some(code) => navigate(&format!("/join/{code}"), NavigateOptions::default()),
            None => problem.set(Some(format!(
                "A class code is {} letters and digits, like K7QX3M (no 0, O, 1 or I).",
                api_types::room::ROOM_CODE_LEN
            ))),
        }
    };
    view! {
        <section class="join-page">
            <h1>"Join a class"</h1>
            <form class="join-form" on:submit=submit>
                <label for="room-code">"The code your teacher shows"</label>
                <input
                    id="room-code"
                    class="room-code-input"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="12"
                    prop:value=move || typed.get()
                    on:input=move |e| typed.set(event_target_value(&e))
                />
                <button type="submit">"Continue"</button>
            </form>
            {move || problem.get().map(|p| view! { <p class="room-problem" role="alert">{p}</p> })}
        </section>
    }
}

/// `/join/<code>`: checks the room exists, then asks for an optional name and joins.
#[component]
pub fn JoinRoomPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || {
        let typed = params.read().get("code").unwrap_or_default();
        api_types::room::normalize_room_code(&typed).unwrap_or(typed)
    };
    let info = LocalResource::new(move || crate::api::room(code()));
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Looking for the class…"</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) => view! { <JoinForm code=info.code /> }.into_any(),
                    Err(ApiFailure::NotFound(_)) => view! { <RoomNotFound code=code() /> }.into_any(),
                    Err(error) => view! {
                        <section class="join-page">
                            <h1>"Cannot reach the class"</h1>
                            <p class="room-problem" role="alert">{error.to_string()}</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JoinForm(
    /// The room's code, as the server knows it.
    code: String,
) -> impl IntoView {
    document().set_title(&format!("Join class {code} · Rust Mastery Playground"));
    let room = expect_context::<StudentRoom>();
    let name = RwSignal::new(String::new());
    let joined_here = move |code: &str| {
        room.code.with(|c| c.as_deref() == Some(code))
            && room.state.with(|s| !matches!(s, LinkState::Ended(_)))
    };
    let code = StoredValue::new(code);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = name.get_untracked();
        room.join(
            &code.get_value(),
            (!typed.trim().is_empty()).then_some(typed),
        );
    };
    view! {
        <section class="join-page">
            <h1>"Class " <span class="room-code-inline">{code.get_value()}</span></h1>
            <Show
                when=move || joined_here(&code.get_value())
                fallback=move || {
                    view! {
                        <form class="join-form" on:submit=submit>
                            <label for="display-name">"Your name (optional; only your teacher sees it)"</label>
                            <input
                                id="display-name"
                                class="display-name-input"
                                maxlength=api_types::room::MAX_NAME_CHARS.to_string()
                                autocomplete="nickname"
                                prop:value=move || name.get()
                                on:input=move |e| name.set(event_target_value(&e))
                            />
                            <button type="submit" class="join-button">"Join the class"</button>
                        </form>
                    }
                }
            >
                <p class="joined" role="status">
                    "You are in. This page follows your teacher; browse freely and press "
                    <kbd>{crate::room::follow_bar::SNAP_BACK_KEY}</kbd>
                    " to go back to where the teacher is."
                </p>
            </Show>
        </section>
    }
}

/// A code that names no class (mistyped, or the session ended).
#[component]
fn RoomNotFound(
    /// The code from the address.
    code: String,
) -> impl IntoView {
    document().set_title("Class not found · Rust Mastery Playground");
    view! {
        <section class="not-found room-not-found">
            <h1>"No class with this code"</h1>
            <p>
                "There is no class session " <code>{code}</code>
                " on this server. Check the code on the projector (it has no 0, O, 1 or I), or ask your teacher: a session ends after a long pause."
            </p>
            <p>
                <A href="/join">"Type another code"</A>
            </p>
        </section>
    }
}
