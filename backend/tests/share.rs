//! Shares (`POST /api/shares`, `GET /api/shares/{id}`, the `/s/<id>` page): through `oneshot`
//! against a real SQLite store, and through the real `rmp-server` binary killed with SIGKILL.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_types::ProjectFile;
use api_types::share::{MAX_SHARE_BYTES, Share, ShareCreated, SharedCode};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use backend::{AppState, Store};

mod common;
use common::{send, write};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    let site = dir.path().join("site");
    write(
        &site.join("index.html"),
        "<!doctype html><html><head><title>Shell</title></head><body>app shell</body></html>",
    );
    let state = AppState {
        content: backend::Content::fixed(course::Library::load(&content).unwrap()),
        store: Arc::new(Store::open(&dir.path().join("data")).unwrap()),
        site_dir: site,
        runner: backend::Runner::unavailable("no sandbox in these tests"),
        public_url: None,
        embed_sites: Default::default(),
        rooms: backend::room::Rooms::in_memory(Default::default()),
    };
    Fixture { _dir: dir, state }
}

fn snippet(code: &str) -> SharedCode {
    SharedCode {
        files: vec![ProjectFile::main(code.to_owned())],
        ..SharedCode::default()
    }
}

async fn post(state: &AppState, body: String, browser: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = Request::post("/api/shares")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "play.test")
        .header("x-rmp-browser", browser)
        .body(Body::from(body))
        .unwrap();
    send(state, request).await
}

async fn share(state: &AppState, code: &SharedCode) -> ShareCreated {
    let (status, _, body) = post(state, serde_json::to_string(code).unwrap(), "browser-1").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
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
async fn the_same_code_gets_the_same_id_and_reads_back() {
    let f = fixture();
    let mut code = snippet("fn main() { println!(\"hi\"); }");
    code.title = Some("  Hello  ".into());
    let first = share(&f.state, &code).await;
    assert_eq!(first.id.len(), 12);
    assert_eq!(first.url, format!("http://play.test/s/{}", first.id));
    assert_eq!(share(&f.state, &code).await, first, "same code, same id");

    let (status, _, body) = get(&f.state, &format!("/api/shares/{}", first.id)).await;
    assert_eq!(status, StatusCode::OK);
    let back: Share = serde_json::from_slice(&body).unwrap();
    assert_eq!(back.id, first.id);
    assert_eq!(
        back.code.title.as_deref(),
        Some("Hello"),
        "the title is trimmed"
    );
    assert_eq!(back.code.files, code.files);

    let mut other = code.clone();
    other.runner = "nightly".into();
    assert_ne!(share(&f.state, &other).await.id, first.id);
    let mut other = code.clone();
    other.action = api_types::Action::Test;
    assert_ne!(share(&f.state, &other).await.id, first.id);
    let mut other = code.clone();
    other.mode = api_types::Mode::Release;
    assert_ne!(share(&f.state, &other).await.id, first.id);
}

#[tokio::test]
async fn bad_shares_are_refused_with_a_reason() {
    let f = fixture();
    let big = serde_json::to_string(&snippet(&"x".repeat(MAX_SHARE_BYTES + 1))).unwrap();
    let (status, _, body) = post(&f.state, big, "browser-1").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        error_of(&body).contains("at most 64 KB"),
        "{}",
        error_of(&body)
    );

    // Far too large to read at all: refused by the body limit, still as JSON.
    let huge = serde_json::to_string(&snippet(&"x".repeat(1024 * 1024))).unwrap();
    let (status, _, body) = post(&f.state, huge, "browser-1").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    error_of(&body);

    for (body, expected, words) in [
        ("{not json", StatusCode::BAD_REQUEST, "not valid"),
        (
            r#"{"files": 3}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not valid",
        ),
        (
            r#"{"files": [], "owner": "me"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field",
        ),
        (
            r#"{"files": []}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no code",
        ),
        (
            r#"{"files": [{"path": "../etc/passwd.rs", "contents": ""}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "leaves the project",
        ),
        (
            r#"{"files": [{"path": "src/main.rs", "contents": ""}], "title": "a\nb"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "one line",
        ),
        (
            r#"{"files": [{"path": "src/main.rs", "contents": ""}], "edition": "1999"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not valid",
        ),
    ] {
        let (status, _, answer) = post(&f.state, body.to_owned(), "browser-1").await;
        assert_eq!(status, expected, "{body}");
        let error = error_of(&answer);
        assert!(error.contains(words), "{body}: {error}");
    }
}

