//! The editor in a real chapter: CodeMirror from the bundled script, driven by real key presses in
//! headless Chromium, against the real server and sandbox.
//!
//! The tests find their blocks by role (the first editable example, the first exercise), not by
//! their text, so authors can rewrite chapters without breaking them.
use e2e::Harness;
use fantoccini::Locator;
use fantoccini::key::Key;

const CHAPTER: &str = "/learn/trait-patterns";

/// Opens the chapter and tags the first editable example `#e2e-block`, returning its original text.
async fn open_editable_example(h: &Harness) -> String {
    h.goto(CHAPTER).await;
    h.wait_until(
        "return !!document.querySelector('.code-block.runnable .cm-content[contenteditable=true]')",
        "an editable example has a CodeMirror editor",
    )
    .await;
    let original = h
        .eval(
            "const content = document.querySelector('.code-block.runnable .cm-content[contenteditable=true]');
             content.closest('.code-block').id = 'e2e-block';
             return RmpEditor.docOf(content);",
        )
        .await;
    original.as_str().unwrap().to_owned()
}

/// Replaces the editor's text by typing, as a student would (select all, then type).
async fn retype(h: &Harness, css: &str, text: &str) {
    let content = h
        .client
        .find(Locator::Css(&format!("{css} .cm-content")))
        .await
        .unwrap();
    content.click().await.unwrap();
    let select_all = format!("{}a{}", char::from(Key::Control), char::from(Key::Control));
    content.send_keys(&select_all).await.unwrap();
    content.send_keys(text).await.unwrap();
}

