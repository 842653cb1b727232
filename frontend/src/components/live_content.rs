//! The author's loop in the page: while the server watches its content directory, this follows
//! `/api/content/events`, fetches again the pages a saved edit changed, and shows the problems of
//! an edit the server rejected (it keeps serving the last good version meanwhile).
//!
//! A server that does not watch answers the stream with 204, which closes the `EventSource` for
//! good: readers of a production site pay one request and nothing else.

use api_types::ContentEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Which pages must be fetched again: a counter that moves with each reload, and the chapters it
/// concerns (`None`: every page, as after the server restarted).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stale {
    pub generation: u64,
    pub chapters: Option<Vec<String>>,
    pub outline: bool,
}

/// Context: the latest content event and what it made stale.
#[derive(Clone, Copy)]
pub struct LiveContent {
    latest: RwSignal<Option<ContentEvent>>,
    stale: RwSignal<Stale>,
}

impl LiveContent {
    /// Provides the context and, in a browser, opens the event stream.
    pub fn provide() -> LiveContent {
        let live = LiveContent {
            latest: RwSignal::new(None),
            stale: RwSignal::new(Stale::default()),
        };
        provide_context(live);
        live.connect();
        live
    }

    /// A number that changes whenever the chapter `slug` must be fetched again. Read it inside a
    /// resource's fetcher to refetch on reload.
    pub fn chapter_generation(self, slug: Memo<String>) -> Memo<u64> {
        Memo::new(move |previous: Option<&u64>| {
            let stale = self.stale.get();
            let concerned = stale
                .chapters
                .as_ref()
                .is_none_or(|chapters| slug.with(|slug| chapters.contains(slug)));
            if concerned {
                stale.generation
            } else {
                previous.copied().unwrap_or(stale.generation)
            }
        })
    }

    /// A number that changes whenever the course outline must be fetched again.
    pub fn outline_generation(self) -> Memo<u64> {
        Memo::new(move |previous: Option<&u64>| {
            let stale = self.stale.get();
            if stale.outline || stale.chapters.is_none() {
                stale.generation
            } else {
                previous.copied().unwrap_or(stale.generation)
            }
        })
    }

    /// `first_after_reconnect`: the first event after the stream reconnected, as it does when the
    /// server restarted; anything may have changed meanwhile.
    fn receive(self, event: ContentEvent, first_after_reconnect: bool) {
        if first_after_reconnect {
            self.stale.update(|s| {
                s.generation += 1;
                s.chapters = None;
                s.outline = true;
            });
        } else if !event.changed.is_empty() || event.outline_changed {
            self.stale.update(|s| {
                s.generation += 1;
                s.chapters = Some(event.changed.clone());
                s.outline = event.outline_changed;
            });
        }
        self.latest.set(Some(event));
    }

    fn connect(self) {
        let Ok(source) = web_sys::EventSource::new("/api/content/events") else {
            return;
        };
        // How many times the stream opened, and whether its latest opening has delivered yet.
        let opened = std::rc::Rc::new(std::cell::Cell::new((0_u32, false)));
        let on_open = {
            let opened = opened.clone();
            Closure::<dyn Fn()>::new(move || opened.set((opened.get().0 + 1, false)))
        };
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
                let Some(text) = message.data().as_string() else {
                    return;
                };
                let (opens, delivered) = opened.get();
                opened.set((opens, true));
                match serde_json::from_str::<ContentEvent>(&text) {
                    Ok(event) => self.receive(event, opens > 1 && !delivered),
                    Err(error) => leptos::logging::warn!("unreadable content event: {error}"),
                }
            });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The page lives as long as the app: so do the stream and its handlers.
        on_open.forget();
        on_message.forget();
        std::mem::forget(source);
    }
}

/// A banner over every page while the content being served has problems: an edit the server
/// rejected (with its `file:line`; the page shows the last good version), or malformed blocks.
#[component]
pub fn ContentProblems() -> impl IntoView {
    let live = expect_context::<LiveContent>();
    move || {
        let event = live.latest.get()?;
        if event.rejected.is_none() && event.problems.is_empty() {
            return None;
        }
        let rejected = event.rejected.map(|reason| {
            view! {
                <p role="alert">
                    <strong>"Your last edit did not load"</strong>
                    " — still showing the last version that did. Fix it and save again:"
                    <code class="content-problem">{reason}</code>
                </p>
            }
        });
        let count = event.problems.len();
        let problems = (count > 0).then(|| {
            let items = event
                .problems
                .into_iter()
                .map(|problem| view! { <li><code class="content-problem">{problem}</code></li> })
                .collect_view();
            view! {
                // A few problems are shown open; a long list starts folded.
                <details open=count <= 3>
                    <summary>
                        {if count == 1 {
                            "1 block cannot run because it is malformed".to_owned()
                        } else {
                            format!("{count} blocks cannot run because they are malformed")
                        }}
                    </summary>
                    <ul>{items}</ul>
                </details>
            }
        });
        Some(view! {
            <aside class="content-problems" aria-label="Content problems">
                {rejected}
                {problems}
            </aside>
        })
    }
}
