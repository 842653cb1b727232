//! Search across every course: a button in the top bar, `/` or Ctrl+K anywhere, and a dialog
//! whose results jump to the chapter, the section or the code block.
//!
//! The index (`GET /api/search`) is fetched the first time a reader opens search and kept for the
//! rest of the visit; searching is [`crate::search::find`] in the page, so it answers at each key
//! press and keeps working when the connection does not.

use std::sync::Arc;

use api_types::SearchIndex;
use leptos::ev::keydown;
use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::dialog::modal;
use crate::search::{Hit, HitKind, find};

/// Whether the search dialog is open.
#[derive(Clone, Copy)]
pub struct SearchOpen(pub RwSignal<bool>);

/// Where the index is, for the whole visit.
#[derive(Clone, Debug)]
enum IndexState {
    NotLoaded,
    Loading,
    Ready(Arc<SearchIndex>),
    Failed(String),
}

#[derive(Clone, Copy)]
struct SearchData(RwSignal<IndexState>);

impl SearchOpen {
    /// Provides the open state and installs Ctrl+K / ⌘K (the `/` key is one of the app's plain
    /// shortcuts). Call once, from the app root.
    pub fn provide() {
        let open = SearchOpen(RwSignal::new(false));
        provide_context(open);
        provide_context(SearchData(RwSignal::new(IndexState::NotLoaded)));
        let _handle = window_event_listener(keydown, move |event| {
            if (event.ctrl_key() || event.meta_key()) && event.key().eq_ignore_ascii_case("k") {
                event.prevent_default();
                open.0.set(true);
            }
        });
    }
}

/// Fetches the index unless it is loaded or on its way.
fn load(data: SearchData) {
    if matches!(
        data.0.get_untracked(),
        IndexState::Loading | IndexState::Ready(_)
    ) {
        return;
    }
    data.0.set(IndexState::Loading);
    leptos::task::spawn_local(async move {
        data.0.set(match api::search_index().await {
            Ok(index) => IndexState::Ready(Arc::new(index)),
            Err(failure) => IndexState::Failed(failure.to_string()),
        });
    });
}

/// The top bar's Search button.
#[component]
pub fn SearchButton() -> impl IntoView {
    let SearchOpen(open) = expect_context::<SearchOpen>();
    view! {
        <button
            type="button"
            class="search-button"
            title="Search all courses (/ or Ctrl+K)"
            aria-label="Search"
            aria-keyshortcuts="/ Control+K"
            on:click=move |_| open.set(true)
        >
            <svg class="search-icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
                <circle cx="8.5" cy="8.5" r="5.5" />
                <line x1="12.6" y1="12.6" x2="17.5" y2="17.5" />
            </svg>
            // On a phone only the icon shows; the button's name stays "Search".
            <span class="search-label">" Search"</span>
        </button>
    }
}

