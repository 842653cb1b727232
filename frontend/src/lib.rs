//! The Rust Mastery Playground single-page app.
//!
//! Routes are listed in one place ([`App`]); each page lives in its own file under `pages/`.
//! Data comes only from the server's API (`api.rs`), typed by the shared `api-types` crate.

pub mod actions;
pub mod api;
pub mod components;
pub mod demos;
pub mod editor;
pub mod lazy;
pub mod pages;
pub mod prefs;
pub mod present;
pub mod progress;
pub mod room;
pub mod run;
pub mod saved;
pub mod search;
pub mod share_link;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::JsCast;

use crate::components::header::Header;
use crate::components::live_content::{ContentProblems, LiveContent};
use crate::components::search::SearchOpen;
use crate::components::shortcuts::ShortcutHelp;
use crate::lazy::{lazy_page, lazy_part};
use crate::pages::chapter::ChapterPage;
use crate::pages::course_index::CourseIndex;
use crate::pages::not_found::NotFound;
use crate::room::follow_bar::FollowBar;

/// Mounts the app on `<body>` and removes the boot placeholder.
pub fn start() {
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

/// The course outline, fetched once and shared by every page that lists chapters.
#[derive(Clone, Copy)]
pub struct CoursesResource(pub LocalResource<Result<api_types::CourseList, api::ApiFailure>>);

/// The whole app: preferences, shared data, header, and the routes.
#[component]
pub fn App() -> impl IntoView {
    prefs::provide_prefs();
    components::progress::ProgressStore::provide();
    let live = LiveContent::provide();
    let outline = live.outline_generation();
    provide_context(CoursesResource(LocalResource::new(move || {
        // Fetched again when a saved edit changes the outline (the author's loop).
        outline.track();
        api::courses()
    })));
    components::availability::Availability::provide();
    components::search::SearchOpen::provide();
    let SearchOpen(search_open) = expect_context::<SearchOpen>();
    components::shortcuts::install_global_shortcuts();
    editor::EditorBundle::provide();
    room::student::StudentRoom::provide();

    view! {
        <Router>
            // Focus moves into the page's content itself: a plain `#main` link would be taken by
            // the router as a navigation and leave focus at the top of the page.
            <a class="skip-link" href="#main" on:click=|event| {
                event.prevent_default();
                if let Some(main) = document().get_element_by_id("main") {
                    let _ = main.unchecked_ref::<web_sys::HtmlElement>().focus();
                }
            }>"Skip to content"</a>
            <Header />
            <ContentProblems />
            <main id="main" tabindex="-1">
                // The course index and chapters are in the first download; every other page is
                // fetched when first shown (`lazy.rs`), so a first visit does not pay for it.
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=CourseIndex />
                    <Route path=path!("/courses/:slug") view=|| lazy_page(lazy::course) />
                    <Route path=path!("/learn/:slug") view=ChapterPage />
                    <Route path=path!("/present/:slug") view=|| lazy_page(lazy::present) />
                    <Route path=path!("/present/:slug/console") view=|| lazy_page(lazy::present_console) />
                    <Route path=path!("/present/:slug/:n") view=|| lazy_page(lazy::present) />
                    <Route path=path!("/demos/matching-engine") view=|| lazy_page(lazy::matching_engine) />
                    <Route path=path!("/demos/lock-free") view=|| lazy_page(lazy::lock_free) />
                    // Also in the server's `routes/head.rs`, which answers 404 for unknown ids.
                    <Route path=path!("/s") view=|| lazy_page(lazy::fragment_share) />
                    <Route path=path!("/s/:id") view=|| lazy_page(lazy::share) />
                    // The live classroom (issue 11); in `routes/head.rs` too.
                    <Route path=path!("/join") view=|| lazy_page(lazy::join) />
                    <Route path=path!("/join/:code") view=|| lazy_page(lazy::join_room) />
                    <Route path=path!("/teach/:slug") view=|| lazy_page(lazy::teach) />
                    <Route path=path!("/room/:code/dashboard") view=|| lazy_page(lazy::dashboard) />
                </Routes>
            </main>
            <FollowBar />
            <ShortcutHelp />
            // Fetched the first time search opens (`lazy.rs`).
            {lazy_part(lazy::search_dialog, move || search_open.get(), |dialog| dialog())}
        </Router>
    }
}
