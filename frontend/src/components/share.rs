//! "Share" and "Open in the playground" in a code toolbar (issue 12, items 1 and 6).
//!
//! Share stores the code on the server (`POST /api/shares`) and shows the permalink `/s/<id>` with
//! a Copy button. Open in the playground needs no server state: it opens `/s#<fragment>`, the
//! code itself in the URL (see `api_types::share::encode_fragment`), in a new tab.

use api_types::share::SharedCode;

use crate::share_link::encode_fragment;
use api_types::{Mode, ProjectFile, RunSettings};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::code_block::CopyButton;

/// Provided by the share page: its blocks are already in the playground, so they offer Share but
/// not "Open in the playground".
#[derive(Clone, Copy)]
pub struct InPlayground;

/// Where a share request stands.
#[derive(Clone, Debug, PartialEq)]
enum ShareState {
    Idle,
    Sharing,
    Shared(String),
    Failed(String),
}

/// The share of a block, project or exercise: its current files (edits included) and how it runs.
fn shared_code(files: Vec<ProjectFile>, run: &RunSettings, mode: Mode) -> SharedCode {
    SharedCode {
        files,
        runner: run.runner.clone(),
        edition: run.edition,
        mode,
        action: run.action,
        title: None,
    }
}

/// The fragment link for `code` on this page's origin.
pub fn fragment_link(code: &SharedCode) -> String {
    format!("/s#{}", encode_fragment(code))
}

/// The Share button and, outside the share page, the "Open in the playground" link, for one
/// toolbar.
#[component]
pub fn ShareControls(
    /// The code to share, read when a button is pressed (the reader's edits included).
    files: Callback<(), Vec<ProjectFile>>,
    /// The block's runner, edition and action.
    run: RunSettings,
    /// Debug or Release, as the reader has it now.
    #[prop(into)]
    mode: Signal<Mode>,
    /// What the controls act on, for their accessible names ("example 3").
    #[prop(into)]
    subject: String,
) -> impl IntoView {
    let state = RwSignal::new(ShareState::Idle);
    let run = StoredValue::new(run);
    let current =
        move || run.with_value(|run| shared_code(files.run(()), run, mode.get_untracked()));
    let share = move |_| {
        if state.get_untracked() == ShareState::Sharing {
            return;
        }
        state.set(ShareState::Sharing);
        let code = current();
        leptos::task::spawn_local(async move {
            state.set(match crate::api::create_share(&code).await {
                Ok(created) => ShareState::Shared(created.url),
                Err(error) => ShareState::Failed(format!("Could not share: {error}")),
            });
        });
    };
    // The link starts with the code as written and takes the reader's edits when followed: the
    // browser reads `href` after the click handlers ran.
    let open = move |event: leptos::ev::MouseEvent| {
        if let Some(link) = event
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = link.set_attribute("href", &fragment_link(&current()));
        }
    };
    let in_playground = use_context::<InPlayground>().is_some();
    let initial_href = if in_playground {
        String::new()
    } else {
        fragment_link(&current())
    };
    let share_label = format!("Share {subject}");
    let open_label = format!("Open {subject} in the playground");
    let url = move || match state.get() {
        ShareState::Shared(url) => Some(url),
        _ => None,
    };
    view! {
        {(!in_playground)
            .then(|| {
                view! {
                    <a class="open-playground" href=initial_href target="_blank" rel="noopener"
                        title="Open this code in a full-page editor, in a new tab" aria-label=open_label
                        on:click=open>
                        "Open ↗"
                    </a>
                }
            })}
        <button type="button" class="share-button" title="Store this code and get a link to it"
            aria-label=share_label on:click=share
            aria-disabled=move || (state.get() == ShareState::Sharing).to_string()>
            {move || if state.get() == ShareState::Sharing { "Sharing…" } else { "Share" }}
        </button>
        <span class="visually-hidden" role="status">
            {move || match state.get() {
                ShareState::Shared(_) => "Share link ready".to_owned(),
                ShareState::Failed(message) => message,
                _ => String::new(),
            }}
        </span>
        <Show when=move || matches!(state.get(), ShareState::Shared(_) | ShareState::Failed(_))>
            <span class="share-result">
                {move || match state.get() {
                    ShareState::Failed(message) => view! { <span class="share-error">{message}</span> }.into_any(),
                    _ => {
                        let link = url().unwrap_or_default();
                        view! {
                            <label class="share-link">
                                <span class="visually-hidden">"Link to the shared code"</span>
                                <input type="text" readonly value=link.clone()
                                    on:focus=|event| {
                                        if let Some(input) = event.target()
                                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                                        {
                                            input.select();
                                        }
                                    } />
                            </label>
                            <CopyButton text=Callback::new(move |()| link.clone()) />
                        }
                            .into_any()
                    }
                }}
                <button type="button" class="share-close" title="Hide the link" aria-label="Hide the share link"
                    on:click=move |_| state.set(ShareState::Idle)>
                    "×"
                </button>
            </span>
        </Show>
    }
}
