use api_types::{Block, Chapter};
use leptos::ev::keydown;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use wasm_bindgen::JsCast;

use crate::CoursesResource;
use crate::api::{self, ApiFailure};
use crate::components::code_block::CodeBlockView;
use crate::components::edits::ChapterEdits;
use crate::components::exercise::ExerciseView;
use crate::components::files::FileSetView;
use crate::components::live_content::LiveContent;
use crate::components::progress::{CurrentChapter, ProgressStore, wire_checklists};
use crate::components::shortcuts::plain_key;
use crate::components::status::{ErrorList, Loading};
use crate::demos::EmbeddedDemo;
use crate::lazy::{self, lazy_part};
use crate::pages::not_found::ChapterNotFound;
use crate::prefs::storage;

/// `/learn/:slug`: a chapter with its course's outline beside it.
#[component]
pub fn ChapterPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let generation = expect_context::<LiveContent>().chapter_generation(slug);
    let chapter = LocalResource::new(move || {
        // Fetched again when a saved edit changes this chapter (the author's loop).
        generation.track();
        api::chapter(slug.get())
    });
    // The chapter last shown: a reload of the same chapter keeps the reader's place.
    let shown = StoredValue::new(String::new());

    // A teacher at a projector hides the outline to give the chapter the whole width; remembered.
    let outline_hidden = RwSignal::new(outline_hidden_stored());
    let toggle_outline = move |_| {
        outline_hidden.update(|hidden| *hidden = !*hidden);
        if let Some(storage) = storage() {
            let _ = storage.set_item(OUTLINE_KEY, &outline_hidden.get_untracked().to_string());
        }
    };
    view! {
        <div class="chapter-layout" class:outline-hidden=move || outline_hidden.get()>
            <Sidebar current=slug />
            <article class="chapter">
                <button type="button" class="outline-toggle" aria-pressed=move || outline_hidden.get().to_string()
                    on:click=toggle_outline>
                    {move || if outline_hidden.get() { "☰ Show outline" } else { "⇤ Hide outline" }}
                </button>
                <Transition fallback=|| view! { <Loading label="Loading chapter…" /> }>
                    <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                        {move || Suspend::new(async move {
                            match chapter.await {
                                Ok(chapter) => {
                                    let keep_place = shown.get_value() == chapter.slug;
                                    shown.set_value(chapter.slug.clone());
                                    Ok(view! { <ChapterBody chapter keep_place /> }.into_any())
                                }
                                Err(ApiFailure::NotFound(_)) => {
                                    Ok(view! { <ChapterNotFound slug=slug.get_untracked() /> }.into_any())
                                }
                                Err(other) => Err(other),
                            }
                        })}
                    </ErrorBoundary>
                </Transition>
            </article>
        </div>
    }
}

const OUTLINE_KEY: &str = "rmp.outlineHidden";

fn outline_hidden_stored() -> bool {
    storage()
        .and_then(|s| s.get_item(OUTLINE_KEY).ok().flatten())
        .is_some_and(|v| v == "true")
}

