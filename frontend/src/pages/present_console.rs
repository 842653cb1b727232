//! `/present/:slug/console`: the presenter's own window. The slide on the projector and the next
//! one, the speaker notes, the clock, the time on this slide against its budget and the session
//! against the chapter's, and whether that is ahead, on time or behind. Moving here moves the
//! projector, and the other way round ([`crate::present`]); during a class session also on the
//! teacher's phone, which opens this page from the address the "Open on your phone" card shows
//! (the room and its secret in the fragment, taken out of the address bar at once).

use api_types::Block;
use api_types::present::{Presentation, Slide};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::present::deck::{Deck, needs_title, slide_path};
use crate::present::keys::{Command, KeyListener};
use crate::present::loader::presentation_page;
use crate::present::pacing::{clock, pace};
use crate::present::record::now;
use crate::present::room_sync;
use crate::room::join_card;
use crate::room::phone::PhoneConsoleCard;
use crate::room::teacher::{ClassSession, TeacherLink, exercise_on, pushable_blocks};
use crate::room::teacher_store;

#[component]
pub fn PresentConsolePage() -> impl IntoView {
    // A phone opening the address its teacher's console showed: keep the room, and take the
    // secret out of the address bar before anything else runs.
    teacher_store::take_from_address();
    let params = use_params_map();
    let slug = params.read_untracked().get("slug").unwrap_or_default();
    presentation_page(
        "present-root console-root",
        "Loading the presenter console…",
        slug,
        |presentation| view! { <Console presentation /> }.into_any(),
    )
}

