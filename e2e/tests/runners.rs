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
