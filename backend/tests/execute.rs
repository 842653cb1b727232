//! `/api/execute` and `/api/ws` with a scripted sandbox: validation, admission, fairness,
//! streaming and cancellation, without Docker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use api_types::{ClientMessage, ExecuteRequest, ExecuteResponse, Outcome, ServerMessage};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use backend::config::AdmissionConfig;
use backend::{AppState, Runner};
use futures_util::SinkExt;
use sandbox::fake::ScriptedSandbox;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{connect, hear, say, send, serve};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture(sandbox: Arc<dyn sandbox::Sandbox>, admission: AdmissionConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    common::basics_course(&dir.path().join("content"));
    let state = common::state(dir.path(), Runner::new(sandbox, admission));
    Fixture { _dir: dir, state }
}

fn admission(concurrency: usize, capacity: usize, per_client: usize) -> AdmissionConfig {
    AdmissionConfig {
        concurrency,
        queue_capacity: capacity,
        per_address_queue: per_client,
        per_browser_queue: per_client,
        per_site_queue: per_client,
        queue_timeout: Duration::from_secs(30),
    }
}

fn post(body: impl Into<Body>, client: [u8; 4]) -> Request<Body> {
    let mut request = Request::post("/api/execute")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((client, 40000))));
    request
}

fn code(code: &str) -> String {
    serde_json::to_string(&serde_json::json!({ "code": code })).unwrap()
}

fn error_of(body: &[u8]) -> String {
    let error: api_types::ApiError = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "not the error shape ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    error.error
}

#[tokio::test]
async fn a_run_goes_through_the_sandbox() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let f = fixture(fake.clone(), admission(2, 4, 4));
    let (status, _, body) = send(&f.state, post(code("fn main(){}"), [10, 0, 0, 1])).await;
    assert_eq!(status, StatusCode::OK);
    let response: ExecuteResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(response.stdout, "hello from fn main(){}\n");
    assert_eq!(response.result.outcome, Outcome::Success);
    assert_eq!(fake.stats.finished.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_requests_are_json_4xx_and_run_nothing() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let f = fixture(fake.clone(), admission(2, 4, 4));
    let client = [10, 0, 0, 1];
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "the request is not valid",
        ),
        (
            br#"{"code":"fn main(){}","runner":"beta"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "there is no runner called `beta`; the runners are",
        ),
        (
            br#"{"files":[{"path":"../../etc/passwd.rs","contents":""}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "the file path `../../etc/passwd.rs` leaves the project",
        ),
        (
            br#"{"files":[{"path":"/etc/passwd","contents":""}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "must be relative to the project",
        ),
        (
            br#"{"files":[{"path":"src/main.rs","contents":""},{"path":".cargo/config.toml","contents":""}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "hidden file or folder",
        ),
        (
            br#"{"files":[{"path":"src/main.rs","contents":""},{"path":"run.sh","contents":""}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "is not a kind of file a project may hold",
        ),
        (
            br#"{"files":[{"path":"Cargo.toml","contents":"[package]\nname = \"x\"\n[dependencies]\nleftpad = \"1\"\n"},{"path":"src/main.rs","contents":""}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "Cargo.toml: `leftpad` is not one of the crates this playground has precompiled",
        ),
        (
            br#"{"code":"fn main(){}","flags":["linker=/bin/sh"]}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`linker` is not an allowed flag; allowed flags: panic=abort",
        ),
        (
            br#"{"code":"fn main(){}","runner":"loom","action":"fmt"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "the loom runner cannot `fmt`",
        ),
        (
            format!(
                r#"{{"files":[{}]}}"#,
                (0..40)
                    .map(|i| format!(r#"{{"path":"src/m{i}.rs","contents":""}}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            )
            .into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "the project has 40 files; the limit is 32",
        ),
        (
            br#"{"code":"fn main(){}","action":"deploy"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown action `deploy`; the actions are run, build, test, clippy, fmt, mir",
        ),
        (
            br#"{"code":"fn main(){}","colour":"red"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `colour`",
        ),
        (
            b"{\"code\":\"fn main(){ \xff }\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "the request is not valid",
        ),
        (
            code(&"/".repeat(256 * 1024 + 1)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "the code is 257 KB; the limit is 256 KB",
        ),
        (
            vec![b' '; 4 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is not valid",
        ),
    ];
    for (body, status, message) in cases {
        let (got, headers, reply) = send(&f.state, post(body, client)).await;
        assert_eq!(got, status, "{}", String::from_utf8_lossy(&reply));
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let error = error_of(&reply);
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    let no_type = Request::post("/api/execute")
        .body(Body::from(code("fn main(){}")))
        .unwrap();
    let (got, _, reply) = send(&f.state, no_type).await;
    assert_eq!(got, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_of(&reply).contains("Content-Type"));
    assert_eq!(fake.stats.started.load(Ordering::SeqCst), 0, "nothing ran");
}

#[tokio::test]
async fn a_full_queue_is_an_explicit_503_with_retry_after() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(3)));
    let f = fixture(fake.clone(), admission(1, 1, 1));
    let running = tokio::spawn(send_owned(f.state.clone(), post(code("a"), [10, 0, 0, 1])));
    wait_until(|| fake.stats.started.load(Ordering::SeqCst) == 1).await;
    let queued = tokio::spawn(send_owned(f.state.clone(), post(code("b"), [10, 0, 0, 2])));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, headers, body) = send(&f.state, post(code("c"), [10, 0, 0, 3])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "5");
    assert!(
        error_of(&body).contains("the server is busy"),
        "{}",
        error_of(&body)
    );
    assert_eq!(running.await.unwrap().0, StatusCode::OK);
    assert_eq!(queued.await.unwrap().0, StatusCode::OK);
    assert_eq!(
        fake.stats.max_running.load(Ordering::SeqCst),
        1,
        "the concurrency limit held"
    );
}

