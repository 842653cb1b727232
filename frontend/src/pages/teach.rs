//! `/teach/<chapter>`: a teacher steps through a chapter's slides (the same cut as
//! `/present/<chapter>`: the author's slide marks, else one slide per `##` section) with the arrow
//! keys (or PageUp/PageDown, as presentation clickers send) while the class follows. The slide's
//! code blocks and exercises are shown here, editable, and the [`ClassSession`] controls push
//! them as the teacher's editor has them (the saved edit, else the original). The presenter
//! console mounts the same controls.

use api_types::Block;
use api_types::present::Presentation;
use api_types::room::Position;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiFailure};
use crate::components::code_block::CodeBlockView;
use crate::components::edits::ChapterEdits;
use crate::components::exercise::ExerciseView;
use crate::components::shortcuts::plain_key;
use crate::components::status::Loading;
use crate::pages::not_found::ChapterNotFound;
use crate::room::teacher::{ClassSession, exercise_on, pushable_blocks};

#[component]
pub fn TeachPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let presentation = LocalResource::new(move || api::presentation(slug.get()));
    view! {
        <Transition fallback=|| view! { <Loading label="Loading chapter…" /> }>
            {move || Suspend::new(async move {
                match presentation.await {
                    Ok(presentation) => view! { <Teaching presentation /> }.into_any(),
                    Err(ApiFailure::NotFound(_)) => view! { <ChapterNotFound slug=slug.get_untracked() /> }.into_any(),
                    Err(error) => view! { <p class="room-problem" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Teaching(
    /// The chapter being taught, cut into the same slides as its presentation (so a class led from
    /// here or from the presenter console stands at the same numbered places).
    presentation: Presentation,
) -> impl IntoView {
    let title = presentation.chapter.title.clone();
    document().set_title(&format!("Teaching {title} · Rust Mastery Playground"));
    let slug = presentation.chapter.slug.clone();
    ChapterEdits::provide(&slug);
    let count = presentation.slides.len().max(1);
    let slides = StoredValue::new(presentation.slides);
    let current = RwSignal::new(0usize);
    let slide = move || slides.with_value(|s| s.get(current.get().min(count - 1)).cloned());

    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        let Some(key) = plain_key(&event) else { return };
        let step: isize = match key.as_str() {
            "ArrowRight" | "PageDown" => 1,
            "ArrowLeft" | "PageUp" => -1,
            _ => return,
        };
        event.prevent_default();
        current.update(|c| *c = (*c as isize + step).clamp(0, count as isize - 1) as usize);
    });
    on_cleanup(move || handle.remove());

    let position_slug = slug.clone();
    let position = Signal::derive(move || Position {
        chapter: position_slug.clone(),
        slide: current.get() as u32,
        anchor: slide().map(|s| s.anchor).unwrap_or_default(),
    });
    let block_slug = slug.clone();
    let pushable = Signal::derive(move || {
        slide().map_or_else(Vec::new, |s| pushable_blocks(&block_slug, &s.blocks))
    });
    let exercise = Signal::derive(move || slide().and_then(|s| exercise_on(&s.title, &s.blocks)));
    let step = move |by: isize| {
        current.update(|c| *c = (*c as isize + by).clamp(0, count as isize - 1) as usize)
    };
    view! {
        <div class="teach-layout">
            <aside class="teach-controls">
                <ClassSession chapter=slug.clone() position blocks=pushable exercise />
            </aside>
            <section class="teach-stage" aria-live="polite">
                <p class="teach-chapter">{format!("Teaching: {title}")}</p>
                <nav class="teach-nav" aria-label="Slides">
                    <button class="teach-prev" on:click=move |_| step(-1) disabled=move || { current.get() == 0 }>"‹ Previous"</button>
                    <span class="teach-where">{move || format!("{} of {}", current.get() + 1, count)}</span>
                    <button class="teach-next" on:click=move |_| step(1) disabled=move || { current.get() + 1 >= count }>"Next ›"</button>
                </nav>
                <h1 class="teach-title">{move || slide().map(|s| s.title).unwrap_or_default()}</h1>
                <p class="teach-hint">"← and → (or PageUp and PageDown) move the class between slides."</p>
                {move || {
                    slide()
                        .map(|s| s.blocks)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|block| match block {
                            Block::Code(block) => Some(view! { <CodeBlockView block /> }.into_any()),
                            Block::Exercise(exercise) => Some(view! { <ExerciseView exercise /> }.into_any()),
                            _ => None,
                        })
                        .collect_view()
                }}
            </section>
        </div>
    }
}