/// The chapter itself: title, prose, code, and links to its neighbours.
#[component]
fn ChapterBody(
    /// The chapter to render.
    chapter: Chapter,
    /// The same chapter again, after an edit: stay where the reader is instead of going to the top.
    keep_place: bool,
) -> impl IntoView {
    document().set_title(&format!("{} · Rust Mastery Playground", chapter.title));
    let has_target = !window().location().hash().unwrap_or_default().is_empty();
    if !keep_place && !has_target {
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
    follow_hash();
    install_neighbour_keys(&chapter);
    let chapter_edits = ChapterEdits::provide(&chapter.slug);
    provide_context(CurrentChapter(chapter.slug.clone()));
    mark_painted();
    let content = NodeRef::<leptos::html::Div>::new();
    let end = NodeRef::<leptos::html::Nav>::new();
    {
        let slug = chapter.slug.clone();
        Effect::new(move |wired: Option<bool>| {
            if wired == Some(true) {
                return true;
            }
            let Some(root) = content.get() else {
                return false;
            };
            wire_checklists(root.into(), slug.clone());
            true
        });
    }
    mark_read_at_the_end(&chapter.slug, end);

    let blocks = chapter.blocks.into_iter().map(live_block).collect_view();
    view! {
        // `top`: where a presentation's title slide starts (`course::slides::TOP_ANCHOR`).
        <header class="chapter-header" id="top">
            <p class="breadcrumb">
                <A href=format!("/courses/{}", chapter.course.slug)>{chapter.course.title}</A>
                <A href=format!("/present/{}", chapter.slug) attr:class="present-link">"Present"</A>
            </p>
            <h1>{chapter.title}</h1>
            <p class="meta">
                {format!("About {} minutes", chapter.minutes)}
                <ReadToggle slug=chapter.slug.clone() />
            </p>
            <p class="summary">{chapter.summary}</p>
        </header>
        // Fetched once there is an edit to reset (`lazy.rs`).
        {lazy_part(
            lazy::reset_all_edits,
            move || chapter_edits.edited.with(|edited| !edited.is_empty()),
            |reset| reset(),
        )}
        <div class="chapter-content" node_ref=content>{blocks}</div>
        <nav class="neighbours" aria-label="Chapter navigation" node_ref=end>
            {chapter
                .previous
                .map(|p| {
                    view! {
                        <A href=format!("/learn/{}", p.slug) attr:class="previous" attr:rel="prev">
                            <span class="direction">"← Previous"</span>
                            <span>{p.title}</span>
                        </A>
                    }
                })}
            {chapter
                .next
                .map(|n| {
                    view! {
                        <A href=format!("/learn/{}", n.slug) attr:class="next" attr:rel="next">
                            <span class="direction">"Next →"</span>
                            <span>{n.title}</span>
                        </A>
                    }
                })}
        </nav>
    }
}

/// A course's chapters, grouped by part when it has parts, with the learner's read marks.
#[component]
fn Outline(
    /// The course.
    course: api_types::CourseSummary,
    /// The chapter being read.
    current: String,
) -> impl IntoView {
    let store = expect_context::<ProgressStore>();
    let item = move |chapter: &api_types::ChapterSummary| {
        let active = chapter.slug == current;
        let slug = chapter.slug.clone();
        let href = format!("/learn/{}", chapter.slug);
        let title = chapter.title.clone();
        let read = Memo::new(move |_| store.is_read(&slug));
        view! {
            <li class:active=active class:read=read>
                <A href=href attr:aria-current=active.then_some("page")>
                    {title}
                    <span class="read-mark" aria-hidden="true">{move || if read.get() { " ✓" } else { "" }}</span>
                    <span class="visually-hidden">{move || if read.get() { " (read)" } else { "" }}</span>
                </A>
            </li>
        }
    };
    let groups = if course.parts.is_empty() {
        view! { <ol>{course.chapters.iter().map(item.clone()).collect_view()}</ol> }.into_any()
    } else {
        course
            .parts
            .iter()
            .map(|part| {
                let chapters = course
                    .chapters
                    .iter()
                    .filter(|c| c.part.as_deref() == Some(part.id.as_str()))
                    .map(item.clone())
                    .collect_view();
                view! {
                    <h3 class="part-title">{part.title.clone()}</h3>
                    <ol>{chapters}</ol>
                }
            })
            .collect_view()
            .into_any()
    };
    // On a wide screen the outline is a column beside the chapter, always open; on a phone it sits
    // above the chapter, folded, so the chapter is on the first screen (a month of Rust Mastery is
    // twenty links).
    let wide = window()
        .match_media("(min-width: 60rem)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    let count = course.chapters.len();
    view! {
        <h2><A href=format!("/courses/{}", course.slug)>{course.title.clone()}</A></h2>
        <details class="outline" open=wide>
            <summary>{format!("All {count} chapters")}</summary>
            {groups}
        </details>
    }
}

/// "Mark as read" / "Read": the learner's own say over a chapter's read mark (which is also set
/// by reaching the end).
#[component]
fn ReadToggle(
    /// The chapter.
    slug: String,
) -> impl IntoView {
    let store = expect_context::<ProgressStore>();
    let slug = StoredValue::new(slug);
    let read = move || slug.with_value(|s| store.is_read(s));
    view! {
        <button type="button" class="read-toggle" aria-pressed=move || read().to_string()
            title="Reaching the end of the chapter marks it read; this button changes it"
            on:click=move |_| slug.with_value(|s| store.set_read(s, !read()))>
            {move || if read() { "✓ Read" } else { "Mark as read" }}
        </button>
    }
}

/// Marks the chapter read once its end (the previous/next links) comes into view.
fn mark_read_at_the_end(slug: &str, end: NodeRef<leptos::html::Nav>) {
    let Some(store) = use_context::<ProgressStore>() else {
        return;
    };
    let slug = StoredValue::new(slug.to_owned());
    let check = move || {
        let Some(nav) = end.get_untracked() else {
            return;
        };
        let height = window()
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(0.0);
        if nav.get_bounding_client_rect().top() < height {
            slug.with_value(|s| store.set_read(s, true));
        }
    };
    let handle = window_event_listener(leptos::ev::scroll, move |_| check());
    on_cleanup(move || handle.remove());
    // A chapter short enough to end on the first screen is read once shown (after layout).
    request_animation_frame(check);
}

/// Brings the element the URL's `#anchor` names (a heading, a code block, an exercise) into view
/// and gives it focus, when the chapter is shown and whenever the anchor changes: a search result,
/// a heading's `#` link or a shared link lands on its place. Once more after the editors have
/// settled, since they change the page's height as they mount.
fn follow_hash() {
    let location = use_location();
    Effect::new(move |_| {
        let hash = location.hash.get();
        let id = hash.trim_start_matches('#').to_owned();
        if id.is_empty() {
            return;
        }
        let first = id.clone();
        request_animation_frame(move || reveal(&first, true));
        set_timeout(
            move || reveal(&id, false),
            std::time::Duration::from_millis(400),
        );
    });
}

fn reveal(id: &str, focus: bool) {
    let id = js_sys::decode_uri_component(id)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| id.to_owned());
    let Some(target) = document().get_element_by_id(&id) else {
        return;
    };
    target.scroll_into_view();
    if !focus {
        return;
    }
    // Headings and blocks are not focusable; tabindex -1 lets focus (and a screen reader's
    // reading position) move there without adding them to the Tab order.
    if !target.has_attribute("tabindex") {
        let _ = target.set_attribute("tabindex", "-1");
    }
    if let Some(element) = target.dyn_ref::<web_sys::HtmlElement>() {
        let options = web_sys::FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = element.focus_with_options(&options);
    }
    let _ = target.class_list().add_1("arrived");
    set_timeout(
        move || {
            let _ = target.class_list().remove_1("arrived");
        },
        std::time::Duration::from_millis(2000),
    );
}

/// Leaves a `rmp:chapter-painted` performance mark at the first frame after the chapter is in the
/// page, so its load time can be read from the browser (the e2e suite prints it).
fn mark_painted() {
    Effect::new(move |_| {
        request_animation_frame(|| {
            if let Some(performance) = window().performance() {
                let _ = performance.mark("rmp:chapter-painted");
            }
        });
    });
}

/// `[` and `]` go to the previous and next chapter while this chapter is shown.
fn install_neighbour_keys(chapter: &Chapter) {
    let previous = chapter.previous.as_ref().map(|c| c.slug.clone());
    let next = chapter.next.as_ref().map(|c| c.slug.clone());
    let navigate = use_navigate();
    let handle = window_event_listener(keydown, move |event| {
        let target = match plain_key(&event).as_deref() {
            Some("[") => previous.as_ref(),
            Some("]") => next.as_ref(),
            _ => None,
        };
        if let Some(slug) = target {
            event.prevent_default();
            navigate(&format!("/learn/{slug}"), Default::default());
        }
    });
    on_cleanup(move || handle.remove());
}

/// The outline of the current chapter's course.
#[component]
fn Sidebar(
    /// The slug of the chapter being read, highlighted in the outline.
    current: Memo<String>,
) -> impl IntoView {
    let CoursesResource(courses) = expect_context::<CoursesResource>();
    view! {
        <nav class="sidebar" aria-label="Chapters in this course">
            <Transition fallback=|| view! { <Loading label="Loading outline…" /> }>
                {move || Suspend::new(async move {
                    let list = courses.await.ok()?;
                    let slug = current.get();
                    let course = list
                        .courses
                        .into_iter()
                        .find(|course| course.chapters.iter().any(|c| c.slug == slug))?;
                    Some(view! { <Outline course current=slug /> })
                })}
            </Transition>
        </nav>
    }
}

/// One block of a chapter as the reading page shows it: prose, and live examples, demos,
/// exercises and projects. The projector's slides show their blocks the same way (the server
/// leaves speaker notes off a slide, so there they never appear).
pub fn live_block(block: Block) -> AnyView {
    match block {
        Block::Prose { html } => view! { <div class="prose" inner_html=html></div> }.into_any(),
        Block::Code(code) => view! { <CodeBlockView block=code /> }.into_any(),
        Block::Demo { name } => view! { <EmbeddedDemo name /> }.into_any(),
        Block::Notes { html } => view! {
            <details class="speaker-notes">
                <summary>"Speaker notes"</summary>
                <div class="prose" inner_html=html></div>
            </details>
        }
        .into_any(),
        Block::Exercise(exercise) => view! { <ExerciseView exercise /> }.into_any(),
        Block::Files(set) => view! { <FileSetView set /> }.into_any(),
    }
}
