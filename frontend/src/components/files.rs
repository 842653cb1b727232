//! A multi-file block: one tab per file. Such labs can be read now and run in a later version.

use api_types::FileSet;
use leptos::prelude::*;

/// The files of a lab, as tabs.
#[component]
pub fn FileSetView(
    /// The files as sent by the server.
    set: FileSet,
) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let files = StoredValue::new(set.files.clone());
    let tabs = set
        .files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            view! {
                <button
                    role="tab"
                    class="file-tab"
                    aria-selected=move || (selected.get() == i).to_string()
                    on:click=move |_| selected.set(i)
                >
                    {file.path.clone()}
                </button>
            }
        })
        .collect_view();
    view! {
        <figure class="code-block file-set">
            <figcaption class="code-toolbar">
                <div class="file-tabs" role="tablist" aria-label="Files in this lab">{tabs}</div>
            </figcaption>
            {move || {
                files
                    .with_value(|files| files.get(selected.get()).cloned())
                    .map(|file| {
                        view! {
                            <pre role="tabpanel" aria-label=file.path.clone()>
                                <code class=format!("language-{}", file.language) inner_html=file.highlighted></code>
                            </pre>
                        }
                    })
            }}
            <p class="file-set-note">{set.note.clone()}</p>
            {set.problem.clone().map(|problem| view! { <p class="block-problem" role="note">{problem}</p> })}
        </figure>
    }
}
