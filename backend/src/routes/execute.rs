//! `POST /api/execute` and `GET /api/ws`: the two doors to [`Runner::execute`].
//!
//! Both check the request into a [`Job`] at the edge (a 4xx before anything runs); HTTP collects
//! the execution's report, the WebSocket streams its updates and forwards stdin and Stop.
//! Neither sits under the app's 30 s request timeout: an execution is bounded by the queue
//! timeout plus the sandbox's own compile and run limits.

use std::net::{IpAddr, SocketAddr};

use api_types::{ClientMessage, ExecuteRequest, ExecuteResponse, ServerMessage};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use sandbox::{Control, Job, StopReason};
use tokio::sync::mpsc;

use crate::AppState;
use crate::admission::{ClientKey, address_key};
use crate::error::{ApiError, ApiJson};
use crate::execution::{ExecutionError, Runner, stopped};

/// What `Retry-After` suggests when the queue is full.
const RETRY_AFTER_SECS: u64 = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/execute", post(execute))
        .route("/api/ws", get(websocket))
        // Room for a 256 KB project and 1 MiB of stdin in JSON; larger bodies get a JSON 413.
        .layer(DefaultBodyLimit::max(3 * 1024 * 1024))
}

/// The client's identity for fairness, and nothing else: its address and, when it sent one,
/// its browser id (the `x-rmp-browser` header or the `browser` query parameter), and for a run
/// from an embedded snippet the embedding site's origin (the `x-rmp-embed-site` header or the
/// `site` query parameter; see `routes/embed.rs`).
pub struct Client(pub ClientKey);

/// The header that names the site embedding a snippet (`site` in a WebSocket's query).
pub const EMBED_SITE_HEADER: &str = "x-rmp-embed-site";

/// A browser id or an embedding site that is not one: 400 with the API's error shape.
pub enum BadClient {
    BrowserId,
    Site,
}

impl IntoResponse for BadClient {
    fn into_response(self) -> Response {
        let error = match self {
            BadClient::BrowserId => format!(
                "the browser id must be {} to {} letters, digits, `-` or `_`",
                api_types::browser::BROWSER_ID_MIN_LEN,
                api_types::browser::BROWSER_ID_MAX_LEN
            ),
            BadClient::Site => "the embedding site must be an origin such as \
                                https://blog.example (http or https, a host, an optional port)"
                .to_owned(),
        };
        (StatusCode::BAD_REQUEST, Json(api_types::ApiError { error })).into_response()
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = BadClient;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Client, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = state
            .runner
            .trust_forwarded_for
            .then(|| forwarded_for(parts))
            .flatten();
        let address = forwarded
            .or(peer)
            .map_or_else(|| "unknown".to_owned(), address_key);
        let browser = browser_id(parts)?;
        let client = ClientKey::new(address, browser);
        Ok(Client(match embed_site(parts)? {
            Some(site) => client.embedded_in(site),
            None => client,
        }))
    }
}

/// The embedding site a snippet's run names, checked for form. Trusted for fairness only: a
/// client that lies about it only moves its runs into another site's share.
fn embed_site(parts: &Parts) -> Result<Option<String>, BadClient> {
    #[derive(serde::Deserialize)]
    struct SiteQuery {
        site: Option<String>,
    }
    let from_header = parts
        .headers
        .get(EMBED_SITE_HEADER)
        .map(|v| v.to_str().map(str::to_owned).map_err(|_| BadClient::Site))
        .transpose()?;
    let from_query = || {
        axum::extract::Query::<SiteQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|query| query.0.site)
    };
    match from_header.or_else(from_query) {
        Some(site) if crate::config::is_origin(&site) => Ok(Some(site)),
        Some(_) => Err(BadClient::Site),
        None => Ok(None),
    }
}

/// The address the trusted proxy saw: the last `X-Forwarded-For` entry, the one it appended
/// (some proxies add the port). Earlier entries come from the client and could be anything.
fn forwarded_for(parts: &Parts) -> Option<IpAddr> {
    let header = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?;
    let last = header.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse()
        .or_else(|_| last.parse::<SocketAddr>().map(|with_port| with_port.ip()))
        .ok()
}

