//! The result cache above the sandbox seam (a scripted sandbox, a real SQLite store): answers
//! served and marked, "Run again", identical submissions sharing one run, the socket's replay,
//! and what is never cached. `docker_cache.rs` checks the same with the real sandbox.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use api_types::{CacheSource, ClientMessage, ExecuteRequest, ExecuteResponse, ServerMessage};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use backend::cache::{CacheLimits, ResultCache};
use backend::config::AdmissionConfig;
use backend::{AppState, Runner, Store};
use sandbox::fake::ScriptedSandbox;

mod common;
use common::{Ws, hear, say, send};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    fake: Arc<ScriptedSandbox>,
}

fn fixture(fake: ScriptedSandbox) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    let store = Arc::new(Store::open(&dir.path().join("data")).unwrap());
    let fake = Arc::new(fake);
    let mut runner = Runner::new(
        fake.clone(),
        AdmissionConfig {
            concurrency: 2,
            ..AdmissionConfig::default()
        },
    );
    runner.cache = Some(Arc::new(ResultCache::new(
        Arc::clone(&store),
        CacheLimits::default(),
    )));
    let state = common::state_with_store(dir.path(), store, runner);
    Fixture {
        _dir: dir,
        state,
        fake,
    }
}

fn post(request: &ExecuteRequest, client: u8) -> Request<Body> {
    let mut http = Request::post("/api/execute")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_string(request).unwrap()))
        .unwrap();
    http.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, client], 40000))));
    http
}

