//! `POST /api/execute` and `GET /api/ws`: running code through admission and the sandbox.
//!
//! Neither sits under the app's 30 s request timeout: an execution is bounded by the queue
//! timeout plus the sandbox's own compile and run limits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_types::{
    ClientMessage, ExecuteRequest, ExecuteResponse, ExecutionResult, Outcome, Phase, ServerMessage,
    Timings,
};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use sandbox::{Control, Event, ExplainContext, Job, JobIo, Report, Sandbox, StopReason};
use tokio::sync::{mpsc, watch};

use crate::AppState;
use crate::admission::{Admission, Refused};
use crate::config::AdmissionConfig;
use crate::error::{ApiError, ApiJson};

/// Submissions larger than this are refused before anything runs.
pub const MAX_CODE_BYTES: usize = 100 * 1024;
/// Standard input given up front, per request or message.
pub const MAX_STDIN_BYTES: usize = 1024 * 1024;
/// What `Retry-After` suggests when the queue is full.
const RETRY_AFTER_SECS: u64 = 5;

/// Everything needed to run code: the sandbox, admission, and the shutdown signal.
#[derive(Clone)]
pub struct Runner {
    pub sandbox: Arc<dyn Sandbox>,
    pub admission: Arc<Admission>,
    /// Identify clients by `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    shutdown: Arc<watch::Sender<bool>>,
}

impl Runner {
    pub fn new(sandbox: Arc<dyn Sandbox>, admission: AdmissionConfig) -> Runner {
        Runner {
            sandbox,
            admission: Admission::new(admission),
            trust_forwarded_for: false,
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    /// A runner whose every execution fails with `reason` (no Docker, or turned off).
    pub fn unavailable(reason: &str) -> Runner {
        Runner::new(
            Arc::new(sandbox::Unavailable::new(reason)),
            AdmissionConfig::default(),
        )
    }

    /// Stops running executions (they end as `killed`) and refuses new ones; WebSockets close.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    fn shutting_down(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/execute", post(execute))
        .route("/api/ws", get(websocket))
        // Room for 100 KB of code and 1 MiB of stdin in JSON; larger bodies get a JSON 413.
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
}

/// The client's identity for fairness: its IP address.
pub struct Client(pub String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Client, Self::Rejection> {
        if state.runner.trust_forwarded_for
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
        {
            return Ok(Client(first.trim().to_owned()));
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
        Ok(Client(ip))
    }
}

/// Checks a request at the edge and turns it into a sandbox job.
fn job_from(request: ExecuteRequest, interactive: bool) -> Result<Job, ApiError> {
    if request.code.len() > MAX_CODE_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the code is {} KB; the limit is {} KB",
            request.code.len().div_ceil(1024),
            MAX_CODE_BYTES / 1024
        )));
    }
    if request.stdin.len() > MAX_STDIN_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the standard input is {} KB; the limit is {} KB",
            request.stdin.len().div_ceil(1024),
            MAX_STDIN_BYTES / 1024
        )));
    }
    Ok(Job {
        code: request.code,
        channel: request.channel,
        mode: request.mode,
        edition: request.edition,
        action: request.action,
        stdin: request.stdin.into_bytes(),
        interactive,
    })
}

fn busy(refused: Refused) -> ApiError {
    ApiError::Busy {
        message: refused.to_string(),
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

/// The result for a job that waited too long for a slot.
fn queue_timeout(job: &Job, sandbox: &dyn Sandbox, waited: Duration) -> ExecutionResult {
    let outcome = Outcome::TimedOut {
        phase: Phase::Queue,
        limit_ms: waited.as_millis() as u64,
    };
    result_without_run(outcome, job, sandbox, StopReason::User, waited)
}

fn result_without_run(
    outcome: Outcome,
    job: &Job,
    sandbox: &dyn Sandbox,
    stop: StopReason,
    waited: Duration,
) -> ExecutionResult {
    let explanation = sandbox::explain(
        &outcome,
        &ExplainContext {
            action: job.action,
            limits: sandbox.limits(),
            phase: Phase::Queue,
            compile_errors: 0,
            stop: Some(stop),
            stdout_truncated: false,
            stderr_truncated: false,
            stderr: "",
        },
    );
    let ms = waited.as_millis() as u64;
    ExecutionResult {
        outcome,
        explanation,
        diagnostics: Vec::new(),
        timings: Timings {
            queued_ms: ms,
            total_ms: ms,
            ..Timings::default()
        },
        stdout_truncated: false,
        stderr_truncated: false,
    }
}

/// Resolves once the server begins to shut down.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|down| *down).await.is_err() {
        // The sender lives as long as the app; if it is gone, nobody will ever shut us down.
        std::future::pending::<()>().await;
    }
}

