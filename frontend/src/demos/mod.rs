//! The demos' places in the app: the two demo pages and ```` ```demo ```` blocks in chapters.
//!
//! The demos themselves (`demos/web`: the matching engine and the lock-free explorer with their
//! views) are a wasm module of their own, so the app's first download does not carry them. The
//! first [`DemoHost`] on a page loads that module, the way the code editor's bundle is loaded
//! (`editor.rs`): `index.html` names the script in an inert `<script type="text/rmp-demos">` with
//! its hashed name and integrity hash, and the script's last lines (written by
//! `cargo xtask build-spa`) start fetching its wasm and leave `window.RmpDemos.ready`, a promise of
//! the module. Until it arrives the host says "Loading the demo…"; if it cannot arrive, it says so.

use std::cell::RefCell;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The inert `<script>` in `index.html` that names the demos' hashed script and integrity hash.
const MODULE_SCRIPT: &str = "script[type='text/rmp-demos']";

thread_local! {
    /// The module being (or already) loaded, shared by every host; reset after a failure so the
    /// next page that shows a demo tries again.
    static MODULE: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Resolves to the demos module (its `mount` function), loading it the first time.
async fn module() -> Result<JsValue, String> {
    let promise = MODULE.with(|cell| cell.borrow_mut().get_or_insert_with(start_loading).clone());
    let loaded = wasm_bindgen_futures::JsFuture::from(promise).await;
    if loaded.is_err() {
        MODULE.with(|cell| cell.borrow_mut().take());
    }
    loaded.map_err(|error| {
        leptos::logging::warn!("the demos could not be loaded: {error:?}");
        "The demo could not be loaded (the connection may have dropped). Reload the page to try again."
            .to_owned()
    })
}

/// Adds the demos' script to the page; the promise settles with the module or an error.
fn start_loading() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let fail = |reject: &js_sys::Function, why: &str| {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(why));
        };
        let Some(template) = document().query_selector(MODULE_SCRIPT).ok().flatten() else {
            fail(&reject, "this build has no demos module in index.html");
            return;
        };
        let Ok(script) = document().create_element("script") else {
            fail(&reject, "cannot create a script element");
            return;
        };
        for name in ["src", "integrity"] {
            if let Some(value) = template.get_attribute(name) {
                let _ = script.set_attribute(name, &value);
            }
        }
        // Called once each at most; the script element lives as long as the page.
        let reject_on_error = reject.clone();
        let on_load = Closure::once_into_js(move || {
            let ready = js_sys::Reflect::get(&window(), &JsValue::from_str("RmpDemos"))
                .and_then(|demos| js_sys::Reflect::get(&demos, &JsValue::from_str("ready")));
            match ready {
                // Resolving with the module's own promise settles as it does.
                Ok(ready) if !ready.is_undefined() => {
                    let _ = resolve.call1(&JsValue::NULL, &ready);
                }
                _ => fail(&reject, "the demos script ran but left no RmpDemos.ready"),
            }
        });
        let on_error = Closure::once_into_js(move || {
            fail(&reject_on_error, "the demos script failed to load")
        });
        let _ = script.add_event_listener_with_callback("load", on_load.unchecked_ref());
        let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
        if let Some(head) = document().head() {
            let _ = head.append_child(&script);
        }
    })
}

