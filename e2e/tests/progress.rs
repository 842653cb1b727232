//! A learner's progress, as a learner meets it: a course page with parts, a checklist ticked in a
//! chapter, an example run, an exercise solved and a chapter read, all kept across a reload and
//! shown in the outline and on the course page; then exported to a file and imported into a fresh
//! browser. The test writes its own small course (the real server and sandbox run it).
use std::path::Path;

use e2e::Harness;
use fantoccini::Locator;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn course(dir: &Path) {
    write(
        &dir.join("track/course.toml"),
        "title = \"Track\"\nsummary = \"A course in parts.\"\norder = 1\n\n\
         [[parts]]\nid = \"month-1\"\ntitle = \"Month 1: Basics\"\nsummary = \"First steps.\"\n\n\
         [[parts]]\nid = \"month-2\"\ntitle = \"Month 2: More\"\n",
    );
    write(
        &dir.join("track/first-week.md"),
        "+++\ntitle = \"First week\"\norder = 1\nminutes = 30\npart = \"month-1\"\nsummary = \"Week one.\"\n+++\n\n\
         You are done when:\n\n- [ ] You ran the example\n- [ ] You solved the exercise\n\n\
         ```rust\nfn main() { println!(\"hello from week one\"); }\n```\n\n\
         ````exercise\nReturn 4.\n\n```rust,starter\npub fn four() -> u32 { 4 }\n```\n\n\
         ```rust,tests\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn is_four() { assert_eq!(super::four(), 4); }\n}\n```\n\n\
         ```rust,solution\npub fn four() -> u32 { 4 }\n```\n````\n",
    );
    write(
        &dir.join("track/second-week.md"),
        "+++\ntitle = \"Second week\"\norder = 2\nminutes = 45\npart = \"month-2\"\nsummary = \"Week two.\"\n+++\n\n\
         Short.\n\n```rust\nfn main() {}\n```\n",
    );
}

async fn course_text(h: &Harness) -> String {
    h.goto("/courses/track").await;
    h.wait_for_contains(".course-page", "Month 2: More").await
}

#[tokio::test]
async fn a_learners_progress_is_kept_shown_and_carried_to_another_browser() {
    let content = tempfile::tempdir().unwrap();
    course(content.path());
    let dir = content.path().display().to_string();
    let h = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;

    // The course page: parts, minutes, nothing done yet.
    let page = course_text(&h).await;
    for expected in [
        "Month 1: Basics",
        "First steps.",
        "30 min",
        "45 min",
        "0 of 2 chapters read",
        "1 h 15 min",
    ] {
        assert!(page.contains(expected), "{expected:?} in {page}");
    }

    // Tick one checklist item; it is still ticked after a reload.
    h.goto("/learn/first-week").await;
    h.wait_for_contains(".chapter-content", "You ran the example")
        .await;
    h.click("input.task[aria-label='You ran the example']")
        .await;
    h.client.refresh().await.unwrap();
    h.wait_until(
        "const box = document.querySelector(\"input.task[aria-label='You ran the example']\");
         return !!box && box.checked;",
        "the ticked item is ticked again after a reload",
    )
    .await;

    // Run the example and solve the exercise, then read to the end.
    h.click(".code-block.runnable .run-button").await;
    h.wait_for_contains(".code-block.runnable .output", "hello from week one")
        .await;
    h.click(".exercise .run-button").await;
    h.wait_for_contains(".exercise", "The test passes").await;
    h.eval("window.scrollTo(0, document.body.scrollHeight); return null;")
        .await;
    h.wait_for_contains(".read-toggle", "✓ Read").await;
    h.wait_until(
        "return [...document.querySelectorAll('.sidebar li.read')].some(li => li.textContent.includes('First week'));",
        "the outline marks the chapter read",
    )
    .await;

    let page = course_text(&h).await;
    for expected in [
        "1 of 2 chapters read",
        "1/1 examples run",
        "1/1 exercises solved",
        "1/2 checklist items",
        "Continue: First week",
    ] {
        assert!(page.contains(expected), "{expected:?} in {page}");
    }

    // Export: capture the file the button saves.
    h.eval(
        "window.__exported = null;
         const create = URL.createObjectURL;
         URL.createObjectURL = (blob) => { blob.text().then(t => window.__exported = t); return create(blob); };
         return null;",
    )
    .await;
    h.click(".progress-file button").await;
    h.wait_until(
        "return window.__exported !== null;",
        "the export produced a file",
    )
    .await;
    let exported = h.eval("return window.__exported;").await;
    let exported = exported.as_str().unwrap().to_owned();
    assert!(
        exported.contains("rust-mastery-playground/progress"),
        "{exported}"
    );
    h.close().await;

    // A fresh browser (new profile): nothing, until the file is imported.
    let file = content.path().join("my-progress.json");
    std::fs::write(&file, &exported).unwrap();
    let fresh = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;
    assert!(course_text(&fresh).await.contains("0 of 2 chapters read"));
    let input = fresh
        .client
        .find(Locator::Css(".progress-file input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    let message = fresh
        .wait_for_contains(".progress-file-message", "Imported progress")
        .await;
    assert!(message.contains("1 chapter"), "{message}");
    let page = fresh
        .wait_for_contains(".course-page", "1 of 2 chapters read")
        .await;
    assert!(page.contains("1/2 checklist items"), "{page}");

    // A file that is not a progress file is refused in words, and nothing changes.
    let wrong = content.path().join("notes.json");
    std::fs::write(&wrong, "{\"hello\": 1}").unwrap();
    fresh
        .client
        .find(Locator::Css(".progress-file input[type=file]"))
        .await
        .unwrap()
        .send_keys(&wrong.display().to_string())
        .await
        .unwrap();
    fresh
        .wait_for_contains(".progress-file-message", "not a progress file")
        .await;
    assert!(course_text(&fresh).await.contains("1 of 2 chapters read"));
    if let Ok(shots) = std::env::var("RMP_E2E_SCREENSHOTS") {
        fresh
            .screenshot(&Path::new(&shots).join("course-progress.png"))
            .await;
        fresh.resize(390, 844).await;
        fresh.goto("/courses/track").await;
        fresh
            .wait_for_contains(".course-page", "Month 2: More")
            .await;
        fresh
            .screenshot(&Path::new(&shots).join("course-progress-phone.png"))
            .await;
    }
    fresh.close().await;
}