async fn run(f: &Fixture, request: &ExecuteRequest) -> ExecuteResponse {
    let (status, _, body) = send(&f.state, post(request, 1)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn started(f: &Fixture) -> usize {
    f.fake.stats.started.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_confirmed_answer_is_served_identical_and_marked_and_run_again_runs_afresh() {
    let f = fixture(ScriptedSandbox::new(Duration::ZERO));
    let request = ExecuteRequest::run("fn main() { println!(\"1\"); }");
    let first = run(&f, &request).await;
    assert_eq!(first.cached, None);
    // A program that runs is served only once a second run reproduced it.
    let second = run(&f, &request).await;
    assert_eq!(second.cached, None);
    assert_eq!(started(&f), 2);

    let third = run(&f, &request).await;
    assert_eq!(started(&f), 2, "answered without running");
    let info = third.cached.clone().expect("marked as cached");
    assert_eq!(info.source, CacheSource::Stored);
    assert!(info.age_secs < 60, "{info:?}");
    assert_eq!(third.stdout, second.stdout);
    assert_eq!(third.result.outcome, second.result.outcome);
    assert_eq!(third.result.explanation, second.result.explanation);

    let again = run(
        &f,
        &ExecuteRequest {
            fresh: true,
            ..request.clone()
        },
    )
    .await;
    assert_eq!(started(&f), 3, "Run again always runs");
    assert_eq!(again.cached, None);
    assert_eq!(again.stdout, third.stdout);
    let (status, _, body) = send(
        &f.state,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let samples = common::parse_exposition(&String::from_utf8(body).unwrap());
    assert_eq!(
        common::sample(&samples, "rmp_cache_hits_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        common::sample(&samples, "rmp_cache_misses_total", &[]),
        Some(3.0)
    );
}

#[tokio::test]
async fn other_settings_never_get_the_answer() {
    let f = fixture(ScriptedSandbox::new(Duration::ZERO));
    let request = ExecuteRequest::run("fn main() {}");
    run(&f, &request).await;
    run(&f, &request).await;
    assert!(run(&f, &request).await.cached.is_some());
    let before = started(&f);
    let variants = [
        ExecuteRequest {
            mode: api_types::Mode::Release,
            ..request.clone()
        },
        ExecuteRequest {
            edition: api_types::Edition::E2021,
            ..request.clone()
        },
        ExecuteRequest {
            stdin: "x".into(),
            ..request.clone()
        },
        ExecuteRequest {
            action: api_types::Action::Build,
            ..request.clone()
        },
        ExecuteRequest::run("fn main() { }"),
    ];
    for (i, variant) in variants.iter().enumerate() {
        let answer = run(&f, variant).await;
        assert_eq!(answer.cached, None, "variant {i}");
        assert_eq!(started(&f), before + i + 1, "variant {i} ran");
    }
}

#[tokio::test]
async fn identical_submissions_in_flight_run_once() {
    let f = fixture(ScriptedSandbox::new(Duration::from_millis(300)));
    let request = ExecuteRequest::run("fn main() { println!(\"together\"); }");
    let answers = futures_util::future::join_all(
        (0..40u8).map(|client| send(&f.state, post(&request, client))),
    )
    .await;
    assert_eq!(started(&f), 1, "forty identical submissions, one run");
    let mut shared = 0;
    for (status, _, body) in answers {
        assert_eq!(status, StatusCode::OK);
        let answer: ExecuteResponse = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            answer.stdout,
            "hello from fn main() { println!(\"together\"); }\n"
        );
        if let Some(info) = answer.cached {
            assert_eq!(info.source, CacheSource::Shared);
            shared += 1;
        }
    }
    assert_eq!(shared, 39);
}

#[tokio::test]
async fn code_whose_output_may_vary_is_never_cached_nor_shared() {
    let f = fixture(ScriptedSandbox::new(Duration::from_millis(100)));
    let request =
        ExecuteRequest::run("fn main() { println!(\"{:?}\", std::time::SystemTime::now()); }");
    let answers = futures_util::future::join_all(
        (0..3u8).map(|client| send(&f.state, post(&request, client))),
    )
    .await;
    for (status, _, _) in &answers {
        assert_eq!(*status, StatusCode::OK);
    }
    assert!(run(&f, &request).await.cached.is_none());
    assert_eq!(started(&f), 4);
}

/// Every message of one execution on the socket, `finished` last.
async fn execute(ws: &mut Ws, request: &ExecuteRequest, stdin: &[&str]) -> Vec<ServerMessage> {
    say(ws, ClientMessage::Execute(request.clone())).await;
    for line in stdin {
        say(
            ws,
            ClientMessage::Stdin {
                data: (*line).into(),
            },
        )
        .await;
    }
    if !stdin.is_empty() {
        say(ws, ClientMessage::CloseStdin).await;
    }
    let mut heard = Vec::new();
    loop {
        let message = hear(ws).await;
        let last = matches!(
            message,
            ServerMessage::Finished(_) | ServerMessage::Error { .. }
        );
        heard.push(message);
        if last {
            return heard;
        }
    }
}

#[tokio::test]
async fn the_socket_replays_a_cached_answer_after_saying_so() {
    let f = fixture(ScriptedSandbox::new(Duration::ZERO));
    let addr = common::serve(f.state.clone()).await;
    let mut ws = common::connect(addr).await;
    let request = ExecuteRequest::run("fn main() { println!(\"replay\"); }");
    let ran = execute(&mut ws, &request, &[]).await;
    execute(&mut ws, &request, &[]).await;
    let replayed = execute(&mut ws, &request, &[]).await;
    assert_eq!(started(&f), 2);
    let ServerMessage::Cached(info) = &replayed[0] else {
        panic!("the replay starts with `cached`: {replayed:?}");
    };
    assert_eq!(info.source, CacheSource::Stored);
    // The same sequence as the run streamed, timings aside.
    let without_timings = |messages: &[ServerMessage]| -> Vec<ServerMessage> {
        messages
            .iter()
            .cloned()
            .map(|m| match m {
                ServerMessage::Finished(mut result) => {
                    result.timings = api_types::Timings::default();
                    ServerMessage::Finished(result)
                }
                other => other,
            })
            .collect()
    };
    assert_eq!(without_timings(&replayed[1..]), without_timings(&ran));
}

#[tokio::test]
async fn an_answer_that_used_live_stdin_is_never_stored() {
    let f = fixture(ScriptedSandbox::echoing());
    let addr = common::serve(f.state.clone()).await;
    let mut ws = common::connect(addr).await;
    let request = ExecuteRequest::run("fn main() { /* reads stdin */ }");
    for secret in ["first\n", "second\n", "third\n"] {
        let heard = execute(&mut ws, &request, &[secret]).await;
        assert!(
            !heard.iter().any(|m| matches!(m, ServerMessage::Cached(_))),
            "{heard:?}"
        );
        assert!(
            heard
                .iter()
                .any(|m| matches!(m, ServerMessage::Stdout { data } if data == secret)),
            "{heard:?}"
        );
    }
    assert_eq!(started(&f), 3);
}

#[tokio::test]
async fn warming_runs_examples_until_confirmed_and_a_restart_costs_nothing() {
    let f = fixture(ScriptedSandbox::new(Duration::ZERO));
    let runs = ExecuteRequest::run("fn main() { println!(\"warm\"); }");
    let builds = ExecuteRequest {
        action: api_types::Action::Build,
        ..ExecuteRequest::run("fn main() {}")
    };
    let varies = ExecuteRequest::run("fn main() { let _ = std::time::Instant::now(); }");
    let examples = vec![runs.clone(), builds.clone(), varies];
    f.state.runner.warm(examples.clone()).await;
    assert_eq!(
        started(&f),
        3,
        "twice to confirm a run, once for a build, never what varies"
    );
    let answer = run(&f, &runs).await;
    assert_eq!(answer.cached.unwrap().source, CacheSource::Stored);
    assert!(run(&f, &builds).await.cached.is_some());
    assert_eq!(started(&f), 3);
    f.state.runner.warm(examples).await;
    assert_eq!(started(&f), 3, "what is confirmed is not run again");
}