async fn editor_text(h: &Harness, css: &str) -> String {
    h.eval(&format!(
        "return RmpEditor.docOf(document.querySelector('{css} .cm-content'));"
    ))
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

#[tokio::test]
async fn a_student_edits_an_example_runs_it_and_finds_the_edit_after_a_reload() {
    let h = Harness::start().await;
    let original = open_editable_example(&h).await;
    // Auto-indent supplies the indentation and `}` dedents, as in any code editor.
    retype(
        &h,
        "#e2e-block",
        "fn main() {\nprintln!(\"edited {}\", 6 * 7);\n}",
    )
    .await;
    let typed = editor_text(&h, "#e2e-block").await;
    assert!(
        typed.contains("    println!(\"edited {}\", 6 * 7);"),
        "auto-indented: {typed:?}"
    );
    h.click("#e2e-block .run-button").await;
    let output = h
        .wait_for_contains("#e2e-block .program-output", "edited 42")
        .await;
    assert_eq!(output.trim(), "edited 42");
    h.wait_for_contains("#e2e-block .edited-badge", "edited")
        .await;

    // A reload restores the edit.
    h.client.refresh().await.unwrap();
    let restored = open_editable_example(&h).await;
    assert!(restored.contains("edited {}"), "{restored:?}");

    // Reset puts the original back and forgets the edit.
    h.click("#e2e-block .reset-button").await;
    h.wait_until(
        "return !document.querySelector('#e2e-block .reset-button')",
        "Reset disappears once the block is original again",
    )
    .await;
    assert_eq!(editor_text(&h, "#e2e-block").await, original);
    h.client.refresh().await.unwrap();
    assert_eq!(open_editable_example(&h).await, original);
    h.close().await;
}

#[tokio::test]
async fn a_compile_error_is_marked_on_its_line_and_the_list_jumps_there() {
    let h = Harness::start().await;
    open_editable_example(&h).await;
    retype(
        &h,
        "#e2e-block",
        "fn main() {\nlet count: u32 = \"three\";\nprintln!(\"{count}\");\n}",
    )
    .await;
    h.click("#e2e-block .run-button").await;
    let diagnostic = h
        .wait_for_contains("#e2e-block .diagnostic.error", "line 2")
        .await;
    assert!(diagnostic.contains("mismatched types"), "{diagnostic}");

    // The mark sits on line 2, under the string.
    h.wait_until(
        "return !!document.querySelector('#e2e-block .cm-lintRange-error')",
        "the error is marked in the editor",
    )
    .await;
    let marked = h
        .eval(
            "const mark = document.querySelector('#e2e-block .cm-lintRange-error');
             const line = mark.closest('.cm-line');
             const lines = [...document.querySelectorAll('#e2e-block .cm-content > .cm-line')];
             return [lines.indexOf(line) + 1, line.innerText, mark.innerText];",
        )
        .await;
    assert_eq!(
        marked,
        serde_json::json!([2, "    let count: u32 = \"three\";", "\"three\""])
    );
    // The message is in the mark's tooltip and links its error code.
    let gutter = h.count("#e2e-block .cm-lint-marker-error").await;
    assert_eq!(gutter, 1, "one error marker in the gutter");

    // Clicking the location in the list moves the cursor to line 2.
    h.click("#e2e-block .diagnostic.error .diagnostic-line")
        .await;
    h.wait_until(
        "const s = getSelection();
         const line = s.anchorNode && (s.anchorNode.nodeType === 1 ? s.anchorNode : s.anchorNode.parentElement).closest('.cm-line');
         return !!line && line.innerText.includes('\"three\"');",
        "the cursor is on the reported line",
    )
    .await;
    h.close().await;
}

#[tokio::test]
async fn a_student_fails_an_exercise_then_solves_it() {
    let h = Harness::start().await;
    h.goto(CHAPTER).await;
    h.wait_until(
        "return !!document.querySelector('.exercise .cm-content[contenteditable=true]')",
        "the exercise has an editor",
    )
    .await;
    h.eval("document.querySelector('.exercise').id = 'e2e-exercise';")
        .await;

    // The starter does not pass.
    h.click("#e2e-exercise .test-button").await;
    h.wait_until(
        "return !!document.querySelector('#e2e-exercise .test-results.failed')",
        "the starter code fails the tests",
    )
    .await;

    // Hints come one at a time.
    h.click("#e2e-exercise .hint-button").await;
    assert_eq!(h.count("#e2e-exercise .hint").await, 1);

    // The solution needs a confirmation, then goes into the editor and passes.
    h.click("#e2e-exercise .solution-button").await;
    h.click("#e2e-exercise .confirm-solution").await;
    h.click("#e2e-exercise .use-solution").await;
    h.click("#e2e-exercise .test-button").await;
    let headline = h
        .wait_for_contains(
            "#e2e-exercise .test-results.passed .test-headline",
            "Well done",
        )
        .await;
    let passed = h.count("#e2e-exercise .test-case.passed").await;
    let failed = h.count("#e2e-exercise .test-case.failed").await;
    assert!(
        passed >= 1 && failed == 0,
        "{headline}: {passed} passed, {failed} failed"
    );
    h.wait_for_text("#e2e-exercise .solved-badge", "✔ Solved")
        .await;
    h.close().await;
}

#[tokio::test]
async fn hidden_lines_are_collapsed_until_asked_for() {
    let h = Harness::start().await;
    // Any chapter: find a block that has hidden lines.
    for chapter in [
        "/learn/trait-patterns",
        "/learn/lifetime-variance",
        "/learn/atomics-lock-free",
    ] {
        h.goto(chapter).await;
        h.wait_until(
            "return !!document.querySelector('.code-block .cm-content')",
            "editors are mounted",
        )
        .await;
        if h.count(".code-block .toggle-hidden").await > 0 {
            break;
        }
    }
    h.eval("document.querySelector('.toggle-hidden').closest('.code-block').id = 'e2e-hidden';")
        .await;
    let count_lines =
        "return document.querySelectorAll('#e2e-hidden .cm-content > .cm-line').length;";
    let collapsed = h.eval(count_lines).await.as_u64().unwrap();
    assert_eq!(h.count("#e2e-hidden .cm-hidden-line").await, 0);
    h.click("#e2e-hidden .toggle-hidden").await;
    h.wait_until(
        "return document.querySelectorAll('#e2e-hidden .cm-hidden-line').length > 0",
        "the hidden lines are shown",
    )
    .await;
    let shown = h.eval(count_lines).await.as_u64().unwrap();
    assert!(
        shown > collapsed,
        "showing hidden lines adds lines: {collapsed} -> {shown}"
    );
    h.close().await;
}

#[tokio::test]
async fn corrupt_saved_edits_do_not_break_the_page() {
    let h = Harness::start().await;
    open_editable_example(&h).await;
    h.eval(
        "localStorage.setItem('rmp.edit.v1:trait-patterns:code-0', '{not json');
         localStorage.setItem('rmp.edit.v1:trait-patterns:exercise-0', 'null');",
    )
    .await;
    h.client.refresh().await.unwrap();
    h.wait_for_text(".chapter-header h1", "Advanced trait patterns")
        .await;
    // Every editor still mounts with the original text, and examples still run.
    let original = open_editable_example(&h).await;
    assert!(!original.is_empty());
    h.wait_until(
        "return !!document.querySelector('.exercise .cm-content')",
        "the exercise still has its editor",
    )
    .await;
    h.close().await;
}
