use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::search::SearchButton;
use crate::components::shortcuts::HelpOpen;
use crate::prefs::{FONT_STEPS, Theme, font_scale, use_prefs};

/// The top bar: home link, font size and theme controls, shortcut help.
#[component]
pub fn Header() -> impl IntoView {
    let HelpOpen(help) = expect_context::<HelpOpen>();
    // On a phone the section links fold into a menu; choosing one (or any navigation) closes it.
    let menu_open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand" attr:aria-label="Rust Mastery Playground, home">
                <img src="/favicon.svg" alt="" width="28" height="28" />
                <span>"Rust Mastery Playground"</span>
            </A>
            <button
                class="icon-button menu-button"
                aria-label="Menu"
                title="Sections"
                aria-expanded=move || menu_open.get().to_string()
                aria-controls="sections-menu"
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                "☰"
            </button>
            <nav class="topbar-nav" class:open=move || menu_open.get() id="sections-menu" aria-label="Sections">
                <A href="/">"Courses"</A>
                <A href="/demos/matching-engine">"Matching engine"</A>
                <A href="/demos/lock-free">"Lock-free explorer"</A>
            </nav>
            <div class="topbar-tools">
                <SearchButton />
                <FontSizeControl />
                <ThemeToggle />
                <button
                    class="icon-button"
                    title="Keyboard shortcuts (?)"
                    aria-label="Keyboard shortcuts"
                    on:click=move |_| help.update(|open| *open = !*open)
                >
                    "?"
                </button>
            </div>
        </header>
    }
}

/// Switches between light and dark; the choice is remembered.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let prefs = use_prefs();
    let label = move || match prefs.theme.get() {
        Theme::Light => "Switch to dark theme (t)",
        Theme::Dark => "Switch to light theme (t)",
    };
    view! {
        <button
            class="icon-button theme-toggle"
            title=label
            aria-label=label
            on:click=move |_| prefs.toggle_theme()
        >
            {move || match prefs.theme.get() {
                Theme::Light => "☾",
                Theme::Dark => "☀",
            }}
        </button>
    }
}

/// Smaller, reset, larger: for reading on a laptop or projecting in a lecture hall.
#[component]
pub fn FontSizeControl() -> impl IntoView {
    let prefs = use_prefs();
    let percent = move || format!("{:.0}%", font_scale(prefs.font_step.get()) * 100.0);
    view! {
        <div class="font-control" role="group" aria-label="Text size">
            <button
                class="icon-button"
                title="Smaller text (-)"
                aria-label="A− smaller text"
                disabled=move || { prefs.font_step.get() <= *FONT_STEPS.start() }
                on:click=move |_| prefs.change_font(-1)
            >
                "A−"
            </button>
            <button class="font-reset" title="Reset text size (0)" on:click=move |_| prefs.reset_font()>
                {percent}
            </button>
            <button
                class="icon-button"
                title="Larger text (+)"
                aria-label="A+ larger text"
                disabled=move || { prefs.font_step.get() >= *FONT_STEPS.end() }
                on:click=move |_| prefs.change_font(1)
            >
                "A+"
            </button>
        </div>
    }
}
