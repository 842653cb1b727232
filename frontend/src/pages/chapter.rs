use api_types::{Block, Chapter};
use leptos::ev::keydown;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::CoursesResource;
use crate::api::{self, ApiFailure};
use crate::components::code_block::CodeBlockView;
use crate::components::edits::{ChapterEdits, ResetAllEdits};
use crate::components::exercise::ExerciseView;
use crate::components::files::FileSetView;
use crate::components::live_content::LiveContent;
use crate::components::shortcuts::plain_key;
use crate::components::status::{ErrorList, Loading};
use crate::demos::EmbeddedDemo;
use crate::pages::not_found::ChapterNotFound;

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

    view! {
        <div class="chapter-layout">
            <Sidebar current=slug />
            <article class="chapter">
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

/// The chapter itself: title, prose, code, and links to its neighbours.
#[component]
fn ChapterBody(
    /// The chapter to render.
    chapter: Chapter,
    /// The same chapter again, after an edit: stay where the reader is instead of going to the top.
    keep_place: bool,
) -> impl IntoView {
    document().set_title(&format!("{} · Rust Mastery Playground", chapter.title));
    if !keep_place {
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
    install_neighbour_keys(&chapter);
    ChapterEdits::provide(&chapter.slug);
    mark_painted();

    let blocks = chapter
        .blocks
        .into_iter()
        .map(|block| match block {
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
        })
        .collect_view();
    view! {
        <header class="chapter-header">
            <p class="breadcrumb">
                <A href=format!("/#course-{}", chapter.course.slug)>{chapter.course.title}</A>
            </p>
            <h1>{chapter.title}</h1>
            <p class="meta">{format!("About {} minutes", chapter.minutes)}</p>
            <p class="summary">{chapter.summary}</p>
        </header>
        <ResetAllEdits />
        <div class="chapter-content">{blocks}</div>
        <nav class="neighbours" aria-label="Chapter navigation">
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
                    Some(
                        view! {
                            <h2>{course.title}</h2>
                            <ol>
                                {course
                                    .chapters
                                    .into_iter()
                                    .map(|chapter| {
                                        let active = chapter.slug == slug;
                                        view! {
                                            <li class:active=active>
                                                <A href=format!("/learn/{}", chapter.slug)>{chapter.title}</A>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        },
                    )
                })}
            </Transition>
        </nav>
    }
}