/// The search dialog. Mounted once, at the app root.
#[component]
pub fn SearchDialog() -> impl IntoView {
    let SearchOpen(open) = expect_context::<SearchOpen>();
    let data = expect_context::<SearchData>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let input = NodeRef::<leptos::html::Input>::new();
    let list = NodeRef::<leptos::html::Ol>::new();
    let query = RwSignal::new(String::new());
    // Set when the reader follows a result: the chapter then takes focus, not the old element.
    let chose = StoredValue::new(false);
    // The query stays for the next time, selected, so typing replaces it.
    let (on_close, on_backdrop) = modal(
        open,
        dialog,
        move || {
            load(data);
            chose.set_value(false);
            if let Some(field) = input.get_untracked() {
                let _ = field.focus();
                field.select();
            }
        },
        move || chose.get_value(),
    );

    let results = Memo::new(move |_| {
        let text = query.get();
        match data.0.get() {
            IndexState::Ready(index) => Some(find(&index, &text)),
            _ => None,
        }
    });

    // Arrow keys move between the field and the results; Enter follows the focused link.
    let links = move || -> Vec<web_sys::HtmlElement> {
        let Some(list) = list.get_untracked() else {
            return Vec::new();
        };
        let Ok(found) = list.query_selector_all("a") else {
            return Vec::new();
        };
        (0..found.length())
            .filter_map(|i| found.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
            .collect()
    };
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        let step: i32 = match event.key().as_str() {
            "ArrowDown" => 1,
            "ArrowUp" => -1,
            _ => return,
        };
        let links = links();
        let active = document().active_element();
        let at = links
            .iter()
            .position(|l| active.as_ref() == Some(l.unchecked_ref::<web_sys::Element>()));
        let next = match at {
            None if step > 0 => Some(0),
            None => None,
            Some(0) if step < 0 => {
                if let Some(field) = input.get_untracked() {
                    let _ = field.focus();
                }
                event.prevent_default();
                return;
            }
            Some(i) => Some((i as i32 + step).clamp(0, links.len() as i32 - 1) as usize),
        };
        if let Some(link) = next.and_then(|i| links.get(i)) {
            event.prevent_default();
            let _ = link.focus();
        }
    };

    let status = move || match data.0.get() {
        IndexState::NotLoaded | IndexState::Loading => {
            view! { <span>"Loading the search index…"</span> }.into_any()
        }
        IndexState::Failed(reason) => view! {
            <span>{format!("Search is not available: {reason}")}</span>
            " "
            <button type="button" on:click=move |_| load(data)>"Try again"</button>
        }
        .into_any(),
        IndexState::Ready(_) => {
            let text = query.get();
            let count = results.get().map_or(0, |r| r.len());
            let words = text.trim();
            let message = if words.is_empty() {
                "Type to search every course: titles, headings, text and code.".to_owned()
            } else if count == 0 {
                format!("Nothing found for “{words}”. Try fewer or shorter words.")
            } else {
                let more = if count == crate::search::MAX_RESULTS {
                    " (the best; add a word to narrow them)"
                } else {
                    ""
                };
                let plural = if count == 1 { "result" } else { "results" };
                format!("{count} {plural} for “{words}”{more}")
            };
            view! { <span>{message}</span> }.into_any()
        }
    };

    view! {
        <dialog
            class="dialog search-dialog"
            node_ref=dialog
            aria-labelledby="search-title"
            on:close=on_close
            on:click=on_backdrop
            on:keydown=on_keydown
        >
            <h2 id="search-title" class="visually-hidden">"Search the courses"</h2>
            <div class="search-field">
                <label for="search-input">"Search"</label>
                <input
                    id="search-input"
                    type="search"
                    node_ref=input
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="lifetimes, Pin, AtomicUsize…"
                    aria-describedby="search-status"
                    prop:value=move || query.get()
                    on:input=move |event| query.set(event_target_value(&event))
                />
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
            <p id="search-status" class="search-status" role="status">{status}</p>
            <ol class="search-results" node_ref=list>
                {move || {
                    results
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|hit| {
                            let on_choose = move || {
                                chose.set_value(true);
                                open.set(false);
                            };
                            view! { <SearchResult hit on_choose /> }
                        })
                        .collect_view()
                }}
            </ol>
        </dialog>
    }
}

/// One result: where it is, what kind of place, and the words around the match.
#[component]
fn SearchResult(
    /// The result to show.
    hit: Hit,
    /// Called when the reader follows it (the dialog closes).
    on_choose: impl Fn() + 'static,
) -> impl IntoView {
    let mut place = vec![hit.course, hit.chapter];
    if !hit.heading.is_empty() && hit.kind != HitKind::Title {
        place.push(hit.heading);
    }
    let snippet = hit.snippet;
    let text = view! {
        {snippet.before}
        <mark>{snippet.matched}</mark>
        {snippet.after}
    };
    let excerpt = if hit.kind == HitKind::Code {
        view! { <code class="search-snippet">{text}</code> }.into_any()
    } else {
        view! { <span class="search-snippet">{text}</span> }.into_any()
    };
    view! {
        <li>
            <A href=hit.href on:click=move |_| on_choose()>
                <span class="search-place">
                    <span class="search-kind">{hit.kind.label()}</span>
                    {place.join(" › ")}
                </span>
                {excerpt}
            </A>
        </li>
    }
}
