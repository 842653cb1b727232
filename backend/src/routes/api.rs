//! `/api/...`: JSON endpoints. Content comes from the library being served ([`crate::content`]),
//! which also turns it into the wire types of `api-types`.

use axum::extract::{OriginalUri, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;
use crate::content;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/courses", get(courses))
        .route("/chapters/{slug}", get(chapter))
        .route("/present/{slug}", get(presentation))
        .route("/runners", get(runner_list))
        .route("/search", get(search))
        .fallback(unknown_endpoint)
}

async fn health(State(state): State<AppState>) -> Result<Json<api_types::Health>, ApiError> {
    Ok(Json(api_types::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        schema_version: state.store.schema_version().await?,
        chapters: state.content.library().chapter_count(),
    }))
}

/// Every runner and whether it works here: the page offers only those that do and explains the
/// others on the blocks that need them.
async fn runner_list(State(state): State<AppState>) -> Json<api_types::RunnerList> {
    let statuses = state.runner.sandbox.runners().await;
    let reason_for = |spec: &runners::RunnerSpec| match statuses
        .iter()
        .find(|s| s.id == spec.id)
        .map(|s| &s.available)
    {
        Some(Ok(())) => None,
        Some(Err(reason)) => Some(reason.clone()),
        None => Some(sandbox::runner_unavailable(&spec.id)),
    };
    let runners = runners::all()
        .iter()
        .map(|spec| {
            let reason = reason_for(spec);
            // The same routing as `Job::from_request`, kept to runners that work here.
            let reachable = api_types::Action::ALL
                .into_iter()
                .filter(|action| {
                    runners::for_action(spec, *action).is_some_and(|r| reason_for(r).is_none())
                })
                .collect();
            api_types::RunnerInfo {
                reachable,
                id: spec.id.clone(),
                title: spec.title.clone(),
                toolchain: spec.toolchain,
                tool: spec.tool,
                target: spec.target,
                actions: spec.actions.clone(),
                available: reason.is_none(),
                reason,
            }
        })
        .collect();
    Json(api_types::RunnerList { runners })
}

async fn courses(State(state): State<AppState>) -> Json<api_types::CourseList> {
    Json(api_types::CourseList::clone(&state.content.courses()))
}

/// The search index, fetched once by a page whose reader opens search. It changes only when the
/// content does, so a browser may keep it for a few minutes.
async fn search(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        state.content.search(),
    )
}

async fn chapter(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<api_types::Chapter>, ApiError> {
    content::chapter_page(&state.content.library(), &slug)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("there is no chapter called `{slug}`")))
}

/// The chapter as slides, for the presentation view and the presenter console.
async fn presentation(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<api_types::present::Presentation>, ApiError> {
    let library = state.content.library();
    let (course, chapter) = library.chapter(&slug).ok_or_else(|| {
        ApiError::NotFound(format!("there is no chapter called `{slug}` to present"))
    })?;
    Ok(Json(chapter.presentation(course)))
}

async fn unknown_endpoint(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("there is no API endpoint at `{}`", uri.path()))
}
