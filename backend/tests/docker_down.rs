//! The server while Docker is down or restarting: pages are served, runs answer 503 with
//! `Retry-After` and a sentence a student understands (on both doors), and runs work again once
//! the daemon is back.
//!
//! The first tests need no Docker at all (the sandbox points at a socket that does not exist).
//! The restart test uses the real dockerd through a proxy socket it cuts and restores, so the
//! daemon other tests share keeps running; it is ignored by a plain `cargo test`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use api_types::{ClientMessage, ExecuteRequest, ExecuteResponse, Outcome, ServerMessage};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use backend::config::AdmissionConfig;
use backend::{AppState, Runner};
use sandbox::proxy::DockerProxy;
use sandbox::{DockerConfig, DockerSandbox, Sandbox};

mod common;
use common::{connect, hear, say, send, serve};

const RESTARTING: &str = "The code runner is restarting; try again in a few seconds.";
const HELLO: &str = "fn main() { println!(\"Hello, world!\"); }";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    sandbox: Arc<DockerSandbox>,
}

/// The app with a real `DockerSandbox` reaching Docker through `socket`.
async fn fixture(socket: PathBuf) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    common::basics_course(&dir.path().join("content"));
    let sandbox = Arc::new(
        DockerSandbox::start(DockerConfig {
            socket: Some(socket),
            warm_pool: 1,
            ..DockerConfig::default()
        })
        .await,
    );
    let state = common::state(
        dir.path(),
        Runner::new(sandbox.clone(), AdmissionConfig::default()),
    );
    Fixture {
        _dir: dir,
        state,
        sandbox,
    }
}

fn run_request() -> Request<Body> {
    let body = serde_json::to_string(&ExecuteRequest::run(HELLO)).unwrap();
    let mut request = Request::post("/api/execute")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 40000))));
    request
}

/// A run answered while Docker is down: 503, `Retry-After` and the student's sentence.
async fn assert_503(state: &AppState) {
    let (status, headers, body) = send(state, run_request()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "5");
    let error: api_types::ApiError = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.error, RESTARTING);
}

#[tokio::test]
async fn with_docker_down_pages_are_served_and_runs_get_a_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path().join("no-daemon-here.sock")).await;
    assert!(!f.sandbox.is_connected());

    let courses = Request::get("/api/courses").body(Body::empty()).unwrap();
    let (status, _, body) = send(&f.state, courses).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("Basics"));

    assert_503(&f.state).await;

    // The runners keep their Run buttons: what is missing is Docker, not an image, and a run
    // says so when it is tried.
    let runners = Request::get("/api/runners").body(Body::empty()).unwrap();
    let (status, _, body) = send(&f.state, runners).await;
    assert_eq!(status, StatusCode::OK);
    let list: api_types::RunnerList = serde_json::from_slice(&body).unwrap();
    let stable = list
        .runners
        .iter()
        .find(|r| r.id == api_types::RunnerId::default())
        .expect("the stable runner is listed");
    assert!(stable.available, "{:?}", stable.reason);
}

#[tokio::test]
async fn with_docker_down_the_websocket_says_the_same_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path().join("no-daemon-here.sock")).await;
    let addr = serve(f.state.clone()).await;
    let mut ws = connect(addr).await;
    say(&mut ws, ClientMessage::Execute(ExecuteRequest::run(HELLO))).await;
    let mut heard = Vec::new();
    loop {
        let message = hear(&mut ws).await;
        if let ServerMessage::Error { message } = message {
            assert_eq!(message, RESTARTING, "after {heard:?}");
            break;
        }
        heard.push(message);
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_docker_restart_is_a_503_then_runs_succeed_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = DockerProxy::new(dir.path().join("docker.sock"), "/var/run/docker.sock");
    let f = fixture(proxy.socket().to_owned()).await;
    let patience = Duration::from_secs(60);

    // Down at start-up, then up: served.
    assert_503(&f.state).await;
    proxy.restore().unwrap();
    assert!(
        f.sandbox.wait_connected(patience).await,
        "never reconnected"
    );
    assert_run_succeeds(&f.state).await;

    // "Restarted": a 503 while it is away, runs again once it is back.
    f.sandbox.wait_warm(patience).await;
    proxy.cut();
    assert_503(&f.state).await;
    proxy.restore().unwrap();
    assert!(
        f.sandbox.wait_connected(patience).await,
        "never reconnected"
    );
    assert_run_succeeds(&f.state).await;

    f.sandbox.shutdown().await;
    assert_eq!(f.sandbox.containers().await.unwrap(), Vec::<String>::new());
}

async fn assert_run_succeeds(state: &AppState) {
    let (status, _, body) = send(state, run_request()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let response: ExecuteResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(response.result.outcome, Outcome::Success);
    assert_eq!(response.stdout, "Hello, world!\n");
}

/// A sandbox whose runner breaks its protocol: a fault inside the server.
struct Broken(sandbox::Limits);

impl Sandbox for Broken {
    fn execute(
        &self,
        _job: sandbox::Job,
        _io: sandbox::JobIo,
    ) -> sandbox::BoxFuture<'_, Result<sandbox::Report, sandbox::SandboxError>> {
        Box::pin(async {
            Err(sandbox::SandboxError::Protocol(
                "the runner ended before compiling ()".into(),
            ))
        })
    }

    fn shutdown(&self) -> sandbox::BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn limits(&self) -> &sandbox::Limits {
        &self.0
    }
}

#[tokio::test]
async fn a_fault_inside_the_server_is_a_500_in_words_without_protocol_jargon() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fixture(dir.path().join("no-daemon-here.sock")).await;
    f.state.runner = Runner::new(
        Arc::new(Broken(sandbox::Limits::default())),
        AdmissionConfig::default(),
    );
    let (status, headers, body) = send(&f.state, run_request()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!headers.contains_key(header::RETRY_AFTER));
    let error: api_types::ApiError = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        error.error,
        "Your code could not be run because of a problem on the server, not in your code. Try again in a moment."
    );
}
