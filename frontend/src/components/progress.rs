//! The learner's progress in the page: the store (a context over localStorage, kept in step
//! across tabs), the hooks chapters call when something is done, and the pieces that show it
//! (marks in outlines, a summary line, export and import).

use api_types::ChapterSummary;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::prefs::storage;
use crate::progress::{ChapterProgress, ChapterStatus, Done, Progress, STORAGE_KEY};

/// Context: the learner's progress. Every change is saved at once.
#[derive(Clone, Copy)]
pub struct ProgressStore {
    progress: RwSignal<Progress>,
}

/// Context inside a chapter page: which chapter the blocks belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentChapter(pub String);

fn load() -> Progress {
    let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    Progress::parse_stored(stored.as_deref()).unwrap_or_else(|error| {
        leptos::logging::warn!("ignoring unreadable progress in localStorage: {error}");
        Progress::default()
    })
}

impl ProgressStore {
    /// Loads the stored progress and provides the store; another tab's changes arrive through
    /// the `storage` event.
    pub fn provide() -> ProgressStore {
        let store = ProgressStore {
            progress: RwSignal::new(load()),
        };
        provide_context(store);
        let handle = window_event_listener(ev::storage, move |event| {
            if event.key().as_deref() == Some(STORAGE_KEY) {
                store.progress.set(load());
            }
        });
        on_cleanup(move || handle.remove());
        store
    }

    fn update(self, change: impl FnOnce(&mut Progress)) {
        self.progress.update(|progress| {
            change(progress);
            if let Some(storage) = storage()
                && let Err(error) = storage.set_item(STORAGE_KEY, &progress.to_stored())
            {
                leptos::logging::warn!("cannot save progress: {error:?}");
            }
        });
    }

    fn change_chapter(self, slug: &str, change: impl FnOnce(&mut ChapterProgress)) {
        self.update(|p| change(p.chapter_mut(slug)));
    }

    pub fn set_read(self, slug: &str, read: bool) {
        if self.is_read_untracked(slug) != read {
            self.change_chapter(slug, |c| c.read = read);
        }
    }

    fn is_read_untracked(self, slug: &str) -> bool {
        self.progress
            .with_untracked(|p| p.chapter(slug).is_some_and(|c| c.read))
    }

    /// Whether `slug` is read (tracked).
    pub fn is_read(self, slug: &str) -> bool {
        self.progress
            .with(|p| p.chapter(slug).is_some_and(|c| c.read))
    }

    /// Adds `id` to one of the chapter's sets, saving only when it is new (runs finish often).
    fn record(self, slug: &str, id: &str, kind: Done) {
        let known = self
            .progress
            .with_untracked(|p| p.chapter(slug).is_some_and(|c| c.set(kind).contains(id)));
        if !known {
            self.change_chapter(slug, |c| {
                c.set_mut(kind).insert(id.to_owned());
            });
        }
    }

    pub fn record_run(self, slug: &str, block: &str) {
        self.record(slug, block, Done::Ran);
    }

    pub fn record_solved(self, slug: &str, exercise: &str) {
        self.record(slug, exercise, Done::Solved);
    }

    pub fn set_ticked(self, slug: &str, task: &str, ticked: bool) {
        self.change_chapter(slug, |c| {
            if ticked {
                c.ticked.insert(task.to_owned());
            } else {
                c.ticked.remove(task);
            }
        });
    }

    /// Whether a checklist item is ticked (tracked).
    pub fn is_ticked(self, slug: &str, task: &str) -> bool {
        self.progress
            .with(|p| p.chapter(slug).is_some_and(|c| c.ticked.contains(task)))
    }

    /// `chapter`'s progress counted against what it has now (tracked).
    pub fn status(self, chapter: &ChapterSummary) -> ChapterStatus {
        self.progress.with(|p| p.status(chapter))
    }

    /// Everything, for export.
    pub fn snapshot(self) -> Progress {
        self.progress.get_untracked()
    }

    /// Adds imported progress; returns how many chapters gained something.
    pub fn merge(self, imported: Progress) -> usize {
        let mut gained = 0;
        self.update(|p| gained = p.merge(imported));
        gained
    }
}

/// Records what a learner did with one block of the current chapter: made inside the block's
/// component (where the contexts are), called from its run callbacks. Does nothing outside a
/// chapter page.
#[derive(Clone, Copy)]
pub struct Recorder {
    store: Option<ProgressStore>,
    /// The class session this tab follows, told how exercises went (the teacher's dashboard).
    room: Option<crate::room::student::StudentRoom>,
    chapter: Option<StoredValue<String>>,
    block: StoredValue<String>,
}

impl Recorder {
    pub fn new(block: &str) -> Recorder {
        Recorder {
            store: use_context::<ProgressStore>(),
            room: crate::room::student::current(),
            chapter: use_context::<CurrentChapter>().map(|c| StoredValue::new(c.0)),
            block: StoredValue::new(block.to_owned()),
        }
    }

    /// The block (an example) ran to the end.
    pub fn ran(self) {
        if let (Some(store), Some(chapter)) = (self.store, self.chapter) {
            store.record_run(&chapter.get_value(), &self.block.get_value());
        }
    }

