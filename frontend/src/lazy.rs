//! What the first visit does not download (issue 13's 400 KB budget): the pages other than the
//! course index and chapters, and the parts of a chapter that only a reader's action shows (the
//! run pane, the compiler views, the search dialog).
//!
//! Each function declared with `split_point!` below is a split point (`wasm_split_helpers`, the
//! crate behind Leptos' own `#[lazy]`): `cargo xtask build-spa` (xtask/src/app_wasm.rs) cuts the
//! code that only such functions reach out of the app's wasm into a module per group, and what
//! several groups share into chunks they all load. The modules share the app's memory, function
//! table and runtime (one copy of Leptos), unlike the demos' module (`demos/mod.rs`), which is a
//! program of its own. A route shows its page with [`lazy_page`]: the module is fetched the first
//! time the route shows, "Loading…" meanwhile, and a sentence with a way to try again if it cannot
//! arrive (offline, or a new deployment replaced it). A part of a page uses [`lazy_part`]: it
//! appears once its module is here.
//!
//! We use the `fallible` form of the split macro rather than Leptos' `#[lazy]`: with `#[lazy]` a
//! failed fetch panics, and a panic here aborts the whole app (`-Cpanic=immediate-abort`).
//!
//! Without the `split` feature (native builds, clippy, the component tests in a browser) a split
//! point is an ordinary async function.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use api_types::room::{RoomClientMessage, RoomServerMessage};
use api_types::{ExecuteRequest, ExecutionResult};

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
#[cfg(feature = "split")]
use leptos::wasm_split::wasm_split;

use crate::components::edits::{BlockEdits, OutdatedNotice, ResetAllEdits};
use crate::components::run_output::{RunOutput, RunView};
use crate::components::runner::Runner;
use crate::components::search::SearchDialog;
use crate::components::status::Loading;
use crate::components::tools::{ViewPanel, ViewState};
use crate::demos::LockFreePage;
use crate::demos::MatchingEnginePage;
use crate::pages::course::CoursePage;
use crate::pages::dashboard::DashboardPage;
use crate::pages::join::JoinPage;
use crate::pages::join::JoinRoomPage;
use crate::pages::present::PresentPage;
use crate::pages::present_console::PresentConsolePage;
use crate::pages::share::FragmentSharePage;
use crate::pages::share::SharePage;
use crate::pages::teach::TeachPage;
use crate::room::socket::{Ended, RoomSocket};
use crate::run::RunSession;

/// A page's module did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleMissing;

impl From<SplitLoaderError> for ModuleMissing {
    fn from(_: SplitLoaderError) -> Self {
        // The loader has already written the network's reason to the console.
        ModuleMissing
    }
}

/// Builds a page: a function that lives in the page's module, called once the module is here, in
/// the route's reactive owner (so the page finds the router and the app's contexts).
pub type PageView = fn() -> AnyView;

/// What a page's split point hands back: the page, or why its module is missing.
pub type Arrived = Result<PageView, ModuleMissing>;

/// The run pane's properties ([`RunOutput`]'s), for the function in its module.
#[derive(Clone, Copy)]
pub struct RunPane {
    pub view: RwSignal<RunView>,
    pub elapsed: RwSignal<f64>,
    pub on_stdin: Callback<String>,
    pub on_close_stdin: Callback<()>,
    pub on_locate: Callback<(String, u32, u32)>,
    pub on_run_again: Option<Callback<()>>,
}

/// Builds the run pane under a block; lives in its module.
pub type RunPaneView = fn(RunPane) -> AnyView;

/// What the run pane's split point hands back.
pub type RunPaneArrived = Result<RunPaneView, ModuleMissing>;

/// Starts a run (what [`Runner::open_session`] does); lives in the run module.
pub type StartRun =
    fn(ExecuteRequest, Runner, Rc<dyn Fn(&ExecutionResult)>) -> Result<RunSession, String>;

/// What the run module's split point hands back.
pub type StartRunArrived = Result<StartRun, ModuleMissing>;

/// Builds the notices above an editor whose saved edit is outdated or met a teacher's push
/// ([`OutdatedNotice`]); lives in its module.
pub type NoticeView = fn(BlockEdits) -> AnyView;

/// What the notices' split point hands back.
pub type NoticeArrived = Result<NoticeView, ModuleMissing>;

