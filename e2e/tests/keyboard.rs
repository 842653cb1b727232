//! Keyboard-only journeys: no clicks, no scripted focus. Each step reaches its control by Tab
//! (or Shift+Tab) from where the last one left focus, and acts with the keys a keyboard user
//! has: Enter, Space, arrows, typing. A control that cannot be reached, or that drops focus to the
//! page after acting, fails the journey.

use e2e::Harness;
use fantoccini::key::Key;

/// Presses Tab (Shift+Tab when `backwards`) until the focused element matches `css`.
async fn tab_to(h: &Harness, css: &str, backwards: bool) {
    let matches =
        format!("return !!document.activeElement && document.activeElement.matches({css:?});");
    for _ in 0..80 {
        if h.eval(&matches).await == true {
            return;
        }
        if backwards {
            h.press(&format!("{}{}", Key::Shift, Key::Tab)).await;
        } else {
            h.press(&Key::Tab.to_string()).await;
        }
    }
    let at = h
        .eval("const e = document.activeElement; return e.tagName + '.' + e.className;")
        .await;
    panic!("80 presses of Tab never reached `{css}` (focus is on {at})");
}

/// Replaces the value of the focused text field by typing.
async fn type_over(h: &Harness, text: &str) {
    h.press(&format!("{}a{}", Key::Control, Key::Null)).await;
    h.press(text).await;
}

async fn focus_is(h: &Harness, css: &str) -> bool {
    h.eval(&format!("return document.activeElement.matches({css:?});"))
        .await
        == true
}

async fn start_at_top(h: &Harness, path: &str, ready: &str) {
    h.goto(path).await;
    h.wait_until(ready, &format!("{path} has loaded")).await;
    h.eval("document.activeElement.blur(); window.scrollTo(0, 0); return null;")
        .await;
}

#[tokio::test]
async fn a_keyboard_trader_places_crossing_orders_and_runs_the_benchmark() {
    let h = Harness::start().await;
    start_at_top(
        &h,
        "/demos/matching-engine",
        "return !!document.querySelector('.order-entry');",
    )
    .await;

    // Sell 30 at 10005: the side by Enter, the fields by typing, the form by Enter.
    tab_to(&h, ".side-toggle .sell", false).await;
    h.press(&Key::Enter.to_string()).await;
    assert_eq!(
        h.eval("return document.querySelector('.side-toggle .sell').getAttribute('aria-pressed');")
            .await,
        "true",
        "the pressed side is exposed"
    );
    tab_to(&h, "input[name=price]", false).await;
    type_over(&h, "10005").await;
    tab_to(&h, "input[name=quantity]", false).await;
    type_over(&h, "30").await;
    h.press(&Key::Enter.to_string()).await;
    h.wait_for_contains(".ladder", "10005").await;

    // Buy 12 at the same price, reaching the side toggle backwards from the form.
    tab_to(&h, ".side-toggle .buy", true).await;
    h.press(" ").await;
    tab_to(&h, "input[name=quantity]", false).await;
    type_over(&h, "12").await;
    // Another account: the engine's self-trade prevention would not let one account trade with
    // itself.
    tab_to(&h, "select[name=account]", false).await;
    h.press(&Key::Down.to_string()).await;
    tab_to(&h, "input[name=quantity]", true).await;
    h.press(&Key::Enter.to_string()).await;
    let tape = h.wait_for_contains(".tape tbody", "10005").await;
    assert!(tape.contains("12"), "the trade is on the tape: {tape}");

    // The benchmark: the smallest size by arrow key, then Enter; focus stays on the button.
    tab_to(&h, "select[name=bench-size]", false).await;
    h.press(&Key::Up.to_string()).await;
    assert_eq!(
        h.eval("return document.querySelector('select[name=bench-size]').value;")
            .await,
        "100000"
    );
    tab_to(&h, ".run-bench", false).await;
    h.press(&Key::Enter.to_string()).await;
    h.wait_for_contains(".bench-status", "Finished").await;
    assert!(
        focus_is(&h, ".run-bench").await,
        "focus stays on the benchmark's button while it runs and after"
    );
    h.close().await;
}

