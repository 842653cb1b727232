//! `/teach/<chapter>`: a teacher steps through a chapter's `##` sections with the arrow keys
//! (or PageUp/PageDown, as presentation clickers send) while the class follows. The section's
//! code blocks and exercises are shown here, editable, and the [`ClassSession`] controls push
//! them as the teacher's editor has them (the saved edit, else the original).

use api_types::room::Position;
use api_types::{Block, Chapter};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiFailure};
use crate::components::code_block::CodeBlockView;
use crate::components::edits::ChapterEdits;
use crate::components::exercise::ExerciseView;
use crate::components::shortcuts::plain_key;
use crate::components::status::Loading;
use crate::pages::not_found::ChapterNotFound;
use crate::room::slides::{Stop, stops};
use crate::room::teacher::{ClassSession, exercise_on, pushable_blocks};

#[component]
pub fn TeachPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let chapter = LocalResource::new(move || api::chapter(slug.get()));
    view! {
        <Transition fallback=|| view! { <Loading label="Loading chapter…" /> }>
            {move || Suspend::new(async move {
                match chapter.await {
                    Ok(chapter) => view! { <Teaching chapter /> }.into_any(),
                    Err(ApiFailure::NotFound(_)) => view! { <ChapterNotFound slug=slug.get_untracked() /> }.into_any(),
                    Err(error) => view! { <p class="room-problem" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Teaching(
    /// The chapter being taught.
    chapter: Chapter,
) -> impl IntoView {
    document().set_title(&format!(
        "Teaching {} · Rust Mastery Playground",
        chapter.title
    ));
    ChapterEdits::provide(&chapter.slug);
    let slug = chapter.slug.clone();
    let all_stops = StoredValue::new(stops(&chapter));
    let blocks = StoredValue::new(chapter.blocks.clone());
    let count = all_stops.with_value(Vec::len);
    let current = RwSignal::new(0usize);
    let stop = move || all_stops.with_value(|s| s[current.get().min(count - 1)].clone());

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
    let position = Signal::derive(move || {
        let stop: Stop = stop();
        Position {
            chapter: position_slug.clone(),
            slide: stop.index,
            anchor: stop.anchor,
        }
    });
    let block_slug = slug.clone();
    let pushable = Signal::derive(move || {
        let stop = stop();
        blocks.with_value(|all| {
            let here: Vec<Block> = stop.blocks.iter().map(|&at| all[at].clone()).collect();
            pushable_blocks(&block_slug, &here)
        })
    });
    let exercise = Signal::derive(move || {
        let stop = stop();
        blocks.with_value(|all| {
            let here: Vec<Block> = stop.blocks.iter().map(|&at| all[at].clone()).collect();
            exercise_on(&here)
        })
    });
    let step = move |by: isize| {
        current.update(|c| *c = (*c as isize + by).clamp(0, count as isize - 1) as usize)
    };
    view! {
        <div class="teach-layout">
            <aside class="teach-controls">
                <ClassSession chapter=slug.clone() position blocks=pushable exercise />
            </aside>
            <section class="teach-stage" aria-live="polite">
                <p class="teach-chapter">{format!("Teaching: {}", chapter.title)}</p>
                <nav class="teach-nav" aria-label="Sections">
                    <button class="teach-prev" on:click=move |_| step(-1) disabled=move || { current.get() == 0 }>"‹ Previous"</button>
                    <span class="teach-where">{move || format!("{} of {}", current.get() + 1, count)}</span>
                    <button class="teach-next" on:click=move |_| step(1) disabled=move || { current.get() + 1 >= count }>"Next ›"</button>
                </nav>
                <h1 class="teach-title">{move || stop().title}</h1>
                <p class="teach-hint">"← and → (or PageUp and PageDown) move the class between sections."</p>
                {move || {
                    let stop = stop();
                    blocks.with_value(|all| {
                        stop.blocks
                            .iter()
                            .map(|&at| match all[at].clone() {
                                Block::Code(block) => view! { <CodeBlockView block /> }.into_any(),
                                Block::Exercise(exercise) => view! { <ExerciseView exercise /> }.into_any(),
                                _ => ().into_any(),
                            })
                            .collect_view()
                    })
                }}
            </section>
        </div>
    }
}
