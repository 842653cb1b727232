//! `GET /api/content/events`: the author's loop. While the server watches its content directory
//! (`RMP_CONTENT_WATCH`), an open page follows this stream of server-sent events: one
//! [`api_types::ContentEvent`] now, and one per reload or rejected edit, so a saved chapter shows
//! without a restart and a broken one shows its `file:line`. Without watching it answers
//! `204 No Content`, which tells a browser's `EventSource` not to reconnect.

use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;

use crate::AppState;
use crate::execution::stopped;

/// Outside `/api`'s request timeout: the stream lasts as long as the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/content/events", get(events))
}

async fn events(State(state): State<AppState>) -> Response {
    if !state.content.watching() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let updates = state.content.subscribe();
    let stream = futures_util::stream::unfold((updates, true), |(mut updates, first)| async move {
        if !first {
            updates.changed().await.ok()?;
        }
        let event = updates.borrow_and_update().event.clone();
        let data = serde_json::to_string(&event).expect("a ContentEvent serialises");
        Some((
            Ok::<_, Infallible>(Event::default().data(data)),
            (updates, false),
        ))
    });
    // The graceful shutdown waits for every connection: end the stream when the server stops.
    let mut shutdown = state.runner.shutting_down();
    let stream = stream.take_until(async move { stopped(&mut shutdown).await });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
