//! The API's error type: every failure becomes `{"error": "..."}` with a fitting status.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What went wrong while answering an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("the store could not be read: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The request body is not a valid request (malformed JSON, unknown channel, ...).
    #[error("{}", rejection_message(.0))]
    BadJson(#[from] JsonRejection),
    #[error("{0}")]
    TooLarge(String),
    /// Admission refused the execution; the client should retry after `retry_after_secs`.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    /// Worded for a student; the technical cause is its source, for the logs.
    #[error("{}", .0.for_student())]
    Sandbox(#[from] sandbox::SandboxError),
    /// The code cannot be run as sent (a bad path, a flag off the allow-list, an unknown crate).
    #[error("{0}")]
    BadJob(#[from] sandbox::JobError),
}

/// axum's rejection texts, made to read as one sentence.
fn rejection_message(rejection: &JsonRejection) -> String {
    format!("the request is not valid: {}", rejection.body_text())
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadJson(rejection) => rejection.status(),
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Sandbox(
                sandbox::SandboxError::Unavailable(_) | sandbox::SandboxError::Restarting(_),
            ) => StatusCode::SERVICE_UNAVAILABLE,
            // A job made without the edge's checks that planning refused: still the code's fault.
            ApiError::Sandbox(sandbox::SandboxError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ApiError::Sandbox(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadJob(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadJob(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // `{:#}`-style: the cause chain on one line, for whoever reads the logs.
            let mut cause = String::new();
            let mut source = std::error::Error::source(&self);
            while let Some(err) = source {
                cause.push_str(&format!(": {err}"));
                source = err.source();
            }
            tracing::error!(error = %self, cause, "request failed");
        }
        let retry_after = match &self {
            ApiError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Sandbox(error) => error.retry_after().map(|after| after.as_secs()),
            _ => None,
        };
        let body = api_types::ApiError {
            error: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `Json<T>` whose rejections use [`ApiError`]'s shape.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);
