//! `GET /metrics` and fair queues seen from outside, with a scripted sandbox: the exposition
//! parses and counts a run, routes are labelled by template, WebSockets are counted, browser ids
//! are checked, and a classroom behind one address is queued, not refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use api_types::browser::{BROWSER_ID_HEADER, BROWSER_ID_PARAM};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use backend::config::AdmissionConfig;
use backend::{AppState, Runner};
use sandbox::fake::ScriptedSandbox;

mod common;
use common::{Sample, parse_exposition, sample, send, serve};

fn state(
    sandbox: Arc<dyn sandbox::Sandbox>,
    admission: AdmissionConfig,
) -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    common::basics_course(&dir.path().join("content"));
    let state = common::state(dir.path(), Runner::new(sandbox, admission));
    (dir, state)
}

fn post(code: &str, peer: [u8; 4], browser: Option<&str>) -> Request<Body> {
    let body = serde_json::to_string(&serde_json::json!({ "code": code })).unwrap();
    let mut request =
        Request::post("/api/execute").header(header::CONTENT_TYPE, "application/json");
    if let Some(id) = browser {
        request = request.header(BROWSER_ID_HEADER, id);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    request
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn scrape(state: &AppState) -> Vec<Sample> {
    let (status, headers, body) = send(state, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{headers:?}"
    );
    parse_exposition(&String::from_utf8(body).unwrap())
}

async fn wait_until(mut condition: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

#[tokio::test]
async fn metrics_parse_and_count_a_run() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let (_dir, state) = state(fake, AdmissionConfig::default());
    let before = scrape(&state).await;
    assert_eq!(sample(&before, "rmp_cache_hits_total", &[]), Some(0.0));
    assert_eq!(sample(&before, "rmp_cache_misses_total", &[]), Some(0.0));
    assert_eq!(
        sample(&before, "rmp_queue_wait_seconds_count", &[]),
        Some(0.0)
    );

    let (status, _, _) = send(
        &state,
        post("fn main(){}", [10, 0, 0, 1], Some("browser-1")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let after = scrape(&state).await;
    let run = [
        ("runner", "stable"),
        ("action", "run"),
        ("outcome", "success"),
    ];
    assert_eq!(
        sample(&after, "rmp_runs_total", &run),
        Some(1.0),
        "{after:#?}"
    );
    assert_eq!(
        sample(&after, "rmp_queue_wait_seconds_count", &[]),
        Some(1.0)
    );
    let stable = [("runner", "stable")];
    assert_eq!(
        sample(&after, "rmp_compile_duration_seconds_count", &stable),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, "rmp_run_duration_seconds_count", &stable),
        Some(1.0)
    );
    assert_eq!(sample(&after, "rmp_queue_waiting", &[]), Some(0.0));
    assert_eq!(sample(&after, "rmp_executions_running", &[]), Some(0.0));
    assert_eq!(
        sample(&after, "rmp_containers_alive", &[]),
        Some(0.0),
        "the fake starts no container"
    );
    assert_eq!(sample(&after, "rmp_websockets_open", &[]), Some(0.0));
    assert_eq!(
        sample(
            &after,
            "rmp_http_requests_total",
            &[("route", "/api/execute"), ("status", "200")]
        ),
        Some(1.0)
    );
    // The first scrape was answered before the second counted it.
    assert_eq!(
        sample(
            &after,
            "rmp_http_requests_total",
            &[("route", "/metrics"), ("status", "200")]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn refused_runs_are_counted_with_their_reason() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let admission = AdmissionConfig {
        concurrency: 1,
        queue_capacity: 4,
        per_address_queue: 4,
        per_browser_queue: 1,
        per_site_queue: 256,
        queue_timeout: Duration::from_secs(60),
    };
    let (_dir, state) = state(fake.clone(), admission);
    let mut held = Vec::new();
    for _ in 0..2 {
        let state = state.clone();
        held.push(tokio::spawn(async move {
            send(&state, post("a", [10, 0, 0, 1], Some("flooder1"))).await
        }));
    }
    wait_until(async || state.runner.admission.load().waiting == 1).await;
    let (status, _, _) = send(&state, post("a", [10, 0, 0, 1], Some("flooder1"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let samples = scrape(&state).await;
    assert_eq!(sample(&samples, "rmp_queue_waiting", &[]), Some(1.0));
    assert_eq!(sample(&samples, "rmp_executions_running", &[]), Some(1.0));
    assert_eq!(
        sample(
            &samples,
            "rmp_admission_refusals_total",
            &[("reason", "browser_share")]
        ),
        Some(1.0)
    );
    let refused = [
        ("runner", "stable"),
        ("action", "run"),
        ("outcome", "refused"),
    ];
    assert_eq!(sample(&samples, "rmp_runs_total", &refused), Some(1.0));
    for task in &held {
        task.abort();
    }
    // The aborted requests drop their executions: counted as abandoned, slots freed.
    wait_until(async || fake.stats.running.load(Ordering::SeqCst) == 0).await;
    let abandoned = [
        ("runner", "stable"),
        ("action", "run"),
        ("outcome", "abandoned"),
    ];
    wait_until(async || sample(&scrape(&state).await, "rmp_runs_total", &abandoned) == Some(2.0))
        .await;
}

#[tokio::test]
async fn requests_are_labelled_by_route_template_never_by_path() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let (_dir, state) = state(fake, AdmissionConfig::default());
    for path in [
        "/api/chapters/first",
        "/api/chapters/no-such-chapter-1",
        "/api/chapters/no-such-chapter-2",
        "/api/no/such/endpoint",
        "/courses/basics/first",
        "/any/page/at/all",
    ] {
        send(&state, get(path)).await;
    }
    let samples = scrape(&state).await;
    let routes: Vec<&str> = samples
        .iter()
        .filter(|s| s.name == "rmp_http_requests_total")
        .map(|s| s.labels["route"].as_str())
        .collect();
    for raw in ["first", "no-such", "endpoint", "basics", "at/all"] {
        assert!(
            routes.iter().all(|r| !r.contains(raw)),
            "a raw path leaked into a label: {routes:?}"
        );
    }
    let chapter = |status: &str| {
        sample(
            &samples,
            "rmp_http_requests_total",
            &[("route", "/api/chapters/{slug}"), ("status", status)],
        )
    };
    assert_eq!(chapter("200"), Some(1.0));
    assert_eq!(chapter("404"), Some(2.0));
    assert_eq!(
        sample(
            &samples,
            "rmp_http_requests_total",
            &[("route", "fallback"), ("status", "503")]
        ),
        Some(2.0),
        "the SPA's pages (unbuilt here) answer through the fallback: {routes:?}"
    );
}

#[tokio::test]
async fn open_websockets_are_counted_until_they_close() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let (_dir, state) = state(fake, AdmissionConfig::default());
    let addr = serve(state.clone()).await;
    let open = async |state: &AppState| sample(&scrape(state).await, "rmp_websockets_open", &[]);
    let (socket, _) = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/api/ws?{BROWSER_ID_PARAM}=tab-00000001"
    ))
    .await
    .unwrap();
    wait_until(async || open(&state).await == Some(1.0)).await;
    drop(socket);
    wait_until(async || open(&state).await == Some(0.0)).await;
    let samples = scrape(&state).await;
    assert_eq!(
        sample(
            &samples,
            "rmp_http_requests_total",
            &[("route", "/api/ws"), ("status", "101")]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_malformed_browser_id_is_a_json_400() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::ZERO));
    let (_dir, state) = state(fake.clone(), AdmissionConfig::default());
    for id in ["short", "has spaces in it", &"x".repeat(65)] {
        let (status, _, body) = send(&state, post("a", [10, 0, 0, 1], Some(id))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id:?}");
        let error: api_types::ApiError = serde_json::from_slice(&body).unwrap();
        assert!(error.error.contains("browser id"), "{}", error.error);
    }
    let addr = serve(state.clone()).await;
    let refused =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/ws?{BROWSER_ID_PARAM}=bad%20id"))
            .await;
    assert!(refused.is_err(), "the upgrade is refused");
    assert_eq!(fake.stats.started.load(Ordering::SeqCst), 0, "nothing ran");
}

#[tokio::test]
async fn a_class_of_200_behind_one_address_is_served_none_refused() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_millis(5)));
    let admission = AdmissionConfig {
        concurrency: 2,
        ..AdmissionConfig::default()
    };
    let (_dir, state) = state(fake.clone(), admission);
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let state = state.clone();
            tokio::spawn(async move {
                let id = format!("student-{n:03}");
                send(&state, post("fn main(){}", [203, 0, 113, 7], Some(&id)))
                    .await
                    .0
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(fake.stats.finished.load(Ordering::SeqCst), 200);
    let samples = scrape(&state).await;
    let run = [
        ("runner", "stable"),
        ("action", "run"),
        ("outcome", "success"),
    ];
    assert_eq!(sample(&samples, "rmp_runs_total", &run), Some(200.0));
    assert!(
        samples
            .iter()
            .all(|s| s.name != "rmp_admission_refusals_total"),
        "nothing was refused"
    );
}

#[tokio::test]
async fn behind_a_proxy_the_address_is_the_hop_it_appended() {
    let fake = Arc::new(ScriptedSandbox::new(Duration::from_secs(30)));
    let admission = AdmissionConfig {
        concurrency: 1,
        queue_capacity: 10,
        per_address_queue: 1,
        per_browser_queue: 1,
        per_site_queue: 256,
        queue_timeout: Duration::from_secs(60),
    };
    let (_dir, mut state) = state(fake.clone(), admission);
    state.runner.trust_forwarded_for = true;
    // Every request comes from the proxy (10.0.0.1); the client wrote the first entries itself.
    let through_proxy = |spoofed: &str, id: &str| {
        let mut request = post("a", [10, 0, 0, 1], Some(id));
        request.headers_mut().insert(
            "x-forwarded-for",
            format!("{spoofed}, 198.51.100.20").parse().unwrap(),
        );
        request
    };
    let running = {
        let state = state.clone();
        let request = through_proxy("1.1.1.1", "browser-a");
        tokio::spawn(async move { send(&state, request).await })
    };
    wait_until(async || fake.stats.started.load(Ordering::SeqCst) == 1).await;
    let queued = {
        let state = state.clone();
        let request = through_proxy("2.2.2.2", "browser-b");
        tokio::spawn(async move { send(&state, request).await })
    };
    wait_until(async || state.runner.admission.load().waiting == 1).await;
    // A new spoofed first entry does not make a new address: 198.51.100.20's share is used up.
    let (status, _, body) = send(&state, through_proxy("3.3.3.3", "browser-c")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let error: api_types::ApiError = serde_json::from_slice(&body).unwrap();
    assert!(error.error.contains("from your network"), "{}", error.error);
    running.abort();
    queued.abort();
}
