//! Shared code in a full-page editor: `/s/<id>` (stored on the server) and `/s#<fragment>` (the
//! code carried in the address itself). The code is shown with the same components as a chapter's
//! blocks, so Run, Test, the tools and Share work here as there.
//!
//! Everything in a share is data: the title and code are set as text, never as HTML.

use api_types::share::SharedCode;

use crate::share_link::decode_fragment;
use api_types::{CodeBlock, FileSet, ProjectFile, RunSettings, SourceFile};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::actions::text_hash;
use crate::api::ApiFailure;
use crate::components::code_block::CodeBlockView;
use crate::components::files::FileSetView;
use crate::components::share::InPlayground;

const SITE: &str = "Rust Mastery Playground";

/// `/s/<id>`: fetches the share and shows it, or says there is none.
#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let share = LocalResource::new(move || crate::api::share(id()));
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading the shared code…"</p> }>
            {move || Suspend::new(async move {
                match share.await {
                    Ok(share) => view! { <SharedCodeView key=format!("share-{}", share.id) code=share.code /> }.into_any(),
                    Err(ApiFailure::NotFound(_)) => view! { <ShareNotFound id=id() /> }.into_any(),
                    Err(error) => view! { <ShareProblem message=format!("The shared code could not be loaded: {error}") /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/s#<fragment>`: decodes the code from the address, or says why it cannot. Another fragment
/// pasted into the address bar changes only the hash (no page load), so the page follows it.
#[component]
pub fn FragmentSharePage() -> impl IntoView {
    let hash = RwSignal::new(window().location().hash().unwrap_or_default());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        hash.set(window().location().hash().unwrap_or_default());
    });
    on_cleanup(move || listener.remove());
    move || {
        let hash = hash.get();
        match decode_fragment(&hash) {
            Ok(code) => {
                let key = format!("share-f{}", text_hash(hash.trim_start_matches('#')));
                view! { <SharedCodeView key code /> }.into_any()
            }
            Err(error) => view! { <ShareProblem message=error.to_string() /> }.into_any(),
        }
    }
}

/// The page for a share: its title, what it runs on, and the code in a runnable editor.
#[component]
fn SharedCodeView(
    /// Names the code's editors (saved edits and progress are not kept outside chapters).
    key: String,
    /// The share.
    code: SharedCode,
) -> impl IntoView {
    provide_context(InPlayground);
    let title = code
        .title
        .clone()
        .unwrap_or_else(|| "Shared code".to_owned());
    document().set_title(&format!("{title} · {SITE}"));
    let run = RunSettings {
        runner: code.runner.clone(),
        edition: code.edition,
        action: code.action,
        mode: code.mode,
        ..RunSettings::default()
    };
    let about = format!(
        "Runs on the {} runner, edition {}{}. Edit it, run it, and share your version.",
        code.runner,
        code.edition.as_str(),
        match code.files.len() {
            1 => String::new(),
            n => format!(", {n} files"),
        }
    );
    let single = code.files.len() == 1 && code.files[0].path == ProjectFile::MAIN;
    let body = if single {
        let source = code.files[0].contents.clone();
        let block = CodeBlock {
            index: 0,
            id: key,
            language: "rust".into(),
            hash: text_hash(&source),
            code: source,
            hidden_lines: Vec::new(),
            // Empty: the editor shows the code escaped until it has loaded.
            highlighted: String::new(),
            runnable: true,
            editable: true,
            run,
            attributes: Vec::new(),
            problem: None,
        };
        view! { <CodeBlockView block /> }.into_any()
    } else {
        let set = FileSet {
            id: key,
            files: code
                .files
                .iter()
                .map(|file| SourceFile {
                    path: file.path.clone(),
                    language: language_of(&file.path).into(),
                    code: file.contents.clone(),
                    highlighted: String::new(),
                })
                .collect(),
            runnable: true,
            editable: true,
            run,
            problem: None,
        };
        view! { <FileSetView set /> }.into_any()
    };
    view! {
        <article class="share-page">
            <h1>{title}</h1>
            <p class="share-about">{about}</p>
            {body}
        </article>
    }
}

/// The editor's language for a file, by its name.
fn language_of(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("rs") => "rust",
        Some("c" | "h") => "c",
        Some("toml") => "toml",
        Some("json") => "json",
        Some("md") => "markdown",
        _ => "text",
    }
}

/// An id the server does not hold (the server answered this address with 404 too).
#[component]
fn ShareNotFound(
    /// The id from the address.
    id: String,
) -> impl IntoView {
    document().set_title(&format!("Shared code not found · {SITE}"));
    view! {
        <section class="not-found">
            <h1>"Shared code not found"</h1>
            <p>
                "There is no shared code with the id " <code>{id}</code>
                ". The link may be mistyped or cut short: ask whoever sent it for the whole link."
            </p>
            <p>
                <A href="/">"Browse all courses"</A>
            </p>
        </section>
    }
}

/// A share that cannot be shown: a broken fragment, or the server could not answer.
#[component]
fn ShareProblem(
    /// What went wrong, as a sentence.
    message: String,
) -> impl IntoView {
    document().set_title(&format!("Shared code · {SITE}"));
    view! {
        <section class="not-found share-problem">
            <h1>"This shared code cannot be opened"</h1>
            <p role="alert">{message}</p>
            <p>
                <A href="/">"Browse all courses"</A>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::language_of;

    #[test]
    fn files_get_their_editor_language_by_name() {
        assert_eq!(language_of("src/main.rs"), "rust");
        assert_eq!(language_of("shim.c"), "c");
        assert_eq!(language_of("Cargo.toml"), "toml");
        assert_eq!(language_of("data/words.txt"), "text");
    }
}
