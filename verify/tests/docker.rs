//! Content verification against a real dockerd and the real runner image.
//!
//! Ignored by a plain `cargo test` (there may be no Docker); `cargo xtask test` starts dockerd,
//! builds the image and runs them with `--ignored`. Run by hand, they fail with an explanation
//! when Docker or the image is missing; they never pass by doing nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use api_types::RunnerId;
use content_verify::{
    Cache, CheckResult, ImageIds, Kind, Summary, Verdict, plan, report::failure_line, run_checks,
};
use course::Library;
use sandbox::{DockerConfig, DockerSandbox, Sandbox};

/// One chapter with every kind of check. The body starts at line 7 of the file.
const CHAPTER: &str = r#"
A passing example:

```rust
fn main() {
    println!("hello");
}
```

```rust,compile_fail,E0308
fn main() {
    let n: i32 = "one";
}
```

```rust,should_panic
fn main() {
    panic!("on purpose");
}
```

This one is wrong: it promises to run cleanly but indexes out of bounds.

```rust
fn main() {
    let v = vec![1, 2, 3];
    let i = v.len() + 4;
    println!("{}", v[i]);
}
```

`````exercise
Write `double`.

```rust,starter
fn double(n: u32) -> u32 {
    todo!("double {n}")
}
```

```rust,tests
#[test]
fn doubles() {
    assert_eq!(double(21), 42);
}
```

```rust,solution
fn double(n: u32) -> u32 {
    n * 2
}
```
`````

```rust,miri
fn main() {}
```

This one names the wrong error:

```rust,compile_fail,E0499
fn main() {
    let n: i32 = "one";
}
```

````files,release
```rust,file=src/main.rs
mod shapes;

fn main() {
    // Only true in release mode: the fence's `release` reached the compiler.
    assert!(!cfg!(debug_assertions), "built in debug mode");
    println!("{}", shapes::area(2, 3));
}
```

```rust,file=src/shapes.rs
pub fn area(width: u32, height: u32) -> u32 {
    width * height
}
```
````

`````exercise
Finish `parse::numbers`.

```rust,starter,file=src/lib.rs
mod parse;

pub fn sum(text: &str) -> i64 {
    parse::numbers(text).iter().sum()
}
```

```rust,starter,file=src/parse.rs
pub fn numbers(text: &str) -> Vec<i64> {
    todo!("parse {text}")
}
```

```rust,tests
#[cfg(test)]
mod tests {
    #[test]
    fn sums() {
        assert_eq!(super::sum("1 2 39"), 42);
    }
}
```

```rust,solution,file=src/parse.rs
pub fn numbers(text: &str) -> Vec<i64> {
    text.split_whitespace().map(|w| w.parse().unwrap()).collect()
}
```
`````
"#;

/// Writes a content directory with one course and `CHAPTER`.
fn write_content(root: &Path, extra: &str) {
    let course = root.join("basics");
    std::fs::create_dir_all(&course).unwrap();
    std::fs::write(
        course.join("course.toml"),
        "title = \"Basics\"\nsummary = \"S\"\norder = 1\n",
    )
    .unwrap();
    std::fs::write(
        course.join("checks.md"),
        format!(
            "+++\ntitle = \"Checks\"\norder = 1\nminutes = 5\nsummary = \"S\"\n+++\n{CHAPTER}{extra}"
        ),
    )
    .unwrap();
}

/// The image these tests give the miri runner: one never built, so the miri block is the one
/// skipped whatever this machine has.
const MISSING_MIRI_IMAGE: &str = "rmp-runner-not-built-here:latest";

async fn connect() -> (DockerSandbox, ImageIds) {
    let mut config = DockerConfig {
        warm_pool: 2,
        ..DockerConfig::default()
    };
    config
        .images
        .insert(RunnerId::new("miri"), MISSING_MIRI_IMAGE.into());
    let sandbox = DockerSandbox::connect(config)
    .await
    .unwrap_or_else(|e| {
        panic!("Docker is not available ({e}). Start dockerd, or run `cargo xtask test`, which starts it and builds the runner image.")
    });
    let mut images = ImageIds::new();
    for runner in runners::all() {
        if let Some(id) = sandbox.image_id(&runner.id).await {
            images.insert(runner.id.clone(), id);
        }
    }
    assert!(
        images.contains_key(&RunnerId::default()),
        "the stable runner image is missing: run `cargo xtask images`"
    );
    assert!(
        !images.contains_key(&RunnerId::new("miri")),
        "the miri runner's image is overridden by one never built: {images:?}"
    );
    (sandbox, images)
}