#[component]
fn Console(
    /// The chapter's slides.
    presentation: Presentation,
) -> impl IntoView {
    let deck = Deck::start(&presentation, None);
    let slug = deck.slug();
    // The room this browser teaches, if any (started here, in another tab, or on the laptop
    // whose phone code this browser scanned): the deck moves with the teacher's other devices.
    let link = TeacherLink::new();
    room_sync::bind(deck, &presentation, link);
    document().set_title(&format!(
        "{} (presenter console) · Rust Mastery Playground",
        presentation.chapter.title
    ));
    let keys = KeyListener::install(move |command| {
        match command {
            Command::Next => deck.next(),
            Command::Previous => deck.previous(),
            Command::First => deck.go(0),
            Command::Last => deck.last(),
            Command::Blank => deck.toggle_blank(),
            // The projector's own; here the keys would only surprise.
            Command::Fullscreen | Command::Help | Command::Exit => return false,
        }
        true
    });
    StoredValue::new_local(keys);

    // The clock ticks every second; the record is read again on each tick and each move, so the
    // times are right whichever window moved and whichever reloaded.
    let tick = RwSignal::new(now());
    if let Ok(handle) = set_interval_with_handle(
        move || tick.set(now()),
        std::time::Duration::from_millis(1000),
    ) {
        on_cleanup(move || handle.clear());
    }
    let record = Memo::new(move |_| {
        tick.track();
        deck.changes.track();
        deck.slide.track();
        deck.record()
    });

    let budgets: Vec<u32> = presentation.slides.iter().map(|s| s.minutes).collect();
    let total = presentation.minutes;
    let count = presentation.slides.len();
    let slides = StoredValue::new(presentation.slides);
    let budgets = StoredValue::new(budgets);
    let slide_at = move |at: usize| slides.with_value(|slides| slides.get(at).cloned());
    let current = move || slide_at(deck.slide.get());
    let next = move || slide_at(deck.slide.get() + 1);

    let elapsed = move || record.with(|r| r.elapsed_seconds(tick.get()));
    let on_slide = move || record.with(|r| r.on_slide_seconds(tick.get()));
    let budget = move || current().map_or(0, |s| s.minutes);
    let signal = move || budgets.with_value(|b| pace(b, deck.slide.get(), elapsed()));
    // A slide without a budget (an unmarked chapter's title slide gets none of the chapter's
    // minutes) is never "over": the session line says whether time is short.
    let over = Memo::new(move |_| budget() > 0 && on_slide() > u64::from(budget()) * 60);
    let budget_line = move || match budget() {
        0 => " (no time of its own)".to_owned(),
        minutes => format!(" of {}", clock(u64::from(minutes) * 60)),
    };
    let wall_clock = move || {
        tick.track();
        let date = js_sys::Date::new_0();
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    };
    let projector_path = slide_path(&slug, deck.slide.get_untracked());

    // A live class follows this console (through `room_sync`): the students' pages go where the
    // deck goes, and the teacher pushes the slide's code as the projector's editors hold it
    // (their saved edits).
    let push_slug = slug.clone();
    let pushable = Signal::derive(move || {
        current().map_or_else(Vec::new, |s| pushable_blocks(&push_slug, &s.blocks))
    });
    let exercise = Signal::derive(move || current().and_then(|s| exercise_on(&s.title, &s.blocks)));
    // The room, as the link has it: it changes when a session starts or ends here or in
    // another tab (a `storage` event), with no polling.
    let teaching = Memo::new(move |_| link.room.get());
    let projected = RwSignal::new(join_card::projected().is_some());
    view! {
        <div class="console">
            <header class="console-top">
                <h1 class="console-title">{presentation.chapter.title.clone()}</h1>
                <p class="console-clock" title="The time of day">{wall_clock}</p>
            </header>
            <section class="console-times" aria-label="Timing">
                <p class="console-slide-time" class:over=over>
                    <span class="label">"This slide "</span>
                    <span class="value">{move || clock(on_slide())}</span>
                    <span class="budget">{budget_line}</span>
                </p>
                <p class="console-session-time">
                    <span class="label">"Session "</span>
                    <span class="value">{move || clock(elapsed())}</span>
                    <span class="budget">{format!(" of {}", clock(u64::from(total) * 60))}</span>
                </p>
                <p class=move || format!("pace {}", signal().class()) role="status">{move || signal().label()}</p>
            </section>
            <div class="console-main">
            <section class="console-current" aria-label="On the projector">
                <h2>
                    {move || format!("Slide {} of {count}: ", deck.slide.get() + 1)}
                    <span class="console-current-title">{move || current().map(|s| s.title).unwrap_or_default()}</span>
                    {move || deck.blank.get().then_some(" (screen blanked)")}
                </h2>
                {move || current().map(|slide| view! { <SlidePreview slide /> })}
            </section>
            <nav class="console-controls" aria-label="Move the deck">
                <button type="button" class="console-previous" on:click=move |_| deck.previous()>"← Previous"</button>
                <button type="button" class="console-next-button" on:click=move |_| deck.next()>"Next →"</button>
                <button type="button" class="console-blank" aria-pressed=move || deck.blank.get().to_string()
                    on:click=move |_| deck.toggle_blank()>"Blank screen (b)"</button>
                <button type="button" class="console-restart" on:click=move |_| deck.restart_clock()>"Restart the clock"</button>
                {move || {
                    teaching.get().map(|room| {
                        view! {
                            <button type="button" class="console-join-card"
                                aria-pressed=move || projected.get().to_string()
                                on:click=move |_| {
                                    if projected.get_untracked() {
                                        join_card::withdraw();
                                    } else {
                                        join_card::project(&room);
                                    }
                                    projected.set(join_card::projected().is_some());
                                }>"Join code on the projector"</button>
                        }
                    })
                }}
                <a href=projector_path target="rmp-projector">"Open the projector view"</a>
            </nav>
            <section class="console-class" aria-label="Live class">
                <ClassSession chapter=slug.clone() link blocks=pushable exercise />
                <PhoneConsoleCard link chapter=slug.clone() />
            </section>
            </div>
            <div class="console-side">
            <section class="console-next" aria-label="Next slide">
                <h2>
                    "Next: "
                    <span class="console-next-title">{move || next().map_or_else(|| "(end of the chapter)".to_owned(), |s| s.title)}</span>
                </h2>
                {move || next().map(|slide| view! { <SlidePreview slide /> })}
            </section>
            // Focusable: long notes scroll in their own box, and a keyboard must be able to scroll it.
            <section class="console-notes" aria-label="Speaker notes" tabindex="0">
                <h2>"Notes"</h2>
                {move || {
                    let notes = current().map(|s| s.notes).unwrap_or_default();
                    if notes.is_empty() {
                        view! { <p class="no-notes">"No notes for this slide."</p> }.into_any()
                    } else {
                        notes
                            .into_iter()
                            .map(|html| view! { <div class="prose" inner_html=html></div> })
                            .collect_view()
                            .into_any()
                    }
                }}
            </section>
            </div>
        </div>
    }
}

/// A slide as a still picture at the console's size: the same layout as the projector's, with
/// code shown rather than editable.
#[component]
fn SlidePreview(
    /// The slide.
    slide: Slide,
) -> impl IntoView {
    let title =
        needs_title(&slide).then(|| view! { <h2 class="slide-heading">{slide.title.clone()}</h2> });
    let code =
        |highlighted: String| view! { <pre><code inner_html=highlighted></code></pre> }.into_any();
    let blocks = slide
        .blocks
        .into_iter()
        .map(|block| match block {
            Block::Prose { html } => view! { <div class="prose" inner_html=html></div> }.into_any(),
            Block::Code(block) => code(block.highlighted),
            Block::Files(set) => set
                .files
                .into_iter()
                .map(|file| code(file.highlighted))
                .collect_view()
                .into_any(),
            Block::Exercise(exercise) => view! {
                <div class="exercise-preview">
                    <p class="preview-label">"Exercise"</p>
                    <div class="prose" inner_html=exercise.instructions></div>
                    <pre><code>{exercise.starter}</code></pre>
                </div>
            }
            .into_any(),
            Block::Demo { name } => {
                view! { <p class="preview-label">{format!("Demo: {name}")}</p> }.into_any()
            }
            Block::Notes { .. } => ().into_any(),
        })
        .collect_view();
    view! {
        <div class="slide-preview" aria-hidden="true">
            <div class="slide">
                {title}
                {blocks}
            </div>
        </div>
    }
}
