//! A student's path through the real product: the release SPA served by the real server binary,
//! in headless Chromium driven over WebDriver.
//!
//! `cargo xtask test` builds everything and sets the `RMP_E2E_*` variables these tests read.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`, which builds the SPA and the server and sets it")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A process killed when the test ends, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server, chromedriver and a browser session for one test.
struct Harness {
    base: String,
    client: Client,
    _server: Killed,
    _driver: Killed,
    _data: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut server = Command::new(required_env("RMP_E2E_SERVER_BIN"))
            .env("RMP_ADDR", format!("127.0.0.1:{port}"))
            .env("RMP_SITE_DIR", required_env("RMP_E2E_SITE_DIR"))
            .env("RMP_CONTENT_DIR", required_env("RMP_E2E_CONTENT_DIR"))
            .env("RMP_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server");
        wait_for_port(port, "the server", &mut server);

        let driver_port = free_port();
        let mut driver = Command::new(required_env("CHROMEDRIVER"))
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        wait_for_port(driver_port, "chromedriver", &mut driver);

        let profile = data.path().join("chrome-profile");
        let mut options = serde_json::json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        });
        if let Ok(chrome) = std::env::var("RMP_E2E_CHROME") {
            options["binary"] = chrome.into();
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("open a Chromium session");
        Harness {
            base: format!("http://127.0.0.1:{port}"),
            client,
            _server: Killed(server),
            _driver: Killed(driver),
            _data: data,
        }
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Waits until the first element matching `css` has exactly `text`, and returns how long it took.
    async fn wait_for_text(&self, css: &str, text: &str) -> Duration {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(30);
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                last = element.text().await.unwrap_or_default();
                if last == text {
                    return started.elapsed();
                }
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` never showed {text:?} (last seen: {last:?}) at {}",
                self.client.current_url().await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    async fn close(self) {
        self.client.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_student_opens_a_chapter_from_the_course_list() {
    let h = Harness::start().await;
    h.goto("/").await;
    h.wait_for_text("h1", "Learn advanced Rust by running it")
        .await;
    h.client
        .find(Locator::LinkText("Advanced trait patterns"))
        .await
        .expect("the course list links the chapter")
        .click()
        .await
        .unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    assert!(
        h.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/learn/trait-patterns")
    );

    // Code is shown highlighted, and visibly runnable.
    assert!(
        h.count(".code-block.runnable pre code .tok-kw").await > 0,
        "highlighted code"
    );
    let run = h
        .client
        .find(Locator::Css(".code-block .run-button"))
        .await
        .unwrap();
    assert_eq!(run.text().await.unwrap(), "▶ Run");
    // The sidebar outlines the course with this chapter marked.
    h.wait_for_text(".sidebar li.active a", "Advanced trait patterns")
        .await;
    h.close().await;
}

#[tokio::test]
async fn a_deep_link_loads_and_survives_a_reload() {
    let h = Harness::start().await;
    let started = Instant::now();
    h.goto("/learn/lifetime-variance").await;
    h.wait_for_text(".chapter-header h1", "Lifetimes and variance")
        .await;
    let first_visit = started.elapsed();

    let started = Instant::now();
    h.client.refresh().await.unwrap();
    h.wait_for_text(".chapter-header h1", "Lifetimes and variance")
        .await;
    let reload = started.elapsed();
    println!(
        "chapter heading visible: first visit {} ms, reload {} ms",
        first_visit.as_millis(),
        reload.as_millis()
    );
    assert!(
        h.count("pre code").await >= 4,
        "the chapter's examples are shown"
    );

    // Neighbour navigation goes through the client-side router.
    h.client
        .find(Locator::Css("a.previous"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    let title = h.client.title().await.unwrap();
    assert_eq!(title, "Advanced trait patterns · Rust Mastery Playground");
    h.close().await;
}

#[tokio::test]
async fn unknown_pages_and_chapters_are_explained() {
    let h = Harness::start().await;
    h.goto("/no/such/page").await;
    h.wait_for_text("h1", "Page not found").await;
    h.goto("/learn/no-such-chapter").await;
    h.wait_for_text(".not-found h1", "Chapter not found").await;
    let text = h
        .client
        .find(Locator::Css(".not-found"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("no-such-chapter"), "{text}");
    h.close().await;
}

#[tokio::test]
async fn the_theme_choice_is_remembered_across_visits() {
    let h = Harness::start().await;
    h.goto("/learn/trait-patterns").await;
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    let theme = || async {
        h.client
            .execute("return document.documentElement.dataset.theme", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = theme().await;
    h.client
        .find(Locator::Css(".theme-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while theme().await == before {
        assert!(Instant::now() < deadline, "the theme did not change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let chosen = theme().await;
    h.client.refresh().await.unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    assert_eq!(theme().await, chosen, "the theme survives a reload");
    h.close().await;
}