/// Opens a room's socket (what [`RoomSocket::open`] does); lives in the room module.
pub type OpenRoom = fn(
    String,
    RoomClientMessage,
    Box<dyn Fn(RoomServerMessage)>,
    Box<dyn Fn(Ended)>,
) -> Result<RoomSocket, String>;

/// What the room module's split point hands back.
pub type OpenRoomArrived = Result<OpenRoom, ModuleMissing>;

/// Builds a block's compiler-view panel ([`ViewPanel`]'s properties); lives in its module.
pub type ViewPanelView = fn(ViewState, Callback<Option<(String, u32)>>, Callback<()>) -> AnyView;

/// What the view panel's split point hands back.
pub type ViewPanelArrived = Result<ViewPanelView, ModuleMissing>;

/// Declares a split point. With the `split` feature (the shipped build: `cargo xtask build-spa`
/// builds the app with it, then runs the splitter), a `wasm_split` function; without it (native
/// builds, the component tests in a browser, which no splitter sees), an ordinary async function:
/// a wasm that was not split has no module to fetch, and fails to start if it asks for one.
macro_rules! split_point {
    (
        $(#[doc = $doc:literal])*
        $group:ident / $preload:ident: fn $name:ident() -> $ret:ident { $($body:tt)* }
    ) => {
        $(#[doc = $doc])*
        #[cfg(feature = "split")]
        #[wasm_split(
            $group,
            wasm_split_path = ::leptos::wasm_split,
            preload(#[doc(hidden)] $preload),
            fallible
        )]
        pub fn $name() -> $ret { $($body)* }

        $(#[doc = $doc])*
        #[cfg(not(feature = "split"))]
        pub async fn $name() -> $ret { $($body)* }
    };
}

// The split points, one group (module) per page or family of pages. Their bodies only name the
// page, so the page's code is reachable from here alone and moves into the group's module.
// Groups are named in the build report (`cargo xtask build-spa`).

split_point! {
    /// `/present/:slug` and `/present/:slug/:n`: the projector.
    present / __preload_present: fn present() -> Arrived {
        Ok(|| view! { <PresentPage /> }.into_any())
    }
}

split_point! {
    /// `/present/:slug/console`: the presenter's console.
    teacher / __preload_present_console: fn present_console() -> Arrived {
        Ok(|| view! { <PresentConsolePage /> }.into_any())
    }
}

split_point! {
    /// `/teach/:slug`: a teacher opening a room.
    teacher / __preload_teach: fn teach() -> Arrived {
        Ok(|| view! { <TeachPage /> }.into_any())
    }
}

split_point! {
    /// `/room/:code/dashboard`: the teacher's dashboard.
    teacher / __preload_dashboard: fn dashboard() -> Arrived {
        Ok(|| view! { <DashboardPage /> }.into_any())
    }
}

split_point! {
    /// `/join`: a student typing a room's code.
    join / __preload_join: fn join() -> Arrived {
        Ok(|| view! { <JoinPage /> }.into_any())
    }
}

split_point! {
    /// `/join/:code`: a student following a link to a room.
    join / __preload_join_room: fn join_room() -> Arrived {
        Ok(|| view! { <JoinRoomPage /> }.into_any())
    }
}

split_point! {
    /// `/s/:id`: a shared program.
    share / __preload_share: fn share() -> Arrived {
        Ok(|| view! { <SharePage /> }.into_any())
    }
}

split_point! {
    /// `/s#…`: a program shared in the address itself.
    share / __preload_fragment_share: fn fragment_share() -> Arrived {
        Ok(|| view! { <FragmentSharePage /> }.into_any())
    }
}

split_point! {
    /// `/courses/:slug`: a course's outline.
    course / __preload_course: fn course() -> Arrived {
        Ok(|| view! { <CoursePage /> }.into_any())
    }
}

split_point! {
    /// `/demos/matching-engine`: the engine's page (the demo itself is the demos module).
    demo_pages / __preload_matching_engine: fn matching_engine() -> Arrived {
        Ok(|| view! { <MatchingEnginePage /> }.into_any())
    }
}

split_point! {
    /// `/demos/lock-free`: the explorer's page.
    demo_pages / __preload_lock_free: fn lock_free() -> Arrived {
        Ok(|| view! { <LockFreePage /> }.into_any())
    }
}

split_point! {
    /// The search dialog (`/`, Ctrl+K): the dialog and the ranking, fetched the first time search
    /// opens (the index itself is fetched then too, `components/search.rs`).
    search / __preload_search_dialog: fn search_dialog() -> Arrived {
        Ok(|| view! { <SearchDialog /> }.into_any())
    }
}

split_point! {
    /// The pane a block's run writes into: fetched with the block's first run (the run itself does
    /// not wait for it).
    run / __preload_run_output: fn run_output() -> RunPaneArrived {
        Ok(|pane| {
            let RunPane {
                view,
                elapsed,
                on_stdin,
                on_close_stdin,
                on_locate,
                on_run_again,
            } = pane;
            match on_run_again {
                Some(on_run_again) => view! {
                    <RunOutput view elapsed on_stdin on_close_stdin on_locate on_run_again />
                }
                .into_any(),
                None => view! { <RunOutput view elapsed on_stdin on_close_stdin on_locate /> }.into_any(),
            }
        })
    }
}

split_point! {
    /// A block's compiler views (MIR, assembly, …): fetched the first time a view is asked for.
    view_panel / __preload_view_panel: fn view_panel() -> ViewPanelArrived {
        Ok(|views, on_source, on_refresh| view! { <ViewPanel views on_source on_refresh /> }.into_any())
    }
}

split_point! {
    /// The notices above an editor whose saved edit is outdated or met a teacher's push: fetched
    /// when a block has one to show.
    edits / __preload_outdated_notice: fn outdated_notice() -> NoticeArrived {
        Ok(|edits| view! { <OutdatedNotice edits /> }.into_any())
    }
}

split_point! {
    /// "Reset all edits in this chapter": fetched once the chapter has an edit to reset.
    edits / __preload_reset_all_edits: fn reset_all_edits() -> Arrived {
        Ok(|| view! { <ResetAllEdits /> }.into_any())
    }
}

split_point! {
    /// A student's link to a class session: the room's socket and the reading of its messages,
    /// fetched when the tab joins (or rejoins) a room. The teacher's pages reach the same code.
    room / __preload_room_link: fn room_link() -> OpenRoomArrived {
        Ok(|code, first, on_message, on_end| RoomSocket::open(&code, first, on_message, on_end))
    }
}

split_point! {
    /// Running code: opening a run's socket and reading the server's messages into the pane
    /// ([`Runner::open_session`]), fetched with a page's first run.
    run / __preload_run_session: fn run_session() -> StartRunArrived {
        Ok(|request, runner, on_finished| runner.open_session(request, on_finished))
    }
}

/// What a split point hands back once its module is here, whatever it builds: kept as it is
/// and handed to the view that asked for it. The helpers below are not generic, so each split
/// point costs the first download only a small shim, not a copy of them.
type Here = Arc<dyn Any + Send + Sync>;

/// Fetches a split point's module (once) and hands back what it built.
type Fetcher =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Here, ModuleMissing>>>> + Send + Sync>;

thread_local! {
    /// What each split point handed back once its module was here, by split point: shown at once
    /// the next time (from one slide's address to the next), with no "Loading…" in between.
    static ARRIVED: RefCell<HashMap<TypeId, Here>> = RefCell::new(HashMap::new());
}

fn arrived(key: TypeId) -> Option<Here> {
    ARRIVED.with(|arrived| arrived.borrow().get(&key).cloned())
}

/// `load` as a [`Fetcher`] that remembers what arrived.
fn fetcher<Load, Fetch, Part>(load: Load) -> (TypeId, Fetcher)
where
    Load: Fn() -> Fetch + Copy + Send + Sync + 'static,
    Fetch: Future<Output = Result<Part, ModuleMissing>> + 'static,
    Part: Send + Sync + 'static,
{
    let fetch: Fetcher = Arc::new(move || {
        let arrive = async move { load().await.map(|part| Arc::new(part) as Here) };
        Box::pin(arrive) as Pin<Box<dyn Future<Output = Result<Here, ModuleMissing>>>>
    });
    (TypeId::of::<Load>(), fetch)
}

/// Fetches with `fetch` and remembers what arrived under `key`.
async fn fetch_and_remember(key: TypeId, fetch: Fetcher) -> Result<Here, ModuleMissing> {
    let here = fetch().await?;
    ARRIVED.with(|arrived| {
        arrived.borrow_mut().insert(key, Arc::clone(&here));
    });
    Ok(here)
}

/// Where a lazily loaded page is in its arrival.
#[derive(Clone)]
enum Arrival {
    Waiting,
    Here(Here),
    Missing,
}

/// A route's view for a page behind a split point: "Loading…" until its module is here, then the
/// page; if the module cannot arrive, says so and offers to try again (a failed fetch is not
/// remembered, so the next try fetches afresh).
pub fn lazy_page<Load, Fetch>(load: Load) -> AnyView
where
    Load: Fn() -> Fetch + Copy + Send + Sync + 'static,
    Fetch: Future<Output = Arrived> + 'static,
{
    let (key, fetch) = fetcher(load);
    page_view(key, fetch)
}

fn page_view(key: TypeId, fetch: Fetcher) -> AnyView {
    let known = arrived(key);
    let arrival = RwSignal::new(known.clone().map_or(Arrival::Waiting, Arrival::Here));
    let fetch = StoredValue::new(fetch);
    let start = move || {
        arrival.set(Arrival::Waiting);
        let Some(fetch) = fetch.try_get_value() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let arrived = match fetch_and_remember(key, fetch).await {
                Ok(here) => Arrival::Here(here),
                Err(ModuleMissing) => Arrival::Missing,
            };
            // The reader may have left the route meanwhile.
            arrival.try_set(arrived);
        });
    };
    if known.is_none() {
        start();
    }
    (move || match arrival.get() {
        Arrival::Waiting => view! { <Loading label="Loading…" /> }.into_any(),
        // Built untracked: the page's own reads must not re-run this closure.
        Arrival::Here(here) => match here.downcast_ref::<PageView>() {
            Some(page) => untrack(*page),
            None => ().into_any(),
        },
        Arrival::Missing => view! {
            <div class="error-box" role="alert">
                <p>
                    "This page could not be loaded: the connection may have dropped, or the site was \
                     updated since this tab opened."
                </p>
                <button on:click=move |_| start()>"Try again"</button>
            </div>
        }
        .into_any(),
    })
    .into_any()
}

