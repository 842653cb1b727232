//! Plumbing shared by the backend's integration tests. Each test binary uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api_types::{ClientMessage, ServerMessage};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use backend::{AppState, Runner, Store, app};
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

/// Writes `text` to `path`, creating its directories.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The server's state over a test directory: content loaded from `dir/content`, the store in
/// `dir/data`, the built site in `dir/site`, and `runner`.
pub fn state(dir: &Path, runner: Runner) -> AppState {
    let store = Arc::new(Store::open(&dir.join("data")).unwrap());
    state_with_store(dir, store, runner)
}

/// [`state`] with a store the test holds too (a cache on it, say).
pub fn state_with_store(dir: &Path, store: Arc<Store>, runner: Runner) -> AppState {
    AppState {
        content: backend::Content::fixed(course::Library::load(&dir.join("content")).unwrap()),
        store,
        site_dir: dir.join("site"),
        runner,
        public_url: None,
        embed_sites: Default::default(),
        rooms: backend::room::Rooms::in_memory(Default::default()),
    }
}

/// One course, `basics`, with one chapter, `first`, under `content`.
pub fn basics_course(content: &Path) {
    write(
        &content.join("basics/course.toml"),
        "title = \"Basics\"\nsummary = \"First steps\"\norder = 1\n",
    );
    write(
        &content.join("basics/first.md"),
        "+++\ntitle = \"First\"\norder = 1\nminutes = 5\nsummary = \"About first\"\n+++\n# First\n",
    );
}

/// Sends one request through the whole router, without a server, and collects the answer.
pub async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// Serves the app on a free port, with client addresses, as `main` does.
pub async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// One sample of a metrics exposition: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the OpenMetrics text `/metrics` serves, panicking with the line on anything malformed:
/// a sample whose family has no `# TYPE` before it, a bad name, label or value, text after
/// `# EOF` or no `# EOF` at all.
pub fn parse_exposition(text: &str) -> Vec<Sample> {
    fn is_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut families: Vec<String> = Vec::new();
    let mut samples = Vec::new();
    let mut ended = false;
    for line in text.lines() {
        assert!(!ended, "text after `# EOF`: {line:?}");
        if line == "# EOF" {
            ended = true;
            continue;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let (kind, name) = (words.next().unwrap(), words.next().unwrap_or(""));
            assert!(
                matches!(kind, "HELP" | "TYPE" | "UNIT") && is_name(name),
                "bad comment line {line:?}"
            );
            if kind == "TYPE" {
                let kind = words.next().unwrap_or("");
                assert!(
                    [
                        "counter",
                        "gauge",
                        "histogram",
                        "summary",
                        "info",
                        "unknown"
                    ]
                    .contains(&kind),
                    "unknown type in {line:?}"
                );
                families.push(name.to_owned());
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, std::collections::BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                let mut labels = std::collections::BTreeMap::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (key, after) = rest
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("bad label in {line:?}"));
                    assert!(is_name(key), "bad label name in {line:?}");
                    let mut value = String::new();
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => match chars.next() {
                                Some((_, 'n')) => value.push('\n'),
                                Some((_, c @ ('\\' | '"'))) => value.push(c),
                                _ => panic!("bad escape in {line:?}"),
                            },
                            Some((i, '"')) => break i,
                            Some((_, c)) => value.push(c),
                            None => panic!("unterminated label value in {line:?}"),
                        }
                    };
                    labels.insert(key.to_owned(), value);
                    rest = &after[end + 1..];
                    rest = rest.strip_prefix(',').unwrap_or(rest);
                }
                (name, labels)
            }
        };
        assert!(is_name(name), "bad metric name in {line:?}");
        let family = ["_total", "_bucket", "_sum", "_count", "_created", "_info"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|family| families.iter().any(|f| f == family))
            .unwrap_or(name);
        assert!(
            families.iter().any(|f| f == family),
            "no `# TYPE` before {line:?}"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    assert!(ended, "no `# EOF` at the end");
    samples
}

/// The value of the sample `name` with exactly `labels`, if present.
pub fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

/// A client's execution socket.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the execution socket of the server at `addr`.
pub async fn connect(addr: SocketAddr) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}/api/ws"))
        .await
        .unwrap()
        .0
}

/// Sends one client message on the socket.
pub async fn say(ws: &mut Ws, message: ClientMessage) {
    say_json(ws, &message).await;
}

/// Sends one message of any socket's protocol (the execution socket's, a room's) as JSON.
pub async fn say_json<T: serde::Serialize>(ws: &mut Ws, message: &T) {
    let json = serde_json::to_string(message).unwrap();
    ws.send(Message::text(json)).await.unwrap();
}

/// The next server message on the socket (within 10 s).
pub async fn hear(ws: &mut Ws) -> ServerMessage {
    hear_json(ws).await
}

/// The next text message on the socket, read as `T` (within 10 s).
pub async fn hear_json<T: serde::de::DeserializeOwned>(ws: &mut Ws) -> T {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}
