use leptos::prelude::*;

/// A spinner with a label, for anything that takes a moment.
#[component]
pub fn Loading(
    /// What is being waited for, e.g. "Loading chapter…".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// The errors caught by an `<ErrorBoundary>`, in words, with a way to try again.
#[component]
pub fn ErrorList(
    /// The boundary's errors.
    errors: ArcRwSignal<Errors>,
) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <h2>"Something went wrong"</h2>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
            <button on:click=|_| {
                let _ = window().location().reload();
            }>"Try again"</button>
        </div>
    }
}
