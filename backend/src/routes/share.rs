//! `POST /api/shares` and `GET /api/shares/{id}`: code stored under a short content-addressed id,
//! opened by the SPA at `/s/<id>` (issue 12, item 1).
//!
//! The id is a hash of the share's canonical JSON, so sharing the same code twice gives the same
//! id and stores nothing new; the body is stored as those very bytes. A share is acknowledged only
//! after its transaction committed with `synchronous=FULL` (see [`crate::store`]).

use std::time::{SystemTime, UNIX_EPOCH};

use api_types::share::{Share, ShareCreated, ShareError, SharedCode, is_valid_share_id};
use axum::extract::{DefaultBodyLimit, FromRequest, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};

use super::execute::Client;
use super::seo::public_url;
use crate::AppState;
use crate::error::ApiJson;
use crate::store::{ShareLimits, ShareRefusal, StoreError};

const LIMITS: ShareLimits = ShareLimits::HOURLY;

/// The JSON of a 64 KB share may be larger than its code (escaped quotes, newlines); anything
/// beyond this is refused before it is read.
const BODY_LIMIT: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/shares",
            post(create).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/api/shares/{id}", get(read))
}

/// Why a share request failed; the answer has the API's `{"error": ...}` shape.
#[derive(Debug, thiserror::Error)]
pub enum ShareFailure {
    #[error("{0}")]
    Invalid(ShareError),
    #[error(
        "{} shared {} times in the last hour, the limit; try again in {} minutes",
        if refusal.by_browser { "this browser has" } else { "this network (your address) has" },
        if refusal.by_browser { LIMITS.per_browser } else { LIMITS.per_address },
        refusal.retry_after_secs.div_ceil(60)
    )]
    TooMany { refusal: ShareRefusal },
    #[error("there is no shared code with the id `{0}`: the link may be mistyped or cut short")]
    Unknown(String),
    #[error("the share could not be stored or read; try again later")]
    Store(#[from] StoreError),
    /// Two different shares hashed to the same id: vanishingly unlikely, but never overwrite.
    #[error(
        "this code cannot be shared (its id is taken by other code); change it slightly and try again"
    )]
    Collision,
}

impl IntoResponse for ShareFailure {
    fn into_response(self) -> Response {
        let status = match &self {
            ShareFailure::Invalid(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            ShareFailure::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ShareFailure::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ShareFailure::Unknown(_) => StatusCode::NOT_FOUND,
            ShareFailure::Store(_) | ShareFailure::Collision => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            let cause = std::error::Error::source(&self).map(ToString::to_string);
            tracing::error!(error = %self, cause, "share request failed");
        }
        let body = api_types::ApiError {
            error: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let ShareFailure::TooMany { refusal } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after_secs),
            );
        }
        response
    }
}

/// The stored form of a share and its id: the canonical JSON (serde writes fields in
/// declaration order, so equal shares give equal bytes) and its SHA-256 in base62.
pub fn canonical(code: &SharedCode) -> (String, String) {
    let body = serde_json::to_string(code).expect("a share serializes");
    let digest = Sha256::digest(body.as_bytes());
    let mut n = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"));
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let id = (0..api_types::share::SHARE_ID_LEN)
        .map(|_| {
            let digit = BASE62[(n % 62) as usize] as char;
            n /= 62;
            digit
        })
        .collect();
    (id, body)
}

async fn create(
    State(state): State<AppState>,
    Client(client): Client,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<ShareCreated>), Response> {
    let site = public_url(&state, &request);
    let ApiJson(code) = ApiJson::<SharedCode>::from_request(request, &state)
        .await
        .map_err(IntoResponse::into_response)?;
    store_share(&state, client, code)
        .await
        .map(|id| {
            let url = site.join(&format!("/s/{id}"));
            (StatusCode::CREATED, Json(ShareCreated { id, url }))
        })
        .map_err(IntoResponse::into_response)
}

async fn store_share(
    state: &AppState,
    client: crate::admission::ClientKey,
    code: SharedCode,
) -> Result<String, ShareFailure> {
    let code = code.normalized();
    code.check().map_err(ShareFailure::Invalid)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    if let Err(refusal) = state
        .store
        .admit_share(client.address, client.browser, now, LIMITS)
        .await?
    {
        return Err(ShareFailure::TooMany { refusal });
    }
    let (id, body) = canonical(&code);
    if !state.store.put_share(id.clone(), body).await? {
        return Err(ShareFailure::Collision);
    }
    Ok(id)
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Share>, ShareFailure> {
    lookup(&state, &id)
        .await?
        .map(Json)
        .ok_or(ShareFailure::Unknown(id))
}

/// The share stored under `id`, if any (an id of the wrong shape names none).
pub async fn lookup(state: &AppState, id: &str) -> Result<Option<Share>, StoreError> {
    if !is_valid_share_id(id) {
        return Ok(None);
    }
    let Some(body) = state.store.share(id.to_owned()).await? else {
        return Ok(None);
    };
    // Written by `canonical`, so it parses; a row that does not is reported, not served.
    let code = serde_json::from_str(&body)
        .map_err(|error| StoreError::Worker(format!("share `{id}` is corrupt: {error}")))?;
    Ok(Some(Share {
        id: id.to_owned(),
        code,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_deterministic_and_depend_on_every_field() {
        let (id, body) = canonical(&SharedCode::snippet("fn main() {}"));
        assert!(is_valid_share_id(&id), "{id}");
        assert_eq!(canonical(&SharedCode::snippet("fn main() {}")).0, id);
        assert_eq!(
            serde_json::from_str::<SharedCode>(&body).unwrap(),
            SharedCode::snippet("fn main() {}")
        );
        let mut other = SharedCode::snippet("fn main() {}");
        other.runner = "nightly".into();
        assert_ne!(canonical(&other).0, id);
        let mut other = SharedCode::snippet("fn main() {}");
        other.edition = api_types::Edition::E2021;
        assert_ne!(canonical(&other).0, id);
        assert_ne!(canonical(&SharedCode::snippet("fn main() { }")).0, id);
    }
}
