//! Runners as a student meets them: a block whose runner this server lacks says so where Run
//! would be, and offers nothing it cannot do.

use e2e::Harness;

#[tokio::test(flavor = "multi_thread")]
async fn a_block_whose_runner_is_missing_says_why_instead_of_running() {
    // The Loom image is renamed away for this server: its runner is missing here.
    let h =
        Harness::start_with_env(&[("RMP_RUNNER_IMAGE_LOOM", "rmp-runner-not-built-here:latest")])
            .await;
    h.goto("/learn/atomics-lock-free").await;
    let note = h
        .wait_for_contains(
            ".code-block .runner-missing",
            "is not installed on this server",
        )
        .await;
    assert!(
        note.starts_with("Loom is not installed on this server."),
        "{note}"
    );
    // The block with the note is the Loom block, and its Test button cannot be pressed.
    let state = h
        .eval(
            "const note = document.querySelector('.code-block .runner-missing');
             const block = note.closest('.code-block');
             const button = block.querySelector('.run-button');
             return { disabled: button.disabled, code: block.innerText.includes('loom::model') };",
        )
        .await;
    assert_eq!(state["disabled"], true, "{state}");
    assert_eq!(
        state["code"], true,
        "the note sits on the loom block: {state}"
    );
    // Blocks of runners that work here carry no such note: the chapter's first example is a
    // stable one (other notes may appear for runners whose images this machine lacks).
    let first = h
        .eval(
            "const first = document.querySelector('.code-block.runnable');
             return { note: !!first.querySelector('.runner-missing'), disabled: first.querySelector('.run-button').disabled };",
        )
        .await;
    assert_eq!(first["note"], false, "{first}");
    assert_eq!(first["disabled"], false, "{first}");
    if let Some(folder) = std::env::var_os("RMP_E2E_SCREENSHOTS") {
        h.eval(
            "document.querySelector('.code-block .runner-missing').scrollIntoView({block: 'center'}); return true;",
        )
        .await;
        h.screenshot(&std::path::Path::new(&folder).join("runner-missing.png"))
            .await;
    }
    h.close().await;
}

/// What a student types into the chapter's Miri example: the pop, then a stale read of the freed
/// node (line 11).
const USE_AFTER_FREE: &str = "struct Node {\nvalue: u32,\nnext: *mut Node,\n}\nfn main() {\nlet second = Box::into_raw(Box::new(Node { value: 2, next: std::ptr::null_mut() }));\nlet head = Box::into_raw(Box::new(Node { value: 1, next: second }));\nlet next = unsafe { (*head).next };\nlet popped = unsafe { Box::from_raw(head) };\ndrop(popped);\nlet stale = unsafe { (*head).value };\nprintln!(\"{stale} {}\", unsafe { (*next).value });\n}";

#[tokio::test(flavor = "multi_thread")]
async fn miri_marks_undefined_behaviour_in_the_editor() {
    const BLOCK: &str = "#e2e-miri";
    let h = Harness::start().await;
    h.goto("/learn/atomics-lock-free").await;
    h.wait_until(
        "const b = [...document.querySelectorAll('.code-block.runnable')]
           .find(b => b.innerText.includes('A thread that read'));
         if (!b || !b.querySelector('.cm-content[contenteditable=true]')) return false;
         b.id = 'e2e-miri';
         return true;",
        "the chapter's Miri example, editable",
    )
    .await;
    let missing = h.count(&format!("{BLOCK} .runner-missing")).await;
    assert_eq!(
        missing, 0,
        "the Miri image is built by the gate (`cargo xtask images`)"
    );
    h.retype(BLOCK, USE_AFTER_FREE).await;
    h.click(&format!("{BLOCK} .run-button")).await;
    h.wait_for_action(
        BLOCK,
        "run under Miri",
        &format!("return !!document.querySelector('{BLOCK} .cm-lintRange-error');"),
        "an undefined-behaviour mark in the editor",
    )
    .await;
    let marked = h
        .eval(&format!(
            "const mark = document.querySelector('{BLOCK} .cm-lintRange-error');
             const line = mark.closest('.cm-line');
             const lines = [...document.querySelectorAll('{BLOCK} .cm-content > .cm-line')];
             return [lines.indexOf(line) + 1, mark.textContent];"
        ))
        .await;
    assert_eq!(
        marked,
        serde_json::json!([11, "(*head).value"]),
        "the stale read"
    );
    let explanation = h
        .wait_for_contains(&format!("{BLOCK} .explanation"), "undefined behaviour")
        .await;
    assert!(
        explanation.starts_with("Miri found undefined behaviour"),
        "{explanation}"
    );
    h.close().await;
}
