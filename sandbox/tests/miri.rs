//! The Miri runner against a real dockerd and the real `rmp-runner-miri` image.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` builds the images and runs them with
//! `--ignored`. Run by hand without Docker or the image they fail, saying why.

use std::time::{Duration, Instant};

use api_types::{Action, ExecuteRequest, Level, Outcome, Phase, TestStatus};
use sandbox::{Job, JobError};

/// The run limit of these tests: short, so the looping program costs little.
mod common;
use common::{RUN_LIMIT, connect, finish, run};

fn request(files: &[(&str, &str)], action: Action) -> ExecuteRequest {
    common::request("miri", files, action)
}

/// The job a client's request becomes: checked as the server does.
fn job(files: &[(&str, &str)], action: Action) -> Job {
    common::job(request(files, action))
}

const USE_AFTER_FREE: &str = "fn main() {
    let b = Box::new(5);
    let p = &*b as *const i32;
    drop(b);
    let x = unsafe { *p };
    println!(\"{x}\");
}
";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_use_after_free_is_marked_where_it_happens_with_its_allocation() {
    let sandbox = connect().await;
    let report = run(
        &sandbox,
        job(&[("src/main.rs", USE_AFTER_FREE)], Action::Run),
    )
    .await;
    let result = &report.result;
    assert_eq!(
        result.outcome,
        Outcome::ExitFailure { exit_code: 1 },
        "{report:?}"
    );
    let ub = result
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("Undefined Behavior"))
        .unwrap_or_else(|| panic!("no UB diagnostic: {}", report.compiler));
    assert_eq!(ub.level, Level::Error);
    assert!(ub.message.contains("has been freed"), "{}", ub.message);
    let primary = ub
        .spans
        .iter()
        .find(|s| s.is_primary)
        .expect("a primary span");
    assert_eq!(
        (primary.file.as_str(), primary.line_start),
        ("src/main.rs", 5)
    );
    assert_eq!((primary.column_start, primary.column_end), (22, 24));
    // The help spans: where the memory was allocated (line 2) and freed (line 4).
    let noted = |line: u32, words: &str| {
        ub.spans.iter().any(|s| {
            !s.is_primary
                && s.line_start == line
                && s.label.as_deref().is_some_and(|l| l.contains(words))
        })
    };
    assert!(noted(2, "allocated here"), "{:?}", ub.spans);
    assert!(noted(4, "deallocated here"), "{:?}", ub.spans);
    assert!(
        result
            .explanation
            .starts_with("Miri found undefined behaviour: memory access failed:"),
        "{}",
        result.explanation
    );
    assert!(
        result
            .explanation
            .ends_with("the marked line shows where, the notes where the memory came from."),
        "{}",
        result.explanation
    );
    assert!(
        report.compiler.contains("was deallocated here"),
        "{}",
        report.compiler
    );
    assert_eq!(report.stdout, "", "the read never happened");
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_sound_program_and_its_tests_pass() {
    // Nothing here loops: a generous limit, so a loaded machine (Miri interprets slowly) cannot
    // turn the test report into a timeout.
    let sandbox = common::connect_with(0, Duration::from_secs(30)).await;
    let sound = "fn total(v: &[u32]) -> u32 {\n    v.iter().sum()\n}\n\nfn main() {\n    let v: Vec<u32> = (1..=4).collect();\n    let first = &v[0] as *const u32;\n    println!(\"total {} first {}\", total(&v), unsafe { *first });\n}\n\n#[test]\nfn sums() {\n    assert_eq!(total(&[2, 3]), 5);\n}\n\n#[test]\nfn fails() {\n    assert_eq!(total(&[]), 1);\n}\n";
    let report = run(&sandbox, job(&[("src/main.rs", sound)], Action::Run)).await;
    assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
    assert_eq!(report.stdout, "total 10 first 1\n");
    assert_eq!(
        report.result.explanation,
        "Miri ran your program and found no undefined behaviour on the path this run took."
    );
    assert!(report.result.timings.run_ms > 0);

    // Tests run under Miri too, and are parsed like any test report.
    let tests = run(&sandbox, job(&[("src/main.rs", sound)], Action::Test)).await;
    assert_eq!(
        tests.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{tests:?}"
    );
    let status = |name: &str| {
        tests
            .result
            .tests
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.status)
    };
    assert_eq!(status("sums"), Some(TestStatus::Passed), "{}", tests.stdout);
    assert_eq!(
        status("fails"),
        Some(TestStatus::Failed),
        "{}",
        tests.stdout
    );

    // A compile error is a compile error, in the compile phase.
    let broken = run(
        &sandbox,
        job(
            &[("src/main.rs", "fn main() {\n    let x: u32 = \"no\";\n}\n")],
            Action::Run,
        ),
    )
    .await;
    assert_eq!(broken.result.outcome, Outcome::CompileError, "{broken:?}");
    assert_eq!(broken.result.diagnostics[0].spans[0].line_start, 2);
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_looping_program_is_stopped_at_the_run_limit() {
    let sandbox = connect().await;
    let endless = "fn main() {\n    let mut i: u64 = 0;\n    loop {\n        i = std::hint::black_box(i.wrapping_add(1));\n    }\n}\n";
    let started = Instant::now();
    let report = run(&sandbox, job(&[("src/main.rs", endless)], Action::Run)).await;
    let took = started.elapsed();
    assert_eq!(
        report.result.outcome,
        Outcome::TimedOut {
            phase: Phase::Run,
            limit_ms: RUN_LIMIT.as_millis() as u64,
        },
        "{report:?}"
    );
    assert!(
        report
            .result
            .explanation
            .starts_with("Miri was still interpreting your program after 4 s and stopped."),
        "{}",
        report.result.explanation
    );
    assert!(took < RUN_LIMIT + Duration::from_secs(20), "took {took:?}");
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn what_miri_cannot_run_is_explained_and_cleaned_up() {
    let sandbox = connect().await;
    // A foreign C function: Miri has no C to run.
    let ffi = "unsafe extern \"C\" {\n    fn abs(x: i32) -> i32;\n}\n\nfn main() {\n    println!(\"{}\", unsafe { abs(-3) });\n}\n";
    let report = run(&sandbox, job(&[("src/main.rs", ffi)], Action::Run)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 1 },
        "{report:?}"
    );
    assert!(
        report
            .result
            .explanation
            .starts_with("Miri cannot run this program: can't call foreign function `abs`"),
        "{}",
        report.result.explanation
    );
    let error = report
        .result
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("unsupported operation"))
        .unwrap_or_else(|| panic!("{}", report.compiler));
    assert_eq!(error.spans[0].line_start, 6, "{error:?}");

    // Isolation is on: the host's files are out of reach, and the student is told why.
    let file = "fn main() {\n    let text = std::fs::read_to_string(\"/etc/hostname\");\n    println!(\"{text:?}\");\n}\n";
    let report = run(&sandbox, job(&[("src/main.rs", file)], Action::Run)).await;
    assert!(
        report.result.explanation.contains("isolation") || report.stdout.contains("isolation"),
        "{report:?}"
    );

    // A crate the runner does not have is refused at the edge, before anything runs.
    let serde = Job::from_request(
        request(
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"a\"\n\n[dependencies]\nserde = \"1\"\n",
                ),
                ("src/main.rs", "fn main() {}"),
            ],
            Action::Run,
        ),
        false,
    )
    .expect_err("serde is not built for Miri");
    assert!(matches!(serde, JobError::Plan(_)), "{serde:?}");
    assert!(
        serde.to_string().contains("standard library only"),
        "{serde}"
    );
    finish(sandbox).await;
}

