//! A block's tools in a real chapter against the real server and sandbox: compiler views (MIR,
//! assembly) highlighted in their panel, Format, a Clippy lint marked in the editor, and the
//! Debug/Release switch in the request. Also how the tools look at three window sizes.
//!
//! If the server lacks an action, the tests fail with what the page said about it.
use e2e::Harness;
use fantoccini::Locator;
use fantoccini::key::Key;

const CHAPTER: &str = "/learn/trait-patterns";
const BLOCK: &str = "#e2e-tools";

/// Replaces the editor's text by typing, as a student would (select all, then type).
async fn retype(h: &Harness, text: &str) {
    h.retype(BLOCK, text).await;
}

async fn editor_text(h: &Harness) -> String {
    h.eval(&format!(
        "return RmpEditor.docOf(document.querySelector('{BLOCK} .cm-content'));"
    ))
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// A program whose function keeps its own symbol in the assembly.
const ADDER: &str = "#[inline(never)]\nfn add_numbers(a: u64, b: u64) -> u64 {\na + b\n}\nfn main() {\nprintln!(\"{}\", add_numbers(2, 3));\n}";

#[tokio::test]
async fn a_student_picks_compiler_views_and_sees_them_highlighted() {
    let h = Harness::start().await;
    h.tag_first_editable_example(CHAPTER, "e2e-tools").await;
    retype(&h, ADDER).await;

    h.select(&format!("{BLOCK} .view-select"), "mir").await;
    h.wait_for_action(
        BLOCK,
        "mir",
        &format!(
            "const c = document.querySelector('{BLOCK} .view-panel .cm-content');
             return !!c && c.innerText.includes('bb0');"
        ),
        "a MIR view containing `bb0`",
    )
    .await;
    // Basic blocks are coloured as labels, comments as comments.
    let colours = h
        .eval(&format!(
            "const spans = [...document.querySelectorAll('{BLOCK} .view-panel .cm-line span')];
             const bb = spans.find(s => s.textContent.startsWith('bb0'));
             return [bb ? bb.className : null, spans.some(s => s.className.includes('tok-com')),
                     document.querySelector('{BLOCK} .view-title').textContent];"
        ))
        .await;
    assert_eq!(colours[0], "tok-life", "bb0 is highlighted: {colours}");
    assert_eq!(colours[2], "MIR");

    h.select(&format!("{BLOCK} .view-select"), "asm-intel")
        .await;
    h.wait_for_action(
        BLOCK,
        "asm-intel",
        &format!(
            "const t = document.querySelector('{BLOCK} .view-title');
             const c = document.querySelector('{BLOCK} .view-panel .cm-content');
             return !!t && t.textContent === 'Assembly (Intel)' && !!c && c.innerText.includes('ret');"
        ),
        "an assembly view",
    )
    .await;
    // The editor draws only what is on screen, so the function's symbol is found by searching.
    h.click(&format!("{BLOCK} .view-search")).await;
    let field = h
        .client
        .find(Locator::Css(&format!(
            "{BLOCK} .view-panel .cm-search input[name=search]"
        )))
        .await
        .expect("the view's search field");
    field
        .send_keys(&format!("add_numbers{}", char::from(Key::Enter)))
        .await
        .unwrap();
    h.wait_until(
        &format!(
            "return [...document.querySelectorAll('{BLOCK} .view-panel .cm-searchMatch')]
               .some(m => m.textContent === 'add_numbers');"
        ),
        "the assembly contains `add_numbers` (found by the view's search)",
    )
    .await;
    let instructions = h
        .eval(&format!(
            "return document.querySelectorAll('{BLOCK} .view-panel .tok-kw').length;"
        ))
        .await;
    assert!(
        instructions.as_u64().unwrap_or(0) > 3,
        "instructions are highlighted: {instructions}"
    );
    // Where rustc maps lines (it does for assembly), a click on a source line marks the lines it
    // became, and pointing at one of those marks its source line.
    let mapped = h
        .eval(&format!(
            "return !!document.querySelector('{BLOCK} .view-hint');"
        ))
        .await;
    if mapped == serde_json::Value::Bool(true) {
        let line = h
            .client
            .find(Locator::XPath(&format!(
                "//*[@id='{}']//div[contains(@class,'cm-content') and @contenteditable='true']/div[contains(., 'a + b')]",
                &BLOCK[1..]
            )))
            .await
            .unwrap();
        h.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&line).unwrap()],
            )
            .await
            .unwrap();
        line.click().await.unwrap();
        h.wait_until(
            &format!("return !!document.querySelector('{BLOCK} .view-panel .cm-mapped-line');"),
            "the assembly lines from `a + b` are marked",
        )
        .await;
        h.eval(&format!(
            "const line = document.querySelector('{BLOCK} .view-panel .cm-mapped-line');
             line.scrollIntoView({{block: 'center'}});
             const r = line.getBoundingClientRect();
             line.dispatchEvent(new MouseEvent('mousemove', {{bubbles: true, clientX: r.left + 5, clientY: r.top + r.height / 2}}));
             return true;"
        ))
        .await;
        h.wait_until(
            &format!(
                "const m = document.querySelector('{BLOCK} .cm-content[contenteditable=true] .cm-mapped-line');
                 return !!m && m.textContent.includes('a + b');"
            ),
            "pointing at an assembly line marks `a + b` in the code",
        )
        .await;
    } else {
        println!("the server sent no source map for assembly: mapping not checked");
    }
    assert_eq!(h.count(&format!("{BLOCK} .view-copy")).await, 1);
    h.click(&format!("{BLOCK} .view-close")).await;
    assert_eq!(h.count(&format!("{BLOCK} .view-panel")).await, 0);
    h.close().await;
}

