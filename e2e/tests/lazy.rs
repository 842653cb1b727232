//! What the first visit does not download (`frontend/src/lazy.rs`, issue 13's budget): the course
//! index fetches none of the app's split modules, a course's page arrives with its own module on
//! the way there, and with the server gone a page whose module never came says so in words and
//! offers to try again instead of leaving the page blank.

use e2e::Harness;

/// How many of the app's split modules (`lazy-<module>-<hash>.wasm`) this page fetched.
const SPLIT_FETCHES: &str = "return performance.getEntriesByType('resource')
    .filter(e => /\\/lazy-[^/]*\\.wasm$/.test(e.name)).length;";

/// Follows a link inside the app, as the router takes a click: no page load.
fn follow(path: &str) -> String {
    format!(
        "const a = document.createElement('a');
         a.href = '{path}';
         a.textContent = 'go';
         document.querySelector('main').append(a);
         a.click();
         return null;"
    )
}

#[tokio::test]
async fn pages_beyond_the_first_visit_load_their_module_and_say_so_when_it_cannot_come() {
    let mut h = Harness::start().await;
    h.goto("/").await;
    h.wait_for_text("h1", "Learn advanced Rust by running it")
        .await;
    assert_eq!(
        h.eval(SPLIT_FETCHES).await,
        0,
        "the course index needs none of the split modules"
    );

    // A course's page: its module comes with the first visit to it.
    let course = h
        .eval("return document.querySelector(\"a[href^='/courses/']\").getAttribute('href');")
        .await;
    let course = course
        .as_str()
        .expect("the index links a course")
        .to_owned();
    h.eval(&follow(&course)).await;
    h.find_waiting(".course-page", "the course's page, once its module is here")
        .await;
    let fetched = h.eval(SPLIT_FETCHES).await.as_u64().unwrap_or_default();
    assert!(fetched > 0, "the course page came without its module");

    // The server is gone: the join page's module cannot come, and the page says so.
    h.stop_server();
    h.eval(&follow("/join")).await;
    h.wait_for_contains(".error-box[role='alert']", "could not be loaded")
        .await;
    h.wait_until(
        "return [...document.querySelectorAll('.error-box button')]
             .some(b => b.textContent === 'Try again');",
        "a way to try again",
    )
    .await;
    h.close().await;
}
