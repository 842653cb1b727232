use api_types::CodeBlock;
use leptos::prelude::*;

/// A highlighted code block. Runnable blocks get a Run button and an output pane.
#[component]
pub fn CodeBlockView(
    /// The block as sent by the server.
    block: CodeBlock,
) -> impl IntoView {
    let output = RwSignal::new(None::<String>);
    let runnable = block.runnable;
    let label = match (block.runnable, block.editable) {
        (true, true) => "Rust · runnable · editable".to_owned(),
        (true, false) => "Rust · runnable".to_owned(),
        _ => block.language.clone(),
    };
    let run = move |_| {
        // Running arrives with the sandbox; until then, say so plainly instead of pretending.
        output.set(Some(
            "This server cannot run code yet: the sandbox is not installed. \
             The example is shown so you can read and copy it."
                .to_owned(),
        ));
    };
    view! {
        <figure class="code-block" class:runnable=runnable data-index=block.index>
            <figcaption class="code-toolbar">
                <span class="code-language">{label}</span>
                <Show when=move || runnable>
                    <button class="run-button" title="Run this example (Ctrl+Enter)" on:click=run>
                        "▶ Run"
                    </button>
                </Show>
            </figcaption>
            <pre>
                <code class=format!("language-{}", block.language) inner_html=block.highlighted></code>
            </pre>
            {move || {
                output
                    .get()
                    .map(|text| {
                        view! {
                            <div class="output" role="status">
                                <pre>{text}</pre>
                            </div>
                        }
                    })
            }}
        </figure>
    }
}
