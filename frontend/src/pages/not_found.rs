use leptos::prelude::*;
use leptos_router::components::A;

/// Shown for any address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    document().set_title("Page not found · Rust Mastery Playground");
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may have a typo."</p>
            <p>
                <A href="/">"Browse all courses"</A>
            </p>
        </section>
    }
}

/// Shown when a chapter link names a chapter the server does not have.
#[component]
pub fn ChapterNotFound(
    /// The slug from the address.
    slug: String,
) -> impl IntoView {
    document().set_title("Chapter not found · Rust Mastery Playground");
    view! {
        <section class="not-found">
            <h1>"Chapter not found"</h1>
            <p>
                "There is no chapter called " <code>{slug}</code>
                ". It may have been renamed; the course list has every chapter."
            </p>
            <p>
                <A href="/">"Browse all courses"</A>
            </p>
        </section>
    }
}
