//! The result cache as a student meets it, on every kind of runnable block (a code block, an
//! exercise and a files block): once the server has seen an answer reproduced, the next press of
//! Run answers from its cache and says so, and "Run again" compiles and runs afresh (the note is
//! gone, the output is there, and `/metrics` counts no cache hit for it). The test writes its own
//! small course; the real server and sandbox run it, with warming off so the first press runs.
use std::path::Path;

use e2e::Harness;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A program the cache may keep: its output is the same on every run, and nothing in it marks it
/// as varying (`backend/src/cache.rs`).
const HELLO_MAIN: &str = "fn main() {\n    println!(\"cached-or-not says hello\");\n}";

fn course(dir: &Path) {
    write(
        &dir.join("cache/course.toml"),
        "title = \"Cache\"\nsummary = \"Runs twice.\"\norder = 1\n",
    );
    write(
        &dir.join("cache/twice.md"),
        &format!(
            "+++\ntitle = \"Twice\"\norder = 1\nminutes = 5\nsummary = \"Everything runs twice.\"\n+++\n\n\
             ```rust\n{HELLO_MAIN}\n```\n\n\
             ````exercise\nReturn 4.\n\n```rust,starter\npub fn four() -> u32 {{ 4 }}\n```\n\n\
             ```rust,tests\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn is_four() {{ assert_eq!(super::four(), 4); }}\n}}\n```\n\n\
             ```rust,solution\npub fn four() -> u32 {{ 4 }}\n```\n````\n\n\
             `````files\n````toml,file=Cargo.toml\n[package]\nname = \"twice\"\nversion = \"0.1.0\"\nedition = \"2024\"\n````\n\n\
             ````rust,file=src/main.rs\n{HELLO_MAIN}\n````\n`````\n"
        ),
    );
}

/// Whether `block` shows a finished answer: its status settled and, if `cached`, the cache's note
/// with Run again; otherwise no note at all.
fn settled(block: &str, cached: bool) -> String {
    let note = if cached {
        format!(
            "const note = document.querySelector('{block} .cached-note');
             if (!note || !note.textContent.includes('(cached)') || !note.querySelector('.run-again')) return false;"
        )
    } else {
        format!("if (document.querySelector('{block} .cached-note')) return false;")
    };
    format!(
        "const status = document.querySelector('{block} .run-status');
         if (!status || status.classList.contains('active')) return false;
         {note}
         return true;"
    )
}

/// The server's count of answers served from the cache (`GET /metrics`), read through the page.
async fn cache_hits(h: &Harness) -> u64 {
    let hits = h
        .eval(
            "return fetch('/metrics').then(r => r.text()).then(text => {
                 const line = text.match(/^rmp_cache_hits_total (\\d+)/m);
                 return line ? Number(line[1]) : -1;
             });",
        )
        .await;
    hits.as_u64()
        .unwrap_or_else(|| panic!("no cache hit count in /metrics: {hits}"))
}

/// Presses `button` in `block` and waits for the answer, marked as cached or not.
async fn press(h: &Harness, block: &str, button: &str, cached: bool, what: &str) {
    h.click(&format!("{block} {button}")).await;
    h.wait_until(&settled(block, cached), &format!("{what} ({block})"))
        .await;
    h.wait_for_contains(block, expected(block)).await;
}

/// What `block`'s answer shows once it has run.
fn expected(block: &str) -> &'static str {
    if block.contains("exercise") {
        "The test passes"
    } else {
        "cached-or-not says hello"
    }
}

/// The cache keeps a program's answer once a second run reproduced it, so: Run, Run (both run),
/// Run (from the cache: the note, one more hit), then Run again (runs: no note, no hit).
async fn run_until_cached_then_again(h: &Harness, block: &str) {
    press(
        h,
        block,
        ".run-button",
        false,
        "the first run finishes, not marked",
    )
    .await;
    press(
        h,
        block,
        ".run-button",
        false,
        "the second run confirms the first",
    )
    .await;
    let hits = cache_hits(h).await;
    press(
        h,
        block,
        ".run-button",
        true,
        "the third run answers from the cache",
    )
    .await;
    assert_eq!(
        cache_hits(h).await,
        hits + 1,
        "{block}: one answer from the cache"
    );
    press(h, block, ".run-again", false, "Run again runs, not marked").await;
    assert_eq!(
        cache_hits(h).await,
        hits + 1,
        "{block}: Run again did not come from the cache"
    );
}

#[tokio::test]
async fn a_cached_answer_says_so_and_run_again_runs_afresh_on_every_kind_of_block() {
    let content = tempfile::tempdir().unwrap();
    course(content.path());
    let dir = content.path().display().to_string();
    let h = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;
    h.goto("/learn/twice").await;
    h.wait_until(
        "const code = document.querySelector('.code-block.runnable');
         const lab = document.querySelector('.file-set.runnable');
         const exercise = document.querySelector('.exercise');
         if (!code || !lab || !exercise) return false;
         code.id = 'e2e-code'; lab.id = 'e2e-lab'; exercise.id = 'e2e-exercise';
         return true;",
        "the chapter shows its example, exercise and files block",
    )
    .await;

    run_until_cached_then_again(&h, "#e2e-code").await;
    run_until_cached_then_again(&h, "#e2e-lab").await;
    run_until_cached_then_again(&h, "#e2e-exercise").await;
    h.close().await;
}