#[tokio::test]
async fn a_keyboard_student_steps_the_explorer_to_the_aba_corruption() {
    let h = Harness::start().await;
    start_at_top(
        &h,
        "/demos/lock-free",
        "return !!document.querySelector('.preset-step');",
    )
    .await;
    tab_to(&h, ".preset-step", false).await;
    let mut presses = 0;
    while h.count(".violation-box").await == 0 {
        assert!(presses < 60, "the preset never showed the corruption");
        h.press(&Key::Enter.to_string()).await;
        presses += 1;
        assert!(
            focus_is(&h, ".preset-step").await,
            "focus stays on the step button (press {presses})"
        );
    }
    // The breaking step is the current one, and the timeline has scrolled to show it whole.
    h.wait_until(
        "const list = document.querySelector('.timeline');
         const step = list.querySelector('.breaks');
         const a = list.getBoundingClientRect(), b = step.getBoundingClientRect();
         return !!step && step.matches('[aria-current=step]') && b.top >= a.top - 1 && b.bottom <= a.bottom + 1;",
        "the timeline shows the breaking step",
    )
    .await;
    h.close().await;
}

/// The chapter's first single-file exercise without hidden lines (so that select-all and typing
/// replace all of it) and its solution, from the API: `[id, solution]`.
const EXERCISE: &str = r#"
const done = arguments[arguments.length - 1];
fetch('/api/chapters/trait-patterns').then(r => r.json()).then(chapter => {
  const none = list => !(list || []).length;
  const exercise = chapter.blocks.find(b => b.kind === 'exercise' && none(b.starterHiddenLines)
      && none(b.solutionHiddenLines) && none(b.extraFiles));
  done([exercise.id, exercise.solution]);
}).catch(e => done(String(e)));
"#;

#[tokio::test]
async fn a_keyboard_student_tabs_past_editors_then_solves_an_exercise() {
    let h = Harness::start().await;
    start_at_top(
        &h,
        "/learn/trait-patterns",
        "return document.querySelectorAll('.exercise .cm-content').length > 0;",
    )
    .await;

    // Tab walks into an editor and straight out again: nothing is typed, nothing is edited.
    tab_to(
        &h,
        ".code-block.runnable .cm-content[contenteditable=true]",
        false,
    )
    .await;
    h.press(&Key::Tab.to_string()).await;
    assert!(
        !focus_is(&h, ".cm-content").await,
        "the second Tab leaves the editor"
    );
    assert_eq!(
        h.count(".edited-badge, .reset-button").await,
        0,
        "tabbing through marks nothing edited"
    );

    // In the exercise's editor, typing switches Tab to indenting.
    let found = h.client.execute_async(EXERCISE, vec![]).await.unwrap();
    let id = found[0]
        .as_str()
        .unwrap_or_else(|| panic!("no exercise to solve: {found}"))
        .to_owned();
    let solution = found[1].as_str().unwrap().to_owned();
    // A link to the exercise (as search or a teacher's message gives) puts focus on it; the
    // editor is a few Tabs on.
    let editor = format!("#block-{id} .cm-content");
    h.goto(&format!("/learn/trait-patterns#block-{id}")).await;
    h.wait_until(
        &format!("return document.activeElement.id === 'block-{id}';"),
        "the linked exercise has focus",
    )
    .await;
    tab_to(&h, &editor, false).await;
    h.press(&format!("{}a{}", Key::Control, Key::Null)).await;
    // Each line's own indentation is typed; the editor's auto-indent would double it, so lines go
    // in without it (Rust does not mind) and Tab is checked on its own below.
    let typed: String = solution
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    h.press(&typed).await;
    h.press(&Key::Tab.to_string()).await;
    assert!(
        focus_is(&h, &editor).await,
        "after typing, Tab indents instead of leaving"
    );
    // Ctrl+Enter tests from the editor; the verdict comes back and focus stays put.
    h.press(&format!("{}{}", Key::Control, Key::Enter)).await;
    h.wait_until(
        &format!("return !!document.querySelector('#block-{id} .solved-badge');"),
        "the exercise is marked solved",
    )
    .await;
    assert_eq!(
        h.count(&format!("#block-{id} .test-results.passed")).await,
        1,
        "every test passed"
    );
    assert!(focus_is(&h, &editor).await, "focus is still in the editor");
    h.close().await;
}
