//! Sharing, against the real server, sandbox and built SPA: a block shared in one browser opens
//! and runs in another (a fresh profile), markup in shared code and titles stays text, an unknown
//! id and a broken fragment say so, and "Open ↗" carries a chapter block's code in the address.

use e2e::Harness;

const CHAPTER: &str = "/learn/trait-patterns";

/// Would set `window.__xss` if any of it ran as HTML or script.
const XSS: &str = "</script><img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";

async fn no_script_ran(h: &Harness) {
    let ran = h
        .eval(
            "return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];",
        )
        .await;
    assert_eq!(
        ran,
        serde_json::json!([true, 0]),
        "markup from a share was interpreted"
    );
}

async fn editor_text(h: &Harness, css: &str) -> String {
    h.eval(&format!(
        "const c = document.querySelector('{css} .cm-content'); return c ? c.innerText : '';"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test]
async fn a_shared_block_opens_and_runs_in_a_fresh_browser_and_markup_stays_text() {
    let sharer = Harness::start().await;
    sharer
        .tag_first_editable_example(CHAPTER, "e2e-block")
        .await;
    let code = format!("fn main() {{\nprintln!(\"{{}}\", r#\"{XSS}\"#);\n}}");
    sharer.retype("#e2e-block", &code).await;
    sharer.click("#e2e-block .share-button").await;
    sharer
        .wait_until(
            "const i = document.querySelector('#e2e-block .share-link input'); return !!i && i.value.includes('/s/');",
            "the share link is shown",
        )
        .await;
    let url = sharer
        .eval("return document.querySelector('#e2e-block .share-link input').value;")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&format!("{}/s/", sharer.base)), "{url}");
    // Announced to screen readers, not only shown.
    let status = sharer
        .eval("return document.querySelector('#e2e-block .share-button + [role=status]').textContent;")
        .await;
    assert_eq!(status, "Share link ready");

    let shots = std::env::var("RMP_E2E_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("rmp-share-screens"));
    std::fs::create_dir_all(&shots).unwrap();
    for width in [1366, 360] {
        sharer.resize(width, 900).await;
        sharer
            .eval("document.querySelector('#e2e-block').scrollIntoView({block: 'start'}); window.scrollBy(0, -80);")
            .await;
        sharer
            .screenshot(&shots.join(format!("shared-link-{width}.png")))
            .await;
    }

    // Another browser profile, which has never seen the chapter, opens the link.
    let reader = Harness::start().await;
    reader.client.goto(&url).await.unwrap();
    reader
        .wait_until(
            "return !!document.querySelector('.share-page .cm-content');",
            "the share page has its editor",
        )
        .await;
    let shown = editor_text(&reader, ".share-page").await;
    assert!(shown.contains(XSS), "the same code: {shown:?}");
    reader.wait_for_text(".share-page h1", "Shared code").await;
    assert_eq!(
        reader.client.title().await.unwrap(),
        "Shared code · Rust Mastery Playground"
    );
    reader.click(".share-page .run-button").await;
    let output = reader
        .wait_for_contains(".share-page .program-output", "onerror")
        .await;
    assert_eq!(output.trim(), XSS, "the output is text");
    no_script_ran(&reader).await;

    // The playground page has Share (for the reader's version) but no "Open ↗" to itself.
    assert_eq!(reader.count(".share-page .share-button").await, 1);
    assert_eq!(reader.count(".share-page .open-playground").await, 0);

    // Screenshots of the share page, to look at.
    for width in [1366, 360] {
        reader.resize(width, 900).await;
        reader
            .screenshot(&shots.join(format!("share-{width}.png")))
            .await;
    }
    reader.close().await;
    sharer.close().await;
}

#[tokio::test]
async fn titles_unknown_ids_broken_fragments_and_open_in_the_playground() {
    let h = Harness::start().await;
    h.goto("/").await;
    h.wait_until(
        "return !!document.querySelector('main h1, main h2');",
        "the app started",
    )
    .await;
    // A title with markup, through the API as any client could send it.
    let created = h
        .eval(&format!(
            "return fetch('/api/shares', {{method: 'POST', headers: {{'content-type': 'application/json'}},
               body: JSON.stringify({{title: {title}, files: [{{path: 'src/main.rs', contents: 'fn main() {{}}'}}]}})}})
             .then(r => r.json());",
            title = serde_json::to_string(XSS).unwrap()
        ))
        .await;
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    h.goto(&format!("/s/{id}")).await;
    h.wait_for_text(".share-page h1", XSS).await;
    assert_eq!(
        h.client.title().await.unwrap(),
        format!("{XSS} · Rust Mastery Playground")
    );
    no_script_ran(&h).await;

    h.goto("/s/AAAAAAAAAAAA").await;
    h.wait_for_text(".not-found h1", "Shared code not found")
        .await;

    h.goto("/s#not-a-share%%").await;
    let said = h
        .wait_for_contains(".share-problem [role=alert]", "This link's code is broken")
        .await;
    assert!(said.contains("Ask for the link again"), "{said}");
    // Between two `/s#…` addresses the browser changes only the hash; the page follows it.
    h.goto("/s#").await;
    h.wait_for_contains(".share-problem [role=alert]", "carries no code")
        .await;

    // "Open ↗" on a chapter block: the block's code, in the address, in a new tab.
    let original = h.tag_first_editable_example(CHAPTER, "e2e-block").await;
    let href = h
        .eval("return document.querySelector('#e2e-block .open-playground').getAttribute('href');")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert!(href.starts_with("/s#"), "{href}");
    let target = h
        .eval("return document.querySelector('#e2e-block .open-playground').target;")
        .await;
    assert_eq!(target, "_blank");
    h.goto(&href).await;
    h.wait_until(
        "return !!document.querySelector('.share-page .cm-content');",
        "the fragment page has its editor",
    )
    .await;
    let shown = editor_text(&h, ".share-page").await;
    let first_line = original.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        shown.contains(first_line.trim()),
        "{shown:?} lacks {first_line:?}"
    );

    // An exercise opens with its tests, and Test is what its page does.
    h.goto(CHAPTER).await;
    h.wait_until(
        "return !!document.querySelector('.exercise .open-playground');",
        "the chapter's exercise offers Open",
    )
    .await;
    let href = h
        .eval("return document.querySelector('.exercise .open-playground').getAttribute('href');")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    h.goto(&href).await;
    h.wait_for_text(".share-page .run-button", "✓ Test").await;
    // The editor draws only the lines in view: the shared code is read from the address (in
    // the page, with the browser's own base64) rather than from the screen.
    let carried = h
        .eval(
            "const b64 = location.hash.slice(1).replace(/-/g, '+').replace(/_/g, '/');
             const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
             return JSON.parse(new TextDecoder().decode(bytes));",
        )
        .await;
    assert_eq!(carried["action"], "test", "{carried}");
    let code = carried["files"].to_string();
    assert!(code.contains("#[test]"), "the tests came along: {code}");
    h.close().await;
}
