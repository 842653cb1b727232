//! A ```` ````files ```` lab as a runnable project in a real chapter: tabs per file, Run sends every
//! file (a C file compiled by `build.rs` included), and a compile error lands in its file's tab.
use e2e::Harness;
use fantoccini::Locator;
use fantoccini::key::Key;

const CHAPTER: &str = "/learn/atomics-lock-free";
const LAB: &str = "#e2e-lab";

#[tokio::test]
async fn a_files_block_runs_as_a_project_and_errors_go_to_their_tab() {
    let h = Harness::start().await;
    h.goto(CHAPTER).await;
    h.wait_until(
        "const lab = document.querySelector('.file-set.runnable');
         if (!lab || !lab.querySelector('.cm-content')) return false;
         lab.id = 'e2e-lab';
         return true;",
        "the chapter's runnable lab has its editors",
    )
    .await;
    let tabs = h
        .eval(&format!(
            "return [...document.querySelectorAll('{LAB} [role=tab]')].map(t => t.textContent.trim());"
        ))
        .await;
    assert_eq!(
        tabs,
        serde_json::json!(["Cargo.toml", "build.rs", "csrc/bump.c", "src/main.rs"]),
        "a tab per file, in the order written"
    );

    h.click(&format!("{LAB} .run-button")).await;
    h.wait_for_action(
        LAB,
        "run",
        &format!(
            "const out = document.querySelector('{LAB} .program-output');
             return !!out && out.textContent.includes('increments arrived');"
        ),
        "the project's output",
    )
    .await;

    // Break src/main.rs: the error is marked in that file's editor and its tab says so.
    h.click(&format!("{LAB} [role=tab]:nth-child(4)")).await;
    let content = h
        .client
        .find(Locator::Css(&format!(
            "{LAB} [role=tabpanel]:not([hidden]) .cm-content"
        )))
        .await
        .unwrap();
    content.click().await.unwrap();
    let end = format!("{}{}", char::from(Key::Control), char::from(Key::End));
    content.send_keys(&end).await.unwrap();
    content
        .send_keys("\nfn broken() -> u32 { \"no\" }")
        .await
        .unwrap();
    h.click(&format!("{LAB} .run-button")).await;
    h.wait_for_action(
        LAB,
        "run",
        &format!(
            "const tab = document.querySelector('{LAB} [role=tab]:nth-child(4)');
             return tab.classList.contains('has-errors') && !!tab.querySelector('.tab-error');"
        ),
        "an error marker on the src/main.rs tab",
    )
    .await;
    let marked = h
        .eval(&format!(
            "const panel = document.querySelector('{LAB} [role=tabpanel]:not([hidden])');
             const mark = panel.querySelector('.cm-lintRange-error');
             const others = document.querySelectorAll('{LAB} [role=tab].has-errors').length;
             return [mark ? mark.textContent : null, others];"
        ))
        .await;
    assert_eq!(marked, serde_json::json!(["\"no\"", 1]));
    if let Some(folder) = std::env::var_os("RMP_E2E_SCREENSHOTS") {
        let folder = std::path::PathBuf::from(folder);
        std::fs::create_dir_all(&folder).unwrap();
        h.eval(&format!(
            "document.querySelector('{LAB}').scrollIntoView({{block: 'start'}}); window.scrollBy(0, -80); return true;"
        ))
        .await;
        h.screenshot(&folder.join("lab-with-an-error.png")).await;
    }
    h.close().await;
}