#[tokio::test]
async fn one_client_cannot_starve_another() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_millis(200)));
    let f = fixture(fake.clone(), admission(1, 10, 10));
    let mut tasks = Vec::new();
    for name in ["a1", "a2", "a3"] {
        tasks.push(tokio::spawn(send_owned(
            f.state.clone(),
            post(code(name), [10, 0, 0, 1]),
        )));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tasks.push(tokio::spawn(send_owned(
        f.state.clone(),
        post(code("b1"), [10, 0, 0, 2]),
    )));
    for task in tasks {
        assert_eq!(task.await.unwrap().0, StatusCode::OK);
    }
    let order = fake.started_codes.lock().unwrap().clone();
    assert_eq!(
        order,
        ["a1", "b1", "a2", "a3"],
        "b1 did not wait for all of a's programs"
    );
}

#[tokio::test]
async fn a_client_that_leaves_cancels_its_run_and_frees_its_slot() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let f = fixture(fake.clone(), admission(1, 4, 4));
    let gone = tokio::time::timeout(
        Duration::from_millis(300),
        send(&f.state, post(code("long"), [10, 0, 0, 1])),
    )
    .await;
    assert!(gone.is_err(), "the client hung up before the end");
    assert_eq!(fake.stats.cancelled.load(Ordering::SeqCst), 1);
    assert_eq!(fake.stats.running.load(Ordering::SeqCst), 0);
    // The slot is free again: the next run starts at once instead of queueing.
    let next = tokio::spawn(send_owned(
        f.state.clone(),
        post(code("next"), [10, 0, 0, 2]),
    ));
    wait_until(|| fake.stats.started.load(Ordering::SeqCst) == 2).await;
    next.abort();
}

#[tokio::test]
async fn an_unavailable_sandbox_is_a_clear_503() {
    let mut f = fixture(
        Arc::new(ScriptedSandbox::new(Duration::ZERO)),
        admission(1, 1, 1),
    );
    f.state.runner = Runner::unavailable("cannot reach the Docker daemon");
    let (status, _, body) = send(&f.state, post(code("fn main(){}"), [10, 0, 0, 1])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error_of(&body),
        "the code runner is not available on this server: cannot reach the Docker daemon (an administrator can run `cargo xtask images`)"
    );
}

async fn send_owned(
    state: AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    send(&state, request).await
}

async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

fn execute(code: &str) -> ClientMessage {
    ClientMessage::Execute(ExecuteRequest::run(code))
}

