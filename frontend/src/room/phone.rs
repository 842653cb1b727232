//! "Open on your phone": the presenter console's address for the teacher's phone, with the
//! room's code and the teacher's secret in its fragment, as a QR code (drawn by the server, like
//! the join code) and as a link. Only the console shows it, and only when asked: it is a
//! credential, and the card says so and hides again with one press.

use api_types::room::{PhoneConsole, PhoneConsoleRequest};
use leptos::prelude::*;

use super::teacher::TeacherLink;

/// An `<img>` source for an SVG text, without putting the SVG into the page as markup.
fn svg_source(svg: &str) -> Option<String> {
    let encoded = window().btoa(svg).ok()?;
    Some(format!("data:image/svg+xml;base64,{encoded}"))
}

#[component]
pub fn PhoneConsoleCard(
    /// The console's link (its room and secret).
    link: TeacherLink,
    /// The chapter presented: the phone opens the console of the same chapter.
    chapter: String,
) -> impl IntoView {
    let shown = RwSignal::new(None::<PhoneConsole>);
    let problem = RwSignal::new(None::<String>);
    let asking = RwSignal::new(false);
    let chapter = StoredValue::new(chapter);
    let open = move |_| {
        let Some(room) = link.room.get_untracked() else {
            return;
        };
        asking.set(true);
        problem.set(None);
        let asked = PhoneConsoleRequest {
            secret: room.teacher_secret.clone(),
            chapter: chapter.get_value(),
        };
        leptos::task::spawn_local(async move {
            match crate::api::phone_console(&room.code, &asked).await {
                Ok(phone) => shown.set(Some(phone)),
                Err(error) => problem.set(Some(format!(
                    "The address for your phone could not be made: {error}"
                ))),
            }
            asking.set(false);
        });
    };
    // A session ended (here or in another tab) takes its card away.
    Effect::new(move |_| {
        if link.room.with(Option::is_none) {
            shown.set(None);
        }
    });
    // Only while this browser teaches a room: there is nothing to open before.
    let teaching = move || link.room.with(Option::is_some);
    view! {
        <Show when=teaching>
        <section class="phone-console" aria-label="The console on your phone">
            <Show
                when=move || shown.with(Option::is_some)
                fallback=move || view! {
                    <button type="button" class="open-on-phone" on:click=open
                        disabled=move || asking.get()>
                        "Open on your phone"
                    </button>
                }
            >
                {move || shown.get().map(|phone| {
                    let source = svg_source(&phone.qr_svg).unwrap_or_default();
                    // Over the console (its class panel is small), until hidden.
                    view! {
                        <div class="phone-card" role="region" aria-label="Open the console on your phone">
                        <p class="phone-warning" role="note">
                            <strong>"This code is a key to your class. "</strong>
                            "Whoever scans it or has the link can move your slides and teach this room. Scan it with your own phone, then hide it; never project or share it."
                        </p>
                        <img class="phone-qr" src=source
                            alt="QR code of the presenter console's address for your phone" />
                        <p class="phone-link-line">
                            "Or open this link on your phone: "
                            <a class="phone-link" href=phone.url.clone()>{phone.url.clone()}</a>
                        </p>
                        <button type="button" class="hide-phone" on:click=move |_| shown.set(None)>
                            "Hide the phone code"
                        </button>
                        </div>
                    }
                })}
            </Show>
            {move || problem.get().map(|p| view! { <p class="room-problem" role="alert">{p}</p> })}
        </section>
        </Show>
    }
}