/// A part of a page behind a split point (no place for "Loading…" there): `render` shows it from
/// the first time `wanted` holds, once its module is here, and keeps it. If the module cannot
/// arrive the part stays away, and the next time `wanted` turns true it is fetched again.
pub fn lazy_part<Load, Fetch, Part, Wanted, Render>(
    load: Load,
    wanted: Wanted,
    render: Render,
) -> AnyView
where
    Load: Fn() -> Fetch + Copy + Send + Sync + 'static,
    Fetch: Future<Output = Result<Part, ModuleMissing>> + 'static,
    Part: Copy + Send + Sync + 'static,
    Wanted: Fn() -> bool + 'static,
    Render: Fn(Part) -> AnyView + Send + 'static,
{
    let (key, fetch) = fetcher(load);
    part_view(
        key,
        fetch,
        Box::new(wanted),
        Box::new(move |here: &Here| match here.downcast_ref::<Part>() {
            Some(part) => render(*part),
            None => ().into_any(),
        }),
    )
}

fn part_view(
    key: TypeId,
    fetch: Fetcher,
    wanted: Box<dyn Fn() -> bool>,
    render: Box<dyn Fn(&Here) -> AnyView + Send>,
) -> AnyView {
    let part = RwSignal::new(arrived(key));
    let fetching = StoredValue::new(false);
    Effect::new(move |_| {
        if !wanted() || part.with_untracked(Option::is_some) || fetching.get_value() {
            return;
        }
        fetching.set_value(true);
        let fetch = Arc::clone(&fetch);
        leptos::task::spawn_local(async move {
            let arrived = fetch_and_remember(key, fetch).await;
            fetching.try_set_value(false);
            match arrived {
                Ok(here) => {
                    part.try_set(Some(here));
                }
                Err(ModuleMissing) => {
                    leptos::logging::warn!(
                        "a part of this page could not be loaded; it is fetched again when next needed"
                    );
                }
            }
        });
    });
    (move || part.get().map(|here| untrack(|| render(&here)))).into_any()
}