    /// A run or test run of the block (an exercise) finished: the class dashboard counts it.
    pub fn finished(self, result: &api_types::ExecutionResult) {
        if let Some(room) = self.room {
            room.report(&self.block.get_value(), result);
        }
    }

    /// The block (an exercise) passed all its tests.
    pub fn solved(self) {
        if let (Some(store), Some(chapter)) = (self.store, self.chapter) {
            store.record_solved(&chapter.get_value(), &self.block.get_value());
        }
    }
}

/// Keeps the checklist boxes (`input.task[data-task]`, rendered by the server from task lists)
/// inside `root` in step with the store, and saves each tick.
pub fn wire_checklists(root: web_sys::Element, slug: String) {
    let Some(store) = use_context::<ProgressStore>() else {
        return;
    };
    let boxes = move || -> Vec<web_sys::HtmlInputElement> {
        let Ok(list) = root.query_selector_all("input.task[data-task]") else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok())
            .collect()
    };
    // Ticks made elsewhere (another tab, an import) show here too.
    {
        let slug = slug.clone();
        let boxes = boxes.clone();
        Effect::new(move |_| {
            for input in boxes() {
                let id = input.get_attribute("data-task").unwrap_or_default();
                input.set_checked(store.is_ticked(&slug, &id));
            }
        });
    }
    for input in boxes() {
        let slug = slug.clone();
        let on_change = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(input) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let id = input.get_attribute("data-task").unwrap_or_default();
            store.set_ticked(&slug, &id, input.checked());
        });
        let _ =
            input.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        // Lives as long as the box, which the chapter owns.
        on_change.forget();
    }
}

/// "3/12" style counts of a chapter or a whole part or course, as words for a screen reader.
#[component]
pub fn StatusLine(
    /// The counts to show.
    status: ChapterStatus,
) -> impl IntoView {
    let mut parts = Vec::new();
    if status.examples > 0 {
        parts.push(format!("{}/{} examples run", status.ran, status.examples));
    }
    if status.exercises > 0 {
        parts.push(format!(
            "{}/{} exercises solved",
            status.solved, status.exercises
        ));
    }
    if status.tasks > 0 {
        parts.push(format!(
            "{}/{} checklist items",
            status.ticked, status.tasks
        ));
    }
    view! { <span class="status-line">{parts.join(" · ")}</span> }
}

/// A bar showing a fraction, with its value in words.
#[component]
pub fn ProgressBar(
    /// Done so far.
    #[prop(into)]
    done: Signal<usize>,
    /// Out of.
    total: usize,
    /// What is counted ("chapters read").
    label: &'static str,
) -> impl IntoView {
    let percent = move || (done.get() * 100).checked_div(total).unwrap_or(0);
    view! {
        <div class="progress-bar" role="progressbar" aria-label=label aria-valuemin="0"
            aria-valuemax=total.to_string() aria-valuenow=move || done.get().to_string()
            aria-valuetext=move || format!("{} of {total} {label}", done.get())>
            <div class="progress-fill" style=move || format!("width: {}%", percent())></div>
        </div>
        <span class="progress-words">{move || format!("{} of {total} {label}", done.get())}</span>
    }
}

/// Export and import of progress as a file.
#[component]
pub fn ProgressFile() -> impl IntoView {
    let store = expect_context::<ProgressStore>();
    let message = RwSignal::new(None::<(bool, String)>);
    let export = move |_| {
        let now = js_sys::Date::new_0();
        let stamp: String = now.to_iso_string().into();
        let text = store.snapshot().export(&stamp);
        match download(&text, &format!("rust-mastery-progress-{}.json", &stamp[..10])) {
            Ok(()) => message.set(Some((true, "Progress exported: keep the file, and import it in another browser to continue there.".into()))),
            Err(error) => message.set(Some((false, format!("Could not export: {error}")))),
        }
    };
    let on_file = move |event: web_sys::Event| {
        let Some(input) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => text.as_string().unwrap_or_default(),
                Err(_) => {
                    message.set(Some((false, "The file could not be read.".into())));
                    return;
                }
            };
            match Progress::import(&text) {
                Ok(imported) => {
                    let chapters = imported.chapters.len();
                    let gained = store.merge(imported);
                    message.set(Some((
                        true,
                        format!(
                            "Imported progress for {chapters} chapter{}; {gained} gained something new.",
                            if chapters == 1 { "" } else { "s" }
                        ),
                    )));
                }
                Err(error) => message.set(Some((false, error))),
            }
        });
    };
    view! {
        <div class="progress-file">
            <button type="button" on:click=export>"Export progress"</button>
            <label class="button-like">
                "Import progress…"
                <input type="file" accept=".json,application/json" class="visually-hidden" on:change=on_file />
            </label>
            <p class="progress-file-message" role="status" class:error=move || message.get().is_some_and(|(ok, _)| !ok)>
                {move || message.get().map(|(_, text)| text)}
            </p>
        </div>
    }
}

/// Saves `text` as a file named `name` through a temporary link.
fn download(text: &str, name: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| crate::api::js_message(&e))?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| crate::api::js_message(&e))?;
    let link: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|e| crate::api::js_message(&e))?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