fn passed(result: &CheckResult) -> bool {
    matches!(result.verdict, Verdict::Passed(_))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn every_expectation_is_checked_and_a_second_run_comes_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    write_content(&dir.path().join("content"), "");
    let library = Library::load(&dir.path().join("content")).unwrap();
    let plan = plan(&library);
    assert!(plan.format_errors.is_empty(), "{:?}", plan.format_errors);
    let what: Vec<(Kind, u32)> = plan
        .checks
        .iter()
        .map(|c| {
            let line = c.location.rsplit(':').next().unwrap().parse().unwrap();
            (c.kind, line)
        })
        .collect();
    assert_eq!(
        what,
        [
            (Kind::Example, 10),
            (Kind::Example, 16),
            (Kind::Example, 22),
            (Kind::Example, 30),
            (Kind::Solution, 54),
            (Kind::Starter, 41),
            (Kind::Example, 61),
            (Kind::Example, 67),
            (Kind::Project, 73),
            (Kind::Solution, 118),
            (Kind::Starter, 94),
        ]
    );

    let (sandbox, images) = connect().await;
    let cache_path = dir.path().join("cache/verify-cache.json");
    let mut cache = Cache::load(&cache_path);
    let started = Instant::now();
    let results = run_checks(&plan.checks, &sandbox, &images, &mut cache, 2, |_, _| {}).await;
    let cold = started.elapsed();
    cache.save().unwrap();

    for at in [0, 1, 2, 4, 5, 8, 9, 10] {
        assert!(
            passed(&results[at]),
            "{}: {:?}",
            plan.checks[at].location,
            results[at]
        );
    }
    // The starter does not pass because its tests fail, not because it does not compile.
    let Verdict::Passed(starter) = &results[5].verdict else {
        unreachable!()
    };
    assert!(
        starter.starts_with("1 of 1 tests failed: `doubles` panicked"),
        "{starter}"
    );
    // The two-file exercise is graded too: its starter's `todo!` fails the test.
    let Verdict::Passed(starter) = &results[10].verdict else {
        unreachable!()
    };
    assert!(
        starter.starts_with("1 of 1 tests failed: `tests::sums` panicked"),
        "{starter}"
    );
    let failure = failure_line(&plan.checks[3], &results[3]).expect("the wrong block fails");
    let location = plan.checks[3].location.clone();
    assert!(
        failure.starts_with(&format!(
            "{location}: example should run cleanly but it panicked at line 34: index out of bounds: the len is 3 but the index is 7"
        )),
        "{failure}"
    );
    let wrong_code = failure_line(&plan.checks[7], &results[7]).expect("the wrong code fails");
    assert_eq!(
        wrong_code,
        format!(
            "{}: example should fail to compile with E0499 (`compile_fail,E0499`) but rustc reported E0308 instead (first: error[E0308]: mismatched types at line 69)",
            plan.checks[7].location
        )
    );
    assert_eq!(results[6].verdict, Verdict::Skipped(RunnerId::new("miri")));
    let summary = Summary::new(&plan, &results, cold);
    assert!(!summary.ok());
    let shown = summary.to_string();
    assert!(
        shown.contains("miri: 1 skipped (runner image not installed)"),
        "{shown}"
    );

    // Second run: every pass comes from the cache; the failure and the skip are tried again.
    let mut cache = Cache::load(&cache_path);
    assert!(cache.warning.is_none(), "{:?}", cache.warning);
    let started = Instant::now();
    let again = run_checks(&plan.checks, &sandbox, &images, &mut cache, 2, |_, _| {}).await;
    let cached = started.elapsed();
    for (at, result) in again.iter().enumerate() {
        assert_eq!(
            result.cached,
            passed(&results[at]),
            "{}: {result:?}",
            plan.checks[at].location
        );
        assert_eq!(
            std::mem::discriminant(&result.verdict),
            std::mem::discriminant(&results[at].verdict)
        );
    }
    println!("cold {cold:.1?}, cached {cached:.1?}");

    sandbox.shutdown().await;
    let left = sandbox.containers().await.expect("list containers");
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

#[test]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
fn the_command_reports_format_errors_and_failures_by_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    write_content(&content, "\n```rust,should-panic\nfn main() {}\n```\n");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_rmp-verify"))
            .args(["--content".as_ref(), content.as_os_str()])
            .env("RMP_CACHE_DIR", dir.path().join("cache"))
            .env("RMP_RUNNER_IMAGE_MIRI", MISSING_MIRI_IMAGE)
            .output()
            .expect("rmp-verify starts")
    };
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let chapter = content.join("basics/checks.md").display().to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("{chapter}:125: unknown attribute `should-panic`; did you mean `should_panic`?"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "{chapter}:30: example should run cleanly but it panicked at line 34"
        )),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with(&format!(
            "{chapter}:67: example should fail to compile with E0499 (`compile_fail,E0499`) but rustc reported E0308 instead"
        )),
        "{stdout}"
    );
    for expected in [
        "miri: 1 skipped (runner image not installed)",
        "not run: 1 malformed block (see the format errors)",
        "total: 8 passed (0 from the cache), 2 failed, 1 skipped, 1 format error;",
        "content verification FAILED",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }

    // Unchanged, the passes now come from the cache file in RMP_CACHE_DIR.
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("total: 8 passed (8 from the cache), 2 failed, 1 skipped"),
        "{stdout}"
    );
}
