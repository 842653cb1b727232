//! Calls to the server's JSON API. The SPA reaches the server only through these functions.

use api_types::{Chapter, CourseList, RunnerList};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a request to the API did not produce the data asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiFailure {
    /// The server answered 404 with this message.
    #[error("{0}")]
    NotFound(String),
    /// The server answered with another error status.
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
    /// The request never got an answer.
    #[error("cannot reach the server ({0}); check your connection and try again")]
    Network(String),
    /// The answer was not what this version of the app expects.
    #[error("the server's answer could not be read ({0}); try reloading the page")]
    Decode(String),
}

pub async fn courses() -> Result<CourseList, ApiFailure> {
    get_json("/api/courses").await
}

/// Which runners work on this server, and why the others do not.
pub async fn runners() -> Result<RunnerList, ApiFailure> {
    get_json("/api/runners").await
}

/// Everything search looks through (large: fetched only when a reader opens search).
pub async fn search_index() -> Result<api_types::SearchIndex, ApiFailure> {
    get_json("/api/search").await
}

pub async fn chapter(slug: String) -> Result<Chapter, ApiFailure> {
    get_json(&format!("/api/chapters/{}", encode_segment(&slug))).await
}

/// The chapter as slides (`/present/...`).
pub async fn presentation(slug: String) -> Result<api_types::present::Presentation, ApiFailure> {
    get_json(&format!("/api/present/{}", encode_segment(&slug))).await
}

/// Stores `code` on the server and returns its permalink. Sends this browser's id: the server
/// limits shares per browser and per address each hour.
pub async fn create_share(
    code: &api_types::share::SharedCode,
) -> Result<api_types::share::ShareCreated, ApiFailure> {
    let body = serde_json::to_string(code).map_err(|e| ApiFailure::Decode(e.to_string()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|e| ApiFailure::Network(js_message(&e)))?;
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set(
        api_types::browser::BROWSER_ID_HEADER,
        &crate::run::browser_id(),
    );
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init("/api/shares", &init)
        .map_err(|e| ApiFailure::Network(js_message(&e)))?;
    fetch_json(&request).await
}

/// The shared code stored under `id`.
pub async fn share(id: String) -> Result<api_types::share::Share, ApiFailure> {
    get_json(&format!("/api/shares/{}", encode_segment(&id))).await
}

/// Opens a class session (issue 11): its code, join address, QR code and the teacher's secret.
pub async fn create_room() -> Result<api_types::room::RoomCreated, ApiFailure> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let request = web_sys::Request::new_with_str_and_init("/api/rooms", &init)
        .map_err(|e| ApiFailure::Network(js_message(&e)))?;
    fetch_json(&request).await
}

/// The presenter console's address for the teacher's phone (the secret in its fragment) and its
/// QR code. The secret goes in the body of a POST, never in an address.
pub async fn phone_console(
    code: &str,
    asked: &api_types::room::PhoneConsoleRequest,
) -> Result<api_types::room::PhoneConsole, ApiFailure> {
    let body = serde_json::to_string(asked).map_err(|e| ApiFailure::Decode(e.to_string()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|e| ApiFailure::Network(js_message(&e)))?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let url = format!("/api/rooms/{}/phone", encode_segment(code));
    let request = web_sys::Request::new_with_str_and_init(&url, &init)
        .map_err(|e| ApiFailure::Network(js_message(&e)))?;
    fetch_json(&request).await
}

/// Whether the class session `code` exists (a 404 when it does not, or no longer does).
pub async fn room(code: String) -> Result<api_types::room::RoomInfo, ApiFailure> {
    get_json(&format!("/api/rooms/{}", encode_segment(&code))).await
}

/// The sentence in a JavaScript error ("Failed to fetch"), never its stack trace, which means
/// nothing to a student.
pub fn js_message(error: &wasm_bindgen::JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "the browser gave no reason".to_owned())
}

/// Percent-encodes everything but unreserved characters, so a slug cannot change the path.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let request =
        web_sys::Request::new_with_str(url).map_err(|e| ApiFailure::Network(js_message(&e)))?;
    fetch_json(&request).await
}

async fn fetch_json<T: DeserializeOwned>(request: &web_sys::Request) -> Result<T, ApiFailure> {
    let network = |e: wasm_bindgen::JsValue| ApiFailure::Network(js_message(&e));
    let window = web_sys::window().ok_or_else(|| ApiFailure::Network("no window".into()))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(request))
        .await
        .map_err(network)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?
        .as_string()
        .unwrap_or_default();
    let status = response.status();
    if !(200..300).contains(&status) {
        let message = serde_json::from_str::<api_types::ApiError>(&text)
            .map(|e| e.error)
            .unwrap_or_else(|_| response.status_text());
        return Err(if status == 404 {
            ApiFailure::NotFound(message)
        } else {
            ApiFailure::Server { status, message }
        });
    }
    serde_json::from_str(&text).map_err(|e| ApiFailure::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::encode_segment;

    #[test]
    fn slugs_cannot_escape_their_path_segment() {
        assert_eq!(encode_segment("w01-toolchain"), "w01-toolchain");
        assert_eq!(encode_segment("../health"), "..%2Fhealth");
        assert_eq!(encode_segment("a b?c"), "a%20b%3Fc");
    }
}
