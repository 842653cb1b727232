//! `/room/<code>/dashboard`: the class dashboard on its own page, to project. It connects as the
//! teacher, so it opens in any tab of a browser that teaches the room (the one that started it,
//! or a phone that scanned its console code), where the room's secret is kept.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::room::dashboard::ClassDashboard;
use crate::room::student::LinkState;
use crate::room::teacher::TeacherLink;
use crate::room::teacher_store;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let params = use_params_map();
    let code = params.read_untracked().get("code").unwrap_or_default();
    document().set_title(&format!("Class {code} dashboard · Rust Mastery Playground"));
    let code = api_types::room::normalize_room_code(&code).unwrap_or(code);
    let ours = teacher_store::by_code(&code).is_some();
    if !ours {
        return view! {
            <section class="not-found">
                <h1>"This dashboard is the teacher's"</h1>
                <p>
                    "Open it in the browser that started class " <code>{code}</code>
                    ", or on the phone that scanned the console's phone code."
                </p>
            </section>
        }
        .into_any();
    }
    let link = TeacherLink::for_room(&code);
    view! {
        <section class="dashboard-page">
            <p class="room-count">
                {move || match link.count.get() {
                    1 => format!("Class {code} · 1 student"),
                    n => format!("Class {code} · {n} students"),
                }}
                {move || match link.state.get() {
                    LinkState::Connected => String::new(),
                    LinkState::Ended(message) => format!(" · {message}"),
                    _ => " · connecting…".to_owned(),
                }}
            </p>
            <ClassDashboard dashboard=link.dashboard />
        </section>
    }
    .into_any()
}