/// Calls the module's `mount(name, parent)`; the answer is a `MountedDemo` to `free()` later.
fn mount(module: &JsValue, name: &str, parent: &web_sys::HtmlElement) -> Result<JsValue, String> {
    let mount = js_sys::Reflect::get(module, &JsValue::from_str("mount"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| "The demos module has no mount function; reload the page.".to_owned())?;
    mount
        .call2(&JsValue::NULL, &JsValue::from_str(name), parent)
        .map_err(|error| {
            // A JsError from `mount` carries its sentence as `message`.
            let why = js_sys::Reflect::get(&error, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it stopped with an error".to_owned());
            format!("The demo could not start: {why}.")
        })
}

/// Unmounts a demo the module mounted.
fn free(mounted: &JsValue) {
    if let Ok(free) = js_sys::Reflect::get(mounted, &JsValue::from_str("free"))
        && let Ok(free) = free.dyn_into::<js_sys::Function>()
    {
        let _ = free.call0(mounted);
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Loading {
    Waiting,
    Shown,
    Failed(String),
}

/// Where a demo from the demos module appears: "Loading the demo…" until the module is here, then
/// the demo (unmounted again when the host leaves the page), or why it could not be shown.
#[component]
pub fn DemoHost(
    /// A name the demos module knows (`demos/web/src/lib.rs`, `Demo::from_name`).
    name: &'static str,
) -> impl IntoView {
    let host = NodeRef::<Div>::new();
    let state = RwSignal::new(Loading::Waiting);
    let mounted = StoredValue::new_local(None::<JsValue>);
    Effect::new(move |_| {
        let Some(parent) = host.get() else { return };
        leptos::task::spawn_local(async move {
            let shown = match module().await {
                Ok(module) => mount(&module, name, &parent),
                Err(message) => Err(message),
            };
            match shown {
                Ok(demo) => {
                    // The host may have left the page while the module loaded.
                    if let Some(orphan) = mounted.try_set_value(Some(demo)) {
                        orphan.iter().for_each(free);
                    } else {
                        state.try_set(Loading::Shown);
                    }
                }
                Err(message) => {
                    state.try_set(Loading::Failed(message));
                }
            }
        });
    });
    on_cleanup(move || {
        if let Some(Some(demo)) = mounted.try_update_value(Option::take) {
            free(&demo);
        }
    });
    view! {
        {move || match state.get() {
            Loading::Waiting => Some(view! {
                <p class="demo-loading" role="status"><span class="spinner" aria-hidden="true"></span>" Loading the demo…"</p>
            }.into_any()),
            Loading::Failed(message) => Some(view! { <p class="error-box">{message}</p> }.into_any()),
            Loading::Shown => None,
        }}
        <div class="demo-host" node_ref=host></div>
    }
}

/// Mounts the demo called `name` inside a chapter (compact layout).
#[component]
pub fn EmbeddedDemo(
    /// One of `api_types::DEMOS`.
    name: String,
) -> impl IntoView {
    let demo = match api_types::DEMOS.iter().find(|known| **known == name) {
        Some(known) => view! { <DemoHost name=known /> }.into_any(),
        None => view! {
            <p class="error-box">{format!("This chapter asks for a demo called `{name}`, which does not exist.")}</p>
        }
        .into_any(),
    };
    view! { <div class="embedded-demo">{demo}</div> }
}

/// The matching engine's page.
#[component]
pub fn MatchingEnginePage() -> impl IntoView {
    document().set_title("Matching engine · Rust Mastery Playground");
    view! {
        <section class="demo-page">
            <h1>"A limit-order-book matching engine"</h1>
            <p class="summary">
                "The fintech capstone's engine, compiled to WebAssembly and running in this tab: price-time priority, \
                 GTC, IOC and FOK limits, market orders, cancels and modifies, and self-trade prevention. \
                 Nothing is sent to a server."
            </p>
            <DemoHost name="matching-engine" />
            <DemoHost name="engine-benchmark" />
        </section>
    }
}

/// The lock-free explorer's page.
#[component]
pub fn LockFreePage() -> impl IntoView {
    document().set_title("Lock-free explorer · Rust Mastery Playground");
    view! {
        <section class="demo-page">
            <h1>"Interleaving explorer"</h1>
            <p class="summary">
                "Run two threads over a lock-free stack or ring one atomic operation at a time. Choose who moves next, \
                 step back, or replay the schedule that breaks the naive stack, and watch memory as it happens."
            </p>
            <DemoHost name="lock-free-explorer" />
        </section>
    }
}
