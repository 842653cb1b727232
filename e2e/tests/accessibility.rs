//! Accessibility checked by machine: axe-core (the npm package the editor bundle's `npm ci`
//! installs) run in Chromium on every kind of page, in both themes, against WCAG 2.2 level A and
//! AA. A violation fails the test with the rule, its impact and where it is.
use e2e::Harness;

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../frontend/editor/node_modules/axe-core/axe.min.js"
);

/// Every kind of page, with text that shows it has rendered.
const PAGES: &[(&str, &str, &str)] = &[
    ("/", "h1", "Learn advanced Rust"),
    ("/courses/mastery", ".course-page", "Month 3"),
    ("/learn/trait-patterns", ".exercise", "Test"),
    (
        "/learn/w10-lock-free",
        ".chapter-content",
        "Conceptual core",
    ),
    ("/demos/matching-engine", "main", "limit-order-book"),
    ("/demos/lock-free", "main", "Interleaving explorer"),
    ("/no-such-page", "main", "Page not found"),
    // The classroom's pages: joining, the teacher's page, the projector and its console.
    ("/join", "h1", "Join a class"),
    ("/teach/where-next", ".teach-title", "Where next"),
    ("/present/where-next/2", ".slide-counter", "2"),
    // The console opens where the projector (the page before) left the deck.
    (
        "/present/where-next/console",
        ".console-current-title",
        "Predict, then run",
    ),
];

/// Runs axe on the page and returns one line per violation.
async fn violations(h: &Harness) -> Vec<String> {
    let axe = std::fs::read_to_string(AXE).unwrap_or_else(|e| {
        panic!("{AXE}: {e} (cargo xtask build-spa installs the editor's npm packages, axe-core among them)")
    });
    h.eval(&format!("{axe}\nreturn null;")).await;
    let result = h
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
                 runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
                 resultTypes: ['violations'],
             }).then(r => done(r.violations.map(v =>
                 `${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} element(s), first ${JSON.stringify(v.nodes[0].target)}: ${v.nodes[0].failureSummary.replace(/\\n/g, ' ')}`)),
                 e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe ran");
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_kind_of_page_passes_wcag_2_2_aa_in_both_themes() {
    let h = Harness::start().await;
    // Shared code's page (`/s/<id>`) is a kind of page too.
    let shared = h.shared_page().await;
    let mut pages: Vec<(&str, &str, &str)> = PAGES.to_vec();
    pages.push((&shared, "main", "A shared example"));
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        for &(path, css, text) in &pages {
            h.goto(path).await;
            h.wait_for_contains(css, text).await;
            // Let late pieces (editors, the outline) settle before checking.
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            let current = h
                .eval("return document.documentElement.dataset.theme || 'light';")
                .await;
            if current.as_str() != Some(theme) {
                h.click(".theme-toggle").await;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            let here = violations(&h).await;
            println!("axe: {path} ({theme}): {} violations", here.len());
            for line in &here {
                println!("    {line}");
            }
            found.extend(here.into_iter().map(|v| format!("{path} ({theme}): {v}")));
        }
        // The search dialog, open with results (its snippets, marks and kinds included).
        h.click(".search-button").await;
        h.wait_until(
            "return document.activeElement.id === 'search-input';",
            "search is open",
        )
        .await;
        h.press("pin").await;
        h.wait_until(
            "return document.querySelectorAll('.search-results a').length > 3;",
            "search shows results",
        )
        .await;
        let here = violations(&h).await;
        println!("axe: search dialog ({theme}): {} violations", here.len());
        found.extend(
            here.into_iter()
                .map(|v| format!("search dialog ({theme}): {v}")),
        );
        h.press(&fantoccini::key::Key::Escape.to_string()).await;
    }
    assert!(
        found.is_empty(),
        "WCAG 2.2 AA violations:\n{}",
        found.join("\n")
    );
    h.close().await;
}
