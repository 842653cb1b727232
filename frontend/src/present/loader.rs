//! The frame both presentation pages share: fetch a chapter's slides once, show a loading line,
//! then the page, the chapter-not-found page, or the error.

use api_types::present::Presentation;
use leptos::prelude::*;

use crate::api::{self, ApiFailure};
use crate::components::status::{ErrorList, Loading};
use crate::pages::not_found::ChapterNotFound;

/// `slug`'s slides shown by `page` inside a root element of class `class`.
pub fn presentation_page(
    class: &'static str,
    loading: &'static str,
    slug: String,
    page: impl Fn(Presentation) -> AnyView + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let fetch_slug = slug.clone();
    let deck = LocalResource::new(move || api::presentation(fetch_slug.clone()));
    let slug = StoredValue::new(slug);
    view! {
        <div class=class>
            <Transition fallback=move || view! { <Loading label=loading /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                    {move || {
                        let page = page.clone();
                        Suspend::new(async move {
                            match deck.await {
                                Ok(presentation) => Ok(page(presentation)),
                                Err(ApiFailure::NotFound(_)) => Ok(
                                    view! { <ChapterNotFound slug=slug.get_value() /> }.into_any(),
                                ),
                                Err(other) => Err(other),
                            }
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}