#[tokio::test]
async fn unknown_ids_are_a_json_404_and_a_404_page() {
    let f = fixture();
    for id in ["AAAAAAAAAAAA", "short", "..%2F..%2Fx"] {
        let (status, _, body) = get(&f.state, &format!("/api/shares/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert!(error_of(&body).contains("no shared code"), "{id}");
    }
    let (status, _, body) = get(&f.state, "/s/AAAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<title>Shared code not found"), "{page}");
    assert!(page.contains("app shell"), "the SPA still loads to say so");
}

#[tokio::test]
async fn the_share_page_has_its_own_escaped_head() {
    let f = fixture();
    let mut code = snippet("fn main() {\n    // </script><img src=x onerror=alert(1)>\n}\n");
    code.title = Some("</title><script>alert(1)</script>".into());
    let created = share(&f.state, &code).await;
    let (status, _, body) = get(&f.state, &format!("/s/{}", created.id)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · "),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    // The fragment form's page exists too, without anything from the request in it.
    let (status, _, body) = get(&f.state, "/s").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("<title>Shared code · ")
    );
}

#[tokio::test]
async fn each_browser_and_each_network_has_an_hourly_limit() {
    let f = fixture();
    let limits = backend::store::ShareLimits::HOURLY;
    for n in 0..limits.per_browser {
        let body = serde_json::to_string(&snippet(&format!("fn main() {{ {n}; }}"))).unwrap();
        let (status, _, _) = post(&f.state, body, "flooding-browser").await;
        assert_eq!(status, StatusCode::CREATED, "share {n}");
    }
    let body = serde_json::to_string(&snippet("fn main() { 1000; }")).unwrap();
    let (status, headers, answer) = post(&f.state, body.clone(), "flooding-browser").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
    assert!(
        error_of(&answer).contains("try again in 60 minutes"),
        "{}",
        error_of(&answer)
    );
    // A classmate behind the same address still may, until the address's own limit.
    let mut classmate = 0;
    let refused = loop {
        let (status, _, _) = post(
            &f.state,
            body.clone(),
            &format!("classmate-{}", classmate / 10),
        )
        .await;
        if status != StatusCode::CREATED {
            break status;
        }
        classmate += 1;
    };
    assert_eq!(refused, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(classmate + limits.per_browser, limits.per_address);
}

/// A running `rmp-server` on a free port, killed with SIGKILL when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data: &std::path::Path, content: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_rmp-server"))
            .env("RMP_ADDR", format!("127.0.0.1:{port}"))
            .env("RMP_CONTENT_DIR", content)
            .env("RMP_DATA_DIR", data)
            .env("RMP_SITE_DIR", data.join("no-site"))
            .env("RMP_SANDBOX", "none")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "the server exited while starting"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// One HTTP/1.1 exchange: the status and the body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        (status, body.to_owned())
    }

    fn kill_9(mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn acknowledged_shares_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (data, content) = (dir.path().join("data"), dir.path().join("content"));
    std::fs::create_dir_all(&content).unwrap();
    let server = Server::start(&data, &content);
    let mut created = Vec::new();
    let mut create_times = Vec::new();
    for n in 0..20 {
        let body = serde_json::to_string(&snippet(&format!("fn main() {{ println!(\"{n}\"); }}")))
            .unwrap();
        let started = Instant::now();
        let (status, answer) = server.request("POST", "/api/shares", &body);
        create_times.push(started.elapsed());
        assert_eq!(status, 201, "{answer}");
        let share: ShareCreated = serde_json::from_str(&answer).unwrap();
        created.push((share.id, n));
    }
    // Killed right after the last acknowledgement, with no chance to flush anything.
    server.kill_9();

    let server = Server::start(&data, &content);
    let mut read_times = Vec::new();
    for (id, n) in &created {
        let started = Instant::now();
        let (status, answer) = server.request("GET", &format!("/api/shares/{id}"), "");
        read_times.push(started.elapsed());
        assert_eq!(status, 200, "{id}: {answer}");
        let share: Share = serde_json::from_str(&answer).unwrap();
        assert!(
            share.code.main_code().contains(&format!("\"{n}\"")),
            "{answer}"
        );
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    // Figures for the report, not assertions: they depend on the disk.
    println!(
        "share create median {:?} (max {:?}), read median {:?} (max {:?}), over {} shares",
        median(&mut create_times),
        create_times.last().unwrap(),
        median(&mut read_times),
        read_times.last().unwrap(),
        created.len()
    );
}
