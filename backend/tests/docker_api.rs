//! The API with the real Docker sandbox behind it: a Run over HTTP, and a WebSocket client that
//! disconnects mid-run. Ignored by a plain `cargo test`; `cargo xtask test` runs it with
//! `--ignored` after starting dockerd and building the runner image.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use api_types::{ClientMessage, ExecuteRequest, ExecuteResponse, Outcome, ServerMessage};
use backend::Runner;
use backend::config::AdmissionConfig;
use futures_util::{SinkExt, StreamExt};
use sandbox::{DockerConfig, DockerSandbox, Sandbox};
use tokio_tungstenite::tungstenite::Message;

mod common;

async fn start() -> (SocketAddr, Arc<DockerSandbox>, tempfile::TempDir) {
    let sandbox = DockerSandbox::connect(DockerConfig {
        warm_pool: 1,
        ..DockerConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("Docker is not available ({e}): run `cargo xtask test`, which starts dockerd and builds the runner image"));
    let sandbox = Arc::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    let state = common::state(
        dir.path(),
        Runner::new(sandbox.clone(), AdmissionConfig::default()),
    );
    let addr = common::serve(state).await;
    (addr, sandbox, dir)
}

fn request(code: &str) -> ExecuteRequest {
    ExecuteRequest::run(code)
}

/// A minimal HTTP/1.1 POST, so the test needs no HTTP client crate.
async fn post_json(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn hello_world_over_http_in_a_real_sandbox() {
    let (addr, sandbox, _dir) = start().await;
    let body =
        serde_json::to_string(&request("fn main() { println!(\"Hello, world!\"); }")).unwrap();
    let (status, reply) = post_json(addr, "/api/execute", &body).await;
    assert_eq!(status, 200, "{reply}");
    let response: ExecuteResponse = serde_json::from_str(&reply).unwrap();
    assert_eq!(response.result.outcome, Outcome::Success);
    assert_eq!(response.stdout, "Hello, world!\n");
    sandbox.shutdown().await;
    assert_eq!(sandbox.containers().await.unwrap(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_websocket_client_that_leaves_mid_run_gets_its_container_removed() {
    let (addr, sandbox, _dir) = start().await;
    sandbox.wait_warm(Duration::from_secs(20)).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/ws"))
        .await
        .unwrap();
    let execute = ClientMessage::Execute(request("fn main() { loop { std::hint::spin_loop(); } }"));
    ws.send(Message::text(serde_json::to_string(&execute).unwrap()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message
            && serde_json::from_str::<ServerMessage>(&text).unwrap() == ServerMessage::Running
        {
            break;
        }
    }
    // Two containers exist now: the running one and a warm replacement.
    drop(ws);
    let mut left = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = sandbox.containers().await.unwrap();
        if left.len() <= 1 {
            break;
        }
    }
    assert!(
        left.len() <= 1,
        "only the warm container may remain: {left:?}"
    );
    sandbox.shutdown().await;
    assert_eq!(sandbox.containers().await.unwrap(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn metrics_parse_and_count_a_real_run() {
    let (addr, sandbox, _dir) = start().await;
    sandbox.wait_warm(Duration::from_secs(20)).await;
    let body = serde_json::to_string(&request("fn main() { println!(\"counted\"); }")).unwrap();
    let (status, reply) = post_json(addr, "/api/execute", &body).await;
    assert_eq!(status, 200, "{reply}");
    // The pool refills in the background once the run has ended: wait for it, so the gauge
    // below has a container to count.
    sandbox.wait_warm(Duration::from_secs(20)).await;
    let (status, text) = get_json(addr, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    let samples = common::parse_exposition(&text);
    let value = |name: &str, labels: &[(&str, &str)]| common::sample(&samples, name, labels);
    let run = [
        ("runner", "stable"),
        ("action", "run"),
        ("outcome", "success"),
    ];
    assert_eq!(value("rmp_runs_total", &run), Some(1.0), "{text}");
    let stable = [("runner", "stable")];
    assert_eq!(
        value("rmp_compile_duration_seconds_count", &stable),
        Some(1.0)
    );
    assert_eq!(value("rmp_run_duration_seconds_count", &stable), Some(1.0));
    let compile_seconds = value("rmp_compile_duration_seconds_sum", &stable).unwrap();
    assert!(
        compile_seconds > 0.0,
        "a real compile takes time: {compile_seconds}"
    );
    assert_eq!(value("rmp_queue_wait_seconds_count", &[]), Some(1.0));
    // The refilled warm container (1); other tests in this binary may hold more.
    let alive = value("rmp_containers_alive", &[]).unwrap();
    assert!(alive >= 1.0, "the warm container is counted: {alive}");
    assert_eq!(
        value(
            "rmp_http_requests_total",
            &[("route", "/api/execute"), ("status", "200")]
        ),
        Some(1.0)
    );
    sandbox.shutdown().await;
}

/// A minimal HTTP/1.1 GET.
async fn get_json(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn the_runner_list_matches_the_images_present() {
    let (addr, sandbox, _dir) = start().await;
    let (status, reply) = get_json(addr, "/api/runners").await;
    assert_eq!(status, 200, "{reply}");
    let list: api_types::RunnerList = serde_json::from_str(&reply).unwrap();
    let docker = image_exists_per_docker_cli();
    for runner in &list.runners {
        let spec = runners::get(runner.id.as_str()).unwrap();
        let present = docker(&spec.image);
        assert_eq!(runner.available, present, "{runner:?}");
        match &runner.reason {
            None => assert!(present),
            Some(reason) => assert!(
                reason.starts_with(&format!("{} is not installed on this server", spec.title)),
                "{reason}"
            ),
        }
    }
    let find = |id: &str| list.runners.iter().find(|r| r.id.as_str() == id).unwrap();
    let (stable, nightly) = (find("stable"), find("nightly"));
    assert!(stable.available, "the stable image is built by the gate");
    let expanded = api_types::Action::View(api_types::CompilerView::Expanded);
    assert_eq!(
        stable.reachable.contains(&expanded),
        nightly.available,
        "a stable block's macro expansion is offered exactly when nightly works"
    );
    sandbox.shutdown().await;
}

/// Whether an image exists, asked of the `docker` CLI: a second opinion, independent of the
/// sandbox code under test.
fn image_exists_per_docker_cli() -> impl Fn(&str) -> bool {
    |image| {
        std::process::Command::new("docker")
            .args(["image", "inspect", image])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}