fn with_queue_time(mut report: Report, queued: Duration) -> Report {
    let ms = queued.as_millis() as u64;
    report.result.timings.queued_ms = ms;
    report.result.timings.total_ms += ms;
    report
}

async fn execute(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> Result<Json<ExecuteResponse>, ApiError> {
    let runner = &state.runner;
    let job = job_from(request, false)?;
    if *runner.shutting_down().borrow() {
        return Err(busy(Refused::QueueFull { waiting: 0 }));
    }
    let arrived = Instant::now();
    let mut ticket = runner.admission.enter(&client).map_err(busy)?;
    let queue_limit = runner.admission.config().queue_timeout;
    let mut shutdown = runner.shutting_down();
    let permit = tokio::select! {
        waited = tokio::time::timeout(queue_limit, ticket.permit()) => match waited {
            Ok(permit) => permit,
            Err(_) => {
                let result = queue_timeout(&job, runner.sandbox.as_ref(), queue_limit);
                return Ok(Json(response(String::new(), String::new(), String::new(), result)));
            }
        },
        () = stopped(&mut shutdown) => {
            let result = result_without_run(Outcome::Killed, &job, runner.sandbox.as_ref(), StopReason::Shutdown, arrived.elapsed());
            return Ok(Json(response(String::new(), String::new(), String::new(), result)));
        }
    };
    let queued = arrived.elapsed();
    let (control_tx, control) = mpsc::unbounded_channel();
    let (events, _) = mpsc::unbounded_channel();
    let execution = runner.sandbox.execute(job, JobIo { events, control });
    tokio::pin!(execution);
    // If the client disconnects, axum drops this future: the execution with it, and the sandbox
    // removes the container.
    let report = tokio::select! {
        report = &mut execution => report?,
        () = stopped(&mut shutdown) => {
            let _ = control_tx.send(Control::Stop(StopReason::Shutdown));
            execution.await?
        }
    };
    drop(permit);
    let report = with_queue_time(report, queued);
    Ok(Json(response(
        report.stdout,
        report.stderr,
        report.compiler,
        report.result,
    )))
}

fn response(
    stdout: String,
    stderr: String,
    compiler: String,
    result: ExecutionResult,
) -> ExecuteResponse {
    ExecuteResponse {
        stdout,
        stderr,
        compiler,
        result,
    }
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
async fn session(runner: Runner, client: String, socket: WebSocket) {
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

async fn run_streaming(
    runner: &Runner,
    client: &str,
    request: ExecuteRequest,
    sink: &mut Sink,
    stream: &mut Stream,
) -> After {
    let refuse = |message: String| ServerMessage::Error { message };
    let job = match job_from(request, true) {
        Ok(job) => job,
        Err(err) => return reply(sink, refuse(err.to_string())).await,
    };
    let mut shutdown = runner.shutting_down();
    let arrived = Instant::now();
    let mut ticket = match runner.admission.enter(client) {
        Ok(ticket) => ticket,
        Err(refused) => return reply(sink, refuse(refused.to_string())).await,
    };

    // Waiting: report the position as it changes; the client may give up.
    let queue_limit = runner.admission.config().queue_timeout;
    let queue_deadline = tokio::time::Instant::now() + queue_limit;
    let mut early_stdin: Vec<Control> = Vec::new();
    let permit = if ticket.is_immediate() {
        ticket.permit().await
    } else {
        let mut position = ticket.position.clone();
        let first = *position.borrow_and_update();
        if send(sink, ServerMessage::Queued { position: first })
            .await
            .is_err()
        {
            return After::Closed;
        }
        let waiting = ticket.permit();
        tokio::pin!(waiting);
        loop {
            tokio::select! {
                permit = &mut waiting => break permit,
                Ok(()) = position.changed() => {
                    let now = *position.borrow_and_update();
                    if send(sink, ServerMessage::Queued { position: now }).await.is_err() {
                        return After::Closed;
                    }
                }
                message = stream.next() => match read_client(message) {
                    Some(Said::Gone) => return After::Closed,
                    Some(Said::Control(Control::Stop(reason))) => {
                        let result = result_without_run(Outcome::Killed, &job, runner.sandbox.as_ref(), reason, arrived.elapsed());
                        return reply(sink, ServerMessage::Finished(result)).await;
                    }
                    Some(Said::Control(other)) => early_stdin.push(other),
                    Some(Said::Invalid(message)) if send(sink, refuse(message.clone())).await.is_err() => {
                        return After::Closed;
                    }
                    Some(Said::Invalid(_)) | None => {}
                },
                () = tokio::time::sleep_until(queue_deadline) => {
                    let result = queue_timeout(&job, runner.sandbox.as_ref(), queue_limit);
                    return reply(sink, ServerMessage::Finished(result)).await;
                }
                () = stopped(&mut shutdown) => {
                    let result = result_without_run(Outcome::Killed, &job, runner.sandbox.as_ref(), StopReason::Shutdown, arrived.elapsed());
                    return reply(sink, ServerMessage::Finished(result)).await;
                }
            }
        }
    };
    let queued = arrived.elapsed();

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::unbounded_channel();
    for early in early_stdin {
        let _ = control.send(early);
    }
    let execution = runner.sandbox.execute(
        job,
        JobIo {
            events: events_tx,
            control: control_rx,
        },
    );
    tokio::pin!(execution);
    let mut stopping = false;
    let outcome = loop {
        tokio::select! {
            // Events first, so that output is sent before `finished`.
            biased;
            Some(event) = events.recv() => {
                if send(sink, server_message(event)).await.is_err() {
                    return After::Closed; // Dropping `execution` removes the container.
                }
            }
            report = &mut execution => break report,
            message = stream.next() => match read_client(message) {
                Some(Said::Gone) => return After::Closed,
                Some(Said::Control(c)) => { let _ = control.send(c); }
                Some(Said::Invalid(message)) if send(sink, refuse(message.clone())).await.is_err() => {
                    return After::Closed;
                }
                Some(Said::Invalid(_)) | None => {}
            },
            () = stopped(&mut shutdown), if !stopping => {
                stopping = true;
                let _ = control.send(Control::Stop(StopReason::Shutdown));
            }
        }
    };
    drop(permit);
    while let Ok(event) = events.try_recv() {
        if send(sink, server_message(event)).await.is_err() {
            return After::Closed;
        }
    }
    let last = match outcome {
        Ok(report) => ServerMessage::Finished(with_queue_time(report, queued).result),
        Err(err) => {
            let err = ApiError::from(err);
            tracing::error!(error = %err, "an execution failed");
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

fn server_message(event: Event) -> ServerMessage {
    match event {
        Event::Compiling => ServerMessage::Compiling,
        Event::Compiler(data) => ServerMessage::Compiler { data },
        Event::Running => ServerMessage::Running,
        Event::Stdout(data) => ServerMessage::Stdout { data },
        Event::Stderr(data) => ServerMessage::Stderr { data },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_code_is_refused_with_its_size() {
        let request = ExecuteRequest {
            code: "x".repeat(MAX_CODE_BYTES + 1),
            channel: api_types::Channel::Stable,
            mode: Default::default(),
            edition: Default::default(),
            action: Default::default(),
            stdin: String::new(),
        };
        let err = job_from(request, false).unwrap_err();
        assert_eq!(err.to_string(), "the code is 101 KB; the limit is 100 KB");
    }
}