/// The browser id from the header (HTTP) or the query (WebSocket), if any; a malformed one is
/// refused rather than ignored, so a broken client learns of it.
fn browser_id(parts: &Parts) -> Result<Option<&str>, BadClient> {
    let from_header = parts
        .headers
        .get(api_types::browser::BROWSER_ID_HEADER)
        .map(|v| v.to_str().map_err(|_| BadClient::BrowserId))
        .transpose()?;
    let from_query = parts.uri.query().and_then(|query| {
        query.split('&').find_map(|pair| {
            pair.strip_prefix(api_types::browser::BROWSER_ID_PARAM)?
                .strip_prefix('=')
        })
    });
    match from_header.or(from_query) {
        Some(id) if api_types::browser::is_valid_browser_id(id) => Ok(Some(id)),
        Some(_) => Err(BadClient::BrowserId),
        None => Ok(None),
    }
}

/// Checks a request at the edge and turns it into a sandbox job.
fn job_from(request: ExecuteRequest, interactive: bool) -> Result<Job, ApiError> {
    Job::from_request(request, interactive).map_err(ApiError::from)
}

impl From<ExecutionError> for ApiError {
    fn from(error: ExecutionError) -> ApiError {
        match error {
            ExecutionError::Busy(refused) => ApiError::Busy {
                message: refused.to_string(),
                retry_after_secs: RETRY_AFTER_SECS,
            },
            ExecutionError::Sandbox(error) => ApiError::Sandbox(error),
        }
    }
}

