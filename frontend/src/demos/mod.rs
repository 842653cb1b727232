//! The in-browser demos: real crates from `demos/`, compiled into the app and run in the page.

pub mod engine_bench;
pub mod lock_free;
pub mod matching_engine;

use leptos::prelude::*;

/// Mounts the demo called `name` inside a chapter (compact layout).
#[component]
pub fn EmbeddedDemo(
    /// One of `api_types::DEMOS`.
    name: String,
) -> impl IntoView {
    let demo = match name.as_str() {
        "matching-engine" => view! { <matching_engine::MatchingEngineDemo /> }.into_any(),
        "lock-free-explorer" => view! { <lock_free::LockFreeExplorer /> }.into_any(),
        other => view! {
            <p class="error-box">{format!("This chapter asks for a demo called `{other}`, which does not exist.")}</p>
        }
        .into_any(),
    };
    view! { <div class="embedded-demo">{demo}</div> }
}
