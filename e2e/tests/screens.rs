//! Every kind of page at the three sizes its readers use: a laptop, a projector with text at its
//! largest (250 %) and a 360 px phone. At each: no sideways scrolling of the page (only code and
//! compiler output may scroll inside their own boxes), nothing cut off at the right edge, and on
//! the projector no example that needs sideways scrolling to be read.
//!
//! With `RMP_E2E_SCREENSHOTS` set (`cargo xtask test` sets it) each page is saved as
//! `<page>-<size>.png` there, to be looked at.

use std::path::PathBuf;
use std::time::Duration;

use e2e::Harness;

/// (file name, path, what shows that the page has loaded, the part worth a second picture).
const PAGES: &[(&str, &str, &str, &str)] = &[
    (
        "index",
        "/",
        "return !!document.querySelector('.course-index a[href^=\"/learn/\"]');",
        ".demo-cards",
    ),
    (
        "course",
        "/courses/mastery",
        "return !!document.querySelector('.course-part');",
        ".course-part",
    ),
    (
        "chapter",
        "/learn/trait-patterns",
        "return document.querySelectorAll('.code-block .cm-editor').length > 3 && !!document.querySelector('.exercise');",
        ".code-block.runnable",
    ),
    (
        "matching-engine",
        "/demos/matching-engine",
        "return !!document.querySelector('.order-entry');",
        ".engine-panels",
    ),
    (
        "lock-free",
        "/demos/lock-free",
        "return !!document.querySelector('svg.memory');",
        "svg.memory",
    ),
    (
        "join",
        "/join",
        "return !!document.querySelector('.join-form');",
        ".join-form",
    ),
    (
        "teach",
        "/teach/where-next",
        "return !!document.querySelector('.teach-title');",
        ".teach-controls",
    ),
    (
        "present",
        "/present/where-next/2",
        "return !!document.querySelector('.slide-counter');",
        ".slide-stage",
    ),
    (
        "console",
        "/present/where-next/console",
        "return !!document.querySelector('.console-current-title');",
        ".console-times",
    ),
    (
        "embed-example",
        "/embed/example",
        "return !!document.querySelector('h1');",
        "h1",
    ),
    (
        "not-found",
        "/no-such-page",
        "return !!document.querySelector('.not-found');",
        ".not-found",
    ),
];

#[derive(Clone, Copy)]
struct Size {
    name: &'static str,
    width: u32,
    height: u32,
    /// Steps of the A+ button from 100 % (12 is 250 %).
    larger: u32,
}

const SIZES: &[Size] = &[
    Size {
        name: "laptop",
        width: 1366,
        height: 768,
        larger: 0,
    },
    Size {
        name: "projector-250",
        width: 1920,
        height: 1080,
        larger: 12,
    },
    Size {
        name: "phone",
        width: 360,
        height: 740,
        larger: 0,
    },
];

/// Elements that stick out past the right edge of the window, except inside boxes that scroll
/// on their own (code, compiler output, wide tables), as `tag.class` names.
const OVERFLOW: &str = r#"
const width = document.documentElement.clientWidth;
const scrollsOwnWay = el => el.closest('.cm-scroller, .output, pre, .table-scroll, .demo-scroll, dialog');
const out = [...document.querySelectorAll('body *')]
  .filter(el => el.getClientRects().length && !scrollsOwnWay(el))
  .filter(el => el.getBoundingClientRect().right > width + 1)
  .map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
return { pageScroll: document.documentElement.scrollWidth - width, out: [...new Set(out)].slice(0, 12) };
"#;

/// Editors whose longest line does not fit: the reader would have to scroll sideways.
const WIDE_EDITORS: &str = r#"
return [...document.querySelectorAll('.code-block .cm-scroller')]
  .filter(s => s.scrollWidth > s.clientWidth + 1).length;
"#;

#[tokio::test]
async fn every_page_fits_a_laptop_a_projector_at_250_percent_and_a_phone() {
    let shots = std::env::var_os("RMP_E2E_SCREENSHOTS").map(PathBuf::from);
    let h = Harness::start().await;
    let shared = h.shared_page().await;
    let mut pages: Vec<(&str, &str, &str, &str)> = PAGES.to_vec();
    pages.push((
        "share",
        &shared,
        "return !!document.querySelector('.code-block .cm-editor');",
        ".code-block",
    ));
    let mut problems = Vec::new();
    for size in SIZES {
        h.resize(size.width, size.height).await;
        // The text size is a remembered preference: set it once per size, on any page.
        h.goto("/").await;
        h.eval(&format!(
            "localStorage.setItem('rmp.fontStep', '{}'); return null;",
            size.larger
        ))
        .await;
        for &(name, path, ready, feature) in &pages {
            h.goto(path).await;
            h.wait_until(ready, &format!("{name} has loaded")).await;
            // Editors and demos settle their layout a frame or two after they mount.
            tokio::time::sleep(Duration::from_millis(400)).await;
            let found = h.eval(OVERFLOW).await;
            if found["pageScroll"].as_i64().unwrap_or(0) > 0
                || found["out"] != serde_json::json!([])
            {
                problems.push(format!("{name} at {}: {found}", size.name));
            }
            if name == "chapter" && size.width >= 1366 {
                let wide = h.eval(WIDE_EDITORS).await;
                if wide != 0 {
                    problems.push(format!(
                        "{name} at {}: {wide} examples need sideways scrolling",
                        size.name
                    ));
                }
            }
            if let Some(folder) = &shots {
                h.screenshot(&folder.join(format!("{name}-{}.png", size.name)))
                    .await;
                h.eval(&format!(
                    "document.querySelector({feature:?}).scrollIntoView(); window.scrollBy(0, -80); return null;"
                ))
                .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                h.screenshot(&folder.join(format!("{name}-{}-part.png", size.name)))
                    .await;
            }
        }
    }
    h.eval("localStorage.removeItem('rmp.fontStep'); return null;")
        .await;
    h.close().await;
    assert!(
        problems.is_empty(),
        "layout problems:\n{}",
        problems.join("\n")
    );
}
