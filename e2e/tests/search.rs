//! Searching every course from the keyboard: `/` opens search, a word found only in code leads to
//! its code block, and search keeps answering once the server is gone.
//!
//! The words searched for are picked from the server's own index, so the test follows the content
//! as it changes rather than naming a chapter's code.

use e2e::Harness;
use fantoccini::key::Key;

/// Picks, from `GET /api/search`, a word that appears in exactly one code block and nowhere in
/// any prose, heading or title, and a heading of a later chapter: `{word, slug, anchor, heading,
/// headingAnchor, headingSlug}`.
const PICK: &str = r#"
const done = arguments[arguments.length - 1];
fetch('/api/search?probe').then(r => r.json()).then(index => {
  const prose = index.chapters.flatMap(c => [c.title, c.summary, ...c.sections.flatMap(s => [s.heading, s.text])])
    .join(' ').toLowerCase();
  const seen = new Map();
  for (const c of index.chapters) for (const s of c.sections) for (const code of s.code) {
    for (const w of new Set(code.code.match(/[A-Za-z_][A-Za-z0-9_]{7,}/g) || [])) {
      const key = w.toLowerCase();
      seen.set(key, seen.has(key) ? null : { word: w, slug: c.slug, anchor: code.anchor });
    }
  }
  const unique = [...seen.entries()].filter(([k, v]) => v && !prose.includes(k)).map(([, v]) => v);
  // No other code block may contain it inside a longer word either.
  const all = index.chapters.flatMap(c => c.sections.flatMap(s => s.code.map(x => x.code.toLowerCase())));
  const pick = unique.find(v => all.filter(code => code.includes(v.word.toLowerCase())).length === 1);
  const chapter = index.chapters[index.chapters.length - 1];
  const section = chapter.sections.find(s => s.heading.length > 12);
  done({ ...pick, heading: section.heading, headingAnchor: section.anchor, headingSlug: chapter.slug });
}).catch(e => done({ error: String(e) }));
"#;

#[tokio::test]
async fn a_reader_searches_from_the_keyboard_jumps_to_code_and_searches_offline() {
    let mut h = Harness::start().await;
    h.goto("/").await;
    h.wait_for_text("h1", "Learn advanced Rust by running it")
        .await;
    let pick = h.client.execute_async(PICK, vec![]).await.unwrap();
    assert!(pick.get("error").is_none(), "{pick}");
    let text = |key: &str| pick[key].as_str().unwrap().to_owned();
    let (word, slug, anchor) = (text("word"), text("slug"), text("anchor"));

    // `/` opens search with the field focused; the dialog's module and the index load on this
    // first opening, so the dialog is not in the page before.
    h.eval("document.activeElement.blur(); return null;").await;
    h.press("/").await;
    h.wait_until(
        "const d = document.querySelector('dialog.search-dialog');
         return !!d && d.open && document.activeElement.id === 'search-input';",
        "`/` opens search with the field focused",
    )
    .await;
    h.press(&word).await;
    h.wait_until(
        "return document.querySelectorAll('.search-results a').length > 0;",
        "results for a word from one code block",
    )
    .await;
    let first = h
        .eval(
            "const a = document.querySelector('.search-results a');
             return [a.getAttribute('href'), a.querySelector('.search-kind').textContent,
                     a.querySelector('mark').textContent,
                     document.getElementById('search-status').textContent];",
        )
        .await;
    assert_eq!(first[0], format!("/learn/{slug}#{anchor}"), "{first}");
    assert_eq!(first[1], "Code");
    assert_eq!(
        first[2].as_str().unwrap().to_lowercase(),
        word.to_lowercase(),
        "the match is marked"
    );
    assert!(
        first[3].as_str().unwrap().contains("1 result for"),
        "the count is announced: {first}"
    );

    // Arrow down to the result, Enter: the chapter opens on that block, which has focus.
    h.press(&Key::Down.to_string()).await;
    assert_eq!(
        h.eval("return document.activeElement.matches('.search-results a');")
            .await,
        true,
        "ArrowDown moves to the first result"
    );
    h.press(&Key::Enter.to_string()).await;
    h.wait_until(
        &format!(
            "const el = document.getElementById('{anchor}');
             return location.pathname === '/learn/{slug}' && location.hash === '#{anchor}'
                 && !document.querySelector('dialog.search-dialog').open
                 && !!el && document.activeElement === el;"
        ),
        "the chapter opens with the found block focused",
    )
    .await;
    h.wait_until(
        &format!(
            "const r = document.getElementById('{anchor}').getBoundingClientRect();
             return r.top >= 0 && r.top < innerHeight;"
        ),
        "the found block is in view",
    )
    .await;

    // With the server gone, search still answers from the index the page holds.
    h.stop_server();
    h.press("/").await;
    h.wait_until(
        "return document.activeElement.id === 'search-input';",
        "search opens again",
    )
    .await;
    h.press(&text("heading")).await;
    h.wait_until(
        &format!(
            "return [...document.querySelectorAll('.search-results a')]
                 .some(a => a.getAttribute('href') === '/learn/{}#{}');",
            text("headingSlug"),
            text("headingAnchor")
        ),
        "a heading is found with the server stopped",
    )
    .await;
    let fetched = h
        .eval("return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/search')).length;")
        .await;
    assert_eq!(
        fetched, 1,
        "the index was fetched once, for the whole visit"
    );

    // Following it needs the server: the reader gets a sentence and a way to try again, never a
    // stack trace.
    h.eval(&format!(
        "[...document.querySelectorAll('.search-results a')]
             .find(a => a.getAttribute('href') === '/learn/{}#{}').focus(); return null;",
        text("headingSlug"),
        text("headingAnchor")
    ))
    .await;
    h.press(&Key::Enter.to_string()).await;
    h.wait_until(
        "const box = document.querySelector('.error-box');
         return !!box && box.textContent.includes('cannot reach the server')
             && [...box.querySelectorAll('button')].some(b => b.textContent === 'Try again');",
        "a lost connection is explained with a retry",
    )
    .await;
    let shown = h
        .eval("return document.querySelector('.error-box').textContent;")
        .await;
    assert!(
        !shown.as_str().unwrap().contains("wasm"),
        "no stack trace: {shown}"
    );
    h.close().await;
}