/// Hello world through the sandbox: the median of five runs, printed (`--nocapture`).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn hello_world_wall_time() {
    let sandbox = connect().await;
    let hello = "fn main() {\n    println!(\"Hello, world!\");\n}\n";
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let report = run(&sandbox, job(&[("src/main.rs", hello)], Action::Run)).await;
        times.push(started.elapsed());
        assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
        assert_eq!(report.stdout, "Hello, world!\n");
    }
    times.sort();
    println!(
        "miri hello world through the sandbox: median {:.2} s (min {:.2} s, max {:.2} s)",
        times[2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[4].as_secs_f64()
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn miri_flags_from_the_request_change_what_miri_accepts() {
    let sandbox = connect().await;
    let code = "fn main() {\n    let x = 5u8;\n    let addr = &x as *const u8 as usize;\n    let p = addr as *const u8;\n    println!(\"{}\", unsafe { *p });\n}\n";
    // By default Miri accepts the integer-to-pointer cast (with a warning) and prints 5.
    let report = run(&sandbox, job(&[("src/main.rs", code)], Action::Run)).await;
    assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
    assert_eq!(report.stdout, "5\n");
    // With strict provenance asked for in the request, the same cast is refused.
    let strict = ExecuteRequest {
        miri_flags: vec!["-Zmiri-strict-provenance".into()],
        ..request(&[("src/main.rs", code)], Action::Run)
    };
    let report = run(&sandbox, Job::from_request(strict, false).unwrap()).await;
    assert_ne!(report.result.outcome, Outcome::Success, "{report:?}");
    assert!(
        report.result.explanation.contains("strict provenance"),
        "{}",
        report.result.explanation
    );
    finish(sandbox).await;
}
