//! `/present/:slug` and `/present/:slug/:n`: a chapter on the projector, one 16:9 slide at a time,
//! with runnable, editable code. The presenter console (`present_console.rs`) follows it and
//! drives it through [`crate::present`].

use api_types::present::{Presentation, Slide};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::edits::ChapterEdits;
use crate::components::progress::CurrentChapter;
use crate::pages::chapter::live_block;
use crate::present::deck::{Deck, needs_title, slide_path};
use crate::present::keys::{Command, KEYS, KeyListener};
use crate::present::loader::presentation_page;
use crate::present::room_sync;
use crate::room::join_card::ProjectedJoinCard;
use crate::room::teacher::TeacherLink;

/// The projector's page: the deck, loaded once.
#[component]
pub fn PresentPage() -> impl IntoView {
    let params = use_params_map();
    let slug = params.read_untracked().get("slug").unwrap_or_default();
    // 1-based in the address; past the end is the last slide.
    let asked = params
        .read_untracked()
        .get("n")
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| n.saturating_sub(1));
    presentation_page(
        "present-root projector-root",
        "Loading slides…",
        slug,
        move |presentation| view! { <Projector presentation asked /> }.into_any(),
    )
}

#[component]
fn Projector(
    /// The chapter's slides.
    presentation: Presentation,
    /// The slide the address names, used when no session is under way.
    asked: Option<usize>,
) -> impl IntoView {
    let deck = Deck::start(&presentation, asked);
    let slug = deck.slug();
    // During a class session the projector is one of the teacher's devices: it follows a phone's
    // console even with no console open in this browser. It shows nothing of the room's secret.
    let link = TeacherLink::new();
    room_sync::bind(deck, &presentation, link);
    document().set_title(&format!(
        "{} (slides) · Rust Mastery Playground",
        presentation.chapter.title
    ));
    // Edits and runs on a slide are the chapter's own: the reading page shows them too.
    ChapterEdits::provide(&slug);
    provide_context(CurrentChapter(slug.clone()));
    let help = RwSignal::new(false);
    let chapter_path = format!("/learn/{slug}");

    // The address follows the slide, so a reload keeps the place. Replaced in place: the
    // router need not know, and Back leaves the deck rather than stepping through it.
    {
        let slug = slug.clone();
        Effect::new(move |_| {
            let path = slide_path(&slug, deck.slide.get());
            if let Ok(history) = window().history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
            }
        });
    }

    let navigate = use_navigate();
    let exit = {
        let chapter_path = chapter_path.clone();
        move || {
            if document().fullscreen_element().is_some() {
                document().exit_fullscreen();
            }
            navigate(
                &format!("{chapter_path}#{}", deck.anchor()),
                Default::default(),
            );
        }
    };
    let keys = KeyListener::install(move |command| {
        match command {
            Command::Next => deck.next(),
            Command::Previous => deck.previous(),
            Command::First => deck.go(0),
            Command::Last => deck.last(),
            Command::Fullscreen => toggle_fullscreen(),
            Command::Blank => deck.toggle_blank(),
            Command::Help => help.update(|open| *open = !*open),
            Command::Exit if help.get_untracked() => help.set(false),
            Command::Exit => exit(),
        }
        true
    });
    StoredValue::new_local(keys);

    let slides = StoredValue::new(presentation.slides);
    let count = deck.count();
    let console_path = format!("/present/{slug}/console");
    view! {
        <div class="projector" class:blanked=move || deck.blank.get()>
            <div class="slide-stage">
                <div class="slide-scroll">
                    {move || {
                        let at = deck.slide.get();
                        slides.with_value(|slides| slides.get(at).cloned())
                            .map(|slide| view! { <SlideContent slide /> })
                    }}
                </div>
                <PresentBar deck count chapter_path=chapter_path.clone() console_path help />
            </div>
            <div class="blank-screen" aria-hidden=move || (!deck.blank.get()).to_string()>
                <span class="visually-hidden">"The screen is blank; press b to show the slide."</span>
            </div>
            <ProjectedJoinCard />
            <KeyHelp open=help />
        </div>
    }
}

/// The slide counter and the controls, in a strip of the stage under the slide (so they never
/// cover it), faint until pointed at or focused.
#[component]
fn PresentBar(
    /// The deck it moves.
    deck: Deck,
    /// How many slides there are.
    count: usize,
    /// The reading page.
    chapter_path: String,
    /// The console's page.
    console_path: String,
    /// The key help's switch.
    help: RwSignal<bool>,
) -> impl IntoView {
    let open_console = move |_| {
        let _ = window().open_with_url_and_target_and_features(
            &console_path,
            "rmp-presenter-console",
            "popup,width=1366,height=768",
        );
    };
    view! {
        <nav class="present-bar" aria-label="Presentation">
            <button type="button" on:click=move |_| deck.previous() aria-label="Previous slide">"←"</button>
            <span class="slide-counter" aria-live="polite">
                {move || format!("{} / {count}", deck.slide.get() + 1)}
            </span>
            <button type="button" on:click=move |_| deck.next() aria-label="Next slide">"→"</button>
            <button type="button" class="open-console" on:click=open_console>"Open presenter console"</button>
            <button type="button" on:click=move |_| help.update(|open| *open = !*open)>"Keys (?)"</button>
            <a href=chapter_path class="exit-present">"Exit (Esc)"</a>
        </nav>
    }
}

fn toggle_fullscreen() {
    let document = document();
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(root) = document.document_element() {
        let _ = root.request_fullscreen();
    }
}

/// One slide's blocks, live: the code runs and can be edited.
#[component]
fn SlideContent(
    /// The slide to show.
    slide: Slide,
) -> impl IntoView {
    let title =
        needs_title(&slide).then(|| view! { <h2 class="slide-heading">{slide.title.clone()}</h2> });
    let blocks = slide.blocks.into_iter().map(live_block).collect_view();
    view! {
        <section class="slide" data-slide=slide.index aria-label=slide.title>
            {title}
            {blocks}
        </section>
    }
}

/// The keys, over the slide.
#[component]
fn KeyHelp(
    /// Whether it is shown.
    open: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <div class="present-help" role="dialog" aria-label="Presentation keys">
                <h2>"Presentation keys"</h2>
                <dl>
                    {KEYS
                        .iter()
                        .map(|(keys, what)| view! { <dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd> })
                        .collect_view()}
                </dl>
                <p>"Keys typed in an editor stay in the editor: press Esc, then Tab, to leave it."</p>
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
