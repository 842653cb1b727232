//! What writing each page's head costs: the app shell as it was (the built `index.html` served as
//! a file, its precompressed `.gz` sent as it is) against the shell as it is now (read, given the
//! chapter's head, compressed on the fly by the router's compression layer), through the whole
//! router. Prints figures; asserts only that both answer. Needs a built site and the content:
//!
//! ```text
//! RMP_SITE_DIR=dist cargo test --release -p backend --test shell_cost -- --ignored --nocapture
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use backend::{AppState, Store};

mod common;
use common::send;

const ROUNDS: usize = 2000;

#[tokio::test]
#[ignore = "a measurement: run by hand with --release --ignored --nocapture"]
async fn rendering_the_head_costs_this_much() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let site = std::env::var_os("RMP_SITE_DIR").map_or(root.join("dist"), PathBuf::from);
    let content = std::env::var_os("RMP_CONTENT_DIR").map_or(root.join("content"), PathBuf::from);
    assert!(
        site.join("index.html").is_file(),
        "no built site in {} (set RMP_SITE_DIR)",
        site.display()
    );
    let data = tempfile::tempdir().unwrap();
    let state = AppState {
        content: backend::Content::fixed(course::Library::load(&content).unwrap()),
        store: Arc::new(Store::open(data.path()).unwrap()),
        site_dir: site,
        runner: backend::Runner::unavailable("not running code"),
        public_url: None,
        embed_sites: Default::default(),
        rooms: backend::room::Rooms::in_memory(Default::default()),
    };
    let chapter = state
        .content
        .library()
        .chapters()
        .next()
        .unwrap()
        .1
        .slug
        .clone();
    let rendered = format!("/learn/{chapter}");
    for encoding in ["identity", "gzip", "br"] {
        for (what, uri) in [
            ("index.html as a file", "/index.html"),
            ("rendered chapter shell", rendered.as_str()),
        ] {
            let (per_request, bytes, sent_as) = measure(&state, uri, encoding).await;
            println!(
                "Accept-Encoding {encoding:8} {what:24} {:7.1} µs/request, {bytes:5} bytes ({sent_as})",
                per_request.as_secs_f64() * 1e6
            );
        }
    }
}

/// The mean time of one request through the router, and the size and encoding of its answer.
async fn measure(state: &AppState, uri: &str, encoding: &str) -> (Duration, usize, String) {
    let request = || {
        Request::get(uri)
            .header(header::ACCEPT_ENCODING, encoding)
            .header(header::HOST, "localhost:8080")
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, body) = send(state, request()).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    let sent_as = headers
        .get(header::CONTENT_ENCODING)
        .map_or("identity", |value| value.to_str().unwrap())
        .to_owned();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        send(state, request()).await;
    }
    (started.elapsed() / ROUNDS as u32, body.len(), sent_as)
}
