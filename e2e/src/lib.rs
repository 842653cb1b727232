//! The end-to-end harness: the real server binary on the real built SPA, with headless Chromium
//! driven over WebDriver. `cargo xtask test` builds everything and sets the `RMP_E2E_*` variables.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`, which builds the SPA and the server and sets it")
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16, what: &str, child: &mut Child) {
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
pub struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Chromium started by chromedriver, found by its unique profile directory. chromedriver does not
/// take its browser down when it is killed, so a test that panics before `close` would otherwise
/// leave Chromium running.
struct Browser {
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // No leading dashes in the pattern, or pkill reads it as an option.
        let _ = Command::new("pkill")
            .args([
                "-KILL",
                "-f",
                &format!("user-data-dir={}", self.profile.display()),
            ])
            .stderr(Stdio::null())
            .status();
    }
}

/// The server, chromedriver and a browser session for one test.
pub struct Harness {
    pub base: String,
    pub client: Client,
    // Field order is drop order: the browser goes first, then its driver, then the server.
    _browser: Browser,
    _server: Killed,
    _driver: Killed,
    _data: tempfile::TempDir,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with_env(&[]).await
    }

    /// Like [`Harness::start`], with extra environment for the server (e.g. an image override
    /// that makes a runner missing).
    pub async fn start_with_env(env: &[(&str, &str)]) -> Harness {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut server = Command::new(required_env("RMP_E2E_SERVER_BIN"))
            .env("RMP_ADDR", format!("127.0.0.1:{port}"))
            .env("RMP_SITE_DIR", required_env("RMP_E2E_SITE_DIR"))
            .env("RMP_CONTENT_DIR", required_env("RMP_E2E_CONTENT_DIR"))
            .env("RMP_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            // Warming would compile every example in the background while the tests drive the
            // page, and answer their first runs from the cache.
            .env("RMP_CACHE_WARM", "0")
            // Last, so a test may override any of the above (its own content directory).
            .envs(env.iter().copied())
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
            _browser: Browser { profile },
            _server: Killed(server),
            _driver: Killed(driver),
            _data: data,
        }
    }

    /// Shares a small program through the API (as the Share button does) and returns the path
    /// of its page, `/s/<id>`: for the suites that visit every kind of page.
    pub async fn shared_page(&self) -> String {
        self.goto("/").await;
        let id = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch('/api/shares', {method: 'POST', headers: {'content-type': 'application/json'},
                     body: JSON.stringify({files: [{path: 'src/main.rs',
                         contents: 'fn main() {\\n    println!(\"shared\");\\n}\\n'}],
                         runner: 'stable', edition: '2024', mode: 'debug', action: 'run',
                         title: 'A shared example'})})
                   .then(r => r.json()).then(j => done(j.id || JSON.stringify(j)), e => done(String(e)));",
                vec![],
            )
            .await
            .unwrap();
        let id = id.as_str().unwrap_or_default().to_owned();
        assert!(
            !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "sharing failed: {id}"
        );
        format!("/s/{id}")
    }

    /// Stops the server now, as a lost connection would: what the page already holds must keep
    /// working without it.
    pub fn stop_server(&mut self) {
        let _ = self._server.0.kill();
        let _ = self._server.0.wait();
    }

    /// Replaces the text of the editor in `block` (a CSS selector) by typing, as a student
    /// would: click, select all, type.
    pub async fn retype(&self, block: &str, text: &str) {
        let content = self
            .client
            .find(fantoccini::Locator::Css(&format!("{block} .cm-content")))
            .await
            .unwrap();
        content.click().await.unwrap();
        let control = char::from(fantoccini::key::Key::Control);
        content
            .send_keys(&format!("{control}a{control}"))
            .await
            .unwrap();
        content.send_keys(text).await.unwrap();
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Waits until the first element matching `css` has exactly `text`, and returns how long it took.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Duration {
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

    /// Polls until the text of the first element matching `css` contains `needle`; returns it.
    pub async fn wait_for_contains(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` never contained {needle:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Finds the first element matching `css`, waiting up to 30 s for it to exist: parts of a
    /// page arrive late (the demos module, an editor), as a reader would wait for them. `purpose`
    /// names what the element was wanted for in the panic message.
    pub async fn find_waiting(&self, css: &str, purpose: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(e) if Instant::now() >= deadline => panic!("no `{css}` {purpose}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Clicks the first element matching `css` once it exists, scrolled to the middle of the
    /// window first so the sticky header cannot cover it.
    pub async fn click(&self, css: &str) {
        let element = self.find_waiting(css, "to click").await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await
            .unwrap();
        element.click().await.unwrap();
    }

    /// Chooses `value` in the `<select>` matching `css` once it exists.
    pub async fn select(&self, css: &str, value: &str) {
        self.find_waiting(css, "to choose from")
            .await
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Runs `script` (a function body that may `return`) in the page.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns `true`; `what` says what was awaited if it never does.
    pub async fn wait_until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.eval(script).await == serde_json::Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                // What the page shows says why far more often than the condition does.
                let page = self
                    .eval("return location.href + '\\n' + (document.body ? document.body.innerText.slice(0, 1500) : '(no body)');")
                    .await;
                panic!(
                    "timed out waiting until {what}; the page was:\n{}",
                    page.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Types `keys` into whatever has focus, as a keyboard user would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}

impl Harness {
    /// Opens `chapter`, waits for its first editable example's CodeMirror editor, gives that block
    /// the id `id`, and returns the editor's text.
    pub async fn tag_first_editable_example(&self, chapter: &str, id: &str) -> String {
        self.goto(chapter).await;
        self.wait_until(
            "return !!document.querySelector('.code-block.runnable .cm-content[contenteditable=true]')",
            "an editable example has a CodeMirror editor",
        )
        .await;
        let text = self
            .eval(&format!(
                "const content = document.querySelector('.code-block.runnable .cm-content[contenteditable=true]');
                 content.closest('.code-block').id = '{id}';
                 return RmpEditor.docOf(content);"
            ))
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until `script` returns `true` after the block `block` (a CSS selector) started
    /// `action`; if the run ends without it, fails with what the page said (so a server that
    /// lacks the action fails clearly, not by a timeout).
    pub async fn wait_for_action(&self, block: &str, action: &str, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut finished_at: Option<Instant> = None;
        loop {
            if self.eval(script).await == serde_json::Value::Bool(true) {
                return;
            }
            let state = self
                .eval(&format!(
                    "const b = document.querySelector('{block}');
                     const s = b && b.querySelector('.run-status');
                     if (!s || s.classList.contains('active')) return null;
                     const words = [...b.querySelectorAll('.run-status, .explanation, .diagnostic, .compiler-output pre')]
                       .map(e => e.textContent.trim()).filter(t => t).join(' | ');
                     return words;"
                ))
                .await;
            if let Some(words) = state.as_str() {
                let since = *finished_at.get_or_insert_with(Instant::now);
                // The page folds the result in right after the status changes: a moment's grace.
                assert!(
                    since.elapsed() < Duration::from_secs(3),
                    "the `{action}` request ended without {what}; the page says: {words}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} after `{action}`"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resizes the browser window (outer size, in CSS pixels).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
    }

    /// Saves a PNG of the window to `path`, creating its folder.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.unwrap();
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .unwrap_or_else(|e| panic!("create {}: {e}", folder.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}
