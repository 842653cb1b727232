//! `/room/<code>/dashboard`: the class dashboard on its own page, to project. It connects as the
//! teacher, so it opens only in the teacher's browser tab (or one opened from it), where the
//! room's secret is.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::room::dashboard::ClassDashboard;
use crate::room::student::LinkState;
use crate::room::teacher::{TeacherLink, saved_room};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let params = use_params_map();
    let code = params.read_untracked().get("code").unwrap_or_default();
    document().set_title(&format!("Class {code} dashboard · Rust Mastery Playground"));
    let ours = saved_room().is_some_and(|room| room.code == code);
    if !ours {
        return view! {
            <section class="not-found">
                <h1>"This dashboard is the teacher's"</h1>
                <p>
                    "Open it from the teacher's page of class " <code>{code}</code>
                    " (“Show the class dashboard”), in the browser that started the session."
                </p>
            </section>
        }
        .into_any();
    }
    let link = TeacherLink::new();
    view! {
        <section class="dashboard-page">
            <p class="room-count">
                {move || format!("Class {} · {} students", code, link.count.get())}
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
