//! Embedded snippets on a page from another origin: a static "blog" served by a tiny server of
//! the test's own (another port, so another origin) with the one script tag, a CSP that allows
//! only what the example page documents, and three snippets. Against the real server, sandbox
//! and Chromium: a snippet runs and shows its output, the host page hears the events, a test
//! snippet reports its tests, frames resize, an off-screen snippet has no frame until scrolled
//! to, "Open in the playground" opens the same code in the SPA, and markup in code, output and
//! forged messages (from a third origin, and from the page itself) never runs or is ignored.
//! Prints the embed's transfer size before a reader touches it and its time to interactive.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use e2e::Harness;
use fantoccini::Locator;

/// Would set `window.__xss` if any of it ran as HTML or script.
const XSS: &str = r#"</script><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"#;

/// The blog post: two snippets near the top, one far below; the host page records every event.
fn blog_page(playground: &str) -> String {
    let xss_in_rust = XSS.replace('"', "\\\"");
    let escaped = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog post</title></head>
<body style="margin:0;font:16px sans-serif">
<article style="max-width:720px;margin:0 auto">
<h1>Ownership, by example</h1>
<pre id="one"><code class="language-rust"># use std::fmt::Write as _;
fn main() {{
    let mut out = String::new();
    write!(out, "sum={{}}", (1..=4).sum::&lt;u32&gt;()).unwrap();
    println!("{{out}}");
    println!("{xss}");
}}
</code></pre>
<pre id="two" data-action="test" data-readonly="1-3"><code class="language-rust">pub fn double(x: i32) -> i32 {{
    x * 2
}}
#[cfg(test)]
mod tests {{
    #[test]
    fn doubles() {{ assert_eq!(super::double(2), 4); }}
    #[test]
    fn wrong_on_purpose() {{ assert_eq!(super::double(2), 5); }}
}}
</code></pre>
<div style="height:4000px">A long essay.</div>
<rust-playground id="three" theme="dark" editable="false">
fn main() {{ println!("from far below"); }}
</rust-playground>
</article>
<script>
window.events = [];
for (const name of ["ready", "run-started", "output", "finished", "test-passed", "test-failed", "code-changed"]) {{
  document.addEventListener("rust-playground:" + name, (e) => {{
    window.events.push({{ id: e.target.id, type: name, detail: e.detail, at: performance.now() }});
  }});
}}
</script>
<script src="{playground}/embed.js" defer></script>
</body></html>"#,
        xss = escaped(&xss_in_rust),
    )
}

/// A page from a third origin that, framed by the blog, posts forged messages to every other
/// frame of the blog and to the blog itself.
const EVIL_PAGE: &str = r#"<!doctype html><html><body><script>
const forged = [
  { rmp: "rust-playground", type: "set-code", code: "fn main() { println!(\"EVIL\"); }" },
  { rmp: "rust-playground", type: "run" },
  { rmp: "rust-playground", type: "height", height: 3 },
  { rmp: "rust-playground", type: "code-changed", code: "EVIL" },
];
for (let i = 0; i < parent.frames.length; i++) {
  if (parent.frames[i] === window) continue;
  for (const m of forged) parent.frames[i].postMessage(m, "*");
}
for (const m of forged) parent.postMessage(m, "*");
document.title = "sent";
</script></body></html>"#;

