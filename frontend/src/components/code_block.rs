use api_types::{Action, CodeBlock, ExecuteRequest, Mode, ServerMessage};
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::components::run_output::{RunOutput, RunView};
use crate::run::RunSession;

/// The request that runs `code` the way the block's fence asks.
pub fn request_for(block: &CodeBlock, code: String, action: Action) -> ExecuteRequest {
    ExecuteRequest {
        code,
        channel: block.run.channel,
        mode: Mode::Debug,
        edition: block.run.edition,
        action,
        stdin: String::new(),
    }
}

/// Byte offset in `text` of 1-based (`line`, `column`), clamped to the text.
pub fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let column = (column.max(1) - 1) as usize;
            return offset
                + content
                    .char_indices()
                    .nth(column)
                    .map_or(content.len(), |(i, _)| i);
        }
        offset += content.len();
    }
    text.len()
}

/// A highlighted code block. Runnable blocks get Run (and Test, when they contain tests), an
/// output pane and, when `editable`, a text area; Ctrl/Cmd-Enter runs from the text area.
#[component]
pub fn CodeBlockView(
    /// The block as sent by the server.
    block: CodeBlock,
) -> impl IntoView {
    let code = RwSignal::new(block.code.clone());
    let run_view = RwSignal::new(RunView::default());
    // Whether Run was ever pressed: the pane appears then and stays.
    let shown = RwSignal::new(false);
    let elapsed = RwSignal::new(0.0f64);
    let session = StoredValue::new_local(None::<RunSession>);
    let ticker = StoredValue::new(None::<IntervalHandle>);
    let editor = NodeRef::<Textarea>::new();
    // Editable blocks show highlighted code until the student chooses to edit.
    let editing = RwSignal::new(false);
    let editable = block.editable && block.runnable;
    let runnable = block.runnable;
    let has_tests = block.code.contains("#[test]");
    let active = move || shown.get() && run_view.with(|v| v.stage.is_active());
    let label = match (block.runnable, block.editable) {
        (true, true) => "Rust · runnable · editable".to_owned(),
        (true, false) => "Rust · runnable".to_owned(),
        _ => block.language.clone(),
    };

    let stop_ticker = move || {
        if let Some(handle) = ticker.get_value() {
            handle.clear();
            ticker.set_value(None);
        }
    };
    let start = {
        let block = block.clone();
        move |action: Action| {
            if active() {
                return;
            }
            stop_ticker();
            let request = request_for(&block, code.get_untracked(), action);
            run_view.set(RunView::default());
            shown.set(true);
            elapsed.set(0.0);
            let started = now_ms();
            if let Ok(handle) = set_interval_with_handle(
                move || elapsed.set((now_ms() - started) / 1000.0),
                std::time::Duration::from_millis(100),
            ) {
                ticker.set_value(Some(handle));
            }
            let on_event = move |message: ServerMessage| {
                run_view.update(|v| v.apply(message));
                if !active() {
                    stop_ticker();
                }
            };
            match RunSession::start(request, on_event) {
                Ok(started) => session.set_value(Some(started)),
                Err(message) => {
                    run_view.update(|v| v.apply(ServerMessage::Error { message }));
                    stop_ticker();
                }
            }
        }
    };
    on_cleanup(move || {
        stop_ticker();
        session.set_value(None);
    });

    let run = {
        let start = start.clone();
        move |_| start(Action::Run)
    };
    let test = {
        let start = start.clone();
        move |_| start(Action::Test)
    };
    let kill = move |_| {
        session.with_value(|s| {
            if let Some(s) = s {
                s.kill();
            }
        })
    };
    let on_stdin = Callback::new(move |line: String| {
        session.with_value(|s| {
            if let Some(s) = s {
                s.send_line(&line);
            }
        })
    });
    let on_close_stdin = Callback::new(move |()| {
        session.with_value(|s| {
            if let Some(s) = s {
                s.close_stdin();
            }
        })
    });
    let place_cursor = move |line: u32, column: u32| {
        if let Some(area) = editor.get() {
            let offset = offset_of(&code.get_untracked(), line, column);
            // Text areas count UTF-16 units; close enough for the ASCII that Rust code mostly is.
            let _ = area.set_selection_range(offset as u32, offset as u32);
            let _ = area.focus();
        }
    };
    let on_locate = Callback::new(move |(line, column): (u32, u32)| {
        if !editable {
            return;
        }
        editing.set(true);
        // The text area exists once the view has re-rendered.
        set_timeout(
            move || place_cursor(line, column),
            std::time::Duration::ZERO,
        );
    });
    let edit = move |_| {
        editing.set(true);
        set_timeout(move || place_cursor(1, 1), std::time::Duration::ZERO);
    };
    let keydown = {
        let start = start.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                ev.prevent_default();
                start(Action::Run);
            }
        }
    };
    // One spare row, so a block that ends in a newline shows without a scrollbar.
    let rows = (block.code.lines().count() + 1).clamp(3, 41);
    let highlighted = view! {
        <pre>
            <code class=format!("language-{}", block.language) inner_html=block.highlighted.clone()></code>
        </pre>
    };
    let body = if editable {
        view! {
            <Show when=move || editing.get() fallback=move || highlighted.clone()>
                <textarea
                    class="code-editor"
                    node_ref=editor
                    spellcheck="false"
                    autocapitalize="off"
                    aria-label="Example code (Ctrl+Enter runs it)"
                    rows=rows
                    prop:value=code
                    on:input=move |ev| code.set(event_target_value(&ev))
                    on:keydown=keydown.clone()
                ></textarea>
            </Show>
        }
        .into_any()
    } else {
        highlighted.into_any()
    };
    view! {
        <figure class="code-block" class:runnable=runnable data-index=block.index>
            <figcaption class="code-toolbar">
                <span class="code-language">{label}</span>
                {runnable
                    .then(|| {
                        view! {
                            <span class="code-actions">
                                {editable
                                    .then(|| {
                                        view! {
                                            <Show when=move || !editing.get()>
                                                <button class="edit-button" title="Edit this example" on:click=edit>
                                                    "✎ Edit"
                                                </button>
                                            </Show>
                                        }
                                    })}
                                <Show when=move || active()>
                                    <button class="kill-button" title="Stop the program" on:click=kill>
                                        "■ Stop"
                                    </button>
                                </Show>
                                {has_tests
                                    .then(|| {
                                        view! {
                                            <button class="test-button" title="Run the tests" on:click=test disabled=active>
                                                "✓ Test"
                                            </button>
                                        }
                                    })}
                                <button
                                    class="run-button"
                                    title="Run this example (Ctrl+Enter)"
                                    on:click=run
                                    disabled=active
                                >
                                    "▶ Run"
                                </button>
                            </span>
                        }
                    })}
            </figcaption>
            {body}
            <Show when=move || shown.get()>
                <RunOutput view=run_view elapsed on_stdin on_close_stdin on_locate />
            </Show>
        </figure>
    }
}

fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_positions_map_to_offsets() {
        let text = "fn main() {\n    let x = 1;\n}\n";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 9), 12 + 8);
        assert_eq!(&text[offset_of(text, 2, 9)..offset_of(text, 2, 10)], "x");
        assert_eq!(offset_of(text, 99, 1), text.len());
    }
}
