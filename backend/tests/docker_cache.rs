//! The result cache with the real Docker sandbox behind it: a cached answer is identical and
//! marked, "Run again" runs afresh, identical submissions at once run once. Executions are
//! counted by a pass-through wrapper above the real sandbox. Ignored by a plain `cargo test`;
//! `cargo xtask test` runs it with `--ignored` after starting dockerd and building the runner image.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use api_types::{CacheSource, ExecuteRequest, ExecuteResponse, Outcome, RunnerId};
use backend::cache::{CacheLimits, ResultCache};
use backend::config::AdmissionConfig;
use backend::{Runner, Store};
use sandbox::{
    BoxFuture, DockerConfig, DockerSandbox, Job, JobIo, Limits, Report, RunnerStatus, Sandbox,
    SandboxError,
};

mod common;

/// The real sandbox, counting the executions that reach it.
struct Counting {
    inner: Arc<DockerSandbox>,
    executions: AtomicUsize,
}

impl Sandbox for Counting {
    fn execute(&self, job: Job, io: JobIo) -> BoxFuture<'_, Result<Report, SandboxError>> {
        self.executions.fetch_add(1, Ordering::SeqCst);
        self.inner.execute(job, io)
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Sandbox::shutdown(&*self.inner)
    }

    fn limits(&self) -> &Limits {
        Sandbox::limits(&*self.inner)
    }

    fn image_id<'a>(&'a self, runner: &'a RunnerId) -> BoxFuture<'a, Option<String>> {
        Sandbox::image_id(&*self.inner, runner)
    }

    fn runners(&self) -> BoxFuture<'_, Vec<RunnerStatus>> {
        Sandbox::runners(&*self.inner)
    }
}

struct Server {
    addr: SocketAddr,
    docker: Arc<DockerSandbox>,
    counting: Arc<Counting>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn executions(&self) -> usize {
        self.counting.executions.load(Ordering::SeqCst)
    }
}

async fn start() -> Server {
    let docker = DockerSandbox::connect(DockerConfig {
        warm_pool: 0,
        ..DockerConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("Docker is not available ({e}): run `cargo xtask test`, which starts dockerd and builds the runner image"));
    let docker = Arc::new(docker);
    let counting = Arc::new(Counting {
        inner: Arc::clone(&docker),
        executions: AtomicUsize::new(0),
    });
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    let store = Arc::new(Store::open(&dir.path().join("data")).unwrap());
    let mut runner = Runner::new(counting.clone(), AdmissionConfig::default());
    runner.cache = Some(Arc::new(ResultCache::new(
        Arc::clone(&store),
        CacheLimits::default(),
    )));
    let state = common::state_with_store(dir.path(), store, runner);
    let addr = common::serve(state).await;
    Server {
        addr,
        docker,
        counting,
        _dir: dir,
    }
}

/// A minimal HTTP/1.1 POST, so the test needs no HTTP client crate.
async fn execute(addr: SocketAddr, request: &ExecuteRequest) -> ExecuteResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::to_string(request).unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/execute HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let (_, body) = reply.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

/// A program no earlier test run can have cached (each test has its own store anyway).
fn unique_program(text: &str) -> ExecuteRequest {
    let nonce = std::process::id();
    ExecuteRequest::run(format!(
        "fn main() {{ println!(\"{text}\"); eprintln!(\"run {nonce}\"); }}"
    ))
}

async fn finish(server: Server) {
    Sandbox::shutdown(&*server.docker).await;
    assert_eq!(
        server.docker.containers().await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_cached_answer_is_identical_and_marked_and_run_again_runs_afresh() {
    let server = start().await;
    let request = unique_program("cached");
    let first = execute(server.addr, &request).await;
    assert_eq!(first.result.outcome, Outcome::Success);
    assert_eq!(first.stdout, "cached\n");
    let second = execute(server.addr, &request).await;
    assert_eq!(second.cached, None, "the second run confirms the first");
    assert_eq!(server.executions(), 2);

    let cached = execute(server.addr, &request).await;
    assert_eq!(server.executions(), 2, "no container for a cached answer");
    assert_eq!(cached.cached.as_ref().unwrap().source, CacheSource::Stored);
    assert_eq!(
        (&cached.stdout, &cached.stderr, &cached.compiler),
        (&second.stdout, &second.stderr, &second.compiler)
    );
    assert_eq!(cached.result.outcome, second.result.outcome);
    assert_eq!(cached.result.diagnostics, second.result.diagnostics);
    assert_eq!(
        cached.result.timings.compile_ms,
        second.result.timings.compile_ms
    );

    let again = execute(
        server.addr,
        &ExecuteRequest {
            fresh: true,
            ..request.clone()
        },
    )
    .await;
    assert_eq!(server.executions(), 3, "Run again compiles and runs");
    assert_eq!(again.cached, None);
    assert_eq!(again.stdout, "cached\n");

    // A compile error is an answer too, served from its first compile (nothing runs).
    let broken = ExecuteRequest {
        action: api_types::Action::Build,
        ..ExecuteRequest::run("fn main() { let x: u8 = \"no\"; }")
    };
    let first = execute(server.addr, &broken).await;
    assert_eq!(first.result.outcome, Outcome::CompileError);
    let cached = execute(server.addr, &broken).await;
    assert_eq!(server.executions(), 4);
    assert!(cached.cached.is_some());
    assert_eq!(cached.result.diagnostics, first.result.diagnostics);
    finish(server).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn identical_submissions_at_once_run_once() {
    let server = start().await;
    let request = unique_program("together");
    let answers =
        futures_util::future::join_all((0..12).map(|_| execute(server.addr, &request))).await;
    assert_eq!(
        server.executions(),
        1,
        "twelve identical submissions, one container"
    );
    let shared = answers
        .iter()
        .filter(|a| a.cached.as_ref().map(|c| c.source) == Some(CacheSource::Shared))
        .count();
    assert_eq!(shared, 11);
    for answer in &answers {
        assert_eq!(answer.result.outcome, Outcome::Success);
        assert_eq!(answer.stdout, "together\n");
    }
    finish(server).await;
}