#[tokio::test]
async fn format_rewrites_a_squashed_program_in_one_undoable_step() {
    let h = Harness::start().await;
    h.tag_first_editable_example(CHAPTER, "e2e-tools").await;
    let squashed = "fn main(){let x=1;println!(\"{}\",x);}";
    retype(&h, squashed).await;
    assert_eq!(editor_text(&h).await, squashed);
    h.click(&format!("{BLOCK} .format-button")).await;
    let formatted = "fn main() {\n    let x = 1;\n    println!(\"{}\", x);\n}";
    h.wait_for_action(
        BLOCK,
        "fmt",
        &format!(
            "return RmpEditor.docOf(document.querySelector('{BLOCK} .cm-content')).trimEnd() === {};",
            serde_json::to_string(formatted).unwrap()
        ),
        "the code reformatted",
    )
    .await;
    h.wait_for_contains(&format!("{BLOCK} .edited-badge"), "edited")
        .await;

    // One Ctrl-Z brings the squashed code back.
    let content = h
        .client
        .find(Locator::Css(&format!("{BLOCK} .cm-content")))
        .await
        .unwrap();
    content.click().await.unwrap();
    let undo = format!("{}z{}", char::from(Key::Control), char::from(Key::Control));
    content.send_keys(&undo).await.unwrap();
    h.wait_until(
        &format!(
            "return RmpEditor.docOf(document.querySelector('{BLOCK} .cm-content')).trimEnd() === {};",
            serde_json::to_string(squashed).unwrap()
        ),
        "one undo restores the code before formatting",
    )
    .await;

    // A syntax error: rustfmt's message is shown and the code is left as it is.
    let broken = "fn main() { let x = ; }";
    retype(&h, broken).await;
    h.click(&format!("{BLOCK} .format-button")).await;
    h.wait_until(
        &format!(
            "const s = document.querySelector('{BLOCK} .run-status');
             return !!s && !s.classList.contains('active');"
        ),
        "the format request finishes",
    )
    .await;
    assert_eq!(editor_text(&h).await, broken, "the code is untouched");
    let said = h
        .eval(&format!(
            "return [...document.querySelectorAll('{BLOCK} .output .explanation, {BLOCK} .compiler-output pre, {BLOCK} .diagnostic')]
               .map(e => e.textContent).join(' ');"
        ))
        .await;
    assert!(
        !said.as_str().unwrap_or_default().trim().is_empty(),
        "rustfmt's complaint is shown"
    );
    h.close().await;
}

#[tokio::test]
async fn a_clippy_lint_is_marked_at_its_line_and_links_its_documentation() {
    let h = Harness::start().await;
    h.tag_first_editable_example(CHAPTER, "e2e-tools").await;
    retype(
        &h,
        "fn main() {\nlet v = [1, 2, 3];\nfor i in 0..v.len() {\nprintln!(\"{}\", v[i]);\n}\n}",
    )
    .await;
    h.click(&format!("{BLOCK} .clippy-button")).await;
    h.wait_for_action(
        BLOCK,
        "clippy",
        &format!("return !!document.querySelector('{BLOCK} .cm-lintRange-warning');"),
        "a Clippy mark in the editor",
    )
    .await;
    let marked = h
        .eval(&format!(
            "const mark = [...document.querySelectorAll('{BLOCK} .cm-lintRange-warning')]
               .find(m => m.closest('.cm-line').textContent.includes('for i'));
             const line = mark.closest('.cm-line');
             const lines = [...document.querySelectorAll('{BLOCK} .cm-content > .cm-line')];
             return [lines.indexOf(line) + 1, line.innerText];"
        ))
        .await;
    assert_eq!(marked, serde_json::json!([3, "    for i in 0..v.len() {"]));
    let link = h
        .eval(&format!(
            "const a = [...document.querySelectorAll('{BLOCK} .diagnostic a.error-code')]
               .find(a => a.textContent.includes('needless_range_loop'));
             return a ? a.href : null;"
        ))
        .await;
    assert_eq!(
        link,
        "https://rust-lang.github.io/rust-clippy/master/index.html#needless_range_loop"
    );
    h.close().await;
}