async fn execute(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> Result<Json<ExecuteResponse>, ApiError> {
    let fresh = request.fresh;
    let job = job_from(request, false)?;
    let (updates, _) = mpsc::unbounded_channel();
    // Held until the end: nothing is sent, but a closed channel would read as "client gone".
    let (_controls, controls) = mpsc::unbounded_channel();
    // If the client disconnects, axum drops this future, the execution with it, and the sandbox
    // removes the container.
    let executed = state
        .runner
        .execute(&client, job, fresh, updates, controls)
        .await?;
    let report = executed.report;
    Ok(Json(ExecuteResponse {
        stdout: report.stdout,
        stderr: report.stderr,
        compiler: report.compiler,
        result: report.result,
        cached: executed.cached,
    }))
}

async fn websocket(
    State(state): State<AppState>,
    Client(client): Client,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .max_message_size(4 * 1024 * 1024)
        .on_upgrade(move |socket| session(state.runner, client, socket))
}

/// Whether the connection is still usable after an execution.
enum After {
    Open,
    Closed,
}

/// One WebSocket connection: executions one after another until the client leaves or the
/// server shuts down. Dropping an execution (client gone) kills its container.
async fn session(runner: Runner, client: ClientKey, socket: WebSocket) {
    let _open = runner.metrics.websocket_opened();
    let (mut sink, mut stream) = socket.split();
    let mut shutdown = runner.shutting_down();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let message = tokio::select! {
            message = stream.next() => message,
            () = stopped(&mut shutdown) => break,
        };
        let text = match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                let error = "messages must be JSON text".to_owned();
                if send(&mut sink, ServerMessage::Error { message: error })
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Some(Ok(_)) => continue, // ping and pong
        };
        let reply = match serde_json::from_str::<ClientMessage>(&text) {
            Err(err) => ServerMessage::Error {
                message: format!("the message is not valid: {err}"),
            },
            Ok(ClientMessage::Execute(request)) => {
                match run_streaming(&runner, &client, request, &mut sink, &mut stream).await {
                    After::Open => continue,
                    After::Closed => return,
                }
            }
            Ok(_) => ServerMessage::Error {
                message: "nothing is running: send `execute` first".into(),
            },
        };
        if send(&mut sink, reply).await.is_err() {
            return;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

async fn send(sink: &mut Sink, message: ServerMessage) -> Result<(), axum::Error> {
    let json = serde_json::to_string(&message).expect("wire types serialize");
    sink.send(Message::Text(json.into())).await
}

/// What the client said while its execution waited or ran.
enum Said {
    Control(Control),
    /// Something to answer with an error, without stopping the execution.
    Invalid(String),
    Gone,
}

fn read_client(message: Option<Result<Message, axum::Error>>) -> Option<Said> {
    let text = match message {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Some(Said::Gone),
        Some(Ok(Message::Text(text))) => text,
        Some(Ok(_)) => return None,
    };
    Some(match serde_json::from_str::<ClientMessage>(&text) {
        Ok(ClientMessage::Stdin { data }) => Said::Control(Control::Stdin(data.into_bytes())),
        Ok(ClientMessage::CloseStdin) => Said::Control(Control::CloseStdin),
        Ok(ClientMessage::Kill) => Said::Control(Control::Stop(StopReason::User)),
        Ok(ClientMessage::Execute(_)) => {
            Said::Invalid("an execution is already running: one at a time per connection".into())
        }
        Err(err) => Said::Invalid(format!("the message is not valid: {err}")),
    })
}

/// One execution on the socket: the service's updates go out as they come, the client's
/// messages come in as controls, and the report ends it as `finished`.
async fn run_streaming(
    runner: &Runner,
    client: &ClientKey,
    request: ExecuteRequest,
    sink: &mut Sink,
    stream: &mut Stream,
) -> After {
    let refuse = |message: String| ServerMessage::Error { message };
    let fresh = request.fresh;
    let job = match job_from(request, true) {
        Ok(job) => job,
        Err(err) => return reply(sink, refuse(err.to_string())).await,
    };
    let (updates_tx, mut updates) = mpsc::unbounded_channel();
    let (controls, controls_rx) = mpsc::unbounded_channel();
    let execution = runner.execute(client, job, fresh, updates_tx, controls_rx);
    tokio::pin!(execution);
    let outcome = loop {
        tokio::select! {
            // Updates first, so that output is sent before `finished`.
            biased;
            Some(update) = updates.recv() => {
                if send(sink, update).await.is_err() {
                    return After::Closed; // Dropping `execution` removes the container.
                }
            }
            outcome = &mut execution => break outcome,
            message = stream.next() => match read_client(message) {
                Some(Said::Gone) => return After::Closed,
                Some(Said::Control(c)) => { let _ = controls.send(c); }
                Some(Said::Invalid(message)) if send(sink, refuse(message.clone())).await.is_err() => {
                    return After::Closed;
                }
                Some(Said::Invalid(_)) | None => {}
            },
        }
    };
    while let Ok(update) = updates.try_recv() {
        if send(sink, update).await.is_err() {
            return After::Closed;
        }
    }
    let last = match outcome {
        Ok(executed) => ServerMessage::Finished(executed.report.result),
        Err(err) => {
            let err = ApiError::from(err);
            if matches!(err, ApiError::Sandbox(_)) {
                tracing::error!(error = %err, cause = ?err, "an execution failed");
            }
            refuse(err.to_string())
        }
    };
    reply(sink, last).await
}

async fn reply(sink: &mut Sink, message: ServerMessage) -> After {
    match send(sink, message).await {
        Ok(()) => After::Open,
        Err(_) => After::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: &[&str]) -> Parts {
        let mut request = axum::http::Request::get("/api/execute");
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_forwarded_address_is_the_last_hop() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            forwarded_for(&parts(&["6.6.6.6, 10.1.2.3"])),
            ip("10.1.2.3")
        );
        assert_eq!(
            forwarded_for(&parts(&["6.6.6.6", "10.1.2.3"])),
            ip("10.1.2.3")
        );
        assert_eq!(forwarded_for(&parts(&["10.1.2.3:4567"])), ip("10.1.2.3"));
        assert_eq!(
            forwarded_for(&parts(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
        assert_eq!(forwarded_for(&parts(&["not an address"])), None);
        assert_eq!(forwarded_for(&parts(&[])), None);
    }

    #[test]
    fn oversized_code_is_refused_with_its_size() {
        let request = ExecuteRequest::run("x".repeat(api_types::project::MAX_PROJECT_BYTES + 1));
        let err = job_from(request, false).unwrap_err();
        assert_eq!(err.to_string(), "the code is 257 KB; the limit is 256 KB");
        assert_eq!(
            axum::response::IntoResponse::into_response(err).status(),
            axum::http::StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
