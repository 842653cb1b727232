//! The in-browser demos' views: the matching engine (order entry, depth ladder, benchmark) and the
//! lock-free interleaving explorer, running the real crates from `demos/` in the page.
//!
//! This is a wasm module of its own, not part of the SPA's, so that a first visit does not
//! download the demos (most visits never show one). The SPA (`frontend/src/demos/mod.rs`) loads
//! this module the first time a page needs a demo and calls [`mount`]; the module has its own copy
//! of Leptos, so a demo shares no signals or contexts with
//! the app around it (it needs none).

pub mod engine_bench;
pub mod lock_free;
pub mod matching_engine;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// The demos this module can mount, by the name the SPA passes to [`mount`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// Order entry, depth ladder, trade tape and event log around one engine.
    MatchingEngine,
    /// "Benchmark in your browser" for the matching engine.
    EngineBenchmark,
    /// Two threads over a lock-free stack or ring, one atomic operation at a time.
    LockFreeExplorer,
}

impl Demo {
    pub fn from_name(name: &str) -> Option<Demo> {
        match name {
            "matching-engine" => Some(Demo::MatchingEngine),
            "engine-benchmark" => Some(Demo::EngineBenchmark),
            "lock-free-explorer" => Some(Demo::LockFreeExplorer),
            _ => None,
        }
    }

    fn view(self) -> AnyView {
        match self {
            Demo::MatchingEngine => view! { <matching_engine::MatchingEngineDemo /> }.into_any(),
            Demo::EngineBenchmark => view! { <matching_engine::EngineBenchmark /> }.into_any(),
            Demo::LockFreeExplorer => view! { <lock_free::LockFreeExplorer /> }.into_any(),
        }
    }
}

/// A demo mounted in the page. The SPA calls `free()` when the demo's host leaves the page, which
/// unmounts the demo and drops its state.
#[wasm_bindgen]
pub struct MountedDemo {
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

/// Mounts the demo called `name` as the last child of `parent`.
#[wasm_bindgen]
pub fn mount(name: &str, parent: web_sys::HtmlElement) -> Result<MountedDemo, JsError> {
    // As in the app's `main`: with immediate-abort panics the hook could never run.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    let demo = Demo::from_name(name)
        .ok_or_else(|| JsError::new(&format!("this page has no demo called `{name}`")))?;
    let handle = leptos::mount::mount_to(parent, move || demo.view());
    Ok(MountedDemo { _handle: handle })
}