/// Records every message the page sends on its execution sockets.
const RECORD_SENT: &str = "window.rmpSent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) { window.rmpSent.push(String(data)); return send.call(this, data); };
    return true;";

#[tokio::test]
async fn the_release_switch_changes_the_request() {
    let h = Harness::start().await;
    h.tag_first_editable_example(CHAPTER, "e2e-tools").await;
    h.eval(RECORD_SENT).await;
    let mode = format!("{BLOCK} .mode-select");
    let initial = h
        .eval(&format!("return document.querySelector('{mode}').value;"))
        .await;
    assert_eq!(initial, "debug", "an ordinary block starts in Debug");
    for wanted in ["release", "debug"] {
        h.select(&mode, wanted).await;
        h.eval("window.rmpSent = []; return true;").await;
        h.click(&format!("{BLOCK} .run-button")).await;
        h.wait_until(
            "return window.rmpSent.some(m => m.includes('\"execute\"'));",
            "the page sends its request",
        )
        .await;
        let sent = h
            .eval("return JSON.parse(window.rmpSent.find(m => m.includes('\"execute\"')));")
            .await;
        assert_eq!(sent["type"], "execute", "{sent}");
        assert_eq!(sent["mode"], wanted, "{sent}");
        h.wait_until(
            &format!(
                "const s = document.querySelector('{BLOCK} .run-status');
                 return !!s && !s.classList.contains('active');"
            ),
            "the run finishes",
        )
        .await;
    }
    h.close().await;
}

#[tokio::test]
async fn the_tools_fit_a_phone_a_laptop_and_a_projector() {
    let h = Harness::start().await;
    h.tag_first_editable_example(CHAPTER, "e2e-tools").await;
    retype(&h, ADDER).await;
    // The layout is checked with whatever the server answers (a MIR view, or why not).
    h.select(&format!("{BLOCK} .view-select"), "mir").await;
    h.wait_until(
        &format!(
            "const s = document.querySelector('{BLOCK} .run-status');
             return !!s && !s.classList.contains('active');"
        ),
        "the MIR request finishes",
    )
    .await;
    let folder = std::env::var_os("RMP_E2E_SCREENSHOTS").map(std::path::PathBuf::from);
    if let Some(folder) = &folder {
        std::fs::create_dir_all(folder).unwrap();
    }
    for (name, width, height, larger, dark) in [
        ("laptop-1366x768", 1366, 768, 0, false),
        ("projector-1920x1080-large-dark", 1920, 1080, 4, true),
        ("phone-390x844", 390, 844, 0, false),
    ] {
        h.resize(width, height).await;
        // Text size and theme through their keyboard shortcuts, with the focus on the page.
        h.eval("document.activeElement && document.activeElement.blur(); return true;")
            .await;
        let body = h.client.find(Locator::Css("body")).await.unwrap();
        for _ in 0..larger {
            body.send_keys("+").await.unwrap();
        }
        if dark {
            body.send_keys("t").await.unwrap();
        }
        h.eval(&format!(
            "document.querySelector('{BLOCK} .block-tools').scrollIntoView({{block: 'start'}});
             window.scrollBy(0, -140); return true;"
        ))
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let fit = h
            .eval(&format!(
                "const tools = [...document.querySelectorAll('{BLOCK} .block-tools > *, {BLOCK} .view-actions > *')];
                 const outside = tools.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                   .map(e => e.textContent);
                 return {{ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth, outside }};"
            ))
            .await;
        assert_eq!(fit["outside"], serde_json::json!([]), "{name}: {fit}");
        assert!(
            fit["scroll"].as_u64() <= fit["width"].as_u64(),
            "{name}: the page scrolls sideways: {fit}"
        );
        if let Some(folder) = &folder {
            h.screenshot(&folder.join(format!("{name}.png"))).await;
        }
        if dark {
            body.send_keys("t").await.unwrap();
        }
        if larger > 0 {
            body.send_keys("0").await.unwrap();
        }
    }
    h.close().await;
}