#[tokio::test]
async fn the_websocket_streams_an_execution_and_its_stdin() {
    let fake = Arc::new(ScriptedSandbox::echoing());
    let f = fixture(fake.clone(), admission(1, 4, 4));
    let addr = serve(f.state.clone()).await;
    let mut ws = connect(addr).await;
    say(
        &mut ws,
        ClientMessage::Stdin {
            data: "early".into(),
        },
    )
    .await;
    assert!(
        matches!(hear(&mut ws).await, ServerMessage::Error { message } if message.contains("nothing is running"))
    );

    say(&mut ws, execute("echo")).await;
    assert_eq!(hear(&mut ws).await, ServerMessage::Compiling);
    assert_eq!(hear(&mut ws).await, ServerMessage::Running);
    assert_eq!(
        hear(&mut ws).await,
        ServerMessage::Stdout {
            data: "hello from echo\n".into()
        }
    );
    say(
        &mut ws,
        ClientMessage::Stdin {
            data: "42\n".into(),
        },
    )
    .await;
    assert_eq!(
        hear(&mut ws).await,
        ServerMessage::Stdout {
            data: "42\n".into()
        }
    );
    say(&mut ws, execute("second")).await;
    assert!(
        matches!(hear(&mut ws).await, ServerMessage::Error { message } if message.contains("one at a time"))
    );
    say(&mut ws, ClientMessage::CloseStdin).await;
    match hear(&mut ws).await {
        ServerMessage::Finished(result) => assert_eq!(result.outcome, Outcome::Success),
        other => panic!("expected finished, got {other:?}"),
    }

    // The same connection runs the next one, and Kill stops it.
    say(&mut ws, execute("again")).await;
    assert_eq!(hear(&mut ws).await, ServerMessage::Compiling);
    say(&mut ws, ClientMessage::Kill).await;
    loop {
        if let ServerMessage::Finished(result) = hear(&mut ws).await {
            assert_eq!(result.outcome, Outcome::Killed);
            assert_eq!(result.explanation, "You stopped the program.");
            break;
        }
    }
    ws.send(Message::text("{\"type\":\"launch\"}"))
        .await
        .unwrap();
    assert!(
        matches!(hear(&mut ws).await, ServerMessage::Error { message } if message.contains("not valid"))
    );
}

#[tokio::test]
async fn the_websocket_reports_queue_positions_and_refuses_when_full() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(1)));
    let f = fixture(fake.clone(), admission(1, 1, 1));
    let addr = serve(f.state.clone()).await;
    let mut first = connect(addr).await;
    let mut second = connect(addr).await;
    let mut third = connect(addr).await;
    say(&mut first, execute("one")).await;
    assert_eq!(hear(&mut first).await, ServerMessage::Compiling);
    say(&mut second, execute("two")).await;
    assert_eq!(
        hear(&mut second).await,
        ServerMessage::Queued { position: 1 }
    );
    say(&mut third, execute("three")).await;
    assert!(
        matches!(hear(&mut third).await, ServerMessage::Error { message } if message.contains("the server is busy"))
    );
    assert_eq!(hear(&mut second).await, ServerMessage::Compiling);
}

#[tokio::test]
async fn a_websocket_that_disconnects_mid_run_cancels_it() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let f = fixture(fake.clone(), admission(1, 4, 4));
    let addr = serve(f.state.clone()).await;
    let mut ws = connect(addr).await;
    say(&mut ws, execute("long")).await;
    assert_eq!(hear(&mut ws).await, ServerMessage::Compiling);
    drop(ws);
    wait_until(|| fake.stats.cancelled.load(Ordering::SeqCst) == 1).await;
    assert_eq!(fake.stats.running.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn shutting_down_stops_running_executions() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let f = fixture(fake.clone(), admission(1, 4, 4));
    let addr = serve(f.state.clone()).await;
    let mut ws = connect(addr).await;
    say(&mut ws, execute("long")).await;
    assert_eq!(hear(&mut ws).await, ServerMessage::Compiling);
    let http = tokio::spawn(send_owned(
        f.state.clone(),
        post(code("queued"), [10, 0, 0, 9]),
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    f.state.runner.begin_shutdown();
    loop {
        if let ServerMessage::Finished(result) = hear(&mut ws).await {
            assert_eq!(result.outcome, Outcome::Killed);
            assert!(
                result.explanation.contains("shutting down"),
                "{}",
                result.explanation
            );
            break;
        }
    }
    let (status, _, body) = http.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let response: ExecuteResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(response.result.outcome, Outcome::Killed);
}

/// The app-wide 30 s request timeout must not cut an execution short (time is virtual here).
#[tokio::test(start_paused = true)]
async fn executions_are_not_cut_by_the_request_timeout() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(45)));
    let f = fixture(fake.clone(), admission(1, 4, 4));
    let (status, _, body) = send(&f.state, post(code("slow"), [10, 0, 0, 1])).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let response: ExecuteResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(response.result.outcome, Outcome::Success);
    assert_eq!(fake.stats.finished.load(Ordering::SeqCst), 1);
}