/// Serves the blog page (any path but `/evil.html`) from `127.0.0.1:<port>`, with a CSP of
/// exactly the lines `/embed/example` tells a blog to add (plus its own inline script).
fn serve_blog(playground: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let body = if path.starts_with("/evil.html") {
                EVIL_PAGE.to_owned()
            } else {
                blog_page(&playground)
            };
            let csp = format!(
                "default-src 'self'; script-src 'self' 'unsafe-inline' {playground}; \
                 frame-src {playground} http://localhost:{port}; style-src 'unsafe-inline'"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Security-Policy: {csp}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// The events the host page heard for `id` of `kind`, in order.
async fn events(h: &Harness, id: &str, kind: &str) -> Vec<serde_json::Value> {
    h.eval(&format!(
        "return window.events.filter(e => e.id === '{id}' && e.type === '{kind}').map(e => e.detail);"
    ))
    .await
    .as_array()
    .cloned()
    .unwrap_or_default()
}

async fn wait_for_event(h: &Harness, id: &str, kind: &str) -> serde_json::Value {
    h.wait_until(
        &format!("return window.events.some(e => e.id === '{id}' && e.type === '{kind}');"),
        &format!("the host page hears `{kind}` from #{id}"),
    )
    .await;
    events(h, id, kind).await.pop().unwrap()
}

async fn frame_height(h: &Harness, id: &str) -> f64 {
    h.eval(&format!(
        "return document.getElementById('{id}').rustPlayground.frame.getBoundingClientRect().height;"
    ))
    .await
    .as_f64()
    .unwrap()
}

/// Runs `body` inside the frame of the snippet `id`, then comes back to the host page.
async fn in_frame(h: &Harness, id: &str, script: &str) -> serde_json::Value {
    let frame = h
        .client
        .find(Locator::Css(&format!("#{id} + iframe")))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
    let value = h.eval(script).await;
    h.client.enter_parent_frame().await.unwrap();
    value
}

async fn no_script_ran(h: &Harness, id: &str) {
    let host = h
        .eval(
            "return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];",
        )
        .await;
    assert_eq!(
        host,
        serde_json::json!([true, 0]),
        "markup ran in the host page"
    );
    let frame = in_frame(
        h,
        id,
        "return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];",
    )
    .await;
    assert_eq!(
        frame,
        serde_json::json!([true, 0]),
        "markup ran in the snippet"
    );
}

#[tokio::test]
async fn snippets_on_another_origin_run_report_resize_load_lazily_and_resist_forgery() {
    let h = Harness::start_with_env(&[("RMP_WARM_POOL", "0")]).await;
    let blog_port = serve_blog(h.base.clone());
    let blog = format!("http://127.0.0.1:{blog_port}/post.html");
    let started = Instant::now();
    h.client.goto(&blog).await.unwrap();

    // The two snippets near the top get frames; the one 4000 px below does not.
    let ready = wait_for_event(&h, "one", "ready").await;
    let time_to_ready = started.elapsed();
    assert!(
        ready["code"]
            .as_str()
            .unwrap()
            .starts_with("use std::fmt::Write as _;\nfn main()"),
        "the hidden line is part of the program: {ready}"
    );
    wait_for_event(&h, "two", "ready").await;
    h.wait_until(
        "return getComputedStyle(document.getElementById('one')).display === 'none';",
        "the blog's own block gives way to the ready snippet",
    )
    .await;
    assert_eq!(
        h.count("iframe").await,
        2,
        "only the snippets near the viewport have frames"
    );
    assert_eq!(
        h.eval("return document.getElementById('three').rustPlayground.frame;")
            .await,
        serde_json::Value::Null,
        "the far snippet is still the page's own element"
    );

    // Weight before touching: the host's embed.js and each frame's page, script and style.
    let host_bytes = h
        .eval(
            "return performance.getEntriesByType('resource')
                .filter(e => e.name.includes('/embed'))
                .reduce((n, e) => n + e.transferSize, 0);",
        )
        .await
        .as_f64()
        .unwrap();
    let frame_cost = "return performance.getEntries()
        .filter(e => e.entryType === 'navigation' || e.entryType === 'resource')
        .map(e => [e.name.replace(/\\?.*/, ''), e.transferSize, e.encodedBodySize]);";
    let first = in_frame(&h, "one", frame_cost).await;
    let second = in_frame(&h, "two", frame_cost).await;
    let sum = |entries: &serde_json::Value| -> f64 {
        entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[1].as_f64().unwrap())
            .sum()
    };
    let names = format!("{first} {second}");
    assert!(
        !names.contains(".wasm") && !names.contains("editor"),
        "no wasm and no editor before a reader touches a snippet: {names}"
    );
    let before_touch = host_bytes + sum(&first) + sum(&second);
    println!(
        "embed weight before touching (transfer, compressed, headers included): embed.js {host_bytes} B; \
         first snippet frame {} B {first}; second snippet frame {} B {second}; total {before_touch} B",
        sum(&first),
        sum(&second)
    );
    assert!(
        before_touch < 150.0 * 1024.0,
        "{before_touch} bytes before touching"
    );

    // Run through the instance API: output and events reach the host; the frame grows.
    let height_before = frame_height(&h, "one").await;
    h.eval("document.getElementById('one').rustPlayground.run();")
        .await;
    wait_for_event(&h, "one", "run-started").await;
    let finished = wait_for_event(&h, "one", "finished").await;
    assert_eq!(finished["outcome"], "success", "{finished}");
    let output: String = events(&h, "one", "output")
        .await
        .iter()
        .filter(|e| e["stream"] == "stdout")
        .map(|e| e["data"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(output, format!("sum=10\n{XSS}\n"));
    let shown = in_frame(
        &h,
        "one",
        "return document.querySelector('.output').textContent;",
    )
    .await;
    assert!(
        shown.as_str().unwrap().contains(XSS),
        "the output is shown as text: {shown}"
    );
    h.wait_until(
        &format!(
            "return document.getElementById('one').rustPlayground.frame.getBoundingClientRect().height > {};",
            height_before + 20.0
        ),
        "the frame grows to show the output",
    )
    .await;
    let height_after = frame_height(&h, "one").await;
    let inner = in_frame(
        &h,
        "one",
        "return document.documentElement.getBoundingClientRect().height;",
    )
    .await
    .as_f64()
    .unwrap();
    assert!(
        (height_after - inner.ceil()).abs() <= 1.0,
        "{height_after} vs {inner}"
    );
    no_script_ran(&h, "one").await;

    // The test snippet, by its own Test button inside the frame: each test is reported.
    let frame = h.client.find(Locator::Css("#two + iframe")).await.unwrap();
    frame.enter_frame().await.unwrap();
    let read_only = h.count(".seg.ro").await;
    h.click("button.run").await;
    h.client.enter_parent_frame().await.unwrap();
    assert_eq!(read_only, 1, "lines 1-3 are one read-only segment");
    let finished = wait_for_event(&h, "two", "finished").await;
    assert_eq!(finished["tests"].as_array().unwrap().len(), 2, "{finished}");
    let passed = wait_for_event(&h, "two", "test-passed").await;
    let failed = wait_for_event(&h, "two", "test-failed").await;
    assert_eq!(passed["name"], "tests::doubles");
    assert_eq!(failed["name"], "tests::wrong_on_purpose");
    let listed = in_frame(
        &h,
        "two",
        "return document.querySelectorAll('.tests li').length;",
    )
    .await;
    assert_eq!(listed, 2);
    h.eval("document.querySelector('#two + iframe').scrollIntoView({block: 'start'});")
        .await;
    let folder = std::env::var("RMP_E2E_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("rmp-e2e-screens"));
    h.screenshot(&folder.join("embed-blog-tests-run.png")).await;

    // Forged messages: from a third origin's frame to the snippets and the page, and from the
    // page's own window pretending to be a snippet. None is obeyed.
    let changes_before = events(&h, "one", "code-changed").await.len();
    let runs_before = events(&h, "one", "run-started").await.len();
    let height_one = frame_height(&h, "one").await;
    h.eval(&format!(
        "const f = document.createElement('iframe'); f.id = 'evil';
         f.src = 'http://localhost:{blog_port}/evil.html'; document.body.prepend(f);
         window.postMessage({{ rmp: 'rust-playground', type: 'code-changed', code: 'FORGED' }}, '*');
         window.postMessage({{ rmp: 'rust-playground', type: 'height', height: 2 }}, '*');"
    ))
    .await;
    let evil = h.client.find(Locator::Id("evil")).await.unwrap();
    evil.enter_frame().await.unwrap();
    h.wait_until(
        "return document.title === 'sent';",
        "the third origin's page sends its messages",
    )
    .await;
    h.client.enter_parent_frame().await.unwrap();
    // Give the forged messages time to be (wrongly) acted on; a run would start at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        events(&h, "one", "code-changed").await.len(),
        changes_before
    );
    assert_eq!(events(&h, "one", "run-started").await.len(), runs_before);
    assert_eq!(frame_height(&h, "one").await, height_one);
    let code = h
        .eval("return document.getElementById('one').rustPlayground.getCode();")
        .await;
    assert!(!code.as_str().unwrap().contains("EVIL") && !code.as_str().unwrap().contains("FORGED"));
    let in_snippet = in_frame(
        &h,
        "one",
        "return document.querySelector('.code').textContent;",
    )
    .await;
    assert!(
        !in_snippet.as_str().unwrap().contains("EVIL"),
        "{in_snippet}"
    );

    // setCode, getCode and reset, each heard as code-changed; "Open in the playground" carries
    // the changed code (UTF-8 and markup included) to the SPA's share page.
    let new_code = "fn main() {\n    println!(\"héllo ✓ </script>\");\n}\n";
    h.client
        .execute(
            "document.getElementById('one').rustPlayground.setCode(arguments[0]);",
            vec![new_code.into()],
        )
        .await
        .unwrap();
    h.wait_until(
        &format!(
            "return window.events.some(e => e.id === 'one' && e.type === 'code-changed' && e.detail.code === {});",
            serde_json::to_string(new_code).unwrap()
        ),
        "setCode is heard as code-changed",
    )
    .await;
    let open = in_frame(&h, "one", "return document.querySelector('a.open').href;").await;
    let open = open.as_str().unwrap().to_owned();
    assert!(open.starts_with(&format!("{}/s#", h.base)), "{open}");
    h.eval("document.getElementById('one').rustPlayground.reset();")
        .await;
    h.wait_until(
        "return document.getElementById('one').rustPlayground.getCode().startsWith('use std::fmt::Write');",
        "reset brings the original code back",
    )
    .await;

    // Touching the code loads the editor (and only then); an edit is heard as code-changed.
    let frame = h.client.find(Locator::Css("#one + iframe")).await.unwrap();
    frame.enter_frame().await.unwrap();
    h.click(".seg").await;
    h.wait_until(
        "return !!document.querySelector('.seg .cm-editor .cm-content');",
        "the editor replaces the highlighted code",
    )
    .await;
    h.press("// edited ").await;
    let editor_bytes = h
        .eval(
            "return performance.getEntriesByType('resource')
                .filter(e => e.name.includes('editor'))
                .map(e => [e.name, e.transferSize]);",
        )
        .await;
    h.client.enter_parent_frame().await.unwrap();
    println!("the editor, fetched when the reader first touches the code: {editor_bytes}");
    h.wait_until(
        "return window.events.some(e => e.id === 'one' && e.type === 'code-changed' && e.detail.code.includes('// edited '));",
        "an edit in the editor is heard as code-changed",
    )
    .await;

    // Lazy: scrolled to, the far snippet gets its frame, dark and read-only.
    h.eval("document.getElementById('three').scrollIntoView();")
        .await;
    wait_for_event(&h, "three", "ready").await;
    let look = in_frame(
        &h,
        "three",
        "return [document.documentElement.className, document.querySelectorAll('.seg.ro').length, document.querySelectorAll('.seg:not(.ro)').length];",
    )
    .await;
    assert_eq!(look, serde_json::json!(["theme-dark", 1, 0]));
    assert_eq!(h.count("iframe.rust-playground-frame").await, 3);

    println!(
        "time to an interactive snippet (navigation to the first `ready` event, cold cache): {} ms",
        time_to_ready.as_millis()
    );

    // The SPA opens the code the snippet's script encoded.
    h.client.goto(&open).await.unwrap();
    h.wait_until(
        "const c = document.querySelector('.cm-content'); return !!c && c.innerText.includes('héllo ✓ </script>');",
        "the playground opens the snippet's code from its fragment",
    )
    .await;
    let ran = h
        .eval(
            "return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];",
        )
        .await;
    assert_eq!(ran, serde_json::json!([true, 0]));
    h.close().await;
}

/// The example page at 1366 and 360 px wide in both colour schemes, saved for a person to look
/// at; it must not scroll sideways, and its three snippets become frames.
#[tokio::test]
async fn the_example_page_renders_at_two_widths_in_both_themes() {
    let h = Harness::start_with_env(&[("RMP_WARM_POOL", "0")]).await;
    let folder = std::env::var("RMP_E2E_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("rmp-e2e-screens"));
    for scheme in ["light", "dark"] {
        for width in [1366u32, 360] {
            h.resize(width, 900).await;
            // `?theme=` sets the page's colours and every snippet's `data-theme`, as a blog with a
            // theme switch would.
            let started = Instant::now();
            h.goto(&format!("/embed/example?theme={scheme}")).await;
            h.wait_until(
                "return RustPlayground.instances[0].ready;",
                "the example's first snippet is ready",
            )
            .await;
            println!(
                "/embed/example at {width} px, {scheme}: first snippet interactive {} ms after navigating (cache warm after the first)",
                started.elapsed().as_millis()
            );
            let sideways = h
                .eval("return document.documentElement.scrollWidth > document.documentElement.clientWidth;")
                .await;
            assert_eq!(
                sideways, false,
                "the example page scrolls sideways at {width} px"
            );
            h.eval("RustPlayground.instances[0].frame.scrollIntoView({block: 'start'});")
                .await;
            h.wait_until(
                "return RustPlayground.instances.slice(0, 2).every(i => i.ready);",
                "the second snippet is ready once scrolled near",
            )
            .await;
            let path = folder.join(format!("embed-example-{width}-{scheme}.png"));
            h.screenshot(&path).await;
            println!("saved {}", path.display());
        }
    }
    h.close().await;
}
